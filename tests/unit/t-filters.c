/* The gradient filters of grok-train (grokfast.h, orthograd.h), seen from inside the step: a
 * probe transform before the filter records the raw gradient, one after it the filtered one,
 * and the filter's arithmetic is checked against both. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grok/grokfast.h"
#include "grok/orthograd.h"
#include "grok/train.h"
#include "models.h"
#include "tap.h"

#define STEPS 5

/* Copies the gradient it sees at each step into row `step` of its record. */
struct probe {
    size_t n;
    float *seen;   /* (STEPS, n) */
};

static void probe_apply(void *ctx, const float *params, float *grad, size_t n, long long step)
{
    (void)params;
    struct probe *p = ctx;
    if (step < STEPS)
        memcpy(p->seen + (size_t)step * n, grad, n * sizeof *grad);
}

static void add_probe(struct grok_trainer *t, struct probe *p, const char *name)
{
    struct grok_err err;
    p->n = grok_trainer_model(t)->n_params;
    p->seen = calloc(STEPS * p->n, sizeof *p->seen);
    struct grok_grad_transform x = {.name = name, .apply = probe_apply, .ctx = p};
    if (grok_trainer_add_transform(t, &x, &err))
        diag("%s", err.msg);
}

/* A trainer of c with: a probe, the filter `add`, a probe; STEPS steps. */
static struct grok_trainer *probed(const struct grok_train_config *c, int (*add)(struct grok_trainer *, struct grok_err *),
                                   struct probe *before, struct probe *after)
{
    struct grok_err err;
    struct grok_trainer *t = grok_trainer_new(c, &err);
    if (!t)
        return NULL;
    add_probe(t, before, "before");
    if (add(t, &err)) {
        diag("%s", err.msg);
        grok_trainer_free(t);
        return NULL;
    }
    add_probe(t, after, "after");
    for (int s = 0; s < STEPS; s++)
        grok_trainer_step(t);
    return t;
}

static void check_ema(const struct grok_train_config *base)
{
    struct grok_train_config c = *base;
    snprintf(c.grokfast, sizeof c.grokfast, "ema:0.75:2");
    struct probe b = {0}, a = {0};
    struct grok_trainer *t = probed(&c, grok_grokfast_add, &b, &a);
    ok(t != NULL, "a trainer with --grokfast ema:0.75:2 steps");
    if (!t)
        return;
    size_t n = b.n;
    float *h = malloc(n * sizeof *h);
    double worst = 0;
    for (int s = 0; s < STEPS; s++) {
        const float *g = b.seen + (size_t)s * n, *f = a.seen + (size_t)s * n;
        for (size_t i = 0; i < n; i++) {
            h[i] = s == 0 ? g[i] : h[i] * 0.75f + g[i] * 0.25f;
            float want = g[i] + h[i] * 2.0f;
            worst = fmax(worst, fabs((double)f[i] - want));
        }
    }
    ok(worst == 0, "ema: g + 2 h with h = 0.75 h + 0.25 g from h = the first g, exactly (worst %g)", worst);
    struct grok_eval e;
    grok_trainer_eval(t, &e);
    ok(e.n_extra == 1 && strcmp(e.extra_names[0], "grokfast_norm") == 0 && e.extra[0] > 0,
       "ema: grokfast_norm is reported (%g)", e.n_extra ? e.extra[0] : NAN);
    free(h);
    free(b.seen);
    free(a.seen);
    grok_trainer_free(t);
}

static void check_ma(const struct grok_train_config *base)
{
    struct grok_train_config c = *base;
    snprintf(c.grokfast, sizeof c.grokfast, "ma:3:5");
    struct probe b = {0}, a = {0};
    struct grok_trainer *t = probed(&c, grok_grokfast_add, &b, &a);
    ok(t != NULL, "a trainer with --grokfast ma:3:5 steps");
    if (!t)
        return;
    size_t n = b.n;
    double worst_warm = 0, worst = 0;
    for (int s = 0; s < STEPS; s++) {
        const float *f = a.seen + (size_t)s * n;
        for (size_t i = 0; i < n; i++) {
            const float *g = b.seen + i;
            if (s < 2) {
                worst_warm = fmax(worst_warm, fabs((double)f[i] - g[(size_t)s * n]));
                continue;
            }
            double mean = ((double)g[(size_t)(s - 2) * n] + g[(size_t)(s - 1) * n] + g[(size_t)s * n]) / 3;
            double want = g[(size_t)s * n] + 5 * mean;
            worst = fmax(worst, fabs(f[i] - want) / (fabs(want) + 1e-6));
        }
    }
    ok(worst_warm == 0, "ma: the gradient is untouched until the window is full");
    ok(worst < 1e-6, "ma: then g + 5 x the mean of the last 3 gradients (worst relative %g)", worst);
    free(b.seen);
    free(a.seen);
    grok_trainer_free(t);
}

static void check_ortho(const struct grok_train_config *base, int mode)
{
    struct grok_train_config c = *base;
    c.ortho_grad = mode;
    const char *what = mode == 1 ? "rescale" : "plain";
    struct probe b = {0}, a = {0};
    struct grok_trainer *t = probed(&c, grok_orthograd_add, &b, &a);
    ok(t != NULL, "a trainer with --ortho-grad=%s steps", what);
    if (!t)
        return;
    /* the first step's gradients (row 0 of the probes) were taken at the initial parameters,
     * which a twin trainer of the same config still holds */
    struct grok_err err;
    struct grok_trainer *twin = grok_trainer_new(&c, &err);
    const float *w = grok_trainer_params(twin);   /* the parameters of step 0 */
    const struct grok_model *m = grok_trainer_model(t);
    double worst_dot = 0, worst_norm = 0;
    for (int k = 0; k < m->n_tensors; k++) {
        const struct grok_param *p = &m->tensors[k];
        const float *g = b.seen + p->offset, *f = a.seen + p->offset, *wt = w + p->offset;
        double ww = 0, wf = 0, ff = 0, gg = 0, wg = 0;
        for (size_t i = 0; i < p->size; i++) {
            ww += (double)wt[i] * wt[i];
            wf += (double)wt[i] * f[i];
            ff += (double)f[i] * f[i];
            gg += (double)g[i] * g[i];
            wg += (double)wt[i] * g[i];
        }
        if (ww == 0 || gg == 0)
            continue;
        worst_dot = fmax(worst_dot, fabs(wf) / (sqrt(ww) * sqrt(ff) + 1e-30));
        double want = mode == 1 ? gg : gg - wg * wg / ww;
        worst_norm = fmax(worst_norm, fabs(ff - want) / want);
    }
    ok(worst_dot < 1e-5, "%s: each tensor's gradient is orthogonal to its weights (worst |cos| %.2g)", what, worst_dot);
    ok(worst_norm < 1e-5, "%s: and has %s (worst relative error of the square %.2g)", what,
       mode == 1 ? "its own norm back" : "the norm of g minus its projection", worst_norm);
    free(b.seen);
    free(a.seen);
    grok_trainer_free(twin);
    grok_trainer_free(t);
}

int main(void)
{
    struct grok_train_config c;
    struct grok_err err;
    small_train_config(&c);
    is_int(grok_config_resolve(&c, &err), GROK_OK, "the test model's config resolves");
    check_ema(&c);
    check_ma(&c);
    check_ortho(&c, 1);
    check_ortho(&c, 2);
    return done_testing();
}
