/* Requests in progress per origin: a small chained hash table, entries freed at zero. */
#include "http/internal.h"

#include <stdlib.h>
#include <string.h>

static uint64_t fnv1a(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

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

cafe__http_host_t *cafe__http_host_enter(cafe__http_hosts_t *hs, const char *key) {
    if (hs->len >= hs->nbuckets && grow(hs) != 0 && hs->nbuckets == 0)
        return NULL;
    uint64_t hash = fnv1a(key);
    cafe__http_host_t **slot = &hs->buckets[hash & (hs->nbuckets - 1)], *h;
    for (h = *slot; h; h = h->next)
        if (h->hash == hash && strcmp(h->key, key) == 0) {
            h->count++;
            return h;
        }
    size_t len = strlen(key) + 1;
    h = malloc(sizeof(*h) + len);
    if (!h)
        return NULL;
    memcpy(h->key, key, len);
    h->hash = hash;
    h->count = 1;
    h->next = *slot;
    *slot = h;
    hs->len++;
    return h;
}

void cafe__http_host_leave(cafe__http_hosts_t *hs, cafe__http_host_t *h) {
    if (--h->count > 0)
        return;
    cafe__http_host_t **p = &hs->buckets[h->hash & (hs->nbuckets - 1)];
    while (*p != h)
        p = &(*p)->next;
    *p = h->next;
    hs->len--;
    free(h);
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
