/* Events of a training run and laws across runs (grok-fit; papers.md P1).
 *
 * Pure functions over arrays: the caller reads metrics, defects and tables, and formats what
 * comes back. A value that does not exist (an event that never happens, a fit parameter that
 * cannot be estimated) is NAN, never a sentinel number. Every function that can fail returns a
 * grok_status and fills err with one line that does not name the input: the caller prefixes
 * it ("run.h5: sigmoid of test_acc: ...").
 *
 * Owns: the event rules (struct grok_events: first crossings, streaks, the defect's onset), the
 * law forms and their least-squares and bootstrap fits, and the sigmoid fits (lib/fit.c). Calls:
 * GSL (linear and nonlinear least squares, statistics, sorting, the bootstrap's generator) and
 * libc; no other module, no run, no table. Called by events, fit_run and grok-fit's main (the
 * law forms' names). */
#ifndef GROK_FIT_H
#define GROK_FIT_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#include "grok/err.h"

/* ---- events ------------------------------------------------------------------------------ */

/* The thresholds behind the events, each a flag of grok-fit. */
struct grok_events_opts {
    double mem_acc;        /* t_mem: first evaluation with train accuracy >= this */
    double grok_acc;       /* t_grok: first evaluation with test accuracy >= this */
    double grokked_acc;    /* grokked: test accuracy >= this ... */
    int grokked_count;     /* ... at this many consecutive evaluations */
    double onset_factor;   /* onset: D > onset_factor * baseline ... */
    double onset_min;      /* ... and D > onset_min */
    double onset_floor;    /* baseline = max(median of the first three D, onset_floor) */
};

/* P1's settings. */
#define GROK_EVENTS_DEFAULTS ((struct grok_events_opts){0.99, 0.90, 0.98, 3, 10.0, 20.0, 0.1})

/* The events of one run; steps are whole numbers held as doubles so that NAN can say "never". */
struct grok_events {
    double n_evals;            /* evaluations in the metrics */
    double t_mem, t_grok;      /* steps, or NAN when the threshold is never reached */
    double t_grok98;           /* step of the first of grokked_count consecutive evaluations */
    double grokked;            /* 1 when t_grok98 exists, else 0 */
    double final_train_acc, final_test_acc;  /* the last evaluation's; NAN with no evaluation */
    double t_onset;            /* step of the defect onset; NAN without one */
    double lead;               /* t_grok - t_onset */
    double lead_frac;          /* lead / t_grok; NAN unless t_grok > 0 */
    double pc1_mean;           /* mean of the PC1 shares given; NAN without any */
};

/* Index of the first v[i] >= thr, or -1. A NAN never reaches a threshold. */
long grok_events_first_at_least(const double *v, size_t n, double thr);

/* Index of the first of `count` consecutive v[i] >= thr, or -1 (count < 1 counts as 1). */
long grok_events_first_streak(const double *v, size_t n, double thr, int count);

/* Index of the defect onset in the series D (n measurements): the first i with
 * D[i] > factor * baseline and D[i] > min, baseline = max(median(D[0], D[1], D[2]), floor).
 * -1 when there is none, when n < 3, or when one of the first three is not finite (no
 * baseline to speak of). */
long grok_events_onset(const double *D, size_t n, double factor, double min, double floor);

/* Computes every event of one run into *ev. The metrics are n evaluations (step, train_acc,
 * test_acc; steps increasing). D is the defect series at the steps dstep (nd of them; nd = 0
 * when the run has no defects); pc1 the PC1 shares of the analysed matrices (npc = 0 when
 * none). Borrows everything; cannot fail. */
void grok_events_compute(const struct grok_events_opts *o, const double *step,
                         const double *train_acc, const double *test_acc, size_t n,
                         const double *dstep, const double *D, size_t nd, const double *pc1,
                         size_t npc, struct grok_events *ev);

/* ---- laws -------------------------------------------------------------------------------- */

enum grok_law_form {
    GROK_LAW_POWER,    /* y = a * x^b,       fitted as log y = log a + b log x */
    GROK_LAW_LINEAR,   /* y = a + b * x */
    GROK_LAW_EXP,      /* y = a * exp(b x),  fitted as log y = log a + b x */
};

/* "power", "linear", "exp": 0 and *form set, or -1 for another word. */
int grok_law_form_parse(const char *name, enum grok_law_form *form);

/* The form's name ("power") and its formula ("y = a*x^b"); static strings. */
const char *grok_law_form_name(enum grok_law_form form);
const char *grok_law_form_formula(enum grok_law_form form);

/* Why a point (x, y) cannot enter a fit of the form. */
enum grok_law_point {
    GROK_POINT_OK = 0,
    GROK_POINT_NOT_FINITE,   /* x or y is NAN or infinite */
    GROK_POINT_NO_LOG,       /* the form takes the log of a value <= 0 */
};

/* Whether (x, y) can enter a fit of the form; *which (when not NULL) is set to 0 when x is at
 * fault, 1 when y is (x is checked first). */
enum grok_law_point grok_law_point_check(enum grok_law_form form, double x, double y, int *which);

/* A fitted law. Standard errors come from the residuals of the fitted (transformed) regression
 * (gsl_fit_linear's covariance, sigma^2 estimated with n - 2 degrees of freedom); a's, for the
 * log forms, by the delta method (a * se(log a)). r2 is that regression's R^2 (NAN when every
 * fitted y is the same). */
struct grok_law {
    double a, a_se, b, b_se, r2;
    size_t n;
};

/* Fits the form to n points, every one of which must pass grok_law_point_check. GROK_EINVAL
 * when n < 3 ("3 points at least") or when every (transformed) x is the same ("no slope"). */
int grok_law_fit(enum grok_law_form form, const double *x, const double *y, size_t n,
                 struct grok_law *out, struct grok_err *err);

/* A percentile interval. */
struct grok_interval {
    double lo, hi;
};

/* Bootstrap of a law: `reps` fits to n points drawn with replacement (GSL's mt19937 seeded
 * with `seed`, so the same call gives the same numbers), giving the 2.5 and 97.5 percentiles
 * of b and of a. Draws whose x are all the same are left out; *used (when not NULL) counts the
 * others. Both intervals are NAN when none is left. GROK_ENOMEM, or GROK_EINVAL for n < 3. */
int grok_law_bootstrap(enum grok_law_form form, const double *x, const double *y, size_t n,
                       size_t reps, unsigned long seed, struct grok_interval *b,
                       struct grok_interval *a, size_t *used, struct grok_err *err);

/* ---- sigmoid ----------------------------------------------------------------------------- */

/* y(t) = lo + (hi - lo) / (1 + exp(-(t - mid) / width)), width > 0: lo is the level before the
 * rise (or fall), hi the level after. */
struct grok_sigmoid {
    double lo, hi, mid, width;
    double mid_se, width_se;   /* from the residuals (sigma^2 with n - 4 degrees of freedom) */
    double rmse;               /* sqrt(mean squared residual) */
    size_t n;
};

/* Least-squares fit of the logistic to n points (t, y), all finite, by GSL's trust-region
 * nonlinear least squares (Levenberg-Marquardt, analytic Jacobian), in t rescaled to [0, 1].
 * Starting values: lo and hi from the extremes (ordered by whether the curve rises or falls),
 * mid at the first crossing of half-way, width from the 25% to 75% rise; or `start` when not
 * NULL. GROK_EINVAL with a reason when n < 5, when t or y are all the same, or when the fit
 * does not converge ("the rise lies between two evaluations, steps 0 and 100: no width to fit"
 * when a rise within one evaluation's spacing is why). A fit that converges may still mean
 * nothing: grok_sigmoid_check says. */
int grok_sigmoid_fit(const double *t, const double *y, size_t n, const struct grok_sigmoid *start,
                     struct grok_sigmoid *out, struct grok_err *err);

/* Whether a fit (from grok_sigmoid_fit on the n steps t) describes a rise that the points
 * show, rather than a curve least squares found in their noise: GROK_OK when the midpoint lies
 * within the steps (first..last), both standard errors exist, the width's is below the width
 * and the midpoint's below the steps' span; else GROK_EINVAL with the first reason ("midpoint
 * -1001.97 outside the steps 0..4700"). */
int grok_sigmoid_check(const struct grok_sigmoid *s, const double *t, size_t n,
                       struct grok_err *err);

/* Bootstrap of a sigmoid fit: `reps` fits to n points drawn with replacement, each started
 * from `fit` (the fit to all points), seeded as grok_law_bootstrap; the 2.5 and 97.5
 * percentiles of mid and of width. Draws that do not converge are left out; *used counts the
 * others. GROK_ENOMEM, or GROK_EINVAL for n < 5. */
int grok_sigmoid_bootstrap(const double *t, const double *y, size_t n,
                           const struct grok_sigmoid *fit, size_t reps, unsigned long seed,
                           struct grok_interval *mid, struct grok_interval *width, size_t *used,
                           struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
