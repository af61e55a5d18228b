#include "dbopts.h"
#include "cafe.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "scheme://user:secret@host" -> "scheme://user:***@host"; a header keeps only its name. */
static char *mask(const char *arg, int header) {
    const char *colon = header ? strchr(arg, ':') : NULL;
    if (colon) {
        size_t n = (size_t)(colon - arg);
        char *out = malloc(n + 6);
        if (out)
            snprintf(out, n + 6, "%.*s: ***", (int)n, arg);
        return out;
    }
    const char *scheme = strstr(arg, "://");
    const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
    const char *pw = at ? memchr(scheme + 3, ':', (size_t)(at - scheme - 3)) : NULL;
    if (!pw)
        return strdup(arg);
    size_t head = (size_t)(pw + 1 - arg), n = head + 3 + strlen(at) + 1;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%.*s***%s", (int)head, arg, at);
    return out;
}

char *cli_db_options(int argc, char **argv) {
    json_t *a = json_array();
    for (int i = 0; a && i < argc; i++) {
        int header =
            i > 0 && (strcmp(argv[i - 1], "-H") == 0 || strcmp(argv[i - 1], "--header") == 0);
        char *m = mask(argv[i], header || strncmp(argv[i], "--header=", 9) == 0 ||
                                    strncmp(argv[i], "-H", 2) == 0);
        char *clean = m ? cafe_utf8_repair(m, strlen(m), NULL) : NULL;
        json_array_append_new(a, json_string(clean ? clean : ""));
        free(clean);
        free(m);
    }
    char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    return s;
}
