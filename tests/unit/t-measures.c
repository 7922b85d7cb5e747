/* Nanda et al.'s progress measures (measures.h) against what is planted: the basis is
 * orthonormal; neurons built from one frequency's linear and quadratic terms are found at that
 * frequency with all their variance, a noise neuron with little; logits built as a sum of
 * circuits cos(2πk(a+b−c)/p) plus a bias per output give back their coefficients, a restricted
 * loss equal to the whole logits' loss and an excluded loss equal to the bias's alone (both
 * computed here directly); the key-frequency rule counts what it is given. */
#include "tap.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grok/measures.h"

#define P 13
#define PP (P * P)
#define K ((P - 1) / 2)
#define TWO_PI 6.28318530717958647692

static double w_of(int k, int x) { return TWO_PI * k * x / P; }

static void test_basis(const double *F)
{
    double worst = 0;
    for (int i = 0; i < P; i++)
        for (int j = 0; j < P; j++) {
            double s = 0;
            for (int x = 0; x < P; x++)
                s += F[i * P + x] * F[j * P + x];
            worst = fmax(worst, fabs(s - (i == j)));
        }
    ok(worst < 1e-13, "the basis is orthonormal (worst %.2g)", worst);
}

static void test_neurons(const double *F, gsl_rng *rng)
{
    enum { N = 4 };
    const int planted[N] = {2, 5, 3, 0};   /* the last: noise */
    double acts[PP * N], work[2 * PP * N], share[N];
    int freq[N];
    for (int a = 0; a < P; a++)
        for (int b = 0; b < P; b++) {
            double *r = acts + (a * P + b) * N;
            for (int n = 0; n < N; n++) {
                int k = planted[n];
                r[n] = k ? 0.7 + 1.3 * cos(w_of(k, a) + 0.4 * n) + 0.5 * sin(w_of(k, b)) +
                               2 * cos(w_of(k, a) + 0.3) * cos(w_of(k, b) - 1.1)
                         : gsl_ran_gaussian(rng, 1);
            }
        }
    grok_measures_neurons(P, N, acts, F, freq, share, work);
    ok(freq[0] == 2 && freq[1] == 5 && freq[2] == 3 && fabs(share[0] - 1) < 1e-12 &&
       fabs(share[1] - 1) < 1e-12 && fabs(share[2] - 1) < 1e-12,
       "planted neurons: frequencies %d %d %d (want 2 5 3), shares 1 (%.15f %.15f %.15f)", freq[0],
       freq[1], freq[2], share[0], share[1], share[2]);
    ok(share[3] < 0.6, "a noise neuron explains %.2f of its variance at its best frequency", share[3]);
    double flat[PP];
    for (int r = 0; r < PP; r++)
        flat[r] = 3;
    int f1;
    double s1;
    grok_measures_neurons(P, 1, flat, F, &f1, &s1, work);
    ok(f1 == 0 && s1 == 0, "a constant neuron has no frequency (%d, %g)", f1, s1);

    int keys[K], count[K + 1];
    int fr[6] = {2, 2, 2, 5, 5, 3};
    double sh[6] = {0.9, 0.95, 0.99, 0.9, 0.5, 0.99};
    int n = grok_measures_keys(P, 6, fr, sh, 0.85, 2, keys, count);
    ok(n == 1 && keys[0] == 2 && count[2] == 3 && count[5] == 1 && count[3] == 1,
       "keys with share 0.85 and 2 neurons: {2} (%d keys, first %d)", n, n ? keys[0] : -1);
    n = grok_measures_keys(P, 6, fr, sh, 0, 1, keys, count);
    ok(n == 3 && keys[0] == 2 && keys[1] == 3 && keys[2] == 5, "every best frequency: {2, 3, 5}");
}

/* Cross-entropy of logits (PP, P) rows against y, computed plainly. */
static double ce(const double *x, const int32_t *y, const uint8_t *mask)
{
    double sum = 0;
    int n = 0;
    for (int r = 0; r < PP; r++) {
        if (mask && !mask[r])
            continue;
        double z = 0;
        for (int c = 0; c < P; c++)
            z += exp(x[r * P + c]);
        sum += log(z) - x[r * P + y[r]];
        n++;
    }
    return sum / n;
}

static void test_logits(const double *F)
{
    const int keys[2] = {3, 5};
    const double alpha[2] = {2.5, 1.5};
    double logits[PP * P], bias_only[PP * P], out[PP * P], coef[K], work[2 * PP + 2 * P];
    int32_t y[PP];
    uint8_t train[PP];
    for (int a = 0; a < P; a++)
        for (int b = 0; b < P; b++) {
            int r = a * P + b;
            y[r] = (a + b) % P;
            train[r] = (a * 7 + b * 3) % 5 < 2;
            for (int c = 0; c < P; c++) {
                double bias = 0.1 * c - 0.02 * c * c;
                double v = bias;
                for (int i = 0; i < 2; i++)
                    v += alpha[i] * cos(w_of(keys[i], a + b - c));
                logits[r * P + c] = v;
                bias_only[r * P + c] = bias;
            }
        }
    grok_measures_coefficients(P, logits, coef, work);
    /* |cos(k(a+b−c))| over the p³ grid is √(p³/2) */
    double norm = sqrt(P * P * P / 2.0), worst = 0;
    for (int k = 1; k <= K; k++) {
        double want = k == 3 ? alpha[0] * norm : k == 5 ? alpha[1] * norm : 0;
        worst = fmax(worst, fabs(coef[k - 1] - want));
    }
    ok(worst < 1e-9, "the coefficients are the planted circuits' (3: %.6f, 5: %.6f; worst gap %.2g)",
       coef[2], coef[4], worst);

    grok_measures_restrict(P, P, logits, F, keys, 2, out, work);
    double r_all = grok_measures_loss(P, P, out, y, NULL), want_all = ce(logits, y, NULL);
    double r_train = grok_measures_loss(P, P, out, y, train), want_train = ce(logits, y, train);
    ok(fabs(r_all - want_all) < 1e-12 && fabs(r_train - want_train) < 1e-12,
       "restricted to the planted keys, the loss is the whole logits' (%.12f, %.12f)", r_all, r_train);
    memcpy(out, logits, sizeof out);
    grok_measures_trig(P, P, logits, F, keys, 2, -1, out, work);
    double ex = grok_measures_loss(P, P, out, y, train), want_ex = ce(bias_only, y, train);
    ok(fabs(ex - want_ex) < 1e-12, "without them, the bias's alone (%.12f, want %.12f)", ex, want_ex);
    const int other[1] = {4};
    grok_measures_restrict(P, P, logits, F, other, 1, out, work);
    double r_other = grok_measures_loss(P, P, out, y, NULL);
    ok(r_other > want_all + 0.5, "restricted to another frequency, the loss is the bias's (%.4f against %.4f)",
       r_other, want_all);
}

int main(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    double F[P * P];
    grok_measures_basis(P, F);
    test_basis(F);
    test_neurons(F, rng);
    test_logits(F);
    gsl_rng_free(rng);
    return done_testing();
}
