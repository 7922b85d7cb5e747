/* Training settings: defaults, presets, the table of settings, resolution and checks, and the
 * /config record that the table drives. */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grok/cli.h"
#include "grok/config.h"
#include "grok/names.h"
#include "grok/select.h"

void grok_config_defaults(struct grok_train_config *c)
{
    memset(c, 0, sizeof *c);
    c->op = GROK_OP_ADD;
    c->p = 113;
    c->frac = 0.3;
    c->split = GROK_SPLIT_RANDOM;
    c->split_skew = 1;           /* Zipf's law */
    c->data_seed = 0;
    c->ctx = GROK_CTX_AB_EQ;
    struct grok_model_config *m = &c->model;
    m->arch = GROK_TRANSFORMER;
    m->act = GROK_ACT_RELU;
    m->loss = GROK_LOSS_CE;
    m->n_layers = 1;
    m->d_model = 128;
    m->n_heads = 4;
    m->d_head = 0;          /* d_model / n_heads unless given */
    m->d_mlp = 512;
    m->norm = 0;
    m->causal = 1;
    m->input = GROK_INPUT_EMBED;
    m->d_embed = 128;
    m->n_hidden = 1;
    m->hidden[0] = 512;
    c->readout_last = 1;
    c->init = GROK_INIT_NANDA;
    c->init_scale = 1.0;
    c->opt = (struct grok_optim_config){.kind = GROK_OPT_ADAMW, .lr = 1e-3, .wd = 1.0, .beta1 = 0.9,
                                        .beta2 = 0.98, .eps = 1e-8, .momentum = 0, .warmup = 10};
    c->clip = 0;
    c->batch = 0;
    c->steps = 25000;
    c->eval_every = 100;
    c->snapshot_every = 500;
    c->stop_at = 0;
    c->seed = 0;
    c->intervene_seed = -1;      /* derived from seed (grok_config_resolve) */
    c->jac_target = -1;
    c->jac_projections = 1;      /* GrokAlign's estimator: one projection per example */
    c->intervene_from = 1;
    c->suppress = -1;
    c->kick = -1;
    c->kick_every = 0;
    c->kick_samples = 5;         /* P1's sustained-kick code */
    c->kick_eta = 1e-3;
    c->noise = -1;
    c->noise_every = 0;
}

int grok_config_intervenes(const struct grok_train_config *c)
{
    return c->suppress >= 0 || c->kick >= 0 || c->noise >= 0;
}

/* P1's transformer encoder (papers.md, "P1"). */
static void preset_xu(struct grok_train_config *c)
{
    c->p = 97;
    c->frac = 0.5;
    c->ctx = GROK_CTX_AB;
    c->model.arch = GROK_TRANSFORMER;
    c->model.n_layers = 2;
    c->model.d_model = 128;
    c->model.n_heads = 4;
    c->model.d_head = 0;
    c->model.d_mlp = 256;
    c->model.act = GROK_ACT_GELU;
    c->model.norm = 1;
    c->model.causal = 0;
    c->readout_last = 0;
    c->init = GROK_INIT_TORCH;
    c->opt.warmup = 0;
    c->batch = 512;
    c->clip = 1.0;
    c->steps = 10000;
    c->eval_every = 100;
    c->snapshot_every = 100;
    c->seed = 42;
}

/* P3's MLP with a learned embedding; alquabeh-raw feeds it the raw numbers instead. */
static void preset_alquabeh(struct grok_train_config *c, int raw)
{
    c->p = 97;
    c->frac = 0.3;
    c->split = GROK_SPLIT_UNIFORM;
    c->ctx = GROK_CTX_AOB_EQ;
    c->model.arch = GROK_MLP;
    c->model.input = raw ? GROK_INPUT_RAW : GROK_INPUT_EMBED;
    c->model.d_embed = 128;
    c->model.n_hidden = 1;
    c->model.hidden[0] = 512;
    c->model.act = GROK_ACT_RELU;
    c->init = GROK_INIT_TORCH;
    c->opt.kind = GROK_OPT_ADAM;
    c->opt.lr = 1e-3;
    c->opt.wd = 1e-3;
    c->opt.beta1 = 0.9;
    c->opt.beta2 = 0.999;
    c->opt.warmup = 0;
    c->batch = 512;
    c->steps = 20000;
    c->eval_every = 100;
    c->snapshot_every = 500;
}

/* Musat's two-layer network on unordered pairs (papers.md, "P2"): the closed form (musat) or
 * plain gradient descent with a small weight decay on the same model (musat-gd). */
static void preset_musat(struct grok_train_config *c, int closed)
{
    c->p = 37;
    c->frac = 0.7;
    c->unordered = 1;
    c->ctx = GROK_CTX_AB;
    c->model.arch = GROK_MLP;
    c->model.input = GROK_INPUT_ONEHOT_SUM;
    c->model.n_hidden = 1;
    c->model.hidden[0] = 512;
    c->model.act = GROK_ACT_RELU;
    c->model.no_bias = 1;
    c->model.loss = GROK_LOSS_MSE;
    c->init = GROK_INIT_NANDA;   /* W₁ ~ N(0, 1/p): standard deviation 1/√p */
    c->opt = (struct grok_optim_config){.kind = GROK_OPT_SGD, .lr = 1e-3, .wd = 0, .beta1 = 0.9,
                                        .beta2 = 0.98, .eps = 1e-8, .momentum = 0, .warmup = 0};
    c->dynamics = closed;
    c->steps = 5000;
    c->eval_every = 50;
    c->snapshot_every = 100;
    if (!closed) {
        /* on the mean over n·C squared errors: η ≈ 1.1e-3 and λ ≈ 0.09 on P2's summed loss */
        c->opt.lr = 20;
        c->opt.wd = 1e-5;
        c->steps = 15000;
        c->eval_every = 100;
        c->snapshot_every = 500;
    }
}

/* Musat's regression toys: a linear model of N inputs from a given point (musat-linear,
 * musat-linear3), a two-layer linear one (musat-linear2: ŷ = v (w·x), a curved zero-loss set
 * v (w₁ + w₂) = 2), by plain gradient descent with weight decay 0.1. */
static void preset_musat_toy(struct grok_train_config *c, const char *task, int hidden, const char *start)
{
    snprintf(c->task, sizeof c->task, "%s", task);
    c->model.arch = GROK_MLP;
    c->model.input = GROK_INPUT_RAW;
    c->model.n_hidden = hidden > 0;
    c->model.hidden[0] = hidden;
    c->model.act = GROK_ACT_IDENTITY;
    c->model.no_bias = 1;
    c->model.loss = GROK_LOSS_MSE;
    snprintf(c->init_values, sizeof c->init_values, "%s", start);
    c->opt = (struct grok_optim_config){.kind = GROK_OPT_SGD, .lr = 0.05, .wd = 0.1, .beta1 = 0.9,
                                        .beta2 = 0.98, .eps = 1e-8, .momentum = 0, .warmup = 0};
    c->steps = 2000;
    c->eval_every = 10;
    c->snapshot_every = 10;
}

int grok_config_preset(struct grok_train_config *c, const char *name, struct grok_err *err)
{
    grok_config_defaults(c);
    if (strcmp(name, "nanda") == 0) {
        /* the defaults are Nanda's */
    } else if (strcmp(name, "xu") == 0) {
        preset_xu(c);
    } else if (strcmp(name, "xu-slow") == 0) {
        preset_xu(c);
        c->model.n_layers = 3;
        c->opt.lr = 5e-5;
        c->opt.wd = 0.1;
        c->opt.beta2 = 0.999;
        c->steps = 650000;
        c->snapshot_every = 1000;
    } else if (strcmp(name, "alquabeh") == 0 || strcmp(name, "alquabeh-raw") == 0) {
        preset_alquabeh(c, strcmp(name, "alquabeh-raw") == 0);
    } else if (strcmp(name, "musat") == 0 || strcmp(name, "musat-gd") == 0) {
        preset_musat(c, strcmp(name, "musat") == 0);
    } else if (strcmp(name, "musat-linear") == 0) {
        preset_musat_toy(c, "regress-sum:2", 0, "-1,1");
    } else if (strcmp(name, "musat-linear3") == 0) {
        preset_musat_toy(c, "regress-sum:3", 0, "-1,1,1");
    } else if (strcmp(name, "musat-linear2") == 0) {
        preset_musat_toy(c, "regress-sum:2", 1, "-1,1,1");
    } else {
        return grok_err_set(err, GROK_EINVAL,
                            "--preset '%s': unknown (nanda, xu, xu-slow, alquabeh, alquabeh-raw, musat, "
                            "musat-gd, musat-linear, musat-linear3, musat-linear2)", name);
    }
    snprintf(c->preset, sizeof c->preset, "%s", name);
    return GROK_OK;
}

int grok_config_selects(const char *globs, const char *name)
{
    char buf[GROK_CFG_TEXT], under[GROK_CFG_TEXT + 3];
    snprintf(buf, sizeof buf, "%s", globs);
    for (char *save = NULL, *g = strtok_r(buf, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
        snprintf(under, sizeof under, "%s.*", g);
        if (fnmatch(g, name, 0) == 0 || fnmatch(under, name, 0) == 0)
            return 1;
    }
    return 0;
}

double grok_config_lr_mult(const char *spec, const char *name)
{
    char buf[GROK_CFG_TEXT];
    double mult = 1.0;
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *g = strtok_r(buf, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
        char *eq = strrchr(g, '=');
        if (!eq)
            continue;
        *eq = '\0';
        if (grok_config_selects(g, name))
            mult = strtod(eq + 1, NULL);
    }
    return mult;
}

int grok_config_unmatched_glob(const char *list, const char *const *names, int n, char *glob,
                               size_t cap)
{
    char buf[GROK_CFG_TEXT];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *g = strtok_r(buf, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
        char *eq = strrchr(g, '=');
        int any = 0;
        if (eq)
            *eq = '\0';
        for (int i = 0; i < n && !any; i++)
            any = grok_config_selects(g, names[i]);
        if (!any) {
            snprintf(glob, cap, "%s", g);
            return 1;
        }
    }
    return 0;
}

int grok_config_check_globs(const char *what, const char *globs, struct grok_err *err)
{
    char buf[GROK_CFG_TEXT];
    if (strlen(globs) >= sizeof buf - 1)
        return grok_err_set(err, GROK_EINVAL, "%s: the list is too long", what);
    snprintf(buf, sizeof buf, "%s", globs);
    if (!*buf || buf[strlen(buf) - 1] == ',' || *buf == ',' || strstr(buf, ",,"))
        return grok_err_set(err, GROK_EINVAL, "%s '%s': an empty glob", what, globs);
    for (char *save = NULL, *g = strtok_r(buf, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
        struct grok_err e;
        if (grok_glob_check(g, &e))
            return grok_err_set(err, GROK_EINVAL, "%s '%s': %s", what, g, e.msg);
    }
    return GROK_OK;
}

int grok_config_parse_grokfast(const char *what, const char *text, enum grok_grokfast_kind *kind,
                               double *a, double *lambda, struct grok_err *err)
{
    char buf[64], *save = NULL;
    if (strlen(text) >= sizeof buf)
        return grok_err_set(err, GROK_EINVAL, "%s: too long a value", what);
    snprintf(buf, sizeof buf, "%s", text);
    char *k = strtok_r(buf, ":", &save), *x = strtok_r(NULL, ":", &save), *l = strtok_r(NULL, ":", &save);
    int is_ema = k && strcmp(k, "ema") == 0, is_ma = k && strcmp(k, "ma") == 0;
    if (!(is_ema || is_ma) || !x || !l || strtok_r(NULL, ":", &save))
        return grok_err_set(err, GROK_EINVAL, "%s '%s': expected ema:ALPHA:LAMBDA or ma:WINDOW:LAMBDA", what, text);
    if (grok_flag_real(x, a) || grok_flag_real(l, lambda))
        return grok_err_set(err, GROK_EINVAL, "%s '%s': not numbers", what, text);
    if (is_ema && !(*a >= 0 && *a < 1))
        return grok_err_set(err, GROK_EINVAL, "%s '%s': ALPHA must be in [0, 1)", what, text);
    if (is_ma && !(*a >= 1 && *a <= 100000 && *a == (double)(long)*a))
        return grok_err_set(err, GROK_EINVAL, "%s '%s': WINDOW must be a whole number from 1 to 100000", what, text);
    if (!(*lambda >= 0 && *lambda < HUGE_VAL))
        return grok_err_set(err, GROK_EINVAL, "%s '%s': LAMBDA must be at least 0", what, text);
    *kind = is_ema ? GROK_GROKFAST_EMA : GROK_GROKFAST_MA;
    return GROK_OK;
}

int grok_config_parse_sampler(const char *what, const char *text, double *gamma, struct grok_err *err)
{
    *gamma = 0;
    if (strcmp(text, "uniform") == 0 || !*text)
        return GROK_OK;
    if (strncmp(text, "freq:", 5) != 0)
        return grok_err_set(err, GROK_EINVAL, "%s '%s': expected uniform or freq:GAMMA", what, text);
    if (grok_flag_real(text + 5, gamma) || !(*gamma > 0 && *gamma < HUGE_VAL))
        return grok_err_set(err, GROK_EINVAL, "%s '%s': GAMMA must be a number above 0", what, text);
    return GROK_OK;
}

static int check_sampler(const char *what, const char *text, struct grok_err *err)
{
    double gamma;
    return grok_config_parse_sampler(what, text, &gamma, err);
}

static int check_grokfast(const char *what, const char *text, struct grok_err *err)
{
    enum grok_grokfast_kind k;
    double a, l;
    return grok_config_parse_grokfast(what, text, &k, &a, &l, err);
}

static int check_task(const char *what, const char *text, struct grok_err *err)
{
    int n_inputs;
    return strcmp(text, "modular") == 0 ? GROK_OK : grok_regress_parse(what, text, &n_inputs, err);
}

static int check_init_values(const char *what, const char *text, struct grok_err *err)
{
    return grok_config_parse_values(what, text, NULL, 0, err) < 0 ? GROK_EINVAL : GROK_OK;
}

int grok_config_parse_values(const char *what, const char *text, double *v, int cap,
                             struct grok_err *err)
{
    char buf[GROK_CFG_TEXT];
    snprintf(buf, sizeof buf, "%s", text);
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        double x;
        if (grok_flag_real(tok, &x) || !isfinite(x)) {
            grok_err_set(err, GROK_EINVAL, "%s '%s': '%s' is not a finite number", what, text, tok);
            return -1;
        }
        if (v && n < cap)
            v[n] = x;
        n++;
    }
    if (n == 0 || text[strlen(text) - 1] == ',' || text[0] == ',') {
        grok_err_set(err, GROK_EINVAL, "%s '%s': expected numbers V,V,...", what, text);
        return -1;
    }
    return n;
}

/* A multiplier list "GLOB=C,...", named `what` in its messages. */
static int check_mults(const char *what, const char *spec, struct grok_err *err)
{
    char buf[GROK_CFG_TEXT];
    if (strlen(spec) >= sizeof buf - 1)
        return grok_err_set(err, GROK_EINVAL, "%s: the list is too long", what);
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *g = strtok_r(buf, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
        char *eq = strrchr(g, '='), *end;
        if (!eq || eq == g)
            return grok_err_set(err, GROK_EINVAL, "%s '%s': expected GLOB=C", what, g);
        *eq = '\0';
        double v = strtod(eq + 1, &end);
        if (end == eq + 1 || *end || !(v >= 0) || v > 1e6)
            return grok_err_set(err, GROK_EINVAL, "%s '%s=%s': C must be a number in [0, 1e6]", what, g, eq + 1);
        if (grok_config_check_globs(what, g, err))
            return GROK_EINVAL;
    }
    return GROK_OK;
}

int grok_config_check_lr_mult(const char *spec, struct grok_err *err)
{
    return check_mults("--lr-mult", spec, err);
}

/* --- names and texts of the model's settings ---------------------------------------------- */

/* Indexed by the values they name (enum grok_arch; norm, causal and readout_last as 0/1). */
static const char *const arch_names[] = {"transformer", "mlp"};
static const char *const norm_names[] = {"none", "pre"};
static const char *const attn_names[] = {"full", "causal"};
static const char *const readout_names[] = {"first", "last"};
#define NAME_FUNCTIONS(table, name_fn, parse_fn)                                                   \
    const char *name_fn(int v) { return grok_name_at(table, GROK_COUNT(table), v); }               \
    int parse_fn(const char *name) { return grok_name_find(table, GROK_COUNT(table), name); }
NAME_FUNCTIONS(arch_names, grok_arch_name, grok_arch_parse)
NAME_FUNCTIONS(norm_names, grok_norm_name, grok_norm_parse)
NAME_FUNCTIONS(attn_names, grok_attn_name, grok_attn_parse)
NAME_FUNCTIONS(readout_names, grok_readout_name, grok_readout_parse)

/* Parses --embed's text: a width, "onehot", "raw" or "onehot-sum". */
int grok_config_parse_embed(struct grok_model_config *m, const char *s)
{
    if (strcmp(s, "onehot") == 0) {
        m->input = GROK_INPUT_ONEHOT;
        return GROK_OK;
    }
    if (strcmp(s, "raw") == 0) {
        m->input = GROK_INPUT_RAW;
        return GROK_OK;
    }
    if (strcmp(s, "onehot-sum") == 0) {
        m->input = GROK_INPUT_ONEHOT_SUM;
        return GROK_OK;
    }
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < 1 || v > 1 << 16)
        return GROK_EINVAL;
    m->input = GROK_INPUT_EMBED;
    m->d_embed = (int)v;
    return GROK_OK;
}

/* Parses --hidden's text: widths separated by commas. */
int grok_config_parse_hidden(struct grok_model_config *m, const char *s)
{
    int n = 0;
    const char *p = s;
    if (strcmp(s, "none") == 0) {   /* no hidden layer: a linear model */
        m->n_hidden = 0;
        memset(m->hidden, 0, sizeof m->hidden);
        return GROK_OK;
    }
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > 1 << 16 || n == GROK_MAX_HIDDEN || (*end && *end != ','))
            return GROK_EINVAL;
        m->hidden[n++] = (int)v;
        p = *end ? end + 1 : end;
        if (*end == ',' && !*p)
            return GROK_EINVAL;
    }
    if (n == 0)
        return GROK_EINVAL;
    m->n_hidden = n;
    return GROK_OK;
}

/* The text of --embed and --hidden as the flags take them. */
static void embed_text(const struct grok_model_config *m, char *buf, size_t cap)
{
    if (m->input == GROK_INPUT_ONEHOT)
        snprintf(buf, cap, "onehot");
    else if (m->input == GROK_INPUT_RAW)
        snprintf(buf, cap, "raw");
    else if (m->input == GROK_INPUT_ONEHOT_SUM)
        snprintf(buf, cap, "onehot-sum");
    else
        snprintf(buf, cap, "%d", m->d_embed);
}

static void hidden_text(const struct grok_model_config *m, char *buf, size_t cap)
{
    size_t at = 0;
    snprintf(buf, cap, "%s", m->n_hidden ? "" : "none");
    for (int i = 0; i < m->n_hidden && at < cap; i++)
        at += snprintf(buf + at, cap - at, "%s%d", i ? "," : "", m->hidden[i]);
}

/* --- the table of settings ------------------------------------------------------------------ */

/* The other modules' name functions take their enum; a table row takes an int. */
#define INT_NAME(fn) static const char *fn##_of_int(int v) { return fn(v); }
INT_NAME(grok_op_name)
INT_NAME(grok_split_name)
INT_NAME(grok_ctx_name)
INT_NAME(grok_act_name)
INT_NAME(grok_loss_name)
INT_NAME(grok_init_name)
INT_NAME(grok_opt_name)
#undef INT_NAME

/* The interventions' choices, by their flags' words. */
static const char *const basis_random_names[] = {"none", "covered", "all"};
static const char *const scope_names[] = {"all", "covered"};
static const char *const direction_names[] = {"commutator", "random"};
static const char *const metrics_names[] = {"none", "collapse"};
static const char *const pairs_names[] = {"ordered", "unordered"};
static const char *const bias_names[] = {"yes", "none"};
static const char *const dynamics_names[] = {"gd", "closed-form"};
static const char *word_of(const char *const *w, int n, int v) { return v >= 0 && v < n ? w[v] : "?"; }
static int word_parse(const char *const *w, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (strcmp(w[i], s) == 0)
            return i;
    return -1;
}
#define WORDS(fn, w) \
    static const char *fn##_name(int v) { return word_of(w, (int)(sizeof w / sizeof *w), v); } \
    static int fn##_parse(const char *s) { return word_parse(w, (int)(sizeof w / sizeof *w), s); }
WORDS(basis_random, basis_random_names)
WORDS(scope, scope_names)
WORDS(direction, direction_names)
static const char *const ortho_names[] = {"none", "rescale", "plain"};
WORDS(ortho, ortho_names)
WORDS(metrics, metrics_names)
WORDS(pairs, pairs_names)
WORDS(bias, bias_names)
WORDS(dynamics, dynamics_names)
#undef WORDS

/* A choice is stored in its field as an int, whatever its enum. */
_Static_assert(sizeof(enum grok_op) == sizeof(int) && sizeof(enum grok_arch) == sizeof(int),
               "the choices' fields are int-sized");

enum key_type {
    KEY_TEXT,       /* a char array, stored as a string */
    KEY_PATH,       /* a char array naming a file, stored as a string; its flag sets it */
    KEY_SPEC,       /* a char array in a syntax of its own (check), stored as a string */
    KEY_LIST,       /* a char array "ITEM,ITEM", stored as a string; its flag appends one list */
    KEY_INT,        /* an integer field of any width, stored as int64 within [lo, hi] */
    KEY_DERIVED,    /* an int that follows from the task: written for readers, never read back */
    KEY_REAL,       /* a double, stored as float64 */
    KEY_CHOICE,     /* an enum or 0/1 field, stored by its name (name, parse) */
    KEY_EMBED,      /* model.input and model.d_embed, stored as --embed's text */
    KEY_HIDDEN,     /* model.n_hidden and model.hidden, stored as --hidden's text */
};

/* The settings one model family has and the other lacks. */
enum key_family { ANY_MODEL, TRANSFORMER_ONLY, MLP_ONLY, INTERVENTION,
                  OPTIONAL /* written only when not at its default, and read as the default when absent */ };

struct config_key {
    const char *key;            /* the attribute of /config */
    const char *flag;           /* grok-train's flag for it (NULL for a derived value) */
    enum key_type type;
    enum key_family family;
    size_t off, size;           /* the field in struct grok_train_config */
    long long lo, hi;           /* an integer's limits, as stored */
    long long flag_lo;          /* the flag's lower limit: 1 where a stored 0 stands for "derive
                                 * it" (d_head) or for the full batch, which the flag never gives
                                 * as a number */
    const char *zero;           /* the word the flag gives for 0 ("full"), or NULL */
    const char *(*name)(int);   /* a choice's name of a value, and value of a name (-1: none) */
    int (*parse)(const char *);
    const char *choices;        /* a choice's names, as its flag's message lists them */
    int (*check)(const char *what, const char *text, struct grok_err *err);   /* a list's items */
};

#define AT(field) .off = offsetof(struct grok_train_config, field), \
                  .size = sizeof(((struct grok_train_config *)0)->field)
#define TEXT(k, f, field) {.key = k, .flag = f, .type = KEY_TEXT, .family = ANY_MODEL, AT(field)}
#define LIST(k, f, field, check_fn) \
    {.key = k, .flag = f, .type = KEY_LIST, .family = ANY_MODEL, AT(field), .check = check_fn}
#define REAL(k, f, field) {.key = k, .flag = f, .type = KEY_REAL, .family = ANY_MODEL, AT(field)}
#define IREAL(k, f, field) {.key = k, .flag = f, .type = KEY_REAL, .family = INTERVENTION, AT(field)}
#define INT(k, f, fam, field, l, h) \
    {.key = k, .flag = f, .type = KEY_INT, .family = fam, AT(field), .lo = l, .hi = h, .flag_lo = l}
#define INT_OR_0(k, f, fam, field, h, word) {.key = k, .flag = f, .type = KEY_INT, .family = fam, \
    AT(field), .lo = 0, .hi = h, .flag_lo = 1, .zero = word}
#define DERIVED(k, field) {.key = k, .type = KEY_DERIVED, .family = ANY_MODEL, AT(field), .lo = 1, .hi = INT_MAX}
#define CHOICE(k, f, fam, field, name_fn, parse_fn, names) {.key = k, .flag = f, .type = KEY_CHOICE, \
    .family = fam, AT(field), .name = name_fn, .parse = parse_fn, .choices = names}

/* Every setting, in the order of /config's attributes: the writer creates them in this order,
 * and HDF5 records the order of creation in the file, so a row is never moved (a new one goes
 * last). The reader reads them in the same order; "model" comes before the rows of one family. */
static const struct config_key keys[] = {
    TEXT("preset", "--preset", preset),
    CHOICE("op", "--op", ANY_MODEL, op, grok_op_name_of_int, grok_op_parse,
           "add sub mul div x2y2 x2xyy2 x3xy rand"),
    INT("p", "--p", ANY_MODEL, p, 2, GROK_P_MAX),
    REAL("train_frac", "--frac", frac),
    CHOICE("split", "--split", ANY_MODEL, split, grok_split_name_of_int, grok_split_parse, "random uniform skewed"),
    INT("data_seed", "--data-seed", ANY_MODEL, data_seed, 0, 4294967294LL),
    CHOICE("ctx", "--ctx", ANY_MODEL, ctx, grok_ctx_name_of_int, grok_ctx_parse, "ab= ab aob="),
    DERIVED("n_ctx", model.n_ctx),
    DERIVED("d_vocab", model.d_vocab),
    DERIVED("d_vocab_out", model.d_vocab_out),
    CHOICE("model", "--model", ANY_MODEL, model.arch, grok_arch_name, grok_arch_parse, "transformer mlp"),
    INT("n_layers", "--layers", TRANSFORMER_ONLY, model.n_layers, 1, 64),
    INT("d_model", "--d-model", TRANSFORMER_ONLY, model.d_model, 1, 1 << 14),
    INT("n_heads", "--heads", TRANSFORMER_ONLY, model.n_heads, 1, 1024),
    INT_OR_0("d_head", "--d-head", TRANSFORMER_ONLY, model.d_head, 1 << 14, NULL),   /* 0: d_model / n_heads */
    INT("d_mlp", "--d-mlp", TRANSFORMER_ONLY, model.d_mlp, 1, 1 << 16),
    CHOICE("norm", "--norm", TRANSFORMER_ONLY, model.norm, grok_norm_name, grok_norm_parse, "none pre"),
    CHOICE("attn", "--attn", TRANSFORMER_ONLY, model.causal, grok_attn_name, grok_attn_parse, "causal full"),
    CHOICE("readout", "--readout", TRANSFORMER_ONLY, readout_last, grok_readout_name, grok_readout_parse,
           "last first"),
    {.key = "embed", .flag = "--embed", .type = KEY_EMBED, .family = MLP_ONLY, AT(model)},
    {.key = "hidden", .flag = "--hidden", .type = KEY_HIDDEN, .family = MLP_ONLY, AT(model)},
    CHOICE("act", "--act", ANY_MODEL, model.act, grok_act_name_of_int, grok_act_parse,
           "relu gelu quad identity leaky"),
    CHOICE("loss", "--loss", ANY_MODEL, model.loss, grok_loss_name_of_int, grok_loss_parse, "ce mse stablemax"),
    CHOICE("init_scheme", "--init-scheme", ANY_MODEL, init, grok_init_name_of_int, grok_init_parse, "nanda torch"),
    REAL("init_scale", "--init-scale", init_scale),
    TEXT("init", "--init", init_from),
    CHOICE("opt", "--opt", ANY_MODEL, opt.kind, grok_opt_name_of_int, grok_opt_parse, "adamw adam sgd"),
    REAL("lr", "--lr", opt.lr),
    REAL("wd", "--wd", opt.wd),
    REAL("beta1", "--beta1", opt.beta1),
    REAL("beta2", "--beta2", opt.beta2),
    REAL("eps", "--eps", opt.eps),
    REAL("momentum", "--momentum", opt.momentum),
    INT("warmup", "--warmup", ANY_MODEL, opt.warmup, 0, 1LL << 40),
    REAL("clip", "--clip", clip),
    INT_OR_0("batch", "--batch", ANY_MODEL, batch, 1 << 24, "full"),   /* 0: the full batch */
    LIST("lr_mult", "--lr-mult", lr_mult, check_mults),
    LIST("freeze", "--freeze", freeze, grok_config_check_globs),
    INT("steps", "--steps", ANY_MODEL, steps, 0, 1LL << 40),
    INT("eval_every", "--eval-every", ANY_MODEL, eval_every, 1, 1LL << 40),
    INT("snapshot_every", "--snapshot-every", ANY_MODEL, snapshot_every, 0, 1LL << 40),
    LIST("snapshot", "--snapshot", snapshot, grok_config_check_globs),
    REAL("stop_at", "--stop-at", stop_at),
    INT("seed", "--seed", ANY_MODEL, seed, 0, 4294967294LL),
    /* P1's interventions: "basis" first, as the reader looks for it to know they are there */
    {.key = "basis", .flag = "--basis", .type = KEY_PATH, .family = INTERVENTION, AT(basis)},
    CHOICE("basis_random", "--basis-random", INTERVENTION, basis_random, basis_random_name,
           basis_random_parse, "none covered all"),
    INT("intervene_seed", "--intervene-seed", INTERVENTION, intervene_seed, 0, 4294967294LL),
    INT("from", "--from", INTERVENTION, intervene_from, 1, 1LL << 40),
    IREAL("suppress", "--suppress", suppress),
    CHOICE("suppress_scope", "--suppress-scope", INTERVENTION, suppress_scope, scope_name, scope_parse,
           "all covered"),
    IREAL("kick", "--kick", kick),
    INT("kick_every", "--kick-every", INTERVENTION, kick_every, 0, 1LL << 40),
    CHOICE("kick_direction", "--kick-direction", INTERVENTION, kick_direction, direction_name,
           direction_parse, "commutator random"),
    INT("kick_samples", "--kick-samples", INTERVENTION, kick_samples, 1, 1024),
    IREAL("kick_eta", "--kick-eta", kick_eta),
    IREAL("noise", "--noise", noise),
    INT("noise_every", "--noise-every", INTERVENTION, noise_every, 0, 1LL << 40),
    {.key = "grokfast", .flag = "--grokfast", .type = KEY_SPEC, .family = OPTIONAL, AT(grokfast),
     .check = check_grokfast},
    CHOICE("ortho_grad", "--ortho-grad", OPTIONAL, ortho_grad, ortho_name, ortho_parse, "rescale plain"),
    CHOICE("metrics", "--metrics", OPTIONAL, metrics, metrics_name, metrics_parse, "none collapse"),
    {.key = "jac_reg", .flag = "--jac-reg", .type = KEY_REAL, .family = OPTIONAL, AT(jac_reg)},
    {.key = "jac_target", .flag = "--jac-target", .type = KEY_REAL, .family = OPTIONAL, AT(jac_target)},
    INT("jac_projections", "--jac-projections", OPTIONAL, jac_projections, 0, 1024),
    {.key = "test_frac", .flag = "--test-frac", .type = KEY_REAL, .family = OPTIONAL, AT(test_frac)},
    {.key = "split_skew", .flag = "--split-skew", .type = KEY_REAL, .family = OPTIONAL, AT(split_skew)},
    {.key = "sampler", .flag = "--sampler", .type = KEY_SPEC, .family = OPTIONAL, AT(sampler),
     .check = check_sampler},
    INT("embed_lr_auto", "--embed-lr-auto", OPTIONAL, embed_lr_auto, 0, 1LL << 40),
    {.key = "task", .flag = "--task", .type = KEY_SPEC, .family = OPTIONAL, AT(task), .check = check_task},
    CHOICE("pairs", "--pairs", OPTIONAL, unordered, pairs_name, pairs_parse, "ordered unordered"),
    CHOICE("bias", "--bias", OPTIONAL, model.no_bias, bias_name, bias_parse, "yes none"),
    CHOICE("dynamics", "--dynamics", OPTIONAL, dynamics, dynamics_name, dynamics_parse, "gd closed-form"),
    {.key = "init_values", .flag = "--init-values", .type = KEY_SPEC, .family = OPTIONAL, AT(init_values),
     .check = check_init_values},
};
#undef AT
#undef TEXT
#undef LIST
#undef INT_OR_0
#undef REAL
#undef IREAL
#undef INT
#undef DERIVED
#undef CHOICE

static const struct config_key *find_key(const char *key)
{
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (strcmp(keys[i].key, key) == 0)
            return &keys[i];
    return NULL;
}

/* Whether a model of this family has the setting. */
static int has_key(const struct config_key *k, const struct grok_train_config *c)
{
    if (k->family == INTERVENTION)
        return grok_config_intervenes(c);
    if (k->family == OPTIONAL)
        return 1;
    return k->family == ANY_MODEL || (k->family == TRANSFORMER_ONLY) == (c->model.arch == GROK_TRANSFORMER);
}

/* An integer field, int-sized or long long-sized (long is one of the two). */
static long long field_int(const struct grok_train_config *c, const struct config_key *k)
{
    const char *at = (const char *)c + k->off;
    if (k->size == sizeof(int)) {
        int v;
        memcpy(&v, at, sizeof v);
        return v;
    }
    long long v;
    memcpy(&v, at, sizeof v);
    return v;
}

/* Stores v, which lies within the row's limits and so fits its field. */
static void set_field_int(struct grok_train_config *c, const struct config_key *k, long long v)
{
    char *at = (char *)c + k->off;
    if (k->size == sizeof(int)) {
        int n = (int)v;
        memcpy(at, &n, sizeof n);
    } else {
        memcpy(at, &v, sizeof v);
    }
}

static double field_real(const struct grok_train_config *c, const struct config_key *k)
{
    double v;
    memcpy(&v, (const char *)c + k->off, sizeof v);
    return v;
}

/* --- resolution -------------------------------------------------------------------------------- */

/* How a check names a setting: by grok-train's flag when the settings came from its command
 * line, by the attribute ("/config@lr_mult") when they came from a run. */
struct naming {
    int stored;
    char buf[2][64];   /* room for the two names a message may hold */
};

static const char *named(struct naming *nm, int slot, const char *key)
{
    const struct config_key *k = find_key(key);
    if (!nm->stored)
        return k->flag;
    snprintf(nm->buf[slot], sizeof nm->buf[slot], "/config@%s", key);
    return nm->buf[slot];
}

/* Every integer within its limits and every real finite: the flags' own limits, which a /config
 * read back from a file must meet too. */
static int check_each(const struct grok_train_config *c, struct naming *nm, struct grok_err *err)
{
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        const struct config_key *k = &keys[i];
        if (!has_key(k, c))
            continue;
        if (k->type == KEY_INT) {
            long long v = field_int(c, k);
            if (v < k->lo || v > k->hi)
                return grok_err_set(err, GROK_EINVAL, "%s %lld: must be between %lld and %lld",
                                    named(nm, 0, k->key), v, k->lo, k->hi);
        } else if (k->type == KEY_REAL) {
            double v = field_real(c, k);
            if (!isfinite(v))
                return grok_err_set(err, GROK_EINVAL, "%s %g: not a finite number", named(nm, 0, k->key), v);
        }
    }
    return GROK_OK;
}

/* The interventions: each value in its range (-1 for off), a basis for any of them, and none of
 * their settings given without one (they would be silently dropped from /config). Derives the
 * interventions' seed from --seed when it was not given. */
static int check_interventions(struct grok_train_config *c, struct naming *nm, struct grok_err *err)
{
    struct grok_train_config d;
    grok_config_defaults(&d);
    if (!grok_config_intervenes(c)) {
        if (c->intervention_flag)
            return grok_err_set(err, GROK_EINVAL, "%s: applies only with --suppress, --kick or --noise",
                                named(nm, 0, c->intervention_flag));
        for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
            if (keys[i].family == INTERVENTION &&
                memcmp((const char *)c + keys[i].off, (const char *)&d + keys[i].off, keys[i].size) != 0)
                return grok_err_set(err, GROK_EINVAL, "%s: applies only with --suppress, --kick or --noise",
                                    named(nm, 0, keys[i].key));
        return GROK_OK;
    }
    const struct { const char *key; double v, hi; } ranges[] = {
        {"suppress", c->suppress, 1}, {"kick", c->kick, HUGE_VAL}, {"noise", c->noise, HUGE_VAL},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof *ranges; i++)
        if (ranges[i].v != -1 && !(ranges[i].v >= 0 && ranges[i].v <= ranges[i].hi))
            return grok_err_set(err, GROK_EINVAL, "%s %g: must be -1 (off) or between 0 and %g",
                                named(nm, 0, ranges[i].key), ranges[i].v, ranges[i].hi);
    if (!(c->kick_eta > 0 && c->kick_eta <= GROK_KICK_ETA_MAX))
        return grok_err_set(err, GROK_EINVAL, "%s %g: must be above 0 and at most %g", named(nm, 0, "kick_eta"),
                            c->kick_eta, GROK_KICK_ETA_MAX);
    if (!c->basis[0])
        return grok_err_set(err, GROK_EINVAL, "%s: the interventions need a basis (--basis RUN, or "
                            "--suppress RUN:S)", named(nm, 0, c->suppress >= 0 ? "suppress" : c->kick >= 0 ? "kick" : "noise"));
    /* a kick or noise is a direction over every parameter: frozen ones would move */
    if ((c->kick >= 0 || c->noise >= 0) && c->freeze[0])
        return grok_err_set(err, GROK_EINVAL, "%s: cannot be combined with %s (it would move the frozen parameters)",
                            named(nm, 0, c->kick >= 0 ? "kick" : "noise"), named(nm, 1, "freeze"));
    if (c->intervene_seed < 0)
        c->intervene_seed = (c->seed + 99999) % 4294967295LL;   /* P1's code: seed + 99999 */
    return GROK_OK;
}

/* GrokAlign's settings: λ at least 0, a target of at least 0 (or -1, none), both others only
 * with λ > 0, and a model whose input is continuous: an MLP reading one-hot codes or raw ids has
 * no embedding for the regulariser to shape. */
static int check_jacreg(const struct grok_train_config *c, struct naming *nm, struct grok_err *err)
{
    if (!(c->jac_reg >= 0))
        return grok_err_set(err, GROK_EINVAL, "%s %g: must be at least 0", named(nm, 0, "jac_reg"), c->jac_reg);
    if (c->jac_target != -1 && !(c->jac_target >= 0))
        return grok_err_set(err, GROK_EINVAL, "%s %g: must be at least 0", named(nm, 0, "jac_target"),
                            c->jac_target);
    if (c->jac_reg == 0) {
        const char *given = c->jac_target != -1 ? "jac_target" : c->jac_projections != 1 ? "jac_projections" : NULL;
        if (given)
            return grok_err_set(err, GROK_EINVAL, "%s: applies only with %s", named(nm, 0, given),
                                named(nm, 1, "jac_reg"));
        return GROK_OK;
    }
    if (c->model.arch == GROK_MLP && c->model.input != GROK_INPUT_EMBED)
        return grok_err_set(err, GROK_EINVAL, "%s: the model has no continuous input (its --embed %s "
                            "feeds fixed codes): the regulariser needs a learned embedding",
                            named(nm, 0, "jac_reg"), c->model.input == GROK_INPUT_ONEHOT ? "onehot" : "raw");
    return GROK_OK;
}

/* Musat's settings (grok-train(1), THE GEOMETRY OF THE ZERO-LOSS SET): the regression task, the
 * unordered pairs, the bias-less MLP and the closed-form dynamics, each refused where it has no
 * meaning. Derives the regression's shape (its N inputs, one output). */
static int check_musat(struct grok_train_config *c, struct naming *nm, struct grok_err *err)
{
    struct grok_model_config *m = &c->model;
    if (strcmp(c->task, "modular") == 0)
        c->task[0] = 0;   /* the default, written as such: not at all */
    int n_inputs = 0, regress = c->task[0] != 0;
    if (regress && grok_regress_parse(named(nm, 0, "task"), c->task, &n_inputs, err))
        return GROK_EINVAL;
    if (m->arch == GROK_TRANSFORMER) {
        const char *key = m->no_bias ? "bias" : regress ? "task" : c->dynamics ? "dynamics" : NULL;
        if (key)
            return grok_err_set(err, GROK_EINVAL, "%s: applies to --model mlp", named(nm, 0, key));
    }
    if (c->unordered) {
        if (regress || c->split == GROK_SPLIT_UNIFORM)
            return grok_err_set(err, GROK_EINVAL, "%s unordered: not with %s", named(nm, 0, "pairs"),
                                named(nm, 1, regress ? "task" : "split"));
        if (!grok_task_symmetric(c->op))
            return grok_err_set(err, GROK_EINVAL, "%s unordered: %s depends on the order of its operands",
                                named(nm, 0, "pairs"), grok_op_name(c->op));
    }
    if (regress) {
        if (m->input != GROK_INPUT_RAW)
            return grok_err_set(err, GROK_EINVAL, "%s %s: the model reads the N numbers themselves "
                                "(--embed raw)", named(nm, 0, "task"), c->task);
        if (m->loss != GROK_LOSS_MSE)
            return grok_err_set(err, GROK_EINVAL, "%s %s: a regression needs the squared error (--loss mse)",
                                named(nm, 0, "task"), c->task);
        const char *modular_only = c->batch ? "batch" : c->stop_at > 0 ? "stop_at" : c->sampler[0] ? "sampler"
                                   : c->jac_reg > 0 ? "jac_reg" : c->embed_lr_auto ? "embed_lr_auto"
                                   : c->metrics ? "metrics" : c->test_frac > 0 ? "test_frac"
                                   : grok_config_intervenes(c) ? "basis" : NULL;
        if (modular_only)
            return grok_err_set(err, GROK_EINVAL, "%s: not with %s %s (a full-batch regression, without "
                                "tokens or accuracy)", named(nm, 0, modular_only), named(nm, 1, "task"), c->task);
    }
    if (c->dynamics) {
        if (m->n_hidden != 1 || !m->no_bias || m->input == GROK_INPUT_EMBED || m->loss != GROK_LOSS_MSE)
            return grok_err_set(err, GROK_EINVAL, "%s closed-form: the closed form is of a bias-less MLP "
                                "with one hidden layer on fixed codes, by the squared error (--hidden W "
                                "--bias none --embed onehot-sum|onehot|raw --loss mse)",
                                named(nm, 0, "dynamics"));
        const char *moved = c->batch ? "batch" : c->freeze[0] ? "freeze" : c->lr_mult[0] ? "lr_mult"
                            : c->grokfast[0] ? "grokfast" : c->ortho_grad ? "ortho_grad"
                            : c->jac_reg > 0 ? "jac_reg" : c->sampler[0] ? "sampler"
                            : c->embed_lr_auto ? "embed_lr_auto" : c->clip > 0 ? "clip"
                            : grok_config_intervenes(c) ? "basis" : regress ? "task" : NULL;
        if (moved)
            return grok_err_set(err, GROK_EINVAL, "%s: not with %s closed-form, which moves the first "
                                "layer by its formula on the whole training set", named(nm, 0, moved),
                                named(nm, 1, "dynamics"));
    }
    if (regress) {
        m->n_ctx = n_inputs;
        m->d_vocab = 1;
        m->d_vocab_out = 1;
    }
    return GROK_OK;
}

/* The model's build words its reasons with grok-train's flags (none of them reachable from a
 * setting within its limits, so kept as a last guard); for a run the reason comes after what it
 * refuses. The checks that a stored value can fail (the task's, the activation's) take its name. */
static int refused_by(const struct naming *nm, const struct grok_err *why, struct grok_err *err)
{
    if (nm->stored && why->code != GROK_ENOMEM)
        return grok_err_set(err, GROK_EINVAL, "/config does not describe a model: %s", why->msg);
    return grok_err_set(err, why->code, "%s", why->msg);
}

/* grok_config_resolve, with the settings named by nm; the checks of single settings run first so
 * that a stored value out of its limits is named as data, not as a model the modules refuse. */
static int resolve(struct grok_train_config *c, struct naming *nm, struct grok_err *err)
{
    struct grok_model_config *m = &c->model;
    struct grok_err why;
    if (check_interventions(c, nm, err))
        return GROK_EINVAL;
    if (check_each(c, nm, err))
        return GROK_EINVAL;
    if (check_jacreg(c, nm, err))
        return GROK_EINVAL;
    if (grok_task_check(c->op, c->p, named(nm, 0, "p"), err))
        return GROK_EINVAL;
    if (!(c->frac > 0 && c->frac < 1))
        return grok_err_set(err, GROK_EINVAL, "%s %g: the training fraction must be between 0 and 1 (exclusive)",
                            named(nm, 0, "train_frac"), c->frac);
    if (!(c->test_frac >= 0 && c->test_frac < 1))
        return grok_err_set(err, GROK_EINVAL, "%s %g: must be at least 0 and below 1", named(nm, 0, "test_frac"),
                            c->test_frac);
    if (c->test_frac > 0 && c->frac + c->test_frac > 1)
        return grok_err_set(err, GROK_EINVAL, "%s %g and %s %g: together more than all pairs",
                            named(nm, 0, "train_frac"), c->frac, named(nm, 1, "test_frac"), c->test_frac);
    if (c->test_frac > 0 && c->split == GROK_SPLIT_UNIFORM)
        return grok_err_set(err, GROK_EINVAL, "%s: not with %s uniform, which takes every pair off its "
                            "diagonals as its test set", named(nm, 0, "test_frac"), named(nm, 1, "split"));
    if (c->split_skew != 1 && c->split != GROK_SPLIT_SKEWED)
        return grok_err_set(err, GROK_EINVAL, "%s: applies only with %s skewed", named(nm, 0, "split_skew"),
                            named(nm, 1, "split"));
    double gamma = 0;
    if (strcmp(c->sampler, "uniform") == 0)
        c->sampler[0] = 0;   /* the default, written as such: not at all */
    if (c->sampler[0] && grok_config_parse_sampler(named(nm, 0, "sampler"), c->sampler, &gamma, err))
        return GROK_EINVAL;
    if (gamma > 0 && c->batch == 0)
        return grok_err_set(err, GROK_EINVAL, "%s %s: needs %s N (the full batch draws nothing)",
                            named(nm, 0, "sampler"), c->sampler, named(nm, 1, "batch"));
    if (gamma > 0 && c->model.arch == GROK_MLP && c->model.input != GROK_INPUT_EMBED)
        return grok_err_set(err, GROK_EINVAL, "%s %s: the model has no embedding whose rows' gradients "
                            "could weigh the tokens", named(nm, 0, "sampler"), c->sampler);
    if (c->embed_lr_auto > 0 && (c->model.arch != GROK_MLP || c->model.input != GROK_INPUT_EMBED))
        return grok_err_set(err, GROK_EINVAL, "%s: applies to an MLP with a learned embedding (P3's "
                            "models)", named(nm, 0, "embed_lr_auto"));
    if (c->embed_lr_auto > 0 && grok_config_lr_mult(c->lr_mult, "embed.W_E") != 1)
        return grok_err_set(err, GROK_EINVAL, "%s: not with a fixed %s for the embedding",
                            named(nm, 0, "embed_lr_auto"), named(nm, 1, "lr_mult"));
    if (!(c->split_skew >= 0 && c->split_skew <= 100))
        return grok_err_set(err, GROK_EINVAL, "%s %g: must be between 0 and 100", named(nm, 0, "split_skew"),
                            c->split_skew);
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        const char *list = (const char *)c + keys[i].off;
        if ((keys[i].type == KEY_LIST || keys[i].type == KEY_SPEC) && list[0] &&
            keys[i].check(named(nm, 0, keys[i].key), list, err))
            return GROK_EINVAL;
    }
    m->n_ctx = grok_ctx_len(c->ctx);
    m->d_vocab = grok_ctx_vocab(c->ctx, c->p);
    m->d_vocab_out = c->p;
    if (check_musat(c, nm, err))
        return GROK_EINVAL;
    if (m->arch == GROK_TRANSFORMER) {
        if (m->n_heads > 0 && m->d_head <= 0) {
            if (m->d_model % m->n_heads)
                return grok_err_set(err, GROK_EINVAL, "%s %d is not divisible by %s %d%s",
                                    named(nm, 0, "d_model"), m->d_model, named(nm, 1, "n_heads"),
                                    m->n_heads, nm->stored ? "" : " (or give --d-head)");
            m->d_head = m->d_model / m->n_heads;
        }
        m->readout = c->readout_last ? m->n_ctx - 1 : 0;
    }
    const struct { const char *key; double v; } at_least_0[] = {
        {"lr", c->opt.lr}, {"wd", c->opt.wd}, {"clip", c->clip}, {"init_scale", c->init_scale},
    };
    for (size_t i = 0; i < sizeof at_least_0 / sizeof *at_least_0; i++)
        if (!(at_least_0[i].v >= 0))
            return grok_err_set(err, GROK_EINVAL, "%s %g: must be at least 0", named(nm, 0, at_least_0[i].key),
                                at_least_0[i].v);
    const struct { const char *key; double v; } below_1[] = {
        {"beta1", c->opt.beta1}, {"beta2", c->opt.beta2},
    };
    for (size_t i = 0; i < sizeof below_1 / sizeof *below_1; i++)
        if (!(below_1[i].v >= 0 && below_1[i].v < 1))
            return grok_err_set(err, GROK_EINVAL, "%s %g: must be in [0, 1)", named(nm, 0, below_1[i].key),
                                below_1[i].v);
    if (!(c->opt.eps > 0))
        return grok_err_set(err, GROK_EINVAL, "%s %g: must be above 0", named(nm, 0, "eps"), c->opt.eps);
    if (!(c->opt.momentum >= 0 && c->opt.momentum < 1))
        return grok_err_set(err, GROK_EINVAL, "%s %g: must be in [0, 1)", named(nm, 0, "momentum"),
                            c->opt.momentum);
    if (!(c->stop_at >= 0 && c->stop_at <= 1))
        return grok_err_set(err, GROK_EINVAL, "%s %g: an accuracy between 0 and 1", named(nm, 0, "stop_at"),
                            c->stop_at);
    if (grok_model_check_act(m->arch, m->act, named(nm, 0, "act"), err))
        return GROK_EINVAL;
    struct grok_model probe;
    if (grok_model_build(&probe, m, &why))
        return refused_by(nm, &why, err);
    grok_model_free(&probe);
    return GROK_OK;
}

int grok_config_resolve(struct grok_train_config *c, struct grok_err *err)
{
    struct naming nm = {.stored = 0};
    return resolve(c, &nm, err);
}

int grok_config_check_params(const struct grok_train_config *c, int stored, struct grok_err *err)
{
    struct naming nm = {.stored = stored};
    struct grok_model m;
    int rc = grok_model_build(&m, &c->model, err);
    if (rc)
        return rc;
    const char *names[m.n_tensors > 0 ? m.n_tensors : 1];
    int frozen = 0, snapped = 0;
    for (int i = 0; i < m.n_tensors; i++) {
        names[i] = m.tensors[i].name;
        frozen += grok_config_selects(c->freeze, names[i]);
        snapped += !c->snapshot[0] || grok_config_selects(c->snapshot, names[i]);
    }
    char glob[GROK_CFG_TEXT];
    /* a glob that selects nothing is a typo; a multiplier of 1 is not (a sweep over C has it) */
    if (c->freeze[0] && !frozen)
        rc = grok_err_set(err, GROK_EINVAL, "%s '%s': selects no parameter of the model",
                          named(&nm, 0, "freeze"), c->freeze);
    else if (!snapped && c->snapshot_every > 0)
        rc = grok_err_set(err, GROK_EINVAL, "%s '%s': selects no parameter of the model",
                          named(&nm, 0, "snapshot"), c->snapshot);
    else if (grok_config_unmatched_glob(c->lr_mult, names, m.n_tensors, glob, sizeof glob))
        rc = grok_err_set(err, GROK_EINVAL, "%s '%s': '%s' selects no parameter of the model",
                          named(&nm, 0, "lr_mult"), c->lr_mult, glob);
    grok_model_free(&m);
    return rc;
}

/* --- grok-train's flags ------------------------------------------------------------------------ */

static const struct config_key *find_flag(const char *flag)
{
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (keys[i].flag && strcmp(keys[i].flag, flag) == 0)
            return &keys[i];
    return NULL;
}

/* An integer flag's text within the flag's limits, in strtoll's syntax (grok-train's since its
 * first version: leading white space is taken). */
static int flag_int(const struct config_key *k, const char *text, long long *v, struct grok_err *err)
{
    char *end;
    errno = 0;
    *v = strtoll(text, &end, 10);
    if (end == text || *end || errno)
        return grok_err_set(err, GROK_EINVAL, "%s '%s': not an integer", k->flag, text);
    if (*v < k->flag_lo || *v > k->hi)
        return grok_err_set(err, GROK_EINVAL, "%s %s: must be between %lld and %lld", k->flag, text,
                            k->flag_lo, k->hi);
    return GROK_OK;
}

/* The flags that take two settings at once, "A:B" (split at the last ':', since a run's name
 * may hold one): --suppress [BASIS:]S, --kick ALPHA[:EVERY], --noise NORM[:EVERY]. */
static const struct { const char *flag, *first, *second; } compound[] = {
    {"--suppress", "--basis", "--suppress"},
    {"--kick", "--kick", "--kick-every"},
    {"--noise", "--noise", "--noise-every"},
    {"--split", "--split", "--split-skew"},
};

/* The upper limit of an intervention's real setting given as a flag (the lower is 0). */
static double intervention_max(const struct config_key *k)
{
    if (strcmp(k->key, "suppress") == 0)
        return 1;
    if (strcmp(k->key, "kick_eta") == 0)
        return GROK_KICK_ETA_MAX;
    return HUGE_VAL;
}

static int apply_one(struct grok_train_config *c, const char *flag, const char *text,
                     struct grok_err *err);

int grok_config_apply_flag(struct grok_train_config *c, const char *flag, const char *text,
                           struct grok_err *err)
{
    for (size_t i = 0; i < sizeof compound / sizeof *compound; i++) {
        const char *colon = strrchr(text, ':');
        if (strcmp(flag, compound[i].flag) != 0 || !colon)
            continue;
        char first[GROK_CFG_TEXT];
        size_t len = (size_t)(colon - text);
        if (len >= sizeof first)
            return grok_err_set(err, GROK_EINVAL, "%s: too long a value", flag);
        memcpy(first, text, len);
        first[len] = 0;
        struct grok_train_config try = *c;   /* both parts or neither */
        if (!len || !colon[1])
            return grok_err_set(err, GROK_EINVAL, "%s '%s': expected %s", flag, text,
                                i == 0 ? "[BASIS:]S" : i == 1 ? "ALPHA[:EVERY]" : i == 2 ? "NORM[:EVERY]" : "skewed[:S]");
        int rc = apply_one(&try, compound[i].first, i == 0 ? first : first, err);
        if (rc == GROK_OK)
            rc = apply_one(&try, compound[i].second, colon + 1, err);
        if (rc == GROK_OK)
            *c = try;
        return rc;
    }
    return apply_one(c, flag, text, err);
}

static int apply_one(struct grok_train_config *c, const char *flag, const char *text,
                     struct grok_err *err)
{
    const struct config_key *k = find_flag(flag);
    /* --preset and --init set more than their row (a preset's values, a run's parameters) */
    if (!k || k->type == KEY_TEXT)
        return grok_err_set(err, GROK_ENOTFOUND, "%s: not a setting grok_config_apply_flag takes", flag);
    char *at = (char *)c + k->off;
    long long v;
    double x;
    int bad;
    if (k->family == INTERVENTION && !c->intervention_flag)
        c->intervention_flag = k->key;
    switch (k->type) {
    case KEY_INT:
        if (k->zero && strcmp(text, k->zero) == 0)
            v = 0;
        else if (flag_int(k, text, &v, err))
            return GROK_EINVAL;
        set_field_int(c, k, v);
        return GROK_OK;
    case KEY_REAL:
        if ((bad = grok_flag_real(text, &x)))
            return grok_err_set(err, GROK_EINVAL, "%s '%s': %s", flag, text,
                                bad == 1 ? "not a number" : "out of range");
        /* an intervention's -1 means off: the flag takes only values that switch it on */
        if (k->family == INTERVENTION && !(x >= 0 && x <= intervention_max(k)))
            return intervention_max(k) < HUGE_VAL
                       ? grok_err_set(err, GROK_EINVAL, "%s %s: must be between 0 and %g", flag, text,
                                      intervention_max(k))
                       : grok_err_set(err, GROK_EINVAL, "%s %s: must be at least 0", flag, text);
        memcpy(at, &x, sizeof x);
        return GROK_OK;
    case KEY_SPEC:
        if (k->check(flag, text, err))
            return GROK_EINVAL;
        if (strlen(text) >= k->size)
            return grok_err_set(err, GROK_EINVAL, "%s: too long a value", flag);
        memcpy(at, text, strlen(text) + 1);
        return GROK_OK;
    case KEY_PATH:
        if (!*text)
            return grok_err_set(err, GROK_EINVAL, "%s: an empty file name", flag);
        if (strlen(text) >= k->size)
            return grok_err_set(err, GROK_EINVAL, "%s: too long a file name", flag);
        memcpy(at, text, strlen(text) + 1);
        return GROK_OK;
    case KEY_CHOICE:
        if ((bad = k->parse(text)) < 0)
            return grok_err_set(err, GROK_EINVAL, "%s '%s': expected one of %s", flag, text, k->choices);
        set_field_int(c, k, bad);
        return GROK_OK;
    case KEY_EMBED:
        if (grok_config_parse_embed(&c->model, text))
            return grok_err_set(err, GROK_EINVAL, "%s '%s': expected a width, onehot or raw", flag, text);
        return GROK_OK;
    case KEY_HIDDEN:
        if (grok_config_parse_hidden(&c->model, text))
            return grok_err_set(err, GROK_EINVAL, "%s '%s': expected widths W[,W...] (at most %d layers)",
                                flag, text, GROK_MAX_HIDDEN);
        return GROK_OK;
    case KEY_LIST: {
        if (k->check(flag, text, err))
            return GROK_EINVAL;
        size_t len = strlen(at);
        if (len + strlen(text) + 2 > k->size)
            return grok_err_set(err, GROK_EINVAL, "%s: too many or too long values", flag);
        snprintf(at + len, k->size - len, "%s%s", len ? "," : "", text);
        return GROK_OK;
    }
    default:
        return GROK_OK;
    }
}

int grok_config_check_family(const struct grok_train_config *c, const char *flag, struct grok_err *err)
{
    const struct config_key *k = find_flag(flag);
    if (!k || k->family == INTERVENTION || has_key(k, c))
        return GROK_OK;
    return grok_err_set(err, GROK_EINVAL, "%s: applies to --model %s only", flag,
                        k->family == TRANSFORMER_ONLY ? "transformer" : "mlp");
}

/* --- /config ------------------------------------------------------------------------------- */

static const char *const G = "/config";

static int write_key(struct grok_run *run, const struct grok_train_config *c, const struct config_key *k,
                     struct grok_err *err)
{
    char text[32];
    switch (k->type) {
    case KEY_TEXT:
    case KEY_PATH:
    case KEY_SPEC:
    case KEY_LIST:
        return grok_run_attr_set_str(run, G, k->key, (const char *)c + k->off, err);
    case KEY_INT:
    case KEY_DERIVED:
        return grok_run_attr_set_int(run, G, k->key, field_int(c, k), err);
    case KEY_REAL:
        return grok_run_attr_set_double(run, G, k->key, field_real(c, k), err);
    case KEY_CHOICE:
        return grok_run_attr_set_str(run, G, k->key, k->name((int)field_int(c, k)), err);
    case KEY_EMBED:
        embed_text(&c->model, text, sizeof text);
        return grok_run_attr_set_str(run, G, k->key, text, err);
    case KEY_HIDDEN: {
        char widths[128];
        hidden_text(&c->model, widths, sizeof widths);
        return grok_run_attr_set_str(run, G, k->key, widths, err);
    }
    }
    return GROK_OK;
}

/* Whether an OPTIONAL setting holds its default (and so is not written). */
static int at_default(const struct grok_train_config *c, const struct config_key *k)
{
    struct grok_train_config d;
    grok_config_defaults(&d);
    return memcmp((const char *)c + k->off, (const char *)&d + k->off, k->size) == 0;
}

int grok_config_write(struct grok_run *run, const struct grok_train_config *c, struct grok_err *err)
{
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (has_key(&keys[i], c) && !(keys[i].family == OPTIONAL && at_default(c, &keys[i])) &&
            write_key(run, c, &keys[i], err))
            return GROK_EIO;
    return GROK_OK;
}

int grok_config_write_threads(struct grok_run *run, int threads, struct grok_err *err)
{
    return grok_run_attr_set_int(run, G, "threads", threads, err);
}

int grok_config_read_threads(struct grok_run *run, int *threads, struct grok_err *err)
{
    long long v;
    int rc = grok_run_attr_get_int(run, G, "threads", &v, err);
    if (rc == GROK_ENOTFOUND)
        return rc;   /* a run written before it was recorded */
    if (rc == GROK_OK && (v < 1 || v > 1024))
        rc = grok_err_set(err, GROK_EFORMAT, "%s: /config@threads %lld: must be between 1 and 1024",
                          grok_run_name(run), v);
    if (rc == GROK_OK)
        *threads = (int)v;
    return rc;
}

/* Reads the setting of row k from the run into c; an integer is checked against its limits before
 * it is narrowed to its field, a text against its field's room, a name against the choices. */
static int read_key(struct grok_run *run, const struct config_key *k, struct grok_train_config *c,
                    struct grok_err *err)
{
    const char *name = grok_run_name(run);
    if (k->type == KEY_INT || k->type == KEY_DERIVED) {
        long long v;
        int rc = grok_run_attr_get_int(run, G, k->key, &v, err);
        if (rc)
            return rc;
        if (v < k->lo || v > k->hi)
            return grok_err_set(err, GROK_EFORMAT, "%s: /config@%s %lld: must be between %lld and %lld", name,
                                k->key, v, k->lo, k->hi);
        set_field_int(c, k, v);
        return GROK_OK;
    }
    if (k->type == KEY_REAL)
        return grok_run_attr_get_double(run, G, k->key, (double *)((char *)c + k->off), err);
    char *s = NULL;
    int rc = grok_run_attr_get_str(run, G, k->key, &s, err);
    if (rc)
        return rc;
    int v;
    switch (k->type) {
    case KEY_TEXT:
    case KEY_PATH:
    case KEY_SPEC:
    case KEY_LIST:
        if (strlen(s) >= k->size)
            rc = grok_err_set(err, GROK_EFORMAT, "%s: /config@%s is too long (at most %zu bytes)", name,
                              k->key, k->size - 1);
        else
            memcpy((char *)c + k->off, s, strlen(s) + 1);
        break;
    case KEY_CHOICE:
        if ((v = k->parse(s)) < 0)
            rc = grok_err_set(err, GROK_EFORMAT, "%s: /config@%s '%s' is unknown", name, k->key, s);
        else
            set_field_int(c, k, v);
        break;
    case KEY_EMBED:
        if (grok_config_parse_embed(&c->model, s))
            rc = grok_err_set(err, GROK_EFORMAT, "%s: /config@embed '%s': not a width, onehot or raw", name, s);
        break;
    case KEY_HIDDEN:
        if (grok_config_parse_hidden(&c->model, s))
            rc = grok_err_set(err, GROK_EFORMAT, "%s: /config@hidden '%s': not widths W[,W...] (at most %d layers)",
                              name, s, GROK_MAX_HIDDEN);
        break;
    default:
        break;
    }
    free(s);
    return rc;
}

int grok_config_read(struct grok_run *run, struct grok_train_config *c, struct grok_err *err)
{
    grok_config_defaults(c);
    /* the interventions' settings are there when /config@basis is (a run trained with one) */
    char *basis = NULL;
    int intervened = grok_run_attr_get_str(run, G, "basis", &basis, NULL) == GROK_OK;
    free(basis);
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        /* the derived values follow from the task: resolve computes them again */
        if (keys[i].type == KEY_DERIVED ||
            (keys[i].family == INTERVENTION ? !intervened : !has_key(&keys[i], c)))
            continue;
        int rc = read_key(run, &keys[i], c, err);
        if (rc == GROK_ENOTFOUND && keys[i].family == OPTIONAL)
            continue;   /* a run trained without it, or written before it existed */
        if (rc)
            return rc;
    }
    struct naming nm = {.stored = 1};
    struct grok_err why;
    if (intervened && !grok_config_intervenes(c))
        return grok_err_set(err, GROK_EFORMAT, "%s: /config@basis is set but no intervention is on "
                            "(/config@suppress, kick and noise are all -1)", grok_run_name(run));
    if (resolve(c, &nm, &why))
        return grok_err_set(err, GROK_EFORMAT, "%s: %s", grok_run_name(run), why.msg);
    return GROK_OK;
}

/* The row of key when it is stored as the caller asks (as text or as a number), else NULL. */
static const struct config_key *stored_as(const char *key, int text)
{
    const struct config_key *k = find_key(key);
    if (!k)
        return NULL;
    int is_text = k->type == KEY_TEXT || k->type == KEY_PATH || k->type == KEY_SPEC || k->type == KEY_LIST || k->type == KEY_CHOICE || k->type == KEY_EMBED ||
                  k->type == KEY_HIDDEN;
    return is_text == text ? k : NULL;
}

int grok_config_get_text(struct grok_run *run, const char *key, char **text, struct grok_err *err)
{
    *text = NULL;
    if (!stored_as(key, 1))
        return grok_err_set(err, GROK_EINVAL, "/config@%s: no setting stored as text", key);
    return grok_run_attr_get_str(run, G, key, text, err);
}

int grok_config_get_number(struct grok_run *run, const char *key, double *v, struct grok_err *err)
{
    if (!stored_as(key, 0))
        return grok_err_set(err, GROK_EINVAL, "/config@%s: no setting stored as a number", key);
    return grok_run_attr_get_double(run, G, key, v, err);
}

int grok_config_read_shape(struct grok_run *run, struct grok_config_shape *s, struct grok_err *err)
{
    struct grok_train_config c;
    grok_config_defaults(&c);
    *s = (struct grok_config_shape){.arch = -1, .input = -1};
    int rc = read_key(run, find_key("p"), &c, err);
    if (rc)
        return rc;
    s->p = c.p;
    if (read_key(run, find_key("n_ctx"), &c, NULL) == GROK_OK &&
        read_key(run, find_key("d_vocab"), &c, NULL) == GROK_OK) {
        s->n_ctx = c.model.n_ctx;
        s->d_vocab = c.model.d_vocab;
    }
    if (read_key(run, find_key("model"), &c, NULL) == GROK_OK)
        s->arch = c.model.arch;
    if (read_key(run, find_key("embed"), &c, NULL) == GROK_OK)
        s->input = c.model.input;
    return GROK_OK;
}
