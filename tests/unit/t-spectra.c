/* grok_spectra: the joining of heads against its index formula, singular values of matrices
 * built with known ones, commutators of commuting and non-commuting pairs against a hand
 * computation, and a layer's rows (whole matrices, each head's diagonal block) against them. */
#include "grok/spectra.h"

#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ‖ab − ba‖_F by the definition, three loops (n × n, leading dimension ld). */
static double naive_commutator(const double *a, const double *b, int n, int ld)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double c = 0;
            for (int l = 0; l < n; l++)
                c += a[i * ld + l] * b[l * ld + j] - b[i * ld + l] * a[l * ld + j];
            sum += c * c;
        }
    return sqrt(sum);
}

/* A deterministic pseudo-random value in [-1, 1). */
static double lcg(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return ((*s >> 8) & 0xFFFF) / 32768.0 - 1.0;
}

/* Left-multiplies the n × n matrix a by a rotation of rows r1, r2 by angle t. */
static void rotate_rows(double *a, int n, int r1, int r2, double t)
{
    for (int j = 0; j < n; j++) {
        double x = a[r1 * n + j], y = a[r2 * n + j];
        a[r1 * n + j] = cos(t) * x - sin(t) * y;
        a[r2 * n + j] = sin(t) * x + cos(t) * y;
    }
}

static void test_join(void)
{
    /* w[h][i][j] = 100h + 10i + j, 2 heads, d_model 4, d_head 2. */
    double w[2 * 4 * 2], out[4 * 4];
    for (int h = 0; h < 2; h++)
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 2; j++)
                w[(h * 4 + i) * 2 + j] = 100 * h + 10 * i + j;
    grok_heads_join(out, w, 2, 4, 2);
    int bad = 0;
    for (int h = 0; h < 2; h++)
        for (int j = 0; j < 2; j++)
            for (int i = 0; i < 4; i++)
                bad += out[(h * 2 + j) * 4 + i] != 100 * h + 10 * i + j;
    is_int(bad, 0, "join: out[h*d_head + j][i] = w[h][i][j] for every entry");
    is_near(out[1 * 4 + 3], 31, 0, "join: row 1 (head 0, output 1), column 3 is w[0][3][1]");
    is_near(out[2 * 4 + 0], 100, 0, "join: row 2 starts head 1");
}

static void test_singular_values(void)
{
    double work[64], s[8];
    struct grok_err err = {0};
    /* diag(3, -5, 1, 2): singular values 5, 3, 2, 1. */
    double d[16] = {3, 0, 0, 0, 0, -5, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2};
    int rc = grok_singular_values(d, 4, 4, 4, s, work, &err);
    is_int(rc, GROK_OK, "svd of a diagonal matrix");
    ok(s[0] == 5 && s[1] == 3 && s[2] == 2 && s[3] == 1, "diag(3, -5, 1, 2): 5, 3, 2, 1 (%g %g %g %g)",
       s[0], s[1], s[2], s[3]);
    ok(d[5] == -5 && d[15] == 2, "the matrix is left as it was");

    /* U diag(7, 4, 4, 0.5) Vᵀ with U, V products of rotations: the same values. */
    double a[16] = {7, 0, 0, 0, 0, 4, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0.5};
    rotate_rows(a, 4, 0, 2, 0.7);
    rotate_rows(a, 4, 1, 3, -1.1);
    rotate_rows(a, 4, 0, 1, 0.3);
    double at[16];  /* rotate the columns: rotate the transpose's rows */
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            at[j * 4 + i] = a[i * 4 + j];
    rotate_rows(at, 4, 2, 3, 0.9);
    rotate_rows(at, 4, 0, 3, 2.0);
    grok_singular_values(at, 4, 4, 4, s, work, &err);
    double want[4] = {7, 4, 4, 0.5}, dev = 0;
    for (int c = 0; c < 4; c++)
        dev = fmax(dev, fabs(s[c] - want[c]));
    ok(dev < 1e-13, "rotated diag(7, 4, 4, 0.5): the same values, largest first (off by %.1e)", dev);

    /* A 2 × 3 block of a matrix of leading dimension 5: [[0, 3, 0], [4, 0, 0]] → 4, 3. */
    double big[10] = {0, 3, 0, 9, 9, 4, 0, 0, 9, 9};
    grok_singular_values(big, 2, 3, 5, s, work, &err);
    ok(fabs(s[0] - 4) < 1e-15 && fabs(s[1] - 3) < 1e-15,
       "2 x 3 block, leading dimension 5: 4, 3; the columns outside it ignored (%g %g)", s[0], s[1]);
    double tall[6] = {0, 2, 0, 0, 6, 0};
    grok_singular_values(tall, 3, 2, 2, s, work, &err);
    ok(fabs(s[0] - 6) < 1e-15 && fabs(s[1] - 2) < 1e-15, "3 x 2: min(m, n) values, 6, 2");

    double nan_m[4] = {1, 0, 0, NAN};
    rc = grok_singular_values(nan_m, 2, 2, 2, s, work, &err);
    ok(rc != GROK_OK || isnan(s[0]) || isnan(s[1]),
       "a NaN does not pass as a number (failure or NaN out; the caller checks values first)");
}

static void test_commutator(void)
{
    double work[49];
    /* Diagonal matrices commute exactly. */
    double d1[9] = {1, 0, 0, 0, 2, 0, 0, 0, 3}, d2[9] = {4, 0, 0, 0, -1, 0, 0, 0, 7};
    is_near(grok_commutator_norm(d1, d2, 3, 3, work), 0, 0, "diagonal matrices: [A, B] = 0");
    /* A and A² + 2A commute (up to round-off). */
    unsigned seed = 1;
    double a[16], p[16];
    for (int i = 0; i < 16; i++)
        a[i] = lcg(&seed);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            double c = 0;
            for (int l = 0; l < 4; l++)
                c += a[i * 4 + l] * a[l * 4 + j];
            p[i * 4 + j] = c + 2 * a[i * 4 + j];
        }
    ok(grok_commutator_norm(a, p, 4, 4, work) < 1e-14, "A and A² + 2A commute");
    /* E12 and E21: [E12, E21] = E11 − E22, norm √2; scaled by 3 and 5: 15√2. */
    double e12[4] = {0, 3, 0, 0}, e21[4] = {0, 0, 5, 0};
    is_near(grok_commutator_norm(e12, e21, 2, 2, work), 15 * sqrt(2), 1e-14,
            "[3 E12, 5 E21] = 15 (E11 - E22): norm 15 sqrt 2");
    is_near(grok_commutator_norm(e21, e12, 2, 2, work), 15 * sqrt(2), 1e-14, "antisymmetric: same norm");
    /* Random 5 × 5 blocks of 7 × 7 matrices: the three-loop definition. */
    double b[49], c[49];
    for (int i = 0; i < 49; i++) {
        b[i] = lcg(&seed);
        c[i] = lcg(&seed);
    }
    double got = grok_commutator_norm(b + 8, c + 8, 5, 7, work), want = naive_commutator(b + 8, c + 8, 5, 7);
    ok(want > 0.1 && fabs(got - want) < 1e-13 * want,
       "5 x 5 blocks at (1, 1) of 7 x 7 matrices: the definition (%.17g vs %.17g)", got, want);
    /* Transposing both leaves the norm: [Aᵀ, Bᵀ] = −[A, B]ᵀ. */
    double bt[49], ct[49];
    for (int i = 0; i < 7; i++)
        for (int j = 0; j < 7; j++) {
            bt[j * 7 + i] = b[i * 7 + j];
            ct[j * 7 + i] = c[i * 7 + j];
        }
    double n1 = grok_commutator_norm(b, c, 7, 7, work), n2 = grok_commutator_norm(bt, ct, 7, 7, work);
    ok(fabs(n1 - n2) < 1e-13 * n1, "transposed pair: the same norm (%.17g vs %.17g)", n1, n2);
}

/* Two heads of d_head 3 (d = 6): head 0's blocks commute (diagonal), head 1's do not (3 E12 and
 * 5 E21); the entries off the diagonal blocks are noise that only the whole matrices see. */
static void test_layer(void)
{
    enum { H = 2, DH = 3, D = 6, K = 3, COLS = GROK_SPECTRA_COLS(K) };
    double q[D * D], k[D * D], out[(1 + H) * COLS], s[D];
    double *work = malloc(grok_spectra_work(D) * sizeof *work);
    unsigned seed = 7;
    struct grok_err err = {0};
    for (int i = 0; i < D * D; i++) {
        q[i] = lcg(&seed);
        k[i] = lcg(&seed);
    }
    for (int i = 0; i < DH; i++)
        for (int j = 0; j < DH; j++) {
            q[i * D + j] = i == j ? (double[]){3, 2, 1}[i] : 0;
            k[i * D + j] = i == j ? (double[]){1, 5, 2}[i] : 0;
            q[(DH + i) * D + DH + j] = i == 0 && j == 1 ? 3 : 0;
            k[(DH + i) * D + DH + j] = i == 1 && j == 0 ? 5 : 0;
        }
    int rc = grok_spectra_layer(q, k, H, DH, K, out, work, &err);
    is_int(rc, GROK_OK, "a layer of 2 heads of 3");
    const double *h0 = out + COLS, *h1 = out + 2 * COLS;
    ok(h0[0] == 3 && h0[1] == 2 && h0[2] == 1 && h0[3] == 5 && h0[4] == 2 && h0[5] == 1,
       "head 0: q 3, 2, 1 and k 5, 2, 1");
    ok(h0[6] == 1 && h0[7] == 1 && h0[8] == 3 && h0[9] == 1, "head 0: gaps 1, 1 (q) and 3, 1 (k)");
    is_near(h0[10], 0, 1e-15, "head 0: diagonal blocks commute");
    ok(h1[0] == 3 && h1[1] == 0 && h1[2] == 0 && h1[3] == 5 && h1[4] == 0 && h1[5] == 0,
       "head 1: q 3, 0, 0 and k 5, 0, 0");
    ok(h1[6] == 3 && h1[7] == 0 && h1[8] == 5 && h1[9] == 0, "head 1: gaps 3, 0 (q) and 5, 0 (k)");
    is_near(h1[10], 15 * sqrt(2), 1e-14, "head 1: [3 E12, 5 E21], 15 sqrt 2");
    double *tmp = malloc(D * D * sizeof *tmp);
    grok_singular_values(q, D, D, D, s, tmp, &err);
    ok(out[0] == s[0] && out[1] == s[1] && out[2] == s[2] && out[6] == s[0] - s[1] &&
       out[7] == s[1] - s[2], "whole: W_Q's three largest values and its gaps");
    grok_singular_values(k, D, D, D, s, tmp, &err);
    ok(out[3] == s[0] && out[4] == s[1] && out[5] == s[2] && out[8] == s[0] - s[1] &&
       out[9] == s[1] - s[2], "whole: W_K's three largest values and its gaps");
    double want = naive_commutator(q, k, D, D);
    ok(fabs(out[10] - want) < 1e-13 * want, "whole: the commutator of the 6 x 6 matrices (%g)", want);
    ok(fabs(out[10] - naive_commutator(q, k, DH, D)) > 0.1, "whole differs from head 0's block");

    rc = grok_spectra_layer(q, k, 3, 2, 2, out, work, &err);
    is_int(rc, GROK_EINVAL, "blocks of 2 x 2: refused (σ₃ does not exist)");
    is_str(err.msg, "2 singular values of blocks of 2 x 2: the gaps need 3 and a block has 2", "its reason");
    rc = grok_spectra_layer(q, k, H, DH, 4, out, work, &err);
    is_int(rc, GROK_EINVAL, "4 singular values of a 3 x 3 block: refused");
    free(tmp);
    free(work);
}

int main(void)
{
    test_join();
    test_singular_values();
    test_commutator();
    test_layer();
    return done_testing();
}
