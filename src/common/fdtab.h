/* Tables indexed by a descriptor number (the HTTP client's sockets, the resolver's sockets
 * and its answer readers): grown to hold fd, doubling from 64, the new entries zeroed (NULL
 * pointers on every platform cafe builds for). Header-only, as hash.h. */
#ifndef CAFE_COMMON_FDTAB_H
#define CAFE_COMMON_FDTAB_H

#include <stdlib.h>
#include <string.h>

/* Makes *v (of *n entries of elem bytes) hold index fd. Returns 0, or -1 out of memory with
 * *v and *n as they were. */
static inline int fdtab_fit(void **v, size_t *n, size_t elem, int fd) {
    if (fd < 0)
        return -1;
    if ((size_t)fd < *n)
        return 0;
    size_t want = *n ? *n : 64;
    while (want <= (size_t)fd)
        want *= 2;
    char *grown = realloc(*v, want * elem);
    if (!grown)
        return -1;
    memset(grown + *n * elem, 0, (want - *n) * elem);
    *v = grown;
    *n = want;
    return 0;
}

#endif
