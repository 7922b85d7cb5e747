#include "grok/select.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses an optional non-negative integer that runs up to `end`; an empty one leaves *v. */
static int parse_bound(const char *s, const char *end, long long *v)
{
    if (s == end)
        return 1;
    char *stop;
    errno = 0;
    long long x = strtoll(s, &stop, 10);
    if (stop != end || errno || x < 0 || *s == '+' || *s == '-' || *s == ' ')
        return 0;
    *v = x;
    return 1;
}

int grok_steps_parse(const char *text, struct grok_steps *out, struct grok_err *err)
{
    struct grok_steps r = GROK_STEPS_ALL;
    const char *c1 = strchr(text, ':');
    const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    const char *end = text + strlen(text);
    int ok;
    if (!c1) {
        ok = *text && parse_bound(text, end, &r.from);
        r.to = r.from;
    } else {
        ok = parse_bound(text, c1, &r.from) && parse_bound(c1 + 1, c2 ? c2 : end, &r.to) &&
             (!c2 || (c2 + 1 < end && parse_bound(c2 + 1, end, &r.every) && !strchr(c2 + 1, ':')));
    }
    if (!ok)
        return grok_err_set(err, GROK_EINVAL,
                            "bad step range '%s' (FROM:TO[:EVERY], e.g. 0:5000:500)", text);
    if (r.to >= 0 && r.from > r.to)
        return grok_err_set(err, GROK_EINVAL, "bad step range '%s': FROM is after TO", text);
    if (r.every < 1)
        return grok_err_set(err, GROK_EINVAL, "bad step range '%s': EVERY must be at least 1",
                            text);
    *out = r;
    return GROK_OK;
}

int grok_steps_match(const struct grok_steps *r, long long step)
{
    return step >= r->from && (r->to < 0 || step <= r->to) && (step - r->from) % r->every == 0;
}

int grok_glob_check(const char *glob, struct grok_err *err)
{
    if (!*glob)
        return grok_err_set(err, GROK_EINVAL, "empty glob");
    for (const char *p = glob; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
        } else if (*p == '[') {
            /* A ']' right after '[' or '[!' is a member, not the end. */
            const char *q = p + 1;
            if (*q == '!' || *q == '^')
                q++;
            if (*q == ']')
                q++;
            while (*q && *q != ']')
                q++;
            if (!*q)
                return grok_err_set(err, GROK_EINVAL, "bad glob '%s': '[' without ']'", glob);
            p = q;
        }
    }
    return GROK_OK;
}

int grok_globs_match(char *const *globs, int n, const char *name)
{
    if (n == 0)
        return 1;
    for (int i = 0; i < n; i++)
        if (fnmatch(globs[i], name, 0) == 0)
            return 1;
    return 0;
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

int grok_snapshots_load(struct grok_run *run, struct grok_snapshots *s, struct grok_err *err)
{
    memset(s, 0, sizeof *s);
    if (!grok_run_exists(run, "/snapshots/step"))
        return grok_err_set(err, GROK_ENOTFOUND, "%s: no snapshots (/snapshots/step)",
                            grok_run_name(run));
    struct grok_array steps;
    char **names = NULL;
    size_t n = 0;
    int rc = grok_run_read(run, "/snapshots/step", GROK_I64, &steps, err);
    if (rc != GROK_OK)
        return rc;
    if (steps.rank != 1) {
        grok_array_free(&steps);
        return grok_err_set(err, GROK_EFORMAT, "%s: /snapshots/step is not 1-D", grok_run_name(run));
    }
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

int grok_selection_init(struct grok_selection *sel, int argc, struct grok_err *err)
{
    *sel = (struct grok_selection){.steps = GROK_STEPS_ALL};
    if (!(sel->globs = calloc(argc > 0 ? (size_t)argc : 1, sizeof *sel->globs)))
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    return GROK_OK;
}

void grok_selection_free(struct grok_selection *sel)
{
    if (!sel)
        return;
    free(sel->globs);
    sel->globs = NULL;
    sel->nglobs = 0;
}

void grok_globs_join(char *buf, size_t size, char *const *globs, int n)
{
    if (size)
        buf[0] = 0;
    for (int i = 0, len = 0; i < n && len >= 0 && (size_t)len < size; i++)
        len += snprintf(buf + len, size - (size_t)len, "%s%s", i ? " or " : "", globs[i]);
}
