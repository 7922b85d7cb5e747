/* Musat's closed-form dynamics of a two-layer network after memorisation (P2, papers.md).
 *
 * The network f(X) = σ(X W₁) W₂ (no biases) interpolates its n training examples exactly when
 * H = σ(X W₁) (n, h) has full row rank (h > n): the smallest second layer that does is
 * W₂ = Hᵀ A Y with A = (H Hᵀ)⁻¹. With W₂ held there, gradient descent with weight decay moves
 * the first layer along the zero-loss set as
 *     dW₁/dt = Xᵀ [ (A Y Yᵀ A H) ⊙ σ′(X W₁) ] − W₁,
 * the flow that lowers ‖W₁‖² + ‖W₂‖² while the loss stays 0. A step is W₁ ← W₁ + η dW₁/dt, then
 * W₂ the interpolant at the new W₁. A enters only through a Cholesky factor of H Hᵀ (LAPACK's
 * dpotrf and dpotrs), never as an inverse; the arithmetic is double.
 *
 * Owns: the training set as the matrices X (n, d_in) and Y (n, C), the step's buffers, and a
 * cache of the interpolant at the last W₁ it stored. Calls: model (the input codes), layers (σ
 * and σ′), BLAS and LAPACKE. Called by the trainer (grok-train --dynamics closed-form) and the
 * tests. */
#ifndef GROK_CLOSEDFORM_H
#define GROK_CLOSEDFORM_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdint.h>

#include "grok/err.h"
#include "grok/model.h"

struct grok_closedform;

/* The closed form of model m (an MLP with one hidden layer and no biases, fed fixed codes:
 * grok_config_resolve refuses others) over n training examples: tokens (n, n_ctx) and answers y
 * (n), Y their one-hot codes. NULL with err filled: GROK_EINVAL when the hidden layer is not
 * wider than n ("--hidden 400: the closed form needs more hidden units than the 492 training
 * examples (H Hᵀ must be invertible)"), GROK_ENOMEM. */
struct grok_closedform *grok_closedform_new(const struct grok_model *m, const int32_t *tokens,
                                            const int32_t *y, int n, struct grok_err *err);

/* Frees cf; NULL is fine. */
void grok_closedform_free(struct grok_closedform *cf);

/* At the first layer W1 (d_in, h): the interpolant W2 (h, C) when W2 is not NULL, the velocity
 * dW₁/dt into dW1 (d_in, h) when dW1 is not NULL, and the mean of the squared training
 * residuals (H W₂ − Y)², returned: round-off when the interpolation holds. NAN when H Hᵀ is not
 * positive definite (H lost rank: too many units dead on the training set). */
double grok_closedform_eval(struct grok_closedform *cf, const double *W1, double *W2, double *dW1);

/* Sets params' second layer (unembed.W_U) to the interpolant at its first layer (mlp.0.W).
 * Returns the mean squared residual, NAN as grok_closedform_eval. */
double grok_closedform_project(struct grok_closedform *cf, float *params);

/* One step of size eta: the first layer moves along its velocity at params, rounded to float,
 * and the second becomes the interpolant at the new first layer. Returns the mean squared
 * residual at the start of the step; NAN (params unchanged) when H Hᵀ is singular at either
 * end. Deterministic: the result depends on params alone. */
double grok_closedform_step(struct grok_closedform *cf, float *params, double eta);

#ifdef __cplusplus
}
#endif

#endif
