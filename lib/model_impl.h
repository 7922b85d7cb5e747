/* The forward and backward passes of grok's models, written once over the real type.
 *
 * Included by model_f32.c (R = float) and model_f64.c (R = double) after they define R and
 * SFX(name), which appends the instantiation's suffix to a public name. Everything static here
 * exists once per instantiation. The workspace block is carved by grok_work_layout.
 *
 * Owns: the passes' code, over the caller's parameters, gradient and workspace; no memory of its
 * own. Calls: layers (every layer of a pass), pool (an MLP's columns split over the workers),
 * model_work.h (the workspace's layout and the token table, lib/model.c), CBLAS and simd.h;
 * nothing of storage. Included by model_f32.c and model_f64.c only. */
#include <cblas.h>
#include <string.h>

/* OpenBLAS's cblas.h includes <complex.h>, whose macro I would replace names below. */
#undef I

#include "grok/layers.h"
#include "grok/model.h"
#include "grok/pool.h"
#include "model_work.h"
#include "simd.h"

/* A gradient view that stays NULL when no parameter gradient is wanted or the model lacks the
 * tensor (an MLP's biases under --bias none). */
#define GRAD(G, off) ((G) && (off) != GROK_ABSENT ? (G) + (off) : NULL)
/* A tensor of P, or NULL when the model lacks it: the layers take a NULL bias as none. */
#define PARAM(P, off) ((off) != GROK_ABSENT ? (P) + (off) : NULL)

static void zero(R *x, size_t n) { memset(x, 0, n * sizeof *x); }

static void add_into(R *dst, const R *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] += src[i];
}

/* Views of one block's slice of the workspace (shapes in model_work.h; the LayerNorm arrays
 * are NULL without --norm pre). */
struct block_cache {
    int Q, q0;                 /* query rows per example, the position of the first */
    R *ln1, *ln1_mean, *ln1_rstd, *k, *v, *q, *z, *att, *aq, *mid;
    R *ln2, *ln2_mean, *ln2_rstd, *pre, *post, *out;
    const R *m_in;             /* what the MLP reads: the LayerNorm or mid */
};

static void block_cache(const struct grok_model *m, R *base, const struct grok_work_layout *L,
                        int l, struct block_cache *b)
{
    const struct grok_model_config *c = &m->cfg;
    int last = l == c->n_layers - 1;
    const struct grok_layer_offsets *o = last ? &L->last : &L->full;
    R *s = base + L->layers + (size_t)l * L->full.size;
    b->Q = last ? 1 : c->n_ctx;
    b->q0 = last ? c->readout : 0;
    b->k = s + o->k;
    b->v = s + o->v;
    b->q = s + o->q;
    b->z = s + o->z;
    b->att = s + o->att;
    b->aq = s + o->aq;
    b->mid = s + o->mid;
    b->pre = s + o->pre;
    b->post = s + o->post;
    b->out = s + o->out;
    b->ln1 = b->ln1_mean = b->ln1_rstd = b->ln2 = b->ln2_mean = b->ln2_rstd = NULL;
    b->m_in = b->mid;
    if (c->norm) {
        b->ln1 = s + o->ln1;
        b->ln1_mean = s + o->ln1_mean;
        b->ln1_rstd = s + o->ln1_rstd;
        b->ln2 = s + o->ln2;
        b->ln2_mean = s + o->ln2_mean;
        b->ln2_rstd = s + o->ln2_rstd;
        b->m_in = b->ln2;
    }
}

/* What a block reads: rows of the residual stream, dense (BT rows) or, in the first layer with
 * tokens, the table of (token, position) rows and the map from (example, position) to row. */
struct block_input {
    const R *x;                /* the residual rows */
    const R *a;                /* what the attention reads: their LayerNorm, or x */
    R *k, *v, *q;              /* the projections, rows as x's */
    const int32_t *map;        /* (BT) row of each position; NULL: dense */
    const int32_t *qmap;       /* (n·Q) row of each query; NULL: dense (q has n·Q rows) */
    int rows;                  /* rows of x: BT, or U */
    int q_first, q_rows;       /* rows of x whose queries are computed (table: one position's) */
};

static void block_input(const struct grok_model *m, R *base, const struct grok_work_layout *L,
                        const int32_t *ints, int l, int n, const struct block_cache *b,
                        struct block_input *in)
{
    const struct grok_model_config *c = &m->cfg;
    int T = c->n_ctx, BT = n * T;
    const int32_t *first = ints + L->pos_first;
    if (l == 0 && ints[L->pos_first + T] > 0) {   /* the table of the token path */
        in->x = base + L->tx;
        in->a = c->norm ? base + L->tln : in->x;
        in->k = base + L->tk;
        in->v = base + L->tv;
        in->q = base + L->tq;
        in->map = ints + L->map;
        in->rows = first[T];
        if (b->Q == T) {
            in->qmap = in->map;
            in->q_first = 0;
            in->q_rows = in->rows;
        } else {
            in->qmap = ints + L->qmap;
            in->q_first = first[b->q0];
            in->q_rows = first[b->q0 + 1] - first[b->q0];
        }
        return;
    }
    in->x = l == 0 ? base + L->x : base + L->layers + (size_t)(l - 1) * L->full.size + L->full.out;
    in->a = c->norm ? b->ln1 : in->x;
    in->k = b->k;
    in->v = b->v;
    in->q = b->q;
    in->map = in->qmap = NULL;
    in->rows = BT;
    in->q_first = 0;
    in->q_rows = n * b->Q;
}

/* dst (rows) += the residual rows of the queries: src rows b·T+q0+i (or map[...] of them). */
static void add_query_rows(R *dst, const R *src, const int32_t *map, int n, int T, int q0, int Q,
                           int D)
{
    for (int b = 0; b < n; b++)
        for (int i = 0; i < Q; i++) {
            size_t pos = (size_t)b * T + q0 + i;
            add_into(dst + ((size_t)b * Q + i) * D, src + (map ? (size_t)map[pos] : pos) * D, D);
        }
}

/* The reverse of add_query_rows: dst rows b·T+q0+i (or map[...]) += src rows. */
static void scatter_query_rows(R *dst, const R *src, const int32_t *map, int n, int T, int q0,
                               int Q, int D)
{
    for (int b = 0; b < n; b++)
        for (int i = 0; i < Q; i++) {
            size_t pos = (size_t)b * T + q0 + i;
            add_into(dst + (map ? (size_t)map[pos] : pos) * D, src + ((size_t)b * Q + i) * D, D);
        }
}

/* The first layer's table: each row's token and position embedding, the row of each query. */
static void table_forward(const struct grok_model *m, R *base, const struct grok_work_layout *L,
                          int32_t *ints, const R *P, const int32_t *tokens, int n)
{
    const struct grok_model_config *c = &m->cfg;
    int T = c->n_ctx, D = c->d_model;
    int U = grok_token_table(ints + L->map, ints + L->row_tok, ints + L->row_pos,
                             ints + L->pos_first, ints + L->slot, tokens, n, T, c->d_vocab);
    R *tx = base + L->tx;
    for (int u = 0; u < U; u++) {
        const R *e = P + m->W_E + (size_t)ints[L->row_tok + u] * D;
        const R *p = P + m->W_pos + (size_t)ints[L->row_pos + u] * D;
        for (int d = 0; d < D; d++)
            tx[(size_t)u * D + d] = e[d] + p[d];
    }
    if (c->n_layers == 1)
        for (int b = 0; b < n; b++)
            ints[L->qmap + b] = ints[L->map + (size_t)b * T + c->readout];
}

/* The transformer from its input (the table of tokens, or a continuous input in x) to the
 * logits. */
static void tf_forward(const struct grok_model *m, R *base, const struct grok_work_layout *L,
                       int32_t *ints, const R *P, const int32_t *tokens, int n)
{
    const struct grok_model_config *c = &m->cfg;
    int T = c->n_ctx, D = c->d_model, H = c->n_heads, E = c->d_head, M = c->d_mlp;
    int HE = H * E;
    ints[L->pos_first + T] = 0;   /* no table unless tokens */
    if (tokens)
        table_forward(m, base, L, ints, P, tokens, n);
    struct block_cache b = {0};
    for (int l = 0; l < c->n_layers; l++) {
        const struct grok_block_offsets *o = &m->blocks[l];
        struct block_input in;
        block_cache(m, base, L, l, &b);
        block_input(m, base, L, ints, l, n, &b, &in);
        int Rq = n * b.Q;
        R *a = (R *)in.a;
        if (c->norm)
            SFX(grok_layernorm_forward)(a, in.map ? base + L->tln_mean : b.ln1_mean,
                                        in.map ? base + L->tln_rstd : b.ln1_rstd, in.x,
                                        P + o->ln1_w, P + o->ln1_b, in.rows, D);
        SFX(grok_heads_forward)(in.k, a, P + o->W_K, P + o->b_K, in.rows, D, H, E);
        SFX(grok_heads_forward)(in.v, a, P + o->W_V, P + o->b_V, in.rows, D, H, E);
        const R *qa = a + (size_t)in.q_first * D;
        if (!in.map && b.Q < T) {   /* gather the query rows of the attention input */
            for (int i = 0; i < n; i++)
                memcpy(b.aq + (size_t)i * D, a + ((size_t)i * T + b.q0) * D, D * sizeof *a);
            qa = b.aq;
        }
        SFX(grok_heads_forward)(in.q + (size_t)in.q_first * HE, qa, P + o->W_Q, P + o->b_Q,
                                in.q_rows, D, H, E);
        SFX(grok_attention_forward)(b.z, b.att, in.q, in.k, in.v, in.qmap, in.map, n, T, b.q0, b.Q,
                                    H, E, c->causal);
        SFX(grok_linear_forward)(b.mid, b.z, P + o->W_O, P + o->b_O, Rq, HE, D);
        add_query_rows(b.mid, in.x, in.map, n, T, b.q0, b.Q, D);
        if (c->norm)
            SFX(grok_layernorm_forward)(b.ln2, b.ln2_mean, b.ln2_rstd, b.mid, P + o->ln2_w,
                                        P + o->ln2_b, Rq, D);
        SFX(grok_linear_forward)(b.pre, b.m_in, P + o->W_in, P + o->b_in, Rq, D, M);
        SFX(grok_act_forward)(b.post, b.pre, (long)Rq * M, c->act);
        SFX(grok_linear_forward)(b.out, b.post, P + o->W_out, P + o->b_out, Rq, M, D);
        add_into(b.out, b.mid, (size_t)Rq * D);
    }
    const R *u = b.out;   /* the last block's one row per example: the readout */
    if (c->norm) {
        SFX(grok_layernorm_forward)(base + L->lnf, base + L->lnf_mean, base + L->lnf_rstd, u,
                                    P + m->lnf_w, P + m->lnf_b, n, D);
        u = base + L->lnf;
    }
    SFX(grok_linear_forward)(base + L->logits, u, P + m->W_U, P + m->b_U, n, D, c->d_vocab_out);
}

/* One block backward: g (n·Q, d_model) is the gradient of its output; leaves the gradient of
 * its input in gin (dense, BT rows) or, for the table, in dtx. */
static void block_backward(const struct grok_model *m, R *base, const struct grok_work_layout *L,
                           const int32_t *ints, const R *P, R *G, int l, int n, R *g, R *gin)
{
    const struct grok_model_config *c = &m->cfg;
    const struct grok_block_offsets *o = &m->blocks[l];
    int T = c->n_ctx, D = c->d_model, H = c->n_heads, E = c->d_head, M = c->d_mlp;
    int HE = H * E;
    struct block_cache b;
    struct block_input in;
    block_cache(m, base, L, l, &b);
    block_input(m, base, L, ints, l, n, &b, &in);
    int Rq = n * b.Q, table = in.map != NULL;
    R *dln = base + L->dln, *dpre = base + L->dpre, *dpost = base + L->dpost, *dz = base + L->dz;

    /* MLP; g is the gradient of out and, through the residual, of mid. Without LayerNorm the
     * MLP reads mid itself, so its input's gradient goes straight into g. */
    R *d_min = c->norm ? dln : g;
    zero(dpost, (size_t)Rq * M);
    SFX(grok_linear_backward)(dpost, GRAD(G, o->W_out), GRAD(G, o->b_out), g, b.post,
                              P + o->W_out, Rq, M, D);
    zero(dpre, (size_t)Rq * M);
    SFX(grok_act_backward)(dpre, dpost, b.pre, b.post, (long)Rq * M, c->act);
    if (c->norm)
        zero(dln, (size_t)Rq * D);
    SFX(grok_linear_backward)(d_min, GRAD(G, o->W_in), GRAD(G, o->b_in), dpre, b.m_in,
                              P + o->W_in, Rq, D, M);
    if (c->norm)
        SFX(grok_layernorm_backward)(g, GRAD(G, o->ln2_w), GRAD(G, o->ln2_b), dln, b.mid,
                                     b.ln2_mean, b.ln2_rstd, P + o->ln2_w, Rq, D);

    /* attention; g is now the gradient of mid */
    zero(dz, (size_t)Rq * HE);
    SFX(grok_linear_backward)(dz, GRAD(G, o->W_O), GRAD(G, o->b_O), g, b.z, P + o->W_O, Rq, HE, D);
    R *dq = table ? base + L->dtq : base + L->dq;
    R *dk = table ? base + L->dtk : base + L->dk;
    R *dv = table ? base + L->dtv : base + L->dv;
    zero(dq, (size_t)(table ? in.rows : Rq) * HE);
    zero(dk, (size_t)in.rows * HE);
    zero(dv, (size_t)in.rows * HE);
    SFX(grok_attention_backward)(dq, dk, dv, dz, b.att, in.q, in.k, in.v, in.qmap, in.map, n, T,
                                 b.Q, H, E);

    /* the projections' inputs: da, the gradient of what the attention read */
    R *dx = table ? base + L->dtx : gin;
    R *da = c->norm ? (table ? base + L->dtln : dln) : dx;
    zero(da, (size_t)in.rows * D);
    SFX(grok_heads_backward)(da, GRAD(G, o->W_K), GRAD(G, o->b_K), dk, in.a, P + o->W_K,
                             in.rows, D, H, E);
    SFX(grok_heads_backward)(da, GRAD(G, o->W_V), GRAD(G, o->b_V), dv, in.a, P + o->W_V,
                             in.rows, D, H, E);
    if (!table && b.Q < T) {   /* the gathered query rows, scattered back */
        R *daq = base + L->daq;
        zero(daq, (size_t)Rq * D);
        SFX(grok_heads_backward)(daq, GRAD(G, o->W_Q), GRAD(G, o->b_Q), dq, b.aq, P + o->W_Q, Rq,
                                 D, H, E);
        scatter_query_rows(da, daq, NULL, n, T, b.q0, b.Q, D);
    } else {
        size_t f = (size_t)in.q_first;
        SFX(grok_heads_backward)(da + f * D, GRAD(G, o->W_Q), GRAD(G, o->b_Q), dq + f * HE,
                                 in.a + f * D, P + o->W_Q, in.q_rows, D, H, E);
    }
    if (c->norm) {
        zero(dx, (size_t)in.rows * D);
        SFX(grok_layernorm_backward)(dx, GRAD(G, o->ln1_w), GRAD(G, o->ln1_b), da, in.x,
                                     table ? base + L->tln_mean : b.ln1_mean,
                                     table ? base + L->tln_rstd : b.ln1_rstd, P + o->ln1_w,
                                     in.rows, D);
    }
    /* the residual: mid = input + attention at the query rows */
    scatter_query_rows(dx, g, in.map, n, T, b.q0, b.Q, D);
}

/* From dlogits back to the input, accumulating parameter gradients into G unless it is NULL.
 * Returns the gradient of the continuous input (BT, d_model), or NULL after the token path,
 * whose embedding gradients it has added to G itself. */
static R *tf_backward(const struct grok_model *m, R *base, const struct grok_work_layout *L,
                      const int32_t *ints, const R *P, R *G, int n)
{
    const struct grok_model_config *c = &m->cfg;
    int D = c->d_model;
    R *g = base + L->g0, *gin = base + L->g1;
    const struct grok_layer_offsets *o = &L->last;
    const R *r = base + L->layers + (size_t)(c->n_layers - 1) * L->full.size + o->out;
    zero(g, (size_t)n * D);
    if (c->norm) {
        R *du = base + L->dlnf;
        zero(du, (size_t)n * D);
        SFX(grok_linear_backward)(du, GRAD(G, m->W_U), GRAD(G, m->b_U), base + L->dlogits,
                                  base + L->lnf, P + m->W_U, n, D, c->d_vocab_out);
        SFX(grok_layernorm_backward)(g, GRAD(G, m->lnf_w), GRAD(G, m->lnf_b), du, r,
                                     base + L->lnf_mean, base + L->lnf_rstd, P + m->lnf_w, n, D);
    } else {
        SFX(grok_linear_backward)(g, GRAD(G, m->W_U), GRAD(G, m->b_U), base + L->dlogits, r,
                                  P + m->W_U, n, D, c->d_vocab_out);
    }
    for (int l = c->n_layers - 1; l >= 0; l--) {
        block_backward(m, base, L, ints, P, G, l, n, g, gin);
        R *t = g;
        g = gin;
        gin = t;
    }
    int U = ints[L->pos_first + c->n_ctx];
    if (U == 0)
        return g;
    const R *dtx = base + L->dtx;
    for (int u = 0; G && u < U; u++) {
        R *e = G + m->W_E + (size_t)ints[L->row_tok + u] * D;
        R *p = G + m->W_pos + (size_t)ints[L->row_pos + u] * D;
        add_into(e, dtx + (size_t)u * D, D);
        add_into(p, dtx + (size_t)u * D, D);
    }
    return NULL;
}

/* The first hidden layer's pre-activation from tokens through the embedding table: position t's
 * rows of W_E times t's slice of the weight, once per (token, position) that occurs, then summed
 * per example. */
/* The table of the (token, position) pairs of n contexts and their embedding rows te. */
static void mlp_table_build(const struct grok_model *m, R *base, const struct grok_work_layout *L,
                            int32_t *ints, const R *P, const int32_t *tokens, int n)
{
    const struct grok_model_config *c = &m->cfg;
    int De = c->d_embed;
    int U = grok_token_table(ints + L->map, ints + L->row_tok, ints + L->row_pos,
                             ints + L->pos_first, ints + L->slot, tokens, n, c->n_ctx, c->d_vocab);
    R *te = base + L->te;
    for (int u = 0; u < U; u++)
        memcpy(te + (size_t)u * De, P + m->W_E + (size_t)ints[L->row_tok + u] * De,
               De * sizeof *te);
}

static void mlp_table_forward(const struct grok_model *m, R *base, const struct grok_work_layout *L,
                              int32_t *ints, const R *P, const int32_t *tokens, int n)
{
    const struct grok_model_config *c = &m->cfg;
    int T = c->n_ctx, De = c->d_embed, W = c->hidden[0];
    int32_t *first = ints + L->pos_first, *map = ints + L->map;
    mlp_table_build(m, base, L, ints, P, tokens, n);
    R *te = base + L->te, *tpre = base + L->tpre, *pre = base + L->hpre[0];
    for (int t = 0; t < T; t++)
        SFX(grok_linear_forward)(tpre + (size_t)first[t] * W, te + (size_t)first[t] * De,
                                 P + m->mlp_W[0] + (size_t)t * De * W, NULL,
                                 first[t + 1] - first[t], De, W);
    const R *bias = PARAM(P, m->mlp_b[0]);
    for (int i = 0; i < n; i++) {
        R *o = pre + (size_t)i * W;
        if (bias)
            memcpy(o, bias, W * sizeof *o);
        else
            zero(o, W);
        for (int t = 0; t < T; t++)
            add_into(o, tpre + (size_t)map[(size_t)i * T + t] * W, W);
    }
}

/* The reverse of mlp_table_forward from dpre (n, hidden[0]): the first layer's and the
 * embedding's gradients. */
static void mlp_table_backward(const struct grok_model *m, R *base,
                               const struct grok_work_layout *L, const int32_t *ints, const R *P,
                               R *G, const R *dpre, int n)
{
    const struct grok_model_config *c = &m->cfg;
    int T = c->n_ctx, De = c->d_embed, W = c->hidden[0];
    const int32_t *first = ints + L->pos_first, *map = ints + L->map;
    int U = first[T];
    R *dtpre = base + L->dtpre, *dte = base + L->dte;
    zero(dtpre, (size_t)U * W);
    R *db = GRAD(G, m->mlp_b[0]);
    for (int i = 0; i < n; i++) {
        const R *d = dpre + (size_t)i * W;
        if (db)
            add_into(db, d, W);
        for (int t = 0; t < T; t++)
            add_into(dtpre + (size_t)map[(size_t)i * T + t] * W, d, W);
    }
    zero(dte, (size_t)U * De);
    for (int t = 0; t < T; t++) {
        size_t f = first[t], off = (size_t)t * De * W;
        SFX(grok_linear_backward)(dte + f * De, G + m->mlp_W[0] + off, NULL, dtpre + f * W,
                                  base + L->te + f * De, P + m->mlp_W[0] + off,
                                  first[t + 1] - first[t], De, W);
    }
    for (int u = 0; u < U; u++)
        add_into(G + m->W_E + (size_t)ints[L->row_tok + u] * De, dte + (size_t)u * De, De);
}

/* Whether the MLP reads tokens through the embedding table (training and evaluation). */
static int mlp_uses_table(const struct grok_model *m, const int32_t *tokens)
{
    return tokens && m->cfg.input == GROK_INPUT_EMBED && m->cfg.n_hidden > 0;
}

/* The MLP from its input (x, or the table of tokens) to the logits. */
static void mlp_forward(const struct grok_model *m, R *base, const struct grok_work_layout *L,
                        int32_t *ints, const R *P, const int32_t *tokens, int n)
{
    const struct grok_model_config *c = &m->cfg;
    const R *h = base + L->x;
    int width = (int)m->d_input;
    for (int i = 0; i < c->n_hidden; i++) {
        R *pre = base + L->hpre[i], *post = base + L->hpost[i];
        if (i == 0 && mlp_uses_table(m, tokens))
            mlp_table_forward(m, base, L, ints, P, tokens, n);
        else
            SFX(grok_linear_forward)(pre, h, P + m->mlp_W[i], PARAM(P, m->mlp_b[i]), n, width,
                                     c->hidden[i]);
        SFX(grok_act_forward)(post, pre, (long)n * c->hidden[i], c->act);
        h = post;
        width = c->hidden[i];
    }
    SFX(grok_linear_forward)(base + L->logits, h, P + m->W_U, PARAM(P, m->b_U), n, width,
                             c->d_vocab_out);
}

/* From dlogits back to the input: dx (n, d_input) when dx is not NULL. With the table (tokens)
 * the embedding's gradient goes into G directly and dx is not used. */
static void mlp_backward(const struct grok_model *m, R *base, const struct grok_work_layout *L,
                         const int32_t *ints, const R *P, R *G, const int32_t *tokens, int n,
                         R *dx)
{
    const struct grok_model_config *c = &m->cfg;
    int last = c->n_hidden - 1;
    if (last < 0) {   /* no hidden layer: the logits are a linear map of x */
        if (dx)
            zero(dx, (size_t)n * m->d_input);
        SFX(grok_linear_backward)(dx, GRAD(G, m->W_U), GRAD(G, m->b_U), base + L->dlogits,
                                  base + L->x, P + m->W_U, n, (int)m->d_input, c->d_vocab_out);
        return;
    }
    R *dh = base + L->dh0, *dpre = base + L->dh1;
    zero(dh, (size_t)n * c->hidden[last]);
    SFX(grok_linear_backward)(dh, GRAD(G, m->W_U), GRAD(G, m->b_U), base + L->dlogits,
                              base + L->hpost[last], P + m->W_U, n, c->hidden[last],
                              c->d_vocab_out);
    for (int i = last; i >= 0; i--) {
        int width_in = i > 0 ? c->hidden[i - 1] : (int)m->d_input;
        const R *in = i > 0 ? base + L->hpost[i - 1] : base + L->x;
        zero(dpre, (size_t)n * c->hidden[i]);
        SFX(grok_act_backward)(dpre, dh, base + L->hpre[i], base + L->hpost[i], (long)n * c->hidden[i],
                               c->act);
        if (i == 0 && G && mlp_uses_table(m, tokens)) {
            mlp_table_backward(m, base, L, ints, P, G, dpre, n);
            break;
        }
        R *dprev = i > 0 ? dh : dx;
        if (dprev)
            zero(dprev, (size_t)n * width_in);
        SFX(grok_linear_backward)(dprev, GRAD(G, m->mlp_W[i]), GRAD(G, m->mlp_b[i]), dpre, in,
                                  P + m->mlp_W[i], n, width_in, c->hidden[i]);
    }
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
    case GROK_INPUT_ONEHOT_SUM:   /* a repeated token counts twice: e_a + e_a */
        zero(x, (size_t)n * m->d_input);
        for (int i = 0; i < n; i++)
            for (int t = 0; t < c->n_ctx; t++)
                x[(size_t)i * m->d_input + tokens[i * c->n_ctx + t]] += 1;
        break;
    default:
        for (int i = 0; i < n; i++)
            for (int t = 0; t < c->n_ctx; t++)
                x[(size_t)i * c->n_ctx + t] = (R)tokens[i * c->n_ctx + t];
        break;
    }
}

/* The forward pass from tokens (the fast path of training and evaluation) or, when tokens is
 * NULL, from the continuous input already in the workspace's x. */
static void forward(const struct grok_model *m, struct grok_work *w, const struct grok_work_layout *L,
                    const R *P, const int32_t *tokens, int n)
{
    R *base = w->block;
    if (m->cfg.arch == GROK_TRANSFORMER) {
        tf_forward(m, base, L, w->ints, P, tokens, n);
        return;
    }
    if (tokens && !mlp_uses_table(m, tokens))
        SFX(grok_model_input)(m, P, tokens, n, base + L->x);
    mlp_forward(m, base, L, w->ints, P, tokens, n);
}

/* Backward from the workspace's dlogits. Returns d(input) (BT, d_model or n, d_input) when the
 * input was continuous or need_dx asks for it; NULL when the token path has put the embedding's
 * gradient in G itself. */
static R *backward(const struct grok_model *m, struct grok_work *w, const struct grok_work_layout *L,
                   const R *P, R *G, const int32_t *tokens, int n, int need_dx)
{
    R *base = w->block;
    if (m->cfg.arch == GROK_TRANSFORMER)
        return tf_backward(m, base, L, w->ints, P, G, n);
    R *dx = need_dx && !mlp_uses_table(m, tokens) ? base + L->dx : NULL;
    mlp_backward(m, base, L, w->ints, P, G, tokens, n, dx);
    return dx;
}

/* Backward from the workspace's dlogits into the parameters' gradient G (accumulated), the
 * embedding's included: through the token table, or from the input's adjoint when the examples
 * came as tokens through an embedding. A continuous input (tokens NULL) has no embedding to
 * reach. */
static void params_backward(const struct grok_model *m, struct grok_work *w,
                            const struct grok_work_layout *L, const R *P, R *G,
                            const int32_t *tokens, int n)
{
    const struct grok_model_config *c = &m->cfg;
    int embedded = tokens && m->W_E != GROK_ABSENT;
    R *dx = backward(m, w, L, P, G, tokens, n, embedded);
    if (embedded && dx)
        SFX(grok_embed_backward)(G + m->W_E, m->W_pos != GROK_ABSENT ? G + m->W_pos : NULL, dx,
                                 tokens, n, c->n_ctx,
                                 c->arch == GROK_TRANSFORMER ? c->d_model : c->d_embed);
}

/* Each example's loss (N) of the rows of logits (N, V), by the model's loss: the
 * cross-entropy's when it is not fused with its gradient. */
static void loss_forward(const struct grok_model *m, double *losses, const R *logits,
                         const int32_t *y, int n)
{
    int V = m->cfg.d_vocab_out;
    switch (m->cfg.loss) {
    case GROK_LOSS_CE:
        SFX(grok_crossentropy_forward)(losses, logits, y, n, V);
        break;
    case GROK_LOSS_STABLEMAX:
        SFX(grok_stablemax_forward)(losses, logits, y, n, V);
        break;
    case GROK_LOSS_MSE:
        SFX(grok_mse_forward)(losses, logits, y, n, V);
        break;
    }
}

/* d(loss)/d(logits) into the zeroed dlogits: example i's row scaled by scale · weight[i] (1
 * without weights), row by row then, so that the layer's arithmetic stays that of one scale. */
static void loss_backward(const struct grok_model *m, double *losses, R *dlogits, const R *logits,
                          const int32_t *y, const double *weight, double scale, int n, int fused)
{
    int V = m->cfg.d_vocab_out;
    int rows = weight ? n : 1, per = weight ? 1 : n;
    for (int i = 0; i < rows; i++) {
        double s = weight ? scale * weight[i] : scale;
        size_t at = (size_t)i * V;
        if (fused)
            SFX(grok_crossentropy_forward_backward)(losses + i, dlogits + at, logits + at, y + i, s,
                                                    per, V);
        else if (m->cfg.loss == GROK_LOSS_STABLEMAX)
            SFX(grok_stablemax_backward)(dlogits + at, logits + at, y + i, s, per, V);
        else
            SFX(grok_mse_backward)(dlogits + at, logits + at, y + i, s, per, V);
    }
}

/* How many of the n rows of logits (n, V) have their largest value at the answer. */
static int count_correct(const R *logits, const int32_t *y, int n, int V)
{
    int right = 0;
    for (int i = 0; i < n; i++) {
        const R *row = logits + (size_t)i * V;
        int best = 0;
        for (int j = 1; j < V; j++)
            if (row[j] > row[best])
                best = j;
        right += best == y[i];
    }
    return right;
}

double SFX(grok_model_loss_grad)(const struct grok_model *m, struct grok_work *w, const R *P,
                                 R *G, const int32_t *tokens, const int32_t *y, int n,
                                 int *correct, double *losses)
{
    return SFX(grok_model_loss_grad_weighted)(m, w, P, G, tokens, y, NULL, n, 1.0 / n, correct,
                                              losses);
}

double SFX(grok_model_loss_grad_weighted)(const struct grok_model *m, struct grok_work *w,
                                          const R *P, R *G, const int32_t *tokens,
                                          const int32_t *y, const double *weight, int n,
                                          double scale, int *correct, double *losses)
{
    const struct grok_model_config *c = &m->cfg;
    struct grok_work_layout L;
    grok_work_layout(m, n, &L);
    R *base = w->block;
    forward(m, w, &L, P, tokens, n);

    const R *logits = base + L.logits;
    R *dlogits = base + L.dlogits;
    int V = c->d_vocab_out, fused = G && c->loss == GROK_LOSS_CE;
    if (fused) {
        zero(dlogits, (size_t)n * V);
        loss_backward(m, w->losses, dlogits, logits, y, weight, scale, n, 1);
    } else {
        loss_forward(m, w->losses, logits, y, n);
    }
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += weight ? weight[i] * w->losses[i] : w->losses[i];
    if (correct)   /* evaluations only: a training step does not need the argmax */
        *correct = count_correct(logits, y, n, V);
    if (losses)
        memcpy(losses, w->losses, n * sizeof *losses);
    if (G) {
        zero(G, m->n_params);
        if (!fused) {
            zero(dlogits, (size_t)n * V);
            loss_backward(m, NULL, dlogits, logits, y, weight, scale, n, 0);
        }
        params_backward(m, w, &L, P, G, tokens, n);
    }
    return sum * scale;
}

void SFX(grok_model_logits)(const struct grok_model *m, struct grok_work *w, const R *params,
                            const R *x, int n, R *logits)
{
    struct grok_work_layout L;
    grok_work_layout(m, n, &L);
    R *base = w->block;
    memcpy(base + L.x, x, (size_t)n * m->d_input * sizeof *x);
    forward(m, w, &L, params, NULL, n);
    memcpy(logits, base + L.logits, (size_t)n * m->cfg.d_vocab_out * sizeof *logits);
}

void SFX(grok_model_input_grad)(const struct grok_model *m, struct grok_work *w, const R *params,
                                const R *x, const R *dlogits, int n, R *dx)
{
    struct grok_work_layout L;
    grok_work_layout(m, n, &L);
    R *base = w->block;
    memcpy(base + L.x, x, (size_t)n * m->d_input * sizeof *x);
    forward(m, w, &L, params, NULL, n);
    memcpy(base + L.dlogits, dlogits, (size_t)n * m->cfg.d_vocab_out * sizeof *dlogits);
    const R *d = backward(m, w, &L, params, NULL, NULL, n, 1);
    memcpy(dx, d, (size_t)n * m->d_input * sizeof *dx);
}

double SFX(grok_model_regress_loss_grad)(const struct grok_model *m, struct grok_work *w,
                                         const R *P, R *G, const R *x, const R *target, int n,
                                         double scale, double *losses)
{
    struct grok_work_layout L;
    grok_work_layout(m, n, &L);
    R *base = w->block;
    int C = m->cfg.d_vocab_out;
    memcpy(base + L.x, x, (size_t)n * m->d_input * sizeof *x);
    forward(m, w, &L, P, NULL, n);
    SFX(grok_mse_target_forward)(w->losses, base + L.logits, target, n, C);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += w->losses[i];
    if (losses)
        memcpy(losses, w->losses, n * sizeof *losses);
    if (G) {
        zero(G, m->n_params);
        zero(base + L.dlogits, (size_t)n * C);
        SFX(grok_mse_target_backward)(base + L.dlogits, base + L.logits, target, scale, n, C);
        params_backward(m, w, &L, P, G, NULL, n);
    }
    return sum * scale;
}

void SFX(grok_model_param_vjp)(const struct grok_model *m, struct grok_work *w, const R *P,
                               R *G, const int32_t *tokens, const R *x, const R *dlogits, int n)
{
    const struct grok_model_config *c = &m->cfg;
    struct grok_work_layout L;
    grok_work_layout(m, n, &L);
    R *base = w->block;
    if (!tokens)
        memcpy(base + L.x, x, (size_t)n * m->d_input * sizeof *x);
    forward(m, w, &L, P, tokens, n);
    memcpy(base + L.dlogits, dlogits, (size_t)n * c->d_vocab_out * sizeof *dlogits);
    params_backward(m, w, &L, P, G, tokens, n);
}

void SFX(grok_model_readout_acts)(const struct grok_model *m, struct grok_work *w, const R *P,
                                  const int32_t *tokens, int n, R *logits, R *acts)
{
    struct grok_work_layout L;
    grok_work_layout(m, n, &L);
    R *base = w->block;
    forward(m, w, &L, P, tokens, n);
    memcpy(logits, base + L.logits, (size_t)n * m->cfg.d_vocab_out * sizeof *logits);
    struct block_cache b;
    block_cache(m, base, &L, m->cfg.n_layers - 1, &b);   /* its one query row: the readout */
    memcpy(acts, b.post, (size_t)n * m->cfg.d_mlp * sizeof *acts);
}

/* ---- the MLP's gradient split between a pool's workers by columns ----
 *
 * Splitting the batch between threads (the trainer's way) makes every thread build the
 * embedding table of its slice, which is almost the whole batch's: for P3's model that
 * duplicated a third of the step's arithmetic. Here every worker takes the whole batch and a
 * block of each matrix product's output columns, reading inputs that a previous phase finished:
 * hidden units, then the logits and the loss by rows, then the gradients back down. No two
 * workers write the same element, no partial sums are added, and a phase is one hand-off of the
 * pool. */

struct col_job {
    const struct grok_model *m;
    const struct grok_work_layout *L;
    R *base;
    const int32_t *ints;
    const R *P;
    R *G;
    const int32_t *y;
    const double *weight;
    double *losses;            /* (n) the workspace's */
    int n, k, table, layer;
    double scale;
    double loss[GROK_POOL_MAX];
    int correct[GROK_POOL_MAX];
};

/* C = beta·C + op(A)·op(B), row-major; nothing for an empty product. A product of one row
 * (a position of the table whose token never changes) goes to gemv, one of inner dimension 1
 * to ger: OpenBLAS's gemm packs a whole panel of each operand first, which for one row costs
 * as much as the product. */
static void mm(int ta, int tb, int M, int N, int K, const R *A, int lda, const R *B, int ldb,
               R beta, R *C, int ldc)
{
    if (M <= 0 || N <= 0 || K <= 0)
        return;
    if (M == 1) {   /* c = op(B)ᵀ a, a's K values a step apart (A 1×K) or lda apart (Aᵀ K×1) */
        GEMV(CblasRowMajor, tb ? CblasNoTrans : CblasTrans, tb ? N : K, tb ? K : N, 1, B, ldb, A,
             ta ? lda : 1, beta, C, 1);
        return;
    }
    if (K == 1) {   /* C = beta·C + a bᵀ, a the column of op(A), b the row of op(B) */
        if (beta != 1)
            for (int r = 0; r < M; r++)
                for (int c = 0; c < N; c++)
                    C[(size_t)r * ldc + c] = beta == 0 ? 0 : beta * C[(size_t)r * ldc + c];
        GER(CblasRowMajor, M, N, 1, A, ta ? 1 : lda, B, tb ? ldb : 1, C, ldc);
        return;
    }
    GEMM(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K,
         1, A, lda, B, ldb, beta, C, ldc);
}

/* Worker i's block c0 .. c1−1 of `width` columns. */
static int col_block(const struct col_job *j, int width, int i, int *c0)
{
    size_t lo, hi;
    grok_pool_share((size_t)width, j->k, i, &lo, &hi);
    *c0 = (int)lo;
    return (int)(hi - lo);
}

/* ReLU when relu is set (NaN passes, as grok_act_forward's), s itself otherwise. */
static inline R relu_if(int relu, R s) { return relu && s < 0 ? 0 : s; }

/* One example's first-layer units in a block of J columns: the bias plus the rows of its T
 * tokens in the table (tpre, rows W apart; tok: the example's table rows), added in that order,
 * then the activation; one pass, the sum in registers for the contexts' two to four tokens.
 * ReLU writes no pre-activation: its backward gates on the output (col_layer_grad), and the
 * stream of stores it saves was a tenth of the step. */
static inline void table_units(R *pre, R *post, const R *b, const R *tpre, const int32_t *tok,
                               int W, int T, int J, enum grok_act act)
{
    int relu = act == GROK_ACT_RELU;
    R *o = relu ? post : pre;
    const R *r0 = tpre + (size_t)tok[0] * W, *r1 = tpre + (size_t)tok[T > 1] * W,
            *r2 = tpre + (size_t)tok[T > 2 ? 2 : 0] * W, *r3 = tpre + (size_t)tok[T > 3 ? 3 : 0] * W;
    if (T == 2) {
        for (int c = 0; c < J; c++)
            o[c] = relu_if(relu, (b[c] + r0[c]) + r1[c]);
    } else if (T == 3) {
        for (int c = 0; c < J; c++)
            o[c] = relu_if(relu, ((b[c] + r0[c]) + r1[c]) + r2[c]);
    } else if (T == 4) {
        for (int c = 0; c < J; c++)
            o[c] = relu_if(relu, (((b[c] + r0[c]) + r1[c]) + r2[c]) + r3[c]);
    } else {
        memcpy(o, b, J * sizeof *o);
        for (int t = 0; t < T; t++)
            add_into(o, tpre + (size_t)tok[t] * W, J);
        for (int c = 0; relu && c < J; c++)
            o[c] = relu_if(relu, o[c]);
    }
    if (!relu)
        SFX(grok_act_forward)(post, pre, J, act);
}

SIMD_CLONES
static void col_forward(void *ctx, int i)
{
    struct col_job *j = ctx;
    const struct grok_model *m = j->m;
    const struct grok_model_config *c = &m->cfg;
    const struct grok_work_layout *L = j->L;
    int l = j->layer, W = c->hidden[l], c0, J = col_block(j, W, i, &c0), n = j->n;
    if (l == 0 && j->G) {   /* the gradient's share of worker i, zeroed for the phases to come */
        size_t lo, hi;
        grok_pool_share(m->n_params, j->k, i, &lo, &hi);
        zero(j->G + lo, hi - lo);
    }
    if (J <= 0)
        return;
    R *pre = j->base + L->hpre[l], *post = j->base + L->hpost[l];
    const R *bias = j->P + m->mlp_b[l];
    if (l == 0 && j->table) {
        int T = c->n_ctx, De = c->d_embed;
        const int32_t *first = j->ints + L->pos_first, *map = j->ints + L->map;
        R *tpre = j->base + L->tpre;
        for (int t = 0; t < T; t++)
            mm(0, 0, first[t + 1] - first[t], J, De, j->base + L->te + (size_t)first[t] * De, De,
               j->P + m->mlp_W[0] + (size_t)t * De * W + c0, W, 0,
               tpre + (size_t)first[t] * W + c0, W);
        for (int r = 0; r < n; r++)
            table_units(pre + (size_t)r * W + c0, post + (size_t)r * W + c0, bias + c0,
                        tpre + c0, map + (size_t)r * T, W, T, J, c->act);
        return;
    }
    for (int r = 0; r < n; r++)
        memcpy(pre + (size_t)r * W + c0, bias + c0, J * sizeof *pre);
    int width = l ? c->hidden[l - 1] : (int)m->d_input;
    const R *in = j->base + (l ? L->hpost[l - 1] : L->x);
    mm(0, 0, n, J, width, in, width, j->P + m->mlp_W[l] + c0, W, 1, pre + c0, W);
    for (int r = 0; r < n; r++)
        SFX(grok_act_forward)(post + (size_t)r * W + c0, pre + (size_t)r * W + c0, J, c->act);
}

/* The logits and the loss of worker i's block of examples (the unembedding reads every hidden
 * column, finished), and the loss's gradient with respect to those logits. */
static void col_logits_loss(void *ctx, int i)
{
    struct col_job *j = ctx;
    const struct grok_model *m = j->m;
    int V = m->cfg.d_vocab_out, r0, rows = col_block(j, j->n, i, &r0), ce = m->cfg.loss == GROK_LOSS_CE;
    int last = m->cfg.n_hidden - 1, width = m->cfg.hidden[last];
    j->loss[i] = 0;
    j->correct[i] = 0;
    if (rows <= 0)
        return;
    R *logits = j->base + j->L->logits + (size_t)r0 * V;
    for (int r = 0; r < rows; r++)
        memcpy(logits + (size_t)r * V, j->P + m->b_U, V * sizeof *logits);
    mm(0, 0, rows, V, width, j->base + j->L->hpost[last] + (size_t)r0 * width, width,
       j->P + m->W_U, V, 1, logits, V);
    R *dlogits = j->base + j->L->dlogits + (size_t)r0 * V;
    const double *weight = j->weight ? j->weight + r0 : NULL;
    double *out = j->losses + r0;
    if (!ce || !j->G)   /* the cross-entropy's, with a gradient, comes with it */
        loss_forward(m, out, logits, j->y + r0, rows);
    if (j->G) {
        zero(dlogits, (size_t)rows * V);
        loss_backward(m, ce ? out : NULL, dlogits, logits, j->y + r0, weight, j->scale, rows, ce);
    } else {
        j->correct[i] = count_correct(logits, j->y + r0, rows, V);
    }
    double sum = 0;
    for (int r = 0; r < rows; r++)
        sum += weight ? weight[r] * out[r] : out[r];
    j->loss[i] = sum * j->scale;
}

/* One example's ReLU gradient v = (h > 0)·dh, added to the bias's gradient db and to the table
 * rows t0 and t1 of its two varying tokens (different positions: different rows). */
static inline void relu_grad_scatter2(R *restrict db, R *restrict t0, R *restrict t1,
                                      const R *restrict h, const R *restrict dh, int J)
{
    for (int x = 0; x < J; x++) {
        R v = h[x] > 0 ? dh[x] : 0;
        db[x] += v;
        t0[x] += v;
        t1[x] += v;
    }
}

/* Layer l's gradients in worker i's columns from dh, its output's gradient in those columns:
 * dpre = act'(pre) · dh, the bias, the weight (through the table for the first layer of
 * tokens). dh and dpre are the workspace's two (n, hidden[l]) scratch arrays. */
SIMD_CLONES
static void col_layer_grad(struct col_job *j, int l, int i)
{
    const struct grok_model *m = j->m;
    const struct grok_model_config *c = &m->cfg;
    const struct grok_work_layout *L = j->L;
    int W = c->hidden[l], c0, J = col_block(j, W, i, &c0), n = j->n;
    if (J <= 0)
        return;
    R *dh = j->base + L->dh0, *dpre = j->base + L->dh1, *db = j->G + m->mlp_b[l];
    const R *pre = j->base + L->hpre[l], *post = j->base + L->hpost[l];
    /* ReLU gates on its output: the table's forward pass writes no pre-activation for it. */
    const R *gate = c->act == GROK_ACT_RELU ? post : pre;
    int table = l == 0 && j->table, T = c->n_ctx;
    const int32_t *first = j->ints + L->pos_first, *map = j->ints + L->map;
    R *dtpre = j->base + L->dtpre;
    if (!table) {
        for (int r = 0; r < n; r++) {
            size_t at = (size_t)r * W + c0;
            zero(dpre + at, J);
            SFX(grok_act_backward)(dpre + at, dh + at, gate + at, post + at, J, c->act);
            add_into(db + c0, dpre + at, J);
        }
        int width = l ? c->hidden[l - 1] : (int)m->d_input;
        mm(1, 0, width, J, n, j->base + (l ? L->hpost[l - 1] : L->x), width, dpre + c0, W, 1,
           j->G + m->mlp_W[l] + c0, W);
        return;
    }
    /* Through the table, each example's dpre is added to the bias's gradient and to the table
     * rows of its tokens as soon as it is made. A position whose token is the same in every
     * example has one table row, whose sum over the examples is the bias's, in the same order:
     * copied after, not added. */
    int n_vary = 0, va = 0, vb = 0;   /* how many positions vary, the first two */
    for (int t = 0; t < T; t++)
        if (first[t + 1] - first[t] > 1) {
            va = n_vary ? va : t;
            vb = n_vary == 1 ? t : vb;
            n_vary++;
        }
    for (int u = 0; u < first[T]; u++)
        zero(dtpre + (size_t)u * W + c0, J);
    R *d = dpre + c0;   /* one row of scratch, scattered at once */
    for (int r = 0; r < n; r++) {
        size_t at = (size_t)r * W + c0;
        if (c->act == GROK_ACT_RELU && n_vary == 2) {   /* the contexts' a and b, fused */
            R *t0 = dtpre + (size_t)map[(size_t)r * T + va] * W + c0;
            R *t1 = dtpre + (size_t)map[(size_t)r * T + vb] * W + c0;
            relu_grad_scatter2(db + c0, t0, t1, gate + at, dh + at, J);
            continue;
        }
        zero(d, J);
        SFX(grok_act_backward)(d, dh + at, gate + at, post + at, J, c->act);
        add_into(db + c0, d, J);
        for (int t = 0; t < T; t++)
            if (first[t + 1] - first[t] > 1)
                add_into(dtpre + (size_t)map[(size_t)r * T + t] * W + c0, d, J);
    }
    int De = c->d_embed;
    for (int t = 0; t < T; t++)
        if (first[t + 1] - first[t] == 1)
            memcpy(dtpre + (size_t)first[t] * W + c0, db + c0, J * sizeof *dtpre);
    for (int t = 0; t < T; t++)
        mm(1, 0, De, J, first[t + 1] - first[t], j->base + L->te + (size_t)first[t] * De, De,
           dtpre + (size_t)first[t] * W + c0, W, 1, j->G + m->mlp_W[0] + (size_t)t * De * W + c0, W);
}

/* The unembedding's gradient in worker i's rows (its hidden units) and its bias's in the
 * worker's logit columns, then the last hidden layer's. */
SIMD_CLONES
static void col_backward_out(void *ctx, int i)
{
    struct col_job *j = ctx;
    const struct grok_model *m = j->m;
    int V = m->cfg.d_vocab_out, last = m->cfg.n_hidden - 1, W = m->cfg.hidden[last], n = j->n;
    const R *dlogits = j->base + j->L->dlogits, *h = j->base + j->L->hpost[last];
    int v0, Jv = col_block(j, V, i, &v0), c0, J = col_block(j, W, i, &c0);
    for (int r = 0; Jv > 0 && r < n; r++)
        add_into(j->G + m->b_U + v0, dlogits + (size_t)r * V + v0, Jv);
    /* W_U's rows of the worker's hidden units: it reads the activations it made, and no two
     * workers pack the same block of them */
    mm(1, 0, J, V, n, h + c0, W, dlogits, V, 1, j->G + m->W_U + (size_t)c0 * V, V);
    mm(0, 1, n, J, V, dlogits, V, j->P + m->W_U + (size_t)c0 * V, V, 0, j->base + j->L->dh0 + c0, W);
    col_layer_grad(j, last, i);
}

/* dh of hidden layer l in worker i's columns, from layer l+1's dpre (all columns, finished). */
static void col_backward_hidden(void *ctx, int i)
{
    struct col_job *j = ctx;
    const struct grok_model_config *c = &j->m->cfg;
    int l = j->layer, W = c->hidden[l], Wn = c->hidden[l + 1], c0, J = col_block(j, W, i, &c0);
    mm(0, 1, j->n, J, Wn, j->base + j->L->dh1, Wn, j->P + j->m->mlp_W[l + 1] + (size_t)c0 * Wn, Wn,
       0, j->base + j->L->dh0 + c0, W);
}

static void col_layer_grad_job(void *ctx, int i)
{
    struct col_job *j = ctx;
    col_layer_grad(j, j->layer, i);
}

/* The embedding's gradient in worker i's embedding columns: each table row's, from the first
 * layer's dtpre (all columns, finished), added to the rows of its tokens. */
SIMD_CLONES
static void col_embed_grad(void *ctx, int i)
{
    struct col_job *j = ctx;
    const struct grok_model *m = j->m;
    const struct grok_work_layout *L = j->L;
    int T = m->cfg.n_ctx, De = m->cfg.d_embed, W = m->cfg.hidden[0], d0, J = col_block(j, De, i, &d0);
    if (J <= 0)
        return;
    const int32_t *first = j->ints + L->pos_first, *row_tok = j->ints + L->row_tok;
    R *dte = j->base + L->dte;
    for (int t = 0; t < T; t++)
        mm(0, 1, first[t + 1] - first[t], J, W, j->base + L->dtpre + (size_t)first[t] * W, W,
           j->P + m->mlp_W[0] + ((size_t)t * De + d0) * W, W, 0, dte + (size_t)first[t] * De + d0, De);
    for (int u = 0; u < first[T]; u++)
        add_into(j->G + m->W_E + (size_t)row_tok[u] * De + d0, dte + (size_t)u * De + d0, J);
}

int SFX(grok_model_splits_columns)(const struct grok_model *m)
{
    /* the column phases fold the biases into their sums: a bias-less MLP takes the batch path */
    return m->cfg.arch == GROK_MLP && m->cfg.n_hidden > 0 && !m->cfg.no_bias;
}

double SFX(grok_model_loss_grad_pool)(const struct grok_model *m, struct grok_work *w,
                                      struct grok_pool *pool, const R *P, R *G,
                                      const int32_t *tokens, const int32_t *y,
                                      const double *weight, int n, double scale, int *correct)
{
    if (!SFX(grok_model_splits_columns)(m))
        return SFX(grok_model_loss_grad_weighted)(m, w, P, G, tokens, y, weight, n, scale,
                                                  correct, NULL);
    struct grok_work_layout L;
    grok_work_layout(m, n, &L);
    struct col_job j = {.m = m, .L = &L, .base = w->block, .ints = w->ints, .P = P, .G = G,
                        .y = y, .weight = weight, .losses = w->losses, .n = n,
                        .k = grok_pool_size(pool), .table = mlp_uses_table(m, tokens),
                        .scale = scale};
    if (j.table)
        mlp_table_build(m, w->block, &L, w->ints, P, tokens, n);
    else
        SFX(grok_model_input)(m, P, tokens, n, j.base + L.x);
    for (j.layer = 0; j.layer < m->cfg.n_hidden; j.layer++)
        grok_pool_run(pool, col_forward, &j);
    grok_pool_run(pool, col_logits_loss, &j);
    double loss = 0;
    int right = 0;
    for (int i = 0; i < j.k; i++) {
        loss += j.loss[i];
        right += j.correct[i];
    }
    if (!G) {
        if (correct)
            *correct = right;
        return loss;
    }
    grok_pool_run(pool, col_backward_out, &j);
    for (j.layer = m->cfg.n_hidden - 2; j.layer >= 0; j.layer--) {
        grok_pool_run(pool, col_backward_hidden, &j);
        grok_pool_run(pool, col_layer_grad_job, &j);
    }
    if (j.table)
        grok_pool_run(pool, col_embed_grad, &j);
    return loss;
}
