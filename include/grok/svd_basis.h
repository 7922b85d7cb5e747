/* A local execution basis read off the weights themselves, as P1's code builds it for its
 * exec/random share figures (papers.md, P1; grok_integrability_controls.py and
 * grok_local_integrability.py of its public code): at one parameter vector θ, the top K singular
 * directions u_i v_iᵀ of each selected weight matrix (attention heads joined into one matrix),
 * each placed at that matrix's positions in the flat parameter vector (zeros elsewhere), all
 * orthonormalised together by QR. Two layers × W_Q, W_K, W_V, W_O × K = 3 give 24 columns.
 *
 * Joining the heads (TransformerLens layout, DESIGN.md): W_Q, W_K, W_V [n_heads, d_model, d_head]
 * become the d_model × (n_heads·d_head) matrix [W⁰ | W¹ | …], head h's columns h·d_head …; W_O
 * [n_heads, d_head, d_model] the (n_heads·d_head) × d_model matrix of its rows in order; a rank-2
 * tensor is itself. (Any rank-3 tensor whose name ends in "W_O" is joined as W_O, any other as
 * W_Q.) These are PyTorch's in-projection blocks and out-projection, which P1
 * decomposes, transposed; a transpose swaps u and v and changes no direction u vᵀ.
 *
 * Owns: choosing the matrices, joining their heads, their SVDs and the basis (lib/svd_basis.c).
 * Calls: model (the parameters' layout), select (globs), pca (grok_orthonormalise), LAPACKE.
 * Called by commute_run. */
#ifndef GROK_SVD_BASIS_H
#define GROK_SVD_BASIS_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#include "grok/err.h"
#include "grok/model.h"

/* The matrices P1 takes: every layer's attention matrices. */
#define GROK_SVD_BASIS_GLOB "blocks.*.attn.W_[QKVO]"

/* One selected matrix, heads joined. */
struct grok_svd_matrix {
    int tensor;                /* its index in model->tensors */
    size_t rows, cols;         /* the joined matrix */
};

/* The matrices of a local basis and the scratch of their SVDs (set up once, used at every θ). */
struct grok_svd_basis {
    const struct grok_model *model;   /* borrowed */
    int k;                            /* directions per matrix */
    struct grok_svd_matrix *mats;     /* (nmat) in flat-vector order */
    int nmat;
    size_t max_cols;                  /* k · nmat: the most columns a basis has */
    double *a, *s, *u, *vt;           /* one joined matrix, its singular values and vectors */
};

/* Sets up sb (the caller's; free with grok_svd_basis_free) for the top k directions of each
 * tensor of m whose name matches one of the nglobs globs (GROK_SVD_BASIS_GLOB when nglobs is 0).
 * Fails, with sb empty, with GROK_ENOTFOUND "no parameter matches GLOBS" (for the default glob:
 * "the model has no attention matrix (no parameter matches blocks.*.attn.W_[QKVO])"), GROK_EINVAL
 * "NAME is not a matrix (rank R)" for a selected tensor of rank other than 2 or 3, GROK_EINVAL
 * "NAME (R x C with its heads joined) has N singular directions, not K" when k exceeds
 * min(rows, cols) of a matrix, GROK_EINVAL for k < 1, or GROK_ENOMEM. */
int grok_svd_basis_init(struct grok_svd_basis *sb, const struct grok_model *m, char *const *globs,
                        int nglobs, int k, struct grok_err *err);

/* Frees what grok_svd_basis_init allocated; sb may be NULL or zeroed. */
void grok_svd_basis_free(struct grok_svd_basis *sb);

/* The position in the flat parameter vector of entry (r, c) of tensor p's joined matrix (the
 * joining of the file comment; p of rank 2 or 3, r and c inside the joined shape). */
size_t grok_svd_joined_index(const struct grok_param *p, size_t r, size_t c);

/* The joined shape of tensor p: *rows × *cols (rank 2 or 3; 0 × 0 for any other rank). */
void grok_svd_joined_shape(const struct grok_param *p, size_t *rows, size_t *cols);

/* The local basis at theta (model->n_params values): B (n_params × *C, row-major, room for
 * n_params × sb->max_cols) receives the orthonormalised directions, matrix by matrix in
 * flat-vector order and within a matrix by decreasing singular value. As in P1's code, a
 * direction whose singular value is 0 is left out (a matrix of zeros gives none), so *C may be
 * below sb->max_cols. sigma, when not NULL, receives every matrix's top k singular values
 * (nmat × k). Fails with GROK_EFORMAT "NAME holds a value that is not finite" or "the SVD of NAME
 * did not converge", GROK_ENOMEM, or grok_orthonormalise's error. */
int grok_svd_basis_compute(struct grok_svd_basis *sb, const double *theta, double *B, size_t *C,
                           double *sigma, struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
