/* Requests in progress and politeness per origin: a chained hash table, and the LRU list of
 * its idle entries (internal.h, cafe__http_host_t). */
#include "http/internal.h"

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

/* The pace of an origin never asked (pace.c): no start, no slow-down, the gate open. */
static void pace_fresh(cafe__http_host_t *h) {
    memset(&h->pace, 0, sizeof(h->pace));
    cafe_sem_init(&h->pace.gate, 1);
}

/* An idle entry whose pace holds nothing back is as good as a new one: curl forgets its pins
 * (the reason entries were freed at once before they were kept), its pace starts afresh. */
static int retire(cafe__http_client_t *c, cafe__http_host_t *h) {
    if (h->retired)
        return 1;
    if (!cafe__http_pace_idle(c, h))
        return 0;
    cafe__http_dns_release(c, h);
    pace_fresh(h);
    h->retired = 1;
    return 1;
}

/* The oldest idle entry goes when there are too many: freed once retired, else (its pace
 * still holds something back) moved to the front, to be looked at again later. O(1) per
 * request; the list exceeds CAFE__HTTP_IDLE_HOSTS only by entries held back. */
static void idle_trim(cafe__http_client_t *c) {
    cafe__http_hosts_t *hs = &c->hosts;
    if (hs->idle.len <= CAFE__HTTP_IDLE_HOSTS) /* so the list has a tail */
        return;
    cafe__http_host_t *h = DLIST_ITEM(hs->idle.tail, cafe__http_host_t, idle);
    dlist_unlink(&hs->idle, &h->idle);
    if (!retire(c, h)) {
        dlist_push(&hs->idle, &h->idle);
        return;
    }
    cafe__http_host_t **slot = &hs->buckets[h->hash & (hs->nbuckets - 1)];
    while (*slot != h)
        slot = &(*slot)->next;
    *slot = h->next;
    hs->len--;
    free(h);
}

cafe__http_host_t *cafe__http_host_enter(cafe__http_client_t *c, const char *key, size_t klen,
                                         uint64_t hash, size_t permits) {
    cafe__http_hosts_t *hs = &c->hosts;
    if (hs->len >= hs->nbuckets && grow(hs) != 0 && hs->nbuckets == 0)
        return NULL;
    cafe__http_host_t **slot = &hs->buckets[hash & (hs->nbuckets - 1)], *h;
    for (h = *slot; h; h = h->next)
        if (h->hash == hash && h->klen == klen && memcmp(h->key, key, klen) == 0) {
            if (h->count++ == 0) {
                dlist_unlink(&hs->idle, &h->idle);
                h->retired = 0;
            }
            if (h->one_off) /* its connection is wanted now */
                cafe__http_xfer_keep(h);
            return h;
        }
    h = calloc(1, sizeof(*h) + klen + 1);
    if (!h)
        return NULL;
    memcpy(h->key, key, klen);
    h->key[klen] = '\0';
    h->klen = klen;
    h->hash = hash;
    h->count = 1;
    h->scheme = strncmp(h->key, "https://", 8) == 0 ? 2 : strncmp(h->key, "http://", 7) == 0;
    cafe__http_name_parse(h->key, &h->name);
    cafe_sem_init(&h->conns, permits);
    cafe_event_init(&h->tls_warm);
    pace_fresh(h);
    h->next = *slot;
    *slot = h;
    hs->len++;
    return h;
}

void cafe__http_host_leave(cafe__http_client_t *c, cafe__http_host_t *h) {
    if (--h->count > 0)
        return;
    retire(c, h);
    dlist_push(&c->hosts.idle, &h->idle);
    idle_trim(c);
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
