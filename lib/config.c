/* Training settings: defaults, presets, resolution and checks, and the /config record. */
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    } else {
        return grok_err_set(err, GROK_EINVAL,
                            "--preset '%s': unknown (nanda, xu, xu-slow, alquabeh, alquabeh-raw)", name);
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

int grok_config_check_globs(const char *flag, const char *globs, struct grok_err *err)
{
    char buf[GROK_CFG_TEXT];
    if (strlen(globs) >= sizeof buf - 1)
        return grok_err_set(err, GROK_EINVAL, "%s: the list is too long", flag);
    snprintf(buf, sizeof buf, "%s", globs);
    if (!*buf || buf[strlen(buf) - 1] == ',' || *buf == ',' || strstr(buf, ",,"))
        return grok_err_set(err, GROK_EINVAL, "%s '%s': an empty glob", flag, globs);
    for (char *save = NULL, *g = strtok_r(buf, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
        struct grok_err e;
        if (grok_glob_check(g, &e))
            return grok_err_set(err, GROK_EINVAL, "%s '%s': %s", flag, g, e.msg);
    }
    return GROK_OK;
}

int grok_config_check_lr_mult(const char *spec, struct grok_err *err)
{
    char buf[GROK_CFG_TEXT];
    if (strlen(spec) >= sizeof buf - 1)
        return grok_err_set(err, GROK_EINVAL, "--lr-mult: the list is too long");
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *g = strtok_r(buf, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
        char *eq = strrchr(g, '='), *end;
        if (!eq || eq == g)
            return grok_err_set(err, GROK_EINVAL, "--lr-mult '%s': expected GLOB=C", g);
        *eq = '\0';
        double v = strtod(eq + 1, &end);
        if (end == eq + 1 || *end || !(v >= 0) || v > 1e6)
            return grok_err_set(err, GROK_EINVAL, "--lr-mult '%s=%s': C must be a number in [0, 1e6]", g, eq + 1);
        if (grok_config_check_globs("--lr-mult", g, err))
            return GROK_EINVAL;
    }
    return GROK_OK;
}

int grok_config_resolve(struct grok_train_config *c, struct grok_err *err)
{
    struct grok_model_config *m = &c->model;
    if (grok_task_check(c->op, c->p, err))
        return GROK_EINVAL;
    if (!(c->frac > 0 && c->frac < 1))
        return grok_err_set(err, GROK_EINVAL, "--frac %g: the training fraction must be between 0 and 1 (exclusive)",
                            c->frac);
    /* the flags' own limits, again: a /config read back from a file meets them too */
    if (m->arch == GROK_TRANSFORMER &&
        (m->d_model > 1 << 14 || m->n_heads > 1024 || m->d_head > 1 << 14 || m->d_mlp > 1 << 16))
        return grok_err_set(err, GROK_EINVAL, "--d-model, --heads, --d-head or --d-mlp is beyond its limit (see grok-train --help)");
    if (c->batch > 1 << 24)
        return grok_err_set(err, GROK_EINVAL, "--batch %d: at most %d", c->batch, 1 << 24);
    if (c->seed < 0 || c->seed > 4294967294LL || c->data_seed < 0 || c->data_seed > 4294967294LL)
        return grok_err_set(err, GROK_EINVAL, "--seed and --data-seed must be between 0 and 4294967294");
    if (c->steps > 1LL << 40 || c->eval_every > 1LL << 40 || c->snapshot_every > 1LL << 40 ||
        c->opt.warmup > 1L << 40)
        return grok_err_set(err, GROK_EINVAL, "--steps, --eval-every, --snapshot-every and --warmup are at most 2^40");
    const double reals[] = {c->frac, c->init_scale, c->opt.lr, c->opt.wd, c->opt.beta1, c->opt.beta2,
                            c->opt.eps, c->opt.momentum, c->clip, c->stop_at};
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++)
        if (!isfinite(reals[i]))
            return grok_err_set(err, GROK_EINVAL, "a setting is not a finite number (--lr, --wd, --eps, ...)");
    if ((c->lr_mult[0] && grok_config_check_lr_mult(c->lr_mult, err)) ||
        (c->freeze[0] && grok_config_check_globs("--freeze", c->freeze, err)) ||
        (c->snapshot[0] && grok_config_check_globs("--snapshot", c->snapshot, err)))
        return GROK_EINVAL;
    m->n_ctx = grok_ctx_len(c->ctx);
    m->d_vocab = grok_ctx_vocab(c->ctx, c->p);
    m->d_vocab_out = c->p;
    if (m->arch == GROK_TRANSFORMER) {
        if (m->n_heads > 0 && m->d_head <= 0) {
            if (m->d_model % m->n_heads)
                return grok_err_set(err, GROK_EINVAL,
                                    "--d-model %d is not divisible by --heads %d (or give --d-head)",
                                    m->d_model, m->n_heads);
            m->d_head = m->d_model / m->n_heads;
        }
        m->readout = c->readout_last ? m->n_ctx - 1 : 0;
    }
    if (c->steps < 0)
        return grok_err_set(err, GROK_EINVAL, "--steps %lld: must be at least 0", c->steps);
    if (c->eval_every < 1)
        return grok_err_set(err, GROK_EINVAL, "--eval-every %lld: must be at least 1", c->eval_every);
    if (c->snapshot_every < 0)
        return grok_err_set(err, GROK_EINVAL, "--snapshot-every %lld: must be at least 0", c->snapshot_every);
    if (c->batch < 0)
        return grok_err_set(err, GROK_EINVAL, "--batch %d: must be 'full' or at least 1", c->batch);
    const struct { const char *flag; double v; } at_least_0[] = {
        {"--lr", c->opt.lr}, {"--wd", c->opt.wd}, {"--clip", c->clip}, {"--init-scale", c->init_scale},
    };
    for (size_t i = 0; i < sizeof at_least_0 / sizeof *at_least_0; i++)
        if (!(at_least_0[i].v >= 0))
            return grok_err_set(err, GROK_EINVAL, "%s %g: must be at least 0", at_least_0[i].flag, at_least_0[i].v);
    if (!(c->opt.beta1 >= 0 && c->opt.beta1 < 1))
        return grok_err_set(err, GROK_EINVAL, "--beta1 %g: must be in [0, 1)", c->opt.beta1);
    if (!(c->opt.beta2 >= 0 && c->opt.beta2 < 1))
        return grok_err_set(err, GROK_EINVAL, "--beta2 %g: must be in [0, 1)", c->opt.beta2);
    if (!(c->opt.eps > 0))
        return grok_err_set(err, GROK_EINVAL, "--eps %g: must be above 0", c->opt.eps);
    if (!(c->opt.momentum >= 0 && c->opt.momentum < 1))
        return grok_err_set(err, GROK_EINVAL, "--momentum %g: must be in [0, 1)", c->opt.momentum);
    if (c->opt.warmup < 0)
        return grok_err_set(err, GROK_EINVAL, "--warmup %ld: must be at least 0", c->opt.warmup);
    if (!(c->stop_at >= 0 && c->stop_at <= 1))
        return grok_err_set(err, GROK_EINVAL, "--stop-at %g: an accuracy between 0 and 1", c->stop_at);
    struct grok_model probe;
    if (grok_model_build(&probe, m, err))
        return GROK_EINVAL;
    grok_model_free(&probe);
    return GROK_OK;
}

/* --- /config ------------------------------------------------------------------------------- */

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

/* The text of --embed and --hidden as the flags take them. */
static void embed_text(const struct grok_model_config *m, char *buf, size_t cap)
{
    if (m->input == GROK_INPUT_ONEHOT)
        snprintf(buf, cap, "onehot");
    else if (m->input == GROK_INPUT_RAW)
        snprintf(buf, cap, "raw");
    else
        snprintf(buf, cap, "%d", m->d_embed);
}

static void hidden_text(const struct grok_model_config *m, char *buf, size_t cap)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < m->n_hidden && at < cap; i++)
        at += snprintf(buf + at, cap - at, "%s%d", i ? "," : "", m->hidden[i]);
}

int grok_config_write(struct grok_run *run, const struct grok_train_config *c, struct grok_err *err)
{
    const struct grok_model_config *m = &c->model;
    const char *G = "/config";
    char embed[32], hidden[128];
    embed_text(m, embed, sizeof embed);
    hidden_text(m, hidden, sizeof hidden);
#define S(k, v) if (grok_run_attr_set_str(run, G, k, v, err)) return GROK_EIO
#define I(k, v) if (grok_run_attr_set_int(run, G, k, v, err)) return GROK_EIO
#define D(k, v) if (grok_run_attr_set_double(run, G, k, v, err)) return GROK_EIO
    S("preset", c->preset);
    S("op", grok_op_name(c->op));
    I("p", c->p);
    D("train_frac", c->frac);
    S("split", grok_split_name(c->split));
    I("data_seed", c->data_seed);
    S("ctx", grok_ctx_name(c->ctx));
    I("n_ctx", m->n_ctx);
    I("d_vocab", m->d_vocab);
    I("d_vocab_out", m->d_vocab_out);
    S("model", grok_arch_name(m->arch));
    if (m->arch == GROK_TRANSFORMER) {
        I("n_layers", m->n_layers);
        I("d_model", m->d_model);
        I("n_heads", m->n_heads);
        I("d_head", m->d_head);
        I("d_mlp", m->d_mlp);
        S("norm", grok_norm_name(m->norm));
        S("attn", grok_attn_name(m->causal));
        S("readout", grok_readout_name(c->readout_last));
    } else {
        S("embed", embed);
        S("hidden", hidden);
    }
    S("act", grok_act_name(m->act));
    S("loss", grok_loss_name(m->loss));
    S("init_scheme", grok_init_name(c->init));
    D("init_scale", c->init_scale);
    S("init", c->init_from);
    S("opt", grok_opt_name(c->opt.kind));
    D("lr", c->opt.lr);
    D("wd", c->opt.wd);
    D("beta1", c->opt.beta1);
    D("beta2", c->opt.beta2);
    D("eps", c->opt.eps);
    D("momentum", c->opt.momentum);
    I("warmup", c->opt.warmup);
    D("clip", c->clip);
    I("batch", c->batch);
    S("lr_mult", c->lr_mult);
    S("freeze", c->freeze);
    I("steps", c->steps);
    I("eval_every", c->eval_every);
    I("snapshot_every", c->snapshot_every);
    S("snapshot", c->snapshot);
    D("stop_at", c->stop_at);
    I("seed", c->seed);
#undef S
#undef I
#undef D
    return GROK_OK;
}

/* Reads one string attribute of /config into buf and maps it through parse (which returns -1
 * for an unknown name), or copies it when parse is NULL. */
static int read_name(struct grok_run *run, const char *key, int (*parse)(const char *), int *out,
                     char *buf, size_t cap, struct grok_err *err)
{
    char *s = NULL;
    if (grok_run_attr_get_str(run, "/config", key, &s, err))
        return err ? err->code : GROK_EFORMAT;
    int rc = GROK_OK;
    if (parse) {
        int v = parse(s);
        if (v < 0)
            rc = grok_err_set(err, GROK_EFORMAT, "%s: /config %s = '%s' is unknown", grok_run_name(run), key, s);
        else
            *out = v;
    } else if (strlen(s) >= cap) {
        rc = grok_err_set(err, GROK_EFORMAT, "%s: /config %s is too long", grok_run_name(run), key);
    } else {
        memcpy(buf, s, strlen(s) + 1);
    }
    free(s);
    return rc;
}


/* Parses --embed's text: a width, "onehot" or "raw". */
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

int grok_config_read(struct grok_run *run, struct grok_train_config *c, struct grok_err *err)
{
    struct grok_model_config *m = &c->model;
    grok_config_defaults(c);
    const char *G = "/config";
    const char *name = grok_run_name(run);
    long long v = 0;
    int e = 0;
    char text[GROK_CFG_TEXT];
#define NAME(k, parse, field) do { int tmp_ = 0; if (read_name(run, k, parse, &tmp_, NULL, 0, err)) return GROK_EFORMAT; field = tmp_; } while (0)
#define TEXT(k, field) do { if (read_name(run, k, NULL, NULL, field, sizeof field, err)) return GROK_EFORMAT; } while (0)
/* an integer that does not fit its field is refused, not truncated */
#define INT(k, field) do { if (grok_run_attr_get_int(run, G, k, &v, err)) return GROK_EFORMAT; \
        if ((long long)(field = v) != v) \
            return grok_err_set(err, GROK_EFORMAT, "%s: /config %s = %lld is out of range", name, k, v); } while (0)
#define DBL(k, field) do { if (grok_run_attr_get_double(run, G, k, &field, err)) return GROK_EFORMAT; } while (0)
    TEXT("preset", c->preset);
    NAME("op", grok_op_parse, c->op);
    INT("p", c->p);
    DBL("train_frac", c->frac);
    NAME("split", grok_split_parse, c->split);
    INT("data_seed", c->data_seed);
    NAME("ctx", grok_ctx_parse, c->ctx);
    NAME("model", grok_arch_parse, m->arch);
    if (m->arch == GROK_TRANSFORMER) {
        INT("n_layers", m->n_layers);
        INT("d_model", m->d_model);
        INT("n_heads", m->n_heads);
        INT("d_head", m->d_head);
        INT("d_mlp", m->d_mlp);
        NAME("norm", grok_norm_parse, m->norm);
        NAME("attn", grok_attn_parse, m->causal);
        NAME("readout", grok_readout_parse, c->readout_last);
    } else {
        TEXT("embed", text);
        e = grok_config_parse_embed(m, text);
        TEXT("hidden", text);
        if (e || grok_config_parse_hidden(m, text))
            return grok_err_set(err, GROK_EFORMAT, "%s: /config embed or hidden is not a model", name);
    }
    NAME("act", grok_act_parse, m->act);
    NAME("loss", grok_loss_parse, m->loss);
    NAME("init_scheme", grok_init_parse, c->init);
    DBL("init_scale", c->init_scale);
    TEXT("init", c->init_from);
    NAME("opt", grok_opt_parse, c->opt.kind);
    DBL("lr", c->opt.lr);
    DBL("wd", c->opt.wd);
    DBL("beta1", c->opt.beta1);
    DBL("beta2", c->opt.beta2);
    DBL("eps", c->opt.eps);
    DBL("momentum", c->opt.momentum);
    INT("warmup", c->opt.warmup);
    DBL("clip", c->clip);
    INT("batch", c->batch);
    TEXT("lr_mult", c->lr_mult);
    TEXT("freeze", c->freeze);
    INT("steps", c->steps);
    INT("eval_every", c->eval_every);
    INT("snapshot_every", c->snapshot_every);
    TEXT("snapshot", c->snapshot);
    DBL("stop_at", c->stop_at);
    INT("seed", c->seed);
#undef NAME
#undef TEXT
#undef INT
#undef DBL
    struct grok_err why;
    if (grok_config_resolve(c, &why))
        return grok_err_set(err, GROK_EFORMAT, "%s: /config does not describe a model: %s", name, why.msg);
    return GROK_OK;
}
