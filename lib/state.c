/* A run's /state parameters (include/grok/state.h). */
#include "grok/state.h"

#include <stdio.h>

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
