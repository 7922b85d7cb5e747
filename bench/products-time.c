/* products-time: milliseconds per training step of a grok-train preset's matrix products alone,
 * run by OpenBLAS at the shapes, strides and on the memory the step uses; for bench/bench.py.
 *
 *   products-time PRESET STEPS [THREADS]
 *
 * The bench's floor prices a step's products at the rate of one large square product. At a
 * thread's share of a small model's products OpenBLAS runs well below that rate, and this is
 * what the products alone cost at the step's own shapes: a floor no reorganisation of the rest
 * of the step can go under while the products stay OpenBLAS's calls.
 *
 * The program sets up training as step-time does (bench_trainer), takes a few warm-up steps,
 * then records every cblas_sgemm, cblas_sgemv and cblas_sger call of one step with the thread
 * that made it and the phase of the step it fell in (the link wraps them and grok_pool_run:
 * -Wl,--wrap=...; a phase is one job of the pool's workers, or the calling thread's work between
 * two jobs). It then replays the recorded calls STEPS times, phase by phase as in the step: each
 * phase's calls of each thread on a worker of its own, all workers at once, the next phase when
 * the slowest is done; the arguments as recorded (the step's own arrays, so the same strides and
 * the same memory). It times each replay and prints one line of tab-separated fields:
 *
 *   preset  median_ms  p25_ms  p75_ms  calls  gflop
 *
 * calls and gflop are those of one step (2 FLOPs per multiply-add). The replay overwrites the
 * trainer's arrays; the trainer is not stepped again. Not installed: a measuring instrument. */
#include <cblas.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "timing.h"
#include "trainer.h"
#include "grok/fpenv.h"
#include "grok/pool.h"

#define WARMUP 5
#define MAX_CALLS 4096

enum kind { GEMM, GEMV, GER };

struct call {
    int phase;
    enum kind kind;
    CBLAS_ORDER order;
    CBLAS_TRANSPOSE ta, tb;
    blasint m, n, k, lda, ldb, ldc, incx, incy;
    float alpha, beta;
    const float *a, *b;
    float *c;
};

struct thread_calls {
    int n;
    struct call call[MAX_CALLS];
};

static struct thread_calls recorded[GROK_POOL_MAX];
static atomic_int recording, threads_seen, overflow;
/* The step's phase: moved by the calling thread alone, before and after each pool job, and read
 * by the workers inside the job (the pool's hand-off orders the two). */
static int phase;
static _Thread_local int thread_slot = -1;

/* The recording list of the calling thread; NULL when not recording or out of room. */
static struct call *next_call(void)
{
    if (!atomic_load(&recording))
        return NULL;
    if (thread_slot < 0)
        thread_slot = atomic_fetch_add(&threads_seen, 1);
    struct thread_calls *list = thread_slot < GROK_POOL_MAX ? &recorded[thread_slot] : NULL;
    if (!list || list->n == MAX_CALLS) {
        atomic_store(&overflow, 1);
        return NULL;
    }
    return &list->call[list->n++];
}

void __real_cblas_sgemm(CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, blasint, blasint, blasint,
                        float, const float *, blasint, const float *, blasint, float, float *,
                        blasint);
void __real_cblas_sgemv(CBLAS_ORDER, CBLAS_TRANSPOSE, blasint, blasint, float, const float *,
                        blasint, const float *, blasint, float, float *, blasint);
void __real_cblas_sger(CBLAS_ORDER, blasint, blasint, float, const float *, blasint, const float *,
                       blasint, float *, blasint);

void __wrap_cblas_sgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint m,
                        blasint n, blasint k, float alpha, const float *a, blasint lda,
                        const float *b, blasint ldb, float beta, float *c, blasint ldc)
{
    struct call *r = next_call();
    if (r)
        *r = (struct call){.phase = phase, .kind = GEMM, .order = order, .ta = ta, .tb = tb,
                           .m = m, .n = n, .k = k, .alpha = alpha, .a = a, .lda = lda, .b = b,
                           .ldb = ldb, .beta = beta, .c = c, .ldc = ldc};
    __real_cblas_sgemm(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void __wrap_cblas_sgemv(CBLAS_ORDER order, CBLAS_TRANSPOSE ta, blasint m, blasint n, float alpha,
                        const float *a, blasint lda, const float *x, blasint incx, float beta,
                        float *y, blasint incy)
{
    struct call *r = next_call();
    if (r)
        *r = (struct call){.phase = phase, .kind = GEMV, .order = order, .ta = ta, .m = m,
                           .n = n, .alpha = alpha, .a = a, .lda = lda, .b = x, .incx = incx,
                           .beta = beta, .c = y, .incy = incy};
    __real_cblas_sgemv(order, ta, m, n, alpha, a, lda, x, incx, beta, y, incy);
}

void __wrap_cblas_sger(CBLAS_ORDER order, blasint m, blasint n, float alpha, const float *x,
                       blasint incx, const float *y, blasint incy, float *a, blasint lda)
{
    struct call *r = next_call();
    if (r)
        *r = (struct call){.phase = phase, .kind = GER, .order = order, .m = m, .n = n,
                           .alpha = alpha, .a = x, .incx = incx, .b = y, .incy = incy, .c = a,
                           .lda = lda};
    __real_cblas_sger(order, m, n, alpha, x, incx, y, incy, a, lda);
}

void __real_grok_pool_run(struct grok_pool *, void (*)(void *, int), void *);

/* The step's pool jobs: each one a phase of its own, and the calling thread's work after it the
 * next. */
void __wrap_grok_pool_run(struct grok_pool *pool, void (*job)(void *ctx, int i), void *ctx)
{
    int on = atomic_load(&recording);
    phase += on;
    __real_grok_pool_run(pool, job, ctx);
    phase += on;
}

/* One replay of one phase: where each thread's list has got to, and the phase. */
struct replay_job {
    int at[GROK_POOL_MAX];
    int phase;
};

static void replay(void *ctx, int i)
{
    struct replay_job *job = ctx;
    const struct thread_calls *list = &recorded[i];
    for (; job->at[i] < list->n && list->call[job->at[i]].phase == job->phase; job->at[i]++) {
        const struct call *r = &list->call[job->at[i]];
        switch (r->kind) {
        case GEMM:
            __real_cblas_sgemm(r->order, r->ta, r->tb, r->m, r->n, r->k, r->alpha, r->a, r->lda,
                               r->b, r->ldb, r->beta, r->c, r->ldc);
            break;
        case GEMV:
            __real_cblas_sgemv(r->order, r->ta, r->m, r->n, r->alpha, r->a, r->lda, r->b, r->incx,
                               r->beta, r->c, r->incy);
            break;
        case GER:
            __real_cblas_sger(r->order, r->m, r->n, r->alpha, r->a, r->incx, r->b, r->incy, r->c,
                              r->lda);
            break;
        }
    }
}

/* The recorded step's products, phase by phase: the phases with calls in them, in order. */
static void replay_step(struct grok_pool *pool, int n_threads)
{
    struct replay_job job = {0};
    for (;;) {
        int next = -1;   /* the earliest phase with a call not yet replayed */
        for (int i = 0; i < n_threads; i++)
            if (job.at[i] < recorded[i].n) {
                int p = recorded[i].call[job.at[i]].phase;
                next = next < 0 || p < next ? p : next;
            }
        if (next < 0)
            return;
        job.phase = next;
        grok_pool_run(pool, replay, &job);
    }
}

static double flops(const struct call *r)
{
    double mn = (double)r->m * r->n;
    return 2 * (r->kind == GEMM ? mn * r->k : mn);
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: products-time PRESET STEPS [THREADS]\n");
        return 2;
    }
    int steps = atoi(argv[2]), threads = argc > 3 ? atoi(argv[3]) : 0;
    if (steps < 1) {
        fprintf(stderr, "products-time: STEPS must be at least 1\n");
        return 2;
    }
    struct grok_err err = {0};
    struct grok_trainer *t = NULL;
    struct grok_pool *pool = NULL;
    double *ms = malloc(steps * sizeof *ms);
    int status = 1;
    grok_fpenv_flush_subnormals();
    if (!ms || !(t = bench_trainer(NULL, argv[1], threads, NULL, 0, &err))) {
        fprintf(stderr, "products-time: %s\n", ms ? err.msg : "out of memory");
        goto out;
    }
    for (int i = 0; i < WARMUP; i++)
        grok_trainer_step(t);
    atomic_store(&recording, 1);
    grok_trainer_step(t);
    atomic_store(&recording, 0);
    int n_threads = atomic_load(&threads_seen);
    if (atomic_load(&overflow) || n_threads == 0) {
        const char *why = n_threads ? "more calls in one step than the recorder holds"
                                    : "no product recorded";
        fprintf(stderr, "products-time: %s\n", why);
        goto out;
    }
    /* the replay's workers: as many as made calls, OpenBLAS as the trainer left it */
    if (n_threads > 1 && !(pool = grok_pool_new(n_threads, &err))) {
        fprintf(stderr, "products-time: %s\n", err.msg);
        goto out;
    }
    int calls = 0;
    double total = 0;
    for (int i = 0; i < n_threads; i++)
        for (int j = 0; j < recorded[i].n; j++, calls++)
            total += flops(&recorded[i].call[j]);
    for (int i = 0; i < WARMUP + steps; i++) {
        double t0 = bench_now_ms();
        replay_step(pool, n_threads);
        if (i >= WARMUP)
            ms[i - WARMUP] = bench_now_ms() - t0;
    }
    qsort(ms, steps, sizeof *ms, bench_by_value);
    printf("%s\t%.4f\t%.4f\t%.4f\t%d\t%.4f\n", argv[1], ms[steps / 2], ms[steps / 4],
           ms[3 * steps / 4], calls, total * 1e-9);
    status = 0;
out:
    grok_pool_free(pool);
    grok_trainer_free(t);
    free(ms);
    return status;
}
