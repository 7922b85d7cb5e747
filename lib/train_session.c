/* A training session: open, output, loop with progress and a live table, ending
 * (include/grok/train_session.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "grok/fpenv.h"
#include "grok/history.h"
#include "grok/grokfast.h"
#include "grok/embedlr.h"
#include "grok/freqsample.h"
#include "grok/jacreg.h"
#include "grok/intervene.h"
#include "grok/orthograd.h"
#include "grok/metrics.h"
#include "grok/progress.h"
#include "grok/train.h"
#include "grok/train_session.h"
#include "grok/tsv.h"

struct grok_train_session {
    const struct grok_train_request *rq;
    struct grok_trainer *t;
    struct grok_run *in;           /* the run continued, until the output holds what it needs */
    struct grok_run *out;          /* the run written, or NULL when the output is the table alone */
    struct grok_text_out text;     /* the table's output, opened when `table` */
    struct grok_tsv_writer tsv;
    int table;                     /* the metrics rows are streamed */
    struct grok_progress bar;
    struct grok_eval last;         /* the last evaluation, for the summary */
    int evaluated;                 /* last holds one */
    long long first_step;          /* the step training began at (a continued run's) */
    char *checkpoint;              /* the checkpoint file, or NULL when none is written */
    long long checkpoint_step;     /* the step of the last checkpoint written, or -1 */
    double checkpoint_time;        /* when it was written (or training began), monotonic s */
};

int grok_train_add_transforms(struct grok_trainer *t, struct grok_err *err)
{
    const struct grok_train_config *c = grok_trainer_config(t);
    /* the documented order (grok-train(1), GRADIENT FILTERS): the frequency-aware sampler
     * reads the loss's own gradient, the Jacobian regulariser's gradient is added, Grokfast's filter, then ⊥Grad, all before clipping; the interventions
     * after it */
    if (c->sampler[0] && grok_freqsample_add(t, err))
        return err->code;
    if (c->embed_lr_auto > 0 && grok_embedlr_add(t, err))
        return err->code;
    if (c->jac_reg > 0 && grok_jacreg_add(t, err))
        return err->code;
    if (c->grokfast[0] && grok_grokfast_add(t, err))
        return err->code;
    if (c->ortho_grad && grok_orthograd_add(t, err))
        return err->code;
    if (grok_config_intervenes(c) && grok_intervention_add(t, err))
        return err->code;
    return GROK_OK;
}

void grok_train_session_free(struct grok_train_session *s)
{
    if (!s)
        return;
    grok_text_finish(&s->text, 0, NULL);   /* a table file not finished is removed */
    grok_run_close(s->out);
    grok_run_close(s->in);
    grok_trainer_free(s->t);
    free(s->checkpoint);
    free(s);
}

/* Everything of grok_train_session_open after the allocation of s. */
static int open_session(struct grok_train_session *s, struct grok_train_config *cfg,
                        long long *at, struct grok_err *err)
{
    const struct grok_train_request *rq = s->rq;
    if (rq->resume) {
        if (!(s->in = grok_run_open(rq->resume, err)) || grok_config_read(s->in, cfg, err))
            return GROK_TRAIN_OPEN_FAILED;
        if (rq->steps_given)
            cfg->steps = rq->steps;
        if (rq->stop_at_given) {
            cfg->stop_at = rq->stop_at;
            if (grok_config_resolve(cfg, err))
                return GROK_TRAIN_BAD_SETTINGS;
        }
    }
    /* a continued run's settings are data: named as stored, after the run's name */
    struct grok_err why;
    if (grok_config_check_params(cfg, rq->resume != NULL, &why)) {
        if (!rq->resume) {
            *err = why;
            return why.code == GROK_EINVAL ? GROK_TRAIN_BAD_SETTINGS : GROK_TRAIN_OPEN_FAILED;
        }
        grok_err_set(err, GROK_EFORMAT, "%s: %s", grok_run_name(s->in), why.msg);
        return GROK_TRAIN_OPEN_FAILED;
    }
    /* the split's own refusals (a training fraction that leaves a set empty) are settings too */
    if (!(s->t = grok_trainer_new(cfg, err)))
        return err->code == GROK_EINVAL && !rq->resume ? GROK_TRAIN_BAD_SETTINGS : GROK_TRAIN_OPEN_FAILED;
    grok_fpenv_flush_subnormals();   /* before the workers start: they inherit it */
    /* a continued run keeps the thread count it was trained with, and so its numbers */
    int threads = rq->threads;
    if (rq->resume && !rq->threads_given && grok_config_read_threads(s->in, &threads, err) == GROK_EFORMAT)
        return GROK_TRAIN_OPEN_FAILED;
    if (grok_trainer_set_threads(s->t, threads, err))
        return GROK_TRAIN_OPEN_FAILED;
    if (grok_train_add_transforms(s->t, err))   /* a setting the model makes impossible: usage */
        return err->code == GROK_EINVAL && !rq->resume ? GROK_TRAIN_BAD_SETTINGS : GROK_TRAIN_OPEN_FAILED;
    if (rq->resume) {
        if (grok_trainer_resume(s->t, s->in, err))
            return GROK_TRAIN_OPEN_FAILED;
        if (rq->stop_at_given)
            grok_trainer_reset_streak(s->t);   /* counted against another threshold */
        if (grok_trainer_step_count(s->t) > cfg->steps) {
            *at = grok_trainer_step_count(s->t);
            if (rq->steps_given)
                return GROK_TRAIN_PAST_END;
            /* past its own end: the run contradicts itself, no flag of the caller's did this */
            grok_err_set(err, GROK_EFORMAT, "%s: /state@step %lld is past the run's end (/config@steps %lld)",
                         grok_run_name(s->in), *at, cfg->steps);
            return GROK_TRAIN_OPEN_FAILED;
        }
    }
    if (rq->init) {
        struct grok_run *state = grok_run_open(rq->init, err);
        int bad = !state || grok_trainer_load_params(s->t, state, err);
        grok_run_close(state);
        if (bad)
            return GROK_TRAIN_OPEN_FAILED;
    }
    return GROK_TRAIN_OPENED;
}

int grok_train_session_open(struct grok_train_session **sp, struct grok_train_config *cfg,
                            const struct grok_train_request *rq, long long *at,
                            struct grok_err *err)
{
    struct grok_train_session *s = calloc(1, sizeof *s);
    *sp = NULL;
    if (!s) {
        grok_err_set(err, GROK_ENOMEM, "out of memory");
        return GROK_TRAIN_OPEN_FAILED;
    }
    s->rq = rq;
    int rc = open_session(s, cfg, at, err);
    if (rc == GROK_TRAIN_OPENED)
        *sp = s;
    else
        grok_train_session_free(s);
    return rc;
}

static double monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The default checkpoint of a run to standard output: "grok-train-XXXXXXXX.part" in the current
 * folder, XXXXXXXX a hash (FNV-1a) of the command line. The same pipeline run again writes the
 * same file, so that none pile up; different ones in one folder do not meet. */
static char *stream_checkpoint_name(void)
{
    int argc;
    char **argv = grok_cli_argv(&argc);
    uint32_t h = 2166136261u;
    for (int i = 0; argv && i < argc; i++)
        for (const unsigned char *p = (const unsigned char *)argv[i];; p++) {
            h = (h ^ *p) * 16777619u;   /* the NUL too: "a b" and "ab" differ */
            if (!*p)
                break;
        }
    char *name = malloc(32);
    if (name)
        snprintf(name, 32, "grok-train-%08x.part", (unsigned)h);
    return name;
}

/* The checkpoint file as rq says, or NULL (none: no cadence, or no run written). A run
 * continued from a checkpoint (a file named *.part) keeps checkpointing into that file, so that
 * it goes when the run is written. */
static int choose_checkpoint(struct grok_train_session *s, struct grok_err *err)
{
    const struct grok_train_request *rq = s->rq;
    s->checkpoint_step = -1;
    s->checkpoint_time = monotonic_seconds();
    if (!s->out || (rq->checkpoint_steps <= 0 && rq->checkpoint_seconds <= 0))
        return GROK_OK;
    const char *output = rq->co->output, *resume = rq->resume;
    size_t rlen = resume ? strlen(resume) : 0;
    if (rq->checkpoint)
        s->checkpoint = strdup(rq->checkpoint);
    else if (rlen > 5 && strcmp(resume + rlen - 5, ".part") == 0)
        s->checkpoint = strdup(resume);   /* a checkpoint continued is checkpointed in place */
    else if (!output || strcmp(output, "-") == 0)
        s->checkpoint = stream_checkpoint_name();
    else if ((s->checkpoint = malloc(strlen(output) + sizeof ".part")))
        sprintf(s->checkpoint, "%s.part", output);
    return s->checkpoint ? GROK_OK : grok_err_set(err, GROK_ENOMEM, "out of memory");
}

/* The table's header: the run's identity as comment lines, then the column names. */
static void write_header(struct grok_train_session *s, const struct grok_train_config *c)
{
    char buf[64];
    grok_tsv_meta(&s->tsv, "program", "grok-train");
    if (c->preset[0])
        grok_tsv_meta(&s->tsv, "preset", c->preset);
    if (c->task[0]) {   /* a regression: op and p do not apply */
        grok_tsv_meta(&s->tsv, "task", c->task);
    } else {
        grok_tsv_meta(&s->tsv, "op", grok_op_name(c->op));
        snprintf(buf, sizeof buf, "%d", c->p);
        grok_tsv_meta(&s->tsv, "p", buf);
    }
    snprintf(buf, sizeof buf, "%lld", c->seed);
    grok_tsv_meta(&s->tsv, "seed", buf);
    for (int i = 0; i < GROK_METRIC_COLUMNS; i++)
        grok_tsv_str(&s->tsv, grok_metric_names[i]);
    const char *extra[GROK_EVAL_EXTRA];
    int n_extra = grok_trainer_metric_names(s->t, extra);
    for (int i = 0; i < n_extra; i++)
        grok_tsv_str(&s->tsv, extra[i]);
    grok_tsv_end_row(&s->tsv);
    fflush(s->text.f);
}

/* The output as rq->co says: a table alone (a FILE.tsv, or a table without -o), else the run,
 * with the table beside it on standard output when one is asked for. The run continued is
 * closed once the output holds what it needs of it. */
static int open_output(struct grok_train_session *s, struct grok_err *err)
{
    const struct grok_common *co = s->rq->co;
    struct grok_common no_t = *co;
    no_t.table = 0;
    int table_only = grok_output_is_table(&no_t) || (!co->output && co->table), hargc;
    char **hargv = grok_cli_argv(&hargc);
    int rc = GROK_OK;
    s->table = co->table || table_only;
    if (!table_only) {
        if (!(s->out = grok_run_create(co->output, err)))
            return err->code;
        if ((rc = s->in ? grok_train_resume_run(s->t, s->out, s->in, err)
                        : grok_trainer_write_setup(s->t, s->out, err)) ||
            (rc = grok_run_history_add(s->out, "grok-train", hargc, hargv, err)) ||
            (rc = grok_run_flush(s->out, err)))
            return rc;
    }
    if (s->table) {
        if ((rc = grok_text_open(&s->text, table_only ? co->output : NULL, err)))
            return rc;
        grok_tsv_init(&s->tsv, s->text.f);
        write_header(s, grok_trainer_config(s->t));
    }
    grok_run_close(s->in);
    s->in = NULL;
    return choose_checkpoint(s, err);
}

/* The bar's note: "acc train 0.998 test 0.412  loss 0.00312", the loss in at most 8 columns
 * (%.3g of a finite number), so that the note's width never changes. */
#define NOTE_FORMAT "acc train %.3f test %.3f  loss %.3g"
enum { NOTE_COLS = sizeof "acc train 0.000 test 0.000  loss " - 1 + 8 };

static void on_eval(void *ctx, const struct grok_eval *e)
{
    struct grok_train_session *s = ctx;
    char note[64];
    snprintf(note, sizeof note, NOTE_FORMAT, e->train_acc, e->test_acc, e->train_loss);
    grok_progress_note(&s->bar, note);
    s->last = *e;
    s->evaluated = 1;
    if (!s->table)
        return;
    /* the row may go to the bar's terminal: not after the bar's text, but on a line of its own,
     * with the bar drawn again below it */
    grok_progress_hide(&s->bar);
    grok_tsv_i64(&s->tsv, e->step);
    grok_tsv_f64(&s->tsv, e->train_loss);
    grok_tsv_f64(&s->tsv, e->train_acc);
    grok_tsv_f64(&s->tsv, e->test_loss);
    grok_tsv_f64(&s->tsv, e->test_acc);
    grok_tsv_f64(&s->tsv, e->param_norm);
    grok_tsv_f64(&s->tsv, e->lr);
    for (int i = 0; i < e->n_extra; i++)
        grok_tsv_f64(&s->tsv, e->extra[i]);
    grok_tsv_end_row(&s->tsv);
    fflush(s->text.f);   /* live, for awk and gnuplot downstream */
    grok_progress_update(&s->bar, e->step);
}

static void on_step(void *ctx, long long step)
{
    struct grok_train_session *s = ctx;
    grok_progress_update(&s->bar, step);
}

/* A checkpoint when one is due: every checkpoint_steps steps, or checkpoint_seconds after the
 * last one. */
static int after_step(void *ctx, long long step, struct grok_err *err)
{
    struct grok_train_session *s = ctx;
    const struct grok_train_request *rq = s->rq;
    if (!s->checkpoint)
        return GROK_OK;
    double now = monotonic_seconds();
    int due = (rq->checkpoint_steps > 0 && step % rq->checkpoint_steps == 0) ||
              (rq->checkpoint_seconds > 0 && now - s->checkpoint_time >= rq->checkpoint_seconds);
    if (!due || step == s->checkpoint_step)
        return GROK_OK;
    int rc = grok_trainer_checkpoint(s->t, s->out, s->checkpoint, err);
    if (rc == GROK_OK) {
        s->checkpoint_step = step;
        s->checkpoint_time = monotonic_seconds();
    }
    return rc;
}

/* The line that takes the bar's place at the end (when there was a bar):
 * "grok-train: 400 steps in 0:02, train acc 1.000 test acc 0.412 (loss 0.00312 / 2.1)". */
static void summarize(struct grok_train_session *s, enum grok_train_end end)
{
    char what[96], detail[96] = "";
    long long at = grok_trainer_step_count(s->t);
    if (s->first_step > 0)
        snprintf(what, sizeof what, "steps %lld to %lld", s->first_step, at);
    else
        snprintf(what, sizeof what, "%lld steps", at);
    if (end == GROK_TRAIN_INTERRUPTED || end == GROK_TRAIN_STOPPED)
        snprintf(what + strlen(what), sizeof what - strlen(what), " (%s)",
                 end == GROK_TRAIN_INTERRUPTED ? "interrupted" : "--stop-at reached");
    if (s->evaluated)
        snprintf(detail, sizeof detail, "train acc %.3f test acc %.3f (loss %.3g / %.3g)",
                 s->last.train_acc, s->last.test_acc, s->last.train_loss, s->last.test_loss);
    grok_progress_summary(&s->bar, what, detail);
}

/* Whether the run goes to standard output. */
static int to_stream(const struct grok_train_session *s)
{
    const char *output = s->rq->co->output;
    return s->out && (!output || strcmp(output, "-") == 0);
}

int grok_train_session_run(struct grok_train_session *s)
{
    struct grok_err err = {0};
    struct grok_trainer *t = s->t;
    if (open_output(s, &err))
        return grok_cli_failed(&s->text, &err);
    struct grok_train_hooks hooks = {.on_eval = on_eval, .on_step = on_step,
                                     .interrupted = grok_interrupted, .after_step = after_step,
                                     .ctx = s};
    grok_progress_start(&s->bar, "grok-train", grok_trainer_config(t)->steps, s->rq->co->quiet);
    grok_progress_reserve(&s->bar, NOTE_COLS);
    s->first_step = grok_trainer_step_count(t);
    grok_progress_update(&s->bar, s->first_step);
    enum grok_train_end end = grok_train_loop(t, s->out, !s->rq->resume, &hooks, &err);
    grok_progress_end(&s->bar);
    if (end == GROK_TRAIN_FAILED)
        return grok_cli_failed(&s->text, &err);   /* the last checkpoint stays */
    /* The reader of an interrupted stream was most likely interrupted too: the run goes to the
     * checkpoint file first, which is then kept, and the user is told where. */
    int keep_checkpoint = end == GROK_TRAIN_INTERRUPTED && to_stream(s) && s->checkpoint;
    if (keep_checkpoint) {
        if (grok_trainer_checkpoint(t, s->out, s->checkpoint, &err))
            return grok_cli_failed(&s->text, &err);
        grok_error("interrupted at step %lld; the run is kept in %s (grok-train --resume %s continues it)",
                   grok_trainer_step_count(t), s->checkpoint, s->checkpoint);
    }
    /* a run that stopped on a non-finite loss is still written: it holds every finite step */
    if ((s->out && grok_run_commit(s->out, &err)) || (s->table && grok_text_finish(&s->text, 1, &err)))
        return grok_cli_failed(&s->text, &err);
    if (s->checkpoint && !keep_checkpoint)
        unlink(s->checkpoint);   /* superseded by the run; absent when none was due */
    if (end != GROK_TRAIN_NONFINITE)
        summarize(s, end);
    if (end == GROK_TRAIN_NONFINITE) {
        long long at = grok_trainer_step_count(t), kept = grok_trainer_last_eval(t);
        if (kept >= 0)
            grok_error("the loss is not finite at step %lld; the run keeps the evaluations up to step %lld",
                       at, kept);
        else
            grok_error("the loss is not finite at step %lld", at);
        return GROK_EXIT_DATA;
    }
    return end == GROK_TRAIN_INTERRUPTED ? GROK_EXIT_INTERRUPTED : GROK_EXIT_OK;
}
