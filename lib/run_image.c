/* The in-memory file of a run created for standard output: HDF5's core driver with file image
 * callbacks that let the run find and keep its bytes (lib/run_h5.h). */
#include "run_h5.h"

#include <errno.h>
#include <hdf5_hl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *core_malloc(size_t size, H5FD_file_image_op_t op, void *udata)
{
    (void)op;
    struct grok_core_buffer *c = udata;
    void *p = malloc(size ? size : 1);
    if (p) {
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
    (void)op;
    struct grok_core_buffer *c = udata;
    void *p = realloc(ptr, size ? size : 1);
    if (p) {
        c->mem = p;
        c->size = size;
    }
    return p;
}

static herr_t core_free(void *ptr, H5FD_file_image_op_t op, void *udata)
{
    (void)op;
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

/* Writes the in-memory file to standard output. Closing it first makes its bytes those of a
 * file closed on disk (superblock marked closed, space at the end released); the buffer is kept
 * through the close, and its length is the end-of-allocation address the closed file records,
 * read back by opening the buffer in place. */
int grok_run_image_write(struct grok_run *run, struct grok_err *err)
{
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
        return grok_err_set(err, GROK_EIO, "stdout: cannot make the HDF5 file image");
    size_t in_mem = (size_t)size < c->size ? (size_t)size : c->size;
    int ok = fwrite(c->mem, 1, in_mem, stdout) == in_mem;
    for (size_t i = in_mem; ok && i < (size_t)size; i++)
        ok = putchar(0) != EOF;
    if (!ok || fflush(stdout) != 0)
        return grok_err_set(err, GROK_EIO, "stdout: write failed: %s", strerror(errno));
    return GROK_OK;
}
