/* The tag and attribute states of the HTML tokenizer (13.2.5.6-13.2.5.40), and the tag
 * emission to tree construction. Only the attributes tree construction looks at are kept:
 * font's color/face/size (leaving foreign content), annotation-xml's encoding, meta's
 * charset/http-equiv/content (a late encoding declaration) and input's type (frameset-ok);
 * values are cut at CAFE__HTML_ATTR_MAX bytes (a <meta>'s charset and content values once
 * their runs of whitespace are one byte and their references decoded: meta_overflow). A
 * formatting element's attributes are fingerprinted instead (afe.c), for the list of active
 * formatting elements. */
#include <string.h>

#include "html/hot.h"
#include "html/charref.h"
#include "html/prescan.h"
#include "html/stack.h"
#include "html/tags.h"
#include "html/tokstate.h"

/* Attribute ids after the CAFE__ATTR_* ones whose values are kept: font's color, face, size
 * (attr_named relies on this order). */
enum { A_COLOR = CAFE__ATTR_COUNT, A_NONE = 255 };

#define WS_ C_WS
#define AL_ C_ALPHA
/* clang-format off */
const uint8_t cafe__html_cls[256] = {
    ['\t'] = WS_, ['\n'] = WS_, ['\f'] = WS_, ['\r'] = WS_, [' '] = WS_, ['/'] = C_SLASH,
    ['>'] = C_GT, ['='] = C_EQ, [0] = C_NUL,
    ['A'] = AL_, AL_, AL_, AL_, AL_, AL_, AL_, AL_, AL_, AL_, AL_, AL_, AL_, AL_, AL_, AL_, AL_, AL_,
    AL_, AL_, AL_, AL_, AL_, AL_, AL_, AL_,
    ['a'] = AL_, AL_, AL_, AL_, AL_, AL_, AL_, AL_, AL_, AL_, AL_, AL_, AL_, AL_, AL_, AL_, AL_, AL_,
    AL_, AL_, AL_, AL_, AL_, AL_, AL_, AL_,
};
/* clang-format on */
#undef WS_
#undef AL_

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* The name words hold byte i in bits 8i..8i+7: a load on a little-endian machine. */

/* The low n bytes of w (n < 8). */
static inline uint64_t low_bytes(uint64_t w, size_t n) {
    return w & ((1ULL << (8 * n)) - 1);
}

/* A whole name of at most 16 bytes, with 16 bytes readable: two loads, not a loop. */
CAFE__HOT static int name_bulk(cafe__html_tok_t *tk, cur_t p, size_t n, cur_t end) {
    if (tk->name_len != 0 || n > 16 || end - p < 16)
        return 0;
    uint64_t w0 = lower8(load8(p)), w1 = lower8(load8(p + 8));
    tk->w0 = n < 8 ? low_bytes(w0, n) : w0;
    tk->w1 = n < 8 ? 0 : n < 16 ? low_bytes(w1, n - 8) : w1;
    tk->name_len = (uint8_t)n;
    return 1;
}
#else
static int name_bulk(cafe__html_tok_t *tk, cur_t p, size_t n, cur_t end) {
    (void)tk, (void)p, (void)n, (void)end;
    return 0;
}
#endif

CAFE__HOT static int tag_lookup(uint64_t w0, uint64_t w1, unsigned len, unsigned *flags) {
    unsigned i = len <= 16 ? cafe__html_tag_slots[cafe__html_tag_hash(w0, w1)] : 0;
    const cafe__html_tag_t *t = i ? &cafe__html_tags[i - 1] : NULL;
    if (!t || t->w0 != w0 || t->w1 != w1) {
        *flags = 0;
        return CAFE__TAG_OTHER;
    }
    *flags = t->flags;
    return t->id;
}

/* A name's bytes one at a time: cut by the input's end, or longer than 16. */
CAFE__APART static void name_bytes(cafe__html_tok_t *tk, cur_t p, cur_t q) {
    for (; p < q; p++)
        cafe__html_tag_name_add(tk, *p);
}

CAFE__HOT void cafe__html_tag_name_run(cafe__html_tok_t *tk, cur_t p, cur_t q, cur_t end) {
    if (!name_bulk(tk, p, (size_t)(q - p), end))
        name_bytes(tk, p, q);
}

/* The start tags whose attributes tree construction looks at: WANT_VALUES, some values
 * (meta's only while the owner wants it reported); WANT_FP, their fingerprint (afe.c), for
 * the formatting elements but <a> (the list never holds two after its last marker). */
enum { WANT_VALUES = 1, WANT_FP = 2 };
CAFE__HOT static int attrs_matter(const cafe__html_tok_t *tk, int id) {
    switch (id) {
    case CAFE__TAG_META:
        return !tk->no_meta ? WANT_VALUES : 0;
    case CAFE__TAG_ANNOTATION_XML:
    case CAFE__TAG_INPUT:
        return WANT_VALUES;
    case CAFE__TAG_FONT:
        return WANT_VALUES | WANT_FP;
    case CAFE__TAG_A:
        return 0;
    default:
        return cafe__html_stack_is_formatting(id) ? WANT_FP : 0;
    }
}

/* The tag name is complete: which tag is it, and do its attributes matter? */
CAFE__HOT static void tag_named(cafe__html_tok_t *tk) {
    unsigned flags;
    int id = tag_lookup(tk->w0, tk->w1, tk->name_len, &flags);
    tk->id = (uint8_t)id;
    tk->tag_flags = (uint8_t)flags;
    int want = tk->end_tag ? 0 : attrs_matter(tk, id);
    tk->want_attrs = want != 0; /* the fingerprint takes the names kept for attr_index */
    tk->want_fp = want >> 1;
    if (want & WANT_FP)
        tk->fp.sum = 0, tk->fp.nnames = 0;
}

/* The kept values, NUL-terminated and with their character references decoded. Values are
 * read only for attributes seen (a value with a length was seen). A formatting element's
 * last attribute joins its fingerprint. */
CAFE__APART static void values_end(cafe__html_tok_t *tk) {
    for (int i = 0; i < CAFE__ATTR_COUNT; i++) {
        if (!(tk->attrs_seen & (1u << i)))
            continue;
        char *v = tk->vals[i] + tk->vdec[i]; /* meta_overflow decoded what comes before */
        size_t n = tk->vlen[i] - tk->vdec[i];
        v[n] = 0;
        if (memchr(v, '&', n) || memchr(v, 0, n)) {
            char tmp[CAFE__HTML_ATTR_MAX];
            n = cafe__html_attr_decode(v, n, tmp, sizeof tmp - tk->vdec[i]);
            memcpy(v, tmp, n + 1);
            tk->vlen[i] = (uint8_t)(tk->vdec[i] + n);
        }
    }
    if (tk->attrs_seen & CAFE__HTML_SEEN_FP)
        cafe__html_afe_attrs_end(tk);
}

/* Emits the tag to tree construction; the tokenizer goes where the tree says. */
CAFE__HOT static void tag_emit(cafe__html_tok_t *tk) {
    if (!tk->past_initial)
        tok_leave_initial(tk, 1);
    if (tk->end_tag) {
        cafe__html_tree_end(tk, tk->id, tk->tag_flags);
        tk->body_tag = tk->seen_body;
        tk->state = S_DATA;
        return;
    }
    if (tk->attrs_seen)
        values_end(tk);
    tk->state = (uint8_t)cafe__html_tree_start(tk, tk->id, tk->tag_flags);
    /* after the tree, so that the <meta> itself was reported first */
    tk->body_tag = tk->seen_body;
    tk->raw_w0 = tk->w0, tk->raw_w1 = tk->w1, tk->raw_len = tk->name_len;
}

/* The states of a tag chain forward into the next one when its byte is there (tag open ->
 * name -> before attribute name -> attribute name -> before value -> quoted value -> after
 * it): one pass through cafe__html_tag_step's dispatch per attribute, not per state. Never
 * backwards, so the chain is bounded. */
static cur_t st_tag_name(cafe__html_tok_t *tk, cur_t p, cur_t end);
static cur_t st_before_attr_name(cafe__html_tok_t *tk, cur_t p, cur_t end);

CAFE__HOT static cur_t st_tag_open(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    unsigned c = *p;
    if (c == '!') {
        tk->mdo = 0;
        tk->state = S_MDO;
        return p + 1;
    }
    if (c == '/') {
        tk->state = S_END_TAG_OPEN;
        return p + 1;
    }
    if (tok_alpha(c)) {
        cafe__html_tag_begin(tk, 0);
        tk->state = S_TAG_NAME;
        return st_tag_name(tk, p, end);
    }
    if (c == '?') {
        tk->state = S_BOGUS_COMMENT;
    } else {
        tok_text_seen(tk); /* the '<' is text */
        tk->state = S_DATA;
    }
    return p;
}

static cur_t st_end_tag_open(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    if (tok_alpha(*p)) {
        cafe__html_tag_begin(tk, 1);
        tk->state = S_TAG_NAME;
        return st_tag_name(tk, p, end);
    }
    if (*p == '>') {
        tk->state = S_DATA;
        return p + 1;
    }
    tk->state = S_BOGUS_COMMENT;
    return p;
}

/* After a tag name or attribute value: whitespace, '/' or '>' decide what comes next. */
CAFE__HOT static int tag_delim(cafe__html_tok_t *tk, unsigned c) {
    if (tok_ws(c))
        tk->state = S_BEFORE_ATTR_NAME;
    else if (c == '/')
        tk->state = S_SELF_CLOSING;
    else if (c == '>')
        tag_emit(tk);
    else
        return 0;
    return 1;
}

CAFE__HOT void cafe__html_tag_named(cafe__html_tok_t *tk, unsigned c) {
    tag_named(tk);
    tag_delim(tk, c);
}

CAFE__HOT static cur_t st_tag_name(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    cur_t q = tok_scan(p, end, C_NAME_END | C_NUL);
    cafe__html_tag_name_run(tk, p, q, end);
    if (q == end)
        return end;
    if (*q == 0) {
        cafe__html_tag_name_add(tk, 0);
        return q + 1;
    }
    tag_named(tk);
    tag_delim(tk, *q);
    if (tk->state == S_BEFORE_ATTR_NAME)
        return st_before_attr_name(tk, q + 1, end);
    return q + 1;
}

/* ---- attributes ---------------------------------------------------------------------- */

CAFE__HOT static void attr_begin(cafe__html_tok_t *tk) {
    tk->attr_len = 0;
    tk->attr_id = A_NONE;
}

/* The id of a kept attribute's name (CAFE__ATTR_*, then font's color, face, size), or
 * A_NONE: by length first, most names are none of these. */
CAFE__HOT static unsigned attr_index(const char *s, size_t n) {
    switch (n) {
    case 4:
        return memcmp(s, "type", 4) == 0   ? CAFE__ATTR_TYPE
               : memcmp(s, "face", 4) == 0 ? A_COLOR + 1
               : memcmp(s, "size", 4) == 0 ? A_COLOR + 2
                                           : A_NONE;
    case 5:
        return memcmp(s, "color", 5) == 0 ? A_COLOR : A_NONE;
    case 7:
        return memcmp(s, "charset", 7) == 0   ? CAFE__ATTR_CHARSET
               : memcmp(s, "content", 7) == 0 ? CAFE__ATTR_CONTENT
                                              : A_NONE;
    case 8:
        return memcmp(s, "encoding", 8) == 0 ? CAFE__ATTR_ENCODING : A_NONE;
    case 10:
        return memcmp(s, "http-equiv", 10) == 0 ? CAFE__ATTR_HTTP_EQUIV : A_NONE;
    default:
        return A_NONE;
    }
}

/* A formatting element's attribute name is complete: its value is kept for the fingerprint
 * (font's color, face and size too). */
CAFE__APART static void fp_named(cafe__html_tok_t *tk) {
    cafe__html_afe_attr_named(tk);
    tk->attr_id = CAFE__ATTR_FP;
    if (tk->id == CAFE__TAG_FONT && !tk->font_attr) {
        unsigned i = attr_index(tk->attr_name, tk->attr_len);
        tk->font_attr = i != A_NONE && i >= A_COLOR;
    }
}

/* The attribute name is complete: is it one we keep (the first of its name only)? */
CAFE__HOT static void attr_named(cafe__html_tok_t *tk) {
    tk->attr_id = A_NONE;
    if (!tk->want_attrs)
        return;
    if (tk->want_fp) {
        fp_named(tk);
        return;
    }
    unsigned i = attr_index(tk->attr_name, tk->attr_len);
    if (i == A_NONE || (tk->attrs_seen & (1u << i)))
        return;
    tk->attrs_seen |= (uint16_t)(1u << i);
    tk->attr_id = (uint8_t)i;
    if (i < CAFE__ATTR_COUNT)
        tk->vdec[i] = 0;
    if (i >= A_COLOR && tk->id == CAFE__TAG_FONT)
        tk->font_attr = 1;
}

/* Runs of whitespace in a kept value as one byte; the decoded part (vdec) keeps its end.
 * Returns the new length. */
static size_t squeeze(cafe__html_tok_t *tk, int id, size_t n) {
    char *v = tk->vals[id];
    size_t len = 0, dec = tk->vdec[id];
    for (size_t i = 0; i < n; i++) {
        if (i == dec)
            tk->vdec[id] = (uint8_t)len;
        if (!tok_ws((unsigned char)v[i]) || len == 0 || !tok_ws((unsigned char)v[len - 1]))
            v[len++] = v[i];
    }
    if (dec >= n)
        tk->vdec[id] = (uint8_t)len;
    return len;
}

/* A byte a reference cut before it may go on with. */
static int ref_goes_on(unsigned c) {
    return tok_alpha(c) || (c >= '0' && c <= '9') || c == '#';
}

/* Decodes a kept value's references (and NULs) in place, from its decoded part's end (vdec)
 * to its end, or to its last '&' when the reference there may go on in the bytes to come
 * (nothing but alphanumerics and '#' after it, and digits or a name not yet longer than any);
 * each one before it ends where it would in the whole value (the next '&' ends it as the
 * value's end does). Returns the new length. */
static size_t decode_kept(cafe__html_tok_t *tk, int id, size_t len) {
    char *v = tk->vals[id];
    size_t from = tk->vdec[id], to = len, k;
    for (size_t i = from; i < len; i++)
        to = v[i] == '&' ? i : to;
    for (k = to + 1; k < len && ref_goes_on((unsigned char)v[k]); k++)
        ;
    if (k < len || (to + 1 < len && v[to + 1] != '#' && len - to > CAFE__HTML_ENTITY_MAX + 2))
        to = len; /* the reference there has ended */
    char tmp[CAFE__HTML_ATTR_MAX];
    size_t n =
        cafe__html_attr_decode(v + from, to - from, tmp, CAFE__HTML_ATTR_MAX - from - (len - to));
    memmove(v + from + n, v + to, len - to);
    memcpy(v + from, tmp, n);
    tk->vdec[id] = (uint8_t)(from + n);
    return from + n + (len - to);
}

/* A <meta>'s charset or content value longer than its buffer: browsers read a label with
 * any whitespace around it, and find a content value's charset= at any length. Runs of
 * whitespace are kept as one byte (in what was kept too); a full buffer has its references
 * decoded (references to whitespace then squeezed too), and a content value that still
 * outgrows it drops what no charset= can depend on any more (prescan.h): the decoded text
 * before a charset=, or all but its last 8 bytes. Otherwise (a charset value, or no such
 * text) the value is cut. */
CAFE__APART static void meta_overflow(cafe__html_tok_t *tk, cur_t p, size_t n) {
    int id = tk->attr_id;
    char *v = tk->vals[id];
    size_t len = squeeze(tk, id, tk->vlen[id]);
    for (size_t i = 0; i < n; i++) {
        if (tok_ws(p[i]) && len > 0 && tok_ws((unsigned char)v[len - 1]))
            continue;
        if (len == CAFE__HTML_ATTR_MAX - 1)
            len = squeeze(tk, id, decode_kept(tk, id, len));
        if (len == CAFE__HTML_ATTR_MAX - 1) {
            size_t from =
                id == CAFE__ATTR_CONTENT ? cafe__html_meta_content_start(v, tk->vdec[id]) : 0;
            if (from == 0)
                break; /* all of it may matter: the rest is cut */
            memmove(v, v + from, len - from);
            len -= from;
            tk->vdec[id] = (uint8_t)(tk->vdec[id] - from);
        }
        v[len++] = (char)p[i];
    }
    tk->vlen[id] = (uint8_t)len;
}

CAFE__HOT static void attr_value(cafe__html_tok_t *tk, cur_t p, size_t n) {
    if (tk->attr_id >= CAFE__ATTR_COUNT)
        return;
    size_t have = tk->vlen[tk->attr_id], room = CAFE__HTML_ATTR_MAX - 1 - have;
    if (n > room && (tk->attr_id == CAFE__ATTR_CONTENT || tk->attr_id == CAFE__ATTR_CHARSET)) {
        meta_overflow(tk, p, n);
        return;
    }
    if (n > room)
        n = room;
    memcpy(tk->vals[tk->attr_id] + have, p, n);
    tk->vlen[tk->attr_id] = (uint8_t)(have + n);
}

static cur_t st_attr_name(cafe__html_tok_t *tk, cur_t p, cur_t end);

CAFE__HOT static cur_t st_before_attr_name(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    p = tok_skip_ws(p, end);
    if (p == end)
        return end;
    unsigned c = *p;
    if (c == '/' || c == '>') {
        tk->state = S_AFTER_ATTR_NAME;
        return p;
    }
    attr_begin(tk);
    tk->state = S_ATTR_NAME;
    if (c != '=')
        return st_attr_name(tk, p, end);
    tk->attr_name[tk->attr_len++] = '=';
    return st_attr_name(tk, p + 1, end);
}

static cur_t st_before_attr_value(cafe__html_tok_t *tk, cur_t p, cur_t end);

/* Bytes [p, q) of an attribute name one at a time (cut by the input's end, or longer than
 * 16): the first 16 lowercase, the rest hashed lowercase into attr_tail (from its first
 * byte, attr_len 16): a formatting element's attributes are told apart by whole names
 * (afe.c). The length saturates at 255. */
CAFE__APART static void attr_name_bytes(cafe__html_tok_t *tk, cur_t p, cur_t q) {
    for (; p < q && tk->attr_len < sizeof tk->attr_name; p++)
        tk->attr_name[tk->attr_len++] = (char)tok_lower(*p);
    if (p < q) {
        uint64_t h = tk->attr_len == sizeof tk->attr_name ? 0xcbf29ce484222325ULL : tk->attr_tail;
        for (cur_t b = p; b < q; b++)
            h = (h ^ tok_lower(*b)) * 0x100000001b3ULL;
        tk->attr_tail = h;
    }
    size_t len = tk->attr_len + (size_t)(q - p);
    tk->attr_len = (uint8_t)(len < 255 ? len : 255);
}

/* Bytes [p, q) of an attribute name. A whole name of at most 16 bytes with 16 readable is
 * lowercased in two words (the bytes past it are never read; a NUL stays 0, not U+FFFD's
 * last byte: neither is in a name attr_index knows). */
CAFE__HOT static void attr_name_add(cafe__html_tok_t *tk, cur_t p, cur_t q, cur_t end) {
    if (tk->attr_len == 0 && q - p <= 16 && end - p >= 16) {
        uint64_t w[2] = {lower8(load8(p)), lower8(load8(p + 8))};
        memcpy(tk->attr_name, w, sizeof w);
        tk->attr_len = (uint8_t)(q - p);
        return;
    }
    attr_name_bytes(tk, p, q);
}

CAFE__HOT static cur_t st_attr_name(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    cur_t q = tok_scan(p, end, C_NAME_END | C_EQ);
    if (tk->want_attrs) /* else the name is not looked at */
        attr_name_add(tk, p, q, end);
    if (q == end)
        return end;
    attr_named(tk);
    if (*q != '=') {
        tk->state = S_AFTER_ATTR_NAME;
        return q;
    }
    tk->state = S_BEFORE_ATTR_VALUE;
    return st_before_attr_value(tk, q + 1, end);
}

static cur_t st_after_attr_name(cafe__html_tok_t *tk, cur_t p) {
    unsigned c = *p;
    if (tok_ws(c))
        return p + 1;
    if (c == '=') {
        tk->state = S_BEFORE_ATTR_VALUE;
        return p + 1;
    }
    if (tag_delim(tk, c))
        return p + 1;
    attr_begin(tk);
    tk->state = S_ATTR_NAME;
    return p;
}

static cur_t st_attr_value_quoted(cafe__html_tok_t *tk, cur_t p, cur_t end, int quote);

CAFE__HOT static cur_t st_before_attr_value(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    p = tok_skip_ws(p, end);
    if (p == end)
        return end;
    unsigned c = *p;
    if (c == '"' || c == '\'') {
        tk->state = c == '"' ? S_ATTR_VALUE_DQ : S_ATTR_VALUE_SQ;
        return st_attr_value_quoted(tk, p + 1, end, (int)c);
    }
    if (c == '>') {
        tag_emit(tk);
        return p + 1;
    }
    tk->state = S_ATTR_VALUE_UQ;
    return p;
}

CAFE__HOT static cur_t st_after_attr_value_quoted(cafe__html_tok_t *tk, cur_t p) {
    if (tag_delim(tk, *p))
        return p + 1;
    tk->state = S_BEFORE_ATTR_NAME;
    return p;
}

CAFE__HOT static cur_t st_attr_value_quoted(cafe__html_tok_t *tk, cur_t p, cur_t end, int quote) {
    /* Most values are short: their first 16 bytes are looked at before memchr is called. */
    cur_t q = p, lim = end - p > 16 ? p + 16 : end;
    while (q < lim && *q != quote)
        q++;
    if (q == lim)
        q = q < end ? memchr(q, quote, (size_t)(end - q)) : NULL;
    attr_value(tk, p, (size_t)((q ? q : end) - p));
    if (!q)
        return end;
    tk->state = S_AFTER_ATTR_VALUE_Q;
    return q + 1 < end ? st_after_attr_value_quoted(tk, q + 1) : q + 1;
}

static cur_t st_attr_value_unquoted(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    cur_t q = p;
    while (q < end && !tok_ws(*q) && *q != '>')
        q++;
    attr_value(tk, p, (size_t)(q - p));
    if (q == end)
        return end;
    tag_delim(tk, *q);
    return q + 1;
}

static cur_t st_self_closing(cafe__html_tok_t *tk, cur_t p) {
    if (*p == '>') {
        tk->self_closing = 1;
        tag_emit(tk);
        return p + 1;
    }
    tk->state = S_BEFORE_ATTR_NAME;
    return p;
}

CAFE__HOT static cur_t tag_state(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    switch (tk->state) {
    case S_TAG_OPEN:
        return st_tag_open(tk, p, end);
    case S_END_TAG_OPEN:
        return st_end_tag_open(tk, p, end);
    case S_TAG_NAME:
        return st_tag_name(tk, p, end);
    case S_BEFORE_ATTR_NAME:
        return st_before_attr_name(tk, p, end);
    case S_ATTR_NAME:
        return st_attr_name(tk, p, end);
    case S_AFTER_ATTR_NAME:
        return st_after_attr_name(tk, p);
    case S_BEFORE_ATTR_VALUE:
        return st_before_attr_value(tk, p, end);
    case S_ATTR_VALUE_DQ:
        return st_attr_value_quoted(tk, p, end, '"');
    case S_ATTR_VALUE_SQ:
        return st_attr_value_quoted(tk, p, end, '\'');
    case S_ATTR_VALUE_UQ:
        return st_attr_value_unquoted(tk, p, end);
    case S_AFTER_ATTR_VALUE_Q:
        return st_after_attr_value_quoted(tk, p);
    default: /* S_SELF_CLOSING */
        return st_self_closing(tk, p);
    }
}

/* Runs the tag and attribute states until the tag is emitted or the input ends: one call
 * per tag from the driver. */
CAFE__HOT cur_t cafe__html_tag_step(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    while (p < end && tk->state >= S_TAG_OPEN && tk->state <= S_SELF_CLOSING)
        p = tag_state(tk, p, end);
    return p;
}
