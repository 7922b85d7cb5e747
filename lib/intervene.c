/* P1's interventions: suppression, kicks and noise as one gradient transform
 * (include/grok/intervene.h). */
#include "grok/intervene.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>

#include "grok/commute.h"
#include "grok/pca.h"
#include "grok/pca_basis.h"
#include "grok/pool.h"
#include "grok/run.h"
#include "grok/state.h"
#include "grok/train.h"

/* A δ⊥ at most this fraction of ‖δ‖ is lost in δ's rounding: it has no direction, and the kick
 * is skipped. P1's code skips below an absolute 1e-15, a guard for its float32 arithmetic; in
 * double a δ of 1e-15 (late in training, or with full batches, gradient steps are that small)
 * still has a direction, and skipping on its size alone would drop most kicks there. */
#define KICK_LOST 1e-12

/* Columns of the basis that cover the rows [lo, lo + len) and no row outside them: a matrix's
 * columns in grok-pca's basis, or every column for a random basis over all parameters. */
struct block {
    size_t lo, len;
    int k;
    double *cols;                  /* (k, len) each column's entries on the block's rows */
    unsigned char *covered;        /* (len) 1 for a row some column covers: a block may hold rows
                                    * no column does (grok-pca --joint's columns span W_Q .. W_O,
                                    * and the biases between them are not in it) */
};

enum { M_REMOVED, M_PERP, M_KICKS, M_KICK_EPS, M_KICK_D, M_NOISES, N_METRICS };
static const char *const metric_name[N_METRICS] = {"suppress_removed", "grad_perp", "kicks",
                                                   "kick_eps", "kick_defect", "noises"};

struct intervention {
    struct grok_train_config cfg;
    size_t n;                      /* parameters */
    int C;                         /* the basis's rank */
    int nblocks;
    struct block *blocks;
    double *buf;                   /* (largest block's len) B Bᵀ v on a block */
    char hash[17];                 /* FNV-1a of the basis as read, in hex */
    gsl_rng *rng;
    /* the kicks: grok-commute's oracle on the training examples, K samples over the workers */
    struct grok_pool *pool;
    int nworkers, K, batch, n_train;
    struct grok_model_gradient mg;
    struct grok_gradient f;
    int *batches;                  /* (2K, batch) */
    double *theta;                 /* (n) the parameters in double */
    double *deltas;                /* (K, n) each sample's δ; then (n) a direction */
    double **scratch;              /* per worker: 4n */
    double *D, *step_a;            /* (K) each sample's defect and ‖η g_A‖ */
    size_t *order;                 /* (K) the samples by defect */
    int metrics[N_METRICS];        /* which of the metrics this run reports, in order */
    int n_metrics;
    double value[N_METRICS];       /* the last values, reported at each evaluation */
};

/* --- the basis -------------------------------------------------------------------------------- */

static uint64_t fnv1a(const void *data, size_t bytes)
{
    const unsigned char *p = data;
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < bytes; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

/* Entries of a column at most this fraction of its largest are taken for zero when its span is
 * found: grok-pca's QR leaves round-off (about 1e-17) in the rows a column does not cover, which
 * would otherwise make every span the whole vector. What this drops is at most 1e-12 · √n of the
 * column's norm (5e-10 for the Xu model), far below the float gradient's own rounding. */
#define SPAN_TOL 1e-12

/* The rows column j of B (n × C, row-major) is non-zero on: [*lo, *hi). */
static void column_span(const double *B, size_t n, size_t C, size_t j, size_t *lo, size_t *hi)
{
    double top = 0;
    for (size_t i = 0; i < n; i++)
        top = fmax(top, fabs(B[i * C + j]));
    *lo = n;
    *hi = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(B[i * C + j]) > SPAN_TOL * top) {
            if (*lo == n)
                *lo = i;
            *hi = i + 1;
        }
}

static int by_lo(const void *a, const void *b)
{
    const size_t *x = a, *y = b;   /* (lo, hi, column) */
    return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[2] < y[2] ? -1 : 1;
}

/* Groups B's columns into blocks whose spans do not meet: columns whose spans overlap share a
 * block over the union of their rows. */
static int make_blocks(struct intervention *v, const double *B, struct grok_err *err)
{
    size_t n = v->n, C = (size_t)v->C;
    size_t *span = malloc(C * 3 * sizeof *span);
    int *col_block = malloc(C * sizeof *col_block);
    v->blocks = calloc(C, sizeof *v->blocks);
    if (!span || !col_block || !v->blocks) {
        free(span);
        free(col_block);
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    }
    for (size_t j = 0; j < C; j++) {
        column_span(B, n, C, j, &span[3 * j], &span[3 * j + 1]);
        span[3 * j + 2] = j;
    }
    qsort(span, C, 3 * sizeof *span, by_lo);
    size_t hi = 0;
    v->nblocks = 0;
    for (size_t s = 0; s < C; s++) {
        size_t lo = span[3 * s], h = span[3 * s + 1];
        if (v->nblocks == 0 || lo >= hi) {
            v->blocks[v->nblocks++] = (struct block){.lo = lo};
            hi = h;
        } else if (h > hi) {
            hi = h;
        }
        struct block *b = &v->blocks[v->nblocks - 1];
        b->len = hi - b->lo;
        b->k++;
        col_block[span[3 * s + 2]] = v->nblocks - 1;
    }
    size_t most = 1;
    int rc = GROK_OK;
    for (int b = 0; b < v->nblocks && rc == GROK_OK; b++) {
        struct block *bl = &v->blocks[b];
        most = bl->len > most ? bl->len : most;
        if (!(bl->cols = calloc((size_t)bl->k * bl->len, sizeof *bl->cols)))
            rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
        bl->k = 0;   /* counted again as the columns are copied in */
    }
    for (int b = 0; b < v->nblocks && rc == GROK_OK; b++)
        if (!(v->blocks[b].covered = calloc(v->blocks[b].len, 1)))
            rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
    for (size_t j = 0; j < C && rc == GROK_OK; j++) {
        struct block *bl = &v->blocks[col_block[j]];
        double *col = bl->cols + (size_t)bl->k++ * bl->len, top = 0;
        for (size_t i = 0; i < bl->len; i++)
            top = fmax(top, fabs(col[i] = B[(bl->lo + i) * C + j]));
        for (size_t i = 0; i < bl->len; i++)
            bl->covered[i] |= fabs(col[i]) > SPAN_TOL * top;
    }
    if (rc == GROK_OK && !(v->buf = malloc(most * sizeof *v->buf)))
        rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
    free(span);
    free(col_block);
    return rc;
}

/* Replaces each block's columns by a random orthonormal set of the same count on the rows the
 * block's columns cover (covered), or every column by one over all parameters (all): Gaussian
 * entries from v->rng, then QR. */
static int randomise(struct intervention *v, struct grok_err *err)
{
    if (v->cfg.basis_random == 2) {   /* one block over every parameter */
        for (int b = 0; b < v->nblocks; b++) {
            free(v->blocks[b].cols);
            free(v->blocks[b].covered);
        }
        v->nblocks = 1;
        v->blocks[0] = (struct block){.lo = 0, .len = v->n, .k = v->C};
        free(v->buf);
        v->buf = malloc(v->n * sizeof *v->buf);
        if (!v->buf || !(v->blocks[0].cols = malloc(v->n * (size_t)v->C * sizeof(double))) ||
            !(v->blocks[0].covered = malloc(v->n)))
            return grok_err_set(err, GROK_ENOMEM, "out of memory");
        memset(v->blocks[0].covered, 1, v->n);
    }
    for (int b = 0; b < v->nblocks; b++) {
        struct block *bl = &v->blocks[b];
        size_t k = (size_t)bl->k, len = bl->len;
        double *A = malloc(len * k * sizeof *A);   /* (len, k) row-major, as QR wants it */
        if (!A)
            return grok_err_set(err, GROK_ENOMEM, "out of memory");
        size_t rows = 0;
        for (size_t i = 0; i < len; i++) {
            rows += bl->covered[i];
            for (size_t j = 0; j < k; j++)
                A[i * k + j] = bl->covered[i] ? gsl_ran_gaussian_ziggurat(v->rng, 1.0) : 0;
        }
        int rc = rows >= k ? grok_orthonormalise(A, len, k, err)
                           : grok_err_set(err, GROK_EFORMAT, "--basis-random: %zu covered rows cannot hold %zu "
                                          "orthonormal columns", rows, k);
        for (size_t i = 0; rc == GROK_OK && i < len; i++)
            for (size_t j = 0; j < k; j++)
                bl->cols[j * len + i] = A[i * k + j];
        free(A);
        if (rc)
            return rc;
    }
    return GROK_OK;
}

/* Reads cfg->basis's /pca/basis into blocks, checked, with its fingerprint. */
static int load_basis(struct intervention *v, const struct grok_model *m, struct grok_err *err)
{
    struct grok_array B = {0};
    struct grok_run *run = grok_run_open(v->cfg.basis, err);
    int rc = run ? GROK_OK : err->code;
    if (rc == GROK_OK)
        rc = grok_pca_basis_read(run, v->n, &B, err);
    if (rc == GROK_OK)
        rc = grok_pca_basis_check_layout(run, m, err);
    if (rc == GROK_OK)
        rc = grok_pca_basis_check_orthonormal(run, &B, "", err);
    if (rc == GROK_OK) {
        v->C = (int)B.shape[1];
        snprintf(v->hash, sizeof v->hash, "%016llx", (unsigned long long)fnv1a(B.data, B.n * sizeof(double)));
        rc = make_blocks(v, B.data, err);
    }
    grok_array_free(&B);
    grok_run_close(run);
    return rc;
}

/* Σ a_i b_i in four running sums: in a fixed order (the same bytes every time) but not one long
 * chain, which would leave the loop waiting on each add. One body for the three pairs of types
 * the interventions multiply (the basis in double with a float gradient or a double vector; a
 * float gradient with itself). */
#define DOT4(name, A, B)                                                        \
    static double name(const A *a, const B *b, size_t n)                        \
    {                                                                           \
        double s[4] = {0, 0, 0, 0};                                             \
        size_t i = 0;                                                           \
        for (; i + 4 <= n; i += 4)                                              \
            for (int k = 0; k < 4; k++)                                         \
                s[k] += (double)a[i + (size_t)k] * b[i + (size_t)k];            \
        for (; i < n; i++)                                                      \
            s[0] += (double)a[i] * b[i];                                        \
        return (s[0] + s[1]) + (s[2] + s[3]);                                   \
    }
DOT4(dot_df, double, float)
DOT4(dot_dd, double, double)
DOT4(dot_ff, float, float)
#undef DOT4

static double sumsq_f(const float *b, size_t n) { return dot_ff(b, b, n); }

/* buf ← B Bᵀ v on block bl's rows, v float (gf) or double (gd). */
static void inside_block(const struct intervention *v, const struct block *bl, const float *gf,
                         const double *gd)
{
    memset(v->buf, 0, bl->len * sizeof *v->buf);
    for (int j = 0; j < bl->k; j++) {
        const double *col = bl->cols + (size_t)j * bl->len;
        double c = gf ? dot_df(col, gf + bl->lo, bl->len) : dot_dd(col, gd + bl->lo, bl->len);
        for (size_t i = 0; i < bl->len; i++)
            v->buf[i] += c * col[i];
    }
}

/* d ← d − B Bᵀ d: its part outside the subspace. Returns ‖d‖ after. */
static double remove_inside(const struct intervention *v, double *d)
{
    for (int b = 0; b < v->nblocks; b++) {
        const struct block *bl = &v->blocks[b];
        inside_block(v, bl, NULL, d);
        for (size_t i = 0; i < bl->len; i++)
            d[bl->lo + i] -= v->buf[i];
    }
    double ss = 0;
    for (size_t i = 0; i < v->n; i++)
        ss += d[i] * d[i];
    return sqrt(ss);
}

/* --- the suppression (after clipping) --------------------------------------------------------- */

/* g ← g − S (g − B Bᵀ g) over the scope: every parameter (P1's code), or the rows the basis
 * covers (the others keep their gradient). The products are hand-written rather than BLAS
 * calls: they mix the float gradient with the double basis, and each block is a few thousand
 * rows, so the whole costs two passes over the covered rows. With S = 0 the gradient is left
 * untouched, bit for bit; the norms are measured either way. */
static void suppress(void *ctx, const float *params, float *g, size_t n, long long step)
{
    (void)params;
    struct intervention *v = ctx;
    if (step + 1 < v->cfg.intervene_from)
        return;
    double S = v->cfg.suppress, all = 0, perp = 0, perp_scope = 0;
    int scope_all = v->cfg.suppress_scope == 0;
    size_t at = 0;
    /* one pass over each stretch of rows: its norms for the metrics and, where S removes
     * something, the new gradient */
    for (int b = 0; b <= v->nblocks; b++) {
        /* the rows between the blocks (and after the last): outside the subspace entirely */
        size_t end = b < v->nblocks ? v->blocks[b].lo : n;
        double ss = sumsq_f(g + at, end - at);
        all += ss;
        perp += ss;
        if (scope_all) {
            perp_scope += ss;
            if (S != 0)
                for (size_t i = at; i < end; i++)
                    g[i] = (float)(g[i] - S * g[i]);
        }
        if (b == v->nblocks)
            break;
        const struct block *bl = &v->blocks[b];
        inside_block(v, bl, g, NULL);
        float *gb = g + bl->lo;
        double xx = 0, dd = 0, dd_in = 0;   /* over the block; dd_in over the rows it covers */
        for (size_t i = 0; i < bl->len; i++) {
            double x = gb[i], d = x - v->buf[i];
            xx += x * x;
            dd += d * d;
            if (bl->covered[i])
                dd_in += d * d;
            if (S != 0 && (scope_all || bl->covered[i]))
                gb[i] = (float)(x - S * d);
        }
        all += xx;
        perp += dd;
        perp_scope += scope_all ? dd : dd_in;
        at = bl->lo + bl->len;
    }
    v->value[M_REMOVED] = S * sqrt(perp_scope);
    v->value[M_PERP] = all > 0 ? sqrt(perp / all) : 0;
}

/* --- the kicks and the noise (after the update) ----------------------------------------------- */

/* Whether an edit every `every` updates from --from (0: once, at --from) acts after update
 * `step`. */
static int due(const struct intervention *v, long long every, long long step)
{
    long long from = v->cfg.intervene_from;
    if (step < from)
        return 0;
    return every > 0 ? (step - from) % every == 0 : step == from;
}

static void sample_job(void *ctx, int w)
{
    struct intervention *v = ctx;
    for (int k = w; k < v->K; k += v->nworkers) {
        double sb;
        v->D[k] = grok_commute_defect(&v->f, w, v->theta, v->cfg.kick_eta, 2 * k, 2 * k + 1, v->scratch[w],
                                      v->deltas + (size_t)k * v->n, &v->step_a[k], &sb);
    }
}

static void draw_batches(struct intervention *v, int count)
{
    for (size_t i = 0; i < (size_t)count * (size_t)v->batch; i++)
        v->batches[i] = (int)gsl_rng_uniform_int(v->rng, (unsigned long)v->n_train);
}

/* A unit direction outside the subspace into dir (n): the commutator's δ⊥ of the sample with
 * the median defect (P1's choice: the K//2-th in increasing order), or a Gaussian draw's part
 * outside. Fills *step_a (‖η g_A‖ of that sample, or of a fresh batch for the random control)
 * and *defect (nan for random). Returns 0 when δ⊥ vanishes (no kick). */
static int kick_direction(struct intervention *v, const float *params, double **dir, double *step_a,
                          double *defect)
{
    for (size_t i = 0; i < v->n; i++)
        v->theta[i] = params[i];
    double norm, whole;
    if (v->cfg.kick_direction == 0) {
        draw_batches(v, 2 * v->K);
        if (v->pool)
            grok_pool_run(v->pool, sample_job, v);
        else
            sample_job(v, 0);
        gsl_sort_index(v->order, v->D, 1, (size_t)v->K);
        size_t m = v->order[v->K / 2];
        *dir = v->deltas + m * v->n;
        *step_a = v->step_a[m];
        *defect = v->D[m];
        whole = sqrt(dot_dd(*dir, *dir, v->n));
        norm = remove_inside(v, *dir);
    } else {
        draw_batches(v, 1);
        double *g = v->deltas;   /* sample 0's room: the gradient, then the direction */
        v->f.grad(v->f.ctx, 0, 0, v->theta, g);
        double ss = 0;
        for (size_t i = 0; i < v->n; i++)
            ss += g[i] * g[i];
        *step_a = v->cfg.kick_eta * sqrt(ss);
        *defect = NAN;
        for (size_t i = 0; i < v->n; i++)
            g[i] = gsl_ran_gaussian_ziggurat(v->rng, 1.0);
        *dir = g;
        whole = sqrt(dot_dd(g, g, v->n));
        norm = remove_inside(v, g);
    }
    if (!(norm > KICK_LOST * whole))
        return 0;
    for (size_t i = 0; i < v->n; i++)
        (*dir)[i] /= norm;
    return 1;
}

static void edit(void *ctx, float *params, size_t n, long long step)
{
    struct intervention *v = ctx;
    if (v->cfg.kick >= 0 && due(v, v->cfg.kick_every, step)) {
        double *dir, step_a, defect;
        if (kick_direction(v, params, &dir, &step_a, &defect)) {
            double eps = v->cfg.kick * step_a;
            for (size_t i = 0; i < n; i++)
                params[i] = (float)(params[i] + eps * dir[i]);
            v->value[M_KICKS]++;
            v->value[M_KICK_EPS] = eps;
        }
        v->value[M_KICK_D] = defect;
    }
    if (v->cfg.noise >= 0 && due(v, v->cfg.noise_every, step)) {
        double *z = v->deltas;
        for (size_t i = 0; i < n; i++)
            z[i] = gsl_ran_gaussian_ziggurat(v->rng, 1.0);
        double whole = sqrt(dot_dd(z, z, n)), norm = remove_inside(v, z);
        if (norm > KICK_LOST * whole) {
            for (size_t i = 0; i < n; i++)
                params[i] = (float)(params[i] + v->cfg.noise * z[i] / norm);
            v->value[M_NOISES]++;
        }
    }
}

/* --- metrics and state ------------------------------------------------------------------------ */

static void report(void *ctx, double *values)
{
    struct intervention *v = ctx;
    for (int i = 0; i < v->n_metrics; i++)
        values[i] = v->value[v->metrics[i]];
}

static int save(void *ctx, struct grok_run *run, const char *group, struct grok_err *err)
{
    struct intervention *v = ctx;
    char path[GROK_MAX_NAME + 32];
    int rc = grok_run_path(path, sizeof path, group, "rng", err);
    size_t shape[1] = {N_METRICS};
    if (rc == GROK_OK) rc = grok_state_rng_write(run, path, v->rng, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(run, group, "values", v->value, 1, shape, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(run, group, "rng_type", GROK_STATE_RNG_TYPE, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(run, group, "basis_hash", v->hash, err);
    return rc;
}

static int load(void *ctx, struct grok_run *run, const char *group, struct grok_err *err)
{
    struct intervention *v = ctx;
    char path[GROK_MAX_NAME + 32], *hash = NULL;
    int rc = grok_run_attr_get_str(run, group, "basis_hash", &hash, err);
    if (rc == GROK_OK && strcmp(hash, v->hash) != 0)
        rc = grok_err_set(err, GROK_EFORMAT, "%s: %s's /pca/basis is not the basis the run was trained with "
                          "(%s@basis_hash %s, now %s)", grok_run_name(run), v->cfg.basis, group, hash, v->hash);
    if (rc == GROK_OK && (rc = grok_run_path(path, sizeof path, group, "values", err)) == GROK_OK)
        rc = grok_state_read_exact(run, path, GROK_F64, v->value, N_METRICS, err);
    if (rc == GROK_OK && (rc = grok_run_path(path, sizeof path, group, "rng", err)) == GROK_OK)
        rc = grok_state_rng_read(run, path, group, v->rng, err);
    free(hash);
    return rc;
}

static void intervention_free(void *ctx)
{
    struct intervention *v = ctx;
    if (!v)
        return;
    for (int b = 0; v->blocks && b < v->nblocks; b++) {
        free(v->blocks[b].cols);
        free(v->blocks[b].covered);
    }
    free(v->blocks);
    free(v->buf);
    if (v->rng)
        gsl_rng_free(v->rng);
    grok_model_gradient_free(&v->mg);
    for (int w = 0; v->scratch && w < v->nworkers; w++)
        free(v->scratch[w]);
    free(v->scratch);
    free(v->batches);
    free(v->theta);
    free(v->deltas);
    free(v->D);
    free(v->step_a);
    free(v->order);
    free(v);
}

/* What the interventions need of the trainer. */
struct grok_intervention_input {
    const struct grok_train_config *cfg;   /* resolved, with grok_config_intervenes(cfg) */
    const struct grok_model *model;        /* the trainer's */
    const int32_t *train_tok, *train_y;    /* (n_train, n_ctx), (n_train): the kicks' batches */
    int n_train;
    struct grok_pool *pool;                /* the trainer's workers, or NULL */
};

/* The kicks' and the noise's memory, and the gradient oracle over the workers. */
static int setup_edits(struct intervention *v, const struct grok_intervention_input *in,
                       struct grok_err *err)
{
    const struct grok_train_config *c = &v->cfg;
    if (c->kick < 0 && c->noise < 0)
        return GROK_OK;
    v->K = c->kick >= 0 ? c->kick_samples : 1;
    v->pool = in->pool;
    v->nworkers = in->pool ? grok_pool_size(in->pool) : 1;
    v->batch = c->batch > 0 ? c->batch : in->n_train;
    v->n_train = in->n_train;
    size_t n = v->n, K = (size_t)v->K;
    v->deltas = malloc(K * n * sizeof *v->deltas);
    v->theta = malloc(n * sizeof *v->theta);
    if (!v->deltas || !v->theta)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    if (c->kick < 0)
        return GROK_OK;
    int rc = grok_model_gradient_init(&v->mg, in->model, in->train_tok, in->train_y, v->batch, 0, v->nworkers, err);
    if (rc)
        return rc;
    v->f = grok_model_gradient_oracle(&v->mg);
    v->batches = malloc(2 * K * (size_t)v->batch * sizeof *v->batches);
    v->mg.batches = v->batches;
    v->D = malloc(K * sizeof *v->D);
    v->step_a = malloc(K * sizeof *v->step_a);
    v->order = malloc(K * sizeof *v->order);
    v->scratch = calloc((size_t)v->nworkers, sizeof *v->scratch);
    if (!v->batches || !v->D || !v->step_a || !v->order || !v->scratch)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    for (int w = 0; w < v->nworkers; w++)
        if (!(v->scratch[w] = malloc(4 * n * sizeof **v->scratch)))
            return grok_err_set(err, GROK_ENOMEM, "out of memory");
    return GROK_OK;
}

/* Fills x with the transform for `in`, x untouched on failure. */
static int make_transform(struct grok_grad_transform *x, const struct grok_intervention_input *in,
                          struct grok_err *err)
{
    struct intervention *v = calloc(1, sizeof *v);
    if (!v)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    v->cfg = *in->cfg;
    v->n = in->model->n_params;
    const struct grok_train_config *c = &v->cfg;
    int rc = (v->rng = gsl_rng_alloc(gsl_rng_mt19937)) ? GROK_OK : grok_err_set(err, GROK_ENOMEM, "out of memory");
    if (rc == GROK_OK) {
        gsl_rng_set(v->rng, (unsigned long)c->intervene_seed);
        rc = load_basis(v, in->model, err);
    }
    if (rc == GROK_OK && c->basis_random)
        rc = randomise(v, err);
    if (rc == GROK_OK)
        rc = setup_edits(v, in, err);
    if (rc) {
        intervention_free(v);
        return rc;
    }
    /* the metrics of the interventions asked for; nan until they first act */
    for (int i = 0; i < N_METRICS; i++)
        v->value[i] = i == M_KICKS || i == M_NOISES ? 0 : NAN;
    int on[N_METRICS] = {c->suppress >= 0, c->suppress >= 0, c->kick >= 0, c->kick >= 0, c->kick >= 0,
                         c->noise >= 0};
    *x = (struct grok_grad_transform){.name = "intervene", .save = save, .load = load, .report = report,
                                      .free = intervention_free, .ctx = v};
    if (c->suppress >= 0)
        x->apply_clipped = suppress;
    if (c->kick >= 0 || c->noise >= 0)
        x->edit = edit;
    for (int i = 0; i < N_METRICS; i++)
        if (on[i]) {
            v->metrics[v->n_metrics++] = i;
            x->metric_names[x->n_metrics++] = metric_name[i];
        }
    return GROK_OK;
}

int grok_intervention_add(struct grok_trainer *t, struct grok_err *err)
{
    const struct grok_dataset *d = grok_trainer_data(t);
    struct grok_intervention_input in = {.cfg = grok_trainer_config(t), .model = grok_trainer_model(t),
                                         .train_tok = grok_trainer_train_tokens(t), .train_y = d->train_y,
                                         .n_train = d->n_train, .pool = grok_trainer_pool(t)};
    struct grok_grad_transform x;
    int rc = make_transform(&x, &in, err);
    return rc ? rc : grok_trainer_add_transform(t, &x, err);
}
