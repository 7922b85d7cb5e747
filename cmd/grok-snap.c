/* grok-snap: list a run, cut snapshots and parameters out of it, export any dataset as TSV. */
#include "grok/cli.h"
#include "grok/history.h"
#include "grok/progress.h"
#include "grok/run.h"
#include "grok/runlist.h"
#include "grok/select.h"
#include "grok/snapshots.h"
#include "grok/state.h"
#include "grok/tsv.h"

#include <errno.h>
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
    "  -t, --table[=GROUP]    a table: GROUP's 1-D columns (default metrics), or with --at\n"
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
    "  grok-snap --at 5000 -t embed.W_E run.h5 > W_E.tsv\n";

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

/* ---- tables ------------------------------------------------------------------------------ */

static void format_shape(char *buf, size_t cap, int rank, const size_t *shape)
{
    size_t len = 0;
    buf[0] = '\0';
    if (rank == 0)
        snprintf(buf, cap, "scalar");
    for (int i = 0; i < rank && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%zu", i ? "x" : "", shape[i]);
}

static int write_list(struct grok_run *run, FILE *f, struct grok_err *err)
{
    struct grok_entry *e;
    size_t n;
    int rc = grok_run_list(run, "/", &e, &n, err);
    if (rc != GROK_OK)
        return rc;
    struct grok_tsv_writer w;
    grok_tsv_init(&w, f);
    grok_tsv_meta(&w, "run", grok_run_name(run));
    const char *header[] = {"kind", "path", "type", "shape", "value"};
    for (int i = 0; i < 5; i++)
        grok_tsv_str(&w, header[i]);
    grok_tsv_end_row(&w);
    for (size_t i = 0; i < n; i++) {
        char path[1200], shape[160];
        if (e[i].attr)
            snprintf(path, sizeof path, "%s@%s", e[i].path, e[i].attr);
        else
            snprintf(path, sizeof path, "%s", e[i].path);
        format_shape(shape, sizeof shape, e[i].rank, e[i].shape);
        /* The history holds one line per program: shown on one row, the lines separated by "|". */
        for (char *p = e[i].value; p && *p; p++)
            if (*p == '\n')
                *p = '|';
        grok_tsv_str(&w, e[i].attr ? "attribute" : "dataset");
        grok_tsv_str(&w, path);
        grok_tsv_str(&w, e[i].type_name);
        grok_tsv_str(&w, shape);
        grok_tsv_str(&w, e[i].value ? e[i].value : "");
        grok_tsv_end_row(&w);
    }
    grok_entries_free(e, n);
    return GROK_OK;
}

/* The /config attributes as `# key: value` lines, so that a table carries its run's settings. */
static void write_config_meta(struct grok_tsv_writer *w, struct grok_run *run)
{
    struct grok_entry *e;
    size_t n;
    if (grok_run_list(run, "/config", &e, &n, NULL) != GROK_OK)
        return;
    for (size_t i = 0; i < n; i++)
        if (e[i].attr && strcmp(e[i].path, "/config") == 0)
            grok_tsv_meta(w, e[i].attr, e[i].value);
    grok_entries_free(e, n);
}

/* Appends "name (note)" to the growing list *list (", " between items); 0 when out of memory. */
static int note_skipped(char **list, size_t *len, const char *name, const char *note)
{
    size_t add = strlen(name) + strlen(note) + 6;
    char *bigger = realloc(*list, *len + add);
    if (!bigger)
        return 0;
    *len += (size_t)snprintf(bigger + *len, add, "%s%s (%s)", *len ? ", " : "", name, note);
    *list = bigger;
    return 1;
}

/* Whether a dataset's info is that of a 1-D column of numbers. */
static int numeric_column(const struct grok_array *info)
{
    return info->rank == 1 && info->dtype != GROK_STR && info->dtype != GROK_OTHER;
}

/* The 1-D datasets of a group as columns. The rows of a table have one length: the one most
 * columns share, the longer of two as common, so that one column of another length (/pca/step
 * beside the per-matrix pc1, pc2, ...) does not hide the others, whatever the order. Every 1-D
 * dataset left out, of another length or of text (libgrok reads numbers only), is named in a
 * `# skipped:` line rather than silently dropped. */
static int write_group_table(struct grok_run *run, const char *group, FILE *f, struct grok_err *err)
{
    char gpath[GROK_MAX_NAME + 2], path[2 * GROK_MAX_NAME + 4];
    if (grok_run_path(gpath, sizeof gpath, "", group + (group[0] == '/'), err) != GROK_OK)
        return GROK_EINVAL; /* group is "metrics" or "/metrics" */
    if (!grok_run_exists(run, gpath))
        return grok_err_set(err, GROK_ENOTFOUND, "%s: no group %s", grok_run_name(run), gpath);
    char **names;
    size_t n, ncols = 0, nrows = 0, skipped_len = 0;
    int rc = grok_run_children(run, gpath, &names, &n, err);
    if (rc != GROK_OK)
        return rc;
    struct grok_array *cols = calloc(n ? n : 1, sizeof *cols);
    struct grok_array *infos = calloc(n ? n : 1, sizeof *infos);
    const char **colnames = calloc(n ? n : 1, sizeof *colnames);
    char *skipped = NULL;
    if (!cols || !infos || !colnames) {
        rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
        goto out;
    }
    /* First the shapes, to choose the length; infos[i].rank stays 0 for what is no 1-D dataset. */
    size_t best_count = 0;
    for (size_t i = 0; i < n; i++) {
        if (grok_run_path(path, sizeof path, gpath, names[i], NULL) != GROK_OK ||
            grok_run_info(run, path, &infos[i], NULL) != GROK_OK || infos[i].rank != 1) {
            infos[i].rank = 0;
            continue;
        }
        if (!numeric_column(&infos[i]))
            continue;
        size_t count = 0;
        for (size_t j = 0; j <= i; j++)
            count += numeric_column(&infos[j]) && infos[j].shape[0] == infos[i].shape[0];
        if (count > best_count || (count == best_count && infos[i].shape[0] > nrows)) {
            best_count = count;
            nrows = infos[i].shape[0];
        }
    }
    for (size_t i = 0; i < n; i++) {
        char note[48];
        if (infos[i].rank != 1)
            continue;
        if (!numeric_column(&infos[i]))
            snprintf(note, sizeof note, "%s", infos[i].dtype == GROK_STR ? "text" : "not numbers");
        else if (infos[i].shape[0] != nrows)
            snprintf(note, sizeof note, "%zu rows", infos[i].shape[0]);
        else
            note[0] = '\0';
        if (note[0]) {
            if (!note_skipped(&skipped, &skipped_len, names[i], note)) {
                rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
                goto out;
            }
            continue;
        }
        int is_int = infos[i].dtype == GROK_I32 || infos[i].dtype == GROK_I64;
        if (grok_run_path(path, sizeof path, gpath, names[i], err) != GROK_OK ||
            (rc = grok_run_read(run, path, is_int ? GROK_I64 : infos[i].dtype, &cols[ncols], err)) != GROK_OK)
            goto out;
        colnames[ncols++] = names[i];
    }
    if (ncols == 0) {
        rc = grok_err_set(err, GROK_EFORMAT, "%s: %s holds no 1-D columns of numbers",
                          grok_run_name(run), gpath);
        goto out;
    }
    struct grok_tsv_writer w;
    grok_tsv_init(&w, f);
    grok_tsv_meta(&w, "run", grok_run_name(run));
    grok_tsv_meta(&w, "table", gpath);
    if (skipped)
        grok_tsv_meta(&w, "skipped", skipped);
    write_config_meta(&w, run);
    for (size_t j = 0; j < ncols; j++)
        grok_tsv_str(&w, colnames[j]);
    grok_tsv_end_row(&w);
    for (size_t r = 0; r < nrows; r++) {
        for (size_t j = 0; j < ncols; j++) {
            switch (cols[j].dtype) {
            case GROK_I64: grok_tsv_i64(&w, ((long long *)cols[j].data)[r]); break;
            case GROK_F32: grok_tsv_f32(&w, ((float *)cols[j].data)[r]); break;
            default: grok_tsv_f64(&w, ((double *)cols[j].data)[r]); break;
            }
        }
        grok_tsv_end_row(&w);
    }
    rc = GROK_OK;
out:
    for (size_t j = 0; cols && j < ncols; j++)
        grok_array_free(&cols[j]);
    free(cols);
    free(infos);
    free(colnames);
    free(skipped);
    grok_names_free(names, n);
    return rc;
}

/* One snapshot of a parameter as a matrix: leading dimensions flattened into rows. */
static int write_matrix_table(struct grok_run *run, const struct grok_snapshots *s, size_t t,
                              const char *param, FILE *f, struct grok_err *err)
{
    char path[GROK_MAX_NAME + 16], shape[160];
    if (grok_run_path(path, sizeof path, "/snapshots", param, NULL) != GROK_OK ||
        !grok_run_exists(run, path))
        return grok_err_set(err, GROK_ENOTFOUND, "%s: no snapshots of '%s'", grok_run_name(run), param);
    struct grok_array a;
    int rc = grok_run_read_rows(run, path, t, 1, GROK_F32, &a, err);
    if (rc != GROK_OK)
        return rc;
    size_t cols = a.rank >= 2 ? a.shape[a.rank - 1] : 1;
    size_t rows = cols ? a.n / cols : 0;
    format_shape(shape, sizeof shape, a.rank - 1, a.shape + 1);
    char step[32];
    snprintf(step, sizeof step, "%lld", s->steps[t]);
    struct grok_tsv_writer w;
    grok_tsv_init(&w, f);
    grok_tsv_meta(&w, "run", grok_run_name(run));
    grok_tsv_meta(&w, "param", param);
    grok_tsv_meta(&w, "step", step);
    grok_tsv_meta(&w, "shape", shape);
    grok_tsv_str(&w, "row");
    for (size_t j = 0; j < cols; j++)
        grok_tsv_i64(&w, (long long)j);
    grok_tsv_end_row(&w);
    const float *v = a.data;
    for (size_t r = 0; r < rows; r++) {
        grok_tsv_i64(&w, (long long)r);
        for (size_t j = 0; j < cols; j++)
            grok_tsv_f32(&w, v[r * cols + j]);
        grok_tsv_end_row(&w);
    }
    grok_array_free(&a);
    return GROK_OK;
}

/* ---- runs -------------------------------------------------------------------------------- */

static int copy_if_present(struct grok_run *dst, struct grok_run *src, const char *path,
                           struct grok_err *err)
{
    return grok_run_exists(src, path) ? grok_run_copy(dst, src, path, err) : GROK_OK;
}

/* The selected parameters' rows of snapshot t, as tensors over buffers in `rows`. */
static int read_snapshot(struct grok_run *run, size_t t, char **sel, size_t nsel,
                         struct grok_array *rows, struct grok_tensor *ts, struct grok_err *err)
{
    for (size_t i = 0; i < nsel; i++) {
        char path[GROK_MAX_NAME + 16];
        grok_array_free(&rows[i]);
        int rc = grok_run_path(path, sizeof path, "/snapshots", sel[i], err);
        if (rc == GROK_OK)
            rc = grok_run_read_rows(run, path, t, 1, GROK_F32, &rows[i], err);
        if (rc != GROK_OK)
            return rc;
        ts[i].name = sel[i];
        ts[i].rank = rows[i].rank - 1;
        memcpy(ts[i].shape, rows[i].shape + 1, sizeof(size_t) * (GROK_MAX_RANK - 1));
        ts[i].data = rows[i].data;
    }
    return GROK_OK;
}

static int write_run(struct grok_run *in, struct grok_run *out, const struct opts *o,
                     const struct grok_snapshots *s, char **sel, size_t nsel, struct grok_err *err)
{
    int rc, argc;
    char **argv = grok_cli_argv(&argc);
    struct grok_progress bar = {0};
    struct grok_array *rows = calloc(nsel ? nsel : 1, sizeof *rows);
    struct grok_tensor *ts = calloc(nsel ? nsel : 1, sizeof *ts);
    if (!rows || !ts) {
        rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = grok_run_copy_history(out, in, err)) != GROK_OK ||
        (rc = grok_run_history_add(out, "grok-snap", argc, argv, err)) != GROK_OK ||
        (rc = copy_if_present(out, in, "/config", err)) != GROK_OK ||
        (rc = copy_if_present(out, in, "/data", err)) != GROK_OK)
        goto out;
    if (o->have_at) {
        size_t t = grok_snapshots_nearest(s, o->at);
        if ((rc = read_snapshot(in, t, sel, nsel, rows, ts, err)) == GROK_OK)
            rc = grok_run_state_write(out, s->steps[t], ts, (int)nsel, err);
        goto out;
    }
    if ((rc = copy_if_present(out, in, "/metrics", err)) != GROK_OK)
        goto out;
    size_t kept = 0;
    grok_progress_start(&bar, "grok-snap", (long long)s->T, o->co.quiet);
    for (size_t t = 0; t < s->T; t++) {
        grok_progress_update(&bar, (long long)t);
        if (grok_interrupted()) {
            rc = grok_err_set(err, GROK_EIO, "interrupted");
            goto out;
        }
        if (!grok_steps_match(&o->sel.steps, s->steps[t]))
            continue;
        if ((rc = read_snapshot(in, t, sel, nsel, rows, ts, err)) != GROK_OK ||
            (rc = grok_run_snapshot_append(out, s->steps[t], ts, (int)nsel, err)) != GROK_OK)
            goto out;
        kept++;
    }
    if (kept == 0)
        rc = grok_err_set(err, GROK_ENOTFOUND, "%s: no snapshot has a step in the range given by -s",
                          grok_run_name(in));
out:
    grok_progress_end(&bar);
    for (size_t i = 0; rows && i < nsel; i++)
        grok_array_free(&rows[i]);
    free(rows);
    free(ts);
    return rc;
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
    int rc;

    if (table && !o.list && !o.have_at && (o.sel.nglobs || o.sel.steps_text)) {
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
    if (!o.list && (!table || o.have_at)) {
        if ((rc = grok_snapshots_load(in, &s, &err)) != GROK_OK)
            goto fail;
        if (!(sel = calloc(s.nparams ? s.nparams : 1, sizeof *sel))) {
            grok_err_set(&err, GROK_ENOMEM, "out of memory");
            goto fail;
        }
        for (size_t i = 0; i < s.nparams; i++)
            if (grok_globs_match(o.sel.globs, o.sel.nglobs, s.params[i]))
                sel[nsel++] = s.params[i];
        if (s.nparams == 0) {
            grok_err_set(&err, GROK_ENOTFOUND, "%s: /snapshots holds no parameters", grok_run_name(in));
            goto fail;
        }
        if (nsel == 0) {
            char globs[512];
            grok_globs_join(globs, sizeof globs, o.sel.globs, o.sel.nglobs);
            grok_err_set(&err, GROK_ENOTFOUND, "%s: no parameter matches -p %s", grok_run_name(in),
                         globs);
            goto fail;
        }
        if (s.T == 0) {
            grok_err_set(&err, GROK_ENOTFOUND, "%s: /snapshots/step is empty", grok_run_name(in));
            goto fail;
        }
    }
    if (table) {
        if (grok_text_open(&text, o.co.output, &err) != GROK_OK)
            goto fail;
        if (o.list)
            rc = write_list(in, text.f, &err);
        else if (o.have_at)
            rc = write_matrix_table(in, &s, grok_snapshots_nearest(&s, o.at), o.co.table_arg,
                                    text.f, &err);
        else
            rc = write_group_table(in, o.co.table_arg ? o.co.table_arg : "metrics", text.f, &err);
        if (rc != GROK_OK || grok_text_finish(&text, 1, &err) != GROK_OK)
            goto fail;
    } else {
        if (!(out = grok_run_create(o.co.output, &err)))
            goto fail;
        if (write_run(in, out, &o, &s, sel, nsel, &err) != GROK_OK ||
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
    grok_snapshots_free(&s);
    free(sel);
    grok_selection_free(&o.sel);
    return rc;
}
