/* Principal components of a weight trajectory (P1's first measurement, papers.md).
 *
 * A trajectory is a matrix X with one row per snapshot (T rows) and one column per weight (n
 * columns). Its columns are centred; the components are the right singular vectors of the
 * centred X, and the share of component k is s_k² / Σ s_i². X is never needed whole: it is read
 * through a grok_pca_input, one block of columns at a time, so that memory grows with T² (the
 * Gram matrix X Xᵀ) plus one block, not with T·n. When T ≥ n the Gram matrix is no smaller than X
 * and the direct SVD of X is used instead.
 *
 * Sign convention (so that a result is a function of the data alone): each component's
 * projections (a column of proj) have their entry of largest magnitude positive.
 *
 * Owns: the decomposition (struct grok_pca), expanding windows, the random-walk null and
 * orthonormalisation (lib/pca.c). Calls: LAPACKE, CBLAS (OpenBLAS) and GSL (matrices and the
 * null's draws); no run: traj.h reads a trajectory from one. Called by pca_run and commute_run
 * (grok_orthonormalise). */
#ifndef GROK_PCA_H
#define GROK_PCA_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "grok/err.h"

/* A trajectory matrix (T × n) delivered in blocks of whole columns. read fills out (T × *ncols,
 * row-major; room for T × max_cols values) with the columns [*col0, *col0 + *ncols) of block b
 * (0 ≤ b < nblocks); the blocks cover the n columns once, in order. */
struct grok_pca_input {
    size_t T, n;
    size_t nblocks;
    size_t max_cols;               /* widest block */
    const long long *steps;        /* (T) each row's training step, borrowed, to name a bad
                                    * snapshot; NULL: it is named by its row */
    int (*read)(void *ctx, size_t b, double *out, size_t *col0, size_t *ncols,
                struct grok_err *err);
    void *ctx;
};

enum grok_pca_method { GROK_PCA_AUTO, GROK_PCA_GRAM, GROK_PCA_SVD };

struct grok_pca {
    size_t T, n;
    int k;                         /* components kept: min(asked, T, n) */
    enum grok_pca_method method;   /* the one used (GRAM or SVD) */
    double total;                  /* Σ s_i²: the centred trajectory's total variance (× T) */
    double *share;                 /* (k) s_k² / total (0 when total is 0), within [0, 1] */
    double *proj;                  /* (T, k) centred snapshot t on component k: s_k · u_tk */
    double *components;            /* (k, n) unit right singular vectors (zero where s_k = 0) */
    double *mean;                  /* (n) the mean snapshot */
    double *gram;                  /* (T, T) Gram matrix of the centred snapshots */
};

/* Computes the first k components of the trajectory `in` into pca (the caller's struct; free its
 * arrays with grok_pca_free). method GROK_PCA_AUTO takes the Gram path when T < n, the SVD
 * otherwise. Fails with the reader's error, GROK_ENOMEM, or GROK_EFORMAT when a value is not
 * finite or LAPACK does not converge. */
int grok_pca_compute(struct grok_pca *pca, const struct grok_pca_input *in, int k,
                     enum grok_pca_method method, struct grok_err *err);

/* Frees what grok_pca_compute allocated; pca may be NULL or zeroed. */
void grok_pca_free(struct grok_pca *pca);

/* The variance shares of the first k principal components of the first t snapshots, from the
 * Gram matrix of all T centred snapshots (row-major T × T): the first t rows are centred on
 * their own mean, exactly. share receives k values (zeros past the rank). 2 ≤ t ≤ T. */
int grok_pca_window(const double *gram, size_t T, size_t t, int k, double *share,
                    struct grok_err *err);

/* The steps' norms ‖x_{t+1} − x_t‖ (T − 1 of them) of a trajectory, from its Gram matrix. */
void grok_pca_step_norms(const double *gram, size_t T, double *norms);

/* P1's null model: R random walks in n dimensions, starting at 0, whose T − 1 steps have the
 * given norms and uniformly random directions. For walk r, shares[r·k + c] receives the share of
 * its component c (the same statistic as grok_pca_compute) and, when nwin > 0, win[r·nwin + i]
 * the PC1 share of its first window_t[i] positions. The walks' Gram matrices are drawn exactly in
 * distribution without materialising the walks (the directions' inner products are a Wishart
 * draw, normalised to unit vectors), so the cost is O(R·T³) whatever n is. Randomness from rng
 * only. */
int grok_pca_null_walks(const double *norms, size_t T, size_t n, int R, int k,
                        const size_t *window_t, int nwin, gsl_rng *rng, double *shares,
                        double *win, struct grok_err *err);

/* Orthonormalises the columns of A (rows × cols, row-major, rows ≥ cols) in place by QR, with
 * the signs chosen so that R's diagonal is positive: columns that were already orthonormal come
 * back unchanged. */
int grok_orthonormalise(double *A, size_t rows, size_t cols, struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
