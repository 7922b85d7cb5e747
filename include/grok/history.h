/* history: a run's lineage — the root `history` attribute (one line per program that wrote the
 * run) and the derivation of an analysis program's output from its input (everything copied but
 * the program's own group, plus a history line). Owns the attribute's lines and what a
 * derivation copies. Calls run (the generic HDF5 layer) only; called by the analysis driver,
 * fit_run, cut, the trainer's run writing (train_run.c) and train_session. */
#ifndef GROK_HISTORY_H
#define GROK_HISTORY_H

#ifdef __cplusplus
extern "C" {
#endif

#include "grok/err.h"
#include "grok/run.h"

/* Appends one line "ISO-time program version command-line" to the root `history` attribute.
 * The time is the current UTC time, or SOURCE_DATE_EPOCH when that is set, so that a run can be
 * made byte-identical. */
int grok_run_history_add(struct grok_run *run, const char *program, int argc, char **argv,
                         struct grok_err *err);

/* Copies the root attribute `history` from src to dst (before dst adds its own line). */
int grok_run_copy_history(struct grok_run *dst, struct grok_run *src, struct grok_err *err);

/* Starts the output of an analysis program: a run created for `dest` (as grok_run_create) that
 * holds everything src holds except the group `group` ("/pca"), src's history plus one line for
 * this program, and `group` itself, created empty for the program to fill. The caller commits
 * or abandons it (grok_run_commit / grok_run_close). NULL with err on failure. */
struct grok_run *grok_run_derive(const char *dest, struct grok_run *src, const char *group,
                                 const char *program, int argc, char **argv,
                                 struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
