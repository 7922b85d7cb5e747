/* grok-align --manifold: motion along the zero-loss set (Musat's gradient-orthogonality theorem,
 * P2). At every selected snapshot but the last: J, the Jacobian of all training outputs (n_train
 * examples × d_vocab_out outputs) with respect to all parameters, in double, one backward pass
 * per row (model.h, grok_model_param_vjp); the null space of J by its SVD (manifold.h); and the
 * cosine between the update that followed (the next snapshot minus this one) and the projection
 * of −θ onto that null space, the direction weight decay pulls in along the zero-loss set. The
 * group /manifold or a table, through the analysis driver.
 *
 * Owns: /manifold and its table (lib/manifold_run.c). Calls: manifold, model, config, runmodel,
 * data (a regression's examples), snapshots, the analysis driver, run, tsv. Called by
 * grok-align's main. */
#ifndef GROK_MANIFOLD_RUN_H
#define GROK_MANIFOLD_RUN_H

#ifdef __cplusplus
extern "C" {
#endif

struct grok_analysis_io;

/* The largest J analysed: its entries (128 MiB of doubles) and its shorter side (the SVD's cost
 * grows with its square). A larger model is refused in one line. */
#define GROK_MANIFOLD_MAX_ENTRIES (1LL << 24)
#define GROK_MANIFOLD_MAX_RANK 4096

struct grok_manifold_opts {
    double rank_tol;        /* --rank-tol: singular values above rank_tol · σ₁ count; 0 for
                             * max(rows, params) · ε */
};

/* Runs the analysis on io's input (a run with snapshots of every parameter, at least two
 * selected) and writes /manifold or its table. Returns the program's exit status after one line
 * on standard error when it is not 0. */
int grok_manifold_run(const struct grok_manifold_opts *o, const struct grok_analysis_io *io);

#ifdef __cplusplus
}
#endif

#endif
