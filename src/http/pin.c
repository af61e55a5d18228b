/* A request's host name resolved on the loop (dns.c) and handed to curl as a
 * CURLOPT_RESOLVE line "host:port:addr,addr...", every address of both families, so that
 * curl connects without its threaded resolver and still runs Happy Eyeballs: every name
 * curl would look up (the target's, a proxy's, the target's behind a socks4/socks5 proxy,
 * the target's when no_proxy exempts it; not those the caller's own resolve lines give).
 * curl keeps such lines in the shared DNS cache until told otherwise: a line is handed once
 * per cache entry and port, and taken back ("-host:port") when the entry goes (dns.c) or no
 * request to its origin is in progress any more. */
#include "http/dns_internal.h"
#include "common/ascii.h"
#include "http/internal.h"
#include "http/parse.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cafe__http_name_parse(const char *key, cafe__http_name_t *n) {
    memset(n, 0, sizeof(*n));
    const char *h = strstr(key, "://");
    if (!h || h[3] == '[' || h[3] == '\0')
        return;
    int https = strncmp(key, "https", 5) == 0;
    h += 3;
    size_t len = 0;
    int numeric = 1; /* only digits and dots: maybe an IPv4 address */
    for (; h[len] && h[len] != ':'; len++) {
        char ch = h[len];
        int digit = ch >= '0' && ch <= '9';
        /* Anything but a plain host name is curl's to report (malformed URL and the like). */
        if (!digit && !(ch >= 'a' && ch <= 'z') && ch != '-' && ch != '.' && ch != '_')
            return;
        numeric &= digit || ch == '.';
    }
    if (len == 0 || len >= 256)
        return;
    char host[256];
    memcpy(host, h, len);
    host[len] = '\0';
    struct in_addr a4;
    if (numeric && inet_pton(AF_INET, host, &a4) == 1)
        return;
    n->at = (uint16_t)(h - key);
    n->len = (uint16_t)len;
    n->port = h[len] == ':' ? (unsigned)strtoul(h + len + 1, NULL, 10) : https ? 443u : 80u;
    n->lookup = 1;
}

/* Host (copied into host, 256 bytes) and port of the origin key "scheme://host[:port]" whose
 * host *n gives. Returns 0 when the host needs no lookup. */
static int host_of(const char *key, const cafe__http_name_t *n, char *host, unsigned *port) {
    if (!n->lookup)
        return 0;
    memcpy(host, key + n->at, n->len);
    host[n->len] = '\0';
    *port = n->port;
    return 1;
}

/* The host of origin key "scheme://host[:port]" as libcurl 7.88 matches it against no_proxy
 * (an IPv6 address unbracketed), IP literals included, into host (256 bytes); 0 when there
 * is none or it does not fit. */
static int host_text(const char *key, char *host) {
    const char *h = strstr(key, "://");
    if (!h)
        return 0;
    h += 3;
    size_t len = *h == '[' ? strcspn(++h, "]") : strcspn(h, ":");
    if (!len || len >= 256)
        return 0;
    memcpy(host, h, len);
    host[len] = '\0';
    return 1;
}

/* host_of for a key parsed here. */
static int host_port(const char *key, char *host, unsigned *port) {
    cafe__http_name_t n;
    cafe__http_name_parse(key, &n);
    return host_of(key, &n, host, port);
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

/* The lookup of host failed; `proxy`: host is the proxy's, named so (as curl says "Could not
 * resolve proxy"): a record naming a host the URL does not hold read as the URL's own. */
static int dns_fail(cafe__http_try_t *t, int code, const char *host, int proxy) {
    const char *what = code == CAFE_EHTTP_DNS       ? "no such host"
                       : code == CAFE_EDNS_TIMEOUT  ? "timeout"
                       : code == CAFE_EDNS_SERVFAIL ? "server failure"
                                                    : cafe_strerror(code);
    t->code = code;
    cafe__http_fail(t->res, code, "dns: %s (%s%s)", what, proxy ? "the proxy " : "", host);
    return 0;
}

/* Host (256 bytes, in lower case, as curl keys its DNS cache) and port of a proxy
 * "[scheme://][user:password@]host[:port][/]", curl's defaults for the port (1080, 443 for
 * https://, its scheme in any case as curl reads it). Returns 0 when the host needs no
 * lookup. */
static int proxy_host_port(const char *proxy, char *host, unsigned *port) {
    const char *h = strstr(proxy, "://");
    int https = h && ascii_ncasecmp(proxy, "https://", 8) == 0;
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
    int n = snprintf(key, sizeof key, "%s://", https ? "https" : "http");
    for (size_t i = 0; i < len; i++) /* a name in capitals is a name all the same */
        key[n++] = (char)ascii_lower((unsigned char)h[i]);
    key[n] = '\0';
    if (!host_port(key, host, port))
        return 0;
    if (!memchr(h, ':', len))
        *port = https ? 443u : 1080u;
    return 1;
}

/* Resolves host on the loop and, the first time for this answer and port, writes its line
 * at the end of line (cap bytes in all), after a newline when it holds one already. */
static int pin_name(cafe__http_try_t *t, const char *host, unsigned port, int proxy, char *line,
                    size_t cap, uint64_t left_ms) {
    cafe__dns_t *d = cafe__dns_get(t->c->loop);
    cafe__dns_entry_t *e = d ? cafe__dns_lookup(d, host) : NULL;
    if (d)
        t->c->dns = d;
    if (!e)
        return dns_fail(t, d && !d->channel_ok ? CAFE_EDNS_SERVFAIL : CAFE_ENOMEM, host, proxy);
    /* The try's timeout bounds its lookups too (resolv.conf's bound is its own, 15 s and
     * more): the lookup itself goes on for the others that wait for it. */
    cafe_deadline_t limit;
    int scoped = cafe_deadline_begin(&limit, left_ms) == 0;
    int rc = cafe_future_wait(&e->done, NULL);
    if (scoped && cafe_deadline_end(&limit) == CAFE_ETIMEDOUT) {
        cafe__dns_unref(e);
        return dns_fail(t, CAFE_EDNS_TIMEOUT, host, proxy);
    }
    if (cafe_future_done(&e->done)) {
        rc = 0;
        size_t used = strlen(line) + (line[0] != '\0');
        if (e->error)
            dns_fail(t, e->error, host, proxy);
        else if (used + 64 < cap && !pinned(e, port)) {
            if (used)
                line[used - 1] = '\n';
            line_make(line + used, cap - used, host, port, &e->addrs);
        }
    }
    cafe__dns_unref(e);
    return rc; /* nonzero: the task was cancelled or its deadline passed */
}

/* A socks4:// (or socks://) or socks5:// proxy takes the target's address, which curl looks
 * up itself; socks4a:// and socks5h:// take its name. */
static int proxy_wants_address(const char *proxy) {
    return ascii_ncasecmp(proxy, "socks4://", 9) == 0 ||
           ascii_ncasecmp(proxy, "socks5://", 9) == 0 || ascii_ncasecmp(proxy, "socks://", 8) == 0;
}

/* Whether the caller's own resolve lines ("[+]host:port:addrs", "-host:port") name host and
 * port: curl's way there, untouched. curl's "*" host names every host on its port (curl
 * looks it up after the names given, so a line of a host's own still wins). */
static int caller_pinned(const cafe_http_opts_t *o, const char *host, unsigned port) {
    size_t hlen = strlen(host);
    for (const char *const *r = o->resolve; r && *r; r++) {
        const char *l = *r + (**r == '+' || **r == '-');
        int any = l[0] == '*' && l[1] == ':';
        size_t n = any ? 1 : hlen;
        if ((any || ascii_ncasecmp(l, host, hlen) == 0) && l[n] == ':' &&
            strtoul(l + n + 1, NULL, 10) == port)
            return 1;
    }
    return 0;
}

typedef struct names {
    int n;
    char host[2][256];
    unsigned port[2];
    int proxy_literal; /* the proxy is given by its address, which curl "resolves" too */
    int proxy_at;      /* the slot holding the proxy's name; -1: none */
} names_t;

/* Adds the name found in w's next slot, unless the caller's own resolve lines give it. */
static void name_keep(names_t *w, const cafe_http_opts_t *o, int found) {
    if (found && !caller_pinned(o, w->host[w->n], w->port[w->n]))
        w->n++;
}

/* The names curl looks up for a request to origin key (its host parsed in *tn), and their
 * ports: the target's when it goes direct (no proxy, or the environment's no_proxy exempts
 * it), the proxy's when one is used, and the target's too behind a proxy that takes
 * addresses. IP literals and names the caller's own resolve lines give are not among them.
 * The request's own proxy wins over the environment's ("" = none); no_proxy exempts hosts
 * from either, as in xfer.c. */
static void names_of(const cafe__http_try_t *t, const char *key, const cafe__http_name_t *tn,
                     names_t *w) {
    const cafe__http_client_t *c = t->c;
    const cafe_http_opts_t *o = t->opts;
    const char *proxy = o->proxy;
    if (!proxy && (c->proxy_http || c->proxy_https))
        proxy = strncmp(key, "https:", 6) == 0 ? c->proxy_https : c->proxy_http;
    w->n = 0;
    w->proxy_literal = 0;
    w->proxy_at = -1;
    if (!proxy || !proxy[0]) { /* direct: the common case */
        name_keep(w, o, host_of(key, tn, w->host[0], &w->port[0]));
        return;
    }
    char host[256];
    /* an IP literal too: exempted, it goes direct, and no name is looked up for it */
    if (c->no_proxy && c->no_proxy[0] && host_text(key, host) &&
        cafe__http_no_proxy(host, c->no_proxy)) { /* exempted: direct */
        name_keep(w, o, host_of(key, tn, w->host[0], &w->port[0]));
        return;
    }
    w->proxy_literal = !proxy_host_port(proxy, w->host[0], &w->port[0]);
    name_keep(w, o, !w->proxy_literal);
    w->proxy_at = w->n - 1; /* 0 when the proxy's name is looked up, else -1 */
    if (proxy_wants_address(proxy))
        name_keep(w, o, host_of(key, tn, w->host[w->n], &w->port[w->n]));
}

int cafe__http_dns_pin(cafe__http_try_t *t, const char *key, const cafe__http_name_t *n, char *line,
                       size_t cap) {
    names_t w;
    line[0] = '\0';
    t->pinned_key = key;
    t->dns_ms = t->hops_ms; /* the attempt's earlier hops took that much of its timeout */
    if (!n->lookup && !t->opts->proxy && !t->c->proxy_http && !t->c->proxy_https)
        return 0; /* an IP literal, direct: nothing to resolve */
    names_of(t, key, n, &w);
    uint64_t limit = cafe__http_timeout_ms(t->opts), start = cafe__loop_now_fresh(t->c->loop);
    for (int i = 0; i < w.n && t->code == 0; i++) {
        int rc = pin_name(t, w.host[i], w.port[i], i == w.proxy_at, line, cap,
                          t->dns_ms < limit ? limit - t->dns_ms : 0);
        t->dns_ms = t->hops_ms + (cafe__loop_now_fresh(t->c->loop) - start);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int cafe__http_on_resolver_start(void *resolver, void *reserved, void *arg) {
    cafe__http_xfer_t *x = arg;
    cafe__http_try_t *t = x->try;
    char *url = NULL, key[sizeof t->unresolved];
    cafe__http_name_t n;
    names_t w;
    (void)resolver;
    (void)reserved;
    if (!t) /* orphaned: nobody waits for its outcome */
        return 1;
    if (cafe__http_redirect_resolving(x)) /* a name a browser would not look up */
        return 1;
    if (curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &url) != CURLE_OK || !url)
        return 0;
    uint64_t hash;
    cafe__http_origin_key(url, key, sizeof key, &hash);
    cafe__http_name_parse(key, &n);
    names_of(t, key, &n, &w);
    if (w.n == 0)
        return 0; /* IP literals, or the caller's own lines: curl's way */
    /* libcurl 7.88 passes a proxy given by its address through the resolver too (the callback
     * comes before its check for an address): with the origin's names handed to curl by this
     * attempt, that address is what it resolves now, and curl's way there looks nothing up.
     * Refused, a socks5:// (or socks4://) proxy given by its address took no URL naming a
     * host: "Couldn't resolve proxy '127.0.0.1'". */
    if (w.proxy_literal && t->pinned_key && strcmp(t->pinned_key, key) == 0)
        return 0;
    /* At a redirect, the request goes on from its target (a browser's next request), not
     * from its first URL again: the redirecting page asked twice could answer otherwise (a
     * one-time link) or name a new host each time (a mirror picker), never resolved. */
    if (!cafe__http_redirect_go_on(x))
        memcpy(t->unresolved, key, sizeof key);
    return 1;
}

void cafe__http_dns_release(cafe__http_client_t *c, const cafe__http_host_t *h) {
    char host[256];
    unsigned port;
    if (!host_of(h->key, &h->name, host, &port))
        return;
    if (c->dns) /* else nothing was pinned */
        cafe__dns_unpin_port(c->dns, host, port);
}

int cafe__http_dns_lines(cafe__http_client_t *c, const char *line, struct curl_slist **list) {
    cafe__dns_t *d = c->dns;
    if (!line[0] && (!d || !d->unpin)) /* nothing to add: the common case */
        return 0;
    /* The lines to take back go first, before the caller's own and the new pins: curl
     * reads the list in order, and a new pin for the same host:port must come after. */
    if (d && d->unpin) {
        struct curl_slist *last = d->unpin;
        while (last->next)
            last = last->next;
        last->next = *list;
        *list = d->unpin;
        d->unpin = NULL;
    }
    struct curl_slist **tail = list;
    while (*tail)
        tail = &(*tail)->next;
    for (const char *l = line; *l;) {
        size_t n = strcspn(l, "\n");
        char one[1024];
        snprintf(one, sizeof one, "%.*s", (int)n, l);
        struct curl_slist *e = curl_slist_append(NULL, one);
        if (!e)
            return CAFE_ENOMEM;
        *tail = e;
        tail = &e->next;
        l += n + (l[n] == '\n');
    }
    return 0;
}
