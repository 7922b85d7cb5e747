/* grok-pca: how low-dimensional a weight trajectory is, per matrix or jointly; the execution
 * subspace basis for grok-commute. The work is libgrok's (grok_pca_run). */
#include "grok/analysis.h"
#include "grok/cli.h"
#include "grok/pca_run.h"
#include "grok/select.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: grok-pca [options] [RUN]\n"
    "Principal components of a run's weight trajectory: how much of the movement each direction\n"
    "carries, per matrix (P1's W_Q, W_K, W_V, W_O) or jointly, and the execution-subspace basis.\n"
    "RUN is read from standard input when absent or '-'.\n"
    "\n"
    "  -p, --param GLOB       the matrices (repeatable; default blocks.*.attn.W_[QKVO], or every\n"
    "                         weight matrix when the run has no attention)\n"
    "  -s, --steps FROM:TO[:EVERY]   the snapshots (default all)\n"
    "  -k, --components K     components kept per matrix (default 10); with -t spectra,\n"
    "                         singular values per matrix (default 3)\n"
    "      --joint            all selected parameters as one vector\n"
    "      --basis-k K        top K directions of each matrix in /pca/basis (default 2; 0: none)\n"
    "      --window expanding[:N]   PC1 share on the first t snapshots, N growing t (default 10)\n"
    "      --null random-walk[:R]   R random walks with the run's step norms (default 10)\n"
    "      --seed N           seeds the null's walks (default 0)\n"
    "      --method auto|gram|svd   Gram matrix of snapshots when T < n (auto), or direct SVD\n"
    "  -t, --table[=KIND]     a table: summary (one row per matrix), window, proj, or spectra\n"
    "                         (per snapshot and layer: singular values, gaps and commutator\n"
    "                         of W_Q and W_K, whole and per head's diagonal block)\n"
    "  -o, --output FILE      write to FILE (TSV when -t or FILE ends in .tsv, else a run)\n"
    "  -q, --quiet            no progress, only errors\n"
    "  -h, --help             this help;  -V, --version  the version\n"
    "\n"
    "Without -t the output is the run with /pca added (to a terminal, the summary table).\n"
    "Exit status: 0 success, 1 bad data or I/O failure, 2 bad usage, 130 interrupted.\n"
    "\n"
    "Examples:\n"
    "  grok-pca -t run.h5\n"
    "  grok-pca -p 'blocks.0.attn.W_Q' -k 3 -t proj run.h5 > proj.tsv\n"
    "  grok-pca --window expanding:5 --null random-walk:20 -t window run.h5\n"
    "  grok-pca --joint -s 0:600 run.h5 -o pca.h5\n"
    "  grok-train --preset xu --p 23 --steps 500 -q | grok-pca -t spectra > spectra.tsv\n";

struct opts {
    struct grok_common co;
    struct grok_selection sel;   /* -p, -s */
    struct grok_pca_opts p;
    const char *input;
};

/* "NAME[:N]" with NAME the one accepted word: N, or dflt when absent. */
static int parse_named_count(const char *opt, const char *text, const char *name, int dflt)
{
    size_t len = strlen(name);
    if (strncmp(text, name, len) != 0 || (text[len] != '\0' && text[len] != ':'))
        grok_usage("%s: '%s' is not %s[:N]", opt, text, name);
    if (text[len] == '\0')
        return dflt;
    char *end;
    errno = 0;
    long v = strtol(text + len + 1, &end, 10);
    if (!text[len + 1] || *end || errno || v < 1 || v > 100000)
        grok_usage("%s: bad count in '%s' (a whole number >= 1)", opt, text);
    return (int)v;
}

static struct opts parse_args(int argc, char **argv)
{
    enum { OPT_JOINT = 256, OPT_BASIS_K, OPT_WINDOW, OPT_NULL, OPT_SEED, OPT_METHOD };
    static const struct option longopts[] = {
        GROK_COMMON_LONGOPTS,
        {"param", required_argument, NULL, 'p'},
        {"steps", required_argument, NULL, 's'},
        {"components", required_argument, NULL, 'k'},
        {"joint", no_argument, NULL, OPT_JOINT},
        {"basis-k", required_argument, NULL, OPT_BASIS_K},
        {"window", required_argument, NULL, OPT_WINDOW},
        {"null", required_argument, NULL, OPT_NULL},
        {"seed", required_argument, NULL, OPT_SEED},
        {"method", required_argument, NULL, OPT_METHOD},
        {NULL, 0, NULL, 0},
    };
    static const char *const tables[] = {"summary", "window", "proj", "spectra", NULL};
    struct opts o = {.co.table_kinds = tables, .p = {.basis_k = 2}};
    struct grok_err err;
    int c;
    opterr = 0;
    if (grok_selection_init(&o.sel, argc, &err) != GROK_OK)
        grok_die(GROK_EXIT_DATA, "%s", err.msg);
    while ((c = getopt_long(argc, argv, GROK_COMMON_SHORTOPTS "p:s:k:", longopts, NULL)) != -1) {
        if (grok_cli_common(c, argc, argv, &o.co, usage) || grok_cli_select(c, optarg, &o.sel))
            continue;
        switch (c) {
        case 'k': o.p.k = (int)grok_flag_int("-k", optarg, 1, 10000); break;
        case OPT_JOINT: o.p.joint = 1; break;
        case OPT_BASIS_K: o.p.basis_k = (int)grok_flag_int("--basis-k", optarg, 0, 10000); break;
        case OPT_WINDOW: o.p.window = parse_named_count("--window", optarg, "expanding", 10); break;
        case OPT_NULL: o.p.null_walks = parse_named_count("--null", optarg, "random-walk", 10); break;
        case OPT_SEED: o.p.seed = grok_flag_int("--seed", optarg, 0, 0xFFFFFFFFLL); break;
        case OPT_METHOD:
            if (strcmp(optarg, "auto") == 0) o.p.method = GROK_PCA_AUTO;
            else if (strcmp(optarg, "gram") == 0) o.p.method = GROK_PCA_GRAM;
            else if (strcmp(optarg, "svd") == 0) o.p.method = GROK_PCA_SVD;
            else grok_usage("--method: '%s' is not auto, gram or svd", optarg);
            break;
        }
    }
    o.p.table = (enum grok_pca_table)grok_cli_table_kind(&o.co);
    if (!o.p.k) /* -k's default: 10 components, or 3 singular values */
        o.p.k = o.p.table == GROK_PCA_TABLE_SPECTRA ? 3 : 10;
    if (o.p.table == GROK_PCA_TABLE_WINDOW && !o.p.window)
        o.p.window = 10;
    o.input = grok_cli_input(&o.co, argc, argv);
    o.p.quiet = o.co.quiet;
    return o;
}

int main(int argc, char **argv)
{
    grok_cli_init("grok-pca", argc, argv);
    struct opts o = parse_args(argc, argv);
    struct grok_analysis_io io = {.input = o.input, .co = &o.co, .sel = &o.sel};
    int rc = grok_pca_run(&o.p, &io);
    grok_selection_free(&o.sel);
    return rc;
}
