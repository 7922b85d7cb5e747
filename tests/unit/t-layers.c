/* The layers: every gradient against central finite differences, the += and NULL contracts of
 * the backwards, the forwards against plain loops, and float against double. */
#include "tap.h"

#include <gsl/gsl_rng.h>
#include <stdlib.h>

#include "grok/layers.h"

#define FD_H 1e-6      /* central differences: truncation ~h², rounding ~1e-16/h */
#define FD_REL 1e-6
#define FD_ABS 1e-9

static gsl_rng *rng;

static void fill(double *x, size_t n, double lo, double hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = lo + (hi - lo) * gsl_rng_uniform(rng);
}

static void fill_labels(int32_t *y, size_t n, int C)
{
    for (size_t i = 0; i < n; i++)
        y[i] = (int32_t)gsl_rng_uniform_int(rng, (unsigned long)C);
}

static double dotn(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static double max_abs_diff(const double *a, const double *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(a[i] - b[i]));
    return m;
}

/* A layer under test, seen through its scalar loss L (Σ r ⊙ outputs, or a weighted sum of losses)
 * and its backward, which gets dL/doutputs and fills the gradients it is given (any NULL). */
#define MAXG 3
struct layer {
    const char *name;
    double (*loss)(const void *ctx);
    void (*back)(const void *ctx, double *const *g);
    const void *ctx;
    int ng;
    const char *gname[MAXG];
    double *wrt[MAXG];   /* the input that gradient g[i] is with respect to */
    size_t n[MAXG];
};

static void grad_ok(const struct layer *l, int i, const double *g)
{
    double *x = l->wrt[i];
    double worst_rel = 0, worst_abs = 0;
    size_t bad = 0;
    for (size_t k = 0; k < l->n[i]; k++) {
        double xk = x[k];
        x[k] = xk + FD_H;
        double lp = l->loss(l->ctx);
        x[k] = xk - FD_H;
        double lm = l->loss(l->ctx);
        x[k] = xk;
        double num = (lp - lm) / (2 * FD_H);
        double abs_err = fabs(g[k] - num);
        double rel_err = abs_err / fmax(1e-8, fabs(g[k]) + fabs(num));
        if (!(rel_err < FD_REL || abs_err < FD_ABS))
            bad++;
        worst_rel = fmax(worst_rel, rel_err);
        worst_abs = fmax(worst_abs, abs_err);
    }
    if (!ok(bad == 0, "%s %s matches finite differences (%zu values)", l->name, l->gname[i],
            l->n[i]))
        diag("%zu bad; worst relative error %.3g, worst absolute %.3g", bad, worst_rel,
             worst_abs);
}

/* Every gradient by finite differences; then that a second backward adds as much again; then
 * that each gradient computed alone (the others NULL) is the same, and that all NULL is fine. */
static void check_layer(const struct layer *l)
{
    double *g[MAXG] = {0}, *once[MAXG] = {0}, *alone[MAXG] = {0};
    for (int i = 0; i < l->ng; i++) {
        g[i] = calloc(l->n[i], sizeof(double));
        once[i] = calloc(l->n[i], sizeof(double));
        alone[i] = calloc(l->n[i], sizeof(double));
    }
    l->back(l->ctx, g);
    for (int i = 0; i < l->ng; i++) {
        grad_ok(l, i, g[i]);
        memcpy(once[i], g[i], l->n[i] * sizeof(double));
    }

    l->back(l->ctx, g);
    double worst = 0;
    for (int i = 0; i < l->ng; i++)
        for (size_t k = 0; k < l->n[i]; k++)
            worst = fmax(worst, fabs(g[i][k] - 2 * once[i][k]) / fmax(1e-300, fabs(once[i][k])));
    if (!ok(worst < 1e-12, "%s backward accumulates (twice gives twice)", l->name))
        diag("worst relative difference %.3g", worst);

    double *none[MAXG] = {0};
    l->back(l->ctx, none);
    worst = 0;
    for (int i = 0; i < l->ng; i++) {
        double *only[MAXG] = {0};
        only[i] = alone[i];
        l->back(l->ctx, only);
        worst = fmax(worst, max_abs_diff(alone[i], once[i], l->n[i]));
    }
    ok(worst < 1e-12, "%s backward takes NULL gradients (each alone matches)", l->name);

    for (int i = 0; i < l->ng; i++) {
        free(g[i]);
        free(once[i]);
        free(alone[i]);
    }
}

/* ---- linear ---- */

struct lin {
    double *out, *inp, *w, *b, *r;
    int N, I, J;
};

static double lin_loss(const void *c)
{
    const struct lin *s = c;
    grok_linear_forward_f64(s->out, s->inp, s->w, s->b, s->N, s->I, s->J);
    return dotn(s->out, s->r, (size_t)s->N * s->J);
}

static void lin_back(const void *c, double *const *g)
{
    const struct lin *s = c;
    grok_linear_backward_f64(g[0], g[1], g[2], s->r, s->inp, s->w, s->N, s->I, s->J);
}

static void test_linear(void)
{
    enum { N = 3, I = 4, J = 5 };
    double inp[N * I], w[I * J], b[J], out[N * J], r[N * J], want[N * J];
    fill(inp, N * I, -1, 1);
    fill(w, I * J, -1, 1);
    fill(b, J, -1, 1);
    fill(r, N * J, -1, 1);
    struct lin s = {out, inp, w, b, r, N, I, J};

    for (int with_b = 1; with_b >= 0; with_b--) {
        for (int n = 0; n < N; n++)
            for (int j = 0; j < J; j++) {
                want[n * J + j] = with_b ? b[j] : 0;
                for (int i = 0; i < I; i++)
                    want[n * J + j] += inp[n * I + i] * w[i * J + j];
            }
        grok_linear_forward_f64(out, inp, w, with_b ? b : NULL, N, I, J);
        ok(max_abs_diff(out, want, N * J) < 1e-14, "linear forward = the plain sum (%s bias)",
           with_b ? "with" : "without");
    }

    struct layer l = {"linear", lin_loss, lin_back, &s, 3, {"dinp", "dw", "db"},
                      {inp, w, b}, {N * I, I * J, J}};
    check_layer(&l);
}

/* ---- per-head projection ---- */

struct heads {
    double *out, *inp, *w, *b, *r;
    int N, D, H, E;
};

static double heads_loss(const void *c)
{
    const struct heads *s = c;
    grok_heads_forward_f64(s->out, s->inp, s->w, s->b, s->N, s->D, s->H, s->E);
    return dotn(s->out, s->r, (size_t)s->N * s->H * s->E);
}

static void heads_back(const void *c, double *const *g)
{
    const struct heads *s = c;
    grok_heads_backward_f64(g[0], g[1], g[2], s->r, s->inp, s->w, s->N, s->D, s->H, s->E);
}

static void test_heads(void)
{
    enum { N = 3, D = 4, H = 2, E = 3 };
    double inp[N * D], w[H * D * E], b[H * E], out[N * H * E], r[N * H * E], want[N * H * E];
    fill(inp, N * D, -1, 1);
    fill(w, H * D * E, -1, 1);
    fill(b, H * E, -1, 1);
    fill(r, N * H * E, -1, 1);
    struct heads s = {out, inp, w, b, r, N, D, H, E};

    for (int n = 0; n < N; n++)
        for (int h = 0; h < H; h++)
            for (int e = 0; e < E; e++) {
                double v = b[h * E + e];
                for (int d = 0; d < D; d++)
                    v += inp[n * D + d] * w[(h * D + d) * E + e];
                want[(n * H + h) * E + e] = v;
            }
    grok_heads_forward_f64(out, inp, w, b, N, D, H, E);
    ok(max_abs_diff(out, want, N * H * E) < 1e-14, "heads forward = the plain sum, (N,H,E) layout");

    struct layer l = {"heads", heads_loss, heads_back, &s, 3, {"dinp", "dw", "db"},
                      {inp, w, b}, {N * D, H * D * E, H * E}};
    check_layer(&l);
}

/* ---- embedding ---- */

struct emb {
    double *out, *W_E, *W_pos, *r;
    const int32_t *tok;
    int N, T, D;
};

static double emb_loss(const void *c)
{
    const struct emb *s = c;
    grok_embed_forward_f64(s->out, s->tok, s->W_E, s->W_pos, s->N, s->T, s->D);
    return dotn(s->out, s->r, (size_t)s->N * s->T * s->D);
}

static void emb_back(const void *c, double *const *g)
{
    const struct emb *s = c;
    grok_embed_backward_f64(g[0], g[1], s->r, s->tok, s->N, s->T, s->D);
}

static void test_embed(void)
{
    enum { V = 5, N = 2, T = 3, D = 4 };
    /* Token 1 four times, token 2 never: the scatter must add, and leave unused rows alone. */
    static const int32_t tok[N * T] = {1, 3, 1, 0, 1, 1};
    double W_E[V * D], W_pos[T * D], out[N * T * D], r[N * T * D];
    fill(W_E, V * D, -1, 1);
    fill(W_pos, T * D, -1, 1);
    fill(r, N * T * D, -1, 1);
    struct emb s = {out, W_E, W_pos, r, tok, N, T, D};

    int same = 1;
    grok_embed_forward_f64(out, tok, W_E, W_pos, N, T, D);
    for (int n = 0; n < N; n++)
        for (int t = 0; t < T; t++)
            for (int d = 0; d < D; d++)
                same &= out[(n * T + t) * D + d] == W_E[tok[n * T + t] * D + d] + W_pos[t * D + d];
    grok_embed_forward_f64(out, tok, W_E, NULL, N, T, D);
    for (int n = 0; n < N; n++)
        for (int t = 0; t < T; t++)
            for (int d = 0; d < D; d++)
                same &= out[(n * T + t) * D + d] == W_E[tok[n * T + t] * D + d];
    ok(same, "embed forward: token row plus position row, or the token row alone");

    struct layer l = {"embed", emb_loss, emb_back, &s, 2, {"dW_E", "dW_pos"}, {W_E, W_pos},
                      {V * D, T * D}};
    check_layer(&l);
}

/* ---- LayerNorm ---- */

struct ln {
    double *out, *mean, *rstd, *inp, *w, *b, *r;
    int N, D;
};

static double ln_loss(const void *c)
{
    const struct ln *s = c;
    grok_layernorm_forward_f64(s->out, s->mean, s->rstd, s->inp, s->w, s->b, s->N, s->D);
    return dotn(s->out, s->r, (size_t)s->N * s->D);
}

static void ln_back(const void *c, double *const *g)
{
    const struct ln *s = c;
    grok_layernorm_forward_f64(s->out, s->mean, s->rstd, s->inp, s->w, s->b, s->N, s->D);
    grok_layernorm_backward_f64(g[0], g[1], g[2], s->r, s->inp, s->mean, s->rstd, s->w, s->N,
                                s->D);
}

static void test_layernorm(void)
{
    enum { N = 3, D = 5 };
    double inp[N * D], w[D], b[D], out[N * D], mean[N], rstd[N], r[N * D], want[N * D];
    fill(inp, N * D, -2, 3);
    fill(w, D, 0.5, 1.5);
    fill(b, D, -1, 1);
    fill(r, N * D, -1, 1);
    struct ln s = {out, mean, rstd, inp, w, b, r, N, D};

    for (int n = 0; n < N; n++) {
        double m = 0, v = 0;
        for (int d = 0; d < D; d++)
            m += inp[n * D + d] / D;
        for (int d = 0; d < D; d++)
            v += (inp[n * D + d] - m) * (inp[n * D + d] - m) / D;
        for (int d = 0; d < D; d++)
            want[n * D + d] = (inp[n * D + d] - m) / sqrt(v + GROK_LN_EPS) * w[d] + b[d];
    }
    grok_layernorm_forward_f64(out, mean, rstd, inp, w, b, N, D);
    ok(max_abs_diff(out, want, N * D) < 1e-13, "layernorm forward, biased variance and eps");

    struct layer l = {"layernorm", ln_loss, ln_back, &s, 3, {"dinp", "dw", "db"}, {inp, w, b},
                      {N * D, D, D}};
    check_layer(&l);
}

/* ---- attention ---- */

struct attn {
    double *z, *att, *q, *k, *v, *r;
    int B, T, H, E, causal;
};

static double attn_loss(const void *c)
{
    const struct attn *s = c;
    grok_attention_forward_f64(s->z, s->att, s->q, s->k, s->v, NULL, NULL, s->B, s->T, 0, s->T, s->H, s->E, s->causal);
    return dotn(s->z, s->r, (size_t)s->B * s->T * s->H * s->E);
}

static void attn_back(const void *c, double *const *g)
{
    const struct attn *s = c;
    grok_attention_forward_f64(s->z, s->att, s->q, s->k, s->v, NULL, NULL, s->B, s->T, 0, s->T, s->H, s->E, s->causal);
    grok_attention_backward_f64(g[0], g[1], g[2], s->r, s->att, s->q, s->k, s->v, NULL, NULL, s->B, s->T, s->T,
                                s->H, s->E);
}

static void test_attention(int causal)
{
    enum { B = 2, T = 3, H = 2, E = 4, NX = B * T * H * E };
    double q[NX], k[NX], v[NX], z[NX], r[NX], att[B * H * T * T], want[NX];
    fill(q, NX, -1.5, 1.5);
    fill(k, NX, -1.5, 1.5);
    fill(v, NX, -1, 1);
    fill(r, NX, -1, 1);
    struct attn s = {z, att, q, k, v, r, B, T, H, E, causal};
    const char *name = causal ? "attention (causal)" : "attention (full)";

    /* The reference: scores, softmax and mixing spelled out index by index. */
    int masked_zero = 1;
    double worst_sum = 0;
    grok_attention_forward_f64(z, att, q, k, v, NULL, NULL, B, T, 0, T, H, E, causal);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int i = 0; i < T; i++) {
                double p[T], mx = -INFINITY, sum = 0, rowsum = 0;
                int J = causal ? i + 1 : T;
                for (int j = 0; j < J; j++) {
                    p[j] = 0;
                    for (int e = 0; e < E; e++)
                        p[j] += q[((b * T + i) * H + h) * E + e] * k[((b * T + j) * H + h) * E + e];
                    p[j] /= sqrt(E);
                    mx = fmax(mx, p[j]);
                }
                for (int j = 0; j < J; j++)
                    sum += p[j] = exp(p[j] - mx);
                for (int e = 0; e < E; e++) {
                    double acc = 0;
                    for (int j = 0; j < J; j++)
                        acc += p[j] / sum * v[((b * T + j) * H + h) * E + e];
                    want[((b * T + i) * H + h) * E + e] = acc;
                }
                const double *a = att + ((b * H + h) * T + i) * T;
                for (int j = 0; j < T; j++) {
                    rowsum += a[j];
                    if (j > i && causal)
                        masked_zero &= a[j] == 0;
                }
                worst_sum = fmax(worst_sum, fabs(rowsum - 1));
            }
    ok(max_abs_diff(z, want, NX) < 1e-14, "%s forward = the plain softmax mixing", name);
    if (causal)
        ok(masked_zero, "%s: probabilities above the diagonal are exactly 0", name);
    ok(worst_sum < 1e-14, "%s: every row of probabilities sums to 1", name);

    struct layer l = {name, attn_loss, attn_back, &s, 3, {"dq", "dk", "dv"}, {q, k, v},
                      {NX, NX, NX}};
    check_layer(&l);
}

/* ---- activations ---- */

struct act {
    double *out, *inp, *r;
    long n;
    enum grok_act act;
};

static double act_loss(const void *c)
{
    const struct act *s = c;
    grok_act_forward_f64(s->out, s->inp, s->n, s->act);
    return dotn(s->out, s->r, (size_t)s->n);
}

static void act_back(const void *c, double *const *g)
{
    const struct act *s = c;
    grok_act_forward_f64(s->out, s->inp, s->n, s->act);
    grok_act_backward_f64(g[0], s->r, s->inp, s->out, s->n, s->act);
}

static void test_act(enum grok_act act, const char *name)
{
    enum { n = 12 };
    double inp[n], out[n], r[n];
    fill(inp, n, -3, 3);
    /* ReLU has no derivative at 0; keep every input farther from it than the step. */
    for (int i = 0; i < n; i++)
        while (fabs(inp[i]) < 1e-3)
            fill(inp + i, 1, -3, 3);
    fill(r, n, -1, 1);
    struct act s = {out, inp, r, n, act};
    struct layer l = {name, act_loss, act_back, &s, 1, {"dinp"}, {inp}, {n}};
    check_layer(&l);
}

static void test_act_values(void)
{
    double x[4] = {-1.5, 0, 1, 2.5}, y[4], g[4] = {0}, one[4] = {1, 1, 1, 1};
    grok_act_forward_f64(y, x, 4, GROK_ACT_RELU);
    ok(y[0] == 0 && y[1] == 0 && y[2] == 1 && y[3] == 2.5, "relu values");
    grok_act_backward_f64(g, one, x, y, 4, GROK_ACT_RELU);
    ok(g[0] == 0 && g[1] == 0 && g[2] == 1 && g[3] == 1, "relu derivative, 0 at 0");
    float xf[3] = {NAN, -INFINITY, INFINITY}, yf[3];
    grok_act_forward(yf, xf, 3, GROK_ACT_RELU);
    ok(isnan(yf[0]) && yf[1] == 0 && yf[2] == INFINITY,
       "relu passes NaN (a diverged model's loss stays NaN, as in PyTorch), -inf to 0, inf");
    grok_act_forward_f64(y, x, 4, GROK_ACT_GELU);
    double dg[4] = {0};
    grok_act_backward_f64(dg, one, x, y, 4, GROK_ACT_GELU);
    /* Φ(x) + x·φ(x): 1/2 at 0 (where Φ is not out/x), 1.0833154705876864 at 1 */
    is_near(dg[1], 0.5, 1e-15, "gelu'(0) = 1/2");
    is_near(dg[2], 1.0833154705876864, 1e-15, "gelu'(1) = Φ(1) + φ(1)");
    /* 0.5·x·(1 + erf(x/√2)) at 1, by the erf form (the tanh approximation gives 0.841192). */
    is_near(y[2], 0.8413447460685429, 1e-15, "gelu(1) is the exact erf form");
    is_near(y[1], 0, 0, "gelu(0) = 0");
    grok_act_forward_f64(y, x, 4, GROK_ACT_QUAD);
    ok(y[0] == 2.25 && y[3] == 6.25, "quad values");
}

/* ---- losses ---- */

enum { LOSS_CE, LOSS_MSE, LOSS_STABLEMAX };   /* the losses checked, as test_loss's kind */
static const char *const loss_name[] = {"crossentropy", "mse", "stablemax"};

struct loss {
    double *losses, *x, *wt;
    const int32_t *y;
    int N, C, kind;
};

/* The loss of kind over N rows, its backward over N rows with one dloss. */
static void loss_forward(int kind, double *losses, const double *x, const int32_t *y, int N, int C)
{
    if (kind == LOSS_MSE)
        grok_mse_forward_f64(losses, x, y, N, C);
    else if (kind == LOSS_STABLEMAX)
        grok_stablemax_forward_f64(losses, x, y, N, C);
    else
        grok_crossentropy_forward_f64(losses, x, y, N, C);
}

static void loss_backward(int kind, double *g, const double *x, const int32_t *y, double dloss,
                          int N, int C)
{
    if (kind == LOSS_MSE)
        grok_mse_backward_f64(g, x, y, dloss, N, C);
    else if (kind == LOSS_STABLEMAX)
        grok_stablemax_backward_f64(g, x, y, dloss, N, C);
    else
        grok_crossentropy_backward_f64(g, x, y, dloss, N, C);
}

static double loss_loss(const void *c)
{
    const struct loss *s = c;
    loss_forward(s->kind, s->losses, s->x, s->y, s->N, s->C);
    return dotn(s->losses, s->wt, (size_t)s->N);
}

/* Row by row, so that each row's weight is its own dloss. */
static void loss_back(const void *c, double *const *g)
{
    const struct loss *s = c;
    for (int n = 0; n < s->N; n++) {
        double *gn = g[0] ? g[0] + (size_t)n * s->C : NULL;
        const double *xn = s->x + (size_t)n * s->C;
        loss_backward(s->kind, gn, xn, s->y + n, s->wt[n], 1, s->C);
    }
}

/* The logits of StableMax's check cross 0, where s changes its formula (s is C¹ there). */
static void test_loss(int kind)
{
    int mse = kind == LOSS_MSE;
    enum { N = 4, C = 5 };
    double x[N * C], losses[N], wt[N], g_rows[N * C] = {0}, g_batch[N * C] = {0};
    int32_t y[N];
    fill(x, N * C, mse ? -0.5 : -3, mse ? 1.5 : 3);
    fill(wt, N, 0.1, 1);
    fill_labels(y, N, C);
    struct loss s = {losses, x, wt, y, N, C, kind};
    const char *name = loss_name[kind];

    struct layer l = {name, loss_loss, loss_back, &s, 1, {mse ? "dout" : "dlogits"}, {x},
                      {N * C}};
    check_layer(&l);

    /* With one weight for all, one call over the batch is the row-by-row sum. */
    for (int n = 0; n < N; n++)
        wt[n] = 1.0 / N;
    loss_back(&s, (double *[]){g_rows});
    loss_backward(kind, g_batch, x, y, 1.0 / N, N, C);
    ok(max_abs_diff(g_rows, g_batch, N * C) == 0, "%s backward over the batch = row by row",
       name);
}

/* MSE against real targets (a regression's loss): its backward against central differences in
 * the outputs, and its value by hand. */
struct mse_target {
    double *losses, *x, *target, *wt;
    int N, C;
};

static double mse_target_loss(const void *c)
{
    const struct mse_target *s = c;
    grok_mse_target_forward_f64(s->losses, s->x, s->target, s->N, s->C);
    return dotn(s->losses, s->wt, (size_t)s->N);
}

static void mse_target_back(const void *c, double *const *g)
{
    const struct mse_target *s = c;
    for (int n = 0; n < s->N; n++)
        grok_mse_target_backward_f64(g[0] ? g[0] + (size_t)n * s->C : NULL, s->x + (size_t)n * s->C,
                                     s->target + (size_t)n * s->C, s->wt[n], 1, s->C);
}

static void test_mse_target(void)
{
    enum { N = 4, C = 3 };
    double x[N * C], target[N * C], losses[N], wt[N];
    fill(x, N * C, -2, 2);
    fill(target, N * C, -1, 3);
    fill(wt, N, 0.1, 1);
    struct mse_target s = {losses, x, target, wt, N, C};
    struct layer l = {"mse (real targets)", mse_target_loss, mse_target_back, &s, 1, {"dout"}, {x},
                      {N * C}};
    check_layer(&l);
    double out[2] = {1, 4}, t[2] = {0, 2};
    grok_mse_target_forward_f64(losses, out, t, 1, 2);
    is_near(losses[0], (1.0 + 4.0) / 2, 0, "mse (real targets): the mean of the squared errors");
}

static void test_loss_values(void)
{
    enum { C = 7 };
    double x[2 * C], losses[2];
    int32_t y[2] = {3, 0};
    for (int c = 0; c < 2 * C; c++)
        x[c] = c < C ? 2.5 : -800;   /* exp(-800) underflows to 0 without the shift */
    grok_crossentropy_forward_f64(losses, x, y, 2, C);
    is_near(losses[0], log(C), 1e-15, "crossentropy of equal logits is log C");
    is_near(losses[1], log(C), 1e-13, "  and stays finite for large negative logits");

    float xf[C];
    for (int c = 0; c < C; c++)
        xf[c] = c == 2 ? 1000.0f : 0.0f;
    grok_crossentropy_forward(losses, xf, y, 1, C);
    is_near(losses[0], 1000, 1e-9, "crossentropy (float) of a far-off wrong class, no overflow");

    double out[C] = {0};
    out[3] = 1;
    grok_mse_forward_f64(losses, out, y, 1, C);
    is_near(losses[0], 0, 0, "mse of the exact one-hot is 0");
    grok_mse_forward_f64(losses, x, y, 1, C);
    is_near(losses[0], (6 * 2.5 * 2.5 + 1.5 * 1.5) / C, 1e-14, "mse averages over the C outputs");
}

/* StableMax's values by hand, and at logits far beyond where exp would overflow or a quotient
 * of small numbers would lose its digits. */
static void test_stablemax_values(void)
{
    enum { C = 3 };
    double x[C] = {0, 1, -1}, losses[2], g[C] = {0};
    int32_t y[2] = {1, 0};
    /* s = 1, 2, 1/2: −log(2 / 3.5) */
    grok_stablemax_forward_f64(losses, x, y, 1, C);
    is_near(losses[0], log(1.75), 1e-15, "stablemax of (0, 1, -1) at 1 is log 1.75");
    /* d/dx = s'/Σs − [c = y] s'(x_y)/s(x_y): 1/3.5, 1/3.5 − 1/2, (1/4)/3.5 */
    grok_stablemax_backward_f64(g, x, y, 1, 1, C);
    ok(fabs(g[0] - 1 / 3.5) < 1e-15 && fabs(g[1] - (1 / 3.5 - 0.5)) < 1e-15 &&
       fabs(g[2] - 0.25 / 3.5) < 1e-15, "stablemax's gradient by hand");
    double eq[C] = {2.5, 2.5, 2.5};
    grok_stablemax_forward_f64(losses, eq, y, 1, C);
    is_near(losses[0], log(C), 1e-15, "stablemax of equal logits is log C");
    /* a confident answer: the loss 2/(1 + 1e10)² is below log Σ s − log s(x_y)'s last digit */
    double sure[C] = {-1e10, 1e10, -1e10};
    grok_stablemax_forward_f64(losses, sure, y, 1, C);
    is_near(losses[0], 2 / ((1 + 1e10) * (1 + 1e10)), 1e-12 * losses[0],
            "stablemax of a confident answer keeps its tiny loss");

    float xf[2 * C] = {3e38f, -3e38f, -3e38f, -3e38f, 3e38f, 3e38f};
    int32_t yf[2] = {0, 0};
    grok_stablemax_forward(losses, xf, yf, 2, C);
    ok(isfinite(losses[0]) && losses[0] >= 0 && losses[0] < 1e-70,
       "stablemax (float) at the largest logits: finite, ~0 for the right answer");
    double big = xf[4];   /* 3e38 rounded to float */
    is_near(losses[1], log(2 * (big + 1) + 1 / (1 + big)) - log(1 / (1 + big)),
            1e-13 * losses[1], "  and ~2 log 3e38 for a far-off wrong one");
    float gf[2 * C] = {0};
    grok_stablemax_backward(gf, xf, yf, 1, 2, C);
    int finite = 1;
    for (int c = 0; c < 2 * C; c++)
        finite &= isfinite(gf[c]);
    ok(finite && gf[0] <= 0 && gf[3] < 0, "  its gradient finite there, pushing the answer up");
}

/* ---- float against double ---- */

static void to_double(double *d, const float *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] = f[i];
}

/* Rounds d to float into f and back, so that both instantiations see the same numbers. */
static void same_in_both(float *f, double *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] = f[i] = (float)d[i];
}

/* max |f − d| relative to the largest |d|, with f the float result, widened. */
static double rel_gap(const float *f, const double *d, size_t n)
{
    double fd[512], m = 0;
    to_double(fd, f, n);
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(d[i]));
    return max_abs_diff(fd, d, n) / fmax(m, 1e-300);
}

static void test_float(void)
{
    enum { N = 6, I = 8, J = 7 };
    float inpf[N * I], wf[I * J], bf[J], outf[N * J], rf[N * J];
    double inp[N * I], w[I * J], b[J], out[N * J], r[N * J];
    fill(inp, N * I, -1, 1);
    fill(w, I * J, -1, 1);
    fill(b, J, -1, 1);
    fill(r, N * J, -1, 1);
    same_in_both(inpf, inp, N * I);
    same_in_both(wf, w, I * J);
    same_in_both(bf, b, J);
    same_in_both(rf, r, N * J);

    grok_linear_forward(outf, inpf, wf, bf, N, I, J);
    grok_linear_forward_f64(out, inp, w, b, N, I, J);
    double gap = rel_gap(outf, out, N * J);
    float dinpf[N * I] = {0}, dwf[I * J] = {0}, dbf[J] = {0};
    double dinp[N * I] = {0}, dw[I * J] = {0}, db[J] = {0};
    grok_linear_backward(dinpf, dwf, dbf, rf, inpf, wf, N, I, J);
    grok_linear_backward_f64(dinp, dw, db, r, inp, w, N, I, J);
    gap = fmax(gap, rel_gap(dinpf, dinp, N * I));
    gap = fmax(gap, rel_gap(dwf, dw, I * J));
    gap = fmax(gap, rel_gap(dbf, db, J));
    if (!ok(gap < 1e-5, "linear: float agrees with double"))
        diag("relative gap %.3g", gap);

    /* LayerNorm, then attention over its output read as (B=2, T=3, H=1, E=7) for q = k = v. */
    float meanf[N], rstdf[N], lnf[N * J], zf[N * J], attf[2 * 3 * 3];
    double mean[N], rstd[N], ln[N * J], z[N * J], att[2 * 3 * 3];
    grok_layernorm_forward(lnf, meanf, rstdf, outf, bf, bf, N, J);
    grok_layernorm_forward_f64(ln, mean, rstd, out, b, b, N, J);
    gap = rel_gap(lnf, ln, N * J);
    float dlnf[N * J] = {0}, dlnwf[J] = {0};
    double dln[N * J] = {0}, dlnw[J] = {0};
    grok_layernorm_backward(dlnf, dlnwf, NULL, rf, outf, meanf, rstdf, bf, N, J);
    grok_layernorm_backward_f64(dln, dlnw, NULL, r, out, mean, rstd, b, N, J);
    gap = fmax(gap, rel_gap(dlnf, dln, N * J));
    gap = fmax(gap, rel_gap(dlnwf, dlnw, J));
    if (!ok(gap < 1e-5, "layernorm: float agrees with double"))
        diag("relative gap %.3g", gap);

    grok_attention_forward(zf, attf, lnf, lnf, lnf, NULL, NULL, 2, 3, 0, 3, 1, J, 1);
    grok_attention_forward_f64(z, att, ln, ln, ln, NULL, NULL, 2, 3, 0, 3, 1, J, 1);
    gap = fmax(rel_gap(zf, z, N * J), rel_gap(attf, att, 2 * 3 * 3));
    float dqf[N * J] = {0};
    double dq[N * J] = {0};
    grok_attention_backward(dqf, dqf, dqf, rf, attf, lnf, lnf, lnf, NULL, NULL, 2, 3, 3, 1, J);
    grok_attention_backward_f64(dq, dq, dq, r, att, ln, ln, ln, NULL, NULL, 2, 3, 3, 1, J);
    gap = fmax(gap, rel_gap(dqf, dq, N * J));
    if (!ok(gap < 1e-5, "attention: float agrees with double"))
        diag("relative gap %.3g", gap);

    int32_t y[N];
    double lossf[N], loss[N];
    fill_labels(y, N, J);
    grok_crossentropy_forward(lossf, outf, y, N, J);
    grok_crossentropy_forward_f64(loss, out, y, N, J);
    float dxf[N * J] = {0};
    double dx[N * J] = {0};
    grok_crossentropy_backward(dxf, outf, y, 1.0 / N, N, J);
    grok_crossentropy_backward_f64(dx, out, y, 1.0 / N, N, J);
    gap = fmax(max_abs_diff(lossf, loss, N), rel_gap(dxf, dx, N * J));
    if (!ok(gap < 1e-5, "crossentropy: float agrees with double"))
        diag("gap %.3g", gap);

    grok_stablemax_forward(lossf, outf, y, N, J);
    grok_stablemax_forward_f64(loss, out, y, N, J);
    memset(dxf, 0, sizeof dxf);
    memset(dx, 0, sizeof dx);
    grok_stablemax_backward(dxf, outf, y, 1.0 / N, N, J);
    grok_stablemax_backward_f64(dx, out, y, 1.0 / N, N, J);
    gap = fmax(max_abs_diff(lossf, loss, N), rel_gap(dxf, dx, N * J));
    if (!ok(gap < 1e-5, "stablemax: float agrees with double"))
        diag("gap %.3g", gap);
}

/* The mapped form against the dense one: projections in a table of U rows read through maps,
 * and one query position per context, give the dense attention's rows at that position, and
 * the backward's table gradients are the dense gradients summed over the rows that share an
 * entry. */
static void test_attention_mapped(int causal, int q0)
{
    enum { B = 3, T = 3, H = 2, E = 4, U = 5, HE = H * E, NX = B * T * HE };
    const int32_t kvrow[B * T] = {0, 3, 4, 1, 3, 4, 0, 2, 4};   /* rows shared across contexts */
    int32_t qrow[B];
    double tq[U * HE], tk[U * HE], tv[U * HE], q[NX], k[NX], v[NX];
    double z[NX], att[B * H * T * T], zm[B * HE], attm[B * H * T];
    double dz[NX] = {0}, dzm[B * HE], dq[NX] = {0}, dk[NX] = {0}, dv[NX] = {0};
    double dtq[U * HE] = {0}, dtk[U * HE] = {0}, dtv[U * HE] = {0};
    double wq[U * HE] = {0}, wk[U * HE] = {0}, wv[U * HE] = {0};
    fill(tq, U * HE, -1.5, 1.5);
    fill(tk, U * HE, -1.5, 1.5);
    fill(tv, U * HE, -1, 1);
    fill(dzm, B * HE, -1, 1);
    for (int b = 0; b < B; b++) {
        qrow[b] = kvrow[b * T + q0];
        for (int j = 0; j < T; j++)
            for (int e = 0; e < HE; e++) {
                size_t at = ((size_t)b * T + j) * HE + e, from = (size_t)kvrow[b * T + j] * HE + e;
                q[at] = tq[from];
                k[at] = tk[from];
                v[at] = tv[from];
            }
        for (int e = 0; e < HE; e++)
            dz[((size_t)b * T + q0) * HE + e] = dzm[b * HE + e];
    }
    grok_attention_forward_f64(z, att, q, k, v, NULL, NULL, B, T, 0, T, H, E, causal);
    grok_attention_forward_f64(zm, attm, tq, tk, tv, qrow, kvrow, B, T, q0, 1, H, E, causal);
    double gap = 0;
    for (int b = 0; b < B; b++)
        for (int e = 0; e < HE; e++)
            gap = fmax(gap, fabs(zm[b * HE + e] - z[((size_t)b * T + q0) * HE + e]));
    ok(gap == 0, "attention (%s, query %d): the mapped rows give the dense rows", causal ? "causal" : "full", q0);

    grok_attention_backward_f64(dq, dk, dv, dz, att, q, k, v, NULL, NULL, B, T, T, H, E);
    grok_attention_backward_f64(dtq, dtk, dtv, dzm, attm, tq, tk, tv, qrow, kvrow, B, T, 1, H, E);
    for (int b = 0; b < B; b++)
        for (int j = 0; j < T; j++)
            for (int e = 0; e < HE; e++) {
                size_t at = ((size_t)b * T + j) * HE + e, to = (size_t)kvrow[b * T + j] * HE + e;
                wq[to] += dq[at];
                wk[to] += dk[at];
                wv[to] += dv[at];
            }
    gap = fmax(max_abs_diff(dtq, wq, U * HE), fmax(max_abs_diff(dtk, wk, U * HE), max_abs_diff(dtv, wv, U * HE)));
    if (!ok(gap < 1e-14, "attention (%s, query %d): the table's gradients sum the dense ones", causal ? "causal" : "full", q0))
        diag("gap %.3g", gap);
}

/* The training step's fused loss against the forward and the backward it replaces. */
static void test_crossentropy_fused(void)
{
    enum { N = 4, C = 7 };
    double x[N * C], loss[N], fused[N], g[N * C], gf[N * C];
    int32_t y[N];
    fill(x, N * C, -30, 30);
    fill_labels(y, N, C);
    fill(g, N * C, -1, 1);
    for (int i = 0; i < N * C; i++)
        gf[i] = g[i];
    grok_crossentropy_forward_f64(loss, x, y, N, C);
    grok_crossentropy_backward_f64(g, x, y, 0.25, N, C);
    grok_crossentropy_forward_backward_f64(fused, gf, x, y, 0.25, N, C);
    double gap = fmax(max_abs_diff(loss, fused, N), max_abs_diff(g, gf, N * C));
    if (!ok(gap < 1e-14, "crossentropy: the fused forward and backward match the two, and accumulate"))
        diag("gap %.3g", gap);
}

/* Float GELU runs its own erf and exp (layers_impl.h); against the double one (libm's erf and
 * exp) over the range a network meets, forward and backward. */
static void test_gelu_float(void)
{
    enum { N = 4001 };
    static float xf[N], yf[N], gf[N], onef[N];
    static double x[N], y[N], g[N], one[N];
    for (int i = 0; i < N; i++) {
        x[i] = -20 + 40.0 * i / (N - 1);   /* passes through 0 exactly */
        xf[i] = (float)x[i];
        x[i] = xf[i];
        one[i] = onef[i] = 1;
    }
    grok_act_forward(yf, xf, N, GROK_ACT_GELU);
    grok_act_forward_f64(y, x, N, GROK_ACT_GELU);
    grok_act_backward(gf, onef, xf, yf, N, GROK_ACT_GELU);
    grok_act_backward_f64(g, one, x, y, N, GROK_ACT_GELU);
    double fwd = 0, bwd = 0;
    for (int i = 0; i < N; i++) {
        /* relative to the value, or to 1 where the value is near 0 */
        fwd = fmax(fwd, fabs(yf[i] - y[i]) / fmax(1, fabs(y[i])));
        bwd = fmax(bwd, fabs(gf[i] - g[i]) / fmax(1, fabs(g[i])));
    }
    ok(fwd < 5e-7 && bwd < 1e-6, "gelu: float (own erf and exp) agrees with double (libm)");
    diag("gelu float against double: forward %.3g, backward %.3g", fwd, bwd);
}

/* The float exp(−x²/2) caps x²/2 at 87 (by its bits, so that the cap vectorises): either side
 * of the cap, far past it and at NaN of either sign, GELU and its gradient are what they must be. */
static void test_gelu_float_edges(void)
{
    enum { N = 8 };
    float x[N] = {13.1f, -13.1f, 13.3f, -13.3f, 1e30f, -1e30f, NAN, -NAN};
    float y[N], g[N], one[N];
    for (int i = 0; i < N; i++)
        one[i] = 1, g[i] = 0;
    grok_act_forward(y, x, N, GROK_ACT_GELU);
    grok_act_backward(g, one, x, y, N, GROK_ACT_GELU);
    int good = 1;
    for (int i = 0; i < 6; i++) {
        float want_y = x[i] > 0 ? x[i] : 0, want_g = x[i] > 0 ? 1 : 0;
        if (fabsf(y[i] - want_y) > 1e-6f * fabsf(x[i]) || fabsf(g[i] - want_g) > 1e-6f) {
            good = 0;
            diag("gelu(%g) = %g, gelu' = %g", x[i], y[i], g[i]);
        }
    }
    for (int i = 6; i < N; i++)
        good &= isnan(y[i]) && isnan(g[i]);
    ok(good, "gelu: float, beyond the exp's cap and at NaN of both signs");
}

int main(void)
{
    rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 20240607);

    test_linear();
    test_heads();
    test_embed();
    test_layernorm();
    test_attention(1);
    test_attention(0);
    test_attention_mapped(1, 2);
    test_attention_mapped(0, 0);
    test_attention_mapped(1, 1);
    test_act(GROK_ACT_RELU, "relu");
    test_act(GROK_ACT_GELU, "gelu");
    test_act(GROK_ACT_QUAD, "quad");
    test_act_values();
    test_gelu_float();
    test_gelu_float_edges();
    test_mse_target();
    test_loss(LOSS_CE);
    test_loss(LOSS_MSE);
    test_loss(LOSS_STABLEMAX);
    test_loss_values();
    test_stablemax_values();
    test_crossentropy_fused();
    test_float();

    gsl_rng_free(rng);
    return done_testing();
}
