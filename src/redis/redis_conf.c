/* REDIS_URL parsing. curl's URL API does the parsing and percent-decoding (it accepts any
 * scheme with CURLU_NON_SUPPORT_SCHEME); this file only checks what Redis needs. */
#include "redis.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void redis_conf_free(redis_conf_t *c) {
    free(c->host);
    free(c->user);
    if (c->pass) /* do not leave the password in freed memory */
        memset(c->pass, 0, strlen(c->pass));
    free(c->pass);
    free(c->queue);
    free(c->display);
    memset(c, 0, sizeof(*c));
}

/* Messages never repeat the URL as given: it may hold the password. */
static int refuse(const char *prog, const char *why) {
    fprintf(stderr, "%s: bad REDIS_URL: %s\n", prog, why);
    return 2;
}

/* A queue name becomes part of Redis key names: keep it to a safe alphabet. */
static int name_ok(const char *s) {
    if (!*s || strlen(s) > 200)
        return 0;
    for (; *s; s++)
        if (!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') || ('0' <= *s && *s <= '9') ||
              strchr("_.:-", *s)))
            return 0;
    return 1;
}

static char *part(CURLU *u, CURLUPart what, unsigned flags) {
    char *v = NULL;
    if (curl_url_get(u, what, &v, flags) != CURLUE_OK)
        return NULL;
    char *copy = strdup(v);
    curl_free(v);
    return copy;
}

/* ?queue=NAME (other parameters are refused, so that a typo is not silently ignored). */
static const char *parse_query(redis_conf_t *c, const char *query) {
    if (!query)
        return NULL;
    if (strncmp(query, "queue=", 6) != 0 || strchr(query, '&'))
        return "the only query parameter is ?queue=NAME";
    free(c->queue);
    c->queue = strdup(query + 6);
    return NULL;
}

/* Host, port and database. */
static const char *parse_place(redis_conf_t *c, CURLU *u) {
    char *host = part(u, CURLUPART_HOST, 0);
    if (!host || !*host) {
        free(host);
        return "no host";
    }
    size_t n = strlen(host);
    if (host[0] == '[' && host[n - 1] == ']') { /* IPv6 literal */
        memmove(host, host + 1, n - 2);
        host[n - 2] = 0;
    }
    c->host = host;
    /* curl takes ":0" (and ":00000"), which no server listens on: hiredis would then fail to
     * connect, long after the URL could have been refused. */
    char *port = part(u, CURLUPART_PORT, 0);
    c->port = port ? atoi(port) : 6379;
    free(port);
    if (c->port < 1)
        return "the port must be from 1 to 65535";
    char *path = part(u, CURLUPART_PATH, 0);
    const char *why = NULL;
    if (path && strcmp(path, "/") != 0) {
        char *end;
        long db = strtol(path + 1, &end, 10);
        /* Digits only: strtol would also take "/+5" and "/ 5" as database 5. */
        if (path[1] < '0' || path[1] > '9' || *end || db > 1000000)
            why = "the path must be a database number, e.g. /0";
        c->db = (int)db;
    }
    free(path);
    return why;
}

static const char *parse(redis_conf_t *c, CURLU *u, const char *url) {
    if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
        return "not a URL (expected redis://[USER[:PASSWORD]@]HOST[:PORT][/DB][?queue=NAME])";
    char *scheme = part(u, CURLUPART_SCHEME, 0);
    int tls = scheme && strcmp(scheme, "rediss") == 0;
    int plain = scheme && strcmp(scheme, "redis") == 0;
    free(scheme);
    if (tls)
        return "rediss:// (TLS) is not supported: Debian 12's hiredis 0.14 has no TLS; "
               "use redis:// over a trusted network or a TLS tunnel (e.g. stunnel)";
    if (!plain)
        return "the scheme must be redis://";
    c->user = part(u, CURLUPART_USER, CURLU_URLDECODE);
    c->pass = part(u, CURLUPART_PASSWORD, CURLU_URLDECODE);
    if (c->user && !*c->user) { /* redis://:PASSWORD@host: no ACL user */
        free(c->user);
        c->user = NULL;
    }
    const char *why = parse_place(c, u);
    if (why)
        return why;
    char *query = part(u, CURLUPART_QUERY, 0);
    why = parse_query(c, query);
    free(query);
    return why;
}

int redis_conf_parse(redis_conf_t *c, const char *url, const char *queue_opt, const char *prog) {
    memset(c, 0, sizeof(*c));
    CURLU *u = curl_url();
    if (!u)
        return refuse(prog, "out of memory");
    const char *why = parse(c, u, url);
    curl_url_cleanup(u);
    if (why)
        return refuse(prog, why);
    /* Two names for one queue: which was meant cannot be known (the option used to win
     * silently, and the workers took another queue's URLs). */
    if (queue_opt && c->queue && strcmp(queue_opt, c->queue) != 0)
        return refuse(prog, "?queue= and --queue name two different queues");
    if (queue_opt) {
        free(c->queue);
        c->queue = strdup(queue_opt);
    }
    if (!c->queue)
        return refuse(prog, "no queue name: add ?queue=NAME or --queue NAME");
    if (!name_ok(c->queue))
        return refuse(prog, "queue names use letters, digits and _ . : - only");
    const char *env = getenv("REDISCLI_AUTH");
    if (!c->pass && env && *env)
        c->pass = strdup(env);
    int v6 = strchr(c->host, ':') != NULL;
    char shown[1024];
    snprintf(shown, sizeof shown, "redis://%s%s%s%s%s%s:%d/%d?queue=%s", c->user ? c->user : "",
             c->pass ? ":***" : "", c->user || c->pass ? "@" : "", v6 ? "[" : "", c->host,
             v6 ? "]" : "", c->port, c->db, c->queue);
    c->display = strdup(shown);
    return c->display ? 0 : refuse(prog, "out of memory");
}
