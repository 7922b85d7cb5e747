/* Grokfast (Lee et al. 2024, "Grokfast: accelerated grokking by amplifying slow gradients"):
 * a low-pass filter of the gradient added back to it, h the filtered gradient,
 *   ema:ALPHA:LAMBDA   h ← ALPHA h + (1 − ALPHA) g,  g ← g + LAMBDA h   (h starts as the first g)
 *   ma:WINDOW:LAMBDA   h = the mean of the last WINDOW gradients,  g ← g + LAMBDA h once WINDOW
 *                      gradients have been seen (none before: the authors' warm-up)
 * as the authors' gradfilter_ema and gradfilter_ma compute it, as the gradient transform
 * "grokfast" of the trainer (transform.h), before clipping and the optimiser.
 *
 * Owns: the filter, its state (/state/transforms/grokfast) and its metric (grokfast_norm, the
 * norm of LAMBDA h added at the last step). Calls: config (the spec), train (the trainer),
 * run. Called by train_session. */
#ifndef GROK_GROKFAST_H
#define GROK_GROKFAST_H

#ifdef __cplusplus
extern "C" {
#endif

#include "grok/err.h"

struct grok_trainer;

/* Adds to t the Grokfast filter of its config's grokfast setting (which must be set), after the
 * transforms already added and before grok_trainer_resume. GROK_ENOMEM (the moving average keeps
 * WINDOW gradients: WINDOW × n_params floats) or grok_trainer_add_transform's refusal, with err
 * filled; t unchanged. */
int grok_grokfast_add(struct grok_trainer *t, struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
