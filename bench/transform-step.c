/* transform-step: what grok-train's gradient transforms add to a step, side by side in one
 * process: two trainers of PRESET, one plain and one with the setting flags given (e.g.
 * --suppress basis.h5:0.5, --grokfast ema:0.98:2, --ortho-grad rescale), stepped in
 * alternating blocks of BLOCK steps; each step of each is timed, and the medians compared.
 *
 *   transform-step PRESET STEPS THREADS FLAG VALUE [FLAG VALUE ...]
 *
 * Prints  plain_median_ms  transformed_median_ms  ratio.  The transforms are added as grok-train
 * adds them (grok_train_add_transforms). Alternating the two in one process puts them under the
 * same load, caches and frequency, which whole-program timings on a shared machine do not.
 * Not installed: a measuring instrument. */
#include <stdio.h>
#include <stdlib.h>

#include "timing.h"
#include "trainer.h"
#include "grok/fpenv.h"

#define WARMUP 5
#define BLOCK 10

int main(int argc, char **argv)
{
    if (argc < 6 || (argc - 4) % 2) {
        fprintf(stderr, "usage: transform-step PRESET STEPS THREADS FLAG VALUE [FLAG VALUE ...]\n");
        return 2;
    }
    int steps = atoi(argv[2]), threads = atoi(argv[3]);
    if (steps < BLOCK) {
        fprintf(stderr, "transform-step: STEPS must be at least %d\n", BLOCK);
        return 2;
    }
    struct grok_err err = {0};
    grok_fpenv_flush_subnormals();
    struct grok_trainer *t[2] = {bench_trainer(NULL, argv[1], threads, NULL, 0, &err), NULL};
    if (t[0])
        t[1] = bench_trainer(NULL, argv[1], threads, argv + 4, argc - 4, &err);
    double *ms[2] = {malloc(steps * sizeof(double)), malloc(steps * sizeof(double))};
    if (!t[0] || !t[1] || !ms[0] || !ms[1]) {
        fprintf(stderr, "transform-step: %s\n", err.msg[0] ? err.msg : "out of memory");
        return 1;
    }
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < WARMUP; i++)
            grok_trainer_step(t[k]);
    for (int at = 0; at + BLOCK <= steps; at += BLOCK)
        for (int k = 0; k < 2; k++)
            for (int i = at; i < at + BLOCK; i++) {
                double t0 = bench_now_ms();
                grok_trainer_step(t[k]);
                ms[k][i] = bench_now_ms() - t0;
            }
    int n = steps / BLOCK * BLOCK;
    double med[2];
    for (int k = 0; k < 2; k++) {
        qsort(ms[k], n, sizeof(double), bench_by_value);
        med[k] = ms[k][n / 2];
        grok_trainer_free(t[k]);
        free(ms[k]);
    }
    printf("%.4f\t%.4f\t%.4f\n", med[0], med[1], med[1] / med[0]);
    return 0;
}
