/* The stack of open elements kept by tree construction (tree.c, stack.c). */
#ifndef CAFE_HTML_STACK_H
#define CAFE_HTML_STACK_H

#include "html/tags.h"
#include "html/tokenizer.h"

/* What an element on the stack is: its namespace, and whether it is an integration point. */
enum {
    K_HTML,      /* HTML namespace */
    K_SVG,       /* svg namespace */
    K_SVG_IP,    /* svg foreignObject, desc, title: HTML integration points */
    K_MATH,      /* MathML namespace */
    K_MATH_TEXT, /* mi, mo, mn, ms, mtext: MathML text integration points */
    K_ANNOT,     /* annotation-xml */
    K_ANNOT_HTML /* annotation-xml encoding="text/html" or XHTML: HTML integration point */
};

/* Scopes of "has an element in ... scope": which elements end the search. */
enum { SCOPE_DEFAULT, SCOPE_BUTTON, SCOPE_LIST, SCOPE_TABLE, SCOPE_NONE };

static inline int stack_top_kind(const cafe__html_tok_t *tk) {
    return tk->depth ? tk->stack[tk->depth - 1].kind : K_HTML;
}

/* The current node's tag id when it is an HTML element, else CAFE__TAG_OTHER. */
static inline int stack_top_id(const cafe__html_tok_t *tk) {
    const cafe__html_elem_t *e = tk->depth ? &tk->stack[tk->depth - 1] : NULL;
    return e && e->kind == K_HTML ? e->id : CAFE__TAG_OTHER;
}

static inline int stack_is_ip(int kind) {
    return kind == K_SVG_IP || kind == K_MATH_TEXT || kind == K_ANNOT_HTML;
}

/* Foreign elements in the "special" category (and in every scope but table scope). */
static inline int stack_foreign_special(int kind) {
    return stack_is_ip(kind) || kind == K_ANNOT;
}

static inline int stack_special(const cafe__html_elem_t *e) {
    return e->kind == K_HTML ? (e->flags & CAFE__TAGF_SPECIAL) != 0
                             : stack_foreign_special(e->kind);
}

/* The element has the name of the tag being emitted (ASCII case folded). */
static inline int stack_same_name(const cafe__html_tok_t *tk, const cafe__html_elem_t *e) {
    return e->w0 == tk->w0 && e->w1 == tk->w1 && e->len == tk->name_len;
}

static inline int stack_is_heading(int id) {
    return id >= CAFE__TAG_H1 && id <= CAFE__TAG_H6;
}

/* Pushes the element of the tag being emitted (tk->w0/w1/id). */
void cafe__html_stack_push(cafe__html_tok_t *tk, int kind, unsigned flags);
/* Pushes an HTML element no tag is being emitted for (its name's bytes, little-endian, as the
 * tokenizer keeps them): one tree construction inserts unasked. */
void cafe__html_stack_push_as(cafe__html_tok_t *tk, uint64_t w0, uint64_t w1, uint8_t len, int id,
                              unsigned flags);
/* Pops the element at index i and everything above it. */
void cafe__html_stack_pop_to(cafe__html_tok_t *tk, uint32_t i);
/* Takes the element at index i out, leaving those above it open. */
void cafe__html_stack_remove_at(cafe__html_tok_t *tk, uint32_t i);
/* The nearest HTML element with one of ids[0..n) (or, with n == 0, the tag's name) in the
 * scope; its index, or -1. */
long cafe__html_stack_find(const cafe__html_tok_t *tk, const int *ids, int n, int scope);
/* Pops the nearest such element and what is above it, if there is one. */
void cafe__html_stack_close_nearest(cafe__html_tok_t *tk, const int *ids, int n, int scope);
/* "Any other end tag" (in body): the nearest HTML element of the tag's name is popped with
 * what is above it, unless a special element comes first. */
void cafe__html_stack_any_other_end(cafe__html_tok_t *tk);
/* The adoption agency's effect for the formatting element at index i; whether (a clone of)
 * it is still open, and its entry in the list of active formatting elements with it. */
int cafe__html_stack_adopt(cafe__html_tok_t *tk, uint32_t i);
/* The formatting elements (the list of active formatting elements holds them). Inline: the
 * tokenizer asks it of every start tag. */
static inline int cafe__html_stack_is_formatting(int id) {
    switch (id) {
    case CAFE__TAG_A:
    case CAFE__TAG_B:
    case CAFE__TAG_BIG:
    case CAFE__TAG_CODE:
    case CAFE__TAG_EM:
    case CAFE__TAG_FONT:
    case CAFE__TAG_I:
    case CAFE__TAG_NOBR:
    case CAFE__TAG_S:
    case CAFE__TAG_SMALL:
    case CAFE__TAG_STRIKE:
    case CAFE__TAG_STRONG:
    case CAFE__TAG_TT:
    case CAFE__TAG_U:
        return 1;
    default:
        return 0;
    }
}
/* What a start tag does beyond its flags, by tag id (stack.c's table, the one list of each
 * kind): the tokenizer state it switches to (tree.c's text states); a table part (caption,
 * col, colgroup, tbody, thead, tfoot, tr, td, th); a tag that may imply end tags by itself
 * (stack_may_imply); a tag html_start (tree.c) has a case for; a formatting element or one
 * that puts a marker in the list of active formatting elements (afe.c); a tag processed "in
 * body" that reconstructs no formatting elements though not a block nor one of the head's
 * (SP_KEEP_AFE; see afe_rebuilds in tree.c). One load, not a switch each: every start tag
 * asks. */
enum {
    SP_STATE = 7,
    SP_TABLE_PART = 8,
    SP_IMPLIES = 16,
    SP_OWN = 32,
    SP_AFE = 64,
    SP_KEEP_AFE = 128
};
extern const uint8_t cafe__html_start_props[256];

static inline int cafe__html_stack_table_part(int id) {
    return (cafe__html_start_props[(uint8_t)id] & SP_TABLE_PART) != 0;
}
/* The end tags a start tag implies: stack.c's rules, run only for a tag that may_imply. */
void cafe__html_stack_implied_ends_run(cafe__html_tok_t *tk, int id, unsigned flags);

/* Could the start tag imply any? Every rule of cafe__html_stack_implied_ends_run needs one
 * of these (a rule added there adds its test here, or SP_IMPLIES to its tag). Most start
 * tags cannot: no call. */
static inline int stack_may_imply(const cafe__html_tok_t *tk, int id, unsigned flags) {
    return (flags & CAFE__TAGF_CLOSEP) || tk->open_table > 0 || tk->template_depth > 0 ||
           (cafe__html_start_props[(uint8_t)id] & SP_IMPLIES);
}

/* The end tags a start tag implies ("in body", and the table modes' cell and row rules). */
static inline void cafe__html_stack_implied_ends(cafe__html_tok_t *tk, int id, unsigned flags) {
    if (stack_may_imply(tk, id, flags))
        cafe__html_stack_implied_ends_run(tk, id, flags);
}
/* The table, row group or row whose table mode is the insertion mode, or -1. */
long cafe__html_stack_table_mode(const cafe__html_tok_t *tk);
/* The last table on the stack (foster parenting's target), or -1. */
long cafe__html_stack_last_table(const cafe__html_tok_t *tk);
/* Would an element inserted now land before the table at index `table`? */
int cafe__html_stack_before_table(const cafe__html_tok_t *tk, uint32_t table);

/* The list of active formatting elements (afe.c). */
/* The element just pushed by a start tag, one with SP_AFE: its entry, or a marker. */
void cafe__html_afe_add(cafe__html_tok_t *tk);
/* An element with SP_AFE left the stack. */
void cafe__html_afe_left(cafe__html_tok_t *tk, const cafe__html_elem_t *e);
/* "Reconstruct the active formatting elements": those closed out of order are opened again. */
void cafe__html_afe_reconstruct(cafe__html_tok_t *tk);
/* A formatting element's end tag (or the <a>, <nobr> start tag ending an open one): the
 * adoption agency, with the list's entry. Without one, "any other end tag" if otherwise
 * (an end tag, <nobr>), else nothing (<a>: only an <a> in the list is ended). */
void cafe__html_afe_end(cafe__html_tok_t *tk, int otherwise);
/* "Clear the list of active formatting elements up to the last marker". */
void cafe__html_afe_clear(cafe__html_tok_t *tk);
/* The adoption agency takes element e (on the stack) out of the list: its entry goes. */
void cafe__html_afe_drop(cafe__html_tok_t *tk, const cafe__html_elem_t *e);

/* A formatting element's start tag (want_fp): its attributes' fingerprint, which the list's
 * "Noah's Ark" clause compares. Called by the tag states when an attribute's name is
 * complete (tk->attr_name, attr_len; the one before, if any, ends: its value is what
 * vals[CAFE__ATTR_FP] kept)... A name is compared whole, lowercased (a NUL as 0, not
 * U+FFFD; its first 16 bytes, the hash of the rest), the first of a name only; a value on
 * its first CAFE__HTML_ATTR_MAX - 1 bytes as the tokenizer gives them (CR and CRLF as LF,
 * NUL as U+FFFD, references decoded). */
void cafe__html_afe_attr_named(cafe__html_tok_t *tk);
/* ...and the tag ends, one or more attributes read (attrs_seen has CAFE__HTML_SEEN_FP). */
void cafe__html_afe_attrs_end(cafe__html_tok_t *tk);

#endif
