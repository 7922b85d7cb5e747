/* grok_pca: trajectories of known rank, the Gram path against the direct SVD, windows, the
 * random-walk null, QR, the run reader (chunked reading equals whole reading), and /pca as a run
 * keeps it: the basis written and read back, the PC1 shares grok-fit reads. */
#include "grok/pca.h"
#include "grok/pca_basis.h"
#include "grok/pca_run.h"
#include "grok/snapshots.h"
#include "grok/traj.h"

#include "tap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

/* An in-memory trajectory read in blocks of `width` columns. */
struct mem {
    const double *X;
    size_t T, n, width;
};

static int mem_read(void *ctx, size_t b, double *out, size_t *col0, size_t *ncols,
                    struct grok_err *err)
{
    (void)err;
    const struct mem *m = ctx;
    *col0 = b * m->width;
    *ncols = m->n - *col0 < m->width ? m->n - *col0 : m->width;
    for (size_t t = 0; t < m->T; t++)
        for (size_t j = 0; j < *ncols; j++)
            out[t * *ncols + j] = m->X[t * m->n + *col0 + j];
    return GROK_OK;
}

static struct grok_pca_input mem_input(struct mem *m)
{
    return (struct grok_pca_input){.T = m->T, .n = m->n, .nblocks = (m->n + m->width - 1) / m->width,
                                   .max_cols = m->width, .read = mem_read, .ctx = m};
}

static double max_abs_diff(const double *a, const double *b, size_t n)
{
    double d = 0;
    for (size_t i = 0; i < n; i++)
        d = fmax(d, fabs(a[i] - b[i]));
    return d;
}

/* Orthonormal directions E (n × r, columns) from a random matrix. */
static void random_orthonormal(double *E, size_t n, size_t r, gsl_rng *rng)
{
    for (size_t i = 0; i < n * r; i++)
        E[i] = gsl_ran_gaussian(rng, 1.0);
    grok_orthonormalise(E, n, r, NULL);
}

static void test_line(gsl_rng *rng)
{
    size_t T = 12, n = 40;
    double *X = malloc(T * n * sizeof *X), v[40], a[40];
    for (size_t j = 0; j < n; j++) {
        v[j] = gsl_ran_gaussian(rng, 1.0);
        a[j] = 5 + gsl_ran_gaussian(rng, 1.0);
    }
    for (size_t t = 0; t < T; t++)
        for (size_t j = 0; j < n; j++)
            X[t * n + j] = a[j] + (double)t * (double)t * v[j]; /* a straight line, unevenly walked */
    for (int method = GROK_PCA_GRAM; method <= GROK_PCA_SVD; method++) {
        struct mem m = {X, T, n, 7};
        struct grok_pca_input in = mem_input(&m);
        struct grok_pca p;
        struct grok_err err;
        int rc = grok_pca_compute(&p, &in, 3, method, &err);
        is_int(rc, GROK_OK, "%s: a straight line computes", method == GROK_PCA_GRAM ? "gram" : "svd");
        is_near(p.share[0], 1.0, 1e-12, "a straight line has PC1 share 1");
        is_near(p.share[1], 0.0, 1e-12, "and PC2 share 0");
        double norm = 0, dot = 0;
        for (size_t j = 0; j < n; j++) {
            norm += v[j] * v[j];
            dot += v[j] * p.components[j];
        }
        is_near(fabs(dot) / sqrt(norm), 1.0, 1e-12, "PC1 is the line's direction");
        grok_pca_free(&p);
    }
    free(X);
}

/* x_t = offset + Σ_c amp_c cos(2π c t / T) e_c: centred, mutually orthogonal time courses on
 * orthonormal directions, so the shares are amp_c² / Σ amp². */
static void test_rank3(gsl_rng *rng)
{
    size_t T = 24, n = 60;
    double amp[3] = {3, 2, 1}, E[60 * 3], *X = malloc(T * n * sizeof *X);
    random_orthonormal(E, n, 3, rng);
    for (size_t t = 0; t < T; t++)
        for (size_t j = 0; j < n; j++) {
            double x = 0.5 * (double)j;
            for (int c = 0; c < 3; c++)
                x += amp[c] * cos(2 * 3.14159265358979323846 * (c + 1) * (double)t / (double)T) * E[j * 3 + (size_t)c];
            X[t * n + j] = x;
        }
    struct mem m = {X, T, n, 9};
    struct grok_pca_input in = mem_input(&m);
    struct grok_pca p;
    is_int(grok_pca_compute(&p, &in, 5, GROK_PCA_AUTO, NULL), GROK_OK, "rank-3 walk computes");
    is_int(p.method, GROK_PCA_GRAM, "T < n takes the Gram path");
    is_near(p.share[0], 9.0 / 14, 1e-12, "rank 3: PC1 share 9/14");
    is_near(p.share[1], 4.0 / 14, 1e-12, "rank 3: PC2 share 4/14");
    is_near(p.share[2], 1.0 / 14, 1e-12, "rank 3: PC3 share 1/14");
    is_near(p.share[3], 0.0, 1e-12, "rank 3: PC4 share 0");
    double dmean = 0;
    for (size_t j = 0; j < n; j++)
        dmean = fmax(dmean, fabs(p.mean[j] - 0.5 * (double)j));
    is_near(dmean, 0, 1e-12, "the mean is the offset");
    double win[2];
    is_int(grok_pca_window(p.gram, T, T, 2, win, NULL), GROK_OK, "a window over all snapshots");
    is_near(win[0], p.share[0], 1e-12, "the full window is the whole PCA");
    grok_pca_free(&p);
    free(X);
}

/* Both paths on the same random data (T < n and T > n), to 1e-8; blocks of any width agree. */
static void test_gram_vs_svd(gsl_rng *rng, size_t T, size_t n)
{
    double *X = malloc(T * n * sizeof *X);
    for (size_t i = 0; i < T * n; i++)
        X[i] = 1.0 + gsl_ran_gaussian(rng, 1.0) * (1.0 + (double)(i % n) / (double)n);
    struct mem mg = {X, T, n, 5}, ms = {X, T, n, n};
    struct grok_pca_input ig = mem_input(&mg), is = mem_input(&ms);
    struct grok_pca g, s;
    int k = 4;
    is_int(grok_pca_compute(&g, &ig, k, GROK_PCA_GRAM, NULL), GROK_OK, "T=%zu n=%zu: gram", T, n);
    is_int(grok_pca_compute(&s, &is, k, GROK_PCA_SVD, NULL), GROK_OK, "T=%zu n=%zu: svd", T, n);
    ok(max_abs_diff(g.share, s.share, (size_t)k) < 1e-8, "shares agree to 1e-8");
    ok(max_abs_diff(g.proj, s.proj, T * (size_t)k) < 1e-8 * fabs(s.proj[0] + 1),
       "projections agree to 1e-8 (relative)");
    ok(max_abs_diff(g.components, s.components, (size_t)k * n) < 1e-8, "components agree to 1e-8");
    ok(max_abs_diff(g.mean, s.mean, n) < 1e-12, "means agree");
    ok(max_abs_diff(g.gram, s.gram, T * T) < 1e-9 * s.gram[0], "Gram matrices agree");
    /* The components are orthonormal and proj = X_c V. */
    double worst = 0;
    for (int a = 0; a < k; a++)
        for (int b = 0; b < k; b++) {
            double d = 0;
            for (size_t j = 0; j < n; j++)
                d += g.components[(size_t)a * n + j] * g.components[(size_t)b * n + j];
            worst = fmax(worst, fabs(d - (a == b)));
        }
    ok(worst < 1e-10, "components are orthonormal (%.2g)", worst);
    worst = 0;
    for (size_t t = 0; t < T; t++)
        for (int c = 0; c < k; c++) {
            double d = 0;
            for (size_t j = 0; j < n; j++)
                d += (X[t * n + j] - g.mean[j]) * g.components[(size_t)c * n + j];
            worst = fmax(worst, fabs(d - g.proj[t * (size_t)k + (size_t)c]));
        }
    ok(worst < 1e-9, "projections are the centred snapshots on the components (%.2g)", worst);
    grok_pca_free(&g);
    grok_pca_free(&s);
    free(X);
}

/* A window of t snapshots equals the PCA of the first t rows alone. */
static void test_window(gsl_rng *rng)
{
    size_t T = 15, n = 30, t = 9;
    double *X = malloc(T * n * sizeof *X), acc = 0;
    for (size_t i = 0; i < T * n; i++) {
        acc += gsl_ran_gaussian(rng, 1.0);
        X[i] = acc * 1e-2 + 3.0;
    }
    struct mem all = {X, T, n, n}, first = {X, t, n, n};
    struct grok_pca_input ia = mem_input(&all), i1 = mem_input(&first);
    struct grok_pca pa, p1;
    grok_pca_compute(&pa, &ia, 2, GROK_PCA_AUTO, NULL);
    grok_pca_compute(&p1, &i1, 2, GROK_PCA_AUTO, NULL);
    double w[2];
    is_int(grok_pca_window(pa.gram, T, t, 2, w, NULL), GROK_OK, "window of %zu", t);
    ok(max_abs_diff(w, p1.share, 2) < 1e-12, "the window's shares are the first rows' own PCA");
    struct grok_err err;
    is_int(grok_pca_window(pa.gram, T, 1, 1, w, &err), GROK_EINVAL, "a window of 1 is refused");
    double norms[14];
    grok_pca_step_norms(pa.gram, T, norms);
    double worst = 0;
    for (size_t s = 0; s + 1 < T; s++) {
        double d = 0;
        for (size_t j = 0; j < n; j++)
            d += (X[(s + 1) * n + j] - X[s * n + j]) * (X[(s + 1) * n + j] - X[s * n + j]);
        worst = fmax(worst, fabs(sqrt(d) - norms[s]) / sqrt(d));
    }
    ok(worst < 1e-8, "step norms from the Gram matrix (%.2g)", worst);
    grok_pca_free(&pa);
    grok_pca_free(&p1);
    free(X);
}

static double mean_of(const double *x, size_t n, size_t stride)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i * stride];
    return s / (double)n;
}

/* The null's Wishart shortcut against walks simulated explicitly in n dimensions. */
static void test_null(void)
{
    size_t T = 30, n = 200;
    int R = 300;
    double norms[29];
    for (size_t s = 0; s + 1 < T; s++)
        norms[s] = 1.0 + 0.5 * sin((double)s);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    double *shares = malloc((size_t)R * 2 * sizeof *shares), *win = malloc((size_t)R * sizeof *win),
           *direct = malloc((size_t)R * sizeof *direct), *X = malloc(T * n * sizeof *X);
    size_t wt[1] = {T};
    is_int(grok_pca_null_walks(norms, T, n, R, 2, wt, 1, rng, shares, win, NULL), GROK_OK,
           "null walks computed");
    ok(max_abs_diff(shares, win, 1) < 1e-12 && fabs(shares[2] - win[1]) < 1e-12,
       "a null window over every position is the walk's PC1 share");
    for (int r = 0; r < R; r++) {
        for (size_t j = 0; j < n; j++)
            X[j] = 0;
        for (size_t s = 1; s < T; s++) {
            double u[200], nu = 0;
            for (size_t j = 0; j < n; j++) {
                u[j] = gsl_ran_gaussian(rng, 1.0);
                nu += u[j] * u[j];
            }
            for (size_t j = 0; j < n; j++)
                X[s * n + j] = X[(s - 1) * n + j] + norms[s - 1] * u[j] / sqrt(nu);
        }
        struct mem m = {X, T, n, n};
        struct grok_pca_input in = mem_input(&m);
        struct grok_pca p;
        grok_pca_compute(&p, &in, 1, GROK_PCA_AUTO, NULL);
        direct[r] = p.share[0];
        grok_pca_free(&p);
    }
    double a = mean_of(shares, (size_t)R, 2), b = mean_of(direct, (size_t)R, 1), va = 0, vb = 0;
    for (int r = 0; r < R; r++) {
        va += (shares[2 * r] - a) * (shares[2 * r] - a);
        vb += (direct[r] - b) * (direct[r] - b);
    }
    double se = sqrt(va / (R - 1) / R + vb / (R - 1) / R);
    ok(fabs(a - b) < 4 * se, "null PC1 %.4f vs explicit walks %.4f (se %.4f)", a, b, se);
    ok(a > 0.45 && a < 0.8, "a random walk's PC1 share is near 6/pi^2 (%.3f)", a);
    /* Same seed, same walks. */
    double *again = malloc((size_t)R * 2 * sizeof *again);
    gsl_rng_set(rng, 7);
    grok_pca_null_walks(norms, T, n, R, 2, wt, 1, rng, again, win, NULL);
    ok(max_abs_diff(shares, again, (size_t)R * 2) == 0, "the null is a function of the seed");
    /* Fewer dimensions than steps draws directions explicitly. */
    is_int(grok_pca_null_walks(norms, T, 5, 3, 2, wt, 1, rng, again, win, NULL), GROK_OK,
           "a null in 5 dimensions");
    ok(again[0] > 0 && again[0] <= 1 && again[0] >= again[1], "its shares are ordered");
    free(again);
    free(shares);
    free(win);
    free(direct);
    free(X);
    gsl_rng_free(rng);
}

static void test_orthonormalise(gsl_rng *rng)
{
    size_t n = 20, r = 4;
    double A[80], Q[80];
    for (size_t i = 0; i < n * r; i++)
        A[i] = gsl_ran_gaussian(rng, 1.0);
    memcpy(Q, A, sizeof A);
    is_int(grok_orthonormalise(Q, n, r, NULL), GROK_OK, "QR of a random matrix");
    double worst = 0;
    for (size_t a = 0; a < r; a++)
        for (size_t b = 0; b < r; b++) {
            double d = 0;
            for (size_t i = 0; i < n; i++)
                d += Q[i * r + a] * Q[i * r + b];
            worst = fmax(worst, fabs(d - (a == b)));
        }
    ok(worst < 1e-13, "QᵀQ = I");
    /* Qᵀ A is upper triangular with a positive diagonal: the same span, in order. */
    int triangular = 1;
    for (size_t a = 0; a < r; a++)
        for (size_t b = 0; b <= a; b++) {
            double d = 0;
            for (size_t i = 0; i < n; i++)
                d += Q[i * r + a] * A[i * r + b];
            if ((b < a && fabs(d) > 1e-12) || (b == a && d <= 0))
                triangular = 0;
        }
    ok(triangular, "A = QR with R upper triangular, positive diagonal");
    double again[80];
    memcpy(again, Q, sizeof Q);
    grok_orthonormalise(again, n, r, NULL);
    ok(max_abs_diff(again, Q, n * r) < 1e-14, "orthonormal columns come back unchanged");
    for (size_t i = 0; i < n; i++)
        A[i * r + 3] = A[i * r + 0] + A[i * r + 1];
    struct grok_err err;
    is_int(grok_orthonormalise(A, n, r, &err), GROK_EINVAL, "dependent columns are refused");
    is_str(err.msg, "column 3 depends on the ones before it: no orthonormal basis", "with a message");
}

/* A trajectory written as snapshots reads back through grok_traj: tiny blocks, whole blocks and
 * a subset of rows all give the in-memory answer. */
static void test_traj(gsl_rng *rng)
{
    char path[] = "/tmp/grok-t-pca-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    size_t T = 10, shapes[2][3] = {{3, 4, 5}, {6, 0, 0}};
    float w[66];
    double X[10 * 66];
    struct grok_err err;
    struct grok_run *run = grok_run_create(path, &err);
    struct grok_tensor ts[2] = {{"a.W", 3, {3, 4, 5}, w}, {"a.b", 1, {6}, w + 60}};
    (void)shapes;
    for (size_t t = 0; t < T; t++) {
        for (size_t j = 0; j < 66; j++) {
            w[j] = (float)(gsl_ran_gaussian(rng, 1.0) + (double)t * 0.1 * (double)j);
            X[t * 66 + j] = w[j];
        }
        grok_run_snapshot_append(run, (long long)t * 100, ts, 2, &err);
    }
    ok(grok_run_commit(run, &err) == GROK_OK, "a trajectory written");
    grok_run_close(run);
    run = grok_run_open(path, &err);
    char *names[2] = {"a.W", "a.b"};
    size_t rows[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    struct mem m = {X, T, 66, 66};
    struct grok_pca_input im = mem_input(&m);
    struct grok_pca ref, p;
    grok_pca_compute(&ref, &im, 3, GROK_PCA_GRAM, NULL);
    size_t budgets[3] = {1, 2 * 10 * 8 * 5, 1 << 20};
    for (int b = 0; b < 3; b++) {
        struct grok_traj tr;
        is_int(grok_traj_open(&tr, run, names, 2, rows, T, budgets[b], &err), GROK_OK,
               "traj open, %zu-byte blocks", budgets[b]);
        struct grok_pca_input in = grok_traj_input(&tr);
        ok(in.n == 66 && tr.nblocks == (b == 0 ? 9u : b == 1 ? 4u : 2u), "%zu columns in %zu blocks",
           in.n, tr.nblocks);
        is_int(grok_pca_compute(&p, &in, 3, GROK_PCA_GRAM, &err), GROK_OK, "pca from the run");
        ok(max_abs_diff(p.share, ref.share, 3) < 1e-12 &&
           max_abs_diff(p.components, ref.components, 3 * 66) < 1e-10 &&
           max_abs_diff(p.mean, ref.mean, 66) < 1e-12,
           "chunked reading equals whole reading");
        grok_pca_free(&p);
        grok_traj_free(&tr);
    }
    /* Every other snapshot. */
    size_t odd[5] = {1, 3, 5, 7, 9};
    double Xo[5 * 66];
    for (size_t t = 0; t < 5; t++)
        memcpy(Xo + t * 66, X + odd[t] * 66, sizeof(double) * 66);
    struct mem mo = {Xo, 5, 66, 66};
    struct grok_pca_input io = mem_input(&mo);
    struct grok_traj tr;
    grok_traj_open(&tr, run, names, 2, odd, 5, 64, &err);
    struct grok_pca_input in = grok_traj_input(&tr);
    grok_pca_free(&ref);
    grok_pca_compute(&ref, &io, 2, GROK_PCA_AUTO, NULL);
    grok_pca_compute(&p, &in, 2, GROK_PCA_AUTO, NULL);
    ok(max_abs_diff(p.share, ref.share, 2) < 1e-12 && max_abs_diff(p.proj, ref.proj, 10) < 1e-9,
       "a subset of the snapshots reads the right rows");
    grok_pca_free(&p);
    grok_pca_free(&ref);
    grok_traj_free(&tr);
    char *missing[1] = {"nope"};
    is_int(grok_traj_open(&tr, run, missing, 1, rows, T, 64, &err), GROK_ENOTFOUND,
           "a missing parameter is refused");
    grok_run_close(run);
    unlink(path);
}

/* A share is a fraction: for a trajectory along one line PC1's eigenvalue can come out an ulp
 * above the trace it is divided by, and 1.0000000000000002 must not reach a table. */
static void test_shares_bounded(gsl_rng *rng)
{
    int bad = 0, cases = 0;
    for (int trial = 0; trial < 100; trial++) {
        size_t T = 3 + (size_t)trial % 10, n = 5 + (size_t)trial % 13;
        double *X = malloc(T * n * sizeof *X), v[20];
        for (size_t j = 0; j < n; j++)
            v[j] = gsl_ran_gaussian(rng, 1.0);
        for (size_t t = 0; t < T; t++)
            for (size_t j = 0; j < n; j++)
                X[t * n + j] = (double)(t * t + 1) * 0.37 * v[j];
        struct mem m = {X, T, n, 4};
        for (int method = GROK_PCA_GRAM; method <= GROK_PCA_SVD; method++) {
            struct grok_pca_input in = mem_input(&m);
            struct grok_pca p;
            double w;
            grok_pca_compute(&p, &in, 2, (enum grok_pca_method)method, NULL);
            grok_pca_window(p.gram, T, T, 1, &w, NULL);
            for (int c = 0; c < p.k; c++)
                bad += !(p.share[c] >= 0 && p.share[c] <= 1);
            bad += !(w >= 0 && w <= 1);
            cases++;
            grok_pca_free(&p);
        }
        free(X);
    }
    is_int(bad, 0, "the shares and windows of %d rank-1 trajectories are within [0, 1]", cases);
}

/* A non-finite snapshot is an error, not a NaN share. */
static void test_nonfinite(void)
{
    double X[6] = {1, 2, 3, NAN, 5, 6};
    struct mem m = {X, 3, 2, 2};
    struct grok_pca_input in = mem_input(&m);
    struct grok_pca p;
    struct grok_err err;
    is_int(grok_pca_compute(&p, &in, 2, GROK_PCA_AUTO, &err), GROK_EFORMAT, "NaN refused");
    is_str(err.msg, "the snapshot in row 1 holds a value that is not finite", "named by row");
    /* With the rows' steps, the step names it: a row counts within a selection, which the user
     * does not see. */
    long long steps[3] = {100, 300, 700};
    in.steps = steps;
    is_int(grok_pca_compute(&p, &in, 2, GROK_PCA_GRAM, &err), GROK_EFORMAT, "NaN refused (gram)");
    is_str(err.msg, "the snapshot at step 300 holds a value that is not finite", "named by step");
}

/* A committed run at path holding only /pca/pc1 (n values; none when n is 0 and !with_pc1) and,
 * unless NULL, /pca@matrices. */
static struct grok_run *pca_run_with(char *path, int with_pc1, const double *pc1, size_t n,
                                     const char *matrices)
{
    int fd = mkstemp(path);
    close(fd);
    struct grok_err err;
    struct grok_run *run = grok_run_create(path, &err);
    double zero = 0;
    if (!with_pc1)
        grok_run_write_f64(run, "/pca", "pc2", &zero, 1, (size_t[1]){1}, &err);
    else
        grok_run_write_f64(run, "/pca", "pc1", pc1, 1, &n, &err);
    if (matrices)
        grok_run_attr_set_str(run, "/pca", "matrices", matrices, &err);
    grok_run_commit(run, &err);
    grok_run_close(run);
    return grok_run_open(path, &err);
}

static void test_pc1_read(void)
{
    const double v[3] = {0.5, 0.25, 0.125};
    static const struct {
        int with_pc1;
        size_t n;
        const char *matrices, *msg;
    } cases[] = {
        {0, 0, "a", NULL},
        {1, 3, NULL, NULL},
        {1, 3, "W_Q,W_K,W_V", NULL},
        {1, 2, "W_Q,W_K,W_V", "/pca@matrices names 3 matrices, /pca/pc1 holds 2 values"},
        {1, 1, "", "/pca@matrices names 0 matrices, /pca/pc1 holds 1 value"},
        {1, 2, "W_Q,", "/pca@matrices names an empty matrix"},
        {1, 3, "W_Q,W_K,W_Q", "/pca@matrices names a repeated matrix"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[] = "/tmp/grok-t-pca-XXXXXX";
        struct grok_run *run = pca_run_with(path, cases[i].with_pc1, v, cases[i].n, cases[i].matrices);
        struct grok_pca_pc1 p;
        struct grok_err err = {0};
        int rc = grok_pca_pc1_read(run, &p, &err);
        if (cases[i].msg) {
            char want[256];
            snprintf(want, sizeof want, "%s: %s", path, cases[i].msg);
            is_int(rc, GROK_EFORMAT, "pc1 case %zu refused", i);
            is_str(err.msg, want, "with its message");
            ok(p.n == 0 && !p.pc1 && !p.names, "and p empty");
        } else if (!cases[i].with_pc1) {
            ok(rc == GROK_OK && p.n == 0 && !p.pc1 && !p.names, "no /pca/pc1: nothing, no error");
        } else {
            ok(rc == GROK_OK && p.n == 3 && p.pc1[0] == 0.5 && p.pc1[2] == 0.125, "the %zu shares", p.n);
            if (cases[i].matrices)
                ok(p.names && strcmp(p.names[0], "W_Q") == 0 && strcmp(p.names[2], "W_V") == 0,
                   "named by /pca@matrices");
            else
                ok(!p.names, "without /pca@matrices: no names");
        }
        grok_pca_pc1_free(&p);
        grok_pca_pc1_free(&p); /* emptied: freeing again is harmless */
        grok_run_close(run);
        unlink(path);
    }
}

/* grok_pca_basis_write's basis reads back with grok_pca_basis_read, attributes and all. */
static void test_basis_roundtrip(gsl_rng *rng)
{
    struct grok_model_config c = {.arch = GROK_MLP, .n_ctx = 2, .d_vocab = 8, .d_vocab_out = 7,
                                  .act = GROK_ACT_RELU, .loss = GROK_LOSS_CE, .d_embed = 3,
                                  .n_hidden = 1, .hidden = {4}};
    struct grok_model m;
    struct grok_err err;
    is_int(grok_model_build(&m, &c, &err), GROK_OK, "a small MLP");
    size_t n = m.n_params, K = 2;
    double *B = malloc(n * K * sizeof *B);
    for (size_t i = 0; i < n * K; i++)
        B[i] = gsl_ran_gaussian(rng, 1.0);
    grok_orthonormalise(B, n, K, &err);
    char path[] = "/tmp/grok-t-pca-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    struct grok_run *run = grok_run_create(path, &err);
    is_int(grok_pca_basis_write(run, &m, B, K, "a,b", &err), GROK_OK, "basis written");
    grok_run_commit(run, &err);
    grok_run_close(run);
    run = grok_run_open(path, &err);
    struct grok_array R = {0};
    is_int(grok_pca_basis_read(run, n, &R, &err), GROK_OK, "and read back");
    ok(R.n == n * K && max_abs_diff(R.data, B, n * K) == 0, "the same %zu x %zu values", n, K);
    char *params = NULL, *offsets = NULL, *columns = NULL;
    long long np = 0;
    grok_run_attr_get_str(run, "/pca/basis", "params", &params, &err);
    grok_run_attr_get_str(run, "/pca/basis", "offsets", &offsets, &err);
    grok_run_attr_get_str(run, "/pca/basis", "columns", &columns, &err);
    grok_run_attr_get_int(run, "/pca/basis", "n_params", &np, &err);
    char want[32];
    snprintf(want, sizeof want, "%zu", m.tensors[1].offset);
    ok(params && strncmp(params, m.tensors[0].name, strlen(m.tensors[0].name)) == 0 &&
       offsets && strncmp(offsets, "0,", 2) == 0 && strstr(offsets, want),
       "params and offsets: %s / %s", params, offsets);
    is_str(columns, "a,b", "columns as given");
    ok(np == (long long)n, "n_params %lld", np);
    grok_array_free(&R);
    is_int(grok_pca_basis_read(run, n + 1, &R, &err), GROK_EFORMAT, "another model's size refused");
    free(params);
    free(offsets);
    free(columns);
    grok_array_free(&R);
    grok_run_close(run);
    unlink(path);
    free(B);
    grok_model_free(&m);
}

int main(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 1);
    test_line(rng);
    test_rank3(rng);
    test_gram_vs_svd(rng, 20, 50);
    test_gram_vs_svd(rng, 40, 12);
    test_window(rng);
    test_null();
    test_orthonormalise(rng);
    test_traj(rng);
    test_shares_bounded(rng);
    test_nonfinite();
    test_pc1_read();
    test_basis_roundtrip(rng);
    gsl_rng_free(rng);
    return done_testing();
}
