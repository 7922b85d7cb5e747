#include "grok/cli.h"
#include "grok/atomic.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

static const char *program = "grok";
static volatile sig_atomic_t interrupted;
static char **typed_argv;
static int typed_argc;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

#ifndef __SANITIZE_ADDRESS__ /* AddressSanitizer reports the fatal signals itself, with a trace */
/* HDF5 trusts the structure of the files it reads: some damage to a run's metadata that its
 * checksums do not catch makes the library itself fault (a bad pointer, or a double free that
 * glibc's malloc catches and answers with abort). One line and exit 1 then, as for any bad input,
 * saying the input is damaged, and no temporary file left behind; the line also admits it may be
 * our bug. doc/robustness.md has the measurements. */
static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};

static void write_str(const char *s)
{
    ssize_t ignored = write(STDERR_FILENO, s, strlen(s));
    (void)ignored;
}

static void on_fatal(int sig)
{
    /* Threads that fault together (the pool's workers on one damaged input) report once: the
     * first cleans up and exits, the others wait for that. */
    static atomic_flag reported = ATOMIC_FLAG_INIT;
    if (atomic_flag_test_and_set(&reported))
        for (;;)
            pause();
    char num[12];
    int n = (int)sizeof num - 1;
    num[n] = '\0';
    do
        num[--n] = (char)('0' + sig % 10);
    while ((sig /= 10) > 0 && n > 0);
    grok_atomic_remove_all();
    write_str(program);
    write_str(": damaged HDF5 input: crashed on signal ");
    write_str(num + n);
    write_str(" reading it (if the input is sound, it is a bug)\n");
    _exit(GROK_EXIT_DATA);
}

/* Before glibc aborts on a corrupted heap (what a damaged HDF5 file does most often) it writes
 * its own line, "free(): double free detected in tcache 2", to standard error: glibc 2.36 always
 * writes it to descriptor 2 with writev(2), whatever LIBC_FATAL_STDERR_ says. Moving standard
 * error off descriptor 2 would change what isatty(2), -o /dev/stderr and every library's direct
 * writes see, so instead a seccomp filter makes writev on descriptor 2 fail with EBADF: nothing
 * of grok writes standard error with writev (stdio uses write), so only glibc's fatal messages
 * are lost, and the abort that follows them still reaches on_fatal's one line. Where the kernel
 * refuses the filter (no seccomp, a sandbox that forbids it) the programs work as before and a
 * heap fault prints two lines. The filter is inherited across exec, which no program does. */
static void mute_libc_fatal_messages(void)
{
#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))
#if defined(__x86_64__)
    const unsigned arch = AUDIT_ARCH_X86_64;
#else
    const unsigned arch = AUDIT_ARCH_AARCH64;
#endif
    struct sock_filter code[] = {
        /* Another ABI's system call numbers mean other calls: allow them all. */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_writev, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        /* The descriptor is an int: the low half of args[0], first on these little-endian ABIs. */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, STDERR_FILENO, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EBADF),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {(unsigned short)(sizeof code / sizeof *code), code};
    /* Without privileges a filter needs no_new_privs. It holds for this thread and the threads
     * it starts (the pool's workers, which read HDF5), not for those libraries started before
     * main (OpenBLAS's), which never call HDF5. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0)
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
#endif
}
#endif

void grok_cli_init(const char *name, int argc, char **argv)
{
    program = name;
    typed_argv = malloc(((size_t)argc + 1) * sizeof *typed_argv);
    if (typed_argv) {
        memcpy(typed_argv, argv, ((size_t)argc + 1) * sizeof *typed_argv);
        typed_argc = argc;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
#ifndef __SANITIZE_ADDRESS__ /* AddressSanitizer reports these signals itself, with a trace */
    /* All of them blocked while the handler runs: a fault inside it then ends the process the
     * default way, never re-enters it. */
    sa.sa_handler = on_fatal;
    for (size_t i = 0; i < sizeof fatal_signals / sizeof *fatal_signals; i++)
        sigaddset(&sa.sa_mask, fatal_signals[i]);
    for (size_t i = 0; i < sizeof fatal_signals / sizeof *fatal_signals; i++)
        sigaction(fatal_signals[i], &sa, NULL);
    mute_libc_fatal_messages();
#endif
    /* SIGPIPE keeps its default: a reader that stops early (`| head`, awk's exit) ends the
     * program quietly, as it ends every Unix filter. Outputs to files are never pipes. */
}

char **grok_cli_argv(int *argc)
{
    *argc = typed_argc;
    return typed_argv;
}

const char *grok_prog(void)
{
    return program;
}

int grok_interrupted(void)
{
    return interrupted;
}

static void vmessage(const char *fmt, va_list ap, const char *suffix)
{
    fflush(stdout);
    fprintf(stderr, "%s: ", program);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "%s\n", suffix);
}

void grok_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(fmt, ap, "");
    va_end(ap);
}

void grok_die(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(fmt, ap, "");
    va_end(ap);
    exit(code);
}

long long grok_flag_int(const char *flag, const char *text, long long lo, long long hi)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (!*text || *end || errno || v < lo || v > hi)
        grok_usage("%s: bad value '%s' (a whole number from %lld to %lld)", flag, text, lo, hi);
    return v;
}

int grok_flag_real(const char *text, double *v)
{
    /* strtod skips leading white space; a flag's value " 1" is a typo, not a number */
    if (!text || !*text || text[0] == ' ' || (text[0] >= '\t' && text[0] <= '\r'))
        return 1;
    char *end;
    errno = 0;
    double x = strtod(text, &end);
    if (*end || isnan(x))
        return 1;
    if (errno == ERANGE || !isfinite(x))
        return 2;
    *v = x;
    return 0;
}

void grok_usage(const char *fmt, ...)
{
    char suffix[96];
    snprintf(suffix, sizeof suffix, " (see %s --help)", program);
    va_list ap;
    va_start(ap, fmt);
    vmessage(fmt, ap, suffix);
    va_end(ap);
    exit(GROK_EXIT_USAGE);
}

/* A word given to -t that is none of the program's table kinds: one usage line, exit 2. */
static void refuse_table_word(const struct grok_common *co, const char *w)
{
    if (!co->table_kinds[0])
        grok_usage("-t takes no argument in %s (its one table)", program);
    char kinds[256] = "";
    for (const char *const *k = co->table_kinds; *k; k++)
        snprintf(kinds + strlen(kinds), sizeof kinds - strlen(kinds), "%s%s",
                 k == co->table_kinds ? "" : ", ", *k);
    grok_usage("-t: '%s' is not a table of %s (%s)", w, program, kinds);
}

/* The index of w in co->table_kinds, -1 when it is not there. */
static int table_kind_index(const struct grok_common *co, const char *w)
{
    for (int k = 0; co->table_kinds[k]; k++)
        if (strcmp(w, co->table_kinds[k]) == 0)
            return k;
    return -1;
}

int grok_cli_table_kind(const struct grok_common *co)
{
    return co->table_arg ? table_kind_index(co, co->table_arg) : 0;
}

int grok_cli_common(int c, int argc, char **argv, struct grok_common *co, const char *help)
{
    switch (c) {
    case 'o': {
        struct stat st;
        if (!*optarg)
            grok_usage("-o: empty file name");
        if (stat(optarg, &st) == 0 && S_ISDIR(st.st_mode))
            grok_usage("-o: '%s' is a directory", optarg);
        co->output = optarg;
        return 1;
    }
    case 't': {
        /* -t's argument is optional, so a word after a bare -t may be it or the input: see
         * table_kinds. A missing input file must not read as an unknown table kind. */
        struct stat st;
        co->table = 1;
        co->table_arg = optarg;
        if (optarg) {
            if (co->table_kinds && table_kind_index(co, optarg) < 0)
                refuse_table_word(co, optarg);
            return 1;
        }
        if (optind >= argc || argv[optind][0] == '-')
            return 1;
        co->table_next = argv[optind];
        if (!co->table_kinds) {
            if (stat(argv[optind], &st) != 0 || S_ISDIR(st.st_mode))
                co->table_arg = argv[optind++];
        } else if (table_kind_index(co, argv[optind]) >= 0) {
            co->table_arg = argv[optind++];
            co->table_next = NULL;
        }
        return 1;
    }
    case 'q':
        co->quiet = 1;
        return 1;
    case 'h':
        fputs(help, stdout);
        exit(fflush(stdout) == 0 && !ferror(stdout) ? GROK_EXIT_OK : GROK_EXIT_DATA);
    case 'V':
        printf("%s %s\n", program, GROK_VERSION);
        exit(GROK_EXIT_OK);
    case ':':
        grok_usage("option '%s' needs a value", argv[optind - 1]);
    case '?':
        if (strncmp(argv[optind - 1], "--", 2) == 0) {
            if (strchr(argv[optind - 1], '='))
                grok_usage("option '%.*s' takes no value", (int)strcspn(argv[optind - 1], "="),
                           argv[optind - 1]);
            grok_usage("unknown option '%s'", argv[optind - 1]);
        }
        grok_usage("unknown option '-%c'", optopt);
    default:
        return 0;
    }
}

const char *grok_cli_input(const struct grok_common *co, int argc, char **argv)
{
    if (optind < argc - 1) {
        struct stat st;
        if (co->table_next && co->table_kinds && stat(co->table_next, &st) != 0)
            refuse_table_word(co, co->table_next);
        grok_usage("too many arguments: '%s'", argv[optind + 1]);
    }
    if (optind == argc || strcmp(argv[optind], "-") == 0) {
        /* Runs are binary: a terminal on stdin means the input was forgotten. */
        if (isatty(STDIN_FILENO))
            grok_usage("no input: name a run, or pipe one in");
        return NULL;
    }
    return argv[optind];
}

int grok_output_is_table(const struct grok_common *co)
{
    if (co->table)
        return 1;
    if (co->output && strcmp(co->output, "-") != 0) {
        size_t n = strlen(co->output);
        return n >= 4 && strcmp(co->output + n - 4, ".tsv") == 0;
    }
    return isatty(STDOUT_FILENO);
}

int grok_text_open(struct grok_text_out *out, const char *path, struct grok_err *err)
{
    memset(out, 0, sizeof *out);
    if (!path || strcmp(path, "-") == 0) {
        out->f = stdout;
        out->name = "stdout";
        return GROK_OK;
    }
    struct grok_atomic *a = calloc(1, sizeof *a);
    if (!a)
        return grok_err_set(err, GROK_ENOMEM, "%s: out of memory", path);
    int rc = grok_atomic_begin(a, path, err);
    if (rc == GROK_OK && !(out->f = fdopen(a->fd, "w")))
        rc = grok_err_set(err, GROK_EIO, "%s: %s", path, strerror(errno));
    if (rc != GROK_OK) {
        grok_atomic_abort(a);
        free(a);
        return rc;
    }
    out->atomic = a;
    out->name = path;
    return GROK_OK;
}

int grok_text_finish(struct grok_text_out *out, int ok, struct grok_err *err)
{
    struct grok_atomic *a = out->atomic;
    int rc = GROK_OK;
    if (!out->f)
        return GROK_OK;
    if (!a) {
        /* Standard output: a failed write must still be reported, once, at the end. */
        if (fflush(stdout) != 0 || ferror(stdout))
            rc = grok_err_set(err, GROK_EIO, "stdout: write failed: %s", strerror(errno));
        out->f = NULL;
        return ok ? rc : GROK_OK;
    }
    if (ok && (fflush(out->f) != 0 || ferror(out->f)))
        rc = grok_err_set(err, GROK_EIO, "%s: write failed: %s", out->name, strerror(errno));
    /* fclose closes the descriptor the atomic file holds: hand it a duplicate to sync and close. */
    int fd = dup(a->fd);
    if (fd < 0 && rc == GROK_OK)
        rc = grok_err_set(err, GROK_EIO, "%s: %s", out->name, strerror(errno));
    fclose(out->f);
    out->f = NULL;
    a->fd = fd;
    if (ok && rc == GROK_OK && fd >= 0)
        rc = grok_atomic_commit(a, err);
    else
        grok_atomic_abort(a);
    free(a);
    out->atomic = NULL;
    return ok ? rc : GROK_OK;
}

int grok_cli_select(int c, const char *arg, struct grok_selection *sel)
{
    struct grok_err err;
    if (c == 'p') {
        if (grok_glob_check(arg, &err) != GROK_OK)
            grok_usage("-p: %s", err.msg);
        sel->globs[sel->nglobs++] = (char *)arg;
        return 1;
    }
    if (c == 's') {
        if (grok_steps_parse(arg, &sel->steps, &err) != GROK_OK)
            grok_usage("-s: %s", err.msg);
        sel->steps_text = arg;
        return 1;
    }
    return 0;
}

int grok_cli_failed(struct grok_text_out *text, const struct grok_err *err)
{
    if (text)
        grok_text_finish(text, 0, NULL);
    grok_error("%s", err->msg);
    return grok_interrupted() ? GROK_EXIT_INTERRUPTED : GROK_EXIT_DATA;
}
