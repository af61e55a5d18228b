/* The loop's resolver (include/cafe/dns.h): c-ares on the loop (dns_io.c) and the cache of
 * answers with its single-flight lookups (dns.c). */
#ifndef CAFE_HTTP_DNS_INTERNAL_H
#define CAFE_HTTP_DNS_INTERNAL_H

#include "common/dlist.h"
#include "runtime/internal.h"

#include <ares.h>
#include <curl/curl.h>
#include <sys/uio.h>

#define CAFE__DNS_NAME_MAX 253 /* a host name's longest text form, without the final dot */

typedef struct cafe__dns cafe__dns_t;
typedef struct cafe__dns_entry cafe__dns_entry_t;
typedef struct cafe__dns_sock cafe__dns_sock_t;
typedef struct cafe__dns_fd cafe__dns_fd_t; /* a c-ares socket's reading state (dns_answer.c) */
typedef struct cafe__dns_hosts cafe__dns_hosts_t; /* /etc/hosts as read (dns_hosts.c) */

/* A query that went out (dns_answer.c), in a table indexed by its ID. */
typedef struct cafe__dns_sent {
    uint64_t qhash; /* hash_str of its name, lower case, no final dot */
    uint16_t id, qtype;
    int used;
} cafe__dns_sent_t;

#define CAFE__DNS_SENT 1024 /* queries remembered: more than max_queries x 2 types x retries */

/* One name: resolved, failed, or with its query waiting or out. Freed when evicted or
 * replaced, never while a waiter holds a reference. */
struct cafe__dns_entry {
    cafe__dns_entry_t *hnext; /* hash chain */
    dlist_link_t lru;         /* on the resolver's lru */
    cafe__dns_entry_t *qnext; /* queue of names waiting for a query slot */
    cafe__dns_t *dns;
    uint64_t hash;
    uint64_t expires_ms; /* loop time; valid while pending */
    int pending;         /* its query is queued or out */
    int error;           /* 0 or a CAFE_E* code */
    unsigned refs;       /* waiters still to read it */
    uint32_t neg_ttl;    /* least negative TTL of its answers' SOAs; UINT32_MAX: none */
    unsigned pinned;     /* ports handed to curl, bit per slot (http/request.c) */
    uint16_t pin_port[4];
    cafe_future_t done; /* resolved when the query ends */
    cafe_dns_addrs_t addrs;
    char name[];
};

struct cafe__dns {
    cafe_loop_t *loop;
    ares_channel channel;
    int channel_ok;
    uv_timer_t timer; /* c-ares' next timeout */
    int timer_ok;
    cafe__dns_sock_t **socks;
    size_t nsocks;
    cafe__dns_entry_t **buckets;
    size_t nbuckets;
    dlist_t lru; /* every entry in the table (lru.len of them), most recently used first */
    cafe__dns_entry_t *queue_head, *queue_tail;
    size_t in_flight;
    cafe_dns_opts_t opts;
    char *servers;
    int started; /* a lookup happened: configuration is fixed */
    int closing;
    int open_handles; /* the timer and the polls still closing */
    /* curl's DNS cache entries to drop ("-host:port"), taken by the next transfer. */
    struct curl_slist *unpin;
    cafe_dns_stats_t stats;
    cafe__dns_fd_t **fds; /* by file descriptor, for the sockets c-ares opened */
    size_t nfds;
    cafe__dns_sent_t sent[CAFE__DNS_SENT];
    int own_hosts; /* /etc/hosts is read here (dns_hosts.c), not by c-ares */
    cafe__dns_hosts_t *hosts;
};

/* dns_io.c: c-ares' sockets and timer on the loop. */
int cafe__dns_io_init(cafe__dns_t *d);
/* Cancels every query (their entries fail with CAFE_ECANCELED), closes the handles; the
 * resolver is freed once they are closed. */
void cafe__dns_io_close(cafe__dns_t *d);
/* Re-arms the timer after c-ares was given work. */
void cafe__dns_io_timer(cafe__dns_t *d);

/* dns_answer.c: the negative TTL of answers to queries that went out. */
/* c-ares opened fd (TCP or UDP): its state, or -1 when out of memory (its answers are then
 * not read). */
int cafe__dns_fd_open(cafe__dns_t *d, int fd, int tcp);
void cafe__dns_fd_close(cafe__dns_t *d, int fd);
/* c-ares sends these buffers on fd: the queries among them are noted. */
void cafe__dns_sent(cafe__dns_t *d, int fd, const struct iovec *iov, int n);
/* c-ares read n bytes from fd: a negative answer (whole, or completed by them on TCP) to a
 * noted query gives its SOA's TTL to the name's entry (cafe__dns_negative_seen). */
void cafe__dns_received(cafe__dns_t *d, int fd, const unsigned char *p, size_t n);

/* dns_hosts.c: name's addresses in /etc/hosts (read again when it changed, looked at once a
 * second at most): 1 with *out filled, or 0 when it is not there. */
int cafe__dns_hosts_find(cafe__dns_t *d, const char *name, cafe_dns_addrs_t *out);
void cafe__dns_hosts_free(cafe__dns_t *d);

/* dns_io.c: whether this host has a route to the IPv6 address ip (16 bytes): a source
 * address the kernel would use for it. */
int cafe__dns_v6_usable(const unsigned char *ip);

/* dns.c */
/* The loop's resolver, created at first use; NULL when out of memory. */
cafe__dns_t *cafe__dns_get(cafe_loop_t *loop);
/* The entry for name, referenced: fresh from the cache, or with a query started or queued.
 * Wait on entry->done, read it, then cafe__dns_unref. NULL when out of memory. */
cafe__dns_entry_t *cafe__dns_lookup(cafe__dns_t *d, const char *name);
void cafe__dns_unref(cafe__dns_entry_t *e);
/* curl is to forget the line it was given for name and port, if any (a "-name:port" line
 * for the next transfer): the next request there hands it again. */
void cafe__dns_unpin_port(cafe__dns_t *d, const char *name, unsigned port);
/* A negative answer for qname came with an SOA saying it may be kept ttl seconds: noted in
 * the entry whose query asked it (qname itself, or qname with a search domain appended). */
void cafe__dns_negative_seen(cafe__dns_t *d, const char *qname, uint32_t ttl);
/* The resolver's memory, after cafe__dns_io_close finished. */
void cafe__dns_free(cafe__dns_t *d);

#endif
