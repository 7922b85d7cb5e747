#include "grok/events.h"
#include "grok/commute_run.h"
#include "grok/config.h"
#include "grok/metrics.h"
#include "grok/pca_run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
_Static_assert(NCOLS == GROK_EVENTS_NCOLS, "events.h counts the columns");

/* After the fixed columns, one pc1.MATRIX column per matrix that grok-pca analysed: P1 reads the
 * PC1 share of each attention matrix, which pc1_mean alone hides. */
#define PC1_PREFIX "pc1."

/* The settings, from /config or a metrics table's metadata; op, model and preset are text. */
static const char *const text_keys[] = {"op", "model", "preset"};
static const int text_cols[] = {C_OP, C_MODEL, C_PRESET};
enum { N_TEXT_KEYS = sizeof text_keys / sizeof *text_keys };
static const char *const num_keys[] = {"p", "lr", "wd", "seed"};
static const int num_cols[] = {C_P, C_LR, C_WD, C_SEED};
enum { N_NUM_KEYS = sizeof num_keys / sizeof *num_keys };

void grok_events_row_free(struct grok_events_row *r)
{
    if (!r)
        return;
    for (int i = 0; i < N_TEXT_KEYS; i++)
        free(r->text[text_cols[i]]);
    free(r->pc_list);
    free(r->pc_names);
    free(r->pc1);
    memset(r, 0, sizeof *r);
}

/* ---- a run's groups ---------------------------------------------------------------------- */

/* The settings of a run, each NULL or nan when /config lacks it. */
static void config_read(struct grok_run *run, struct grok_events_row *r)
{
    for (int i = 0; i < N_TEXT_KEYS; i++) {
        char *s = NULL;
        if (grok_config_get_text(run, text_keys[i], &s, NULL) == GROK_OK)
            r->text[text_cols[i]] = s;
    }
    for (int i = 0; i < N_NUM_KEYS; i++)
        if (grok_config_get_number(run, num_keys[i], &r->num[num_cols[i]], NULL) != GROK_OK)
            r->num[num_cols[i]] = NAN;
}

/* ---- events ------------------------------------------------------------------------------ */

/* An empty preset (trained without --preset) reads "none"; a missing one stays NULL (nan), like
 * any other setting. */
static int preset_none_if_empty(struct grok_events_row *r)
{
    char *s = r->text[C_PRESET];
    if (!s || *s)
        return 0;
    free(s);
    return (r->text[C_PRESET] = strdup("none")) ? 0 : -1;
}

static void events_to_row(const struct grok_events *ev, struct grok_events_row *r)
{
    const double v[] = {ev->n_evals, ev->t_mem, ev->t_grok, ev->t_grok98, ev->grokked,
                        ev->final_train_acc, ev->final_test_acc, ev->t_onset, ev->lead,
                        ev->lead_frac, ev->pc1_mean};
    for (int i = C_EVENTS; i < NCOLS; i++)
        r->num[i] = v[i - C_EVENTS];
}

/* A table's steps must increase, as a run's do (grok_metrics_read checks those): metrics of
 * several runs concatenated into one table would otherwise give events that belong to none of
 * them. */
static int check_table_steps(const struct grok_input *in, const double *step, size_t n,
                             struct grok_err *err)
{
    for (size_t i = 1; i < n; i++)
        if (!(step[i] > step[i - 1])) {
            char a[32], b[32];
            grok_fmt_number(a, step[i], 0);
            grok_fmt_number(b, step[i - 1], 0);
            return grok_err_set(err, GROK_EFORMAT, "%s: line %zu: step %s after step %s (the "
                                "metrics of several runs? give each as its own input)",
                                in->name, in->table->line[i], a, b);
        }
    return GROK_OK;
}

static int events_of_run(const struct grok_input *in, const struct grok_events_opts *o,
                         struct grok_events_row *r, struct grok_err *err)
{
    static const char *const acc[] = {"train_acc", "test_acc"};
    struct grok_array step = {0}, m[2] = {{0}}, cs = {0}, D = {0};
    struct grok_pca_pc1 pc = {0};
    int rc;
    config_read(in->run, r);
    if (preset_none_if_empty(r) != 0)
        return grok_err_set(err, GROK_ENOMEM, "%s: out of memory", in->name);
    if ((rc = grok_metrics_read(in->run, GROK_F64, &step, acc, 2, m, err)) != GROK_OK ||
        (rc = grok_commute_defects_read(in->run, &cs, &D, err)) != GROK_OK ||
        (rc = grok_pca_pc1_read(in->run, &pc, err)) != GROK_OK)
        goto out;
    struct grok_events ev;
    grok_events_compute(o, step.data, m[0].data, m[1].data, step.n, cs.data, D.data, D.n,
                        pc.pc1, pc.n, &ev);
    events_to_row(&ev, r);
    if (pc.names) { /* the named shares become the row's pc1.MATRIX columns */
        r->pc_list = pc.list;
        r->pc_names = pc.names;
        r->pc1 = pc.pc1;
        r->npc = pc.n;
        pc = (struct grok_pca_pc1){0};
    }
out:
    grok_array_free(&step);
    for (int i = 0; i < 2; i++)
        grok_array_free(&m[i]);
    grok_array_free(&cs);
    grok_array_free(&D);
    grok_pca_pc1_free(&pc);
    return rc;
}

/* A metrics table's events; its settings from the `# key: value` lines grok-snap writes. */
static int events_of_table(const struct grok_input *in, const struct grok_events_opts *o,
                           struct grok_events_row *r, struct grok_err *err)
{
    const struct grok_table *t = in->table;
    if (grok_table_find(t, "step") < 0)
        return grok_err_set(err, GROK_ENOTFOUND, "%s: not a metrics table (no column 'step'); "
                            "an events table is read with --law", in->name);
    const double *st, *tr, *te;
    if (!(st = grok_table_num(t, "step", err)) || !(tr = grok_table_num(t, "train_acc", err)) ||
        !(te = grok_table_num(t, "test_acc", err)))
        return err->code;
    int rc = check_table_steps(in, st, t->nrows, err);
    if (rc != GROK_OK)
        return rc;
    for (int i = 0; i < N_TEXT_KEYS; i++) {
        const char *v = grok_table_meta(t, text_keys[i]);
        if (v && !(r->text[text_cols[i]] = strdup(v)))
            return grok_err_set(err, GROK_ENOMEM, "%s: out of memory", in->name);
    }
    if (preset_none_if_empty(r) != 0)
        return grok_err_set(err, GROK_ENOMEM, "%s: out of memory", in->name);
    for (int i = 0; i < N_NUM_KEYS; i++) {
        const char *v = grok_table_meta(t, num_keys[i]);
        if (!v || !grok_parse_number(v, &r->num[num_cols[i]]))
            r->num[num_cols[i]] = NAN;
    }
    struct grok_events ev;
    grok_events_compute(o, st, tr, te, t->nrows, NULL, NULL, 0, NULL, 0, &ev);
    events_to_row(&ev, r);
    return GROK_OK;
}

int grok_events_read(const struct grok_input *in, const struct grok_events_opts *o,
                     struct grok_events_row *r, struct grok_err *err)
{
    memset(r, 0, sizeof *r);
    r->text[C_RUN] = (char *)in->name;
    return in->run ? events_of_run(in, o, r, err) : events_of_table(in, o, r, err);
}

/* The index of the events column `name`, or -1 with GROK_ENOTFOUND in err. */
static int find_column(const struct grok_input *in, const char *name, struct grok_err *err)
{
    for (int c = 0; c < NCOLS; c++)
        if (strcmp(ev_cols[c].name, name) == 0)
            return c;
    grok_err_set(err, GROK_ENOTFOUND, "%s: no column '%s' among the events", in->name, name);
    return -1;
}

int grok_events_value(const struct grok_input *in, const struct grok_events_row *r,
                      const char *name, double *v, struct grok_err *err)
{
    int c = find_column(in, name, err);
    if (c < 0)
        return GROK_ENOTFOUND;
    if (ev_cols[c].kind == TEXT)
        return grok_err_set(err, GROK_EFORMAT, "%s: column '%s' is text, a law needs numbers",
                            in->name, name);
    *v = r->num[c];
    return GROK_OK;
}

int grok_events_text(const struct grok_input *in, const struct grok_events_row *r,
                     const char *name, char *buf, size_t cap, struct grok_err *err)
{
    int c = find_column(in, name, err);
    if (c < 0)
        return GROK_ENOTFOUND;
    if (ev_cols[c].kind == TEXT) {
        snprintf(buf, cap, "%s", r->text[c] ? r->text[c] : "nan");
    } else {
        char num[64];
        snprintf(buf, cap, "%s", grok_fmt_number(num, r->num[c], 0));
    }
    return GROK_OK;
}

int grok_events_is_metrics_table(const struct grok_table *t)
{
    return grok_table_find(t, "step") >= 0 && grok_table_find(t, "train_acc") >= 0 &&
           grok_table_find(t, "test_acc") >= 0;
}

/* ---- a metric against its steps ---------------------------------------------------------- */

int grok_metric_series_read(const struct grok_input *in, const char *column,
                            struct grok_metric_series *s, struct grok_err *err)
{
    memset(s, 0, sizeof *s);
    if (in->run) {
        struct grok_array a[2] = {{0}};
        int rc = grok_metrics_read(in->run, GROK_F64, &a[0], &column, 1, &a[1], err);
        s->own_step = a[0];
        s->own_value = a[1];
        if (rc != GROK_OK)
            return rc;
        s->step = a[0].data;
        s->value = a[1].data;
        s->n = a[0].n;
        return GROK_OK;
    }
    if (grok_table_find(in->table, "step") < 0)
        return grok_err_set(err, GROK_ENOTFOUND, "%s: not a metrics table (no column 'step')",
                            in->name);
    if (!(s->step = grok_table_num(in->table, "step", err)) ||
        !(s->value = grok_table_num(in->table, column, err)))
        return err->code;
    s->n = in->table->nrows;
    return check_table_steps(in, s->step, s->n, err);
}

void grok_metric_series_free(struct grok_metric_series *s)
{
    if (!s)
        return;
    grok_array_free(&s->own_step);
    grok_array_free(&s->own_value);
}

/* ---- output ------------------------------------------------------------------------------ */

void grok_fit_num_write(struct grok_tsv_writer *w, double v, int whole)
{
    if (whole && isfinite(v) && v == floor(v) && fabs(v) < 9.2e18)
        grok_tsv_i64(w, (long long)v);
    else
        grok_tsv_f64(w, v);
}

static void meta_real(struct grok_tsv_writer *w, const char *key, double v)
{
    char buf[32];
    grok_tsv_meta(w, key, grok_fmt_shortest(buf, v, 0));
}

/* Row r's PC1 share of the matrix `name`; nan when its run did not analyse that matrix. */
static double row_pc1(const struct grok_events_row *r, const char *name)
{
    for (size_t k = 0; k < r->npc; k++)
        if (strcmp(r->pc_names[k], name) == 0)
            return r->pc1[k];
    return NAN;
}

int grok_events_table_write(struct grok_tsv_writer *w, const struct grok_events_opts *o,
                            const struct grok_events_row *rows, int n, struct grok_err *err)
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
    meta_real(w, "mem_acc", o->mem_acc);
    meta_real(w, "grok_acc", o->grok_acc);
    meta_real(w, "grokked_acc", o->grokked_acc);
    meta_real(w, "grokked_count", o->grokked_count);
    meta_real(w, "onset_factor", o->onset_factor);
    meta_real(w, "onset_min", o->onset_min);
    meta_real(w, "onset_floor", o->onset_floor);
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
                grok_fit_num_write(w, rows[i].num[j], ev_cols[j].kind == INT);
        }
        for (size_t m = 0; m < nm; m++)
            grok_tsv_f64(w, row_pc1(&rows[i], names[m]));
        grok_tsv_end_row(w);
    }
    free(names);
    return GROK_OK;
}

int grok_fit_scalar_write(struct grok_run *out, const char *name, double v, struct grok_err *err)
{
    size_t one = 1;
    return grok_run_write_f64(out, "/fit", name, &v, 1, &one, err);
}

/* The settings among the datasets make /fit rows, concatenated over runs, a table for --law.
 * The text columns are string attributes of /fit (a missing one is left out: nan), and
 * /fit@columns lists the events columns in order, so that grok-snap -t fit prints the row
 * grok-fit -t did (runtable.h). */
int grok_events_group_write(struct grok_run *out, const struct grok_events_row *r,
                            struct grok_err *err)
{
    int rc = GROK_OK;
    char columns[NCOLS * 20];
    size_t at = 0;
    for (int j = 0; j < NCOLS && rc == GROK_OK; j++) {
        at += (size_t)snprintf(columns + at, sizeof columns - at, "%s%s", j ? "," : "",
                                ev_cols[j].name);
        if (ev_cols[j].kind != TEXT)
            rc = grok_fit_scalar_write(out, ev_cols[j].name, r->num[j], err);
        else if (r->text[j])
            rc = grok_run_attr_set_str(out, "/fit", ev_cols[j].name, r->text[j], err);
    }
    if (rc == GROK_OK)
        rc = grok_run_attr_set_str(out, "/fit", "columns", columns, err);
    for (size_t k = 0; k < r->npc && rc == GROK_OK; k++) {
        char name[GROK_MAX_NAME + 1];
        int len = snprintf(name, sizeof name, PC1_PREFIX "%s", r->pc_names[k]);
        if (len < 0 || (size_t)len >= sizeof name)
            return grok_err_set(err, GROK_EINVAL, "/pca@matrices: matrix name too long");
        rc = grok_fit_scalar_write(out, name, r->pc1[k], err);
    }
    return rc;
}

int grok_events_group_attrs(struct grok_run *out, const struct grok_events_opts *o,
                            struct grok_err *err)
{
    const char *keys[] = {"mem_acc", "grok_acc", "grokked_acc", "onset_factor", "onset_min",
                          "onset_floor"};
    const double vals[] = {o->mem_acc, o->grok_acc, o->grokked_acc, o->onset_factor,
                           o->onset_min, o->onset_floor};
    int rc = GROK_OK;
    for (int i = 0; i < 6 && rc == GROK_OK; i++)
        rc = grok_run_attr_set_double(out, "/fit", keys[i], vals[i], err);
    if (rc == GROK_OK)
        rc = grok_run_attr_set_int(out, "/fit", "grokked_count", o->grokked_count, err);
    return rc;
}
