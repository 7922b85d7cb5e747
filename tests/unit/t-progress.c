/* The progress bar's layout and text: a fill of one width whatever the rate, fields left out in
 * order when the terminal is narrow, never the last column; silent off a terminal. (What a
 * terminal shows of grok-train's bar: tests/cli/t-live.sh.) */
#include "tap.h"

#include "grok/progress.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A bar as grok_progress_start leaves it, laid out for `cols` columns. */
static struct grok_progress bar(const char *label, long long total, int note_cols, int cols)
{
    struct grok_progress p = {.label = label, .total = total, .base = -1};
    p.note_cols = note_cols;
    grok_progress_layout(&p, cols);
    return p;
}

/* The column where c first occurs in s, or -1. */
static int column(const char *s, char c)
{
    const char *at = strchr(s, c);
    return at ? (int)(at - s) : -1;
}

int main(void)
{
    char buf[GROK_PROGRESS_MAX_COLS + 1];
    struct grok_progress p = bar("train", 1000, 0, 120);
    is_int(p.fill, 30, "a wide terminal: the fill is at most 30 columns");
    grok_progress_format(buf, sizeof buf, &p, 250, 10.0);
    is_str(buf, "train [#######.......................]  250/1000  25%  25.0/s ETA 0:30",
           "counts, percentage, rate and time left, each in its width");
    grok_progress_format(buf, sizeof buf, &p, 0, 0.0);
    is_str(buf, "train [..............................]    0/1000   0%         ETA --:--",
           "before a rate is known: a blank rate, and the time left unknown");
    grok_progress_format(buf, sizeof buf, &p, 1000, 0.004);
    is_str(buf, "train [##############################] 1000/1000 100%  250k/s ETA 0:00",
           "a rate past 5 digits in thousands");
    grok_progress_format(buf, sizeof buf, &p, 100, 3600.0);
    ok(strstr(buf, "ETA 9:00:00") != NULL, "time left in hours: %s", buf);

    /* the fill keeps its width and the fields their columns whatever the rate */
    struct grok_progress t = bar("grok-train", 25000, 41, 100);
    grok_progress_note(&t, "acc train 0.998 test 0.412  loss 0.00312");
    int right = -1, note = -1, filled = -1, steady = 1, growing = 1;
    const double secs[] = {0.0, 0.3, 1.0, 2.0, 60.0, 61.0, 200.0, 3000.0, 7000.0};
    const long long done[] = {0, 1, 7, 33, 1000, 1001, 9000, 24000, 25000};
    for (int i = 0; i < 9; i++) {
        grok_progress_format(buf, sizeof buf, &t, done[i], secs[i]);
        int r = column(buf, ']'), n = (int)(strstr(buf, "acc") - buf), f = 0;
        for (const char *c = buf; *c; c++)
            f += *c == '#';
        if (i > 0 && (r != right || n != note))
            steady = 0;
        if (f < filled)
            growing = 0;
        if (!steady || !growing || strlen(buf) > 99)
            diag("%s", buf);
        right = r, note = n, filled = f;
    }
    ok(steady, "the fill's end and the note stay in their columns (']' at %d, the note at %d)",
       right, note);
    ok(growing, "the fill never shrinks");
    is_int(filled, t.fill, "the fill is full at the end");

    /* narrower terminals lose the rate, the counts, the percentage, then the note */
    t = bar("grok-train", 25000, 41, 100);
    is_int(t.parts, GROK_PROGRESS_ETA | GROK_PROGRESS_NOTE | GROK_PROGRESS_PCT | GROK_PROGRESS_COUNT,
           "100 columns: all but the rate");
    t = bar("grok-train", 25000, 41, 80);
    is_int(t.parts, GROK_PROGRESS_ETA | GROK_PROGRESS_NOTE, "80 columns: the time left and the note");
    grok_progress_note(&t, "acc train 1.000 test 0.998  loss 3.12e-05");
    grok_progress_format(buf, sizeof buf, &t, 12000, 10.0);
    is_str(buf, "grok-train [#####......] ETA 0:11     acc train 1.000 test 0.998  loss 3.12e-05",
           "80 columns: %d of them", (int)strlen(buf));
    t = bar("grok-train", 25000, 41, 40);
    is_int(t.parts, GROK_PROGRESS_ETA, "40 columns: the time left alone");
    grok_progress_format(buf, sizeof buf, &t, 12000, 10.0);
    is_str(buf, "grok-train [######........] ETA 0:11", "40 columns: a shorter fill");
    t = bar("grok-train", 25000, 41, 16);
    grok_progress_format(buf, sizeof buf, &t, 12000, 10.0);
    is_str(buf, "grok-train [..]", "16 columns: what fits in 15");

    p = bar("train", 0, 0, 80);
    grok_progress_format(buf, sizeof buf, &p, 7200, 2.0);
    is_str(buf, "train         7200  3600/s", "without a total: no fill, no time left");
    grok_progress_format(buf, sizeof buf, &p, 0, 0.5);
    is_str(buf, "train            0", "without a total: no rate before one is known");
    p = bar("commute", 1000000000, 0, 80);
    grok_progress_format(buf, sizeof buf, &p, 1, 3600.0);
    ok(strstr(buf, "ETA --:--") != NULL, "an absurd time left is not printed: %s", buf);
    p = bar("grok-train", 25000, 0, 100);
    p.base = 20000;
    grok_progress_format(buf, sizeof buf, &p, 21000, 10.0);
    ok(strstr(buf, " 100/s ETA 0:40") != NULL,
       "a continued run's rate counts the units done since it began: %s", buf);

    /* off a terminal: no bar, no summary, not a byte */
    FILE *f = tmpfile();
    int saved = dup(STDERR_FILENO);
    fflush(stderr);
    if (!f || saved < 0 || dup2(fileno(f), STDERR_FILENO) < 0)
        return diag("cannot redirect stderr"), 1;
    struct grok_progress q = {0};
    grok_progress_start(&q, "grok-train", 100, 0);
    grok_progress_reserve(&q, 41);
    grok_progress_note(&q, "acc train 0.500 test 0.100  loss 1.5");
    grok_progress_update(&q, 50);
    grok_progress_hide(&q);
    grok_progress_update(&q, 100);
    grok_progress_summary(&q, "100 steps", "train acc 1.000");
    fflush(stderr);
    long written = (long)lseek(fileno(f), 0, SEEK_END);
    dup2(saved, STDERR_FILENO);
    close(saved);
    fclose(f);
    is_int(written, 0, "stderr not a terminal: nothing written");
    return done_testing();
}
