/* snapshots: the run's /snapshots group — one extendible float32 dataset per parameter
 * ([T, shape...], one snapshot per row) beside the int64 column /snapshots/step. Owns that
 * layout: appending a snapshot, indexing the snapshots (steps, parameter names), choosing them
 * by step and parameters by -p, reading one parameter's row as a tensor, and loading one row
 * (or the full /state) into a model's parameter vector. Calls run
 * (the generic HDF5 layer), stepcol (the rule of steps), array, select (step ranges) and model
 * (the parameter layout);
 * called by the analysis driver, the analyses that load a snapshot into a model (align_run,
 * commute_run), cut, runtable, the trainer (train.c, train_run.c) and grok-snap. */
#ifndef GROK_SNAPSHOTS_H
#define GROK_SNAPSHOTS_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#include "grok/array.h"
#include "grok/err.h"
#include "grok/model.h"
#include "grok/run.h"
#include "grok/select.h"

/* Appends one snapshot at `step`: one value to /snapshots/step and one row to each
 * /snapshots/<name> (float32 [T, shape...], one snapshot per chunk), creating them on the first
 * call. Later calls must give the same parameters with the same shapes, in any order
 * (GROK_EINVAL otherwise, and nothing is written). The step goes last, so a call cut short
 * leaves a row that readers ignore. Does not flush (grok_run_flush). */
int grok_run_snapshot_append(struct grok_run *run, long long step, const struct grok_tensor *t,
                             int n, struct grok_err *err);

/* What a run's /snapshots holds. */
struct grok_snapshots {
    long long *steps;      /* (T) training step of each snapshot */
    size_t T;
    char **params;         /* (nparams) parameter names, in the order they were written */
    size_t nparams;
};

/* Reads /snapshots/step and the parameter names. GROK_ENOTFOUND ("no snapshots") when the run
 * has none; grok_stepcol_read's error when the steps break the rule of steps (whole numbers from
 * 0, increasing; a float column of whole numbers is taken); GROK_EFORMAT naming the run and
 * dataset when a parameter's snapshots are not numeric
 * of rank 2 or more ([T, shape...]), or hold other than T rows, T the length of /snapshots/step
 * (T + 1 is accepted: the leftover of an append cut short, ignored). Free with
 * grok_snapshots_free (NULL-safe on a zeroed struct). */
int grok_snapshots_load(struct grok_run *run, struct grok_snapshots *s, struct grok_err *err);
void grok_snapshots_free(struct grok_snapshots *s);

/* The snapshots whose steps r selects: *T of them, their rows in /snapshots (*rows) and their
 * steps (*steps), both malloc'd for the caller (rows may be NULL when not wanted). *T may be 0:
 * the caller says what that means for it. Fails only with GROK_ENOMEM. */
int grok_snapshots_select(const struct grok_snapshots *s, const struct grok_steps *r,
                          size_t **rows, long long **steps, size_t *T, struct grok_err *err);

/* GROK_ENOTFOUND "<run>: /snapshots/step is empty" when s (loaded from run) holds no snapshot,
 * else GROK_OK: a run whose training wrote the snapshot group but no row of it. */
int grok_snapshots_nonempty(struct grok_run *run, const struct grok_snapshots *s,
                            struct grok_err *err);

/* For a program that reads snapshots of the parameters -p selects: loads s (failing as
 * grok_snapshots_load does) and sets *params to the names of s->params that sel's globs match
 * (every one without -p), in s's order, a malloc'd array of nparams names borrowed from s (free
 * the array alone, before grok_snapshots_free). Then, the first that holds wins, GROK_ENOTFOUND
 * with "<run>: /snapshots holds no parameters", "<run>: no parameter matches -p G1 or G2", or
 * "<run>: /snapshots/step is empty"; GROK_ENOMEM. On failure s is freed and *params is NULL. */
int grok_snapshots_load_selected(struct grok_run *run, const struct grok_selection *sel,
                                 struct grok_snapshots *s, char ***params, size_t *nparams,
                                 struct grok_err *err);

/* Index of the snapshot whose step is nearest to `step` (the earlier one on a tie); T must be > 0. */
size_t grok_snapshots_nearest(const struct grok_snapshots *s, long long step);

/* The dataset path of parameter name's snapshots ("/snapshots/embed.W_E") into buf (cap bytes),
 * for a reader that reads them in its own shape (grok_run_info, grok_run_read_rows,
 * grok_run_read_slab). GROK_EINVAL ("name too long") when it does not fit. */
int grok_snapshots_path(char *buf, size_t cap, const char *name, struct grok_err *err);

/* Reads row t of parameter `name`'s snapshots as float32 into *row ([1, shape...]; the caller
 * frees it with grok_array_free, and frees what *row held before) and, when ts is not NULL,
 * points *ts at it: the parameter's name (borrowed), rank and shape, as the trainer snapshots it.
 * GROK_ENOTFOUND "<run>: no snapshots of 'NAME'" when the run holds none; t must be below the
 * number of rows (grok_snapshots_load's T); otherwise fails as grok_run_read_rows does. */
int grok_snapshot_read(struct grok_run *run, size_t t, const char *name, struct grok_array *row,
                       struct grok_tensor *ts, struct grok_err *err);

/* Reads the parameters at `step` from the run's /snapshots (step ≥ 0; the snapshot must hold
 * every parameter) or from /state (step < 0) into params (n_params floats), checking each
 * tensor's shape. Fails with GROK_ENOTFOUND (no such step or parameter), GROK_EFORMAT, or
 * grok_stepcol_read's error for /snapshots/step. */
int grok_model_load(const struct grok_model *m, struct grok_run *run, long long step,
                    float *params, struct grok_err *err);

/* grok_model_load through the float buffer buf (n_params), widened into theta (n_params
 * doubles) for the analyses. Fails as grok_model_load does, or with GROK_EFORMAT when a value is
 * not finite. */
int grok_model_load_f64(const struct grok_model *m, struct grok_run *run, long long step,
                        float *buf, double *theta, struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
