/* REDIS_URL parsing. curl's URL API does the parsing and percent-decoding (it accepts any
 * scheme with CURLU_NON_SUPPORT_SCHEME); this file only checks what Redis needs. */
#include "redis.h"
#include "ascii.h"

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
    free(c->where);
    free(c->socket);
    memset(c, 0, sizeof(*c));
}

/* Messages never repeat the URL as given: it may hold the password. */
static int refuse(const char *prog, const char *why) {
    fprintf(stderr, "%s: bad REDIS_URL: %s\n", prog, why);
    return 2;
}

#define QUEUE_NAME_RULE "queue names use letters, digits and _ . : - only"

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

/* A percent-decoded copy of s[0..n), NULL when it holds a NUL or memory is short. */
static char *decoded(const char *s, size_t n) {
    int len = 0;
    char *d = curl_easy_unescape(NULL, s, (int)n, &len);
    char *copy = d && !memchr(d, 0, (size_t)len) ? strdup(d) : NULL;
    curl_free(d);
    return copy;
}

/* ?queue=NAME (other parameters are refused, so that a typo is not silently ignored),
 * percent-decoded as unix://'s and as redis-py reads a query's values: ?queue=nightly%2D1 is
 * the queue nightly-1 (it was refused, '%' being no name's). */
static const char *parse_query(redis_conf_t *c, const char *query) {
    if (!query)
        return NULL;
    if (strncmp(query, "queue=", 6) != 0 || strchr(query, '&'))
        return "the only query parameter is ?queue=NAME";
    free(c->queue);
    c->queue = decoded(query + 6, strlen(query + 6));
    return c->queue ? NULL : "the queue's name holds a NUL byte";
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

/* unix:// and redis+unix://: [[USER]:PASS@]/PATH[?db=N&queue=NAME], by hand (curl's URL API
 * wants a host where this form has none). */
static const char *parse_unix(redis_conf_t *c, const char *rest) {
    const char *at = strchr(rest, '@'), *q = strchr(rest, '?');
    if (at && (!q || at < q) && at[1] == '/') {
        const char *colon = memchr(rest, ':', (size_t)(at - rest));
        if (colon && colon > rest && !(c->user = decoded(rest, (size_t)(colon - rest))))
            return "a bad user name";
        if (colon && !(c->pass = decoded(colon + 1, (size_t)(at - colon - 1))))
            return "a bad password";
        if (!colon && at > rest && !(c->user = decoded(rest, (size_t)(at - rest))))
            return "a bad user name";
        rest = at + 1;
    }
    size_t n = q ? (size_t)(q - rest) : strlen(rest);
    if (rest[0] != '/' || n < 2)
        return "a Unix socket URL is unix:///PATH/TO/SOCKET?queue=NAME (an absolute path)";
    if (!(c->socket = decoded(rest, n)))
        return "the socket's path holds a NUL byte";
    /* A parameter given twice (?queue=a&queue=b): the last won, where redis-py takes the
     * first; which was meant cannot be known, as for ?queue= and --queue. */
    int queues = 0, dbs = 0;
    for (const char *p = q; p && *p; p = strchr(p, '&')) {
        p++;
        if ((strncmp(p, "queue=", 6) == 0 && queues++) || (strncmp(p, "db=", 3) == 0 && dbs++))
            return "a query parameter given twice (?queue= or ?db=)";
        if (strncmp(p, "queue=", 6) == 0) {
            c->queue = decoded(p + 6, strcspn(p + 6, "&"));
        } else if (strncmp(p, "db=", 3) == 0) {
            char *end;
            long db = strtol(p + 3, &end, 10);
            if (p[3] < '0' || p[3] > '9' || (*end && *end != '&') || db > 1000000)
                return "?db= must be a database number, e.g. ?db=0";
            c->db = (int)db;
        } else {
            return "the only query parameters are ?db=N and ?queue=NAME";
        }
    }
    c->host = strdup("localhost"); /* unused: for code that shows a host */
    return c->host ? NULL : "out of memory";
}

/* A scheme in any case (RFC 3986 3.1): curl's URL API lower-cases redis:// and rediss://,
 * and UNIX:///PATH was refused while REDIS://HOST was taken. */
static const char *parse(redis_conf_t *c, CURLU *u, const char *url) {
    if (ascii_ncasecmp(url, "unix://", 7) == 0)
        return parse_unix(c, url + 7);
    if (ascii_ncasecmp(url, "redis+unix://", 13) == 0)
        return parse_unix(c, url + 13);
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
        return "the scheme must be redis://, or unix:// for a Unix socket";
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

/* What redis_conf_parse refuses url for, or NULL (c filled as far as it went). name_opt:
 * the command has --queue NAME (cafe queue), which the message may then offer; cafe titles'
 * --queue takes the URL itself, and "or --queue NAME" sent its user to a second --queue that
 * replaced the first. */
static const char *conf_fill(redis_conf_t *c, const char *url, const char *queue_opt,
                             int name_opt) {
    memset(c, 0, sizeof(*c));
    CURLU *u = curl_url();
    if (!u)
        return "out of memory";
    const char *why = parse(c, u, url);
    curl_url_cleanup(u);
    if (why)
        return why;
    /* Two names for one queue: which was meant cannot be known (the option used to win
     * silently, and the workers took another queue's URLs). */
    if (queue_opt && c->queue && strcmp(queue_opt, c->queue) != 0)
        return "?queue= and --queue name two different queues";
    if (queue_opt) {
        free(c->queue);
        c->queue = strdup(queue_opt);
    }
    if (!c->queue)
        return name_opt ? "no queue name: add ?queue=NAME or --queue NAME"
                        : "no queue name: add ?queue=NAME";
    if (!name_ok(c->queue))
        return QUEUE_NAME_RULE;
    return NULL;
}

const char *redis_queue_name_check(const char *name) {
    return name_ok(name) ? NULL : QUEUE_NAME_RULE;
}

const char *redis_conf_check(const char *url) {
    static char msg[256];
    redis_conf_t c;
    const char *why = conf_fill(&c, url, NULL, 0);
    redis_conf_free(&c);
    if (!why)
        return NULL;
    snprintf(msg, sizeof msg, "bad REDIS_URL: %s", why);
    return msg;
}

int redis_conf_parse(redis_conf_t *c, const char *url, const char *queue_opt, const char *prog) {
    const char *why = conf_fill(c, url, queue_opt, 1); /* a worker's URL passed the check */
    if (why)
        return refuse(prog, why);
    const char *env = getenv("REDISCLI_AUTH");
    if (!c->pass && env && *env)
        c->pass = strdup(env);
    int v6 = strchr(c->host, ':') != NULL;
    char shown[1024], where[512];
    if (c->socket) {
        char *path = curl_easy_escape(NULL, c->socket, 0);
        for (char *p = path; p && (p = strstr(p, "%2F")) != NULL;) { /* its slashes as slashes */
            *p = '/';
            memmove(p + 1, p + 3, strlen(p + 3) + 1);
        }
        snprintf(shown, sizeof shown, "unix://%s%s%s%s?db=%d&queue=%s", c->user ? c->user : "",
                 c->pass ? ":***" : "", c->user || c->pass ? "@" : "", path ? path : "?", c->db,
                 c->queue);
        curl_free(path);
        snprintf(where, sizeof where, "%s", c->socket);
    } else {
        snprintf(shown, sizeof shown, "redis://%s%s%s%s%s%s:%d/%d?queue=%s", c->user ? c->user : "",
                 c->pass ? ":***" : "", c->user || c->pass ? "@" : "", v6 ? "[" : "", c->host,
                 v6 ? "]" : "", c->port, c->db, c->queue);
        snprintf(where, sizeof where, "%s%s%s:%d", v6 ? "[" : "", c->host, v6 ? "]" : "", c->port);
    }
    c->display = strdup(shown);
    c->where = strdup(where);
    return c->display && c->where ? 0 : refuse(prog, "out of memory");
}
