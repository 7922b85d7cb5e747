/* runtable: a run's contents as tables (TSV with `# key: value` lines), what grok-snap prints —
 * the listing of every dataset and attribute, a group's 1-D datasets as columns, and one
 * snapshot of one parameter as a matrix. Owns the layout of those three tables and the choice
 * of a group table's rows; a group table carries its run's /config as meta lines. Calls runlist
 * (the walk and the attribute values), snapshots (a parameter's row), run (datasets) and tsv
 * (the writer); called by programs. Each writer prints on f and leaves checking f's errors (and
 * closing it) to the caller, as grok_text_finish does. */
#ifndef GROK_RUNTABLE_H
#define GROK_RUNTABLE_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>
#include <stdio.h>

#include "grok/err.h"
#include "grok/run.h"
#include "grok/snapshots.h"

/* The whole run as a table: `# run: NAME`, then the header kind, path, type, shape, value and a
 * row per dataset ("dataset", its path) and per attribute ("attribute", "OBJ@NAME", its value),
 * in grok_run_list's order. The shape is "AxB", "scalar" or empty; the history's lines are
 * joined by "|" so that it stays one row. Fails as grok_run_list does, before printing. */
int grok_runtable_write_list(struct grok_run *run, FILE *f, struct grok_err *err);

/* The 1-D numeric datasets of the group `group` ("pca" or "/pca"; NULL for the metrics) as the
 * columns of a table, in creation order; meta lines run, table (the group's path), skipped (when
 * any), then one per /config attribute. The rows have the length most columns share (the longer
 * on a tie), so that one column of another length does not hide the others; each 1-D dataset
 * left out, of another length or not numbers, is named in `# skipped: NAME (N rows), NAME
 * (text)`. Integer columns print as integers, float32 as float32. A group with a string
 * attribute `columns` (comma-separated names, as /fit has) puts those columns first, in that
 * order: each a 1-D column of the group, or else the group's string attribute of that name,
 * repeated on every row (nan when there is none); the columns it does not list follow in
 * creation order. GROK_EINVAL for a path too
 * long, GROK_ENOTFOUND "<run>: no group /G", GROK_EFORMAT "<run>: /G holds no 1-D columns of
 * numbers", or a read's failure; nothing is printed on failure. */
int grok_runtable_write_group(struct grok_run *run, const char *group, FILE *f,
                              struct grok_err *err);

/* The trajectory through the snapshots (grok-snap -t snapshots): one row per snapshot whose
 * step `steps` selects, the step then every number of the nparams parameters params, flattened,
 * each column named NAME[i] (NAME[i,j] for a matrix), so that gnuplot draws a small model's path
 * through its parameter space. At most GROK_TRAJECTORY_MAX columns of numbers: GROK_EINVAL
 * naming the count and -p beyond them; GROK_ENOTFOUND when `steps` selects no snapshot; fails
 * as grok_snapshot_read does; nothing is printed on failure. */
#define GROK_TRAJECTORY_MAX 4096
struct grok_steps;
int grok_runtable_write_trajectory(struct grok_run *run, const struct grok_snapshots *s,
                                   char *const *params, size_t nparams,
                                   const struct grok_steps *steps, FILE *f, struct grok_err *err);

/* Snapshot t (below s->T) of parameter `param` as a matrix: meta lines run, param, step and
 * shape, then the header "row 0 1 ..." and a row per row of the parameter, its leading
 * dimensions flattened (a 1-D parameter is one column). Fails as grok_snapshot_read does,
 * before printing. */
int grok_runtable_write_matrix(struct grok_run *run, const struct grok_snapshots *s, size_t t,
                               const char *param, FILE *f, struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
