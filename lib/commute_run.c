/* grok-commute's analysis: commutator defects along a run's path, one snapshot per unit of the
 * analysis driver, the samples of a snapshot split between its workers. */
#include "grok/commute_run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "grok/analysis.h"
#include "grok/fpenv.h"
#include "grok/pca.h"
#include "grok/pca_basis.h"
#include "grok/runmodel.h"
#include "grok/tsv.h"

#define GROUP "/commute"

/* ---- the measurement ----------------------------------------------------------------------- */

/* The columns of /commute and of the table, one value per snapshot. */
enum col { C_D, C_Q1, C_Q3, C_PAR, C_PERP, C_RHO, C_SHARE, C_SHARE_RANDOM, C_RATIO, C_ALIGN,
           C_ALIGN_RANDOM, NCOLS };
static const char *col_names[NCOLS] = {"D_median", "D_q1", "D_q3", "D_par", "D_perp", "rho",
                                       "share_in", "share_random", "ratio", "align",
                                       "align_random"};

struct job {
    gsl_rng *rng;                  /* the driver's: the random bases, then the minibatches */
    struct grok_array B;           /* the basis read (its data is `basis` below) */
    char basis_note[GROK_MAX_NAME + 1100];   /* where the basis came from, for the output */
    int32_t *tokens, *y;           /* the training examples */
    int ntrain;
    double *rows, *samples;        /* (T, NCOLS) the summary per snapshot, (T, K) the defects */
    double *tmp, *next, *prev;     /* 2K, n, n */
    float *buf;                    /* (n) a snapshot as stored */
    const struct grok_commute_opts *o;
    struct grok_model model;
    struct grok_model_gradient mg;
    struct grok_gradient f;
    struct grok_pool *pool;        /* the driver's, or NULL */
    int nworkers;
    size_t n;                      /* parameters */
    int K, R;
    double *theta, *step;          /* (n) the snapshot and the step to the next one (or from the
                                    * previous one, at the last) */
    double step_norm;
    const double *basis;           /* (n, C) or NULL */
    size_t C;
    double *random;                /* (R, n, C) random orthonormal bases */
    int *batches;                  /* (2K, batch) */
    double **scratch, **delta, **coef;   /* per worker: 4n, n, C */
    double *D, *par, *perp, *norm, *align, *rshare;   /* per sample: K each, rshare (K, R) */
    double *ab;                    /* (K) ‖η g_A‖ ‖η g_B‖ */
};

/* Worker w's samples: k = w, w + nworkers, ... — each sample's numbers depend on its own
 * minibatches only, so the result is the same for any number of threads. A signal stops the
 * samples where they are (a snapshot of a large -K takes minutes); main sees the flag and
 * discards them. */
static void sample_run(void *ctx, int w)
{
    struct job *j = ctx;
    double *delta = j->delta[w];
    for (int k = w; k < j->K && !grok_interrupted(); k += j->nworkers) {
        double sa, sb, in, out;
        j->D[k] = grok_commute_defect(&j->f, w, j->theta, j->o->eta, 2 * k, 2 * k + 1,
                                      j->scratch[w], delta, &sa, &sb);
        j->ab[k] = sa * sb;
        double nd = 0, dot = 0;
        for (size_t i = 0; i < j->n; i++) {
            nd += delta[i] * delta[i];
            dot += delta[i] * j->step[i];
        }
        j->norm[k] = sqrt(nd);
        j->align[k] = j->norm[k] > 0 && j->step_norm > 0 ? fabs(dot) / (j->norm[k] * j->step_norm) : NAN;
        if (!j->basis)
            continue;
        grok_subspace_split(j->basis, j->n, j->C, delta, j->coef[w], &in, &out);
        j->par[k] = in;
        j->perp[k] = out;
        for (int r = 0; r < j->R; r++) {
            grok_subspace_split(j->random + (size_t)r * j->n * j->C, j->n, j->C, delta, j->coef[w],
                                &in, &out);
            j->rshare[(size_t)k * (size_t)j->R + (size_t)r] = j->norm[k] > 0 ? in / j->norm[k] : NAN;
        }
    }
}

/* The median of n values x[0], x[stride], ...; sorted: n values of scratch. */
static double median_of(const double *x, size_t stride, size_t n, double *sorted)
{
    for (size_t i = 0; i < n; i++)
        sorted[i] = x[i * stride];
    gsl_sort(sorted, 1, n);
    return gsl_stats_median_from_sorted_data(sorted, 1, n);
}

/* The median over the samples of num/den (nan where den is 0). */
static double median_ratio(const double *num, const double *den, size_t K, double *v, double *sorted)
{
    for (size_t k = 0; k < K; k++)
        v[k] = den[k] > 0 ? num[k] / den[k] : NAN;
    return median_of(v, 1, K, sorted);
}

/* One snapshot's row from its K samples. tmp: 2K values of scratch. */
static void summarise(struct job *j, double *row, double *tmp)
{
    size_t K = (size_t)j->K;
    double *v = tmp + K;
    row[C_D] = median_of(j->D, 1, K, tmp); /* leaves tmp sorted, for the quartiles */
    row[C_Q1] = gsl_stats_quantile_from_sorted_data(tmp, 1, K, 0.25);
    row[C_Q3] = gsl_stats_quantile_from_sorted_data(tmp, 1, K, 0.75);
    row[C_ALIGN] = gsl_stats_mean(j->align, 1, K);
    row[C_ALIGN_RANDOM] = sqrt(2 / (3.14159265358979323846 * (double)j->n)); /* E|cos| of random directions */
    for (int c = C_PAR; c <= C_RATIO; c++)
        row[c] = NAN;
    if (!j->basis)
        return;
    row[C_PAR] = median_ratio(j->par, j->ab, K, v, tmp);
    row[C_PERP] = median_ratio(j->perp, j->ab, K, v, tmp);
    row[C_RHO] = median_ratio(j->perp, j->norm, K, v, tmp);
    row[C_SHARE] = median_ratio(j->par, j->norm, K, v, tmp);
    double sum = 0;
    for (int r = 0; r < j->R; r++)
        sum += median_of(j->rshare + r, (size_t)j->R, K, tmp);
    row[C_SHARE_RANDOM] = j->R > 0 ? sum / j->R : NAN;
    row[C_RATIO] = row[C_SHARE] / row[C_SHARE_RANDOM];
}

/* ---- set-up --------------------------------------------------------------------------------- */

/* The largest |BᵀB − I| a basis may show (load_basis says why this much). */
#define ORTHONORMAL_TOL 1e-6

/* The basis: --basis RUN's /pca/basis, else the input's own, else none (j->basis stays NULL).
 * It must be over this model's parameters, finite and orthonormal. */
static int load_basis(struct job *j, struct grok_run *in, struct grok_err *err)
{
    struct grok_run *other = NULL;
    struct grok_run *from = in;
    if (j->o->basis_path) {
        if (!(other = grok_run_open(j->o->basis_path, err)))
            return err->code;
        from = other;
    }
    snprintf(j->basis_note, sizeof j->basis_note, "none");
    int rc = grok_pca_basis_read(from, j->n, &j->B, err);
    if (rc == GROK_ENOTFOUND && !other) /* the input's own basis is optional */
        rc = GROK_OK;
    if (rc != GROK_OK || !j->B.data)
        goto out;
    /* ρ and the shares take the columns as orthonormal. grok-pca's QR in double leaves
     * |BᵀB − I| near 1e-15, and a basis rounded to float32 on its way through another tool about
     * 1e-9; 1e-6 passes both and moves no share by more than about 1e-6 of itself. */
    double off;
    if ((rc = grok_orthonormality_error(j->B.data, j->n, j->B.shape[1], &off, err)) != GROK_OK)
        goto out;
    if (off > ORTHONORMAL_TOL) {
        rc = grok_err_set(err, GROK_EFORMAT, "%s: /pca/basis is not orthonormal (|B^T B - I| "
                          "reaches %.3g, above %g): rho and the shares would be wrong",
                          grok_run_name(from), off, ORTHONORMAL_TOL);
        goto out;
    }
    j->basis = j->B.data;
    j->C = j->B.shape[1];
    snprintf(j->basis_note, sizeof j->basis_note, "%s:/pca/basis (%zu columns)", grok_run_name(from), j->C);
out:
    if (rc != GROK_OK)
        grok_array_free(&j->B);
    grok_run_close(other);
    return rc;
}

/* R random orthonormal bases of the basis's rank: the control for the in-subspace share. */
static int draw_random_bases(struct job *j, struct grok_err *err)
{
    if (!j->basis || j->R == 0)
        return GROK_OK;
    size_t per = j->n * j->C;
    if (!(j->random = malloc((size_t)j->R * per * sizeof *j->random)))
        return grok_err_set(err, GROK_ENOMEM, "out of memory for %d random bases", j->R);
    for (int r = 0; r < j->R; r++) {
        double *Q = j->random + (size_t)r * per;
        for (size_t i = 0; i < per; i++)
            Q[i] = gsl_ran_gaussian(j->rng, 1.0);
        int rc = grok_orthonormalise(Q, j->n, j->C, err);
        if (rc != GROK_OK)
            return rc;
    }
    return GROK_OK;
}

static int setup_workers(struct job *j, struct grok_analysis *a, struct grok_err *err)
{
    int threads = grok_threads(j->o->threads);
    j->nworkers = threads < j->K ? threads : j->K;
    if (j->nworkers > GROK_POOL_MAX)
        j->nworkers = GROK_POOL_MAX;
    int rc = grok_model_gradient_init(&j->mg, &j->model, j->tokens, j->y, j->o->batch, j->o->use_float,
                                      j->nworkers, err);
    if (rc != GROK_OK)
        return rc;
    j->f = grok_model_gradient_oracle(&j->mg);
    size_t W = (size_t)j->nworkers, K = (size_t)j->K, R = (size_t)(j->R ? j->R : 1);
    j->scratch = calloc(W, sizeof *j->scratch);
    j->delta = calloc(W, sizeof *j->delta);
    j->coef = calloc(W, sizeof *j->coef);
    j->batches = malloc(2 * K * (size_t)j->o->batch * sizeof *j->batches);
    j->D = malloc(K * sizeof *j->D);
    j->par = malloc(K * sizeof *j->par);
    j->perp = malloc(K * sizeof *j->perp);
    j->norm = malloc(K * sizeof *j->norm);
    j->align = malloc(K * sizeof *j->align);
    j->ab = malloc(K * sizeof *j->ab);
    j->rshare = malloc(K * R * sizeof *j->rshare);
    j->theta = malloc(j->n * sizeof *j->theta);
    j->step = malloc(j->n * sizeof *j->step);
    int ok = j->scratch && j->delta && j->coef && j->batches && j->D && j->par && j->perp &&
             j->norm && j->align && j->ab && j->rshare && j->theta && j->step;
    for (size_t w = 0; ok && w < W; w++) {
        j->scratch[w] = malloc(4 * j->n * sizeof **j->scratch);
        j->delta[w] = malloc(j->n * sizeof **j->delta);
        j->coef[w] = malloc((j->C ? j->C : 1) * sizeof **j->coef);
        ok = j->scratch[w] && j->delta[w] && j->coef[w];
    }
    if (!ok)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    j->f.ctx = &j->mg;
    j->mg.batches = j->batches;
    /* --float runs the training code late in a run, where subnormals slow it as they slow
     * grok-train; in double they are far below anything a defect holds */
    grok_fpenv_flush_subnormals();
    if ((rc = grok_analysis_workers(a, j->nworkers, err)) != GROK_OK)
        return rc;
    j->pool = a->pool; /* the threads are the samples' */
    return GROK_OK;
}

static void job_free(struct job *j)
{
    for (int w = 0; w < j->nworkers; w++) {
        if (j->scratch) free(j->scratch[w]);
        if (j->delta) free(j->delta[w]);
        if (j->coef) free(j->coef[w]);
    }
    free(j->scratch);
    free(j->delta);
    free(j->coef);
    grok_model_gradient_free(&j->mg);
    grok_model_free(&j->model);
    grok_array_free(&j->B);
    free(j->random);
    free(j->batches);
    free(j->D);
    free(j->par);
    free(j->perp);
    free(j->norm);
    free(j->align);
    free(j->ab);
    free(j->rshare);
    free(j->theta);
    free(j->step);
    free(j->tokens);
    free(j->y);
    free(j->rows);
    free(j->samples);
    free(j->tmp);
    free(j->next);
    free(j->prev);
    free(j->buf);
}

/* ---- the driver's hooks ------------------------------------------------------------------------ */

static int commute_open(void *ctx, struct grok_analysis *a, struct grok_err *err)
{
    struct job *j = ctx;
    int rc = grok_model_from_run(&j->model, a->in, err);
    j->n = j->model.n_params;
    return rc;
}

static int commute_setup(void *ctx, struct grok_analysis *a, long long *units, struct grok_err *err)
{
    struct job *j = ctx;
    j->rng = a->rng;   /* the driver's, seeded with --seed */
    int rc;
    if ((rc = grok_model_examples(a->in, "train", &j->tokens, &j->y, &j->ntrain, err)) != GROK_OK)
        return rc;
    if (a->T == 0)
        return grok_err_set(err, GROK_ENOTFOUND, "%s: no snapshot has a step in the range of -s",
                            grok_run_name(a->in));
    if ((rc = load_basis(j, a->in, err)) != GROK_OK || (rc = draw_random_bases(j, err)) != GROK_OK ||
        (rc = setup_workers(j, a, err)) != GROK_OK)
        return rc;
    size_t T = a->T;
    j->rows = malloc(T * NCOLS * sizeof *j->rows);
    j->samples = malloc(T * (size_t)j->K * sizeof *j->samples);
    j->tmp = malloc(2 * (size_t)j->K * sizeof *j->tmp);
    j->next = malloc(j->n * sizeof *j->next);
    j->prev = malloc(j->n * sizeof *j->prev);
    j->buf = malloc(j->n * sizeof *j->buf);
    if (!j->rows || !j->samples || !j->tmp || !j->next || !j->prev || !j->buf)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    *units = (long long)T;
    return GROK_OK;
}

/* Snapshot t: theta ← it, step ← towards the next one (from the previous, at the last), then
 * its K samples. */
static int commute_unit(void *ctx, struct grok_analysis *a, long long u, struct grok_err *err)
{
    struct job *j = ctx;
    size_t t = (size_t)u, T = a->T;
    int rc;
    if (t == 0 && (rc = grok_model_load_f64(&j->model, a->in, a->steps[0], j->buf, j->next, err)) != GROK_OK)
        return rc;
    memcpy(j->prev, j->theta, j->n * sizeof *j->prev);
    memcpy(j->theta, j->next, j->n * sizeof *j->next);
    if (t + 1 < T &&
        (rc = grok_model_load_f64(&j->model, a->in, a->steps[t + 1], j->buf, j->next, err)) != GROK_OK)
        return rc;
    j->step_norm = 0;
    for (size_t i = 0; T > 1 && i < j->n; i++) {
        j->step[i] = t + 1 < T ? j->next[i] - j->theta[i] : j->theta[i] - j->prev[i];
        j->step_norm += j->step[i] * j->step[i];
    }
    j->step_norm = sqrt(j->step_norm);
    for (size_t i = 0; i < 2 * (size_t)j->K * (size_t)j->o->batch; i++)
        j->batches[i] = (int)gsl_rng_uniform_int(j->rng, (unsigned long)j->ntrain);
    grok_pool_run(j->pool, sample_run, j);
    if (grok_interrupted()) /* the samples are incomplete; the driver sees the signal too */
        return GROK_OK;
    for (int k = 0; k < j->K; k++)
        if (!isfinite(j->D[k]) || !isfinite(j->ab[k]))
            return grok_err_set(err, GROK_EFORMAT, "%s: the defect at step %lld is not finite "
                                "(sample %d of %d, --eta %g)", grok_run_name(a->in),
                                a->steps[t], k + 1, j->K, j->o->eta);
    summarise(j, j->rows + t * NCOLS, j->tmp);
    memcpy(j->samples + t * (size_t)j->K, j->D, (size_t)j->K * sizeof *j->samples);
    return GROK_OK;
}

static void commute_table(void *ctx, struct grok_analysis *a, FILE *f)
{
    struct job *j = ctx;
    const struct grok_commute_opts *o = j->o;
    struct grok_tsv_writer w;
    char buf[64];
    grok_tsv_init(&w, f);
    grok_tsv_meta(&w, "run", grok_run_name(a->in));
    grok_tsv_meta(&w, "basis", j->basis_note);
    snprintf(buf, sizeof buf, "K %d, batch %d, eta %g, seed %lld", o->K, o->batch, o->eta, o->seed);
    grok_tsv_meta(&w, "samples", buf);
    grok_tsv_str(&w, "step");
    for (int c = 0; c < NCOLS; c++)
        grok_tsv_str(&w, col_names[c]);
    grok_tsv_end_row(&w);
    for (size_t t = 0; t < a->T; t++) {
        grok_tsv_i64(&w, a->steps[t]);
        for (int c = 0; c < NCOLS; c++)
            grok_tsv_f64(&w, j->rows[t * NCOLS + (size_t)c]);
        grok_tsv_end_row(&w);
    }
}

static int commute_group(void *ctx, struct grok_analysis *a, struct grok_err *err)
{
    struct job *j = ctx;
    const struct grok_commute_opts *o = j->o;
    struct grok_run *out = a->out;
    size_t T = a->T, TK[2] = {T, (size_t)o->K};
    const char *steps = grok_analysis_steps(a);
    int rc = grok_run_write_i64(out, GROUP, "step", a->steps, 1, &T, err);
    if (rc == GROK_OK) rc = grok_run_write_columns(out, GROUP, j->rows, T, 0, NCOLS, col_names, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(out, GROUP, "D", j->samples, 2, TK, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, GROUP, "K", o->K, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, GROUP, "batch", o->batch, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_double(out, GROUP, "eta", o->eta, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, GROUP, "seed", o->seed, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, GROUP, "random_bases", o->random_bases, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(out, GROUP, "basis", j->basis_note, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(out, GROUP, "precision", o->use_float ? "float" : "double", err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(out, GROUP, "steps", steps, err);
    return rc;
}

int grok_commute_defects_read(struct grok_run *run, struct grok_array *step, struct grok_array *D,
                              struct grok_err *err)
{
    int rc = GROK_OK;
    *step = (struct grok_array){0};
    *D = (struct grok_array){0};
    if (!grok_run_exists(run, GROUP))
        return GROK_OK;
    if ((rc = grok_run_read(run, GROUP "/step", GROK_F64, step, err)) == GROK_OK &&
        (rc = grok_run_read(run, GROUP "/D_median", GROK_F64, D, err)) == GROK_OK && D->n != step->n)
        rc = grok_err_set(err, GROK_EFORMAT, "%s: " GROUP "/D_median has %zu values, " GROUP
                          "/step has %zu", grok_run_name(run), D->n, step->n);
    if (rc != GROK_OK) {
        grok_array_free(step);
        grok_array_free(D);
    }
    return rc;
}

static const struct grok_analysis_def commute_def = {
    .program = "grok-commute",
    .group = GROUP,
    .seeded = 1,
    .open = commute_open,
    .setup = commute_setup,
    .unit = commute_unit,
    .write_table = commute_table,
    .write_group = commute_group,
};

int grok_commute_run(const struct grok_commute_opts *o, const struct grok_analysis_io *io)
{
    struct job j = {.o = o, .K = o->K, .R = o->random_bases};
    int rc = grok_analysis_run(&commute_def, &j, io, o->seed);
    job_free(&j);
    return rc;
}
