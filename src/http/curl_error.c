/* curl's failures in cafe's words: one table from CURLcode to a CAFE_E* code and what to
 * tell the user; curl's own message (its error buffer, else curl_easy_strerror) follows as
 * the detail, "words: detail". Every result message of a failed transfer is made here. */
#include "http/internal.h"
#include "common/ascii.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

typedef struct curl_error {
    CURLcode curl;
    int code;
    const char *words;
} curl_error_t;

/* Codes with a word of their own; anything else is CAFE_EHTTP_CURL, "transfer failed". A
 * few are refined by what curl saw (refine_by_info, refine_by_detail). */
static const curl_error_t errors[] = {
    {CURLE_URL_MALFORMAT, CAFE_EHTTP_URL, "malformed URL"},
    {CURLE_UNSUPPORTED_PROTOCOL, CAFE_EHTTP_PROTOCOL, "not an HTTP response (no status line)"},
    {CURLE_COULDNT_RESOLVE_HOST, CAFE_EHTTP_DNS, "cannot resolve the host name"},
    {CURLE_COULDNT_RESOLVE_PROXY, CAFE_EHTTP_DNS, "cannot resolve the proxy's name"},
    {CURLE_COULDNT_CONNECT, CAFE_EHTTP_CONNECT, "cannot connect"},
    {CURLE_OPERATION_TIMEDOUT, CAFE_ETIMEDOUT, "timed out"},
    {CURLE_SSL_CONNECT_ERROR, CAFE_EHTTP_TLS, "TLS handshake failed"},
    {CURLE_PEER_FAILED_VERIFICATION, CAFE_EHTTP_TLS, "TLS certificate not trusted"},
    {CURLE_SSL_CERTPROBLEM, CAFE_EHTTP_TLS, "TLS client certificate unusable"},
    {CURLE_SSL_CIPHER, CAFE_EHTTP_TLS, "no TLS cipher in common"},
    {CURLE_SSL_CACERT_BADFILE, CAFE_EHTTP_TLS, "cannot load the CA certificates"},
    {CURLE_SSL_ISSUER_ERROR, CAFE_EHTTP_TLS, "TLS certificate issuer check failed"},
    {CURLE_SSL_PINNEDPUBKEYNOTMATCH, CAFE_EHTTP_TLS, "TLS key does not match the pinned one"},
    {CURLE_SSL_INVALIDCERTSTATUS, CAFE_EHTTP_TLS, "TLS certificate status (OCSP) not good"},
    {CURLE_SSL_CRL_BADFILE, CAFE_EHTTP_TLS, "cannot load the CRL file"},
    {CURLE_SSL_CLIENTCERT, CAFE_EHTTP_TLS, "the server requires a TLS client certificate"},
    {CURLE_TOO_MANY_REDIRECTS, CAFE_EHTTP_TOO_MANY_REDIRECTS, "too many redirects"},
    {CURLE_RECV_ERROR, CAFE_EHTTP_CLOSED, "connection lost while receiving"},
    {CURLE_SEND_ERROR, CAFE_EHTTP_CLOSED, "connection lost while sending"},
    {CURLE_GOT_NOTHING, CAFE_EHTTP_CLOSED, "the server closed the connection without answering"},
    {CURLE_PARTIAL_FILE, CAFE_EHTTP_CLOSED, "the connection closed before the body ended"},
    {CURLE_WEIRD_SERVER_REPLY, CAFE_EHTTP_PROTOCOL, "malformed HTTP response"},
    {CURLE_HTTP2, CAFE_EHTTP_PROTOCOL, "HTTP/2 error"},
    {CURLE_HTTP2_STREAM, CAFE_EHTTP_PROTOCOL, "HTTP/2 stream error"},
    {CURLE_BAD_CONTENT_ENCODING, CAFE_EHTTP_PROTOCOL, "cannot decode the body"},
    {CURLE_PROXY, CAFE_EHTTP_CONNECT, "the proxy failed or refused the connection"},
    {CURLE_OUT_OF_MEMORY, CAFE_ENOMEM, "out of memory in curl"},
    /* At a transfer's start, only the caller's resolve lines are parsed so: its mistake. */
    {CURLE_SETOPT_OPTION_SYNTAX, CAFE_EINVAL, "invalid option: resolve, a line curl cannot parse"},
#if LIBCURL_VERSION_NUM >= 0x080600
    {CURLE_TOO_LARGE, CAFE_EHTTP_PROTOCOL, "response header too large"},
#endif
};

static const curl_error_t other = {CURLE_OK, CAFE_EHTTP_CURL, "transfer failed"};

static const curl_error_t *lookup(CURLcode code) {
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        if (errors[i].curl == code)
            return &errors[i];
    return &other;
}

/* Whether the URL the transfer is at (after its redirects) is http:// or https://. */
static int http_url(CURL *e) {
    char *url = NULL;
    curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &url);
    return url &&
           (ascii_ncasecmp(url, "http://", 7) == 0 || ascii_ncasecmp(url, "https://", 8) == 0);
}

/* Whether the transfer stopped at a redirect it was to follow: the last response is one of
 * the redirect statuses, with a Location. libcurl 7.88 fails a Location whose scheme it has no
 * protocol for and that has no "//" (data:, javascript:, mailto:) there, at the page that
 * sent it, with the code it gives a status line it refuses (CURLE_UNSUPPORTED_PROTOCOL). */
static int stopped_at_redirect(const cafe__http_xfer_t *x) {
    long status = 0;
    struct curl_header *h;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    /* the response to the last request sent (curl numbers them from 0; the request it
     * failed to make counts already) */
    return cafe__http_redirect_status(status) && x->sent > 0 &&
           curl_easy_header(x->easy, "Location", 0, CURLH_HEADER, (int)x->sent - 1, &h) ==
               CURLHE_OK;
}

/* A SOCKS proxy's refusals, in words (its reply code is all curl's message gives): by its
 * policy, or of what it does not support (a CONNECT, a host name's address type as socks5h://
 * sends), which it will refuse alike again; the others (the host refused or is unreachable,
 * the proxy failed) may pass, as a connection error may. */
static const char *socks_refusal(CURL *e) {
    static const struct {
        CURLproxycode px;
        const char *why;
    } refusals[] = {
        {CURLPX_REPLY_NOT_ALLOWED, "not allowed by its rules"},
        {CURLPX_NO_AUTH, "no authentication it accepts"},
        {CURLPX_USER_REJECTED, "user name or password rejected"},
        {CURLPX_REQUEST_FAILED, "request rejected"},
        {CURLPX_IDENTD, "its identd check failed"},
        {CURLPX_IDENTD_DIFFER, "its identd check failed"},
        {CURLPX_REPLY_COMMAND_NOT_SUPPORTED, "it does not support CONNECT"},
        {CURLPX_REPLY_ADDRESS_TYPE_NOT_SUPPORTED, "it does not take this address type"},
    };
    long px = 0;
    curl_easy_getinfo(e, CURLINFO_PROXY_ERROR, &px);
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++)
        if ((long)refusals[i].px == px)
            return refusals[i].why;
    return NULL;
}

long cafe__http_tunnel_refused(CURL *e, CURLcode cc) {
    long n = 0;
    if (cc == CURLE_RECV_ERROR)
        curl_easy_getinfo(e, CURLINFO_HTTP_CONNECTCODE, &n);
    else if (cc == CURLE_PROXY && socks_refusal(e))
        n = 403; /* as an HTTP proxy refuses by its policy */
    return n >= 300 ? n : 0;
}

/* libcurl's cap on the response heads of a transfer, all its responses' (7.88 with the fix of
 * CVE-2023-38039, as Debian's; 8.x): past it, the transfer fails with the code of a lost
 * connection, CURLE_RECV_ERROR. */
#define CURL_HEADS_MAX (300 * 1024)

/* Whether the heads x's transfer received passed curl's cap, before any body. curl's message
 * says so ("Too large response headers"), but it writes a transfer's first message alone: one
 * that came after a stale connection's, which cafe forgot (cafe__http_errbuf_forget), is not
 * written, and the head too large read as a connection lost, tried again. */
static int heads_over(CURL *e) {
    long size = 0;
    curl_easy_getinfo(e, CURLINFO_HEADER_SIZE, &size);
    return size > CURL_HEADS_MAX;
}

/* Where the code alone says too little, what curl knows of the transfer tells more. */
static void refine_by_info(cafe__http_xfer_t *x, CURLcode cc, int *code, char *buf, size_t cap) {
    long n = 0;
    if (cc == CURLE_URL_MALFORMAT) {
        /* The URL was parsed before: now it is a redirect's Location. */
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &n);
        if (n >= 300 && n < 400)
            snprintf(buf, cap, "malformed redirect Location");
    } else if (cc == CURLE_UNSUPPORTED_PROTOCOL && (!http_url(x->easy) || stopped_at_redirect(x))) {
        /* The first URL's scheme was checked before: this is a redirect's, where curl stops
         * (the URL it stopped at, or the page whose Location it could not take). Else, with
         * an http(s) URL, the code is about the reply's status line (HTTP/0.9), after a
         * redirect or not. */
        *code = CAFE_EHTTP_REDIRECT_PROTOCOL;
        snprintf(buf, cap, "redirect refused (only http and https)");
    } else if (cafe__http_tunnel_refused(x->easy, cc)) {
        /* Not a connection lost: the proxy answered, and said no. */
        const char *why = cc == CURLE_PROXY ? socks_refusal(x->easy) : NULL;
        *code = CAFE_EHTTP_CONNECT;
        if (why)
            snprintf(buf, cap, "the proxy refused the tunnel (%s)", why);
        else
            snprintf(buf, cap, "the proxy refused the tunnel");
    } else if (cc == CURLE_RECV_ERROR && !x->started && heads_over(x->easy)) {
        *code = CAFE_EHTTP_PROTOCOL;
        snprintf(buf, cap, "response header too large");
    } else if (cc == CURLE_COULDNT_CONNECT) {
        curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &n);
        if (n == ECONNREFUSED) {
            *code = CAFE_ECONNREFUSED;
            snprintf(buf, cap, "connection refused");
        }
    } else if (cc == CURLE_PEER_FAILED_VERIFICATION && x->tls_no_chain) {
        snprintf(buf, cap,
                 "TLS certificate not trusted: the server sent no intermediate CA certificate "
                 "(an incomplete chain; browsers fetch it)");
    } else if (cc == CURLE_BAD_CONTENT_ENCODING) {
        /* libcurl refuses a chain of more than 5 codings as it reads the header, before its
         * header API holds it and before any callback (header or debug) sees it: then there
         * is no value to name, and curl's message says why. */
        const char *coding = cafe__http_header_value(x->easy, "Content-Encoding");
        if (coding[0])
            snprintf(buf, cap, "cannot decode the body (Content-Encoding: %.40s)", coding);
    }
}

/* Whether a timeout in curl's connect phase ("Connection timed out after N milliseconds",
 * said of the transfer's timeout there; its connect timeout in the TLS handshake reads "SSL
 * connection timeout") came in the TLS handshake: an https:// URL whose TCP connection was
 * made (libcurl 7.88 gives its local port then, not before) and no proxy (the connection
 * would be the proxy's, and the wait maybe its CONNECT's: refine_by_proxy). */
static int in_tls_handshake(const cafe__http_xfer_t *x, const char *detail) {
    long port = 0;
    if (strncmp(detail, "Connection timed out after ", 27) != 0 || !x->try ||
        cafe__http_proxy_of(x))
        return 0;
    char *url = NULL;
    curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &url);
    curl_easy_getinfo(x->easy, CURLINFO_LOCAL_PORT, &port);
    return port > 0 && url && ascii_ncasecmp(url, "https://", 8) == 0;
}

/* ... and so does curl's message. */
static void refine_by_detail(const cafe__http_xfer_t *x, CURLcode cc, const char *detail, int *code,
                             char *buf, size_t cap) {
    long os_errno = 0;
    if (cc == CURLE_SSL_CONNECT_ERROR)
        curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &os_errno);
    if (cc == CURLE_SSL_CONNECT_ERROR && strstr(detail, "wrong version number") && x->tls_hello) {
        /* The server's hello came, then bytes that are no TLS record. */
        snprintf(buf, cap, "TLS handshake failed: the server sent what is no TLS after its hello");
    } else if (cc == CURLE_SSL_CONNECT_ERROR && strstr(detail, "wrong version number")) {
        /* The server's first bytes were no TLS record: most often an HTTP answer. */
        snprintf(buf, cap,
                 "TLS handshake failed: the server answered in plain HTTP "
                 "(is it an http:// port?)");
    } else if (cc == CURLE_SSL_CONNECT_ERROR && (strstr(detail, "legacy sigalg disallowed") ||
                                                 strstr(detail, "unsupported protocol") ||
                                                 strstr(detail, "alert protocol version"))) {
        /* OpenSSL 3 refuses TLS 1.0 and 1.1: by their SHA-1 signatures ("legacy sigalg", only
         * before 1.2) at its default security level, by version where its configuration sets
         * MinProtocol (the server chose one refused); a server of those alone refuses the
         * versions cafe offers (1.2, 1.3) with a protocol_version alert. */
        snprintf(buf, cap,
                 "TLS handshake failed: the server speaks only TLS 1.1 or older, which OpenSSL "
                 "refuses");
    } else if (cc == CURLE_SSL_CONNECT_ERROR && strstr(detail, "unrecognized name")) {
        /* The server's unrecognized_name alert: it serves no site by the name the client sent
         * (SNI), or wants one and got none, as a URL with an IP address sends none (RFC 6066;
         * nginx's ssl_reject_handshake, a CDN's default server). OpenSSL's words name only
         * the alert. */
        snprintf(buf, cap,
                 "TLS handshake refused: the server has no site by the name sent (SNI; an "
                 "IP-address URL sends none)");
    } else if (cc == CURLE_SSL_CONNECT_ERROR && strstr(detail, "alert handshake failure")) {
        /* The server's handshake_failure alert: it found no cipher, group or signature
         * algorithm in common with the ClientHello (a narrow cipher list, an old server's
         * RSA key exchange alone); some CDNs send it too to a ClientHello with no name.
         * OpenSSL's words name only the alert ("sslv3" for every version). */
        snprintf(buf, cap,
                 "TLS handshake refused: the server shares no cipher or key type with cafe (or "
                 "wants a name, which IP-address URLs lack)");
    } else if (cc == CURLE_SSL_CONNECT_ERROR &&
               (os_errno == ECONNRESET || strstr(detail, "Connection reset by peer"))) {
        /* The server (or what stands before it) dropped the connection in the handshake,
         * as on plain HTTP it drops one before answering: a connection fault, no TLS one. */
        *code = CAFE_EHTTP_CLOSED;
        snprintf(buf, cap, "connection reset during the TLS handshake");
    } else if (cc == CURLE_SSL_CONNECT_ERROR && os_errno == 0 &&
               (strstr(detail, "SSL_ERROR_SYSCALL") || strstr(detail, "unexpected eof"))) {
        /* libcurl 7.88 with OpenSSL 3: the connection's end (EOF) where a handshake message
         * was due, no alert. */
        *code = CAFE_EHTTP_CLOSED;
        snprintf(buf, cap, "the server closed the connection during the TLS handshake");
    } else if (strstr(detail, "alert certificate required")) {
        /* TLS 1.3: the client's handshake is over before the server checks its certificate,
         * so the server's refusal is the first thing read (libcurl 7.88: CURLE_RECV_ERROR),
         * not a connection lost; it will refuse alike again. */
        *code = CAFE_EHTTP_TLS;
        snprintf(buf, cap, "the server requires a TLS client certificate");
    } else if ((cc == CURLE_RECV_ERROR && strstr(detail, "nghttp2_session_mem_recv() returned")) ||
               (cc == CURLE_GOT_NOTHING && x->h2)) {
        /* nghttp2 refused the server's frames and ended the connection: libcurl 7.88 gives
         * the code of a lost connection when it refused them as it read them (a CONTINUATION
         * flood, a head over curl's 128 KB), that of an empty reply when it ended the session
         * later (a PUSH_PROMISE with push off, DATA on a stream never opened, a window over
         * 2^31-1, a frame over the size allowed); a server that merely closes an HTTP/2
         * connection gives neither. It will break the protocol alike again. */
        *code = CAFE_EHTTP_PROTOCOL;
        snprintf(buf, cap, "HTTP/2 protocol error by the server");
    } else if (cc == CURLE_SEND_ERROR && x->h2 && !x->errbuf[0]) {
        /* After the request (a GET or HEAD: no body to send) cafe writes on an HTTP/2
         * connection only what the server's frames ask for: acknowledgements of its SETTINGS
         * and PINGs, a few window updates. libcurl 7.88 fails so, with no message of its own,
         * once the connection takes no more of them: a server flooding it with SETTINGS or
         * PING frames and reading none of the answers (a socket's failure has its message,
         * "Send failure: ..."). nghttp2 and libcurl say nothing more of which frames. It will
         * flood alike again. */
        *code = CAFE_EHTTP_PROTOCOL;
        snprintf(buf, cap,
                 "HTTP/2 flood by the server (SETTINGS or PING frames, their answers not read)");
    } else if (cc == CURLE_UNSUPPORTED_PROTOCOL && *code == CAFE_EHTTP_PROTOCOL &&
               !strstr(detail, "HTTP/0.9")) {
        /* A status line came, with a code (not 100-999) or version curl does not take. */
        snprintf(buf, cap, "invalid HTTP status line");
    } else if (cc == CURLE_RECV_ERROR && strstr(detail, " in chunked-encoding")) {
        /* libcurl 7.88 fails a chunk it cannot read (its size, its CRLF) with the code of a
         * lost connection: the bytes came, and will come alike again. */
        *code = CAFE_EHTTP_PROTOCOL;
        snprintf(buf, cap, "malformed chunked body");
    } else if (cc == CURLE_OPERATION_TIMEDOUT &&
               (strstr(detail, "SSL connection timeout") || in_tls_handshake(x, detail))) {
        /* A silent server: maybe one that waits for an HTTP request's end in TLS bytes. */
        snprintf(buf, cap, "TLS handshake timed out");
    } else if (!x->started && (cc == CURLE_OUT_OF_MEMORY ||
                               (cc == CURLE_RECV_ERROR && strstr(detail, "Too large")))) {
        /* Before any body: curl 7.x fails a head line over its 100 KB buffer with "Out of
         * memory", 8.x says "Too large response headers". */
        *code = CAFE_EHTTP_PROTOCOL;
        snprintf(buf, cap, "response header too large");
    }
}

/* A SOCKS proxy's replies that break its protocol (curl's CURLINFO_PROXY_ERROR): it will
 * answer alike again. */
static int socks_broken(CURL *e) {
    long px = 0;
    curl_easy_getinfo(e, CURLINFO_PROXY_ERROR, &px);
    return px == CURLPX_BAD_ADDRESS_TYPE || px == CURLPX_BAD_VERSION ||
           px == CURLPX_REPLY_UNASSIGNED;
}

/* A failure of x's transfer on its way to the site through a proxy: named as the proxy's,
 * or as in its tunnel. libcurl 7.88 connects to the proxy alone, so a connection that fails or
 * times out in curl's connect phase is the proxy's, or its CONNECT's, or the TLS handshake
 * in the tunnel a CONNECT answered 2xx opened (whose far end may be the proxy itself); curl
 * writes the CONNECT's own failures ("Proxy CONNECT aborted", "CONNECT tunnel failed,
 * response 0" for an answer of no status, "CONNECT response too large"), and a head over its
 * limit before an https URL's TLS handshake is the CONNECT's answer. An answer that breaks
 * the protocol will come alike again: not retried. */
static void refine_by_proxy(const cafe__http_xfer_t *x, CURLcode cc, const char *detail, int *code,
                            char *buf, size_t cap) {
    long connect = 0;
    curl_off_t tls = 0;
    char *url = NULL;
    curl_easy_getinfo(x->easy, CURLINFO_HTTP_CONNECTCODE, &connect);
    curl_easy_getinfo(x->easy, CURLINFO_APPCONNECT_TIME_T, &tls);
    curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &url);
    int https = url && ascii_ncasecmp(url, "https://", 8) == 0;
    int tunnel = connect >= 200 && connect < 300 && tls == 0;
    if ((cc == CURLE_COULDNT_RESOLVE_PROXY || cc == CURLE_COULDNT_CONNECT) &&
        strncmp(detail, "Unsupported proxy ", 18) == 0) {
        /* libcurl 7.88 parses the proxy as the transfer starts, and fails one it cannot
         * ("syntax") with the code of a lookup failed, one of a scheme it has no proxy for
         * with that of a connection failed (tried again): the caller's mistake either way,
         * the option's or the environment's, alike at every try. */
        *code = CAFE_EINVAL;
        snprintf(buf, cap, "%s",
                 x->try && x->try->opts->proxy
                     ? "invalid option: proxy, a URL curl cannot take"
                     : "invalid proxy in the environment, a URL curl cannot take");
    } else if (cc == CURLE_COULDNT_CONNECT) {
        snprintf(buf, cap,
                 *code == CAFE_ECONNREFUSED ? "connection to the proxy refused"
                                            : "cannot connect to the proxy");
    } else if (cc == CURLE_OPERATION_TIMEDOUT &&
               strncmp(detail, "Connection timed out after ", 27) == 0) {
        snprintf(buf, cap,
                 tunnel ? "TLS handshake timed out in the proxy's tunnel"
                        : "timed out connecting through the proxy");
    } else if (cc == CURLE_RECV_ERROR && strstr(detail, "Proxy CONNECT aborted")) {
        snprintf(buf, cap, "the proxy closed the connection during CONNECT");
    } else if (cc == CURLE_RECV_ERROR && connect == 0 &&
               strstr(detail, "CONNECT tunnel failed, response 0")) {
        *code = CAFE_EHTTP_PROTOCOL;
        snprintf(buf, cap, "the proxy's answer to CONNECT is no HTTP");
    } else if ((cc == CURLE_RECV_ERROR && strstr(detail, "CONNECT response too large")) ||
               (https && tls == 0 && *code == CAFE_EHTTP_PROTOCOL &&
                strncmp(buf, "response header too large", 25) == 0)) {
        *code = CAFE_EHTTP_PROTOCOL;
        snprintf(buf, cap, "the proxy's answer to CONNECT is too large");
    } else if (cc == CURLE_PROXY && socks_broken(x->easy)) {
        *code = CAFE_EHTTP_PROTOCOL;
        snprintf(buf, cap, "the proxy broke the SOCKS protocol");
    } else if (connect == 0 && ascii_ncasecmp(cafe__http_proxy_of(x), "https://", 8) == 0 &&
               (*code == CAFE_EHTTP_TLS || strstr(buf, "TLS handshake"))) {
        /* An https:// proxy's own handshake, before any CONNECT (for an http URL, before its
         * request): its certificate, not the site's, whose check -k skips alone (curl's
         * --proxy-insecure is another option). */
        size_t n = strlen(buf);
        snprintf(buf + n, cap - n, " (the https proxy's own)");
    } else if (tunnel && cc == CURLE_SSL_CONNECT_ERROR && strstr(detail, "wrong version number")) {
        /* not the server's plain HTTP, as refine_by_detail would have it: either end's */
        snprintf(buf, cap, "TLS handshake failed: what came through the proxy's tunnel is no TLS");
    } else if (tunnel && https && (*code == CAFE_EHTTP_TLS || strstr(buf, "TLS handshake"))) {
        size_t n = strlen(buf);
        snprintf(buf + n, cap - n, " (in the proxy's tunnel)");
    }
}

/* curl's "... timed out after N milliseconds..." counts its transfer alone, whose timeout the
 * attempt's lookups and earlier hops shortened (xfer.c): the attempt's time is the one to
 * name, in buf (cap bytes). Returns detail, or buf when it said so. */
static const char *attempt_time(const cafe__http_xfer_t *x, CURLcode cc, const char *detail,
                                char *buf, size_t cap) {
    const char *after = cc == CURLE_OPERATION_TIMEDOUT && x->try && x->try->dns_ms
                            ? strstr(detail, " timed out after ")
                            : NULL;
    if (!after || after - detail > 32 || after[17] < '0' || after[17] > '9')
        return detail;
    char *rest;
    unsigned long long ms = strtoull(after + 17, &rest, 10);
    snprintf(buf, cap, "%.*s%llu%s", (int)(after + 17 - detail), detail,
             ms + (unsigned long long)x->try->dns_ms, rest);
    return buf;
}

int cafe__http_curl_failure(cafe__http_xfer_t *x, CURLcode cc, cafe_http_result_t *res) {
    char timed[CURL_ERROR_SIZE + 24];
    const char *detail =
        attempt_time(x, cc, x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc), timed, sizeof timed);
    const curl_error_t *e = lookup(cc);
    int code = e->code;
    /* curl names its own limit, which a request going on from a redirect cafe followed has
     * lowered by the redirects before (xfer.c): the request's is the one to name. */
    if (cc == CURLE_TOO_MANY_REDIRECTS && x->try)
        return cafe__http_fail(res, code, CAFE__HTTP_TOO_MANY_FMT,
                               cafe__http_max_redirects(x->try->opts));
    char words[128];
    snprintf(words, sizeof words, "%s", e->words);
    refine_by_info(x, cc, &code, words, sizeof words);
    refine_by_detail(x, cc, detail, &code, words, sizeof words);
    if (cafe__http_proxy_of(x))
        refine_by_proxy(x, cc, detail, &code, words, sizeof words);
    return cafe__http_fail(res, code, "%s: %s", words, detail);
}
