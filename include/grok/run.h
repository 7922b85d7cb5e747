/* run: the generic HDF5 layer of run files, the HDF5 document that flows through a pipeline
 * (DESIGN.md, "The run file"). Owns the file (open, create, commit, close, flush), the in-memory
 * file image of a run read from or written to a stream, typed attribute and dataset I/O, the
 * children of a group, copying and replacing groups, and joining paths. It knows no group of the
 * run's own layout: snapshots, metrics, state and history are modules above it. Calls array,
 * stream and atomic (the temporary file renamed into place), and HDF5; called by every module
 * that reads or writes a run.
 *
 * A run is either opened for reading (from a path, or from standard input, which is read whole
 * into memory as an HDF5 file image: no temporary file) or created for writing. A created run
 * lives in memory; grok_run_commit writes its bytes to a temporary file beside the destination
 * and renames it into place, or writes them to standard output, so that a failed or interrupted
 * program never leaves a half-written output, and a full disk is an error of ours, reported in
 * one line. Nothing here ever writes to a run that was opened for reading.
 *
 * Paths inside a run are absolute HDF5 paths ("/metrics/step"); a parameter name with dots is a
 * single link name ("/snapshots/blocks.0.attn.W_Q"). Every function that can fail returns a
 * grok_status (or NULL) and fills err with one line naming the run and the object at fault. */
#ifndef GROK_RUN_H
#define GROK_RUN_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#include "grok/array.h"
#include "grok/err.h"

#define GROK_RUN_FORMAT "grok-run"
#define GROK_RUN_FORMAT_VERSION 1

struct grok_run;

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

/* Creates an empty run (root attributes format and format_version) whose bytes will go to `dest`
 * at grok_run_commit: a path, or NULL / "-" for standard output. The run is held in memory until
 * then (HDF5 never writes to disk: every failure to write is ours to report); for a path, a
 * temporary file is made beside it now, so that an unwritable folder is refused at once. */
struct grok_run *grok_run_create(const char *dest, struct grok_err *err);

/* A created run that is a copy of the created run `run` as it is now, to be written to dest at
 * its own grok_run_commit: how a checkpoint adds what it needs (a /state) without touching the
 * run being written. Costs a copy of the run's bytes in memory. NULL on failure, with err. */
struct grok_run *grok_run_clone(struct grok_run *run, const char *dest, struct grok_err *err);

/* Finishes a created run: writes its bytes into the temporary file, syncs it and renames it onto
 * its destination, or writes them to standard output. After it, only grok_run_close may be
 * called. On failure the destination is untouched (no partial file, no temporary file left) and
 * err says why: "<dest>: write failed: No space left on device". */
int grok_run_commit(struct grok_run *run, struct grok_err *err);

/* Closes a run and frees it. A created run that was not committed is abandoned: its temporary
 * file is removed and nothing reaches its destination. NULL is accepted. */
void grok_run_close(struct grok_run *run);

/* The name used for this run in messages (a path, or "stdin" / "stdout"). */
const char *grok_run_name(const struct grok_run *run);

/* Flushes HDF5's caches into a created run's (in-memory) file. Nothing reaches the disk before
 * grok_run_commit: a run that must survive a crash is written out whole as a checkpoint
 * (grok_run_clone, then grok_run_commit of the clone). */
int grok_run_flush(struct grok_run *run, struct grok_err *err);

/* GROK_OK when run was created and is not yet committed; otherwise GROK_EINVAL "<run>: <what>:
 * the run is open for reading only". How a writer of several objects refuses before it changes
 * anything (every writer here checks it too). */
int grok_run_need_writable(const struct grok_run *run, const char *what, struct grok_err *err);

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
/* A string attribute stored variable-length: for text that grows without bound (the history),
 * which a fixed-length attribute would cap at 64 KiB. Read back with grok_run_attr_get_str. */
int grok_run_attr_set_text(struct grok_run *run, const char *obj, const char *key, const char *v,
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

/* Writes nrows rows, each of `rank` dimensions `rowshape` (rank < GROK_MAX_RANK), from values
 * (elements of dtype: GROK_F32, GROK_F64, GROK_I32 or GROK_I64) at row `at` of the
 * extendible dataset at path, creating it, chunked by chunk_rows rows, when absent. Its first
 * dimension becomes at + nrows, whatever it was: a writer that knows how many rows are good
 * overwrites what a failed earlier call left. GROK_EINVAL for a bad shape or type, GROK_EIO
 * "<run>: cannot append to <path>" when HDF5 fails (a dataset of another shape there). */
int grok_run_rows_write(struct grok_run *run, const char *path, enum grok_dtype dtype, int rank,
                        const size_t *rowshape, size_t chunk_rows, size_t at, size_t nrows,
                        const void *values, struct grok_err *err);

/* The length of the 1-D dataset at path into *len: 0 when there is none. GROK_EINVAL when it
 * is not 1-D. */
int grok_run_column_length(struct grok_run *run, const char *path, size_t *len,
                           struct grok_err *err);

/* Keeps the first nrows rows of the extendible dataset at path (a metrics column, a snapshot
 * dataset), dropping the rest: how a resumed run forgets an evaluation made off its cadence.
 * GROK_EINVAL when the dataset has fewer rows. */
int grok_run_rows_keep(struct grok_run *run, const char *path, size_t nrows, struct grok_err *err);

/* Creates the group at path (and its parents), replacing whatever held that path: an analysis
 * program calls it for its own group ("/pca") so that a rerun replaces the earlier result. */
int grok_run_group_replace(struct grok_run *run, const char *path, struct grok_err *err);

/* Copies the object at path (a group with all it holds, or a dataset) from src to the same path
 * in dst. GROK_ENOTFOUND when src has no such object. */
int grok_run_copy(struct grok_run *dst, struct grok_run *src, const char *path,
                  struct grok_err *err);

/* Names of the links directly under the group at path, in the order they were created (name
 * order for groups written by other tools), as a malloc'd array of
 * malloc'd strings (free with grok_names_free). */
int grok_run_children(struct grok_run *run, const char *path, char ***names, size_t *n,
                      struct grok_err *err);
void grok_names_free(char **names, size_t n);

/* Joins a group path and a link name ("/snapshots", "embed.W_E") into buf of cap bytes.
 * GROK_EINVAL ("name too long") rather than a cut path when it does not fit. */
int grok_run_path(char *buf, size_t cap, const char *group, const char *name,
                  struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
