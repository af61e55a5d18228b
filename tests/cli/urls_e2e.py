"""URL lines as a browser reads them: `cafe titles` normalises each line to the URL the WHATWG
URL Standard (what browsers implement) makes of it, fetches that URL and records it. Each row
of the table is checked against a fixed URL (the request the server received, and the
record's url) and, where node is installed, against node's WHATWG `URL` class: the oracle
keeps the fixed values honest, the fixed values make the test fail without the oracle too.
Run by test_urls.sh inside a fresh network namespace; every request goes to a server on
127.0.0.1 (names are pinned there with --resolve); a row whose URL is an https one or names
port 80 where no server could take it is checked by its record's url alone."""
import html
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.join(os.environ["CAFE_SOURCE_DIR"], "tests", "util"))
from harness import HeadServer, cafe, http_reply, run_tests  # noqa: E402


def reply(head):
    """The page's title is the request as the server read it: its target and Host. /go/a/N
    redirects to REDIRECTS[N]'s Location."""
    lines = head.split(b"\r\n")
    target = lines[0].split(b" ")[1].decode("latin-1")
    host = next((l[5:].strip().decode("latin-1") for l in lines[1:]
                 if l.lower().startswith(b"host:")), "")
    if target.startswith(("/go/a/", "/go/f/")) and target[6:].isdigit():
        row = (REDIRECTS if target[4] == "a" else FRAGMENTS)[int(target[6:])]
        loc = row[0 if target[4] == "a" else 1].format(P=P).encode()
        return b"HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n" \
            b"Connection: close\r\n\r\n" % loc
    return http_reply(f"<title>{html.escape(target + ' ' + host)}</title>".encode())


srv = HeadServer(reply)
P = srv.port
try:  # http's default port, for the rows whose URL has none (root in the test's namespace)
    srv80 = HeadServer(reply, 80)
except OSError as e:
    print(f"# no server on port 80 ({e}): those rows' fetches are not checked", flush=True)
    srv80 = None
tmp = tempfile.mkdtemp(prefix="cafe-urls-")

# (line, the URL a browser makes of it or None where it refuses the line[, node's URL where
# node differs from the browsers]). {P}: the port.
ROWS = [
    # A trailing dot after an IPv4 address: the WHATWG IPv4 parser drops it.
    ("http://127.0.0.1.:{P}/a", "http://127.0.0.1:{P}/a"),
    ("http://0x7f.1.:{P}/b", "http://127.0.0.1:{P}/b"),
    # The numeric forms of an IPv4 address (curl's parser agrees).
    ("http://0x7f.1:{P}/c", "http://127.0.0.1:{P}/c"),
    ("http://2130706433:{P}/d", "http://127.0.0.1:{P}/d"),
    ("http://127.1:{P}/e", "http://127.0.0.1:{P}/e"),
    ("http://0177.0.0.1:{P}/f", "http://127.0.0.1:{P}/f"),
    ("http://0x7F000001:{P}/g", "http://127.0.0.1:{P}/g"),
    ("http://127.000.000.001:{P}/h", "http://127.0.0.1:{P}/h"),
    # A host whose last label is a number is an IPv4 address or nothing: never a DNS name.
    ("http://127.0.0.1.1:{P}/", None),
    ("http://127.0.0.256:{P}/", None),
    ("http://127.0.0.09:{P}/", None),
    ("http://example.0x:{P}/", None),
    ("http://4294967296:{P}/", None),
    # A scheme's default port is dropped.
    ("http://www.cafe.test:80/i", "http://www.cafe.test/i"),
    ("https://www.cafe.test:443/j", "https://www.cafe.test/j"),
    ("https://www.cafe.test:80/k", "https://www.cafe.test:80/k"),
    ("http://www.cafe.test:443/l", "http://www.cafe.test:443/l"),
    # An ASCII host is lower-cased, percent-decoded first.
    ("HTTP://WWW.Cafe.TEST:{P}/m", "http://www.cafe.test:{P}/m"),
    ("http://www.cafe.tes%54:{P}/n", "http://www.cafe.test:{P}/n"),
    # A backslash is a slash before the query, and slashes after "http:" are any number of
    # either, or none.
    (r"http:\\www.cafe.test:{P}\a\b", "http://www.cafe.test:{P}/a/b"),
    (r"http://www.cafe.test:{P}\c", "http://www.cafe.test:{P}/c"),
    (r"http:/\www.cafe.test:{P}/d", "http://www.cafe.test:{P}/d"),
    ("http:www.cafe.test:{P}/e", "http://www.cafe.test:{P}/e"),
    ("http:///www.cafe.test:{P}/f", "http://www.cafe.test:{P}/f"),
    (r"http://www.cafe.test:{P}/g?h\i#j\k", r"http://www.cafe.test:{P}/g?h\i#j\k"),
    # "%2e" is a dot in a path's dot segments.
    ("http://www.cafe.test:{P}/x/%2e%2e/o", "http://www.cafe.test:{P}/o"),
    ("http://www.cafe.test:{P}/x/y/%2E./p", "http://www.cafe.test:{P}/x/p"),
    ("http://www.cafe.test:{P}/q/x/.%2e", "http://www.cafe.test:{P}/q/"),
    (r"http://www.cafe.test:{P}/r/%2e\s", "http://www.cafe.test:{P}/r/s"),
    ("http://www.cafe.test:{P}/t/%2e%2e%2e/.%2f", "http://www.cafe.test:{P}/t/%2e%2e%2e/.%2f"),
    ("http://www.cafe.test:{P}/u?%2e%2e/../", "http://www.cafe.test:{P}/u?%2e%2e/../"),
    # Each part percent-encodes its own set of bytes, in upper-case hex; a space in the query
    # is %20, not '+'.
    ("http://www.cafe.test:{P}/v w\"x<y>z`{{}}|'", "http://www.cafe.test:{P}/v%20w%22x%3Cy%3Ez%60%7B%7D|'"),
    # '^' in the path: Chromium and Firefox encode it; node 20's URL does not (its answer is
    # the third item).
    ("http://www.cafe.test:{P}/v^", "http://www.cafe.test:{P}/v%5E", "http://www.cafe.test:{P}/v^"),
    ("http://www.cafe.test:{P}/w?a b\"c'd<e>f`{{}}", "http://www.cafe.test:{P}/w?a%20b%22c%27d%3Ce%3Ef`{{}}"),
    ("http://www.cafe.test:{P}/x#a b\"c<d>e`f'{{}}#", "http://www.cafe.test:{P}/x#a%20b%22c%3Cd%3Ee%60f'{{}}#"),
    ("http://www.cafe.test:{P}/\u00e9?\u00e9#\u00e9", "http://www.cafe.test:{P}/%C3%A9?%C3%A9#%C3%A9"),
    ("http://www.cafe.test:{P}/%c3%a9%7e", "http://www.cafe.test:{P}/%c3%a9%7e"),
    ("http://www.cafe.test:{P}/y'?a'b", "http://www.cafe.test:{P}/y'?a%27b"),
    # An IPv6 address is written as the standard serialises it: lower-case hex, the first
    # longest run of zeros compressed, an IPv4 part in hex. No zone ID.
    ("http://[::FFFF:127.0.0.1]:{P}/z", "http://[::ffff:7f00:1]:{P}/z"),
    ("http://[0:0:0:0:0:FFFF:7F00:1]:{P}/za", "http://[::ffff:7f00:1]:{P}/za"),
    ("http://[0:0:0:0:0:ffff:7f00:1]:{P}/zb", "http://[::ffff:7f00:1]:{P}/zb"),
    ("http://[::1%251]:{P}/zc", None),
    # Userinfo: written when not empty, split at the first ':' and ended by the last '@',
    # percent-encoded with its own set.
    ("http://@www.cafe.test:{P}/ua", "http://www.cafe.test:{P}/ua"),
    ("http://:@www.cafe.test:{P}/ub", "http://www.cafe.test:{P}/ub"),
    ("http://u:@www.cafe.test:{P}/uc", "http://u@www.cafe.test:{P}/uc"),
    ("http://u v:p\"q@www.cafe.test:{P}/ud", "http://u%20v:p%22q@www.cafe.test:{P}/ud"),
    ("http://u@v:p:q@www.cafe.test:{P}/ue", "http://u%40v:p%3Aq@www.cafe.test:{P}/ue"),
    ("http://a^b|c;d=e[f]g`{{}}\u00e9@www.cafe.test:{P}/uf",
     "http://a%5Eb%7Cc%3Bd%3De%5Bf%5Dg%60%7B%7D%C3%A9@www.cafe.test:{P}/uf"),
    ("http://%40:%3a@www.cafe.test:{P}/ug", "http://%40:%3a@www.cafe.test:{P}/ug"),
    # An empty query is a query ("/p?" is requested, not "/p"), and an empty fragment is kept
    # in the URL; libcurl 7.88's URL API drops both when it writes a URL.
    ("http://www.cafe.test:{P}/q1?", "http://www.cafe.test:{P}/q1?"),
    ("HTTP://www.cafe.test:{P}/q2?", "http://www.cafe.test:{P}/q2?"),
    ("http://www.cafe.test:{P}/q3?#", "http://www.cafe.test:{P}/q3?#"),
    ("http://www.cafe.test:{P}/q4#", "http://www.cafe.test:{P}/q4#"),
    ("http://www.cafe.test:{P}/q5?#f", "http://www.cafe.test:{P}/q5?#f"),
    ("http://www.cafe.test:{P}?", "http://www.cafe.test:{P}/?"),
    ("http://www.cafe.test:{P}/q6??", "http://www.cafe.test:{P}/q6??"),
    # An "xn--" label must be the Punycode of a Unicode label (domain to ASCII): Firefox and
    # node refuse the others before any lookup (Chromium 156 looks them up). Firefox also
    # refuses one that decodes to ASCII alone, where node 20 takes it (its answer third).
    ("http://xn--zz:{P}/", None),
    ("http://xn--:{P}/", None),
    ("http://a.xn--zz.test:{P}/", None),
    ("http://XN--ZZ.test:{P}/", None),
    ("http://xn--9.test:{P}/", None),
    ("http://xn--a.test:{P}/", None),
    ("http://xn--abc-.test:{P}/", None, "http://xn--abc-.test:{P}/"),
    ("http://xn--bcher-kva.cafe.test:{P}/i1", "http://xn--bcher-kva.cafe.test:{P}/i1"),
    ("http://XN--BCHER-KVA.cafe.test:{P}/i2", "http://xn--bcher-kva.cafe.test:{P}/i2"),
    ("http://xn--ls8h.cafe.test:{P}/i3", "http://xn--ls8h.cafe.test:{P}/i3"),
    # And the label it decodes to must pass UTS #46's validity criteria as the URL Standard
    # sets them (domain to ASCII, CheckJoiners on, CheckHyphens off): NFC, no leading
    # combining mark, each code point valid or a deviation, ZWNJ/ZWJ in their contexts.
    ("http://xn--a-ecp.test:{P}/", None),  # "a\u2488": disallowed
    ("http://xn--4ba.test:{P}/", None),  # "\u00c1": mapped (to "\u00e1"), not valid
    ("http://xn--x-vca.test:{P}/", None),  # "x\u00ad": a soft hyphen, ignored
    ("http://xn--e-xbb.test:{P}/", None),  # "e\u0301": not NFC
    ("http://xn--a-wbb.test:{P}/", None),  # "\u0301a": a leading combining mark
    ("http://xn--0ug.test:{P}/", None),  # "\u200c" alone: ZWNJ out of its context
    ("http://xn--zca.cafe.test:{P}/i4", "http://xn--zca.cafe.test:{P}/i4"),  # a deviation
    ("http://xn--ber-goa.cafe.test:{P}/i5", "http://xn--ber-goa.cafe.test:{P}/i5"),
    # A Unicode host is recorded as written (cafe's choice: node's href, third, is the ASCII
    # form); the request (its Host) goes to the ASCII form browsers look up (libidn2: UTS #46,
    # non-transitional, "\u00df" kept), which the final URL names.
    ("http://b\u00fccher.cafe.test:{P}/h1", "http://b\u00fccher.cafe.test:{P}/h1",
     "http://xn--bcher-kva.cafe.test:{P}/h1"),
    ("http://B\u00dcCHER.Cafe.TEST:{P}/h2", "http://B\u00dcCHER.Cafe.TEST:{P}/h2",
     "http://xn--bcher-kva.cafe.test:{P}/h2"),
    ("http://fa\u00df.cafe.test:{P}/h3", "http://fa\u00df.cafe.test:{P}/h3",
     "http://xn--fa-hia.cafe.test:{P}/h3"),
    ("http://\u2665.cafe.test:{P}/h4", "http://\u2665.cafe.test:{P}/h4",
     "http://xn--g6h.cafe.test:{P}/h4"),
    ("http://b\u00fccher\u3002cafe.test:{P}/h5", "http://b\u00fccher\u3002cafe.test:{P}/h5",
     "http://xn--bcher-kva.cafe.test:{P}/h5"),
    # Where UTS #46's non-transitional processing fails in libidn2, libcurl converts again,
    # transitionally, which maps the deviations ("\u00df" to "ss", "\u03c2" to "\u03c3") and
    # drops ZWNJ and ZWJ: another host than the one browsers look up (xn--ss-u0x for
    # "\u00df\u2665", "ab" for "a\u200cb"), or one they refuse. Refused: for the first two
    # browsers fetch the form libidn2 cannot make (node's href, third: IDNA2008 refuses
    # "\u2665" in libidn2's non-transitional mode).
    ("http://\u00df\u2665.cafe.test:{P}/", None, "http://xn--zca623q.cafe.test:{P}/"),
    ("http://\u03c2\u2665.cafe.test:{P}/", None, "http://xn--3xa848o.cafe.test:{P}/"),
    ("http://a\u200cb.cafe.test:{P}/", None),
    ("http://\U0001f468\u200d\U0001f469.cafe.test:{P}/", None),
]


# (a redirect's Location, the URL a browser goes to from http://127.0.0.1:{P}/go/a/N, or None
# where it refuses the Location).
REDIRECTS = [
    # A backslash is a slash; the page's own scheme without "//" is relative to the page.
    ("\\x", "http://127.0.0.1:{P}/x"),
    ("http:rel", "http://127.0.0.1:{P}/go/a/rel"),
    ("http:/abs", "http://127.0.0.1:{P}/abs"),
    ("http:\\\\127.0.0.1:{P}\\y", "http://127.0.0.1:{P}/y"),
    ("\\\\127.0.0.1.:{P}/z", "http://127.0.0.1:{P}/z"),
    # Spaces around it and tabs inside it go.
    ("/t\tab", "http://127.0.0.1:{P}/tab"),
    # And the rest as for list lines: dot segments, encoding, host, port.
    ("/a/%2e%2e/b", "http://127.0.0.1:{P}/b"),
    ("/\u00e9?a b'c", "http://127.0.0.1:{P}/%C3%A9?a%20b%27c"),
    ("HTTP://WWW.Cafe.TEST:{P}/up", "http://www.cafe.test:{P}/up"),
    ("http://www.cafe.test:80/p80", "http://www.cafe.test/p80"),
    ("//www.cafe.test:{P}/sr", "http://www.cafe.test:{P}/sr"),
    ("x/../y", "http://127.0.0.1:{P}/go/a/y"),
    # An empty query is requested as such.
    ("/r1?", "http://127.0.0.1:{P}/r1?"),
    ("HTTP://www.cafe.test:{P}/r2?", "http://www.cafe.test:{P}/r2?"),
    # A fragment is kept in the URL, an empty one too (never sent).
    ("/r3#", "http://127.0.0.1:{P}/r3#"),
    ("/r4?#", "http://127.0.0.1:{P}/r4?#"),
    ("/r5#f", "http://127.0.0.1:{P}/r5#f"),
    ("http://www.cafe.test:{P}/r6#", "http://www.cafe.test:{P}/r6#"),
    # A Location a browser refuses is an error, never a lookup or a request.
    ("http://127.0.0.1.1:{P}/bad", None),
    ("http://[::1%251]:{P}/bad", None),
    ("http://xn--zz.test:{P}/bad", None),
    # A Unicode host, UTF-8, upper-case or percent-encoded: fetched from its ASCII form,
    # which the final URL names, as browsers write it.
    ("http://b\u00fccher.cafe.test:{P}/ru", "http://xn--bcher-kva.cafe.test:{P}/ru"),
    ("//B\u00dcCHER.cafe.test:{P}/rv", "http://xn--bcher-kva.cafe.test:{P}/rv"),
    ("http://b%C3%BCcher.cafe.test:{P}/rw", "http://xn--bcher-kva.cafe.test:{P}/rw"),
    ("http://\u00df\u2665.cafe.test:{P}/rx", None, "http://xn--zca623q.cafe.test:{P}/rx"),
]


# (the fragment of the URL asked for, the Location /go/f/N answers with, the URL a browser ends
# at). A Location without a fragment takes the fragment of the URL redirected from (the Fetch
# standard's HTTP-redirect fetch; Chromium and Firefox, checked by hand): node's URL knows
# nothing of it, and libcurl drops it.
FRAGMENTS = [
    ("#x", "/f0", "http://127.0.0.1:{P}/f0#x"),
    ("#x", "/f1#y", "http://127.0.0.1:{P}/f1#y"),
    ("#x", "/f2#", "http://127.0.0.1:{P}/f2#"),
    ("#x", "http://www.cafe.test:{P}/f3", "http://www.cafe.test:{P}/f3#x"),
    ("#x", "\\f4", "http://127.0.0.1:{P}/f4#x"),  # a Location curl reads otherwise
    ("#x", "/go/f/7", "http://127.0.0.1:{P}/f7#x"),  # through two redirects
    ("", "/go/f/7#y", "http://127.0.0.1:{P}/f7#y"),  # a Location's own, taken by the next
    ("", "/f7", "http://127.0.0.1:{P}/f7"),
    ("#", "/f8", "http://127.0.0.1:{P}/f8#"),  # an empty fragment is one
]


def node_hrefs(lines, base=None):
    """node's WHATWG URL for each line, resolved against base[i] when given (None where it
    throws); None when node is missing."""
    node = shutil.which("node")
    if not node:
        return None
    js = ("const [ls,bs]=JSON.parse(require('fs').readFileSync(0,'utf8'));"
          "console.log(JSON.stringify(ls.map((l,i)=>{try{return new URL(l,bs[i]??undefined).href}"
          "catch(e){return null}})))")
    r = subprocess.run([node, "-e", js], input=json.dumps([lines, base or [None] * len(lines)]),
                       capture_output=True, timeout=60, check=True, text=True)
    return json.loads(r.stdout)


def test_lines_are_the_urls_a_browser_makes():
    lines = [line.format(P=P) for line, *_ in ROWS]
    want = [w.format(P=P) if w else None for _, w, *_ in ROWS]
    node_want = [(r[2] if len(r) > 2 else r[1] or "").format(P=P) or None for r in ROWS]
    path = os.path.join(tmp, "urls.txt")
    with open(path, "w") as f:
        f.write("".join(l + "\n" for l in lines))
    pins = [f"www.cafe.test:{p}:127.0.0.1" for p in (P, 80, 443)]
    pins += [f"{h}.cafe.test:{P}:127.0.0.1" for h in ("xn--bcher-kva", "xn--ls8h", "xn--zca",
                                                    "xn--ber-goa", "xn--fa-hia", "xn--g6h")]
    r = cafe("titles", "-q", "--json", "--retries", "0",
             *[a for p in pins for a in ("--resolve", p)], path)
    recs = [json.loads(l) for l in r.stdout.decode().splitlines()]
    assert len(recs) == len(lines), (r.stderr, recs)
    oracle = node_hrefs(lines)
    if oracle is None:
        print("# node not found: rows checked against the fixed URLs only", flush=True)
    wrong = []
    for line, w, nw, rec, o in zip(lines, want, node_want, recs, oracle or [None] * len(lines)):
        if oracle is not None and o != nw:
            wrong.append(f"{line!r}: node says {o!r}, the table {nw!r}")
        if w is None:
            if not (rec["error"] or "").startswith("invalid URL"):
                wrong.append(f"{line!r}: taken as {rec['url']!r} ({rec['error']!r}), "
                             "a browser refuses it")
            continue
        u = urllib.parse.urlsplit(w)
        if u.scheme == "https" or (u.port or 80) not in (P, 80 if srv80 else P):
            if rec["url"] != w:
                wrong.append(f"{line!r}: recorded {rec['url']!r}, want {w!r}")
            continue
        target = w.split(u.netloc, 1)[1].split("#")[0] or "/"  # an empty query included
        host = urllib.parse.urlsplit(nw).netloc  # a Unicode host's ASCII form
        seen = f"{target} {host.rsplit('@', 1)[-1]}"
        if (rec["url"], rec["title"]) != (w, seen):
            wrong.append(f"{line!r}: recorded {rec['url']!r} title {rec['title']!r} "
                         f"error {rec['error']!r}; want {w!r} title {seen!r}")
        if host != u.netloc and rec["final_url"] != nw:  # a Unicode host's ASCII form
            wrong.append(f"{line!r}: final_url {rec['final_url']!r}, want {nw!r}")
        # where curl's own URL would lose them, the final URL keeps an empty query or fragment
        if ("?#" in w or w.endswith(("?", "#"))) and rec["final_url"] != w:
            wrong.append(f"{line!r}: final_url {rec['final_url']!r}, want {w!r}")
    for w in wrong:
        print("# " + w, flush=True)
    assert not wrong, f"{len(wrong)} of {len(lines)} rows wrong"


def test_redirects_go_where_a_browser_goes():
    starts = [f"http://127.0.0.1:{P}/go/a/{i}" for i in range(len(REDIRECTS))]
    path = os.path.join(tmp, "redirects.txt")
    with open(path, "w") as f:
        f.write("".join(u + "\n" for u in starts))
    pins = [f"www.cafe.test:{p}:127.0.0.1" for p in (P, 80)]
    pins.append(f"xn--bcher-kva.cafe.test:{P}:127.0.0.1")
    r = cafe("titles", "-q", "--json", "--retries", "0",
             *[a for p in pins for a in ("--resolve", p)], path)
    recs = [json.loads(l) for l in r.stdout.decode().splitlines()]
    assert len(recs) == len(starts), (r.stderr, recs)
    locs = [loc.format(P=P) for loc, *_ in REDIRECTS]
    oracle = node_hrefs(locs, starts)
    wrong = []
    for i, ((loc, w, *node), rec) in enumerate(zip(REDIRECTS, recs)):
        w = w.format(P=P) if w else None
        nw = node[0].format(P=P) if node else w
        if oracle is not None and oracle[i] != nw:
            wrong.append(f"{loc!r}: node says {oracle[i]!r}, the table {nw!r}")
        if w is None:
            if not (rec["error"] or "").startswith("malformed redirect Location"):
                wrong.append(f"Location {loc!r}: went to {rec['final_url']!r} "
                             f"({rec['error']!r}), a browser refuses it")
            continue
        u = urllib.parse.urlsplit(w)
        if (u.port or 80) not in (P, 80 if srv80 else P):
            continue
        host = urllib.parse.urlsplit(nw).netloc  # a Unicode host's ASCII form
        seen = f"{w.split(u.netloc, 1)[1].split('#')[0]} {host}"
        if (rec["final_url"], rec["title"]) != (w, seen):
            wrong.append(f"Location {loc!r}: went to {rec['final_url']!r} title {rec['title']!r} "
                         f"error {rec['error']!r}; want {w!r} title {seen!r}")
    for w in wrong:
        print("# " + w, flush=True)
    assert not wrong, f"{len(wrong)} of {len(starts)} redirects wrong"


def test_redirects_keep_the_fragment_as_browsers_do():
    starts = [f"http://127.0.0.1:{P}/go/f/{i}{frag}" for i, (frag, *_) in enumerate(FRAGMENTS)]
    path = os.path.join(tmp, "fragments.txt")
    with open(path, "w") as f:
        f.write("".join(u + "\n" for u in starts))
    r = cafe("titles", "-q", "--json", "--retries", "0", "--resolve",
             f"www.cafe.test:{P}:127.0.0.1", path)
    recs = [json.loads(l) for l in r.stdout.decode().splitlines()]
    assert len(recs) == len(starts), (r.stderr, recs)
    wrong = []
    for start, (_, loc, w), rec in zip(starts, FRAGMENTS, recs):
        w = w.format(P=P)
        u = urllib.parse.urlsplit(w)
        seen = f"{u.path} {u.netloc}"
        if (rec["url"], rec["final_url"], rec["title"]) != (start, w, seen):
            wrong.append(f"{start} (Location {loc!r}): recorded {rec['url']!r}, went to "
                         f"{rec['final_url']!r} title {rec['title']!r} error {rec['error']!r}; "
                         f"want {w!r} title {seen!r}")
    for w in wrong:
        print("# " + w, flush=True)
    assert not wrong, f"{len(wrong)} of {len(starts)} redirects wrong"


run_tests(globals(), cleanup=(srv.close, *([srv80.close] if srv80 else []), lambda: shutil.rmtree(tmp, ignore_errors=True)))
