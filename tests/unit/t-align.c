/* Jacobian and centroid alignment: a linear map whose Jacobian is its matrix (the centroid, the
 * Frobenius norm exact and projected, the PC1 share against LAPACK's SVD), the projections'
 * geometry and unbiasedness, an MLP that is linear (affine) in its input and a ReLU MLP that is
 * so piecewise, and the Jacobian of the transformer and the MLP against central finite
 * differences of their logits. */
#include "grok/align.h"

#include "models.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <lapacke.h>

static gsl_rng *rng;

/* ---- helpers ---- */

static void *xmalloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        printf("Bail out! out of memory\n");
        exit(1);
    }
    return p;
}

/* σ₁²/Σσ_i² of A (C × d) by LAPACK's SVD, the direct computation. */
static double svd_share(const double *A, int C, size_t d)
{
    size_t k = (size_t)C < d ? (size_t)C : d;
    double *a = xmalloc((size_t)C * d * sizeof *a), *s = xmalloc(k * sizeof *s);
    memcpy(a, A, (size_t)C * d * sizeof *a);
    /* Row-major C × d is column-major d × C: the same singular values. */
    lapack_int info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'N', (lapack_int)d, C, a, (lapack_int)d, s,
                                     NULL, 1, NULL, 1);
    double sum = 0;
    for (size_t i = 0; i < k; i++)
        sum += s[i] * s[i];
    double share = info == 0 && sum > 0 ? s[0] * s[0] / sum : NAN;
    free(a);
    free(s);
    return share;
}

static double fro_norm(const double *A, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += A[i] * A[i];
    return sqrt(s);
}

/* What one point's numbers must be, from its Jacobian J (C × d) computed some other way. */
static struct grok_align_point direct(const double *J, int C, size_t d, const double *x)
{
    double *mu = xmalloc(d * sizeof *mu);
    for (size_t k = 0; k < d; k++) {
        mu[k] = 0;
        for (int c = 0; c < C; c++)
            mu[k] += J[(size_t)c * d + k];
    }
    double xx = 0, mm = 0, xm = 0;
    for (size_t k = 0; k < d; k++) {
        xx += x[k] * x[k];
        mm += mu[k] * mu[k];
        xm += x[k] * mu[k];
    }
    free(mu);
    return (struct grok_align_point){.cos = xm / sqrt(xx * mm), .dot = xm, .mu_norm = sqrt(mm),
                                     .fro = fro_norm(J, (size_t)C * d),
                                     .pc1 = svd_share(J, C, d)};
}

static double rel(double got, double want)
{
    return fabs(got - want) / fmax(fabs(want), 1e-300);
}

/* The largest relative gap of the five numbers (the absolute one for cos and the share);
 * infinite when a number is nan on one side only, or on both where it must not be. */
static double gap(const struct grok_align_point *a, const struct grok_align_point *b, int with_pc1)
{
    double g[5] = {fabs(a->cos - b->cos), rel(a->dot, b->dot), rel(a->mu_norm, b->mu_norm),
                   rel(a->fro, b->fro), with_pc1 ? fabs(a->pc1 - b->pc1) : 0};
    double worst = 0;
    for (int k = 0; k < 5; k++)
        worst = isnan(g[k]) ? INFINITY : fmax(worst, g[k]);
    return worst;
}

/* ---- 1. a linear map f(x) = W x: J_x = W at every x ---- */

struct linear {
    int C;
    size_t d;
    const double *W;    /* (C, d) */
};

static void linear_vjp(void *ctx, int worker, const double *x, const double *u, int n, double *dx)
{
    (void)worker;
    (void)x;
    const struct linear *L = ctx;
    for (int i = 0; i < n; i++)
        for (size_t k = 0; k < L->d; k++) {
            double s = 0;
            for (int c = 0; c < L->C; c++)
                s += u[(size_t)i * L->C + c] * L->W[(size_t)c * L->d + k];
            dx[(size_t)i * L->d + k] = s;
        }
}

static struct grok_vjp linear_oracle(struct linear *L, int max_batch)
{
    return (struct grok_vjp){.d = L->d, .C = L->C, .max_batch = max_batch, .vjp = linear_vjp,
                             .ctx = L};
}

static void test_linear(int C, size_t d)
{
    enum { NP = 6 };
    double *W = xmalloc((size_t)C * d * sizeof *W), *x = xmalloc(NP * d * sizeof *x);
    for (size_t i = 0; i < (size_t)C * d; i++)
        W[i] = gsl_ran_gaussian(rng, 1.0);
    for (size_t i = 0; i < NP * d; i++)
        x[i] = gsl_ran_gaussian(rng, 1.0);
    for (size_t k = 0; k < d; k++)
        x[(NP - 1) * d + k] = 0;              /* the last point is 0: its cos is nan */
    struct linear L = {C, d, W};
    struct grok_vjp f = linear_oracle(&L, NP);
    double *scratch = xmalloc(grok_align_batch_scratch(&f, NP, GROK_JAC_FULL) * sizeof *scratch);
    struct grok_align_point full[NP], exact[NP], proj[NP];

    grok_align_batch(&f, 0, x, NP, GROK_JAC_FULL, 0, NULL, scratch, full);
    double worst = 0;
    for (int i = 0; i < NP - 1; i++) {
        struct grok_align_point want = direct(W, C, d, x + (size_t)i * d);
        worst = fmax(worst, gap(&full[i], &want, 1));
    }
    ok(worst < 1e-12, "linear %d x %zu: mu = W^T 1, cos, <x, mu>, |mu|, |W|_F and the PC1 share "
       "(against LAPACK's SVD of W) (worst gap %.2g)", C, d, worst);
    struct grok_align_point z = direct(W, C, d, x);
    ok(isnan(full[NP - 1].cos) && rel(full[NP - 1].mu_norm, z.mu_norm) < 1e-13 &&
       full[NP - 1].dot == 0, "linear %d x %zu: at x = 0 cos is nan, mu is still W^T 1", C, d);

    grok_align_batch(&f, 0, x, NP, GROK_JAC_EXACT, 0, NULL, scratch, exact);
    int same = 1;
    for (int i = 0; i < NP; i++)
        same &= exact[i].fro == full[i].fro && isnan(exact[i].pc1) && exact[i].mu_norm == full[i].mu_norm;
    ok(same, "linear %d x %zu: the exact norm without J kept is the same; PC1 is nan", C, d);

    /* R = C and R = 2C (two whole blocks): the projections span R^C, the estimate is exact. */
    for (int mult = 1; mult <= 2; mult++) {
        int R = mult * C;
        double *V = xmalloc((size_t)NP * R * C * sizeof *V);
        grok_align_draw_projections(rng, NP, R, C, V);
        grok_align_batch(&f, 0, x, NP, GROK_JAC_PROJECT, R, V, scratch, proj);
        worst = 0;
        for (int i = 0; i < NP; i++)
            worst = fmax(worst, rel(proj[i].fro, full[i].fro));
        ok(worst < 1e-12 && isnan(proj[0].pc1), "linear %d x %zu: %d projections (whole frames) "
           "give |W|_F exactly (%.2g)", C, d, R, worst);
        free(V);
    }
    free(W);
    free(x);
    free(scratch);
}

/* ---- 2. the PC1 share of matrices whose spectrum is known ---- */

static void test_pc1_cases(void)
{
    enum { C = 5, D = 8 };
    double J[C * D], scratch[C * C + 3 * C + 1];
    double Jt[D * C], scratch_t[C * C + 3 * C + 1];
    double u[C], v[D];
    for (int c = 0; c < C; c++)
        u[c] = gsl_ran_gaussian(rng, 1.0);
    for (int k = 0; k < D; k++)
        v[k] = gsl_ran_gaussian(rng, 1.0);
    for (int c = 0; c < C; c++)
        for (int k = 0; k < D; k++)
            J[c * D + k] = u[c] * v[k];
    is_near(grok_align_pc1_share(J, C, D, scratch), 1.0, 1e-13, "rank one: the PC1 share is 1");
    for (int c = 0; c < C; c++)
        for (int k = 0; k < D; k++)
            Jt[k * C + c] = J[c * D + k];
    is_near(grok_align_pc1_share(Jt, D, C, scratch_t), 1.0, 1e-13,
            "rank one, more outputs than inputs (the other Gram matrix): 1");
    memset(J, 0, sizeof J);
    for (int c = 0; c < C; c++)
        J[c * D + (c * 3) % D] = 2.5;        /* orthogonal rows of equal norm */
    is_near(grok_align_pc1_share(J, C, D, scratch), 1.0 / C, 1e-14,
            "equal singular values: the PC1 share is 1/min(C, d)");
    memset(J, 0, sizeof J);
    ok(isnan(grok_align_pc1_share(J, C, D, scratch)), "J = 0: nan");
    J[7] = -3;
    is_near(grok_align_pc1_share(J, 1, D, scratch), 1.0, 0, "one output: 1");
}

/* ---- 3. the projections ---- */

static void test_projections(void)
{
    enum { C = 4, R = 9, NP = 3 };
    double V[NP * R * C];
    grok_align_draw_projections(rng, NP, R, C, V);
    double worst_norm = 0, worst_dot = 0;
    for (int i = 0; i < NP; i++)
        for (int r = 0; r < R; r++) {
            const double *a = V + (i * R + r) * C;
            worst_norm = fmax(worst_norm, fabs(fro_norm(a, C) - 1));
            for (int q = r / C * C; q < r; q++) {
                const double *b = V + (i * R + q) * C;
                double dot = 0;
                for (int c = 0; c < C; c++)
                    dot += a[c] * b[c];
                worst_dot = fmax(worst_dot, fabs(dot));
            }
        }
    ok(worst_norm < 1e-14 && worst_dot < 1e-14, "projections: unit vectors, orthonormal within "
       "blocks of C (%.2g, %.2g)", worst_norm, worst_dot);

    /* Unbiased for |J|_F²: the mean of the squared estimates over many draws is |W|_F², within
     * five standard errors; with R = 1 a point's estimate is P4's sqrt(C |v^T W|²). */
    enum { Cb = 6, Db = 5, N = 20000 };
    double W[Cb * Db];
    for (int i = 0; i < Cb * Db; i++)
        W[i] = gsl_ran_gaussian(rng, 1.0) * (i % 7 == 0 ? 4 : 1);
    struct linear L = {Cb, Db, W};
    double want = fro_norm(W, Cb * Db);
    want *= want;
    const int Rs[] = {1, 3};
    for (int ri = 0; ri < 2; ri++) {
        int Rb = Rs[ri];
        struct grok_vjp f = linear_oracle(&L, N);
        double *x = xmalloc((size_t)N * Db * sizeof *x), *Vb = xmalloc((size_t)N * Rb * Cb * sizeof *Vb);
        double *scratch = xmalloc(grok_align_batch_scratch(&f, N, GROK_JAC_PROJECT) * sizeof *scratch);
        struct grok_align_point *p = xmalloc((size_t)N * sizeof *p);
        for (size_t k = 0; k < (size_t)N * Db; k++)
            x[k] = 1;
        grok_align_draw_projections(rng, N, Rb, Cb, Vb);
        grok_align_batch(&f, 0, x, N, GROK_JAC_PROJECT, Rb, Vb, scratch, p);
        double m = 0, m2 = 0;
        for (int i = 0; i < N; i++) {
            double e = p[i].fro * p[i].fro;
            m += e;
            m2 += e * e;
        }
        m /= N;
        double se = sqrt((m2 / N - m * m) / N);
        ok(fabs(m - want) < 5 * se, "R = %d: the mean of (C/R) sum |v_r^T J|^2 over %d draws is "
           "|J|_F^2 = %.6g: %.6g (standard error %.3g)", Rb, N, want, m, se);
        if (Rb == 1) {
            double vw = 0;
            for (int k = 0; k < Db; k++) {
                double s = 0;
                for (int c = 0; c < Cb; c++)
                    s += Vb[c] * W[c * Db + k];
                vw += s * s;
            }
            is_near(p[0].fro, sqrt(Cb * vw), 1e-12 * p[0].fro, "R = 1: P4's sqrt(C |v^T J|^2)");
        }
        free(x);
        free(Vb);
        free(scratch);
        free(p);
    }
}

/* ---- 4. models ---- */

static void random_tokens(const struct grok_model *m, int32_t *tok, int n)
{
    for (int i = 0; i < n * m->cfg.n_ctx; i++)
        tok[i] = (int32_t)gsl_rng_uniform_int(rng, m->cfg.d_vocab);
}

static const char *input_name(enum grok_mlp_input in)
{
    return in == GROK_INPUT_EMBED ? "embed" : in == GROK_INPUT_ONEHOT ? "onehot" : "raw";
}

enum { NP = 5 };

/* The model's numbers for NP points (FULL), with its oracle. */
static void model_points(const struct grok_model *m, const double *P, const double *x,
                         struct grok_align_point *out)
{
    struct grok_align_model am;
    struct grok_err err = {0};
    if (grok_align_model_init(&am, m, NP, 1, &err) != GROK_OK) {
        printf("Bail out! grok_align_model_init: %s\n", err.msg);
        exit(1);
    }
    am.params = P;
    struct grok_vjp f = grok_align_model_oracle(&am);
    double *scratch = xmalloc(grok_align_batch_scratch(&f, NP, GROK_JAC_FULL) * sizeof *scratch);
    grok_align_batch(&f, 0, x, NP, GROK_JAC_FULL, 0, NULL, scratch, out);
    free(scratch);
    grok_align_model_free(&am);
}

/* An MLP of one ReLU layer is linear in its input where the same units are active:
 * logits = relu(x W0 + b0) W_U + b_U, so J_x = (W0 D_x W_U)ᵀ with D_x the active units. With
 * b0 large every unit is active at every point, and the MLP is affine: J_x = (W0 W_U)ᵀ, the
 * same matrix everywhere. */
static void test_mlp_linear(enum grok_mlp_input input, int all_active)
{
    struct grok_model_config cfg = mlp_config(input, 1, GROK_ACT_RELU, GROK_LOSS_CE);
    struct grok_model m;
    build(&m, &cfg);
    size_t d = m.d_input, H = (size_t)cfg.hidden[0], C = (size_t)cfg.d_vocab_out;
    double *P = xmalloc(m.n_params * sizeof *P), *x = xmalloc(NP * d * sizeof *x);
    double *J = xmalloc(C * d * sizeof *J);
    int32_t tok[NP * 2];
    random_params(&m, P, rng);
    if (all_active)
        for (size_t h = 0; h < H; h++)
            P[m.mlp_b[0] + h] = 50 + h;
    random_tokens(&m, tok, NP);
    grok_model_input_f64(&m, P, tok, NP, x);
    struct grok_align_point got[NP];
    model_points(&m, P, x, got);
    double worst = 0;
    int active = 0, inactive = 0;
    for (int i = 0; i < NP; i++) {
        const double *xi = x + (size_t)i * d;
        for (size_t c = 0; c < C; c++)
            for (size_t k = 0; k < d; k++)
                J[c * d + k] = 0;
        for (size_t h = 0; h < H; h++) {
            double pre = P[m.mlp_b[0] + h];
            for (size_t k = 0; k < d; k++)
                pre += xi[k] * P[m.mlp_W[0] + k * H + h];
            if (!(pre > 0)) {
                inactive++;
                continue;
            }
            active++;
            for (size_t c = 0; c < C; c++)
                for (size_t k = 0; k < d; k++)
                    J[c * d + k] += P[m.mlp_W[0] + k * H + h] * P[m.W_U + h * C + c];
        }
        struct grok_align_point want = direct(J, (int)C, d, xi);
        worst = fmax(worst, gap(&got[i], &want, 1));
    }
    if (all_active)
        ok(worst < 1e-12 && inactive == 0, "mlp %s, every ReLU unit active (an affine model): "
           "J_x = (W0 W_U)^T, mu, cos, |J|_F and the PC1 share match (worst gap %.2g)",
           input_name(input), worst);
    else
        ok(worst < 1e-12 && active > 0 && inactive > 0, "mlp %s, ReLU: J_x = (W0 D_x W_U)^T point "
           "by point (%d units on, %d off; worst gap %.2g)", input_name(input), active, inactive,
           worst);
    free(P);
    free(x);
    free(J);
    grok_model_free(&m);
}

/* J_x by central differences of the logits, one point at a time, against the model's rows of J_x
 * (one-hot output gradients through the oracle) and the numbers of grok_align_batch. */
static void test_model_fd(const struct grok_model_config *cfg, const char *label)
{
    struct grok_model m;
    build(&m, cfg);
    size_t d = m.d_input, C = (size_t)cfg->d_vocab_out;
    double *P = xmalloc(m.n_params * sizeof *P), *x = xmalloc(NP * d * sizeof *x);
    double *J = xmalloc(C * d * sizeof *J), *rows = xmalloc(C * d * sizeof *rows);
    double lp[16], lm[16], u[16], h = 1e-6;
    int32_t tok[NP * 3];
    struct grok_err err = {0};
    struct grok_work *w = grok_work_new(&m, NP, GROK_F64, &err);
    if (!w) {
        printf("Bail out! grok_work_new: %s\n", err.msg);
        exit(1);
    }
    random_params(&m, P, rng);
    random_tokens(&m, tok, NP);
    grok_model_input_f64(&m, P, tok, NP, x);
    struct grok_align_point got[NP];
    model_points(&m, P, x, got);
    size_t bad = 0;
    double worst = 0, worst_rows = 0;
    for (int i = 0; i < NP; i++) {
        double *xi = x + (size_t)i * d;
        for (size_t k = 0; k < d; k++) {
            double keep = xi[k];
            xi[k] = keep + h;
            grok_model_logits_f64(&m, w, P, xi, 1, lp);
            xi[k] = keep - h;
            grok_model_logits_f64(&m, w, P, xi, 1, lm);
            xi[k] = keep;
            for (size_t c = 0; c < C; c++)
                J[c * d + k] = (lp[c] - lm[c]) / (2 * h);
        }
        for (size_t c = 0; c < C; c++) {
            for (size_t q = 0; q < C; q++)
                u[q] = q == c;
            grok_model_input_grad_f64(&m, w, P, xi, u, 1, rows + c * d);
        }
        for (size_t k = 0; k < C * d; k++) {
            double a = fabs(rows[k] - J[k]);
            if (!(a < 1e-9 || a / (fabs(rows[k]) + fabs(J[k])) < 1e-5))
                bad++;
            worst_rows = fmax(worst_rows, a);
        }
        struct grok_align_point want = direct(J, (int)C, d, xi);
        worst = fmax(worst, gap(&got[i], &want, 1));
    }
    ok(bad == 0, "%s: J_x's rows match central differences of the logits (worst %.2g)", label,
       worst_rows);
    ok(worst < 1e-6, "%s: mu, cos, |J|_F and the PC1 share match those of the finite-difference "
       "J_x (worst gap %.2g)", label, worst);

    /* A point's numbers do not depend on the batch it is computed in (up to rounding). */
    struct grok_align_point alone[NP];
    double gap_alone = 0;
    for (int i = 0; i < NP; i++) {
        struct grok_align_point one[NP];
        double *xs = xmalloc(NP * d * sizeof *xs);
        for (int r = 0; r < NP; r++)
            memcpy(xs + (size_t)r * d, x + (size_t)i * d, d * sizeof *xs);   /* NP copies of it */
        model_points(&m, P, xs, one);
        alone[i] = one[NP - 1];
        gap_alone = fmax(gap_alone, gap(&alone[i], &got[i], 1));
        free(xs);
    }
    ok(gap_alone < 1e-12, "%s: a point's numbers do not depend on the other points of its batch "
       "(%.2g)", label, gap_alone);
    grok_work_free(w);
    free(P);
    free(x);
    free(J);
    free(rows);
    grok_model_free(&m);
}

int main(void)
{
    rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 8);
    test_linear(6, 9);
    test_linear(9, 4);
    test_linear(1, 5);
    test_pc1_cases();
    test_projections();
    const enum grok_mlp_input inputs[] = {GROK_INPUT_ONEHOT, GROK_INPUT_RAW, GROK_INPUT_EMBED};
    for (int i = 0; i < 3; i++)
        test_mlp_linear(inputs[i], 1);
    test_mlp_linear(GROK_INPUT_ONEHOT, 0);
    struct grok_model_config c = tf_config(3, 1, 0, 1, GROK_ACT_RELU, 2, GROK_LOSS_CE);
    test_model_fd(&c, "transformer (Nanda's: 1 layer, ReLU, no LayerNorm, readout last)");
    c = tf_config(3, 2, 1, 1, GROK_ACT_GELU, 1, GROK_LOSS_CE);
    test_model_fd(&c, "transformer (2 layers, GELU, pre-LayerNorm, readout 1)");
    c = mlp_config(GROK_INPUT_EMBED, 2, GROK_ACT_GELU, GROK_LOSS_CE);
    test_model_fd(&c, "mlp embed, 2 hidden layers, GELU");
    c = mlp_config(GROK_INPUT_ONEHOT, 1, GROK_ACT_QUAD, GROK_LOSS_CE);
    test_model_fd(&c, "mlp onehot, quad");
    gsl_rng_free(rng);
    return done_testing();
}
