/* The settings of a training run: task, model, optimiser and schedule, with the papers' presets,
 * and their record in a run's /config (one attribute per setting, named after grok-train's long
 * flags; see grok-train(1)). A run's /config is enough to rebuild its model and data.
 *
 * Owns: struct grok_train_config, its defaults and presets, its checks (grok_config_resolve), the
 * glob and multiplier lists, and /config: one table of settings (attribute, type, field, flag,
 * limits) drives the writer, the reader, the look-up of one setting and grok-train's setting
 * flags, so no other module names a /config attribute or parses a setting's flag. A check names
 * a setting by grok-train's flag when the settings came from the command line, and by its
 * attribute ("/config@lr_mult") when they came from a run.
 * May call: task (the task's check and names), model (the activation's check, a probe build,
 * names), optim (names), select (glob syntax), names, cli's real-number parser, and run's
 * attribute I/O. Called by: runmodel, the trainer (train, train_run, train_session), the
 * analyses that read a stored setting (fourier_run, events) and grok-train. */
#ifndef GROK_CONFIG_H
#define GROK_CONFIG_H

#ifdef __cplusplus
extern "C" {
#endif

#include "grok/err.h"
#include "grok/model.h"
#include "grok/optim.h"
#include "grok/run.h"
#include "grok/task.h"

#define GROK_CFG_TEXT 512   /* room for a list flag's text (globs, hidden widths) */

struct grok_train_config {
    char preset[32];            /* the preset the run started from, "" for none */
    /* task */
    enum grok_op op;
    int p;
    double frac;                /* training fraction of all pairs (0, 1) */
    double test_frac;           /* --test-frac: a test set held out first; 0 all the rest */
    enum grok_split split;
    double split_skew;          /* --split skewed:S, the exponent (grok_dataset_make) */
    char sampler[32];           /* --sampler freq:GAMMA (P3's frequency-aware draws); "" uniform */
    long long embed_lr_auto;    /* --embed-lr-auto N: P3's adaptive embedding rate every N steps; 0 off */
    long long data_seed;        /* seeds the split alone */
    char task[32];              /* --task: "" the modular task of op and p, or "regress-sum:N"
                                 * (Musat's regression toys: task.h, grok_regress_make) */
    int unordered;              /* --pairs unordered: only the pairs a ≤ b (Musat's data) */
    enum grok_ctx ctx;
    /* model: n_ctx, d_vocab and d_vocab_out follow from the task (grok_config_resolve) */
    struct grok_model_config model;
    int readout_last;           /* --readout last (1) or first (0) */
    enum grok_init init;
    double init_scale;
    char init_from[GROK_CFG_TEXT];   /* --init STATE: the run the parameters came from, or "" */
    char init_values[GROK_CFG_TEXT]; /* --init-values V,V,...: every parameter, in flat order
                                      * (a toy model's starting point), or "" */
    /* optimisation */
    struct grok_optim_config opt;
    double clip;                /* global gradient norm limit; 0 for none */
    int batch;                  /* examples per step, drawn with replacement; 0 for full batch */
    char lr_mult[GROK_CFG_TEXT];     /* "GLOB=C,GLOB=C", "" for none */
    char freeze[GROK_CFG_TEXT];      /* "GLOB,GLOB", "" for none */
    /* schedule */
    long long steps;            /* total updates of the run */
    long long eval_every;
    long long snapshot_every;   /* 0: no snapshots */
    char snapshot[GROK_CFG_TEXT];    /* "GLOB,GLOB" of the parameters to snapshot, "" for all */
    double stop_at;             /* stop at this test accuracy (three evaluations in a row); 0: never */
    long long seed;             /* initialisation and batch order */
    /* P1's interventions (grok-train(1), INTERVENTIONS), each off (-1) unless asked for; the
     * settings below are written to /config only when one is on */
    char basis[GROK_CFG_TEXT];  /* --basis RUN: the run whose /pca/basis is the subspace */
    int basis_random;           /* --basis-random: 0 the basis itself, 1 a random basis of its rank
                                 * on the coordinates it covers, 2 on every parameter */
    long long intervene_seed;   /* --intervene-seed: the interventions' own generator */
    long long intervene_from;   /* --from: the first update (counted from 1) they act on */
    double suppress;            /* --suppress S: g ← g − S (g − B Bᵀ g); -1 off */
    int suppress_scope;         /* --suppress-scope: 0 every parameter (P1's code), 1 covered */
    double kick;                /* --kick ALPHA: ε = ALPHA ‖η g_A‖; -1 off */
    long long kick_every;       /* kicks every N updates from --from; 0 once */
    int kick_direction;         /* 0 the commutator's part outside the basis, 1 random */
    int kick_samples;           /* commutator samples per kick (the median defect's is used) */
    double kick_eta;            /* the commutator's step η */
    double noise;               /* --noise NORM: Gaussian noise outside the basis; -1 off */
    long long noise_every;      /* every N updates from --from; 0 once */
    const char *intervention_flag;   /* the key of the first intervention setting given as a
                                      * flag (grok_config_apply_flag), or NULL: refused without
                                      * an intervention even at its default value */
    /* gradient filters (grok-train(1), GRADIENT FILTERS), written to /config only when on */
    char grokfast[64];          /* --grokfast ema:ALPHA:LAMBDA or ma:WINDOW:LAMBDA; "" off */
    int ortho_grad;             /* --ortho-grad: 0 off, 1 rescale (the authors' code), 2 plain */
    /* GrokAlign's regulariser (grok-train(1), JACOBIAN REGULARISER), written only when on */
    double jac_reg;             /* --jac-reg LAMBDA: λ · mean ‖J_x‖_F added to the loss; 0 off */
    double jac_target;          /* --jac-target T: λ |T − mean ‖J_x‖_F| instead; -1 off */
    int jac_projections;        /* --jac-projections R: random projections per example; 0 exact */
    int dynamics;               /* --dynamics: 0 gradient descent (the optimiser), 1 Musat's
                                 * closed form of the first layer (lib/closedform.c) */
    int metrics;                /* --metrics collapse (1): the evaluations' softmax-collapse
                                 * columns (grok-train(1), STABLEMAX); 0 none, kept from /config */
};

/* Grokfast's two filters (Lee et al. 2024). */
enum grok_grokfast_kind { GROK_GROKFAST_EMA = 1, GROK_GROKFAST_MA = 2 };

/* Parses --grokfast's text: "ema:ALPHA:LAMBDA" (0 <= ALPHA < 1) or "ma:WINDOW:LAMBDA" (WINDOW a
 * whole number from 1 to 100000), LAMBDA at least 0 and finite, into *kind, *a (ALPHA, or
 * WINDOW) and *lambda. GROK_EINVAL with a reason naming `what` (the flag, or the attribute). */
int grok_config_parse_grokfast(const char *what, const char *text, enum grok_grokfast_kind *kind,
                               double *a, double *lambda, struct grok_err *err);

/* Parses --sampler's text: "uniform" (*gamma 0) or "freq:GAMMA" (GAMMA above 0 and finite).
 * GROK_EINVAL with a reason naming `what`. */
int grok_config_parse_sampler(const char *what, const char *text, double *gamma, struct grok_err *err);

/* Parses a list of numbers "V,V,..." (--init-values) into v (up to cap of them; v may be NULL
 * to count). Returns how many the text holds, or -1 with GROK_EINVAL in err naming `what`
 * when an item is not a finite number or the list is empty. */
int grok_config_parse_values(const char *what, const char *text, double *v, int cap,
                             struct grok_err *err);

/* The largest commutator step of a kick (the same bound as grok-commute's --eta). */
#define GROK_KICK_ETA_MAX 1.0

/* Whether c asks for any of P1's interventions (suppression, kicks, noise). */
int grok_config_intervenes(const struct grok_train_config *c);

/* The defaults: Nanda et al.'s reference model (the nanda preset). */
void grok_config_defaults(struct grok_train_config *c);

/* Sets c to a preset (nanda, xu, xu-slow, alquabeh, alquabeh-raw): the defaults with the
 * paper's settings over them. GROK_EINVAL for an unknown name (c then holds the defaults). */
int grok_config_preset(struct grok_train_config *c, const char *name, struct grok_err *err);

/* Derives what follows from the other settings (context length, vocabularies, the readout
 * position) and checks the whole, each integer within its flag's limits: GROK_EINVAL with a
 * one-line reason naming the flag (for settings from grok-train's command line). */
int grok_config_resolve(struct grok_train_config *c, struct grok_err *err);

/* Whether a parameter name is selected by a list of globs "G1,G2" ("" selects nothing): a glob
 * selects a name it matches whole, and every name under it ("embed" selects "embed.W_E",
 * "blocks.0" every tensor of block 0). */
int grok_config_selects(const char *globs, const char *name);

/* The learning-rate multiplier of a parameter under "GLOB=C,..." (the last match wins; 1 when
 * none matches). */
double grok_config_lr_mult(const char *spec, const char *name);

/* The first glob of a list "G1,G2" or "G1=C1,G2=C2" (the "=C" dropped) that selects none of the
 * n names, copied into glob (cap bytes); 0 when each selects one, 1 when one selects none. */
int grok_config_unmatched_glob(const char *list, const char *const *names, int n, char *glob,
                               size_t cap);

/* Checks a glob list "G1,G2": GROK_EINVAL with a reason naming the list as `what` ("--freeze" on
 * the command line, "/config@freeze" from a run). */
int grok_config_check_globs(const char *what, const char *globs, struct grok_err *err);

/* Checks a multiplier list "GLOB=C,..." as given to --lr-mult: GROK_EINVAL naming --lr-mult. */
int grok_config_check_lr_mult(const char *spec, struct grok_err *err);

/* Applies one of grok-train's setting flags to c: `flag` is the flag as typed in full ("--lr",
 * "--op", "--lr-mult"), `text` its value. Sets the setting (a list flag, --lr-mult, --freeze or
 * --snapshot, appends to its list); the checks that span settings are grok_config_resolve's.
 * GROK_EINVAL with a one-line reason naming the flag and value when text is not a value of it
 * ("--p 'x': not an integer", "--op 'pow': expected one of add sub ..."), c unchanged;
 * GROK_ENOTFOUND when flag is not a setting's flag, or is --preset or --init, which set more than
 * one setting (grok_config_preset; the run the parameters come from). */
int grok_config_apply_flag(struct grok_train_config *c, const char *flag, const char *text,
                           struct grok_err *err);

/* Checks that a setting flag given on the command line belongs to c's model family: GROK_EINVAL
 * "--layers: applies to --model transformer only" for a flag of the other family, since grok-train
 * refuses it rather than ignore it; GROK_OK for a flag of both families or no setting's flag. */
int grok_config_check_family(const struct grok_train_config *c, const char *flag, struct grok_err *err);

/* Names of the model-shape choices, indexed by the values they set: --model (enum grok_arch:
 * transformer, mlp), --norm (none 0, pre 1), --attn (full 0, causal 1), --readout (first 0,
 * last 1). A _parse function returns -1 for an unknown name; a _name one "?" for a bad value. */
const char *grok_arch_name(int arch);
int grok_arch_parse(const char *name);
const char *grok_norm_name(int norm);
int grok_norm_parse(const char *name);
const char *grok_attn_name(int causal);
int grok_attn_parse(const char *name);
const char *grok_readout_name(int last);
int grok_readout_parse(const char *name);

/* Parse --embed's text (a width, "onehot" or "raw") and --hidden's (widths "W,W,...") into m;
 * GROK_EINVAL when the text is not one. */
int grok_config_parse_embed(struct grok_model_config *m, const char *text);
int grok_config_parse_hidden(struct grok_model_config *m, const char *text);

/* Writes every setting of c (resolved) as an attribute of /config, in the table's order, the
 * other family's model settings left out. GROK_EIO with err filled. */
int grok_config_write(struct grok_run *run, const struct grok_train_config *c, struct grok_err *err);

/* The thread count a run was trained with, /config@threads: not a setting (the config table
 * neither needs nor checks it) but a record, since the count decides how the batch's gradient
 * is summed and so the last bits of every number. Reading it gives GROK_ENOTFOUND for a run
 * written before it was recorded, GROK_EFORMAT outside 1..1024. */
int grok_config_write_threads(struct grok_run *run, int threads, struct grok_err *err);
int grok_config_read_threads(struct grok_run *run, int *threads, struct grok_err *err);

/* Checks the lists of parameter globs of a resolved c (freeze, snapshot, lr_mult) against the
 * model c describes: a list that selects no parameter (for lr_mult, a glob of it), or a snapshot
 * list that selects none while snapshots are taken, is refused with GROK_EINVAL, naming the
 * setting by its flag ("--freeze 'x': selects no parameter of the model") or, with `stored`
 * (settings read from a run), by its attribute ("/config@freeze 'x': ..."). GROK_ENOMEM when the
 * model's layout cannot be built. Apart from resolving because only training needs it: an
 * analysis of a run does not care what its training froze. */
int grok_config_check_params(const struct grok_train_config *c, int stored, struct grok_err *err);

/* Reads a run's /config into c and resolves it. GROK_ENOTFOUND naming the attribute a run lacks;
 * GROK_EFORMAT when a stored value is refused, named as data: "run.h5: /config@lr_mult 'x=y': ...",
 * "run.h5: /config@p 96: div needs a prime modulus ..." (any other refusal of the model module
 * comes as "run.h5: /config does not describe a model: ..."). */
int grok_config_read(struct grok_run *run, struct grok_train_config *c, struct grok_err *err);

/* One stored setting by its attribute name (a key of the table: "op", "preset", "p", "lr"...),
 * as text for a setting stored as a string (*text malloc'd, the caller frees it) or as a number
 * for one stored as an integer or a real; the value as stored, unchecked. GROK_ENOTFOUND when the
 * run lacks it (an older run, or one written by another tool), GROK_EFORMAT when the attribute is
 * not of its type, GROK_EINVAL when key is no setting stored that way. */
int grok_config_get_text(struct grok_run *run, const char *key, char **text, struct grok_err *err);
int grok_config_get_number(struct grok_run *run, const char *key, double *v, struct grok_err *err);

/* What reading a run's weights needs to know of its task and tokens. */
struct grok_config_shape {
    int p;              /* the modulus, 2 to GROK_P_MAX */
    int n_ctx, d_vocab; /* the token layout; both 0 when /config lacks either */
    int arch;           /* enum grok_arch, or -1 when /config@model is absent or unknown */
    int input;          /* an MLP's enum grok_mlp_input, or -1 when /config@embed is absent or not one */
};

/* Reads the shape from /config without resolving the rest, so that it works on a run written by
 * another tool that records only p. Fails only on p: GROK_ENOTFOUND when it is absent,
 * GROK_EFORMAT when it is not an integer from 2 to GROK_P_MAX ("run.h5: /config@p 1: ..."). */
int grok_config_read_shape(struct grok_run *run, struct grok_config_shape *s, struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
