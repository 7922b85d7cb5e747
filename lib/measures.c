/* Nanda et al.'s progress measures (include/grok/measures.h). */
#include "grok/measures.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#undef I   /* OpenBLAS's cblas.h includes <complex.h> */

/* M_PI and SQRT2 are not in strict C11 */
#define TWO_PI 6.28318530717958647692
#define SQRT2 1.41421356237309504880

void grok_measures_basis(int p, double *F)
{
    for (int x = 0; x < p; x++)
        F[x] = 1 / sqrt((double)p);
    for (int k = 1; k <= GROK_MEASURES_FREQS(p); k++) {
        double *c = F + (size_t)(2 * k - 1) * p, *s = F + (size_t)(2 * k) * p, nc = 0, ns = 0;
        for (int x = 0; x < p; x++) {
            double t = TWO_PI * k * x / p;
            c[x] = cos(t);
            s[x] = sin(t);
            nc += c[x] * c[x];
            ns += s[x] * s[x];
        }
        for (int x = 0; x < p; x++) {
            c[x] /= sqrt(nc);
            s[x] /= sqrt(ns);
        }
    }
}

void grok_measures_neurons(int p, int N, const double *acts, const double *F, int *freq,
                           double *share, double *work)
{
    size_t pp = (size_t)p * p;
    double *A = work, *X = work + pp * N;   /* centred (a, b, n); then (a', b, n); (a', b', n) in A */
    memcpy(A, acts, pp * N * sizeof *A);
    for (int n = 0; n < N; n++) {
        double m = 0;
        for (size_t r = 0; r < pp; r++)
            m += A[r * N + n];
        m /= (double)pp;
        for (size_t r = 0; r < pp; r++)
            A[r * N + n] -= m;
    }
    /* over a: X (a', (b n)) = F (a', a) · A (a, (b n)) */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, p, p * N, p, 1, F, p, A, p * N, 0, X,
                p * N);
    /* over b, for each a': A[a'] (b', n) = F (b', b) · X[a'] (b, n) */
    for (int a = 0; a < p; a++)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, p, N, p, 1, F, p,
                    X + (size_t)a * p * N, N, 0, A + (size_t)a * p * N, N);
    int K = GROK_MEASURES_FREQS(p);
    for (int n = 0; n < N; n++) {
        double total = 0;
        for (size_t r = 0; r < pp; r++)
            total += A[r * N + n] * A[r * N + n];
        freq[n] = 0;
        share[n] = 0;
        if (!(total > 0))
            continue;
        for (int k = 1; k <= K; k++) {
            int idx[3] = {0, 2 * k - 1, 2 * k};
            double s = 0;
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) {
                    double v = A[((size_t)idx[i] * p + idx[j]) * N + n];
                    s += v * v;
                }
            if (s / total > share[n]) {
                share[n] = s / total;
                freq[n] = k;
            }
        }
    }
}

int grok_measures_keys(int p, int N, const int *freq, const double *share, double min_share,
                       int min_neurons, int *keys, int *count)
{
    int K = GROK_MEASURES_FREQS(p), n_keys = 0;
    memset(count, 0, (size_t)(K + 1) * sizeof *count);
    for (int n = 0; n < N; n++)
        if (freq[n] > 0 && share[n] >= min_share)
            count[freq[n]]++;
    for (int k = 1; k <= K; k++)
        if (count[k] > 0 && count[k] >= min_neurons)
            keys[n_keys++] = k;
    return n_keys;
}

/* The unit directions of cos(2πk(a+b)/p) and sin(2πk(a+b)/p) over the grid, from the 2-D
 * basis: (cc − ss)/√2 and (sc + cs)/√2, c and s the basis rows of k. */
static void trig_directions(int p, const double *F, int k, double *dcos, double *dsin)
{
    const double *c = F + (size_t)(2 * k - 1) * p, *s = F + (size_t)(2 * k) * p;
    for (int a = 0; a < p; a++)
        for (int b = 0; b < p; b++) {
            dcos[a * p + b] = (c[a] * c[b] - s[a] * s[b]) / SQRT2;
            dsin[a * p + b] = (s[a] * c[b] + c[a] * s[b]) / SQRT2;
        }
}

void grok_measures_trig(int p, int C, const double *logits, const double *F, const int *keys,
                        int n, double sign, double *out, double *work)
{
    size_t pp = (size_t)p * p;
    double *d = work, *proj = work + 2 * pp;
    for (int i = 0; i < n; i++) {
        trig_directions(p, F, keys[i], d, d + pp);
        /* proj (2, C) = dᵀ logits, then out += sign · d proj */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, C, (int)pp, 1, d, (int)pp,
                    logits, C, 0, proj, C);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)pp, C, 2, sign, d, (int)pp,
                    proj, C, 1, out, C);
    }
}

double grok_measures_loss(int p, int C, const double *logits, const int32_t *y,
                          const uint8_t *mask)
{
    size_t pp = (size_t)p * p, n = 0;
    double sum = 0;
    for (size_t r = 0; r < pp; r++) {
        if (mask && !mask[r])
            continue;
        const double *x = logits + r * C;
        double mx = x[0], s = 0;
        for (int c = 1; c < C; c++)
            mx = x[c] > mx ? x[c] : mx;
        for (int c = 0; c < C; c++)
            s += exp(x[c] - mx);
        sum += mx + log(s) - x[y[r]];
        n++;
    }
    return n ? sum / (double)n : NAN;
}

void grok_measures_restrict(int p, int C, const double *logits, const double *F,
                            const int *keys, int n, double *out, double *work)
{
    size_t pp = (size_t)p * p;
    memset(out, 0, pp * C * sizeof *out);
    grok_measures_trig(p, C, logits, F, keys, n, 1, out, work);
    for (int c = 0; c < C; c++) {
        double m = 0;
        for (size_t r = 0; r < pp; r++)
            m += logits[r * C + c] - out[r * C + c];
        m /= (double)pp;
        for (size_t r = 0; r < pp; r++)
            out[r * C + c] += m;
    }
}

/* cos(2πk(a+b−c)/p) depends on (a + b − c) mod p alone: the logits summed over the pairs of
 * each sum s = (a + b) mod p first, G (s, c), then p² terms per frequency instead of p³. */
void grok_measures_coefficients(int p, const double *logits, double *coef, double *work)
{
    double *G = work;
    memset(G, 0, (size_t)p * p * sizeof *G);
    for (int a = 0; a < p; a++)
        for (int b = 0; b < p; b++) {
            const double *x = logits + ((size_t)a * p + b) * p;
            double *g = G + (size_t)((a + b) % p) * p;
            for (int c = 0; c < p; c++)
                g[c] += x[c];
        }
    for (int k = 1; k <= GROK_MEASURES_FREQS(p); k++) {
        double s = 0, norm = 0;
        for (int d = 0; d < p; d++) {   /* d = (s − c) mod p: each value p² times over the grid */
            double cs = cos(TWO_PI * k * d / p);
            norm += (double)p * p * cs * cs;
        }
        for (int sm = 0; sm < p; sm++)
            for (int c = 0; c < p; c++)
                s += G[(size_t)sm * p + c] * cos(TWO_PI * k * (double)(((sm - c) % p + p) % p) / p);
        coef[k - 1] = s / sqrt(norm);
    }
}
