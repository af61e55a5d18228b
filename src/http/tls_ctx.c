/* What cafe adds to each new TLS connection when libcurl's TLS is OpenSSL: its
 * CURLOPT_SSL_CTX_FUNCTION, called with the SSL_CTX libcurl 7.88 makes for every connection.
 *
 * The trust store: the system's CAs read lazily (trust.c), unless the request names its own.
 *
 * TLS 1.3 sessions that stay resumable. A share keeps one session per host: the newest ticket
 * the host sent. When a TLS 1.3 handshake ends, OpenSSL takes the session it resumed out of
 * the client cache, and that marks the very object libcurl keeps as not resumable (it
 * encourages one use per ticket: ssl/statem/statem_lib.c, tls_finish_handshake). Every
 * connection the host's next ticket has not reached yet then makes a full handshake: at -c 4
 * to one host, one connection in eight, under load more. Servers with stateless tickets (nginx,
 * and most, by default) take a ticket any number of times, as Go's client offers them; a
 * server that refuses a ticket seen before answers with a full handshake, as it would have
 * anyway. So for the one step that finishes a TLS 1.3 handshake the connection's context
 * leaves client caching off, and turns it back on at once: the ticket stays usable, and the
 * new tickets that come after the handshake still reach libcurl's cache. The context is the
 * connection's own (libcurl makes one per connection), so no other connection sees the
 * change. Privacy is not the point here: a crawler's connections are linked by its address
 * and user agent anyway. */
#include <curl/curl.h>
#include <openssl/ssl.h>

#include "http/internal.h"

static void tickets_keep(const SSL *ssl, int where, int ret) {
    (void)ret;
    SSL_CTX *ctx = SSL_get_SSL_CTX(ssl);
    long mode = SSL_CTX_get_session_cache_mode(ctx);
    /* The step out of the client's Finished is the one to tls_finish_handshake. */
    if ((where & SSL_CB_LOOP) && (mode & SSL_SESS_CACHE_CLIENT) &&
        SSL_get_state(ssl) == TLS_ST_CW_FINISHED && SSL_version(ssl) == TLS1_3_VERSION)
        SSL_CTX_set_session_cache_mode(ctx, mode & ~SSL_SESS_CACHE_CLIENT);
    /* Back on when the handshake is done (or failed in that step): libcurl's new-session
     * callback is the sign that it wants client caching. */
    else if ((where & (SSL_CB_HANDSHAKE_DONE | SSL_CB_EXIT)) && !(mode & SSL_SESS_CACHE_CLIENT) &&
             SSL_CTX_sess_get_new_cb(ctx))
        SSL_CTX_set_session_cache_mode(ctx, mode | SSL_SESS_CACHE_CLIENT);
}

CURLcode cafe__http_tls_ctx(CURL *easy, void *ssl_ctx, void *store) {
    (void)easy;
    if (store) /* a reference: the client's store outlives the context */
        SSL_CTX_set1_cert_store(ssl_ctx, store);
    /* libcurl sets no info callback of its own; were one there, it is left alone. */
    if (!SSL_CTX_get_info_callback(ssl_ctx))
        SSL_CTX_set_info_callback(ssl_ctx, tickets_keep);
    return CURLE_OK;
}
