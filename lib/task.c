#include "grok/task.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "grok/names.h"

/* Indexed by the enums, so the order must follow task.h. */
static const char *const op_names[] = {"add", "sub", "mul", "div", "x2y2", "x2xyy2", "x3xy", "rand"};
static const char *const ctx_names[] = {"ab=", "ab", "aob="};
static const char *const split_names[] = {"random", "uniform", "skewed"};

const char *grok_op_name(enum grok_op op) { return grok_name_at(op_names, GROK_COUNT(op_names), (int)op); }
int grok_op_parse(const char *name) { return grok_name_find(op_names, GROK_COUNT(op_names), name); }
const char *grok_ctx_name(enum grok_ctx ctx) { return grok_name_at(ctx_names, GROK_COUNT(ctx_names), (int)ctx); }
int grok_ctx_parse(const char *name) { return grok_name_find(ctx_names, GROK_COUNT(ctx_names), name); }
const char *grok_split_name(enum grok_split s) { return grok_name_at(split_names, GROK_COUNT(split_names), (int)s); }
int grok_split_parse(const char *name) { return grok_name_find(split_names, GROK_COUNT(split_names), name); }

static int is_prime(int p)
{
    if (p < 2)
        return 0;
    for (int d = 2; d * d <= p; d++)
        if (p % d == 0)
            return 0;
    return 1;
}

int grok_task_check(enum grok_op op, int p, const char *what, struct grok_err *err)
{
    if (p < 2 || p > GROK_P_MAX)
        return grok_err_set(err, GROK_EINVAL, "%s %d: the modulus must be between 2 and %d", what, p,
                            GROK_P_MAX);
    if (op == GROK_OP_DIV && !is_prime(p))
        return grok_err_set(err, GROK_EINVAL,
                            "%s %d: div needs a prime modulus (b has no inverse otherwise)", what, p);
    return GROK_OK;
}

void grok_task_range(enum grok_op op, int p, int *lo, int *hi)
{
    *lo = op == GROK_OP_MUL || op == GROK_OP_DIV ? 1 : 0;
    *hi = p - 1;
}

/* Extended Euclid rather than Fermat so that a composite p gives -1 for a non-invertible b
 * instead of a wrong answer. */
static int64_t inverse_mod(int64_t b, int64_t p)
{
    int64_t r0 = p, r1 = b, s0 = 0, s1 = 1;
    while (r1 != 0) {
        int64_t q = r0 / r1, t;
        t = r0 - q * r1; r0 = r1; r1 = t;
        t = s0 - q * s1; s0 = s1; s1 = t;
    }
    if (r0 != 1)
        return -1;
    return s0 < 0 ? s0 + p : s0;
}

/* The splitmix64 output function: a bijection of 64-bit words whose output bits each depend
 * on every input bit, which is all a fixed "random" table needs. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

int grok_task_symmetric(enum grok_op op)
{
    return op == GROK_OP_ADD || op == GROK_OP_MUL || op == GROK_OP_X2Y2 || op == GROK_OP_X2XYY2;
}

int grok_task_answer(enum grok_op op, int p, int a, int b)
{
    int lo, hi;
    if (p < 2 || (unsigned)op >= (unsigned)GROK_COUNT(op_names))
        return -1;
    grok_task_range(op, p, &lo, &hi);
    if (a < lo || a > hi || b < lo || b > hi)
        return -1;
    /* 64-bit throughout: a³ reaches 8.6e9 for p = 2048. */
    int64_t A = a, B = b, P = p, r;
    switch (op) {
    case GROK_OP_ADD:    r = A + B; break;
    case GROK_OP_SUB:    r = A - B + P; break;
    case GROK_OP_MUL:    r = A * B; break;
    case GROK_OP_DIV: {
        int64_t inv = inverse_mod(B, P);
        if (inv < 0)
            return -1;
        r = A * inv;
        break;
    }
    case GROK_OP_X2Y2:   r = A * A + B * B; break;
    case GROK_OP_X2XYY2: r = A * A + A * B + B * B; break;
    case GROK_OP_X3XY:   r = A * A * A + A * B; break;
    case GROK_OP_RAND:
        /* A stateless hash rather than a GSL generator: it needs no seed and no shared state
         * (so it is thread-safe and order-independent), and the table is the same for every
         * run with this p whatever its seeds, so runs of the rand task are comparable. The
         * golden-ratio increment keeps (p, 0, 0) away from the hash's fixed point at 0. */
        r = (int64_t)(mix64(((uint64_t)P << 42 | (uint64_t)A << 21 | (uint64_t)B) +
                            UINT64_C(0x9e3779b97f4a7c15)) % (uint64_t)P);
        break;
    default:
        return -1;
    }
    return (int)(r % P);
}

int grok_ctx_len(enum grok_ctx ctx)
{
    switch (ctx) {
    case GROK_CTX_AB_EQ:  return 3;
    case GROK_CTX_AB:     return 2;
    case GROK_CTX_AOB_EQ: return 4;
    }
    return 0;
}

int grok_ctx_vocab(enum grok_ctx ctx, int p)
{
    switch (ctx) {
    case GROK_CTX_AB_EQ:  return p + 1;
    case GROK_CTX_AB:     return p;
    case GROK_CTX_AOB_EQ: return p + 2;
    }
    return 0;
}

void grok_ctx_tokens(enum grok_ctx ctx, int p, const int32_t *ab, int n, int32_t *tokens)
{
    int32_t eq = p, op = p + 1;
    for (int i = 0; i < n; i++) {
        int32_t a = ab[2 * i], b = ab[2 * i + 1];
        switch (ctx) {
        case GROK_CTX_AB_EQ:
            tokens[3 * i] = a; tokens[3 * i + 1] = b; tokens[3 * i + 2] = eq;
            break;
        case GROK_CTX_AB:
            tokens[2 * i] = a; tokens[2 * i + 1] = b;
            break;
        case GROK_CTX_AOB_EQ:
            tokens[4 * i] = a; tokens[4 * i + 1] = op; tokens[4 * i + 2] = b; tokens[4 * i + 3] = eq;
            break;
        }
    }
}

/* Moves k of the n entries of x, drawn without replacement, to its front in the order drawn:
 * the first k steps of a Fisher–Yates shuffle, so k draws instead of n. */
static void draw_front(gsl_rng *rng, int32_t *x, int n, int k)
{
    for (int i = 0; i < k && i < n - 1; i++) {
        int j = i + (int)gsl_rng_uniform_int(rng, (unsigned long)(n - i));
        int32_t t = x[i]; x[i] = x[j]; x[j] = t;
    }
}

static void iota(int32_t *x, int n)
{
    for (int i = 0; i < n; i++)
        x[i] = i;
}

void grok_dataset_free(struct grok_dataset *ds)
{
    if (!ds)
        return;
    free(ds->train_ab);
    free(ds->train_y);
    free(ds->test_ab);
    free(ds->test_y);
    memset(ds, 0, sizeof *ds);
}

/* Efraimidis and Spirakis: a weighted draw without replacement of k of the n candidates is the
 * k largest keys log(u)/w, u uniform on (0, 1]. */
struct keyed {
    double key;
    int32_t idx;
};

static int by_key_desc(const void *x, const void *y)
{
    const struct keyed *a = x, *b = y;
    if (a->key != b->key)
        return a->key < b->key ? 1 : -1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* k of the n candidate pairs (indices (a − lo)·n_vals + (b − lo)) into train, in the order of
 * their keys, weighted by the skewed law over n_vals operand values. */
static int draw_skewed(gsl_rng *rng, const int32_t *cand, int n, int k, int n_vals, double skew,
                       int32_t *train)
{
    double *w = malloc((size_t)n_vals * sizeof *w);
    int32_t *rank = malloc((size_t)n_vals * sizeof *rank);
    struct keyed *keys = malloc((size_t)n * sizeof *keys);
    if (!w || !rank || !keys) {
        free(w);
        free(rank);
        free(keys);
        return GROK_ENOMEM;
    }
    iota(rank, n_vals);
    draw_front(rng, rank, n_vals, n_vals);   /* rank[i]: the value of rank i + 1 */
    for (int i = 0; i < n_vals; i++)
        w[rank[i]] = pow(i + 1, -skew);
    for (int j = 0; j < n; j++) {
        double u = gsl_rng_uniform_pos(rng);
        keys[j] = (struct keyed){log(u) / (w[cand[j] / n_vals] * w[cand[j] % n_vals]), cand[j]};
    }
    qsort(keys, (size_t)n, sizeof *keys, by_key_desc);
    for (int j = 0; j < k; j++)
        train[j] = keys[j].idx;
    free(w);
    free(rank);
    free(keys);
    return GROK_OK;
}

int grok_dataset_make(struct grok_dataset *ds, enum grok_op op, int p,
                      const struct grok_split_spec *s, gsl_rng *rng, struct grok_err *err)
{
    memset(ds, 0, sizeof *ds);
    double frac = s->frac, test_frac = s->test_frac;
    enum grok_split split = s->split;
    int rc = grok_task_check(op, p, "--p", err);
    if (rc)
        return rc;
    if (!(frac > 0 && frac < 1))
        return grok_err_set(err, GROK_EINVAL,
                            "--frac %g: the training fraction must be between 0 and 1 (exclusive)",
                            frac);
    if (split != GROK_SPLIT_RANDOM && split != GROK_SPLIT_UNIFORM && split != GROK_SPLIT_SKEWED)
        return grok_err_set(err, GROK_EINVAL, "unknown split %d", (int)split);
    if (!(test_frac >= 0 && test_frac < 1))
        return grok_err_set(err, GROK_EINVAL, "--test-frac %g: must be at least 0 and below 1", test_frac);
    if (test_frac > 0 && split == GROK_SPLIT_UNIFORM)
        return grok_err_set(err, GROK_EINVAL, "--test-frac: the uniform split trains on whole "
                            "diagonals of pairs and takes the rest as its test set");
    if (!(s->skew >= 0 && s->skew <= 100))
        return grok_err_set(err, GROK_EINVAL, "--split skewed:%g: the exponent must be between 0 and 100",
                            s->skew);

    if (s->unordered && (split == GROK_SPLIT_UNIFORM || !grok_task_symmetric(op)))
        return grok_err_set(err, GROK_EINVAL, "--pairs unordered: needs a symmetric op and a random "
                            "or skewed split");

    int lo, hi;
    grok_task_range(op, p, &lo, &hi);
    /* N counts the pairs of the task; the indices (a − lo)·n + (b − lo) range over all n² */
    int n = hi - lo + 1, N = s->unordered ? n * (n + 1) / 2 : n * n;
    int n_held = test_frac > 0 ? (int)lround(test_frac * N) : 0;   /* the test set drawn first */
    if (test_frac > 0 && n_held < 1)
        return grok_err_set(err, GROK_EINVAL, "--test-frac %g: no test pair for p = %d (%d pairs)",
                            test_frac, p, N);
    /* Uniform trains on m whole "diagonals" of n pairs, so its size is rounded in those. */
    int m = split == GROK_SPLIT_UNIFORM ? (int)lround(frac * n) : 0;
    int n_train = split == GROK_SPLIT_UNIFORM ? m * n : (int)lround(frac * N);
    if (n_train < 1)
        return grok_err_set(err, GROK_EINVAL, "--frac %g: no training pair for p = %d (%d pairs)",
                            frac, p, N);
    if (n_train > N - 1)
        return grok_err_set(err, GROK_EINVAL, "--frac %g: no test pair for p = %d (%d pairs)",
                            frac, p, N);
    if (n_held && n_train > N - n_held)
        return grok_err_set(err, GROK_EINVAL, "--frac %g and --test-frac %g: more than all %d pairs",
                            frac, test_frac, N);

    /* Pairs are handled as indices (a − lo)·n + (b − lo), which count up in (a, b) order. */
    int32_t *train = malloc((size_t)n_train * sizeof *train);
    unsigned char *in_train = calloc((size_t)n * n, 1), *in_test = NULL;
    int32_t *work = malloc((size_t)(split == GROK_SPLIT_UNIFORM ? 3 * n : N) * sizeof *work);
    ds->n_train = n_train;
    ds->n_test = n_held ? n_held : N - n_train;
    ds->train_ab = malloc((size_t)ds->n_train * 2 * sizeof *ds->train_ab);
    ds->train_y = malloc((size_t)ds->n_train * sizeof *ds->train_y);
    ds->test_ab = malloc((size_t)ds->n_test * 2 * sizeof *ds->test_ab);
    ds->test_y = malloc((size_t)ds->n_test * sizeof *ds->test_y);
    if (n_held)
        in_test = calloc((size_t)n * n, 1);
    if (!train || !in_train || !work || !ds->train_ab || !ds->train_y || !ds->test_ab ||
        !ds->test_y || (n_held && !in_test)) {
        rc = grok_err_set(err, GROK_ENOMEM, "out of memory splitting %d pairs", N);
        grok_dataset_free(ds);
        goto out;
    }
    ds->p = p;
    ds->op = op;

    if (split != GROK_SPLIT_UNIFORM) {
        /* the pool: every pair, the held-out test set drawn to its front first */
        if (s->unordered)
            for (int a = 0, k = 0; a < n; a++)
                for (int b = a; b < n; b++)
                    work[k++] = a * n + b;
        else
            iota(work, N);
        draw_front(rng, work, N, n_held);
        for (int k = 0; k < n_held; k++)
            in_test[work[k]] = 1;
        int32_t *pool = work + n_held;
        int n_pool = N - n_held;
        if (split == GROK_SPLIT_RANDOM) {
            draw_front(rng, pool, n_pool, n_train);
            memcpy(train, pool, (size_t)n_train * sizeof *train);
        } else if (draw_skewed(rng, pool, n_pool, n_train, n, s->skew, train) != GROK_OK) {
            rc = grok_err_set(err, GROK_ENOMEM, "out of memory splitting %d pairs", N);
            grok_dataset_free(ds);
            goto out;
        }
    } else {
        /* Pair i of diagonal j is (πa(i), πb(i + o_j mod n)): for a fixed a the m offsets give
         * m distinct b, and each b is reached once per diagonal, so every value occurs exactly
         * m times on each side. The permutations keep the diagonals from being the plain
         * b − a = const ones, which would leak the structure of add and sub. */
        int32_t *pa = work, *pb = work + n, *off = work + 2 * n;
        iota(pa, n);
        iota(pb, n);
        iota(off, n);
        draw_front(rng, pa, n, n);
        draw_front(rng, pb, n, n);
        draw_front(rng, off, n, m);
        for (int j = 0, k = 0; j < m; j++)
            for (int i = 0; i < n; i++)
                train[k++] = pa[i] * n + pb[(i + off[j]) % n];
    }

    for (int k = 0; k < n_train; k++) {
        int a = lo + train[k] / n, b = lo + train[k] % n;
        in_train[train[k]] = 1;
        ds->train_ab[2 * k] = a;
        ds->train_ab[2 * k + 1] = b;
        ds->train_y[k] = grok_task_answer(op, p, a, b);
    }
    for (int idx = 0, k = 0; idx < n * n; idx++) {
        if (in_train[idx] || (in_test && !in_test[idx]) || (s->unordered && idx / n > idx % n))
            continue;
        int a = lo + idx / n, b = lo + idx % n;
        ds->test_ab[2 * k] = a;
        ds->test_ab[2 * k + 1] = b;
        ds->test_y[k++] = grok_task_answer(op, p, a, b);
    }
    rc = GROK_OK;
out:
    free(train);
    free(in_train);
    free(in_test);
    free(work);
    return rc;
}

void grok_dataset_counts(const struct grok_dataset *ds, long long *counts)
{
    memset(counts, 0, 2 * (size_t)ds->p * sizeof *counts);
    for (int k = 0; k < ds->n_train; k++) {
        counts[ds->train_ab[2 * k]]++;
        counts[ds->p + ds->train_ab[2 * k + 1]]++;
    }
}

int grok_regress_parse(const char *what, const char *text, int *n_inputs, struct grok_err *err)
{
    const char *prefix = "regress-sum:";
    char *end;
    if (strncmp(text, prefix, strlen(prefix)) != 0)
        return grok_err_set(err, GROK_EINVAL, "%s '%s': expected modular or regress-sum:N", what, text);
    const char *num = text + strlen(prefix);
    long v = strtol(num, &end, 10);
    if (end == num || *end || v < 1 || v > GROK_REGRESS_MAX_INPUTS)
        return grok_err_set(err, GROK_EINVAL, "%s '%s': N must be a whole number from 1 to %d", what,
                            text, GROK_REGRESS_MAX_INPUTS);
    *n_inputs = (int)v;
    return GROK_OK;
}

void grok_regress_free(struct grok_regress_set *s)
{
    if (!s)
        return;
    free(s->train_x);
    free(s->train_y);
    free(s->test_x);
    free(s->test_y);
    memset(s, 0, sizeof *s);
}

int grok_regress_make(struct grok_regress_set *s, int n_inputs, gsl_rng *rng, struct grok_err *err)
{
    memset(s, 0, sizeof *s);
    s->n_inputs = n_inputs;
    s->n_train = 1;
    s->n_test = GROK_REGRESS_TEST;
    s->train_x = malloc((size_t)n_inputs * sizeof *s->train_x);
    s->train_y = malloc(sizeof *s->train_y);
    s->test_x = malloc((size_t)s->n_test * n_inputs * sizeof *s->test_x);
    s->test_y = malloc((size_t)s->n_test * sizeof *s->test_y);
    if (!s->train_x || !s->train_y || !s->test_x || !s->test_y) {
        grok_regress_free(s);
        return grok_err_set(err, GROK_ENOMEM, "out of memory for the regression's data");
    }
    for (int j = 0; j < n_inputs; j++)
        s->train_x[j] = 1;
    s->train_y[0] = (float)n_inputs;
    for (int i = 0; i < s->n_test; i++) {
        double sum = 0;
        for (int j = 0; j < n_inputs; j++) {
            float x = (float)gsl_ran_gaussian_ziggurat(rng, 1.0);
            s->test_x[(size_t)i * n_inputs + j] = x;
            sum += x;
        }
        s->test_y[i] = (float)sum;
    }
    return GROK_OK;
}
