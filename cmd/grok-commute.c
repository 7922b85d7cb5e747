/* grok-commute: commutator defects of SGD steps along a run's path, inside and outside the
 * execution subspace (P1). */
#include "grok/cli.h"
#include "grok/commute.h"
#include "grok/fpenv.h"
#include "grok/history.h"
#include "grok/model.h"
#include "grok/pca.h"
#include "grok/pool.h"
#include "grok/progress.h"
#include "grok/run.h"
#include "grok/runmodel.h"
#include "grok/select.h"
#include "grok/snapshots.h"
#include "grok/tsv.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

static const char usage[] =
    "Usage: grok-commute [options] [RUN]\n"
    "Commutator defects along a run's path (P1): two SGD steps on minibatches A and B taken in\n"
    "both orders, D = |theta_AB - theta_BA| / (|eta g_A| |eta g_B|), and the share of the defect\n"
    "inside the execution subspace of grok-pca. RUN (with snapshots of every parameter) is read\n"
    "from standard input when absent or '-'.\n"
    "\n"
    "  -s, --steps FROM:TO[:EVERY]   the snapshots (default all)\n"
    "  -K, --samples K        pairs of minibatches per snapshot (default 9)\n"
    "      --batch N          examples per minibatch, drawn with replacement (default 512)\n"
    "      --eta ETA          the SGD step (default 1e-3)\n"
    "      --basis RUN        take /pca/basis from RUN (default: the input's own /pca)\n"
    "      --random-bases R   random orthonormal bases of the same rank, the control (default 5)\n"
    "      --seed N           seeds the minibatches and the random bases (default 0)\n"
    "      --threads N        threads, samples split between them; 0: all cores (default 0)\n"
    "      --float            gradients in float32 (grok-train's own code) instead of double\n"
    "  -t, --table            a table, one row per snapshot\n"
    "  -o, --output FILE      write to FILE (TSV when -t or FILE ends in .tsv, else a run)\n"
    "  -q, --quiet            no progress, only errors\n"
    "  -h, --help             this help;  -V, --version  the version\n"
    "\n"
    "Without -t the output is the run with /commute added (to a terminal, the table).\n"
    "Exit status: 0 success, 1 bad data or I/O failure, 2 bad usage, 130 interrupted.\n"
    "\n"
    "Examples:\n"
    "  grok-train --preset xu --p 23 --steps 1000 -q -o xu.h5\n"
    "  grok-pca xu.h5 | grok-commute -K 3 --batch 16 -s 0:500 -t\n";

struct opts {
    struct grok_common co;
    struct grok_selection sel;   /* -s */
    int K, batch, random_bases, threads, use_float;
    double eta;
    long long seed;
    const char *basis_path;
    const char *input;
};

static struct opts parse_args(int argc, char **argv)
{
    enum { OPT_BATCH = 256, OPT_ETA, OPT_BASIS, OPT_RANDOM, OPT_SEED, OPT_THREADS, OPT_FLOAT };
    static const struct option longopts[] = {
        GROK_COMMON_LONGOPTS,
        {"steps", required_argument, NULL, 's'},
        {"samples", required_argument, NULL, 'K'},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"eta", required_argument, NULL, OPT_ETA},
        {"basis", required_argument, NULL, OPT_BASIS},
        {"random-bases", required_argument, NULL, OPT_RANDOM},
        {"seed", required_argument, NULL, OPT_SEED},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"float", no_argument, NULL, OPT_FLOAT},
        {NULL, 0, NULL, 0},
    };
    static const char *const no_tables[] = {NULL};
    struct opts o = {.co.table_kinds = no_tables, .sel = {.steps = GROK_STEPS_ALL}, .K = 9, .batch = 512, .eta = 1e-3, .random_bases = 5};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, GROK_COMMON_SHORTOPTS "s:K:", longopts, NULL)) != -1) {
        if (grok_cli_common(c, argc, argv, &o.co, usage) || grok_cli_select(c, optarg, &o.sel))
            continue;
        switch (c) {
        case 'K': o.K = (int)grok_flag_int("-K", optarg, 1, 100000); break;
        case OPT_BATCH: o.batch = (int)grok_flag_int("--batch", optarg, 1, 1 << 24); break;
        case OPT_ETA:
            if (grok_flag_real(optarg, &o.eta) || !(o.eta > 0))
                grok_usage("--eta: bad value '%s' (a positive number, e.g. 1e-3)", optarg);
            break;
        case OPT_BASIS: o.basis_path = optarg; break;
        case OPT_RANDOM: o.random_bases = (int)grok_flag_int("--random-bases", optarg, 0, 1000); break;
        case OPT_SEED: o.seed = grok_flag_int("--seed", optarg, 0, 0xFFFFFFFFLL); break;
        case OPT_THREADS: o.threads = (int)grok_flag_int("--threads", optarg, 0, GROK_POOL_MAX); break;
        case OPT_FLOAT: o.use_float = 1; break;
        }
    }
    o.input = grok_cli_input(&o.co, argc, argv);
    return o;
}

/* ---- the measurement ----------------------------------------------------------------------- */

/* The columns of /commute and of the table, one value per snapshot. */
enum col { C_D, C_Q1, C_Q3, C_PAR, C_PERP, C_RHO, C_SHARE, C_SHARE_RANDOM, C_RATIO, C_ALIGN,
           C_ALIGN_RANDOM, NCOLS };
static const char *col_names[NCOLS] = {"D_median", "D_q1", "D_q3", "D_par", "D_perp", "rho",
                                       "share_in", "share_random", "ratio", "align",
                                       "align_random"};

struct job {
    const struct opts *o;
    struct grok_model model;
    struct grok_model_gradient mg;
    struct grok_gradient f;
    struct grok_pool *pool;
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

/* The basis: --basis RUN's /pca/basis, else the input's own, else none (*B stays NULL). It must
 * be over this model's parameters, finite and orthonormal. */
static int load_basis(struct job *j, struct grok_run *in, struct grok_array *B, char *source,
                      size_t cap, struct grok_err *err)
{
    struct grok_run *other = NULL;
    struct grok_run *from = in;
    int rc = GROK_OK;
    if (j->o->basis_path) {
        if (!(other = grok_run_open(j->o->basis_path, err)))
            return err->code;
        from = other;
    }
    snprintf(source, cap, "none");
    if (!grok_run_exists(from, "/pca/basis")) {
        if (other)
            rc = grok_err_set(err, GROK_ENOTFOUND, "%s: no /pca/basis (run grok-pca on it first)",
                              grok_run_name(other));
        goto out;
    }
    if ((rc = grok_run_read(from, "/pca/basis", GROK_F64, B, err)) != GROK_OK)
        goto out;
    if (B->rank != 2)
        rc = grok_err_set(err, GROK_EFORMAT, "%s: /pca/basis is not a 2-D [n_params, K] array",
                          grok_run_name(from));
    else if (B->shape[1] < 1)
        rc = grok_err_set(err, GROK_EFORMAT, "%s: /pca/basis has no columns", grok_run_name(from));
    else if (B->shape[0] != j->n)
        rc = grok_err_set(err, GROK_EFORMAT, "%s: /pca/basis has %zu rows, the model has %zu "
                          "parameters (a basis of another model?)", grok_run_name(from),
                          B->shape[0], j->n);
    if (rc != GROK_OK)
        goto out;
    for (size_t i = 0; i < B->n; i++)
        if (!isfinite(((double *)B->data)[i])) {
            rc = grok_err_set(err, GROK_EFORMAT, "%s: /pca/basis holds a value that is not finite",
                              grok_run_name(from));
            goto out;
        }
    /* ρ and the shares take the columns as orthonormal. grok-pca's QR in double leaves
     * |BᵀB − I| near 1e-15, and a basis rounded to float32 on its way through another tool about
     * 1e-9; 1e-6 passes both and moves no share by more than about 1e-6 of itself. */
    double off;
    if ((rc = grok_orthonormality_error(B->data, j->n, B->shape[1], &off, err)) != GROK_OK)
        goto out;
    if (off > ORTHONORMAL_TOL) {
        rc = grok_err_set(err, GROK_EFORMAT, "%s: /pca/basis is not orthonormal (|B^T B - I| "
                          "reaches %.3g, above %g): rho and the shares would be wrong",
                          grok_run_name(from), off, ORTHONORMAL_TOL);
        goto out;
    }
    j->basis = B->data;
    j->C = B->shape[1];
    snprintf(source, cap, "%s:/pca/basis (%zu columns)", grok_run_name(from), j->C);
out:
    if (rc != GROK_OK)
        grok_array_free(B);
    grok_run_close(other);
    return rc;
}

/* R random orthonormal bases of the basis's rank: the control for the in-subspace share. */
static int draw_random_bases(struct job *j, gsl_rng *rng, struct grok_err *err)
{
    if (!j->basis || j->R == 0)
        return GROK_OK;
    size_t per = j->n * j->C;
    if (!(j->random = malloc((size_t)j->R * per * sizeof *j->random)))
        return grok_err_set(err, GROK_ENOMEM, "out of memory for %d random bases", j->R);
    for (int r = 0; r < j->R; r++) {
        double *Q = j->random + (size_t)r * per;
        for (size_t i = 0; i < per; i++)
            Q[i] = gsl_ran_gaussian(rng, 1.0);
        int rc = grok_orthonormalise(Q, j->n, j->C, err);
        if (rc != GROK_OK)
            return rc;
    }
    return GROK_OK;
}

static int setup_workers(struct job *j, int32_t *tokens, int32_t *y, struct grok_err *err)
{
    int threads = grok_threads(j->o->threads);
    j->nworkers = threads < j->K ? threads : j->K;
    if (j->nworkers > GROK_POOL_MAX)
        j->nworkers = GROK_POOL_MAX;
    int rc = grok_model_gradient_init(&j->mg, &j->model, tokens, y, j->o->batch, j->o->use_float,
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
    if (j->nworkers > 1) {
        if (!(j->pool = grok_pool_new(j->nworkers, err)))
            return err->code;
        grok_blas_threads(1); /* the threads are the samples' */
    }
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
    grok_pool_free(j->pool);
    grok_model_gradient_free(&j->mg);
    grok_model_free(&j->model);
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
}

/* ---- output ----------------------------------------------------------------------------------- */

static void write_table(FILE *f, const char *run, const char *basis, const struct opts *o,
                        const long long *steps, const double *rows, size_t T)
{
    struct grok_tsv_writer w;
    char buf[64];
    grok_tsv_init(&w, f);
    grok_tsv_meta(&w, "run", run);
    grok_tsv_meta(&w, "basis", basis);
    snprintf(buf, sizeof buf, "K %d, batch %d, eta %g, seed %lld", o->K, o->batch, o->eta, o->seed);
    grok_tsv_meta(&w, "samples", buf);
    grok_tsv_str(&w, "step");
    for (int c = 0; c < NCOLS; c++)
        grok_tsv_str(&w, col_names[c]);
    grok_tsv_end_row(&w);
    for (size_t t = 0; t < T; t++) {
        grok_tsv_i64(&w, steps[t]);
        for (int c = 0; c < NCOLS; c++)
            grok_tsv_f64(&w, rows[t * NCOLS + (size_t)c]);
        grok_tsv_end_row(&w);
    }
}

static int write_group(struct grok_run *out, const char *basis, const struct opts *o,
                       const long long *steps, const double *rows, const double *samples, size_t T,
                       struct grok_err *err)
{
    size_t TK[2] = {T, (size_t)o->K};
    int rc = grok_run_write_i64(out, "/commute", "step", steps, 1, &T, err);
    if (rc == GROK_OK) rc = grok_run_write_columns(out, "/commute", rows, T, 0, NCOLS, col_names, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(out, "/commute", "D", samples, 2, TK, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, "/commute", "K", o->K, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, "/commute", "batch", o->batch, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_double(out, "/commute", "eta", o->eta, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, "/commute", "seed", o->seed, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, "/commute", "random_bases", o->random_bases, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(out, "/commute", "basis", basis, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(out, "/commute", "precision", o->use_float ? "float" : "double", err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(out, "/commute", "steps", o->sel.steps_text ? o->sel.steps_text : "all", err);
    return rc;
}

/* ---- main ------------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    grok_cli_init("grok-commute", argc, argv);
    struct opts o = parse_args(argc, argv);
    struct grok_err err = {0};
    struct grok_snapshots s = {0};
    struct grok_text_out text = {0};
    struct grok_progress bar = {0};
    struct grok_array B = {0};
    struct grok_run *in = NULL, *out = NULL;
    struct job j = {.o = &o, .K = o.K, .R = o.random_bases};
    int32_t *tokens = NULL, *y = NULL;
    int ntrain = 0, rc, hargc;
    char **hargv = grok_cli_argv(&hargc);
    char basis[GROK_MAX_NAME + 1100];
    long long *steps = NULL;
    double *rows = NULL, *samples = NULL, *tmp = NULL, *next = NULL, *prev = NULL;
    float *buf = NULL;
    size_t T = 0;
    int table = grok_output_is_table(&o.co);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng)
        grok_die(GROK_EXIT_DATA, "out of memory");
    gsl_rng_set(rng, (unsigned long)o.seed);

    if (!(in = grok_run_open(o.input, &err)) || grok_model_from_run(&j.model, in, &err) != GROK_OK ||
        grok_snapshots_load(in, &s, &err) != GROK_OK ||
        grok_model_examples(in, "train", &tokens, &y, &ntrain, &err) != GROK_OK)
        goto fail;
    j.n = j.model.n_params;
    if (grok_snapshots_select(&s, &o.sel.steps, NULL, &steps, &T, &err) != GROK_OK)
        goto fail;
    if (T == 0) {
        grok_err_set(&err, GROK_ENOTFOUND, "%s: no snapshot has a step in the range of -s", grok_run_name(in));
        goto fail;
    }
    if (load_basis(&j, in, &B, basis, sizeof basis, &err) != GROK_OK ||
        draw_random_bases(&j, rng, &err) != GROK_OK || setup_workers(&j, tokens, y, &err) != GROK_OK)
        goto fail;
    rows = malloc(T * NCOLS * sizeof *rows);
    samples = malloc(T * (size_t)o.K * sizeof *samples);
    tmp = malloc(2 * (size_t)o.K * sizeof *tmp);
    next = malloc(j.n * sizeof *next);
    prev = malloc(j.n * sizeof *prev);
    buf = malloc(j.n * sizeof *buf);
    if (!rows || !samples || !tmp || !next || !prev || !buf)
        goto nomem;
    if (!table && !(out = grok_run_derive(o.co.output, in, "/commute", "grok-commute", hargc, hargv, &err)))
        goto fail;
    if (grok_model_load_f64(&j.model, in, steps[0], buf, next, &err) != GROK_OK)
        goto fail;
    grok_progress_start(&bar, "grok-commute", (long long)T, o.co.quiet);
    for (size_t t = 0; t < T; t++) {
        grok_progress_update(&bar, (long long)t);
        if (grok_interrupted()) {
            grok_err_set(&err, GROK_EIO, "interrupted");
            goto fail;
        }
        /* theta ← this snapshot; step ← towards the next one (from the previous, at the last). */
        memcpy(prev, j.theta, j.n * sizeof *prev);
        memcpy(j.theta, next, j.n * sizeof *next);
        if (t + 1 < T &&
            grok_model_load_f64(&j.model, in, steps[t + 1], buf, next, &err) != GROK_OK)
            goto fail;
        j.step_norm = 0;
        for (size_t i = 0; T > 1 && i < j.n; i++) {
            j.step[i] = t + 1 < T ? next[i] - j.theta[i] : j.theta[i] - prev[i];
            j.step_norm += j.step[i] * j.step[i];
        }
        j.step_norm = sqrt(j.step_norm);
        for (size_t i = 0; i < 2 * (size_t)o.K * (size_t)o.batch; i++)
            j.batches[i] = (int)gsl_rng_uniform_int(rng, (unsigned long)ntrain);
        grok_pool_run(j.pool, sample_run, &j);
        if (grok_interrupted()) { /* the samples are incomplete */
            grok_err_set(&err, GROK_EIO, "interrupted");
            goto fail;
        }
        summarise(&j, rows + t * NCOLS, tmp);
        memcpy(samples + t * (size_t)o.K, j.D, (size_t)o.K * sizeof *samples);
    }
    grok_progress_end(&bar);
    if (table) {
        if (grok_text_open(&text, o.co.output, &err) != GROK_OK)
            goto fail;
        write_table(text.f, grok_run_name(in), basis, &o, steps, rows, T);
        if (grok_text_finish(&text, 1, &err) != GROK_OK)
            goto fail;
    } else if (write_group(out, basis, &o, steps, rows, samples, T, &err) != GROK_OK ||
               grok_run_commit(out, &err) != GROK_OK) {
        goto fail;
    }
    rc = GROK_EXIT_OK;
    goto done;
nomem:
    grok_err_set(&err, GROK_ENOMEM, "out of memory");
fail:
    grok_progress_end(&bar);
    rc = grok_cli_failed(&text, &err);
done:
    grok_run_close(out);
    grok_run_close(in);
    job_free(&j);
    grok_array_free(&B);
    grok_snapshots_free(&s);
    gsl_rng_free(rng);
    free(tokens);
    free(y);
    free(steps);
    free(rows);
    free(samples);
    free(tmp);
    free(next);
    free(prev);
    free(buf);
    return rc;
}
