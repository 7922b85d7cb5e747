/* The layers of include/grok/layers.h, written once for both real types.
 *
 * The including file defines R (the real type), FN(name) (name with the instantiation's suffix)
 * and GEMM (cblas_sgemm or cblas_dgemm), then includes this file; each instantiation is its own
 * translation unit, so there is no include guard. The reductions and the transcendental functions
 * that feed them (softmax, LayerNorm's moments, the losses) run in double in both instantiations:
 * the float one is for speed in the matrix products, not for cutting corners in the statistics.
 * GELU is the exception: an elementwise function of one value, it runs in R (erff in float, as
 * PyTorch computes it), which is as exact as its float result and several times faster.
 *
 * Owns: the layers' code, no memory. Calls: CBLAS (GEMM), libm, simd.h; no other grok module.
 * Included by layers_f32.c and layers_f64.c only. */
#include <cblas.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

/* OpenBLAS's cblas.h includes <complex.h>, whose macro I (the imaginary unit) would replace the
 * parameter I of layers.h; nothing here uses complex numbers. */
#undef I

#include "grok/layers.h"
#include "simd.h"

#if !defined(R) || !defined(FN) || !defined(GEMM)
#error "define R, FN and GEMM before including layers_impl.h"
#endif

/* M_SQRT1_2 and friends are not in strict C11 with only _POSIX_C_SOURCE. */
#define GROK_SQRT1_2 0.70710678118654752440        /* 1/√2 */
#define GROK_INV_SQRT2PI 0.39894228040143267794    /* 1/√(2π), the normal density at 0 */

/* erf and exp in the instantiation's type (erff and expf for float). */
static R FN(real_erf)(R x) { return sizeof(R) == sizeof(float) ? erff((float)x) : (R)erf((double)x); }
static R FN(real_exp)(R x) { return sizeof(R) == sizeof(float) ? expf((float)x) : (R)exp((double)x); }

/* Fills the N rows of a (N, J) matrix with ldc-strided rows from a (J) vector, or with zeros. */
static void FN(fill_rows)(R *out, const R *b, int N, int J, int ldc)
{
    for (int n = 0; n < N; n++) {
        R *o = out + (size_t)n * ldc;
        for (int j = 0; j < J; j++)
            o[j] = b ? b[j] : 0;
    }
}

/* db (J) += the sum of the N ldd-strided rows of d. */
static void FN(sum_rows)(R *db, const R *d, int N, int J, int ldd)
{
    for (int n = 0; n < N; n++) {
        const R *r = d + (size_t)n * ldd;
        for (int j = 0; j < J; j++)
            db[j] += r[j];
    }
}

void FN(grok_linear_forward)(R *out, const R *inp, const R *w, const R *b, int N, int I, int J)
{
    if (N <= 0 || J <= 0)
        return;
    /* BLAS refuses a zero leading dimension, so an empty inner product only leaves the bias. */
    if (I <= 0 || b) {
        FN(fill_rows)(out, b, N, J, J);
        if (I <= 0)
            return;
    }
    GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, J, I, 1, inp, I, w, J, b ? 1 : 0, out, J);
}

void FN(grok_linear_backward)(R *dinp, R *dw, R *db, const R *dout, const R *inp, const R *w,
                              int N, int I, int J)
{
    if (N <= 0 || J <= 0)
        return;
    if (db)
        FN(sum_rows)(db, dout, N, J, J);
    if (I <= 0)
        return;
    if (dinp)
        GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, N, I, J, 1, dout, J, w, J, 1, dinp, I);
    if (dw)
        GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, I, J, N, 1, inp, I, dout, J, 1, dw, J);
}

/* Head h's (N, E) slice of out is a plain matrix with leading dimension H·E, so each head is one
 * GEMM written in place and the (N, H, E) layout needs no transpose afterwards. */
void FN(grok_heads_forward)(R *out, const R *inp, const R *w, const R *b, int N, int D, int H,
                            int E)
{
    if (N <= 0 || H <= 0 || E <= 0)
        return;
    int ldo = H * E;
    if (D <= 0 || b) {
        FN(fill_rows)(out, b, N, ldo, ldo);
        if (D <= 0)
            return;
    }
    for (int h = 0; h < H; h++)
        GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, E, D, 1, inp, D,
             w + (size_t)h * D * E, E, b ? 1 : 0, out + (size_t)h * E, ldo);
}

void FN(grok_heads_backward)(R *dinp, R *dw, R *db, const R *dout, const R *inp, const R *w,
                             int N, int D, int H, int E)
{
    if (N <= 0 || H <= 0 || E <= 0)
        return;
    int ldo = H * E;
    if (db)
        FN(sum_rows)(db, dout, N, ldo, ldo);
    if (D <= 0)
        return;
    for (int h = 0; h < H; h++) {
        const R *wh = w + (size_t)h * D * E;
        const R *dh = dout + (size_t)h * E;
        if (dinp)
            GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, N, D, E, 1, dh, ldo, wh, E, 1, dinp, D);
        if (dw)
            GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, D, E, N, 1, inp, D, dh, ldo, 1,
                 dw + (size_t)h * D * E, E);
    }
}

void FN(grok_embed_forward)(R *out, const int32_t *tok, const R *W_E, const R *W_pos, int N,
                            int T, int D)
{
    for (int n = 0; n < N; n++)
        for (int t = 0; t < T; t++) {
            size_t row = (size_t)n * T + t;
            R *o = out + row * D;
            const R *e = W_E + (size_t)tok[row] * D;
            const R *p = W_pos ? W_pos + (size_t)t * D : NULL;
            for (int d = 0; d < D; d++)
                o[d] = p ? e[d] + p[d] : e[d];
        }
}

void FN(grok_embed_backward)(R *dW_E, R *dW_pos, const R *dout, const int32_t *tok, int N,
                             int T, int D)
{
    for (int n = 0; n < N; n++)
        for (int t = 0; t < T; t++) {
            size_t row = (size_t)n * T + t;
            const R *g = dout + row * D;
            /* += rather than = : a token that appears twice gets both rows' gradients. */
            if (dW_E) {
                R *e = dW_E + (size_t)tok[row] * D;
                for (int d = 0; d < D; d++)
                    e[d] += g[d];
            }
            if (dW_pos) {
                R *p = dW_pos + (size_t)t * D;
                for (int d = 0; d < D; d++)
                    p[d] += g[d];
            }
        }
}

/* The reductions below keep four double partial sums: independent chains the CPU overlaps,
 * where one running sum waits on each add, in a fixed order, so that every run sums alike. The
 * four are the lanes of two two-double vectors (sums 0 and 1, sums 2 and 3), written with GCC's
 * vector types because the compiler left the scalar form (s0 += a[e], s1 += a[e + 1], ...)
 * unvectorised: a convert, a multiply and an add per element, one at a time. Two doubles are
 * the baseline's (SSE2) vector; four, one AVX register, were spilled to the stack there. Each
 * lane does what its scalar sum did, in the same order (no fused multiply-add in ISO C mode),
 * so the sums are bit for bit the same. */
typedef double grok_v2d __attribute__((vector_size(16)));

/* x[0], x[1] as doubles, without assuming the vector type's alignment. */
#define LOAD2(x) ((grok_v2d){(x)[0], (x)[1]})

/* (s0 + s1) + (s2 + s3), the order in which the four partial sums meet. */
#define FOLD4(s01, s0, s23) (((s0) + (s01)[1]) + ((s23)[0] + (s23)[1]))

static inline double FN(dot)(const R *a, const R *b, int E)
{
    grok_v2d s01 = {0}, s23 = {0};
    int e = 0;
    for (; e + 4 <= E; e += 4) {
        s01 += LOAD2(a + e) * LOAD2(b + e);
        s23 += LOAD2(a + e + 2) * LOAD2(b + e + 2);
    }
    double s0 = s01[0];
    for (; e < E; e++)
        s0 += (double)a[e] * b[e];
    return FOLD4(s01, s0, s23);
}

/* Σ x and Σ (x − m)², four partial sums each (see dot). */
static inline double FN(sum)(const R *x, int D)
{
    grok_v2d s01 = {0}, s23 = {0};
    int d = 0;
    for (; d + 4 <= D; d += 4) {
        s01 += LOAD2(x + d);
        s23 += LOAD2(x + d + 2);
    }
    double s0 = s01[0];
    for (; d < D; d++)
        s0 += x[d];
    return FOLD4(s01, s0, s23);
}

static inline double FN(sum_sq_dev)(const R *x, double m, int D)
{
    grok_v2d s01 = {0}, s23 = {0};
    int d = 0;
    for (; d + 4 <= D; d += 4) {
        grok_v2d c01 = LOAD2(x + d) - m, c23 = LOAD2(x + d + 2) - m;
        s01 += c01 * c01;
        s23 += c23 * c23;
    }
    double s0 = s01[0];
    for (; d < D; d++)
        s0 += (x[d] - m) * (x[d] - m);
    return FOLD4(s01, s0, s23);
}

SIMD_CLONES
void FN(grok_layernorm_forward)(R *out, R *mean, R *rstd, const R *inp, const R *w, const R *b,
                                int N, int D)
{
    for (int n = 0; n < N; n++) {
        const R *x = inp + (size_t)n * D;
        R *o = out + (size_t)n * D;
        double m = FN(sum)(x, D) / D;
        /* Two passes rather than E[x²] − E[x]², which cancels badly when the mean is large. */
        double v = FN(sum_sq_dev)(x, m, D) / D;
        double s = 1 / sqrt(v + GROK_LN_EPS);
        for (int d = 0; d < D; d++)
            o[d] = (R)((x[d] - m) * s * w[d] + b[d]);
        mean[n] = (R)m;
        rstd[n] = (R)s;
    }
}

SIMD_CLONES
void FN(grok_layernorm_backward)(R *dinp, R *dw, R *db, const R *dout, const R *inp,
                                 const R *mean, const R *rstd, const R *w, int N, int D)
{
    for (int n = 0; n < N; n++) {
        const R *x = inp + (size_t)n * D;
        const R *g = dout + (size_t)n * D;
        double m = mean[n], s = rstd[n];
        if (dinp) {
            /* The mean and the variance both depend on every input, hence the two row means. */
            /* four partial sums each, as in dot */
            grok_v2d mg01 = {0}, mg23 = {0}, mgx01 = {0}, mgx23 = {0};
            int d = 0;
            for (; d + 4 <= D; d += 4) {
                grok_v2d dxhat01 = LOAD2(g + d) * LOAD2(w + d);
                grok_v2d dxhat23 = LOAD2(g + d + 2) * LOAD2(w + d + 2);
                mg01 += dxhat01;
                mg23 += dxhat23;
                mgx01 += dxhat01 * (LOAD2(x + d) - m) * s;
                mgx23 += dxhat23 * (LOAD2(x + d + 2) - m) * s;
            }
            double mg0 = mg01[0], mgx0 = mgx01[0];
            for (; d < D; d++) {
                double dxhat = (double)g[d] * w[d];
                mg0 += dxhat;
                mgx0 += dxhat * (x[d] - m) * s;
            }
            double mg = FOLD4(mg01, mg0, mg23) / D;
            double mgx = FOLD4(mgx01, mgx0, mgx23) / D;
            R *di = dinp + (size_t)n * D;
            for (d = 0; d < D; d++) {
                double xhat = (x[d] - m) * s;
                di[d] += (R)(s * ((double)g[d] * w[d] - mg - xhat * mgx));
            }
        }
        if (dw)
            for (int d = 0; d < D; d++)
                dw[d] += (R)(g[d] * (x[d] - m) * s);
        if (db)
            for (int d = 0; d < D; d++)
                db[d] += g[d];
    }
}



/* The row of a mapped array: map[i] when there is a map, i otherwise. */
static size_t FN(row)(const int32_t *map, size_t i) { return map ? (size_t)map[i] : i; }

void FN(grok_attention_forward)(R *z, R *att, const R *q, const R *k, const R *v,
                                const int32_t *qrow, const int32_t *kvrow, int B, int T, int q0,
                                int Tq, int H, int E, int causal)
{
    double scale = 1 / sqrt((double)E);
    size_t ld = (size_t)H * E;
    double s[T > 0 ? T : 1];   /* one row of scores; T is a context length, a handful */
    for (int b = 0; b < B; b++)
        for (int i = 0; i < Tq; i++) {
            size_t slot = (size_t)b * Tq + i;
            const R *qi = q + FN(row)(qrow, slot) * ld;
            R *zi = z + slot * ld;
            int J = causal ? q0 + i + 1 : T;
            for (int h = 0; h < H; h++) {
                R *a = att + (((size_t)b * H + h) * Tq + i) * T;
                double mx = -INFINITY, sum = 0;
                for (int j = 0; j < J; j++) {
                    s[j] = FN(dot)(qi + h * E, k + FN(row)(kvrow, (size_t)b * T + j) * ld + h * E, E) * scale;
                    mx = s[j] > mx ? s[j] : mx;
                }
                for (int j = 0; j < J; j++) {
                    s[j] = exp(s[j] - mx);
                    sum += s[j];
                }
                /* Exactly zero beyond J, so that the backward, which does not know `causal`,
                 * skips those positions. */
                for (int j = 0; j < T; j++)
                    a[j] = j < J ? (R)(s[j] / sum) : 0;
                R *zh = zi + h * E;
                for (int e = 0; e < E; e++)
                    zh[e] = 0;
                for (int j = 0; j < J; j++) {
                    const R *vj = v + FN(row)(kvrow, (size_t)b * T + j) * ld + h * E;
                    R aj = a[j];
                    for (int e = 0; e < E; e++)
                        zh[e] += aj * vj[e];
                }
            }
        }
}

SIMD_CLONES
void FN(grok_attention_backward)(R *dq, R *dk, R *dv, const R *dz, const R *att, const R *q,
                                 const R *k, const R *v, const int32_t *qrow,
                                 const int32_t *kvrow, int B, int T, int Tq, int H, int E)
{
    double scale = 1 / sqrt((double)E);
    size_t ld = (size_t)H * E;
    double datt[T > 0 ? T : 1];   /* one row's dz·v, a handful */
    for (int b = 0; b < B; b++)
        for (int i = 0; i < Tq; i++) {
            size_t slot = (size_t)b * Tq + i, oi = FN(row)(qrow, slot) * ld;
            const R *dzi = dz + slot * ld;
            for (int h = 0; h < H; h++) {
                const R *a = att + (((size_t)b * H + h) * Tq + i) * T;
                const R *dzh = dzi + h * E;
                /* The softmax's Jacobian needs Σ_j att·datt over the row before any dscore. */
                double adatt = 0;
                if (dq || dk)
                    for (int j = 0; j < T; j++)
                        if (a[j] != 0) {
                            datt[j] = FN(dot)(dzh, v + FN(row)(kvrow, (size_t)b * T + j) * ld + h * E, E);
                            adatt += a[j] * datt[j];
                        }
                for (int j = 0; j < T; j++) {
                    if (a[j] == 0)   /* masked (or underflowed): contributes nothing */
                        continue;
                    size_t oj = FN(row)(kvrow, (size_t)b * T + j) * ld + h * E;
                    R aj = a[j];
                    if (dv)
                        for (int e = 0; e < E; e++)
                            dv[oj + e] += aj * dzh[e];
                    if (!dq && !dk)
                        continue;
                    double ds = aj * (datt[j] - adatt) * scale;
                    if (dq)
                        for (int e = 0; e < E; e++)
                            dq[oi + h * E + e] += (R)(ds * k[oj + e]);
                    if (dk)
                        for (int e = 0; e < E; e++)
                            dk[oj + e] += (R)(ds * q[oi + h * E + e]);
                }
            }
        }
}

/* exp(−x²/2) in float, written out because expf is a call per value that does not vectorise
 * and cost as much as the rest of GELU: 2^−y with y = log2(e)·x²/2 split into its integer part
 * n, applied through the exponent bits, and 2^−f = 2^−½·e^g, g = (½ − f)·ln 2 ∈ [−0.35, 0.35],
 * by its Taylor series to g⁷ (truncation below 6e-9). The relative error grows with y as
 * float's rounding of y does, but the value shrinks faster: its absolute error stays below
 * 1e-8. x²/2 is capped at 87, where the true value has left float's normal range (it reads
 * 2^−125.5 there, a term far below rounding wherever it is used). */
#define GAUSS_CAP_BITS 0x42ae0000u   /* 87.0f */
SIMD_CLONES
static void FN(gauss_exp_fast)(R *restrict e, const R *restrict x, long m)
{
    for (long i = 0; i < m; i++) {
        /* The cap as an unsigned minimum of the bits, which GCC vectorises in the AVX2 clone
         * (it leaves a float select there as a branch): h is +0 or more, where the bits order
         * as the values do, or NaN, whose bits compare above the cap's either way, as
         * h < 87 is false for it. */
        float h = 0.5f * (float)x[i] * (float)x[i];
        uint32_t hb;
        memcpy(&hb, &h, sizeof hb);
        hb = hb < GAUSS_CAP_BITS ? hb : GAUSS_CAP_BITS;
        memcpy(&h, &hb, sizeof h);
        float y = h * 1.44269504f;
        int n = (int)y;   /* y ≥ 0: truncation is the floor */
        float g = (0.5f - (y - (float)n)) * 0.693147181f;
        float p = 1 + g * (1 + g * (1.0f / 2 + g * (1.0f / 6 + g * (1.0f / 24 + g * (1.0f / 120 +
                  g * (1.0f / 720 + g * (1.0f / 5040)))))));
        int32_t bits = (127 - n) << 23;
        float scale;
        memcpy(&scale, &bits, sizeof scale);
        e[i] = (R)(p * 0.707106781f * scale);
    }
}

/* exp(−x²/2) of m ≤ GELU_CHUNK values, in a pass of its own (a call per value, which would stop
 * the surrounding arithmetic from vectorising). Beyond |x| = 13 (37 in double) it underflows
 * R's normal range and is taken as 0: exp's slow underflow path would cost more than the whole
 * loop for a term below rounding. */
#define GELU_CHUNK 256
static void FN(gauss_exp)(R *e, const R *x, long m)
{
    if (sizeof(R) == sizeof(float)) {
        FN(gauss_exp_fast)(e, x, m);
        return;
    }
    for (long i = 0; i < m; i++)
        e[i] = x[i] < 37 && x[i] > -37 ? FN(real_exp)((R)-0.5 * x[i] * x[i]) : 0;
}

/* GELU in float. glibc's erff takes ~15 ns a value and does not vectorise: it made GELU a fifth
 * of a small transformer's step. This is Abramowitz & Stegun 7.1.26 instead, erf(z) =
 * 1 − t·P(t)·exp(−z²) with t = 1/(1 + p·z), |error| ≤ 1.5e-7 (the formula of PyTorch's own
 * vectorised CPU GELU), exp(−z²) = exp(−x²/2) from gauss_exp; against libm in double the
 * result is within 3e-7 (t-layers). The double instantiation keeps libm's erf, for the
 * gradient checks. */
SIMD_CLONES
static void FN(gelu_forward_fast)(R *out, const R *inp, long n)
{
    const float p = 0.3275911f, a1 = 0.254829592f, a2 = -0.284496736f, a3 = 1.421413741f,
                a4 = -1.453152027f, a5 = 1.061405429f;
    for (long at = 0; at < n; at += GELU_CHUNK) {
        long m = n - at < GELU_CHUNK ? n - at : GELU_CHUNK;
        R e[GELU_CHUNK];
        FN(gauss_exp)(e, inp + at, m);
        for (long i = 0; i < m; i++) {
            float x = (float)inp[at + i], z = (x < 0 ? -x : x) * (float)GROK_SQRT1_2;
            float t = 1 / (1 + p * z);
            float erf_abs = 1 - t * (a1 + t * (a2 + t * (a3 + t * (a4 + t * a5)))) * (float)e[i];
            out[at + i] = (R)(0.5f * x * (1 + (x < 0 ? -erf_abs : erf_abs)));
        }
    }
}

SIMD_CLONES
void FN(grok_act_forward)(R *out, const R *inp, long n, enum grok_act act)
{
    switch (act) {
    case GROK_ACT_RELU:
        /* NaN passes through, as in PyTorch, so that a diverged model's loss is NaN */
        for (long i = 0; i < n; i++) {
            R x = inp[i];
            out[i] = x < 0 ? 0 : x;
        }
        break;
    case GROK_ACT_GELU:
        if (sizeof(R) == sizeof(float)) {
            FN(gelu_forward_fast)(out, inp, n);
            break;
        }
        for (long i = 0; i < n; i++) {
            R x = inp[i];
            out[i] = (R)0.5 * x * (1 + FN(real_erf)(x * (R)GROK_SQRT1_2));
        }
        break;
    case GROK_ACT_QUAD:
        for (long i = 0; i < n; i++)
            out[i] = inp[i] * inp[i];
        break;
    case GROK_ACT_IDENTITY:
        if (out != inp)
            memmove(out, inp, (size_t)n * sizeof *out);
        break;
    case GROK_ACT_LEAKY:
        for (long i = 0; i < n; i++) {
            R x = inp[i];
            out[i] = x < 0 ? (R)GROK_LEAKY_SLOPE * x : x;
        }
        break;
    }
}

SIMD_CLONES
void FN(grok_act_backward)(R *dinp, const R *dout, const R *inp, const R *out, long n,
                           enum grok_act act)
{
    if (!dinp)
        return;
    switch (act) {
    case GROK_ACT_RELU:
        /* The subgradient at 0 is taken as 0, as PyTorch does. */
        for (long i = 0; i < n; i++) {
            R d = dout[i];   /* read unconditionally, so that the select vectorises */
            dinp[i] += inp[i] > 0 ? d : 0;
        }
        break;
    case GROK_ACT_GELU:
        for (long at = 0; at < n; at += GELU_CHUNK) {
            /* out = x·Φ(x), so Φ(x) = out/x: no second erf. Near 0, where the quotient loses
             * its digits, Φ is 1/2 to well below rounding. */
            long m = n - at < GELU_CHUNK ? n - at : GELU_CHUNK;
            R e[GELU_CHUNK];
            FN(gauss_exp)(e, inp + at, m);
            for (long i = 0; i < m; i++) {
                R x = inp[at + i];
                R ax = x < 0 ? -x : x;
                /* a divisor that cannot be 0 lets the division run on every lane */
                R q = out[at + i] / (ax < (R)1e-20 ? (R)1 : x);
                R cdf = ax < (R)1e-20 ? (R)0.5 : q;
                dinp[at + i] += dout[at + i] * (cdf + x * e[i] * (R)GROK_INV_SQRT2PI);
            }
        }
        break;
    case GROK_ACT_QUAD:
        for (long i = 0; i < n; i++)
            dinp[i] += 2 * inp[i] * dout[i];
        break;
    case GROK_ACT_IDENTITY:
        for (long i = 0; i < n; i++)
            dinp[i] += dout[i];
        break;
    case GROK_ACT_LEAKY:
        /* the slope below 0, and at 0 itself (PyTorch's leaky_relu takes x > 0 as the test) */
        for (long i = 0; i < n; i++) {
            R d = dout[i];
            dinp[i] += inp[i] > 0 ? d : (R)GROK_LEAKY_SLOPE * d;
        }
        break;
    }
}

/* glibc's vector exp (libmvec, which -lm brings in): declared a SIMD function, as glibc's own
 * math.h declares it only under -ffast-math, so that GCC turns a loop of exp calls into calls
 * on 2 or 4 doubles at once (SSE2 or the AVX2 clone). The softmax's exponentials were a twentieth
 * of the MLP's training step one call at a time. libmvec's exp is within 4 ulp in double, far
 * below the float that the gradient is rounded to. */
#if defined(__x86_64__) && defined(__GLIBC__) && defined(__has_attribute)
#if __has_attribute(simd)
double exp(double) __attribute__((simd("notinbranch")));
#endif
#endif

/* e[c] = exp(x[c] − max x) for a row of C values; returns their sum, the maximum in *mx. The
 * sum's four running parts keep the additions off one chain of latencies (and let the exp loop
 * stand alone, vectorised). */
static inline double FN(shifted_exp)(double *e, double *max, const R *x, int C)
{
    R lane[8];   /* eight running maxima, a vector's worth: a maximum is the same in any order */
    for (int k = 0; k < 8; k++)
        lane[k] = -INFINITY;
    int c8 = C / 8 * 8;
    for (int c = 0; c < c8; c += 8)
        for (int k = 0; k < 8; k++)
            lane[k] = x[c + k] > lane[k] ? x[c + k] : lane[k];
    double mx = -INFINITY;
    for (int k = 0; k < 8; k++)
        mx = lane[k] > mx ? lane[k] : mx;
    for (int c = c8; c < C; c++)
        mx = x[c] > mx ? x[c] : mx;
    for (int c = 0; c < C; c++)
        e[c] = exp((double)x[c] - mx);
    double part[4] = {0, 0, 0, 0};
    int c = 0;
    for (; c + 4 <= C; c += 4)
        for (int k = 0; k < 4; k++)
            part[k] += e[c + k];
    double sum = (part[0] + part[1]) + (part[2] + part[3]);
    for (; c < C; c++)
        sum += e[c];
    *max = mx;
    return sum;
}

SIMD_CLONES
void FN(grok_crossentropy_forward)(double *losses, const R *logits, const int32_t *y, int N,
                                   int C)
{
    double e[C > 0 ? C : 1];   /* one row's exponentials, C ≤ GROK_P_MAX + 2 */
    for (int n = 0; n < N; n++) {
        const R *x = logits + (size_t)n * C;
        double mx, sum = FN(shifted_exp)(e, &mx, x, C);
        losses[n] = mx + log(sum) - x[y[n]];
    }
}

SIMD_CLONES
void FN(grok_crossentropy_backward)(R *dlogits, const R *logits, const int32_t *y, double dloss,
                                    int N, int C)
{
    if (!dlogits)
        return;
    double e[C > 0 ? C : 1];
    for (int n = 0; n < N; n++) {
        const R *x = logits + (size_t)n * C;
        R *g = dlogits + (size_t)n * C;
        double mx, sum = FN(shifted_exp)(e, &mx, x, C), inv = 1 / sum;
        for (int c = 0; c < C; c++)
            g[c] += (R)(dloss * (e[c] * inv - (c == y[n])));
    }
}

SIMD_CLONES
void FN(grok_crossentropy_forward_backward)(double *losses, R *dlogits, const R *logits,
                                            const int32_t *y, double dloss, int N, int C)
{
    double e[C > 0 ? C : 1];
    for (int n = 0; n < N; n++) {
        const R *x = logits + (size_t)n * C;
        R *g = dlogits + (size_t)n * C;
        double mx, sum = FN(shifted_exp)(e, &mx, x, C), inv = 1 / sum;
        losses[n] = mx + log(sum) - x[y[n]];
        for (int c = 0; c < C; c++)   /* a product, not a quotient: a division per value is slow */
            g[c] += (R)(dloss * (e[c] * inv - (c == y[n])));
    }
}

/* StableMax (Prieto et al. 2025): s(x) = x + 1 for x ≥ 0, 1/(1 − x) below, and the loss
 * −log(s(x_y) / Σ_c s(x_c)) = log1p(r / s(x_y)) with r = Σ_{c ≠ y} s(x_c). Every s is positive
 * and at most |x| + 1, so for any float logit the sums neither overflow nor cancel in double, and
 * no shift by the maximum is needed; log1p of the ratio keeps a near-zero loss's digits (the
 * difference log Σ s − log s(x_y) would be two equal large logarithms, or below 0 by an ulp). */
static inline double FN(stablemax_s)(double x) { return x >= 0 ? x + 1 : 1 / (1 - x); }

/* r, the sum of s over the row's other outputs, and s(x_y) in *sy. */
static inline double FN(stablemax_rest)(double *sy, const R *x, int y, int C)
{
    double rest = 0;
    for (int c = 0; c < C; c++)
        rest += c == y ? 0 : FN(stablemax_s)(x[c]);
    *sy = FN(stablemax_s)(x[y]);
    return rest;
}

void FN(grok_stablemax_forward)(double *losses, const R *logits, const int32_t *y, int N, int C)
{
    for (int n = 0; n < N; n++) {
        double sy, rest = FN(stablemax_rest)(&sy, logits + (size_t)n * C, y[n], C);
        losses[n] = log1p(rest / sy);
    }
}

/* d/dx_c = s'(x_c)/Σ s for c ≠ y, with s' = 1 above 0 and s² below; for the answer
 * s'(x_y)/Σ s − s'(x_y)/s(x_y) = −(s'(x_y)/s(x_y)) · r/Σ s, written so that the two nearly equal
 * terms of a confident answer are never subtracted (s'/s is 1/(1 + x) above 0, 1/(1 − x) below). */
void FN(grok_stablemax_backward)(R *dlogits, const R *logits, const int32_t *y, double dloss,
                                 int N, int C)
{
    if (!dlogits)
        return;
    for (int n = 0; n < N; n++) {
        const R *x = logits + (size_t)n * C;
        R *g = dlogits + (size_t)n * C;
        double sy, rest = FN(stablemax_rest)(&sy, x, y[n], C), inv = 1 / (rest + sy);
        double xy = x[y[n]], dlog_sy = xy >= 0 ? 1 / (1 + xy) : 1 / (1 - xy);
        for (int c = 0; c < C; c++) {
            double s = FN(stablemax_s)(x[c]), ds = x[c] >= 0 ? 1 : s * s;
            g[c] += (R)(dloss * (c == y[n] ? -dlog_sy * rest * inv : ds * inv));
        }
    }
}

void FN(grok_mse_forward)(double *losses, const R *out, const int32_t *y, int N, int C)
{
    for (int n = 0; n < N; n++) {
        const R *o = out + (size_t)n * C;
        double s = 0;
        for (int c = 0; c < C; c++) {
            double e = o[c] - (double)(c == y[n]);
            s += e * e;
        }
        losses[n] = s / C;
    }
}

void FN(grok_mse_backward)(R *dout, const R *out, const int32_t *y, double dloss, int N, int C)
{
    if (!dout)
        return;
    for (int n = 0; n < N; n++) {
        const R *o = out + (size_t)n * C;
        R *g = dout + (size_t)n * C;
        for (int c = 0; c < C; c++)
            g[c] += (R)(dloss * 2 * (o[c] - (double)(c == y[n])) / C);
    }
}

void FN(grok_mse_target_forward)(double *losses, const R *out, const R *target, int N, int C)
{
    for (int n = 0; n < N; n++) {
        double s = 0;
        for (int c = 0; c < C; c++) {
            size_t at = (size_t)n * C + c;
            double e = (double)out[at] - (double)target[at];
            s += e * e;
        }
        losses[n] = s / C;
    }
}

void FN(grok_mse_target_backward)(R *dout, const R *out, const R *target, double dloss, int N, int C)
{
    if (!dout)
        return;
    for (size_t at = 0; at < (size_t)N * C; at++)
        dout[at] += (R)(dloss * 2 * ((double)out[at] - (double)target[at]) / C);
}

/* ---- tangent passes and their reverse (GrokAlign's regulariser, model_jac_impl.h) ----
 *
 * A tangent pass carries, beside a layer's input x, a direction ẋ of it, and gives the
 * direction of the output, ẏ = (∂y/∂x) ẋ, at the point x (forward-mode differentiation). The
 * paired backward takes the adjoints of the output and of its tangent and adds those of the
 * input, of the input's tangent and of the weights: ẏ depends on x and the weights, not only
 * on ẋ, so the input's and the weights' adjoints get second-order terms. Linear maps need no
 * function of their own: their tangent is the map without its bias, and their reverse is the
 * backward applied twice (the output's adjoint at x, the tangent's at ẋ, both into dw). */

/* out = P (v ⊙ scale_by) (scale_by NULL: P v), P = I − 11ᵀ/D − x̂x̂ᵀ/D. The normalised row
 * x̂ = (x − m)s has the Jacobian s·P, which is symmetric: the one helper serves the tangent
 * (s P ẋ) and the backward (s P g). */
static void FN(ln_project)(double *out, const R *v, const R *scale_by, const double *xhat,
                           int D)
{
    double mv = 0, mxv = 0;
    for (int d = 0; d < D; d++) {
        double t = scale_by ? (double)v[d] * scale_by[d] : v[d];
        out[d] = t;
        mv += t;
        mxv += t * xhat[d];
    }
    mv /= D;
    mxv /= D;
    for (int d = 0; d < D; d++)
        out[d] = out[d] - mv - xhat[d] * mxv;
}

void FN(grok_layernorm_jvp)(R *out_t, const R *inp, const R *inp_t, const R *mean,
                            const R *rstd, const R *w, int N, int D)
{
    double xhat[D > 0 ? D : 1], p[D > 0 ? D : 1];
    for (int n = 0; n < N; n++) {
        const R *x = inp + (size_t)n * D;
        double m = mean[n], s = rstd[n];
        for (int d = 0; d < D; d++)
            xhat[d] = (x[d] - m) * s;
        FN(ln_project)(p, inp_t + (size_t)n * D, NULL, xhat, D);
        R *o = out_t + (size_t)n * D;
        for (int d = 0; d < D; d++)
            o[d] = (R)(s * p[d] * w[d]);
    }
}

/* With g = w ⊙ dout_t and φ = gᵀ ẋ̂ (the tangent's adjoint read back as a function of x):
 * ∂φ/∂x = −(sφ/D) x̂ − s²·mean(x̂ ẋ)·P g − (s²·gᵀx̂/D)·P ẋ, P v = v − mean(v) − x̂ mean(x̂ v). */
void FN(grok_layernorm_jvp_backward)(R *dinp, R *dinp_t, R *dw, R *db, const R *dout,
                                     const R *dout_t, const R *inp, const R *inp_t,
                                     const R *mean, const R *rstd, const R *w, int N, int D)
{
    double xhat[D > 0 ? D : 1], pg[D > 0 ? D : 1], pdx[D > 0 ? D : 1], px[D > 0 ? D : 1];
    for (int n = 0; n < N; n++) {
        const R *x = inp + (size_t)n * D, *xt = inp_t + (size_t)n * D;
        const R *g = dout + (size_t)n * D, *gt = dout_t + (size_t)n * D;
        double m = mean[n], s = rstd[n];
        for (int d = 0; d < D; d++)
            xhat[d] = (x[d] - m) * s;
        FN(ln_project)(px, g, w, xhat, D);       /* P (w ⊙ dout) */
        FN(ln_project)(pg, gt, w, xhat, D);      /* P (w ⊙ dout_t) */
        FN(ln_project)(pdx, xt, NULL, xhat, D);  /* P ẋ, ẋ̂ = s P ẋ */
        double phi = 0, gx = 0, bx = 0;
        for (int d = 0; d < D; d++) {
            double gd = (double)gt[d] * w[d];
            phi += gd * s * pdx[d];
            gx += gd * xhat[d];
            bx += xhat[d] * xt[d];
        }
        bx /= D;
        R *di = dinp + (size_t)n * D, *dit = dinp_t + (size_t)n * D;
        for (int d = 0; d < D; d++) {
            double second = -(s * phi / D) * xhat[d] - s * s * bx * pg[d] - (s * s * gx / D) * pdx[d];
            di[d] += (R)(s * px[d] + second);
            dit[d] += (R)(s * pg[d]);
        }
        if (dw)
            for (int d = 0; d < D; d++)
                dw[d] += (R)(g[d] * xhat[d] + gt[d] * s * pdx[d]);
        if (db)
            for (int d = 0; d < D; d++)
                db[d] += g[d];
    }
}

void FN(grok_act_jvp)(R *out_t, const R *inp, const R *out, const R *inp_t, long n,
                      enum grok_act act)
{
    memset(out_t, 0, (size_t)n * sizeof *out_t);
    FN(grok_act_backward)(out_t, inp_t, inp, out, n, act);   /* σ'(x) ẋ: elementwise, as dx */
}

/* σ'' of ReLU, leaky ReLU and the identity is 0 (almost everywhere), of x² 2, of GELU
 * φ(x)(2 − x²). */
void FN(grok_act_jvp_backward)(R *dinp, R *dinp_t, const R *dout, const R *dout_t,
                               const R *inp, const R *out, const R *inp_t, long n,
                               enum grok_act act)
{
    if (dout)
        FN(grok_act_backward)(dinp, dout, inp, out, n, act);
    FN(grok_act_backward)(dinp_t, dout_t, inp, out, n, act);
    if (act == GROK_ACT_QUAD)
        for (long i = 0; i < n; i++)
            dinp[i] += 2 * inp_t[i] * dout_t[i];
    if (act == GROK_ACT_GELU)
        for (long i = 0; i < n; i++) {
            double x = inp[i];
            double phi = x < 37 && x > -37 ? exp(-0.5 * x * x) * GROK_INV_SQRT2PI : 0;
            dinp[i] += (R)(phi * (2 - x * x) * inp_t[i] * dout_t[i]);
        }
}

/* ṡ_j = (q̇·k_j + q·k̇_j)/√E, Ȧ_j = A_j (ṡ_j − Σ_l A_l ṡ_l), ż = Σ_j Ȧ_j v_j + A_j v̇_j. */
void FN(grok_attention_jvp)(R *z_t, R *att_t, const R *att, const R *q, const R *k, const R *v,
                            const R *q_t, const R *k_t, const R *v_t, int B, int T, int Tq,
                            int H, int E)
{
    double scale = 1 / sqrt((double)E);
    size_t ld = (size_t)H * E;
    double sd[T > 0 ? T : 1];
    for (int b = 0; b < B; b++)
        for (int i = 0; i < Tq; i++) {
            size_t slot = (size_t)b * Tq + i;
            for (int h = 0; h < H; h++) {
                const R *a = att + (((size_t)b * H + h) * Tq + i) * T;
                R *at = att_t + (((size_t)b * H + h) * Tq + i) * T;
                const R *qi = q + slot * ld + h * E, *qti = q_t + slot * ld + h * E;
                double asd = 0;
                for (int j = 0; j < T; j++) {
                    size_t oj = ((size_t)b * T + j) * ld + h * E;
                    sd[j] = a[j] != 0 ? (FN(dot)(qti, k + oj, E) + FN(dot)(qi, k_t + oj, E)) * scale : 0;
                    asd += a[j] * sd[j];
                }
                R *zt = z_t + slot * ld + h * E;
                for (int e = 0; e < E; e++)
                    zt[e] = 0;
                for (int j = 0; j < T; j++) {
                    at[j] = (R)(a[j] * (sd[j] - asd));
                    if (a[j] == 0)
                        continue;
                    size_t oj = ((size_t)b * T + j) * ld + h * E;
                    for (int e = 0; e < E; e++)
                        zt[e] += at[j] * v[oj + e] + a[j] * v_t[oj + e];
                }
            }
        }
}

/* The reverse of the attention and its tangent together (B·Tq dense query rows, B·T keys):
 * Ǡ_j = τ_z·v_j; Ā_j = z̄·v_j + τ_z·v̇_j + Ǡ_j (ṡ_j − A·ṡ) − ṡ_j (A·Ǡ); the scores' adjoints
 * s̄ = A ⊙ (Ā − A·Ā) and ṡ̄ = A ⊙ (Ǡ − A·Ǡ); then ṡ's and s's bilinear forms in q and k. */
void FN(grok_attention_jvp_backward)(R *dq, R *dk, R *dv, R *dq_t, R *dk_t, R *dv_t,
                                     const R *dz, const R *dz_t, const R *att, const R *att_t,
                                     const R *q, const R *k, const R *v, const R *q_t,
                                     const R *k_t, const R *v_t, int B, int T, int Tq, int H,
                                     int E)
{
    double scale = 1 / sqrt((double)E);
    size_t ld = (size_t)H * E;
    double sd[T > 0 ? T : 1], abar[T > 0 ? T : 1], atbar[T > 0 ? T : 1];
    for (int b = 0; b < B; b++)
        for (int i = 0; i < Tq; i++) {
            size_t slot = (size_t)b * Tq + i;
            for (int h = 0; h < H; h++) {
                const R *a = att + (((size_t)b * H + h) * Tq + i) * T;
                const R *at = att_t + (((size_t)b * H + h) * Tq + i) * T;
                size_t oi = slot * ld + h * E;
                const R *dzh = dz + oi, *dzth = dz_t + oi;
                double asd = 0, aatb = 0;
                for (int j = 0; j < T; j++) {
                    if (a[j] == 0)
                        continue;
                    size_t oj = ((size_t)b * T + j) * ld + h * E;
                    sd[j] = (FN(dot)(q_t + oi, k + oj, E) + FN(dot)(q + oi, k_t + oj, E)) * scale;
                    asd += a[j] * sd[j];
                    atbar[j] = FN(dot)(dzth, v + oj, E);
                    aatb += a[j] * atbar[j];
                }
                double aab = 0;
                for (int j = 0; j < T; j++) {
                    if (a[j] == 0)
                        continue;
                    size_t oj = ((size_t)b * T + j) * ld + h * E;
                    abar[j] = FN(dot)(dzh, v + oj, E) + FN(dot)(dzth, v_t + oj, E) +
                              atbar[j] * (sd[j] - asd) - sd[j] * aatb;
                    aab += a[j] * abar[j];
                }
                for (int j = 0; j < T; j++) {
                    if (a[j] == 0)
                        continue;
                    size_t oj = ((size_t)b * T + j) * ld + h * E;
                    double sbar = a[j] * (abar[j] - aab) * scale;
                    double stbar = a[j] * (atbar[j] - aatb) * scale;
                    for (int e = 0; e < E; e++) {
                        dv[oj + e] += (R)(a[j] * dzh[e] + at[j] * dzth[e]);
                        dv_t[oj + e] += (R)(a[j] * dzth[e]);
                        dq[oi + e] += (R)(sbar * k[oj + e] + stbar * k_t[oj + e]);
                        dk[oj + e] += (R)(sbar * q[oi + e] + stbar * q_t[oi + e]);
                        dq_t[oi + e] += (R)(stbar * k[oj + e]);
                        dk_t[oj + e] += (R)(stbar * q[oi + e]);
                    }
                }
            }
        }
}
