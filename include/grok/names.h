/* Names of enumerated settings ("adamw", "gelu", "ab=", ...): one lookup for every module, over
 * a table indexed by the enum's values.
 *
 * Owns nothing but the look-up; each module owns its table of names. Calls only libc (strcmp).
 * Called by config, task, model and optim. */
#ifndef GROK_NAMES_H
#define GROK_NAMES_H

#ifdef __cplusplus
extern "C" {
#endif

#define GROK_COUNT(table) ((int)(sizeof(table) / sizeof((table)[0])))

/* The index of name in names (n of them), or -1 when it is not there (or name is NULL). */
int grok_name_find(const char *const *names, int n, const char *name);

/* names[i], or "?" when i is outside 0..n-1. */
const char *grok_name_at(const char *const *names, int n, int i);

#ifdef __cplusplus
}
#endif

#endif
