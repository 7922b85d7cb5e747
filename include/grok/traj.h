/* A weight trajectory read from a run: selected parameters over selected snapshots, delivered to
 * grok_pca one block of columns at a time (include/grok/pca.h), so that no analysis needs the
 * whole T × n matrix in memory. Column j of the trajectory is element j of the parameters'
 * flattened values laid end to end in the order given.
 *
 * Owns: struct grok_traj and its block buffer. Calls: run (slabs of /snapshots datasets), model
 * (a parameter's place in the flat vector, grok_traj_place) and pca's input type. Called by
 * pca_run. */
#ifndef GROK_TRAJ_H
#define GROK_TRAJ_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#include "grok/err.h"
#include "grok/model.h"
#include "grok/pca.h"
#include "grok/run.h"

struct grok_traj_param {
    char path[GROK_MAX_NAME + 16]; /* "/snapshots/<name>" */
    const char *name;              /* borrowed from the caller */
    int rank;                      /* the parameter's rank (the dataset's minus one), ≥ 1 */
    size_t shape[GROK_MAX_RANK];
    size_t size;                   /* elements of one snapshot */
    size_t row;                    /* elements per index of the parameter's first dimension */
    size_t col0;                   /* where it starts in the trajectory's columns */
};

struct grok_traj_block {
    int param;
    size_t first, count;           /* indices [first, first + count) of the first dimension */
};

struct grok_traj {
    struct grok_run *run;          /* borrowed */
    const size_t *rows;            /* (T) borrowed: the snapshot rows, increasing */
    size_t T, n;
    int nparams;
    struct grok_traj_param *params;    /* (nparams) */
    size_t nblocks, max_cols;
    struct grok_traj_block *blocks;    /* (nblocks) */
};

/* Describes the trajectory of the parameters `names` (nnames of them, each with a dataset in
 * /snapshots of rank ≥ 2) over the snapshot rows `rows` (T increasing indices, borrowed like
 * run and names until grok_traj_free), cut into blocks of at most block_bytes of doubles for the
 * T rows (at least one index of a parameter's first dimension per block). Fails with
 * GROK_ENOTFOUND or GROK_EFORMAT naming the run and parameter. */
int grok_traj_open(struct grok_traj *tr, struct grok_run *run, char *const *names, int nnames,
                   const size_t *rows, size_t T, size_t block_bytes, struct grok_err *err);

/* The reader grok_pca_compute takes, over tr. */
struct grok_pca_input grok_traj_input(struct grok_traj *tr);

/* Places v, a vector over the trajectory's columns (n values), into flat, the model's parameter
 * vector (n_params values, which the caller zeroes), each parameter's part at that parameter's
 * offset: how a principal direction becomes a direction in grok-train's parameter space.
 * GROK_EFORMAT when a parameter is not the model's or has another size. */
int grok_traj_place(const struct grok_traj *tr, const struct grok_model *m, const double *v,
                    double *flat, struct grok_err *err);

/* Frees what grok_traj_open allocated; tr may be NULL or zeroed. */
void grok_traj_free(struct grok_traj *tr);

#ifdef __cplusplus
}
#endif

#endif
