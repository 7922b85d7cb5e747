/* A run's contents as tables: the listing, a group's 1-D columns (the rows' length, what is
 * skipped, the /config lines), one snapshot of a parameter as a matrix, and each refusal. */
#include "tap.h"
#include "runs.h"

#include "grok/runtable.h"

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* The run every test reads: /config, /metrics (one column shorter, one 2-D), two groups whose
 * columns disagree on their length one to one, in both orders, a group of no 1-D column, and
 * two snapshots of a 2x3 parameter. */
static struct grok_run *table_run(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/tables.h5", dir);
    struct grok_err err = {0};
    struct grok_run *run = grok_run_create(path, &err);
    if (!run)
        return NULL;
    long long step[3] = {0, 10, 20}, two[2] = {7, 8};
    double loss[3] = {0.5, 0.25, 0.125}, three[3] = {1, 2, 3};
    float acc[2] = {1, 0.5f}, m[4] = {0}, w[12];
    for (int i = 0; i < 12; i++)
        w[i] = (float)i / 4;
    grok_run_attr_set_str(run, "/config", "op", "add", &err);
    grok_run_attr_set_int(run, "/config", "p", 23, &err);
    put(run, "/metrics/step", GROK_I64, 1, (size_t[]){3}, step);
    put(run, "/metrics/loss", GROK_F64, 1, (size_t[]){3}, loss);
    put(run, "/metrics/acc", GROK_F32, 1, (size_t[]){2}, acc);
    put(run, "/metrics/m", GROK_F32, 2, (size_t[]){2, 2}, m);
    put(run, "/short_first/x", GROK_I64, 1, (size_t[]){2}, two);
    put(run, "/short_first/y", GROK_F64, 1, (size_t[]){3}, three);
    put(run, "/long_first/y", GROK_F64, 1, (size_t[]){3}, three);
    put(run, "/long_first/x", GROK_I64, 1, (size_t[]){2}, two);
    put(run, "/flat/m", GROK_F32, 2, (size_t[]){2, 2}, m);
    put(run, "/snapshots/step", GROK_I64, 1, (size_t[]){2}, (long long[]){0, 100});
    put(run, "/snapshots/w", GROK_F32, 3, (size_t[]){2, 2, 3}, w);
    if (grok_run_commit(run, &err) != GROK_OK)
        diag("cannot write %s: %s", path, err.msg);
    grok_run_close(run);
    return grok_run_open(path, &err);
}

/* The text a writer prints, malloc'd; its status in *rc. */
static char *group_text(struct grok_run *run, const char *group, int *rc, struct grok_err *err)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    *rc = grok_runtable_write_group(run, group, f, err);
    fclose(f);
    return out;
}

static void test_group(struct grok_run *run)
{
    struct grok_err err = {0};
    char want[1024];
    int rc;
    const char *name = grok_run_name(run);
    char *got = group_text(run, NULL, &rc, &err);
    snprintf(want, sizeof want, "# run: %s\n# table: /metrics\n# skipped: acc (2 rows)\n"
             "# op: add\n# p: 23\nstep\tloss\n0\t0.5\n10\t0.25\n20\t0.125\n", name);
    ok(rc == GROK_OK, "the metrics by default");
    is_str(got, want, "  a shorter column skipped and named, a 2-D one left out, /config as lines");
    free(got);
    got = group_text(run, "/metrics", &rc, &err);
    is_str(got, want, "  the same for \"/metrics\"");
    free(got);

    got = group_text(run, "short_first", &rc, &err);
    snprintf(want, sizeof want, "# run: %s\n# table: /short_first\n# skipped: x (2 rows)\n"
             "# op: add\n# p: 23\ny\n1\n2\n3\n", name);
    is_str(got, want, "one column of each length: the longer is the rows'");
    free(got);
    got = group_text(run, "long_first", &rc, &err);
    snprintf(want, sizeof want, "# run: %s\n# table: /long_first\n# skipped: x (2 rows)\n"
             "# op: add\n# p: 23\ny\n1\n2\n3\n", name);
    is_str(got, want, "  whatever their order");
    free(got);

    got = group_text(run, "flat", &rc, &err);
    is_int(rc, GROK_EFORMAT, "a group of no 1-D column refused");
    is_str(got, "", "  nothing printed");
    snprintf(want, sizeof want, "%s: /flat holds no 1-D columns of numbers", name);
    is_str(err.msg, want, "  its message");
    free(got);
    got = group_text(run, "nope", &rc, &err);
    is_int(rc, GROK_ENOTFOUND, "a missing group refused");
    snprintf(want, sizeof want, "%s: no group /nope", name);
    is_str(err.msg, want, "  its message");
    free(got);
}

static void test_matrix(struct grok_run *run)
{
    struct grok_err err = {0};
    struct grok_snapshots s = {0};
    char want[1024], *got = NULL;
    size_t len = 0;
    const char *name = grok_run_name(run);
    ok(grok_snapshots_load(run, &s, &err) == GROK_OK, "the snapshots load: %s", err.msg);
    FILE *f = open_memstream(&got, &len);
    int rc = grok_runtable_write_matrix(run, &s, 1, "w", f, &err);
    fclose(f);
    snprintf(want, sizeof want, "# run: %s\n# param: w\n# step: 100\n# shape: 2x3\n"
             "row\t0\t1\t2\n0\t1.5\t1.75\t2\n1\t2.25\t2.5\t2.75\n", name);
    ok(rc == GROK_OK, "snapshot 1 of w as a matrix");
    is_str(got, want, "  its rows, the step and shape as lines");
    free(got);
    got = NULL;
    f = open_memstream(&got, &len);
    is_int(grok_runtable_write_matrix(run, &s, 0, "v", f, &err), GROK_ENOTFOUND,
           "a parameter without snapshots refused");
    fclose(f);
    snprintf(want, sizeof want, "%s: no snapshots of 'v'", name);
    is_str(err.msg, want, "  its message");
    free(got);
    grok_snapshots_free(&s);
}

static void test_list(void)
{
    char path[128], want[1024], *got = NULL;
    size_t len = 0;
    struct grok_err err = {0};
    snprintf(path, sizeof path, "%s/list.h5", dir);
    struct grok_run *run = grok_run_create(path, &err);
    grok_run_attr_set_str(run, "/", "history", "one\ntwo", &err);
    put(run, "/d/x", GROK_I64, 1, (size_t[]){3}, (long long[]){1, 2, 3});
    put(run, "/d/y", GROK_F32, 2, (size_t[]){2, 2}, (float[]){1, 2, 3, 4});
    grok_run_attr_set_double(run, "/d/y", "scale", 0.5, &err);
    grok_run_commit(run, &err);
    grok_run_close(run);
    run = grok_run_open(path, &err);
    FILE *f = open_memstream(&got, &len);
    ok(grok_runtable_write_list(run, f, &err) == GROK_OK, "the listing");
    fclose(f);
    snprintf(want, sizeof want, "# run: %s\nkind\tpath\ttype\tshape\tvalue\n"
             "attribute\t/@format\tstring\tscalar\tgrok-run\n"
             "attribute\t/@format_version\tint64\tscalar\t1\n"
             "attribute\t/@history\tstring\tscalar\tone|two\n"
             "dataset\t/d/x\tint64\t3\t\n"
             "dataset\t/d/y\tfloat32\t2x2\t\n"
             "attribute\t/d/y@scale\tfloat64\tscalar\t0.5\n", grok_run_name(run));
    is_str(got, want, "  datasets and attributes in path order, the history on one row");
    free(got);
    grok_run_close(run);
}

int main(void)
{
    if (!scratch_make("t-runtable"))
        return done_testing();
    struct grok_run *run = table_run();
    ok(run != NULL, "the test run");
    if (run) {
        test_group(run);
        test_matrix(run);
    }
    grok_run_close(run);
    test_list();
    scratch_remove();
    return done_testing();
}
