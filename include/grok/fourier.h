/* The Fourier structure of an embedding over its token axis (P2 and P4, papers.md).
 *
 * An embedding E is p rows (the tokens 0..p−1) of d values each, row-major (p, d). Its discrete
 * Fourier transform along the token axis, one column at a time, with P2's normalisation:
 *
 *     F_k = (1/p) Σ_j e^(−2πi jk/p) E_j,   k = 0..p−1.
 *
 * E is real, so F_(p−k) is the conjugate of F_k: only the K = ⌊p/2⌋ + 1 frequencies
 * k = 0..⌊p/2⌋ are kept (k = p/2, the Nyquist frequency, only for an even p; F_0 is the mean row).
 *
 * The spectrum folds each frequency with its conjugate, so that it splits the mean squared row
 * norm (Parseval):
 *
 *     cos_k = c_k ‖Re F_k‖,  sin_k = c_k ‖Im F_k‖,  norm_k = sqrt(cos_k² + sin_k²),
 *     c_k = √2 for 0 < k < p/2 (F_k and F_(p−k) together), c_k = 1 for k = 0 and k = p/2,
 *     Σ_k norm_k² = (1/p) Σ_j ‖E_j‖².
 *
 * norm_k is the norm of E's component in the orthonormal Fourier basis (cos and sin vectors of
 * unit length over the p tokens) divided by √p, as Nanda et al. measure it; a row pattern
 * a cos(2πkj/p) gives norm_k = ‖a‖/√2, its root mean square over the tokens.
 *
 * Key frequencies, shares and the Gini coefficient are over the frequencies k = 1..K−1 only:
 * the mean (k = 0) is what every token shares, not a circle. A frequency's share is its part of
 * the power, norm_k² / Σ_(k'≥1) norm_k'² (the fraction of the non-constant variance).
 *
 * The maths (lib/fourier.c) is a pure function of its arguments (the plan holds GSL's tables and
 * one column of scratch); none of it allocates but grok_fourier_plan_new.
 *
 * Owns: the transform, the spectrum, keys, Gini and circle measures (lib/fourier.c). Calls:
 * GSL's FFT. grok-fourier's analysis of a run is fourier_run.h's. */
#ifndef GROK_FOURIER_H
#define GROK_FOURIER_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#include "grok/err.h"

/* The number of frequencies kept for p tokens: ⌊p/2⌋ + 1. */
size_t grok_fourier_nfreq(size_t p);

/* GSL's mixed-radix real FFT for p points (any p ≥ 1; factors other than 2, 3, 4, 5 go through
 * GSL's general odd-factor pass) and a column of scratch. */
struct grok_fourier_plan;

/* A plan for p tokens; NULL with err (GROK_EINVAL for p < 1, GROK_ENOMEM) on failure. */
struct grok_fourier_plan *grok_fourier_plan_new(size_t p, struct grok_err *err);
void grok_fourier_plan_free(struct grok_fourier_plan *plan);   /* NULL is accepted */

/* F_k of E (p, d) for k = 0..K−1: re and im (K, d), row k holding Re F_k and Im F_k (im of row 0,
 * and of row p/2 for an even p, is exactly 0). Not thread-safe on one plan (its scratch). */
void grok_fourier_dft(struct grok_fourier_plan *plan, const double *E, size_t d, double *re,
                      double *im);

/* The folded spectrum (see above) from re and im (K, d) of p tokens: norm, cos and sin (K) each;
 * cos or sin may be NULL. */
void grok_fourier_spectrum(const double *re, const double *im, size_t p, size_t d, double *norm,
                           double *cos_part, double *sin_part);

/* The Gini coefficient of n ≥ 1 values x ≥ 0, from the sorted values x_(1) ≤ … ≤ x_(n):
 *     G = Σ_i (2i − n − 1) x_(i) / (n Σ_i x_i),
 * 0 when all are equal, (n−1)/n when one value holds everything. SORTS x IN PLACE. NaN when the
 * sum is 0 or not finite (then nothing is sparse or dense). */
double grok_gini(double *x, size_t n);

/* The key frequencies of a spectrum norm (K values, K ≥ 2) among k = 1..K−1:
 *   n_keys > 0: the n_keys frequencies of largest norm (all K−1 when there are fewer);
 *   n_keys = 0: every frequency whose share of the power exceeds min_share, and at least the
 *               largest one.
 * Ties go to the smaller k. Writes the keys into keys (room for K−1) in increasing k and returns
 * how many; *share (when not NULL) receives their part of the power (NaN when the power is 0). */
size_t grok_fourier_keys(const double *norm, size_t K, int n_keys, double min_share, int *keys,
                         double *share);

/* The part of the power of k = 1..K−1 that the n frequencies in keys hold (NaN when it is 0). */
double grok_fourier_share(const double *norm, size_t K, const int *keys, size_t n);

/* P2's circle measures for the n key frequencies (each in 0..K−1) of re and im (K, d):
 *   ratio[i] = ‖Re F_k‖ / ‖Im F_k‖   (1 on a circle; inf when Im F_k = 0, NaN when both are 0),
 *   cosine[i] = ⟨Re F_k, Im F_k⟩ / (‖Re F_k‖ ‖Im F_k‖)   (0 on a circle; NaN when either is 0),
 *   sim (n, n): sim[a][b] = cos(|Re F_ka|, |Re F_kb|), the cosine similarity of the elementwise
 *               absolute values (in [0, 1]; NaN where a vector is 0),
 *   the return value, the diagonal dominance of sim: mean of its diagonal minus mean of its
 *               off-diagonal entries, which is 1 − the mean off-diagonal similarity when no vector
 *               is 0: near 1 when each frequency uses its own coordinates, about 1 − 2/π ≈ 0.36
 *               for independent Gaussian vectors, 0 when all frequencies use the same ones.
 *               NaN for n < 2.
 * sim may be NULL (it is then not written, the dominance still returned). */
double grok_fourier_circle(const double *re, const double *im, size_t d, const int *keys,
                           size_t n, double *ratio, double *cosine, double *sim);

#ifdef __cplusplus
}
#endif

#endif
