/* grok-commute's analysis of a run, and the /commute group it leaves: the median, quartiles,
 * in/out split and random-basis control of the defects per snapshot, the per-sample defects, each
 * snapshot's training phase and the summary by phase; written as that group of the output run or
 * as a table, through the analysis driver (analysis.h). The basis is the trajectory-PCA one
 * (/pca/basis) or P1's local SVD basis, recomputed at each snapshot (svd_basis.h).
 *
 * Owns: the /commute group, grok-commute's tables and the phases of training (lib/commute_run.c).
 * Calls: commute (the defect maths and the gradient oracle), svd_basis (the local basis), pca
 * (orthonormalisation), pca_basis (/pca/basis), metrics (the accuracies), runmodel, snapshots,
 * the analysis driver, pool (the workers' jobs), fpenv, cli (interruption, out of memory), run,
 * tsv. Called by grok-commute's main and grok-fit (the defect series). */
#ifndef GROK_COMMUTE_RUN_H
#define GROK_COMMUTE_RUN_H

#ifdef __cplusplus
extern "C" {
#endif

#include "grok/err.h"
#include "grok/run.h"
#include "grok/commute.h"

struct grok_analysis_io;

/* grok-commute's tables, in the order of its -t kinds (snapshots, phases). */
enum grok_commute_table { GROK_COMMUTE_TABLE_SNAPSHOTS, GROK_COMMUTE_TABLE_PHASES };

/* The phases of training a snapshot is classed in (P1's classify_phase), in the order of the
 * summary; GROK_PHASE_NONE where the run has no accuracy at or before the snapshot's step. */
enum grok_phase { GROK_PHASE_NONE = -1, GROK_PHASE_EARLY, GROK_PHASE_MEMORISATION,
                  GROK_PHASE_TRANSITION, GROK_PHASE_POST_GROK, GROK_PHASES };

/* The phases' names, in order: "early", "memorisation", "transition", "post-grok". */
extern const char *const grok_phase_names[GROK_PHASES];

/* grok-commute's settings (grok-commute(1) has each flag). The snapshots are io's -s; with
 * svd_k, io's -p globs choose the matrices (none: GROK_SVD_BASIS_GLOB). */
struct grok_commute_opts {
    int K;                  /* -K: pairs of minibatches per snapshot */
    int batch;              /* --batch: examples per minibatch, drawn with replacement */
    double eta;             /* --eta: the SGD step */
    const char *basis_path; /* --basis RUN, or NULL for the input's own /pca/basis (if any) */
    int svd_k;              /* --basis svd:K: K directions per matrix of the local basis at each
                             * snapshot; 0 for the /pca/basis of basis_path or the input */
    int random_bases;       /* --random-bases: the control's random bases */
    long long seed;         /* --seed: the minibatches and the random bases */
    int threads;            /* --threads: 0 for every core */
    int use_float;          /* --float: float32 gradients (grok-train's code) */
    int align_next;         /* --align-step next: c_t against the step to the next snapshot;
                             * 0 (previous, P1's code): the step from the previous one */
    double phase_train;     /* --phase-train: memorised from this training accuracy on */
    double phase_test_low;  /* --phase-test-low: memorisation below this test accuracy */
    double phase_test_high; /* --phase-test-high: post-grok from this test accuracy on */
    enum grok_commute_table table;   /* -t KIND, when the output is a table */
};

/* P1's thresholds of the phases (grok_integrability_controls.py, classify_phase). */
#define GROK_PHASE_TRAIN 0.95
#define GROK_PHASE_TEST_LOW 0.3
#define GROK_PHASE_TEST_HIGH 0.95

/* The phase of a snapshot whose accuracies are train_acc and test_acc, with o's thresholds, in
 * P1's order of tests: post-grok when test_acc ≥ phase_test_high; else memorisation when
 * train_acc ≥ phase_train and test_acc < phase_test_low; else transition when train_acc ≥
 * phase_train; else early. GROK_PHASE_NONE when either accuracy is nan. */
enum grok_phase grok_commute_phase(const struct grok_commute_opts *o, double train_acc,
                                   double test_acc);

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
