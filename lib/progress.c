#include "grok/progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* The fill's width: below MIN_FILL columns it says little; above MAX_FILL it says no more. */
enum { MIN_FILL = 10, MAX_FILL = 30 };

/* The fixed widths of the fields (grok_progress_format pads each to it). */
enum { PCT_COLS = 5, RATE_COLS = 8, ETA_COLS = 12, NOTE_GAP = 2 };

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The terminal's width, or 80 when it says none (a pseudo-terminal nobody sized). */
static int terminal_cols(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 2)
        return ws.ws_col;
    return 80;
}

static void format_duration(char *buf, size_t cap, double s)
{
    if (!(s >= 0 && s < 1e7)) {
        snprintf(buf, cap, "--:--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, cap, "%ld:%02ld", t / 60, t % 60);
}

/* A rate in at most 5 columns: "0.25", "12.5", "310", "31000", "250k", "3e+08". */
static void format_rate(char *buf, size_t cap, double r)
{
    if (r < 9.995)
        snprintf(buf, cap, "%.2f", r);
    else if (r < 99.95)
        snprintf(buf, cap, "%.1f", r);
    else if (r < 99999.5)
        snprintf(buf, cap, "%.0f", r);
    else if (r < 99999.5e3)
        snprintf(buf, cap, "%.0fk", r / 1000);
    else
        snprintf(buf, cap, "%.0e", r);
}

static int digits(long long n)
{
    int d = 1;
    while (n >= 10) {
        n /= 10;
        d++;
    }
    return d;
}

static int count_cols(const struct grok_progress *p)
{
    return p->total > 0 ? 2 * digits(p->total) + 2 : 13;
}

void grok_progress_layout(struct grok_progress *p, int cols)
{
    if (cols > GROK_PROGRESS_MAX_COLS)
        cols = GROK_PROGRESS_MAX_COLS;
    p->cols = cols;
    p->parts = 0;
    int room = cols - 1;   /* the last column would wrap the line on some terminals */
    int need = (int)strlen(p->label) + (p->total > 0 ? 3 + MIN_FILL : 0);
    /* most useful first: what is left, what was measured, how far, how fast */
    const struct { int part, cols, on; } order[] = {
        {GROK_PROGRESS_ETA, ETA_COLS, p->total > 0},
        {GROK_PROGRESS_NOTE, NOTE_GAP + p->note_cols, p->note_cols > 0},
        {GROK_PROGRESS_PCT, PCT_COLS, p->total > 0},
        {GROK_PROGRESS_COUNT, count_cols(p), 1},
        {GROK_PROGRESS_RATE, RATE_COLS, 1},
    };
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (order[i].on && need + order[i].cols <= room) {
            p->parts |= order[i].part;
            need += order[i].cols;
        }
    p->fill = 0;
    if (p->total > 0) {
        p->fill = MIN_FILL + room - need;
        if (p->fill > MAX_FILL)
            p->fill = MAX_FILL;
        if (p->fill < 1)
            p->fill = 0;
    }
}

/* Appends to line at *len (capacity cap) what fmt says; a line too long is cut by the caller. */
static void append(char *line, size_t cap, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len = *len + (size_t)n < cap ? *len + (size_t)n : cap - 1;
}

void grok_progress_format(char *buf, size_t cap, const struct grok_progress *p, long long done,
                          double elapsed)
{
    char line[GROK_PROGRESS_MAX_COLS + 128];
    size_t len = 0;
    long long base = p->base >= 0 && p->base <= done ? p->base : 0;
    /* Before the first unit is done there is no rate: a blank rather than "0/s", and an
     * unknown ETA rather than "0:00", which reads as finished. */
    double rate = elapsed > 0 ? (double)(done - base) / elapsed : 0;
    append(line, sizeof line, &len, "%s", p->label);
    if (p->fill > 0) {
        long long filled = (long long)((double)p->fill * (double)done / (double)p->total);
        append(line, sizeof line, &len, " [");
        for (int i = 0; i < p->fill && len < sizeof line - 2; i++)
            line[len++] = i < filled ? '#' : '.';
        append(line, sizeof line, &len, "]");
    }
    if (p->parts & GROK_PROGRESS_COUNT) {
        if (p->total > 0)
            append(line, sizeof line, &len, " %*lld/%lld", digits(p->total), done, p->total);
        else
            append(line, sizeof line, &len, " %12lld", done);
    }
    if (p->parts & GROK_PROGRESS_PCT)
        append(line, sizeof line, &len, " %3d%%", (int)(100.0 * (double)done / (double)p->total));
    if (p->parts & GROK_PROGRESS_RATE) {
        char r[32] = "";
        if (rate > 0)
            format_rate(r, sizeof r, rate);
        append(line, sizeof line, &len, rate > 0 ? " %5s/s" : " %5s  ", r);
    }
    if (p->parts & GROK_PROGRESS_ETA) {
        char eta[32];
        format_duration(eta, sizeof eta, rate > 0 ? (double)(p->total - done) / rate : -1);
        append(line, sizeof line, &len, " ETA %-7s", eta);
    }
    if ((p->parts & GROK_PROGRESS_NOTE) && p->note[0])
        append(line, sizeof line, &len, "%*s%.*s", NOTE_GAP, "", p->note_cols, p->note);
    if (len > (size_t)p->cols - 1)
        len = (size_t)p->cols - 1;
    while (len > 0 && line[len - 1] == ' ')
        len--;
    if (cap == 0)
        return;
    if (len > cap - 1)
        len = cap - 1;
    memcpy(buf, line, len);
    buf[len] = '\0';
}

void grok_progress_start(struct grok_progress *p, const char *label, long long total, int quiet)
{
    p->label = label;
    p->total = total;
    p->base = -1;
    p->t0 = now_seconds();
    p->last_draw = 0;
    p->t_end = 0;
    p->on = p->live = !quiet && isatty(STDERR_FILENO);
    p->shown = 0;
    p->cols = 0;
    p->note_cols = 0;
    p->note[0] = '\0';
}

void grok_progress_reserve(struct grok_progress *p, int cols)
{
    p->note_cols = cols < 0 ? 0 : cols < (int)sizeof p->note ? cols : (int)sizeof p->note - 1;
    p->cols = 0;   /* laid out again at the next drawing */
}

void grok_progress_note(struct grok_progress *p, const char *note)
{
    snprintf(p->note, sizeof p->note, "%s", note);
}

void grok_progress_update(struct grok_progress *p, long long done)
{
    if (!p->on)
        return;
    if (p->base < 0)
        p->base = done;
    double t = now_seconds();
    if (p->shown && t - p->last_draw < 0.1 && done < p->total)
        return;
    p->last_draw = t;
    /* read on every drawing, so that a resized terminal gets a bar that fits it */
    int cols = terminal_cols();
    if (cols != p->cols)
        grok_progress_layout(p, cols);
    char buf[GROK_PROGRESS_MAX_COLS + 1];
    grok_progress_format(buf, sizeof buf, p, done, t - p->t0);
    /* the erase after the text clears what a longer drawing left */
    fprintf(stderr, "\r%s\033[K", buf);
    fflush(stderr);
    p->shown = 1;
}

void grok_progress_hide(struct grok_progress *p)
{
    if (p->shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->shown = 0;
}

void grok_progress_end(struct grok_progress *p)
{
    grok_progress_hide(p);
    if (p->on)
        p->t_end = now_seconds();
    p->on = 0;
}

void grok_progress_summary(struct grok_progress *p, const char *what, const char *detail)
{
    grok_progress_end(p);
    if (!p->live)
        return;
    char took[32];
    format_duration(took, sizeof took, (p->t_end > 0 ? p->t_end : now_seconds()) - p->t0);
    fprintf(stderr, "%s: %s in %s%s%s\n", p->label, what, took, detail && detail[0] ? ", " : "",
            detail && detail[0] ? detail : "");
    fflush(stderr);
}
