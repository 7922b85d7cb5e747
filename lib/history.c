/* A run's history and the derivation of an analysis output (include/grok/history.h). */
#include "grok/history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct grok_run *grok_run_derive(const char *dest, struct grok_run *src, const char *group,
                                 const char *program, int argc, char **argv,
                                 struct grok_err *err)
{
    char **names = NULL;
    size_t n = 0;
    struct grok_run *dst = grok_run_create(dest, err);
    if (!dst)
        return NULL;
    int rc = grok_run_copy_history(dst, src, err);
    if (rc == GROK_OK)
        rc = grok_run_history_add(dst, program, argc, argv, err);
    if (rc == GROK_OK)
        rc = grok_run_children(src, "/", &names, &n, err);
    for (size_t i = 0; rc == GROK_OK && i < n; i++) {
        char path[GROK_MAX_NAME + 2];
        if ((rc = grok_run_path(path, sizeof path, "", names[i], err)) == GROK_OK &&
            strcmp(path, group) != 0)
            rc = grok_run_copy(dst, src, path, err);
    }
    grok_names_free(names, n);
    if (rc == GROK_OK)
        rc = grok_run_group_replace(dst, group, err);
    if (rc != GROK_OK) {
        grok_run_close(dst);
        return NULL;
    }
    return dst;
}

int grok_run_copy_history(struct grok_run *dst, struct grok_run *src, struct grok_err *err)
{
    char *h = NULL;
    int rc = grok_run_attr_get_str(src, "/", "history", &h, NULL);
    if (rc == GROK_ENOTFOUND)
        return GROK_OK;
    if (rc == GROK_OK)
        rc = grok_run_attr_set_text(dst, "/", "history", h, err);
    else
        grok_err_set(err, rc, "%s: cannot read the history attribute", grok_run_name(src));
    free(h);
    return rc;
}

/* Appends arg at line + len, quoted for a POSIX shell when it needs it; returns the new length.
 * line must have room for 4 * strlen(arg) + 4 more bytes. Tabs and newlines become spaces so
 * that the history stays one line per program. */
static size_t append_shell_word(char *line, size_t len, const char *arg)
{
    int plain = arg[0] != '\0';
    for (const char *p = arg; *p && plain; p++)
        plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=.,:/+%@",
                       *p) != NULL;
    if (len)
        line[len++] = ' ';
    if (!plain)
        line[len++] = '\'';
    for (const char *p = arg; *p; p++) {
        if (*p == '\'' && !plain) {
            memcpy(line + len, "'\\''", 4);
            len += 4;
        } else {
            line[len++] = (*p == '\n' || *p == '\t') ? ' ' : *p;
        }
    }
    if (!plain)
        line[len++] = '\'';
    line[len] = '\0';
    return len;
}

int grok_run_history_add(struct grok_run *run, const char *program, int argc, char **argv,
                         struct grok_err *err)
{
    char *old = NULL;
    int rc = grok_run_attr_get_str(run, "/", "history", &old, NULL);
    if (rc != GROK_OK && rc != GROK_ENOTFOUND)
        return grok_err_set(err, rc, "%s: cannot read the history attribute", grok_run_name(run));
    time_t now = time(NULL);
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde)
        now = (time_t)strtoll(sde, NULL, 10);
    struct tm tm;
    char stamp[32];
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    size_t cmdcap = 1;
    for (int i = 0; i < argc; i++)
        cmdcap += 4 * strlen(argv[i]) + 4;
    char *cmd = malloc(cmdcap);
    size_t cap = (old ? strlen(old) : 0) + cmdcap + strlen(program) + 96;
    char *h = malloc(cap);
    if (!cmd || !h) {
        free(cmd);
        free(h);
        free(old);
        return grok_err_set(err, GROK_ENOMEM, "%s: out of memory", grok_run_name(run));
    }
    size_t len = 0;
    cmd[0] = '\0';
    for (int i = 0; i < argc; i++)
        len = append_shell_word(cmd, len, argv[i]);
    snprintf(h, cap, "%s%s%s %s %s %s", old ? old : "", old && *old ? "\n" : "", stamp, program,
             GROK_VERSION, cmd);
    rc = grok_run_attr_set_text(run, "/", "history", h, err);
    free(cmd);
    free(h);
    free(old);
    return rc;
}
