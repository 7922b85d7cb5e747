/* P3's frequency-aware sampling (grok-train --sampler freq:GAMMA; grok-train(1), DATA AND THE
 * EMBEDDING): after each step's gradient, each token i gets the probability
 *   p_i ∝ exp(L_i² / γ),  L_i = |∂L/∂E_i|,
 * the norm of the batch loss's gradient with respect to token i's embedding row (before the
 * other transforms, clipping and freezing), and the next step's minibatch is drawn with
 * replacement, each training pair with probability proportional to the product of its tokens'
 * p (sampler.h, grok_sampler_weighted). The probabilities are the trainer's; this gradient
 * transform, the first of the step's, keeps them up to date and saves them in
 * /state/transforms/sampler. Metric sampler_entropy: their entropy over the vocabulary divided
 * by log(d_vocab) (1 for uniform draws, lower as the draws concentrate).
 *
 * Owns: the update of the probabilities and its metric. Calls: train (the probabilities, the
 * model), run and state (saving). Called by train_session. */
#ifndef GROK_FREQSAMPLE_H
#define GROK_FREQSAMPLE_H

#ifdef __cplusplus
extern "C" {
#endif

#include "grok/err.h"

struct grok_trainer;

/* Adds the update to t, whose config has --sampler freq (and so token probabilities). GROK_ENOMEM
 * or grok_trainer_add_transform's refusal, with err filled; t unchanged. */
int grok_freqsample_add(struct grok_trainer *t, struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
