/* Listing a run (include/grok/runlist.h): a walk of HDF5's object tree and each object's
 * attributes. */
#include "grok/runlist.h"
#include "grok/tsv.h"
#include "run_h5.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct list_acc {
    struct grok_entry *e;
    size_t n, cap;
    const char *obj;   /* absolute path of the object whose attributes are being visited */
    const char *base;  /* absolute path of the object the visit started from */
};

static struct grok_entry *list_push(struct list_acc *acc, const char *path)
{
    if (acc->n == acc->cap) {
        size_t cap = acc->cap ? acc->cap * 2 : 32;
        struct grok_entry *bigger = realloc(acc->e, cap * sizeof *bigger);
        if (!bigger)
            return NULL;
        acc->e = bigger;
        acc->cap = cap;
    }
    struct grok_entry *e = &acc->e[acc->n];
    memset(e, 0, sizeof *e);
    if (!(e->path = strdup(path)))
        return NULL;
    acc->n++;
    return e;
}

/* The value of a numeric or string attribute as text; arrays are joined with commas. */
static char *attr_value_text(hid_t a, hid_t type, enum grok_dtype dt)
{
    char *out = NULL;
    if (dt == GROK_STR) {
        if (grok_h5_attr_read_string(a, &out) != GROK_OK)
            return strdup("(not a single string)");
        return out;
    }
    /* uint8, int16, float16 ... (h5py's numpy types) are GROK_OTHER as data, numbers here. */
    H5T_class_t cls = H5Tget_class(type);
    if (dt == GROK_OTHER && cls != H5T_INTEGER && cls != H5T_FLOAT)
        return strdup("");
    hid_t space = H5Aget_space(a);
    hssize_t npts = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    if (space >= 0) H5Sclose(space);
    if (npts < 0 || npts > 4096)
        return strdup("...");
    /* Integers are read as integers: a seed of 2^60 must print exactly, not as a double. */
    int is_int = cls == H5T_INTEGER;
    int is_unsigned = is_int && H5Tget_sign(type) == H5T_SGN_NONE;
    union { double d; long long i; unsigned long long u; } *v = malloc((size_t)(npts ? npts : 1) * sizeof *v);
    size_t cap = (size_t)npts * 32 + 1;
    out = malloc(cap);
    hid_t mtype = !is_int ? H5T_NATIVE_DOUBLE : is_unsigned ? H5T_NATIVE_ULLONG : H5T_NATIVE_LLONG;
    if (!v || !out || H5Aread(a, mtype, v) < 0) {
        free(v);
        free(out);
        return strdup("?");
    }
    out[0] = '\0';
    size_t len = 0;
    for (hssize_t i = 0; i < npts; i++) {
        char num[32];
        if (is_unsigned)
            snprintf(num, sizeof num, "%llu", v[i].u);
        else if (is_int)
            snprintf(num, sizeof num, "%lld", v[i].i);
        else
            grok_fmt_shortest(num, v[i].d, dt == GROK_F32);   /* settings, read by people */
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? "," : "", num);
    }
    free(v);
    return out;
}

/* Fills an entry's type and shape from an HDF5 type and dataspace (either may be invalid). */
static void entry_describe(struct grok_entry *e, hid_t type, hid_t space)
{
    e->dtype = type >= 0 ? grok_h5_classify(type, e->type_name) : GROK_OTHER;
    int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    if (rank > 0 && rank <= GROK_MAX_RANK) {
        hsize_t dims[GROK_MAX_RANK];
        H5Sget_simple_extent_dims(space, dims, NULL);
        e->rank = rank;
        for (int i = 0; i < rank; i++)
            e->shape[i] = (size_t)dims[i];
    }
}

static herr_t collect_attr(hid_t o, const char *name, const H5A_info_t *ainfo, void *op)
{
    (void)ainfo;
    struct list_acc *acc = op;
    struct grok_entry *e = list_push(acc, acc->obj);
    if (!e || !(e->attr = strdup(name)))
        return -1;
    hid_t a = H5Aopen(o, name, H5P_DEFAULT);
    if (a < 0)
        return -1;
    hid_t type = H5Aget_type(a), space = H5Aget_space(a);
    entry_describe(e, type, space);
    e->value = attr_value_text(a, type, e->dtype);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    H5Aclose(a);
    return e->value ? 0 : -1;
}

static herr_t collect_object(hid_t root, const char *name, const H5O_info_t *info, void *op)
{
    struct list_acc *acc = op;
    /* Names come relative to the start, "." for the start itself; any length a file holds. */
    int is_start = strcmp(name, ".") == 0, at_root = strcmp(acc->base, "/") == 0;
    size_t cap = strlen(acc->base) + strlen(name) + 2;
    char *path = malloc(cap);
    herr_t rc = -1;
    if (!path)
        return -1;
    snprintf(path, cap, "%s%s%s", acc->base, is_start || at_root ? "" : "/", is_start ? "" : name);
    if (info->type == H5O_TYPE_DATASET) {
        struct grok_entry *e = list_push(acc, path);
        hid_t d = e ? H5Dopen2(root, name, H5P_DEFAULT) : H5I_INVALID_HID;
        if (d < 0)
            goto out;
        hid_t type = H5Dget_type(d), space = H5Dget_space(d);
        entry_describe(e, type, space);
        if (space >= 0) H5Sclose(space);
        if (type >= 0) H5Tclose(type);
        H5Dclose(d);
    }
    if (info->num_attrs > 0) {
        hid_t o = H5Oopen(root, name, H5P_DEFAULT);
        if (o < 0)
            goto out;
        acc->obj = path;
        hsize_t idx = 0;
        herr_t r = H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_attr, acc);
        H5Oclose(o);
        if (r < 0)
            goto out;
    }
    rc = 0;
out:
    free(path);
    return rc;
}

int grok_run_list(struct grok_run *run, const char *path, struct grok_entry **entries, size_t *n,
                  struct grok_err *err)
{
    struct list_acc acc = {.base = path};
    *entries = NULL;
    *n = 0;
    if (!grok_run_exists(run, path))
        return grok_err_set(err, GROK_ENOTFOUND, "%s: no %s", run->name, path);
    hid_t o = H5Oopen(run->file, path, H5P_DEFAULT);
    herr_t r = o >= 0 ? H5Ovisit(o, H5_INDEX_NAME, H5_ITER_INC, collect_object, &acc) : -1;
    if (o >= 0)
        H5Oclose(o);
    if (r < 0) {
        grok_entries_free(acc.e, acc.n);
        return grok_err_set(err, GROK_EFORMAT, "%s: cannot list %s (damaged file?)", run->name,
                            path);
    }
    *entries = acc.e;
    *n = acc.n;
    return GROK_OK;
}

void grok_entries_free(struct grok_entry *entries, size_t n)
{
    for (size_t i = 0; entries && i < n; i++) {
        free(entries[i].path);
        free(entries[i].attr);
        free(entries[i].value);
    }
    free(entries);
}
