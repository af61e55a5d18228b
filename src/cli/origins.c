#include "origins.h"
#include "cafe.h"
#include "hash.h"

#include <stdlib.h>
#include <string.h>

struct cli_origin {
    uint64_t key;     /* the origin's hash */
    size_t worker;    /* where its URLs go */
    size_t out;       /* its URLs there, not back yet */
    uint64_t idle_ms; /* when out fell to 0 */
    dlist_link_t idle;
    cli_origin_t *next; /* its bucket's chain */
};

int cli_origins_init(cli_origins_t *t, size_t workers, uint64_t affinity_ms) {
    memset(t, 0, sizeof(*t));
    t->nbuckets = 1024;
    t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
    t->load = calloc(workers, sizeof(*t->load));
    t->workers = workers;
    t->affinity_ms = affinity_ms;
    if (!t->buckets || !t->load) {
        cli_origins_free(t);
        return CAFE_ENOMEM;
    }
    return 0;
}

void cli_origins_free(cli_origins_t *t) {
    for (size_t i = 0; t->buckets && i < t->nbuckets; i++)
        for (cli_origin_t *o = t->buckets[i], *next; o; o = next) {
            next = o->next;
            free(o);
        }
    free(t->buckets);
    free(t->load);
    memset(t, 0, sizeof(*t));
}

static unsigned char ascii_lower(char c) {
    return (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

/* The HTTP client's origin key, hashed: the scheme and the authority lower-cased, without
 * the userinfo before an '@'. */
static uint64_t origin_hash(const char *url) {
    const char *sep = strstr(url, "://");
    const char *auth = sep ? sep + 3 : url, *end = auth + strcspn(auth, "/?#");
    for (const char *p = auth; p < end; p++)
        if (*p == '@')
            auth = p + 1;
    uint64_t h = HASH_SEED;
    for (const char *p = url; sep && p < sep + 3; p++)
        h = hash_step(h, ascii_lower(*p));
    for (const char *p = auth; p < end; p++)
        h = hash_step(h, ascii_lower(*p));
    return hash_finish(h);
}

static cli_origin_t **chain(cli_origins_t *t, uint64_t key) {
    cli_origin_t **p = &t->buckets[key & (t->nbuckets - 1)];
    while (*p && (*p)->key != key)
        p = &(*p)->next;
    return p;
}

static void drop(cli_origins_t *t, cli_origin_t *o) {
    cli_origin_t **p = chain(t, o->key);
    *p = o->next;
    dlist_unlink(&t->idle, &o->idle);
    free(o);
    t->n--;
}

/* Doubles the buckets at a load factor of 1 (memory permitting: the chains only grow). */
static void grow(cli_origins_t *t) {
    size_t n = t->nbuckets * 2;
    cli_origin_t **b = calloc(n, sizeof(*b));
    if (!b)
        return;
    for (size_t i = 0; i < t->nbuckets; i++)
        for (cli_origin_t *o = t->buckets[i], *next; o; o = next) {
            next = o->next;
            o->next = b[o->key & (n - 1)];
            b[o->key & (n - 1)] = o;
        }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = n;
}

static size_t least_loaded(const cli_origins_t *t) {
    size_t best = 0;
    for (size_t i = 1; i < t->workers; i++)
        if (t->load[i] < t->load[best])
            best = i;
    return best;
}

/* Forgets the origins idle for longer than the affinity, and the oldest idle ones beyond
 * ORIGINS_IDLE_MAX. */
static void expire(cli_origins_t *t, uint64_t now_ms) {
    while (t->idle.tail) {
        cli_origin_t *o = DLIST_ITEM(t->idle.tail, cli_origin_t, idle);
        if (t->idle.len <= ORIGINS_IDLE_MAX && now_ms - o->idle_ms < t->affinity_ms)
            break;
        drop(t, o);
    }
}

size_t cli_origins_take(cli_origins_t *t, const char *url, uint64_t now_ms, cli_origin_t **entry) {
    uint64_t key = origin_hash(url);
    cli_origin_t *o = *chain(t, key);
    if (!o) {
        expire(t, now_ms);
        if (t->n >= t->nbuckets)
            grow(t);
        if ((o = calloc(1, sizeof(*o))) != NULL) {
            cli_origin_t **p = chain(t, key);
            *o = (cli_origin_t){.key = key, .worker = least_loaded(t)};
            *p = o;
            t->n++;
        }
    } else if (o->out == 0) {
        dlist_unlink(&t->idle, &o->idle);
    }
    *entry = o;
    size_t w = o ? o->worker : (size_t)(key % t->workers);
    if (o)
        o->out++;
    t->load[w]++;
    t->out++;
    return w;
}

void cli_origins_back(cli_origins_t *t, cli_origin_t *o, size_t w, uint64_t now_ms) {
    t->load[w]--;
    t->out--;
    if (o && --o->out == 0) {
        o->idle_ms = now_ms;
        dlist_push(&t->idle, &o->idle);
    }
}
