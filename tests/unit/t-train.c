/* The training library as the analysis programs use it: train a small run in-process, then
 * rebuild its model from /config, load /state and snapshots, and recompute its metrics. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grok/pool.h"
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
