/* The web page's files, embedded in the binary at build time (embed.cmake). */
#ifndef CAFE_SERVE_PAGE_H
#define CAFE_SERVE_PAGE_H

#include <stddef.h>

typedef struct srv_asset {
    const char *path, *type; /* "/" or "/app.js"...; its Content-Type */
    const unsigned char *data;
    size_t len;
} srv_asset_t;

/* Ends with an entry whose path is NULL. */
extern const srv_asset_t srv_assets[];

#endif
