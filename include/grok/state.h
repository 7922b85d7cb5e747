/* state: the run's /state group — the full parameters at the last step (a float32 dataset per
 * parameter) and the attribute /state step, from which training resumes. Owns the writing of the
 * parameters there and the bytes of a generator's state (the trainer's, the interventions'); the
 * trainer adds its own optimizer state beside them. Calls
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

#include <gsl/gsl_rng.h>

/* Writes /state/<name> for every tensor and the attribute /state step, replacing any state.
 * GROK_EINVAL when a tensor cannot be stored (grok_tensor_check); the group is then left
 * partly written, for the caller to abandon with the run. */
int grok_run_state_write(struct grok_run *run, long long step, const struct grok_tensor *t,
                         int n, struct grok_err *err);

/* Reads the dataset at path as `as` (GROK_F32 or GROK_F64) into out, which holds exactly n
 * values: the optimiser's moments, a gradient transform's state. Fails with grok_run_read's
 * error, or GROK_EFORMAT "RUN: PATH holds N values, M are needed"; out is untouched then. */
int grok_state_read_exact(struct grok_run *run, const char *path, enum grok_dtype as, void *out,
                          size_t n, struct grok_err *err);

/* The name of the generator whose state these functions store (the trainer's and the
 * interventions'), kept in an attribute rng_type beside it. */
#define GROK_STATE_RNG_TYPE "mt19937"

/* A generator's state as the dataset `path` of run: the gsl_rng_size(rng) bytes at
 * gsl_rng_state(rng), GSL's own API for a generator's state, packed into 64-bit words (the last
 * zero-padded). The caller writes the attribute rng_type (GROK_STATE_RNG_TYPE) on an object of
 * its choice (/state for the trainer's: the bytes earlier versions wrote, so their runs resume).
 * GROK_ENOMEM or the write's error with err filled. */
int grok_state_rng_write(struct grok_run *run, const char *path, const gsl_rng *rng,
                         struct grok_err *err);

/* Restores rng (an mt19937 generator) from the dataset `path`, checking type_obj's rng_type
 * attribute and the state's one field a draw indexes with; a refused state (GROK_EFORMAT "RUN:
 * PATH is not a valid mt19937 state") leaves rng as it was. */
int grok_state_rng_read(struct grok_run *run, const char *path, const char *type_obj, gsl_rng *rng,
                        struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
