/* GrokAlign's Jacobian norm (model.h, grok_model_jac_norms and _grad): the norms against the
 * input-gradient oracle (the exact ‖J_x‖_F from d_vocab_out backward passes, the estimate from
 * one), and the gradient of Σ coef_i · norm_i against central finite differences in double over
 * every parameter, for transformers (LayerNorm or not, causal or full, ReLU or GELU, one or two
 * layers, either readout) and MLPs (each activation, each input), with a random projection and
 * exactly; the float passes against the double ones. Then the trainer's transform: the gradient
 * a step adds is λ times that of the batch's mean norm (counts and scale, threads, the target's
 * sign), and its metric is that mean. The loss's Hessian-vector product (grok_model_hvp), made
 * of the same passes with a tangent of the parameters: against differences of the gradient, and
 * a tiny model's whole Hessian column by column. */
#include "tap.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>

#include "grok/config.h"
#include "grok/model.h"
#include "grok/train.h"
#include "grok/train_session.h"
#include "models.h"

#define FD_H 1e-6
#define FD_REL 1e-5
/* the absolute floor, per unit of R: a difference of two values of R loses ~ulp(R)/h to
 * rounding, 2e-10·R here (the gradients it lets through are the attention's b_K, 0 exactly:
 * the softmax does not see it) */
#define FD_ABS_PER_R 1e-9
#define NEX 3   /* examples */

static gsl_rng *rng;


/* One problem: NEX examples, each K rows (its context repeated) with directions v. */
struct problem {
    const struct grok_model *m;
    struct grok_work *w, *tw;
    double *P;
    int32_t tok[NEX * 7 * 4];   /* K ≤ d_vocab_out = 7 rows, n_ctx ≤ 4 */
    double v[NEX * 7 * 7];
    int K;
    double kappa, coef[NEX];
};

/* K = 0: exactly (the identity's rows, kappa 1); K > 0: K random unit directions. */
static void problem_make(struct problem *p, const struct grok_model *m, int K)
{
    int C = m->cfg.d_vocab_out, T = m->cfg.n_ctx;
    p->m = m;
    p->K = K ? K : C;
    p->kappa = K ? (double)C / K : 1;
    int rows = NEX * p->K;
    p->w = work(m, rows, GROK_F64);
    p->tw = work(m, rows, GROK_F64);
    for (int i = 0; i < NEX; i++) {
        int32_t ctx[4];
        for (int t = 0; t < T; t++)
            ctx[t] = (int32_t)gsl_rng_uniform_int(rng, m->cfg.d_vocab);
        for (int k = 0; k < p->K; k++) {
            int r = i * p->K + k;
            for (int t = 0; t < T; t++)
                p->tok[r * T + t] = ctx[t];
            double *v = p->v + (size_t)r * C, s = 0;
            for (int c = 0; c < C; c++) {
                v[c] = K ? gsl_ran_gaussian(rng, 1) : c == k;
                s += v[c] * v[c];
            }
            for (int c = 0; c < C; c++)
                v[c] /= sqrt(s);
        }
        p->coef[i] = 0.5 + i;   /* unequal weights, as the batch's counts give */
    }
}

static void problem_free(struct problem *p)
{
    grok_work_free(p->w);
    grok_work_free(p->tw);
}

static double reg_at(void *c)
{
    struct problem *p = c;
    double norms[NEX], r = 0;
    grok_model_jac_norms_f64(p->m, p->w, p->tw, p->P, p->tok, NEX, p->K, p->v, p->kappa, norms);
    for (int i = 0; i < NEX; i++)
        r += p->coef[i] * norms[i];
    return r;
}

static const char *tensor_at(const struct grok_model *m, size_t k)
{
    for (int i = 0; i < m->n_tensors; i++)
        if (k >= m->tensors[i].offset && k < m->tensors[i].offset + m->tensors[i].size)
            return m->tensors[i].name;
    return "?";
}

static void label_of(char *buf, size_t size, const struct grok_model_config *c, int K)
{
    const char *how = K < 0 ? "the loss" : K ? "one projection" : "exact";
    if (c->arch == GROK_TRANSFORMER)
        snprintf(buf, size, "transformer ctx %d, %d layer(s), norm %d, causal %d, %s, readout %d, %s",
                 c->n_ctx, c->n_layers, c->norm, c->causal, grok_act_name(c->act), c->readout, how);
    else
        snprintf(buf, size, "mlp %s, %d hidden, %s, %s",
                 c->input == GROK_INPUT_EMBED ? "embed" : c->input == GROK_INPUT_ONEHOT ? "onehot" : "raw",
                 c->n_hidden, grok_act_name(c->act), how);
}

/* The norms against the oracle, then every parameter's gradient against differences. */
static void check(const struct grok_model_config *cfg, int K)
{
    char label[200];
    label_of(label, sizeof label, cfg, K);
    struct grok_model m;
    build(&m, cfg);
    int C = cfg->d_vocab_out;
    double *P = malloc(m.n_params * sizeof *P), *G = calloc(m.n_params, sizeof *G);
    random_params(&m, P, rng);
    struct problem p;
    struct fd_result r;
    int tries = cfg->act == GROK_ACT_RELU ? 3 : 1, t = 0;
    do {   /* ReLU: a kink within h of a pre-activation takes a new problem, not a looser bound */
        if (t)
            problem_free(&p);
        problem_make(&p, &m, K);
        p.P = P;
        for (size_t k = 0; k < m.n_params; k++)
            G[k] = 0;
        double norms[NEX];
        grok_model_jac_norms_f64(&m, p.w, p.tw, P, p.tok, NEX, p.K, p.v, p.kappa, norms);
        grok_model_jac_grad_f64(&m, p.w, p.tw, P, G, p.tok, NEX, p.K, p.v, p.kappa, p.coef);
        r = fd_compare(reg_at, &p, P, G, m.n_params, FD_H, FD_REL,
                       FD_ABS_PER_R * fmax(1, reg_at(&p)));
    } while (r.bad && ++t < tries);
    if (!ok(r.bad == 0, "%s: all %zu parameter gradients of the Jacobian norm match finite differences",
            label, m.n_params))
        diag("%zu bad; worst relative error %.3g at %zu (%s), worst absolute %.3g", r.bad,
             r.worst_rel, r.worst_at, tensor_at(&m, r.worst_at), r.worst_abs);

    /* the norms against u = J_xᵀ v from the input gradient, one example at a time */
    double norms[NEX], worst = 0;
    grok_model_jac_norms_f64(&m, p.w, p.tw, P, p.tok, NEX, p.K, p.v, p.kappa, norms);
    struct grok_work *w1 = work(&m, 1, GROK_F64);
    double *x = malloc(m.d_input * sizeof *x), *u = malloc(m.d_input * sizeof *u);
    for (int i = 0; i < NEX; i++) {
        grok_model_input_f64(&m, P, p.tok + (size_t)i * p.K * cfg->n_ctx, 1, x);
        double s = 0;
        for (int k = 0; k < p.K; k++) {
            grok_model_input_grad_f64(&m, w1, P, x, p.v + (size_t)(i * p.K + k) * C, 1, u);
            for (size_t d = 0; d < m.d_input; d++)
                s += u[d] * u[d];
        }
        worst = fmax(worst, fabs(sqrt(p.kappa * s) - norms[i]) / fmax(norms[i], 1e-300));
    }
    ok(worst < 1e-12, "%s: the norms are those of the input gradients (worst relative gap %.2g)",
       label, worst);

    /* float against double */
    float *Pf = malloc(m.n_params * sizeof *Pf), *Gf = calloc(m.n_params, sizeof *Gf);
    float vf[NEX * 7 * 7];
    for (size_t k = 0; k < m.n_params; k++)
        Pf[k] = (float)P[k];
    for (int e = 0; e < NEX * p.K * C; e++)
        vf[e] = (float)p.v[e];
    struct grok_work *wf = work(&m, NEX * p.K, GROK_F32), *twf = work(&m, NEX * p.K, GROK_F32);
    double nf[NEX], gap = 0, gn = 0;
    grok_model_jac_norms(&m, wf, twf, Pf, p.tok, NEX, p.K, vf, p.kappa, nf);
    grok_model_jac_grad(&m, wf, twf, Pf, Gf, p.tok, NEX, p.K, vf, p.kappa, p.coef);
    for (size_t k = 0; k < m.n_params; k++) {
        gap += (Gf[k] - G[k]) * (Gf[k] - G[k]);
        gn += G[k] * G[k];
    }
    ok(sqrt(gap / gn) < 1e-4 && fabs(nf[0] - norms[0]) < 1e-4 * norms[0],
       "%s: float agrees with double (gradient %.2g relative, norm %.2g)", label, sqrt(gap / gn),
       fabs(nf[0] - norms[0]) / norms[0]);

    grok_work_free(wf);
    grok_work_free(twf);
    free(Pf);
    free(Gf);
    free(x);
    free(u);
    grok_work_free(w1);
    problem_free(&p);
    free(P);
    free(G);
    grok_model_free(&m);
}

/* ---- the trainer's transform ---- */

/* The gradient of λ · scale · Σ count · ‖J_x‖_F (exact) over t's last batch at params P. */
static void expected_grad(const struct grok_trainer *t, const double *P, double lambda, double *G,
                          double *mean)
{
    const struct grok_model *m = grok_trainer_model(t);
    const struct grok_batch *b = grok_trainer_batch(t);
    int C = m->cfg.d_vocab_out, T = m->cfg.n_ctx;
    struct grok_work *w = work(m, C, GROK_F64), *tw = work(m, C, GROK_F64);
    int32_t *tok = malloc((size_t)C * T * sizeof *tok);
    double *v = calloc((size_t)C * C, sizeof *v);
    for (int c = 0; c < C; c++)
        v[c * C + c] = 1;
    *mean = 0;
    for (size_t k = 0; k < m->n_params; k++)
        G[k] = 0;
    for (int i = 0; i < b->n; i++) {
        for (int c = 0; c < C; c++)
            memcpy(tok + (size_t)c * T, b->tok + (size_t)i * T, T * sizeof *tok);
        double norm, count = b->count ? b->count[i] : 1, coef = lambda * b->scale * count;
        grok_model_jac_norms_f64(m, w, tw, P, tok, 1, C, v, 1, &norm);
        grok_model_jac_grad_f64(m, w, tw, P, G, tok, 1, C, v, 1, &coef);
        *mean += b->scale * count * norm;
    }
    free(tok);
    free(v);
    grok_work_free(w);
    grok_work_free(tw);
}

/* One step of a trainer of c (clip 0, so grok_trainer_grad is the step's whole gradient). */
static struct grok_trainer *one_step(const struct grok_train_config *c, int threads, double *P0)
{
    struct grok_err err = {0};
    struct grok_trainer *t = grok_trainer_new(c, &err);
    if (!t || (threads > 1 && grok_trainer_set_threads(t, threads, &err)) ||
        grok_train_add_transforms(t, &err)) {
        printf("Bail out! trainer: %s\n", err.msg);
        exit(1);
    }
    const float *p = grok_trainer_params(t);
    for (size_t k = 0; k < grok_trainer_model(t)->n_params; k++)
        P0[k] = p[k];
    grok_trainer_step(t);
    return t;
}

static void test_trainer(int threads, double target, int batch, enum grok_arch arch)
{
    struct grok_train_config c;
    small_train_config(&c);
    c.batch = batch;
    c.clip = 0;
    if (arch == GROK_MLP) {
        c.model.arch = GROK_MLP;
        c.model.input = GROK_INPUT_EMBED;
        c.model.d_embed = 6;
        c.model.n_hidden = 1;
        c.model.hidden[0] = 20;
        c.model.act = GROK_ACT_GELU;
    }
    struct grok_err err = {0};
    if (grok_config_resolve(&c, &err)) {
        printf("Bail out! %s\n", err.msg);
        exit(1);
    }
    struct grok_train_config r = c;
    r.jac_reg = 0.05;
    r.jac_projections = 0;
    r.jac_target = target;
    size_t n = 0;
    {
        struct grok_model m;
        build(&m, &c.model);
        n = m.n_params;
        grok_model_free(&m);
    }
    double *P0 = malloc(n * sizeof *P0), *want = malloc(n * sizeof *want), mean;
    struct grok_trainer *plain = one_step(&c, threads, P0), *reg = one_step(&r, threads, P0);
    expected_grad(reg, P0, r.jac_reg, want, &mean);
    double sign = target < 0 || mean > target ? 1 : -1, gap = 0, norm = 0;
    const float *g1 = grok_trainer_grad(plain), *g2 = grok_trainer_grad(reg);
    for (size_t k = 0; k < n; k++) {
        double d = (double)g2[k] - g1[k] - sign * want[k];
        gap += d * d;
        norm += want[k] * want[k];
    }
    struct grok_eval e;
    grok_trainer_eval(reg, &e);
    double metric = e.n_extra ? e.extra[0] : NAN;
    ok(sqrt(gap / norm) < 2e-4 && fabs(metric - mean) < 1e-5 * mean,
       "%s, %d thread(s), batch %d%s: a step adds %sλ ∇ mean ‖J_x‖_F (gap %.2g relative); jac_norm is "
       "the batch's mean (%.6g, want %.6g)", arch == GROK_MLP ? "mlp" : "transformer", threads, batch,
       target < 0 ? "" : ", a target", sign < 0 ? "−" : "", sqrt(gap / norm), metric, mean);
    grok_trainer_free(plain);
    grok_trainer_free(reg);
    free(P0);
    free(want);
}

/* ---- the loss's Hessian-vector product ---- */

/* Hv against central differences of the gradient along v, in double, over every parameter. */
static void check_hvp(const struct grok_model_config *cfg)
{
    char label[200];
    label_of(label, sizeof label, cfg, -1);
    struct grok_model m;
    build(&m, cfg);
    size_t n = m.n_params;
    enum { B = 4 };
    int32_t tok[B * 4], y[B];
    random_batch(&m, rng, tok, y, B);
    double *P = malloc(n * sizeof *P), *V = malloc(n * sizeof *V), *HV = calloc(n, sizeof *HV);
    double *gp = malloc(n * sizeof *gp), *gm = malloc(n * sizeof *gm);
    random_params(&m, P, rng);
    for (size_t k = 0; k < n; k++)
        V[k] = gsl_ran_gaussian(rng, 1);
    struct grok_work *w = work(&m, B, GROK_F64), *tw = work(&m, B, GROK_F64);
    grok_model_hvp_f64(&m, w, tw, P, V, tok, y, B, 1.0 / B, HV);
    const double h = 1e-5;
    for (size_t k = 0; k < n; k++)
        P[k] += h * V[k];
    grok_model_loss_grad_f64(&m, w, P, gp, tok, y, B, NULL, NULL);
    for (size_t k = 0; k < n; k++)
        P[k] -= 2 * h * V[k];
    grok_model_loss_grad_f64(&m, w, P, gm, tok, y, B, NULL, NULL);
    double gap = 0, norm = 0;
    for (size_t k = 0; k < n; k++) {
        double fd = (gp[k] - gm[k]) / (2 * h);
        gap += (fd - HV[k]) * (fd - HV[k]);
        norm += fd * fd;
    }
    ok(sqrt(gap / norm) < 1e-7, "%s: Hv matches differences of the gradient along v (%.2g relative, %zu parameters)",
       label, sqrt(gap / norm), n);
    grok_work_free(w);
    grok_work_free(tw);
    free(P);
    free(V);
    free(HV);
    free(gp);
    free(gm);
    grok_model_free(&m);
}

/* A tiny model's whole Hessian, column k = H e_k from the product: symmetric, and each column
 * against differences of the gradient along e_k. */
static void check_full_hessian(const struct grok_model_config *cfg, const char *label)
{
    struct grok_model m;
    build(&m, cfg);
    size_t n = m.n_params;
    enum { B = 3 };
    int32_t tok[B * 4], y[B];
    random_batch(&m, rng, tok, y, B);
    double *P = malloc(n * sizeof *P), *H = calloc(n * n, sizeof *H), *e = calloc(n, sizeof *e);
    double *gp = malloc(n * sizeof *gp), *gm = malloc(n * sizeof *gm);
    random_params(&m, P, rng);
    struct grok_work *w = work(&m, B, GROK_F64), *tw = work(&m, B, GROK_F64);
    double asym = 0, worst = 0, big = 0;
    for (size_t k = 0; k < n; k++) {
        e[k] = 1;
        grok_model_hvp_f64(&m, w, tw, P, e, tok, y, B, 1.0 / B, H + k * n);
        e[k] = 0;
        P[k] += 1e-5;
        grok_model_loss_grad_f64(&m, w, P, gp, tok, y, B, NULL, NULL);
        P[k] -= 2e-5;
        grok_model_loss_grad_f64(&m, w, P, gm, tok, y, B, NULL, NULL);
        P[k] += 1e-5;
        for (size_t j = 0; j < n; j++) {
            double fd = (gp[j] - gm[j]) / 2e-5;
            worst = fmax(worst, fabs(fd - H[k * n + j]));
            big = fmax(big, fabs(fd));
        }
    }
    for (size_t k = 0; k < n; k++)
        for (size_t j = 0; j < k; j++)
            asym = fmax(asym, fabs(H[k * n + j] - H[j * n + k]));
    ok(asym < 1e-12 * big && worst < 1e-6 * big,
       "%s: the whole %zu x %zu Hessian, column by column: symmetric to %.2g, the differences' to %.2g (largest entry %.3g)",
       label, n, n, asym, worst, big);
    grok_work_free(w);
    grok_work_free(tw);
    free(P);
    free(H);
    free(e);
    free(gp);
    free(gm);
    grok_model_free(&m);
}

int main(void)
{
    rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 4242);
    for (int K = 0; K <= 1; K++) {
        for (int norm = 0; norm <= 1; norm++)
            for (int causal = 0; causal <= 1; causal++)
                check((struct grok_model_config[]){tf_config(3, 1, norm, causal, GROK_ACT_RELU, 2,
                                                             GROK_LOSS_CE)}, K);
        check((struct grok_model_config[]){tf_config(3, 2, 1, 1, GROK_ACT_GELU, 2, GROK_LOSS_CE)}, K);
        check((struct grok_model_config[]){tf_config(2, 2, 0, 0, GROK_ACT_GELU, 0, GROK_LOSS_CE)}, K);
        check((struct grok_model_config[]){tf_config(4, 1, 1, 0, GROK_ACT_GELU, 1, GROK_LOSS_CE)}, K);
        const enum grok_act acts[] = {GROK_ACT_RELU, GROK_ACT_GELU, GROK_ACT_QUAD};
        for (int a = 0; a < 3; a++)
            for (int h = 1; h <= 2; h++)
                check((struct grok_model_config[]){mlp_config(GROK_INPUT_EMBED, h, acts[a], GROK_LOSS_CE)}, K);
        check((struct grok_model_config[]){mlp_config(GROK_INPUT_ONEHOT, 1, GROK_ACT_GELU, GROK_LOSS_CE)}, K);
    }
    for (int norm = 0; norm <= 1; norm++)
        for (int causal = 0; causal <= 1; causal++)
            check_hvp((struct grok_model_config[]){tf_config(3, 1, norm, causal, GROK_ACT_GELU, 2, GROK_LOSS_CE)});
    check_hvp((struct grok_model_config[]){tf_config(3, 2, 1, 1, GROK_ACT_RELU, 2, GROK_LOSS_CE)});
    check_hvp((struct grok_model_config[]){tf_config(2, 1, 0, 0, GROK_ACT_GELU, 0, GROK_LOSS_MSE)});
    {
        const enum grok_act acts[] = {GROK_ACT_RELU, GROK_ACT_GELU, GROK_ACT_QUAD};
        for (int a = 0; a < 3; a++)
            check_hvp((struct grok_model_config[]){mlp_config(GROK_INPUT_EMBED, 2, acts[a], GROK_LOSS_CE)});
        check_hvp((struct grok_model_config[]){mlp_config(GROK_INPUT_ONEHOT, 1, GROK_ACT_GELU, GROK_LOSS_MSE)});
    }
    {
        struct grok_model_config tiny = mlp_config(GROK_INPUT_EMBED, 1, GROK_ACT_GELU, GROK_LOSS_CE);
        tiny.d_embed = 2;
        tiny.hidden[0] = 4;
        tiny.d_vocab = 4;
        tiny.d_vocab_out = 3;
        check_full_hessian(&tiny, "tiny mlp (embed 2, hidden 4, gelu)");
        struct grok_model_config ttf = tf_config(2, 1, 1, 1, GROK_ACT_GELU, 1, GROK_LOSS_CE);
        ttf.d_model = 4;
        ttf.n_heads = 1;
        ttf.d_head = 2;
        ttf.d_mlp = 4;
        ttf.d_vocab = 3;
        ttf.d_vocab_out = 3;
        check_full_hessian(&ttf, "tiny transformer (d_model 4, LayerNorm, causal)");
    }
    test_trainer(1, -1, 24, GROK_TRANSFORMER);
    test_trainer(2, -1, 24, GROK_TRANSFORMER);
    test_trainer(2, -1, 0, GROK_TRANSFORMER);
    test_trainer(1, 1e6, 24, GROK_TRANSFORMER);
    test_trainer(2, -1, 24, GROK_MLP);
    gsl_rng_free(rng);
    return done_testing();
}
