/* GrokAlign's Jacobian regulariser (P4, papers.md; grok-train(1), JACOBIAN REGULARISER): to the
 * batch's loss it adds
 *   R = λ · mean_x ‖J_x‖_F            (--jac-reg λ), or
 *   R = λ · |T − mean_x ‖J_x‖_F|      (--jac-target T, the "inhibit" variant),
 * J_x the Jacobian of the logits at the readout with respect to the example's continuous input
 * (the transformer's token plus position embeddings of the whole context, the MLP's embedding),
 * the mean over the minibatch's draws. ‖J_x‖_F is the paper's estimate √(C ‖vᵀJ_x‖²) from R
 * random unit directions v of the C logits (--jac-projections R, the mean of the R squares), or
 * exact (R = 0). The gradient of R, the path through the embedding included, is exact for the
 * estimate drawn (model.h, grok_model_jac_grad) and is added to the batch's gradient before
 * clipping, first among the transforms. The directions come from a generator of its own, seeded
 * from --seed, so the minibatches stay those of the run without it; its state is in
 * /state/transforms/jacreg. Metric: jac_norm, the last step's mean ‖J_x‖_F over its batch.
 *
 * Owns: the regulariser's workers (two workspaces, a gradient, the directions of each), its
 * generator. Calls: model (the norms and their gradient), train (the batch, the pool), pool,
 * state. Called by train_session. */
#ifndef GROK_JACREG_H
#define GROK_JACREG_H

#ifdef __cplusplus
extern "C" {
#endif

#include "grok/err.h"

struct grok_trainer;

/* Adds to t the regulariser of its config (jac_reg > 0), after the transforms already added and
 * before grok_trainer_resume. GROK_ENOMEM or grok_trainer_add_transform's refusal, with err
 * filled; t unchanged. */
int grok_jacreg_add(struct grok_trainer *t, struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
