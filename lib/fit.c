#include "grok/fit.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- events ------------------------------------------------------------------------------ */

long grok_events_first_at_least(const double *v, size_t n, double thr)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] >= thr)
            return (long)i;
    return -1;
}

long grok_events_first_streak(const double *v, size_t n, double thr, int count)
{
    size_t need = count < 1 ? 1 : (size_t)count, run = 0;
    for (size_t i = 0; i < n; i++) {
        run = v[i] >= thr ? run + 1 : 0;
        if (run == need)
            return (long)(i + 1 - need);
    }
    return -1;
}

static double median3(double a, double b, double c)
{
    return fmax(fmin(a, b), fmin(fmax(a, b), c));
}

long grok_events_onset(const double *D, size_t n, double factor, double min, double floor)
{
    if (n < 3 || !isfinite(D[0]) || !isfinite(D[1]) || !isfinite(D[2]))
        return -1;
    double base = fmax(median3(D[0], D[1], D[2]), floor);
    for (size_t i = 0; i < n; i++)
        if (D[i] > factor * base && D[i] > min)
            return (long)i;
    return -1;
}

static double at(const double *v, long i)
{
    return i < 0 ? NAN : v[i];
}

void grok_events_compute(const struct grok_events_opts *o, const double *step,
                         const double *train_acc, const double *test_acc, size_t n,
                         const double *dstep, const double *D, size_t nd, const double *pc1,
                         size_t npc, struct grok_events *ev)
{
    ev->n_evals = (double)n;
    ev->t_mem = at(step, grok_events_first_at_least(train_acc, n, o->mem_acc));
    ev->t_grok = at(step, grok_events_first_at_least(test_acc, n, o->grok_acc));
    ev->t_grok98 = at(step, grok_events_first_streak(test_acc, n, o->grokked_acc, o->grokked_count));
    ev->grokked = isnan(ev->t_grok98) ? 0 : 1;
    ev->final_train_acc = n ? train_acc[n - 1] : NAN;
    ev->final_test_acc = n ? test_acc[n - 1] : NAN;
    ev->t_onset = nd ? at(dstep, grok_events_onset(D, nd, o->onset_factor, o->onset_min,
                                                   o->onset_floor))
                     : NAN;
    ev->lead = ev->t_grok - ev->t_onset;
    /* A run that generalises at step 0 has no delay to take a fraction of. */
    ev->lead_frac = ev->t_grok > 0 ? ev->lead / ev->t_grok : NAN;
    double sum = 0;
    for (size_t i = 0; i < npc; i++)
        sum += pc1[i];
    ev->pc1_mean = npc ? sum / (double)npc : NAN;
}

/* ---- laws -------------------------------------------------------------------------------- */

static const char *const form_names[] = {"power", "linear", "exp"};
static const char *const form_formulas[] = {"y = a*x^b", "y = a + b*x", "y = a*exp(b*x)"};

int grok_law_form_parse(const char *name, enum grok_law_form *form)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(name, form_names[i]) == 0) {
            *form = (enum grok_law_form)i;
            return 0;
        }
    return -1;
}

const char *grok_law_form_name(enum grok_law_form form)
{
    return form_names[form];
}

const char *grok_law_form_formula(enum grok_law_form form)
{
    return form_formulas[form];
}

enum grok_law_point grok_law_point_check(enum grok_law_form form, double x, double y, int *which)
{
    int w = 0;
    enum grok_law_point r = GROK_POINT_OK;
    if (!isfinite(x))
        r = GROK_POINT_NOT_FINITE;
    else if (!isfinite(y))
        r = GROK_POINT_NOT_FINITE, w = 1;
    else if (form == GROK_LAW_POWER && x <= 0)
        r = GROK_POINT_NO_LOG;
    else if (form != GROK_LAW_LINEAR && y <= 0)
        r = GROK_POINT_NO_LOG, w = 1;
    if (which)
        *which = w;
    return r;
}

/* The regression the form fits: X = log x or x, Y = log y or y. */
static void transform(enum grok_law_form form, const double *x, const double *y, size_t n,
                      const size_t *idx, double *X, double *Y)
{
    for (size_t i = 0; i < n; i++) {
        size_t k = idx ? idx[i] : i;
        X[i] = form == GROK_LAW_POWER ? log(x[k]) : x[k];
        Y[i] = form == GROK_LAW_LINEAR ? y[k] : log(y[k]);
    }
}

/* Fits the transformed points; 0, or -1 when every X is the same (no slope exists). */
static int fit_transformed(enum grok_law_form form, const double *X, const double *Y, size_t n,
                           struct grok_law *out)
{
    size_t i = 1;
    while (i < n && X[i] == X[0])
        i++;
    if (i == n)
        return -1;
    double c0, c1, cov00, cov01, cov11, sumsq;
    gsl_fit_linear(X, 1, Y, 1, n, &c0, &c1, &cov00, &cov01, &cov11, &sumsq);
    double mean = gsl_stats_mean(Y, 1, n), sst = 0;
    for (i = 0; i < n; i++)
        sst += (Y[i] - mean) * (Y[i] - mean);
    out->n = n;
    out->b = c1;
    out->b_se = sqrt(cov11);
    out->r2 = sst > 0 ? 1 - sumsq / sst : NAN;
    if (form == GROK_LAW_LINEAR) {
        out->a = c0;
        out->a_se = sqrt(cov00);
    } else {
        out->a = exp(c0);
        out->a_se = out->a * sqrt(cov00);
    }
    return 0;
}

int grok_law_fit(enum grok_law_form form, const double *x, const double *y, size_t n,
                 struct grok_law *out, struct grok_err *err)
{
    if (n < 3)
        return grok_err_set(err, GROK_EINVAL, "%zu point%s, a law needs 3 at least", n,
                            n == 1 ? "" : "s");
    double *X = malloc(2 * n * sizeof *X);
    if (!X)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    double *Y = X + n;
    transform(form, x, y, n, NULL, X, Y);
    int rc = fit_transformed(form, X, Y, n, out);
    free(X);
    if (rc != 0)
        return grok_err_set(err, GROK_EINVAL, "every x is the same, no slope to fit");
    return GROK_OK;
}

static gsl_rng *rng_new(unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (r)
        gsl_rng_set(r, seed);
    return r;
}

/* The 2.5 and 97.5 percentiles of v[0..m) (sorted in place; interpolated as R's type 7). */
static struct grok_interval percentiles(double *v, size_t m)
{
    if (m == 0)
        return (struct grok_interval){NAN, NAN};
    gsl_sort(v, 1, m);
    return (struct grok_interval){gsl_stats_quantile_from_sorted_data(v, 1, m, 0.025),
                                  gsl_stats_quantile_from_sorted_data(v, 1, m, 0.975)};
}

int grok_law_bootstrap(enum grok_law_form form, const double *x, const double *y, size_t n,
                       size_t reps, unsigned long seed, struct grok_interval *b,
                       struct grok_interval *a, size_t *used, struct grok_err *err)
{
    if (n < 3)
        return grok_err_set(err, GROK_EINVAL, "%zu point%s, a law needs 3 at least", n,
                            n == 1 ? "" : "s");
    int rc = GROK_OK;
    size_t m = 0;
    size_t *idx = malloc(n * sizeof *idx);
    double *X = malloc(2 * n * sizeof *X), *bs = malloc((reps ? reps : 1) * 2 * sizeof *bs);
    gsl_rng *r = rng_new(seed);
    if (!idx || !X || !bs || !r) {
        rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
        goto out;
    }
    double *as = bs + (reps ? reps : 1);
    for (size_t k = 0; k < reps; k++) {
        for (size_t i = 0; i < n; i++)
            idx[i] = (size_t)gsl_rng_uniform_int(r, n);
        struct grok_law f;
        transform(form, x, y, n, idx, X, X + n);
        if (fit_transformed(form, X, X + n, n, &f) != 0)
            continue;
        bs[m] = f.b;
        as[m++] = f.a;
    }
    *b = percentiles(bs, m);
    *a = percentiles(as, m);
    if (used)
        *used = m;
out:
    gsl_rng_free(r);
    free(idx);
    free(X);
    free(bs);
    return rc;
}

/* ---- sigmoid ----------------------------------------------------------------------------- */

/* The points a fit sees: u = (t - t0) / scale, and for a bootstrap draw the indices drawn. */
struct sig_points {
    const double *u, *y;
    const size_t *idx;   /* NULL: all n in order */
    size_t n;
};

enum { P_LO, P_HI, P_MID, P_W, NPAR };

static double logistic(double z)
{
    return 1 / (1 + exp(-z));
}

static int sig_f(const gsl_vector *p, void *data, gsl_vector *f)
{
    const struct sig_points *d = data;
    double lo = gsl_vector_get(p, P_LO), hi = gsl_vector_get(p, P_HI),
           mid = gsl_vector_get(p, P_MID), w = gsl_vector_get(p, P_W);
    for (size_t i = 0; i < d->n; i++) {
        size_t k = d->idx ? d->idx[i] : i;
        gsl_vector_set(f, i, lo + (hi - lo) * logistic((d->u[k] - mid) / w) - d->y[k]);
    }
    return GSL_SUCCESS;
}

static int sig_df(const gsl_vector *p, void *data, gsl_matrix *J)
{
    const struct sig_points *d = data;
    double lo = gsl_vector_get(p, P_LO), hi = gsl_vector_get(p, P_HI),
           mid = gsl_vector_get(p, P_MID), w = gsl_vector_get(p, P_W);
    for (size_t i = 0; i < d->n; i++) {
        size_t k = d->idx ? d->idx[i] : i;
        double z = (d->u[k] - mid) / w, s = logistic(z), ds = (hi - lo) * s * (1 - s);
        gsl_matrix_set(J, i, P_LO, 1 - s);
        gsl_matrix_set(J, i, P_HI, s);
        gsl_matrix_set(J, i, P_MID, -ds / w);
        gsl_matrix_set(J, i, P_W, -ds * z / w);
    }
    return GSL_SUCCESS;
}

/* The index of the first point at or past `level` going in direction `dir` (+1 up, -1 down);
 * n - 1 when none is. */
static size_t crossing_at(const double *y, size_t n, double level, int dir)
{
    size_t i = 0;
    while (i < n - 1 && dir * (y[i] - level) < 0)
        i++;
    return i;
}

/* Where the points first reach `level` going in direction `dir`, linearly interpolated between
 * the two evaluations around the crossing; the points are in t order. */
static double crossing(const double *u, const double *y, size_t n, double level, int dir)
{
    size_t i = crossing_at(y, n, level, dir);
    if (dir * (y[i] - level) < 0 || i == 0 || y[i] == y[i - 1])
        return u[i];
    return u[i - 1] + (u[i] - u[i - 1]) * (level - y[i - 1]) / (y[i] - y[i - 1]);
}

/* The levels a guess starts from: lo before the rise (or fall), hi after; dir +1 for a rise. */
static int sig_levels(const double *y, size_t n, double *lo, double *hi)
{
    size_t q = n / 4 ? n / 4 : 1;
    double first = 0, last = 0, ymin = y[0], ymax = y[0];
    for (size_t i = 0; i < q; i++) {
        first += y[i];
        last += y[n - 1 - i];
    }
    for (size_t i = 0; i < n; i++) {
        ymin = fmin(ymin, y[i]);
        ymax = fmax(ymax, y[i]);
    }
    int dir = last >= first ? 1 : -1;
    *lo = dir > 0 ? ymin : ymax;
    *hi = dir > 0 ? ymax : ymin;
    return dir;
}

/* Starting values in u units. Needs u increasing, which the caller's order gives. */
static void sig_guess(const double *u, const double *y, size_t n, double p[NPAR])
{
    double lo, hi, gap = INFINITY;
    int dir = sig_levels(y, n, &lo, &hi);
    for (size_t i = 1; i < n; i++)
        if (u[i] > u[i - 1])
            gap = fmin(gap, u[i] - u[i - 1]);
    double u25 = crossing(u, y, n, lo + 0.25 * (hi - lo), dir),
           u75 = crossing(u, y, n, lo + 0.75 * (hi - lo), dir);
    /* The logistic rises from 25% to 75% of its height in 2 ln 3 widths. A rise within one
     * evaluation gives no width: half the finest spacing is the best guess then. */
    double w = (u75 - u25) / (2 * log(3.0));
    p[P_LO] = lo;
    p[P_HI] = hi;
    p[P_MID] = crossing(u, y, n, 0.5 * (lo + hi), dir);
    p[P_W] = w > 0.5 * gap ? w : 0.5 * gap;
}

/* One fit in u units from p0; 0 with p, se and chisq set, or -1 when it does not converge. */
static int sig_solve(struct sig_points *d, const double p0[NPAR], double p[NPAR],
                     double se[NPAR], double *chisq)
{
    gsl_multifit_nlinear_fdf fdf = {.f = sig_f, .df = sig_df, .n = d->n, .p = NPAR, .params = d};
    gsl_multifit_nlinear_parameters params = gsl_multifit_nlinear_default_parameters();
    gsl_multifit_nlinear_workspace *w =
        gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &params, d->n, NPAR);
    gsl_matrix *cov = gsl_matrix_alloc(NPAR, NPAR);
    int rc = -1, info;
    if (!w || !cov)
        goto out;
    gsl_vector_const_view x0 = gsl_vector_const_view_array(p0, NPAR);
    if (gsl_multifit_nlinear_init(&x0.vector, &fdf, w) != GSL_SUCCESS)
        goto out;
    int status = gsl_multifit_nlinear_driver(500, 1e-12, 1e-12, 0.0, NULL, NULL, &info, w);
    gsl_vector *x = gsl_multifit_nlinear_position(w), *f = gsl_multifit_nlinear_residual(w);
    gsl_blas_ddot(f, f, chisq);
    /* No progress is how the driver stops on data the model fits exactly (nothing left to
     * reduce); it is a failure only when the gradient there is not small. */
    if (status == GSL_ENOPROG) {
        gsl_vector *g = gsl_vector_alloc(NPAR);
        double gnorm = INFINITY;
        if (g && gsl_blas_dgemv(CblasTrans, 1.0, gsl_multifit_nlinear_jac(w), f, 0.0, g) == 0)
            gnorm = gsl_blas_dnrm2(g);
        gsl_vector_free(g);
        if (gnorm <= 1e-8 * (1 + sqrt(*chisq)))
            status = GSL_SUCCESS;
    }
    if (status != GSL_SUCCESS || !isfinite(*chisq))
        goto out;
    gsl_multifit_nlinear_covar(gsl_multifit_nlinear_jac(w), 0.0, cov);
    double s2 = d->n > NPAR ? *chisq / (double)(d->n - NPAR) : NAN;
    for (int i = 0; i < NPAR; i++) {
        p[i] = gsl_vector_get(x, (size_t)i);
        se[i] = sqrt(s2 * gsl_matrix_get(cov, (size_t)i, (size_t)i));
        if (!isfinite(p[i]))
            goto out;
    }
    if (p[P_W] == 0)
        goto out;
    if (p[P_W] < 0) {
        /* The same curve with the levels swapped: report the width as positive. */
        double lo = p[P_LO];
        p[P_LO] = p[P_HI];
        p[P_HI] = lo;
        p[P_W] = -p[P_W];
    }
    rc = 0;
out:
    gsl_matrix_free(cov);
    if (w)
        gsl_multifit_nlinear_free(w);
    return rc;
}

/* The fit's t scale: u = (t - t0) / scale; -1 when t is all one value. */
static int sig_scale(const double *t, size_t n, double *t0, double *scale)
{
    double lo = t[0], hi = t[0];
    for (size_t i = 1; i < n; i++) {
        lo = fmin(lo, t[i]);
        hi = fmax(hi, t[i]);
    }
    *t0 = lo;
    *scale = hi - lo;
    return hi > lo ? 0 : -1;
}

/* Fills `out` from u-unit parameters. */
static void sig_out(const double p[NPAR], const double se[NPAR], double t0, double scale,
                    double chisq, size_t n, struct grok_sigmoid *out)
{
    out->lo = p[P_LO];
    out->hi = p[P_HI];
    out->mid = t0 + scale * p[P_MID];
    out->width = scale * p[P_W];
    out->mid_se = scale * se[P_MID];
    out->width_se = scale * se[P_W];
    out->rmse = sqrt(chisq / (double)n);
    out->n = n;
}

static void sig_in(const struct grok_sigmoid *s, double t0, double scale, double p[NPAR])
{
    p[P_LO] = s->lo;
    p[P_HI] = s->hi;
    p[P_MID] = (s->mid - t0) / scale;
    p[P_W] = s->width / scale;
}

/* The u values of t (in order). */
static double *sig_u(const double *t, size_t n, double t0, double scale)
{
    double *u = malloc(n * sizeof *u);
    for (size_t i = 0; u && i < n; i++)
        u[i] = (t[i] - t0) / scale;
    return u;
}

int grok_sigmoid_fit(const double *t, const double *y, size_t n, const struct grok_sigmoid *start,
                     struct grok_sigmoid *out, struct grok_err *err)
{
    double t0, scale, p0[NPAR], p[NPAR], se[NPAR], chisq;
    if (n < NPAR + 1)
        return grok_err_set(err, GROK_EINVAL, "%zu point%s, a sigmoid needs 5 at least", n,
                            n == 1 ? "" : "s");
    if (sig_scale(t, n, &t0, &scale) != 0)
        return grok_err_set(err, GROK_EINVAL, "every step is the same, nothing to fit");
    size_t i = 1;
    while (i < n && y[i] == y[0])
        i++;
    if (i == n)
        return grok_err_set(err, GROK_EINVAL, "the values are constant, no rise to fit");
    double *u = sig_u(t, n, t0, scale);
    if (!u)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    if (start)
        sig_in(start, t0, scale, p0);
    else
        sig_guess(u, y, n, p0);
    /* The error handler would abort on a singular step; the status is checked instead. */
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    struct sig_points d = {u, y, NULL, n};
    int rc = sig_solve(&d, p0, p, se, &chisq);
    gsl_set_error_handler(old);
    free(u);
    if (rc != 0) {
        /* A rise from below a quarter to above three quarters of the way between two
         * evaluations fits every width below their spacing equally well: no width to find. */
        double lo, hi;
        int dir = sig_levels(y, n, &lo, &hi);
        size_t a = crossing_at(y, n, lo + 0.25 * (hi - lo), dir),
               b = crossing_at(y, n, lo + 0.75 * (hi - lo), dir);
        if (a == b && a > 0)
            return grok_err_set(err, GROK_EINVAL, "the rise lies between two evaluations, steps "
                                "%.6g and %.6g: no width to fit", t[a - 1], t[a]);
        return grok_err_set(err, GROK_EINVAL, "the fit does not converge (is it a sigmoid?)");
    }
    sig_out(p, se, t0, scale, chisq, n, out);
    return GROK_OK;
}

int grok_sigmoid_check(const struct grok_sigmoid *s, const double *t, size_t n,
                       struct grok_err *err)
{
    double first = t[0], last = t[0];
    for (size_t i = 1; i < n; i++) {
        first = fmin(first, t[i]);
        last = fmax(last, t[i]);
    }
    if (!(s->mid >= first && s->mid <= last))
        return grok_err_set(err, GROK_EINVAL, "midpoint %.6g outside the steps %.6g..%.6g",
                            s->mid, first, last);
    if (!isfinite(s->mid_se) || !isfinite(s->width_se))
        return grok_err_set(err, GROK_EINVAL, "no standard errors: the points do not pin the "
                            "curve down");
    if (s->width_se > s->width)
        return grok_err_set(err, GROK_EINVAL, "width %.3g with a standard error of %.3g: the "
                            "rise is not resolved", s->width, s->width_se);
    if (s->mid_se > last - first)
        return grok_err_set(err, GROK_EINVAL, "midpoint %.6g with a standard error of %.3g, "
                            "more than the steps' span", s->mid, s->mid_se);
    return GROK_OK;
}

int grok_sigmoid_bootstrap(const double *t, const double *y, size_t n,
                           const struct grok_sigmoid *fit, size_t reps, unsigned long seed,
                           struct grok_interval *mid, struct grok_interval *width, size_t *used,
                           struct grok_err *err)
{
    double t0, scale, p0[NPAR], p[NPAR], se[NPAR], chisq;
    if (n < NPAR + 1)
        return grok_err_set(err, GROK_EINVAL, "%zu point%s, a sigmoid needs 5 at least", n,
                            n == 1 ? "" : "s");
    if (sig_scale(t, n, &t0, &scale) != 0)
        return grok_err_set(err, GROK_EINVAL, "every step is the same, nothing to fit");
    int rc = GROK_OK;
    size_t m = 0;
    double *u = sig_u(t, n, t0, scale), *ms = malloc((reps ? reps : 1) * 2 * sizeof *ms);
    size_t *idx = malloc(n * sizeof *idx);
    gsl_rng *r = rng_new(seed);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    if (!u || !ms || !idx || !r) {
        rc = grok_err_set(err, GROK_ENOMEM, "out of memory");
        goto out;
    }
    double *ws = ms + (reps ? reps : 1);
    sig_in(fit, t0, scale, p0);
    for (size_t k = 0; k < reps; k++) {
        for (size_t i = 0; i < n; i++)
            idx[i] = (size_t)gsl_rng_uniform_int(r, n);
        struct sig_points d = {u, y, idx, n};
        if (sig_solve(&d, p0, p, se, &chisq) != 0)
            continue;
        ms[m] = t0 + scale * p[P_MID];
        ws[m++] = scale * p[P_W];
    }
    *mid = percentiles(ms, m);
    *width = percentiles(ws, m);
    if (used)
        *used = m;
out:
    gsl_set_error_handler(old);
    gsl_rng_free(r);
    free(u);
    free(ms);
    free(idx);
    return rc;
}
