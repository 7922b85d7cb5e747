/* Unit tests of the TSV reader and writer (lib/tsv.c): round trips, metadata, concatenated
 * tables, line endings, and the exact text of every error a user can see. */
#include "tap.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "grok/tsv.h"

static struct grok_err err;

static struct grok_table *rd(const char *s)
{
    memset(&err, 0, sizeof err);
    return grok_table_read_mem(s, strlen(s), "t.tsv", &err);
}

/* Reading `in` (len bytes) fails with `code` and exactly `msg`. */
static void fails_len(const char *in, size_t len, int code, const char *msg, const char *what)
{
    memset(&err, 0, sizeof err);
    struct grok_table *t = grok_table_read_mem(in, len, "t.tsv", &err);
    ok(t == NULL, "%s: fails", what);
    is_int(err.code, code, "%s: code", what);
    is_str(err.msg, msg, "%s: message", what);
    grok_table_free(t);
}

static void fails(const char *in, int code, const char *msg, const char *what)
{
    fails_len(in, strlen(in), code, msg, what);
}

static void test_round_trip(void)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    struct grok_tsv_writer w;
    grok_tsv_init(&w, f);
    grok_tsv_meta(&w, "model", "mlp\nwith newline");
    grok_tsv_meta(&w, "lr", "0.001");
    grok_tsv_str(&w, "f32");
    grok_tsv_str(&w, "f64");
    grok_tsv_str(&w, "i64");
    grok_tsv_end_row(&w);
    const float f32[] = {0.1f, 1e-30f, 3.4028235e38f, NAN, INFINITY, -INFINITY};
    const double f64[] = {0.1, 1e-300, 1.7976931348623157e308, -NAN, INFINITY, -INFINITY};
    const long long i64[] = {0, -1, 9007199254740993LL, LLONG_MAX, LLONG_MIN, 42};
    for (int i = 0; i < 6; i++) {
        grok_tsv_f32(&w, f32[i]);
        grok_tsv_f64(&w, f64[i]);
        grok_tsv_i64(&w, i64[i]);
        grok_tsv_end_row(&w);
    }
    ok(!ferror(f), "writer: no error");
    fclose(f);
    ok(strstr(out, "-nan") == NULL, "writer: a negative NaN is written as nan");
    ok(strstr(out, "# model: mlp with newline\n") != NULL, "writer: newline in metadata sanitised");

    struct grok_table *t = rd(out);
    if (!ok(t != NULL, "round trip: reads back"))
        diag("%s", err.msg);
    if (!t) {
        free(out);
        return;
    }
    is_int(t->ncols, 3, "round trip: 3 columns");
    is_int(t->nrows, 6, "round trip: 6 rows");
    is_str(grok_table_meta(t, "lr"), "0.001", "round trip: metadata lr");
    is_str(grok_table_meta(t, "model"), "mlp with newline", "round trip: metadata model");
    const double *a = grok_table_num(t, "f32", &err);
    const double *b = grok_table_num(t, "f64", &err);
    const double *c = grok_table_num(t, "i64", &err);
    ok(a && b && c, "round trip: all columns numeric");
    if (a && b && c) {
        for (int i = 0; i < 6; i++) {
            if (isnan(f32[i]))
                ok(isnan(a[i]) && isnan(b[i]), "round trip row %d: nan", i);
            else
                ok((float)a[i] == f32[i] && b[i] == f64[i],
                   "round trip row %d: f32 %.9g and f64 %.17g exact", i, a[i], b[i]);
        }
        ok(c[2] == 9007199254740992.0, "round trip: big int parses to the nearest double");
    }
    is_str(t->cols[2].text[2], "9007199254740993", "round trip: big int text is exact");
    is_str(t->cols[2].text[3], "9223372036854775807", "round trip: LLONG_MAX");
    is_str(t->cols[2].text[4], "-9223372036854775808", "round trip: LLONG_MIN");
    is_str(t->cols[1].text[0], "0.10000000000000001", "round trip: 0.1 as %%.17g");
    is_str(t->cols[0].text[0], "0.100000001", "round trip: 0.1f as %%.9g");
    is_str(t->source, "t.tsv", "round trip: source");
    grok_table_free(t);
    free(out);
}

static void test_writer_text(void)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    struct grok_tsv_writer w;
    grok_tsv_init(&w, f);
    grok_tsv_str(&w, "a\tb\nc\r");
    grok_tsv_str(&w, "");
    grok_tsv_str(&w, NULL);
    grok_tsv_i64(&w, 7);
    is_int(w.col, 4, "writer: col counts fields");
    grok_tsv_end_row(&w);
    is_int(w.col, 0, "writer: end_row resets col");
    grok_tsv_meta(&w, "k", "v\r\nw");
    fclose(f);
    is_str(out, "a b c \t\t\t7\n# k: v  w\n", "writer: tabs, CR and LF in text become spaces");
    free(out);
}

static void test_fmt_number(void)
{
    char buf[32];
    is_str(grok_fmt_number(buf, 0.1, 0), "0.10000000000000001", "fmt: 0.1");
    is_str(grok_fmt_number(buf, 0.1f, 1), "0.100000001", "fmt: 0.1f as f32");
    is_str(grok_fmt_number(buf, 1e-300, 0), "1e-300", "fmt: 1e-300");
    is_str(grok_fmt_number(buf, -1.7976931348623157e308, 0), "-1.7976931348623157e+308",
           "fmt: -DBL_MAX fits 32 bytes");
    is_str(grok_fmt_number(buf, 3, 0), "3", "fmt: integer");
    is_str(grok_fmt_number(buf, -0.0, 0), "-0", "fmt: negative zero");
    is_str(grok_fmt_number(buf, NAN, 0), "nan", "fmt: nan");
    is_str(grok_fmt_number(buf, -NAN, 0), "nan", "fmt: -nan is nan");
    is_str(grok_fmt_number(buf, -NAN, 1), "nan", "fmt: -nan is nan (f32)");
    is_str(grok_fmt_number(buf, INFINITY, 0), "inf", "fmt: inf");
    is_str(grok_fmt_number(buf, -INFINITY, 1), "-inf", "fmt: -inf");
}

static void test_parse_number(void)
{
    double v = 0;
    ok(grok_parse_number("1.5", &v) && v == 1.5, "parse: 1.5");
    ok(grok_parse_number("-2e3", &v) && v == -2000, "parse: -2e3");
    ok(grok_parse_number("nan", &v) && isnan(v), "parse: nan");
    ok(grok_parse_number("-inf", &v) && isinf(v) && v < 0, "parse: -inf");
    ok(grok_parse_number("infinity", &v) && isinf(v) && v > 0, "parse: infinity");
    ok(grok_parse_number("1e999", &v) && isinf(v), "parse: overflow is inf");
    ok(!grok_parse_number("", &v), "parse: empty");
    ok(!grok_parse_number(" 1", &v), "parse: leading space");
    ok(!grok_parse_number("\n1", &v), "parse: leading newline");
    ok(!grok_parse_number("1 ", &v), "parse: trailing space");
    ok(!grok_parse_number("1x", &v), "parse: trailing characters");
    ok(!grok_parse_number("abc", &v), "parse: text");
}

static void test_metadata_and_comments(void)
{
    struct grok_table *t = rd("# grok-fit output\n"
                              "#  seed :  7  \n"
                              "# url: http://x/y\n"
                              "# see http://x\n"
                              "# 12:30\n"
                              "# empty:\n"
                              "#:nokey\n"
                              "#\n"
                              "step\tloss\n"
                              "# seed: 8\n"
                              "1\t0.5\n"
                              "# another comment\n"
                              "2\t0.25\n");
    if (!ok(t != NULL, "meta: reads"))
        diag("%s", err.msg);
    if (!t)
        return;
    is_int(t->nmeta, 4, "meta: four key-value lines");
    is_str(grok_table_meta(t, "seed"), "8", "meta: last one wins, trimmed");
    is_str(t->meta_val[0], "7", "meta: first value trimmed");
    is_str(grok_table_meta(t, "url"), "http://x/y", "meta: value keeps its colons");
    is_str(grok_table_meta(t, "empty"), "", "meta: empty value");
    ok(grok_table_meta(t, "see http") == NULL, "meta: ':' must be followed by a blank");
    ok(grok_table_meta(t, "12") == NULL, "meta: a time is no key");
    ok(grok_table_meta(t, "nope") == NULL, "meta: absent key");
    ok(grok_table_meta(NULL, "seed") == NULL, "meta: NULL table");
    is_int(t->nrows, 2, "comments: skipped among rows");
    const double *loss = grok_table_num(t, "loss", &err);
    ok(loss && loss[0] == 0.5 && loss[1] == 0.25, "comments: values");
    is_int(grok_table_find(t, "loss"), 1, "find: loss");
    is_int(grok_table_find(t, "nope"), -1, "find: absent");
    grok_table_free(t);
}

static void test_concatenation(void)
{
    struct grok_table *t = rd("# seed: 1\n"
                              "step\tloss\n"
                              "1\t0.5\n"
                              "\n"
                              "# seed: 2\n"
                              "step\tloss\n"
                              "1\t0.75\n"
                              "step\tloss\n");
    if (!ok(t != NULL, "concat: reads"))
        diag("%s", err.msg);
    if (!t)
        return;
    is_int(t->nrows, 2, "concat: repeated headers skipped");
    is_str(grok_table_meta(t, "seed"), "2", "concat: later metadata wins");
    is_str(t->cols[1].text[1], "0.75", "concat: second table's row");
    grok_table_free(t);
}

static void test_crlf_and_blank(void)
{
    struct grok_table *t = rd("\r\n# k: v\r\n\na\tb\r\n1\t2\r\n\r\n3\t4");
    if (!ok(t != NULL, "crlf: reads"))
        diag("%s", err.msg);
    if (!t)
        return;
    is_str(grok_table_meta(t, "k"), "v", "crlf: metadata without \\r");
    is_str(t->cols[1].name, "b", "crlf: last column name without \\r");
    is_int(t->nrows, 2, "crlf: blank lines skipped, last line without newline");
    const double *b = grok_table_num(t, "b", &err);
    ok(b && b[0] == 2 && b[1] == 4, "crlf: values");
    grok_table_free(t);

    t = rd("a\tb\r\n1\t2\r\r\n");
    ok(t != NULL && grok_table_num(t, "b", &err) == NULL, "crlf: only one \\r is stripped");
    is_str(err.msg, "t.tsv: line 2, column 2: bad number '2?' in column 'b'", "crlf: message");
    grok_table_free(t);
}

/* Found by audit: what editors and old systems put in a table. */
static void test_bom_and_cr(void)
{
    struct grok_table *t = rd("\xEF\xBB\xBF# k: v\nstep\tloss\n1\t2\n");
    if (!ok(t != NULL, "BOM: reads"))
        diag("%s", err.msg);
    if (t) {
        is_str(grok_table_meta(t, "k"), "v", "BOM: the first comment is still a comment");
        is_str(t->cols[0].name, "step", "BOM: the header is the first other line");
        is_int(t->nrows, 1, "BOM: one row");
        grok_table_free(t);
    }
    t = rd("\xEF\xBB\xBFstep\tloss\n1\t2\n");
    ok(t && strcmp(t->cols[0].name, "step") == 0 && grok_table_num(t, "step", &err),
       "BOM before the header: the first column is 'step'");
    grok_table_free(t);
    t = rd("a\n\xEF\xBB\xBFx\n");
    ok(t && t->cols[0].type == GROK_COL_TEXT, "a BOM later is text, not skipped");
    grok_table_free(t);

    fails("# k: v\rstep\tloss\r1\t2\r", GROK_EFORMAT,
          "t.tsv: line 1, column 1: carriage return inside a line (CR line endings? "
          "convert them with tr '\\r' '\\n')", "CR line endings, comment first");
    fails("step\tloss\r1\t2\r3\t4\r", GROK_EFORMAT,
          "t.tsv: line 1, column 2: carriage return inside a line (CR line endings? "
          "convert them with tr '\\r' '\\n')", "CR line endings, header first");
    fails("a\tb\n1\t2\r3\t4\n", GROK_EFORMAT,
          "t.tsv: line 2, column 2: carriage return inside a line (CR line endings? "
          "convert them with tr '\\r' '\\n')", "a CR inside a row");
}

static void test_header_only_and_types(void)
{
    struct grok_table *t = rd("x\ty\n");
    ok(t != NULL, "header only: valid");
    if (t) {
        is_int(t->nrows, 0, "header only: 0 rows");
        ok(grok_table_num(t, "y", &err) != NULL, "header only: columns are numeric (and not NULL)");
        grok_table_free(t);
    }

    t = rd("step\tname\tlr\tmixed\n"
           "1\tadam\t0.1\t1\n"
           "2\tsgd\t1e-3\t2\n"
           "3\tsgd\tnan\tabcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ\n"
           "4\t5\t-inf\tlater\n");
    if (!ok(t != NULL, "types: reads"))
        diag("%s", err.msg);
    if (!t)
        return;
    is_int(t->cols[0].type, GROK_COL_NUM, "types: step is NUM");
    is_int(t->cols[1].type, GROK_COL_TEXT, "types: name is TEXT");
    is_int(t->cols[1].bad_line, 2, "types: name's first bad line");
    ok(t->cols[1].num == NULL, "types: TEXT column has no numbers");
    is_int(t->cols[2].type, GROK_COL_NUM, "types: nan and -inf are numbers");
    is_int(t->cols[3].type, GROK_COL_TEXT, "types: mixed is TEXT");
    is_int(t->cols[3].bad_line, 4, "types: mixed's first bad line");
    memset(&err, 0, sizeof err);
    ok(grok_table_num(t, "name", &err) == NULL, "num: TEXT column fails");
    is_int(err.code, GROK_EFORMAT, "num: TEXT code");
    is_str(err.msg, "t.tsv: line 2, column 2: bad number 'adam' in column 'name'", "num: message");
    grok_table_num(t, "mixed", &err);
    is_str(err.msg,
           "t.tsv: line 4, column 4: bad number 'abcdefghijklmnopqrstuvwxyz0123456789ABCD...' "
           "in column 'mixed'",
           "num: long field truncated");
    memset(&err, 0, sizeof err);
    ok(grok_table_num(t, "x", &err) == NULL, "num: missing column fails");
    is_int(err.code, GROK_ENOTFOUND, "num: missing code");
    is_str(err.msg, "t.tsv: no column 'x'", "num: missing message");
    const double *lr = grok_table_num(t, "lr", &err);
    ok(lr && lr[1] == 1e-3 && isnan(lr[2]) && isinf(lr[3]), "num: lr values");
    grok_table_free(t);

    t = rd("a\n\"x\x01\"\n");
    grok_table_num(t, "a", &err);
    is_str(err.msg, "t.tsv: line 2, column 1: bad number '\"x?\"' in column 'a'",
           "num: control characters quoted as '?'");
    grok_table_free(t);

    /* A multibyte character is not cut in half: 39 ASCII bytes, then "é" across bytes 40-41. */
    t = rd("a\n123456789012345678901234567890123456789\xc3\xa9z\n");
    grok_table_num(t, "a", &err);
    is_str(err.msg,
           "t.tsv: line 2, column 1: bad number '123456789012345678901234567890123456789...' "
           "in column 'a'",
           "num: truncation at a character boundary");
    grok_table_free(t);
}

static void test_errors(void)
{
    fails("", GROK_EFORMAT, "t.tsv: empty input", "empty");
    fails("\n\r\n\n", GROK_EFORMAT, "t.tsv: empty input", "only blank lines");
    fails("# k: v\n# c\n", GROK_EFORMAT, "t.tsv: no header line (only comments)", "only comments");
    fails("1\t2.5\tnan\n3\t4\t5\n", GROK_EFORMAT,
          "t.tsv: line 1: missing header (the first line is numbers)", "header of numbers");
    fails("# c\n-inf\n", GROK_EFORMAT, "t.tsv: line 2: missing header (the first line is numbers)",
          "header of numbers after a comment");
    fails("a\t\tb\n", GROK_EFORMAT, "t.tsv: line 1, column 2: empty column name", "empty name");
    fails("a\tb\t\n", GROK_EFORMAT, "t.tsv: line 1, column 3: empty column name",
          "empty name (trailing tab)");
    fails("a\ty\tx\tx\ty\n", GROK_EFORMAT, "t.tsv: line 1, column 4: duplicate column name 'x'",
          "duplicate name: leftmost repeat");
    fails("x\ta\tx\n", GROK_EFORMAT, "t.tsv: line 1, column 3: duplicate column name 'x'",
          "duplicate name");
    /* The column of the first missing or first extra field. */
    fails("a\tb\tc\td\n1\t2\t3\t4\n# c\n1\t2\t3\n", GROK_EFORMAT,
          "t.tsv: line 4, column 4: 3 fields, the header has 4", "too few fields");
    fails("a\tb\n1\t2\t3\n", GROK_EFORMAT, "t.tsv: line 2, column 3: 3 fields, the header has 2",
          "too many fields");
    fails("a\tb\n1\n", GROK_EFORMAT, "t.tsv: line 2, column 2: 1 field, the header has 2",
          "one field");
    fails("a\tb\n1\t2\t3\t4\t5\n", GROK_EFORMAT,
          "t.tsv: line 2, column 3: 5 fields, the header has 2", "many extra fields");
    fails_len("a\tb\n1\t2\n3\t4\n5\t\0\n", 15, GROK_EFORMAT, "t.tsv: line 4, column 2: NUL byte",
              "NUL byte");
    fails_len("# c\0\n", 5, GROK_EFORMAT, "t.tsv: line 1, column 1: NUL byte", "NUL in a comment");
    fails_len("\0", 1, GROK_EFORMAT, "t.tsv: line 1, column 1: NUL byte", "lone NUL");

    /* A read error: a stream open for writing only. */
    FILE *f = fopen("/dev/null", "w");
    if (f) {
        memset(&err, 0, sizeof err);
        struct grok_table *t = grok_table_read(f, "w.tsv", &err);
        ok(t == NULL, "read error: fails");
        is_int(err.code, GROK_EIO, "read error: code");
        if (!ok(strncmp(err.msg, "w.tsv: line 1: read error: ", 27) == 0, "read error: message"))
            diag("%s", err.msg);
        grok_table_free(t);
        fclose(f);
    }
    ok(grok_table_read_mem("", 0, "x", NULL) == NULL, "err may be NULL");
}

static void test_long_lines(void)
{
    size_t max = GROK_TSV_MAX_LINE;
    char *buf = malloc(max + 16);
    if (!buf) {
        ok(0, "long lines: malloc");
        return;
    }
    /* A row of exactly GROK_TSV_MAX_LINE bytes is accepted... */
    memcpy(buf, "a\n", 2);
    memset(buf + 2, '7', max);
    buf[2 + max] = '\n';
    struct grok_table *t;
    memset(&err, 0, sizeof err);
    t = grok_table_read_mem(buf, max + 3, "t.tsv", &err);
    if (!ok(t != NULL && t->nrows == 1 && strlen(t->cols[0].text[0]) == max,
            "long lines: exactly the limit is accepted"))
        diag("%s", err.msg);
    grok_table_free(t);
    /* ...one more byte is not, with or without a final newline. */
    memset(buf + 2, 'x', max + 1);
    buf[3 + max] = '\n';
    fails_len(buf, max + 4, GROK_EFORMAT, "t.tsv: line 2: longer than 16777216 bytes",
              "long lines: limit + 1");
    fails_len(buf, max + 3, GROK_EFORMAT, "t.tsv: line 2: longer than 16777216 bytes",
              "long lines: limit + 1 at the end of input");
    free(buf);
}

/* Each row knows its input line, through comments, a repeated header and CRLF endings. */
static void test_row_lines(void)
{
    static const char text[] = "# run: a\nx\ty\n1\t2\r\n# again\nx\ty\n3\t4\n5\t6\n";
    struct grok_table *t = grok_table_read_mem(text, sizeof text - 1, "lines", NULL);
    ok(t && t->nrows == 3, "three rows");
    ok(t && t->line[0] == 3 && t->line[1] == 6 && t->line[2] == 7, "rows from lines 3, 6, 7");
    grok_table_free(t);
}

int main(void)
{
    test_row_lines();
    test_round_trip();
    test_writer_text();
    test_fmt_number();
    test_parse_number();
    test_metadata_and_comments();
    test_concatenation();
    test_crlf_and_blank();
    test_bom_and_cr();
    test_header_only_and_types();
    test_errors();
    test_long_lines();
    grok_table_free(NULL);
    ok(1, "grok_table_free(NULL)");
    return done_testing();
}
