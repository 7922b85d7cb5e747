/* Samplers: which training examples each step of the trainer computes its gradient on.
 *
 * A sampler draws a batch from a set of examples with the trainer's generator and hands back
 * the distinct examples of the draw with how often each was drawn, so that a repeated draw costs
 * no second forward and backward pass. The gradient of the batch's mean loss is then
 * scale · Σ count · ∇loss over the distinct examples. Three samplers exist: the full batch,
 * uniform draws with replacement (--batch N), and draws weighted by the tokens (--sampler freq,
 * whose token probabilities a gradient transform keeps and saves: lib/freqsample.c). A new one (frequency-aware, curriculum, ...) is
 * one more constructor filling struct grok_sampler; the trainer calls only grok_sampler_draw.
 *
 * Owns: the batch's gathered tokens, answers and counts (allocated once; a draw allocates
 * nothing). Calls: GSL's generator and the C library. It never writes the run: a sampler with a
 * state of its own beyond the generator will need a /state hook like the gradient transforms'
 * (transform.h). Called by the trainer (train.c, train_step.c). */
#ifndef GROK_SAMPLER_H
#define GROK_SAMPLER_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "grok/err.h"

/* A set of examples: tok (n, n_ctx) token ids, y (n) answers; the caller's, outliving the
 * sampler. */
struct grok_examples {
    const int32_t *tok, *y;
    int n, n_ctx;
};

/* One step's batch: n distinct examples, tok (n, n_ctx) and y (n), count (n) how often each
 * was drawn (NULL: once each), scale = 1 / the number of draws. Valid until the next draw. */
struct grok_batch {
    const int32_t *tok, *y;
    const double *count;
    int n;
    double scale;
};

/* A sampler: draw fills out from the set, drawing from rng (and from nothing else, so that a
 * resumed run draws what an uninterrupted one would); free releases ctx (may be NULL). */
struct grok_sampler {
    const char *name;
    void (*draw)(void *ctx, gsl_rng *rng, struct grok_batch *out);
    void (*free)(void *ctx);
    void *ctx;
};

/* The whole set at every step, in its order; draws nothing from the generator. GROK_ENOMEM
 * with err filled. */
int grok_sampler_full(struct grok_sampler *s, const struct grok_examples *set,
                      struct grok_err *err);

/* `draws` examples drawn uniformly with replacement (gsl_rng_uniform_int, one call per draw,
 * in order), each distinct example once in the order of its first draw, with its count.
 * GROK_ENOMEM with err filled. */
int grok_sampler_uniform(struct grok_sampler *s, const struct grok_examples *set, int draws,
                         struct grok_err *err);

/* The next batch. */
void grok_sampler_draw(struct grok_sampler *s, gsl_rng *rng, struct grok_batch *out);

/* `draws` examples drawn with replacement, example j with probability proportional to the
 * product of token_p over its tokens (P3's frequency-aware sampling: grok-train --sampler freq),
 * token_p being read at each draw (the caller's, d_vocab values, updated between steps): one
 * gsl_rng_uniform per draw and a binary search in the cumulative weights. Otherwise as
 * grok_sampler_uniform. GROK_ENOMEM with err filled. */
int grok_sampler_weighted(struct grok_sampler *s, const struct grok_examples *set, int draws,
                          const double *token_p, struct grok_err *err);

/* Releases what the constructor allocated and zeroes s; s may be NULL or zeroed. */
void grok_sampler_free(struct grok_sampler *s);

#ifdef __cplusplus
}
#endif

#endif
