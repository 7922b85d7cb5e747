/* grok-pca's analysis: the principal components of each selected matrix's trajectory (or of all
 * of them as one vector), one matrix per unit of the analysis driver; and the /pca group. */
#include "grok/pca_run.h"
#include "grok/runmodel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>
#include <gsl/gsl_statistics_double.h>

#include "grok/analysis.h"
#include "grok/cli.h"
#include "grok/model.h"
#include "grok/pca_basis.h"
#include "grok/select.h"
#include "grok/snapshots.h"
#include "grok/spectra.h"
#include "grok/traj.h"
#include "grok/tsv.h"

#define GROUP "/pca"

/* ---- what is analysed ---------------------------------------------------------------------- */

/* P1's matrices, when the run has them. */
static const char default_glob[] = "blocks.*.attn.W_[QKVO]";

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
    const struct grok_pca_opts *o;
    char **sel;                            /* (nsel) the selected parameters, names borrowed
                                            * from the driver's snapshots */
    int nsel;
    struct summary *sm;                    /* (M) one per matrix (one in all with --joint) */
    int M;
    size_t *win_t;                         /* (nwin) window lengths */
    long long *win_count, *win_step;       /* (nwin) the same, and each window's last step */
    int nwin;
    gsl_rng *rng;                   /* the driver's: the null model's random walks */
    struct grok_model model;
    char basis_note[sizeof((struct grok_err *)0)->msg + 16];
    double *basis;                         /* (n_params, basis_cap) or NULL */
    size_t basis_cap, basis_cols;
    char *basis_from;                      /* column sources, comma-separated */
};

/* The selected parameters: the -p globs, or the default (attention matrices, else every
 * parameter of rank 2 or more). */
static int select_params(struct job *j, struct grok_analysis *a, struct grok_err *err)
{
    const struct grok_selection *sel = a->sel;
    const struct grok_snapshots *s = &a->snaps;
    char *dflt[1] = {(char *)default_glob};
    if (!(j->sel = calloc(s->nparams ? s->nparams : 1, sizeof *j->sel)))
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    j->nsel = 0;
    for (size_t i = 0; i < s->nparams; i++)
        if (sel->nglobs ? grok_globs_match(sel->globs, sel->nglobs, s->params[i])
                        : grok_globs_match(dflt, 1, s->params[i]))
            j->sel[j->nsel++] = s->params[i];
    for (size_t i = 0; !sel->nglobs && j->nsel == 0 && i < s->nparams; i++) {
        char path[GROK_MAX_NAME + 16];
        struct grok_array info;
        if (grok_snapshots_path(path, sizeof path, s->params[i], NULL) == GROK_OK &&
            grok_run_info(a->in, path, &info, NULL) == GROK_OK && info.rank >= 3)
            j->sel[j->nsel++] = s->params[i];
    }
    if (j->nsel > 0)
        return GROK_OK;
    char globs[512];
    grok_globs_join(globs, sizeof globs, sel->globs, sel->nglobs);
    if (sel->nglobs)
        return grok_err_set(err, GROK_ENOTFOUND, "%s: no parameter matches -p %s",
                            grok_run_name(a->in), globs);
    return grok_err_set(err, GROK_ENOTFOUND, "%s: /snapshots holds no weight matrix",
                        grok_run_name(a->in));
}

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
static int write_matrix(struct job *j, struct grok_run *out, const struct grok_traj *tr,
                        const struct grok_pca *p, const struct summary *sm,
                        const double *null_share, const double *null_share_sd, struct grok_err *err)
{
    char group[GROK_MAX_NAME + 8];
    int rc = grok_run_path(group, sizeof group, GROUP, sm->name, err);
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
    if (rc == GROK_OK) rc = grok_run_write_f64(out, group, "share", p->share, 1, nk, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(out, group, "proj", proj, 2, tk, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(out, group, "components", p->components, rank + 1, shape, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(out, group, "mean", p->mean, rank, shape + 1, err);
    free(proj);
    if (rc == GROK_OK && j->nwin) {
        size_t nw[1] = {(size_t)j->nwin};
        rc = grok_run_write_i64(out, group, "window_t", j->win_count, 1, nw, err);
        if (rc == GROK_OK)
            rc = grok_run_write_i64(out, group, "window_step", j->win_step, 1, nw, err);
        if (rc == GROK_OK) rc = grok_run_write_f64(out, group, "window_pc1", sm->win_pc1, 1, nw, err);
        if (rc == GROK_OK && j->o->null_walks) {
            rc = grok_run_write_f64(out, group, "null_window_pc1", sm->null_win, 1, nw, err);
            if (rc == GROK_OK)
                rc = grok_run_write_f64(out, group, "null_window_pc1_sd", sm->null_win_sd, 1, nw, err);
        }
    }
    if (rc == GROK_OK && j->o->null_walks) {
        rc = grok_run_write_f64(out, group, "null_share", null_share, 1, nk, err);
        if (rc == GROK_OK)
            rc = grok_run_write_f64(out, group, "null_share_sd", null_share_sd, 1, nk, err);
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
static int analyse(struct job *j, struct grok_analysis *a, const char *name, char **names,
                   int nnames, struct summary *sm, struct grok_err *err)
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
    if ((rc = grok_traj_open(&tr, a->in, names, nnames, a->rows, a->T, BLOCK_BYTES, err)) != GROK_OK)
        goto out;
    struct grok_pca_input in = grok_traj_input(&tr);
    in.steps = a->steps;
    if ((rc = grok_pca_compute(&p, &in, kk, j->o->method, err)) != GROK_OK) {
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        grok_err_set(err, rc, "%s: %s: %s", grok_run_name(a->in), name, why);
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
    if (a->out)
        rc = write_matrix(j, a->out, &tr, &p, sm, null_share, null_sd, err);
out:
    grok_pca_free(&p);
    grok_traj_free(&tr);
    free(null_share);
    free(null_sd);
    return rc;
}

/* ---- the /pca group ------------------------------------------------------------------------- */

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

/* /pca/basis: the collected directions, compacted and orthonormalised. */
static int write_basis(struct job *j, struct grok_run *out, struct grok_err *err)
{
    size_t np = j->model.n_params, K = j->basis_cols;
    if (K == 0) {
        snprintf(j->basis_note, sizeof j->basis_note, "none: no direction of any matrix moved");
        return GROK_OK;
    }
    for (size_t i = 0; i < np; i++) /* compact to K columns, in place */
        memmove(j->basis + i * K, j->basis + i * j->basis_cap, K * sizeof *j->basis);
    int rc = grok_orthonormalise(j->basis, np, K, err);
    if (rc == GROK_OK)
        rc = grok_pca_basis_write(out, &j->model, j->basis, K, j->basis_from, err);
    snprintf(j->basis_note, sizeof j->basis_note, "%zu columns over %zu parameters", K, np);
    return rc;
}

/* The summary columns (one value per matrix) and the settings, on /pca. */
static int write_summary(struct job *j, struct grok_analysis *a, struct grok_err *err)
{
    const struct grok_pca_opts *o = j->o;
    const struct summary *sm = j->sm;
    struct grok_run *out = a->out;
    int M = j->M;
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
    if (rc == GROK_OK) rc = grok_run_write_i64(out, GROUP, "n_params", n, 1, shape, err);
    static const char *cols[] = {"pc1", "pc2", "pc3", "top3", "null_pc1", "null_pc1_sd",
                                 "null_top3", "null_top3_sd"};
    for (int c = 0; rc == GROK_OK && c < (o->null_walks ? 8 : 4); c++) {
        for (int i = 0; i < M; i++) {
            const struct summary *s = &sm[i];
            double x[8] = {s->pc[0], s->pc[1], s->pc[2], s->top3, s->null_pc1, s->null_pc1_sd,
                           s->null_top3, s->null_top3_sd};
            v[i] = x[c];
        }
        rc = grok_run_write_f64(out, GROUP, cols[c], v, 1, shape, err);
    }
    const char *steps = grok_analysis_steps(a);
    const char *method = o->method == GROK_PCA_GRAM ? "gram" : o->method == GROK_PCA_SVD ? "svd" : "auto";
    if (rc == GROK_OK) rc = grok_run_write_i64(out, GROUP, "step", a->steps, 1, &a->T, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(out, GROUP, "matrices", names, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(out, GROUP, "steps", steps, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(out, GROUP, "method", method, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, GROUP, "k", o->k, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, GROUP, "joint", o->joint, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, GROUP, "basis_k", o->basis_k, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(out, GROUP, "basis", j->basis_note, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, GROUP, "window", j->nwin ? o->window : 0, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, GROUP, "null_walks", o->null_walks, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, GROUP, "seed", o->seed, err);
    free(v);
    free(n);
    free(names);
    return rc;
}

/* ---- tables ------------------------------------------------------------------------------- */

static void table_summary(struct grok_tsv_writer *w, const struct job *j, size_t T, int null)
{
    const struct summary *sm = j->sm;
    const char *h[] = {"matrix", "n_params", "n_snapshots", "pc1", "pc2", "pc3", "top3",
                       "null_pc1", "null_pc1_sd", "null_top3", "null_top3_sd"};
    for (int c = 0; c < (null ? 11 : 7); c++)
        grok_tsv_str(w, h[c]);
    grok_tsv_end_row(w);
    for (int i = 0; i < j->M; i++) {
        grok_tsv_str(w, sm[i].name);
        grok_tsv_i64(w, (long long)sm[i].n);
        grok_tsv_i64(w, (long long)T);
        for (int c = 0; c < 3; c++)
            grok_tsv_f64(w, sm[i].pc[c]);
        grok_tsv_f64(w, sm[i].top3);
        if (null) {
            grok_tsv_f64(w, sm[i].null_pc1);
            grok_tsv_f64(w, sm[i].null_pc1_sd);
            grok_tsv_f64(w, sm[i].null_top3);
            grok_tsv_f64(w, sm[i].null_top3_sd);
        }
        grok_tsv_end_row(w);
    }
}

static void table_window(struct grok_tsv_writer *w, const struct job *j, int null)
{
    const struct summary *sm = j->sm;
    const char *h[] = {"matrix", "t", "step", "pc1", "null_pc1", "null_pc1_sd"};
    for (int c = 0; c < (null ? 6 : 4); c++)
        grok_tsv_str(w, h[c]);
    grok_tsv_end_row(w);
    for (int i = 0; i < j->M; i++)
        for (int k = 0; k < j->nwin; k++) {
            grok_tsv_str(w, sm[i].name);
            grok_tsv_i64(w, j->win_count[k]);
            grok_tsv_i64(w, j->win_step[k]);
            grok_tsv_f64(w, sm[i].win_pc1[k]);
            if (null) {
                grok_tsv_f64(w, sm[i].null_win[k]);
                grok_tsv_f64(w, sm[i].null_win_sd[k]);
            }
            grok_tsv_end_row(w);
        }
}

static void table_proj(struct grok_tsv_writer *w, const struct job *j, const struct grok_analysis *a)
{
    const struct summary *sm = j->sm;
    char buf[64];
    int k = j->o->k;
    for (int i = 0; i < j->M; i++)
        k = sm[i].k < k ? sm[i].k : k;
    grok_tsv_str(w, "matrix");
    grok_tsv_str(w, "step");
    for (int c = 0; c < k; c++) {
        snprintf(buf, sizeof buf, "proj%d", c + 1);
        grok_tsv_str(w, buf);
    }
    grok_tsv_end_row(w);
    for (int i = 0; i < j->M; i++)
        for (size_t t = 0; t < a->T; t++) {
            grok_tsv_str(w, sm[i].name);
            grok_tsv_i64(w, a->steps[t]);
            for (int c = 0; c < k; c++)
                grok_tsv_f64(w, sm[i].proj[t * (size_t)sm[i].k + (size_t)c]);
            grok_tsv_end_row(w);
        }
}

/* ---- the driver's hooks ------------------------------------------------------------------------ */

/* A trajectory needs two snapshots or more (in the order of training: grok_stepcol_read has
 * refused a step column that is not increasing). */
static int check_snapshots(struct grok_analysis *a, struct grok_err *err)
{
    if (a->T < 2)
        return grok_err_set(err, GROK_EINVAL, "%s: a trajectory needs 2 snapshots or more; %s %zu",
                            grok_run_name(a->in), a->sel->steps_text ? "-s selects" : "the run has", a->T);
    return GROK_OK;
}

/* T snapshots, centred, span T - 1 directions at most: with T - 1 <= 3 the summary's shares
 * (pc1, pc2, pc3, top3) are fixed by the count (PC1 = 1 for 2), whatever the training did. The
 * analysis runs (a user may want the projections), but says so. */
#define MEANINGFUL_T 5

static void warn_few_snapshots(const struct grok_analysis *a, int quiet)
{
    static const char *const fixed[] = {"", "", "PC1 = 1", "PC1 + PC2 = 1", "PC1 + PC2 + PC3 = 1"};
    if (quiet || a->T >= MEANINGFUL_T)
        return;
    grok_error("%s: %zu snapshots span %zu direction%s at most, so %s whatever the training did; "
               "the shares mean something from %d snapshots on", grok_run_name(a->in), a->T,
               a->T - 1, a->T == 2 ? "" : "s", fixed[a->T], MEANINGFUL_T);
}

static int setup_windows(struct job *j, struct grok_analysis *a, struct grok_err *err)
{
    if (!j->o->window)
        return GROK_OK;
    size_t N = (size_t)j->o->window;
    j->win_t = malloc(N * sizeof *j->win_t);
    j->win_count = malloc(N * sizeof *j->win_count);
    j->win_step = malloc(N * sizeof *j->win_step);
    if (!j->win_t || !j->win_count || !j->win_step)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    j->nwin = window_lengths(a->T, j->o->window, j->win_t);
    for (int w = 0; w < j->nwin; w++) {
        j->win_count[w] = (long long)j->win_t[w];
        j->win_step[w] = a->steps[j->win_t[w] - 1];
    }
    return GROK_OK;
}

/* The basis needs the model's layout; a run whose /config does not describe one gets none. */
static int setup_basis(struct job *j, struct grok_analysis *a, struct grok_err *err)
{
    struct grok_err why;
    if (a->table || j->o->basis_k == 0) {
        snprintf(j->basis_note, sizeof j->basis_note, "none: --basis-k 0");
        return GROK_OK;
    }
    if (grok_model_from_run(&j->model, a->in, &why) != GROK_OK) {
        snprintf(j->basis_note, sizeof j->basis_note, "none: %s", why.msg);
        return GROK_OK;
    }
    j->basis_cap = (size_t)j->M * (size_t)j->o->basis_k;
    j->basis = calloc(j->model.n_params * j->basis_cap, sizeof *j->basis);
    j->basis_from = calloc(j->basis_cap, GROK_MAX_NAME + 2);
    if (!j->basis || !j->basis_from)
        return grok_err_set(err, GROK_ENOMEM, "out of memory for a basis of %zu x %zu",
                            j->model.n_params, j->basis_cap);
    return GROK_OK;
}

static int pca_setup(void *ctx, struct grok_analysis *a, long long *units, struct grok_err *err)
{
    struct job *j = ctx;
    j->rng = a->rng;   /* the driver's, seeded with --seed */
    int rc;
    if ((rc = check_snapshots(a, err)) != GROK_OK || (rc = setup_windows(j, a, err)) != GROK_OK ||
        (rc = select_params(j, a, err)) != GROK_OK)
        return rc;
    warn_few_snapshots(a, j->o->quiet);
    j->M = j->o->joint ? 1 : j->nsel;
    if (!(j->sm = calloc((size_t)j->M, sizeof *j->sm)))
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    if ((rc = setup_basis(j, a, err)) != GROK_OK)
        return rc;
    *units = j->M;
    return GROK_OK;
}

/* Matrix u, or every selected parameter at once with --joint. */
static int pca_unit(void *ctx, struct grok_analysis *a, long long u, struct grok_err *err)
{
    struct job *j = ctx;
    if (j->o->joint)
        return analyse(j, a, "joint", j->sel, j->nsel, &j->sm[0], err);
    return analyse(j, a, j->sel[u], &j->sel[u], 1, &j->sm[u], err);
}

static void pca_table(void *ctx, struct grok_analysis *a, FILE *f)
{
    struct job *j = ctx;
    const struct grok_pca_opts *o = j->o;
    struct grok_tsv_writer w;
    char buf[64];
    grok_tsv_init(&w, f);
    grok_tsv_meta(&w, "run", grok_run_name(a->in));
    snprintf(buf, sizeof buf, "%zu (steps %lld to %lld)", a->T, a->steps[0], a->steps[a->T - 1]);
    grok_tsv_meta(&w, "snapshots", buf);
    if (o->null_walks) {
        snprintf(buf, sizeof buf, "%d random walks, seed %lld", o->null_walks, o->seed);
        grok_tsv_meta(&w, "null", buf);
    }
    int null = o->null_walks > 0;
    if (o->table == GROK_PCA_TABLE_SUMMARY)
        table_summary(&w, j, a->T, null);
    else if (o->table == GROK_PCA_TABLE_WINDOW)
        table_window(&w, j, null);
    else
        table_proj(&w, j, a);
}

static int pca_group(void *ctx, struct grok_analysis *a, struct grok_err *err)
{
    struct job *j = ctx;
    int rc = j->basis ? write_basis(j, a->out, err) : GROK_OK;
    return rc != GROK_OK ? rc : write_summary(j, a, err);
}

static const struct grok_analysis_def pca_def = {
    .program = "grok-pca",
    .group = GROUP,
    .seeded = 1,
    .setup = pca_setup,
    .unit = pca_unit,
    .write_table = pca_table,
    .write_group = pca_group,
};

static void job_free(struct job *j)
{
    for (int i = 0; j->sm && i < j->M; i++) {
        free(j->sm[i].win_pc1);
        free(j->sm[i].null_win);
        free(j->sm[i].null_win_sd);
        free(j->sm[i].proj);
    }
    free(j->sm);
    free(j->sel);
    grok_model_free(&j->model);
    free(j->win_t);
    free(j->win_count);
    free(j->win_step);
    free(j->basis);
    free(j->basis_from);
}

/* ---- -t spectra: P1's weight-spectrum measures ---------------------------------------------- */

/* One attention layer: its W_Q and W_K snapshots and their shape (n_heads, d_model, d_head). */
struct spectra_layer {
    long index;                          /* L of blocks.L.attn */
    const char *q, *k;                   /* the parameters' names, borrowed from the snapshots */
    int n_heads, d_model, d_head;
    size_t row0;                         /* its first row among a snapshot's rows of values */
};

struct spectra_job {
    const struct grok_pca_opts *o;
    struct spectra_layer *layers;        /* (L) by layer index */
    int L;
    size_t rows;                         /* rows of values per snapshot: Σ (1 + n_heads) */
    int cols;                            /* GROK_SPECTRA_COLS(o->k) */
    double *vals;                        /* (T, rows, cols) */
    double *w, *q, *k, *work;            /* the largest layer's room */
};

/* L when name is "blocks.L.attn.<matrix>" with L a whole number, else -1. */
static long attn_layer(const char *name, const char *matrix)
{
    static const char prefix[] = "blocks.";
    if (strncmp(name, prefix, sizeof prefix - 1) != 0)
        return -1;
    const char *c = name + sizeof prefix - 1;
    char *end;
    if (*c < '0' || *c > '9')
        return -1;
    long L = strtol(c, &end, 10);
    if (strncmp(end, ".attn.", 6) != 0 || strcmp(end + 6, matrix) != 0)
        return -1;
    return L;
}

/* The index in s of blocks.L.attn.<matrix>, or -1. */
static long find_param(const struct grok_snapshots *s, long L, const char *matrix)
{
    for (size_t i = 0; i < s->nparams; i++)
        if (attn_layer(s->params[i], matrix) == L)
            return (long)i;
    return -1;
}

/* The layers whose W_Q and W_K /snapshots holds (both matched by -p when given), in order of L. */
static int spectra_layers(struct spectra_job *j, struct grok_analysis *a, struct grok_err *err)
{
    const struct grok_selection *sel = a->sel;
    const struct grok_snapshots *s = &a->snaps;
    const char *run = grok_run_name(a->in);
    int found = 0;
    if (!(j->layers = calloc(s->nparams ? s->nparams : 1, sizeof *j->layers)))
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->nparams; i++) {
        int is_q = attn_layer(s->params[i], "W_Q") >= 0;
        long L = is_q ? attn_layer(s->params[i], "W_Q") : attn_layer(s->params[i], "W_K");
        if (L < 0)
            continue;
        long other = find_param(s, L, is_q ? "W_K" : "W_Q");
        if (other < 0)
            return grok_err_set(err, GROK_ENOTFOUND, "%s: -t spectra needs W_Q and W_K; /snapshots "
                                "holds %s but no blocks.%ld.attn.%s", run, s->params[i], L,
                                is_q ? "W_K" : "W_Q");
        found = 1;
        if (!is_q)
            continue; /* the pair is counted once, at its W_Q */
        const char *q = s->params[i], *k = s->params[other];
        if (sel->nglobs && !(grok_globs_match(sel->globs, sel->nglobs, q) &&
                             grok_globs_match(sel->globs, sel->nglobs, k)))
            continue;
        int at = j->L++;
        while (at > 0 && j->layers[at - 1].index > L) { /* insertion by L */
            j->layers[at] = j->layers[at - 1];
            at--;
        }
        j->layers[at] = (struct spectra_layer){.index = L, .q = q, .k = k};
    }
    if (!found)
        return grok_err_set(err, GROK_ENOTFOUND, "%s: -t spectra needs attention; /snapshots holds "
                            "no blocks.L.attn.W_Q and W_K", run);
    if (j->L == 0) {
        char globs[512];
        grok_globs_join(globs, sizeof globs, sel->globs, sel->nglobs);
        return grok_err_set(err, GROK_ENOTFOUND, "%s: -p %s selects no layer's W_Q and W_K", run, globs);
    }
    return GROK_OK;
}

/* A layer's shape from its W_Q and W_K snapshots: the same (n_heads, d_model, d_head) for both,
 * heads that join into a square matrix, blocks with room for the gaps and -k values. */
static int spectra_shape(struct spectra_job *j, struct grok_analysis *a, struct spectra_layer *l,
                         struct grok_err *err)
{
    const char *run = grok_run_name(a->in);
    struct grok_array info[2];
    const char *names[2] = {l->q, l->k};
    for (int m = 0; m < 2; m++) {
        char path[GROK_MAX_NAME + 16];
        int rc;
        if ((rc = grok_snapshots_path(path, sizeof path, names[m], err)) != GROK_OK ||
            (rc = grok_run_info(a->in, path, &info[m], err)) != GROK_OK)
            return rc;
        if (info[m].rank != 4)
            return grok_err_set(err, GROK_EFORMAT, "%s: %s is not (n_heads, d_model, d_head) per "
                                "snapshot", run, names[m]);
    }
    if (memcmp(info[0].shape + 1, info[1].shape + 1, 3 * sizeof *info[0].shape) != 0)
        return grok_err_set(err, GROK_EFORMAT, "%s: %s is %zu x %zu x %zu, %s %zu x %zu x %zu", run,
                            l->q, info[0].shape[1], info[0].shape[2], info[0].shape[3], l->k,
                            info[1].shape[1], info[1].shape[2], info[1].shape[3]);
    size_t H = info[0].shape[1], d = info[0].shape[2], dh = info[0].shape[3];
    if (H * dh != d)
        return grok_err_set(err, GROK_EFORMAT, "%s: %s has %zu heads of %zu on a stream of %zu: "
                            "joined, they are not square, and the commutator needs them square",
                            run, l->q, H, dh, d);
    if (dh < 3)
        return grok_err_set(err, GROK_EFORMAT, "%s: %s has heads of %zu: a head's block has no "
                            "third singular value for the gap sigma2 - sigma3", run, l->q, dh);
    if ((size_t)j->o->k > dh)
        return grok_err_set(err, GROK_EINVAL, "%s: -k %d: a head's block of %s has %zu singular "
                            "values", run, j->o->k, l->q, dh);
    if (d > 65536)
        return grok_err_set(err, GROK_EFORMAT, "%s: %s: d_model %zu is too large", run, l->q, d);
    l->n_heads = (int)H;
    l->d_model = (int)d;
    l->d_head = (int)dh;
    return GROK_OK;
}

static int spectra_setup(void *ctx, struct grok_analysis *a, long long *units, struct grok_err *err)
{
    struct spectra_job *j = ctx;
    int rc, dmax = 0;
    if (a->T == 0)
        return grok_err_set(err, GROK_EINVAL, "%s: -s %s selects no snapshot",
                            grok_run_name(a->in), a->sel->steps_text);
    if ((rc = spectra_layers(j, a, err)) != GROK_OK)
        return rc;
    for (int i = 0; i < j->L; i++) {
        if ((rc = spectra_shape(j, a, &j->layers[i], err)) != GROK_OK)
            return rc;
        j->layers[i].row0 = j->rows;
        j->rows += 1 + (size_t)j->layers[i].n_heads;
        dmax = j->layers[i].d_model > dmax ? j->layers[i].d_model : dmax;
    }
    size_t dd = (size_t)dmax * (size_t)dmax;
    j->cols = GROK_SPECTRA_COLS(j->o->k);
    j->vals = malloc(a->T * j->rows * (size_t)j->cols * sizeof *j->vals);
    j->w = malloc(dd * sizeof *j->w);
    j->q = malloc(dd * sizeof *j->q);
    j->k = malloc(dd * sizeof *j->k);
    j->work = malloc(grok_spectra_work(dmax) * sizeof *j->work);
    if (!j->vals || !j->w || !j->q || !j->k || !j->work)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    *units = (long long)a->T;
    return GROK_OK;
}

/* Parameter name's selected snapshot t, checked finite, joined into out. */
static int spectra_read(struct spectra_job *j, struct grok_analysis *a, const struct spectra_layer *l,
                        const char *name, size_t t, double *out, struct grok_err *err)
{
    char path[GROK_MAX_NAME + 16];
    struct grok_array x = {0};
    int rc;
    if ((rc = grok_snapshots_path(path, sizeof path, name, err)) != GROK_OK ||
        (rc = grok_run_read_rows(a->in, path, a->rows[t], 1, GROK_F64, &x, err)) != GROK_OK)
        return rc;
    const double *v = x.data;
    for (size_t i = 0; i < x.n; i++)
        if (!isfinite(v[i])) {
            grok_array_free(&x);
            return grok_err_set(err, GROK_EFORMAT, "%s: %s: the snapshot at step %lld holds a "
                                "value that is not finite", grok_run_name(a->in), name, a->steps[t]);
        }
    memcpy(j->w, v, x.n * sizeof *j->w);
    grok_array_free(&x);
    grok_heads_join(out, j->w, l->n_heads, l->d_model, l->d_head);
    return GROK_OK;
}

/* Snapshot u: every layer's rows. */
static int spectra_unit(void *ctx, struct grok_analysis *a, long long u, struct grok_err *err)
{
    struct spectra_job *j = ctx;
    size_t t = (size_t)u;
    for (int i = 0; i < j->L; i++) {
        const struct spectra_layer *l = &j->layers[i];
        double *out = j->vals + (t * j->rows + l->row0) * (size_t)j->cols;
        int rc;
        if ((rc = spectra_read(j, a, l, l->q, t, j->q, err)) != GROK_OK ||
            (rc = spectra_read(j, a, l, l->k, t, j->k, err)) != GROK_OK)
            return rc;
        if ((rc = grok_spectra_layer(j->q, j->k, l->n_heads, l->d_head, j->o->k, out, j->work,
                                     err)) != GROK_OK) {
            char why[sizeof err->msg];
            snprintf(why, sizeof why, "%s", err->msg);
            return grok_err_set(err, rc, "%s: layer %ld at step %lld: %s", grok_run_name(a->in),
                                l->index, a->steps[t], why);
        }
    }
    return GROK_OK;
}

static void spectra_table(void *ctx, struct grok_analysis *a, FILE *f)
{
    struct spectra_job *j = ctx;
    struct grok_tsv_writer w;
    char buf[64];
    int K = j->o->k;
    grok_tsv_init(&w, f);
    grok_tsv_meta(&w, "run", grok_run_name(a->in));
    snprintf(buf, sizeof buf, "%zu (steps %lld to %lld)", a->T, a->steps[0], a->steps[a->T - 1]);
    grok_tsv_meta(&w, "snapshots", buf);
    grok_tsv_meta(&w, "spectra", "W_Q and W_K, heads joined as PyTorch's in_proj rows; head h: "
                  "their diagonal block of rows and columns h*d_head to (h+1)*d_head-1");
    grok_tsv_str(&w, "step");
    grok_tsv_str(&w, "layer");
    grok_tsv_str(&w, "head");
    for (int m = 0; m < 2; m++)
        for (int c = 0; c < K; c++) {
            snprintf(buf, sizeof buf, "%c_sigma%d", m ? 'k' : 'q', c + 1);
            grok_tsv_str(&w, buf);
        }
    static const char *const tail[] = {"q_gap12", "q_gap23", "k_gap12", "k_gap23", "comm_F"};
    for (int c = 0; c < 5; c++)
        grok_tsv_str(&w, tail[c]);
    grok_tsv_end_row(&w);
    for (size_t t = 0; t < a->T; t++)
        for (int i = 0; i < j->L; i++) {
            const struct spectra_layer *l = &j->layers[i];
            for (int h = -1; h < l->n_heads; h++) {
                const double *v = j->vals + (t * j->rows + l->row0 + (size_t)(h + 1)) * (size_t)j->cols;
                grok_tsv_i64(&w, a->steps[t]);
                grok_tsv_i64(&w, l->index);
                if (h < 0)
                    grok_tsv_str(&w, "all");
                else
                    grok_tsv_i64(&w, h);
                for (int c = 0; c < j->cols; c++)
                    grok_tsv_f64(&w, v[c]);
                grok_tsv_end_row(&w);
            }
        }
}

/* -t spectra is a table only: grok_pca_run gives it no run to write. */
static int spectra_group(void *ctx, struct grok_analysis *a, struct grok_err *err)
{
    (void)ctx;
    return grok_err_set(err, GROK_EINVAL, "%s: -t spectra writes a table, not a run",
                        grok_run_name(a->in));
}

static const struct grok_analysis_def spectra_def = {
    .program = "grok-pca",
    .group = GROUP,
    .setup = spectra_setup,
    .unit = spectra_unit,
    .write_table = spectra_table,
    .write_group = spectra_group,
};

int grok_pca_run(const struct grok_pca_opts *o, const struct grok_analysis_io *io)
{
    if (o->table == GROK_PCA_TABLE_SPECTRA) {
        struct spectra_job sj = {.o = o};
        int rc = grok_analysis_run(&spectra_def, &sj, io, 0);
        free(sj.layers);
        free(sj.vals);
        free(sj.w);
        free(sj.q);
        free(sj.k);
        free(sj.work);
        return rc;
    }
    struct job j = {.o = o};
    int rc = grok_analysis_run(&pca_def, &j, io, o->seed);
    job_free(&j);
    return rc;
}

/* ---- what grok-fit reads back ------------------------------------------------------------------ */

void grok_pca_pc1_free(struct grok_pca_pc1 *p)
{
    if (!p)
        return;
    free(p->pc1);
    free(p->names);
    free(p->list);
    memset(p, 0, sizeof *p);
}

/* /pca@matrices cut at its commas into p->names, which must be as many as the values. */
static int read_names(struct grok_run *run, struct grok_pca_pc1 *p, struct grok_err *err)
{
    const char *name = grok_run_name(run);
    if (grok_run_attr_get_str(run, GROUP, "matrices", &p->list, NULL) != GROK_OK)
        return GROK_OK; /* the shares without names */
    size_t n = *p->list ? 1 : 0;
    for (const char *c = p->list; *c; c++)
        n += *c == ',';
    if (n != p->n)
        return grok_err_set(err, GROK_EFORMAT, "%s: " GROUP "@matrices names %zu matri%s, " GROUP
                            "/pc1 holds %zu value%s", name, n, n == 1 ? "x" : "ces", p->n,
                            p->n == 1 ? "" : "s");
    if (!(p->names = malloc((n ? n : 1) * sizeof *p->names)))
        return grok_err_set(err, GROK_ENOMEM, "%s: out of memory", name);
    char *item = p->list;
    for (size_t i = 0; i < n; i++) {
        char *comma = strchr(item, ',');
        if (comma)
            *comma = '\0';
        p->names[i] = item;
        int repeated = 0;
        for (size_t k = 0; k < i && !repeated; k++)
            repeated = strcmp(p->names[k], item) == 0;
        if (!*item || repeated)
            return grok_err_set(err, GROK_EFORMAT, "%s: " GROUP "@matrices names %s matrix", name,
                                *item ? "a repeated" : "an empty");
        item = comma ? comma + 1 : item + strlen(item);
    }
    return GROK_OK;
}

int grok_pca_pc1_read(struct grok_run *run, struct grok_pca_pc1 *p, struct grok_err *err)
{
    struct grok_array a = {0};
    memset(p, 0, sizeof *p);
    if (!grok_run_exists(run, GROUP "/pc1"))
        return GROK_OK;
    int rc = grok_run_read(run, GROUP "/pc1", GROK_F64, &a, err);
    if (rc != GROK_OK)
        return rc;
    p->pc1 = a.data; /* now p's */
    p->n = a.n;
    if ((rc = read_names(run, p, err)) != GROK_OK)
        grok_pca_pc1_free(p);
    return rc;
}
