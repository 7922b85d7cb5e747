/* A progress bar on standard error, drawn only when standard error is a terminal and -q was
 * not given: "label [#####.....] 1200/5000  24%  310/s  ETA 0:12" (before a rate is known, no
 * rate and "ETA --:--").
 *
 * Owns: struct grok_progress and the drawing. Calls only libc (the clock, isatty, stderr).
 * Called by the analysis driver, cut and train_session, never by the trainer or the maths. */
#ifndef GROK_PROGRESS_H
#define GROK_PROGRESS_H

#ifdef __cplusplus
extern "C" {
#endif

struct grok_progress {
    const char *label;
    long long total;             /* units of work; 0 when unknown (no bar, no ETA) */
    double t0, last_draw;        /* monotonic seconds */
    int on;                      /* drawing at all */
    char note[40];               /* shown after the bar ("train 1.000 test 0.412"), or "" */
};

/* Starts a bar for `total` units; it stays silent when quiet or when stderr is not a terminal. */
void grok_progress_start(struct grok_progress *p, const char *label, long long total, int quiet);

/* Reports `done` units; redraws at most ten times a second, so it is cheap to call often. */
void grok_progress_update(struct grok_progress *p, long long done);

/* Sets the text shown after the bar from the next redraw on (cut to 39 bytes). */
void grok_progress_note(struct grok_progress *p, const char *note);

/* Erases the bar's line. */
void grok_progress_end(struct grok_progress *p);

/* Formats the bar for `done` units after `elapsed` seconds into buf (the drawing, without
 * the carriage return), `width` columns at most; exposed for the tests. */
void grok_progress_format(char *buf, int width, const char *label, long long done,
                          long long total, double elapsed);

#ifdef __cplusplus
}
#endif

#endif
