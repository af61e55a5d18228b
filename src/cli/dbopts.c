#include "dbopts.h"
#include "cafe.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Where a -H value starts in a (its own "-HName: v" or a cluster's "-kHName: v"), or NULL.
 * *next is set when the value is the next argument ("-H", "-kH"). Over-reading a cluster
 * whose H is another option's value ("-cH") only masks more. */
static const char *header_value(const char *a, int *next) {
    *next = 0;
    if (strncmp(a, "--header", 8) == 0) {
        *next = a[8] == '\0';
        return a[8] == '=' ? a + 9 : NULL;
    }
    if (a[0] != '-' || a[1] == '-')
        return NULL;
    size_t i = 1;
    while (letter(a[i]) && a[i] != 'H')
        i++;
    if (a[i] != 'H')
        return NULL;
    *next = a[i + 1] == '\0';
    return a[i + 1] ? a + i + 1 : NULL;
}

/* A header keeps only its name: "Authorization: ***". */
static void mask_header(char *v) {
    char *colon = strchr(v, ':');
    if (colon && colon[1])
        strcpy(colon + 1, " ***");
}

/* The password of a URL's authority, with or without a scheme (-x user:secret@proxy:8080
 * takes none), becomes ***: "scheme://user:***@host". The authority's last '@' ends it. */
static void mask_userinfo(char *s, size_t cap) {
    char *scheme = strstr(s, "://");
    char *start = scheme ? scheme + 3 : s;
    char *end = start + strcspn(start, "/?#");
    char *at = NULL;
    for (char *p = start; p < end; p++)
        if (*p == '@')
            at = p;
    char *colon = at ? memchr(start, ':', (size_t)(at - start)) : NULL;
    if (!colon)
        return;
    size_t rest = strlen(at) + 1;
    if ((size_t)(colon + 1 - s) + 3 + rest > cap)
        return; /* never: masked() leaves room */
    memmove(colon + 4, at, rest);
    memcpy(colon + 1, "***", 3);
}

/* A libpq URI's ?password=secret (and sslpassword=): the value becomes ***. Room: each
 * occurrence grows the string by 3 bytes at most (masked() leaves room). */
static void mask_password_params(char *s) {
    for (char *p = strchr(s, '?'); p; p = strchr(p + 1, '&')) {
        char *name = p + 1, *eq = name + strcspn(name, "=&");
        if (*eq != '=' || !memmem(name, (size_t)(eq - name), "password", 8))
            continue;
        char *v = eq + 1, *end = v + strcspn(v, "&");
        memmove(v + 3, end, strlen(end) + 1);
        memcpy(v, "***", 3);
    }
}

/* One argument as the runs table keeps it; malloc'd, NULL when out of memory. */
static char *masked(const char *arg, int header) {
    size_t len = strlen(arg), cap = 2 * len + 16; /* each mask adds 3 bytes at most */
    char *out = malloc(cap);
    if (!out)
        return NULL;
    memcpy(out, arg, len + 1);
    int next;
    const char *hv = header ? out : header_value(out, &next);
    if (hv)
        mask_header((char *)hv);
    else {
        mask_userinfo(out, cap);
        mask_password_params(out);
    }
    return out;
}

char *cli_url_masked(const char *v) {
    return masked(v, 0);
}

char *cli_db_options(int argc, char **argv) {
    json_t *a = json_array();
    int header = 0; /* this argument is the value of a -H before it */
    for (int i = 0; a && i < argc; i++) {
        char *m = masked(argv[i], header);
        if (!header)
            (void)header_value(argv[i], &header);
        else
            header = 0;
        char *clean = m ? cafe_utf8_repair(m, strlen(m), NULL) : NULL;
        json_array_append_new(a, json_string(clean ? clean : ""));
        free(clean);
        free(m);
    }
    char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    return s;
}
