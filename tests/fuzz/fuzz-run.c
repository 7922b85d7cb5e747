/* libFuzzer target for the run reader: any bytes, opened as a run the way a program opens a run
 * from a pipe (grok_run_open_image), then read by every reader the programs call after the open:
 * grok-snap's listing and tables, /config and the model it describes, /data, /metrics,
 * /snapshots (rows, a model's parameters, /state), the trajectory grok-pca reads, the series
 * grok-fit reads, and the copies an analysis's output and a cut start with (into a run in
 * memory that is then abandoned). Each must give a result or an error, never a crash, a leak or
 * undefined behaviour in grok's code; a failure must carry a code and a message of one line.
 * The corpus is small real runs (corpus-run/). HDF5 is not instrumented: a fault the library
 * itself makes on a damaged file is its own, and make fuzz-ci tells the two apart (README.md).
 * Build and run: make fuzz (FUZZ_SECONDS=600 for a longer run). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grok/config.h"
#include "grok/cut.h"
#include "grok/events.h"
#include "grok/history.h"
#include "grok/metrics.h"
#include "grok/run.h"
#include "grok/runmodel.h"
#include "grok/runtable.h"
#include "grok/snapshots.h"
#include "grok/traj.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every failure says why, on one line. */
static int check(int rc, const struct grok_err *err)
{
    if (rc != GROK_OK && (rc != err->code || err->msg[0] == '\0' || strchr(err->msg, '\n')))
        __builtin_trap();
    return rc;
}

/* Calls one reader with a fresh err, so that a failure cannot pass on an earlier message. */
#define CHECK(call) (memset(&err, 0, sizeof err), check((call), &err))

static FILE *sink(void)
{
    static FILE *f;
    if (!f && !(f = fopen("/dev/null", "w")))
        abort();
    return f;
}

/* What grok-snap -l and -t print. */
static void tables(struct grok_run *run)
{
    struct grok_err err = {0};
    CHECK(grok_runtable_write_list(run, sink(), &err));
    CHECK(grok_runtable_write_group(run, NULL, sink(), &err));
    CHECK(grok_runtable_write_group(run, "pca", sink(), &err));
}

/* The model /config describes, its examples, and its parameters from /state and a snapshot. */
static void model(struct grok_run *run, const struct grok_snapshots *s)
{
    struct grok_err err = {0};
    struct grok_train_config c;
    struct grok_config_shape sh;
    struct grok_model m;
    CHECK(grok_config_read_shape(run, &sh, &err));
    if (CHECK(grok_config_read(run, &c, &err)) == GROK_OK)
        CHECK(grok_config_check_params(&c, 1, &err));
    if (CHECK(grok_model_from_run(&m, run, &err)) != GROK_OK)
        return;
    for (int set = 0; set < 2; set++) {
        int32_t *tokens, *y;
        int n;
        if (CHECK(grok_model_examples(run, set ? "test" : "train", &tokens, &y, &n, &err)) ==
            GROK_OK) {
            /* Every example is one the model can read. */
            for (int i = 0; i < n; i++) {
                if (y[i] < 0 || y[i] >= m.cfg.d_vocab_out)
                    __builtin_trap();
                for (int j = 0; j < m.cfg.n_ctx; j++)
                    if (tokens[(size_t)i * m.cfg.n_ctx + j] < 0 ||
                        tokens[(size_t)i * m.cfg.n_ctx + j] >= m.cfg.d_vocab)
                        __builtin_trap();
            }
        }
        free(tokens);
        free(y);
    }
    float *buf = malloc(m.n_params * sizeof *buf);
    double *theta = malloc(m.n_params * sizeof *theta);
    if (buf && theta) {
        CHECK(grok_model_load(&m, run, -1, buf, &err));
        if (s->T > 0)
            CHECK(grok_model_load_f64(&m, run, s->steps[s->T - 1], buf, theta, &err));
    }
    free(buf);
    free(theta);
    grok_model_free(&m);
}

/* /metrics as the trainer's columns, and grok-fit's reading of the whole run. */
static void metrics(struct grok_run *run)
{
    struct grok_err err = {0};
    struct grok_array step = {0}, cols[GROK_METRIC_COLUMNS - 1];
    memset(cols, 0, sizeof cols);
    if (CHECK(grok_metrics_read(run, GROK_I64, &step, grok_metric_names + 1,
                                GROK_METRIC_COLUMNS - 1, cols, &err)) == GROK_OK) {
        for (int i = 0; i < GROK_METRIC_COLUMNS - 1; i++) {
            if (cols[i].n != step.n)
                __builtin_trap();
            grok_array_free(&cols[i]);
        }
        grok_array_free(&step);
    }
    struct grok_input in = {.name = grok_run_name(run), .run = run};
    struct grok_events_row r;
    CHECK(grok_events_read(&in, &GROK_EVENTS_DEFAULTS, &r, &err));
    grok_events_row_free(&r);
    struct grok_metric_series ser = {0};
    CHECK(grok_metric_series_read(&in, "test_loss", &ser, &err));
    grok_metric_series_free(&ser);
}

/* Snapshot rows one by one, the matrix grok-snap --at -t prints, and grok-pca's trajectory. */
static void snapshots(struct grok_run *run, const struct grok_snapshots *s)
{
    struct grok_err err = {0};
    for (size_t i = 0; i < s->nparams && s->T > 0; i++) {
        struct grok_array row = {0};
        struct grok_tensor t;
        CHECK(grok_snapshot_read(run, s->T - 1, s->params[i], &row, &t, &err));
        grok_array_free(&row);
    }
    if (s->T > 0 && s->nparams > 0)
        CHECK(grok_runtable_write_matrix(run, s, 0, s->params[0], sink(), &err));
    size_t *rows = NULL, T = 0;
    long long *steps = NULL;
    if (CHECK(grok_snapshots_select(s, &GROK_STEPS_ALL, &rows, &steps, &T, &err)) ==
            GROK_OK && T > 0 && s->nparams > 0) {
        struct grok_traj tr = {0};
        if (CHECK(grok_traj_open(&tr, run, s->params, (int)s->nparams, rows, T, (size_t)1 << 16,
                                 &err)) == GROK_OK) {
            struct grok_pca_input in = grok_traj_input(&tr);
            double *block = malloc(in.T * in.max_cols * sizeof *block);
            for (size_t b = 0; block && b < in.nblocks; b++) {
                size_t col0, ncols;
                if (CHECK(in.read(in.ctx, b, block, &col0, &ncols, &err)) != GROK_OK)
                    break;
                if (ncols > in.max_cols || col0 + ncols > in.n)
                    __builtin_trap();
            }
            free(block);
        }
        grok_traj_free(&tr);
    }
    free(rows);
    free(steps);
}

/* The copies an analysis's output (grok_run_derive) and grok-snap's cut begin with, into runs
 * held in memory and abandoned, never committed: nothing reaches standard output. */
static void copies(struct grok_run *run, const struct grok_snapshots *s)
{
    struct grok_err err = {0};
    char *argv[] = {"fuzz-run", NULL};
    struct grok_run *out = grok_run_derive(NULL, run, "/pca", "fuzz-run", 1, argv, &err);
    if (!out)
        check(err.code, &err);
    grok_run_close(out);
    if (s->T == 0 || s->nparams == 0)
        return;
    struct grok_cut cut = {.program = "fuzz-run", .params = s->params, .nparams = s->nparams,
                           .steps = GROK_STEPS_ALL, .quiet = 1};
    for (int state = 0; state < 2; state++) {
        cut.state = state;
        cut.at = s->steps[s->T - 1];
        if (!(out = grok_run_create(NULL, &err)))
            abort(); /* creating an empty run in memory does not depend on the input */
        CHECK(grok_run_cut(out, run, s, &cut, &err));
        grok_run_close(out);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct grok_err err = {0};
    unsigned char *image = malloc(size ? size : 1);
    if (!image)
        return 0;
    memcpy(image, data, size);
    struct grok_run *run = grok_run_open_image(image, size, "fuzz.h5", &err);
    if (!run) {
        check(err.code, &err);
        if (err.code == GROK_OK)
            __builtin_trap();
        return 0;
    }
    tables(run);
    metrics(run);
    struct grok_snapshots s = {0};
    if (CHECK(grok_snapshots_load(run, &s, &err)) == GROK_OK) {
        /* Each step is a snapshot's, one per row. */
        if (s.T > 0 && !s.steps)
            __builtin_trap();
        CHECK(grok_snapshots_nonempty(run, &s, &err));
    }
    model(run, &s);
    snapshots(run, &s);
    copies(run, &s);
    grok_snapshots_free(&s);
    grok_run_close(run);
    return 0;
}
