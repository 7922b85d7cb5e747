/* The Fourier structure of embeddings: GSL's real FFT along the token axis, the folded spectrum,
 * key frequencies, Gini and P2's circle measures (include/grok/fourier.h). */
#include "grok/fourier.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_fft_real.h>

struct grok_fourier_plan {
    size_t p;
    gsl_fft_real_wavetable *wt;
    gsl_fft_real_workspace *ws;
    double *col;                  /* (p) one column, transformed in place */
};

size_t grok_fourier_nfreq(size_t p)
{
    return p / 2 + 1;
}

struct grok_fourier_plan *grok_fourier_plan_new(size_t p, struct grok_err *err)
{
    if (p < 1) {
        grok_err_set(err, GROK_EINVAL, "a Fourier transform needs at least one token");
        return NULL;
    }
    /* GSL's default handler aborts; a failure here is reported instead (out of memory only). */
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    struct grok_fourier_plan *plan = calloc(1, sizeof *plan);
    if (plan) {
        plan->p = p;
        plan->wt = gsl_fft_real_wavetable_alloc(p);
        plan->ws = gsl_fft_real_workspace_alloc(p);
        plan->col = malloc(p * sizeof *plan->col);
    }
    gsl_set_error_handler(old);
    if (!plan || !plan->wt || !plan->ws || !plan->col) {
        grok_fourier_plan_free(plan);
        grok_err_set(err, GROK_ENOMEM, "out of memory for a Fourier transform of %zu points", p);
        return NULL;
    }
    return plan;
}

void grok_fourier_plan_free(struct grok_fourier_plan *plan)
{
    if (!plan)
        return;
    if (plan->wt)
        gsl_fft_real_wavetable_free(plan->wt);
    if (plan->ws)
        gsl_fft_real_workspace_free(plan->ws);
    free(plan->col);
    free(plan);
}

void grok_fourier_dft(struct grok_fourier_plan *plan, const double *E, size_t d, double *re,
                      double *im)
{
    size_t p = plan->p, K = grok_fourier_nfreq(p);
    double *x = plan->col, scale = 1.0 / (double)p;
    for (size_t c = 0; c < d; c++) {
        for (size_t j = 0; j < p; j++)
            x[j] = E[j * d + c];
        /* Forward (e^(−2πi jk/p)), in GSL's half-complex order: x[0] = F_0, then Re F_k, Im F_k
         * at 2k−1, 2k, and for an even p the real F_(p/2) last. Cannot fail for p ≥ 1. */
        gsl_fft_real_transform(x, 1, p, plan->wt, plan->ws);
        re[c] = x[0] * scale;
        im[c] = 0;
        for (size_t k = 1; k < K; k++) {
            if (2 * k == p) {
                re[k * d + c] = x[p - 1] * scale;
                im[k * d + c] = 0;
            } else {
                re[k * d + c] = x[2 * k - 1] * scale;
                im[k * d + c] = x[2 * k] * scale;
            }
        }
    }
}

/* Σ a_i² over n values, and Σ a_i b_i. */
static double sumsq(const double *a, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * a[i];
    return s;
}

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

void grok_fourier_spectrum(const double *re, const double *im, size_t p, size_t d, double *norm,
                           double *cos_part, double *sin_part)
{
    size_t K = grok_fourier_nfreq(p);
    for (size_t k = 0; k < K; k++) {
        double fold = (k == 0 || 2 * k == p) ? 1.0 : 2.0;
        double c2 = fold * sumsq(re + k * d, d), s2 = fold * sumsq(im + k * d, d);
        norm[k] = sqrt(c2 + s2);
        if (cos_part)
            cos_part[k] = sqrt(c2);
        if (sin_part)
            sin_part[k] = sqrt(s2);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double grok_gini(double *x, size_t n)
{
    if (n == 0)
        return NAN;
    qsort(x, n, sizeof *x, cmp_double);
    double sum = 0, weighted = 0;
    for (size_t i = 0; i < n; i++) {
        sum += x[i];
        weighted += (2.0 * (double)(i + 1) - (double)n - 1.0) * x[i];
    }
    if (!(sum > 0) || !isfinite(sum))
        return NAN;
    return weighted / ((double)n * sum);
}

/* The power of k = 1..K−1. */
static double ac_power(const double *norm, size_t K)
{
    double s = 0;
    for (size_t k = 1; k < K; k++)
        s += norm[k] * norm[k];
    return s;
}

double grok_fourier_share(const double *norm, size_t K, const int *keys, size_t n)
{
    double total = ac_power(norm, K), s = 0;
    for (size_t i = 0; i < n; i++)
        s += norm[keys[i]] * norm[keys[i]];
    return total > 0 ? s / total : NAN;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

size_t grok_fourier_keys(const double *norm, size_t K, int n_keys, double min_share, int *keys,
                         double *share)
{
    size_t m = K - 1, n;
    double total = ac_power(norm, K);
    /* k = 1..K−1 by decreasing norm, the smaller k first on a tie (insertion sort: stable, and K
     * is at most a few thousand). A NaN norm sorts last. */
    for (size_t i = 0; i < m; i++) {
        int k = (int)i + 1;
        size_t j = i;
        for (; j > 0 && (norm[k] > norm[keys[j - 1]] || isnan(norm[keys[j - 1]])) && !isnan(norm[k]); j--)
            keys[j] = keys[j - 1];
        keys[j] = k;
    }
    if (n_keys > 0) {
        n = (size_t)n_keys < m ? (size_t)n_keys : m;
    } else {
        for (n = 1; n < m && norm[keys[n]] * norm[keys[n]] > min_share * total; n++)
            ;
    }
    qsort(keys, n, sizeof *keys, cmp_int);
    if (share)
        *share = grok_fourier_share(norm, K, keys, n);
    return n;
}

double grok_fourier_circle(const double *re, const double *im, size_t d, const int *keys,
                           size_t n, double *ratio, double *cosine, double *sim)
{
    for (size_t i = 0; i < n; i++) {
        const double *r = re + (size_t)keys[i] * d, *s = im + (size_t)keys[i] * d;
        double nr = sqrt(sumsq(r, d)), ns = sqrt(sumsq(s, d));
        ratio[i] = nr / ns;                          /* inf for ns = 0, NaN for 0/0 */
        cosine[i] = nr > 0 && ns > 0 ? dot(r, s, d) / (nr * ns) : NAN;
    }
    double diag = 0, off = 0;
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < n; b++) {
            const double *u = re + (size_t)keys[a] * d, *v = re + (size_t)keys[b] * d;
            double uv = 0, uu = 0, vv = 0;
            for (size_t c = 0; c < d; c++) {
                uv += fabs(u[c]) * fabs(v[c]);
                uu += u[c] * u[c];
                vv += v[c] * v[c];
            }
            double s = uu > 0 && vv > 0 ? uv / sqrt(uu * vv) : NAN;
            if (sim)
                sim[a * n + b] = s;
            if (a == b)
                diag += s;
            else
                off += s;
        }
    if (n < 2)
        return NAN;
    return diag / (double)n - off / ((double)n * (double)(n - 1));
}
