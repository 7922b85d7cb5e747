/* A training session: what grok-train does between its flags and its exit status. It opens a
 * run to continue (its /config, with a new end and stop threshold) or starts from settings,
 * builds the trainer with its threads, loads starting parameters from another run's /state,
 * prepares the output (the run, the metrics table, or both: the run to a file and the table on
 * standard output), trains with a progress bar and the table streamed live, writes checkpoints
 * on their cadence, commits, and words how the training ended.
 *
 * Owns: the order of those steps, the lifetimes of the input run, the output run, the table
 * and the trainer, the progress bar, the table's header and rows, the checkpoint file's name and
 * cadence, and the one-line messages of a failure, an interruption or a non-finite loss. Calls: train (the trainer, its loop and run writing), config,
 * task (the operation's name), run, history, metrics, tsv, progress, fpenv and cli (text output, failure, interruption).
 * Called by grok-train, which parses flags and words the refusals that concern them. */
#ifndef GROK_TRAIN_SESSION_H
#define GROK_TRAIN_SESSION_H

#ifdef __cplusplus
extern "C" {
#endif

#include "grok/cli.h"
#include "grok/config.h"
#include "grok/err.h"

struct grok_train_session;

/* What a session is asked for beside the settings. */
struct grok_train_request {
    const char *resume;          /* continue this run exactly (its /config), or NULL */
    int steps_given;             /* a continued run trains to `steps` instead of its own end */
    long long steps;
    int stop_at_given;           /* a continued run stops at `stop_at` instead of its own */
    double stop_at;
    const char *init;            /* start from the parameters of this run's /state, or NULL */
    int threads;                 /* grok_trainer_set_threads's count (0: every core) */
    int threads_given;           /* else a continued run takes its /config@threads */
    /* Checkpoints: a resumable copy of the run written every checkpoint_steps steps and/or
     * every checkpoint_seconds seconds (both 0: none) to `checkpoint`, or by default to
     * the resumed run when its name ends in ".part" (a checkpoint continued), else
     * "<output>.part", or "grok-train-<hash of the command line>.part" in the current folder for
     * a run to standard output. Removed when the run is written. */
    const char *checkpoint;
    long long checkpoint_steps;
    double checkpoint_seconds;
    const struct grok_common *co;   /* -o, -t, -q: where the run and the table go */
};

/* How grok_train_session_open ended. The refusals that are the caller's settings are apart
 * from the failures of the data, so that the program can word them as its usage errors. */
enum grok_train_open {
    GROK_TRAIN_OPENED,           /* *s is ready for grok_train_session_run */
    GROK_TRAIN_OPEN_FAILED,      /* bad data, I/O or memory: err says why */
    GROK_TRAIN_BAD_SETTINGS,     /* the settings are inconsistent, or a glob of them selects no
                                  * parameter: err says why */
    GROK_TRAIN_PAST_END,         /* the continued run is already past cfg->steps: *at is its step */
};

/* Opens a session for rq: with rq->resume, reads the run's /config into cfg (then rq's steps
 * and stop_at), else trains cfg as given (resolved by grok_config_resolve); builds the trainer
 * with rq->threads (subnormals flushed first, for the workers to inherit), restores the
 * continued run's /state or loads rq->init's parameters. Nothing is written yet. Returns one of
 * enum grok_train_open; *s is set only for GROK_TRAIN_OPENED, and the caller frees it with
 * grok_train_session_free. rq and what it points to must outlive the session. */
int grok_train_session_open(struct grok_train_session **s, struct grok_train_config *cfg,
                            const struct grok_train_request *rq, long long *at,
                            struct grok_err *err);

/* Trains the session to its end and returns the program's exit status. Creates the output as
 * rq->co says (a run to -o or a pipe; the table alone for a terminal, -t without -o, or a
 * FILE.tsv; with -t and -o both), continuing the resumed run's /metrics and /snapshots or
 * writing the setup and the first evaluation, adds the history line (the command line of
 * grok_cli_argv), then runs grok_train_loop with a progress bar and the table's rows as they
 * come, checkpoints on rq's cadence, and commits, then removes the checkpoint file. GROK_EXIT_OK
 * when the run reached its end or its stop threshold; GROK_EXIT_INTERRUPTED after
 * SIGINT/SIGTERM, the run written, consistent and resumable (for a run to standard output, whose
 * reader may be gone too, also in the checkpoint file, which is kept and named on stderr);
 * GROK_EXIT_DATA after one line on standard error: a non-finite loss (the run is still written
 * and keeps every finite evaluation) or a failure (no output left half written). */
int grok_train_session_run(struct grok_train_session *s);

/* Adds to t every gradient transform its config asks for, in the order the step documents
 * (grok-train(1), GRADIENT FILTERS): --grokfast, --ortho-grad, then the interventions. Call
 * after grok_trainer_set_threads and before grok_trainer_resume. Fails with the first one's
 * error (err filled), the ones before it added. */
struct grok_trainer;
int grok_train_add_transforms(struct grok_trainer *t, struct grok_err *err);

/* Releases the session: its trainer, and any run or table still open (an uncommitted output is
 * abandoned). s may be NULL. */
void grok_train_session_free(struct grok_train_session *s);

#ifdef __cplusplus
}
#endif

#endif
