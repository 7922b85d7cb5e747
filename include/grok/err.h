/* Error reporting shared by every libgrok module.
 *
 * A libgrok function that can fail takes a `struct grok_err *` last and returns a
 * status (or NULL); on failure it fills err->msg with one line that names the file,
 * dataset, row or column at fault, without the program prefix: the program prints
 * "grok-xxx: " followed by err->msg. err may be NULL when the caller does not care.
 *
 * Owns: enum grok_status and struct grok_err. Calls only libc (vsnprintf). Called by every
 * module; it is the one header every other one may include. */
#ifndef GROK_ERR_H
#define GROK_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

enum grok_status {
    GROK_OK = 0,
    GROK_EIO = -1,       /* reading or writing failed */
    GROK_EFORMAT = -2,   /* the data is not what it should be (foreign, truncated, malformed) */
    GROK_ENOMEM = -3,    /* out of memory */
    GROK_EINVAL = -4,    /* the caller asked for something impossible (bad name, shape, range) */
    GROK_ENOTFOUND = -5, /* a dataset, attribute or column is missing */
};

struct grok_err {
    int code;            /* one of enum grok_status */
    char msg[1024];      /* one line, no trailing newline */
};

/* Fills err (when not NULL) with code and a printf-formatted message; returns code so that
 * a failing function can `return grok_err_set(err, GROK_EIO, "...")`. */
int grok_err_set(struct grok_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif

#endif
