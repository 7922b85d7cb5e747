/* The full batch and uniform draws with replacement (include/grok/sampler.h). */
#include "grok/sampler.h"

#include <stdlib.h>
#include <string.h>

struct full {
    struct grok_examples set;
};

static void full_draw(void *ctx, gsl_rng *rng, struct grok_batch *out)
{
    (void)rng;
    const struct full *f = ctx;
    *out = (struct grok_batch){.tok = f->set.tok, .y = f->set.y, .count = NULL, .n = f->set.n,
                               .scale = 1.0 / f->set.n};
}

int grok_sampler_full(struct grok_sampler *s, const struct grok_examples *set,
                      struct grok_err *err)
{
    struct full *f = malloc(sizeof *f);
    if (!f)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    f->set = *set;
    *s = (struct grok_sampler){.name = "full", .draw = full_draw, .free = free, .ctx = f};
    return GROK_OK;
}

struct uniform {
    struct grok_examples set;
    int draws;
    const double *token_p;     /* frequency-aware: each token's probability (the trainer's), or NULL */
    double *cum;               /* (set.n) frequency-aware: the examples' cumulative weights */
    int32_t *tok;              /* (draws, n_ctx) the distinct examples, gathered */
    int32_t *y;                /* (draws) */
    double *count;             /* (draws) how often each was drawn */
    int32_t *pick;             /* (draws) the set's example of each distinct draw */
    int32_t *slot;             /* (set.n) an example's place in the batch being drawn, or −1 */
};

static void uniform_free(void *ctx)
{
    struct uniform *u = ctx;
    if (!u)
        return;
    free(u->tok);
    free(u->y);
    free(u->count);
    free(u->pick);
    free(u->slot);
    free(u->cum);
    free(u);
}

/* An example drawn with probability proportional to its weight, the product of its tokens'
 * probabilities: one uniform number, a binary search in the cumulative weights. */
static int weighted_pick(const struct uniform *u, gsl_rng *rng)
{
    int n = u->set.n, lo = 0, hi = n - 1;
    double x = gsl_rng_uniform(rng) * u->cum[n - 1];
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (u->cum[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static void weights_of(struct uniform *u)
{
    int T = u->set.n_ctx;
    double sum = 0;
    for (int j = 0; j < u->set.n; j++) {
        double w = 1;
        for (int t = 0; t < T; t++)
            w *= u->token_p[u->set.tok[(size_t)j * T + t]];
        sum += w;
        u->cum[j] = sum;
    }
}

/* The gradient of the mean over the draws is the count-weighted sum over distinct examples
 * divided by the draws: the same number, without the passes of a repeated example (a batch of
 * 512 from P1's 4704 pairs repeats ~5% of its draws, P3's 2823 ~9%). The generator's draws are
 * those of a plain gather. */
static void uniform_draw(void *ctx, gsl_rng *rng, struct grok_batch *out)
{
    struct uniform *u = ctx;
    int T = u->set.n_ctx, n = 0;
    if (u->token_p)
        weights_of(u);
    for (int i = 0; i < u->draws; i++) {
        int j = u->token_p ? weighted_pick(u, rng) : (int)gsl_rng_uniform_int(rng, (unsigned long)u->set.n);
        if (u->slot[j] >= 0) {
            u->count[u->slot[j]] += 1;
            continue;
        }
        u->slot[j] = n;
        u->pick[n] = j;
        memcpy(u->tok + (size_t)n * T, u->set.tok + (size_t)j * T, T * sizeof *u->tok);
        u->y[n] = u->set.y[j];
        u->count[n++] = 1;
    }
    for (int k = 0; k < n; k++)   /* the marks go, for the next draw */
        u->slot[u->pick[k]] = -1;
    *out = (struct grok_batch){.tok = u->tok, .y = u->y, .count = u->count, .n = n,
                               .scale = 1.0 / u->draws};
}

int grok_sampler_uniform(struct grok_sampler *s, const struct grok_examples *set, int draws,
                         struct grok_err *err)
{
    return grok_sampler_weighted(s, set, draws, NULL, err);
}

int grok_sampler_weighted(struct grok_sampler *s, const struct grok_examples *set, int draws,
                          const double *token_p, struct grok_err *err)
{
    struct uniform *u = calloc(1, sizeof *u);
    if (!u)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    u->set = *set;
    u->draws = draws;
    u->tok = malloc((size_t)draws * set->n_ctx * sizeof *u->tok);
    u->y = malloc((size_t)draws * sizeof *u->y);
    u->count = malloc((size_t)draws * sizeof *u->count);
    u->pick = malloc((size_t)draws * sizeof *u->pick);
    u->slot = malloc((size_t)(set->n ? set->n : 1) * sizeof *u->slot);
    u->token_p = token_p;
    if (token_p)
        u->cum = malloc((size_t)(set->n ? set->n : 1) * sizeof *u->cum);
    if (!u->tok || !u->y || !u->count || !u->pick || !u->slot || (token_p && !u->cum)) {
        uniform_free(u);
        return grok_err_set(err, GROK_ENOMEM, "out of memory for a batch of %d", draws);
    }
    for (int i = 0; i < set->n; i++)
        u->slot[i] = -1;
    *s = (struct grok_sampler){.name = token_p ? "freq" : "uniform", .draw = uniform_draw,
                               .free = uniform_free, .ctx = u};
    return GROK_OK;
}

void grok_sampler_draw(struct grok_sampler *s, gsl_rng *rng, struct grok_batch *out)
{
    s->draw(s->ctx, rng, out);
}

void grok_sampler_free(struct grok_sampler *s)
{
    if (!s)
        return;
    if (s->free)
        s->free(s->ctx);
    memset(s, 0, sizeof *s);
}
