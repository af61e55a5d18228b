/* The WHATWG HTML tokenizer, on raw bytes, and the part of tree construction that decides
 * which <title> is the document's.
 *
 * Why raw bytes: in every ASCII-compatible encoding the bytes below 0x80 that drive the
 * tokenizer ('<', '>', '/', '!', '-', '?', quotes, '=', whitespace) are those characters and
 * never part of a multi-byte character (trail bytes are >= 0x40, or gb18030 digits), and
 * a non-ASCII byte acts like the non-ASCII character it starts: so tokenizing bytes gives
 * the tokens a browser gets from the decoded characters, and only the title's text needs
 * decoding. (One exception, accepted: in a CDATA section a Shift_JIS/Big5/GBK character
 * whose trail byte is ']' can end the section early.) Encodings that are not ASCII-compatible
 * (UTF-16, ISO-2022-JP) are decoded to UTF-8 before they get here.
 *
 * Tree construction is tracked only as far as the title needs (see tree.c). */
#ifndef CAFE_HTML_TOKENIZER_H
#define CAFE_HTML_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "html/doctype.h"

#define CAFE__HTML_STACK_MAX 128 /* open elements tracked; a full stack forgets some (stack.c) */
#define CAFE__HTML_ATTR_MAX 128  /* bytes kept of an attribute value we look at */
/* Active formatting elements kept (browsers keep any number); a full list forgets the oldest.
 * Half the stack: the list's elements are reopened on it. */
#define CAFE__HTML_AFE_MAX (CAFE__HTML_STACK_MAX / 2)

/* Attribute values the tree needs: annotation-xml's encoding; meta's three; input's type
 * (a hidden input leaves frameset-ok alone). */
enum {
    CAFE__ATTR_ENCODING,
    CAFE__ATTR_CHARSET,
    CAFE__ATTR_HTTP_EQUIV,
    CAFE__ATTR_CONTENT,
    CAFE__ATTR_TYPE,
    CAFE__ATTR_COUNT,
    /* a formatting element's attribute value, for its fingerprint (afe.c): the slot of one
     * no formatting element keeps */
    CAFE__ATTR_FP = CAFE__ATTR_ENCODING
};

typedef struct cafe__html_elem {
    uint64_t w0, w1;     /* lowercase tag name: first 16 bytes, the rest hashed (tokstate.h) */
    uint8_t len;         /* name length, saturated at 255 */
    uint8_t id;          /* CAFE__TAG_* */
    uint8_t kind;        /* namespace and integration point, see tree.c */
    uint8_t flags;       /* CAFE__TAGF_* */
    uint8_t holds_title; /* the table the document's title is in */
    uint8_t fostered;    /* inserted before its table (foster parenting) */
    uint16_t serial;     /* which element it is (afe.c: an entry finds its element by it) */
} cafe__html_elem_t;

/* An entry of the list of active formatting elements (afe.c): the element's name, and its
 * serial while that element is the one made for it (serial 0: a marker). */
typedef struct cafe__html_afe {
    uint64_t w0, w1;
    uint64_t attrs; /* its start tag's attributes, as afe.c fingerprints them */
    uint8_t len, id, flags;
    uint8_t gone; /* its element left the stack (cafe__html_afe_left) */
    uint16_t serial;
} cafe__html_afe_t;

/* The attributes of a formatting element's start tag, fingerprinted for the list's "Noah's
 * Ark" clause (afe.c): the attribute being read, and the names of those read. */
#define CAFE__HTML_FP_NAMES 8 /* names remembered to drop a repeated one; later ones differ */
#define CAFE__HTML_SEEN_FP (1u << 8) /* attrs_seen: an attribute to fingerprint was read */
typedef struct cafe__html_fp {
    uint64_t sum;  /* the fingerprint: a sum over the attributes, so in any order */
    uint64_t name; /* the attribute being read: its name's hash (its value is kept in
                      vals[CAFE__ATTR_FP]) */
    uint8_t nnames;
    uint64_t names[CAFE__HTML_FP_NAMES];
} cafe__html_fp_t;

/* What the tokenizer reports to its owner. */
typedef struct cafe__html_tok_cb {
    void *ctx;
    void (*title_start)(void *ctx);
    void (*title_text)(void *ctx, const unsigned char *p, size_t n); /* raw bytes */
    void (*title_end)(void *ctx);
    /* A <frameset> took the body away, and the title that was in it. */
    void (*title_removed)(void *ctx);
    /* A <meta> start tag processed as HTML; values are NULL when absent. Not called once the
     * owner set no_meta. */
    void (*meta)(void *ctx, const char *charset, const char *http_equiv, const char *content);
} cafe__html_tok_cb_t;

typedef struct cafe__html_tok {
    cafe__html_tok_cb_t cb; /* first: cafe__html_tok_reset clears from `state` on */
    /* tokenizer */
    uint8_t state, ret; /* ret: the text state a '<' in RCDATA/RAWTEXT/script came from */
    uint8_t end_tag, self_closing;
    uint8_t name_len;        /* tag name bytes so far (saturated) */
    uint64_t w0, w1;         /* tag name, lowercase: first 16 bytes, the rest hashed */
    uint64_t raw_w0, raw_w1; /* name of the element whose text we are in (appropriate end tag) */
    uint8_t raw_len;         /* ...and its length */
    uint8_t tmp_len;         /* "temporary buffer" of the spec, raw bytes */
    unsigned char tmp[12];
    uint8_t mdo;           /* markup declaration open: keyword and bytes matched */
    uint8_t want_attrs;    /* this tag's attributes matter (font, meta, annotation-xml) */
    uint8_t want_fp;       /* ...or their fingerprint does (formatting elements but <a>) */
    uint8_t id, tag_flags; /* CAFE__TAG_* and CAFE__TAGF_* of the tag name, once read */
    uint8_t attr_len, attr_id, font_attr;
    uint16_t attrs_seen; /* kept attributes read: bit CAFE__ATTR_*, font's three, SEEN_FP */
    char attr_name[16];  /* first bytes of the attribute name, lowercase (NUL: 0 or 0xFD) */
    uint64_t attr_tail;  /* ...the bytes past them, hashed (read only when attr_len > 16) */
    uint8_t vlen[CAFE__ATTR_COUNT];
    uint8_t vdec[CAFE__ATTR_COUNT]; /* ...of which the first vdec have their references
                                       decoded (a long <meta> value, tag.c) */
    /* tree construction */
    uint8_t capturing;      /* inside the document's title element */
    uint8_t found;          /* the document's title element was seen */
    uint8_t title_in_body;  /* ...after the body started: a <frameset> may still remove it */
    uint8_t title_in_table; /* ...inside a table still open: a title foster-parented before
                               that table would come first in tree order */
    uint8_t frameset;       /* a <frameset> was accepted: titles are ignored from here */
    uint8_t frameset_ok, seen_body;
    /* a </head>, or a <template>, was seen: as for Chromium and Firefox, a <meta> from here
     * on changes no encoding (the standard's "after head" and "in template" would) */
    uint8_t head_over;
    /* a </head> (outside template contents) ended the head: "after head", a <noscript> is
     * not one of the head's tags but body content */
    uint8_t after_head;
    /* a tag came after text started the body: as for Chromium and Firefox, a <meta> from here
     * on changes no encoding either; text alone does not end the head for them, so a late
     * <meta> right after the text that started the body still does (cafe__html_tok_meta_over) */
    uint8_t body_tag;
    uint8_t past_initial; /* the "initial" insertion mode is over (tokstate.h) */
    uint8_t quirks;       /* ...and left the document in quirks mode (doctype.h) */
    /* a character reference in text while frameset-ok holds: one that gives whitespace
     * (&#32; &Tab; ...) leaves the flag (see tokenizer.c) */
    uint8_t ref_state, ref_len;
    uint32_t ref_value;
    uint8_t no_meta; /* the owner's encoding can no longer change: a <meta> is not reported,
                        and its attributes are not read */
    uint8_t stop;    /* the owner needs nothing more: the tokenizer is not resumed (it may stop
                        inside a token, e.g. before emitting the title's end tag) */
    /* of template_depth, the outermost ones a full stack dropped (stack.c), up to 65535 (a
     * uint16_t in what was padding: the fields after it keep their places) */
    uint16_t lost_templates;
    uint32_t template_depth;
    uint32_t depth;
    /* HTML <p>, <a> and <table> elements on the stack: most start tags need not look for
     * one to close (each counter is exact: kept by every push and removal) */
    uint32_t open_p, open_a, open_table;
    /* The insertion mode of each open <template>, by nesting level (bit template_depth - 1;
     * the levels past 63 share bit 63): decided by a start tag, and "in column group"
     * (tree.c, template_ignores) */
    uint64_t tmpl_decided, tmpl_columns;
    uint8_t nafe;      /* entries in afe */
    uint8_t afe_live;  /* ...those from here on are gone (a hint, clamped to nafe: afe.c) */
    uint8_t afe_stale; /* an element of the list may have left the stack: rebuild before the
                          next content (cafe__html_afe_reconstruct) */
    uint16_t serial;   /* the last element pushed */
    /* Not cleared per page (cafe__html_tok_init stops here): a value is read only up to its
     * vlen, which every tag starts at 0, and the stack only below depth. */
    char vals[CAFE__ATTR_COUNT][CAFE__HTML_ATTR_MAX];
    cafe__html_fp_t fp;                       /* read only while want_fp */
    cafe__html_afe_t afe[CAFE__HTML_AFE_MAX]; /* read only below nafe */
    cafe__html_doctype_t doctype;             /* set up when one starts in the initial mode */
    cafe__html_elem_t stack[CAFE__HTML_STACK_MAX];
} cafe__html_tok_t;

void cafe__html_tok_init(cafe__html_tok_t *tk, const cafe__html_tok_cb_t *cb);
/* A new page with the same callbacks. */
void cafe__html_tok_reset(cafe__html_tok_t *tk);
/* Tokenizes n bytes; returns early (with tk->stop set) when the owner said stop. Returns the
 * bytes read: after a <meta> whose callback said stop, those up to its '>'. */
size_t cafe__html_tok_feed(cafe__html_tok_t *tk, const unsigned char *p, size_t n);
/* End of input: flushes what the open state holds (an unclosed title's last bytes), but for
 * an input the owner cut short (cut) the beginning of the title's end tag. */
void cafe__html_tok_eof(cafe__html_tok_t *tk, int cut);
/* 1 when no title can come any more (PLAINTEXT with no title open). */
int cafe__html_tok_hopeless(const cafe__html_tok_t *tk);
/* 1 when the input ended inside a <meta> start tag whose attributes are being read (it is
 * reported to the owner at its '>'). */
int cafe__html_tok_in_meta(const cafe__html_tok_t *tk);

/* Content that makes the body start, outside template contents (which are not the
 * document's: markup there creates no body). */
static inline void cafe__html_tok_body(cafe__html_tok_t *tk) {
    if (tk->template_depth == 0 && !tk->seen_body)
        tk->seen_body = 1;
}

/* No late <meta> can change the encoding any more. */
static inline int cafe__html_tok_meta_over(const cafe__html_tok_t *tk) {
    return tk->head_over || tk->body_tag;
}

/* frameset-ok set to "not ok". Before the body starts (a <template> in the head, or what is
 * in one) that changes nothing: the standard keeps the flag cleared into the body, but
 * Chromium and Firefox set it again when they make the body a tag or text implies ("after
 * head", anything else), and an explicit <body> clears it anyway. So frameset_ok stays set
 * until the body starts, and the text scan, which looks while it holds, sees the text that
 * starts it (<template></template><p><frameset><title>A: no title in both). */
static inline void cafe__html_tok_fs_clear(cafe__html_tok_t *tk) {
    if (tk->seen_body)
        tk->frameset_ok = 0;
}

/* Tree construction (tree.c). A start tag returns the tokenizer state it switches to. */
int cafe__html_tree_start(cafe__html_tok_t *tk, int id, unsigned flags);
void cafe__html_tree_end(cafe__html_tok_t *tk, int id, unsigned flags);
int cafe__html_tree_foreign(const cafe__html_tok_t *tk); /* adjusted current node not HTML */
/* Text in the data state while tk->afe_stale: formatting elements it reconstructs (afe.c). */
void cafe__html_afe_text(cafe__html_tok_t *tk, const unsigned char *p, size_t n);

/* Tokenizer states the tree switches to. */
enum { CAFE__TOK_DATA, CAFE__TOK_RCDATA, CAFE__TOK_RAWTEXT, CAFE__TOK_SCRIPT, CAFE__TOK_PLAINTEXT };

#endif
