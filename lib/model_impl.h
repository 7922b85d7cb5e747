/* The forward and backward passes of grok's models, written once over the real type.
 *
 * Included by model_f32.c (R = float) and model_f64.c (R = double) after they define R and
 * SFX(name), which appends the instantiation's suffix to a public name. Everything static here
 * exists once per instantiation. The workspace block is carved by grok_work_layout. */
#include <string.h>

#include "grok/layers.h"
#include "grok/model.h"
#include "model_work.h"

/* A gradient view that stays NULL when no parameter gradient is wanted. */
#define GRAD(G, off) ((G) ? (G) + (off) : NULL)

static void zero(R *x, size_t n) { memset(x, 0, n * sizeof *x); }

static void add_into(R *dst, const R *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] += src[i];
}

/* Views of one block's slice of the workspace (shapes in model_work.h; the LayerNorm arrays
 * are NULL without --norm pre). */
struct block_cache {
    R *rin, *rout;             /* residual stream before and after the block */
    R *mid;                    /* after the attention */
    R *ln1, *ln1_mean, *ln1_rstd, *ln2, *ln2_mean, *ln2_rstd;
    R *q, *k, *v, *z, *att;
    R *pre, *post;             /* MLP before and after the activation */
    const R *a_in, *m_in;      /* what the attention and the MLP read: the LayerNorm or the residual */
};

static void block_cache(const struct grok_model *m, R *base, const struct grok_work_layout *L,
                        int l, int n, struct block_cache *b)
{
    const struct grok_model_config *c = &m->cfg;
    size_t BT = (size_t)n * c->n_ctx, D = c->d_model, HE = (size_t)c->n_heads * c->d_head;
    size_t M = c->d_mlp;
    b->rin = base + L->resid + l * BT * D;
    b->rout = b->rin + BT * D;
    b->mid = base + L->mid + l * BT * D;
    b->q = base + L->q + l * BT * HE;
    b->k = base + L->k + l * BT * HE;
    b->v = base + L->v + l * BT * HE;
    b->z = base + L->z + l * BT * HE;
    b->att = base + L->att + l * (size_t)n * c->n_heads * c->n_ctx * c->n_ctx;
    b->pre = base + L->pre + l * BT * M;
    b->post = base + L->post + l * BT * M;
    b->ln1 = b->ln1_mean = b->ln1_rstd = b->ln2 = b->ln2_mean = b->ln2_rstd = NULL;
    b->a_in = b->rin;
    b->m_in = b->mid;
    if (c->norm) {
        b->ln1 = base + L->ln1 + l * BT * D;
        b->ln1_mean = base + L->ln1_mean + l * BT;
        b->ln1_rstd = base + L->ln1_rstd + l * BT;
        b->ln2 = base + L->ln2 + l * BT * D;
        b->ln2_mean = base + L->ln2_mean + l * BT;
        b->ln2_rstd = base + L->ln2_rstd + l * BT;
        b->a_in = b->ln1;
        b->m_in = b->ln2;
    }
}

/* The transformer from resid[0] (already holding the input) to the logits. */
static void tf_forward(const struct grok_model *m, R *base, const struct grok_work_layout *L,
                       const R *P, int n)
{
    const struct grok_model_config *c = &m->cfg;
    int T = c->n_ctx, D = c->d_model, H = c->n_heads, E = c->d_head, M = c->d_mlp;
    int BT = n * T, HE = H * E;
    for (int l = 0; l < c->n_layers; l++) {
        const struct grok_block_offsets *o = &m->blocks[l];
        struct block_cache b;
        block_cache(m, base, L, l, n, &b);
        if (c->norm)
            SFX(grok_layernorm_forward)(b.ln1, b.ln1_mean, b.ln1_rstd, b.rin, P + o->ln1_w,
                                        P + o->ln1_b, BT, D);
        SFX(grok_heads_forward)(b.q, b.a_in, P + o->W_Q, P + o->b_Q, BT, D, H, E);
        SFX(grok_heads_forward)(b.k, b.a_in, P + o->W_K, P + o->b_K, BT, D, H, E);
        SFX(grok_heads_forward)(b.v, b.a_in, P + o->W_V, P + o->b_V, BT, D, H, E);
        SFX(grok_attention_forward)(b.z, b.att, b.q, b.k, b.v, n, T, H, E, c->causal);
        SFX(grok_linear_forward)(b.mid, b.z, P + o->W_O, P + o->b_O, BT, HE, D);
        add_into(b.mid, b.rin, (size_t)BT * D);
        if (c->norm)
            SFX(grok_layernorm_forward)(b.ln2, b.ln2_mean, b.ln2_rstd, b.mid, P + o->ln2_w,
                                        P + o->ln2_b, BT, D);
        SFX(grok_linear_forward)(b.pre, b.m_in, P + o->W_in, P + o->b_in, BT, D, M);
        SFX(grok_act_forward)(b.post, b.pre, (long)BT * M, c->act);
        SFX(grok_linear_forward)(b.rout, b.post, P + o->W_out, P + o->b_out, BT, M, D);
        add_into(b.rout, b.mid, (size_t)BT * D);
    }
    const R *last = base + L->resid + (size_t)c->n_layers * BT * D;
    R *r = base + L->r;
    for (int i = 0; i < n; i++)
        memcpy(r + (size_t)i * D, last + ((size_t)i * T + c->readout) * D, D * sizeof *r);
    const R *u = r;
    if (c->norm) {
        SFX(grok_layernorm_forward)(base + L->lnf, base + L->lnf_mean, base + L->lnf_rstd, r,
                                    P + m->lnf_w, P + m->lnf_b, n, D);
        u = base + L->lnf;
    }
    SFX(grok_linear_forward)(base + L->logits, u, P + m->W_U, P + m->b_U, n, D, c->d_vocab_out);
}

/* From dlogits back to g = d(loss)/d(resid[0]) (BT, d_model), accumulating parameter gradients
 * into G unless it is NULL. */
static void tf_backward(const struct grok_model *m, R *base, const struct grok_work_layout *L,
                        const R *P, R *G, int n)
{
    const struct grok_model_config *c = &m->cfg;
    int T = c->n_ctx, D = c->d_model, H = c->n_heads, E = c->d_head, M = c->d_mlp;
    int BT = n * T, HE = H * E;
    R *r = base + L->r, *du = base + L->dlnf, *g = base + L->g;
    const R *u = c->norm ? base + L->lnf : r;
    zero(du, (size_t)n * D);
    SFX(grok_linear_backward)(du, GRAD(G, m->W_U), GRAD(G, m->b_U), base + L->dlogits, u,
                              P + m->W_U, n, D, c->d_vocab_out);
    const R *dr = du;
    if (c->norm) {
        zero(base + L->dr, (size_t)n * D);
        SFX(grok_layernorm_backward)(base + L->dr, GRAD(G, m->lnf_w), GRAD(G, m->lnf_b), du, r,
                                     base + L->lnf_mean, base + L->lnf_rstd, P + m->lnf_w, n, D);
        dr = base + L->dr;
    }
    zero(g, (size_t)BT * D);
    for (int i = 0; i < n; i++)
        memcpy(g + ((size_t)i * T + c->readout) * D, dr + (size_t)i * D, D * sizeof *g);

    R *dln = base + L->dln, *dq = base + L->dq, *dk = base + L->dk, *dv = base + L->dv;
    R *dz = base + L->dz, *dpre = base + L->dpre, *dpost = base + L->dpost;
    for (int l = c->n_layers - 1; l >= 0; l--) {
        const struct grok_block_offsets *o = &m->blocks[l];
        struct block_cache b;
        block_cache(m, base, L, l, n, &b);

        /* MLP; g is the gradient of resid_post and, through the residual, of mid. Without
         * LayerNorm the MLP reads mid itself, so its input's gradient goes straight into g. */
        R *d_in = c->norm ? dln : g;
        zero(dpost, (size_t)BT * M);
        SFX(grok_linear_backward)(dpost, GRAD(G, o->W_out), GRAD(G, o->b_out), g, b.post,
                                  P + o->W_out, BT, M, D);
        zero(dpre, (size_t)BT * M);
        SFX(grok_act_backward)(dpre, dpost, b.pre, (long)BT * M, c->act);
        if (c->norm)
            zero(dln, (size_t)BT * D);
        SFX(grok_linear_backward)(d_in, GRAD(G, o->W_in), GRAD(G, o->b_in), dpre, b.m_in,
                                  P + o->W_in, BT, D, M);
        if (c->norm)
            SFX(grok_layernorm_backward)(g, GRAD(G, o->ln2_w), GRAD(G, o->ln2_b), dln, b.mid,
                                         b.ln2_mean, b.ln2_rstd, P + o->ln2_w, BT, D);

        /* attention; g is now the gradient of mid, and through the residual of resid_pre */
        zero(dz, (size_t)BT * HE);
        SFX(grok_linear_backward)(dz, GRAD(G, o->W_O), GRAD(G, o->b_O), g, b.z, P + o->W_O, BT,
                                  HE, D);
        zero(dq, (size_t)BT * HE);
        zero(dk, (size_t)BT * HE);
        zero(dv, (size_t)BT * HE);
        SFX(grok_attention_backward)(dq, dk, dv, dz, b.att, b.q, b.k, b.v, n, T, H, E);
        if (c->norm)
            zero(dln, (size_t)BT * D);
        SFX(grok_heads_backward)(d_in, GRAD(G, o->W_Q), GRAD(G, o->b_Q), dq, b.a_in, P + o->W_Q,
                                 BT, D, H, E);
        SFX(grok_heads_backward)(d_in, GRAD(G, o->W_K), GRAD(G, o->b_K), dk, b.a_in, P + o->W_K,
                                 BT, D, H, E);
        SFX(grok_heads_backward)(d_in, GRAD(G, o->W_V), GRAD(G, o->b_V), dv, b.a_in, P + o->W_V,
                                 BT, D, H, E);
        if (c->norm)
            SFX(grok_layernorm_backward)(g, GRAD(G, o->ln1_w), GRAD(G, o->ln1_b), dln, b.rin,
                                         b.ln1_mean, b.ln1_rstd, P + o->ln1_w, BT, D);
    }
}

/* The MLP from x to the logits. */
static void mlp_forward(const struct grok_model *m, R *base, const struct grok_work_layout *L,
                        const R *P, int n)
{
    const struct grok_model_config *c = &m->cfg;
    const R *h = base + L->x;
    int width = (int)m->d_input;
    for (int i = 0; i < c->n_hidden; i++) {
        R *pre = base + L->hpre[i], *post = base + L->hpost[i];
        SFX(grok_linear_forward)(pre, h, P + m->mlp_W[i], P + m->mlp_b[i], n, width, c->hidden[i]);
        SFX(grok_act_forward)(post, pre, (long)n * c->hidden[i], c->act);
        h = post;
        width = c->hidden[i];
    }
    SFX(grok_linear_forward)(base + L->logits, h, P + m->W_U, P + m->b_U, n, width,
                             c->d_vocab_out);
}

/* From dlogits back to the input: dx (n, d_input) when dx is not NULL. */
static void mlp_backward(const struct grok_model *m, R *base, const struct grok_work_layout *L,
                         const R *P, R *G, int n, R *dx)
{
    const struct grok_model_config *c = &m->cfg;
    int last = c->n_hidden - 1;
    R *dh = base + L->dh0, *dpre = base + L->dh1;
    zero(dh, (size_t)n * c->hidden[last]);
    SFX(grok_linear_backward)(dh, GRAD(G, m->W_U), GRAD(G, m->b_U), base + L->dlogits,
                              base + L->hpost[last], P + m->W_U, n, c->hidden[last],
                              c->d_vocab_out);
    for (int i = last; i >= 0; i--) {
        int width_in = i > 0 ? c->hidden[i - 1] : (int)m->d_input;
        const R *in = i > 0 ? base + L->hpost[i - 1] : base + L->x;
        zero(dpre, (size_t)n * c->hidden[i]);
        SFX(grok_act_backward)(dpre, dh, base + L->hpre[i], (long)n * c->hidden[i], c->act);
        R *dprev = i > 0 ? dh : dx;
        if (dprev)
            zero(dprev, (size_t)n * width_in);
        SFX(grok_linear_backward)(dprev, GRAD(G, m->mlp_W[i]), GRAD(G, m->mlp_b[i]), dpre, in,
                                  P + m->mlp_W[i], n, width_in, c->hidden[i]);
    }
}

/* Where the continuous input of n examples lives in the workspace. */
static R *input_slot(const struct grok_model *m, R *base, const struct grok_work_layout *L)
{
    return base + (m->cfg.arch == GROK_TRANSFORMER ? L->resid : L->x);
}

void SFX(grok_model_input)(const struct grok_model *m, const R *params, const int32_t *tokens,
                           int n, R *x)
{
    const struct grok_model_config *c = &m->cfg;
    if (c->arch == GROK_TRANSFORMER) {
        SFX(grok_embed_forward)(x, tokens, params + m->W_E, params + m->W_pos, n, c->n_ctx,
                                c->d_model);
        return;
    }
    switch (c->input) {
    case GROK_INPUT_EMBED:
        SFX(grok_embed_forward)(x, tokens, params + m->W_E, NULL, n, c->n_ctx, c->d_embed);
        break;
    case GROK_INPUT_ONEHOT:
        zero(x, (size_t)n * m->d_input);
        for (int i = 0; i < n; i++)
            for (int t = 0; t < c->n_ctx; t++)
                x[(size_t)i * m->d_input + (size_t)t * c->d_vocab + tokens[i * c->n_ctx + t]] = 1;
        break;
    default:
        for (int i = 0; i < n; i++)
            for (int t = 0; t < c->n_ctx; t++)
                x[(size_t)i * c->n_ctx + t] = (R)tokens[i * c->n_ctx + t];
        break;
    }
}

static void forward(const struct grok_model *m, R *base, const struct grok_work_layout *L,
                    const R *P, int n)
{
    if (m->cfg.arch == GROK_TRANSFORMER)
        tf_forward(m, base, L, P, n);
    else
        mlp_forward(m, base, L, P, n);
}

/* Backward from the workspace's dlogits; leaves d(input) in the returned array, or returns NULL
 * when the input's gradient was not asked for (need_dx 0, MLP only). */
static R *backward(const struct grok_model *m, R *base, const struct grok_work_layout *L,
                   const R *P, R *G, int n, int need_dx)
{
    if (m->cfg.arch == GROK_TRANSFORMER) {
        tf_backward(m, base, L, P, G, n);
        return base + L->g;
    }
    R *dx = need_dx ? base + L->dx : NULL;
    mlp_backward(m, base, L, P, G, n, dx);
    return dx;
}

double SFX(grok_model_loss_grad)(const struct grok_model *m, struct grok_work *w, const R *P,
                                 R *G, const int32_t *tokens, const int32_t *y, int n,
                                 int *correct, double *losses)
{
    const struct grok_model_config *c = &m->cfg;
    struct grok_work_layout L;
    grok_work_layout(m, n, &L);
    R *base = w->block;
    SFX(grok_model_input)(m, P, tokens, n, input_slot(m, base, &L));
    forward(m, base, &L, P, n);

    const R *logits = base + L.logits;
    int V = c->d_vocab_out;
    if (c->loss == GROK_LOSS_CE)
        SFX(grok_crossentropy_forward)(w->losses, logits, y, n, V);
    else
        SFX(grok_mse_forward)(w->losses, logits, y, n, V);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += w->losses[i];
    if (correct) {   /* evaluations only: a training step does not need the argmax */
        *correct = 0;
        for (int i = 0; i < n; i++) {
            const R *row = logits + (size_t)i * V;
            int best = 0;
            for (int j = 1; j < V; j++)
                if (row[j] > row[best])
                    best = j;
            *correct += best == y[i];
        }
    }
    if (losses)
        memcpy(losses, w->losses, n * sizeof *losses);
    if (G) {
        zero(G, m->n_params);
        R *dlogits = base + L.dlogits;
        zero(dlogits, (size_t)n * V);
        if (c->loss == GROK_LOSS_CE)
            SFX(grok_crossentropy_backward)(dlogits, logits, y, 1.0 / n, n, V);
        else
            SFX(grok_mse_backward)(dlogits, logits, y, 1.0 / n, n, V);
        int embedded = m->W_E != GROK_ABSENT;
        R *dx = backward(m, base, &L, P, G, n, embedded);
        if (embedded)
            SFX(grok_embed_backward)(G + m->W_E, m->W_pos != GROK_ABSENT ? G + m->W_pos : NULL,
                                     dx, tokens, n, c->n_ctx,
                                     c->arch == GROK_TRANSFORMER ? c->d_model : c->d_embed);
    }
    return sum / n;
}

void SFX(grok_model_logits)(const struct grok_model *m, struct grok_work *w, const R *params,
                            const R *x, int n, R *logits)
{
    struct grok_work_layout L;
    grok_work_layout(m, n, &L);
    R *base = w->block;
    memcpy(input_slot(m, base, &L), x, (size_t)n * m->d_input * sizeof *x);
    forward(m, base, &L, params, n);
    memcpy(logits, base + L.logits, (size_t)n * m->cfg.d_vocab_out * sizeof *logits);
}

void SFX(grok_model_input_grad)(const struct grok_model *m, struct grok_work *w, const R *params,
                                const R *x, const R *dlogits, int n, R *dx)
{
    struct grok_work_layout L;
    grok_work_layout(m, n, &L);
    R *base = w->block;
    memcpy(input_slot(m, base, &L), x, (size_t)n * m->d_input * sizeof *x);
    forward(m, base, &L, params, n);
    memcpy(base + L.dlogits, dlogits, (size_t)n * m->cfg.d_vocab_out * sizeof *dlogits);
    const R *d = backward(m, base, &L, params, NULL, n, 1);
    memcpy(dx, d, (size_t)n * m->d_input * sizeof *dx);
}
