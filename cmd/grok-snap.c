/* grok-snap: list a run, cut snapshots and parameters out of it, export any dataset as TSV.
 * The work is libgrok's: the tables (runtable.h), the snapshots chosen (snapshots.h), the cut
 * (cut.h). */
#include "grok/cli.h"
#include "grok/cut.h"
#include "grok/run.h"
#include "grok/runtable.h"
#include "grok/select.h"
#include "grok/snapshots.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: grok-snap [options] [RUN]\n"
    "List a grok run, cut snapshots and parameters out of it, or export its data as TSV.\n"
    "RUN is read from standard input when absent or '-'.\n"
    "\n"
    "  -l, --list             every dataset (path, type, shape) and attribute, as a table\n"
    "  -p, --param GLOB       keep the parameters matching GLOB (repeatable; default all)\n"
    "  -s, --steps FROM:TO[:EVERY]\n"
    "                         keep the snapshots with FROM <= step <= TO, every EVERY steps\n"
    "      --at STEP          the snapshot nearest to STEP, as a run whose /state holds it\n"
    "                         (for grok-train --init), or with -t PARAM as a matrix table\n"
    "  -t, --table[=GROUP]    a table: GROUP's 1-D columns (default metrics); -t snapshots,\n"
    "                         the trajectory: a row per snapshot (-s), a column per number of\n"
    "                         the parameters (-p; at most 4096); or with --at\n"
    "                         the parameter GROUP, one row per row of the matrix\n"
    "  -o, --output FILE      write to FILE (TSV when -t or FILE ends in .tsv, else a run)\n"
    "  -q, --quiet            no progress, only errors\n"
    "  -h, --help             this help;  -V, --version  the version\n"
    "\n"
    "Without -l or -t, the output is a run with /config, /data, /metrics and the selected\n"
    "snapshots: to a terminal the metrics table is printed instead.\n"
    "Exit status: 0 success, 1 bad data or I/O failure, 2 bad usage, 130 interrupted.\n"
    "\n"
    "Examples:\n"
    "  grok-snap -l run.h5\n"
    "  grok-snap -t metrics run.h5 | awk -F'\\t' '!/^#/ && $1 != \"step\" && $5 >= 0.9 {print $1; exit}'\n"
    "  grok-snap -p 'blocks.0.attn.*' -s 0:10000:500 run.h5 -o small.h5\n"
    "  grok-snap --at 5000 run.h5 -o state.h5\n"
    "  grok-snap --at 5000 -t embed.W_E run.h5 > W_E.tsv\n"
    "  grok-train --preset musat-linear -q | grok-snap -t snapshots > path.tsv   # gnuplot: plot 'path.tsv' u 2:3\n";

struct opts {
    struct grok_common co;
    int list;
    struct grok_selection sel;   /* -p, -s */
    int have_at;
    long long at;
    const char *input;
};

static struct opts parse_args(int argc, char **argv)
{
    static const struct option longopts[] = {
        GROK_COMMON_LONGOPTS,
        {"list", no_argument, NULL, 'l'},
        {"param", required_argument, NULL, 'p'},
        {"steps", required_argument, NULL, 's'},
        {"at", required_argument, NULL, 'A'},
        {NULL, 0, NULL, 0},
    };
    struct opts o = {0};
    struct grok_err err;
    int c;
    opterr = 0;
    if (grok_selection_init(&o.sel, argc, &err) != GROK_OK)
        grok_die(GROK_EXIT_DATA, "%s", err.msg);
    while ((c = getopt_long(argc, argv, GROK_COMMON_SHORTOPTS "lp:s:", longopts, NULL)) != -1) {
        if (grok_cli_common(c, argc, argv, &o.co, usage) || grok_cli_select(c, optarg, &o.sel))
            continue;
        switch (c) {
        case 'l':
            o.list = 1;
            break;
        case 'A': {
            char *end;
            errno = 0;
            o.at = strtoll(optarg, &end, 10);
            if (!*optarg || *end || o.at < 0 || errno)
                grok_usage("--at: bad step '%s' (a training step, e.g. 5000)", optarg);
            o.have_at = 1;
            break;
        }
        }
    }
    o.input = grok_cli_input(&o.co, argc, argv);
    if (o.list && (o.have_at || o.sel.nglobs || o.sel.steps_text))
        grok_usage("-l lists the whole run; it takes no --at, -p or -s");
    if (o.have_at && o.sel.steps_text)
        grok_usage("--at picks one snapshot; it takes no -s");
    return o;
}

int main(int argc, char **argv)
{
    grok_cli_init("grok-snap", argc, argv);
    struct opts o = parse_args(argc, argv);
    struct grok_err err = {0};
    struct grok_snapshots s = {0};
    struct grok_run *in = NULL, *out = NULL;
    struct grok_text_out text = {0};
    char **sel = NULL;
    size_t nsel = 0;
    int table = o.list || grok_output_is_table(&o.co);
    int trajectory = table && !o.list && !o.have_at && o.co.table_arg &&
                     strcmp(o.co.table_arg, "snapshots") == 0;
    int rc;

    if (table && !o.list && !o.have_at && !trajectory && (o.sel.nglobs || o.sel.steps_text)) {
        /* Why the output is a table: -t, the name given to -o, or a terminal. */
        char why[64 + GROK_MAX_NAME] = "";
        if (!o.co.table && o.co.output && strcmp(o.co.output, "-") != 0)
            snprintf(why, sizeof why, " (-o %s ends in .tsv)", o.co.output);
        else if (!o.co.table)
            snprintf(why, sizeof why, " (standard output is a terminal)");
        grok_usage("-p and -s cut a run, but the output is a table%s: write the run with -o FILE.h5 "
                   "or to a pipe", why);
    }
    if (o.have_at && table && !o.list && !o.co.table_arg)
        grok_usage("--at with a table needs the parameter: -t PARAM (or write a run with -o FILE.h5)");
    if (!(in = grok_run_open(o.input, &err)))
        goto fail;
    /* A cut and --at read snapshots: the run must hold some of the parameters -p chooses. */
    if (!o.list && (!table || o.have_at || trajectory) &&
        grok_snapshots_load_selected(in, &o.sel, &s, &sel, &nsel, &err) != GROK_OK)
        goto fail;
    if (table) {
        if (grok_text_open(&text, o.co.output, &err) != GROK_OK)
            goto fail;
        if (o.list)
            rc = grok_runtable_write_list(in, text.f, &err);
        else if (trajectory)
            rc = grok_runtable_write_trajectory(in, &s, sel, nsel, &o.sel.steps, text.f, &err);
        else if (o.have_at)
            rc = grok_runtable_write_matrix(in, &s, grok_snapshots_nearest(&s, o.at),
                                            o.co.table_arg, text.f, &err);
        else
            rc = grok_runtable_write_group(in, o.co.table_arg, text.f, &err);
        if (rc != GROK_OK || grok_text_finish(&text, 1, &err) != GROK_OK)
            goto fail;
    } else {
        struct grok_cut cut = {.program = "grok-snap", .params = sel, .nparams = nsel,
                               .state = o.have_at, .at = o.at, .steps = o.sel.steps,
                               .quiet = o.co.quiet};
        if (!(out = grok_run_create(o.co.output, &err)) ||
            grok_run_cut(out, in, &s, &cut, &err) != GROK_OK ||
            grok_run_commit(out, &err) != GROK_OK)
            goto fail;
    }
    rc = GROK_EXIT_OK;
    goto done;
fail:
    rc = grok_cli_failed(&text, &err);
done:
    grok_run_close(out);
    grok_run_close(in);
    free(sel);
    grok_snapshots_free(&s);
    grok_selection_free(&o.sel);
    return rc;
}
