#include "grok/atomic.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The temporary files that exist now, for grok_atomic_remove_all in a fatal signal's handler.
 * Copies of the names in static slots, since a handler may neither lock nor allocate, and the
 * heap may be what the fault damaged. A program has one or two outputs open at a time; an
 * output beyond the table, or with a longer name, is simply not cleaned up there. */
#define MAX_OPEN 8
static char open_tmp[MAX_OPEN][4096];
static volatile sig_atomic_t open_used[MAX_OPEN];

static void remember_tmp(struct grok_atomic *a)
{
    a->slot = -1;
    if (strlen(a->tmp) >= sizeof open_tmp[0])
        return;
    for (int i = 0; i < MAX_OPEN; i++)
        if (!open_used[i]) {
            strcpy(open_tmp[i], a->tmp);
            open_used[i] = 1;
            a->slot = i;
            return;
        }
}

/* Unregisters a->tmp (its file already renamed or removed) and frees the name. */
static void forget_tmp(struct grok_atomic *a)
{
    if (a->tmp && a->slot >= 0)
        open_used[a->slot] = 0;
    a->slot = -1;
    free(a->tmp);
    a->tmp = NULL;
}

void grok_atomic_remove_all(void)
{
    for (int i = 0; i < MAX_OPEN; i++)
        if (open_used[i])
            unlink(open_tmp[i]);
}

/* The descriptor that dest names, for /dev/stdout, /dev/stderr, /dev/fd/N and /proc/self/fd/N;
 * -1 for any other name. Such a destination is written through a copy of the descriptor: it
 * may be a file the shell opened (`>> log`, or a group's redirection), whose offset and append
 * mode are the shell's, and which a rename would take out from under it. */
static int descriptor_named(const char *dest)
{
    if (strcmp(dest, "/dev/stdout") == 0)
        return STDOUT_FILENO;
    if (strcmp(dest, "/dev/stderr") == 0)
        return STDERR_FILENO;
    const char *num = strncmp(dest, "/dev/fd/", 8) == 0 ? dest + 8
                      : strncmp(dest, "/proc/self/fd/", 14) == 0 ? dest + 14 : NULL;
    if (!num || !*num || strspn(num, "0123456789") != strlen(num) || strlen(num) > 6)
        return -1;
    return atoi(num);
}

/* The target of the symbolic link at path, malloc'd; NULL with errno set. */
static char *read_link(const char *path)
{
    for (size_t cap = 256;; cap *= 2) {
        char *buf = malloc(cap);
        if (!buf)
            return NULL;
        ssize_t n = readlink(path, buf, cap);
        if (n < 0) {
            free(buf);
            return NULL;
        }
        if ((size_t)n < cap) {
            buf[n] = '\0';
            return buf;
        }
        free(buf); /* maybe cut: try a larger buffer */
    }
}

/* dest with every symbolic link along its last component followed, malloc'd; NULL with errno
 * set. The final path may not exist yet (a link to a file still to be written). Links in the
 * folders are left alone: rename works through them. realpath(3) would refuse a dangling link. */
static char *follow_links(const char *dest)
{
    char *path = strdup(dest);
    for (int hops = 0; path; hops++) {
        struct stat st;
        if (lstat(path, &st) != 0 || !S_ISLNK(st.st_mode))
            return path; /* a missing path is a new file; another error shows at mkstemp */
        if (hops == 40) { /* the kernel's own limit */
            free(path);
            errno = ELOOP;
            return NULL;
        }
        char *link = read_link(path);
        if (!link) {
            free(path);
            return NULL;
        }
        /* A relative link is relative to the folder that holds it. */
        const char *slash = strrchr(path, '/');
        size_t dirlen = link[0] != '/' && slash ? (size_t)(slash - path) + 1 : 0;
        char *next = malloc(dirlen + strlen(link) + 1);
        if (next)
            sprintf(next, "%.*s%s", (int)dirlen, path, link);
        free(link);
        free(path);
        path = next;
    }
    return NULL;
}

/* Holds a write lock on the whole of the open file fd for as long as this process keeps it
 * open: the mark of a temporary file in use, which the kernel drops when its owner dies, even
 * by SIGKILL. 0 on success; -1 (errno EAGAIN or EACCES) when another process holds it. */
static int lock_file(int fd)
{
    struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    return fcntl(fd, F_SETLK, &lk);
}

/* Removes the temporary files of `base` in folder dir ("" for the current one) that a killed
 * program left: named like ours (".<base>.tmpXXXXXX"), unlocked (their owner is gone) and
 * older than two seconds (a file just made by mkstemp is locked a moment later). So that
 * none pile up where a program is killed again and again, as a cluster job at its time limit. */
static void remove_stale(const char *dir, size_t dirlen, const char *base)
{
    char folder[4096];
    if (dirlen >= sizeof folder)
        return;
    if (dirlen)
        snprintf(folder, sizeof folder, "%.*s", (int)dirlen, dir);
    else
        strcpy(folder, ".");
    DIR *d = opendir(folder);
    if (!d)
        return;
    size_t baselen = strlen(base);
    time_t now = time(NULL);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        const char *n = e->d_name;
        if (n[0] != '.' || strncmp(n + 1, base, baselen) != 0 || strncmp(n + 1 + baselen, ".tmp", 4) != 0 ||
            strlen(n + 1 + baselen + 4) != 6)
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", folder, n);
        int fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        struct stat st;
        if (fd < 0)
            continue;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && now - st.st_mtime >= 2 && lock_file(fd) == 0)
            unlink(path);
        close(fd);
    }
    closedir(d);
}

int grok_atomic_begin(struct grok_atomic *a, const char *dest, struct grok_err *err)
{
    a->fd = -1;
    a->tmp = NULL;
    a->slot = -1;
    a->direct = 0;
    a->target_fd = -1;
    a->dest = strdup(dest);
    errno = ENOMEM;
    /* A destination that exists and is no regular file is opened by its own name, through the
     * kernel's links: /dev/stdout's chain ends in a name like "pipe:[123]", no path. */
    struct stat st;
    int fdnum = descriptor_named(dest);
    int special = fdnum >= 0 || (stat(dest, &st) == 0 && !S_ISREG(st.st_mode));
    a->target = !a->dest ? NULL : special ? strdup(dest) : follow_links(dest);
    if (!a->target) {
        int e = errno;
        grok_atomic_abort(a);
        if (e == ENOMEM)
            return grok_err_set(err, GROK_ENOMEM, "%s: out of memory", dest);
        return grok_err_set(err, GROK_EIO, "%s: cannot create: %s", dest, strerror(e));
    }
    const char *target = a->target;

    /* A FIFO or a device is written into, never replaced: renaming onto /dev/null would put a
     * regular file in its place. Opened now, so that a refusal comes before the work. */
    if (special) {
        a->direct = 1;
        a->target_fd = fdnum >= 0 ? dup(fdnum) : open(target, O_WRONLY | O_NOCTTY);
        if (a->target_fd < 0) {
            int e = errno;
            grok_atomic_abort(a);
            return grok_err_set(err, GROK_EIO, "%s: cannot open: %s", dest, strerror(e));
        }
    }

    const char *slash = strrchr(target, '/');
    size_t dirlen = slash ? (size_t)(slash - target) + 1 : 0;
    const char *base = target + dirlen;
    const char *tmpdir = getenv("TMPDIR");
    if (!tmpdir || !*tmpdir)
        tmpdir = "/tmp";
    size_t len = (a->direct ? strlen(tmpdir) : dirlen) + strlen(base) + sizeof "/..tmpXXXXXX";
    if (!(a->tmp = malloc(len))) {
        grok_atomic_abort(a);
        return grok_err_set(err, GROK_ENOMEM, "%s: out of memory", dest);
    }
    /* Hidden and beside the target, so that rename stays within one file system; for a direct
     * target, whose folder (/dev) may hold no new file, in the temporary folder. */
    if (a->direct) {
        snprintf(a->tmp, len, "%s/.%s.tmpXXXXXX", tmpdir, base);
        remove_stale(tmpdir, strlen(tmpdir), base);
    } else {
        snprintf(a->tmp, len, "%.*s.%s.tmpXXXXXX", (int)dirlen, target, base);
        remove_stale(target, dirlen, base);
    }
    a->fd = mkstemp(a->tmp);
    if (a->fd >= 0)
        lock_file(a->fd);   /* best effort: a folder without locks keeps its left-overs */
    if (a->fd < 0) {
        int e = errno;
        free(a->tmp);
        a->tmp = NULL;
        grok_atomic_abort(a);
        return grok_err_set(err, GROK_EIO, "%s: cannot create: %s", dest, strerror(e));
    }
    remember_tmp(a);
    return GROK_OK;
}

/* Copies the whole temporary file into the direct target. */
static int copy_to_target(struct grok_atomic *a, struct grok_err *err)
{
    char buf[1 << 16];
    /* The name is no longer needed, only the open descriptor: removed first, so that a FIFO's
     * reader that leaves early (SIGPIPE ends the program, as on a pipe) leaves no file behind. */
    if (unlink(a->tmp) == 0)
        forget_tmp(a);
    if (lseek(a->fd, 0, SEEK_SET) != 0)
        return grok_err_set(err, GROK_EIO, "%s: cannot write: %s", a->dest, strerror(errno));
    for (;;) {
        ssize_t n = read(a->fd, buf, sizeof buf);
        if (n == 0)
            break;
        if (n < 0)
            return grok_err_set(err, GROK_EIO, "%s: cannot write: %s", a->dest, strerror(errno));
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(a->target_fd, buf + done, (size_t)(n - done));
            if (w < 0)
                return grok_err_set(err, GROK_EIO, "%s: cannot write: %s", a->dest,
                                    strerror(errno));
            done += w;
        }
    }
    int fd = a->target_fd;
    a->target_fd = -1;
    if (close(fd) != 0)
        return grok_err_set(err, GROK_EIO, "%s: cannot write: %s", a->dest, strerror(errno));
    return GROK_OK;
}

int grok_atomic_commit(struct grok_atomic *a, struct grok_err *err)
{
    int rc = GROK_OK;
    if (a->direct) {
        rc = copy_to_target(a, err);
        grok_atomic_abort(a); /* the temporary file goes in any case */
        return rc;
    }
    /* mkstemp makes 0600; a new output should get what open(2) would give it under the umask. */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(a->fd, 0666 & ~mask) != 0 || fsync(a->fd) != 0)
        rc = grok_err_set(err, GROK_EIO, "%s: cannot write: %s", a->dest, strerror(errno));
    if (close(a->fd) != 0 && rc == GROK_OK)
        rc = grok_err_set(err, GROK_EIO, "%s: cannot write: %s", a->dest, strerror(errno));
    a->fd = -1;
    if (rc == GROK_OK && rename(a->tmp, a->target) != 0)
        rc = grok_err_set(err, GROK_EIO, "%s: cannot rename into place: %s", a->dest,
                          strerror(errno));
    if (rc == GROK_OK)
        forget_tmp(a);
    grok_atomic_abort(a);
    return rc;
}

void grok_atomic_abort(struct grok_atomic *a)
{
    if (a->fd >= 0)
        close(a->fd);
    a->fd = -1;
    if (a->direct && a->target_fd >= 0)
        close(a->target_fd);
    a->direct = 0;
    a->target_fd = -1;
    if (a->tmp)
        unlink(a->tmp);
    forget_tmp(a);
    free(a->dest);
    free(a->target);
    a->tmp = a->dest = a->target = NULL;
}
