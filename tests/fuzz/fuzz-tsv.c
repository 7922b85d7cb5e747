/* libFuzzer target for the TSV reader: any bytes must give a table or an error, never a crash,
 * a leak or undefined behaviour. A table read must answer grok_table_num for every column
 * (numbers, or an error naming the bad field) and grok_table_meta for every key.
 * Build and run: make fuzz (FUZZ_SECONDS=600 for a longer run). */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "grok/tsv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct grok_err err = {0};
    struct grok_table *t = grok_table_read_mem((const char *)data, size, "fuzz.tsv", &err);
    if (!t) {
        /* Every failure says why, on one line. */
        if (err.code == GROK_OK || err.msg[0] == '\0' || strchr(err.msg, '\n'))
            __builtin_trap();
        return 0;
    }
    for (int i = 0; i < t->ncols; i++) {
        const struct grok_column *c = &t->cols[i];
        const double *v = grok_table_num(t, c->name, &err);
        /* A column's numbers are there exactly when it is typed NUM. */
        if ((v != NULL) != (c->type == GROK_COL_NUM))
            __builtin_trap();
        if (c->type == GROK_COL_TEXT && (c->bad_line == 0 || c->num))
            __builtin_trap();
        for (size_t j = 0; j < t->nrows; j++) {
            double x;
            if (strchr(c->text[j], '\t') || strchr(c->text[j], '\n'))
                __builtin_trap();
            /* Each number is its field's text parsed. */
            if (v && !(grok_parse_number(c->text[j], &x) && (x == v[j] || (isnan(x) && isnan(v[j])))))
                __builtin_trap();
        }
    }
    for (int i = 0; i < t->nmeta; i++)
        if (!grok_table_meta(t, t->meta_key[i]))
            __builtin_trap();
    grok_table_meta(t, "absent");
    grok_table_free(t);
    return 0;
}
