/* grok-fourier: the Fourier spectrum of embeddings and unembeddings over training: key
 * frequencies, sparsity (Gini) and P2's circle measures. The work is libgrok's
 * (grok_fourier_run). */
#include "grok/analysis.h"
#include "grok/cli.h"
#include "grok/fourier_run.h"
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
    "                         (one row per snapshot, matrix and frequency)\n"
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
    "  grok-fourier -s 0:500 run.h5 -o fourier.h5\n";

struct opts {
    struct grok_common co;
    struct grok_selection sel;   /* -p, -s */
    struct grok_fourier_opts f;
    const char *input;
};

static struct opts parse_args(int argc, char **argv)
{
    enum { OPT_KEYS = 256, OPT_KEY_SHARE, OPT_KEY_STEP };
    static const struct option longopts[] = {
        GROK_COMMON_LONGOPTS,
        {"param", required_argument, NULL, 'p'},
        {"steps", required_argument, NULL, 's'},
        {"keys", required_argument, NULL, OPT_KEYS},
        {"key-share", required_argument, NULL, OPT_KEY_SHARE},
        {"key-step", required_argument, NULL, OPT_KEY_STEP},
        {NULL, 0, NULL, 0},
    };
    /* in the order of enum grok_fourier_table */
    static const char *const tables[] = {"summary", "spectrum", NULL};
    struct opts o = {.co.table_kinds = tables, .f.key_share = 0.05};
    struct grok_err err;
    int c, keys_given = 0, share_given = 0;
    opterr = 0;
    if (grok_selection_init(&o.sel, argc, &err) != GROK_OK)
        grok_die(GROK_EXIT_DATA, "%s", err.msg);
    while ((c = getopt_long(argc, argv, GROK_COMMON_SHORTOPTS "p:s:", longopts, NULL)) != -1) {
        if (grok_cli_common(c, argc, argv, &o.co, usage) || grok_cli_select(c, optarg, &o.sel))
            continue;
        switch (c) {
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
    if (keys_given && share_given)
        grok_usage("--keys and --key-share: give one of them");
    if (keys_given)
        o.f.key_share = 0;
    o.f.table = (enum grok_fourier_table)grok_cli_table_kind(&o.co);
    o.input = grok_cli_input(&o.co, argc, argv);
    return o;
}

int main(int argc, char **argv)
{
    grok_cli_init("grok-fourier", argc, argv);
    struct opts o = parse_args(argc, argv);
    struct grok_analysis_io io = {.input = o.input, .co = &o.co, .sel = &o.sel};
    int rc = grok_fourier_run(&o.f, &io);
    grok_selection_free(&o.sel);
    return rc;
}
