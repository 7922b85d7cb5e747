/* -p and -s selection: globs over parameter names and step ranges (include/grok/select.h). */
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
