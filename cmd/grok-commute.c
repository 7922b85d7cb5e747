/* grok-commute: commutator defects of SGD steps along a run's path, inside and outside the
 * execution subspace (P1), and their summary by phase of training; with --hessian, the loss's
 * curvature per block of parameters (P3). The work is libgrok's (grok_commute_run,
 * grok_hessian_run). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grok/analysis.h"
#include "grok/cli.h"
#include "grok/commute_run.h"
#include "grok/hessian_run.h"
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
    "                         row per phase: early, memorisation, transition, post-grok); with\n"
    "                         --hessian, hessian (one row per snapshot, block and eigenvalue)\n"
    "The curvature per block (P3; grok-commute(1), HESSIAN), written to /hessian instead:\n"
    "      --hessian GLOB[,GLOB]  a block: the parameters the globs select (repeatable: one\n"
    "                         block each); the Hessian of the training loss restricted to it\n"
    "  -k K                   its K largest eigenvalues, by Lanczos (default 1)\n"
    "      --hutchinson M     and Hutchinson's estimate of its trace from M probes (default 10;\n"
    "                         0 none)\n"
    "      --hessian-batch N  the loss over N training pairs drawn with --seed (default all)\n"
    "      --lanczos-tol T  --lanczos-max N  relative residual, products per block [1e-4 100]\n"
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
    "  grok-commute --basis svd:3 -K 3 --batch 16 -s 0:500 -t phases xu.h5\n"
    "  grok-commute --hessian embed --hessian blocks.0.mlp.W_in -k 2 -s 0:500 -t xu.h5\n";

struct opts {
    struct grok_common co;
    struct grok_selection sel;   /* -s */
    struct grok_commute_opts c;
    struct grok_hessian_opts h;
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
           OPT_PHASE_TRAIN, OPT_PHASE_LOW, OPT_PHASE_HIGH, OPT_ALIGN_STEP, OPT_HESSIAN,
           OPT_HUTCHINSON, OPT_HESSIAN_BATCH, OPT_LANCZOS_TOL, OPT_LANCZOS_MAX };
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
        {"hessian", required_argument, NULL, OPT_HESSIAN},
        {"hutchinson", required_argument, NULL, OPT_HUTCHINSON},
        {"hessian-batch", required_argument, NULL, OPT_HESSIAN_BATCH},
        {"lanczos-tol", required_argument, NULL, OPT_LANCZOS_TOL},
        {"lanczos-max", required_argument, NULL, OPT_LANCZOS_MAX},
        {NULL, 0, NULL, 0},
    };
    static const char *const tables[] = {"snapshots", "phases", "hessian", NULL};
    struct opts o = {.co.table_kinds = tables,
                     .c = {.K = 9, .batch = 512, .eta = 1e-3, .random_bases = 5,
                           .phase_train = GROK_PHASE_TRAIN, .phase_test_low = GROK_PHASE_TEST_LOW,
                           .phase_test_high = GROK_PHASE_TEST_HIGH},
                     .h = {.k = 1, .hutchinson = 10, .tol = 1e-4, .max_iter = 100}};
    struct grok_err err;
    int c, k_given = 0;
    const char *hessian_flag = NULL, *commute_flag = NULL;
    opterr = 0;
    if (grok_selection_init(&o.sel, argc, &err) != GROK_OK)
        grok_die(GROK_EXIT_DATA, "%s", err.msg);
    while ((c = getopt_long(argc, argv, GROK_COMMON_SHORTOPTS "p:s:K:k:", longopts, NULL)) != -1) {
        if (grok_cli_common(c, argc, argv, &o.co, usage) || grok_cli_select(c, optarg, &o.sel))
            continue;
        switch (c) {
        case OPT_HESSIAN:
            if (!*optarg)
                grok_usage("--hessian: an empty glob");
            if (o.h.n_blocks == GROK_HESSIAN_BLOCKS)
                grok_usage("--hessian: at most %d blocks", GROK_HESSIAN_BLOCKS);
            o.h.blocks[o.h.n_blocks++] = optarg;
            break;
        case 'k': o.h.k = (int)grok_flag_int("-k", optarg, 1, 1000), k_given = 1; break;
        case OPT_HUTCHINSON:
            o.h.hutchinson = (int)grok_flag_int("--hutchinson", optarg, 0, 100000);
            hessian_flag = "--hutchinson";
            break;
        case OPT_HESSIAN_BATCH:
            o.h.batch = (int)grok_flag_int("--hessian-batch", optarg, 1, 1 << 30);
            hessian_flag = "--hessian-batch";
            break;
        case OPT_LANCZOS_TOL:
            if (grok_flag_real(optarg, &o.h.tol) || !(o.h.tol > 0 && o.h.tol < 1))
                grok_usage("--lanczos-tol: bad value '%s' (a relative residual between 0 and 1)", optarg);
            hessian_flag = "--lanczos-tol";
            break;
        case OPT_LANCZOS_MAX:
            o.h.max_iter = (int)grok_flag_int("--lanczos-max", optarg, 1, 100000);
            hessian_flag = "--lanczos-max";
            break;
        case 'K': o.c.K = (int)grok_flag_int("-K", optarg, 1, 100000), commute_flag = "-K"; break;
        case OPT_BATCH: o.c.batch = (int)grok_flag_int("--batch", optarg, 1, 1 << 24); break;
        case OPT_ETA:
            if (grok_flag_real(optarg, &o.c.eta) || !(o.c.eta >= GROK_COMMUTE_ETA_MIN) ||
                !(o.c.eta <= GROK_COMMUTE_ETA_MAX))
                grok_usage("--eta: bad value '%s' (a number from %g to %g, e.g. 1e-3)", optarg,
                           GROK_COMMUTE_ETA_MIN, GROK_COMMUTE_ETA_MAX);
            break;
        case OPT_BASIS: parse_basis(optarg, &o.c); break;
        case OPT_RANDOM: o.c.random_bases = (int)grok_flag_int("--random-bases", optarg, 0, 1000); break;
        case OPT_SEED: o.h.seed = o.c.seed = grok_flag_int("--seed", optarg, 0, 0xFFFFFFFFLL); break;
        case OPT_THREADS:
            o.h.threads = o.c.threads = (int)grok_flag_int("--threads", optarg, 0, GROK_POOL_MAX);
            break;
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
    if (o.h.n_blocks) {
        if (commute_flag || o.c.svd_k || o.c.basis_path || o.sel.nglobs)
            grok_usage("--hessian: %s belongs to the commutators, not to the Hessian",
                       commute_flag ? commute_flag : o.sel.nglobs ? "-p" : "--basis");
        int kind = o.co.table_arg ? grok_cli_table_kind(&o.co) : 2;
        if (o.co.table && kind != 2)
            grok_usage("-t %s: not a table of --hessian (hessian)", kind == 0 ? "snapshots" : "phases");
        o.input = grok_cli_input(&o.co, argc, argv);
        return o;
    }
    if (hessian_flag || k_given || (o.co.table && o.co.table_arg && grok_cli_table_kind(&o.co) == 2))
        grok_usage("%s: applies only with --hessian", hessian_flag ? hessian_flag : k_given ? "-k" : "-t hessian");
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
    int rc = o.h.n_blocks ? grok_hessian_run(&o.h, &io) : grok_commute_run(&o.c, &io);
    grok_selection_free(&o.sel);
    return rc;
}
