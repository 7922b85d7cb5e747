/* The trainer's loop: evaluation, the stop rule, and the cadences of evaluations and snapshots
 * (include/grok/train.h). */
#include <math.h>

#include "train_impl.h"

/* Mean loss and accuracy over a whole set, in chunks that fit the workspace; with collapse,
 * the fractions of the set that grok_model_collapse_count counts. */
static void eval_set(struct grok_trainer *t, const int32_t *tok, const int32_t *y, int n,
                     double *loss, double *acc, double collapse[2])
{
    long counts[2] = {0, 0};
    double sum = 0;
    long right = 0;
    int T = t->cfg.model.n_ctx;
    for (int at = 0; at < n; at += t->eval_chunk) {
        int k = n - at < t->eval_chunk ? n - at : t->eval_chunk, correct = 0;
        double mean = grok_batch_loss(&t->loss, t->params, tok + (size_t)at * T, y + at, NULL, k, 1.0 / k, 0,
                                      &correct);
        if (collapse)
            grok_batch_loss_collapse(&t->loss, y + at, k, counts);
        sum += mean * k;
        right += correct;
    }
    *loss = sum / n;
    *acc = (double)right / n;
    for (int i = 0; collapse && i < 2; i++)
        collapse[i] = (double)counts[i] / n;
}

/* A regression's mean loss over a whole set (which fits the workspace); no accuracy. */
static void eval_regress(struct grok_trainer *t, const float *x, const float *y, int n, double *loss,
                         double *acc)
{
    *loss = grok_model_regress_loss_grad(&t->model, t->loss.work, t->params, NULL, x, y, n, 1.0 / n, NULL);
    *acc = NAN;
}

void grok_trainer_eval(struct grok_trainer *t, struct grok_eval *e)
{
    e->step = t->step;
    /* --metrics collapse: the training set's two fractions, the first extra columns */
    int own = t->cfg.metrics ? 2 : 0;
    if (grok_trainer_regression(t)) {
        const struct grok_regress_set *r = &t->regress;
        eval_regress(t, r->train_x, r->train_y, r->n_train, &e->train_loss, &e->train_acc);
        eval_regress(t, r->test_x, r->test_y, r->n_test, &e->test_loss, &e->test_acc);
    } else {
        eval_set(t, t->train_tok, t->data.train_y, t->data.n_train, &e->train_loss, &e->train_acc,
                 own ? e->extra : NULL);
        eval_set(t, t->test_tok, t->data.test_y, t->data.n_test, &e->test_loss, &e->test_acc, NULL);
    }
    double ss = 0;
    for (size_t i = 0; i < t->model.n_params; i++)
        ss += (double)t->params[i] * t->params[i];
    e->param_norm = sqrt(ss);
    e->lr = grok_optim_lr(&t->cfg.opt, t->opt.t);
    e->n_extra = grok_trainer_metric_names(t, e->extra_names);
    grok_transforms_report(&t->transforms, e->extra + own, GROK_EVAL_EXTRA - own);
}

int grok_trainer_should_stop(struct grok_trainer *t, const struct grok_eval *e)
{
    if (t->cfg.stop_at <= 0)
        return 0;
    t->streak = e->test_acc >= t->cfg.stop_at ? t->streak + 1 : 0;
    return t->streak >= 3;
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
        if (h && h->after_step && h->after_step(h->ctx, t->step, err))
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
        if (h && h->after_step && h->after_step(h->ctx, t->step, err))
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
    /* and its snapshot, so that the last parameters are in /snapshots as well as in /state (a
     * continued run drops it when it is off the cadence, as it drops such an evaluation) */
    if (end != GROK_TRAIN_NONFINITE && run && c->snapshot_every > 0 && t->last_snap != t->step &&
        grok_trainer_write_snapshot(t, run, err))
        return GROK_TRAIN_FAILED;
    /* a diverged run keeps its finite evaluations and snapshots, but no state to resume from */
    if (end != GROK_TRAIN_NONFINITE && run && grok_trainer_write_state(t, run, err))
        return GROK_TRAIN_FAILED;
    return end;
}

