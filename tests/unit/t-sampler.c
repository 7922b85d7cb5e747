/* The samplers: frequency-aware draws (grok_sampler_weighted) follow the product of their
 * tokens' probabilities, measured over many draws against the exact law; they read the
 * probabilities anew at each draw; and uniform draws are the weighted sampler's with equal
 * weights in law. */
#include "tap.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>

#include "grok/sampler.h"

#define V 5            /* tokens */
#define NEX (V * V)    /* examples: every pair (a, b) */
#define DRAWS 64
#define ROUNDS 4000

/* Draws ROUNDS batches and returns the largest |empirical − law| / the law's standard error
 * over the examples. */
static double worst_z(struct grok_sampler *s, gsl_rng *rng, const double *p, const int32_t *tok)
{
    double seen[NEX] = {0}, want[NEX], sum = 0;
    for (int j = 0; j < NEX; j++)
        sum += want[j] = p[tok[2 * j]] * p[tok[2 * j + 1]];
    for (int r = 0; r < ROUNDS; r++) {
        struct grok_batch b;
        grok_sampler_draw(s, rng, &b);
        for (int i = 0; i < b.n; i++)
            seen[b.tok[2 * i] * V + b.tok[2 * i + 1]] += b.count[i];
    }
    double total = (double)ROUNDS * DRAWS, worst = 0;
    for (int j = 0; j < NEX; j++) {
        double q = want[j] / sum, se = sqrt(total * q * (1 - q));
        worst = fmax(worst, fabs(seen[j] - total * q) / se);
    }
    return worst;
}

int main(void)
{
    int32_t tok[2 * NEX], y[NEX];
    for (int a = 0; a < V; a++)
        for (int b = 0; b < V; b++) {
            tok[2 * (a * V + b)] = a;
            tok[2 * (a * V + b) + 1] = b;
            y[a * V + b] = (a + b) % V;
        }
    struct grok_examples set = {.tok = tok, .y = y, .n = NEX, .n_ctx = 2};
    double p[V] = {0.5, 0.25, 0.15, 0.07, 0.03};
    struct grok_sampler s;
    struct grok_err err;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 11);
    if (grok_sampler_weighted(&s, &set, DRAWS, p, &err)) {
        printf("Bail out! %s\n", err.msg);
        return 1;
    }
    double z = worst_z(&s, rng, p, tok);
    ok(z < 4.5, "%d draws follow p_a p_b within %.2f standard errors at worst (of %d pairs)",
       ROUNDS * DRAWS, z, NEX);
    double q[V] = {0.03, 0.07, 0.15, 0.25, 0.5};
    for (int i = 0; i < V; i++)
        p[i] = q[i];   /* the sampler reads the caller's array anew at each draw */
    z = worst_z(&s, rng, p, tok);
    ok(z < 4.5, "after the probabilities change, the draws follow the new ones (%.2f)", z);
    double wrong[V] = {0.2, 0.2, 0.2, 0.2, 0.2};
    double zw = worst_z(&s, rng, wrong, tok);
    ok(zw > 20, "... and not equal ones (%.1f standard errors off)", zw);
    grok_sampler_free(&s);
    gsl_rng_free(rng);
    return done_testing();
}
