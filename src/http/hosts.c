/* Requests in progress and politeness per origin: a small chained hash table; an entry is
 * freed once no request uses it and its pace is idle. */
#include "http/internal.h"
#include "common/hash.h"

#include <stdlib.h>
#include <string.h>

static int grow(cafe__http_hosts_t *hs) {
    size_t n = hs->nbuckets ? hs->nbuckets * 2 : 64;
    cafe__http_host_t **b = calloc(n, sizeof(*b));
    if (!b)
        return -1;
    for (size_t i = 0; i < hs->nbuckets; i++) {
        cafe__http_host_t *h = hs->buckets[i], *next;
        for (; h; h = next) {
            next = h->next;
            h->next = b[h->hash & (n - 1)];
            b[h->hash & (n - 1)] = h;
        }
    }
    free(hs->buckets);
    hs->buckets = b;
    hs->nbuckets = n;
    return 0;
}

/* Unlinks and frees the entries of *slot's chain that no request uses and whose pace holds
 * nothing back: the table stays as small as the hosts that matter now. */
static void sweep(cafe__http_client_t *c, cafe__http_host_t **slot) {
    while (*slot) {
        cafe__http_host_t *h = *slot;
        if (h->count == 0 && cafe__http_pace_idle(c, h)) {
            *slot = h->next;
            c->hosts.len--;
            cafe__http_dns_release(c, h->key);
            free(h);
        } else {
            slot = &h->next;
        }
    }
}

cafe__http_host_t *cafe__http_host_enter(cafe__http_client_t *c, const char *key, size_t permits) {
    cafe__http_hosts_t *hs = &c->hosts;
    if (hs->len >= hs->nbuckets && grow(hs) != 0 && hs->nbuckets == 0)
        return NULL;
    uint64_t hash = hash_str(HASH_SEED, key);
    cafe__http_host_t **slot = &hs->buckets[hash & (hs->nbuckets - 1)], *h;
    for (h = *slot; h; h = h->next)
        if (h->hash == hash && strcmp(h->key, key) == 0) {
            h->count++;
            if (h->one_off) /* its connection is wanted now */
                cafe__http_xfer_keep(h);
            return h;
        }
    sweep(c, slot);
    size_t len = strlen(key) + 1;
    h = calloc(1, sizeof(*h) + len);
    if (!h)
        return NULL;
    memcpy(h->key, key, len);
    h->hash = hash;
    h->count = 1;
    cafe_sem_init(&h->conns, permits);
    cafe_sem_init(&h->pace.gate, 1);
    h->next = *slot;
    *slot = h;
    hs->len++;
    return h;
}

/* An entry whose pace still holds something back (a host interval running, a slowed host)
 * stays for the next request; sweep frees it later. */
void cafe__http_host_leave(cafe__http_client_t *c, cafe__http_host_t *h) {
    if (--h->count > 0)
        return;
    sweep(c, &c->hosts.buckets[h->hash & (c->hosts.nbuckets - 1)]);
}

void cafe__http_hosts_free(cafe__http_hosts_t *hs) {
    for (size_t i = 0; i < hs->nbuckets; i++) {
        cafe__http_host_t *h = hs->buckets[i], *next;
        for (; h; h = next) {
            next = h->next;
            free(h);
        }
    }
    free(hs->buckets);
    memset(hs, 0, sizeof(*hs));
}
