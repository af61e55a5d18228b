/* The set of keys (URLs) a sink already holds: open addressing over 64-bit hashes. */
#include "keyset.h"
#include "hash.h"
#include "cafe.h"

#include <stdlib.h>

static uint64_t hash_url(const char *s, size_t n) {
    uint64_t h = hash_bytes(HASH_SEED, s, n);
    return h ? h : 1; /* 0 marks an empty slot */
}

void keyset_init(keyset_t *s) {
    *s = (keyset_t){0};
}

void keyset_free(keyset_t *s) {
    free(s->slots);
    *s = (keyset_t){0};
}

static void put_hash(uint64_t *slots, size_t cap, uint64_t h) {
    size_t i = (size_t)h & (cap - 1);
    while (slots[i] && slots[i] != h)
        i = (i + 1) & (cap - 1);
    slots[i] = h;
}

int keyset_add(keyset_t *s, const char *url, size_t n) {
    if ((s->len + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        uint64_t *slots = calloc(cap, sizeof(*slots));
        if (!slots)
            return CAFE_ENOMEM;
        for (size_t i = 0; i < s->cap; i++)
            if (s->slots[i])
                put_hash(slots, cap, s->slots[i]);
        free(s->slots);
        s->slots = slots;
        s->cap = cap;
    }
    if (!keyset_has(s, url, n))
        s->len++;
    put_hash(s->slots, s->cap, hash_url(url, n));
    return 0;
}

int keyset_has(const keyset_t *s, const char *url, size_t n) {
    if (!s->cap)
        return 0;
    uint64_t h = hash_url(url, n);
    for (size_t i = (size_t)h & (s->cap - 1); s->slots[i]; i = (i + 1) & (s->cap - 1))
        if (s->slots[i] == h)
            return 1;
    return 0;
}
