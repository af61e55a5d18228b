/* The list of active formatting elements (HTML standard 13.2.4.3), kept for what it does to
 * the stack of open elements: a formatting element closed out of order (by the end tag of a
 * block it was in, or by the adoption agency) stays in the list and is opened again
 * ("reconstructed") before the next content, where a later end tag may find it:
 * "<p><b></p><svg></b><title>" closes the <svg> with the reconstructed <b>, and the title is
 * HTML. The list is bounded (CAFE__HTML_AFE_MAX entries, the oldest forgotten), an entry is
 * marked gone when its element leaves the stack (found by the element's serial number: no
 * stack search per entry, the list may be long), and the "Noah's Ark" clause
 * (three entries of a kind at most) compares names and a fingerprint of the attributes
 * (stack.h says how much of each it reads). */
#include <string.h>

#include "html/charref.h"
#include "html/hot.h"
#include "html/stack.h"

/* ---- the attributes' fingerprint ------------------------------------------------------ */

#define ONES 0x0101010101010101ULL

static uint64_t word(const void *p) {
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

static uint64_t step(uint64_t h, uint64_t w) {
    h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 29);
}

/* A well-mixed 64-bit value of x: each attribute's share of the sum. */
static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

static uint64_t has_byte(uint64_t w, unsigned char c) {
    uint64_t x = w ^ (c * ONES);
    return (x - ONES) & ~x & (0x80 * ONES);
}

/* The hash of n bytes (p writable up to a multiple of 8 past n: padded there), eight at a
 * time; *special says whether a NUL, CR or '&' is among them. */
static uint64_t hash_words(char *p, size_t n, uint64_t *special) {
    size_t words = (n + 7) / 8 * 8;
    for (size_t i = n; i < words; i++)
        p[i] = 'x'; /* a byte not looked for */
    uint64_t h = n, sp = 0;
    for (size_t i = 0; i < words; i += 8) {
        uint64_t w = word(p + i);
        /* a byte below 0x0E (NUL, CR; tab, LF, FF too: those go the slow way) or an '&' */
        sp |= ((w - 0x0E * ONES) & ~w) | has_byte(w, '&');
        h = step(h, w);
    }
    sp &= 0x80 * ONES;
    *special = sp;
    return h;
}

/* The kept value's hash as the tokenizer gives the value: CR and CRLF as LF, NUL as U+FFFD,
 * references decoded. Most values hold none of these bytes: hashed as they are. */
static uint64_t value_hash(cafe__html_tok_t *tk) {
    char *v = tk->vals[CAFE__ATTR_FP];
    size_t n = tk->vlen[CAFE__ATTR_FP];
    uint64_t special;
    uint64_t h = hash_words(v, n, &special);
    if (!special)
        return h;
    char lf[CAFE__HTML_ATTR_MAX];
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] != '\n' || i == 0 || v[i - 1] != '\r')
            lf[m++] = v[i] == '\r' ? '\n' : v[i];
    }
    char out[3 * CAFE__HTML_ATTR_MAX + 8]; /* a NUL's U+FFFD is 3 bytes */
    size_t len = cafe__html_attr_decode(lf, m, out, sizeof out - 7);
    return hash_words(out, len, &special);
}

/* The attribute read so far joins the sum, unless one of its name came before. */
static void attr_end(cafe__html_tok_t *tk) {
    cafe__html_fp_t *f = &tk->fp;
    for (unsigned i = 0; i < f->nnames; i++) {
        if (f->names[i] == f->name)
            return;
    }
    if (f->nnames < CAFE__HTML_FP_NAMES)
        f->names[f->nnames++] = f->name;
    f->sum += mix(f->name ^ value_hash(tk));
}

void cafe__html_afe_attr_named(cafe__html_tok_t *tk) {
    cafe__html_fp_t *f = &tk->fp;
    if (tk->attrs_seen & CAFE__HTML_SEEN_FP)
        attr_end(tk);
    tk->attrs_seen |= CAFE__HTML_SEEN_FP;
    tk->vlen[CAFE__ATTR_FP] = 0;
    /* the name's first bytes, lowercased (tag.c keeps them for attr_index), its length, and
     * the hash of the rest */
    size_t n = tk->attr_len < sizeof tk->attr_name ? tk->attr_len : sizeof tk->attr_name;
    unsigned char name[sizeof tk->attr_name] = {0};
    memcpy(name, tk->attr_name, n);
    uint64_t tail = tk->attr_len > sizeof tk->attr_name ? tk->attr_tail : 0;
    f->name = mix(step(step(step(tk->attr_len, word(name)), word(name + 8)), tail));
}

void cafe__html_afe_attrs_end(cafe__html_tok_t *tk) {
    attr_end(tk);
}

/* ---- the list ------------------------------------------------------------------------- */

/* The elements that put a marker in the list while they are open. */
static int marker_element(int id) {
    switch (id) {
    case CAFE__TAG_APPLET:
    case CAFE__TAG_MARQUEE:
    case CAFE__TAG_OBJECT:
    case CAFE__TAG_TD:
    case CAFE__TAG_TH:
    case CAFE__TAG_CAPTION:
    case CAFE__TAG_TEMPLATE:
        return 1;
    default:
        return 0;
    }
}

static int on_stack(const cafe__html_afe_t *a) {
    return !a->gone;
}

static int same_name(const cafe__html_afe_t *a, const cafe__html_afe_t *b) {
    return a->w0 == b->w0 && a->w1 == b->w1 && a->len == b->len;
}

static void remove_at(cafe__html_tok_t *tk, int i) {
    if (i < tk->afe_live)
        tk->afe_live--;
    memmove(tk->afe + i, tk->afe + i + 1, (size_t)(tk->nafe - i - 1) * sizeof tk->afe[0]);
    tk->nafe--;
}

/* The last entry after the last marker named as a, or -1. */
static int find(const cafe__html_tok_t *tk, const cafe__html_afe_t *a) {
    for (int i = tk->nafe; i-- > 0;) {
        if (tk->afe[i].serial == 0)
            return -1;
        if (same_name(&tk->afe[i], a))
            return i;
    }
    return -1;
}

CAFE__HOT void cafe__html_afe_add(cafe__html_tok_t *tk) {
    const cafe__html_elem_t *e = &tk->stack[tk->depth - 1];
    cafe__html_afe_t a = {e->w0, e->w1,    tk->want_fp ? tk->fp.sum : 0, e->len, e->id, e->flags,
                          0,     e->serial};
    if (marker_element(e->id)) {
        a.serial = 0;
    } else if (tk->nafe >= 3) { /* Noah's Ark: three of a kind after the last marker at most */
        int same = 0, first = -1;
        for (int i = tk->nafe; i-- > 0 && tk->afe[i].serial != 0;) {
            if (same_name(&tk->afe[i], &a) && tk->afe[i].attrs == a.attrs)
                same++, first = i;
        }
        if (same >= 3)
            remove_at(tk, first);
    }
    if (tk->nafe == CAFE__HTML_AFE_MAX)
        remove_at(tk, 0);
    tk->afe[tk->nafe++] = a;
    tk->afe_live = tk->nafe;
}

void cafe__html_afe_left(cafe__html_tok_t *tk, const cafe__html_elem_t *e) {
    if (!marker_element(e->id)) {
        tk->afe_stale = tk->nafe > 0;
        /* Its entry, if any: not among the gone ones at the end, most often the one before
         * them (elements leave from the top). */
        int live = tk->afe_live < tk->nafe ? tk->afe_live : tk->nafe;
        for (int i = live; i-- > 0;) {
            if (tk->afe[i].serial == e->serial && !tk->afe[i].gone) {
                tk->afe[i].gone = 1;
                break;
            }
        }
        while (live > 0 && tk->afe[live - 1].gone)
            live--;
        tk->afe_live = (uint8_t)live;
        return;
    }
    /* A cell, caption or template is closed by a rule that clears the list up to the last
     * marker; an <object>, <applet> or <marquee> only by its own end tag (html_end calls
     * cafe__html_afe_clear): popped with a table, say, it leaves its marker. */
    if (e->id != CAFE__TAG_OBJECT && e->id != CAFE__TAG_APPLET && e->id != CAFE__TAG_MARQUEE)
        cafe__html_afe_clear(tk);
}

void cafe__html_afe_clear(cafe__html_tok_t *tk) {
    while (tk->nafe > 0 && tk->afe[--tk->nafe].serial != 0)
        ;
}

CAFE__APART void cafe__html_afe_reconstruct(cafe__html_tok_t *tk) {
    tk->afe_stale = 0;
    int n = tk->nafe, i = n - 1;
    if (n == 0 || tk->afe[i].serial == 0 || on_stack(&tk->afe[i]))
        return;
    while (i > 0 && tk->afe[i - 1].serial != 0 && !on_stack(&tk->afe[i - 1]))
        i--;
    for (; i < tk->nafe; i++) { /* a full stack that dropped its oldest cleared the list */
        cafe__html_afe_t *a = &tk->afe[i];
        cafe__html_stack_push_as(tk, a->w0, a->w1, a->len, a->id, a->flags);
        a->serial = tk->stack[tk->depth - 1].serial;
        a->gone = 0;
    }
    tk->afe_live = tk->nafe;
}

void cafe__html_afe_drop(cafe__html_tok_t *tk, const cafe__html_elem_t *e) {
    for (int i = tk->nafe; i-- > 0;) {
        if (tk->afe[i].serial == e->serial && !tk->afe[i].gone) {
            remove_at(tk, i);
            return;
        }
    }
}

CAFE__HOT void cafe__html_afe_end(cafe__html_tok_t *tk, int otherwise) {
    cafe__html_afe_t tag = {tk->w0, tk->w1, 0, tk->name_len, tk->id, 0, 0, 0};
    int last = tk->nafe - 1;
    if (last >= 0 && tk->depth > 0 && tk->afe[last].serial == tk->stack[tk->depth - 1].serial &&
        same_name(&tk->afe[last], &tag)) {
        tk->nafe--; /* the usual case, "<b>x</b>": the current node and the last entry */
        cafe__html_stack_pop_to(tk, tk->depth - 1);
        return;
    }
    int k = find(tk, &tag);
    if (k < 0) { /* none in the list: the agency acts as "any other end tag" */
        if (otherwise)
            cafe__html_stack_any_other_end(tk);
        return;
    }
    if (!on_stack(&tk->afe[k])) { /* closed already: forgotten */
        remove_at(tk, k);
        return;
    }
    long i = cafe__html_stack_find(tk, NULL, 0, SCOPE_DEFAULT);
    if (i < 0)
        return;
    /* the entry goes with its element, unless its clone is still open after eight rounds;
     * the agency may have dropped others before it: found again by serial */
    uint16_t serial = k >= 0 ? tk->afe[k].serial : 0;
    if (cafe__html_stack_adopt(tk, (uint32_t)i) || k < 0)
        return;
    for (k = tk->nafe; k-- > 0;) {
        if (tk->afe[k].serial == serial) {
            remove_at(tk, k);
            return;
        }
    }
}

static int is_ws(unsigned c) {
    return c == ' ' || c == '\n' || c == '\t' || c == '\f' || c == '\r';
}

CAFE__APART void cafe__html_afe_text(cafe__html_tok_t *tk, const unsigned char *p, size_t n) {
    const unsigned char *end = p + n;
    int kind = stack_top_kind(tk);
    /* ignored, or foreign content: inserted as it is; in an integration point text is
     * processed "in body", which reconstructs (the end tag after it then finds HTML) */
    if (tk->frameset || (kind != K_HTML && !stack_is_ip(kind)))
        return;
    int ws = 0;
    for (; p < end; p++) {
        if (*p != 0 && !is_ws(*p)) {
            cafe__html_afe_reconstruct(tk);
            return;
        }
        ws |= *p != 0;
    }
    /* whitespace alone: where the body holds it, not in a table (nor before the body) */
    if (ws && tk->seen_body && cafe__html_stack_table_mode(tk) < 0)
        cafe__html_afe_reconstruct(tk);
}
