/* Transfers: pooled curl easy handles and their per-try setup (the body path is body.c).
 * Runs on the loop's stack. */
#include "http/internal.h"
#include "common/ascii.h"
#include "http/parse.h"

#include <stdlib.h>
#include <string.h>

static cafe__http_xfer_t *xfer_get(cafe__http_client_t *c) {
    cafe__http_xfer_t *x = c->pool;
    if (x) {
        c->pool = x->next;
        c->pool_len--;
        return x;
    }
    x = calloc(1, sizeof(*x));
    if (!x)
        return NULL;
    x->c = c;
    x->easy = curl_easy_init();
    if (!x->easy) {
        cafe__http_xfer_free(x);
        return NULL;
    }
    return x;
}

void cafe__http_xfer_free(cafe__http_xfer_t *x) {
    cafe__http_tls_probe_forget(x); /* an orphan's at the loop's end */
    free(x->ca_file);
    free(x->ca_path);
    free(x->accept_value);
    curl_slist_free_all(x->accept);
    free(x->hop_url);
    free(x->relocate);
    free(x->fragment);
    curl_slist_free_all(x->headers);
    curl_slist_free_all(x->resolve);
    free(x->body);
    if (x->easy)
        curl_easy_cleanup(x->easy);
    free(x);
}

int cafe__http_xfer_retried(cafe__http_xfer_t *x) {
    long redirects = 0;
    if (x->sent <= 1)
        return 0;
    x->c->stats.curl_calls++;
    curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_COUNT, &redirects);
    return x->sent > (unsigned long)redirects + 1;
}

void cafe__http_xfer_put(cafe__http_xfer_t *x) {
    cafe__http_client_t *c = x->c;
    /* curl's count of such tries, which no new transfer clears, goes with a reset; so does a
     * FOLLOWLOCATION turned off (redirect.c) */
    if (cafe__http_xfer_retried(x) || x->no_follow)
        x->profile.valid = 0; /* options_setup resets the handle */
    x->no_follow = 0;
    if (x->cookies) { /* the next request starts with none */
        c->stats.curl_calls++;
        curl_easy_setopt(x->easy, CURLOPT_COOKIELIST, "ALL");
        x->cookies = 0;
    }
    x->sent = 0;
    x->h2 = x->tls_hello = x->tls_no_chain = 0;
    cafe__http_tls_probe_forget(x);
    x->hops = 0;
    if (x->hop_url) {
        free(x->hop_url);
        x->hop_url = NULL;
    }
    if (x->relocate) { /* orphaned at a redirect: nobody goes on from it */
        free(x->relocate);
        x->relocate = NULL;
    }
    free(x->fragment);
    x->fragment = NULL;
    cafe__http_drain_forget(x);
    cafe__http_idle_forget(x);
    if (x->headers || x->resolve || x->body) { /* none, mostly: no calls for nothing */
        curl_slist_free_all(x->headers);
        curl_slist_free_all(x->resolve);
        free(x->body);
        x->headers = x->resolve = NULL;
    }
    if (x->pinned) /* the list is gone: curl must not look at it again */
        curl_easy_setopt(x->easy, CURLOPT_RESOLVE, NULL);
    x->pinned = 0;
    x->body = NULL;
    x->body_len = x->body_cap = x->kept = 0;
    x->decoded = 0;
    x->started = x->stopping = x->aborted = x->oom = x->failed = x->length_fault = x->own_hop = 0;
    memset(&x->lines, 0, sizeof x->lines);
    x->pace_held = 0;
    x->try = NULL;
    if (c->pool_len >= c->limits.max_transfers) {
        cafe__http_xfer_free(x);
        return;
    }
    x->next = c->pool;
    c->pool = x;
    c->pool_len++;
}

/* Checks the URL's scheme; sets *https. An http(s) URL goes to curl as a string, which
 * parses it once (a CURLU handed over costs more: curl 7.88 copies it and prints it back);
 * anything else is parsed here only to say what is wrong with it. The scheme is the host
 * entry's, read from its key (the URL's own lower-cased up to its first "://"): the key
 * starts with "https://" exactly when the URL does, in any case. A redirect's target that
 * the request went on to itself (t->moved, request.c) keeps the entry of the URL asked for
 * but has a scheme of its own, lower-cased (redirect.c): an https page reached from an http
 * URL was fetched with the handle set up for http (16 KB reads, no PIPEWAIT). */
int cafe__http_url_check(const cafe__http_try_t *t, int *https) {
    const char *url = t->url;
    if (!url || !*url)
        return cafe__http_fail(t->res, CAFE_EHTTP_URL, "empty URL");
    *https = t->moved ? strncmp(url, "https://", 8) == 0 : t->host->scheme == 2;
    if (t->host->scheme)
        return 0;
    CURLU *u = curl_url();
    char *scheme = NULL;
    CURLUcode uc =
        u ? curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) : CURLUE_OUT_OF_MEMORY;
    int rc = 0;
    if (uc != CURLUE_OK)
        rc = cafe__http_fail(t->res, CAFE_EHTTP_URL, "malformed URL: %s", curl_url_strerror(uc));
    else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
             ascii_casecmp(scheme, "http") != 0 && ascii_casecmp(scheme, "https") != 0)
        rc = cafe__http_fail(t->res, CAFE_EHTTP_SCHEME,
                             "unsupported URL scheme \"%s\": only http and https are fetched",
                             scheme);
    else
        *https = scheme && ascii_casecmp(scheme, "https") == 0; /* e.g. "HTTP:/x": curl's call */
    curl_free(scheme);
    curl_url_cleanup(u);
    return rc;
}

/* Whether a header line is a credential (Authorization, Cookie), which libcurl 7.88 sends
 * along redirects to the origin the transfer began at alone (scheme, host and port). */
static int credential_line(const char *line) {
    size_t n = strcspn(line, ":;");
    while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
        n--;
    return (n == 13 && ascii_ncasecmp(line, "authorization", 13) == 0) ||
           (n == 6 && ascii_ncasecmp(line, "cookie", 6) == 0);
}

/* Whether the try starts at a redirect's target the request took itself (t->moved) in
 * another origin than the URL asked for's (its host entry's key). A key cut to fit is
 * taken for another. */
static int moved_away(const cafe__http_try_t *t) {
    char key[sizeof t->unresolved];
    uint64_t hash;
    if (!t->moved)
        return 0;
    size_t n = cafe__http_origin_key(t->moved, key, sizeof key, &hash);
    return n + 1 >= sizeof key || n != t->home->klen || memcmp(key, t->home->key, n) != 0;
}

/* Whether url (absolute, as cafe writes URLs) names a user: "http://user:pw@host/". */
static int userinfo_at(const char *url) {
    const char *a = strstr(url, "://");
    if (!a)
        return 0;
    a += 3;
    return memchr(a, '@', strcspn(a, "/?#")) != NULL;
}

/* The URL asked for names a user, and the try starts at its origin from a redirect the
 * request followed itself (t->moved), whose URL names none: curl -L sends the URL's
 * credentials again when a redirect comes back to that origin (as it sends them on its
 * redirects there), and so does this transfer, as curl's options, decoded as curl decodes
 * them. The handle's options are set again before its next use. */
static CURLcode userinfo_back(cafe__http_xfer_t *x, const cafe__http_try_t *t) {
    CURLU *u = curl_url();
    char *user = NULL, *password = NULL;
    CURLcode rc = CURLE_OUT_OF_MEMORY;
    x->profile.valid = 0;
    x->c->stats.curl_calls += 4;
    if (u && curl_url_set(u, CURLUPART_URL, t->asked, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_USER, &user, CURLU_URLDECODE) == CURLUE_OK) {
        CURLUcode pw = curl_url_get(u, CURLUPART_PASSWORD, &password, CURLU_URLDECODE);
        rc = pw != CURLUE_OK && pw != CURLUE_NO_PASSWORD
                 ? CURLE_OUT_OF_MEMORY
                 : curl_easy_setopt(x->easy, CURLOPT_USERNAME, user);
        if (rc == CURLE_OK && password)
            rc = curl_easy_setopt(x->easy, CURLOPT_PASSWORD, password);
    }
    curl_free(user);
    curl_free(password);
    curl_url_cleanup(u);
    return rc;
}

/* Whether lines hold a credential (credential_line). */
static int credentials(const char *const *lines) {
    for (; lines && *lines; lines++)
        if (credential_line(*lines))
            return 1;
    return 0;
}

/* Appends lines to *list; credentials left out when `away` (moved_away): curl drops them
 * on a redirect to another origin, but a transfer that starts there is no redirect to it.
 * 0 or CAFE_ENOMEM. */
static int slist_set(struct curl_slist **list, const char *const *lines, int away) {
    for (; lines && *lines; lines++) {
        if (away && credential_line(*lines))
            continue;
        struct curl_slist *l = curl_slist_append(*list, *lines);
        if (!l)
            return CAFE_ENOMEM;
        *list = l;
    }
    return 0;
}

/* Whether lines has a Cookie header of its own to send: one with a value, or curl's
 * "Cookie;" (sent empty). "Cookie:" alone removes a header curl would send: none here. */
static int cookie_header(const char *const *lines) {
    for (; lines && *lines; lines++)
        if (ascii_ncasecmp(*lines, "cookie", 6) == 0 &&
            ((*lines)[6] == ';' || ((*lines)[6] == ':' && (*lines)[7 + strspn(*lines + 7, " \t")])))
            return 1; /* the pointer past "cookie:" made only once the line has it */
    return 0;
}

static const char *accept_of(const cafe_http_opts_t *o) {
    return o->accept ? o->accept : CAFE_HTTP_DEFAULT_ACCEPT;
}

/* Whether lines have an Accept line of their own: "Accept: v", "Accept:" (none sent) or
 * curl's "Accept;" (sent empty). */
static int accept_header(const char *const *lines) {
    for (; lines && *lines; lines++)
        if (((*lines)[0] | 0x20) == 'a' && ascii_ncasecmp(*lines, "accept", 6) == 0 &&
            ((*lines)[6] == ':' || (*lines)[6] == ';'))
            return 1;
    return 0;
}

/* Appends "Accept: value" to *list. 0 or CAFE_ENOMEM. */
static int accept_add(struct curl_slist **list, const char *value) {
    size_t n = strlen(value);
    char buf[256], *line = n < sizeof buf - 8 ? buf : malloc(n + 9);
    if (!line)
        return CAFE_ENOMEM;
    memcpy(line, "Accept: ", 8);
    memcpy(line + 8, value, n + 1);
    struct curl_slist *l = curl_slist_append(*list, line);
    if (line != buf)
        free(line);
    if (!l)
        return CAFE_ENOMEM;
    *list = l;
    return 0;
}

/* The request's header lines: the caller's, if any, made in xfer_start (x->headers, an
 * Accept line added unless they have one); else the Accept line alone, made here once per
 * setting of the options and kept with them (x->accept), so that a handle kept as it is
 * needs no list per request. CURLE_OK or CURLE_OUT_OF_MEMORY. */
static CURLcode header_lines(cafe__http_xfer_t *x, const cafe_http_opts_t *o,
                             struct curl_slist **lines) {
    curl_slist_free_all(x->accept); /* the handle was reset, or is new: curl has let it go */
    x->accept = NULL;
    *lines = x->headers;
    if (x->headers || !accept_of(o)[0])
        return CURLE_OK;
    if (accept_add(&x->accept, accept_of(o)) != 0)
        return CURLE_OUT_OF_MEMORY;
    *lines = x->accept;
    return CURLE_OK;
}

/* Sets one option, keeping the first refusal: an option this libcurl lacks (the build
 * requires 7.85 for CURLOPT_PROTOCOLS_STR), a bad value, out of memory. */
#define SET(opt, val) (n++, rc = rc != CURLE_OK ? rc : curl_easy_setopt(e, opt, val))

/* curl's DNS cache holds the lines cafe resolved (http/pin.c), pinned for good and taken
 * back by cafe when their answer goes: curl must not sweep the whole cache at every transfer
 * for expired entries (a third of its time in a list of 5,000 hosts), so the setting is
 * "never". But curl also caches each IP literal it is given, per address and port, stamped
 * with its time: never swept, a list of 100,000 addresses kept them all in the cache's few
 * dozen buckets and every lookup walked chains of thousands (3.6x the CPU a URL, +17 MB). So
 * once a second one transfer's setting is a second: that sweep drops the literals' entries
 * older than that (a transfer still using one keeps it until it is done), never a pin. */
static long dns_ttl(cafe__http_client_t *c) {
    uint64_t now = cafe_loop_now(c->loop);
    if (now - c->dns_swept_ms < 1000)
        return -1L;
    c->dns_swept_ms = now;
    return 1L;
}

/* The proxy a transfer to a URL of that scheme goes through (o's, else the environment's as
 * the client read it), or NULL or "" for none. */
static const char *proxy_of(const cafe__http_client_t *c, const cafe_http_opts_t *o, int https) {
    return o->proxy ? o->proxy : https ? c->proxy_https : c->proxy_http;
}

/* Whether a proxy is set for it (no_proxy may still exempt its host: counted as one). */
static int via_proxy(const cafe__http_client_t *c, const cafe_http_opts_t *o, int https) {
    const char *proxy = proxy_of(c, o, https);
    return proxy && *proxy;
}

static CURLcode options_set(cafe__http_xfer_t *x, const char *t_url, const cafe_http_opts_t *o,
                            int https) {
    cafe__http_client_t *c = x->c;
    CURL *e = x->easy;
    unsigned n = 0;
    CURLcode rc = CURLE_OK;
    const char *proxy = proxy_of(c, o, https);
    SET(CURLOPT_PRIVATE, x);
    SET(CURLOPT_URL, t_url);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_ERRORBUFFER, x->errbuf);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, o->max_redirects >= 0 ? 1L : 0L);
    /* Cookies along the redirects, as browsers keep them: curl's engine (off on a new or
     * reset handle, options_setup), on while redirects are followed and the caller sends no
     * Cookie header of its own (as requests does; curl would send both). The header function
     * (set always: it refuses a 101) notes what the engine stores (x->cookies). */
    int cookies = o->max_redirects >= 0 && !cookie_header(o->headers);
    SET(CURLOPT_HEADERFUNCTION, cafe__http_on_header);
    SET(CURLOPT_HEADERDATA, x);
    if (cookies)
        SET(CURLOPT_COOKIEFILE, "");
    x->cookie_engine = cookies;
    SET(CURLOPT_MAXREDIRS, cafe__http_max_redirects(o));
    SET(CURLOPT_TIMEOUT_MS, (long)cafe__http_timeout_ms(o));
    SET(CURLOPT_CONNECTTIMEOUT_MS,
        o->connect_timeout_ms ? (long)o->connect_timeout_ms : CAFE_HTTP_DEFAULT_CONNECT_TIMEOUT_MS);
    SET(CURLOPT_USERAGENT, o->user_agent ? o->user_agent : "cafe/" CAFE_VERSION_STRING);
    SET(CURLOPT_ACCEPT_ENCODING, ""); /* every encoding this libcurl can decode */
    SET(CURLOPT_SSL_VERIFYPEER, o->insecure ? 0L : 1L);
    SET(CURLOPT_SSL_VERIFYHOST, o->insecure ? 0L : 2L);
    /* Which CAs: a directory given, beside the file given or libcurl's bundle (left as the
     * handle's default; none when it is not there, as the store's case below); else the file
     * given alone (a built-in CApath would add the system's back); else the system's, read
     * lazily, when the client has that store (trust.c); else libcurl's bundle. libcurl keeps
     * a parsed file for the next connections only when no CApath is set. Redirects may lead
     * to https: set for plain http too. */
    if (o->ca_path) {
        if (o->ca_file || !c->ca_bundle)
            SET(CURLOPT_CAINFO, o->ca_file);
        CURLcode capath = rc == CURLE_OK ? curl_easy_setopt(e, CURLOPT_CAPATH, o->ca_path) : rc;
        n++;
        /* a TLS without CApath: ignored, as curl's tool ignores SSL_CERT_DIR there */
        rc = capath == CURLE_NOT_BUILT_IN ? CURLE_OK : capath;
    } else if (o->ca_file) {
        SET(CURLOPT_CAINFO, o->ca_file);
        SET(CURLOPT_CAPATH, NULL);
    } else if (c->trust) {
        SET(CURLOPT_CAINFO, NULL);
        SET(CURLOPT_CAPATH, NULL);
    } else if (c->ca_bundle) {
        SET(CURLOPT_CAPATH, NULL);
    }
    if (c->openssl) {
        SET(CURLOPT_SSL_CTX_FUNCTION, cafe__http_tls_ctx);
        SET(CURLOPT_SSL_CTX_DATA, o->ca_file || o->ca_path ? NULL : c->trust);
    }
    /* The environment was read once per loop; setting both spares curl its per-transfer
     * lookups, and "" means none. no_proxy exempts hosts from the request's own proxy too,
     * as libcurl reads it for CURLOPT_PROXY (and curl's tool for -x). */
    SET(CURLOPT_PROXY, proxy ? proxy : "");
    SET(CURLOPT_NOPROXY, c->no_proxy ? c->no_proxy : "");
    SET(CURLOPT_HTTP_VERSION,
        o->http1_only ? (long)CURL_HTTP_VERSION_1_1 : (long)CURL_HTTP_VERSION_2TLS);
    /* libcurl 7.88 hands an HTTP/2 response's head to the transfer in pieces of this buffer
     * and loses the rest when the stream ends meanwhile: a head over it with a short body
     * was held until the timeout. 128 KB is as much head as it takes (its DYN_H2_HEADERS),
     * so no head it takes can stall. Over TLS a read is one record (16 KB) at most, so the
     * pages past it are touched by such heads alone. Plain http keeps curl's 16 KB: there
     * one recv fills the buffer, and a bigger one reads past the title (200 KB pages: +30%
     * CPU a URL, +9 MB). A redirect from http to https would keep the handle's 16 KB: the
     * request takes that hop itself, on a handle set up for https (redirect.c). libcurl
     * refuses the option while the handle holds a buffer (some failed transfers leave one,
     * e.g. a Unicode host it could not convert): the handle reads with the size it has. */
    n++;
    (void)curl_easy_setopt(e, CURLOPT_BUFFERSIZE,
                           https && !o->http1_only ? CAFE__HTTP_H2_BUFFER : CAFE__HTTP_CURL_BUFFER);
    /* Over TLS, wait for a connection in progress to tell whether it multiplexes rather than
     * open a second one. Plain http never multiplexes here. */
    if (https && !o->http1_only)
        SET(CURLOPT_PIPEWAIT, 1L);
    if (o->method == CAFE_HTTP_HEAD)
        SET(CURLOPT_NOBODY, 1L);
    struct curl_slist *lines;
    if (rc == CURLE_OK)
        rc = header_lines(x, o, &lines);
    if (rc == CURLE_OK && lines)
        SET(CURLOPT_HTTPHEADER, lines);
    if (x->resolve)
        SET(CURLOPT_RESOLVE, x->resolve);
    SET(CURLOPT_DNS_CACHE_TIMEOUT, dns_ttl(c));
    SET(CURLOPT_RESOLVER_START_FUNCTION, cafe__http_on_resolver_start);
    SET(CURLOPT_RESOLVER_START_DATA, x);
    SET(CURLOPT_WRITEFUNCTION, cafe__http_on_write);
    SET(CURLOPT_WRITEDATA, x);
    if (rc == CURLE_OK)
        rc = cafe__http_io_setopts(x);
    if (rc == CURLE_OK)
        rc = cafe__http_private_setopts(x);
    c->stats.curl_calls += n + 4;
    return rc;
}

#undef SET

static void profile_of(cafe__http_profile_t *p, const cafe_http_opts_t *o, int https) {
    memset(p, 0, sizeof(*p)); /* padding too: profiles are compared with memcmp */
    p->valid = !o->user_agent && !o->headers && !o->resolve && !o->proxy;
    p->used = 1;
    p->method = o->method;
    p->https = https;
    p->insecure = o->insecure;
    p->http1_only = o->http1_only;
    p->no_private = o->no_private;
    p->max_redirects = o->max_redirects;
    p->timeout_ms = o->timeout_ms;
    p->connect_timeout_ms = o->connect_timeout_ms;
}

static int same_str(const char *a, const char *b) {
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Sets x up for url: only the URL when the handle's options fit already, else all of them.
 * After a refusal the handle's options are unknown: the next use sets them all again. */
static CURLcode options_setup(cafe__http_xfer_t *x, const char *url, const cafe_http_opts_t *o,
                              int https) {
    cafe__http_profile_t p;
    profile_of(&p, o, https);
    x->c->stats.curl_calls++;
    if (p.valid && memcmp(&p, &x->profile, sizeof(p)) == 0 && same_str(o->ca_file, x->ca_file) &&
        same_str(o->ca_path, x->ca_path) && same_str(o->accept, x->accept_value))
        return curl_easy_setopt(x->easy, CURLOPT_URL, url);
    if (x->profile.used) {
        /* The engine off, the jar freed: libcurl 7.88 keeps the engine on through a reset,
         * and drops the cookie file list set unfreed. */
        if (x->cookie_engine)
            curl_easy_setopt(x->easy, CURLOPT_COOKIEFILE, NULL);
        x->cookie_engine = 0;
        curl_easy_reset(x->easy);
        x->share = NULL; /* the reset took the share's session count: set it again */
        x->no_reuse = 0;
    }
    CURLcode rc = options_set(x, url, o, https);
    x->profile = p;
    free(x->ca_file);
    x->ca_file = o->ca_file ? strdup(o->ca_file) : NULL;
    free(x->ca_path);
    x->ca_path = o->ca_path ? strdup(o->ca_path) : NULL;
    free(x->accept_value);
    x->accept_value = o->accept ? strdup(o->accept) : NULL;
    if (rc != CURLE_OK || (o->ca_file && !x->ca_file) || (o->ca_path && !x->ca_path) ||
        (o->accept && !x->accept_value))
        x->profile.valid = 0;
    return rc;
}

/* The TLS sessions of the try's origin. Plain http needs none of its own, but a handle must
 * hold a share before its first transfer: libcurl 7.88 gives a handle without one a cache of
 * its own there (Curl_pretransfer -> Curl_ssl_initsessions, 920 bytes), which CURLOPT_SHARE
 * later overwrites unfreed (setopt.c): once per handle that went from http to https (a
 * pooled one, or the hop to https a redirect from http takes, redirect.c). So plain http
 * sets one when the handle has none (new, or reset); otherwise whatever share it has stays
 * (a redirect to https then caches that host's session in it). */
static CURLcode share_set(cafe__http_xfer_t *x, const cafe__http_host_t *h) {
    CURLSH *share = cafe__http_client_share(x->c, h->hash);
    if (share == x->share)
        return CURLE_OK;
    x->c->stats.curl_calls++;
    CURLcode rc = curl_easy_setopt(x->easy, CURLOPT_SHARE, share);
    x->share = rc == CURLE_OK ? share : NULL;
    return rc;
}

/* limits.close_one_off: a transfer closes its connection at the end when curl's cache is
 * full (where keeping it means libcurl walks the whole cache for the oldest idle connection
 * to close instead), no other request to the origin is in progress (counted in the host
 * table, this one included) and the origin had no transfer before, as far as the client
 * remembers. A request to the origin that comes before the end keeps it after all
 * (cafe__http_xfer_keep). A cache with room, a host visited again (lists that come back to
 * their hosts further apart than the requests started ahead), requests made one after the
 * other to one host: all keep their connections. The option is set only when it changes: a
 * pooled handle keeps it. */
static CURLcode reuse_set(cafe__http_xfer_t *x, const cafe__http_host_t *h) {
    cafe__http_client_t *c = x->c;
    uint64_t *seen = &c->seen[h->hash & (CAFE__HTTP_SEEN - 1)];
    int no_reuse = c->limits.close_one_off && h->count <= 1 && *seen != h->hash &&
                   c->sockets_open >= c->limits.max_connections;
    *seen = h->hash;
    CURLcode rc = CURLE_OK;
    if (no_reuse != x->no_reuse) {
        c->stats.curl_calls++;
        rc = curl_easy_setopt(x->easy, CURLOPT_FORBID_REUSE, (long)no_reuse);
    }
    if (rc == CURLE_OK)
        x->no_reuse = no_reuse;
    return rc;
}

/* libcurl 7.88 reads FORBID_REUSE only when the transfer is done (multi_done): clearing it
 * while the transfer runs is seen there. Called from a task, outside any curl call. */
void cafe__http_xfer_keep(cafe__http_host_t *h) {
    cafe__http_xfer_t *x = h->one_off;
    h->one_off = NULL;
    x->c->stats.curl_calls++;
    if (curl_easy_setopt(x->easy, CURLOPT_FORBID_REUSE, 0L) != CURLE_OK)
        return; /* it closes, as it would have */
    x->no_reuse = 0;
    x->c->stats.one_off--;
}

/* The cookies a request's earlier transfers got (Netscape lines) into x's jar, empty until
 * now (xfer_put): this transfer follows on from theirs. */
static CURLcode jar_load(cafe__http_xfer_t *x, const struct curl_slist *jar) {
    CURLcode rc = CURLE_OK;
    x->cookies = 1;
    for (; jar && rc == CURLE_OK; jar = jar->next, x->c->stats.curl_calls++)
        rc = curl_easy_setopt(x->easy, CURLOPT_COOKIELIST, jar->data);
    return rc;
}

/* The request goes on from a redirect cafe followed, after `moved` redirects in all (request.c):
 * curl may follow what is left of the limit, as a browser counts one chain. The handle's
 * options are set again before its next use. */
static CURLcode hops_left(cafe__http_xfer_t *x, const cafe_http_opts_t *o, long moved) {
    long max = cafe__http_max_redirects(o);
    x->profile.valid = 0;
    x->c->stats.curl_calls++;
    return curl_easy_setopt(x->easy, CURLOPT_MAXREDIRS, max > moved ? max - moved : 0L);
}

/* The try's lookups took spent ms of its timeout (pin.c): curl gets what is left, so that
 * the attempt's time limit holds for the whole of it. The handle's options are set again
 * before its next use. */
static CURLcode time_left(cafe__http_xfer_t *x, const cafe_http_opts_t *o, uint64_t spent) {
    uint64_t limit = cafe__http_timeout_ms(o);
    x->profile.valid = 0;
    x->c->stats.curl_calls++;
    return curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS,
                            spent < limit ? (long)(limit - spent) : 1L);
}

/* Whether resolve lines have curl's "*" host ("*:port:...", "+*:...", "-*:..."). */
static int wildcard_line(const char *const *lines) {
    for (; lines && *lines; lines++) {
        const char *l = *lines + (**lines == '+' || **lines == '-');
        if (l[0] == '*' && l[1] == ':')
            return 1;
    }
    return 0;
}

/* libcurl 7.88 sets its handle's wildcard flag when it loads a resolve list with a "*" line
 * and clears it only when it loads the next list: a later transfer on the handle without
 * one would still go to the "*" line's address (for an IP literal, or a name cafe did not
 * pin). Such a transfer is given a list to load: a harmless removal line when it has no
 * list of its own. 0 or CAFE_ENOMEM. */
static int wildcard_forget(cafe__http_xfer_t *x, const char *const *resolve) {
    int wild = wildcard_line(resolve);
    if (x->wildcard && !wild && !x->resolve &&
        !(x->resolve = curl_slist_append(NULL, "-cafe.invalid:1")))
        return CAFE_ENOMEM;
    x->wildcard = wild;
    return 0;
}

/* A transfer curl refused an option for goes back to the pool; the try fails with curl's
 * words. */
static int setup_failed(cafe__http_xfer_t *x, cafe__http_try_t *t, CURLcode cc) {
    cafe__http_xfer_put(x);
    return cafe__http_fail(t->res, CAFE_EHTTP_CURL, "cannot set up the transfer: %s",
                           curl_easy_strerror(cc));
}

int cafe__http_xfer_start(cafe__http_try_t *t) {
    cafe__http_client_t *c = t->c;
    const cafe_http_opts_t *o = t->opts;
    cafe__http_xfer_t *x = xfer_get(c);
    if (!x)
        return cafe__http_fail(t->res, CAFE_ENOMEM, "out of memory for a transfer");
    int https = 0, rc = cafe__http_url_check(t, &https);
    int away = rc == 0 && moved_away(t);
    x->creds_away = away && (credentials(o->headers) || userinfo_at(t->asked));
    if (rc == 0 && (slist_set(&x->headers, o->headers, x->creds_away) ||
                    slist_set(&x->resolve, o->resolve, 0) ||
                    (o->headers && accept_of(o)[0] && !accept_header(o->headers) &&
                     accept_add(&x->headers, accept_of(o)) != 0)))
        rc = cafe__http_fail(t->res, CAFE_ENOMEM, "out of memory for the header lists");
    if (rc != 0) {
        cafe__http_xfer_put(x);
        return rc;
    }
    const char *hash = strchr(t->url, '#'); /* the fragment redirects pass on (redirect.c) */
    if (hash && !(x->fragment = strdup(hash + 1))) {
        cafe__http_xfer_put(x);
        return cafe__http_fail(t->res, CAFE_ENOMEM, "out of memory for the URL");
    }
    x->plain = !https && !via_proxy(c, o, https);
    CURLcode cc = options_setup(x, t->url, o, https);
    if (cc != CURLE_OK)
        return setup_failed(x, t, cc);
    if ((https || !x->share) && (cc = share_set(x, t->host)) != CURLE_OK)
        return setup_failed(x, t, cc);
    if ((cc = reuse_set(x, t->host)) != CURLE_OK)
        return setup_failed(x, t, cc);
    if (t->jar && (cc = jar_load(x, t->jar)) != CURLE_OK)
        return setup_failed(x, t, cc);
    if (t->moved_hops && (cc = hops_left(x, o, t->moved_hops)) != CURLE_OK)
        return setup_failed(x, t, cc);
    if (t->moved && !away && userinfo_at(t->asked) && !userinfo_at(t->url) &&
        (cc = userinfo_back(x, t)) != CURLE_OK)
        return setup_failed(x, t, cc);
    if (t->dns_ms && (cc = time_left(x, o, t->dns_ms)) != CURLE_OK)
        return setup_failed(x, t, cc);
    if ((rc = cafe__http_dns_lines(c, t->pin ? t->pin : "", &x->resolve)) != 0 ||
        (rc = wildcard_forget(x, o->resolve)) != 0) {
        cafe__http_xfer_put(x);
        return cafe__http_fail(t->res, rc, "out of memory for the resolve list");
    }
    if (x->resolve) { /* its head may have changed: set again */
        if ((cc = curl_easy_setopt(x->easy, CURLOPT_RESOLVE, x->resolve)) != CURLE_OK)
            return setup_failed(x, t, cc);
        x->pinned = 1;
    }
    x->errbuf[0] = '\0';
    x->refused[0] = '\0';
    x->loop[0] = '\0';
    x->bad_location = NULL;
    x->bad_scheme[0] = '\0';
    x->bad_port = -1;
    x->switched = 0;
    x->bad_status[0] = '\0';
    x->location_conflict = 0;
    x->raw_body = 0;
    x->max_body = o->max_body ? o->max_body : CAFE_HTTP_DEFAULT_MAX_BODY;
    c->stats.curl_calls++;
    CURLMcode mc = curl_multi_add_handle(c->multi, x->easy);
    if (mc != CURLM_OK) {
        cafe__http_xfer_put(x);
        return cafe__http_fail(t->res, CAFE_EHTTP_CURL, "cannot start the transfer: %s",
                               curl_multi_strerror(mc));
    }
    x->in_multi = 1;
    if (x->no_reuse) {
        t->host->one_off = x;
        c->stats.one_off++;
    }
    if (++c->in_curl > c->stats.transfers_peak)
        c->stats.transfers_peak = c->in_curl;
    x->try = t;
    x->host = t->host;
    x->pace_held = t->pace_held;
    t->x = x;
    return 0;
}
