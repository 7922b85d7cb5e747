/* grok-commute's analysis: commutator defects along a run's path, one snapshot per unit of the
 * analysis driver, the samples of a snapshot split between its workers; the phases of training
 * and the summary by phase. */
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
#include "grok/metrics.h"
#include "grok/pca.h"
#include "grok/pca_basis.h"
#include "grok/runmodel.h"
#include "grok/svd_basis.h"
#include "grok/tsv.h"

#define GROUP "/commute"

/* ---- the measurement ----------------------------------------------------------------------- */

/* The columns of /commute and of the table, one value per snapshot. */
enum col { C_D, C_Q1, C_Q3, C_PAR, C_PERP, C_RHO, C_SHARE, C_SHARE_RANDOM, C_RATIO, C_ALIGN,
           C_ALIGN_RANDOM, C_TRAIN_ACC, C_TEST_ACC, NCOLS };
static const char *col_names[NCOLS] = {"D_median", "D_q1", "D_q3", "D_par", "D_perp", "rho",
                                       "share_in", "share_random", "ratio", "align",
                                       "align_random", "train_acc", "test_acc"};

const char *const grok_phase_names[GROK_PHASES] = {"early", "memorisation", "transition",
                                                   "post-grok"};

/* The columns of the summary by phase (the table's, after `phase`; /commute/phases's). */
enum pcol { P_N, P_FIRST, P_LAST, P_RATIO, P_SHARE, P_SHARE_RANDOM, P_D, NPCOLS };
static const char *pcol_names[NPCOLS] = {"snapshots", "step_first", "step_last", "ratio",
                                         "share_in", "share_random", "D_median"};

struct job {
    gsl_rng *rng;                  /* the driver's: the random bases, then the minibatches */
    struct grok_array B;           /* the basis read (its data is `basis` below) */
    struct grok_svd_basis svd;     /* with --basis svd:K: the local basis's matrices */
    double *svd_B;                 /* (n, C) with --basis svd:K: the basis at this snapshot */
    size_t svd_min;                /* the fewest columns it had at a snapshot */
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
    const double *basis;           /* (n, Ct) or NULL */
    size_t C;                      /* the most columns the basis has: the random bases' */
    size_t Ct;                     /* the columns it has at this snapshot (C but for a local
                                    * basis that left out a singular value 0) */
    double *random;                /* (R, n, C) random orthonormal bases; a snapshot uses the
                                    * first Ct columns of each */
    int have_phases;               /* the run has /metrics/train_acc and test_acc */
    double *ptmp;                  /* (T) scratch of the phases' medians */
    double *train_acc, *test_acc;  /* (T) at or before each snapshot's step, nan: none */
    int *phase;                    /* (T) enum grok_phase */
    double prow[GROK_PHASES][NPCOLS];   /* the summary by phase */
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
        grok_subspace_split(j->basis, j->n, j->Ct, delta, j->coef[w], &in, &out);
        j->par[k] = in;
        j->perp[k] = out;
        for (int r = 0; r < j->R; r++) {
            in = grok_subspace_part_in(j->random + (size_t)r * j->n * j->C, j->n, j->C, j->Ct, delta, j->coef[w]);
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
    if (!j->basis || j->Ct == 0)
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

/* --basis svd:K: the matrices of the local basis (-p, or the attention matrices) and room for
 * it; the basis itself is computed at each snapshot. */
static int setup_svd(struct job *j, struct grok_analysis *a, struct grok_err *err)
{
    const struct grok_selection *sel = a->sel;
    int rc = grok_svd_basis_init(&j->svd, &j->model, sel->globs, sel->nglobs, j->o->svd_k, err);
    if (rc != GROK_OK) {
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        return grok_err_set(err, rc, "%s: --basis svd:%d: %s", grok_run_name(a->in), j->o->svd_k, why);
    }
    j->C = j->Ct = j->svd_min = j->svd.max_cols;
    if (!(j->svd_B = malloc(j->n * j->C * sizeof *j->svd_B)))
        return grok_err_set(err, GROK_ENOMEM, "out of memory for a basis of %zu x %zu", j->n, j->C);
    j->basis = j->svd_B;
    return GROK_OK;
}

/* The basis's description for the output (basis_note), once the snapshots are done: a local
 * basis says how many columns it had. */
static void svd_note(struct job *j, const struct grok_analysis *a)
{
    char globs[512], fewer[96] = "";
    char *dflt[1] = {(char *)GROK_SVD_BASIS_GLOB};
    int n = a->sel->nglobs;
    grok_globs_join(globs, sizeof globs, n ? a->sel->globs : dflt, n ? n : 1);
    if (j->svd_min < j->C)
        snprintf(fewer, sizeof fewer, ", %zu at some snapshot (a singular value 0)", j->svd_min);
    snprintf(j->basis_note, sizeof j->basis_note, "svd:%d, local: the top %d singular directions "
             "of %s (%d matrices) at each snapshot (%zu columns%s)", j->o->svd_k, j->o->svd_k,
             globs, j->svd.nmat, j->C, fewer);
}

/* The basis: --basis svd:K's local one, else --basis RUN's /pca/basis, else the input's own,
 * else none (j->basis stays NULL). A /pca/basis must be over this model's parameters, finite and
 * orthonormal. */
static int load_basis(struct job *j, struct grok_analysis *a, struct grok_err *err)
{
    if (j->o->svd_k)
        return setup_svd(j, a, err);
    struct grok_run *in = a->in;
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
    /* ρ and the shares take the columns as orthonormal */
    if ((rc = grok_pca_basis_check_orthonormal(from, &j->B, ": rho and the shares would be wrong", err)) != GROK_OK)
        goto out;
    j->basis = j->B.data;
    j->C = j->Ct = j->B.shape[1];
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

enum grok_phase grok_commute_phase(const struct grok_commute_opts *o, double train_acc,
                                   double test_acc)
{
    if (isnan(train_acc) || isnan(test_acc))
        return GROK_PHASE_NONE;
    if (test_acc >= o->phase_test_high)
        return GROK_PHASE_POST_GROK;
    if (train_acc >= o->phase_train)
        return test_acc < o->phase_test_low ? GROK_PHASE_MEMORISATION : GROK_PHASE_TRANSITION;
    return GROK_PHASE_EARLY;
}

/* Each snapshot's accuracies, from the last /metrics row at or before its step (the evaluation
 * that step was classed by; grok-train evaluates at step 0), and its phase. A run without
 * /metrics step, train_acc and test_acc leaves nan and GROK_PHASE_NONE everywhere, and fails only
 * the phases table, which needs them. */
static int setup_phases(struct job *j, struct grok_analysis *a, struct grok_err *err)
{
    static const char *const names[2] = {"train_acc", "test_acc"};
    struct grok_array st = {0}, acc[2] = {{0}, {0}};
    size_t T = a->T;
    struct grok_err why;
    j->train_acc = malloc(T * sizeof *j->train_acc);
    j->test_acc = malloc(T * sizeof *j->test_acc);
    j->phase = malloc(T * sizeof *j->phase);
    j->ptmp = malloc(T * sizeof *j->ptmp);
    if (!j->train_acc || !j->test_acc || !j->phase || !j->ptmp)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    for (size_t t = 0; t < T; t++) {
        j->train_acc[t] = j->test_acc[t] = NAN;
        j->phase[t] = GROK_PHASE_NONE;
    }
    if (grok_metrics_read(a->in, GROK_I64, &st, names, 2, acc, &why) != GROK_OK) {
        if (a->table && j->o->table == GROK_COMMUTE_TABLE_PHASES)
            return grok_err_set(err, why.code, "%s (-t phases needs the run's accuracies)", why.msg);
        return GROK_OK;
    }
    j->have_phases = 1;
    const long long *s = st.data;
    const double *tr = acc[0].data, *te = acc[1].data;
    size_t r = 0;   /* rows at or before the snapshot's step (the steps of both increase) */
    for (size_t t = 0; t < T; t++) {
        while (r < st.n && s[r] <= a->steps[t])
            r++;
        if (r == 0)
            continue;
        j->train_acc[t] = tr[r - 1];
        j->test_acc[t] = te[r - 1];
        j->phase[t] = grok_commute_phase(j->o, tr[r - 1], te[r - 1]);
    }
    grok_array_free(&st);
    grok_array_free(&acc[0]);
    grok_array_free(&acc[1]);
    return GROK_OK;
}

/* The median of the finite values among x[0], x[stride], ... (n of them) of snapshots in phase
 * p; nan when there is none. */
static double phase_median(const struct job *j, const double *x, size_t stride, size_t n, int p)
{
    size_t m = 0;
    for (size_t t = 0; t < n; t++)
        if (j->phase[t] == p && isfinite(x[t * stride]))
            j->ptmp[m++] = x[t * stride];
    if (m == 0)
        return NAN;
    gsl_sort(j->ptmp, 1, m);
    return gsl_stats_median_from_sorted_data(j->ptmp, 1, m);
}

/* The summary by phase (prow): each phase's snapshots, first and last step, and the medians over
 * them of the per-snapshot ratio, shares and D. */
static void summarise_phases(struct job *j, const struct grok_analysis *a)
{
    static const int from[NPCOLS] = {[P_RATIO] = C_RATIO, [P_SHARE] = C_SHARE,
                                     [P_SHARE_RANDOM] = C_SHARE_RANDOM, [P_D] = C_D};
    for (int p = 0; p < GROK_PHASES; p++) {
        double *pr = j->prow[p];
        pr[P_N] = 0;
        pr[P_FIRST] = pr[P_LAST] = NAN;
        for (size_t t = 0; t < a->T; t++)
            if (j->phase[t] == p) {
                if (pr[P_N]++ == 0)
                    pr[P_FIRST] = (double)a->steps[t];
                pr[P_LAST] = (double)a->steps[t];
            }
        for (int c = P_RATIO; c < NPCOLS; c++)
            pr[c] = phase_median(j, j->rows + from[c], NCOLS, a->T, p);
    }
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
    grok_svd_basis_free(&j->svd);
    free(j->svd_B);
    free(j->train_acc);
    free(j->test_acc);
    free(j->phase);
    free(j->ptmp);
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
    /* One BLAS thread even with one worker (grok_analysis_workers leaves BLAS alone then): the
     * QRs of the random bases and the local basis's SVDs and QR keep one order of their sums,
     * whatever --threads and the machine's cores. */
    grok_blas_threads(1);
    if ((rc = grok_model_examples(a->in, "train", &j->tokens, &j->y, &j->ntrain, err)) != GROK_OK)
        return rc;
    if (a->T == 0)
        return grok_err_set(err, GROK_ENOTFOUND, "%s: no snapshot has a step in the range of -s",
                            grok_run_name(a->in));
    if ((rc = setup_phases(j, a, err)) != GROK_OK || (rc = load_basis(j, a, err)) != GROK_OK || (rc = draw_random_bases(j, err)) != GROK_OK ||
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
        j->step[i] = !j->o->align_next ? (t > 0 ? j->theta[i] - j->prev[i] : 0)
                     : t + 1 < T ? j->next[i] - j->theta[i] : j->theta[i] - j->prev[i];
        j->step_norm += j->step[i] * j->step[i];
    }
    j->step_norm = sqrt(j->step_norm);
    if (j->o->svd_k) {
        if ((rc = grok_svd_basis_compute(&j->svd, j->theta, j->svd_B, &j->Ct, NULL, err)) != GROK_OK) {
            char why[sizeof err->msg];
            snprintf(why, sizeof why, "%s", err->msg);
            return grok_err_set(err, rc, "%s: the local basis at step %lld: %s", grok_run_name(a->in),
                                a->steps[t], why);
        }
        j->svd_min = j->Ct < j->svd_min ? j->Ct : j->svd_min;
    }
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
    j->rows[t * NCOLS + C_TRAIN_ACC] = j->train_acc[t];
    j->rows[t * NCOLS + C_TEST_ACC] = j->test_acc[t];
    memcpy(j->samples + t * (size_t)j->K, j->D, (size_t)j->K * sizeof *j->samples);
    return GROK_OK;
}

/* The phases' thresholds, as the tables' metadata and /commute/phases@rule say them. */
static void phase_rule(const struct grok_commute_opts *o, char *buf, size_t size)
{
    snprintf(buf, size, "post-grok: test_acc >= %g; memorisation: train_acc >= %g and test_acc < %g; "
             "transition: train_acc >= %g; early: the rest (the last /metrics row at or before "
             "each step)", o->phase_test_high, o->phase_train, o->phase_test_low, o->phase_train);
}

/* The output's description of what was done: the basis, samples and phases. */
static void table_meta(struct job *j, struct grok_analysis *a, struct grok_tsv_writer *w)
{
    const struct grok_commute_opts *o = j->o;
    char buf[512];
    grok_tsv_meta(w, "run", grok_run_name(a->in));
    grok_tsv_meta(w, "basis", j->basis_note);
    snprintf(buf, sizeof buf, "K %d, batch %d, eta %g, seed %lld", o->K, o->batch, o->eta, o->seed);
    grok_tsv_meta(w, "samples", buf);
    phase_rule(o, buf, sizeof buf);
    grok_tsv_meta(w, "phases", j->have_phases ? buf : "none: the run has no /metrics accuracies");
}

static void table_snapshots(struct job *j, struct grok_analysis *a, struct grok_tsv_writer *w)
{
    grok_tsv_str(w, "step");
    for (int c = 0; c < NCOLS; c++)
        grok_tsv_str(w, col_names[c]);
    grok_tsv_str(w, "phase");
    grok_tsv_end_row(w);
    for (size_t t = 0; t < a->T; t++) {
        grok_tsv_i64(w, a->steps[t]);
        for (int c = 0; c < NCOLS; c++)
            grok_tsv_f64(w, j->rows[t * NCOLS + (size_t)c]);
        grok_tsv_str(w, j->phase[t] >= 0 ? grok_phase_names[j->phase[t]] : "nan");
        grok_tsv_end_row(w);
    }
}

static void table_phases(struct job *j, struct grok_tsv_writer *w)
{
    grok_tsv_str(w, "phase");
    for (int c = 0; c < NPCOLS; c++)
        grok_tsv_str(w, pcol_names[c]);
    grok_tsv_end_row(w);
    for (int p = 0; p < GROK_PHASES; p++) {
        grok_tsv_str(w, grok_phase_names[p]);
        grok_tsv_i64(w, (long long)j->prow[p][P_N]);
        for (int c = P_FIRST; c < NPCOLS; c++) {
            double v = j->prow[p][c];
            if ((c == P_FIRST || c == P_LAST) && !isnan(v))
                grok_tsv_i64(w, (long long)v);   /* a step, written as one */
            else
                grok_tsv_f64(w, v);
        }
        grok_tsv_end_row(w);
    }
}

static void commute_table(void *ctx, struct grok_analysis *a, FILE *f)
{
    struct job *j = ctx;
    struct grok_tsv_writer w;
    if (j->o->svd_k)
        svd_note(j, a);
    summarise_phases(j, a);
    grok_tsv_init(&w, f);
    table_meta(j, a, &w);
    if (j->o->table == GROK_COMMUTE_TABLE_PHASES)
        table_phases(j, &w);
    else
        table_snapshots(j, a, &w);
}

/* The phases' names, comma-separated. */
static void phase_names(char *buf, size_t size)
{
    snprintf(buf, size, "%s,%s,%s,%s", grok_phase_names[0], grok_phase_names[1],
             grok_phase_names[2], grok_phase_names[3]);
}

/* /commute/phases: the summary by phase, a dataset per column over the phases in order. */
static int write_phases(struct job *j, struct grok_run *out, struct grok_err *err)
{
    static const char *const group = GROUP "/phases";
    double col[GROK_PHASES];
    size_t P = GROK_PHASES;
    char rule[512], names[128];
    int rc = GROK_OK;
    for (int c = 0; rc == GROK_OK && c < NPCOLS; c++) {
        for (int p = 0; p < GROK_PHASES; p++)
            col[p] = j->prow[p][c];
        rc = grok_run_write_f64(out, group, pcol_names[c], col, 1, &P, err);
    }
    phase_names(names, sizeof names);
    phase_rule(j->o, rule, sizeof rule);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(out, group, "phases", names, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(out, group, "rule", rule, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_double(out, group, "phase_train", j->o->phase_train, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_double(out, group, "phase_test_low", j->o->phase_test_low, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_double(out, group, "phase_test_high", j->o->phase_test_high, err);
    return rc;
}

static int commute_group(void *ctx, struct grok_analysis *a, struct grok_err *err)
{
    struct job *j = ctx;
    const struct grok_commute_opts *o = j->o;
    struct grok_run *out = a->out;
    size_t T = a->T, TK[2] = {T, (size_t)o->K};
    const char *steps = grok_analysis_steps(a);
    if (o->svd_k)
        svd_note(j, a);
    summarise_phases(j, a);
    long long *phase = malloc(T * sizeof *phase);
    if (!phase)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    for (size_t t = 0; t < T; t++)
        phase[t] = j->phase[t];
    int rc = grok_run_write_i64(out, GROUP, "step", a->steps, 1, &T, err);
    if (rc == GROK_OK) rc = grok_run_write_columns(out, GROUP, j->rows, T, 0, NCOLS, col_names, err);
    if (rc == GROK_OK) rc = grok_run_write_i64(out, GROUP, "phase", phase, 1, &T, err);
    free(phase);
    char names[128];
    phase_names(names, sizeof names);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(out, GROUP "/phase", "phases", names, err);
    if (rc == GROK_OK && j->have_phases) rc = write_phases(j, out, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(out, GROUP, "D", j->samples, 2, TK, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, GROUP, "K", o->K, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, GROUP, "batch", o->batch, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_double(out, GROUP, "eta", o->eta, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, GROUP, "seed", o->seed, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, GROUP, "random_bases", o->random_bases, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(out, GROUP, "basis", j->basis_note, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(out, GROUP, "precision", o->use_float ? "float" : "double", err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(out, GROUP, "align_step", o->align_next ? "next" : "previous", err);
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
