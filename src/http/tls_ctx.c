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
 * and user agent anyway.
 *
 * TLS 1.3 sessions that outlive their connection. libcurl 7.88 frees a connection the server
 * closed (an HTTP/2 GOAWAY after nginx's keepalive_requests, 1000 by default) without a
 * shutdown of its own, and OpenSSL's SSL_free then takes the connection's session out of the
 * cache as a bad one (ssl_clear_bad_session), marking it not resumable: the very object
 * libcurl holds as the host's newest, so the host's next connection made a full handshake,
 * every time. TLS 1.3 asks nothing of the kind (a connection not closed cleanly says nothing
 * against its tickets; since TLS 1.1 not even for its session), so libcurl is handed a copy of
 * each TLS 1.3 session instead, and the connection's own object is the one marked. TLS 1.2
 * sessions go as they came: a fatal alert must end those.
 *
 * The server's hello. Until the client's Finished goes, a connection's context points at the
 * transfer making it, which the server's hello marks (tls_hello): bytes that are no TLS
 * record then came after the server spoke TLS, not instead of it (curl_error.c). So does a
 * certificate sent without its chain (tls_no_chain). The pointer goes with the client's
 * Finished, the handshake's last message it writes, after the server's certificate is
 * checked; a handshake that fails or is given up before ends the connection and its
 * context (libcurl makes one per connection) with it.
 *
 * The session of a host's first TLS try. The context of the connection that try makes points
 * at its transfer, and holds a reference of it, until libcurl holds the connection's session
 * (its new-session callback, wrapped here) or the transfer ends (xfer.c): the host's other
 * tries, waiting to resume that session (request.c), go then. */
#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "http/internal.h"

typedef int (*new_session_fn)(SSL *, SSL_SESSION *);

/* libcurl's new-session callback: the same function on every context it makes. */
static _Atomic(new_session_fn) curl_new_session;

/* The context's ex_data slots: the transfer making its connection (until the server's
 * hello), and the transfer of a host's first TLS try that made it (until libcurl holds the
 * connection's session, or that transfer ends). */
static int xfer_slot = -1, probe_slot = -1;
static pthread_once_t xfer_slot_once = PTHREAD_ONCE_INIT;

static void xfer_slot_init(void) {
    xfer_slot = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    probe_slot = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

/* libcurl holds a session of ssl's connection now: the host's first TLS try that made the
 * connection lets the host's others go, which resume it (request.c). A TLS 1.3 server sends
 * its tickets right after the handshake, so they come before a page the server is slow to
 * give: waiting for the response, a slow first page held the host's other URLs as long. */
static void probe_tell(SSL *ssl) {
    SSL_CTX *ctx = SSL_get_SSL_CTX(ssl);
    cafe__http_xfer_t *x = probe_slot >= 0 ? SSL_CTX_get_ex_data(ctx, probe_slot) : NULL;
    if (!x)
        return;
    SSL_CTX_set_ex_data(ctx, probe_slot, NULL);
    if (x->try)
        cafe__http_tls_first_done(x->try);
}

static int session_copied(SSL *ssl, SSL_SESSION *session) {
    new_session_fn curl = atomic_load_explicit(&curl_new_session, memory_order_relaxed);
    SSL_SESSION *copy = SSL_SESSION_get_protocol_version(session) == TLS1_3_VERSION
                            ? SSL_SESSION_dup(session)
                            : NULL;
    if (!copy) {
        int kept = curl(ssl, session);
        probe_tell(ssl);
        return kept;
    }
    /* 1: libcurl keeps the reference it was given, the copy's only one */
    if (!curl(ssl, copy))
        SSL_SESSION_free(copy);
    probe_tell(ssl);
    return 0; /* the original stays the connection's alone */
}

/* The message callback (libcurl sets its own only with CURLOPT_VERBOSE, which cafe never
 * sets): a ServerHello read marks the transfer; the client's Finished written, the context
 * lets go of it. */
static void hello_mark(int write_p, int version, int type, const void *buf, size_t len, SSL *ssl,
                       void *arg) {
    (void)version;
    (void)arg;
    SSL_CTX *ctx = SSL_get_SSL_CTX(ssl);
    cafe__http_xfer_t *x = SSL_CTX_get_ex_data(ctx, xfer_slot);
    if (!x || type != SSL3_RT_HANDSHAKE || len == 0)
        return;
    unsigned char msg = *(const unsigned char *)buf;
    if (!write_p && msg == SSL3_MT_SERVER_HELLO)
        x->tls_hello = 1;
    else if (write_p && msg == SSL3_MT_FINISHED)
        SSL_CTX_set_ex_data(ctx, xfer_slot, NULL);
}

/* Whether the leaf names where its issuer's certificate is (AIA caIssuers), as every public
 * CA's leaves do: there browsers fetch a missing intermediate; curl and cafe do not. */
static int names_its_issuer(X509 *leaf) {
    AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(leaf, NID_info_access, NULL, NULL);
    int found = 0;
    for (int i = 0; aia && i < sk_ACCESS_DESCRIPTION_num(aia); i++)
        found |= OBJ_obj2nid(sk_ACCESS_DESCRIPTION_value(aia, i)->method) == NID_ad_ca_issuers;
    AUTHORITY_INFO_ACCESS_free(aia);
    return found;
}

/* OpenSSL's check of the server's chain, unchanged; a failure for want of the leaf's issuer,
 * when the server sent the leaf alone and it names its issuer, marks the transfer: OpenSSL's
 * words ("unable to get local issuer certificate") say the same of a CA not trusted. */
static int chain_check(X509_STORE_CTX *store, void *arg) {
    (void)arg;
    int ok = X509_verify_cert(store);
    if (ok > 0 || X509_STORE_CTX_get_error(store) != X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY)
        return ok;
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    STACK_OF(X509) *sent = X509_STORE_CTX_get0_untrusted(store);
    X509 *leaf = X509_STORE_CTX_get0_cert(store);
    cafe__http_xfer_t *x = ssl ? SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), xfer_slot) : NULL;
    if (x && leaf && sk_X509_num(sent) <= 1 && names_its_issuer(leaf))
        x->tls_no_chain = 1;
    return ok;
}

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
    cafe__http_xfer_t *x = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
    (void)pthread_once(&xfer_slot_once, xfer_slot_init);
    if (x && xfer_slot >= 0 && SSL_CTX_set_ex_data(ssl_ctx, xfer_slot, x)) {
        x->tls_hello = x->tls_no_chain = 0;
        SSL_CTX_set_msg_callback(ssl_ctx, hello_mark);
        SSL_CTX_set_cert_verify_callback(ssl_ctx, chain_check, NULL);
    }
    /* A reference: the connection, kept for later transfers, may outlive x's, or end first.
     * Behind an https:// proxy the first context is the proxy's: its session lets the host's
     * others go, which then make full handshakes with the host, as before any wait. */
    if (x && x->try && x->try->tls_probe && !x->probe_ctx && probe_slot >= 0 &&
        SSL_CTX_up_ref(ssl_ctx)) {
        if (SSL_CTX_set_ex_data(ssl_ctx, probe_slot, x))
            x->probe_ctx = ssl_ctx;
        else
            SSL_CTX_free(ssl_ctx);
    }
    if (store) /* a reference: the client's store outlives the context */
        SSL_CTX_set1_cert_store(ssl_ctx, store);
    new_session_fn curl = SSL_CTX_sess_get_new_cb(ssl_ctx);
    if (curl && curl != session_copied) {
        atomic_store_explicit(&curl_new_session, curl, memory_order_relaxed);
        SSL_CTX_sess_set_new_cb(ssl_ctx, session_copied);
    }
    /* libcurl sets no info callback of its own; were one there, it is left alone. */
    if (!SSL_CTX_get_info_callback(ssl_ctx))
        SSL_CTX_set_info_callback(ssl_ctx, tickets_keep);
    return CURLE_OK;
}

void cafe__http_tls_probe_forget(cafe__http_xfer_t *x) {
    if (!x->probe_ctx)
        return;
    SSL_CTX_set_ex_data(x->probe_ctx, probe_slot, NULL);
    SSL_CTX_free(x->probe_ctx);
    x->probe_ctx = NULL;
}

int cafe__http_tls_h2(CURL *easy) {
    struct curl_tlssessioninfo *info = NULL;
    const unsigned char *alpn = NULL;
    unsigned int len = 0;
    if (curl_easy_getinfo(easy, CURLINFO_TLS_SSL_PTR, &info) != CURLE_OK || !info ||
        info->backend != CURLSSLBACKEND_OPENSSL || !info->internals)
        return 0;
    SSL_get0_alpn_selected(info->internals, &alpn, &len);
    return len == 2 && memcmp(alpn, "h2", 2) == 0;
}
