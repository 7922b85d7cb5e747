/* The shared command-line pieces: the output rule, atomic text output (the progress bar: t-progress). */
#include "tap.h"

#include "grok/cli.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

int main(void)
{
    /* stdout of a test is a pipe to prove: without -o and -t the output is a run. */
    struct grok_common co = {0};
    ok(!grok_output_is_table(&co), "pipe without -t: a run");
    co.table = 1;
    ok(grok_output_is_table(&co), "-t: a table");
    co = (struct grok_common){.output = "out.tsv"};
    ok(grok_output_is_table(&co), "-o x.tsv: a table");
    co = (struct grok_common){.output = "out.h5"};
    ok(!grok_output_is_table(&co), "-o x.h5: a run");
    co = (struct grok_common){.output = "tsv"};
    ok(!grok_output_is_table(&co), "-o tsv (no extension): a run");

    char dir[] = "/tmp/grok-t-cli-XXXXXX", path[64];
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/out.tsv", dir);
    struct grok_text_out out;
    struct grok_err err = {0};
    ok(grok_text_open(&out, path, &err) == GROK_OK, "open a text output");
    fputs("a\tb\n", out.f);
    ok(!exists(path), "not at the destination while being written");
    ok(grok_text_finish(&out, 0, &err) == GROK_OK && !exists(path), "a failed run leaves no file");
    grok_text_open(&out, path, &err);
    fputs("a\tb\n1\t2\n", out.f);
    ok(grok_text_finish(&out, 1, &err) == GROK_OK && exists(path), "a finished one is renamed in");
    struct stat st;
    stat(path, &st);
    is_int(st.st_size, 8, "with all its bytes");

    /* a program's failure: its half-written table discarded, one line on stderr, exit 1 */
    char half[64], log[64], line[128] = "";
    snprintf(half, sizeof half, "%s/half.tsv", dir);
    snprintf(log, sizeof log, "%s/stderr", dir);
    grok_text_open(&out, half, &err);
    fputs("a\tb\n", out.f);
    grok_err_set(&err, GROK_EIO, "x.h5: read failed");
    fflush(stderr);
    int saved = dup(2), fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    int code = grok_cli_failed(&out, &err);
    fflush(stderr);
    dup2(saved, 2);
    close(fd);
    close(saved);
    FILE *f = fopen(log, "r");
    if (f) {
        if (!fgets(line, sizeof line, f))
            line[0] = 0;
        fclose(f);
    }
    is_int(code, GROK_EXIT_DATA, "failed: exit code 1");
    ok(!exists(half), "failed: the half-written table is gone");
    ok(strstr(line, ": x.h5: read failed\n") != NULL, "failed: the one line on stderr (%s)", line);
    mode_t mask = umask(0);
    umask(mask);
    is_int(st.st_mode & 0777, 0666 & ~mask, "and the permissions of a new file");
    snprintf(path, sizeof path, "rm -rf %s", dir);
    if (system(path) != 0)
        diag("cannot clean %s", dir);

    /* the one real-number parser of the flags */
    double v = -1;
    ok(grok_flag_real("1e-3", &v) == 0 && v == 1e-3, "1e-3 is a number");
    ok(grok_flag_real("-2.5", &v) == 0 && v == -2.5, "-2.5 is a number");
    ok(grok_flag_real("", &v) == 1, "empty is not a number");
    ok(grok_flag_real(" 1", &v) == 1, "a leading space is not a number");
    ok(grok_flag_real("1x", &v) == 1, "trailing text is not a number");
    ok(grok_flag_real("nan", &v) == 1, "NaN is not a number");
    ok(grok_flag_real("1e999", &v) == 2, "overflow is out of range");
    ok(grok_flag_real("inf", &v) == 2, "infinity is out of range");
    ok(grok_flag_real("1e-400", &v) == 2, "underflow is out of range");
    v = 7;
    grok_flag_real("bad", &v);
    ok(v == 7, "a refused value leaves *v as it was");
    return done_testing();
}
