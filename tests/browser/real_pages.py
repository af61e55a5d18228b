#!/usr/bin/env python3
"""Real pages: the HTML files this machine has under /usr/share (manuals and references
written by many tools over decades), and legacy-charset variants of them, against headless
Chromium's and Firefox's document.title and document.characterSet, and cafe fed the same bytes
whole and in random chunkings (hostile.py's). The other browser suites write their pages;
these were written by others.

The pages: every regular file under CAFE_REAL_PAGES_ROOT [/usr/share] named *.htm, *.html or
*.xhtml, up to 2 MiB, one of each content, but those with a <meta> refresh (a page that
navigates away has no one answer); a seeded sample of CAFE_BROWSER_PAGES [80] of them (0:
all). A machine without them skips them: the test compares what it finds, nothing is
expected of a file by name. Variants, CAFE_BROWSER_VARIANTS [80]: a sampled page whose
<title> and some text runs are replaced by text in another language (gen_detect_corpus.py's),
or whose title is kept while its text is replaced (an ASCII title over a legacy body), or
given one foreign word; its charset declarations removed, then declared again by a <meta
charset>, a <meta http-equiv>, the Content-Type, a BOM, or not at all; encoded in that
language's legacy encoding (or UTF-8, UTF-16LE/BE), characters it lacks as character
references; served under 127.0.0.1 or the language's country domain.

Each page is loaded top-level (an undeclared iframe would inherit its parent's encoding),
served as text/html with a Content-Security-Policy that runs none of its scripts (a script
may set document.title). Where both browsers agree on the title, cafe must give it; where
they agree on the encoding too, cafe must name it. Counted apart: cafe's documented
departures (docs/encoding.md), an undeclared page that is valid UTF-8 (cafe: UTF-8, the
browsers windows-1252) and an undeclared page whose title's bytes are ASCII and whose first
1024 bytes are too (cafe keeps the fallback, windows-1252: it detects no encoding for the
charset alone from bytes past those); and, shown but not failed, undeclared pages cafe's
detector read otherwise than both browsers (its guesses are measured by bench/detect).

Usage: real_pages.py LIBCAFE_SO   Exit: 0 agreed, 1 differed, 77 a browser is missing or no
page was found. CAFE_BROWSER_SEED [15], CAFE_BROWSER_DUMP=FILE keeps every page's answers."""
import hashlib
import json
import os
import random
import re
import sys
import tempfile

import browsers  # puts tests/util on the path
import hostile
from pageserver import PageServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "html"))
import gen_detect_corpus  # noqa: E402

LARGEST = 2 << 20
REFRESH = re.compile(rb"<meta[^>]*http-equiv\s*=\s*[\"']?refresh", re.I)
# what declares a page's encoding in its markup: removed before a variant declares its own
DECLARATION = re.compile(r"<meta[^>]*charset[^>]*>|(?<=<\?xml)[^>]*encoding=[^>]*(?=\?>)", re.I)
TITLE = re.compile(r"(<title[^>]*>)(.*?)(</title)", re.I | re.S)
RAW_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.I | re.S)
# a run of text between tags, long enough to be prose rather than layout
TEXT_RUN = re.compile(r">([^<>&]{40,})<")
# no script of the page runs; the browsers' own evaluation does
HEADERS = {"Content-Security-Policy": "script-src 'none'"}
DETECTED, DEFAULT = 4, 0  # cafe_charset_source_t


def real_files(root):
    """The corpus's pages: [(path, bytes)], sorted by path, one of each content."""
    found, seen = [], set()
    for top, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            if not name.lower().endswith((".htm", ".html", ".xhtml")):
                continue
            path = os.path.join(top, name)
            try:
                if not os.path.isfile(path) or os.path.getsize(path) > LARGEST:
                    continue
                with open(path, "rb") as f:
                    body = f.read()
            except OSError:
                continue  # unreadable here: not part of this machine's corpus
            digest = hashlib.sha256(body).digest()
            if digest in seen or REFRESH.search(body):
                continue
            seen.add(digest)
            found.append((path, body))
    return found


def as_text(body):
    """A real page's characters: UTF-8 where it is, else windows-1252's reading."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", "replace")


def declare(text, how, label):
    """text with its own declarations removed and label declared by `how` in the markup."""
    text = DECLARATION.sub("", text)
    if how == "meta":
        tag = '<meta charset="%s">' % label
    elif how == "http-equiv":
        tag = '<meta http-equiv="Content-Type" content="text/html; charset=%s">' % label
    else:
        return text
    head = re.search(r"<head[^>]*>", text, re.I)
    at = head.end() if head else 0
    return text[:at] + tag + text[at:]


def variant(rng, path, body):
    """A legacy-charset variant of a real page: (description, Content-Type charset or None,
    bytes, host)."""
    name, codec, tld, titles, sentence, paragraph = rng.choice(gen_detect_corpus.LANGS)
    text = as_text(body)
    shape = rng.choice(["title", "title and text", "ascii title over text", "one word"])
    if shape != "ascii title over text":
        new = rng.choice(titles)
        if shape == "one word":
            new = max(new.split(), key=lambda w: sum(ord(c) > 127 for c in w))
        if TITLE.search(text):
            text = TITLE.sub(lambda m: m.group(1) + new + m.group(3), text, count=1)
        else:
            text = "<title>%s</title>" % new + text
    if shape != "title" and shape != "one word":
        prose = [sentence] + [s.strip() + "." for s in paragraph.split(".") if s.strip()]
        runs = rng.randint(1, 8)
        text = TEXT_RUN.sub(lambda m: ">" + rng.choice(prose) + "<", text, count=runs)
    if name == "UTF-8":
        codec, label = rng.choice([("utf-8", "utf-8"), ("utf-16le", "utf-16le"),
                                   ("utf-16be", "utf-16be")])
    else:
        label = name
    how = rng.choice(["none", "none", "meta", "http-equiv", "header", "bom"]
                     if codec.startswith("utf") else ["none", "none", "meta", "http-equiv",
                                                      "header"])
    if codec.startswith("utf-16") and how in ("meta", "http-equiv", "none"):
        how = rng.choice(["bom", "header"])  # UTF-16 in markup alone is no declaration
    data = declare(text, how, label).encode(codec, "xmlcharrefreplace")
    if how == "bom":
        data = "\ufeff".encode(codec) + data
    host = rng.choice(["127.0.0.1", "www.example." + tld])
    return ("%s as %s (%s), %s declared by %s, host %s" % (path, label, name, shape, how, host),
            label if how == "header" else None, data, host)


def pages(rng):
    """[(description, Content-Type charset or None, bytes, host)], the real pages first, and
    how many are real."""
    files = real_files(os.environ.get("CAFE_REAL_PAGES_ROOT", "/usr/share"))
    want = int(os.environ.get("CAFE_BROWSER_PAGES", "80"))
    real = files if want == 0 or want >= len(files) else rng.sample(files, want)
    out = [(path, None, body, "127.0.0.1") for path, body in real]
    for _ in range(int(os.environ.get("CAFE_BROWSER_VARIANTS", "80")) if files else 0):
        out.append(variant(rng, *rng.choice(files)))
    return out, len(real)


def kind(cafe, chrome, fox, label, body):
    """What a difference from both browsers is: None when there is none, 'title' or 'charset'
    (a fault), one of cafe's documented departures, or 'guess' where cafe's detector read an
    undeclared page otherwise (bench/detect measures those; counted, shown, not failed)."""
    (title, enc, source) = cafe
    if chrome[0] != fox[0]:
        return None
    same = hostile.same_title(title, chrome[0])
    if same and (chrome[1] != fox[1] or enc.lower() == chrome[1].lower()):
        return None
    if label is not None or source not in (DEFAULT, DETECTED):
        return "charset" if same else "title"
    if source == DETECTED and enc == "UTF-8" and chrome[1] == fox[1] == "windows-1252":
        return "departure: undeclared UTF-8"  # the title as written, not its mojibake
    raw = RAW_TITLE.search(body)
    if same and source == DEFAULT and (not raw or raw.group(1).isascii()):
        return "departure: ASCII title, no detection past 1024 bytes"
    return "guess"


def main():
    found = browsers.both_browsers()
    if not found:
        return 77
    chromium, firefox = found
    seed = int(os.environ.get("CAFE_BROWSER_SEED", "15"))
    rng = random.Random(seed)
    cases, real = pages(rng)
    if not cases:
        print("skip: no HTML files under the corpus root")
        return 77

    def page(path):
        i = path[3:] if path.startswith("/p/") else ""
        if not i.isdigit() or int(i) >= len(cases):
            return None
        _, label, body, _ = cases[int(i)]
        return body, hostile.content_type(label), HEADERS
    server = PageServer(page)
    urls = ["http://%s:%d/p/%d" % (host, server.port, i)
            for i, (_, _, _, host) in enumerate(cases)]
    expr = "[document.title, document.characterSet]"
    with tempfile.TemporaryDirectory() as t1, tempfile.TemporaryDirectory() as t2:
        chrome = browsers.chromium_top_level(chromium, urls, t1, expr)
        fox = browsers.firefox_top_level(firefox, urls, t2, expr)
    server.close()

    lib = browsers.title_lib(sys.argv[1])
    lib.cafe_title_charset_source.argtypes = [hostile.ctypes.c_void_p]
    split_rng = random.Random(seed)
    counts, split_faults, faults, dump = {}, 0, 0, []
    for (what, label, body, _), url, c, f in zip(cases, urls, chrome, fox):
        whole, others = hostile.cafe_every_way(lib, label, body, split_rng, url)
        dump.append([what, label, url, c, f, list(whole)])
        if others:
            split_faults += 1
            print("%s: whole %r, %s" % (what, whole[:2], others[:2]))
        k = kind(whole, c, f, label, body)
        key = "browsers differ" if c[0] != f[0] else k or "agree"
        counts[key] = counts.get(key, 0) + 1
        if k in ("title", "charset", "guess"):
            faults += k != "guess"
            print("%s%s: browsers %r / %r, cafe %r" % ("" if k == "guess" else "FAULT ", what,
                                                       c, f, whole))
    if os.environ.get("CAFE_BROWSER_DUMP"):
        with open(os.environ["CAFE_BROWSER_DUMP"], "w") as out:
            json.dump(dump, out)
    print("%d pages (%d real): %s; %d split differently" % (
        len(cases), real,
        ", ".join("%s %d" % kv for kv in sorted(counts.items())), split_faults))
    return 1 if faults or split_faults else 0


if __name__ == "__main__":
    sys.exit(main())
