/* The HTTP client against a real nginx on loopback: HTTP/1.1, HTTPS with a test CA, HTTP/2,
 * redirects, headers, streaming and early stop, limits, proxies from the environment, and
 * the blocking path giving the same results as tasks. */
#include "testutil.h"
#include "nginx_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static nginx_server_t *srv(void **state) {
    return *state;
}

static const char *url(char *buf, size_t cap, const char *scheme, int port, const char *path) {
    snprintf(buf, cap, "%s://%s:%d%s", scheme, strcmp(scheme, "https") ? "127.0.0.1" : "localhost",
             port, path);
    return buf;
}

#define URL(scheme, port, path) url((char[256]){0}, 256, scheme, port, path)

/* ---- plain HTTP/1.1, blocking ------------------------------------------------------------ */

static void test_get_blocking(void **state) {
    cafe_http_result_t r;
    const char *u = URL("http", srv(state)->http_port, "/index.html");
    assert_int_equal(cafe_http_request(u, NULL, &r), 0);
    assert_int_equal(r.error, 0);
    assert_string_equal(r.message, "");
    assert_int_equal(r.status, 200);
    assert_int_equal(r.http_version, 11);
    assert_string_equal(r.url, u);
    assert_string_equal(r.content_type, "text/html");
    assert_string_equal(r.charset, "utf-8");
    assert_int_equal(r.body_len, 2000);
    assert_non_null(strstr(r.body, "<title>index.html</title>"));
    assert_int_equal(r.bytes, 2000);
    assert_int_equal(r.attempts, 1);
    assert_int_equal(r.connects, 1);
    assert_int_equal(r.redirects, 0);
    assert_true(r.timing.total_us >= r.timing.first_byte_us);
    assert_true(r.timing.first_byte_us >= r.timing.connect_us);
    cafe_http_result_free(&r);
    assert_null(r.body);
    cafe_http_result_free(&r); /* twice is fine */
    /* no_metrics: the same result, without the metrics (bytes and connects were set above). */
    cafe_http_opts_t o = {.no_metrics = 1};
    assert_int_equal(cafe_http_request(u, &o, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.url, u);
    assert_string_equal(r.content_type, "text/html");
    assert_int_equal(r.body_len, 2000);
    assert_int_equal(r.body_bytes, 2000);
    assert_int_equal(r.bytes + (uint64_t)r.connects + (uint64_t)r.redirects, 0);
    assert_int_equal(r.timing.total_us + r.timing.first_byte_us + r.timing.dns_us, 0);
    cafe_http_result_free(&r);
}

static void test_head_and_status(void **state) {
    cafe_http_result_t r;
    cafe_http_opts_t o = {.method = CAFE_HTTP_HEAD};
    assert_int_equal(cafe_http_request(URL("http", srv(state)->http_port, "/big.bin"), &o, &r), 0);
    assert_int_equal(r.status, 200);
    assert_null(r.body);
    assert_int_equal(r.bytes, 0);
    assert_string_equal(r.content_type, "application/octet-stream");
    cafe_http_result_free(&r);
    /* A 404 is a result, not an error. */
    assert_int_equal(cafe_http_request(URL("http", srv(state)->http_port, "/status/404"), NULL, &r),
                     0);
    assert_int_equal(r.status, 404);
    assert_int_equal(r.attempts, 1); /* not a retry status */
    cafe_http_result_free(&r);
}

static void expect_body(const char *u, const cafe_http_opts_t *o, const char *want) {
    cafe_http_result_t r;
    assert_int_equal(cafe_http_request(u, o, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(r.body);
    assert_string_equal(r.body, want);
    cafe_http_result_free(&r);
}

static void test_request_headers(void **state) {
    int port = srv(state)->http_port;
    const char *headers[] = {"X-Cafe: hello there", NULL};
    cafe_http_opts_t o = {.headers = headers};
    expect_body(URL("http", port, "/echo/header"), &o, "hello there");
    expect_body(URL("http", port, "/echo/ua"), NULL, "cafe/" CAFE_VERSION_STRING);
    cafe_http_opts_t ua = {.user_agent = "tester/1"};
    expect_body(URL("http", port, "/echo/ua"), &ua, "tester/1");
    /* every encoding this libcurl decodes is offered */
    cafe_http_result_t r;
    assert_int_equal(cafe_http_request(URL("http", port, "/echo/encoding"), NULL, &r), 0);
    assert_non_null(strstr(r.body, "gzip"));
    assert_non_null(strstr(r.body, "deflate"));
    cafe_http_result_free(&r);
}

/* The Accept header: a browser's navigation one by default (a server that negotiates answers
 * curl's wildcard with JSON), opts.accept's, curl's wildcard for "", and the caller's own
 * Accept line alone when its headers have one. In one loop, one after the other: the pooled easy
 * handle is set up again whenever the value changes, and kept as it is when it does not. */
typedef struct accept_case {
    const char *accept;
    const char *const *headers;
    const char *want;
} accept_case_t;

typedef struct accept_args {
    const char *url;
    const accept_case_t *cases;
    size_t n;
} accept_args_t;

static int accept_all(void *arg, void **value) {
    accept_args_t *a = arg;
    for (size_t i = 0; i < a->n; i++) {
        cafe_http_opts_t o = {.accept = a->cases[i].accept, .headers = a->cases[i].headers};
        cafe_http_result_t r;
        assert_int_equal(cafe_http_request(a->url, &o, &r), 0);
        assert_string_equal(r.body ? r.body : "", a->cases[i].want); /* none sent: no body */
        cafe_http_result_free(&r);
    }
    return 0;
}

static int accept_rewritten(void *arg, void **value) {
    char v[16] = "a/json";
    cafe_http_opts_t o = {.accept = v};
    expect_body(arg, &o, "a/json");
    memcpy(v, "b/json", 6);
    expect_body(arg, &o, "b/json");
    return 0;
}

static void test_accept(void **state) {
    static const char *const own[] = {"Accept: text/plain", NULL};
    static const char *const none[] = {"Accept:", NULL};
    static const char *const other[] = {"X-Cafe: 1", NULL};
    char json[16] = "a/json";
    const accept_case_t cases[] = {
        {NULL, NULL, CAFE_HTTP_DEFAULT_ACCEPT},
        {json, NULL, "a/json"},
        {NULL, NULL, CAFE_HTTP_DEFAULT_ACCEPT},
        {"", NULL, "*/*"},
        {json, NULL, "a/json"},
        {json, NULL, "a/json"},
        {NULL, own, "text/plain"},
        {json, own, "text/plain"},
        {NULL, none, ""},
        {NULL, other, CAFE_HTTP_DEFAULT_ACCEPT},
        {json, other, "a/json"},
        {NULL, NULL, CAFE_HTTP_DEFAULT_ACCEPT},
    };
    accept_args_t a = {URL("http", srv(state)->http_port, "/echo/accept"), cases,
                       sizeof cases / sizeof cases[0]};
    assert_int_equal(test_run(accept_all, &a), 0);
    expect_body(a.url, NULL, CAFE_HTTP_DEFAULT_ACCEPT); /* blocking */
    /* the same pointer, other bytes: the value sent is the new one */
    assert_int_equal(test_run(accept_rewritten, (void *)a.url), 0);
}

static void test_content_type_charset(void **state) {
    cafe_http_result_t r;
    assert_int_equal(cafe_http_request(URL("http", srv(state)->http_port, "/latin1"), NULL, &r), 0);
    assert_string_equal(r.content_type, "text/html");
    assert_string_equal(r.charset, "iso-8859-1");
    assert_int_equal(r.body_len, strlen("<title>cafe</title>"));
    cafe_http_result_free(&r);
}

/* ---- redirects and schemes --------------------------------------------------------------- */

static void test_redirects(void **state) {
    int port = srv(state)->http_port;
    cafe_http_result_t r;
    assert_int_equal(cafe_http_request(URL("http", port, "/redirect/chain"), NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.redirects, 2);
    assert_string_equal(r.url, URL("http", port, "/index.html"));
    cafe_http_result_free(&r);
    /* Locations without a fragment take the URL's, as browsers pass it on (Fetch) */
    assert_int_equal(cafe_http_request(URL("http", port, "/redirect/chain#x"), NULL, &r), 0);
    assert_int_equal(r.redirects, 2);
    assert_string_equal(r.url, URL("http", port, "/index.html#x"));
    cafe_http_result_free(&r);

    cafe_http_opts_t none = {.max_redirects = CAFE_HTTP_NO_REDIRECTS};
    assert_int_equal(cafe_http_request(URL("http", port, "/redirect/chain"), &none, &r), 0);
    assert_int_equal(r.status, 302);
    assert_int_equal(r.redirects, 0);
    cafe_http_result_free(&r);

    cafe_http_opts_t three = {.max_redirects = 3};
    assert_int_equal(cafe_http_request(URL("http", port, "/redirect/loop"), &three, &r),
                     CAFE_EHTTP_TOO_MANY_REDIRECTS);
    assert_int_equal(r.error, CAFE_EHTTP_TOO_MANY_REDIRECTS);
    assert_int_equal(r.redirects, 3);
    assert_int_equal(r.attempts, 1);
    assert_non_null(strstr(r.message, "edirect"));
    cafe_http_result_free(&r);
    /* the default cap is 10 */
    assert_int_equal(cafe_http_request(URL("http", port, "/redirect/loop"), NULL, &r),
                     CAFE_EHTTP_TOO_MANY_REDIRECTS);
    assert_int_equal(r.redirects, 10);
    cafe_http_result_free(&r);
}

/* "Location: #top" is the page itself (WHATWG URL), which redirects again: a loop, told at
 * once, as browsers end in one; not the root page, where libcurl 7.88 resolves it. */
static void test_redirect_to_a_fragment_is_a_loop(void **state) {
    int port = srv(state)->http_port;
    const char *paths[][2] = {{"/fragment", "/fragment"}, {"/redirect/fragment", "/fragment"}};
    for (int i = 0; i < 2; i++) {
        cafe_http_result_t r;
        assert_int_equal(cafe_http_request(URL("http", port, paths[i][0]), NULL, &r),
                         CAFE_EHTTP_TOO_MANY_REDIRECTS);
        assert_int_equal(r.status, 302);
        assert_int_equal(r.attempts, 1);
        assert_int_equal(r.redirects, i + 1);
        assert_string_equal(r.url, URL("http", port, paths[i][1]));
        assert_string_equal(r.message, "redirect loop: HTTP 302 to \"#top\", a part of the page "
                                       "itself");
        assert_null(r.body);
        cafe_http_result_free(&r);
    }
}

/* A 300 with a Location, over HTTP/1.1 and HTTP/2: browsers follow only 301, 302, 303, 307
 * and 308 (the Fetch standard), and show the 300's own page; libcurl follows any 3xx. The
 * next request on the loop, on the same pooled handle, follows a redirect again. Both
 * protocols on one client: a pooled handle goes from http to https, where libcurl 7.88 lost a
 * 920-byte block before every handle held a TLS-session share (xfer.c; valgrind). */
static int choices(void *arg, void **value) {
    const nginx_server_t *s = arg;
    const char *urls[] = {URL("http", s->http_port, "/redirect/choices"),
                          URL("https", s->h2_port, "/redirect/choices")};
    const char *chains[] = {URL("http", s->http_port, "/redirect/chain"),
                            URL("https", s->h2_port, "/redirect/chain")};
    cafe_http_opts_t o = {.ca_file = s->ca};
    for (int i = 0; i < 2; i++) {
        cafe_http_result_t r;
        assert_int_equal(cafe_http_request(urls[i], &o, &r), 0);
        assert_int_equal(r.status, 300);
        assert_int_equal(r.http_version, i ? 20 : 11);
        assert_int_equal(r.redirects, 0);
        assert_string_equal(r.url, urls[i]);
        assert_non_null(r.body);
        assert_string_equal(r.body, "<title>Choices</title>");
        cafe_http_result_free(&r);
        assert_int_equal(cafe_http_request(chains[i], &o, &r), 0);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.redirects, 2);
        cafe_http_result_free(&r);
    }
    return 0;
}

static void test_location_of_a_300_not_followed(void **state) {
    assert_int_equal(test_run(choices, *state), 0);
}

/* Cookies go along one request's redirects only. The loop's next requests, on the same pooled
 * handle, start with none: after a redirect that set one (HTTP/2 gives its headers lower-case),
 * after a page that set one, and after a request that follows no redirects, for which the
 * handle's cookie engine is off (a reset handle keeps it on, libcurl 7.88). */
typedef struct {
    const nginx_server_t *s;
    int h2;
} proto_arg_t;

static int cookies(void *arg, void **value) {
    const proto_arg_t *a = arg;
    const char *scheme = a->h2 ? "https" : "http";
    int port = a->h2 ? a->s->h2_port : a->s->http_port;
    cafe_http_opts_t o = {.ca_file = a->s->ca, .http1_only = !a->h2};
    cafe_http_opts_t none = o;
    none.max_redirects = CAFE_HTTP_NO_REDIRECTS;
    for (int i = 0; i < 2; i++) {
        expect_body(URL(scheme, port, "/cookie/set"), &o, "[c=1]");
        expect_body(URL(scheme, port, "/cookie/show"), &o, "[]");
        expect_body(URL(scheme, port, "/cookie/page"), &o, "page");
        expect_body(URL(scheme, port, "/cookie/show"), &o, "[]");
        expect_body(URL(scheme, port, "/cookie/page"), &none, "page");
        expect_body(URL(scheme, port, "/cookie/show"), &o, "[]");
    }
    return 0;
}

static void test_cookies_along_one_requests_redirects(void **state) {
    for (int h2 = 0; h2 < 2; h2++) {
        proto_arg_t arg = {*state, h2};
        assert_int_equal(test_run(cookies, &arg), 0);
    }
}

static void test_redirect_to_other_schemes_refused(void **state) {
    const char *paths[] = {"/redirect/file", "/redirect/ftp", "/redirect/data"};
    for (int i = 0; i < 3; i++) {
        cafe_http_result_t r;
        int rc = cafe_http_request(URL("http", srv(state)->http_port, paths[i]), NULL, &r);
        assert_int_equal(rc, CAFE_EHTTP_REDIRECT_PROTOCOL);
        assert_int_equal(r.error, rc);
        assert_int_equal(r.attempts, 1);
        assert_null(r.body); /* nothing of /etc/passwd */
        assert_non_null(strstr(r.message, "redirect refused"));
        cafe_http_result_free(&r);
    }
}

static void expect_error(const char *u, int code, const char *in_message) {
    cafe_http_result_t r;
    int rc = cafe_http_request(u, NULL, &r);
    if (rc != code)
        fail_msg("%s: got %s (%s), want %s", u ? u : "(null)", cafe_err_name(rc), r.message,
                 cafe_err_name(code));
    assert_int_equal(r.error, code);
    assert_int_equal(r.status, 0);
    assert_true(r.message[0] != '\0');
    if (!strstr(r.message, in_message))
        fail_msg("%s: message \"%s\" lacks \"%s\"", u ? u : "(null)", r.message, in_message);
    cafe_http_result_free(&r);
}

static void test_bad_input(void **state) {
    char refused[64];
    snprintf(refused, sizeof(refused), "http://127.0.0.1:%d/", srv(state)->closed_port);
    expect_error("", CAFE_EHTTP_URL, "empty URL");
    expect_error(NULL, CAFE_EINVAL, "no URL (NULL)"); /* a bad argument (cafe.h), not a bad URL */
    expect_error("http://exa mple.org/", CAFE_EHTTP_URL, "malformed URL");
    expect_error("http://[::1/", CAFE_EHTTP_URL, "malformed URL");
    expect_error("no scheme here", CAFE_EHTTP_URL, "malformed URL");
    expect_error("ftp://127.0.0.1/file", CAFE_EHTTP_SCHEME, "\"ftp\"");
    expect_error("file:///etc/passwd", CAFE_EHTTP_SCHEME, "\"file\"");
    expect_error("gopher://127.0.0.1/", CAFE_EHTTP_SCHEME, "\"gopher\"");
    expect_error("http://no-such-host.invalid/", CAFE_EHTTP_DNS, "dns: no such host");
    expect_error(refused, CAFE_ECONNREFUSED, "onnect");
}

/* A URL given to cafe_http_request is read as browsers read it (the WHATWG URL Standard), as
 * cafe titles reads its lines and the client its redirects: {given, the path nginx received
 * (its $request_uri), the result's url}; "{P}" the port. An "xn--" label that is no IDNA
 * label is refused before any lookup, though the name is pinned. */
static void test_url_read_as_browsers_do(void **state) {
    static const char *const cases[][3] = {
        {"http://127.0.0.1:{P}/echo/uri?", "/echo/uri?", "http://127.0.0.1:{P}/echo/uri?"},
        {"HTTP://127.0.0.1:{P}/echo/uri?", "/echo/uri?", "http://127.0.0.1:{P}/echo/uri?"},
        {"HTTP://127.0.0.1.:{P}/echo/uri", "/echo/uri", "http://127.0.0.1:{P}/echo/uri"},
        {"http://0x7f.1:{P}/a/%2e%2e/echo/uri", "/echo/uri", "http://127.0.0.1:{P}/echo/uri"},
        {"http:\\\\127.0.0.1:{P}\\echo\\uri?#", "/echo/uri?", "http://127.0.0.1:{P}/echo/uri?#"},
        {"http://127.0.0.1:{P}/echo/uri?a b'", "/echo/uri?a%20b%27",
         "http://127.0.0.1:{P}/echo/uri?a%20b%27"},
        {"http://Cafe.TEST:{P}/echo/uri", "/echo/uri", "http://cafe.test:{P}/echo/uri"},
        /* a line as fgets leaves it; spaces around, tabs and newlines inside */
        {"http://127.0.0.1:{P}/echo/uri\n", "/echo/uri", "http://127.0.0.1:{P}/echo/uri"},
        {" \thttp://127.0.0.1:{P}/ec\tho/u\r\nri?a\nb \r\n", "/echo/uri?ab",
         "http://127.0.0.1:{P}/echo/uri?ab"},
    };
    int port = srv(state)->http_port;
    char pin[64], pins[3][64];
    snprintf(pin, sizeof pin, "cafe.test:%d:127.0.0.1", port);
    const char *const resolve[] = {pin, pins[0], pins[1], pins[2], NULL};
    const char *const bad[] = {"xn--zz.test", "xn--a-ecp.test", "xn--0ug.test"};
    for (int i = 0; i < 3; i++)
        snprintf(pins[i], sizeof pins[i], "%s:%d:127.0.0.1", bad[i], port);
    cafe_http_opts_t o = {.resolve = resolve};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char given[128], want[128];
        cafe_http_result_t r;
        snprintf(given, sizeof given, "%.*s%d%s", (int)(strstr(cases[i][0], "{P}") - cases[i][0]),
                 cases[i][0], port, strstr(cases[i][0], "{P}") + 3);
        snprintf(want, sizeof want, "%.*s%d%s", (int)(strstr(cases[i][2], "{P}") - cases[i][2]),
                 cases[i][2], port, strstr(cases[i][2], "{P}") + 3);
        int rc = cafe_http_request(given, &o, &r);
        if (rc != 0 || r.status != 200 || !r.body || strcmp(r.body, cases[i][1]) != 0 || !r.url ||
            strcmp(r.url, want) != 0)
            fail_msg("%s: %s (%s), status %ld, requested %s, url %s; want %s, url %s", given,
                     cafe_err_name(rc), r.message, r.status, r.body ? r.body : "(none)",
                     r.url ? r.url : "(none)", cases[i][1], want);
        cafe_http_result_free(&r);
    }
    /* a Unicode host, in this program's "C" locale, where libcurl's own conversion (libidn2's
     * idn2_lookup_ul, in the locale's charset) cannot read it */
    char idn[64], ace[64];
    snprintf(pins[0], sizeof pins[0], "xn--bcher-kva.test:%d:127.0.0.1", port);
    snprintf(idn, sizeof idn,
             "http://b\xc3\xbc"
             "cher.test:%d/echo/uri",
             port);
    snprintf(ace, sizeof ace, "http://xn--bcher-kva.test:%d/echo/uri", port);
    cafe_http_result_t u;
    int urc = cafe_http_request(idn, &o, &u);
    if (urc != 0 || !u.body || strcmp(u.body, "/echo/uri") != 0 || !u.url || strcmp(u.url, ace))
        fail_msg("%s: %s (%s), requested %s, url %s", idn, cafe_err_name(urc), u.message,
                 u.body ? u.body : "(none)", u.url ? u.url : "(none)");
    cafe_http_result_free(&u);
    snprintf(idn, sizeof idn, "http://127.0.0.1:%d/redirect/idn", port); /* and a Location */
    urc = cafe_http_request(idn, &o, &u);
    if (urc != 0 || !u.body || strcmp(u.body, "/echo/uri") != 0 || !u.url || strcmp(u.url, ace))
        fail_msg("%s: %s (%s), requested %s, url %s", idn, cafe_err_name(urc), u.message,
                 u.body ? u.body : "(none)", u.url ? u.url : "(none)");
    cafe_http_result_free(&u);
    for (int i = 0; i < 3; i++)
        snprintf(pins[i], sizeof pins[i], "%s:%d:127.0.0.1", bad[i], port);
    for (int i = 0; i < 3; i++) {
        char given[128];
        cafe_http_result_t r;
        snprintf(given, sizeof given, "http://%s:%d/echo/uri", bad[i], port);
        int rc = cafe_http_request(given, &o, &r);
        if (rc != CAFE_EHTTP_URL || !strstr(r.message, "international host name"))
            fail_msg("%s: %s (%s), status %ld: want refused", given, cafe_err_name(rc), r.message,
                     r.status);
        assert_int_equal(r.attempts, 0); /* refused before any attempt */
        assert_null(r.body);
        cafe_http_result_free(&r);
    }
}

/* ---- TLS and HTTP/2 ---------------------------------------------------------------------- */

static void test_https_verification(void **state) {
    nginx_server_t *s = srv(state);
    cafe_http_result_t r;
    cafe_http_opts_t with_ca = {.ca_file = s->ca};
    assert_int_equal(cafe_http_request(URL("https", s->https_port, "/index.html"), &with_ca, &r),
                     0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.http_version, 11);
    assert_int_equal(r.body_len, 2000);
    assert_true(r.timing.tls_us >= r.timing.connect_us);
    cafe_http_result_free(&r);
    /* Without the test CA the certificate is not trusted; the TLS error is not retried.
     * curl loads the system's CA bundle (144 certificates) in the connect phase: 0.2 s
     * natively, 17 s under valgrind on a loaded machine, past the default 10 s connect
     * timeout (a retried timeout, not the TLS error). So no timeout that the machine's
     * speed could reach. */
    cafe_http_opts_t system_ca = {.connect_timeout_ms = 600000, .timeout_ms = 600000};
    assert_int_equal(cafe_http_request(URL("https", s->https_port, "/index.html"), &system_ca, &r),
                     CAFE_EHTTP_TLS);
    assert_int_equal(r.attempts, 1);
    assert_non_null(strstr(r.message, "certificate"));
    cafe_http_result_free(&r);
    cafe_http_opts_t insecure = {.insecure = 1};
    assert_int_equal(cafe_http_request(URL("https", s->https_port, "/index.html"), &insecure, &r),
                     0);
    assert_int_equal(r.status, 200);
    cafe_http_result_free(&r);
    /* The name is checked too: 127.0.0.2 is not in the certificate (nginx listens on
     * 127.0.0.1 only, so pin the name cafe.bad to it). */
    char pin[64], u[128];
    snprintf(pin, sizeof(pin), "cafe.bad:%d:127.0.0.1", s->https_port);
    snprintf(u, sizeof(u), "https://cafe.bad:%d/index.html", s->https_port);
    cafe_http_opts_t pinned = {.ca_file = s->ca, .resolve = (const char *const[]){pin, NULL}};
    assert_int_equal(cafe_http_request(u, &pinned, &r), CAFE_EHTTP_TLS);
    cafe_http_result_free(&r);
}

/* One trust store per loop: libcurl parses the CA file once and keeps it for the next
 * connections (with a CApath set it would parse it again for each one: tens of ms of CPU per
 * handshake with the system's bundle). Seen from outside: once the first connection is made,
 * a new connection to another name still verifies after the file is gone. */
static int store_kept(void *arg, void **value) {
    const nginx_server_t *s = arg;
    char ca[128];
    snprintf(ca, sizeof(ca), "%s/ca-copy.pem", s->dir);
    assert_int_equal(nginx_sh("cp %s %s", s->ca, ca), 0);
    cafe_http_opts_t o = {.ca_file = ca};
    cafe_http_result_t r;
    assert_int_equal(cafe_http_request(URL("https", s->https_port, "/index.html"), &o, &r), 0);
    assert_int_equal(r.connects, 1);
    cafe_http_result_free(&r);
    assert_int_equal(unlink(ca), 0);
    char u[128];
    snprintf(u, sizeof(u), "https://127.0.0.1:%d/index.html", s->https_port);
    assert_int_equal(cafe_http_request(u, &o, &r), 0);
    assert_int_equal(r.connects, 1); /* a new connection, verified with the kept store */
    assert_int_equal(r.status, 200);
    cafe_http_result_free(&r);
    return 0;
}

static void test_trust_store_kept(void **state) {
    nginx_server_t *s = srv(state);
    assert_int_equal(test_run(store_kept, s), 0);
    /* A fresh loop has no store: the missing file is an error again. */
    char ca[128];
    snprintf(ca, sizeof(ca), "%s/ca-copy.pem", s->dir);
    cafe_http_opts_t o = {.ca_file = ca};
    cafe_http_result_t r;
    assert_int_not_equal(cafe_http_request(URL("https", s->https_port, "/index.html"), &o, &r), 0);
    cafe_http_result_free(&r);
}

/* This namespace has no DNS server: "no such host" where curl resolves (behind a proxy's
 * no_proxy), "server failure" (unreachable) where cafe's resolver does. */
static int dns_error(int rc) {
    return rc == CAFE_EHTTP_DNS || rc == CAFE_EDNS_SERVFAIL || rc == CAFE_EDNS_TIMEOUT;
}

/* A request with curl's "*" line, then one without on the same pooled handle: the second goes
 * where its URL says (127.0.0.3, where nginx does not listen), not to the first's address. */
static int wildcard_forgotten(void *arg, void **value) {
    const nginx_server_t *s = arg;
    char any[64], u[128];
    snprintf(any, sizeof(any), "*:%d:127.0.0.1", s->http_port);
    cafe_http_opts_t w = {.resolve = (const char *const[]){any, NULL}};
    cafe_http_result_t r;
    snprintf(u, sizeof(u), "http://127.0.0.2:%d/index.html", s->http_port);
    assert_int_equal(cafe_http_request(u, &w, &r), 0); /* as curl: "*" takes IP literals too */
    cafe_http_result_free(&r);
    cafe_http_opts_t none = {.attempts = 1};
    snprintf(u, sizeof(u), "http://127.0.0.3:%d/index.html", s->http_port); /* no connection */
    assert_int_equal(cafe_http_request(u, &none, &r), CAFE_ECONNREFUSED);
    cafe_http_result_free(&r);
    return 0;
}

static void test_resolve_pins(void **state) {
    nginx_server_t *s = srv(state);
    char pin[64], u[128];
    snprintf(pin, sizeof(pin), "cafe.test:%d:127.0.0.1", s->h2_port);
    snprintf(u, sizeof(u), "https://cafe.test:%d/index.html", s->h2_port);
    const char *resolve[] = {pin, NULL};
    cafe_http_opts_t o = {.ca_file = s->ca, .resolve = resolve};
    cafe_http_result_t r;
    assert_int_equal(cafe_http_request(u, &o, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.url, u);
    cafe_http_result_free(&r);
    /* unpinned, the name does not resolve */
    o.resolve = NULL;
    assert_true(dns_error(cafe_http_request(u, &o, &r)));
    cafe_http_result_free(&r);
    /* curl's "*": every name on that port, a redirect's too; a name of its own wins; another
     * port is not pinned */
    char any[64], mine[64];
    snprintf(any, sizeof(any), "*:%d:127.0.0.1", s->http_port);
    snprintf(mine, sizeof(mine), "mine.test:%d:127.0.0.2", s->http_port);
    const char *wild[] = {any, NULL}, *both[] = {mine, any, NULL};
    cafe_http_opts_t w = {.resolve = wild};
    snprintf(u, sizeof(u), "http://some.name.test:%d/index.html", s->http_port);
    assert_int_equal(cafe_http_request(u, &w, &r), 0);
    assert_int_equal(r.status, 200);
    cafe_http_result_free(&r);
    snprintf(u, sizeof(u), "http://first.test:%d/redirect/other-name", s->http_port);
    assert_int_equal(cafe_http_request(u, &w, &r), 0);
    assert_int_equal(r.status, 200);
    snprintf(u, sizeof(u), "http://other.test:%d/index.html", s->http_port);
    assert_string_equal(r.url, u);
    cafe_http_result_free(&r);
    snprintf(u, sizeof(u), "http://some.name.test:%d/index.html", s->https_port);
    assert_true(dns_error(cafe_http_request(u, &w, &r)));
    cafe_http_result_free(&r);
    w.resolve = both; /* nginx listens on 127.0.0.1 alone: mine's 127.0.0.2 is refused */
    snprintf(u, sizeof(u), "http://mine.test:%d/index.html", s->http_port);
    assert_int_equal(cafe_http_request(u, &w, &r), CAFE_ECONNREFUSED);
    cafe_http_result_free(&r);
    assert_int_equal(test_run(wildcard_forgotten, s), 0);
}

typedef struct h2_args {
    const char *url;
    const char *ca;
    int http1_only;
    cafe_http_result_t res;
} h2_args_t;

static int h2_fetch(void *arg, void **value) {
    h2_args_t *a = arg;
    cafe_http_opts_t o = {.ca_file = a->ca, .http1_only = a->http1_only};
    return cafe_http_request(a->url, &o, &a->res);
}

/* Several requests to one HTTP/2 origin from tasks: one connection, streams multiplexed. */
static int h2_many(void *arg, void **value) {
    h2_args_t *a = arg;
    enum { N = 8 };
    cafe_task_t *t[N];
    h2_args_t each[N];
    for (int i = 0; i < N; i++) {
        each[i] = *a;
        assert_int_equal(cafe_task_spawn(&t[i], h2_fetch, &each[i], NULL), 0);
    }
    cafe_result_t results[N];
    assert_int_equal(cafe_task_gather(t, N, results), 0);
    long connects = 0;
    for (int i = 0; i < N; i++) {
        assert_int_equal(results[i].status, 0);
        assert_int_equal(each[i].res.status, 200);
        assert_int_equal(each[i].res.http_version, a->http1_only ? 11 : 20);
        assert_int_equal(each[i].res.body_len, 30000);
        connects += each[i].res.connects;
        cafe_http_result_free(&each[i].res);
    }
    /* HTTP/1.1 (the version above) carries one request at a time. How many connections that
     * takes is not fixed: the host's first TLS request goes alone, and on loopback libcurl may
     * serve the others one after another on the connection it left idle. */
    if (!a->http1_only)
        assert_int_equal(connects, 1);
    else
        assert_true(connects >= 1);
    return 0;
}

static void test_http2(void **state) {
    nginx_server_t *s = srv(state);
    h2_args_t a = {.url = URL("https", s->h2_port, "/page30k.html"), .ca = s->ca};
    assert_int_equal(test_run(h2_many, &a), 0);
    a.http1_only = 1;
    assert_int_equal(test_run(h2_many, &a), 0);
}

/* ---- the blocking path and tasks agree --------------------------------------------------- */

typedef struct same_args {
    const char **urls;
    size_t n;
    cafe_http_result_t *res;
    int *rc;
} same_args_t;

typedef struct one_req {
    const char *url;
    cafe_http_result_t res;
    int rc;
} one_req_t;

static int one_task(void *arg, void **value) {
    one_req_t *q = arg;
    q->rc = cafe_http_request(q->url, NULL, &q->res);
    return 0;
}

static int all_tasks(void *arg, void **value) {
    same_args_t *a = arg;
    cafe_group_t g;
    cafe_group_init(&g, 0);
    one_req_t *q = calloc(a->n, sizeof(*q));
    for (size_t i = 0; i < a->n; i++) {
        q[i].url = a->urls[i];
        assert_int_equal(cafe_group_spawn(&g, one_task, &q[i], NULL), 0);
    }
    assert_int_equal(cafe_group_wait(&g), 0);
    for (size_t i = 0; i < a->n; i++) {
        a->res[i] = q[i].res;
        a->rc[i] = q[i].rc;
    }
    free(q);
    return 0;
}

/* curl's messages carry timings ("after 0 ms"): compare them without their digits. */
static void strip_digits(char *out, size_t cap, const char *msg) {
    size_t n = 0;
    for (; *msg && n + 1 < cap; msg++)
        if (*msg < '0' || *msg > '9')
            out[n++] = *msg;
    out[n] = '\0';
}

static void assert_same_message(const char *a, const char *b) {
    char x[256], y[256];
    strip_digits(x, sizeof(x), a);
    strip_digits(y, sizeof(y), b);
    assert_string_equal(x, y);
}

static void test_blocking_and_tasks_agree(void **state) {
    nginx_server_t *s = srv(state);
    char buf[8][128];
    const char *urls[] = {
        url(buf[0], 128, "http", s->http_port, "/index.html"),
        url(buf[1], 128, "http", s->http_port, "/status/404"),
        url(buf[2], 128, "http", s->http_port, "/redirect/chain"),
        url(buf[3], 128, "http", s->http_port, "/latin1"),
        url(buf[4], 128, "http", s->closed_port, "/"),
        "ftp://127.0.0.1/",
        "http://no-such-host.invalid/",
        url(buf[5], 128, "http", s->http_port, "/redirect/file"),
    };
    enum { N = sizeof(urls) / sizeof(urls[0]) };
    cafe_http_result_t blocking[N], tasks[N];
    int rc_blocking[N], rc_tasks[N];
    for (size_t i = 0; i < N; i++)
        rc_blocking[i] = cafe_http_request(urls[i], NULL, &blocking[i]);
    same_args_t a = {urls, N, tasks, rc_tasks};
    assert_int_equal(test_run(all_tasks, &a), 0);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(rc_blocking[i], rc_tasks[i]);
        assert_int_equal(blocking[i].error, tasks[i].error);
        assert_same_message(blocking[i].message, tasks[i].message);
        assert_int_equal(blocking[i].status, tasks[i].status);
        assert_int_equal(blocking[i].http_version, tasks[i].http_version);
        assert_int_equal(blocking[i].redirects, tasks[i].redirects);
        assert_int_equal(blocking[i].body_len, tasks[i].body_len);
        assert_int_equal(blocking[i].bytes, tasks[i].bytes);
        assert_int_equal(blocking[i].attempts, tasks[i].attempts);
        assert_string_equal(blocking[i].content_type, tasks[i].content_type);
        assert_string_equal(blocking[i].charset, tasks[i].charset);
        if (blocking[i].body)
            assert_memory_equal(blocking[i].body, tasks[i].body, blocking[i].body_len);
        if (blocking[i].url)
            assert_string_equal(blocking[i].url, tasks[i].url);
        else
            assert_null(tasks[i].url);
        cafe_http_result_free(&blocking[i]);
        cafe_http_result_free(&tasks[i]);
    }
}

/* ---- HTTP/2: stopping a stream early keeps the connection ------------------------------- */

static int stop_at_once(void *arg, const cafe_http_result_t *res, const char *data, size_t len) {
    return CAFE_HTTP_ENOUGH;
}

static int h2_stop(void *arg, void **value) {
    h2_args_t *a = arg;
    cafe_http_opts_t o = {.ca_file = a->ca, .on_body = stop_at_once};
    assert_int_equal(cafe_http_request(a->url, &o, &a->res), 0);
    assert_int_equal(a->res.http_version, 20);
    assert_int_equal(a->res.stopped, 1);
    assert_true(a->res.bytes < 1 << 20);
    cafe_http_result_free(&a->res);
    cafe_http_stats_t st;
    cafe_http_stats_get(NULL, &st);
    assert_int_equal(st.stops_closed, 1); /* the stream was reset... */
    o.on_body = NULL;
    assert_int_equal(cafe_http_request(a->url, &o, &a->res), 0);
    assert_int_equal(a->res.connects, 0); /* ...and the connection lived on */
    assert_int_equal(a->res.body_len, 1 << 20);
    cafe_http_result_free(&a->res);
    return 0;
}

static void test_http2_early_stop(void **state) {
    nginx_server_t *s = srv(state);
    h2_args_t a = {.url = URL("https", s->h2_port, "/big.bin"), .ca = s->ca};
    assert_int_equal(test_run(h2_stop, &a), 0);
}

/* ---- proxies from the environment, read when a loop's client starts ---------------------- */

static void test_proxy_from_environment(void **state) {
    nginx_server_t *s = srv(state);
    char proxy[64];
    snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", s->http_port);
    /* nginx answers absolute-form requests itself: a name that cannot resolve works only
     * through the proxy. */
    setenv("http_proxy", proxy, 1);
    cafe_http_result_t r;
    assert_int_equal(cafe_http_request("http://via-proxy.invalid/echo/uri", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "/echo/uri");
    cafe_http_result_free(&r);
    /* no_proxy exempts it: then the name must resolve, and does not */
    setenv("no_proxy", "via-proxy.invalid", 1);
    assert_true(dns_error(cafe_http_request("http://via-proxy.invalid/echo/uri", NULL, &r)));
    cafe_http_result_free(&r);
    unsetenv("no_proxy");
    /* An https page (no https_proxy: direct) redirecting to http goes through http_proxy from
     * that hop on, as curl -L picks each hop's proxy again; a HEAD as a GET. */
    const char *from = URL("https", s->https_port, "/redirect/via-proxy");
    cafe_http_opts_t get = {.ca_file = s->ca}, head = {.ca_file = s->ca, .method = CAFE_HTTP_HEAD};
    assert_int_equal(cafe_http_request(from, &get, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.url, "http://via-proxy.invalid/echo/uri");
    assert_string_equal(r.body, "/echo/uri");
    cafe_http_result_free(&r);
    assert_int_equal(cafe_http_request(from, &head, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.url, "http://via-proxy.invalid/echo/uri");
    assert_int_equal(r.redirects, 1);
    cafe_http_result_free(&r);
    /* HTTP_PROXY (upper case) is ignored for http, as curl does */
    unsetenv("http_proxy");
    setenv("HTTP_PROXY", proxy, 1);
    assert_true(dns_error(cafe_http_request("http://via-proxy.invalid/echo/uri", NULL, &r)));
    cafe_http_result_free(&r);
    unsetenv("HTTP_PROXY");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_blocking),
        cmocka_unit_test(test_head_and_status),
        cmocka_unit_test(test_request_headers),
        cmocka_unit_test(test_accept),
        cmocka_unit_test(test_content_type_charset),
        cmocka_unit_test(test_redirects),
        cmocka_unit_test(test_redirect_to_a_fragment_is_a_loop),
        cmocka_unit_test(test_location_of_a_300_not_followed),
        cmocka_unit_test(test_cookies_along_one_requests_redirects),
        cmocka_unit_test(test_redirect_to_other_schemes_refused),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_url_read_as_browsers_do),
        cmocka_unit_test(test_https_verification),
        cmocka_unit_test(test_trust_store_kept),
        cmocka_unit_test(test_resolve_pins),
        cmocka_unit_test(test_http2),
        cmocka_unit_test(test_blocking_and_tasks_agree),
        cmocka_unit_test(test_http2_early_stop),
        cmocka_unit_test(test_proxy_from_environment),
    };
    return cmocka_run_group_tests(tests, nginx_group_setup, nginx_group_teardown);
}
