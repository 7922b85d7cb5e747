/* Building small runs in unit tests: in a scratch folder, one dataset at a time, from a literal. */
#ifndef GROK_TEST_RUNS_H
#define GROK_TEST_RUNS_H

#include <stdio.h>
#include <stdlib.h>

#include "grok/run.h"
#include "tap.h"

/* The test's scratch folder (made by its main) and a path in it; the last four paths stay valid. */
static char dir[64];

static inline const char *in_dir(const char *name)
{
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

/* Makes the scratch folder /tmp/grok-NAME-XXXXXX; 0 (after a failed test line) when it cannot. */
static inline int scratch_make(const char *name)
{
    snprintf(dir, sizeof dir, "/tmp/grok-%s-XXXXXX", name);
    if (mkdtemp(dir))
        return 1;
    ok(0, "a temporary folder");
    return 0;
}

/* Removes the scratch folder and all it holds. */
static inline void scratch_remove(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
}

/* Writes data (rank dimensions `shape`, elements of dt) as the dataset at path of run; a
 * failure is a diagnostic line, so the test that needed the dataset fails where it reads it. */
static inline void put(struct grok_run *run, const char *path, enum grok_dtype dt, int rank,
                       const size_t *shape, void *data)
{
    struct grok_err err = {0};
    struct grok_array a = {.dtype = dt, .rank = rank, .n = 1, .data = data};
    for (int k = 0; k < rank; k++)
        a.n *= a.shape[k] = shape[k];
    if (grok_run_write_array(run, path, &a, &err) != GROK_OK)
        diag("cannot write %s: %s", path, err.msg);
}

#endif
