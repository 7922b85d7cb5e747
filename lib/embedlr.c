/* P3's adaptive embedding learning rate (include/grok/embedlr.h). */
#include "grok/embedlr.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grok/config.h"
#include "grok/model.h"
#include "grok/run.h"
#include "grok/state.h"
#include "grok/train.h"

/* Matrix–vector pairs per refresh and matrix: warm-started, a few suffice between refreshes,
 * as the matrices move little in N steps. */
#define POWER_ITERS 3

struct embedlr {
    struct grok_trainer *t;
    int every;                 /* N */
    int tensor;                /* embed.W_E's index */
    size_t E, W;               /* offsets of embed.W_E (V, De) and mlp.0.W (In, H) */
    int V, De, In, H;
    double *vE, *vW;           /* (De), (H) the right singular vectors' estimates */
    double *tmp;               /* (max(V, In)) */
    unsigned char *seen;       /* (V) tokens of the batch */
    double c;                  /* the metric and the multiplier in force */
};

/* σ_max of A (rows, cols; float) by POWER_ITERS steps of v ← AᵀA v / |AᵀA v| from v. Written
 * out: the matrix is the float parameters and the vectors double, which no BLAS routine mixes,
 * and every N steps two such products cost less than converting the matrix would. */
static double sigma_max(const float *A, int rows, int cols, double *v, double *tmp)
{
    double sigma = 0;
    for (int it = 0; it < POWER_ITERS; it++) {
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = 0; c < cols; c++)
                s += (double)A[(size_t)r * cols + c] * v[c];
            tmp[r] = s;
        }
        double norm_u = 0;
        for (int r = 0; r < rows; r++)
            norm_u += tmp[r] * tmp[r];
        sigma = sqrt(norm_u);   /* |A v| with |v| = 1 */
        for (int c = 0; c < cols; c++)
            v[c] = 0;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                v[c] += (double)A[(size_t)r * cols + c] * tmp[r];
        double nv = 0;
        for (int c = 0; c < cols; c++)
            nv += v[c] * v[c];
        nv = sqrt(nv);
        if (!(nv > 0))
            return 0;
        for (int c = 0; c < cols; c++)
            v[c] /= nv;
    }
    return sigma;
}

static void embedlr_apply(void *ctx, const float *params, float *grad, size_t n, long long step)
{
    (void)grad;
    (void)n;
    struct embedlr *e = ctx;
    if (step % e->every != 0)
        return;
    const struct grok_batch *b = grok_trainer_batch(e->t);
    const struct grok_model *m = grok_trainer_model(e->t);
    int T = m->cfg.n_ctx, distinct = 0;
    memset(e->seen, 0, (size_t)e->V);
    for (int i = 0; i < b->n * T; i++)
        if (!e->seen[b->tok[i]]) {
            e->seen[b->tok[i]] = 1;
            distinct++;
        }
    double sE = sigma_max(params + e->E, e->V, e->De, e->vE, e->tmp);
    double sW = sigma_max(params + e->W, e->In, e->H, e->vW, e->tmp);
    double fE = (double)distinct / e->V;
    if (sW > 0 && fE > 0 && sE > 0) {
        e->c = (sE / sW) / fE;
        grok_trainer_set_lr_mult(e->t, e->tensor, e->c);
    }
}

static void embedlr_report(void *ctx, double *values)
{
    values[0] = ((struct embedlr *)ctx)->c;
}

static int embedlr_save(void *ctx, struct grok_run *run, const char *group, struct grok_err *err)
{
    struct embedlr *e = ctx;
    size_t sE[1] = {(size_t)e->De}, sW[1] = {(size_t)e->H}, s1[1] = {1};
    int rc = grok_run_write_f64(run, group, "v_embed", e->vE, 1, sE, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(run, group, "v_first", e->vW, 1, sW, err);
    if (rc == GROK_OK) rc = grok_run_write_f64(run, group, "c", &e->c, 1, s1, err);
    return rc;
}

static int embedlr_load(void *ctx, struct grok_run *run, const char *group, struct grok_err *err)
{
    struct embedlr *e = ctx;
    char path[GROK_MAX_NAME + 32];
    int rc = grok_run_path(path, sizeof path, group, "v_embed", err);
    if (rc == GROK_OK) rc = grok_state_read_exact(run, path, GROK_F64, e->vE, (size_t)e->De, err);
    if (rc == GROK_OK) rc = grok_run_path(path, sizeof path, group, "v_first", err);
    if (rc == GROK_OK) rc = grok_state_read_exact(run, path, GROK_F64, e->vW, (size_t)e->H, err);
    if (rc == GROK_OK) rc = grok_run_path(path, sizeof path, group, "c", err);
    if (rc == GROK_OK) rc = grok_state_read_exact(run, path, GROK_F64, &e->c, 1, err);
    if (rc == GROK_OK)
        grok_trainer_set_lr_mult(e->t, e->tensor, e->c);
    return rc;
}

static void embedlr_free(void *ctx)
{
    struct embedlr *e = ctx;
    if (!e)
        return;
    free(e->vE);
    free(e->vW);
    free(e->tmp);
    free(e->seen);
    free(e);
}

int grok_embedlr_add(struct grok_trainer *t, struct grok_err *err)
{
    const struct grok_train_config *c = grok_trainer_config(t);
    const struct grok_model *m = grok_trainer_model(t);
    if (m->cfg.arch != GROK_MLP || m->W_E == GROK_ABSENT || m->cfg.n_hidden < 1)
        return grok_err_set(err, GROK_EINVAL, "--embed-lr-auto: applies to an MLP with a learned "
                            "embedding and a hidden layer (P3's models)");
    struct embedlr *e = calloc(1, sizeof *e);
    if (!e)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    *e = (struct embedlr){.t = t, .every = (int)c->embed_lr_auto, .tensor = grok_model_find(m, "embed.W_E"),
                          .E = m->W_E, .W = m->mlp_W[0], .V = m->cfg.d_vocab, .De = m->cfg.d_embed,
                          .In = (int)m->d_input, .H = m->cfg.hidden[0], .c = 1};
    int most = e->V > e->In ? e->V : e->In;
    e->vE = malloc((size_t)e->De * sizeof *e->vE);
    e->vW = malloc((size_t)e->H * sizeof *e->vW);
    e->tmp = malloc((size_t)most * sizeof *e->tmp);
    e->seen = malloc((size_t)e->V);
    if (!e->vE || !e->vW || !e->tmp || !e->seen) {
        embedlr_free(e);
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    }
    /* a fixed start, the all-ones direction: the same run gives the same vectors */
    for (int i = 0; i < e->De; i++)
        e->vE[i] = 1 / sqrt(e->De);
    for (int i = 0; i < e->H; i++)
        e->vW[i] = 1 / sqrt(e->H);
    struct grok_grad_transform x = {.name = "embedlr", .apply = embedlr_apply, .save = embedlr_save,
                                    .load = embedlr_load, .n_metrics = 1,
                                    .metric_names = {"embed_lr_mult"}, .report = embedlr_report,
                                    .free = embedlr_free, .ctx = e};
    return grok_trainer_add_transform(t, &x, err);
}
