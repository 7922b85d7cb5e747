/* Worker threads for data-parallel jobs (include/grok/pool.h). Written by hand rather than with
 * OpenMP: the jobs are a handful of coarse slices whose order of combination must stay fixed,
 * and OpenMP's runtime would add a second thread pool beside OpenBLAS's. */
#include <cblas.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "grok/pool.h"

struct grok_pool {
    int n;                          /* workers, the caller included */
    int started;                    /* threads running (n − 1 once set up) */
    pthread_t threads[GROK_POOL_MAX];
    pthread_mutex_t lock;
    pthread_cond_t go;              /* a new job, or quit */
    pthread_cond_t done;            /* the last worker finished the job */
    long generation;                /* counts the jobs, so a worker sees each once */
    int pending;                    /* threads still running the current job */
    int quit;
    void (*job)(void *ctx, int i);
    void *ctx;
};

struct worker {
    struct grok_pool *pool;
    int index;
};

static void *worker_main(void *arg)
{
    struct grok_pool *pool = ((struct worker *)arg)->pool;
    int index = ((struct worker *)arg)->index;
    free(arg);
    long seen = 0;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (pool->generation == seen && !pool->quit)
            pthread_cond_wait(&pool->go, &pool->lock);
        if (pool->quit)
            break;
        seen = pool->generation;
        void (*job)(void *, int) = pool->job;
        void *ctx = pool->ctx;
        pthread_mutex_unlock(&pool->lock);
        job(ctx, index);
        pthread_mutex_lock(&pool->lock);
        if (--pool->pending == 0)
            pthread_cond_signal(&pool->done);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

struct grok_pool *grok_pool_new(int n, struct grok_err *err)
{
    if (n < 1 || n > GROK_POOL_MAX) {
        grok_err_set(err, GROK_EINVAL, "a pool needs 1 to %d workers, not %d", GROK_POOL_MAX, n);
        return NULL;
    }
    struct grok_pool *pool = calloc(1, sizeof *pool);
    if (!pool) {
        grok_err_set(err, GROK_ENOMEM, "out of memory");
        return NULL;
    }
    pool->n = n;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->go, NULL);
    pthread_cond_init(&pool->done, NULL);
    for (int i = 1; i < n; i++) {
        struct worker *w = malloc(sizeof *w);
        if (w) {
            w->pool = pool;
            w->index = i;
        }
        if (!w || pthread_create(&pool->threads[i], NULL, worker_main, w) != 0) {
            free(w);
            grok_pool_free(pool);
            grok_err_set(err, GROK_ENOMEM, "cannot start worker thread %d of %d", i, n - 1);
            return NULL;
        }
        pool->started++;
    }
    return pool;
}

void grok_pool_free(struct grok_pool *pool)
{
    if (!pool)
        return;
    pthread_mutex_lock(&pool->lock);
    pool->quit = 1;
    pthread_cond_broadcast(&pool->go);
    pthread_mutex_unlock(&pool->lock);
    for (int i = 1; i <= pool->started; i++)
        pthread_join(pool->threads[i], NULL);
    pthread_mutex_destroy(&pool->lock);
    pthread_cond_destroy(&pool->go);
    pthread_cond_destroy(&pool->done);
    free(pool);
}

int grok_pool_size(const struct grok_pool *pool) { return pool->n; }

void grok_pool_run(struct grok_pool *pool, void (*job)(void *ctx, int i), void *ctx)
{
    if (pool->n > 1) {
        pthread_mutex_lock(&pool->lock);
        pool->job = job;
        pool->ctx = ctx;
        pool->pending = pool->n - 1;
        pool->generation++;
        pthread_cond_broadcast(&pool->go);
        pthread_mutex_unlock(&pool->lock);
    }
    job(ctx, 0);
    if (pool->n > 1) {
        pthread_mutex_lock(&pool->lock);
        while (pool->pending > 0)
            pthread_cond_wait(&pool->done, &pool->lock);
        pthread_mutex_unlock(&pool->lock);
    }
}

int grok_threads(int asked)
{
    if (asked > 0)
        return asked;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores > 0 ? (int)cores : 1;
}

void grok_blas_threads(int n)
{
    openblas_set_num_threads(n);
}
