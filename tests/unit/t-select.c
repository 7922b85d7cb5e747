/* Step ranges, globs, the nearest snapshot, and loading what a run's /snapshots holds. */
#include "tap.h"

#include "grok/select.h"

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
    strcpy(dir, "/tmp/grok-t-select-XXXXXX");
    if (!mkdtemp(dir)) {
        ok(0, "a temporary folder");
        return;
    }
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

    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
}

static void steps_ok(const char *text, long long from, long long to, long long every)
{
    struct grok_steps r;
    struct grok_err err = {0};
    int rc = grok_steps_parse(text, &r, &err);
    ok(rc == GROK_OK && r.from == from && r.to == to && r.every == every, "steps '%s' -> %lld:%lld:%lld %s",
       text, from, to, every, rc ? err.msg : "");
}

static void steps_bad(const char *text, const char *msg)
{
    struct grok_steps r;
    struct grok_err err = {0};
    ok(grok_steps_parse(text, &r, &err) == GROK_EINVAL, "steps '%s' refused", text);
    is_str(err.msg, msg, "  its message");
}

int main(void)
{
    steps_ok("0:5000:500", 0, 5000, 500);
    steps_ok("100:200", 100, 200, 1);
    steps_ok(":5000", 0, 5000, 1);
    steps_ok("1000:", 1000, -1, 1);
    steps_ok("::100", 0, -1, 100);
    steps_ok("700", 700, 700, 1);
    steps_bad("", "bad step range '' (FROM:TO[:EVERY], e.g. 0:5000:500)");
    steps_bad("a:b", "bad step range 'a:b' (FROM:TO[:EVERY], e.g. 0:5000:500)");
    steps_bad("-5:10", "bad step range '-5:10' (FROM:TO[:EVERY], e.g. 0:5000:500)");
    steps_bad("1:2:3:4", "bad step range '1:2:3:4' (FROM:TO[:EVERY], e.g. 0:5000:500)");
    steps_bad("1:2:", "bad step range '1:2:' (FROM:TO[:EVERY], e.g. 0:5000:500)");
    steps_bad("10:5", "bad step range '10:5': FROM is after TO");
    steps_bad("0:10:0", "bad step range '0:10:0': EVERY must be at least 1");

    struct grok_steps r;
    grok_steps_parse("100:1000:300", &r, NULL);
    ok(!grok_steps_match(&r, 0) && grok_steps_match(&r, 100) && !grok_steps_match(&r, 200) &&
       grok_steps_match(&r, 400) && grok_steps_match(&r, 1000) && !grok_steps_match(&r, 1300),
       "match 100:1000:300");
    r = GROK_STEPS_ALL;
    ok(grok_steps_match(&r, 0) && grok_steps_match(&r, 123456789), "all steps match");

    struct grok_err err = {0};
    ok(grok_glob_check("blocks.*.attn.W_[QKVO]", &err) == GROK_OK, "a good glob");
    ok(grok_glob_check("[]x]", &err) == GROK_OK, "']' first in a class is a member");
    ok(grok_glob_check("a\\[b", &err) == GROK_OK, "escaped '['");
    ok(grok_glob_check("W_[QK", &err) == GROK_EINVAL, "unterminated class refused");
    is_str(err.msg, "bad glob 'W_[QK': '[' without ']'", "  its message");
    ok(grok_glob_check("", &err) == GROK_EINVAL, "empty glob refused");

    char *globs[] = {"blocks.*.attn.W_[QK]", "embed.*"};
    ok(grok_globs_match(globs, 2, "blocks.0.attn.W_Q"), "glob matches W_Q");
    ok(!grok_globs_match(globs, 2, "blocks.0.attn.W_V"), "glob does not match W_V");
    ok(grok_globs_match(globs, 2, "embed.W_E"), "second glob matches");
    ok(grok_globs_match(NULL, 0, "anything"), "no globs match all");
    char joined[64], small[28];
    grok_globs_join(joined, sizeof joined, globs, 2);
    is_str(joined, "blocks.*.attn.W_[QK] or embed.*", "globs joined by ' or '");
    grok_globs_join(small, sizeof small, globs, 2);
    is_str(small, "blocks.*.attn.W_[QK] or emb", "  cut to the buffer");
    grok_globs_join(joined, sizeof joined, globs, 1);
    is_str(joined, "blocks.*.attn.W_[QK]", "one glob joined is itself");
    struct grok_selection sel;
    ok(grok_selection_init(&sel, 3, &err) == GROK_OK && sel.nglobs == 0 && !sel.steps_text &&
       sel.steps.from == 0 && sel.steps.to == -1 && sel.steps.every == 1,
       "a new selection: no globs, every step");
    grok_selection_free(&sel);
    grok_selection_free(&sel);
    grok_selection_free(NULL);
    ok(1, "grok_selection_free twice, and of NULL, is fine");

    long long steps[] = {0, 100, 200, 400};
    struct grok_snapshots s = {.steps = steps, .T = 4};
    is_int(grok_snapshots_nearest(&s, 0), 0, "nearest to 0");
    is_int(grok_snapshots_nearest(&s, 149), 1, "nearest to 149");
    is_int(grok_snapshots_nearest(&s, 150), 1, "a tie goes to the earlier");
    is_int(grok_snapshots_nearest(&s, 301), 3, "nearest to 301");
    is_int(grok_snapshots_nearest(&s, 99999), 3, "past the end");
    test_snapshots_load();
    return done_testing();
}
