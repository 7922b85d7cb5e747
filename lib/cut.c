/* A run cut down (include/grok/cut.h). */
#include "grok/cut.h"
#include "grok/cli.h"
#include "grok/history.h"
#include "grok/progress.h"
#include "grok/state.h"

#include <stdlib.h>

static int copy_if_present(struct grok_run *dst, struct grok_run *src, const char *path,
                           struct grok_err *err)
{
    return grok_run_exists(src, path) ? grok_run_copy(dst, src, path, err) : GROK_OK;
}

/* The kept parameters' rows of snapshot t, as tensors over buffers in `rows` (freed here before
 * they are read again). */
static int read_snapshot(struct grok_run *run, size_t t, const struct grok_cut *c,
                         struct grok_array *rows, struct grok_tensor *ts, struct grok_err *err)
{
    for (size_t i = 0; i < c->nparams; i++) {
        grok_array_free(&rows[i]);
        int rc = grok_snapshot_read(run, t, c->params[i], &rows[i], &ts[i], err);
        if (rc != GROK_OK)
            return rc;
    }
    return GROK_OK;
}

/* Every snapshot c->steps matches, appended to out with the progress bar. */
static int cut_snapshots(struct grok_run *out, struct grok_run *in, const struct grok_snapshots *s,
                         const struct grok_cut *c, struct grok_array *rows,
                         struct grok_tensor *ts, struct grok_err *err)
{
    struct grok_progress bar = {0};
    size_t kept = 0;
    int rc = GROK_OK;
    grok_progress_start(&bar, c->program, (long long)s->T, c->quiet);
    for (size_t t = 0; t < s->T; t++) {
        grok_progress_update(&bar, (long long)t);
        if (grok_interrupted()) {
            rc = grok_err_set(err, GROK_EIO, "interrupted");
            goto out;
        }
        if (!grok_steps_match(&c->steps, s->steps[t]))
            continue;
        if ((rc = read_snapshot(in, t, c, rows, ts, err)) != GROK_OK ||
            (rc = grok_run_snapshot_append(out, s->steps[t], ts, (int)c->nparams, err)) != GROK_OK)
            goto out;
        kept++;
    }
    if (kept == 0)
        rc = grok_err_set(err, GROK_ENOTFOUND, "%s: no snapshot has a step in the range given by -s",
                          grok_run_name(in));
out:
    grok_progress_end(&bar);
    return rc;
}

int grok_run_cut(struct grok_run *out, struct grok_run *in, const struct grok_snapshots *s,
                 const struct grok_cut *c, struct grok_err *err)
{
    int rc, argc;
    char **argv = grok_cli_argv(&argc);
    size_t n = c->nparams ? c->nparams : 1;
    struct grok_array *rows = calloc(n, sizeof *rows);
    struct grok_tensor *ts = calloc(n, sizeof *ts);
    if (!rows || !ts) {
        rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = grok_run_copy_history(out, in, err)) != GROK_OK ||
        (rc = grok_run_history_add(out, c->program, argc, argv, err)) != GROK_OK ||
        (rc = copy_if_present(out, in, "/config", err)) != GROK_OK ||
        (rc = copy_if_present(out, in, "/data", err)) != GROK_OK)
        goto out;
    if (c->state) {
        size_t t = grok_snapshots_nearest(s, c->at);
        if ((rc = read_snapshot(in, t, c, rows, ts, err)) == GROK_OK)
            rc = grok_run_state_write(out, s->steps[t], ts, (int)c->nparams, err);
        goto out;
    }
    if ((rc = copy_if_present(out, in, "/metrics", err)) == GROK_OK)
        rc = cut_snapshots(out, in, s, c, rows, ts, err);
out:
    for (size_t i = 0; rows && i < c->nparams; i++)
        grok_array_free(&rows[i]);
    free(rows);
    free(ts);
    return rc;
}
