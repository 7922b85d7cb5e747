/* A run's /metrics: appending rows, reading columns back against the step column, and the
 * refusals (columns of unequal length, a missing column, one not 1-D). */
#include "tap.h"
#include "runs.h"

#include "grok/metrics.h"

#include <stdlib.h>
#include <unistd.h>

/* Row r of the test's metrics: step 100 r, values r + i / 10. */
static void row(int r, long long *step, double v[GROK_METRIC_COLUMNS - 1])
{
    *step = 100LL * r;
    for (int i = 0; i < GROK_METRIC_COLUMNS - 1; i++)
        v[i] = r + i / 10.0;
}

static int write_rows(const char *path, int nrows, struct grok_err *err)
{
    struct grok_run *run = grok_run_create(path, err);
    int rc = run ? GROK_OK : GROK_EIO;
    for (int r = 0; rc == GROK_OK && r < nrows; r++) {
        long long step;
        double v[GROK_METRIC_COLUMNS - 1];
        row(r, &step, v);
        rc = grok_metrics_append(run, step, v, err);
    }
    if (rc == GROK_OK)
        rc = grok_run_commit(run, err);
    grok_run_close(run);
    return rc;
}

/* The same rows written a column at a time, as the trainer wrote them before this module. */
static int write_rows_by_hand(const char *path, int nrows, struct grok_err *err)
{
    struct grok_run *run = grok_run_create(path, err);
    int rc = run ? GROK_OK : GROK_EIO;
    for (int r = 0; rc == GROK_OK && r < nrows; r++) {
        long long step;
        double v[GROK_METRIC_COLUMNS - 1];
        char p[64];
        row(r, &step, v);
        rc = grok_run_column_append(run, "/metrics/step", GROK_I64, &step, 1, err);
        for (int i = 0; rc == GROK_OK && i < GROK_METRIC_COLUMNS - 1; i++) {
            snprintf(p, sizeof p, "/metrics/%s", grok_metric_names[i + 1]);
            rc = grok_run_column_append(run, p, GROK_F64, &v[i], 1, err);
        }
    }
    if (rc == GROK_OK)
        rc = grok_run_commit(run, err);
    grok_run_close(run);
    return rc;
}

static int same_bytes(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb, ca, cb;
    while (same && (ca = getc(fa)) == (cb = getc(fb)))
        if (ca == EOF)
            break;
    same = same && ca == cb;
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

static void test_append_read(void)
{
    struct grok_err err = {0};
    ok(write_rows(in_dir("m.h5"), 3, &err) == GROK_OK, "three rows appended: %s", err.msg);
    ok(write_rows_by_hand(in_dir("hand.h5"), 3, &err) == GROK_OK &&
       same_bytes(in_dir("m.h5"), in_dir("hand.h5")),
       "the same bytes as the columns appended one by one");
    struct grok_run *run = grok_run_open(in_dir("m.h5"), &err);
    struct grok_array st, cols[3];
    const char *const names[3] = {"train_acc", "test_acc", "lr"};
    ok(run && grok_metrics_read(run, GROK_I64, &st, names, 3, cols, &err) == GROK_OK,
       "read back: %s", err.msg);
    ok(st.dtype == GROK_I64 && st.n == 3 && ((long long *)st.data)[2] == 200,
       "the step column as int64");
    /* train_acc, test_acc and lr are values 1, 3 and 5 of a row */
    ok(cols[0].n == 3 && ((double *)cols[0].data)[1] == 1 + 1 / 10.0 &&
       ((double *)cols[1].data)[2] == 2 + 3 / 10.0 && ((double *)cols[2].data)[0] == 0 + 5 / 10.0,
       "the named columns, in the order asked");
    grok_array_free(&st);
    for (int i = 0; i < 3; i++)
        grok_array_free(&cols[i]);
    ok(grok_metrics_read(run, GROK_F64, &st, NULL, 0, NULL, &err) == GROK_OK &&
       st.dtype == GROK_F64 && ((double *)st.data)[1] == 100.0,
       "the step column alone, as float64");
    grok_array_free(&st);
    is_int(grok_metrics_append(run, 300, (double[6]){0}, &err), GROK_EINVAL,
           "no row appended to a run open for reading");
    grok_run_close(run);
    is_str(grok_metric_names[0], "step", "the first column is the step");
    is_str(grok_metric_names[GROK_METRIC_COLUMNS - 1], "lr", "the last is the learning rate");
}

/* A run whose /metrics holds step (3 rows) and train_acc (2 rows), and a 2-D column. */
static struct grok_run *ragged_run(const char *path)
{
    struct grok_err err = {0};
    struct grok_run *run = grok_run_create(path, &err);
    long long steps[3] = {0, 100, 200};
    double acc[4] = {0.1, 0.2, 0.3, 0.4};
    if (!run || grok_run_column_append(run, "/metrics/step", GROK_I64, steps, 3, &err) ||
        grok_run_column_append(run, "/metrics/train_acc", GROK_F64, acc, 2, &err) ||
        grok_run_write_f64(run, "/metrics", "square", acc, 2, (size_t[]){1, 3}, &err) ||
        grok_run_commit(run, &err))
        diag("cannot write %s: %s", path, err.msg);
    grok_run_close(run);
    return grok_run_open(path, &err);
}

static void test_refusals(void)
{
    struct grok_err err = {0};
    struct grok_array st, col;
    char want[512];
    struct grok_run *run = ragged_run(in_dir("ragged.h5"));
    is_int(grok_metrics_read(run, GROK_F64, &st, (const char *const[]){"train_acc"}, 1, &col,
                             &err), GROK_EFORMAT, "a column shorter than the steps refused");
    snprintf(want, sizeof want, "%s: /metrics/train_acc has 2 values, /metrics/step has 3",
             in_dir("ragged.h5"));
    is_str(err.msg, want, "  its message names the run and both datasets");
    ok(!st.data && !col.data && st.n == 0 && col.n == 0, "  nothing is left to free");

    is_int(grok_metrics_read(run, GROK_I64, &st, (const char *const[]){"train_acc", "nope"}, 2,
                             (struct grok_array[2]){{0}}, &err), GROK_ENOTFOUND,
           "a missing column refused");
    snprintf(want, sizeof want, "%s: no dataset /metrics/nope", in_dir("ragged.h5"));
    is_str(err.msg, want, "  its message (before the lengths are compared)");

    is_int(grok_metrics_read(run, GROK_I64, &st, (const char *const[]){"square"}, 1, &col, &err),
           GROK_EFORMAT, "a column of two dimensions refused");
    snprintf(want, sizeof want, "%s: /metrics/square is not 1-D", in_dir("ragged.h5"));
    is_str(err.msg, want, "  its message");

    char name[GROK_MAX_NAME + 40];
    memset(name, 'x', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    is_int(grok_metrics_read(run, GROK_I64, &st, (const char *const[]){name}, 1, &col, &err),
           GROK_EINVAL, "a name too long for a path refused");
    grok_run_close(run);

    ok(write_rows(in_dir("none.h5"), 0, &err) == GROK_OK, "a run without metrics");
    run = grok_run_open(in_dir("none.h5"), &err);
    is_int(grok_metrics_read(run, GROK_I64, &st, NULL, 0, NULL, &err), GROK_ENOTFOUND,
           "no /metrics: not found");
    snprintf(want, sizeof want, "%s: no dataset /metrics/step", in_dir("none.h5"));
    is_str(err.msg, want, "  its message");
    grok_run_close(run);
}

int main(void)
{
    if (!scratch_make("t-metrics"))
        return done_testing();
    test_append_read();
    test_refusals();
    scratch_remove();
    return done_testing();
}
