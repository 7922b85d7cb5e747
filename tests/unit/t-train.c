/* The training library as the analysis programs use it: train a small run in-process, then
 * rebuild its model from /config, load /state and snapshots, and recompute its metrics. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grok/pool.h"
#include "grok/runmodel.h"
#include "grok/snapshots.h"
#include "grok/train.h"
#include "tap.h"

static double last_metric(struct grok_run *run, const char *column)
{
    struct grok_array a = {0};
    char path[64];
    snprintf(path, sizeof path, "/metrics/%s", column);
    if (grok_run_read(run, path, GROK_F64, &a, NULL))
        return NAN;
    double v = ((double *)a.data)[a.n - 1];
    grok_array_free(&a);
    return v;
}

/* Trains cfg into a run at path; returns how the loop ended, or -1 when setting up failed. */
static int train_into(const struct grok_train_config *cfg, const char *path)
{
    struct grok_trainer *t = NULL;
    struct grok_err err;
    struct grok_run *run = NULL;
    int end = -1;
    if (!(t = grok_trainer_new(cfg, &err)) || !(run = grok_run_create(path, &err)) ||
        grok_trainer_write_setup(t, run, &err)) {
        diag("%s", err.msg);
        goto out;
    }
    end = grok_train_loop(t, run, 1, NULL, &err);
    if (grok_run_commit(run, &err)) {
        diag("%s", err.msg);
        end = -1;
    }
out:
    grok_run_close(run);
    grok_trainer_free(t);
    return end;
}

static void check_run(const struct grok_train_config *cfg, const char *path, const char *what)
{
    struct grok_err err;
    struct grok_run *run = grok_run_open(path, &err);
    struct grok_model m;
    int32_t *tok = NULL, *y = NULL;
    int n = 0;
    ok(run != NULL, "%s: the run opens", what);
    if (!run)
        return;
    is_int(grok_model_from_run(&m, run, &err), GROK_OK, "%s: the model builds from /config", what);
    is_int(grok_model_examples(run, "train", &tok, &y, &n, &err), GROK_OK, "%s: the training examples load", what);

    /* the state's loss on the training set is the last train_loss of /metrics */
    float *params = malloc(m.n_params * sizeof *params);
    struct grok_work *w = grok_work_new(&m, n, GROK_F32, &err);
    is_int(grok_model_load(&m, run, -1, params, &err), GROK_OK, "%s: /state loads", what);
    int correct = 0;
    double loss = grok_model_loss_grad(&m, w, params, NULL, tok, y, n, &correct, NULL);
    double want = last_metric(run, "train_loss");
    ok(fabs(loss - want) <= 1e-6 * fabs(want) + 1e-12, "%s: train loss at /state %.9g = metrics %.9g", what, loss, want);
    is_near((double)correct / n, last_metric(run, "train_acc"), 1e-12, "%s: train accuracy recomputed", what);

    /* snapshot 0 holds the initial parameters: a fresh trainer draws the same ones */
    struct grok_trainer *t = grok_trainer_new(cfg, &err);
    ok(t != NULL, "%s: a second trainer sets up", what);
    const float *init = t ? grok_trainer_params(t) : params;
    is_int(grok_model_load(&m, run, 0, params, &err), GROK_OK, "%s: snapshot 0 loads", what);
    ok(memcmp(params, init, m.n_params * sizeof *params) == 0, "%s: snapshot 0 = the seed's initial parameters", what);
    double *theta = malloc(m.n_params * sizeof *theta);
    int same = theta && grok_model_load_f64(&m, run, 0, params, theta, &err) == GROK_OK;
    for (size_t i = 0; same && i < m.n_params; i++)
        same = theta[i] == (double)init[i];
    ok(same, "%s: snapshot 0 in double = the initial parameters widened", what);
    free(theta);
    grok_trainer_free(t);

    is_int(grok_model_load(&m, run, 12345, params, &err), GROK_ENOTFOUND, "%s: a missing snapshot step", what);
    is_str(err.msg, "model.h5: no snapshot at step 12345", "%s: ... is named", what);

    free(params);
    free(tok);
    free(y);
    grok_work_free(w);
    grok_model_free(&m);
    grok_run_close(run);
}

/* The data-parallel step: k slices give the loss, the gradient and the evaluation of one slice
 * up to rounding, and the same k gives the same bytes twice. */
static void check_threads(const struct grok_train_config *cfg, int k, const char *what)
{
    struct grok_trainer *one = NULL, *par = NULL, *again = NULL;
    struct grok_err err;
    if (!(one = grok_trainer_new(cfg, &err)) || !(par = grok_trainer_new(cfg, &err)) ||
        !(again = grok_trainer_new(cfg, &err)) || grok_trainer_set_threads(par, k, &err) ||
        grok_trainer_set_threads(again, k, &err)) {
        ok(0, "%s: %d threads set up (%s)", what, k, err.msg);
        grok_trainer_free(one);
        grok_trainer_free(par);
        grok_trainer_free(again);
        return;
    }
    is_int(grok_trainer_threads(par), k, "%s: %d workers", what, k);
    size_t np = grok_trainer_model(one)->n_params;
    double worst = 0, gworst = 0;
    int same = 1;
    for (int s = 0; s < 5; s++) {
        double l1 = grok_trainer_step(one), lp = grok_trainer_step(par), la = grok_trainer_step(again);
        worst = fmax(worst, fabs(l1 - lp) / fabs(l1));
        same &= lp == la && memcmp(grok_trainer_params(par), grok_trainer_params(again), np * sizeof(float)) == 0;
    }
    const float *g1 = grok_trainer_grad(one), *gp = grok_trainer_grad(par);
    double norm = 0;
    for (size_t i = 0; i < np; i++) {
        gworst = fmax(gworst, fabs((double)g1[i] - gp[i]));
        norm = fmax(norm, fabs((double)g1[i]));
    }
    if (!ok(worst < 1e-5 && gworst < 1e-4 * norm, "%s: %d slices give the losses and gradients of one", what, k))
        diag("loss %.3g, gradient %.3g of %.3g", worst, gworst, norm);
    ok(same, "%s: %d slices twice give the same bytes", what, k);
    struct grok_eval e1, ep;
    grok_trainer_eval(one, &e1);
    grok_trainer_eval(par, &ep);
    ok(fabs(e1.train_loss - ep.train_loss) < 1e-4 * e1.train_loss &&
           fabs(e1.test_acc - ep.test_acc) < 1.5 / grok_trainer_data(one)->n_test,
       "%s: %d slices evaluate as one", what, k);
    grok_trainer_free(one);
    grok_trainer_free(par);
    grok_trainer_free(again);
}

/* ---- the gradient-transform slot ---- */

/* A transform that records what it saw and multiplies the gradient by `factor`. */
struct probe {
    double factor;
    int calls;
    long long last_step;
    double seen_norm;        /* the norm of the gradient it was given, last call */
};

static void probe_apply(void *ctx, const float *params, float *grad, size_t n, long long step)
{
    (void)params;
    struct probe *p = ctx;
    double ss = 0;
    for (size_t i = 0; i < n; i++) {
        ss += (double)grad[i] * grad[i];
        grad[i] *= (float)p->factor;
    }
    p->seen_norm = sqrt(ss);
    p->calls++;
    p->last_step = step;
}

/* A Grokfast-style filter with state: avg = α·avg + (1 − α)·g, then g += λ·avg. Its state (the
 * average and its count of calls) goes to /state/transforms/ema. */
struct ema {
    float *avg;
    size_t n;
    long long calls;
    int out_of_order;        /* a call whose step was not the count of calls before it */
};

static void ema_apply(void *ctx, const float *params, float *grad, size_t n, long long step)
{
    (void)params;
    struct ema *e = ctx;
    e->out_of_order |= step != e->calls;
    for (size_t i = 0; i < n; i++) {
        e->avg[i] = 0.9f * e->avg[i] + 0.1f * grad[i];
        grad[i] += 2.0f * e->avg[i];
    }
    e->calls++;
}

static int ema_save(void *ctx, struct grok_run *run, const char *group, struct grok_err *err)
{
    struct ema *e = ctx;
    char path[128];
    snprintf(path, sizeof path, "%s/avg", group);
    struct grok_array a = {.dtype = GROK_F32, .rank = 1, .shape = {e->n}, .n = e->n, .data = e->avg};
    int rc = grok_run_write_array(run, path, &a, err);
    return rc ? rc : grok_run_attr_set_int(run, group, "calls", e->calls, err);
}

static int ema_load(void *ctx, struct grok_run *run, const char *group, struct grok_err *err)
{
    struct ema *e = ctx;
    char path[128];
    snprintf(path, sizeof path, "%s/avg", group);
    struct grok_array a = {0};
    int rc = grok_run_read(run, path, GROK_F32, &a, err);
    if (!rc && a.n != e->n)
        rc = grok_err_set(err, GROK_EFORMAT, "%s: %zu values", path, a.n);
    if (!rc)
        memcpy(e->avg, a.data, e->n * sizeof *e->avg);
    grok_array_free(&a);
    return rc ? rc : grok_run_attr_get_int(run, group, "calls", &e->calls, err);
}

/* The trainer frees the average; the test keeps the struct, to read its counts after. */
static void ema_free(void *ctx)
{
    struct ema *e = ctx;
    free(e->avg);
    e->avg = NULL;
}

/* Adds a fresh ema filter to t; returns it (the trainer owns its average, the caller the rest). */
static struct ema *add_ema(struct grok_trainer *t)
{
    struct ema *e = calloc(1, sizeof *e);
    e->n = grok_trainer_model(t)->n_params;
    e->avg = calloc(e->n, sizeof *e->avg);
    struct grok_grad_transform x = {.name = "ema", .apply = ema_apply, .save = ema_save,
                                    .load = ema_load, .free = ema_free, .ctx = e};
    struct grok_err err;
    if (grok_trainer_add_transform(t, &x, &err))
        diag("%s", err.msg);
    return e;
}

/* Trains cfg with an ema filter on `threads` threads into path, fresh or continuing `from`. */
static int train_ema(const struct grok_train_config *cfg, int threads, const char *from,
                     const char *path, struct ema **out)
{
    struct grok_err err = {0};
    struct grok_run *in = NULL, *run = NULL;
    struct grok_trainer *t = grok_trainer_new(cfg, &err);
    int end = -1;
    if (!t)
        goto out;
    *out = add_ema(t);
    if (grok_trainer_set_threads(t, threads, &err) || !(run = grok_run_create(path, &err)))
        goto out;
    if (from && (!(in = grok_run_open(from, &err)) || grok_trainer_resume(t, in, &err) ||
                 grok_train_resume_run(t, run, in, &err)))
        goto out;
    if (!from && grok_trainer_write_setup(t, run, &err))
        goto out;
    end = grok_train_loop(t, run, !from, NULL, &err);
    if (grok_run_commit(run, &err))
        end = -1;
out:
    if (end < 0)
        diag("%s", err.msg);
    grok_run_close(in);
    grok_run_close(run);
    grok_trainer_free(t);
    return end;
}

/* The bytes of the float dataset at path in the run at file. */
static int read_floats(const char *file, const char *path, struct grok_array *a)
{
    struct grok_run *run = grok_run_open(file, NULL);
    int rc = run ? grok_run_read(run, path, GROK_F32, a, NULL) : GROK_EIO;
    grok_run_close(run);
    return rc;
}

static int same_dataset(const char *f1, const char *f2, const char *path)
{
    struct grok_array a = {0}, b = {0};
    int same = !read_floats(f1, path, &a) && !read_floats(f2, path, &b) && a.n == b.n &&
               memcmp(a.data, b.data, a.n * sizeof(float)) == 0;
    grok_array_free(&a);
    grok_array_free(&b);
    return same;
}

static void check_transforms(const struct grok_train_config *base, int threads, const char *what)
{
    struct grok_err err;
    struct grok_train_config c = *base;
    c.opt.kind = GROK_OPT_SGD;
    c.opt.wd = 0;
    c.opt.momentum = 0;
    c.opt.warmup = 0;

    /* a transform that zeroes the gradient leaves plain SGD nothing to do: it runs before the update */
    struct grok_trainer *t = grok_trainer_new(&c, &err);
    struct probe zero = {.factor = 0}, grow = {.factor = 1000};
    struct grok_grad_transform x = {.name = "zero", .apply = probe_apply, .ctx = &zero};
    is_int(grok_trainer_add_transform(t, &x, &err), GROK_OK, "%s: a transform is added", what);
    is_int(grok_trainer_add_transform(t, &x, &err), GROK_EINVAL, "%s: ... and not twice", what);
    grok_trainer_set_threads(t, threads, &err);
    size_t np = grok_trainer_model(t)->n_params;
    float *before = malloc(np * sizeof *before);
    memcpy(before, grok_trainer_params(t), np * sizeof *before);
    grok_trainer_step(t);
    grok_trainer_step(t);
    ok(zero.calls == 2 && zero.last_step == 1 && zero.seen_norm > 0,
       "%s: the transform ran once a step, told the step", what);
    ok(memcmp(before, grok_trainer_params(t), np * sizeof *before) == 0,
       "%s: a zeroed gradient moves no parameter: the transform runs before the update", what);
    grok_trainer_free(t);
    free(before);

    /* one that scales the gradient up is clipped after: the clip sees the transformed gradient */
    c.clip = 1e-3;
    t = grok_trainer_new(&c, &err);
    x = (struct grok_grad_transform){.name = "grow", .apply = probe_apply, .ctx = &grow};
    grok_trainer_add_transform(t, &x, &err);
    grok_trainer_set_threads(t, threads, &err);
    grok_trainer_step(t);
    double ss = 0;
    for (size_t i = 0; i < np; i++)
        ss += (double)grok_trainer_grad(t)[i] * grok_trainer_grad(t)[i];
    ok(grow.seen_norm * 1000 > 2 * c.clip && fabs(sqrt(ss) - c.clip) < 1e-6 * c.clip,
       "%s: the clip applies to the transformed gradient (norm %.9g)", what, sqrt(ss));
    grok_trainer_free(t);

    /* a filter with state: N steps, then N more from /state, are 2N at once, byte for byte */
    c = *base;
    long long N = c.steps;
    struct ema *e1 = NULL, *e2 = NULL, *e3 = NULL;
    c.steps = N;
    int a = train_ema(&c, threads, NULL, "half.h5", &e1);
    c.steps = 2 * N;
    int b = train_ema(&c, threads, "half.h5", "rest.h5", &e2);
    int w = train_ema(&c, threads, NULL, "whole.h5", &e3);
    ok(a == GROK_TRAIN_DONE && b == GROK_TRAIN_DONE && w == GROK_TRAIN_DONE, "%s: the filtered runs train", what);
    ok(e2->calls == 2 * N && e3->calls == 2 * N && !e1->out_of_order && !e2->out_of_order && !e3->out_of_order,
       "%s: the filter's count of calls resumes with it", what);
    ok(same_dataset("rest.h5", "whole.h5", "/state/transforms/ema/avg"), "%s: N+N steps: the filter's state is 2N's", what);
    int same = 1;
    struct grok_trainer *probe_t = grok_trainer_new(&c, &err);
    const struct grok_model *m = grok_trainer_model(probe_t);
    for (int i = 0; i < m->n_tensors; i++) {
        char path[GROK_MAX_NAME + 16];
        snprintf(path, sizeof path, "/state/%s", m->tensors[i].name);
        same &= same_dataset("rest.h5", "whole.h5", path);
    }
    same &= same_dataset("rest.h5", "whole.h5", "/state/opt/m") && same_dataset("rest.h5", "whole.h5", "/state/opt/v");
    ok(same, "%s: N+N steps: the parameters and moments are 2N's, byte for byte", what);
    struct grok_array l1 = {0}, l2 = {0};
    struct grok_run *r1 = grok_run_open("rest.h5", NULL), *r2 = grok_run_open("whole.h5", NULL);
    ok(r1 && r2 && !grok_run_read(r1, "/metrics/train_loss", GROK_F64, &l1, NULL) &&
           !grok_run_read(r2, "/metrics/train_loss", GROK_F64, &l2, NULL) && l1.n == l2.n &&
           memcmp(l1.data, l2.data, l1.n * sizeof(double)) == 0,
       "%s: N+N steps: the metrics are 2N's", what);
    grok_array_free(&l1);
    grok_array_free(&l2);
    grok_run_close(r1);
    grok_run_close(r2);

    /* a run without the filter cannot continue with it */
    grok_trainer_free(probe_t);
    c.steps = N;
    is_int(train_into(&c, "plain.h5"), GROK_TRAIN_DONE, "%s: a run without transforms", what);
    struct grok_run *plain = grok_run_open("plain.h5", &err);
    ok(plain && !grok_run_exists(plain, "/state/transforms"), "%s: ... has no /state/transforms", what);
    probe_t = grok_trainer_new(&c, &err);
    struct ema *e4 = add_ema(probe_t);
    is_int(grok_trainer_resume(probe_t, plain, &err), GROK_ENOTFOUND, "%s: ... and resumes without the filter only", what);
    is_str(err.msg, "plain.h5: no /state/transforms/ema: the run was trained without gradient transform 'ema'",
           "%s: ... which is named", what);
    grok_trainer_free(probe_t);
    grok_run_close(plain);
    free(e1);
    free(e2);
    free(e3);
    free(e4);
    unlink("half.h5");
    unlink("rest.h5");
    unlink("whole.h5");
    unlink("plain.h5");
}

int main(void)
{
    char dir[] = "/tmp/grok-t-train.XXXXXX";
    if (!mkdtemp(dir) || chdir(dir))
        return 1;

    struct grok_train_config c;
    struct grok_err err;
    grok_config_defaults(&c);
    c.p = 11;
    c.frac = 0.5;
    c.model.arch = GROK_MLP;
    c.model.d_embed = 8;
    c.model.hidden[0] = 32;
    c.init = GROK_INIT_TORCH;
    c.batch = 16;
    c.steps = 120;
    c.eval_every = 40;
    c.snapshot_every = 40;
    is_int(grok_config_resolve(&c, &err), GROK_OK, "an mlp config resolves");
    is_int(train_into(&c, "model.h5"), GROK_TRAIN_DONE, "an mlp trains to its last step");
    check_run(&c, "model.h5", "mlp");
    check_threads(&c, 2, "mlp");
    check_threads(&c, 3, "mlp");
    c.steps = 30;
    c.eval_every = 10;
    c.snapshot_every = 10;
    check_transforms(&c, 1, "mlp, one thread");
    c.steps = 120;
    c.eval_every = 40;
    c.snapshot_every = 40;

    grok_config_defaults(&c);
    c.p = 7;
    c.model.d_model = 16;
    c.model.n_heads = 2;
    c.model.d_mlp = 32;
    c.model.n_layers = 2;
    c.model.norm = 1;
    c.steps = 30;
    c.eval_every = 10;
    c.snapshot_every = 10;
    is_int(grok_config_resolve(&c, &err), GROK_OK, "a transformer config resolves");
    is_int(train_into(&c, "model.h5"), GROK_TRAIN_DONE, "a transformer trains to its last step");
    check_run(&c, "model.h5", "transformer");
    check_threads(&c, 2, "transformer");
    check_threads(&c, 5, "transformer");
    check_transforms(&c, 2, "transformer, two threads");

    /* --stop-at counts three evaluations in a row */
    struct grok_trainer *t;
    c.stop_at = 0.5;
    t = grok_trainer_new(&c, &err);
    struct grok_eval e = {.test_acc = 0.6};
    int s1 = grok_trainer_should_stop(t, &e), s2 = grok_trainer_should_stop(t, &e);
    e.test_acc = 0.4;
    int s3 = grok_trainer_should_stop(t, &e);
    e.test_acc = 0.5;
    int s4 = grok_trainer_should_stop(t, &e), s5 = grok_trainer_should_stop(t, &e),
        s6 = grok_trainer_should_stop(t, &e);
    ok(!s1 && !s2 && !s3 && !s4 && !s5 && s6, "stop-at: the third evaluation in a row at or above it stops");
    grok_trainer_free(t);
    grok_trainer_free(NULL);

    /* --threads 1 is one thread, OpenBLAS's included, whatever OpenBLAS had before */
    grok_blas_threads(2);
    t = grok_trainer_new(&c, &err);
    is_int(grok_trainer_set_threads(t, 1, &err), GROK_OK, "one thread set up");
    is_int(openblas_get_num_threads(), 1, "one thread: OpenBLAS runs on one thread too");
    grok_trainer_free(t);

    unlink("model.h5");
    if (chdir("/") || rmdir(dir))
        diag("could not remove %s", dir);
    return done_testing();
}
