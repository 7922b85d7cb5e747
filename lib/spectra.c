/* Weight-spectrum measures of an attention layer: singular values, their gaps and the matrix
 * commutator of W_Q and W_K, whole and per head's diagonal block (include/grok/spectra.h). */
#include "grok/spectra.h"

#include <gsl/gsl_cblas.h> /* OpenBLAS provides its symbols; <cblas.h> would clash with it here */
#include <lapacke.h>
#include <string.h>

void grok_heads_join(double *out, const double *w, int n_heads, int d_model, int d_head)
{
    size_t D = (size_t)d_model, dh = (size_t)d_head;
    for (size_t h = 0; h < (size_t)n_heads; h++)
        for (size_t i = 0; i < D; i++)
            for (size_t j = 0; j < dh; j++)
                out[(h * dh + j) * D + i] = w[(h * D + i) * dh + j];
}

int grok_singular_values(const double *a, int m, int n, int lda, double *s, double *work,
                         struct grok_err *err)
{
    for (int r = 0; r < m; r++)
        memcpy(work + (size_t)r * (size_t)n, a + (size_t)r * (size_t)lda, (size_t)n * sizeof *work);
    /* The row-major m × n copy read column-major is its transpose, n × m: the same singular
     * values, without LAPACKE's own transposed copy. jobz 'N': the values only. */
    lapack_int info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'N', (lapack_int)n, (lapack_int)m, work,
                                     (lapack_int)n, s, NULL, 1, NULL, 1);
    if (info != 0)
        return grok_err_set(err, GROK_EINVAL, "the SVD did not converge (dgesdd info %d)", (int)info);
    return GROK_OK;
}

double grok_commutator_norm(const double *a, const double *b, int n, int ld, double *work)
{
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a, ld, b, ld, 0.0, work, n);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, -1.0, b, ld, a, ld, 1.0, work, n);
    return cblas_dnrm2(n * n, work, 1);
}

size_t grok_spectra_work(int d)
{
    return (size_t)d * (size_t)d + 2 * (size_t)d;
}

/* One row: the measures of the n × n matrices q and k (leading dimension ld). */
static int spectra_row(const double *q, const double *k, int n, int ld, int nsv, double *row,
                       double *work, struct grok_err *err)
{
    double *sq = work + (size_t)n * (size_t)n, *sk = sq + n;
    int rc;
    if ((rc = grok_singular_values(q, n, n, ld, sq, work, err)) != GROK_OK ||
        (rc = grok_singular_values(k, n, n, ld, sk, work, err)) != GROK_OK)
        return rc;
    for (int c = 0; c < nsv; c++) {
        row[c] = sq[c];
        row[nsv + c] = sk[c];
    }
    double *g = row + 2 * nsv;
    g[0] = sq[0] - sq[1];
    g[1] = sq[1] - sq[2];
    g[2] = sk[0] - sk[1];
    g[3] = sk[1] - sk[2];
    g[4] = grok_commutator_norm(q, k, n, ld, work);
    return GROK_OK;
}

int grok_spectra_layer(const double *q, const double *k, int n_heads, int d_head, int nsv,
                       double *out, double *work, struct grok_err *err)
{
    if (d_head < 3 || nsv < 1 || nsv > d_head)
        return grok_err_set(err, GROK_EINVAL, "%d singular values of blocks of %d x %d: the "
                            "gaps need 3 and a block has %d", nsv, d_head, d_head, d_head);
    int d = n_heads * d_head, rc;
    size_t cols = (size_t)GROK_SPECTRA_COLS(nsv);
    if ((rc = spectra_row(q, k, d, d, nsv, out, work, err)) != GROK_OK)
        return rc;
    for (int h = 0; h < n_heads; h++) {
        size_t at = (size_t)h * (size_t)d_head * ((size_t)d + 1); /* row and column h·d_head */
        if ((rc = spectra_row(q + at, k + at, d_head, d, nsv, out + (size_t)(1 + h) * cols, work,
                              err)) != GROK_OK)
            return rc;
    }
    return GROK_OK;
}
