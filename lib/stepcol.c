/* A run's step columns (include/grok/stepcol.h). */
#include "grok/stepcol.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* v in the fewest digits that read back as v: a message shows "2.5", not "2.5000000000000000". */
static const char *shortest(char buf[32], double v)
{
    for (int prec = 1; prec < 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return buf;
    }
    snprintf(buf, 32, "%.17g", v);
    return buf;
}

/* The float column f (n values) as int64 steps into s, or GROK_EFORMAT at its first value that
 * is not a whole number an int64 holds. */
static int from_float(struct grok_run *run, const char *path, const double *f, size_t n,
                      int64_t *s, struct grok_err *err)
{
    char v[32];
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(f[i]) || f[i] != floor(f[i]))
            return grok_err_set(err, GROK_EFORMAT, "%s: %s is not a whole number (row %zu: %s)",
                                grok_run_name(run), path, i + 1, shortest(v, f[i]));
        /* 2^63 is the first double past INT64_MAX; a cast from it or above is undefined */
        if (f[i] >= 9223372036854775808.0)
            return grok_err_set(err, GROK_EFORMAT, "%s: %s is too large (row %zu: %s)",
                                grok_run_name(run), path, i + 1, shortest(v, f[i]));
        s[i] = (int64_t)f[i];
    }
    return GROK_OK;
}

int grok_stepcol_read(struct grok_run *run, const char *path, struct grok_array *out,
                      struct grok_err *err)
{
    struct grok_array info, f = {0};
    memset(out, 0, sizeof *out);
    int rc = grok_run_info(run, path, &info, err);
    if (rc != GROK_OK)
        return rc;
    if (info.rank != 1 && info.dtype != GROK_STR && info.dtype != GROK_OTHER)
        return grok_err_set(err, GROK_EFORMAT, "%s: %s is not 1-D", grok_run_name(run), path);
    if (info.dtype != GROK_F32 && info.dtype != GROK_F64)
        rc = grok_run_read(run, path, GROK_I64, out, err);
    else if ((rc = grok_run_read(run, path, GROK_F64, &f, err)) == GROK_OK) {
        *out = f;
        out->dtype = GROK_I64;
        if (!(out->data = malloc(f.n ? f.n * sizeof(int64_t) : 1)))
            rc = grok_err_set(err, GROK_ENOMEM, "%s: %s: out of memory for %zu steps",
                              grok_run_name(run), path, f.n);
        else
            rc = from_float(run, path, f.data, f.n, out->data, err);
        grok_array_free(&f);
    }
    const int64_t *s = out->data;
    for (size_t i = 0; rc == GROK_OK && i < out->n; i++) {
        if (s[i] < 0)
            rc = grok_err_set(err, GROK_EFORMAT, "%s: %s is negative (row %zu: %lld)",
                              grok_run_name(run), path, i + 1, (long long)s[i]);
        else if (i > 0 && s[i] <= s[i - 1])
            rc = grok_err_set(err, GROK_EFORMAT, "%s: %s is not increasing (row %zu: %lld after "
                              "%lld)", grok_run_name(run), path, i + 1, (long long)s[i],
                              (long long)s[i - 1]);
    }
    if (rc != GROK_OK)
        grok_array_free(out);
    return rc;
}
