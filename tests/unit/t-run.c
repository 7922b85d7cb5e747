/* Run files: write then read back, through a path and through a pipe; snapshots; atomicity;
 * damaged and foreign inputs. */
#define _XOPEN_SOURCE 700 /* mknod(2), for a private device node */
#include "tap.h"
#include "runs.h"

#include "grok/history.h"
#include "grok/run.h"
#include "grok/runlist.h"
#include "grok/snapshots.h"
#include "grok/state.h"

#include <dirent.h>
#include <hdf5.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int count_temp_files(void)
{
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += strstr(e->d_name, ".tmp") != NULL;
    if (d)
        closedir(d);
    return n;
}

static float param_a[2][3], param_b[4];

/* Writes a small run with every kind of content; returns 0 on success. */
static int write_sample(const char *dest, struct grok_err *err)
{
    struct grok_run *run = grok_run_create(dest, err);
    if (!run)
        return -1;
    int rc = 0;
    char *argv[] = {"prog", "-o", "it's here"};
    rc |= grok_run_history_add(run, "t-run", 3, argv, err);
    rc |= grok_run_attr_set_str(run, "/config", "op", "add", err);
    rc |= grok_run_attr_set_int(run, "/config", "p", 113, err);
    rc |= grok_run_attr_set_double(run, "/config", "lr", 1e-3, err);
    int32_t pairs[3][2] = {{1, 2}, {3, 4}, {5, 6}};
    struct grok_array a = {.dtype = GROK_I32, .rank = 2, .shape = {3, 2}, .n = 6, .data = pairs};
    rc |= grok_run_write_array(run, "/data/train", &a, err);
    for (int s = 0; s < 3; s++) {
        for (int i = 0; i < 6; i++)
            param_a[i / 3][i % 3] = (float)(s * 10 + i);
        for (int i = 0; i < 4; i++)
            param_b[i] = (float)(-s - 0.5 * i);
        struct grok_tensor t[2] = {{"blocks.0.attn.W_Q", 2, {2, 3}, &param_a[0][0]},
                                   {"b_U", 1, {4}, param_b}};
        rc |= grok_run_snapshot_append(run, s * 100, t, 2, err);
        long long step = s * 100;
        double loss = 1.0 / (s + 1);
        rc |= grok_run_column_append(run, "/metrics/step", GROK_I64, &step, 1, err);
        rc |= grok_run_column_append(run, "/metrics/loss", GROK_F64, &loss, 1, err);
    }
    struct grok_tensor st[1] = {{"b_U", 1, {4}, param_b}};
    rc |= grok_run_state_write(run, 200, st, 1, err);
    if (rc == 0)
        rc = grok_run_commit(run, err);
    grok_run_close(run);
    return rc;
}

static void check_sample(struct grok_run *run, const char *how)
{
    struct grok_err err = {0};
    char *s = NULL;
    long long i = 0;
    double d = 0;
    ok(grok_run_attr_get_str(run, "/config", "op", &s, &err) == GROK_OK && s && !strcmp(s, "add"),
       "%s: string attribute", how);
    free(s);
    ok(grok_run_attr_get_int(run, "/config", "p", &i, &err) == GROK_OK && i == 113,
       "%s: integer attribute", how);
    ok(grok_run_attr_get_double(run, "/config", "lr", &d, &err) == GROK_OK && d == 1e-3,
       "%s: double attribute", how);
    struct grok_array a;
    ok(grok_run_read(run, "/data/train", GROK_I32, &a, &err) == GROK_OK && a.rank == 2 &&
       a.shape[0] == 3 && a.shape[1] == 2 && ((int32_t *)a.data)[5] == 6,
       "%s: int32 [3,2] dataset", how);
    grok_array_free(&a);
    ok(grok_run_read(run, "/metrics/loss", GROK_F64, &a, &err) == GROK_OK && a.n == 3 &&
       ((double *)a.data)[2] == 1.0 / 3, "%s: appended column", how);
    grok_array_free(&a);
    ok(grok_run_read(run, "/snapshots/blocks.0.attn.W_Q", GROK_F32, &a, &err) == GROK_OK &&
       a.rank == 3 && a.shape[0] == 3 && a.shape[1] == 2 && a.shape[2] == 3 &&
       ((float *)a.data)[6 + 4] == 14.0f, "%s: snapshots [T,2,3]", how);
    grok_array_free(&a);
    ok(grok_run_read_rows(run, "/snapshots/b_U", 2, 1, GROK_F64, &a, &err) == GROK_OK &&
       a.shape[0] == 1 && a.shape[1] == 4 && ((double *)a.data)[3] == -3.5, "%s: one row", how);
    grok_array_free(&a);
    ok(grok_run_read(run, "/snapshots/step", GROK_I64, &a, &err) == GROK_OK && a.n == 3 &&
       ((long long *)a.data)[2] == 200, "%s: snapshot steps", how);
    grok_array_free(&a);
    ok(grok_run_attr_get_int(run, "/state", "step", &i, &err) == GROK_OK && i == 200,
       "%s: state step", how);
}

static void test_round_trip(void)
{
    struct grok_err err = {0};
    const char *path = in_dir("a.h5");
    is_int(write_sample(path, &err), 0, "write a run to a path (%s)", err.msg);
    ok(count_temp_files() == 0, "no temporary file left after commit");
    struct grok_run *run = grok_run_open(path, &err);
    ok(run != NULL, "open it again (%s)", run ? "" : err.msg);
    if (run)
        check_sample(run, "path");

    struct grok_array a;
    is_int(grok_run_read(run, "/nope", GROK_F64, &a, &err), GROK_ENOTFOUND, "missing dataset");
    is_str(err.msg, strcat(strcpy((char[300]){0}, path), ": no dataset /nope"), "its message");
    is_int(grok_run_read_rows(run, "/metrics/loss", 2, 2, GROK_F64, &a, &err), GROK_EINVAL,
           "rows out of range refused");
    is_int(grok_run_attr_set_int(run, "/config", "x", 1, &err), GROK_EINVAL,
           "a run opened for reading is never written");
    long long i;
    is_int(grok_run_attr_get_int(run, "/config", "lr", &i, &err), GROK_EFORMAT,
           "0.001 is not an integer");
    is_int(grok_run_attr_get_int(run, "/config", "missing", &i, &err), GROK_ENOTFOUND,
           "missing attribute");
    char **names;
    size_t n;
    ok(grok_run_children(run, "/metrics", &names, &n, &err) == GROK_OK && n == 2 &&
       !strcmp(names[0], "step") && !strcmp(names[1], "loss"), "columns in creation order");
    grok_names_free(names, n);
    struct grok_entry *e;
    ok(grok_run_list(run, "/", &e, &n, &err) == GROK_OK && n > 10, "list the run");
    int seen = 0;
    for (size_t k = 0; k < n; k++)
        seen += e[k].attr && !strcmp(e[k].path, "/config") && !strcmp(e[k].attr, "lr") &&
                !strcmp(e[k].value, "0.001") && !strcmp(e[k].type_name, "float64");
    ok(seen == 1, "the listing shows /config lr = 0.001 float64");
    grok_entries_free(e, n);
    ok(grok_run_list(run, "/config", &e, &n, &err) == GROK_OK && n == 3 && e[0].attr &&
       !strcmp(e[0].path, "/config") && !strcmp(e[0].attr, "lr"), "list one group: its attributes");
    grok_entries_free(e, n);
    ok(grok_run_list(run, "/metrics", &e, &n, &err) == GROK_OK && n == 2 &&
       !strcmp(e[0].path, "/metrics/loss"), "list one group: its datasets, full paths");
    grok_entries_free(e, n);
    is_int(grok_run_list(run, "/nope", &e, &n, &err), GROK_ENOTFOUND, "list what is not there");
    char small[24];
    ok(grok_run_path(small, sizeof small, "/snapshots", "embed.W_E", &err) == GROK_OK &&
       !strcmp(small, "/snapshots/embed.W_E"), "join a path");
    is_int(grok_run_path(small, sizeof small, "/snapshots", "blocks.0.attn.W_Q", &err), GROK_EINVAL,
           "a join that does not fit is refused, not cut");
    char *h = NULL;
    grok_run_attr_get_str(run, "/", "history", &h, &err);
    ok(h && strstr(h, " t-run " GROK_VERSION " prog -o 'it'\\''s here'"), "history line: %s", h);
    free(h);
    grok_run_close(run);
}

/* Through a pipe, both ways: the child writes the run to standard output (a file image), the
 * parent reads it from a pipe (slurped into an image). */
static void test_pipe(void)
{
    int fds[2];
    if (pipe(fds) != 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], STDOUT_FILENO);
        struct grok_err err;
        _exit(write_sample("-", &err) == 0 ? 0 : 1);
    }
    close(fds[1]);
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
    struct grok_err err = {0};
    struct grok_run *run = grok_run_open(path, &err);
    ok(run != NULL, "read a run written to stdout, from a pipe (%s)", run ? "" : err.msg);
    if (run)
        check_sample(run, "pipe");
    grok_run_close(run);
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the writer succeeded");
}

static void test_group_replace(void)
{
    struct grok_err err = {0};
    struct grok_run *run = grok_run_create(in_dir("group.h5"), &err);
    ok(grok_run_group_replace(run, "/pca", &err) == GROK_OK &&
       grok_run_attr_set_int(run, "/pca", "k", 3, &err) == GROK_OK &&
       grok_run_group_replace(run, "/pca", &err) == GROK_OK, "replace an analysis group");
    long long k;
    is_int(grok_run_attr_get_int(run, "/pca", "k", &k, &err), GROK_ENOTFOUND,
           "the replaced group starts empty");
    grok_run_close(run);
}

static void test_atomic(void)
{
    struct grok_err err = {0};
    const char *path = in_dir("never.h5");
    struct grok_run *run = grok_run_create(path, &err);
    float v[4] = {1, 2, 3, 4};
    struct grok_tensor t = {"w", 1, {4}, v};
    grok_run_snapshot_append(run, 0, &t, 1, &err);
    ok(!file_exists(path), "nothing at the destination before commit");
    grok_run_close(run);
    ok(!file_exists(path) && count_temp_files() == 0, "abandoned: no output, no temporary file");

    /* A writer killed in the middle leaves no output file (only its hidden temporary). */
    pid_t pid = fork();
    if (pid == 0) {
        struct grok_run *r = grok_run_create(path, NULL);
        grok_run_snapshot_append(r, 0, &t, 1, NULL);
        grok_run_flush(r, NULL);
        raise(SIGKILL);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    ok(WIFSIGNALED(status) && !file_exists(path), "killed writer: no output file");

    /* Committing over an existing file replaces it whole. */
    const char *a = in_dir("a.h5");
    struct stat before;
    stat(a, &before);
    ok(write_sample(a, &err) == 0, "rewrite an existing run");
    struct grok_run *r = grok_run_open(a, &err);
    ok(r != NULL, "the replaced run opens");
    grok_run_close(r);
    ok(grok_run_create(in_dir("no/such/dir/x.h5"), &err) == NULL &&
       strstr(err.msg, "cannot create"), "a destination folder that does not exist: %s", err.msg);
}

/* Reads the FIFO at `fifo` into the file `to`, in a child; returns its pid. The alarm ends a
 * reader that no writer ever comes to. */
static pid_t fifo_reader(const char *fifo, const char *to)
{
    pid_t pid = fork();
    if (pid == 0) {
        alarm(10);
        int in = open(fifo, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        char buf[4096];
        ssize_t n = -1;
        while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
            if (write(out, buf, (size_t)n) != n)
                _exit(1);
        _exit(n != 0);
    }
    return pid;
}

/* Found by audit: a destination that is a symbolic link, a FIFO or a device is written, never
 * replaced by a regular file. */
static void test_atomic_special(void)
{
    struct grok_err err = {0};
    struct stat st, before;
    int temps = count_temp_files(); /* the killed writer's, above */
    const char *target = in_dir("linked.h5"), *link = in_dir("link.h5");
    write_sample(target, &err);
    stat(target, &before);
    ok(symlink("linked.h5", link) == 0, "a link to a run");
    ok(write_sample(link, &err) == 0, "write through the link: %s", err.msg);
    ok(lstat(link, &st) == 0 && S_ISLNK(st.st_mode), "the link is still a link");
    ok(stat(target, &st) == 0 && st.st_ino != before.st_ino && S_ISREG(st.st_mode),
       "its target was replaced");
    struct grok_run *r = grok_run_open(link, &err);
    ok(r != NULL, "the run opens through the link");
    grok_run_close(r);

    /* A relative link into a folder, to a file not yet there: the run appears in that folder. */
    mkdir(in_dir("sub"), 0777);
    symlink("sub/new.h5", in_dir("dangling.h5"));
    ok(write_sample(in_dir("dangling.h5"), &err) == 0, "write through a dangling link: %s", err.msg);
    ok(lstat(in_dir("dangling.h5"), &st) == 0 && S_ISLNK(st.st_mode) &&
       stat(in_dir("sub/new.h5"), &st) == 0 && S_ISREG(st.st_mode),
       "the link stays, its target is written");
    ok(count_temp_files() == temps, "no temporary file left");

    /* A FIFO: its reader gets the run, and the FIFO stays. */
    const char *fifo = in_dir("fifo"), *got = in_dir("from-fifo.h5");
    mkfifo(fifo, 0600);
    pid_t pid = fifo_reader(fifo, got);
    int rc = write_sample(fifo, &err), status;
    waitpid(pid, &status, 0);
    ok(rc == 0, "write a run into a FIFO: %s", err.msg);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "its reader saw the end of the stream");
    ok(stat(fifo, &st) == 0 && S_ISFIFO(st.st_mode), "the FIFO is still a FIFO");
    if ((r = grok_run_open(got, &err)))
        check_sample(r, "read from the FIFO");
    else
        ok(0, "the bytes read from the FIFO are the run: %s", err.msg);
    grok_run_close(r);

    /* An abandoned output: the reader sees an empty stream, not a writer that never ends. */
    pid = fifo_reader(fifo, got);
    r = grok_run_create(fifo, &err);
    grok_run_close(r);
    waitpid(pid, &status, 0);
    ok(r && WIFEXITED(status) && WEXITSTATUS(status) == 0 && stat(got, &st) == 0 &&
       st.st_size == 0, "abandoned: the FIFO's reader gets nothing and an end");

    /* A device: as root, a rename onto /dev/null replaces it with a regular file. So that a
     * regression cannot break the machine's /dev/null, a private one goes first (root may make
     * it), and /dev/null itself is tried only when that one stayed a device. */
    const char *dev = in_dir("null");
    int survived = 1;
    if (stat("/dev/null", &before) == 0 && mknod(dev, S_IFCHR | 0666, before.st_rdev) == 0) {
        ok(write_sample(dev, &err) == 0, "write a run to a device: %s", err.msg);
        survived = stat(dev, &st) == 0 && S_ISCHR(st.st_mode);
        ok(survived, "the device is still a character device");
    }
    if (survived) {
        ok(write_sample("/dev/null", &err) == 0, "write a run to /dev/null: %s", err.msg);
        ok(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode), "/dev/null is still a character device");
    } else {
        ok(0, "/dev/null not tried: a device is replaced");
    }
    ok(count_temp_files() == temps, "no temporary file left");
}

static void copy_prefix(const char *from, const char *to, double frac)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    fseek(in, 0, SEEK_END);
    long n = (long)(ftell(in) * frac);
    fseek(in, 0, SEEK_SET);
    for (long i = 0; i < n; i++)
        fputc(fgetc(in), out);
    fclose(in);
    fclose(out);
}

static void test_bad_inputs(void)
{
    struct grok_err err = {0};
    char want[400];
    copy_prefix(in_dir("a.h5"), in_dir("half.h5"), 0.5);
    ok(grok_run_open(in_dir("half.h5"), &err) == NULL, "truncated run refused");
    snprintf(want, sizeof want, "%s: not a complete HDF5 file", in_dir("half.h5"));
    is_str(err.msg, want, "its message");
    FILE *f = fopen(in_dir("text.tsv"), "w");
    fputs("step\tloss\n1\t2\n", f);
    fclose(f);
    ok(grok_run_open(in_dir("text.tsv"), &err) == NULL, "a table is not a run");
    snprintf(want, sizeof want, "%s: not an HDF5 file", in_dir("text.tsv"));
    is_str(err.msg, want, "its message");
    fclose(fopen(in_dir("empty"), "w"));
    ok(grok_run_open(in_dir("empty"), &err) == NULL && strstr(err.msg, "empty file"), "empty file");
    ok(grok_run_open(in_dir("missing.h5"), &err) == NULL &&
       strstr(err.msg, "No such file or directory"), "missing file: %s", err.msg);
    ok(grok_run_open(dir, &err) == NULL && strstr(err.msg, "is a directory"), "a directory");
}

static int same_bytes(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        same = ca == cb;
        if (ca == EOF || cb == EOF)
            break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

static void test_determinism(void)
{
    struct grok_err err;
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
    write_sample(in_dir("d1.h5"), &err);
    sleep(1);
    write_sample(in_dir("d2.h5"), &err);
    ok(same_bytes(in_dir("d1.h5"), in_dir("d2.h5")), "the same content gives the same bytes");
    /* To standard output, the same bytes as to a file. */
    int fd = open(in_dir("d3.h5"), O_WRONLY | O_CREAT | O_TRUNC, 0644), saved = dup(STDOUT_FILENO);
    fflush(stdout);
    dup2(fd, STDOUT_FILENO);
    int rc = write_sample("-", &err);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(fd);
    close(saved);
    ok(rc == 0 && same_bytes(in_dir("d1.h5"), in_dir("d3.h5")),
       "a run written to stdout is byte for byte the run written to a file");
    struct grok_run *run = grok_run_open(in_dir("d1.h5"), &err);
    char *h = NULL;
    grok_run_attr_get_str(run, "/", "history", &h, &err);
    ok(h && !strncmp(h, "2023-11-14T22:13:20Z t-run ", 27), "SOURCE_DATE_EPOCH sets the time");
    free(h);
    grok_run_close(run);
    unsetenv("SOURCE_DATE_EPOCH");
}

/* Inputs a crafted or foreign file can hold; each found by review, each once a crash or a
 * silent corruption. */
static void test_hostile(void)
{
    struct grok_err err = {0};
    const char *path = in_dir("hostile.h5");
    struct grok_run *run = grok_run_create(path, &err);
    char longname[GROK_MAX_NAME + 2];
    memset(longname, 'w', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    float v[2] = {1, 2};
    struct grok_tensor t[2] = {{"a", 1, {2}, v}, {longname, 1, {2}, v}};
    is_int(grok_run_snapshot_append(run, 0, &t[1], 1, &err), GROK_EINVAL,
           "a name longer than GROK_MAX_NAME is refused, not cut");
    ok(grok_run_snapshot_append(run, 0, t, 1, &err) == GROK_OK, "one parameter");
    struct grok_tensor two[2] = {{"a", 1, {2}, v}, {"b", 1, {2}, v}};
    is_int(grok_run_snapshot_append(run, 100, two, 2, &err), GROK_EINVAL, "a parameter more refused");
    ok(grok_run_attr_set_int(run, "/config", "seed", 1234567890123456789LL, &err) == GROK_OK,
       "a large seed");
    /* A history longer than an attribute in the object header may be (64 KiB). */
    char *arg = malloc(5000);
    memset(arg, 'x', 4999);
    arg[4999] = '\0';
    char *argv[] = {"prog", arg};
    int rc = 0;
    for (int i = 0; i < 20 && rc == 0; i++)
        rc = grok_run_history_add(run, "t-run", 2, argv, &err);
    is_int(rc, GROK_OK, "a history of 100 KB (%s)", rc ? err.msg : "");
    grok_run_commit(run, &err);
    grok_run_close(run);

    /* Then what another tool could add: a list of strings, a column claiming 2^61 rows. */
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t cfg = H5Gopen2(f, "/config", H5P_DEFAULT);
    hsize_t three = 3, huge = (hsize_t)1 << 61, unlimited = H5S_UNLIMITED, chunk = 1024;
    hid_t st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, 2);
    hid_t sp = H5Screate_simple(1, &three, NULL);
    hid_t a = H5Acreate2(cfg, "tags", st, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, st, "a\0b\0c\0");
    H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(st);
    H5Gclose(cfg);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, &chunk);
    sp = H5Screate_simple(1, &huge, &unlimited);
    hid_t d = H5Dcreate2(f, "/huge", H5T_STD_I64LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Dclose(d);
    H5Sclose(sp);
    H5Pclose(dcpl);
    H5Fclose(f);

    run = grok_run_open(path, &err);
    ok(run != NULL, "reopen the doctored run");
    char *s = NULL;
    is_int(grok_run_attr_get_str(run, "/config", "tags", &s, &err), GROK_EFORMAT,
           "a list of strings is not read as one");
    struct grok_array arr;
    is_int(grok_run_read(run, "/huge", GROK_I64, &arr, &err), GROK_EFORMAT,
           "a dataset claiming 2^61 rows is refused, not read");
    ok(strstr(err.msg, "/huge claims an impossible size") != NULL, "  %s", err.msg);
    struct grok_entry *e;
    size_t n;
    int tags = 0, seed = 0;
    ok(grok_run_list(run, "/", &e, &n, &err) == GROK_OK, "list it");
    for (size_t k = 0; k < n; k++) {
        if (e[k].attr && !strcmp(e[k].attr, "tags"))
            tags = !strcmp(e[k].value, "(not a single string)");
        if (e[k].attr && !strcmp(e[k].attr, "seed"))
            seed = !strcmp(e[k].value, "1234567890123456789");
    }
    ok(tags, "the list of strings is listed as such");
    ok(seed, "a large integer is listed exactly");
    grok_entries_free(e, n);
    char *h = NULL;
    grok_run_attr_get_str(run, "/", "history", &h, &err);
    ok(h && strlen(h) > 100000 && strstr(h, arg), "the whole history, command lines uncut");
    free(h);
    free(arg);
    grok_run_close(run);
}

int main(void)
{
    if (!scratch_make("t-run"))
        return done_testing();
    test_round_trip();
    test_pipe();
    test_group_replace();
    test_atomic();
    test_atomic_special();
    test_bad_inputs();
    test_determinism();
    test_hostile();
    scratch_remove();
    return done_testing();
}
