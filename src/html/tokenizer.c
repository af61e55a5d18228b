/* The tokenizer states of the HTML standard (13.2.5), one handler per group of states.
 * A handler consumes what it can of [p, end) and returns where it stopped; it "reconsumes"
 * a byte by changing tk->state without advancing. Runs of bytes no state cares about are
 * skipped with memchr. States that differ only in parse errors are merged: the comment
 * less-than-sign states (they lead to the same transitions as plain comment bytes), and
 * every DOCTYPE state (each of them ends at the next '>'). Character references need no
 * state here: they never consume a byte that matters to the tokenizer; the title's own are
 * decoded in text.c. */
#include <string.h>

#include "html/hot.h"
#include "common/ascii.h"
#include "html/tags.h"
#include "html/tokstate.h"

void cafe__html_tok_init(cafe__html_tok_t *tk, const cafe__html_tok_cb_t *cb) {
    tk->cb = *cb;
    cafe__html_tok_reset(tk);
}

CAFE__HOT void cafe__html_tok_reset(cafe__html_tok_t *tk) {
    size_t from = offsetof(cafe__html_tok_t, state);
    memset((char *)tk + from, 0, offsetof(cafe__html_tok_t, vals) - from);
    tk->state = S_DATA;
    tk->frameset_ok = 1;
}

int cafe__html_tok_hopeless(const cafe__html_tok_t *tk) {
    return tk->state == S_PLAINTEXT && !tk->capturing;
}

int cafe__html_tok_in_meta(const cafe__html_tok_t *tk) {
    return tk->state >= S_BEFORE_ATTR_NAME && tk->state <= S_SELF_CLOSING &&
           tk->id == CAFE__TAG_META && tk->want_attrs;
}

CAFE__HOT static void title_text(cafe__html_tok_t *tk, cur_t p, size_t n) {
    if (tk->capturing && n > 0)
        tk->cb.title_text(tk->cb.ctx, p, n);
}

/* A character reference's character is whitespace: 9, 10, 12, 13 or 32 (a numeric one keeps
 * U+000D; &Tab; and &NewLine; are the named ones). */
static int ref_ws(uint32_t v) {
    return v == 9 || v == 10 || v == 12 || v == 13 || v == 32;
}

/* The reference ended (at its ';', before a byte not its own, or before '<'): body text
 * unless its character is whitespace. */
static void ref_end(cafe__html_tok_t *tk) {
    int ws = (tk->ref_state == REF_DEC || tk->ref_state == REF_HEX) && ref_ws(tk->ref_value);
    tk->ref_state = REF_NONE;
    if (!ws)
        tok_text_seen(tk);
}

/* One byte of a character reference in text while frameset-ok holds; returns 1 when the
 * byte belongs to it, 0 when it ended the reference before this byte. Digits accumulate
 * capped (any value over 0x10FFFF is U+FFFD: text). */
static int ref_byte(cafe__html_tok_t *tk, unsigned c) {
    static const char *const names[] = {"Tab;", "NewLine;"};
    unsigned lc = c | 0x20;
    int hex = (c >= '0' && c <= '9') || (lc >= 'a' && lc <= 'f');
    switch (tk->ref_state) {
    case REF_AMP:
        if (c == '#')
            return tk->ref_state = REF_HASH, 1;
        tk->ref_state = REF_NAMED, tk->ref_len = 0;
        return ref_byte(tk, c);
    case REF_HASH:
        if (lc == 'x')
            return tk->ref_state = REF_X, 1;
        tk->ref_state = REF_DEC, tk->ref_value = 0, tk->ref_len = 0;
        return ref_byte(tk, c);
    case REF_X:
        tk->ref_state = REF_HEX, tk->ref_value = 0, tk->ref_len = 0;
        return ref_byte(tk, c);
    case REF_DEC:
    case REF_HEX:
        if (tk->ref_state == REF_DEC ? c >= '0' && c <= '9' : hex) {
            unsigned d = c <= '9' ? c - '0' : lc - 'a' + 10;
            uint32_t v = tk->ref_value * (tk->ref_state == REF_DEC ? 10u : 16u) + d;
            tk->ref_value = v > 0x110000 ? 0x110000 : v;
            tk->ref_len = 1;
            return 1;
        }
        if (!tk->ref_len)
            tk->ref_state = REF_NONE; /* "&#" or "&#x" without digits: text */
        else if (c == ';') {
            ref_end(tk);
            return 1;
        }
        ref_end(tk);
        return 0;
    default: { /* REF_NAMED: whitespace comes only from &Tab; and &NewLine; */
        if (tk->ref_len == 0)
            tk->ref_value = c == 'T' ? 0 : c == 'N' ? 1 : 2;
        const char *n = tk->ref_value < 2 ? names[tk->ref_value] : "";
        if (c != 0 && n[tk->ref_len] == (char)c) {
            if (n[++tk->ref_len] == 0)
                tk->ref_state = REF_NONE; /* whitespace: frameset-ok holds */
            return 1;
        }
        tok_text_seen(tk); /* another reference, or a bare '&': text */
        return 0;
    }
    }
}

/* Text in the data state (refs: character references are decoded there) or a CDATA section:
 * anything but whitespace and NUL starts the body and clears frameset-ok, and so does a
 * character reference unless its character is whitespace. A NUL changes nothing: "in body"
 * ignores it and foreign content inserts U+FFFD for it, neither touching the flag; before the
 * body the standard has it start one, but Chromium and Firefox drop a NUL in the data state
 * outside foreign content before tree construction sees it, so it starts nothing there
 * (<html>\0<title>A</title><frameset>: both say "A", where a body would be replaced). */
static void data_text(cafe__html_tok_t *tk, cur_t p, cur_t end, int refs) {
    if (tk->ref_state == REF_NONE) /* whitespace alone changes nothing */
        p = tok_skip_ws(p, end);
    for (; p < end && tk->frameset_ok; p++) {
        if (tk->ref_state != REF_NONE && ref_byte(tk, *p))
            continue;
        if (!tk->frameset_ok || tok_ws(*p))
            continue;
        if (*p == '&' && refs)
            tk->ref_state = REF_AMP; /* text or whitespace: its end tells */
        else if (*p != 0)
            tok_text_seen(tk);
    }
}

/* ---- RCDATA, RAWTEXT, script data: the appropriate end tag ---------------------------- */

/* The text states chain forward into "</" and the end tag's name when the bytes are there
 * (never backwards: bounded). */
static cur_t st_text_lt(cafe__html_tok_t *tk, cur_t p, cur_t end);
static cur_t st_text_end_open(cafe__html_tok_t *tk, cur_t p, cur_t end);
static cur_t st_text_end_name(cafe__html_tok_t *tk, cur_t p, cur_t end);

CAFE__HOT static cur_t text_end_tag(cafe__html_tok_t *tk, cur_t p, cur_t end);

CAFE__HOT static cur_t st_text(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    cur_t lt = memchr(p, '<', (size_t)(end - p));
    title_text(tk, p, (size_t)((lt ? lt : end) - p));
    if (!lt)
        return end;
    tk->ret = tk->state;
    tk->state = S_TEXT_LT;
    if (end - lt >= 2 + 16 && lt[1] == '/') { /* most often the element's end tag */
        cur_t q = text_end_tag(tk, lt + 2, end);
        if (q)
            return q;
    }
    return lt + 1 < end ? st_text_lt(tk, lt + 1, end) : lt + 1;
}

CAFE__APART static cur_t st_text_lt(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    if (*p == '/') {
        tk->state = S_TEXT_END_OPEN;
        return p + 1 < end ? st_text_end_open(tk, p + 1, end) : p + 1;
    }
    if (*p == '!' && tk->ret == S_SCRIPT) {
        tk->state = S_SCRIPT_ESC_START;
        return p + 1;
    }
    title_text(tk, (cur_t) "<", 1);
    tk->state = tk->ret;
    return p;
}

CAFE__APART static cur_t st_text_end_open(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    if (tok_alpha(*p)) {
        cafe__html_tag_name_reset(tk);
        tk->tmp_len = 0;
        tk->state = S_TEXT_END_NAME;
        return st_text_end_name(tk, p, end);
    } else {
        title_text(tk, (cur_t) "</", 2);
        tk->state = tk->ret;
    }
    return p;
}

/* Not the appropriate end tag after all: what was read is text. */
static void text_end_fail(cafe__html_tok_t *tk) {
    title_text(tk, (cur_t) "</", 2);
    title_text(tk, tk->tmp, tk->tmp_len);
    tk->state = tk->ret;
}

/* The appropriate end tag's name is complete, c after it: the title ends there (all the
 * owner may want), or the tag goes on. */
CAFE__HOT static cur_t end_tag_found(cafe__html_tok_t *tk, unsigned c, cur_t next) {
    if (tk->capturing && tk->ret == S_RCDATA) {
        tk->capturing = 0;
        tk->cb.title_end(tk->cb.ctx);
        if (tk->stop) /* the title is all the owner wanted: the tag is not needed */
            return next;
    }
    cafe__html_tag_begin(tk, 1);
    tk->w0 = tk->raw_w0, tk->w1 = tk->raw_w1, tk->name_len = tk->tmp_len;
    cafe__html_tag_named(tk, c);
    return next;
}

/* "</" read, p after it, with 16 bytes there: when the element's name (any case) and a
 * delimiter follow, the end tag at once, as st_text_lt, st_text_end_open and
 * st_text_end_name would come to byte by byte (they scan the letters, at most the 12 of the
 * temporary buffer, and compare the name words); else NULL, and those states read it (they
 * set again what this one set). The elements whose text these states read (title, textarea,
 * style, xmp, iframe, noembed, noframes, noscript, script) have names of 5 to 8 letters:
 * bytes that lowercase to one are letters too, so the states would stop at the same
 * delimiter. Little-endian only (the name words' byte order); elsewhere the states read it. */
CAFE__HOT static cur_t text_end_tag(cafe__html_tok_t *tk, cur_t p, cur_t end) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    size_t n = tk->raw_len;
    if (n == 0 || n > 8 || tk->raw_w1 != 0 || !(cafe__html_cls[p[n]] & C_NAME_END))
        return NULL;
    uint64_t w = lower8(load8(p));
    if ((n < 8 ? w & ((1ULL << (8 * n)) - 1) : w) != tk->raw_w0)
        return NULL;
    tk->w0 = tk->raw_w0, tk->w1 = 0, tk->name_len = (uint8_t)n;
    memcpy(tk->tmp, p, sizeof tk->tmp); /* read up to tmp_len only */
    tk->tmp_len = (uint8_t)n;
    tk->state = S_TEXT_END_NAME;
    return end_tag_found(tk, p[n], p + n + 1);
#else
    (void)tk, (void)p, (void)end;
    return NULL;
#endif
}

CAFE__APART static cur_t st_text_end_name(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    if (tk->tmp_len == 0) { /* the letters at once when they fit the temporary buffer */
        cur_t q = p;
        while (q < end && (cafe__html_cls[*q] & C_ALPHA))
            q++;
        if (q < end && (size_t)(q - p) <= sizeof tk->tmp) {
            cafe__html_tag_name_run(tk, p, q, end);
            if (end - p >= (ptrdiff_t)sizeof tk->tmp) /* read up to tmp_len only */
                memcpy(tk->tmp, p, sizeof tk->tmp);
            else
                memcpy(tk->tmp, p, (size_t)(q - p));
            tk->tmp_len = (uint8_t)(q - p);
            p = q;
        }
    }
    for (; p < end; p++) {
        unsigned c = *p;
        if (tok_alpha(c) && tk->tmp_len < sizeof tk->tmp) {
            cafe__html_tag_name_add(tk, c);
            tk->tmp[tk->tmp_len++] = (unsigned char)c;
            continue;
        }
        if ((tok_ws(c) || c == '/' || c == '>') && tk->w0 == tk->raw_w0 && tk->w1 == tk->raw_w1 &&
            tk->name_len <= 16)
            return end_tag_found(tk, c, p + 1);
        text_end_fail(tk);
        return p;
    }
    return p;
}

/* ---- script data escaped and double escaped ------------------------------------------- */

/* One byte of the escape states whose only interest is '-', '<' and '>'. */
static cur_t st_script_dashes(cafe__html_tok_t *tk, cur_t p) {
    unsigned c = *p;
    int dbl = tk->state >= S_SCRIPT_DBL;
    unsigned base = dbl ? S_SCRIPT_DBL : S_SCRIPT_ESC;
    unsigned level = tk->state - base; /* 0 escaped, 1 dash, 2 dash dash */
    if (c == '-') {
        tk->state = (uint8_t)(base + (level < 2 ? level + 1 : 2));
    } else if (c == '<') {
        tk->state = dbl ? S_SCRIPT_DBL_LT : S_SCRIPT_ESC_LT;
        tk->tmp_len = 0;
    } else if (c == '>' && level == 2) {
        tk->state = S_SCRIPT;
    } else {
        tk->state = (uint8_t)base;
    }
    return p + 1;
}

static cur_t st_script_escaped(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    if (tk->state == S_SCRIPT_ESC || tk->state == S_SCRIPT_DBL) {
        while (p < end && *p != '-' && *p != '<')
            p++;
        if (p == end)
            return p;
    }
    return st_script_dashes(tk, p);
}

static cur_t st_script_escape_start(cafe__html_tok_t *tk, cur_t p) {
    if (*p != '-') {
        tk->state = S_SCRIPT;
        return p;
    }
    tk->state = tk->state == S_SCRIPT_ESC_START ? S_SCRIPT_ESC_START_DASH : S_SCRIPT_ESC_DASH_DASH;
    return p + 1;
}

static cur_t st_script_esc_lt(cafe__html_tok_t *tk, cur_t p) {
    if (*p == '/') {
        tk->ret = S_SCRIPT_ESC;
        tk->state = S_TEXT_END_OPEN;
        return p + 1;
    }
    tk->tmp_len = 0;
    tk->state = tok_alpha(*p) ? S_SCRIPT_DBL_START : S_SCRIPT_ESC;
    return p;
}

/* "script" followed by a delimiter toggles double escaping; tmp holds the letters. */
static cur_t st_script_dbl_toggle(cafe__html_tok_t *tk, cur_t p) {
    unsigned c = *p;
    int starting = tk->state == S_SCRIPT_DBL_START;
    unsigned stay = starting ? S_SCRIPT_ESC : S_SCRIPT_DBL;
    if (tok_ws(c) || c == '/' || c == '>') {
        int is_script = tk->tmp_len == 6 && memcmp(tk->tmp, "script", 6) == 0;
        tk->state = (uint8_t)(is_script ? (starting ? S_SCRIPT_DBL : S_SCRIPT_ESC) : stay);
        return p + 1;
    }
    if (tok_alpha(c)) {
        if (tk->tmp_len < 7)
            tk->tmp[tk->tmp_len++] = tok_lower(c);
        return p + 1;
    }
    tk->state = (uint8_t)stay;
    return p;
}

static cur_t st_script_dbl_lt(cafe__html_tok_t *tk, cur_t p) {
    if (*p == '/') {
        tk->tmp_len = 0;
        tk->state = S_SCRIPT_DBL_END;
        return p + 1;
    }
    tk->state = S_SCRIPT_DBL;
    return p;
}

/* In the escaped state "<" + letter must also reach the escaped end tag check, as "</". */
CAFE__APART static cur_t st_script(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    switch (tk->state) {
    case S_SCRIPT_ESC_START:
    case S_SCRIPT_ESC_START_DASH:
        return st_script_escape_start(tk, p);
    case S_SCRIPT_ESC_LT:
        return st_script_esc_lt(tk, p);
    case S_SCRIPT_DBL_START:
    case S_SCRIPT_DBL_END:
        return st_script_dbl_toggle(tk, p);
    case S_SCRIPT_DBL_LT:
        return st_script_dbl_lt(tk, p);
    default:
        return st_script_escaped(tk, p, end);
    }
}

/* ---- comments, DOCTYPE, CDATA ------------------------------------------------------- */

CAFE__HOT static cur_t skip_to(cafe__html_tok_t *tk, cur_t p, cur_t end, int c, int next) {
    cur_t q = memchr(p, c, (size_t)(end - p));
    if (!q)
        return end;
    tk->state = (uint8_t)next;
    return q + 1;
}

/* The 7 bytes at p spell "doctype" in any case (c | 0x20 is a lowercase letter only for
 * that letter in either case). */
CAFE__HOT static int doctype(cur_t p) {
    return (((p[0] | 0x20) ^ 'd') | ((p[1] | 0x20) ^ 'o') | ((p[2] | 0x20) ^ 'c') |
            ((p[3] | 0x20) ^ 't') | ((p[4] | 0x20) ^ 'y') | ((p[5] | 0x20) ^ 'p') |
            ((p[6] | 0x20) ^ 'e')) == 0;
}

/* After "<!DOCTYPE": the first one, in the initial insertion mode, is read for quirks mode;
 * any later one is ignored, so it is skipped to its '>'. */
static cur_t doctype_begin(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    if (tk->past_initial) {
        tk->state = S_DOCTYPE;
        return skip_to(tk, p, end, '>', S_DATA);
    }
    cafe__html_doctype_start(&tk->doctype);
    tk->state = S_DOCTYPE_READ;
    return p;
}

CAFE__COLD static cur_t st_doctype_read(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    cur_t q = cafe__html_doctype_feed(&tk->doctype, p, end);
    if (!q)
        return end;
    tok_leave_initial(tk, cafe__html_doctype_quirks(&tk->doctype));
    tk->state = S_DATA;
    return q;
}

/* "<!" then "--", "doctype" (any case) or "[CDATA[", matched as far as the input goes in one
 * call (tk->mdo: keyword and bytes matched so far); a mismatch is a bogus comment from that
 * byte on (what was matched holds no '>': the same as bogus from the start). */
CAFE__APART static cur_t st_mdo_match(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    static const char *const words[] = {"", "--", "doctype", "[CDATA["};
    unsigned kind = tk->mdo >> 4, k = tk->mdo & 15;
    if (kind == 0)
        kind = *p == '-' ? 1 : (*p | 0x20) == 'd' ? 2 : *p == '[' ? 3 : 0;
    const char *w = words[kind];
    unsigned fold = kind == 2 ? 0x20 : 0; /* c | 0x20 is a letter only for it in either case */
    for (; p < end && w[k]; p++, k++) {
        if ((*p | fold) != (unsigned char)w[k])
            break;
    }
    if (kind == 0 || (p < end && w[k])) {
        tk->state = S_BOGUS_COMMENT;
        return p;
    }
    tk->mdo = (uint8_t)(kind << 4 | k);
    if (w[k] == 0) {
        if (kind == 1)
            tk->state = S_COMMENT_START;
        else if (kind == 2)
            return doctype_begin(tk, p, end);
        else
            tk->state = cafe__html_tree_foreign(tk) ? S_CDATA : S_BOGUS_COMMENT;
    }
    return p;
}

CAFE__HOT static cur_t st_mdo(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    if (tk->mdo == 0 && end - p >= 7 && doctype(p)) /* the usual one, without a loop */
        return doctype_begin(tk, p + 7, end);
    return st_mdo_match(tk, p, end);
}

CAFE__APART static cur_t st_comment(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    unsigned c = *p;
    switch (tk->state) {
    case S_COMMENT_START:
    case S_COMMENT_START_DASH:
        if (c == '>')
            tk->state = S_DATA;
        else if (c == '-')
            tk->state = tk->state == S_COMMENT_START ? S_COMMENT_START_DASH : S_COMMENT_END;
        else
            return tk->state = S_COMMENT, p;
        return p + 1;
    case S_COMMENT:
        return skip_to(tk, p, end, '-', S_COMMENT_END_DASH);
    case S_COMMENT_END_DASH:
        if (c != '-')
            return tk->state = S_COMMENT, p;
        tk->state = S_COMMENT_END;
        return p + 1;
    case S_COMMENT_END:
        if (c == '>' || c == '!')
            tk->state = c == '>' ? S_DATA : S_COMMENT_END_BANG;
        else if (c != '-')
            return tk->state = S_COMMENT, p;
        return p + 1;
    default: /* S_COMMENT_END_BANG */
        if (c == '-' || c == '>')
            tk->state = c == '-' ? S_COMMENT_END_DASH : S_DATA;
        else
            return tk->state = S_COMMENT, p;
        return p + 1;
    }
}

/* A CDATA section's text is inserted in foreign content: like data, it clears frameset-ok
 * unless it is all whitespace and NUL; a ']' that does not end the section is text too. */
CAFE__COLD static cur_t st_cdata(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    unsigned c = *p;
    if (tk->state == S_CDATA) {
        cur_t rb = memchr(p, ']', (size_t)(end - p));
        if (tk->frameset_ok)
            data_text(tk, p, rb ? rb : end, 0);
        if (!rb)
            return end;
        tk->state = S_CDATA_BRACKET;
        return rb + 1;
    }
    if (c == ']') {
        if (tk->state == S_CDATA_END) /* "]]]": the first ']' is text */
            cafe__html_tok_fs_clear(tk);
        tk->state = S_CDATA_END;
        return p + 1;
    }
    if (c == '>' && tk->state == S_CDATA_END) {
        tk->state = S_DATA;
        return p + 1;
    }
    cafe__html_tok_fs_clear(tk); /* the ']' or "]]" seen were text */
    tk->state = S_CDATA;
    return p;
}

/* ---- driver ------------------------------------------------------------------------- */

/* The next '<' in [p, end), or NULL: the next two bytes are looked at before memchr is
 * called (tags are often adjacent or one newline apart). */
CAFE__HOT static cur_t next_lt(cur_t p, cur_t end) {
    if (p < end && *p == '<')
        return p;
    if (end - p >= 2 && p[1] == '<')
        return p + 1;
    return memchr(p, '<', (size_t)(end - p));
}

/* Text and the tags it leads to, in a loop of their own while the tags leave the tokenizer
 * in the data state: most of a page is that, and step() need not dispatch each. */
CAFE__HOT static cur_t st_data(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    do {
        cur_t lt = next_lt(p, end), stop = lt ? lt : end;
        if (tk->afe_stale)
            cafe__html_afe_text(tk, p, (size_t)(stop - p));
        /* frameset_ok: cleared with seen_body set by the first non-whitespace text; what
         * data_text would skip first is skipped here (most text between tags is a newline) */
        cur_t q = tk->frameset_ok && tk->ref_state == REF_NONE ? tok_skip_ws(p, stop) : p;
        if (tk->frameset_ok && q < stop)
            data_text(tk, q, stop, 1);
        if (!lt)
            return end;
        if (tk->ref_state != REF_NONE)
            ref_end(tk); /* the '<' ends it */
        tk->state = S_TAG_OPEN;
        p = cafe__html_tag_step(tk, lt + 1, end);
    } while (p < end && tk->state == S_DATA && !tk->stop);
    return p;
}

CAFE__HOT static cur_t step(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    switch (tk->state) {
    case S_DATA:
        return st_data(tk, p, end);
    case S_RCDATA:
    case S_RAWTEXT:
    case S_SCRIPT:
        return st_text(tk, p, end);
    case S_PLAINTEXT:
        return end;
    case S_TEXT_LT:
        return st_text_lt(tk, p, end);
    case S_TEXT_END_OPEN:
        return st_text_end_open(tk, p, end);
    case S_TEXT_END_NAME:
        return st_text_end_name(tk, p, end);
    case S_BOGUS_COMMENT:
    case S_DOCTYPE:
        return skip_to(tk, p, end, '>', S_DATA);
    case S_DOCTYPE_READ:
        return st_doctype_read(tk, p, end);
    case S_MDO:
        return st_mdo(tk, p, end);
    case S_CDATA:
    case S_CDATA_BRACKET:
    case S_CDATA_END:
        return st_cdata(tk, p, end);
    default:
        if (tk->state >= S_TAG_OPEN && tk->state <= S_SELF_CLOSING)
            return cafe__html_tag_step(tk, p, end);
        if (tk->state >= S_COMMENT_START)
            return st_comment(tk, p, end);
        return st_script(tk, p, end);
    }
}

CAFE__HOT size_t cafe__html_tok_feed(cafe__html_tok_t *tk, const unsigned char *p, size_t n) {
    cur_t start = p, end = p + n;
    while (p < end && !tk->stop)
        p = step(tk, p, end);
    return (size_t)(p - start);
}

/* The title's text stops at its end tag's first bytes: "<", "</", "</ti" ... "</title". */
static int end_tag_begun(const cafe__html_tok_t *tk) {
    if (tk->state == S_TEXT_LT || tk->state == S_TEXT_END_OPEN)
        return 1;
    return tk->state == S_TEXT_END_NAME && tk->tmp_len <= 5 &&
           ascii_ncasecmp((const char *)tk->tmp, "title", tk->tmp_len) == 0;
}

void cafe__html_tok_eof(cafe__html_tok_t *tk, int cut) {
    if (!tk->capturing)
        return;
    /* cut short by the caller: the rest of the page would have made those bytes the end
     * tag, not text */
    if (cut && end_tag_begun(tk))
        tk->state = tk->ret;
    if (tk->state == S_TEXT_LT)
        title_text(tk, (cur_t) "<", 1);
    else if (tk->state == S_TEXT_END_OPEN)
        title_text(tk, (cur_t) "</", 2);
    else if (tk->state == S_TEXT_END_NAME)
        text_end_fail(tk);
    tk->capturing = 0;
    tk->cb.title_end(tk->cb.ctx);
}
