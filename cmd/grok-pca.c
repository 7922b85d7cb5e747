/* grok-pca: how low-dimensional a weight trajectory is, per matrix or jointly; the execution
 * subspace basis for grok-commute. */
#include "grok/cli.h"
#include "grok/history.h"
#include "grok/model.h"
#include "grok/pca.h"
#include "grok/progress.h"
#include "grok/run.h"
#include "grok/runmodel.h"
#include "grok/select.h"
#include "grok/snapshots.h"
#include "grok/traj.h"
#include "grok/tsv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>
#include <gsl/gsl_statistics_double.h>

static const char usage[] =
    "Usage: grok-pca [options] [RUN]\n"
    "Principal components of a run's weight trajectory: how much of the movement each direction\n"
    "carries, per matrix (P1's W_Q, W_K, W_V, W_O) or jointly, and the execution-subspace basis.\n"
    "RUN is read from standard input when absent or '-'.\n"
    "\n"
    "  -p, --param GLOB       the matrices (repeatable; default blocks.*.attn.W_[QKVO], or every\n"
    "                         weight matrix when the run has no attention)\n"
    "  -s, --steps FROM:TO[:EVERY]   the snapshots (default all)\n"
    "  -k, --components K     components kept per matrix (default 10)\n"
    "      --joint            all selected parameters as one vector\n"
    "      --basis-k K        top K directions of each matrix in /pca/basis (default 2; 0: none)\n"
    "      --window expanding[:N]   PC1 share on the first t snapshots, N growing t (default 10)\n"
    "      --null random-walk[:R]   R random walks with the run's step norms (default 10)\n"
    "      --seed N           seeds the null's walks (default 0)\n"
    "      --method auto|gram|svd   Gram matrix of snapshots when T < n (auto), or direct SVD\n"
    "  -t, --table[=KIND]     a table: summary (one row per matrix), window, or proj\n"
    "  -o, --output FILE      write to FILE (TSV when -t or FILE ends in .tsv, else a run)\n"
    "  -q, --quiet            no progress, only errors\n"
    "  -h, --help             this help;  -V, --version  the version\n"
    "\n"
    "Without -t the output is the run with /pca added (to a terminal, the summary table).\n"
    "Exit status: 0 success, 1 bad data or I/O failure, 2 bad usage, 130 interrupted.\n"
    "\n"
    "Examples:\n"
    "  grok-pca -t run.h5\n"
    "  grok-pca -p 'blocks.0.attn.W_Q' -k 3 -t proj run.h5 > proj.tsv\n"
    "  grok-pca --window expanding:5 --null random-walk:20 -t window run.h5\n"
    "  grok-pca --joint -s 0:600 run.h5 -o pca.h5\n";

enum table_kind { TABLE_SUMMARY, TABLE_WINDOW, TABLE_PROJ };   /* in the order of parse_args's tables */

struct opts {
    struct grok_common co;
    struct grok_selection sel;   /* -p, -s */
    int k, joint, basis_k, window, null_walks;
    long long seed;
    enum grok_pca_method method;
    enum table_kind kind;
    const char *input;
};

/* "NAME[:N]" with NAME the one accepted word: N, or dflt when absent. */
static int parse_named_count(const char *opt, const char *text, const char *name, int dflt)
{
    size_t len = strlen(name);
    if (strncmp(text, name, len) != 0 || (text[len] != '\0' && text[len] != ':'))
        grok_usage("%s: '%s' is not %s[:N]", opt, text, name);
    if (text[len] == '\0')
        return dflt;
    char *end;
    errno = 0;
    long v = strtol(text + len + 1, &end, 10);
    if (!text[len + 1] || *end || errno || v < 1 || v > 100000)
        grok_usage("%s: bad count in '%s' (a whole number >= 1)", opt, text);
    return (int)v;
}

static struct opts parse_args(int argc, char **argv)
{
    enum { OPT_JOINT = 256, OPT_BASIS_K, OPT_WINDOW, OPT_NULL, OPT_SEED, OPT_METHOD };
    static const struct option longopts[] = {
        GROK_COMMON_LONGOPTS,
        {"param", required_argument, NULL, 'p'},
        {"steps", required_argument, NULL, 's'},
        {"components", required_argument, NULL, 'k'},
        {"joint", no_argument, NULL, OPT_JOINT},
        {"basis-k", required_argument, NULL, OPT_BASIS_K},
        {"window", required_argument, NULL, OPT_WINDOW},
        {"null", required_argument, NULL, OPT_NULL},
        {"seed", required_argument, NULL, OPT_SEED},
        {"method", required_argument, NULL, OPT_METHOD},
        {NULL, 0, NULL, 0},
    };
    static const char *const tables[] = {"summary", "window", "proj", NULL};
    struct opts o = {.co.table_kinds = tables, .k = 10, .basis_k = 2};
    struct grok_err err;
    int c;
    opterr = 0;
    if (grok_selection_init(&o.sel, argc, &err) != GROK_OK)
        grok_die(GROK_EXIT_DATA, "%s", err.msg);
    while ((c = getopt_long(argc, argv, GROK_COMMON_SHORTOPTS "p:s:k:", longopts, NULL)) != -1) {
        if (grok_cli_common(c, argc, argv, &o.co, usage) || grok_cli_select(c, optarg, &o.sel))
            continue;
        switch (c) {
        case 'k': o.k = (int)grok_flag_int("-k", optarg, 1, 10000); break;
        case OPT_JOINT: o.joint = 1; break;
        case OPT_BASIS_K: o.basis_k = (int)grok_flag_int("--basis-k", optarg, 0, 10000); break;
        case OPT_WINDOW: o.window = parse_named_count("--window", optarg, "expanding", 10); break;
        case OPT_NULL: o.null_walks = parse_named_count("--null", optarg, "random-walk", 10); break;
        case OPT_SEED: o.seed = grok_flag_int("--seed", optarg, 0, 0xFFFFFFFFLL); break;
        case OPT_METHOD:
            if (strcmp(optarg, "auto") == 0) o.method = GROK_PCA_AUTO;
            else if (strcmp(optarg, "gram") == 0) o.method = GROK_PCA_GRAM;
            else if (strcmp(optarg, "svd") == 0) o.method = GROK_PCA_SVD;
            else grok_usage("--method: '%s' is not auto, gram or svd", optarg);
            break;
        }
    }
    o.kind = (enum table_kind)grok_cli_table_kind(&o.co);
    if (o.kind == TABLE_WINDOW && !o.window)
        o.window = 10;
    o.input = grok_cli_input(&o.co, argc, argv);
    return o;
}

/* ---- what is analysed ---------------------------------------------------------------------- */

/* P1's matrices, when the run has them. */
static const char default_glob[] = "blocks.*.attn.W_[QKVO]";

/* The selected parameters: the -p globs, or the default (attention matrices, else every
 * parameter of rank 2 or more). */
static int select_params(struct grok_run *run, const struct grok_snapshots *s, const struct opts *o,
                         char **sel, int *nsel, struct grok_err *err)
{
    char *dflt[1] = {(char *)default_glob};
    *nsel = 0;
    for (size_t i = 0; i < s->nparams; i++)
        if (o->sel.nglobs ? grok_globs_match(o->sel.globs, o->sel.nglobs, s->params[i])
                      : grok_globs_match(dflt, 1, s->params[i]))
            sel[(*nsel)++] = s->params[i];
    for (size_t i = 0; !o->sel.nglobs && *nsel == 0 && i < s->nparams; i++) {
        char path[GROK_MAX_NAME + 16];
        struct grok_array info;
        if (grok_run_path(path, sizeof path, "/snapshots", s->params[i], NULL) == GROK_OK &&
            grok_run_info(run, path, &info, NULL) == GROK_OK && info.rank >= 3)
            sel[(*nsel)++] = s->params[i];
    }
    if (*nsel > 0)
        return GROK_OK;
    char globs[512];
    grok_globs_join(globs, sizeof globs, o->sel.globs, o->sel.nglobs);
    if (o->sel.nglobs)
        return grok_err_set(err, GROK_ENOTFOUND, "%s: no parameter matches -p %s",
                            grok_run_name(run), globs);
    return grok_err_set(err, GROK_ENOTFOUND, "%s: /snapshots holds no weight matrix",
                        grok_run_name(run));
}

/* The numbers of one matrix that the tables and the summary datasets need. */
struct summary {
    const char *name;
    size_t n;
    double pc[3], top3;
    double null_pc1, null_pc1_sd, null_top3, null_top3_sd;
    double *win_pc1, *null_win, *null_win_sd;    /* (nwin) */
    double *proj;                                /* (T, k) */
    int k;
};

struct job {
    const struct opts *o;
    struct grok_run *in, *out;             /* out NULL for a table */
    size_t T;
    size_t *rows;                          /* (T) rows of /snapshots */
    long long *steps;                      /* (T) */
    size_t *win_t;                         /* (nwin) window lengths */
    long long *win_count, *win_step;       /* (nwin) the same, and each window's last step */
    int nwin;
    gsl_rng *rng;
    struct grok_model model;
    int have_model;
    char basis_note[sizeof((struct grok_err *)0)->msg + 16];
    double *basis;                         /* (n_params, basis_cap) or NULL */
    size_t basis_cap, basis_cols;
    char *basis_from;                      /* column sources, comma-separated */
};

/* Window lengths: N growing counts of snapshots ending at T, at least 2, without repeats. */
static int window_lengths(size_t T, int N, size_t *out)
{
    int n = 0;
    for (int i = 1; i <= N; i++) {
        size_t t = (size_t)((double)T * i / N + 0.5);
        t = t < 2 ? 2 : t > T ? T : t;
        if (n == 0 || out[n - 1] != t)
            out[n++] = t;
    }
    return n;
}

/* /pca/<matrix>: its components, mean, shares, projections, windows and null. */
static int write_matrix(struct job *j, const struct grok_traj *tr, const struct grok_pca *p,
                        const struct summary *sm, const double *null_share, const double *null_share_sd,
                        struct grok_err *err)
{
    char group[GROK_MAX_NAME + 8];
    int rc = grok_run_path(group, sizeof group, "/pca", sm->name, err);
    size_t k = (size_t)j->o->k < (size_t)p->k ? (size_t)j->o->k : (size_t)p->k;
    size_t shape[GROK_MAX_RANK + 1] = {k}, tk[2] = {p->T, (size_t)p->k}, nk[1] = {k};
    int rank = 1;
    if (tr->nparams == 1) {
        rank = tr->params[0].rank;
        memcpy(shape + 1, tr->params[0].shape, (size_t)rank * sizeof *shape);
    } else {
        shape[1] = p->n;
    }
    /* proj keeps k columns of the (T, p->k) array: written as its own (T, k) copy. */
    double *proj = malloc(p->T * k * sizeof *proj);
    if (!proj)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    for (size_t t = 0; t < p->T; t++)
        memcpy(proj + t * k, p->proj + t * (size_t)p->k, k * sizeof *proj);
    tk[1] = k;
    if (rc == GROK_OK) rc = grok_run_write_f64(j->out, group, "share", p->share, 1, nk, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(j->out, group, "proj", proj, 2, tk, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(j->out, group, "components", p->components, rank + 1, shape, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(j->out, group, "mean", p->mean, rank, shape + 1, err);
    free(proj);
    if (rc == GROK_OK && j->nwin) {
        size_t nw[1] = {(size_t)j->nwin};
        rc = grok_run_write_i64(j->out, group, "window_t", j->win_count, 1, nw, err);
        if (rc == GROK_OK)
            rc = grok_run_write_i64(j->out, group, "window_step", j->win_step, 1, nw, err);
        if (rc == GROK_OK) rc = grok_run_write_f64(j->out, group, "window_pc1", sm->win_pc1, 1, nw, err);
        if (rc == GROK_OK && j->o->null_walks) {
            rc = grok_run_write_f64(j->out, group, "null_window_pc1", sm->null_win, 1, nw, err);
            if (rc == GROK_OK)
                rc = grok_run_write_f64(j->out, group, "null_window_pc1_sd", sm->null_win_sd, 1, nw, err);
        }
    }
    if (rc == GROK_OK && j->o->null_walks) {
        rc = grok_run_write_f64(j->out, group, "null_share", null_share, 1, nk, err);
        if (rc == GROK_OK)
            rc = grok_run_write_f64(j->out, group, "null_share_sd", null_share_sd, 1, nk, err);
    }
    return rc;
}

/* One block of a trajectory's columns holds at most this much (doubles over all snapshots). */
#define BLOCK_BYTES ((size_t)64 << 20)

static double mean_sd(const double *x, size_t stride, int n, double *sd)
{
    *sd = n > 1 ? gsl_stats_sd(x, stride, (size_t)n) : 0;
    return gsl_stats_mean(x, stride, (size_t)n);
}

/* P1's null for one matrix: R walks with its step norms; their shares and windows summarised. */
static int null_model(struct job *j, const struct grok_pca *p, int kk, struct summary *sm,
                      double *null_share, double *null_sd, struct grok_err *err)
{
    int R = j->o->null_walks, nwin = j->nwin;
    double *norms = malloc(p->T * sizeof *norms),
           *shares = malloc((size_t)R * (size_t)kk * sizeof *shares),
           *win = malloc((size_t)R * (size_t)(nwin ? nwin : 1) * sizeof *win),
           *top3 = malloc((size_t)R * sizeof *top3);
    int rc;
    if (!norms || !shares || !win || !top3) {
        rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
        goto out;
    }
    grok_pca_step_norms(p->gram, p->T, norms);
    if ((rc = grok_pca_null_walks(norms, p->T, p->n, R, kk, j->win_t, nwin, j->rng, shares, win,
                                  err)) != GROK_OK)
        goto out;
    for (int c = 0; c < kk; c++)
        null_share[c] = mean_sd(shares + c, (size_t)kk, R, &null_sd[c]);
    for (int r = 0; r < R; r++)
        top3[r] = shares[(size_t)r * (size_t)kk] + shares[(size_t)r * (size_t)kk + 1] +
                  shares[(size_t)r * (size_t)kk + 2];
    sm->null_pc1 = null_share[0];
    sm->null_pc1_sd = null_sd[0];
    sm->null_top3 = mean_sd(top3, 1, R, &sm->null_top3_sd);
    for (int w = 0; w < nwin; w++)
        sm->null_win[w] = mean_sd(win + w, (size_t)nwin, R, &sm->null_win_sd[w]);
out:
    free(norms);
    free(shares);
    free(win);
    free(top3);
    return rc;
}

/* The top --basis-k directions of one matrix, placed in the model's parameter vector as new
 * columns of the basis (orthonormalised once every matrix is in). */
static int add_to_basis(struct job *j, const struct grok_traj *tr, const struct grok_pca *p,
                        const char *name, struct grok_err *err)
{
    size_t np = j->model.n_params;
    double *flat = calloc(np, sizeof *flat);
    if (!flat)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    int rc = GROK_OK;
    for (int c = 0; rc == GROK_OK && c < j->o->basis_k && c < p->k; c++) {
        if (p->share[c] <= 0)
            break; /* the trajectory has fewer directions than --basis-k */
        memset(flat, 0, np * sizeof *flat);
        if ((rc = grok_traj_place(tr, &j->model, p->components + (size_t)c * p->n, flat, err)) != GROK_OK)
            break;
        for (size_t i = 0; i < np; i++)
            j->basis[i * j->basis_cap + j->basis_cols] = flat[i];
        size_t len = strlen(j->basis_from);
        sprintf(j->basis_from + len, "%s%s", len ? "," : "", name);
        j->basis_cols++;
    }
    free(flat);
    return rc;
}

/* PCA of one matrix made of the parameters `names`: fills sm, writes /pca/<name> to a run output
 * and adds its top directions to the basis. */
static int analyse(struct job *j, const char *name, char **names, int nnames, struct summary *sm,
                   struct grok_err *err)
{
    struct grok_traj tr = {0};
    struct grok_pca p = {0};
    /* Enough components for the tables (-k, and PC1 to PC3 always) and for the basis, whose
     * --basis-k does not depend on -k. */
    int kk = j->o->k > 3 ? j->o->k : 3;
    if (j->basis && j->o->basis_k > kk)
        kk = j->o->basis_k;
    double *null_share = calloc((size_t)kk, sizeof *null_share),
           *null_sd = calloc((size_t)kk, sizeof *null_sd);
    size_t nw = (size_t)(j->nwin ? j->nwin : 1);
    sm->name = name;
    sm->win_pc1 = calloc(nw, sizeof *sm->win_pc1);
    sm->null_win = calloc(nw, sizeof *sm->null_win);
    sm->null_win_sd = calloc(nw, sizeof *sm->null_win_sd);
    int rc;
    if (!null_share || !null_sd || !sm->win_pc1 || !sm->null_win || !sm->null_win_sd) {
        rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = grok_traj_open(&tr, j->in, names, nnames, j->rows, j->T, BLOCK_BYTES, err)) != GROK_OK)
        goto out;
    struct grok_pca_input in = grok_traj_input(&tr);
    in.steps = j->steps;
    if ((rc = grok_pca_compute(&p, &in, kk, j->o->method, err)) != GROK_OK) {
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        grok_err_set(err, rc, "%s: %s: %s", grok_run_name(j->in), name, why);
        goto out;
    }
    sm->n = p.n;
    sm->k = j->o->k < p.k ? j->o->k : p.k;
    for (int c = 0; c < 3; c++) {
        sm->pc[c] = c < p.k ? p.share[c] : 0;
        sm->top3 += sm->pc[c];
    }
    if (!(sm->proj = malloc(p.T * (size_t)sm->k * sizeof *sm->proj))) {
        rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t t = 0; t < p.T; t++)
        memcpy(sm->proj + t * (size_t)sm->k, p.proj + t * (size_t)p.k, (size_t)sm->k * sizeof *sm->proj);
    for (int w = 0; w < j->nwin; w++)
        if ((rc = grok_pca_window(p.gram, p.T, j->win_t[w], 1, &sm->win_pc1[w], err)) != GROK_OK)
            goto out;
    if (j->o->null_walks && (rc = null_model(j, &p, kk, sm, null_share, null_sd, err)) != GROK_OK)
        goto out;
    if (j->basis && (rc = add_to_basis(j, &tr, &p, name, err)) != GROK_OK)
        goto out;
    if (j->out)
        rc = write_matrix(j, &tr, &p, sm, null_share, null_sd, err);
out:
    grok_pca_free(&p);
    grok_traj_free(&tr);
    free(null_share);
    free(null_sd);
    return rc;
}

static void summary_free(struct summary *sm)
{
    free(sm->win_pc1);
    free(sm->null_win);
    free(sm->null_win_sd);
    free(sm->proj);
}

/* Appends "item" to a comma-separated list in a malloc'd string. */
static int list_append(char **list, const char *item)
{
    size_t len = *list ? strlen(*list) : 0;
    char *s = realloc(*list, len + strlen(item) + 2);
    if (!s)
        return 0;
    sprintf(s + len, "%s%s", len ? "," : "", item);
    *list = s;
    return 1;
}

/* /pca/basis [n_params, K], orthonormal, with the parameter order as attributes. */
static int write_basis(struct job *j, struct grok_err *err)
{
    size_t np = j->model.n_params, K = j->basis_cols;
    if (K == 0) {
        snprintf(j->basis_note, sizeof j->basis_note, "none: no direction of any matrix moved");
        return GROK_OK;
    }
    for (size_t i = 0; i < np; i++) /* compact to K columns, in place */
        memmove(j->basis + i * K, j->basis + i * j->basis_cap, K * sizeof *j->basis);
    int rc = grok_orthonormalise(j->basis, np, K, err);
    char *params = NULL, *offsets = NULL;
    for (int t = 0; rc == GROK_OK && t < j->model.n_tensors; t++) {
        char off[32];
        snprintf(off, sizeof off, "%zu", j->model.tensors[t].offset);
        if (!list_append(&params, j->model.tensors[t].name) || !list_append(&offsets, off))
            rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
    }
    size_t shape[2] = {np, K};
    if (rc == GROK_OK) rc = grok_run_write_f64(j->out, "/pca", "basis", j->basis, 2, shape, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(j->out, "/pca/basis", "params", params, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(j->out, "/pca/basis", "offsets", offsets, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(j->out, "/pca/basis", "columns", j->basis_from, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(j->out, "/pca/basis", "n_params", (long long)np, err);
    snprintf(j->basis_note, sizeof j->basis_note, "%zu columns over %zu parameters", K, np);
    free(params);
    free(offsets);
    return rc;
}

/* The summary columns (one value per matrix) and the settings, on /pca. */
static int write_summary(struct job *j, const struct summary *sm, int M, struct grok_err *err)
{
    const struct opts *o = j->o;
    size_t shape[1] = {(size_t)M};
    double *v = malloc((size_t)M * sizeof *v);
    long long *n = malloc((size_t)M * sizeof *n);
    char *names = NULL;
    int rc = v && n ? GROK_OK : grok_err_set(err, GROK_ENOMEM, "out of memory");
    for (int i = 0; rc == GROK_OK && i < M; i++) {
        n[i] = (long long)sm[i].n;
        if (!list_append(&names, sm[i].name))
            rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
    }
    /* The per-matrix columns first, so that `grok-snap -t pca` prints them as the summary. */
    if (rc == GROK_OK) rc = grok_run_write_i64(j->out, "/pca", "n_params", n, 1, shape, err);
    static const char *cols[] = {"pc1", "pc2", "pc3", "top3", "null_pc1", "null_pc1_sd",
                                 "null_top3", "null_top3_sd"};
    for (int c = 0; rc == GROK_OK && c < (o->null_walks ? 8 : 4); c++) {
        for (int i = 0; i < M; i++) {
            const struct summary *s = &sm[i];
            double x[8] = {s->pc[0], s->pc[1], s->pc[2], s->top3, s->null_pc1, s->null_pc1_sd,
                           s->null_top3, s->null_top3_sd};
            v[i] = x[c];
        }
        rc = grok_run_write_f64(j->out, "/pca", cols[c], v, 1, shape, err);
    }
    if (rc == GROK_OK) rc = grok_run_write_i64(j->out, "/pca", "step", j->steps, 1, &j->T, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(j->out, "/pca", "matrices", names, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(j->out, "/pca", "steps", o->sel.steps_text ? o->sel.steps_text : "all", err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(j->out, "/pca", "method",
                                                  o->method == GROK_PCA_GRAM ? "gram" : o->method == GROK_PCA_SVD ? "svd" : "auto", err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(j->out, "/pca", "k", o->k, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(j->out, "/pca", "joint", o->joint, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(j->out, "/pca", "basis_k", o->basis_k, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(j->out, "/pca", "basis", j->basis_note, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(j->out, "/pca", "window", j->nwin ? o->window : 0, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(j->out, "/pca", "null_walks", o->null_walks, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(j->out, "/pca", "seed", o->seed, err);
    free(v);
    free(n);
    free(names);
    return rc;
}

/* ---- tables ------------------------------------------------------------------------------- */

static void write_table(const struct job *j, const struct summary *sm, int M, FILE *f)
{
    const struct opts *o = j->o;
    struct grok_tsv_writer w;
    char buf[64];
    grok_tsv_init(&w, f);
    grok_tsv_meta(&w, "run", grok_run_name(j->in));
    snprintf(buf, sizeof buf, "%zu (steps %lld to %lld)", j->T, j->steps[0], j->steps[j->T - 1]);
    grok_tsv_meta(&w, "snapshots", buf);
    if (o->null_walks) {
        snprintf(buf, sizeof buf, "%d random walks, seed %lld", o->null_walks, o->seed);
        grok_tsv_meta(&w, "null", buf);
    }
    int null = o->null_walks > 0;
    if (o->kind == TABLE_SUMMARY) {
        const char *h[] = {"matrix", "n_params", "n_snapshots", "pc1", "pc2", "pc3", "top3",
                           "null_pc1", "null_pc1_sd", "null_top3", "null_top3_sd"};
        for (int c = 0; c < (null ? 11 : 7); c++)
            grok_tsv_str(&w, h[c]);
        grok_tsv_end_row(&w);
        for (int i = 0; i < M; i++) {
            grok_tsv_str(&w, sm[i].name);
            grok_tsv_i64(&w, (long long)sm[i].n);
            grok_tsv_i64(&w, (long long)j->T);
            for (int c = 0; c < 3; c++)
                grok_tsv_f64(&w, sm[i].pc[c]);
            grok_tsv_f64(&w, sm[i].top3);
            if (null) {
                grok_tsv_f64(&w, sm[i].null_pc1);
                grok_tsv_f64(&w, sm[i].null_pc1_sd);
                grok_tsv_f64(&w, sm[i].null_top3);
                grok_tsv_f64(&w, sm[i].null_top3_sd);
            }
            grok_tsv_end_row(&w);
        }
    } else if (o->kind == TABLE_WINDOW) {
        const char *h[] = {"matrix", "t", "step", "pc1", "null_pc1", "null_pc1_sd"};
        for (int c = 0; c < (null ? 6 : 4); c++)
            grok_tsv_str(&w, h[c]);
        grok_tsv_end_row(&w);
        for (int i = 0; i < M; i++)
            for (int k = 0; k < j->nwin; k++) {
                grok_tsv_str(&w, sm[i].name);
                grok_tsv_i64(&w, j->win_count[k]);
                grok_tsv_i64(&w, j->win_step[k]);
                grok_tsv_f64(&w, sm[i].win_pc1[k]);
                if (null) {
                    grok_tsv_f64(&w, sm[i].null_win[k]);
                    grok_tsv_f64(&w, sm[i].null_win_sd[k]);
                }
                grok_tsv_end_row(&w);
            }
    } else {
        int k = o->k;
        for (int i = 0; i < M; i++)
            k = sm[i].k < k ? sm[i].k : k;
        grok_tsv_str(&w, "matrix");
        grok_tsv_str(&w, "step");
        for (int c = 0; c < k; c++) {
            snprintf(buf, sizeof buf, "proj%d", c + 1);
            grok_tsv_str(&w, buf);
        }
        grok_tsv_end_row(&w);
        for (int i = 0; i < M; i++)
            for (size_t t = 0; t < j->T; t++) {
                grok_tsv_str(&w, sm[i].name);
                grok_tsv_i64(&w, j->steps[t]);
                for (int c = 0; c < k; c++)
                    grok_tsv_f64(&w, sm[i].proj[t * (size_t)sm[i].k + (size_t)c]);
                grok_tsv_end_row(&w);
            }
    }
}

/* ---- main --------------------------------------------------------------------------------- */

/* The snapshot rows that -s selects. */
static int select_rows(struct job *j, const struct grok_snapshots *s, struct grok_err *err)
{
    int rc = grok_snapshots_select(s, &j->o->sel.steps, &j->rows, &j->steps, &j->T, err);
    if (rc != GROK_OK)
        return rc;
    if (j->T < 2)
        return grok_err_set(err, GROK_EINVAL, "%s: a trajectory needs 2 snapshots or more; %s %zu",
                            grok_run_name(j->in), j->o->sel.steps_text ? "-s selects" : "the run has", j->T);
    for (size_t t = 1; t < j->T; t++)
        if (j->steps[t] <= j->steps[t - 1])
            return grok_err_set(err, GROK_EFORMAT, "%s: /snapshots/step is not increasing at row %zu",
                                grok_run_name(j->in), j->rows[t]);
    return GROK_OK;
}

static int setup_windows(struct job *j, struct grok_err *err)
{
    if (!j->o->window)
        return GROK_OK;
    size_t N = (size_t)j->o->window;
    j->win_t = malloc(N * sizeof *j->win_t);
    j->win_count = malloc(N * sizeof *j->win_count);
    j->win_step = malloc(N * sizeof *j->win_step);
    if (!j->win_t || !j->win_count || !j->win_step)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    j->nwin = window_lengths(j->T, j->o->window, j->win_t);
    for (int w = 0; w < j->nwin; w++) {
        j->win_count[w] = (long long)j->win_t[w];
        j->win_step[w] = j->steps[j->win_t[w] - 1];
    }
    return GROK_OK;
}

/* The basis needs the model's layout; a run whose /config does not describe one gets none. */
static int setup_basis(struct job *j, int nmatrices, struct grok_err *err)
{
    struct grok_err why;
    if (!j->out || j->o->basis_k == 0) {
        snprintf(j->basis_note, sizeof j->basis_note, "none: --basis-k 0");
        return GROK_OK;
    }
    if (grok_model_from_run(&j->model, j->in, &why) != GROK_OK) {
        snprintf(j->basis_note, sizeof j->basis_note, "none: %s", why.msg);
        return GROK_OK;
    }
    j->have_model = 1;
    j->basis_cap = (size_t)nmatrices * (size_t)j->o->basis_k;
    j->basis = calloc(j->model.n_params * j->basis_cap, sizeof *j->basis);
    j->basis_from = calloc(j->basis_cap, GROK_MAX_NAME + 2);
    if (!j->basis || !j->basis_from)
        return grok_err_set(err, GROK_ENOMEM, "out of memory for a basis of %zu x %zu",
                            j->model.n_params, j->basis_cap);
    return GROK_OK;
}

int main(int argc, char **argv)
{
    grok_cli_init("grok-pca", argc, argv);
    struct opts o = parse_args(argc, argv);
    struct grok_err err = {0};
    struct grok_snapshots s = {0};
    struct grok_text_out text = {0};
    struct grok_progress bar = {0};
    struct job j = {.o = &o};
    struct summary *sm = NULL;
    char **sel = NULL;
    int nsel = 0, M = 0, rc, hargc;
    char **hargv = grok_cli_argv(&hargc);
    int table = grok_output_is_table(&o.co);

    if (!(j.rng = gsl_rng_alloc(gsl_rng_mt19937)))
        grok_die(GROK_EXIT_DATA, "out of memory");
    gsl_rng_set(j.rng, (unsigned long)o.seed);
    if (!(j.in = grok_run_open(o.input, &err)) || grok_snapshots_load(j.in, &s, &err) != GROK_OK ||
        select_rows(&j, &s, &err) != GROK_OK || setup_windows(&j, &err) != GROK_OK)
        goto fail;
    if (!(sel = calloc(s.nparams ? s.nparams : 1, sizeof *sel))) {
        grok_err_set(&err, GROK_ENOMEM, "out of memory");
        goto fail;
    }
    if (select_params(j.in, &s, &o, sel, &nsel, &err) != GROK_OK)
        goto fail;
    M = o.joint ? 1 : nsel;
    if (!(sm = calloc((size_t)M, sizeof *sm))) {
        grok_err_set(&err, GROK_ENOMEM, "out of memory");
        goto fail;
    }
    if (!table && !(j.out = grok_run_derive(o.co.output, j.in, "/pca", "grok-pca", hargc, hargv, &err)))
        goto fail;
    if (setup_basis(&j, M, &err) != GROK_OK)
        goto fail;
    grok_progress_start(&bar, "grok-pca", M, o.co.quiet);
    for (int i = 0; i < M; i++) {
        grok_progress_update(&bar, i);
        if (grok_interrupted()) {
            grok_err_set(&err, GROK_EIO, "interrupted");
            goto fail;
        }
        if (o.joint ? analyse(&j, "joint", sel, nsel, &sm[i], &err)
                    : analyse(&j, sel[i], &sel[i], 1, &sm[i], &err))
            goto fail;
    }
    grok_progress_end(&bar);
    if (table) {
        if (grok_text_open(&text, o.co.output, &err) != GROK_OK)
            goto fail;
        write_table(&j, sm, M, text.f);
        if (grok_text_finish(&text, 1, &err) != GROK_OK)
            goto fail;
    } else if ((j.basis && write_basis(&j, &err) != GROK_OK) ||
               write_summary(&j, sm, M, &err) != GROK_OK || grok_run_commit(j.out, &err) != GROK_OK) {
        goto fail;
    }
    rc = GROK_EXIT_OK;
    goto out;
fail:
    grok_progress_end(&bar);
    rc = grok_cli_failed(&text, &err);
out:
    for (int i = 0; sm && i < M; i++)
        summary_free(&sm[i]);
    free(sm);
    grok_run_close(j.out);
    grok_run_close(j.in);
    grok_model_free(&j.model);
    gsl_rng_free(j.rng);
    grok_snapshots_free(&s);
    free(j.rows);
    free(j.steps);
    free(j.win_t);
    free(j.win_count);
    free(j.win_step);
    free(j.basis);
    free(j.basis_from);
    free(sel);
    grok_selection_free(&o.sel);
    return rc;
}
