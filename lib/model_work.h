/* Private to the model: the workspace and the layout of its one block of activations. */
#ifndef GROK_MODEL_WORK_H
#define GROK_MODEL_WORK_H

#include "grok/model.h"

struct grok_work {
    enum grok_dtype dtype;      /* GROK_F32 or GROK_F64: the element type of block */
    int max_batch;
    void *block;                /* every activation and backward scratch array, see below */
    size_t block_bytes;
    double *losses;             /* (max_batch) each example's loss */
};

/* Offsets (in elements) into the block for a batch of n examples. Per-layer arrays hold n_layers
 * consecutive slices of equal size; arrays a model does not use have size 0. BT = n·n_ctx. */
struct grok_work_layout {
    /* transformer forward cache */
    size_t resid;                       /* (n_layers+1, BT, d_model); resid[0] is the input */
    size_t ln1, ln1_mean, ln1_rstd;     /* (n_layers, BT, d_model), (n_layers, BT) ×2 */
    size_t q, k, v, z;                  /* (n_layers, BT, n_heads, d_head) */
    size_t att;                         /* (n_layers, n, n_heads, n_ctx, n_ctx) */
    size_t mid;                         /* (n_layers, BT, d_model) residual after attention */
    size_t ln2, ln2_mean, ln2_rstd;     /* like ln1 */
    size_t pre, post;                   /* (n_layers, BT, d_mlp) */
    size_t r, lnf, lnf_mean, lnf_rstd;  /* (n, d_model) readout residual, its LayerNorm, (n) ×2 */
    /* transformer backward scratch */
    size_t g;                           /* (BT, d_model) gradient of the residual stream */
    size_t dln;                         /* (BT, d_model) */
    size_t dq, dk, dv, dz;              /* (BT, n_heads, d_head) */
    size_t dpre, dpost;                 /* (BT, d_mlp) */
    size_t dr, dlnf;                    /* (n, d_model) */
    /* mlp */
    size_t x;                           /* (n, d_input) */
    size_t hpre[GROK_MAX_HIDDEN];       /* (n, hidden[i]) before the activation */
    size_t hpost[GROK_MAX_HIDDEN];      /* (n, hidden[i]) after it */
    size_t dh0, dh1;                    /* (n, widest hidden layer) ping-pong scratch */
    size_t dx;                          /* (n, d_input) */
    /* both */
    size_t logits, dlogits;             /* (n, d_vocab_out) */
    size_t total;
};

void grok_work_layout(const struct grok_model *m, int n, struct grok_work_layout *l);

#endif
