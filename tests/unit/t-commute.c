/* Commutator defects: the closed form on a quadratic model, exact symmetries, the explicit
 * definition on a real transformer, and the subspace split. */
#include "grok/commute.h"
#include "grok/pca.h"

#include "tap.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#define N 12

/* L_b(θ) = ½ θᵀ H_b θ − c_bᵀ θ for two batches: g_b = H_b θ − c_b, Hessian H_b. */
struct quadratic {
    double H[2][N * N], c[2][N];
};

static void quad_grad(void *ctx, int worker, int batch, const double *theta, double *g)
{
    (void)worker;
    const struct quadratic *q = ctx;
    for (int i = 0; i < N; i++) {
        g[i] = -q->c[batch][i];
        for (int j = 0; j < N; j++)
            g[i] += q->H[batch][i * N + j] * theta[j];
    }
}

static double norm2(const double *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i] * v[i];
    return sqrt(s);
}

static void test_quadratic(gsl_rng *rng)
{
    struct quadratic q;
    double theta[N], delta[N], scratch[4 * N], ga[N], gb[N], want[N];
    for (int b = 0; b < 2; b++) {
        for (int i = 0; i < N; i++) {
            q.c[b][i] = gsl_ran_gaussian(rng, 1.0);
            for (int j = 0; j <= i; j++)
                q.H[b][i * N + j] = q.H[b][j * N + i] = gsl_ran_gaussian(rng, 1.0);
        }
    }
    for (int i = 0; i < N; i++)
        theta[i] = gsl_ran_gaussian(rng, 1.0);
    struct grok_gradient f = {.n = N, .grad = quad_grad, .ctx = &q};
    quad_grad(&q, 0, 0, theta, ga);
    quad_grad(&q, 0, 1, theta, gb);
    /* δ = η² (H_B g_A − H_A g_B), for any η, because the gradients are linear. */
    double D[3], etas[3] = {1e-4, 1e-3, 1e-1};
    for (int e = 0; e < 3; e++) {
        double eta = etas[e], sa, sb, worst = 0;
        D[e] = grok_commute_defect(&f, 0, theta, eta, 0, 1, scratch, delta, &sa, &sb);
        for (int i = 0; i < N; i++) {
            want[i] = 0;
            for (int j = 0; j < N; j++)
                want[i] += q.H[1][i * N + j] * ga[j] - q.H[0][i * N + j] * gb[j];
            want[i] *= eta * eta;
        }
        for (int i = 0; i < N; i++)
            worst = fmax(worst, fabs(delta[i] - want[i]));
        ok(worst <= 1e-9 * norm2(want, N), "eta %g: delta is eta^2 (H_B g_A - H_A g_B) (%.2g)", eta,
           worst / norm2(want, N));
        is_near(sa, eta * norm2(ga, N), 1e-15 * sa + 1e-300, "eta %g: |eta g_A|", eta);
        is_near(sb, eta * norm2(gb, N), 1e-15 * sb + 1e-300, "eta %g: |eta g_B|", eta);
    }
    ok(fabs(D[0] - D[1]) < 1e-6 * D[1] && fabs(D[2] - D[1]) < 1e-9 * D[1],
       "D does not depend on eta on a quadratic (%.12g %.12g %.12g)", D[0], D[1], D[2]);
    double sa, sb, again[N];
    grok_commute_defect(&f, 0, theta, 1e-3, 0, 0, scratch, delta, &sa, &sb);
    int zero = 1;
    for (int i = 0; i < N; i++)
        zero &= delta[i] == 0;
    ok(zero, "A = B: delta is exactly 0");
    grok_commute_defect(&f, 0, theta, 1e-3, 0, 1, scratch, delta, &sa, &sb);
    grok_commute_defect(&f, 0, theta, 1e-3, 1, 0, scratch, again, &sa, &sb);
    int flipped = 1;
    for (int i = 0; i < N; i++)
        flipped &= again[i] == -delta[i];
    ok(flipped, "swapping A and B flips delta exactly");
}

/* A 2-layer transformer on two real minibatches: the defect against θ_AB − θ_BA written out. */
static void test_model(gsl_rng *rng)
{
    struct grok_model_config c = {.arch = GROK_TRANSFORMER, .n_ctx = 2, .d_vocab = 7,
                                  .d_vocab_out = 7, .act = GROK_ACT_GELU, .loss = GROK_LOSS_CE,
                                  .n_layers = 2, .d_model = 8, .n_heads = 2, .d_head = 4,
                                  .d_mlp = 16, .norm = 1, .causal = 0, .readout = 0};
    struct grok_model m;
    struct grok_err err;
    is_int(grok_model_build(&m, &c, &err), GROK_OK, "a small transformer");
    size_t n = m.n_params;
    float *pf = malloc(n * sizeof *pf);
    grok_model_init(&m, pf, GROK_INIT_TORCH, 1.0, rng);
    int ntrain = 49, batch = 10;
    int32_t tokens[98], y[49];
    for (int i = 0; i < ntrain; i++) {
        tokens[2 * i] = i / 7;
        tokens[2 * i + 1] = i % 7;
        y[i] = (i / 7 + i % 7) % 7;
    }
    int batches[40];
    for (int i = 0; i < 40; i++)
        batches[i] = (int)gsl_rng_uniform_int(rng, (unsigned long)ntrain);
    struct grok_model_gradient mg, mgf;
    is_int(grok_model_gradient_init(&mg, &m, tokens, y, batch, 0, 1, &err), GROK_OK, "double oracle");
    is_int(grok_model_gradient_init(&mgf, &m, tokens, y, batch, 1, 1, &err), GROK_OK, "float oracle");
    mg.batches = mgf.batches = batches;
    struct grok_gradient f = grok_model_gradient_oracle(&mg), ff = grok_model_gradient_oracle(&mgf);
    double *theta = malloc(n * sizeof *theta), *delta = malloc(n * sizeof *delta),
           *scratch = malloc(4 * n * sizeof *scratch), *g = malloc(3 * n * sizeof *g),
           *ab = malloc(n * sizeof *ab), *ba = malloc(n * sizeof *ba), *dfl = malloc(n * sizeof *dfl);
    for (size_t i = 0; i < n; i++)
        theta[i] = pf[i];
    double eta = 1e-2, sa, sb;
    double D = grok_commute_defect(&f, 0, theta, eta, 0, 1, scratch, delta, &sa, &sb);
    /* θ_AB = θ − η g_A(θ) − η g_B(θ − η g_A(θ)), θ_BA likewise, as the definition says. */
    f.grad(f.ctx, 0, 0, theta, g);
    for (size_t i = 0; i < n; i++)
        ab[i] = theta[i] - eta * g[i];
    f.grad(f.ctx, 0, 1, ab, g + n);
    for (size_t i = 0; i < n; i++)
        ab[i] -= eta * g[n + i];
    f.grad(f.ctx, 0, 1, theta, g + n);
    for (size_t i = 0; i < n; i++)
        ba[i] = theta[i] - eta * g[n + i];
    f.grad(f.ctx, 0, 0, ba, g + 2 * n);
    double worst = 0, nd = 0;
    for (size_t i = 0; i < n; i++) {
        ba[i] -= eta * g[2 * n + i];
        worst = fmax(worst, fabs((ab[i] - ba[i]) - delta[i]));
        nd += delta[i] * delta[i];
    }
    ok(worst < 1e-9 * sqrt(nd), "transformer: delta = theta_AB - theta_BA (%.2g of |delta|)",
       worst / sqrt(nd));
    ok(D > 0 && isfinite(D), "D = %.6g", D);
    double Df = grok_commute_defect(&ff, 0, theta, eta, 0, 1, scratch, dfl, &sa, &sb);
    ok(fabs(Df - D) < 1e-3 * D, "float gradients give nearly the same D (%.6g vs %.6g)", Df, D);
    grok_commute_defect(&f, 0, theta, eta, 1, 0, scratch, ab, &sa, &sb);
    int flipped = 1;
    for (size_t i = 0; i < n; i++)
        flipped &= ab[i] == -delta[i];
    ok(flipped, "transformer: swapping A and B flips delta exactly");
    grok_commute_defect(&f, 0, theta, eta, 1, 1, scratch, ab, &sa, &sb);
    int zero = 1;
    for (size_t i = 0; i < n; i++)
        zero &= ab[i] == 0;
    ok(zero, "transformer: A = B gives delta = 0 exactly");

    /* A basis that contains δ: ρ = 0; one orthogonal to it: ρ = 1. */
    size_t C = 3;
    double *B = malloc(n * C * sizeof *B), coef[3], in, out;
    for (size_t i = 0; i < n; i++) {
        B[i * C] = delta[i];
        for (size_t k = 1; k < C; k++)
            B[i * C + k] = gsl_ran_gaussian(rng, 1.0);
    }
    grok_orthonormalise(B, n, C, NULL);
    grok_subspace_split(B, n, C, delta, coef, &in, &out);
    ok(out <= 1e-12 * sqrt(nd) && fabs(in - sqrt(nd)) <= 1e-12 * sqrt(nd),
       "a basis containing delta: rho = %.2g", out / sqrt(nd));
    /* Columns 1, 2 of that basis span a space orthogonal to δ. */
    double *B2 = malloc(n * 2 * sizeof *B2);
    for (size_t i = 0; i < n; i++) {
        B2[i * 2] = B[i * C + 1];
        B2[i * 2 + 1] = B[i * C + 2];
    }
    grok_subspace_split(B2, n, 2, delta, coef, &in, &out);
    ok(in <= 1e-12 * sqrt(nd) && fabs(out - sqrt(nd)) <= 1e-12 * sqrt(nd),
       "a basis orthogonal to delta: rho = 1 (in-share %.2g)", in / sqrt(nd));
    /* The check grok-commute makes of a basis before it trusts ρ. */
    double e = -1;
    is_int(grok_orthonormality_error(B, n, C, &e, NULL), GROK_OK, "orthonormality error computes");
    ok(e >= 0 && e < 1e-12, "a QR basis is orthonormal to rounding (%.2g)", e);
    for (size_t i = 0; i < n; i++)
        B[i * C + 2] += 0.25 * B[i * C];
    grok_orthonormality_error(B, n, C, &e, NULL);
    ok(fabs(e - 0.25) < 1e-12, "a column leaning on another by 0.25: error 0.25 (%.17g)", e);
    free(B);
    free(B2);
    free(pf);
    free(theta);
    free(delta);
    free(scratch);
    free(g);
    free(ab);
    free(ba);
    free(dfl);
    grok_model_gradient_free(&mg);
    grok_model_gradient_free(&mgf);
    grok_model_free(&m);
}

int main(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 3);
    test_quadratic(rng);
    test_model(rng);
    gsl_rng_free(rng);
    return done_testing();
}
