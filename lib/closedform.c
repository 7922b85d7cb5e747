/* Musat's closed-form first-layer dynamics (include/grok/closedform.h). */
#include "grok/closedform.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>
#undef I   /* lapacke.h includes <complex.h> */

#include "grok/layers.h"

struct grok_closedform {
    const struct grok_model *m;
    int n, d, h, C;   /* examples, input width, hidden width, outputs */
    double *block;    /* every double array below, one allocation */
    double *X;        /* (n, d) the training inputs */
    double *Y;        /* (n, C) their one-hot answers */
    double *W1;       /* (d, h) the first layer, double */
    double *Z, *H;    /* (n, h) pre-activations and activations */
    double *K;        /* (n, n) H Hᵀ, then its Cholesky factor */
    double *AY;       /* (n, C) (H Hᵀ)⁻¹ Y */
    double *B;        /* (C, h) (AY)ᵀ H */
    double *G, *S;    /* (n, h) AY B, then σ′(Z) ⊙ it */
    double *dW;       /* (d, h) the velocity */
    double *W2;       /* (h, C) the interpolant */
    float *cached;    /* (d, h) the float first layer whose interpolant the buffers hold */
    int have_cache;
    double cached_loss;   /* the residual there */
};

void grok_closedform_free(struct grok_closedform *cf)
{
    if (!cf)
        return;
    free(cf->block);
    free(cf->cached);
    free(cf);
}

struct grok_closedform *grok_closedform_new(const struct grok_model *m, const int32_t *tokens,
                                            const int32_t *y, int n, struct grok_err *err)
{
    int h = m->cfg.n_hidden == 1 ? m->cfg.hidden[0] : 0;
    if (h <= n) {
        grok_err_set(err, GROK_EINVAL, "--hidden %d: the closed form needs more hidden units than the "
                     "%d training examples (H Hᵀ must be invertible)", h, n);
        return NULL;
    }
    struct grok_closedform *cf = calloc(1, sizeof *cf);
    if (!cf) {
        grok_err_set(err, GROK_ENOMEM, "out of memory");
        return NULL;
    }
    size_t d = m->d_input, C = (size_t)m->cfg.d_vocab_out, N = (size_t)n, H = (size_t)h;
    *cf = (struct grok_closedform){.m = m, .n = n, .d = (int)d, .h = h, .C = (int)C};
    double **views[] = {&cf->X, &cf->Y, &cf->W1, &cf->Z, &cf->H, &cf->K,
                        &cf->AY, &cf->B, &cf->G, &cf->S, &cf->dW, &cf->W2};
    size_t sizes[] = {N * d, N * C, d * H, N * H, N * H, N * N, N * C, C * H, N * H, N * H, d * H, H * C};
    size_t total = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        total += sizes[i];
    cf->block = calloc(total, sizeof *cf->block);   /* zeros: Y is filled by its ones alone */
    cf->cached = malloc(d * H * sizeof *cf->cached);
    if (!cf->block || !cf->cached) {
        grok_closedform_free(cf);
        grok_err_set(err, GROK_ENOMEM, "out of memory for the closed form of %d examples", n);
        return NULL;
    }
    for (size_t i = 0, at = 0; i < sizeof sizes / sizeof *sizes; at += sizes[i++])
        *views[i] = cf->block + at;
    grok_model_input_f64(m, NULL, tokens, n, cf->X);   /* fixed codes: no parameter is read */
    for (int i = 0; i < n; i++)
        cf->Y[(size_t)i * C + y[i]] = 1;
    return cf;
}

/* The interpolant at cf->W1: Z, H, the factor of H Hᵀ, AY and W2. 0, or -1 when H Hᵀ is not
 * positive definite. */
static int interpolate(struct grok_closedform *cf)
{
    const struct grok_model *m = cf->m;
    int n = cf->n, d = cf->d, h = cf->h, C = cf->C;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, h, d, 1, cf->X, d, cf->W1, h, 0, cf->Z, h);
    grok_act_forward_f64(cf->H, cf->Z, (long)n * h, m->cfg.act);
    cblas_dsyrk(CblasRowMajor, CblasLower, CblasNoTrans, n, h, 1, cf->H, h, 0, cf->K, n);
    if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', n, cf->K, n) != 0)
        return -1;
    memcpy(cf->AY, cf->Y, (size_t)n * C * sizeof *cf->AY);
    if (LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'L', n, C, cf->K, n, cf->AY, C) != 0)
        return -1;
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, h, C, n, 1, cf->H, h, cf->AY, C, 0, cf->W2, C);
    return 0;
}

/* The mean squared residual of H W2 against Y, in double. */
static double residual(struct grok_closedform *cf)
{
    int n = cf->n, h = cf->h, C = cf->C;
    double sum = 0;
    for (int i = 0; i < n; i++)
        for (int c = 0; c < C; c++) {
            double f = cblas_ddot(h, cf->H + (size_t)i * h, 1, cf->W2 + c, C);
            double e = f - cf->Y[(size_t)i * C + c];
            sum += e * e;
        }
    return sum / ((double)n * C);
}

/* The velocity at cf->W1 from the interpolant's buffers, into cf->dW. */
static void velocity(struct grok_closedform *cf)
{
    int n = cf->n, d = cf->d, h = cf->h, C = cf->C;
    size_t nh = (size_t)n * h;
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, C, h, n, 1, cf->AY, C, cf->H, h, 0, cf->B, h);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, h, C, 1, cf->AY, C, cf->B, h, 0, cf->G, h);
    memset(cf->S, 0, nh * sizeof *cf->S);
    grok_act_backward_f64(cf->S, cf->G, cf->Z, cf->H, (long)nh, cf->m->cfg.act);
    memcpy(cf->dW, cf->W1, (size_t)d * h * sizeof *cf->dW);
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, h, n, 1, cf->X, d, cf->S, h, -1, cf->dW, h);
}

double grok_closedform_eval(struct grok_closedform *cf, const double *W1, double *W2, double *dW1)
{
    size_t dh = (size_t)cf->d * cf->h;
    memcpy(cf->W1, W1, dh * sizeof *cf->W1);
    cf->have_cache = 0;
    if (interpolate(cf))
        return NAN;
    double loss = residual(cf);
    if (W2)
        memcpy(W2, cf->W2, (size_t)cf->h * cf->C * sizeof *W2);
    if (dW1) {
        velocity(cf);
        memcpy(dW1, cf->dW, dh * sizeof *dW1);
    }
    return loss;
}

/* The interpolant at params' first layer, from the cache when it holds that layer. */
static int at_params(struct grok_closedform *cf, const float *params, double *loss)
{
    const struct grok_model *m = cf->m;
    size_t dh = (size_t)cf->d * cf->h;
    const float *w1 = params + m->mlp_W[0];
    if (cf->have_cache && memcmp(cf->cached, w1, dh * sizeof *w1) == 0) {
        *loss = cf->cached_loss;
        return 0;
    }
    for (size_t i = 0; i < dh; i++)
        cf->W1[i] = w1[i];
    cf->have_cache = 0;
    if (interpolate(cf))
        return -1;
    memcpy(cf->cached, w1, dh * sizeof *w1);
    cf->have_cache = 1;
    *loss = cf->cached_loss = residual(cf);
    return 0;
}

static void store_w2(struct grok_closedform *cf, float *params)
{
    float *w2 = params + cf->m->W_U;
    for (size_t i = 0; i < (size_t)cf->h * cf->C; i++)
        w2[i] = (float)cf->W2[i];
}

double grok_closedform_project(struct grok_closedform *cf, float *params)
{
    double loss = 0;
    cf->have_cache = 0;
    if (at_params(cf, params, &loss))
        return NAN;
    store_w2(cf, params);
    return loss;
}

double grok_closedform_step(struct grok_closedform *cf, float *params, double eta)
{
    const struct grok_model *m = cf->m;
    size_t dh = (size_t)cf->d * cf->h;
    double loss = 0;
    if (at_params(cf, params, &loss))
        return NAN;
    velocity(cf);
    float *w1 = params + m->mlp_W[0];
    float *next = cf->cached;   /* free until the interpolant at the new layer is made */
    for (size_t i = 0; i < dh; i++)
        next[i] = (float)(cf->W1[i] + eta * cf->dW[i]);
    for (size_t i = 0; i < dh; i++)
        cf->W1[i] = next[i];
    cf->have_cache = 0;
    if (interpolate(cf))
        return NAN;
    memcpy(w1, next, dh * sizeof *w1);
    store_w2(cf, params);
    cf->cached_loss = residual(cf);
    cf->have_cache = 1;   /* cached (next) holds the layer the buffers were made at */
    return loss;
}
