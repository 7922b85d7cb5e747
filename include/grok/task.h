/* Modular arithmetic tasks: the operation, its operand ranges, the train/test split and the
 * token layout of the model's context.
 *
 * Token ids: the numbers 0..p−1 are their own tokens; "=" is token p; the operation symbol
 * (context "aob=" only) is token p+1. So d_vocab is p+1 for "ab=", p for "ab", p+2 for "aob=";
 * the model always predicts one of the p residues (d_vocab_out = p).
 *
 * Owns: the operations, the split of the pairs into training and test sets, the context layouts.
 * Calls: names, GSL's generators (the split's draws). Called by: config, runmodel, the trainer
 * (train, train_session) and grok-fourier's analysis (the vocabulary's sizes). */
#ifndef GROK_TASK_H
#define GROK_TASK_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "grok/err.h"

enum grok_op {
    GROK_OP_ADD,     /* a + b          a, b ∈ 0..p−1 */
    GROK_OP_SUB,     /* a − b          a, b ∈ 0..p−1 */
    GROK_OP_MUL,     /* a · b          a, b ∈ 1..p−1 (0 makes every product 0) */
    GROK_OP_DIV,     /* a · b⁻¹        a, b ∈ 1..p−1, p prime (b⁻¹ the true modular inverse) */
    GROK_OP_X2Y2,    /* a² + b²        a, b ∈ 0..p−1 */
    GROK_OP_X2XYY2,  /* a² + ab + b²   a, b ∈ 0..p−1 */
    GROK_OP_X3XY,    /* a³ + ab        a, b ∈ 0..p−1 */
    GROK_OP_RAND,    /* a fixed random residue per pair (a hash of p, a, b): the same table for
                      * every run with this p; a, b ∈ 0..p−1 */
};

enum grok_ctx {
    GROK_CTX_AB_EQ,  /* "ab=":  [a, b, =]      (Nanda) */
    GROK_CTX_AB,     /* "ab":   [a, b]         (Xu) */
    GROK_CTX_AOB_EQ, /* "aob=": [a, op, b, =]  (AlQuabeh) */
};

enum grok_split {
    GROK_SPLIT_RANDOM,   /* a random subset of round(frac · N) pairs */
    GROK_SPLIT_UNIFORM,  /* every operand value occurs equally often as a and as b in training */
    GROK_SPLIT_SKEWED,   /* operand values of Zipf-like unequal frequency (grok_dataset_make) */
};

/* How a dataset is split (grok-train's --frac, --test-frac, --split and its skew). */
struct grok_split_spec {
    double frac;             /* training pairs: round(frac · N), 0 < frac < 1 */
    double test_frac;        /* test pairs: round(test_frac · N) held out first; 0: all the rest */
    enum grok_split split;
    double skew;             /* the skewed split's exponent S ≥ 0 */
    int unordered;           /* 1: only the pairs a ≤ b (a symmetric op; not the uniform split) */
};

#define GROK_P_MAX 2048   /* largest modulus: p² pairs must fit comfortably in memory */

/* Name <-> enum; the _parse functions return -1 for an unknown name. */
const char *grok_op_name(enum grok_op op);
int grok_op_parse(const char *name);
const char *grok_ctx_name(enum grok_ctx ctx);
int grok_ctx_parse(const char *name);
const char *grok_split_name(enum grok_split split);
int grok_split_parse(const char *name);

/* Checks that (op, p) is a task: 2 ≤ p ≤ GROK_P_MAX, p prime for div. Returns GROK_OK or
 * GROK_EINVAL with a message naming p as `what` says, grok-train's flag ("--p") or a stored
 * attribute ("/config@p"): "--p 96: div needs a prime modulus ...". */
int grok_task_check(enum grok_op op, int p, const char *what, struct grok_err *err);

/* Whether a ∘ b = b ∘ a for every pair: add, mul, x2y2, x2xyy2 (what --pairs unordered needs). */
int grok_task_symmetric(enum grok_op op);

/* The answer (a ∘ b) mod p, for operands in the op's range; -1 outside it. */
int grok_task_answer(enum grok_op op, int p, int a, int b);

/* The smallest and largest operand value. Both operands share the range, div's a included
 * (0 / b is defined): a square range is what lets the uniform split give every value of either
 * operand the same count, and div stays the group operation of the non-zero residues, as mul. */
void grok_task_range(enum grok_op op, int p, int *lo, int *hi);

/* Context length and vocabulary size of a layout for modulus p. */
int grok_ctx_len(enum grok_ctx ctx);
int grok_ctx_vocab(enum grok_ctx ctx, int p);

/* Writes the n_ctx tokens of each of n pairs ab (n,2) into tokens (n, n_ctx). */
void grok_ctx_tokens(enum grok_ctx ctx, int p, const int32_t *ab, int n, int32_t *tokens);

/* A split of all pairs of the op's range into train and test. */
struct grok_dataset {
    int p;
    enum grok_op op;
    int n_train, n_test;
    int32_t *train_ab;   /* (n_train, 2) operands a, b */
    int32_t *train_y;    /* (n_train) answers */
    int32_t *test_ab;    /* (n_test, 2) */
    int32_t *test_y;     /* (n_test) */
};

/* Splits the N pairs of the op's range as s says: a fraction frac (0 < frac < 1) goes to
 * training, the rest to test; or, with test_frac > 0, round(test_frac · N) pairs drawn at random
 * are the test set, drawn first, and the training pairs come from the others (P3's fixed test
 * set; frac + test_frac ≤ 1). Both sets get at least one pair or the call fails with
 * GROK_EINVAL. rng (seeded with the data seed, used for nothing else) decides which pairs.
 * Training pairs are in the order the split draws them; test pairs in increasing (a, b).
 * Uniform: each operand value appears m = round(frac · n) times as a and m times as b (n values
 * in the range), so the training fraction is m/n (not with test_frac). Skewed: the n values are
 * ranked in a random order, the value of rank r (1 .. n) weighs r^−skew (Zipf's law), a pair
 * the product of its operands' weights, and the training pairs are drawn without replacement
 * with probabilities proportional to their weights (Efraimidis and Spirakis's keys u^(1/w)).
 * Returns GROK_OK, GROK_EINVAL or GROK_ENOMEM. */
int grok_dataset_make(struct grok_dataset *ds, enum grok_op op, int p,
                      const struct grok_split_spec *s, gsl_rng *rng, struct grok_err *err);

/* How often each operand value 0 .. p−1 occurs in the training pairs: counts (2, p), row 0 as
 * a, row 1 as b. */
void grok_dataset_counts(const struct grok_dataset *ds, long long *counts);

/* Frees the arrays of ds (which may be NULL or zeroed). */
void grok_dataset_free(struct grok_dataset *ds);

/* Musat's regression toys (grok-train --task regress-sum:N): ŷ should be the sum of N inputs.
 * One training example, x = (1, ..., 1) with target N; GROK_REGRESS_TEST test examples x drawn
 * from N(0, I), target Σ x. */
#define GROK_REGRESS_MAX_INPUTS 64
#define GROK_REGRESS_TEST 100

struct grok_regress_set {
    int n_inputs, n_train, n_test;
    float *train_x;   /* (n_train, n_inputs) */
    float *train_y;   /* (n_train) */
    float *test_x;    /* (n_test, n_inputs) */
    float *test_y;    /* (n_test) */
};

/* Parses --task's text "regress-sum:N" (1 ≤ N ≤ GROK_REGRESS_MAX_INPUTS) into *n_inputs;
 * GROK_EINVAL naming `what` otherwise. */
int grok_regress_parse(const char *what, const char *text, int *n_inputs, struct grok_err *err);

/* Makes the set of n_inputs inputs; the test inputs drawn from rng (the data seed's generator).
 * GROK_ENOMEM with err filled; s is then freed. */
int grok_regress_make(struct grok_regress_set *s, int n_inputs, gsl_rng *rng, struct grok_err *err);

/* Frees the arrays of s (which may be NULL or zeroed). */
void grok_regress_free(struct grok_regress_set *s);

#ifdef __cplusplus
}
#endif

#endif
