/* Principal components of a weight trajectory: the Gram path, the direct SVD, windows and the
 * random-walk null (include/grok/pca.h). Every decomposition is LAPACK's. */
#include "grok/pca.h"

#include <gsl/gsl_cblas.h> /* OpenBLAS provides its symbols; <cblas.h> would clash with it here */
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>

static int nomem(struct grok_err *err)
{
    return grok_err_set(err, GROK_ENOMEM, "out of memory");
}

void grok_pca_free(struct grok_pca *pca)
{
    if (!pca)
        return;
    free(pca->share);
    free(pca->proj);
    free(pca->components);
    free(pca->mean);
    free(pca->gram);
    memset(pca, 0, sizeof *pca);
}

/* A row's step is what the user knows a snapshot by; its row only counts within a selection. */
static int nonfinite(const struct grok_pca_input *in, size_t t, struct grok_err *err)
{
    if (in->steps)
        return grok_err_set(err, GROK_EFORMAT,
                            "the snapshot at step %lld holds a value that is not finite", in->steps[t]);
    return grok_err_set(err, GROK_EFORMAT, "the snapshot in row %zu holds a value that is not finite", t);
}

/* Reads block b and centres its columns on `mean` (computing it first when compute_mean). */
static int read_centred(const struct grok_pca_input *in, size_t b, double *buf, double *mean,
                        int compute_mean, size_t *col0, size_t *ncols, struct grok_err *err)
{
    int rc = in->read(in->ctx, b, buf, col0, ncols, err);
    if (rc != GROK_OK)
        return rc;
    size_t T = in->T, nc = *ncols;
    double *mu = mean + *col0;
    if (compute_mean) {
        for (size_t j = 0; j < nc; j++)
            mu[j] = 0;
        for (size_t t = 0; t < T; t++)
            for (size_t j = 0; j < nc; j++) {
                double v = buf[t * nc + j];
                if (!isfinite(v))
                    return nonfinite(in, t, err);
                mu[j] += v;
            }
        for (size_t j = 0; j < nc; j++)
            mu[j] /= (double)T;
    }
    for (size_t t = 0; t < T; t++)
        for (size_t j = 0; j < nc; j++)
            buf[t * nc + j] -= mu[j];
    return GROK_OK;
}

static void symmetrise_from_upper(double *G, size_t T)
{
    for (size_t i = 0; i < T; i++)
        for (size_t j = 0; j < i; j++)
            G[i * T + j] = G[j * T + i];
}

/* Flips column c of U (T × ldu) so that its entry of largest magnitude is positive; returns the
 * sign applied, so that the matching right singular vector can follow. */
static double fix_sign(double *U, size_t T, size_t ldu, size_t c)
{
    size_t arg = 0;
    for (size_t t = 1; t < T; t++)
        if (fabs(U[t * ldu + c]) > fabs(U[arg * ldu + c]))
            arg = t;
    if (U[arg * ldu + c] >= 0)
        return 1.0;
    for (size_t t = 0; t < T; t++)
        U[t * ldu + c] = -U[t * ldu + c];
    return -1.0;
}

/* Eigenvalues (descending) of the symmetric T × T matrix G, which is destroyed; with vectors,
 * G's columns hold the eigenvectors in the same descending order. */
static int eigen_desc(double *G, size_t T, double *lambda, int vectors, struct grok_err *err)
{
    if (LAPACKE_dsyevd(LAPACK_ROW_MAJOR, vectors ? 'V' : 'N', 'U', (lapack_int)T, G,
                       (lapack_int)T, lambda) != 0)
        return grok_err_set(err, GROK_EFORMAT, "the symmetric eigensolver did not converge");
    for (size_t i = 0; i < T / 2; i++) {
        size_t j = T - 1 - i;
        double l = lambda[i];
        lambda[i] = lambda[j];
        lambda[j] = l;
        if (vectors)
            for (size_t t = 0; t < T; t++) {
                double v = G[t * T + i];
                G[t * T + i] = G[t * T + j];
                G[t * T + j] = v;
            }
    }
    return GROK_OK;
}

/* An eigenvalue this small next to the largest is rounding, not a direction of the data. */
static int negligible(double lambda, double lambda_max, size_t T)
{
    return lambda <= lambda_max * (double)T * DBL_EPSILON || lambda <= 0;
}

/* lambda / total, a fraction: at most 1 in exact arithmetic, but an eigensolver's largest
 * eigenvalue can come out an ulp above the trace it is divided by (a trajectory along one line
 * shows it), and a share of 1.0000000000000002 is wrong on its face. */
static double share_of(double lambda, double total)
{
    double s = lambda / total;
    return s < 0 ? 0 : s > 1 ? 1 : s;
}

static int compute_gram(struct grok_pca *pca, const struct grok_pca_input *in, double *buf,
                        struct grok_err *err)
{
    size_t T = in->T, n = in->n, col0, nc;
    int k = pca->k, rc;
    double *W = malloc(T * T * sizeof *W), *lambda = malloc(T * sizeof *lambda),
           *U = malloc(T * (size_t)k * sizeof *U), *C = malloc((size_t)k * in->max_cols * sizeof *C),
           *inv_s = malloc((size_t)k * sizeof *inv_s);
    if (!W || !lambda || !U || !C || !inv_s) {
        rc = nomem(err);
        goto out;
    }
    for (size_t b = 0; b < in->nblocks; b++) {
        if ((rc = read_centred(in, b, buf, pca->mean, 1, &col0, &nc, err)) != GROK_OK)
            goto out;
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)T, (int)nc, 1.0, buf, (int)nc,
                    1.0, pca->gram, (int)T);
    }
    symmetrise_from_upper(pca->gram, T);
    memcpy(W, pca->gram, T * T * sizeof *W);
    if ((rc = eigen_desc(W, T, lambda, 1, err)) != GROK_OK)
        goto out;
    for (size_t t = 0; t < T; t++)
        pca->total += pca->gram[t * T + t];
    for (int c = 0; c < k; c++) {
        int zero = negligible(lambda[c], lambda[0], T);
        double s = zero ? 0 : sqrt(lambda[c]);
        fix_sign(W, T, T, (size_t)c);
        pca->share[c] = zero || pca->total <= 0 ? 0 : share_of(lambda[c], pca->total);
        inv_s[c] = zero ? 0 : 1 / s;
        for (size_t t = 0; t < T; t++) {
            U[t * (size_t)k + (size_t)c] = W[t * T + (size_t)c];
            pca->proj[t * (size_t)k + (size_t)c] = s * W[t * T + (size_t)c];
        }
    }
    /* v_c = X_cᵀ u_c / s_c, a second pass over the blocks. */
    for (size_t b = 0; b < in->nblocks; b++) {
        if ((rc = read_centred(in, b, buf, pca->mean, 0, &col0, &nc, err)) != GROK_OK)
            goto out;
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, (int)nc, (int)T, 1.0, U, k, buf,
                    (int)nc, 0.0, C, (int)nc);
        for (int c = 0; c < k; c++)
            for (size_t j = 0; j < nc; j++)
                pca->components[(size_t)c * n + col0 + j] = C[(size_t)c * nc + j] * inv_s[c];
    }
    rc = GROK_OK;
out:
    free(W);
    free(lambda);
    free(U);
    free(C);
    free(inv_s);
    return rc;
}

/* T ≥ n: the trajectory is no larger than its Gram matrix, so it is read whole and decomposed. */
static int compute_svd(struct grok_pca *pca, const struct grok_pca_input *in, double *X,
                       struct grok_err *err)
{
    size_t T = in->T, n = in->n, m = T < n ? T : n, col0, nc;
    int k = pca->k, rc;
    double *A = malloc(T * n * sizeof *A), *s = malloc(m * sizeof *s),
           *U = malloc(T * m * sizeof *U), *Vt = malloc(m * n * sizeof *Vt),
           *blk = malloc(T * in->max_cols * sizeof *blk);
    if (!A || !s || !U || !Vt || !blk) {
        rc = nomem(err);
        goto out;
    }
    for (size_t b = 0; b < in->nblocks; b++) {
        if ((rc = read_centred(in, b, blk, pca->mean, 1, &col0, &nc, err)) != GROK_OK)
            goto out;
        for (size_t t = 0; t < T; t++)
            memcpy(X + t * n + col0, blk + t * nc, nc * sizeof *X);
    }
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)T, (int)n, 1.0, X, (int)n, 0.0,
                pca->gram, (int)T);
    symmetrise_from_upper(pca->gram, T);
    memcpy(A, X, T * n * sizeof *A);
    if (LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'S', (lapack_int)T, (lapack_int)n, A, (lapack_int)n, s,
                       U, (lapack_int)m, Vt, (lapack_int)n) != 0) {
        rc = grok_err_set(err, GROK_EFORMAT, "the singular value decomposition did not converge");
        goto out;
    }
    for (size_t i = 0; i < m; i++)
        pca->total += s[i] * s[i];
    for (int c = 0; c < k; c++) {
        int zero = negligible(s[c] * s[c], s[0] * s[0], T);
        double sign = fix_sign(U, T, m, (size_t)c), sc = zero ? 0 : s[c];
        pca->share[c] = zero || pca->total <= 0 ? 0 : share_of(sc * sc, pca->total);
        for (size_t t = 0; t < T; t++)
            pca->proj[t * (size_t)k + (size_t)c] = sc * U[t * m + (size_t)c];
        for (size_t j = 0; j < n; j++)
            pca->components[(size_t)c * n + j] = zero ? 0 : sign * Vt[(size_t)c * n + j];
    }
    rc = GROK_OK;
out:
    free(A);
    free(s);
    free(U);
    free(Vt);
    free(blk);
    return rc;
}

int grok_pca_compute(struct grok_pca *pca, const struct grok_pca_input *in, int k,
                     enum grok_pca_method method, struct grok_err *err)
{
    memset(pca, 0, sizeof *pca);
    size_t T = in->T, n = in->n;
    if (T < 1 || n < 1 || k < 1)
        return grok_err_set(err, GROK_EINVAL, "a trajectory needs a snapshot, a column and k >= 1");
    if (method == GROK_PCA_AUTO)
        method = T < n ? GROK_PCA_GRAM : GROK_PCA_SVD;
    pca->T = T;
    pca->n = n;
    pca->method = method;
    pca->k = (size_t)k < T ? k : (int)T;
    pca->k = (size_t)pca->k < n ? pca->k : (int)n;
    size_t kk = (size_t)pca->k;
    pca->share = calloc(kk, sizeof *pca->share);
    pca->proj = calloc(T * kk, sizeof *pca->proj);
    pca->components = calloc(kk * n, sizeof *pca->components);
    pca->mean = calloc(n, sizeof *pca->mean);
    pca->gram = calloc(T * T, sizeof *pca->gram);
    double *buf = malloc((method == GROK_PCA_GRAM ? T * in->max_cols : T * n) * sizeof *buf);
    int rc;
    if (!pca->share || !pca->proj || !pca->components || !pca->mean || !pca->gram || !buf)
        rc = nomem(err);
    else if (method == GROK_PCA_GRAM)
        rc = compute_gram(pca, in, buf, err);
    else
        rc = compute_svd(pca, in, buf, err);
    free(buf);
    if (rc != GROK_OK)
        grok_pca_free(pca);
    return rc;
}

/* Centres rows and columns of the symmetric t × t matrix S in place (S ← H S H, H = I − 11ᵀ/t):
 * the Gram matrix of the same points centred on their own mean. r: scratch for t values. */
static void double_centre(double *S, size_t t, double *r)
{
    double grand = 0;
    for (size_t i = 0; i < t; i++) {
        r[i] = 0;
        for (size_t j = 0; j < t; j++)
            r[i] += S[i * t + j];
        r[i] /= (double)t;
        grand += r[i];
    }
    grand /= (double)t;
    for (size_t i = 0; i < t; i++)
        for (size_t j = 0; j < t; j++)
            S[i * t + j] += grand - r[i] - r[j];
}

/* The first k variance shares of the centred Gram matrix G (t × t, destroyed). */
static int shares_of_gram(double *G, size_t t, int k, double *share, double *lambda,
                          struct grok_err *err)
{
    double total = 0;
    for (size_t i = 0; i < t; i++)
        total += G[i * t + i];
    int rc = eigen_desc(G, t, lambda, 0, err);
    if (rc != GROK_OK)
        return rc;
    for (int c = 0; c < k; c++)
        share[c] = (size_t)c < t && total > 0 && !negligible(lambda[c], lambda[0], t)
                       ? share_of(lambda[c], total) : 0;
    return GROK_OK;
}

int grok_pca_window(const double *gram, size_t T, size_t t, int k, double *share,
                    struct grok_err *err)
{
    if (t < 2 || t > T)
        return grok_err_set(err, GROK_EINVAL, "a window of %zu snapshots out of %zu", t, T);
    double *S = malloc(t * t * sizeof *S), *lambda = malloc(t * sizeof *lambda);
    int rc;
    if (!S || !lambda) {
        rc = nomem(err);
    } else {
        for (size_t i = 0; i < t; i++)
            memcpy(S + i * t, gram + i * T, t * sizeof *S);
        double_centre(S, t, lambda);
        rc = shares_of_gram(S, t, k, share, lambda, err);
    }
    free(S);
    free(lambda);
    return rc;
}

void grok_pca_step_norms(const double *gram, size_t T, double *norms)
{
    for (size_t t = 0; t + 1 < T; t++) {
        double d2 = gram[(t + 1) * T + t + 1] + gram[t * T + t] - 2 * gram[t * T + t + 1];
        norms[t] = d2 > 0 ? sqrt(d2) : 0;
    }
}

/* M (m × m): the inner products of m independent uniformly random unit vectors in R^n. */
static int draw_directions(double *M, size_t m, size_t n, gsl_rng *rng, struct grok_err *err)
{
    int rc = GROK_OK;
    if (n >= m) {
        /* The Gram matrix of m standard normal vectors in R^n is Wishart(n, I_m): drawn in
         * O(m³) rather than O(m² n). */
        gsl_matrix *L = gsl_matrix_alloc(m, m), *A = gsl_matrix_alloc(m, m),
                   *work = gsl_matrix_alloc(m, m);
        if (!L || !A || !work) {
            rc = nomem(err);
        } else {
            gsl_matrix_set_identity(L);
            gsl_ran_wishart(rng, (double)n, L, A, work);
            for (size_t a = 0; a < m; a++)
                for (size_t b = 0; b < m; b++)
                    M[a * m + b] = gsl_matrix_get(A, a, b);
        }
        gsl_matrix_free(L);
        gsl_matrix_free(A);
        gsl_matrix_free(work);
    } else {
        double *Z = malloc(m * n * sizeof *Z);
        if (!Z)
            return nomem(err);
        for (size_t i = 0; i < m * n; i++)
            Z[i] = gsl_ran_gaussian(rng, 1.0);
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)m, (int)n, 1.0, Z, (int)n, 0.0,
                    M, (int)m);
        symmetrise_from_upper(M, m);
        free(Z);
    }
    if (rc != GROK_OK)
        return rc;
    for (size_t a = 0; a < m; a++)
        for (size_t b = 0; b < m; b++)
            if (a != b)
                M[a * m + b] /= sqrt(M[a * m + a] * M[b * m + b]);
    for (size_t a = 0; a < m; a++)
        M[a * m + a] = 1;
    return GROK_OK;
}

int grok_pca_null_walks(const double *norms, size_t T, size_t n, int R, int k,
                        const size_t *window_t, int nwin, gsl_rng *rng, double *shares,
                        double *win, struct grok_err *err)
{
    if (T < 2 || R < 1 || k < 1)
        return grok_err_set(err, GROK_EINVAL, "a null model needs 2 snapshots and a walk");
    size_t m = T - 1;
    double *M = malloc(m * m * sizeof *M), *P = malloc(T * T * sizeof *P),
           *G = malloc(T * T * sizeof *G), *lambda = malloc(T * sizeof *lambda);
    int rc = GROK_OK;
    if (!M || !P || !G || !lambda) {
        rc = nomem(err);
        goto out;
    }
    for (int r = 0; r < R; r++) {
        if ((rc = draw_directions(M, m, n, rng, err)) != GROK_OK)
            goto out;
        /* Position i is the sum of the first i steps, so its Gram matrix is the prefix sum in
         * both indices of the steps' inner products d_a d_b M_ab. */
        for (size_t i = 0; i < T; i++)
            for (size_t j = 0; j < T; j++)
                P[i * T + j] = i == 0 || j == 0 ? 0
                               : norms[i - 1] * norms[j - 1] * M[(i - 1) * m + j - 1] +
                                     P[(i - 1) * T + j] + P[i * T + j - 1] - P[(i - 1) * T + j - 1];
        double_centre(P, T, lambda);
        for (int w = 0; w < nwin; w++)
            if ((rc = grok_pca_window(P, T, window_t[w], 1, &win[(size_t)r * (size_t)nwin + (size_t)w],
                                      err)) != GROK_OK)
                goto out;
        memcpy(G, P, T * T * sizeof *G);
        if ((rc = shares_of_gram(G, T, k, shares + (size_t)r * (size_t)k, lambda, err)) != GROK_OK)
            goto out;
    }
out:
    free(M);
    free(P);
    free(G);
    free(lambda);
    return rc;
}

int grok_orthonormalise(double *A, size_t rows, size_t cols, struct grok_err *err)
{
    if (cols == 0)
        return GROK_OK;
    if (rows < cols)
        return grok_err_set(err, GROK_EINVAL, "%zu columns cannot be orthonormal in %zu dimensions",
                            cols, rows);
    double *tau = malloc(cols * sizeof *tau), *sign = malloc(cols * sizeof *sign);
    int rc = GROK_OK;
    if (!tau || !sign) {
        rc = nomem(err);
        goto out;
    }
    if (LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, (lapack_int)rows, (lapack_int)cols, A, (lapack_int)cols,
                       tau) != 0) {
        rc = grok_err_set(err, GROK_EFORMAT, "the QR factorisation failed");
        goto out;
    }
    double rmax = 0;
    for (size_t j = 0; j < cols; j++)
        rmax = fmax(rmax, fabs(A[j * cols + j]));
    for (size_t j = 0; j < cols; j++) {
        double r = A[j * cols + j];
        if (!(fabs(r) > rmax * 1e-10)) {
            rc = grok_err_set(err, GROK_EINVAL,
                              "column %zu depends on the ones before it: no orthonormal basis", j);
            goto out;
        }
        sign[j] = r < 0 ? -1 : 1;
    }
    if (LAPACKE_dorgqr(LAPACK_ROW_MAJOR, (lapack_int)rows, (lapack_int)cols, (lapack_int)cols, A,
                       (lapack_int)cols, tau) != 0) {
        rc = grok_err_set(err, GROK_EFORMAT, "the QR factorisation failed");
        goto out;
    }
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            A[i * cols + j] *= sign[j];
out:
    free(tau);
    free(sign);
    return rc;
}
