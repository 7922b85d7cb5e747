/* Jacobian and centroid alignment (include/grok/align.h). */
#include "grok/align.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h> /* OpenBLAS provides its symbols; <cblas.h> would clash with GSL's */
#include <gsl/gsl_randist.h>
#include <lapacke.h>

void grok_align_stats(const double *x, const double *mu, size_t d, struct grok_align_point *p)
{
    double xx = 0, mm = 0, xm = 0;
    for (size_t k = 0; k < d; k++) {
        xx += x[k] * x[k];
        mm += mu[k] * mu[k];
        xm += x[k] * mu[k];
    }
    p->dot = xm;
    p->mu_norm = sqrt(mm);
    p->cos = xx > 0 && mm > 0 ? xm / (sqrt(xx) * p->mu_norm) : NAN;
}

static size_t min_dim(int C, size_t d)
{
    return (size_t)C < d ? (size_t)C : d;
}

size_t grok_align_pc1_scratch(int C, size_t d)
{
    size_t k = min_dim(C, d);
    return k * k + 3 * k + 1;      /* the Gram matrix, its eigenvalues, dsyevd's work (2k + 1) */
}

double grok_align_pc1_share(const double *J, int C, size_t d, double *scratch)
{
    size_t k = min_dim(C, d);
    if (k == 0)
        return NAN;
    double *G = scratch, *w = G + k * k, *work = w + k;
    /* Row-major upper triangle = column-major lower triangle, which dsyevd reads below. */
    if ((size_t)C <= d)
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, C, (int)d, 1.0, J, (int)d, 0.0, G,
                    (int)k);
    else
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, C, 1.0, J, (int)d, 0.0, G,
                    (int)k);
    double trace = 0;
    for (size_t i = 0; i < k; i++)
        trace += G[i * k + i];
    if (!(trace > 0))
        return NAN;
    lapack_int iwork[1];
    lapack_int info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'N', 'L', (lapack_int)k, G,
                                          (lapack_int)k, w, work, (lapack_int)(2 * k + 1), iwork, 1);
    if (info != 0)
        return NAN;
    double top = w[k - 1];     /* ascending */
    return (top > 0 ? top : 0) / trace;
}

void grok_align_draw_projections(gsl_rng *rng, int n, int R, int C, double *V)
{
    size_t Cs = (size_t)C;
    for (size_t i = 0; i < (size_t)n; i++) {
        double *set = V + i * (size_t)R * Cs;
        for (int r = 0; r < R; r++) {
            double *v = set + (size_t)r * Cs;
            int b0 = r / C * C;           /* this block's first vector */
            double norm = 0;
            do {
                for (size_t c = 0; c < Cs; c++)
                    v[c] = gsl_ran_gaussian(rng, 1.0);
                for (int pass = 0; pass < 2; pass++)
                    for (int q = b0; q < r; q++) {
                        const double *u = set + (size_t)q * Cs;
                        double dot = 0;
                        for (size_t c = 0; c < Cs; c++)
                            dot += v[c] * u[c];
                        for (size_t c = 0; c < Cs; c++)
                            v[c] -= dot * u[c];
                    }
                norm = 0;
                for (size_t c = 0; c < Cs; c++)
                    norm += v[c] * v[c];
                norm = sqrt(norm);
            } while (!(norm > 1e-8));     /* a draw (almost) inside the span: never, in practice */
            for (size_t c = 0; c < Cs; c++)
                v[c] /= norm;
        }
    }
}

size_t grok_align_batch_scratch(const struct grok_vjp *f, int n, enum grok_jac_mode mode)
{
    size_t N = (size_t)n, C = (size_t)f->C, d = f->d;
    size_t s = N * C + N * d + N;
    if (mode == GROK_JAC_FULL)
        s += N * C * d + grok_align_pc1_scratch(f->C, d);
    return s;
}

void grok_align_batch(const struct grok_vjp *f, int worker, const double *x, int n,
                      enum grok_jac_mode mode, int R, const double *V, double *scratch,
                      struct grok_align_point *out)
{
    size_t N = (size_t)n, C = (size_t)f->C, d = f->d;
    double *u = scratch, *dx = u + N * C, *acc = dx + N * d;
    double *J = acc + N, *pc = J + (mode == GROK_JAC_FULL ? N * C * d : 0);

    for (size_t k = 0; k < N * C; k++)
        u[k] = 1;
    f->vjp(f->ctx, worker, x, u, n, dx);
    for (size_t i = 0; i < N; i++) {
        grok_align_stats(x + i * d, dx + i * d, d, &out[i]);
        acc[i] = 0;
    }

    int passes = mode == GROK_JAC_PROJECT ? R : f->C;
    for (int r = 0; r < passes; r++) {
        if (mode == GROK_JAC_PROJECT) {
            for (size_t i = 0; i < N; i++)
                memcpy(u + i * C, V + (i * (size_t)R + (size_t)r) * C, C * sizeof *u);
        } else {
            memset(u, 0, N * C * sizeof *u);
            for (size_t i = 0; i < N; i++)
                u[i * C + (size_t)r] = 1;
        }
        f->vjp(f->ctx, worker, x, u, n, dx);
        for (size_t i = 0; i < N; i++) {
            const double *row = dx + i * d;
            double s = 0;
            for (size_t k = 0; k < d; k++)
                s += row[k] * row[k];
            acc[i] += s;
            if (mode == GROK_JAC_FULL)
                memcpy(J + (i * C + (size_t)r) * d, row, d * sizeof *row);
        }
    }
    for (size_t i = 0; i < N; i++) {
        out[i].fro = mode == GROK_JAC_PROJECT ? sqrt((double)C / R * acc[i]) : sqrt(acc[i]);
        out[i].pc1 = mode == GROK_JAC_FULL ? grok_align_pc1_share(J + i * C * d, f->C, d, pc) : NAN;
    }
}

/* ---- the model's oracle ------------------------------------------------------------------------ */

void grok_align_model_free(struct grok_align_model *a)
{
    if (!a)
        return;
    grok_workers_free(a->workers, a->nworkers);
    a->workers = NULL;
}

int grok_align_model_init(struct grok_align_model *a, const struct grok_model *model,
                          int max_batch, int nworkers, struct grok_err *err)
{
    *a = (struct grok_align_model){.model = model, .nworkers = nworkers, .max_batch = max_batch};
    struct grok_worker_spec spec = {.n = nworkers, .max_batch = max_batch, .dtype = GROK_F64};
    if (!(a->workers = grok_workers_new(model, &spec, err)) && nworkers > 0)
        return err ? err->code : GROK_ENOMEM;
    return GROK_OK;
}

static void model_vjp(void *ctx, int worker, const double *x, const double *u, int n, double *dx)
{
    struct grok_align_model *a = ctx;
    grok_model_input_grad_f64(a->model, a->workers[worker].work, a->params, x, u, n, dx);
}

struct grok_vjp grok_align_model_oracle(struct grok_align_model *a)
{
    return (struct grok_vjp){.d = a->model->d_input, .C = a->model->cfg.d_vocab_out,
                             .max_batch = a->max_batch, .vjp = model_vjp, .ctx = a};
}
