/* The state of a training run and its step, evaluation and writers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "grok/train.h"

#define RNG_TYPE "mt19937"

/* Tokens of every pair of a set, laid out for the model's context. */
static int32_t *tokens_of(const struct grok_train_config *c, const int32_t *ab, int n)
{
    int32_t *tok = malloc((size_t)(n ? n : 1) * grok_ctx_len(c->ctx) * sizeof *tok);
    if (tok)
        grok_ctx_tokens(c->ctx, c->p, ab, n, tok);
    return tok;
}

/* The optimiser's per-tensor ranges from --lr-mult and --freeze. */
static int optim_ranges(struct grok_trainer *t, struct grok_err *err)
{
    const struct grok_model *m = &t->model;
    struct grok_optim_range *r = calloc(m->n_tensors, sizeof *r);
    if (!r)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    int froze = 0;
    for (int i = 0; i < m->n_tensors; i++) {
        r[i].offset = m->tensors[i].offset;
        r[i].size = m->tensors[i].size;
        r[i].lr_mult = grok_config_lr_mult(t->cfg.lr_mult, m->tensors[i].name);
        r[i].frozen = grok_config_selects(t->cfg.freeze, m->tensors[i].name);
        froze += r[i].frozen;
    }
    int rc = GROK_OK;
    if (t->cfg.freeze[0] && !froze)
        rc = grok_err_set(err, GROK_EINVAL, "--freeze '%s': selects no parameter of the model", t->cfg.freeze);
    if (!rc)
        rc = grok_optim_init(&t->opt, &t->cfg.opt, m->n_params, r, m->n_tensors, err);
    free(r);
    return rc;
}

/* The tensors a snapshot holds: those --snapshot selects, every one when it is empty. */
static int snapshot_set(struct grok_trainer *t, struct grok_err *err)
{
    const struct grok_model *m = &t->model;
    t->all = calloc(m->n_tensors, sizeof *t->all);
    t->snap = calloc(m->n_tensors, sizeof *t->snap);
    if (!t->all || !t->snap)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    grok_model_views(m, t->params, t->all);
    for (int i = 0; i < m->n_tensors; i++)
        if (!t->cfg.snapshot[0] || grok_config_selects(t->cfg.snapshot, t->all[i].name))
            t->snap[t->n_snap++] = t->all[i];
    if (t->n_snap == 0 && t->cfg.snapshot_every > 0)
        return grok_err_set(err, GROK_EINVAL, "--snapshot '%s': selects no parameter of the model",
                            t->cfg.snapshot);
    return GROK_OK;
}

int grok_trainer_init(struct grok_trainer *t, const struct grok_train_config *cfg,
                      struct grok_err *err)
{
    memset(t, 0, sizeof *t);
    t->cfg = *cfg;
    t->last_eval = -1;
    const struct grok_train_config *c = &t->cfg;
    gsl_rng *data_rng = gsl_rng_alloc(gsl_rng_mt19937);
    t->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!data_rng || !t->rng) {
        gsl_rng_free(data_rng);
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    }
    /* GSL's mt19937 maps seed 0 to its default seed; an offset keeps every seed distinct */
    gsl_rng_set(data_rng, (unsigned long)c->data_seed + 1);
    gsl_rng_set(t->rng, (unsigned long)c->seed + 1);
    int rc = grok_dataset_make(&t->data, c->op, c->p, c->frac, c->split, data_rng, err);
    gsl_rng_free(data_rng);
    if (rc)
        return rc;
    if ((rc = grok_model_build(&t->model, &c->model, err)))
        return rc;
    const struct grok_model *m = &t->model;
    int batch = c->batch ? c->batch : t->data.n_train;
    int larger = t->data.n_train > t->data.n_test ? t->data.n_train : t->data.n_test;
    /* evaluations reuse the batch's activations when it is large enough to keep the matrix
     * products efficient, so that evaluating needs no memory a step does not */
    t->eval_chunk = batch >= 256 ? batch : (larger < 256 ? larger : 256);
    t->train_tok = tokens_of(c, t->data.train_ab, t->data.n_train);
    t->test_tok = tokens_of(c, t->data.test_ab, t->data.n_test);
    t->params = malloc(m->n_params * sizeof *t->params);
    t->grad = malloc(m->n_params * sizeof *t->grad);
    t->batch_tok = malloc((size_t)batch * c->model.n_ctx * sizeof *t->batch_tok);
    t->batch_y = malloc((size_t)batch * sizeof *t->batch_y);
    t->batch_count = malloc((size_t)batch * sizeof *t->batch_count);
    t->batch_slot = malloc((size_t)t->data.n_train * sizeof *t->batch_slot);
    t->batch_pick = malloc((size_t)batch * sizeof *t->batch_pick);
    if (!t->train_tok || !t->test_tok || !t->params || !t->grad || !t->batch_tok || !t->batch_y ||
        !t->batch_count || !t->batch_slot || !t->batch_pick)
        return grok_err_set(err, GROK_ENOMEM, "out of memory for a model of %zu parameters, its data and a batch of %d",
                            m->n_params, batch);
    for (int i = 0; i < t->data.n_train; i++)
        t->batch_slot[i] = -1;
    t->work = grok_work_new(m, batch > t->eval_chunk ? batch : t->eval_chunk, GROK_F32, err);
    if (!t->work)
        return GROK_ENOMEM;
    if ((rc = optim_ranges(t, err)) || (rc = snapshot_set(t, err)))
        return rc;
    /* A glob that selects nothing is a typo; a multiplier of 1 is not (a sweep over C has it). */
    const char *names[m->n_tensors > 0 ? m->n_tensors : 1];
    char glob[GROK_CFG_TEXT];
    for (int i = 0; i < m->n_tensors; i++)
        names[i] = m->tensors[i].name;
    if (grok_config_unmatched_glob(c->lr_mult, names, m->n_tensors, glob, sizeof glob))
        return grok_err_set(err, GROK_EINVAL, "--lr-mult '%s': '%s' selects no parameter of the model",
                            c->lr_mult, glob);
    grok_model_init(m, t->params, c->init, c->init_scale, t->rng);
    return GROK_OK;
}

void grok_trainer_free(struct grok_trainer *t)
{
    if (!t)
        return;
    grok_dataset_free(&t->data);
    free(t->train_tok);
    free(t->test_tok);
    grok_model_free(&t->model);
    free(t->params);
    free(t->grad);
    grok_optim_free(&t->opt);
    grok_work_free(t->work);
    free(t->batch_tok);
    free(t->batch_y);
    free(t->batch_count);
    free(t->batch_slot);
    free(t->batch_pick);
    if (t->rng)
        gsl_rng_free(t->rng);
    free(t->all);
    free(t->snap);
    grok_pool_free(t->pool);
    for (int i = 1; i < t->n_workers; i++) {
        grok_work_free(t->wwork[i]);
        free(t->wgrad[i]);
    }
    memset(t, 0, sizeof *t);
}

int grok_trainer_load_params(struct grok_trainer *t, struct grok_run *run, struct grok_err *err)
{
    return grok_model_load(&t->model, run, -1, t->params, err);
}

/* Reads a float vector of exactly n values from path. */
static int read_vector(struct grok_run *run, const char *path, float *out, size_t n,
                       struct grok_err *err)
{
    struct grok_array a = {0};
    int rc = grok_run_read(run, path, GROK_F32, &a, err);
    if (rc)
        return rc;
    if (a.n != n) {
        grok_array_free(&a);
        return grok_err_set(err, GROK_EFORMAT, "%s: %s holds %zu values, the model needs %zu",
                            grok_run_name(run), path, a.n, n);
    }
    memcpy(out, a.data, n * sizeof *out);
    grok_array_free(&a);
    return GROK_OK;
}

int grok_trainer_resume(struct grok_trainer *t, struct grok_run *run, struct grok_err *err)
{
    const char *name = grok_run_name(run);
    long long step = 0, opt_t = 0, streak = 0;
    int rc;
    if ((rc = grok_model_load(&t->model, run, -1, t->params, err)) ||
        (rc = read_vector(run, "/state/opt/m", t->opt.m, t->model.n_params, err)) ||
        (rc = read_vector(run, "/state/opt/v", t->opt.v, t->model.n_params, err)) ||
        (rc = grok_run_attr_get_int(run, "/state", "step", &step, err)) ||
        (rc = grok_run_attr_get_int(run, "/state", "opt_t", &opt_t, err)) ||
        (rc = grok_run_attr_get_int(run, "/state", "stop_streak", &streak, err)))
        return rc;
    char *type = NULL;
    if ((rc = grok_run_attr_get_str(run, "/state", "rng_type", &type, err)))
        return rc;
    int same_type = strcmp(type, RNG_TYPE) == 0;
    free(type);
    struct grok_array a = {0};
    if ((rc = grok_run_read(run, "/state/rng", GROK_I64, &a, err)))
        return rc;
    size_t bytes = gsl_rng_size(t->rng);
    if (!same_type || a.n != (bytes + 7) / 8) {
        grok_array_free(&a);
        return grok_err_set(err, GROK_EFORMAT, "%s: /state/rng is not a %s state of this machine", name, RNG_TYPE);
    }
    /* GSL's mt19937 state is {unsigned long mt[624]; int mti;}: a position outside 0..624 would
     * index past the table, so a tampered state is refused rather than trusted */
    int mti;
    memcpy(&mti, (const char *)a.data + 624 * sizeof(unsigned long), sizeof mti);
    if (mti < 0 || mti > 624) {
        grok_array_free(&a);
        return grok_err_set(err, GROK_EFORMAT, "%s: /state/rng is not a valid %s state", name, RNG_TYPE);
    }
    memcpy(gsl_rng_state(t->rng), a.data, bytes);
    grok_array_free(&a);
    if (step < 0 || opt_t < 0 || opt_t > step || streak < 0 || streak > 3)
        return grok_err_set(err, GROK_EFORMAT, "%s: /state's step, opt_t or stop_streak is out of range", name);
    t->step = step;
    t->opt.t = opt_t;
    t->streak = (int)streak;
    return GROK_OK;
}

/* The minibatch of this step: the training set (full batch), or draws with replacement, each
 * distinct example once with its count (*count; NULL for the full batch). The gradient of the
 * mean over the draws is the count-weighted sum over distinct examples divided by the draws
 * (*scale): the same number, without the forward and backward passes of a repeated example
 * (a batch of 512 from P1's 4704 pairs repeats ~5% of its draws, P3's 2823 ~9%). Returns the
 * number of distinct examples; the generator's draws are those of a plain gather. */
static int gather_batch(struct grok_trainer *t, const int32_t **tok, const int32_t **y,
                        const double **count, double *scale)
{
    if (!t->cfg.batch) {
        *tok = t->train_tok;
        *y = t->data.train_y;
        *count = NULL;
        *scale = 1.0 / t->data.n_train;
        return t->data.n_train;
    }
    int T = t->cfg.model.n_ctx, n = 0;
    for (int i = 0; i < t->cfg.batch; i++) {
        int j = (int)gsl_rng_uniform_int(t->rng, (unsigned long)t->data.n_train);
        if (t->batch_slot[j] >= 0) {
            t->batch_count[t->batch_slot[j]] += 1;
            continue;
        }
        t->batch_slot[j] = n;
        t->batch_pick[n] = j;
        memcpy(t->batch_tok + (size_t)n * T, t->train_tok + (size_t)j * T, T * sizeof *tok[0]);
        t->batch_y[n] = t->data.train_y[j];
        t->batch_count[n++] = 1;
    }
    for (int u = 0; u < n; u++)   /* the marks go, for the next draw */
        t->batch_slot[t->batch_pick[u]] = -1;
    *tok = t->batch_tok;
    *y = t->batch_y;
    *count = t->batch_count;
    *scale = 1.0 / t->cfg.batch;
    return n;
}

int grok_trainer_set_threads(struct grok_trainer *t, int threads, struct grok_err *err)
{
    threads = grok_threads(threads);
    int batch = t->cfg.batch ? t->cfg.batch : t->data.n_train;
    int k = threads < GROK_POOL_MAX ? threads : GROK_POOL_MAX;
    if (k > batch)
        k = batch;
    if (k <= 1) {
        /* one slice: the threads asked for are OpenBLAS's (one, for --threads 1, so that runs
         * side by side with --threads 1 each take one core, not every core) */
        grok_blas_threads(threads);
        return GROK_OK;
    }
    int most = batch > t->eval_chunk ? batch : t->eval_chunk;
    int slice = (most + k - 1) / k;
    if (!(t->pool = grok_pool_new(k, err)))
        return err->code;
    /* a model split by columns works in t->work and t->grad alone: its workers need nothing */
    int slices = !grok_model_splits_columns(&t->model);
    for (t->n_workers = 1; slices && t->n_workers < k; t->n_workers++) {
        int i = t->n_workers;
        t->wgrad[i] = malloc(t->model.n_params * sizeof *t->wgrad[i]);
        if (!t->wgrad[i] || !(t->wwork[i] = grok_work_new(&t->model, slice, GROK_F32, err))) {
            t->n_workers++;   /* so that grok_trainer_free releases this one too */
            return grok_err_set(err, GROK_ENOMEM, "out of memory for %d threads' activations", k);
        }
    }
    t->n_workers = k;
    grok_blas_threads(1);
    return GROK_OK;
}

/* One job of the pool: worker i's slice of the n examples (weights count, NULL for all 1), its
 * share of the loss scale · Σ count·loss (and its gradient, or its count of right answers). */
struct slice_job {
    struct grok_trainer *t;
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
    struct grok_trainer *t = j->t;
    size_t lo, hi, T = t->cfg.model.n_ctx;
    grok_pool_share(j->n, t->n_workers, i, &lo, &hi);
    struct grok_work *w = i ? t->wwork[i] : t->work;
    float *g = j->with_grad ? (i ? t->wgrad[i] : t->grad) : NULL;
    j->correct[i] = 0;
    j->loss[i] = 0;
    if (hi <= lo) {
        if (g)
            memset(g, 0, t->model.n_params * sizeof *g);
        return;
    }
    j->loss[i] = grok_model_loss_grad_weighted(&t->model, w, t->params, g, j->tok + lo * T, j->y + lo,
                                               j->count ? j->count + lo : NULL, (int)(hi - lo),
                                               j->scale, j->with_grad ? NULL : &j->correct[i], NULL);
}

/* The batch's gradient, worker i's share of the parameters: the slices' gradients (each
 * already scaled by the whole batch's scale) added in slice order. */
static void combine_run(void *ctx, int i)
{
    struct slice_job *j = ctx;
    struct grok_trainer *t = j->t;
    size_t from, to;
    grok_pool_share(t->model.n_params, t->n_workers, i, &from, &to);
    for (int s = 1; s < t->n_workers; s++) {
        const float *g = t->wgrad[s];
        for (size_t p = from; p < to; p++)
            t->grad[p] += g[p];
    }
}

/* scale · Σ count·loss over n examples at the current parameters: on one thread, or over the
 * workers' slices. With grad, t->grad receives its gradient; otherwise *correct counts the
 * right answers. */
static double batch_loss(struct grok_trainer *t, const int32_t *tok, const int32_t *y,
                         const double *count, int n, double scale, int with_grad, int *correct)
{
    /* the MLP's column phases, on the pool or on this thread alone: one code path, the same
     * bytes for the same number of threads */
    if (grok_model_splits_columns(&t->model))
        return grok_model_loss_grad_pool(&t->model, t->work, t->n_workers > 1 ? t->pool : NULL,
                                         t->params, with_grad ? t->grad : NULL, tok, y, count, n,
                                         scale, correct);
    if (t->n_workers <= 1)
        return grok_model_loss_grad_weighted(&t->model, t->work, t->params,
                                             with_grad ? t->grad : NULL, tok, y, count, n, scale,
                                             correct, NULL);
    struct slice_job job = {.t = t, .tok = tok, .y = y, .count = count, .n = n, .scale = scale,
                            .with_grad = with_grad};
    grok_pool_run(t->pool, slice_run, &job);
    double loss = 0;
    int right = 0;
    for (int i = 0; i < t->n_workers; i++) {
        loss += job.loss[i];
        right += job.correct[i];
    }
    if (correct)
        *correct = right;
    if (with_grad)
        grok_pool_run(t->pool, combine_run, &job);
    return loss;
}

/* A step's work after the gradient, in worker i's share of the parameters: the sum of
 * squares for the norm, then (once the norm is known) clipping and the optimiser's update. */
struct update_job {
    struct grok_trainer *t;
    float clip_scale;
    double sumsq[GROK_POOL_MAX];
};

static void sumsq_run(void *ctx, int i)
{
    struct update_job *u = ctx;
    size_t lo, hi;
    grok_pool_share(u->t->model.n_params, u->t->n_workers, i, &lo, &hi);
    u->sumsq[i] = grok_optim_sumsq(&u->t->opt, u->t->grad, lo, hi);
}

static void update_run(void *ctx, int i)
{
    struct update_job *u = ctx;
    struct grok_trainer *t = u->t;
    size_t lo, hi;
    grok_pool_share(t->model.n_params, t->n_workers, i, &lo, &hi);
    if (u->clip_scale != 1.0f)
        for (size_t p = lo; p < hi; p++)
            t->grad[p] *= u->clip_scale;
    grok_optim_update(&t->opt, t->params, t->grad, lo, hi);
}

double grok_trainer_step(struct grok_trainer *t)
{
    const int32_t *tok, *y;
    const double *count;
    double scale;
    int n = gather_batch(t, &tok, &y, &count, &scale);
    double loss = batch_loss(t, tok, y, count, n, scale, 1, NULL);
    if (t->n_workers <= 1) {
        double norm = grok_optim_clip(&t->opt, t->grad, t->cfg.clip);
        if (!isfinite(loss) || !isfinite(norm))
            return NAN;
        grok_optim_update(&t->opt, t->params, t->grad, 0, t->model.n_params);
    } else {
        struct update_job u = {.t = t};
        grok_pool_run(t->pool, sumsq_run, &u);
        double ss = 0;
        for (int i = 0; i < t->n_workers; i++)
            ss += u.sumsq[i];
        double norm = sqrt(ss);
        if (!isfinite(loss) || !isfinite(norm))
            return NAN;
        u.clip_scale = grok_optim_clip_scale(norm, t->cfg.clip);
        grok_pool_run(t->pool, update_run, &u);
    }
    grok_optim_advance(&t->opt);
    t->step++;
    return loss;
}

/* Mean loss and accuracy over a whole set, in chunks that fit the workspace. */
static void eval_set(struct grok_trainer *t, const int32_t *tok, const int32_t *y, int n,
                     double *loss, double *acc)
{
    double sum = 0;
    long right = 0;
    int T = t->cfg.model.n_ctx;
    for (int at = 0; at < n; at += t->eval_chunk) {
        int k = n - at < t->eval_chunk ? n - at : t->eval_chunk, correct = 0;
        double mean = batch_loss(t, tok + (size_t)at * T, y + at, NULL, k, 1.0 / k, 0, &correct);
        sum += mean * k;
        right += correct;
    }
    *loss = sum / n;
    *acc = (double)right / n;
}

void grok_trainer_eval(struct grok_trainer *t, struct grok_eval *e)
{
    e->step = t->step;
    eval_set(t, t->train_tok, t->data.train_y, t->data.n_train, &e->train_loss, &e->train_acc);
    eval_set(t, t->test_tok, t->data.test_y, t->data.n_test, &e->test_loss, &e->test_acc);
    double ss = 0;
    for (size_t i = 0; i < t->model.n_params; i++)
        ss += (double)t->params[i] * t->params[i];
    e->param_norm = sqrt(ss);
    e->lr = grok_optim_lr(&t->cfg.opt, t->opt.t);
}

int grok_trainer_should_stop(struct grok_trainer *t, const struct grok_eval *e)
{
    if (t->cfg.stop_at <= 0)
        return 0;
    t->streak = e->test_acc >= t->cfg.stop_at ? t->streak + 1 : 0;
    return t->streak >= 3;
}

static int write_ints(struct grok_run *run, const char *path, int32_t *v, int rows, int cols,
                      struct grok_err *err)
{
    struct grok_array a = {.dtype = GROK_I32, .rank = cols > 1 ? 2 : 1, .shape = {rows, cols},
                           .n = (size_t)rows * cols, .data = v};
    return grok_run_write_array(run, path, &a, err);
}

int grok_trainer_write_setup(struct grok_trainer *t, struct grok_run *run, struct grok_err *err)
{
    const struct grok_dataset *d = &t->data;
    int rc;
    if ((rc = grok_config_write(run, &t->cfg, err)) ||
        (rc = write_ints(run, "/data/train", d->train_ab, d->n_train, 2, err)) ||
        (rc = write_ints(run, "/data/train_y", d->train_y, d->n_train, 1, err)) ||
        (rc = write_ints(run, "/data/test", d->test_ab, d->n_test, 2, err)) ||
        (rc = write_ints(run, "/data/test_y", d->test_y, d->n_test, 1, err)))
        return rc;
    return GROK_OK;
}

int grok_trainer_write_metrics(struct grok_run *run, const struct grok_eval *e, struct grok_err *err)
{
    const double values[6] = {e->train_loss, e->train_acc, e->test_loss, e->test_acc, e->param_norm, e->lr};
    char path[64];
    int rc = grok_run_column_append(run, "/metrics/step", GROK_I64, &e->step, 1, err);
    for (int i = 0; !rc && i < 6; i++) {
        snprintf(path, sizeof path, "/metrics/%s", grok_metric_names[i + 1]);
        rc = grok_run_column_append(run, path, GROK_F64, &values[i], 1, err);
    }
    return rc ? rc : grok_run_flush(run, err);
}

int grok_trainer_write_snapshot(struct grok_trainer *t, struct grok_run *run, struct grok_err *err)
{
    int rc = grok_run_snapshot_append(run, t->step, t->snap, t->n_snap, err);
    return rc ? rc : grok_run_flush(run, err);
}

int grok_trainer_write_state(struct grok_trainer *t, struct grok_run *run, struct grok_err *err)
{
    const struct grok_model *m = &t->model;
    int rc = grok_run_state_write(run, t->step, t->all, m->n_tensors, err);
    size_t bytes = gsl_rng_size(t->rng), words = (bytes + 7) / 8;
    int64_t *packed = calloc(words, sizeof *packed);
    if (!rc && !packed)
        rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
    if (!rc) {
        memcpy(packed, gsl_rng_state(t->rng), bytes);
        struct grok_array moment = {.dtype = GROK_F32, .rank = 1, .shape = {m->n_params}, .n = m->n_params};
        struct grok_array rng = {.dtype = GROK_I64, .rank = 1, .shape = {words}, .n = words, .data = packed};
        moment.data = t->opt.m;
        rc = grok_run_write_array(run, "/state/opt/m", &moment, err);
        moment.data = t->opt.v;
        if (!rc)
            rc = grok_run_write_array(run, "/state/opt/v", &moment, err);
        if (!rc)
            rc = grok_run_write_array(run, "/state/rng", &rng, err);
    }
    free(packed);
    if (!rc)
        rc = grok_run_attr_set_int(run, "/state", "opt_t", t->opt.t, err);
    if (!rc)
        rc = grok_run_attr_set_int(run, "/state", "stop_streak", t->streak, err);
    if (!rc)
        rc = grok_run_attr_set_str(run, "/state", "rng_type", RNG_TYPE, err);
    return rc ? rc : grok_run_flush(run, err);
}

/* Evaluates, writes the row and tells the hook. A non-finite loss writes nothing and returns
 * GROK_TRAIN_NONFINITE, so that the run keeps only finite evaluations. */
static int evaluate(struct grok_trainer *t, struct grok_run *run, const struct grok_train_hooks *h,
                    struct grok_eval *e, struct grok_err *err)
{
    grok_trainer_eval(t, e);
    if (!isfinite(e->train_loss) || !isfinite(e->test_loss))
        return GROK_TRAIN_NONFINITE;
    if (run && grok_trainer_write_metrics(run, e, err))
        return GROK_TRAIN_FAILED;
    t->last_eval = e->step;
    if (h && h->on_eval)
        h->on_eval(h->ctx, e);
    return GROK_TRAIN_DONE;
}

enum grok_train_end grok_train_loop(struct grok_trainer *t, struct grok_run *run, int fresh,
                                    const struct grok_train_hooks *h, struct grok_err *err)
{
    const struct grok_train_config *c = &t->cfg;
    struct grok_eval e = {.step = -1};
    int end = GROK_TRAIN_DONE;
    if (fresh) {
        if ((end = evaluate(t, run, h, &e, err)))
            return end == GROK_TRAIN_FAILED ? GROK_TRAIN_FAILED : GROK_TRAIN_NONFINITE;
        if (run && c->snapshot_every > 0 && grok_trainer_write_snapshot(t, run, err))
            return GROK_TRAIN_FAILED;
    }
    /* a run that reached --stop-at before stays stopped, as it would have in one go */
    if (c->stop_at > 0 && t->streak >= 3)
        end = GROK_TRAIN_STOPPED;
    while (end == GROK_TRAIN_DONE && t->step < c->steps) {
        if (h && h->interrupted && h->interrupted()) {
            end = GROK_TRAIN_INTERRUPTED;
            break;
        }
        if (isnan(grok_trainer_step(t))) {
            end = GROK_TRAIN_NONFINITE;
            break;
        }
        if (h && h->on_step)
            h->on_step(h->ctx, t->step);
        int on_cadence = t->step % c->eval_every == 0, stop = 0;
        if (on_cadence || t->step == c->steps) {
            if ((end = evaluate(t, run, h, &e, err)))
                break;
            /* only evaluations on the cadence count, so that a resumed run drops the others */
            stop = on_cadence && grok_trainer_should_stop(t, &e);
        }
        if (run && c->snapshot_every > 0 && t->step % c->snapshot_every == 0 &&
            grok_trainer_write_snapshot(t, run, err))
            return GROK_TRAIN_FAILED;
        if (stop) {
            end = GROK_TRAIN_STOPPED;
            break;
        }
    }
    if (end == GROK_TRAIN_FAILED)
        return GROK_TRAIN_FAILED;
    /* the last step always has its evaluation: after an interruption, or when a continued run
     * had its off-cadence one dropped */
    if (end != GROK_TRAIN_NONFINITE && t->last_eval != t->step) {
        int got = evaluate(t, run, h, &e, err);
        if (got == GROK_TRAIN_FAILED)
            return GROK_TRAIN_FAILED;
        if (got == GROK_TRAIN_NONFINITE)
            end = GROK_TRAIN_NONFINITE;
    }
    /* a diverged run keeps its finite evaluations and snapshots, but no state to resume from */
    if (end != GROK_TRAIN_NONFINITE && run && grok_trainer_write_state(t, run, err))
        return GROK_TRAIN_FAILED;
    return end;
}

/* Drops the rows of a run's /metrics or /snapshots group after the first `keep`. */
static int keep_rows(struct grok_run *run, const char *group, size_t keep, struct grok_err *err)
{
    char **names = NULL;
    size_t n = 0;
    int rc = grok_run_children(run, group, &names, &n, err);
    for (size_t i = 0; !rc && i < n; i++) {
        char path[GROK_MAX_NAME + 32];
        if (!(rc = grok_run_path(path, sizeof path, group, names[i], err)))
            rc = grok_run_rows_keep(run, path, keep, err);
    }
    grok_names_free(names, n);
    return rc;
}

/* The number of leading rows of the step column at path with a step on the cadence or below
 * `upto`: what a continued run keeps. */
static int rows_to_keep(struct grok_run *run, const char *path, long long every, long long upto,
                        size_t *keep, long long *last, struct grok_err *err)
{
    struct grok_array steps = {0};
    int rc = grok_run_read(run, path, GROK_I64, &steps, err);
    if (rc)
        return rc;
    const long long *s = steps.data;
    *keep = steps.n;
    while (*keep > 0 && (s[*keep - 1] > upto || (every > 0 && s[*keep - 1] % every != 0)))
        (*keep)--;
    *last = *keep > 0 ? s[*keep - 1] : -1;
    grok_array_free(&steps);
    return GROK_OK;
}

int grok_train_resume_run(struct grok_trainer *t, struct grok_run *out, struct grok_run *in,
                          struct grok_err *err)
{
    const struct grok_train_config *c = &t->cfg;
    int rc;
    if ((rc = grok_run_copy_history(out, in, err)) || (rc = grok_trainer_write_setup(t, out, err)))
        return rc;
    const char *groups[2] = {"/metrics", "/snapshots"};
    const long long every[2] = {c->eval_every, c->snapshot_every};
    for (int g = 0; g < 2; g++) {
        char path[64];
        snprintf(path, sizeof path, "%s/step", groups[g]);
        if (!grok_run_exists(in, path))
            continue;
        size_t keep;
        long long last;
        if ((rc = grok_run_copy(out, in, groups[g], err)) ||
            (rc = rows_to_keep(out, path, every[g], t->step, &keep, &last, err)) ||
            (rc = keep_rows(out, groups[g], keep, err)))
            return rc;
        if (g == 0)
            t->last_eval = last;
    }
    return GROK_OK;
}
