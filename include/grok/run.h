/* Run files: the HDF5 document that flows through a pipeline (DESIGN.md, "The run file").
 *
 * A run is either opened for reading (from a path, or from standard input, which is read whole
 * into memory as an HDF5 file image: no temporary file) or created for writing. A created run
 * lives in a temporary file beside its destination, or in memory when it goes to standard
 * output; grok_run_commit then renames it into place or writes the image out, so that a failed or
 * interrupted program never leaves a half-written output. Nothing here ever writes to a run that
 * was opened for reading.
 *
 * Paths inside a run are absolute HDF5 paths ("/metrics/step"); a parameter name with dots is a
 * single link name ("/snapshots/blocks.0.attn.W_Q"). Every function that can fail returns a
 * grok_status (or NULL) and fills err with one line naming the run and the object at fault. */
#ifndef GROK_RUN_H
#define GROK_RUN_H

#include <stddef.h>

#include "grok/err.h"

#define GROK_RUN_FORMAT "grok-run"
#define GROK_RUN_FORMAT_VERSION 1
#define GROK_MAX_RANK 8
#define GROK_MAX_NAME 255   /* longest parameter name a run may hold */

struct grok_run;

enum grok_dtype { GROK_F32, GROK_F64, GROK_I32, GROK_I64, GROK_STR, GROK_OTHER };

/* An n-dimensional array read from (or to be written to) a run. */
struct grok_array {
    enum grok_dtype dtype;
    int rank;                      /* 0 for a scalar */
    size_t shape[GROK_MAX_RANK];
    size_t n;                      /* product of shape; 1 for a scalar */
    void *data;                    /* n elements of dtype; owned when read (grok_array_free) */
};

/* A named float32 tensor view, such as one parameter of a model (data is borrowed). The name is
 * one HDF5 link name: 1..GROK_MAX_NAME bytes, no '/', not "step", "." or "..". */
struct grok_tensor {
    const char *name;
    int rank;
    size_t shape[GROK_MAX_RANK];
    const float *data;
};

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

/* Opens the run at `path` for reading; NULL or "-" reads standard input whole into memory.
 * `name` (for messages) is taken from path, or "stdin". Fails with GROK_EIO (cannot read),
 * GROK_EFORMAT ("not an HDF5 file", "not a complete HDF5 file", "not a grok run", a newer format
 * version). The caller closes the run with grok_run_close. */
struct grok_run *grok_run_open(const char *path, struct grok_err *err);

/* Opens a run held in memory as a whole HDF5 file image (len bytes), taking ownership of
 * `image` (malloc'd): it is freed when the run closes, or at once on failure. `name` is used in
 * messages. Fails like grok_run_open. */
struct grok_run *grok_run_open_image(unsigned char *image, size_t len, const char *name,
                                     struct grok_err *err);

/* Whether buf (len bytes) or the file open at fd (size bytes, read with pread) starts an HDF5
 * file: its signature at offset 0, 512, 1024, ... (after a user block). */
int grok_hdf5_signature(const unsigned char *buf, size_t len);
int grok_hdf5_signature_fd(int fd, long long size);

/* Reads the stream fd to its end into a malloc'd buffer (*out, *len bytes; the caller frees
 * it). An interrupted read (SIGINT, SIGTERM) stops with GROK_EIO "interrupted". */
int grok_read_stream(int fd, const char *name, unsigned char **out, size_t *len,
                     struct grok_err *err);

/* Creates an empty run (root attributes format and format_version) whose bytes will go to `dest`
 * at grok_run_commit: a path (written in a temporary file in the same folder until then), or
 * NULL / "-" for standard output (held in memory until then). */
struct grok_run *grok_run_create(const char *dest, struct grok_err *err);

/* Finishes a created run: flushes and renames the temporary file onto its destination, or writes
 * the file image to standard output. After it, only grok_run_close may be called. On failure
 * the destination is untouched (no partial file) and err says why. */
int grok_run_commit(struct grok_run *run, struct grok_err *err);

/* Closes a run and frees it. A created run that was not committed is abandoned: its temporary
 * file is removed and nothing reaches its destination. NULL is accepted. */
void grok_run_close(struct grok_run *run);

/* The name used for this run in messages (a path, or "stdin" / "stdout"). */
const char *grok_run_name(const struct grok_run *run);

/* Flushes a created run's file so that a crash loses at most what came after. */
int grok_run_flush(struct grok_run *run, struct grok_err *err);

/* Appends one line "ISO-time program version command-line" to the root `history` attribute.
 * The time is the current UTC time, or SOURCE_DATE_EPOCH when that is set, so that a run can be
 * made byte-identical. */
int grok_run_history_add(struct grok_run *run, const char *program, int argc, char **argv,
                         struct grok_err *err);

/* 1 when an object (group or dataset) exists at path, 0 otherwise. */
int grok_run_exists(struct grok_run *run, const char *path);

/* Attributes on the group or dataset at `obj` ("/config", "/pca", "/"). Setting creates the
 * group when it is missing and replaces an attribute of the same name. Strings are fixed-length
 * and NUL-terminated; integers are int64; doubles float64. Getting converts between integer and
 * floating types where exact (get_int refuses 2.5); *out of get_str is malloc'd. GROK_ENOTFOUND
 * when the attribute is absent, GROK_EFORMAT when it has the wrong type. */
int grok_run_attr_set_str(struct grok_run *run, const char *obj, const char *key, const char *v,
                          struct grok_err *err);
int grok_run_attr_set_int(struct grok_run *run, const char *obj, const char *key, long long v,
                          struct grok_err *err);
int grok_run_attr_set_double(struct grok_run *run, const char *obj, const char *key, double v,
                             struct grok_err *err);
int grok_run_attr_get_str(struct grok_run *run, const char *obj, const char *key, char **out,
                          struct grok_err *err);
int grok_run_attr_get_int(struct grok_run *run, const char *obj, const char *key, long long *out,
                          struct grok_err *err);
int grok_run_attr_get_double(struct grok_run *run, const char *obj, const char *key, double *out,
                             struct grok_err *err);

/* Shape and stored type of the dataset at path, without reading it (data stays NULL). */
int grok_run_info(struct grok_run *run, const char *path, struct grok_array *info,
                  struct grok_err *err);

/* Reads the dataset at path whole, converted to `as` (GROK_F32, GROK_F64, GROK_I32, GROK_I64).
 * `out` receives the shape and a malloc'd buffer (free with grok_array_free). */
int grok_run_read(struct grok_run *run, const char *path, enum grok_dtype as,
                  struct grok_array *out, struct grok_err *err);

/* Reads rows [row0, row0 + nrows) along the first dimension of the dataset at path: one
 * snapshot is rows (t, 1). out->shape[0] is nrows. GROK_EINVAL when the rows are out of range. */
int grok_run_read_rows(struct grok_run *run, const char *path, size_t row0, size_t nrows,
                       enum grok_dtype as, struct grok_array *out, struct grok_err *err);

/* Reads part of a dataset of rank >= 2 into the caller's buf: the listed rows of the first
 * dimension (nrows increasing indices), the range [col0, col0 + ncols) of the second, every
 * later dimension whole, converted to `as` (GROK_F32 or GROK_F64), row-major: nrows * ncols *
 * (product of the later dimensions) values. How an analysis reads a block of a trajectory's
 * columns without holding the whole trajectory. GROK_EINVAL when a row or column is out of range. */
int grok_run_read_slab(struct grok_run *run, const char *path, const size_t *rows, size_t nrows,
                       size_t col0, size_t ncols, enum grok_dtype as, void *buf,
                       struct grok_err *err);

/* Frees the data of an array read from a run and empties it; NULL is accepted. */
void grok_array_free(struct grok_array *a);

/* Writes `a` as a new dataset at path (fixed size; missing groups are created; an existing
 * dataset there is replaced). */
int grok_run_write_array(struct grok_run *run, const char *path, const struct grok_array *a,
                         struct grok_err *err);

/* Writes v, an array of `rank` dimensions `shape`, as the dataset group/name (float64 or int64),
 * replacing one there: how an analysis program fills its group ("/pca", "share"). */
int grok_run_write_f64(struct grok_run *run, const char *group, const char *name, const double *v,
                       int rank, const size_t *shape, struct grok_err *err);
int grok_run_write_i64(struct grok_run *run, const char *group, const char *name,
                       const long long *v, int rank, const size_t *shape, struct grok_err *err);

/* Writes each column c (first ≤ c < ncols) of the row-major table rows (T × ncols) as the 1-D
 * float64 dataset group/names[c]: a per-snapshot table of an analysis as its group's columns. */
int grok_run_write_columns(struct grok_run *run, const char *group, const double *rows, size_t T,
                           int first, int ncols, const char *const *names, struct grok_err *err);

/* Appends n values to the 1-D extendible column at path (GROK_F64 or GROK_I64), creating it on
 * first use. The metrics of a run are such columns, all of the same length. */
int grok_run_column_append(struct grok_run *run, const char *path, enum grok_dtype dtype,
                           const void *values, size_t n, struct grok_err *err);

/* Keeps the first nrows rows of the extendible dataset at path (a metrics column, a snapshot
 * dataset), dropping the rest: how a resumed run forgets an evaluation made off its cadence.
 * GROK_EINVAL when the dataset has fewer rows. */
int grok_run_rows_keep(struct grok_run *run, const char *path, size_t nrows, struct grok_err *err);

/* Appends one snapshot at `step`: one value to /snapshots/step and one row to each
 * /snapshots/<name> (float32 [T, shape...], one snapshot per chunk), creating them on the first
 * call. Later calls must give the same parameters with the same shapes, in any order
 * (GROK_EINVAL otherwise, and nothing is written). */
int grok_run_snapshot_append(struct grok_run *run, long long step, const struct grok_tensor *t,
                             int n, struct grok_err *err);

/* Writes /state/<name> for every tensor and the attribute /state step, replacing any state. */
int grok_run_state_write(struct grok_run *run, long long step, const struct grok_tensor *t,
                         int n, struct grok_err *err);

/* Creates the group at path (and its parents), replacing whatever held that path: an analysis
 * program calls it for its own group ("/pca") so that a rerun replaces the earlier result. */
int grok_run_group_replace(struct grok_run *run, const char *path, struct grok_err *err);

/* Copies the object at path (a group with all it holds, or a dataset) from src to the same path
 * in dst. GROK_ENOTFOUND when src has no such object. */
int grok_run_copy(struct grok_run *dst, struct grok_run *src, const char *path,
                  struct grok_err *err);

/* Starts the output of an analysis program: a run created for `dest` (as grok_run_create) that
 * holds everything src holds except the group `group` ("/pca"), src's history plus one line for
 * this program, and `group` itself, created empty for the program to fill. The caller commits
 * or abandons it (grok_run_commit / grok_run_close). NULL with err on failure. */
struct grok_run *grok_run_derive(const char *dest, struct grok_run *src, const char *group,
                                 const char *program, int argc, char **argv,
                                 struct grok_err *err);

/* Copies the root attribute `history` from src to dst (before dst adds its own line). */
int grok_run_copy_history(struct grok_run *dst, struct grok_run *src, struct grok_err *err);

/* Names of the links directly under the group at path, in the order they were created (name
 * order for groups written by other tools), as a malloc'd array of
 * malloc'd strings (free with grok_names_free). */
int grok_run_children(struct grok_run *run, const char *path, char ***names, size_t *n,
                      struct grok_err *err);
void grok_names_free(char **names, size_t n);

/* Every dataset at or under `path` ("/" for the whole run) and every attribute of every object
 * there, in path order. GROK_ENOTFOUND when nothing is at path. */
int grok_run_list(struct grok_run *run, const char *path, struct grok_entry **entries, size_t *n,
                  struct grok_err *err);
void grok_entries_free(struct grok_entry *entries, size_t n);

/* Joins a group path and a link name ("/snapshots", "embed.W_E") into buf of cap bytes.
 * GROK_EINVAL ("name too long") rather than a cut path when it does not fit. */
int grok_run_path(char *buf, size_t cap, const char *group, const char *name,
                  struct grok_err *err);

/* The type name used in listings ("float32", ...). */
const char *grok_dtype_name(enum grok_dtype t);

#endif
