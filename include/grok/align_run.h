/* grok-align's analysis of a run, and the /align group it leaves: the Jacobian and centroid
 * alignment per snapshot over a sample of training points; written as that group of the output
 * run or as a table, through the analysis driver (analysis.h).
 *
 * Owns: the /align group and grok-align's table (lib/align_run.c). Calls: align (the maths and
 * the model's vector-Jacobian oracle), runmodel, snapshots, metrics (the accuracies beside each
 * row), the analysis driver, pool (the workers' jobs, one BLAS thread), cli (interruption, out
 * of memory), run, tsv. Called by grok-align's main. */
#ifndef GROK_ALIGN_RUN_H
#define GROK_ALIGN_RUN_H

#ifdef __cplusplus
extern "C" {
#endif

#include "grok/err.h"
#include "grok/run.h"
#include "grok/align.h"

struct grok_analysis_io;

/* grok-align's settings (grok-align(1) has each flag). */
struct grok_align_opts {
    long long sample;       /* --sample N: training pairs drawn without replacement; 0: all */
    long long seed;         /* --seed: the sample and the projections */
    int projections;        /* --projections R: estimate |J_x|_F from R projections; 0: exactly */
    int exact;              /* --exact: the whole J_x (excludes projections) */
    int threads;            /* --threads: 0 for every core */
};

/* Runs grok-align: the alignment of every selected snapshot of io's input over its training
 * points (with /metrics' accuracies beside, nan where absent), written as the group /align of the
 * output run or as a table (one row per snapshot), through the analysis driver. Returns the
 * program's exit status, after one line on standard error when it is not 0. */
int grok_align_run(const struct grok_align_opts *o, const struct grok_analysis_io *io);

#ifdef __cplusplus
}
#endif

#endif
