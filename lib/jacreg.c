/* GrokAlign's Jacobian regulariser (include/grok/jacreg.h). */
#include "grok/jacreg.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grok/config.h"
#include "grok/model.h"
#include "grok/pool.h"
#include "grok/run.h"
#include "grok/state.h"
#include "grok/train.h"

/* Rows (examples × directions) one pass of a worker takes: a full batch of P4's setting in one
 * or two passes, the exact mode's C rows per example in passes that fit in memory. */
#define CHUNK_ROWS 4096

/* One worker's memory: its share of the batch's examples goes through in chunks. */
struct jac_worker {
    struct grok_work *w, *tw;      /* primal and tangent, CHUNK_ROWS rows each */
    float *grad;                   /* (n_params) the gradient of its examples' part of R */
    int32_t *tok;                  /* (CHUNK_ROWS, n_ctx) each example's context, K times */
    double norm_sum;               /* Σ count · ‖J_x‖ over its examples */
};

struct jacreg {
    const struct grok_trainer *t;
    const struct grok_model *m;
    struct grok_pool *pool;
    double lambda, target;         /* target −1: the plain regulariser */
    int K;                         /* directions per example: R, or C when exact */
    int per_chunk;                 /* examples per chunk */
    double kappa;                  /* C/R, or 1 when exact */
    gsl_rng *rng;
    int n_workers;
    struct jac_worker *wk;
    float *v;                      /* (max examples, K, C) this step's directions */
    size_t v_cap;                  /* examples v holds */
    const struct grok_batch *batch;   /* the step's, during apply */
    const float *params;
    double mean_norm;              /* the metric: the last step's mean ‖J_x‖_F */
};

/* Worker i: its share of the batch's examples, chunk by chunk: the norms, then the gradient of
 * λ · scale · Σ count · norm (the sign of the target's variant is applied after). */
static void jac_job(void *ctx, int i)
{
    struct jacreg *j = ctx;
    struct jac_worker *w = &j->wk[i];
    const struct grok_batch *b = j->batch;
    const struct grok_model *m = j->m;
    int T = m->cfg.n_ctx, C = m->cfg.d_vocab_out;
    size_t lo, hi;
    grok_pool_share((size_t)b->n, j->n_workers, i, &lo, &hi);
    memset(w->grad, 0, m->n_params * sizeof *w->grad);
    w->norm_sum = 0;
    double norms[CHUNK_ROWS], coef[CHUNK_ROWS];
    for (size_t at = lo; at < hi; at += (size_t)j->per_chunk) {
        int n = (int)(hi - at < (size_t)j->per_chunk ? hi - at : (size_t)j->per_chunk);
        for (int e = 0; e < n; e++)
            for (int k = 0; k < j->K; k++)
                memcpy(w->tok + ((size_t)e * j->K + k) * T, b->tok + (at + e) * T, T * sizeof *w->tok);
        const float *v = j->v + at * j->K * C;
        grok_model_jac_norms(m, w->w, w->tw, j->params, w->tok, n, j->K, v, j->kappa, norms);
        for (int e = 0; e < n; e++) {
            double count = b->count ? b->count[at + e] : 1;
            w->norm_sum += count * norms[e];
            coef[e] = j->lambda * b->scale * count;
        }
        grok_model_jac_grad(m, w->w, w->tw, j->params, w->grad, w->tok, n, j->K, v, j->kappa, coef);
    }
}

/* The directions of the batch's examples: K random unit vectors each (Gaussian, normalised), or
 * the identity's rows when exact. On the calling thread, in example order: the same draws
 * whatever the threads. */
static void draw_directions(struct jacreg *j, int n)
{
    int C = j->m->cfg.d_vocab_out;
    int exact = j->rng == NULL;
    for (size_t r = 0; r < (size_t)n * j->K; r++) {
        float *v = j->v + r * C;
        if (exact) {
            for (int c = 0; c < C; c++)
                v[c] = (size_t)c == r % (size_t)C;
            continue;
        }
        double s = 0, g[C];
        for (int c = 0; c < C; c++) {
            g[c] = gsl_ran_gaussian_ziggurat(j->rng, 1.0);
            s += g[c] * g[c];
        }
        s = sqrt(s);
        for (int c = 0; c < C; c++)
            v[c] = (float)(g[c] / s);
    }
}

static void jac_apply(void *ctx, const float *params, float *grad, size_t np, long long step)
{
    (void)step;
    struct jacreg *j = ctx;
    const struct grok_batch *b = grok_trainer_batch(j->t);
    if (b->n <= 0)
        return;
    if ((size_t)b->n > j->v_cap) {   /* a sampler gives at most its draws: sized at the start */
        j->mean_norm = NAN;
        return;
    }
    j->batch = b;
    j->params = params;
    draw_directions(j, b->n);
    grok_pool_run(j->pool, jac_job, j);
    double sum = 0;
    for (int i = 0; i < j->n_workers; i++)
        sum += j->wk[i].norm_sum;
    j->mean_norm = sum * b->scale;
    /* λ |T − mean|: the gradient of λ · mean times the sign of mean − T */
    float sign = j->target < 0 ? 1.0f : j->mean_norm > j->target ? 1.0f : j->mean_norm < j->target ? -1.0f : 0.0f;
    for (int i = 0; i < j->n_workers; i++) {
        const float *g = j->wk[i].grad;
        for (size_t p = 0; p < np; p++)
            grad[p] += sign * g[p];
    }
}

static void jac_report(void *ctx, double *values)
{
    values[0] = ((struct jacreg *)ctx)->mean_norm;
}

static int jac_save(void *ctx, struct grok_run *run, const char *group, struct grok_err *err)
{
    struct jacreg *j = ctx;
    char path[GROK_MAX_NAME + 32];
    size_t shape[1] = {1};
    int rc = grok_run_write_f64(run, group, "jac_norm", &j->mean_norm, 1, shape, err);
    if (rc == GROK_OK && j->rng && (rc = grok_run_path(path, sizeof path, group, "rng", err)) == GROK_OK)
        rc = grok_state_rng_write(run, path, j->rng, err);
    if (rc == GROK_OK && j->rng)
        rc = grok_run_attr_set_str(run, group, "rng_type", GROK_STATE_RNG_TYPE, err);
    return rc;
}

static int jac_load(void *ctx, struct grok_run *run, const char *group, struct grok_err *err)
{
    struct jacreg *j = ctx;
    char path[GROK_MAX_NAME + 32];
    int rc = grok_run_path(path, sizeof path, group, "jac_norm", err);
    if (rc == GROK_OK)
        rc = grok_state_read_exact(run, path, GROK_F64, &j->mean_norm, 1, err);
    if (rc == GROK_OK && j->rng && (rc = grok_run_path(path, sizeof path, group, "rng", err)) == GROK_OK)
        rc = grok_state_rng_read(run, path, group, j->rng, err);
    return rc;
}

static void jac_free(void *ctx)
{
    struct jacreg *j = ctx;
    if (!j)
        return;
    for (int i = 0; j->wk && i < j->n_workers; i++) {
        grok_work_free(j->wk[i].w);
        grok_work_free(j->wk[i].tw);
        free(j->wk[i].grad);
        free(j->wk[i].tok);
    }
    free(j->wk);
    free(j->v);
    if (j->rng)
        gsl_rng_free(j->rng);
    free(j);
}

/* The most examples a step's batch holds: the full training set, or the draws. */
static size_t max_examples(const struct grok_trainer *t)
{
    const struct grok_train_config *c = grok_trainer_config(t);
    size_t n_train = (size_t)grok_trainer_data(t)->n_train;
    return c->batch > 0 && (size_t)c->batch < n_train ? (size_t)c->batch : n_train;
}

static int setup(struct jacreg *j, struct grok_err *err)
{
    const struct grok_train_config *c = grok_trainer_config(j->t);
    const struct grok_model *m = j->m;
    int C = m->cfg.d_vocab_out;
    j->K = c->jac_projections ? c->jac_projections : C;
    j->kappa = c->jac_projections ? (double)C / c->jac_projections : 1;
    j->per_chunk = CHUNK_ROWS / j->K > 0 ? CHUNK_ROWS / j->K : 1;
    if (c->jac_projections) {
        if (!(j->rng = gsl_rng_alloc(gsl_rng_mt19937)))
            return grok_err_set(err, GROK_ENOMEM, "out of memory");
        gsl_rng_set(j->rng, (unsigned long)((c->seed + 424242) % 4294967295LL));
    }
    j->v_cap = max_examples(j->t);
    j->v = malloc(j->v_cap * j->K * C * sizeof *j->v);
    j->n_workers = grok_pool_size(j->pool);
    j->wk = calloc((size_t)j->n_workers, sizeof *j->wk);
    if (!j->v || !j->wk)
        return grok_err_set(err, GROK_ENOMEM, "out of memory for the Jacobian regulariser");
    size_t per_worker = (j->v_cap + (size_t)j->n_workers - 1) / (size_t)j->n_workers;
    int rows = (int)((per_worker < (size_t)j->per_chunk ? per_worker : (size_t)j->per_chunk) * j->K);
    for (int i = 0; i < j->n_workers; i++) {
        struct jac_worker *w = &j->wk[i];
        if (!(w->w = grok_work_new(m, rows, GROK_F32, err)) || !(w->tw = grok_work_new(m, rows, GROK_F32, err)))
            return err->code;
        w->grad = malloc(m->n_params * sizeof *w->grad);
        w->tok = malloc((size_t)rows * m->cfg.n_ctx * sizeof *w->tok);
        if (!w->grad || !w->tok)
            return grok_err_set(err, GROK_ENOMEM, "out of memory for the Jacobian regulariser");
    }
    return GROK_OK;
}

int grok_jacreg_add(struct grok_trainer *t, struct grok_err *err)
{
    const struct grok_train_config *c = grok_trainer_config(t);
    if (!(c->jac_reg > 0))
        return grok_err_set(err, GROK_EINVAL, "--jac-reg: not set");
    struct jacreg *j = calloc(1, sizeof *j);
    if (!j)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    *j = (struct jacreg){.t = t, .m = grok_trainer_model(t), .pool = grok_trainer_pool(t),
                         .lambda = c->jac_reg, .target = c->jac_target, .mean_norm = NAN};
    int rc = setup(j, err);
    if (rc) {
        jac_free(j);
        return rc;
    }
    struct grok_grad_transform x = {.name = "jacreg", .apply = jac_apply, .save = jac_save,
                                    .load = jac_load, .n_metrics = 1, .metric_names = {"jac_norm"},
                                    .report = jac_report, .free = jac_free, .ctx = j};
    return grok_trainer_add_transform(t, &x, err);
}
