/* Musat's closed form (lib/closedform.c) on a tiny case: p = 7, the unordered pairs, one-hot
 * sums, 40 hidden units.
 *   - the interpolant and the velocity against a direct evaluation of the formulas, with
 *     (H Hᵀ)⁻¹ by Gauss–Jordan elimination and every product written out;
 *   - the interpolant's training residual at round-off;
 *   - the velocity is minus the gradient of ½(‖W₁‖² + ‖W₂(W₁)‖²), W₂ the interpolant, by central
 *     differences (GELU, smooth);
 *   - a step through params moves the first layer by η times the velocity and leaves the
 *     interpolant of the new layer; repeated steps lower the norm with the residual at
 *     round-off; the result depends on params alone (a fresh object gives the same bytes);
 *   - a hidden layer no wider than the training set is refused. */
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "grok/closedform.h"
#include "grok/model.h"
#include "grok/task.h"

#define P 7
#define HID 40

/* A setup that fails makes the whole test meaningless. */
#define BAIL_OUT(...) (printf("Bail out! "), printf(__VA_ARGS__), printf("\n"), exit(1))

struct tiny {
    struct grok_model m;
    struct grok_dataset ds;
    int32_t *tok;
    int n;
};

static void tiny_make(struct tiny *t, enum grok_act act, gsl_rng *rng)
{
    struct grok_model_config c = {.arch = GROK_MLP, .n_ctx = 2, .d_vocab = P, .d_vocab_out = P,
                                  .act = act, .loss = GROK_LOSS_MSE, .input = GROK_INPUT_ONEHOT_SUM,
                                  .n_hidden = 1, .hidden = {HID}, .no_bias = 1};
    struct grok_err err;
    if (grok_model_build(&t->m, &c, &err))
        BAIL_OUT("model: %s", err.msg);
    struct grok_split_spec s = {.frac = 0.7, .split = GROK_SPLIT_RANDOM, .unordered = 1};
    if (grok_dataset_make(&t->ds, GROK_OP_ADD, P, &s, rng, &err))
        BAIL_OUT("data: %s", err.msg);
    t->n = t->ds.n_train;
    t->tok = malloc((size_t)t->n * 2 * sizeof *t->tok);
    grok_ctx_tokens(GROK_CTX_AB, P, t->ds.train_ab, t->n, t->tok);
}

static void tiny_free(struct tiny *t)
{
    grok_model_free(&t->m);
    grok_dataset_free(&t->ds);
    free(t->tok);
}

/* The inverse of the n×n matrix a (destroyed) into inv, by Gauss–Jordan with partial pivoting. */
static void invert(double *a, double *inv, int n)
{
    for (int i = 0; i < n * n; i++)
        inv[i] = i / n == i % n;
    for (int c = 0; c < n; c++) {
        int piv = c;
        for (int r = c + 1; r < n; r++)
            if (fabs(a[r * n + c]) > fabs(a[piv * n + c]))
                piv = r;
        for (int k = 0; k < n; k++) {
            double t = a[c * n + k]; a[c * n + k] = a[piv * n + k]; a[piv * n + k] = t;
            t = inv[c * n + k]; inv[c * n + k] = inv[piv * n + k]; inv[piv * n + k] = t;
        }
        double d = a[c * n + c];
        for (int k = 0; k < n; k++) {
            a[c * n + k] /= d;
            inv[c * n + k] /= d;
        }
        for (int r = 0; r < n; r++) {
            if (r == c)
                continue;
            double f = a[r * n + c];
            for (int k = 0; k < n; k++) {
                a[r * n + k] -= f * a[c * n + k];
                inv[r * n + k] -= f * inv[c * n + k];
            }
        }
    }
}

static double relu(double z) { return z > 0 ? z : 0; }

/* The formulas written out: W2 = Hᵀ A Y and dW1 = Xᵀ[(A Y Yᵀ A H) ⊙ σ′(X W1)] − W1 (ReLU). */
static void direct(const struct tiny *t, const double *W1, double *W2, double *dW1)
{
    int n = t->n, d = P, h = HID, C = P;
    double *X = calloc((size_t)n * d, sizeof *X), *Y = calloc((size_t)n * C, sizeof *Y);
    double *Z = malloc((size_t)n * h * sizeof *Z), *H = malloc((size_t)n * h * sizeof *H);
    double *K = malloc((size_t)n * n * sizeof *K), *A = malloc((size_t)n * n * sizeof *A);
    double *AY = calloc((size_t)n * C, sizeof *AY), *M = calloc((size_t)n * h, sizeof *M);
    double *AYYA = calloc((size_t)n * n, sizeof *AYYA);
    for (int i = 0; i < n; i++) {
        X[i * d + t->ds.train_ab[2 * i]] += 1;
        X[i * d + t->ds.train_ab[2 * i + 1]] += 1;
        Y[i * C + t->ds.train_y[i]] = 1;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < h; j++) {
            double z = 0;
            for (int k = 0; k < d; k++)
                z += X[i * d + k] * W1[k * h + j];
            Z[i * h + j] = z;
            H[i * h + j] = relu(z);
        }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < h; k++)
                s += H[i * h + k] * H[j * h + k];
            K[i * n + j] = s;
        }
    invert(K, A, n);
    for (int i = 0; i < n; i++)
        for (int c = 0; c < C; c++)
            for (int k = 0; k < n; k++)
                AY[i * C + c] += A[i * n + k] * Y[k * C + c];
    for (int j = 0; j < h; j++)
        for (int c = 0; c < C; c++) {
            double s = 0;
            for (int i = 0; i < n; i++)
                s += H[i * h + j] * AY[i * C + c];
            W2[j * C + c] = s;
        }
    for (int i = 0; i < n; i++)
        for (int k = 0; k < n; k++)
            for (int c = 0; c < C; c++)
                AYYA[i * n + k] += AY[i * C + c] * AY[k * C + c];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < h; j++) {
            double s = 0;
            for (int k = 0; k < n; k++)
                s += AYYA[i * n + k] * H[k * h + j];
            M[i * h + j] = s * (Z[i * h + j] > 0);
        }
    for (int k = 0; k < d; k++)
        for (int j = 0; j < h; j++) {
            double s = 0;
            for (int i = 0; i < n; i++)
                s += X[i * d + k] * M[i * h + j];
            dW1[k * h + j] = s - W1[k * h + j];
        }
    free(X); free(Y); free(Z); free(H); free(K); free(A); free(AY); free(M); free(AYYA);
}

static double max_abs_diff(const double *a, const double *b, size_t n, double *scale)
{
    double worst = 0, big = 0;
    for (size_t i = 0; i < n; i++) {
        worst = fmax(worst, fabs(a[i] - b[i]));
        big = fmax(big, fabs(b[i]));
    }
    *scale = big;
    return worst;
}

static void random_w1(double *W1, gsl_rng *rng)
{
    for (int i = 0; i < P * HID; i++)
        W1[i] = gsl_ran_gaussian(rng, 1.0 / sqrt(P));
}

static void test_against_direct(gsl_rng *rng)
{
    struct tiny t;
    tiny_make(&t, GROK_ACT_RELU, rng);
    struct grok_err err;
    struct grok_closedform *cf = grok_closedform_new(&t.m, t.tok, t.ds.train_y, t.n, &err);
    if (!cf)
        BAIL_OUT("closed form: %s", err.msg);
    double W1[P * HID], W2[HID * P], dW1[P * HID], W2d[HID * P], dW1d[P * HID], scale;
    random_w1(W1, rng);
    double res = grok_closedform_eval(cf, W1, W2, dW1);
    direct(&t, W1, W2d, dW1d);
    double e2 = max_abs_diff(W2, W2d, HID * P, &scale);
    ok(e2 <= 1e-10 * scale, "the interpolant W2 = Hᵀ(HHᵀ)⁻¹Y agrees with Gauss–Jordan (%.2g of %.2g)", e2, scale);
    double e1 = max_abs_diff(dW1, dW1d, P * HID, &scale);
    ok(e1 <= 1e-10 * scale, "the velocity agrees with the formula written out (%.2g of %.2g)", e1, scale);
    ok(res < 1e-24, "the interpolant's training residual is at round-off (%.2g)", res);
    ok(t.n < HID && t.n == 20, "the tiny case: %d training pairs of the 28 unordered ones", t.n);
    grok_closedform_free(cf);
    tiny_free(&t);
}

struct norm_ctx {
    struct grok_closedform *cf;
    double *W1, *W2;
};

/* ½(‖W₁‖² + ‖W₂‖²) with W₂ the interpolant at W₁. */
static double half_norm(void *c)
{
    struct norm_ctx *s = c;
    grok_closedform_eval(s->cf, s->W1, s->W2, NULL);
    double sum = 0;
    for (int i = 0; i < P * HID; i++)
        sum += s->W1[i] * s->W1[i];
    for (int i = 0; i < HID * P; i++)
        sum += s->W2[i] * s->W2[i];
    return sum / 2;
}

static void test_gradient_flow(gsl_rng *rng)
{
    struct tiny t;
    tiny_make(&t, GROK_ACT_GELU, rng);
    struct grok_err err;
    struct grok_closedform *cf = grok_closedform_new(&t.m, t.tok, t.ds.train_y, t.n, &err);
    if (!cf)
        BAIL_OUT("closed form: %s", err.msg);
    double W1[P * HID], W2[HID * P], v[P * HID];
    random_w1(W1, rng);
    grok_closedform_eval(cf, W1, NULL, v);
    struct norm_ctx ctx = {cf, W1, W2};
    int bad = 0;
    double worst = 0;
    for (int k = 0; k < P * HID; k++) {
        double x = W1[k], h = 1e-6;
        W1[k] = x + h;
        double fp = half_norm(&ctx);
        W1[k] = x - h;
        double fm = half_norm(&ctx);
        W1[k] = x;
        double num = -(fp - fm) / (2 * h), e = fabs(num - v[k]);
        worst = fmax(worst, e / fmax(1e-6, fabs(num) + fabs(v[k])));
        bad += !(e <= 1e-6 * fmax(1, fabs(num)));
    }
    ok(bad == 0, "the velocity is −∇ ½(‖W₁‖² + ‖W₂(W₁)‖²) by central differences, every entry (GELU; worst relative %.2g)", worst);
    grok_closedform_free(cf);
    tiny_free(&t);
}

static void test_steps(gsl_rng *rng)
{
    struct tiny t;
    tiny_make(&t, GROK_ACT_RELU, rng);
    struct grok_err err;
    struct grok_closedform *cf = grok_closedform_new(&t.m, t.tok, t.ds.train_y, t.n, &err);
    struct grok_closedform *fresh = grok_closedform_new(&t.m, t.tok, t.ds.train_y, t.n, &err);
    if (!cf || !fresh)
        BAIL_OUT("closed form: %s", err.msg);
    const struct grok_model *m = &t.m;
    float *params = malloc(m->n_params * sizeof *params), *again = malloc(m->n_params * sizeof *again);
    double W1[P * HID], v[P * HID], W2[HID * P];
    for (size_t i = 0; i < m->n_params; i++)
        params[i] = (float)gsl_ran_gaussian(rng, 1.0 / sqrt(P));
    double eta = 0.01;
    double res0 = grok_closedform_project(cf, params);
    for (int i = 0; i < P * HID; i++)
        W1[i] = params[m->mlp_W[0] + i];
    grok_closedform_eval(cf, W1, NULL, v);
    memcpy(again, params, m->n_params * sizeof *params);
    double res = grok_closedform_step(cf, params, eta);
    ok(res == res0, "a step reports the residual at its start");
    int moved = 1;
    for (int i = 0; i < P * HID; i++)
        moved &= params[m->mlp_W[0] + i] == (float)(W1[i] + eta * v[i]);
    ok(moved, "a step moves the first layer by η times the velocity, rounded to float");
    for (int i = 0; i < P * HID; i++)
        W1[i] = params[m->mlp_W[0] + i];
    grok_closedform_eval(cf, W1, W2, NULL);
    int interp = 1;
    for (int i = 0; i < HID * P; i++)
        interp &= params[m->W_U + i] == (float)W2[i];
    ok(interp, "a step leaves the second layer the interpolant at the new first layer");
    grok_closedform_step(fresh, again, eta);
    ok(memcmp(again, params, m->n_params * sizeof *params) == 0,
       "a step depends on params alone: a fresh closed form gives the same bytes");

    double norm0 = 0, norm1 = 0, worst = 0;
    for (size_t i = 0; i < m->n_params; i++)
        norm0 += (double)params[i] * params[i];
    for (int s = 0; s < 200; s++)
        worst = fmax(worst, grok_closedform_step(cf, params, eta));
    for (size_t i = 0; i < m->n_params; i++)
        norm1 += (double)params[i] * params[i];
    ok(norm1 < norm0, "200 steps lower ‖W₁‖² + ‖W₂‖² (%.4g → %.4g)", norm0, norm1);
    ok(worst < 1e-20, "the residual stays at round-off over 200 steps (largest %.2g)", worst);
    free(params);
    free(again);
    grok_closedform_free(cf);
    grok_closedform_free(fresh);
    tiny_free(&t);
}

static void test_refusal(gsl_rng *rng)
{
    struct tiny t;
    tiny_make(&t, GROK_ACT_RELU, rng);
    struct grok_model_config c = t.m.cfg;
    c.hidden[0] = t.n;
    struct grok_model narrow;
    struct grok_err err;
    if (grok_model_build(&narrow, &c, &err))
        BAIL_OUT("model: %s", err.msg);
    struct grok_closedform *cf = grok_closedform_new(&narrow, t.tok, t.ds.train_y, t.n, &err);
    ok(cf == NULL && err.code == GROK_EINVAL, "a hidden layer as wide as the training set is refused");
    is_str(err.msg, "--hidden 20: the closed form needs more hidden units than the 20 training "
                    "examples (H Hᵀ must be invertible)", "the refusal names the width and the examples");
    grok_closedform_free(cf);
    grok_closedform_free(NULL);
    grok_model_free(&narrow);
    tiny_free(&t);
}

int main(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    test_against_direct(rng);
    test_gradient_flow(rng);
    test_steps(rng);
    test_refusal(rng);
    gsl_rng_free(rng);
    return done_testing();
}
