/* The trainer's batch loss over a pool of workers (private to the trainer: lib/train*.c).
 *
 * scale · Σ count·loss of n examples and its gradient, on one thread or spread over a pool:
 * a transformer's batch is cut into one slice per worker, each with its own activations and
 * gradient (workers.h), and the slices' gradients are added in slice order, worker i adding
 * its share of the parameters; an MLP instead runs grok_model_loss_grad_pool, which splits each
 * matrix product by columns in worker 0's activations and gradient alone (and runs the same
 * code on the calling thread without a pool). Either way the same number of threads gives the
 * same bytes.
 *
 * The MLP's other implementation, inside grok_model_loss_grad_weighted (the table of tokens
 * without columns), stays for grok-commute's gradients and the gradient checks: sending them
 * through the column code changes grok-commute's table on an MLP run in the last digits (its
 * sums round in another order), measured against the binaries before the split.
 *
 * Owns: the pool, worker 0's activations and the batch's gradient, the other workers' slices.
 * Calls: model.h, pool.h, workers.h. */
#ifndef GROK_BATCH_LOSS_H
#define GROK_BATCH_LOSS_H

#include <stdint.h>

#include "grok/err.h"
#include "grok/model.h"
#include "grok/pool.h"
#include "grok/workers.h"

struct grok_batch_loss {
    const struct grok_model *model;
    struct grok_work *work;          /* worker 0's activations, for up to max_batch examples */
    float *grad;                     /* (n_params) the batch's gradient */
    int n_workers;                   /* 1 without a pool */
    struct grok_pool *pool;
    struct grok_worker *slices;      /* (n_workers − 1) workers 1.. of a sliced batch, or NULL */
};

/* One thread, activations for batches of up to max_batch examples. b is the caller's; free it
 * with grok_batch_loss_free even when this fails. GROK_ENOMEM with err filled. */
int grok_batch_loss_init(struct grok_batch_loss *b, const struct grok_model *m, int max_batch,
                         struct grok_err *err);

/* Spreads over `threads` threads (grok_threads' meaning), at most one per example of the
 * smallest batch `fewest` the caller will ask for; OpenBLAS gets one thread when there is a
 * pool, `threads` otherwise. GROK_ENOMEM when the pool or the slices cannot be had. */
int grok_batch_loss_threads(struct grok_batch_loss *b, int threads, int fewest, struct grok_err *err);

/* scale · Σ count·loss over the n examples tok (n, n_ctx), y (n) at params; count NULL for 1
 * each. With with_grad, b->grad receives its gradient; otherwise *correct (when not NULL) counts
 * the right answers. */
double grok_batch_loss(struct grok_batch_loss *b, const float *params, const int32_t *tok,
                       const int32_t *y, const double *count, int n, double scale, int with_grad,
                       int *correct);

/* Adds to counts grok_model_collapse_count's two counts of the n examples that the last
 * grok_batch_loss, without a gradient, evaluated (the same y): from the logits it left in the
 * workspaces, those of each worker's slice, so that nothing is computed again. */
void grok_batch_loss_collapse(const struct grok_batch_loss *b, const int32_t *y, int n,
                              long counts[2]);

/* Releases the pool and the workers; b may be NULL or zeroed. */
void grok_batch_loss_free(struct grok_batch_loss *b);

#endif
