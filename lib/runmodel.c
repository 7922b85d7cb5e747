/* A run's model and examples, for the programs that analyse a finished run
 * (include/grok/runmodel.h). */
#include "grok/runmodel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grok/config.h"
#include "grok/data.h"

int grok_model_from_run(struct grok_model *m, struct grok_run *run, struct grok_err *err)
{
    struct grok_train_config c;
    memset(m, 0, sizeof *m);
    int rc = grok_config_read(run, &c, err);
    return rc ? rc : grok_model_build(m, &c.model, err);
}

int grok_model_examples(struct grok_run *run, const char *set, int32_t **tokens, int32_t **y,
                        int *n, struct grok_err *err)
{
    struct grok_train_config c;
    struct grok_array ab = {0}, ans = {0};
    *tokens = *y = NULL;
    *n = 0;
    int rc = grok_config_read(run, &c, err);
    if (!rc && c.task[0])
        rc = grok_err_set(err, GROK_EINVAL, "%s: a regression (/config@task %s) has no token pairs for "
                          "this analysis", grok_run_name(run), c.task);
    if (!rc)
        rc = grok_data_read(run, set, c.op, c.p, &ab, &ans, err);
    if (rc)
        goto out;
    const int32_t *pairs = ab.data, *answers = ans.data;
    *tokens = malloc(ans.n * grok_ctx_len(c.ctx) * sizeof **tokens);
    *y = malloc(ans.n * sizeof **y);
    if (!*tokens || !*y) {
        free(*tokens);
        free(*y);
        *tokens = *y = NULL;
        rc = grok_err_set(err, GROK_ENOMEM, "out of memory for %zu examples", ans.n);
        goto out;
    }
    grok_ctx_tokens(c.ctx, c.p, pairs, (int)ans.n, *tokens);
    memcpy(*y, answers, ans.n * sizeof **y);
    *n = (int)ans.n;
out:
    grok_array_free(&ab);
    grok_array_free(&ans);
    return rc;
}
