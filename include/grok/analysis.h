/* The analysis driver: the skeleton every analysis program shares (grok-pca, grok-commute,
 * grok-fourier, grok-align). It opens the input run, loads and selects its snapshots (-s),
 * lets the analysis set itself up, derives the output run (a table is opened only at the end),
 * runs the analysis's units of work one after another with a progress bar and SIGINT/SIGTERM
 * checks between them, then writes the table or the analysis's group and commits. An analysis
 * supplies what is its own — reading what it needs, one unit of work, describing its output —
 * as a struct grok_analysis_def; its program's main parses flags and calls grok_analysis_run.
 *
 * Owns: the order of those steps, the input and output runs' lifetimes, the worker pool of an
 * analysis, the progress bar and the one-line failure. Calls: run, history (deriving the output
 * run), snapshots, select (the selection's type), cli (text output, failure, interruption),
 * progress, pool. Called by the analysis modules' run functions (grok_commute_run, ...), which
 * programs call. */
#ifndef GROK_ANALYSIS_H
#define GROK_ANALYSIS_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdio.h>

#include <gsl/gsl_rng.h>

#include "grok/cli.h"
#include "grok/err.h"
#include "grok/pool.h"
#include "grok/run.h"
#include "grok/select.h"
#include "grok/snapshots.h"

/* What the driver holds for an analysis while it runs; the analysis reads it in its hooks. */
struct grok_analysis {
    struct grok_run *in;           /* the input run */
    struct grok_snapshots snaps;   /* its /snapshots (loaded before setup) */
    size_t T;                      /* snapshots the -s range selects (0 when it selects none:
                                    * setup decides; a run with no snapshot fails before) */
    size_t *rows;                  /* (T) their rows in /snapshots */
    long long *steps;              /* (T) their steps */
    const struct grok_selection *sel;   /* -p and -s as given */
    int table;                     /* the output is a table (else a run) */
    struct grok_run *out;          /* the output run (NULL for a table), derived after setup */
    struct grok_pool *pool;        /* the analysis's workers (grok_analysis_workers), or NULL */
    gsl_rng *rng;                  /* with def->seeded: the analysis's one generator (MT19937),
                                    * seeded with grok_analysis_run's seed; NULL otherwise */
    int nworkers;                  /* 1 without a pool */
};

/* An analysis, as the driver runs it. Every hook returns GROK_OK or an error with err filled.
 * open and setup may be NULL (skipped); unit, write_table and write_group are required. ctx is
 * the analysis's own state, given to every hook. */
struct grok_analysis_def {
    const char *program;           /* "grok-commute": progress label and the history line */
    const char *group;             /* "/commute": the group the output run gets, replaced */
    int seeded;                    /* the analysis draws random numbers: the driver keeps a->rng */
    /* After the input opens, before its snapshots load: read the model or settings. */
    int (*open)(void *ctx, struct grok_analysis *a, struct grok_err *err);
    /* After the snapshots are selected: check the selection, allocate, set *units (the number of
     * calls of `unit` to come; the progress bar's total). */
    int (*setup)(void *ctx, struct grok_analysis *a, long long *units, struct grok_err *err);
    /* Unit u (0 .. units − 1, in order). */
    int (*unit)(void *ctx, struct grok_analysis *a, long long u, struct grok_err *err);
    /* The output: the table on f, or the group in a->out (created empty by the derive). */
    void (*write_table)(void *ctx, struct grok_analysis *a, FILE *f);
    int (*write_group)(void *ctx, struct grok_analysis *a, struct grok_err *err);
};

/* Where the driver reads and writes, from the program's common flags. */
struct grok_analysis_io {
    const char *input;                 /* the input run's path; NULL or "-": standard input */
    const struct grok_common *co;      /* -o, -t, -q */
    const struct grok_selection *sel;  /* -p, -s */
};

/* Runs the analysis def with state ctx from input to output as the file comment says (with
 * def->seeded, a->rng is seeded with `seed`, the analysis's --seed, before anything is read), and
 * returns the program's exit status: GROK_EXIT_OK, or after one line on standard error
 * GROK_EXIT_DATA (bad data, a failed write: no output is left half written) or
 * GROK_EXIT_INTERRUPTED. The caller frees ctx's own allocations afterwards. */
int grok_analysis_run(const struct grok_analysis_def *def, void *ctx,
                      const struct grok_analysis_io *io, long long seed);

/* The -s range as typed, or "all" without -s: what an analysis records as its group's `steps`
 * attribute. */
const char *grok_analysis_steps(const struct grok_analysis *a);

/* For setup: starts the analysis's worker pool with n workers and, with more than one, makes
 * OpenBLAS single-threaded, so that the workers' products neither oversubscribe the cores nor
 * change a sum's order with the thread count (n ≤ 1 leaves OpenBLAS as it is and starts no
 * pool). a->pool and a->nworkers are set; the driver frees the pool (OpenBLAS stays at one
 * thread: a program runs one analysis). Call it once. GROK_ENOMEM with err when the threads
 * cannot start. */
int grok_analysis_workers(struct grok_analysis *a, int n, struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
