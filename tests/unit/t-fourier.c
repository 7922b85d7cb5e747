/* grok_fourier: GSL's FFT against the O(p²) definition for prime and composite p, Parseval,
 * the folded spectrum of single waves, key frequencies of a synthetic embedding with noise,
 * P2's circle measures on perfect and distorted circles, and the Gini coefficient. */
#include "grok/fourier.h"

#include "tap.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

static const double PI = 3.14159265358979323846;

/* The definition, F_k = (1/p) Σ_j e^(−2πi jk/p) E_j, with the angle reduced mod p first. */
static void direct_dft(const double *E, size_t p, size_t d, double *re, double *im)
{
    size_t K = grok_fourier_nfreq(p);
    for (size_t k = 0; k < K; k++)
        for (size_t c = 0; c < d; c++) {
            double sr = 0, si = 0;
            for (size_t j = 0; j < p; j++) {
                double a = 2 * PI * (double)((j * k) % p) / (double)p;
                sr += cos(a) * E[j * d + c];
                si -= sin(a) * E[j * d + c];
            }
            re[k * d + c] = sr / (double)p;
            im[k * d + c] = si / (double)p;
        }
}

static double max_abs_diff(const double *a, const double *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(a[i] - b[i]));
    return m;
}

static void test_against_definition(gsl_rng *rng)
{
    size_t ps[] = {113, 97, 100, 12, 7, 2, 1}, d = 6;
    for (size_t t = 0; t < sizeof ps / sizeof *ps; t++) {
        size_t p = ps[t], K = grok_fourier_nfreq(p);
        double *E = malloc(p * d * sizeof *E), *re = malloc(K * d * sizeof *re),
               *im = malloc(K * d * sizeof *im), *dre = malloc(K * d * sizeof *dre),
               *dim = malloc(K * d * sizeof *dim), *norm = malloc(K * sizeof *norm);
        for (size_t i = 0; i < p * d; i++)
            E[i] = gsl_ran_gaussian(rng, 1.0) + (i % d == 2 ? 3.0 : 0.0);
        struct grok_err err;
        struct grok_fourier_plan *plan = grok_fourier_plan_new(p, &err);
        ok(plan != NULL, "p = %zu: a plan", p);
        grok_fourier_dft(plan, E, d, re, im);
        direct_dft(E, p, d, dre, dim);
        double e = fmax(max_abs_diff(re, dre, K * d), max_abs_diff(im, dim, K * d));
        ok(e <= 1e-10, "p = %zu (%s): the FFT equals the O(p²) definition to 1e-10 (max error %.2g)",
           p, p == 113 || p == 97 || p == 7 || p == 2 ? "prime" : p == 1 ? "one token" : "composite", e);
        /* Parseval: the folded spectrum splits the mean squared row norm. */
        grok_fourier_spectrum(re, im, p, d, norm, NULL, NULL);
        double lhs = 0, rhs = 0;
        for (size_t k = 0; k < K; k++)
            lhs += norm[k] * norm[k];
        for (size_t i = 0; i < p * d; i++)
            rhs += E[i] * E[i] / (double)p;
        is_near(lhs, rhs, 1e-10 * rhs, "p = %zu: Σ norm_k² = (1/p) Σ ‖E_j‖²", p);
        grok_fourier_plan_free(plan);
        free(E);
        free(re);
        free(im);
        free(dre);
        free(dim);
        free(norm);
    }
    struct grok_err err;
    ok(grok_fourier_plan_new(0, &err) == NULL && err.code == GROK_EINVAL, "p = 0: no plan");
}

/* One wave a·cos(2πkj/p) (or sin) in column 0 of a (p, 2) embedding; its folded norm. */
static void wave(size_t p, size_t k, int use_sin, double a, double *norm_k, double *cos_k,
                 double *sin_k, double *others)
{
    size_t d = 2, K = grok_fourier_nfreq(p);
    double *E = calloc(p * d, sizeof *E), *re = malloc(K * d * sizeof *re),
           *im = malloc(K * d * sizeof *im), *n = malloc(K * sizeof *n), *c = malloc(K * sizeof *c),
           *s = malloc(K * sizeof *s);
    for (size_t j = 0; j < p; j++) {
        double x = 2 * PI * (double)(j * k % p) / (double)p;
        E[j * d] = a * (use_sin ? sin(x) : cos(x));
    }
    struct grok_fourier_plan *plan = grok_fourier_plan_new(p, NULL);
    grok_fourier_dft(plan, E, d, re, im);
    grok_fourier_spectrum(re, im, p, d, n, c, s);
    *norm_k = n[k];
    *cos_k = c[k];
    *sin_k = s[k];
    *others = 0;
    for (size_t q = 0; q < K; q++)
        if (q != k)
            *others = fmax(*others, n[q]);
    grok_fourier_plan_free(plan);
    free(E);
    free(re);
    free(im);
    free(n);
    free(c);
    free(s);
}

static void test_single_waves(void)
{
    double n, c, s, o;
    wave(113, 14, 0, 2.0, &n, &c, &s, &o);
    is_near(n, 2.0 / sqrt(2.0), 1e-12, "a cosine of amplitude 2 at k = 14 has norm 2/√2 (its RMS)");
    is_near(c, n, 1e-12, "all of it in the cos part");
    is_near(s, 0, 1e-12, "none in the sin part");
    ok(o < 1e-12, "and no other frequency has any (max %.2g)", o);
    wave(113, 41, 1, 3.0, &n, &c, &s, &o);
    is_near(s, 3.0 / sqrt(2.0), 1e-12, "a sine of amplitude 3 at k = 41: sin part 3/√2");
    is_near(c, 0, 1e-12, "and no cos part");
    wave(12, 6, 0, 2.0, &n, &c, &s, &o);
    is_near(n, 2.0, 1e-12, "p = 12: the Nyquist wave 2·(−1)^j has norm 2 (not folded)");
    wave(12, 0, 0, 2.0, &n, &c, &s, &o);
    is_near(n, 2.0, 1e-12, "a constant row 2 is k = 0 with norm 2");
    ok(o < 1e-12, "and nothing else");
}

/* The key frequencies of a synthetic grokked embedding: p = 113, d = 40; circles at Nanda's
 * frequencies, each in its own pair of coordinates, plus noise. */
static void test_keys_and_circles(gsl_rng *rng)
{
    enum { P = 113, D = 40, NK = 5 };
    const int want[NK] = {14, 35, 41, 42, 52};
    const double amp[NK] = {1.0, 0.8, 1.2, 0.9, 1.1};
    size_t K = grok_fourier_nfreq(P);
    double *E = malloc(P * D * sizeof *E), *re = malloc(K * D * sizeof *re),
           *im = malloc(K * D * sizeof *im), *norm = malloc(K * sizeof *norm);
    int keys[P];
    double ratio[NK], cosine[NK], sim[NK * NK], share;
    struct grok_fourier_plan *plan = grok_fourier_plan_new(P, NULL);
    for (int noisy = 0; noisy < 2; noisy++) {
        for (int j = 0; j < P; j++)
            for (int c = 0; c < D; c++) {
                double v = noisy ? gsl_ran_gaussian(rng, 0.02) : 0;
                for (int i = 0; i < NK; i++) {
                    double x = 2 * PI * (double)(j * want[i] % P) / P;
                    if (c == 2 * i)
                        v += amp[i] * cos(x);
                    else if (c == 2 * i + 1)
                        v += amp[i] * sin(x);
                }
                E[j * D + c] = v;
            }
        grok_fourier_dft(plan, E, D, re, im);
        grok_fourier_spectrum(re, im, P, D, norm, NULL, NULL);
        const char *what = noisy ? "with noise" : "exact";
        size_t n = grok_fourier_keys(norm, K, NK, 0, keys, &share);
        int same = n == NK;
        for (size_t i = 0; same && i < n; i++)
            same = keys[i] == want[i];
        ok(same, "%s: --keys 5 finds 14, 35, 41, 42, 52 (got %d %d %d %d %d)", what, keys[0],
           keys[1], keys[2], keys[3], keys[4]);
        ok(share > (noisy ? 0.9 : 1 - 1e-12) && share <= 1 + 1e-12, "%s: they hold the power (%.6f)",
           what, share);
        n = grok_fourier_keys(norm, K, 0, 0.05, keys, NULL);
        same = n == NK;
        for (size_t i = 0; same && i < n; i++)
            same = keys[i] == want[i];
        ok(same, "%s: --key-share 0.05 finds the same five (got %zu)", what, n);
        double dom = grok_fourier_circle(re, im, D, want, NK, ratio, cosine, sim);
        if (!noisy) {
            double er = 0, ec = 0;
            for (int i = 0; i < NK; i++) {
                er = fmax(er, fabs(ratio[i] - 1));
                ec = fmax(ec, fabs(cosine[i]));
            }
            ok(er < 1e-12, "perfect circles: ‖Re F_k‖/‖Im F_k‖ = 1 (max error %.2g)", er);
            ok(ec < 1e-12, "perfect circles: cos(Re F_k, Im F_k) = 0 (max %.2g)", ec);
            is_near(dom, 1.0, 1e-12, "each circle in its own coordinates: diagonal dominance 1");
            is_near(sim[0 * NK + 1], 0.0, 1e-12, "and zero similarity across frequencies");
            is_near(sim[2 * NK + 2], 1.0, 1e-12, "one on the diagonal");
            is_near(re[14 * D + 0], amp[0] / 2, 1e-12, "Re F_14 = a/2 in the cos coordinate");
            is_near(im[14 * D + 1], -amp[0] / 2, 1e-12, "Im F_14 = −b/2 in the sin coordinate");
        } else {
            int good = 1;
            for (int i = 0; i < NK; i++)
                good = good && fabs(ratio[i] - 1) < 0.05 && fabs(cosine[i]) < 0.05;
            ok(good, "with noise: ratios near 1 and cosines near 0");
            ok(dom > 0.9, "with noise: still diagonal-dominant (%.4f)", dom);
        }
    }
    /* Distorted circles: an ellipse (ratio 2), a tilted one (cos 1/√2), all in the same coordinates. */
    for (int j = 0; j < P; j++)
        for (int c = 0; c < D; c++) {
            double x = 2 * PI * (double)(j * 14 % P) / P;
            E[j * D + c] = c == 0 ? 2 * cos(x) : c == 1 ? sin(x) : 0;
            double y = 2 * PI * (double)(j * 20 % P) / P;
            E[j * D + c] += c == 0 ? cos(y) + sin(y) : c == 1 ? sin(y) : 0;
        }
    grok_fourier_dft(plan, E, D, re, im);
    int two[2] = {14, 20};
    double dom = grok_fourier_circle(re, im, D, two, 2, ratio, cosine, sim);
    is_near(ratio[0], 2.0, 1e-12, "an ellipse twice as wide as high: ratio 2");
    is_near(cosine[0], 0.0, 1e-12, "with axes orthogonal: cosine 0");
    is_near(ratio[1], 1.0 / sqrt(2.0), 1e-12, "Re = (1,0)/2, Im = −(1,1)/2: ratio 1/√2");
    is_near(cosine[1], -1.0 / sqrt(2.0), 1e-12, "and cosine −1/√2");
    is_near(dom, 0.0, 1e-12, "two frequencies on the same coordinate: diagonal dominance 0");
    ok(isnan(grok_fourier_circle(re, im, D, two, 1, ratio, cosine, NULL)),
       "one key: no diagonal dominance (NaN)");
    double z0[2] = {0, 0}, z1[2] = {0, 1};
    int k0[1] = {0};
    grok_fourier_circle(z0, z0, 2, k0, 1, ratio, cosine, NULL);
    ok(isnan(ratio[0]) && isnan(cosine[0]), "a frequency with nothing in it: NaN ratio and cosine");
    grok_fourier_circle(z0, z1, 2, k0, 1, ratio, cosine, NULL);
    ok(ratio[0] == 0 && isnan(cosine[0]), "only a sin part: ratio 0, no cosine");
    grok_fourier_circle(z1, z0, 2, k0, 1, ratio, cosine, NULL);
    ok(isinf(ratio[0]) && isnan(cosine[0]), "only a cos part: ratio inf, no cosine");
    grok_fourier_plan_free(plan);
    free(E);
    free(re);
    free(im);
    free(norm);
}

static void test_keys_rules(void)
{
    double norm[8] = {9, 1, 3, 3, 2, 0.5, 3, 1};    /* k = 0 is large but never a key */
    int keys[7];
    double share;
    size_t n = grok_fourier_keys(norm, 8, 2, 0, keys, &share);
    ok(n == 2 && keys[0] == 2 && keys[1] == 3, "ties go to the smaller k; k = 0 is never a key");
    is_near(share, 18.0 / 33.25, 1e-15, "their share of the power (k ≥ 1)");
    n = grok_fourier_keys(norm, 8, 50, 0, keys, NULL);
    ok(n == 7 && keys[0] == 1 && keys[6] == 7, "--keys beyond K−1 takes them all, in order");
    n = grok_fourier_keys(norm, 8, 0, 0.2, keys, NULL);
    ok(n == 3 && keys[0] == 2 && keys[1] == 3 && keys[2] == 6, "--key-share 0.2: the three above it");
    n = grok_fourier_keys(norm, 8, 0, 0.9, keys, &share);
    ok(n == 1 && keys[0] == 2, "--key-share above every share: still the largest one");
    double flat[5] = {0, 0, 0, 0, 0};
    n = grok_fourier_keys(flat, 5, 2, 0, keys, &share);
    ok(n == 2 && isnan(share), "a zero spectrum: keys, but no share (NaN)");
}

static void test_gini(void)
{
    double flat[56], one[56];
    for (int i = 0; i < 56; i++) {
        flat[i] = 0.25;
        one[i] = i == 17 ? 5.0 : 0.0;
    }
    is_near(grok_gini(flat, 56), 0.0, 1e-15, "Gini of a flat spectrum is 0");
    is_near(grok_gini(one, 56), 55.0 / 56.0, 1e-15, "Gini of a single frequency is (n−1)/n");
    double x[4] = {4, 1, 3, 2};
    is_near(grok_gini(x, 4), 0.25, 1e-15, "Gini of {1, 2, 3, 4} is 1/4 (in any order)");
    double z[3] = {0, 0, 0};
    ok(isnan(grok_gini(z, 3)), "Gini of zeros is undefined (NaN)");
    double s[1] = {2};
    is_near(grok_gini(s, 1), 0.0, 0, "Gini of one value is 0");
}

int main(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    test_against_definition(rng);
    test_single_waves();
    test_keys_and_circles(rng);
    test_keys_rules();
    test_gini();
    gsl_rng_free(rng);
    return done_testing();
}
