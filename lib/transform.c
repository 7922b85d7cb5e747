/* The list of a trainer's gradient transforms (include/grok/transform.h). */
#include "grok/transform.h"

#include <stdio.h>
#include <string.h>

#include "grok/run.h"

#define GROUP "/state/transforms"

static int name_ok(const char *name)
{
    if (!name || !*name || strlen(name) > 64)
        return 0;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '_' || *c == '-'))
            return 0;
    return 1;
}

int grok_transforms_add(struct grok_transforms *l, const struct grok_grad_transform *x,
                        struct grok_err *err)
{
    int rc = GROK_OK;
    if (!name_ok(x->name) || !(x->apply || x->apply_clipped || x->edit))
        rc = grok_err_set(err, GROK_EINVAL, "gradient transform '%s': needs a name of letters, digits, _ and - and an apply, apply_clipped or edit function",
                          x->name ? x->name : "");
    if (!rc && (x->n_metrics < 0 || x->n_metrics > GROK_TRANSFORM_METRICS || (x->n_metrics && !x->report)))
        rc = grok_err_set(err, GROK_EINVAL, "gradient transform '%s': 0 to %d metrics, with a report function",
                          x->name, GROK_TRANSFORM_METRICS);
    for (int i = 0; !rc && i < l->n; i++)
        if (strcmp(l->x[i].name, x->name) == 0)
            rc = grok_err_set(err, GROK_EINVAL, "gradient transform '%s': added twice", x->name);
    if (!rc && l->n == GROK_TRANSFORMS_MAX)
        rc = grok_err_set(err, GROK_EINVAL, "gradient transform '%s': more than %d transforms",
                          x->name, GROK_TRANSFORMS_MAX);
    if (rc) {
        if (x->free)
            x->free(x->ctx);
        return rc;
    }
    l->x[l->n++] = *x;
    return GROK_OK;
}

void grok_transforms_apply(const struct grok_transforms *l, const float *params, float *grad,
                           size_t n, long long step)
{
    for (int i = 0; i < l->n; i++)
        if (l->x[i].apply)
            l->x[i].apply(l->x[i].ctx, params, grad, n, step);
}

void grok_transforms_apply_clipped(const struct grok_transforms *l, const float *params,
                                   float *grad, size_t n, long long step)
{
    for (int i = 0; i < l->n; i++)
        if (l->x[i].apply_clipped)
            l->x[i].apply_clipped(l->x[i].ctx, params, grad, n, step);
}

int grok_transforms_clipped(const struct grok_transforms *l)
{
    for (int i = 0; i < l->n; i++)
        if (l->x[i].apply_clipped)
            return 1;
    return 0;
}

void grok_transforms_edit(const struct grok_transforms *l, float *params, size_t n, long long step)
{
    for (int i = 0; i < l->n; i++)
        if (l->x[i].edit)
            l->x[i].edit(l->x[i].ctx, params, n, step);
}

int grok_transforms_metric_names(const struct grok_transforms *l, const char **names, int cap)
{
    int k = 0;
    for (int i = 0; i < l->n; i++)
        for (int j = 0; j < l->x[i].n_metrics && k < cap; j++)
            names[k++] = l->x[i].metric_names[j];
    return k;
}

int grok_transforms_report(const struct grok_transforms *l, double *values, int cap)
{
    int k = 0;
    double v[GROK_TRANSFORM_METRICS];
    for (int i = 0; i < l->n; i++) {
        if (!l->x[i].n_metrics)
            continue;
        l->x[i].report(l->x[i].ctx, v);
        for (int j = 0; j < l->x[i].n_metrics && k < cap; j++)
            values[k++] = v[j];
    }
    return k;
}

int grok_transforms_save(const struct grok_transforms *l, struct grok_run *run,
                         struct grok_err *err)
{
    char group[sizeof GROUP + 80];
    for (int i = 0; i < l->n; i++) {
        if (!l->x[i].save)
            continue;
        snprintf(group, sizeof group, GROUP "/%s", l->x[i].name);
        int rc = l->x[i].save(l->x[i].ctx, run, group, err);
        if (rc)
            return rc;
    }
    return GROK_OK;
}

int grok_transforms_load(const struct grok_transforms *l, struct grok_run *run,
                         struct grok_err *err)
{
    char group[sizeof GROUP + 80];
    for (int i = 0; i < l->n; i++) {
        if (!l->x[i].load)
            continue;
        snprintf(group, sizeof group, GROUP "/%s", l->x[i].name);
        if (!grok_run_exists(run, group))
            return grok_err_set(err, GROK_ENOTFOUND, "%s: no %s: the run was trained without gradient transform '%s'",
                                grok_run_name(run), group, l->x[i].name);
        int rc = l->x[i].load(l->x[i].ctx, run, group, err);
        if (rc)
            return rc;
    }
    return GROK_OK;
}

/* Appends text to buf (cap bytes, *at used), cutting what does not fit. */
static void append(char *buf, size_t cap, size_t *at, const char *text)
{
    int w = snprintf(buf + *at, cap - *at, "%s", text);
    *at += w < 0 ? 0 : (size_t)w < cap - *at ? (size_t)w : cap - *at - 1;
}

void grok_transforms_describe(const struct grok_transforms *l, char *buf, size_t cap)
{
    static const char *const place[3] = {"before clipping: ", "after clipping: ", "after the update: "};
    size_t at = 0;
    if (!cap)
        return;
    buf[0] = 0;
    for (int p = 0; p < 3; p++) {
        int listed = 0;
        for (int i = 0; i < l->n; i++) {
            const struct grok_grad_transform *x = &l->x[i];
            if (!(p == 0 ? x->apply != NULL : p == 1 ? x->apply_clipped != NULL : x->edit != NULL))
                continue;
            append(buf, cap, &at, listed ? ", " : at ? "; " : "");
            if (!listed)
                append(buf, cap, &at, place[p]);
            append(buf, cap, &at, x->name);
            listed = 1;
        }
    }
}

void grok_transforms_free(struct grok_transforms *l)
{
    if (!l)
        return;
    for (int i = 0; i < l->n; i++)
        if (l->x[i].free)
            l->x[i].free(l->x[i].ctx);
    l->n = 0;
}
