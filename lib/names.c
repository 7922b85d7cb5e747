#include "grok/names.h"

#include <string.h>

int grok_name_find(const char *const *names, int n, const char *name)
{
    for (int i = 0; name && i < n; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

const char *grok_name_at(const char *const *names, int n, int i)
{
    return i >= 0 && i < n ? names[i] : "?";
}
