/* Training settings: the presets carry their papers' values, /config round-trips, globs select
 * as documented, grok-train's setting flags apply through the table, and impossible settings are
 * refused with the flag named (from the command line) or with the stored attribute and value
 * named (from a run's /config). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grok/config.h"
#include "tap.h"

static int same_config(const struct grok_train_config *a, const struct grok_train_config *b)
{
    const struct grok_model_config *x = &a->model, *y = &b->model;
    int same = strcmp(a->preset, b->preset) == 0 && a->op == b->op && a->p == b->p &&
               a->frac == b->frac && a->split == b->split && a->data_seed == b->data_seed &&
               a->ctx == b->ctx && a->init == b->init &&
               a->init_scale == b->init_scale && strcmp(a->init_from, b->init_from) == 0 &&
               memcmp(&a->opt, &b->opt, sizeof a->opt) == 0 && a->clip == b->clip &&
               a->batch == b->batch && strcmp(a->lr_mult, b->lr_mult) == 0 &&
               strcmp(a->freeze, b->freeze) == 0 && a->steps == b->steps &&
               a->eval_every == b->eval_every && a->snapshot_every == b->snapshot_every &&
               strcmp(a->snapshot, b->snapshot) == 0 && a->stop_at == b->stop_at && a->seed == b->seed;
    same = same && x->arch == y->arch && x->n_ctx == y->n_ctx && x->d_vocab == y->d_vocab &&
           x->d_vocab_out == y->d_vocab_out && x->act == y->act && x->loss == y->loss;
    if (x->arch == GROK_TRANSFORMER)
        return same && x->n_layers == y->n_layers && x->d_model == y->d_model &&
               x->n_heads == y->n_heads && x->d_head == y->d_head && x->d_mlp == y->d_mlp &&
               x->norm == y->norm && x->causal == y->causal && x->readout == y->readout &&
               a->readout_last == b->readout_last;
    return same && x->input == y->input && x->d_embed == y->d_embed && x->n_hidden == y->n_hidden &&
           memcmp(x->hidden, y->hidden, sizeof x->hidden) == 0;
}

static void round_trip(const struct grok_train_config *c, const char *what)
{
    struct grok_err err;
    struct grok_train_config back;
    struct grok_run *run = grok_run_create("config.h5", &err);
    int rc = run ? grok_config_write(run, c, &err) : GROK_EIO;
    if (!rc)
        rc = grok_run_commit(run, &err);
    grok_run_close(run);
    run = rc ? NULL : grok_run_open("config.h5", &err);
    rc = run ? grok_config_read(run, &back, &err) : GROK_EIO;
    if (rc)
        diag("%s", err.msg);
    ok(!rc && same_config(c, &back), "%s: /config reads back as written", what);
    grok_run_close(run);
}

/* bad.h5 with c's /config (or none) and, when p_text is given, /config@p alone; open for reading. */
static struct grok_run *write_config(const struct grok_train_config *c, const char *p_text)
{
    struct grok_err err;
    struct grok_run *run = grok_run_create("bad.h5", &err);
    if (c)
        grok_config_write(run, c, &err);
    if (p_text)
        grok_run_attr_set_int(run, "/config", "p", strtoll(p_text, NULL, 10), &err);
    if (!c && !p_text)
        grok_run_attr_set_str(run, "/", "note", "no /config", &err);
    grok_run_commit(run, &err);
    grok_run_close(run);
    return grok_run_open("bad.h5", &err);
}

/* Reads back c's /config with one attribute replaced: type 's' a string, 'i' an integer, 'd' a
 * real. */
static int read_doctored(const struct grok_train_config *c, const char *key, char type, const char *value,
                         struct grok_err *err)
{
    struct grok_train_config back;
    struct grok_run *run = grok_run_create("bad.h5", err);
    grok_config_write(run, c, err);
    if (type == 's')
        grok_run_attr_set_str(run, "/config", key, value, err);
    else if (type == 'i')
        grok_run_attr_set_int(run, "/config", key, strtoll(value, NULL, 10), err);
    else
        grok_run_attr_set_double(run, "/config", key, strtod(value, NULL), err);
    grok_run_commit(run, err);
    grok_run_close(run);
    run = grok_run_open("bad.h5", err);
    int rc = grok_config_read(run, &back, err);
    grok_run_close(run);
    return rc;
}

int main(void)
{
    char dir[] = "/tmp/grok-t-config.XXXXXX";
    if (!mkdtemp(dir) || chdir(dir))
        return 1;
    struct grok_train_config c;
    struct grok_err err;

    /* Nanda et al.: p 113, 30 %, [a b =], 1 layer, 128/4×32/512, ReLU, causal, AdamW 1e-3, wd 1,
     * β (0.9, 0.98), 10 warm-up steps, full batch */
    is_int(grok_config_preset(&c, "nanda", &err), GROK_OK, "nanda is a preset");
    grok_config_resolve(&c, &err);
    ok(c.p == 113 && c.frac == 0.3 && c.ctx == GROK_CTX_AB_EQ && c.model.n_layers == 1 &&
           c.model.d_model == 128 && c.model.n_heads == 4 && c.model.d_head == 32 &&
           c.model.d_mlp == 512 && c.model.act == GROK_ACT_RELU && !c.model.norm && c.model.causal &&
           c.model.readout == 2 && c.model.d_vocab == 114 && c.init == GROK_INIT_NANDA &&
           c.opt.kind == GROK_OPT_ADAMW && c.opt.lr == 1e-3 && c.opt.wd == 1.0 &&
           c.opt.beta2 == 0.98 && c.opt.warmup == 10 && c.batch == 0,
       "nanda: Nanda et al.'s settings");
    round_trip(&c, "nanda");

    /* Xu (P1): p 97, 50 %, [a b], encoder, pre-LN, 2 layers, 128/4/256, GELU, readout 0, AdamW
     * 1e-3, wd 1, β (0.9, 0.98), batch 512, clip 1 */
    grok_config_defaults(&c);
    is_int(grok_config_preset(&c, "xu", &err), GROK_OK, "xu is a preset");
    grok_config_resolve(&c, &err);
    ok(c.p == 97 && c.frac == 0.5 && c.ctx == GROK_CTX_AB && !c.model.causal && c.model.norm &&
           c.model.n_layers == 2 && c.model.d_mlp == 256 && c.model.act == GROK_ACT_GELU &&
           c.model.readout == 0 && c.init == GROK_INIT_TORCH && c.batch == 512 && c.clip == 1.0 &&
           c.opt.wd == 1.0 && c.opt.beta2 == 0.98 && c.eval_every == 100 && c.seed == 42,
       "xu: P1's settings");
    round_trip(&c, "xu");
    grok_config_preset(&c, "xu-slow", &err);
    ok(c.opt.lr == 5e-5 && c.opt.wd == 0.1 && c.model.n_layers == 3 && c.opt.beta2 == 0.999,
       "xu-slow: P1's slow regime");

    /* AlQuabeh (P3): p 97, [a op b =], embedding 128 → 512 ReLU → 97, Adam */
    grok_config_preset(&c, "alquabeh", &err);
    grok_config_resolve(&c, &err);
    ok(c.p == 97 && c.ctx == GROK_CTX_AOB_EQ && c.model.d_vocab == 99 && c.model.arch == GROK_MLP &&
           c.model.input == GROK_INPUT_EMBED && c.model.d_embed == 128 && c.model.n_hidden == 1 &&
           c.model.hidden[0] == 512 && c.opt.kind == GROK_OPT_ADAM && c.opt.wd == 1e-3,
       "alquabeh: P3's embedding MLP");
    round_trip(&c, "alquabeh");
    grok_config_preset(&c, "alquabeh-raw", &err);
    grok_config_resolve(&c, &err);
    ok(c.model.input == GROK_INPUT_RAW, "alquabeh-raw: the raw numbers");
    is_int(grok_config_preset(&c, "power", &err), GROK_EINVAL, "an unknown preset");
    is_str(err.msg, "--preset 'power': unknown (nanda, xu, xu-slow, alquabeh, alquabeh-raw, musat, musat-gd, "
           "musat-linear, musat-linear3, musat-linear2)", "... named");

    /* Musat (P2): the closed form on unordered pairs of one-hot sums; the toys */
    grok_config_preset(&c, "musat", &err);
    ok(grok_config_resolve(&c, &err) == GROK_OK && c.p == 37 && c.unordered && c.model.d_vocab == 37 &&
           c.model.input == GROK_INPUT_ONEHOT_SUM && c.model.no_bias && c.model.loss == GROK_LOSS_MSE &&
           c.dynamics == 1 && c.opt.lr == 1e-3 && c.steps == 5000,
       "musat: P2's two-layer network under the closed form");
    round_trip(&c, "musat");
    grok_config_preset(&c, "musat-gd", &err);
    ok(grok_config_resolve(&c, &err) == GROK_OK && c.dynamics == 0 && c.opt.kind == GROK_OPT_SGD &&
           c.opt.momentum == 0 && c.opt.wd == 1e-5, "musat-gd: the same by gradient descent");
    round_trip(&c, "musat-gd");
    const char *toys[] = {"musat-linear", "musat-linear3", "musat-linear2"};
    const int inputs[] = {2, 3, 2}, hidden[] = {0, 0, 1};
    for (int i = 0; i < 3; i++) {
        grok_config_preset(&c, toys[i], &err);
        ok(grok_config_resolve(&c, &err) == GROK_OK && c.task[0] && c.model.n_ctx == inputs[i] &&
               c.model.d_vocab_out == 1 && c.model.n_hidden == hidden[i] &&
               c.model.act == GROK_ACT_IDENTITY && c.init_values[0],
           "%s: a regression of %d inputs, %d hidden layers, from given values", toys[i], inputs[i], hidden[i]);
        round_trip(&c, toys[i]);
    }

    /* every list setting round-trips */
    grok_config_defaults(&c);
    c.model.arch = GROK_MLP;
    grok_config_parse_hidden(&c.model, "64,32");
    grok_config_parse_embed(&c.model, "onehot");
    snprintf(c.lr_mult, sizeof c.lr_mult, "embed=10,mlp.0.*=0.5");
    snprintf(c.freeze, sizeof c.freeze, "unembed.b_U");
    snprintf(c.snapshot, sizeof c.snapshot, "mlp.*");
    snprintf(c.init_from, sizeof c.init_from, "state.h5");
    c.stop_at = 0.99;
    c.model.loss = GROK_LOSS_MSE;
    is_int(grok_config_resolve(&c, &err), GROK_OK, "an mlp with lists resolves");
    round_trip(&c, "mlp with lists");

    /* globs: whole names and everything under them */
    ok(grok_config_selects("embed", "embed.W_E") && !grok_config_selects("embed", "unembed.W_U") &&
           grok_config_selects("embed,unembed", "unembed.b_U") &&
           grok_config_selects("blocks.0", "blocks.0.attn.W_Q") &&
           !grok_config_selects("blocks.0", "blocks.10.attn.W_Q") &&
           grok_config_selects("blocks.*.attn.W_[QK]", "blocks.1.attn.W_K") &&
           !grok_config_selects("", "embed.W_E"),
       "globs select whole names and the names under them");
    is_near(grok_config_lr_mult("embed=10,embed.W_E=3", "embed.W_E"), 3.0, 0, "the last matching multiplier wins");
    is_near(grok_config_lr_mult("embed=10", "mlp.0.W"), 1.0, 0, "no match: multiplier 1");
    {
        const char *names[] = {"embed.W_E", "mlp.0.W", "mlp.0.b"};
        char g[64] = "";
        ok(!grok_config_unmatched_glob("embed=10,mlp.0=1", names, 3, g, sizeof g),
           "every glob of a multiplier list selects a parameter");
        ok(grok_config_unmatched_glob("embed=2,nope=3,mlp=1", names, 3, g, sizeof g) &&
           strcmp(g, "nope") == 0, "the first glob that selects nothing, its =C dropped (%s)", g);
        ok(grok_config_unmatched_glob("mlp.*.b,unembed", names, 3, g, sizeof g) &&
           strcmp(g, "unembed") == 0, "in a plain glob list too (%s)", g);
    }
    is_int(grok_config_check_lr_mult("embed=x", &err), GROK_EINVAL, "a multiplier that is not a number");
    is_int(grok_config_check_globs("--freeze", "a,,b", &err), GROK_EINVAL, "an empty glob in a list");
    is_int(grok_config_check_globs("--freeze", "blocks.[0", &err), GROK_EINVAL, "an unclosed bracket");

    /* the parameter globs against the model, named by flag or by attribute */
    {
        struct grok_train_config pc;
        grok_config_defaults(&pc);
        pc.p = 11;
        ok(grok_config_resolve(&pc, &err) == GROK_OK, "the defaults at p 11 resolve");
        ok(grok_config_check_params(&pc, 0, &err) == GROK_OK, "no list: nothing to refuse");
        snprintf(pc.freeze, sizeof pc.freeze, "embed,nothing.here");
        ok(grok_config_check_params(&pc, 0, &err) == GROK_OK, "a freeze list is refused only when it selects nothing");
        snprintf(pc.freeze, sizeof pc.freeze, "nothing.here");
        is_int(grok_config_check_params(&pc, 0, &err), GROK_EINVAL, "a freeze list that selects nothing");
        is_str(err.msg, "--freeze 'nothing.here': selects no parameter of the model", "named by its flag");
        grok_config_check_params(&pc, 1, &err);
        is_str(err.msg, "/config@freeze 'nothing.here': selects no parameter of the model", "named as stored");
        pc.freeze[0] = '\0';
        snprintf(pc.lr_mult, sizeof pc.lr_mult, "embed=2,nope=3");
        grok_config_check_params(&pc, 1, &err);
        is_str(err.msg, "/config@lr_mult 'embed=2,nope=3': 'nope' selects no parameter of the model",
               "a multiplier's glob that selects nothing");
        pc.lr_mult[0] = '\0';
        snprintf(pc.snapshot, sizeof pc.snapshot, "nope");
        is_int(grok_config_check_params(&pc, 0, &err), GROK_EINVAL, "a snapshot list that selects nothing");
        pc.snapshot_every = 0;
        ok(grok_config_check_params(&pc, 0, &err) == GROK_OK, "is no matter without snapshots");
    }

    /* --hidden and --embed texts */
    struct grok_model_config m = {0};
    ok(grok_config_parse_hidden(&m, "256,128,64") == GROK_OK && m.n_hidden == 3 && m.hidden[2] == 64,
       "--hidden 256,128,64");
    ok(grok_config_parse_hidden(&m, "") && grok_config_parse_hidden(&m, "64,") &&
           grok_config_parse_hidden(&m, "0") && grok_config_parse_hidden(&m, "1,2,3,4,5,6,7,8,9") &&
           grok_config_parse_hidden(&m, "12x"),
       "bad --hidden texts are refused");
    ok(grok_config_parse_embed(&m, "raw") == GROK_OK && m.input == GROK_INPUT_RAW &&
           grok_config_parse_embed(&m, "24") == GROK_OK && m.input == GROK_INPUT_EMBED && m.d_embed == 24 &&
           grok_config_parse_embed(&m, "-3") && grok_config_parse_embed(&m, "wide"),
       "--embed texts");

    /* impossible settings name their flag */
    grok_config_defaults(&c);
    c.model.n_heads = 3;
    is_int(grok_config_resolve(&c, &err), GROK_EINVAL, "d_model not divisible by the heads");
    is_str(err.msg, "--d-model 128 is not divisible by --heads 3 (or give --d-head)", "... named");
    c.model.d_head = 40;
    is_int(grok_config_resolve(&c, &err), GROK_OK, "... unless --d-head is given");
    grok_config_defaults(&c);
    c.stop_at = 1.5;
    is_int(grok_config_resolve(&c, &err), GROK_EINVAL, "a stop-at accuracy above 1");
    grok_config_defaults(&c);
    c.opt.beta2 = 1.0;
    is_int(grok_config_resolve(&c, &err), GROK_EINVAL, "beta2 = 1");

    /* a run whose /config is not a model: the error names the stored attribute and value */
    grok_config_defaults(&c);
    grok_config_resolve(&c, &err);
    is_int(read_doctored(&c, "d_model", 'i', "-5", &err), GROK_EFORMAT, "a negative d_model in /config");
    is_str(err.msg, "bad.h5: /config@d_model -5: must be between 1 and 16384", "... is named");
    is_int(read_doctored(&c, "op", 's', "pow", &err), GROK_EFORMAT, "an unknown op in /config");
    is_str(err.msg, "bad.h5: /config@op 'pow' is unknown", "... is named");
    is_int(read_doctored(&c, "p", 'i', "4294967307", &err), GROK_EFORMAT, "a p beyond an int");
    is_str(err.msg, "bad.h5: /config@p 4294967307: must be between 2 and 2048", "... refused before it is narrowed");
    is_int(read_doctored(&c, "lr_mult", 's', "embed=abc", &err), GROK_EFORMAT, "a bad multiplier in /config");
    is_str(err.msg, "bad.h5: /config@lr_mult 'embed=abc': C must be a number in [0, 1e6]",
           "... named as data, not as --lr-mult");
    grok_config_check_lr_mult("embed=abc", &err);
    is_str(err.msg, "--lr-mult 'embed=abc': C must be a number in [0, 1e6]", "the command line's is named by its flag");
    is_int(read_doctored(&c, "freeze", 's', "a,,b", &err), GROK_EFORMAT, "an empty glob in /config@freeze");
    is_str(err.msg, "bad.h5: /config@freeze 'a,,b': an empty glob", "... is named");
    is_int(read_doctored(&c, "wd", 'd', "-2", &err), GROK_EFORMAT, "a negative wd in /config");
    is_str(err.msg, "bad.h5: /config@wd -2: must be at least 0", "... is named");
    is_int(read_doctored(&c, "stop_at", 'd', "nan", &err), GROK_EFORMAT, "a stop_at that is not a number");
    is_str(err.msg, "bad.h5: /config@stop_at nan: not a finite number", "... is named");
    c.model.d_head = 0;
    c.model.n_heads = 3;
    is_int(read_doctored(&c, "n_heads", 'i', "3", &err), GROK_EFORMAT, "heads that do not divide d_model");
    is_str(err.msg, "bad.h5: /config@d_model 128 is not divisible by /config@n_heads 3", "... both named");
    grok_config_defaults(&c);
    grok_config_resolve(&c, &err);
    char longer[GROK_CFG_TEXT + 8];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    is_int(read_doctored(&c, "snapshot", 's', longer, &err), GROK_EFORMAT, "a text longer than its field");
    is_str(err.msg, "bad.h5: /config@snapshot is too long (at most 511 bytes)", "... is named");
    grok_config_preset(&c, "alquabeh", &err);
    grok_config_resolve(&c, &err);
    is_int(read_doctored(&c, "hidden", 's', "64,,32", &err), GROK_EFORMAT, "bad hidden widths in /config");
    is_str(err.msg, "bad.h5: /config@hidden '64,,32': not widths W[,W...] (at most 8 layers)", "... are named");
    is_int(read_doctored(&c, "embed", 's', "wide", &err), GROK_EFORMAT, "a bad embed in /config");
    is_str(err.msg, "bad.h5: /config@embed 'wide': not a width, onehot or raw", "... is named");
    grok_config_defaults(&c);
    c.opt.wd = -2;
    is_int(grok_config_resolve(&c, &err), GROK_EINVAL, "a negative --wd");
    is_str(err.msg, "--wd -2: must be at least 0", "... is named by its flag");

    /* the task's and the model's own checks name a stored value as data too */
    grok_config_defaults(&c);
    grok_config_resolve(&c, &err);
    c.op = GROK_OP_DIV;
    is_int(read_doctored(&c, "p", 'i', "96", &err), GROK_EFORMAT, "div with a p that is not prime in /config");
    is_str(err.msg, "bad.h5: /config@p 96: div needs a prime modulus (b has no inverse otherwise)",
           "... named as data, not as --p");
    c.op = GROK_OP_ADD;
    is_int(read_doctored(&c, "act", 's', "quad", &err), GROK_EFORMAT, "a transformer with quad in /config");
    is_str(err.msg, "bad.h5: /config@act quad: the transformer takes relu or gelu", "... named as data, not as --act");
    grok_config_defaults(&c);
    c.model.act = GROK_ACT_QUAD;
    grok_config_resolve(&c, &err);
    is_str(err.msg, "--act quad: the transformer takes relu or gelu", "the command line's is named by its flag");
    grok_config_defaults(&c);
    c.op = GROK_OP_DIV;
    c.p = 96;
    grok_config_resolve(&c, &err);
    is_str(err.msg, "--p 96: div needs a prime modulus (b has no inverse otherwise)", "... and --p's");

    /* grok-train's setting flags, applied through the table */
    grok_config_defaults(&c);
    ok(!grok_config_apply_flag(&c, "--p", "97", &err) && c.p == 97 &&
           !grok_config_apply_flag(&c, "--op", "x2y2", &err) && c.op == GROK_OP_X2Y2 &&
           !grok_config_apply_flag(&c, "--lr", "3e-3", &err) && c.opt.lr == 3e-3 &&
           !grok_config_apply_flag(&c, "--attn", "full", &err) && c.model.causal == 0 &&
           !grok_config_apply_flag(&c, "--readout", "first", &err) && c.readout_last == 0 &&
           !grok_config_apply_flag(&c, "--warmup", "1099511627776", &err) && c.opt.warmup == 1LL << 40 &&
           !grok_config_apply_flag(&c, "--data-seed", "4294967294", &err) && c.data_seed == 4294967294LL,
       "flags set their settings");
    ok(!grok_config_apply_flag(&c, "--batch", "64", &err) && c.batch == 64 &&
           !grok_config_apply_flag(&c, "--batch", "full", &err) && c.batch == 0,
       "--batch takes a size or full");
    ok(!grok_config_apply_flag(&c, "--embed", "onehot", &err) && c.model.input == GROK_INPUT_ONEHOT &&
           !grok_config_apply_flag(&c, "--hidden", "64,32", &err) && c.model.n_hidden == 2,
       "--embed and --hidden");
    ok(!grok_config_apply_flag(&c, "--lr-mult", "embed=10", &err) &&
           !grok_config_apply_flag(&c, "--lr-mult", "unembed=0.5", &err) &&
           strcmp(c.lr_mult, "embed=10,unembed=0.5") == 0,
       "a list flag appends");
    const struct { const char *flag, *text, *msg; } refused[] = {
        {"--p", "x", "--p 'x': not an integer"},
        {"--p", "1", "--p 1: must be between 2 and 2048"},
        {"--d-head", "0", "--d-head 0: must be between 1 and 16384"},
        {"--batch", "0", "--batch 0: must be between 1 and 16777216"},
        {"--batch", "half", "--batch 'half': not an integer"},
        {"--lr", "fast", "--lr 'fast': not a number"},
        {"--lr", "1e999", "--lr '1e999': out of range"},
        {"--attn", "both", "--attn 'both': expected one of causal full"},
        {"--embed", "wide", "--embed 'wide': expected a width, onehot or raw"},
        {"--hidden", "64,", "--hidden '64,': expected widths W[,W...] (at most 8 layers)"},
        {"--freeze", "a,,b", "--freeze 'a,,b': an empty glob"},
        {"--lr-mult", "embed", "--lr-mult 'embed': expected GLOB=C"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        is_int(grok_config_apply_flag(&c, refused[i].flag, refused[i].text, &err), GROK_EINVAL,
               "%s %s is refused", refused[i].flag, refused[i].text);
        is_str(err.msg, refused[i].msg, "... named by its flag");
    }
    is_int(grok_config_apply_flag(&c, "--preset", "xu", &err), GROK_ENOTFOUND, "--preset is the caller's");
    is_int(grok_config_apply_flag(&c, "--threads", "2", &err), GROK_ENOTFOUND, "--threads is no setting");
    memset(longer, 'a', GROK_CFG_TEXT / 2);
    longer[GROK_CFG_TEXT / 2] = '\0';
    grok_config_apply_flag(&c, "--freeze", longer, &err);
    is_int(grok_config_apply_flag(&c, "--freeze", longer, &err), GROK_EINVAL, "a list flag beyond its room");
    is_str(err.msg, "--freeze: too many or too long values", "... is named");
    grok_config_defaults(&c);
    ok(!grok_config_check_family(&c, "--layers", &err) && !grok_config_check_family(&c, "--lr", &err),
       "a transformer takes its own flags and the common ones");
    is_int(grok_config_check_family(&c, "--hidden", &err), GROK_EINVAL, "... not an MLP's");
    is_str(err.msg, "--hidden: applies to --model mlp only", "... as grok-train says");
    grok_config_apply_flag(&c, "--model", "mlp", &err);
    is_int(grok_config_check_family(&c, "--norm", &err), GROK_EINVAL, "an MLP takes no transformer flag");
    is_str(err.msg, "--norm: applies to --model transformer only", "... as grok-train says");

    /* one setting by its key, as stored */
    grok_config_defaults(&c);
    grok_config_resolve(&c, &err);
    struct grok_run *run = write_config(&c, NULL);
    char *text = NULL;
    double v = 0;
    ok(grok_config_get_text(run, "op", &text, &err) == GROK_OK && strcmp(text, "add") == 0, "op as text");
    free(text);
    ok(grok_config_get_text(run, "preset", &text, &err) == GROK_OK && strcmp(text, "") == 0,
       "an empty preset as text");
    free(text);
    ok(grok_config_get_number(run, "p", &v, &err) == GROK_OK && v == 113, "p as a number");
    ok(grok_config_get_number(run, "lr", &v, &err) == GROK_OK && v == 1e-3, "lr as a number");
    is_int(grok_config_get_text(run, "p", &text, &err), GROK_EINVAL, "p is not stored as text");
    is_int(grok_config_get_number(run, "op", &v, &err), GROK_EINVAL, "op is not stored as a number");
    is_int(grok_config_get_number(run, "nonesuch", &v, &err), GROK_EINVAL, "a key that is no setting");
    is_str(err.msg, "/config@nonesuch: no setting stored as a number", "... is named");
    is_int(grok_config_get_text(run, "embed", &text, &err), GROK_ENOTFOUND, "a transformer has no embed");

    /* the shape an analysis needs, from a grok-train run and from a run with p alone */
    struct grok_config_shape sh;
    ok(grok_config_read_shape(run, &sh, &err) == GROK_OK && sh.p == 113 && sh.n_ctx == 3 &&
           sh.d_vocab == 114 && sh.arch == GROK_TRANSFORMER && sh.input == -1,
       "the shape of a transformer run");
    grok_run_close(run);
    grok_config_preset(&c, "alquabeh", &err);
    grok_config_parse_embed(&c.model, "onehot");
    grok_config_resolve(&c, &err);
    run = write_config(&c, NULL);
    ok(grok_config_read_shape(run, &sh, &err) == GROK_OK && sh.p == 97 && sh.n_ctx == 4 &&
           sh.d_vocab == 99 && sh.arch == GROK_MLP && sh.input == GROK_INPUT_ONEHOT,
       "the shape of a one-hot MLP run");
    grok_run_close(run);
    run = write_config(NULL, "7");
    ok(grok_config_read_shape(run, &sh, &err) == GROK_OK && sh.p == 7 && sh.n_ctx == 0 &&
           sh.d_vocab == 0 && sh.arch == -1 && sh.input == -1,
       "a run with p alone has a shape");
    is_int(grok_config_read(run, &c, &err), GROK_ENOTFOUND, "... but no config: a setting it lacks");
    is_str(err.msg, "bad.h5: no attribute preset in /config", "... is named");
    grok_run_close(run);
    run = write_config(NULL, "1");
    is_int(grok_config_read_shape(run, &sh, &err), GROK_EFORMAT, "p = 1 is no modulus");
    is_str(err.msg, "bad.h5: /config@p 1: must be between 2 and 2048", "... is named");
    grok_run_close(run);
    run = write_config(NULL, NULL);
    is_int(grok_config_read_shape(run, &sh, &err), GROK_ENOTFOUND, "a run without p");
    grok_run_close(run);

    unlink("config.h5");
    unlink("bad.h5");
    if (chdir("/") || rmdir(dir))
        diag("could not remove %s", dir);
    return done_testing();
}
