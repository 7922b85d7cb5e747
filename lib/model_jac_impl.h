/* GrokAlign's Jacobian norm and its exact gradient, written once over the real type.
 *
 * Included by model_f32.c and model_f64.c after model_impl.h, whose passes, views and helpers it
 * uses. The regulariser of grok-train(1) (JACOBIAN REGULARISER) is a sum of ‖u‖ with u = J_xᵀ v,
 * J_x = ∂logits/∂x at an example's continuous input x and v a direction of the logits. With û
 * = u held fixed, ∇_θ ½‖u‖² = ∇_θ (vᵀ J_x û), and vᵀ J_x û is the tangent of the logits along
 * the input direction û, read by v: a tangent pass (forward mode) after the forward pass, then
 * one backward through both, primal and tangent together (reverse over forward), gives it
 * exactly. Its gradient with respect to x, carried back through the embedding, is the path
 * through W_E and W_pos.
 *
 * The tangent of every activation has the primal's shape, so it lives in a second workspace with
 * the primal's layout (tw): the tangent of an array at the same offset of tw as the array in w,
 * and the tangent's adjoints in tw's backward scratch as the primal's are in w's. Only the dense
 * path is used: each example's own input, no token table (the tangent differs per example).
 *
 * Owns: nothing; the caller's workspaces. Calls: the layers (their _jvp pairs), model_impl.h.
 * Included by model_f32.c and model_f64.c only. */

#include <math.h>

/* The parameters' part of a tangent (Pt, the direction of the parameters; NULL: none): a
 * per-head projection's out (N, H·E) += inp (N, D) · Ẇ (H, D, E) + ḃ (H·E), a linear map being
 * the one head H = 1, E = J; LayerNorm's out += x̂ ⊙ ẇ + ḃ. */
static void heads_add(R *out, const R *inp, const R *w, const R *b, int N, int D, int H, int E)
{
    int ld = H * E;
    for (int n = 0; b && n < N; n++)
        add_into(out + (size_t)n * ld, b, (size_t)ld);
    for (int h = 0; h < H; h++)
        mm(0, 0, N, E, D, inp, D, w + (size_t)h * D * E, E, 1, out + (size_t)h * E, ld);
}

static void ln_param_add(R *out, const R *inp, const R *mean, const R *rstd, const R *wdot,
                         const R *bdot, int N, int D)
{
    for (int n = 0; n < N; n++)
        for (int d = 0; d < D; d++) {
            double xhat = ((double)inp[(size_t)n * D + d] - mean[n]) * rstd[n];
            out[(size_t)n * D + d] += (R)(xhat * wdot[d] + bdot[d]);
        }
}

/* Pt + offset, or NULL without a parameter tangent. */
#define TAN(Pt, off) ((Pt) ? (Pt) + (off) : NULL)

/* Layer l's views of the primal (w's) and of its tangent (tw's), at the same offsets. */
static void dual_views(const struct grok_model *m, R *base, R *tbase,
                       const struct grok_work_layout *L, const int32_t *ints, int l, int n,
                       struct block_cache *b, struct block_cache *bt, struct block_input *in,
                       struct block_input *it)
{
    block_cache(m, base, L, l, b);
    block_cache(m, tbase, L, l, bt);
    block_input(m, base, L, ints, l, n, b, in);
    block_input(m, tbase, L, ints, l, n, bt, it);
}

/* The transformer's tangent pass from tw's x (the input's tangent), at the point of w's dense
 * forward pass. */
static void tf_tangent(const struct grok_model *m, R *base, R *tbase,
                       const struct grok_work_layout *L, const int32_t *ints, const R *P,
                       const R *Pt, int n)
{
    const struct grok_model_config *c = &m->cfg;
    int T = c->n_ctx, D = c->d_model, H = c->n_heads, E = c->d_head, M = c->d_mlp, HE = H * E;
    struct block_cache b = {0}, bt = {0};
    for (int l = 0; l < c->n_layers; l++) {
        const struct grok_block_offsets *o = &m->blocks[l];
        struct block_input in, it;
        dual_views(m, base, tbase, L, ints, l, n, &b, &bt, &in, &it);
        int Rq = n * b.Q;
        if (c->norm) {
            SFX(grok_layernorm_jvp)((R *)it.a, in.x, it.x, b.ln1_mean, b.ln1_rstd, P + o->ln1_w,
                                    in.rows, D);
            if (Pt)
                ln_param_add((R *)it.a, in.x, b.ln1_mean, b.ln1_rstd, Pt + o->ln1_w, Pt + o->ln1_b,
                             in.rows, D);
        }
        SFX(grok_heads_forward)(it.k, it.a, P + o->W_K, NULL, in.rows, D, H, E);
        SFX(grok_heads_forward)(it.v, it.a, P + o->W_V, NULL, in.rows, D, H, E);
        if (Pt) {
            heads_add(it.k, in.a, Pt + o->W_K, Pt + o->b_K, in.rows, D, H, E);
            heads_add(it.v, in.a, Pt + o->W_V, Pt + o->b_V, in.rows, D, H, E);
        }
        const R *qa = it.a;
        if (b.Q < T) {
            for (int i = 0; i < n; i++)
                memcpy(bt.aq + (size_t)i * D, it.a + ((size_t)i * T + b.q0) * D, D * sizeof *qa);
            qa = bt.aq;
        }
        SFX(grok_heads_forward)(it.q, qa, P + o->W_Q, NULL, Rq, D, H, E);
        if (Pt)
            heads_add(it.q, b.Q < T ? b.aq : in.a, Pt + o->W_Q, Pt + o->b_Q, Rq, D, H, E);
        SFX(grok_attention_jvp)(bt.z, bt.att, b.att, in.q, in.k, in.v, it.q, it.k, it.v, n, T, b.Q,
                                H, E);
        SFX(grok_linear_forward)(bt.mid, bt.z, P + o->W_O, NULL, Rq, HE, D);
        if (Pt)
            heads_add(bt.mid, b.z, Pt + o->W_O, Pt + o->b_O, Rq, HE, 1, D);
        add_query_rows(bt.mid, it.x, NULL, n, T, b.q0, b.Q, D);
        if (c->norm) {
            SFX(grok_layernorm_jvp)(bt.ln2, b.mid, bt.mid, b.ln2_mean, b.ln2_rstd, P + o->ln2_w, Rq,
                                    D);
            if (Pt)
                ln_param_add(bt.ln2, b.mid, b.ln2_mean, b.ln2_rstd, Pt + o->ln2_w, Pt + o->ln2_b, Rq, D);
        }
        SFX(grok_linear_forward)(bt.pre, bt.m_in, P + o->W_in, NULL, Rq, D, M);
        if (Pt)
            heads_add(bt.pre, b.m_in, Pt + o->W_in, Pt + o->b_in, Rq, D, 1, M);
        SFX(grok_act_jvp)(bt.post, b.pre, b.post, bt.pre, (long)Rq * M, c->act);
        SFX(grok_linear_forward)(bt.out, bt.post, P + o->W_out, NULL, Rq, M, D);
        if (Pt)
            heads_add(bt.out, b.post, Pt + o->W_out, Pt + o->b_out, Rq, M, 1, D);
        add_into(bt.out, bt.mid, (size_t)Rq * D);
    }
    const R *ut = bt.out, *u = b.out;
    if (c->norm) {
        SFX(grok_layernorm_jvp)(tbase + L->lnf, b.out, bt.out, base + L->lnf_mean,
                                base + L->lnf_rstd, P + m->lnf_w, n, D);
        if (Pt)
            ln_param_add(tbase + L->lnf, b.out, base + L->lnf_mean, base + L->lnf_rstd,
                         Pt + m->lnf_w, Pt + m->lnf_b, n, D);
        ut = tbase + L->lnf;
        u = base + L->lnf;
    }
    SFX(grok_linear_forward)(tbase + L->logits, ut, P + m->W_U, NULL, n, D, c->d_vocab_out);
    if (Pt)
        heads_add(tbase + L->logits, u, Pt + m->W_U, Pt + m->b_U, n, D, 1, c->d_vocab_out);
}

/* A linear map's reverse for the primal and its tangent: both adjoints into dw, the bias's from
 * the primal only. live 0: the primal's adjoint dout is known to be zero, and its products are
 * skipped (dinp is left as it is, zeroed by the caller).
 *
 * The primal's adjoint starts at zero (the logits are not in R) and becomes nonzero only through
 * the second-order terms: LayerNorm's, the attention's, a curved activation's. Down to the first
 * of them, in a ReLU network the whole MLP, its products would multiply zeros. */
static void linear_backward_dual(R *dinp, R *dinp_t, R *dw, R *db, const R *dout,
                                 const R *dout_t, const R *inp, const R *inp_t, const R *w,
                                 const R *wt, int N, int I, int J, int live)
{
    if (live)
        SFX(grok_linear_backward)(dinp, dw, db, dout, inp, w, N, I, J);
    if (wt)   /* the parameters' tangent inp · Ẇ: its adjoint reaches inp */
        SFX(grok_linear_backward)(dinp, NULL, NULL, dout_t, inp, wt, N, I, J);
    SFX(grok_linear_backward)(dinp_t, dw, NULL, dout_t, inp_t, w, N, I, J);
}

static void heads_backward_dual(R *dinp, R *dinp_t, R *dw, R *db, const R *dout,
                                const R *dout_t, const R *inp, const R *inp_t, const R *w,
                                const R *wt, int N, int D, int H, int E)
{
    SFX(grok_heads_backward)(dinp, dw, db, dout, inp, w, N, D, H, E);
    if (wt)
        SFX(grok_heads_backward)(dinp, NULL, NULL, dout_t, inp, wt, N, D, H, E);
    SFX(grok_heads_backward)(dinp_t, dw, NULL, dout_t, inp_t, w, N, D, H, E);
}

/* One block's reverse, primal and tangent: g, gt the adjoints of its output and of its
 * tangent (*live 0: g is zero); leaves its input's in gin, gint (*live 1). */
static void block_backward_dual(const struct grok_model *m, R *base, R *tbase,
                                const struct grok_work_layout *L, const int32_t *ints,
                                const R *P, const R *Pt, R *G, int l, int n, R *g, R *gt,
                                R *gin, R *gint, int *live)
{
    const struct grok_model_config *c = &m->cfg;
    const struct grok_block_offsets *o = &m->blocks[l];
    int T = c->n_ctx, D = c->d_model, H = c->n_heads, E = c->d_head, M = c->d_mlp, HE = H * E;
    struct block_cache b, bt;
    struct block_input in, it;
    dual_views(m, base, tbase, L, ints, l, n, &b, &bt, &in, &it);
    int Rq = n * b.Q;
    /* the scratch arrays, primal's in w and tangent's in tw at the same offsets */
#define PAIR(name, off) R *name = base + (off), *name##_t = tbase + (off)
    PAIR(dln, L->dln);
    PAIR(dpre, L->dpre);
    PAIR(dpost, L->dpost);
    PAIR(dz, L->dz);
    PAIR(dq, L->dq);
    PAIR(dk, L->dk);
    PAIR(dv, L->dv);
    PAIR(daq, L->daq);
#undef PAIR

    R *d_min = c->norm ? dln : g, *d_min_t = c->norm ? dln_t : gt;
    zero(dpost, (size_t)Rq * M);
    zero(dpost_t, (size_t)Rq * M);
    linear_backward_dual(dpost, dpost_t, G + o->W_out, G + o->b_out, g, gt, b.post, bt.post,
                         P + o->W_out, TAN(Pt, o->W_out), Rq, M, D, *live);
    zero(dpre, (size_t)Rq * M);
    zero(dpre_t, (size_t)Rq * M);
    SFX(grok_act_jvp_backward)(dpre, dpre_t, *live ? dpost : NULL, dpost_t, b.pre, b.post, bt.pre,
                               (long)Rq * M, c->act);
    int live_mid = *live || c->act != GROK_ACT_RELU;   /* σ'' ≠ 0 */
    if (c->norm) {
        zero(dln, (size_t)Rq * D);
        zero(dln_t, (size_t)Rq * D);
    }
    linear_backward_dual(d_min, d_min_t, G + o->W_in, G + o->b_in, dpre, dpre_t, b.m_in, bt.m_in,
                         P + o->W_in, TAN(Pt, o->W_in), Rq, D, M, live_mid);
    *live = live_mid || c->norm;   /* g: the MLP's input adjoint added, or LayerNorm's */
    if (c->norm) {
        SFX(grok_layernorm_jvp_backward)(g, gt, G + o->ln2_w, G + o->ln2_b, dln, dln_t, b.mid,
                                         bt.mid, b.ln2_mean, b.ln2_rstd, P + o->ln2_w, Rq, D);
        if (Pt)   /* x̂ ⊙ ẇ */
            SFX(grok_layernorm_backward)(g, NULL, NULL, dln_t, b.mid, b.ln2_mean, b.ln2_rstd,
                                         Pt + o->ln2_w, Rq, D);
    }

    zero(dz, (size_t)Rq * HE);
    zero(dz_t, (size_t)Rq * HE);
    linear_backward_dual(dz, dz_t, G + o->W_O, G + o->b_O, g, gt, b.z, bt.z, P + o->W_O,
                         TAN(Pt, o->W_O), Rq, HE, D, *live);
    *live = 1;   /* the attention's second-order terms */
    zero(dq, (size_t)Rq * HE);
    zero(dq_t, (size_t)Rq * HE);
    zero(dk, (size_t)in.rows * HE);
    zero(dk_t, (size_t)in.rows * HE);
    zero(dv, (size_t)in.rows * HE);
    zero(dv_t, (size_t)in.rows * HE);
    SFX(grok_attention_jvp_backward)(dq, dk, dv, dq_t, dk_t, dv_t, dz, dz_t, b.att, bt.att, in.q,
                                     in.k, in.v, it.q, it.k, it.v, n, T, b.Q, H, E);

    R *da = c->norm ? dln : gin, *da_t = c->norm ? dln_t : gint;
    zero(da, (size_t)in.rows * D);
    zero(da_t, (size_t)in.rows * D);
    heads_backward_dual(da, da_t, G + o->W_K, G + o->b_K, dk, dk_t, in.a, it.a, P + o->W_K, TAN(Pt, o->W_K), in.rows,
                        D, H, E);
    heads_backward_dual(da, da_t, G + o->W_V, G + o->b_V, dv, dv_t, in.a, it.a, P + o->W_V, TAN(Pt, o->W_V), in.rows,
                        D, H, E);
    if (b.Q < T) {
        zero(daq, (size_t)Rq * D);
        zero(daq_t, (size_t)Rq * D);
        heads_backward_dual(daq, daq_t, G + o->W_Q, G + o->b_Q, dq, dq_t, b.aq, bt.aq, P + o->W_Q,
                            TAN(Pt, o->W_Q), Rq, D, H, E);
        scatter_query_rows(da, daq, NULL, n, T, b.q0, b.Q, D);
        scatter_query_rows(da_t, daq_t, NULL, n, T, b.q0, b.Q, D);
    } else {
        heads_backward_dual(da, da_t, G + o->W_Q, G + o->b_Q, dq, dq_t, in.a, it.a, P + o->W_Q,
                            TAN(Pt, o->W_Q), Rq,
                            D, H, E);
    }
    if (c->norm) {
        zero(gin, (size_t)in.rows * D);
        zero(gint, (size_t)in.rows * D);
        SFX(grok_layernorm_jvp_backward)(gin, gint, G + o->ln1_w, G + o->ln1_b, da, da_t, in.x,
                                         it.x, b.ln1_mean, b.ln1_rstd, P + o->ln1_w, in.rows, D);
        if (Pt)
            SFX(grok_layernorm_backward)(gin, NULL, NULL, da_t, in.x, b.ln1_mean, b.ln1_rstd,
                                         Pt + o->ln1_w, in.rows, D);
    }
    scatter_query_rows(gin, g, NULL, n, T, b.q0, b.Q, D);
    scatter_query_rows(gint, gt, NULL, n, T, b.q0, b.Q, D);
}

/* The transformer's reverse of the forward and tangent passes from the adjoints of the logits
 * (w's dlogits) and of their tangent (tw's dlogits), adding into G; returns the adjoint of the
 * input x (BT, d_model), in w's scratch. */
static R *tf_backward_dual(const struct grok_model *m, R *base, R *tbase,
                           const struct grok_work_layout *L, const int32_t *ints, const R *P,
                           const R *Pt, R *G, int n, int live)
{
    const struct grok_model_config *c = &m->cfg;
    int D = c->d_model, V = c->d_vocab_out;
    R *g = base + L->g0, *gin = base + L->g1, *gt = tbase + L->g0, *gint = tbase + L->g1;
    size_t out = L->layers + (size_t)(c->n_layers - 1) * L->full.size + L->last.out;
    zero(g, (size_t)n * D);
    zero(gt, (size_t)n * D);
    if (c->norm) {
        R *du = base + L->dlnf, *du_t = tbase + L->dlnf;
        zero(du, (size_t)n * D);
        zero(du_t, (size_t)n * D);
        linear_backward_dual(du, du_t, G + m->W_U, G + m->b_U, base + L->dlogits,
                             tbase + L->dlogits, base + L->lnf, tbase + L->lnf, P + m->W_U,
                             TAN(Pt, m->W_U), n, D, V, live);
        SFX(grok_layernorm_jvp_backward)(g, gt, G + m->lnf_w, G + m->lnf_b, du, du_t, base + out,
                                         tbase + out, base + L->lnf_mean, base + L->lnf_rstd,
                                         P + m->lnf_w, n, D);
        if (Pt)
            SFX(grok_layernorm_backward)(g, NULL, NULL, du_t, base + out, base + L->lnf_mean,
                                         base + L->lnf_rstd, Pt + m->lnf_w, n, D);
        live = 1;
    } else {
        linear_backward_dual(g, gt, G + m->W_U, G + m->b_U, base + L->dlogits, tbase + L->dlogits,
                             base + out, tbase + out, P + m->W_U, TAN(Pt, m->W_U), n, D, V, live);
    }
    for (int l = c->n_layers - 1; l >= 0; l--) {
        block_backward_dual(m, base, tbase, L, ints, P, Pt, G, l, n, g, gt, gin, gint, &live);
        R *s = g;
        g = gin;
        gin = s;
        s = gt;
        gt = gint;
        gint = s;
    }
    return g;
}

/* The MLP's tangent pass from tw's x, at the point of w's forward pass. */
static void mlp_tangent(const struct grok_model *m, R *base, R *tbase,
                        const struct grok_work_layout *L, const R *P, const R *Pt, int n)
{
    const struct grok_model_config *c = &m->cfg;
    const R *ht = tbase + L->x;
    int width = (int)m->d_input;
    for (int i = 0; i < c->n_hidden; i++) {
        SFX(grok_linear_forward)(tbase + L->hpre[i], ht, P + m->mlp_W[i], NULL, n, width,
                                 c->hidden[i]);
        if (Pt)
            heads_add(tbase + L->hpre[i], i ? base + L->hpost[i - 1] : base + L->x,
                       Pt + m->mlp_W[i], PARAM(Pt, m->mlp_b[i]), n, width, 1, c->hidden[i]);
        SFX(grok_act_jvp)(tbase + L->hpost[i], base + L->hpre[i], base + L->hpost[i],
                          tbase + L->hpre[i], (long)n * c->hidden[i], c->act);
        ht = tbase + L->hpost[i];
        width = c->hidden[i];
    }
    SFX(grok_linear_forward)(tbase + L->logits, ht, P + m->W_U, NULL, n, width, c->d_vocab_out);
    if (Pt)
        heads_add(tbase + L->logits, c->n_hidden ? base + L->hpost[c->n_hidden - 1] : base + L->x,
                   Pt + m->W_U, PARAM(Pt, m->b_U), n, width, 1, c->d_vocab_out);
}

/* The MLP's reverse of both passes; returns the adjoint of x (n, d_input) in w's scratch. */
static R *mlp_backward_dual(const struct grok_model *m, R *base, R *tbase,
                            const struct grok_work_layout *L, const R *P, const R *Pt, R *G, int n,
                            int live)
{
    const struct grok_model_config *c = &m->cfg;
    int last = c->n_hidden - 1;
    int width = last >= 0 ? c->hidden[last] : (int)m->d_input;
    R *dh = base + L->dh0, *dpre = base + L->dh1, *dh_t = tbase + L->dh0, *dpre_t = tbase + L->dh1;
    R *dx = base + L->dx, *dx_t = tbase + L->dx;
    R *top = last >= 0 ? dh : dx, *top_t = last >= 0 ? dh_t : dx_t;
    zero(top, (size_t)n * width);
    zero(top_t, (size_t)n * width);
    /* live 0: the logits' own adjoint is zero, and stays so through ReLU layers */
    linear_backward_dual(top, top_t, G + m->W_U, GRAD(G, m->b_U), base + L->dlogits, tbase + L->dlogits,
                         last >= 0 ? base + L->hpost[last] : base + L->x,
                         last >= 0 ? tbase + L->hpost[last] : tbase + L->x, P + m->W_U,
                         TAN(Pt, m->W_U), n, width, c->d_vocab_out, live);
    for (int i = last; i >= 0; i--) {
        int width_in = i > 0 ? c->hidden[i - 1] : (int)m->d_input;
        size_t in = i > 0 ? L->hpost[i - 1] : L->x;
        zero(dpre, (size_t)n * c->hidden[i]);
        zero(dpre_t, (size_t)n * c->hidden[i]);
        SFX(grok_act_jvp_backward)(dpre, dpre_t, live ? dh : NULL, dh_t, base + L->hpre[i],
                                   base + L->hpost[i], tbase + L->hpre[i], (long)n * c->hidden[i],
                                   c->act);
        live |= c->act != GROK_ACT_RELU;
        R *dprev = i > 0 ? dh : dx, *dprev_t = i > 0 ? dh_t : dx_t;
        zero(dprev, (size_t)n * width_in);
        zero(dprev_t, (size_t)n * width_in);
        linear_backward_dual(dprev, dprev_t, G + m->mlp_W[i], GRAD(G, m->mlp_b[i]), dpre, dpre_t,
                             base + in, tbase + in, P + m->mlp_W[i], TAN(Pt, m->mlp_W[i]), n,
                             width_in, c->hidden[i], live);
    }
    return dx;
}

/* ‖Σ_k‖u_k‖²‖ over example i's K rows of u (rows, d), times kappa, square-rooted. */
static double jac_norm_of(const R *u, int K, size_t d, double kappa)
{
    double s = 0;
    for (size_t r = 0; r < (size_t)K * d; r++)
        s += (double)u[r] * u[r];
    return sqrt(kappa * s);
}

void SFX(grok_model_jac_norms)(const struct grok_model *m, struct grok_work *w,
                               struct grok_work *tw, const R *P, const int32_t *tokens, int n,
                               int K, const R *v, double kappa, double *norms)
{
    int rows = n * K;
    size_t d = m->d_input;
    struct grok_work_layout L;
    grok_work_layout(m, rows, &L);
    R *base = w->block, *tbase = tw->block;
    SFX(grok_model_input)(m, P, tokens, rows, base + L.x);
    forward(m, w, &L, P, NULL, rows);
    memcpy(base + L.dlogits, v, (size_t)rows * m->cfg.d_vocab_out * sizeof *v);
    const R *u = backward(m, w, &L, P, NULL, NULL, rows, 1);
    memcpy(tbase + L.x, u, (size_t)rows * d * sizeof *u);   /* each row's tangent: its own u */
    for (int i = 0; i < n; i++)
        norms[i] = jac_norm_of(tbase + L.x + (size_t)i * K * d, K, d, kappa);
}

void SFX(grok_model_jac_grad)(const struct grok_model *m, struct grok_work *w,
                              struct grok_work *tw, const R *P, R *G, const int32_t *tokens,
                              int n, int K, const R *v, double kappa, const double *coef)
{
    const struct grok_model_config *c = &m->cfg;
    int rows = n * K, V = c->d_vocab_out;
    size_t d = m->d_input;
    struct grok_work_layout L;
    grok_work_layout(m, rows, &L);
    R *base = w->block, *tbase = tw->block;
    /* ∇ r_i = (kappa / r_i) Σ_k ∇ (v_kᵀ J û_k): the tangent's adjoint at the logits */
    R *dlt = tbase + L.dlogits;
    for (int i = 0; i < n; i++) {
        double r = jac_norm_of(tbase + L.x + (size_t)i * K * d, K, d, kappa);
        double a = r > 0 ? coef[i] * kappa / r : 0;   /* ‖J‖ = 0: the subgradient 0 */
        for (size_t e = (size_t)i * K * V; e < (size_t)(i + 1) * K * V; e++)
            dlt[e] = (R)(a * v[e]);
    }
    zero(base + L.dlogits, (size_t)rows * V);   /* the logits themselves are not in R: the passes
                                                 * skip the products of this zero */
    R *dx;
    if (c->arch == GROK_TRANSFORMER) {
        tf_tangent(m, base, tbase, &L, w->ints, P, NULL, rows);
        dx = tf_backward_dual(m, base, tbase, &L, w->ints, P, NULL, G, rows, 0);
    } else {
        mlp_tangent(m, base, tbase, &L, P, NULL, rows);
        dx = mlp_backward_dual(m, base, tbase, &L, P, NULL, G, rows, 0);
    }
    if (m->W_E != GROK_ABSENT)
        SFX(grok_embed_backward)(G + m->W_E, m->W_pos != GROK_ABSENT ? G + m->W_pos : NULL, dx,
                                 tokens, rows, c->n_ctx,
                                 c->arch == GROK_TRANSFORMER ? c->d_model : c->d_embed);
}

/* ---- the loss's Hessian-vector product ---- */

/* The loss's adjoints at the logits z (n, C) and their tangent ż: the tangent's adjoint
 * dz_t = scale · ∂L/∂z (the loss's own backward), the primal's dz = scale · ∂²L/∂z² ż
 * (cross-entropy: s ⊙ ż − s (sᵀż), s the softmax; squared error: 2ż/C). */
static void loss_hvp_adjoints(const struct grok_model *m, const R *z, const R *zt,
                              const int32_t *y, int n, double scale, R *dz, R *dz_t)
{
    int C = m->cfg.d_vocab_out, mse = m->cfg.loss == GROK_LOSS_MSE;
    zero(dz_t, (size_t)n * C);
    if (mse)
        SFX(grok_mse_backward)(dz_t, z, y, scale, n, C);
    else
        SFX(grok_crossentropy_backward)(dz_t, z, y, scale, n, C);
    for (int i = 0; i < n; i++) {
        const R *zti = zt + (size_t)i * C, *g = dz_t + (size_t)i * C;
        R *d = dz + (size_t)i * C;
        if (mse) {
            for (int c = 0; c < C; c++)
                d[c] = (R)(scale * 2 * zti[c] / C);
            continue;
        }
        /* s = g/scale + onehot(y): the softmax, from the gradient just made */
        double sdot = 0;
        for (int c = 0; c < C; c++)
            sdot += (g[c] / scale + (c == y[i])) * zti[c];
        for (int c = 0; c < C; c++)
            d[c] = (R)((g[c] + scale * (c == y[i])) * (zti[c] - sdot));
    }
}

void SFX(grok_model_hvp)(const struct grok_model *m, struct grok_work *w, struct grok_work *tw,
                         const R *P, const R *V, const int32_t *tokens, const int32_t *y, int n,
                         double scale, R *HV)
{
    const struct grok_model_config *c = &m->cfg;
    struct grok_work_layout L;
    grok_work_layout(m, n, &L);
    R *base = w->block, *tbase = tw->block;
    size_t d = m->d_input;
    SFX(grok_model_input)(m, P, tokens, n, base + L.x);
    forward(m, w, &L, P, NULL, n);
    /* the input's tangent: the embedding's direction; fixed codes do not move */
    if (m->W_E != GROK_ABSENT)
        SFX(grok_model_input)(m, V, tokens, n, tbase + L.x);
    else
        zero(tbase + L.x, (size_t)n * d);
    R *dx;
    if (c->arch == GROK_TRANSFORMER) {
        tf_tangent(m, base, tbase, &L, w->ints, P, V, n);
        loss_hvp_adjoints(m, base + L.logits, tbase + L.logits, y, n, scale, base + L.dlogits,
                          tbase + L.dlogits);
        dx = tf_backward_dual(m, base, tbase, &L, w->ints, P, V, HV, n, 1);
    } else {
        mlp_tangent(m, base, tbase, &L, P, V, n);
        loss_hvp_adjoints(m, base + L.logits, tbase + L.logits, y, n, scale, base + L.dlogits,
                          tbase + L.dlogits);
        dx = mlp_backward_dual(m, base, tbase, &L, P, V, HV, n, 1);
    }
    if (m->W_E != GROK_ABSENT)
        SFX(grok_embed_backward)(HV + m->W_E, m->W_pos != GROK_ABSENT ? HV + m->W_pos : NULL, dx,
                                 tokens, n, c->n_ctx,
                                 c->arch == GROK_TRANSFORMER ? c->d_model : c->d_embed);
}
