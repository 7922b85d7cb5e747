/* grok-train: train a model on a modular arithmetic task (or one of Musat's regression toys)
 * and write the run. */
#include "grok/cli.h"
#include "grok/config.h"
#include "grok/train_session.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: grok-train [options]\n"
    "Train a network on (a op b) mod p and write the run: config, split, metrics, snapshots, state.\n"
    "Defaults are Nanda et al.'s reference model (--preset nanda); flags override a preset.\n"
    "\n"
    "Task:\n"
    "      --preset NAME      nanda, xu, xu-slow, alquabeh, alquabeh-raw, musat, musat-gd,\n"
    "                         musat-linear, musat-linear3, musat-linear2 (see grok-train(1))\n"
    "      --task KIND        modular, or regress-sum:N: Musat's toy, y = x_1 + ... + x_N from one\n"
    "                         sample (1, ..., 1), 100 test points x ~ N(0, I) [modular]\n"
    "      --op OP            add sub mul div x2y2 x2xyy2 x3xy rand            [add]\n"
    "      --p P              the modulus                                       [113]\n"
    "      --frac F           training fraction of all pairs, 0 < F < 1         [0.3]\n"
    "      --test-frac F      hold out F of all pairs as the test set first, and train on\n"
    "                         --frac of all pairs from the rest (P3)   [0: the rest is test]\n"
    "      --split KIND       random; uniform (each operand value equally often); or\n"
    "                         skewed[:S] (value of random rank r weighs r^-S, Zipf; S 1) [random]\n"
    "      --split-skew S     the skewed split's exponent alone (as skewed:S)    [1]\n"
    "      --pairs KIND       ordered, or unordered: only the pairs a <= b (Musat) [ordered]\n"
    "      --data-seed N      seed of the split alone                           [0]\n"
    "      --ctx LAYOUT       ab= (Nanda), ab (Xu), aob= (AlQuabeh)             [ab=]\n"
    "Model:\n"
    "      --model KIND       transformer or mlp                                [transformer]\n"
    "      --layers N  --d-model D  --heads H  --d-head E  --d-mlp M            [1 128 4 D/H 512]\n"
    "      --act A            relu, gelu (exact erf); mlp only: quad, identity, leaky\n"
    "                         (slope 0.1)                                       [relu]\n"
    "      --norm KIND        none, or pre (pre-LayerNorm and a final LayerNorm) [none]\n"
    "      --attn KIND        causal or full                                    [causal]\n"
    "      --readout POS      last or first: the position that is unembedded    [last]\n"
    "      --embed D|onehot|raw|onehot-sum   mlp input: learned embedding width, one-hot, raw\n"
    "                         numbers, or the sum of the tokens' one-hot codes  [128]\n"
    "      --hidden W[,W...]|none  mlp hidden widths; none: a linear map        [512]\n"
    "      --bias yes|none    mlp: biases, or none (Musat's networks)          [yes]\n"
    "      --loss KIND        ce, mse or stablemax (Prieto et al. 2025)         [ce]\n"
    "      --init-scheme S    nanda or torch (see grok-train(1))                [nanda; mlp torch]\n"
    "      --init-scale C     multiply the drawn initial weights by C           [1]\n"
    "      --init STATE       start from the parameters in STATE's /state (grok-snap --at)\n"
    "      --init-values V,V,...  start from these parameters, in the flat order of grok-train(1)\n"
    "Optimisation:\n"
    "      --opt KIND         adamw, adam (L2 decay), sgd                       [adamw]\n"
    "      --lr R  --wd W  --beta1 B1  --beta2 B2  --eps E  --momentum M      [1e-3 1 0.9 0.98 1e-8 0]\n"
    "      --warmup N         linear learning-rate warm-up over N updates       [10]\n"
    "      --clip NORM        clip the global gradient norm; 0 for none         [0]\n"
    "      --batch full|N     full batch, or N pairs drawn with replacement     [full]\n"
    "      --sampler freq:GAMMA  P3's frequency-aware draws: token i weighs exp(|dL/dE_i|^2/GAMMA)\n"
    "                         from the last step, a pair the product of its tokens' [uniform]\n"
    "      --lr-mult GLOB=C   learning rate ×C for matching parameters (repeatable)\n"
    "      --embed-lr-auto N  P3's adaptive embedding rate, every N updates: c = (s_max(E) /\n"
    "                         s_max(W)) / (distinct tokens in the batch / vocabulary) [0: off]\n"
    "      --freeze GLOB      never update matching parameters (repeatable)\n"
    "      --dynamics KIND    gd (the optimiser), or closed-form: Musat's flow of the first\n"
    "                         layer, W1 += lr (X^T[(A Y Y^T A H) * s'(X W1)] - W1), the second\n"
    "                         layer the interpolant H^T A Y, A = (H H^T)^-1 (grok-train(1)) [gd]\n"
    "Gradient transforms (grok-train(1), GRADIENT FILTERS), in this order, before clipping:\n"
    "      --jac-reg LAMBDA   GrokAlign: add LAMBDA * mean |J_x|_F, J_x the Jacobian of the\n"
    "                         logits with respect to the embedded input (grok-train(1),\n"
    "                         JACOBIAN REGULARISER)                            [0: off]\n"
    "      --jac-target T     the inhibit variant: LAMBDA * |T - mean |J_x|_F| instead\n"
    "      --jac-projections R  random projections per example for |J_x|_F; 0 exact  [1]\n"
    "      --grokfast ema:ALPHA:LAMBDA | ma:WINDOW:LAMBDA  Grokfast: g <- g + LAMBDA h, h the\n"
    "                         EMA (Grokfast's 0.98:2) or the mean of the last WINDOW gradients\n"
    "      --ortho-grad[=rescale|plain]  remove from each tensor's gradient its part along its\n"
    "                         weights, then rescale to its norm (the authors' code) or not\n"
    "Interventions (P1; grok-train(1), INTERVENTIONS), from update --from on:\n"
    "      --suppress [BASIS:]S  after clipping, g <- g - S (g - B B^T g), S in [0, 1]; B the\n"
    "                         /pca/basis of the run BASIS (or of --basis)\n"
    "      --suppress-scope all|covered  project every parameter's gradient (P1's code), or\n"
    "                         only the rows the basis covers                   [all]\n"
    "      --kick ALPHA[:EVERY]  after the update, move by ALPHA*|eta g_A| along the commutator's\n"
    "                         part outside B, at --from or every EVERY updates [once]\n"
    "      --kick-direction commutator|random  random: the control, a random unit direction\n"
    "                         outside B of the same size                       [commutator]\n"
    "      --kick-samples K  --kick-eta ETA  commutator samples (median defect's), its step [5 1e-3]\n"
    "      --noise NORM[:EVERY]  add Gaussian noise outside B of norm NORM      [once]\n"
    "      --kick-every N  --noise-every N  the cadences alone                [0: once]\n"
    "      --basis RUN        the subspace: RUN's /pca/basis (grok-pca of a finished run)\n"
    "      --basis-random covered|all  the random control: a random orthonormal basis of B's\n"
    "                         rank on B's coordinates, or on every parameter   [none]\n"
    "      --from STEP        the first update the interventions act on         [1]\n"
    "      --intervene-seed N seed of their generator (random bases, batches, noise) [seed+99999]\n"
    "Run:\n"
    "      --steps N          total updates                                     [25000]\n"
    "      --eval-every N     evaluate (loss, accuracy, norm, lr) every N steps [100]\n"
    "      --metrics collapse also the softmax-collapse fractions (grok-train(1), STABLEMAX)\n"
    "      --snapshot-every N snapshot every N steps, from step 0; 0 for none   [500]\n"
    "      --snapshot GLOB    parameters to snapshot (repeatable)               [all]\n"
    "      --stop-at ACC      stop at test accuracy >= ACC three evaluations in a row\n"
    "      --seed N           seed of the initialisation and the batches        [0]\n"
    "      --threads N        threads, a slice of the batch each; 0: all cores  [0;\n"
    "                         --resume: the run's own, /config@threads]\n"
    "      --resume RUN       continue RUN exactly, to --steps (default: its own); --stop-at\n"
    "                         may be given anew (0 continues a run that stopped there)\n"
    "      --checkpoint-every N|Ts  write a resumable checkpoint every N steps or every\n"
    "                         T seconds (30s, 5m, 1h); 0 for none                [60s]\n"
    "      --checkpoint FILE  where checkpoints go            [OUTPUT.part; for a stream,\n"
    "                         grok-train-HASH.part here]; removed once the run is written\n"
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
    "After a kill (SIGKILL, a power cut, a job's time limit), continue from the checkpoint:\n"
    "grok-train --resume run.h5.part -o run.h5 gives the run an uninterrupted one would.\n"
    "\n"
    "Examples:\n"
    "  grok-train --preset nanda -o run.h5\n"
    "  grok-train --model mlp --p 23 --frac 0.6 --embed 32 --hidden 256 --lr 1e-2 --warmup 0 --stop-at 0.99 -t > mlp.tsv\n"
    "  grok-train --preset xu --op sub --steps 4000 --stop-at 0.99 | grok-snap -t metrics\n"
    "  grok-train --resume run.h5 --steps 30000 -o run-longer.h5\n"
    "  grok-train --preset xu --steps 3000 --snapshot-every 100 -o base.h5 && grok-pca base.h5 -o basis.h5\n"
    "  grok-train --preset xu --steps 3000 --from 500 --suppress basis.h5:0.5 -o half.h5\n"
    "  grok-train --preset xu --steps 3000 --from 500 --basis basis.h5 --kick 100:50 -o kicked.h5\n"
    "  grok-train --preset xu --op mul --grokfast ema:0.98:2 --stop-at 0.99 -o fast.h5\n"
    "  grok-train --model mlp --p 23 --loss stablemax --wd 0 --metrics collapse -t > stablemax.tsv\n"
    "  grok-train --preset nanda --jac-reg 1e-3 --freeze embed,unembed --stop-at 0.99 -o align.h5\n"
    "  grok-train --preset musat -o musat.h5 && grok-fourier -t musat.h5\n"
    "  grok-train --preset musat-linear --wd 0.2 -q | grok-snap -t snapshots\n";

/* Long options without a short form. */
enum {
    OPT_PRESET = 256, OPT_OP, OPT_P, OPT_FRAC, OPT_SPLIT, OPT_DATA_SEED, OPT_CTX,
    OPT_MODEL, OPT_LAYERS, OPT_D_MODEL, OPT_HEADS, OPT_D_HEAD, OPT_D_MLP, OPT_ACT, OPT_NORM,
    OPT_ATTN, OPT_READOUT, OPT_EMBED, OPT_HIDDEN, OPT_LOSS, OPT_INIT_SCHEME, OPT_INIT_SCALE,
    OPT_INIT, OPT_OPT, OPT_LR, OPT_WD, OPT_BETA1, OPT_BETA2, OPT_EPS, OPT_MOMENTUM, OPT_WARMUP,
    OPT_CLIP, OPT_BATCH, OPT_LR_MULT, OPT_FREEZE, OPT_STEPS, OPT_EVAL_EVERY, OPT_SNAPSHOT_EVERY,
    OPT_SNAPSHOT, OPT_STOP_AT, OPT_SEED, OPT_THREADS, OPT_RESUME, OPT_CHECKPOINT,
    OPT_CHECKPOINT_EVERY, OPT_BASIS, OPT_BASIS_RANDOM, OPT_INTERVENE_SEED, OPT_FROM, OPT_SUPPRESS,
    OPT_SUPPRESS_SCOPE, OPT_KICK, OPT_KICK_EVERY, OPT_KICK_DIRECTION, OPT_KICK_SAMPLES, OPT_KICK_ETA,
    OPT_NOISE, OPT_NOISE_EVERY, OPT_GROKFAST, OPT_ORTHO_GRAD, OPT_METRICS, OPT_JAC_REG,
    OPT_JAC_TARGET, OPT_JAC_PROJECTIONS, OPT_TEST_FRAC, OPT_SPLIT_SKEW, OPT_SAMPLER, OPT_EMBED_LR_AUTO,
    OPT_TASK, OPT_PAIRS, OPT_BIAS, OPT_DYNAMICS, OPT_INIT_VALUES,
};

/* Every flag of grok-train but the common ones takes a value (--ortho-grad's is optional). */
#define ARG(name, code) {name, required_argument, NULL, code}
static const struct option longopts[] = {
    GROK_COMMON_LONGOPTS,
    ARG("preset", OPT_PRESET), ARG("op", OPT_OP), ARG("p", OPT_P), ARG("frac", OPT_FRAC),
    ARG("split", OPT_SPLIT), ARG("data-seed", OPT_DATA_SEED), ARG("ctx", OPT_CTX),
    ARG("model", OPT_MODEL), ARG("layers", OPT_LAYERS), ARG("d-model", OPT_D_MODEL),
    ARG("heads", OPT_HEADS), ARG("d-head", OPT_D_HEAD), ARG("d-mlp", OPT_D_MLP),
    ARG("act", OPT_ACT), ARG("norm", OPT_NORM), ARG("attn", OPT_ATTN), ARG("readout", OPT_READOUT),
    ARG("embed", OPT_EMBED), ARG("hidden", OPT_HIDDEN), ARG("loss", OPT_LOSS),
    ARG("init-scheme", OPT_INIT_SCHEME), ARG("init-scale", OPT_INIT_SCALE), ARG("init", OPT_INIT),
    ARG("opt", OPT_OPT), ARG("lr", OPT_LR), ARG("wd", OPT_WD), ARG("beta1", OPT_BETA1),
    ARG("beta2", OPT_BETA2), ARG("eps", OPT_EPS), ARG("momentum", OPT_MOMENTUM),
    ARG("warmup", OPT_WARMUP), ARG("clip", OPT_CLIP), ARG("batch", OPT_BATCH),
    ARG("lr-mult", OPT_LR_MULT), ARG("freeze", OPT_FREEZE), ARG("steps", OPT_STEPS),
    ARG("eval-every", OPT_EVAL_EVERY), ARG("snapshot-every", OPT_SNAPSHOT_EVERY),
    ARG("snapshot", OPT_SNAPSHOT), ARG("stop-at", OPT_STOP_AT), ARG("seed", OPT_SEED),
    ARG("threads", OPT_THREADS), ARG("resume", OPT_RESUME), ARG("checkpoint", OPT_CHECKPOINT),
    ARG("checkpoint-every", OPT_CHECKPOINT_EVERY), ARG("basis", OPT_BASIS),
    ARG("basis-random", OPT_BASIS_RANDOM), ARG("intervene-seed", OPT_INTERVENE_SEED), ARG("from", OPT_FROM),
    ARG("suppress", OPT_SUPPRESS), ARG("suppress-scope", OPT_SUPPRESS_SCOPE), ARG("kick", OPT_KICK),
    ARG("kick-every", OPT_KICK_EVERY), ARG("kick-direction", OPT_KICK_DIRECTION),
    ARG("kick-samples", OPT_KICK_SAMPLES), ARG("kick-eta", OPT_KICK_ETA), ARG("noise", OPT_NOISE),
    ARG("noise-every", OPT_NOISE_EVERY), ARG("grokfast", OPT_GROKFAST),
    {"ortho-grad", optional_argument, NULL, OPT_ORTHO_GRAD}, ARG("metrics", OPT_METRICS),
    ARG("jac-reg", OPT_JAC_REG), ARG("jac-target", OPT_JAC_TARGET),
    ARG("jac-projections", OPT_JAC_PROJECTIONS), ARG("test-frac", OPT_TEST_FRAC),
    ARG("split-skew", OPT_SPLIT_SKEW), ARG("sampler", OPT_SAMPLER),
    ARG("embed-lr-auto", OPT_EMBED_LR_AUTO), ARG("task", OPT_TASK), ARG("pairs", OPT_PAIRS),
    ARG("bias", OPT_BIAS), ARG("dynamics", OPT_DYNAMICS), ARG("init-values", OPT_INIT_VALUES),
    {NULL, 0, NULL, 0},
};
#undef ARG

struct opts {
    struct grok_common co;
    struct grok_train_config cfg;
    struct grok_train_request rq;   /* --resume, its --steps and --stop-at, --init, --threads */
};

/* The long name of an option code, for messages. */
static const char *flag_name(int code)
{
    for (const struct option *o = longopts; o->name; o++)
        if (o->val == code)
            return o->name;
    return "?";
}

/* --threads, the one integer flag that is no setting. */
static int parse_threads(const char *s)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno)
        grok_usage("--threads '%s': not an integer", s);
    if (v < 0 || v > 1024)
        grok_usage("--threads %s: must be between 0 and 1024", s);
    return (int)v;
}

/* --checkpoint-every: N steps, or a time (N s, N m, N h; a real N); 0 for none. */
static void parse_checkpoint_every(const char *s, struct grok_train_request *rq)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    double unit = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : 0;
    if (end == s || errno || !(v >= 0) || (*end && (unit == 0 || end[1])))
        grok_usage("--checkpoint-every '%s': not a number of steps or a time (60s, 5m, 1h)", s);
    rq->checkpoint_steps = 0;
    rq->checkpoint_seconds = 0;
    if (unit > 0) {
        if (v * unit > 1e9)
            grok_usage("--checkpoint-every %s: at most 1e9 seconds", s);
        rq->checkpoint_seconds = v * unit;
    } else if (v != (long long)v || v > (double)(1LL << 40)) {
        grok_usage("--checkpoint-every %s: a number of steps is a whole number up to 2^40 "
                   "(a time needs its unit: s, m or h)", s);
    } else {
        rq->checkpoint_steps = (long long)v;
    }
}

/* Applies a setting flag (by its option code) to c, or with arg NULL checks that it belongs to
 * c's model family; a refusal is a usage error. */
static void setting(struct grok_train_config *c, int code, const char *arg)
{
    char flag[32];
    struct grok_err err;
    snprintf(flag, sizeof flag, "--%s", flag_name(code));
    if (arg ? grok_config_apply_flag(c, flag, arg, &err) : grok_config_check_family(c, flag, &err))
        grok_usage("%s", err.msg);
}

static struct opts parse_args(int argc, char **argv)
{
    static const char *const no_tables[] = {NULL};
    struct opts o = {.co.table_kinds = no_tables, .rq.checkpoint_seconds = 60};
    /* static: still reachable when a usage error exits from the middle of parsing */
    static int *codes;
    static char **args;
    codes = calloc((size_t)argc, sizeof *codes);
    args = calloc((size_t)argc, sizeof *args);
    struct grok_train_config one;
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
        case OPT_RESUME: o.rq.resume = optarg; break;
        case OPT_INIT: o.rq.init = optarg; break;
        case OPT_THREADS: o.rq.threads = parse_threads(optarg), o.rq.threads_given = 1; break;
        case OPT_CHECKPOINT: o.rq.checkpoint = optarg; break;
        case OPT_CHECKPOINT_EVERY: parse_checkpoint_every(optarg, &o.rq); break;
        case OPT_ORTHO_GRAD:
            codes[n] = c;
            args[n++] = optarg ? optarg : "rescale";
            break;
        case OPT_STOP_AT:
        case OPT_STEPS:
            /* --resume takes them too: read at once, into a config of their own */
            one = (struct grok_train_config){0};
            setting(&one, c, optarg);
            if (c == OPT_STOP_AT)
                o.rq.stop_at_given = 1, o.rq.stop_at = one.stop_at;
            else
                o.rq.steps_given = 1, o.rq.steps = one.steps;
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
    if (o.rq.checkpoint && (!*o.rq.checkpoint || strcmp(o.rq.checkpoint, "-") == 0 ||
                            (o.co.output && strcmp(o.rq.checkpoint, o.co.output) == 0)))
        grok_usage("--checkpoint '%s': a file of its own, not the output", o.rq.checkpoint);
    if (o.rq.resume) {
        if (preset || o.rq.init)
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
            setting(&o.cfg, codes[i], args[i]);
        for (int i = 0; i < n; i++)
            setting(&o.cfg, codes[i], NULL);
        /* without a preset or an explicit scheme, each model family gets its usual one */
        if (!preset && !scheme_given && model_given && o.cfg.model.arch == GROK_MLP)
            o.cfg.init = GROK_INIT_TORCH;
        if (o.rq.init)
            snprintf(o.cfg.init_from, sizeof o.cfg.init_from, "%s", o.rq.init);
        if (grok_config_resolve(&o.cfg, &err))
            grok_usage("%s", err.msg);
    }
    free(codes);
    free(args);
    return o;
}

int main(int argc, char **argv)
{
    grok_cli_init("grok-train", argc, argv);
    struct opts o = parse_args(argc, argv);
    o.rq.co = &o.co;
    struct grok_train_session *s = NULL;
    struct grok_err err = {0};
    long long at = 0;
    switch (grok_train_session_open(&s, &o.cfg, &o.rq, &at, &err)) {
    case GROK_TRAIN_OPENED:
        break;
    case GROK_TRAIN_BAD_SETTINGS:
        grok_usage("%s", err.msg);
    case GROK_TRAIN_PAST_END:
        grok_usage("--steps %lld: %s is already at step %lld", o.cfg.steps, o.rq.resume, at);
    default:
        return grok_cli_failed(NULL, &err);
    }
    int rc = grok_train_session_run(s);
    grok_train_session_free(s);
    return rc;
}
