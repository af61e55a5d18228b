/* The per-loop HTTP client: created at a loop's first request, freed by the loop's at-close
 * hook. Also the public limits and stats calls. */
#include "http/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static void client_close(void *arg);

/* The loop keeps no slot for the HTTP client; its at-close hook, registered with the client
 * as argument, is the one record of it, so it is also how the client is found. */
cafe__http_client_t *cafe__http_client_find(cafe_loop_t *loop) {
    for (int i = 0; loop && i < loop->nclosers; i++)
        if (loop->closers[i].fn == client_close)
            return loop->closers[i].arg;
    return NULL;
}

uint32_t cafe__http_client_random(cafe__http_client_t *c) {
    /* xorshift64*: jitter only, no need for more. */
    c->rng ^= c->rng >> 12;
    c->rng ^= c->rng << 25;
    c->rng ^= c->rng >> 27;
    return (uint32_t)((c->rng * 2685821657736338717ull) >> 32);
}

/* The first non-empty of two environment variables, copied. */
static char *env_dup(const char *name, const char *alt) {
    const char *v = getenv(name);
    if ((!v || !*v) && alt)
        v = getenv(alt);
    return v && *v ? strdup(v) : NULL;
}

/* curl's own rules (lib/url.c), read once instead of at every transfer: http uses only the
 * lower-case http_proxy (the upper-case one can be set by a CGI client), https either case,
 * both fall back to all_proxy; no_proxy lists the exceptions. */
static void proxies_read(cafe__http_client_t *c) {
    char *all = env_dup("all_proxy", "ALL_PROXY");
    c->proxy_http = env_dup("http_proxy", NULL);
    c->proxy_https = env_dup("https_proxy", "HTTPS_PROXY");
    c->no_proxy = env_dup("no_proxy", "NO_PROXY");
    if (all && !c->proxy_http)
        c->proxy_http = strdup(all);
    if (all && !c->proxy_https)
        c->proxy_https = strdup(all);
    free(all);
}

/* The default size of curl's connection cache: room for idle connections to many hosts,
 * within the descriptors the process may open (a margin is left for everything else). */
static size_t default_max_connections(size_t transfers) {
    size_t want = 4 * transfers;
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur != RLIM_INFINITY) {
        /* A quarter of the limit stays free: resolver socketpairs (two per lookup in
         * flight), the output file, whatever the program has open. */
        size_t room = (size_t)r.rlim_cur - (size_t)r.rlim_cur / 4;
        if (want > room)
            want = room;
    }
    return want < transfers ? transfers : want;
}

static void limits_apply(cafe__http_client_t *c) {
    if (!c->limits.max_transfers)
        c->limits.max_transfers = CAFE_HTTP_DEFAULT_MAX_TRANSFERS;
    if (!c->limits.max_connections)
        c->limits.max_connections = default_max_connections(c->limits.max_transfers);
    cafe_sem_init(&c->slots, c->limits.max_transfers);
    cafe_sem_init(&c->rate_gate, 1);
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)c->limits.max_connections);
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                      (long)c->limits.max_host_connections);
}

/* Connections and the DNS cache are the multi handle's, common to every transfer of the loop;
 * the shares hold only TLS sessions (see CAFE__HTTP_SHARES). */
static int handles_init(cafe__http_client_t *c) {
    c->multi = curl_multi_init();
    if (!c->multi)
        return -1;
    curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    limits_apply(c);
    return 0;
}

CURLSH *cafe__http_client_share(cafe__http_client_t *c, uint64_t origin_hash) {
    /* The top bits: the host table's buckets use the low ones. */
    CURLSH **s = &c->shares[(origin_hash >> 32) & (CAFE__HTTP_SHARES - 1)];
    if (*s)
        return *s;
    *s = curl_share_init();
    /* One loop = one thread: the share needs no lock callbacks. */
    if (*s && curl_share_setopt(*s, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
        curl_share_cleanup(*s);
        *s = NULL;
    }
    return *s;
}

/* After every easy handle: a share still in use is not freed by curl. */
static void handles_free(cafe__http_client_t *c) {
    if (c->multi)
        curl_multi_cleanup(c->multi);
    c->multi = NULL;
    for (size_t i = 0; i < CAFE__HTTP_SHARES; i++) {
        if (c->shares[i])
            curl_share_cleanup(c->shares[i]);
        c->shares[i] = NULL;
    }
}

static cafe__http_client_t *client_create(cafe_loop_t *loop) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return NULL;
    cafe__http_client_t *c = calloc(1, sizeof(*c));
    if (!c || handles_init(c) != 0 || cafe__loop_at_close(loop, client_close, c) != 0) {
        if (c)
            handles_free(c);
        free(c);
        curl_global_cleanup();
        return NULL;
    }
    c->loop = loop;
    c->rng = uv_hrtime() ^ (uint64_t)(uintptr_t)c ^ 0x9E3779B97F4A7C15ull;
    proxies_read(c);
    cafe__http_trust_init(c);
    cafe__http_io_init(c);
    return c;
}

cafe__http_client_t *cafe__http_client_get(cafe_loop_t *loop) {
    cafe__http_client_t *c = cafe__http_client_find(loop);
    return c ? c : client_create(loop);
}

/* Loop teardown: every task has ended, so each transfer still out is an orphan. */
static void client_close(void *arg) {
    cafe__http_client_t *c = arg;
    cafe__http_xfer_t *x, *next;
    c->closing = 1;
    for (x = c->orphans; x; x = next) {
        next = x->next;
        if (x->in_multi)
            curl_multi_remove_handle(c->multi, x->easy);
        cafe__http_xfer_free(x);
    }
    for (x = c->pool; x; x = next) {
        next = x->next;
        cafe__http_xfer_free(x);
    }
    c->orphans = c->pool = NULL;
    handles_free(c); /* closes the connections: their sockets go through io.c */
    cafe__http_trust_free(c);
    curl_global_cleanup();
    cafe__http_hosts_free(&c->hosts);
    free(c->proxy_http);
    free(c->proxy_https);
    free(c->no_proxy);
    cafe__http_io_close(c);
}

int cafe_http_limits_set(cafe_loop_t *loop, const cafe_http_limits_t *limits) {
    cafe__loop_arg_check(loop, "cafe_http_limits_set");
    loop = loop ? loop : cafe_loop_current();
    if (!loop || !limits)
        return CAFE_EINVAL;
    cafe__http_client_t *c = cafe__http_client_get(loop);
    if (!c)
        return CAFE_ENOMEM;
    if (c->in_progress)
        return CAFE_EBUSY;
    if (limits->rate < 0 || limits->rate != limits->rate)
        return CAFE_EINVAL;
    /* No request is in progress: the host entries left hold only politeness state of the old
     * limits, and connection permits sized for them. */
    cafe__http_hosts_free(&c->hosts);
    c->limits = *limits;
    limits_apply(c);
    return 0;
}

void cafe_http_stats_get(cafe_loop_t *loop, cafe_http_stats_t *out) {
    cafe__loop_arg_check(loop, "cafe_http_stats_get");
    if (!out) { /* no code to return: a crash at the write would name nothing */
        fprintf(stderr, "cafe: cafe_http_stats_get given no out (NULL)\n");
        abort();
    }
    cafe__http_client_t *c = cafe__http_client_find(loop ? loop : cafe_loop_current());
    if (c)
        *out = c->stats;
    else
        memset(out, 0, sizeof(*out));
}
