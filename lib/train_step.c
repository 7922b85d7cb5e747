/* One update of the trainer: draw → gradient → gradient transforms → clip → clipped-gradient
 * transforms → update → parameter edits (the flow in include/grok/train.h). */
#include <math.h>

#include "train_impl.h"

/* A step's work after the transforms, in worker i's share of the parameters: the sum of
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
    grok_pool_share(u->t->model.n_params, u->t->loss.n_workers, i, &lo, &hi);
    u->sumsq[i] = grok_optim_sumsq(&u->t->opt, u->t->loss.grad, lo, hi);
}

static void update_run(void *ctx, int i)
{
    struct update_job *u = ctx;
    struct grok_trainer *t = u->t;
    float *grad = t->loss.grad;
    size_t lo, hi;
    grok_pool_share(t->model.n_params, t->loss.n_workers, i, &lo, &hi);
    if (u->clip_scale != 1.0f)
        for (size_t p = lo; p < hi; p++)
            grad[p] *= u->clip_scale;
    grok_optim_update(&t->opt, t->params, grad, lo, hi);
}

/* Musat's closed form in place of steps 1-6: the first layer along its formula, the second the
 * interpolant (include/grok/closedform.h), with --lr as the step η. */
static double closed_form_step(struct grok_trainer *t)
{
    double loss = grok_closedform_step(t->closed, t->params, t->cfg.opt.lr);
    if (isfinite(loss))
        t->step++;
    return loss;
}

/* 1-2 of a step: the loss and the batch's gradient in t->loss.grad, for the modular task's
 * drawn minibatch, or a regression's whole training set. */
static double step_gradient(struct grok_trainer *t)
{
    if (grok_trainer_regression(t)) {
        const struct grok_regress_set *r = &t->regress;
        return grok_model_regress_loss_grad(&t->model, t->loss.work, t->params, t->loss.grad,
                                            r->train_x, r->train_y, r->n_train, 1.0 / r->n_train, NULL);
    }
    /* 1. draw */
    grok_sampler_draw(&t->sampler, t->rng, &t->batch);
    const struct grok_batch b = t->batch;
    /* 2. the loss and the batch's gradient, combined over the workers */
    return grok_batch_loss(&t->loss, t->params, b.tok, b.y, b.count, b.n, b.scale, 1, NULL);
}

double grok_trainer_step(struct grok_trainer *t)
{
    if (t->closed)
        return closed_form_step(t);
    double loss = step_gradient(t);
    if (!isfinite(loss))
        return NAN;   /* before the transforms: a diverged step changes no state of theirs */
    float *grad = t->loss.grad;
    /* 3. the gradient transforms, in the order added (none: the gradient as it is) */
    grok_transforms_apply(&t->transforms, t->params, grad, t->model.n_params, t->step);
    /* 4. clip and 5. update, on this thread or over the workers' shares of the parameters */
    size_t n = t->model.n_params;
    if (t->loss.n_workers <= 1) {
        double norm = grok_optim_clip(&t->opt, grad, t->cfg.clip);
        if (!isfinite(norm))
            return NAN;
        grok_transforms_apply_clipped(&t->transforms, t->params, grad, n, t->step);
        grok_optim_update(&t->opt, t->params, grad, 0, n);
    } else {
        struct update_job u = {.t = t};
        grok_pool_run(t->loss.pool, sumsq_run, &u);
        double ss = 0;
        for (int i = 0; i < t->loss.n_workers; i++)
            ss += u.sumsq[i];
        double norm = sqrt(ss);
        if (!isfinite(norm))
            return NAN;
        u.clip_scale = grok_optim_clip_scale(norm, t->cfg.clip);
        if (grok_transforms_clipped(&t->transforms)) {
            /* the clipped-gradient transforms see the whole gradient: clip it here, on this
             * thread, with the scale the workers would have used */
            if (u.clip_scale != 1.0f)
                for (size_t p = 0; p < n; p++)
                    grad[p] *= u.clip_scale;
            u.clip_scale = 1.0f;
            grok_transforms_apply_clipped(&t->transforms, t->params, grad, n, t->step);
        }
        grok_pool_run(t->loss.pool, update_run, &u);
    }
    grok_optim_advance(&t->opt);
    t->step++;
    /* 6. the parameter edits, after the update they follow */
    grok_transforms_edit(&t->transforms, t->params, n, t->step);
    return loss;
}
