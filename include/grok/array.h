/* array: the small typed arrays that pass between libgrok's modules — an n-dimensional array of
 * one element type (what a run's dataset reads into or is written from) and a named float32
 * tensor view (one parameter of a model). Owns only these types and their destructor; calls
 * nothing but libc, and knows nothing of HDF5, so that the model maths can use them without
 * depending on storage. Called by run (the HDF5 layer), model, and everything above them. */
#ifndef GROK_ARRAY_H
#define GROK_ARRAY_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#include "grok/err.h"

#define GROK_MAX_RANK 8
#define GROK_MAX_NAME 255   /* longest parameter name a run may hold */

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

/* Frees the data of an array read from a run and empties it; NULL is accepted. */
void grok_array_free(struct grok_array *a);

/* The type name used in listings ("float32", ...). */
const char *grok_dtype_name(enum grok_dtype t);

/* Checks that t can be stored as one parameter of a run: a name as struct grok_tensor says, a
 * rank below GROK_MAX_RANK (a snapshot adds a dimension) and no empty dimension. GROK_EINVAL
 * otherwise, the message starting with `who` (the run's name). */
int grok_tensor_check(const struct grok_tensor *t, const char *who, struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
