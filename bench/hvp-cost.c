/* hvp-cost: what one Hessian-vector product (grok_model_hvp, grok-commute --hessian) costs in
 * gradient evaluations, side by side in one process: the model of PRESET at its initialisation,
 * EXAMPLES random examples, in double on one thread, the gradient (grok_model_loss_grad_f64) and
 * the product alternated ROUNDS times.
 *
 *   hvp-cost PRESET [EXAMPLES [ROUNDS]]
 *
 * Prints  preset  gradient_median_ms  product_median_ms  ratio.
 * Not installed: a measuring instrument. */
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_rng.h>

#include "timing.h"
#include "grok/config.h"
#include "grok/model.h"
#include "grok/pool.h"

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: hvp-cost PRESET [EXAMPLES [ROUNDS]]\n");
        return 2;
    }
    int n = argc > 2 ? atoi(argv[2]) : 512, rounds = argc > 3 ? atoi(argv[3]) : 7;
    struct grok_train_config c;
    struct grok_model m = {0};
    struct grok_err err;
    if (n < 1 || rounds < 1 || grok_config_preset(&c, argv[1], &err) || grok_config_resolve(&c, &err) ||
        grok_model_build(&m, &c.model, &err)) {
        fprintf(stderr, "hvp-cost: %s\n", n < 1 || rounds < 1 ? "EXAMPLES and ROUNDS must be at least 1" : err.msg);
        return 1;
    }
    grok_blas_threads(1);
    size_t np = m.n_params;
    int T = m.cfg.n_ctx;
    double *P = malloc(np * sizeof *P), *G = malloc(np * sizeof *G), *V = malloc(np * sizeof *V);
    double *HV = malloc(np * sizeof *HV), *tg = malloc((size_t)rounds * sizeof *tg),
           *th = malloc((size_t)rounds * sizeof *th);
    float *Pf = malloc(np * sizeof *Pf);
    int32_t *tok = malloc((size_t)n * T * sizeof *tok), *y = malloc((size_t)n * sizeof *y);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    struct grok_work *w = grok_work_new(&m, n, GROK_F64, &err), *tw = grok_work_new(&m, n, GROK_F64, &err);
    if (!P || !G || !V || !HV || !tg || !th || !Pf || !tok || !y || !rng || !w || !tw) {
        fprintf(stderr, "hvp-cost: out of memory\n");
        return 1;
    }
    grok_model_init(&m, Pf, c.init, c.init_scale, rng);
    for (size_t i = 0; i < np; i++) {
        P[i] = Pf[i];
        V[i] = gsl_rng_uniform(rng) - 0.5;
        HV[i] = 0;
    }
    for (int i = 0; i < n * T; i++)
        tok[i] = (int32_t)gsl_rng_uniform_int(rng, (unsigned long)m.cfg.d_vocab);
    for (int i = 0; i < n; i++)
        y[i] = (int32_t)gsl_rng_uniform_int(rng, (unsigned long)m.cfg.d_vocab_out);
    for (int r = 0; r < rounds; r++) {
        double t0 = bench_now_ms();
        grok_model_loss_grad_f64(&m, w, P, G, tok, y, n, NULL, NULL);
        double t1 = bench_now_ms();
        grok_model_hvp_f64(&m, w, tw, P, V, tok, y, n, 1.0 / n, HV);
        tg[r] = t1 - t0;
        th[r] = bench_now_ms() - t1;
    }
    qsort(tg, (size_t)rounds, sizeof *tg, bench_by_value);
    qsort(th, (size_t)rounds, sizeof *th, bench_by_value);
    printf("%s\t%.3f\t%.3f\t%.3f\n", argv[1], tg[rounds / 2], th[rounds / 2], th[rounds / 2] / tg[rounds / 2]);
    return 0;
}
