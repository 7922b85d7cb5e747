/* Atomic output files: write a temporary file in the destination's folder, rename on success.
 * A reader of the destination sees either the old file (or none) or the complete new one.
 *
 * A destination that is a symbolic link is followed: the file it names is replaced, in that
 * file's folder, and the link stays. A destination that exists and is not a regular file (a
 * FIFO, /dev/null, a terminal) is never replaced: the output is still written to a temporary
 * file, in $TMPDIR (or /tmp), and copied into the destination on commit. So is a name of an
 * open descriptor (/dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N), through a copy of
 * that descriptor, even when it is a regular file: the shell's `>> log` keeps its contents.
 *
 * Owns: struct grok_atomic, its temporary file and descriptors, and the process's table of open
 * temporaries that grok_atomic_remove_all empties. Calls only libc and POSIX (mkstemp, fsync,
 * rename). Called by run (a created run's file) and cli (a text output to a file, and the fatal
 * signals' handler). */
#ifndef GROK_ATOMIC_H
#define GROK_ATOMIC_H

#ifdef __cplusplus
extern "C" {
#endif

#include "grok/err.h"

struct grok_atomic {
    char *dest;     /* final path, as given: for messages */
    char *target;   /* dest with symbolic links followed: the path replaced or written */
    char *tmp;      /* temporary path: "<target's dir>/.<base>.tmpXXXXXX", or in $TMPDIR */
    int fd;         /* open descriptor of tmp, or -1 */
    int slot;       /* tmp's entry in the table of grok_atomic_remove_all, or -1 */
    int direct;     /* target is no regular file: copied into at commit, never renamed onto */
    int target_fd;  /* when direct: target, open for writing since begin */
};

/* Creates the temporary file for dest; a->fd is open on it for writing. Fails with GROK_EIO
 * naming dest when its folder cannot hold a new file, or when an existing destination that is
 * not a regular file cannot be opened for writing (which, for a FIFO, waits for a reader). */
int grok_atomic_begin(struct grok_atomic *a, const char *dest, struct grok_err *err);

/* Syncs and closes the temporary file, gives it the permissions a new file would get, and
 * renames it onto the target; or, when direct, copies its bytes into the target. The temporary
 * file is removed either way, and on failure. */
int grok_atomic_commit(struct grok_atomic *a, struct grok_err *err);

/* Removes the temporary file, closes a direct target (a FIFO's reader then sees the end of the
 * stream, not a writer that hangs on) and frees a; safe after commit, and on a zeroed struct
 * whose fd is -1. */
void grok_atomic_abort(struct grok_atomic *a);

/* Removes every temporary file still open, and nothing else: for a fatal signal's handler
 * (async-signal-safe: unlink(2) only), so that a crash leaves no hidden file behind. */
void grok_atomic_remove_all(void);

#ifdef __cplusplus
}
#endif

#endif
