/* Small model configurations and a builder shared by the unit tests of the models and of what
 * is computed on them (t-model, t-align), and the small training run of the transforms' tests: vocabulary 8 in, 7 out, widths of a few units, so that
 * finite differences over every parameter stay cheap. */
#ifndef GROK_TEST_MODELS_H
#define GROK_TEST_MODELS_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "grok/config.h"
#include "grok/model.h"

static inline struct grok_model_config tf_config(int n_ctx, int n_layers, int norm, int causal,
                                          enum grok_act act, int readout, enum grok_loss loss)
{
    return (struct grok_model_config){
        .arch = GROK_TRANSFORMER, .n_ctx = n_ctx, .d_vocab = 8, .d_vocab_out = 7, .act = act,
        .loss = loss, .n_layers = n_layers, .d_model = 8, .n_heads = 2, .d_head = 4, .d_mlp = 16,
        .norm = norm, .causal = causal, .readout = readout,
    };
}

static inline struct grok_model_config mlp_config(enum grok_mlp_input input, int n_hidden, enum grok_act act,
                                           enum grok_loss loss)
{
    return (struct grok_model_config){
        .arch = GROK_MLP, .n_ctx = 2, .d_vocab = 8, .d_vocab_out = 7, .act = act, .loss = loss,
        .input = input, .d_embed = 5, .n_hidden = n_hidden, .hidden = {6, 5},
    };
}

/* The small transformer the trainer's transforms are tested on (t-intervene, t-filters): a+b mod
 * 11, half the pairs, 2 heads of 8, LayerNorm, batches of 24, 40 steps; not yet resolved. */
static inline void small_train_config(struct grok_train_config *c)
{
    grok_config_defaults(c);
    c->p = 11;
    c->frac = 0.5;
    c->model.d_model = 16;
    c->model.n_heads = 2;
    c->model.d_mlp = 32;
    c->model.norm = 1;
    c->batch = 24;
    c->steps = 40;
}

/* Builds cfg or bails out of the whole test (a model that does not build is a broken test). */
static inline void build(struct grok_model *m, const struct grok_model_config *cfg)
{
    struct grok_err err = {0};
    if (grok_model_build(m, cfg, &err) != GROK_OK) {
        printf("Bail out! grok_model_build: %s\n", err.msg);
        exit(1);
    }
}

/* Nanda's initialisation moved off its initial values (no bias 0, no LayerNorm weight 1) by
 * N(0, 0.1²) noise, then scaled so that the loss stays O(1): by 0.7, or 0.2 for the MLP fed raw
 * token ids, whose inputs are large. */
static inline void random_params(const struct grok_model *m, double *P, gsl_rng *rng)
{
    double scale = m->cfg.arch == GROK_MLP && m->cfg.input == GROK_INPUT_RAW ? 0.2 : 0.7;
    float *p = malloc(m->n_params * sizeof *p);
    if (!p) {
        printf("Bail out! out of memory\n");
        exit(1);
    }
    grok_model_init(m, p, GROK_INIT_NANDA, 1.0, rng);
    for (size_t k = 0; k < m->n_params; k++)
        P[k] = scale * (p[k] + gsl_ran_gaussian(rng, 0.1));
    free(p);
}

/* n random examples of m drawn from rng: tokens (n, n_ctx) and answers (n); the second example
 * starts with the first's token, so that tokens repeat within a batch at the same position. */
static inline void random_batch(const struct grok_model *m, gsl_rng *rng, int32_t *tok, int32_t *y,
                                int n)
{
    const struct grok_model_config *c = &m->cfg;
    for (int i = 0; i < n * c->n_ctx; i++)
        tok[i] = (int32_t)gsl_rng_uniform_int(rng, c->d_vocab);
    for (int i = 0; i < n; i++)
        y[i] = (int32_t)gsl_rng_uniform_int(rng, c->d_vocab_out);
    if (n > 1)
        tok[c->n_ctx] = tok[0];
}

/* A workspace for max_batch examples of m in dtype, or a bailed-out test. */
static inline struct grok_work *work(const struct grok_model *m, int max_batch, enum grok_dtype dtype)
{
    struct grok_err err = {0};
    struct grok_work *w = grok_work_new(m, max_batch, dtype, &err);
    if (!w) {
        printf("Bail out! grok_work_new: %s\n", err.msg);
        exit(1);
    }
    return w;
}

/* Central differences of f (which reads x) along each of the n values of x, against the
 * analytic gradient a: a value passes within rel (relative to |a| + |num|, floored at 1e-7) or
 * abs; the count that fail and the worst. */
struct fd_result {
    size_t bad, worst_at;
    double worst_rel, worst_abs;
};

static inline struct fd_result fd_compare(double (*f)(void *), void *ctx, double *x, const double *a,
                                          size_t n, double h, double rel, double abs_tol)
{
    struct fd_result r = {0, 0, 0, 0};
    for (size_t k = 0; k < n; k++) {
        double xk = x[k];
        x[k] = xk + h;
        double fp = f(ctx);
        x[k] = xk - h;
        double fm = f(ctx);
        x[k] = xk;
        double num = (fp - fm) / (2 * h);
        double abs_err = fabs(a[k] - num);
        double rel_err = abs_err / fmax(1e-7, fabs(a[k]) + fabs(num));
        if (!(rel_err < rel || abs_err < abs_tol))
            r.bad++;
        if (rel_err > r.worst_rel && abs_err >= abs_tol) {
            r.worst_rel = rel_err;
            r.worst_at = k;
        }
        r.worst_abs = fmax(r.worst_abs, abs_err);
    }
    return r;
}

#endif
