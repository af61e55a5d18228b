/* GET /, /app.js, /app.css: the web page, from the binary. */
#include "srv.h"
#include "page.h"

#include <string.h>

void srv_page_reply(srv_req_t *r, const char *path) {
    for (const srv_asset_t *a = srv_assets; a->path; a++) {
        if (strcmp(a->path, path) == 0) {
            if (srv_reply(r, 200, a->type, a->data, a->len, 0) == 0)
                MHD_add_response_header(r->resp, "Cache-Control", "no-cache");
            return;
        }
    }
    srv_reply_error(r, 404, "not found");
}
