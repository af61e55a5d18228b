"""A URL's redirect chain and its response as a browser reads them, through `cafe titles --json`, against tiny
Python servers on loopback (http and https), names from a test DNS server (*.ok.test is
127.0.0.1): the cookies its responses set are sent on its later requests by the cookie rules
(domain, path, Secure, expiry), and never to another URL of the list nor to a retry. Run by
test_redirects.sh in a fresh network namespace."""
import base64
import gzip
import http.server
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import urllib.parse

sys.path.insert(0, os.path.join(os.environ["CAFE_SOURCE_DIR"], "tests", "util"))
from dnsserver import DnsServer  # noqa: E402
from harness import Skip, cafe, run_tests  # noqa: E402

TMP = tempfile.mkdtemp(prefix="cafe-redirects-")
dns = DnsServer()
log = []  # (scheme, host, path, Cookie header or None) of every request, in order
log_lock = threading.Lock()
flaky_seen = set()
spread = {}  # /spread's requests by key


def page(title):
    return b"<!DOCTYPE html><title>" + title.encode() + b"</title>"


def shown(cookie):
    """The title /show gives for a request's Cookie headers (joined by " | "): the cookies of
    each, sorted."""
    if not cookie:
        return "cookies: none"
    return "cookies: " + " | ".join("; ".join(sorted(c.strip() for c in h.split(";")))
                                    for h in cookie.split(" | "))


class Handler(http.server.BaseHTTPRequestHandler):
    """The routes, by path (any directory):
      .../show                   200, the title says which cookies came (shown())
      .../set?c=COOKIE&to=URL    302 to URL (as given: may be relative, or "\\x"), one
                                 Set-Cookie per c; without `to`, a 200 whose title says so
      .../check[?bs=1|frag=1]    the self-redirect cookie check: a 200 "Checked" when the
                                 cookie came, else a 302 to itself setting it (bs=1: by a
                                 Location with a backslash, which a browser reads as a slash;
                                 frag=1: by "#checked", a fragment of the page itself)
      .../flaky?k=K              the first request for K: 503 setting a cookie; then /show's
      .../creds                  200, the title says which Authorization and Cookie came
      .../big?to=URL             302 to URL with a body over what is read to keep a
                                 connection (the request goes on from URL in a new transfer)
      .../spread?k=K             302 to /show on a host of its own per request for K
                                 (sN.ok.test: the Nth), setting a cookie for ok.test; a
                                 mirror picker, or a one-time link whose host is new each time"""
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        cookie = " | ".join(self.headers.get_all("Cookie") or []) or None
        with log_lock:
            log.append((self.server.scheme, self.headers.get("Host", "").split(":")[0], url.path,
                        cookie))
            self.server.hits += 1
        name = url.path.rsplit("/", 1)[-1]
        if name == "show":
            self.reply(200, page(shown(cookie)))
        elif name == "set":
            sets = [("Set-Cookie", c) for c in q.get("c", [])]
            if "to" in q:
                self.reply(302, b"", sets + [("Location", q["to"][0])])
            else:
                self.reply(200, page("set"), sets)
        elif name == "check":
            if cookie and "check=ok" in cookie:
                self.reply(200, page("Checked"))
            else:
                loc = "\\check" if "bs" in q else "check"
                loc = "#checked" if "frag" in q else loc + ("?" + url.query if url.query else "")
                self.reply(302, b"", [("Set-Cookie", "check=ok; Path=/"), ("Location", loc)])
        elif name == "switch":  # a 101 to a request that asked for no upgrade, then bytes
            self.wfile.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                             b"Connection: Upgrade\r\n\r\n<title>After 101</title>")
            self.wfile.flush()
            threading.Event().wait(3)  # held, as a protocol that waits for the client would
            self.close_connection = True
        elif name == "locations":  # one Location header per `to`
            self.reply(302, b"", [("Location", to) for to in q["to"]])
        elif name == "coded":  # Content-Encoding ce; gz=1: the body gzipped; a 302 with `to`
            body = page(q.get("t", ["Coded"])[0])
            body = gzip.compress(body) if "gz" in q else body
            head = [("Content-Encoding", q["ce"][0])]
            if "to" in q:
                self.reply(302, body, head + [("Location", q["to"][0])])
            else:
                self.reply(200, body, head)
        elif name == "negotiate":  # the page for a browser's Accept, JSON for curl's */*
            accepts = self.headers.get_all("Accept") or []
            if any("text/html" in a for a in accepts):
                self.reply(200, page("accept: " + " | ".join(accepts)))
            else:
                body = json.dumps({"accept": accepts}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
        elif name == "nowhere":  # a redirect status, a page, no Location
            self.reply(int(q.get("status", ["302"])[0]), page("Nowhere"))
        elif name == "creds":
            self.reply(200, page("creds: " + " | ".join(
                f"{k}={v}" for k in ("Authorization", "Cookie") for v in self.headers.get_all(k) or [])))
        elif name == "spread":
            with log_lock:
                spread[q["k"][0]] = n = spread.get(q["k"][0], 0) + 1
            self.reply(302, b"", [("Set-Cookie", "spread=1; Domain=ok.test; Path=/"),
                                  ("Location", f"http://s{n}.ok.test:{self.server.server_address[1]}/show")])
        elif name == "big":
            self.reply(302, b"x" * 100000, [("Location", q["to"][0])])
        elif name == "flaky":
            key = q["k"][0]
            with log_lock:
                first = key not in flaky_seen
                flaky_seen.add(key)
            if first:
                self.reply(503, page("busy"), [("Set-Cookie", "retry=1; Path=/"),
                                               ("Retry-After", "0")])
            else:
                self.reply(200, page(shown(cookie)))
        else:
            self.reply(404, page("missing"))

    def log_message(self, *args):
        pass


def serve(scheme, ctx=None, port=0):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    httpd.daemon_threads = True
    httpd.scheme = scheme
    httpd.hits = 0
    if ctx:
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def tls_context():
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=s.ok.test", "-keyout", "key.pem", "-out", "cert.pem"],
                   cwd=TMP, check=True, capture_output=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(TMP, "cert.pem"), os.path.join(TMP, "key.pem"))
    return ctx


plain = serve("http")
secure = serve("https", tls_context()) if shutil.which("openssl") else None
P = plain.server_address[1]


def U(path, host="127.0.0.1"):
    return f"http://{host}:{P}{path}"


def S(path, host="s.ok.test"):
    if not secure:
        raise Skip("openssl is missing: no https server")
    return f"https://{host}:{secure.server_address[1]}{path}"


def set_url(base, cookies, to=None):
    """base's /set URL setting `cookies` and redirecting to `to`."""
    q = [("c", c) for c in cookies] + ([("to", to)] if to is not None else [])
    return base + "?" + urllib.parse.urlencode(q)


def run(lines, *args):
    path = os.path.join(TMP, f"list{len(os.listdir(TMP))}.txt")
    with open(path, "w") as f:
        f.write("".join(line + "\n" for line in lines))
    r = cafe("titles", "-q", "--json", "-k", "--resolver", f"127.0.0.1:{dns.port}", *args, path,
             timeout=120)
    assert r.returncode == 0, r.stderr[-500:]
    recs = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert [x["url"] for x in recs] == lines, recs
    return recs


def titles(recs):
    return [x["title"] or x["error"] for x in recs]


def test_a_page_that_checks_its_cookie_by_redirecting_to_itself_is_fetched():
    # A browser, requests and aiohttp get the page; without cookies the check never ends.
    # Both ways of following: curl's own, and a Location cafe resolves as a browser does
    # (a backslash), where the chain goes on in another transfer.
    lines = [U("/a/check"), U("/b/check?bs=1")]
    recs = run(lines)
    assert titles(recs) == ["Checked", "Checked"], recs
    assert [x["final_url"] for x in recs] == [U("/a/check"), U("/check?bs=1")], recs


def test_a_cookie_check_by_a_redirect_to_a_fragment_of_the_page_itself_is_fetched():
    # "Location: #checked" is the page itself: without a cookie set, the same resource answers
    # the same redirect, a loop said at once; setting one, the page is asked again with it, as
    # Chromium asks it (and shows "Checked"). cafe said "redirect loop" without asking.
    url = U("/f/check?frag=1")
    recs = run([url])
    assert titles(recs) == ["Checked"] and recs[0]["final_url"] == url + "#checked", recs


def test_a_cookie_is_sent_on_the_redirects_of_its_url_only():
    # -c 1: one transfer at a time, on the same pooled easy handle; the cookie of one URL
    # (set by a redirect, by a redirect cafe followed in a transfer of its own, or by the
    # final page) must reach neither the next URL on the same host nor the one after.
    lines = [set_url(U("/1/set"), ["leak=1"], "/1/show"), U("/1/show"),
             set_url(U("/2/set"), ["leak=2"], "\\2/show"), U("/2/show"),
             set_url(U("/3/set"), ["leak=3; Path=/"]), U("/3/show"),
             U("/4/check"), U("/4/check")]
    for args in (("-c", "1"), ("-c", "8", "--per-host", "1")):
        recs = run(lines, *args)
        assert titles(recs) == ["cookies: leak=1", "cookies: none", "cookies: leak=2",
                                "cookies: none", "set", "cookies: none", "Checked", "Checked"], \
            (args, recs)
    # each /check got its cookie from its own redirect, not from the one before
    with log_lock:
        checks = [c for _, _, p, c in log if p == "/4/check"]
    assert checks == [None, "check=ok", None, "check=ok"] * 2, checks


def test_a_retry_starts_without_the_cookies_of_the_attempt_before():
    recs = run([U("/r/flaky?k=one")], "--retries", "1")
    assert titles(recs) == ["cookies: none"] and recs[0]["attempts"] == 2, recs


def test_a_retry_starts_again_from_the_url_asked_for():
    # As curl --retry does with -L: a retry is the request again, from the URL of the list,
    # so the redirects before the failing page run again and set their cookies again. Where
    # cafe followed a redirect itself (a backslash in the Location), the retry went from that
    # redirect's target, without the cookies the chain had set: another request than asked.
    lines = [set_url(U("/rr/set"), ["chain=1; Path=/"], "/rr/flaky?k=curl"),
             set_url(U("/rr/set"), ["chain=1; Path=/"], "\\rr\\flaky?k=cafe")]
    recs = run(lines, "--retries", "1")
    assert titles(recs) == ["cookies: chain=1"] * 2, recs
    assert [x["attempts"] for x in recs] == [2, 2], recs
    assert [x["final_url"] for x in recs] == [U("/rr/flaky?k=curl"), U("/rr/flaky?k=cafe")], recs
    with log_lock:
        sets = [p for _, _, p, _ in log if p == "/rr/set"]
    assert len(sets) == 4, sets  # each chain twice: its first try and its retry


def test_a_redirect_to_a_host_not_yet_resolved_asks_the_redirecting_page_once():
    # cafe resolves a redirect's new host itself, then goes on from the redirect's target,
    # as a browser and curl -L go on. It asked the redirecting page again instead: twice for
    # a one-time link (the second answer is another: "expired"), and for a redirect to a new
    # host each time (a mirror picker, a per-request name) 22 requests, then "Could not
    # resolve host" for a name that resolves.
    recs = run([f"http://p.ok.test:{P}/sp/spread?k=one", f"http://p.ok.test:{P}/sp/spread?k=two"])
    assert titles(recs) == ["cookies: spread=1"] * 2, recs
    assert [x["final_url"] for x in recs] == [f"http://s1.ok.test:{P}/show"] * 2, recs
    assert [x["attempts"] for x in recs] == [1, 1], recs
    assert spread == {"one": 1, "two": 1}, spread


def test_a_host_name_of_dns_full_length_is_fetched():
    # 253 bytes, DNS's most: its origin key ("http://", the name, ":port") was cut at 255
    # bytes, and the name looked up was another, or its port lost ("Could not resolve host").
    name = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 51]) + ".long.test"
    assert len(name) == 253, len(name)
    url = f"http://{name}:{P}/show"
    recs = run([url, set_url(U("/long/set"), [], url)])
    assert titles(recs) == ["cookies: none"] * 2, recs
    assert [x["final_url"] for x in recs] == [url] * 2, recs


def test_the_accept_header_asks_for_the_page_a_browser_shows():
    # A server that negotiates answers curl's Accept: */* with JSON, a browser's with the
    # page. HTML first by default, as browsers ask; -H's own Accept line instead, never both.
    html = "text/html,*/*;q=0.8"
    recs = run([U("/a/negotiate")])
    assert titles(recs) == ["accept: " + html], recs
    recs = run([U("/a/negotiate")], "-H", "X-Other: 1")
    assert titles(recs) == ["accept: " + html], recs
    recs = run([U("/a/negotiate")], "-H", "accept: text/html;q=0.5")
    assert titles(recs) == ["accept: text/html;q=0.5"], recs
    recs = run([U("/a/negotiate")], "-H", "Accept: application/json")
    assert titles(recs) == ["not HTML (application/json)"], recs


def test_a_cookie_goes_only_under_its_path():
    recs = run([set_url(U("/p/set"), ["in=1; Path=/p/in", "all=1; Path=/"], "/q/show"),
                set_url(U("/p/set"), ["in=1; Path=/p/in", "all=1; Path=/"], "/p/in/show"),
                # no Path: the default path is the directory of the page that set it
                set_url(U("/d/set"), ["dir=1"], "/d/x/show"),
                set_url(U("/d/set"), ["dir=1"], "/e/show")])
    assert titles(recs) == ["cookies: all=1", "cookies: all=1; in=1", "cookies: dir=1",
                            "cookies: none"], recs


def test_a_cookie_goes_only_to_its_domain():
    # host-only unless Domain is given; a Domain the host is not in, or a public suffix
    # ("test"), is refused as browsers refuse it
    cookies = ["host=1", "dom=1; Domain=ok.test", "other=1; Domain=other.test",
               "tld=1; Domain=test"]
    x, y = f"x.ok.test:{P}", f"y.ok.test:{P}"
    recs = run([set_url(f"http://{x}/set", cookies, f"http://{y}/show"),
                set_url(f"http://{x}/set", cookies, f"http://{x}/show"),
                set_url(f"http://{x}/set", cookies, f"http://127.0.0.1:{P}/show")])
    assert titles(recs) == ["cookies: dom=1", "cookies: dom=1; host=1", "cookies: none"], recs


def test_a_cookie_header_of_the_callers_own_is_the_only_one():
    # as requests does: -H Cookie replaces the jar (curl would send both, in two headers)
    recs = run([set_url(U("/h/set"), ["jar=1; Path=/"], "/h/show")], "-H", "Cookie: mine=1")
    assert titles(recs) == ["cookies: mine=1"], recs
    recs = run([set_url(U("/h/set"), ["jar=1; Path=/"], "/h/show")], "-H", "Cookie:")
    assert titles(recs) == ["cookies: jar=1"], recs
    # curl's "Cookie;" is a Cookie header of the caller's own, empty: it alone is sent, never
    # beside the jar's (two Cookie headers, which no browser sends)
    recs = run([set_url(U("/h/set"), ["jar=1; Path=/"], "/h/empty/show")], "-H", "Cookie;")
    assert titles(recs) == ["cookies: none"], recs


def test_the_callers_credentials_go_to_the_origin_asked_for_alone():
    # -H Authorization and -H Cookie go along redirects to the origin asked for only, as
    # curl -L sends them (and browsers drop Authorization elsewhere). They went to any origin
    # a redirect led to when cafe took the hop itself, in a transfer of its own: a Location
    # curl reads otherwise than a browser (a backslash), a redirect whose body is not read,
    # a hop from http to https. Back at the origin asked for, they go again, as curl -L
    # sends them; they did not when the hop away was cafe's.
    creds = "creds: Authorization=Bearer s3cret | Cookie=sid=s3cret"
    other = f"http://away.ok.test:{P}"
    lines = [set_url(U("/set"), [], f"http:\\\\away.ok.test:{P}\\creds"),
             U("/big?" + urllib.parse.urlencode({"to": other + "/creds"})),
             U("/big?" + urllib.parse.urlencode({"to": S("/creds")})),
             set_url(U("/set"), [], other + "/creds"),  # curl's own hop
             set_url(U("/set"), [], "\\creds"),  # cafe's hop, the same origin
             U("/big?to=/creds"),
             set_url(U("/set"), [], set_url(f"http:\\\\back.ok.test:{P}\\set", [], U("/creds"))),
             set_url(U("/set"), [], set_url(f"http://back2.ok.test:{P}/set", [], U("/creds")))]
    recs = run(lines, "-H", "Authorization: Bearer s3cret", "-H", "Cookie: sid=s3cret")
    assert titles(recs) == ["creds:"] * 4 + [creds] * 4, recs
    assert [x["final_url"] for x in recs] == [other + "/creds"] * 2 + [S("/creds")] + [
        other + "/creds"] + [U("/creds")] * 4, recs


def test_the_urls_own_credentials_go_again_to_its_origin_when_a_redirect_comes_back():
    # http://user:pw@host/: curl -L sends the URL's credentials (Basic, decoded) on its
    # redirects to that origin alone, and again when one comes back to it from another. A
    # hop to another origin is cafe's own (a transfer of its own, for that origin's turn),
    # and the way back went without them.
    user = f"http://us%3Aer:p%40ss@127.0.0.1:{P}"
    basic = "creds: Authorization=Basic " + base64.b64encode(b"us:er:p@ss").decode()
    away = f"http://away.ok.test:{P}"
    lines = [set_url(user + "/set", [], set_url(away + "/set", [], U("/creds"))),
             set_url(user + "/set", [], "/creds"),  # curl's own hop, the same origin
             set_url(user + "/set", [], away + "/creds")]
    recs = run(lines)
    assert titles(recs) == [basic, basic, "creds:"], recs
    assert [x["final_url"] for x in recs] == [U("/creds"), user + "/creds", away + "/creds"], recs


def test_a_secure_cookie_goes_over_https_only():
    cookies = ["sec=1; Secure", "plain=1"]
    h = f"s.ok.test:{P}"
    recs = run([set_url(S("/set"), cookies, f"http://{h}/show"),
                set_url(S("/set"), cookies, S("/show")),
                # set over plain http (not a secure context): refused, as browsers refuse it
                set_url(f"http://{h}/set", ["hsec=1; Secure"], S("/show"))])
    assert titles(recs) == ["cookies: plain=1", "cookies: plain=1; sec=1", "cookies: none"], recs


def test_an_expired_cookie_is_not_sent():
    gone = "old=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
    recs = run([set_url(U("/x/set"), ["zero=1; Max-Age=0", gone, "kept=1; Max-Age=60"],
                        "/x/show"),
                # set, then deleted by the next redirect
                set_url(U("/y/set"), ["del=1; Path=/"],
                        set_url("/y/set", ["del=; Max-Age=0; Path=/"], "/y/show"))])
    assert titles(recs) == ["cookies: kept=1", "cookies: none"], recs


def bad_port_server(port):
    """serve() on `port`, counting the connections it accepts (conns)."""
    try:
        httpd = serve("http", port=port)
    except OSError as e:  # port 25 needs root (the namespace's own root will do)
        raise Skip(f"cannot listen on port {port}: {e}")
    httpd.conns = 0

    def verify(request, address):
        httpd.conns += 1
        return True
    httpd.verify_request = verify
    return httpd


def test_a_redirect_to_a_bad_port_is_refused_before_connecting():
    # The Fetch standard's bad ports (25: SMTP, 6697: IRC over TLS): a browser refuses to
    # connect there, so a hostile page cannot make it talk HTTP to another protocol's server.
    # Refused whichever way the redirect is followed: by curl, by cafe from the browser's URL
    # (a Location with backslashes), to a name cafe resolves (not looked up), and over a
    # connection kept from the list's own URL to that port (-c 1).
    for port in (25, 6697):
        bad = bad_port_server(port)
        try:
            target = f"http://127.0.0.1:{port}/show"
            lines = [U("/show"), set_url(U("/b/set"), [], target),
                     set_url(U("/b/set"), [], f"\\\\127.0.0.1:{port}/show"),
                     set_url(U("/b/set"), [], f"http://bad.ok.test:{port}/show")]
            recs = run(lines, "-c", "1")
            why = f"redirect refused (port {port}: a bad port, which browsers refuse)"
            assert [x["error"] for x in recs] == [None, why, why, why], recs
            assert [x["final_url"] for x in recs[1:]] == [
                target, target, f"http://bad.ok.test:{port}/show"], recs
            assert [x["status"] for x in recs[1:]] == [302] * 3, recs
            assert bad.conns == 0 and ("bad.ok.test", 1) not in dns.queries, dns.queries
            # a name curl has in its cache (--resolve): no lookup to stop at, the connection is
            pinned = f"http://pinned.test:{port}/show"
            recs = run([set_url(U("/b/set"), [], pinned)], "--resolve",
                       f"pinned.test:{port}:127.0.0.1")
            assert recs[0]["error"] == why and recs[0]["final_url"] == pinned, recs
            assert bad.conns == 0, bad.conns
            # given in the list, the port is the user's choice: fetched, as curl and httpx do;
            # a redirect to it, even on the connection that URL left open, is not
            recs = run([target, set_url(U("/b/set"), [], target)], "-c", "1")
            assert [x["title"] or x["error"] for x in recs] == ["cookies: none", why], recs
            assert bad.hits == 1 and bad.conns == 1, (bad.hits, bad.conns)
        finally:
            bad.shutdown()
            bad.server_close()


class PageProxy(http.server.BaseHTTPRequestHandler):
    """An HTTP proxy that answers every request itself: a page titled "Proxy " + the URL."""

    def do_GET(self):
        body = page("Proxy " + self.path)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_redirect_to_another_scheme_goes_through_that_schemes_proxy():
    # cafe reads curl's variables: http_proxy for http URLs, https_proxy for https ones, and
    # curl -L picks again at every hop. libcurl 7.88 takes the proxy set for a transfer's first
    # URL for all its hops: an https page's redirect to http went direct (no https_proxy),
    # past the http_proxy set: a hop out of the way the user set for its traffic.
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PageProxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["http_proxy"] = f"http://127.0.0.1:{proxy.server_address[1]}"
    try:
        before = plain.hits
        target = U("/show")
        r = cafe("titles", "-q", "--json", "-k", "--resolver", f"127.0.0.1:{dns.port}",
                 "-u", set_url(S("/set"), [], target), env=env, timeout=120)
        rec = json.loads(r.stdout)
        assert rec["title"] == f"Proxy {target}" and rec["final_url"] == target, rec
        assert plain.hits == before, plain.hits - before
    finally:
        proxy.shutdown()
        proxy.server_close()


def test_port_0_is_refused_at_once_not_retried():
    # No server can listen on port 0: connect() there fails on every try (ECONNREFUSED on
    # Linux), so retrying it only waits. It was "connection refused", tried 3 times; now a
    # permanent error before any connection, given in the list or as a redirect's target
    # (by curl, and by cafe from the browser's URL: a Location with backslashes).
    before = plain.hits
    recs = run(["http://127.0.0.1:0/show", set_url(U("/z/set"), [], "http://127.0.0.1:0/show"),
                set_url(U("/z/set"), [], "\\\\127.0.0.1:0/show")])
    given = "unusable URL: port 0 (no server can listen there)"
    moved = "redirect refused (port 0: no server can listen there)"
    assert [x["error"] for x in recs] == [given, moved, moved], recs
    assert [x["attempts"] for x in recs] == [0, 1, 1], recs
    assert [x["status"] for x in recs] == [None, 302, 302], recs
    assert plain.hits - before == 2, plain.hits - before


def test_a_101_to_a_request_for_no_upgrade_is_an_error_at_once():
    # Fetch: a 101 to a request that asked for no upgrade is a network error (Chromium fails
    # the navigation; Firefox shows no page of the bytes after it). libcurl 7.88 read the bytes
    # after it as the body until the server closed: a title, status 101, after 3 s here.
    for args in ((), ("--max-redirects", "0")):
        recs = run([U("/u/switch"), U("/u/show")], "--retries", "0", *args)
        want = "malformed response: HTTP 101 Switching Protocols to a request for no upgrade"
        assert [x["error"] for x in recs] == [want, None], recs
        assert recs[0]["status"] == 101 and recs[0]["title"] is None, recs
        assert recs[0]["time_ms"] < 2000, recs


def test_a_redirect_without_a_location_keeps_its_pages_title_with_the_error():
    # Chromium and Firefox show a 3xx without a Location as the page it is (Fetch follows a
    # redirect only to a Location): its title is the browser's. It stays an error, with the
    # title kept as an error page's is.
    for st in (301, 302, 303, 307, 308):
        recs = run([U(f"/n/nowhere?status={st}")])
        assert recs[0]["title"] == "Nowhere" and recs[0]["status"] == st, recs
        assert recs[0]["error"] == f"HTTP {st} redirect without a Location", recs


def test_a_redirect_with_locations_that_differ_is_an_error():
    # Chromium (ERR_RESPONSE_HEADERS_MULTIPLE_LOCATION) and Firefox (NS_ERROR_CORRUPTED_CONTENT)
    # refuse a response with several Location headers that differ; libcurl 7.88 followed the
    # first. The same one twice is followed. Each way cafe follows a redirect: on the same
    # host (curl's, and a backslashed Location cafe follows itself), to a host cafe resolves.
    other = f"http://o.ok.test:{P}/l/show"
    # the last of 33 differs, past the values cafe compares
    lists = [("/l/show", "/l/other/show"), ("\\l\\show", "/l/other/show"),
             (other, "/l/show"), ["/l/show"] * 32 + ["/l/other/show"], ("/l/show", "/l/show")]
    lines = [U("/l/locations?" + urllib.parse.urlencode([("to", a) for a in tos]))
             for tos in lists]
    recs = run(lines)
    why = "malformed response: its Location values differ"
    assert [x["error"] for x in recs] == [why] * 4 + [None], recs
    assert [x["final_url"] for x in recs[:4]] == lines[:4], recs
    assert [x["status"] for x in recs] == [302] * 4 + [200], recs
    assert recs[4]["title"] == "cookies: none", recs
    assert ("o.ok.test", 1) not in dns.queries, dns.queries


def test_a_body_in_codings_no_browser_knows_is_shown_as_it_came():
    # Chromium and Firefox pass a body through whose codings they know none of; libcurl 7.88
    # failed the transfer ("Unrecognized content encoding type"). A redirect in such a
    # coding leaves the next response decoded as usual.
    def coded(ce, **q):
        return U("/c/coded?" + urllib.parse.urlencode(dict(ce=ce, **q)))
    recs = run([coded("compress"), coded("x-foo, x-bar", t="Two"), coded("gzip", gz=1, t="Gz"),
                coded("x-foo", to=coded("gzip", gz=1, t="After"))])
    assert titles(recs) == ["Coded", "Two", "Gz", "After"], recs
    assert [x["error"] for x in recs] == [None] * 4, recs


def close():
    plain.shutdown()
    if secure:
        secure.shutdown()
    dns.stop()
    shutil.rmtree(TMP, ignore_errors=True)


run_tests(globals(), cleanup=(close,))
