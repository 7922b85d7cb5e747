/* stream: reading a whole byte stream (a pipe, standard input) into memory, and telling an HDF5
 * file from anything else by its signature. Owns no data structure; calls only libc (read,
 * pread). Called by run (a stream becomes an in-memory run) and input (a run or a table, told
 * apart by content). */
#ifndef GROK_STREAM_H
#define GROK_STREAM_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#include "grok/err.h"

/* Whether buf (len bytes) or the file open at fd (size bytes, read with pread) starts an HDF5
 * file: its signature at offset 0, 512, 1024, ... (after a user block). */
int grok_hdf5_signature(const unsigned char *buf, size_t len);
int grok_hdf5_signature_fd(int fd, long long size);

/* Reads the stream fd to its end into a malloc'd buffer (*out, *len bytes; the caller frees
 * it). An interrupted read (SIGINT, SIGTERM) stops with GROK_EIO "interrupted". */
int grok_read_stream(int fd, const char *name, unsigned char **out, size_t *len,
                     struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
