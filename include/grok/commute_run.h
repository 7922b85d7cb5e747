/* grok-commute's analysis of a run, and the /commute group it leaves: the median, quartiles,
 * in/out split and random-basis control of the defects per snapshot, and the per-sample defects;
 * written as that group of the output run or as a table, through the analysis driver
 * (analysis.h).
 *
 * Owns: the /commute group and grok-commute's table (lib/commute_run.c). Calls: commute (the
 * defect maths and the gradient oracle), pca (orthonormalisation), pca_basis (/pca/basis),
 * runmodel, snapshots, the analysis driver, pool (the workers' jobs), fpenv, cli (interruption,
 * out of memory), run, tsv. Called by grok-commute's main and grok-fit (the defect series). */
#ifndef GROK_COMMUTE_RUN_H
#define GROK_COMMUTE_RUN_H

#ifdef __cplusplus
extern "C" {
#endif

#include "grok/err.h"
#include "grok/run.h"
#include "grok/commute.h"

struct grok_analysis_io;

/* grok-commute's settings (grok-commute(1) has each flag). */
struct grok_commute_opts {
    int K;                  /* -K: pairs of minibatches per snapshot */
    int batch;              /* --batch: examples per minibatch, drawn with replacement */
    double eta;             /* --eta: the SGD step */
    const char *basis_path; /* --basis RUN, or NULL for the input's own /pca/basis (if any) */
    int random_bases;       /* --random-bases: the control's random bases */
    long long seed;         /* --seed: the minibatches and the random bases */
    int threads;            /* --threads: 0 for every core */
    int use_float;          /* --float: float32 gradients (grok-train's code) */
};

/* The range of --eta. Below 1e-12 a step η g is lost in the rounding of θ (weights near 0.1
 * hold about 16 digits in double, gradients are 1e-3 to 1), so θ − η g = θ and every defect
 * reads 0 (1e-20 does so on the test model; 1e-12 still agrees with 1e-8 to 4 digits). Above 1
 * the two steps leave the second-order regime in which D measures the Hessians independently of
 * η, and far above it (1e100 on the test model) θ − η g overflows and every defect is nan. */
#define GROK_COMMUTE_ETA_MIN 1e-12
#define GROK_COMMUTE_ETA_MAX 1.0

/* Runs grok-commute: the defects of every selected snapshot of io's input, written as the group
 * /commute of the output run or as a table (one row per snapshot), through the analysis driver.
 * A sample whose defect is not finite (a gradient or a step that overflows: a model far from
 * the ones grok trains, or --float) fails the run with GROK_EFORMAT naming its step, rather than
 * leaving nan in the table. Returns the program's exit status, after one line on standard error
 * when it is not 0. */
int grok_commute_run(const struct grok_commute_opts *o, const struct grok_analysis_io *io);

/* Reads the median defect over training that grok-commute left in run: /commute/step and
 * /commute/D_median as float64 into step and D (the caller's; free with grok_array_free), both
 * left empty when the run has no /commute. Fails with grok_run_read's error for a missing or
 * unreadable column, or GROK_EFORMAT "RUN: /commute/D_median has N values, /commute/step has
 * M"; step and D are empty after a failure. */
int grok_commute_defects_read(struct grok_run *run, struct grok_array *step, struct grok_array *D,
                              struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
