/* P3's frequency-aware sampling: the tokens' probabilities from the embedding's gradient
 * (include/grok/freqsample.h). */
#include "grok/freqsample.h"

#include <math.h>
#include <stdlib.h>

#include "grok/config.h"
#include "grok/model.h"
#include "grok/run.h"
#include "grok/state.h"
#include "grok/train.h"

struct freqsample {
    double *p;                 /* (V) the trainer's token probabilities */
    int V, D;                  /* vocabulary, embedding width */
    size_t W_E;                /* the embedding's offset */
    double gamma;
    double entropy;            /* the metric */
};

static double entropy_of(const double *p, int V)
{
    double h = 0;
    for (int i = 0; i < V; i++)
        if (p[i] > 0)
            h -= p[i] * log(p[i]);
    return V > 1 ? h / log(V) : 0;
}

static void freq_apply(void *ctx, const float *params, float *grad, size_t n, long long step)
{
    (void)params;
    (void)n;
    (void)step;
    struct freqsample *f = ctx;
    double top = -INFINITY;
    for (int i = 0; i < f->V; i++) {   /* exponents L_i²/γ, shifted by the largest below */
        const float *g = grad + f->W_E + (size_t)i * f->D;
        double s = 0;
        for (int d = 0; d < f->D; d++)
            s += (double)g[d] * g[d];
        f->p[i] = s / f->gamma;
        top = f->p[i] > top ? f->p[i] : top;
    }
    double sum = 0;
    for (int i = 0; i < f->V; i++)
        sum += f->p[i] = exp(f->p[i] - top);
    for (int i = 0; i < f->V; i++)
        f->p[i] /= sum;
    f->entropy = entropy_of(f->p, f->V);
}

static void freq_report(void *ctx, double *values)
{
    values[0] = ((struct freqsample *)ctx)->entropy;
}

static int freq_save(void *ctx, struct grok_run *run, const char *group, struct grok_err *err)
{
    struct freqsample *f = ctx;
    size_t shape[1] = {(size_t)f->V};
    return grok_run_write_f64(run, group, "token_p", f->p, 1, shape, err);
}

static int freq_load(void *ctx, struct grok_run *run, const char *group, struct grok_err *err)
{
    struct freqsample *f = ctx;
    char path[GROK_MAX_NAME + 32];
    int rc = grok_run_path(path, sizeof path, group, "token_p", err);
    if (rc == GROK_OK)
        rc = grok_state_read_exact(run, path, GROK_F64, f->p, (size_t)f->V, err);
    if (rc == GROK_OK)
        f->entropy = entropy_of(f->p, f->V);
    return rc;
}

int grok_freqsample_add(struct grok_trainer *t, struct grok_err *err)
{
    const struct grok_train_config *c = grok_trainer_config(t);
    const struct grok_model *m = grok_trainer_model(t);
    double gamma;
    if (grok_config_parse_sampler("--sampler", c->sampler, &gamma, err) || gamma <= 0 ||
        !grok_trainer_token_probs(t) || m->W_E == GROK_ABSENT)
        return grok_err_set(err, GROK_EINVAL, "--sampler: not a frequency-aware sampler of a model with an embedding");
    struct freqsample *f = malloc(sizeof *f);
    if (!f)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    *f = (struct freqsample){.p = grok_trainer_token_probs(t), .V = m->cfg.d_vocab,
                             .D = m->cfg.arch == GROK_TRANSFORMER ? m->cfg.d_model : m->cfg.d_embed,
                             .W_E = m->W_E, .gamma = gamma, .entropy = 1};
    struct grok_grad_transform x = {.name = "sampler", .apply = freq_apply, .save = freq_save,
                                    .load = freq_load, .n_metrics = 1,
                                    .metric_names = {"sampler_entropy"}, .report = freq_report,
                                    .free = free, .ctx = f};
    return grok_trainer_add_transform(t, &x, err);
}
