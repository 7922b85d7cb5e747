/* grok-align's analysis: Jacobian and centroid alignment over a run's snapshots, one snapshot per
 * unit of the analysis driver, the points of a snapshot split between its workers. */
#include "grok/align_run.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "grok/analysis.h"
#include "grok/metrics.h"
#include "grok/runmodel.h"
#include "grok/snapshots.h"
#include "grok/tsv.h"

#define GROUP "/align"

/* Points per call of the model: fixed, so that every point is computed in the same batch
 * whatever the number of threads, and the numbers do not depend on it. */
#define CHUNK 64

/* ---- the measurement ----------------------------------------------------------------------- */

/* The columns of /align and of the table after step, one value per snapshot. */
enum col { C_NPOINTS, C_COS_MIN, C_COS_MEAN, C_COS_MAX, C_DOT, C_MU, C_FRO, C_PC1, C_TRAIN_ACC,
           C_TEST_ACC, NCOLS };
static const char *col_names[NCOLS] = {"n_points", "cos_min", "cos_mean", "cos_max", "dot_mean",
                                       "mu_norm_mean", "jac_fro_mean", "jac_pc1_mean",
                                       "train_acc", "test_acc"};

struct job {
    const struct grok_align_opts *o;
    gsl_rng *rng;                  /* the driver's: the sample, then every snapshot's projections */
    struct grok_model model;
    struct grok_align_model am;
    struct grok_vjp f;
    struct grok_pool *pool;        /* the driver's, or NULL */
    enum grok_jac_mode mode;
    int nworkers, npoints, nchunks, R, ntrain;
    int32_t *tokens, *y;           /* the training examples */
    int *idx;                      /* (npoints) the points' rows among them */
    int32_t *ptok;                 /* (npoints, n_ctx) the points' tokens */
    double *x;                     /* (npoints, d_input) the points' inputs at this snapshot */
    double *V;                     /* (npoints, R, C) projections, or NULL */
    double **scratch;              /* (nworkers) */
    struct grok_align_point *pts;  /* (npoints) */
    double *rows;                  /* (T, NCOLS) */
    double *tr_acc, *te_acc;       /* (T) from /metrics */
    double *theta;                 /* (n_params) the snapshot */
    float *buf;                    /* (n_params) the snapshot as stored */
};

/* Worker w's chunks: w, w + nworkers, ... (it stops early on SIGINT; the driver then gives up). */
static void chunk_run(void *ctx, int w)
{
    struct job *j = ctx;
    size_t d = j->f.d, C = (size_t)j->f.C;
    for (int k = w; k < j->nchunks && !grok_interrupted(); k += j->nworkers) {
        size_t i0 = (size_t)k * CHUNK;
        int n = j->npoints - (int)i0 < CHUNK ? j->npoints - (int)i0 : CHUNK;
        grok_align_batch(&j->f, w, j->x + i0 * d, n, j->mode, j->R,
                         j->V ? j->V + i0 * (size_t)j->R * C : NULL, j->scratch[w], j->pts + i0);
    }
}

/* One snapshot's row from its points, in point order. A nan of a point makes the statistic nan. */
static void summarise(const struct job *j, double *row)
{
    double n = j->npoints, cmin = INFINITY, cmax = -INFINITY, cs = 0, ds = 0, ms = 0, fs = 0, ps = 0;
    int nan_cos = 0;
    for (int i = 0; i < j->npoints; i++) {
        const struct grok_align_point *p = &j->pts[i];
        if (isnan(p->cos))
            nan_cos = 1;
        cmin = fmin(cmin, p->cos);
        cmax = fmax(cmax, p->cos);
        cs += p->cos;
        ds += p->dot;
        ms += p->mu_norm;
        fs += p->fro;
        ps += p->pc1;
    }
    row[C_NPOINTS] = n;
    row[C_COS_MIN] = nan_cos ? NAN : cmin;
    row[C_COS_MEAN] = cs / n;
    row[C_COS_MAX] = nan_cos ? NAN : cmax;
    row[C_DOT] = ds / n;
    row[C_MU] = ms / n;
    row[C_FRO] = fs / n;
    row[C_PC1] = ps / n;
}

/* The generator of a snapshot's projections: seeded by --seed and the step alone, so that a row
 * does not depend on which other snapshots -s selects. */
static unsigned long snapshot_seed(long long seed, long long step)
{
    uint64_t z = (uint64_t)seed * 0x9E3779B97F4A7C15ULL + (uint64_t)step;   /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return (unsigned long)((z ^ (z >> 31)) & 0xFFFFFFFFULL);
}

/* ---- set-up --------------------------------------------------------------------------------- */

/* The points: every training pair, or --sample N of them without replacement (in index order),
 * and their tokens. */
static int choose_points(struct job *j, struct grok_run *in, struct grok_err *err)
{
    const struct grok_align_opts *o = j->o;
    int ntrain = j->ntrain, n = o->sample ? (int)o->sample : ntrain;
    if (o->sample > ntrain)
        return grok_err_set(err, GROK_EINVAL, "%s: --sample %lld is more than the run's %d "
                            "training pairs", grok_run_name(in), o->sample, ntrain);
    if (n < 1)
        return grok_err_set(err, GROK_EFORMAT, "%s: no training pairs", grok_run_name(in));
    int *all = malloc((size_t)ntrain * sizeof *all);
    if (!all || !(j->idx = malloc((size_t)n * sizeof *j->idx))) {
        free(all);
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    }
    for (int i = 0; i < ntrain; i++)
        all[i] = i;
    if (o->sample)
        gsl_ran_choose(j->rng, j->idx, (size_t)n, all, (size_t)ntrain, sizeof *all);
    else
        memcpy(j->idx, all, (size_t)n * sizeof *all);
    free(all);
    j->npoints = n;
    size_t nctx = (size_t)j->model.cfg.n_ctx;
    if (!(j->ptok = malloc((size_t)n * nctx * sizeof *j->ptok)))
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++)
        memcpy(j->ptok + (size_t)i * nctx, j->tokens + (size_t)j->idx[i] * nctx, nctx * sizeof *j->ptok);
    return GROK_OK;
}

static int setup_workers(struct job *j, struct grok_analysis *a, struct grok_err *err)
{
    int threads = grok_threads(j->o->threads);
    j->nchunks = (j->npoints + CHUNK - 1) / CHUNK;
    j->nworkers = threads < j->nchunks ? threads : j->nchunks;
    int rc = grok_align_model_init(&j->am, &j->model, CHUNK, j->nworkers, err);
    if (rc != GROK_OK)
        return rc;
    j->f = grok_align_model_oracle(&j->am);
    size_t per = grok_align_batch_scratch(&j->f, CHUNK, j->mode);
    size_t np = (size_t)j->npoints, d = j->f.d;
    j->scratch = calloc((size_t)j->nworkers, sizeof *j->scratch);
    j->x = malloc(np * d * sizeof *j->x);
    j->pts = malloc(np * sizeof *j->pts);
    if (j->mode == GROK_JAC_PROJECT)
        j->V = malloc(np * (size_t)j->R * (size_t)j->f.C * sizeof *j->V);
    int ok = j->scratch && j->x && j->pts && (j->mode != GROK_JAC_PROJECT || j->V);
    for (int w = 0; ok && w < j->nworkers; w++)
        ok = (j->scratch[w] = malloc(per * sizeof **j->scratch)) != NULL;
    if (!ok)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    /* One BLAS thread even with one worker (grok_analysis_workers leaves BLAS alone then): the
     * threads are the points', and the sums keep one order. */
    grok_blas_threads(1);
    if ((rc = grok_analysis_workers(a, j->nworkers, err)) != GROK_OK)
        return rc;
    j->pool = a->pool;
    return GROK_OK;
}

static void job_free(struct job *j)
{
    for (int w = 0; j->scratch && w < j->nworkers; w++)
        free(j->scratch[w]);
    free(j->scratch);
    grok_align_model_free(&j->am);
    grok_model_free(&j->model);
    free(j->tokens);
    free(j->y);
    free(j->idx);
    free(j->ptok);
    free(j->x);
    free(j->V);
    free(j->pts);
    free(j->rows);
    free(j->tr_acc);
    free(j->te_acc);
    free(j->theta);
    free(j->buf);
}

/* The training and test accuracy at each of the T steps (the last /metrics row of that step),
 * NaN where the run has no such row or column: the table shows what the run has and the
 * alignment does not depend on it. */
static void metrics_at(struct grok_run *in, const long long *steps, size_t T, double *train_acc,
                       double *test_acc)
{
    static const char *const names[2] = {"train_acc", "test_acc"};
    double *acc[2] = {train_acc, test_acc};
    for (int c = 0; c < 2; c++) {
        struct grok_array st = {0}, col = {0};
        for (size_t t = 0; t < T; t++)
            acc[c][t] = NAN;
        /* each column on its own, so that a run missing one still shows the other */
        if (grok_metrics_read(in, GROK_I64, &st, &names[c], 1, &col, NULL) != GROK_OK)
            continue;
        const long long *s = st.data;
        for (size_t t = 0; t < T; t++)
            for (size_t r = st.n; r-- > 0;)          /* the last row of that step */
                if (s[r] == steps[t]) {
                    acc[c][t] = ((double *)col.data)[r];
                    break;
                }
        grok_array_free(&st);
        grok_array_free(&col);
    }
}

/* ---- the driver's hooks ------------------------------------------------------------------------ */

static int align_open(void *ctx, struct grok_analysis *a, struct grok_err *err)
{
    struct job *j = ctx;
    return grok_model_from_run(&j->model, a->in, err);
}

static int align_setup(void *ctx, struct grok_analysis *a, long long *units, struct grok_err *err)
{
    struct job *j = ctx;
    j->rng = a->rng;   /* the driver's, seeded with --seed */
    size_t T = a->T, n = j->model.n_params;
    int rc;
    if ((rc = grok_model_examples(a->in, "train", &j->tokens, &j->y, &j->ntrain, err)) != GROK_OK ||
        (rc = choose_points(j, a->in, err)) != GROK_OK)
        return rc;
    if (T == 0)
        return grok_err_set(err, GROK_ENOTFOUND, "%s: no snapshot has a step in the range of -s",
                            grok_run_name(a->in));
    if ((rc = setup_workers(j, a, err)) != GROK_OK)
        return rc;
    j->rows = malloc(T * NCOLS * sizeof *j->rows);
    j->tr_acc = malloc(T * sizeof *j->tr_acc);
    j->te_acc = malloc(T * sizeof *j->te_acc);
    j->theta = malloc(n * sizeof *j->theta);
    j->buf = malloc(n * sizeof *j->buf);
    if (!j->rows || !j->tr_acc || !j->te_acc || !j->theta || !j->buf)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    metrics_at(a->in, a->steps, T, j->tr_acc, j->te_acc);
    j->am.params = j->theta;
    *units = (long long)T;
    return GROK_OK;
}

/* Snapshot t: its parameters, the points' inputs under them, the projections, then the points. */
static int align_unit(void *ctx, struct grok_analysis *a, long long u, struct grok_err *err)
{
    struct job *j = ctx;
    size_t t = (size_t)u;
    int rc = grok_model_load_f64(&j->model, a->in, a->steps[t], j->buf, j->theta, err);
    if (rc != GROK_OK)
        return rc;
    grok_model_input_f64(&j->model, j->theta, j->ptok, j->npoints, j->x);
    if (j->V) {
        gsl_rng_set(j->rng, snapshot_seed(j->o->seed, a->steps[t]));
        grok_align_draw_projections(j->rng, j->npoints, j->R, j->f.C, j->V);
    }
    grok_pool_run(j->pool, chunk_run, j);
    if (grok_interrupted()) /* the points are incomplete; the driver sees the signal too */
        return GROK_OK;
    double *row = j->rows + t * NCOLS;
    summarise(j, row);
    row[C_TRAIN_ACC] = j->tr_acc[t];
    row[C_TEST_ACC] = j->te_acc[t];
    return GROK_OK;
}

/* The table's notes: which points, and how J_x was found. */
static void describe(const struct job *j, char *points, size_t pcap, char *jac, size_t jcap)
{
    const struct grok_align_opts *o = j->o;
    if (o->sample)
        snprintf(points, pcap, "%d of the %d training pairs, drawn with seed %lld", j->npoints,
                 j->ntrain, o->seed);
    else
        snprintf(points, pcap, "all %d training pairs", j->npoints);
    if (j->mode == GROK_JAC_PROJECT)
        snprintf(jac, jcap, "|J_x|_F from %d random projections per point, seed %lld", j->R, o->seed);
    else if (j->mode == GROK_JAC_FULL)
        snprintf(jac, jcap, "the whole J_x (%d x %zu) per point (--exact)", j->f.C, j->f.d);
    else
        snprintf(jac, jcap, "|J_x|_F exact, %d backward passes per point", j->f.C);
}

static void align_table(void *ctx, struct grok_analysis *a, FILE *f)
{
    struct job *j = ctx;
    struct grok_tsv_writer w;
    char points[160], jac[160];
    describe(j, points, sizeof points, jac, sizeof jac);
    grok_tsv_init(&w, f);
    grok_tsv_meta(&w, "run", grok_run_name(a->in));
    grok_tsv_meta(&w, "points", points);
    grok_tsv_meta(&w, "jacobian", jac);
    grok_tsv_str(&w, "step");
    for (int c = 0; c < NCOLS; c++)
        grok_tsv_str(&w, col_names[c]);
    grok_tsv_end_row(&w);
    for (size_t t = 0; t < a->T; t++) {
        grok_tsv_i64(&w, a->steps[t]);
        for (int c = 0; c < NCOLS; c++) {
            double v = j->rows[t * NCOLS + (size_t)c];
            if (c == C_NPOINTS)
                grok_tsv_i64(&w, (long long)v);
            else
                grok_tsv_f64(&w, v);
        }
        grok_tsv_end_row(&w);
    }
}

static int align_group(void *ctx, struct grok_analysis *a, struct grok_err *err)
{
    struct job *j = ctx;
    const struct grok_align_opts *o = j->o;
    struct grok_run *out = a->out;
    size_t T = a->T, N = (size_t)j->npoints, n = T > N ? T : N;
    const char *steps = grok_analysis_steps(a);
    long long *ints = malloc(n * sizeof *ints);
    if (!ints)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    int rc = grok_run_write_i64(out, GROUP, "step", a->steps, 1, &T, err);
    for (size_t t = 0; t < T; t++)
        ints[t] = (long long)j->rows[t * NCOLS + C_NPOINTS];
    if (rc == GROK_OK) rc = grok_run_write_i64(out, GROUP, "n_points", ints, 1, &T, err);
    if (rc == GROK_OK)
        rc = grok_run_write_columns(out, GROUP, j->rows, T, C_NPOINTS + 1, NCOLS, col_names, err);
    for (size_t i = 0; i < N; i++)
        ints[i] = j->idx[i];
    if (rc == GROK_OK) rc = grok_run_write_i64(out, GROUP, "points", ints, 1, &N, err);
    free(ints);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, GROUP, "sample", o->sample, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, GROUP, "seed", o->seed, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, GROUP, "projections", o->projections, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, GROUP, "exact", o->exact, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(out, GROUP, "steps", steps, err);
    return rc;
}

static const struct grok_analysis_def align_def = {
    .program = "grok-align",
    .group = GROUP,
    .seeded = 1,
    .open = align_open,
    .setup = align_setup,
    .unit = align_unit,
    .write_table = align_table,
    .write_group = align_group,
};

int grok_align_run(const struct grok_align_opts *o, const struct grok_analysis_io *io)
{
    struct job j = {.o = o, .R = o->projections,
                    .mode = o->exact ? GROK_JAC_FULL : o->projections ? GROK_JAC_PROJECT : GROK_JAC_EXACT};
    int rc = grok_analysis_run(&align_def, &j, io, o->seed);
    job_free(&j);
    return rc;
}
