#include "grok/fit_run.h"
#include "grok/history.h"

#include "grok/cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- laws -------------------------------------------------------------------------------- */

struct law_result {
    const struct grok_law_spec *spec;
    char *group;                /* --by's value of these points (malloc'd), or NULL */
    struct grok_law fit;
    size_t dropped;
    struct grok_interval b_ci, a_ci;
};

/* The laws fitted so far: one per law, or per law and group with --by. */
struct law_list {
    struct law_result *r;
    int n, cap;
};

/* The points of a law: from each input either its events row (runs, metrics tables) or its
 * rows (any other table). */
struct points {
    double *x, *y;
    const struct grok_input **from;  /* (n) input of each point */
    size_t *line;               /* (n) input line of each point, 0 for an events row */
    char **key;                 /* (n) --by's value of each point (malloc'd), NULL without --by */
    size_t n, cap;
};

static int points_add(struct points *p, double x, double y, const struct grok_input *in, size_t line,
                      const char *key)
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
        char **nk = realloc(p->key, cap * sizeof *nk);
        if (nk)
            p->key = nk;
        if (!nx || !ny || !nf || !nl || !nk)
            return -1;
        p->cap = cap;
    }
    char *k = key ? strdup(key) : NULL;
    if (key && !k)
        return -1;
    p->key[p->n] = k;
    p->x[p->n] = x;
    p->y[p->n] = y;
    p->from[p->n] = in;
    p->line[p->n++] = line;
    return 0;
}

static void points_free(struct points *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->key[i]);
    free(p->key);
    free(p->x);
    free(p->y);
    free(p->from);
    free(p->line);
}

/* Whether a table input gives its rows to the laws, or (a metrics table without the laws'
 * columns) its events. */
static int gives_rows(const struct grok_input *in, const struct grok_fit_opts *o)
{
    if (!in->table)
        return 0;
    if (!grok_events_is_metrics_table(in->table))
        return 1;
    for (int i = 0; i < o->nlaws; i++)
        if (grok_table_find(in->table, o->laws[i].y) < 0 || grok_table_find(in->table, o->laws[i].x) < 0)
            return 0;
    return 1;
}

/* Refuses or drops the points a form cannot take; the message names the input and row. */
static int points_check(struct points *p, const struct grok_law_spec *l, int drop, size_t *dropped,
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
            char *t = p->key[k];   /* swapped, not copied: each key stays in the array once */
            p->key[k] = p->key[i];
            p->key[i] = t;
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
    for (size_t i = k; i < p->n; i++)
        free(p->key[i]);   /* the dropped points' */
    p->n = k;
    return GROK_OK;
}

/* Refuses or drops the points the law's form cannot take, then fits the law to the rest into
 * res (and its bootstrap). `where` names the input or the group in the messages. */
static int fit_points(const struct grok_law_spec *l, struct points *p, const struct grok_fit_opts *o,
                      const char *where, struct law_result *res, struct grok_err *err)
{
    int rc = points_check(p, l, o->drop_invalid, &res->dropped, err);
    if (rc != GROK_OK)
        return rc;
    if (p->n < 3) {
        char d[64] = "";
        if (res->dropped)
            snprintf(d, sizeof d, " left after dropping %zu", res->dropped);
        return grok_err_set(err, GROK_EINVAL, "%s%s: %zu row%s%s, a law needs 3 at least", where,
                            l->text, p->n, p->n == 1 ? "" : "s", d);
    }
    struct grok_err e2 = {0};
    if ((rc = grok_law_fit(l->form, p->x, p->y, p->n, &res->fit, &e2)) != GROK_OK) {
        if (rc == GROK_EINVAL)
            return grok_err_set(err, rc, "%s%s: every %s is the same, no slope to fit", where, l->text, l->x);
        return grok_err_set(err, rc, "%s", e2.msg);
    }
    if (o->bootstrap)
        rc = grok_law_bootstrap(l->form, p->x, p->y, p->n, o->bootstrap, o->seed, &res->b_ci,
                                &res->a_ci, NULL, err);
    return rc;
}

/* A new result at the end of the list, zeroed, for law l. NULL when memory runs out. */
static struct law_result *law_push(struct law_list *list, const struct grok_law_spec *l)
{
    if (list->n == list->cap) {
        int cap = list->cap ? 2 * list->cap : 8;
        struct law_result *r = realloc(list->r, (size_t)cap * sizeof *r);
        if (!r)
            return NULL;
        list->r = r;
        list->cap = cap;
    }
    struct law_result *res = &list->r[list->n++];
    memset(res, 0, sizeof *res);
    res->spec = l;
    return res;
}

/* The law's points: each input's events row (runs, metrics tables) or its rows (other tables),
 * with --by's value of each. */
static int law_points(const struct grok_law_spec *l, const struct grok_input *ins, int nin,
                      const struct grok_events_row *rows, const struct grok_fit_opts *o,
                      struct points *p, struct grok_err *err)
{
    int rc = GROK_OK;
    for (int i = 0; i < nin && rc == GROK_OK; i++) {
        const struct grok_input *in = &ins[i];
        if (gives_rows(in, o)) {
            const double *x, *y;
            int kc = o->by ? grok_table_find(in->table, o->by) : -1;
            if (!(y = grok_table_num(in->table, l->y, err)) || !(x = grok_table_num(in->table, l->x, err)))
                return err->code;
            if (o->by && kc < 0)
                return grok_err_set(err, GROK_ENOTFOUND, "%s: no column '%s' to group by (--by)",
                                    in->name, o->by);
            for (size_t j = 0; j < in->table->nrows && rc == GROK_OK; j++)
                if (points_add(p, x[j], y[j], in, in->table->line[j],
                               o->by ? in->table->cols[kc].text[j] : NULL) != 0)
                    rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
        } else {
            double x = NAN, y = NAN;
            char key[256];
            if ((rc = grok_events_value(in, &rows[i], l->y, &y, err)) == GROK_OK &&
                (rc = grok_events_value(in, &rows[i], l->x, &x, err)) == GROK_OK &&
                (!o->by || (rc = grok_events_text(in, &rows[i], o->by, key, sizeof key, err)) == GROK_OK) &&
                points_add(p, x, y, in, 0, o->by ? key : NULL) != 0)
                rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
        }
    }
    return rc;
}

/* Law l over the inputs: one result, or with --by one per value of the column, in the order the
 * values first appear. */
static int fit_law(const struct grok_law_spec *l, const struct grok_input *ins, int nin,
                   const struct grok_events_row *rows, const struct grok_fit_opts *o,
                   struct law_list *out, struct grok_err *err)
{
    struct points all = {0};
    int rc = law_points(l, ins, nin, rows, o, &all, err);
    /* Errors about the whole law name the input when there is one. */
    char where[1400] = "";
    if (nin == 1)
        snprintf(where, sizeof where, "%s: ", ins[0].name);
    if (rc == GROK_OK && !o->by) {
        struct law_result *res = law_push(out, l);
        rc = res ? fit_points(l, &all, o, where, res, err) : grok_err_set(err, GROK_ENOMEM, "out of memory");
    }
    for (size_t i = 0; rc == GROK_OK && o->by && i < all.n; i++) {
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(all.key[j], all.key[i]) == 0;
        if (seen)
            continue;
        struct points g = {0};
        for (size_t j = i; rc == GROK_OK && j < all.n; j++)
            if (strcmp(all.key[j], all.key[i]) == 0 &&
                points_add(&g, all.x[j], all.y[j], all.from[j], all.line[j], all.key[j]) != 0)
                rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
        struct law_result *res = rc == GROK_OK ? law_push(out, l) : NULL;
        if (rc == GROK_OK && (!res || !(res->group = strdup(all.key[i]))))
            rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
        if (rc == GROK_OK) {
            char gw[1700];
            snprintf(gw, sizeof gw, "%s%s %s, ", where, o->by, all.key[i]);
            rc = fit_points(l, &g, o, gw, res, err);
        }
        points_free(&g);
    }
    points_free(&all);
    return rc;
}

/* ---- sigmoids ---------------------------------------------------------------------------- */

struct sig_result {
    const struct grok_input *in;
    const char *column;
    struct grok_sigmoid fit;
    struct grok_interval mid_ci, width_ci;
};

static int fit_sigmoid(const struct grok_input *in, const char *column,
                       const struct grok_fit_opts *o, struct sig_result *res, struct grok_err *err)
{
    struct grok_metric_series s;
    double *pt = NULL, *py = NULL;
    int rc;
    memset(res, 0, sizeof *res);
    res->in = in;
    res->column = column;
    if ((rc = grok_metric_series_read(in, column, &s, err)) != GROK_OK)
        goto out;
    size_t n = s.n;
    const double *t = s.step, *y = s.value;
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
            char v[32], st[32];
            grok_fmt_number(v, y[i], 0);
            grok_fmt_number(st, t[i], 0);
            if (in->table)
                rc = grok_err_set(err, GROK_EFORMAT, "%s: line %zu: %s is %s, no value to fit "
                                  "(use --drop-invalid)", in->name, in->table->line[i], column, v);
            else
                rc = grok_err_set(err, GROK_EFORMAT, "%s: %s is %s at step %s, no value to fit "
                                  "(use --drop-invalid)", in->name, column, v, st);
            goto out;
        }
    }
    struct grok_err e2 = {0};
    rc = grok_sigmoid_fit(pt, py, k, NULL, &res->fit, &e2);
    if (rc == GROK_OK)
        rc = grok_sigmoid_check(&res->fit, pt, k, &e2);
    if (rc == GROK_EINVAL) {
        /* A curve no sigmoid describes is a finding about the run, not bad input: the other
         * rows (and runs) still deserve their table. */
        if (!o->quiet)
            grok_error("%s: the sigmoid of %s does not fit (%s)", in->name, column, e2.msg);
        res->fit = (struct grok_sigmoid){NAN, NAN, NAN, NAN, NAN, NAN, NAN, k};
        res->mid_ci = res->width_ci = (struct grok_interval){NAN, NAN};
        rc = GROK_OK;
        goto out;
    }
    if (rc != GROK_OK ||
        (o->bootstrap && (rc = grok_sigmoid_bootstrap(pt, py, k, &res->fit, o->bootstrap, o->seed,
                                                      &res->mid_ci, &res->width_ci, NULL, &e2)) != GROK_OK))
        grok_err_set(err, rc, "%s: sigmoid of %s: %s", in->name, column, e2.msg);
out:
    free(pt);
    free(py);
    grok_metric_series_free(&s);
    return rc;
}

/* ---- output ------------------------------------------------------------------------------ */

static void write_bootstrap_meta(struct grok_tsv_writer *w, const struct grok_fit_opts *o)
{
    if (o->bootstrap) {
        char v[160];
        snprintf(v, sizeof v, "%zu resamples with replacement, seed %lu; _lo and _hi are the 2.5 "
                 "and 97.5 percentiles", o->bootstrap, o->seed);
        grok_tsv_meta(w, "bootstrap", v);
    }
}

static void write_laws_table(struct grok_tsv_writer *w, const struct grok_fit_opts *o,
                             const struct law_result *res, int n)
{
    int seen[3] = {0};
    for (int i = 0; i < n; i++)
        if (!seen[res[i].spec->form]++)
            grok_tsv_meta(w, grok_law_form_name(res[i].spec->form),
                          grok_law_form_formula(res[i].spec->form));
    grok_tsv_meta(w, "se", "standard errors from the residuals of the least-squares fit (on logs "
                  "for power and exp; a's by the delta method)");
    write_bootstrap_meta(w, o);
    const char *head[] = {"y", "x", "form", "n", "dropped", "b", "b_se", "a", "a_se", "r2",
                          "b_lo", "b_hi", "a_lo", "a_hi"};
    if (o->by)
        grok_tsv_str(w, o->by);
    for (int j = 0; j < (o->bootstrap ? 14 : 10); j++)
        grok_tsv_str(w, head[j]);
    grok_tsv_end_row(w);
    for (int i = 0; i < n; i++) {
        const struct law_result *r = &res[i];
        if (o->by)
            grok_tsv_str(w, r->group);
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

static void write_sigmoid_table(struct grok_tsv_writer *w, const struct grok_fit_opts *o,
                                const struct sig_result *res, int n)
{
    grok_tsv_meta(w, "sigmoid", "y = lo + (hi - lo) / (1 + exp(-(step - mid) / width))");
    write_bootstrap_meta(w, o);
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
            grok_fit_num_write(w, v[j], j == 0);
        grok_tsv_end_row(w);
    }
}

/* /fit: the events (events.h), the sigmoids as sigmoid.COLUMN.NAME, the thresholds and the
 * resampling as attributes. */
static int write_fit_group(struct grok_run *out, const struct grok_fit_opts *o,
                           const struct grok_events_row *r, const struct sig_result *sig, int nsig,
                           struct grok_err *err)
{
    int rc = grok_events_group_write(out, r, err);
    for (int i = 0; i < nsig && rc == GROK_OK; i++) {
        double v[12];
        sig_values(&sig[i], v);
        for (int j = 0; j < (o->bootstrap ? 12 : 8) && rc == GROK_OK; j++) {
            char name[GROK_MAX_NAME + 1];
            int len = snprintf(name, sizeof name, "sigmoid.%s.%s", sig[i].column, sig_head[j]);
            if (len < 0 || (size_t)len >= sizeof name)
                return grok_err_set(err, GROK_EINVAL, "--sigmoid: column name too long");
            rc = grok_fit_scalar_write(out, name, v[j], err);
        }
    }
    if (rc == GROK_OK)
        rc = grok_events_group_attrs(out, &o->ev, err);
    if (rc == GROK_OK && nsig && o->bootstrap)
        rc = grok_run_attr_set_int(out, "/fit", "bootstrap", (long long)o->bootstrap, err);
    if (rc == GROK_OK && nsig && o->bootstrap)
        rc = grok_run_attr_set_int(out, "/fit", "seed", (long long)o->seed, err);
    return rc;
}

/* ---- the run ----------------------------------------------------------------------------- */

int grok_fit_run(const struct grok_fit_opts *o, const struct grok_input *ins, int nin, int table,
                 const char *output)
{
    struct grok_err err = {0};
    struct grok_text_out text = {0};
    struct grok_run *out = NULL;
    struct grok_events_row *rows = NULL;
    struct law_list laws = {0};
    struct sig_result *sigs = NULL;
    int nsigs = 0, rc;

    /* Events: of every input for the events table and the laws, of the one run for /fit. */
    if (!(rows = calloc((size_t)nin, sizeof *rows)) ||
        !(sigs = calloc((size_t)nin * (size_t)(o->nsig ? o->nsig : 1), sizeof *sigs))) {
        grok_err_set(&err, GROK_ENOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < nin; i++) {
        int need = o->nlaws ? !gives_rows(&ins[i], o) : !(o->nsig && table);
        if (need && grok_events_read(&ins[i], &o->ev, &rows[i], &err) != GROK_OK)
            goto fail;
    }
    for (int l = 0; l < o->nlaws; l++)
        if (fit_law(&o->laws[l], ins, nin, rows, o, &laws, &err) != GROK_OK)
            goto fail;
    for (int i = 0; i < nin; i++)
        for (int s = 0; s < o->nsig; s++, nsigs++)
            if (fit_sigmoid(&ins[i], o->sigmoids[s], o, &sigs[nsigs], &err) != GROK_OK)
                goto fail;
    if (grok_interrupted()) {
        grok_err_set(&err, GROK_EIO, "interrupted");
        goto fail;
    }

    if (table) {
        struct grok_tsv_writer w;
        if (grok_text_open(&text, output, &err) != GROK_OK)
            goto fail;
        grok_tsv_init(&w, text.f);
        if (o->nlaws)
            write_laws_table(&w, o, laws.r, laws.n);
        else if (o->nsig)
            write_sigmoid_table(&w, o, sigs, nsigs);
        else if (grok_events_table_write(&w, &o->ev, rows, nin, &err) != GROK_OK)
            goto fail;
        if (grok_text_finish(&text, 1, &err) != GROK_OK)
            goto fail;
    } else {
        int pargc;
        char **pargv = grok_cli_argv(&pargc);
        if (!(out = grok_run_derive(output, ins[0].run, "/fit", "grok-fit", pargc, pargv, &err)) ||
            write_fit_group(out, o, &rows[0], sigs, nsigs, &err) != GROK_OK ||
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
        grok_events_row_free(&rows[i]);
    free(rows);
    for (int i = 0; i < laws.n; i++)
        free(laws.r[i].group);
    free(laws.r);
    free(sigs);
    return rc;
}
