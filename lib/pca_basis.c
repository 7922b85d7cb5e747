/* /pca/basis: the execution subspace as a run stores it. */
#include "grok/pca_basis.h"

#include <math.h>

#define BASIS_PATH "/pca/basis"

int grok_pca_basis_read(struct grok_run *run, size_t n_params, struct grok_array *B,
                        struct grok_err *err)
{
    const char *name = grok_run_name(run);
    if (!grok_run_exists(run, BASIS_PATH))
        return grok_err_set(err, GROK_ENOTFOUND, "%s: no " BASIS_PATH " (run grok-pca on it first)", name);
    int rc = grok_run_read(run, BASIS_PATH, GROK_F64, B, err);
    if (rc != GROK_OK)
        return rc;
    if (B->rank != 2)
        rc = grok_err_set(err, GROK_EFORMAT, "%s: " BASIS_PATH " is not a 2-D [n_params, K] array", name);
    else if (B->shape[1] < 1)
        rc = grok_err_set(err, GROK_EFORMAT, "%s: " BASIS_PATH " has no columns", name);
    else if (B->shape[0] != n_params)
        rc = grok_err_set(err, GROK_EFORMAT, "%s: " BASIS_PATH " has %zu rows, the model has %zu "
                          "parameters (a basis of another model?)", name, B->shape[0], n_params);
    for (size_t i = 0; rc == GROK_OK && i < B->n; i++)
        if (!isfinite(((double *)B->data)[i]))
            rc = grok_err_set(err, GROK_EFORMAT, "%s: " BASIS_PATH " holds a value that is not finite", name);
    if (rc != GROK_OK)
        grok_array_free(B);
    return rc;
}
