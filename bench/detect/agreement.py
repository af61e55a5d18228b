#!/usr/bin/env python3
"""Undeclared pages in 28 encodings: cafe's title and charset against Chromium's and Firefox's
document.title and document.characterSet, where the two browsers agree (docs/encoding.md,
"Undeclared pages: agreement with both browsers").

The pages are written here: 23 languages' titles (short: one or two words, the hard case;
long) and body text, each in the encodings its pages use (Shift_JIS, EUC-JP, ISO-2022-JP,
EUC-KR, GBK, gb18030, Big5, windows-1250 ... 1258, KOI8-R, KOI8-U, ISO-8859-2/5/7/8,
windows-874, IBM866, x-mac-cyrillic, UTF-16LE/BE without a BOM, UTF-8), no BOM, no <meta>,
no charset in Content-Type, in two sets of six shapes (--variant 1: a short title over an
ASCII body, over a sentence, over the whole text, over navigation; a long title over a
sentence, over the text; --variant 2: a brand and a word, a <meta> description, two
paragraphs, a number and a word, a long title over ASCII, the text's last sentence). Every
third page has 1.3 KiB of script before its title. Each is loaded top-level (an iframe
inherits its parent's encoding) under each host given (every name mapped to 127.0.0.1;
TLD: the language's country domain), and given to cafe with the same URL.

Usage (in a network namespace with only loopback up; Debian's python3 for python3-websocket):
  sh tests/netns.sh /usr/bin/python3 bench/detect/agreement.py LIBCAFE_SO \
      [--variant 1|2] [--hosts 127.0.0.1,TLD,www.example.com] [--dump F] [--browsers-from F]
--dump F keeps the browsers' answers; --browsers-from F compares another libcafe to them
(about a second). Prints a row per encoding and the pages where both browsers agree and
cafe does not."""
import collections
import json
import os
import sys
import tempfile
import unicodedata

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "util"))
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "browser"))
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "html"))
import gen_detect_corpus as g  # noqa: E402


P = {name: (titles, sentence, para) for name, _, _, titles, sentence, para in g.LANGS}

# lang: (short titles, longer titles, paragraph)
L = {
 "de": (["Größe", "Über uns", "Bücher", "Kündigung"], ["Öffnungszeiten der Bäckerei Müller", "Café Müller — Speisekarte"], P["UTF-8"][2]),
 "fr": (["Été", "À propos", "Numéro", "Accueil – Société"], P["windows-1252"][0][:2], P["windows-1252"][2]),
 "es": (["Año", "Niños", "Información", "Señal"], ["Noticias de España y del mundo", "Cómo llegar a la estación de autobuses"],
        "La biblioteca municipal ofrece préstamos de libros, revistas y películas a todos los vecinos. "
        "Además, organizamos talleres de lectura para niños y jóvenes cada sábado por la mañana. "
        "El horario de atención es de lunes a viernes, de nueve a veinte horas, y los sábados hasta el mediodía."),
 "cs": (["Příliš", "Úvod", "Čeština", "Kontakty – Úřad"], P["windows-1250"][0][:2], P["windows-1250"][2]),
 "pl": (["Łódź", "Zażółć", "Śląsk", "Strona główna"], P["ISO-8859-2"][0][:2], P["ISO-8859-2"][2]),
 "hu": (["Főoldal", "Hírek", "Elérhetőség", "Időjárás"], ["Időjárás-előrejelzés Budapestre", "Győri egyetemi könyvtár nyitvatartása"],
        "A könyvtár hétfőtől péntekig reggel nyolctól este hatig tart nyitva. Az olvasóteremben "
        "ingyenes internet-hozzáférés áll rendelkezésre, a kölcsönzéshez érvényes olvasójegy szükséges. "
        "Szombatonként gyermekfoglalkozásokat és író-olvasó találkozókat szervezünk."),
 "ru": (["Форум", "Главная", "Новости", "О компании"], P["windows-1251"][0][:2], P["windows-1251"][2]),
 "ru2": (["Поиск", "Контакты", "Каталог", "Вход"], P["KOI8-R"][0][:2], P["KOI8-R"][2]),
 "uk": (["Головна", "Новини", "Їжа", "Контакти"], ["Головна сторінка - Новини України", "Розклад руху поїздів Київ"],
        "Міська рада повідомила про початок ремонту доріг у центрі міста. Роботи триватимуть до кінця "
        "серпня, тому водіям радять заздалегідь планувати маршрути. У вихідні в парку відбудеться ярмарок "
        "українських виробників, де можна придбати мед, сир, вишиванки та інші вироби ручної роботи."),
 "bg": (["Начало", "Новини", "Контакти", "Времето"], ["Времето в София днес", "Българска народна банка - курсове"],
        "Общината съобщи, че от следващата седмица започва ремонт на централните улици. Жителите се "
        "призовават да използват градския транспорт. През уикенда в парка ще има концерт под открито небе, "
        "а входът ще бъде свободен за всички граждани и гости на града."),
 "el": (["Αρχική", "Ειδήσεις", "Καλημέρα", "Επικοινωνία"], P["ISO-8859-7"][0][:2], P["ISO-8859-7"][2]),
 "tr": (["Güncel", "İletişim", "Hakkımızda", "Ürünler"], P["windows-1254"][0][:2], P["windows-1254"][2]),
 "he": (["חדשות", "צור קשר", "ברוכים הבאים", "אודות"], P["windows-1255"][0][:2], P["windows-1255"][2]),
 "ar": (["أخبار", "الرئيسية", "اتصل بنا", "من نحن"], P["windows-1256"][0][:2], P["windows-1256"][2]),
 "lt": (["Naujienos", "Pradžia", "Įmonė", "Kontaktai – Žinios"], ["Orų prognozė Vilniuje šiandien", "Lietuvos geležinkelių tvarkaraštis"],
        "Vilniaus miesto savivaldybė praneša, kad nuo kitos savaitės prasidės gatvių remonto darbai "
        "senamiestyje. Gyventojai prašomi naudotis viešuoju transportu. Savaitgalį Vingio parke vyks "
        "nemokamas koncertas, į kurį kviečiami visi miesto gyventojai ir svečiai."),
 "lv": (["Sākums", "Jaunākās ziņas", "Kontakti", "Meklēt"], ["Rīgas pilsētas pašvaldība - jaunumi", "Laika prognoze Latvijā šodien"],
        "Rīgas dome informē, ka nākamnedēļ sāksies ielu remontdarbi vecpilsētā. Iedzīvotāji tiek "
        "aicināti izmantot sabiedrisko transportu. Nedēļas nogalē Vērmanes dārzā notiks bezmaksas "
        "koncerts, uz kuru aicināti visi pilsētas iedzīvotāji un viesi."),
 "vi": (["Tin tức", "Trang chủ", "Liên hệ", "Giới thiệu"], ["Tin tức Việt Nam hôm nay", "Thời tiết Hà Nội và Thành phố Hồ Chí Minh"],
        "Ủy ban nhân dân thành phố thông báo sẽ sửa chữa các tuyến đường trung tâm từ tuần sau. "
        "Người dân được khuyến khích sử dụng phương tiện công cộng. Cuối tuần này sẽ có buổi hòa nhạc "
        "miễn phí tại công viên Thống Nhất dành cho tất cả mọi người."),
 "th": (["ข่าว", "หน้าแรก", "ติดต่อเรา", "เกี่ยวกับเรา"], P["windows-874"][0][:2], P["windows-874"][2]),
 "ja": (["日本", "ホーム", "お知らせ", "会社概要"], P["Shift_JIS"][0][:2], P["Shift_JIS"][2]),
 "ja2": (["新着情報", "トップ", "アクセス", "採用情報"], P["EUC-JP"][0][:2], P["EUC-JP"][2]),
 "zh": (["中文", "首页", "新闻中心", "关于我们"], P["GBK"][0][:2], P["GBK"][2]),
 "zht": (["首頁", "最新消息", "關於我們", "聯絡我們"], P["Big5"][0][:2], P["Big5"][2]),
 "ko": (["한국", "홈페이지", "공지사항", "회사소개"], P["EUC-KR"][0][:2], P["EUC-KR"][2]),
}

# (WHATWG name, python codec, languages)
ENCODINGS = [
    ("Shift_JIS", "shift_jis", ["ja", "ja2"]),
    ("EUC-JP", "euc_jp", ["ja2", "ja"]),
    ("ISO-2022-JP", "iso2022_jp", ["ja"]),
    ("EUC-KR", "euc_kr", ["ko"]),
    ("GBK", "gbk", ["zh"]),
    ("gb18030", "gb18030", ["zh"]),
    ("Big5", "big5", ["zht"]),
    ("windows-1250", "cp1250", ["cs", "pl", "hu"]),
    ("windows-1251", "cp1251", ["ru", "uk", "bg"]),
    ("windows-1252", "cp1252", ["de", "fr", "es"]),
    ("windows-1253", "cp1253", ["el"]),
    ("windows-1254", "cp1254", ["tr"]),
    ("windows-1255", "cp1255", ["he"]),
    ("windows-1256", "cp1256", ["ar"]),
    ("windows-1257", "cp1257", ["lt", "lv"]),
    ("windows-1258", "cp1258", ["vi"]),
    ("KOI8-R", "koi8_r", ["ru2", "ru"]),
    ("KOI8-U", "koi8_u", ["uk"]),
    ("ISO-8859-2", "iso8859_2", ["pl", "cs", "hu"]),
    ("ISO-8859-5", "iso8859_5", ["ru", "bg"]),
    ("ISO-8859-7", "iso8859_7", ["el"]),
    ("ISO-8859-8", "iso8859_8", ["he"]),
    ("windows-874", "cp874", ["th"]),
    ("IBM866", "cp866", ["ru"]),
    ("x-mac-cyrillic", "mac_cyrillic", ["ru"]),
    ("UTF-16LE", "utf-16-le", ["ja", "ru", "de"]),
    ("UTF-16BE", "utf-16-be", ["zh", "el"]),
    ("UTF-8", "utf-8", ["ja", "ru", "de", "zh", "ar"]),
]

def enc1258(s):
    out = b""
    for ch in s:
        try:
            out += ch.encode("cp1258"); continue
        except UnicodeEncodeError:
            pass
        d = unicodedata.normalize("NFD", ch)
        base, marks = d[0], d[1:]
        for i in range(len(marks)):
            c = unicodedata.normalize("NFC", base + marks[i])
            rest = marks[:i] + marks[i + 1:]
            try:
                out += c.encode("cp1258") + rest.encode("cp1258")
                break
            except UnicodeEncodeError:
                continue
        else:
            out += base.encode("cp1258") + marks.encode("cp1258")
    return out

def encode(s, codec):
    if codec == "cp1258":
        return enc1258(s)
    try:
        return s.encode(codec)
    except UnicodeEncodeError:
        s = s.translate({0x2013: "-", 0x2014: "-", 0xab: '"', 0xbb: '"', 0x2019: "'", 0x201e: '"', 0x201c: '"', 0x201d: '"'})
        return s.encode(codec)

def shapes(lang, variant):
    short, longer, para = L[lang]
    sents = [x.strip() for x in para.replace("。", "。|").replace(". ", ".|").split("|") if x.strip()]
    out = []
    # (shape, title, body html)
    out.append(("short-ascii-body", short[0], "<p>Copyright 2024. All rights reserved.</p>"))
    out.append(("short-1p", short[1], "<p>%s</p>" % sents[0]))
    out.append(("short-full", short[2], "<h1>%s</h1>\n<p>%s</p>" % (short[2], para)))
    out.append(("short-nav", short[3], "<ul>%s</ul><p>%s</p>" % ("".join("<li><a href=/%d>%s</a></li>" % (i, t) for i, t in enumerate(short)), " ".join(sents[:2]))))
    out.append(("long-1p", longer[0], "<p>%s</p>" % sents[-1]))
    out.append(("long-full", longer[1], "<h1>%s</h1>\n<p>%s</p>" % (longer[1], para)))
    if variant == 2:
        out = []
        out.append(("mixed-ascii", "Google Maps - " + short[0], "<p>Copyright 2024 Example Inc.</p>"))
        out.append(("short-metadesc", short[1], "<p>Home | Login</p>", sents[0]))
        out.append(("short-2p", short[3] + " | ACME", "<p>%s</p><p>%s</p>" % (para, para)))
        out.append(("num", "2024 " + short[2], "<p>%s</p>" % sents[1 % len(sents)]))
        out.append(("long-ascii", longer[0], "<p>Copyright 2024. All rights reserved.</p>"))
        out.append(("short-lastsent", short[0], "<p>%s</p>" % sents[-1]))
    return out

HEAD = ("<script>\n" + "".join("var v%d = document.getElementById('item%d');\n" % (i, i) for i in range(30)) + "</script>\n")

def pages(variant):
    res = []
    for enc, codec, langs in ENCODINGS:
        for lang in langs:
            for n, (shape, title, body, *desc) in enumerate(shapes(lang, variant)):
                head = HEAD if n % 3 == 2 else ""
                html = ("<!DOCTYPE html>\n<html lang=\"%s\"><head>\n%s<title>%s</title>\n%s"
                        "<link rel=\"stylesheet\" href=\"/style.css\">\n</head>\n<body>\n%s\n</body></html>\n" % (lang[:2], head, title, ('<meta name="description" content="%s">\n' % desc[0]) if desc else "", body))
                data = encode(html, codec)
                title = data.decode(codec).split("<title>")[1].split("</title>")[0]
                assert b"charset" not in data
                res.append({"enc": enc, "lang": lang, "shape": shape + ("+head" if head else ""), "title": title, "data": data})
    return res


TLD = {"de": "de", "fr": "fr", "es": "es", "cs": "cz", "pl": "pl", "hu": "hu", "ru": "ru",
       "ru2": "ru", "uk": "ua", "bg": "bg", "el": "gr", "tr": "tr", "he": "il", "ar": "eg",
       "lt": "lt", "lv": "lv", "vi": "vn", "th": "th", "ja": "jp", "ja2": "jp", "zh": "cn",
       "zht": "tw", "ko": "kr"}


def browse(cases):
    """[(url path, host, bytes)]: each browser's [title, characterSet] of each, top-level."""
    import browsers as b
    from pageserver import PageServer
    found = b.both_browsers()
    if not found:
        sys.exit(77)
    by_path = {path: data for path, _, data in cases}
    server = PageServer(lambda path: (by_path[path], "text/html") if path in by_path else None)
    urls = ["http://%s:%d%s" % (host, server.port, path) for path, host, _ in cases]
    expr = "[document.title, document.characterSet]"
    with tempfile.TemporaryDirectory() as t1, tempfile.TemporaryDirectory() as t2:
        chrome = b.chromium_top_level(found[0], urls, t1, expr)
        fox = b.firefox_top_level(found[1], urls, t2, expr)
    server.close()
    return urls, chrome, fox


def main():
    args = sys.argv[1:]
    lib = args[0]
    opt = {k: args[args.index(k) + 1] for k in ("--variant", "--hosts", "--dump", "--browsers-from")
           if k in args}
    variant = int(opt.get("--variant", "1"))
    cases, meta = [], []
    for host in opt.get("--hosts", "127.0.0.1").split(","):
        for i, p in enumerate(pages(variant)):
            h = "www.example." + TLD[p["lang"]] if host == "TLD" else host
            cases.append(("/%d" % len(cases), h, p["data"]))
            meta.append(p)
    if "--browsers-from" in opt:
        with open(opt["--browsers-from"]) as f:
            old = json.load(f)
        urls, chrome, fox = old["urls"], old["chromium"], old["firefox"]
        assert len(urls) == len(cases), "another corpus"
    else:
        urls, chrome, fox = browse(cases)
    if "--dump" in opt:
        with open(opt["--dump"], "w") as f:
            json.dump({"urls": urls, "chromium": chrome, "firefox": fox}, f, ensure_ascii=False)
    from browsers import cafe_titles
    encs = []
    ours = cafe_titles(lib, [(None, data, url) for (_, _, data), url in zip(cases, urls)], encs)
    rows = collections.OrderedDict()
    for p, c, f, o, e in zip(meta, chrome, fox, ours, encs):
        for row in (rows.setdefault(p["enc"], collections.Counter()),
                    rows.setdefault("all", collections.Counter())):
            row["pages"] += 1
            if c[0] == f[0]:
                row["title agreed"] += 1
                row["cafe's title"] += o == c[0]
            if c == f:
                row["both agreed"] += 1
                row["cafe's both"] += o == c[0] and e.lower() == c[1].lower()
            row["right: chromium"] += c[0] == p["title"]
            row["firefox"] += f[0] == p["title"]
            row["cafe"] += o == p["title"]
    rows.move_to_end("all")
    cols = ["pages", "title agreed", "cafe's title", "both agreed", "cafe's both",
            "right: chromium", "firefox", "cafe"]
    print("| encoding | " + " | ".join(cols) + " |")
    print("|---|" + "---:|" * len(cols))
    for name, row in rows.items():
        print("| %s | " % name + " | ".join(str(row[k]) for k in cols) + " |")
    for p, url, c, f, o, e in zip(meta, urls, chrome, fox, ours, encs):
        if c == f and (o != c[0] or e.lower() != c[1].lower()):
            print("%s (%s %s): browsers %r in %s, cafe %r in %s" % (url, p["lang"], p["shape"],
                                                                    c[0], c[1], o, e))
    return 0


if __name__ == "__main__":
    sys.exit(main())
