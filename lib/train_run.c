/* The trainer's writing of its run (include/grok/train.h): /config and /data, a /metrics row, a
 * /snapshots row, /state and its reading on resume, and the preparation of a continued run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grok/data.h"
#include "grok/history.h"
#include "grok/metrics.h"
#include "grok/snapshots.h"
#include "grok/state.h"
#include "grok/stepcol.h"

#include "train_impl.h"

int grok_trainer_write_setup(struct grok_trainer *t, struct grok_run *run, struct grok_err *err)
{
    int rc = grok_config_write(run, &t->cfg, err);
    if (rc == GROK_OK)
        rc = grok_config_write_threads(run, grok_trainer_threads(t), err);
    if (rc == GROK_OK && t->transforms.n > 0) {   /* a record, as threads: the step's order */
        char order[512];
        grok_transforms_describe(&t->transforms, order, sizeof order);
        rc = grok_run_attr_set_str(run, "/config", "transforms", order, err);
    }
    if (rc)
        return rc;
    return grok_trainer_regression(t) ? grok_data_write_regress(run, &t->regress, err)
                                      : grok_data_write(run, &t->data, err);
}

/* The one place a /metrics row is written: the row, then a flush. */
int grok_trainer_write_metrics(struct grok_run *run, const struct grok_eval *e, struct grok_err *err)
{
    const double values[GROK_METRIC_COLUMNS - 1] = {e->train_loss, e->train_acc, e->test_loss,
                                                    e->test_acc, e->param_norm, e->lr};
    int rc = grok_metrics_append(run, e->step, values, err);
    if (rc == GROK_OK)
        rc = grok_metrics_append_extra(run, e->extra_names, e->extra, e->n_extra, err);
    return rc ? rc : grok_run_flush(run, err);
}

int grok_trainer_write_snapshot(struct grok_trainer *t, struct grok_run *run, struct grok_err *err)
{
    int rc = grok_run_snapshot_append(run, t->step, t->snap, t->n_snap, err);
    if (rc == GROK_OK)
        t->last_snap = t->step;
    return rc ? rc : grok_run_flush(run, err);
}

int grok_trainer_write_state(struct grok_trainer *t, struct grok_run *run, struct grok_err *err)
{
    const struct grok_model *m = &t->model;
    struct grok_array moment = {.dtype = GROK_F32, .rank = 1, .shape = {m->n_params}, .n = m->n_params};
    int rc = grok_run_state_write(run, t->step, t->all, m->n_tensors, err);
    if (!rc) {
        moment.data = t->opt.m;
        rc = grok_run_write_array(run, "/state/opt/m", &moment, err);
    }
    if (!rc) {
        moment.data = t->opt.v;
        rc = grok_run_write_array(run, "/state/opt/v", &moment, err);
    }
    if (!rc)
        rc = grok_state_rng_write(run, "/state/rng", t->rng, err);
    if (!rc)
        rc = grok_run_attr_set_int(run, "/state", "opt_t", t->opt.t, err);
    if (!rc)
        rc = grok_run_attr_set_int(run, "/state", "stop_streak", t->streak, err);
    if (!rc)
        rc = grok_run_attr_set_str(run, "/state", "rng_type", GROK_STATE_RNG_TYPE, err);
    if (!rc)
        rc = grok_transforms_save(&t->transforms, run, err);
    return rc ? rc : grok_run_flush(run, err);
}

int grok_trainer_checkpoint(struct grok_trainer *t, struct grok_run *run, const char *dest,
                            struct grok_err *err)
{
    struct grok_run *copy = grok_run_clone(run, dest, err);
    int rc = copy ? grok_trainer_write_state(t, copy, err) : err->code;
    if (rc == GROK_OK)
        rc = grok_run_commit(copy, err);
    grok_run_close(copy);
    return rc;
}

int grok_trainer_read_state(struct grok_trainer *t, struct grok_run *run, struct grok_err *err)
{
    const char *name = grok_run_name(run);
    long long step = 0, opt_t = 0, streak = 0;
    int rc;
    if ((rc = grok_model_load(&t->model, run, -1, t->params, err)) ||
        (rc = grok_state_read_exact(run, "/state/opt/m", GROK_F32, t->opt.m, t->model.n_params, err)) ||
        (rc = grok_state_read_exact(run, "/state/opt/v", GROK_F32, t->opt.v, t->model.n_params, err)) ||
        (rc = grok_run_attr_get_int(run, "/state", "step", &step, err)) ||
        (rc = grok_run_attr_get_int(run, "/state", "opt_t", &opt_t, err)) ||
        (rc = grok_run_attr_get_int(run, "/state", "stop_streak", &streak, err)))
        return rc;
    if ((rc = grok_state_rng_read(run, "/state/rng", "/state", t->rng, err)))
        return rc;
    if (step < 0 || opt_t < 0 || opt_t > step || streak < 0 || streak > 3)
        return grok_err_set(err, GROK_EFORMAT, "%s: /state's step, opt_t or stop_streak is out of range", name);
    t->step = step;
    t->opt.t = opt_t;
    t->streak = (int)streak;
    return grok_transforms_load(&t->transforms, run, err);
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
    int rc = grok_stepcol_read(run, path, &steps, err);
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
            (rc = rows_to_keep(in, path, every[g], t->step, &keep, &last, err)) ||
            (rc = keep_rows(out, groups[g], keep, err)))
            return rc;
        if (g == 0)
            t->last_eval = last;
        else
            t->last_snap = last;
    }
    return GROK_OK;
}
