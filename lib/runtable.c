/* A run's contents as tables (include/grok/runtable.h). */
#include "grok/runtable.h"
#include "grok/runlist.h"
#include "grok/tsv.h"

#include <stdlib.h>
#include <string.h>

/* "AxBxC", "scalar" for rank 0. */
static void format_shape(char *buf, size_t cap, int rank, const size_t *shape)
{
    size_t len = 0;
    buf[0] = '\0';
    if (rank == 0)
        snprintf(buf, cap, "scalar");
    for (int i = 0; i < rank && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%zu", i ? "x" : "", shape[i]);
}

int grok_runtable_write_list(struct grok_run *run, FILE *f, struct grok_err *err)
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

/* The /config attributes as `# key: value` lines, so that a table carries its run's settings.
 * They are listed as stored, not read through the config module: a table of a run written by
 * another tool, or with settings this version refuses, still shows what the run holds. */
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

/* The row count of a group table: the length most numeric columns share, the longer of two as
 * common, whatever the order (/pca/step beside the per-matrix pc1, pc2, ...). */
static size_t common_length(const struct grok_array *infos, size_t n)
{
    size_t best_count = 0, nrows = 0;
    for (size_t i = 0; i < n; i++) {
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
    return nrows;
}

/* One column of a group table: a numeric dataset, or a text repeated on every row (NULL: nan). */
struct out_col {
    const char *name;
    const struct grok_array *num;   /* NULL for a text column */
    const char *text;
};

static void write_columns(struct grok_run *run, const char *gpath, const char *skipped,
                          const struct out_col *cols, size_t ncols, size_t nrows, FILE *f)
{
    struct grok_tsv_writer w;
    grok_tsv_init(&w, f);
    grok_tsv_meta(&w, "run", grok_run_name(run));
    grok_tsv_meta(&w, "table", gpath);
    if (skipped)
        grok_tsv_meta(&w, "skipped", skipped);
    write_config_meta(&w, run);
    for (size_t j = 0; j < ncols; j++)
        grok_tsv_str(&w, cols[j].name);
    grok_tsv_end_row(&w);
    for (size_t r = 0; r < nrows; r++) {
        for (size_t j = 0; j < ncols; j++) {
            const struct grok_array *c = cols[j].num;
            if (!c) {
                grok_tsv_str(&w, cols[j].text ? cols[j].text : "nan");
                continue;
            }
            switch (c->dtype) {
            case GROK_I64: grok_tsv_i64(&w, ((long long *)c->data)[r]); break;
            case GROK_F32: grok_tsv_f32(&w, ((float *)c->data)[r]); break;
            default: grok_tsv_f64(&w, ((double *)c->data)[r]); break;
            }
        }
        grok_tsv_end_row(&w);
    }
}

/* The table's columns: those the group's `columns` attribute lists, in its order (a 1-D
 * dataset read into cols, else the group's string attribute of that name), then the datasets
 * it does not list, in creation order; without the attribute, the datasets alone. *out and
 * *texts are malloc'd; *texts (ntexts strings, the list the names point into among them) lives
 * as long as *out and is freed by the caller. */
static int order_columns(struct grok_run *run, const char *gpath, const char **colnames,
                         const struct grok_array *cols, size_t ncols, struct out_col **out,
                         size_t *nout, char ***texts, size_t *ntexts, struct grok_err *err)
{
    char *list = NULL;
    size_t nlisted = 0, k = 0;
    *out = NULL;
    *texts = NULL;
    *ntexts = 0;
    if (grok_run_attr_get_str(run, gpath, "columns", &list, NULL) == GROK_OK)
        for (char *p = list; *p; p++)
            nlisted += *p == ',' || p == list;
    unsigned char *used = calloc(ncols ? ncols : 1, 1);
    *out = calloc(ncols + nlisted + 1, sizeof **out);
    *texts = calloc(nlisted + 2, sizeof **texts);
    if (!used || !*out || !*texts) {
        free(used);
        free(list);
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    }
    for (char *name = list ? strtok(list, ",") : NULL; name; name = strtok(NULL, ",")) {
        size_t j = 0;
        while (j < ncols && (used[j] || strcmp(colnames[j], name) != 0))
            j++;
        if (j < ncols) {
            used[j] = 1;
            (*out)[k++] = (struct out_col){colnames[j], &cols[j], NULL};
            continue;
        }
        char *text = NULL;
        if (grok_run_attr_get_str(run, gpath, name, &text, NULL) == GROK_OK)
            (*texts)[(*ntexts)++] = text;
        (*out)[k++] = (struct out_col){name, NULL, text};
    }
    if (list) /* the listed names point into it */
        (*texts)[(*ntexts)++] = list;
    for (size_t j = 0; j < ncols; j++)
        if (!used[j])
            (*out)[k++] = (struct out_col){colnames[j], &cols[j], NULL};
    free(used);
    *nout = k;
    return GROK_OK;
}

int grok_runtable_write_group(struct grok_run *run, const char *group, FILE *f,
                              struct grok_err *err)
{
    char gpath[GROK_MAX_NAME + 2], path[2 * GROK_MAX_NAME + 4];
    if (!group)
        group = "metrics";
    if (grok_run_path(gpath, sizeof gpath, "", group + (group[0] == '/'), err) != GROK_OK)
        return GROK_EINVAL;
    if (!grok_run_exists(run, gpath))
        return grok_err_set(err, GROK_ENOTFOUND, "%s: no group %s", grok_run_name(run), gpath);
    char **names;
    size_t n, ncols = 0, nrows, skipped_len = 0;
    int rc = grok_run_children(run, gpath, &names, &n, err);
    if (rc != GROK_OK)
        return rc;
    struct grok_array *cols = calloc(n ? n : 1, sizeof *cols);
    struct grok_array *infos = calloc(n ? n : 1, sizeof *infos);
    const char **colnames = calloc(n ? n : 1, sizeof *colnames);
    char *skipped = NULL, **texts = NULL;
    struct out_col *ordered = NULL;
    size_t nordered = 0, ntexts = 0;
    if (!cols || !infos || !colnames) {
        rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
        goto out;
    }
    /* First the shapes, to choose the length; infos[i].rank stays 0 for what is no 1-D dataset. */
    for (size_t i = 0; i < n; i++)
        if (grok_run_path(path, sizeof path, gpath, names[i], NULL) != GROK_OK ||
            grok_run_info(run, path, &infos[i], NULL) != GROK_OK || infos[i].rank != 1)
            infos[i].rank = 0;
    nrows = common_length(infos, n);
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
        if ((rc = grok_run_path(path, sizeof path, gpath, names[i], err)) != GROK_OK ||
            (rc = grok_run_read(run, path, is_int ? GROK_I64 : infos[i].dtype, &cols[ncols],
                                err)) != GROK_OK)
            goto out;
        colnames[ncols++] = names[i];
    }
    if (ncols == 0) {
        rc = grok_err_set(err, GROK_EFORMAT, "%s: %s holds no 1-D columns of numbers",
                          grok_run_name(run), gpath);
        goto out;
    }
    if ((rc = order_columns(run, gpath, colnames, cols, ncols, &ordered, &nordered, &texts,
                            &ntexts, err)) != GROK_OK)
        goto out;
    write_columns(run, gpath, skipped, ordered, nordered, nrows, f);
    rc = GROK_OK;
out:
    free(ordered);
    for (size_t j = 0; j < ntexts; j++)
        free(texts[j]);
    free(texts);
    for (size_t j = 0; cols && j < ncols; j++)
        grok_array_free(&cols[j]);
    free(cols);
    free(infos);
    free(colnames);
    free(skipped);
    grok_names_free(names, n);
    return rc;
}

int grok_runtable_write_matrix(struct grok_run *run, const struct grok_snapshots *s, size_t t,
                               const char *param, FILE *f, struct grok_err *err)
{
    char shape[160], step[32];
    struct grok_array a;
    int rc = grok_snapshot_read(run, t, param, &a, NULL, err);
    if (rc != GROK_OK)
        return rc;
    size_t cols = a.rank >= 2 ? a.shape[a.rank - 1] : 1;
    size_t rows = cols ? a.n / cols : 0;
    format_shape(shape, sizeof shape, a.rank - 1, a.shape + 1);
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

int grok_runtable_write_trajectory(struct grok_run *run, const struct grok_snapshots *s,
                                   char *const *params, size_t nparams,
                                   const struct grok_steps *steps, FILE *f, struct grok_err *err)
{
    size_t *rows = NULL, T = 0, total = 0;
    long long *stp = NULL;
    struct grok_array *a = calloc(nparams ? nparams : 1, sizeof *a);
    struct grok_tensor *ts = calloc(nparams ? nparams : 1, sizeof *ts);
    int rc = a && ts ? grok_snapshots_select(s, steps, &rows, &stp, &T, err)
                     : grok_err_set(err, GROK_ENOMEM, "out of memory");
    if (rc == GROK_OK && T == 0)
        rc = grok_err_set(err, GROK_ENOTFOUND, "%s: no snapshot has a step in the range of -s",
                          grok_run_name(run));
    for (size_t i = 0; rc == GROK_OK && i < nparams; i++)
        if ((rc = grok_snapshot_read(run, rows[0], params[i], &a[i], &ts[i], err)) == GROK_OK)
            total += a[i].n;
    if (rc == GROK_OK && total > GROK_TRAJECTORY_MAX)
        rc = grok_err_set(err, GROK_EINVAL, "%s: -t snapshots: the parameters hold %zu numbers, more "
                          "than %d columns (choose fewer with -p)", grok_run_name(run), total,
                          GROK_TRAJECTORY_MAX);
    if (rc != GROK_OK)
        goto out;
    struct grok_tsv_writer w;
    char name[GROK_MAX_NAME + 48];
    grok_tsv_init(&w, f);
    grok_tsv_meta(&w, "run", grok_run_name(run));
    grok_tsv_str(&w, "step");
    for (size_t i = 0; i < nparams; i++) {
        size_t cols = ts[i].rank >= 2 ? ts[i].shape[ts[i].rank - 1] : 1;
        for (size_t k = 0; k < a[i].n; k++) {
            if (ts[i].rank >= 2)
                snprintf(name, sizeof name, "%s[%zu,%zu]", params[i], k / cols, k % cols);
            else
                snprintf(name, sizeof name, "%s[%zu]", params[i], k);
            grok_tsv_str(&w, name);
        }
    }
    grok_tsv_end_row(&w);
    for (size_t t = 0; rc == GROK_OK && t < T; t++) {
        for (size_t i = 0; rc == GROK_OK && t > 0 && i < nparams; i++) {
            grok_array_free(&a[i]);   /* the reader overwrites, the caller frees */
            rc = grok_snapshot_read(run, rows[t], params[i], &a[i], NULL, err);
        }
        if (rc != GROK_OK)
            break;
        grok_tsv_i64(&w, stp[t]);
        for (size_t i = 0; i < nparams; i++) {
            const float *v = a[i].data;
            for (size_t k = 0; k < a[i].n; k++)
                grok_tsv_f32(&w, v[k]);
        }
        grok_tsv_end_row(&w);
    }
out:
    for (size_t i = 0; a && i < nparams; i++)
        grok_array_free(&a[i]);
    free(a);
    free(ts);
    free(rows);
    free(stp);
    return rc;
}
