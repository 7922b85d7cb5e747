/* The analysis driver: open → snapshots → setup → derive → units → table or group → commit. */
#include "grok/analysis.h"

#include <stdlib.h>

#include "grok/history.h"
#include "grok/progress.h"

int grok_analysis_workers(struct grok_analysis *a, int n, struct grok_err *err)
{
    a->nworkers = n > 1 ? n : 1;
    if (n <= 1)
        return GROK_OK;
    if (!(a->pool = grok_pool_new(n, err)))
        return err->code;
    grok_blas_threads(1);
    return GROK_OK;
}

const char *grok_analysis_steps(const struct grok_analysis *a)
{
    return a->sel->steps_text ? a->sel->steps_text : "all";
}

static int interrupted(struct grok_err *err)
{
    return grok_interrupted() ? grok_err_set(err, GROK_EIO, "interrupted") : GROK_OK;
}

/* The units, one after another, with the bar and a check for a signal before and after each
 * (a unit may take minutes; one a signal cut short is discarded with everything else). */
static int run_units(const struct grok_analysis_def *def, void *ctx, struct grok_analysis *a,
                     long long units, int quiet, struct grok_err *err)
{
    struct grok_progress bar = {0};
    int rc = GROK_OK;
    grok_progress_start(&bar, def->program, units, quiet);
    for (long long u = 0; rc == GROK_OK && u < units; u++) {
        grok_progress_update(&bar, u);
        if ((rc = interrupted(err)) == GROK_OK && (rc = def->unit(ctx, a, u, err)) == GROK_OK)
            rc = interrupted(err);
    }
    if (rc == GROK_OK)
        grok_progress_update(&bar, units);
    grok_progress_end(&bar);
    return rc;
}

static int write_output(const struct grok_analysis_def *def, void *ctx, struct grok_analysis *a,
                        const struct grok_common *co, struct grok_text_out *text,
                        struct grok_err *err)
{
    int rc;
    if (!a->table)
        return (rc = def->write_group(ctx, a, err)) != GROK_OK ? rc : grok_run_commit(a->out, err);
    if ((rc = grok_text_open(text, co->output, err)) != GROK_OK)
        return rc;
    def->write_table(ctx, a, text->f);
    return grok_text_finish(text, 1, err);
}

int grok_analysis_run(const struct grok_analysis_def *def, void *ctx,
                      const struct grok_analysis_io *io, long long seed)
{
    struct grok_err err = {0};
    struct grok_text_out text = {0};
    struct grok_analysis a = {.sel = io->sel, .table = grok_output_is_table(io->co), .nworkers = 1};
    long long units = 0;
    int hargc;
    char **hargv = grok_cli_argv(&hargc);
    int rc = GROK_OK;
    if (def->seeded && !(a.rng = gsl_rng_alloc(gsl_rng_mt19937)))
        rc = grok_err_set(&err, GROK_ENOMEM, "out of memory");
    else if (def->seeded)
        gsl_rng_set(a.rng, (unsigned long)seed);
    if (rc == GROK_OK && !(a.in = grok_run_open(io->input, &err)))
        rc = err.code;
    if (rc == GROK_OK && def->open)
        rc = def->open(ctx, &a, &err);
    if (rc == GROK_OK && (rc = grok_snapshots_load(a.in, &a.snaps, &err)) == GROK_OK)
        rc = grok_snapshots_nonempty(a.in, &a.snaps, &err);
    if (rc == GROK_OK)
        rc = grok_snapshots_select(&a.snaps, &io->sel->steps, &a.rows, &a.steps, &a.T, &err);
    if (rc == GROK_OK && def->setup)
        rc = def->setup(ctx, &a, &units, &err);
    if (rc == GROK_OK && !a.table &&
        !(a.out = grok_run_derive(io->co->output, a.in, def->group, def->program, hargc, hargv, &err)))
        rc = err.code;
    if (rc == GROK_OK)
        rc = run_units(def, ctx, &a, units, io->co->quiet, &err);
    if (rc == GROK_OK)
        rc = write_output(def, ctx, &a, io->co, &text, &err);
    int status = rc == GROK_OK ? GROK_EXIT_OK : grok_cli_failed(&text, &err);
    grok_run_close(a.out);
    grok_run_close(a.in);
    grok_pool_free(a.pool);
    if (a.rng)
        gsl_rng_free(a.rng);
    grok_snapshots_free(&a.snaps);
    free(a.rows);
    free(a.steps);
    return status;
}
