/* Lanczos and Hutchinson (hessian.h) on operators whose spectrum is known: a random symmetric
 * matrix built from a chosen spectrum, a diagonal one (whose Rademacher probes give the trace
 * exactly); then a tiny model's Hessian block, whose eigenvalues LAPACK gives from the whole
 * block built by the model's product, column by column. */
#include "tap.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grok/hessian.h"
#include "grok/model.h"
#include "models.h"

#undef I

struct dense {
    const double *A;
    int n;
};

static void dense_apply(void *ctx, const double *v, double *hv)
{
    const struct dense *d = ctx;
    for (int i = 0; i < d->n; i++) {
        double s = 0;
        for (int j = 0; j < d->n; j++)
            s += d->A[i * d->n + j] * v[j];
        hv[i] = s;
    }
}

/* A = Q diag(lambda) Qᵀ with Q a random orthogonal matrix (QR of a Gaussian one). */
static double *with_spectrum(const double *lambda, int n, gsl_rng *rng)
{
    double *Q = malloc((size_t)n * n * sizeof *Q), *A = calloc((size_t)n * n, sizeof *A), tau[64];
    for (int i = 0; i < n * n; i++)
        Q[i] = gsl_ran_gaussian(rng, 1);
    LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, n, n, Q, n, tau);
    LAPACKE_dorgqr(LAPACK_ROW_MAJOR, n, n, n, Q, n, tau);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            for (int k = 0; k < n; k++)
                A[i * n + j] += Q[i * n + k] * lambda[k] * Q[j * n + k];
    free(Q);
    return A;
}

static void test_known(gsl_rng *rng)
{
    enum { N = 40 };
    double lambda[N];
    for (int i = 0; i < N; i++)
        lambda[i] = i < 3 ? 10.0 - 2 * i : 0.5 * sin(i) - 1;   /* 10, 8, 6, then below 0 */
    double *A = with_spectrum(lambda, N, rng);
    struct dense d = {A, N};
    double eig[3], resid[3];
    struct grok_lanczos info;
    struct grok_err err;
    grok_lanczos_top(dense_apply, &d, N, 3, 40, 1e-10, rng, eig, resid, &info, &err);
    ok(fabs(eig[0] - 10) < 1e-8 && fabs(eig[1] - 8) < 1e-8 && fabs(eig[2] - 6) < 1e-8 && info.converged,
       "Lanczos: the top 3 of a known spectrum (%.12f %.12f %.12f) in %d products", eig[0], eig[1],
       eig[2], info.iters);
    double tr, se, want = 0;
    for (int i = 0; i < N; i++)
        want += lambda[i];
    grok_hutchinson(dense_apply, &d, N, 2000, rng, &tr, &se, &err);
    ok(fabs(tr - want) < 4 * se && se < 0.1 * fabs(want) + 1,
       "Hutchinson: trace %.3f ± %.3f against %.3f", tr, se, want);
    double D[N * N];
    memset(D, 0, sizeof D);
    for (int i = 0; i < N; i++)
        D[i * N + i] = lambda[i];
    struct dense dd = {D, N};
    grok_hutchinson(dense_apply, &dd, N, 3, rng, &tr, &se, &err);
    ok(fabs(tr - want) < 1e-12 && se < 1e-12, "a diagonal operator's trace is exact from any probe (%.12f)", tr);
    free(A);
}

/* The block of embed.W_E in a tiny MLP's Hessian: Lanczos on the model's product against LAPACK
 * on the whole block. */
struct block_op {
    const struct grok_model *m;
    struct grok_work *w, *tw;
    const double *P;
    double *V, *HV;
    const int32_t *tok, *y;
    int n;
    size_t off, size;
};

static void block_apply(void *ctx, const double *v, double *hv)
{
    struct block_op *b = ctx;
    memset(b->V, 0, b->m->n_params * sizeof *b->V);
    memset(b->HV, 0, b->m->n_params * sizeof *b->HV);
    memcpy(b->V + b->off, v, b->size * sizeof *v);
    grok_model_hvp_f64(b->m, b->w, b->tw, b->P, b->V, b->tok, b->y, b->n, 1.0 / b->n, b->HV);
    memcpy(hv, b->HV + b->off, b->size * sizeof *hv);
}

static void test_model_block(gsl_rng *rng, const char *name)
{
    struct grok_model_config cfg = mlp_config(GROK_INPUT_EMBED, 1, GROK_ACT_GELU, GROK_LOSS_CE);
    struct grok_model m;
    build(&m, &cfg);
    int t = grok_model_find(&m, name);
    struct grok_err err;
    enum { B = 6 };
    int32_t tok[B * 2], y[B];
    random_batch(&m, rng, tok, y, B);
    double *P = malloc(m.n_params * sizeof *P);
    random_params(&m, P, rng);
    struct block_op op = {.m = &m, .w = grok_work_new(&m, B, GROK_F64, &err),
                          .tw = grok_work_new(&m, B, GROK_F64, &err), .P = P,
                          .V = malloc(m.n_params * sizeof(double)), .HV = malloc(m.n_params * sizeof(double)),
                          .tok = tok, .y = y, .n = B, .off = m.tensors[t].offset, .size = m.tensors[t].size};
    size_t n = op.size;
    double *H = malloc(n * n * sizeof *H), *e = calloc(n, sizeof *e), *w = malloc(n * sizeof *w);
    for (size_t k = 0; k < n; k++) {
        e[k] = 1;
        block_apply(&op, e, H + k * n);
        e[k] = 0;
    }
    LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'N', 'U', (int)n, H, (int)n, w);   /* ascending */
    double eig[2], resid[2];
    struct grok_lanczos info;
    grok_lanczos_top(block_apply, &op, n, 2, (int)n, 1e-10, rng, eig, resid, &info, &err);
    ok(fabs(eig[0] - w[n - 1]) < 1e-9 * fabs(w[n - 1]) && fabs(eig[1] - w[n - 2]) < 1e-9 * fabs(w[n - 1]),
       "%s's block (%zu parameters): Lanczos %.12g, %.12g; LAPACK on the whole block %.12g, %.12g", name,
       n, eig[0], eig[1], w[n - 1], w[n - 2]);
    grok_work_free(op.w);
    grok_work_free(op.tw);
    free(op.V);
    free(op.HV);
    free(P);
    free(H);
    free(e);
    free(w);
    grok_model_free(&m);
}

int main(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 3);
    test_known(rng);
    test_model_block(rng, "embed.W_E");
    test_model_block(rng, "mlp.0.W");
    gsl_rng_free(rng);
    return done_testing();
}
