/* step-time: milliseconds per training step of a grok-train preset, for bench/bench.py.
 *
 *   step-time PRESET STEPS [THREADS]
 *
 * Sets up training exactly as grok-train does (bench_trainer, trainer.h), takes a few warm-up
 * steps, then times STEPS calls of grok_trainer_step one by one: the minibatch draw, forward,
 * backward, clipping and the optimiser update. It prints one line of tab-separated fields:
 *
 *   preset  median_ms  p25_ms  p75_ms  n_params  work_bytes  data_bytes
 *
 * work_bytes is the activation workspace of the first thread (a batch, or an evaluation chunk
 * when that is larger); data_bytes the pairs, labels and context tokens of both sets. THREADS
 * (default 0: every core) goes to grok_trainer_set_threads as grok-train's --threads does, and
 * subnormals are flushed to zero as grok-train flushes them.
 * Not installed, not a program of the toolkit: a measuring instrument. */
#include <stdio.h>
#include <stdlib.h>

#include "timing.h"
#include "trainer.h"
#include "grok/fpenv.h"

#define WARMUP 5

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: step-time PRESET STEPS [THREADS]\n");
        return 2;
    }
    int steps = atoi(argv[2]), threads = argc > 3 ? atoi(argv[3]) : 0;
    if (steps < 1) {
        fprintf(stderr, "step-time: STEPS must be at least 1\n");
        return 2;
    }
    struct grok_train_config cfg;
    struct grok_err err = {0};
    struct grok_trainer *t = NULL;
    double *ms = malloc(steps * sizeof *ms);
    grok_fpenv_flush_subnormals();   /* as grok-train, before the workers start */
    if (!ms || !(t = bench_trainer(&cfg, argv[1], threads, NULL, 0, &err))) {
        fprintf(stderr, "step-time: %s\n", ms ? err.msg : "out of memory");
        grok_trainer_free(t);
        free(ms);
        return 1;
    }
    for (int i = 0; i < WARMUP; i++)
        grok_trainer_step(t);
    for (int i = 0; i < steps; i++) {
        double t0 = bench_now_ms();
        grok_trainer_step(t);
        ms[i] = bench_now_ms() - t0;
    }
    qsort(ms, steps, sizeof *ms, bench_by_value);
    const struct grok_dataset *d = grok_trainer_data(t);
    size_t pairs = (size_t)d->n_train + d->n_test;
    size_t data_bytes = pairs * (2 + 1 + cfg.model.n_ctx) * sizeof(int32_t);
    printf("%s\t%.4f\t%.4f\t%.4f\t%zu\t%zu\t%zu\n", argv[1], ms[steps / 2], ms[steps / 4],
           ms[3 * steps / 4], grok_trainer_model(t)->n_params, grok_trainer_work_bytes(t), data_bytes);
    grok_trainer_free(t);
    free(ms);
    return 0;
}
