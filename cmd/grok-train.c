/* grok-train: train a model on a modular arithmetic task and write the run. */
#include "grok/cli.h"
#include "grok/config.h"
#include "grok/fpenv.h"
#include "grok/progress.h"
#include "grok/run.h"
#include "grok/history.h"
#include "grok/metrics.h"
#include "grok/train.h"
#include "grok/tsv.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: grok-train [options]\n"
    "Train a network on (a op b) mod p and write the run: config, split, metrics, snapshots, state.\n"
    "Defaults are Nanda et al.'s reference model (--preset nanda); flags override a preset.\n"
    "\n"
    "Task:\n"
    "      --preset NAME      nanda, xu, xu-slow, alquabeh, alquabeh-raw (see grok-train(1))\n"
    "      --op OP            add sub mul div x2y2 x2xyy2 x3xy rand            [add]\n"
    "      --p P              the modulus                                       [113]\n"
    "      --frac F           training fraction of all pairs, 0 < F < 1         [0.3]\n"
    "      --split KIND       random, or uniform (each operand value equally often) [random]\n"
    "      --data-seed N      seed of the split alone                           [0]\n"
    "      --ctx LAYOUT       ab= (Nanda), ab (Xu), aob= (AlQuabeh)             [ab=]\n"
    "Model:\n"
    "      --model KIND       transformer or mlp                                [transformer]\n"
    "      --layers N  --d-model D  --heads H  --d-head E  --d-mlp M            [1 128 4 D/H 512]\n"
    "      --act A            relu, gelu (exact erf), quad (mlp only)          [relu]\n"
    "      --norm KIND        none, or pre (pre-LayerNorm and a final LayerNorm) [none]\n"
    "      --attn KIND        causal or full                                    [causal]\n"
    "      --readout POS      last or first: the position that is unembedded    [last]\n"
    "      --embed D|onehot|raw   mlp input: learned embedding width, one-hot, raw numbers [128]\n"
    "      --hidden W[,W...]  mlp hidden widths                                 [512]\n"
    "      --loss KIND        ce or mse                                         [ce]\n"
    "      --init-scheme S    nanda or torch (see grok-train(1))                [nanda; mlp torch]\n"
    "      --init-scale C     multiply the drawn initial weights by C           [1]\n"
    "      --init STATE       start from the parameters in STATE's /state (grok-snap --at)\n"
    "Optimisation:\n"
    "      --opt KIND         adamw, adam (L2 decay), sgd                       [adamw]\n"
    "      --lr R  --wd W  --beta1 B1  --beta2 B2  --eps E  --momentum M      [1e-3 1 0.9 0.98 1e-8 0]\n"
    "      --warmup N         linear learning-rate warm-up over N updates       [10]\n"
    "      --clip NORM        clip the global gradient norm; 0 for none         [0]\n"
    "      --batch full|N     full batch, or N pairs drawn with replacement     [full]\n"
    "      --lr-mult GLOB=C   learning rate ×C for matching parameters (repeatable)\n"
    "      --freeze GLOB      never update matching parameters (repeatable)\n"
    "Run:\n"
    "      --steps N          total updates                                     [25000]\n"
    "      --eval-every N     evaluate (loss, accuracy, norm, lr) every N steps [100]\n"
    "      --snapshot-every N snapshot every N steps, from step 0; 0 for none   [500]\n"
    "      --snapshot GLOB    parameters to snapshot (repeatable)               [all]\n"
    "      --stop-at ACC      stop at test accuracy >= ACC three evaluations in a row\n"
    "      --seed N           seed of the initialisation and the batches        [0]\n"
    "      --threads N        threads, a slice of the batch each; 0: all cores  [0]\n"
    "      --resume RUN       continue RUN exactly, to --steps (default: its own); --stop-at\n"
    "                         may be given anew (0 continues a run that stopped there)\n"
    "  -t, --table            stream the metrics rows to standard output as TSV\n"
    "  -o, --output FILE      write the run to FILE (with -t the table goes to stdout);\n"
    "                         a FILE ending in .tsv gets the table instead of the run\n"
    "  -q, --quiet            no progress bar, only errors\n"
    "  -h, --help             this help;  -V, --version  the version\n"
    "\n"
    "Globs select a parameter by its whole name or any name under it: embed, blocks.0.attn.W_*.\n"
    "Without -o the run goes to standard output when it is a pipe; to a terminal, the table.\n"
    "Exit status: 0 success, 1 bad data, a non-finite loss or an I/O failure, 2 bad usage,\n"
    "130 interrupted (the run is written, consistent and resumable).\n"
    "\n"
    "Examples:\n"
    "  grok-train --preset nanda -o run.h5\n"
    "  grok-train --model mlp --p 23 --frac 0.6 --embed 32 --hidden 256 --lr 1e-2 --warmup 0 --stop-at 0.99 -t > mlp.tsv\n"
    "  grok-train --preset xu --op sub --steps 4000 --stop-at 0.99 | grok-snap -t metrics\n"
    "  grok-train --resume run.h5 --steps 30000 -o run-longer.h5\n";

/* Long options without a short form. */
enum {
    OPT_PRESET = 256, OPT_OP, OPT_P, OPT_FRAC, OPT_SPLIT, OPT_DATA_SEED, OPT_CTX,
    OPT_MODEL, OPT_LAYERS, OPT_D_MODEL, OPT_HEADS, OPT_D_HEAD, OPT_D_MLP, OPT_ACT, OPT_NORM,
    OPT_ATTN, OPT_READOUT, OPT_EMBED, OPT_HIDDEN, OPT_LOSS, OPT_INIT_SCHEME, OPT_INIT_SCALE,
    OPT_INIT, OPT_OPT, OPT_LR, OPT_WD, OPT_BETA1, OPT_BETA2, OPT_EPS, OPT_MOMENTUM, OPT_WARMUP,
    OPT_CLIP, OPT_BATCH, OPT_LR_MULT, OPT_FREEZE, OPT_STEPS, OPT_EVAL_EVERY, OPT_SNAPSHOT_EVERY,
    OPT_SNAPSHOT, OPT_STOP_AT, OPT_SEED, OPT_THREADS, OPT_RESUME,
};

static const struct option longopts[] = {
    GROK_COMMON_LONGOPTS,
    {"preset", required_argument, NULL, OPT_PRESET},
    {"op", required_argument, NULL, OPT_OP},
    {"p", required_argument, NULL, OPT_P},
    {"frac", required_argument, NULL, OPT_FRAC},
    {"split", required_argument, NULL, OPT_SPLIT},
    {"data-seed", required_argument, NULL, OPT_DATA_SEED},
    {"ctx", required_argument, NULL, OPT_CTX},
    {"model", required_argument, NULL, OPT_MODEL},
    {"layers", required_argument, NULL, OPT_LAYERS},
    {"d-model", required_argument, NULL, OPT_D_MODEL},
    {"heads", required_argument, NULL, OPT_HEADS},
    {"d-head", required_argument, NULL, OPT_D_HEAD},
    {"d-mlp", required_argument, NULL, OPT_D_MLP},
    {"act", required_argument, NULL, OPT_ACT},
    {"norm", required_argument, NULL, OPT_NORM},
    {"attn", required_argument, NULL, OPT_ATTN},
    {"readout", required_argument, NULL, OPT_READOUT},
    {"embed", required_argument, NULL, OPT_EMBED},
    {"hidden", required_argument, NULL, OPT_HIDDEN},
    {"loss", required_argument, NULL, OPT_LOSS},
    {"init-scheme", required_argument, NULL, OPT_INIT_SCHEME},
    {"init-scale", required_argument, NULL, OPT_INIT_SCALE},
    {"init", required_argument, NULL, OPT_INIT},
    {"opt", required_argument, NULL, OPT_OPT},
    {"lr", required_argument, NULL, OPT_LR},
    {"wd", required_argument, NULL, OPT_WD},
    {"beta1", required_argument, NULL, OPT_BETA1},
    {"beta2", required_argument, NULL, OPT_BETA2},
    {"eps", required_argument, NULL, OPT_EPS},
    {"momentum", required_argument, NULL, OPT_MOMENTUM},
    {"warmup", required_argument, NULL, OPT_WARMUP},
    {"clip", required_argument, NULL, OPT_CLIP},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"lr-mult", required_argument, NULL, OPT_LR_MULT},
    {"freeze", required_argument, NULL, OPT_FREEZE},
    {"steps", required_argument, NULL, OPT_STEPS},
    {"eval-every", required_argument, NULL, OPT_EVAL_EVERY},
    {"snapshot-every", required_argument, NULL, OPT_SNAPSHOT_EVERY},
    {"snapshot", required_argument, NULL, OPT_SNAPSHOT},
    {"stop-at", required_argument, NULL, OPT_STOP_AT},
    {"seed", required_argument, NULL, OPT_SEED},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"resume", required_argument, NULL, OPT_RESUME},
    {NULL, 0, NULL, 0},
};

struct opts {
    struct grok_common co;
    struct grok_train_config cfg;
    const char *resume;          /* --resume RUN */
    const char *init;            /* --init STATE */
    int threads;
    int steps_given;
    long long steps;
    int stop_at_given;
    double stop_at;
};

/* The long name of an option code, for messages. */
static const char *flag_name(int code)
{
    for (const struct option *o = longopts; o->name; o++)
        if (o->val == code)
            return o->name;
    return "?";
}

static long long parse_int(int code, const char *s, long long lo, long long hi)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno)
        grok_usage("--%s '%s': not an integer", flag_name(code), s);
    if (v < lo || v > hi)
        grok_usage("--%s %s: must be between %lld and %lld", flag_name(code), s, lo, hi);
    return v;
}

static double parse_real(int code, const char *s)
{
    double v = 0;
    int bad = grok_flag_real(s, &v);
    if (bad == 1)
        grok_usage("--%s '%s': not a number", flag_name(code), s);
    if (bad)
        grok_usage("--%s '%s': out of range", flag_name(code), s);
    return v;
}

/* A name from a fixed list, through one of libgrok's parse functions. */
static int parse_choice(int code, const char *s, int (*parse)(const char *), const char *choices)
{
    int v = parse(s);
    if (v < 0)
        grok_usage("--%s '%s': expected one of %s", flag_name(code), s, choices);
    return v;
}


/* Appends one item to a comma-separated list setting. */
static void list_append(int code, char *list, const char *item)
{
    size_t len = strlen(list);
    if (len + strlen(item) + 2 > GROK_CFG_TEXT)
        grok_usage("--%s: too many or too long values", flag_name(code));
    snprintf(list + len, GROK_CFG_TEXT - len, "%s%s", len ? "," : "", item);
}

/* Applies one flag of the task, model, optimisation or schedule to c. */
static void apply(struct opts *o, int code, const char *arg)
{
    struct grok_train_config *c = &o->cfg;
    struct grok_model_config *m = &c->model;
    struct grok_err err;
    switch (code) {
    case OPT_OP: c->op = parse_choice(code, arg, grok_op_parse, "add sub mul div x2y2 x2xyy2 x3xy rand"); break;
    case OPT_P: c->p = (int)parse_int(code, arg, 2, GROK_P_MAX); break;
    case OPT_FRAC: c->frac = parse_real(code, arg); break;
    case OPT_SPLIT: c->split = parse_choice(code, arg, grok_split_parse, "random uniform"); break;
    case OPT_DATA_SEED: c->data_seed = parse_int(code, arg, 0, 4294967294LL); break;
    case OPT_CTX: c->ctx = parse_choice(code, arg, grok_ctx_parse, "ab= ab aob="); break;
    case OPT_MODEL:
        m->arch = parse_choice(code, arg, grok_arch_parse, "transformer mlp");
        break;
    case OPT_LAYERS: m->n_layers = (int)parse_int(code, arg, 1, 64); break;
    case OPT_D_MODEL: m->d_model = (int)parse_int(code, arg, 1, 1 << 14); break;
    case OPT_HEADS: m->n_heads = (int)parse_int(code, arg, 1, 1024); break;
    case OPT_D_HEAD: m->d_head = (int)parse_int(code, arg, 1, 1 << 14); break;
    case OPT_D_MLP: m->d_mlp = (int)parse_int(code, arg, 1, 1 << 16); break;
    case OPT_ACT: m->act = parse_choice(code, arg, grok_act_parse, "relu gelu quad"); break;
    case OPT_NORM: m->norm = parse_choice(code, arg, grok_norm_parse, "none pre"); break;
    case OPT_ATTN: m->causal = parse_choice(code, arg, grok_attn_parse, "causal full"); break;
    case OPT_READOUT: c->readout_last = parse_choice(code, arg, grok_readout_parse, "last first"); break;
    case OPT_EMBED:
        if (grok_config_parse_embed(m, arg))
            grok_usage("--embed '%s': expected a width, onehot or raw", arg);
        break;
    case OPT_HIDDEN:
        if (grok_config_parse_hidden(m, arg))
            grok_usage("--hidden '%s': expected widths W[,W...] (at most %d layers)", arg, GROK_MAX_HIDDEN);
        break;
    case OPT_LOSS: m->loss = parse_choice(code, arg, grok_loss_parse, "ce mse"); break;
    case OPT_INIT_SCHEME: c->init = parse_choice(code, arg, grok_init_parse, "nanda torch"); break;
    case OPT_INIT_SCALE: c->init_scale = parse_real(code, arg); break;
    case OPT_OPT: c->opt.kind = parse_choice(code, arg, grok_opt_parse, "adamw adam sgd"); break;
    case OPT_LR: c->opt.lr = parse_real(code, arg); break;
    case OPT_WD: c->opt.wd = parse_real(code, arg); break;
    case OPT_BETA1: c->opt.beta1 = parse_real(code, arg); break;
    case OPT_BETA2: c->opt.beta2 = parse_real(code, arg); break;
    case OPT_EPS: c->opt.eps = parse_real(code, arg); break;
    case OPT_MOMENTUM: c->opt.momentum = parse_real(code, arg); break;
    case OPT_WARMUP: c->opt.warmup = (long)parse_int(code, arg, 0, 1LL << 40); break;
    case OPT_CLIP: c->clip = parse_real(code, arg); break;
    case OPT_BATCH:
        c->batch = strcmp(arg, "full") == 0 ? 0 : (int)parse_int(code, arg, 1, 1 << 24);
        break;
    case OPT_LR_MULT:
        if (grok_config_check_lr_mult(arg, &err))
            grok_usage("%s", err.msg);
        list_append(code, c->lr_mult, arg);
        break;
    case OPT_FREEZE:
    case OPT_SNAPSHOT:
        if (grok_config_check_globs(code == OPT_FREEZE ? "--freeze" : "--snapshot", arg, &err))
            grok_usage("%s", err.msg);
        list_append(code, code == OPT_FREEZE ? c->freeze : c->snapshot, arg);
        break;
    case OPT_STEPS: c->steps = parse_int(code, arg, 0, 1LL << 40); break;
    case OPT_EVAL_EVERY: c->eval_every = parse_int(code, arg, 1, 1LL << 40); break;
    case OPT_SNAPSHOT_EVERY: c->snapshot_every = parse_int(code, arg, 0, 1LL << 40); break;
    case OPT_STOP_AT: c->stop_at = parse_real(code, arg); break;
    case OPT_SEED: c->seed = parse_int(code, arg, 0, 4294967294LL); break;
    default: break;
    }
}

/* A flag of one model family given for the other is a mistake, not something to ignore. */
static void check_family(int code, enum grok_arch arch)
{
    static const int transformer_only[] = {OPT_LAYERS, OPT_D_MODEL, OPT_HEADS, OPT_D_HEAD,
                                           OPT_D_MLP, OPT_NORM, OPT_ATTN, OPT_READOUT};
    static const int mlp_only[] = {OPT_EMBED, OPT_HIDDEN};
    const int *list = arch == GROK_MLP ? transformer_only : mlp_only;
    int n = arch == GROK_MLP ? 8 : 2;
    for (int i = 0; i < n; i++)
        if (list[i] == code)
            grok_usage("--%s: applies to --model %s only", flag_name(code),
                       arch == GROK_MLP ? "transformer" : "mlp");
}

static struct opts parse_args(int argc, char **argv)
{
    static const char *const no_tables[] = {NULL};
    struct opts o = {.co.table_kinds = no_tables};
    /* static: still reachable when a usage error exits from the middle of parsing */
    static int *codes;
    static char **args;
    codes = calloc((size_t)argc, sizeof *codes);
    args = calloc((size_t)argc, sizeof *args);
    const char *preset = NULL;
    int n = 0, c, model_given = 0, scheme_given = 0;
    if (!codes || !args)
        grok_die(GROK_EXIT_DATA, "out of memory");
    opterr = 0;
    /* Collect first, apply after: a preset sets the base whatever its place on the line. */
    while ((c = getopt_long(argc, argv, GROK_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
        if (grok_cli_common(c, argc, argv, &o.co, usage))
            continue;
        switch (c) {
        case OPT_PRESET: preset = optarg; break;
        case OPT_RESUME: o.resume = optarg; break;
        case OPT_INIT: o.init = optarg; break;
        case OPT_THREADS: o.threads = (int)parse_int(c, optarg, 0, 1024); break;
        case OPT_STOP_AT:
            o.stop_at_given = 1;
            o.stop_at = parse_real(c, optarg);
            codes[n] = c;
            args[n++] = optarg;
            break;
        case OPT_STEPS:
            o.steps_given = 1;
            o.steps = parse_int(c, optarg, 0, 1LL << 40);
            __attribute__((fallthrough)); /* also a setting */
        default:
            codes[n] = c;
            args[n++] = optarg;
            model_given |= c == OPT_MODEL;
            scheme_given |= c == OPT_INIT_SCHEME;
        }
    }
    if (optind < argc)
        grok_usage("unexpected argument '%s' (grok-train reads no input; see --resume and --init)",
                   argv[optind]);
    if (o.resume) {
        if (preset || o.init)
            grok_usage("--%s cannot be combined with --resume (the run's /config fixes it)",
                       preset ? "preset" : "init");
        for (int i = 0; i < n; i++)
            if (codes[i] != OPT_STEPS && codes[i] != OPT_STOP_AT)
                grok_usage("--%s cannot be combined with --resume (the run's /config fixes it)",
                           flag_name(codes[i]));
    } else {
        struct grok_err err;
        grok_config_defaults(&o.cfg);
        if (preset && grok_config_preset(&o.cfg, preset, &err))
            grok_usage("%s", err.msg);
        for (int i = 0; i < n; i++)
            apply(&o, codes[i], args[i]);
        for (int i = 0; i < n; i++)
            check_family(codes[i], o.cfg.model.arch);
        /* without a preset or an explicit scheme, each model family gets its usual one */
        if (!preset && !scheme_given && model_given && o.cfg.model.arch == GROK_MLP)
            o.cfg.init = GROK_INIT_TORCH;
        if (o.init)
            snprintf(o.cfg.init_from, sizeof o.cfg.init_from, "%s", o.init);
        if (grok_config_resolve(&o.cfg, &err))
            grok_usage("%s", err.msg);
    }
    free(codes);
    free(args);
    return o;
}

/* What the hooks need: the table writer and the progress bar. */
struct session {
    struct grok_text_out text;
    struct grok_tsv_writer tsv;
    int table;
    struct grok_progress bar;
};

static void write_header(struct session *s, const struct grok_train_config *c)
{
    char buf[64];
    grok_tsv_meta(&s->tsv, "program", "grok-train");
    if (c->preset[0])
        grok_tsv_meta(&s->tsv, "preset", c->preset);
    grok_tsv_meta(&s->tsv, "op", grok_op_name(c->op));
    snprintf(buf, sizeof buf, "%d", c->p);
    grok_tsv_meta(&s->tsv, "p", buf);
    snprintf(buf, sizeof buf, "%lld", c->seed);
    grok_tsv_meta(&s->tsv, "seed", buf);
    for (int i = 0; i < 7; i++)
        grok_tsv_str(&s->tsv, grok_metric_names[i]);
    grok_tsv_end_row(&s->tsv);
    fflush(s->text.f);
}

static void on_eval(void *ctx, const struct grok_eval *e)
{
    struct session *s = ctx;
    char note[40];
    snprintf(note, sizeof note, "train %.3f test %.3f", e->train_acc, e->test_acc);
    grok_progress_note(&s->bar, note);
    if (!s->table)
        return;
    grok_tsv_i64(&s->tsv, e->step);
    grok_tsv_f64(&s->tsv, e->train_loss);
    grok_tsv_f64(&s->tsv, e->train_acc);
    grok_tsv_f64(&s->tsv, e->test_loss);
    grok_tsv_f64(&s->tsv, e->test_acc);
    grok_tsv_f64(&s->tsv, e->param_norm);
    grok_tsv_f64(&s->tsv, e->lr);
    grok_tsv_end_row(&s->tsv);
    fflush(s->text.f);   /* live, for awk and gnuplot downstream */
}

static void on_step(void *ctx, long long step)
{
    struct session *s = ctx;
    grok_progress_update(&s->bar, step);
}

int main(int argc, char **argv)
{
    grok_cli_init("grok-train", argc, argv);
    struct opts o = parse_args(argc, argv);
    struct grok_err err = {0};
    struct grok_trainer *t = NULL;
    struct grok_run *in = NULL, *out = NULL;
    struct session s = {0};
    int rc = GROK_EXIT_DATA;
    enum grok_train_end end = GROK_TRAIN_FAILED;

    /* -o FILE.tsv or a table without -o: the table alone; otherwise the run, and with -t the
     * table on standard output beside it */
    struct grok_common no_t = o.co;
    no_t.table = 0;
    int table_only = grok_output_is_table(&no_t) || (!o.co.output && o.co.table);
    s.table = o.co.table || table_only;

    if (o.resume) {
        if (!(in = grok_run_open(o.resume, &err)) || grok_config_read(in, &o.cfg, &err))
            goto fail;
        if (o.steps_given)
            o.cfg.steps = o.steps;
        if (o.stop_at_given) {
            o.cfg.stop_at = o.stop_at;
            if (grok_config_resolve(&o.cfg, &err)) {
                grok_run_close(in);
                grok_usage("%s", err.msg);
            }
        }
    }
    if (!(t = grok_trainer_new(&o.cfg, &err))) {
        if (err.code != GROK_EINVAL || o.resume)   /* a resumed run's settings are data */
            goto fail;
        grok_run_close(in);
        grok_usage("%s", err.msg);   /* a glob that selects nothing: a usage error */
    }
    grok_fpenv_flush_subnormals();   /* before the workers start: they inherit it */
    if (grok_trainer_set_threads(t, o.threads, &err))
        goto fail;
    if (o.resume) {
        if (grok_trainer_resume(t, in, &err))
            goto fail;
        if (o.stop_at_given)
            grok_trainer_reset_streak(t);   /* counted against another threshold */
        if (grok_trainer_step_count(t) > o.cfg.steps) {
            long long at = grok_trainer_step_count(t);
            grok_trainer_free(t);
            grok_run_close(in);
            grok_usage("--steps %lld: %s is already at step %lld", o.cfg.steps, o.resume, at);
        }
    }
    if (o.init) {
        struct grok_run *state = grok_run_open(o.init, &err);
        int bad = !state || grok_trainer_load_params(t, state, &err);
        grok_run_close(state);
        if (bad)
            goto fail;
    }
    if (!table_only) {
        if (!(out = grok_run_create(o.co.output, &err)))
            goto fail;
        if (in ? grok_train_resume_run(t, out, in, &err) : grok_trainer_write_setup(t, out, &err))
            goto fail;
        if (grok_run_history_add(out, "grok-train", argc, argv, &err) || grok_run_flush(out, &err))
            goto fail;
    }
    if (s.table) {
        if (grok_text_open(&s.text, table_only ? o.co.output : NULL, &err))
            goto fail;
        grok_tsv_init(&s.tsv, s.text.f);
        write_header(&s, grok_trainer_config(t));
    }
    grok_run_close(in);
    in = NULL;

    struct grok_train_hooks hooks = {.on_eval = on_eval, .on_step = on_step,
                                     .interrupted = grok_interrupted, .ctx = &s};
    grok_progress_start(&s.bar, "grok-train", o.cfg.steps, o.co.quiet);
    grok_progress_update(&s.bar, grok_trainer_step_count(t));
    end = grok_train_loop(t, out, !o.resume, &hooks, &err);
    grok_progress_end(&s.bar);
    if (end == GROK_TRAIN_FAILED)
        goto fail;
    /* a run that stopped on a non-finite loss is still written: it holds every finite step */
    if (out && grok_run_commit(out, &err))
        goto fail;
    if (s.table && grok_text_finish(&s.text, 1, &err))
        goto fail;
    s.table = 0;
    if (end == GROK_TRAIN_NONFINITE) {
        long long at = grok_trainer_step_count(t), kept = grok_trainer_last_eval(t);
        if (kept >= 0)
            grok_error("the loss is not finite at step %lld; the run keeps the evaluations up to step %lld",
                       at, kept);
        else
            grok_error("the loss is not finite at step %lld", at);
        rc = GROK_EXIT_DATA;
    } else {
        rc = end == GROK_TRAIN_INTERRUPTED ? GROK_EXIT_INTERRUPTED : GROK_EXIT_OK;
    }
    goto done;
fail:
    rc = grok_cli_failed(&s.text, &err);
done:
    grok_run_close(out);
    grok_run_close(in);
    grok_trainer_free(t);
    return rc;
}
