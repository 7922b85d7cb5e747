#include "grok/atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int grok_atomic_begin(struct grok_atomic *a, const char *dest, struct grok_err *err)
{
    a->fd = -1;
    a->tmp = NULL;
    a->dest = strdup(dest);
    const char *slash = strrchr(dest, '/');
    size_t dirlen = slash ? (size_t)(slash - dest) + 1 : 0;
    const char *base = dest + dirlen;
    size_t len = dirlen + strlen(base) + sizeof "/..tmpXXXXXX";
    a->tmp = malloc(len);
    if (!a->dest || !a->tmp) {
        grok_atomic_abort(a);
        return grok_err_set(err, GROK_ENOMEM, "%s: out of memory", dest);
    }
    /* Hidden and beside the destination, so that rename stays within one file system. */
    snprintf(a->tmp, len, "%.*s.%s.tmpXXXXXX", (int)dirlen, dest, base);
    a->fd = mkstemp(a->tmp);
    if (a->fd < 0) {
        int e = errno;
        free(a->tmp);
        a->tmp = NULL;
        grok_atomic_abort(a);
        return grok_err_set(err, GROK_EIO, "%s: cannot create: %s", dest, strerror(e));
    }
    return GROK_OK;
}

int grok_atomic_commit(struct grok_atomic *a, struct grok_err *err)
{
    /* mkstemp makes 0600; a new output should get what open(2) would give it under the umask. */
    mode_t mask = umask(0);
    umask(mask);
    int rc = GROK_OK;
    if (fchmod(a->fd, 0666 & ~mask) != 0 || fsync(a->fd) != 0)
        rc = grok_err_set(err, GROK_EIO, "%s: cannot write: %s", a->dest, strerror(errno));
    if (close(a->fd) != 0 && rc == GROK_OK)
        rc = grok_err_set(err, GROK_EIO, "%s: cannot write: %s", a->dest, strerror(errno));
    a->fd = -1;
    if (rc == GROK_OK && rename(a->tmp, a->dest) != 0)
        rc = grok_err_set(err, GROK_EIO, "%s: cannot rename into place: %s", a->dest,
                          strerror(errno));
    if (rc == GROK_OK) {
        free(a->tmp);
        a->tmp = NULL;
    }
    grok_atomic_abort(a);
    return rc;
}

void grok_atomic_abort(struct grok_atomic *a)
{
    if (a->fd >= 0)
        close(a->fd);
    a->fd = -1;
    if (a->tmp)
        unlink(a->tmp);
    free(a->tmp);
    free(a->dest);
    a->tmp = a->dest = NULL;
}
