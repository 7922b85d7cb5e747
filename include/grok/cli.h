/* What every grok program shares on the command line (DESIGN.md, "How every program behaves"):
 * one-line diagnostics, exit codes, the common flags, the output rule, interruption.
 *
 * Owns: the program's name and command line as typed, the SIGINT/SIGTERM flag and the fatal
 * signals' handler, the parsing of the common flags and of -p/-s, the flag value parsers, and a
 * text output's lifetime (struct grok_text_out). Calls: select (parsing -p and -s), atomic (a
 * text output to a file; the temporaries a crash leaves), libc. Called by every program's main,
 * and in the library only by the modules that act for a program: the analysis driver and the
 * analyses' run modules, cut, fit_run and train_session (interruption, the command line for the
 * history, the one-line failure); never by the maths, storage or trainer modules. */
#ifndef GROK_CLI_H
#define GROK_CLI_H

#ifdef __cplusplus
extern "C" {
#endif

#include <getopt.h>
#include <stdio.h>

#include "grok/err.h"
#include "grok/select.h"

/* A function that never returns: C11 spells it _Noreturn, C++ [[noreturn]]. */
#ifdef __cplusplus
#define GROK_NORETURN [[noreturn]]
#else
#define GROK_NORETURN _Noreturn
#endif

/* Exit status of every program. */
enum grok_exit {
    GROK_EXIT_OK = 0,            /* success */
    GROK_EXIT_DATA = 1,          /* bad data, or a failure at run time (I/O, memory) */
    GROK_EXIT_USAGE = 2,         /* bad usage: unknown flag, bad flag value, too many arguments */
    GROK_EXIT_INTERRUPTED = 130, /* SIGINT/SIGTERM, after writing a consistent output (or none) */
};

/* Sets the program name used in messages, keeps a copy of the command line as typed (getopt
 * reorders argv) and installs the SIGINT/SIGTERM handler that sets the flag grok_interrupted()
 * reads. Call first in main. */
void grok_cli_init(const char *program, int argc, char **argv);

/* The command line as typed, for the history attribute; *argc receives its length. */
char **grok_cli_argv(int *argc);

/* The program name given to grok_cli_init. */
const char *grok_prog(void);

/* Prints "grok-xxx: message" and a newline to standard error. */
void grok_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* grok_error, then exit with `code`. */
GROK_NORETURN void grok_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A usage error: "grok-xxx: message (see grok-xxx --help)", exit 2. */
GROK_NORETURN void grok_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The whole number a flag's value `text` names, from lo to hi; anything else is a usage error
 * (exit 2): "FLAG: bad value 'TEXT' (a whole number from LO to HI)". */
long long grok_flag_int(const char *flag, const char *text, long long lo, long long hi);

/* Reads a flag's value as a real number, the one parser of every program's real flags: 0 with
 * *v set when text is one whole number in C syntax (no leading space, nothing after it, not
 * NaN); 1 when it is not a number; 2 when it is out of double's range (overflow, underflow,
 * infinity). The caller words the usage error, with the range its flag allows. */
int grok_flag_real(const char *text, double *v);

/* Nonzero once SIGINT or SIGTERM arrived; long loops poll it and stop cleanly. */
int grok_interrupted(void);

/* The flags every program has. */
struct grok_common {
    const char *output;          /* -o FILE, or NULL for standard output */
    int table;                   /* -t given */
    const char *table_arg;       /* -t's optional argument (a group, a table kind), or NULL */
    int quiet;                   /* -q */
    /* Which word after a bare -t is its argument (set before parsing): NULL, any word that is
     * not an existing file (grok-snap's groups and parameters); else a NULL-terminated list of
     * the program's table kinds, and no other word (an empty list: none; the word is an input).
     * With a list, an argument attached to -t (-tX, --table=X) must be one of them. */
    const char *const *table_kinds;
    const char *table_next;      /* the word after a bare -t that was left to be an input */
};

/* Takes getopt's c when it is -p GLOB or -s FROM:TO[:EVERY] into sel and returns 1 (0 for any
 * other flag); a malformed glob or range is a usage error (exit 2) naming the flag. */
int grok_cli_select(int c, const char *arg, struct grok_selection *sel);

/* Leads the program's optstring: the leading ':' makes getopt report a missing value as ':'. */
#define GROK_COMMON_SHORTOPTS ":o:t::qhV"
#define GROK_COMMON_LONGOPTS                                                                  \
    {"output", required_argument, NULL, 'o'}, {"table", optional_argument, NULL, 't'},        \
    {"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'},                      \
    {"version", no_argument, NULL, 'V'}

/* Handles one option character returned by getopt_long if it is a common one: fills co, prints
 * `help` (for -h) or the version (for -V) and exits 0, or turns getopt's '?' and ':' into a
 * one-line usage error (exit 2). Returns 1 when it handled c, 0 when c is the program's own.
 * For -t without an attached argument, the next word becomes its argument as co->table_kinds
 * says (so `-t metrics run.h5` works, and `-t missing.h5` reports the missing input); a word
 * left to be an input is remembered in co->table_next. -o refuses an empty name and a directory.
 * Call with opterr = 0. */
int grok_cli_common(int c, int argc, char **argv, struct grok_common *co, const char *help);

/* The index in co->table_kinds of the table -t asked for: 0, the first, when it named none
 * (grok_cli_common has refused any word that is not a kind). */
int grok_cli_table_kind(const struct grok_common *co);

/* The input named by the remaining arguments: NULL (standard input) when there are none or it
 * is "-"; a usage error when there is more than one (naming -t when the extra word followed a
 * bare -t and is no file: a table kind mistyped), or when the input would be a terminal. */
const char *grok_cli_input(const struct grok_common *co, int argc, char **argv);

/* The output rule: a table (TSV) when -t is given, when -o names a file ending in ".tsv", or
 * when there is no -o and standard output is a terminal; a run (HDF5) otherwise. */
int grok_output_is_table(const struct grok_common *co);

/* Text output: standard output, or a temporary file renamed onto -o at grok_text_finish. */
struct grok_text_out {
    FILE *f;
    const char *name;            /* "stdout" or the path */
    void *atomic;                /* struct grok_atomic when writing a file */
};

/* Opens the text output for path (NULL or "-" = standard output). */
int grok_text_open(struct grok_text_out *out, const char *path, struct grok_err *err);

/* Finishes the text output: when ok, flushes and (for a file) renames it into place, reporting
 * a failed write (a full disk, a closed pipe) as an error; when not ok, discards a file output.
 * Returns GROK_OK or the error. */
int grok_text_finish(struct grok_text_out *out, int ok, struct grok_err *err);

/* The end of a program that failed: discards its text output (a file named by -o is never left
 * half written; text may be NULL or never opened), prints err's one line, and returns the exit
 * code, GROK_EXIT_INTERRUPTED after SIGINT or SIGTERM and GROK_EXIT_DATA otherwise. */
int grok_cli_failed(struct grok_text_out *text, const struct grok_err *err);

#ifdef __cplusplus
}
#endif

#endif
