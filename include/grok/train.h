/* Training: the state of one run (data, model, parameters, optimiser, generator) and the loop
 * that steps it, evaluates it and writes it into a run file as it goes.
 *
 * The parameters, their gradients, the optimiser's moments and the activations each live in one
 * contiguous block, allocated once in grok_trainer_init: the step loop allocates nothing. One
 * generator seeded with --seed draws the initial parameters and then every minibatch; the split
 * has its own generator seeded with --data-seed. */
#ifndef GROK_TRAIN_H
#define GROK_TRAIN_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "grok/config.h"
#include "grok/history.h"
#include "grok/model.h"
#include "grok/optim.h"
#include "grok/pool.h"
#include "grok/run.h"
#include "grok/snapshots.h"
#include "grok/state.h"
#include "grok/task.h"

struct grok_trainer {
    struct grok_train_config cfg;  /* resolved */
    struct grok_dataset data;
    int32_t *train_tok;            /* (n_train, n_ctx) */
    int32_t *test_tok;             /* (n_test, n_ctx) */
    struct grok_model model;
    float *params;                 /* (n_params) */
    float *grad;                   /* (n_params) */
    struct grok_optim opt;         /* its moments: (2, n_params) */
    struct grok_work *work;        /* activations for the larger of a batch and an evaluation chunk */
    int eval_chunk;                /* examples per evaluation pass */
    int32_t *batch_tok;            /* (batch, n_ctx) the minibatch, gathered */
    int32_t *batch_y;              /* (batch) */
    double *batch_count;           /* (batch) how often each distinct example of it was drawn */
    int32_t *batch_pick;           /* (batch) the training example of each distinct draw */
    int32_t *batch_slot;           /* (n_train) an example's place in the batch being drawn, or −1 */
    gsl_rng *rng;                  /* initialisation, then minibatches */
    long long step;                /* updates done */
    int streak;                    /* evaluations in a row with test accuracy ≥ stop_at */
    long long last_eval;           /* step of the last finite evaluation written, -1 for none */
    struct grok_tensor *all;       /* (n_tensors) a view of every parameter, for /state */
    struct grok_tensor *snap;      /* (n_snap) the parameters a snapshot holds */
    int n_snap;
    /* threads (grok_trainer_set_threads): worker i takes the i-th of n_workers equal slices
     * of a batch or an evaluation chunk, worker 0 with work and grad above; an MLP is split
     * by columns instead (grok_model_loss_grad_pool) in work and grad alone */
    int n_workers;
    struct grok_pool *pool;
    struct grok_work *wwork[GROK_POOL_MAX];   /* workers 1.. : activations for a slice, or NULL */
    float *wgrad[GROK_POOL_MAX];              /* workers 1.. : (n_params) a slice's gradient, or NULL */
};

/* One evaluation: the whole training and test sets at the current parameters. */
struct grok_eval {
    long long step;
    double train_loss, train_acc, test_loss, test_acc;
    double param_norm;             /* L2 norm of every parameter */
    double lr;                     /* the scheduled rate of the next update */
};

/* Sets up training for cfg (resolved by grok_config_resolve): the split, the model, initial
 * parameters drawn with the seed, zero moments, the workspace. t is the caller's; free it with
 * grok_trainer_free even when this fails. GROK_EINVAL (a glob that selects no parameter) or
 * GROK_ENOMEM with err filled. */
int grok_trainer_init(struct grok_trainer *t, const struct grok_train_config *cfg,
                      struct grok_err *err);

/* Releases what grok_trainer_init allocated; t may be NULL or zeroed. */
void grok_trainer_free(struct grok_trainer *t);

/* Replaces the parameters with the /state of run (written by grok-snap --at or grok-train),
 * checking names and shapes against the model. */
int grok_trainer_load_params(struct grok_trainer *t, struct grok_run *run, struct grok_err *err);

/* Restores everything a run's /state holds for an exact continuation: parameters, moments,
 * the optimiser's update count, the generator's state, the step and the stop-at streak. */
int grok_trainer_resume(struct grok_trainer *t, struct grok_run *run, struct grok_err *err);

/* One update: draws a minibatch (or takes the full training set), computes the loss and
 * gradient, clips, steps the optimiser. Returns the minibatch's loss before the update; when
 * the loss or the gradient is not finite it returns NaN and leaves the parameters as they were. */
double grok_trainer_step(struct grok_trainer *t);

/* Spreads the step and the evaluation over `threads` threads (0: every core): each takes an
 * equal slice of the batch with its own activations and gradient, single-threaded BLAS inside
 * (OpenBLAS is set to one thread, process-wide), and the slices' gradients are combined in a
 * fixed order, so the same number of threads gives the same bytes. Small models gain most:
 * their matrix products are too small for OpenBLAS's own threads to pay, and the elementwise
 * work gets the other cores too. 1 keeps one slice on one thread, OpenBLAS's included. Call
 * after grok_trainer_init; GROK_ENOMEM when the slices' memory or threads cannot be had. */
int grok_trainer_set_threads(struct grok_trainer *t, int threads, struct grok_err *err);

/* Evaluates the current parameters on the whole training and test sets. */
void grok_trainer_eval(struct grok_trainer *t, struct grok_eval *e);

/* Updates the stop-at streak with e; returns 1 when the run should stop. */
int grok_trainer_should_stop(struct grok_trainer *t, const struct grok_eval *e);

/* Writers of the run: /config and /data; one /metrics row; one /snapshots row (the selected
 * parameters at the current step); /state (parameters, moments, generator, step). */
int grok_trainer_write_setup(struct grok_trainer *t, struct grok_run *run, struct grok_err *err);
int grok_trainer_write_metrics(struct grok_run *run, const struct grok_eval *e,
                               struct grok_err *err);
int grok_trainer_write_snapshot(struct grok_trainer *t, struct grok_run *run, struct grok_err *err);
int grok_trainer_write_state(struct grok_trainer *t, struct grok_run *run, struct grok_err *err);

/* How a training loop ended. */
enum grok_train_end {
    GROK_TRAIN_DONE,          /* reached --steps */
    GROK_TRAIN_STOPPED,       /* --stop-at reached */
    GROK_TRAIN_INTERRUPTED,   /* the interrupted hook said so; the run is consistent and resumable */
    GROK_TRAIN_NONFINITE,     /* a loss or gradient was not finite at t->step: the run keeps the
                               * evaluations and snapshots before it, and gets no /state */
    GROK_TRAIN_FAILED,        /* writing the run failed; err says why */
};

/* What the loop tells its program as it goes; any member may be NULL. */
struct grok_train_hooks {
    void (*on_eval)(void *ctx, const struct grok_eval *e);   /* after each evaluation */
    void (*on_step)(void *ctx, long long step);              /* after each update */
    int (*interrupted)(void);                                /* polled before each update */
    void *ctx;
};

/* Trains from t->step to cfg.steps. With `fresh`, first evaluates and snapshots the starting
 * parameters. Evaluates every eval_every steps and at the last step, snapshots every
 * snapshot_every steps; each row goes to run (when not NULL, appended and flushed) and to the
 * on_eval hook. The step the loop ends at always has an evaluation (an interrupted run gets one
 * at the step it stopped). A run whose stop-at streak is already complete does not step. Finally
 * writes /state (not for GROK_TRAIN_FAILED or GROK_TRAIN_NONFINITE). An evaluation off the eval_every cadence (the last
 * step, an interruption) is dropped by grok_train_resume_run when the run continues, so that N
 * steps and then N more give the same run as 2N at once. */
enum grok_train_end grok_train_loop(struct grok_trainer *t, struct grok_run *run, int fresh,
                                    const struct grok_train_hooks *hooks, struct grok_err *err);

/* Prepares out to continue the run `in` (whose /state t has resumed): copies its history,
 * /metrics and /snapshots, drops an evaluation off the cadence at the end (and sets
 * t->last_eval to the last one kept), writes /config and /data. */
int grok_train_resume_run(struct grok_trainer *t, struct grok_run *out, struct grok_run *in,
                          struct grok_err *err);

/* The metrics columns, in table order. */
extern const char *const grok_metric_names[7];

#endif
