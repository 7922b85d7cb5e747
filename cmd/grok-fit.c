/* grok-fit: events of runs (memorisation, grokking, defect onset, lead), laws across runs,
 * sigmoid fits to a run's metrics. The work is libgrok's (grok_fit_run, events.h). */
#include "grok/cli.h"
#include "grok/fit_run.h"
#include "grok/input.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "Usage: grok-fit [options] [INPUT...]\n"
    "Events of grokking runs (one row per run), laws across runs, sigmoid fits to metrics.\n"
    "An INPUT is a run or a TSV table (told apart by content); standard input when there is\n"
    "none or it is '-'.\n"
    "\n"
    "Events (the default table; from runs, or from metrics tables such as grok-snap -t metrics):\n"
    "      --mem-acc A        t_mem: first evaluation with train_acc >= A          [0.99]\n"
    "      --grok-acc A       t_grok: first evaluation with test_acc >= A          [0.9]\n"
    "      --grokked-acc A    grokked, t_grok98: test_acc >= A at ...              [0.98]\n"
    "      --grokked-count N  ... N consecutive evaluations                        [3]\n"
    "      --onset-factor F   t_onset: first D > F x baseline ...                 [10]\n"
    "      --onset-min M      ... and D > M (D from /commute/D_median)             [20]\n"
    "      --onset-floor B    baseline = max(median of the first 3 D, B)           [0.1]\n"
    "Laws across rows (of events tables, or of the events of the inputs):\n"
    "      --law Y:X[:FORM]   fit Y against X (repeatable); FORM power (y = a*x^b, the\n"
    "                         default, least squares on logs), linear (y = a + b*x) or exp\n"
    "                         (y = a*exp(b*x), least squares on log y)\n"
    "      --by COLUMN        a law per value of COLUMN (op, preset, lr, ...), its value in a\n"
    "                         first column of that name\n"
    "      --drop-invalid     drop rows with nan, or a log of a value <= 0, and count them\n"
    "                         (default: refuse them, naming the row)\n"
    "Sigmoids, one per input and column:\n"
    "      --sigmoid COLUMN   fit lo + (hi - lo) / (1 + exp(-(step - mid) / width)) to the\n"
    "                         metric COLUMN (repeatable)\n"
    "Both:\n"
    "      --bootstrap N      95% percentile intervals from N resamples with replacement\n"
    "      --seed S           seed of the resampling                               [0]\n"
    "Output:\n"
    "  -t, --table            a table (events, laws or sigmoids) rather than a run\n"
    "  -o, --output FILE      write to FILE (a table when -t or FILE ends in .tsv)\n"
    "  -q, --quiet            only errors (no warning of a sigmoid that does not fit)\n"
    "  -h, --help             this help;  -V, --version  the version\n"
    "\n"
    "Without -t, one run in gives the run out with /fit holding its events (and sigmoids); to\n"
    "a terminal, or with tables in, the table is printed. --law always writes a table.\n"
    "Exit status: 0 success, 1 bad data or I/O failure, 2 bad usage, 130 interrupted.\n"
    "\n"
    "Examples:\n"
    "  grok-fit -t run.h5\n"
    "  grok-fit run.h5 | grok-snap -t fit\n"
    "  grok-fit -t --sigmoid test_acc --sigmoid train_acc run.h5\n"
    "  grok-snap -t metrics run.h5 | grok-fit -t --grok-acc 0.5\n"
    "  grok-snap -t metrics run.h5 | grok-fit --law train_loss:step:exp --bootstrap 1000\n"
    "  grok-snap -t metrics run.h5 | grok-fit --law test_loss:step --drop-invalid\n";

struct opts {
    struct grok_common co;
    struct grok_fit_opts f;
    struct grok_law_spec *laws;  /* (argc) what f.laws points to */
    const char **sigmoids;       /* (argc) what f.sigmoids points to */
};

enum {
    OPT_MEM_ACC = 256, OPT_GROK_ACC, OPT_GROKKED_ACC, OPT_GROKKED_COUNT, OPT_ONSET_FACTOR,
    OPT_ONSET_MIN, OPT_ONSET_FLOOR, OPT_LAW, OPT_SIGMOID, OPT_DROP_INVALID, OPT_BOOTSTRAP,
    OPT_SEED, OPT_BY,
};

/* A threshold from lo to hi; `what` says which, in the refusal. */
static double parse_real(const char *flag, const char *text, double lo, double hi,
                         const char *what)
{
    double v;
    if (grok_flag_real(text, &v) || v < lo || v > hi)
        grok_usage("%s: bad value '%s' (%s)", flag, text, what);
    return v;
}

/* Accuracies are shares of examples: a threshold above 1 is never reached and one below 0
 * always is, so either would be a typo (--mem-acc 99 for 99%) giving a wrong event silently. */
static double parse_acc(const char *flag, const char *text)
{
    return parse_real(flag, text, 0, 1, "an accuracy from 0 to 1");
}

/* The onset rule compares defects, which are 0 or more: a negative threshold is a typo. */
static double parse_onset(const char *flag, const char *text)
{
    return parse_real(flag, text, 0, HUGE_VAL, "a number from 0 up");
}

static unsigned long parse_count(const char *flag, const char *text, unsigned long min)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (!*text || *end || errno || text[0] == '-' || text[0] == '+' || text[0] == ' ' ||
        v < min || v > (unsigned long long)INT32_MAX)
        grok_usage("%s: bad count '%s' (a whole number from %lu)", flag, text, min);
    return (unsigned long)v;
}

static void parse_law(const char *text, struct grok_law_spec *l)
{
    const char *c1 = strchr(text, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    size_t ny = c1 ? (size_t)(c1 - text) : 0, nx = c1 ? (c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1)) : 0;
    if (!c1 || ny == 0 || nx == 0 || ny >= sizeof l->y || nx >= sizeof l->x ||
        (c2 && strchr(c2 + 1, ':')))
        grok_usage("--law: bad law '%s' (Y:X or Y:X:FORM, e.g. lead:t_grok)", text);
    l->text = text;
    memcpy(l->y, text, ny);
    l->y[ny] = '\0';
    memcpy(l->x, c1 + 1, nx);
    l->x[nx] = '\0';
    l->form = GROK_LAW_POWER;
    if (c2 && grok_law_form_parse(c2 + 1, &l->form) != 0)
        grok_usage("--law: unknown form '%s' in '%s' (power, linear or exp)", c2 + 1, text);
}

static struct opts parse_args(int argc, char **argv)
{
    static const struct option longopts[] = {
        GROK_COMMON_LONGOPTS,
        {"mem-acc", required_argument, NULL, OPT_MEM_ACC},
        {"grok-acc", required_argument, NULL, OPT_GROK_ACC},
        {"grokked-acc", required_argument, NULL, OPT_GROKKED_ACC},
        {"grokked-count", required_argument, NULL, OPT_GROKKED_COUNT},
        {"onset-factor", required_argument, NULL, OPT_ONSET_FACTOR},
        {"onset-min", required_argument, NULL, OPT_ONSET_MIN},
        {"onset-floor", required_argument, NULL, OPT_ONSET_FLOOR},
        {"law", required_argument, NULL, OPT_LAW},
        {"sigmoid", required_argument, NULL, OPT_SIGMOID},
        {"drop-invalid", no_argument, NULL, OPT_DROP_INVALID},
        {"bootstrap", required_argument, NULL, OPT_BOOTSTRAP},
        {"seed", required_argument, NULL, OPT_SEED},
        {"by", required_argument, NULL, OPT_BY},
        {NULL, 0, NULL, 0},
    };
    static const char *const no_tables[] = {NULL};
    struct opts o = {.co.table_kinds = no_tables, .f.ev = GROK_EVENTS_DEFAULTS};
    int c;
    opterr = 0;
    o.laws = calloc((size_t)argc, sizeof *o.laws);
    o.sigmoids = calloc((size_t)argc, sizeof *o.sigmoids);
    o.f.laws = o.laws;
    o.f.sigmoids = o.sigmoids;
    if (!o.laws || !o.sigmoids)
        grok_die(GROK_EXIT_DATA, "out of memory");
    while ((c = getopt_long(argc, argv, GROK_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
        if (grok_cli_common(c, argc, argv, &o.co, usage))
            continue;
        switch (c) {
        case OPT_MEM_ACC: o.f.ev.mem_acc = parse_acc("--mem-acc", optarg); break;
        case OPT_GROK_ACC: o.f.ev.grok_acc = parse_acc("--grok-acc", optarg); break;
        case OPT_GROKKED_ACC: o.f.ev.grokked_acc = parse_acc("--grokked-acc", optarg); break;
        case OPT_GROKKED_COUNT:
            o.f.ev.grokked_count = (int)parse_count("--grokked-count", optarg, 1);
            break;
        case OPT_ONSET_FACTOR: o.f.ev.onset_factor = parse_onset("--onset-factor", optarg); break;
        case OPT_ONSET_MIN: o.f.ev.onset_min = parse_onset("--onset-min", optarg); break;
        case OPT_ONSET_FLOOR: o.f.ev.onset_floor = parse_onset("--onset-floor", optarg); break;
        case OPT_LAW: parse_law(optarg, &o.laws[o.f.nlaws++]); break;
        case OPT_SIGMOID:
            if (!*optarg)
                grok_usage("--sigmoid: empty column name");
            o.sigmoids[o.f.nsig++] = optarg;
            break;
        case OPT_DROP_INVALID: o.f.drop_invalid = 1; break;
        case OPT_BOOTSTRAP: o.f.bootstrap = parse_count("--bootstrap", optarg, 1); break;
        case OPT_SEED: o.f.seed = parse_count("--seed", optarg, 0); break;
        case OPT_BY:
            if (!*optarg)
                grok_usage("--by: empty column name");
            o.f.by = optarg;
            break;
        }
    }
    if (o.f.by && !o.f.nlaws)
        grok_usage("--by applies to --law");
    if (o.f.nlaws && o.f.nsig)
        grok_usage("--law and --sigmoid make different tables: give one of them");
    if (!o.f.nlaws && !o.f.nsig && (o.f.bootstrap || o.f.drop_invalid))
        grok_usage("%s applies to --law and --sigmoid", o.f.bootstrap ? "--bootstrap" : "--drop-invalid");
    return o;
}

int main(int argc, char **argv)
{
    grok_cli_init("grok-fit", argc, argv);
    struct opts o = parse_args(argc, argv);
    struct grok_err err = {0};
    int nwords = argc - optind, nin = nwords > 0 ? nwords : 1;
    int nruns = 0, rc;
    int table = grok_output_is_table(&o.co) || o.f.nlaws;
    struct grok_input *ins = calloc((size_t)nin, sizeof *ins);
    const char **paths = calloc((size_t)nin, sizeof *paths);
    if (!ins || !paths)
        grok_die(GROK_EXIT_DATA, "out of memory");

    /* The inputs: several allowed, standard input at most once and never a terminal. */
    int from_stdin = 0;
    for (int i = 0; i < nin; i++) {
        paths[i] = optind + i < argc ? argv[optind + i] : "-";
        from_stdin += strcmp(paths[i], "-") == 0;
    }
    if (from_stdin > 1)
        grok_usage("standard input ('-') given more than once");
    if (from_stdin && isatty(STDIN_FILENO))
        grok_usage("no input: name a run or a table, or pipe one in");
    int to_file = o.co.output && strcmp(o.co.output, "-") != 0;
    if (o.f.nlaws && to_file && !grok_output_is_table(&o.co))
        grok_usage("--law writes a table: add -t, or name an output ending in .tsv");

    for (int i = 0; i < nin; i++) {
        if (grok_input_open(&ins[i], paths[i], &err) != GROK_OK) {
            rc = grok_cli_failed(NULL, &err);
            goto done;
        }
        nruns += ins[i].run != NULL;
    }
    if (!table && nruns == 0 && !to_file)
        table = 1; /* tables in, standard output: there is no run to write */
    if (!table && (nin != 1 || nruns != 1)) {
        const char *why = nruns == 0 ? "the inputs are tables, there is no run to write /fit into"
                                     : "a run as output takes exactly one run as input";
        for (int i = 0; i < nin; i++)
            grok_input_close(&ins[i]);
        free(ins);
        free(paths);
        free(o.laws);
        free(o.sigmoids);
        grok_usage("%s: add -t for a table", why);
    }
    o.f.quiet = o.co.quiet;
    rc = grok_fit_run(&o.f, ins, nin, table, o.co.output);
done:
    for (int i = 0; i < nin; i++)
        grok_input_close(&ins[i]);
    free(ins);
    free(paths);
    free(o.laws);
    free(o.sigmoids);
    return rc;
}
