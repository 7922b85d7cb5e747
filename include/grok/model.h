/* grok's models: a TransformerLens-style transformer and an MLP, over one flat parameter vector.
 *
 * A model is its configuration plus the layout of its parameters: named tensors (TransformerLens
 * names and shapes, DESIGN.md) packed one after another in one contiguous vector, in this order:
 *
 *   transformer: embed.W_E, pos_embed.W_pos, then for each block L:
 *                blocks.L.ln1.w, blocks.L.ln1.b (--norm pre only),
 *                blocks.L.attn.W_Q, b_Q, W_K, b_K, W_V, b_V, W_O, b_O,
 *                blocks.L.ln2.w, blocks.L.ln2.b (--norm pre only),
 *                blocks.L.mlp.W_in, b_in, W_out, b_out;
 *                then ln_final.w, ln_final.b (--norm pre only), unembed.W_U, unembed.b_U.
 *   mlp:         embed.W_E (learned embedding only), mlp.0.W, mlp.0.b, mlp.1.W, ..., unembed.W_U,
 *                unembed.b_U; the biases absent under --bias none.
 *
 * grok_model.tensors lists them with their offsets, so a flat vector written by one program
 * (grok-pca's basis) is indexed the same way by another (grok-commute).
 *
 * The computations exist in float (training) and double (gradient checks, analyses): each
 * function below taking float arrays has a twin with the suffix _f64 taking double arrays and a
 * workspace made for GROK_F64. A workspace holds every activation of one batch in one block, so
 * that nothing is allocated per step.
 *
 * Owns: struct grok_model (the configuration and the parameters' layout), initialisation, the
 * workspaces, the forward and backward passes, the losses. Calls: layers, array (tensor views,
 * element types), names, pool, BLAS and GSL's generators (initialisation); it knows nothing of
 * storage: a model is made from a run by runmodel.h and loaded from one by snapshots.h. Called
 * by: config (a probe build), runmodel, workers, the trainer, the analyses (commute, align and
 * their run modules, pca_run, traj) and grok-train. */
#ifndef GROK_MODEL_H
#define GROK_MODEL_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "grok/array.h"
#include "grok/err.h"
#include "grok/layers.h"

enum grok_arch { GROK_TRANSFORMER, GROK_MLP };
/* An MLP's input: a learned embedding of each token, concatenated; one-hot codes concatenated
 * (n_ctx·d_vocab); the token ids as numbers (n_ctx); the sum of the tokens' one-hot codes
 * (d_vocab: e_a + e_b, Musat's two-layer network, which sees a pair without its order). */
enum grok_mlp_input { GROK_INPUT_EMBED, GROK_INPUT_ONEHOT, GROK_INPUT_RAW, GROK_INPUT_ONEHOT_SUM };
enum grok_loss { GROK_LOSS_CE, GROK_LOSS_MSE, GROK_LOSS_STABLEMAX };
enum grok_init { GROK_INIT_NANDA, GROK_INIT_TORCH };

#define GROK_MAX_HIDDEN 8
#define GROK_ABSENT ((size_t)-1)   /* offset of a tensor the model does not have */

/* Name <-> enum; the _parse functions return -1 for an unknown name. */
const char *grok_act_name(enum grok_act act);
int grok_act_parse(const char *name);
const char *grok_loss_name(enum grok_loss loss);
int grok_loss_parse(const char *name);
const char *grok_init_name(enum grok_init init);
int grok_init_parse(const char *name);

struct grok_model_config {
    enum grok_arch arch;
    int n_ctx;                 /* context length (tokens per example) */
    int d_vocab;               /* input vocabulary */
    int d_vocab_out;           /* outputs (the p residues) */
    enum grok_act act;
    enum grok_loss loss;
    /* transformer */
    int n_layers, d_model, n_heads, d_head, d_mlp;
    int norm;                  /* 1: pre-LayerNorm in each block and a final LayerNorm */
    int causal;                /* 1: position i attends to j ≤ i */
    int readout;               /* the position whose residual is unembedded */
    /* mlp */
    enum grok_mlp_input input;
    int d_embed;               /* width of the learned embedding (GROK_INPUT_EMBED) */
    int n_hidden;              /* 0: the logits are a linear map of the input */
    int hidden[GROK_MAX_HIDDEN];
    int no_bias;               /* 1: no mlp.L.b and no unembed.b_U (--bias none) */
};

/* One parameter tensor in the flat vector. */
struct grok_param {
    char name[48];             /* TransformerLens name, e.g. "blocks.0.attn.W_Q" */
    int rank;
    size_t shape[4];
    size_t offset, size;       /* position and length in the flat vector */
};

/* Offsets of one transformer block's tensors (GROK_ABSENT without LayerNorm). */
struct grok_block_offsets {
    size_t ln1_w, ln1_b, W_Q, b_Q, W_K, b_K, W_V, b_V, W_O, b_O;
    size_t ln2_w, ln2_b, W_in, b_in, W_out, b_out;
};

struct grok_model {
    struct grok_model_config cfg;
    struct grok_param *tensors;    /* (n_tensors) in flat-vector order */
    int n_tensors;
    size_t n_params;
    size_t d_input;                /* continuous input per example: n_ctx·d_model (transformer),
                                    * the first layer's width (mlp) */
    /* offsets of the named tensors, GROK_ABSENT when missing */
    size_t W_E, W_pos, lnf_w, lnf_b, W_U, b_U;
    struct grok_block_offsets *blocks;   /* (n_layers) */
    size_t mlp_W[GROK_MAX_HIDDEN], mlp_b[GROK_MAX_HIDDEN];
};

/* Lays out the model of cfg into m (which the caller provides; grok_model_free releases what
 * this allocates). Fails with GROK_EINVAL and a message naming the setting when cfg is not a
 * model (a size ≤ 0, a readout outside the context, too many hidden layers, ...). */
int grok_model_build(struct grok_model *m, const struct grok_model_config *cfg,
                     struct grok_err *err);

/* Checks that the activation act suits the family arch (the transformer takes relu or gelu, an
 * MLP any). GROK_EINVAL naming act as `what` says, grok-train's flag ("--act") or a stored
 * attribute ("/config@act"): "--act quad: the transformer takes relu or gelu". */
int grok_model_check_act(enum grok_arch arch, enum grok_act act, const char *what, struct grok_err *err);

/* Releases what grok_model_build allocated; m may be NULL or zeroed. */
void grok_model_free(struct grok_model *m);

/* The index of the tensor called name, or -1. */
int grok_model_find(const struct grok_model *m, const char *name);

/* Draws the initial parameters into params (n_params floats) from rng, then multiplies every
 * randomly drawn tensor by scale (LayerNorm weights stay 1, zero biases stay 0).
 *   GROK_INIT_NANDA: every weight matrix N(0, 1/d_model) (standard deviation 1/√d_model for
 *     W_E, W_pos, W_Q, W_K, W_V, W_O, W_in, W_out), W_U with standard deviation 1/√d_vocab,
 *     biases 0 (Nanda et al. 2023). For the MLP: W_E N(0, 1/d_embed), each layer's W
 *     N(0, 1/fan_in), biases 0.
 *   GROK_INIT_TORCH: PyTorch's defaults: linear weights and biases U(±1/√fan_in); the attention
 *     in-projection (W_Q, W_K, W_V together) Xavier-uniform U(±√(6/(d_model + 3·n_heads·d_head)))
 *     with zero biases; W_O U(±1/√(n_heads·d_head)) with b_O 0 (nn.MultiheadAttention); W_E
 *     N(0, 1); W_pos N(0, 1)/√d_model; LayerNorm weight 1, bias 0.
 * Tensors are drawn in flat-vector order, so the same rng state gives the same parameters. */
void grok_model_init(const struct grok_model *m, float *params, enum grok_init scheme,
                     double scale, gsl_rng *rng);

/* Activation workspace for batches of up to max_batch examples, in float (GROK_F32) or double
 * (GROK_F64). NULL with err filled when memory runs out. */
struct grok_work *grok_work_new(const struct grok_model *m, int max_batch, enum grok_dtype dtype,
                                struct grok_err *err);
void grok_work_free(struct grok_work *w);
int grok_work_max_batch(const struct grok_work *w);
/* The bytes the workspace allocated for activations and scratch (the arrays of the path a
 * batch does not take, tokens or continuous input, stay untouched). */
size_t grok_work_bytes(const struct grok_work *w);
/* The logits (n, d_vocab_out) that the last loss computed in the float workspace w over n
 * examples read (grok_model_loss_grad, _weighted, or _pool's whole batch): valid until w's next
 * use. */
const float *grok_work_logits(const struct grok_model *m, const struct grok_work *w, int n);

/* Prieto et al. (2025)'s measures of softmax collapse over n rows of float logits (n,
 * d_vocab_out) with answers y, each in float32 arithmetic as their code computes it in PyTorch
 * (a sum from the first output to the last; PyTorch's vectorised sum may round the last bit
 * differently). Adds to counts[0] the rows whose Σ_j exp(x_j − max x) is exactly 1, so that the
 * largest output's softmax is exactly 1 (their "softmax_collapse"; the paper's text speaks of
 * the right answer's probability: the same rows among those answered right), and to counts[1]
 * the rows whose loss, the model's own computed in float32, is exactly 0 (their "zero_terms"):
 * the cross-entropy as PyTorch's log_softmax, (x_y − max) − log Σ exp(x_j − max); StableMax as
 * their stablemax_cross_entropy, −log(s(x_y) / Σ s(x_j)); the squared error as in double. */
void grok_model_collapse_count(const struct grok_model *m, const float *logits, const int32_t *y,
                               int n, long counts[2]);

/* The mean loss over n examples (tokens (n, n_ctx) with ids below d_vocab, answers y (n) below
 * d_vocab_out; n ≤ the workspace's max_batch) at params. When grad is not NULL it is
 * OVERWRITTEN with the gradient of that mean with respect to params (n_params). When correct
 * is not NULL it receives the number of examples whose largest logit is the answer; when
 * losses is not NULL it receives each example's loss (n, double). Does not allocate. */
double grok_model_loss_grad(const struct grok_model *m, struct grok_work *w, const float *params,
                            float *grad, const int32_t *tokens, const int32_t *y, int n,
                            int *correct, double *losses);
double grok_model_loss_grad_f64(const struct grok_model *m, struct grok_work *w,
                                const double *params, double *grad, const int32_t *tokens,
                                const int32_t *y, int n, int *correct, double *losses);

/* The loss and gradient of a weighted sum: scale · Σ_i weight[i] · loss_i over the n examples
 * (weight NULL: every weight 1), returned, and when grad is not NULL its gradient, OVERWRITTEN
 * into grad. grok_model_loss_grad is this with no weights and scale 1/n. A minibatch drawn
 * with replacement passes each distinct example once with its count as weight and scale
 * 1/draws; the slices of a batch split between threads pass the whole batch's scale, so that
 * their gradients add up to the batch's. correct counts examples, not weights; losses are the
 * examples' own, unweighted. Does not allocate. */
double grok_model_loss_grad_weighted(const struct grok_model *m, struct grok_work *w,
                                     const float *params, float *grad, const int32_t *tokens,
                                     const int32_t *y, const double *weight, int n, double scale,
                                     int *correct, double *losses);
double grok_model_loss_grad_weighted_f64(const struct grok_model *m, struct grok_work *w,
                                         const double *params, double *grad,
                                         const int32_t *tokens, const int32_t *y,
                                         const double *weight, int n, double scale,
                                         int *correct, double *losses);

struct grok_pool;

/* Whether grok_model_loss_grad_pool splits this model's work between threads by columns: the
 * MLP (at least one hidden layer). The trainer splits other models' batches instead. */
int grok_model_splits_columns(const struct grok_model *m);
int grok_model_splits_columns_f64(const struct grok_model *m);

/* grok_model_loss_grad_weighted computed by the pool's workers together, for a model that
 * grok_model_splits_columns: every worker takes the whole batch and a block of each matrix
 * product's output columns, so that the embedding table and the first layer are computed once,
 * not once per slice of the batch. With grad (OVERWRITTEN) the loss and its gradient; without,
 * the loss and, when correct is not NULL, the count of right answers. w must hold n examples;
 * the pool's threads should make single-threaded BLAS calls (grok_blas_threads(1)). Without a
 * pool (NULL) the same phases run on the calling thread, whole; for another model it is the
 * one-thread function. Does not allocate. */
double grok_model_loss_grad_pool(const struct grok_model *m, struct grok_work *w,
                                 struct grok_pool *pool, const float *params, float *grad,
                                 const int32_t *tokens, const int32_t *y, const double *weight,
                                 int n, double scale, int *correct);
double grok_model_loss_grad_pool_f64(const struct grok_model *m, struct grok_work *w,
                                     struct grok_pool *pool, const double *params, double *grad,
                                     const int32_t *tokens, const int32_t *y,
                                     const double *weight, int n, double scale, int *correct);

/* The model's continuous input of n examples, x (n, d_input): for the transformer the token
 * plus position embeddings of the whole context, flattened; for the MLP its first layer's input
 * (concatenated embeddings, one-hot codes, or the raw token ids as numbers). */
void grok_model_input(const struct grok_model *m, const float *params, const int32_t *tokens,
                      int n, float *x);
void grok_model_input_f64(const struct grok_model *m, const double *params,
                          const int32_t *tokens, int n, double *x);

/* The logits (n, d_vocab_out) of the model fed the continuous input x (n, d_input). */
void grok_model_logits(const struct grok_model *m, struct grok_work *w, const float *params,
                       const float *x, int n, float *logits);
void grok_model_logits_f64(const struct grok_model *m, struct grok_work *w, const double *params,
                           const double *x, int n, double *logits);

/* The gradient of a linear functional of the logits with respect to the input: for each example,
 * dx (n, d_input) = J_xᵀ · dlogits (n, d_vocab_out), J_x = ∂logits/∂x at x (n, d_input). With
 * dlogits all ones this is P4's centroid μ_x. Parameters' gradients are not computed. */
void grok_model_input_grad(const struct grok_model *m, struct grok_work *w, const float *params,
                           const float *x, const float *dlogits, int n, float *dx);
void grok_model_input_grad_f64(const struct grok_model *m, struct grok_work *w,
                               const double *params, const double *x, const double *dlogits,
                               int n, double *dx);

/* A regression's loss: scale · Σ_i loss_i over n examples of continuous input x (n, d_input),
 * loss_i the mean over the d_vocab_out outputs of (output − target)² (target (n, d_vocab_out)),
 * returned; with grad, its gradient OVERWRITTEN into grad (n_params); with losses, each
 * example's loss (n). Musat's toy models (grok-train --task regress-sum). Does not allocate. */
double grok_model_regress_loss_grad(const struct grok_model *m, struct grok_work *w,
                                    const float *params, float *grad, const float *x,
                                    const float *target, int n, double scale, double *losses);
double grok_model_regress_loss_grad_f64(const struct grok_model *m, struct grok_work *w,
                                        const double *params, double *grad, const double *x,
                                        const double *target, int n, double scale,
                                        double *losses);

/* The parameters' gradient of a linear functional of the logits: ADDS J_θᵀ · dlogits to grad
 * (n_params), J_θ the Jacobian of the n examples' logits (n, d_vocab_out) with respect to the
 * parameters, the embedding included. The examples are tokens (n, n_ctx), or when tokens is
 * NULL the continuous input x (n, d_input). With one example and dlogits a unit vector this is
 * one row of J_θ (grok-align --manifold). Does not allocate. */
void grok_model_param_vjp(const struct grok_model *m, struct grok_work *w, const float *params,
                          float *grad, const int32_t *tokens, const float *x, const float *dlogits,
                          int n);
void grok_model_param_vjp_f64(const struct grok_model *m, struct grok_work *w,
                              const double *params, double *grad, const int32_t *tokens,
                              const double *x, const double *dlogits, int n);

/* GrokAlign's Jacobian norms and their gradient (grok-train(1), JACOBIAN REGULARISER; the
 * method in lib/model_jac_impl.h). Each of n examples comes as K consecutive rows: tokens
 * (n·K, n_ctx), the example's context repeated, and v (n·K, d_vocab_out), one direction of the
 * logits per row. With u_r = J_xᵀ v_r, J_x the Jacobian of the logits with respect to the
 * continuous input x (grok_model_input), norms[i] = √(kappa · Σ_k ‖u_(iK+k)‖²): with K random
 * unit directions and kappa = d_vocab_out/K the paper's estimate of ‖J_x‖_F, with K =
 * d_vocab_out, v the identity's rows and kappa 1, ‖J_x‖_F exactly. w and tw are two
 * workspaces of the same dtype for n·K examples; _norms leaves in them what _grad reads.
 * _grad, called next with the same arguments (w, tw untouched in between), ADDS Σ_i coef[i] ·
 * ∇ norms[i] to grad (n_params), the path through the embedding included: exactly, by a tangent
 * pass and one reverse pass through both. A norm of 0 contributes 0. Does not allocate. */
void grok_model_jac_norms(const struct grok_model *m, struct grok_work *w, struct grok_work *tw,
                          const float *params, const int32_t *tokens, int n, int K,
                          const float *v, double kappa, double *norms);
void grok_model_jac_norms_f64(const struct grok_model *m, struct grok_work *w,
                              struct grok_work *tw, const double *params, const int32_t *tokens,
                              int n, int K, const double *v, double kappa, double *norms);
void grok_model_jac_grad(const struct grok_model *m, struct grok_work *w, struct grok_work *tw,
                         const float *params, float *grad, const int32_t *tokens, int n, int K,
                         const float *v, double kappa, const double *coef);
void grok_model_jac_grad_f64(const struct grok_model *m, struct grok_work *w,
                             struct grok_work *tw, const double *params, double *grad,
                             const int32_t *tokens, int n, int K, const double *v, double kappa,
                             const double *coef);

/* The Hessian of the loss (scale · Σ_i loss_i over n examples: tokens, answers y) times V
 * (n_params), ADDED to HV (n_params): exactly, by a tangent pass of the parameters along V and
 * one reverse pass through the forward and the tangent together (lib/model_jac_impl.h), the
 * cost of about five gradients. Cross-entropy and squared error (StableMax: not available).
 * w and tw: two workspaces of the same dtype for n examples. Does not allocate. */
void grok_model_hvp(const struct grok_model *m, struct grok_work *w, struct grok_work *tw,
                    const float *params, const float *V, const int32_t *tokens, const int32_t *y,
                    int n, double scale, float *HV);
void grok_model_hvp_f64(const struct grok_model *m, struct grok_work *w, struct grok_work *tw,
                        const double *params, const double *V, const int32_t *tokens,
                        const int32_t *y, int n, double scale, double *HV);

/* A transformer's logits (n, d_vocab_out) and its last block's MLP activations (after the
 * activation function) at the readout position (n, d_mlp), for n examples of tokens, by the
 * forward pass training uses. Nanda et al.'s neuron analysis reads the activations. */
void grok_model_readout_acts(const struct grok_model *m, struct grok_work *w, const float *params,
                             const int32_t *tokens, int n, float *logits, float *acts);
void grok_model_readout_acts_f64(const struct grok_model *m, struct grok_work *w,
                                 const double *params, const int32_t *tokens, int n,
                                 double *logits, double *acts);

/* Fills views (n_tensors of them) with every tensor of params (n_params floats): name, shape
 * and data, as the run writers take them. The views borrow m's names and params. */
void grok_model_views(const struct grok_model *m, const float *params, struct grok_tensor *views);

#ifdef __cplusplus
}
#endif

#endif
