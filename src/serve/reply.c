/* Answers. Every response carries the same security headers: the page may load scripts and
 * styles from this origin only (no inline script, so a title that slipped into markup could
 * not run), talk to this origin only, and be framed by nobody. */
#include "srv.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
                          "img-src 'self'; connect-src 'self'; base-uri 'none'; "
                          "form-action 'none'; frame-ancestors 'none'";

void srv_headers_common(struct MHD_Response *resp, const char *ctype) {
    MHD_add_response_header(resp, "Content-Type", ctype);
    MHD_add_response_header(resp, "Content-Security-Policy", csp);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
}

int srv_reply(srv_req_t *r, unsigned status, const char *ctype, const void *data, size_t len,
              int copy) {
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, (void *)data, copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return CAFE_ENOMEM;
    srv_headers_common(resp, ctype);
    if (r->resp && !r->resp_shared)
        MHD_destroy_response(r->resp);
    r->resp = resp;
    r->resp_shared = 0;
    r->status = status;
    return 0;
}

void srv_reply_shared(srv_req_t *r, unsigned status, struct MHD_Response *resp) {
    if (r->resp && !r->resp_shared)
        MHD_destroy_response(r->resp);
    r->resp = resp;
    r->resp_shared = 1;
    r->status = status;
}

json_t *srv_json_text(const char *s) {
    char *clean = cafe_utf8_repair(s, strlen(s), NULL);
    json_t *j = clean ? json_string(clean) : NULL;
    free(clean);
    return j;
}

/* A message may name what the client sent (a Content-Encoding, a charset, the client an
 * X-Forwarded-For names), whose bytes need not be UTF-8: srv_json_text (the 415 or 429 was
 * "500 out of memory" in text/plain). */
int srv_reply_error(srv_req_t *r, unsigned status, const char *msg) {
    json_t *o = json_pack("{s:o}", "error", srv_json_text(msg));
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text)
        return srv_reply(r, 500, "text/plain", "out of memory\n", 14, 0);
    size_t n = strlen(text);
    char *line = realloc(text, n + 2);
    if (!line) {
        free(text);
        return CAFE_ENOMEM;
    }
    memcpy(line + n, "\n", 2);
    int rc = srv_reply(r, status, "application/json", line, n + 1, 1);
    free(line);
    if (rc == 0 && status == 401)
        MHD_add_response_header(r->resp, "WWW-Authenticate", "Bearer");
    return rc;
}

void srv_reply_busy(srv_req_t *r, unsigned status, const char *retry_after_s, const char *msg) {
    if (srv_reply_error(r, status, msg) == 0)
        MHD_add_response_header(r->resp, "Retry-After", retry_after_s);
}

/* RFC 9110 10.2.3: a 503 says when to come back. The service is going: by the end of
 * --shutdown-grace it has exited and, restarted by its supervisor, answers again; so the
 * seconds of grace left (at least 1), as the service's other 503s and 429s give theirs. */
void srv_retry_after_stopping(srv_req_t *r) {
    if (!r->resp || r->resp_shared)
        return;
    uint64_t now = srv_now(r->srv), until = r->srv->stop_until_ms;
    uint64_t left = until > now ? until - now : 0;
    char v[24];
    snprintf(v, sizeof v, "%" PRIu64, left < 1000 ? 1 : (left + 999) / 1000);
    MHD_add_response_header(r->resp, "Retry-After", v);
}

void srv_reply_stopping(srv_req_t *r, const char *msg) {
    if (srv_reply_error(r, 503, msg) == 0)
        srv_retry_after_stopping(r);
}
