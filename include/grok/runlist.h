/* runlist: a run's contents as a flat list — every dataset and every attribute under a path,
 * with its type, shape and (for attributes) its value as text, the rows of grok-snap -l. Owns
 * struct grok_entry and the walk. Calls run (through its private HDF5 side, lib/run_h5.h) and
 * tsv (number formatting); called by runtable (the listing as a table) only. */
#ifndef GROK_RUNLIST_H
#define GROK_RUNLIST_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#include "grok/array.h"
#include "grok/err.h"
#include "grok/run.h"

/* One dataset or attribute in a run, as listed by grok_run_list. */
struct grok_entry {
    char *path;                    /* dataset path, or the object an attribute is attached to */
    char *attr;                    /* NULL for a dataset; the attribute's name otherwise */
    enum grok_dtype dtype;
    char type_name[16];            /* "float32", "int64", "string", ... */
    int rank;
    size_t shape[GROK_MAX_RANK];
    char *value;                   /* attributes only: the value as text (TSV number format) */
};

/* Every dataset at or under `path` ("/" for the whole run) and every attribute of every object
 * there, in path order, as a malloc'd array (free with grok_entries_free, which accepts NULL).
 * GROK_ENOTFOUND when nothing is at path, GROK_EFORMAT when the file cannot be walked. */
int grok_run_list(struct grok_run *run, const char *path, struct grok_entry **entries, size_t *n,
                  struct grok_err *err);
void grok_entries_free(struct grok_entry *entries, size_t n);

#ifdef __cplusplus
}
#endif

#endif
