/* Events on synthetic metric curves, the onset rule, laws with known parameters, the bootstrap
 * and the sigmoid fit (lib/fit.c); the events of a metrics table and its metric series
 * (lib/events.c). */
#include "tap.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdlib.h>

#include "grok/events.h"
#include "grok/fit.h"

#define N_EVALS 21

static double logistic(double t, double mid, double w)
{
    return 1 / (1 + exp(-(t - mid) / w));
}

static void test_events(void)
{
    /* Steps 0, 100, ..., 2000; train accuracy crosses 0.99 between 400 and 500 (exactly at
     * 500: a value equal to the threshold counts), test accuracy 0.9 at 1200; 0.98 first at 1300
     * but it dips at 1400, so the first streak of three starts at 1500. */
    double step[N_EVALS], tr[N_EVALS], te[N_EVALS];
    for (int i = 0; i < N_EVALS; i++) {
        step[i] = 100.0 * i;
        tr[i] = i < 5 ? 0.2 * i : i == 5 ? 0.99 : 1.0;
        te[i] = i < 12 ? 0.01 * i : i == 12 ? 0.9 : i == 14 ? 0.97 : 0.985;
    }
    is_int(grok_events_first_at_least(tr, N_EVALS, 0.99), 5, "first_at_least: equal counts");
    is_int(grok_events_first_at_least(te, N_EVALS, 0.99), -1, "first_at_least: never");
    is_int(grok_events_first_streak(te, N_EVALS, 0.98, 3), 15, "streak: a dip restarts the count");
    is_int(grok_events_first_streak(te, N_EVALS, 0.98, 1), 13, "streak of one is first_at_least");
    is_int(grok_events_first_streak(te, 18, 0.98, 3), 15, "streak ending at the last evaluation");
    is_int(grok_events_first_streak(te, 17, 0.98, 3), -1, "streak cut short by the end");
    double nan3[3] = {NAN, 1, 1};
    is_int(grok_events_first_at_least(nan3, 3, 0.5), 1, "a NaN never reaches a threshold");

    struct grok_events_opts o = GROK_EVENTS_DEFAULTS;
    struct grok_events ev;
    /* Defects: baseline median(3, 2, 4) = 3; 25 at step 300 and 28 at 600 are > 20 but not
     * > 10 * 3; 35 at 900 is both. */
    double dstep[10] = {0, 100, 200, 300, 400, 500, 600, 700, 800, 900};
    double D[10] = {3, 2, 4, 25, 19, 2, 28, 21, 18, 35};
    double pc1[4] = {0.5, 0.7, 0.9, 0.9};
    grok_events_compute(&o, step, tr, te, N_EVALS, dstep, D, 10, pc1, 4, &ev);
    is_int(ev.n_evals, 21, "events: n_evals");
    is_int(ev.t_mem, 500, "events: t_mem");
    is_int(ev.t_grok, 1200, "events: t_grok");
    is_int(ev.t_grok98, 1500, "events: t_grok98 is the first of three consecutive");
    is_int(ev.grokked, 1, "events: grokked");
    is_near(ev.final_train_acc, 1.0, 0, "events: final train accuracy");
    is_near(ev.final_test_acc, 0.985, 0, "events: final test accuracy");
    is_int(ev.t_onset, 900, "events: onset needs both thresholds");
    is_int(ev.lead, 300, "events: lead = t_grok - t_onset");
    is_near(ev.lead_frac, 0.25, 1e-15, "events: lead_frac = lead / t_grok");
    is_near(ev.pc1_mean, 0.75, 1e-15, "events: pc1_mean");

    /* A run that never groks, without defects or PCA. */
    double flat[N_EVALS];
    for (int i = 0; i < N_EVALS; i++)
        flat[i] = 0.5;
    grok_events_compute(&o, step, tr, flat, N_EVALS, NULL, NULL, 0, NULL, 0, &ev);
    ok(isnan(ev.t_grok) && isnan(ev.t_grok98), "never reached: t_grok and t_grok98 are nan");
    is_int(ev.grokked, 0, "never reached: grokked 0");
    ok(isnan(ev.t_onset) && isnan(ev.lead) && isnan(ev.lead_frac) && isnan(ev.pc1_mean),
       "no defects, no PCA: onset, lead, lead_frac, pc1_mean are nan");
    grok_events_compute(&o, step, tr, te, 0, NULL, NULL, 0, NULL, 0, &ev);
    ok(ev.n_evals == 0 && isnan(ev.t_mem) && isnan(ev.final_test_acc) && ev.grokked == 0,
       "no evaluations: everything nan, grokked 0");

    /* Other thresholds are honoured. */
    o.grok_acc = 0.5;
    o.grokked_count = 5;
    grok_events_compute(&o, step, tr, te, N_EVALS, NULL, NULL, 0, NULL, 0, &ev);
    is_int(ev.t_grok, 1200, "events: --grok-acc 0.5 (0.11 at step 1100 is below)");
    is_int(ev.t_grok98, 1500, "events: --grokked-count 5");
    te[0] = 0.95;
    o.grok_acc = 0.9;
    grok_events_compute(&o, step, tr, te, N_EVALS, dstep, D, 10, NULL, 0, &ev);
    ok(ev.t_grok == 0 && isnan(ev.lead_frac) && ev.lead == -900,
       "t_grok 0: lead -900, lead_frac nan (no delay to divide)");
}

static void test_onset(void)
{
    /* The floor: a baseline of median 0.01 is raised to 0.1, so 1.5 (> 10 * 0.01) is not
     * an onset; 25 is (> 10 * 0.1 and > 20). */
    double a[6] = {0.01, 0.02, 0.005, 1.5, 15, 25};
    is_int(grok_events_onset(a, 6, 10, 20, 0.1), 5, "onset: the floor and the minimum both hold");
    is_int(grok_events_onset(a, 6, 10, 1, 0.1), 3, "onset: a lower minimum moves it earlier");
    is_int(grok_events_onset(a, 6, 10, 1, 0.2), 4, "onset: a higher floor moves it later");
    double b[5] = {5, 6, 4, 45, 61};
    is_int(grok_events_onset(b, 5, 10, 20, 0.1), 4, "onset: 45 is not > 10 x median 5, 61 is");
    is_int(grok_events_onset(b, 2, 10, 20, 0.1), -1, "onset: fewer than 3 measurements");
    double c[4] = {1, NAN, 1, 100};
    is_int(grok_events_onset(c, 4, 10, 20, 0.1), -1, "onset: no baseline with a NaN in it");
    double d[4] = {1, 1, 1, 10};
    is_int(grok_events_onset(d, 4, 10, 20, 0.1), -1, "onset: never");
}

static double noise_fit(gsl_rng *r, size_t n, double sigma, struct grok_law *f)
{
    double x[64], y[64];
    for (size_t i = 0; i < n; i++) {
        x[i] = 100.0 * (double)(i + 1) * (1 + 0.3 * (double)(i % 3));
        y[i] = 3 * pow(x[i], 1.5) * (1 + gsl_ran_gaussian(r, sigma));
    }
    grok_law_fit(GROK_LAW_POWER, x, y, n, f, NULL);
    return f->b;
}

static void test_laws(void)
{
    struct grok_err err = {0};
    struct grok_law f;
    double x[8], y[8];
    for (int i = 0; i < 8; i++) {
        x[i] = 500.0 * (i + 1) + 37.0 * i * i;
        y[i] = 3 * pow(x[i], 1.5);
    }
    ok(grok_law_fit(GROK_LAW_POWER, x, y, 8, &f, &err) == GROK_OK, "power law fits");
    is_near(f.b, 1.5, 1e-12, "power, no noise: exponent exact");
    is_near(f.a, 3, 3e-12, "power, no noise: prefactor exact");
    is_near(f.r2, 1, 1e-12, "power, no noise: R^2 = 1");
    ok(f.b_se < 1e-12 && f.a_se < 1e-10 && f.n == 8, "power, no noise: standard errors ~ 0, n 8");

    /* y = 3 x^1.5 (1 + noise): the exponent within its standard error here, and the standard
     * error calibrated: over 400 noisy data sets, |b - 1.5| < se about 67% of the time
     * (Student's t with 18 degrees of freedom). */
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    noise_fit(r, 20, 0.05, &f);
    ok(fabs(f.b - 1.5) < f.b_se && f.b_se > 1e-3 && f.b_se < 0.05,
       "power, 5%% noise: |b - 1.5| = %.4f < se %.4f", fabs(f.b - 1.5), f.b_se);
    ok(fabs(f.a - 3) < 2 * f.a_se, "power, 5%% noise: |a - 3| = %.4f < 2 se %.4f", fabs(f.a - 3),
       2 * f.a_se);
    ok(f.r2 > 0.99 && f.r2 < 1, "power, 5%% noise: 0.99 < R^2 = %.6f < 1", f.r2);
    int within = 0;
    for (int k = 0; k < 400; k++)
        within += fabs(noise_fit(r, 20, 0.05, &f) - 1.5) < f.b_se;
    ok(within > 0.6 * 400 && within < 0.75 * 400, "power: |b - 1.5| < se in %d of 400 (~67%%)",
       within);
    gsl_rng_free(r);

    /* Linear and exponential forms, and R^2 by hand. */
    double lx[5] = {1, 2, 3, 4, 5}, ly[5] = {2.1, 3.9, 6.2, 7.8, 10.1};
    ok(grok_law_fit(GROK_LAW_LINEAR, lx, ly, 5, &f, &err) == GROK_OK, "linear law fits");
    /* Least squares by hand: mean x 3, mean y 6.02, Sxy = 19.9, Sxx = 10. */
    is_near(f.b, 1.99, 1e-13, "linear: slope");
    is_near(f.a, 6.02 - 1.99 * 3, 1e-13, "linear: intercept");
    double sse = 0, sst = 0;
    for (int i = 0; i < 5; i++) {
        double e = ly[i] - (f.a + f.b * lx[i]);
        sse += e * e;
        sst += (ly[i] - 6.02) * (ly[i] - 6.02);
    }
    is_near(f.r2, 1 - sse / sst, 1e-13, "linear: R^2 = 1 - SSE/SST");
    is_near(f.b_se, sqrt(sse / 3 / 10), 1e-13, "linear: se(b) = sqrt(s^2 / Sxx)");
    is_near(f.a_se, sqrt(sse / 3 * (1.0 / 5 + 9.0 / 10)), 1e-13,
            "linear: se(a) = sqrt(s^2 (1/n + mean^2/Sxx))");
    double ey[5];
    for (int i = 0; i < 5; i++)
        ey[i] = 0.5 * exp(-0.7 * lx[i]);
    ok(grok_law_fit(GROK_LAW_EXP, lx, ey, 5, &f, &err) == GROK_OK, "exp law fits");
    ok(fabs(f.b + 0.7) < 1e-13 && fabs(f.a - 0.5) < 1e-13, "exp: b = %.17g, a = %.17g", f.b, f.a);

    /* What a fit refuses. */
    ok(grok_law_fit(GROK_LAW_POWER, x, y, 2, &f, &err) == GROK_EINVAL, "n = 2 refused");
    is_str(err.msg, "2 points, a law needs 3 at least", "  its message");
    double same[3] = {4, 4, 4};
    ok(grok_law_fit(GROK_LAW_LINEAR, same, ly, 3, &f, &err) == GROK_EINVAL, "equal x refused");
    is_str(err.msg, "every x is the same, no slope to fit", "  its message");
    int which = -1;
    is_int(grok_law_point_check(GROK_LAW_POWER, 0, 1, &which), GROK_POINT_NO_LOG, "power: x = 0");
    is_int(which, 0, "  x at fault");
    is_int(grok_law_point_check(GROK_LAW_POWER, 1, -2, &which), GROK_POINT_NO_LOG, "power: y < 0");
    is_int(which, 1, "  y at fault");
    is_int(grok_law_point_check(GROK_LAW_EXP, -1, 2, &which), GROK_POINT_OK, "exp: x < 0 is fine");
    is_int(grok_law_point_check(GROK_LAW_EXP, 1, 0, &which), GROK_POINT_NO_LOG, "exp: y = 0");
    is_int(grok_law_point_check(GROK_LAW_LINEAR, -1, 0, &which), GROK_POINT_OK, "linear: any sign");
    is_int(grok_law_point_check(GROK_LAW_LINEAR, 1, NAN, &which), GROK_POINT_NOT_FINITE, "nan");
    is_int(which, 1, "  y at fault");
    is_int(grok_law_point_check(GROK_LAW_LINEAR, INFINITY, 1, &which), GROK_POINT_NOT_FINITE, "inf");
    enum grok_law_form form;
    ok(grok_law_form_parse("exp", &form) == 0 && form == GROK_LAW_EXP, "form 'exp' parses");
    ok(grok_law_form_parse("quadratic", &form) == -1, "form 'quadratic' does not");
    is_str(grok_law_form_formula(GROK_LAW_POWER), "y = a*x^b", "power's formula");
}

static void test_bootstrap(void)
{
    struct grok_err err = {0};
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    double x[30], y[30];
    for (int i = 0; i < 30; i++) {
        x[i] = 100.0 + 50.0 * i;
        y[i] = 3 * pow(x[i], 1.5) * (1 + gsl_ran_gaussian(r, 0.05));
    }
    gsl_rng_free(r);
    struct grok_interval b1, a1, b2, a2, b3, a3;
    size_t used = 0;
    ok(grok_law_bootstrap(GROK_LAW_POWER, x, y, 30, 500, 0, &b1, &a1, &used, &err) == GROK_OK,
       "bootstrap runs");
    is_int(used, 500, "bootstrap: every draw used");
    grok_law_bootstrap(GROK_LAW_POWER, x, y, 30, 500, 0, &b2, &a2, NULL, &err);
    ok(b1.lo == b2.lo && b1.hi == b2.hi && a1.lo == a2.lo && a1.hi == a2.hi,
       "bootstrap: the same seed gives the same bytes");
    grok_law_bootstrap(GROK_LAW_POWER, x, y, 30, 500, 1, &b3, &a3, NULL, &err);
    ok(b3.lo != b1.lo || b3.hi != b1.hi, "bootstrap: another seed gives other draws");
    ok(b1.lo < 1.5 && 1.5 < b1.hi && b1.hi - b1.lo < 0.1, "bootstrap: 95%% interval [%.4f, %.4f] "
       "holds the exponent", b1.lo, b1.hi);
    ok(a1.lo < 3 && 3 < a1.hi, "bootstrap: interval [%.4f, %.4f] holds the prefactor", a1.lo, a1.hi);
    /* Three points, two of them the same x: some draws have a single x and are left out. */
    double sx[3] = {1, 1, 2}, sy[3] = {1, 2, 3};
    grok_law_bootstrap(GROK_LAW_LINEAR, sx, sy, 3, 200, 0, &b1, &a1, &used, &err);
    ok(used > 0 && used < 200, "bootstrap: draws without a slope left out (%zu of 200 used)", used);
}

static void test_sigmoid(void)
{
    struct grok_err err = {0};
    struct grok_sigmoid s;
    /* The test accuracy of a grokking run: every 100 steps, rising at 7000 over width 400. */
    double t[100], y[100];
    for (int i = 0; i < 100; i++) {
        t[i] = 100.0 * i;
        y[i] = 0.01 + 0.98 * logistic(t[i], 7000, 400);
    }
    ok(grok_sigmoid_fit(t, y, 100, NULL, &s, &err) == GROK_OK, "sigmoid fits: %s", err.msg);
    is_near(s.mid, 7000, 1e-6, "sigmoid, no noise: mid");
    is_near(s.width, 400, 1e-6, "sigmoid, no noise: width");
    is_near(s.lo, 0.01, 1e-9, "sigmoid, no noise: lo");
    is_near(s.hi, 0.99, 1e-9, "sigmoid, no noise: hi");
    ok(s.rmse < 1e-9 && s.n == 100, "sigmoid, no noise: rmse %.3g, n %zu", s.rmse, s.n);

    /* A falling curve (a loss) with noise: width stays positive, lo is the level before. */
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    for (int i = 0; i < 100; i++)
        y[i] = 4 - 3.5 * logistic(t[i], 2500, 150) + gsl_ran_gaussian(r, 0.02);
    ok(grok_sigmoid_fit(t, y, 100, NULL, &s, &err) == GROK_OK, "falling sigmoid fits");
    ok(fabs(s.mid - 2500) < 3 * s.mid_se && s.mid_se < 20, "falling: mid %.2f +- %.2f", s.mid,
       s.mid_se);
    ok(fabs(s.width - 150) < 3 * s.width_se && s.width_se < 20, "falling: width %.2f +- %.2f",
       s.width, s.width_se);
    ok(fabs(s.lo - 4) < 0.02 && fabs(s.hi - 0.5) < 0.02, "falling: lo %.4f, hi %.4f", s.lo, s.hi);
    is_near(s.rmse, 0.02, 0.004, "falling: rmse near the noise");

    /* A sharp rise between two evaluations still fits (the guess is not a zero width). */
    for (int i = 0; i < 100; i++)
        y[i] = logistic(t[i], 5050, 20);
    ok(grok_sigmoid_fit(t, y, 100, NULL, &s, &err) == GROK_OK, "sharp rise fits");
    is_near(s.mid, 5050, 1e-3, "sharp rise: mid");
    is_near(s.width, 20, 1e-3, "sharp rise: width");

    struct grok_interval mi1, wi1, mi2, wi2;
    size_t used;
    for (int i = 0; i < 100; i++)
        y[i] = 0.01 + 0.98 * logistic(t[i], 7000, 400) + gsl_ran_gaussian(r, 0.02);
    grok_sigmoid_fit(t, y, 100, NULL, &s, &err);
    int brc = grok_sigmoid_bootstrap(t, y, 100, &s, 200, 5, &mi1, &wi1, &used, &err);
    ok(brc == GROK_OK && used > 190, "sigmoid bootstrap runs (%zu of 200 used)", used);
    grok_sigmoid_bootstrap(t, y, 100, &s, 200, 5, &mi2, &wi2, NULL, &err);
    ok(mi1.lo == mi2.lo && mi1.hi == mi2.hi && wi1.lo == wi2.lo, "sigmoid bootstrap: deterministic");
    /* The percentile interval holds the estimate and spans about 2 x 1.96 standard errors. */
    ok(mi1.lo < s.mid && s.mid < mi1.hi && wi1.lo < s.width && s.width < wi1.hi,
       "sigmoid bootstrap: mid %.1f in [%.1f, %.1f], width %.1f in [%.1f, %.1f]", s.mid, mi1.lo,
       mi1.hi, s.width, wi1.lo, wi1.hi);
    ok((mi1.hi - mi1.lo) / s.mid_se > 2.5 && (mi1.hi - mi1.lo) / s.mid_se < 6 &&
       (wi1.hi - wi1.lo) / s.width_se > 2.5 && (wi1.hi - wi1.lo) / s.width_se < 6,
       "sigmoid bootstrap: interval widths %.2f and %.2f standard errors",
       (mi1.hi - mi1.lo) / s.mid_se, (wi1.hi - wi1.lo) / s.width_se);
    gsl_rng_free(r);

    /* Refusals. */
    ok(grok_sigmoid_fit(t, y, 4, NULL, &s, &err) == GROK_EINVAL, "4 points refused");
    is_str(err.msg, "4 points, a sigmoid needs 5 at least", "  its message");
    double c[6] = {1, 1, 1, 1, 1, 1};
    ok(grok_sigmoid_fit(t, c, 6, NULL, &s, &err) == GROK_EINVAL, "a constant refused");
    is_str(err.msg, "the values are constant, no rise to fit", "  its message");
    ok(grok_sigmoid_fit(c, y, 6, NULL, &s, &err) == GROK_EINVAL, "a single step refused");
    /* Not a sigmoid: a parabola. Whatever GSL does, the answer is a clean refusal or a fit
     * with finite numbers; never a crash. */
    double py[50];
    for (int i = 0; i < 50; i++)
        py[i] = (i - 25.0) * (i - 25.0);
    int rc = grok_sigmoid_fit(t, py, 50, NULL, &s, &err);
    ok(rc == GROK_EINVAL || (rc == GROK_OK && isfinite(s.mid) && s.width > 0),
       "a parabola: refused or finite (%s)", rc ? err.msg : "fitted");

    /* A step within one evaluation: every width below the spacing fits, so none is found. */
    double st[8] = {0, 100, 200, 300, 400, 500, 600, 700}, sy[8] = {0.04, 1, 1, 1, 1, 1, 1, 1};
    ok(grok_sigmoid_fit(st, sy, 8, NULL, &s, &err) == GROK_EINVAL, "a step within one evaluation refused");
    is_str(err.msg, "the rise lies between two evaluations, steps 0 and 100: no width to fit",
           "  its message");

    /* What a converged fit means: grok_sigmoid_check. */
    struct grok_sigmoid g = {.lo = 0, .hi = 1, .mid = 300, .width = 50, .mid_se = 5, .width_se = 4};
    ok(grok_sigmoid_check(&g, st, 8, &err) == GROK_OK, "check: a rise within the steps passes");
    struct grok_sigmoid b = g;
    b.mid = -1001.97;
    ok(grok_sigmoid_check(&b, st, 8, &err) == GROK_EINVAL, "check: a midpoint before the steps");
    is_str(err.msg, "midpoint -1001.97 outside the steps 0..700", "  its message");
    b = g;
    b.width_se = 60;
    ok(grok_sigmoid_check(&b, st, 8, &err) == GROK_EINVAL, "check: a width smaller than its error");
    is_str(err.msg, "width 50 with a standard error of 60: the rise is not resolved", "  its message");
    b = g;
    b.mid_se = 800;
    ok(grok_sigmoid_check(&b, st, 8, &err) == GROK_EINVAL, "check: a midpoint error past the span");
    is_str(err.msg, "midpoint 300 with a standard error of 800, more than the steps' span",
           "  its message");
    b = g;
    b.width_se = NAN;
    ok(grok_sigmoid_check(&b, st, 8, &err) == GROK_EINVAL, "check: no standard error");
}

static void test_table_events(void)
{
    static const char tsv[] = "# op: add\n# p: 23\n"
                              "step\ttrain_acc\ttest_acc\n"
                              "0\t0.1\t0.0\n100\t1\t0.5\n200\t1\t0.99\n300\t1\t0.99\n400\t1\t0.99\n";
    struct grok_err err = {0};
    struct grok_input in = {.name = "m.tsv"};
    in.table = grok_table_read_mem(tsv, sizeof tsv - 1, "m.tsv", &err);
    ok(in.table != NULL, "metrics table read: %s", err.msg);
    if (!in.table)
        return;
    ok(grok_events_is_metrics_table(in.table), "  it is a metrics table");
    struct grok_events_opts o = GROK_EVENTS_DEFAULTS;
    struct grok_events_row r;
    ok(grok_events_read(&in, &o, &r, &err) == GROK_OK, "events of a table: %s", err.msg);
    double v = 0;
    ok(grok_events_value(&in, &r, "t_mem", &v, &err) == GROK_OK && v == 100, "  t_mem 100");
    ok(grok_events_value(&in, &r, "t_grok98", &v, &err) == GROK_OK && v == 200, "  t_grok98 200");
    ok(grok_events_value(&in, &r, "p", &v, &err) == GROK_OK && v == 23, "  p from the metadata");
    ok(grok_events_value(&in, &r, "lr", &v, &err) == GROK_OK && isnan(v), "  lr missing: nan");
    ok(grok_events_value(&in, &r, "t_onset", &v, &err) == GROK_OK && isnan(v), "  no defects: no onset");
    ok(grok_events_value(&in, &r, "op", &v, &err) == GROK_EFORMAT, "  op is text");
    is_str(err.msg, "m.tsv: column 'op' is text, a law needs numbers", "  its message");
    ok(grok_events_value(&in, &r, "nope", &v, &err) == GROK_ENOTFOUND, "  an unknown column");
    grok_events_row_free(&r);

    struct grok_metric_series s;
    ok(grok_metric_series_read(&in, "test_acc", &s, &err) == GROK_OK && s.n == 5 &&
       s.step[4] == 400 && s.value[1] == 0.5, "metric series of a table");
    grok_metric_series_free(&s);
    ok(grok_metric_series_read(&in, "nope", &s, &err) != GROK_OK, "  a missing column refused");
    grok_metric_series_free(&s);
    grok_table_free(in.table);

    /* Metrics of two runs concatenated: the steps go back, and the line is named. */
    static const char two[] = "step\ttrain_acc\ttest_acc\n0\t0\t0\n100\t1\t1\n0\t0\t0\n";
    in.table = grok_table_read_mem(two, sizeof two - 1, "m.tsv", &err);
    ok(grok_events_read(&in, &o, &r, &err) == GROK_EFORMAT, "steps going back refused");
    is_str(err.msg, "m.tsv: line 4: step 0 after step 100 (the metrics of several runs? give "
           "each as its own input)", "  its message");
    grok_events_row_free(&r);
    grok_table_free(in.table);
}

int main(void)
{
    test_events();
    test_onset();
    test_laws();
    test_bootstrap();
    test_sigmoid();
    test_table_events();
    return done_testing();
}
