/* A run's /metrics columns (include/grok/metrics.h). */
#include "grok/metrics.h"

#include "grok/stepcol.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const char *const grok_metric_names[GROK_METRIC_COLUMNS] = {
    "step", "train_loss", "train_acc", "test_loss", "test_acc", "param_norm", "lr"};

/* "/metrics/" and a link name. */
#define METRIC_PATH (GROK_MAX_NAME + 16)

int grok_metrics_append(struct grok_run *run, long long step,
                        const double values[GROK_METRIC_COLUMNS - 1], struct grok_err *err)
{
    char path[METRIC_PATH];
    int64_t s = step;
    int rc = grok_run_column_append(run, "/metrics/step", GROK_I64, &s, 1, err);
    for (int i = 1; rc == GROK_OK && i < GROK_METRIC_COLUMNS; i++)
        if ((rc = grok_run_path(path, sizeof path, "/metrics", grok_metric_names[i], err)) ==
            GROK_OK)
            rc = grok_run_column_append(run, path, GROK_F64, &values[i - 1], 1, err);
    return rc;
}

int grok_metrics_append_extra(struct grok_run *run, const char *const *names, const double *values,
                              int n, struct grok_err *err)
{
    char path[METRIC_PATH];
    int rc = GROK_OK;
    for (int i = 0; rc == GROK_OK && i < n; i++)
        if ((rc = grok_run_path(path, sizeof path, "/metrics", names[i], err)) == GROK_OK)
            rc = grok_run_column_append(run, path, GROK_F64, &values[i], 1, err);
    return rc;
}

/* a's int64 steps as float64, for arithmetic on them: exact below 2^53, past any real run. */
static int steps_as_double(struct grok_array *a, struct grok_err *err)
{
    double *d = malloc(a->n ? a->n * sizeof *d : 1);
    if (!d)
        return grok_err_set(err, GROK_ENOMEM, "out of memory for %zu steps", a->n);
    for (size_t i = 0; i < a->n; i++)
        d[i] = (double)((const int64_t *)a->data)[i];
    free(a->data);
    a->data = d;
    a->dtype = GROK_F64;
    return GROK_OK;
}

static int check_1d(struct grok_run *run, const char *path, const struct grok_array *a,
                    struct grok_err *err)
{
    if (a->rank != 1)
        return grok_err_set(err, GROK_EFORMAT, "%s: %s is not 1-D", grok_run_name(run), path);
    return GROK_OK;
}

int grok_metrics_read(struct grok_run *run, enum grok_dtype step_as, struct grok_array *step,
                      const char *const *names, int n, struct grok_array *cols,
                      struct grok_err *err)
{
    char path[METRIC_PATH];
    int rc = GROK_OK;
    memset(step, 0, sizeof *step);
    for (int i = 0; i < n; i++)
        memset(&cols[i], 0, sizeof cols[i]);
    /* a name too long is refused before anything is read; the paths are rebuilt where used */
    for (int i = 0; rc == GROK_OK && i < n; i++)
        rc = grok_run_path(path, sizeof path, "/metrics", names[i], err);
    if (rc == GROK_OK && (rc = grok_stepcol_read(run, "/metrics/step", step, err)) == GROK_OK &&
        step_as == GROK_F64)
        rc = steps_as_double(step, err);
    for (int i = 0; rc == GROK_OK && i < n; i++)
        if ((rc = grok_run_path(path, sizeof path, "/metrics", names[i], err)) == GROK_OK)
            rc = grok_run_read(run, path, GROK_F64, &cols[i], err);
    for (int i = 0; rc == GROK_OK && i < n; i++)
        if ((rc = grok_run_path(path, sizeof path, "/metrics", names[i], err)) == GROK_OK)
            rc = check_1d(run, path, &cols[i], err);
    for (int i = 0; rc == GROK_OK && i < n; i++)
        if (cols[i].n != step->n) {
            grok_run_path(path, sizeof path, "/metrics", names[i], NULL);
            rc = grok_err_set(err, GROK_EFORMAT, "%s: %s has %zu values, /metrics/step has %zu",
                              grok_run_name(run), path, cols[i].n, step->n);
        }
    if (rc != GROK_OK) {
        grok_array_free(step);
        for (int i = 0; i < n; i++)
            grok_array_free(&cols[i]);
    }
    return rc;
}
