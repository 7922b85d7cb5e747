/* The execution-subspace basis a run keeps at /pca/basis: written by grok-pca, read by
 * grok-commute (and any analysis that splits a vector inside and outside the subspace).
 *
 * Owns the dataset /pca/basis and its attributes. Calls: run (the generic HDF5 layer), model (the
 * parameter layout a basis records), commute (the orthonormality error). Called by pca_run (writing), commute_run and intervene (reading). */
#ifndef GROK_PCA_BASIS_H
#define GROK_PCA_BASIS_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#include "grok/err.h"
#include "grok/model.h"
#include "grok/run.h"

/* Reads run's /pca/basis as float64 into B (n_params × C, row-major; free with
 * grok_array_free) and checks that it is a basis of a model of n_params parameters: rank 2, at
 * least one column, n_params rows, every value finite. GROK_ENOTFOUND when the run has no
 * /pca/basis ("RUN: no /pca/basis (run grok-pca on it first)"), GROK_EFORMAT naming the run and
 * the fault otherwise; B is empty after any failure. Orthonormality is the reader's to judge
 * (grok_orthonormality_error): how close it must be depends on the use. */
int grok_pca_basis_read(struct grok_run *run, size_t n_params, struct grok_array *B,
                        struct grok_err *err);

/* The largest |BᵀB − I| the readers of a basis accept: grok-pca's QR in double leaves about
 * 1e-15, a basis rounded to float32 on its way through another tool about 1e-9; 1e-6 passes
 * both and moves no share or projection by more than about 1e-6 of itself. */
#define GROK_PCA_BASIS_TOL 1e-6

/* Checks that B (read from run's /pca/basis by grok_pca_basis_read) has orthonormal columns to
 * GROK_PCA_BASIS_TOL: GROK_EFORMAT "RUN: /pca/basis is not orthonormal (|B^T B - I| reaches X,
 * above 1e-06)" followed by `consequence` (e.g. ": rho and the shares would be wrong", or ""),
 * GROK_ENOMEM, or GROK_OK. */
int grok_pca_basis_check_orthonormal(struct grok_run *run, const struct grok_array *B,
                                     const char *consequence, struct grok_err *err);

/* Checks that run's /pca/basis was written for a model of m's layout: its attributes params and
 * offsets (when present: grok-pca writes them) must name m's tensors and their offsets.
 * GROK_EFORMAT "RUN: /pca/basis is over another model's parameters (its params differ from
 * this model's)" otherwise. */
int grok_pca_basis_check_layout(struct grok_run *run, const struct grok_model *m, struct grok_err *err);

/* Writes B (m->n_params × K, row-major, orthonormal columns; the caller's) as run's /pca/basis
 * with the attributes that say what its rows and columns are: params and offsets (m's tensors
 * in flat-vector order and where each starts, comma-separated), columns (what each column came
 * from, comma-separated, the caller's text) and n_params. The /pca group must be writable in
 * run (grok-pca's output run). GROK_ENOMEM or the write's error with err filled. */
int grok_pca_basis_write(struct grok_run *run, const struct grok_model *m, const double *B,
                         size_t K, const char *columns, struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
