/* Tokenizer internals shared by tokenizer.c (text, script, comment states and the driver)
 * and tag.c (tag and attribute states). */
#ifndef CAFE_HTML_TOKSTATE_H
#define CAFE_HTML_TOKSTATE_H

#include <string.h>

#include "html/tokenizer.h"

/* States; the tag and attribute ones are contiguous (tag.c handles S_TAG_OPEN..
 * S_SELF_CLOSING), as are the escaped and double-escaped script ones (tokenizer.c counts
 * dashes by offset from S_SCRIPT_ESC / S_SCRIPT_DBL). */
enum {
    S_DATA = CAFE__TOK_DATA,
    S_RCDATA = CAFE__TOK_RCDATA,
    S_RAWTEXT = CAFE__TOK_RAWTEXT,
    S_SCRIPT = CAFE__TOK_SCRIPT,
    S_PLAINTEXT = CAFE__TOK_PLAINTEXT,
    S_TAG_OPEN,
    S_END_TAG_OPEN,
    S_TAG_NAME,
    S_BEFORE_ATTR_NAME,
    S_ATTR_NAME,
    S_AFTER_ATTR_NAME,
    S_BEFORE_ATTR_VALUE,
    S_ATTR_VALUE_DQ,
    S_ATTR_VALUE_SQ,
    S_ATTR_VALUE_UQ,
    S_AFTER_ATTR_VALUE_Q,
    S_SELF_CLOSING,
    S_TEXT_LT, /* RCDATA, RAWTEXT and script data less-than sign (tk->ret says which) */
    S_TEXT_END_OPEN,
    S_TEXT_END_NAME,
    S_SCRIPT_ESC_START,
    S_SCRIPT_ESC_START_DASH,
    S_SCRIPT_ESC,
    S_SCRIPT_ESC_DASH,
    S_SCRIPT_ESC_DASH_DASH,
    S_SCRIPT_ESC_LT,
    S_SCRIPT_DBL_START,
    S_SCRIPT_DBL,
    S_SCRIPT_DBL_DASH,
    S_SCRIPT_DBL_DASH_DASH,
    S_SCRIPT_DBL_LT,
    S_SCRIPT_DBL_END,
    S_BOGUS_COMMENT,
    S_MDO,
    S_COMMENT_START,
    S_COMMENT_START_DASH,
    S_COMMENT,
    S_COMMENT_END_DASH,
    S_COMMENT_END,
    S_COMMENT_END_BANG,
    S_DOCTYPE,
    S_DOCTYPE_READ, /* the first DOCTYPE, read for quirks mode (doctype.c) */
    S_CDATA,
    S_CDATA_BRACKET,
    S_CDATA_END,
};

/* Where a character reference in text stands while frameset-ok holds (tokenizer.c). */
enum { REF_NONE, REF_AMP, REF_HASH, REF_X, REF_DEC, REF_HEX, REF_NAMED };

/* The "initial" insertion mode ends at the first token that is not a comment or whitespace
 * (nor a NUL: browsers drop it in the data state): a DOCTYPE says whether the document is in
 * quirks mode; any other token means it is. */
static inline void tok_leave_initial(cafe__html_tok_t *tk, int quirks) {
    tk->past_initial = 1;
    tk->quirks = (uint8_t)quirks;
}

/* Text that is not whitespace: the body starts and frameset-ok is cleared. */
static inline void tok_text_seen(cafe__html_tok_t *tk) {
    if (!tk->past_initial)
        tok_leave_initial(tk, 1);
    cafe__html_tok_body(tk);
    cafe__html_tok_fs_clear(tk);
    tk->ref_state = REF_NONE;
}

typedef const unsigned char *cur_t;

static inline int tok_ws(unsigned c) {
    return c == ' ' || c == '\n' || c == '\t' || c == '\f' || c == '\r';
}

static inline int tok_alpha(unsigned c) {
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/* ASCII lowercase; NUL becomes 0xFD (the last byte of U+FFFD, which replaces it). */
static inline unsigned char tok_lower(unsigned c) {
    return (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c == 0 ? 0xFD : c);
}

/* Byte classes for the scanning loops (tag.c's table): a run of bytes none of whose classes
 * a state stops at is consumed at once. */
enum {
    C_WS = 1,     /* \t \n \f \r space */
    C_SLASH = 2,  /* / */
    C_GT = 4,     /* > */
    C_EQ = 8,     /* = */
    C_NUL = 16,   /* NUL: U+FFFD in names */
    C_ALPHA = 32, /* ASCII letters */
    C_NAME_END = C_WS | C_SLASH | C_GT,
};
extern const uint8_t cafe__html_cls[256];

/* The first byte in [p, end) of a class in `stop`, or end. */
static inline cur_t tok_scan(cur_t p, cur_t end, unsigned stop) {
    for (; end - p >= 4; p += 4) { /* four bytes a round: one bound check, not four */
        if (cafe__html_cls[p[0]] & stop)
            return p;
        if (cafe__html_cls[p[1]] & stop)
            return p + 1;
        if (cafe__html_cls[p[2]] & stop)
            return p + 2;
        if (cafe__html_cls[p[3]] & stop)
            return p + 3;
    }
    while (p < end && !(cafe__html_cls[*p] & stop))
        p++;
    return p;
}

static inline cur_t tok_skip_ws(cur_t p, cur_t end) {
    while (p < end && (cafe__html_cls[*p] & C_WS))
        p++;
    return p;
}

/* Eight bytes in memory order. */
static inline uint64_t load8(cur_t p) {
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

/* ASCII lowercase of eight bytes at once; bytes >= 0x80 are left as they are. */
static inline uint64_t lower8(uint64_t x) {
    const uint64_t ones = 0x0101010101010101ULL;
    uint64_t h = x & 0x7F * ones;
    uint64_t from_a = h + (0x80 - 'A') * ones, past_z = h + (0x80 - 'Z' - 1) * ones;
    uint64_t upper = (from_a ^ past_z) & ~x & 0x80 * ones;
    return x | upper >> 2;
}

/* tag.c: the tag and attribute states, and what the end tag states share with them. */
cur_t cafe__html_tag_step(cafe__html_tok_t *tk, cur_t p, cur_t end);

/* Inline (each tag's and each name byte's path): the name words start empty... */
static inline void cafe__html_tag_name_reset(cafe__html_tok_t *tk) {
    tk->name_len = 0;
    tk->w0 = tk->w1 = 0;
}

/* ...and take the first 16 bytes, lowercase; the length saturates at 255. The bytes past
 * them are hashed into the second word (no name tags.c knows is that long), so that long
 * names are told apart whole: custom elements often share their first 16 bytes. */
static inline void cafe__html_tag_name_add(cafe__html_tok_t *tk, unsigned c) {
    unsigned i = tk->name_len;
    if (i < 8)
        tk->w0 |= (uint64_t)tok_lower(c) << (8 * i);
    else if (i < 16)
        tk->w1 |= (uint64_t)tok_lower(c) << (8 * (i - 8));
    else
        tk->w1 = (tk->w1 ^ tok_lower(c)) * 0x100000001b3ULL;
    if (i < 255)
        tk->name_len++;
}

static inline void cafe__html_tag_begin(cafe__html_tok_t *tk, int end_tag) {
    cafe__html_tag_name_reset(tk);
    tk->end_tag = (uint8_t)end_tag;
    tk->self_closing = 0;
    tk->want_attrs = 0; /* want_fp is set with it once the name is read (tag.c) */
    tk->attrs_seen = 0;
    tk->font_attr = 0;
    memset(tk->vlen, 0, sizeof tk->vlen);
}

/* Adds the bytes [p, q) of a name (no NUL among them); end is the end of the input. */
void cafe__html_tag_name_run(cafe__html_tok_t *tk, cur_t p, cur_t q, cur_t end);
/* The name is complete (looked up); c (whitespace, '/' or '>') goes on with the tag. */
void cafe__html_tag_named(cafe__html_tok_t *tk, unsigned c);

#endif
