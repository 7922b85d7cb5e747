/* P1's interventions (intervene.h) in the trainer's step: what each does to the gradient and to
 * the parameters, measured against a trainer without it that takes the same steps. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "grok/pca.h"
#include "grok/pca_basis.h"
#include "grok/train.h"
#include "grok/train_session.h"
#include "models.h"
#include "tap.h"

/* The basis the tests use: `per` random orthonormal columns on each of two matrices of the
 * model (their rows only), as grok-pca's basis is; scale 1 for an orthonormal one. */
static double *make_basis(const struct grok_model *m, int per, double scale, size_t *C)
{
    const char *mats[2] = {"blocks.0.attn.W_Q", "blocks.0.attn.W_K"};
    size_t n = m->n_params;
    *C = 2 * (size_t)per;
    double *B = calloc(n * *C, sizeof *B);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    for (int k = 0; k < 2; k++) {
        const struct grok_param *t = NULL;
        for (int i = 0; i < m->n_tensors; i++)
            if (strcmp(m->tensors[i].name, mats[k]) == 0)
                t = &m->tensors[i];
        size_t len = t->size, lo = t->offset;
        double *A = malloc(len * (size_t)per * sizeof *A);
        for (size_t i = 0; i < len * (size_t)per; i++)
            A[i] = gsl_ran_gaussian(r, 1);
        grok_orthonormalise(A, len, (size_t)per, NULL);
        for (size_t i = 0; i < len; i++)
            for (int j = 0; j < per; j++)
                B[(lo + i) * *C + (size_t)(k * per + j)] = scale * A[i * (size_t)per + (size_t)j];
        free(A);
    }
    gsl_rng_free(r);
    return B;
}

static int write_basis(const char *path, const struct grok_model *m, const double *B, size_t C)
{
    struct grok_err err;
    struct grok_run *run = grok_run_create(path, &err);
    int rc = run ? grok_pca_basis_write(run, m, B, C, "test", &err) : err.code;
    if (rc == GROK_OK)
        rc = grok_run_commit(run, &err);
    if (rc)
        diag("%s", err.msg);
    grok_run_close(run);
    return rc;
}

/* A trainer for c with the interventions c asks for, on `threads` threads, set up as grok-train
 * sets one up. */
static struct grok_trainer *trainer(const struct grok_train_config *c, int threads, struct grok_err *err)
{
    struct grok_trainer *t = grok_trainer_new(c, err);
    if (!t || grok_trainer_set_threads(t, threads, err) || grok_train_add_transforms(t, err)) {
        grok_trainer_free(t);
        return NULL;
    }
    return t;
}

/* ‖Bᵀv‖ and ‖v‖ for v (n), B (n × C). */
static void split(const double *B, size_t n, size_t C, const double *v, double *in, double *all)
{
    double s = 0, a = 0;
    for (size_t j = 0; j < C; j++) {
        double c = 0;
        for (size_t i = 0; i < n; i++)
            c += B[i * C + j] * v[i];
        s += c * c;
    }
    for (size_t i = 0; i < n; i++)
        a += v[i] * v[i];
    *in = sqrt(s);
    *all = sqrt(a);
}

/* Whether row i is covered by a column of B. */
static int covered(const double *B, size_t C, size_t i)
{
    for (size_t j = 0; j < C; j++)
        if (B[i * C + j] != 0)
            return 1;
    return 0;
}

static void check_suppression(const struct grok_train_config *base, const double *B, size_t C, int threads)
{
    struct grok_err err;
    struct grok_train_config c = *base, plain = *base;
    char what[32];
    snprintf(what, sizeof what, "%d thread%s", threads, threads > 1 ? "s" : "");

    /* S = 0: the same parameters, bit for bit, as no suppression, over many steps */
    c.suppress = 0;
    struct grok_trainer *a = trainer(&plain, threads, &err), *b = trainer(&c, threads, &err);
    ok(a && b, "%s: trainers with and without --suppress 0 set up", what);
    if (!a || !b)
        return;
    size_t n = grok_trainer_model(a)->n_params;
    for (int s = 0; s < 25; s++) {
        grok_trainer_step(a);
        grok_trainer_step(b);
    }
    ok(memcmp(grok_trainer_params(a), grok_trainer_params(b), n * sizeof(float)) == 0,
       "%s: S = 0 leaves the parameters bit for bit those of no suppression", what);
    struct grok_eval e;
    grok_trainer_eval(b, &e);
    ok(e.n_extra == 2 && strcmp(e.extra_names[0], "suppress_removed") == 0 && e.extra[0] == 0 &&
       e.extra[1] > 0 && e.extra[1] <= 1, "%s: S = 0 reports nothing removed, a share outside (%g)", what,
       e.n_extra == 2 ? e.extra[1] : NAN);
    grok_trainer_free(b);

    /* S = 1 (scope all), S = 0.5 and S = 1 over the covered rows, from the next step on: the
     * gradient the update uses against the one a plain trainer at the same parameters uses */
    double S[3] = {1, 0.5, 1};
    int scope[3] = {0, 0, 1};
    double *g = malloc(n * sizeof *g), *want = malloc(n * sizeof *want);
    for (int k = 0; k < 3; k++) {
        c = *base;
        c.suppress = S[k];
        c.suppress_scope = scope[k];
        c.intervene_from = 26;
        b = trainer(&c, threads, &err);
        struct grok_trainer *ref = trainer(&plain, threads, &err);
        for (int s = 0; s < 26; s++) {
            grok_trainer_step(b);
            grok_trainer_step(ref);
        }
        const float *gb = grok_trainer_grad(b), *gr = grok_trainer_grad(ref);
        /* the plain gradient's part outside B, as the suppression should remove it */
        for (size_t i = 0; i < n; i++)
            g[i] = gr[i];
        double in, all, out_err = 0, max_err = 0;
        for (size_t i = 0; i < n; i++) {
            double p = 0;
            for (size_t j = 0; j < C; j++) {
                double cj = 0;
                if (B[i * C + j] == 0)
                    continue;
                for (size_t r = 0; r < n; r++)
                    cj += B[r * C + j] * g[r];
                p += cj * B[i * C + j];
            }
            double d = g[i] - p;
            want[i] = scope[k] == 1 && !covered(B, C, i) ? g[i] : g[i] - S[k] * d;
            max_err = fmax(max_err, fabs(gb[i] - want[i]));
        }
        split(B, n, C, want, &in, &all);
        for (size_t i = 0; i < n; i++)
            g[i] = gb[i];
        if (S[k] == 1 && scope[k] == 0) {
            double ib, ab;
            split(B, n, C, g, &ib, &ab);
            out_err = sqrt(fmax(ab * ab - ib * ib, 0)) / ab;
            ok(out_err < 1e-3 && ab > 0, "%s: S = 1 leaves no component outside B (|g_perp|/|g| = %.2g)",
               what, out_err);
        }
        ok(max_err <= 1e-6 * all, "%s: S = %g scope %s gives g - S(g - BB^T g) (max error %.2g of |g| %.3g)",
           what, S[k], scope[k] ? "covered" : "all", max_err, all);
        if (scope[k] == 1) {
            int same = 1;
            for (size_t i = 0; i < n; i++)
                if (!covered(B, C, i) && gb[i] != gr[i])
                    same = 0;
            ok(same, "%s: scope covered leaves the other parameters' gradient as it was", what);
        }
        grok_trainer_free(b);
        grok_trainer_free(ref);
    }
    free(g);
    free(want);
    grok_trainer_free(a);
}

/* The parameters of t minus those of ref, in double. */
static void difference(const struct grok_trainer *t, const struct grok_trainer *ref, double *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] = (double)grok_trainer_params(t)[i] - grok_trainer_params(ref)[i];
}

static void check_edits(const struct grok_train_config *base, const double *B, size_t C, int threads)
{
    struct grok_err err;
    struct grok_train_config plain = *base;
    const char *names[3] = {"a commutator kick", "a random kick", "noise"};
    for (int k = 0; k < 3; k++) {
        struct grok_train_config c = *base;
        c.intervene_from = 7;
        if (k < 2) {
            c.kick = 40;
            c.kick_direction = k;
            c.kick_samples = 3;
        } else {
            c.noise = 0.25;
        }
        struct grok_trainer *t = trainer(&c, threads, &err), *ref = trainer(&plain, threads, &err);
        ok(t && ref, "%s set up", names[k]);
        if (!t || !ref)
            continue;
        size_t n = grok_trainer_model(t)->n_params;
        double *d = malloc(n * sizeof *d);
        for (int s = 0; s < 6; s++) {
            grok_trainer_step(t);
            grok_trainer_step(ref);
        }
        difference(t, ref, d, n);
        double in, all;
        split(B, n, C, d, &in, &all);
        ok(all == 0, "%s: nothing moves before --from", names[k]);
        grok_trainer_step(t);
        grok_trainer_step(ref);
        struct grok_eval e;
        grok_trainer_eval(t, &e);
        difference(t, ref, d, n);
        split(B, n, C, d, &in, &all);
        double eps = k < 2 ? e.extra[1] : c.noise;
        double tol = 1e-6 * 10;   /* float parameters near 1 hold 7 digits; the step's sum of many */
        ok(k < 2 ? e.extra[0] == 1 : e.extra[0] == 1, "%s: counted once at step %lld", names[k], e.step);
        ok(eps > 0 && fabs(all - eps) <= tol * fmax(1, eps) * 10,
           "%s moves the parameters by exactly epsilon (|dtheta| %.9g, epsilon %.9g)", names[k], all, eps);
        ok(in <= tol * 10 * eps, "%s is orthogonal to B (|B^T dtheta| = %.2g)", names[k], in);
        if (k == 0)
            ok(isfinite(e.extra[2]) && e.extra[2] > 0, "%s reports the median defect (%g)", names[k], e.extra[2]);
        if (k == 1)
            ok(isnan(e.extra[2]), "%s reports no defect", names[k]);
        free(d);
        grok_trainer_free(t);
        grok_trainer_free(ref);
    }

    /* ALPHA = 0 computes the kick and moves nothing */
    struct grok_train_config c = *base;
    c.kick = 0;
    c.kick_every = 2;
    c.kick_samples = 2;
    struct grok_trainer *t = trainer(&c, threads, &err), *ref = trainer(&plain, threads, &err);
    for (int s = 0; s < 5; s++) {
        grok_trainer_step(t);
        grok_trainer_step(ref);
    }
    size_t n = grok_trainer_model(t)->n_params;
    ok(memcmp(grok_trainer_params(t), grok_trainer_params(ref), n * sizeof(float)) == 0,
       "a kick of ALPHA 0 moves nothing");
    grok_trainer_free(t);
    grok_trainer_free(ref);
}

static void check_refusals(const struct grok_train_config *base)
{
    struct grok_err err;
    struct grok_train_config c = *base;
    struct grok_trainer *t;
    c.suppress = 1;
    snprintf(c.basis, sizeof c.basis, "skewed.h5");
    t = trainer(&c, 1, &err);
    ok(!t && err.code == GROK_EFORMAT && strstr(err.msg, "skewed.h5: /pca/basis is not orthonormal") == err.msg,
       "a basis that is not orthonormal is refused: %s", t ? "(none)" : err.msg);
    grok_trainer_free(t);
    snprintf(c.basis, sizeof c.basis, "nobasis.h5");
    struct grok_run *run = grok_run_create("nobasis.h5", &err);
    grok_run_commit(run, &err);
    grok_run_close(run);
    t = trainer(&c, 1, &err);
    is_str(t ? "" : err.msg, "nobasis.h5: no /pca/basis (run grok-pca on it first)", "a run without a basis is refused");
    grok_trainer_free(t);
    snprintf(c.basis, sizeof c.basis, "missing.h5");
    t = trainer(&c, 1, &err);
    ok(!t && strstr(err.msg, "missing.h5") != NULL, "a basis file that is not there is refused: %s", t ? "" : err.msg);
    grok_trainer_free(t);
}

int main(void)
{
    char dir[] = "/tmp/grok-t-intervene.XXXXXX";
    if (!mkdtemp(dir) || chdir(dir))
        return 1;
    struct grok_train_config c;
    struct grok_err err;
    small_train_config(&c);
    c.clip = 1;
    is_int(grok_config_resolve(&c, &err), GROK_OK, "the test model's config resolves");
    struct grok_model m;
    is_int(grok_model_build(&m, &c.model, &err), GROK_OK, "the test model builds");
    size_t C;
    double *B = make_basis(&m, 2, 1, &C), *skewed = make_basis(&m, 2, 1.5, &C);
    is_int(write_basis("basis.h5", &m, B, C), GROK_OK, "a basis run is written");
    is_int(write_basis("skewed.h5", &m, skewed, C), GROK_OK, "a skewed basis run is written");
    snprintf(c.basis, sizeof c.basis, "basis.h5");
    /* each test sets the intervention it checks; the basis is set once, as resolve wants it */
    check_suppression(&c, B, C, 1);
    check_suppression(&c, B, C, 2);
    /* columns that span W_Q and W_K at once, as grok-pca --joint's do: the rows between them
     * (b_Q) are in no column, and scope covered must leave them alone */
    for (size_t i = 0; i < m.n_params; i++) {
        double a = B[i * C + 0], b = B[i * C + 2];
        B[i * C + 0] = (a + b) / sqrt(2);
        B[i * C + 2] = (a - b) / sqrt(2);
    }
    is_int(write_basis("joint.h5", &m, B, C), GROK_OK, "a basis of columns over two matrices is written");
    snprintf(c.basis, sizeof c.basis, "joint.h5");
    check_suppression(&c, B, C, 1);
    snprintf(c.basis, sizeof c.basis, "basis.h5");
    check_edits(&c, B, C, 1);
    check_edits(&c, B, C, 2);
    c.basis[0] = 0;
    check_refusals(&c);
    grok_model_free(&m);
    free(B);
    free(skewed);
    return done_testing();
}
