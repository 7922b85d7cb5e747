/* The projection onto the null space of a Jacobian (include/grok/manifold.h). */
#include "grok/manifold.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>
#undef I   /* lapacke.h includes <complex.h> */

int grok_nullspace_project(double *J, int m, int n, double rel_tol, const double *V, double *PV,
                           int k, int *rank, double *sigma1, struct grok_err *err)
{
    int r = m < n ? m : n;
    double *s = malloc((size_t)(r > 0 ? r : 1) * sizeof *s);
    double *vt = malloc((size_t)(r > 0 ? r : 1) * n * sizeof *vt);
    double *u = malloc((size_t)(m > 0 ? m : 1) * (r > 0 ? r : 1) * sizeof *u);
    double *c = malloc((size_t)(r > 0 ? r : 1) * sizeof *c);
    int rc = GROK_OK;
    if (!s || !vt || !u || !c) {
        rc = grok_err_set(err, GROK_ENOMEM, "out of memory for the SVD of a %d x %d Jacobian", m, n);
        goto out;
    }
    *rank = 0;
    *sigma1 = 0;
    /* divide and conquer (dgesdd) rather than dgesvd: the singular vectors are wanted, and for
     * them it is several times faster; U (m, r) comes with them, unused */
    if (r > 0 && LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'S', m, n, J, n, s, u, r, vt, n) != 0) {
        rc = grok_err_set(err, GROK_EINVAL, "the SVD of a %d x %d Jacobian did not converge", m, n);
        goto out;
    }
    double tol = (rel_tol > 0 ? rel_tol : (m > n ? m : n) * DBL_EPSILON) * (r > 0 ? s[0] : 0);
    int q = 0;
    while (q < r && s[q] > tol)
        q++;
    *rank = q;
    *sigma1 = r > 0 ? s[0] : 0;
    /* PV = V − (V V_qᵀ) V_q, V_q the first q rows of vt */
    memcpy(PV, V, (size_t)k * n * sizeof *PV);
    for (int i = 0; i < k && q > 0; i++) {
        cblas_dgemv(CblasRowMajor, CblasNoTrans, q, n, 1, vt, n, V + (size_t)i * n, 1, 0, c, 1);
        cblas_dgemv(CblasRowMajor, CblasTrans, q, n, -1, vt, n, c, 1, 1, PV + (size_t)i * n, 1);
    }
out:
    free(s);
    free(vt);
    free(u);
    free(c);
    return rc;
}
