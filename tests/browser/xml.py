"""cafe's titles of pages served as XML (application/xhtml+xml, text/xml, application/xml,
image/svg+xml) against headless Chromium's and Firefox's document.title and
document.characterSet: hand-written pages for each rule (encodings from the BOM, the
Content-Type and the XML declaration; namespaces, prefixes, SVG roots; CDATA, references and
the DTDs that give the HTML entities; malformations before and after the title), then random
ones mixing them. Wherever both browsers agree, cafe must give the same title and encoding.
Run by test_xml_browsers.sh; CAFE_BROWSER_PAGES sets the number of random pages (300),
CAFE_BROWSER_SEED their seed."""
import ctypes
import os
import random
import sys

import browsers
from pageserver import PageServer

X = 'xmlns="http://www.w3.org/1999/xhtml"'
SVG = 'xmlns="http://www.w3.org/2000/svg"'
XT = "application/xhtml+xml"
STRICT = ('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
          '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">')


def page(title, after=""):
    return '<html %s><head><title>%s</title></head><body>%s</body></html>' % (X, title, after)


def decl(label):
    return '<?xml version="1.0" encoding="%s"?>' % label


FIXED = [
    (XT, page("Hello  \t world ").encode()),
    ("text/xml", page("TX").encode()),
    ("application/xml", page("AX").encode()),
    ("image/svg+xml", ('<svg %s><title> S  v </title></svg>' % SVG).encode()),
    ("application/rss+xml", page("RSS").encode()),
    ("application/foo+xml", page("FOO").encode()),
    (XT, b'<h:html xmlns:h="http://www.w3.org/1999/xhtml"><h:title>Pre</h:title></h:html>'),
    (XT, ('<html %s><title/></html>' % X).encode()),
    (XT, page("a<![CDATA[ <b> ]]>c").encode()),
    (XT, page("a&nbsp;b").encode()),
    (XT, (STRICT + page("a&nbsp;b&eacute;&NotEqualTilde;")).encode()),
    (XT, b'<html><title>no namespace</title></html>'),
    (XT, (decl("windows-1252") + page("q\x93x\x80")).encode("latin-1")),
    (XT, decl("shift_jis").encode() + page("日本").encode("shift_jis")),
    (XT, (decl("bogus-label") + page("bog")).encode()),
    (XT + "; charset=iso-8859-1", (decl("utf-8") + page("é")).encode()),
    (XT, b'\xff\xfe' + (decl("utf-8") + page("bom16")).encode("utf-16-le")),
    (XT, page("after", "<p>unclosed").encode()),
    (XT, ('<html %s><head><p></head><title>before</title></html>' % X).encode()),
    ("image/svg+xml", ('<svg %s><g><title>deep</title></g><foreignObject><title %s>x</title>'
                       '</foreignObject><title>second</title></svg>' % (SVG, X)).encode()),
    (XT, ('<html %s><body><svg %s><title>svgt</title></svg><title>late</title></body></html>' %
          (X, SVG)).encode()),
    (XT, page("a<b>bold</b>c").encode()),
    (XT, page("&#x41;&amp;&lt;&#160;x").encode()),
    (XT, (decl("utf-16") + page("u16noBOM")).encode()),
    ("text/xml", b'<rss><channel><title>feed</title></channel></rss>'),
    (XT, ('<html %s><body><div><title>A</title></div></body><head><title>B</title></head></html>'
          % X).encode()),
    (XT, page("o<title>in</title>t").encode()),
    (XT, decl("euc-kr").encode() + page("한국").encode("euc-kr")),
    (XT, decl("koi8-r").encode() + page("Рус").encode("koi8-r")),
    (XT, decl("gb2312").encode() + page("中文").encode("gbk")),
    (XT + "; charset=windows-1251", decl("utf-8").encode() + page("Рус").encode("cp1251")),
    (XT, page("bad\x80utf8").encode("latin-1")),
    (XT, (decl("us-ascii") + page("q\xe9x")).encode("latin-1")),
    (XT, b'\xef\xbb\xbf' + decl("windows-1252").encode() + page("bom8\u00e9").encode()),
    (XT + "; charset=utf-8", b'\xff\xfe' + page("ctbom").encode("utf-16-le")),
    ("application/xml", (page("x") + "<!-- after -->junk").encode()),
    (XT, ('<!DOCTYPE html>' + page("a&nbsp;b")).encode()),
    (XT, ('<html %s><head><title>un' % X).encode()),
    ("text/xml; charset=windows-1252", (decl("shift_jis") + page("q\x93")).encode("latin-1")),
    (XT, decl("x-sjis").encode() + page("日本").encode("shift_jis")),
    (XT, b'\xfe\xff' + page("be16").encode("utf-16-be")),
    ("image/svg+xml", ('<svg %s><title>svg</title><title %s>h</title></svg>' % (SVG, X)).encode()),
    ("image/svg+xml", ('<html %s><title>html in svg type</title></html>' % X).encode()),
    ("image/svg+xml", ('<svg %s><desc/></svg>' % SVG).encode()),
    (XT, (decl("windows-1252") + page("q\x81x")).encode("latin-1")),
    (XT, (decl("utf-8") + page("x\x00y")).encode()),
    (XT, page("a\u00a0 \u3000b").encode()),
    (XT, page("&#1;").encode()),
    (XT, b'<html xmlns="http://www.w3.org/1999/xhtml"><title>a\rb\r\nc</title></html>'),
    (XT, decl("big5").encode() + page("中文").encode("big5")),
    (XT, decl("euc-jp").encode() + page("日本").encode("euc-jp")),
    (XT, decl("iso-2022-jp").encode() + page("日本").encode("iso-2022-jp")),
    (XT, (decl("x-user-defined") + page("q\x93")).encode("latin-1")),
    (XT, (decl("replacement") + page("rep")).encode("latin-1")),
    (XT + "; charset=utf-16le", page("ctle").encode("utf-16-le")),
    (XT + "; charset=bogus", (decl("windows-1252") + page("q\x93")).encode("latin-1")),
    (XT + "; charset=shift_jis", page("日本").encode("shift_jis")),
    (XT, ('<?xml version="1.0"?>' + page("\x93")).encode("latin-1")),
    (XT, ('<!DOCTYPE html [<!ENTITY foo "bar">]>' + page("&foo;")).encode()),
    (XT, ('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN" "x">' + page("&hellip;")).encode()),
    (XT, ('<!DOCTYPE html SYSTEM "about:legacy-compat">' + page("&nbsp;")).encode()),
    (XT, ('<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01//EN" "x">' + page("&nbsp;")).encode()),
    ("text/xml", (STRICT + page("&nbsp;xml")).encode()),
    (XT, ('<html %s xmlns:x="urn:x"><x:title>other</x:title><title>mine</title></html>'
          % X).encode()),
    (XT, (page("x" * 5000)).encode()),
    (XT, '<?xml-stylesheet href="a" encoding="windows-1252"?>'.encode() + page("é").encode()),
    # the DTDs that give HTML's entities: exact public ids, with an internal subset, standalone
    (XT, ('<?xml version="1.0" standalone="yes"?>' + STRICT + page("sa&nbsp;")).encode()),
    (XT, (STRICT.replace("W3C//DTD XHTML", "w3c//dtd xhtml") + page("lc&nbsp;")).encode()),
    (XT, (STRICT.replace('">', '" [<!ENTITY foo "bar">]>') + page("&foo;&nbsp;")).encode()),
    (XT, ('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN">' + page("&nbsp;")).encode()),
    (XT, ('<!DOCTYPE html PUBLIC "-//WAPFORUM//DTD XHTML Mobile 1.0//EN" "x">' +
          page("&nbsp;wap")).encode()),
    (XT, ('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1 plus MathML 2.0 plus SVG 1.1//EN" "x">' +
          page("&nbsp;svg")).encode()),
    # decoding errors are fatal in XML: before the title, in it, after it
    (XT, decl("shift_jis").encode() + page("a\x82\x20b".encode("latin-1").decode("latin-1"))
     .encode("latin-1")),
    (XT, decl("windows-1253").encode() + page("a").encode() + b"<!--\xaa-->"),
    (XT, decl("windows-1253").encode() + b"<!--\xaa-->" + page("a").encode()),
    (XT, decl("euc-kr").encode() + page("\ud55c").encode("euc-kr") + b"\xff\xff"),
    (XT, b"\xff\xfe" + page("lone").encode("utf-16-le").replace(b"l\x00", b"\x00\xd8", 1)),
    (XT, decl("gb18030").encode() + page("\ufffd").encode("gb18030")),
    (XT, b"\xff\xfe" + page("\ufffd").encode("utf-16-le")),
    # what expat does alone: entities in attributes, parameter entities it does not read (no
    # declaration after one counts), defaulted namespace attributes, XML 1.1, the five
    (XT, (STRICT + '<html %s><head><title lang="&eacute;">attr</title></head></html>' % X)
     .encode()),
    (XT, ('<!DOCTYPE html [<!ENTITY %% p SYSTEM "x"> %%p; <!ENTITY foo "bar">]>' +
          page("pe&foo;")).encode()),
    (XT, ('<!DOCTYPE html [<!ENTITY %% p SYSTEM "x"> %%p;]>' + page("pe2&nbsp;")).encode()),
    (XT, ('<!DOCTYPE html [<!ENTITY %% p SYSTEM "x"> %%p;]>' + page("pe3")).encode()),
    (XT, ('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x" '
          '[<!ENTITY %% p SYSTEM "y"> %%p;]>' + page("kpe&foo;")).encode()),
    (XT, ('<!DOCTYPE html [<!ATTLIST html xmlns CDATA #FIXED "http://www.w3.org/1999/xhtml">]>'
          '<html><head><title>defaulted-ns</title></head></html>').encode()),
    (XT, ('<?xml version="1.1"?>' + page("v11&#x1;")).encode()),
    (XT, ('<?xml version="1.1"?>' + page("v11b")).encode()),
    (XT, (STRICT + page("&nbsp")).encode()),
    (XT, (STRICT + page("&amp;&lt;&gt;&quot;&apos;five")).encode()),
    (XT, ("<!-- before -- bad -->" + page("cm")).encode()),
    (XT, ('<html %s xmlns:xml="http://www.w3.org/XML/1998/namespace"><title>xml</title></html>'
          % X).encode()),
    (XT, ('<html %s><title xmlns="">nons</title><title>second</title></html>' % X).encode()),
    (XT, ('<html %s><title a="1" a="2">dup</title></html>' % X).encode()),
    # under an SVG root an error anywhere, after the title too, leaves no title in both (their
    # error page has no svg root); an XHTML root's stays in Chromium alone
    ("image/svg+xml", ('<svg %s><title>T</title></g>' % SVG).encode()),
    ("image/svg+xml", ('<svg %s><title>T</title>' % SVG + '<g/>' * 3000).encode()),
    ("image/svg+xml", ('<svg %s><title>T</title>' % SVG + '<g/>' * 3000 + '&bogus;</svg>').encode()),
    (XT, ('<svg %s><desc>d</desc><title>T</title><g a="1" a="2"/></svg>' % SVG).encode()),
    ("image/svg+xml", ('<svg %s><title>T</title><desc>d</desc><title>U</title></svg>' %
                       SVG).encode()),
    # a declaration expat refuses still names the encoding (document.characterSet) as both
    # read it: "version" and a quoted value, then "encoding" and the next one, before "?>"
    (XT, ('<?xml version="1.0" encoding="koi8-r"?&nbsp;>' + page("x")).encode()),
    (XT, ('<?xml version="1.0" xmlnsencoding="euc-kr"?>' + page("x")).encode()),
    (XT, ('<?xml" version="1.0" encoding="windows-1251"?>' + page("x")).encode()),
    (XT, ('<?xml versi<title>on="1.0" encoding="euc-kr"?>' + page("x")).encode()),
    (XT, ('<?xml v>ersion="1.0" encoding="iso-8859-2"?>' + page("x")).encode()),
    ("text/xml", ('<?xml version="1.0" encoding="gb2312"?<html %s><title>t</title></html>'
                  % X).encode()),
    # the declaration's version: VersionNum, "1." and digits (expat takes any)
] + [(t, ('<?xml version="%s"?>' % v + (page("ver") if t == XT else
                                           '<svg %s><title>ver</title></svg>' % SVG)).encode())
     for v in ["1.2", "1.10", "2.0", "1", "0.9", "1.0a", "", "11.0", "1.x"]
     for t in [XT, "image/svg+xml"]]

# random pages
WORDS = ["Caf\u00e9", "na\u00efve", "\u0420\u0443\u0441\u0441\u043a\u0438\u0439", "\u65e5\u672c\u8a9e",
         "\ud55c\uad6d\uc5b4", "\u4e2d\u6587", "\u00a9 2024", "plain", "\u20ac5", "\u201cq\u201d"]
LABELS = ["utf-8", "windows-1252", "iso-8859-1", "shift_jis", "euc-kr", "koi8-r", "gb2312",
          "big5", "euc-jp", "windows-1251", "iso-8859-2", "utf-16", "bogus", "UTF-8", "latin1"]
CODECS = {"utf-8": "utf-8", "windows-1252": "cp1252", "iso-8859-1": "cp1252",
          "latin1": "cp1252", "shift_jis": "shift_jis", "euc-kr": "euc-kr", "koi8-r": "koi8-r",
          "gb2312": "gbk", "big5": "big5", "euc-jp": "euc-jp", "windows-1251": "cp1251",
          "iso-8859-2": "iso-8859-2", "UTF-8": "utf-8"}
TYPES = [XT, XT, "text/xml", "application/xml", "image/svg+xml"]


def random_title(rng, dtd):
    parts = []
    for _ in range(rng.randint(0, 5)):
        k = rng.randrange(10)
        if k < 4:
            parts.append(rng.choice(WORDS))
        elif k == 4:
            parts.append(rng.choice([" ", "  \t", "\n", "\r\n "]))
        elif k == 5:
            parts.append(rng.choice(["&amp;", "&#x41;", "&#233;", "&lt;", "&gt;"] +
                                    (["&nbsp;", "&eacute;"] if dtd or rng.random() < .2 else [])))
        elif k == 6:
            parts.append("<![CDATA[%s]]>" % rng.choice(["<b>", " x ", "&amp;"]))
        elif k == 7:
            parts.append(rng.choice(["<b>bold</b>", "<!-- c -->", "<?pi x?>", "<br/>"]))
        elif k == 8:
            parts.append(rng.choice(["&", "<", "\x01", "&foo;"]) if rng.random() < .3 else " ")
        else:
            parts.append(rng.choice(WORDS) + " ")
    return "".join(parts)


def random_page(rng):
    ctype = rng.choice(TYPES)
    label = rng.choice(LABELS + [None, None, None])
    codec = CODECS.get(label, "utf-8")
    dtd = rng.random() < .3
    title = random_title(rng, dtd)
    text = ""
    if label is not None:
        text += decl(label)
    elif rng.random() < .2:
        text += '<?xml version="1.0"?>'
    if dtd:
        text += STRICT
    if ctype == "image/svg+xml" and rng.random() < .7:
        text += '<svg %s><desc>d</desc><title>%s</title></svg>' % (SVG, title)
    else:
        shape = rng.randrange(4)
        if shape == 0:
            text += page(title, rng.choice(["", "<p>x</p>", "<p>unclosed", "</div>"]))
        elif shape == 1:
            text += ('<h:html xmlns:h="http://www.w3.org/1999/xhtml"><h:head><h:title>%s'
                     '</h:title></h:head></h:html>' % title)
        elif shape == 2:
            text += '<root><x:title xmlns:x="urn:x">n</x:title><title %s>%s</title></root>' % (
                X, title)
        else:
            text += '<html %s><head><p>%s</head><title>%s</title></html>' % (
                X, rng.choice(["</p>", ""]), title)
    body = text.encode(codec, "replace")
    how = rng.randrange(6)
    if how == 0:
        body = b"\xef\xbb\xbf" + text.encode("utf-8")
    elif how == 1:
        body = b"\xff\xfe" + text.encode("utf-16-le")
    elif how == 2:
        header = rng.choice(["utf-8", "windows-1251", "shift_jis", "bogus"])
        ctype += "; charset=" + header
        body = text.encode(CODECS.get(header, "utf-8"), "replace")
    if rng.random() < .05:
        body = body[:rng.randrange(len(body))]
    return ctype, body


INDEX = ("<!DOCTYPE html><body><script>async function run(n) {"
         "const out = []; let next = 0;"
         "async function worker() { while (next < n) { const i = next++;"
         "const f = document.createElement('iframe'); document.body.appendChild(f);"
         "await Promise.race([new Promise(r => { f.onload = r; f.src = '/c/' + i; }),"
         " new Promise(r => setTimeout(r, 3000))]);"
         "let d = null; try { d = f.contentDocument; } catch (e) {}"
         "out[i] = d && d.readyState === 'complete' ? [d.title, d.characterSet] : null;"
         "f.remove(); } }"
         "await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(worker));"
         "return JSON.stringify(out); }</script>").encode()


def cafe_titles(lib_path, cases):
    """cafe's [title, encoding] of each (Content-Type, body) case, in the mode its type says
    ([None, None] for a type it does not read)."""
    lib = browsers.title_lib(lib_path)
    out = []
    for ctype, body in cases:
        mode = lib.cafe_title_mode_of(ctype.encode())
        if mode == 0:
            out.append([None, None])
            continue
        t = ctypes.c_void_p()
        if lib.cafe_title_create(ctypes.byref(t), ctype.encode()):
            raise RuntimeError("cafe_title_create failed")
        if lib.cafe_title_set_mode(t, mode):
            raise RuntimeError("cafe_title_set_mode failed")
        # in two pieces: the split must not matter
        cut = len(body) // 3
        if lib.cafe_title_feed(t, body[:cut], cut) == 0:
            lib.cafe_title_feed(t, body[cut:], len(body) - cut)
        out.append(list(browsers.title_done(lib, t)))
    return out


def main():
    found = browsers.both_browsers()
    if not found:
        return 77
    chromium, firefox = found
    rng = random.Random(int(os.environ.get("CAFE_BROWSER_SEED", "7")))
    cases = FIXED + [random_page(rng) for _ in range(int(os.environ.get("CAFE_BROWSER_PAGES",
                                                                         "300")))]

    def serve(path):
        if path.startswith("/c/") and path[3:].isdigit():
            ctype, body = cases[int(path[3:])]
            return body, ctype
        if path.startswith("/c/"):  # what a page refers to (a stylesheet): none
            return None
        # a parent in windows-1252: a page that took its parent's encoding would show it
        return INDEX, "text/html; charset=windows-1252"
    server = PageServer(serve)
    url = server.url("/")
    chrome, fox = browsers.both_titles(chromium, firefox, url, len(cases))
    server.close()
    ours = cafe_titles(sys.argv[1], cases)
    if os.environ.get("CAFE_BROWSER_SHOW"):  # one page's answers: CAFE_BROWSER_SHOW=index
        i = int(os.environ["CAFE_BROWSER_SHOW"])
        print("page %d: chromium %r, firefox %r, cafe %r" % (i, chrome[i], fox[i], ours[i]))
    agreed = disagree = differ = 0
    for i, ((ctype, body), c, f, o) in enumerate(zip(cases, chrome, fox, ours)):
        # None: not shown as a document (a download, a feed viewer)
        same = c == f or (c and f and c[0] == f[0] and c[1].lower() == f[1].lower())
        if not same:
            disagree += 1
            continue
        agreed += 1
        if not c or not c[0]:  # no title (cafe's "" for none, None for a type not read)
            ok = not o[0] and (not c or o[1] is None or o[1].lower() == c[1].lower())
        else:
            # cafe keeps CAFE_TITLE_MAX bytes of a longer title
            same_title = o[0] == c[0] or (len(o[0].encode()) > 4090 and c[0].startswith(o[0]))
            ok = same_title and o[1] is not None and o[1].lower() == c[1].lower()
        if not ok:
            differ += 1
            if differ <= 20:
                print("page %d %s: browsers %r, cafe %r\n  %r" % (i, ctype, c, o, body[:300]))
    print("%d pages: browsers agree on %d, disagree on %d; cafe differs from them on %d" % (
        len(cases), agreed, disagree, differ))
    return 1 if differ or agreed < len(cases) // 2 else 0


if __name__ == "__main__":
    sys.exit(main())
