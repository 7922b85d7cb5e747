/* grok-fit: events of runs (memorisation, grokking, defect onset, lead), laws across runs,
 * sigmoid fits to a run's metrics. */
#include "grok/cli.h"
#include "grok/fit.h"
#include "grok/history.h"
#include "grok/input.h"
#include "grok/run.h"
#include "grok/tsv.h"

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
    "  -q, --quiet            only errors\n"
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

struct law_spec {
    const char *text;      /* as given, for messages */
    char y[256], x[256];
    enum grok_law_form form;
};

struct opts {
    struct grok_common co;
    struct grok_events_opts ev;
    struct law_spec *laws;
    int nlaws;
    const char **sigmoids;
    int nsig;
    int drop_invalid;
    size_t bootstrap;
    unsigned long seed;
};

enum {
    OPT_MEM_ACC = 256, OPT_GROK_ACC, OPT_GROKKED_ACC, OPT_GROKKED_COUNT, OPT_ONSET_FACTOR,
    OPT_ONSET_MIN, OPT_ONSET_FLOOR, OPT_LAW, OPT_SIGMOID, OPT_DROP_INVALID, OPT_BOOTSTRAP,
    OPT_SEED,
};

static double parse_real(const char *flag, const char *text)
{
    double v;
    if (grok_flag_real(text, &v))
        grok_usage("%s: bad number '%s'", flag, text);
    return v;
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

static void parse_law(const char *text, struct law_spec *l)
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
        {NULL, 0, NULL, 0},
    };
    static const char *const no_tables[] = {NULL};
    struct opts o = {.co.table_kinds = no_tables, .ev = GROK_EVENTS_DEFAULTS};
    int c;
    opterr = 0;
    o.laws = calloc((size_t)argc, sizeof *o.laws);
    o.sigmoids = calloc((size_t)argc, sizeof *o.sigmoids);
    if (!o.laws || !o.sigmoids)
        grok_die(GROK_EXIT_DATA, "out of memory");
    while ((c = getopt_long(argc, argv, GROK_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
        if (grok_cli_common(c, argc, argv, &o.co, usage))
            continue;
        switch (c) {
        case OPT_MEM_ACC: o.ev.mem_acc = parse_real("--mem-acc", optarg); break;
        case OPT_GROK_ACC: o.ev.grok_acc = parse_real("--grok-acc", optarg); break;
        case OPT_GROKKED_ACC: o.ev.grokked_acc = parse_real("--grokked-acc", optarg); break;
        case OPT_GROKKED_COUNT:
            o.ev.grokked_count = (int)parse_count("--grokked-count", optarg, 1);
            break;
        case OPT_ONSET_FACTOR: o.ev.onset_factor = parse_real("--onset-factor", optarg); break;
        case OPT_ONSET_MIN: o.ev.onset_min = parse_real("--onset-min", optarg); break;
        case OPT_ONSET_FLOOR: o.ev.onset_floor = parse_real("--onset-floor", optarg); break;
        case OPT_LAW: parse_law(optarg, &o.laws[o.nlaws++]); break;
        case OPT_SIGMOID:
            if (!*optarg)
                grok_usage("--sigmoid: empty column name");
            o.sigmoids[o.nsig++] = optarg;
            break;
        case OPT_DROP_INVALID: o.drop_invalid = 1; break;
        case OPT_BOOTSTRAP: o.bootstrap = parse_count("--bootstrap", optarg, 1); break;
        case OPT_SEED: o.seed = parse_count("--seed", optarg, 0); break;
        }
    }
    if (o.nlaws && o.nsig)
        grok_usage("--law and --sigmoid make different tables: give one of them");
    if (!o.nlaws && !o.nsig && (o.bootstrap || o.drop_invalid))
        grok_usage("%s applies to --law and --sigmoid", o.bootstrap ? "--bootstrap" : "--drop-invalid");
    return o;
}

/* ---- inputs ------------------------------------------------------------------------------ */

static int is_metrics_table(const struct grok_table *t)
{
    return grok_table_find(t, "step") >= 0 && grok_table_find(t, "train_acc") >= 0 &&
           grok_table_find(t, "test_acc") >= 0;
}

/* ---- events ------------------------------------------------------------------------------ */

enum col_kind { TEXT, INT, REAL };

/* The events table, column by column (papers.md P1 for the definitions). */
static const struct {
    const char *name;
    enum col_kind kind;
} ev_cols[] = {
    {"run", TEXT}, {"op", TEXT}, {"p", INT}, {"lr", REAL}, {"wd", REAL}, {"seed", INT},
    {"model", TEXT}, {"preset", TEXT}, {"n_evals", INT}, {"t_mem", INT}, {"t_grok", INT}, {"t_grok98", INT},
    {"grokked", INT}, {"final_train_acc", REAL}, {"final_test_acc", REAL}, {"t_onset", INT},
    {"lead", INT}, {"lead_frac", REAL}, {"pc1_mean", REAL},
};
enum { NCOLS = sizeof ev_cols / sizeof ev_cols[0], C_RUN = 0, C_OP = 1, C_P = 2, C_LR = 3,
       C_WD = 4, C_SEED = 5, C_MODEL = 6, C_PRESET = 7, C_EVENTS = 8 };

/* After the fixed columns, one pc1.MATRIX column per matrix that grok-pca analysed: P1 reads the
 * PC1 share of each attention matrix, which pc1_mean alone hides. */
#define PC1_PREFIX "pc1."

/* The settings written as text, from /config or a metrics table's metadata. */
static const char *const text_keys[] = {"op", "model", "preset"};
static const int text_cols[] = {C_OP, C_MODEL, C_PRESET};
enum { N_TEXT_KEYS = sizeof text_keys / sizeof *text_keys };

struct events_row {
    char *text[NCOLS];           /* TEXT columns; malloc'd, NULL for nan (run is borrowed) */
    double num[NCOLS];           /* the others */
    char *pc_list;               /* /pca@matrices, malloc'd and cut at its commas */
    char **pc_names;             /* (npc) into pc_list */
    double *pc1;                 /* (npc) each matrix's PC1 share */
    size_t npc;
};

static void events_row_free(struct events_row *r)
{
    for (int i = 0; i < N_TEXT_KEYS; i++)
        free(r->text[text_cols[i]]);
    free(r->pc_list);
    free(r->pc_names);
    free(r->pc1);
}

/* An empty preset (trained without --preset) reads "none"; a missing one stays NULL (nan), like
 * any other setting. */
static int preset_none_if_empty(struct events_row *r)
{
    char *s = r->text[C_PRESET];
    if (!s || *s)
        return 0;
    free(s);
    return (r->text[C_PRESET] = strdup("none")) ? 0 : -1;
}

/* The per-matrix PC1 shares of a run: /pca/pc1 named by /pca@matrices (grok-pca writes both).
 * A /pca/pc1 without names gives pc1_mean alone. */
static int pc1_of_run(const struct grok_input *in, const struct grok_array *pc,
                      struct events_row *r, struct grok_err *err)
{
    char *list = NULL;
    if (grok_run_attr_get_str(in->run, "/pca", "matrices", &list, NULL) != GROK_OK)
        return GROK_OK;
    size_t n = *list ? 1 : 0;
    for (const char *c = list; *c; c++)
        n += *c == ',';
    if (n != pc->n) {
        free(list);
        return grok_err_set(err, GROK_EFORMAT, "%s: /pca@matrices names %zu matri%s, /pca/pc1 "
                            "holds %zu value%s", in->name, n, n == 1 ? "x" : "ces", pc->n,
                            pc->n == 1 ? "" : "s");
    }
    r->pc_list = list;
    r->pc_names = malloc((n ? n : 1) * sizeof *r->pc_names);
    r->pc1 = malloc((n ? n : 1) * sizeof *r->pc1);
    if (!r->pc_names || !r->pc1)
        return grok_err_set(err, GROK_ENOMEM, "%s: out of memory", in->name);
    char *name = list;
    for (size_t i = 0; i < n; i++) {
        char *comma = strchr(name, ',');
        if (comma)
            *comma = '\0';
        r->pc_names[i] = name;
        r->pc1[i] = ((const double *)pc->data)[i];
        /* Each name becomes a column (and a /fit dataset): an empty or repeated one would lose
         * a value without a word. */
        int repeated = 0;
        for (size_t k = 0; k < i && !repeated; k++)
            repeated = strcmp(r->pc_names[k], name) == 0;
        if (!*name || repeated)
            return grok_err_set(err, GROK_EFORMAT, "%s: /pca@matrices names %s matrix",
                                in->name, *name ? "a repeated" : "an empty");
        name = comma ? comma + 1 : name + strlen(name);
    }
    r->npc = n;
    return GROK_OK;
}

static int ev_col(const char *name)
{
    for (int i = 0; i < NCOLS; i++)
        if (strcmp(ev_cols[i].name, name) == 0)
            return i;
    return -1;
}

static void events_to_row(const struct grok_events *ev, struct events_row *r)
{
    const double v[] = {ev->n_evals, ev->t_mem, ev->t_grok, ev->t_grok98, ev->grokked,
                        ev->final_train_acc, ev->final_test_acc, ev->t_onset, ev->lead,
                        ev->lead_frac, ev->pc1_mean};
    for (int i = C_EVENTS; i < NCOLS; i++)
        r->num[i] = v[i - C_EVENTS];
}

/* Steps must increase: metrics of several runs concatenated into one table would otherwise
 * give events that belong to none of them. */
static int check_steps(const struct grok_input *in, const double *step, size_t n, struct grok_err *err)
{
    for (size_t i = 1; i < n; i++)
        if (!(step[i] > step[i - 1])) {
            char a[32], b[32];
            grok_fmt_number(a, step[i], 0);
            grok_fmt_number(b, step[i - 1], 0);
            if (in->table)
                return grok_err_set(err, GROK_EFORMAT, "%s: line %zu: step %s after step %s (the "
                                    "metrics of several runs? give each as its own input)",
                                    in->name, in->table->line[i], a, b);
            return grok_err_set(err, GROK_EFORMAT, "%s: /metrics/step %s after %s at row %zu",
                                in->name, a, b, i + 1);
        }
    return GROK_OK;
}

static int read_f64(struct grok_run *run, const char *path, struct grok_array *a,
                    struct grok_err *err)
{
    return grok_run_read(run, path, GROK_F64, a, err);
}

static int same_length(const struct grok_input *in, const struct grok_array *a, const char *pa,
                       const struct grok_array *b, const char *pb, struct grok_err *err)
{
    if (a->n == b->n)
        return GROK_OK;
    return grok_err_set(err, GROK_EFORMAT, "%s: %s has %zu values, %s has %zu", in->name, pa,
                        a->n, pb, b->n);
}

static int events_of_run(struct grok_input *in, const struct grok_events_opts *o,
                         struct events_row *r, struct grok_err *err)
{
    struct grok_array st = {0}, tr = {0}, te = {0}, cs = {0}, D = {0}, pc = {0};
    struct grok_run *run = in->run;
    static const char *const num_keys[] = {"p", "lr", "wd", "seed"};
    static const int num_cols[] = {C_P, C_LR, C_WD, C_SEED};
    int rc;
    for (int i = 0; i < N_TEXT_KEYS; i++) {
        char *s = NULL;
        if (grok_run_attr_get_str(run, "/config", text_keys[i], &s, NULL) == GROK_OK)
            r->text[text_cols[i]] = s;
    }
    if (preset_none_if_empty(r) != 0)
        return grok_err_set(err, GROK_ENOMEM, "%s: out of memory", in->name);
    for (int i = 0; i < 4; i++)
        if (grok_run_attr_get_double(run, "/config", num_keys[i], &r->num[num_cols[i]], NULL) != GROK_OK)
            r->num[num_cols[i]] = NAN;
    if ((rc = read_f64(run, "/metrics/step", &st, err)) != GROK_OK ||
        (rc = read_f64(run, "/metrics/train_acc", &tr, err)) != GROK_OK ||
        (rc = read_f64(run, "/metrics/test_acc", &te, err)) != GROK_OK ||
        (rc = same_length(in, &tr, "/metrics/train_acc", &st, "/metrics/step", err)) != GROK_OK ||
        (rc = same_length(in, &te, "/metrics/test_acc", &st, "/metrics/step", err)) != GROK_OK ||
        (rc = check_steps(in, st.data, st.n, err)) != GROK_OK)
        goto out;
    if (grok_run_exists(run, "/commute") &&
        ((rc = read_f64(run, "/commute/step", &cs, err)) != GROK_OK ||
         (rc = read_f64(run, "/commute/D_median", &D, err)) != GROK_OK ||
         (rc = same_length(in, &D, "/commute/D_median", &cs, "/commute/step", err)) != GROK_OK))
        goto out;
    if (grok_run_exists(run, "/pca/pc1") &&
        ((rc = read_f64(run, "/pca/pc1", &pc, err)) != GROK_OK || (rc = pc1_of_run(in, &pc, r, err)) != GROK_OK))
        goto out;
    struct grok_events ev;
    grok_events_compute(o, st.data, tr.data, te.data, st.n, cs.data, D.data, D.n, pc.data, pc.n,
                        &ev);
    events_to_row(&ev, r);
out:
    grok_array_free(&st);
    grok_array_free(&tr);
    grok_array_free(&te);
    grok_array_free(&cs);
    grok_array_free(&D);
    grok_array_free(&pc);
    return rc;
}

/* A metrics table's events; its settings from the `# key: value` lines grok-snap writes. */
static int events_of_table(struct grok_input *in, const struct grok_events_opts *o,
                           struct events_row *r, struct grok_err *err)
{
    const struct grok_table *t = in->table;
    if (grok_table_find(t, "step") < 0)
        return grok_err_set(err, GROK_ENOTFOUND, "%s: not a metrics table (no column 'step'); "
                            "an events table is read with --law", in->name);
    const double *st, *tr, *te;
    if (!(st = grok_table_num(t, "step", err)) || !(tr = grok_table_num(t, "train_acc", err)) ||
        !(te = grok_table_num(t, "test_acc", err)))
        return err->code;
    int rc = check_steps(in, st, t->nrows, err);
    if (rc != GROK_OK)
        return rc;
    for (int i = 0; i < N_TEXT_KEYS; i++) {
        const char *v = grok_table_meta(t, text_keys[i]);
        if (v && !(r->text[text_cols[i]] = strdup(v)))
            return grok_err_set(err, GROK_ENOMEM, "%s: out of memory", in->name);
    }
    if (preset_none_if_empty(r) != 0)
        return grok_err_set(err, GROK_ENOMEM, "%s: out of memory", in->name);
    static const char *const num_keys[] = {"p", "lr", "wd", "seed"};
    static const int num_cols[] = {C_P, C_LR, C_WD, C_SEED};
    for (int i = 0; i < 4; i++) {
        const char *v = grok_table_meta(t, num_keys[i]);
        if (!v || !grok_parse_number(v, &r->num[num_cols[i]]))
            r->num[num_cols[i]] = NAN;
    }
    struct grok_events ev;
    grok_events_compute(o, st, tr, te, t->nrows, NULL, NULL, 0, NULL, 0, &ev);
    events_to_row(&ev, r);
    return GROK_OK;
}

static int events_of(struct grok_input *in, const struct grok_events_opts *o, struct events_row *r,
                     struct grok_err *err)
{
    memset(r, 0, sizeof *r);
    r->text[C_RUN] = (char *)in->name;
    return in->run ? events_of_run(in, o, r, err) : events_of_table(in, o, r, err);
}

/* ---- laws -------------------------------------------------------------------------------- */

struct law_result {
    const struct law_spec *spec;
    struct grok_law fit;
    size_t dropped;
    struct grok_interval b_ci, a_ci;
};

/* The points of a law: from each input either its events row (runs, metrics tables) or its
 * rows (any other table). */
struct points {
    double *x, *y;
    const struct grok_input **from;  /* (n) input of each point */
    size_t *line;               /* (n) input line of each point, 0 for an events row */
    size_t n, cap;
};

static int points_add(struct points *p, double x, double y, const struct grok_input *in, size_t line)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 64;
        double *nx = realloc(p->x, cap * sizeof *nx);
        if (nx)
            p->x = nx;
        double *ny = realloc(p->y, cap * sizeof *ny);
        if (ny)
            p->y = ny;
        const struct grok_input **nf = realloc(p->from, cap * sizeof *nf);
        if (nf)
            p->from = nf;
        size_t *nl = realloc(p->line, cap * sizeof *nl);
        if (nl)
            p->line = nl;
        if (!nx || !ny || !nf || !nl)
            return -1;
        p->cap = cap;
    }
    p->x[p->n] = x;
    p->y[p->n] = y;
    p->from[p->n] = in;
    p->line[p->n++] = line;
    return 0;
}

static void points_free(struct points *p)
{
    free(p->x);
    free(p->y);
    free(p->from);
    free(p->line);
}

/* Whether a table input gives its rows to the laws, or (a metrics table without the laws'
 * columns) its events. */
static int gives_rows(const struct grok_input *in, const struct opts *o)
{
    if (!in->table)
        return 0;
    if (!is_metrics_table(in->table))
        return 1;
    for (int i = 0; i < o->nlaws; i++)
        if (grok_table_find(in->table, o->laws[i].y) < 0 || grok_table_find(in->table, o->laws[i].x) < 0)
            return 0;
    return 1;
}

static int event_value(const struct grok_input *in, const struct events_row *r, const char *name,
                       double *v, struct grok_err *err)
{
    int c = ev_col(name);
    if (c < 0)
        return grok_err_set(err, GROK_ENOTFOUND, "%s: no column '%s' among the events", in->name,
                            name);
    if (ev_cols[c].kind == TEXT)
        return grok_err_set(err, GROK_EFORMAT, "%s: column '%s' is text, a law needs numbers",
                            in->name, name);
    *v = r->num[c];
    return GROK_OK;
}

/* Refuses or drops the points a form cannot take; the message names the input and row. */
static int points_check(struct points *p, const struct law_spec *l, int drop, size_t *dropped,
                        struct grok_err *err)
{
    size_t k = 0;
    *dropped = 0;
    for (size_t i = 0; i < p->n; i++) {
        int which;
        enum grok_law_point why = grok_law_point_check(l->form, p->x[i], p->y[i], &which);
        if (why == GROK_POINT_OK) {
            p->x[k] = p->x[i];
            p->y[k] = p->y[i];
            p->from[k] = p->from[i];
            p->line[k++] = p->line[i];
            continue;
        }
        if (drop) {
            (*dropped)++;
            continue;
        }
        char where[64] = "", val[32];
        if (p->line[i])
            snprintf(where, sizeof where, "line %zu: ", p->line[i]);
        grok_fmt_number(val, which ? p->y[i] : p->x[i], 0);
        return grok_err_set(err, GROK_EFORMAT, "%s: %s%s is %s, %s (use --drop-invalid)",
                            p->from[i]->name, where, which ? l->y : l->x, val,
                            why == GROK_POINT_NO_LOG ? "cannot take its log" : "no value to fit");
    }
    p->n = k;
    return GROK_OK;
}

static int fit_law(const struct law_spec *l, struct grok_input *ins, int nin,
                   const struct events_row *rows, const struct opts *o, struct law_result *res,
                   struct grok_err *err)
{
    struct points p = {0};
    int rc = GROK_OK;
    memset(res, 0, sizeof *res);
    res->spec = l;
    for (int i = 0; i < nin && rc == GROK_OK; i++) {
        struct grok_input *in = &ins[i];
        if (gives_rows(in, o)) {
            const double *x, *y;
            if (!(y = grok_table_num(in->table, l->y, err)) || !(x = grok_table_num(in->table, l->x, err))) {
                rc = err->code;
                break;
            }
            for (size_t j = 0; j < in->table->nrows && rc == GROK_OK; j++)
                if (points_add(&p, x[j], y[j], in, in->table->line[j]) != 0)
                    rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
        } else {
            double x = NAN, y = NAN;
            if ((rc = event_value(in, &rows[i], l->y, &y, err)) == GROK_OK &&
                (rc = event_value(in, &rows[i], l->x, &x, err)) == GROK_OK &&
                points_add(&p, x, y, in, 0) != 0)
                rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
        }
    }
    if (rc != GROK_OK || (rc = points_check(&p, l, o->drop_invalid, &res->dropped, err)) != GROK_OK)
        goto out;
    /* Errors about the whole law name the input when there is one. */
    char where[1100] = "";
    if (nin == 1)
        snprintf(where, sizeof where, "%s: ", ins[0].name);
    if (p.n < 3) {
        char d[64] = "";
        if (res->dropped)
            snprintf(d, sizeof d, " left after dropping %zu", res->dropped);
        rc = grok_err_set(err, GROK_EINVAL, "%s%s: %zu row%s%s, a law needs 3 at least", where,
                          l->text, p.n, p.n == 1 ? "" : "s", d);
        goto out;
    }
    struct grok_err e2 = {0};
    if ((rc = grok_law_fit(l->form, p.x, p.y, p.n, &res->fit, &e2)) != GROK_OK) {
        if (rc == GROK_EINVAL)
            grok_err_set(err, rc, "%s%s: every %s is the same, no slope to fit", where, l->text, l->x);
        else
            grok_err_set(err, rc, "%s", e2.msg);
        goto out;
    }
    if (o->bootstrap &&
        (rc = grok_law_bootstrap(l->form, p.x, p.y, p.n, o->bootstrap, o->seed, &res->b_ci,
                                 &res->a_ci, NULL, err)) != GROK_OK)
        goto out;
out:
    points_free(&p);
    return rc;
}

/* ---- sigmoids ---------------------------------------------------------------------------- */

struct sig_result {
    const struct grok_input *in;
    const char *column;
    struct grok_sigmoid fit;
    struct grok_interval mid_ci, width_ci;
};

static int fit_sigmoid(const struct grok_input *in, const char *column, const struct opts *o,
                       struct sig_result *res, struct grok_err *err)
{
    struct grok_array ta = {0}, ya = {0};
    const double *t, *y;
    size_t n;
    double *pt = NULL, *py = NULL;
    int rc = GROK_OK;
    memset(res, 0, sizeof *res);
    res->in = in;
    res->column = column;
    if (in->run) {
        char path[GROK_MAX_NAME + 16];
        if ((rc = grok_run_path(path, sizeof path, "/metrics", column, err)) != GROK_OK ||
            (rc = read_f64(in->run, "/metrics/step", &ta, err)) != GROK_OK ||
            (rc = read_f64(in->run, path, &ya, err)) != GROK_OK ||
            (rc = same_length(in, &ya, path, &ta, "/metrics/step", err)) != GROK_OK)
            goto out;
        t = ta.data;
        y = ya.data;
        n = ta.n;
    } else {
        if (grok_table_find(in->table, "step") < 0) {
            rc = grok_err_set(err, GROK_ENOTFOUND, "%s: not a metrics table (no column 'step')",
                              in->name);
            goto out;
        }
        if (!(t = grok_table_num(in->table, "step", err)) || !(y = grok_table_num(in->table, column, err))) {
            rc = err->code;
            goto out;
        }
        n = in->table->nrows;
    }
    if ((rc = check_steps(in, t, n, err)) != GROK_OK)
        goto out;
    pt = malloc((n ? n : 1) * sizeof *pt);
    py = malloc((n ? n : 1) * sizeof *py);
    if (!pt || !py) {
        rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
        goto out;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (isfinite(y[i])) {
            pt[k] = t[i];
            py[k++] = y[i];
        } else if (!o->drop_invalid) {
            char v[32], s[32];
            grok_fmt_number(v, y[i], 0);
            grok_fmt_number(s, t[i], 0);
            if (in->table)
                rc = grok_err_set(err, GROK_EFORMAT, "%s: line %zu: %s is %s, no value to fit "
                                  "(use --drop-invalid)", in->name, in->table->line[i], column, v);
            else
                rc = grok_err_set(err, GROK_EFORMAT, "%s: %s is %s at step %s, no value to fit "
                                  "(use --drop-invalid)", in->name, column, v, s);
            goto out;
        }
    }
    struct grok_err e2 = {0};
    if ((rc = grok_sigmoid_fit(pt, py, k, NULL, &res->fit, &e2)) != GROK_OK ||
        (o->bootstrap && (rc = grok_sigmoid_bootstrap(pt, py, k, &res->fit, o->bootstrap, o->seed,
                                                      &res->mid_ci, &res->width_ci, NULL, &e2)) != GROK_OK))
        grok_err_set(err, rc, "%s: sigmoid of %s: %s", in->name, column, e2.msg);
out:
    free(pt);
    free(py);
    grok_array_free(&ta);
    grok_array_free(&ya);
    return rc;
}

/* ---- output ------------------------------------------------------------------------------ */

/* The shortest text that reads back as v, for settings in metadata ("0.1", not %.17g's
 * "0.10000000000000001"). */
static const char *fmt_short(char *buf, double v)
{
    if (!isfinite(v))
        return grok_fmt_number(buf, v, 0);
    int prec = 1;
    for (; prec < 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    /* Enough digits for the integer part, so that 10 is "10" rather than "1e+01". */
    int whole = fabs(v) >= 1 ? (int)floor(log10(fabs(v))) + 1 : 0;
    snprintf(buf, 32, "%.*g", whole > prec && whole <= 17 ? whole : prec, v);
    return buf;
}

static void write_num(struct grok_tsv_writer *w, double v, enum col_kind kind)
{
    if (kind == INT && isfinite(v) && v == floor(v) && fabs(v) < 9.2e18)
        grok_tsv_i64(w, (long long)v);
    else
        grok_tsv_f64(w, v);
}

static void meta_real(struct grok_tsv_writer *w, const char *key, double v)
{
    char buf[32];
    grok_tsv_meta(w, key, fmt_short(buf, v));
}

static void write_settings_meta(struct grok_tsv_writer *w, const struct opts *o, int events)
{
    if (events) {
        meta_real(w, "mem_acc", o->ev.mem_acc);
        meta_real(w, "grok_acc", o->ev.grok_acc);
        meta_real(w, "grokked_acc", o->ev.grokked_acc);
        meta_real(w, "grokked_count", o->ev.grokked_count);
        meta_real(w, "onset_factor", o->ev.onset_factor);
        meta_real(w, "onset_min", o->ev.onset_min);
        meta_real(w, "onset_floor", o->ev.onset_floor);
    }
    if (o->bootstrap) {
        char v[160];
        snprintf(v, sizeof v, "%zu resamples with replacement, seed %lu; _lo and _hi are the 2.5 "
                 "and 97.5 percentiles", o->bootstrap, o->seed);
        grok_tsv_meta(w, "bootstrap", v);
    }
}

/* Row r's PC1 share of the matrix `name`; nan when its run did not analyse that matrix. */
static double row_pc1(const struct events_row *r, const char *name)
{
    for (size_t k = 0; k < r->npc; k++)
        if (strcmp(r->pc_names[k], name) == 0)
            return r->pc1[k];
    return NAN;
}

static int write_events_table(struct grok_tsv_writer *w, const struct opts *o,
                              const struct events_row *rows, int n, struct grok_err *err)
{
    /* The pc1.MATRIX columns: every run's matrices, each once, in the order first met. */
    size_t total = 0, nm = 0;
    for (int i = 0; i < n; i++)
        total += rows[i].npc;
    const char **names = malloc((total ? total : 1) * sizeof *names);
    if (!names)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++)
        for (size_t k = 0; k < rows[i].npc; k++) {
            size_t m = 0;
            while (m < nm && strcmp(names[m], rows[i].pc_names[k]) != 0)
                m++;
            if (m == nm)
                names[nm++] = rows[i].pc_names[k];
        }
    write_settings_meta(w, o, 1);
    for (int j = 0; j < NCOLS; j++)
        grok_tsv_str(w, ev_cols[j].name);
    for (size_t m = 0; m < nm; m++) {
        char col[GROK_MAX_NAME + sizeof PC1_PREFIX];
        snprintf(col, sizeof col, PC1_PREFIX "%s", names[m]);
        grok_tsv_str(w, col);
    }
    grok_tsv_end_row(w);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < NCOLS; j++) {
            if (ev_cols[j].kind == TEXT)
                grok_tsv_str(w, rows[i].text[j] ? rows[i].text[j] : "nan");
            else
                write_num(w, rows[i].num[j], ev_cols[j].kind);
        }
        for (size_t m = 0; m < nm; m++)
            grok_tsv_f64(w, row_pc1(&rows[i], names[m]));
        grok_tsv_end_row(w);
    }
    free(names);
    return GROK_OK;
}

static void write_laws_table(struct grok_tsv_writer *w, const struct opts *o,
                             const struct law_result *res, int n)
{
    int seen[3] = {0};
    for (int i = 0; i < n; i++)
        if (!seen[res[i].spec->form]++)
            grok_tsv_meta(w, grok_law_form_name(res[i].spec->form),
                          grok_law_form_formula(res[i].spec->form));
    grok_tsv_meta(w, "se", "standard errors from the residuals of the least-squares fit (on logs "
                  "for power and exp; a's by the delta method)");
    write_settings_meta(w, o, 0);
    const char *head[] = {"y", "x", "form", "n", "dropped", "b", "b_se", "a", "a_se", "r2",
                          "b_lo", "b_hi", "a_lo", "a_hi"};
    for (int j = 0; j < (o->bootstrap ? 14 : 10); j++)
        grok_tsv_str(w, head[j]);
    grok_tsv_end_row(w);
    for (int i = 0; i < n; i++) {
        const struct law_result *r = &res[i];
        grok_tsv_str(w, r->spec->y);
        grok_tsv_str(w, r->spec->x);
        grok_tsv_str(w, grok_law_form_name(r->spec->form));
        grok_tsv_i64(w, (long long)r->fit.n);
        grok_tsv_i64(w, (long long)r->dropped);
        grok_tsv_f64(w, r->fit.b);
        grok_tsv_f64(w, r->fit.b_se);
        grok_tsv_f64(w, r->fit.a);
        grok_tsv_f64(w, r->fit.a_se);
        grok_tsv_f64(w, r->fit.r2);
        if (o->bootstrap) {
            grok_tsv_f64(w, r->b_ci.lo);
            grok_tsv_f64(w, r->b_ci.hi);
            grok_tsv_f64(w, r->a_ci.lo);
            grok_tsv_f64(w, r->a_ci.hi);
        }
        grok_tsv_end_row(w);
    }
}

/* The numbers of a sigmoid row, in column order after run and column. */
static const char *const sig_head[] = {"n", "mid", "mid_se", "width", "width_se", "lo", "hi",
                                       "rmse", "mid_lo", "mid_hi", "width_lo", "width_hi"};

static void sig_values(const struct sig_result *r, double v[12])
{
    const double x[12] = {(double)r->fit.n, r->fit.mid, r->fit.mid_se, r->fit.width,
                          r->fit.width_se, r->fit.lo, r->fit.hi, r->fit.rmse,
                          r->mid_ci.lo, r->mid_ci.hi, r->width_ci.lo, r->width_ci.hi};
    memcpy(v, x, sizeof x);
}

static void write_sigmoid_table(struct grok_tsv_writer *w, const struct opts *o,
                                const struct sig_result *res, int n)
{
    grok_tsv_meta(w, "sigmoid", "y = lo + (hi - lo) / (1 + exp(-(step - mid) / width))");
    write_settings_meta(w, o, 0);
    int nv = o->bootstrap ? 12 : 8;
    grok_tsv_str(w, "run");
    grok_tsv_str(w, "column");
    for (int j = 0; j < nv; j++)
        grok_tsv_str(w, sig_head[j]);
    grok_tsv_end_row(w);
    for (int i = 0; i < n; i++) {
        double v[12];
        sig_values(&res[i], v);
        grok_tsv_str(w, res[i].in->name);
        grok_tsv_str(w, res[i].column);
        for (int j = 0; j < nv; j++)
            write_num(w, v[j], j == 0 ? INT : REAL);
        grok_tsv_end_row(w);
    }
}

static int write_scalar(struct grok_run *out, const char *name, double v, struct grok_err *err)
{
    size_t one = 1;
    return grok_run_write_f64(out, "/fit", name, &v, 1, &one, err);
}

/* /fit: the numeric events columns as one-value datasets, so that grok-snap -t fit prints one
 * row; the settings among them make such rows, concatenated over runs, a table for --law. The
 * sigmoids as sigmoid.COLUMN.NAME, the thresholds as attributes. */
static int write_fit_group(struct grok_run *out, const struct opts *o, const struct events_row *r,
                           const struct sig_result *sig, int nsig, struct grok_err *err)
{
    int rc = GROK_OK;
    for (int j = 0; j < NCOLS && rc == GROK_OK; j++)
        if (ev_cols[j].kind != TEXT)
            rc = write_scalar(out, ev_cols[j].name, r->num[j], err);
    for (size_t k = 0; k < r->npc && rc == GROK_OK; k++) {
        char name[GROK_MAX_NAME + 1];
        int len = snprintf(name, sizeof name, PC1_PREFIX "%s", r->pc_names[k]);
        if (len < 0 || (size_t)len >= sizeof name)
            return grok_err_set(err, GROK_EINVAL, "/pca@matrices: matrix name too long");
        rc = write_scalar(out, name, r->pc1[k], err);
    }
    for (int i = 0; i < nsig && rc == GROK_OK; i++) {
        double v[12];
        sig_values(&sig[i], v);
        for (int j = 0; j < (o->bootstrap ? 12 : 8) && rc == GROK_OK; j++) {
            char name[GROK_MAX_NAME + 1];
            int len = snprintf(name, sizeof name, "sigmoid.%s.%s", sig[i].column, sig_head[j]);
            if (len < 0 || (size_t)len >= sizeof name)
                return grok_err_set(err, GROK_EINVAL, "--sigmoid: column name too long");
            rc = write_scalar(out, name, v[j], err);
        }
    }
    const char *keys[] = {"mem_acc", "grok_acc", "grokked_acc", "onset_factor", "onset_min",
                          "onset_floor"};
    const double vals[] = {o->ev.mem_acc, o->ev.grok_acc, o->ev.grokked_acc, o->ev.onset_factor,
                           o->ev.onset_min, o->ev.onset_floor};
    for (int i = 0; i < 6 && rc == GROK_OK; i++)
        rc = grok_run_attr_set_double(out, "/fit", keys[i], vals[i], err);
    if (rc == GROK_OK)
        rc = grok_run_attr_set_int(out, "/fit", "grokked_count", o->ev.grokked_count, err);
    if (rc == GROK_OK && nsig && o->bootstrap)
        rc = grok_run_attr_set_int(out, "/fit", "bootstrap", (long long)o->bootstrap, err);
    if (rc == GROK_OK && nsig && o->bootstrap)
        rc = grok_run_attr_set_int(out, "/fit", "seed", (long long)o->seed, err);
    return rc;
}

/* ---- main -------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    grok_cli_init("grok-fit", argc, argv);
    struct opts o = parse_args(argc, argv);
    struct grok_err err = {0};
    struct grok_text_out text = {0};
    struct grok_run *out = NULL;
    struct events_row *rows = NULL;
    struct law_result *laws = NULL;
    struct sig_result *sigs = NULL;
    int nwords = argc - optind, nin = nwords > 0 ? nwords : 1;
    int nsigs = 0, nruns = 0, rc;
    int table = grok_output_is_table(&o.co) || o.nlaws;
    struct grok_input *ins = calloc((size_t)nin, sizeof *ins);
    if (!ins)
        grok_die(GROK_EXIT_DATA, "out of memory");

    /* The inputs: several allowed, standard input at most once and never a terminal. */
    int from_stdin = 0;
    const char **paths = calloc((size_t)nin, sizeof *paths);
    if (!paths)
        grok_die(GROK_EXIT_DATA, "out of memory");
    for (int i = 0; i < nin; i++) {
        paths[i] = optind + i < argc ? argv[optind + i] : "-";
        from_stdin += strcmp(paths[i], "-") == 0;
    }
    if (from_stdin > 1)
        grok_usage("standard input ('-') given more than once");
    if (from_stdin && isatty(STDIN_FILENO))
        grok_usage("no input: name a run or a table, or pipe one in");
    int to_file = o.co.output && strcmp(o.co.output, "-") != 0;
    if (o.nlaws && to_file && !grok_output_is_table(&o.co))
        grok_usage("--law writes a table: add -t, or name an output ending in .tsv");

    for (int i = 0; i < nin; i++) {
        if (grok_input_open(&ins[i], paths[i], &err) != GROK_OK)
            goto fail;
        nruns += ins[i].run != NULL;
    }
    if (!table && nruns == 0 && !to_file)
        table = 1; /* tables in, standard output: there is no run to write */
    if (!table && (nin != 1 || nruns != 1)) {
        const char *why = nruns == 0 ? "the inputs are tables, there is no run to write /fit into"
                                     : "a run as output takes exactly one run as input";
        for (int i = 0; i < nin; i++)
            grok_input_close(&ins[i]);
        grok_usage("%s: add -t for a table", why);
    }

    /* Events: of every input for the events table and the laws, of the one run for /fit. */
    if (!(rows = calloc((size_t)nin, sizeof *rows)) ||
        !(laws = calloc((size_t)(o.nlaws ? o.nlaws : 1), sizeof *laws)) ||
        !(sigs = calloc((size_t)nin * (size_t)(o.nsig ? o.nsig : 1), sizeof *sigs))) {
        grok_err_set(&err, GROK_ENOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < nin; i++) {
        int need = o.nlaws ? !gives_rows(&ins[i], &o) : !(o.nsig && table);
        if (need && events_of(&ins[i], &o.ev, &rows[i], &err) != GROK_OK)
            goto fail;
    }
    for (int l = 0; l < o.nlaws; l++)
        if (fit_law(&o.laws[l], ins, nin, rows, &o, &laws[l], &err) != GROK_OK)
            goto fail;
    for (int i = 0; i < nin; i++)
        for (int s = 0; s < o.nsig; s++, nsigs++)
            if (fit_sigmoid(&ins[i], o.sigmoids[s], &o, &sigs[nsigs], &err) != GROK_OK)
                goto fail;
    if (grok_interrupted()) {
        grok_err_set(&err, GROK_EIO, "interrupted");
        goto fail;
    }

    if (table) {
        struct grok_tsv_writer w;
        if (grok_text_open(&text, o.co.output, &err) != GROK_OK)
            goto fail;
        grok_tsv_init(&w, text.f);
        if (o.nlaws)
            write_laws_table(&w, &o, laws, o.nlaws);
        else if (o.nsig)
            write_sigmoid_table(&w, &o, sigs, nsigs);
        else if (write_events_table(&w, &o, rows, nin, &err) != GROK_OK)
            goto fail;
        if (grok_text_finish(&text, 1, &err) != GROK_OK)
            goto fail;
    } else {
        int pargc;
        char **pargv = grok_cli_argv(&pargc);
        if (!(out = grok_run_derive(o.co.output, ins[0].run, "/fit", "grok-fit", pargc, pargv, &err)) ||
            write_fit_group(out, &o, &rows[0], sigs, nsigs, &err) != GROK_OK ||
            grok_run_commit(out, &err) != GROK_OK)
            goto fail;
    }
    rc = GROK_EXIT_OK;
    goto done;
fail:
    rc = grok_cli_failed(&text, &err);
done:
    grok_run_close(out);
    for (int i = 0; rows && i < nin; i++)
        events_row_free(&rows[i]);
    for (int i = 0; i < nin; i++)
        grok_input_close(&ins[i]);
    free(ins);
    free(paths);
    free(rows);
    free(laws);
    free(sigs);
    free(o.laws);
    free(o.sigmoids);
    return rc;
}
