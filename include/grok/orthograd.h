/* ⊥Grad (Prieto et al. 2025, "Grokking at the edge of numerical stability"): each parameter
 * tensor's gradient loses its component along that tensor's weights,
 *   g ← g − (⟨g, w⟩ / ‖w‖²) w,
 * and, as the authors' OrthoGrad optimiser does (--ortho-grad rescale, the default), is scaled
 * back to the norm it had; the paper's text states the projection alone (--ortho-grad plain).
 * Every tensor is projected, biases and LayerNorm included, as the authors' code projects every
 * parameter with a gradient; a frozen tensor's gradient is zeroed by clipping afterwards anyway.
 * The gradient transform "orthograd" of the trainer (transform.h), before clipping.
 *
 * Owns: the projection and its metric (ortho_parallel: the share of the last step's gradient
 * norm along the weights, over all tensors). Calls: train (the trainer's model), model (the
 * tensors' offsets). Called by train_session. */
#ifndef GROK_ORTHOGRAD_H
#define GROK_ORTHOGRAD_H

#ifdef __cplusplus
extern "C" {
#endif

#include "grok/err.h"

struct grok_trainer;

/* Adds to t the ⊥Grad projection of its config's ortho_grad setting (1 rescale, 2 plain; which
 * must be set), after the transforms already added and before grok_trainer_resume. GROK_ENOMEM
 * or grok_trainer_add_transform's refusal, with err filled; t unchanged. */
int grok_orthograd_add(struct grok_trainer *t, struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
