/* A progress bar on standard error, drawn only when standard error is a terminal and -q was
 * not given, on one line that never reaches the terminal's last column:
 *   "label [#####.....]  1200/5000  24%   310/s ETA 0:12     acc train 0.998 test 0.412 ..."
 * The fill keeps its width for the whole run (every field after it is padded to a fixed width),
 * and the fields that do not fit the terminal are left out, in this order: the rate, the
 * counts, the percentage, the note, the time left. At the end one summary line may take its
 * place.
 *
 * Owns: struct grok_progress, the layout and the drawing. Calls only libc and the terminal's
 * size (the clock, isatty, ioctl TIOCGWINSZ, stderr). Called by the analysis driver, cut and
 * train_session, never by the trainer or the maths. */
#ifndef GROK_PROGRESS_H
#define GROK_PROGRESS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The widest line drawn, whatever the terminal's width. */
#define GROK_PROGRESS_MAX_COLS 240

/* The fields a layout shows (besides the label and the fill). */
enum {
    GROK_PROGRESS_COUNT = 1,   /* "  1200/5000" */
    GROK_PROGRESS_PCT = 2,     /* "  24%" */
    GROK_PROGRESS_RATE = 4,    /* "   310/s" */
    GROK_PROGRESS_ETA = 8,     /* " ETA 0:12   " */
    GROK_PROGRESS_NOTE = 16,   /* "  " and the note */
};

struct grok_progress {
    const char *label;
    long long total;             /* units of work; 0 when unknown (no fill, no ETA) */
    long long base;              /* the first count reported (a continued run's start), or -1 */
    double t0, last_draw, t_end; /* monotonic seconds; t_end when ended, else 0 */
    int on;                      /* drawing: a terminal, not quiet, not ended */
    int live;                    /* it was started on a terminal, not quiet */
    int shown;                   /* the bar is on the screen now */
    int cols;                    /* the terminal width the layout is for, 0 before one */
    int note_cols;               /* columns kept for the note */
    int fill;                    /* the fill's width, 0 for none */
    int parts;                   /* GROK_PROGRESS_* shown */
    char note[64];               /* shown after the bar ("acc train 1.000 test 0.412 ..."), or "" */
};

/* Starts a bar for `total` units; it stays silent when quiet or when stderr is not a terminal. */
void grok_progress_start(struct grok_progress *p, const char *label, long long total, int quiet);

/* Keeps `cols` columns after the bar for notes (at most 63), so that the bar and its fill keep
 * their place when the first note comes. Call it after start, before the first update. */
void grok_progress_reserve(struct grok_progress *p, int cols);

/* Reports `done` units; redraws at most ten times a second (at once when the bar is hidden, and
 * at the total), so it is cheap to call often. */
void grok_progress_update(struct grok_progress *p, long long done);

/* Sets the text shown after the bar from the next redraw on (cut to 63 bytes, and to the
 * columns reserved). */
void grok_progress_note(struct grok_progress *p, const char *note);

/* Erases the bar from the screen, so that the caller can write a line to the same terminal
 * (standard output on the terminal of standard error); the next update draws it again at once. */
void grok_progress_hide(struct grok_progress *p);

/* Erases the bar's line and stops drawing. */
void grok_progress_end(struct grok_progress *p);

/* Writes one line on stderr, "LABEL: WHAT in M:SS" and ", DETAIL" unless DETAIL is NULL or
 * empty, the time from start to end (or to now, before the end), when the bar was started on a
 * terminal without quiet; nothing otherwise. Ends the bar first. */
void grok_progress_summary(struct grok_progress *p, const char *what, const char *detail);

/* Chooses the fields and the fill's width of p's bar for a terminal `cols` columns wide (at
 * least 2); sets p->cols, p->fill and p->parts. Exposed for the tests. */
void grok_progress_layout(struct grok_progress *p, int cols);

/* Formats p's bar for `done` units `elapsed` seconds after the start, by p's layout, into buf
 * (cap bytes; the drawing without the carriage return and with no trailing blank), p->cols - 1
 * columns at most. Exposed for the tests. */
void grok_progress_format(char *buf, size_t cap, const struct grok_progress *p, long long done,
                          double elapsed);

#ifdef __cplusplus
}
#endif

#endif
