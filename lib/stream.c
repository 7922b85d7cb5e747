/* Reading streams and recognising HDF5 (include/grok/stream.h). */
#include "grok/stream.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const unsigned char hdf5_signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

/* HDF5 looks for its signature at 0, 512, 1024, 2048, ... (after a user block). */
int grok_hdf5_signature(const unsigned char *buf, size_t len)
{
    for (size_t off = 0; off + 8 <= len; off = off ? off * 2 : 512)
        if (memcmp(buf + off, hdf5_signature, 8) == 0)
            return 1;
    return 0;
}

int grok_hdf5_signature_fd(int fd, long long size)
{
    unsigned char sig[8];
    for (long long off = 0; off + 8 <= size; off = off ? off * 2 : 512)
        if (pread(fd, sig, 8, off) == 8 && memcmp(sig, hdf5_signature, 8) == 0)
            return 1;
    return 0;
}

/* Reads a whole stream. Growth by doubling through realloc: glibc moves large blocks with
 * mremap, so no second copy of the data is ever resident. */
int grok_read_stream(int fd, const char *name, unsigned char **out, size_t *len,
                     struct grok_err *err)
{
    size_t cap = 1 << 20, n = 0;
    unsigned char *buf = malloc(cap);
    if (!buf)
        return grok_err_set(err, GROK_ENOMEM, "%s: out of memory", name);
    for (;;) {
        if (n == cap) {
            unsigned char *bigger = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                return grok_err_set(err, GROK_ENOMEM, "%s: out of memory after %zu bytes",
                                    name, n);
            }
            buf = bigger;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r == 0)
            break;
        if (r < 0) {
            /* The programs' only signal handlers are for SIGINT/SIGTERM, installed without
             * SA_RESTART: an interrupted read means the user wants out, so stop here. */
            if (errno == EINTR) {
                free(buf);
                return grok_err_set(err, GROK_EIO, "%s: interrupted", name);
            }
            int e = errno;
            free(buf);
            return grok_err_set(err, GROK_EIO, "%s: cannot read: %s", name, strerror(e));
        }
        n += (size_t)r;
    }
    *out = buf;
    *len = n;
    return GROK_OK;
}
