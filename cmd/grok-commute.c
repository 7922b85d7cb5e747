/* grok-commute: commutator defects of SGD steps along a run's path, inside and outside the
 * execution subspace (P1). The work is libgrok's (grok_commute_run). */
#include "grok/analysis.h"
#include "grok/cli.h"
#include "grok/commute_run.h"
#include "grok/pool.h"
#include "grok/select.h"

static const char usage[] =
    "Usage: grok-commute [options] [RUN]\n"
    "Commutator defects along a run's path (P1): two SGD steps on minibatches A and B taken in\n"
    "both orders, D = |theta_AB - theta_BA| / (|eta g_A| |eta g_B|), and the share of the defect\n"
    "inside the execution subspace of grok-pca. RUN (with snapshots of every parameter) is read\n"
    "from standard input when absent or '-'.\n"
    "\n"
    "  -s, --steps FROM:TO[:EVERY]   the snapshots (default all)\n"
    "  -K, --samples K        pairs of minibatches per snapshot (default 9)\n"
    "      --batch N          examples per minibatch, drawn with replacement (default 512)\n"
    "      --eta ETA          the SGD step, from 1e-12 to 1 (default 1e-3)\n"
    "      --basis RUN        take /pca/basis from RUN (default: the input's own /pca)\n"
    "      --random-bases R   random orthonormal bases of the same rank, the control (default 5)\n"
    "      --seed N           seeds the minibatches and the random bases (default 0)\n"
    "      --threads N        threads, samples split between them; 0: all cores (default 0)\n"
    "      --float            gradients in float32 (grok-train's own code) instead of double\n"
    "  -t, --table            a table, one row per snapshot\n"
    "  -o, --output FILE      write to FILE (TSV when -t or FILE ends in .tsv, else a run)\n"
    "  -q, --quiet            no progress, only errors\n"
    "  -h, --help             this help;  -V, --version  the version\n"
    "\n"
    "Without -t the output is the run with /commute added (to a terminal, the table).\n"
    "Exit status: 0 success, 1 bad data or I/O failure, 2 bad usage, 130 interrupted.\n"
    "\n"
    "Examples:\n"
    "  grok-train --preset xu --p 23 --frac 0.6 --d-model 32 --heads 2 --d-mlp 64 --batch 128 --lr 3e-3 --steps 3000 -q -o xu.h5\n"
    "  grok-pca xu.h5 | grok-commute -K 3 --batch 16 -s 0:500 -t\n";

struct opts {
    struct grok_common co;
    struct grok_selection sel;   /* -s */
    struct grok_commute_opts c;
    const char *input;
};

static struct opts parse_args(int argc, char **argv)
{
    enum { OPT_BATCH = 256, OPT_ETA, OPT_BASIS, OPT_RANDOM, OPT_SEED, OPT_THREADS, OPT_FLOAT };
    static const struct option longopts[] = {
        GROK_COMMON_LONGOPTS,
        {"steps", required_argument, NULL, 's'},
        {"samples", required_argument, NULL, 'K'},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"eta", required_argument, NULL, OPT_ETA},
        {"basis", required_argument, NULL, OPT_BASIS},
        {"random-bases", required_argument, NULL, OPT_RANDOM},
        {"seed", required_argument, NULL, OPT_SEED},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"float", no_argument, NULL, OPT_FLOAT},
        {NULL, 0, NULL, 0},
    };
    static const char *const no_tables[] = {NULL};
    struct opts o = {.co.table_kinds = no_tables, .sel = {.steps = GROK_STEPS_ALL},
                     .c = {.K = 9, .batch = 512, .eta = 1e-3, .random_bases = 5}};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, GROK_COMMON_SHORTOPTS "s:K:", longopts, NULL)) != -1) {
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
        case OPT_BASIS: o.c.basis_path = optarg; break;
        case OPT_RANDOM: o.c.random_bases = (int)grok_flag_int("--random-bases", optarg, 0, 1000); break;
        case OPT_SEED: o.c.seed = grok_flag_int("--seed", optarg, 0, 0xFFFFFFFFLL); break;
        case OPT_THREADS: o.c.threads = (int)grok_flag_int("--threads", optarg, 0, GROK_POOL_MAX); break;
        case OPT_FLOAT: o.c.use_float = 1; break;
        }
    }
    o.input = grok_cli_input(&o.co, argc, argv);
    return o;
}

int main(int argc, char **argv)
{
    grok_cli_init("grok-commute", argc, argv);
    struct opts o = parse_args(argc, argv);
    struct grok_analysis_io io = {.input = o.input, .co = &o.co, .sel = &o.sel};
    return grok_commute_run(&o.c, &io);
}
