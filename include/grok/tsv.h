/* Tables: tab-separated text with `# key: value` metadata (DESIGN.md, "Tables").
 *
 * Reading returns every column by name, with its fields as text and, where every field is a
 * number, as doubles. Writing prints fields in the toolkit's number formats:
 * %.9g for float32 data, %.17g for double, "nan", "inf", "-inf".
 *
 * Owns: struct grok_table (a table read), the writer's state and the number formats. Calls only
 * libc. Called by input, runlist and runtable, events and every analysis's run module, and
 * train_session (the metrics table). */
#ifndef GROK_TSV_H
#define GROK_TSV_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>
#include <stdio.h>

#include "grok/err.h"

/* A line longer than this is an error rather than an allocation of any size. */
#define GROK_TSV_MAX_LINE ((size_t)16 << 20)

enum grok_col_type {
    GROK_COL_NUM,  /* every field parsed as a number (strtod, whole field, C locale) */
    GROK_COL_TEXT, /* at least one field did not */
};

struct grok_column {
    char *name;
    enum grok_col_type type;
    char **text;       /* (nrows) the fields as written */
    double *num;       /* (nrows) parsed values; NULL for a TEXT column */
    size_t bad_line;   /* TEXT columns: input line (1-based) of the first field that is not a number */
};

struct grok_table {
    int ncols;
    size_t nrows;
    struct grok_column *cols;  /* (ncols) in header order */
    size_t *line;              /* (nrows) the input line (1-based) each row came from */
    int nmeta;
    char **meta_key;           /* (nmeta) from `# key: value` lines, in input order */
    char **meta_val;           /* (nmeta) */
    char *source;              /* the name given to the reader, for error messages */
};

/* Reads a whole table from f. `name` names the source in error messages ("run.tsv",
 * "stdin"). Comment lines start with '#'; those of the form `# key: value` become metadata.
 * The first other line is the header; a later line identical to it is skipped, so tables
 * concatenate. A CRLF line ending is accepted as LF, and a UTF-8 byte-order mark at the start
 * is skipped. Returns a table the caller frees with grok_table_free, or NULL with err naming
 * line and column: empty input, no header, a header of numbers (missing header), empty or
 * duplicate column names, a row with more or fewer fields than the header (the column of the
 * first extra or missing field), a carriage return inside a line (CR line endings), a line
 * longer than GROK_TSV_MAX_LINE, a NUL byte, a read error. */
struct grok_table *grok_table_read(FILE *f, const char *name, struct grok_err *err);

/* The same over a buffer in memory (the fuzz target's entry point). */
struct grok_table *grok_table_read_mem(const char *buf, size_t len, const char *name,
                                       struct grok_err *err);

/* Frees a table; NULL is accepted. */
void grok_table_free(struct grok_table *t);

/* Index of the column called `name`, or -1. */
int grok_table_find(const struct grok_table *t, const char *name);

/* The numbers of column `name` (nrows of them; borrowed, valid until the table is freed).
 * NULL with err when there is no such column, or when a field is not a number: the error
 * names the source, line, column number and name, and the field. */
const double *grok_table_num(const struct grok_table *t, const char *name, struct grok_err *err);

/* The value of metadata `key` (borrowed), or NULL when absent. The last one wins. */
const char *grok_table_meta(const struct grok_table *t, const char *key);

/* Parses a whole field as a number: 1 and *out set, or 0 (empty, leading space, trailing
 * characters). Accepts what strtod accepts in the C locale, including nan and inf. */
int grok_parse_number(const char *s, double *out);

/* Writer: fields are separated by one tab, rows end with '\n'. Tabs, CR and LF inside a
 * text field are written as spaces so that the table stays well formed. Write errors are
 * sticky in the FILE; check ferror (or fclose) at the end. */
struct grok_tsv_writer {
    FILE *f;
    int col;            /* fields written in the current row */
};

void grok_tsv_init(struct grok_tsv_writer *w, FILE *f);
void grok_tsv_meta(struct grok_tsv_writer *w, const char *key, const char *value);
void grok_tsv_str(struct grok_tsv_writer *w, const char *s);
void grok_tsv_f32(struct grok_tsv_writer *w, float v);
void grok_tsv_f64(struct grok_tsv_writer *w, double v);
void grok_tsv_i64(struct grok_tsv_writer *w, long long v);
void grok_tsv_end_row(struct grok_tsv_writer *w);

/* Formats v as the writer would (%.17g, or %.9g when `is_f32`; "nan", "inf", "-inf") into
 * buf of at least 32 bytes; returns buf. */
char *grok_fmt_number(char *buf, double v, int is_f32);

/* Formats v with the fewest significant digits that read back (strtod) as the same double, or
 * the same float when `is_f32` ("0.003", not %.17g's "0.0030000000000000001"), into buf of at
 * least 32 bytes; returns buf. For settings and other values a person reads. */
char *grok_fmt_shortest(char *buf, double v, int is_f32);
#ifdef __cplusplus
}
#endif

#endif
