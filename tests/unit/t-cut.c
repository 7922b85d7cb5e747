/* A run cut down: the groups a cut keeps and leaves, the snapshots and parameters chosen, the
 * history line, the state at the nearest snapshot, and the refusal of a range that keeps none. */
#include "tap.h"
#include "runs.h"

#include "grok/cli.h"
#include "grok/cut.h"
#include "grok/history.h"

#include <stdlib.h>
#include <unistd.h>

/* The input: a history line, /config, /data, /metrics, an analysis group /pca, and snapshots at
 * steps 0, 100, 200, 300 of a.x (2x3, row t holds t * 10 + i) and b.y. */
static struct grok_run *input_run(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/in.h5", dir);
    struct grok_err err = {0};
    struct grok_run *run = grok_run_create(path, &err);
    if (!run)
        return NULL;
    char *argv[] = {"grok-train", NULL};
    grok_run_history_add(run, "grok-train", 1, argv, &err);
    grok_run_attr_set_int(run, "/config", "p", 23, &err);
    put(run, "/data/train", GROK_I64, 1, (size_t[]){2}, (long long[]){1, 2});
    put(run, "/metrics/step", GROK_I64, 1, (size_t[]){2}, (long long[]){0, 300});
    put(run, "/pca/share", GROK_F64, 1, (size_t[]){1}, (double[]){0.5});
    float v[4 * 6];
    for (int i = 0; i < 4 * 6; i++)
        v[i] = (float)(i / 6 * 10 + i % 6);
    put(run, "/snapshots/step", GROK_I64, 1, (size_t[]){4}, (long long[]){0, 100, 200, 300});
    put(run, "/snapshots/a.x", GROK_F32, 3, (size_t[]){4, 2, 3}, v);
    put(run, "/snapshots/b.y", GROK_F32, 3, (size_t[]){4, 2, 3}, v);
    if (grok_run_commit(run, &err) != GROK_OK)
        diag("cannot write %s: %s", path, err.msg);
    grok_run_close(run);
    return grok_run_open(path, &err);
}

/* Cuts in by c into dir/name; returns the status, the output run reopened in *out on success. */
static int cut(struct grok_run *in, const struct grok_cut *c, const char *name,
               struct grok_run **out, struct grok_err *err)
{
    char path[128];
    struct grok_snapshots s;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    *out = NULL;
    struct grok_run *run = grok_run_create(path, err);
    int rc = run ? grok_snapshots_load(in, &s, err) : GROK_EIO;
    if (rc == GROK_OK) {
        rc = grok_run_cut(run, in, &s, c, err);
        grok_snapshots_free(&s);
    }
    if (rc == GROK_OK && (rc = grok_run_commit(run, err)) == GROK_OK) {
        grok_run_close(run);
        *out = grok_run_open(path, err);
        return GROK_OK;
    }
    grok_run_close(run);
    return rc;
}

static void test_snapshot_cut(struct grok_run *in)
{
    struct grok_err err = {0};
    char *kept[] = {"a.x"};
    struct grok_cut c = {.program = "grok-snap", .params = kept, .nparams = 1,
                         .steps = {100, 300, 200}, .quiet = 1};
    struct grok_run *out;
    ok(cut(in, &c, "cut.h5", &out, &err) == GROK_OK, "a cut of a.x at steps 100:300:200: %s",
       err.msg);
    if (!out)
        return;
    ok(grok_run_exists(out, "/config") && grok_run_exists(out, "/data/train") &&
       grok_run_exists(out, "/metrics/step"), "  /config, /data and /metrics kept");
    ok(!grok_run_exists(out, "/pca") && !grok_run_exists(out, "/state"),
       "  the analysis group left, no state");
    ok(!grok_run_exists(out, "/snapshots/b.y"), "  the parameter not chosen left");
    struct grok_array st = {0}, a = {0};
    grok_run_read(out, "/snapshots/step", GROK_I64, &st, &err);
    grok_run_read(out, "/snapshots/a.x", GROK_F32, &a, &err);
    ok(st.n == 2 && ((long long *)st.data)[0] == 100 && ((long long *)st.data)[1] == 300,
       "  the steps 100 and 300");
    ok(a.rank == 3 && a.shape[0] == 2 && ((float *)a.data)[0] == 10 && ((float *)a.data)[6] == 30,
       "  their rows of a.x");
    grok_array_free(&st);
    grok_array_free(&a);
    char *history = NULL;
    grok_run_attr_get_str(out, "/", "history", &history, &err);
    char *second = history ? strchr(history, '\n') : NULL;
    ok(second && strstr(second + 1, " grok-snap ") && !strchr(second + 1, '\n'),
       "  the input's history and one line for the cut");
    free(history);
    grok_run_close(out);
}

static void test_state_cut(struct grok_run *in)
{
    struct grok_err err = {0};
    char *kept[] = {"a.x", "b.y"};
    struct grok_cut c = {.program = "grok-snap", .params = kept, .nparams = 2, .state = 1,
                         .at = 240, .quiet = 1};
    struct grok_run *out;
    ok(cut(in, &c, "state.h5", &out, &err) == GROK_OK, "the state at 240: %s", err.msg);
    if (!out)
        return;
    long long step = -1;
    grok_run_attr_get_int(out, "/state", "step", &step, &err);
    is_int(step, 200, "  from the nearest snapshot, 200");
    struct grok_array a = {0};
    grok_run_read(out, "/state/b.y", GROK_F32, &a, &err);
    ok(a.rank == 2 && a.shape[0] == 2 && a.shape[1] == 3 && ((float *)a.data)[5] == 25,
       "  each parameter at its own shape, the values of that snapshot");
    grok_array_free(&a);
    ok(grok_run_exists(out, "/config") && !grok_run_exists(out, "/metrics") &&
       !grok_run_exists(out, "/snapshots"), "  /config kept, no metrics or snapshots");
    grok_run_close(out);
}

static void test_empty_range(struct grok_run *in)
{
    struct grok_err err = {0};
    char *kept[] = {"a.x"};
    struct grok_cut c = {.program = "grok-snap", .params = kept, .nparams = 1,
                         .steps = {5, 6, 1}, .quiet = 1};
    struct grok_run *out;
    char want[256];
    is_int(cut(in, &c, "none.h5", &out, &err), GROK_ENOTFOUND, "a range that keeps none refused");
    snprintf(want, sizeof want, "%s: no snapshot has a step in the range given by -s",
             grok_run_name(in));
    is_str(err.msg, want, "  its message");
    snprintf(want, sizeof want, "%s/none.h5", dir);
    ok(access(want, F_OK) != 0, "  no output left");
}

int main(int argc, char **argv)
{
    grok_cli_init("t-cut", argc, argv);
    if (!scratch_make("t-cut"))
        return done_testing();
    struct grok_run *in = input_run();
    ok(in != NULL, "the input run");
    if (in) {
        test_snapshot_cut(in);
        test_state_cut(in);
        test_empty_range(in);
    }
    grok_run_close(in);
    scratch_remove();
    return done_testing();
}
