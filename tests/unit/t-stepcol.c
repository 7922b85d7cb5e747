/* The rule of a run's step columns: what grok_stepcol_read takes (int64, int32, float columns of
 * whole numbers, an empty column) and what it refuses, with the first bad row in its message. */
#include "tap.h"
#include "runs.h"

#include "grok/stepcol.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Reads /s/<name> of run; is it refused with "<run>: /s/<name> <why>"? */
static void refused(struct grok_run *run, const char *name, const char *why, const char *what)
{
    struct grok_err err = {0};
    struct grok_array a;
    char path[64], want[512];
    snprintf(path, sizeof path, "/s/%s", name);
    snprintf(want, sizeof want, "%s: %s %s", grok_run_name(run), path, why);
    is_int(grok_stepcol_read(run, path, &a, &err), GROK_EFORMAT, "%s refused", what);
    is_str(err.msg, want, "  its message");
    ok(!a.data && a.n == 0, "  nothing is left to free");
}

/* Reads /s/<name> of run; does it give the n steps want, as int64? */
static void taken(struct grok_run *run, const char *name, const long long *want, size_t n,
                  const char *what)
{
    struct grok_err err = {0};
    struct grok_array a;
    char path[64];
    snprintf(path, sizeof path, "/s/%s", name);
    int rc = grok_stepcol_read(run, path, &a, &err);
    ok(rc == GROK_OK, "%s taken%s%s", what, rc ? ": " : "", rc ? err.msg : "");
    int same = rc == GROK_OK && a.dtype == GROK_I64 && a.rank == 1 && a.n == n;
    for (size_t i = 0; same && i < n; i++)
        same = ((const int64_t *)a.data)[i] == want[i];
    ok(same, "  as int64, the same steps");
    grok_array_free(&a);
}

int main(void)
{
    if (!scratch_make("t-stepcol"))
        return done_testing();
    struct grok_err err = {0};
    struct grok_run *run = grok_run_create(in_dir("steps.h5"), &err);
    if (!run) {
        ok(0, "a run: %s", err.msg);
        return done_testing();
    }
    const size_t n4[1] = {4}, n0[1] = {0}, sq[2] = {2, 2};
    long long i64[4] = {0, 100, 200, 300}, back[4] = {0, 300, 200, 400},
              same[4] = {0, 100, 100, 200}, neg[4] = {-5, 0, 1, 2};
    int32_t i32[4] = {0, 100, 200, 300};
    double f64[4] = {-0.0, 100, 200, 300}, frac[4] = {0, 100, 150.25, 300},
           inf[4] = {0, 1, HUGE_VAL, 3}, nan[4] = {0, NAN, 2, 3},
           big[4] = {0, 1, 9223372036854774784.0, 9223372036854775808.0};
    float f32[4] = {0, 100, 200, 300};
    put(run, "/s/int64", GROK_I64, 1, n4, i64);
    put(run, "/s/int32", GROK_I32, 1, n4, i32);
    put(run, "/s/float64", GROK_F64, 1, n4, f64);
    put(run, "/s/float32", GROK_F32, 1, n4, f32);
    put(run, "/s/empty", GROK_I64, 1, n0, i64);
    put(run, "/s/back", GROK_I64, 1, n4, back);
    put(run, "/s/same", GROK_I64, 1, n4, same);
    put(run, "/s/neg", GROK_I64, 1, n4, neg);
    put(run, "/s/frac", GROK_F64, 1, n4, frac);
    put(run, "/s/inf", GROK_F64, 1, n4, inf);
    put(run, "/s/nan", GROK_F64, 1, n4, nan);
    put(run, "/s/big", GROK_F64, 1, n4, big);
    put(run, "/s/square", GROK_I64, 2, sq, i64);
    put(run, "/s/fsquare", GROK_F64, 2, sq, frac);
    grok_run_commit(run, &err);
    grok_run_close(run);
    if (!(run = grok_run_open(in_dir("steps.h5"), &err))) {
        ok(0, "the run opens again: %s", err.msg);
        return done_testing();
    }

    taken(run, "int64", i64, 4, "int64 steps (grok's own)");
    taken(run, "int32", i64, 4, "int32 steps");
    taken(run, "float64", i64, 4, "float64 whole numbers (h5py's numpy default; -0 is 0)");
    taken(run, "float32", i64, 4, "float32 whole numbers");
    taken(run, "empty", NULL, 0, "an empty column");
    refused(run, "back", "is not increasing (row 3: 200 after 300)", "steps out of order");
    refused(run, "same", "is not increasing (row 3: 100 after 100)", "a step twice");
    refused(run, "neg", "is negative (row 1: -5)", "a negative step");
    refused(run, "frac", "is not a whole number (row 3: 150.25)", "a fraction");
    refused(run, "inf", "is not a whole number (row 3: inf)", "inf");
    refused(run, "nan", "is not a whole number (row 2: nan)", "nan");
    refused(run, "big", "is too large (row 4: 9.223372036854776e+18)",
            "2^63 (the largest double below it is a step)");
    refused(run, "square", "is not 1-D", "a 2-D column");
    refused(run, "fsquare", "is not 1-D", "a 2-D float column, before its values");

    struct grok_array a;
    char want[512];
    is_int(grok_stepcol_read(run, "/s/none", &a, &err), GROK_ENOTFOUND, "a missing column");
    snprintf(want, sizeof want, "%s: no dataset /s/none", in_dir("steps.h5"));
    is_str(err.msg, want, "  run's message");
    grok_run_close(run);
    scratch_remove();
    return done_testing();
}
