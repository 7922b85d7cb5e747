/* A minimal TAP producer for the C unit tests (prove reads it).
 * Header-only so that every test is one .c file; each test binary includes it once. */
#ifndef GROK_TAP_H
#define GROK_TAP_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static int tap_ok(int cond, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#include <stdarg.h>
static int tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!cond) {
        tap_failed++;
        printf("#   Failed at %s line %d\n", file, line);
    }
    fflush(stdout);
    return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...) \
    (ok((long long)(got) == (long long)(want), __VA_ARGS__) || \
     (printf("#   got %lld, want %lld\n", (long long)(got), (long long)(want)), 0))
static inline int tap_same_str(const char *got, const char *want)
{
    int same = got && strcmp(got, want) == 0;
    if (!same)
        printf("#   got '%s'\n#  want '%s'\n", got ? got : "(null)", want);
    return same;
}
#define is_str(got, want, ...) ok(tap_same_str((got), (want)), __VA_ARGS__)
#define is_near(got, want, tol, ...) \
    (ok(fabs((double)(got) - (double)(want)) <= (tol), __VA_ARGS__) || \
     (printf("#   got %.17g, want %.17g (tol %g)\n", (double)(got), (double)(want), (double)(tol)), 0))
#define diag(...) (printf("# "), printf(__VA_ARGS__), printf("\n"))

static int done_testing(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
