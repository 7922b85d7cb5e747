/* Gradient transforms: what the trainer's step does to the batch's gradient after computing it
 * (before clipping, or after it and before the optimiser), and to the parameters after the
 * update (train.h's step flow). Projection onto a subspace, a
 * regulariser's extra term, a Grokfast-style filter: each is one struct grok_grad_transform,
 * added to a trainer with grok_trainer_add_transform, without touching the step.
 *
 * Transforms run in the order they were added, on the calling thread, on the whole combined
 * gradient (the pool's slices are already added up), every step. A transform with state (a
 * filter's running average) saves it under /state/transforms/<name> when the trainer writes
 * /state, and loads it from there on resume, so that N steps and then N more give the bytes of
 * 2N at once. A trainer with no transform writes nothing there.
 *
 * Owns: the list of a trainer's transforms and their /state groups. Calls: run.h (group paths),
 * err.h. The transforms themselves may call what they like. Called by the trainer (train.c,
 * train_step.c, train_run.c). */
#ifndef GROK_TRANSFORM_H
#define GROK_TRANSFORM_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#include "grok/err.h"

struct grok_run;

/* One transform. name: letters, digits, '_' and '-', unique among a trainer's, the name of its
 * /state group. A transform acts at one or more of the step's three places, each hook NULL where
 * it does not act (at least one is set):
 *   apply          changes grad (n) in place at params (n), before clipping, before the update
 *                  that makes `step` + 1 (step: the updates done);
 *   apply_clipped  the same after clipping, on the gradient the optimiser will use (P1's
 *                  gradient suppression acts here);
 *   edit           changes the parameters (n) after the update, `step` now counting it (P1's
 *                  kicks and noise act here); the optimiser's moments are left as they are.
 * save, load: its state to and from `group` (a path such as /state/transforms/ema) of run; NULL
 * for a transform without state; GROK_* with err filled on failure. n_metrics, metric_names and
 * report: the quantities it adds to each /metrics row (at most GROK_TRANSFORM_METRICS; names
 * unique among the trainer's and not those of metrics.h), report filling `values` at each
 * evaluation; 0 and NULL for none. free: releases ctx when the trainer is freed; may be NULL. */
#define GROK_TRANSFORM_METRICS 8

struct grok_grad_transform {
    const char *name;
    void (*apply)(void *ctx, const float *params, float *grad, size_t n, long long step);
    void (*apply_clipped)(void *ctx, const float *params, float *grad, size_t n, long long step);
    void (*edit)(void *ctx, float *params, size_t n, long long step);
    int (*save)(void *ctx, struct grok_run *run, const char *group, struct grok_err *err);
    int (*load)(void *ctx, struct grok_run *run, const char *group, struct grok_err *err);
    int n_metrics;
    const char *metric_names[GROK_TRANSFORM_METRICS];
    void (*report)(void *ctx, double *values);
    void (*free)(void *ctx);
    void *ctx;
};

#define GROK_TRANSFORMS_MAX 16

/* A trainer's transforms, in the order they run. */
struct grok_transforms {
    int n;
    struct grok_grad_transform x[GROK_TRANSFORMS_MAX];
};

/* Appends x (copied; its ctx becomes the list's, freed by grok_transforms_free even when this
 * fails). GROK_EINVAL with err filled for a bad or repeated name or a full list. */
int grok_transforms_add(struct grok_transforms *l, const struct grok_grad_transform *x,
                        struct grok_err *err);

/* Runs every transform's hook of one place on grad (n), in order: apply (before clipping),
 * apply_clipped (after it). */
void grok_transforms_apply(const struct grok_transforms *l, const float *params, float *grad,
                           size_t n, long long step);
void grok_transforms_apply_clipped(const struct grok_transforms *l, const float *params,
                                   float *grad, size_t n, long long step);
/* Whether any transform has an apply_clipped hook (the step then clips before the update). */
int grok_transforms_clipped(const struct grok_transforms *l);

/* Runs every transform's edit on params (n) after the update, in order. */
void grok_transforms_edit(const struct grok_transforms *l, float *params, size_t n, long long step);

/* The metrics the transforms add: names (the list's, valid while it lives) and, at an
 * evaluation, their values, in the order of the transforms and of their names; each returns the
 * count, at most cap. */
int grok_transforms_metric_names(const struct grok_transforms *l, const char **names, int cap);
int grok_transforms_report(const struct grok_transforms *l, double *values, int cap);

/* Each transform with state saves it to, or loads it from, /state/transforms/<name> of run.
 * Load fails (GROK_ENOTFOUND, err naming the run and the group) when a transform's group is
 * missing: the run was made without it. */
int grok_transforms_save(const struct grok_transforms *l, struct grok_run *run,
                         struct grok_err *err);
int grok_transforms_load(const struct grok_transforms *l, struct grok_run *run,
                         struct grok_err *err);

/* The transforms' order in the step as text, for /config@transforms: "before clipping: A, B;
 * after clipping: C; after the update: C" (the places with none left out; "" for no transform),
 * cut to cap bytes. */
void grok_transforms_describe(const struct grok_transforms *l, char *buf, size_t cap);

/* Frees every transform's ctx and empties the list; l may be NULL. */
void grok_transforms_free(struct grok_transforms *l);

#ifdef __cplusplus
}
#endif

#endif
