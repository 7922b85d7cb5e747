/* grok-fourier: the Fourier spectrum of embeddings and unembeddings over training: key
 * frequencies, sparsity (Gini) and P2's circle measures; with --progress, Nanda et al.'s
 * progress measures from the model run over the whole input grid. The work is libgrok's
 * (grok_fourier_run, grok_measures_run). */
#include <string.h>

#include "grok/analysis.h"
#include "grok/cli.h"
#include "grok/fourier_run.h"
#include "grok/measures_run.h"
#include "grok/select.h"
#include "grok/task.h"

static const char usage[] =
    "Usage: grok-fourier [options] [RUN]\n"
    "The Fourier spectrum of a run's embeddings over the p number tokens, at every snapshot:\n"
    "key frequencies, their share, the Gini sparsity of the spectrum, and P2's circle measures.\n"
    "RUN is read from standard input when absent or '-'.\n"
    "\n"
    "  -p, --param GLOB       the matrices (repeatable; default embed.W_E's first p rows and\n"
    "                         unembed.W_U transposed; a one-hot MLP's mlp.0.W first p rows)\n"
    "  -s, --steps FROM:TO[:EVERY]   the snapshots (default all)\n"
    "      --key-share S      the key frequencies: those with more than S of the power\n"
    "                         (default 0.05)\n"
    "      --keys N           instead, the N strongest frequencies\n"
    "      --key-step STEP    the circle measures follow the keys of the snapshot nearest\n"
    "                         STEP (default the last selected)\n"
    "  -t, --table[=KIND]     a table: summary (one row per snapshot and matrix) or spectrum\n"
    "                         (one row per snapshot, matrix and frequency); with --progress:\n"
    "                         progress, neurons, coefficients or weights\n"
    "Nanda et al.'s progress measures (grok-fourier(1), PROGRESS MEASURES), written to /progress:\n"
    "      --progress         run the transformer over all p*p pairs at every snapshot: neuron\n"
    "                         key frequencies, restricted and excluded loss, logit coefficients\n"
    "      --keys-from last|each|STEP  the key frequencies of the last snapshot, of each, or\n"
    "                         of the snapshot nearest STEP                      [last]\n"
    "      --neuron-share S   a neuron counts for its frequency when that explains S of its\n"
    "                         variance                                          [0.85]\n"
    "      --key-neurons N    a key frequency has N such neurons or more        [1]\n"
    "      --threads N        threads for the grid's forward passes; 0 all cores [0]\n"
    "  -o, --output FILE      write to FILE (TSV when -t or FILE ends in .tsv, else a run)\n"
    "  -q, --quiet            no progress, only errors\n"
    "  -h, --help             this help;  -V, --version  the version\n"
    "\n"
    "Without -t the output is the run with /fourier added (to a terminal, the summary table).\n"
    "Exit status: 0 success, 1 bad data or I/O failure, 2 bad usage, 130 interrupted.\n"
    "\n"
    "Examples:\n"
    "  grok-fourier -t run.h5\n"
    "  grok-fourier -p embed.W_E --keys 2 -t run.h5\n"
    "  grok-fourier -p unembed.W_U -t spectrum run.h5 > spectrum.tsv\n"
    "  grok-fourier -s 0:500 run.h5 -o fourier.h5\n"
    "  grok-train --preset nanda --p 23 --steps 3000 --snapshot-every 100 -q | grok-fourier --progress -t > progress.tsv\n"
    "  grok-fourier --progress -t neurons run.h5 | awk -F'\\t' '$1 == 3000 && $4 >= 0.85' | cut -f3 | sort -n | uniq -c\n";

struct opts {
    struct grok_common co;
    struct grok_selection sel;   /* -p, -s */
    struct grok_fourier_opts f;
    struct grok_measures_opts m;
    int progress;                /* --progress, or a table of its */
    const char *input;
};

static struct opts parse_args(int argc, char **argv)
{
    enum { OPT_KEYS = 256, OPT_KEY_SHARE, OPT_KEY_STEP, OPT_PROGRESS, OPT_KEYS_FROM,
           OPT_NEURON_SHARE, OPT_KEY_NEURONS, OPT_THREADS };
    static const struct option longopts[] = {
        GROK_COMMON_LONGOPTS,
        {"param", required_argument, NULL, 'p'},
        {"steps", required_argument, NULL, 's'},
        {"keys", required_argument, NULL, OPT_KEYS},
        {"key-share", required_argument, NULL, OPT_KEY_SHARE},
        {"key-step", required_argument, NULL, OPT_KEY_STEP},
        {"progress", no_argument, NULL, OPT_PROGRESS},
        {"keys-from", required_argument, NULL, OPT_KEYS_FROM},
        {"neuron-share", required_argument, NULL, OPT_NEURON_SHARE},
        {"key-neurons", required_argument, NULL, OPT_KEY_NEURONS},
        {"threads", required_argument, NULL, OPT_THREADS},
        {NULL, 0, NULL, 0},
    };
    /* in the order of enum grok_fourier_table, then of enum grok_measures_table */
    static const char *const tables[] = {"summary", "spectrum", "progress", "neurons",
                                         "coefficients", "weights", NULL};
    struct opts o = {.co.table_kinds = tables, .f.key_share = 0.05,
                     .m = {.neuron_share = 0.85, .key_neurons = 1, .keys_from = GROK_KEYS_LAST}};
    struct grok_err err;
    int c, keys_given = 0, share_given = 0, spectrum_flag = 0;
    const char *progress_flag = NULL;
    opterr = 0;
    if (grok_selection_init(&o.sel, argc, &err) != GROK_OK)
        grok_die(GROK_EXIT_DATA, "%s", err.msg);
    while ((c = getopt_long(argc, argv, GROK_COMMON_SHORTOPTS "p:s:", longopts, NULL)) != -1) {
        if (grok_cli_common(c, argc, argv, &o.co, usage) || grok_cli_select(c, optarg, &o.sel))
            continue;
        switch (c) {
        case OPT_PROGRESS:
            o.progress = 1;
            break;
        case OPT_KEYS_FROM:
            progress_flag = "--keys-from";
            if (strcmp(optarg, "last") == 0)
                o.m.keys_from = GROK_KEYS_LAST;
            else if (strcmp(optarg, "each") == 0)
                o.m.keys_from = GROK_KEYS_EACH;
            else {
                double step;
                if (grok_flag_real(optarg, &step) || !(step >= 0 && step <= 9e18) || step != (double)(long long)step)
                    grok_usage("--keys-from '%s': expected last, each or a step", optarg);
                o.m.keys_from = GROK_KEYS_STEP;
                o.m.keys_step = (long long)step;
            }
            break;
        case OPT_NEURON_SHARE:
            progress_flag = "--neuron-share";
            if (grok_flag_real(optarg, &o.m.neuron_share) || !(o.m.neuron_share >= 0 && o.m.neuron_share <= 1))
                grok_usage("--neuron-share: bad value '%s' (a share from 0 to 1)", optarg);
            break;
        case OPT_KEY_NEURONS:
            progress_flag = "--key-neurons";
            o.m.key_neurons = (int)grok_flag_int("--key-neurons", optarg, 1, 1 << 20);
            break;
        case OPT_THREADS:
            progress_flag = "--threads";
            o.m.threads = (int)grok_flag_int("--threads", optarg, 0, 4096);
            break;
        case OPT_KEYS:
            o.f.keys = (int)grok_flag_int("--keys", optarg, 1, GROK_P_MAX);
            keys_given = 1;
            break;
        case OPT_KEY_SHARE:
            if (grok_flag_real(optarg, &o.f.key_share) || !(o.f.key_share >= 0 && o.f.key_share < 1))
                grok_usage("--key-share: bad value '%s' (a share from 0 to below 1)", optarg);
            share_given = 1;
            break;
        case OPT_KEY_STEP:
            o.f.key_step = grok_flag_int("--key-step", optarg, 0, 9000000000000000000LL);
            o.f.have_key_step = 1;
            break;
        }
    }
    spectrum_flag = keys_given || share_given || o.f.have_key_step;
    if (keys_given && share_given)
        grok_usage("--keys and --key-share: give one of them");
    int kind = grok_cli_table_kind(&o.co);
    if (o.co.table && kind >= 2)
        o.progress = 1;
    if (o.progress && !o.co.table_arg)   /* a bare -t: the progress table */
        kind = 2;
    if (o.progress && o.co.table && kind < 2)
        grok_usage("-t %s: not a table of --progress (progress, neurons, coefficients, weights)",
                   tables[kind]);
    if (o.progress && spectrum_flag)
        grok_usage("--progress: %s belongs to the spectrum, not to the progress measures",
                   keys_given ? "--keys" : share_given ? "--key-share" : "--key-step");
    if (!o.progress && progress_flag)
        grok_usage("%s: applies only with --progress", progress_flag);
    o.m.table = (enum grok_measures_table)(o.co.table && kind >= 2 ? kind - 2 : 0);
    if (keys_given)
        o.f.key_share = 0;
    o.f.table = (enum grok_fourier_table)(kind < 2 ? kind : 0);
    o.input = grok_cli_input(&o.co, argc, argv);
    return o;
}

int main(int argc, char **argv)
{
    grok_cli_init("grok-fourier", argc, argv);
    struct opts o = parse_args(argc, argv);
    struct grok_analysis_io io = {.input = o.input, .co = &o.co, .sel = &o.sel};
    int rc = o.progress ? grok_measures_run(&o.m, &io) : grok_fourier_run(&o.f, &io);
    grok_selection_free(&o.sel);
    return rc;
}
