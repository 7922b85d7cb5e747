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
    free(u);
}

/* The gradient of the mean over the draws is the count-weighted sum over distinct examples
 * divided by the draws: the same number, without the passes of a repeated example (a batch of
 * 512 from P1's 4704 pairs repeats ~5% of its draws, P3's 2823 ~9%). The generator's draws are
 * those of a plain gather. */
static void uniform_draw(void *ctx, gsl_rng *rng, struct grok_batch *out)
{
    struct uniform *u = ctx;
    int T = u->set.n_ctx, n = 0;
    for (int i = 0; i < u->draws; i++) {
        int j = (int)gsl_rng_uniform_int(rng, (unsigned long)u->set.n);
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
    if (!u->tok || !u->y || !u->count || !u->pick || !u->slot) {
        uniform_free(u);
        return grok_err_set(err, GROK_ENOMEM, "out of memory for a batch of %d", draws);
    }
    for (int i = 0; i < set->n; i++)
        u->slot[i] = -1;
    *s = (struct grok_sampler){.name = "uniform", .draw = uniform_draw, .free = uniform_free, .ctx = u};
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
