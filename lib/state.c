/* A run's /state parameters (include/grok/state.h). */
#include "grok/state.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int grok_run_state_write(struct grok_run *run, long long step, const struct grok_tensor *t, int n,
                         struct grok_err *err)
{
    int rc = grok_run_group_replace(run, "/state", err);
    char path[GROK_MAX_NAME + 32];
    for (int i = 0; rc == GROK_OK && i < n; i++) {
        if ((rc = grok_tensor_check(&t[i], grok_run_name(run), err)) != GROK_OK)
            break;
        struct grok_array a = {.dtype = GROK_F32, .rank = t[i].rank, .n = 1,
                               .data = (void *)t[i].data};
        for (int k = 0; k < t[i].rank; k++) {
            a.shape[k] = t[i].shape[k];
            a.n *= t[i].shape[k];
        }
        snprintf(path, sizeof path, "/state/%s", t[i].name);
        rc = grok_run_write_array(run, path, &a, err);
    }
    if (rc == GROK_OK)
        rc = grok_run_attr_set_int(run, "/state", "step", step, err);
    return rc;
}

int grok_state_rng_write(struct grok_run *run, const char *path, const gsl_rng *rng,
                         struct grok_err *err)
{
    size_t bytes = gsl_rng_size(rng), words = (bytes + 7) / 8;
    int64_t *packed = calloc(words, sizeof *packed);
    if (!packed)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    memcpy(packed, gsl_rng_state(rng), bytes);
    struct grok_array a = {.dtype = GROK_I64, .rank = 1, .shape = {words}, .n = words, .data = packed};
    int rc = grok_run_write_array(run, path, &a, err);
    free(packed);
    return rc;
}

/* Whether an mt19937 state image can be trusted. GSL has no call that checks a state, and one
 * field of it matters: the position mti in {unsigned long mt[624]; int mti;} (GSL's private
 * layout, the one assumption made of it here), which the next draw uses to index mt. A tampered
 * position outside 0..624 would read past the table, so it is refused. A scratch generator
 * drawing from the image could not tell: the bad read is the draw itself. */
static int mt19937_state_ok(const void *state, size_t bytes)
{
    size_t at = 624 * sizeof(unsigned long);
    int mti;
    if (bytes < at + sizeof mti)
        return 0;
    memcpy(&mti, (const char *)state + at, sizeof mti);
    return mti >= 0 && mti <= 624;
}

/* Into a scratch generator of rng's type, checked, then copied over with gsl_rng_memcpy, so
 * that a refused state leaves rng as it was. */
int grok_state_rng_read(struct grok_run *run, const char *path, const char *type_obj, gsl_rng *rng,
                        struct grok_err *err)
{
    const char *name = grok_run_name(run);
    char *type = NULL;
    int rc = grok_run_attr_get_str(run, type_obj, "rng_type", &type, err);
    if (rc)
        return rc;
    int same_type = strcmp(type, GROK_STATE_RNG_TYPE) == 0;
    free(type);
    struct grok_array a = {0};
    if ((rc = grok_run_read(run, path, GROK_I64, &a, err)))
        return rc;
    size_t bytes = gsl_rng_size(rng);
    gsl_rng *scratch = NULL;
    if (!same_type || a.n != (bytes + 7) / 8)
        rc = grok_err_set(err, GROK_EFORMAT, "%s: %s is not a %s state of this machine", name, path, GROK_STATE_RNG_TYPE);
    else if (!mt19937_state_ok(a.data, bytes))
        rc = grok_err_set(err, GROK_EFORMAT, "%s: %s is not a valid %s state", name, path, GROK_STATE_RNG_TYPE);
    else if (!(scratch = gsl_rng_alloc(gsl_rng_mt19937)))
        rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
    if (!rc) {
        memcpy(gsl_rng_state(scratch), a.data, bytes);
        gsl_rng_memcpy(rng, scratch);
    }
    if (scratch)
        gsl_rng_free(scratch);
    grok_array_free(&a);
    return rc;
}


int grok_state_read_exact(struct grok_run *run, const char *path, enum grok_dtype as, void *out,
                          size_t n, struct grok_err *err)
{
    struct grok_array a = {0};
    int rc = grok_run_read(run, path, as, &a, err);
    if (rc == GROK_OK && a.n != n)
        rc = grok_err_set(err, GROK_EFORMAT, "%s: %s holds %zu values, %zu are needed", grok_run_name(run),
                          path, a.n, n);
    if (rc == GROK_OK)
        memcpy(out, a.data, n * (as == GROK_F64 ? sizeof(double) : sizeof(float)));
    grok_array_free(&a);
    return rc;
}
