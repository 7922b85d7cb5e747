/* grok-commute --hessian (include/grok/hessian_run.h): one snapshot per unit of the analysis
 * driver; each block's products split in chunks of examples between the pool's workers. */
#include "grok/hessian_run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grok/analysis.h"
#include "grok/cli.h"
#include "grok/config.h"
#include "grok/hessian.h"
#include "grok/model.h"
#include "grok/pool.h"
#include "grok/runmodel.h"
#include "grok/snapshots.h"
#include "grok/tsv.h"

#define GROUP "/hessian"
#define CHUNK 512   /* examples per product of a worker */

struct block {
    size_t n;                      /* its coordinates */
    int *tensors, n_tensors;       /* the model's tensors it holds, in the model's order */
};

struct job {
    const struct grok_hessian_opts *o;
    struct grok_model model;
    int32_t *tok, *y;              /* the examples the loss is the mean over */
    int n_ex;
    struct block b[GROK_HESSIAN_BLOCKS];
    float *buf;                    /* (n_params) a snapshot as stored */
    double *P, *V, **hv;           /* (n_params) parameters, the direction; (nworkers, n_params) */
    struct grok_work **w, **tw;
    int nworkers, nchunks;
    struct grok_pool *pool;
    gsl_rng *rng;
    const struct block *cur;       /* the block of the products under way */
    size_t T;
    double *eig, *resid;           /* (T, blocks, k) */
    double *trace, *trace_se;      /* (T, blocks) */
    int *iters;                    /* (T, blocks) */
    long long products;            /* Hessian-vector products, for the cost */
};

static void hvp_chunks(void *ctx, int i)
{
    struct job *j = ctx;
    const struct grok_model *m = &j->model;
    memset(j->hv[i], 0, m->n_params * sizeof *j->hv[i]);
    for (int k = i; k < j->nchunks; k += j->nworkers) {
        int e0 = k * CHUNK, n = j->n_ex - e0 < CHUNK ? j->n_ex - e0 : CHUNK;
        grok_model_hvp_f64(m, j->w[i], j->tw[i], j->P, j->V, j->tok + (size_t)e0 * m->cfg.n_ctx,
                           j->y + e0, n, 1.0 / j->n_ex, j->hv[i]);
    }
}

/* hv (the block's n) = the block's part of H [v; 0]. */
static void block_apply(void *ctx, const double *v, double *hv)
{
    struct job *j = ctx;
    const struct grok_model *m = &j->model;
    memset(j->V, 0, m->n_params * sizeof *j->V);
    size_t at = 0;
    for (int t = 0; t < j->cur->n_tensors; t++) {
        const struct grok_param *q = &m->tensors[j->cur->tensors[t]];
        memcpy(j->V + q->offset, v + at, q->size * sizeof *v);
        at += q->size;
    }
    grok_pool_run(j->pool, hvp_chunks, j);
    at = 0;
    for (int t = 0; t < j->cur->n_tensors; t++) {
        const struct grok_param *q = &m->tensors[j->cur->tensors[t]];
        for (size_t e = 0; e < q->size; e++) {
            double s = 0;
            for (int i = 0; i < j->nworkers; i++)   /* the workers' sums in their order */
                s += j->hv[i][q->offset + e];
            hv[at + e] = s;
        }
        at += q->size;
    }
    j->products++;
}

static int hessian_open(void *ctx, struct grok_analysis *a, struct grok_err *err)
{
    struct job *j = ctx;
    int rc = grok_model_from_run(&j->model, a->in, err);
    if (rc == GROK_OK && j->model.cfg.loss == GROK_LOSS_STABLEMAX)
        rc = grok_err_set(err, GROK_EINVAL, "%s: --hessian: the run's loss is stablemax, whose "
                          "second derivative is not available (ce and mse are)", grok_run_name(a->in));
    return rc;
}

/* The blocks: each glob's tensors. */
static int setup_blocks(struct job *j, struct grok_analysis *a, struct grok_err *err)
{
    const struct grok_model *m = &j->model;
    for (int b = 0; b < j->o->n_blocks; b++) {
        struct block *bl = &j->b[b];
        if (!(bl->tensors = malloc((size_t)m->n_tensors * sizeof *bl->tensors)))
            return grok_err_set(err, GROK_ENOMEM, "out of memory");
        for (int t = 0; t < m->n_tensors; t++)
            if (grok_config_selects(j->o->blocks[b], m->tensors[t].name)) {
                bl->tensors[bl->n_tensors++] = t;
                bl->n += m->tensors[t].size;
            }
        if (!bl->n_tensors)
            return grok_err_set(err, GROK_EINVAL, "%s: --hessian '%s': selects no parameter of the model",
                                grok_run_name(a->in), j->o->blocks[b]);
    }
    return GROK_OK;
}

/* The training pairs, or a sample of o->batch of them drawn without replacement with the seed. */
static int setup_examples(struct job *j, struct grok_analysis *a, struct grok_err *err)
{
    int rc = grok_model_examples(a->in, "train", &j->tok, &j->y, &j->n_ex, err);
    if (rc != GROK_OK || !j->o->batch || j->o->batch >= j->n_ex)
        return rc;
    int T = j->model.cfg.n_ctx;
    for (int i = 0; i < j->o->batch; i++) {   /* the first steps of a Fisher–Yates shuffle */
        int k = i + (int)gsl_rng_uniform_int(j->rng, (unsigned long)(j->n_ex - i));
        for (int t = 0; t < T; t++) {
            int32_t x = j->tok[(size_t)i * T + t];
            j->tok[(size_t)i * T + t] = j->tok[(size_t)k * T + t];
            j->tok[(size_t)k * T + t] = x;
        }
        int32_t x = j->y[i];
        j->y[i] = j->y[k];
        j->y[k] = x;
    }
    j->n_ex = j->o->batch;
    return GROK_OK;
}

static int hessian_setup(void *ctx, struct grok_analysis *a, long long *units, struct grok_err *err)
{
    struct job *j = ctx;
    if (a->T == 0)
        return grok_err_set(err, GROK_ENOTFOUND, "%s: no snapshot has a step in the range of -s",
                            grok_run_name(a->in));
    j->rng = a->rng;
    j->T = a->T;
    int rc = setup_blocks(j, a, err);
    if (rc == GROK_OK)
        rc = setup_examples(j, a, err);
    if (rc != GROK_OK)
        return rc;
    size_t np = j->model.n_params, T = a->T, B = (size_t)j->o->n_blocks, K = (size_t)j->o->k;
    j->nchunks = (j->n_ex + CHUNK - 1) / CHUNK;
    int threads = grok_threads(j->o->threads);
    j->nworkers = threads < j->nchunks ? threads : j->nchunks;
    j->w = calloc((size_t)j->nworkers, sizeof *j->w);
    j->tw = calloc((size_t)j->nworkers, sizeof *j->tw);
    j->hv = calloc((size_t)j->nworkers, sizeof *j->hv);
    j->buf = malloc(np * sizeof *j->buf);
    j->P = malloc(np * sizeof *j->P);
    j->V = malloc(np * sizeof *j->V);
    j->eig = malloc(T * B * K * sizeof *j->eig);
    j->resid = malloc(T * B * K * sizeof *j->resid);
    j->trace = malloc(T * B * sizeof *j->trace);
    j->trace_se = malloc(T * B * sizeof *j->trace_se);
    j->iters = calloc(T * B, sizeof *j->iters);
    if (!j->w || !j->tw || !j->hv || !j->buf || !j->P || !j->V || !j->eig || !j->resid || !j->trace ||
        !j->trace_se || !j->iters)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    for (int i = 0; i < j->nworkers; i++) {
        if (!(j->w[i] = grok_work_new(&j->model, CHUNK, GROK_F64, err)) ||
            !(j->tw[i] = grok_work_new(&j->model, CHUNK, GROK_F64, err)))
            return err->code;
        if (!(j->hv[i] = malloc(np * sizeof *j->hv[i])))
            return grok_err_set(err, GROK_ENOMEM, "out of memory");
    }
    grok_blas_threads(1);
    if ((rc = grok_analysis_workers(a, j->nworkers, err)) != GROK_OK)
        return rc;
    j->pool = a->pool;
    *units = (long long)T;
    return GROK_OK;
}

static int hessian_unit(void *ctx, struct grok_analysis *a, long long u, struct grok_err *err)
{
    struct job *j = ctx;
    size_t t = (size_t)u, B = (size_t)j->o->n_blocks, K = (size_t)j->o->k;
    int rc = grok_model_load_f64(&j->model, a->in, a->steps[t], j->buf, j->P, err);
    for (size_t b = 0; rc == GROK_OK && b < B && !grok_interrupted(); b++) {
        struct grok_lanczos info;
        j->cur = &j->b[b];
        rc = grok_lanczos_top(block_apply, j, j->cur->n, j->o->k, j->o->max_iter, j->o->tol, j->rng,
                              j->eig + (t * B + b) * K, j->resid + (t * B + b) * K, &info, err);
        j->iters[t * B + b] = info.iters;
        double *tr = j->trace + t * B + b, *se = j->trace_se + t * B + b;
        *tr = *se = NAN;
        if (rc == GROK_OK && j->o->hutchinson)
            rc = grok_hutchinson(block_apply, j, j->cur->n, j->o->hutchinson, j->rng, tr, se, err);
    }
    return rc;
}

static void hessian_table(void *ctx, struct grok_analysis *a, FILE *f)
{
    struct job *j = ctx;
    struct grok_tsv_writer w;
    char note[160];
    size_t B = (size_t)j->o->n_blocks, K = (size_t)j->o->k;
    grok_tsv_init(&w, f);
    grok_tsv_meta(&w, "run", grok_run_name(a->in));
    snprintf(note, sizeof note, "the mean loss over %d training pairs%s", j->n_ex,
             j->o->batch ? " (a sample)" : "");
    grok_tsv_meta(&w, "loss", note);
    snprintf(note, sizeof note, "Lanczos to a relative residual of %g, at most %d products; %lld products in all",
             j->o->tol, j->o->max_iter, j->products);
    grok_tsv_meta(&w, "method", note);
    const char *cols[] = {"step", "block", "k", "eigenvalue", "residual", "products", "trace", "trace_se"};
    for (size_t c = 0; c < sizeof cols / sizeof *cols; c++)
        grok_tsv_str(&w, cols[c]);
    grok_tsv_end_row(&w);
    for (size_t t = 0; t < a->T; t++)
        for (size_t b = 0; b < B; b++)
            for (size_t k = 0; k < K; k++) {
                grok_tsv_i64(&w, a->steps[t]);
                grok_tsv_str(&w, j->o->blocks[b]);
                grok_tsv_i64(&w, (long long)k + 1);
                grok_tsv_f64(&w, j->eig[(t * B + b) * K + k]);
                grok_tsv_f64(&w, j->resid[(t * B + b) * K + k]);
                grok_tsv_i64(&w, j->iters[t * B + b]);
                grok_tsv_f64(&w, j->trace[t * B + b]);
                grok_tsv_f64(&w, j->trace_se[t * B + b]);
                grok_tsv_end_row(&w);
            }
}

static int hessian_group(void *ctx, struct grok_analysis *a, struct grok_err *err)
{
    struct job *j = ctx;
    struct grok_run *out = a->out;
    size_t T = a->T, B = (size_t)j->o->n_blocks, K = (size_t)j->o->k;
    size_t s3[3] = {T, B, K}, s2[2] = {T, B};
    char blocks[1024] = "";
    for (size_t b = 0, len = 0; b < B && len < sizeof blocks; b++)
        len += (size_t)snprintf(blocks + len, sizeof blocks - len, "%s%s", b ? ";" : "", j->o->blocks[b]);
    long long *it = malloc(T * B * sizeof *it);
    if (!it)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    for (size_t i = 0; i < T * B; i++)
        it[i] = j->iters[i];
    int rc = grok_run_write_i64(out, GROUP, "step", a->steps, 1, &T, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(out, GROUP, "eigenvalues", j->eig, 3, s3, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(out, GROUP, "residuals", j->resid, 3, s3, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(out, GROUP, "trace", j->trace, 2, s2, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(out, GROUP, "trace_se", j->trace_se, 2, s2, err);
    if (rc == GROK_OK) rc = grok_run_write_i64(out, GROUP, "products", it, 2, s2, err);
    free(it);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(out, GROUP, "blocks", blocks, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, GROUP, "examples", j->n_ex, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, GROUP, "seed", j->o->seed, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(out, GROUP, "steps", grok_analysis_steps(a), err);
    return rc;
}

static const struct grok_analysis_def hessian_def = {
    .program = "grok-commute",
    .group = GROUP,
    .seeded = 1,
    .open = hessian_open,
    .setup = hessian_setup,
    .unit = hessian_unit,
    .write_table = hessian_table,
    .write_group = hessian_group,
};

int grok_hessian_run(const struct grok_hessian_opts *o, const struct grok_analysis_io *io)
{
    struct job j = {.o = o};
    int rc = grok_analysis_run(&hessian_def, &j, io, o->seed);
    for (int i = 0; i < j.nworkers; i++) {
        if (j.w) grok_work_free(j.w[i]);
        if (j.tw) grok_work_free(j.tw[i]);
        if (j.hv) free(j.hv[i]);
    }
    for (int b = 0; b < GROK_HESSIAN_BLOCKS; b++)
        free(j.b[b].tensors);
    free(j.w);
    free(j.tw);
    free(j.hv);
    free(j.buf);
    free(j.P);
    free(j.V);
    free(j.eig);
    free(j.resid);
    free(j.trace);
    free(j.trace_se);
    free(j.iters);
    free(j.tok);
    free(j.y);
    grok_model_free(&j.model);
    return rc;
}
