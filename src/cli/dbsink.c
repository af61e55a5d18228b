#include "dbsink.h"
#include "text.h"
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
        char *clean = m ? cli_utf8_sanitize(m, strlen(m)) : NULL;
        json_array_append_new(a, json_string(clean ? clean : ""));
        free(clean);
        free(m);
    }
    char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    return s;
}

static int add_done(void *arg, const char *url, size_t n) {
    return cli_urlset_add(arg, url, n);
}

int cli_db_open(sink_db_t **db, const char *spec, int resume, int argc, char **argv,
                cli_urlset_t *done) {
    char *options = cli_db_options(argc, argv);
    sink_db_conf_t conf = {.spec = spec, .options = options, .resume = resume};
    const char *why = "";
    int rc = sink_db_open(db, &conf, &why);
    free(options);
    if (rc == 0 && resume && (rc = sink_db_load_done(*db, add_done, done)) != 0) {
        why = sink_db_error(*db)[0] ? sink_db_error(*db) : cafe_strerror(rc);
        sink_db_close(*db, "failed", &(const char *){NULL});
        *db = NULL;
    }
    if (rc != 0)
        fprintf(stderr, "cafe titles: %s\n", why);
    return rc;
}

/* The JSON record's text of a string field: NULL stays NULL, the rest made valid UTF-8. */
static char *text(const char *s) {
    return s ? cli_utf8_sanitize(s, strlen(s)) : NULL;
}

int cli_db_record(sink_db_t *db, const cli_record_t *r) {
    char *f[6] = {text(r->url),          text(r->final_url), text(r->title),
                  text(r->content_type), text(r->charset),   text(r->error_msg)};
    const char *src[6] = {r->url,          r->final_url, r->title,
                          r->content_type, r->charset,   r->error_msg};
    int rc = 0;
    for (int i = 0; i < 6; i++)
        if (src[i] && !f[i])
            rc = CAFE_ENOMEM;
    sink_row_t row = {.seq = r->seq,
                      .url = f[0],
                      .final_url = f[1],
                      .title = f[2],
                      .content_type = f[3],
                      .charset = f[4],
                      .error = f[5],
                      .status = r->status,
                      .bytes = r->bytes,
                      .time_ms = r->time_ms,
                      .attempts = r->attempts};
    if (rc == 0)
        rc = sink_db_write(db, &row);
    for (int i = 0; i < 6; i++)
        free(f[i]);
    return rc;
}
