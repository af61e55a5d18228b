/* A multiset of keys (URLs), kept as 64-bit hashes with a count: 12 bytes each, so ten
 * million URLs fit in ~240 MB of table, and a false match needs a 64-bit collision of a
 * hash keyed for each set (keyset.c), which no list can be made to hold. What a
 * sink already holds (--resume): the run skips those URLs, each record standing for one
 * input line, so a line given twice is skipped twice only when it was recorded twice. */
#ifndef CAFE_SINKS_KEYSET_H
#define CAFE_SINKS_KEYSET_H

#include <stddef.h>
#include <stdint.h>

#define KEYSET_EVERY UINT32_MAX

typedef struct keyset {
    uint64_t *slots;
    uint32_t *counts; /* records of slots[i]'s key not yet taken; KEYSET_EVERY: never runs out */
    size_t cap, len;
    unsigned char key[16]; /* the hash's, drawn when the first table is made */
} keyset_t;

/* An empty set (also what a zeroed keyset_t is). */
void keyset_init(keyset_t *s);
void keyset_free(keyset_t *s);
/* One more record of key. 0, CAFE_ENOMEM, or CAFE_EIO when the first one finds no random
 * source for the hash's key (the set is left as it was). */
int keyset_add(keyset_t *s, const char *key, size_t n);
/* A record of key that stands for every line of key: a database holds one row per URL, so
 * a line given twice is done once its URL has a row. 0 or CAFE_ENOMEM. */
int keyset_add_every(keyset_t *s, const char *key, size_t n);
int keyset_has(const keyset_t *s, const char *key, size_t n);
/* Nonzero when key has a record not yet taken, which it takes: for one input line. */
int keyset_take(keyset_t *s, const char *key, size_t n);

#endif
