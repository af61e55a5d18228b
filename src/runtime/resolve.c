/* Host name resolution for cafe_tcp_connect: the loop's resolver (include/cafe/dns.h, c-ares
 * on the loop, shared with the HTTP client: one cache, one limit on queries in flight, no
 * thread per lookup). cafe__resolve's contract is all that tcp.c relies on. */
#include "runtime/internal.h"

#include <arpa/inet.h>
#include <string.h>

/* The address as a sockaddr with port, in out. */
static void sockaddr_of(const cafe_dns_addr_t *a, int port, struct sockaddr_storage *out) {
    memset(out, 0, sizeof(*out));
    if (a->family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)out;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        memcpy(&s6->sin6_addr, a->ip, 16);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)out;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        memcpy(&s4->sin_addr, a->ip, 4);
    }
}

int cafe__resolve(const char *host, int port, struct sockaddr_storage *out, int max) {
    if (!cafe__running())
        return CAFE_ENOTASK;
    if (!host || !*host || port < 0 || port > 65535 || max <= 0)
        return CAFE_EINVAL;
    cafe_dns_addrs_t addrs;
    int rc = cafe_dns_resolve(host, &addrs);
    if (rc == CAFE_EHTTP_DNS)
        return CAFE_ERESOLVE; /* no such host, or no address */
    if (rc != 0)
        return rc;
    int n = 0;
    for (size_t i = 0; i < addrs.n && n < max; i++)
        sockaddr_of(&addrs.addr[i], port, &out[n++]);
    return n;
}
