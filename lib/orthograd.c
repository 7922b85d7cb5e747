/* ⊥Grad: each tensor's gradient made orthogonal to its weights (include/grok/orthograd.h). */
#include "grok/orthograd.h"

#include <math.h>
#include <stdlib.h>

#include "grok/config.h"
#include "grok/model.h"
#include "grok/train.h"

/* The authors' guard against a zero norm (in float32 there; here on double sums). */
#define TINY 1e-30

struct orthograd {
    const struct grok_model *model;   /* the trainer's: the tensors' offsets and sizes */
    int rescale;                      /* 1: back to the gradient's own norm (the authors' code) */
    double parallel;                  /* the metric: ‖g∥‖ / ‖g‖ over all tensors, last step */
};

static void orthograd_apply(void *ctx, const float *w, float *g, size_t n, long long step)
{
    (void)n;
    (void)step;
    struct orthograd *o = ctx;
    double par_ss = 0, all_ss = 0;
    for (int t = 0; t < o->model->n_tensors; t++) {
        const struct grok_param *p = &o->model->tensors[t];
        const float *wt = w + p->offset;
        float *gt = g + p->offset;
        double ww = 0, wg = 0, gg = 0;
        for (size_t i = 0; i < p->size; i++) {
            ww += (double)wt[i] * wt[i];
            wg += (double)wt[i] * gt[i];
            gg += (double)gt[i] * gt[i];
        }
        double proj = wg / (ww + TINY);
        /* ‖g − proj w‖² = gg − 2 proj wg + proj² ww, summed directly below instead */
        double oo = 0;
        for (size_t i = 0; i < p->size; i++) {
            double d = gt[i] - proj * wt[i];
            oo += d * d;
        }
        double scale = o->rescale ? sqrt(gg) / (sqrt(oo) + TINY) : 1;
        for (size_t i = 0; i < p->size; i++)
            gt[i] = (float)((gt[i] - proj * wt[i]) * scale);
        par_ss += proj * proj * ww;
        all_ss += gg;
    }
    o->parallel = all_ss > 0 ? sqrt(par_ss / all_ss) : 0;
}

static void orthograd_report(void *ctx, double *values)
{
    struct orthograd *o = ctx;
    values[0] = o->parallel;
}

int grok_orthograd_add(struct grok_trainer *t, struct grok_err *err)
{
    const struct grok_train_config *c = grok_trainer_config(t);
    if (c->ortho_grad != 1 && c->ortho_grad != 2)
        return grok_err_set(err, GROK_EINVAL, "--ortho-grad: not set");
    struct orthograd *o = calloc(1, sizeof *o);
    if (!o)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    *o = (struct orthograd){.model = grok_trainer_model(t), .rescale = c->ortho_grad == 1, .parallel = NAN};
    struct grok_grad_transform x = {.name = "orthograd", .apply = orthograd_apply, .n_metrics = 1,
                                    .metric_names = {"ortho_parallel"}, .report = orthograd_report,
                                    .free = free, .ctx = o};
    return grok_trainer_add_transform(t, &x, err);
}
