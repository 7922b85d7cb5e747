/* cut: a run cut down to part of its snapshots, or to one state — what grok-snap writes. A cut
 * keeps what rebuilds the model and its data (/config, /data) and the history with a line more;
 * then either the metrics and the chosen snapshots of the chosen parameters, or the snapshot
 * nearest a step as /state, from which grok-train --init starts. Analysis groups are left out:
 * they describe snapshots that a cut may drop. Owns which groups a cut keeps. Calls run
 * (copies), history, snapshots, state, select, progress and cli (the interruption flag, the
 * command line as typed); called by programs. */
#ifndef GROK_CUT_H
#define GROK_CUT_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#include "grok/err.h"
#include "grok/run.h"
#include "grok/select.h"
#include "grok/snapshots.h"

/* What a cut keeps. */
struct grok_cut {
    const char *program;       /* "grok-snap": its history line and progress label */
    char *const *params;       /* (nparams) the parameters kept, names from /snapshots */
    size_t nparams;
    int state;                 /* 1: the state at the snapshot nearest `at`, no snapshots */
    long long at;
    struct grok_steps steps;   /* otherwise: the snapshots kept, by step */
    int quiet;                 /* no progress bar */
};

/* Writes the cut c of the run in into out, a run just created (grok_run_create), which the
 * caller then commits or abandons. s is in's snapshots (grok_snapshots_load, T > 0). In order:
 * in's history and a line for c->program with the command line, in's /config and /data where it
 * has them; then for a state cut, the parameters' rows of the nearest snapshot as /state at its
 * step; otherwise in's /metrics where present and every snapshot whose step c->steps matches,
 * in order, with a progress bar. GROK_ENOTFOUND "<run>: no snapshot has a step in the range
 * given by -s" when none does; GROK_EIO "interrupted" after SIGINT or SIGTERM; GROK_ENOMEM; or
 * a copy's, read's or write's failure. */
int grok_run_cut(struct grok_run *out, struct grok_run *in, const struct grok_snapshots *s,
                 const struct grok_cut *c, struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
