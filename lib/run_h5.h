/* Private to the modules that speak HDF5 for a run: run.c (the generic layer), run_image.c (the
 * in-memory file of a created run), runlist.c (listing) and run_copy.c (the checked copy of
 * an object from another run). Every other module
 * goes through include/grok/run.h.
 *
 * Owns: struct grok_run (the HDF5 file, the temporary file, the image bytes) and the HDF5 type
 * and string helpers. Calls: HDF5, atomic (a created run's temporary file). No other module
 * includes HDF5's headers. */
#ifndef GROK_RUN_H5_H
#define GROK_RUN_H5_H

#include <hdf5.h>

#include "grok/atomic.h"
#include "grok/run.h"

struct grok_run {
    hid_t file;
    char *name;              /* for messages */
    int writable;            /* created by grok_run_create and not yet committed */
    int to_stdout;           /* created for standard output */
    struct grok_atomic at;   /* created for a path: the temporary file the bytes go to at commit */
    unsigned char *image;    /* read from a stream: the bytes HDF5 reads in place */
    struct grok_core_buffer *core; /* created: the in-memory (core) file's bytes */
};

/* The buffer of an in-memory (core) file, tracked through HDF5's file image callbacks so that
 * commit writes it out directly: H5Fget_file_image would make a second copy of the run. */
struct grok_core_buffer {
    void *mem;
    size_t size;
    int keep_on_close;    /* set by commit: closing the file must leave the bytes to write */
};

/* Makes fapl create run's file in memory, its bytes tracked in run->core (allocated here; the
 * run frees it). GROK_ENOMEM or GROK_EIO, err untouched: the caller says what failed. */
int grok_run_image_fapl(struct grok_run *run, hid_t fapl);

/* Closes run's in-memory file and writes its bytes to fd (grok_run_commit: standard output, or
 * the temporary file of a path). GROK_EIO "<run>: cannot write: <OS error>" when a write fails. */
int grok_run_image_write(struct grok_run *run, int fd, struct grok_err *err);

/* Classifies an HDF5 type; fills name ("uint8", "float32", "string", ...) when not NULL. */
enum grok_dtype grok_h5_classify(hid_t type, char name[16]);

/* Reads a string attribute, fixed-length or variable-length, into *out (malloc'd).
 * GROK_EFORMAT when it is an array of strings, GROK_EIO or GROK_ENOMEM; err is left to the
 * caller, who knows what was being read. */
int grok_h5_attr_read_string(hid_t a, char **out);

/* Copies the object at path (a group with all below it, or a dataset) from src to the same
 * path in dst, after checking every link, attribute and dataset it holds (run_copy.c). What
 * grok writes itself is copied by H5Ocopy, byte for byte; what other writers make is copied by
 * hand, variable-length strings rewritten fixed-length. dst must be writable, with path's
 * parents made and path itself free. GROK_EFORMAT, err naming src and the object, for what
 * grok does not copy (external links, named datatypes, enum, compound, reference and other
 * types that are not numbers or strings, virtual or externally stored datasets, a filter this
 * HDF5 lacks); then nothing is written. GROK_EIO or GROK_ENOMEM otherwise, dst left partly
 * written (its caller abandons it). */
int grok_run_copy_checked(struct grok_run *dst, struct grok_run *src, const char *path,
                          struct grok_err *err);

#endif
