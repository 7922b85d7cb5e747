/* The checked copy of one object of a run into another (grok_run_copy_checked, run_h5.h).
 *
 * HDF5's H5Ocopy copies an object with everything below it, but the HDF5 1.10 it runs on
 * crashes on some objects other writers make (a variable-length string attribute among many,
 * as h5py writes a `str`), so nothing is handed to it unseen. The object is walked first: every
 * link, object, attribute type, dataset type and storage layout. When all of it is of the kinds
 * grok writes itself (fixed-length strings, integers and floats, datasets contiguous or chunked
 * with an unlimited first axis and no filter), H5Ocopy copies it, and grok's own runs copy to
 * the same bytes as always. Otherwise the walk runs again and copies by hand: groups recreated,
 * attributes read and written back (variable-length strings as fixed-length ones, numbers in
 * their own type), datasets rewritten block by block in their own type, filters and chunk shape
 * kept and the first axis of a chunked one made unlimited so that rows can still be appended.
 * What grok cannot copy safely (external links, named datatypes, virtual datasets, data in
 * external files, a filter this HDF5 lacks, and compound, enum, reference, opaque, array,
 * bitfield, time and variable-length sequence types) is refused before anything is written.
 *
 * Owns nothing beyond one call. Calls HDF5 and run.c's public functions (include/grok/run.h). */
#include "run_h5.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rows of a dataset copied per read and write: a bounded buffer for any size of snapshot. */
#define BLOCK_BYTES ((size_t)64 << 20)

struct seen {
    haddr_t addr;
    char *path;              /* where the object was first met (the same path in dst) */
};

struct walk {
    struct grok_run *src, *dst;
    int copy;                /* 0: check only; 1: copy by hand */
    int plain;               /* check: everything is of the kinds grok writes */
    struct seen *seen;       /* every object met, so that a second link (or a cycle) is one */
    size_t nseen, cap;
    struct grok_err *err;
};

/* ---- what can be copied ----------------------------------------------------------------- */

enum kind { PLAIN, VLEN_STRING, REFUSED };

/* How a stored type is copied; *what names a refused type's class for the message. */
static enum kind type_kind(hid_t t, const char **what)
{
    *what = "unknown";
    switch (H5Tget_class(t)) {
    case H5T_INTEGER: case H5T_FLOAT: return PLAIN;
    case H5T_STRING: return H5Tis_variable_str(t) > 0 ? VLEN_STRING : PLAIN;
    case H5T_ENUM: *what = "enum"; break;
    case H5T_COMPOUND: *what = "compound"; break;
    case H5T_REFERENCE: *what = "reference"; break;
    case H5T_OPAQUE: *what = "opaque"; break;
    case H5T_VLEN: *what = "variable-length sequence"; break;
    case H5T_ARRAY: *what = "array"; break;
    case H5T_BITFIELD: *what = "bitfield"; break;
    case H5T_TIME: *what = "time"; break;
    default: break;
    }
    return REFUSED;
}

static int hdf5_failed(struct walk *w, const char *path)
{
    return grok_err_set(w->err, GROK_EIO, "%s: cannot copy %s from %s", w->dst->name, path,
                        w->src->name);
}

/* ---- attributes ------------------------------------------------------------------------- */

/* Writes attribute name of dst_obj with type t over space, from buf (NULL: no elements). */
static int attr_put(hid_t dst_obj, const char *name, hid_t t, hid_t space, const void *buf)
{
    hid_t a = H5Acreate2(dst_obj, name, t, space, H5P_DEFAULT, H5P_DEFAULT);
    int ok = a >= 0 && (!buf || H5Awrite(a, t, buf) >= 0);
    if (a >= 0) H5Aclose(a);
    return ok ? GROK_OK : GROK_EIO;
}

/* Variable-length strings of n elements (read with mtype) as fixed-length ones of the longest
 * one's size, NUL-terminated, in the source's character set: what grok writes itself. */
static int strings_fixed(char **vs, size_t n, H5T_cset_t cset, hid_t *ftype, char **fixed)
{
    size_t size = 1;
    for (size_t i = 0; i < n; i++)
        if (vs[i] && strlen(vs[i]) + 1 > size)
            size = strlen(vs[i]) + 1;
    *fixed = calloc(n ? n : 1, size);
    *ftype = H5Tcopy(H5T_C_S1);
    if (!*fixed || *ftype < 0 || H5Tset_size(*ftype, size) < 0 ||
        H5Tset_strpad(*ftype, H5T_STR_NULLTERM) < 0 || H5Tset_cset(*ftype, cset) < 0)
        return GROK_EIO;
    for (size_t i = 0; i < n; i++)
        if (vs[i])
            memcpy(*fixed + i * size, vs[i], strlen(vs[i]));
    return GROK_OK;
}

/* Reads the variable-length strings of attribute a (or dataset d when a < 0) whole. */
static int vlen_read(hid_t a, hid_t d, hid_t ftype, size_t n, hid_t *mtype, char ***vs)
{
    *vs = calloc(n ? n : 1, sizeof **vs);
    *mtype = H5Tcopy(H5T_C_S1);
    if (!*vs || *mtype < 0 || H5Tset_size(*mtype, H5T_VARIABLE) < 0 ||
        H5Tset_cset(*mtype, H5Tget_cset(ftype)) < 0)
        return GROK_EIO;
    if (n == 0)
        return GROK_OK;
    herr_t r = a >= 0 ? H5Aread(a, *mtype, *vs) : H5Dread(d, *mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, *vs);
    return r >= 0 ? GROK_OK : GROK_EIO;
}

/* Copies attribute a (named name) of src_obj to dst_obj: the bytes in their own type, or
 * variable-length strings rewritten fixed-length. */
static int attr_copy(hid_t a, const char *name, hid_t ftype, hid_t dst_obj)
{
    hid_t space = H5Aget_space(a), t = H5I_INVALID_HID, mtype = H5I_INVALID_HID;
    hssize_t np = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    size_t n = np > 0 ? (size_t)np : 0;
    char *buf = NULL, **vs = NULL;
    int rc = GROK_EIO;
    if (np < 0)
        goto out;
    if (H5Tis_variable_str(ftype) > 0) {
        if (vlen_read(a, H5I_INVALID_HID, ftype, n, &mtype, &vs) != GROK_OK ||
            strings_fixed(vs, n, H5Tget_cset(ftype), &t, &buf) != GROK_OK)
            goto out;
    } else {
        /* A transient copy: a named type would otherwise be linked to, not copied. */
        size_t size = H5Tget_size(ftype);
        if ((t = H5Tcopy(ftype)) < 0 || size == 0 || n > SIZE_MAX / size ||
            !(buf = malloc(n ? n * size : 1)) ||
            (n && H5Aread(a, t, buf) < 0))
            goto out;
    }
    rc = attr_put(dst_obj, name, t, space, n ? buf : NULL);
out:
    if (vs && mtype >= 0 && n)
        H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, vs);
    free(vs);
    free(buf);
    if (mtype >= 0) H5Tclose(mtype);
    if (t >= 0) H5Tclose(t);
    if (space >= 0) H5Sclose(space);
    return rc;
}

struct attr_walk {
    struct walk *w;
    const char *path;        /* the object's */
    hid_t dst_obj;           /* copying: the object in dst */
    int rc;
};

static herr_t attr_one(hid_t obj, const char *name, const H5A_info_t *info, void *op)
{
    (void)info;
    struct attr_walk *aw = op;
    struct walk *w = aw->w;
    const char *what;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT), t = a >= 0 ? H5Aget_type(a) : H5I_INVALID_HID;
    if (t < 0) {
        aw->rc = hdf5_failed(w, aw->path);
    } else {
        enum kind k = type_kind(t, &what);
        if (k == REFUSED)
            aw->rc = grok_err_set(w->err, GROK_EFORMAT, "%s: %s@%s has a type grok does not "
                                  "copy (%s)", w->src->name, aw->path, name, what);
        else if (k != PLAIN || H5Tcommitted(t) > 0)
            w->plain = 0;
        if (aw->rc == GROK_OK && w->copy && attr_copy(a, name, t, aw->dst_obj) != GROK_OK)
            aw->rc = grok_err_set(w->err, GROK_EIO, "%s: cannot copy %s@%s from %s",
                                  w->dst->name, aw->path, name, w->src->name);
    }
    if (t >= 0) H5Tclose(t);
    if (a >= 0) H5Aclose(a);
    return aw->rc == GROK_OK ? 0 : 1;
}

/* Checks (and when copying, copies to dst_obj) every attribute of src_obj. */
static int attrs_walk(struct walk *w, hid_t src_obj, const char *path, hid_t dst_obj)
{
    struct attr_walk aw = {w, path, dst_obj, GROK_OK};
    hsize_t idx = 0;
    if (H5Aiterate2(src_obj, H5_INDEX_NAME, H5_ITER_INC, &idx, attr_one, &aw) < 0 &&
        aw.rc == GROK_OK)
        aw.rc = hdf5_failed(w, path);
    return aw.rc;
}

/* ---- datasets --------------------------------------------------------------------------- */

/* Checks the storage of dataset d: refuses what reads other files or cannot be read here,
 * and clears w->plain for a layout grok does not write. */
static int storage_check(struct walk *w, hid_t d, hid_t dcpl, const char *path)
{
    hid_t space = H5Dget_space(d);
    hsize_t dims[H5S_MAX_RANK], maxdims[H5S_MAX_RANK];
    int rank = space >= 0 ? H5Sget_simple_extent_dims(space, dims, maxdims) : -1;
    if (space >= 0) H5Sclose(space);
    H5D_layout_t layout = H5Pget_layout(dcpl);
    int nfilters = H5Pget_nfilters(dcpl), next = H5Pget_external_count(dcpl);
    if (rank < 0 || layout < 0 || nfilters < 0 || next < 0)
        return hdf5_failed(w, path);
    if (layout == H5D_VIRTUAL)
        return grok_err_set(w->err, GROK_EFORMAT, "%s: %s is a virtual dataset, which grok "
                            "does not copy", w->src->name, path);
    if (next > 0)
        return grok_err_set(w->err, GROK_EFORMAT, "%s: %s keeps its data in external files, "
                            "which grok does not copy", w->src->name, path);
    for (int i = 0; i < nfilters; i++) {
        unsigned flags, config;
        size_t ncd = 0;
        char name[64] = "";
        H5Z_filter_t f = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, NULL, sizeof name,
                                        name, &config);
        if (f < 0)
            return hdf5_failed(w, path);
        if (H5Zfilter_avail(f) <= 0)
            return grok_err_set(w->err, GROK_EFORMAT, "%s: %s is compressed with a filter this "
                                "HDF5 lacks (%d%s%s)", w->src->name, path, (int)f,
                                name[0] ? " " : "", name);
    }
    int fixed = 1;
    for (int i = 0; i < rank; i++)
        fixed = fixed && maxdims[i] == dims[i];
    int grok_layout = nfilters == 0 &&
        ((layout == H5D_CONTIGUOUS && fixed) ||
         (layout == H5D_CHUNKED && rank > 0 && maxdims[0] == H5S_UNLIMITED));
    if (!grok_layout)
        w->plain = 0;
    return GROK_OK;
}

/* The dataset at path in dst, in the type t, over src_space's shape, stored as dcpl says with
 * the first axis of a chunked one unlimited. */
static hid_t dataset_make(struct walk *w, const char *path, hid_t t, hid_t src_space, hid_t dcpl)
{
    hsize_t dims[H5S_MAX_RANK], maxdims[H5S_MAX_RANK];
    int rank = H5Sget_simple_extent_dims(src_space, dims, maxdims);
    hid_t space = H5I_INVALID_HID, d = H5I_INVALID_HID;
    if (rank < 0 || H5Pset_obj_track_times(dcpl, 0) < 0)
        return H5I_INVALID_HID;
    int chunked = H5Pget_layout(dcpl) == H5D_CHUNKED;
    if (chunked)
        maxdims[0] = H5S_UNLIMITED;
    if (H5Sget_simple_extent_type(src_space) == H5S_SIMPLE)
        space = H5Screate_simple(rank, dims, chunked ? maxdims : NULL);
    else
        space = H5Scopy(src_space);
    if (space >= 0)
        d = H5Dcreate2(w->dst->file, path, t, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (space >= 0) H5Sclose(space);
    return d;
}

/* Copies the values of src to dst, both of type t, in blocks of rows. */
static int values_copy(hid_t src, hid_t dst, hid_t t, hid_t space)
{
    hsize_t dims[H5S_MAX_RANK], start[H5S_MAX_RANK] = {0}, count[H5S_MAX_RANK];
    int rank = H5Sget_simple_extent_dims(space, dims, NULL);
    hssize_t np = H5Sget_simple_extent_npoints(space);
    size_t size = H5Tget_size(t), row = size;
    if (rank < 0 || np < 0 || size == 0)
        return GROK_EIO;
    if (np == 0)
        return GROK_OK;
    if (rank == 0) {
        char *buf = malloc(size);
        int ok = buf && H5Dread(src, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0 &&
                 H5Dwrite(dst, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0;
        free(buf);
        return ok ? GROK_OK : GROK_EIO;
    }
    for (int i = 1; i < rank; i++) {
        /* A damaged file can claim any shape: a row that wrapped around would overrun buf. */
        if (dims[i] > SIZE_MAX / row)
            return GROK_EIO;
        row *= dims[i];
        count[i] = dims[i];
    }
    size_t rows = BLOCK_BYTES / row ? BLOCK_BYTES / row : 1;
    if (rows > dims[0])
        rows = dims[0];
    char *buf = malloc(rows * row);
    hid_t fs = H5Scopy(space), ms = H5I_INVALID_HID;
    int rc = buf && fs >= 0 ? GROK_OK : GROK_EIO;
    for (hsize_t r = 0; rc == GROK_OK && r < dims[0]; r += count[0]) {
        start[0] = r;
        count[0] = dims[0] - r < rows ? dims[0] - r : rows;
        if (ms >= 0) H5Sclose(ms);
        if ((ms = H5Screate_simple(rank, count, NULL)) < 0 ||
            H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
            H5Dread(src, t, ms, fs, H5P_DEFAULT, buf) < 0 ||
            H5Dwrite(dst, t, ms, fs, H5P_DEFAULT, buf) < 0)
            rc = GROK_EIO;
    }
    if (ms >= 0) H5Sclose(ms);
    if (fs >= 0) H5Sclose(fs);
    free(buf);
    return rc;
}

/* Copies dataset d to path in dst; a variable-length string one is rewritten fixed-length
 * (strings are few: read whole). */
static int dataset_copy(struct walk *w, hid_t d, hid_t ftype, hid_t dcpl, const char *path,
                        hid_t *dst)
{
    hid_t space = H5Dget_space(d), t = H5I_INVALID_HID, mtype = H5I_INVALID_HID;
    hid_t plain_dcpl = H5I_INVALID_HID;
    hssize_t np = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    size_t n = np > 0 ? (size_t)np : 0;
    char *buf = NULL, **vs = NULL;
    int rc = GROK_EIO;
    if (np < 0)
        goto out;
    if (H5Tis_variable_str(ftype) > 0) {
        /* The stored layout's fill value is of the variable-length type: a plain one. */
        if (vlen_read(H5I_INVALID_HID, d, ftype, n, &mtype, &vs) != GROK_OK ||
            strings_fixed(vs, n, H5Tget_cset(ftype), &t, &buf) != GROK_OK ||
            (plain_dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0 ||
            (*dst = dataset_make(w, path, t, space, plain_dcpl)) < 0 ||
            (n && H5Dwrite(*dst, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0))
            goto out;
    } else if ((t = H5Tcopy(ftype)) < 0 || (*dst = dataset_make(w, path, t, space, dcpl)) < 0 ||
               values_copy(d, *dst, t, space) != GROK_OK) {
        goto out;
    }
    rc = GROK_OK;
out:
    if (vs && mtype >= 0 && n)
        H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, vs);
    free(vs);
    free(buf);
    if (plain_dcpl >= 0) H5Pclose(plain_dcpl);
    if (mtype >= 0) H5Tclose(mtype);
    if (t >= 0) H5Tclose(t);
    if (space >= 0) H5Sclose(space);
    return rc;
}

static int dataset_walk(struct walk *w, const char *path)
{
    hid_t d = H5Dopen2(w->src->file, path, H5P_DEFAULT), dst = H5I_INVALID_HID;
    hid_t t = d >= 0 ? H5Dget_type(d) : H5I_INVALID_HID;
    hid_t dcpl = d >= 0 ? H5Dget_create_plist(d) : H5I_INVALID_HID;
    const char *what;
    int rc = GROK_OK;
    if (t < 0 || dcpl < 0) {
        rc = hdf5_failed(w, path);
        goto out;
    }
    enum kind k = type_kind(t, &what);
    if (k == REFUSED) {
        rc = grok_err_set(w->err, GROK_EFORMAT, "%s: %s has a type grok does not copy (%s)",
                          w->src->name, path, what);
        goto out;
    }
    if (k != PLAIN || H5Tcommitted(t) > 0)
        w->plain = 0;
    if ((rc = storage_check(w, d, dcpl, path)) != GROK_OK)
        goto out;
    if (w->copy && dataset_copy(w, d, t, dcpl, path, &dst) != GROK_OK) {
        rc = hdf5_failed(w, path);
        goto out;
    }
    rc = attrs_walk(w, d, path, dst);
out:
    if (dst >= 0) H5Dclose(dst);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (t >= 0) H5Tclose(t);
    if (d >= 0) H5Dclose(d);
    return rc;
}

/* ---- groups and links ------------------------------------------------------------------- */

static int link_walk(struct walk *w, const char *path);

/* A group made by hand gets the properties of grok's own: no timestamps, link creation order
 * tracked and indexed, so that its children keep the order in which the walk meets them. */
static int group_walk(struct walk *w, const char *path)
{
    hid_t g = H5Gopen2(w->src->file, path, H5P_DEFAULT), gcpl = H5I_INVALID_HID;
    hid_t dst = H5I_INVALID_HID;
    char **names = NULL;
    size_t n = 0;
    int rc = GROK_OK;
    if (g < 0) {
        rc = hdf5_failed(w, path);
        goto out;
    }
    if (w->copy && ((gcpl = H5Pcreate(H5P_GROUP_CREATE)) < 0 ||
                    H5Pset_obj_track_times(gcpl, 0) < 0 ||
                    H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED |
                                                         H5P_CRT_ORDER_INDEXED) < 0 ||
                    (dst = H5Gcreate2(w->dst->file, path, H5P_DEFAULT, gcpl, H5P_DEFAULT)) < 0)) {
        rc = hdf5_failed(w, path);
        goto out;
    }
    if ((rc = attrs_walk(w, g, path, dst)) != GROK_OK ||
        (rc = grok_run_children(w->src, path, &names, &n, w->err)) != GROK_OK)
        goto out;
    for (size_t i = 0; rc == GROK_OK && i < n; i++) {
        size_t len = strlen(path) + strlen(names[i]) + 2;
        char *child = malloc(len);
        if (!child) {
            rc = grok_err_set(w->err, GROK_ENOMEM, "out of memory");
            break;
        }
        snprintf(child, len, "%s/%s", path, names[i]);
        rc = link_walk(w, child);
        free(child);
    }
out:
    grok_names_free(names, n);
    if (dst >= 0) H5Gclose(dst);
    if (gcpl >= 0) H5Pclose(gcpl);
    if (g >= 0) H5Gclose(g);
    return rc;
}

/* The path where the object at addr was first met, or NULL; remembers path otherwise. */
static const char *seen_before(struct walk *w, haddr_t addr, const char *path, int *nomem)
{
    for (size_t i = 0; i < w->nseen; i++)
        if (w->seen[i].addr == addr)
            return w->seen[i].path;
    if (w->nseen == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 64;
        struct seen *bigger = realloc(w->seen, cap * sizeof *bigger);
        if (!bigger) {
            *nomem = 1;
            return NULL;
        }
        w->seen = bigger;
        w->cap = cap;
    }
    if (!(w->seen[w->nseen].path = strdup(path))) {
        *nomem = 1;
        return NULL;
    }
    w->seen[w->nseen++].addr = addr;
    return NULL;
}

static int link_walk(struct walk *w, const char *path)
{
    H5L_info_t li;
    H5O_info_t oi;
    if (H5Lget_info(w->src->file, path, &li, H5P_DEFAULT) < 0)
        return hdf5_failed(w, path);
    if (li.type == H5L_TYPE_SOFT) {
        /* Kept as a link (a path, resolved when read), as H5Ocopy keeps it. */
        w->plain = 0;
        if (!w->copy)
            return GROK_OK;
        char *target = malloc(li.u.val_size ? li.u.val_size : 1);
        int ok = target && H5Lget_val(w->src->file, path, target, li.u.val_size, H5P_DEFAULT) >= 0 &&
                 H5Lcreate_soft(target, w->dst->file, path, H5P_DEFAULT, H5P_DEFAULT) >= 0;
        free(target);
        return ok ? GROK_OK : hdf5_failed(w, path);
    }
    if (li.type != H5L_TYPE_HARD)
        return grok_err_set(w->err, GROK_EFORMAT, "%s: %s is an external link, which grok does "
                            "not copy", w->src->name, path);
    if (H5Oget_info_by_name(w->src->file, path, &oi, H5P_DEFAULT) < 0)
        return hdf5_failed(w, path);
    int nomem = 0;
    const char *first = seen_before(w, oi.addr, path, &nomem);
    if (nomem)
        return grok_err_set(w->err, GROK_ENOMEM, "out of memory");
    if (first) {
        /* A second name of one object, or a link back up (a cycle): linked, never walked twice. */
        w->plain = 0;
        if (w->copy && H5Lcreate_hard(w->dst->file, first, w->dst->file, path, H5P_DEFAULT,
                                      H5P_DEFAULT) < 0)
            return hdf5_failed(w, path);
        return GROK_OK;
    }
    switch (oi.type) {
    case H5O_TYPE_GROUP: return group_walk(w, path);
    case H5O_TYPE_DATASET: return dataset_walk(w, path);
    default:
        return grok_err_set(w->err, GROK_EFORMAT, "%s: %s is a named datatype, which grok does "
                            "not copy", w->src->name, path);
    }
}

/* Walks the object at path (checking, or copying by hand), then forgets what it met. */
static int walk_run(struct walk *w, const char *path)
{
    int rc = link_walk(w, path);
    for (size_t i = 0; i < w->nseen; i++)
        free(w->seen[i].path);
    free(w->seen);
    w->seen = NULL;
    w->nseen = w->cap = 0;
    return rc;
}

int grok_run_copy_checked(struct grok_run *dst, struct grok_run *src, const char *path,
                          struct grok_err *err)
{
    struct walk w = {.src = src, .dst = dst, .plain = 1, .err = err};
    int rc = walk_run(&w, path);
    if (rc != GROK_OK)
        return rc;
    if (w.plain) {
        if (H5Ocopy(src->file, path, dst->file, path, H5P_DEFAULT, H5P_DEFAULT) < 0)
            return hdf5_failed(&w, path);
        return GROK_OK;
    }
    w.copy = 1;
    return walk_run(&w, path);
}
