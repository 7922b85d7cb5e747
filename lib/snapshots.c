/* A run's /snapshots (include/grok/snapshots.h). */
#include "grok/snapshots.h"

#include "grok/stepcol.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int grok_run_snapshot_append(struct grok_run *run, long long step, const struct grok_tensor *t,
                             int n, struct grok_err *err)
{
    int rc = grok_run_need_writable(run, "/snapshots", err);
    if (rc != GROK_OK)
        return rc;
    size_t nsnap;
    if ((rc = grok_run_column_length(run, "/snapshots/step", &nsnap, err)) != GROK_OK)
        return rc;
    char path[GROK_MAX_NAME + 32];
    if (nsnap > 0) {
        char **names;
        size_t nnames;
        if ((rc = grok_run_children(run, "/snapshots", &names, &nnames, err)) != GROK_OK)
            return rc;
        grok_names_free(names, nnames);
        if (nnames != (size_t)n + 1)
            return grok_err_set(err, GROK_EINVAL,
                                "%s: a snapshot of %d parameters, the first one had %zu",
                                grok_run_name(run), n, nnames - 1);
    }
    /* Check everything before writing anything, so that a refused call changes nothing. */
    for (int i = 0; i < n; i++) {
        if ((rc = grok_tensor_check(&t[i], grok_run_name(run), err)) != GROK_OK)
            return rc;
        snprintf(path, sizeof path, "/snapshots/%s", t[i].name);
        if (nsnap == 0 || !grok_run_exists(run, path)) {
            if (nsnap > 0)
                return grok_err_set(err, GROK_EINVAL, "%s: %s was not in the first snapshot",
                                    grok_run_name(run), path);
            continue;
        }
        struct grok_array info;
        if ((rc = grok_run_info(run, path, &info, err)) != GROK_OK)
            return rc;
        int same = info.rank == t[i].rank + 1;
        for (int k = 0; same && k < t[i].rank; k++)
            same = info.shape[k + 1] == t[i].shape[k];
        if (!same)
            return grok_err_set(err, GROK_EINVAL, "%s: %s: shape differs from earlier snapshots",
                                grok_run_name(run), path);
    }
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "/snapshots/%s", t[i].name);
        /* Rows are written at index nsnap whatever length a failed earlier call left, and the
         * step column goes last: readers trust /snapshots/step for the count. */
        if ((rc = grok_run_rows_write(run, path, GROK_F32, t[i].rank, t[i].shape, 1, nsnap, 1,
                                      t[i].data, err)) != GROK_OK)
            return rc;
    }
    int64_t s = step;
    return grok_run_rows_write(run, "/snapshots/step", GROK_I64, 0, NULL, 1024, nsnap, 1, &s,
                               err);
}

/* A parameter's snapshots are a numeric dataset [T', shape...] with shape of rank 1 or more, and
 * T' is T, the length of /snapshots/step, or T + 1: grok_run_snapshot_append extends the step
 * column last, so an append cut short (a killed grok-train's temporary file) leaves one row
 * more, which readers ignore. Any other T' (a step column shortened or from elsewhere, a
 * damaged file) would drop snapshots silently or read past the end. */
static int check_param(struct grok_run *run, const struct grok_snapshots *s, const char *name,
                       struct grok_err *err)
{
    char path[GROK_MAX_NAME + 16];
    struct grok_array info;
    int rc = grok_run_path(path, sizeof path, "/snapshots", name, err);
    if (rc == GROK_OK)
        rc = grok_run_info(run, path, &info, err);
    if (rc != GROK_OK)
        return rc;
    if (info.rank < 2 || info.dtype == GROK_STR || info.dtype == GROK_OTHER)
        return grok_err_set(err, GROK_EFORMAT, "%s: %s is not a numeric parameter snapshot of "
                            "rank 1 or more", grok_run_name(run), path);
    if (info.shape[0] < s->T)
        return grok_err_set(err, GROK_EFORMAT, "%s: %s has %zu snapshots, fewer than "
                            "/snapshots/step (%zu)", grok_run_name(run), path, info.shape[0], s->T);
    if (info.shape[0] > s->T + 1)
        return grok_err_set(err, GROK_EFORMAT, "%s: %s has %zu snapshots, /snapshots/step only %zu",
                            grok_run_name(run), path, info.shape[0], s->T);
    return GROK_OK;
}

int grok_snapshots_nonempty(struct grok_run *run, const struct grok_snapshots *s,
                            struct grok_err *err)
{
    if (s->T > 0)
        return GROK_OK;
    return grok_err_set(err, GROK_ENOTFOUND, "%s: /snapshots/step is empty", grok_run_name(run));
}

int grok_snapshots_path(char *buf, size_t cap, const char *name, struct grok_err *err)
{
    return grok_run_path(buf, cap, "/snapshots", name, err);
}

int grok_snapshots_load(struct grok_run *run, struct grok_snapshots *s, struct grok_err *err)
{
    memset(s, 0, sizeof *s);
    if (!grok_run_exists(run, "/snapshots/step"))
        return grok_err_set(err, GROK_ENOTFOUND, "%s: no snapshots (/snapshots/step)",
                            grok_run_name(run));
    struct grok_array steps;
    char **names = NULL;
    size_t n = 0;
    int rc = grok_stepcol_read(run, "/snapshots/step", &steps, err);
    if (rc != GROK_OK)
        return rc;
    if ((rc = grok_run_children(run, "/snapshots", &names, &n, err)) != GROK_OK) {
        grok_array_free(&steps);
        return rc;
    }
    s->steps = steps.data;
    s->T = steps.shape[0];
    s->params = names;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], "step") == 0) {
            free(names[i]);
            continue;
        }
        names[s->nparams++] = names[i];
    }
    for (size_t i = 0; i < s->nparams; i++)
        if ((rc = check_param(run, s, s->params[i], err)) != GROK_OK) {
            grok_snapshots_free(s);
            return rc;
        }
    return GROK_OK;
}

void grok_snapshots_free(struct grok_snapshots *s)
{
    free(s->steps);
    grok_names_free(s->params, s->nparams);
    memset(s, 0, sizeof *s);
}

/* |a - b| in unsigned arithmetic: no overflow whatever steps a file holds. */
static unsigned long long step_distance(long long a, long long b)
{
    return a > b ? (unsigned long long)a - (unsigned long long)b
                 : (unsigned long long)b - (unsigned long long)a;
}

size_t grok_snapshots_nearest(const struct grok_snapshots *s, long long step)
{
    size_t best = 0;
    for (size_t i = 1; i < s->T; i++)
        if (step_distance(s->steps[i], step) < step_distance(s->steps[best], step))
            best = i;
    return best;
}

int grok_snapshots_select(const struct grok_snapshots *s, const struct grok_steps *r,
                          size_t **rows, long long **steps, size_t *T, struct grok_err *err)
{
    size_t cap = s->T ? s->T : 1;
    *T = 0;
    *steps = malloc(cap * sizeof **steps);
    if (rows)
        *rows = malloc(cap * sizeof **rows);
    if (!*steps || (rows && !*rows)) {
        free(*steps);
        *steps = NULL;
        if (rows) {
            free(*rows);
            *rows = NULL;
        }
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    }
    for (size_t t = 0; t < s->T; t++)
        if (grok_steps_match(r, s->steps[t])) {
            if (rows)
                (*rows)[*T] = t;
            (*steps)[(*T)++] = s->steps[t];
        }
    return GROK_OK;
}

int grok_snapshots_load_selected(struct grok_run *run, const struct grok_selection *sel,
                                 struct grok_snapshots *s, char ***params, size_t *nparams,
                                 struct grok_err *err)
{
    *params = NULL;
    *nparams = 0;
    int rc = grok_snapshots_load(run, s, err);
    if (rc != GROK_OK)
        return rc;
    char **names = calloc(s->nparams ? s->nparams : 1, sizeof *names);
    size_t n = 0;
    if (!names) {
        rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < s->nparams; i++)
        if (grok_globs_match(sel->globs, sel->nglobs, s->params[i]))
            names[n++] = s->params[i];
    /* The order of the checks is what a user sees first when several hold. */
    rc = GROK_ENOTFOUND;
    if (s->nparams == 0) {
        grok_err_set(err, rc, "%s: /snapshots holds no parameters", grok_run_name(run));
        goto out;
    }
    if (n == 0) {
        char globs[512];
        grok_globs_join(globs, sizeof globs, sel->globs, sel->nglobs);
        grok_err_set(err, rc, "%s: no parameter matches -p %s", grok_run_name(run), globs);
        goto out;
    }
    if ((rc = grok_snapshots_nonempty(run, s, err)) != GROK_OK)
        goto out;
    *params = names;
    *nparams = n;
    return GROK_OK;
out:
    free(names);
    grok_snapshots_free(s);
    return rc;
}

int grok_snapshot_read(struct grok_run *run, size_t t, const char *name, struct grok_array *row,
                       struct grok_tensor *ts, struct grok_err *err)
{
    char path[GROK_MAX_NAME + 16];
    memset(row, 0, sizeof *row);
    if (grok_run_path(path, sizeof path, "/snapshots", name, NULL) != GROK_OK ||
        !grok_run_exists(run, path))
        return grok_err_set(err, GROK_ENOTFOUND, "%s: no snapshots of '%s'", grok_run_name(run),
                            name);
    int rc = grok_run_read_rows(run, path, t, 1, GROK_F32, row, err);
    if (rc != GROK_OK || !ts)
        return rc;
    ts->name = name;
    ts->rank = row->rank - 1;
    memcpy(ts->shape, row->shape + 1, sizeof(size_t) * (GROK_MAX_RANK - 1));
    ts->data = row->data;
    return GROK_OK;
}

int grok_model_load(const struct grok_model *m, struct grok_run *run, long long step,
                    float *params, struct grok_err *err)
{
    size_t row = 0;
    if (step >= 0) {
        struct grok_array steps = {0};
        int rc = grok_stepcol_read(run, "/snapshots/step", &steps, err);
        if (rc)
            return rc;
        size_t i = 0;
        while (i < steps.n && ((long long *)steps.data)[i] != step)
            i++;
        size_t n = steps.n;
        grok_array_free(&steps);
        if (i == n)
            return grok_err_set(err, GROK_ENOTFOUND, "%s: no snapshot at step %lld", grok_run_name(run), step);
        row = i;
    }
    for (int i = 0; i < m->n_tensors; i++) {
        const struct grok_param *t = &m->tensors[i];
        char path[128];
        snprintf(path, sizeof path, "%s/%s", step >= 0 ? "/snapshots" : "/state", t->name);
        if (!grok_run_exists(run, path))
            return grok_err_set(err, GROK_ENOTFOUND, "%s: %s is missing (%s)", grok_run_name(run), path,
                                step >= 0 ? "the run's snapshots do not hold every parameter" : "no full state");
        struct grok_array a = {0};
        int rc = step >= 0 ? grok_run_read_rows(run, path, row, 1, GROK_F32, &a, err)
                           : grok_run_read(run, path, GROK_F32, &a, err);
        if (rc)
            return rc;
        int off = step >= 0 ? 1 : 0;
        int same = a.rank - off == t->rank && a.n == t->size;
        for (int d = 0; same && d < t->rank; d++)
            same = a.shape[d + off] == t->shape[d];
        if (!same) {
            grok_array_free(&a);
            return grok_err_set(err, GROK_EFORMAT, "%s: %s has the wrong shape for this model",
                                grok_run_name(run), path);
        }
        memcpy(params + t->offset, a.data, t->size * sizeof(float));
        grok_array_free(&a);
    }
    return GROK_OK;
}

int grok_model_load_f64(const struct grok_model *m, struct grok_run *run, long long step,
                        float *buf, double *theta, struct grok_err *err)
{
    int rc = grok_model_load(m, run, step, buf, err);
    for (size_t i = 0; rc == GROK_OK && i < m->n_params; i++) {
        if (!isfinite(buf[i]))
            return grok_err_set(err, GROK_EFORMAT, "%s: the snapshot at step %lld holds a value "
                                "that is not finite", grok_run_name(run), step);
        theta[i] = buf[i];
    }
    return rc;
}
