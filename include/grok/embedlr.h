/* P3's adaptive embedding learning rate (grok-train --embed-lr-auto N; grok-train(1), DATA AND
 * THE EMBEDDING): every N updates the embedding's learning-rate multiplier becomes
 *   c_t = (σ_max(E) / σ_max(W)) · (f_W / f_E),
 * E the embedding (embed.W_E), W the first layer after it (mlp.0.W), σ_max by power iteration
 * (POWER_ITERS products each, warm-started from the last vectors), f the fraction of a block's
 * rows the step updates: f_W = 1, f_E = the distinct tokens of the step's batch over the
 * vocabulary. P3's theorem: the rate that balances the two blocks' effective step sizes. A
 * gradient transform (before clipping) that sets the optimiser's multiplier of embed.W_E; its
 * vectors and c_t are saved in /state/transforms/embedlr. Metric embed_lr_mult: c_t.
 *
 * Owns: the power iteration and the multiplier's updates. Calls: train (model, batch, the
 * optimiser's multiplier), run and state. Called by train_session. */
#ifndef GROK_EMBEDLR_H
#define GROK_EMBEDLR_H

#ifdef __cplusplus
extern "C" {
#endif

#include "grok/err.h"

struct grok_trainer;

/* Adds the adaptive rate to t (an MLP with a learned embedding; the config's embed_lr_auto > 0).
 * GROK_EINVAL for another model, GROK_ENOMEM, or grok_trainer_add_transform's refusal. */
int grok_embedlr_add(struct grok_trainer *t, struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
