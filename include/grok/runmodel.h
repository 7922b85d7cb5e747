/* runmodel: a finished run's model and examples, for the programs that analyse it — the model
 * its /config describes and the /data examples laid out as that model reads them. Lives above
 * both the model maths and storage: calls config (reading /config), data (/data), model, task;
 * called by the analyses' run modules (align_run, commute_run, pca_run). Loading parameters
 * from a snapshot is snapshots.h. */
#ifndef GROK_RUNMODEL_H
#define GROK_RUNMODEL_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdint.h>

#include "grok/err.h"
#include "grok/model.h"
#include "grok/run.h"

/* Builds the model that a run's /config describes into m (the caller's; release it with
 * grok_model_free). Fails like grok_config_read when /config does not describe a model. */
int grok_model_from_run(struct grok_model *m, struct grok_run *run, struct grok_err *err);

/* Reads a run's training ("train") or test ("test") examples as the model sees them: tokens
 * (n, n_ctx) laid out by the run's context, and answers (n). Both arrays are malloc'd for the
 * caller. Fails with GROK_ENOTFOUND (no /data), GROK_EFORMAT (operands outside the task) or
 * GROK_EINVAL (a regression run, whose examples are data.h's grok_data_read_regress). */
int grok_model_examples(struct grok_run *run, const char *set, int32_t **tokens, int32_t **y,
                        int *n, struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
