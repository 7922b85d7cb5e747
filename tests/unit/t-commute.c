/* Commutator defects: the closed form on a quadratic model, exact symmetries, the explicit
 * definition on a real transformer, and the subspace split; P1's local SVD basis (its layout,
 * orthonormality and known decompositions) and the phases of training. */
#include "grok/commute.h"
#include "grok/commute_run.h"
#include "grok/pca.h"
#include "grok/svd_basis.h"

#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* The two layers' attention matrices of a small transformer: d_model 8, 2 heads of 4. */
static void svd_model(struct grok_model *m)
{
    struct grok_model_config c = {.arch = GROK_TRANSFORMER, .n_ctx = 2, .d_vocab = 7,
                                  .d_vocab_out = 7, .act = GROK_ACT_RELU, .n_layers = 2,
                                  .d_model = 8, .n_heads = 2, .d_head = 4, .d_mlp = 16, .norm = 1};
    struct grok_err err;
    if (grok_model_build(m, &c, &err) != GROK_OK) {
        printf("Bail out! grok_model_build: %s\n", err.msg);
        exit(1);
    }
}

/* The joined layout, written out by hand: W_Q [h][i][e] is entry (i, 4h + e) of the 8 x 8 matrix,
 * W_O [h][e][j] entry (4h + e, j); every position of the tensor is hit once. */
static void test_joined_layout(void)
{
    struct grok_model m;
    svd_model(&m);
    const struct grok_param *q = &m.tensors[grok_model_find(&m, "blocks.1.attn.W_Q")];
    const struct grok_param *o = &m.tensors[grok_model_find(&m, "blocks.0.attn.W_O")];
    size_t r, c;
    grok_svd_joined_shape(q, &r, &c);
    ok(r == 8 && c == 8, "W_Q [2, 8, 4] joins into 8 x 8 (%zu x %zu)", r, c);
    is_int((int)(grok_svd_joined_index(q, 2, 5) - q->offset), 32 + 2 * 4 + 1, "W_Q (2, 5) is W_Q[1][2][1]");
    is_int((int)(grok_svd_joined_index(q, 7, 0) - q->offset), 7 * 4, "W_Q (7, 0) is W_Q[0][7][0]");
    is_int((int)(grok_svd_joined_index(o, 5, 3) - o->offset), 5 * 8 + 3, "W_O (5, 3) is W_O[1][1][3]");
    int hits[64] = {0}, once = 1;
    for (r = 0; r < 8; r++)
        for (c = 0; c < 8; c++) {
            size_t at = grok_svd_joined_index(q, r, c) - q->offset;
            if (at < 64) hits[at]++;
        }
    for (int i = 0; i < 64; i++)
        once &= hits[i] == 1;
    ok(once, "the joined W_Q covers the tensor's 64 positions once each");
    grok_model_free(&m);
}

/* Zeros but three entries in distinct rows and columns of two matrices: their singular values are
 * the entries' sizes and their directions the single positions; the six zero matrices give no
 * direction (a singular value 0, left out as P1 does). */
static void test_svd_known(void)
{
    struct grok_model m;
    struct grok_svd_basis sb;
    struct grok_err err;
    svd_model(&m);
    size_t n = m.n_params;
    double *theta = calloc(n, sizeof *theta), *B = malloc(n * 24 * sizeof *B), sigma[24];
    const struct grok_param *q = &m.tensors[grok_model_find(&m, "blocks.0.attn.W_Q")];
    const struct grok_param *o = &m.tensors[grok_model_find(&m, "blocks.1.attn.W_O")];
    /* by hand: W_Q (2, 5) = W_Q[1][2][1], (7, 0) = W_Q[0][7][0], (0, 7) = W_Q[1][0][3];
     * W_O (5, 1) = W_O[1][1][1], (3, 3) = W_O[0][3][3], (0, 6) = W_O[0][0][6] */
    size_t at[6] = {q->offset + 32 + 2 * 4 + 1, q->offset + 7 * 4, q->offset + 32 + 3,
                    o->offset + 5 * 8 + 1, o->offset + 3 * 8 + 3, o->offset + 6};
    double v[6] = {3, 2, -1, -4, 1.5, 0.5};
    for (int i = 0; i < 6; i++)
        theta[at[i]] = v[i];
    is_int(grok_svd_basis_init(&sb, &m, NULL, 0, 3, &err), GROK_OK, "svd:3 over the default matrices");
    ok(sb.nmat == 8 && sb.max_cols == 24, "8 attention matrices, up to 24 columns (%d, %zu)", sb.nmat,
       sb.max_cols);
    size_t C = 99;
    is_int(grok_svd_basis_compute(&sb, theta, B, &C, sigma, &err), GROK_OK, "the basis at theta");
    is_int((int)C, 6, "six directions: three of each nonzero matrix, none of a zero one");
    /* blocks.0.attn.W_Q is the first matrix, blocks.1.attn.W_O the last */
    ok(sigma[0] == 3 && sigma[1] == 2 && sigma[2] == 1 && sigma[21] == 4 && sigma[22] == 1.5 &&
       sigma[23] == 0.5 && sigma[3] == 0, "the singular values, largest first (%g %g %g, %g %g %g)",
       sigma[0], sigma[1], sigma[2], sigma[21], sigma[22], sigma[23]);
    double worst = 0;
    for (size_t c = 0; c < 6; c++)
        for (size_t i = 0; i < n; i++)
            worst = fmax(worst, fabs(fabs(B[i * C + c]) - (i == at[c] ? 1.0 : 0.0)));
    ok(worst < 1e-12, "each direction u v^T is the one position of its entry (%.2g)", worst);
    double e;
    grok_orthonormality_error(B, n, C, &e, NULL);
    ok(e < 1e-12, "orthonormal (%.2g)", e);
    grok_svd_basis_free(&sb);
    free(theta);
    free(B);
    grok_model_free(&m);
}

/* A random model: 24 orthonormal columns, three in each matrix's coordinates and nowhere else,
 * each a direction D_i = ±u_i v_i^T: <D_i, M> = ±sigma_i, and the three together take
 * sigma_1² + sigma_2² + sigma_3² of ‖M‖² (Eckart–Young). */
static void test_svd_random(gsl_rng *rng)
{
    struct grok_model m;
    struct grok_svd_basis sb;
    struct grok_err err;
    svd_model(&m);
    size_t n = m.n_params, C;
    double *theta = malloc(n * sizeof *theta), *B = malloc(n * 24 * sizeof *B), sigma[24];
    for (size_t i = 0; i < n; i++)
        theta[i] = gsl_ran_gaussian(rng, 1.0);
    grok_svd_basis_init(&sb, &m, NULL, 0, 3, &err);
    is_int(grok_svd_basis_compute(&sb, theta, B, &C, sigma, &err), GROK_OK, "the basis of a random model");
    is_int((int)C, 24, "2 layers x 4 matrices x 3 = 24 columns");
    double e;
    grok_orthonormality_error(B, n, C, &e, NULL);
    ok(e < 1e-12, "orthonormal (%.2g)", e);
    double outside = 0, dot = 0, capture = 0;
    for (size_t c = 0; c < C; c++) {
        const struct grok_param *p = &m.tensors[sb.mats[c / 3].tensor];
        double mm = 0, ip = 0;
        for (size_t i = 0; i < n; i++) {
            int in = i >= p->offset && i < p->offset + p->size;
            if (!in)
                outside = fmax(outside, fabs(B[i * C + c]));
            ip += B[i * C + c] * theta[i];
        }
        for (size_t i = p->offset; i < p->offset + p->size; i++)
            mm += theta[i] * theta[i];
        dot = fmax(dot, fabs(fabs(ip) - sigma[c]) / sigma[c]);
        if (c % 3 == 2) {
            double s2 = sigma[c - 2] * sigma[c - 2] + sigma[c - 1] * sigma[c - 1] + sigma[c] * sigma[c];
            double res = mm;   /* ‖M − Σ <D_i, M> D_i‖² = ‖M‖² − Σ <D_i, M>² */
            for (size_t k = c - 2; k <= c; k++) {
                double ipk = 0;
                for (size_t i = 0; i < n; i++)
                    ipk += B[i * C + k] * theta[i];
                res -= ipk * ipk;
            }
            capture = fmax(capture, fabs((mm - res) - s2) / s2);
        }
        ok(c % 3 == 0 || sigma[c] <= sigma[c - 1], "matrix %zu: sigma %zu no larger than the one before",
           c / 3, c % 3 + 1);
    }
    ok(outside < 1e-12, "every direction lies in its own matrix's coordinates (outside: %.2g)", outside);
    ok(dot < 1e-12, "<D_i, M> = +-sigma_i (%.2g)", dot);
    ok(capture < 1e-12, "the three directions of a matrix capture sigma_1^2 + sigma_2^2 + sigma_3^2 (%.2g)", capture);
    grok_svd_basis_free(&sb);

    /* -p: one matrix, K up to its size */
    char *glob[1] = {"blocks.1.attn.W_K"};
    is_int(grok_svd_basis_init(&sb, &m, glob, 1, 8, &err), GROK_OK, "-p one matrix, all its 8 directions");
    grok_svd_basis_compute(&sb, theta, B, &C, NULL, &err);
    is_int((int)C, 8, "8 columns");
    grok_svd_basis_free(&sb);
    free(theta);
    free(B);
    grok_model_free(&m);
}

static void test_svd_errors(void)
{
    struct grok_model m;
    struct grok_svd_basis sb;
    struct grok_err err;
    svd_model(&m);
    is_int(grok_svd_basis_init(&sb, &m, NULL, 0, 9, &err), GROK_EINVAL, "K = 9 over 8 x 8 matrices");
    is_str(err.msg, "blocks.0.attn.W_Q (8 x 8 with its heads joined) has 8 singular directions, not 9",
           "the message names the first matrix too small");
    is_int(grok_svd_basis_init(&sb, &m, NULL, 0, 0, &err), GROK_EINVAL, "K = 0");
    char *bias[1] = {"blocks.0.attn.b_O"}, *none[1] = {"nothing.*"};
    is_int(grok_svd_basis_init(&sb, &m, bias, 1, 1, &err), GROK_EINVAL, "a vector");
    is_str(err.msg, "blocks.0.attn.b_O is not a matrix (rank 1)", "named");
    is_int(grok_svd_basis_init(&sb, &m, none, 1, 1, &err), GROK_ENOTFOUND, "a glob matching nothing");
    is_str(err.msg, "no parameter matches nothing.*", "named");
    ok(sb.mats == NULL && sb.a == NULL, "a failed set-up leaves nothing to free");
    grok_model_free(&m);
    struct grok_model_config c = {.arch = GROK_MLP, .n_ctx = 2, .d_vocab = 8, .d_vocab_out = 7,
                                  .act = GROK_ACT_RELU, .d_embed = 5, .n_hidden = 1, .hidden = {6}};
    if (grok_model_build(&m, &c, &err) != GROK_OK) {
        printf("Bail out! grok_model_build: %s\n", err.msg);
        exit(1);
    }
    is_int(grok_svd_basis_init(&sb, &m, NULL, 0, 3, &err), GROK_ENOTFOUND, "an MLP: no attention");
    is_str(err.msg, "the model has no attention matrix (no parameter matches blocks.*.attn.W_[QKVO])", "said so");
    grok_model_free(&m);
}

/* P1's classify_phase, at and around each threshold. */
static void test_phases(void)
{
    struct grok_commute_opts o = {.phase_train = GROK_PHASE_TRAIN, .phase_test_low = GROK_PHASE_TEST_LOW,
                                  .phase_test_high = GROK_PHASE_TEST_HIGH};
    static const struct { double train, test; int want; } cases[] = {
        {0.5, 0.1, GROK_PHASE_EARLY},           {0.94, 0.29, GROK_PHASE_EARLY},
        {0.95, 0.29, GROK_PHASE_MEMORISATION},  {1.0, 0.0, GROK_PHASE_MEMORISATION},
        {0.95, 0.3, GROK_PHASE_TRANSITION},     {1.0, 0.94, GROK_PHASE_TRANSITION},
        {1.0, 0.95, GROK_PHASE_POST_GROK},      {0.5, 0.96, GROK_PHASE_POST_GROK},
        {0.5, 0.5, GROK_PHASE_EARLY},           {NAN, 0.5, GROK_PHASE_NONE},
        {1.0, NAN, GROK_PHASE_NONE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int got = grok_commute_phase(&o, cases[i].train, cases[i].test);
        is_int(got, cases[i].want, "train %g, test %g: %s", cases[i].train, cases[i].test,
               cases[i].want >= 0 ? grok_phase_names[cases[i].want] : "none");
    }
}

int main(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 3);
    test_quadratic(rng);
    test_model(rng);
    test_joined_layout();
    test_svd_known();
    test_svd_random(rng);
    test_svd_errors();
    test_phases();
    gsl_rng_free(rng);
    return done_testing();
}
