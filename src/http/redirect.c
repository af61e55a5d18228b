/* Redirects curl follows itself (CURLOPT_FOLLOWLOCATION), checked where libcurl resolves a
 * Location otherwise than browsers do. */
#include "http/internal.h"
#include "common/ascii.h"
#include "common/url.h"
#include "common/word8.h"
#include "http/parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether a browser, given the Location of the response to request req (curl numbers a
 * transfer's requests from 0), goes elsewhere than curl's target (NULL: curl goes
 * nowhere). The Location is resolved against base, or when NULL against the URL of the
 * request before this one. libcurl 7.88 reads a backslash as a path byte ("\x" from /a/b is
 * /a/%5cx, a browser's /x), takes "http:x" for a host named x where a browser reads a path
 * relative to the page, keeps "%2e%2e" segments, a host's case and a default port, encodes
 * otherwise, and refuses a Location with a tab inside ("Bad path") that a browser follows. Then
 * x->relocate is the browser's URL, reached after `hops` redirects: the transfer stops, and the
 * request goes on from there (request.c). Fragments aside: neither is sent. A Location a
 * browser refuses (a host that ends in a number but is no IPv4 address) stops the transfer
 * too, with x->bad_location saying why, and so do several Location headers that differ
 * (x->location_conflict). */
/* Location headers compared at most (each lookup by index walks all the headers): the first
 * ones and the last (cafe__http_value_index). */
#define LOCATIONS_MAX 32

/* Whether the response to request req has Location headers (h the first, of `amount`) whose
 * values differ: Chromium (ERR_RESPONSE_HEADERS_MULTIPLE_LOCATION) and Firefox
 * (NS_ERROR_CORRUPTED_CONTENT) refuse such a response; libcurl 7.88 follows the first. */
static int locations_differ(CURL *e, int req, const struct curl_header *h) {
    size_t amount = h->amount < LOCATIONS_MAX ? h->amount : LOCATIONS_MAX;
    const char *first = h->value;
    struct curl_header *o;
    for (size_t i = 1; i < amount; i++)
        if (curl_easy_header(e, "Location", cafe__http_value_index(i, h->amount, LOCATIONS_MAX),
                             CURLH_HEADER, req, &o) == CURLHE_OK &&
            strcmp(o->value, first) != 0)
            return 1;
    return 0;
}

/* The fragment of a redirect's target url (malloc'd, its fragment at n): its own becomes
 * x->fragment; one without takes x->fragment, as browsers pass a fragment on (the Fetch
 * standard's HTTP-redirect fetch). Out of memory, the fragment is dropped. Returns url, or
 * the copy that replaced it. */
static char *fragment_pass(cafe__http_xfer_t *x, char *url, size_t n) {
    if (url[n] == '#') {
        free(x->fragment);
        x->fragment = strdup(url + n + 1);
        return url;
    }
    size_t f = x->fragment ? strlen(x->fragment) : 0;
    char *out = x->fragment ? malloc(n + f + 2) : NULL;
    if (!out)
        return url;
    snprintf(out, n + f + 2, "%s#%s", url, x->fragment);
    free(url);
    return out;
}

static int relocate(cafe__http_xfer_t *x, const char *base, int req, const char *target,
                    long hops) {
    struct curl_header *h;
    if (!x->try || curl_easy_header(x->easy, "Location", 0, CURLH_HEADER, req, &h) != CURLHE_OK)
        return 0;
    x->c->stats.curl_calls++;
    if (h->amount > 1 && locations_differ(x->easy, req, h)) {
        x->location_conflict = 1; /* a browser goes nowhere */
        return 1;
    }
    char *abs = NULL, *url = NULL;
    const char *why;
    int rc = cafe__url_resolve(base ? base : x->hop_url ? x->hop_url : x->try->url, h->value, &abs);
    if (rc == 0)
        rc = cafe__url_normalize_ascii(abs, &url, &why);
    free(abs);
    if (rc == CAFE_EINVAL) { /* a browser goes nowhere */
        x->bad_location = why;
        return 1;
    }
    size_t n = url ? strcspn(url, "#") : 0;
    if (rc == 0)
        url = fragment_pass(x, url, n);
    if (rc != 0 || (target && strncmp(url, target, n) == 0 && strcspn(target, "#") == n)) {
        free(url); /* a browser's Location curl went to as well; or one that is not ours */
        return 0;
    }
    x->relocate = url;
    x->relocate_hops = hops;
    return 1;
}

/* The Fetch standard's bad ports (fetch.spec.whatwg.org/#bad-port, 4190 and 6679 included
 * since 2024), ascending: browsers refuse to fetch from them, so that a page cannot make them
 * speak HTTP to another protocol's server (SMTP, IRC, X11...). */
static const unsigned short bad_ports[] = {
    1,    7,    9,    11,   13,   15,   17,   19,   20,   21,   22,   23,   25,   37,
    42,   43,   53,   69,   77,   79,   87,   95,   101,  102,  103,  104,  109,  110,
    111,  113,  115,  117,  119,  123,  135,  137,  139,  143,  161,  179,  389,  427,
    465,  512,  513,  514,  515,  526,  530,  531,  532,  540,  548,  554,  556,  563,
    587,  601,  636,  989,  990,  993,  995,  1719, 1720, 1723, 2049, 3659, 4045, 4190,
    5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080};

static int port_bad(unsigned long port) {
    size_t lo = 0, hi = sizeof bad_ports / sizeof bad_ports[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (bad_ports[mid] == port)
            return 1;
        if (bad_ports[mid] < port)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

long cafe__http_url_port(const char *url) {
    const char *a = url ? strstr(url, "://") : NULL;
    if (!a)
        return -1;
    a += 3;
    size_t n = strcspn(a, "/?#");
    const char *at = memchr(a, '@', n); /* userinfo may hold a ':' */
    while (at) {
        n -= (size_t)(at + 1 - a);
        a = at + 1;
        at = memchr(a, '@', n);
    }
    const char *end = a + n, *colon = NULL;
    for (const char *p = *a == '[' ? memchr(a, ']', n) : a; p && p < end; p++)
        if (*p == ':')
            colon = p;
    if (!colon || colon + 1 == end || end - colon > 6)
        return -1; /* the scheme's port (80 or 443), or none curl would take */
    long port = 0;
    for (const char *p = colon + 1; p < end; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        port = port * 10 + (*p - '0');
    }
    return port;
}

/* Port 0 is no port a server can listen on: connect() there fails every time (ECONNREFUSED
 * on Linux), so it is refused before any connection, and never retried. */
long cafe__http_url_refused_port(const char *url) {
    long port = cafe__http_url_port(url);
    return port == 0 || (port > 0 && port_bad((unsigned long)port)) ? port : -1;
}

int cafe__http_port_refusal(cafe_http_result_t *res, long port) {
    if (port == 0)
        return cafe__http_fail(res, CAFE_EHTTP_REDIRECT_PROTOCOL,
                               "redirect refused (port 0: no server can listen there)");
    return cafe__http_fail(res, CAFE_EHTTP_REDIRECT_PROTOCOL,
                           "redirect refused (port %ld: a bad port, which browsers refuse)", port);
}

/* The redirect to url goes to a port refused: x->bad_port names it, and the request stops
 * there. */
static int port_refused(cafe__http_xfer_t *x, const char *url) {
    x->bad_port = cafe__http_url_refused_port(url);
    return x->bad_port >= 0;
}

/* A Location of a fragment alone ("#top") is, by the WHATWG URL standard, the page itself
 * with that fragment: the same resource, which answers the same redirect again; browsers end
 * in a redirect loop (Chromium's ERR_TOO_MANY_REDIRECTS). libcurl 7.88 (urlapi.c, concat_url)
 * takes it for a relative path instead, and "#top" from /a/page fetches /a/: another page,
 * whose title would be recorded as this one's. */
/* Whether the Location of the response to request req is a fragment alone, the C0 controls
 * and spaces around it dropped as the URL parser drops them ("\x01#top", "#top\x07"), in a
 * response that sets no cookie: then x->loop holds it. One that sets a cookie is followed:
 * asked again with it, the page may answer otherwise (a cookie check), as it does browsers. */
static int self_fragment(cafe__http_xfer_t *x, int req) {
    struct curl_header *h;
    if (curl_easy_header(x->easy, "Location", 0, CURLH_HEADER, req, &h) != CURLHE_OK)
        return 0;
    const char *v = h->value, *end = v + strlen(v);
    while (v < end && (unsigned char)*v <= ' ')
        v++;
    while (end > v && (unsigned char)end[-1] <= ' ')
        end--;
    if (*v != '#' || curl_easy_header(x->easy, "Set-Cookie", 0, CURLH_HEADER, req, &h) == CURLHE_OK)
        return 0;
    snprintf(x->loop, sizeof x->loop, "%.*s", (int)(end - v), v);
    return 1;
}

int cafe__http_redirect_resolving(cafe__http_xfer_t *x) {
    long hops = 0;
    char *url = NULL;
    x->c->stats.curl_calls += 2;
    curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_COUNT, &hops);
    if (hops == 0 || hops == x->hops) /* the first request, or a redirect checked already */
        return 0;
    /* before on_prereq: the request with the Location is the last one sent. A fragment
     * alone is checked first, as on_prereq checks it: the page itself, not a hop to take. */
    if (self_fragment(x, (int)x->sent - 1))
        return 1;
    curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &url);
    return relocate(x, NULL, (int)x->sent - 1, url, hops) || port_refused(x, url);
}

int cafe__http_redirect_go_on(cafe__http_xfer_t *x) {
    long hops = 0;
    x->c->stats.curl_calls++;
    curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_COUNT, &hops);
    return hops > 0 && hops != x->hops && relocate(x, NULL, (int)x->sent - 1, NULL, hops);
}

int cafe__http_redirect_malformed(cafe__http_xfer_t *x, CURLcode code) {
    long status = 0, hops = 0;
    char *url = NULL;
    if (code != CURLE_URL_MALFORMAT)
        return 0;
    x->c->stats.curl_calls += 3;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_COUNT, &hops);
    curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &url);
    /* curl stayed at the page whose Location it could not parse, its last request sent (and
     * counted the redirect it meant to follow). A fragment alone with controls around it
     * ("#top\x07", which curl refuses) is the page itself, as for the other ways. */
    if (status < 300 || status >= 400 || !url)
        return 0;
    if (self_fragment(x, (int)x->sent - 1))
        return 1;
    if (!relocate(x, url, (int)x->sent - 1, NULL, hops))
        return 0;
    x->bad_location = NULL; /* refused by browsers too: curl's failure stands, in its words */
    return x->relocate != NULL;
}

/* Whether url is at the origin of host entry h. */
static int at_host(const cafe__http_host_t *h, const char *url) {
    char key[CAFE__HTTP_KEY_MAX];
    uint64_t hash;
    size_t n = url ? cafe__http_origin_key(url, key, sizeof key, &hash) : 0;
    return n && n == h->klen && memcmp(key, h->key, n) == 0;
}

int cafe__http_redirect_check(cafe__http_xfer_t *x) {
    long hops = 0;
    x->c->stats.curl_calls++;
    curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_COUNT, &hops);
    if (hops == 0 || hops == x->hops) /* the first request, or curl trying one again */
        return 0;
    x->hops = hops;
    /* The redirect is the response to the request before this one: curl numbers a transfer's
     * requests from 0, retries and redirects alike, and each went through on_prereq. */
    if (self_fragment(x, (int)x->sent - 2))
        return 1;
    /* The page this request is for: the one that answered, should the next hop be a loop. */
    char *url = NULL;
    curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &url);
    if (relocate(x, NULL, (int)x->sent - 2, url, hops) || port_refused(x, url))
        return 1;
    /* Back at the request's origin in a transfer that left the caller's credentials out:
     * curl -L sends them there again, as cafe.h says; a transfer that starts there does. */
    if (x->creds_away && x->try && at_host(x->try->home, url) &&
        relocate(x, NULL, (int)x->sent - 2, NULL, hops))
        return 1;
    free(x->hop_url);
    x->hop_url = url ? strdup(url) : NULL;
    return 0;
}

int cafe__http_redirect_cut(cafe__http_xfer_t *x) {
    long hops = 0;
    x->c->stats.curl_calls++;
    curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_COUNT, &hops);
    int req = (int)x->sent - 1;
    return hops == x->watch_hops &&
           (self_fragment(x, req) || relocate(x, NULL, req, NULL, hops + 1));
}

/* The Fetch standard's redirect statuses: browsers follow a Location with these alone, and
 * show any other 3xx response as it is (Firefox follows a 300 as well). */
int cafe__http_redirect_status(long status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* CURLOPT_HEADERFUNCTION. While redirects are followed: libcurl 7.88 follows the Location
 * of any 3xx (300, 304, 305 "Use Proxy", 306, 399...) as it reads that header, and drops the
 * response's body: the page a browser shows would be replaced by another. A status line of
 * such a 3xx (each response's first line, "HTTP/1.1 300 ..." or curl's "HTTP/2 300 ") turns
 * following off before the response's Location is read: the response is the result, with
 * its body. The handle is set up again before its next use (xfer.c). It also notes a
 * Set-Cookie line (x->cookies), which curl's engine, on while redirects are followed
 * (xfer.c), has stored, and refuses a 101. Most lines cost the first byte's tests. */
/* Whether a Content-Encoding value (n bytes) names only codings libcurl 7.88 cannot decode:
 * none of gzip, x-gzip, deflate, br, zstd, identity, none. A Transfer-Encoding value
 * (`transfer`) alike, its "chunked" passed over: curl reads the chunks itself. */
static int codings_unknown(const char *v, size_t n, int transfer) {
    static const char *const known[] = {"gzip", "x-gzip",   "deflate", "br",
                                        "zstd", "identity", "none"};
    int any = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t start = i;
        while (i < n && v[i] != ',' && v[i] != ' ' && v[i] != '\t' && v[i] != '\r' && v[i] != '\n')
            i++;
        size_t len = i - start;
        if (transfer && len == 7 && ascii_ncasecmp(v + start, "chunked", 7) == 0)
            len = 0;
        for (size_t k = 0; len && k < sizeof known / sizeof known[0]; k++)
            if (strlen(known[k]) == len && ascii_ncasecmp(v + start, known[k], len) == 0)
                return 0;
        any |= len > 0;
        while (i < n && v[i] != ',')
            i++;
    }
    return any;
}

/* A Content-Encoding line (its name `name` bytes, the ':' included): codings libcurl cannot
 * decode, and none it can, are passed through as they came, as Chromium and Firefox show
 * such a body (libcurl 7.88 fails the transfer: "Unrecognized content encoding type").
 * Decoding is turned off for the rest of this response (on again at the next one's status
 * line). A Transfer-Encoding line too: curl decodes its codings as a Content-Encoding's,
 * and refuses one it does not know alike, where both browsers read chunks alone and pass
 * any other coding over. */
static void codings_check(cafe__http_xfer_t *x, const char *line, size_t n, size_t name) {
    if (!codings_unknown(line + name, n - name, name == 18))
        return;
    x->c->stats.curl_calls++;
    if (curl_easy_setopt(x->easy, CURLOPT_HTTP_CONTENT_DECODING, 0L) == CURLE_OK)
        x->raw_body = x->no_follow = 1; /* no_follow: the handle is set up again */
}

/* Header lines are tested a word (8 bytes, any alignment) at a time (common/word8.h): ~250
 * instructions per response less than byte by byte, for the same answers. */

/* Whether the bytes at s start with lower (len bytes, 8 to 16, lower-case), in any case: the
 * first 8 and the last 8, which overlap. Loose: a byte one bit from a letter, '-' or ':'
 * passes for it ('\r' for '-'), which x->lines allows (internal.h). */
static int starts_loosely(const char *s, const char *lower, size_t len) {
    return (word8_at(s) | WORD8_EACH(0x20)) == word8_at(lower) &&
           (word8_at(s + len - 8) | WORD8_EACH(0x20)) == word8_at(lower + len - 8);
}

/* Whether line (n bytes) is a header of that name (lower-case, its ':' included). */
static int name_is(const char *line, size_t n, const char *name, size_t len) {
    return n > len && starts_loosely(line, name, len);
}

/* Whether "close" is in the n bytes at v, in any case (as loosely). The words without a 'c'
 * are passed over; from the first with one, byte by byte. */
static int says_close(const char *v, size_t n) {
    size_t i = 0;
    while (i + 8 <= n && !word8_has(word8_at(v + i) | WORD8_EACH(0x20), 'c'))
        i += 8;
    for (; i + 5 <= n; i++)
        if ((v[i] | 0x20) == 'c' && (v[i + 1] | 0x20) == 'l' && (v[i + 2] | 0x20) == 'o' &&
            (v[i + 3] | 0x20) == 's' && (v[i + 4] | 0x20) == 'e')
            return 1;
    return 0;
}

/* Whether a header value (the n bytes after the ':', its line end included) could read
 * otherwise through curl's header API than through CURLINFO_CONTENT_TYPE: blank, or with a
 * byte below ' ' before the line end, a tab included (the two trim such bytes differently,
 * and the latter stops at a '\r'). */
static int value_odd(const char *v, size_t n) {
    n -= n && v[n - 1] == '\n';
    n -= n && v[n - 1] == '\r';
    size_t i = 0;
    while (i < n && v[i] == ' ')
        i++;
    if (i == n)
        return 1;
    for (; i + 8 <= n; i += 8)
        if (word8_has_below(word8_at(v + i), ' '))
            return 1;
    for (; i < n; i++)
        if ((unsigned char)v[i] < ' ')
            return 1;
    return 0;
}

/* Whether a Content-Length value (the n bytes after the ':', its line end included) is one
 * number alone, digits between blanks, which libcurl 7.88 reads as it stands. Any other is
 * parsed again (finish.c): a list, or digits followed by other bytes, where curl's strtoll
 * stops ("0x10" is 0 to it). */
static int length_plain(const char *v, size_t n) {
    size_t i = 0;
    while (i < n && (v[i] == ' ' || v[i] == '\t'))
        i++;
    while (i < n && v[i] >= '0' && v[i] <= '9')
        i++;
    while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == '\r' || v[i] == '\n'))
        i++;
    return i == n;
}

/* Appends a Content-Type value (or a fold of one: `fold`), the n bytes after its ':' or
 * the line's start, to x->type_raw, HTTP whitespace (space, tab, CR, LF) trimmed around it,
 * and notes a vertical tab or form feed at its end, which curl trims too. A trailer is no
 * part of the type. */
static void type_keep(cafe__http_xfer_t *x, const char *v, size_t n, int fold) {
    if (x->lines.head_done)
        return;
    while (n && (v[0] == ' ' || v[0] == '\t'))
        v++, n--;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r' || v[n - 1] == '\n'))
        n--;
    x->lines.type_cut |= n && (v[n - 1] == '\v' || v[n - 1] == '\f');
    const char *sep = !x->lines.type_len ? "" : fold ? " " : ", ";
    size_t len = x->lines.type_len, s = strlen(sep);
    if (x->lines.type_over || s + n > sizeof x->type_raw - len) {
        x->lines.type_over = 1;
        return;
    }
    memcpy(x->type_raw + len, sep, s);
    memcpy(x->type_raw + len + s, v, n);
    x->lines.type_len = (uint16_t)(len + s + n);
}

/* A line whose name starts with 'c': the names x->lines notes, and Content-Encoding, told
 * apart by their ninth byte. */
static void c_line(cafe__http_xfer_t *x, const char *line, size_t n) {
    char ninth = n > 8 ? (char)(line[8] | 0x20) : 0;
    if (ninth == 't' && name_is(line, n, "content-type:", 13)) {
        x->lines.types += x->lines.types < 2;
        x->lines.typed = 1;
        /* a name matched loosely ('\r' for its '-', 0x1A for its ':') has a control byte too */
        x->lines.type_odd |= value_odd(line + 13, n - 13) || line[7] != '-' || line[12] != ':';
        type_keep(x, line + 13, n - 13, 0);
        x->lines.type_last = 1;
    } else if (ninth == 'l' && name_is(line, n, "content-length:", 15)) {
        x->lines.lengths += x->lines.lengths < 2;
        x->lines.length_odd |= !length_plain(line + 15, n - 15);
    } else if (ninth == 'o' && name_is(line, n, "connection:", 11))
        x->lines.close |= says_close(line + 11, n - 11);
    else if (ninth == 'e' && n > 17 && ascii_ncasecmp(line, "content-encoding:", 17) == 0)
        codings_check(x, line, n, 17);
}

/* A status line (n >= 12 bytes, "HTTP/" first) in the plain form: "HTTP/1.0 ", "HTTP/1.1 " or
 * "HTTP/2 ", three digits from 100, then a space or the line's end. libcurl 7.88 reads such
 * a line's code and version as they stand (its sscanf of " HTTP/%1d.%1d%c%3d%c", and the
 * line it writes for an HTTP/2 response's :status); any other form is left to it (0). */
static void status_note(cafe__http_xfer_t *x, const char *line, size_t n) {
    unsigned version = 0;
    size_t d = 0; /* where the code starts */
    if (line[5] == '1' && line[6] == '.' && (line[7] == '0' || line[7] == '1') && line[8] == ' ')
        version = 10 + (unsigned)(line[7] - '0'), d = 9;
    else if (line[5] == '2' && line[6] == ' ')
        version = 20, d = 7;
    unsigned a = (unsigned)(line[d] - '0'), b = (unsigned)(line[d + 1] - '0'),
             c = (unsigned)(line[d + 2] - '0');
    int plain = version && n >= d + 4 && a - 1 < 9 && b < 10 && c < 10 &&
                (line[d + 3] == ' ' || line[d + 3] == '\r');
    x->lines.status = plain ? a * 100 + b * 10 + c : 0;
    x->lines.version = plain ? version : 0;
    x->lines.head_done = 0;
    x->lines.trailers = 0;
    x->lines.typed = 0;
    x->lines.type_len = 0;
    x->lines.type_cut = x->lines.type_over = 0;
}

/* A redirect to another scheme than http and https (ftp:, mailto:, data:...), which browsers
 * refuse as its head comes. libcurl 7.88 would read the body first, to keep the connection,
 * and refuse only then: a body that trickled or stalled held the URL until its timeout, which
 * was retried. The scheme goes into x->bad_scheme (lower-case, cut to fit) and the transfer
 * ends here. Differing Location values are left to relocate, which refuses them all. */
static int scheme_refused(cafe__http_xfer_t *x, const struct curl_header *h) {
    char *abs = NULL;
    if (h->amount > 1 ||
        cafe__url_resolve(x->hop_url ? x->hop_url : x->try->url, h->value, &abs) != 1) {
        free(abs);
        return 0;
    }
    const char *v = h->value;
    while ((unsigned char)*v <= 0x20 && *v) /* as the URL parser strips */
        v++;
    size_t n = 0;
    for (; *v != ':' && n + 1 < sizeof x->bad_scheme; v++)
        if (*v != '\t' && *v != '\n' && *v != '\r')
            x->bad_scheme[n++] = (char)ascii_lower((unsigned char)*v);
    x->bad_scheme[n] = '\0';
    return 1;
}

/* Whether the environment names another proxy for a hop to https (to_https) or to http than
 * for x's handle, the request giving none of its own: libcurl 7.88 takes a transfer's
 * CURLOPT_PROXY, set by its first URL's scheme, for all its hops, where curl's tool picks
 * http_proxy or https_proxy again at each: an https page's redirect to http went direct
 * (no https_proxy) past the http_proxy set, out of the way the user set for its traffic. */
static int proxy_changes(const cafe__http_xfer_t *x, int to_https) {
    const char *a = x->c->proxy_http, *b = x->c->proxy_https;
    return to_https != x->profile.https && !x->try->opts->proxy &&
           !(a == b || (a && b && strcmp(a, b) == 0));
}

/* Whether the Location h leads to another origin than the one x's transfer took its turn
 * at (its host entry). Only a Location with a scheme, or "//" scheme-relative, can. One
 * that is no URL a browser goes to is left to curl, which refuses it in its words. */
static int origin_leaves(const cafe__http_xfer_t *x, const struct curl_header *h, const char *v) {
    char *abs = NULL, *url = NULL;
    const char *why;
    if (!x->try || (ascii_ncasecmp(v, "http", 4) != 0 &&
                    !((v[0] == '/' || v[0] == '\\') && (v[1] == '/' || v[1] == '\\'))))
        return 0;
    int leaves = cafe__url_resolve(x->hop_url ? x->hop_url : x->try->url, h->value, &abs) == 0 &&
                 cafe__url_normalize_ascii(abs, &url, &why) == 0 && !at_host(x->host, url);
    free(abs);
    free(url);
    return leaves;
}

/* Whether the redirect whose Location is h is the request's own: the transfer ends with the
 * redirect, and the request goes on from its Location on a handle set up for its scheme. So
 * is a hop to another origin: followed by curl, it was the first origin's try, its host's
 * interval, connections and slow-down not the target's (--host-interval kept for a host's
 * own URLs while a list's redirects to it all came at once); the request's own hop waits for
 * the target's turn (request.c). So is a hop to another scheme whose proxy is another
 * (proxy_changes), and one to https from a handle set up for http and HTTP/2, which reads
 * with curl's 16 KB: libcurl 7.88 keeps that size for the hop (it refuses CURLOPT_BUFFERSIZE
 * while it holds a buffer, and allocates the next one before any callback), and an HTTP/2
 * head over it was held until the timeout (xfer.c). A Location that is http(s) only once its
 * inner tabs are dropped is left to curl, as before. */
static int hop_own(const cafe__http_xfer_t *x, const struct curl_header *h) {
    const char *v = h->value;
    while ((unsigned char)*v <= 0x20 && *v) /* as the URL parser strips */
        v++;
    if (origin_leaves(x, h, v))
        return 1;
    int to_https = ascii_ncasecmp(v, "https:", 6) == 0;
    if (!to_https && ascii_ncasecmp(v, "http:", 5) != 0)
        return 0; /* relative: the page's own scheme */
    return (to_https && !x->profile.https && !x->profile.http1_only) || proxy_changes(x, to_https);
}

/* A hop of a HEAD request that is the request's own (hop_own: its scheme's proxy): the
 * transfer stops at it, as for a GET. A HEAD's redirect has no body to read or watch. */
static size_t head_hop(cafe__http_xfer_t *x, const struct curl_header *h, size_t n) {
    long hops = 0;
    if (!hop_own(x, h))
        return n;
    x->c->stats.curl_calls += 2;
    curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_COUNT, &hops);
    x->profile.valid = 0; /* the handle's options are set again before its next use */
    if (curl_easy_setopt(x->easy, CURLOPT_MAXREDIRS, hops) == CURLE_OK)
        x->own_hop = 1, x->watch_hops = hops;
    return n;
}

/* The blank line that ends a response's head. libcurl 7.88 reads the body of a redirect it
 * is to follow before it follows (to keep the connection), whatever its size or pace, and
 * uses none of it: a 100 MB one was downloaded whole, one that trickled or stalled held the
 * URL until its timeout, where a browser goes on at once. A body over CAFE__HTTP_DRAIN_SMALL
 * is not read: the transfer ends here (its connection closed) and the request goes on from
 * the Location (x->relocate, as for a browser's URL). A smaller or chunked one is read for
 * the drain's time at most (cafe__http_redirect_watch). Other responses cost a test. */
static size_t head_end(cafe__http_xfer_t *x, size_t n) {
    long status = x->lines.status;
    struct curl_header *h;
    x->lines.head_done = 1;
    if (x->profile.max_redirects < 0 || x->no_follow || !x->try)
        return n;
    if (!status)
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    int req = (int)x->sent - 1; /* the response to the last request sent */
    if (!cafe__http_redirect_status(status) ||
        curl_easy_header(x->easy, "Location", 0, CURLH_HEADER, req, &h) != CURLHE_OK ||
        !h->value[strspn(h->value, " \t\r\n")]) /* nowhere to go: the response is the page */
        return n;
    if (x->profile.method == CAFE_HTTP_HEAD)
        return head_hop(x, h, n);
    if (scheme_refused(x, h))
        return 0;
    curl_off_t length = -1;
    long hops = 0;
    int own = hop_own(x, h);
    x->c->stats.curl_calls += 3;
    curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
    /* A folded Location ("Location:" then " /next" on a line of its own, obs-fold): libcurl
     * 7.88 follows its first line alone, not at all when that is blank (a 302 without a body
     * was the result, no error), where its header API, Chromium and Firefox unfold it. The
     * request goes on from the unfolded one, as for a body too large to read. */
    if (length == 0 && !own && !x->lines.folded)
        return n;
    curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_COUNT, &hops);
    if (length > (curl_off_t)CAFE__HTTP_DRAIN_SMALL || x->lines.folded)
        return self_fragment(x, req) || relocate(x, NULL, req, NULL, hops + 1) ? 0 : n;
    /* curl has taken the Location to follow already: with no hop left, it reads the body
     * (the connection kept) and ends as at its redirect limit, where finish.c goes on */
    if (own) {
        x->c->stats.curl_calls++;
        x->profile.valid = 0; /* the handle's options are set again before its next use */
        if (curl_easy_setopt(x->easy, CURLOPT_MAXREDIRS, hops) != CURLE_OK)
            return n;
        x->own_hop = 1;
        x->watch_hops = hops;
    }
    if (length != 0)
        cafe__http_redirect_watch(x, hops);
    return n;
}

/* A line after the response's head: a trailer (chunked). libcurl 7.88 keeps every one in its
 * header API, without the cap it sets a head's lines (400 MB in 10 s from a server that sends
 * them without end): past CAFE__HTTP_TRAILERS_MAX the transfer is refused. */
static int trailer_over(cafe__http_xfer_t *x, size_t n) {
    if (n <= CAFE__HTTP_TRAILERS_MAX - x->lines.trailers) {
        x->lines.trailers += (uint32_t)n;
        return 0;
    }
    x->lines.trailers_cut = 1;
    return 1;
}

/* A status code of three digits outside 100-599 (d: the code's first byte, three there):
 * RFC 9110 defines none, and the Fetch standard makes any outside 200-599 a network error
 * (1xx ones are interim). libcurl 7.88 refuses an HTTP/1.x code below 100 or over 999 itself,
 * yet takes 600-999, and over HTTP/2 any three digits nghttp2 lets by (":status 099" was a
 * page of status 99). Refused here (x->bad_status): curl ends the transfer with a write
 * error. */
static int status_outside(cafe__http_xfer_t *x, const char *d) {
    if (d[0] < '0' || d[0] > '9' || d[1] < '0' || d[1] > '9' || d[2] < '0' || d[2] > '9' ||
        (d[0] >= '1' && d[0] <= '5'))
        return 0;
    memcpy(x->bad_status, d, 3);
    x->bad_status[3] = '\0';
    return 1;
}

size_t cafe__http_on_header(char *line, size_t size, size_t n, void *xfer) {
    cafe__http_xfer_t *x = xfer;
    (void)size; /* always 1 */
    if (n <= 2 && (line[0] == '\r' || line[0] == '\n'))
        return head_end(x, n);
    if (x->lines.head_done && trailer_over(x, n))
        return 0;
    int type_last = x->lines.type_last;
    x->lines.type_last = 0;
    if ((line[0] | 0x20) == 'c')
        c_line(x, line, n);
    else if ((line[0] | 0x20) == 't' && n > 18 &&
             ascii_ncasecmp(line, "transfer-encoding:", 18) == 0) {
        x->lines.coded = 1;
        codings_check(x, line, n, 18);
    } else if (line[0] == ' ' || line[0] == '\t') {
        x->lines.folded = 1;
        if (type_last) {
            type_keep(x, line, n, 1);
            x->lines.type_last = 1;
        }
    } else if ((line[0] | 0x20) == 'x' && n > 23 &&
               ascii_ncasecmp(line, "x-content-type-options:", 23) == 0)
        x->lines.nosniff = 1;
    /* curl's cookie engine stored it (HTTP/2's lines come lower-case; "Server:" goes by at
     * the fourth byte) */
    if ((line[0] | 0x20) == 's' && n > 11 && line[3] == '-' &&
        ascii_ncasecmp(line, "set-cookie:", 11) == 0)
        x->cookies = 1;
    if (n < 12 || line[0] != 'H' || memcmp(line, "HTTP/", 5) != 0)
        return n;
    status_note(x, line, n);
    if (x->raw_body) { /* a new response: decoded again, unless it says otherwise */
        x->c->stats.curl_calls++;
        curl_easy_setopt(x->easy, CURLOPT_HTTP_CONTENT_DECODING, 1L);
        x->raw_body = 0;
    }
    const char *sp = memchr(line + 5, ' ', n - 5);
    if (!sp || (size_t)(line + n - sp) < 4)
        return n;
    if (status_outside(x, sp + 1))
        return 0;
    /* A 101 to a request that asked for no upgrade (cafe asks for none): a network error in
     * the Fetch standard, where libcurl 7.88 reads what follows as the body, until the
     * server closes. Refused here: curl ends the transfer with a write error. */
    if (sp[1] == '1' && sp[2] == '0' && sp[3] == '1') {
        x->switched = 1;
        return 0;
    }
    if (sp[1] != '3' || x->profile.max_redirects < 0) /* following is off: nothing to turn off */
        return n;
    long status = 300 + (sp[2] - '0') * 10 + (sp[3] - '0');
    if (sp[2] < '0' || sp[2] > '9' || sp[3] < '0' || sp[3] > '9' ||
        cafe__http_redirect_status(status))
        return n;
    x->c->stats.curl_calls++;
    if (curl_easy_setopt(x->easy, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK)
        x->no_follow = 1;
    return n;
}
