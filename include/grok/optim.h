/* Optimizers over one flat parameter vector: AdamW, Adam with L2 weight decay, SGD with momentum;
 * linear warm-up, global-norm clipping, per-range learning-rate multipliers and frozen ranges.
 *
 * The update rules are PyTorch's (torch.optim.AdamW, Adam, SGD with dampening 0 and no
 * Nesterov), so that a run can be checked against a PyTorch reference step by step. The moments
 * live in one block of 2 · n_params floats (m, then v; SGD uses m as its momentum buffer).
 *
 * Owns: struct grok_optim (the moments block, the step count, the ranges) and the optimisers'
 * names. Calls: names, simd.h's clones (the update), libm; nothing of a model or a run: the
 * trainer writes the moments to /state itself. Called by config (the names and settings) and
 * the trainer (train.c, train_step.c, train_loop.c). */
#ifndef GROK_OPTIM_H
#define GROK_OPTIM_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#include "grok/err.h"

enum grok_opt { GROK_OPT_ADAMW, GROK_OPT_ADAM, GROK_OPT_SGD };

/* Name <-> enum ("adamw", "adam", "sgd"); parse returns -1 for an unknown name. */
const char *grok_opt_name(enum grok_opt opt);
int grok_opt_parse(const char *name);

struct grok_optim_config {
    enum grok_opt kind;
    double lr;          /* base learning rate */
    double wd;          /* weight decay: decoupled (adamw), L2 added to the gradient (adam, sgd) */
    double beta1, beta2, eps;   /* Adam's */
    double momentum;    /* SGD's; 0 for plain SGD */
    long warmup;        /* linear warm-up over this many updates; 0 for none */
};

/* A contiguous range of the parameter vector (one tensor, usually) with its own settings. */
struct grok_optim_range {
    size_t offset, size;
    double lr_mult;     /* its learning rate is lr_mult · the scheduled rate */
    int frozen;         /* never updated: no step, no decay, moments untouched */
};

struct grok_optim {
    struct grok_optim_config cfg;
    size_t n_params;
    float *m;                      /* (n_params) first moment, or SGD's momentum buffer */
    float *v;                      /* (n_params) second moment (Adam) */
    struct grok_optim_range *ranges;
    int n_ranges;
    long t;                        /* updates done so far (Adam's bias correction uses t+1) */
};

/* The scheduled learning rate of the update that follows `done` completed updates:
 * lr · min(1, done / warmup), as Nanda's LambdaLR and Hugging Face's linear warm-up (so the
 * very first update has rate 0 when warmup > 0); lr when warmup is 0. */
double grok_optim_lr(const struct grok_optim_config *c, long done);

/* Sets up o for n_params parameters with zeroed moments and t = 0. ranges (n_ranges of them,
 * copied) partition 0..n_params; NULL means one range over everything with multiplier 1.
 * Returns GROK_OK, GROK_EINVAL (ranges that do not partition the vector) or GROK_ENOMEM. */
int grok_optim_init(struct grok_optim *o, const struct grok_optim_config *c, size_t n_params,
                    const struct grok_optim_range *ranges, int n_ranges, struct grok_err *err);

/* Frees what grok_optim_init allocated; o may be NULL or zeroed. */
void grok_optim_free(struct grok_optim *o);

/* Sets grad to zero on frozen ranges, then returns the global L2 norm of grad (in double) and,
 * when max_norm > 0 and the norm exceeds it, scales grad by max_norm / (norm + 1e-6) as
 * torch.nn.utils.clip_grad_norm_ does. */
double grok_optim_clip(const struct grok_optim *o, float *grad, double max_norm);

/* grok_optim_clip in parts, for threads that share the vector: grok_optim_sumsq zeroes the
 * frozen elements of lo .. hi−1 and returns their sum of squares (in double, one fixed order);
 * the norm is the square root of the parts' total, and grok_optim_clip_scale(norm, max_norm)
 * the factor every element is then multiplied by (1 when there is nothing to clip). */
double grok_optim_sumsq(const struct grok_optim *o, float *grad, size_t lo, size_t hi);
float grok_optim_clip_scale(double norm, double max_norm);

/* One update of params from grad (already clipped) with the rate grok_optim_lr(cfg, o->t),
 * then o->t += 1. Does not allocate. */
void grok_optim_step(struct grok_optim *o, float *params, const float *grad);

/* grok_optim_step in parts: the update of the elements lo .. hi−1 of the flat vector alone, at
 * the current step (threads may update disjoint parts at once; the result is the same bytes as
 * one update of the whole), then grok_optim_advance once to count the step. */
void grok_optim_update(const struct grok_optim *o, float *params, const float *grad, size_t lo,
                       size_t hi);
void grok_optim_advance(struct grok_optim *o);

#ifdef __cplusplus
}
#endif

#endif
