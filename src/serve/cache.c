/* GET /v1/title: one title, through a cache.
 *
 * An entry is either pending (its fetch runs; later requests for the same URL wait on its
 * future: single-flight) or ready (its record, in the LRU list). The cache holds at most
 * --cache-size bytes of ready entries (key, record and bookkeeping counted); the least
 * recently used go first. An entry older than --cache-ttl is fetched again. Entries are
 * reference-counted: a waiter woken after its entry was evicted still reads it. */
#include "srv.h"
#include "format.h"
#include "input.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

struct srv_entry {
    srv_entry_t *hnext;
    dlist_link_t lru; /* on the cache's LRU list once ready */
    uint64_t hash;
    char *key;
    char *json; /* the record, one JSON line; NULL when the fetch was cancelled */
    size_t json_len, size;
    uint64_t fetched_ms;
    /* The hit answer, prepared once per second of Age (its headers change with it). */
    struct MHD_Response *hit;
    uint64_t hit_age;
    size_t hit_size; /* its memory, counted in size (hit_cost) */
    int pending, hashed, refs;
    int keep; /* the record may be cached (kept_status): else it answers its waiters only */
    cafe_future_t done;
};

/* Whether a record may be kept for --cache-ttl: the page's own answer, with a status that
 * RFC 9110 (15.1) lets a cache keep without being told (as nginx and Varnish keep them). A
 * 503, a 429 or a fetch that got no answer (a timeout, a refused connection) is the
 * moment's: kept, a site back up a second later was shown down for the whole TTL. */
static int kept_status(const record_t *rec) {
    static const long ok[] = {200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501};
    if (rec->error != 0)
        return 0;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (rec->status == ok[i])
            return 1;
    return 0;
}

/* The cache is keyed by URLs from strangers: an unkeyed hash would let them choose URLs that
 * all land in one bucket and turn every lookup into a walk of a long chain. So the bucket
 * comes from SipHash-2-4 (libsodium's crypto_shorthash) under a key drawn from the kernel's
 * random source for each process, which nobody outside can learn or predict. */
_Static_assert(sizeof(((srv_cache_t *)0)->key) == crypto_shorthash_KEYBYTES, "SipHash key");
_Static_assert(crypto_shorthash_BYTES == sizeof(uint64_t), "SipHash output");

int srv_cache_init(srv_cache_t *c) {
    memset(c, 0, sizeof(*c));
    if (sodium_init() < 0)
        return CAFE_EIO;
    if (getrandom(c->key, sizeof c->key, 0) != (ssize_t)sizeof c->key)
        return CAFE_EIO;
    return 0;
}

static uint64_t hash_of(const srv_cache_t *c, const char *s, size_t n) {
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash(out, (const unsigned char *)s, n, c->key);
    uint64_t h;
    memcpy(&h, out, sizeof h);
    return h;
}

static void entry_unref(srv_entry_t *e) {
    if (--e->refs > 0)
        return;
    if (e->hit)
        MHD_destroy_response(e->hit);
    free(e->key);
    free(e->json);
    free(e);
}

/* Takes e out of the table and the LRU list; it lives on while referenced. */
static void entry_drop(srv_cache_t *c, srv_entry_t *e) {
    if (!e->hashed)
        return;
    srv_entry_t **p = &c->buckets[e->hash & (c->nbuckets - 1)];
    while (*p != e)
        p = &(*p)->hnext;
    *p = e->hnext;
    e->hashed = 0;
    c->entries--;
    if (!e->pending) {
        dlist_unlink(&c->lru, &e->lru);
        c->bytes -= e->size;
    }
    entry_unref(e);
}

void srv_cache_free(srv_cache_t *c) {
    for (size_t i = 0; i < c->nbuckets; i++)
        while (c->buckets[i])
            entry_drop(c, c->buckets[i]);
    free(c->buckets);
    memset(c, 0, sizeof(*c));
}

static srv_entry_t *lookup(srv_cache_t *c, const char *key, uint64_t h) {
    if (!c->nbuckets)
        return NULL;
    for (srv_entry_t *e = c->buckets[h & (c->nbuckets - 1)]; e; e = e->hnext)
        if (e->hash == h && strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

static int grow(srv_cache_t *c) {
    size_t n = c->nbuckets ? c->nbuckets * 2 : 256;
    srv_entry_t **b = calloc(n, sizeof(*b));
    if (!b)
        return CAFE_ENOMEM;
    for (size_t i = 0; i < c->nbuckets; i++) {
        for (srv_entry_t *e = c->buckets[i], *next; e; e = next) {
            next = e->hnext;
            e->hnext = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
        }
    }
    free(c->buckets);
    c->buckets = b;
    c->nbuckets = n;
    return 0;
}

/* A new pending entry in the table, referenced by the table and by the caller. */
static srv_entry_t *insert_pending(srv_cache_t *c, char *key, uint64_t h) {
    if (c->entries >= c->nbuckets && grow(c) != 0)
        return NULL;
    srv_entry_t *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->key = key;
    e->hash = h;
    e->pending = 1;
    e->hashed = 1;
    e->refs = 2;
    cafe_future_init(&e->done, NULL); /* no cancel: the entry outlives its fetch task */
    e->hnext = c->buckets[h & (c->nbuckets - 1)];
    c->buckets[h & (c->nbuckets - 1)] = e;
    c->entries++;
    return e;
}

/* Drops the least recently used entries until the cache fits, but never keep (the entry
 * being answered, at the LRU list's front). */
static void evict(srv_t *s, srv_entry_t *keep) {
    srv_cache_t *c = &s->cache;
    while (c->bytes > s->o.cache_bytes && c->lru.tail && (!keep || c->lru.tail != &keep->lru)) {
        entry_drop(c, DLIST_ITEM(c->lru.tail, srv_entry_t, lru));
        s->m.cache_evicted++;
    }
}

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value) {
    (void)kind;
    /* the header's copies of its name and value, and its list node, each a malloc'd block */
    *(size_t *)cls += strlen(key) + strlen(value) + 2 + 3 * 16 + 48;
    return MHD_YES;
}

/* The memory of a prepared hit answer: libmicrohttpd's copy of the record, each header and
 * the response itself (about 1.6 KB beside a record of 250 bytes; uncounted, a cache of
 * --cache-size 16 MB whose 20,000 entries had each been hit once held +48 MB, not +15). */
static size_t hit_cost(struct MHD_Response *resp, size_t body) {
    size_t n = body + 16 + 256;
    MHD_get_response_headers(resp, count_header, &n);
    return n;
}

/* The fetch is over: e joins the LRU list (or leaves the table when it must not be kept),
 * and older entries go until the cache fits. */
static void make_ready(srv_t *s, srv_entry_t *e) {
    srv_cache_t *c = &s->cache;
    e->pending = 0;
    e->fetched_ms = srv_now(s);
    e->size = sizeof(*e) + strlen(e->key) + e->json_len;
    dlist_push(&c->lru, &e->lru);
    c->bytes += e->size;
    if (!e->json || !e->keep || s->o.cache_ttl_ms == 0)
        entry_drop(c, e);
    evict(s, NULL);
}

/* The entry's record as the lookup of `url` (the URL without its fragment, which is the
 * entry's key, and its fragment at url + frag) answers it: its URL the one asked for, and its
 * final URL with that fragment when the last one it was sent to gave none (RFC 9110
 * 10.2.2), as a fetch of the whole URL said them; the fragment never went to the server, so
 * nothing else differs. Into *out (malloc'd), 0 or a negative code. */
static int record_with_fragment(const srv_entry_t *e, const char *url, size_t frag, char **out,
                                size_t *len) {
    record_t rec;
    size_t n = e->json_len && e->json[e->json_len - 1] == '\n' ? e->json_len - 1 : e->json_len;
    int rc = format_parse_json(e->json, n, &rec);
    if (rc != 0) {
        record_clear(&rec);
        return rc == -1 ? CAFE_EINVAL : rc;
    }
    rc = (rec.url = record_keep(&rec, url, strlen(url))) ? 0 : CAFE_ENOMEM;
    if (rc == 0 && rec.final_url && !strchr(rec.final_url, '#')) {
        size_t fl = strlen(rec.final_url), tl = strlen(url + frag);
        char *f = malloc(fl + tl + 1);
        rc = CAFE_ENOMEM;
        if (f) {
            memcpy(f, rec.final_url, fl);
            memcpy(f + fl, url + frag, tl + 1);
            rec.final_url = record_keep(&rec, f, fl + tl);
            rc = rec.final_url ? 0 : CAFE_ENOMEM;
            free(f);
        }
    }
    if (rc == 0 && format_record_dup(RECORD_FMT_JSON, &rec, out, len) != 0)
        rc = CAFE_ENOMEM;
    record_clear(&rec);
    return rc;
}

static void reply_entry(srv_req_t *r, srv_entry_t *e, const char *how, const char *url,
                        size_t frag) {
    srv_t *s = r->srv;
    if (!e->json) {
        srv_reply_stopping(r, "the fetch was cancelled: shutting down");
        return;
    }
    uint64_t age = srv_now(s) - e->fetched_ms;
    int hit = strcmp(how, "hit") == 0 && !url; /* a fragment's answer is its own */
    if (hit && e->hit && e->hit_age == age / 1000) {
        srv_reply_shared(r, 200, e->hit);
        return;
    }
    if (url) {
        char *json;
        size_t len;
        if (record_with_fragment(e, url, frag, &json, &len) != 0) {
            srv_reply_error(r, 503, "out of memory");
            return;
        }
        int rc = srv_reply(r, 200, "application/json", json, len, 1);
        free(json);
        if (rc != 0)
            return;
    } else if (srv_reply(r, 200, "application/json", e->json, e->json_len, 1) != 0) {
        return;
    }
    if (!e->keep) { /* not cached here: nor downstream */
        MHD_add_response_header(r->resp, "Cache-Control", "no-store");
        MHD_add_response_header(r->resp, "X-Cache", how);
        return;
    }
    /* RFC 9111 4.2: a cache downstream holds the answer while max-age exceeds its age, Age
     * included; so max-age is the whole TTL and Age the time spent here (as nginx and
     * Varnish send them), not the TTL left, which would count that time twice. */
    char v[64];
    /* Behind --token, private: "public" lets a shared cache in front keep an answer to a
     * request with Authorization (RFC 9111, 3.5) and give it to anyone, token or not. */
    snprintf(v, sizeof v, "%s, max-age=%" PRIu64, s->o.token ? "private" : "public",
             s->o.cache_ttl_ms / 1000);
    MHD_add_response_header(r->resp, "Cache-Control", v);
    snprintf(v, sizeof v, "%" PRIu64, age / 1000);
    MHD_add_response_header(r->resp, "Age", v);
    MHD_add_response_header(r->resp, "X-Cache", how);
    if (hit) {
        if (e->hit)
            MHD_destroy_response(e->hit);
        e->hit = r->resp; /* the entry's now; this request uses it as a shared answer */
        e->hit_age = age / 1000;
        r->resp_shared = 1;
        size_t cost = hit_cost(e->hit, e->json_len);
        if (e->hashed) { /* a hit is of a ready entry: on the LRU list, counted */
            s->cache.bytes += cost - e->hit_size;
            e->size += cost - e->hit_size;
        }
        e->hit_size = cost;
        evict(s, e);
    }
}

typedef struct title_call {
    srv_req_t *r;
    srv_entry_t *e;
    int owner; /* this request's task fetches; the others wait */
    char *url; /* the URL asked for when it has a fragment (at frag), else NULL */
    size_t frag;
    dlist_link_t link;           /* owner: on the server's title_fetches while it fetches */
    cafe_task_t *task;           /* a waiter's own task, while it waits (srv_title_gone) */
    char client[SRV_CLIENT_MAX]; /* owner: who asked (srv_client_of) */
} title_call_t;

/* The lookups client has fetching. A client's lookups of pages that answer slowly or never
 * (a tarpit on many ports: a host each) took every transfer slot the jobs left, and every
 * other client's lookup of any site waited behind them in the slots' queue, for minutes:
 * one client may hold --max-client-lookups fetches, past which its misses are refused. */
static size_t client_fetches(const srv_t *s, const char *client) {
    size_t n = 0;
    for (const dlist_link_t *l = s->title_fetches.head; l; l = l->next)
        n += strcmp(DLIST_ITEM(l, const title_call_t, link)->client, client) == 0;
    return n;
}

static void fetch_entry(srv_t *s, srv_entry_t *e) {
    record_t rec = {0};
    rec.url = strdup(e->key);
    if (!rec.url) {
        record_fail(&rec, CAFE_ENOMEM, "out of memory");
    } else {
        srv_fetch(s, &rec);
    }
    /* A fetch cut short by shutdown is no result: not cached, its waiters get a 503. */
    if (rec.error != CAFE_ECANCELED &&
        format_record_dup(RECORD_FMT_JSON, &rec, &e->json, &e->json_len) != 0)
        e->json = NULL;
    e->keep = kept_status(&rec);
    record_clear(&rec);
    if (e->hashed)
        make_ready(s, e);
    else
        e->pending = 0;
    cafe_future_resolve(&e->done, 0, NULL);
}

static int title_task(void *arg, void **value) {
    title_call_t *call = arg;
    (void)value;
    srv_t *s = call->r->srv;
    int rc = 0;
    if (call->owner) {
        fetch_entry(s, call->e);
        dlist_unlink(&s->title_fetches, &call->link);
    } else {
        call->task = cafe_task_current();
        call->r->title = call;
        /* gone before this task first ran: no wait at all */
        rc = call->r->gone ? CAFE_ECANCELED : cafe_future_wait(&call->e->done, NULL);
        call->r->title = NULL;
    }
    if (rc != 0)
        srv_reply_stopping(call->r, "cancelled: shutting down");
    else
        reply_entry(call->r, call->e, call->owner ? "miss" : "shared", call->url, call->frag);
    free(call->url);
    entry_unref(call->e);
    srv_resume(call->r);
    srv_req_unref(call->r);
    s->title_tasks--;
    free(call);
    return 0;
}

/* A lookup that waits for another's fetch holds a task (and --max-connections' room) until
 * that fetch ends. Its client gone, it went on waiting all the same: a client that asked
 * for one tarpit page on connection after connection, hanging up each time, filled every
 * room in a second, and every other client's miss got 503 while the tarpit held. Nobody is
 * left to answer: the wait ends (the fetch, which the cache wants, goes on). */
void srv_title_gone(srv_req_t *r) {
    title_call_t *call = r->title;
    if (call && call->task)
        (void)cafe_task_cancel(call->task);
}

/* A lookup that could not start its task: refused, and an entry it was to fetch (owner)
 * forgotten, as nobody will fetch it (its waiters would wait for ever). */
static void start_failed(srv_req_t *r, srv_entry_t *e, int owner) {
    srv_reply_error(r, 503, "out of memory");
    entry_unref(e);
    if (owner)
        entry_drop(&r->srv->cache, e);
}

/* Takes url (malloc'd or NULL). client: the owner's (who fetches), NULL for a waiter. */
static void start_task(srv_req_t *r, srv_entry_t *e, const char *client, char *url, size_t frag) {
    int owner = client != NULL;
    title_call_t *call = malloc(sizeof(*call));
    if (!call) {
        free(url);
        start_failed(r, e, owner);
        return;
    }
    *call = (title_call_t){.r = r, .e = e, .owner = owner, .url = url, .frag = frag};
    if (owner) {
        memcpy(call->client, client, sizeof call->client);
        dlist_push(&r->srv->title_fetches, &call->link);
    }
    srv_req_ref(r);
    srv_suspend(r);
    cafe_task_opts_t to = {.name = "serve title"};
    r->srv->title_tasks++;
    if (cafe_group_spawn(&r->srv->tasks, title_task, call, &to) != 0) {
        r->srv->title_tasks--;
        if (owner)
            dlist_unlink(&r->srv->title_fetches, &call->link);
        free(call->url);
        free(call);
        srv_resume(r);
        srv_req_unref(r);
        start_failed(r, e, owner);
    }
}

void srv_title_get(srv_req_t *r, const char *url) {
    srv_t *s = r->srv;
    char *key;
    const char *why;
    if (!url || !*url) {
        srv_reply_error(r, 400, "missing parameter: url");
        return;
    }
    /* Blanks around it are no part of it, as around a job's line (a URL pasted with a space,
     * a tab or a no-break space before it): kept, the default scheme went in front of them
     * and the lookup said "Bad hostname" where the job fetched the page. Cut in
     * libmicrohttpd's buffer, which is writable (router.c cuts a query there too). */
    size_t start, n = input_line_trim(url, strlen(url), &start);
    if (n) {
        ((char *)url)[start + n] = '\0';
        url += start;
    }
    /* Keys are in normal form, so a URL equal to one is too: a hit is found as given, with
     * no check of the URL. Most others are in normal form as well: looked up without a copy
     * or curl's parser. */
    size_t ulen = strlen(url);
    if (ulen > INPUT_LINE_MAX) { /* a job's list does not fetch it either ("line too long") */
        srv_reply_error(r, 414, "url over 8192 bytes: not fetched, as in a job's list");
        return;
    }
    uint64_t h = hash_of(&s->cache, url, ulen);
    srv_entry_t *e = lookup(&s->cache, url, h);
    key = NULL;
    if (!e && !url_canonical(url, ulen)) {
        if (url_normalize(url, ulen, s->o.fetch.scheme, &key, &why) != 0) {
            srv_reply_error(r, 400, why);
            return;
        }
        h = hash_of(&s->cache, key, strlen(key));
        e = lookup(&s->cache, key, h);
    }
    /* The fragment is the client's (RFC 9110 4.2.4): never sent, the same page with or
     * without it. So one entry, and one fetch, for the URL without it: each fragment had its
     * own. Keys have none, so a URL found as given has none either; the answer still names
     * the URL asked for (reply_entry). */
    char *full = NULL;
    const char *hash_sign = e ? NULL : strchr(key ? key : url, '#');
    size_t frag = 0;
    if (hash_sign) {
        frag = (size_t)(hash_sign - (key ? key : url));
        full = key ? key : strdup(url);
        key = full ? strndup(full, frag) : NULL;
        if (!key) {
            free(full);
            srv_reply_error(r, 503, "out of memory");
            return;
        }
        h = hash_of(&s->cache, key, frag);
        e = lookup(&s->cache, key, h);
    }
    if (e && !e->pending && srv_now(s) - e->fetched_ms >= s->o.cache_ttl_ms) {
        entry_drop(&s->cache, e); /* expired */
        e = NULL;
    }
    if (e && !e->pending) {
        free(key);
        s->m.cache_hits++;
        dlist_front(&s->cache.lru, &e->lru);
        reply_entry(r, e, "hit", full, frag);
        free(full);
        return;
    }
    /* A lookup's fetch goes on when its client leaves (for the cache), each on a task with
     * its stack: a client that sent lookups of slow pages and hung up left one behind each
     * time, 5,000 in 2.5 s (+45 MB), without end. No more may wait than --max-connections
     * clients could: past it, the lookup is refused until fetches end. */
    if (s->title_tasks >= s->o.max_connections) {
        free(key);
        free(full);
        srv_reply_busy(r, 503, "1", "too many title lookups in flight: try again later");
        return;
    }
    if (e) {
        free(key);
        s->m.cache_joined++;
        e->refs++;
        start_task(r, e, NULL, full, frag);
        return;
    }
    char client[SRV_CLIENT_MAX], msg[SRV_CLIENT_MAX + 160];
    srv_client_of(s, r->conn, client, sizeof client);
    size_t mine = client_fetches(s, client);
    if (mine >= s->o.max_client_lookups) {
        free(key);
        free(full);
        snprintf(msg, sizeof msg,
                 "%s has %zu title lookups fetching, as many as one client may: try again when "
                 "one is answered (see --max-client-lookups)",
                 client, mine);
        srv_reply_busy(r, 429, "1", msg);
        return;
    }
    s->m.cache_misses++;
    if (!key && !(key = strdup(url))) {
        free(full);
        srv_reply_error(r, 503, "out of memory");
        return;
    }
    e = insert_pending(&s->cache, key, h);
    if (!e) {
        free(key);
        free(full);
        srv_reply_error(r, 503, "out of memory");
        return;
    }
    start_task(r, e, client, full, frag);
}
