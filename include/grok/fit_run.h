/* grok-fit's analysis over its inputs (runs and tables, already open): the events of each
 * (events.h), laws fitted across them, sigmoids fitted to each one's metrics; written as the
 * events, laws or sigmoids table, or as the /fit group of the output run derived from the one
 * run in.
 *
 * Owns: the order of grok-fit's work, its three tables and the /fit group's laws and sigmoids
 * (lib/fit_run.c). Calls: events (each input's events and their part of /fit), fit, history
 * (deriving the output run), run, tsv, input (the inputs' type) and cli (the text output, the
 * command line, interruption, its one failure path). Called by grok-fit's main. */
#ifndef GROK_FIT_RUN_H
#define GROK_FIT_RUN_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#include "grok/events.h"
#include "grok/fit.h"
#include "grok/input.h"

/* One --law Y:X[:FORM]. */
struct grok_law_spec {
    const char *text;      /* as given, for messages */
    char y[256], x[256];   /* the columns: of the events, or of a table given as input */
    enum grok_law_form form;
};

/* grok-fit's settings (grok-fit(1) has each flag). */
struct grok_fit_opts {
    struct grok_events_opts ev;      /* the events' thresholds */
    const struct grok_law_spec *laws;
    int nlaws;
    const char *const *sigmoids;     /* (nsig) metric columns to fit a sigmoid to */
    int nsig;
    int drop_invalid;                /* drop the points a fit cannot take, rather than refuse */
    size_t bootstrap;                /* resamples for the intervals; 0 for none */
    unsigned long seed;              /* of the resampling */
    int quiet;                       /* no warnings (a sigmoid that does not fit) */
    const char *by;                  /* --by COLUMN: a law per value of the column, or NULL */
};

/* Runs grok-fit on the nin inputs (the caller's, left open): with laws, the laws table (with
 * o->by, one row per law and value of that column, in the order the values first appear, the
 * value in a first column named after it); with
 * sigmoids, the sigmoids table, or the /fit group (events and sigmoids) of the one run when
 * `table` is 0; else the events table, or the /fit group. A table goes to `output` (NULL or "-":
 * standard output), a run to output as grok_run_derive says. The caller has checked that a
 * group has exactly one run in, and that laws come with a table. Returns the program's exit
 * status, after one line on standard error when it is not 0. A sigmoid that does not fit
 * (grok_sigmoid_fit refuses it, or grok_sigmoid_check finds it means nothing) is no failure:
 * its row's fit values are nan, after one warning line on standard error unless quiet. */
int grok_fit_run(const struct grok_fit_opts *o, const struct grok_input *ins, int nin, int table,
                 const char *output);

#ifdef __cplusplus
}
#endif

#endif
