/* A run's model and examples, for the programs that analyse a finished run
 * (include/grok/runmodel.h). */
#include "grok/runmodel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grok/config.h"

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
    char path[32], ypath[32];
    *tokens = *y = NULL;
    *n = 0;
    snprintf(path, sizeof path, "/data/%s", set);
    snprintf(ypath, sizeof ypath, "/data/%s_y", set);
    int rc = grok_config_read(run, &c, err);
    if (!rc)
        rc = grok_run_read(run, path, GROK_I32, &ab, err);
    if (!rc)
        rc = grok_run_read(run, ypath, GROK_I32, &ans, err);
    if (rc)
        goto out;
    if (ab.rank != 2 || ab.shape[1] != 2 || ans.n != ab.shape[0] || ans.n == 0 || ans.n > (1u << 30)) {
        rc = grok_err_set(err, GROK_EFORMAT, "%s: %s and %s are not N pairs and N answers",
                          grok_run_name(run), path, ypath);
        goto out;
    }
    const int32_t *pairs = ab.data, *answers = ans.data;
    for (size_t i = 0; i < ans.n; i++)
        if (grok_task_answer(c.op, c.p, pairs[2 * i], pairs[2 * i + 1]) != answers[i] || answers[i] < 0) {
            rc = grok_err_set(err, GROK_EFORMAT, "%s: %s row %zu is not a pair of %s mod %d with its answer",
                              grok_run_name(run), path, i, grok_op_name(c.op), c.p);
            goto out;
        }
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
