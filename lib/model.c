/* The model's layout, initialisation and workspace; the arithmetic lives in
 * model_impl.h, instantiated in float and double by model_f32.c and model_f64.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "grok/model.h"
#include "grok/names.h"
#include "model_work.h"

static const char *const act_names[] = {"relu", "gelu", "quad", "identity", "leaky"};
static const char *const loss_names[] = {"ce", "mse", "stablemax"};
static const char *const init_names[] = {"nanda", "torch"};

#define NAME_FUNCTIONS(table, type, name_fn, parse_fn)                                            \
    const char *name_fn(type v) { return grok_name_at(table, GROK_COUNT(table), (int)v); }         \
    int parse_fn(const char *name) { return grok_name_find(table, GROK_COUNT(table), name); }
NAME_FUNCTIONS(act_names, enum grok_act, grok_act_name, grok_act_parse)
NAME_FUNCTIONS(loss_names, enum grok_loss, grok_loss_name, grok_loss_parse)
NAME_FUNCTIONS(init_names, enum grok_init, grok_init_name, grok_init_parse)

/* Appends one tensor to the layout; returns its offset. */
static size_t add_tensor(struct grok_model *m, const char *name, int rank, size_t d0, size_t d1,
                         size_t d2)
{
    struct grok_param *t = &m->tensors[m->n_tensors++];
    size_t dims[3] = {d0, d1, d2};
    snprintf(t->name, sizeof t->name, "%s", name);
    t->rank = rank;
    t->size = 1;
    for (int i = 0; i < rank; i++) {
        t->shape[i] = dims[i];
        t->size *= dims[i];
    }
    t->offset = m->n_params;
    m->n_params += t->size;
    return t->offset;
}

static int check_positive(const char *flag, int v, struct grok_err *err)
{
    if (v <= 0)
        return grok_err_set(err, GROK_EINVAL, "%s %d: must be at least 1", flag, v);
    return GROK_OK;
}

int grok_model_check_act(enum grok_arch arch, enum grok_act act, const char *what, struct grok_err *err)
{
    if (arch == GROK_TRANSFORMER && act != GROK_ACT_RELU && act != GROK_ACT_GELU)
        return grok_err_set(err, GROK_EINVAL, "%s %s: the transformer takes relu or gelu", what,
                            grok_act_name(act));
    return GROK_OK;
}

static int check_config(const struct grok_model_config *c, struct grok_err *err)
{
    if (c->n_ctx <= 0 || c->d_vocab <= 0 || c->d_vocab_out <= 0)
        return grok_err_set(err, GROK_EINVAL, "the task gives the model no tokens or no outputs");
    if (c->arch == GROK_TRANSFORMER) {
        if (check_positive("--layers", c->n_layers, err) || check_positive("--d-model", c->d_model, err) ||
            check_positive("--heads", c->n_heads, err) || check_positive("--d-head", c->d_head, err) ||
            check_positive("--d-mlp", c->d_mlp, err))
            return GROK_EINVAL;
        if (grok_model_check_act(c->arch, c->act, "--act", err))
            return GROK_EINVAL;
        if (c->readout < 0 || c->readout >= c->n_ctx)
            return grok_err_set(err, GROK_EINVAL, "--readout: position %d is outside the context of %d tokens",
                                c->readout, c->n_ctx);
        if (c->n_layers > 64)
            return grok_err_set(err, GROK_EINVAL, "--layers %d: at most 64", c->n_layers);
    } else {
        if (c->input == GROK_INPUT_EMBED && check_positive("--embed", c->d_embed, err))
            return GROK_EINVAL;
        if (c->n_hidden < 0 || c->n_hidden > GROK_MAX_HIDDEN)
            return grok_err_set(err, GROK_EINVAL, "--hidden: between 0 and %d layers", GROK_MAX_HIDDEN);
        for (int i = 0; i < c->n_hidden; i++)
            if (check_positive("--hidden", c->hidden[i], err))
                return GROK_EINVAL;
    }
    return GROK_OK;
}

int grok_model_build(struct grok_model *m, const struct grok_model_config *cfg,
                     struct grok_err *err)
{
    memset(m, 0, sizeof *m);
    if (check_config(cfg, err))
        return GROK_EINVAL;
    m->cfg = *cfg;
    m->W_E = m->W_pos = m->lnf_w = m->lnf_b = m->W_U = m->b_U = GROK_ABSENT;
    for (int i = 0; i < GROK_MAX_HIDDEN; i++)
        m->mlp_W[i] = m->mlp_b[i] = GROK_ABSENT;
    int max_tensors = cfg->arch == GROK_TRANSFORMER ? 6 + 16 * cfg->n_layers : 3 + 2 * cfg->n_hidden;
    m->tensors = calloc(max_tensors, sizeof *m->tensors);
    if (cfg->arch == GROK_TRANSFORMER)
        m->blocks = calloc(cfg->n_layers, sizeof *m->blocks);
    if (!m->tensors || (cfg->arch == GROK_TRANSFORMER && !m->blocks)) {
        grok_model_free(m);
        return grok_err_set(err, GROK_ENOMEM, "out of memory laying out the model");
    }
    char name[48];
    if (cfg->arch == GROK_TRANSFORMER) {
        size_t D = cfg->d_model, H = cfg->n_heads, E = cfg->d_head, M = cfg->d_mlp;
        m->W_E = add_tensor(m, "embed.W_E", 2, cfg->d_vocab, D, 0);
        m->W_pos = add_tensor(m, "pos_embed.W_pos", 2, cfg->n_ctx, D, 0);
        for (int l = 0; l < cfg->n_layers; l++) {
            struct grok_block_offsets *b = &m->blocks[l];
#define T(field, suffix, rank, d0, d1, d2)                                                         \
    (snprintf(name, sizeof name, "blocks.%d.%s", l, suffix), b->field = add_tensor(m, name, rank, d0, d1, d2))
            b->ln1_w = b->ln1_b = b->ln2_w = b->ln2_b = GROK_ABSENT;
            if (cfg->norm) {
                T(ln1_w, "ln1.w", 1, D, 0, 0);
                T(ln1_b, "ln1.b", 1, D, 0, 0);
            }
            T(W_Q, "attn.W_Q", 3, H, D, E);
            T(b_Q, "attn.b_Q", 2, H, E, 0);
            T(W_K, "attn.W_K", 3, H, D, E);
            T(b_K, "attn.b_K", 2, H, E, 0);
            T(W_V, "attn.W_V", 3, H, D, E);
            T(b_V, "attn.b_V", 2, H, E, 0);
            T(W_O, "attn.W_O", 3, H, E, D);
            T(b_O, "attn.b_O", 1, D, 0, 0);
            if (cfg->norm) {
                T(ln2_w, "ln2.w", 1, D, 0, 0);
                T(ln2_b, "ln2.b", 1, D, 0, 0);
            }
            T(W_in, "mlp.W_in", 2, D, M, 0);
            T(b_in, "mlp.b_in", 1, M, 0, 0);
            T(W_out, "mlp.W_out", 2, M, D, 0);
            T(b_out, "mlp.b_out", 1, D, 0, 0);
#undef T
        }
        if (cfg->norm) {
            m->lnf_w = add_tensor(m, "ln_final.w", 1, D, 0, 0);
            m->lnf_b = add_tensor(m, "ln_final.b", 1, D, 0, 0);
        }
        m->W_U = add_tensor(m, "unembed.W_U", 2, D, cfg->d_vocab_out, 0);
        m->b_U = add_tensor(m, "unembed.b_U", 1, cfg->d_vocab_out, 0, 0);
        m->d_input = (size_t)cfg->n_ctx * D;
    } else {
        size_t width;
        switch (cfg->input) {
        case GROK_INPUT_EMBED:
            m->W_E = add_tensor(m, "embed.W_E", 2, cfg->d_vocab, cfg->d_embed, 0);
            width = (size_t)cfg->n_ctx * cfg->d_embed;
            break;
        case GROK_INPUT_ONEHOT: width = (size_t)cfg->n_ctx * cfg->d_vocab; break;
        case GROK_INPUT_ONEHOT_SUM: width = cfg->d_vocab; break;
        default: width = cfg->n_ctx; break;
        }
        m->d_input = width;
        for (int i = 0; i < cfg->n_hidden; i++) {
            snprintf(name, sizeof name, "mlp.%d.W", i);
            m->mlp_W[i] = add_tensor(m, name, 2, width, cfg->hidden[i], 0);
            snprintf(name, sizeof name, "mlp.%d.b", i);
            if (!cfg->no_bias)
                m->mlp_b[i] = add_tensor(m, name, 1, cfg->hidden[i], 0, 0);
            width = cfg->hidden[i];
        }
        m->W_U = add_tensor(m, "unembed.W_U", 2, width, cfg->d_vocab_out, 0);
        if (!cfg->no_bias)
            m->b_U = add_tensor(m, "unembed.b_U", 1, cfg->d_vocab_out, 0, 0);
    }
    return GROK_OK;
}

void grok_model_free(struct grok_model *m)
{
    if (!m)
        return;
    free(m->tensors);
    free(m->blocks);
    m->tensors = NULL;
    m->blocks = NULL;
}

int grok_model_find(const struct grok_model *m, const char *name)
{
    for (int i = 0; i < m->n_tensors; i++)
        if (strcmp(m->tensors[i].name, name) == 0)
            return i;
    return -1;
}

static void fill_normal(float *x, size_t n, double sd, gsl_rng *rng)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)gsl_ran_gaussian_ziggurat(rng, sd);
}

static void fill_uniform(float *x, size_t n, double bound, gsl_rng *rng)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)gsl_ran_flat(rng, -bound, bound);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

/* The distribution of one tensor: 'n' normal, 'u' uniform, '0' zeros, '1' ones; *spread is the
 * standard deviation or the uniform bound. */
static char init_rule(const struct grok_model *m, const struct grok_param *t, enum grok_init scheme,
                      double *spread)
{
    const struct grok_model_config *c = &m->cfg;
    int is_ln = strstr(t->name, "ln") == t->name || strstr(t->name, ".ln") != NULL;
    if (is_ln)
        return ends_with(t->name, ".w") ? '1' : '0';
    int is_bias = t->rank == 1 || ends_with(t->name, ".b_Q") || ends_with(t->name, ".b_K") ||
                  ends_with(t->name, ".b_V");
    double fan_in = t->rank == 3 ? (double)t->shape[1] : (double)t->shape[0];
    if (scheme == GROK_INIT_NANDA) {
        if (is_bias)
            return '0';
        if (c->arch == GROK_MLP) {
            *spread = 1.0 / sqrt(t->offset == m->W_E ? (double)c->d_embed : fan_in);
            return 'n';
        }
        *spread = 1.0 / sqrt(t->offset == m->W_U ? (double)c->d_vocab : (double)c->d_model);
        return 'n';
    }
    if (t->offset == m->W_E) {
        *spread = 1.0;
        return 'n';
    }
    if (t->offset == m->W_pos) {
        *spread = 1.0 / sqrt((double)c->d_model);
        return 'n';
    }
    if (strstr(t->name, ".attn.")) {
        double hd = (double)c->n_heads * c->d_head;
        if (ends_with(t->name, "W_O")) {
            *spread = 1.0 / sqrt(hd);
            return 'u';
        }
        if (is_bias)
            return '0';
        *spread = sqrt(6.0 / (c->d_model + 3.0 * hd));
        return 'u';
    }
    /* a linear layer's bias shares its weight's fan-in: the previous tensor's first axis */
    if (is_bias) {
        const struct grok_param *w = t - 1;
        fan_in = (double)w->shape[0];
    }
    *spread = 1.0 / sqrt(fan_in);
    return 'u';
}

void grok_model_init(const struct grok_model *m, float *params, enum grok_init scheme,
                     double scale, gsl_rng *rng)
{
    for (int i = 0; i < m->n_tensors; i++) {
        const struct grok_param *t = &m->tensors[i];
        float *x = params + t->offset;
        double spread = 0;
        switch (init_rule(m, t, scheme, &spread)) {
        case '1':
            for (size_t j = 0; j < t->size; j++)
                x[j] = 1.0f;
            break;
        case '0': memset(x, 0, t->size * sizeof *x); break;
        case 'n': fill_normal(x, t->size, spread * scale, rng); break;
        default: fill_uniform(x, t->size, spread * scale, rng); break;
        }
    }
}

int grok_token_table(int32_t *map, int32_t *row_tok, int32_t *row_pos, int32_t *pos_first,
                     int32_t *slot, const int32_t *tokens, int n, int T, int V)
{
    size_t BT = (size_t)n * T;
    for (size_t i = 0; i < (size_t)V * T; i++)
        slot[i] = -1;
    for (size_t i = 0; i < BT; i++)
        slot[(size_t)(i % T) * V + tokens[i]] = 0;
    /* rows by position, then token: the rows of one position are contiguous (the MLP's first
     * layer multiplies each position's rows by its own slice of the weight) */
    int U = 0;
    for (int t = 0; t < T; t++, pos_first[t] = U)
        for (int v = 0; v < V; v++)
            if (slot[(size_t)t * V + v] == 0) {
                slot[(size_t)t * V + v] = U;
                row_tok[U] = v;
                row_pos[U] = t;
                U++;
            }
    pos_first[0] = 0;
    for (size_t i = 0; i < BT; i++)
        map[i] = slot[(size_t)(i % T) * V + tokens[i]];
    return U;
}

/* One block's arrays for Q query rows per example. */
static void layer_offsets(const struct grok_model_config *c, int n, int Q,
                          struct grok_layer_offsets *o)
{
    size_t at = 0, BT = (size_t)n * c->n_ctx, Rq = (size_t)n * Q, D = c->d_model;
    size_t HE = (size_t)c->n_heads * c->d_head, M = c->d_mlp, nrm = c->norm ? 1 : 0;
#define TAKE(field, count) (o->field = at, at += (count))
    TAKE(ln1, nrm * BT * D);
    TAKE(ln1_mean, nrm * BT);
    TAKE(ln1_rstd, nrm * BT);
    TAKE(k, BT * HE);
    TAKE(v, BT * HE);
    TAKE(q, Rq * HE);
    TAKE(z, Rq * HE);
    TAKE(att, Rq * c->n_heads * c->n_ctx);
    TAKE(aq, Q < c->n_ctx ? Rq * D : 0);
    TAKE(mid, Rq * D);
    TAKE(ln2, nrm * Rq * D);
    TAKE(ln2_mean, nrm * Rq);
    TAKE(ln2_rstd, nrm * Rq);
    TAKE(pre, Rq * M);
    TAKE(post, Rq * M);
    TAKE(out, Rq * D);
#undef TAKE
    o->size = at;
}

void grok_work_layout(const struct grok_model *m, int n, struct grok_work_layout *l)
{
    const struct grok_model_config *c = &m->cfg;
    size_t at = 0, ints = 0;
#define TAKE(field, count) (l->field = at, at += (count))
#define TAKE_INTS(field, count) (l->field = ints, ints += (count))
    memset(l, 0, sizeof *l);
    size_t U = (size_t)c->d_vocab * c->n_ctx, BT = (size_t)n * c->n_ctx;
    TAKE(x, (size_t)n * m->d_input);   /* a continuous input: BT·d_model for a transformer */
    if (c->arch == GROK_TRANSFORMER) {
        size_t L = c->n_layers, D = c->d_model;
        size_t HE = (size_t)c->n_heads * c->d_head, M = c->d_mlp, nrm = c->norm ? 1 : 0;
        size_t Rmax = L > 1 ? BT : (size_t)n;   /* query rows of the widest layer */
        layer_offsets(c, n, c->n_ctx, &l->full);
        layer_offsets(c, n, 1, &l->last);
        TAKE(layers, (L - 1) * l->full.size + l->last.size);
        TAKE(lnf, nrm * n * D);
        TAKE(lnf_mean, nrm * n);
        TAKE(lnf_rstd, nrm * n);
        TAKE(tx, U * D);
        TAKE(tln, nrm * U * D);
        TAKE(tln_mean, nrm * U);
        TAKE(tln_rstd, nrm * U);
        TAKE(tq, U * HE);
        TAKE(tk, U * HE);
        TAKE(tv, U * HE);
        TAKE(dtx, U * D);
        TAKE(dtln, nrm * U * D);
        TAKE(dtq, U * HE);
        TAKE(dtk, U * HE);
        TAKE(dtv, U * HE);
        TAKE(g0, BT * D);
        TAKE(g1, BT * D);
        TAKE(dln, nrm * BT * D);
        TAKE(daq, (size_t)n * D);
        TAKE(dq, Rmax * HE);
        TAKE(dk, BT * HE);
        TAKE(dv, BT * HE);
        TAKE(dz, Rmax * HE);
        TAKE(dpre, Rmax * M);
        TAKE(dpost, Rmax * M);
        TAKE(dlnf, nrm * n * D);
        TAKE_INTS(qmap, n);
    } else {
        size_t widest = 0, tab = c->input == GROK_INPUT_EMBED && c->n_hidden > 0 ? U : 0;
        for (int i = 0; i < c->n_hidden; i++) {
            TAKE(hpre[i], (size_t)n * c->hidden[i]);
            TAKE(hpost[i], (size_t)n * c->hidden[i]);
            if ((size_t)c->hidden[i] > widest)
                widest = c->hidden[i];
        }
        TAKE(dh0, (size_t)n * widest);
        TAKE(dh1, (size_t)n * widest);
        TAKE(dx, (size_t)n * m->d_input);
        TAKE(te, tab * c->d_embed);
        TAKE(dte, tab * c->d_embed);
        TAKE(tpre, tab * (c->n_hidden > 0 ? c->hidden[0] : 0));
        TAKE(dtpre, tab * (c->n_hidden > 0 ? c->hidden[0] : 0));
    }
    TAKE(logits, (size_t)n * c->d_vocab_out);
    TAKE(dlogits, (size_t)n * c->d_vocab_out);
    TAKE_INTS(map, BT);
    TAKE_INTS(slot, U);
    TAKE_INTS(row_tok, U);
    TAKE_INTS(row_pos, U);
    TAKE_INTS(pos_first, (size_t)c->n_ctx + 1);
#undef TAKE
#undef TAKE_INTS
    l->total = at;
    l->ints = ints;
}

struct grok_work *grok_work_new(const struct grok_model *m, int max_batch, enum grok_dtype dtype,
                                struct grok_err *err)
{
    if (max_batch < 1 || (dtype != GROK_F32 && dtype != GROK_F64)) {
        grok_err_set(err, GROK_EINVAL, "a workspace needs a batch of at least 1, in float or double");
        return NULL;
    }
    size_t elem = dtype == GROK_F32 ? sizeof(float) : sizeof(double);
    struct grok_work *w = calloc(1, sizeof *w);
    struct grok_work_layout layout;
    grok_work_layout(m, max_batch, &layout);
    size_t n = layout.total;
    if (w) {
        w->block = calloc(n, elem);
        w->ints = calloc(layout.ints, sizeof *w->ints);
    }
    if (!w || !w->block || !w->ints) {
        grok_work_free(w);
        grok_err_set(err, GROK_ENOMEM, "out of memory for the activations of %d examples", max_batch);
        return NULL;
    }
    w->losses = calloc(max_batch, sizeof *w->losses);
    if (!w->losses) {
        grok_work_free(w);
        grok_err_set(err, GROK_ENOMEM, "out of memory for the activations of %d examples", max_batch);
        return NULL;
    }
    w->dtype = dtype;
    w->max_batch = max_batch;
    w->block_bytes = n * elem;
    w->ints_count = layout.ints;
    return w;
}

void grok_work_free(struct grok_work *w)
{
    if (!w)
        return;
    free(w->block);
    free(w->ints);
    free(w->losses);
    free(w);
}

int grok_work_max_batch(const struct grok_work *w) { return w->max_batch; }

size_t grok_work_bytes(const struct grok_work *w)
{
    return w->block_bytes + w->ints_count * sizeof *w->ints + (size_t)w->max_batch * sizeof *w->losses;
}

const float *grok_work_logits(const struct grok_model *m, const struct grok_work *w, int n)
{
    struct grok_work_layout L;
    grok_work_layout(m, n, &L);
    return (const float *)w->block + L.logits;
}

/* One row's float32 loss as Prieto et al.'s code computes it in PyTorch (their utils.py): the
 * cross-entropy through log_softmax, StableMax through the log of the quotient, with s(x) =
 * 1/(1 − x + 1e-30) below 0 (the 1e-30 vanishes beside 1 − x ≥ 1 in float). */
static float loss_f32(enum grok_loss loss, const float *x, int y, int V, float mx, float sum_exp)
{
    float s_sum = 0, sy = 0, sq = 0;
    switch (loss) {
    case GROK_LOSS_CE:
        return -((x[y] - mx) - logf(sum_exp));
    case GROK_LOSS_STABLEMAX:
        for (int j = 0; j < V; j++) {
            float s = x[j] < 0 ? 1 / (1 - x[j] + 1e-30f) : x[j] + 1;
            s_sum += s;
            sy = j == y ? s : sy;
        }
        return -logf(sy / s_sum);
    case GROK_LOSS_MSE:
        for (int j = 0; j < V; j++) {
            float e = x[j] - (float)(j == y);
            sq += e * e;
        }
        return sq / V;
    }
    return NAN;
}

void grok_model_collapse_count(const struct grok_model *m, const float *logits, const int32_t *y,
                               int n, long counts[2])
{
    int V = m->cfg.d_vocab_out;
    for (int i = 0; i < n; i++) {
        const float *x = logits + (size_t)i * V;
        float mx = x[0], sum = 0;
        for (int j = 1; j < V; j++)
            mx = x[j] > mx ? x[j] : mx;
        for (int j = 0; j < V; j++)
            sum += expf(x[j] - mx);
        counts[0] += sum == 1.0f;
        counts[1] += loss_f32(m->cfg.loss, x, y[i], V, mx, sum) == 0.0f;
    }
}

void grok_model_views(const struct grok_model *m, const float *params, struct grok_tensor *views)
{
    for (int i = 0; i < m->n_tensors; i++) {
        const struct grok_param *p = &m->tensors[i];
        views[i] = (struct grok_tensor){.name = p->name, .rank = p->rank, .data = params + p->offset};
        for (int d = 0; d < p->rank; d++)
            views[i].shape[d] = p->shape[d];
    }
}
