/* grok-align: Jacobian and centroid alignment of a network with its training inputs over a run's
 * snapshots (P4, GrokAlign). */
#include "grok/align.h"
#include "grok/cli.h"
#include "grok/history.h"
#include "grok/model.h"
#include "grok/pool.h"
#include "grok/progress.h"
#include "grok/run.h"
#include "grok/runmodel.h"
#include "grok/select.h"
#include "grok/snapshots.h"
#include "grok/tsv.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

static const char usage[] =
    "Usage: grok-align [options] [RUN]\n"
    "Jacobian and centroid alignment (P4) at each snapshot of a run, over its training pairs:\n"
    "the centroid mu_x = J_x^T 1 of each input x (J_x the Jacobian of the logits with respect to\n"
    "the continuous input), cos(mu_x, x) (min, mean, max), <x, mu_x>, |mu_x|, |J_x|_F and, with\n"
    "--exact, the share of J_x's first singular value, sigma_1^2 / sum sigma_i^2 (means over the\n"
    "points). RUN (with snapshots of every parameter) is read from standard input when absent\n"
    "or '-'.\n"
    "\n"
    "  -s, --steps FROM:TO[:EVERY]   the snapshots (default all)\n"
    "      --sample N         N training pairs drawn without replacement (default: all of them)\n"
    "      --seed N           seeds the sample and the projections (default 0)\n"
    "      --projections R    estimate |J_x|_F from R random unit projections per point\n"
    "                         (default: exactly, one backward pass per output)\n"
    "      --exact            the whole J_x of each point: |J_x|_F and the PC1 share\n"
    "      --threads N        threads, the points split between them; 0: all cores (default 0)\n"
    "  -t, --table            a table, one row per snapshot\n"
    "  -o, --output FILE      write to FILE (TSV when -t or FILE ends in .tsv, else a run)\n"
    "  -q, --quiet            no progress, only errors\n"
    "  -h, --help             this help;  -V, --version  the version\n"
    "\n"
    "Without -t the output is the run with /align added (to a terminal, the table).\n"
    "Exit status: 0 success, 1 bad data or I/O failure, 2 bad usage, 130 interrupted.\n"
    "\n"
    "Examples:\n"
    "  grok-train --p 23 -q -o p23.h5\n"
    "  grok-align -t p23.h5\n"
    "  grok-align --exact --sample 50 -s 0:20:8 -t p23.h5\n"
    "  grok-align --projections 4 p23.h5 | grok-snap -t align\n";

/* Points per call of the model: fixed, so that every point is computed in the same batch
 * whatever the number of threads, and the numbers do not depend on it. */
#define CHUNK 64

struct opts {
    struct grok_common co;
    struct grok_selection sel;   /* -s */
    long long sample, seed;
    int projections, exact, threads;
    const char *input;
};

static struct opts parse_args(int argc, char **argv)
{
    enum { OPT_SAMPLE = 256, OPT_SEED, OPT_PROJ, OPT_EXACT, OPT_THREADS };
    static const struct option longopts[] = {
        GROK_COMMON_LONGOPTS,
        {"steps", required_argument, NULL, 's'},
        {"sample", required_argument, NULL, OPT_SAMPLE},
        {"seed", required_argument, NULL, OPT_SEED},
        {"projections", required_argument, NULL, OPT_PROJ},
        {"exact", no_argument, NULL, OPT_EXACT},
        {"threads", required_argument, NULL, OPT_THREADS},
        {NULL, 0, NULL, 0},
    };
    static const char *const no_tables[] = {NULL};
    struct opts o = {.co.table_kinds = no_tables, .sel = {.steps = GROK_STEPS_ALL}};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, GROK_COMMON_SHORTOPTS "s:", longopts, NULL)) != -1) {
        if (grok_cli_common(c, argc, argv, &o.co, usage) || grok_cli_select(c, optarg, &o.sel))
            continue;
        switch (c) {
        case OPT_SAMPLE: o.sample = grok_flag_int("--sample", optarg, 1, INT32_MAX); break;
        case OPT_SEED: o.seed = grok_flag_int("--seed", optarg, 0, 0xFFFFFFFFLL); break;
        case OPT_PROJ: o.projections = (int)grok_flag_int("--projections", optarg, 1, 100000); break;
        case OPT_EXACT: o.exact = 1; break;
        case OPT_THREADS: o.threads = (int)grok_flag_int("--threads", optarg, 0, GROK_POOL_MAX); break;
        }
    }
    if (o.exact && o.projections)
        grok_usage("--exact and --projections exclude each other (--exact computes all of J_x)");
    o.input = grok_cli_input(&o.co, argc, argv);
    return o;
}

/* ---- the measurement ----------------------------------------------------------------------- */

/* The columns of /align and of the table after step, one value per snapshot. */
enum col { C_NPOINTS, C_COS_MIN, C_COS_MEAN, C_COS_MAX, C_DOT, C_MU, C_FRO, C_PC1, C_TRAIN_ACC,
           C_TEST_ACC, NCOLS };
static const char *col_names[NCOLS] = {"n_points", "cos_min", "cos_mean", "cos_max", "dot_mean",
                                       "mu_norm_mean", "jac_fro_mean", "jac_pc1_mean",
                                       "train_acc", "test_acc"};

struct job {
    const struct opts *o;
    struct grok_model model;
    struct grok_align_model am;
    struct grok_vjp f;
    struct grok_pool *pool;
    enum grok_jac_mode mode;
    int nworkers, npoints, nchunks, R;
    double *x;                     /* (npoints, d_input) the points' inputs at this snapshot */
    double *V;                     /* (npoints, R, C) projections, or NULL */
    double **scratch;              /* (nworkers) */
    struct grok_align_point *pts;  /* (npoints) */
};

/* Worker w's chunks: w, w + nworkers, ... (it stops early on SIGINT; main then gives up). */
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

/* The points: every training pair, or --sample N of them without replacement (in index order). */
static int choose_points(struct grok_run *in, const struct opts *o, int ntrain, gsl_rng *rng,
                         int **idx, int *npoints, struct grok_err *err)
{
    int n = o->sample ? (int)o->sample : ntrain;
    if (o->sample > ntrain)
        return grok_err_set(err, GROK_EINVAL, "%s: --sample %lld is more than the run's %d "
                            "training pairs", grok_run_name(in), o->sample, ntrain);
    if (n < 1)
        return grok_err_set(err, GROK_EFORMAT, "%s: no training pairs", grok_run_name(in));
    int *all = malloc((size_t)ntrain * sizeof *all);
    if (!all || !(*idx = malloc((size_t)n * sizeof **idx))) {
        free(all);
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    }
    for (int i = 0; i < ntrain; i++)
        all[i] = i;
    if (o->sample)
        gsl_ran_choose(rng, *idx, (size_t)n, all, (size_t)ntrain, sizeof *all);
    else
        memcpy(*idx, all, (size_t)n * sizeof *all);
    free(all);
    *npoints = n;
    return GROK_OK;
}

static int setup_workers(struct job *j, struct grok_err *err)
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
    /* One BLAS thread: the threads are the points', and the sums keep one order. */
    grok_blas_threads(1);
    if (j->nworkers > 1 && !(j->pool = grok_pool_new(j->nworkers, err)))
        return err->code;
    return GROK_OK;
}

static void job_free(struct job *j)
{
    for (int w = 0; j->scratch && w < j->nworkers; w++)
        free(j->scratch[w]);
    free(j->scratch);
    grok_pool_free(j->pool);
    grok_align_model_free(&j->am);
    grok_model_free(&j->model);
    free(j->x);
    free(j->V);
    free(j->pts);
}

/* The training and test accuracy at each step from /metrics, nan where /metrics has no such
 * step (or no /metrics at all, or columns of another length). */
static void metrics_at(struct grok_run *in, const long long *steps, size_t T, double *train_acc,
                       double *test_acc)
{
    struct grok_array st = {0}, tr = {0}, te = {0};
    for (size_t t = 0; t < T; t++)
        train_acc[t] = test_acc[t] = NAN;
    if (!grok_run_exists(in, "/metrics/step") ||
        grok_run_read(in, "/metrics/step", GROK_I64, &st, NULL) != GROK_OK || st.rank != 1)
        goto out;
    int have_tr = grok_run_exists(in, "/metrics/train_acc") &&
                  grok_run_read(in, "/metrics/train_acc", GROK_F64, &tr, NULL) == GROK_OK &&
                  tr.rank == 1 && tr.n == st.n;
    int have_te = grok_run_exists(in, "/metrics/test_acc") &&
                  grok_run_read(in, "/metrics/test_acc", GROK_F64, &te, NULL) == GROK_OK &&
                  te.rank == 1 && te.n == st.n;
    const long long *s = st.data;
    for (size_t t = 0; t < T; t++)
        for (size_t r = st.n; r-- > 0;)          /* the last row of that step */
            if (s[r] == steps[t]) {
                if (have_tr) train_acc[t] = ((double *)tr.data)[r];
                if (have_te) test_acc[t] = ((double *)te.data)[r];
                break;
            }
out:
    grok_array_free(&st);
    grok_array_free(&tr);
    grok_array_free(&te);
}

/* ---- output ----------------------------------------------------------------------------------- */

static void describe(const struct job *j, int ntrain, char *points, size_t pcap, char *jac,
                     size_t jcap)
{
    const struct opts *o = j->o;
    if (o->sample)
        snprintf(points, pcap, "%d of the %d training pairs, drawn with seed %lld", j->npoints,
                 ntrain, o->seed);
    else
        snprintf(points, pcap, "all %d training pairs", j->npoints);
    if (j->mode == GROK_JAC_PROJECT)
        snprintf(jac, jcap, "|J_x|_F from %d random projections per point, seed %lld", j->R, o->seed);
    else if (j->mode == GROK_JAC_FULL)
        snprintf(jac, jcap, "the whole J_x (%d x %zu) per point (--exact)", j->f.C, j->f.d);
    else
        snprintf(jac, jcap, "|J_x|_F exact, %d backward passes per point", j->f.C);
}

static void write_table(FILE *f, const char *run, const char *points, const char *jac,
                        const long long *steps, const double *rows, size_t T)
{
    struct grok_tsv_writer w;
    grok_tsv_init(&w, f);
    grok_tsv_meta(&w, "run", run);
    grok_tsv_meta(&w, "points", points);
    grok_tsv_meta(&w, "jacobian", jac);
    grok_tsv_str(&w, "step");
    for (int c = 0; c < NCOLS; c++)
        grok_tsv_str(&w, col_names[c]);
    grok_tsv_end_row(&w);
    for (size_t t = 0; t < T; t++) {
        grok_tsv_i64(&w, steps[t]);
        for (int c = 0; c < NCOLS; c++) {
            double v = rows[t * NCOLS + (size_t)c];
            if (c == C_NPOINTS)
                grok_tsv_i64(&w, (long long)v);
            else
                grok_tsv_f64(&w, v);
        }
        grok_tsv_end_row(&w);
    }
}

static int write_group(struct grok_run *out, const struct opts *o, const long long *steps,
                       const double *rows, size_t T, const int *idx, int npoints,
                       struct grok_err *err)
{
    size_t N = (size_t)npoints, n = T > N ? T : N;
    long long *ints = malloc(n * sizeof *ints);
    if (!ints)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    int rc = grok_run_write_i64(out, "/align", "step", steps, 1, &T, err);
    for (size_t t = 0; t < T; t++)
        ints[t] = (long long)rows[t * NCOLS + C_NPOINTS];
    if (rc == GROK_OK) rc = grok_run_write_i64(out, "/align", "n_points", ints, 1, &T, err);
    if (rc == GROK_OK)
        rc = grok_run_write_columns(out, "/align", rows, T, C_NPOINTS + 1, NCOLS, col_names, err);
    for (size_t i = 0; i < N; i++)
        ints[i] = idx[i];
    if (rc == GROK_OK) rc = grok_run_write_i64(out, "/align", "points", ints, 1, &N, err);
    free(ints);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, "/align", "sample", o->sample, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, "/align", "seed", o->seed, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, "/align", "projections", o->projections, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, "/align", "exact", o->exact, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(out, "/align", "steps", o->sel.steps_text ? o->sel.steps_text : "all", err);
    return rc;
}

/* ---- main ------------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    grok_cli_init("grok-align", argc, argv);
    struct opts o = parse_args(argc, argv);
    struct grok_err err = {0};
    struct grok_snapshots s = {0};
    struct grok_text_out text = {0};
    struct grok_progress bar = {0};
    struct grok_run *in = NULL, *out = NULL;
    struct job j = {.o = &o, .R = o.projections,
                    .mode = o.exact ? GROK_JAC_FULL : o.projections ? GROK_JAC_PROJECT : GROK_JAC_EXACT};
    int32_t *tokens = NULL, *y = NULL, *ptok = NULL;
    int *idx = NULL;
    int ntrain = 0, rc, hargc;
    char **hargv = grok_cli_argv(&hargc);
    char points[160], jac[160];
    long long *steps = NULL;
    double *rows = NULL, *theta = NULL, *tr_acc = NULL, *te_acc = NULL;
    float *buf = NULL;
    size_t T = 0;
    int table = grok_output_is_table(&o.co);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng)
        grok_die(GROK_EXIT_DATA, "out of memory");
    gsl_rng_set(rng, (unsigned long)o.seed);

    if (!(in = grok_run_open(o.input, &err)) || grok_model_from_run(&j.model, in, &err) != GROK_OK ||
        grok_snapshots_load(in, &s, &err) != GROK_OK ||
        grok_model_examples(in, "train", &tokens, &y, &ntrain, &err) != GROK_OK ||
        choose_points(in, &o, ntrain, rng, &idx, &j.npoints, &err) != GROK_OK)
        goto fail;
    size_t nctx = (size_t)j.model.cfg.n_ctx;
    if (!(ptok = malloc((size_t)j.npoints * nctx * sizeof *ptok)))
        goto nomem;
    for (int i = 0; i < j.npoints; i++)
        memcpy(ptok + (size_t)i * nctx, tokens + (size_t)idx[i] * nctx, nctx * sizeof *ptok);
    if (grok_snapshots_select(&s, &o.sel.steps, NULL, &steps, &T, &err) != GROK_OK)
        goto fail;
    if (T == 0) {
        grok_err_set(&err, GROK_ENOTFOUND, "%s: no snapshot has a step in the range of -s", grok_run_name(in));
        goto fail;
    }
    if (setup_workers(&j, &err) != GROK_OK)
        goto fail;
    rows = malloc(T * NCOLS * sizeof *rows);
    tr_acc = malloc(T * sizeof *tr_acc);
    te_acc = malloc(T * sizeof *te_acc);
    theta = malloc(j.model.n_params * sizeof *theta);
    buf = malloc(j.model.n_params * sizeof *buf);
    if (!rows || !tr_acc || !te_acc || !theta || !buf)
        goto nomem;
    metrics_at(in, steps, T, tr_acc, te_acc);
    j.am.params = theta;
    if (!table && !(out = grok_run_derive(o.co.output, in, "/align", "grok-align", hargc, hargv, &err)))
        goto fail;
    grok_progress_start(&bar, "grok-align", (long long)T, o.co.quiet);
    for (size_t t = 0; t < T; t++) {
        grok_progress_update(&bar, (long long)t);
        if (grok_interrupted()) {
            grok_err_set(&err, GROK_EIO, "interrupted");
            goto fail;
        }
        if (grok_model_load_f64(&j.model, in, steps[t], buf, theta, &err) != GROK_OK)
            goto fail;
        grok_model_input_f64(&j.model, theta, ptok, j.npoints, j.x);
        if (j.V) {
            gsl_rng_set(rng, snapshot_seed(o.seed, steps[t]));
            grok_align_draw_projections(rng, j.npoints, j.R, j.f.C, j.V);
        }
        grok_pool_run(j.pool, chunk_run, &j);
        if (grok_interrupted()) {
            grok_err_set(&err, GROK_EIO, "interrupted");
            goto fail;
        }
        double *row = rows + t * NCOLS;
        summarise(&j, row);
        row[C_TRAIN_ACC] = tr_acc[t];
        row[C_TEST_ACC] = te_acc[t];
    }
    grok_progress_end(&bar);
    describe(&j, ntrain, points, sizeof points, jac, sizeof jac);
    if (table) {
        if (grok_text_open(&text, o.co.output, &err) != GROK_OK)
            goto fail;
        write_table(text.f, grok_run_name(in), points, jac, steps, rows, T);
        if (grok_text_finish(&text, 1, &err) != GROK_OK)
            goto fail;
    } else if (write_group(out, &o, steps, rows, T, idx, j.npoints, &err) != GROK_OK ||
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
    grok_snapshots_free(&s);
    gsl_rng_free(rng);
    free(tokens);
    free(y);
    free(ptok);
    free(idx);
    free(steps);
    free(rows);
    free(tr_acc);
    free(te_acc);
    free(theta);
    free(buf);
    return rc;
}
