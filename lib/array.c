/* The small typed arrays (include/grok/array.h). */
#include "grok/array.h"

#include <stdlib.h>
#include <string.h>

void grok_array_free(struct grok_array *a)
{
    if (!a)
        return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

const char *grok_dtype_name(enum grok_dtype t)
{
    switch (t) {
    case GROK_F32: return "float32";
    case GROK_F64: return "float64";
    case GROK_I32: return "int32";
    case GROK_I64: return "int64";
    case GROK_STR: return "string";
    default: return "other";
    }
}

static int valid_param_name(const char *name)
{
    return name && name[0] && strlen(name) <= GROK_MAX_NAME && strcmp(name, "step") != 0 &&
           strcmp(name, ".") != 0 && strcmp(name, "..") != 0 && !strchr(name, '/');
}

int grok_tensor_check(const struct grok_tensor *t, const char *who, struct grok_err *err)
{
    if (!valid_param_name(t->name))
        return grok_err_set(err, GROK_EINVAL, "%s: bad parameter name '%s'", who,
                            t->name ? t->name : "");
    if (t->rank < 0 || t->rank > GROK_MAX_RANK - 1)
        return grok_err_set(err, GROK_EINVAL, "%s: %s: rank %d not supported", who, t->name,
                            t->rank);
    for (int i = 0; i < t->rank; i++)
        if (t->shape[i] == 0)
            return grok_err_set(err, GROK_EINVAL, "%s: %s: empty dimension", who, t->name);
    return GROK_OK;
}
