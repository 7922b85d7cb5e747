/* A fixed set of worker threads that run one job at a time: the training step's slices of a
 * batch, an evaluation's slices of a chunk. The threads start once, with the pool, and wait on a
 * condition variable between jobs, so a job allocates nothing and starts no thread.
 *
 * Owns: the threads, their mutex and condition variables, the choice of a thread count, and
 * OpenBLAS's own thread count (grok_blas_threads). Calls: pthreads and OpenBLAS only. Called by
 * the model's passes, the trainer's batch loss and step, the analysis driver and the analyses
 * that run workers (align_run, commute_run). */
#ifndef GROK_POOL_H
#define GROK_POOL_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#include "grok/err.h"

#define GROK_POOL_MAX 64   /* workers, the calling thread included */

struct grok_pool;

/* A pool of n workers (1 .. GROK_POOL_MAX): the calling thread and n − 1 threads of its own.
 * NULL with err filled when a thread cannot be started or memory runs out. */
struct grok_pool *grok_pool_new(int n, struct grok_err *err);

/* Stops and joins the threads; pool may be NULL. */
void grok_pool_free(struct grok_pool *pool);

/* The number of workers; 1 for no pool (NULL). */
int grok_pool_size(const struct grok_pool *pool);

/* The threads a --threads N flag asks for: N, or every online core when N ≤ 0 (at least 1). */
int grok_threads(int asked);

/* Sets how many threads OpenBLAS itself uses: 1 when the caller's own threads each make their
 * BLAS calls (a pool's workers), so that BLAS neither oversubscribes the cores nor changes the
 * order of a sum with the number of threads. */
void grok_blas_threads(int n);

/* Part i of k equal parts of n things: lo .. hi−1. The slices of a batch, the shares of a
 * parameter vector and the column blocks of a layer split between workers are cut this way. */
void grok_pool_share(size_t n, int k, int i, size_t *lo, size_t *hi);

/* Runs job(ctx, i) for every worker i = 0 .. n − 1 at once, i = 0 on the calling thread, and
 * returns when all are done. The jobs must write disjoint memory. Without a pool (NULL) it runs
 * job(ctx, 0) alone, on the calling thread. */
void grok_pool_run(struct grok_pool *pool, void (*job)(void *ctx, int i), void *ctx);

#ifdef __cplusplus
}
#endif

#endif
