/* Jacobian and centroid alignment (P4, GrokAlign; papers.md): how the input-output Jacobian
 * J_x = ∂f/∂x of a network lines up with its inputs x.
 *
 * For a point x (d values) and a function f with C outputs:
 *   centroid       μ_x = J_xᵀ 1 (one vector-Jacobian product with an all-ones output gradient)
 *   alignment      cos(μ_x, x) = ⟨x, μ_x⟩ / (‖x‖ ‖μ_x‖), with ⟨x, μ_x⟩ and ‖μ_x‖ beside it
 *   Frobenius      ‖J_x‖_F, exactly (C products, one per output, with one-hot output gradients)
 *                  or estimated from R random projections (below)
 *   PC1 share      σ₁² / Σ σ_i² of J_x's singular values (the full J_x: C products)
 *
 * The measurement sees f only through a vector-Jacobian oracle, so the same code runs on a model
 * (grok_align_model_oracle) and, in the tests, on a map whose Jacobian is known in closed form.
 * Everything is in double precision. Nothing in it allocates once its scratch is given, and no
 * function of it touches global state (BLAS threads included: a caller that runs these functions
 * on several threads sets OpenBLAS to one thread itself, as grok_align_run does).
 *
 * Owns: the measurement and the model's oracle (lib/align.c). Calls: model, workers, GSL's
 * generators. grok-align's analysis of a run is align_run.h's. */
#ifndef GROK_ALIGN_H
#define GROK_ALIGN_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "grok/err.h"
#include "grok/model.h"
#include "grok/workers.h"

/* A vector-Jacobian oracle: for n points x (n, d) (n ≤ max_batch) and output gradients u (n, C),
 * dx (n, d) receives row by row J_{x_i}ᵀ u_i, each point against its own Jacobian. `worker` names
 * the caller's thread, so that an oracle can keep one workspace per thread. The oracle must give
 * each point's row independently of the other points in the call (a model does: its examples do
 * not interact). */
struct grok_vjp {
    size_t d;          /* input width */
    int C;             /* outputs */
    int max_batch;
    void (*vjp)(void *ctx, int worker, const double *x, const double *u, int n, double *dx);
    void *ctx;
};

/* How ‖J_x‖_F is found (and whether the PC1 share is). */
enum grok_jac_mode {
    GROK_JAC_EXACT,    /* C products with one-hot u: exact; J_x itself is not kept, PC1 = nan */
    GROK_JAC_PROJECT,  /* R products with random unit u: the estimate below; PC1 = nan */
    GROK_JAC_FULL,     /* C products assembled into J_x (C × d): exact, and the PC1 share */
};

/* The numbers of one point. */
struct grok_align_point {
    double cos;        /* cos(μ_x, x); nan when x or μ_x is 0 */
    double dot;        /* ⟨x, μ_x⟩ */
    double mu_norm;    /* ‖μ_x‖ */
    double fro;        /* ‖J_x‖_F (the estimate with GROK_JAC_PROJECT) */
    double pc1;        /* σ₁²/Σσ_i² with GROK_JAC_FULL (nan when J_x = 0); nan otherwise */
};

/* From x and μ_x (d values each): cos, ⟨x, μ_x⟩ and ‖μ_x‖ into p (fro and pc1 untouched).
 * cos is nan when ‖x‖ or ‖μ_x‖ is 0. */
void grok_align_stats(const double *x, const double *mu, size_t d, struct grok_align_point *p);

/* Doubles of scratch that grok_align_pc1_share needs for a C × d matrix. */
size_t grok_align_pc1_scratch(int C, size_t d);

/* σ₁²/Σσ_i² of J (C × d, row-major, not modified): the largest eigenvalue of the smaller Gram
 * matrix (J Jᵀ or Jᵀ J, by BLAS dsyrk; LAPACK dsyevd) over its trace, which is ‖J‖_F². In [1/min(C,d),
 * 1]; nan when J = 0, or when LAPACK fails. scratch: grok_align_pc1_scratch(C, d) doubles. */
double grok_align_pc1_share(const double *J, int C, size_t d, double *scratch);

/* Fills V (n, R, C) with n independent sets of R random unit vectors in R^C drawn from rng: each
 * set is orthonormal in blocks of up to C (Gram–Schmidt, twice, of Gaussian vectors: the first
 * vectors of a uniformly random orthonormal frame). Then for every point
 *   ‖J_x‖_F² ≈ (C/R) Σ_r ‖v_rᵀ J_x‖²
 * is unbiased (E[v vᵀ] = I/C for one random unit vector, and a block of orthonormal ones sums
 * to its size times that), exact when R = C, and with R = 1 it is P4's estimate √(C ‖vᵀJ_x‖²).
 * The square root of an unbiased estimate of ‖J_x‖_F² is biased low for ‖J_x‖_F (Jensen), by a
 * relative amount of the order of the estimate's relative variance / 8, which falls like 1/R. */
void grok_align_draw_projections(gsl_rng *rng, int n, int R, int C, double *V);

/* Doubles of scratch that grok_align_batch needs for n points. */
size_t grok_align_batch_scratch(const struct grok_vjp *f, int n, enum grok_jac_mode mode);

/* The numbers of n points x (n, f->d), n ≤ f->max_batch, into out (n): one oracle call for the
 * centroids, then C calls (GROK_JAC_EXACT, GROK_JAC_FULL) or R calls (GROK_JAC_PROJECT, with V
 * (n, R, C) from grok_align_draw_projections; V is ignored otherwise). A point's numbers depend
 * on its own x (and V rows) only, never on the other points of the batch. scratch:
 * grok_align_batch_scratch(f, n, mode) doubles. Allocates nothing. */
void grok_align_batch(const struct grok_vjp *f, int worker, const double *x, int n,
                      enum grok_jac_mode mode, int R, const double *V, double *scratch,
                      struct grok_align_point *out);

/* The oracle of a model in double at the parameters `params` (n_params doubles, set by the
 * caller before use and changed between uses as it pleases): f(x) is grok_model_logits_f64 of the
 * continuous input x, its products grok_model_input_grad_f64. One workspace per worker. */
struct grok_align_model {
    const struct grok_model *model;
    const double *params;
    int nworkers, max_batch;
    struct grok_worker *workers;   /* (nworkers) activations */
};

/* Sets a up for nworkers threads and batches of up to max_batch points. GROK_ENOMEM on failure
 * (a is then freed). */
int grok_align_model_init(struct grok_align_model *a, const struct grok_model *model,
                          int max_batch, int nworkers, struct grok_err *err);
void grok_align_model_free(struct grok_align_model *a);

/* The grok_vjp over a (d = d_input, C = d_vocab_out). */
struct grok_vjp grok_align_model_oracle(struct grok_align_model *a);

#ifdef __cplusplus
}
#endif

#endif
