/* Commutator defects (P1, papers.md): how far two SGD steps on minibatches A and B land apart
 * when taken in the two orders, and how much of that lies inside a subspace.
 *
 * Owns: the defect and the subspace split (pure maths over a gradient oracle) and the model's
 * gradient oracle (lib/commute.c). Calls: model, workers. grok-commute's analysis of a run is
 * commute_run.h's.
 *
 * Everything here is in double precision: late in training a gradient step η g is small next to
 * the weights, and the rounding of θ − η g in float would be a sizeable part of the defect. */
#ifndef GROK_COMMUTE_H
#define GROK_COMMUTE_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>
#include <stdint.h>

#include "grok/err.h"
#include "grok/model.h"
#include "grok/workers.h"

/* A gradient oracle: g (n) = ∇L_b(θ), the gradient of the mean loss on batch b. `worker` names
 * the caller's thread, so that an oracle can keep one scratch set per thread. */
struct grok_gradient {
    size_t n;
    void (*grad)(void *ctx, int worker, int batch, const double *theta, double *g);
    void *ctx;
};

/* The defect of batches a and b at theta with step eta:
 *   δ = θ_AB − θ_BA,  θ_AB = θ − η g_A(θ) − η g_B(θ − η g_A(θ)),  θ_BA likewise,
 * computed as η [(g_A(θ − η g_B) − g_A(θ)) − (g_B(θ − η g_A) − g_B(θ))], the same in exact
 * arithmetic but free of the rounding of θ itself; so a = b gives δ = 0 exactly and swapping a
 * and b flips δ's sign exactly. Fills delta (n), *step_a = ‖η g_A(θ)‖ and *step_b, and returns
 * D = ‖δ‖ / (‖η g_A‖ ‖η g_B‖) (0 when a step is 0). scratch: 4n doubles. Allocates nothing. */
double grok_commute_defect(const struct grok_gradient *f, int worker, const double *theta,
                           double eta, int a, int b, double *scratch, double *delta,
                           double *step_a, double *step_b);

/* The parts of v (n) inside and outside span(B), B (n × C, row-major) with orthonormal columns:
 * *in = ‖B Bᵀ v‖ and *out = ‖v − B Bᵀ v‖ (the latter summed directly, not as a difference of
 * squares). coef: C doubles of scratch. */
void grok_subspace_split(const double *B, size_t n, size_t C, const double *v, double *coef,
                         double *in, double *out);

/* ‖Bᵀ v‖ over the first C columns of B (n × ld, row-major, ld ≥ C, orthonormal columns): the
 * norm of v's part in their span, the sums in grok_subspace_split's order (which calls it with
 * ld = C). coef: C doubles of scratch, left holding Bᵀ v. */
double grok_subspace_part_in(const double *B, size_t n, size_t ld, size_t C, const double *v,
                             double *coef);

/* How far the columns of B (n × C, row-major) are from orthonormal, as grok_subspace_split
 * assumes them: *error = max |BᵀB − I| over the C × C entries. GROK_ENOMEM when the product
 * cannot be allocated. */
int grok_orthonormality_error(const double *B, size_t n, size_t C, double *error,
                              struct grok_err *err);

/* The gradient oracle of a model on minibatches of a run's training pairs: batch b is row b of
 * `batches` (indices into the training examples, `batch` of them each), set by the caller before
 * each use. One float or double workspace per worker. */
struct grok_model_gradient {
    const struct grok_model *model;
    const int32_t *tokens, *y;         /* (n_train, n_ctx), (n_train): the training examples */
    int batch;
    const int *batches;                /* (nbatches, batch) indices, the caller's */
    int use_float;                     /* float32 forward and backward (grok-train's own) */
    int nworkers;
    struct grok_worker *workers;       /* (nworkers) activations, a batch's gathered tokens and
                                        * answers, and with use_float the float parameters and
                                        * gradient */
};

/* Sets up g (the caller's) for nworkers threads and batches of `batch` examples.
 * GROK_ENOMEM on failure (g is then freed). */
int grok_model_gradient_init(struct grok_model_gradient *g, const struct grok_model *model,
                             const int32_t *tokens, const int32_t *y, int batch, int use_float,
                             int nworkers, struct grok_err *err);
void grok_model_gradient_free(struct grok_model_gradient *g);

/* The grok_gradient over g. */
struct grok_gradient grok_model_gradient_oracle(struct grok_model_gradient *g);

#ifdef __cplusplus
}
#endif

#endif
