/* grok-align: Jacobian and centroid alignment of a network with its training inputs over a run's
 * snapshots (P4, GrokAlign); with --manifold, the motion along the zero-loss set (P2). The work is
 * libgrok's (grok_align_run, grok_manifold_run). */
#include "grok/align_run.h"
#include "grok/analysis.h"
#include "grok/cli.h"
#include "grok/manifold_run.h"
#include "grok/pool.h"
#include "grok/select.h"

#include <stdint.h>

static const char usage[] =
    "Usage: grok-align [options] [RUN]\n"
    "Jacobian and centroid alignment (P4) at each snapshot of a run, over its training pairs:\n"
    "the centroid mu_x = J_x^T 1 of each input x (J_x the Jacobian of the logits with respect to\n"
    "the continuous input), cos(mu_x, x) (min, mean, max), <x, mu_x>, |mu_x|, |J_x|_F and, with\n"
    "--exact, the share of J_x's first singular value, sigma_1^2 / sum sigma_i^2 (means over the\n"
    "points). RUN (with snapshots of every parameter) is read from standard input when absent\n"
    "or '-'.\n"
    "\n"
    "  -s, --steps FROM:TO[:EVERY]   the snapshots (default all)\n"
    "      --sample N         N training pairs drawn without replacement (default: all of them)\n"
    "      --seed N           seeds the sample and the projections (default 0)\n"
    "      --projections R    estimate |J_x|_F from R random unit projections per point\n"
    "                         (default: exactly, one backward pass per output)\n"
    "      --exact            the whole J_x of each point: |J_x|_F and the PC1 share\n"
    "      --threads N        threads, the points split between them; 0: all cores (default 0)\n"
    "Motion along the zero-loss set (P2; grok-align(1), THE ZERO-LOSS SET), to /manifold instead:\n"
    "      --manifold         at each snapshot but the last: J, the Jacobian of every training\n"
    "                         output by every parameter (small models only), its null space by\n"
    "                         an SVD, and the cosine between the next update and the projection\n"
    "                         of -theta onto that null space\n"
    "      --rank-tol R       singular values above R sigma_1 count towards the rank\n"
    "                         (default max(rows, params) times the machine epsilon)\n"
    "  -t, --table            a table, one row per snapshot\n"
    "  -o, --output FILE      write to FILE (TSV when -t or FILE ends in .tsv, else a run)\n"
    "  -q, --quiet            no progress, only errors\n"
    "  -h, --help             this help;  -V, --version  the version\n"
    "\n"
    "Without -t the output is the run with /align added (to a terminal, the table).\n"
    "Exit status: 0 success, 1 bad data or I/O failure, 2 bad usage, 130 interrupted.\n"
    "\n"
    "Examples:\n"
    "  grok-train --preset xu --p 23 --frac 0.6 --d-model 32 --heads 2 --d-mlp 64 --batch 128 --lr 3e-3 --steps 3000 -q -o p23.h5   # groks in seconds\n"
    "  grok-align -t p23.h5\n"
    "  grok-align --exact --sample 50 -s 0:20:8 -t p23.h5\n"
    "  grok-align --projections 4 p23.h5 | grok-snap -t align\n"
    "  grok-train --preset musat-linear -q | grok-align --manifold -t\n";

struct opts {
    struct grok_common co;
    struct grok_selection sel;   /* -s */
    struct grok_align_opts a;
    int manifold;                /* --manifold */
    struct grok_manifold_opts mf;
    const char *input;
};

static struct opts parse_args(int argc, char **argv)
{
    enum { OPT_SAMPLE = 256, OPT_SEED, OPT_PROJ, OPT_EXACT, OPT_THREADS, OPT_MANIFOLD, OPT_RANK_TOL };
    static const struct option longopts[] = {
        GROK_COMMON_LONGOPTS,
        {"steps", required_argument, NULL, 's'},
        {"sample", required_argument, NULL, OPT_SAMPLE},
        {"seed", required_argument, NULL, OPT_SEED},
        {"projections", required_argument, NULL, OPT_PROJ},
        {"exact", no_argument, NULL, OPT_EXACT},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"manifold", no_argument, NULL, OPT_MANIFOLD},
        {"rank-tol", required_argument, NULL, OPT_RANK_TOL},
        {NULL, 0, NULL, 0},
    };
    static const char *const no_tables[] = {NULL};
    struct opts o = {.co.table_kinds = no_tables, .sel = {.steps = GROK_STEPS_ALL}};
    const char *align_flag = NULL;
    int c, rank_tol_given = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, GROK_COMMON_SHORTOPTS "s:", longopts, NULL)) != -1) {
        if (grok_cli_common(c, argc, argv, &o.co, usage) || grok_cli_select(c, optarg, &o.sel))
            continue;
        switch (c) {
        case OPT_SAMPLE: o.a.sample = grok_flag_int("--sample", optarg, 1, INT32_MAX); break;
        case OPT_SEED: o.a.seed = grok_flag_int("--seed", optarg, 0, 0xFFFFFFFFLL); break;
        case OPT_PROJ: o.a.projections = (int)grok_flag_int("--projections", optarg, 1, 100000); break;
        case OPT_EXACT: o.a.exact = 1; break;
        case OPT_THREADS: o.a.threads = (int)grok_flag_int("--threads", optarg, 0, GROK_POOL_MAX); break;
        case OPT_MANIFOLD: o.manifold = 1; break;
        case OPT_RANK_TOL:
            if (grok_flag_real(optarg, &o.mf.rank_tol) || !(o.mf.rank_tol > 0 && o.mf.rank_tol < 1))
                grok_usage("--rank-tol '%s': a number above 0 and below 1", optarg);
            rank_tol_given = 1;
            break;
        default: break;
        }
        static const char *const align_flags[] = {"sample", "seed", "projections", "exact", "threads"};
        if (c >= OPT_SAMPLE && c <= OPT_THREADS)
            align_flag = align_flags[c - OPT_SAMPLE];
    }
    if (o.manifold && align_flag)
        grok_usage("--%s: belongs to the alignment, not to --manifold", align_flag);
    if (rank_tol_given && !o.manifold)
        grok_usage("--rank-tol: applies only with --manifold");
    if (o.a.exact && o.a.projections)
        grok_usage("--exact and --projections exclude each other (--exact computes all of J_x)");
    o.input = grok_cli_input(&o.co, argc, argv);
    return o;
}

int main(int argc, char **argv)
{
    grok_cli_init("grok-align", argc, argv);
    struct opts o = parse_args(argc, argv);
    struct grok_analysis_io io = {.input = o.input, .co = &o.co, .sel = &o.sel};
    return o.manifold ? grok_manifold_run(&o.mf, &io) : grok_align_run(&o.a, &io);
}
