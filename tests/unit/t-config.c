/* Training settings: the presets carry their papers' values, /config round-trips, globs select
 * as documented, and impossible settings are refused with the flag named. */
#include <stdio.h>
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
    is_str(err.msg, "--preset 'power': unknown (nanda, xu, xu-slow, alquabeh, alquabeh-raw)", "... named");

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

    /* a run whose /config is not a model */
    struct grok_run *run = grok_run_create("bad.h5", &err);
    grok_config_defaults(&c);
    grok_config_resolve(&c, &err);
    grok_config_write(run, &c, &err);
    grok_run_attr_set_int(run, "/config", "d_model", -5, &err);
    grok_run_commit(run, &err);
    grok_run_close(run);
    run = grok_run_open("bad.h5", &err);
    is_int(grok_config_read(run, &c, &err), GROK_EFORMAT, "a negative d_model in /config");
    is_str(err.msg, "bad.h5: /config does not describe a model: --d-model -5: must be at least 1",
           "... is named");
    grok_run_close(run);
    run = grok_run_create("bad.h5", &err);
    grok_run_attr_set_str(run, "/config", "op", "pow", &err);
    grok_run_commit(run, &err);
    grok_run_close(run);
    run = grok_run_open("bad.h5", &err);
    is_int(grok_config_read(run, &c, &err), GROK_EFORMAT, "an unknown op in /config");
    grok_run_close(run);

    unlink("config.h5");
    unlink("bad.h5");
    if (chdir("/") || rmdir(dir))
        diag("could not remove %s", dir);
    return done_testing();
}
