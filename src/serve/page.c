/* GET /, /app.js, /app.css: the web page, from the binary.
 *
 * Each answer says `Cache-Control: no-cache` (a browser asks again on every load, so that a
 * new version is never mixed with an old one) and carries an ETag made from the file's bytes:
 * the browser's next request says If-None-Match with it and gets 304 and no body, where it got
 * the whole file again on every load, having no validator to revalidate with. */
#include "srv.h"
#include "page.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ETAG_SIZE = 20 }; /* "\"" + 16 hex digits + "\"" + NUL */

/* The asset's entity tag: a strong one, FNV-1a of its bytes (a version, not a secret). */
static void etag_of(const srv_asset_t *a, char out[ETAG_SIZE]) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < a->len; i++)
        h = (h ^ a->data[i]) * 1099511628211ull;
    snprintf(out, ETAG_SIZE, "\"%016" PRIx64 "\"", h);
}

/* Whether If-None-Match value inm names etag: "*", or one of its comma-separated tags, weak
 * (W/) or strong, as the weak comparison that If-None-Match uses (RFC 9110, 13.1.2). */
static int none_match(const char *inm, const char *etag) {
    size_t n = strlen(etag);
    for (const char *p = inm; *p;) {
        p += strspn(p, " \t,");
        if (*p == '*')
            return 1;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        size_t len = strcspn(p, ",");
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len == n && memcmp(p, etag, n) == 0)
            return 1;
        p += strcspn(p, ",");
    }
    return 0;
}

void srv_page_reply(srv_req_t *r, const char *path) {
    for (const srv_asset_t *a = srv_assets; a->path; a++) {
        if (strcmp(a->path, path) != 0)
            continue;
        static char etags[16][ETAG_SIZE]; /* made once each: the bytes never change */
        size_t i = (size_t)(a - srv_assets);
        char mine[ETAG_SIZE], *etag = i < 16 ? etags[i] : mine;
        if (!etag[0] || etag == mine)
            etag_of(a, etag);
        char *inm = srv_header_list(r->conn, "If-None-Match"); /* each line of it */
        int same = inm && none_match(inm, etag);
        free(inm);
        /* A 304 is made of the whole file too: libmicrohttpd sends no body with it, but its
         * Content-Length is the response's size, which must be the 200's (RFC 9110, 8.6): it
         * said 0, and a cache updating its stored headers from the 304 took that for the
         * file's length. */
        if (srv_reply(r, same ? 304 : 200, a->type, a->data, a->len, 0) == 0) {
            MHD_add_response_header(r->resp, "Cache-Control", "no-cache");
            MHD_add_response_header(r->resp, "ETag", etag);
        }
        return;
    }
    srv_reply_error(r, 404, "not found");
}
