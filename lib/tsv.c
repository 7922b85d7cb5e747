/* Tables: reading and writing tab-separated text (DESIGN.md, "Tables"; contracts in grok/tsv.h).
 *
 * Reader rules beyond the header's contract:
 * - A line that is completely empty (after dropping one trailing '\r') is skipped wherever it
 *   occurs: before the header, among comments and among rows. So a trailing blank line or a
 *   blank line between two concatenated tables is harmless; the price is that a one-column
 *   table cannot hold an empty field.
 * - A comment becomes metadata when it reads `#`, optional blanks, a key, ':' followed by a
 *   blank or the end of the line, then the value; key and value are trimmed of blanks and the
 *   key must not be empty. Requiring the blank after ':' keeps `# see http://x` and
 *   `# 12:30` plain comments; a value may itself hold ':' (`# url: http://x`).
 * - A NUL byte anywhere, in comments too, is an error: the text is not a table.
 * - A UTF-8 byte-order mark at the start of the input is skipped.
 * - A carriage return followed by more text in the line is an error: the input has CR line
 *   endings (all of it reads as line 1) or mixes them in; no table of grok's holds one.
 * - Line numbers count every physical line (comments and blank ones included); column
 *   numbers count fields from 1.
 * - A line's length is counted without its '\n' (a trailing '\r' counts). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* fmemopen, flockfile, getc_unlocked, strdup */
#endif

#include "grok/tsv.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Field text quoted in messages is cut to this many bytes, then "...". */
#define QUOTE_MAX 40

/* Copies s into dst (at least QUOTE_MAX + 4 bytes) for quoting in an error message: cut to
 * QUOTE_MAX bytes, at a UTF-8 character boundary, with "..." appended; control characters
 * become '?' so that the message stays one printable line. */
static const char *quote(char *dst, const char *s)
{
    size_t n = strlen(s);
    int cut = n > QUOTE_MAX;
    if (cut) {
        n = QUOTE_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) /* s[n] continues a character */
            n--;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[i] = (c < 0x20 || c == 0x7F) ? '?' : (char)c;
    }
    if (cut)
        memcpy(dst + n, "...", 3), n += 3;
    dst[n] = '\0';
    return dst;
}

int grok_parse_number(const char *s, double *out)
{
    /* strtod skips leading white space itself; a field " 1" is not a number in a TSV file. */
    if (!s || !*s || s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r'))
        return 0;
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end != '\0')
        return 0;
    *out = v;
    return 1;
}

/* ---- reader ---- */

struct reader {
    FILE *f;
    const char *src;
    struct grok_err *err;
    char *buf;          /* the current line, '\0'-terminated, without its '\n' */
    size_t len, cap;
    size_t lineno;      /* 1-based number of the current line */
    size_t rowcap;      /* capacity of every column's text and num arrays */
};

static int oom(struct reader *r)
{
    return grok_err_set(r->err, GROK_ENOMEM, "%s: out of memory", r->src);
}

/* Reads the next line into r->buf. Returns 1, 0 at the end of input, or a negative status.
 * Reads byte by byte rather than with getline so that a huge line is refused at
 * GROK_TSV_MAX_LINE instead of allocated, and so that a NUL byte is seen. */
static int read_line(struct reader *r)
{
    int c;
    r->len = 0;
    r->lineno++;
    while ((c = getc_unlocked(r->f)) != EOF && c != '\n') {
        if (c == '\0') {
            size_t col = 1;
            for (size_t i = 0; i < r->len; i++)
                col += r->buf[i] == '\t';
            return grok_err_set(r->err, GROK_EFORMAT, "%s: line %zu, column %zu: NUL byte",
                                r->src, r->lineno, col);
        }
        if (r->len == GROK_TSV_MAX_LINE)
            return grok_err_set(r->err, GROK_EFORMAT, "%s: line %zu: longer than %zu bytes",
                                r->src, r->lineno, GROK_TSV_MAX_LINE);
        if (r->len + 2 > r->cap) { /* room for this byte and the final '\0' */
            size_t cap = r->cap ? 2 * r->cap : 256;
            if (cap > GROK_TSV_MAX_LINE + 1)
                cap = GROK_TSV_MAX_LINE + 1;
            char *p = realloc(r->buf, cap);
            if (!p)
                return oom(r);
            r->buf = p;
            r->cap = cap;
        }
        r->buf[r->len++] = (char)c;
    }
    if (c == EOF) {
        if (ferror(r->f))
            return grok_err_set(r->err, GROK_EIO, "%s: line %zu: read error: %s", r->src,
                                r->lineno, strerror(errno));
        if (r->len == 0)
            return 0;
    }
    if (!r->buf) { /* an empty line before any other: no buffer yet */
        r->buf = malloc(256);
        if (!r->buf)
            return oom(r);
        r->cap = 256;
    }
    r->buf[r->len] = '\0';
    return 1;
}

/* Refuses a carriage return with more text after it in the line s (n bytes): a file with CR
 * line endings reads as one line, whose first field would otherwise pass for a comment or a
 * header. A CR at the end (CR CR LF) stays in the last field, as a bad number. */
static int check_cr(struct reader *r, const char *s, size_t n)
{
    const char *cr = memchr(s, '\r', n);
    size_t end = n;
    while (end > 0 && s[end - 1] == '\r')
        end--;
    if (!cr || cr >= s + end)
        return GROK_OK;
    size_t col = 1;
    for (const char *p = s; p < cr; p++)
        col += *p == '\t';
    return grok_err_set(r->err, GROK_EFORMAT,
                        "%s: line %zu, column %zu: carriage return inside a line (CR line endings? "
                        "convert them with tr '\\r' '\\n')", r->src, r->lineno, col);
}

static size_t count_fields(const char *s)
{
    size_t n = 1;
    for (; *s; s++)
        n += *s == '\t';
    return n;
}

/* Cuts s at the next tab: returns the field start and advances *s past the tab (or to NULL
 * after the last field). */
static char *next_field(char **s)
{
    char *f = *s, *tab = strchr(f, '\t');
    if (tab) {
        *tab = '\0';
        *s = tab + 1;
    } else {
        *s = NULL;
    }
    return f;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Handles a comment line s (starting with '#'): records `# key: value` as metadata. */
static int add_meta(struct reader *r, struct grok_table *t, char *s)
{
    char *key = s + 1, *colon = key;
    while (is_blank(*key))
        key++;
    while ((colon = strchr(colon, ':')) && colon[1] && !is_blank(colon[1]))
        colon++;
    if (!colon)
        return GROK_OK;
    char *kend = colon, *val = colon + 1;
    while (kend > key && is_blank(kend[-1]))
        kend--;
    if (kend == key)
        return GROK_OK;
    *kend = '\0';
    while (is_blank(*val))
        val++;
    char *vend = val + strlen(val);
    while (vend > val && is_blank(vend[-1]))
        vend--;
    *vend = '\0';

    if (t->nmeta == INT_MAX)
        return grok_err_set(r->err, GROK_EFORMAT, "%s: line %zu: too many metadata lines",
                            r->src, r->lineno);
    /* The arrays hold exactly nmeta entries rounded up to a power of two, so they grow when
     * nmeta reaches one (0, 1, 2, 4, ...) and no separate capacity is needed. */
    int n = t->nmeta;
    if ((n & (n - 1)) == 0) {
        size_t cap = n ? 2 * (size_t)n : 1;
        char **k = realloc(t->meta_key, cap * sizeof *k);
        if (!k)
            return oom(r);
        t->meta_key = k;
        char **v = realloc(t->meta_val, cap * sizeof *v);
        if (!v)
            return oom(r);
        t->meta_val = v;
    }
    char *kc = strdup(key), *vc = strdup(val);
    if (!kc || !vc) {
        free(kc);
        free(vc);
        return oom(r);
    }
    t->meta_key[n] = kc;
    t->meta_val[n] = vc;
    t->nmeta = n + 1;
    return GROK_OK;
}

struct name_ix {
    const char *name;
    int ix;
};

static int cmp_name_ix(const void *a, const void *b)
{
    const struct name_ix *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->ix > y->ix) - (x->ix < y->ix);
}

/* Reports the leftmost column whose name appeared before it. Sorting makes this
 * O(n log n): a header may legitimately have thousands of columns (one per parameter). */
static int check_duplicates(struct reader *r, const struct grok_table *t)
{
    int n = t->ncols, dup = -1;
    struct name_ix *v = malloc((size_t)n * sizeof *v);
    if (!v)
        return oom(r);
    for (int i = 0; i < n; i++)
        v[i] = (struct name_ix){t->cols[i].name, i};
    qsort(v, (size_t)n, sizeof *v, cmp_name_ix);
    for (int i = 1; i < n; i++)
        if (strcmp(v[i].name, v[i - 1].name) == 0 && (dup < 0 || v[i].ix < dup))
            dup = v[i].ix; /* v[i - 1] is an earlier column of the same name */
    free(v);
    if (dup < 0)
        return GROK_OK;
    char q[QUOTE_MAX + 4];
    return grok_err_set(r->err, GROK_EFORMAT, "%s: line %zu, column %d: duplicate column name '%s'",
                        r->src, r->lineno, dup + 1, quote(q, t->cols[dup].name));
}

/* Makes the line s the header: one column per field, each with room for rowcap rows. */
static int set_header(struct reader *r, struct grok_table *t, char *s)
{
    size_t nf = count_fields(s); /* at most GROK_TSV_MAX_LINE + 1, so it fits an int */
    t->cols = calloc(nf, sizeof *t->cols);
    if (!t->cols)
        return oom(r);
    t->ncols = (int)nf;
    r->rowcap = 16;
    if (!(t->line = malloc(r->rowcap * sizeof *t->line)))
        return oom(r);
    int all_numbers = 1;
    for (int i = 0; i < t->ncols; i++) {
        struct grok_column *c = &t->cols[i];
        char *f = next_field(&s);
        double v;
        all_numbers &= grok_parse_number(f, &v);
        c->type = GROK_COL_NUM;
        c->name = strdup(f);
        c->text = malloc(r->rowcap * sizeof *c->text);
        c->num = malloc(r->rowcap * sizeof *c->num);
        if (!c->name || !c->text || !c->num)
            return oom(r);
    }
    if (all_numbers)
        return grok_err_set(r->err, GROK_EFORMAT,
                            "%s: line %zu: missing header (the first line is numbers)", r->src,
                            r->lineno);
    for (int i = 0; i < t->ncols; i++)
        if (!t->cols[i].name[0])
            return grok_err_set(r->err, GROK_EFORMAT, "%s: line %zu, column %d: empty column name",
                                r->src, r->lineno, i + 1);
    return check_duplicates(r, t);
}

/* Appends the line s as one row. */
static int add_row(struct reader *r, struct grok_table *t, char *s)
{
    size_t nf = count_fields(s);
    /* The column named is the first extra field, or the first missing one. */
    if (nf != (size_t)t->ncols)
        return grok_err_set(r->err, GROK_EFORMAT,
                            "%s: line %zu, column %zu: %zu field%s, the header has %d", r->src,
                            r->lineno, (nf > (size_t)t->ncols ? (size_t)t->ncols : nf) + 1, nf,
                            nf == 1 ? "" : "s", t->ncols);
    if (t->nrows == r->rowcap) {
        if (r->rowcap > SIZE_MAX / 2 / sizeof(double))
            return oom(r);
        size_t cap = 2 * r->rowcap;
        /* A column that grows before a later one fails is merely larger than needed. */
        for (int i = 0; i < t->ncols; i++) {
            struct grok_column *c = &t->cols[i];
            char **tx = realloc(c->text, cap * sizeof *tx);
            if (!tx)
                return oom(r);
            c->text = tx;
            if (c->num) {
                double *nu = realloc(c->num, cap * sizeof *nu);
                if (!nu)
                    return oom(r);
                c->num = nu;
            }
        }
        size_t *ln = realloc(t->line, cap * sizeof *ln);
        if (!ln)
            return oom(r);
        t->line = ln;
        r->rowcap = cap;
    }
    size_t row = t->nrows;
    t->line[row] = r->lineno;
    for (int i = 0; i < t->ncols; i++) {
        struct grok_column *c = &t->cols[i];
        char *f = next_field(&s);
        if (!(c->text[row] = strdup(f))) {
            while (i-- > 0)
                free(t->cols[i].text[row]);
            return oom(r);
        }
        if (c->type == GROK_COL_NUM && !grok_parse_number(f, &c->num[row])) {
            c->type = GROK_COL_TEXT;
            c->bad_line = r->lineno;
            free(c->num);
            c->num = NULL;
        }
    }
    t->nrows = row + 1;
    return GROK_OK;
}

struct grok_table *grok_table_read(FILE *f, const char *name, struct grok_err *err)
{
    if (!name)
        name = "input";
    struct grok_table *t = calloc(1, sizeof *t);
    if (!t || !(t->source = strdup(name))) {
        free(t);
        grok_err_set(err, GROK_ENOMEM, "%s: out of memory", name);
        return NULL;
    }
    struct reader r = {.f = f, .src = t->source, .err = err};
    char *header = NULL; /* the header line as read, to skip its repeats */
    size_t header_len = 0;
    int seen_comment = 0, rc;

    flockfile(f); /* once for the whole table, so read_line can use getc_unlocked */
    while ((rc = read_line(&r)) > 0) {
        char *s = r.buf;
        size_t n = r.len;
        /* A byte-order mark that an editor put at the start is no part of the first line. */
        if (r.lineno == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
            s += 3, n -= 3;
        if (n > 0 && s[n - 1] == '\r')
            s[--n] = '\0';
        if (n == 0)
            continue;
        if ((rc = check_cr(&r, s, n)) < 0)
            break;
        if (s[0] == '#') {
            seen_comment = 1;
            rc = add_meta(&r, t, s);
        } else if (!header) {
            if (!(header = malloc(n + 1))) {
                rc = oom(&r);
                break;
            }
            memcpy(header, s, n + 1);
            header_len = n;
            rc = set_header(&r, t, s);
        } else if (n == header_len && memcmp(s, header, n) == 0) {
            continue;
        } else {
            rc = add_row(&r, t, s);
        }
        if (rc < 0)
            break;
    }
    funlockfile(f);
    if (rc == 0 && !header)
        rc = grok_err_set(err, GROK_EFORMAT, seen_comment ? "%s: no header line (only comments)"
                                                          : "%s: empty input", t->source);
    free(header);
    free(r.buf);
    if (rc < 0) {
        grok_table_free(t);
        return NULL;
    }
    return t;
}

struct grok_table *grok_table_read_mem(const char *buf, size_t len, const char *name,
                                       struct grok_err *err)
{
    if (!name)
        name = "input";
    /* fmemopen may refuse a zero-sized buffer; an empty buffer is simply empty input. */
    if (len == 0) {
        grok_err_set(err, GROK_EFORMAT, "%s: empty input", name);
        return NULL;
    }
    FILE *f = fmemopen((void *)buf, len, "r"); /* read-only: buf is never written */
    if (!f) {
        grok_err_set(err, errno == ENOMEM ? GROK_ENOMEM : GROK_EIO, "%s: cannot read buffer: %s",
                     name, strerror(errno));
        return NULL;
    }
    struct grok_table *t = grok_table_read(f, name, err);
    fclose(f);
    return t;
}

void grok_table_free(struct grok_table *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->ncols; i++) {
        struct grok_column *c = &t->cols[i];
        if (c->text)
            for (size_t j = 0; j < t->nrows; j++)
                free(c->text[j]);
        free(c->text);
        free(c->num);
        free(c->name);
    }
    free(t->cols);
    free(t->line);
    for (int i = 0; i < t->nmeta; i++) {
        free(t->meta_key[i]);
        free(t->meta_val[i]);
    }
    free(t->meta_key);
    free(t->meta_val);
    free(t->source);
    free(t);
}

int grok_table_find(const struct grok_table *t, const char *name)
{
    if (!t || !name)
        return -1;
    for (int i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0)
            return i;
    return -1;
}

const double *grok_table_num(const struct grok_table *t, const char *name, struct grok_err *err)
{
    char q[QUOTE_MAX + 4], qn[QUOTE_MAX + 4];
    int i = grok_table_find(t, name);
    if (i < 0) {
        grok_err_set(err, GROK_ENOTFOUND, "%s: no column '%s'", t && t->source ? t->source : "table",
                     quote(qn, name ? name : ""));
        return NULL;
    }
    const struct grok_column *c = &t->cols[i];
    if (c->type == GROK_COL_NUM && c->num)
        return c->num;
    /* Only the line of the first bad field is kept; its text is found again by parsing. */
    const char *bad = "";
    double v;
    for (size_t j = 0; j < t->nrows; j++)
        if (!grok_parse_number(c->text[j], &v)) {
            bad = c->text[j];
            break;
        }
    grok_err_set(err, GROK_EFORMAT, "%s: line %zu, column %d: bad number '%s' in column '%s'",
                 t->source, c->bad_line, i + 1, quote(q, bad), quote(qn, c->name));
    return NULL;
}

const char *grok_table_meta(const struct grok_table *t, const char *key)
{
    if (!t || !key)
        return NULL;
    for (int i = t->nmeta - 1; i >= 0; i--)
        if (strcmp(t->meta_key[i], key) == 0)
            return t->meta_val[i];
    return NULL;
}

/* ---- writer ---- */

char *grok_fmt_number(char *buf, double v, int is_f32)
{
    /* printf may write "-nan" for a NaN with its sign bit set; the format has one "nan". */
    if (isnan(v))
        strcpy(buf, "nan");
    else if (isinf(v))
        strcpy(buf, v > 0 ? "inf" : "-inf");
    else
        snprintf(buf, 32, is_f32 ? "%.9g" : "%.17g", v);
    return buf;
}

char *grok_fmt_shortest(char *buf, double v, int is_f32)
{
    if (!isfinite(v))
        return grok_fmt_number(buf, v, is_f32);
    /* printf has no shortest round-trip conversion: the fewest digits that read back as v. */
    int prec = 1, most = is_f32 ? 9 : 17;
    for (; prec < most; prec++) {
        snprintf(buf, 32, "%.*g", prec, v);
        double back = strtod(buf, NULL);
        if (is_f32 ? (float)back == (float)v : back == v)
            break;
    }
    /* Enough digits for the integer part, so that 10 is "10" rather than "1e+01". */
    int whole = fabs(v) >= 1 ? (int)floor(log10(fabs(v))) + 1 : 0;
    snprintf(buf, 32, "%.*g", whole > prec && whole <= most ? whole : prec, v);
    return buf;
}

void grok_tsv_init(struct grok_tsv_writer *w, FILE *f)
{
    w->f = f;
    w->col = 0;
}

/* Writes s with every byte of `bad` replaced by a space. */
static void put_clean(FILE *f, const char *s, const char *bad)
{
    while (*s) {
        size_t n = strcspn(s, bad);
        fwrite(s, 1, n, f);
        s += n;
        if (*s) {
            putc(' ', f);
            s++;
        }
    }
}

void grok_tsv_meta(struct grok_tsv_writer *w, const char *key, const char *value)
{
    fputs("# ", w->f);
    put_clean(w->f, key ? key : "", "\r\n");
    fputs(": ", w->f);
    put_clean(w->f, value ? value : "", "\r\n");
    putc('\n', w->f);
}

static void sep(struct grok_tsv_writer *w)
{
    if (w->col++ > 0)
        putc('\t', w->f);
}

void grok_tsv_str(struct grok_tsv_writer *w, const char *s)
{
    sep(w);
    put_clean(w->f, s ? s : "", "\t\r\n");
}

void grok_tsv_f32(struct grok_tsv_writer *w, float v)
{
    char buf[32];
    sep(w);
    fputs(grok_fmt_number(buf, v, 1), w->f);
}

void grok_tsv_f64(struct grok_tsv_writer *w, double v)
{
    char buf[32];
    sep(w);
    fputs(grok_fmt_number(buf, v, 0), w->f);
}

void grok_tsv_i64(struct grok_tsv_writer *w, long long v)
{
    sep(w);
    fprintf(w->f, "%lld", v);
}

void grok_tsv_end_row(struct grok_tsv_writer *w)
{
    putc('\n', w->f);
    w->col = 0;
}
