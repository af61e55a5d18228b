#!/usr/bin/env python3
"""cafe's titles and encodings against headless Chromium's and Firefox's on random whole
documents that mix what the other browser tests take one at a time: an encoding (13 of
them), declared by Content-Type, by an early <meta> (charset or http-equiv), by a late one
(after byte 1024, in the head or after the body started), by a header that an early <meta>
contradicts, or by a UTF-8 BOM against both; padding that moves the <meta> and the title
across byte 1024; head markup before them (script, style, noscript, template, svg, comments,
processing instructions); and a title of that encoding's characters mixed with whitespace
(CR, CRLF, FF, tab, NBSP, U+3000), character references (named with and without ';',
numeric ones that are NUL, surrogates, out of range, windows-1252's remapped C1), NUL and
markup that is text in RCDATA. Where both browsers agree on the title and the encoding
(document.characterSet), cafe must give both.

Each page is loaded in an iframe of one index page, which hands back every title with its
document.characterSet. An undeclared iframe inherits its parent's encoding (UTF-8), where a
top-level page has windows-1252 and the browsers' detectors: those pages (a late <meta>
after the body, say) are counted apart and not compared, as cafe has no parent; on a UTF-8
page only the title is compared.

Usage: documents.py LIBCAFE_SO   Exit: 0 agreed, 1 differed, 77 a browser is missing.
Knobs: CAFE_BROWSER_SEED [3], CAFE_BROWSER_PAGES [700]."""
import json
import os
import random
import sys

import browsers  # puts tests/util on the path
from pageserver import PageServer

# WHATWG label: python codec
ENCODINGS = {"utf-8": "utf-8", "windows-1252": "cp1252", "windows-1251": "cp1251",
             "koi8-r": "koi8_r", "shift_jis": "shift_jis", "euc-jp": "euc_jp", "gbk": "gbk",
             "big5": "big5", "euc-kr": "euc_kr", "iso-8859-2": "iso8859_2", "gb18030": "gb18030",
             "iso-8859-7": "iso8859_7", "windows-874": "cp874"}
# the title's characters, each used where the page's encoding has it
CHARS = ["a", "Z", "é", "Ж", "п", "日", "本", "한", "中", "ά", "ő", "ก", "\u00a0", "\u3000", "€",
         "‾", "¥", "–"]
TEXT = [" ", "  ", "\t", "\n", "\r", "\r\n", "\x0c", "&amp;", "&nbsp;", "&#xA0;", "&#x3000;",
        "&#13;", "&#x0C;", "&#32;", "&#9;", "&eacute", "&eacute;", "&notin;", "&not", "&#128;",
        "&#x80;", "&#150;", "&#0;", "&#x110000;", "&#xD800;", "&lt;", "<", "</", "</titl",
        "</titlex>", "<!--", "-->", "<b>", "&", "&#", "&#x", ";", "\x00"]
HEAD = ["<!DOCTYPE html>", "<html>", "<head>", "<meta name=a content=b>", "<link rel=x href=y>",
        "<base href=x>", "<script>var a = '<title>no</title>';</script>", "<style>p{}</style>",
        "<noscript><title>ns</title></noscript>", "<template><title>tm</title></template>",
        "<svg><title>svg</title></svg>", "<!-- c -->", "<?pi?>", "<object></object>",
        "<noscript></noscript>"]
HOW = ["header", "meta", "meta-http", "late-meta", "late-meta-body", "bom", "header+meta"]

INDEX = browsers.iframe_index("utf-8", "[d.title, d.characterSet]")


def padding(rng):
    n = rng.choice([0, 0, 10, 200, 600, 900, 1000, 1010, 1020, 1100, 2100])
    return "<!--" + "p" * n + "-->" if n else ""


def encodable(s, codec):
    try:
        s.encode(codec)
        return True
    except UnicodeEncodeError:
        return False


def random_page(rng):
    """(transport label or "", body, how it is declared, the encoding it is in)"""
    label = rng.choice(list(ENCODINGS))
    how = rng.choice(HOW)
    if how == "bom":
        label = "utf-8"
    codec = ENCODINGS[label]
    chars = [c for c in CHARS if encodable(c, codec)]
    title = "".join(rng.choice(chars) if rng.random() < 0.5 else rng.choice(TEXT)
                    for _ in range(rng.randint(1, 10)))
    head = "".join(rng.choice(HEAD) for _ in range(rng.randint(0, 4)))
    meta = ("<meta http-equiv=Content-Type content='text/html; charset=%s'>" % label
            if how == "meta-http" else "<meta charset=%s>" % label)
    start = rng.choice(["<title>", "<TITLE>", "<title id=x>"])
    late = "<!--" + "q" * 1100 + "-->"
    header = ""
    if how == "header":
        s = head + padding(rng) + start + title + "</title><p>x"
        header = label
    elif how in ("meta", "meta-http"):
        s = head + padding(rng) + meta + padding(rng) + start + title + "</title><p>x"
    elif how == "late-meta":
        s = head + start + title + "</title>" + late + meta + "<p>x"
    elif how == "late-meta-body":
        s = head + start + title + "</title>" + late + "<p>" + meta
    elif how == "bom":  # the BOM wins over a header and a <meta> alike
        s = head + padding(rng) + "<meta charset=koi8-r>" + start + title + "</title><p>x"
        header = rng.choice(["", "windows-1251"])
    else:  # the header wins over an early <meta>
        other = rng.choice([x for x in ENCODINGS if x != label])
        s = head + "<meta charset=%s>" % other + padding(rng) + start + title + "</title><p>x"
        header = label
    body = s.encode(codec)
    if how == "bom":
        body = b"\xef\xbb\xbf" + body
    return header, body, how, label


def main():
    found = browsers.both_browsers()
    if not found:
        return 77
    chromium, firefox = found
    rng = random.Random(int(os.environ.get("CAFE_BROWSER_SEED", "3")))
    pages = [random_page(rng) for _ in range(int(os.environ.get("CAFE_BROWSER_PAGES", "700")))]
    cases = [(header, body) for header, body, _, _ in pages]

    def page(path):
        if path.startswith("/c/"):
            label, body = cases[int(path[3:])]
            return body, "text/html; charset=" + label
        return INDEX, "text/html; charset=utf-8"
    server = PageServer(page)
    url = server.url("/")
    chrome, fox = browsers.both_titles(chromium, firefox, url, len(cases))
    server.close()
    encodings = []
    ours = browsers.cafe_titles(sys.argv[1], cases, encodings)
    agreed = inherited = disagree = differ = 0
    for (header, body, how, label), (ct, cs), (ft, fs), o, oe in zip(pages, chrome, fox, ours,
                                                                     encodings):
        if ct != ft or cs != fs:
            disagree += 1
            continue
        if cs == "UTF-8" and label != "utf-8":
            inherited += 1  # the parent's encoding: a top-level page would have another
            continue
        agreed += 1
        # UTF-8 may be the parent's too: then only the title is compared
        if o != ct or (cs != "UTF-8" and oe.lower() != cs.lower()):
            differ += 1
            if differ <= 20:
                print("%s %s header %r: browsers %r in %s, cafe %r in %s\n  page %r" % (
                    how, label, header, ct, cs, o, oe, body))
    print("%d pages: browsers agree on %d (and on %d more read in the parent's encoding, not "
          "compared), disagree on %d; cafe differs from them on %d" % (
              len(pages), agreed, inherited, disagree, differ))
    if os.environ.get("CAFE_BROWSER_DUMP"):
        with open(os.environ["CAFE_BROWSER_DUMP"], "w") as f:
            json.dump([[h, b.hex(), c, x, o] for (h, b), c, x, o in
                       zip(cases, chrome, fox, ours)], f)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
