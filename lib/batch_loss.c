/* The trainer's batch loss over a pool of workers (lib/batch_loss.h). */
#include "batch_loss.h"

#include <stdlib.h>
#include <string.h>

int grok_batch_loss_init(struct grok_batch_loss *b, const struct grok_model *m, int max_batch,
                         struct grok_err *err)
{
    *b = (struct grok_batch_loss){.model = m, .n_workers = 1};
    if (!(b->grad = malloc((m->n_params ? m->n_params : 1) * sizeof *b->grad)))
        return grok_err_set(err, GROK_ENOMEM, "out of memory for a model of %zu parameters", m->n_params);
    if (!(b->work = grok_work_new(m, max_batch, GROK_F32, err)))
        return GROK_ENOMEM;
    return GROK_OK;
}

int grok_batch_loss_threads(struct grok_batch_loss *b, int threads, int fewest, struct grok_err *err)
{
    threads = grok_threads(threads);
    int k = threads < GROK_POOL_MAX ? threads : GROK_POOL_MAX;
    if (k > fewest)
        k = fewest;
    if (k <= 1) {
        /* one slice: the threads asked for are OpenBLAS's (one, for --threads 1, so that runs
         * side by side with --threads 1 each take one core, not every core) */
        grok_blas_threads(threads);
        return GROK_OK;
    }
    if (!(b->pool = grok_pool_new(k, err)))
        return err->code;
    /* a model split by columns works in b->work and b->grad alone: its workers need nothing */
    if (!grok_model_splits_columns(b->model)) {
        int most = grok_work_max_batch(b->work);
        struct grok_worker_spec spec = {.n = k - 1, .max_batch = (most + k - 1) / k,
                                        .dtype = GROK_F32, .parts = GROK_WORKER_GRAD};
        if (!(b->slices = grok_workers_new(b->model, &spec, err)))
            return grok_err_set(err, GROK_ENOMEM, "out of memory for %d threads' activations", k);
    }
    b->n_workers = k;
    grok_blas_threads(1);
    return GROK_OK;
}

/* One job of the pool: worker i's slice of the n examples (weights count, NULL for all 1), its
 * share of the loss scale · Σ count·loss (and its gradient, or its count of right answers). */
struct slice_job {
    struct grok_batch_loss *b;
    const float *params;
    const int32_t *tok, *y;
    const double *count;
    int n;
    double scale;
    int with_grad;
    double loss[GROK_POOL_MAX];
    int correct[GROK_POOL_MAX];
};

static void slice_run(void *ctx, int i)
{
    struct slice_job *j = ctx;
    struct grok_batch_loss *b = j->b;
    size_t lo, hi, T = b->model->cfg.n_ctx;
    grok_pool_share(j->n, b->n_workers, i, &lo, &hi);
    struct grok_work *w = i ? b->slices[i - 1].work : b->work;
    float *g = j->with_grad ? (i ? b->slices[i - 1].grad : b->grad) : NULL;
    j->correct[i] = 0;
    j->loss[i] = 0;
    if (hi <= lo) {
        if (g)
            memset(g, 0, b->model->n_params * sizeof *g);
        return;
    }
    j->loss[i] = grok_model_loss_grad_weighted(b->model, w, j->params, g, j->tok + lo * T, j->y + lo,
                                               j->count ? j->count + lo : NULL, (int)(hi - lo),
                                               j->scale, j->with_grad ? NULL : &j->correct[i], NULL);
}

/* The batch's gradient, worker i's share of the parameters: the slices' gradients (each
 * already scaled by the whole batch's scale) added in slice order. */
static void combine_run(void *ctx, int i)
{
    struct slice_job *j = ctx;
    struct grok_batch_loss *b = j->b;
    size_t from, to;
    grok_pool_share(b->model->n_params, b->n_workers, i, &from, &to);
    for (int s = 1; s < b->n_workers; s++) {
        const float *g = b->slices[s - 1].grad;
        for (size_t p = from; p < to; p++)
            b->grad[p] += g[p];
    }
}

double grok_batch_loss(struct grok_batch_loss *b, const float *params, const int32_t *tok,
                       const int32_t *y, const double *count, int n, double scale, int with_grad,
                       int *correct)
{
    /* the MLP's column phases, on the pool or on this thread alone: one code path, the same
     * bytes for the same number of threads */
    if (grok_model_splits_columns(b->model))
        return grok_model_loss_grad_pool(b->model, b->work, b->n_workers > 1 ? b->pool : NULL,
                                         params, with_grad ? b->grad : NULL, tok, y, count, n,
                                         scale, correct);
    if (b->n_workers <= 1)
        return grok_model_loss_grad_weighted(b->model, b->work, params, with_grad ? b->grad : NULL,
                                             tok, y, count, n, scale, correct, NULL);
    struct slice_job job = {.b = b, .params = params, .tok = tok, .y = y, .count = count, .n = n,
                            .scale = scale, .with_grad = with_grad};
    grok_pool_run(b->pool, slice_run, &job);
    double loss = 0;
    int right = 0;
    for (int i = 0; i < b->n_workers; i++) {
        loss += job.loss[i];
        right += job.correct[i];
    }
    if (correct)
        *correct = right;
    if (with_grad)
        grok_pool_run(b->pool, combine_run, &job);
    return loss;
}

void grok_batch_loss_collapse(const struct grok_batch_loss *b, const int32_t *y, int n,
                              long counts[2])
{
    const struct grok_model *m = b->model;
    /* one workspace holds the whole batch's logits: one thread, or the MLP's column phases */
    if (b->n_workers <= 1 || grok_model_splits_columns(m)) {
        grok_model_collapse_count(m, grok_work_logits(m, b->work, n), y, n, counts);
        return;
    }
    for (int i = 0; i < b->n_workers; i++) {   /* slice_run's shares */
        size_t lo, hi;
        grok_pool_share(n, b->n_workers, i, &lo, &hi);
        if (hi <= lo)
            continue;
        const struct grok_work *w = i ? b->slices[i - 1].work : b->work;
        grok_model_collapse_count(m, grok_work_logits(m, w, (int)(hi - lo)), y + lo, (int)(hi - lo),
                                  counts);
    }
}

void grok_batch_loss_free(struct grok_batch_loss *b)
{
    if (!b)
        return;
    grok_pool_free(b->pool);
    grok_workers_free(b->slices, b->n_workers - 1);
    grok_work_free(b->work);
    free(b->grad);
    memset(b, 0, sizeof *b);
}
