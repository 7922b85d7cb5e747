/* grok-commute --hessian: the curvature of the training loss per block of parameters at every
 * selected snapshot (P3's comparison of the embedding with the first layer): the top eigenvalues
 * of the Hessian restricted to each block by Lanczos on exact Hessian-vector products (model.h,
 * grok_model_hvp, in double, over the training set split between the workers), and Hutchinson's
 * estimate of its trace; the group /hessian or a table, through the analysis driver.
 *
 * Owns: /hessian and its table (lib/hessian_run.c). Calls: hessian (Lanczos, Hutchinson), model,
 * runmodel, config (globs), snapshots, the analysis driver, pool, run, tsv. Called by
 * grok-commute's main. */
#ifndef GROK_HESSIAN_RUN_H
#define GROK_HESSIAN_RUN_H

#ifdef __cplusplus
extern "C" {
#endif

struct grok_analysis_io;

#define GROK_HESSIAN_BLOCKS 16

struct grok_hessian_opts {
    const char *blocks[GROK_HESSIAN_BLOCKS];   /* --hessian GLOB[,GLOB], each a block */
    int n_blocks;
    int k;                  /* -k: eigenvalues per block */
    int hutchinson;         /* --hutchinson M: samples of the trace; 0 none */
    int batch;              /* --hessian-batch N: a sample of N training pairs; 0 all */
    double tol;             /* --lanczos-tol: relative residual of the k values */
    int max_iter;           /* --lanczos-max: products per block and snapshot */
    long long seed;         /* --seed: the sample, the start vectors, the probes */
    int threads;            /* --threads; 0 every core */
};

/* Runs the Hessian measures on io's input (a run with snapshots of every parameter, trained with
 * the cross-entropy or the squared error) and writes /hessian or its table. Returns the
 * program's exit status after one line on standard error when it is not 0. */
int grok_hessian_run(const struct grok_hessian_opts *o, const struct grok_analysis_io *io);

#ifdef __cplusplus
}
#endif

#endif
