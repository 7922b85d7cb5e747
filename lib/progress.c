#include "grok/progress.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
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

void grok_progress_format(char *buf, int width, const char *label, long long done,
                          long long total, double elapsed)
{
    double rate = elapsed > 0 ? (double)done / elapsed : 0;
    char tail[96], eta[32], speed[40] = "";
    /* Before the first unit is done there is no rate: no "0/s", and an unknown ETA rather
     * than "0:00", which reads as finished. */
    if (rate > 0)
        snprintf(speed, sizeof speed, " %.4g/s", rate);
    if (total > 0) {
        format_duration(eta, sizeof eta, rate > 0 ? (double)(total - done) / rate : -1);
        snprintf(tail, sizeof tail, " %lld/%lld %3d%%%s ETA %s", done, total,
                 (int)(100.0 * (double)done / (double)total), speed, eta);
    } else {
        snprintf(tail, sizeof tail, " %lld%s", done, speed);
    }
    int bar = width - (int)strlen(label) - (int)strlen(tail) - 3;
    if (total <= 0 || bar < 5) {
        snprintf(buf, (size_t)width + 1, "%s%s", label, tail);
        return;
    }
    int filled = (int)((double)bar * (double)done / (double)total);
    if (filled > bar)
        filled = bar;
    int len = snprintf(buf, (size_t)width + 1, "%s [", label);
    for (int i = 0; i < bar; i++)
        buf[len++] = i < filled ? '#' : '.';
    snprintf(buf + len, (size_t)width + 1 - (size_t)len, "]%s", tail);
}

void grok_progress_start(struct grok_progress *p, const char *label, long long total, int quiet)
{
    p->label = label;
    p->total = total;
    p->t0 = now_seconds();
    p->last_draw = 0;
    p->on = !quiet && isatty(STDERR_FILENO);
    p->note[0] = '\0';
}

void grok_progress_note(struct grok_progress *p, const char *note)
{
    snprintf(p->note, sizeof p->note, "%s", note);
}

void grok_progress_update(struct grok_progress *p, long long done)
{
    if (!p->on)
        return;
    double t = now_seconds();
    if (t - p->last_draw < 0.1 && done < p->total)
        return;
    p->last_draw = t;
    char buf[128];
    int room = 79 - (p->note[0] ? (int)strlen(p->note) + 1 : 0);
    grok_progress_format(buf, room, p->label, done, p->total, t - p->t0);
    fprintf(stderr, "\r%s%s%-*s", buf, p->note[0] ? " " : "", 79 - (int)strlen(buf) - (p->note[0] ? 1 : 0), p->note);
    fflush(stderr);
}

void grok_progress_end(struct grok_progress *p)
{
    if (p->on)
        fprintf(stderr, "\r%79s\r", "");
    p->on = 0;
}
