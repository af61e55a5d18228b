/* The hand-written corpus of tricky pages with the title a browser gives (scripting on);
 * used by test_title.c and, as a differential corpus, by test_title_gumbo.c. */
#ifndef CAFE_TEST_TITLE_CASES_H
#define CAFE_TEST_TITLE_CASES_H

#include <stddef.h>

typedef struct tcase {
    const char *name;
    const char *html;
    const char *want; /* NULL: no title element */
} tcase_t;

/* Cases whose page holds NUL bytes: the length is the literal's, not strlen. */
typedef struct tcase_nul {
    const char *name;
    const char *html;
    size_t len;
    const char *want;
} tcase_nul_t;

#define NONE NULL
#define NUL_CASE(name, html, want)                                                                 \
    { name, html, sizeof html - 1, want }

#define TMPL8 "<template><template><template><template><template><template><template><template>"
#define TMPL64 TMPL8 TMPL8 TMPL8 TMPL8 TMPL8 TMPL8 TMPL8 TMPL8
#define ENDT8                                                                                      \
    "</template></template></template></template></template></template></template></template>"
#define ENDT64 ENDT8 ENDT8 ENDT8 ENDT8 ENDT8 ENDT8 ENDT8 ENDT8

static const tcase_t cases[] = {
    /* the value */
    {"basic", "<title>Hello</title>", "Hello"},
    {"whitespace", "<title>\n  Hello \t  World \r\n\f</title>", "Hello World"},
    {"empty", "<title></title>", ""},
    {"blank", "<title> \n\t </title>", ""},
    {"no title", "<p>no title here</p>", NONE},
    {"empty page", "", NONE},
    {"uppercase", "<TITLE>Up</TiTlE>", "Up"},
    {"attributes", "<title id=\"a>b\" lang=en>T</title>", "T"},
    {"self-closing title", "<title/>X</title>", "X"},
    {"nbsp not stripped", "<title>&nbsp;a&nbsp;</title>",
     "\xC2\xA0"
     "a\xC2\xA0"},
    {"whitespace refs", "<title>&#32;a&Tab;&NewLine;b&#x20;</title>", "a b"},
    /* the end of the title */
    {"unclosed", "<title>abc", "abc"},
    {"unclosed lt", "<title>abc<", "abc<"},
    {"unclosed end open", "<title>abc</", "abc</"},
    {"unclosed partial end", "<title>abc</tit", "abc</tit"},
    {"unclosed full name", "<title>abc</title", "abc</title"},
    {"end tag in progress", "<title>abc</title ", "abc"},
    {"end tag attrs", "<title>a</title foo='>'>b", "a"},
    {"not the end tag", "<title>a</titlex></title>", "a</titlex>"},
    {"markup is text", "<title>a<b>c</b><!--d--></title>", "a<b>c</b><!--d-->"},
    {"first wins", "<title>A</title><title>B</title>", "A"},
    {"second if first hidden", "<template><title>A</title></template><title>B</title>", "B"},
    /* character references */
    {"basic refs", "<title>&amp;&lt;&gt;&quot;&#39;&#x41;&#65;&apos;</title>", "&<>\"'AA'"},
    {"legacy without semicolon", "<title>&amp &copy2024 &notit; &notin;</title>",
     "& \xC2\xA9"
     "2024 \xC2\xAC"
     "it; \xE2\x88\x89"},
    {"amp then letters", "<title>&ampx &ltb</title>", "&x <b"},
    {"unknown refs", "<title>&foo; &#; &#x; &# &</title>", "&foo; &#; &#x; &# &"},
    {"numeric rules",
     "<title>&#0;|&#x80;|&#x9F;|&#x81;|&#xD800;|&#x110000;|&#x10FFFF;|&#128512;|&#99999999999;</"
     "title>",
     "\xEF\xBF\xBD|\xE2\x82\xAC|\xC5\xB8|\xC2\x81|\xEF\xBF\xBD|\xEF\xBF\xBD|\xF4\x8F\xBF\xBF|"
     "\xF0\x9F\x98\x80|\xEF\xBF\xBD"},
    {"numeric without semicolon", "<title>&#65B&#x42g</title>",
     "AB"
     "Bg"},
    {"two code points", "<title>&NotEqualTilde;</title>", "\xE2\x89\x82\xCC\xB8"},
    {"longest name", "<title>&CounterClockwiseContourIntegral;</title>", "\xE2\x88\xB3"},
    {"name too long", "<title>&CounterClockwiseContourIntegralxyz;</title>",
     "&CounterClockwiseContourIntegralxyz;"},
    {"partial ref at end", "<title>a &am", "a &am"},
    {"ref at end", "<title>a &amp", "a &"},
    /* comments */
    {"comment", "<!-- <title>X</title> --><title>Y</title>", "Y"},
    {"abrupt comment", "<!--><title>A</title>", "A"},
    {"abrupt comment dash", "<!---><title>A</title>", "A"},
    {"comment bang end", "<!-- x --!><title>A</title>", "A"},
    {"comment double dash", "<!-- a -- b <title>X</title> --><title>Y</title>", "Y"},
    {"comment bang not end", "<!-- --!x <title>X</title> --><title>Y</title>", "Y"},
    {"nested comment", "<!-- <!-- <title>X</title> --><title>Y</title>", "Y"},
    {"comment dashes", "<!-- a ---><title>A</title>", "A"},
    {"unclosed comment", "<!-- <title>X</title>", NONE},
    {"bogus comment pi", "<?php <title>X</title> ?><title>Y</title>", "Y"},
    {"bogus end tag", "</ <title>X</title><title>Y</title>", "Y"},
    {"bogus markup", "<!x <title>X</title><title>Y</title>", "Y"},
    {"almost comment", "<!-x <title>X</title><title>Y</title>", "Y"},
    {"empty end tag", "</><title>A</title>", "A"},
    {"lt text", "< title>x<title>A</title>", "A"},
    /* DOCTYPE */
    {"doctype", "<!DOCTYPE html><title>A</title>", "A"},
    {"doctype quoted gt", "<!DOCTYPE html PUBLIC \"<title>X</title>\"><title>Y</title>", "Y"},
    {"doctype case", "<!dOcTyPe html><title>A</title>", "A"},
    /* tags and attributes */
    {"attr hides", "<p title='<title>X</title>'><title>Y</title>", "Y"},
    {"attr dq hides", "<p title=\"<title>X</title>\"><title>Y</title>", "Y"},
    {"unquoted attr", "<p a=<title>X</title><title>Y</title>", "Y"},
    {"tag name with lt", "<tit<title>A</title>", NONE},
    {"slash in tag", "<p/x='<title>'/><title>Y</title>", "Y"},
    {"equals first", "<p =a><title>A</title>", "A"},
    /* RCDATA, RAWTEXT, script data, PLAINTEXT */
    {"textarea", "<textarea><title>X</title></textarea><title>Y</title>", "Y"},
    {"style", "<style><title>X</title></style><title>Y</title>", "Y"},
    {"xmp", "<xmp><title>X</title></xmp><title>Y</title>", "Y"},
    {"iframe", "<iframe><title>X</title></iframe><title>Y</title>", "Y"},
    {"noembed", "<noembed><title>X</title></noembed><title>Y</title>", "Y"},
    {"noframes", "<noframes><title>X</title></noframes><title>Y</title>", "Y"},
    {"noscript head", "<head><noscript><title>X</title></noscript><title>Y</title>", "Y"},
    {"noscript body", "<body><noscript><title>X</title></noscript><title>Y</title>", "Y"},
    /* "after head", <noscript> is not one of the head's tags: it makes the body, which a
     * <frameset> then takes away with the title in it (Chromium and Firefox: no title) */
    {"noscript after head starts the body",
     "<head></head><noscript></noscript><title>A</title><frameset>", NONE},
    {"noscript after implied head end",
     "<html></head>\n<noscript>x</noscript><title>A</title><frameset>", NONE},
    {"noscript in head starts no body", "<head><noscript></noscript><title>A</title><frameset>",
     "A"},
    {"noscript after template", "<template></template><noscript></noscript><title>A</title>", "A"},
    {"style end case", "<style>a</STYLE><title>Y</title>", "Y"},
    {"style not end", "<style></styles><title>X</title></style><title>Y</title>", "Y"},
    {"script", "<script>var s='<title>X</title>';</script><title>Y</title>", "Y"},
    {"script escaped end", "<script><!--</script><title>A</title>", "A"},
    {"script double escaped",
     "<script><!--<script></script><title>X</title>--></script><title>Y</title>", "Y"},
    {"script double escaped exit", "<script><!--<script>--></script><title>X</title>", "X"},
    {"script escaped dash", "<script><!-- - -- ---></script><title>A</title>", "A"},
    {"script not double", "<script><!--<scripts></script><title>A</title>", "A"},
    {"script double dashes",
     "<script><!--<script>-<-</script>-</script>--></script><title>A</title>", "A"},
    {"unclosed script", "<script><title>X</title>", NONE},
    {"plaintext", "<plaintext><title>X</title>", NONE},
    {"plaintext after title", "<title>A</title><plaintext>", "A"},
    /* foreign content */
    {"svg title", "<svg><title>X</title></svg><title>Y</title>", "Y"},
    {"svg only", "<svg><title>X</title></svg>", NONE},
    {"math title", "<math><title>X</title></math>", NONE},
    {"svg self-closing", "<svg/><title>Y</title>", "Y"},
    {"svg breakout p", "<svg><p><title>X</title>", "X"},
    {"svg breakout br", "<svg><g><br><title>X</title>", "X"},
    {"svg breakout end p", "<svg></p><title>X</title>", "X"},
    {"svg breakout span", "<svg><span/><title>X</title>", "X"},
    {"svg font color", "<svg><font color=red><title>X</title>", "X"},
    {"svg font plain", "<svg><font><title>X</title>", NONE},
    {"svg font size dup", "<svg><font class=a size=1><title>X</title>", "X"},
    {"foreignObject", "<svg><foreignObject><title>X</title></foreignObject></svg>", "X"},
    {"foreignobject case", "<svg><FOREIGNOBJECT><title>X</title></svg>", "X"},
    {"svg desc", "<svg><desc><title>X</title></desc></svg>", "X"},
    {"svg title in title", "<svg><title><title>X</title></title></svg>", "X"},
    {"svg after ip closed", "<svg><desc></desc><title>X</title></svg><title>Y</title>", "Y"},
    {"math mi", "<math><mi><title>X</title></mi></math>", "X"},
    {"math mglyph", "<math><mi><mglyph><title>X</title></mglyph></mi></math>", NONE},
    {"annotation-xml html",
     "<math><annotation-xml encoding='Text/HTML'><title>X</title></annotation-xml></math>", "X"},
    {"annotation-xml encoded ref",
     "<math><annotation-xml encoding='text&#x2F;html'><title>X</title></annotation-xml></math>",
     "X"},
    {"annotation-xml plain", "<math><annotation-xml><title>X</title></annotation-xml></math>",
     NONE},
    {"annotation-xml svg",
     "<math><annotation-xml><svg><title>X</title></svg></annotation-xml></math><title>Y</title>",
     "Y"},
    {"svg in mi", "<math><mi><svg><title>X</title></svg></mi></math><title>Y</title>", "Y"},
    {"nested svg in foreignObject",
     "<svg><foreignObject><svg><title>X</title></svg><title>Y</title></foreignObject></svg>", "Y"},
    {"svg title is special", "<g><svg><title><span><svg></g><title>X</title>", NONE},
    {"svg closed by ancestor end", "<div><svg><g></div><title>Y</title>", "Y"},
    {"svg end tag case", "<svg><g></G></SVG><title>Y</title>", "Y"},
    {"svg script", "<svg><script><title>X</title></script></svg><title>Y</title>", "Y"},
    {"svg style is not rawtext", "<svg><style><title>X</title></style></svg>", NONE},
    {"svg cdata", "<svg><![CDATA[</svg><title>X</title>]]></svg><title>Y</title>", "Y"},
    {"cdata in html", "<![CDATA[<title>X</title>]]><title>Y</title>", "Y"},
    {"svg textarea not rcdata", "<svg><textarea></textarea></svg><title>Y</title>", "Y"},
    {"svg unclosed body end", "<svg></body><title>X</title>", NONE},
    /* template, frameset, odd places */
    {"template", "<template><title>X</title></template><title>Y</title>", "Y"},
    {"nested template", "<template><template></template><title>X</title></template>", NONE},
    {"frameset", "<frameset><title>X</title></frameset>", NONE},
    {"frameset noframes", "<frameset><noframes><title>X</title></noframes><title>Y</title>", NONE},
    {"title before frameset", "<title>A</title><frameset>", "A"},
    {"frameset removes body title", "<ul><title>T</title></ul><frameset>", NONE},
    {"ignored caption starts the body", "<caption><title>T</title><p><frameset>", NONE},
    {"frameset after body title and text", "<ul><title>T</title>x<frameset>", "T"},
    {"end html makes the body", "</html><title>T</title><frameset>", NONE},
    {"form end leaves svg open", "<form><svg></form><title>X</title>", NONE},
    /* contents that begin with <col> are "in column group": other start tags are dropped,
     * and switch no tokenizer state */
    {"template col drops iframe", "<template><col><iframe></template><title>A</title>", "A"},
    {"template col drops title", "<template><col><title>B</title></template><title>A</title>", "A"},
    {"template head tag keeps mode open",
     "<template><script></script><col><xmp></template><title>A", "A"},
    {"template div then col is body", "<template><div><col><xmp></template><title>A</title>", NONE},
    /* an outer template keeps its mode under any number of nested ones: still "in column
     * group" when 65 nested ones are closed (browsers: "A") */
    {"template col under 65 nested",
     "<template><col><template><p>" TMPL64 "<p>" ENDT64 "</template><iframe></template><title>A",
     "A"},
    {"template col nested", "<template><col><p><template><col><iframe>x</template><title>A", NONE},
    {"template clears frameset-ok", "<b><template></template><frameset><title>T</title>", "T"},
    /* template contents are not the document's: markup there makes no body, and a head
     * template clears frameset-ok before any, so text after it must still start one */
    {"template content makes no body", "<template><p></template><frameset><title>A", NONE},
    {"text after head template", "<template></template>y<frameset><title>A", "A"},
    {"text in and after template", "<template>x</template>y<frameset><title>A", "A"},
    /* ...and the body a tag implies starts with frameset-ok set again, whatever a head
     * template cleared (Chromium and Firefox: no title) */
    {"implied body after head template", "<template></template><p><frameset><title>A", NONE},
    {"implied body after head template content",
     "<template><p>x</p></template><div><frameset><title>A", NONE},
    {"breakout after head template", "<template></template><svg><meta><frameset><title>A", NONE},
    {"frameset after body tag", "<body><title>T</title><frameset>", "T"},
    {"frameset after end br", "</br><frameset><title>A</title>", "A"},
    {"frameset after text", "<p>text</p><frameset><title>A</title>", "A"},
    /* frameset-ok: what clears it and what does not (HTML 13.2.6.4.7, 13.2.6.5) */
    {"hidden input keeps frameset-ok", "<input type=\"hidden\"><frameset><title>x</title>", NONE},
    {"hidden input any case", "<input TYPE=HiDdEn><frameset><title>x</title>", NONE},
    {"hidden input by reference", "<input type=&#104;idden><frameset><title>x</title>", NONE},
    {"text input clears frameset-ok", "<input type=text><frameset><title>x</title>", "x"},
    {"untyped input clears frameset-ok", "<input><frameset><title>x</title>", "x"},
    {"hidden input twice typed", "<input type=text type=hidden><frameset><title>x</title>", "x"},
    {"svg input keeps frameset-ok", "<svg><input></svg><frameset><title>x</title>", NONE},
    {"svg cdata text clears frameset-ok", "<svg><![CDATA[x]]></svg><frameset><title>A</title>",
     "A"},
    {"svg cdata blank keeps frameset-ok", "<svg><![CDATA[ \n\0]]></svg><frameset><title>A</title>",
     NONE},
    {"svg cdata bracket is text", "<svg><![CDATA[]]]]></svg><frameset><title>A</title>", "A"},
    {"svg cdata lone bracket is text", "<svg><![CDATA[ ] ]]></svg><frameset><title>A</title>", "A"},
    {"whitespace refs keep frameset-ok",
     "&#32;&#x20;&#9;&#0010;&#xC;&#13;&Tab;&NewLine;&#32<frameset><title>A</title>", NONE},
    {"space ref then title in head", "&#32;<title>A</title><frameset>", "A"},
    {"text ref clears frameset-ok", "&amp;<frameset><title>A</title>", "A"},
    /* the standard makes &#0; U+FFFD, which is text; Chromium 156 keeps frameset-ok here */
    {"NUL ref clears frameset-ok", "&#0;<frameset><title>A</title>", "A"},
    {"bare amp clears frameset-ok", "& <frameset><title>A</title>", "A"},
    {"hash without digits is text", "&#;<frameset><title>A</title>", "A"},
    {"Tab without semicolon is text", "&Tab <frameset><title>A</title>", "A"},
    {"other named ref is text", "&nbsp;<frameset><title>A</title>", "A"},
    {"ref cut by a tag is text", "&Ne<b><frameset><title>A</title>", "A"},
    {"svg cdata amp is text", "<svg><![CDATA[&#32;]]></svg><frameset><title>A</title>", "A"},
    {"noembed text keeps frameset-ok", "<noembed>x</noembed><frameset><title>A</title>", NONE},
    {"title in body", "<body><p>x</p><title>Y</title>", "Y"},
    {"title in table", "<table><tr><td><title>Y</title></td></tr></table>", "Y"},
    {"foster-parented title first", "<table><tr><td><title>A</title></td></tr><title>B</title>",
     "B"},
    {"foster-parented only once", "<table><title>A</title><title>B</title></table>", "A"},
    {"table closed keeps cell title", "<table><td><title>A</title></table><title>B</title>", "A"},
    {"title in caption then fostered", "<table><caption><title>A</title></caption><tr><title>B",
     "B"},
    /* a caption or column group in a cell ends the cell, the row and the row group */
    {"colgroup in cell, title fostered", "<table><tr><td><title>A</title><colgroup><title>B", "B"},
    {"col in cell, title fostered", "<table><tr><td><title>A</title><col><title>B", "B"},
    {"caption in cell", "<table><td><title>A</title><caption></caption><title>B</title>", "B"},
    /* elements foster-parented before a table keep its table mode: a table part ends them
     * ("clear the stack back to a table context"), so a title after it is in the table */
    {"table part ends fostered dt", "<table><dt><tfoot><th><title>A</title><thead><title>B</title>",
     "B"},
    {"row ends fostered dt", "<table><tbody><dt><tr><td><title>A</title><thead><title>B", "B"},
    {"cell ends fostered dt", "<table><tr><dt><td><title>A</title><thead><title>B</title>", "B"},
    {"caption ends fostered", "<table><dt><b><caption><title>A</title></caption><title>B", "B"},
    {"table part ends fostered math", "<table><math><mi><tfoot><th><title>A</title><thead><title>B",
     "B"},
    {"fostered dt in a second cell",
     "<table><tr><td><title>A</title></td><dt><td><title>B</title>"
     "<thead><title>C</title>",
     "C"},
    /* a <button> ends one open in scope, with the heading in it: </h2> then finds none and
     * leaves the <svg> open, so the title is SVG's */
    {"button ends open button", "<button><h1><button><svg></h2><title>X</title>", NONE},
    {"button beyond scope stays", "<object><button><h1></object><button><svg></h1><title>X", NONE},
    /* "in table" a <form> is inserted and popped at once: what follows is foster-parented */
    {"form in table not kept open", "<table><form><em><title>A</title><tbody><title>B</title>",
     "A"},
    {"form in row not kept open", "<table><tr><form><td><title>A</title><thead><title>B", "B"},
    /* the adoption agency inserts the block it keeps in the common ancestor: a table part
     * there foster-parents it before the table, with the title in it */
    {"adopted block fostered", "<table><a><div></a><title>A</title><tbody><title>B</title>", "A"},
    {"adopted block fostered in tbody", "<table><tbody><b><div></b><title>A</title><tr><title>B",
     "A"},
    {"adopted through a clone", "<table><b><i><div></b><title>A</title><tbody><title>B</title>",
     "A"},
    {"a start tag adopts", "<table><a><div><a><title>A</title><tbody><title>B</title>", "A"},
    {"adopted block in a cell stays", "<table><tr><td><b><div></b><title>A</title><thead><title>B",
     "B"},
    /* the list of active formatting elements: one closed out of order is opened again before
     * the next content, and its end tag then closes what was opened in it (browsers) */
    {"nobr end leaves a to reopen", "<nobr><a></nobr><math></a><title>X</title>", "X"},
    {"a end leaves nobr to reopen", "<a><nobr></a><math></nobr><title>X</title>", "X"},
    {"p end leaves b to reopen", "<p><b></p><svg></b><title>X</title>", "X"},
    {"text reopens", "<p><b></p>y<svg></b><title>X</title>", "X"},
    {"whitespace reopens", "<p><b></p> <svg></b><title>X</title>", "X"},
    {"reference reopens", "<p><b></p>&amp;<math></b><title>X</title>", "X"},
    {"two reopen", "<p><i><b></p><svg></i><title>X</title>", "X"},
    {"br end reopens", "<p><b></p></br><math></b><title>X</title>", "X"},
    {"reopened inside a block", "<p><b></p><div><math></b><title>X</title>", "X"},
    {"marker stops reopening", "<p><b></p><object><svg></b><title>X</title>", NONE},
    {"marker gone reopens", "<p><b></p><object></object><svg></b><title>X</title>", "X"},
    {"closed cell forgets", "<table><td><p><b></td><svg></b><title>X</title>", NONE},
    {"reopened in table", "<p><b></p><table>x<svg></b><title>X</title>", "X"},
    /* text in an integration point is processed "in body": it reopens, and the end tag after
     * it then finds HTML, which ignores it, not the integration point, which it would close */
    {"text reopens in foreignObject", "<svg><foreignObject><p><b></p>x</foreignObject><title>X",
     "X"},
    {"whitespace reopens in desc", "<svg><desc><p><b></p> </desc><title>X</title>", "X"},
    {"reference reopens in mi", "<math><mi><p><b></p>&amp;</mi><title>X</title>", "X"},
    {"text reopens in annotation-xml",
     "<math><annotation-xml encoding=text/html><p><b></p>x</annotation-xml><title>X", "X"},
    {"text reopens in a fostered desc", "<table><svg><desc><p><b></p>x</desc><title>X", "X"},
    {"object leaves its template's entries",
     "<math><section><annotation-xml encoding=text/html><template><i><object></template>x"
     "</section><title>X",
     "X"},
    {"end of a closed one forgets it", "<b><p><b></p></b><svg></b><title>X</title>", "X"},
    {"three of a kind", "<p><b><b><b><b></p><math></b></b></b><title>X</title>", "X"},
    /* Noah's Ark: "of a kind" is the name and the attributes, in any order, as the tokenizer
     * gives them (lowercase names, the first of a name, values with their references
     * decoded and newlines normalised); four of a kind reopen three, four that differ four, so
     * three end tags leave one <b> for </b> to close the <svg> with */
    {"four that differ reopen", "<p><b c=1><b c=2><b c=3><b c=4></p>x</b></b></b><svg></b><title>A",
     "A"},
    {"four fonts reopen",
     "<p><font size=1><font size=2><font size=3><font size=4></p>x</font></font></font><svg>"
     "</font><title>A",
     "A"},
    {"an attribute more differs", "<p><b><b><b c><b></p>x</b></b></b><svg></b><title>A", "A"},
    {"names differ in their first 16 bytes",
     "<p><b data-abcdefghij1><b data-abcdefghij2><b data-abcdefghij3>"
     "<b data-abcdefghij4></p>x</b></b></b><svg></b><title>A",
     "A"},
    {"long names differ late",
     "<p><b data-abcdefghijklmnopqrstuvwxyz1><b data-abcdefghijklmnopqrstuvwxyz2>"
     "<b data-abcdefghijklmnopqrstuvwxyz3><b data-abcdefghijklmnopqrstuvwxyz4></p>x</b></b></b>"
     "<svg></b><title>A",
     "A"},
    {"long names alike",
     "<p><b data-abcdefghijklmnopqrstuvwxyz><b DATA-ABCDEFGHIJKLMNOPQRSTUVWXYZ>"
     "<b data-abcdefghijklmnopqrstuvwxyz><b data-abcdefghijklmnopqrstuvwxyz></p>x</b></b></b>"
     "<svg></b><title>A",
     NONE},
    {"a value's case differs", "<p><b c=x><b c=X><b c=x><b c=x></p>x</b></b></b><svg></b><title>A",
     "A"},
    {"a slash in an unquoted value",
     "<p><b c=1/><b c=1 /><b c=1><b c=1></p>x</b></b></b><svg></b><title>A", "A"},
    {"a legacy reference before a letter",
     "<p><b c=&ampx><b c=&amp;x><b c=&ampx><b c=&ampx></p>x</b></b></b><svg></b><title>A", "A"},
    /* the list is not bounded at 16: seventeen reopen, so sixteen end tags leave the oldest
     * for the last one, which closes the <svg> (browsers: any number) */
    {"seventeen reopen",
     "<p><b><i><u><s><em><tt><big><code><small><strike><strong><nobr><font><b><i><u><s></p>x"
     "</s></u></i></b></font></nobr></strong></strike></small></code></big></tt></em></s></u>"
     "</i><svg></b><title>A",
     "A"},
    {"forty fonts reopen",
     "<p>"
     "<font size=0><font size=1><font size=2><font size=3><font size=4><font size=5><font "
     "size=6><font size=7><font size=8><font size=9><font size=10><font size=11><font size"
     "=12><font size=13><font size=14><font size=15><font size=16><font size=17><font size"
     "=18><font size=19><font size=20><font size=21><font size=22><font size=23><font size"
     "=24><font size=25><font size=26><font size=27><font size=28><font size=29><font size"
     "=30><font size=31><font size=32><font size=33><font size=34><font size=35><font size"
     "=36><font size=37><font size=38><font size=39>"
     "</p>x"
     "</font></font></font></font></font></font></font></font></font></font></font></font>"
     "</font></font></font></font></font></font></font></font></font></font></font></font>"
     "</font></font></font></font></font></font></font></font></font></font></font></font>"
     "</font></font></font><svg></font><title>A",
     "A"},
    {"same in any order",
     "<p><b c=1 d=2><b d=2 c=1><b C=1 D=2><b c=1 d=2></p>x</b></b></b><svg></b><title>A", NONE},
    {"same by reference",
     "<p><b c=1><b c=&#49;><b c='1'><b c=\"1\"></p>x</b></b></b><svg></b><title>A", NONE},
    {"same but a repeated name",
     "<p><b c=1><b c=1 c=2><b c=1 c=3><b c=1></p>x</b></b></b><svg></b><title>A", NONE},
    {"same newlines",
     "<p><b c='a\r\nb'><b c='a\nb'><b c='a\rb'><b c='a\nb'></p>x</b></b></b><svg></b>"
     "<title>A",
     NONE},
    {"same empty values", "<p><b c><b c=''><b c=><b c></p>x</b></b></b><svg></b><title>A", NONE},
    /* a row gets an implied tbody and a cell an implied tr, which end tags then close */
    {"implied tbody closed", "<table><tr><math></tbody><title/><iframe>", "<iframe>"},
    {"implied tr closed", "<table><td><math></tr><title>A</title>", "A"},
    {"no implied tbody in template", "<table><template><tr><math></tbody><title>A</title>", NONE},
    {"title in select", "<select><title>Y</title></select>", "Y"},
    /* what is left of "in select": <input> and <select> end an open select (browsers) */
    {"input ends select", "<select><input><math><title></select><title><p>X", NONE},
    {"hidden input ends select", "<div><select><input type=hidden><math><title></select><title>X",
     NONE},
    {"select in select ends it", "<select><select><math><title></select><title><p>X", NONE},
    /* an open <select> bounds the scope of end tags (browsers): the <math> stays open */
    {"select ends div scope", "<div><select><math></div><title>X</title>", NONE},
    {"select ends button scope", "<button><select><math></button><title>X</title>", NONE},
    {"select ends scope of adoption", "<b><select><p><math></b><title>X</title>", NONE},
    {"closed select ends no scope", "<b><select></select><div><math></b><title>X</title>", "X"},
    {"select beyond scope stays", "<select><object><input><math><title></select></object><title>X",
     "X"},
    {"textarea keeps select", "<select><textarea></textarea><math><title></select><title>X", "X"},
    /* names are compared whole, however long: an end tag of another custom element that
     * starts alike is "any other end tag" that finds nothing, and the <svg> stays open */
    {"long names differ past 16 bytes",
     "<web-component-name-01><svg></web-component-name-02><title>X", NONE},
    {"long names differ at their end",
     "<ytd-thumbnail-overlay-time-status-renderer><math>"
     "</ytd-thumbnail-overlay-now-playing-renderer><title>X",
     NONE},
    {"a long name closes its own", "<web-component-name-01><svg></web-component-name-01><title>X",
     "X"},
    {"a long name in any case", "<Web-Component-Name-01><svg></WEB-COMPONENT-NAME-01><title>X",
     "X"},
    /* the adoption agency's outer loop stops after eight rounds: with eight blocks in the <b>
     * it is not popped, stays in the list and is reopened, and closes the <svg> */
    {"adoption stops after eight rounds",
     "<b><div><div><div><div><div><div><div><div></b></div></div></div></div></div></div></div></"
     "div>"
     "<svg></b><title>X",
     "X"},
    {"adoption leaves the ninth block",
     "<b><div><div><div><div><div><div><div><div><div></b><svg></b><title>X", "X"},
    {"adoption of seven blocks pops",
     "<b><div><div><div><div><div><div><div></b></div></div></div></div></div></div></div>"
     "<svg></b><title>X",
     NONE},
    /* the adoption agency's inner loop keeps a formatting element only within three elements
     * of the next block: the <i> further away leaves the stack and the list, so </i> finds
     * nothing to close the <svg> with */
    {"adoption drops the fourth", "<b><i><em><u><s><div></b></div>x<svg></i><title>X", NONE},
    {"adoption counts any element", "<b><i><span><span><span><div></b></div>x<svg></i><title>X",
     NONE},
    {"adoption keeps the third", "<b><i><em><u><s><div></b></div>x<svg></em><title>X", "X"},
    {"adoption drops in a later round",
     "<b><div><i><em><u><s><div></b></div></div>x<svg></i><title>X", NONE},
    /* an <object> (<applet>, <marquee>) clears the list up to its marker by its end tag's
     * rule only: popped with a table, its marker stays, and the <b> before it is not reopened
     * (no title) */
    {"object popped with a table keeps its marker",
     "<table><b><object></table>x<svg></b><title>X</title>", NONE},
    {"object popped by a table start tag",
     "<table><b><object><table><math></font><svg></b><title>X", NONE},
    {"object popped with a cell", "<table><td><b><object></td><svg></b><title>X</title>", "X"},
    {"object end tag clears its marker", "<p><b></p><object></object><svg></b><title>X", "X"},
    /* an end tag with no entry in the list is "any other end tag": a <p> (special) stops it,
     * so the <font> beyond stays open and so does the <svg> (the sixth, fifth and fourth
     * <font> took the others' entries: Noah's Ark) */
    {"end tag without an entry stops at a block",
     "<font><font><font><font><font><font></font></font></font></font><p></table>x<svg></font>"
     "<title>X",
     NONE},
    {"end tag without an entry stops at a div",
     "<b><b><b><b></b></b></b></b><div>x<svg></b><title>X</title>", NONE},
    {"title after html end", "</html><title>Y</title>", "Y"},
    /* quirks mode: without a DOCTYPE, or with an old one, <table> leaves the <p> open, so
     * </foreignObject> is ignored and the title is HTML (both browsers) */
    {"no doctype: quirks", "<svg><foreignObject><p><table></table></foreignObject><title>A</title>",
     "A"},
    {"html doctype: no quirks",
     "<!DOCTYPE html><svg><foreignObject><p><table></table></foreignObject><title>A</title>", NONE},
    {"uppercase name",
     "<!DOCTYPE HTML><svg><foreignObject><p><table></table></foreignObject><title>A</title>", NONE},
    {"legacy-compat system id",
     "<!doctype html system \"about:legacy-compat\"><svg><foreignObject><p><table></table>"
     "</foreignObject><title>A</title>",
     NONE},
    {"4.01 transitional alone: quirks",
     "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01 "
     "Transitional//EN\"><svg><foreignObject><p><table></table></foreignObject><title>A</title>",
     "A"},
    {"4.01 transitional with system: limited",
     "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\" "
     "\"http://www.w3.org/TR/html4/loose.dtd\"><svg><foreignObject><p><table></table></"
     "foreignObject><title>A</title>",
     NONE},
    {"4.0 transitional prefix: quirks",
     "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.0 Transitional//EN\" "
     "\"x\"><svg><foreignObject><p><table></table></foreignObject><title>A</title>",
     "A"},
    {"xhtml transitional: limited",
     "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 "
     "Transitional//EN\"><svg><foreignObject><p><table></table></foreignObject><title>A</title>",
     NONE},
    {"public id case folded",
     "<!DOCTYPE html PUBLIC \"-//w3c//dtd html 3.2 "
     "final//en\"><svg><foreignObject><p><table></table></foreignObject><title>A</title>",
     "A"},
    {"exact public id",
     "<!DOCTYPE html PUBLIC \"-/W3C/DTD HTML 4.0 "
     "Transitional/EN\"><svg><foreignObject><p><table></table></foreignObject><title>A</title>",
     "A"},
    {"exact public id only",
     "<!DOCTYPE html PUBLIC \"-/W3D/DTD HTML 4.0 "
     "Transitional/EN\"><svg><foreignObject><p><table></table></foreignObject><title>A</title>",
     NONE},
    {"public id HTML",
     "<!DOCTYPE html PUBLIC 'HTML' "
     "'x'><svg><foreignObject><p><table></table></foreignObject><title>A</title>",
     "A"},
    {"public id longer than HTML",
     "<!DOCTYPE html PUBLIC "
     "\"htmlx\"><svg><foreignObject><p><table></table></foreignObject><title>A</title>",
     NONE},
    {"ibm system id",
     "<!DOCTYPE html SYSTEM "
     "\"HTTP://WWW.IBM.COM/DATA/DTD/V11/"
     "IBMXHTML1-TRANSITIONAL.DTD\"><svg><foreignObject><p><table></table></foreignObject><title>A</"
     "title>",
     "A"},
    {"other name",
     "<!DOCTYPE foo><svg><foreignObject><p><table></table></foreignObject><title>A</title>", "A"},
    {"no name", "<!DOCTYPE><svg><foreignObject><p><table></table></foreignObject><title>A</title>",
     "A"},
    {"missing system id",
     "<!DOCTYPE html SYSTEM><svg><foreignObject><p><table></table></foreignObject><title>A</title>",
     "A"},
    {"cut identifier",
     "<!DOCTYPE html PUBLIC "
     "\"abc><svg><foreignObject><p><table></table></foreignObject><title>A</title>",
     "A"},
    {"junk after name",
     "<!DOCTYPE html foo><svg><foreignObject><p><table></table></foreignObject><title>A</title>",
     "A"},
    {"junk after system id",
     "<!DOCTYPE html SYSTEM \"x\" "
     "foo><svg><foreignObject><p><table></table></foreignObject><title>A</title>",
     NONE},
    {"keyword after public id",
     "<!DOCTYPE html PUBLIC \"x\" SYSTEM "
     "\"y\"><svg><foreignObject><p><table></table></foreignObject><title>A</title>",
     "A"},
    {"no space before identifiers",
     "<!DOCTYPEhtml "
     "PUBLIC\"x\"\"y\"><svg><foreignObject><p><table></table></foreignObject><title>A</title>",
     NONE},
    {"text before doctype",
     "x<!DOCTYPE html><svg><foreignObject><p><table></table></foreignObject><title>A</title>", "A"},
    {"tag before doctype",
     "<html><!DOCTYPE html><svg><foreignObject><p><table></table></foreignObject><title>A</title>",
     "A"},
    {"comment and blank before doctype",
     "<!-- c -->\n<?xml?>&#32;<!DOCTYPE "
     "html><svg><foreignObject><p><table></table></foreignObject><title>A</title>",
     NONE},
    {"a second doctype is ignored",
     "<!DOCTYPE html><!DOCTYPE "
     "foo><svg><foreignObject><p><table></table></foreignObject><title>A</title>",
     NONE},
};

static const tcase_nul_t nul_cases[] = {
    NUL_CASE("a NUL value is U+FFFD's",
             "<p><b c='\0'><b c='\xEF\xBF\xBD'><b c='&#0;'><b c='\0'></p>x</b></b></b><svg></b>"
             "<title>A",
             NONE),
    NUL_CASE("NUL keeps frameset-ok", "<html>\0<frameset></frameset><title>x</title>", NONE),
    NUL_CASE("NUL first keeps frameset-ok", "\0<frameset><title>x</title>", NONE),
    NUL_CASE("NUL then text", "<p>\0x<frameset><title>A</title>", "A"),
    NUL_CASE("svg NUL keeps frameset-ok", "<svg>\0</svg><frameset><title>x</title>", NONE),
    NUL_CASE("body title then NUL", "<p><title>T</title>\0<frameset>", NONE),
    /* browsers drop a NUL in data before tree construction: it starts no head or body */
    NUL_CASE("NUL after html starts no body", "<html>\0<title>A</title><frameset>", "A"),
    NUL_CASE("NUL first starts no body", "\0 \0<title>A</title><frameset>", "A"),
    NUL_CASE("NUL in head starts no body", "<head>\0<title>A</title></head><frameset>", "A"),
    NUL_CASE("NUL after head starts no body", "<head></head>\0<title>A</title><frameset>", "A"),
    NUL_CASE("NUL then a tag starts the body", "<html>\0<p><title>A</title><frameset>", NONE),
    /* a NUL in an attribute value is U+FFFD: "hidden\uFFFD" is not hidden */
    NUL_CASE("input type with NUL", "<input type=\"hidden\0\"><frameset><title>x</title>", "x"),
};

#undef NONE
#endif
