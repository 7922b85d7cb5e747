/* A run's weight trajectory as column blocks (include/grok/traj.h). */
#include "grok/traj.h"
#include "grok/snapshots.h"

#include <stdlib.h>
#include <string.h>

void grok_traj_free(struct grok_traj *tr)
{
    if (!tr)
        return;
    free(tr->params);
    free(tr->blocks);
    memset(tr, 0, sizeof *tr);
}

/* How many indices of p's first dimension fit in block_bytes of doubles for T rows (at least 1). */
static size_t indices_per_block(const struct grok_traj_param *p, size_t T, size_t block_bytes)
{
    size_t per = block_bytes / (sizeof(double) * (T ? T : 1) * (p->row ? p->row : 1));
    return per ? per : 1;
}

int grok_traj_open(struct grok_traj *tr, struct grok_run *run, char *const *names, int nnames,
                   const size_t *rows, size_t T, size_t block_bytes, struct grok_err *err)
{
    memset(tr, 0, sizeof *tr);
    tr->run = run;
    tr->rows = rows;
    tr->T = T;
    tr->nparams = nnames;
    if (!(tr->params = calloc((size_t)(nnames > 0 ? nnames : 1), sizeof *tr->params)))
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    size_t nblocks = 0;
    for (int i = 0; i < nnames; i++) {
        struct grok_traj_param *p = &tr->params[i];
        struct grok_array info;
        int rc = grok_snapshots_path(p->path, sizeof p->path, names[i], err);
        if (rc == GROK_OK)
            rc = grok_run_info(run, p->path, &info, err);
        if (rc != GROK_OK) {
            grok_traj_free(tr);
            return rc;
        }
        if (info.rank < 2 || info.dtype == GROK_STR || info.dtype == GROK_OTHER) {
            grok_traj_free(tr);
            return grok_err_set(err, GROK_EFORMAT, "%s: %s is not a numeric parameter snapshot "
                                "of rank 1 or more", grok_run_name(run), p->path);
        }
        p->name = names[i];
        p->rank = info.rank - 1;
        memcpy(p->shape, info.shape + 1, (size_t)p->rank * sizeof *p->shape);
        p->size = info.n / info.shape[0];
        p->row = p->size / p->shape[0];
        p->col0 = tr->n;
        tr->n += p->size;
        size_t per = indices_per_block(p, T, block_bytes);
        nblocks += (p->shape[0] + per - 1) / per;
        for (size_t t = 0; t < T; t++)
            if (rows[t] >= info.shape[0]) {
                grok_traj_free(tr);
                return grok_err_set(err, GROK_EFORMAT, "%s: %s has %zu snapshots, fewer than "
                                    "/snapshots/step", grok_run_name(run), p->path, info.shape[0]);
            }
    }
    if (!(tr->blocks = calloc(nblocks ? nblocks : 1, sizeof *tr->blocks))) {
        grok_traj_free(tr);
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    }
    for (int i = 0; i < nnames; i++) {
        const struct grok_traj_param *p = &tr->params[i];
        size_t per = indices_per_block(p, T, block_bytes);
        for (size_t first = 0; first < p->shape[0]; first += per) {
            struct grok_traj_block *b = &tr->blocks[tr->nblocks++];
            b->param = i;
            b->first = first;
            b->count = p->shape[0] - first < per ? p->shape[0] - first : per;
            if (b->count * p->row > tr->max_cols)
                tr->max_cols = b->count * p->row;
        }
    }
    return GROK_OK;
}

static int traj_read(void *ctx, size_t b, double *out, size_t *col0, size_t *ncols,
                     struct grok_err *err)
{
    const struct grok_traj *tr = ctx;
    const struct grok_traj_block *blk = &tr->blocks[b];
    const struct grok_traj_param *p = &tr->params[blk->param];
    *col0 = p->col0 + blk->first * p->row;
    *ncols = blk->count * p->row;
    return grok_run_read_slab(tr->run, p->path, tr->rows, tr->T, blk->first, blk->count, GROK_F64,
                              out, err);
}

struct grok_pca_input grok_traj_input(struct grok_traj *tr)
{
    return (struct grok_pca_input){.T = tr->T, .n = tr->n, .nblocks = tr->nblocks,
                                   .max_cols = tr->max_cols, .read = traj_read, .ctx = tr};
}

int grok_traj_place(const struct grok_traj *tr, const struct grok_model *m, const double *v,
                    double *flat, struct grok_err *err)
{
    for (int i = 0; i < tr->nparams; i++) {
        const struct grok_traj_param *p = &tr->params[i];
        int t = grok_model_find(m, p->name);
        if (t < 0 || m->tensors[t].size != p->size)
            return grok_err_set(err, GROK_EFORMAT, "%s: %s is not a parameter of the model that "
                                "/config describes", grok_run_name(tr->run), p->name);
        memcpy(flat + m->tensors[t].offset, v + p->col0, p->size * sizeof *flat);
    }
    return GROK_OK;
}
