#!/usr/bin/env python3
"""Generates charset_cases.h: pages encoded with python3's codecs (run once, committed).

Each case: page bytes, transport charset (or NULL), expected title (UTF-8), expected
encoding name. Run: python3 tests/html/gen_charset_cases.py > tests/html/charset_cases.h"""

PAD = "<!--" + "x" * 1100 + "-->"  # pushes what follows past the 1024-byte prescan

def c_bytes(b):
    out, line = [], '"'
    for x in b:
        line += "\\x%02x" % x
        if len(line) > 80:
            out.append(line + '"')
            line = '"'
    out.append(line + '"')
    return "\n     ".join(out)

CASES = [
    # name, html (str), python codec, transport, expected title, expected encoding
    ("utf-8 meta", "<meta charset=utf-8><title>Café ☕ 日本</title>", "utf-8", None,
     "Café ☕ 日本", "UTF-8"),
    ("utf-8 bom", "\ufeff<title>Café ☕</title>", "utf-8", None, "Café ☕", "UTF-8"),
    ("utf-8 header", "<title>Café ☕</title>", "utf-8", "text/html; charset=utf-8",
     "Café ☕", "UTF-8"),
    ("utf-8 undeclared is detected", "<title>Café</title>", "utf-8", None, "Café", "UTF-8"),
    ("utf-16le bom", "\ufeff<title>Café ☕ 日本</title>", "utf-16-le", None, "Café ☕ 日本",
     "UTF-16LE"),
    ("utf-16be bom", "\ufeff<title>Café ☕ 日本</title>", "utf-16-be", None, "Café ☕ 日本",
     "UTF-16BE"),
    ("utf-16le header", "<title>Ünïcödé &amp; 𝄞</title>", "utf-16-le", "utf-16",
     "Ünïcödé & 𝄞", "UTF-16LE"),
    ("bom beats header", "\ufeff<title>Café</title>", "utf-8", "koi8-r", "Café", "UTF-8"),
    ("windows-1252 fallback", "<title>Café — “quotes” €</title>", "cp1252", None,
     "Café — “quotes” €", "windows-1252"),
    ("windows-1252 holes", b"<title>\x81\x8d\x8f\x90\x9d</title>", None, "windows-1252",
     "\x81\x8d\x8f\x90\x9d", "windows-1252"),
    # undeclared, the same bytes are C1 controls in windows-1252 and mix Macedonian and
    # Serbian letters in windows-1251 ("ЃЌЏђќ"): Firefox reads IBM866, and so does cafe
    ("windows-1252 holes undeclared", b"<title>\x81\x8d\x8f\x90\x9d</title>", None, None,
     "БНПРЭ", "IBM866"),
    ("latin1 label", "<meta charset=latin1><title>Café €</title>", "cp1252", None,
     "Café €", "windows-1252"),
    ("iso-8859-2 meta", "<meta charset='ISO-8859-2'><title>Zażółć gęślą jaźń</title>",
     "iso8859-2", None, "Zażółć gęślą jaźń", "ISO-8859-2"),
    ("windows-1251 header", "<title>Привет, мир</title>", "cp1251", "windows-1251",
     "Привет, мир", "windows-1251"),
    ("koi8-r http-equiv",
     "<meta http-equiv=Content-Type content='text/html; charset=KOI8-R'><title>Привет</title>",
     "koi8-r", None, "Привет", "KOI8-R"),
    ("shift_jis meta", "<meta charset=shift_jis><title>日本語のタイトル ソ表</title>", "cp932",
     None, "日本語のタイトル ソ表", "Shift_JIS"),
    ("shift_jis ref", "<meta charset=sjis><title>日本&amp;語&#x3042;</title>", "cp932", None,
     "日本&語あ", "Shift_JIS"),
    ("euc-jp header", "<title>日本語のタイトル</title>", "euc-jp", "EUC-JP",
     "日本語のタイトル", "EUC-JP"),
    ("gbk via gb2312", "<meta charset=gb2312><title>中文标题</title>", "gbk", None, "中文标题",
     "GBK"),
    ("gb18030", "<meta charset=gb18030><title>中文 𝄞</title>", "gb18030", None, "中文 𝄞",
     "gb18030"),
    ("big5 meta", "<meta charset=big5><title>中文標題</title>", "big5", None, "中文標題",
     "Big5"),
    ("euc-kr meta", "<meta charset=euc-kr><title>한국어 제목</title>", "cp949", None,
     "한국어 제목", "EUC-KR"),
    ("iso-2022-jp header", "<title>日本語</title>", "iso2022_jp", "iso-2022-jp", "日本語",
     "ISO-2022-JP"),
    ("title before meta", "<title>Привет</title><meta charset=windows-1251>", "cp1251", None,
     "Привет", "windows-1251"),
    ("late meta in head", PAD + "<title>Привет</title><meta charset=windows-1251>", "cp1251",
     None, "Привет", "windows-1251"),
    ("late meta before title", PAD + "<meta charset=koi8-r><title>Привет</title>", "koi8-r",
     None, "Привет", "KOI8-R"),
    # a NUL in the value is U+FFFD for the tokenizer: "koi8-r\ufffd" names no encoding
    ("late meta with a NUL", PAD + "<title>Привет</title><meta charset='koi8-r\0'>", "utf-8",
     None, "Привет", "UTF-8"),
    # after </head> or in a <template> a late <meta> changes nothing in Chromium and Firefox
    ("late meta after </head>", PAD + "<title>Привет</title></head>\n<meta charset=koi8-r>",
     "utf-8", None, "Привет", "UTF-8"),
    ("late meta in template", PAD + "<title>Привет</title><template><meta charset=koi8-r>"
     "</template>", "utf-8", None, "Привет", "UTF-8"),
    ("late meta after template", PAD + "<title>Привет</title><template></template>"
     "<meta charset=koi8-r>", "utf-8", None, "Привет", "UTF-8"),
    # browsers load the page again as the replacement encoding: no title
    ("late meta replacement", PAD + "<title>Привет</title><meta charset=iso-2022-kr>",
     "utf-8", None, None, "replacement"),
    ("late meta with refs", PAD + "<meta charset='koi&#56;&#x2D;r'><title>Привет</title>",
     "koi8-r", None, "Привет", "KOI8-R"),
    ("late http-equiv", PAD + "<title>Привет</title><meta http-equiv=content-type "
     "content='text/html;charset=windows-1251'>", "cp1251", None, "Привет", "windows-1251"),
    # a charset attribute, known or not, is the only one looked at (Chromium and Firefox;
    # the standard's "in head" rule would take the pragma): the page stays undeclared and
    # its title is detected
    ("late meta unknown charset hides its pragma", PAD + "<title>Привет</title><meta "
     "charset=nope http-equiv=content-type content='text/html; charset=koi8-r'>", "utf-8",
     None, "Привет", "UTF-8"),
    ("late meta empty charset hides its pragma", PAD + "<title>Привет</title><meta "
     "charset='' http-equiv=content-type content='text/html; charset=koi8-r'>", "utf-8",
     None, "Привет", "UTF-8"),
    ("late meta after body ignored", PAD + "<title>Café</title><p>x<meta charset=koi8-r>",
     "utf-8", None, "Café", "UTF-8"),
    ("meta utf-16 is utf-8", "<meta charset=utf-16><title>Café</title>", "utf-8", None, "Café",
     "UTF-8"),
    ("meta x-user-defined", "<meta charset=x-user-defined><title>Café</title>", "cp1252", None,
     "Café", "windows-1252"),
    ("x-user-defined header", b"<title>A\x80\xff</title>", None, "x-user-defined",
     "A\uf780\uf7ff", "x-user-defined"),
    ("meta in comment", "<!-- <meta charset=koi8-r> --><meta charset=windows-1251>"
     "<title>Привет</title>", "cp1251", None, "Привет", "windows-1251"),
    # Both browsers' prescans run their tokenizer: a <meta> in the text of an element the
    # tokenizer reads in another state (script data, RAWTEXT, RCDATA, PLAINTEXT) declares
    # nothing, though the standard's prescan would take it.
    ("meta in script", "<script>'<meta charset=koi8-r>'</script><meta charset=windows-1251>"
     "<title>Привет</title>", "cp1251", None, "Привет", "windows-1251"),
    ("meta in style, textarea, title", "<style><meta charset=koi8-r></style><textarea>"
     "<meta charset=koi8-r></textarea><title><meta charset=koi8-r></title><title>x</title>"
     "<meta charset=windows-1251><title>Привет</title>", "cp1251", None,
     "<meta charset=koi8-r>", "windows-1251"),
    ("meta after a raw text end tag", "<xmp>x</XMP\t/><noembed></noembed x='>'>"
     "<meta charset=koi8-r><title>Привет</title>", "koi8-r", None, "Привет", "KOI8-R"),
    ("meta in an end tag of a raw text", "<iframe></iframe <meta charset=koi8-r>>"
     "<meta charset=windows-1251><title>Привет</title>", "cp1251", None, "Привет",
     "windows-1251"),
    ("meta in escaped script", "<script><!--<script x></script>--><meta charset=koi8-r>"
     "</script><meta charset=windows-1251><title>Привет</title>", "cp1251", None, "Привет",
     "windows-1251"),
    ("meta after escaped script", "<script><!--<script></script>--></script>"
     "<meta charset=koi8-r><title>Привет</title>", "koi8-r", None, "Привет", "KOI8-R"),
    ("meta after script comment", "<script><!-- </script><meta charset=koi8-r>"
     "<title>Привет</title>", "koi8-r", None, "Привет", "KOI8-R"),
    ("meta after plaintext", "<title>Café</title><plaintext><meta charset=koi8-r>", "utf-8",
     None, "Café", "UTF-8"),
    # "--!>" ends a comment for the tokenizer, and so for both browsers' prescans, though
    # not for the standard's prescan
    ("meta after a --!> comment", "<!-- x --!><p><meta charset=koi8-r><title>Привет</title>"
     "<!-- -->", "koi8-r", None, "Привет", "KOI8-R"),
    ("no comment end in <!--!>", "<!--!><meta charset=koi8-r>--><meta charset=windows-1251>"
     "<title>Привет</title>", "cp1251", None, "Привет", "windows-1251"),
    ("content without pragma", "<meta content='text/html; charset=koi8-r'><title>Privet</title>",
     "koi8-r", None, "Privet", "windows-1252"),
    ("meta in attribute", "<a title=\"<meta charset=koi8-r>\"><meta charset=windows-1251>"
     "<title>Привет</title>", "cp1251", None, "Привет", "windows-1251"),
    ("unknown label", "<meta charset=foo><title>Caf&eacute;</title>", "cp1252", None, "Café",
     "windows-1252"),
    ("label spaces case", "<meta charset=' KOI8-R '><title>Привет</title>", "koi8-r", None,
     "Привет", "KOI8-R"),
    ("header beats meta", "<meta charset=koi8-r><title>Привет</title>", "cp1251",
     "text/html;charset=\"windows-1251\"", "Привет", "windows-1251"),
    ("replacement encoding", "<meta charset=iso-2022-kr><title>X</title>", "ascii", None, None,
     "replacement"),
    ("invalid utf-8", b"<meta charset=utf-8><title>a\xff b\xe2\x82 c\xed\xa0\x80 d\xf0\x9f</title>",
     None, None, "a\ufffd b\ufffd c\ufffd\ufffd\ufffd d\ufffd", "UTF-8"),
    ("sjis invalid trail", b"<meta charset=shift_jis><title>\x81<x\x81</title>", None, None,
     "\ufffd<x\ufffd", "Shift_JIS"),    # With no <meta>, an XML declaration at the page's start names the encoding, as both
    # browsers read it (tests/browser/encodings.py): tentatively (a late <meta> changes it),
    # its '>' however far (here to 2048 bytes), UTF-16 there is UTF-8; "<?x" in UTF-16 is
    # UTF-16. Unquoted, it names nothing.
    ("xml declaration", "<?xml version='1.0' encoding='iso-8859-5'?><title>Привет</title>",
     "iso8859_5", None, "Привет", "ISO-8859-5"),
    ("xml declaration, no version", "<?xmlencoding = \"ISO-8859-5\"><title>Привет</title>",
     "iso8859_5", None, "Привет", "ISO-8859-5"),
    ("xml declaration past 1024 bytes", "<?xml version='1.0' encoding='iso-8859-5'" +
     " " * 1900 + "?><title>Привет</title>", "iso8859_5", None, "Привет", "ISO-8859-5"),
    ("xml declaration utf-16", "<?xml version='1.0' encoding='utf-16'?><title>Привет</title>",
     "utf-8", None, "Привет", "UTF-8"),
    ("xml declaration, meta wins", "<?xml version='1.0' encoding='iso-8859-5'?>"
     "<meta charset=windows-1251><title>Привет</title>", "cp1251", None, "Привет",
     "windows-1251"),
    ("xml declaration, late meta wins", "<?xml version='1.0' encoding='iso-8859-5'?>"
     "<title>Привет</title>" + PAD + "<meta charset=windows-1251>", "cp1251", None, "Привет",
     "windows-1251"),
    # ...and a <meta> that starts within the first 1024 bytes and ends past the 2048 cafe
    # holds, naming no encoding, leaves the declaration's (it fell back to detection)
    ("xml declaration, long meta", "<?xml version='1.0' encoding='koi8-r'?><!--" +
     "x" * 950 + "--><meta name='" + "y" * 1200 + "'><title>Привет</title>", "koi8-r",
     None, "Привет", "KOI8-R"),
    ("xml declaration, long meta with charset", "<?xml version='1.0' encoding='iso-8859-5'?>"
     "<!--" + "x" * 950 + "--><meta name='" + "y" * 1200 + "' charset=windows-1251>"
     "<title>Привет</title>", "cp1251", None, "Привет", "windows-1251"),
    ("xml declaration unquoted", "<?xml version='1.0' encoding=iso-8859-5?>"
     "<title>Caf&eacute;</title>", "ascii", None, "Café", "windows-1252"),
    ("xml declaration in utf-16le", "<?xml version='1.0'?><title>Привет</title>", "utf-16-le",
     None, "Привет", "UTF-16LE"),
    ("xml declaration in utf-16be", "<?xml version='1.0'?><title>Привет</title>", "utf-16-be",
     None, "Привет", "UTF-16BE"),
]

print("/* Generated by tests/html/gen_charset_cases.py: do not edit. */")
print("static const struct charset_case {")
print("    const char *name;")
print("    const char *page;")
print("    size_t len;")
print("    const char *charset;")
print("    const char *want;")
print("    const char *encoding;")
print("} charset_cases[] = {")
for name, html, codec, transport, want, enc in CASES:
    page = html if isinstance(html, bytes) else html.encode(codec)
    w = "NULL" if want is None else c_bytes(want.encode("utf-8"))
    t = "NULL" if transport is None else '"%s"' % transport.replace('"', '\\"')
    print("    {\"%s\",\n     %s,\n     %d, %s,\n     %s,\n     \"%s\"}," % (
        name, c_bytes(page), len(page), t, w, enc))
print("};")
