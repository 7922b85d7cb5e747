/* The trainer's state and its lifecycle (include/grok/train.h; the struct in train_impl.h). */
#include <stdlib.h>
#include <string.h>

#include "grok/metrics.h"
#include "grok/snapshots.h"

#include "train_impl.h"

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
    for (int i = 0; i < m->n_tensors; i++) {
        r[i].offset = m->tensors[i].offset;
        r[i].size = m->tensors[i].size;
        r[i].lr_mult = grok_config_lr_mult(t->cfg.lr_mult, m->tensors[i].name);
        r[i].frozen = grok_config_selects(t->cfg.freeze, m->tensors[i].name);
    }
    int rc = grok_optim_init(&t->opt, &t->cfg.opt, m->n_params, r, m->n_tensors, err);
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
    /* grok_config_check_params refuses this in the setting's own words; a guard for callers
     * that skip it, since a snapshot of nothing cannot be appended */
    if (t->n_snap == 0 && t->cfg.snapshot_every > 0)
        return grok_err_set(err, GROK_EINVAL, "the snapshot list '%s' selects no parameter of the model",
                            t->cfg.snapshot);
    return GROK_OK;
}

/* --init-values: the parameters as given, over what the initialisation drew (its count is
 * grok_config_check_params's; checked again here for a caller that skips it). */
static int init_values(struct grok_trainer *t, struct grok_err *err)
{
    const struct grok_model *m = &t->model;
    if (!t->cfg.init_values[0])
        return GROK_OK;
    double v[GROK_CFG_TEXT];
    int n = grok_config_parse_values("--init-values", t->cfg.init_values, v, GROK_CFG_TEXT, err);
    if (n < 0)
        return GROK_EINVAL;
    if ((size_t)n != m->n_params)
        return grok_err_set(err, GROK_EINVAL, "--init-values: %d values for a model of %zu parameters",
                            n, m->n_params);
    for (int i = 0; i < n; i++)
        t->params[i] = (float)v[i];
    return GROK_OK;
}

/* The modular task's tokens, and the sampler that draws batches of them (a regression has
 * neither: its whole training set is every step's batch). Fails only for memory. */
static int token_data(struct grok_trainer *t, struct grok_err *err)
{
    const struct grok_train_config *c = &t->cfg;
    t->train_tok = tokens_of(c, t->data.train_ab, t->data.n_train);
    t->test_tok = tokens_of(c, t->data.test_ab, t->data.n_test);
    struct grok_examples train = {.tok = t->train_tok, .y = t->data.train_y, .n = t->data.n_train,
                                  .n_ctx = c->model.n_ctx};
    double gamma = 0;
    grok_config_parse_sampler("--sampler", c->sampler, &gamma, err);
    if (gamma > 0 && (t->token_p = malloc((size_t)c->model.d_vocab * sizeof *t->token_p)))
        for (int i = 0; i < c->model.d_vocab; i++)
            t->token_p[i] = 1.0 / c->model.d_vocab;   /* uniform until a step's gradient says */
    if (!t->train_tok || !t->test_tok || (gamma > 0 && !t->token_p) ||
        (c->batch ? grok_sampler_weighted(&t->sampler, &train, c->batch, t->token_p, err)
                  : grok_sampler_full(&t->sampler, &train, err)))
        return GROK_ENOMEM;
    return GROK_OK;
}

/* Everything of grok_trainer_new but the allocation of t itself. */
static int setup(struct grok_trainer *t, const struct grok_train_config *cfg, struct grok_err *err)
{
    t->cfg = *cfg;
    t->last_eval = -1;
    t->last_snap = -1;
    const struct grok_train_config *c = &t->cfg;
    gsl_rng *data_rng = gsl_rng_alloc(gsl_rng_mt19937);
    t->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!data_rng || !t->rng) {
        if (data_rng)
            gsl_rng_free(data_rng);
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    }
    /* GSL's mt19937 maps seed 0 to its default seed; an offset keeps every seed distinct */
    gsl_rng_set(data_rng, (unsigned long)c->data_seed + 1);
    gsl_rng_set(t->rng, (unsigned long)c->seed + 1);
    struct grok_split_spec split = {.frac = c->frac, .test_frac = c->test_frac, .split = c->split,
                                    .skew = c->split_skew, .unordered = c->unordered};
    int rc = grok_trainer_regression(t) ? grok_regress_make(&t->regress, c->model.n_ctx, data_rng, err)
                           : grok_dataset_make(&t->data, c->op, c->p, &split, data_rng, err);
    gsl_rng_free(data_rng);
    if (rc)
        return rc;
    if (grok_trainer_regression(t)) {   /* the sizes, which the batch and evaluation chunks are set from */
        t->data.n_train = t->regress.n_train;
        t->data.n_test = t->regress.n_test;
    }
    if ((rc = grok_model_build(&t->model, &c->model, err)))
        return rc;
    const struct grok_model *m = &t->model;
    int batch = c->batch ? c->batch : t->data.n_train;
    int larger = t->data.n_train > t->data.n_test ? t->data.n_train : t->data.n_test;
    /* evaluations reuse the batch's activations when it is large enough to keep the matrix
     * products efficient, so that evaluating needs no memory a step does not */
    t->eval_chunk = batch >= 256 ? batch : (larger < 256 ? larger : 256);
    t->params = malloc(m->n_params * sizeof *t->params);
    if (!t->params || (!grok_trainer_regression(t) && token_data(t, err)))
        return grok_err_set(err, GROK_ENOMEM, "out of memory for a model of %zu parameters, its data and a batch of %d",
                            m->n_params, batch);
    if ((rc = grok_batch_loss_init(&t->loss, m, batch > t->eval_chunk ? batch : t->eval_chunk, err)))
        return rc;
    if ((rc = optim_ranges(t, err)) || (rc = snapshot_set(t, err)))
        return rc;
    grok_model_init(m, t->params, c->init, c->init_scale, t->rng);
    if ((rc = init_values(t, err)))
        return rc;
    if (c->dynamics) {
        if (!(t->closed = grok_closedform_new(m, t->train_tok, t->data.train_y, t->data.n_train, err)))
            return err->code;
        grok_trainer_project(t);
    }
    return GROK_OK;
}

struct grok_trainer *grok_trainer_new(const struct grok_train_config *cfg, struct grok_err *err)
{
    struct grok_trainer *t = calloc(1, sizeof *t);
    if (!t) {
        grok_err_set(err, GROK_ENOMEM, "out of memory");
        return NULL;
    }
    if (setup(t, cfg, err)) {
        grok_trainer_free(t);
        return NULL;
    }
    return t;
}

void grok_trainer_free(struct grok_trainer *t)
{
    if (!t)
        return;
    grok_dataset_free(&t->data);
    grok_regress_free(&t->regress);
    grok_closedform_free(t->closed);
    free(t->train_tok);
    free(t->test_tok);
    grok_model_free(&t->model);
    free(t->params);
    grok_optim_free(&t->opt);
    grok_batch_loss_free(&t->loss);
    grok_sampler_free(&t->sampler);
    free(t->token_p);
    grok_transforms_free(&t->transforms);
    if (t->rng)
        gsl_rng_free(t->rng);
    free(t->all);
    free(t->snap);
    free(t);
}

int grok_trainer_set_threads(struct grok_trainer *t, int threads, struct grok_err *err)
{
    return grok_batch_loss_threads(&t->loss, threads, t->cfg.batch ? t->cfg.batch : t->data.n_train, err);
}

int grok_trainer_add_transform(struct grok_trainer *t, const struct grok_grad_transform *x,
                               struct grok_err *err)
{
    const char *names[GROK_EVAL_EXTRA];
    int have = grok_trainer_metric_names(t, names), bad = 0;
    if (have + x->n_metrics > GROK_EVAL_EXTRA)
        bad = grok_err_set(err, GROK_EINVAL, "gradient transform '%s': more than %d metrics in all",
                           x->name ? x->name : "", GROK_EVAL_EXTRA);
    for (int j = 0; !bad && j < x->n_metrics && j < GROK_TRANSFORM_METRICS; j++) {
        int clash = !x->metric_names[j] || !*x->metric_names[j];
        for (int i = 0; !clash && i < GROK_METRIC_COLUMNS; i++)
            clash = strcmp(x->metric_names[j], grok_metric_names[i]) == 0;
        for (int i = 0; !clash && i < have; i++)
            clash = strcmp(x->metric_names[j], names[i]) == 0;
        if (clash)
            bad = grok_err_set(err, GROK_EINVAL, "gradient transform '%s': metric '%s' is empty or already a column",
                               x->name ? x->name : "", x->metric_names[j] ? x->metric_names[j] : "");
    }
    if (bad) {
        if (x->free)
            x->free(x->ctx);
        return GROK_EINVAL;
    }
    return grok_transforms_add(&t->transforms, x, err);
}

int grok_trainer_metric_names(const struct grok_trainer *t, const char **names)
{
    int k = 0;
    if (t->cfg.metrics) {   /* --metrics collapse: the evaluation's own two, first */
        names[k++] = "softmax_collapse";
        names[k++] = "zero_loss";
    }
    return k + grok_transforms_metric_names(&t->transforms, names + k, GROK_EVAL_EXTRA - k);
}

int grok_trainer_load_params(struct grok_trainer *t, struct grok_run *run, struct grok_err *err)
{
    int rc = grok_model_load(&t->model, run, -1, t->params, err);
    if (rc == GROK_OK && t->closed)
        grok_trainer_project(t);
    return rc;
}

void grok_trainer_project(struct grok_trainer *t)
{
    if (t->closed)
        grok_closedform_project(t->closed, t->params);
}

int grok_trainer_resume(struct grok_trainer *t, struct grok_run *run, struct grok_err *err)
{
    return grok_trainer_read_state(t, run, err);
}

void grok_trainer_reset_streak(struct grok_trainer *t) { t->streak = 0; }

const struct grok_train_config *grok_trainer_config(const struct grok_trainer *t) { return &t->cfg; }
const struct grok_model *grok_trainer_model(const struct grok_trainer *t) { return &t->model; }
const struct grok_dataset *grok_trainer_data(const struct grok_trainer *t) { return &t->data; }
const float *grok_trainer_params(const struct grok_trainer *t) { return t->params; }
const float *grok_trainer_grad(const struct grok_trainer *t) { return t->loss.grad; }
long long grok_trainer_step_count(const struct grok_trainer *t) { return t->step; }
long long grok_trainer_last_eval(const struct grok_trainer *t) { return t->last_eval; }
int grok_trainer_threads(const struct grok_trainer *t) { return t->loss.n_workers; }
struct grok_pool *grok_trainer_pool(const struct grok_trainer *t) { return t->loss.pool; }
const int32_t *grok_trainer_train_tokens(const struct grok_trainer *t) { return t->train_tok; }
const struct grok_batch *grok_trainer_batch(const struct grok_trainer *t) { return &t->batch; }
double *grok_trainer_token_probs(struct grok_trainer *t) { return t->token_p; }

void grok_trainer_set_lr_mult(struct grok_trainer *t, int tensor, double mult)
{
    if (tensor >= 0 && tensor < t->opt.n_ranges)
        t->opt.ranges[tensor].lr_mult = mult;
}
size_t grok_trainer_work_bytes(const struct grok_trainer *t) { return grok_work_bytes(t->loss.work); }
