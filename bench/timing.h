/* What the C measuring instruments of bench/ share: a monotonic clock in milliseconds and the
 * comparison qsort needs to take a median. */
#ifndef GROK_BENCH_TIMING_H
#define GROK_BENCH_TIMING_H

#include <time.h>

static inline double bench_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

/* qsort's comparison of doubles, increasing. */
static inline int bench_by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#endif
