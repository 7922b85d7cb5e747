/* The in-memory file of a created run: HDF5's core driver with file image callbacks that let the
 * run find and keep its bytes, and the writing of those bytes at commit (lib/run_h5.h). */
#include "run_h5.h"

#include <errno.h>
#include <hdf5_hl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Only the file's own buffer is tracked: a file opened from an image (grok_run_clone) also
 * makes buffers for the property lists that carry the image. */
static int file_op(H5FD_file_image_op_t op)
{
    return op == H5FD_FILE_IMAGE_OP_FILE_OPEN || op == H5FD_FILE_IMAGE_OP_FILE_RESIZE;
}

static void *core_malloc(size_t size, H5FD_file_image_op_t op, void *udata)
{
    struct grok_core_buffer *c = udata;
    void *p = malloc(size ? size : 1);
    if (p && file_op(op)) {
        c->mem = p;
        c->size = size;
    }
    return p;
}

static void *core_memcpy(void *dest, const void *src, size_t size, H5FD_file_image_op_t op,
                         void *udata)
{
    (void)op;
    (void)udata;
    return memcpy(dest, src, size);
}

static void *core_realloc(void *ptr, size_t size, H5FD_file_image_op_t op, void *udata)
{
    struct grok_core_buffer *c = udata;
    void *p = realloc(ptr, size ? size : 1);
    if (p && (file_op(op) || ptr == c->mem)) {
        c->mem = p;
        c->size = size;
    }
    return p;
}

static herr_t core_free(void *ptr, H5FD_file_image_op_t op, void *udata)
{
    struct grok_core_buffer *c = udata;
    if (ptr == c->mem) {
        if (c->keep_on_close && op == H5FD_FILE_IMAGE_OP_FILE_CLOSE)
            return 0;
        c->mem = NULL;
        c->size = 0;
    }
    free(ptr);
    return 0;
}

/* The record is owned by the run and outlives the file: property-list copies share it. */
static void *core_udata_copy(void *udata)
{
    return udata;
}

static herr_t core_udata_free(void *udata)
{
    (void)udata;
    return 0;
}


int grok_run_image_fapl(struct grok_run *run, hid_t fapl)
{
    H5FD_file_image_callbacks_t cb = {core_malloc, core_memcpy, core_realloc, core_free,
                                      core_udata_copy, core_udata_free, NULL};
    if (!(run->core = calloc(1, sizeof *run->core)))
        return GROK_ENOMEM;
    cb.udata = run->core;
    if (H5Pset_fapl_core(fapl, (size_t)4 << 20, 0) < 0 ||
        H5Pset_file_image_callbacks(fapl, &cb) < 0)
        return GROK_EIO;
    return GROK_OK;
}

/* Writes len bytes to fd whole, through short writes and interruptions by a signal. */
static int write_all(int fd, const unsigned char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Closing the file first makes its bytes those of a file closed on disk (superblock marked
 * closed, space at the end released); the buffer is kept through the close, and its length is
 * the end-of-allocation address the closed file records, read back by opening the buffer in
 * place. Bytes past the buffer's end (space allocated, never written) are zeros. */
int grok_run_image_write(struct grok_run *run, int fd, struct grok_err *err)
{
    static const unsigned char zeros[4096];
    struct grok_core_buffer *c = run->core;
    c->keep_on_close = 1;
    herr_t closed = H5Fclose(run->file);
    run->file = H5I_INVALID_HID;
    c->keep_on_close = 0;
    hid_t f = H5I_INVALID_HID;
    ssize_t size = -1;
    if (closed >= 0 && c->mem &&
        (f = H5LTopen_file_image(c->mem, c->size,
                                 H5LT_FILE_IMAGE_DONT_COPY | H5LT_FILE_IMAGE_DONT_RELEASE)) >= 0)
        size = H5Fget_file_image(f, NULL, 0); /* the size alone: no copy */
    if (f >= 0)
        H5Fclose(f);
    if (size < 0)
        return grok_err_set(err, GROK_EIO, "%s: cannot make the HDF5 file image", run->name);
    size_t in_mem = (size_t)size < c->size ? (size_t)size : c->size;
    int bad = write_all(fd, c->mem, in_mem);
    for (size_t at = in_mem; !bad && at < (size_t)size; at += sizeof zeros) {
        size_t n = (size_t)size - at < sizeof zeros ? (size_t)size - at : sizeof zeros;
        bad = write_all(fd, zeros, n);
    }
    if (bad)
        return grok_err_set(err, GROK_EIO, "%s: write failed: %s", run->name, strerror(errno));
    return GROK_OK;
}
