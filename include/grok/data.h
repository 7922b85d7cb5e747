/* data: the run's /data group — the split the run was trained on: /data/train and /data/test,
 * int32 [N, 2] operand pairs (a, b), and /data/train_y, /data/test_y, int32 [N] answers.
 *
 * Owns those four datasets' paths and shapes, and the check that a stored pair belongs to its
 * task. Calls: run (the generic HDF5 layer), task (the answers). Called by: the trainer's run
 * writing (train_run) and runmodel (the examples an analysis reads). */
#ifndef GROK_DATA_H
#define GROK_DATA_H

#ifdef __cplusplus
extern "C" {
#endif

#include "grok/array.h"
#include "grok/err.h"
#include "grok/run.h"
#include "grok/task.h"

/* Writes the split d as /data/train, /data/train_y, /data/test, /data/test_y (replacing them).
 * Fails like grok_run_write_array. */
int grok_data_write(struct grok_run *run, const struct grok_dataset *d, struct grok_err *err);

/* Reads the "train" or "test" set of run into ab (int32 [N, 2]) and y (int32 [N]), the caller's
 * to free (grok_array_free), and checks it against the task (op, p): N ≥ 1, every answer that
 * of its pair. Fails with grok_run_read's error for a missing or unreadable dataset, or
 * GROK_EFORMAT naming the run and datasets ("RUN: /data/train and /data/train_y are not N pairs
 * and N answers", "RUN: /data/train row 3 is not a pair of add mod 23 with its answer"); ab and
 * y are empty after a failure. */
int grok_data_read(struct grok_run *run, const char *set, enum grok_op op, int p,
                   struct grok_array *ab, struct grok_array *y, struct grok_err *err);

/* A regression's examples (grok-train --task regress-sum:N): /data/train_x and /data/test_x,
 * float32 [N, n_inputs], and /data/train_target, /data/test_target, float32 [N]. Writing fails
 * like grok_run_write_array. Reading the "train" or "test" set gives x (n, n_inputs) and target
 * (n) as float32 arrays, the caller's to free; GROK_EFORMAT naming the run when the shapes do
 * not agree with n_inputs or with each other. */
int grok_data_write_regress(struct grok_run *run, const struct grok_regress_set *s, struct grok_err *err);
int grok_data_read_regress(struct grok_run *run, const char *set, int n_inputs, struct grok_array *x,
                           struct grok_array *target, struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
