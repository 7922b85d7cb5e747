/* The run's /data group (include/grok/data.h). */
#include "grok/data.h"

#include <stdio.h>
#include <stdlib.h>

#define GROUP "/data"

static int write_ints(struct grok_run *run, const char *path, int32_t *v, int rows, int cols,
                      struct grok_err *err)
{
    struct grok_array a = {.dtype = GROK_I32, .rank = cols > 1 ? 2 : 1, .shape = {rows, cols},
                           .n = (size_t)rows * cols, .data = v};
    return grok_run_write_array(run, path, &a, err);
}

int grok_data_write(struct grok_run *run, const struct grok_dataset *d, struct grok_err *err)
{
    int rc;
    if ((rc = write_ints(run, GROUP "/train", d->train_ab, d->n_train, 2, err)) ||
        (rc = write_ints(run, GROUP "/train_y", d->train_y, d->n_train, 1, err)) ||
        (rc = write_ints(run, GROUP "/test", d->test_ab, d->n_test, 2, err)) ||
        (rc = write_ints(run, GROUP "/test_y", d->test_y, d->n_test, 1, err)))
        return rc;
    long long *counts = malloc(2 * (size_t)d->p * sizeof *counts);
    if (!counts)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    grok_dataset_counts(d, counts);
    size_t shape[2] = {2, (size_t)d->p};
    rc = grok_run_write_i64(run, GROUP, "train_counts", counts, 2, shape, err);
    free(counts);
    return rc;
}

/* A set's examples and its labels or targets, both read or neither. */
static int read_pair(struct grok_run *run, const char *path, const char *ypath, enum grok_dtype as,
                     struct grok_array *a, struct grok_array *y, struct grok_err *err)
{
    *a = (struct grok_array){0};
    *y = (struct grok_array){0};
    int rc = grok_run_read(run, path, as, a, err);
    if (!rc)
        rc = grok_run_read(run, ypath, as, y, err);
    if (rc)
        grok_array_free(a);
    return rc;
}

int grok_data_read(struct grok_run *run, const char *set, enum grok_op op, int p,
                   struct grok_array *ab, struct grok_array *y, struct grok_err *err)
{
    char path[32], ypath[32];
    snprintf(path, sizeof path, GROUP "/%s", set);
    snprintf(ypath, sizeof ypath, GROUP "/%s_y", set);
    int rc = read_pair(run, path, ypath, GROK_I32, ab, y, err);
    if (!rc && (ab->rank != 2 || ab->shape[1] != 2 || y->n != ab->shape[0] || y->n == 0 || y->n > (1u << 30)))
        rc = grok_err_set(err, GROK_EFORMAT, "%s: %s and %s are not N pairs and N answers",
                          grok_run_name(run), path, ypath);
    const int32_t *pairs = ab->data, *answers = y->data;
    for (size_t i = 0; !rc && i < y->n; i++)
        if (grok_task_answer(op, p, pairs[2 * i], pairs[2 * i + 1]) != answers[i] || answers[i] < 0)
            rc = grok_err_set(err, GROK_EFORMAT, "%s: %s row %zu is not a pair of %s mod %d with its answer",
                              grok_run_name(run), path, i, grok_op_name(op), p);
    if (rc) {
        grok_array_free(ab);
        grok_array_free(y);
    }
    return rc;
}

static int write_floats(struct grok_run *run, const char *path, float *v, int rows, int cols,
                        struct grok_err *err)
{
    struct grok_array a = {.dtype = GROK_F32, .rank = cols > 0 ? 2 : 1, .shape = {rows, cols},
                           .n = (size_t)rows * (cols > 0 ? cols : 1), .data = v};
    return grok_run_write_array(run, path, &a, err);
}

int grok_data_write_regress(struct grok_run *run, const struct grok_regress_set *s, struct grok_err *err)
{
    int rc;
    if ((rc = write_floats(run, GROUP "/train_x", s->train_x, s->n_train, s->n_inputs, err)) ||
        (rc = write_floats(run, GROUP "/train_target", s->train_y, s->n_train, 0, err)) ||
        (rc = write_floats(run, GROUP "/test_x", s->test_x, s->n_test, s->n_inputs, err)))
        return rc;
    return write_floats(run, GROUP "/test_target", s->test_y, s->n_test, 0, err);
}

int grok_data_read_regress(struct grok_run *run, const char *set, int n_inputs, struct grok_array *x,
                           struct grok_array *target, struct grok_err *err)
{
    char path[32], tpath[40];
    snprintf(path, sizeof path, GROUP "/%s_x", set);
    snprintf(tpath, sizeof tpath, GROUP "/%s_target", set);
    int rc = read_pair(run, path, tpath, GROK_F32, x, target, err);
    if (!rc && (x->rank != 2 || x->shape[1] != (size_t)n_inputs || target->n != x->shape[0] ||
                target->n == 0 || target->n > (1u << 24)))
        rc = grok_err_set(err, GROK_EFORMAT, "%s: %s and %s are not N examples of %d inputs and N targets",
                          grok_run_name(run), path, tpath, n_inputs);
    if (rc) {
        grok_array_free(x);
        grok_array_free(target);
    }
    return rc;
}
