/* The layers of grok's models: plain forward/backward pairs over row-major arrays (after llm.c).
 *
 * Argument order: outputs, cache, inputs, weights, sizes. A forward writes (=) its outputs and
 * cache; a backward ACCUMULATES (+=) into every gradient it is given, and any gradient pointer
 * may be NULL when the caller does not need it. Nothing here allocates, so the training loop
 * runs without a malloc.
 *
 * Every layer exists twice with one contract: in float (the names below, used for training) and
 * in double (the same names with the suffix _f64, used by the gradient checks and the analyses).
 * Matrix products go through OpenBLAS (cblas_sgemm / cblas_dgemm).
 *
 * Owns: the layers' arithmetic only (lib/layers_f32.c, lib/layers_f64.c over lib/layers_impl.h);
 * no memory, no state. Calls: CBLAS (OpenBLAS), libm and simd.h's clones; no other grok module.
 * Called by the model's passes (lib/model_impl.h) and the gradient checks. */
#ifndef GROK_LAYERS_H
#define GROK_LAYERS_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdint.h>

/* relu, gelu, x² (quad), the identity (a linear network) and leaky ReLU with slope 0.1
 * (max(x, 0.1x), Musat's toy models). */
enum grok_act { GROK_ACT_RELU, GROK_ACT_GELU, GROK_ACT_QUAD, GROK_ACT_IDENTITY, GROK_ACT_LEAKY };

#define GROK_LEAKY_SLOPE 0.1   /* leaky ReLU's slope below 0 */

#define GROK_LN_EPS 1e-5   /* LayerNorm's epsilon, as PyTorch and TransformerLens */

/* The declarations of one instantiation; R is the real type, S the name suffix. */
#define GROK_LAYERS_DECLARE(R, S)                                                                \
    /* out (N,J) = inp (N,K) · w (K,J) + b (J); b may be NULL. */                                \
    void grok_linear_forward##S(R *out, const R *inp, const R *w, const R *b, int N, int K,     \
                                int J);                                                          \
    /* dinp (N,K) += dout·wᵀ;  dw (K,J) += inpᵀ·dout;  db (J) += Σ_n dout[n]. */                 \
    void grok_linear_backward##S(R *dinp, R *dw, R *db, const R *dout, const R *inp,            \
                                 const R *w, int N, int K, int J);                               \
    /* Per-head projection: out (N,H,E)[n][h][e] = Σ_d inp (N,D)[n][d] · w (H,D,E)[h][d][e]       \
     * + b (H,E)[h][e]; b may be NULL. TransformerLens's W_Q, W_K, W_V layout. */                \
    void grok_heads_forward##S(R *out, const R *inp, const R *w, const R *b, int N, int D,      \
                               int H, int E);                                                    \
    void grok_heads_backward##S(R *dinp, R *dw, R *db, const R *dout, const R *inp,             \
                                const R *w, int N, int D, int H, int E);                         \
    /* Token (and position) embedding: out (N,T,D)[n][t] = W_E (V,D)[tok[n][t]] + W_pos (T,D)[t]; \
     * W_pos may be NULL (then the rows are concatenated token embeddings). Token ids must be     \
     * in [0, V): the caller checks them. */                                                     \
    void grok_embed_forward##S(R *out, const int32_t *tok, const R *W_E, const R *W_pos, int N, \
                               int T, int D);                                                    \
    /* dW_E += scattered rows of dout; dW_pos (T,D) += Σ_n dout[n]. */                           \
    void grok_embed_backward##S(R *dW_E, R *dW_pos, const R *dout, const int32_t *tok, int N,   \
                                int T, int D);                                                   \
    /* LayerNorm over the last axis: out (N,D) = (inp − mean)·rstd·w + b, with the biased         \
     * variance and GROK_LN_EPS; mean (N) and rstd (N) are the cache for the backward. */        \
    void grok_layernorm_forward##S(R *out, R *mean, R *rstd, const R *inp, const R *w,          \
                                   const R *b, int N, int D);                                    \
    void grok_layernorm_backward##S(R *dinp, R *dw, R *db, const R *dout, const R *inp,         \
                                    const R *mean, const R *rstd, const R *w, int N, int D);     \
    /* Scaled dot-product attention of every head over B contexts of T positions, for the Tq    \
     * query positions q0 .. q0+Tq−1 of each context. Rows are H·E wide ([head][e]). The query   \
     * of context b at slot i is row qrow[b·Tq+i] of q; the key and value of its position j are   \
     * rows kvrow[b·T+j] of k and v; a NULL map is the dense layout (b·Tq+i, b·T+j). The maps   \
     * let the first layer read projections computed once per (token, position); the backward    \
     * adds into the same rows of dq, dk, dv (several contexts may share one). z (B·Tq, H·E)      \
     * dense; att (B,H,Tq,T) the softmax probabilities (cache), scores scaled by 1/√E; with       \
     * causal, position i attends to j ≤ i only (att = 0 beyond, which is all the backward needs  \
     * to know of the mask and of q0). */                                                        \
    void grok_attention_forward##S(R *z, R *att, const R *q, const R *k, const R *v,             \
                                   const int32_t *qrow, const int32_t *kvrow, int B, int T,      \
                                   int q0, int Tq, int H, int E, int causal);                    \
    void grok_attention_backward##S(R *dq, R *dk, R *dv, const R *dz, const R *att,             \
                                    const R *q, const R *k, const R *v, const int32_t *qrow,     \
                                    const int32_t *kvrow, int B, int T, int Tq, int H, int E);   \
    /* Elementwise activation over n values: ReLU, GELU (exact, with erf), or x². The backward   \
     * reads the forward's output too: GELU's Φ(x) is out/x, which saves an erf per value. */   \
    void grok_act_forward##S(R *out, const R *inp, long n, enum grok_act act);                  \
    void grok_act_backward##S(R *dinp, const R *dout, const R *inp, const R *out, long n,       \
                              enum grok_act act);                                                \
    /* Tangent passes (forward mode) and their reverse, for GrokAlign's regulariser: _jvp gives  \
     * the output's tangent (written, =) from the input's tangent inp_t at the forward's point   \
     * (its inp, out and cache); _jvp_backward takes the adjoints of the output (dout) and of its \
     * tangent (dout_t) and ADDS those of the input (dinp, second-order terms included), of the   \
     * input's tangent (dinp_t) and of the weights; the activation's dout may be NULL (a zero    \
     * adjoint). The attention's take the dense layout only                                      \
     * (query rows b·Tq+i, key rows b·T+j); att_t (B,H,Tq,T) is the tangent of att. */            \
    void grok_layernorm_jvp##S(R *out_t, const R *inp, const R *inp_t, const R *mean,          \
                               const R *rstd, const R *w, int N, int D);                         \
    void grok_layernorm_jvp_backward##S(R *dinp, R *dinp_t, R *dw, R *db, const R *dout,        \
                                        const R *dout_t, const R *inp, const R *inp_t,           \
                                        const R *mean, const R *rstd, const R *w, int N, int D); \
    void grok_act_jvp##S(R *out_t, const R *inp, const R *out, const R *inp_t, long n,         \
                         enum grok_act act);                                                     \
    void grok_act_jvp_backward##S(R *dinp, R *dinp_t, const R *dout, const R *dout_t,          \
                                  const R *inp, const R *out, const R *inp_t, long n,            \
                                  enum grok_act act);                                            \
    void grok_attention_jvp##S(R *z_t, R *att_t, const R *att, const R *q, const R *k,         \
                               const R *v, const R *q_t, const R *k_t, const R *v_t, int B,      \
                               int T, int Tq, int H, int E);                                     \
    void grok_attention_jvp_backward##S(R *dq, R *dk, R *dv, R *dq_t, R *dk_t, R *dv_t,        \
                                        const R *dz, const R *dz_t, const R *att,                \
                                        const R *att_t, const R *q, const R *k, const R *v,      \
                                        const R *q_t, const R *k_t, const R *v_t, int B, int T,  \
                                        int Tq, int H, int E);                                   \
    /* Cross-entropy of each row: losses (N)[n] = −log softmax(logits (N,C)[n])[y[n]], computed   \
     * in double. The backward adds dloss · (softmax(logits[n]) − onehot(y[n])) to dlogits[n]     \
     * (dloss = 1/N for the mean over the batch). */                                             \
    void grok_crossentropy_forward##S(double *losses, const R *logits, const int32_t *y, int N, \
                                      int C);                                                    \
    void grok_crossentropy_backward##S(R *dlogits, const R *logits, const int32_t *y,           \
                                       double dloss, int N, int C);                              \
    /* Both at once, with one exponential per logit: the training step's loss. */                 \
    void grok_crossentropy_forward_backward##S(double *losses, R *dlogits, const R *logits,     \
                                               const int32_t *y, double dloss, int N, int C);  \
    /* StableMax cross-entropy (Prieto et al. 2025): losses[n] = −log(s(x_y) / Σ_c s(x_c)) of    \
     * the row x = logits (N,C)[n], s(x) = x + 1 for x ≥ 0 and 1/(1 − x) below, in double. The    \
     * backward adds dloss · d(loss)/d(logits) (s'(x_c)/Σ s − [c = y] s'(x_y)/s(x_y)). */          \
    void grok_stablemax_forward##S(double *losses, const R *logits, const int32_t *y, int N,    \
                                   int C);                                                       \
    void grok_stablemax_backward##S(R *dlogits, const R *logits, const int32_t *y,              \
                                    double dloss, int N, int C);                                 \
    /* Squared error against the one-hot target, averaged over the C outputs (so that the mean   \
     * over rows is PyTorch's MSELoss): losses[n] = Σ_c (out[n][c] − [c = y[n]])² / C. The        \
     * backward adds dloss · 2 (out − onehot) / C. */                                            \
    void grok_mse_forward##S(double *losses, const R *out, const int32_t *y, int N, int C);     \
    void grok_mse_backward##S(R *dout, const R *out, const int32_t *y, double dloss, int N,     \
                              int C);                                                          \
    /* The same against real targets (N, C), for a regression: losses[n] = Σ_c (out − target)²   \
     * / C; the backward adds dloss · 2 (out − target) / C. */                                    \
    void grok_mse_target_forward##S(double *losses, const R *out, const R *target, int N, int C); \
    void grok_mse_target_backward##S(R *dout, const R *out, const R *target, double dloss, int N, \
                                     int C);

GROK_LAYERS_DECLARE(float, )
GROK_LAYERS_DECLARE(double, _f64)

#ifdef __cplusplus
}
#endif

#endif
