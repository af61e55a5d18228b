#!/usr/bin/env python3
"""Generates a detection corpus from real translated text: the gettext catalogues on this
machine (/usr/share/locale/*/LC_MESSAGES/*.mo, iso-codes' among them). Each page declares
no encoding (no BOM, no charset, no <meta>) and is written in one of the legacy encodings
sites of its language used, or UTF-8. Nothing is downloaded.

Shapes:
  title     a translated string as the title, nothing else non-ASCII
  sentence  the title, then a few translated sentences in the body
  head      2 KiB of ASCII script and style, then the title and a sentence
  long      the title and many translated strings (several KiB)

Run: python3 tests/html/gen_mo_corpus.py OUTDIR [PER_CELL] [--locale-dir DIR] [--max-files N]
PER_CELL (default 6): pages per language, encoding and shape; --max-files: read only each
locale's first N catalogues (by name), for a quicker sample. Writes OUTDIR/<name>.html and
OUTDIR/index.tsv, one line per page:
  file, WHATWG encoding name, shape, language, country domain, expected title (UTF-8).
Exits 77 when the catalogues are missing (too few strings for any language).
"""
import gettext
import glob
import os
import random
import sys

# locale, country domain, [(WHATWG name, python codec)]: the legacy encodings the language's
# sites used, UTF-8 last
U8 = ("UTF-8", "utf-8")
W1252 = [("windows-1252", "cp1252"), U8]
W1250 = [("windows-1250", "cp1250"), ("ISO-8859-2", "iso8859-2"), U8]
LANGS = [
    ("de", "de", W1252), ("fr", "fr", W1252), ("es", "es", W1252), ("it", "it", W1252),
    ("pt_BR", "br", W1252), ("pt", "pt", W1252), ("nl", "nl", W1252), ("da", "dk", W1252),
    ("sv", "se", W1252), ("nb", "no", W1252), ("fi", "fi", W1252), ("ca", "es", W1252),
    ("gl", "es", W1252), ("is", "is", W1252),
    ("cs", "cz", W1250), ("sk", "sk", W1250), ("sl", "si", W1250), ("hr", "hr", W1250),
    ("hu", "hu", W1250),
    ("pl", "pl", [("ISO-8859-2", "iso8859-2"), ("windows-1250", "cp1250"), U8]),
    ("ro", "ro", [("ISO-8859-16", "iso8859-16"), ("ISO-8859-2", "iso8859-2"), U8]),
    ("ru", "ru", [("windows-1251", "cp1251"), ("KOI8-R", "koi8-r"), ("IBM866", "cp866"),
                  ("x-mac-cyrillic", "mac_cyrillic"), U8]),
    ("uk", "ua", [("windows-1251", "cp1251"), ("KOI8-U", "koi8-u"), U8]),
    ("be", "by", [("windows-1251", "cp1251"), U8]),
    ("bg", "bg", [("windows-1251", "cp1251"), U8]),
    ("sr", "rs", [("windows-1251", "cp1251"), U8]),
    ("mk", "mk", [("windows-1251", "cp1251"), U8]),
    ("el", "gr", [("ISO-8859-7", "iso8859-7"), ("windows-1253", "cp1253"), U8]),
    ("tr", "tr", [("windows-1254", "cp1254"), U8]),
    ("he", "il", [("windows-1255", "cp1255"), ("ISO-8859-8", "iso8859-8"), U8]),
    ("ar", "eg", [("windows-1256", "cp1256"), ("ISO-8859-6", "iso8859-6"), U8]),
    ("fa", "ir", [("windows-1256", "cp1256"), U8]),
    ("th", "th", [("windows-874", "cp874"), U8]),
    ("lt", "lt", [("windows-1257", "cp1257"), ("ISO-8859-13", "iso8859-13"), U8]),
    ("lv", "lv", [("windows-1257", "cp1257"), ("ISO-8859-13", "iso8859-13"), U8]),
    ("et", "ee", [("windows-1257", "cp1257"), ("ISO-8859-15", "iso8859-15"), U8]),
    ("vi", "vn", [("windows-1258", "cp1258"), U8]),
    ("ja", "jp", [("Shift_JIS", "shift_jis"), ("EUC-JP", "euc_jp"),
                  ("ISO-2022-JP", "iso2022_jp"), U8]),
    ("zh_CN", "cn", [("GBK", "gbk"), ("gb18030", "gb18030"), U8]),
    ("zh_TW", "tw", [("Big5", "big5"), U8]),
    ("ko", "kr", [("EUC-KR", "euc_kr"), U8]),
]

SHAPES = ("title", "sentence", "head", "long")
HEAD = ("<script>\n" + "".join("var v%d = document.getElementById('item%d');\n" % (i, i)
                               for i in range(40)) + "</script>\n<style>\n" +
        "".join(".c%d { margin: %dpx; }\n" % (i, i) for i in range(20)) + "</style>\n")
BAD = set("%{}<>&\\_|$@#[]*=/~^`\"\t\n\r\u00a0\u200b\ufeff")


def clean(s):
    s = " ".join(s.split())
    if not s or any(c in BAD or ord(c) < 32 or 0x7f <= ord(c) < 0xa0 for c in s):
        return None
    return s


def strings(locale_dir, locale, max_files):
    """The locale's translated strings (from its first max_files catalogues), sorted and
    unique."""
    out = set()
    paths = sorted(glob.glob(os.path.join(locale_dir, locale, "LC_MESSAGES", "*.mo")))
    for path in paths[:max_files]:
        try:
            with open(path, "rb") as f:
                cat = gettext.GNUTranslations(f)._catalog
        except Exception:
            continue
        for key, value in cat.items():
            if not key or not isinstance(value, str):
                continue
            s = clean(value)
            if s:
                out.add(s)
    return sorted(out)


def encodable(s, codec):
    try:
        b = s.encode(codec)
    except UnicodeError:
        return False
    return codec == "iso2022_jp" or b.decode(codec) == s


def non_ascii(s):
    return sum(ord(c) > 127 for c in s)


def pick(pool, rng, n):
    return [pool[i] for i in sorted(rng.sample(range(len(pool)), min(n, len(pool))))]


def page(shape, title, body):
    head = HEAD if shape == "head" else ""
    paras = "".join("<p>%s</p>\n" % s for s in body)
    return ("<!DOCTYPE html>\n<html><head>\n%s<title>%s</title>\n</head>\n<body>\n%s"
            "<p>Copyright 2024.</p></body></html>\n" % (head, title, paras))


def main():
    args = [a for a in sys.argv[1:]]
    opts = {"--locale-dir": "/usr/share/locale", "--max-files": "100000"}
    for opt in opts:
        if opt in args:
            i = args.index(opt)
            opts[opt] = args[i + 1]
            del args[i:i + 2]
    locale_dir, max_files = opts["--locale-dir"], int(opts["--max-files"])
    out = args[0]
    per = int(args[1]) if len(args) > 1 else 6
    os.makedirs(out, exist_ok=True)
    index = []
    for locale, tld, encs in LANGS:
        all_strings = strings(locale_dir, locale, max_files)
        for enc, codec in encs:
            ok = [s for s in all_strings if non_ascii(s) and encodable(s, codec)]
            titles = [s for s in ok if 2 <= len(s.split()) <= 8 and 6 <= len(s) <= 60
                      and not s.endswith((".", ":", ","))]
            sentences = [s for s in ok if 40 <= len(s) <= 200 and s.endswith((".", "。"))]
            if len(sentences) < 3:  # Thai ends a sentence with a space, not a period
                sentences = [s for s in ok if 40 <= len(s) <= 200]
            if len(titles) < per or len(sentences) < 3:
                continue
            rng = random.Random("%s %s" % (locale, enc))
            for shape in SHAPES:
                for n, title in enumerate(pick(titles, rng, per)):
                    nbody = {"title": 0, "sentence": 3, "head": 1, "long": 40}[shape]
                    body = pick(sentences, rng, nbody)
                    data = page(shape, title, body).encode(codec)
                    assert b"charset" not in data.lower() and not data.startswith(b"\xef\xbb\xbf")
                    name = "%s-%s-%s-%d" % (locale, enc.lower(), shape, n)
                    with open(os.path.join(out, name + ".html"), "wb") as f:
                        f.write(data)
                    index.append((name + ".html", enc, shape, locale, tld, title))
    if len(index) == 0:
        print("skip: no gettext catalogues in " + locale_dir)
        return 77
    with open(os.path.join(out, "index.tsv"), "w", encoding="utf-8") as f:
        for row in index:
            f.write("\t".join(row) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
