/* state: the run's /state group — the full parameters at the last step (a float32 dataset per
 * parameter) and the attribute /state step, from which training resumes. Owns the writing of the
 * parameters there; the trainer adds its own optimizer and generator state beside them. Calls
 * run (the generic HDF5 layer) and array; called by the trainer and cut. grok_model_load
 * (snapshots.h) reads it back with step < 0. */
#ifndef GROK_STATE_H
#define GROK_STATE_H

#ifdef __cplusplus
extern "C" {
#endif

#include "grok/array.h"
#include "grok/err.h"
#include "grok/run.h"

/* Writes /state/<name> for every tensor and the attribute /state step, replacing any state.
 * GROK_EINVAL when a tensor cannot be stored (grok_tensor_check); the group is then left
 * partly written, for the caller to abandon with the run. */
int grok_run_state_write(struct grok_run *run, long long step, const struct grok_tensor *t,
                         int n, struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
