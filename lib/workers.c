/* Per-worker model workspaces (include/grok/workers.h). */
#include "grok/workers.h"

#include <stdlib.h>

void grok_workers_free(struct grok_worker *w, int n)
{
    if (!w)
        return;
    for (int i = 0; i < n; i++) {
        grok_work_free(w[i].work);
        free(w[i].grad);
        free(w[i].params);
        free(w[i].tok);
        free(w[i].y);
    }
    free(w);
}

struct grok_worker *grok_workers_new(const struct grok_model *m,
                                     const struct grok_worker_spec *spec, struct grok_err *err)
{
    if (err)
        err->code = GROK_OK;
    if (spec->n <= 0)
        return NULL;
    size_t real = spec->dtype == GROK_F64 ? sizeof(double) : sizeof(float);
    size_t vec = m->n_params * real, rows = (size_t)(spec->max_batch > 0 ? spec->max_batch : 1);
    struct grok_worker *w = calloc((size_t)spec->n, sizeof *w);
    int ok = w != NULL;
    for (int i = 0; ok && i < spec->n; i++) {
        struct grok_worker *k = &w[i];
        k->work = grok_work_new(m, spec->max_batch, spec->dtype, err);
        if (spec->parts & GROK_WORKER_GRAD)
            k->grad = malloc(vec ? vec : 1);
        if (spec->parts & GROK_WORKER_PARAMS)
            k->params = malloc(vec ? vec : 1);
        if (spec->parts & GROK_WORKER_BATCH) {
            k->tok = malloc(rows * (size_t)m->cfg.n_ctx * sizeof *k->tok);
            k->y = malloc(rows * sizeof *k->y);
        }
        ok = k->work && (!(spec->parts & GROK_WORKER_GRAD) || k->grad) &&
             (!(spec->parts & GROK_WORKER_PARAMS) || k->params) &&
             (!(spec->parts & GROK_WORKER_BATCH) || (k->tok && k->y));
    }
    if (!ok) {
        grok_workers_free(w, w ? spec->n : 0);
        grok_err_set(err, GROK_ENOMEM, "out of memory for %d workers' activations", spec->n);
        return NULL;
    }
    return w;
}
