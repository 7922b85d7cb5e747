/* Commutator defects and the model's gradient oracle (include/grok/commute.h). */
#include "grok/commute.h"

#include <gsl/gsl_cblas.h> /* OpenBLAS provides its symbols; <cblas.h> would clash with it here */
#include <math.h>
#include <stdlib.h>
#include <string.h>

double grok_commute_defect(const struct grok_gradient *f, int worker, const double *theta,
                           double eta, int a, int b, double *scratch, double *delta,
                           double *step_a, double *step_b)
{
    size_t n = f->n;
    double *ga = scratch, *gb = scratch + n, *moved = scratch + 2 * n, *g = scratch + 3 * n;
    double na = 0, nb = 0, nd = 0;
    f->grad(f->ctx, worker, a, theta, ga);
    f->grad(f->ctx, worker, b, theta, gb);
    /* delta accumulates g_A(θ − η g_B) − g_A(θ), then subtracts g_B(θ − η g_A) − g_B(θ). */
    for (size_t i = 0; i < n; i++)
        moved[i] = theta[i] - eta * gb[i];
    f->grad(f->ctx, worker, a, moved, g);
    for (size_t i = 0; i < n; i++)
        delta[i] = g[i] - ga[i];
    for (size_t i = 0; i < n; i++)
        moved[i] = theta[i] - eta * ga[i];
    f->grad(f->ctx, worker, b, moved, g);
    for (size_t i = 0; i < n; i++) {
        delta[i] = eta * (delta[i] - (g[i] - gb[i]));
        na += ga[i] * ga[i];
        nb += gb[i] * gb[i];
        nd += delta[i] * delta[i];
    }
    *step_a = eta * sqrt(na);
    *step_b = eta * sqrt(nb);
    return *step_a > 0 && *step_b > 0 ? sqrt(nd) / (*step_a * *step_b) : 0;
}

double grok_subspace_part_in(const double *B, size_t n, size_t ld, size_t C, const double *v,
                             double *coef)
{
    double s = 0;
    for (size_t c = 0; c < C; c++)
        coef[c] = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < C; c++)
            coef[c] += B[i * ld + c] * v[i];
    for (size_t c = 0; c < C; c++)
        s += coef[c] * coef[c];
    return sqrt(s);
}

void grok_subspace_split(const double *B, size_t n, size_t C, const double *v, double *coef,
                         double *in, double *out)
{
    double sout = 0;
    *in = grok_subspace_part_in(B, n, C, C, v, coef);
    for (size_t i = 0; i < n; i++) {
        double r = v[i];
        for (size_t c = 0; c < C; c++)
            r -= B[i * C + c] * coef[c];
        sout += r * r;
    }
    *out = sqrt(sout);
}

int grok_orthonormality_error(const double *B, size_t n, size_t C, double *error,
                              struct grok_err *err)
{
    double *G = malloc((C ? C : 1) * (C ? C : 1) * sizeof *G);
    if (!G)
        return grok_err_set(err, GROK_ENOMEM, "out of memory for a %zu x %zu product", C, C);
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)C, (int)n, 1.0, B, (int)C, 0.0, G,
                (int)C);
    double e = 0;
    for (size_t a = 0; a < C; a++)
        for (size_t b = a; b < C; b++)
            e = fmax(e, fabs(G[a * C + b] - (a == b)));
    free(G);
    *error = e;
    return GROK_OK;
}

void grok_model_gradient_free(struct grok_model_gradient *g)
{
    if (!g)
        return;
    grok_workers_free(g->workers, g->nworkers);
    memset(g, 0, sizeof *g);
}

int grok_model_gradient_init(struct grok_model_gradient *g, const struct grok_model *model,
                             const int32_t *tokens, const int32_t *y, int batch, int use_float,
                             int nworkers, struct grok_err *err)
{
    *g = (struct grok_model_gradient){.model = model, .tokens = tokens, .y = y, .batch = batch,
                                      .use_float = use_float, .nworkers = nworkers};
    /* the float path converts θ into a float copy and its gradient back, per worker */
    struct grok_worker_spec spec = {
        .n = nworkers, .max_batch = batch, .dtype = use_float ? GROK_F32 : GROK_F64,
        .parts = GROK_WORKER_BATCH | (use_float ? GROK_WORKER_PARAMS | GROK_WORKER_GRAD : 0)};
    if (!(g->workers = grok_workers_new(model, &spec, err)) && nworkers > 0) {
        g->nworkers = 0;
        return err ? err->code : GROK_ENOMEM;
    }
    return GROK_OK;
}

static void model_grad(void *ctx, int worker, int batch, const double *theta, double *grad)
{
    struct grok_model_gradient *g = ctx;
    const struct grok_model *m = g->model;
    size_t nctx = (size_t)m->cfg.n_ctx, np = m->n_params;
    const int *idx = g->batches + (size_t)batch * (size_t)g->batch;
    struct grok_worker *k = &g->workers[worker];
    int32_t *tok = k->tok, *y = k->y;
    for (int i = 0; i < g->batch; i++) {
        memcpy(tok + (size_t)i * nctx, g->tokens + (size_t)idx[i] * nctx, nctx * sizeof *tok);
        y[i] = g->y[idx[i]];
    }
    if (!g->use_float) {
        grok_model_loss_grad_f64(m, k->work, theta, grad, tok, y, g->batch, NULL, NULL);
        return;
    }
    float *p = k->params, *fg = k->grad;
    for (size_t i = 0; i < np; i++)
        p[i] = (float)theta[i];
    grok_model_loss_grad(m, k->work, p, fg, tok, y, g->batch, NULL, NULL);
    for (size_t i = 0; i < np; i++)
        grad[i] = fg[i];
}

struct grok_gradient grok_model_gradient_oracle(struct grok_model_gradient *g)
{
    return (struct grok_gradient){.n = g->model->n_params, .grad = model_grad, .ctx = g};
}
