/* The generic HDF5 layer of runs (include/grok/run.h). Every HDF5 call is checked; each
 * function has one `out:` cleanup that closes what it opened. HDF5's own error stack is silenced
 * once (hdf5_quiet) and every failure is reported as one line through grok_err. */
#include "run_h5.h"
#include "grok/stream.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5_hl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void hdf5_quiet(void)
{
    /* The programs print one line of their own; HDF5's stack trace would bury it. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

/* ---- opening ---------------------------------------------------------------------------- */

static int check_format(struct grok_run *run, struct grok_err *err)
{
    char *format = NULL;
    long long version = 0;
    int rc = GROK_EFORMAT;
    if (grok_run_attr_get_str(run, "/", "format", &format, NULL) != GROK_OK ||
        strcmp(format, GROK_RUN_FORMAT) != 0) {
        grok_err_set(err, rc, "%s: not a grok run (an HDF5 file without format = \"%s\")",
                     run->name, GROK_RUN_FORMAT);
        goto out;
    }
    if (grok_run_attr_get_int(run, "/", "format_version", &version, NULL) != GROK_OK ||
        version < 1) {
        grok_err_set(err, rc, "%s: not a grok run (no valid format_version)", run->name);
        goto out;
    }
    if (version > GROK_RUN_FORMAT_VERSION) {
        grok_err_set(err, rc, "%s: format_version %lld is newer than this grok reads (%d)",
                     run->name, version, GROK_RUN_FORMAT_VERSION);
        goto out;
    }
    rc = GROK_OK;
out:
    free(format);
    return rc;
}

static struct grok_run *run_alloc(const char *name)
{
    struct grok_run *run = calloc(1, sizeof *run);
    if (!run)
        return NULL;
    run->file = H5I_INVALID_HID;
    run->at.fd = -1;
    run->name = strdup(name);
    if (!run->name) {
        free(run);
        return NULL;
    }
    return run;
}

/* Whether an HDF5 file that failed to open opens with file locking off: then the failure was
 * another program's lock (HDF5 1.10 locks files it writes), not a damaged file. */
static int opens_without_lock(const char *path)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), f = H5I_INVALID_HID;
    if (fapl >= 0 && H5Pset_file_locking(fapl, 0, 1) >= 0)
        f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (f < 0)
        return 0;
    H5Fclose(f);
    return 1;
}

struct grok_run *grok_run_open(const char *path, struct grok_err *err)
{
    hdf5_quiet();
    int from_stdin = !path || strcmp(path, "-") == 0;
    const char *name = from_stdin ? "stdin" : path;
    struct grok_run *run = run_alloc(name);
    int fd = -1;
    size_t len = 0;
    if (!run) {
        grok_err_set(err, GROK_ENOMEM, "%s: out of memory", name);
        return NULL;
    }
    if (from_stdin) {
        fd = STDIN_FILENO;
    } else if ((fd = open(path, O_RDONLY)) < 0) {
        grok_err_set(err, GROK_EIO, "%s: %s", name, strerror(errno));
        goto fail;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        grok_err_set(err, GROK_EIO, "%s: %s", name, strerror(errno));
        goto fail;
    }
    if (S_ISDIR(st.st_mode)) {
        grok_err_set(err, GROK_EIO, "%s: is a directory", name);
        goto fail;
    }
    if (S_ISREG(st.st_mode)) {
        /* A file, even as stdin (`< run.h5`): HDF5 reads it in place, nothing is held. */
        if (st.st_size == 0) {
            grok_err_set(err, GROK_EFORMAT, "%s: empty %s", name, from_stdin ? "input" : "file");
            goto fail;
        }
        if (!grok_hdf5_signature_fd(fd, (long long)st.st_size)) {
            grok_err_set(err, GROK_EFORMAT, "%s: not an HDF5 file", name);
            goto fail;
        }
        const char *open_path = from_stdin ? "/dev/fd/0" : path;
        run->file = H5Fopen(open_path, H5F_ACC_RDONLY, H5P_DEFAULT);
        if (run->file < 0 && opens_without_lock(open_path)) {
            grok_err_set(err, GROK_EIO, "%s: locked by another program (one still writing it?)",
                         name);
            goto fail;
        }
    } else {
        /* A pipe (or stdin, or <(...)): hold the stream as a file image that HDF5 reads in
         * place (DONT_COPY) and does not free (DONT_RELEASE): we free it after H5Fclose. */
        unsigned char *image;
        if (grok_read_stream(fd, name, &image, &len, err) != GROK_OK)
            goto fail;
        if (fd != STDIN_FILENO)
            close(fd);
        grok_run_close(run);
        return grok_run_open_image(image, len, name, err);
    }
    if (run->file < 0) {
        grok_err_set(err, GROK_EFORMAT, "%s: not a complete HDF5 file", name);
        goto fail;
    }
    if (fd != STDIN_FILENO)
        close(fd);
    fd = -1;
    if (check_format(run, err) != GROK_OK)
        goto fail;
    return run;
fail:
    if (fd >= 0 && fd != STDIN_FILENO)
        close(fd);
    grok_run_close(run);
    return NULL;
}

struct grok_run *grok_run_open_image(unsigned char *image, size_t len, const char *name,
                                     struct grok_err *err)
{
    hdf5_quiet();
    struct grok_run *run = run_alloc(name);
    if (!run) {
        free(image);
        grok_err_set(err, GROK_ENOMEM, "%s: out of memory", name);
        return NULL;
    }
    run->image = image;
    if (len == 0) {
        grok_err_set(err, GROK_EFORMAT, "%s: empty input", name);
        goto fail;
    }
    if (!grok_hdf5_signature(image, len)) {
        grok_err_set(err, GROK_EFORMAT, "%s: not an HDF5 file", name);
        goto fail;
    }
    /* HDF5 reads the image in place (DONT_COPY) and does not free it (DONT_RELEASE): the run
     * frees it after H5Fclose. */
    run->file = H5LTopen_file_image(image, len,
                                    H5LT_FILE_IMAGE_DONT_COPY | H5LT_FILE_IMAGE_DONT_RELEASE);
    if (run->file < 0) {
        grok_err_set(err, GROK_EFORMAT, "%s: not a complete HDF5 file", name);
        goto fail;
    }
    if (check_format(run, err) != GROK_OK)
        goto fail;
    return run;
fail:
    grok_run_close(run);
    return NULL;
}

/* ---- creating and committing ------------------------------------------------------------ */

/* The file access properties of every created run: in memory (the core driver, its bytes
 * tracked in run->core), in a format that checksums its metadata. The 1.8 format and later
 * checksum it, so that a damaged run is refused with an error instead of being walked into (the
 * 1.6 format of HDF5's default can crash the library); capped at 1.10 so that any HDF5 from 1.10
 * on reads what we write. In memory, because a run is only ever written to disk whole, by
 * write(2) calls of our own (grok_run_image_write): a full disk or a vanished folder is then an
 * error we report, never a failed write inside HDF5, which 1.10 does not survive. */
static hid_t created_fapl(struct grok_run *run)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0 && (H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V110) < 0 ||
                      grok_run_image_fapl(run, fapl) != GROK_OK)) {
        H5Pclose(fapl);
        return H5I_INVALID_HID;
    }
    return fapl;
}

/* A name for a new in-memory file. HDF5 tells open files of the core driver apart by name
 * alone, and takes a second file of the same name for the first one. */
static const char *memory_name(char buf[32])
{
    static unsigned long count;
    snprintf(buf, 32, "grok-run-%lu.h5", ++count);
    return buf;
}

/* A run to be written to dest: its name, and for a path, the temporary file beside it (made
 * now, so that an unwritable folder is refused before any work). */
static struct grok_run *created_alloc(const char *dest, struct grok_err *err)
{
    int to_stdout = !dest || strcmp(dest, "-") == 0;
    struct grok_run *run = run_alloc(to_stdout ? "stdout" : dest);
    if (!run) {
        grok_err_set(err, GROK_ENOMEM, "out of memory");
        return NULL;
    }
    run->to_stdout = to_stdout;
    if (!to_stdout && grok_atomic_begin(&run->at, dest, err) != GROK_OK) {
        grok_run_close(run);
        return NULL;
    }
    return run;
}

struct grok_run *grok_run_create(const char *dest, struct grok_err *err)
{
    hdf5_quiet();
    struct grok_run *run = created_alloc(dest, err);
    hid_t fapl = H5I_INVALID_HID, fcpl = H5I_INVALID_HID;
    char mem_name[32];
    if (!run)
        return NULL;
    if ((fapl = created_fapl(run)) < 0 || (fcpl = H5Pcreate(H5P_FILE_CREATE)) < 0 ||
        H5Pset_obj_track_times(fcpl, 0) < 0 ||
        (run->file = H5Fcreate(memory_name(mem_name), H5F_ACC_TRUNC, fcpl, fapl)) < 0)
        goto hdf5_fail;
    H5Pclose(fapl);
    H5Pclose(fcpl);
    fapl = fcpl = H5I_INVALID_HID;
    run->writable = 1;
    if (grok_run_attr_set_str(run, "/", "format", GROK_RUN_FORMAT, err) != GROK_OK ||
        grok_run_attr_set_int(run, "/", "format_version", GROK_RUN_FORMAT_VERSION, err) != GROK_OK)
        goto fail;
    return run;
hdf5_fail:
    grok_err_set(err, GROK_EIO, "%s: cannot create an HDF5 file", run->name);
fail:
    if (fapl >= 0)
        H5Pclose(fapl);
    if (fcpl >= 0)
        H5Pclose(fcpl);
    grok_run_close(run);
    return NULL;
}

struct grok_run *grok_run_clone(struct grok_run *run, const char *dest, struct grok_err *err)
{
    if (grok_run_need_writable(run, "clone", err) != GROK_OK)
        return NULL;
    struct grok_run *copy = created_alloc(dest, err);
    hid_t fapl = H5I_INVALID_HID;
    void *image = NULL;
    ssize_t size = -1;
    char mem_name[32];
    if (!copy)
        return NULL;
    /* Flushed, the file's buffer is a consistent file; its length is the end-of-allocation
     * address (H5Fget_file_image's size, asked without a copy), space never written being
     * zeros. H5Fget_file_image's own copy is not used: in HDF5 1.10 it can spoil the
     * superblock's checksum of a file open for writing. The original is never written to. */
    struct grok_core_buffer *c = run->core;
    if (H5Fflush(run->file, H5F_SCOPE_GLOBAL) < 0 || (size = H5Fget_file_image(run->file, NULL, 0)) <= 0)
        goto hdf5_fail;
    if (!(image = calloc((size_t)size, 1))) {
        grok_err_set(err, GROK_ENOMEM, "%s: out of memory", run->name);
        goto fail;
    }
    memcpy(image, c->mem, (size_t)size < c->size ? (size_t)size : c->size);
    if ((fapl = created_fapl(copy)) < 0 || H5Pset_file_image(fapl, image, (size_t)size) < 0 ||
        (copy->file = H5Fopen(memory_name(mem_name), H5F_ACC_RDWR, fapl)) < 0)
        goto hdf5_fail;
    H5Pclose(fapl);
    free(image);
    copy->writable = 1;
    return copy;
hdf5_fail:
    grok_err_set(err, GROK_EIO, "%s: cannot copy the HDF5 file in memory", run->name);
fail:
    if (fapl >= 0)
        H5Pclose(fapl);
    free(image);
    grok_run_close(copy);
    return NULL;
}

int grok_run_commit(struct grok_run *run, struct grok_err *err)
{
    if (!run->writable)
        return grok_err_set(err, GROK_EINVAL, "%s: not a run being written", run->name);
    run->writable = 0;
    if (run->to_stdout) {
        fflush(stdout);   /* nothing of ours is buffered there, but a run must not interleave */
        return grok_run_image_write(run, STDOUT_FILENO, err);
    }
    int rc = grok_run_image_write(run, run->at.fd, err);
    if (rc != GROK_OK) {
        grok_atomic_abort(&run->at);
        return rc;
    }
    return grok_atomic_commit(&run->at, err);
}

void grok_run_close(struct grok_run *run)
{
    if (!run)
        return;
    if (run->file >= 0)
        H5Fclose(run->file);
    grok_atomic_abort(&run->at);
    free(run->image);
    if (run->core)
        free(run->core->mem);
    free(run->core);
    free(run->name);
    free(run);
}

const char *grok_run_name(const struct grok_run *run)
{
    return run->name;
}

int grok_run_flush(struct grok_run *run, struct grok_err *err)
{
    if (H5Fflush(run->file, H5F_SCOPE_GLOBAL) < 0)
        return grok_err_set(err, GROK_EIO, "%s: cannot flush", run->name);
    return GROK_OK;
}

int grok_run_need_writable(const struct grok_run *run, const char *what, struct grok_err *err)
{
    if (!run->writable)
        return grok_err_set(err, GROK_EINVAL, "%s: %s: the run is open for reading only",
                            run->name, what);
    return GROK_OK;
}

/* ---- types ------------------------------------------------------------------------------ */

static hid_t native_type(enum grok_dtype t)
{
    switch (t) {
    case GROK_F32: return H5T_NATIVE_FLOAT;
    case GROK_F64: return H5T_NATIVE_DOUBLE;
    case GROK_I32: return H5T_NATIVE_INT32;
    case GROK_I64: return H5T_NATIVE_INT64;
    default: return H5I_INVALID_HID;
    }
}

/* The little-endian file types, so that runs are the same bytes on every machine. */
static hid_t file_type(enum grok_dtype t)
{
    switch (t) {
    case GROK_F32: return H5T_IEEE_F32LE;
    case GROK_F64: return H5T_IEEE_F64LE;
    case GROK_I32: return H5T_STD_I32LE;
    case GROK_I64: return H5T_STD_I64LE;
    default: return H5I_INVALID_HID;
    }
}

static size_t dtype_size(enum grok_dtype t)
{
    switch (t) {
    case GROK_F32: case GROK_I32: return 4;
    case GROK_F64: case GROK_I64: return 8;
    default: return 0;
    }
}

enum grok_dtype grok_h5_classify(hid_t type, char name[16])
{
    H5T_class_t cls = H5Tget_class(type);
    size_t size = H5Tget_size(type);
    enum grok_dtype t = GROK_OTHER;
    const char *fallback = "other";
    if (cls == H5T_INTEGER) {
        int is_signed = H5Tget_sign(type) == H5T_SGN_2;
        if (is_signed && size == 4) t = GROK_I32;
        else if (is_signed && size == 8) t = GROK_I64;
        if (name && t == GROK_OTHER) {
            snprintf(name, 16, "%sint%zu", is_signed ? "" : "u", size * 8);
            return t;
        }
    } else if (cls == H5T_FLOAT) {
        if (size == 4) t = GROK_F32;
        else if (size == 8) t = GROK_F64;
        fallback = "float";
    } else if (cls == H5T_STRING) {
        t = GROK_STR;
    } else if (cls == H5T_COMPOUND) {
        fallback = "compound";
    }
    if (name)
        snprintf(name, 16, "%s", t == GROK_OTHER ? fallback : grok_dtype_name(t));
    return t;
}

/* Sets a's shape; 0 when the element count (times 8 bytes) would not fit in memory's address
 * space, as a crafted or damaged file can claim. */
static int set_shape(struct grok_array *a, int rank, const hsize_t *dims)
{
    a->rank = rank;
    a->n = 1;
    for (int i = 0; i < rank; i++) {
        a->shape[i] = (size_t)dims[i];
        if (dims[i] > (hsize_t)(SIZE_MAX / 8) || (dims[i] && a->n > SIZE_MAX / 8 / dims[i]))
            return 0;
        a->n *= (size_t)dims[i];
    }
    return 1;
}

/* ---- attributes ------------------------------------------------------------------------- */

static hid_t create_group(struct grok_run *run, const char *path);

/* Creates the missing groups above path, each with create_group's properties (HDF5's own
 * intermediate-group creation would give them default ones). */
static int create_parents(struct grok_run *run, const char *path)
{
    char buf[1024];
    size_t len = strlen(path);
    if (len >= sizeof buf || path[0] != '/')
        return GROK_EINVAL;
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (!grok_run_exists(run, buf)) {
            hid_t g = create_group(run, buf);
            if (g < 0)
                return GROK_EIO;
            H5Gclose(g);
        }
        *p = '/';
    }
    return GROK_OK;
}

/* Every group this module creates: no timestamps (a run must be a pure function of its
 * inputs), and creation order tracked so that tables list columns in the order written. */
static hid_t create_group(struct grok_run *run, const char *path)
{
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE), g = H5I_INVALID_HID;
    if (gcpl >= 0 && create_parents(run, path) == GROK_OK && H5Pset_obj_track_times(gcpl, 0) >= 0 &&
        H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) >= 0)
        g = H5Gcreate2(run->file, path, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    if (gcpl >= 0) H5Pclose(gcpl);
    return g;
}

int grok_run_exists(struct grok_run *run, const char *path)
{
    if (strcmp(path, "/") == 0)
        return 1;
    if (path[0] != '/')
        return 0;
    /* H5Lexists needs every parent to exist: walk the path one link at a time. */
    char buf[1024];
    size_t len = strlen(path);
    if (len >= sizeof buf)
        return 0;
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (H5Lexists(run->file, buf, H5P_DEFAULT) <= 0 ||
                H5Oexists_by_name(run->file, buf, H5P_DEFAULT) <= 0)
                return 0;
            if (c == '\0')
                return 1;
            *p = c;
        }
    }
}

/* Opens obj for an attribute write, creating it as a group when missing. */
static hid_t open_for_attr(struct grok_run *run, const char *obj, int create)
{
    if (grok_run_exists(run, obj))
        return H5Oopen(run->file, obj, H5P_DEFAULT);
    return create ? create_group(run, obj) : H5I_INVALID_HID;
}

static int attr_write(struct grok_run *run, const char *obj, const char *key, hid_t ftype,
                      hid_t mtype, const void *value, struct grok_err *err)
{
    int rc = grok_run_need_writable(run, key, err);
    if (rc != GROK_OK)
        return rc;
    rc = GROK_EIO;
    hid_t o = H5I_INVALID_HID, space = H5I_INVALID_HID, a = H5I_INVALID_HID;
    if ((o = open_for_attr(run, obj, 1)) < 0)
        goto out;
    if (H5Aexists(o, key) > 0 && H5Adelete(o, key) < 0)
        goto out;
    if ((space = H5Screate(H5S_SCALAR)) < 0)
        goto out;
    if ((a = H5Acreate2(o, key, ftype, space, H5P_DEFAULT, H5P_DEFAULT)) < 0)
        goto out;
    if (H5Awrite(a, mtype, value) < 0)
        goto out;
    rc = GROK_OK;
out:
    if (a >= 0) H5Aclose(a);
    if (space >= 0) H5Sclose(space);
    if (o >= 0) H5Oclose(o);
    if (rc != GROK_OK)
        grok_err_set(err, rc, "%s: cannot write attribute %s of %s", run->name, key, obj);
    return rc;
}

int grok_run_attr_set_str(struct grok_run *run, const char *obj, const char *key, const char *v,
                          struct grok_err *err)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0 || H5Tset_size(t, strlen(v) + 1) < 0 || H5Tset_strpad(t, H5T_STR_NULLTERM) < 0) {
        if (t >= 0) H5Tclose(t);
        return grok_err_set(err, GROK_EIO, "%s: cannot write attribute %s", run->name, key);
    }
    int rc = attr_write(run, obj, key, t, t, v, err);
    H5Tclose(t);
    return rc;
}

/* A variable-length string keeps its bytes in the file's global heap, free of the 64 KiB limit
 * on an attribute stored in the object header. */
int grok_run_attr_set_text(struct grok_run *run, const char *obj, const char *key, const char *v,
                           struct grok_err *err)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0 || H5Tset_size(t, H5T_VARIABLE) < 0) {
        if (t >= 0) H5Tclose(t);
        return grok_err_set(err, GROK_EIO, "%s: cannot write attribute %s of %s", run->name, key,
                            obj);
    }
    int rc = attr_write(run, obj, key, t, t, &v, err);
    H5Tclose(t);
    return rc;
}

int grok_run_attr_set_int(struct grok_run *run, const char *obj, const char *key, long long v,
                          struct grok_err *err)
{
    int64_t v64 = v;
    return attr_write(run, obj, key, H5T_STD_I64LE, H5T_NATIVE_INT64, &v64, err);
}

int grok_run_attr_set_double(struct grok_run *run, const char *obj, const char *key, double v,
                             struct grok_err *err)
{
    return attr_write(run, obj, key, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v, err);
}

/* Opens attribute key of obj for reading: GROK_ENOTFOUND when either is missing. */
static int attr_open(struct grok_run *run, const char *obj, const char *key, hid_t *o, hid_t *a,
                     struct grok_err *err)
{
    *o = *a = H5I_INVALID_HID;
    if ((*o = open_for_attr(run, obj, 0)) < 0 || H5Aexists(*o, key) <= 0) {
        if (*o >= 0) H5Oclose(*o);
        *o = H5I_INVALID_HID;
        return grok_err_set(err, GROK_ENOTFOUND, "%s: no attribute %s in %s", run->name, key, obj);
    }
    if ((*a = H5Aopen(*o, key, H5P_DEFAULT)) < 0) {
        H5Oclose(*o);
        *o = H5I_INVALID_HID;
        return grok_err_set(err, GROK_EIO, "%s: cannot read attribute %s of %s", run->name,
                            key, obj);
    }
    return GROK_OK;
}

/* h5py writes strings variable-length. */
int grok_h5_attr_read_string(hid_t a, char **out)
{
    int rc = GROK_EIO;
    hid_t space = H5Aget_space(a);
    hssize_t npoints = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    if (space >= 0)
        H5Sclose(space);
    if (npoints != 1)
        return GROK_EFORMAT; /* an array of strings (h5py writes lists so) is not one string */
    hid_t ftype = H5Aget_type(a), mtype = H5I_INVALID_HID;
    if (ftype < 0)
        return rc;
    if (H5Tis_variable_str(ftype) > 0) {
        char *vs = NULL;
        /* HDF5 converts no string between character sets: read as the file stores it (h5py
         * writes UTF-8) */
        if ((mtype = H5Tcopy(H5T_C_S1)) >= 0 && H5Tset_size(mtype, H5T_VARIABLE) >= 0 &&
            H5Tset_cset(mtype, H5Tget_cset(ftype)) >= 0 && H5Aread(a, mtype, &vs) >= 0) {
            *out = strdup(vs ? vs : "");
            H5free_memory(vs);
            rc = *out ? GROK_OK : GROK_ENOMEM;
        }
    } else {
        size_t size = H5Tget_size(ftype);
        char *buf = calloc(size + 1, 1);
        if (buf && (mtype = H5Tcopy(H5T_C_S1)) >= 0 && H5Tset_size(mtype, size + 1) >= 0 &&
            H5Tset_strpad(mtype, H5T_STR_NULLTERM) >= 0 &&
            H5Tset_cset(mtype, H5Tget_cset(ftype)) >= 0 && H5Aread(a, mtype, buf) >= 0) {
            *out = buf;
            buf = NULL;
            rc = GROK_OK;
        }
        free(buf);
    }
    if (mtype >= 0) H5Tclose(mtype);
    H5Tclose(ftype);
    return rc;
}

int grok_run_attr_get_str(struct grok_run *run, const char *obj, const char *key, char **out,
                          struct grok_err *err)
{
    hid_t o, a;
    *out = NULL;
    int rc = attr_open(run, obj, key, &o, &a, err);
    if (rc != GROK_OK)
        return rc;
    hid_t t = H5Aget_type(a);
    if (t < 0 || H5Tget_class(t) != H5T_STRING)
        rc = grok_err_set(err, GROK_EFORMAT, "%s: attribute %s of %s is not a string",
                          run->name, key, obj);
    else if ((rc = grok_h5_attr_read_string(a, out)) == GROK_EFORMAT)
        grok_err_set(err, rc, "%s: attribute %s of %s is an array, not one string", run->name,
                     key, obj);
    else if (rc != GROK_OK)
        grok_err_set(err, rc, "%s: cannot read attribute %s of %s", run->name, key, obj);
    if (t >= 0) H5Tclose(t);
    H5Aclose(a);
    H5Oclose(o);
    return rc;
}

/* Reads a numeric scalar attribute as double; *is_int tells whether it is stored as an integer. */
static int attr_read_number(struct grok_run *run, const char *obj, const char *key, double *d,
                            long long *ll, int *is_int, struct grok_err *err)
{
    hid_t o, a;
    int rc = attr_open(run, obj, key, &o, &a, err);
    if (rc != GROK_OK)
        return rc;
    hid_t t = H5Aget_type(a), space = H5Aget_space(a);
    H5T_class_t cls = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    int64_t i64 = 0;
    if ((cls != H5T_INTEGER && cls != H5T_FLOAT) || space < 0 ||
        H5Sget_simple_extent_npoints(space) != 1) {
        rc = grok_err_set(err, GROK_EFORMAT, "%s: attribute %s of %s is not a number",
                          run->name, key, obj);
    } else if (cls == H5T_INTEGER) {
        *is_int = 1;
        if (H5Aread(a, H5T_NATIVE_INT64, &i64) < 0)
            rc = grok_err_set(err, GROK_EIO, "%s: cannot read attribute %s", run->name, key);
        *ll = i64;
        *d = (double)i64;
    } else {
        *is_int = 0;
        if (H5Aread(a, H5T_NATIVE_DOUBLE, d) < 0)
            rc = grok_err_set(err, GROK_EIO, "%s: cannot read attribute %s", run->name, key);
    }
    if (space >= 0) H5Sclose(space);
    if (t >= 0) H5Tclose(t);
    H5Aclose(a);
    H5Oclose(o);
    return rc;
}

int grok_run_attr_get_int(struct grok_run *run, const char *obj, const char *key, long long *out,
                          struct grok_err *err)
{
    double d = 0;
    long long ll = 0;
    int is_int = 0;
    int rc = attr_read_number(run, obj, key, &d, &ll, &is_int, err);
    if (rc != GROK_OK)
        return rc;
    if (!is_int) {
        if (!(d >= -9.2e18 && d <= 9.2e18) || d != (double)(long long)d)
            return grok_err_set(err, GROK_EFORMAT, "%s: attribute %s of %s is %.17g, not an integer",
                                run->name, key, obj, d);
        ll = (long long)d;
    }
    *out = ll;
    return GROK_OK;
}

int grok_run_attr_get_double(struct grok_run *run, const char *obj, const char *key, double *out,
                             struct grok_err *err)
{
    long long ll;
    int is_int;
    return attr_read_number(run, obj, key, out, &ll, &is_int, err);
}

/* ---- reading datasets ------------------------------------------------------------------- */

static int dataset_open(struct grok_run *run, const char *path, hid_t *d, struct grok_err *err)
{
    *d = H5I_INVALID_HID;
    if (!grok_run_exists(run, path))
        return grok_err_set(err, GROK_ENOTFOUND, "%s: no dataset %s", run->name, path);
    H5O_info_t info;
    if (H5Oget_info_by_name(run->file, path, &info, H5P_DEFAULT) < 0 || info.type != H5O_TYPE_DATASET)
        return grok_err_set(err, GROK_EFORMAT, "%s: %s is not a dataset", run->name, path);
    if ((*d = H5Dopen2(run->file, path, H5P_DEFAULT)) < 0)
        return grok_err_set(err, GROK_EIO, "%s: cannot open %s", run->name, path);
    return GROK_OK;
}

/* Shape and stored type of the open dataset d (named path in messages). */
static int dataset_describe(struct grok_run *run, hid_t d, const char *path,
                            struct grok_array *info, struct grok_err *err)
{
    memset(info, 0, sizeof *info);
    hid_t space = H5I_INVALID_HID, type = H5I_INVALID_HID;
    int rc = GROK_OK;
    hsize_t dims[GROK_MAX_RANK];
    int rank;
    if ((space = H5Dget_space(d)) < 0 || (type = H5Dget_type(d)) < 0 ||
        (rank = H5Sget_simple_extent_ndims(space)) < 0) {
        rc = grok_err_set(err, GROK_EIO, "%s: cannot read the shape of %s", run->name, path);
    } else if (rank > GROK_MAX_RANK) {
        rc = grok_err_set(err, GROK_EFORMAT, "%s: %s has rank %d (at most %d)", run->name, path,
                          rank, GROK_MAX_RANK);
    } else {
        H5Sget_simple_extent_dims(space, dims, NULL);
        if (!set_shape(info, rank, dims))
            rc = grok_err_set(err, GROK_EFORMAT, "%s: %s claims an impossible size", run->name,
                              path);
        info->dtype = grok_h5_classify(type, NULL);
    }
    if (type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
    return rc;
}

int grok_run_info(struct grok_run *run, const char *path, struct grok_array *info,
                  struct grok_err *err)
{
    hid_t d;
    memset(info, 0, sizeof *info);
    int rc = dataset_open(run, path, &d, err);
    if (rc != GROK_OK)
        return rc;
    rc = dataset_describe(run, d, path, info, err);
    H5Dclose(d);
    return rc;
}

static int read_selection(struct grok_run *run, const char *path, int whole, size_t row0,
                          size_t nrows, enum grok_dtype as, struct grok_array *out,
                          struct grok_err *err)
{
    struct grok_array info;
    hid_t d, fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID;
    hsize_t start[GROK_MAX_RANK] = {0}, count[GROK_MAX_RANK];
    memset(out, 0, sizeof *out);
    if (native_type(as) < 0)
        return grok_err_set(err, GROK_EINVAL, "%s: %s: unsupported read type", run->name, path);
    int rc = dataset_open(run, path, &d, err);
    if (rc != GROK_OK)
        return rc;
    if ((rc = dataset_describe(run, d, path, &info, err)) != GROK_OK)
        goto out;
    if (info.dtype == GROK_STR || info.dtype == GROK_OTHER) {
        rc = grok_err_set(err, GROK_EFORMAT, "%s: %s is not numeric", run->name, path);
        goto out;
    }
    for (int i = 0; i < info.rank; i++)
        count[i] = info.shape[i];
    if (!whole) {
        if (info.rank < 1 || row0 > info.shape[0] || nrows > info.shape[0] - row0) {
            rc = grok_err_set(err, GROK_EINVAL, "%s: %s: rows %zu..%zu out of range (it has %zu)",
                              run->name, path, row0, row0 + nrows,
                              info.rank ? info.shape[0] : (size_t)0);
            goto out;
        }
        start[0] = row0;
        count[0] = nrows;
    }
    out->dtype = as;
    set_shape(out, info.rank, count); /* no larger than info's, which fit */
    if (!(out->data = malloc(out->n ? out->n * dtype_size(as) : 1))) {
        rc = grok_err_set(err, GROK_ENOMEM, "%s: %s: out of memory for %zu values", run->name,
                          path, out->n);
        goto out;
    }
    rc = GROK_EIO;
    if (out->n == 0) {
        rc = GROK_OK;
        goto out;
    }
    if ((fspace = H5Dget_space(d)) < 0)
        goto out;
    if (info.rank > 0) {
        if (H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
            (mspace = H5Screate_simple(info.rank, count, NULL)) < 0)
            goto out;
    } else if ((mspace = H5Screate(H5S_SCALAR)) < 0) {
        goto out;
    }
    if (H5Dread(d, native_type(as), mspace, fspace, H5P_DEFAULT, out->data) < 0)
        goto out;
    rc = GROK_OK;
out:
    if (mspace >= 0) H5Sclose(mspace);
    if (fspace >= 0) H5Sclose(fspace);
    if (d >= 0) H5Dclose(d);
    if (rc != GROK_OK) {
        if (rc == GROK_EIO)
            grok_err_set(err, rc, "%s: cannot read %s (damaged file?)", run->name, path);
        grok_array_free(out);
    }
    return rc;
}

int grok_run_read(struct grok_run *run, const char *path, enum grok_dtype as,
                  struct grok_array *out, struct grok_err *err)
{
    return read_selection(run, path, 1, 0, 0, as, out, err);
}

int grok_run_read_rows(struct grok_run *run, const char *path, size_t row0, size_t nrows,
                       enum grok_dtype as, struct grok_array *out, struct grok_err *err)
{
    return read_selection(run, path, 0, row0, nrows, as, out, err);
}

int grok_run_read_slab(struct grok_run *run, const char *path, const size_t *rows, size_t nrows,
                       size_t col0, size_t ncols, enum grok_dtype as, void *buf,
                       struct grok_err *err)
{
    struct grok_array info;
    hid_t d, fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID;
    hsize_t start[GROK_MAX_RANK] = {0}, count[GROK_MAX_RANK], mcount[GROK_MAX_RANK];
    if (as != GROK_F32 && as != GROK_F64)
        return grok_err_set(err, GROK_EINVAL, "%s: %s: unsupported read type", run->name, path);
    int rc = dataset_open(run, path, &d, err);
    if (rc != GROK_OK)
        return rc;
    if ((rc = dataset_describe(run, d, path, &info, err)) != GROK_OK)
        goto out;
    rc = GROK_EINVAL;
    if (info.rank < 2 || info.dtype == GROK_STR || info.dtype == GROK_OTHER) {
        rc = grok_err_set(err, GROK_EFORMAT, "%s: %s is not a numeric array of snapshots",
                          run->name, path);
        goto out;
    }
    if (col0 > info.shape[1] || ncols > info.shape[1] - col0 || nrows == 0 || ncols == 0) {
        grok_err_set(err, rc, "%s: %s: columns %zu..%zu out of range (it has %zu)", run->name,
                     path, col0, col0 + ncols, info.shape[1]);
        goto out;
    }
    for (size_t i = 0; i < nrows; i++)
        if (rows[i] >= info.shape[0] || (i > 0 && rows[i] <= rows[i - 1])) {
            grok_err_set(err, rc, "%s: %s: row %zu out of range (it has %zu)", run->name, path,
                         rows[i], info.shape[0]);
            goto out;
        }
    rc = GROK_EIO;
    if ((fspace = H5Dget_space(d)) < 0 || H5Sselect_none(fspace) < 0)
        goto out;
    for (int i = 2; i < info.rank; i++)
        count[i] = mcount[i] = info.shape[i];
    start[1] = col0;
    count[1] = mcount[1] = ncols;
    mcount[0] = nrows;
    /* Runs of consecutive rows become one hyperslab each: usually the whole selection is one. */
    for (size_t i = 0, j; i < nrows; i = j) {
        for (j = i + 1; j < nrows && rows[j] == rows[j - 1] + 1; j++)
            ;
        start[0] = rows[i];
        count[0] = j - i;
        if (H5Sselect_hyperslab(fspace, H5S_SELECT_OR, start, NULL, count, NULL) < 0)
            goto out;
    }
    if ((mspace = H5Screate_simple(info.rank, mcount, NULL)) < 0 ||
        H5Dread(d, native_type(as), mspace, fspace, H5P_DEFAULT, buf) < 0)
        goto out;
    rc = GROK_OK;
out:
    if (rc == GROK_EIO)
        grok_err_set(err, rc, "%s: cannot read %s (damaged file?)", run->name, path);
    if (mspace >= 0) H5Sclose(mspace);
    if (fspace >= 0) H5Sclose(fspace);
    if (d >= 0) H5Dclose(d);
    return rc;
}

/* ---- writing datasets ------------------------------------------------------------------- */

static int delete_if_present(struct grok_run *run, const char *path)
{
    if (grok_run_exists(run, path) && H5Ldelete(run->file, path, H5P_DEFAULT) < 0)
        return GROK_EIO;
    return GROK_OK;
}

/* Creates a dataset at path; maxdims NULL for a fixed one, chunk NULL for contiguous. */
static hid_t create_dataset(struct grok_run *run, const char *path, enum grok_dtype dtype,
                            int rank, const hsize_t *dims, const hsize_t *maxdims,
                            const hsize_t *chunk)
{
    hid_t space = H5I_INVALID_HID, dcpl = H5I_INVALID_HID, d = H5I_INVALID_HID;
    if (create_parents(run, path) != GROK_OK ||
        (space = rank ? H5Screate_simple(rank, dims, maxdims) : H5Screate(H5S_SCALAR)) < 0 ||
        (dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0 || H5Pset_obj_track_times(dcpl, 0) < 0 ||
        (chunk && H5Pset_chunk(dcpl, rank, chunk) < 0))
        goto out;
    /* Written in full by its creator: no need for HDF5 to fill it first. */
    if (!chunk && H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) < 0)
        goto out;
    d = H5Dcreate2(run->file, path, file_type(dtype), space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
out:
    if (dcpl >= 0) H5Pclose(dcpl);
    if (space >= 0) H5Sclose(space);
    return d;
}

int grok_run_write_array(struct grok_run *run, const char *path, const struct grok_array *a,
                         struct grok_err *err)
{
    int rc = grok_run_need_writable(run, path, err);
    if (rc != GROK_OK)
        return rc;
    if (native_type(a->dtype) < 0 || a->rank < 0 || a->rank > GROK_MAX_RANK)
        return grok_err_set(err, GROK_EINVAL, "%s: %s: unsupported array", run->name, path);
    hsize_t dims[GROK_MAX_RANK];
    for (int i = 0; i < a->rank; i++)
        dims[i] = a->shape[i];
    hid_t d = H5I_INVALID_HID;
    rc = GROK_EIO;
    if (delete_if_present(run, path) != GROK_OK)
        goto out;
    if ((d = create_dataset(run, path, a->dtype, a->rank, dims, NULL, NULL)) < 0)
        goto out;
    if (a->n > 0 && H5Dwrite(d, native_type(a->dtype), H5S_ALL, H5S_ALL, H5P_DEFAULT, a->data) < 0)
        goto out;
    rc = GROK_OK;
out:
    if (d >= 0) H5Dclose(d);
    if (rc != GROK_OK)
        grok_err_set(err, rc, "%s: cannot write %s", run->name, path);
    return rc;
}

static int write_named(struct grok_run *run, const char *group, const char *name,
                       enum grok_dtype dtype, const void *v, int rank, const size_t *shape,
                       struct grok_err *err)
{
    char path[2 * GROK_MAX_NAME + 8];
    struct grok_array a = {.dtype = dtype, .rank = rank, .n = 1, .data = (void *)v};
    if (rank < 0 || rank > GROK_MAX_RANK)
        return grok_err_set(err, GROK_EINVAL, "%s: %s/%s: rank %d", run->name, group, name, rank);
    for (int i = 0; i < rank; i++) {
        a.shape[i] = shape[i];
        a.n *= shape[i];
    }
    int rc = grok_run_path(path, sizeof path, group, name, err);
    return rc == GROK_OK ? grok_run_write_array(run, path, &a, err) : rc;
}

int grok_run_write_f64(struct grok_run *run, const char *group, const char *name, const double *v,
                       int rank, const size_t *shape, struct grok_err *err)
{
    return write_named(run, group, name, GROK_F64, v, rank, shape, err);
}

int grok_run_write_i64(struct grok_run *run, const char *group, const char *name,
                       const long long *v, int rank, const size_t *shape, struct grok_err *err)
{
    return write_named(run, group, name, GROK_I64, v, rank, shape, err);
}

int grok_run_write_columns(struct grok_run *run, const char *group, const double *rows, size_t T,
                           int first, int ncols, const char *const *names, struct grok_err *err)
{
    double *col = malloc((T ? T : 1) * sizeof *col);
    if (!col)
        return grok_err_set(err, GROK_ENOMEM, "out of memory");
    int rc = GROK_OK;
    for (int c = first; rc == GROK_OK && c < ncols; c++) {
        for (size_t t = 0; t < T; t++)
            col[t] = rows[t * (size_t)ncols + (size_t)c];
        rc = grok_run_write_f64(run, group, names[c], col, 1, &T, err);
    }
    free(col);
    return rc;
}

int grok_run_rows_write(struct grok_run *run, const char *path, enum grok_dtype dtype, int rank,
                        const size_t *rowshape, size_t chunk_rows, size_t at, size_t nrows,
                        const void *values, struct grok_err *err)
{
    int rc = grok_run_need_writable(run, path, err);
    if (rc != GROK_OK)
        return rc;
    if (native_type(dtype) < 0 || rank < 0 || rank > GROK_MAX_RANK - 1 || chunk_rows == 0)
        return grok_err_set(err, GROK_EINVAL, "%s: %s: unsupported rows", run->name, path);
    hsize_t dims[GROK_MAX_RANK + 1], maxdims[GROK_MAX_RANK + 1], chunk[GROK_MAX_RANK + 1];
    hsize_t start[GROK_MAX_RANK + 1] = {0};
    dims[0] = 0;
    maxdims[0] = H5S_UNLIMITED;
    chunk[0] = chunk_rows;
    for (int i = 0; i < rank; i++)
        dims[i + 1] = maxdims[i + 1] = chunk[i + 1] = rowshape[i];
    hid_t d = H5I_INVALID_HID, fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID;
    rc = GROK_EIO;
    if (grok_run_exists(run, path))
        d = H5Dopen2(run->file, path, H5P_DEFAULT);
    else
        d = create_dataset(run, path, dtype, rank + 1, dims, maxdims, chunk);
    if (d < 0)
        goto out;
    dims[0] = at + nrows;
    if (H5Dset_extent(d, dims) < 0 || (fspace = H5Dget_space(d)) < 0)
        goto out;
    start[0] = at;
    dims[0] = nrows;
    if (H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, dims, NULL) < 0 ||
        (mspace = H5Screate_simple(rank + 1, dims, NULL)) < 0 ||
        H5Dwrite(d, native_type(dtype), mspace, fspace, H5P_DEFAULT, values) < 0)
        goto out;
    rc = GROK_OK;
out:
    if (mspace >= 0) H5Sclose(mspace);
    if (fspace >= 0) H5Sclose(fspace);
    if (d >= 0) H5Dclose(d);
    if (rc != GROK_OK)
        grok_err_set(err, rc, "%s: cannot append to %s", run->name, path);
    return rc;
}

int grok_run_column_length(struct grok_run *run, const char *path, size_t *len,
                           struct grok_err *err)
{
    *len = 0;
    if (!grok_run_exists(run, path))
        return GROK_OK;
    struct grok_array info;
    int rc = grok_run_info(run, path, &info, err);
    if (rc == GROK_OK && info.rank != 1)
        rc = grok_err_set(err, GROK_EINVAL, "%s: %s is not a 1-D column", run->name, path);
    if (rc == GROK_OK)
        *len = info.shape[0];
    return rc;
}

int grok_run_column_append(struct grok_run *run, const char *path, enum grok_dtype dtype,
                           const void *values, size_t n, struct grok_err *err)
{
    int rc = grok_run_need_writable(run, path, err);
    if (rc != GROK_OK)
        return rc;
    if (dtype != GROK_F64 && dtype != GROK_I64)
        return grok_err_set(err, GROK_EINVAL, "%s: %s: columns are float64 or int64", run->name,
                            path);
    size_t len;
    if ((rc = grok_run_column_length(run, path, &len, err)) != GROK_OK)
        return rc;
    return grok_run_rows_write(run, path, dtype, 0, NULL, 1024, len, n, values, err);
}

int grok_run_rows_keep(struct grok_run *run, const char *path, size_t nrows, struct grok_err *err)
{
    int rc = grok_run_need_writable(run, path, err);
    if (rc != GROK_OK)
        return rc;
    hid_t d = H5I_INVALID_HID, space = H5I_INVALID_HID;
    hsize_t dims[GROK_MAX_RANK + 1];
    rc = GROK_EIO;
    if (!grok_run_exists(run, path) || (d = H5Dopen2(run->file, path, H5P_DEFAULT)) < 0 ||
        (space = H5Dget_space(d)) < 0)
        goto out;
    int rank = H5Sget_simple_extent_ndims(space);
    if (rank < 1 || rank > GROK_MAX_RANK + 1 || H5Sget_simple_extent_dims(space, dims, NULL) < 0)
        goto out;
    if (dims[0] < nrows) {
        rc = GROK_EINVAL;
        goto out;
    }
    dims[0] = nrows;
    if (H5Dset_extent(d, dims) < 0)
        goto out;
    rc = GROK_OK;
out:
    if (space >= 0) H5Sclose(space);
    if (d >= 0) H5Dclose(d);
    if (rc != GROK_OK)
        grok_err_set(err, rc, "%s: cannot cut %s to %zu rows", run->name, path, nrows);
    return rc;
}

int grok_run_path(char *buf, size_t cap, const char *group, const char *name,
                  struct grok_err *err)
{
    int len = snprintf(buf, cap, "%s/%s", strcmp(group, "/") == 0 ? "" : group, name);
    if (len < 0 || (size_t)len >= cap)
        return grok_err_set(err, GROK_EINVAL, "name too long: '%.40s...'", name);
    return GROK_OK;
}

int grok_run_group_replace(struct grok_run *run, const char *path, struct grok_err *err)
{
    int rc = grok_run_need_writable(run, path, err);
    if (rc != GROK_OK)
        return rc;
    hid_t g = H5I_INVALID_HID;
    if (delete_if_present(run, path) != GROK_OK || (g = create_group(run, path)) < 0)
        return grok_err_set(err, GROK_EIO, "%s: cannot create group %s", run->name, path);
    H5Gclose(g);
    return GROK_OK;
}

int grok_run_copy(struct grok_run *dst, struct grok_run *src, const char *path,
                  struct grok_err *err)
{
    int rc = grok_run_need_writable(dst, path, err);
    if (rc != GROK_OK)
        return rc;
    if (!grok_run_exists(src, path))
        return grok_err_set(err, GROK_ENOTFOUND, "%s: no %s", src->name, path);
    if (create_parents(dst, path) != GROK_OK || delete_if_present(dst, path) != GROK_OK)
        return grok_err_set(err, GROK_EIO, "%s: cannot copy %s from %s", dst->name, path,
                            src->name);
    return grok_run_copy_checked(dst, src, path, err);
}

/* ---- children ---------------------------------------------------------------------------- */

struct names_acc {
    char **names;
    size_t n, cap;
};

static herr_t collect_child(hid_t g, const char *name, const H5L_info_t *info, void *op)
{
    (void)g;
    (void)info;
    struct names_acc *acc = op;
    if (acc->n == acc->cap) {
        size_t cap = acc->cap ? acc->cap * 2 : 16;
        char **bigger = realloc(acc->names, cap * sizeof *bigger);
        if (!bigger)
            return -1;
        acc->names = bigger;
        acc->cap = cap;
    }
    if (!(acc->names[acc->n] = strdup(name)))
        return -1;
    acc->n++;
    return 0;
}

int grok_run_children(struct grok_run *run, const char *path, char ***names, size_t *n,
                      struct grok_err *err)
{
    struct names_acc acc = {0};
    *names = NULL;
    *n = 0;
    if (!grok_run_exists(run, path))
        return grok_err_set(err, GROK_ENOTFOUND, "%s: no group %s", run->name, path);
    hid_t g = H5Gopen2(run->file, path, H5P_DEFAULT), gcpl = H5I_INVALID_HID;
    unsigned order = 0;
    if (g >= 0 && (gcpl = H5Gget_create_plist(g)) >= 0)
        H5Pget_link_creation_order(gcpl, &order);
    if (gcpl >= 0)
        H5Pclose(gcpl);
    H5_index_t index = (order & H5P_CRT_ORDER_INDEXED) ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
    hsize_t idx = 0;
    if (g < 0 || H5Literate(g, index, H5_ITER_INC, &idx, collect_child, &acc) < 0) {
        if (g >= 0) H5Gclose(g);
        grok_names_free(acc.names, acc.n);
        return grok_err_set(err, GROK_EFORMAT, "%s: %s is not a readable group", run->name, path);
    }
    H5Gclose(g);
    *names = acc.names;
    *n = acc.n;
    return GROK_OK;
}

void grok_names_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

