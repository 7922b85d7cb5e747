/* The tangent space of the zero-loss set (Musat's gradient-orthogonality theorem, P2): at
 * parameters θ where the model fits its training outputs, the set of θ that still fit them is,
 * to first order, θ plus the null space of J, the Jacobian of every training output with
 * respect to every parameter. Projecting onto that null space is I − J⁺J = I − V_r V_rᵀ, V_r the
 * right singular vectors of J whose singular values count towards its rank.
 *
 * Owns: the SVD of J (LAPACK's dgesdd, divide and conquer) and the projection.
 * Calls: LAPACKE. Called by manifold_run (grok-align --manifold) and the tests. */
#ifndef GROK_MANIFOLD_H
#define GROK_MANIFOLD_H

#ifdef __cplusplus
extern "C" {
#endif

#include "grok/err.h"

/* Projects the k vectors V (k, n) onto the null space of J (m, n, row-major; DESTROYED) into PV
 * (k, n). The rank of J counts the singular values above rel_tol · σ₁ (rel_tol ≤ 0: LAPACK's
 * usual max(m, n) · ε, numpy's matrix_rank); *rank receives it and *sigma1 σ₁. GROK_ENOMEM, or
 * GROK_EINVAL when the SVD does not converge. */
int grok_nullspace_project(double *J, int m, int n, double rel_tol, const double *V, double *PV,
                           int k, int *rank, double *sigma1, struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
