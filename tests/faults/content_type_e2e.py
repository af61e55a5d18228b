"""The charset a response's Content-Type headers give, as browsers read them: each case is a
page whose title bytes read differently in each candidate encoding, served by a raw socket
server with exactly the given header lines (folded, repeated, malformed), and fetched by
`cafe titles --json --no-detect`. The expected encodings are what headless Chromium 156 and
Firefox ESR 153 both gave as document.characterSet for the same response (the pages loaded in
cross-origin iframes, so nothing was inherited); where they differ the case follows the Fetch
standard and is in tests/http/test_http_parse.c only."""
from faultlib import RawServer, match, run_json, run_tests

TITLE_BYTES = b"x\xcf\xf0\xe8\xe2\xe5\xf2"
# the title in each encoding a case may end in; None: declared nowhere (windows-1252)
TITLES = {"windows-1251": "x\u041f\u0440\u0438\u0432\u0435\u0442",
          "KOI8-R": "x\u043e\u041f\u0425\u0411\u0415\u0420",
          "ISO-8859-7": "x\u039f\u03c0\u03b8\u03b2\u03b5\u03c2",
          None: "x\u00cf\u00f0\u00e8\u00e2\u00e5\u00f2"}
META = b"<meta charset=iso-8859-7>"

# (name, Content-Type header lines, encoding, whether the page has a <meta> charset)
CASES = [
    ("empty parameter", b"Content-Type: text/html;;charset=windows-1251\r\n", "windows-1251", 0),
    ("folded", b"Content-Type: text/html;\r\n charset=windows-1251\r\n", "windows-1251", 0),
    ("folded by a tab", b"Content-Type: text/html;\r\n\tcharset=windows-1251\r\n",
     "windows-1251", 0),
    ("folded after an empty line", b"Content-Type:\r\n text/html; charset=windows-1251\r\n",
     "windows-1251", 0),
    ("two headers, charset carried", b"Content-Type: text/html; charset=windows-1251\r\n"
     b"Content-Type: text/html\r\n", "windows-1251", 0),
    ("two headers, another type", b"Content-Type: text/plain; charset=windows-1251\r\n"
     b"Content-Type: text/html\r\n", "ISO-8859-7", 1),
    ("two headers, */* skipped", b"Content-Type: text/html; charset=windows-1251\r\n"
     b"Content-Type: */*\r\n", "windows-1251", 0),
    ("two headers, invalid skipped", b"Content-Type: text/html; charset=windows-1251\r\n"
     b"Content-Type: invalid\r\n", "windows-1251", 0),
    ("two headers, empty skipped", b"Content-Type: text/html; charset=windows-1251\r\n"
     b"Content-Type: \r\n", "windows-1251", 0),
    ("two headers, the last charset", b"Content-Type: text/html; charset=windows-1251\r\n"
     b"Content-Type: text/html; charset=koi8-r\r\n", "KOI8-R", 0),
    ("three headers, the last charset carried", b"Content-Type: text/html;charset=windows-1251\r\n"
     b"Content-Type: text/html;charset=koi8-r\r\nContent-Type: text/html\r\n", "KOI8-R", 0),
    ("three headers, dropped by another type", b"Content-Type: text/html; charset=koi8-r\r\n"
     b"Content-Type: text/plain\r\nContent-Type: text/html\r\n", None, 0),
    ("a quote open across headers", b"Content-Type: text/html; charset=\"windows-1251\r\n"
     b"Content-Type: text/html; charset=koi8-r\r\n", None, 0),
    ("\"\" after a charset", b"Content-Type: text/html; charset=windows-1251\r\n"
     b"Content-Type: text/html; charset=\"\"\r\n", None, 0),
    ("32 headers, charset carried", b"Content-Type: text/html; charset=koi8-r\r\n" * 31 +
     b"Content-Type: text/html\r\n", "KOI8-R", 0),
    ("list, charset carried", b"Content-Type: text/html; charset=windows-1251, text/html\r\n",
     "windows-1251", 0),
    ("list, another type", b"Content-Type: text/plain; charset=windows-1251, text/html\r\n",
     None, 0),
    ("list, charset later", b"Content-Type: text/html, text/html; charset=windows-1251\r\n",
     "windows-1251", 0),
    ("list, comma quoted", b"Content-Type: text/html; charset=\"windows-1251, text/html\"\r\n",
     "ISO-8859-7", 1),
    ("list, comma in another parameter",
     b"Content-Type: text/html; foo=\"a,b\"; charset=windows-1251\r\n", "windows-1251", 0),
    ("quoted with an escape", b"Content-Type: text/html; charset=\"win\\dows-1251\"\r\n",
     "windows-1251", 0),
    ("quoted, unterminated", b"Content-Type: text/html; charset=\"windows-1251\r\n",
     "windows-1251", 0),
    ("quoted, junk after", b"Content-Type: text/html; charset=\"koi8-r\"x; charset=windows-1251\r\n",
     "KOI8-R", 0),
    ("quoted, an escaped quote", b"Content-Type: text/html; charset=\"koi8-r\\\"\"; "
     b"charset=windows-1251\r\n", None, 0),
    ("quoted, spaces inside", b"Content-Type: text/html; charset=\" windows-1251 \"\r\n",
     "windows-1251", 0),
    ("upper case", b"Content-Type: TEXT/HTML; CHARSET=WINDOWS-1251\r\n", "windows-1251", 0),
    ("space before ';'", b"Content-Type: text/html ; charset=windows-1251\r\n", "windows-1251", 0),
    ("spaces around '='", b"Content-Type: text/html; charset = windows-1251\r\n", None, 0),
    ("space after '='", b"Content-Type: text/html; charset= windows-1251\r\n", "windows-1251", 0),
    ("trailing tab", b"Content-Type: text/html; charset=windows-1251\t\r\n", "windows-1251", 0),
    ("a space inside the value", b"Content-Type: text/html; charset=windows-1251 x\r\n", None, 0),
    ("a parameter without '='", b"Content-Type: text/html; foo; charset=windows-1251\r\n",
     "windows-1251", 0),
    ("an empty value first", b"Content-Type: text/html; charset=; charset=windows-1251\r\n",
     "windows-1251", 0),
    ("an empty quoted value first", b"Content-Type: text/html; charset=\"\"; "
     b"charset=windows-1251\r\n", "ISO-8859-7", 1),
    ("an empty name", b"Content-Type: text/html; =windows-1251; charset=koi8-r\r\n", "KOI8-R", 0),
    ("the first charset", b"Content-Type: text/html; charset=windows-1251; charset=koi8-r\r\n",
     "windows-1251", 0),
    ("junk after the type", b"Content-Type: text/html garbage; charset=windows-1251\r\n",
     "windows-1251", 0),
    ("a comment after the type", b"Content-Type: text/html (c); charset=windows-1251\r\n",
     "windows-1251", 0),
    # no type at all, so the page is sniffed as HTML (the record has no content_type)
    ("no type before the space", b"Content-Type: text /html; charset=windows-1251\r\n", None, 0),
    ("an unknown label, then <meta>", b"Content-Type: text/html; charset=bogus-label\r\n",
     "ISO-8859-7", 1),
    ("a quoted label in single quotes", b"Content-Type: text/html; charset='windows-1251'\r\n",
     "ISO-8859-7", 1),
    ("a known label over <meta>", b"Content-Type: text/html; charset=windows-1251\r\n",
     "windows-1251", 1),
    ("a comment after the label", b"Content-Type: text/html; charset=windows-1251(c)\r\n",
     None, 0),
    ("a backslash unquoted", b"Content-Type: text/html; charset=win\\dows-1251\r\n", None, 0),
    ("a non-ASCII byte in the label", b"Content-Type: text/html; charset=windows-1251\xff\r\n",
     None, 0),
    # libcurl trims these from the values it keeps (not being HTTP whitespace, they are part
    # of the label for browsers); with a space before the line end, and in a folded line
    ("a vertical tab after the label", b"Content-Type: text/html;charset=koi8-r\x0b\r\n", None, 0),
    ("a form feed after the label", b"Content-Type: text/html;charset=koi8-r\x0c\r\n", None, 0),
    ("a vertical tab, then a space", b"Content-Type: text/html;charset=koi8-r\x0b \r\n", None, 0),
    ("a form feed folded", b"Content-Type: text/html;\r\n charset=koi8-r\x0c\r\n", None, 0),
]

# Types both browsers did not render as a page (they take them for types of their own)
NOT_PAGES = [
    ("a space after the slash", b"Content-Type: text/ html; charset=windows-1251\r\n", "text/"),
    ("no subtype", b"Content-Type: text/; charset=windows-1251\r\n", "text/"),
    ("a subtype that is no token", b"Content-Type: text/h@ml; charset=windows-1251\r\n",
     "text/h@ml"),
]


# Types MIME Sniffing reads as no type, sniffing the body (as Chromium 156 does; Firefox ESR 153
# offers the body as a download): (name, header lines, body, title, the error). The charset
# the header names is kept, as Chromium keeps it.
XHTML = (b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>'
         b"As XML</title></head></html>")
SNIFFED = [
    ("unknown/unknown", b"Content-Type: unknown/unknown\r\n", None, TITLES[None], None),
    ("upper case", b"Content-Type: UNKNOWN/Unknown\r\n", None, TITLES[None], None),
    ("application/unknown", b"Content-Type: application/unknown; charset=koi8-r\r\n",
     b"  \n<p>x<title>" + TITLE_BYTES + b"</title>", TITLES["KOI8-R"], None),
    ("a charset kept", b"Content-Type: unknown/unknown; charset=windows-1251\r\n", None,
     TITLES["windows-1251"], None),
    ("sniffed as XML", b"Content-Type: unknown/unknown\r\n", XHTML, "As XML", None),
    ("sniffed as text", b"Content-Type: unknown/unknown\r\n", b"hello <title>x</title>", None,
     "not HTML (unknown/unknown)"),
]


def reply(heads, meta, body=None):
    body = body or (b"<!DOCTYPE html><html><head>" + (META if meta else b"") + b"<title>" +
                    TITLE_BYTES + b"</title></head><body></body></html>")
    return lambda: iter((b"HTTP/1.1 200 OK\r\n" + heads + b"Content-Length: %d\r\n"
                         b"Connection: close\r\n\r\n" % len(body) + body,))


def fetch(cases, bodies=None):
    srv = RawServer({f"/{i}": reply(c[1], c[3] if len(c) > 3 else 0, bodies and bodies[i])
                     for i, c in enumerate(cases)})
    try:
        urls = [srv.url(f"/{i}") for i in range(len(cases))]
        recs, r = run_json(urls, "--no-detect", "--retries", "0")
        assert r.returncode == 0, (r.returncode, r.stderr[-500:])
        return recs
    finally:
        srv.close()


def test_charset_as_browsers_read_content_type():
    wrong = []
    for (name, _, enc, meta), rec in zip(CASES, fetch(CASES)):
        source = "header" if enc and not (meta and enc == "ISO-8859-7") else (
            "meta" if enc else "default")
        ctype = None if name == "no type before the space" else "text/html"
        want = {"status": 200, "content_type": ctype, "title": TITLES[enc],
                "charset": enc or "windows-1252", "charset_source": source, "error": None}
        if any(rec[k] != v for k, v in want.items()):
            wrong.append((name, {k: rec[k] for k in want}))
    assert not wrong, wrong


def test_types_browsers_do_not_render():
    for (name, _, ctype), rec in zip(NOT_PAGES, fetch(NOT_PAGES)):
        match(rec, {"status": 200, "content_type": ctype, "title": None,
                    "error": f"not HTML ({ctype})"})


def test_a_type_before_the_final_response_is_not_its_type():
    # The Content-Type of a redirect or of a 1xx before the page is theirs: a page without
    # one is sniffed, as Chromium does, without their charset. cafe took curl's last value
    # of the transfer: "not HTML (text/plain)", or the redirect's charset for the page's.
    early = b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n"
    body = (b"<!DOCTYPE html><html><head><title>" + TITLE_BYTES +
            b"</title></head><body></body></html>")
    page_ = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body)

    def moved(heads):
        return lambda: iter((b"HTTP/1.1 302 Found\r\nLocation: /page\r\n" + heads +
                             b"Content-Length: 0\r\nConnection: close\r\n\r\n",))
    srv = RawServer({
        "/page": lambda: iter((page_ + body,)),
        "/plain": moved(b"Content-Type: text/plain\r\n"),
        "/koi8": moved(b"Content-Type: text/html; charset=koi8-r\r\n"),
        "/two": moved(b"Content-Type: text/plain\r\nContent-Type: text/plain\r\n"),
        "/103": lambda: iter((early + b"Content-Type: text/plain; charset=koi8-r\r\n\r\n" +
                              page_ + body,))})
    try:
        paths = ["/plain", "/koi8", "/two", "/103"]
        recs, r = run_json([srv.url(p) for p in paths], "--no-detect", "--retries", "0")
        assert r.returncode == 0, (r.returncode, r.stderr[-500:])
        wrong = [(p, rec) for p, rec in zip(paths, recs)
                 if (rec["content_type"], rec["title"], rec["charset"], rec["error"]) !=
                 (None, TITLES[None], "windows-1252", None)]
        assert not wrong, wrong
    finally:
        srv.close()


def test_nosniff_leaves_a_page_without_a_type_unsniffed():
    # "X-Content-Type-Options: nosniff" (a header many servers add to every response): a
    # body without a type is shown as text by Chromium 156 and Firefox ESR 153, with no
    # title; with unknown/unknown it is no page in either. cafe sniffed it as HTML. The
    # header's first value decides (Fetch's "determine nosniff"); a type is kept as it is.
    no = "not HTML (no Content-Type, and X-Content-Type-Options: nosniff)"
    cases = [("none", b"X-Content-Type-Options: nosniff\r\n", None, no),
             ("*/*", b"Content-Type: */*\r\nX-Content-Type-Options: NoSniff , x\r\n", None, no),
             ("unknown", b"Content-Type: unknown/unknown\r\nX-Content-Type-Options: nosniff\r\n",
              None, "not HTML (unknown/unknown)"),
             ("not first", b"X-Content-Type-Options: x, nosniff\r\n", TITLES[None], None),
             ("typed", b"Content-Type: text/html\r\nX-Content-Type-Options: nosniff\r\n",
              TITLES[None], None)]
    recs = fetch([(n, h) for n, h, _, _ in cases])
    wrong = [(c[0], rec) for c, rec in zip(cases, recs) if (rec["title"], rec["error"]) != c[2:]]
    assert not wrong, wrong


def test_a_name_that_only_looks_like_content_type_gives_no_type():
    # A header named "Content-Type" with a control byte for its ':' (0x1A, which the header
    # function's loose name match reads as ':') is no Content-Type to libcurl: the page has
    # none and is sniffed, with no charset. The type read from the header function's own copy
    # of the value must not take it for one: neither as the page's type and charset, nor as
    # a second value that sends the lookup to curl's other Content-Type line.
    cases = [("0x1A for the colon",
              b"Content-Type\x1a text/html; charset=windows-1251; x=a:b\r\n"),
             ("0x1A for the colon, then a real one",
              b"Content-Type\x1a text/plain; charset=windows-1251; x=a:b\r\n"
              b"Content-Type: text/html\r\n")]
    want = [(None, TITLES[None], "windows-1252"), ("text/html", TITLES[None], "windows-1252")]
    recs = fetch(cases)
    got = [(rec["content_type"], rec["title"], rec["charset"]) for rec in recs]
    assert got == want, list(zip([c[0] for c in cases], recs))


def test_unknown_types_are_sniffed():
    # cafe took unknown/unknown and application/unknown for types of their own: "not HTML"
    recs = fetch([(n, h) for n, h, *_ in SNIFFED], [c[2] for c in SNIFFED])
    wrong = [(c[0], rec) for c, rec in zip(SNIFFED, recs)
             if (rec["title"], rec["error"], rec["content_type"]) !=
             (c[3], c[4], "application/unknown" if c[0] == "application/unknown"
              else "unknown/unknown")]
    assert not wrong, wrong


run_tests(globals())
