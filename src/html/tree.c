/* The part of tree construction (HTML standard 13.2.6) the title depends on:
 * - which tokenizer state a start tag switches to (RCDATA, RAWTEXT, script, PLAINTEXT), which
 *   happens only for tags processed as HTML, never in foreign content;
 * - foreign content: the elements open under <svg>/<math> are kept on a small stack, with
 *   the integration points (svg foreignObject/desc/title, math mi/mo/mn/ms/mtext,
 *   annotation-xml with an HTML encoding) where start tags are HTML again, and the HTML
 *   elements opened inside those; the "breakout" start tags (and </p>, </br>) pop back to
 *   HTML; an end tag that matches no element of the stack closes the whole foreign subtree
 *   (it closes an HTML ancestor), except </body>, </html>, </br>, </p>, which pop nothing;
 * - <template> contents are not in the document: a title there is not the document's;
 * - after an accepted <frameset>, start tags other than <noframes> are ignored. A frameset is
 *   accepted before the body starts, or later while frameset-ok holds (no non-whitespace text
 *   and none of the tags that clear it).
 * The HTML elements outside foreign content are not tracked: the insertion modes all let a
 * <title> through to "in head" processing (the "in select" mode that ignored it is gone from
 * the current standard). Known simplifications: a title that a later <frameset> removes with
 * the body, or a later title foster-parented before a table that holds the first, are not
 * seen; implied end tags inside integration points are not generated. */
#include <string.h>

#include "html/tags.h"
#include "html/tokenizer.h"

enum {
    K_HTML,      /* an HTML element inside foreign content */
    K_SVG,       /* svg namespace */
    K_SVG_IP,    /* svg foreignObject, desc, title: HTML integration points */
    K_MATH,      /* MathML namespace */
    K_MATH_TEXT, /* mi, mo, mn, ms, mtext: MathML text integration points */
    K_ANNOT,     /* annotation-xml */
    K_ANNOT_HTML /* annotation-xml encoding="text/html" or XHTML: HTML integration point */
};

/* Bucket of the per-name count of open HTML elements. */
static unsigned name_hash(const cafe__html_tok_t *tk) {
    uint64_t h = (tk->w0 ^ (tk->w1 * 0x9E3779B97F4A7C15ull)) * 0xFF51AFD7ED558CCDull;
    return (unsigned)(h >> 56);
}

static void count_open(cafe__html_tok_t *tk, unsigned flags) {
    unsigned h = name_hash(tk);
    if (!(flags & CAFE__TAGF_VOID) && tk->open[h] < 255)
        tk->open[h]++;
}

/* An HTML end tag outside foreign content: 1 if an element of its name may be open. */
static int count_close(cafe__html_tok_t *tk) {
    unsigned h = name_hash(tk);
    if (tk->open[h] == 0)
        return 0;
    tk->open[h]--;
    return 1;
}

static int top_kind(const cafe__html_tok_t *tk) {
    if (tk->depth == 0)
        return -1;
    return tk->stack[tk->depth - 1].kind; /* excess entries share the top's kind */
}

int cafe__html_tree_foreign(const cafe__html_tok_t *tk) {
    int k = top_kind(tk);
    return k > K_HTML;
}

static int is_ip(int kind) {
    return kind == K_SVG_IP || kind == K_MATH_TEXT || kind == K_ANNOT_HTML;
}

static void push(cafe__html_tok_t *tk, int kind) {
    if (tk->depth == CAFE__HTML_STACK_MAX) {
        tk->excess++;
        return;
    }
    cafe__html_elem_t *e = &tk->stack[tk->depth++];
    e->w0 = tk->w0, e->w1 = tk->w1, e->len = tk->name_len, e->id = tk->id;
    e->kind = (uint8_t)kind;
}

/* Pops entries until `depth` remain; popped <template>s end their contents. */
static void pop_to(cafe__html_tok_t *tk, uint32_t depth) {
    if (tk->excess > 0 && depth < tk->depth) {
        tk->excess = 0;
    }
    while (tk->depth > depth) {
        const cafe__html_elem_t *e = &tk->stack[--tk->depth];
        if (e->kind == K_HTML && e->id == CAFE__TAG_TEMPLATE && tk->template_depth > 0)
            tk->template_depth--;
    }
}

static void pop_one(cafe__html_tok_t *tk) {
    if (tk->excess > 0)
        tk->excess--;
    else if (tk->depth > 0)
        pop_to(tk, tk->depth - 1);
}

static int same_name(const cafe__html_tok_t *tk, const cafe__html_elem_t *e) {
    return e->w0 == tk->w0 && e->w1 == tk->w1 && e->len == tk->name_len;
}

static int ascii_ieq(const char *a, const char *b) {
    for (; *a && *b; a++, b++) {
        if ((*a | (*a >= 'A' && *a <= 'Z' ? 0x20 : 0)) != *b)
            return 0;
    }
    return *a == *b;
}

static int foreign_kind(const cafe__html_tok_t *tk, int id, int parent) {
    if (parent == K_SVG || parent == K_SVG_IP) {
        int ip = id == CAFE__TAG_FOREIGNOBJECT || id == CAFE__TAG_DESC || id == CAFE__TAG_TITLE;
        return ip ? K_SVG_IP : K_SVG;
    }
    if (id == CAFE__TAG_MI || id == CAFE__TAG_MO || id == CAFE__TAG_MN || id == CAFE__TAG_MS ||
        id == CAFE__TAG_MTEXT)
        return K_MATH_TEXT;
    if (id != CAFE__TAG_ANNOTATION_XML)
        return K_MATH;
    const char *enc = tk->vlen[CAFE__ATTR_ENCODING] ? tk->vals[CAFE__ATTR_ENCODING] : "";
    int html = ascii_ieq(enc, "text/html") || ascii_ieq(enc, "application/xhtml+xml");
    return html ? K_ANNOT_HTML : K_ANNOT;
}

/* Does this start tag get HTML processing ("tree construction dispatcher")? */
static int html_start_context(const cafe__html_tok_t *tk, int id) {
    switch (top_kind(tk)) {
    case -1:
    case K_HTML:
    case K_SVG_IP:
    case K_ANNOT_HTML:
        return 1;
    case K_MATH_TEXT:
        return id != CAFE__TAG_MGLYPH && id != CAFE__TAG_MALIGNMARK;
    case K_ANNOT:
        return id == CAFE__TAG_SVG;
    default:
        return 0;
    }
}

/* Breaking out of foreign content: pop until an HTML element or integration point. */
static void breakout(cafe__html_tok_t *tk) {
    while (tk->depth > 0 && top_kind(tk) != K_HTML && !is_ip(top_kind(tk)))
        pop_one(tk);
}

static void meta(cafe__html_tok_t *tk) {
    const char *v[CAFE__ATTR_COUNT];
    for (int i = 0; i < CAFE__ATTR_COUNT; i++)
        v[i] = tk->attrs_seen & (1u << i) ? tk->vals[i] : NULL;
    tk->cb.meta(tk->cb.ctx, v[CAFE__ATTR_CHARSET], v[CAFE__ATTR_HTTP_EQUIV], v[CAFE__ATTR_CONTENT]);
}

static int title_start(cafe__html_tok_t *tk) {
    if (!tk->found && tk->template_depth == 0) {
        tk->found = 1;
        tk->capturing = 1;
        tk->cb.title_start(tk->cb.ctx);
    }
    return CAFE__TOK_RCDATA;
}

/* A start tag in HTML content ("in body" and the modes that defer to it). */
static int html_start(cafe__html_tok_t *tk, int id, unsigned flags) {
    if (tk->frameset)
        return id == CAFE__TAG_NOFRAMES ? CAFE__TOK_RAWTEXT : CAFE__TOK_DATA;
    int body_started = tk->seen_body;
    if (!(flags & CAFE__TAGF_HEADISH))
        tk->seen_body = 1;
    if (flags & CAFE__TAGF_FSKILL)
        tk->frameset_ok = 0;
    int state = CAFE__TOK_DATA, kind = K_HTML;
    switch (id) {
    case CAFE__TAG_TITLE:
        state = title_start(tk);
        break;
    case CAFE__TAG_TEXTAREA:
        state = CAFE__TOK_RCDATA;
        break;
    case CAFE__TAG_STYLE:
    case CAFE__TAG_XMP:
    case CAFE__TAG_IFRAME:
    case CAFE__TAG_NOEMBED:
    case CAFE__TAG_NOFRAMES:
    case CAFE__TAG_NOSCRIPT: /* scripting is on in a browser */
        state = CAFE__TOK_RAWTEXT;
        break;
    case CAFE__TAG_SCRIPT:
        state = CAFE__TOK_SCRIPT;
        break;
    case CAFE__TAG_PLAINTEXT:
        return CAFE__TOK_PLAINTEXT;
    case CAFE__TAG_SVG:
    case CAFE__TAG_MATH:
        kind = id == CAFE__TAG_SVG ? K_SVG : K_MATH;
        if (!tk->self_closing)
            push(tk, kind);
        return CAFE__TOK_DATA;
    case CAFE__TAG_TEMPLATE:
        tk->template_depth++;
        break;
    case CAFE__TAG_FRAMESET:
        if (tk->depth == 0 && tk->template_depth == 0 && (!body_started || tk->frameset_ok))
            tk->frameset = 1;
        return CAFE__TOK_DATA;
    case CAFE__TAG_META:
        meta(tk);
        break;
    default:
        break;
    }
    if (tk->depth > 0 && !(flags & CAFE__TAGF_VOID))
        push(tk, K_HTML);
    else if (tk->depth == 0)
        count_open(tk, flags);
    return state;
}

int cafe__html_tree_start(cafe__html_tok_t *tk, int id, unsigned flags) {
    if (html_start_context(tk, id))
        return html_start(tk, id, flags);
    if ((flags & CAFE__TAGF_BREAKOUT) || (id == CAFE__TAG_FONT && tk->font_attr)) {
        breakout(tk);
        return html_start(tk, id, flags);
    }
    /* A foreign element: in the namespace of the adjusted current node. */
    push(tk, foreign_kind(tk, id, top_kind(tk)));
    if (tk->self_closing)
        pop_one(tk);
    return CAFE__TOK_DATA;
}

/* An end tag that reached HTML content with foreign elements open. */
static void html_end(cafe__html_tok_t *tk, int id) {
    for (uint32_t i = tk->depth; i-- > 0;) {
        const cafe__html_elem_t *e = &tk->stack[i];
        if (e->kind == K_HTML && same_name(tk, e)) {
            pop_to(tk, i);
            return;
        }
        if (is_ip(e->kind) || e->kind == K_ANNOT)
            return; /* a scope boundary ("special"): the end tag is ignored */
        if (e->kind == K_HTML && e->id == CAFE__TAG_TEMPLATE)
            return;
    }
    if (id == CAFE__TAG_BODY || id == CAFE__TAG_HTML || id == CAFE__TAG_BR || id == CAFE__TAG_P)
        return;
    if (!count_close(tk))
        return;    /* no such element is open: ignored */
    pop_to(tk, 0); /* it closes an HTML ancestor of the foreign subtree */
    if (id == CAFE__TAG_TEMPLATE && tk->template_depth > 0)
        tk->template_depth--;
}

/* "Any other end tag" in foreign content: the nearest element of that name (ASCII case
 * folded), unless an HTML element comes first. */
static void foreign_end(cafe__html_tok_t *tk, int id) {
    for (uint32_t i = tk->depth; i-- > 0;) {
        if (same_name(tk, &tk->stack[i])) {
            pop_to(tk, i);
            return;
        }
        if (i == 0 || tk->stack[i - 1].kind == K_HTML)
            break;
    }
    html_end(tk, id);
}

void cafe__html_tree_end(cafe__html_tok_t *tk, int id) {
    if (tk->frameset)
        return;
    if (tk->depth == 0) {
        count_close(tk);
        if (id == CAFE__TAG_TEMPLATE && tk->template_depth > 0)
            tk->template_depth--;
        return;
    }
    if (top_kind(tk) == K_HTML) {
        html_end(tk, id);
        return;
    }
    if (id == CAFE__TAG_P || id == CAFE__TAG_BR) {
        breakout(tk);
        if (tk->depth > 0)
            html_end(tk, id);
        return;
    }
    foreign_end(tk, id);
}
