/* stepcol: the rule a run's step columns (/metrics/step and /snapshots/step) obey, and their
 * reading. A step is a training step: a whole number from 0, and each row's is larger than the
 * one before, so that a step names one row and the rows are in the order of training. Readers
 * index by these columns (nearest snapshot, -s ranges, trajectories, events), so a column that
 * breaks the rule is refused where it is read rather than met later as wrong numbers.
 *
 * Owns: that rule and its messages. Calls: run (the generic HDF5 layer), array. Called by
 * metrics and snapshots, which own the two groups. */
#ifndef GROK_STEPCOL_H
#define GROK_STEPCOL_H

#ifdef __cplusplus
extern "C" {
#endif

#include "grok/array.h"
#include "grok/err.h"
#include "grok/run.h"

/* Reads the step column at path (e.g. "/snapshots/step") as int64 into *out (1-D; free with
 * grok_array_free). grok writes int64; any integer type the run layer reads is taken as it is,
 * and a float column (h5py writes numpy's float64 as readily) is taken when every value is a
 * whole number, then converted. An empty column is accepted (the caller says what that means).
 * Fails with grok_run_read's error (missing, not numeric, unreadable), or GROK_EFORMAT naming
 * the run, the path and, for a value, its first bad row counted from 1:
 *   "<run>: <path> is not 1-D"
 *   "<run>: <path> is not a whole number (row R: V)"     (a fraction, nan or inf)
 *   "<run>: <path> is too large (row R: V)"              (a float of 2^63 or more)
 *   "<run>: <path> is negative (row R: V)"
 *   "<run>: <path> is not increasing (row R: V after U)" (equal or smaller than row R - 1's)
 * out is empty after a failure. */
int grok_stepcol_read(struct grok_run *run, const char *path, struct grok_array *out,
                      struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
