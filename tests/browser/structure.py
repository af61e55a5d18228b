#!/usr/bin/env python3
"""cafe's titles against headless Chromium's and Firefox's on pages whose markup steers tree
construction around <title>: foreign content and its integration points, <template>,
<select>, tables and foster parenting, framesets, raw text and RCDATA elements, comments,
character references, misnested and stray tags. A few pages are written by hand (faults
this test found); the rest are random strings of the pieces below, the same for a seed.
Where both browsers agree, cafe must give the same title.

The pages are UTF-8 (declared in Content-Type), so only the markup differs. They hold no
URL and no script that does anything: loading one changes nothing but its own document.

Usage: structure.py LIBCAFE_SO   Exit: 0 agreed, 1 differed, 77 a browser is missing.
Knobs: CAFE_BROWSER_SEED [29], CAFE_BROWSER_PAGES [1200] random pages, and
CAFE_BROWSER_TABLE_PAGES [300] more of table, formatting and block pieces only,
CAFE_BROWSER_TEXT_PAGES [300] more whose title's text is hostile (references, controls,
whitespace that is not ASCII's, near end tags), CAFE_BROWSER_PIECES [40] pieces at most in one."""
import os
import random
import sys

from browsers import run

# Pages this test found cafe wrong on, as the browsers read them.
FOUND = [
    # <input> ends an open <select>: the later </select> is ignored and <math> stays open,
    # so the last <title> is MathML's (title "")
    "<select><input><math><title></select><title><p>X",
    "<div><select><input type=hidden><math><title></select><title><p>X",
    # so does a <select> inside one, which is then ignored
    "<select><select><math><title></select><title><p>X",
    # not when a scope boundary stands between them (title "<p>X")
    "<select><object><input><math><title></select></object><title><p>X",
    "<select><textarea></textarea><math><title></select><title><p>X",
    # a formatting element closed out of order is opened again before the next content, and
    # its end tag then closes the <svg> or <math> opened in it (title "X")
    "<nobr><a></nobr><math></a><title>X</title>",
    "<p><b></p>y<svg></b><title>X</title>",
    # an open <select> bounds the scope of end tags: </div>, </b> find nothing and leave the
    # <math> open (no title)
    "<div><select><math></div><title>X</title>",
    "<b><select><p><math></b><title>X</title>",
    # template contents that begin with <col> drop every start tag but <col> and <template>,
    # so the <iframe> switches no tokenizer state (title "A")
    "<template><col><iframe></template><title>A</title>",
    "<template><col><p><template><col><iframe><title/>x</template><title>A</title>",
    "<template><script></script><col><textarea></template><title>A</title>",
    # a column group in a cell ends the cell, the row and the row group: the second title
    # is foster-parented before the table, so it comes first (title "B")
    "<table><tr><td><title>A</title><colgroup><title>B</title>",
    # the implied <tbody> of a bare row: </tbody> closes the row and the <math> in it, and
    # the title is HTML (title "<iframe>")
    "<table><tr><math></tbody><title/><iframe>",
    # an element foster-parented before the table leaves the table mode on: a table part ends
    # it, and the title after that is in the table, behind a later foster-parented one
    # (title "B")
    "<table><dt><tfoot><th><title>A</title><thead><title>B</title>",
    "<table><math><mi><tfoot><th><title>A</title><thead><title>B</title>",
    "<table><tr><td><title>A</title></td><dt><td><title>B</title><thead><title>C</title>",
    # the adoption agency moves the block it keeps into the common ancestor, here the table:
    # foster parenting puts it, and the title in it, before the table (title "A")
    "<table><a><div></a><title>A</title><tbody><title>B</title>",
    "<table><b><i><div></b><title>A</title><tbody><title>B</title>",
    # markup in a head template makes no body, so the frameset is taken (no title); text
    # after the template makes one, so it is not (title "A")
    "<template><p></template><frameset><title>A",
    "<template></template>y<frameset><title>A",
    # the body a tag implies starts with frameset-ok set again, whatever a head template
    # cleared: the frameset is taken (no title)
    "<template></template><p><frameset><title>A",
    "<template><p>x</p></template><div><frameset><title>A",
    # "after head", <noscript> is no head tag: it makes the body, which the frameset takes
    # (no title); in the head it makes none (title "A")
    "<head></head><noscript></noscript><title>A</title><frameset>",
    "<head><noscript></noscript><title>A</title><frameset>",
    # "in table" a <form> is popped at once, so the <em> after it is foster-parented, with
    # the first title in it (title "T1")
    "<table><form><em><br/><title>T1</title><tbody><title>B</title>",
    # a <button> ends the open one and the <h1> in it, so </h2> leaves the <svg> open and
    # the title is SVG's (title "")
    "<button><h1><button><svg></h2><title>X</title>",
    # a NUL in data before the body: browsers drop it, so it starts no body for the
    # <frameset> to replace (title "A"; by the standard, none)
    "<html>\0<title>A</title><frameset>",
    # quirks mode (no DOCTYPE, or an old one): <table> leaves the <p> open, so
    # </foreignObject> is ignored and the title is HTML ("A"); with <!DOCTYPE html>, none
    "<svg><foreignObject><p><table></table></foreignObject><title>A</title>",
    '<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN"><math><mi><p><table>'
    "</table></mi><title>A</title>",
    "<!DOCTYPE html><svg><foreignObject><p><table></table></foreignObject><title>A</title>",
    # Noah's Ark compares attributes too: four <b> that differ are all reopened, so three end
    # tags leave one for </b> to close the <svg> with (title "A"); four alike reopen three
    # (no title)
    "<p><b c=1><b c=2><b c=3><b c=4></p>x</b></b></b><svg></b><title>A</title>",
    "<p><font size=1><font size=2><font size=3><font size=4></p>x</font></font></font><svg>"
    "</font><title>A</title>",
    "<p><b c=&ampx><b c=&amp;x><b C=&ampx><b c=&ampx></p>x</b></b></b><svg></b><title>A</title>",
    "<p><b c=1 d=2><b d=2 c=1><b C=1 D=2><b c=&#49; d=2></p>x</b></b></b><svg></b><title>A</title>",
    # the list of active formatting elements holds any number: forty reopen, so 39 end tags
    # leave the oldest for the last, which closes the <svg> (title "A")
    "<p>" + "".join("<font size=%d>" % i for i in range(40)) + "</p>x" + "</font>" * 39 +
    "<svg></font><title>A</title>",
    "<div>" + "".join("<b c=%d>" % i for i in range(60)) + "</div>x" + "</b>" * 59 +
    "<math></b><title>A</title>",
    # an outer template keeps its insertion mode under any number of nested ones: still "in
    # column group" (dropping the <iframe>) after 65 nested ones closed (title "A")
    "<template><col><template><p>" + "<template>" * 64 + "<p>" + "</template>" * 65 +
    "<iframe></template><title>A</title>",
    # tag names are compared whole: the end tag of a custom element named alike past 16
    # bytes closes nothing, so the <svg> or <math> stays open (no title)
    "<web-component-name-01><svg></web-component-name-02><title>X</title>",
    "<ytd-thumbnail-overlay-time-status-renderer><math>"
    "</ytd-thumbnail-overlay-now-playing-renderer><title>X</title>",
    # the adoption agency stops after eight rounds: the <b> stays open over eight blocks, is
    # reopened and closes the <svg> (title "X")
    "<b>" + "<div>" * 8 + "</b>" + "</div>" * 8 + "<svg></b><title>X</title>",
    "<b>" + "<div>" * 9 + "</b><svg></b><title>X</title>",
    # ...and its inner loop keeps formatting elements only within three of the next block:
    # the <i> leaves the stack and the list (no title)
    "<b><i><em><u><s><div></b></div>x<svg></i><title>X</title>",
    "<b><i><span><span><span><div></b></div>x<svg></i><title>X</title>",
    # an <object> popped with its table leaves its marker in the list: the <b> before it is
    # not reopened, </b> closes nothing (no title)
    "<table><b><object></table>x<svg></b><title>X</title>",
    "<table><b><object><table><math></font><svg></b><title>X</title>",
    # a formatting end tag with no entry in the list is "any other end tag", which a block
    # stops: the <svg> stays open (no title)
    "<font><font><font><font><font><font></font></font></font></font><p></table>x<svg></font>"
    "<title>X</title>",
    # text in an integration point is processed "in body", which opens the <b> again: the end
    # tag after it then finds HTML and is ignored, the integration point stays (title "X")
    "<svg><foreignObject><p><b></p>x</foreignObject><title>X",
    "<svg><desc><p><b></p> </desc><title>X</title>",
    "<math><mi><p><b></p>&amp;</mi><title>X</title>",
    "<math><annotation-xml encoding=text/html><p><b></p>x</annotation-xml><title>X",
    "<table><svg><desc><p><b></p>x</desc><title>X",
    "<math><section><annotation-xml encoding=text/html><template><i><object></template>x"
    "</section><title>X",
    # deeper than cafe's stack holds: the browsers keep every open element, so </svg>,
    # </math> and </template> still close theirs (title "X"; it stayed SVG's or the template's)
    "<svg>" + "<g>" * 200 + "</svg><title>X</title>",
    "<math>" + "<mrow>" * 600 + "</math><title>X</title>",
    "<template>" + "<div>" * 200 + "</template><title>X</title>",
    # templates all the way: every </template> closes one, those a full stack forgot too
    "<template>" * 300 + "<title>Y</title>" + "</template>" * 300 + "<title>X</title>",
    "<template>" * 300 + "</template>" * 299 + "<title>Y</title>",
    # ...and where foreign content starts is never what a full stack forgets (title "X")
    "<div>" * 40 + "<svg>" + "<g>" * 100 + "</svg><title>X</title>",
    "<span>" * 40 + "<math>" + "<mrow>" * 100 + "</math><title>X</title>",
]

TITLE = ["<title>", "</title>", "<TITLE>", "</TITLE>", "<title/>", "</title >", "<tItLe a=b>",
         '<title a="</title>">', "T", " t ", "&amp;", "&lt;", "&notit;", "&#0;", "\0", "\r\n",
         "\t", "x"]
FOREIGN = ["<svg>", "</svg>", "<math>", "</math>", "<mi>", "</mi>", "<mtext>", "<mglyph>",
           "<malignmark>", '<annotation-xml encoding="text/html">', "<annotation-xml>",
           "</annotation-xml>", "<foreignObject>", "</foreignObject>", "<desc>", "</desc>",
           "<svg><title>", "<math><title>", "<svg/>", "<font color=red>", "<font size=2>",
           "<font face=x>", "<font>", "</font>", "<foreignobject>",
           '<annotation-xml encoding="application/xhtml+xml">', "<math><annotation-xml><svg>"]
CONTAINERS = ["<template>", "</template>", "<select>", "</select>", "<option>", "<optgroup>",
              "<input>", "<input type=hidden>", "<keygen>", "<datalist>", "<button>",
              "</button>", "<object>", "</object>", "<applet>", "<marquee>", "</marquee>",
              "<form>", "</form>", "<frameset>", "</frameset>", "<frame>", "<noframes>",
              "</noframes>"]
TABLES = ["<table>", "</table>", "<tr>", "</tr>", "<td>", "</td>", "<th>", "<tbody>",
          "<caption>", "</caption>", "<colgroup>", "<col>", "<table><tr><td>", "</tbody>",
          "<thead>", "<tfoot>", "<table><input type=hidden>", "<form><table>"]
TEXTS = ["<textarea>", "</textarea>", "<script>", "</script>", "<script><!--<script>",
         "-->", "<style>", "</style>", "<xmp>", "</xmp>", "<iframe>", "</iframe>", "<noembed>",
         "</noembed>", "<noscript>", "</noscript>", "<plaintext>", "<!--", "--!>",
         "<![CDATA[", "]]>", "<!DOCTYPE html>", "<?x>", "</ x>"]
STRUCTURE = ["<html>", "</html>", "<head>", "</head>", "<body>", "</body>", "<meta charset=utf-8>",
             "<link>", "<p>", "</p>", "<div>", "</div>", "<br>", "</br>", "<hr>", "<ul>", "<li>",
             "<dl>", "<dd>", "<dt>", "<h1>", "</h1>", "<pre>", "<listing>", "<img>", "<image>",
             "<embed>", "<span>", "</span>", "<search>", "<selectedcontent>", "<ruby>", "<rt>"]
FORMATTING = ["<a>", "</a>", "<b>", "</b>", "<i>", "</i>", "<nobr>", "</nobr>", "<em>", "<s>",
              "<u>", "<code>", "<tt>", "<big>", "<small>", "<strike>", "<strong>", "</strong>"]
# the title pieces twice as often: most pages should have one or more
PIECES = TITLE * 2 + FOREIGN + CONTAINERS + TABLES + TEXTS + STRUCTURE + FORMATTING
# Tables, formatting elements and blocks only: foster parenting, and the adoption agency
# moving blocks before a table, decide which title comes first in tree order.
TABLE_PIECES = (TITLE * 2 + TABLES * 2 + FORMATTING + ["<div>", "</div>", "<p>", "</p>", "<dt>",
                "<section>", "</section>", "<li>", "<math><mi>", "</math>", "<select>"])


# The title's own text (CAFE_BROWSER_TEXT_PAGES): character references named with and without
# ';' (legacy ones, prefixes of longer names, two-character ones), numeric ones to NUL, C1,
# surrogates, noncharacters, out of range, CR and FF; raw controls, VT, NEL, NBSP, U+2028
# (whitespace to neither collapse nor strip), and near misses of the end tag, after start tags
# with odd bytes in them and before a page's ends that may still move or drop the title.
TEXT_REFS = ["&amp", "&ampx", "&AMP", "&lt", "&gt", "&quot", "&nbsp", "&nbspx", "&copyx", "&not",
             "&notin", "&notit;", "&noti", "&eacute", "&acutex", "&#", "&#x", "&#X41;", "&#65",
             "&#x41g", "&#0;", "&#128;", "&#x81;", "&#x9f", "&#xD800;", "&#xDFFF;", "&#xFFFE;",
             "&#x1FFFE;", "&#x10FFFF;", "&#x110000;", "&#99999999999999;", "&#x0000000041;",
             "&#xC;", "&#13;", "&#x0D;", "&#9;", "&#x20;", "&#xA0;", "&#x85;", "&#xB;", "&#x7F;",
             "&#x3000;", "&semi;", "&;", "& ", "&&amp;", "&#38;amp;", "&#;", "&#x;", "&nGt;",
             "&acE;", "&fjlig;", "&ThickSpace;", "&Tab;", "&NewLine;", "&#10", "&#32"]
TEXT_RAW = ["\x0b", "\x0c", "\r", "\r\n", "\n\r", "\x00", "\u0085", "\u00a0", "\u2028",
            "\ufeff", "\ufffe", "\U0001F600", "\u3000", " ", "  ", "\t", "\n", "a", "\u00e9"]
TEXT_MARK = ["</title x>", "</title/>", "</TITLE\t>", "</titlex", "</title", "<!--", "-->",
             "<![CDATA[x]]>", "<", "</", "<title>", "</ title>", "</title\x00>", "</titl>",
             "</title\x0b>", "</title\x0c>", '</title a=">">']
TEXT_OPEN = ["<title>", "<TITLE>", "<title id=a>", "<title/>", "<title\x0c>", "<title\r>",
             "<title\x00>", "<titl\x00e>", "<title\x0b>"]
TEXT_BEFORE = ["", "", "<html>", "<body>", "<p>x", "</html>", "</body>", "<html></html>",
               "<frameset></frameset>", "<frameset><noframes>", "<!--x-->", "<?x?>",
               "</body></html>", "<svg>", "<math>", "<template>", "</template>", "<select>",
               "<table>", "<table><caption>", "<noscript>", "<object>", "\x00", "\ufeff",
               "<title>a</title>", "<svg><title>s</title></svg>", "<math><mi>"]
TEXT_AFTER = ["", "", "</title>", "</title>", "<title>z</title>", "</html>", "<frameset>", "<p>"]


def text_page(rng):
    return ("".join(rng.choice(TEXT_BEFORE) for _ in range(rng.randint(0, 3))) +
            rng.choice(TEXT_OPEN) +
            "".join(rng.choice(TEXT_REFS * 2 + TEXT_RAW * 2 + TEXT_MARK)
                    for _ in range(rng.randint(0, 12))) +
            "".join(rng.choice(TEXT_AFTER) for _ in range(rng.randint(0, 3))))


# How a page starts: no DOCTYPE and old ones mean quirks mode, where a <table> leaves an
# open <p> open; the others, no-quirks and limited-quirks mode.
DOCTYPES = ["", "", "<!DOCTYPE html>", "<!doctype html>\n",
            '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">',
            '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
            '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">',
            '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">', "<!DOCTYPE>"]


def random_page(rng, most, pieces=PIECES):
    start = rng.choice(DOCTYPES)
    return start + "".join(rng.choice(pieces) for _ in range(rng.randint(1, most)))


def main():
    rng = random.Random(int(os.environ.get("CAFE_BROWSER_SEED", "29")))
    most = int(os.environ.get("CAFE_BROWSER_PIECES", "40"))
    pages = FOUND + [random_page(rng, most)
                     for _ in range(int(os.environ.get("CAFE_BROWSER_PAGES", "1200")))]
    pages += [random_page(rng, most, TABLE_PIECES)
              for _ in range(int(os.environ.get("CAFE_BROWSER_TABLE_PAGES", "300")))]
    pages += [text_page(rng) for _ in range(int(os.environ.get("CAFE_BROWSER_TEXT_PAGES",
                                                               "300")))]
    cases = [("utf-8", page.encode()) for page in pages]
    return run(sys.argv[1], cases, lambda label, body: repr(body.decode()))


if __name__ == "__main__":
    sys.exit(main())
