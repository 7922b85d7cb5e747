/* The trainer's state, private to lib/train*.c: programs see struct grok_trainer as opaque and
 * read it through train.h's accessors.
 *
 * The parameters, their gradient, the optimiser's moments and the activations each live in one
 * contiguous block, allocated once in grok_trainer_new: the step allocates nothing.
 *
 * Owns: struct grok_trainer's fields, and the reading of /state shared by train.c and
 * train_run.c. Calls: what its fields are (train.h's config, task, model, optim, sampler,
 * transform; batch_loss.h). Included by train.c, train_step.c, train_loop.c and train_run.c;
 * train_session.c sees only train.h. */
#ifndef GROK_TRAIN_IMPL_H
#define GROK_TRAIN_IMPL_H

#include "batch_loss.h"
#include "grok/closedform.h"
#include "grok/train.h"

struct grok_trainer {
    struct grok_train_config cfg;  /* resolved */
    struct grok_dataset data;      /* the modular task's pairs; for a regression only its sizes */
    int32_t *train_tok;            /* (n_train, n_ctx), NULL for a regression */
    int32_t *test_tok;             /* (n_test, n_ctx), NULL for a regression */
    struct grok_regress_set regress;   /* --task regress-sum:N: the examples; zeroed otherwise */
    struct grok_closedform *closed;    /* --dynamics closed-form, or NULL */
    struct grok_model model;
    float *params;                 /* (n_params) */
    struct grok_optim opt;         /* its moments: (2, n_params) */
    struct grok_batch_loss loss;   /* the workers, their activations and the gradient loss.grad */
    int eval_chunk;                /* examples per evaluation pass */
    struct grok_sampler sampler;   /* the minibatches, drawn with rng */
    struct grok_batch batch;       /* the step's minibatch, from its draw to its end */
    double *token_p;               /* (d_vocab) --sampler freq: each token's probability, or NULL */
    struct grok_transforms transforms;   /* between the gradient and the clipping, in order */
    gsl_rng *rng;                  /* initialisation, then minibatches */
    long long step;                /* updates done */
    int streak;                    /* evaluations in a row with test accuracy ≥ stop_at */
    long long last_eval;           /* step of the last finite evaluation written, -1 for none */
    long long last_snap;           /* step of the last snapshot written, -1 for none */
    struct grok_tensor *all;       /* (n_tensors) a view of every parameter, for /state */
    struct grok_tensor *snap;      /* (n_snap) the parameters a snapshot holds */
    int n_snap;
};

/* --task regress-sum:N: real inputs and targets in place of the modular task's tokens. */
static inline int grok_trainer_regression(const struct grok_trainer *t) { return t->cfg.task[0] != 0; }

/* Reads what grok_trainer_write_state wrote (lib/train_run.c), for grok_trainer_resume. */
int grok_trainer_read_state(struct grok_trainer *t, struct grok_run *run, struct grok_err *err);

#endif
