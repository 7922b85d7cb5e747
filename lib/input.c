/* A run or a table, told apart by content (include/grok/input.h). */
#include "grok/input.h"
#include "grok/stream.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void grok_input_close(struct grok_input *in)
{
    if (!in)
        return;
    grok_run_close(in->run);
    grok_table_free(in->table);
    in->run = NULL;
    in->table = NULL;
}

int grok_input_open(struct grok_input *in, const char *path, struct grok_err *err)
{
    int from_stdin = !path || strcmp(path, "-") == 0;
    in->name = from_stdin ? "stdin" : path;
    in->run = NULL;
    in->table = NULL;
    int fd = from_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC), rc = GROK_OK;
    unsigned char *buf = NULL;
    size_t len = 0;
    struct stat st;
    if (fd < 0)
        return grok_err_set(err, GROK_EIO, "%s: %s", in->name, strerror(errno));
    if (fstat(fd, &st) != 0) {
        rc = grok_err_set(err, GROK_EIO, "%s: %s", in->name, strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
        rc = grok_err_set(err, GROK_EIO, "%s: is a directory", in->name);
    } else if (S_ISREG(st.st_mode) && grok_hdf5_signature_fd(fd, (long long)st.st_size)) {
        /* A file, also as standard input: HDF5 reads it in place. */
        if (!(in->run = grok_run_open(path, err)))
            rc = err->code;
    } else if ((rc = grok_read_stream(fd, in->name, &buf, &len, err)) != GROK_OK) {
        /* err says why */
    } else if (len == 0) {
        rc = grok_err_set(err, GROK_EFORMAT, "%s: empty %s", in->name,
                          !from_stdin && S_ISREG(st.st_mode) ? "file" : "input");
    } else if (grok_hdf5_signature(buf, len)) {
        in->run = grok_run_open_image(buf, len, in->name, err); /* owns buf now */
        buf = NULL;
        if (!in->run)
            rc = err->code;
    } else if (!(in->table = grok_table_read_mem((const char *)buf, len, in->name, err))) {
        rc = err->code;
    }
    free(buf);
    if (fd != STDIN_FILENO)
        close(fd);
    return rc;
}
