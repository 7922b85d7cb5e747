/* Training: one run's trainer (data, model, parameters, optimiser, generator, samplers and
 * gradient transforms), its step, its evaluation and loop, and the writing of the run.
 *
 * Owns: struct grok_trainer (opaque: programs use the accessors below) and the run's training
 * groups as grok-train writes them: /config and /data at the start, a /metrics row per
 * evaluation, a /snapshots row per snapshot, /state at the end. Calls: config.h, task.h,
 * model.h, optim.h, pool.h and workers.h (through the batch loss), sampler.h, transform.h,
 * run.h, and for the run's groups snapshots.h, state.h, metrics.h, history.h; never the
 * programs' cli.h or progress.h (the loop reports through hooks). Called by: train_session.
 *
 * Modules (lib/):
 *   train.c        the trainer's state and lifecycle: new, free, threads, load params, resume,
 *                  accessors, adding a gradient transform
 *   train_step.c   one update (the flow below)
 *   batch_loss.c   the batch's loss and gradient over a pool (slices, or the MLP's columns)
 *   sampler.c      the full batch and draws with replacement (sampler.h)
 *   transform.c    the list of gradient transforms and their /state (transform.h)
 *   train_loop.c   evaluation, the stop rule, the loop over steps with its cadences
 *   train_run.c    /config + /data, metrics rows, snapshots, /state (and its reading), resuming
 * Above them, train_session.c (train_session.h) is what grok-train runs: resume or start, the
 * output, the loop with a progress bar and the table, the ending's messages.
 *
 * One step (grok_trainer_step), in this order:
 *   1. draw      the sampler gives the batch: distinct examples, their counts, 1/draws;
 *   2. gradient  the batch loss fills the gradient (the slices' gradients already added);
 *                a non-finite loss ends the step here (NaN, nothing changed);
 *   3. transform every gradient transform, in the order added, changes the gradient in place
 *                (the slot where projections, regularisers and filters go: transform.h);
 *   4. clip      the global norm of the transformed gradient, and --clip's scale; a non-finite
 *                norm ends the step (NaN, parameters and moments unchanged); then the
 *                transforms that act on the clipped gradient (apply_clipped: P1's suppression);
 *   5. update    the optimiser's update of every parameter (frozen ones excepted), then the
 *                step count. With a pool, 4 and 5 run over the workers' shares of the
 *                parameters (sums of squares, then the scaled update);
 *   6. edit      the transforms that change the parameters after the update (edit: P1's kicks
 *                and noise), the step count already advanced.
 *
 * The parameters, gradient, moments and activations are each one block allocated once: the step
 * allocates nothing. One generator seeded with --seed draws the initial parameters and then
 * every minibatch; the split has its own generator seeded with --data-seed. */
#ifndef GROK_TRAIN_H
#define GROK_TRAIN_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdint.h>

#include "grok/config.h"
#include "grok/model.h"
#include "grok/optim.h"
#include "grok/run.h"
#include "grok/sampler.h"
#include "grok/task.h"
#include "grok/transform.h"

struct grok_trainer;

/* The most metrics the gradient transforms of one trainer add to an evaluation. */
#define GROK_EVAL_EXTRA 16

/* One evaluation: the whole training and test sets at the current parameters, and what the
 * gradient transforms report (an intervention's counts and norms). */
struct grok_eval {
    long long step;
    double train_loss, train_acc, test_loss, test_acc;
    double param_norm;             /* L2 norm of every parameter */
    double lr;                     /* the scheduled rate of the next update */
    int n_extra;                   /* the gradient transforms' metrics (transform.h), in order */
    const char *extra_names[GROK_EVAL_EXTRA];   /* the trainer's, valid while it lives */
    double extra[GROK_EVAL_EXTRA];
};

/* A trainer for cfg (resolved by grok_config_resolve, its parameter globs checked by
 * grok_config_check_params, which words what is wrong with them): the split, the model, initial
 * parameters drawn with the seed, zero moments, the workspace, one thread. NULL with err
 * filled: GROK_EINVAL (a split that leaves the training or test set empty, worded by the task
 * module; a snapshot list that selects no parameter while snapshots are taken) or GROK_ENOMEM. */
struct grok_trainer *grok_trainer_new(const struct grok_train_config *cfg, struct grok_err *err);

/* Releases the trainer, its gradient transforms included; t may be NULL. */
void grok_trainer_free(struct grok_trainer *t);

/* Replaces the parameters with the /state of run (written by grok-snap --at or grok-train),
 * checking names and shapes against the model; under --dynamics closed-form the second layer
 * then becomes the interpolant at the loaded first (grok_trainer_project). */
int grok_trainer_load_params(struct grok_trainer *t, struct grok_run *run, struct grok_err *err);

/* Under --dynamics closed-form, sets the second layer to the interpolant at the first, the
 * state every closed-form step leaves (include/grok/closedform.h); nothing otherwise. */
void grok_trainer_project(struct grok_trainer *t);

/* Restores everything a run's /state holds for an exact continuation: parameters, moments,
 * the optimiser's update count, the generator's state, the step, the stop-at streak and the
 * state of each gradient transform added (which must be the run's, in its order). */
int grok_trainer_resume(struct grok_trainer *t, struct grok_run *run, struct grok_err *err);

/* Adds a gradient transform after those already added (transform.h); the trainer owns x->ctx
 * from here, even when this fails. Add them before grok_trainer_resume, the same as the run's.
 * GROK_EINVAL with err filled for a bad or repeated name, or more than GROK_EVAL_EXTRA metrics
 * in all, or a metric's name that is already a column of /metrics. */
int grok_trainer_add_transform(struct grok_trainer *t, const struct grok_grad_transform *x,
                               struct grok_err *err);

/* What programs may read of a trainer. The config is the resolved one; the dataset the split;
 * params and grad (the last step's transformed and clipped gradient) have the model's
 * n_params values; step_count is the updates done; last_eval the step of the last finite
 * evaluation written (-1 for none); threads the workers of the step (1 without a pool);
 * work_bytes the first worker's activations (grok_work_bytes). */
const struct grok_train_config *grok_trainer_config(const struct grok_trainer *t);
const struct grok_model *grok_trainer_model(const struct grok_trainer *t);
const struct grok_dataset *grok_trainer_data(const struct grok_trainer *t);
const float *grok_trainer_params(const struct grok_trainer *t);
const float *grok_trainer_grad(const struct grok_trainer *t);
long long grok_trainer_step_count(const struct grok_trainer *t);
long long grok_trainer_last_eval(const struct grok_trainer *t);
int grok_trainer_threads(const struct grok_trainer *t);
/* The step's pool of workers (pool.h), NULL for one thread: a transform may run its own jobs on
 * it between steps (P1's kicks sample commutators there). */
struct grok_pool *grok_trainer_pool(const struct grok_trainer *t);
/* The training examples as the model reads them: (n_train, n_ctx) tokens, the answers being the
 * dataset's train_y. */
const int32_t *grok_trainer_train_tokens(const struct grok_trainer *t);
/* The minibatch of the step in progress, whose gradient the transforms' apply hooks receive
 * (sampler.h: distinct examples with their counts); valid within those hooks only. */
const struct grok_batch *grok_trainer_batch(const struct grok_trainer *t);
/* With --sampler freq, each token's probability (d_vocab values) that the next draws weigh the
 * examples by, for the transform that keeps them (lib/freqsample.c) to update; NULL otherwise. */
double *grok_trainer_token_probs(struct grok_trainer *t);
/* Sets the learning-rate multiplier of the model's tensor (its index in the model's list, which
 * is the optimiser's range) from the next update on: P3's adaptive embedding rate. */
void grok_trainer_set_lr_mult(struct grok_trainer *t, int tensor, double mult);
/* The names of the metrics the transforms add to each evaluation (see struct grok_eval); returns
 * their count (at most GROK_EVAL_EXTRA). */
int grok_trainer_metric_names(const struct grok_trainer *t, const char **names);
size_t grok_trainer_work_bytes(const struct grok_trainer *t);

/* Starts the stop-at streak again from zero: a resumed run given another --stop-at counts its
 * evaluations against the new threshold. */
void grok_trainer_reset_streak(struct grok_trainer *t);

/* One update, the flow at the top of this file: draw, gradient, transforms, clip, update.
 * Returns the minibatch's loss before the update; when the loss or the gradient is not finite
 * it returns NaN and leaves the parameters and moments as they were. */
double grok_trainer_step(struct grok_trainer *t);

/* Spreads the step and the evaluation over `threads` threads (0: every core): each takes an
 * equal slice of the batch with its own activations and gradient, single-threaded BLAS inside
 * (OpenBLAS is set to one thread, process-wide), and the slices' gradients are combined in a
 * fixed order, so the same number of threads gives the same bytes. Small models gain most:
 * their matrix products are too small for OpenBLAS's own threads to pay, and the elementwise
 * work gets the other cores too. 1 keeps one slice on one thread, OpenBLAS's included. Call
 * after grok_trainer_new; GROK_ENOMEM when the slices' memory or threads cannot be had. */
int grok_trainer_set_threads(struct grok_trainer *t, int threads, struct grok_err *err);

/* Evaluates the current parameters on the whole training and test sets. */
void grok_trainer_eval(struct grok_trainer *t, struct grok_eval *e);

/* Updates the stop-at streak with e; returns 1 when the run should stop. */
int grok_trainer_should_stop(struct grok_trainer *t, const struct grok_eval *e);

/* Writers of the run: /config and /data; one /metrics row (appended and flushed: the one
 * function that writes /metrics); one /snapshots row (the selected parameters at the current
 * step); /state (parameters, moments, generator, step, stop-at streak, and each gradient
 * transform's state under /state/transforms). Each returns GROK_OK or the run's error. */
int grok_trainer_write_setup(struct grok_trainer *t, struct grok_run *run, struct grok_err *err);
int grok_trainer_write_metrics(struct grok_run *run, const struct grok_eval *e,
                               struct grok_err *err);
int grok_trainer_write_snapshot(struct grok_trainer *t, struct grok_run *run, struct grok_err *err);
int grok_trainer_write_state(struct grok_trainer *t, struct grok_run *run, struct grok_err *err);

/* Writes a checkpoint of the run being trained to dest: a complete run from which --resume
 * continues, as `run` holds it now plus the trainer's /state. `run` itself is not changed (so
 * that the finished run's bytes do not depend on when checkpoints were taken): the run is copied
 * in memory, the state written into the copy, and the copy written to a temporary file beside
 * dest, synced and renamed onto it. A crash at any moment leaves dest as it was or as it is
 * now. Fails with err ("<dest>: write failed: No space left on device"), dest untouched. */
int grok_trainer_checkpoint(struct grok_trainer *t, struct grok_run *run, const char *dest,
                            struct grok_err *err);

/* How a training loop ended. */
enum grok_train_end {
    GROK_TRAIN_DONE,          /* reached --steps */
    GROK_TRAIN_STOPPED,       /* --stop-at reached */
    GROK_TRAIN_INTERRUPTED,   /* the interrupted hook said so; the run is consistent and resumable */
    GROK_TRAIN_NONFINITE,     /* a loss or gradient was not finite at the step reached: the run
                               * keeps the evaluations and snapshots before it, gets no /state */
    GROK_TRAIN_FAILED,        /* writing the run failed; err says why */
};

/* What the loop tells its program as it goes; any member may be NULL. */
struct grok_train_hooks {
    void (*on_eval)(void *ctx, const struct grok_eval *e);   /* after each evaluation */
    void (*on_step)(void *ctx, long long step);              /* after each update */
    int (*interrupted)(void);                                /* polled before each update */
    /* after each update's rows are written (and after the starting ones): may write a
     * checkpoint; a failure (err set) ends the loop with GROK_TRAIN_FAILED */
    int (*after_step)(void *ctx, long long step, struct grok_err *err);
    void *ctx;
};

/* Trains from the trainer's step to cfg.steps. With `fresh`, first evaluates and snapshots the
 * starting parameters. Evaluates every eval_every steps and at the last step, snapshots every
 * snapshot_every steps; each row goes to run (when not NULL, appended and flushed) and to the
 * on_eval hook. The step the loop ends at always has an evaluation (an interrupted run gets one
 * at the step it stopped). A run whose stop-at streak is already complete does not step. Finally
 * writes /state (not for GROK_TRAIN_FAILED or GROK_TRAIN_NONFINITE). An evaluation off the
 * eval_every cadence (the last step, an interruption) is dropped by grok_train_resume_run when
 * the run continues, so that N steps and then N more give the same run as 2N at once. */
enum grok_train_end grok_train_loop(struct grok_trainer *t, struct grok_run *run, int fresh,
                                    const struct grok_train_hooks *hooks, struct grok_err *err);

/* Prepares out to continue the run `in` (whose /state t has resumed): copies its history,
 * /metrics and /snapshots, drops an evaluation off the cadence at the end (and sets
 * the trainer's last_eval to the last one kept), writes /config and /data. */
int grok_train_resume_run(struct grok_trainer *t, struct grok_run *out, struct grok_run *in,
                          struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
