/* Connections by peer address, for --max-client-connections: without a cap of its own, one
 * address could open every one of --max-connections and the service accepted nobody else
 * (nginx's limit_conn per $binary_remote_addr). A peer is its address, an IPv6 one by its
 * /64, as for --max-client-jobs: a host given a /64 has as many addresses as it likes. The
 * table is keyed by SipHash under the cache's per-process secret key, as addresses are the
 * peers' to choose. */
#include "srv.h"

#include <netinet/in.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct srv_peer {
    srv_peer_t *next;
    unsigned char addr[16]; /* IPv6, an IPv4 address mapped (::ffff:a.b.c.d), a /64 cut */
    size_t conns;
};

/* sa as 16 bytes: an IPv4 address mapped into IPv6, an IPv6 one cut to its /64. */
static void peer_key(const struct sockaddr *sa, unsigned char out[16]) {
    memset(out, 0, 16);
    if (sa && sa->sa_family == AF_INET) {
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        memcpy(out, a, 16);
        if (!IN6_IS_ADDR_V4MAPPED(a))
            memset(out + 8, 0, 8);
    }
}

int srv_peers_init(srv_t *s) {
    size_t n = 64;
    while (n < s->o.max_connections && n < 65536)
        n *= 2;
    s->peers = calloc(n, sizeof(*s->peers));
    if (!s->peers)
        return CAFE_ENOMEM;
    s->npeers_buckets = n;
    return 0;
}

void srv_peers_free(srv_t *s) {
    for (size_t i = 0; i < s->npeers_buckets; i++)
        while (s->peers[i]) {
            srv_peer_t *p = s->peers[i];
            s->peers[i] = p->next;
            free(p);
        }
    free(s->peers);
    s->peers = NULL;
    s->npeers_buckets = 0;
}

static srv_peer_t **slot_of(srv_t *s, const unsigned char key[16]) {
    unsigned char h[crypto_shorthash_BYTES];
    uint64_t v;
    crypto_shorthash(h, key, 16, s->cache.key);
    memcpy(&v, h, sizeof v);
    srv_peer_t **pp = &s->peers[v & (s->npeers_buckets - 1)];
    while (*pp && memcmp((*pp)->addr, key, 16) != 0)
        pp = &(*pp)->next;
    return pp;
}

int srv_peer_admitted(srv_t *s, const struct sockaddr *sa) {
    unsigned char key[16];
    peer_key(sa, key);
    srv_peer_t *p = *slot_of(s, key);
    return !p || p->conns < s->o.max_client_connections;
}

srv_peer_t *srv_peer_add(srv_t *s, const struct sockaddr *sa) {
    unsigned char key[16];
    peer_key(sa, key);
    srv_peer_t **pp = slot_of(s, key);
    if (!*pp) {
        srv_peer_t *p = calloc(1, sizeof(*p));
        if (!p)
            return NULL; /* uncounted: the connection is served all the same */
        memcpy(p->addr, key, 16);
        *pp = p;
    }
    (*pp)->conns++;
    return *pp;
}

void srv_peer_del(srv_t *s, srv_peer_t *p) {
    if (--p->conns > 0)
        return;
    srv_peer_t **pp = slot_of(s, p->addr);
    *pp = p->next;
    free(p);
}
