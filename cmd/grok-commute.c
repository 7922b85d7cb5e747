/* grok-commute: commutator defects of SGD steps along a run's path, inside and outside the
 * execution subspace (P1), and their summary by phase of training. The work is libgrok's
 * (grok_commute_run). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grok/analysis.h"
#include "grok/cli.h"
#include "grok/commute_run.h"
#include "grok/pool.h"
#include "grok/select.h"

static const char usage[] =
    "Usage: grok-commute [options] [RUN]\n"
    "Commutator defects along a run's path (P1): two SGD steps on minibatches A and B taken in\n"
    "both orders, D = |theta_AB - theta_BA| / (|eta g_A| |eta g_B|), and the share of the defect\n"
    "inside an execution subspace: grok-pca's trajectory basis, or the top singular directions of\n"
    "the attention matrices at each snapshot (P1's figures); the median ratio to random bases by\n"
    "phase of training. RUN (with snapshots of every parameter) is read from standard input when\n"
    "absent or '-'.\n"
    "\n"
    "  -s, --steps FROM:TO[:EVERY]   the snapshots (default all)\n"
    "  -K, --samples K        pairs of minibatches per snapshot (default 9)\n"
    "      --batch N          examples per minibatch, drawn with replacement (default 512)\n"
    "      --eta ETA          the SGD step, from 1e-12 to 1 (default 1e-3)\n"
    "      --basis RUN        take /pca/basis from RUN (default: the input's own /pca)\n"
    "      --basis svd:K      the local basis: each matrix's top K singular directions u v^T at\n"
    "                         each snapshot, orthonormalised together (P1's code: K = 3)\n"
    "  -p, --param GLOB       with svd:K, the matrices (default 'blocks.*.attn.W_[QKVO]')\n"
    "      --random-bases R   random orthonormal bases of the same rank, the control (default 5)\n"
    "      --seed N           seeds the minibatches and the random bases (default 0)\n"
    "      --threads N        threads, samples split between them; 0: all cores (default 0)\n"
    "      --float            gradients in float32 (grok-train's own code) instead of double\n"
    "      --align-step previous|next  c_t (align) against the step from the previous\n"
    "                         snapshot (P1's code; nan at the first) or to the next (default previous)\n"
    "      --phase-train A    memorised from training accuracy A on (default 0.95)\n"
    "      --phase-test-low A   memorisation while test accuracy is below A (default 0.3)\n"
    "      --phase-test-high A  post-grok from test accuracy A on (default 0.95)\n"
    "  -t, --table [KIND]     a table: snapshots (default, one row per snapshot) or phases (one\n"
    "                         row per phase: early, memorisation, transition, post-grok)\n"
    "  -o, --output FILE      write to FILE (TSV when -t or FILE ends in .tsv, else a run)\n"
    "  -q, --quiet            no progress, only errors\n"
    "  -h, --help             this help;  -V, --version  the version\n"
    "\n"
    "Without -t the output is the run with /commute added (to a terminal, the table).\n"
    "Exit status: 0 success, 1 bad data or I/O failure, 2 bad usage, 130 interrupted.\n"
    "\n"
    "Examples:\n"
    "  grok-train --preset xu --p 23 --frac 0.6 --d-model 32 --heads 2 --d-mlp 64 --batch 128 --lr 3e-3 --steps 3000 -q -o xu.h5\n"
    "  grok-pca xu.h5 | grok-commute -K 3 --batch 16 -s 0:500 -t\n"
    "  grok-commute --basis svd:3 -K 3 --batch 16 -s 0:500 -t phases xu.h5\n";

struct opts {
    struct grok_common co;
    struct grok_selection sel;   /* -s */
    struct grok_commute_opts c;
    const char *input;
};

/* --basis: "svd:K" (K from 1 to 10000) sets o->svd_k, anything else names a run. */
static void parse_basis(const char *text, struct grok_commute_opts *o)
{
    o->basis_path = NULL;
    o->svd_k = 0;
    if (strncmp(text, "svd:", 4) != 0) {
        o->basis_path = text;
        return;
    }
    char *end;
    errno = 0;
    long long k = strtoll(text + 4, &end, 10);
    if (text[4] < '0' || text[4] > '9' || *end || errno || k < 1 || k > 10000)
        grok_usage("--basis: bad value '%s' (svd:K with K a whole number from 1 to 10000, or a run)",
                   text);
    o->svd_k = (int)k;
}

/* A phase threshold: an accuracy from 0 to 1. */
static double parse_accuracy(const char *flag, const char *text)
{
    double v;
    if (grok_flag_real(text, &v) || !(v >= 0) || !(v <= 1))
        grok_usage("%s: bad value '%s' (an accuracy from 0 to 1)", flag, text);
    return v;
}

static struct opts parse_args(int argc, char **argv)
{
    enum { OPT_BATCH = 256, OPT_ETA, OPT_BASIS, OPT_RANDOM, OPT_SEED, OPT_THREADS, OPT_FLOAT,
           OPT_PHASE_TRAIN, OPT_PHASE_LOW, OPT_PHASE_HIGH, OPT_ALIGN_STEP };
    static const struct option longopts[] = {
        GROK_COMMON_LONGOPTS,
        {"param", required_argument, NULL, 'p'},
        {"steps", required_argument, NULL, 's'},
        {"samples", required_argument, NULL, 'K'},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"eta", required_argument, NULL, OPT_ETA},
        {"basis", required_argument, NULL, OPT_BASIS},
        {"random-bases", required_argument, NULL, OPT_RANDOM},
        {"seed", required_argument, NULL, OPT_SEED},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"float", no_argument, NULL, OPT_FLOAT},
        {"phase-train", required_argument, NULL, OPT_PHASE_TRAIN},
        {"phase-test-low", required_argument, NULL, OPT_PHASE_LOW},
        {"phase-test-high", required_argument, NULL, OPT_PHASE_HIGH},
        {"align-step", required_argument, NULL, OPT_ALIGN_STEP},
        {NULL, 0, NULL, 0},
    };
    static const char *const tables[] = {"snapshots", "phases", NULL};
    struct opts o = {.co.table_kinds = tables,
                     .c = {.K = 9, .batch = 512, .eta = 1e-3, .random_bases = 5,
                           .phase_train = GROK_PHASE_TRAIN, .phase_test_low = GROK_PHASE_TEST_LOW,
                           .phase_test_high = GROK_PHASE_TEST_HIGH}};
    struct grok_err err;
    int c;
    opterr = 0;
    if (grok_selection_init(&o.sel, argc, &err) != GROK_OK)
        grok_die(GROK_EXIT_DATA, "%s", err.msg);
    while ((c = getopt_long(argc, argv, GROK_COMMON_SHORTOPTS "p:s:K:", longopts, NULL)) != -1) {
        if (grok_cli_common(c, argc, argv, &o.co, usage) || grok_cli_select(c, optarg, &o.sel))
            continue;
        switch (c) {
        case 'K': o.c.K = (int)grok_flag_int("-K", optarg, 1, 100000); break;
        case OPT_BATCH: o.c.batch = (int)grok_flag_int("--batch", optarg, 1, 1 << 24); break;
        case OPT_ETA:
            if (grok_flag_real(optarg, &o.c.eta) || !(o.c.eta >= GROK_COMMUTE_ETA_MIN) ||
                !(o.c.eta <= GROK_COMMUTE_ETA_MAX))
                grok_usage("--eta: bad value '%s' (a number from %g to %g, e.g. 1e-3)", optarg,
                           GROK_COMMUTE_ETA_MIN, GROK_COMMUTE_ETA_MAX);
            break;
        case OPT_BASIS: parse_basis(optarg, &o.c); break;
        case OPT_RANDOM: o.c.random_bases = (int)grok_flag_int("--random-bases", optarg, 0, 1000); break;
        case OPT_SEED: o.c.seed = grok_flag_int("--seed", optarg, 0, 0xFFFFFFFFLL); break;
        case OPT_THREADS: o.c.threads = (int)grok_flag_int("--threads", optarg, 0, GROK_POOL_MAX); break;
        case OPT_FLOAT: o.c.use_float = 1; break;
        case OPT_ALIGN_STEP:
            if (strcmp(optarg, "previous") != 0 && strcmp(optarg, "next") != 0)
                grok_usage("--align-step '%s': expected previous or next", optarg);
            o.c.align_next = strcmp(optarg, "next") == 0;
            break;
        case OPT_PHASE_TRAIN: o.c.phase_train = parse_accuracy("--phase-train", optarg); break;
        case OPT_PHASE_LOW: o.c.phase_test_low = parse_accuracy("--phase-test-low", optarg); break;
        case OPT_PHASE_HIGH: o.c.phase_test_high = parse_accuracy("--phase-test-high", optarg); break;
        }
    }
    if (o.sel.nglobs && !o.c.svd_k)
        grok_usage("-p chooses the matrices of --basis svd:K, which is not given");
    if (o.c.phase_test_low > o.c.phase_test_high)
        grok_usage("--phase-test-low %g is above --phase-test-high %g", o.c.phase_test_low,
                   o.c.phase_test_high);
    o.c.table = (enum grok_commute_table)grok_cli_table_kind(&o.co);
    o.input = grok_cli_input(&o.co, argc, argv);
    return o;
}

int main(int argc, char **argv)
{
    grok_cli_init("grok-commute", argc, argv);
    struct opts o = parse_args(argc, argv);
    struct grok_analysis_io io = {.input = o.input, .co = &o.co, .sel = &o.sel};
    int rc = grok_commute_run(&o.c, &io);
    grok_selection_free(&o.sel);
    return rc;
}
