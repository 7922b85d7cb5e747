/* Private to the model: the workspace and the layout of its one block of activations.
 *
 * Owns: struct grok_work and the layout's offsets; grok_work_layout and grok_token_table live in
 * lib/model.c. Calls: model.h's types only. Included by model.c and model_impl.h (the passes). */
#ifndef GROK_MODEL_WORK_H
#define GROK_MODEL_WORK_H

#include "grok/model.h"

struct grok_work {
    enum grok_dtype dtype;      /* GROK_F32 or GROK_F64: the element type of block */
    int max_batch;
    void *block;                /* every activation and backward scratch array, see below */
    size_t block_bytes;
    int32_t *ints;              /* the index arrays of the layout, see below */
    size_t ints_count;
    double *losses;             /* (max_batch) each example's loss */
};

/* Offsets (in elements) of one transformer block's arrays within its slice of the block, for
 * Rq = n·Q query rows (Q = n_ctx, or 1 in the last layer). */
struct grok_layer_offsets {
    size_t ln1, ln1_mean, ln1_rstd;     /* (BT, d_model), (BT) ×2: LayerNorm of the block input */
    size_t k, v;                        /* (BT, n_heads·d_head) */
    size_t q, z;                        /* (Rq, n_heads·d_head) */
    size_t att;                         /* (n, n_heads, Q, n_ctx) */
    size_t aq;                          /* (Rq, d_model) the attention input's query rows */
    size_t mid;                         /* (Rq, d_model) residual after the attention */
    size_t ln2, ln2_mean, ln2_rstd;     /* (Rq, d_model), (Rq) ×2 */
    size_t pre, post;                   /* (Rq, d_mlp) */
    size_t out;                         /* (Rq, d_model) residual after the block */
    size_t size;
};

/* Offsets (in elements) into the block for a batch of n examples; arrays a model does not use
 * have size 0. BT = n·n_ctx.
 *
 * Transformer: only the readout position of the last layer reaches the loss, so the last layer
 * keeps one query row per example and the others n_ctx; layer l's slice starts at
 * layers + l·full.size and is laid out by `full`, or by `last` for the last layer. With tokens
 * as input the first layer's projections are computed once per (token, position) pair that
 * occurs: U ≤ d_vocab·n_ctx rows, the table. */
struct grok_work_layout {
    size_t x;                           /* (n, d_input) the continuous input, unless a table serves the tokens */
    size_t layers;
    struct grok_layer_offsets full, last;
    size_t lnf, lnf_mean, lnf_rstd;     /* (n, d_model), (n) ×2 */
    /* the first layer's table, token path */
    size_t tx, tln, tln_mean, tln_rstd; /* (U, d_model), (U, d_model), (U) ×2 */
    size_t tq, tk, tv;                  /* (U, n_heads·d_head) */
    size_t dtx, dtln;                   /* (U, d_model) */
    size_t dtq, dtk, dtv;               /* (U, n_heads·d_head) */
    /* transformer backward scratch */
    size_t g0, g1;                      /* (BT, d_model) gradients of residuals, ping-pong */
    size_t dln;                         /* (BT, d_model) */
    size_t daq;                         /* (n·Q_max, d_model) */
    size_t dq, dk, dv, dz;              /* (BT, n_heads·d_head) */
    size_t dpre, dpost;                 /* (n·Q_max, d_mlp) */
    size_t dlnf;                        /* (n, d_model), --norm pre only */
    /* mlp */
    size_t hpre[GROK_MAX_HIDDEN];       /* (n, hidden[i]) before the activation */
    size_t hpost[GROK_MAX_HIDDEN];      /* (n, hidden[i]) after it */
    size_t dh0, dh1;                    /* (n, widest hidden layer) ping-pong scratch */
    size_t dx;                          /* (n, d_input) */
    size_t te, tpre, dte, dtpre;        /* (U, d_embed), (U, hidden[0]) ×2: the embedding table */
    /* both */
    size_t logits, dlogits;             /* (n, d_vocab_out) */
    size_t total;
    /* index arrays (in ints) */
    size_t map;                         /* (BT) the table row of each (example, position) */
    size_t qmap;                        /* (n·Q) the table row of each query */
    size_t slot;                        /* (d_vocab·n_ctx) table row of (position, token), or -1 */
    size_t row_tok, row_pos;            /* (U) each table row's token and position */
    size_t pos_first;                   /* (n_ctx+1) the first table row of each position */
    size_t ints;
};

void grok_work_layout(const struct grok_model *m, int n, struct grok_work_layout *l);

/* Numbers the (token, position) pairs that occur in n contexts of T tokens below V: map
 * (n·T) gets each token's table row; rows go by position, then token, so one position's rows
 * are contiguous, position t's from pos_first[t] to pos_first[t+1] (T+1 entries); row_tok and
 * row_pos (V·T) describe each row; slot (V·T) is scratch. Returns
 * the number of rows U. */
int grok_token_table(int32_t *map, int32_t *row_tok, int32_t *row_pos, int32_t *pos_first,
                     int32_t *slot, const int32_t *tokens, int n, int T, int V);

#endif
