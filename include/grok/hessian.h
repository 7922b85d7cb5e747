/* The spectrum of a symmetric operator known only by its products (a Hessian block, from
 * grok_model_hvp): its largest eigenvalues by Lanczos, and its trace by Hutchinson's estimate.
 * GSL has no Lanczos; LAPACK's dstev solves the small tridiagonal problem.
 *
 * Owns: the iterations' arithmetic and their scratch. Calls: CBLAS, LAPACKE, GSL's generators.
 * Called by hessian_run (grok-commute --hessian) and the tests. */
#ifndef GROK_HESSIAN_H
#define GROK_HESSIAN_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "grok/err.h"

/* The operator: hv (n) = A v (n); ctx is the caller's. */
typedef void (*grok_apply_fn)(void *ctx, const double *v, double *hv);

struct grok_lanczos {
    int iters;                 /* products taken */
    int converged;             /* every one of the k values within tol */
};

/* The k algebraically largest eigenvalues of the symmetric n × n operator A, descending, into
 * eig (k), with each Ritz value's residual bound |A y − θ y| = β |s_last| into resid (k):
 * Lanczos from a random unit start (drawn from rng), every new vector reorthogonalised against
 * all the earlier ones (twice), stopped when the k residuals are at most tol · |θ| (or an
 * invariant subspace is found, or after max_iter products, max_iter ≤ n). k ≥ 1. GROK_ENOMEM
 * with err filled. */
int grok_lanczos_top(grok_apply_fn apply, void *ctx, size_t n, int k, int max_iter, double tol,
                     gsl_rng *rng, double *eig, double *resid, struct grok_lanczos *info,
                     struct grok_err *err);

/* Hutchinson's estimate of the trace of A: the mean of zᵀ A z over `samples` Rademacher vectors
 * z drawn from rng, and its standard error in *se (0 for one sample). GROK_ENOMEM with err
 * filled. */
int grok_hutchinson(grok_apply_fn apply, void *ctx, size_t n, int samples, gsl_rng *rng,
                    double *trace, double *se, struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
