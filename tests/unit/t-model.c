/* The models: the layout of the flat parameter vector, every parameter's gradient against central
 * finite differences of the mean loss (many configurations, in double), the input gradient, float
 * against double, the accuracy count and per-example losses, the initialisations, the workspace. */
#include "tap.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stddef.h>
#include <stdlib.h>

#include "grok/model.h"
#include "grok/pool.h"
#include "models.h"

#define FD_H 1e-6      /* central differences: truncation ~h², rounding ~1e-16/h */
#define FD_REL 1e-5
#define FD_ABS 1e-9
#define BATCH 5

static gsl_rng *rng;

/* x[0 .. n) drawn from the standard normal, in order. */
static void gaussian(double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = gsl_ran_gaussian(rng, 1.0);
}

/* ---- configurations ---- */

static const char *input_name(enum grok_mlp_input in)
{
    return in == GROK_INPUT_EMBED ? "embed" : in == GROK_INPUT_ONEHOT ? "onehot"
           : in == GROK_INPUT_ONEHOT_SUM ? "onehot-sum" : "raw";
}

static void config_name(char *buf, size_t size, const struct grok_model_config *c)
{
    if (c->arch == GROK_TRANSFORMER)
        snprintf(buf, size,
                 "transformer ctx %d, %d layer%s, norm %d, causal %d, %s, readout %d, %s",
                 c->n_ctx, c->n_layers, c->n_layers > 1 ? "s" : "", c->norm, c->causal,
                 grok_act_name(c->act), c->readout, grok_loss_name(c->loss));
    else
        snprintf(buf, size, "mlp ctx %d, %s, %d hidden layer%s, %s, %s%s", c->n_ctx,
                 input_name(c->input), c->n_hidden, c->n_hidden == 1 ? "" : "s",
                 grok_act_name(c->act), grok_loss_name(c->loss), c->no_bias ? ", no bias" : "");
}



/* Initial parameters (Nanda's scheme) moved by small noise, so that no bias is 0, no LayerNorm
 * weight 1, and nothing sits at a kink; then scaled down. The scale matters: central differences
 * of a loss L lose about ulp(L)/h to rounding, and the criterion's 1e-9 absolute floor holds only
 * while L (and the activations behind it) stay O(1). At scale 1 a two-layer transformer without
 * LayerNorm reaches losses of 10 or more and fails now and then on gradients that are exactly 0
 * (b_K: softmax is invariant to it). The raw token ids (up to d_vocab − 1), squared twice by
 * quad, need smaller weights still. */

/* ---- 1. layout ---- */

struct want_tensor {
    char name[48];
    int rank;
    size_t shape[3];
};

static void add_want(struct want_tensor *w, int *n, const char *name, int rank, size_t d0,
                     size_t d1, size_t d2)
{
    struct want_tensor *t = &w[(*n)++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->rank = rank;
    t->shape[0] = d0;
    t->shape[1] = d1;
    t->shape[2] = d2;
}

/* The list of model.h's comment, written out for the transformer. */
static int want_transformer(const struct grok_model_config *c, struct want_tensor *w)
{
    size_t D = c->d_model, H = c->n_heads, E = c->d_head, M = c->d_mlp;
    int n = 0;
    char s[48];
    add_want(w, &n, "embed.W_E", 2, c->d_vocab, D, 0);
    add_want(w, &n, "pos_embed.W_pos", 2, c->n_ctx, D, 0);
    for (int l = 0; l < c->n_layers; l++) {
#define W(suffix, rank, d0, d1, d2) \
    (snprintf(s, sizeof s, "blocks.%d.%s", l, suffix), add_want(w, &n, s, rank, d0, d1, d2))
        if (c->norm) {
            W("ln1.w", 1, D, 0, 0);
            W("ln1.b", 1, D, 0, 0);
        }
        W("attn.W_Q", 3, H, D, E);
        W("attn.b_Q", 2, H, E, 0);
        W("attn.W_K", 3, H, D, E);
        W("attn.b_K", 2, H, E, 0);
        W("attn.W_V", 3, H, D, E);
        W("attn.b_V", 2, H, E, 0);
        W("attn.W_O", 3, H, E, D);
        W("attn.b_O", 1, D, 0, 0);
        if (c->norm) {
            W("ln2.w", 1, D, 0, 0);
            W("ln2.b", 1, D, 0, 0);
        }
        W("mlp.W_in", 2, D, M, 0);
        W("mlp.b_in", 1, M, 0, 0);
        W("mlp.W_out", 2, M, D, 0);
        W("mlp.b_out", 1, D, 0, 0);
#undef W
    }
    if (c->norm) {
        add_want(w, &n, "ln_final.w", 1, D, 0, 0);
        add_want(w, &n, "ln_final.b", 1, D, 0, 0);
    }
    add_want(w, &n, "unembed.W_U", 2, D, c->d_vocab_out, 0);
    add_want(w, &n, "unembed.b_U", 1, c->d_vocab_out, 0, 0);
    return n;
}

static int want_mlp(const struct grok_model_config *c, struct want_tensor *w)
{
    int n = 0;
    size_t width = c->input == GROK_INPUT_EMBED    ? (size_t)c->n_ctx * c->d_embed
                   : c->input == GROK_INPUT_ONEHOT ? (size_t)c->n_ctx * c->d_vocab
                   : c->input == GROK_INPUT_ONEHOT_SUM ? (size_t)c->d_vocab
                                                   : (size_t)c->n_ctx;
    char s[48];
    if (c->input == GROK_INPUT_EMBED)
        add_want(w, &n, "embed.W_E", 2, c->d_vocab, c->d_embed, 0);
    for (int i = 0; i < c->n_hidden; i++) {
        snprintf(s, sizeof s, "mlp.%d.W", i);
        add_want(w, &n, s, 2, width, c->hidden[i], 0);
        snprintf(s, sizeof s, "mlp.%d.b", i);
        if (!c->no_bias)
            add_want(w, &n, s, 1, c->hidden[i], 0, 0);
        width = c->hidden[i];
    }
    add_want(w, &n, "unembed.W_U", 2, width, c->d_vocab_out, 0);
    if (!c->no_bias)
        add_want(w, &n, "unembed.b_U", 1, c->d_vocab_out, 0, 0);
    return n;
}

/* The offset the model records for name: that of the tensor so called, or GROK_ABSENT. */
static size_t offset_of(const struct grok_model *m, const char *name)
{
    int i = grok_model_find(m, name);
    return i < 0 ? GROK_ABSENT : m->tensors[i].offset;
}

static void check_layout(const struct grok_model *m, const char *label)
{
    const struct grok_model_config *c = &m->cfg;
    struct want_tensor want[6 + 16 * 4 + 2 * GROK_MAX_HIDDEN + 3];
    int n = c->arch == GROK_TRANSFORMER ? want_transformer(c, want) : want_mlp(c, want);

    int same = m->n_tensors == n;
    if (!same)
        diag("%d tensors, want %d", m->n_tensors, n);
    for (int i = 0; same && i < n; i++) {
        const struct grok_param *t = &m->tensors[i];
        same = strcmp(t->name, want[i].name) == 0 && t->rank == want[i].rank;
        for (int d = 0; same && d < t->rank; d++)
            same = t->shape[d] == want[i].shape[d];
        if (!same)
            diag("tensor %d: got %s rank %d [%zu,%zu,%zu], want %s rank %d [%zu,%zu,%zu]", i,
                 t->name, t->rank, t->shape[0], t->rank > 1 ? t->shape[1] : 0,
                 t->rank > 2 ? t->shape[2] : 0, want[i].name, want[i].rank, want[i].shape[0],
                 want[i].shape[1], want[i].shape[2]);
    }
    ok(same, "%s: tensor names, order and shapes", label);

    size_t at = 0;
    int contiguous = 1;
    for (int i = 0; i < m->n_tensors; i++) {
        const struct grok_param *t = &m->tensors[i];
        size_t size = 1;
        for (int d = 0; d < t->rank; d++)
            size *= t->shape[d];
        if (t->offset != at || t->size != size) {
            diag("%s at %zu size %zu, want at %zu size %zu", t->name, t->offset, t->size, at, size);
            contiguous = 0;
        }
        at += t->size;
    }
    ok(contiguous, "%s: offsets contiguous, sizes the products of the shapes", label);
    is_int(m->n_params, at, "%s: n_params is the sum of the sizes (%zu)", label, at);

    size_t d_input = c->arch == GROK_TRANSFORMER ? (size_t)c->n_ctx * c->d_model
                     : c->input == GROK_INPUT_EMBED ? (size_t)c->n_ctx * c->d_embed
                     : c->input == GROK_INPUT_ONEHOT ? (size_t)c->n_ctx * c->d_vocab
                     : c->input == GROK_INPUT_ONEHOT_SUM ? (size_t)c->d_vocab
                                                     : (size_t)c->n_ctx;
    is_int(m->d_input, d_input, "%s: d_input %zu", label, d_input);

    /* the named offsets point at the tensors of those names */
    int named = m->W_E == offset_of(m, "embed.W_E") &&
                m->W_pos == offset_of(m, "pos_embed.W_pos") &&
                m->lnf_w == offset_of(m, "ln_final.w") && m->lnf_b == offset_of(m, "ln_final.b") &&
                m->W_U == offset_of(m, "unembed.W_U") && m->b_U == offset_of(m, "unembed.b_U");
    static const struct {
        const char *suffix;
        size_t field;
    } block_fields[] = {
        {"ln1.w", offsetof(struct grok_block_offsets, ln1_w)},
        {"ln1.b", offsetof(struct grok_block_offsets, ln1_b)},
        {"attn.W_Q", offsetof(struct grok_block_offsets, W_Q)},
        {"attn.b_Q", offsetof(struct grok_block_offsets, b_Q)},
        {"attn.W_K", offsetof(struct grok_block_offsets, W_K)},
        {"attn.b_K", offsetof(struct grok_block_offsets, b_K)},
        {"attn.W_V", offsetof(struct grok_block_offsets, W_V)},
        {"attn.b_V", offsetof(struct grok_block_offsets, b_V)},
        {"attn.W_O", offsetof(struct grok_block_offsets, W_O)},
        {"attn.b_O", offsetof(struct grok_block_offsets, b_O)},
        {"ln2.w", offsetof(struct grok_block_offsets, ln2_w)},
        {"ln2.b", offsetof(struct grok_block_offsets, ln2_b)},
        {"mlp.W_in", offsetof(struct grok_block_offsets, W_in)},
        {"mlp.b_in", offsetof(struct grok_block_offsets, b_in)},
        {"mlp.W_out", offsetof(struct grok_block_offsets, W_out)},
        {"mlp.b_out", offsetof(struct grok_block_offsets, b_out)},
    };
    char s[64];
    if (c->arch == GROK_TRANSFORMER) {
        for (int l = 0; l < c->n_layers; l++)
            for (size_t f = 0; f < sizeof block_fields / sizeof *block_fields; f++) {
                snprintf(s, sizeof s, "blocks.%d.%s", l, block_fields[f].suffix);
                size_t got = *(const size_t *)((const char *)&m->blocks[l] + block_fields[f].field);
                if (got != offset_of(m, s)) {
                    diag("%s: offset %zu, want %zu", s, got, offset_of(m, s));
                    named = 0;
                }
            }
    } else {
        for (int i = 0; i < GROK_MAX_HIDDEN; i++) {
            snprintf(s, sizeof s, "mlp.%d.W", i);
            named = named && m->mlp_W[i] == offset_of(m, s);
            snprintf(s, sizeof s, "mlp.%d.b", i);
            named = named && m->mlp_b[i] == offset_of(m, s);
        }
    }
    ok(named, "%s: the named offsets point at their tensors (GROK_ABSENT when missing)", label);
}

/* One tensor's shape, as a string for is_str. */
static const char *shape_of(const struct grok_model *m, const char *name)
{
    static char buf[64];
    int i = grok_model_find(m, name);
    if (i < 0)
        return "absent";
    const struct grok_param *t = &m->tensors[i];
    int at = snprintf(buf, sizeof buf, "[");
    for (int d = 0; d < t->rank; d++)
        at += snprintf(buf + at, sizeof buf - at, "%s%zu", d ? "," : "", t->shape[d]);
    snprintf(buf + at, sizeof buf - at, "]");
    return buf;
}

static void test_layout(void)
{
    struct grok_model m;

    struct grok_model_config nanda = tf_config(3, 1, 0, 0, GROK_ACT_RELU, 2, GROK_LOSS_CE);
    build(&m, &nanda);
    check_layout(&m, "nanda-like");
    is_str(shape_of(&m, "blocks.0.attn.W_Q"), "[2,8,4]", "nanda-like: blocks.0.attn.W_Q [2,8,4]");
    is_str(shape_of(&m, "blocks.0.attn.W_O"), "[2,4,8]", "nanda-like: blocks.0.attn.W_O [2,4,8]");
    is_str(shape_of(&m, "blocks.0.attn.b_O"), "[8]", "nanda-like: blocks.0.attn.b_O [8]");
    is_str(shape_of(&m, "blocks.0.mlp.W_in"), "[8,16]", "nanda-like: blocks.0.mlp.W_in [8,16]");
    is_str(shape_of(&m, "unembed.W_U"), "[8,7]", "nanda-like: unembed.W_U [8,7]");
    is_str(m.tensors[0].name, "embed.W_E", "nanda-like: embed.W_E comes first");
    is_str(m.tensors[m.n_tensors - 1].name, "unembed.b_U", "nanda-like: unembed.b_U comes last");
    ok(grok_model_find(&m, "blocks.0.ln1.w") < 0 && grok_model_find(&m, "ln_final.w") < 0 &&
           m.blocks[0].ln1_w == GROK_ABSENT && m.blocks[0].ln2_b == GROK_ABSENT &&
           m.lnf_w == GROK_ABSENT,
       "nanda-like: no LayerNorm tensors without norm");
    is_int(m.n_params, 8 * 8 + 3 * 8 + 4 * 64 + 3 * 8 + 8 + 128 + 16 + 128 + 8 + 56 + 7,
           "nanda-like: n_params by hand");
    is_int(grok_model_find(&m, "no.such.tensor"), -1, "grok_model_find: -1 for an unknown name");
    grok_model_free(&m);

    struct grok_model_config xu = tf_config(3, 2, 1, 0, GROK_ACT_RELU, 2, GROK_LOSS_CE);
    build(&m, &xu);
    check_layout(&m, "xu-like");
    is_str(shape_of(&m, "blocks.1.ln1.w"), "[8]", "xu-like: blocks.1.ln1.w [8]");
    is_str(shape_of(&m, "blocks.1.ln2.b"), "[8]", "xu-like: blocks.1.ln2.b [8]");
    is_str(shape_of(&m, "ln_final.w"), "[8]", "xu-like: ln_final.w [8]");
    is_str(shape_of(&m, "ln_final.b"), "[8]", "xu-like: ln_final.b [8]");
    is_str(m.tensors[2].name, "blocks.0.ln1.w",
           "xu-like: blocks.0.ln1.w right after the embeddings");
    is_str(m.tensors[m.n_tensors - 3].name, "ln_final.b",
           "xu-like: ln_final before the unembedding");
    grok_model_free(&m);

    const enum grok_mlp_input inputs[] = {GROK_INPUT_EMBED, GROK_INPUT_ONEHOT, GROK_INPUT_RAW};
    const size_t d_in[] = {2 * 5, 2 * 8, 2};
    for (int i = 0; i < 3; i++) {
        struct grok_model_config c = mlp_config(inputs[i], 2, GROK_ACT_RELU, GROK_LOSS_CE);
        char label[64];
        snprintf(label, sizeof label, "mlp %s", input_name(inputs[i]));
        build(&m, &c);
        check_layout(&m, label);
        char want[32];
        snprintf(want, sizeof want, "[%zu,6]", d_in[i]);
        is_str(shape_of(&m, "mlp.0.W"), want, "%s: mlp.0.W %s", label, want);
        is_str(shape_of(&m, "mlp.1.W"), "[6,5]", "%s: mlp.1.W [6,5]", label);
        is_str(shape_of(&m, "unembed.W_U"), "[5,7]", "%s: unembed.W_U [5,7]", label);
        is_str(shape_of(&m, "embed.W_E"), i == 0 ? "[8,5]" : "absent", "%s: embed.W_E %s", label,
               i == 0 ? "[8,5]" : "absent");
        grok_model_free(&m);
    }

    /* Musat's two-layer network: one-hot sums, no biases */
    struct grok_model_config musat = mlp_config(GROK_INPUT_ONEHOT_SUM, 1, GROK_ACT_RELU, GROK_LOSS_MSE);
    musat.no_bias = 1;
    build(&m, &musat);
    check_layout(&m, "mlp onehot-sum, no bias");
    is_int(m.n_tensors, 2, "mlp onehot-sum, no bias: two tensors");
    is_str(shape_of(&m, "mlp.0.W"), "[8,6]", "mlp onehot-sum: mlp.0.W [8,6] (d_vocab rows)");
    ok(m.mlp_b[0] == GROK_ABSENT && m.b_U == GROK_ABSENT && grok_model_find(&m, "unembed.b_U") < 0,
       "mlp without biases: mlp.0.b and unembed.b_U absent");
    grok_model_free(&m);
    struct grok_model_config linear = mlp_config(GROK_INPUT_RAW, 0, GROK_ACT_IDENTITY, GROK_LOSS_MSE);
    linear.no_bias = 1;
    linear.d_vocab_out = 1;
    build(&m, &linear);
    is_int(m.n_params, 2, "a linear model of 2 inputs, no bias: 2 parameters");
    is_str(shape_of(&m, "unembed.W_U"), "[2,1]", "a linear model: unembed.W_U [2,1]");
    grok_model_free(&m);
}

static void test_bad_configs(void)
{
    struct {
        const char *what;
        struct grok_model_config c;
    } bad[7];
    bad[0].what = "a readout past the context";
    bad[0].c = tf_config(3, 1, 0, 0, GROK_ACT_RELU, 3, GROK_LOSS_CE);
    bad[1].what = "a negative readout";
    bad[1].c = tf_config(3, 1, 0, 0, GROK_ACT_RELU, -1, GROK_LOSS_CE);
    bad[2].what = "d_model 0";
    bad[2].c = tf_config(3, 1, 0, 0, GROK_ACT_RELU, 2, GROK_LOSS_CE);
    bad[2].c.d_model = 0;
    bad[3].what = "act quad for the transformer";
    bad[3].c = tf_config(3, 1, 0, 0, GROK_ACT_QUAD, 2, GROK_LOSS_CE);
    bad[4].what = "n_hidden -1";
    bad[4].c = mlp_config(GROK_INPUT_ONEHOT, -1, GROK_ACT_RELU, GROK_LOSS_CE);
    bad[5].what = "too many hidden layers";
    bad[5].c = mlp_config(GROK_INPUT_ONEHOT, GROK_MAX_HIDDEN + 1, GROK_ACT_RELU, GROK_LOSS_CE);
    bad[6].what = "a hidden layer of width 0";
    bad[6].c = mlp_config(GROK_INPUT_ONEHOT, 2, GROK_ACT_RELU, GROK_LOSS_CE);
    bad[6].c.hidden[1] = 0;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct grok_model m;
        struct grok_err err = {0};
        int rc = grok_model_build(&m, &bad[i].c, &err);
        if (!ok(rc == GROK_EINVAL && err.code == GROK_EINVAL && err.msg[0],
                "grok_model_build rejects %s with GROK_EINVAL", bad[i].what))
            diag("rc %d, message '%s'", rc, err.msg);
        grok_model_free(&m);
    }
}

/* ---- 2. every parameter's gradient against finite differences ---- */

struct loss_ctx {
    const struct grok_model *m;
    struct grok_work *w;
    const double *P;
    const int32_t *tok, *y;
    int n;
};

static double loss_at(void *c)
{
    const struct loss_ctx *s = c;
    return grok_model_loss_grad_f64(s->m, s->w, s->P, NULL, s->tok, s->y, s->n, NULL, NULL);
}

static const char *tensor_at(const struct grok_model *m, size_t k)
{
    for (int i = 0; i < m->n_tensors; i++)
        if (k >= m->tensors[i].offset && k < m->tensors[i].offset + m->tensors[i].size)
            return m->tensors[i].name;
    return "?";
}

/* What a finite-difference check of one configuration starts from: its name, the model, a
 * double workspace of BATCH examples and random parameters (the first draws of rng). */
struct fd_model {
    char label[160];
    struct grok_model m;
    struct grok_work *w;
    double *P;   /* (n_params) */
};

static void fd_model_open(struct fd_model *f, const struct grok_model_config *cfg)
{
    config_name(f->label, sizeof f->label, cfg);
    build(&f->m, cfg);
    f->w = work(&f->m, BATCH, GROK_F64);
    f->P = malloc(f->m.n_params * sizeof *f->P);
    random_params(&f->m, f->P, rng);
}

static void fd_model_close(struct fd_model *f)
{
    free(f->P);
    grok_work_free(f->w);
    grok_model_free(&f->m);
}

/* The test that every parameter gradient of m matched its central difference (r), named by
 * label, with the worst one and its tensor when some did not; whether they all matched. */
static int params_match(const struct fd_result *r, const struct grok_model *m, const char *label)
{
    int all = ok(r->bad == 0, "%s: all %zu parameter gradients match finite differences", label,
                 m->n_params);
    if (!all)
        diag("%zu bad; worst relative error %.3g at %zu (%s), worst absolute %.3g", r->bad,
             r->worst_rel, r->worst_at, tensor_at(m, r->worst_at), r->worst_abs);
    return all;
}

static void grad_check(const struct grok_model_config *cfg)
{
    struct fd_model f;
    fd_model_open(&f, cfg);
    struct grok_model *m = &f.m;
    struct grok_work *w = f.w;
    const char *label = f.label;
    double *P = f.P, *G = malloc(m->n_params * sizeof *G);
    int32_t tok[BATCH * 4], y[BATCH];
    struct loss_ctx ctx = {m, w, P, tok, y, BATCH};

    /* ReLU may put a pre-activation within h of its kink: then a new batch, not a looser bound */
    int tries = cfg->act == GROK_ACT_RELU ? 3 : 1;
    struct fd_result r;
    int t = 0;
    do {
        random_batch(m, rng, tok, y, BATCH);
        for (size_t k = 0; k < m->n_params; k++)
            G[k] = 1e3; /* loss_grad overwrites */
        grok_model_loss_grad_f64(m, w, P, G, tok, y, BATCH, NULL, NULL);
        r = fd_compare(loss_at, &ctx, P, G, m->n_params, FD_H, FD_REL, FD_ABS);
    } while (r.bad && ++t < tries);
    if (params_match(&r, m, label) && t > 0)
        diag("%s: passed with batch %d (a ReLU kink in an earlier one)", label, t + 1);

    free(G);
    fd_model_close(&f);
}

static void test_gradients(void)
{
    const enum grok_act acts[] = {GROK_ACT_RELU, GROK_ACT_GELU, GROK_ACT_QUAD};
    int i = 0;
    for (int n_layers = 1; n_layers <= 2; n_layers++)
        for (int norm = 0; norm <= 1; norm++)
            for (int causal = 0; causal <= 1; causal++)
                for (int a = 0; a < 2; a++)
                    for (int last = 0; last <= 1; last++, i++) {
                        int n_ctx = 3 + (i % 3 == 0);
                        /* MSE and StableMax on every fifth each, so that each meets every
                         * setting at least once */
                        enum grok_loss loss = i % 5 == 4   ? GROK_LOSS_MSE
                                              : i % 5 == 2 ? GROK_LOSS_STABLEMAX
                                                           : GROK_LOSS_CE;
                        struct grok_model_config c = tf_config(n_ctx, n_layers, norm, causal,
                                                               acts[a], last ? n_ctx - 1 : 0, loss);
                        grad_check(&c);
                    }
    const enum grok_mlp_input inputs[] = {GROK_INPUT_EMBED, GROK_INPUT_ONEHOT, GROK_INPUT_RAW};
    for (int in = 0; in < 3; in++)
        for (int a = 0; a < 3; a++)
            for (int n_hidden = 1; n_hidden <= 2; n_hidden++)
                for (int loss = GROK_LOSS_CE; loss <= GROK_LOSS_STABLEMAX; loss++) {
                    struct grok_model_config c = mlp_config(inputs[in], n_hidden, acts[a],
                                                            (enum grok_loss)loss);
                    grad_check(&c);
                }
    /* Musat's models: one-hot sums, no biases, no hidden layer, the identity and leaky ReLU */
    const enum grok_mlp_input p2_inputs[] = {GROK_INPUT_ONEHOT_SUM, GROK_INPUT_RAW, GROK_INPUT_EMBED};
    const enum grok_act p2_acts[] = {GROK_ACT_IDENTITY, GROK_ACT_LEAKY, GROK_ACT_RELU};
    for (int in = 0; in < 3; in++)
        for (int a = 0; a < 3; a++)
            for (int n_hidden = 0; n_hidden <= 2; n_hidden++)
                for (int no_bias = 0; no_bias <= 1; no_bias++) {
                    if (n_hidden == 0 && a > 0)
                        continue;   /* no activation without a hidden layer */
                    struct grok_model_config c = mlp_config(p2_inputs[in], n_hidden, p2_acts[a],
                                                            (in + a) % 2 ? GROK_LOSS_MSE : GROK_LOSS_CE);
                    c.no_bias = no_bias;
                    grad_check(&c);
                }
}

/* A regression's loss (real inputs, real targets: grok_model_regress_loss_grad) against central
 * differences over every parameter, and its per-example losses against its mean. */
struct regress_ctx {
    const struct grok_model *m;
    struct grok_work *w;
    const double *P, *x, *target;
    int n;
};

static double regress_at(void *c)
{
    const struct regress_ctx *s = c;
    return grok_model_regress_loss_grad_f64(s->m, s->w, s->P, NULL, s->x, s->target, s->n,
                                            1.0 / s->n, NULL);
}

static void test_regress_grad(const struct grok_model_config *cfg)
{
    struct fd_model f;
    fd_model_open(&f, cfg);
    struct grok_model *m = &f.m;
    struct grok_work *w = f.w;
    const char *label = f.label;
    int V = cfg->d_vocab_out;
    double *P = f.P, *G = malloc(m->n_params * sizeof *G);
    double *x = malloc(BATCH * m->d_input * sizeof *x), target[BATCH * 16], losses[BATCH];
    gaussian(x, BATCH * m->d_input);
    gaussian(target, (size_t)BATCH * V);
    for (size_t k = 0; k < m->n_params; k++)
        G[k] = 1e3;   /* overwritten */
    double loss = grok_model_regress_loss_grad_f64(m, w, P, G, x, target, BATCH, 1.0 / BATCH, losses);
    struct regress_ctx ctx = {m, w, P, x, target, BATCH};
    struct fd_result r = fd_compare(regress_at, &ctx, P, G, m->n_params, FD_H, FD_REL, FD_ABS);
    char what[200];
    snprintf(what, sizeof what, "%s, regression", label);
    params_match(&r, m, what);
    double mean = 0;
    for (int i = 0; i < BATCH; i++)
        mean += losses[i] / BATCH;
    is_near(loss, mean, 1e-14, "%s, regression: the loss is the mean of the examples' losses", label);
    free(G);
    free(x);
    fd_model_close(&f);
}

static void test_regress_grads(void)
{
    const enum grok_act acts[] = {GROK_ACT_IDENTITY, GROK_ACT_LEAKY, GROK_ACT_RELU};
    for (int n_hidden = 0; n_hidden <= 2; n_hidden++)
        for (int a = 0; a < 3; a++) {
            if (n_hidden == 0 && a > 0)
                continue;
            struct grok_model_config c = mlp_config(GROK_INPUT_RAW, n_hidden, acts[a], GROK_LOSS_MSE);
            c.no_bias = n_hidden != 1;   /* with and without biases */
            test_regress_grad(&c);
        }
}

/* ---- 3. the input gradient; the input and logits behind the loss ---- */

struct logit_ctx {
    const struct grok_model *m;
    struct grok_work *w;
    const double *P, *x, *r;
    double *logits;
    int n;
};

static double dot_logits(void *c)
{
    const struct logit_ctx *s = c;
    grok_model_logits_f64(s->m, s->w, s->P, s->x, s->n, s->logits);
    double sum = 0;
    for (size_t i = 0; i < (size_t)s->n * s->m->cfg.d_vocab_out; i++)
        sum += s->r[i] * s->logits[i];
    return sum;
}

static void test_input_grad(const struct grok_model_config *cfg)
{
    struct fd_model f;
    fd_model_open(&f, cfg);
    struct grok_model *m = &f.m;
    struct grok_work *w = f.w;
    const char *label = f.label;
    int V = cfg->d_vocab_out;
    double *P = f.P;
    double *x = malloc(BATCH * m->d_input * sizeof *x), *dx = malloc(BATCH * m->d_input * sizeof *dx);
    double r[BATCH * 16], logits[BATCH * 16], losses[BATCH];
    int32_t tok[BATCH * 4], y[BATCH];
    random_batch(m, rng, tok, y, BATCH);
    gaussian(r, (size_t)BATCH * V);

    grok_model_input_f64(m, P, tok, BATCH, x);
    grok_model_input_grad_f64(m, w, P, x, r, BATCH, dx);
    struct logit_ctx ctx = {m, w, P, x, r, logits, BATCH};
    struct fd_result fd = fd_compare(dot_logits, &ctx, x, dx, BATCH * m->d_input, FD_H, FD_REL, FD_ABS);
    if (!ok(fd.bad == 0, "%s: input gradient matches finite differences (%zu values)", label,
            BATCH * m->d_input))
        diag("%zu bad; worst relative error %.3g at %zu, worst absolute %.3g", fd.bad,
             fd.worst_rel, fd.worst_at, fd.worst_abs);

    /* the logits of the input of the tokens are those the loss was computed from */
    grok_model_logits_f64(m, w, P, x, BATCH, logits);
    double mean = grok_model_loss_grad_f64(m, w, P, NULL, tok, y, BATCH, NULL, losses);
    double want = 0, worst = 0;
    for (int i = 0; i < BATCH; i++) {
        const double *row = logits + i * V;
        double li;
        if (cfg->loss == GROK_LOSS_CE) {
            double top = row[0], s = 0;
            for (int j = 1; j < V; j++)
                top = fmax(top, row[j]);
            for (int j = 0; j < V; j++)
                s += exp(row[j] - top);
            li = top + log(s) - row[y[i]];
        } else if (cfg->loss == GROK_LOSS_STABLEMAX) {   /* −log(s(x_y) / Σ s(x_j)), as written */
            double s = 0;
            for (int j = 0; j < V; j++)
                s += row[j] >= 0 ? row[j] + 1 : 1 / (1 - row[j]);
            double sy = row[y[i]] >= 0 ? row[y[i]] + 1 : 1 / (1 - row[y[i]]);
            li = -log(sy / s);
        } else {
            li = 0;
            for (int j = 0; j < V; j++)
                li += (row[j] - (j == y[i])) * (row[j] - (j == y[i]));
            li /= V;
        }
        worst = fmax(worst, fabs(li - losses[i]));
        want += li / BATCH;
    }
    if (!ok(fabs(mean - want) < 1e-12 * fmax(1, fabs(want)) && worst < 1e-12,
            "%s: logits(input(tokens)) give the loss of loss_grad", label))
        diag("mean %.17g, from the logits %.17g; worst per-example gap %.3g", mean, want, worst);

    free(x);
    free(dx);
    fd_model_close(&f);
}

/* Which positions the readout sees: with causal attention the logits at readout r do not depend
 * on the positions after r (their rows of dx are exactly 0); without it they depend on all. */
static void test_readout_sees(int causal, int readout)
{
    struct grok_model_config cfg = tf_config(4, 2, 1, causal, GROK_ACT_GELU, readout, GROK_LOSS_CE);
    struct grok_model m;
    build(&m, &cfg);
    struct grok_work *w = work(&m, BATCH, GROK_F64);
    int T = cfg.n_ctx, D = cfg.d_model, V = cfg.d_vocab_out;
    double *P = malloc(m.n_params * sizeof *P);
    double *x = malloc(BATCH * m.d_input * sizeof *x), *dx = malloc(BATCH * m.d_input * sizeof *dx);
    double r[BATCH * 16];
    int32_t tok[BATCH * 4], y[BATCH];
    random_params(&m, P, rng);
    random_batch(&m, rng, tok, y, BATCH);
    gaussian(r, (size_t)BATCH * V);
    grok_model_input_f64(&m, P, tok, BATCH, x);
    grok_model_input_grad_f64(&m, w, P, x, r, BATCH, dx);
    int right = 1;
    for (int i = 0; i < BATCH; i++)
        for (int t = 0; t < T; t++) {
            int zeros = 0;
            for (int d = 0; d < D; d++)
                zeros += dx[((size_t)i * T + t) * D + d] == 0;
            int seen = !causal || t <= readout;
            right = right && (seen ? zeros < D : zeros == D);
        }
    ok(right, "transformer causal %d, readout %d: the logits depend on positions %s", causal,
       readout, causal ? "up to the readout only" : "all");
    free(P);
    free(x);
    free(dx);
    grok_work_free(w);
    grok_model_free(&m);
}

/* The continuous inputs themselves: W_E[tok] + W_pos[t], one-hot codes, token ids. */
static void test_inputs(void)
{
    struct grok_model m;
    int32_t tok[BATCH * 4], y[BATCH];
    struct grok_model_config c = tf_config(3, 1, 0, 0, GROK_ACT_GELU, 2, GROK_LOSS_CE);
    build(&m, &c);
    double *P = malloc(m.n_params * sizeof *P), *x = malloc(BATCH * m.d_input * sizeof *x);
    random_params(&m, P, rng);
    random_batch(&m, rng, tok, y, BATCH);
    grok_model_input_f64(&m, P, tok, BATCH, x);
    double worst = 0;
    for (int i = 0; i < BATCH; i++)
        for (int t = 0; t < 3; t++)
            for (int d = 0; d < 8; d++) {
                double want = P[m.W_E + tok[i * 3 + t] * 8 + d] + P[m.W_pos + t * 8 + d];
                worst = fmax(worst, fabs(x[(i * 3 + t) * 8 + d] - want));
            }
    ok(worst == 0, "transformer input: W_E[token] + W_pos[position]");
    free(P);
    free(x);
    grok_model_free(&m);

    const enum grok_mlp_input inputs[] = {GROK_INPUT_EMBED, GROK_INPUT_ONEHOT, GROK_INPUT_RAW};
    for (int in = 0; in < 3; in++) {
        c = mlp_config(inputs[in], 1, GROK_ACT_GELU, GROK_LOSS_CE);
        build(&m, &c);
        P = malloc(m.n_params * sizeof *P);
        x = malloc(BATCH * m.d_input * sizeof *x);
        random_params(&m, P, rng);
        random_batch(&m, rng, tok, y, BATCH);
        grok_model_input_f64(&m, P, tok, BATCH, x);
        int right = 1;
        for (int i = 0; i < BATCH; i++)
            for (int t = 0; t < 2; t++) {
                int k = tok[i * 2 + t];
                if (inputs[in] == GROK_INPUT_EMBED)
                    for (int d = 0; d < 5; d++)
                        right = right && x[i * 10 + t * 5 + d] == P[m.W_E + k * 5 + d];
                else if (inputs[in] == GROK_INPUT_ONEHOT)
                    for (int v = 0; v < 8; v++)
                        right = right && x[i * 16 + t * 8 + v] == (v == k);
                else
                    right = right && x[i * 2 + t] == k;
            }
        ok(right, "mlp %s input: %s", input_name(inputs[in]),
           inputs[in] == GROK_INPUT_EMBED    ? "the tokens' embeddings, concatenated"
           : inputs[in] == GROK_INPUT_ONEHOT ? "the tokens' one-hot codes, concatenated"
                                             : "the token ids");
        free(P);
        free(x);
        grok_model_free(&m);
    }
}

static void test_input_grads(void)
{
    test_inputs();
    test_readout_sees(1, 0);
    test_readout_sees(1, 1);
    test_readout_sees(1, 3);
    test_readout_sees(0, 0);
    test_readout_sees(0, 2);

    /* the token path (a table of (token, position) rows, the last layer at the readout only)
     * against the continuous one, readout first, middle and last */
    struct grok_model_config c = tf_config(4, 2, 1, 1, GROK_ACT_GELU, 3, GROK_LOSS_CE);
    test_input_grad(&c);
    c = tf_config(3, 1, 0, 0, GROK_ACT_GELU, 1, GROK_LOSS_MSE);
    test_input_grad(&c);
    c = tf_config(3, 1, 1, 0, GROK_ACT_RELU, 2, GROK_LOSS_CE);
    test_input_grad(&c);
    c = tf_config(3, 2, 0, 1, GROK_ACT_GELU, 2, GROK_LOSS_CE);
    test_input_grad(&c);
    c = tf_config(2, 2, 1, 0, GROK_ACT_GELU, 0, GROK_LOSS_CE);
    test_input_grad(&c);
    c = mlp_config(GROK_INPUT_EMBED, 2, GROK_ACT_RELU, GROK_LOSS_CE);
    test_input_grad(&c);
    const enum grok_mlp_input inputs[] = {GROK_INPUT_EMBED, GROK_INPUT_ONEHOT, GROK_INPUT_RAW};
    for (int in = 0; in < 3; in++) {
        c = mlp_config(inputs[in], 2, in == 2 ? GROK_ACT_QUAD : GROK_ACT_GELU,
                       in == 1 ? GROK_LOSS_MSE : in == 2 ? GROK_LOSS_STABLEMAX : GROK_LOSS_CE);
        test_input_grad(&c);
    }
    c = tf_config(3, 1, 1, 1, GROK_ACT_GELU, 2, GROK_LOSS_STABLEMAX);
    test_input_grad(&c);
}

/* ---- 4. float against double ---- */

static double rel_gap(const float *a, const double *b, size_t n)
{
    double d = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        d += (a[i] - b[i]) * (a[i] - b[i]);
        s += b[i] * b[i];
    }
    return sqrt(d / fmax(s, 1e-300));
}

static void test_float(const struct grok_model_config *cfg)
{
    char label[160];
    config_name(label, sizeof label, cfg);
    struct grok_model m;
    build(&m, cfg);
    struct grok_work *wf = work(&m, BATCH, GROK_F32), *wd = work(&m, BATCH, GROK_F64);
    size_t N = m.n_params, X = BATCH * m.d_input;
    int V = cfg->d_vocab_out;
    double *P = malloc(N * sizeof *P), *G = malloc(N * sizeof *G);
    float *Pf = malloc(N * sizeof *Pf), *Gf = malloc(N * sizeof *Gf);
    double *x = malloc(X * sizeof *x), *dx = malloc(X * sizeof *dx);
    float *xf = malloc(X * sizeof *xf), *dxf = malloc(X * sizeof *dxf);
    double r[BATCH * 16], logits[BATCH * 16];
    float rf[BATCH * 16], logitsf[BATCH * 16];
    int32_t tok[BATCH * 4], y[BATCH];
    random_params(&m, P, rng);
    for (size_t k = 0; k < N; k++) {
        Pf[k] = (float)P[k];
        P[k] = Pf[k]; /* the very same parameters in both */
    }
    random_batch(&m, rng, tok, y, BATCH);

    int cf = -1, cd = -2;
    double lf = grok_model_loss_grad(&m, wf, Pf, Gf, tok, y, BATCH, &cf, NULL);
    double ld = grok_model_loss_grad_f64(&m, wd, P, G, tok, y, BATCH, &cd, NULL);
    if (!ok(fabs(lf - ld) <= 1e-5 * fabs(ld), "%s: float loss agrees with double", label))
        diag("float %.9g, double %.17g", lf, ld);
    double gap = rel_gap(Gf, G, N);
    if (!ok(gap < 1e-4, "%s: float gradient agrees with double", label))
        diag("relative gap %.3g", gap);
    is_int(cf, cd, "%s: float and double count the same correct answers", label);

    grok_model_input(&m, Pf, tok, BATCH, xf);
    grok_model_input_f64(&m, P, tok, BATCH, x);
    for (int i = 0; i < BATCH * V; i++) {
        rf[i] = (float)gsl_ran_gaussian(rng, 1.0);
        r[i] = rf[i];
    }
    grok_model_logits(&m, wf, Pf, xf, BATCH, logitsf);
    grok_model_logits_f64(&m, wd, P, x, BATCH, logits);
    grok_model_input_grad(&m, wf, Pf, xf, rf, BATCH, dxf);
    grok_model_input_grad_f64(&m, wd, P, x, r, BATCH, dx);
    gap = fmax(rel_gap(xf, x, X), rel_gap(logitsf, logits, BATCH * V));
    if (!ok(gap < 1e-5, "%s: float input and logits agree with double", label))
        diag("relative gap %.3g", gap);
    gap = rel_gap(dxf, dx, X);
    if (!ok(gap < 1e-4, "%s: float input gradient agrees with double", label))
        diag("relative gap %.3g", gap);

    free(P);
    free(G);
    free(Pf);
    free(Gf);
    free(x);
    free(dx);
    free(xf);
    free(dxf);
    grok_work_free(wf);
    grok_work_free(wd);
    grok_model_free(&m);
}

static void test_floats(void)
{
    struct grok_model_config c = tf_config(3, 2, 1, 0, GROK_ACT_GELU, 2, GROK_LOSS_CE);
    test_float(&c);
    c = tf_config(4, 1, 0, 1, GROK_ACT_RELU, 3, GROK_LOSS_MSE);
    test_float(&c);
    c = mlp_config(GROK_INPUT_EMBED, 2, GROK_ACT_RELU, GROK_LOSS_CE);
    test_float(&c);
    c = mlp_config(GROK_INPUT_ONEHOT, 1, GROK_ACT_QUAD, GROK_LOSS_MSE);
    test_float(&c);
    c = tf_config(3, 1, 1, 1, GROK_ACT_RELU, 2, GROK_LOSS_STABLEMAX);
    test_float(&c);
    c = mlp_config(GROK_INPUT_EMBED, 2, GROK_ACT_GELU, GROK_LOSS_STABLEMAX);
    test_float(&c);
}

/* ---- 5. the accuracy count and the per-example losses ---- */

static void test_correct(const struct grok_model_config *cfg)
{
    enum { N = 8 };
    char label[160];
    config_name(label, sizeof label, cfg);
    struct grok_model m;
    build(&m, cfg);
    struct grok_work *w = work(&m, N, GROK_F64);
    int V = cfg->d_vocab_out;
    double *P = malloc(m.n_params * sizeof *P), *x = malloc(N * m.d_input * sizeof *x);
    double logits[N * 16], losses[N];
    int32_t tok[N * 4], y[N];
    random_params(&m, P, rng);
    random_batch(&m, rng, tok, y, N);
    grok_model_input_f64(&m, P, tok, N, x);
    grok_model_logits_f64(&m, w, P, x, N, logits);

    /* the answer is the largest logit for examples 0, 3, 6 only */
    int want = 0;
    for (int i = 0; i < N; i++) {
        int best = 0;
        for (int j = 1; j < V; j++)
            if (logits[i * V + j] > logits[i * V + best])
                best = j;
        y[i] = i % 3 == 0 ? best : (best + 1 + i % (V - 1)) % V;
        want += y[i] == best;
    }
    int correct = -1;
    double mean = grok_model_loss_grad_f64(&m, w, P, NULL, tok, y, N, &correct, losses);
    is_int(correct, want, "%s: correct counts the examples whose largest logit is the answer",
           label);
    double sum = 0;
    for (int i = 0; i < N; i++)
        sum += losses[i];
    is_near(sum / N, mean, 1e-14 * fmax(1, fabs(mean)),
            "%s: the per-example losses average to the mean", label);

    /* every answer right */
    for (int i = 0; i < N; i++) {
        int best = 0;
        for (int j = 1; j < V; j++)
            if (logits[i * V + j] > logits[i * V + best])
                best = j;
        y[i] = best;
    }
    double *G = malloc(m.n_params * sizeof *G);
    grok_model_loss_grad_f64(&m, w, P, G, tok, y, N, &correct, NULL);
    is_int(correct, N, "%s: all %d right when every answer is the argmax (with grad)", label, N);

    free(P);
    free(G);
    free(x);
    grok_work_free(w);
    grok_model_free(&m);
}

static void test_corrects(void)
{
    struct grok_model_config c = tf_config(3, 1, 1, 0, GROK_ACT_RELU, 2, GROK_LOSS_CE);
    test_correct(&c);
    c = tf_config(3, 2, 0, 1, GROK_ACT_GELU, 2, GROK_LOSS_CE);
    test_correct(&c);
    c = tf_config(2, 2, 1, 0, GROK_ACT_GELU, 0, GROK_LOSS_CE);
    test_correct(&c);
    c = mlp_config(GROK_INPUT_EMBED, 2, GROK_ACT_RELU, GROK_LOSS_CE);
    test_correct(&c);
    c = mlp_config(GROK_INPUT_ONEHOT, 1, GROK_ACT_RELU, GROK_LOSS_MSE);
    test_correct(&c);
    c = tf_config(3, 1, 0, 0, GROK_ACT_RELU, 2, GROK_LOSS_STABLEMAX);
    test_correct(&c);
    c = mlp_config(GROK_INPUT_EMBED, 1, GROK_ACT_RELU, GROK_LOSS_STABLEMAX);
    test_correct(&c);
}

/* ---- 6. initialisation ---- */

static double tensor_mean(const struct grok_model *m, const float *p, const char *name)
{
    const struct grok_param *t = &m->tensors[grok_model_find(m, name)];
    double s = 0;
    for (size_t i = 0; i < t->size; i++)
        s += p[t->offset + i];
    return s / t->size;
}

static double tensor_std(const struct grok_model *m, const float *p, const char *name)
{
    const struct grok_param *t = &m->tensors[grok_model_find(m, name)];
    double mu = tensor_mean(m, p, name), s = 0;
    for (size_t i = 0; i < t->size; i++)
        s += (p[t->offset + i] - mu) * (p[t->offset + i] - mu);
    return sqrt(s / t->size);
}

static double tensor_max_abs(const struct grok_model *m, const float *p, const char *name)
{
    const struct grok_param *t = &m->tensors[grok_model_find(m, name)];
    double a = 0;
    for (size_t i = 0; i < t->size; i++)
        a = fmax(a, fabs(p[t->offset + i]));
    return a;
}

/* Whether every value of the tensor is v exactly. */
static int tensor_all(const struct grok_model *m, const float *p, const char *name, float v)
{
    int i = grok_model_find(m, name);
    if (i < 0)
        return 0;
    const struct grok_param *t = &m->tensors[i];
    for (size_t k = 0; k < t->size; k++)
        if (p[t->offset + k] != v)
            return 0;
    return 1;
}

static void std_ok(double got, double want, double tol, const char *what)
{
    if (!ok(fabs(got / want - 1) < tol, "%s: std %.4g ≈ %.4g", what, got, want))
        diag("off by %.1f%%, allowed %.0f%%", 100 * fabs(got / want - 1), 100 * tol);
}

static void test_init(void)
{
    struct grok_model_config c = tf_config(3, 1, 1, 0, GROK_ACT_RELU, 2, GROK_LOSS_CE);
    c.d_model = 64;
    c.n_heads = 4;
    c.d_head = 16;
    c.d_mlp = 128;
    c.d_vocab = 114;
    c.d_vocab_out = 113;
    struct grok_model m;
    build(&m, &c);
    size_t N = m.n_params;
    float *p = malloc(N * sizeof *p), *q = malloc(N * sizeof *q);

    gsl_rng_set(rng, 1);
    grok_model_init(&m, p, GROK_INIT_NANDA, 1.0, rng);
    std_ok(tensor_std(&m, p, "blocks.0.attn.W_Q"), 1 / sqrt(64), 0.05, "nanda W_Q");
    std_ok(tensor_std(&m, p, "blocks.0.mlp.W_out"), 1 / sqrt(64), 0.05, "nanda W_out");
    std_ok(tensor_std(&m, p, "embed.W_E"), 1 / sqrt(64), 0.05, "nanda W_E");
    std_ok(tensor_std(&m, p, "unembed.W_U"), 1 / sqrt(114), 0.05, "nanda W_U");
    ok(fabs(tensor_mean(&m, p, "blocks.0.attn.W_K")) < 0.01, "nanda W_K: mean about 0");
    const char *biases[] = {"blocks.0.attn.b_Q", "blocks.0.attn.b_K", "blocks.0.attn.b_V",
                            "blocks.0.attn.b_O", "blocks.0.mlp.b_in", "blocks.0.mlp.b_out",
                            "unembed.b_U"};
    int zero = 1;
    for (size_t i = 0; i < sizeof biases / sizeof *biases; i++)
        zero = zero && tensor_all(&m, p, biases[i], 0.0f);
    ok(zero, "nanda: every bias exactly 0");
    ok(tensor_all(&m, p, "blocks.0.ln1.w", 1.0f) && tensor_all(&m, p, "ln_final.w", 1.0f) &&
           tensor_all(&m, p, "blocks.0.ln2.b", 0.0f),
       "nanda: LayerNorm weights 1, biases 0");

    gsl_rng_set(rng, 1);
    grok_model_init(&m, q, GROK_INIT_NANDA, 1.0, rng);
    ok(memcmp(p, q, N * sizeof *p) == 0, "init: the same seed gives the same parameters");
    gsl_rng_set(rng, 2);
    grok_model_init(&m, q, GROK_INIT_NANDA, 1.0, rng);
    size_t differ = 0;
    for (size_t k = 0; k < N; k++)
        differ += p[k] != q[k];
    ok(differ > N / 2, "init: another seed gives other parameters (%zu of %zu differ)", differ, N);
    gsl_rng_set(rng, 1);
    grok_model_init(&m, q, GROK_INIT_NANDA, 2.0, rng);
    std_ok(tensor_std(&m, q, "blocks.0.attn.W_Q") / tensor_std(&m, p, "blocks.0.attn.W_Q"), 2.0,
           1e-6, "init_scale 2: W_Q's std doubles");
    ok(tensor_all(&m, q, "blocks.0.ln1.w", 1.0f) && tensor_all(&m, q, "blocks.0.attn.b_Q", 0.0f),
       "init_scale 2: LayerNorm weights stay 1, zero biases 0");

    gsl_rng_set(rng, 3);
    grok_model_init(&m, p, GROK_INIT_TORCH, 1.0, rng);
    std_ok(tensor_std(&m, p, "embed.W_E"), 1.0, 0.05, "torch W_E");
    /* W_pos has only 3·64 values: the standard error of its std is about 5% */
    std_ok(tensor_std(&m, p, "pos_embed.W_pos"), 1 / sqrt(64), 0.2, "torch W_pos");
    ok(tensor_all(&m, p, "blocks.0.ln1.w", 1.0f) && tensor_all(&m, p, "blocks.0.ln2.w", 1.0f) &&
           tensor_all(&m, p, "ln_final.w", 1.0f),
       "torch: LayerNorm weights exactly 1");
    ok(tensor_all(&m, p, "blocks.0.ln1.b", 0.0f) && tensor_all(&m, p, "blocks.0.ln2.b", 0.0f) &&
           tensor_all(&m, p, "ln_final.b", 0.0f),
       "torch: LayerNorm biases exactly 0");
    double bound = 1 / sqrt(64), a = tensor_max_abs(&m, p, "blocks.0.mlp.W_in");
    ok(a <= bound && a > 0.95 * bound, "torch W_in: |W_in| ≤ 1/√d_model (max %.4g, bound %.4g)", a,
       bound);
    std_ok(tensor_std(&m, p, "blocks.0.mlp.W_in"), bound / sqrt(3), 0.05, "torch W_in (uniform)");
    bound = sqrt(6.0 / (64 + 3 * 4 * 16));
    a = tensor_max_abs(&m, p, "blocks.0.attn.W_Q");
    ok(a <= bound && a > 0.95 * bound,
       "torch W_Q: Xavier bound √(6/(d_model+3·H·E)) (max %.4g, bound %.4g)", a, bound);
    a = tensor_max_abs(&m, p, "blocks.0.attn.W_V");
    ok(a <= bound && a > 0.95 * bound, "torch W_V: the same bound (max %.4g)", a);
    bound = 1 / sqrt(4 * 16);
    a = tensor_max_abs(&m, p, "blocks.0.attn.W_O");
    ok(a <= bound && a > 0.95 * bound, "torch W_O: |W_O| ≤ 1/√(H·E) (max %.4g)", a);
    ok(tensor_all(&m, p, "blocks.0.attn.b_Q", 0.0f) &&
           tensor_all(&m, p, "blocks.0.attn.b_K", 0.0f) &&
           tensor_all(&m, p, "blocks.0.attn.b_V", 0.0f) &&
           tensor_all(&m, p, "blocks.0.attn.b_O", 0.0f),
       "torch: attention biases exactly 0");
    bound = 1 / sqrt(64);
    a = tensor_max_abs(&m, p, "blocks.0.mlp.b_in");
    ok(a > 0 && a <= bound && !tensor_all(&m, p, "blocks.0.mlp.b_in", 0.0f),
       "torch b_in: nonzero, |b_in| ≤ 1/√d_model (max %.4g)", a);
    a = tensor_max_abs(&m, p, "blocks.0.mlp.b_out");
    ok(a > 0.9 / sqrt(128) && a <= 1 / sqrt(128), "torch b_out: |b_out| ≤ 1/√d_mlp (max %.4g)", a);
    a = tensor_max_abs(&m, p, "unembed.W_U");
    ok(a > 0.95 / sqrt(64) && a <= 1 / sqrt(64), "torch W_U: |W_U| ≤ 1/√d_model (max %.4g)", a);
    free(p);
    free(q);
    grok_model_free(&m);

    /* the MLP */
    struct grok_model_config mc = mlp_config(GROK_INPUT_EMBED, 2, GROK_ACT_RELU, GROK_LOSS_CE);
    mc.d_vocab = 200;
    mc.d_embed = 40;
    mc.hidden[0] = 300;
    mc.hidden[1] = 100;
    build(&m, &mc);
    p = malloc(m.n_params * sizeof *p);
    grok_model_init(&m, p, GROK_INIT_NANDA, 1.0, rng);
    std_ok(tensor_std(&m, p, "embed.W_E"), 1 / sqrt(40), 0.05, "nanda mlp W_E");
    std_ok(tensor_std(&m, p, "mlp.0.W"), 1 / sqrt(80), 0.05, "nanda mlp.0.W (fan-in 80)");
    std_ok(tensor_std(&m, p, "mlp.1.W"), 1 / sqrt(300), 0.05, "nanda mlp.1.W (fan-in 300)");
    ok(tensor_all(&m, p, "mlp.0.b", 0.0f) && tensor_all(&m, p, "unembed.b_U", 0.0f),
       "nanda mlp: biases exactly 0");
    grok_model_init(&m, p, GROK_INIT_TORCH, 1.0, rng);
    std_ok(tensor_std(&m, p, "embed.W_E"), 1.0, 0.05, "torch mlp W_E");
    a = tensor_max_abs(&m, p, "mlp.1.b");
    ok(a > 0.9 / sqrt(300) && a <= 1 / sqrt(300), "torch mlp.1.b: |b| ≤ 1/√fan_in (max %.4g)", a);
    free(p);
    grok_model_free(&m);
}

/* ---- 7. the workspace ---- */

static void test_work(const struct grok_model_config *cfg)
{
    enum { N = 8 };
    char label[160];
    config_name(label, sizeof label, cfg);
    struct grok_model m;
    build(&m, cfg);
    struct grok_work *w = work(&m, N, GROK_F64), *w1 = work(&m, 1, GROK_F64);
    is_int(grok_work_max_batch(w), N, "%s: grok_work_max_batch", label);
    size_t P_n = m.n_params;
    double *P = malloc(P_n * sizeof *P), *G = malloc(P_n * sizeof *G);
    double *single = malloc(N * P_n * sizeof *single);
    double loss1[N];
    int32_t tok[N * 4], y[N];
    random_params(&m, P, rng);
    random_batch(&m, rng, tok, y, N);
    for (int i = 0; i < N; i++)
        loss1[i] = grok_model_loss_grad_f64(&m, w1, P, single + i * P_n, tok + i * cfg->n_ctx,
                                            y + i, 1, NULL, NULL);
    int good = 1;
    for (int n = 1; n <= N; n++) {
        double want = 0, worst = 0, scale = 0;
        for (int i = 0; i < n; i++)
            want += loss1[i] / n;
        double got = grok_model_loss_grad_f64(&m, w, P, G, tok, y, n, NULL, NULL);
        for (size_t k = 0; k < P_n; k++) {
            double g = 0;
            for (int i = 0; i < n; i++)
                g += single[i * P_n + k] / n;
            worst = fmax(worst, fabs(G[k] - g));
            scale = fmax(scale, fabs(g));
        }
        if (fabs(got - want) > 1e-12 * fabs(want) || worst > 1e-12 * scale) {
            diag("n %d: loss %.17g, want %.17g; gradient off by %.3g of %.3g", n, got, want, worst,
                 scale);
            good = 0;
        }
    }
    ok(good, "%s: a workspace of %d takes batches of 1..%d "
       "(loss and gradient the means of single examples)", label, N, N);

    /* counts 1..N and the scale of their total: the sum of single examples, count times each */
    double count[N], draws = 0, want = 0, worst = 0, big = 0;
    for (int i = 0; i < N; i++)
        draws += count[i] = i + 1;
    for (int i = 0; i < N; i++)
        want += count[i] * loss1[i] / draws;
    double got = grok_model_loss_grad_weighted_f64(&m, w, P, G, tok, y, count, N, 1 / draws,
                                                   NULL, NULL);
    for (size_t k = 0; k < P_n; k++) {
        double g = 0;
        for (int i = 0; i < N; i++)
            g += count[i] * single[i * P_n + k] / draws;
        worst = fmax(worst, fabs(G[k] - g));
        big = fmax(big, fabs(g));
    }
    ok(fabs(got - want) <= 1e-12 * fabs(want) && worst <= 1e-12 * big,
       "%s: weighted loss and gradient are the count-weighted sums of single examples "
       "(loss %.17g, want %.17g; gradient off by %.3g of %.3g)", label, got, want, worst, big);
    free(P);
    free(G);
    free(single);
    grok_work_free(w);
    grok_work_free(w1);
    grok_model_free(&m);
}

static void test_works(void)
{
    struct grok_model_config c = tf_config(4, 2, 1, 1, GROK_ACT_GELU, 2, GROK_LOSS_CE);
    test_work(&c);
    c = mlp_config(GROK_INPUT_EMBED, 2, GROK_ACT_GELU, GROK_LOSS_MSE);
    test_work(&c);

    struct grok_model m;
    build(&m, &c);
    struct grok_err err = {0};
    struct grok_work *w = grok_work_new(&m, 0, GROK_F64, &err);
    ok(!w && err.code == GROK_EINVAL, "grok_work_new rejects max_batch 0 with GROK_EINVAL");
    grok_work_free(w);
    grok_model_free(&m);
    grok_work_free(NULL);
    ok(1, "grok_work_free(NULL) is fine");
    struct grok_model zeroed;
    memset(&zeroed, 0, sizeof zeroed);
    grok_model_free(&zeroed);
    grok_model_free(NULL);
    ok(1, "grok_model_free of a zeroed model, and of NULL, is fine");
}

/* ---- 8. the MLP's gradient split between threads by columns ---- */

/* The batches of test_pool_split: tokens drawn at random; the last position's token the same
 * in every example (a table row of its own, as the '=' of a context); a single example (every
 * product one row, or of inner dimension one). */
enum pool_batch { BATCH_RANDOM, BATCH_CONSTANT_LAST, BATCH_ONE, N_POOL_BATCHES };
static const char *const pool_batch_name[] = {"random tokens", "a constant last token",
                                              "one example"};

/* grok_model_loss_grad_pool without a pool and with pools of 2, 3 and 7 workers (7 > some
 * layers' widths: empty blocks) against the one-thread weighted gradient, in double. */
static void test_pool_split(const struct grok_model_config *cfg, enum pool_batch batch)
{
    enum { N_MAX = 9 };
    char label[200];
    config_name(label, sizeof label, cfg);
    snprintf(label + strlen(label), sizeof label - strlen(label), ", %s", pool_batch_name[batch]);
    struct grok_model m;
    build(&m, cfg);
    struct grok_work *w = work(&m, N_MAX, GROK_F64);
    size_t P_n = m.n_params;
    double *P = malloc(P_n * sizeof *P), *G = malloc(P_n * sizeof *G), *Gp = malloc(P_n * sizeof *Gp);
    int32_t tok[N_MAX * 8], y[N_MAX];   /* contexts up to 8 */
    double count[N_MAX];
    int N = batch == BATCH_ONE ? 1 : N_MAX, T = cfg->n_ctx;
    random_params(&m, P, rng);
    random_batch(&m, rng, tok, y, N);
    if (batch == BATCH_CONSTANT_LAST)
        for (int i = 0; i < N; i++)
            tok[i * T + T - 1] = cfg->d_vocab - 1;
    for (int i = 0; i < N; i++)
        count[i] = 1 + i % 3;
    double want = grok_model_loss_grad_weighted_f64(&m, w, P, G, tok, y, count, N, 1.0 / 17, NULL,
                                                    NULL);
    double big = 0;
    for (size_t k = 0; k < P_n; k++)
        big = fmax(big, fabs(G[k]));
    const int sizes[] = {0, 2, 3, 7};   /* 0: no pool, the phases on this thread */
    for (int s = 0; s < 4; s++) {
        struct grok_err err = {0};
        struct grok_pool *pool = sizes[s] ? grok_pool_new(sizes[s], &err) : NULL;
        for (size_t k = 0; k < P_n; k++)
            Gp[k] = 1e3;   /* overwritten */
        double got = grok_model_loss_grad_pool_f64(&m, w, pool, P, Gp, tok, y, count, N, 1.0 / 17,
                                                   NULL);
        double worst = 0;
        for (size_t k = 0; k < P_n; k++)
            worst = fmax(worst, fabs(Gp[k] - G[k]));
        ok((pool || !sizes[s]) && fabs(got - want) <= 1e-13 * fabs(want) && worst <= 1e-13 * big,
           "%s: %d workers by columns give the one-thread loss and gradient "
           "(loss %.17g, want %.17g; gradient off by %.3g of %.3g)", label, sizes[s], got, want,
           worst, big);
        int right = -1, want_right = -1;
        double plain = grok_model_loss_grad_pool_f64(&m, w, pool, P, NULL, tok, y, NULL, N, 1.0 / N,
                                                     &right);
        double want_plain = grok_model_loss_grad_f64(&m, w, P, NULL, tok, y, N, &want_right, NULL);
        ok(fabs(plain - want_plain) <= 1e-13 * fabs(want_plain) && right == want_right,
           "%s: %d workers by columns without a gradient give the mean loss and the right "
           "answers (%.17g, %d; want %.17g, %d)", label, sizes[s], plain, right, want_plain,
           want_right);
        grok_pool_free(pool);
    }
    free(P);
    free(G);
    free(Gp);
    grok_work_free(w);
    grok_model_free(&m);
}

/* Records which workers ran: bit i for worker i. */
static void mark_worker(void *ctx, int i) { *(int *)ctx |= 1 << i; }

static void test_pool_splits(void)
{
    int ran = 0;
    grok_pool_run(NULL, mark_worker, &ran);
    ok(ran == 1 && grok_pool_size(NULL) == 1,
       "without a pool, a job runs once as worker 0 on this thread, and the size is 1");
    const enum grok_mlp_input inputs[] = {GROK_INPUT_EMBED, GROK_INPUT_ONEHOT, GROK_INPUT_RAW};
    const enum grok_act acts[] = {GROK_ACT_RELU, GROK_ACT_GELU, GROK_ACT_QUAD};
    for (int in = 0; in < 3; in++)
        for (int h = 1; h <= 3; h++) {
            enum grok_loss loss = h == 2 ? GROK_LOSS_MSE : h == 3 && in == 1 ? GROK_LOSS_STABLEMAX
                                                                               : GROK_LOSS_CE;
            struct grok_model_config c = mlp_config(inputs[in], h, acts[(in + h) % 3], loss);
            c.hidden[2] = 4;
            for (int b = 0; b < N_POOL_BATCHES; b++)
                test_pool_split(&c, (enum pool_batch)b);
        }
    /* the first layer's sum over the context is written out for two to four tokens */
    for (int T = 3; T <= 5; T++)
        for (int a = 0; a < 2; a++) {
            struct grok_model_config c = mlp_config(GROK_INPUT_EMBED, 1 + a, acts[a], GROK_LOSS_CE);
            c.n_ctx = T;
            for (int b = 0; b < N_POOL_BATCHES; b++)
                test_pool_split(&c, (enum pool_batch)b);
        }
    struct grok_model_config c = tf_config(3, 2, 1, 0, GROK_ACT_GELU, 0, GROK_LOSS_CE);
    struct grok_model m;
    build(&m, &c);
    struct grok_model_config mc = mlp_config(GROK_INPUT_EMBED, 1, GROK_ACT_RELU, GROK_LOSS_CE);
    struct grok_model mlp;
    build(&mlp, &mc);
    ok(!grok_model_splits_columns(&m) && grok_model_splits_columns(&mlp),
       "the MLP splits by columns, the transformer does not");
    grok_model_free(&m);
    grok_model_free(&mlp);
    for (int b = 0; b < N_POOL_BATCHES; b++)   /* the transformer takes the one-thread path */
        test_pool_split(&c, (enum pool_batch)b);
}

int main(void)
{
    rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 20240611);

    test_layout();
    test_bad_configs();
    test_gradients();
    test_regress_grads();
    test_input_grads();
    test_floats();
    test_corrects();
    test_init();
    test_works();
    test_pool_splits();

    gsl_rng_free(rng);
    return done_testing();
}
