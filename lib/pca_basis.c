/* /pca/basis: the execution subspace as a run stores it. */
#include "grok/pca_basis.h"

#include "grok/commute.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GROUP "/pca"
#define BASIS_PATH GROUP "/basis"

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

/* m's tensor names, or their offsets, comma-separated in a malloc'd string (NULL: no memory). */
static char *tensor_list(const struct grok_model *m, int offsets)
{
    size_t len = 1;
    for (int t = 0; t < m->n_tensors; t++)
        len += (offsets ? 21 : strlen(m->tensors[t].name)) + 1;
    char *s = malloc(len), *p = s;
    for (int t = 0; s && t < m->n_tensors; t++) {
        const char *sep = t ? "," : "";
        size_t left = len - (size_t)(p - s);
        p += offsets ? snprintf(p, left, "%s%zu", sep, m->tensors[t].offset)
                     : snprintf(p, left, "%s%s", sep, m->tensors[t].name);
    }
    if (s && m->n_tensors == 0)
        *s = '\0';
    return s;
}

int grok_pca_basis_write(struct grok_run *run, const struct grok_model *m, const double *B,
                         size_t K, const char *columns, struct grok_err *err)
{
    char *params = tensor_list(m, 0), *offsets = tensor_list(m, 1);
    size_t shape[2] = {m->n_params, K};
    int rc = params && offsets ? GROK_OK : grok_err_set(err, GROK_ENOMEM, "out of memory");
    if (rc == GROK_OK) rc = grok_run_write_f64(run, GROUP, "basis", B, 2, shape, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(run, BASIS_PATH, "params", params, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(run, BASIS_PATH, "offsets", offsets, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(run, BASIS_PATH, "columns", columns, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(run, BASIS_PATH, "n_params", (long long)m->n_params, err);
    free(params);
    free(offsets);
    return rc;
}

int grok_pca_basis_check_layout(struct grok_run *run, const struct grok_model *m, struct grok_err *err)
{
    const char *keys[2] = {"params", "offsets"};
    int rc = GROK_OK;
    for (int k = 0; rc == GROK_OK && k < 2; k++) {
        char *stored = NULL, *ours = NULL;
        int got = grok_run_attr_get_str(run, BASIS_PATH, keys[k], &stored, NULL);
        if (got == GROK_ENOTFOUND)
            continue;   /* a basis written by another tool: its row count is all there is to check */
        if (got != GROK_OK)
            rc = grok_err_set(err, GROK_EFORMAT, "%s: " BASIS_PATH "@%s is not a string", grok_run_name(run), keys[k]);
        else if (!(ours = tensor_list(m, k)))
            rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
        else if (strcmp(stored, ours) != 0)
            rc = grok_err_set(err, GROK_EFORMAT, "%s: " BASIS_PATH " is over another model's parameters "
                              "(its %s differ from this model's)", grok_run_name(run), keys[k]);
        free(stored);
        free(ours);
    }
    return rc;
}

int grok_pca_basis_check_orthonormal(struct grok_run *run, const struct grok_array *B,
                                     const char *consequence, struct grok_err *err)
{
    double off;
    int rc = grok_orthonormality_error(B->data, B->shape[0], B->shape[1], &off, err);
    if (rc == GROK_OK && !(off <= GROK_PCA_BASIS_TOL))
        rc = grok_err_set(err, GROK_EFORMAT, "%s: " BASIS_PATH " is not orthonormal (|B^T B - I| reaches %.3g, "
                          "above %g)%s", grok_run_name(run), off, GROK_PCA_BASIS_TOL, consequence);
    return rc;
}
