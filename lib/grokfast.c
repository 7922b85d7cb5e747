/* Grokfast's gradient filters (include/grok/grokfast.h). */
#include "grok/grokfast.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grok/config.h"
#include "grok/run.h"
#include "grok/state.h"
#include "grok/train.h"

/* The most a moving average's window may hold, in bytes: it lives in memory and in every
 * checkpoint's /state. */
#define RING_MAX_BYTES (2.0 * 1024 * 1024 * 1024)

struct grokfast {
    enum grok_grokfast_kind kind;
    size_t n;
    double alpha, lambda;
    int window;                    /* ma */
    long long seen;                /* gradients filtered so far */
    float *h;                      /* (n) ema: the filtered gradient */
    float *ring;                   /* (window, n) ma: the last gradients, oldest at `seen % window` */
    double *sum;                   /* (n) ma: their sum */
    double added;                  /* ‖λ h‖ at the last step, the metric */
};

static void ema_apply(struct grokfast *f, float *g)
{
    float alpha = (float)f->alpha, lambda = (float)f->lambda;   /* the authors' float arithmetic */
    if (f->seen == 0)
        memcpy(f->h, g, f->n * sizeof *f->h);   /* the authors start h at the first gradient */
    else
        for (size_t i = 0; i < f->n; i++)
            f->h[i] = f->h[i] * alpha + g[i] * (1.0f - alpha);
    double ss = 0;
    for (size_t i = 0; i < f->n; i++) {
        float add = f->h[i] * lambda;
        ss += (double)add * add;
        g[i] += add;
    }
    f->added = sqrt(ss);
}

/* The window's mean from a running sum in double: the mean of WINDOW gradients recomputed each
 * step would cost WINDOW passes over the parameters. */
static void ma_apply(struct grokfast *f, float *g)
{
    size_t n = f->n;
    float *slot = f->ring + (size_t)(f->seen % f->window) * n;
    int full = f->seen >= f->window;
    for (size_t i = 0; i < n; i++) {
        f->sum[i] += (double)g[i] - (full ? (double)slot[i] : 0.0);
        slot[i] = g[i];
    }
    f->added = 0;
    if (f->seen + 1 < f->window)
        return;   /* the authors' warm-up: no filter until the window is full */
    double ss = 0;
    for (size_t i = 0; i < n; i++) {
        double add = f->lambda * (f->sum[i] / f->window);
        ss += add * add;
        g[i] = (float)(g[i] + add);
    }
    f->added = sqrt(ss);
}

static void grokfast_apply(void *ctx, const float *params, float *g, size_t n, long long step)
{
    (void)params;
    (void)n;
    (void)step;
    struct grokfast *f = ctx;
    if (f->kind == GROK_GROKFAST_EMA)
        ema_apply(f, g);
    else
        ma_apply(f, g);
    f->seen++;
}

static void grokfast_report(void *ctx, double *values)
{
    struct grokfast *f = ctx;
    values[0] = f->seen ? f->added : NAN;
}

static int write_floats(struct grok_run *run, const char *group, const char *name, const float *x,
                        size_t rows, size_t n, struct grok_err *err)
{
    char path[GROK_MAX_NAME + 32];
    struct grok_array a = {.dtype = GROK_F32, .rank = rows ? 2 : 1, .shape = {rows ? rows : n, n},
                           .n = (rows ? rows : 1) * n, .data = (void *)x};
    int rc = grok_run_path(path, sizeof path, group, name, err);
    return rc ? rc : grok_run_write_array(run, path, &a, err);
}

/* group/name into out: exactly count values read as `as`. */
static int read_into(struct grok_run *run, const char *group, const char *name, enum grok_dtype as,
                     void *out, size_t count, struct grok_err *err)
{
    char path[GROK_MAX_NAME + 32];
    int rc = grok_run_path(path, sizeof path, group, name, err);
    return rc ? rc : grok_state_read_exact(run, path, as, out, count, err);
}

static int grokfast_save(void *ctx, struct grok_run *run, const char *group, struct grok_err *err)
{
    struct grokfast *f = ctx;
    int rc;
    if (f->kind == GROK_GROKFAST_EMA) {
        rc = write_floats(run, group, "h", f->h, 0, f->n, err);
    } else {
        /* the rows filled so far: a window larger than the steps run is mostly zeros */
        size_t shape[1] = {f->n}, rows = f->seen < f->window ? (size_t)f->seen : (size_t)f->window;
        rc = write_floats(run, group, "ring", f->ring, rows ? rows : 1, f->n, err);
        if (rc == GROK_OK)
            rc = grok_run_write_f64(run, group, "sum", f->sum, 1, shape, err);
    }
    if (rc == GROK_OK)
        rc = grok_run_attr_set_int(run, group, "seen", f->seen, err);
    if (rc == GROK_OK)
        rc = grok_run_attr_set_double(run, group, "added", f->added, err);
    return rc;
}

static int grokfast_load(void *ctx, struct grok_run *run, const char *group, struct grok_err *err)
{
    struct grokfast *f = ctx;
    int rc = grok_run_attr_get_int(run, group, "seen", &f->seen, err);
    if (rc == GROK_OK && f->seen < 0)
        rc = grok_err_set(err, GROK_EFORMAT, "%s: %s@seen is negative", grok_run_name(run), group);
    size_t rows = f->seen < f->window ? (size_t)f->seen : (size_t)f->window;
    if (rc == GROK_OK)
        rc = f->kind == GROK_GROKFAST_EMA
                 ? read_into(run, group, "h", GROK_F32, f->h, f->n, err)
                 : read_into(run, group, "ring", GROK_F32, f->ring, (rows ? rows : 1) * f->n, err);
    if (rc == GROK_OK && f->kind == GROK_GROKFAST_MA)
        rc = read_into(run, group, "sum", GROK_F64, f->sum, f->n, err);
    if (rc == GROK_OK)
        rc = grok_run_attr_get_double(run, group, "added", &f->added, err);
    return rc;
}

static void grokfast_free(void *ctx)
{
    struct grokfast *f = ctx;
    if (!f)
        return;
    free(f->h);
    free(f->ring);
    free(f->sum);
    free(f);
}

int grok_grokfast_add(struct grok_trainer *t, struct grok_err *err)
{
    const struct grok_train_config *c = grok_trainer_config(t);
    enum grok_grokfast_kind kind;
    double a, lambda;
    int rc = grok_config_parse_grokfast("--grokfast", c->grokfast, &kind, &a, &lambda, err);
    if (rc)
        return rc;
    struct grokfast *f = calloc(1, sizeof *f);
    if (!f)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    f->kind = kind;
    f->n = grok_trainer_model(t)->n_params;
    f->alpha = a;
    f->lambda = lambda;
    if (kind == GROK_GROKFAST_EMA) {
        f->h = calloc(f->n, sizeof *f->h);
    } else {
        f->window = (int)a;
        double bytes = (double)f->window * (double)f->n * sizeof *f->ring;
        if (bytes > RING_MAX_BYTES) {
            grokfast_free(f);
            return grok_err_set(err, GROK_EINVAL, "--grokfast %s: a window of %d gradients of %zu parameters is "
                                "%.1f GiB, more than %.0f GiB", c->grokfast, (int)a,
                                grok_trainer_model(t)->n_params, bytes / (1 << 30), RING_MAX_BYTES / (1 << 30));
        }
        f->ring = calloc((size_t)f->window * f->n, sizeof *f->ring);
        f->sum = calloc(f->n, sizeof *f->sum);
    }
    if (kind == GROK_GROKFAST_EMA ? !f->h : !f->ring || !f->sum) {
        grokfast_free(f);
        return grok_err_set(err, GROK_ENOMEM, "--grokfast %s: out of memory for the filter's state", c->grokfast);
    }
    struct grok_grad_transform x = {.name = "grokfast", .apply = grokfast_apply, .save = grokfast_save,
                                    .load = grokfast_load, .n_metrics = 1, .metric_names = {"grokfast_norm"},
                                    .report = grokfast_report, .free = grokfast_free, .ctx = f};
    return grok_trainer_add_transform(t, &x, err);
}
