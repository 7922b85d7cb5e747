/* A run's /snapshots: the rules of appending, loading what it holds, the nearest snapshot. */
#include "tap.h"

#include "grok/snapshots.h"

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[64];

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

int main(void)
{
    strcpy(dir, "/tmp/grok-t-snapshots-XXXXXX");
    if (!mkdtemp(dir)) {
        ok(0, "a temporary folder");
        return done_testing();
    }
    long long steps[] = {0, 100, 200, 400};
    struct grok_snapshots s = {.steps = steps, .T = 4};
    is_int(grok_snapshots_nearest(&s, 0), 0, "nearest to 0");
    is_int(grok_snapshots_nearest(&s, 149), 1, "nearest to 149");
    is_int(grok_snapshots_nearest(&s, 150), 1, "a tie goes to the earlier");
    is_int(grok_snapshots_nearest(&s, 301), 3, "nearest to 301");
    is_int(grok_snapshots_nearest(&s, 99999), 3, "past the end");
    test_snapshots_load();
    test_snapshot_rules();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
    return done_testing();
}
