/* grok-fourier: the Fourier spectrum of embeddings and unembeddings over training: key
 * frequencies, sparsity (Gini) and P2's circle measures. */
#include "grok/cli.h"
#include "grok/fourier.h"
#include "grok/history.h"
#include "grok/progress.h"
#include "grok/run.h"
#include "grok/select.h"
#include "grok/snapshots.h"
#include "grok/task.h"
#include "grok/tsv.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: grok-fourier [options] [RUN]\n"
    "The Fourier spectrum of a run's embeddings over the p number tokens, at every snapshot:\n"
    "key frequencies, their share, the Gini sparsity of the spectrum, and P2's circle measures.\n"
    "RUN is read from standard input when absent or '-'.\n"
    "\n"
    "  -p, --param GLOB       the matrices (repeatable; default embed.W_E's first p rows and\n"
    "                         unembed.W_U transposed; a one-hot MLP's mlp.0.W first p rows)\n"
    "  -s, --steps FROM:TO[:EVERY]   the snapshots (default all)\n"
    "      --key-share S      the key frequencies: those with more than S of the power\n"
    "                         (default 0.05)\n"
    "      --keys N           instead, the N strongest frequencies\n"
    "      --key-step STEP    the circle measures follow the keys of the snapshot nearest\n"
    "                         STEP (default the last selected)\n"
    "  -t, --table[=KIND]     a table: summary (one row per snapshot and matrix) or spectrum\n"
    "                         (one row per snapshot, matrix and frequency)\n"
    "  -o, --output FILE      write to FILE (TSV when -t or FILE ends in .tsv, else a run)\n"
    "  -q, --quiet            no progress, only errors\n"
    "  -h, --help             this help;  -V, --version  the version\n"
    "\n"
    "Without -t the output is the run with /fourier added (to a terminal, the summary table).\n"
    "Exit status: 0 success, 1 bad data or I/O failure, 2 bad usage, 130 interrupted.\n"
    "\n"
    "Examples:\n"
    "  grok-fourier -t run.h5\n"
    "  grok-fourier -p embed.W_E --keys 2 -t run.h5\n"
    "  grok-fourier -p unembed.W_U -t spectrum run.h5 > spectrum.tsv\n"
    "  grok-fourier -s 0:500 run.h5 -o fourier.h5\n";

enum table_kind { TABLE_SUMMARY, TABLE_SPECTRUM };   /* in the order of parse_args's tables */

struct opts {
    struct grok_common co;
    struct grok_selection sel;   /* -p, -s */
    int keys;                     /* --keys N; 0 for the rule of --key-share */
    double key_share;             /* --key-share S (default 0.05); 0 with --keys */
    long long key_step;
    int have_key_step;
    enum table_kind kind;
    const char *input;
};

static struct opts parse_args(int argc, char **argv)
{
    enum { OPT_KEYS = 256, OPT_KEY_SHARE, OPT_KEY_STEP };
    static const struct option longopts[] = {
        GROK_COMMON_LONGOPTS,
        {"param", required_argument, NULL, 'p'},
        {"steps", required_argument, NULL, 's'},
        {"keys", required_argument, NULL, OPT_KEYS},
        {"key-share", required_argument, NULL, OPT_KEY_SHARE},
        {"key-step", required_argument, NULL, OPT_KEY_STEP},
        {NULL, 0, NULL, 0},
    };
    static const char *const tables[] = {"summary", "spectrum", NULL};
    struct opts o = {.co.table_kinds = tables, .key_share = 0.05};
    struct grok_err err;
    int c, keys_given = 0, share_given = 0;
    opterr = 0;
    if (grok_selection_init(&o.sel, argc, &err) != GROK_OK)
        grok_die(GROK_EXIT_DATA, "%s", err.msg);
    while ((c = getopt_long(argc, argv, GROK_COMMON_SHORTOPTS "p:s:", longopts, NULL)) != -1) {
        if (grok_cli_common(c, argc, argv, &o.co, usage) || grok_cli_select(c, optarg, &o.sel))
            continue;
        switch (c) {
        case OPT_KEYS:
            o.keys = (int)grok_flag_int("--keys", optarg, 1, GROK_P_MAX);
            keys_given = 1;
            break;
        case OPT_KEY_SHARE:
            if (grok_flag_real(optarg, &o.key_share) || !(o.key_share >= 0 && o.key_share < 1))
                grok_usage("--key-share: bad value '%s' (a share from 0 to below 1)", optarg);
            share_given = 1;
            break;
        case OPT_KEY_STEP:
            o.key_step = grok_flag_int("--key-step", optarg, 0, 9000000000000000000LL);
            o.have_key_step = 1;
            break;
        }
    }
    if (keys_given && share_given)
        grok_usage("--keys and --key-share: give one of them");
    if (keys_given)
        o.key_share = 0;
    o.kind = (enum table_kind)grok_cli_table_kind(&o.co);
    o.input = grok_cli_input(&o.co, argc, argv);
    return o;
}

/* ---- what is analysed ---------------------------------------------------------------------- */

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
    const struct opts *o;
    struct grok_run *in, *out;      /* out NULL for a table */
    long long p, n_ctx, d_vocab;    /* n_ctx, d_vocab 0 when /config lacks them */
    size_t K;                       /* frequencies kept */
    size_t T, key_t;                /* snapshots selected; the one the fixed keys come from */
    size_t *rows;                   /* (T) rows of /snapshots */
    long long *steps;               /* (T) */
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

/* Checks that a parameter has a token axis of p and records how to read it:
 * a name ending in W_U is [d, p] (read transposed); any other matrix is [tokens, d] with p to
 * p+2 rows (a vocabulary: the numbers, then '=' and the op symbol), or n_ctx blocks of d_vocab
 * rows (the first layer of a one-hot MLP, whose first block is the first operand); its first p
 * rows are used. */
static int setup_matrix(struct job *j, struct matrix *m, const char *name, struct grok_err *err)
{
    struct grok_array info;
    m->name = name;
    int rc = grok_run_path(m->path, sizeof m->path, "/snapshots", name, err);
    if (rc == GROK_OK)
        rc = grok_run_info(j->in, m->path, &info, err);
    if (rc != GROK_OK)
        return rc;
    if (info.rank != 3 || info.dtype == GROK_STR || info.dtype == GROK_OTHER) {
        char shape[128] = "";
        for (int i = 1, len = 0; i < info.rank && len < (int)sizeof shape; i++)
            len += snprintf(shape + len, sizeof shape - (size_t)len, "%s%zu", i > 1 ? ", " : "",
                            info.shape[i]);
        return grok_err_set(err, GROK_EINVAL, "%s: %s [%s] is not a matrix of token vectors",
                            grok_run_name(j->in), name, shape);
    }
    size_t p = (size_t)j->p;
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
        int onehot = j->n_ctx > 0 && j->d_vocab >= j->p && j->d_vocab <= j->p + 2 &&
                     m->rows == (size_t)(j->n_ctx * j->d_vocab);
        if (vocab || onehot) {
            snprintf(m->source, sizeof m->source, "%s [%zu, %zu] rows 0..%zu: token j is row j%s",
                     name, m->rows, m->cols, p - 1, onehot && !vocab ? " (the first operand's block)" : "");
            return GROK_OK;
        }
    }
    return grok_err_set(err, GROK_EINVAL,
                        "%s: %s [%zu, %zu] has no token axis of p = %lld (p to p+2 rows, or p columns for a W_U)",
                        grok_run_name(j->in), name, m->rows, m->cols, j->p);
}

/* The -p globs, or the default: the input embedding (embed.W_E, or a one-hot MLP's mlp.0.W)
 * and unembed.W_U, those of them that have snapshots. */
static int select_matrices(struct job *j, const struct grok_snapshots *s, struct grok_err *err)
{
    const struct opts *o = j->o;
    const char *chosen[GROK_P_MAX];
    int n = 0;
    if (!(j->m = calloc(s->nparams + 2, sizeof *j->m)))
        return nomem(err);
    if (o->sel.nglobs) {
        for (size_t i = 0; i < s->nparams; i++)
            if (grok_globs_match(o->sel.globs, o->sel.nglobs, s->params[i]) && n < GROK_P_MAX)
                chosen[n++] = s->params[i];
        if (n == 0) {
            char globs[512];
            grok_globs_join(globs, sizeof globs, o->sel.globs, o->sel.nglobs);
            return grok_err_set(err, GROK_ENOTFOUND, "%s: no parameter matches -p %s",
                                grok_run_name(j->in), globs);
        }
    } else {
        char *model = NULL, *embed = NULL;
        grok_run_attr_get_str(j->in, "/config", "model", &model, NULL);
        grok_run_attr_get_str(j->in, "/config", "embed", &embed, NULL);
        int onehot_mlp = model && embed && strcmp(model, "mlp") == 0 && strcmp(embed, "onehot") == 0;
        free(model);
        free(embed);
        const char *want[3] = {"embed.W_E", onehot_mlp ? "mlp.0.W" : NULL, "unembed.W_U"};
        for (int w = 0; w < 3; w++)
            for (size_t i = 0; want[w] && i < s->nparams; i++)
                if (strcmp(s->params[i], want[w]) == 0)
                    chosen[n++] = s->params[i];
        if (n == 0)
            return grok_err_set(err, GROK_ENOTFOUND,
                                "%s: no embedding snapshots (embed.W_E or unembed.W_U); -p names another matrix",
                                grok_run_name(j->in));
    }
    for (int i = 0; i < n; i++) {
        int rc = setup_matrix(j, &j->m[i], chosen[i], err);
        if (rc != GROK_OK)
            return rc;
        j->M = i + 1;
        if (j->m[i].d > j->d_max)
            j->d_max = j->m[i].d;
    }
    return GROK_OK;
}

/* ---- the analysis ------------------------------------------------------------------------- */

/* Snapshot row t of matrix m as E (p, d), checked finite. */
static int read_snapshot(struct job *j, const struct matrix *m, size_t t, struct grok_err *err)
{
    struct grok_array a = {0};
    int rc = grok_run_read_rows(j->in, m->path, j->rows[t], 1, GROK_F64, &a, err);
    if (rc != GROK_OK)
        return rc;
    const double *x = a.data;
    size_t p = (size_t)j->p, d = m->d;
    for (size_t r = 0; r < p; r++)
        for (size_t c = 0; c < d; c++) {
            double v = m->transpose ? x[c * m->cols + r] : x[r * m->cols + c];
            if (!isfinite(v)) {
                grok_array_free(&a);
                return grok_err_set(err, GROK_EFORMAT,
                                    "%s: %s: the snapshot at step %lld holds a value that is not finite",
                                    grok_run_name(j->in), m->name, j->steps[t]);
            }
            j->E[r * d + c] = v;
        }
    grok_array_free(&a);
    return GROK_OK;
}

static int alloc_results(struct job *j, struct matrix *m, struct grok_err *err)
{
    size_t T = j->T, K = j->K;
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

/* Every selected snapshot of one matrix: the fixed keys first (from the key snapshot), then the
 * spectrum, Gini, keys and circle measures of each snapshot, one snapshot in memory at a time. */
static int analyse(struct job *j, struct matrix *m, struct grok_progress *bar, long long *done,
                   struct grok_err *err)
{
    size_t K = j->K, d = m->d, T = j->T;
    double scratch[GROK_P_MAX / 2 + 1];
    int rc = alloc_results(j, m, err);
    if (rc == GROK_OK)
        rc = read_snapshot(j, m, j->key_t, err);
    if (rc != GROK_OK)
        return rc;
    double *norm = m->norm;
    grok_fourier_dft(j->plan, j->E, d, j->re, j->im);
    grok_fourier_spectrum(j->re, j->im, (size_t)j->p, d, norm, NULL, NULL);
    m->nkeys = grok_fourier_keys(norm, K, j->o->keys, j->o->key_share, m->keys, NULL);
    size_t nk = m->nkeys;
    m->ratio = malloc(T * nk * sizeof *m->ratio);
    m->cosine = malloc(T * nk * sizeof *m->cosine);
    m->sim = malloc(T * nk * nk * sizeof *m->sim);
    if (!m->ratio || !m->cosine || !m->sim)
        return nomem(err);
    for (size_t t = 0; t < T; t++) {
        if (grok_interrupted())
            return grok_err_set(err, GROK_EIO, "interrupted");
        if ((rc = read_snapshot(j, m, t, err)) != GROK_OK)
            return rc;
        double *nt = norm + t * K;
        grok_fourier_dft(j->plan, j->E, d, j->re, j->im);
        grok_fourier_spectrum(j->re, j->im, (size_t)j->p, d, nt, m->cos_part + t * K,
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
        grok_progress_update(bar, ++*done);
    }
    return GROK_OK;
}

/* ---- the run ------------------------------------------------------------------------------ */

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
static int write_matrix(struct job *j, const struct matrix *m, struct grok_err *err)
{
    char group[GROK_MAX_NAME + 16], text[8 * GROK_P_MAX];
    size_t T = j->T, K = j->K, nk = m->nkeys, width = 1;
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
    int rc = grok_run_path(group, sizeof group, "/fourier", m->name, err);
    /* step first: `grok-snap -t /fourier/<matrix>` prints the columns as long as the first. */
    if (rc == GROK_OK) rc = grok_run_write_i64(j->out, group, "step", j->steps, 1, t1, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(j->out, group, "spectrum", m->norm, 2, tk, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(j->out, group, "spectrum_cos", m->cos_part, 2, tk, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(j->out, group, "spectrum_sin", m->sin_part, 2, tk, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(j->out, group, "gini", m->gini, 1, t1, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(j->out, group, "key_share", m->share, 1, t1, err);
    if (rc == GROK_OK) rc = grok_run_write_i64(j->out, group, "top_keys", top, 2, tw, err);
    if (rc == GROK_OK) rc = grok_run_write_i64(j->out, group, "keys", keys, 1, n1, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(j->out, group, "fixed_key_share", m->fixed_share, 1, t1, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(j->out, group, "circle_ratio", m->ratio, 2, tn, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(j->out, group, "circle_cos", m->cosine, 2, tn, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(j->out, group, "similarity", m->sim, 3, tnn, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(j->out, group, "diag_dominance", m->dom, 1, t1, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(j->out, group, "source", m->source, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(j->out, group, "d", (long long)m->d, err);
    if (rc == GROK_OK)
        rc = grok_run_attr_set_str(j->out, group, "keys", keys_text(text, sizeof text, m->keys, nk), err);
    free(top);
    return rc;
}

/* /fourier: the steps, the frequencies, the settings. */
static int write_run(struct job *j, struct grok_err *err)
{
    const struct opts *o = j->o;
    size_t K = j->K, t1[1] = {j->T}, k1[1] = {K};
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
    int rc = grok_run_write_i64(j->out, "/fourier", "step", j->steps, 1, t1, err);
    if (rc == GROK_OK) rc = grok_run_write_i64(j->out, "/fourier", "k", k, 1, k1, err);
    for (int i = 0; rc == GROK_OK && i < j->M; i++)
        rc = write_matrix(j, &j->m[i], err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(j->out, "/fourier", "p", j->p, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(j->out, "/fourier", "matrices", names, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(j->out, "/fourier", "steps", o->sel.steps_text ? o->sel.steps_text : "all", err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(j->out, "/fourier", "keys", o->keys, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_double(j->out, "/fourier", "key_share", o->key_share, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(j->out, "/fourier", "key_step", j->steps[j->key_t], err);
    if (rc == GROK_OK)
        rc = grok_run_attr_set_str(j->out, "/fourier", "normalisation",
                                   "F_k = (1/p) sum_j exp(-2 pi i jk/p) E_j; spectrum_k = sqrt(c_k) |F_k| "
                                   "with c_k = 2 for 0 < k < p/2, 1 for k = 0 and k = p/2", err);
    free(k);
    free(names);
    return rc;
}

/* ---- tables ------------------------------------------------------------------------------- */

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

static void write_table(const struct job *j, FILE *f)
{
    const struct opts *o = j->o;
    struct grok_tsv_writer w;
    char buf[8 * GROK_P_MAX + 64], keys[8 * GROK_P_MAX];
    grok_tsv_init(&w, f);
    grok_tsv_meta(&w, "run", grok_run_name(j->in));
    snprintf(buf, sizeof buf, "%lld", j->p);
    grok_tsv_meta(&w, "p", buf);
    snprintf(buf, sizeof buf, "%zu (steps %lld to %lld)", j->T, j->steps[0], j->steps[j->T - 1]);
    grok_tsv_meta(&w, "snapshots", buf);
    if (o->keys)
        snprintf(buf, sizeof buf, "the %d strongest frequencies", o->keys);
    else
        snprintf(buf, sizeof buf, "the frequencies with more than %g of the power", o->key_share);
    grok_tsv_meta(&w, "keys", buf);
    for (int i = 0; i < j->M; i++) {
        const struct matrix *m = &j->m[i];
        snprintf(buf, sizeof buf, "%s at step %lld: %s", m->name, j->steps[j->key_t],
                 keys_text(keys, sizeof keys, m->keys, m->nkeys));
        grok_tsv_meta(&w, "fixed keys", buf);
    }
    if (o->kind == TABLE_SUMMARY) {
        const char *h[] = {"step", "matrix", "gini", "key_share", "keys", "fixed_key_share",
                           "circle_ratio", "circle_cos", "diag_dominance"};
        for (size_t c = 0; c < sizeof h / sizeof *h; c++)
            grok_tsv_str(&w, h[c]);
        grok_tsv_end_row(&w);
        for (size_t t = 0; t < j->T; t++)
            for (int i = 0; i < j->M; i++) {
                const struct matrix *m = &j->m[i];
                double ratio, cosine;
                circle_means(m, t, &ratio, &cosine);
                grok_tsv_i64(&w, j->steps[t]);
                grok_tsv_str(&w, m->name);
                grok_tsv_f64(&w, m->gini[t]);
                grok_tsv_f64(&w, m->share[t]);
                grok_tsv_str(&w, keys_text(keys, sizeof keys, m->top + t * (j->K - 1), m->ntop[t]));
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
        for (size_t t = 0; t < j->T; t++)
            for (int i = 0; i < j->M; i++)
                for (size_t k = 0; k < j->K; k++) {
                    const struct matrix *m = &j->m[i];
                    grok_tsv_i64(&w, j->steps[t]);
                    grok_tsv_str(&w, m->name);
                    grok_tsv_i64(&w, (long long)k);
                    grok_tsv_f64(&w, m->norm[t * j->K + k]);
                    grok_tsv_f64(&w, m->cos_part[t * j->K + k]);
                    grok_tsv_f64(&w, m->sin_part[t * j->K + k]);
                    grok_tsv_end_row(&w);
                }
    }
}

/* ---- main --------------------------------------------------------------------------------- */

/* p (and, when present, n_ctx and d_vocab) from /config. */
static int read_config(struct job *j, struct grok_err *err)
{
    int rc = grok_run_attr_get_int(j->in, "/config", "p", &j->p, err);
    if (rc != GROK_OK)
        return rc;
    if (j->p < 2 || j->p > GROK_P_MAX)
        return grok_err_set(err, GROK_EFORMAT, "%s: /config p = %lld is not a modulus (2 to %d)",
                            grok_run_name(j->in), j->p, GROK_P_MAX);
    if (grok_run_attr_get_int(j->in, "/config", "n_ctx", &j->n_ctx, NULL) != GROK_OK ||
        grok_run_attr_get_int(j->in, "/config", "d_vocab", &j->d_vocab, NULL) != GROK_OK)
        j->n_ctx = j->d_vocab = 0;
    j->K = grok_fourier_nfreq((size_t)j->p);
    return GROK_OK;
}

/* The snapshot rows that -s selects, and the one whose keys are fixed. */
static int select_rows(struct job *j, const struct grok_snapshots *s, struct grok_err *err)
{
    const struct opts *o = j->o;
    int rc = grok_snapshots_select(s, &o->sel.steps, &j->rows, &j->steps, &j->T, err);
    if (rc != GROK_OK)
        return rc;
    if (j->T == 0)
        return grok_err_set(err, GROK_EINVAL, "%s: -s %s selects no snapshot",
                            grok_run_name(j->in), o->sel.steps_text);
    j->key_t = j->T - 1;
    if (o->have_key_step) {
        j->key_t = 0;
        for (size_t t = 1; t < j->T; t++)
            if (llabs(j->steps[t] - o->key_step) < llabs(j->steps[j->key_t] - o->key_step))
                j->key_t = t;
    }
    return GROK_OK;
}

int main(int argc, char **argv)
{
    grok_cli_init("grok-fourier", argc, argv);
    struct opts o = parse_args(argc, argv);
    struct grok_err err = {0};
    struct grok_snapshots s = {0};
    struct grok_text_out text = {0};
    struct grok_progress bar = {0};
    struct job j = {.o = &o};
    int rc, hargc;
    char **hargv = grok_cli_argv(&hargc);
    int table = grok_output_is_table(&o.co);
    long long done = 0;

    if (!(j.in = grok_run_open(o.input, &err)) || read_config(&j, &err) != GROK_OK ||
        grok_snapshots_load(j.in, &s, &err) != GROK_OK || select_rows(&j, &s, &err) != GROK_OK ||
        select_matrices(&j, &s, &err) != GROK_OK)
        goto fail;
    if (!(j.plan = grok_fourier_plan_new((size_t)j.p, &err)))
        goto fail;
    j.E = malloc((size_t)j.p * j.d_max * sizeof *j.E);
    j.re = malloc(j.K * j.d_max * sizeof *j.re);
    j.im = malloc(j.K * j.d_max * sizeof *j.im);
    if (!j.E || !j.re || !j.im) {
        nomem(&err);
        goto fail;
    }
    if (!table &&
        !(j.out = grok_run_derive(o.co.output, j.in, "/fourier", "grok-fourier", hargc, hargv, &err)))
        goto fail;
    grok_progress_start(&bar, "grok-fourier", (long long)j.M * (long long)j.T, o.co.quiet);
    for (int i = 0; i < j.M; i++)
        if (analyse(&j, &j.m[i], &bar, &done, &err) != GROK_OK)
            goto fail;
    grok_progress_end(&bar);
    if (table) {
        if (grok_text_open(&text, o.co.output, &err) != GROK_OK)
            goto fail;
        write_table(&j, text.f);
        if (grok_text_finish(&text, 1, &err) != GROK_OK)
            goto fail;
    } else if (write_run(&j, &err) != GROK_OK || grok_run_commit(j.out, &err) != GROK_OK) {
        goto fail;
    }
    rc = GROK_EXIT_OK;
    goto out;
fail:
    grok_progress_end(&bar);
    rc = grok_cli_failed(&text, &err);
out:
    for (int i = 0; j.m && i < j.M; i++)
        matrix_free(&j.m[i]);
    free(j.m);
    grok_run_close(j.out);
    grok_run_close(j.in);
    grok_fourier_plan_free(j.plan);
    grok_snapshots_free(&s);
    free(j.rows);
    free(j.steps);
    free(j.E);
    free(j.re);
    free(j.im);
    grok_selection_free(&o.sel);
    return rc;
}
