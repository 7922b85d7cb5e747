/* Weight-spectrum measures of an attention layer (P1's grok_weight_svd_gaps.py, papers.md): the
 * singular values σ₁ ≥ σ₂ ≥ … of W_Q and W_K with their heads joined into one square matrix, the
 * gaps σ₁ − σ₂ and σ₂ − σ₃, and the matrix commutator ‖[W_Q, W_K]‖_F = ‖W_Q W_K − W_K W_Q‖_F, of
 * the whole matrices and of each head's diagonal block.
 *
 * The joined matrix is P1's: PyTorch's in_proj rows, (n_heads·d_head) × d_model, head h's rows
 * h·d_head … h·d_head + d_head − 1 (grok_heads_join). Head h's diagonal block is the square
 * block of those rows and the columns with the same indices, as P1's code slices it (WQ[s:e,
 * s:e]): head h's outputs against d_head coordinates of the residual stream, not the head's own
 * d_model × d_head matrix, which is not square. Transposing both matrices changes neither the
 * singular values nor ‖[W_Q, W_K]‖_F ([Aᵀ, Bᵀ] = −[A, B]ᵀ), so only the order in which the
 * heads are joined matters.
 *
 * Owns: the joining of heads and the measures, over plain arrays in double. Calls: LAPACKE
 * (dgesdd, the singular values) and CBLAS (dgemm, the products). Called by pca_run (grok-pca -t
 * spectra). */
#ifndef GROK_SPECTRA_H
#define GROK_SPECTRA_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#include "grok/err.h"

/* Joins an attention matrix's heads as P1 reads W_Q and W_K from PyTorch's in_proj_weight: w
 * (n_heads, d_model, d_head), grok's (TransformerLens) layout, row-major, becomes out, the
 * (n_heads·d_head) × d_model row-major matrix with out[h·d_head + j][i] = w[h][i][j]. */
void grok_heads_join(double *out, const double *w, int n_heads, int d_model, int d_head);

/* The singular values of the m × n matrix a (row-major, leading dimension lda ≥ n), largest
 * first, into s (min(m, n) values). a is left as it was; work holds m·n doubles. GROK_EINVAL
 * "the SVD did not converge" when LAPACK's dgesdd fails (a value that is not finite, say: check
 * the values first). */
int grok_singular_values(const double *a, int m, int n, int lda, double *s, double *work,
                         struct grok_err *err);

/* ‖ab − ba‖_F of the n × n matrices a and b (row-major, leading dimension ld ≥ n, so that a
 * block of a larger matrix can be given in place); work holds n·n doubles. */
double grok_commutator_norm(const double *a, const double *b, int n, int ld, double *work);

/* Values per row of grok_spectra_layer's output, for k singular values: q_sigma1 … q_sigmak,
 * k_sigma1 … k_sigmak, q_gap12, q_gap23, k_gap12, k_gap23, comm_F. */
#define GROK_SPECTRA_COLS(k) (2 * (k) + 5)

/* Doubles of work grok_spectra_layer needs for joined matrices of d × d. */
size_t grok_spectra_work(int d);

/* P1's measures of one layer. q and k are its joined W_Q and W_K (grok_heads_join), d × d with
 * d = n_heads·d_head, row-major. Fills out, (1 + n_heads) rows of GROK_SPECTRA_COLS(nsv)
 * values: row 0 the whole matrices, row 1 + h head h's diagonal blocks (rows and columns
 * h·d_head … h·d_head + d_head − 1 of q and of k). Each row: the nsv largest singular values of
 * the row's W_Q, then of its W_K, the gaps σ₁ − σ₂ and σ₂ − σ₃ of W_Q, then of W_K, and the
 * commutator's Frobenius norm. Needs 3 ≤ d_head and 1 ≤ nsv ≤ d_head (GROK_EINVAL otherwise);
 * work holds grok_spectra_work(d) doubles. Fails as grok_singular_values does. */
int grok_spectra_layer(const double *q, const double *k, int n_heads, int d_head, int nsv,
                       double *out, double *work, struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
