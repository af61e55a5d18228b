/* An intrusive doubly linked list, most recent first: a link is a member of each item, and
 * DLIST_ITEM gets the item back. The resolver's LRU of names, the HTTP client's idle host
 * entries and cafe serve's title cache are each one. Header-only, as hash.h: the library
 * includes it as "common/dlist.h", its clients as "dlist.h". */
#ifndef CAFE_COMMON_DLIST_H
#define CAFE_COMMON_DLIST_H

#include <stddef.h>

typedef struct dlist_link {
    struct dlist_link *prev, *next; /* both NULL when not on a list (or its only item) */
} dlist_link_t;

typedef struct dlist {
    dlist_link_t *head, *tail; /* most recent first; the tail is the oldest */
    size_t len;
} dlist_t;

/* The item of type `type` whose member `member` is link k (k not NULL). */
#define DLIST_ITEM(k, type, member) ((type *)(void *)((char *)(k)-offsetof(type, member)))

static inline int dlist_on(const dlist_t *l, const dlist_link_t *k) {
    return k->prev || k->next || l->head == k;
}

/* Takes k, which is on l, off it. */
static inline void dlist_unlink(dlist_t *l, dlist_link_t *k) {
    if (k->prev)
        k->prev->next = k->next;
    else
        l->head = k->next;
    if (k->next)
        k->next->prev = k->prev;
    else
        l->tail = k->prev;
    k->prev = k->next = NULL;
    l->len--;
}

/* Puts k, which is on no list, at l's head. */
static inline void dlist_push(dlist_t *l, dlist_link_t *k) {
    k->prev = NULL;
    k->next = l->head;
    if (l->head)
        l->head->prev = k;
    else
        l->tail = k;
    l->head = k;
    l->len++;
}

/* Moves k (on l or on none) to l's head. */
static inline void dlist_front(dlist_t *l, dlist_link_t *k) {
    if (l->head == k)
        return;
    if (dlist_on(l, k))
        dlist_unlink(l, k);
    dlist_push(l, k);
}

#endif
