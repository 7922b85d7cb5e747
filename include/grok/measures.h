/* Nanda et al.'s progress measures for a modular-addition transformer ("Progress measures for
 * grokking via mechanistic interpretability", 2023, and its code, transformers.py and
 * helpers.py of progress-measures-paper), over the whole input grid of p × p operand pairs:
 * rows a·p + b. grok-fourier(1), PROGRESS MEASURES, says where this follows their code and
 * where their text.
 *
 * Owns: the arithmetic, over the caller's double arrays; no memory of its own. Calls: CBLAS,
 * libm. Called by measures_run (grok-fourier --progress) and the tests. */
#ifndef GROK_MEASURES_H
#define GROK_MEASURES_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdint.h>

/* The frequencies of an odd p: k = 1 .. (p − 1)/2. */
#define GROK_MEASURES_FREQS(p) (((p) - 1) / 2)

/* The Fourier basis over one operand, F (p, p), orthonormal rows: the constant 1/√p, then for
 * each frequency k, cos(2πkx/p) and sin(2πkx/p) normalised (rows 2k − 1 and 2k). p odd. */
void grok_measures_basis(int p, double *F);

/* Each of N neurons' key frequency, from its activations acts (p², N) over the grid: centred
 * over the grid, taken to the 2-D Fourier basis (F acts Fᵀ per neuron), then for each
 * frequency k the share of the centred variance in the constant, cos k and sin k rows and
 * columns (the linear and quadratic terms of k in a and b). freq (N) receives the k of the
 * largest share, share (N) that share; a neuron that never varies gets freq 0 and share 0.
 * work: 2·p²·N doubles. */
void grok_measures_neurons(int p, int N, const double *acts, const double *F, int *freq,
                           double *share, double *work);

/* The key frequencies: those chosen (grok_measures_neurons) by at least min_neurons neurons
 * whose share is at least min_share. keys receives them ascending (at most (p−1)/2), count
 * (the (p−1)/2 + 1 entries, index k) the neurons of each k that pass; returns how many keys. */
int grok_measures_keys(int p, int N, const int *freq, const double *share, double min_share,
                       int min_neurons, int *keys, int *count);

/* The logits' (p², C) components along cos(2πk(a+b)/p) and sin(2πk(a+b)/p) over the grid, for
 * each of the n frequencies keys (each column's projection onto the two unit directions of the
 * 2-D basis): ADDED to out (p², C) times sign. work: 2·p² + 2·C doubles. */
void grok_measures_trig(int p, int C, const double *logits, const double *F, const int *keys,
                        int n, double sign, double *out, double *work);

/* Mean cross-entropy (in double) of the grid's rows of logits (p², C) whose mask entry is set
 * (NULL: every row), against the answers y (p²). */
double grok_measures_loss(int p, int C, const double *logits, const int32_t *y,
                          const uint8_t *mask);

/* The restricted logits: logits' key-frequency components, plus the mean over the grid of
 * what they leave out of each column (their code's bias correction). out (p², C); work as
 * grok_measures_trig's. */
void grok_measures_restrict(int p, int C, const double *logits, const double *F,
                            const int *keys, int n, double *out, double *work);

/* The coefficient of each frequency's circuit in the logits (their calculate_coefficients):
 * coef[k − 1] = Σ_(a,b,c) logits[a·p+b][c] · cos(2πk(a+b−c)/p) / |cos(2πk(a+b−c)/p)|, the
 * norm over the whole p³ grid, k = 1 .. (p−1)/2; logits (p², p). work: p² doubles. */
void grok_measures_coefficients(int p, const double *logits, double *coef, double *work);

#ifdef __cplusplus
}
#endif

#endif
