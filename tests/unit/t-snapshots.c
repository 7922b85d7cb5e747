/* A run's /snapshots: the rules of appending, loading what it holds, the parameters -p chooses,
 * one parameter's row as a tensor, the nearest snapshot. */
#include "tap.h"
#include "runs.h"

#include "grok/snapshots.h"

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>


/* Writes dir/name, a run whose /snapshots holds a step column of T steps and a float32
 * parameter "w" of `rank` dimensions `shape`, and opens it. */
static struct grok_run *snapshots_run(const char *name, size_t T, int rank, const size_t *shape)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct grok_err err = {0};
    struct grok_run *run = grok_run_create(path, &err);
    long long steps[8] = {0, 100, 200, 300, 400, 500, 600, 700};
    static float zeros[64];
    struct grok_array st = {.dtype = GROK_I64, .rank = 1, .shape = {T}, .n = T, .data = steps};
    struct grok_array w = {.dtype = GROK_F32, .rank = rank, .n = 1, .data = zeros};
    for (int k = 0; k < rank; k++)
        w.n *= w.shape[k] = shape[k];
    if (!run || grok_run_write_array(run, "/snapshots/step", &st, &err) != GROK_OK ||
        grok_run_write_array(run, "/snapshots/w", &w, &err) != GROK_OK ||
        grok_run_commit(run, &err) != GROK_OK)
        diag("cannot write %s: %s", path, err.msg);
    grok_run_close(run);
    return grok_run_open(path, &err);
}

/* Loads dir/name as snapshots_run writes it; returns the status and the message in msg. */
static int load(const char *name, size_t T, int rank, const size_t *shape, struct grok_err *err,
                struct grok_snapshots *s)
{
    struct grok_run *run = snapshots_run(name, T, rank, shape);
    memset(s, 0, sizeof *s);
    int rc = run ? grok_snapshots_load(run, s, err) : GROK_EIO;
    grok_run_close(run);
    return rc;
}

/* Found by audit: every parameter's snapshots must match /snapshots/step. */
static void test_snapshots_load(void)
{
    struct grok_err err = {0};
    struct grok_snapshots s;
    char want[256];
    ok(load("good.h5", 3, 3, (size_t[]){3, 2, 2}, &err, &s) == GROK_OK && s.T == 3 &&
       s.nparams == 1 && !strcmp(s.params[0], "w") && s.steps[2] == 200, "a good run loads");
    grok_snapshots_free(&s);
    ok(load("cut.h5", 3, 2, (size_t[]){4, 2}, &err, &s) == GROK_OK && s.T == 3,
       "one row more than the steps (an append cut short) loads: %s", err.msg);
    grok_snapshots_free(&s);

    ok(load("short.h5", 5, 2, (size_t[]){3, 2}, &err, &s) == GROK_EFORMAT && s.T == 0 && !s.params,
       "fewer rows than /snapshots/step refused");
    snprintf(want, sizeof want, "%s/short.h5: /snapshots/w has 3 snapshots, fewer than "
             "/snapshots/step (5)", dir);
    is_str(err.msg, want, "  its message");
    ok(load("long.h5", 2, 2, (size_t[]){5, 2}, &err, &s) == GROK_EFORMAT,
       "a /snapshots/step shortened by more than one refused");
    snprintf(want, sizeof want, "%s/long.h5: /snapshots/w has 5 snapshots, /snapshots/step only 2",
             dir);
    is_str(err.msg, want, "  its message");
    ok(load("rank1.h5", 3, 1, (size_t[]){3}, &err, &s) == GROK_EFORMAT,
       "a parameter of rank 0 (a 1-D dataset) refused");
    snprintf(want, sizeof want, "%s/rank1.h5: /snapshots/w is not a numeric parameter snapshot of "
             "rank 1 or more", dir);
    is_str(err.msg, want, "  its message");
    grok_snapshots_free(&s);
}

static void test_snapshot_rules(void)
{
    struct grok_err err = {0};
    char path[128];
    snprintf(path, sizeof path, "%s/snap.h5", dir);
    struct grok_run *run = grok_run_create(path, &err);
    float v[6] = {0};
    struct grok_tensor t = {"w", 2, {2, 3}, v};
    ok(grok_run_snapshot_append(run, 0, &t, 1, &err) == GROK_OK, "first snapshot");
    struct grok_tensor other = {"w", 2, {3, 2}, v};
    is_int(grok_run_snapshot_append(run, 1, &other, 1, &err), GROK_EINVAL, "another shape refused");
    struct grok_tensor late = {"v", 1, {6}, v};
    is_int(grok_run_snapshot_append(run, 1, &late, 1, &err), GROK_EINVAL,
           "a parameter missing from the first snapshot refused");
    struct grok_tensor bad = {"a/b", 1, {6}, v};
    is_int(grok_run_snapshot_append(run, 1, &bad, 1, &err), GROK_EINVAL, "a name with '/' refused");
    struct grok_array a;
    grok_run_read(run, "/snapshots/w", GROK_F32, &a, &err);
    is_int(a.shape[0], 1, "refused calls changed nothing");
    grok_array_free(&a);
    grok_run_close(run);
}

/* dir/name: a run whose /snapshots holds T steps (0, 100, ...) and the 2x3 parameters named
 * in params (values t * 10 + i in row t), opened. */
static struct grok_run *params_run(const char *name, size_t T, const char *const *params,
                                   int n)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct grok_err err = {0};
    struct grok_run *run = grok_run_create(path, &err);
    long long steps[4] = {0, 100, 200, 300};
    float v[4 * 6];
    for (int i = 0; i < 4 * 6; i++)
        v[i] = (float)(i / 6 * 10 + i % 6);
    struct grok_array st = {.dtype = GROK_I64, .rank = 1, .shape = {T}, .n = T, .data = steps};
    struct grok_array w = {.dtype = GROK_F32, .rank = 3, .shape = {T, 2, 3}, .n = T * 6, .data = v};
    int rc = run ? grok_run_write_array(run, "/snapshots/step", &st, &err) : GROK_EIO;
    for (int i = 0; rc == GROK_OK && i < n; i++) {
        snprintf(path, sizeof path, "/snapshots/%s", params[i]);
        rc = grok_run_write_array(run, path, &w, &err);
    }
    if (rc != GROK_OK || grok_run_commit(run, &err) != GROK_OK)
        diag("cannot write %s: %s", name, err.msg);
    grok_run_close(run);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return grok_run_open(path, &err);
}

/* grok_snapshots_load_selected on params_run's run with the globs given; the message in err. */
static int load_selected(const char *name, size_t T, const char *const *params, int n,
                         const char *const *globs, int nglobs, size_t *nsel, char *first,
                         struct grok_err *err)
{
    struct grok_run *run = params_run(name, T, params, n);
    struct grok_selection sel = {.globs = (char **)globs, .nglobs = nglobs};
    struct grok_snapshots s;
    char **chosen;
    int rc = grok_snapshots_load_selected(run, &sel, &s, &chosen, nsel, err);
    first[0] = '\0';
    if (rc == GROK_OK)
        snprintf(first, 64, "%s", chosen[0]);
    else if (chosen || s.params)
        diag("a failure left something allocated");
    free(chosen);
    grok_snapshots_free(&s);
    grok_run_close(run);
    return rc;
}

static void test_load_selected(void)
{
    const char *const two[] = {"a.x", "b.y"};
    struct grok_err err = {0};
    size_t n;
    char first[64], want[256];
    ok(load_selected("all.h5", 2, two, 2, NULL, 0, &n, first, &err) == GROK_OK && n == 2 &&
       !strcmp(first, "a.x"), "without -p every parameter, in order");
    ok(load_selected("glob.h5", 2, two, 2, (const char *[]){"b.*"}, 1, &n, first, &err) ==
       GROK_OK && n == 1 && !strcmp(first, "b.y"), "-p b.* chooses b.y");
    is_int(load_selected("none.h5", 2, two, 2, (const char *[]){"z*", "q"}, 2, &n, first, &err),
           GROK_ENOTFOUND, "no parameter matching refused");
    snprintf(want, sizeof want, "%s/none.h5: no parameter matches -p z* or q", dir);
    is_str(err.msg, want, "  its message names the globs");
    is_int(load_selected("empty.h5", 2, two, 0, (const char *[]){"z*"}, 1, &n, first, &err),
           GROK_ENOTFOUND, "a /snapshots of no parameter refused");
    snprintf(want, sizeof want, "%s/empty.h5: /snapshots holds no parameters", dir);
    is_str(err.msg, want, "  its message, before the globs'");
    is_int(load_selected("nostep.h5", 0, two, 1, NULL, 0, &n, first, &err), GROK_ENOTFOUND,
           "an empty step column refused");
    snprintf(want, sizeof want, "%s/nostep.h5: /snapshots/step is empty", dir);
    is_str(err.msg, want, "  its message");
    is_int(load_selected("nostep2.h5", 0, two, 1, (const char *[]){"z*"}, 1, &n, first, &err),
           GROK_ENOTFOUND, "an empty step column and no match");
    snprintf(want, sizeof want, "%s/nostep2.h5: no parameter matches -p z*", dir);
    is_str(err.msg, want, "  the match is reported first");
}

static void test_snapshot_read(void)
{
    const char *const one[] = {"a.x"};
    struct grok_err err = {0};
    struct grok_run *run = params_run("read.h5", 3, one, 1);
    struct grok_array row;
    struct grok_tensor ts;
    ok(grok_snapshot_read(run, 2, "a.x", &row, &ts, &err) == GROK_OK, "row 2 of a.x: %s", err.msg);
    ok(row.rank == 3 && row.shape[0] == 1 && row.n == 6, "  one row of [T, 2, 3]");
    ok(!strcmp(ts.name, "a.x") && ts.rank == 2 && ts.shape[0] == 2 && ts.shape[1] == 3 &&
       ts.data == row.data, "  the tensor's name, rank and shape, over the row");
    ok(ts.data[0] == 20 && ts.data[5] == 25, "  the values of row 2");
    grok_array_free(&row);
    char want[256];
    is_int(grok_snapshot_read(run, 0, "b.y", &row, NULL, &err), GROK_ENOTFOUND,
           "a parameter without snapshots refused");
    snprintf(want, sizeof want, "%s/read.h5: no snapshots of 'b.y'", dir);
    is_str(err.msg, want, "  its message");
    ok(row.data == NULL, "  the row left empty");
    grok_run_close(run);
}

int main(void)
{
    if (!scratch_make("t-snapshots"))
        return done_testing();
    long long steps[] = {0, 100, 200, 400};
    struct grok_snapshots s = {.steps = steps, .T = 4};
    is_int(grok_snapshots_nearest(&s, 0), 0, "nearest to 0");
    is_int(grok_snapshots_nearest(&s, 149), 1, "nearest to 149");
    is_int(grok_snapshots_nearest(&s, 150), 1, "a tie goes to the earlier");
    is_int(grok_snapshots_nearest(&s, 301), 3, "nearest to 301");
    is_int(grok_snapshots_nearest(&s, 99999), 3, "past the end");
    test_snapshots_load();
    test_snapshot_rules();
    test_load_selected();
    test_snapshot_read();
    scratch_remove();
    return done_testing();
}
