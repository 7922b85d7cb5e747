/* The local SVD basis of a parameter vector: each selected matrix's top singular directions. */
#include "grok/svd_basis.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include "grok/pca.h"
#include "grok/select.h"

/* A rank-3 tensor joins its heads into rows (W_O) or into columns (W_Q, W_K, W_V). */
static int heads_in_rows(const struct grok_param *p)
{
    size_t len = strlen(p->name);
    return len >= 3 && strcmp(p->name + len - 3, "W_O") == 0;
}

void grok_svd_joined_shape(const struct grok_param *p, size_t *rows, size_t *cols)
{
    *rows = *cols = 0;
    if (p->rank == 2) {
        *rows = p->shape[0];
        *cols = p->shape[1];
    } else if (p->rank == 3 && heads_in_rows(p)) {
        *rows = p->shape[0] * p->shape[1];
        *cols = p->shape[2];
    } else if (p->rank == 3) {
        *rows = p->shape[1];
        *cols = p->shape[0] * p->shape[2];
    }
}

size_t grok_svd_joined_index(const struct grok_param *p, size_t r, size_t c)
{
    if (p->rank == 3 && !heads_in_rows(p)) {
        /* (i, h·d_head + e) of [n_heads, d_model, d_head] is W[h][i][e] */
        size_t a = p->shape[1], b = p->shape[2], h = c / b, e = c % b;
        return p->offset + (h * a + r) * b + e;
    }
    size_t rows, cols;
    grok_svd_joined_shape(p, &rows, &cols);
    return p->offset + r * cols + c;   /* rank 2, and W_O: the tensor's own row-major order */
}

void grok_svd_basis_free(struct grok_svd_basis *sb)
{
    if (!sb)
        return;
    free(sb->mats);
    free(sb->a);
    free(sb->s);
    free(sb->u);
    free(sb->vt);
    *sb = (struct grok_svd_basis){0};
}

int grok_svd_basis_init(struct grok_svd_basis *sb, const struct grok_model *m, char *const *globs,
                        int nglobs, int k, struct grok_err *err)
{
    char *dflt[1] = {(char *)GROK_SVD_BASIS_GLOB};
    int rc = GROK_OK;
    *sb = (struct grok_svd_basis){.model = m, .k = k};
    if (nglobs == 0) {
        globs = dflt;
        nglobs = 1;
    }
    if (k < 1)
        return grok_err_set(err, GROK_EINVAL, "%d singular directions per matrix: at least 1", k);
    if (!(sb->mats = calloc(m->n_tensors ? (size_t)m->n_tensors : 1, sizeof *sb->mats))) {
        rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
        goto out;
    }
    size_t big = 1, big_u = 1, big_s = 1, big_vt = 1;
    for (int t = 0; t < m->n_tensors; t++) {
        const struct grok_param *p = &m->tensors[t];
        if (!grok_globs_match(globs, nglobs, p->name))
            continue;
        size_t rows, cols;
        grok_svd_joined_shape(p, &rows, &cols);
        if (rows == 0) {
            rc = grok_err_set(err, GROK_EINVAL, "%s is not a matrix (rank %d)", p->name, p->rank);
            goto out;
        }
        size_t mn = rows < cols ? rows : cols;
        if ((size_t)k > mn) {
            rc = grok_err_set(err, GROK_EINVAL, "%s (%zu x %zu with its heads joined) has %zu "
                              "singular directions, not %d", p->name, rows, cols, mn, k);
            goto out;
        }
        sb->mats[sb->nmat++] = (struct grok_svd_matrix){.tensor = t, .rows = rows, .cols = cols};
        big = rows * cols > big ? rows * cols : big;
        big_u = rows * mn > big_u ? rows * mn : big_u;
        big_vt = mn * cols > big_vt ? mn * cols : big_vt;
        big_s = mn > big_s ? mn : big_s;
    }
    if (sb->nmat == 0) {
        char text[512];
        grok_globs_join(text, sizeof text, globs, nglobs);
        rc = globs == dflt
                 ? grok_err_set(err, GROK_ENOTFOUND, "the model has no attention matrix (no "
                                "parameter matches " GROK_SVD_BASIS_GLOB ")")
                 : grok_err_set(err, GROK_ENOTFOUND, "no parameter matches %s", text);
        goto out;
    }
    sb->max_cols = (size_t)k * (size_t)sb->nmat;
    sb->a = malloc(big * sizeof *sb->a);
    sb->u = malloc(big_u * sizeof *sb->u);
    sb->vt = malloc(big_vt * sizeof *sb->vt);
    sb->s = malloc(big_s * sizeof *sb->s);
    if (!sb->a || !sb->u || !sb->vt || !sb->s)
        rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
out:
    if (rc != GROK_OK)
        grok_svd_basis_free(sb);
    return rc;
}

int grok_svd_basis_compute(struct grok_svd_basis *sb, const double *theta, double *B, size_t *C,
                           double *sigma, struct grok_err *err)
{
    const struct grok_model *m = sb->model;
    size_t n = m->n_params, W = sb->max_cols, col = 0;
    *C = 0;
    memset(B, 0, n * W * sizeof *B);
    for (int q = 0; q < sb->nmat; q++) {
        const struct grok_svd_matrix *mt = &sb->mats[q];
        const struct grok_param *p = &m->tensors[mt->tensor];
        size_t rows = mt->rows, cols = mt->cols, mn = rows < cols ? rows : cols;
        for (size_t r = 0; r < rows; r++)
            for (size_t c = 0; c < cols; c++) {
                double v = theta[grok_svd_joined_index(p, r, c)];
                if (!isfinite(v))
                    return grok_err_set(err, GROK_EFORMAT, "%s holds a value that is not finite", p->name);
                sb->a[r * cols + c] = v;
            }
        /* a (rows × cols) = u (rows × mn) diag(s) vt (mn × cols) */
        lapack_int info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'S', (lapack_int)rows, (lapack_int)cols,
                                         sb->a, (lapack_int)cols, sb->s, sb->u, (lapack_int)mn,
                                         sb->vt, (lapack_int)cols);
        if (info < 0)
            return grok_err_set(err, GROK_ENOMEM, "out of memory for the SVD of %s", p->name);
        if (info > 0)
            return grok_err_set(err, GROK_EFORMAT, "the SVD of %s did not converge", p->name);
        for (int i = 0; i < sb->k; i++) {
            if (sigma)
                sigma[(size_t)q * (size_t)sb->k + (size_t)i] = sb->s[i];
            if (!(sb->s[i] > 0)) /* P1 keeps σ_i u_i v_iᵀ / ‖·‖ only where that norm is not 0 */
                continue;
            for (size_t r = 0; r < rows; r++)
                for (size_t c = 0; c < cols; c++)
                    B[grok_svd_joined_index(p, r, c) * W + col] =
                        sb->u[r * mn + (size_t)i] * sb->vt[(size_t)i * cols + c];
            col++;
        }
    }
    /* the kept columns, packed to a row stride of col (in place: each row moves left) */
    for (size_t r = 1; col < W && r < n; r++)
        memmove(B + r * col, B + r * W, col * sizeof *B);
    *C = col;
    return grok_orthonormalise(B, n, col, err);
}
