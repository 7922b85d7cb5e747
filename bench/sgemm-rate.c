/* sgemm-rate: the machine's single-precision matrix-product rate through OpenBLAS, the library
 * grok-train calls, for bench/bench.py's arithmetic floor.
 *
 *   sgemm-rate [THREADS [N]]
 *
 * Times C = A·B for N×N matrices (default 1024) for about a second and prints the median
 * rate in GFLOP/s (2·N³ per product) on one line. THREADS 0 (the default) keeps OpenBLAS's own
 * default, all cores. Not installed: a measuring instrument. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cblas.h>

#define MAX_REPS 4096

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 0, n = argc > 2 ? atoi(argv[2]) : 1024;
    if (n < 16 || n > 8192) {
        fprintf(stderr, "sgemm-rate: N must be in 16..8192\n");
        return 2;
    }
    if (threads > 0)
        openblas_set_num_threads(threads);
    size_t nn = (size_t)n * n;
    float *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b), *c = malloc(nn * sizeof *c);
    static double secs[MAX_REPS];
    if (!a || !b || !c) {
        fprintf(stderr, "sgemm-rate: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < nn; i++) {
        a[i] = (float)(i % 7) - 3;
        b[i] = (float)(i % 5) - 2;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
    int reps = 0;
    double start = now_s();
    while (reps < MAX_REPS && now_s() - start < 1.0) {
        double t0 = now_s();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
        secs[reps++] = now_s() - t0;
    }
    qsort(secs, reps, sizeof *secs, by_value);
    printf("%.2f\n", 2.0 * n * n * n / secs[reps / 2] / 1e9);
    free(a);
    free(b);
    free(c);
    return 0;
}
