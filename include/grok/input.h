/* A program's input when it may be a run or a table (grok-fit): the format is told from the
 * content, never from the name (DESIGN.md, "How every program behaves").
 *
 * Owns: struct grok_input and the choice between run and table. Calls: stream (reading the
 * input whole, the HDF5 signature), run (opening the bytes as a run), tsv (parsing them as a
 * table). Called by grok-fit's main; events and fit_run take the opened inputs. */
#ifndef GROK_INPUT_H
#define GROK_INPUT_H

#ifdef __cplusplus
extern "C" {
#endif

#include "grok/err.h"
#include "grok/run.h"
#include "grok/tsv.h"

struct grok_input {
    const char *name;            /* the path as given, or "stdin" (borrowed) */
    struct grok_run *run;        /* the input when it is a run, else NULL */
    struct grok_table *table;    /* the input when it is a table, else NULL */
};

/* Opens the input at path (NULL or "-": standard input). An HDF5 file is opened in place; a
 * stream (a pipe, a FIFO) is read whole and becomes a run held in memory when it carries
 * HDF5's signature, a table otherwise. Exactly one of in->run and in->table is set on success;
 * on failure err names the input (its errors as grok_run_open's or grok_table_read's). */
int grok_input_open(struct grok_input *in, const char *path, struct grok_err *err);

/* Closes what grok_input_open opened; in may be NULL or zeroed. */
void grok_input_close(struct grok_input *in);

#ifdef __cplusplus
}
#endif

#endif
