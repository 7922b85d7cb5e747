/* metrics: the run's /metrics group — one 1-D column per quantity the trainer evaluates, all of
 * the same length, a row per evaluation: int64 `step` and float64 train_loss, train_acc,
 * test_loss, test_acc, param_norm and lr (in that order, grok_metric_names). Owns the column
 * names, the appending of a row and the reading of columns checked against the step column.
 * Calls run (the generic HDF5 layer), stepcol (the rule of steps) and array; called by the
 * trainer (train_run.c), train_session (the table's columns), align_run and events (grok-fit). */
#ifndef GROK_METRICS_H
#define GROK_METRICS_H

#ifdef __cplusplus
extern "C" {
#endif

#include "grok/array.h"
#include "grok/err.h"
#include "grok/run.h"

#define GROK_METRIC_COLUMNS 7   /* step and the six values */

/* The metrics columns, in table order: "step", "train_loss", "train_acc", "test_loss",
 * "test_acc", "param_norm", "lr". */
extern const char *const grok_metric_names[GROK_METRIC_COLUMNS];

/* Appends one row: step to /metrics/step and values[i] to /metrics/<grok_metric_names[i + 1]>
 * (the six values in table order), creating the columns on the first call. Does not flush
 * (grok_run_flush). Fails like grok_run_column_append; a failure part-way leaves the columns of
 * unequal length, which grok_metrics_read refuses, so the caller abandons the run. */
int grok_metrics_append(struct grok_run *run, long long step,
                        const double values[GROK_METRIC_COLUMNS - 1], struct grok_err *err);

/* Appends one value to each of the n columns /metrics/<names[i]> (a gradient transform's
 * metrics, after grok_metrics_append's row of the same step), creating them on the first call.
 * Fails like grok_metrics_append. */
int grok_metrics_append_extra(struct grok_run *run, const char *const *names, const double *values,
                              int n, struct grok_err *err);

/* Reads /metrics/step into *step as `step_as` (GROK_I64, or GROK_F64 for arithmetic) and the n
 * columns /metrics/<names[i]> ("train_acc", ...; any column of the group, not only the trainer's)
 * into cols[i] as float64. In this order, the first failure wins:
 *   - a path too long: GROK_EINVAL "name too long: ..." (grok_run_path);
 *   - the step column missing, or breaking the rule of steps (stepcol.h: whole numbers from 0,
 *     increasing): grok_stepcol_read's error;
 *   - a column missing or not numeric, in order: grok_run_read's error,
 *     "<run>: no dataset /metrics/<name>" (GROK_ENOTFOUND) and so on;
 *   - a column not 1-D: GROK_EFORMAT "<run>: /metrics/<name> is not 1-D";
 *   - a column of another length than step, in order: GROK_EFORMAT
 *     "<run>: /metrics/<name> has N values, /metrics/step has M".
 * On success *step and every cols[i] are the caller's to free (grok_array_free); on failure all
 * of them are empty. */
int grok_metrics_read(struct grok_run *run, enum grok_dtype step_as, struct grok_array *step,
                      const char *const *names, int n, struct grok_array *cols,
                      struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
