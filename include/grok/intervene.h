/* P1's interventions during training (papers.md, P1; grok-train(1), INTERVENTIONS): gradient
 * suppression outside an execution subspace, curvature kicks along the commutator's part outside
 * it, and Gaussian noise outside it — each with its random control — as one gradient transform
 * of the trainer, named "intervene" (transform.h): the suppression acts on the clipped gradient,
 * the kicks and the noise edit the parameters after the update.
 *
 * The subspace is span(B), B the orthonormal columns of a run's /pca/basis (grok-pca's
 * trajectory basis of a finished run), or with --basis-random a random orthonormal basis of the
 * same rank: on the coordinates B covers ("covered") or on every parameter ("all", as P1's
 * ablation code draws it). B is held as blocks of rows (the spans its columns cover; grok-pca's
 * columns each cover one matrix), so a projection costs the blocks' size, not n × C.
 *
 * Owns: the subspace as the interventions hold it, the suppression, the kicks and the noise, the
 * interventions' generator (seeded with --intervene-seed, apart from the trainer's so that the
 * minibatches stay those of the run without them), their metrics and their /state group
 * (/state/transforms/intervene: the generator, the counts, the last values reported, the
 * basis's fingerprint). Calls: train (the trainer's config, model, examples and pool), pca_basis
 * (reading B), pca (orthonormalisation), commute (the defect and the model's gradient oracle:
 * grok-commute's own code), pool, run, state (the generator's bytes), GSL. Called by
 * train_session. */
#ifndef GROK_INTERVENE_H
#define GROK_INTERVENE_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdint.h>

#include "grok/err.h"

struct grok_trainer;

/* Adds to t the "intervene" transform of t's config (grok_trainer_config, with
 * grok_config_intervenes), after the transforms already added and before grok_trainer_resume:
 * reads the basis from the run cfg->basis and checks it (the file opens; it has /pca/basis; the
 * basis is over this model's parameters, finite, and orthonormal to 1e-6), draws the random
 * basis if asked, and allocates every buffer the steps will use, the kicks' gradient oracle on
 * t's training examples and pool. Fails with one line in err naming the run and the fault
 * (GROK_ENOTFOUND "RUN: no /pca/basis (run grok-pca on it first)", GROK_EFORMAT for the rest,
 * GROK_ENOMEM, or grok_trainer_add_transform's refusal), t unchanged. */
int grok_intervention_add(struct grok_trainer *t, struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
