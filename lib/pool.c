/* Worker threads for data-parallel jobs (include/grok/pool.h). Written by hand rather than with
 * OpenMP: the jobs are a handful of coarse slices whose order of combination must stay fixed,
 * and OpenMP's runtime would add a second thread pool beside OpenBLAS's. */
#include <cblas.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "grok/pool.h"

/* How long a worker waiting for the next job, or the caller waiting for the workers, polls
 * before it sleeps on the condition variable. A training step hands out two or three jobs a few
 * microseconds apart; waking a sleeping thread costs ~50 us on these machines, which was 7% of
 * a 2.5 ms step. Past this the wait is a long one (an evaluation's writes, the end of a run) and
 * sleeping gives the core back. Pools with more threads than cores never poll. */
#define SPIN_NS 200000L

struct grok_pool {
    int n;                          /* workers, the caller included */
    int started;                    /* threads running (n − 1 once set up) */
    int spin;                       /* whether waits poll first (n ≤ cores) */
    pthread_t threads[GROK_POOL_MAX];
    pthread_mutex_t lock;
    pthread_cond_t go;              /* a new job, or quit */
    pthread_cond_t done;            /* the last worker finished the job */
    atomic_long generation;         /* counts the jobs, so a worker sees each once */
    atomic_int pending;             /* threads still running the current job */
    atomic_int quit;
    void (*job)(void *ctx, int i);  /* written before generation moves, read after */
    void *ctx;
};

struct worker {
    struct grok_pool *pool;
    int index;
};

static long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* Polls until done(pool, arg) holds or SPIN_NS pass; whether it holds. */
static int spin_until(struct grok_pool *pool, int (*done)(struct grok_pool *, long), long arg)
{
    if (!pool->spin)
        return done(pool, arg);
    long start = now_ns();
    for (unsigned i = 1;; i++) {
        if (done(pool, arg))
            return 1;
        if (i % 64 == 0) {
            if (now_ns() - start > SPIN_NS)
                return 0;
            /* the thread polled for may be waiting for this core: another process's threads
             * share the cores (runs side by side under make -j), and polling alone would hold
             * the core until the spin or the time slice ran out */
            sched_yield();
        }
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
}

static int job_posted(struct grok_pool *pool, long seen)
{
    return atomic_load_explicit(&pool->generation, memory_order_acquire) != seen ||
           atomic_load_explicit(&pool->quit, memory_order_relaxed);
}

static int job_finished(struct grok_pool *pool, long unused)
{
    (void)unused;
    return atomic_load_explicit(&pool->pending, memory_order_acquire) == 0;
}

static void *worker_main(void *arg)
{
    struct grok_pool *pool = ((struct worker *)arg)->pool;
    int index = ((struct worker *)arg)->index;
    free(arg);
    long seen = 0;
    for (;;) {
        if (!spin_until(pool, job_posted, seen)) {
            pthread_mutex_lock(&pool->lock);
            while (!job_posted(pool, seen))
                pthread_cond_wait(&pool->go, &pool->lock);
            pthread_mutex_unlock(&pool->lock);
        }
        if (atomic_load(&pool->quit))
            break;
        seen = atomic_load_explicit(&pool->generation, memory_order_acquire);
        pool->job(pool->ctx, index);
        if (atomic_fetch_sub_explicit(&pool->pending, 1, memory_order_acq_rel) == 1) {
            /* under the lock, so that a caller between its check and its wait hears it */
            pthread_mutex_lock(&pool->lock);
            pthread_cond_signal(&pool->done);
            pthread_mutex_unlock(&pool->lock);
        }
    }
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
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    pool->spin = cores > 0 && n <= cores;
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
    atomic_store(&pool->quit, 1);
    pthread_cond_broadcast(&pool->go);
    pthread_mutex_unlock(&pool->lock);
    for (int i = 1; i <= pool->started; i++)
        pthread_join(pool->threads[i], NULL);
    pthread_mutex_destroy(&pool->lock);
    pthread_cond_destroy(&pool->go);
    pthread_cond_destroy(&pool->done);
    free(pool);
}

int grok_pool_size(const struct grok_pool *pool) { return pool ? pool->n : 1; }

void grok_pool_run(struct grok_pool *pool, void (*job)(void *ctx, int i), void *ctx)
{
    if (!pool) {
        job(ctx, 0);
        return;
    }
    if (pool->n > 1) {
        pool->job = job;
        pool->ctx = ctx;
        atomic_store_explicit(&pool->pending, pool->n - 1, memory_order_relaxed);
        /* the move of generation publishes job, ctx and pending; it is made under the lock so
         * that a worker about to sleep either sees it or is woken by the broadcast */
        pthread_mutex_lock(&pool->lock);
        atomic_fetch_add_explicit(&pool->generation, 1, memory_order_release);
        pthread_cond_broadcast(&pool->go);
        pthread_mutex_unlock(&pool->lock);
    }
    job(ctx, 0);
    if (pool->n > 1 && !spin_until(pool, job_finished, 0)) {
        pthread_mutex_lock(&pool->lock);
        while (!job_finished(pool, 0))
            pthread_cond_wait(&pool->done, &pool->lock);
        pthread_mutex_unlock(&pool->lock);
    }
}

void grok_pool_share(size_t n, int k, int i, size_t *lo, size_t *hi)
{
    *lo = n * (size_t)i / (size_t)k;
    *hi = n * (size_t)(i + 1) / (size_t)k;
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
