#!/usr/bin/env python3
"""cafe's titles and encodings against headless Chromium's and Firefox's on pages that declare
no encoding (no BOM, no charset in Content-Type, no <meta>), each loaded top-level (the only
way a browser guesses an encoding: an iframe inherits its parent's) under the host it names,
every host mapped to 127.0.0.1. Where both browsers agree on the title, cafe must give it;
where they agree on document.characterSet too, cafe must name the same encoding. The pages
are the ones this found cafe wrong on (bench/detect/undeclared.py measures the many more), and
a grid of realistic shapes in 21 legacy encodings (grid()).

Usage: undeclared_pages.py LIBCAFE_SO   Exit: 0 agreed, 1 differed, 77 a browser is missing."""
import os
import sys
import tempfile

import browsers  # puts tests/util on the path
from pageserver import PageServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "html"))
import gen_detect_corpus  # noqa: E402


def page(title, codec):
    return ("<!DOCTYPE html>\n<html><head>\n<title>%s</title></head>\n<body><p>Copyright 2024. "
            "All rights reserved.</p></body></html>\n" % title).encode(codec)




def page_text(title, text, codec):
    return ("<!DOCTYPE html>\n<html><head>\n<title>%s</title>\n</head>\n<body>\n<p>%s</p>\n"
            "</body></html>\n" % (title, text)).encode(codec)


HU = ("Időjárás-előrejelzés Budapestre",
      "Szombatonként gyermekfoglalkozásokat és író-olvasó találkozókat szervezünk.")


def corpus_page(encoding, shape):
    """The detect corpus's first page of that encoding and shape (tests/html)."""
    for name, codec, _, titles, sentence, paragraph in gen_detect_corpus.LANGS:
        if name == encoding:
            return gen_detect_corpus.page(shape, titles[0], sentence, paragraph).encode(codec)
    raise KeyError(encoding)

# (host, page)
CASES = [
    # windows-1256 read as ISO-8859-6: "اتصف بلا" (both: windows-1256 "اتصل بنا")
    ("www.example.eg", page("اتصل بنا", "cp1256")),
    # ISO-8859-6 whose ي windows-1256 reads as ê stays ISO-8859-6 (both)
    ("www.example.eg", page("الرئيسية", "iso8859-6")),
    # eight capitals or more against a CJK reading: GBK "新闻中心" was windows-1251 "РВОЕЦРРД"
    ("www.example.com", page("新闻中心", "gbk")),
    ("127.0.0.1", page("新闻中心", "gbk")),
    ("127.0.0.1", page("ЗДРАВСТВУЙТЕ", "cp1251")),
    ("127.0.0.1", page("ΕΙΔΗΣΕΙΣ", "cp1253")),
    # ...a sign's byte included: GBK "关于我们" was windows-1251 "№ШУЪОТГЗ"
    ("127.0.0.1", page("关于我们", "gbk")),
    # ...five to seven stay a word
    ("127.0.0.1", page("ГЛАВНАЯ", "cp1251")),
    # uchardet's GB18030 is GBK to both (charset "gb18030")
    ("www.example.cn", page("北京新闻网 - 今日要闻", "gbk")),
    # uchardet's ISO-8859-13 is windows-1257 to both where the two read alike
    ("127.0.0.1", page("Lietotāja vārds", "cp1257")),
    ("127.0.0.1", page("Jaunākās ziņas", "cp1257")),
    # Greek with no domain is windows-1253 (both, on a page of text); under .gr ISO-8859-7
    ("127.0.0.1", corpus_page("ISO-8859-7", "long")),
    ("www.example.gr", corpus_page("ISO-8859-7", "long")),
    # Hungarian reads alike in ISO-8859-2 and windows-1250: windows-1250 to both (uchardet:
    # ISO-8859-2), but under .hu and .pl, where ISO-8859-2 is usual to both
    ("127.0.0.1", page_text(*HU, "iso8859-2")),
    ("www.example.cz", page_text(*HU, "cp1250")),
    ("www.example.hu", page_text(*HU, "cp1250")),
    ("www.example.pl", page_text(*HU, "iso8859-2")),
    # the other domains both browsers read by Cyrillic or Arabic pages' encodings, as .ru and
    # .eg: a few non-ASCII bytes are windows-1251 under .su and .uz, windows-1256 under .kw
    # and .ye, whatever script they were written in (cafe read these as under .com)
    ("www.example.su", page("Αρχική", "iso8859-7")),
    ("www.example.uz", page("首頁", "big5")),
    ("www.example.kw", page("ГЛАВНАЯ", "cp1251")),
    ("www.example.ye", page("공지사항", "euc_kr")),
    # windows-1252's punctuation alone is no Latin text: the domain's usual encoding stands in
    # both, a CJK one with U+FFFD ("News � Today"; cafe read windows-1252's "News – Today")
    ("www.example.jp", page("News \u2013 Today", "cp1252")),
    ("www.example.kr", page("Home \u2022 About", "cp1252")),
    ("www.example.cn", page("About us \u2026", "cp1252")),
    ("www.example.ru", page("Home \u2014 ACME", "cp1252")),
    # under a domain, an encoding of it that reads only a sign is no better than the usual
    # one: "Menü" is windows-1251's "Menь" to both (cafe: IBM866's "Men№")
    ("www.example.ru", page("Men\u00fc", "cp1252")),
    # GBK under .hk is GBK to both (cafe: Big5's "忑\ufffd")
    ("www.example.hk", page("\u9996\u9801", "gbk")),
    # EUC-JP dense in kanji, GB2312 hanzi too: uchardet's GB18030 on 64 bytes, EUC-JP to both
    ("127.0.0.1", page_text("トップ", "市立図書館では、一般書や児童書のほか、雑誌や新聞、"
                            "視聴覚資料を幅広く所蔵しています。", "euc_jp")),
]


# A grid of realistic shapes in each legacy family a browser guesses (the detect corpus's
# languages, some in a second encoding of theirs): a title of one word or of several, over no
# body, a sentence, many KB of its language or of ASCII, or after 1.3 KB of ASCII <meta>s
# (past the first 1024 bytes), under 127.0.0.1 and under the language's domain.
SECOND = [("windows-1253", "cp1253", "ISO-8859-7"), ("ISO-8859-5", "iso8859-5", "windows-1251"),
          ("KOI8-U", "koi8-u", "KOI8-R"), ("ISO-8859-8", "iso8859-8", "windows-1255"),
          ("gb18030", "gb18030", "GBK")]
BALTIC = ("windows-1257", "cp1257", "lt", ["Orų prognozė Vilniuje šiandien"],
          "Savaitgalį Vingio parke vyks nemokamas koncertas visiems miesto gyventojams.",
          "Vilniaus miesto savivaldybė praneša, kad nuo kitos savaitės prasidės gatvių remonto "
          "darbai senamiestyje. Gyventojai prašomi naudotis viešuoju transportu.")
ASCII_TEXT = "Our office is open Monday to Friday, nine to five; write to us at any time. "
METAS = "".join('<meta name="item-%d" content="a value of the page, number %d">\n' % (i, i)
                for i in range(24))


def grid():
    langs = {lang[0]: lang for lang in gen_detect_corpus.LANGS}
    families = [lang for lang in gen_detect_corpus.LANGS if lang[0] != "UTF-8"] + [BALTIC] + [
        (name, codec) + langs[like][2:] for name, codec, like in SECOND]
    cases = []
    for _, codec, tld, titles, sentence, paragraph in families:
        word = titles[0].split()[0].split("'")[0]
        word = word if len(word) <= 8 else word[:4]
        for head, title, body in [("", word, ""), ("", titles[0], sentence),
                                  ("", word, paragraph * 20), ("", titles[0], ASCII_TEXT * 100),
                                  (METAS, word, sentence)]:
            html = ("<!DOCTYPE html>\n<html><head>\n%s<title>%s</title>\n</head>\n<body>\n"
                    "<p>%s</p>\n</body></html>\n" % (head, title, body)).encode(codec)
            cases += [("127.0.0.1", html), ("www.example." + tld, html)]
    return cases


CASES += grid()


def main():
    found = browsers.both_browsers()
    if not found:
        return 77
    chromium, firefox = found
    server = PageServer(lambda path: (CASES[int(path[1:])][1], "text/html")
                        if path[1:].isdigit() and int(path[1:]) < len(CASES) else None)
    urls = ["http://%s:%d/%d" % (host, server.port, i) for i, (host, _) in enumerate(CASES)]
    expr = "[document.title, document.characterSet]"
    with tempfile.TemporaryDirectory() as t1, tempfile.TemporaryDirectory() as t2:
        chrome = browsers.chromium_top_level(chromium, urls, t1, expr)
        fox = browsers.firefox_top_level(firefox, urls, t2, expr)
    server.close()
    encodings = []
    ours = browsers.cafe_titles(sys.argv[1], [(None, body, url) for (_, body), url in
                                              zip(CASES, urls)], encodings)
    agreed = differ = 0
    for url, (ct, cs), (ft, fs), o, oe in zip(urls, chrome, fox, ours, encodings):
        if ct != ft:
            continue
        agreed += 1
        if o != ct or (cs == fs and oe.lower() != cs.lower()):
            differ += 1
            print("%s: browsers %r in %s/%s, cafe %r in %s" % (url, ct, cs, fs, o, oe))
    print("%d pages: browsers agree on %d titles; cafe differs from them on %d" % (
        len(CASES), agreed, differ))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
