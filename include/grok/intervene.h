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
 * basis's fingerprint). Calls: pca_basis (reading B), pca (orthonormalisation), commute (the
 * defect and the model's gradient oracle: grok-commute's own code), pool, run, state (the
 * generator's bytes), GSL. Called by train_session. */
#ifndef GROK_INTERVENE_H
#define GROK_INTERVENE_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdint.h>

#include "grok/config.h"
#include "grok/err.h"
#include "grok/model.h"
#include "grok/pool.h"
#include "grok/transform.h"

/* What the interventions need of the trainer. */
struct grok_intervention_input {
    const struct grok_train_config *cfg;   /* resolved, with grok_config_intervenes(cfg) */
    const struct grok_model *model;        /* the trainer's */
    const int32_t *train_tok, *train_y;    /* (n_train, n_ctx), (n_train): the kicks' batches */
    int n_train;
    struct grok_pool *pool;                /* the trainer's workers (grok_trainer_pool), or NULL */
};

/* Fills x with the "intervene" transform of in->cfg (the caller adds it with
 * grok_trainer_add_transform, which owns it from there): reads the basis from the run
 * cfg->basis and checks it (the file opens; it has /pca/basis; the basis is over this model's
 * parameters, finite, and orthonormal to 1e-6), draws the random basis if asked, and allocates
 * every buffer the steps will use. Fails with one line in err naming the run and the fault
 * (GROK_ENOTFOUND "RUN: no /pca/basis (run grok-pca on it first)", GROK_EFORMAT for the rest,
 * GROK_ENOMEM), x untouched. */
int grok_intervention_transform(struct grok_grad_transform *x, const struct grok_intervention_input *in,
                                struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
