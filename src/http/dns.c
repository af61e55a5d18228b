/* The loop's resolver: a cache of answers keyed by name, one query per name at a time
 * (every lookup of a name whose query is out waits on that query's future), at most
 * max_queries names in flight (the others queue), bounded in entries (least recently used
 * evicted first, never one a waiter still reads). */
#include "http/dns_internal.h"
#include "common/ascii.h"
#include "http/internal.h"
#include "common/hash.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_QUERIES 64 /* include/cafe/dns.h says why */
#define DEFAULT_MAX_ENTRIES 65536
#define TTL_MIN_S 1 /* /etc/hosts answers carry TTL 0: include/cafe/dns.h says why 1 s */
#define TTL_MAX_S 86400

static void dns_close(void *arg);

static cafe__dns_t *dns_find(cafe_loop_t *loop) {
    for (int i = 0; loop && i < loop->nclosers; i++)
        if (loop->closers[i].fn == dns_close)
            return loop->closers[i].arg;
    return NULL;
}

cafe__dns_t *cafe__dns_get(cafe_loop_t *loop) {
    cafe__dns_t *d = dns_find(loop);
    if (d || !loop)
        return d;
    if (!(d = calloc(1, sizeof(*d))))
        return NULL;
    d->loop = loop;
    if (cafe__loop_at_close(loop, dns_close, d) != 0) {
        free(d);
        return NULL;
    }
    return d;
}

/* One server of a list, s[0..n): "IPv4[:PORT]", "[IPv6]", "[IPv6]:PORT" or a bare IPv6,
 * PORT 1 to 65535, appended to out in the form c-ares 1.18 reads: an IPv6 address always
 * as "[IPv6]:PORT" (port 53 when none is given; "[IPv6]" alone it refuses). 0 when it is
 * none of these. */
static int server_put(const char *s, size_t n, char *out) {
    const char *ip = s, *colon = memchr(s, ':', n), *port = NULL;
    size_t iplen = n;
    int v6 = colon && memchr(colon + 1, ':', n - (size_t)(colon + 1 - s)) != NULL;
    if (n > 0 && s[0] == '[') {
        const char *end = memchr(s, ']', n);
        if (!end || (end + 1 < s + n && end[1] != ':'))
            return 0;
        ip = s + 1, iplen = (size_t)(end - ip), v6 = 1;
        port = end + 1 < s + n ? end + 2 : NULL;
    } else if (colon && !v6) {
        iplen = (size_t)(colon - s), port = colon + 1;
    }
    char addr[INET6_ADDRSTRLEN];
    unsigned char bin[16];
    if (iplen == 0 || iplen >= sizeof addr)
        return 0;
    memcpy(addr, ip, iplen);
    addr[iplen] = '\0';
    if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, bin) != 1)
        return 0;
    unsigned long p = 0;
    size_t plen = port ? (size_t)(s + n - port) : 0;
    for (size_t i = 0; i < plen; i++)
        p = (port[i] >= '0' && port[i] <= '9') && p <= 65535
                ? p * 10 + (unsigned long)(port[i] - '0')
                : 65536;
    if (port && (plen == 0 || p == 0 || p > 65535))
        return 0;
    const char *sep = *out ? "," : "";
    out += strlen(out); /* fits: at most 4 times the item ("::" as "[::]:53") */
    if (!port && !v6)
        sprintf(out, "%s%s", sep, addr);
    else /* a bare IPv6 address c-ares may split at its last ':' as a port */
        sprintf(out, v6 ? "%s[%s]:%lu" : "%s%s:%lu", sep, addr, port ? p : 53);
    return 1;
}

/* The list of cafe_dns_opts_t.servers as c-ares reads it (malloc'ed), or NULL with *rc
 * CAFE_EINVAL for a malformed one (c-ares takes some: a port cut to 16 bits, an empty list,
 * "[::1" and its missing bracket; and refuses the others only at the first lookup) or
 * CAFE_ENOMEM. */
static char *servers_parse(const char *list, int *rc) {
    char *out = calloc(1, 4 * strlen(list) + 8);
    *rc = out ? 0 : CAFE_ENOMEM;
    for (const char *s = list; out;) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        if (!server_put(s, n, out)) {
            free(out);
            *rc = CAFE_EINVAL;
            return NULL;
        }
        if (!comma)
            break;
        s = comma + 1;
    }
    return out;
}

int cafe_dns_configure(cafe_loop_t *loop, const cafe_dns_opts_t *opts) {
    cafe__loop_arg_check(loop, "cafe_dns_configure");
    cafe__dns_t *d = cafe__dns_get(loop ? loop : cafe_loop_current());
    if (!d)
        return cafe_loop_current() || loop ? CAFE_ENOMEM : CAFE_EINVAL;
    if (d->started)
        return CAFE_EBUSY;
    int rc = 0;
    char *servers = opts && opts->servers ? servers_parse(opts->servers, &rc) : NULL;
    if (rc != 0)
        return rc;
    free(d->servers);
    d->servers = servers;
    d->opts = opts ? *opts : (cafe_dns_opts_t){0};
    d->opts.servers = NULL;
    return 0;
}

void cafe_dns_stats_get(cafe_loop_t *loop, cafe_dns_stats_t *out) {
    cafe__loop_arg_check(loop, "cafe_dns_stats_get");
    if (!out) { /* no code to return: a crash at the write would name nothing */
        fprintf(stderr, "cafe: cafe_dns_stats_get given no out (NULL)\n");
        abort();
    }
    cafe__dns_t *d = dns_find(loop ? loop : cafe_loop_current());
    *out = d ? d->stats : (cafe_dns_stats_t){0};
}

/* ---- the table ---------------------------------------------------------------------- */

static cafe__dns_entry_t **slot_of(cafe__dns_t *d, uint64_t hash, const char *name) {
    cafe__dns_entry_t **p = &d->buckets[hash & (d->nbuckets - 1)];
    while (*p && ((*p)->hash != hash || strcmp((*p)->name, name) != 0))
        p = &(*p)->hnext;
    return p;
}

static int grow(cafe__dns_t *d) {
    size_t n = d->nbuckets ? d->nbuckets * 2 : 256;
    cafe__dns_entry_t **b = calloc(n, sizeof(*b));
    if (!b)
        return -1;
    for (size_t i = 0; i < d->nbuckets; i++) {
        for (cafe__dns_entry_t *e = d->buckets[i], *next; e; e = next) {
            next = e->hnext;
            e->hnext = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
        }
    }
    free(d->buckets);
    d->buckets = b;
    d->nbuckets = n;
    return 0;
}

/* Tells curl to forget the addresses it was given for e and the port of slot i. */
static void unpin_slot(cafe__dns_t *d, cafe__dns_entry_t *e, int i) {
    char line[CAFE__DNS_NAME_MAX + 16];
    snprintf(line, sizeof line, "-%s:%u", e->name, (unsigned)e->pin_port[i]);
    struct curl_slist *l = curl_slist_append(d->unpin, line);
    if (l)
        d->unpin = l;
    e->pinned &= ~(1u << i);
}

/* Tells curl to forget the addresses it was given for e (http/pin.c pins them). */
static void unpin(cafe__dns_t *d, cafe__dns_entry_t *e) {
    for (int i = 0; i < 4; i++)
        if (e->pinned & (1u << i))
            unpin_slot(d, e, i);
}

void cafe__dns_unpin_port(cafe__dns_t *d, const char *name, unsigned port) {
    cafe__dns_entry_t *e = d->nbuckets ? *slot_of(d, hash_str(HASH_SEED, name), name) : NULL;
    for (int i = 0; e && i < 4; i++)
        if ((e->pinned & (1u << i)) && e->pin_port[i] == port)
            unpin_slot(d, e, i);
}

/* Takes e out of the table; it is freed now, or by its last reader. */
static void detach(cafe__dns_t *d, cafe__dns_entry_t *e) {
    cafe__dns_entry_t **p = slot_of(d, e->hash, e->name);
    if (*p == e)
        *p = e->hnext;
    dlist_unlink(&d->lru, &e->lru);
    unpin(d, e);
    e->dns = NULL; /* detached */
    if (e->refs == 0)
        free(e);
}

static void evict(cafe__dns_t *d) {
    size_t max = d->opts.max_entries ? d->opts.max_entries : DEFAULT_MAX_ENTRIES;
    for (dlist_link_t *k = d->lru.tail, *prev; k && d->lru.len > max; k = prev) {
        prev = k->prev;
        cafe__dns_entry_t *e = DLIST_ITEM(k, cafe__dns_entry_t, lru);
        if (!e->pending && e->refs == 0)
            detach(d, e);
    }
}

void cafe__dns_unref(cafe__dns_entry_t *e) {
    if (--e->refs == 0 && !e->dns)
        free(e);
}

/* ---- queries ------------------------------------------------------------------------ */

static void start_next(cafe__dns_t *d);

static int error_of(int status) {
    switch (status) {
    case ARES_ENOTFOUND:
    case ARES_ENODATA:
    case ARES_ENONAME:
    case ARES_EBADNAME: /* a name no zone can hold (an empty label: a..b): asked of no server */
        return CAFE_EHTTP_DNS;
    case ARES_ETIMEOUT:
        return CAFE_EDNS_TIMEOUT;
    case ARES_ENOMEM:
        return CAFE_ENOMEM;
    case ARES_EDESTRUCTION:
    case ARES_ECANCELLED:
        return CAFE_ECANCELED;
    default: /* ESERVFAIL, EREFUSED, ECONNREFUSED, EBADRESP, ... */
        return CAFE_EDNS_SERVFAIL;
    }
}

static int addr_take(cafe_dns_addr_t *a, const struct ares_addrinfo_node *n) {
    const struct sockaddr *sa = n->ai_addr;
    a->family = sa->sa_family;
    if (sa->sa_family == AF_INET && n->ai_addrlen >= sizeof(struct sockaddr_in))
        memcpy(a->ip, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
    else if (sa->sa_family == AF_INET6 && n->ai_addrlen >= sizeof(struct sockaddr_in6))
        memcpy(a->ip, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
    else
        return 0;
    return 1;
}

/* The answer's addresses, in its order, and the TTL to keep them: the least of the
 * addresses' and the CNAMEs' on the way. */
static uint32_t addrs_take(cafe__dns_entry_t *e, const struct ares_addrinfo *ai) {
    uint32_t ttl = TTL_MAX_S;
    e->addrs.n = 0;
    for (const struct ares_addrinfo_node *n = ai ? ai->nodes : NULL; n; n = n->ai_next) {
        if (e->addrs.n == CAFE_DNS_MAX_ADDRS || !addr_take(&e->addrs.addr[e->addrs.n], n))
            continue;
        e->addrs.n++;
        if (n->ai_ttl >= 0 && (uint32_t)n->ai_ttl < ttl)
            ttl = (uint32_t)n->ai_ttl;
    }
    for (const struct ares_addrinfo_cname *c = ai ? ai->cnames : NULL; c; c = c->next)
        if (c->ttl >= 0 && (uint32_t)c->ttl < ttl)
            ttl = (uint32_t)c->ttl;
    return ttl < TTL_MIN_S ? TTL_MIN_S : ttl;
}

/* RFC 6724's order where it matters, in place of c-ares' sort (which costs four system
 * calls per address, a socket connected to each to find its source): with both families,
 * IPv6 first when this host has a route for it (default precedence: ::/0 40 over IPv4's
 * 35; rule 1, an unusable destination goes last, otherwise), each family in the answer's
 * order; one family keeps the answer's order, as the sort does for usable addresses of one
 * scope. */
static void addrs_order(cafe_dns_addrs_t *a) {
    size_t first6 = a->n, first4 = a->n;
    for (size_t i = a->n; i-- > 0;) {
        if (a->addr[i].family == AF_INET6)
            first6 = i;
        else
            first4 = i;
    }
    if (first6 == a->n || first4 == a->n)
        return;
    int want = cafe__dns_v6_usable(a->addr[first6].ip) ? AF_INET6 : AF_INET;
    cafe_dns_addrs_t sorted = {.n = 0};
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < a->n; i++)
            if ((a->addr[i].family == want) == (pass == 0))
                sorted.addr[sorted.n++] = a->addr[i];
    *a = sorted;
}

/* RFC 2308: a negative answer is kept for its SOA's say, at most CAFE_DNS_NEGATIVE_TTL_S;
 * one without an SOA (and /etc/hosts' "no address") is not to be cached (section 5): it is
 * kept TTL_MIN_S, enough for the lookups of that moment to share it. */
static uint32_t negative_ttl(const cafe__dns_entry_t *e) {
    uint32_t ttl = e->neg_ttl == UINT32_MAX ? TTL_MIN_S : e->neg_ttl;
    return ttl < TTL_MIN_S                 ? TTL_MIN_S
           : ttl > CAFE_DNS_NEGATIVE_TTL_S ? CAFE_DNS_NEGATIVE_TTL_S
                                           : ttl;
}

/* The pending entry named name, or name with a final dot. */
static cafe__dns_entry_t *pending_named(cafe__dns_t *d, char *name, size_t len) {
    cafe__dns_entry_t *e = *slot_of(d, hash_str(HASH_SEED, name), name);
    if (!e || !e->pending) { /* name has room for it: CAFE__DNS_NAME_MAX + 2 bytes */
        name[len] = '.';
        name[len + 1] = '\0';
        e = *slot_of(d, hash_str(HASH_SEED, name), name);
        name[len] = '\0';
    }
    return e && e->pending ? e : NULL;
}

void cafe__dns_negative_seen(cafe__dns_t *d, const char *qname, uint32_t ttl) {
    char name[CAFE__DNS_NAME_MAX + 2];
    size_t len = strlen(qname);
    if (len > CAFE__DNS_NAME_MAX || d->nbuckets == 0)
        return;
    memcpy(name, qname, len + 1);
    /* qname itself, else with its last labels taken off one by one (a search domain). */
    for (;;) {
        cafe__dns_entry_t *e = pending_named(d, name, len);
        if (e) {
            if (ttl < e->neg_ttl)
                e->neg_ttl = ttl;
            return;
        }
        char *dot = strrchr(name, '.');
        if (!dot)
            return;
        *dot = '\0';
        len = (size_t)(dot - name);
    }
}

/* The query of e ended: with e->addrs kept ttl seconds (error 0), or error. */
static void answered(cafe__dns_entry_t *e, int error, uint32_t ttl) {
    cafe__dns_t *d = e->dns;
    uint64_t now = cafe_loop_now(d->loop);
    e->error = error;
    /* Positive answers for their TTL, "no such host" for the negative TTL; timeouts and
     * server failures are not kept: the next lookup asks again. */
    e->expires_ms = e->error == 0                ? now + (uint64_t)ttl * 1000u
                    : e->error == CAFE_EHTTP_DNS ? now + (uint64_t)negative_ttl(e) * 1000u
                                                 : now;
    e->pending = 0;
    d->in_flight--;
    cafe_future_resolve(&e->done, e->error, e);
    if (!d->closing)
        start_next(d);
}

static void on_answer(void *arg, int status, int timeouts, struct ares_addrinfo *ai) {
    cafe__dns_entry_t *e = arg;
    (void)timeouts;
    uint32_t ttl = status == ARES_SUCCESS ? addrs_take(e, ai) : 0;
    ares_freeaddrinfo(ai);
    addrs_order(&e->addrs);
    answered(e, status != ARES_SUCCESS ? error_of(status) : e->addrs.n ? 0 : CAFE_EHTTP_DNS, ttl);
}

/* Whether name (lower-case, a final dot aside) is zone (len bytes) or a name under it. */
static int name_under(const char *name, const char *zone, size_t len) {
    size_t n = strlen(name);
    n -= n && name[n - 1] == '.';
    return n >= len && (n == len || name[n - len - 1] == '.') &&
           memcmp(name + n - len, zone, len) == 0;
}

/* RFC 6761 (6.3): "localhost" and the names under it are the loopback addresses, 127.0.0.1
 * and ::1, and no server is asked about them, as libcurl 7.88 and browsers answer them.
 * Asked of DNS, "a.localhost" was no such host (and "localhost", where /etc/hosts lacks it,
 * went to the search domains): a server could answer such a name with any address. Nor is
 * /etc/hosts read for them, as curl and Chromium read none: one naming 127.0.0.1 alone (a
 * container's often does) made a server on ::1 alone unreachable. */
static void loopback(cafe_dns_addrs_t *out) {
    static const unsigned char v6[16] = {[15] = 1};
    *out = (cafe_dns_addrs_t){.n = 2};
    out->addr[0].family = AF_INET;
    memcpy(out->addr[0].ip, (const unsigned char[]){127, 0, 0, 1}, 4);
    out->addr[1].family = AF_INET6;
    memcpy(out->addr[1].ip, v6, sizeof v6);
}

static void query_start(cafe__dns_t *d, cafe__dns_entry_t *e) {
    struct ares_addrinfo_hints hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = ARES_AI_NOSORT};
    if (++d->in_flight > d->stats.queries_peak)
        d->stats.queries_peak = d->in_flight;
    /* RFC 6761: names under "invalid" never resolve, and no server is asked about them. */
    if (name_under(e->name, "invalid", 7)) {
        on_answer(e, ARES_ENOTFOUND, 0, NULL);
        return;
    }
    int local = name_under(e->name, "localhost", 9);
    if (local || (d->own_hosts && cafe__dns_hosts_find(d, e->name, &e->addrs))) {
        if (local)
            loopback(&e->addrs);
        addrs_order(&e->addrs);
        answered(e, 0, TTL_MIN_S); /* the file has no TTL: include/cafe/dns.h */
        return;
    }
    d->stats.queries++;
    ares_getaddrinfo(d->channel, e->name, NULL, &hints, on_answer, e); /* may answer at once */
    cafe__dns_io_timer(d);
}

static void start_next(cafe__dns_t *d) {
    size_t max = d->opts.max_queries ? d->opts.max_queries : DEFAULT_MAX_QUERIES;
    while (d->queue_head && d->in_flight < max) {
        cafe__dns_entry_t *e = d->queue_head;
        d->queue_head = e->qnext;
        if (!d->queue_head)
            d->queue_tail = NULL;
        e->qnext = NULL;
        query_start(d, e);
    }
}

static cafe__dns_entry_t *entry_new(cafe__dns_t *d, const char *name, uint64_t hash) {
    size_t len = strlen(name);
    cafe__dns_entry_t *e = calloc(1, sizeof(*e) + len + 1);
    if (!e)
        return NULL;
    memcpy(e->name, name, len + 1);
    e->hash = hash;
    e->dns = d;
    e->pending = 1;
    e->neg_ttl = UINT32_MAX;
    cafe_future_init(&e->done, NULL); /* outlives its resolver: freed only when resolved */
    cafe__dns_entry_t **p = slot_of(d, hash, name);
    e->hnext = *p;
    *p = e;
    dlist_push(&d->lru, &e->lru);
    if (d->queue_tail)
        d->queue_tail->qnext = e;
    else
        d->queue_head = e;
    d->queue_tail = e;
    return e;
}

/* c-ares' library init, once per process: loops run on several threads (cafe titles
 * --threads), and ares_library_init is not thread-safe (an unlocked counter), nor was a plain
 * flag guarding it (a data race ThreadSanitizer reports). */
static pthread_once_t ares_once = PTHREAD_ONCE_INIT;
static int ares_ok;

static void ares_init_once(void) {
    ares_ok = ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS;
}

static int channel_start(cafe__dns_t *d) {
    if (d->started)
        return d->channel_ok ? 0 : CAFE_EINVAL;
    d->started = 1;
    (void)pthread_once(&ares_once, ares_init_once);
    if (!ares_ok)
        return CAFE_ENOMEM;
    return cafe__dns_io_init(d);
}

cafe__dns_entry_t *cafe__dns_lookup(cafe__dns_t *d, const char *name) {
    if (channel_start(d) != 0 || (d->lru.len * 2 >= d->nbuckets && grow(d) != 0))
        return NULL;
    d->stats.lookups++;
    uint64_t hash = hash_str(HASH_SEED, name);
    cafe__dns_entry_t *e = *slot_of(d, hash, name);
    if (e && !e->pending && cafe_loop_now(d->loop) >= e->expires_ms) {
        detach(d, e); /* stale: ask again */
        e = NULL;
    }
    if (e) {
        d->stats.hits++;
        dlist_front(&d->lru, &e->lru);
    } else if ((e = entry_new(d, name, hash)) != NULL) {
        evict(d);
    }
    if (!e)
        return NULL;
    e->refs++;
    start_next(d);
    return e;
}

/* ---- the public call ------------------------------------------------------------------ */

/* An IP literal needs no lookup. */
static int literal(const char *name, cafe_dns_addrs_t *out) {
    cafe_dns_addr_t *a = &out->addr[0];
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, name, a->ip) == 1)
        a->family = AF_INET;
    else if (inet_pton(AF_INET6, name, a->ip) == 1)
        a->family = AF_INET6;
    else
        return 0;
    out->n = 1;
    return 1;
}

int cafe_dns_resolve(const char *name, cafe_dns_addrs_t *out) {
    cafe__loop_thread_check("cafe_dns_resolve");
    char key[CAFE__DNS_NAME_MAX + 2];
    size_t len = name ? strlen(name) : 0;
    if (!out || len == 0 || len > CAFE__DNS_NAME_MAX + 1)
        return CAFE_EINVAL;
    if (literal(name, out))
        return 0;
    if (!cafe_task_current())
        return CAFE_ENOTASK;
    for (size_t i = 0; i <= len; i++) /* names are case-insensitive: one entry for all */
        key[i] = (char)ascii_lower((unsigned char)name[i]);
    cafe__dns_t *d = cafe__dns_get(cafe_loop_current());
    cafe__dns_entry_t *e = d ? cafe__dns_lookup(d, key) : NULL;
    if (!e)
        return d && d->started && !d->channel_ok ? CAFE_EINVAL : CAFE_ENOMEM;
    int rc = cafe_future_wait(&e->done, NULL);
    if (cafe_future_done(&e->done)) {
        rc = e->error;
        if (rc == 0)
            *out = e->addrs;
    }
    cafe__dns_unref(e);
    return rc;
}

/* ---- teardown ------------------------------------------------------------------------- */

static void dns_close(void *arg) {
    cafe__dns_io_close(arg); /* frees d once its handles are closed */
}

void cafe__dns_free(cafe__dns_t *d) {
    for (dlist_link_t *k = d->lru.head, *next; k; k = next) {
        next = k->next;
        free(DLIST_ITEM(k, cafe__dns_entry_t, lru)); /* every task has ended: no reference */
    }
    curl_slist_free_all(d->unpin);
    for (size_t fd = 0; fd < d->nfds; fd++)
        cafe__dns_fd_close(d, (int)fd); /* c-ares closed its sockets: none is left */
    free(d->fds);
    cafe__dns_hosts_free(d);
    free(d->buckets);
    free(d->socks);
    free(d->servers);
    free(d);
}
