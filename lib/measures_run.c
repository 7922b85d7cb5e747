/* grok-fourier --progress (include/grok/measures_run.h): one snapshot per unit of the analysis
 * driver; the grid's forward pass split in chunks between the pool's workers, in float as the
 * model trains; the measures in double. */
#include "grok/measures_run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grok/analysis.h"
#include "grok/cli.h"
#include "grok/config.h"
#include "grok/data.h"
#include "grok/measures.h"
#include "grok/model.h"
#include "grok/pool.h"
#include "grok/runmodel.h"
#include "grok/snapshots.h"
#include "grok/task.h"
#include "grok/tsv.h"

#define GROUP "/progress"
#define CHUNK 1024   /* grid rows per forward pass of a worker */

/* The progress table's measures, one row per snapshot. */
enum { C_TRAIN, C_TEST, C_RESTRICTED_TRAIN, C_RESTRICTED_ALL, C_EXCLUDED_TRAIN, C_N_KEYS,
       C_SUM_SQ, NCOLS };
static const char *const col_names[NCOLS] = {
    "train_loss", "test_loss", "restricted_loss", "restricted_loss_all", "excluded_loss",
    "n_keys", "sum_sq_weights",
};

struct job {
    const struct grok_measures_opts *o;
    struct grok_model model;
    struct grok_train_config cfg;
    int p, C, N, K, T_ctx;
    size_t pp;
    int32_t *tok, *y;                /* (pp, n_ctx), (pp): the grid a·p + b and its answers */
    uint8_t *train, *test, *valid;   /* (pp) the run's split, and both: a pair without an answer
                                      * (div by 0) is in none */
    double *F;                       /* (p, p) the basis */
    float *params, *lf, *af;         /* (n_params), (pp, C), (pp, N) */
    double *logits, *acts, *work, *scratch;   /* (pp, C), (pp, N), (2 pp N), (pp, C) */
    struct grok_work **w;            /* (nworkers) */
    int nworkers, nchunks;
    struct grok_pool *pool;
    /* results, per selected snapshot */
    size_t T;
    double *rows;                    /* (T, NCOLS) */
    int *keys, *nkeys;               /* (T, K), (T) */
    int *freq;                       /* (T, N) */
    double *share;                   /* (T, N) */
    int *count;                      /* (T, K + 1) neurons that pass, per frequency */
    double *coef, *excluded;         /* (T, K) each; excluded: nan for a frequency not a key */
    double *sum_sq;                  /* (T, n_tensors) */
    int fixed[GROK_P_MAX], n_fixed;  /* the keys of --keys-from last or STEP */
    size_t key_t;                    /* the snapshot they come from */
};

static int nomem(struct grok_err *err) { return grok_err_set(err, GROK_ENOMEM, "out of memory"); }

static void chunk_run(void *ctx, int i)
{
    struct job *j = ctx;
    for (int k = i; k < j->nchunks && !grok_interrupted(); k += j->nworkers) {
        size_t r0 = (size_t)k * CHUNK;
        int n = j->pp - r0 < CHUNK ? (int)(j->pp - r0) : CHUNK;
        grok_model_readout_acts(&j->model, j->w[i], j->params, j->tok + r0 * j->T_ctx, n,
                                j->lf + r0 * j->C, j->af + r0 * j->N);
    }
}

/* Snapshot t's parameters, the grid's logits and activations (widened), each neuron's frequency. */
static int evaluate(struct job *j, struct grok_analysis *a, size_t t, struct grok_err *err)
{
    int rc = grok_model_load(&j->model, a->in, a->steps[t], j->params, err);
    if (rc != GROK_OK)
        return rc;
    grok_pool_run(j->pool, chunk_run, j);
    for (size_t r = 0; r < j->pp * j->C; r++)
        j->logits[r] = j->lf[r];
    for (size_t r = 0; r < j->pp * j->N; r++)
        j->acts[r] = j->af[r];
    grok_measures_neurons(j->p, j->N, j->acts, j->F, j->freq + t * j->N, j->share + t * j->N,
                          j->work);
    return GROK_OK;
}

static int keys_of(const struct job *j, size_t t, int *keys, int *count)
{
    return grok_measures_keys(j->p, j->N, j->freq + t * j->N, j->share + t * j->N,
                              j->o->neuron_share, j->o->key_neurons, keys, count);
}

/* ---- the driver's hooks ------------------------------------------------------------------------ */

static int progress_open(void *ctx, struct grok_analysis *a, struct grok_err *err)
{
    struct job *j = ctx;
    int rc = grok_config_read(a->in, &j->cfg, err);
    if (rc == GROK_OK)
        rc = grok_model_build(&j->model, &j->cfg.model, err);
    if (rc != GROK_OK)
        return rc;
    if (j->model.cfg.arch != GROK_TRANSFORMER)
        return grok_err_set(err, GROK_EINVAL, "%s: the model is an mlp: the progress measures read "
                            "a transformer's MLP neurons", grok_run_name(a->in));
    if (j->cfg.p % 2 == 0)
        return grok_err_set(err, GROK_EINVAL, "%s: p %d is even: the progress measures' Fourier "
                            "basis needs an odd p", grok_run_name(a->in), j->cfg.p);
    return GROK_OK;
}

/* The grid a·p + b of every operand pair, its answers, and the run's split over it. */
static int setup_grid(struct job *j, struct grok_analysis *a, struct grok_err *err)
{
    int p = j->p;
    struct grok_array ab = {0}, ans = {0};
    int32_t *pairs = malloc(j->pp * 2 * sizeof *pairs);
    j->tok = malloc(j->pp * j->T_ctx * sizeof *j->tok);
    j->y = malloc(j->pp * sizeof *j->y);
    j->train = calloc(j->pp, 1);
    j->test = calloc(j->pp, 1);
    j->valid = calloc(j->pp, 1);
    if (!pairs || !j->tok || !j->y || !j->train || !j->test || !j->valid) {
        free(pairs);
        return nomem(err);
    }
    for (int x = 0; x < p; x++)
        for (int z = 0; z < p; z++) {
            size_t r = (size_t)x * p + z;
            pairs[2 * r] = x;
            pairs[2 * r + 1] = z;
            int ansr = grok_task_answer(j->cfg.op, p, x, z);
            j->y[r] = ansr < 0 ? 0 : ansr;
            j->test[r] = j->valid[r] = ansr >= 0;   /* the training pairs are taken out below */
        }
    grok_ctx_tokens(j->cfg.ctx, p, pairs, (int)j->pp, j->tok);
    free(pairs);
    int rc = grok_data_read(a->in, "train", j->cfg.op, p, &ab, &ans, err);
    if (rc == GROK_OK) {
        const int32_t *tr = ab.data;
        for (size_t i = 0; i < ans.n; i++) {
            size_t r = (size_t)tr[2 * i] * p + (size_t)tr[2 * i + 1];
            j->train[r] = 1;
            j->test[r] = 0;
        }
    }
    grok_array_free(&ab);
    grok_array_free(&ans);
    return rc;
}

static int setup_workers(struct job *j, struct grok_analysis *a, struct grok_err *err)
{
    j->nchunks = (int)((j->pp + CHUNK - 1) / CHUNK);
    int threads = grok_threads(j->o->threads);
    j->nworkers = threads < j->nchunks ? threads : j->nchunks;
    j->w = calloc((size_t)j->nworkers, sizeof *j->w);
    if (!j->w)
        return nomem(err);
    for (int i = 0; i < j->nworkers; i++)
        if (!(j->w[i] = grok_work_new(&j->model, CHUNK, GROK_F32, err)))
            return err->code;
    grok_blas_threads(1);   /* the threads are the chunks' */
    int rc = grok_analysis_workers(a, j->nworkers, err);
    j->pool = a->pool;
    return rc;
}

/* The snapshot the fixed keys come from: the last selected, or the one nearest --keys-from STEP. */
static size_t key_snapshot(const struct job *j, const struct grok_analysis *a)
{
    if (j->o->keys_from != GROK_KEYS_STEP)
        return a->T - 1;
    size_t best = 0;
    for (size_t t = 1; t < a->T; t++)
        if (llabs(a->steps[t] - j->o->keys_step) < llabs(a->steps[best] - j->o->keys_step))
            best = t;
    return best;
}

static int progress_setup(void *ctx, struct grok_analysis *a, long long *units, struct grok_err *err)
{
    struct job *j = ctx;
    if (a->T == 0)
        return grok_err_set(err, GROK_ENOTFOUND, "%s: no snapshot has a step in the range of -s",
                            grok_run_name(a->in));
    j->p = j->cfg.p;
    j->C = j->model.cfg.d_vocab_out;
    j->N = j->model.cfg.d_mlp;
    j->K = GROK_MEASURES_FREQS(j->p);
    j->T_ctx = j->model.cfg.n_ctx;
    j->pp = (size_t)j->p * j->p;
    j->T = a->T;
    size_t T = a->T, pp = j->pp, N = (size_t)j->N, K = (size_t)j->K;
    int rc = setup_grid(j, a, err);
    if (rc == GROK_OK)
        rc = setup_workers(j, a, err);
    if (rc != GROK_OK)
        return rc;
    j->F = malloc((size_t)j->p * j->p * sizeof *j->F);
    j->params = malloc(j->model.n_params * sizeof *j->params);
    j->lf = malloc(pp * j->C * sizeof *j->lf);
    j->af = malloc(pp * N * sizeof *j->af);
    j->logits = malloc(pp * j->C * sizeof *j->logits);
    j->scratch = malloc(pp * j->C * sizeof *j->scratch);
    j->acts = malloc(pp * N * sizeof *j->acts);
    /* the neurons' transform's, and the logits' components' (2 pp + 2 C) */
    size_t wn = 2 * pp * N > 2 * pp + 2 * (size_t)j->C ? 2 * pp * N : 2 * pp + 2 * (size_t)j->C;
    j->work = malloc(wn * sizeof *j->work);
    j->rows = malloc(T * NCOLS * sizeof *j->rows);
    j->keys = calloc(T * K, sizeof *j->keys);
    j->nkeys = calloc(T, sizeof *j->nkeys);
    j->freq = calloc(T * N, sizeof *j->freq);
    j->share = calloc(T * N, sizeof *j->share);
    j->count = calloc(T * (K + 1), sizeof *j->count);
    j->coef = malloc(T * K * sizeof *j->coef);
    j->excluded = malloc(T * K * sizeof *j->excluded);
    j->sum_sq = malloc(T * (size_t)j->model.n_tensors * sizeof *j->sum_sq);
    if (!j->F || !j->params || !j->lf || !j->af || !j->logits || !j->scratch || !j->acts ||
        !j->work || !j->rows || !j->keys || !j->nkeys || !j->freq || !j->share || !j->count ||
        !j->coef || !j->excluded || !j->sum_sq)
        return nomem(err);
    grok_measures_basis(j->p, j->F);
    if (j->o->keys_from != GROK_KEYS_EACH) {
        j->key_t = key_snapshot(j, a);
        if ((rc = evaluate(j, a, j->key_t, err)) != GROK_OK)
            return rc;
        j->n_fixed = keys_of(j, j->key_t, j->fixed, j->count + j->key_t * (K + 1));
    }
    *units = (long long)T;
    return GROK_OK;
}

static int progress_unit(void *ctx, struct grok_analysis *a, long long u, struct grok_err *err)
{
    struct job *j = ctx;
    size_t t = (size_t)u, K = (size_t)j->K;
    int rc = evaluate(j, a, t, err);
    if (rc != GROK_OK || grok_interrupted())
        return rc;
    int *keys = j->keys + t * K, *count = j->count + t * (K + 1);
    int own = keys_of(j, t, keys, count);   /* the counts are this snapshot's either way */
    int nk = own;
    if (j->o->keys_from != GROK_KEYS_EACH) {
        memcpy(keys, j->fixed, (size_t)j->n_fixed * sizeof *keys);
        nk = j->n_fixed;
    }
    j->nkeys[t] = nk;
    double *row = j->rows + t * NCOLS;
    int p = j->p, C = j->C;
    row[C_TRAIN] = grok_measures_loss(p, C, j->logits, j->y, j->train);
    row[C_TEST] = grok_measures_loss(p, C, j->logits, j->y, j->test);
    grok_measures_restrict(p, C, j->logits, j->F, keys, nk, j->scratch, j->work);
    row[C_RESTRICTED_TRAIN] = grok_measures_loss(p, C, j->scratch, j->y, j->train);
    row[C_RESTRICTED_ALL] = grok_measures_loss(p, C, j->scratch, j->y, j->valid);
    memcpy(j->scratch, j->logits, j->pp * C * sizeof *j->scratch);
    grok_measures_trig(p, C, j->logits, j->F, keys, nk, -1, j->scratch, j->work);
    row[C_EXCLUDED_TRAIN] = grok_measures_loss(p, C, j->scratch, j->y, j->train);
    row[C_N_KEYS] = nk;
    double *ex = j->excluded + t * K;
    for (size_t k = 0; k < K; k++)
        ex[k] = NAN;
    for (int i = 0; i < nk; i++) {   /* their code's: one key frequency removed at a time */
        memcpy(j->scratch, j->logits, j->pp * C * sizeof *j->scratch);
        grok_measures_trig(p, C, j->logits, j->F, keys + i, 1, -1, j->scratch, j->work);
        ex[keys[i] - 1] = grok_measures_loss(p, C, j->scratch, j->y, j->train);
    }
    if (C == p)
        grok_measures_coefficients(p, j->logits, j->coef + t * K, j->work);
    else
        for (size_t k = 0; k < K; k++)
            j->coef[t * K + k] = NAN;
    double total = 0;
    for (int i = 0; i < j->model.n_tensors; i++) {
        const struct grok_param *q = &j->model.tensors[i];
        double s = 0;
        for (size_t e = 0; e < q->size; e++)
            s += (double)j->params[q->offset + e] * j->params[q->offset + e];
        j->sum_sq[t * j->model.n_tensors + i] = s;
        total += s;
    }
    row[C_SUM_SQ] = total;
    return GROK_OK;
}

/* "14,35,41", or "-" for none. */
static void keys_text(const int *keys, int n, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < n && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%d", i ? "," : "", keys[i]);
    if (!n)
        snprintf(buf, cap, "-");
}

static void keys_rule(const struct job *j, const struct grok_analysis *a, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "frequencies chosen by at least %d neurons explaining at least %g of "
                     "their variance, ", j->o->key_neurons, j->o->neuron_share);
    if (n < 0 || (size_t)n >= cap)
        return;
    if (j->o->keys_from == GROK_KEYS_EACH)
        snprintf(buf + n, cap - (size_t)n, "at each snapshot");
    else
        snprintf(buf + n, cap - (size_t)n, "at step %lld", a->steps[j->key_t]);
}

static void progress_table(void *ctx, struct grok_analysis *a, FILE *f)
{
    struct job *j = ctx;
    struct grok_tsv_writer w;
    char rule[200], text[8 * GROK_P_MAX];
    size_t K = (size_t)j->K;
    keys_rule(j, a, rule, sizeof rule);
    grok_tsv_init(&w, f);
    grok_tsv_meta(&w, "run", grok_run_name(a->in));
    grok_tsv_meta(&w, "keys", rule);
    switch (j->o->table) {
    case GROK_MEASURES_PROGRESS:
        grok_tsv_str(&w, "step");
        for (int c = 0; c < NCOLS; c++)
            grok_tsv_str(&w, col_names[c]);
        grok_tsv_str(&w, "key_freqs");
        grok_tsv_end_row(&w);
        for (size_t t = 0; t < a->T; t++) {
            grok_tsv_i64(&w, a->steps[t]);
            for (int c = 0; c < NCOLS; c++) {
                double v = j->rows[t * NCOLS + c];
                if (c == C_N_KEYS)
                    grok_tsv_i64(&w, (long long)v);
                else
                    grok_tsv_f64(&w, v);
            }
            keys_text(j->keys + t * K, j->nkeys[t], text, sizeof text);
            grok_tsv_str(&w, text);
            grok_tsv_end_row(&w);
        }
        break;
    case GROK_MEASURES_NEURONS:
        grok_tsv_str(&w, "step");
        grok_tsv_str(&w, "neuron");
        grok_tsv_str(&w, "freq");
        grok_tsv_str(&w, "share");
        grok_tsv_end_row(&w);
        for (size_t t = 0; t < a->T; t++)
            for (int n = 0; n < j->N; n++) {
                grok_tsv_i64(&w, a->steps[t]);
                grok_tsv_i64(&w, n);
                grok_tsv_i64(&w, j->freq[t * j->N + n]);
                grok_tsv_f64(&w, j->share[t * j->N + n]);
                grok_tsv_end_row(&w);
            }
        break;
    case GROK_MEASURES_COEFFICIENTS:
        grok_tsv_str(&w, "step");
        grok_tsv_str(&w, "freq");
        grok_tsv_str(&w, "coefficient");
        grok_tsv_str(&w, "neurons");
        grok_tsv_str(&w, "key");
        grok_tsv_str(&w, "excluded_loss");
        grok_tsv_end_row(&w);
        for (size_t t = 0; t < a->T; t++)
            for (size_t k = 1; k <= K; k++) {
                int key = 0;
                for (int i = 0; i < j->nkeys[t]; i++)
                    key |= j->keys[t * K + i] == (int)k;
                grok_tsv_i64(&w, a->steps[t]);
                grok_tsv_i64(&w, (long long)k);
                grok_tsv_f64(&w, j->coef[t * K + k - 1]);
                grok_tsv_i64(&w, j->count[t * (K + 1) + k]);
                grok_tsv_i64(&w, key);
                grok_tsv_f64(&w, j->excluded[t * K + k - 1]);
                grok_tsv_end_row(&w);
            }
        break;
    case GROK_MEASURES_WEIGHTS:
        grok_tsv_str(&w, "step");
        grok_tsv_str(&w, "param");
        grok_tsv_str(&w, "sum_sq");
        grok_tsv_end_row(&w);
        for (size_t t = 0; t < a->T; t++)
            for (int i = 0; i < j->model.n_tensors; i++) {
                grok_tsv_i64(&w, a->steps[t]);
                grok_tsv_str(&w, j->model.tensors[i].name);
                grok_tsv_f64(&w, j->sum_sq[t * j->model.n_tensors + i]);
                grok_tsv_end_row(&w);
            }
        break;
    }
}

static int progress_group(void *ctx, struct grok_analysis *a, struct grok_err *err)
{
    struct job *j = ctx;
    struct grok_run *out = a->out;
    size_t T = a->T, K = (size_t)j->K, N = (size_t)j->N, nt = (size_t)j->model.n_tensors;
    size_t big = T * (K + 1) > T * N ? T * (K + 1) : T * N;
    long long *ints = malloc((big > T * K ? big : T * K) * sizeof *ints);
    char rule[200];
    if (!ints)
        return nomem(err);
    keys_rule(j, a, rule, sizeof rule);
    int rc = grok_run_write_i64(out, GROUP, "step", a->steps, 1, &T, err);
    if (rc == GROK_OK)
        rc = grok_run_write_columns(out, GROUP, j->rows, T, 0, NCOLS, col_names, err);
    size_t shape[2] = {T, K};
    for (size_t t = 0; t < T; t++)
        for (size_t k = 0; k < K; k++)
            ints[t * K + k] = (int)k < j->nkeys[t] ? j->keys[t * K + k] : 0;
    if (rc == GROK_OK) rc = grok_run_write_i64(out, GROUP, "key_freqs", ints, 2, shape, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(out, GROUP, "coefficients", j->coef, 2, shape, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(out, GROUP, "excluded_each", j->excluded, 2, shape, err);
    shape[1] = K + 1;
    for (size_t i = 0; i < T * (K + 1); i++)
        ints[i] = j->count[i];
    if (rc == GROK_OK) rc = grok_run_write_i64(out, GROUP, "freq_neurons", ints, 2, shape, err);
    shape[1] = N;
    for (size_t i = 0; i < T * N; i++)
        ints[i] = j->freq[i];
    if (rc == GROK_OK) rc = grok_run_write_i64(out, GROUP, "neuron_freq", ints, 2, shape, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(out, GROUP, "neuron_share", j->share, 2, shape, err);
    shape[1] = nt;
    if (rc == GROK_OK) rc = grok_run_write_f64(out, GROUP, "sum_sq", j->sum_sq, 2, shape, err);
    free(ints);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(out, GROUP, "keys", rule, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(out, GROUP, "steps", grok_analysis_steps(a), err);
    return rc;
}

static const struct grok_analysis_def progress_def = {
    .program = "grok-fourier",
    .group = GROUP,
    .open = progress_open,
    .setup = progress_setup,
    .unit = progress_unit,
    .write_table = progress_table,
    .write_group = progress_group,
};

static void job_free(struct job *j)
{
    for (int i = 0; j->w && i < j->nworkers; i++)
        grok_work_free(j->w[i]);
    free(j->w);
    grok_model_free(&j->model);
    void *bufs[] = {j->tok, j->y, j->train, j->test, j->valid, j->F, j->params, j->lf, j->af, j->logits,
                    j->acts, j->work, j->scratch, j->rows, j->keys, j->nkeys, j->freq, j->share,
                    j->count, j->coef, j->excluded, j->sum_sq};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
        free(bufs[i]);
}

int grok_measures_run(const struct grok_measures_opts *o, const struct grok_analysis_io *io)
{
    struct job j = {.o = o};
    int rc = grok_analysis_run(&progress_def, &j, io, 0);
    job_free(&j);
    return rc;
}
