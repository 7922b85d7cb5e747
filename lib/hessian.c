/* Lanczos and Hutchinson over an operator's products (include/grok/hessian.h). */
#include "grok/hessian.h"

#include <gsl/gsl_cblas.h> /* OpenBLAS provides its symbols; <cblas.h> would clash with GSL's */
#include <gsl/gsl_randist.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#undef I   /* lapacke.h includes <complex.h> */

/* w −= Q (Qᵀ w) over the j vectors of Q (j, n), twice: one pass leaves round-off of the order of
 * the vectors' loss of orthogonality, a second removes it ("twice is enough"). */
static void reorthogonalise(const double *Q, int j, size_t n, double *w, double *c)
{
    for (int pass = 0; pass < 2 && j > 0; pass++) {
        cblas_dgemv(CblasRowMajor, CblasNoTrans, j, (int)n, 1, Q, (int)n, w, 1, 0, c, 1);
        cblas_dgemv(CblasRowMajor, CblasTrans, j, (int)n, -1, Q, (int)n, c, 1, 1, w, 1);
    }
}

/* The Ritz values of the j × j tridiagonal (alpha, beta), descending in theta, with the last
 * components of their vectors in last. */
static int ritz(const double *alpha, const double *beta, int j, double *theta, double *last,
                double *d, double *e, double *z)
{
    memcpy(d, alpha, (size_t)j * sizeof *d);
    if (j > 1)
        memcpy(e, beta, (size_t)(j - 1) * sizeof *e);
    if (LAPACKE_dstev(LAPACK_ROW_MAJOR, 'V', j, d, e, z, j) != 0)
        return -1;
    for (int i = 0; i < j; i++) {   /* dstev: ascending */
        theta[i] = d[j - 1 - i];
        last[i] = z[(size_t)(j - 1) * j + (j - 1 - i)];
    }
    return 0;
}

int grok_lanczos_top(grok_apply_fn apply, void *ctx, size_t n, int k, int max_iter, double tol,
                     gsl_rng *rng, double *eig, double *resid, struct grok_lanczos *info,
                     struct grok_err *err)
{
    int m = max_iter < (int)n ? max_iter : (int)n;
    m = m < k ? k : m;
    double *Q = malloc((size_t)(m + 1) * n * sizeof *Q), *w = malloc(n * sizeof *w);
    double *alpha = malloc((size_t)m * sizeof *alpha), *beta = malloc((size_t)m * sizeof *beta);
    double *c = malloc((size_t)(m + 1) * sizeof *c), *theta = malloc((size_t)m * sizeof *theta);
    double *last = malloc((size_t)m * sizeof *last), *d = malloc((size_t)m * sizeof *d);
    double *e = malloc((size_t)m * sizeof *e), *z = malloc((size_t)m * m * sizeof *z);
    int rc = GROK_OK;
    if (!Q || !w || !alpha || !beta || !c || !theta || !last || !d || !e || !z) {
        rc = grok_err_set(err, GROK_ENOMEM, "out of memory for %d Lanczos vectors of %zu", m + 1, n);
        goto out;
    }
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        Q[i] = gsl_ran_gaussian(rng, 1);
        s += Q[i] * Q[i];
    }
    for (size_t i = 0; i < n; i++)
        Q[i] /= sqrt(s);
    *info = (struct grok_lanczos){0};
    for (int i = 0; i < k; i++)
        eig[i] = resid[i] = NAN;
    int j = 0;
    for (j = 0; j < m; j++) {
        const double *q = Q + (size_t)j * n;
        apply(ctx, q, w);
        info->iters++;
        alpha[j] = cblas_ddot((int)n, q, 1, w, 1);
        reorthogonalise(Q, j + 1, n, w, c);
        beta[j] = cblas_dnrm2((int)n, w, 1);
        int have = j + 1 < k ? j + 1 : k;
        if (ritz(alpha, beta, j + 1, theta, last, d, e, z) != 0) {
            rc = grok_err_set(err, GROK_EINVAL, "the tridiagonal eigenproblem failed (LAPACK dstev)");
            goto out;
        }
        int done = j + 1 >= k;
        for (int i = 0; i < have; i++) {
            eig[i] = theta[i];
            resid[i] = fabs(beta[j] * last[i]);
            done &= resid[i] <= tol * fmax(fabs(theta[i]), 1e-300);
        }
        /* an invariant subspace: every Ritz value is exact */
        if (beta[j] <= 1e-12 * fmax(fabs(theta[0]), 1e-300)) {
            info->converged = j + 1 >= k;
            break;
        }
        if (done) {
            info->converged = 1;
            break;
        }
        double *next = Q + (size_t)(j + 1) * n;
        for (size_t i = 0; i < n; i++)
            next[i] = w[i] / beta[j];
    }
out:
    free(Q);
    free(w);
    free(alpha);
    free(beta);
    free(c);
    free(theta);
    free(last);
    free(d);
    free(e);
    free(z);
    return rc;
}

int grok_hutchinson(grok_apply_fn apply, void *ctx, size_t n, int samples, gsl_rng *rng,
                    double *trace, double *se, struct grok_err *err)
{
    double *z = malloc(n * sizeof *z), *hz = malloc(n * sizeof *hz);
    if (!z || !hz) {
        free(z);
        free(hz);
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    }
    double sum = 0, sumsq = 0;
    for (int r = 0; r < samples; r++) {
        for (size_t i = 0; i < n; i++)
            z[i] = gsl_rng_uniform_int(rng, 2) ? 1 : -1;
        apply(ctx, z, hz);
        double v = cblas_ddot((int)n, z, 1, hz, 1);
        sum += v;
        sumsq += v * v;
    }
    *trace = sum / samples;
    *se = samples > 1 ? sqrt(fmax(sumsq / samples - *trace * *trace, 0) / (samples - 1)) : 0;
    free(z);
    free(hz);
    return GROK_OK;
}
