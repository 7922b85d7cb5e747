/* select: choosing snapshots and parameters, as every program that reads snapshots does:
 * `-p GLOB` (shell-style globs over parameter names, repeatable) and `-s FROM:TO[:EVERY]`.
 * Owns step ranges, glob checks and matches, and the collected selection; knows nothing of a
 * run (snapshots.h applies a step range to a run's snapshots). Calls only libc (fnmatch);
 * called by cli, config, snapshots, cut, the analyses that choose matrices by glob (pca_run,
 * fourier_run) and programs. */
#ifndef GROK_SELECT_H
#define GROK_SELECT_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#include "grok/err.h"

/* Training steps s with from <= s <= to and (s - from) divisible by every. */
struct grok_steps {
    long long from, to, every;
};

/* All steps: 0 to the largest, every one. */
#define GROK_STEPS_ALL ((struct grok_steps){0, -1, 1})

/* Parses "FROM:TO[:EVERY]" (either bound may be empty: ":5000", "1000:") or a single "STEP".
 * GROK_EINVAL with a message quoting the text when it is malformed, FROM > TO, or EVERY < 1. */
int grok_steps_parse(const char *text, struct grok_steps *out, struct grok_err *err);

/* 1 when step is in the range. */
int grok_steps_match(const struct grok_steps *r, long long step);

/* Checks a glob's syntax (an unterminated '[' is the one error fnmatch would hide). */
int grok_glob_check(const char *glob, struct grok_err *err);

/* 1 when name matches any of the n globs; every name matches when n is 0. */
int grok_globs_match(char *const *globs, int n, const char *name);

/* The -p and -s flags as a program collected them (grok_cli_select fills it). */
struct grok_selection {
    char **globs;              /* the -p globs given, nglobs of them (room for argc) */
    int nglobs;
    struct grok_steps steps;   /* -s, or GROK_STEPS_ALL */
    const char *steps_text;    /* -s as typed, or NULL without it */
};

/* An empty selection with room for the globs of argc arguments; GROK_ENOMEM. Free with
 * grok_selection_free (NULL-safe, and safe on a zeroed struct). */
int grok_selection_init(struct grok_selection *sel, int argc, struct grok_err *err);
void grok_selection_free(struct grok_selection *sel);

/* The n globs joined by " or " into buf (truncated to size), for a message. */
void grok_globs_join(char *buf, size_t size, char *const *globs, int n);

#ifdef __cplusplus
}
#endif

#endif
