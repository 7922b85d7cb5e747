/* grok-fourier's analysis: the Fourier spectrum of the chosen matrices at every selected
 * snapshot, one (matrix, snapshot) pair per unit of the analysis driver, written as the group
 * /fourier or as the summary or spectrum table. */
#include "grok/fourier_run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grok/analysis.h"
#include "grok/config.h"
#include "grok/snapshots.h"
#include "grok/task.h"
#include "grok/tsv.h"

#define GROUP "/fourier"

/* What the analysis needs of the run's training settings. */
struct settings {
    long long p;                 /* the modulus: the number tokens */
    long long n_ctx, d_vocab;    /* 0 when the run does not record them */
    int onehot_mlp;              /* a one-hot MLP (its first layer stands for the embedding) */
};

/* One matrix read as [p, d] (the p number tokens) and its results over the T snapshots. */
struct matrix {
    const char *name;                /* the parameter (borrowed from the snapshot list) */
    char path[GROK_MAX_NAME + 16];   /* /snapshots/<name> */
    int transpose;                   /* a W_U [d, p]: its columns are the tokens */
    size_t rows, cols, d;            /* the stored matrix, and the width of a token's vector */
    char source[160];                /* how it was read, for the attribute and the table */
    double *norm, *cos_part, *sin_part;        /* (T, K) the folded spectrum */
    double *gini, *share, *fixed_share, *dom;  /* (T) */
    int *top;                                  /* (T, K−1) each snapshot's own keys, -1 after */
    size_t *ntop;                              /* (T) how many */
    int keys[GROK_P_MAX];                      /* the fixed keys, from the key snapshot */
    size_t nkeys;
    double *ratio, *cosine, *sim;              /* (T, nkeys), (T, nkeys), (T, nkeys, nkeys) */
};

struct job {
    const struct grok_fourier_opts *o;
    struct settings cfg;
    size_t K;                       /* frequencies kept */
    size_t key_t;                   /* the snapshot the fixed keys come from */
    struct matrix *m;
    int M;
    struct grok_fourier_plan *plan;
    double *E, *re, *im;            /* one snapshot: (p, d_max), (K, d_max), (K, d_max) */
    size_t d_max;
};

static int nomem(struct grok_err *err)
{
    return grok_err_set(err, GROK_ENOMEM, "out of memory");
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

/* p (which the run must record, from 2 to GROK_P_MAX), n_ctx and d_vocab (when recorded), and
 * whether the model is a one-hot MLP, from the run's settings: the config module's reader of a
 * model's shape, which works on runs that record only p. */
static int read_settings(struct grok_run *in, struct settings *cfg, struct grok_err *err)
{
    struct grok_config_shape sh;
    int rc = grok_config_read_shape(in, &sh, err);
    if (rc != GROK_OK)
        return rc;
    cfg->p = sh.p;
    cfg->n_ctx = sh.n_ctx;
    cfg->d_vocab = sh.d_vocab;
    cfg->onehot_mlp = sh.arch == GROK_MLP && (sh.input == GROK_INPUT_ONEHOT || sh.input == GROK_INPUT_ONEHOT_SUM);
    return GROK_OK;
}

/* ---- what is analysed ---------------------------------------------------------------------- */

/* Checks that a parameter has a token axis of p and records how to read it:
 * a name ending in W_U is [d, p] (read transposed); any other matrix is [tokens, d] with p to
 * p+2 rows (a vocabulary: the numbers, then '=' and the op symbol), or n_ctx blocks of d_vocab
 * rows (the first layer of a one-hot MLP, whose first block is the first operand); its first p
 * rows are used. */
static int setup_matrix(struct job *j, struct grok_run *in, struct matrix *m, const char *name,
                        struct grok_err *err)
{
    const struct settings *cfg = &j->cfg;
    struct grok_array info;
    m->name = name;
    int rc = grok_snapshots_path(m->path, sizeof m->path, name, err);
    if (rc == GROK_OK)
        rc = grok_run_info(in, m->path, &info, err);
    if (rc != GROK_OK)
        return rc;
    if (info.rank != 3 || info.dtype == GROK_STR || info.dtype == GROK_OTHER) {
        char shape[128] = "";
        for (int i = 1, len = 0; i < info.rank && len < (int)sizeof shape; i++)
            len += snprintf(shape + len, sizeof shape - (size_t)len, "%s%zu", i > 1 ? ", " : "",
                            info.shape[i]);
        return grok_err_set(err, GROK_EINVAL, "%s: %s [%s] is not a matrix of token vectors",
                            grok_run_name(in), name, shape);
    }
    size_t p = (size_t)cfg->p;
    m->rows = info.shape[1];
    m->cols = info.shape[2];
    if (ends_with(name, "W_U")) {
        m->transpose = 1;
        m->d = m->rows;
        if (m->cols == p) {
            snprintf(m->source, sizeof m->source, "%s [%zu, %zu] transposed: token j is column j",
                     name, m->rows, m->cols);
            return GROK_OK;
        }
    } else {
        m->d = m->cols;
        int vocab = m->rows >= p && m->rows <= p + 2;
        int onehot = cfg->n_ctx > 0 && cfg->d_vocab >= cfg->p && cfg->d_vocab <= cfg->p + 2 &&
                     m->rows == (size_t)(cfg->n_ctx * cfg->d_vocab);
        if (vocab || onehot) {
            snprintf(m->source, sizeof m->source, "%s [%zu, %zu] rows 0..%zu: token j is row j%s",
                     name, m->rows, m->cols, p - 1, onehot && !vocab ? " (the first operand's block)" : "");
            return GROK_OK;
        }
    }
    return grok_err_set(err, GROK_EINVAL,
                        "%s: %s [%zu, %zu] has no token axis of p = %lld (p to p+2 rows, or p columns for a W_U)",
                        grok_run_name(in), name, m->rows, m->cols, cfg->p);
}

/* The -p globs, or the default: the input embedding (embed.W_E, or a one-hot MLP's mlp.0.W)
 * and unembed.W_U, those of them that have snapshots. */
static int select_matrices(struct job *j, const struct grok_analysis *a, struct grok_err *err)
{
    const struct grok_selection *sel = a->sel;
    const struct grok_snapshots *s = &a->snaps;
    const char *chosen[GROK_P_MAX];
    int n = 0;
    if (!(j->m = calloc(s->nparams + 2, sizeof *j->m)))
        return nomem(err);
    if (sel->nglobs) {
        for (size_t i = 0; i < s->nparams; i++)
            if (grok_globs_match(sel->globs, sel->nglobs, s->params[i]) && n < GROK_P_MAX)
                chosen[n++] = s->params[i];
        if (n == 0) {
            char globs[512];
            grok_globs_join(globs, sizeof globs, sel->globs, sel->nglobs);
            return grok_err_set(err, GROK_ENOTFOUND, "%s: no parameter matches -p %s",
                                grok_run_name(a->in), globs);
        }
    } else {
        const char *want[3] = {"embed.W_E", j->cfg.onehot_mlp ? "mlp.0.W" : NULL, "unembed.W_U"};
        for (int w = 0; w < 3; w++)
            for (size_t i = 0; want[w] && i < s->nparams; i++)
                if (strcmp(s->params[i], want[w]) == 0)
                    chosen[n++] = s->params[i];
        if (n == 0)
            return grok_err_set(err, GROK_ENOTFOUND,
                                "%s: no embedding snapshots (embed.W_E or unembed.W_U); -p names another matrix",
                                grok_run_name(a->in));
    }
    for (int i = 0; i < n; i++) {
        int rc = setup_matrix(j, a->in, &j->m[i], chosen[i], err);
        if (rc != GROK_OK)
            return rc;
        j->M = i + 1;
        if (j->m[i].d > j->d_max)
            j->d_max = j->m[i].d;
    }
    return GROK_OK;
}

/* ---- the analysis ------------------------------------------------------------------------- */

/* Selected snapshot t of matrix m as E (p, d), checked finite. */
static int read_snapshot(struct job *j, const struct grok_analysis *a, const struct matrix *m,
                         size_t t, struct grok_err *err)
{
    struct grok_array x = {0};
    int rc = grok_run_read_rows(a->in, m->path, a->rows[t], 1, GROK_F64, &x, err);
    if (rc != GROK_OK)
        return rc;
    const double *v = x.data;
    size_t p = (size_t)j->cfg.p, d = m->d;
    for (size_t r = 0; r < p; r++)
        for (size_t c = 0; c < d; c++) {
            double e = m->transpose ? v[c * m->cols + r] : v[r * m->cols + c];
            if (!isfinite(e)) {
                grok_array_free(&x);
                return grok_err_set(err, GROK_EFORMAT,
                                    "%s: %s: the snapshot at step %lld holds a value that is not finite",
                                    grok_run_name(a->in), m->name, a->steps[t]);
            }
            j->E[r * d + c] = e;
        }
    grok_array_free(&x);
    return GROK_OK;
}

static int alloc_results(struct matrix *m, size_t T, size_t K, struct grok_err *err)
{
    m->norm = malloc(T * K * sizeof *m->norm);
    m->cos_part = malloc(T * K * sizeof *m->cos_part);
    m->sin_part = malloc(T * K * sizeof *m->sin_part);
    m->gini = malloc(T * sizeof *m->gini);
    m->share = malloc(T * sizeof *m->share);
    m->fixed_share = malloc(T * sizeof *m->fixed_share);
    m->dom = malloc(T * sizeof *m->dom);
    m->top = malloc(T * (K - 1) * sizeof *m->top);
    m->ntop = malloc(T * sizeof *m->ntop);
    if (!m->norm || !m->cos_part || !m->sin_part || !m->gini || !m->share || !m->fixed_share ||
        !m->dom || !m->top || !m->ntop)
        return nomem(err);
    return GROK_OK;
}

static void matrix_free(struct matrix *m)
{
    free(m->norm);
    free(m->cos_part);
    free(m->sin_part);
    free(m->gini);
    free(m->share);
    free(m->fixed_share);
    free(m->dom);
    free(m->top);
    free(m->ntop);
    free(m->ratio);
    free(m->cosine);
    free(m->sim);
}

/* Before a matrix's first snapshot: its results' room and its fixed keys, from the key snapshot
 * (the circle measures of every snapshot follow them). */
static int start_matrix(struct job *j, const struct grok_analysis *a, struct matrix *m,
                        struct grok_err *err)
{
    size_t K = j->K, T = a->T;
    int rc = alloc_results(m, T, K, err);
    if (rc == GROK_OK)
        rc = read_snapshot(j, a, m, j->key_t, err);
    if (rc != GROK_OK)
        return rc;
    grok_fourier_dft(j->plan, j->E, m->d, j->re, j->im);
    grok_fourier_spectrum(j->re, j->im, (size_t)j->cfg.p, m->d, m->norm, NULL, NULL);
    m->nkeys = grok_fourier_keys(m->norm, K, j->o->keys, j->o->key_share, m->keys, NULL);
    size_t nk = m->nkeys;
    m->ratio = malloc(T * nk * sizeof *m->ratio);
    m->cosine = malloc(T * nk * sizeof *m->cosine);
    m->sim = malloc(T * nk * nk * sizeof *m->sim);
    if (!m->ratio || !m->cosine || !m->sim)
        return nomem(err);
    return GROK_OK;
}

/* Snapshot t of matrix m: its spectrum, Gini, own keys and circle measures. */
static int analyse(struct job *j, const struct grok_analysis *a, struct matrix *m, size_t t,
                   struct grok_err *err)
{
    size_t K = j->K, d = m->d, nk = m->nkeys;
    double scratch[GROK_P_MAX / 2 + 1];
    int rc = read_snapshot(j, a, m, t, err);
    if (rc != GROK_OK)
        return rc;
    double *nt = m->norm + t * K;
    grok_fourier_dft(j->plan, j->E, d, j->re, j->im);
    grok_fourier_spectrum(j->re, j->im, (size_t)j->cfg.p, d, nt, m->cos_part + t * K,
                          m->sin_part + t * K);
    memcpy(scratch, nt + 1, (K - 1) * sizeof *scratch);
    m->gini[t] = grok_gini(scratch, K - 1);
    int *top = m->top + t * (K - 1);
    m->ntop[t] = grok_fourier_keys(nt, K, j->o->keys, j->o->key_share, top, &m->share[t]);
    for (size_t i = m->ntop[t]; i < K - 1; i++)
        top[i] = -1;
    m->fixed_share[t] = grok_fourier_share(nt, K, m->keys, nk);
    m->dom[t] = grok_fourier_circle(j->re, j->im, d, m->keys, nk, m->ratio + t * nk,
                                    m->cosine + t * nk, m->sim + t * nk * nk);
    return GROK_OK;
}

/* ---- the output ----------------------------------------------------------------------------- */

/* Keys as "k1,k2,..." into buf. */
static char *keys_text(char *buf, size_t cap, const int *keys, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%d", i ? "," : "", keys[i]);
    return buf;
}

/* /fourier/<matrix>/: the spectrum, the sparsity and the circle measures over the snapshots. */
static int write_matrix(const struct job *j, struct grok_analysis *a, const struct matrix *m,
                        struct grok_err *err)
{
    struct grok_run *out = a->out;
    char group[GROK_MAX_NAME + 16], text[8 * GROK_P_MAX];
    size_t T = a->T, K = j->K, nk = m->nkeys, width = 1;
    for (size_t t = 0; t < T; t++)
        width = m->ntop[t] > width ? m->ntop[t] : width;
    long long *top = malloc(T * width * sizeof *top), keys[GROK_P_MAX];
    if (!top)
        return nomem(err);
    for (size_t t = 0; t < T; t++)
        for (size_t i = 0; i < width; i++)
            top[t * width + i] = m->top[t * (K - 1) + i];
    for (size_t i = 0; i < nk; i++)
        keys[i] = m->keys[i];
    size_t tk[2] = {T, K}, t1[1] = {T}, tw[2] = {T, width}, n1[1] = {nk}, tn[2] = {T, nk},
           tnn[3] = {T, nk, nk};
    int rc = grok_run_path(group, sizeof group, GROUP, m->name, err);
    /* step first: `grok-snap -t /fourier/<matrix>` prints the columns as long as the first. */
    if (rc == GROK_OK) rc = grok_run_write_i64(out, group, "step", a->steps, 1, t1, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(out, group, "spectrum", m->norm, 2, tk, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(out, group, "spectrum_cos", m->cos_part, 2, tk, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(out, group, "spectrum_sin", m->sin_part, 2, tk, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(out, group, "gini", m->gini, 1, t1, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(out, group, "key_share", m->share, 1, t1, err);
    if (rc == GROK_OK) rc = grok_run_write_i64(out, group, "top_keys", top, 2, tw, err);
    if (rc == GROK_OK) rc = grok_run_write_i64(out, group, "keys", keys, 1, n1, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(out, group, "fixed_key_share", m->fixed_share, 1, t1, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(out, group, "circle_ratio", m->ratio, 2, tn, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(out, group, "circle_cos", m->cosine, 2, tn, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(out, group, "similarity", m->sim, 3, tnn, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(out, group, "diag_dominance", m->dom, 1, t1, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(out, group, "source", m->source, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, group, "d", (long long)m->d, err);
    if (rc == GROK_OK)
        rc = grok_run_attr_set_str(out, group, "keys", keys_text(text, sizeof text, m->keys, nk), err);
    free(top);
    return rc;
}

/* The geometric mean of the ratios and the mean |cosine| over the fixed keys. */
static void circle_means(const struct matrix *m, size_t t, double *ratio, double *cosine)
{
    double lr = 0, ac = 0;
    size_t nk = m->nkeys;
    for (size_t i = 0; i < nk; i++) {
        lr += log(m->ratio[t * nk + i]);
        ac += fabs(m->cosine[t * nk + i]);
    }
    *ratio = exp(lr / (double)nk);
    *cosine = ac / (double)nk;
}

/* ---- the driver's hooks ------------------------------------------------------------------------ */

static int fourier_open(void *ctx, struct grok_analysis *a, struct grok_err *err)
{
    struct job *j = ctx;
    int rc = read_settings(a->in, &j->cfg, err);
    if (rc != GROK_OK)
        return rc;
    j->K = grok_fourier_nfreq((size_t)j->cfg.p);
    return GROK_OK;
}

/* The snapshot whose keys are fixed, the matrices, the plan and one snapshot's room; a unit per
 * matrix and snapshot. */
static int fourier_setup(void *ctx, struct grok_analysis *a, long long *units, struct grok_err *err)
{
    struct job *j = ctx;
    const struct grok_fourier_opts *o = j->o;
    if (a->T == 0)
        return grok_err_set(err, GROK_EINVAL, "%s: -s %s selects no snapshot",
                            grok_run_name(a->in), a->sel->steps_text);
    j->key_t = a->T - 1;
    if (o->have_key_step) {
        j->key_t = 0;
        for (size_t t = 1; t < a->T; t++)
            if (llabs(a->steps[t] - o->key_step) < llabs(a->steps[j->key_t] - o->key_step))
                j->key_t = t;
    }
    int rc = select_matrices(j, a, err);
    if (rc != GROK_OK)
        return rc;
    if (!(j->plan = grok_fourier_plan_new((size_t)j->cfg.p, err)))
        return err->code;
    j->E = malloc((size_t)j->cfg.p * j->d_max * sizeof *j->E);
    j->re = malloc(j->K * j->d_max * sizeof *j->re);
    j->im = malloc(j->K * j->d_max * sizeof *j->im);
    if (!j->E || !j->re || !j->im)
        return nomem(err);
    *units = (long long)j->M * (long long)a->T;
    return GROK_OK;
}

/* Matrix u / T at snapshot u % T, the matrix's fixed keys first when it is its first snapshot:
 * one snapshot in memory at a time. */
static int fourier_unit(void *ctx, struct grok_analysis *a, long long u, struct grok_err *err)
{
    struct job *j = ctx;
    struct matrix *m = &j->m[(size_t)u / a->T];
    size_t t = (size_t)u % a->T;
    int rc;
    if (t == 0 && (rc = start_matrix(j, a, m, err)) != GROK_OK)
        return rc;
    return analyse(j, a, m, t, err);
}

static void fourier_table(void *ctx, struct grok_analysis *a, FILE *f)
{
    const struct job *j = ctx;
    const struct grok_fourier_opts *o = j->o;
    const long long *steps = a->steps;
    size_t T = a->T, K = j->K;
    struct grok_tsv_writer w;
    char buf[8 * GROK_P_MAX + 64], keys[8 * GROK_P_MAX];
    grok_tsv_init(&w, f);
    grok_tsv_meta(&w, "run", grok_run_name(a->in));
    snprintf(buf, sizeof buf, "%lld", j->cfg.p);
    grok_tsv_meta(&w, "p", buf);
    snprintf(buf, sizeof buf, "%zu (steps %lld to %lld)", T, steps[0], steps[T - 1]);
    grok_tsv_meta(&w, "snapshots", buf);
    if (o->keys)
        snprintf(buf, sizeof buf, "the %d strongest frequencies", o->keys);
    else
        snprintf(buf, sizeof buf, "the frequencies with more than %g of the power", o->key_share);
    grok_tsv_meta(&w, "keys", buf);
    for (int i = 0; i < j->M; i++) {
        const struct matrix *m = &j->m[i];
        snprintf(buf, sizeof buf, "%s at step %lld: %s", m->name, steps[j->key_t],
                 keys_text(keys, sizeof keys, m->keys, m->nkeys));
        grok_tsv_meta(&w, "fixed keys", buf);
    }
    if (o->table == GROK_FOURIER_SUMMARY) {
        const char *h[] = {"step", "matrix", "gini", "key_share", "keys", "fixed_key_share",
                           "circle_ratio", "circle_cos", "diag_dominance"};
        for (size_t c = 0; c < sizeof h / sizeof *h; c++)
            grok_tsv_str(&w, h[c]);
        grok_tsv_end_row(&w);
        for (size_t t = 0; t < T; t++)
            for (int i = 0; i < j->M; i++) {
                const struct matrix *m = &j->m[i];
                double ratio, cosine;
                circle_means(m, t, &ratio, &cosine);
                grok_tsv_i64(&w, steps[t]);
                grok_tsv_str(&w, m->name);
                grok_tsv_f64(&w, m->gini[t]);
                grok_tsv_f64(&w, m->share[t]);
                grok_tsv_str(&w, keys_text(keys, sizeof keys, m->top + t * (K - 1), m->ntop[t]));
                grok_tsv_f64(&w, m->fixed_share[t]);
                grok_tsv_f64(&w, ratio);
                grok_tsv_f64(&w, cosine);
                grok_tsv_f64(&w, m->dom[t]);
                grok_tsv_end_row(&w);
            }
    } else {
        const char *h[] = {"step", "matrix", "k", "norm", "cos", "sin"};
        for (size_t c = 0; c < sizeof h / sizeof *h; c++)
            grok_tsv_str(&w, h[c]);
        grok_tsv_end_row(&w);
        for (size_t t = 0; t < T; t++)
            for (int i = 0; i < j->M; i++)
                for (size_t k = 0; k < K; k++) {
                    const struct matrix *m = &j->m[i];
                    grok_tsv_i64(&w, steps[t]);
                    grok_tsv_str(&w, m->name);
                    grok_tsv_i64(&w, (long long)k);
                    grok_tsv_f64(&w, m->norm[t * K + k]);
                    grok_tsv_f64(&w, m->cos_part[t * K + k]);
                    grok_tsv_f64(&w, m->sin_part[t * K + k]);
                    grok_tsv_end_row(&w);
                }
    }
}

/* /fourier: the steps, the frequencies, each matrix's group, the settings. */
static int fourier_group(void *ctx, struct grok_analysis *a, struct grok_err *err)
{
    const struct job *j = ctx;
    const struct grok_fourier_opts *o = j->o;
    struct grok_run *out = a->out;
    size_t K = j->K, t1[1] = {a->T}, k1[1] = {K};
    const char *steps = grok_analysis_steps(a);
    long long *k = malloc(K * sizeof *k);
    char *names = NULL;
    size_t len = 0;
    if (!k)
        return nomem(err);
    for (size_t i = 0; i < K; i++)
        k[i] = (long long)i;
    for (int i = 0; i < j->M; i++) {
        char *s = realloc(names, len + strlen(j->m[i].name) + 2);
        if (!s) {
            free(names);
            free(k);
            return nomem(err);
        }
        names = s;
        len += (size_t)sprintf(names + len, "%s%s", i ? "," : "", j->m[i].name);
    }
    int rc = grok_run_write_i64(out, GROUP, "step", a->steps, 1, t1, err);
    if (rc == GROK_OK) rc = grok_run_write_i64(out, GROUP, "k", k, 1, k1, err);
    for (int i = 0; rc == GROK_OK && i < j->M; i++)
        rc = write_matrix(j, a, &j->m[i], err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, GROUP, "p", j->cfg.p, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(out, GROUP, "matrices", names, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(out, GROUP, "steps", steps, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, GROUP, "keys", o->keys, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_double(out, GROUP, "key_share", o->key_share, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, GROUP, "key_step", a->steps[j->key_t], err);
    if (rc == GROK_OK)
        rc = grok_run_attr_set_str(out, GROUP, "normalisation",
                                   "F_k = (1/p) sum_j exp(-2 pi i jk/p) E_j; spectrum_k = sqrt(c_k) |F_k| "
                                   "with c_k = 2 for 0 < k < p/2, 1 for k = 0 and k = p/2", err);
    free(k);
    free(names);
    return rc;
}

static const struct grok_analysis_def fourier_def = {
    .program = "grok-fourier",
    .group = GROUP,
    .open = fourier_open,
    .setup = fourier_setup,
    .unit = fourier_unit,
    .write_table = fourier_table,
    .write_group = fourier_group,
};

int grok_fourier_run(const struct grok_fourier_opts *o, const struct grok_analysis_io *io)
{
    struct job j = {.o = o};
    int rc = grok_analysis_run(&fourier_def, &j, io, 0);
    for (int i = 0; j.m && i < j.M; i++)
        matrix_free(&j.m[i]);
    free(j.m);
    grok_fourier_plan_free(j.plan);
    free(j.E);
    free(j.re);
    free(j.im);
    return rc;
}
