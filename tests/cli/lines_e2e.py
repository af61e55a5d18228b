"""What a user feeds `cafe titles` (issue 15 items 2, 3, 4, 8, 16, 18, 19, 20): IDN hosts, a
BOM, -o naming the input, odd URL lines, long and NUL-bearing lines, the summary line, several
files, -u URLs and a proxy. Run by
test_lines.sh inside a fresh network namespace, against the fixture on loopback."""
import fcntl
import json
import os
import resource
import select
import signal
import subprocess
import sys
import tempfile
import termios
import threading

sys.path.insert(0, os.path.join(os.environ["CAFE_SOURCE_DIR"], "tests", "util"))
from harness import CAFE, Fixture, HeadServer, cafe, free_ports, http_reply, run_tests  # noqa: E402

fx = Fixture("--sites", "2", "--size", "2000")
PORT = fx.ports[0]
tmp = tempfile.mkdtemp(prefix="cafe-lines-")


def title(site, page):
    return f"Site {site} page {page} \u2014 cafe fixture"


def write(name, data):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def run_json(path, *args):
    r = cafe("titles", "-q", "--json", "--retries", "0", *args, path)
    assert r.returncode == 0, r.stderr
    return [json.loads(l) for l in r.stdout.decode().splitlines()]


def test_idn_host_is_fetched_and_recorded_as_written():
    # libcurl converts bücher.example to xn--bcher-kva.example (libidn2); the record keeps
    # the URL as the user wrote it. LANG=C too: cafe reads its input as UTF-8 anyway.
    lines = f"http://b\u00fccher.example:{PORT}/page/1\nb\u00fccher.example:{PORT}/page/2\n"
    path = write("idn.txt", lines.encode())
    pin = f"xn--bcher-kva.example:{PORT}:127.0.0.1"
    for env in ({"LANG": "C", "LC_ALL": "C"}, {"LANG": "C.UTF-8"}):
        r = cafe("titles", "-q", "--json", "--scheme", "http", "--resolve", pin, path,
                 env=dict(os.environ, **env))
        recs = [json.loads(l) for l in r.stdout.decode().splitlines()]
        assert [x["title"] for x in recs] == [title(0, 1), title(0, 2)], (env, recs)
        assert recs[0]["url"] == f"http://b\u00fccher.example:{PORT}/page/1", recs[0]
    # --resolve is matched against the ASCII form: written in Unicode it never matched, and
    # the URLs went to the real DNS name instead of the address pinned. Refused, naming the
    # form to write.
    r = cafe("titles", "-q", "--resolve", f"b\u00fccher.example:{PORT}:127.0.0.1", path)
    assert r.returncode == 2 and r.stdout == b"", r
    assert "write the host in its ASCII form, as requests look it up: " \
        f"xn--bcher-kva.example: 'b\u00fccher.example:{PORT}:127.0.0.1'" in r.stderr.decode(), \
        r.stderr
    # a host that is not valid UTF-8 is a bad line, not a request (and resumes cleanly)
    bad = write("badhost.txt", b"\xff\xfe\xfd\n")
    recs = run_json(bad)
    assert len(recs) == 1 and recs[0]["error"].startswith("invalid URL"), recs


def test_resume_of_an_invalid_utf8_line_adds_nothing():
    # issue 15 item 8: each resume used to add another record for this line
    path = write("b.txt", b"\xff\xfe\xfd\n" + f"http://127.0.0.1:{PORT}/page/3\n".encode())
    out = os.path.join(tmp, "b.jsonl")
    r = cafe("titles", "-q", "--json", "-o", out, path)
    assert r.returncode == 0, r.stderr
    for _ in range(2):
        r = cafe("titles", "--json", "--resume", "-o", out, path)
        assert r.returncode == 0 and b"2 already done" in r.stderr, r.stderr
    with open(out) as f:
        assert len(f.read().splitlines()) == 2


def test_duplicate_lines_get_one_record_each_through_resume():
    # issue 15 item 15: one record per input line, fresh or resumed
    u = f"http://127.0.0.1:{PORT}/page/30"
    one = write("dup1.txt", (u + "\n").encode())
    two = write("dup2.txt", (u + "\n" + u + "\n").encode())
    assert len(run_json(two)) == 2
    out = os.path.join(tmp, "dup.jsonl")
    assert cafe("titles", "-q", "--json", "-o", out, one).returncode == 0  # as if cut short
    r = cafe("titles", "--json", "--resume", "-o", out, two)
    assert r.returncode == 0 and b"1 already done" in r.stderr, r.stderr
    r = cafe("titles", "--json", "--resume", "-o", out, two)
    assert r.returncode == 0 and b"2 already done" in r.stderr, r.stderr
    with open(out) as f:
        assert [json.loads(l)["url"] for l in f] == [u, u]


def test_bom_is_skipped():
    path = write("bom.txt", b"\xef\xbb\xbf" + f"http://127.0.0.1:{PORT}/page/4\n".encode())
    assert [x["title"] for x in run_json(path)] == [title(0, 4)]
    # a BOM before a comment: still a comment, not a URL
    path = write("bomc.txt", b"\xef\xbb\xbf# c\n" + f"http://127.0.0.1:{PORT}/page/5\n".encode())
    assert [x["title"] for x in run_json(path)] == [title(0, 5)]
    # a BOM before an over-long first line: no part of its record's url either. Kept when the
    # line was longer than one read, that url (and the key --resume finds it by) changed with
    # how the list came in: piped, the same list got a second record of it
    for n in (9000, 100000):
        line = "http://127.0.0.1/" + "a" * n
        recs = run_json(write("bomlong.txt", b"\xef\xbb\xbf" + line.encode() + b"\n"))
        assert [(x["url"], x["error"]) for x in recs] == \
            [(line[:1024] + "\u2026", "invalid URL: line too long")], (n, recs[0]["url"][:8])


def test_lone_cr_ends_a_line_as_lf_and_crlf_do():
    # A list with classic Mac OS line ends (CR alone, as some editors and spreadsheet exports
    # still write) was one line holding every URL: one record, "control character in URL".
    u = [f"http://127.0.0.1:{PORT}/page/{i}" for i in (21, 22, 23, 24)]
    cr = write("cr.txt", f"{u[0]}\r{u[1]}\r".encode())
    assert [x["title"] for x in run_json(cr)] == [title(0, 21), title(0, 22)]
    # the three ends mixed, a CR LF still one end (no blank line between), and no end at all
    mixed = write("mixed.txt", f"{u[0]}\r\n{u[1]}\n{u[2]}\r\r\n# c\r{u[3]}".encode())
    assert [x["url"] for x in run_json(mixed)] == u
    # over-long lines end at a CR too: the URL after one is its own line
    lng = write("crlong.txt", b"x" * 9000 + b"\r" + u[0].encode() + b"\r")
    assert [(x["url"][:3], x["error"]) for x in run_json(lng)] == \
        [("xxx", "invalid URL: line too long"), (u[0][:3], None)]
    # the longest line allowed is allowed whatever its end: with a CR LF it was too long
    m = f"http://127.0.0.1:{PORT}/page/1?x="
    m += "a" * (8192 - len(m))
    for end in (b"\r", b"\r\n"):
        recs = run_json(write("maxcr.txt", m.encode() + end))
        assert len(recs) == 1 and recs[0]["url"] == m, (end, recs[0]["error"])
        assert recs[0]["error"] != "invalid URL: line too long", (end, recs[0]["error"])
    # the same lines on a pipe, written a byte at a time: a CR that ends one read is not
    # taken for a line end before the next read shows whether an LF follows
    data = f"{u[0]}\r\n{u[1]}\r{u[2]}\r\n".encode()
    proc = subprocess.Popen([CAFE, "titles", "-q", "--json", "--retries", "0"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    for i in range(len(data)):
        proc.stdin.write(data[i:i + 1])
        proc.stdin.flush()
    proc.stdin.close()
    out = proc.stdout.read()
    assert proc.wait(timeout=60) == 0
    assert [json.loads(l)["url"] for l in out.splitlines()] == u[:3], out


def test_unicode_spaces_around_a_url_are_trimmed():
    # Copied from a web page or a word processor, a URL comes with no-break spaces and the
    # like around it: a trailing one was fetched as part of the path (".../page/25%c2%a0",
    # another page), a leading one made "\u00a0http" a host name sent to the DNS, and a line
    # of them alone was a record of its own. They are blanks as ASCII's are.
    u = f"http://127.0.0.1:{PORT}/page/25"
    path = write("nbsp.txt", (f"\u00a0{u}\u00a0\n\u3000\u2003\n\u200b{u}\ufeff\n"
                              f"\ufeff\n\u202f# a comment\n").encode())
    assert [(x["url"], x["title"]) for x in run_json(path)] == [(u, title(0, 25))] * 2
    r = cafe("titles", "-u", "\u00a0")  # as blank as -u " "
    assert r.returncode == 2 and b"empty, blank or a # comment" in r.stderr, r.stderr


def test_utf16_list_is_refused_naming_the_encoding():
    # Windows PowerShell's '>' writes UTF-16: each line was a bad URL full of NULs (and one
    # more for the last newline's high byte), with exit status 0
    text = f"http://127.0.0.1:{PORT}/page/4\r\n127.0.0.1:{PORT}/page/5\r\n"
    # not quiet: no summary after the message either ("0 URLs in 0.00 s: 0 ok" says nothing)
    for enc, quiet in (("utf-16-le", ["-q"]), ("utf-16-be", [])):
        path = write(f"{enc}.txt", "\ufeff".encode(enc) + text.encode(enc))
        r = cafe("titles", *quiet, "--json", path)
        assert (r.returncode, r.stdout) == (2, b""), (enc, r)
        assert r.stderr.decode() == f"cafe titles: cannot read {path}: UTF-16 text, not " \
            "UTF-8 (convert it: iconv -f UTF-16 -t UTF-8)\n", r.stderr
        # seen when the file is opened, as a missing one is: -o's file was emptied first
        # (yesterday's results gone for a list that could not be read), and the lists
        # before it were fetched
        out = write("kept.jsonl", b"yesterday\n")
        first = write("first.txt", f"http://127.0.0.1:{PORT}/page/4\n".encode())
        r = cafe("titles", "-q", "--json", "-o", out, first, path)
        assert (r.returncode, r.stdout) == (2, b""), (enc, r)
        assert b"UTF-16 text" in r.stderr, r.stderr
        with open(out, "rb") as f:
            assert f.read() == b"yesterday\n", enc
    # UTF-32 (PowerShell's Out-File -Encoding UTF32 writes it, little-endian with its mark):
    # refused as UTF-16 and told to convert it as UTF-16, which made it no better; big-endian,
    # not refused at all
    for enc in ("utf-32-le", "utf-32-be"):
        path = write(f"{enc}.txt", "\ufeff".encode(enc) + text.encode(enc))
        r = cafe("titles", "-q", "--json", path)
        assert (r.returncode, r.stdout) == (2, b""), (enc, r)
        assert r.stderr.decode() == f"cafe titles: cannot read {path}: UTF-32 text, not " \
            "UTF-8 (convert it: iconv -f UTF-32 -t UTF-8)\n", (enc, r.stderr)
    # standard input is seen when read, as before
    r = cafe("titles", "-q", "--json", input="\ufeff".encode("utf-16-le") + text.encode("utf-16-le"))
    assert (r.returncode, r.stdout) == (2, b""), r
    assert r.stderr.decode() == "cafe titles: reading standard input: UTF-16 text, not UTF-8 " \
        "(convert it: iconv -f UTF-16 -t UTF-8)\n", r.stderr
    # without a byte order mark (Python's and Java's UTF-16LE writers, .NET's Unicode
    # without a preamble; Java's "UTF-16BE", .NET's BigEndianUnicode without one): each line
    # was a bad URL full of NULs, with exit status 0. Its ASCII characters' high bytes are 0;
    # the command names the byte order, which iconv cannot know without a mark.
    for enc, name in (("utf-16-le", "UTF-16LE"), ("utf-16-be", "UTF-16BE")):
        path = write(f"{enc}-nobom.txt", text.encode(enc))
        for args, inp, said in ((["titles", "-q", "--json", path], None, f"cannot read {path}"),
                                (["titles", "-q", "--json"], text.encode(enc),
                                 "reading standard input")):
            r = cafe(*args, input=inp)
            assert (r.returncode, r.stdout) == (2, b""), (enc, r)
            assert r.stderr.decode() == f"cafe titles: {said}: {name} text without a byte " \
                f"order mark, not UTF-8 (convert it: iconv -f {name} -t UTF-8)\n", r.stderr


def test_compressed_list_is_refused_naming_the_tool():
    # Crawl lists come compressed (Common Crawl's are .gz): `cafe titles urls.txt.gz` read
    # the bytes as lines, a handful of bad "URLs" of binary, and exit status 0
    import bz2
    import gzip
    import io
    import lzma
    import zipfile
    text = "".join(f"http://127.0.0.1:{PORT}/page/{i}\n" for i in range(50)).encode()
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("urls.txt", text)
    for name, data, how in (
            ("gzip", gzip.compress(text), "gzip -dc"), ("bzip2", bz2.compress(text), "bzip2 -dc"),
            ("xz", lzma.compress(text), "xz -dc"), ("zip", zipped.getvalue(), "unzip -p"),
            ("zstd", b"\x28\xb5\x2f\xfd" + bytes(range(256)), "zstd -dc")):
        path = write(f"list.{name}", data)
        for args, inp, said in ((["titles", "-q", "--json", path], None, f"cannot read {path}"),
                                (["titles", "-q", "--json"], data, "reading standard input")):
            r = cafe(*args, input=inp)
            assert (r.returncode, r.stdout) == (2, b""), (name, r)
            assert r.stderr.decode() == f"cafe titles: {said}: {name}-compressed, not a " \
                f"list of URLs (decompress it first: {how})\n", (name, r.stderr)


def test_an_office_document_pdf_or_program_is_refused():
    # A list kept in Excel or LibreOffice (.xlsx, .ods: zip files; .xls: OLE2), a PDF or a
    # program (`cafe titles ./cafe`) was read as bytes: records of binary garbage, a few of
    # it looked up in the DNS, and exit status 0; a zipped spreadsheet was "zip-compressed"
    # and sent to unzip, which gives its XML. A plain zip is still named as compressed.
    import io
    import zipfile
    office = "a spreadsheet or office document (.xlsx, .ods, .xls...), not a list of URLs " \
        "(save its URL column as text, one URL per line)"

    def zipped(member):
        data = io.BytesIO()
        with zipfile.ZipFile(data, "w") as z:
            z.writestr(member, "<x/>")
        return data.getvalue()
    with open(CAFE, "rb") as f:
        program = f.read(4096)
    for name, data, why in (
            ("xlsx", zipped("[Content_Types].xml"), office), ("ods", zipped("mimetype"), office),
            ("xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), office),
            ("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "a PDF document, not a list "
             "of URLs (extract its text first, e.g. pdftotext FILE -)"),
            ("bin", program, "a program, not a list of URLs"),
            ("zip", zipped("urls.txt"), "zip-compressed, not a list of URLs (decompress it "
             "first: unzip -p)")):
        path = write(f"list.{name}", data)
        for args, inp, said in ((["titles", "-q", "--json", path], None, f"cannot read {path}"),
                                (["titles", "-q", "--json"], data, "reading standard input")):
            r = cafe(*args, input=inp)
            assert (r.returncode, r.stdout) == (2, b""), (name, r.returncode, r.stdout[:200])
            assert r.stderr.decode() == f"cafe titles: {said}: {why}\n", (name, r.stderr)


def test_results_of_cafe_are_refused_as_a_list():
    # `cafe titles results.db` (cafe's own results) read the database's bytes as lines:
    # records of binary garbage, exit status 0; `-o results.db results.db` wrote those records
    # into the database it was reading
    import sqlite3
    db = os.path.join(tmp, "results.db")
    u = f"http://127.0.0.1:{PORT}/page/7"
    assert cafe("titles", "-q", "-o", db, "-u", u).returncode == 0
    with open(db, "rb") as f:
        before = f.read()
    why = "a SQLite database, not a list of URLs (list them first, e.g. sqlite3 FILE " \
        "'SELECT url FROM titles')\n"
    for args, inp, said in ((["titles", "-q", db], None, f"cannot read {db}"),
                            (["titles", "-q", "-o", db, db], None, f"cannot read {db}"),
                            (["titles", "-q"], before, "reading standard input")):
        r = cafe(*args, input=inp)
        assert (r.returncode, r.stdout) == (2, b""), (args, r.returncode, r.stdout[:100])
        assert r.stderr.decode() == f"cafe titles: {said}: {why}", (args, r.stderr)
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT url FROM titles").fetchall() == [(u,)]

    # nor its CSV results (each row was fetched as one URL, its other fields in the path: a
    # request for a page that does not exist, and a record saying 200) nor its JSON ones (bad
    # lines), a spreadsheet's byte order mark before them or not; refused before -o's file
    # is emptied
    out = os.path.join(tmp, "kept.txt")
    for fmt, name, bom in (("--csv", "CSV", b""), ("--csv-safe", "CSV", b"\xef\xbb\xbf"),
                           ("--json", "JSON", b"")):
        path = os.path.join(tmp, "results.out")
        assert cafe("titles", "-q", fmt, "-o", path, "-u", u).returncode == 0
        with open(path, "rb") as f:
            data = bom + f.read()
        with open(path, "wb") as f:
            f.write(data)
        with open(out, "w") as f:
            f.write("kept\n")
        for args, inp, said in ((["titles", "-q", "-o", out, path], None, f"cannot read {path}"),
                                (["titles", "-q"], data, "reading standard input")):
            r = cafe(*args, input=inp)
            assert (r.returncode, r.stdout) == (2, b""), (fmt, args, r.returncode, r.stdout[:100])
            assert r.stderr.decode().startswith(f"cafe titles: {said}: cafe's {name} output, "
                                                "not a list of URLs"), (fmt, r.stderr)
        with open(out) as f:
            assert f.read() == "kept\n", fmt
    # nor its text lines, the default output (`cafe titles list > titles.txt`, then given
    # back): each was a bad line, and the status 0; whichever record comes first
    refused = f"http://127.0.0.1:{free_ports(1)[0]}/"
    path = os.path.join(tmp, "titles.txt")
    for first in (u, refused):
        with open(path, "wb") as f:
            f.write(cafe("titles", "-q", "--retries", "0", "-u", first, "-u", u).stdout)
        for args, inp, said in ((["titles", "-q", path], None, f"cannot read {path}"),
                                (["titles", "-q"], b"(no title) from " + u.encode() + b"\n",
                                 "reading standard input")):
            r = cafe(*args, input=inp)
            assert (r.returncode, r.stdout) == (2, b""), (first, args, r)
            assert r.stderr.decode().startswith(f"cafe titles: {said}: cafe's text output, "
                                                "not a list of URLs"), (first, r.stderr)


def test_a_web_page_or_a_sitemap_is_refused_as_a_list():
    # `cafe titles page.html`, meant as `cafe title page.html`: each line of the page was a
    # URL, and a line of its text alone a host looked up and fetched (here localhost's page,
    # which no one asked for); a sitemap gave a bad line each. Known as browsers sniff a page,
    # before -o's file is emptied; a byte order mark and blank lines before it or not.
    page = f"<!DOCTYPE html>\n<html><head><title>Mine</title></head>\n<body>\nWelcome\n" \
        f"localhost:{PORT}/page/5\n</body></html>\n"
    sitemap = f'\ufeff\n<?xml version="1.0" encoding="UTF-8"?>\n<urlset>\n' \
        f"<url><loc>http://127.0.0.1:{PORT}/page/6</loc></url>\n</urlset>\n"
    # A browser's export of its bookmarks has a doctype of its own: a bad line each too.
    bookmarks = "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<TITLE>Bookmarks</TITLE>\n<DL><p>\n" \
        f'<DT><A HREF="http://127.0.0.1:{PORT}/page/5">Five</A>\n</DL><p>\n'
    html = "an HTML document, not a list of URLs (its title: cafe title FILE; its links' " \
        "URLs, one per line, are a list)"
    out = os.path.join(tmp, "kept-page.txt")
    for data, why in ((page, html), (bookmarks, html),
                      (sitemap, "an XML document, not a list of URLs (a sitemap? list the URLs "
                       "of its <loc> elements first, one per line)")):
        path = write("page.html", data.encode())
        with open(out, "w") as f:
            f.write("kept\n")
        for args, inp, said in ((["titles", "-q", "--scheme", "http", "-o", out, path], None,
                                 f"cannot read {path}"),
                                (["titles", "-q", "--scheme", "http"], data.encode(),
                                 "reading standard input")):
            r = cafe(*args, input=inp)
            assert (r.returncode, r.stdout) == (2, b""), (args, r)
            assert r.stderr.decode() == f"cafe titles: {said}: {why}\n", r.stderr
        with open(out) as f:
            assert f.read() == "kept\n"
    # a list of URLs in angle brackets (as mail quotes them) is no page: a bad line each
    recs = run_json(write("angle.txt", f"<http://127.0.0.1:{PORT}/page/7>\n".encode()))
    assert recs[0]["error"].startswith("invalid URL"), recs


def test_a_spreadsheet_table_saved_as_csv_is_refused():
    # A table of a URL column and a label saved as CSV (a header row, quoted fields, CRLF):
    # the header was looked up as a host ("https://url,label/"), each row fetched as one URL
    # with its label in the path (a 404, or a 200 for the wrong page) and the status was 0.
    # Its header row and the row after it say what it is, in either separator a spreadsheet
    # saves, before -o's file is emptied; the URLs of a plain list are fetched as before.
    u = f"http://127.0.0.1:{PORT}/page/3"
    out = os.path.join(tmp, "kept-csv.txt")
    why = "a CSV table (its first line a header row), not a list of URLs (give its URL " \
        "column alone, one URL per line, unquoted)\n"
    # a single column quoted as R's write.csv and Python's QUOTE_ALL quote it, too; and a
    # row of a long URL (a tracking link's), known before -o's file is emptied all the same
    long = f"{u}?{'utm_source=newsletter&' * 40}"
    for header, rows in (("url,label", f'{u},Home\r\n"{u}","Contact, us"\r\n'),
                         ("url,label", f"{long},Home\r\n"),
                         ('"URL","Label"', f'"{u}","Home"\r\n'),
                         ("\ufeffPage URL;Libell\u00e9", f"{u};Accueil\r\n"),
                         ("url,", f"{u},\n"), ('"url"', f'"{u}"\n"{u}"\n')):
        data = (header + "\r\n" + rows).encode()
        path = write("table.csv", data)
        with open(out, "w") as f:
            f.write("kept\n")
        for args, inp, said in ((["titles", "-q", "-o", out, path], None, f"cannot read {path}"),
                                (["titles", "-q"], data, "reading standard input")):
            r = cafe(*args, input=inp)
            assert (r.returncode, r.stdout) == (2, b""), (header, args, r)
            assert r.stderr.decode() == f"cafe titles: {said}: {why}", (header, r.stderr)
        with open(out) as f:
            assert f.read() == "kept\n", header
    # standard input read past a table's first lines by the shell (`{ read -r header; read
    # -r row; cafe titles; } < list`): what cafe reads is judged, not the file's start
    skipped = f"url,label\n{u},Home\n"
    path = write("headed.txt", f"{skipped}{u}\n".encode())
    with open(path, "rb") as f:
        os.lseek(f.fileno(), len(skipped), os.SEEK_SET)
        r = cafe("titles", "-q", "--json", "--timeout", "2", stdin=f)
    assert r.returncode == 0 and json.loads(r.stdout)["title"] == title(0, 3), r
    # a first line that could be a URL, one name, a heading over a list or a header whose
    # next line is no row of it: a list, read as before
    for first in ("localhost", "url", "example.com,example.org", "# url,label",
                  "My sites, 2024", "url,label", '"url"'):
        records = run_json(write("list.txt", f"{first}\n{u}\n".encode()), "--timeout", "2")
        assert records[-1]["title"] == title(0, 3), (first, records)


def test_a_csv_table_whose_header_comes_alone_down_a_pipe_is_refused():
    # `(echo url,label; query) | cafe titles`: the first read held the header row alone and
    # was judged on it, a list: the header became a bad line, the row was fetched with its
    # label in the path, and the status was 0. The row after the header decides, as in a file.
    u = f"http://127.0.0.1:{PORT}/page/3"
    for header, row in ((b"url,label\n", f"{u},Home\n"), (b"url,label\r", f"\n{u},Home")):
        p = subprocess.Popen([CAFE, "titles", "-q", "--json"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdin.write(header)
        p.stdin.flush()
        left = bytearray(4)
        for _ in range(3000):  # until cafe's read has taken the header (at most ~30 s)
            fcntl.ioctl(p.stdin.fileno(), termios.FIONREAD, left)
            if int.from_bytes(left, sys.byteorder) == 0:
                break
            select.select([], [], [], 0.01)
        out, err = p.communicate(row.encode(), timeout=30)
        assert (p.returncode, out) == (2, b""), (header, p.returncode, out)
        assert b"reading standard input: a CSV table" in err, (header, err)


def test_a_quoted_url_line_is_named_in_the_error():
    # a CSV field ("https://...", as a header-less export quotes it) was "invalid URL: Bad
    # hostname", which says nothing of the quotes
    lines = [f'"http://127.0.0.1:{PORT}/page/1"', f"'127.0.0.1:{PORT}/page/2'",
             f'"http://127.0.0.1:{PORT}/page/3",label']
    recs = run_json(write("quoted.txt", "\n".join(lines).encode() + b"\n"), "--scheme", "http")
    assert [(x["url"], x["error"]) for x in recs] == [
        (line, "invalid URL: quoted (one URL per line, without quotes)") for line in lines], recs


def test_output_naming_the_input_is_refused():
    data = f"http://127.0.0.1:{PORT}/page/6\n".encode()
    path = write("same.txt", data)
    link = os.path.join(tmp, "link.txt")
    os.symlink(path, link)
    for args in (["-o", path, path], ["-o", link, path], ["-o", path, link]):
        r = cafe("titles", "--json", *args)
        assert r.returncode == 2 and b"is an input file" in r.stderr, (args, r.stderr)
        with open(path, "rb") as f:
            assert f.read() == data
    with open(path, "rb") as stdin:
        r = cafe("titles", "--json", "-o", path, stdin=stdin)
    assert r.returncode == 2 and b"is an input file" in r.stderr, r.stderr
    # standard output appending to the list (`cafe titles list >> list`, as cat refuses it:
    # "input file is output file"): its records were read back as URLs, records of records
    # of records (20,000 lines gave 61,019 records), and the status was 0
    for stdin, args in ((subprocess.DEVNULL, [path]), (subprocess.DEVNULL, [link]),
                        (None, [])):
        with open(path, "ab") as out, open(path, "rb") as inp:
            r = subprocess.run([CAFE, "titles", "-q", "--json", *args], stdout=out,
                               stdin=stdin or inp, stderr=subprocess.PIPE, timeout=60)
        shown = args[0] if args else "standard input"
        assert (r.returncode, r.stderr.decode()) == (2, "cafe titles: standard output is "
                f"{shown}, an input: its records would be read back as URLs\n"), (args, r)
        with open(path, "rb") as f:
            assert f.read() == data, args
    # another file, or the input given to a database or the queue, is no input to stdout
    with open(write("other.txt", b""), "ab") as out:
        r = subprocess.run([CAFE, "titles", "-q", "--json", path], stdout=out,
                           stderr=subprocess.PIPE, timeout=60)
    assert r.returncode == 0 and r.stderr == b"", r


def test_odd_lines_get_clear_messages():
    lines = ["javascript:alert(1)", "data:text/html,<title>x</title>", "mailto:a@b",
             "ftp://127.0.0.1/x", f"//127.0.0.1:{PORT}/page/7", f"http:/127.0.0.1:{PORT}/page/8",
             f"127.0.0.1:{PORT}/page/9", f"HTTP://127.0.0.1:{PORT}/page/10"]
    recs = run_json(write("odd.txt", "\n".join(lines).encode() + b"\n"), "--scheme", "http")
    assert [x["url"] for x in recs[:4]] == lines[:4], recs
    for x in recs[:3]:
        assert x["error"] == "invalid URL: unsupported scheme (only http and https are " \
                             "fetched)", x
    assert "scheme" in recs[3]["error"], recs[3]
    # //host takes --scheme; the others are http URLs as written
    assert [x["title"] for x in recs[4:]] == [title(0, p) for p in (7, 8, 9, 10)], recs[4:]
    assert recs[4]["url"] == f"http://127.0.0.1:{PORT}/page/7", recs[4]


def test_tab_separated_columns_are_named_in_the_error():
    # "URL<TAB>label" (a spreadsheet's export) was "invalid URL: Bad path", or a bad port
    # when the tab followed the port: nothing said the tab was the trouble
    lines = [f"127.0.0.1:{PORT}/page/1\tlabel", f"http://127.0.0.1:{PORT}\tx"]
    recs = run_json(write("tabs.txt", "\n".join(lines).encode() + b"\n"), "--scheme", "http")
    assert [(x["url"], x["error"]) for x in recs] == [
        (line, "invalid URL: tab in the line (one URL per line, nothing after it)")
        for line in lines], recs


def test_space_in_a_fragment_is_encoded_as_in_the_path():
    # "#a b" kept its space: the URL passed the line's checks, then the fetch's own parse
    # refused it ("malformed URL: URL using bad/illegal format or missing URL")
    base = f"http://127.0.0.1:{PORT}/page/12"
    recs = run_json(write("frag.txt", f"{base}#a b\n{base}#x\n".encode()))
    assert [(x["url"], x["title"]) for x in recs] == \
        [(base + "#a%20b", title(0, 12)), (base + "#x", title(0, 12))], recs


def test_records_of_a_file_of_bad_lines_go_out_as_it_is_read():
    """A regular file never makes its reader wait, and a line that is no URL is a record at
    once: the reader ran to the file's end without letting the writer run, holding every
    record in memory (a wrong file of a million lines, a log: 232 MB of JSON) and writing
    none before the end. Seen here: the output is a pipe nobody reads; its first record
    comes, then cafe waits on the full pipe, and has read only the start of its list."""
    n = 400000
    path = write("bad-lines.txt", b"".join(b"bad line %d\n" % i for i in range(n)))
    size = os.path.getsize(path)
    p = subprocess.Popen([CAFE, "titles", "-q", "--json", path], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        assert select.select([p.stdout], [], [], 60)[0], "no record within 60 s"
        pos = None
        for fd in os.listdir(f"/proc/{p.pid}/fd"):
            try:
                if os.readlink(f"/proc/{p.pid}/fd/{fd}") == path:
                    with open(f"/proc/{p.pid}/fdinfo/{fd}") as f:
                        pos = int(f.readline().split()[1])
            except OSError:
                pass
        assert pos is not None and pos < size // 4, (pos, size)
        lines = p.stdout.read().decode().splitlines()
        assert len(lines) == n and json.loads(lines[-1])["url"] == f"bad line {n - 1}"
    finally:
        p.kill()
        p.wait()


def test_a_signal_stops_a_run_inside_a_huge_line():
    """A regular file is read where the reader runs, and a line was read to its end before
    the loop turned again: in a line of gigabytes (a disk image's zeros given as a list) the
    first SIGTERM or Ctrl-C waited for all of it (45 s for 8 GB), and so did the progress
    line. Here the line is a terabyte (sparse: no disk), which no run reads in the minute
    allowed: the record of the line before it comes out, then one SIGTERM ends the run."""
    path = os.path.join(tmp, "image.txt")
    with open(path, "wb") as f:
        f.write(b"bad line\n")
        f.truncate(1 << 40)
    try:
        p = subprocess.Popen([CAFE, "titles", "-q", "--json", path], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            assert select.select([p.stdout], [], [], 60)[0], "no record within 60 s"
            assert json.loads(p.stdout.readline())["url"] == "bad line"
            p.send_signal(signal.SIGTERM)
            out, err = p.communicate(timeout=60)
            assert (p.returncode, out) == (-signal.SIGTERM, b""), (p.returncode, out[:100], err)
        finally:
            p.kill()
            p.wait()
    finally:
        os.unlink(path)


def test_long_and_nul_lines_are_recorded_with_a_marked_cut():
    long_line = "http://127.0.0.1/" + "a" * 9000
    nul_line = b"http://127.0.0.1/x\x00tail"
    path = write("long.txt", long_line.encode() + b"\n" + nul_line + b"\n")
    recs = run_json(path)
    assert len(recs) == 2, recs
    assert recs[0]["url"] == long_line[:1024] + "\u2026", len(recs[0]["url"])
    assert recs[0]["error"] == "invalid URL: line too long", recs[0]
    assert recs[1]["url"] == "http://127.0.0.1/x\ufffdtail", recs[1]
    assert recs[1]["error"] == "invalid URL: NUL byte in URL", recs[1]
    out = os.path.join(tmp, "long.jsonl")
    assert cafe("titles", "-q", "--json", "-o", out, path).returncode == 0
    r = cafe("titles", "--json", "--resume", "-o", out, path)  # both found again
    assert r.returncode == 0 and b"2 already done" in r.stderr, r.stderr


def test_longest_line_is_taken_with_or_without_its_newline():
    # a line of exactly 8192 bytes is allowed; as the file's last line without a newline it
    # was "line too long" (and whether its newline was already in the read buffer decided)
    u = f"http://127.0.0.1:{PORT}/page/1?x="
    u += "a" * (8192 - len(u))
    for end in ("\n", ""):
        recs = run_json(write("max.txt", (u + end).encode()))
        assert len(recs) == 1 and recs[0]["url"] == u, (end, recs[0]["error"])
        assert recs[0]["error"] != "invalid URL: line too long", recs[0]["error"]
    recs = run_json(write("over.txt", (u + "a").encode()))
    assert recs[0]["error"] == "invalid URL: line too long", recs[0]


def test_summary_grammar_and_write_errors():
    path = write("one.txt", f"http://127.0.0.1:{PORT}/page/11\n".encode())
    r = cafe("titles", path)
    assert r.stderr.decode().startswith("cafe titles: 1 URL in "), r.stderr
    r = cafe("titles", "--csv", "-o", "/dev/full", path)
    assert r.returncode == 2 and b"/dev/full" in r.stderr, r.stderr
    assert b"URLs in" not in r.stderr and b"URL in" not in r.stderr, r.stderr


def test_several_files_and_urls_on_the_command_line():
    # issue 20: several inputs in turn, and -u URL (repeatable) before them
    a = write("a.txt", f"http://127.0.0.1:{PORT}/page/20\n".encode())
    b = write("b.txt", f"# b\nhttp://127.0.0.1:{PORT}/page/21\n".encode())
    r = cafe("titles", "-q", "-u", f"http://127.0.0.1:{PORT}/page/22", "-u",
             f"127.0.0.1:{PORT}/page/23", "--scheme", "http", a, b)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().splitlines() == [
        f"'{title(0, p)}' from http://127.0.0.1:{PORT}/page/{p}" for p in (22, 23, 20, 21)]
    # -u alone does not wait for standard input; '-' adds it
    r = cafe("titles", "-q", "-u", f"http://127.0.0.1:{PORT}/page/24", input=b"ignored\n")
    assert r.stdout.decode().count("' from ") == 1, r.stdout
    r = cafe("titles", "-q", "-u", f"http://127.0.0.1:{PORT}/page/24", "-",
             input=f"http://127.0.0.1:{PORT}/page/25\n".encode())
    assert r.stdout.decode().count("' from ") == 2, r.stdout
    # as many files as a shell glob gives: the 65th was "too many arguments" (cat and grep
    # take any number)
    many = [write(f"many{i}.txt", f"http://127.0.0.1:{PORT}/page/{i}\n".encode())
            for i in range(300)]
    # each opened when its turn comes, as cat does: all at once, 300 files under a limit of
    # 128 descriptors were "cannot read many116.txt: too many open files"
    r = cafe("titles", "-q", *many,
             preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128)))
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().splitlines() == [
        f"'{title(0, p)}' from http://127.0.0.1:{PORT}/page/{p}" for p in range(300)]
    # a missing file stops the run before anything is fetched
    r = cafe("titles", "-q", a, os.path.join(tmp, "missing.txt"))
    assert r.returncode == 2 and b"missing.txt" in r.stderr and r.stdout == b"", r
    # and so does a directory (it opened, and failed at its first read: after the files
    # before it were fetched, and with --resume then taking the run for complete)
    r = cafe("titles", "-q", a, tmp)
    assert r.returncode == 2 and r.stdout == b"", r
    assert r.stderr == f"cafe titles: cannot read {tmp}: Is a directory\n" \
        .encode(), r.stderr
    r = cafe("titles", "-q", stdin=os.open(tmp, os.O_RDONLY))
    assert r.returncode == 2 and r.stderr == \
        b"cafe titles: cannot read standard input: Is a directory\n", r.stderr


def test_named_pipes_fed_one_after_the_other_are_read_as_cat_reads_them():
    # `cafe titles a b` on two FIFOs that one producer fills in turn (a script writing a,
    # then b): cafe opened every input up front, and the open of b waits for b's writer,
    # which comes only once a is written whole; a holding more than a pipe's buffer, the
    # producer waited for cafe to read a and cafe for it to open b. `cat a b` reads them.
    a, b = os.path.join(tmp, "fifo-a"), os.path.join(tmp, "fifo-b")
    for p in (a, b):
        os.mkfifo(p)
    first = [f"http://127.0.0.1:{PORT}/page/{i}" for i in range(3000)]  # ~100 KB: > 64 KiB

    def produce():
        try:
            with open(a, "w") as f:
                f.write("".join(u + "\n" for u in first))
            with open(b, "w") as f:
                f.write(f"http://127.0.0.1:{PORT}/page/3000\n")
        except BrokenPipeError:  # cafe gone (timed out): the test says so
            pass

    threading.Thread(target=produce, daemon=True).start()
    try:
        r = cafe("titles", "-q", "--unordered", a, b, timeout=30)
    except subprocess.TimeoutExpired:
        raise AssertionError("cafe titles and the producer of its FIFOs wait for each other")
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.decode().splitlines()) == 3001, r.stdout[-300:]


def test_file_paths_are_not_read_as_hosts():
    # "/srv/page/1" became http://srv/page/1 (the bare-host rule gave curl "http:///srv/...",
    # which it reads as host srv): a DNS lookup and a fetch of a host nobody named
    lines = ["/srv/page/1", "./page/2", "../page/3", "/"]
    recs = run_json(write("paths.txt", "\n".join(lines).encode() + b"\n"), "--scheme", "http")
    assert [(x["url"], x["error"], x["attempts"]) for x in recs] == \
        [(line, "invalid URL: a file path, not a URL", 0) for line in lines], recs
    # a scheme-relative line is still a host's
    recs = run_json(write("rel.txt", f"//127.0.0.1:{PORT}/page/2\n".encode()), "--scheme", "http")
    assert recs[0]["title"] == title(0, 2), recs


def test_a_scheme_without_its_colon_is_not_read_as_a_host():
    # "https//host/x" (a typo) was a bare host: https://https//host/x, a DNS lookup of the
    # host "https" (the search domains' too, where one may answer) and a fetch of the wrong
    # site
    lines = [f"https//127.0.0.1:{PORT}/page/1", f"HTTP//127.0.0.1:{PORT}/page/2"]
    recs = run_json(write("colon.txt", "\n".join(lines).encode() + b"\n"), "--timeout", "2")
    assert [(x["url"], x["error"], x["attempts"]) for x in recs] == \
        [(line, "invalid URL: no ':' after http or https (http://, https://)", 0)
         for line in lines], recs


class Proxy(HeadServer):
    """A forward HTTP proxy that answers every request itself, noting the request line."""

    def __init__(self):
        self.lines = []
        super().__init__(self._answer)

    def _answer(self, head):
        self.lines.append(head.split(b"\r\n")[0].decode())
        return http_reply(b"<title>via proxy</title>")


def test_proxy_option_and_environment():
    px = Proxy()
    purl = f"http://127.0.0.1:{px.port}"
    r = cafe("titles", "-q", "-x", purl, "-u", "http://far.example/x")
    assert r.stdout == b"'via proxy' from http://far.example/x\n", (r.stdout, r.stderr)
    assert px.lines == ["GET http://far.example/x HTTP/1.1"], px.lines
    env = dict(os.environ, http_proxy=purl)
    r = cafe("titles", "-q", "-u", "http://far.example/y", env=env)  # curl's variable
    assert r.stdout == b"'via proxy' from http://far.example/y\n", (r.stdout, r.stderr)
    r = cafe("titles", "-q", "-x", "", "-u", f"http://127.0.0.1:{PORT}/page/26", env=env)
    assert r.stdout.decode() == f"'{title(0, 26)}' from http://127.0.0.1:{PORT}/page/26\n", r
    assert len(px.lines) == 2, px.lines  # -x '': no proxy, not even the environment's
    # A proxy of curl's variables that is down: each URL "connection refused: Failed to
    # connect to 127.0.0.1 port N", read as the sites' fault, nothing said of a proxy. The
    # summary of a run with such failures names the variable its requests went through.
    dead = dict(os.environ, http_proxy=f"http://u:secret@127.0.0.1:{free_ports(1)[0]}")
    url = f"http://127.0.0.1:{PORT}/page/27"
    r = cafe("titles", "--retries", "0", "-u", url, env=dead)
    err = r.stderr.decode()
    assert "(connect 1); http_proxy sets a proxy (-x '' connects directly)\n" in err, err
    assert "secret" not in err, err
    for args, e in ((["-x", "", "-u", url], dead), (["-u", "http://far.example/z"], env)):
        r = cafe("titles", *args, env=e)  # direct, or all fetched: nothing to say
        assert r.returncode == 0 and "proxy" not in r.stderr.decode(), (args, r.stderr)
    usage = cafe("titles", "--help").stdout.decode()  # the option and curl's variables
    assert "-x, --proxy URL" in usage and "http_proxy" in usage and "no_proxy" in usage, usage


run_tests(globals(), cleanup=[fx.close])
