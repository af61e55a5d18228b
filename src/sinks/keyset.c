/* The set of keys (URLs) a sink already holds: open addressing over 64-bit hashes.
 *
 * A key is known by its hash alone, so two URLs of one hash are one key: the second is
 * skipped as done and never recorded. The URLs are strangers' (a crawl's list), and an
 * unkeyed hash's collisions can be computed (FNV-1a's were, for the tests): so SipHash-2-4
 * (libsodium's crypto_shorthash) under a key drawn from the kernel for each set, as the
 * service's cache does. Two URLs then share a hash by chance only: for ten million URLs,
 * odds of about 3 in a million that any two do. */
#include "keyset.h"
#include "cafe.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

_Static_assert(sizeof(((keyset_t *)0)->key) == crypto_shorthash_KEYBYTES, "SipHash key");
_Static_assert(crypto_shorthash_BYTES == sizeof(uint64_t), "SipHash output");

static uint64_t hash_url(const keyset_t *s, const char *url, size_t n) {
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash(out, (const unsigned char *)url, n, s->key);
    uint64_t h;
    memcpy(&h, out, sizeof h);
    return h ? h : 1; /* 0 marks an empty slot */
}

void keyset_init(keyset_t *s) {
    *s = (keyset_t){0};
}

void keyset_free(keyset_t *s) {
    free(s->slots);
    free(s->counts);
    *s = (keyset_t){0};
}

/* The slot of hash h: its own, or the empty one where it would go. */
static size_t slot_of(const uint64_t *slots, size_t cap, uint64_t h) {
    size_t i = (size_t)h & (cap - 1);
    while (slots[i] && slots[i] != h)
        i = (i + 1) & (cap - 1);
    return i;
}

static int grow(keyset_t *s) {
    /* the first table: the set's key first (nothing is hashed before) */
    if (!s->cap &&
        (sodium_init() < 0 || getrandom(s->key, sizeof s->key, 0) != (ssize_t)sizeof s->key))
        return CAFE_EIO;
    size_t cap = s->cap ? s->cap * 2 : 1024;
    uint64_t *slots = calloc(cap, sizeof(*slots));
    uint32_t *counts = calloc(cap, sizeof(*counts));
    if (!slots || !counts) {
        free(slots);
        free(counts);
        return CAFE_ENOMEM;
    }
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i]) {
            size_t j = slot_of(slots, cap, s->slots[i]);
            slots[j] = s->slots[i];
            counts[j] = s->counts[i];
        }
    free(s->slots);
    free(s->counts);
    s->slots = slots;
    s->counts = counts;
    s->cap = cap;
    return 0;
}

static int add(keyset_t *s, const char *url, size_t n, int every) {
    int rc = (s->len + 1) * 2 > s->cap ? grow(s) : 0;
    if (rc != 0)
        return rc;
    uint64_t h = hash_url(s, url, n);
    size_t i = slot_of(s->slots, s->cap, h);
    if (!s->slots[i])
        s->len++;
    s->slots[i] = h;
    if (every)
        s->counts[i] = KEYSET_EVERY;
    else if (s->counts[i] < KEYSET_EVERY - 1)
        s->counts[i]++;
    return 0;
}

int keyset_add(keyset_t *s, const char *url, size_t n) {
    return add(s, url, n, 0);
}

int keyset_add_every(keyset_t *s, const char *url, size_t n) {
    return add(s, url, n, 1);
}

int keyset_has(const keyset_t *s, const char *url, size_t n) {
    if (!s->cap)
        return 0;
    size_t i = slot_of(s->slots, s->cap, hash_url(s, url, n));
    return s->slots[i] != 0;
}

int keyset_take(keyset_t *s, const char *url, size_t n) {
    if (!s->cap)
        return 0;
    size_t i = slot_of(s->slots, s->cap, hash_url(s, url, n));
    if (!s->slots[i] || s->counts[i] == 0)
        return 0;
    if (s->counts[i] != KEYSET_EVERY)
        s->counts[i]--;
    return 1;
}
