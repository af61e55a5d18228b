/* A request's host name resolved on the loop (dns.c) and handed to curl as a
 * CURLOPT_RESOLVE line "host:port:addr,addr...", every address of both families, so that
 * curl connects without its threaded resolver and still runs Happy Eyeballs. curl keeps such
 * lines in the shared DNS cache until told otherwise: a line is handed once per cache
 * entry and port, and dns.c takes it back ("-host:port") when the entry goes. */
#include "http/dns_internal.h"
#include "http/internal.h"
#include "http/parse.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Host and port of the origin key "scheme://host[:port]". Returns 0 when the host needs no
 * lookup (an IP literal, or nothing usable). On every request: one pass over the host, and
 * the IPv4 parse and the port only where they can matter. */
static int host_port(const char *key, char *host, size_t cap, unsigned *port) {
    const char *h = strstr(key, "://");
    if (!h || h[3] == '[' || h[3] == '\0')
        return 0;
    int https = strncmp(key, "https", 5) == 0;
    h += 3;
    size_t len = 0;
    int numeric = 1; /* only digits and dots: maybe an IPv4 address */
    for (; h[len] && h[len] != ':'; len++) {
        char ch = h[len];
        int digit = ch >= '0' && ch <= '9';
        /* Anything but a plain host name is curl's to report (malformed URL and the like). */
        if (!digit && !(ch >= 'a' && ch <= 'z') && ch != '-' && ch != '.' && ch != '_')
            return 0;
        numeric &= digit || ch == '.';
    }
    if (len == 0 || len >= cap)
        return 0;
    memcpy(host, h, len);
    host[len] = '\0';
    struct in_addr a4;
    if (numeric && inet_pton(AF_INET, host, &a4) == 1)
        return 0;
    *port = h[len] == ':' ? (unsigned)strtoul(h + len + 1, NULL, 10) : https ? 443u : 80u;
    return 1;
}

/* "host:port:a,b,..." (IPv6 addresses in brackets). */
static void line_make(char *out, size_t cap, const char *host, unsigned port,
                      const cafe_dns_addrs_t *a) {
    int n = snprintf(out, cap, "%s:%u:", host, port);
    for (size_t i = 0; i < a->n && n > 0 && (size_t)n + 50 < cap; i++) {
        char ip[INET6_ADDRSTRLEN];
        if (!inet_ntop(a->addr[i].family, a->addr[i].ip, ip, sizeof ip))
            continue;
        n += snprintf(out + n, cap - (size_t)n, a->addr[i].family == AF_INET6 ? "%s[%s]" : "%s%s",
                      out[n - 1] == ':' ? "" : ",", ip);
    }
}

/* Has e been handed to curl for port? If not, note that it is now (when there is room). */
static int pinned(cafe__dns_entry_t *e, unsigned port) {
    for (int i = 0; i < 4; i++)
        if ((e->pinned & (1u << i)) && e->pin_port[i] == port)
            return 1;
    for (int i = 0; i < 4; i++) {
        if (!(e->pinned & (1u << i))) {
            e->pinned |= 1u << i;
            e->pin_port[i] = (uint16_t)port;
            return 0;
        }
    }
    return 0; /* no room: handed again at every request, which is correct, only slower */
}

static int dns_fail(cafe__http_try_t *t, int code, const char *host) {
    const char *what = code == CAFE_EHTTP_DNS       ? "no such host"
                       : code == CAFE_EDNS_TIMEOUT  ? "timeout"
                       : code == CAFE_EDNS_SERVFAIL ? "server failure"
                                                    : cafe_strerror(code);
    t->code = code;
    cafe__http_fail(t->res, code, "dns: %s (%s)", what, host);
    return 0;
}

/* Host and port of a proxy "[scheme://][user:password@]host[:port][/]", curl's defaults
 * for the port (1080, 443 for https://). Returns 0 when the host needs no lookup. */
static int proxy_host_port(const char *proxy, char *host, size_t cap, unsigned *port) {
    const char *h = strstr(proxy, "://");
    int https = h && strncmp(proxy, "https://", 8) == 0;
    h = h ? h + 3 : proxy;
    size_t len = strcspn(h, "/?#");
    const char *at = memchr(h, '@', len);
    if (at) {
        len -= (size_t)(at + 1 - h);
        h = at + 1;
    }
    char key[300];
    if (len + 9 > sizeof key)
        return 0;
    snprintf(key, sizeof key, "%s://%.*s", https ? "https" : "http", (int)len, h);
    if (!host_port(key, host, cap, port))
        return 0;
    if (!memchr(h, ':', len))
        *port = https ? 443u : 1080u;
    return 1;
}

/* Resolves host on the loop and, the first time for this answer and port, writes its line. */
static int pin_name(cafe__http_try_t *t, const char *host, unsigned port, char *line, size_t cap) {
    cafe__dns_t *d = cafe__dns_get(t->c->loop);
    cafe__dns_entry_t *e = d ? cafe__dns_lookup(d, host) : NULL;
    if (!e)
        return dns_fail(t, d && !d->channel_ok ? CAFE_EDNS_SERVFAIL : CAFE_ENOMEM, host);
    int rc = cafe_future_wait(&e->done, NULL);
    if (cafe_future_done(&e->done)) {
        rc = 0;
        if (e->error)
            dns_fail(t, e->error, host);
        else if (!pinned(e, port))
            line_make(line, cap, host, port, &e->addrs);
    }
    cafe__dns_unref(e);
    return rc; /* nonzero: the task was cancelled or its deadline passed */
}

/* The name a request to origin key connects to, and its port: the proxy's when one applies
 * (the request's own wins over the environment's, "" = none, as in xfer.c), else the
 * target's. Returns 0 when there is no name to look up (an IP literal). A target the
 * environment's no_proxy exempts is left to curl, which matches that list. */
static int name_of(const cafe__http_try_t *t, const char *key, char *host, size_t cap,
                   unsigned *port) {
    const cafe__http_client_t *c = t->c;
    const cafe_http_opts_t *o = t->opts;
    int https = strncmp(key, "https:", 6) == 0;
    const char *proxy = o->proxy ? o->proxy : https ? c->proxy_https : c->proxy_http;
    return proxy && proxy[0] ? proxy_host_port(proxy, host, cap, port)
                             : host_port(key, host, cap, port);
}

int cafe__http_dns_pin(cafe__http_try_t *t, const char *key, char *line, size_t cap) {
    char host[256];
    unsigned port = 0;
    line[0] = '\0';
    if (t->opts->resolve) /* pins of the caller's own: curl's way */
        return 0;
    return name_of(t, key, host, sizeof host, &port) ? pin_name(t, host, port, line, cap) : 0;
}

/* Through a proxy, whether curl may resolve the target itself, which cannot be told from
 * its resolving the proxy: a socks4:// or socks5:// proxy wants the address (socks4a://
 * and socks5h:// take the name), and the environment's no_proxy sends some targets
 * directly. curl's way then, as before. */
static int target_left_to_curl(const cafe__http_try_t *t, const char *key) {
    const cafe__http_client_t *c = t->c;
    const char *proxy = t->opts->proxy;
    int https = strncmp(key, "https:", 6) == 0;
    if (!proxy) {
        proxy = https ? c->proxy_https : c->proxy_http;
        if (proxy && c->no_proxy && c->no_proxy[0])
            return 1;
    }
    return proxy &&
           (strncasecmp(proxy, "socks4://", 9) == 0 || strncasecmp(proxy, "socks5://", 9) == 0);
}

int cafe__http_on_resolver_start(void *resolver, void *reserved, void *arg) {
    cafe__http_xfer_t *x = arg;
    cafe__http_try_t *t = x->try;
    char *url = NULL, key[sizeof t->unresolved], host[256];
    unsigned port;
    (void)resolver;
    (void)reserved;
    if (!t) /* orphaned: nobody waits for its outcome */
        return 1;
    if (t->opts->resolve || curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &url) != CURLE_OK ||
        !url)
        return 0;
    cafe__http_origin_key(url, key, sizeof key);
    if (!name_of(t, key, host, sizeof host, &port))
        return 0; /* an IP literal: curl makes its address without a resolver */
    if (target_left_to_curl(t, key))
        return 0;
    memcpy(t->unresolved, key, sizeof key);
    return 1;
}

void cafe__http_dns_release(cafe__http_client_t *c, const char *key) {
    char host[256];
    unsigned port;
    if (!host_port(key, host, sizeof host, &port))
        return;
    cafe__dns_t *d = cafe__dns_get(c->loop);
    if (d)
        cafe__dns_unpin_port(d, host, port);
}

int cafe__http_dns_lines(cafe__http_client_t *c, const char *line, struct curl_slist **list) {
    cafe__dns_t *d = cafe__dns_get(c->loop);
    struct curl_slist **tail = list;
    while (*tail)
        tail = &(*tail)->next;
    if (d && d->unpin) {
        *tail = d->unpin; /* they go first: a new pin for the same host:port follows them */
        d->unpin = NULL;
        while (*tail)
            tail = &(*tail)->next;
    }
    if (!line[0])
        return 0;
    struct curl_slist *l = curl_slist_append(NULL, line);
    if (!l)
        return CAFE_ENOMEM;
    *tail = l;
    return 0;
}
