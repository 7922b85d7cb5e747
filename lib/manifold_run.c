/* grok-align --manifold (include/grok/manifold_run.h): one snapshot per unit of the analysis
 * driver, on one thread (the models it admits are small). */
#include "grok/manifold_run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grok/analysis.h"
#include "grok/config.h"
#include "grok/data.h"
#include "grok/manifold.h"
#include "grok/model.h"
#include "grok/runmodel.h"
#include "grok/snapshots.h"
#include "grok/tsv.h"

#define GROUP "/manifold"

/* The columns after step, one value per snapshot but the last. */
enum col { C_NEXT, C_RANK, C_COS, C_TANGENT, C_PULL, C_UPDATE, NCOLS };
static const char *col_names[NCOLS] = {"next_step", "rank", "cos_decay", "tangent_share",
                                       "decay_share", "update_norm"};

struct job {
    const struct grok_manifold_opts *o;
    struct grok_train_config cfg;
    struct grok_model model;
    int n_ex, C;                   /* training examples, outputs */
    int32_t *tok, *y;              /* the modular task's examples */
    struct grok_array x, target;   /* a regression's (float32) */
    double *xd;                    /* (n_ex, d_input) a regression's inputs in double */
    struct grok_work *w;           /* one example */
    size_t m, n;                   /* J's rows and columns */
    double *J;                     /* (m, n) */
    double *V, *PV;                /* (2, n): −θ and the update, and their projections */
    double *theta, *next, *dlog;   /* (n), (n), (C) */
    float *buf;
    double *rows;                  /* (T − 1, NCOLS) */
};

static int manifold_open(void *ctx, struct grok_analysis *a, struct grok_err *err)
{
    struct job *j = ctx;
    int rc = grok_config_read(a->in, &j->cfg, err);
    if (rc == GROK_OK)
        rc = grok_model_build(&j->model, &j->cfg.model, err);
    return rc;
}

static int setup_examples(struct job *j, struct grok_analysis *a, struct grok_err *err)
{
    const struct grok_model *m = &j->model;
    if (!j->cfg.task[0])
        return grok_model_examples(a->in, "train", &j->tok, &j->y, &j->n_ex, err);
    int rc = grok_data_read_regress(a->in, "train", (int)m->d_input, &j->x, &j->target, err);
    if (rc != GROK_OK)
        return rc;
    j->n_ex = (int)j->target.n;
    if (!(j->xd = malloc(j->x.n * sizeof *j->xd)))
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    const float *xf = j->x.data;
    for (size_t i = 0; i < j->x.n; i++)
        j->xd[i] = xf[i];
    return GROK_OK;
}

static int manifold_setup(void *ctx, struct grok_analysis *a, long long *units, struct grok_err *err)
{
    struct job *j = ctx;
    if (a->T < 2)
        return grok_err_set(err, GROK_ENOTFOUND, "%s: --manifold needs two snapshots in the range of -s "
                            "(the update from one to the next)", grok_run_name(a->in));
    int rc = setup_examples(j, a, err);
    if (rc != GROK_OK)
        return rc;
    const struct grok_model *m = &j->model;
    j->C = m->cfg.d_vocab_out;
    j->m = (size_t)j->n_ex * j->C;
    j->n = m->n_params;
    size_t shorter = j->m < j->n ? j->m : j->n;
    if ((double)j->m * (double)j->n > (double)GROK_MANIFOLD_MAX_ENTRIES || shorter > GROK_MANIFOLD_MAX_RANK)
        return grok_err_set(err, GROK_EINVAL, "%s: --manifold: J of %zu rows (%d training examples x %d "
                            "outputs) by %zu parameters is past the limit of %lld entries and %d on "
                            "its shorter side (small models only)", grok_run_name(a->in), j->m,
                            j->n_ex, j->C, j->n, GROK_MANIFOLD_MAX_ENTRIES, GROK_MANIFOLD_MAX_RANK);
    size_t T = a->T;
    j->J = malloc(j->m * j->n * sizeof *j->J);
    j->V = malloc(2 * j->n * sizeof *j->V);
    j->PV = malloc(2 * j->n * sizeof *j->PV);
    j->theta = malloc(j->n * sizeof *j->theta);
    j->next = malloc(j->n * sizeof *j->next);
    j->dlog = calloc((size_t)j->C, sizeof *j->dlog);
    j->buf = malloc(j->n * sizeof *j->buf);
    j->rows = malloc((T - 1) * NCOLS * sizeof *j->rows);
    if (!j->J || !j->V || !j->PV || !j->theta || !j->next || !j->dlog || !j->buf || !j->rows)
        return grok_err_set(err, GROK_ENOMEM, "out of memory for a Jacobian of %zu x %zu", j->m, j->n);
    if (!(j->w = grok_work_new(m, 1, GROK_F64, err)))
        return err->code;
    *units = (long long)(T - 1);
    return GROK_OK;
}

/* J at theta: row i·C + c the parameters' gradient of output c of example i. */
static void jacobian(struct job *j)
{
    const struct grok_model *m = &j->model;
    int T = m->cfg.n_ctx;
    for (int i = 0; i < j->n_ex; i++)
        for (int c = 0; c < j->C; c++) {
            double *row = j->J + ((size_t)i * j->C + c) * j->n;
            memset(row, 0, j->n * sizeof *row);
            j->dlog[c] = 1;
            grok_model_param_vjp_f64(m, j->w, j->theta, row, j->tok ? j->tok + (size_t)i * T : NULL,
                                     j->xd ? j->xd + (size_t)i * m->d_input : NULL, j->dlog, 1);
            j->dlog[c] = 0;
        }
}

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static int manifold_unit(void *ctx, struct grok_analysis *a, long long u, struct grok_err *err)
{
    struct job *j = ctx;
    size_t t = (size_t)u, n = j->n;
    int rc = grok_model_load_f64(&j->model, a->in, a->steps[t + 1], j->buf, j->next, err);
    if (rc == GROK_OK)
        rc = grok_model_load_f64(&j->model, a->in, a->steps[t], j->buf, j->theta, err);
    if (rc != GROK_OK)
        return rc;
    jacobian(j);
    for (size_t i = 0; i < n; i++) {
        j->V[i] = -j->theta[i];
        j->V[n + i] = j->next[i] - j->theta[i];
    }
    int rank = 0;
    double sigma1 = 0;
    if ((rc = grok_nullspace_project(j->J, (int)j->m, (int)n, j->o->rank_tol, j->V, j->PV, 2, &rank,
                                     &sigma1, err)))
        return rc;
    const double *decay = j->PV, *update = j->V + n, *update_t = j->PV + n;
    double nd = sqrt(dot(decay, decay, n)), nu = sqrt(dot(update, update, n));
    double *r = j->rows + t * NCOLS;
    r[C_NEXT] = (double)a->steps[t + 1];
    r[C_RANK] = rank;
    r[C_COS] = nd > 0 && nu > 0 ? dot(decay, update, n) / (nd * nu) : NAN;
    r[C_TANGENT] = nu > 0 ? sqrt(dot(update_t, update_t, n)) / nu : NAN;
    double nt = sqrt(dot(j->V, j->V, n));
    r[C_PULL] = nt > 0 ? nd / nt : NAN;
    r[C_UPDATE] = nu;
    return GROK_OK;
}

static void manifold_table(void *ctx, struct grok_analysis *a, FILE *f)
{
    struct job *j = ctx;
    struct grok_tsv_writer w;
    char note[200];
    grok_tsv_init(&w, f);
    grok_tsv_meta(&w, "run", grok_run_name(a->in));
    snprintf(note, sizeof note, "%zu rows (%d training examples x %d outputs) by %zu parameters",
             j->m, j->n_ex, j->C, j->n);
    grok_tsv_meta(&w, "jacobian", note);
    if (j->o->rank_tol > 0)
        snprintf(note, sizeof note, "singular values above %g sigma_1", j->o->rank_tol);
    else
        snprintf(note, sizeof note, "singular values above max(rows, params) eps sigma_1");
    grok_tsv_meta(&w, "rank", note);
    grok_tsv_str(&w, "step");
    for (int c = 0; c < NCOLS; c++)
        grok_tsv_str(&w, col_names[c]);
    grok_tsv_end_row(&w);
    for (size_t t = 0; t + 1 < a->T; t++) {
        const double *r = j->rows + t * NCOLS;
        grok_tsv_i64(&w, a->steps[t]);
        grok_tsv_i64(&w, (long long)r[C_NEXT]);
        grok_tsv_i64(&w, (long long)r[C_RANK]);
        for (int c = C_COS; c < NCOLS; c++)
            grok_tsv_f64(&w, r[c]);
        grok_tsv_end_row(&w);
    }
}

static int manifold_group(void *ctx, struct grok_analysis *a, struct grok_err *err)
{
    struct job *j = ctx;
    struct grok_run *out = a->out;
    size_t T1 = a->T - 1;
    long long *ints = malloc((T1 ? T1 : 1) * sizeof *ints);
    if (!ints)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    int rc = grok_run_write_i64(out, GROUP, "step", a->steps, 1, &T1, err);
    for (int c = C_NEXT; rc == GROK_OK && c <= C_RANK; c++) {   /* the integer columns */
        for (size_t t = 0; t < T1; t++)
            ints[t] = (long long)j->rows[t * NCOLS + c];
        rc = grok_run_write_i64(out, GROUP, col_names[c], ints, 1, &T1, err);
    }
    free(ints);
    if (rc == GROK_OK) rc = grok_run_write_columns(out, GROUP, j->rows, T1, C_COS, NCOLS, col_names, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, GROUP, "rows", (long long)j->m, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_int(out, GROUP, "params", (long long)j->n, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_double(out, GROUP, "rank_tol", j->o->rank_tol, err);
    if (rc == GROK_OK) rc = grok_run_attr_set_str(out, GROUP, "steps", grok_analysis_steps(a), err);
    return rc;
}

static const struct grok_analysis_def manifold_def = {
    .program = "grok-align",
    .group = GROUP,
    .open = manifold_open,
    .setup = manifold_setup,
    .unit = manifold_unit,
    .write_table = manifold_table,
    .write_group = manifold_group,
};

int grok_manifold_run(const struct grok_manifold_opts *o, const struct grok_analysis_io *io)
{
    struct job j = {.o = o};
    int rc = grok_analysis_run(&manifold_def, &j, io, 0);
    grok_work_free(j.w);
    free(j.tok);
    free(j.y);
    grok_array_free(&j.x);
    grok_array_free(&j.target);
    free(j.xd);
    free(j.J);
    free(j.V);
    free(j.PV);
    free(j.theta);
    free(j.next);
    free(j.dlog);
    free(j.buf);
    free(j.rows);
    grok_model_free(&j.model);
    return rc;
}
