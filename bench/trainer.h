/* What the C measuring instruments of bench/ that step a trainer share: a trainer set up as
 * grok-train sets one up. */
#ifndef GROK_BENCH_TRAINER_H
#define GROK_BENCH_TRAINER_H

#include <stddef.h>

#include "grok/config.h"
#include "grok/train.h"
#include "grok/train_session.h"

/* A trainer of PRESET with the nflags flag/value pairs applied over it (grok-train's long
 * options, e.g. "--suppress" "basis.h5:0.5"; none for the preset itself), resolved, on THREADS
 * threads (0: every core), with the gradient transforms the flags ask for. The resolved
 * configuration goes to *cfg when cfg is not NULL. NULL with err filled on a bad preset or flag,
 * or when memory runs out; the caller frees the trainer with grok_trainer_free. */
static inline struct grok_trainer *bench_trainer(struct grok_train_config *cfg, const char *preset,
                                                 int threads, char **flags, int nflags,
                                                 struct grok_err *err)
{
    struct grok_train_config c;
    struct grok_trainer *t = NULL;
    if (grok_config_preset(&c, preset, err))
        return NULL;
    for (int i = 0; i + 1 < nflags; i += 2)
        if (grok_config_apply_flag(&c, flags[i], flags[i + 1], err))
            return NULL;
    if (grok_config_resolve(&c, err) || !(t = grok_trainer_new(&c, err)) ||
        grok_trainer_set_threads(t, threads, err) || grok_train_add_transforms(t, err)) {
        grok_trainer_free(t);
        return NULL;
    }
    if (cfg)
        *cfg = c;
    return t;
}

#endif
