/* Atomic output files: write a temporary file in the destination's folder, rename on success.
 * A reader of the destination sees either the old file (or none) or the complete new one. */
#ifndef GROK_ATOMIC_H
#define GROK_ATOMIC_H

#include "grok/err.h"

struct grok_atomic {
    char *dest;     /* final path */
    char *tmp;      /* temporary path beside it: "<dir>/.<base>.tmpXXXXXX" */
    int fd;         /* open descriptor of tmp, or -1 */
};

/* Creates the temporary file for dest; a->fd is open on it for writing. Fails with GROK_EIO
 * naming dest when its folder cannot hold a new file. */
int grok_atomic_begin(struct grok_atomic *a, const char *dest, struct grok_err *err);

/* Syncs and closes the temporary file, gives it the permissions a new file would get, and
 * renames it onto dest. The temporary file is removed on failure. */
int grok_atomic_commit(struct grok_atomic *a, struct grok_err *err);

/* Removes the temporary file and frees a; safe after commit or on a zeroed struct. */
void grok_atomic_abort(struct grok_atomic *a);

#endif
