/* intervene-step: the cost of P1's gradient suppression in grok-train's step, side by side in one
 * process: two trainers of the Xu preset, one plain and one with --suppress BASIS:0.5 from the
 * first update, stepped in alternating blocks of BLOCK steps; each step of each is timed, and the
 * medians compared.
 *
 *   intervene-step BASIS STEPS [THREADS]
 *
 * BASIS: a run with /pca/basis over the Xu model (bench/intervene.sh makes one). Prints
 *
 *   plain_median_ms  suppressed_median_ms  ratio
 *
 * Alternating the two in one process puts them under the same load, caches and frequency, which
 * whole-program timings on a shared machine do not. Not installed: a measuring instrument. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "grok/config.h"
#include "grok/fpenv.h"
#include "grok/intervene.h"
#include "grok/train.h"

#define WARMUP 5
#define BLOCK 10

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static struct grok_trainer *xu_trainer(const char *basis, int threads, struct grok_err *err)
{
    struct grok_train_config cfg;
    struct grok_trainer *t = NULL;
    if (grok_config_preset(&cfg, "xu", err))
        return NULL;
    if (basis) {
        snprintf(cfg.basis, sizeof cfg.basis, "%s", basis);
        cfg.suppress = 0.5;
    }
    if (grok_config_resolve(&cfg, err) || !(t = grok_trainer_new(&cfg, err)) ||
        grok_trainer_set_threads(t, threads, err)) {
        grok_trainer_free(t);
        return NULL;
    }
    if (!basis)
        return t;
    if (grok_intervention_add(t, err)) {
        grok_trainer_free(t);
        return NULL;
    }
    return t;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: intervene-step BASIS STEPS [THREADS]\n");
        return 2;
    }
    int steps = atoi(argv[2]), threads = argc > 3 ? atoi(argv[3]) : 1;
    if (steps < BLOCK) {
        fprintf(stderr, "intervene-step: STEPS must be at least %d\n", BLOCK);
        return 2;
    }
    struct grok_err err = {0};
    grok_fpenv_flush_subnormals();
    struct grok_trainer *t[2] = {xu_trainer(NULL, threads, &err), NULL};
    if (t[0])
        t[1] = xu_trainer(argv[1], threads, &err);
    double *ms[2] = {malloc(steps * sizeof(double)), malloc(steps * sizeof(double))};
    if (!t[0] || !t[1] || !ms[0] || !ms[1]) {
        fprintf(stderr, "intervene-step: %s\n", err.msg[0] ? err.msg : "out of memory");
        return 1;
    }
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < WARMUP; i++)
            grok_trainer_step(t[k]);
    for (int at = 0; at + BLOCK <= steps; at += BLOCK)
        for (int k = 0; k < 2; k++)
            for (int i = at; i < at + BLOCK; i++) {
                double t0 = now_ms();
                grok_trainer_step(t[k]);
                ms[k][i] = now_ms() - t0;
            }
    int n = steps / BLOCK * BLOCK;
    double med[2];
    for (int k = 0; k < 2; k++) {
        qsort(ms[k], n, sizeof(double), by_value);
        med[k] = ms[k][n / 2];
        grok_trainer_free(t[k]);
        free(ms[k]);
    }
    printf("%.4f\t%.4f\t%.4f\n", med[0], med[1], med[1] / med[0]);
    return 0;
}
