#!/usr/bin/env python3
"""cafe's titles and encodings against headless Chromium's and Firefox's on pages that declare
their encoding every way a browser reads one, each loaded top-level: every label cafe knows
(src/html/labels.c) and ~120 more names (labels of the Encoding Standard, and names that are
none: utf-7, utf-32, x-mac-greek...), each in <meta charset> and in Content-Type; Content-Type
values with quotes, odd case, spaces, parameters around the charset, several types joined by
commas, the replacement encodings and x-user-defined; and 45 <meta> forms (http-equiv with
quoted or spaced values, two metas, a meta in a comment, script, style, textarea, title,
noscript, svg, template, a bogus comment...), each before and after the title, within the
first 1024 bytes and past them. The title's bytes read differently in every encoding. Where
both browsers agree on the title and the encoding, cafe must give both.

Usage: declared.py LIBCAFE_SO   Exit: 0 agreed, 1 differed, 77 a browser is missing."""
import ctypes
import os
import re
import sys
import tempfile

import browsers  # puts tests/util on the path
from pageserver import PageServer

HERE = os.path.dirname(os.path.abspath(__file__))
EXTRA = """csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le unicodefffe utf-16be
x-user-defined ms932 windows-31j x-sjis csshiftjis ms_kanji shift-jis sjis iso-ir-149
ks_c_5601-1987 windows-949 x-euc-jp cseucpkdfmtjapanese iso-2022-cn iso-2022-cn-ext iso-2022-kr
csiso2022kr hz-gb-2312 x-gbk gb_2312-80 iso-ir-58 csiso58gb231280 x-cp1250 x-mac-ukrainian
dos-874 tis-620 iso-8859-11 iso8859-11 iso885911 cp819 ibm819 l1 latin1 us-ascii ascii
ansi_x3.4-1968 iso_8859-1:1987 csisolatin1 csisolatin9 l9 latin9 csisolatinarabic ecma-114
asmo-708 arabic iso-ir-127 iso-8859-6-e iso-8859-6-i csiso88596e csiso88596i visual logical
csiso88598e csiso88598i iso-8859-8-e iso_8859-8:1988 sun_eu_greek greek8 elot_928 ecma-118 koi
koi8 koi8_r cskoi8r koi8-ru koi8-u csmacintosh mac macintosh x-mac-roman cspc866 latin6 l6
csisolatin4 x-cp1251 x-cp1252 x-cp1253 x-cp1254 x-cp1255 x-cp1256 x-cp1257 x-cp1258 cn-big5
x-x-big5 csbig5 big5-hkscs chinese csgb2312 gb2312 gbk iso-ir-165 cseuckr csksc56011987 euc-kr
korean ks_c_5601-1989 ksc5601 ksc_5601 iso-2022-jp csiso2022jp utf-32 utf-7 cesu-8 x-mac-greek
iso-8859-9 latin5 iso-8859-1 iso-ir-100 windows-1252 cp1252 iso-8859-14 iso8859-14 iso885914
iso-8859-16 x-mac-cyrillic gb18030""".split()
CONTENT_TYPES = [
    'text/html; charset="windows-1251"', "text/html;charset=WINDOWS-1251",
    "text/html; CHARSET=koi8-r", "text/html; charset='koi8-r'", "text/html; charset=koi8-r; foo=bar",
    "text/html; charset= koi8-r", "text/html; charset=koi8-r , text/html",
    'text/html; charset="koi8-r', 'text/html; charset="KOI8-R"; x=y', "TEXT/HTML; Charset=Shift_JIS",
    "text/html; charset=utf-8; charset=koi8-r", "text/html; charset=;charset=koi8-r",
    'text/html; charset="k\\oi8-r"', "text/html ; charset=koi8-r", "text/html;;charset=koi8-r",
    "text/html; charset=\tkoi8-r", "text/html; charset=koi8-r\t", "text/html; charset=bogus",
    "text/html, text/html; charset=koi8-r",
    "text/html; charset=koi8-r, text/html; charset=windows-1251", "text/html; charset=koi8-r, */*",
    "text/html; charset=x-user-defined", "text/html; charset=iso-2022-kr",
    "text/html; charset=hz-gb-2312", "text/html; charset=utf-16",
    "text/html; charset=unicode-1-1-utf-8"]
METAS = [
    "<meta http-equiv=\"Content-Type\" content=\"text/html; charset='koi8-r'\">",
    '<meta http-equiv="Content-Type" content="charset=koi8-r">',
    '<meta http-equiv="Content-Type" content="text/html;charset = koi8-r">',
    '<meta http-equiv="Content-Type" content="text/html; charset=&quot;koi8-r">',
    '<meta http-equiv="content-type" content="text/html; charset=koi8-r; foo">',
    '<meta http-equiv="Content-Type" content="text/html; charsetcharset=koi8-r">',
    '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r" charset="windows-1251">',
    '<meta content="text/html; charset=koi8-r" http-equiv="Content-Type">',
    '<meta content="text/html; charset=koi8-r">', '<meta charset=" koi8-r ">',
    '<meta charset="koi8-r;">', "<meta charset='koi8-r'>", "<meta charset=koi8-r/>",
    '<meta charset="utf-16">', '<meta charset="utf-16be">', '<meta charset="x-user-defined">',
    '<meta charset="iso-2022-kr">', '<meta charset="hz-gb-2312">', '<meta charset="iso-2022-cn">',
    '<meta charset="bogus"><meta charset="koi8-r">',
    '<meta charset="koi8-r"><meta charset="windows-1251">', '<meta charset=""><meta charset="koi8-r">',
    '<!-- <meta charset="koi8-r"> -->', '<script>"<meta charset=koi8-r>"</script>',
    "<style>/*<meta charset=koi8-r>*/</style>", '<script type="text/plain"><meta charset=koi8-r></script>',
    "<noscript><meta charset=koi8-r></noscript>", "<textarea><meta charset=koi8-r></textarea>",
    "<title>x<meta charset=koi8-r></title>", "<!--> <meta charset=koi8-r>",
    "<!---> <meta charset=koi8-r> -->", "<? <meta charset=koi8-r> >", "<!x <meta charset=koi8-r> >",
    "<xmeta charset=koi8-r>", '<meta  name="x" charset="koi8-r">',
    '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r" content="charset=windows-1251">',
    "<svg><meta charset=koi8-r></svg>", "<template><meta charset=koi8-r></template>",
    # whitespace around the label, and references, past the 128 bytes cafe's tokenizer keeps
    # of the value
    '<meta charset="%skoi8-r\t">' % (" " * 200), '<meta charset="koi8-r%s">' % (" " * 200),
    '<meta http-equiv="Content-Type" content="text/html;&amp;%s charset=koi8-r">' % ("y" * 200)]
TITLE = b"T\xa4\xa2\xb1\xc4\xe5\xf1\x80\xfe"
PAGE = b"<!DOCTYPE html><html><head>%s<title>" + TITLE + b"</title>%s</head><body><p>x</p></body></html>"


def cases():
    """[(what, body, Content-Type)]"""
    with open(os.path.join(HERE, "..", "..", "src", "html", "labels.c")) as f:
        labels = re.findall(r'\{"([^"]+)", &', f.read())
    out = []
    for label in dict.fromkeys(labels + EXTRA):
        out.append(("meta " + label, PAGE % (b'<meta charset="%s">' % label.encode(), b""), "text/html"))
        out.append(("header " + label, PAGE % (b"", b""), "text/html; charset=" + label))
    out += [("Content-Type " + ct, PAGE % (b"", b""), ct) for ct in CONTENT_TYPES]
    late = b"<!--" + b"p" * 1100 + b"-->"
    for m in METAS:
        for where, pad in (("early", b""), ("late", late)):
            out.append((where + " " + m, PAGE % (pad + m.encode(), b""), "text/html"))
            out.append((where + ", after the title, " + m, PAGE % (pad, m.encode()), "text/html"))
    return out


def cafe(lib, body, ctype):
    """cafe's (title, encoding), the whole Content-Type given as the transport charset."""
    t = ctypes.c_void_p()
    if lib.cafe_title_create(ctypes.byref(t), ctype.encode() if ";" in ctype else None):
        raise RuntimeError("cafe_title_create failed")
    lib.cafe_title_feed(t, body, len(body))
    return browsers.title_done(lib, t)


def main():
    found = browsers.both_browsers()
    if not found:
        return 77
    pages = cases()
    server = PageServer(lambda path: (pages[int(path[1:])][1], pages[int(path[1:])][2])
                        if path[1:].isdigit() and int(path[1:]) < len(pages) else None)
    urls = [server.url("/%d" % i) for i in range(len(pages))]
    expr = "[document.title, document.characterSet]"
    with tempfile.TemporaryDirectory() as t1, tempfile.TemporaryDirectory() as t2:
        chrome = browsers.chromium_top_level(found[0], urls, t1, expr)
        fox = browsers.firefox_top_level(found[1], urls, t2, expr)
    server.close()
    lib = browsers.title_lib(sys.argv[1])
    agreed = differ = 0
    for (what, body, ctype), c, f in zip(pages, chrome, fox):
        if c != f:
            continue
        agreed += 1
        title, enc = cafe(lib, body, ctype)
        if title != c[0] or enc.lower() != c[1].lower():
            differ += 1
            print("%s: browsers %r in %s, cafe %r in %s" % (what, c[0], c[1], title, enc))
    print("%d pages: browsers agree on %d; cafe differs from them on %d" % (
        len(pages), agreed, differ))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
