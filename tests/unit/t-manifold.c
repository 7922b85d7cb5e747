/* The null-space projection of grok-align --manifold (lib/manifold.c): known cases by hand (full
 * rank, a repeated row, a zero matrix, a singular value below the tolerance), and on random wide
 * matrices the two properties that define an orthogonal projection onto null(J): J·Pv = 0 and
 * Pv ⊥ (v − Pv). */
#include "tap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "grok/manifold.h"

static double max_abs(const double *a, const double *b, int n)
{
    double m = 0;
    for (int i = 0; i < n; i++)
        m = fmax(m, fabs(a[i] - b[i]));
    return m;
}

static void by_hand(void)
{
    struct grok_err err;
    int rank;
    double s1;
    double J1[6] = {1, 1, 0, 0, 0, 2}, v1[3] = {3, 1, 5}, p1[3], want1[3] = {1, -1, 0};
    int rc = grok_nullspace_project(J1, 2, 3, 0, v1, p1, 1, &rank, &s1, &err);
    ok(rc == GROK_OK && rank == 2 && max_abs(p1, want1, 3) < 1e-14 && fabs(s1 - 2) < 1e-14,
       "J = [1 1 0; 0 0 2]: rank 2, sigma_1 2, (3, 1, 5) projects to (1, -1, 0)");
    double J2[6] = {1, 2, 3, 2, 4, 6}, v2[3] = {1, 0, 0}, p2[3], want2[3];
    for (int i = 0; i < 3; i++)
        want2[i] = (i == 0) - (double)(i + 1) / 14;
    rc = grok_nullspace_project(J2, 2, 3, 0, v2, p2, 1, &rank, &s1, &err);
    ok(rc == GROK_OK && rank == 1 && max_abs(p2, want2, 3) < 1e-14,
       "a repeated row counts once: rank 1, e_1 loses its part along (1, 2, 3)");
    double J3[4] = {0, 0, 0, 0}, v3[2] = {0.5, -2}, p3[2];
    rc = grok_nullspace_project(J3, 2, 2, 0, v3, p3, 1, &rank, &s1, &err);
    ok(rc == GROK_OK && rank == 0 && max_abs(p3, v3, 2) == 0, "a zero J: rank 0, every vector is tangent");
    double J4[4] = {1, 0, 0, 1e-20}, v4[2] = {1, 1}, p4[2], want4[2] = {0, 1};
    rc = grok_nullspace_project(J4, 2, 2, 0, v4, p4, 1, &rank, &s1, &err);
    ok(rc == GROK_OK && rank == 1 && max_abs(p4, want4, 2) < 1e-14,
       "a singular value of 1e-20 sigma_1 is below the default tolerance: rank 1");
    double J5[4] = {1, 0, 0, 1e-3}, p5[2];
    rc = grok_nullspace_project(J5, 2, 2, 1e-2, v4, p5, 1, &rank, &s1, &err);
    ok(rc == GROK_OK && rank == 1 && max_abs(p5, want4, 2) < 1e-14, "rel_tol 1e-2 drops 1e-3 sigma_1 as well");
}

static void random_wide(gsl_rng *rng)
{
    enum { M = 7, N = 19, K = 3 };
    double J[M * N], Jc[M * N], V[K * N], PV[K * N];
    int rank, good = 1;
    double s1, worst = 0;
    struct grok_err err;
    for (int trial = 0; trial < 5; trial++) {
        for (int i = 0; i < M * N; i++)
            J[i] = gsl_ran_gaussian(rng, 1);
        if (trial == 4)   /* a rank-deficient one: the last row the sum of the first two */
            for (int j = 0; j < N; j++)
                J[6 * N + j] = J[j] + J[N + j];
        for (int i = 0; i < K * N; i++)
            V[i] = gsl_ran_gaussian(rng, 1);
        memcpy(Jc, J, sizeof J);
        if (grok_nullspace_project(Jc, M, N, 0, V, PV, K, &rank, &s1, &err) != GROK_OK)
            { printf("Bail out! %s\n", err.msg); exit(1); }
        good &= rank == (trial == 4 ? M - 1 : M);
        for (int k = 0; k < K; k++) {
            const double *v = V + k * N, *p = PV + k * N;
            for (int i = 0; i < M; i++) {
                double s = 0;
                for (int j = 0; j < N; j++)
                    s += J[i * N + j] * p[j];
                worst = fmax(worst, fabs(s));
            }
            double d = 0;
            for (int j = 0; j < N; j++)
                d += p[j] * (v[j] - p[j]);
            worst = fmax(worst, fabs(d));
        }
    }
    ok(good, "random 7 x 19 Jacobians have rank 7, one with a dependent row rank 6");
    ok(worst < 1e-12, "J Pv = 0 and Pv is orthogonal to v - Pv (largest residual %.2g)", worst);
}

int main(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 11);
    by_hand();
    random_wide(rng);
    gsl_rng_free(rng);
    return done_testing();
}
