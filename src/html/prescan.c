/* "Prescan a byte stream to determine its encoding" (HTML standard 13.2.3.2) and "extract a
 * character encoding from a meta element" (2.4.7.4), on bytes.
 *
 * One departure from the standard's prescan, because both browsers depart from it alike
 * (Chromium's and Firefox's prescans run their tokenizer): the text of the elements whose
 * start tag switches the tokenizer out of the data state (script, style, title, textarea,
 * xmp, iframe, noembed, noframes, plaintext) is skipped as the tokenizer skips it, so
 * "<script>'<meta charset=koi8-r>'</script>" declares nothing. */
#include <string.h>

#include "html/prescan.h"

typedef struct span {
    const unsigned char *p;
    size_t n;
} span_t;

typedef struct scan {
    const unsigned char *p;
    size_t n, pos;
} scan_t;

static int is_ws(unsigned c) {
    return c == ' ' || c == '\n' || c == '\t' || c == '\f' || c == '\r';
}

static int is_alpha(unsigned c) {
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static int span_is(span_t s, const char *word) {
    size_t n = strlen(word);
    if (s.n != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = s.p[i];
        if ((c >= 'A' && c <= 'Z' ? c | 0x20 : c) != (unsigned char)word[i])
            return 0;
    }
    return 1;
}

static int at(const scan_t *s, const char *word) {
    size_t n = strlen(word);
    return s->n - s->pos >= n && span_is((span_t){s->p + s->pos, n}, word);
}

/* Where the first "charset" followed by whitespace and '=' starts in s[0..n), or n. ("charset"
 * overlaps no other "charset": a failed match resumes at the next byte as the standard's loop
 * resumes after it.) */
static size_t charset_word(const unsigned char *s, size_t n) {
    for (size_t i = 0; i + 7 <= n; i++) {
        if (!span_is((span_t){s + i, 7}, "charset"))
            continue;
        size_t j = i + 7;
        while (j < n && is_ws(s[j]))
            j++;
        if (j < n && s[j] == '=')
            return i;
    }
    return n;
}

size_t cafe__html_meta_content_start(const char *s, size_t n) {
    size_t i = charset_word((const unsigned char *)s, n);
    if (i < n)
        return i;
    return n > 8 ? n - 8 : 0;
}

const cafe__html_encoding_t *cafe__html_meta_content_charset(const char *str, size_t n) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = charset_word(s, n);
    if (i == n)
        return NULL;
    i += 7;
    while (s[i] != '=')
        i++;
    i++;
    while (i < n && is_ws(s[i]))
        i++;
    if (i == n)
        return NULL;
    if (s[i] == '"' || s[i] == '\'') {
        const unsigned char *q = memchr(s + i + 1, s[i], n - i - 1);
        if (!q)
            return NULL;
        return cafe__html_encoding_get((const char *)s + i + 1, (size_t)(q - s - i - 1));
    }
    size_t j = i;
    while (j < n && !is_ws(s[j]) && s[j] != ';')
        j++;
    return cafe__html_encoding_get((const char *)s + i, j - i);
}

/* "Get an attribute". Returns 1 with name/value, 0 when there are no more, -1 at the end of
 * the input. Name and value are left as spans of the input: callers compare them ASCII
 * case-insensitively, which is what the standard's lowercasing amounts to here. */
static int get_attr(scan_t *s, span_t *name, span_t *value) {
    while (s->pos < s->n && (is_ws(s->p[s->pos]) || s->p[s->pos] == '/'))
        s->pos++;
    if (s->pos >= s->n)
        return -1;
    if (s->p[s->pos] == '>')
        return 0;
    *name = (span_t){s->p + s->pos, 0};
    *value = (span_t){s->p, 0};
    for (;; s->pos++, name->n++) {
        if (s->pos >= s->n)
            return -1;
        unsigned c = s->p[s->pos];
        if (c == '=' && name->n > 0)
            break;
        if (is_ws(c)) {
            while (s->pos < s->n && is_ws(s->p[s->pos]))
                s->pos++;
            if (s->pos >= s->n)
                return -1;
            if (s->p[s->pos] != '=')
                return 1;
            break;
        }
        if (c == '/' || c == '>')
            return 1;
    }
    s->pos++; /* past '=' */
    while (s->pos < s->n && is_ws(s->p[s->pos]))
        s->pos++;
    if (s->pos >= s->n)
        return -1;
    unsigned q = s->p[s->pos];
    if (q == '"' || q == '\'') {
        const unsigned char *e = memchr(s->p + s->pos + 1, (int)q, s->n - s->pos - 1);
        if (!e)
            return -1;
        *value = (span_t){s->p + s->pos + 1, (size_t)(e - s->p - s->pos - 1)};
        s->pos = (size_t)(e - s->p) + 1;
        return 1;
    }
    if (q == '>')
        return 1;
    size_t start = s->pos;
    while (s->pos < s->n && !is_ws(s->p[s->pos]) && s->p[s->pos] != '>')
        s->pos++;
    if (s->pos >= s->n)
        return -1;
    *value = (span_t){s->p + start, s->pos - start};
    return 1;
}

/* The attributes of a <meta>: 1 with *enc set when they declare an encoding, 0 when not,
 * -1 at the end of the input. */
static int meta_attrs(scan_t *s, const cafe__html_encoding_t **enc) {
    int seen = 0, got_pragma = 0, need_pragma = -1, r;
    const cafe__html_encoding_t *charset = NULL;
    span_t name, value;
    while ((r = get_attr(s, &name, &value)) == 1) {
        static const char *const names[] = {"http-equiv", "content", "charset"};
        int k = 0;
        while (k < 3 && !span_is(name, names[k]))
            k++;
        if (k == 3 || (seen & (1 << k)))
            continue;
        seen |= 1 << k;
        if (k == 0) {
            got_pragma |= span_is(value, "content-type");
        } else if (k == 1) {
            const cafe__html_encoding_t *e =
                cafe__html_meta_content_charset((const char *)value.p, value.n);
            if (e && !charset && need_pragma == -1) {
                charset = e;
                need_pragma = 1;
            }
        } else {
            charset = cafe__html_encoding_get((const char *)value.p, value.n);
            need_pragma = 0;
        }
    }
    if (r < 0)
        return -1;
    if (need_pragma == -1 || (need_pragma == 1 && !got_pragma) || !charset)
        return 0;
    *enc = cafe__html_encoding_for_meta(charset);
    return 1;
}

const cafe__html_encoding_t *cafe__html_encoding_for_meta(const cafe__html_encoding_t *e) {
    if (e == &cafe__html_enc_utf16le || e == &cafe__html_enc_utf16be)
        return &cafe__html_enc_utf8;
    if (e->kind == CAFE__ENC_USER)
        return &cafe__html_enc_windows1252;
    return e;
}

const cafe__html_encoding_t *cafe__html_xml_declaration(const unsigned char *p, size_t n) {
    if (n >= 6 && !memcmp(p, "<\0?\0x\0", 6))
        return &cafe__html_enc_utf16le;
    if (n >= 6 && !memcmp(p, "\0<\0?\0x", 6))
        return &cafe__html_enc_utf16be;
    if (n < 5 || memcmp(p, "<?xml", 5))
        return NULL;
    const unsigned char *gt = memchr(p, '>', n);
    if (!gt)
        return NULL;
    size_t end = (size_t)(gt - p), i = 5;
    while (i + 8 <= end && memcmp(p + i, "encoding", 8))
        i++;
    if (i + 8 > end)
        return NULL;
    for (i += 8; i < end && p[i] <= 0x20; i++)
        ;
    if (i == end || p[i] != '=')
        return NULL;
    for (i++; i < end && p[i] <= 0x20; i++)
        ;
    if (i == end || (p[i] != '"' && p[i] != '\''))
        return NULL;
    unsigned char quote = p[i];
    size_t start = ++i;
    while (i < end && p[i] != quote && p[i] > 0x20)
        i++;
    if (i == end || p[i] != quote)
        return NULL;
    const cafe__html_encoding_t *e = cafe__html_encoding_get((const char *)p + start, i - start);
    if (e == &cafe__html_enc_utf16le || e == &cafe__html_enc_utf16be)
        return &cafe__html_enc_utf8;
    return e;
}

int cafe__html_xml_declaration_cut(const unsigned char *p, size_t n) {
    return n >= 5 && !memcmp(p, "<?xml", 5) && !memchr(p, '>', n);
}

/* Skips a tag's attributes; returns 0, or -1 at the end of the input. */
static int skip_attrs(scan_t *s) {
    span_t name, value;
    int r;
    while ((r = get_attr(s, &name, &value)) == 1)
        ;
    return r;
}

/* Past the end tag "</name" (name ASCII case-insensitive, then whitespace, '/' or '>') that
 * the tokenizer's RCDATA or RAWTEXT state would stop at, searching from s->pos; returns 0
 * there, or -1 at the end of the input. */
static int skip_to_end_tag(scan_t *s, span_t name) {
    for (;;) {
        const unsigned char *lt = memchr(s->p + s->pos, '<', s->n - s->pos);
        if (!lt)
            return -1;
        s->pos = (size_t)(lt - s->p) + 1;
        size_t k = s->pos + 1 + name.n;
        if (k >= s->n)
            return -1; /* no room for one after this '<' either */
        if (s->p[s->pos] == '/' &&
            span_is((span_t){s->p + s->pos + 1, name.n}, (const char *)name.p) &&
            (is_ws(s->p[k]) || s->p[k] == '/' || s->p[k] == '>')) {
            s->pos = k;
            return 0;
        }
    }
}

/* 1 when p[0..n) is "script", ASCII case-insensitively. */
static int is_script(const unsigned char *p, size_t n) {
    return span_is((span_t){p, n}, "script");
}

/* The tokenizer's script data states (13.2.5.4, 13.2.5.15-13.2.5.31) from s->pos, just
 * after the <script> start tag, to just past the "</script" that ends the element: an
 * escaped "<!--" hides a "</script" only after a "<script" inside it. Returns 0, or -1 at
 * the end of the input. */
static int skip_script(scan_t *s) {
    enum { DATA, ESCAPED, DOUBLE } mode = DATA;
    size_t dashes = 0; /* '-' bytes just before, in the escaped modes */
    for (; s->pos < s->n; s->pos++) {
        unsigned c = s->p[s->pos];
        if (c == '-') {
            dashes++;
            continue;
        }
        size_t before = dashes;
        dashes = 0;
        if (c == '>' && before >= 2 && mode != DATA) {
            mode = DATA; /* "-->" */
            continue;
        }
        if (c != '<')
            continue;
        const unsigned char *q = s->p + s->pos + 1, *end = s->p + s->n;
        if (mode == DATA && end - q >= 3 && q[0] == '!' && q[1] == '-' && q[2] == '-') {
            mode = ESCAPED; /* "<!--": its dashes also count towards a "-->" */
            s->pos += 3;
            dashes = 2;
            continue;
        }
        int slash = q < end && *q == '/';
        const unsigned char *name = q + slash, *e = name;
        while (e < end && is_alpha(*e))
            e++;
        if (e == end)
            return -1; /* the name may go on */
        int named = is_script(name, (size_t)(e - name)) && (is_ws(*e) || *e == '/' || *e == '>');
        if (!named)
            continue;
        if (slash && mode != DOUBLE) {
            s->pos = (size_t)(e - s->p); /* the end tag */
            return 0;
        }
        if (slash)
            mode = ESCAPED; /* "</script" ends the double escape */
        else if (mode == ESCAPED)
            mode = DOUBLE; /* "<script" in an escaped comment */
        s->pos = (size_t)(e - s->p) - 1;
    }
    return -1;
}

/* After a start tag named name: the text of the elements the tokenizer reads in another
 * state than data is skipped with their end tag, attributes included, as the tokenizer
 * reads them; plaintext hides the rest. Returns 0, or -1 at the end of the input. */
static int skip_text_of(scan_t *s, span_t name) {
    static const char *const raw[] = {"style",  "title",   "textarea", "xmp",
                                      "iframe", "noembed", "noframes"};
    int r = 0, text = 1;
    if (is_script(name.p, name.n))
        r = skip_script(s);
    else if (span_is(name, "plaintext"))
        return -1;
    else {
        size_t i = 0;
        while (i < sizeof raw / sizeof raw[0] && !span_is(name, raw[i]))
            i++;
        if (i == sizeof raw / sizeof raw[0])
            text = 0;
        else
            r = skip_to_end_tag(s, (span_t){(const unsigned char *)raw[i], name.n});
    }
    return r < 0 ? -1 : text ? skip_attrs(s) : 0;
}

/* One step of the prescan loop at s->pos ('<' there). Returns 1 with *enc, 0 to go on,
 * -1 at the end of the input. */
static int markup(scan_t *s, const cafe__html_encoding_t **enc) {
    if (at(s, "<!--")) {
        /* "-->", whose dashes may be those of "<!--" ("<!-->"), or, as the tokenizer also
         * ends a comment (and so both browsers' prescans), "--!>" after them */
        const unsigned char *p = s->p + s->pos + 2, *end = s->p + s->n;
        for (; p + 3 <= end; p++) {
            if (p[0] == '-' && p[1] == '-' && p[2] == '>')
                break;
            if (p[0] == '-' && p[1] == '-' && p[2] == '!' && p + 4 <= end && p[3] == '>' &&
                p >= s->p + s->pos + 4) {
                p++;
                break;
            }
        }
        if (p + 3 > end)
            return -1;
        s->pos = (size_t)(p - s->p) + 2;
        return 0;
    }
    if (at(s, "<meta") && s->n - s->pos > 5 &&
        (is_ws(s->p[s->pos + 5]) || s->p[s->pos + 5] == '/')) {
        s->pos += 5;
        return meta_attrs(s, enc);
    }
    int end_tag = s->pos + 1 < s->n && s->p[s->pos + 1] == '/';
    size_t k = s->pos + 1 + (size_t)end_tag;
    if (k < s->n && is_alpha(s->p[k])) {
        /* the tokenizer's tag name ends at '/' too: "<script/>" is a script */
        span_t name = {s->p + k, 0};
        while (k + name.n < s->n && !is_ws(s->p[k + name.n]) && s->p[k + name.n] != '/' &&
               s->p[k + name.n] != '>')
            name.n++;
        while (s->pos < s->n && !is_ws(s->p[s->pos]) && s->p[s->pos] != '>')
            s->pos++;
        if (skip_attrs(s) < 0)
            return -1;
        return end_tag ? 0 : skip_text_of(s, name);
    }
    if (at(s, "<!") || at(s, "</") || at(s, "<?")) {
        const unsigned char *gt = memchr(s->p + s->pos, '>', s->n - s->pos);
        if (!gt)
            return -1;
        s->pos = (size_t)(gt - s->p);
    }
    return 0;
}

/* 1 when s->p[s->pos..n) ('<' first) may be a "<meta" followed by whitespace or '/' that
 * the end of the input cut: a prefix of one, or one whose attributes are cut. */
static int meta_cut(const scan_t *s) {
    size_t left = s->n - s->pos;
    if (left > 5)
        return at(s, "<meta") && (is_ws(s->p[s->pos + 5]) || s->p[s->pos + 5] == '/');
    for (size_t i = 1; i < left; i++)
        if ((s->p[s->pos + i] | 0x20) != (unsigned char)"<meta"[i])
            return 0;
    return 1;
}

const cafe__html_encoding_t *cafe__html_prescan_to(const unsigned char *p, size_t n, size_t limit,
                                                   int *cut) {
    scan_t s = {p, n, 0};
    const cafe__html_encoding_t *enc = NULL;
    *cut = 0;
    while (s.pos < s.n) {
        const unsigned char *lt = memchr(s.p + s.pos, '<', s.n - s.pos);
        if (!lt || (size_t)(lt - s.p) >= limit)
            return NULL;
        size_t start = s.pos = (size_t)(lt - s.p);
        if (s.n - start <= 5 && meta_cut(&s)) {
            *cut = 1; /* too few bytes to tell, and markup() would pass over them */
            return NULL;
        }
        int r = markup(&s, &enc);
        if (r < 0) {
            s.pos = start;
            *cut = meta_cut(&s);
        }
        if (r != 0)
            return r > 0 ? enc : NULL;
        s.pos++; /* "next byte" */
    }
    return NULL;
}

const cafe__html_encoding_t *cafe__html_prescan(const unsigned char *p, size_t n) {
    int cut;
    return cafe__html_prescan_to(p, n, n, &cut);
}
