#include "grok/optim.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grok/names.h"
#include "simd.h"

/* Indexed by enum grok_opt, so the order must follow optim.h. */
static const char *const opt_names[] = {"adamw", "adam", "sgd"};

const char *grok_opt_name(enum grok_opt opt)
{
    return grok_name_at(opt_names, GROK_COUNT(opt_names), (int)opt);
}

int grok_opt_parse(const char *name) { return grok_name_find(opt_names, GROK_COUNT(opt_names), name); }

double grok_optim_lr(const struct grok_optim_config *c, long done)
{
    if (c->warmup <= 0 || done >= c->warmup)
        return c->lr;
    return c->lr * (double)(done < 0 ? 0 : done) / (double)c->warmup;
}

void grok_optim_free(struct grok_optim *o)
{
    if (!o)
        return;
    free(o->m);   /* v lives in the same block */
    free(o->ranges);
    memset(o, 0, sizeof *o);
}

int grok_optim_init(struct grok_optim *o, const struct grok_optim_config *c, size_t n_params,
                    const struct grok_optim_range *ranges, int n_ranges, struct grok_err *err)
{
    memset(o, 0, sizeof *o);
    if ((int)c->kind < 0 || (int)c->kind >= GROK_COUNT(opt_names))
        return grok_err_set(err, GROK_EINVAL, "unknown optimizer %d", (int)c->kind);
    struct grok_optim_range all = {.offset = 0, .size = n_params, .lr_mult = 1, .frozen = 0};
    if (!ranges) {
        ranges = &all;
        n_ranges = 1;
    }
    if (n_ranges < 1)
        return grok_err_set(err, GROK_EINVAL, "optimizer: no parameter range");
    size_t end = 0;
    for (int i = 0; i < n_ranges; i++) {
        if (ranges[i].offset != end)
            return grok_err_set(err, GROK_EINVAL,
                                "optimizer: range %d starts at %zu, not at %zu (ranges must "
                                "partition the %zu parameters in order)",
                                i, ranges[i].offset, end, n_params);
        if (ranges[i].size > n_params - end)
            return grok_err_set(err, GROK_EINVAL,
                                "optimizer: range %d (%zu+%zu) runs past the %zu parameters", i,
                                ranges[i].offset, ranges[i].size, n_params);
        end += ranges[i].size;
    }
    if (end != n_params)
        return grok_err_set(err, GROK_EINVAL,
                            "optimizer: the ranges cover %zu of the %zu parameters", end, n_params);

    if (n_params > SIZE_MAX / (2 * sizeof(float)))
        return grok_err_set(err, GROK_ENOMEM, "optimizer: %zu parameters are too many", n_params);
    /* One block, so that a checkpoint of the optimizer state is a single write; at least one
     * element, because calloc(0) may return NULL. */
    o->m = calloc(n_params ? 2 * n_params : 1, sizeof *o->m);
    o->ranges = malloc((size_t)n_ranges * sizeof *o->ranges);
    if (!o->m || !o->ranges) {
        grok_optim_free(o);
        return grok_err_set(err, GROK_ENOMEM, "optimizer: out of memory for %zu parameters",
                            n_params);
    }
    memcpy(o->ranges, ranges, (size_t)n_ranges * sizeof *o->ranges);
    o->v = o->m + n_params;
    o->cfg = *c;
    o->n_params = n_params;
    o->n_ranges = n_ranges;
    o->t = 0;
    return GROK_OK;
}

double grok_optim_sumsq(const struct grok_optim *o, float *grad, size_t lo, size_t hi)
{
    for (int r = 0; r < o->n_ranges; r++) {
        size_t from = o->ranges[r].offset > lo ? o->ranges[r].offset : lo;
        size_t end = o->ranges[r].offset + o->ranges[r].size, to = end < hi ? end : hi;
        if (o->ranges[r].frozen && from < to)
            memset(grad + from, 0, (to - from) * sizeof *grad);
    }
    /* Eight partial sums: independent chains the CPU overlaps (a single running sum waits for
     * each add); still one fixed order, so the sum is the same on every run. */
    double part[8] = {0}, ss = 0;
    size_t n8 = lo + (hi - lo) / 8 * 8;
    for (size_t i = lo; i < n8; i += 8)
        for (int k = 0; k < 8; k++)
            part[k] += (double)grad[i + k] * grad[i + k];
    for (size_t i = n8; i < hi; i++)
        ss += (double)grad[i] * grad[i];
    for (int k = 0; k < 8; k++)
        ss += part[k];
    return ss;
}

float grok_optim_clip_scale(double norm, double max_norm)
{
    /* A float factor, as torch multiplies the float32 gradients by a float32 tensor. */
    return max_norm > 0 && norm > max_norm ? (float)(max_norm / (norm + 1e-6)) : 1.0f;
}

double grok_optim_clip(const struct grok_optim *o, float *grad, double max_norm)
{
    double norm = sqrt(grok_optim_sumsq(o, grad, 0, o->n_params));
    float scale = grok_optim_clip_scale(norm, max_norm);
    if (scale != 1.0f)
        for (size_t i = 0; i < o->n_params; i++)
            grad[i] *= scale;
    return norm;
}

/* torch.optim.AdamW and Adam (single-tensor path), in float as torch computes them, so that the
 * loop vectorises. The decoupled decay (AdamW) and the L2 term (Adam) both read the parameter
 * before this step's update, as torch does. */
SIMD_CLONES
static void adam_range(const struct grok_optim_config *c, double lr, long step, float *th,
                       const float *g, float *m, float *v, size_t n)
{
    float b1 = (float)c->beta1, b2 = (float)c->beta2, eps = (float)c->eps;
    float one_b1 = (float)(1 - c->beta1), one_b2 = (float)(1 - c->beta2);
    float step_size = (float)(lr / (1 - pow(c->beta1, (double)step)));
    float bc2_sqrt = (float)sqrt(1 - pow(c->beta2, (double)step));
    int decoupled = c->kind == GROK_OPT_ADAMW;
    float decay = (float)(decoupled ? 1 - lr * c->wd : 1);
    float l2 = (float)(decoupled ? 0 : c->wd);
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] + l2 * th[i];
        float p = th[i] * decay;
        float mi = b1 * m[i] + one_b1 * gi;
        float vi = b2 * v[i] + one_b2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        th[i] = p - step_size * (mi / (sqrtf(vi) / bc2_sqrt + eps));
    }
}

/* torch.optim.SGD with dampening 0 and no Nesterov. torch starts the buffer as a copy of the
 * first gradient; a zero buffer gives the same, momentum · 0 + g. */
static void sgd_range(const struct grok_optim_config *c, double lr, float *th, const float *g,
                      float *buf, size_t n)
{
    double wd = c->wd, mu = c->momentum;
    for (size_t i = 0; i < n; i++) {
        double d = g[i] + wd * th[i];
        if (mu > 0) {
            buf[i] = (float)(mu * buf[i] + d);
            d = buf[i];
        }
        th[i] = (float)(th[i] - lr * d);
    }
}

void grok_optim_update(const struct grok_optim *o, float *params, const float *grad, size_t lo,
                       size_t hi)
{
    double lr_t = grok_optim_lr(&o->cfg, o->t);
    for (int r = 0; r < o->n_ranges; r++) {
        const struct grok_optim_range *R = &o->ranges[r];
        size_t from = R->offset > lo ? R->offset : lo;
        size_t to = R->offset + R->size < hi ? R->offset + R->size : hi;
        if (R->frozen || from >= to)
            continue;
        double lr = lr_t * R->lr_mult;
        if (o->cfg.kind == GROK_OPT_SGD)
            sgd_range(&o->cfg, lr, params + from, grad + from, o->m + from, to - from);
        else
            adam_range(&o->cfg, lr, o->t + 1, params + from, grad + from, o->m + from,
                       o->v + from, to - from);
    }
}

void grok_optim_advance(struct grok_optim *o) { o->t++; }

void grok_optim_step(struct grok_optim *o, float *params, const float *grad)
{
    grok_optim_update(o, params, grad, 0, o->n_params);
    grok_optim_advance(o);
}
