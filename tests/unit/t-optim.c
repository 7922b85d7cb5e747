/* Optimizers: each update rule against its arithmetic written out here in double, the warm-up
 * schedule, clipping, per-range multipliers, frozen ranges and range checks. */
#include "tap.h"

#include "grok/optim.h"

#define N 3

/* Relative comparison: the optimizer keeps float arrays, the references are double. */
static void near_all(const float *got, const double *want, int n, const char *what)
{
    int good = 1;
    for (int i = 0; i < n; i++) {
        double tol = 1e-6 * fabs(want[i]) + 1e-9;
        if (fabs(got[i] - want[i]) > tol) {
            good = 0;
            diag("%s [%d]: got %.9g, want %.9g", what, i, got[i], want[i]);
        }
    }
    ok(good, "%s", what);
}

static const double th0[N] = {1.0, -2.0, 0.5};
/* Values a float holds exactly, so that the references start from the optimizer's inputs. */
static const double g1[N] = {0.125, -0.25, 0.375};
static const double g2[N] = {-0.5, 0.625, 0.0625};
static const double g3[N] = {0.25, 0.1875, -0.4375};

static struct grok_optim make(struct grok_optim_config c, size_t n,
                              const struct grok_optim_range *r, int nr)
{
    struct grok_optim o;
    struct grok_err err = {0};
    if (grok_optim_init(&o, &c, n, r, nr, &err) != GROK_OK)
        diag("init failed: %s", err.msg);
    return o;
}

static void load(float *dst, const double *src, int n)
{
    for (int i = 0; i < n; i++)
        dst[i] = (float)src[i];
}

static void test_adamw(void)
{
    struct grok_optim_config c = {.kind = GROK_OPT_ADAMW, .lr = 0.01, .wd = 0.5, .beta1 = 0.9,
                                  .beta2 = 0.98, .eps = 1e-8};
    struct grok_optim o = make(c, N, NULL, 0);
    float th[N], g[N];
    double want[N], m1[N], v1[N], th1[N];
    load(th, th0, N);

    /* Step 1: m = 0.1 g, v = 0.02 g², bc1 = 0.1, bc2 = 0.02, so m/bc1 = g and
     * sqrt(v)/sqrt(bc2) = |g|: θ1 = θ0 (1 − 0.01 · 0.5) − 0.01 g / (|g| + 1e-8). */
    load(g, g1, N);
    grok_optim_step(&o, th, g);
    for (int i = 0; i < N; i++) {
        m1[i] = 0.1 * g1[i];
        v1[i] = 0.02 * g1[i] * g1[i];
        th1[i] = want[i] = th0[i] * 0.995 - 0.01 * g1[i] / (fabs(g1[i]) + 1e-8);
    }
    near_all(th, want, N, "adamw step 1: θ0·0.995 − 0.01·g/(|g|+eps)");
    near_all(o.m, m1, N, "adamw step 1: m = 0.1 g");
    near_all(o.v, v1, N, "adamw step 1: v = 0.02 g²");
    is_near(th[0], 0.995 - 0.01 * 0.125 / 0.12500001, 1e-7, "adamw step 1, θ[0] = 0.985 (to 1e-7)");

    /* Step 2: bc1 = 1 − 0.9² = 0.19, bc2 = 1 − 0.98² = 0.0396. */
    load(g, g2, N);
    grok_optim_step(&o, th, g);
    for (int i = 0; i < N; i++) {
        double m2 = 0.9 * m1[i] + 0.1 * g2[i];
        double v2 = 0.98 * v1[i] + 0.02 * g2[i] * g2[i];
        want[i] = th1[i] * 0.995 - (0.01 / 0.19) * m2 / (sqrt(v2) / sqrt(0.0396) + 1e-8);
    }
    near_all(th, want, N, "adamw step 2 with bias corrections 0.19 and 0.0396");
    is_int(o.t, 2, "t counts updates");
    grok_optim_free(&o);
    ok(o.m == NULL && o.ranges == NULL, "free zeroes the optimizer");
    grok_optim_free(&o);
    grok_optim_free(NULL);
}

static void test_adam_l2(void)
{
    struct grok_optim_config c = {.kind = GROK_OPT_ADAM, .lr = 0.01, .wd = 0.1, .beta1 = 0.9,
                                  .beta2 = 0.999, .eps = 1e-8};
    struct grok_optim o = make(c, N, NULL, 0);
    float th[N], g[N];
    double want[N], m1[N], v1[N], th1[N];
    load(th, th0, N);

    /* Step 1: the gradient becomes g + 0.1 θ0 (L2), then as AdamW's first step with no decay:
     * θ1 = θ0 − 0.01 g'/(|g'| + 1e-8). */
    load(g, g1, N);
    grok_optim_step(&o, th, g);
    for (int i = 0; i < N; i++) {
        double gp = g1[i] + 0.1 * th0[i];
        m1[i] = 0.1 * gp;
        v1[i] = 0.001 * gp * gp;
        th1[i] = want[i] = th0[i] - 0.01 * gp / (fabs(gp) + 1e-8);
    }
    near_all(th, want, N, "adam step 1: L2 added to the gradient, no decoupled decay");
    near_all(o.m, m1, N, "adam step 1: m = 0.1 (g + wd θ)");

    /* Step 2: g' = g2 + 0.1 θ1; bc1 = 0.19, bc2 = 1 − 0.999² = 0.001999. */
    load(g, g2, N);
    grok_optim_step(&o, th, g);
    for (int i = 0; i < N; i++) {
        double gp = g2[i] + 0.1 * th1[i];
        double m2 = 0.9 * m1[i] + 0.1 * gp;
        double v2 = 0.999 * v1[i] + 0.001 * gp * gp;
        want[i] = th1[i] - (0.01 / 0.19) * m2 / (sqrt(v2) / sqrt(0.001999) + 1e-8);
    }
    near_all(th, want, N, "adam step 2");
    grok_optim_free(&o);
}

static void test_sgd(void)
{
    struct grok_optim_config c = {.kind = GROK_OPT_SGD, .lr = 0.1, .wd = 0.01};
    struct grok_optim o = make(c, N, NULL, 0);
    float th[N], g[N];
    double want[N], th1[N], th2[N];
    load(th, th0, N);

    /* Plain: θ ← θ − 0.1 (g + 0.01 θ). */
    load(g, g1, N);
    grok_optim_step(&o, th, g);
    for (int i = 0; i < N; i++)
        th1[i] = want[i] = th0[i] - 0.1 * (g1[i] + 0.01 * th0[i]);
    near_all(th, want, N, "sgd step 1: θ − lr (g + wd θ)");
    is_near(th[0], 1.0 - 0.1 * (0.125 + 0.01), 1e-7, "sgd step 1, θ[0] = 0.9865");
    load(g, g2, N);
    grok_optim_step(&o, th, g);
    for (int i = 0; i < N; i++)
        want[i] = th1[i] - 0.1 * (g2[i] + 0.01 * th1[i]);
    near_all(th, want, N, "sgd step 2");
    grok_optim_free(&o);

    /* Momentum 0.9: buf1 = d1 (torch's clone), buf2 = 0.9 buf1 + d2, buf3 = 0.9 buf2 + d3. */
    c.momentum = 0.9;
    o = make(c, N, NULL, 0);
    load(th, th0, N);
    double b1[N], b2[N], b3[N];
    load(g, g1, N);
    grok_optim_step(&o, th, g);
    for (int i = 0; i < N; i++) {
        b1[i] = g1[i] + 0.01 * th0[i];
        th1[i] = want[i] = th0[i] - 0.1 * b1[i];
    }
    near_all(th, want, N, "sgd momentum step 1: the buffer starts as the gradient");
    near_all(o.m, b1, N, "sgd momentum step 1: buffer in m");
    load(g, g2, N);
    grok_optim_step(&o, th, g);
    for (int i = 0; i < N; i++) {
        b2[i] = 0.9 * b1[i] + (g2[i] + 0.01 * th1[i]);
        th2[i] = want[i] = th1[i] - 0.1 * b2[i];
    }
    near_all(th, want, N, "sgd momentum step 2");
    load(g, g3, N);
    grok_optim_step(&o, th, g);
    for (int i = 0; i < N; i++) {
        b3[i] = 0.9 * b2[i] + (g3[i] + 0.01 * th2[i]);
        want[i] = th2[i] - 0.1 * b3[i];
    }
    near_all(th, want, N, "sgd momentum step 3");
    near_all(o.m, b3, N, "sgd momentum step 3: buffer");
    grok_optim_free(&o);
}

static void test_warmup(void)
{
    struct grok_optim_config c = {.kind = GROK_OPT_ADAMW, .lr = 1e-3, .warmup = 10};
    is_near(grok_optim_lr(&c, 0), 0, 0, "warm-up: the first update has rate 0");
    is_near(grok_optim_lr(&c, 5), 5e-4, 1e-18, "warm-up: 5 of 10 done gives lr/2");
    is_near(grok_optim_lr(&c, 10), 1e-3, 0, "warm-up: 10 of 10 gives lr");
    is_near(grok_optim_lr(&c, 1000), 1e-3, 0, "warm-up: beyond gives lr");
    c.warmup = 0;
    is_near(grok_optim_lr(&c, 0), 1e-3, 0, "no warm-up: lr from the start");

    /* With rate 0 AdamW neither steps nor decays, but the moments and t still advance. */
    c = (struct grok_optim_config){.kind = GROK_OPT_ADAMW, .lr = 0.01, .wd = 1.0, .beta1 = 0.9,
                                   .beta2 = 0.98, .eps = 1e-8, .warmup = 2};
    struct grok_optim o = make(c, N, NULL, 0);
    float th[N], g[N];
    double want[N];
    load(th, th0, N);
    load(g, g1, N);
    grok_optim_step(&o, th, g);
    near_all(th, th0, N, "warm-up step 0: parameters unchanged");
    is_near(o.m[0], 0.1 * 0.125, 1e-9, "warm-up step 0: the moment still moves");
    /* Step 2 at rate 0.005, with m = 0.09 g1 + 0.1 g2 etc. */
    load(g, g2, N);
    grok_optim_step(&o, th, g);
    for (int i = 0; i < N; i++) {
        double m2 = 0.9 * 0.1 * g1[i] + 0.1 * g2[i];
        double v2 = 0.98 * 0.02 * g1[i] * g1[i] + 0.02 * g2[i] * g2[i];
        want[i] = th0[i] * (1 - 0.005) - (0.005 / 0.19) * m2 / (sqrt(v2) / sqrt(0.0396) + 1e-8);
    }
    near_all(th, want, N, "warm-up step 1: rate lr/2");
    grok_optim_free(&o);
}

static void test_ranges(void)
{
    /* Two copies of the same problem, the second at half the rate: its step is half. */
    struct grok_optim_range r[2] = {{0, N, 1.0, 0}, {N, N, 0.5, 0}};
    float th[2 * N], g[2 * N];
    for (int kind = GROK_OPT_ADAM; kind <= GROK_OPT_SGD; kind++) {
        struct grok_optim_config c = {.kind = kind, .lr = 0.01, .beta1 = 0.9, .beta2 = 0.98,
                                      .eps = 1e-8, .momentum = 0.5};
        struct grok_optim o = make(c, 2 * N, r, 2);
        load(th, th0, N);
        load(th + N, th0, N);
        for (int s = 0; s < 2; s++) {
            load(g, s ? g2 : g1, N);
            load(g + N, s ? g2 : g1, N);
            grok_optim_step(&o, th, g);
        }
        double half[N];
        for (int i = 0; i < N; i++)
            half[i] = th0[i] + 0.5 * (th[i] - th0[i]);
        near_all(th + N, half, N, kind == GROK_OPT_SGD ? "lr_mult 0.5 halves the sgd steps"
                                                       : "lr_mult 0.5 halves the adam steps");
        grok_optim_free(&o);
    }

    /* A frozen range: no step, no decay, moments untouched, gradient zeroed by clip. */
    struct grok_optim_range fr[2] = {{0, 2, 1.0, 1}, {2, 1, 1.0, 0}};
    struct grok_optim_config c = {.kind = GROK_OPT_ADAMW, .lr = 0.01, .wd = 1.0, .beta1 = 0.9,
                                  .beta2 = 0.98, .eps = 1e-8};
    struct grok_optim o = make(c, N, fr, 2);
    float fth[N], fg[N];
    load(fth, th0, N);
    for (int s = 0; s < 2; s++) {
        load(fg, s ? g2 : g1, N);
        grok_optim_step(&o, fth, fg);
    }
    ok(fth[0] == (float)th0[0] && fth[1] == (float)th0[1], "frozen range: parameters unchanged");
    ok(o.m[0] == 0 && o.m[1] == 0 && o.v[0] == 0 && o.v[1] == 0,
       "frozen range: moments untouched");
    ok(fth[2] != (float)th0[2] && o.m[2] != 0 && o.v[2] != 0, "the other range moves");
    float cg[N] = {100, -7, 5};
    is_near(grok_optim_clip(&o, cg, 0), 5, 1e-12, "clip: the norm leaves out the frozen range");
    ok(cg[0] == 0 && cg[1] == 0 && cg[2] == 5, "clip: zeroes the frozen gradient, no scaling at 0");
    float pg[N] = {100, -7, 5};
    double part0 = grok_optim_sumsq(&o, pg, 0, 1);
    ok(part0 == 0 && pg[0] == 0 && pg[1] == -7, "sumsq of a part zeroes the frozen elements in it alone");
    is_near(part0 + grok_optim_sumsq(&o, pg, 1, N), 25, 1e-12,
            "sumsq of two parts: the frozen range left out");
    ok(pg[1] == 0 && pg[2] == 5, "sumsq: the second part's frozen element zeroed, the rest kept");
    grok_optim_free(&o);
}

static void test_clip(void)
{
    struct grok_optim_config c = {.kind = GROK_OPT_SGD, .lr = 0.1};
    struct grok_optim o = make(c, 2, NULL, 0);
    float g[2] = {3, 4};
    is_near(grok_optim_clip(&o, g, 1.0), 5, 1e-12, "clip returns the norm before clipping");
    double s = 1.0 / (5 + 1e-6);
    is_near(g[0], 3 * s, 1e-7, "clip scales by max_norm/(norm + 1e-6): g[0]");
    is_near(g[1], 4 * s, 1e-7, "  g[1]");
    is_near(sqrt((double)g[0] * g[0] + (double)g[1] * g[1]), 5 * s, 1e-7,
            "clipped norm = norm · max_norm/(norm + 1e-6)");
    g[0] = 3; g[1] = 4;
    is_near(grok_optim_clip(&o, g, 10.0), 5, 1e-12, "below max_norm: the norm");
    ok(g[0] == 3 && g[1] == 4, "below max_norm: no scaling");
    g[0] = 0.6f; g[1] = 0.8f;
    grok_optim_clip(&o, g, 1.0 + 1e-3);
    ok(g[0] == 0.6f && g[1] == 0.8f, "norm 1 under max_norm 1.001: no scaling");
    ok(grok_optim_clip_scale(5, 1.0) == (float)(1.0 / (5 + 1e-6)) &&
       grok_optim_clip_scale(5, 10.0) == 1.0f && grok_optim_clip_scale(5, 0) == 1.0f,
       "clip_scale: max_norm/(norm + 1e-6) above max_norm, else 1, and 1 without clipping");
    grok_optim_free(&o);
}

static void init_bad(const struct grok_optim_range *r, int nr, size_t n, const char *what)
{
    struct grok_optim_config c = {.kind = GROK_OPT_ADAMW, .lr = 1e-3};
    struct grok_optim o;
    struct grok_err err = {0};
    is_int(grok_optim_init(&o, &c, n, r, nr, &err), GROK_EINVAL, "init refuses %s", what);
    ok(err.msg[0] && !strchr(err.msg, '\n'), "  with a one-line message: %s", err.msg);
    ok(o.m == NULL && o.ranges == NULL, "  and leaves o empty");
    grok_optim_free(&o);
}

static void test_init(void)
{
    struct grok_optim_config c = {.kind = GROK_OPT_ADAMW, .lr = 1e-3};
    struct grok_optim o;
    struct grok_err err = {0};
    is_int(grok_optim_init(&o, &c, 5, NULL, 0, &err), GROK_OK, "init with no ranges");
    ok(o.n_ranges == 1 && o.ranges[0].offset == 0 && o.ranges[0].size == 5 &&
       o.ranges[0].lr_mult == 1 && !o.ranges[0].frozen, "  one range, multiplier 1, not frozen");
    ok(o.v == o.m + 5 && o.t == 0 && o.n_params == 5, "  v follows m in one block, t = 0");
    int zero = 1;
    for (int i = 0; i < 10; i++)
        zero &= o.m[i] == 0;
    ok(zero, "  moments start at zero");
    grok_optim_free(&o);

    struct grok_optim_range r[2] = {{0, 2, 1, 0}, {2, 3, 10, 0}};
    is_int(grok_optim_init(&o, &c, 5, r, 2, &err), GROK_OK, "init with two ranges that partition");
    r[1].lr_mult = 99;
    ok(o.ranges[1].lr_mult == 10, "  the ranges are copied");
    grok_optim_free(&o);

    struct grok_optim_range gap[2] = {{0, 2, 1, 0}, {3, 2, 1, 0}};
    struct grok_optim_range overlap[2] = {{0, 3, 1, 0}, {2, 3, 1, 0}};
    struct grok_optim_range shorter[1] = {{0, 4, 1, 0}};
    struct grok_optim_range longer[2] = {{0, 2, 1, 0}, {2, 4, 1, 0}};
    struct grok_optim_range order[2] = {{2, 3, 1, 0}, {0, 2, 1, 0}};
    struct grok_optim_range late[1] = {{1, 4, 1, 0}};
    init_bad(gap, 2, 5, "a gap");
    init_bad(overlap, 2, 5, "an overlap");
    init_bad(shorter, 1, 5, "ranges that stop short");
    init_bad(longer, 2, 5, "ranges past the end");
    init_bad(order, 2, 5, "ranges out of order");
    init_bad(late, 1, 5, "a first range not at 0");
    init_bad(gap, 0, 5, "zero ranges");
}

int main(void)
{
    ok(grok_opt_parse("adamw") == GROK_OPT_ADAMW && grok_opt_parse("adam") == GROK_OPT_ADAM &&
       grok_opt_parse("sgd") == GROK_OPT_SGD && grok_opt_parse("lion") == -1, "optimizer names parse");
    is_str(grok_opt_name(GROK_OPT_ADAMW), "adamw", "adamw's name");
    is_str(grok_opt_name(GROK_OPT_ADAM), "adam", "adam's name");
    is_str(grok_opt_name(GROK_OPT_SGD), "sgd", "sgd's name");
    test_adamw();
    test_adam_l2();
    test_sgd();
    test_warmup();
    test_ranges();
    test_clip();
    test_init();
    return done_testing();
}
