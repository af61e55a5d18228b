/* Name resolution on the loop: c-ares driven by the loop's own poll, no thread per lookup.
 *
 * One resolver per loop, created at first use (a lookup, an HTTP request to a host name, a
 * cafe_tcp_connect to one), freed with the loop. It reads the system's configuration as
 * getaddrinfo does: /etc/resolv.conf (nameservers, search, ndots, options timeout and attempts)
 * and /etc/hosts, which wins over DNS. "localhost" and the names under it (RFC 6761) are
 * 127.0.0.1 and ::1 whatever /etc/hosts says (as libcurl and Chromium answer them), and no
 * server is asked about them, nor about names under "invalid" (no such host). Answers are cached
 * for the loop's life, bounded in entries: positive ones for their TTL, negative ones (no such
 * host, no address) for their SOA's negative TTL (see CAFE_DNS_NEGATIVE_TTL_S), read from the
 * answer over UDP or TCP when it answers a query that went out (its ID and question match). An
 * answer with a TTL under a second, an /etc/hosts one always (it has none), is kept one second: a
 * change to /etc/hosts is seen within a second, as getaddrinfo, which reads the file at every call,
 * sees it at once (libcurl's own cache would keep it 60 s), and the lookups of one moment share one
 * read. Lookups of one name while its query is out share that query. The HTTP client resolves
 * through it (the target, a proxy's name, each redirect's new host) and hands the addresses to
 * libcurl, both families, so libcurl's Happy Eyeballs still chooses between IPv6 and IPv4; curl's
 * own resolver thread never starts.
 *
 * Errors: CAFE_EHTTP_DNS (no such host, or no address: final, never retried),
 * CAFE_EDNS_TIMEOUT (no answer in time. Each server is asked again after 1 s, then 2 s,
 * 4 s, ...: one lost datagram costs about a second. The waits stop when one more would take
 * their sum past T x (2^N - 1), T and N being resolv.conf's "options timeout:T attempts:N"
 * (or RES_OPTIONS) as glibc reads them, 5 s and 2 by default: a server that drops every
 * query costs at most 15 s by default, 1 + 2 + 4 + 8 s in 4 tries),
 * CAFE_EDNS_SERVFAIL (the servers failed or refused), CAFE_ENOMEM, CAFE_EINVAL.
 *
 * Threads: as every loop call (cafe.h, "Threads"), none of these calls may be made from a
 * cafe_thread_run function, and the calls given a loop (configure, stats) must come from
 * that loop's thread while it runs: either aborts the process with a message naming it. */
#ifndef CAFE_DNS_H
#define CAFE_DNS_H

#include "cafe.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CAFE_DNS_MAX_ADDRS 16 /* addresses kept per name */
/* "No such host" and "no address" are remembered as the zone's SOA record says (RFC 2308:
 * the lesser of its TTL and its MINIMUM), at most this long; an answer without an SOA for
 * a second only (RFC 2308 section 5: not to be cached). */
#define CAFE_DNS_NEGATIVE_TTL_S 3600

typedef struct cafe_dns_opts {
    /* Names being resolved at once (each an A and an AAAA query); 0 = 64. Others wait
     * their turn. A local caching server (dnsmasq, systemd-resolved, unbound) has one UDP
     * socket whose default 208 KiB buffer holds ~270 queries: more in flight than that,
     * while it is off the CPU, and the kernel drops them (each then costs a retry). */
    size_t max_queries;
    size_t max_entries; /* cached names; 0 = 65,536 (least recently used go first) */
    /* Comma-separated "IP[:PORT]" servers (IPv6 as "[ADDR]:PORT", or "[ADDR]" or bare for
     * port 53; PORT 1 to 65535) used instead of resolv.conf's nameservers; NULL = the
     * system's. Copied. Anything else (an empty list or item, spaces) is CAFE_EINVAL. */
    const char *servers;
} cafe_dns_opts_t;

/* Configures loop's resolver (NULL = the running loop's; CAFE_EINVAL outside any loop). opts
 * may be NULL: the defaults. Call before the loop's first lookup; later calls return
 * CAFE_EBUSY. CAFE_EINVAL for a malformed server list. */
int cafe_dns_configure(cafe_loop_t *loop, const cafe_dns_opts_t *opts);

/* One address: family is AF_INET (ip[0..4) used) or AF_INET6 (ip[0..16)), network order.
 * (No system header here: cafe.h includes this file, and stays free of <sys/socket.h>.) */
typedef struct cafe_dns_addr {
    int family;
    unsigned char ip[16];
} cafe_dns_addr_t;

typedef struct cafe_dns_addrs {
    size_t n;                                 /* 1..CAFE_DNS_MAX_ADDRS */
    cafe_dns_addr_t addr[CAFE_DNS_MAX_ADDRS]; /* in the answer's order */
} cafe_dns_addrs_t;

/* Resolves name (A and AAAA, search domains applied) inside a task: waits for the answer
 * or takes it from the cache. Returns 0 with *out filled, or one of the errors above (and
 * CAFE_ECANCELED / CAFE_ETIMEDOUT when the task is cancelled or its deadline passes).
 * CAFE_ENOTASK outside a task; CAFE_EINVAL for a NULL name or out. */
int cafe_dns_resolve(const char *name, cafe_dns_addrs_t *out);

/* Counters of loop's resolver (NULL = the running loop's). */
typedef struct cafe_dns_stats {
    uint64_t lookups; /* cafe_dns_resolve calls, the HTTP client's included */
    uint64_t queries; /* names sent to c-ares (each is an A and an AAAA query) */
    uint64_t hits;    /* answered from the cache or by joining a query in flight */
    uint64_t queries_peak;
} cafe_dns_stats_t;
/* Fills *out for `loop` (NULL = the running loop); zeros while it has no resolver. A NULL out
 * aborts the process with a message. */
void cafe_dns_stats_get(cafe_loop_t *loop, cafe_dns_stats_t *out);

#ifdef __cplusplus
}
#endif

#endif
