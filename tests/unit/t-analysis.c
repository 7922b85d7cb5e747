/* The analysis driver with a toy analysis: the order and count of its hooks, the selection setup
 * sees, a run output that keeps the input's groups, a table output, a failing unit or setup
 * leaving no output and one line on stderr, the seeded generator and the worker pool. */
#include "tap.h"
#include "runs.h"

#include "grok/analysis.h"
#include "grok/cli.h"
#include "grok/history.h"
#include "grok/snapshots.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static char input[128];

/* The toy: counts its hooks, records their order and the units it saw, and fails where told. */
struct toy {
    char order[64];          /* one letter a hook: o(pen) s(etup) u(nit) t(able) g(roup) */
    int nunit;
    long long seen[16];      /* the u of each unit call */
    long long units;         /* what setup sets */
    long long fail_at;       /* the unit that fails, or -1 */
    int fail_setup;
    int workers;             /* setup asks for this many (0: does not ask) */
    /* What setup saw. */
    size_t T;
    long long steps[8];
    int has_rng;
    unsigned long draw;
    int nworkers, has_pool, workers_rc;
};

static void mark(struct toy *t, char c)
{
    size_t n = strlen(t->order);
    if (n + 1 < sizeof t->order)
        t->order[n] = c;
}

static int toy_open(void *ctx, struct grok_analysis *a, struct grok_err *err)
{
    (void)a;
    (void)err;
    mark(ctx, 'o');
    return GROK_OK;
}

static int toy_setup(void *ctx, struct grok_analysis *a, long long *units, struct grok_err *err)
{
    struct toy *t = ctx;
    mark(t, 's');
    t->T = a->T;
    for (size_t i = 0; i < a->T && i < 8; i++)
        t->steps[i] = a->steps[i];
    t->has_rng = a->rng != NULL;
    if (a->rng)
        t->draw = gsl_rng_get(a->rng);
    if (t->workers) {
        t->workers_rc = grok_analysis_workers(a, t->workers, err);
        t->nworkers = a->nworkers;
        t->has_pool = a->pool != NULL;
    }
    if (t->fail_setup)
        return grok_err_set(err, GROK_EFORMAT, "toy setup refuses");
    *units = t->units;
    return GROK_OK;
}

static int toy_unit(void *ctx, struct grok_analysis *a, long long u, struct grok_err *err)
{
    struct toy *t = ctx;
    (void)a;
    mark(t, 'u');
    if (t->nunit < 16)
        t->seen[t->nunit] = u;
    t->nunit++;
    if (u == t->fail_at)
        return grok_err_set(err, GROK_EFORMAT, "toy unit %lld failed", u);
    return GROK_OK;
}

static void toy_table(void *ctx, struct grok_analysis *a, FILE *f)
{
    struct toy *t = ctx;
    mark(t, 't');
    fprintf(f, "unit\tT\n");
    for (int i = 0; i < t->nunit && i < 16; i++)
        fprintf(f, "%lld\t%zu\n", t->seen[i], a->T);
}

static int toy_group(void *ctx, struct grok_analysis *a, struct grok_err *err)
{
    struct toy *t = ctx;
    mark(t, 'g');
    put(a->out, "/toy/units", GROK_I64, 1, (size_t[]){1}, (long long[]){t->nunit});
    return grok_run_exists(a->out, "/toy/units") ? GROK_OK
                                                 : grok_err_set(err, GROK_EIO, "cannot write");
}

static const struct grok_analysis_def toy_def = {
    .program = "grok-toy", .group = "/toy", .open = toy_open, .setup = toy_setup,
    .unit = toy_unit, .write_table = toy_table, .write_group = toy_group,
};

static struct toy toy_new(long long units)
{
    return (struct toy){.units = units, .fail_at = -1};
}

/* The input: /config, /data, an old /toy group, snapshots at steps 0, 100, 200, 300 of a.x. */
static int input_run(void)
{
    snprintf(input, sizeof input, "%s/in.h5", dir);
    struct grok_err err = {0};
    struct grok_run *run = grok_run_create(input, &err);
    if (!run)
        return 0;
    char *argv[] = {"grok-train", NULL};
    grok_run_history_add(run, "grok-train", 1, argv, &err);
    grok_run_attr_set_int(run, "/config", "p", 23, &err);
    put(run, "/data/train", GROK_I64, 1, (size_t[]){2}, (long long[]){1, 2});
    put(run, "/toy/old", GROK_F64, 1, (size_t[]){1}, (double[]){0.5});
    int rc = GROK_OK;
    for (int t = 0; t < 4 && rc == GROK_OK; t++) {
        float v[6];
        for (int i = 0; i < 6; i++)
            v[i] = (float)(t * 10 + i);
        struct grok_tensor x = {.name = "a.x", .rank = 2, .shape = {2, 3}, .data = v};
        rc = grok_run_snapshot_append(run, t * 100LL, &x, 1, &err);
    }
    if (rc == GROK_OK)
        rc = grok_run_commit(run, &err);
    if (rc != GROK_OK)
        diag("cannot write %s: %s", input, err.msg);
    grok_run_close(run);
    return rc == GROK_OK;
}

/* grok_analysis_run with standard error caught in dir/stderr; *msg gets what it held. */
static int analyse(const struct grok_analysis_def *def, struct toy *t, const char *output,
                   int table, const char *range, long long seed, char *msg, size_t cap)
{
    struct grok_err err = {0};
    struct grok_common co = {.output = output, .table = table, .quiet = 1};
    struct grok_selection sel = {.steps = GROK_STEPS_ALL};
    if (range && grok_steps_parse(range, &sel.steps, &err) != GROK_OK)
        diag("bad range %s: %s", range, err.msg);
    struct grok_analysis_io io = {.input = input, .co = &co, .sel = &sel};
    char path[128];
    snprintf(path, sizeof path, "%s/stderr", dir);
    fflush(stderr);
    int saved = dup(2), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (saved >= 0 && fd >= 0)
        dup2(fd, 2);
    int status = grok_analysis_run(def, t, &io, seed);
    fflush(stderr);
    if (saved >= 0 && fd >= 0)
        dup2(saved, 2);
    if (fd >= 0)
        close(fd);
    if (saved >= 0)
        close(saved);
    msg[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(msg, 1, cap - 1, f);
        msg[n] = '\0';
        fclose(f);
    }
    return status;
}

static void test_run_output(void)
{
    char out[128], msg[1024];
    struct toy t = toy_new(3);
    snprintf(out, sizeof out, "%s/out.h5", dir);
    is_int(analyse(&toy_def, &t, out, 0, "100:300:200", 0, msg, sizeof msg), GROK_EXIT_OK,
           "a run output: exit 0");
    is_str(t.order, "osuuug", "  open, setup, three units, the group");
    ok(t.seen[0] == 0 && t.seen[1] == 1 && t.seen[2] == 2, "  the units 0, 1, 2 in order");
    ok(t.T == 2 && t.steps[0] == 100 && t.steps[1] == 300,
       "  setup sees the two snapshots -s 100:300:200 selects");
    ok(!t.has_rng, "  no generator without seeded");
    is_str(msg, "", "  nothing on stderr");
    struct grok_err err = {0};
    struct grok_run *run = grok_run_open(out, &err);
    ok(run != NULL, "  the output run exists: %s", err.msg);
    if (!run)
        return;
    struct grok_array units = {0};
    grok_run_read(run, "/toy/units", GROK_I64, &units, &err);
    ok(units.n == 1 && ((long long *)units.data)[0] == 3, "  it holds the group as written");
    grok_array_free(&units);
    ok(!grok_run_exists(run, "/toy/old"), "  the input's old group replaced");
    ok(grok_run_exists(run, "/config") && grok_run_exists(run, "/data/train") &&
       grok_run_exists(run, "/snapshots/a.x"), "  the input's other groups kept");
    grok_run_close(run);

    t = toy_new(2);
    is_int(analyse(&toy_def, &t, out, 0, NULL, 0, msg, sizeof msg), GROK_EXIT_OK,
           "all steps: exit 0");
    ok(t.T == 4 && t.steps[0] == 0 && t.steps[3] == 300, "  setup sees the four snapshots");
}

static void test_table_output(void)
{
    char out[128], msg[1024], text[256] = "";
    struct toy t = toy_new(2);
    snprintf(out, sizeof out, "%s/out.tsv", dir);
    is_int(analyse(&toy_def, &t, out, 1, "200:", 0, msg, sizeof msg), GROK_EXIT_OK,
           "a table output: exit 0");
    is_str(t.order, "osuut", "  open, setup, two units, the table (no group)");
    FILE *f = fopen(out, "r");
    if (f) {
        text[fread(text, 1, sizeof text - 1, f)] = '\0';
        fclose(f);
    }
    is_str(text, "unit\tT\n0\t2\n1\t2\n", "  the file holds what write_table wrote");
}

static void test_unit_fails(void)
{
    char out[128], msg[1024];
    struct toy t = toy_new(4);
    t.fail_at = 1;
    snprintf(out, sizeof out, "%s/failed.h5", dir);
    is_int(analyse(&toy_def, &t, out, 0, NULL, 0, msg, sizeof msg), GROK_EXIT_DATA,
           "a unit that fails at 1: exit 1");
    is_str(t.order, "osuu", "  the later units not called, no output written");
    ok(access(out, F_OK) != 0, "  no output file");
    is_str(msg, "t-analysis: toy unit 1 failed\n", "  one line on stderr");

    t = toy_new(4);
    t.fail_at = 0;
    snprintf(out, sizeof out, "%s/failed.tsv", dir);
    is_int(analyse(&toy_def, &t, out, 1, NULL, 0, msg, sizeof msg), GROK_EXIT_DATA,
           "a table whose first unit fails: exit 1");
    ok(access(out, F_OK) != 0 && !strchr(t.order, 't'), "  no table written, no file");
}

static void test_setup_fails(void)
{
    char out[128], msg[1024];
    struct toy t = toy_new(4);
    t.fail_setup = 1;
    snprintf(out, sizeof out, "%s/nosetup.h5", dir);
    is_int(analyse(&toy_def, &t, out, 0, NULL, 0, msg, sizeof msg), GROK_EXIT_DATA,
           "a setup that fails: exit 1");
    is_str(t.order, "os", "  no unit called");
    ok(access(out, F_OK) != 0, "  no output file");
    is_str(msg, "t-analysis: toy setup refuses\n", "  its line on stderr");
}

/* The names in dir other than those the tests made on purpose: a temporary left behind. */
static int stray_files(void)
{
    static const char *const made[] = {".", "..", "in.h5", "out.h5", "out.tsv", "stderr"};
    int n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        int known = 0;
        for (size_t i = 0; i < sizeof made / sizeof *made; i++)
            known |= strcmp(e->d_name, made[i]) == 0;
        if (!known) {
            diag("left behind: %s", e->d_name);
            n++;
        }
    }
    if (d)
        closedir(d);
    return n;
}

static void test_seeded(void)
{
    char out[128], msg[1024];
    struct grok_analysis_def def = toy_def;
    def.seeded = 1;
    struct toy t = toy_new(1);
    snprintf(out, sizeof out, "%s/seeded.h5", dir);
    is_int(analyse(&def, &t, out, 0, NULL, 12345, msg, sizeof msg), GROK_EXIT_OK,
           "a seeded analysis: exit 0");
    ok(t.has_rng, "  setup has a generator");
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 12345);
    unsigned long want = gsl_rng_get(r);
    gsl_rng_free(r);
    ok(t.draw == want, "  its first draw is MT19937's with the seed (%lu, %lu)", t.draw, want);
}

static void test_workers(void)
{
    char out[128], msg[1024];
    struct toy t = toy_new(2);
    t.workers = 2;
    snprintf(out, sizeof out, "%s/workers.h5", dir);
    is_int(analyse(&toy_def, &t, out, 0, NULL, 0, msg, sizeof msg), GROK_EXIT_OK,
           "two workers: exit 0");
    ok(t.workers_rc == GROK_OK && t.nworkers == 2 && t.has_pool, "  a pool of 2");
    t = toy_new(2);
    t.workers = 1;
    is_int(analyse(&toy_def, &t, out, 0, NULL, 0, msg, sizeof msg), GROK_EXIT_OK,
           "one worker: exit 0");
    ok(t.workers_rc == GROK_OK && t.nworkers == 1 && !t.has_pool, "  no pool");
}

int main(int argc, char **argv)
{
    grok_cli_init("t-analysis", argc, argv);
    if (!scratch_make("t-analysis"))
        return done_testing();
    if (ok(input_run(), "the input run")) {
        test_run_output();
        test_table_output();
        test_unit_fails();
        test_setup_fails();
        is_int(stray_files(), 0, "the failures left no temporary file");
        test_seeded();
        test_workers();
    }
    scratch_remove();
    return done_testing();
}
