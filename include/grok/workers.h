/* Per-worker model workspaces: what each thread of a pool needs to run a model's forward and
 * backward passes on its own, built in one place for the trainer's slices, the commutator's
 * gradient oracle and the alignment's input-gradient oracle.
 *
 * Owns: the workers' memory (activations, and on request a gradient vector, a copy of the
 * parameters and a batch's gathered tokens and answers). Calls: model.h (grok_work_new/free)
 * and the C library; nothing else. It starts no thread: the pool does (pool.h). */
#ifndef GROK_WORKERS_H
#define GROK_WORKERS_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdint.h>

#include "grok/err.h"
#include "grok/model.h"

/* What a worker holds besides its activations. */
enum {
    GROK_WORKER_GRAD = 1,      /* grad: (n_params) in the workspace's real type */
    GROK_WORKER_PARAMS = 2,    /* params: (n_params) in the workspace's real type */
    GROK_WORKER_BATCH = 4,     /* tok (max_batch, n_ctx) and y (max_batch) */
};

/* The workers a pool needs: n of them, each with activations for batches of up to max_batch
 * examples in dtype (GROK_F32 or GROK_F64), and the parts (GROK_WORKER_*) asked for. */
struct grok_worker_spec {
    int n;
    int max_batch;
    enum grok_dtype dtype;
    unsigned parts;
};

/* One worker's memory; a part not asked for is NULL. grad and params are float * for GROK_F32,
 * double * for GROK_F64. */
struct grok_worker {
    struct grok_work *work;
    void *grad;
    void *params;
    int32_t *tok, *y;
};

/* Allocates spec->n workers for model m (which must outlive them). Returns the array, or NULL
 * with err filled (GROK_ENOMEM, "out of memory for N workers' activations") having freed
 * whatever it had allocated; a spec of 0 workers gives NULL with err->code GROK_OK. */
struct grok_worker *grok_workers_new(const struct grok_model *m,
                                     const struct grok_worker_spec *spec, struct grok_err *err);

/* Frees n workers made by grok_workers_new; w may be NULL. */
void grok_workers_free(struct grok_worker *w, int n);

#ifdef __cplusplus
}
#endif

#endif
