/* Modular tasks: answers, operand ranges, token layouts and the train/test split. */
#include "tap.h"

#include <stdlib.h>

#include "grok/task.h"

/* Checks that train ∪ test is every pair of the op's range exactly once, that the test set is
 * in increasing (a, b) and that every y is the task's answer. */
static void partition_ok(const struct grok_dataset *ds, const char *what)
{
    int lo, hi;
    grok_task_range(ds->op, ds->p, &lo, &hi);
    int n = hi - lo + 1;
    int *seen = calloc((size_t)n * n, sizeof *seen);
    int good = 1, sorted = 1, answers = 1;
    for (int k = 0; k < ds->n_train; k++) {
        int a = ds->train_ab[2 * k], b = ds->train_ab[2 * k + 1];
        if (a < lo || a > hi || b < lo || b > hi) { good = 0; continue; }
        seen[(a - lo) * n + (b - lo)]++;
        answers &= ds->train_y[k] == grok_task_answer(ds->op, ds->p, a, b);
    }
    for (int k = 0; k < ds->n_test; k++) {
        int a = ds->test_ab[2 * k], b = ds->test_ab[2 * k + 1];
        if (a < lo || a > hi || b < lo || b > hi) { good = 0; continue; }
        seen[(a - lo) * n + (b - lo)]++;
        answers &= ds->test_y[k] == grok_task_answer(ds->op, ds->p, a, b);
        if (k > 0) {
            int pa = ds->test_ab[2 * k - 2], pb = ds->test_ab[2 * k - 1];
            sorted &= pa < a || (pa == a && pb < b);
        }
    }
    for (int i = 0; i < n * n; i++)
        good &= seen[i] == 1;
    free(seen);
    is_int(ds->n_train + ds->n_test, n * n, "%s: n_train + n_test = all pairs", what);
    ok(good, "%s: train and test hold every pair exactly once", what);
    ok(sorted, "%s: test pairs in increasing (a, b)", what);
    ok(answers, "%s: y is the answer of every pair", what);
}

static int same_train(const struct grok_dataset *x, const struct grok_dataset *y)
{
    return x->n_train == y->n_train &&
           memcmp(x->train_ab, y->train_ab, (size_t)x->n_train * 2 * sizeof *x->train_ab) == 0;
}

static void make_bad(enum grok_op op, int p, double frac, enum grok_split split, int code,
                     const char *msg)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    struct grok_dataset ds;
    struct grok_err err = {0};
    is_int(grok_dataset_make(&ds, op, p, &(struct grok_split_spec){.frac = frac, .split = split}, rng, &err), code, "refused: %s", msg);
    is_str(err.msg, msg, "  its message");
    ok(ds.train_ab == NULL && ds.test_ab == NULL && ds.n_train == 0, "  ds left empty");
    grok_dataset_free(&ds);
    gsl_rng_free(rng);
}

/* The Gini coefficient of n counts: 0 when all equal, towards 1 when one value holds them all. */
static double gini(const long long *c, int n)
{
    double num = 0, sum = 0;
    for (int i = 0; i < n; i++) {
        sum += c[i];
        for (int j = 0; j < n; j++)
            num += llabs(c[i] - c[j]);
    }
    return num / (2.0 * n * sum);
}

/* P3's data: a fixed test set held out first, whatever the training fraction; the skewed split
 * and its counts. */
static void test_p3_splits(gsl_rng *rng)
{
    struct grok_err err;
    struct grok_dataset a, b;
    gsl_rng_set(rng, 5);
    int rc = grok_dataset_make(&a, GROK_OP_ADD, 97, &(struct grok_split_spec){.frac = 0.3, .test_frac = 0.2},
                               rng, &err);
    gsl_rng_set(rng, 5);
    rc |= grok_dataset_make(&b, GROK_OP_ADD, 97, &(struct grok_split_spec){.frac = 0.5, .test_frac = 0.2},
                            rng, &err);
    ok(rc == GROK_OK && a.n_test == 1882 && b.n_test == 1882 && a.n_train == 2823 && b.n_train == 4705 &&
       memcmp(a.test_ab, b.test_ab, (size_t)a.n_test * 2 * sizeof *a.test_ab) == 0,
       "--test-frac 0.2: the same 1882 test pairs with 30%% or 50%% of all pairs in training (%d, %d)",
       a.n_test, b.n_test);
    unsigned char *seen = calloc(97 * 97, 1);
    int overlap = 0;
    for (int k = 0; k < a.n_test; k++)
        seen[a.test_ab[2 * k] * 97 + a.test_ab[2 * k + 1]] = 1;
    for (int k = 0; k < b.n_train; k++)
        overlap += seen[b.train_ab[2 * k] * 97 + b.train_ab[2 * k + 1]];
    ok(overlap == 0, "... and no training pair among them");
    free(seen);
    grok_dataset_free(&a);
    grok_dataset_free(&b);

    long long c0[2 * 97], c2[2 * 97];
    gsl_rng_set(rng, 6);
    rc = grok_dataset_make(&a, GROK_OP_ADD, 97, &(struct grok_split_spec){.frac = 0.3, .split = GROK_SPLIT_SKEWED,
                                                                           .skew = 0}, rng, &err);
    gsl_rng_set(rng, 6);
    rc |= grok_dataset_make(&b, GROK_OP_ADD, 97, &(struct grok_split_spec){.frac = 0.3, .split = GROK_SPLIT_SKEWED,
                                                                            .skew = 2}, rng, &err);
    grok_dataset_counts(&a, c0);
    grok_dataset_counts(&b, c2);
    long long s0 = 0, s1 = 0, mx = 0;
    for (int v = 0; v < 97; v++) {
        s0 += c2[v];
        s1 += c2[97 + v];
        mx = c2[v] > mx ? c2[v] : mx;
    }
    ok(rc == GROK_OK && s0 == b.n_train && s1 == b.n_train, "the counts add up to the %d training pairs",
       b.n_train);
    double g0 = gini(c0, 97), g2 = gini(c2, 97);
    ok(g0 < 0.15 && g2 > 0.3 && mx == 97, "skewed:0 is even (Gini %.3f), skewed:2 is not (Gini %.3f, the "
       "commonest value in all %lld of its pairs)", g0, g2, mx);
    grok_dataset_free(&a);
    grok_dataset_free(&b);
    struct grok_dataset u;
    is_int(grok_dataset_make(&u, GROK_OP_ADD, 7, &(struct grok_split_spec){.frac = 0.5, .test_frac = 0.2,
                                                                          .split = GROK_SPLIT_UNIFORM}, rng, &err),
           GROK_EINVAL, "uniform with a held-out test set is refused: %s", err.msg);
    is_int(grok_dataset_make(&u, GROK_OP_ADD, 7, &(struct grok_split_spec){.frac = 0.7, .test_frac = 0.4}, rng, &err),
           GROK_EINVAL, "more than all pairs is refused: %s", err.msg);
}

/* Musat's data: the unordered pairs a ≤ b, split at random or skewed, and the regression toy. */
static void test_p2_data(gsl_rng *rng)
{
    struct grok_err err;
    struct grok_dataset d;
    int rc = grok_dataset_make(&d, GROK_OP_ADD, 37, &(struct grok_split_spec){.frac = 0.7, .unordered = 1},
                               rng, &err);
    int ordered = 1, answers = 1;
    unsigned char seen[37 * 37] = {0};
    int dup = 0;
    for (int i = 0; rc == GROK_OK && i < d.n_train + d.n_test; i++) {
        const int32_t *ab = i < d.n_train ? d.train_ab + 2 * i : d.test_ab + 2 * (i - d.n_train);
        int y = i < d.n_train ? d.train_y[i] : d.test_y[i - d.n_train];
        ordered &= ab[0] <= ab[1];
        answers &= y == (ab[0] + ab[1]) % 37;
        dup += seen[ab[0] * 37 + ab[1]]++;
    }
    ok(rc == GROK_OK && d.n_train == 492 && d.n_test == 211, "p 37 unordered, frac 0.7: 492 of the 703 "
       "pairs a <= b to train on, 211 to test (Musat's numbers)");
    ok(ordered && answers && !dup, "every pair has a <= b, its answer, and occurs once in train and test");
    grok_dataset_free(&d);
    rc = grok_dataset_make(&d, GROK_OP_MUL, 11, &(struct grok_split_spec){.frac = 0.5, .test_frac = 0.2,
                                                                          .split = GROK_SPLIT_SKEWED, .skew = 1,
                                                                          .unordered = 1}, rng, &err);
    ordered = 1;
    for (int i = 0; rc == GROK_OK && i < d.n_train; i++)
        ordered &= d.train_ab[2 * i] <= d.train_ab[2 * i + 1];
    ok(rc == GROK_OK && d.n_train == 28 && d.n_test == 11 && ordered,
       "skewed with a held-out test set over the 55 unordered pairs of mul mod 11: 28 and 11, a <= b");
    grok_dataset_free(&d);
    is_int(grok_dataset_make(&d, GROK_OP_SUB, 11, &(struct grok_split_spec){.frac = 0.5, .unordered = 1}, rng,
                             &err), GROK_EINVAL, "unordered pairs of sub are refused: %s", err.msg);
    ok(grok_task_symmetric(GROK_OP_ADD) && grok_task_symmetric(GROK_OP_X2XYY2) &&
       !grok_task_symmetric(GROK_OP_DIV) && !grok_task_symmetric(GROK_OP_RAND), "the symmetric ops");

    struct grok_regress_set r;
    int n_inputs = 0;
    rc = grok_regress_parse("--task", "regress-sum:3", &n_inputs, &err);
    ok(rc == GROK_OK && n_inputs == 3, "regress-sum:3 has 3 inputs");
    ok(grok_regress_parse("--task", "regress-sum:65", &n_inputs, &err) == GROK_EINVAL &&
       grok_regress_parse("--task", "regress-sum:", &n_inputs, &err) == GROK_EINVAL &&
       grok_regress_parse("--task", "regress-mean:2", &n_inputs, &err) == GROK_EINVAL, "bad --task texts are refused");
    rc = grok_regress_make(&r, 3, rng, &err);
    int sums = 1;
    double mean = 0, var = 0;
    for (int i = 0; rc == GROK_OK && i < r.n_test; i++) {
        float s = 0;
        for (int j = 0; j < 3; j++) {
            double x = r.test_x[i * 3 + j];
            s += r.test_x[i * 3 + j];
            mean += x;
            var += x * x;
        }
        sums &= fabsf(s - r.test_y[i]) < 1e-5f;
    }
    mean /= 300;
    var = var / 300 - mean * mean;
    ok(rc == GROK_OK && r.n_train == 1 && r.train_x[0] == 1 && r.train_x[2] == 1 && r.train_y[0] == 3 &&
       r.n_test == 100 && sums, "the toy: one sample (1, 1, 1) -> 3, 100 test points whose targets are their sums");
    ok(fabs(mean) < 0.2 && var > 0.75 && var < 1.25, "the test inputs look standard normal (mean %.3f, "
       "variance %.3f over 300)", mean, var);
    grok_regress_free(&r);
    grok_regress_free(&r);
}

int main(void)
{
    /* Names. */
    const char *ops[] = {"add", "sub", "mul", "div", "x2y2", "x2xyy2", "x3xy", "rand"};
    int names_ok = 1;
    for (int i = 0; i < 8; i++)
        names_ok &= grok_op_parse(ops[i]) == i && strcmp(grok_op_name(i), ops[i]) == 0;
    ok(names_ok, "op names round-trip");
    ok(grok_ctx_parse("ab=") == GROK_CTX_AB_EQ && grok_ctx_parse("ab") == GROK_CTX_AB &&
       grok_ctx_parse("aob=") == GROK_CTX_AOB_EQ && strcmp(grok_ctx_name(GROK_CTX_AOB_EQ), "aob=") == 0,
       "ctx names");
    ok(grok_split_parse("random") == GROK_SPLIT_RANDOM &&
       grok_split_parse("uniform") == GROK_SPLIT_UNIFORM &&
       grok_split_parse("skewed") == GROK_SPLIT_SKEWED &&
       strcmp(grok_split_name(GROK_SPLIT_UNIFORM), "uniform") == 0, "split names");
    ok(grok_op_parse("pow") == -1 && grok_ctx_parse("a=b") == -1 && grok_split_parse("") == -1,
       "unknown names give -1");

    /* Answers by hand for p = 7, a = 3, b = 5. */
    is_int(grok_task_answer(GROK_OP_ADD, 7, 3, 5), 1, "3 + 5 = 8 = 1 (mod 7)");
    is_int(grok_task_answer(GROK_OP_SUB, 7, 3, 5), 5, "3 - 5 = -2 = 5 (mod 7)");
    is_int(grok_task_answer(GROK_OP_MUL, 7, 3, 5), 1, "3 * 5 = 15 = 1 (mod 7)");
    is_int(grok_task_answer(GROK_OP_DIV, 7, 3, 5), 2, "3 / 5 = 3 * 3 = 9 = 2 (mod 7), 5^-1 = 3");
    is_int(grok_task_answer(GROK_OP_X2Y2, 7, 3, 5), 6, "9 + 25 = 34 = 6 (mod 7)");
    is_int(grok_task_answer(GROK_OP_X2XYY2, 7, 3, 5), 0, "9 + 15 + 25 = 49 = 0 (mod 7)");
    is_int(grok_task_answer(GROK_OP_X3XY, 7, 3, 5), 0, "27 + 15 = 42 = 0 (mod 7)");
    is_int(grok_task_answer(GROK_OP_SUB, 7, 0, 6), 1, "0 - 6 = 1 (mod 7)");
    /* Near the top of the range a³ overflows 32 bits: 2038 = −1 (mod 2039) gives −1 + 1 = 0;
     * 2000 = −39 gives (−39)³ + (−39)(1999) = −59319 − 77961 = −137280 = 1372 (mod 2039). */
    is_int(grok_task_answer(GROK_OP_X3XY, 2039, 2038, 2038), 0, "x3xy(-1, -1) = 0 (mod 2039)");
    is_int(grok_task_answer(GROK_OP_X3XY, 2039, 2000, 1999), 1372,
           "x3xy(2000, 1999) = 1372 (mod 2039), no overflow");
    is_int(grok_task_answer(GROK_OP_X2XYY2, 2048, 2047, 2047), 3, "x2xyy2(-1, -1) = 3 (mod 2048)");

    /* Division inverts multiplication for every pair of p = 13. */
    int div_ok = 1;
    for (int a = 1; a < 13; a++)
        for (int b = 1; b < 13; b++) {
            int q = grok_task_answer(GROK_OP_DIV, 13, a, b);
            div_ok &= q >= 1 && q < 13 && q * b % 13 == a;
        }
    ok(div_ok, "div(a, b) * b = a (mod 13) for all 144 pairs");

    /* Operand ranges. */
    int lo, hi;
    grok_task_range(GROK_OP_MUL, 97, &lo, &hi);
    ok(lo == 1 && hi == 96, "mul range 1..96");
    grok_task_range(GROK_OP_DIV, 97, &lo, &hi);
    ok(lo == 1 && hi == 96, "div range 1..96");
    grok_task_range(GROK_OP_ADD, 97, &lo, &hi);
    ok(lo == 0 && hi == 96, "add range 0..96");
    is_int(grok_task_answer(GROK_OP_MUL, 7, 0, 3), -1, "mul: a = 0 is outside");
    is_int(grok_task_answer(GROK_OP_DIV, 7, 3, 0), -1, "div: b = 0 is outside");
    is_int(grok_task_answer(GROK_OP_ADD, 7, 7, 1), -1, "add: a = p is outside");
    is_int(grok_task_answer(GROK_OP_ADD, 7, 1, -1), -1, "add: b = -1 is outside");
    is_int(grok_task_answer(GROK_OP_ADD, 7, 0, 0), 0, "add: 0 is inside");

    /* rand: in range, repeatable, not constant. */
    int in_range = 1, repeat = 1, differs = 0, first = grok_task_answer(GROK_OP_RAND, 97, 0, 0);
    int count[97] = {0};
    for (int a = 0; a < 97; a++)
        for (int b = 0; b < 97; b++) {
            int y = grok_task_answer(GROK_OP_RAND, 97, a, b);
            in_range &= y >= 0 && y < 97;
            repeat &= y == grok_task_answer(GROK_OP_RAND, 97, a, b);
            differs |= y != first;
            if (y >= 0 && y < 97)
                count[y]++;
        }
    ok(in_range, "rand answers lie in 0..96");
    ok(repeat, "rand gives the same answer twice");
    ok(differs, "rand is not constant");
    int max_count = 0;
    for (int i = 0; i < 97; i++)
        max_count = count[i] > max_count ? count[i] : max_count;
    ok(max_count < 2 * 97, "rand spreads its answers (largest class %d of mean 97)", max_count);
    int p_matters = 0;
    for (int b = 0; b < 20; b++)
        p_matters |= grok_task_answer(GROK_OP_RAND, 97, 1, b) != grok_task_answer(GROK_OP_RAND, 101, 1, b);
    ok(p_matters, "rand's table depends on p");

    /* Checks. */
    struct grok_err err = {0};
    is_int(grok_task_check(GROK_OP_ADD, 96, "--p", &err), GROK_OK, "add with p = 96 is a task");
    is_int(grok_task_check(GROK_OP_DIV, 97, "--p", &err), GROK_OK, "div with p = 97 is a task");
    is_int(grok_task_check(GROK_OP_DIV, 96, "--p", &err), GROK_EINVAL, "div with p = 96 is refused");
    is_str(err.msg, "--p 96: div needs a prime modulus (b has no inverse otherwise)", "  its message");
    is_int(grok_task_check(GROK_OP_ADD, 1, "--p", &err), GROK_EINVAL, "p = 1 is refused");
    is_str(err.msg, "--p 1: the modulus must be between 2 and 2048", "  its message");
    is_int(grok_task_check(GROK_OP_ADD, 2049, "--p", &err), GROK_EINVAL, "p = 2049 is refused");
    is_str(err.msg, "--p 2049: the modulus must be between 2 and 2048", "  its message");
    is_int(grok_task_check(GROK_OP_MUL, 2048, "--p", &err), GROK_OK, "p = 2048 is accepted");
    is_int(grok_task_check(GROK_OP_DIV, 2, "--p", NULL), GROK_OK, "div with p = 2 is a task; err may be NULL");

    /* Token layouts. */
    int32_t ab[] = {3, 5, 0, 96};
    int32_t tok[8];
    grok_ctx_tokens(GROK_CTX_AB_EQ, 97, ab, 2, tok);
    ok(tok[0] == 3 && tok[1] == 5 && tok[2] == 97 && tok[3] == 0 && tok[4] == 96 && tok[5] == 97,
       "ab= gives [a, b, p]");
    grok_ctx_tokens(GROK_CTX_AB, 97, ab, 2, tok);
    ok(tok[0] == 3 && tok[1] == 5 && tok[2] == 0 && tok[3] == 96, "ab gives [a, b]");
    grok_ctx_tokens(GROK_CTX_AOB_EQ, 97, ab, 2, tok);
    ok(tok[0] == 3 && tok[1] == 98 && tok[2] == 5 && tok[3] == 97 && tok[4] == 0 && tok[5] == 98 &&
       tok[6] == 96 && tok[7] == 97, "aob= gives [a, p+1, b, p]");
    ok(grok_ctx_len(GROK_CTX_AB_EQ) == 3 && grok_ctx_len(GROK_CTX_AB) == 2 &&
       grok_ctx_len(GROK_CTX_AOB_EQ) == 4, "context lengths 3, 2, 4");
    ok(grok_ctx_vocab(GROK_CTX_AB_EQ, 113) == 114 && grok_ctx_vocab(GROK_CTX_AB, 113) == 113 &&
       grok_ctx_vocab(GROK_CTX_AOB_EQ, 113) == 115, "vocabularies p+1, p, p+2");

    /* Random split. */
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    struct grok_dataset d1, d2, d3;
    gsl_rng_set(rng, 42);
    is_int(grok_dataset_make(&d1, GROK_OP_ADD, 97, &(struct grok_split_spec){.frac = 0.3, .split = GROK_SPLIT_RANDOM}, rng, &err), GROK_OK,
           "random split of add, p = 97, frac 0.3");
    is_int(d1.n_train, 2823, "n_train = round(0.3 * 9409) = round(2822.7)");
    is_int(d1.n_test, 9409 - 2823, "n_test = the rest");
    ok(d1.p == 97 && d1.op == GROK_OP_ADD, "p and op recorded");
    partition_ok(&d1, "random add");
    gsl_rng_set(rng, 42);
    grok_dataset_make(&d2, GROK_OP_ADD, 97, &(struct grok_split_spec){.frac = 0.3, .split = GROK_SPLIT_RANDOM}, rng, &err);
    ok(same_train(&d1, &d2), "the same seed gives the same split (and order)");
    gsl_rng_set(rng, 43);
    grok_dataset_make(&d3, GROK_OP_ADD, 97, &(struct grok_split_spec){.frac = 0.3, .split = GROK_SPLIT_RANDOM}, rng, &err);
    ok(!same_train(&d1, &d3), "another seed gives another split");
    int train_sorted = 1;
    for (int k = 1; k < d1.n_train; k++)
        train_sorted &= d1.train_ab[2 * k - 2] * 97 + d1.train_ab[2 * k - 1] <
                        d1.train_ab[2 * k] * 97 + d1.train_ab[2 * k + 1];
    ok(!train_sorted, "training pairs are in drawn order, not sorted");
    grok_dataset_free(&d1);
    grok_dataset_free(&d2);
    grok_dataset_free(&d3);
    ok(d1.train_ab == NULL && d1.n_train == 0, "free zeroes the dataset");
    grok_dataset_free(&d1);
    grok_dataset_free(NULL);
    ok(1, "free of a zeroed dataset and of NULL");

    gsl_rng_set(rng, 1);
    is_int(grok_dataset_make(&d1, GROK_OP_DIV, 13, &(struct grok_split_spec){.frac = 0.5, .split = GROK_SPLIT_RANDOM}, rng, &err), GROK_OK,
           "random split of div, p = 13");
    is_int(d1.n_train, 72, "n_train = round(0.5 * 144)");
    partition_ok(&d1, "random div");
    grok_dataset_free(&d1);

    /* Uniform split: p = 97 add, m = round(0.3 * 97) = 29. */
    gsl_rng_set(rng, 7);
    is_int(grok_dataset_make(&d1, GROK_OP_ADD, 97, &(struct grok_split_spec){.frac = 0.3, .split = GROK_SPLIT_UNIFORM}, rng, &err), GROK_OK,
           "uniform split of add, p = 97, frac 0.3");
    is_int(d1.n_train, 29 * 97, "n_train = m * n = 29 * 97");
    partition_ok(&d1, "uniform add");
    int as_a[97] = {0}, as_b[97] = {0}, each = 1;
    for (int k = 0; k < d1.n_train; k++) {
        as_a[d1.train_ab[2 * k]]++;
        as_b[d1.train_ab[2 * k + 1]]++;
    }
    for (int i = 0; i < 97; i++)
        each &= as_a[i] == 29 && as_b[i] == 29;
    ok(each, "each value occurs 29 times as a and 29 times as b");
    /* The permutations must break the b − a = const diagonals. */
    int diff[97] = {0}, n_diff = 0;
    for (int k = 0; k < d1.n_train; k++)
        diff[((d1.train_ab[2 * k + 1] - d1.train_ab[2 * k]) % 97 + 97) % 97] = 1;
    for (int i = 0; i < 97; i++)
        n_diff += diff[i];
    ok(n_diff > 29, "training pairs are not just 29 diagonals b - a = c (%d differences)", n_diff);
    gsl_rng_set(rng, 7);
    grok_dataset_make(&d2, GROK_OP_ADD, 97, &(struct grok_split_spec){.frac = 0.3, .split = GROK_SPLIT_UNIFORM}, rng, &err);
    ok(same_train(&d1, &d2), "uniform: the same seed gives the same split");
    grok_dataset_free(&d1);
    grok_dataset_free(&d2);

    gsl_rng_set(rng, 3);
    is_int(grok_dataset_make(&d1, GROK_OP_MUL, 11, &(struct grok_split_spec){.frac = 0.4, .split = GROK_SPLIT_UNIFORM}, rng, &err), GROK_OK,
           "uniform split of mul, p = 11 (values 1..10), frac 0.4");
    is_int(d1.n_train, 40, "n_train = 4 * 10");
    partition_ok(&d1, "uniform mul");
    int a_cnt[11] = {0}, b_cnt[11] = {0};
    each = 1;
    for (int k = 0; k < d1.n_train; k++) {
        a_cnt[d1.train_ab[2 * k]]++;
        b_cnt[d1.train_ab[2 * k + 1]]++;
    }
    for (int i = 1; i < 11; i++)
        each &= a_cnt[i] == 4 && b_cnt[i] == 4;
    ok(each && a_cnt[0] == 0 && b_cnt[0] == 0, "each of 1..10 occurs 4 times as a and as b");
    grok_dataset_free(&d1);
    test_p3_splits(rng);
    test_p2_data(rng);
    gsl_rng_free(rng);

    /* Refusals. */
    make_bad(GROK_OP_ADD, 97, 1.5, GROK_SPLIT_RANDOM, GROK_EINVAL,
             "--frac 1.5: the training fraction must be between 0 and 1 (exclusive)");
    make_bad(GROK_OP_ADD, 97, 0, GROK_SPLIT_RANDOM, GROK_EINVAL,
             "--frac 0: the training fraction must be between 0 and 1 (exclusive)");
    make_bad(GROK_OP_ADD, 97, 1, GROK_SPLIT_UNIFORM, GROK_EINVAL,
             "--frac 1: the training fraction must be between 0 and 1 (exclusive)");
    make_bad(GROK_OP_ADD, 97, NAN, GROK_SPLIT_RANDOM, GROK_EINVAL,
             "--frac nan: the training fraction must be between 0 and 1 (exclusive)");
    make_bad(GROK_OP_ADD, 7, 0.001, GROK_SPLIT_RANDOM, GROK_EINVAL,
             "--frac 0.001: no training pair for p = 7 (49 pairs)");
    make_bad(GROK_OP_ADD, 7, 0.999, GROK_SPLIT_RANDOM, GROK_EINVAL,
             "--frac 0.999: no test pair for p = 7 (49 pairs)");
    make_bad(GROK_OP_ADD, 7, 0.05, GROK_SPLIT_UNIFORM, GROK_EINVAL,
             "--frac 0.05: no training pair for p = 7 (49 pairs)");
    make_bad(GROK_OP_ADD, 7, 0.95, GROK_SPLIT_UNIFORM, GROK_EINVAL,
             "--frac 0.95: no test pair for p = 7 (49 pairs)");
    make_bad(GROK_OP_DIV, 96, 0.5, GROK_SPLIT_RANDOM, GROK_EINVAL,
             "--p 96: div needs a prime modulus (b has no inverse otherwise)");
    make_bad(GROK_OP_ADD, 4000, 0.5, GROK_SPLIT_RANDOM, GROK_EINVAL,
             "--p 4000: the modulus must be between 2 and 2048");
    return done_testing();
}
