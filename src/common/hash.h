/* The one hash of cafe's tables, in the library (HTTP hosts) and in its clients (the
 * fixture's delays, the PostgreSQL key's name): 64-bit FNV-1a over the bytes, then
 * splitmix64's finaliser so that the low bits (a table's index) depend on every byte.
 * Header-only: the library and each client compile it in, and neither depends on the other
 * for it. Not a keyed hash, even with a seed of one's own (FNV's collisions do not depend
 * on it): a table fed by strangers uses SipHash under a secret key instead, as the
 * service's cache (src/serve/cache.c) and --resume's keys (src/sinks/keyset.c) do. */
#ifndef CAFE_COMMON_HASH_H
#define CAFE_COMMON_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_SEED 0xcbf29ce484222325ull /* FNV-1a's offset basis */

/* hash_bytes in two halves, for a loop that makes the bytes it hashes (the HTTP client's
 * origin keys): each byte into the FNV state, then the finaliser. */
static inline uint64_t hash_step(uint64_t h, unsigned char b) {
    return (h ^ b) * 0x100000001b3ull;
}

static inline uint64_t hash_finish(uint64_t h) {
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    return h ^ (h >> 31);
}

/* Hashes p[0..n), continuing from h (HASH_SEED to start, or a value of its own to vary it). */
static inline uint64_t hash_bytes(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = hash_step(h, b[i]);
    return hash_finish(h);
}

/* hash_bytes of a NUL-terminated string. */
static inline uint64_t hash_str(uint64_t h, const char *s) {
    size_t n = 0;
    while (s[n])
        n++;
    return hash_bytes(h, s, n);
}

#endif
