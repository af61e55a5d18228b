#!/usr/bin/env python3
"""Undeclared pages' titles: cafe against Chromium and Firefox, each page loaded top-level
(the only way a browser guesses an encoding) under a host of its language's country domain
and under .com or .org, every name mapped to 127.0.0.1.

The corpus is written here: 20 languages, each in the legacy encodings its pages use (1-5)
and UTF-8 where common; for each, 3 short titles (one or two words: the thin evidence) and 2
long ones, each with and without 2 KiB of ASCII script before the title, under the country's
domain and under .com or .org (alternately). A page holds nothing else non-ASCII: the title
is all the evidence. A page is right when its title reads as written.

Usage (run it in a network namespace with only loopback up, so that nothing else can be
reached whatever a browser tries), with Debian's python3 (python3-websocket drives the
browsers, and tests/browser/browsers.py, which this uses, skips without it):
  sh tests/netns.sh /usr/bin/python3 bench/detect/undeclared.py LIBCAFE_SO [--no-browsers] [--dump F]
--no-browsers: cafe only (a second, a run); --dump F: every page's titles as JSON;
--browsers-from F: the browsers' titles from such a dump (same corpus), cafe's anew.
Prints counts per group and the pages cafe gets wrong where Firefox gets them right."""
import json
import os
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "util"))
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "browser"))

# language, country domain, encodings (WHATWG name, python codec), short titles, long titles
LANGS = [
    ("German", "de", [("windows-1252", "cp1252"), ("UTF-8", "utf-8")],
     ["Größe", "Über uns", "Bücher"],
     ["Öffnungszeiten der Bäckerei Müller", "Häufig gestellte Fragen zur Anmeldung"]),
    ("French", "fr", [("windows-1252", "cp1252"), ("UTF-8", "utf-8")],
     ["Été", "À propos", "Numéro"],
     ["Crêperie « Chez Hélène » à Paris", "Résumé des élections régionales"]),
    ("Spanish", "es", [("windows-1252", "cp1252"), ("UTF-8", "utf-8")],
     ["Año", "Niños", "Información"],
     ["Noticias de España y del mundo", "Cómo llegar a la estación de autobuses"]),
    ("Portuguese", "br", [("windows-1252", "cp1252"), ("UTF-8", "utf-8")],
     ["São", "Ação", "Notícias"],
     ["Prefeitura de São Paulo: serviços", "Educação e saúde pública no Brasil"]),
    ("Czech", "cz", [("windows-1250", "cp1250"), ("ISO-8859-2", "iso8859-2"),
                     ("UTF-8", "utf-8")],
     ["Příliš", "Úvod", "Čeština"],
     ["Česká pošta - ceník služeb", "Železniční doprava v Čechách"]),
    ("Polish", "pl", [("ISO-8859-2", "iso8859-2"), ("windows-1250", "cp1250"),
                      ("UTF-8", "utf-8")],
     ["Łódź", "Zażółć", "Śląsk"],
     ["Wiadomości z Łodzi i okolic", "Ślęża: szlaki turystyczne"]),
    ("Hungarian", "hu", [("windows-1250", "cp1250"), ("ISO-8859-2", "iso8859-2")],
     ["Főoldal", "Hírek", "Elérhetőség"],
     ["Időjárás-előrejelzés Budapestre", "Győri egyetemi könyvtár nyitvatartása"]),
    ("Russian", "ru", [("windows-1251", "cp1251"), ("KOI8-R", "koi8-r"), ("IBM866", "cp866"),
                       ("x-mac-cyrillic", "mac_cyrillic"), ("UTF-8", "utf-8")],
     ["Форум", "Главная", "Новости"],
     ["Библиотека классической литературы", "Расписание электричек на сегодня"]),
    ("Ukrainian", "ua", [("windows-1251", "cp1251"), ("KOI8-U", "koi8-u"), ("UTF-8", "utf-8")],
     ["Головна", "Новини", "Їжа"],
     ["Головна сторінка - Новини України", "Розклад руху поїздів Київ"]),
    ("Bulgarian", "bg", [("windows-1251", "cp1251")],
     ["Начало", "Новини", "Контакти"],
     ["Времето в София днес", "Българска народна банка - курсове"]),
    ("Greek", "gr", [("ISO-8859-7", "iso8859-7"), ("windows-1253", "cp1253"),
                     ("UTF-8", "utf-8")],
     ["Αρχική", "Ειδήσεις", "Καλημέρα"],
     ["Ειδήσεις από την Αθήνα", "Ξενοδοχεία στη Θεσσαλονίκη"]),
    ("Turkish", "tr", [("windows-1254", "cp1254"), ("ISO-8859-9", "iso8859-9")],
     ["Güncel", "İletişim", "Hakkımızda"],
     ["İstanbul'da gezilecek yerler", "Türk mutfağı: şiş kebap tarifi"]),
    ("Hebrew", "il", [("windows-1255", "cp1255"), ("ISO-8859-8", "iso8859-8")],
     ["חדשות", "צור קשר", "ברוכים הבאים"],
     ["חדשות מירושלים", "לוח זמנים של רכבת ישראל"]),
    ("Arabic", "eg", [("windows-1256", "cp1256"), ("ISO-8859-6", "iso8859-6")],
     ["أخبار", "الرئيسية", "اتصل بنا"],
     ["أخبار القاهرة اليوم", "جدول مباريات كرة القدم"]),
    ("Thai", "th", [("windows-874", "cp874")],
     ["ข่าว", "หน้าแรก", "ติดต่อเรา"],
     ["ข่าววันนี้ กรุงเทพมหานคร", "สูตรอาหารไทย ต้มยำกุ้ง"]),
    ("Lithuanian", "lt", [("windows-1257", "cp1257"), ("ISO-8859-13", "iso8859-13")],
     ["Naujienos", "Pradžia", "Įmonė"],
     ["Orų prognozė Vilniuje šiandien", "Lietuvos geležinkelių tvarkaraštis"]),
    ("Japanese", "jp", [("Shift_JIS", "shift_jis"), ("EUC-JP", "euc_jp"), ("UTF-8", "utf-8")],
     ["日本", "ホーム", "お知らせ"],
     ["東京の天気予報", "日本の伝統料理レシピ集"]),
    ("Chinese", "cn", [("GBK", "gbk"), ("UTF-8", "utf-8")],
     ["中文", "首页", "新闻中心"],
     ["北京新闻网 - 今日要闻", "上海地铁运营时间表"]),
    ("Traditional Chinese", "tw", [("Big5", "big5")],
     ["首頁", "最新消息", "關於我們"],
     ["台北市政府 - 最新消息", "台灣美食指南"]),
    ("Korean", "kr", [("EUC-KR", "euc_kr")],
     ["한국", "홈페이지", "공지사항"],
     ["서울 날씨와 뉴스", "한국 전통 음식 요리법"]),
]

HEAD = ("<script>\n" + "".join("var v%d = document.getElementById('item%d');\n" % (i, i)
                               for i in range(48)) + "</script>\n")


def corpus():
    """[(name, bytes, host, expected title, group)]: group is (domain kind, length, head)."""
    pages = []
    for lang, tld, encs, short, long_ in LANGS:
        for enc, codec in encs:
            for n, title in enumerate(short + long_):
                length = "short" if n < len(short) else "long"
                for head in ("", HEAD):
                    html = ("<!DOCTYPE html>\n<html><head>\n%s<title>%s</title></head>\n"
                            "<body><p>Copyright 2024. All rights reserved.</p></body></html>\n"
                            % (head, title))
                    data = html.encode(codec)  # strict: fails loudly
                    assert b"charset" not in data and not data.startswith(b"\xef\xbb\xbf")
                    generic = "com" if n % 2 == 0 else "org"
                    for kind, domain in (("country", tld), ("generic", generic)):
                        name = "%s-%s-%d%s-%s" % (tld, enc.lower(), n, "h" if head else "",
                                                  domain)
                        pages.append((name, data, "www.example." + domain, title,
                                      (kind, length, "head" if head else "plain"), lang, enc))
    return pages


def cafe_titles(lib_path, pages, port):
    from browsers import cafe_titles as titles
    return titles(lib_path, [(None, data, "http://%s:%d/%s" % (host, port, name))
                             for name, data, host, _, _, _, _ in pages])


def main():
    args = sys.argv[1:]
    lib_path = args[0]
    browsers = "--no-browsers" not in args
    dump = args[args.index("--dump") + 1] if "--dump" in args else None
    again = args[args.index("--browsers-from") + 1] if "--browsers-from" in args else None
    pages = corpus()
    by_name = {p[0]: p for p in pages}
    results = {"cafe": None, "chromium": None, "firefox": None}
    port = 80
    if again:
        with open(again, encoding="utf-8") as f:
            old = json.load(f)
        assert [o["name"] for o in old] == [p[0] for p in pages], "another corpus"
        results["chromium"] = [o["chromium"] for o in old]
        results["firefox"] = [o["firefox"] for o in old]
    elif browsers:
        import browsers as b
        from pageserver import PageServer
        chromium, firefox = b.find("chromium", "chromium-browser"), b.find("firefox-esr",
                                                                            "firefox")
        if not chromium or not firefox:
            print("skip: needs Debian's chromium and firefox-esr")
            return 77
        server = PageServer(lambda path: (by_name[path[1:]][1], "text/html")
                            if path[1:] in by_name else None)
        port = server.port
        urls = ["http://%s:%d/%s" % (p[2], port, p[0]) for p in pages]
        with tempfile.TemporaryDirectory() as t1, tempfile.TemporaryDirectory() as t2:
            results["chromium"] = b.chromium_top_level(chromium, urls, t1)
            results["firefox"] = b.firefox_top_level(firefox, urls, t2)
        server.close()
    results["cafe"] = cafe_titles(lib_path, pages, port)
    browsers = results["firefox"] is not None
    who = [w for w in ("chromium", "firefox", "cafe") if results[w] is not None]
    groups = {}
    for i, p in enumerate(pages):
        for key in (p[4], ("all",), (p[4][0],), (p[4][0], p[4][1])):
            g = groups.setdefault(key, {w: 0 for w in who + ["n", "fox_not_cafe"]})
            g["n"] += 1
            for w in who:
                g[w] += results[w][i] == p[3]
            if browsers:
                g["fox_not_cafe"] += results["firefox"][i] == p[3] and results["cafe"][i] != p[3]
    print("| pages | n | " + " | ".join(who) + (" | Firefox right, cafe wrong |" if browsers
                                                 else " |"))
    print("|---|---:|" + "---:|" * len(who) + ("---:|" if browsers else ""))
    for key in sorted(groups, key=lambda k: (len(k), k)):
        g = groups[key]
        print("| %s | %d | " % (" ".join(key), g["n"]) + " | ".join(str(g[w]) for w in who) +
              (" | %d |" % g["fox_not_cafe"] if browsers else " |"))
    for i, p in enumerate(pages):
        if results["cafe"][i] != p[3] and (not browsers or results["firefox"][i] == p[3]):
            print("cafe wrong: %s (%s %s): %r%s" % (
                p[0], p[5], p[6], results["cafe"][i],
                "" if not browsers else ", chromium %r" % results["chromium"][i]))
    if dump:
        with open(dump, "w") as f:
            json.dump([{"name": p[0], "lang": p[5], "enc": p[6], "group": p[4], "want": p[3],
                        **{w: results[w][i] for w in who}} for i, p in enumerate(pages)], f,
                      ensure_ascii=False, indent=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
