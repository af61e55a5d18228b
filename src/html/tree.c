/* The part of tree construction (HTML standard 13.2.6) the title depends on:
 * - which tokenizer state a start tag switches to (RCDATA, RAWTEXT, script, PLAINTEXT), which
 *   happens only for tags processed as HTML, never in foreign content;
 * - foreign content: which elements are open under <svg>/<math>, with the integration points
 *   (svg foreignObject/desc/title, math mi/mo/mn/ms/mtext, annotation-xml with an HTML
 *   encoding) where start tags are HTML again, the "breakout" start tags (and </p>, </br>)
 *   that pop back to HTML, and end tags that close foreign elements;
 * - <template> contents are not in the document: a title there is not the document's;
 * - after an accepted <frameset>, start tags other than <noframes> are ignored. A frameset is
 *   accepted before the body starts, or later while frameset-ok holds.
 * For the end tags that leave foreign content, the stack of open elements is kept for HTML
 * elements too, with the implied end tags that matter most (<p> closed by blocks, <li>,
 * <dd>/<dt>, headings, table cells and rows, <option>) and the "in body" end tag rules
 * (scope searches, "any other end tag" stopping at special elements). The insertion modes
 * themselves are not needed: all of them let a <title> through to "in head" processing (the
 * "in select" mode that ignored it is gone from the current standard) except the frameset
 * ones. "First in tree order" differs from first in the source in two ways, both followed: a
 * title inside the body is removed with it by a <frameset> accepted later (while frameset-ok
 * holds), and a title foster-parented before the table that holds the first one comes first.
 * Known simplifications, each found by the gumbo differential test on generated pages, never
 * on real ones: the adoption agency is reduced to its effect on the stack (see adopt()); the
 * list of active formatting elements is not kept, so elements it would reconstruct are
 * missing when an end tag looks for them; the template insertion modes are not kept (after
 * <template><col> other start tags are ignored). */
#include <string.h>

#include "html/tags.h"
#include "html/tokenizer.h"

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

/* ---- the stack ---------------------------------------------------------------------- */

static int top_kind(const cafe__html_tok_t *tk) {
    return tk->depth ? tk->stack[tk->depth - 1].kind : K_HTML;
}

static int top_id(const cafe__html_tok_t *tk) {
    const cafe__html_elem_t *e = tk->depth ? &tk->stack[tk->depth - 1] : NULL;
    return e && e->kind == K_HTML ? e->id : CAFE__TAG_OTHER;
}

int cafe__html_tree_foreign(const cafe__html_tok_t *tk) {
    return top_kind(tk) != K_HTML;
}

static int is_ip(int kind) {
    return kind == K_SVG_IP || kind == K_MATH_TEXT || kind == K_ANNOT_HTML;
}

/* Foreign elements in the "special" category (and in every scope but table scope). */
static int foreign_special(int kind) {
    return is_ip(kind) || kind == K_ANNOT;
}

static int special(const cafe__html_elem_t *e) {
    return e->kind == K_HTML ? (e->flags & CAFE__TAGF_SPECIAL) != 0 : foreign_special(e->kind);
}

static int fostering(const cafe__html_tok_t *tk);
static int table_part(int id);

/* Start tags the table modes insert in the table itself; others there are foster-parented. */
static int in_table_element(int id) {
    return table_part(id) || id == CAFE__TAG_TABLE || id == CAFE__TAG_STYLE ||
           id == CAFE__TAG_SCRIPT || id == CAFE__TAG_TEMPLATE || id == CAFE__TAG_FORM;
}

/* A full stack drops its oldest quarter: deep elements matter least to the title. */
static void push(cafe__html_tok_t *tk, int kind, unsigned flags) {
    int fostered = fostering(tk) && !in_table_element(tk->id);
    if (tk->depth == CAFE__HTML_STACK_MAX) {
        size_t drop = CAFE__HTML_STACK_MAX / 4;
        memmove(tk->stack, tk->stack + drop, (CAFE__HTML_STACK_MAX - drop) * sizeof tk->stack[0]);
        tk->depth -= (uint32_t)drop;
        tk->open_p = 0;
        tk->title_in_table = 0; /* if its table was dropped, nothing can come before it */
        for (uint32_t i = 0; i < tk->depth; i++) {
            tk->open_p += tk->stack[i].kind == K_HTML && tk->stack[i].id == CAFE__TAG_P;
            tk->title_in_table |= tk->stack[i].holds_title;
        }
    }
    cafe__html_elem_t *e = &tk->stack[tk->depth++];
    tk->open_p += kind == K_HTML && tk->id == CAFE__TAG_P;
    e->w0 = tk->w0, e->w1 = tk->w1, e->len = tk->name_len, e->id = tk->id;
    e->kind = (uint8_t)kind, e->flags = (uint8_t)flags, e->holds_title = 0;
    e->fostered = (uint8_t)fostered;
}

/* Bookkeeping for an element leaving the stack. */
static void forget(cafe__html_tok_t *tk, const cafe__html_elem_t *e) {
    if (e->kind != K_HTML)
        return;
    if (e->holds_title)
        tk->title_in_table = 0;
    if (e->id == CAFE__TAG_TEMPLATE && tk->template_depth > 0)
        tk->template_depth--;
    if (e->id == CAFE__TAG_P && tk->open_p > 0)
        tk->open_p--;
}

/* Pops the element at index i and everything above it. */
static void pop_to(cafe__html_tok_t *tk, uint32_t i) {
    while (tk->depth > i)
        forget(tk, &tk->stack[--tk->depth]);
}

static int same_name(const cafe__html_tok_t *tk, const cafe__html_elem_t *e) {
    return e->w0 == tk->w0 && e->w1 == tk->w1 && e->len == tk->name_len;
}

static int ends_scope(const cafe__html_elem_t *e, int scope) {
    if (scope == SCOPE_NONE)
        return 0;
    if (e->kind != K_HTML)
        return scope != SCOPE_TABLE && foreign_special(e->kind);
    if (scope == SCOPE_TABLE)
        return e->id == CAFE__TAG_HTML || e->id == CAFE__TAG_TABLE || e->id == CAFE__TAG_TEMPLATE;
    return (e->flags & CAFE__TAGF_SCOPE) || (scope == SCOPE_BUTTON && e->id == CAFE__TAG_BUTTON) ||
           (scope == SCOPE_LIST && (e->id == CAFE__TAG_OL || e->id == CAFE__TAG_UL));
}

/* The nearest HTML element with one of ids[0..n) (or, with n == 0, the token's name) in
 * the scope; its index, or -1. */
static long find(const cafe__html_tok_t *tk, const int *ids, int n, int scope) {
    for (uint32_t i = tk->depth; i-- > 0;) {
        const cafe__html_elem_t *e = &tk->stack[i];
        if (e->kind == K_HTML) {
            for (int k = 0; k < n; k++) {
                if (e->id == ids[k])
                    return i;
            }
            if (n == 0 && same_name(tk, e))
                return i;
        }
        if (ends_scope(e, scope))
            return -1;
    }
    return -1;
}

static void close_nearest(cafe__html_tok_t *tk, const int *ids, int n, int scope) {
    long i = find(tk, ids, n, scope);
    if (i >= 0)
        pop_to(tk, (uint32_t)i);
}

static int is_formatting(int id) {
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

/* Takes the element at index i out of the stack, leaving those above it open. */
static void remove_at(cafe__html_tok_t *tk, uint32_t i) {
    forget(tk, &tk->stack[i]);
    memmove(tk->stack + i, tk->stack + i + 1, (tk->depth - i - 1) * sizeof tk->stack[0]);
    tk->depth--;
}

/* The adoption agency's effect on the stack, for the formatting element at index i. Without
 * a special element above it, everything from it up is popped. With some, each round of the
 * algorithm moves (a clone of) the formatting element just above the next special element,
 * dropping the other elements it passes (formatting ones are cloned and stay), until no
 * special element is left above it and it is popped with what is above: so what remains is
 * the stack below i plus the special and formatting elements up to the last special one. */
static void adopt(cafe__html_tok_t *tk, uint32_t i) {
    uint32_t last = i;
    for (uint32_t k = i + 1; k < tk->depth; k++) {
        if (special(&tk->stack[k]))
            last = k;
    }
    uint32_t keep = i;
    for (uint32_t k = i + 1; k <= last; k++) {
        const cafe__html_elem_t *e = &tk->stack[k];
        if (special(e) || (e->kind == K_HTML && is_formatting(e->id)))
            tk->stack[keep++] = *e;
        else
            forget(tk, e);
    }
    for (uint32_t k = last + 1; k < tk->depth; k++)
        forget(tk, &tk->stack[k]);
    if (last == i) /* no special element: the formatting element goes too */
        forget(tk, &tk->stack[i]);
    tk->depth = keep;
}

/* ---- start tags ----------------------------------------------------------------------- */

static const int headings[] = {CAFE__TAG_H1, CAFE__TAG_H2, CAFE__TAG_H3,
                               CAFE__TAG_H4, CAFE__TAG_H5, CAFE__TAG_H6};

static int is_heading(int id) {
    return id >= CAFE__TAG_H1 && id <= CAFE__TAG_H6;
}

/* <li>, <dd>, <dt>: close the previous item unless a special element (other than address,
 * div, p) comes first. */
static void close_item(cafe__html_tok_t *tk, int a, int b) {
    for (uint32_t i = tk->depth; i-- > 0;) {
        const cafe__html_elem_t *e = &tk->stack[i];
        if (e->kind == K_HTML && (e->id == a || e->id == b)) {
            pop_to(tk, i);
            return;
        }
        if (special(e) && e->id != CAFE__TAG_ADDRESS && e->id != CAFE__TAG_DIV &&
            e->id != CAFE__TAG_P)
            return;
    }
}

static int table_part(int id) {
    switch (id) {
    case CAFE__TAG_CAPTION:
    case CAFE__TAG_COL:
    case CAFE__TAG_COLGROUP:
    case CAFE__TAG_TBODY:
    case CAFE__TAG_THEAD:
    case CAFE__TAG_TFOOT:
    case CAFE__TAG_TR:
    case CAFE__TAG_TD:
    case CAFE__TAG_TH:
        return 1;
    default:
        return 0;
    }
}

/* The end tags a start tag implies ("in body", and the table modes' cell and row rules). */
static void implied_ends(cafe__html_tok_t *tk, int id, unsigned flags) {
    static const int p[] = {CAFE__TAG_P}, caption[] = {CAFE__TAG_CAPTION},
                     table[] = {CAFE__TAG_TABLE}, cells[] = {CAFE__TAG_TD, CAFE__TAG_TH},
                     row[] = {CAFE__TAG_TR},
                     sections[] = {CAFE__TAG_TBODY, CAFE__TAG_THEAD, CAFE__TAG_TFOOT};
    if (id == CAFE__TAG_A || id == CAFE__TAG_NOBR) {
        /* An open <a> (<nobr>) goes first, through the adoption agency. */
        long i = find(tk, (const int[]){id}, 1, SCOPE_DEFAULT);
        if (i >= 0)
            adopt(tk, (uint32_t)i);
    }
    if (id == CAFE__TAG_LI)
        close_item(tk, CAFE__TAG_LI, CAFE__TAG_LI);
    else if (id == CAFE__TAG_DD || id == CAFE__TAG_DT)
        close_item(tk, CAFE__TAG_DD, CAFE__TAG_DT);
    if ((flags & CAFE__TAGF_CLOSEP) && tk->open_p > 0)
        close_nearest(tk, p, 1, SCOPE_BUTTON);
    if (is_heading(id) && is_heading(top_id(tk)))
        pop_to(tk, tk->depth - 1);
    if ((id == CAFE__TAG_OPTION || id == CAFE__TAG_OPTGROUP) && top_id(tk) == CAFE__TAG_OPTION)
        pop_to(tk, tk->depth - 1);
    if (table_part(id))
        close_nearest(tk, caption, 1, SCOPE_TABLE); /* "in caption": closes the caption */
    if (id == CAFE__TAG_TABLE && fostering(tk))
        close_nearest(tk, table, 1, SCOPE_TABLE); /* "in table": a table ends the last one */
    if (id != CAFE__TAG_COL && top_id(tk) == CAFE__TAG_COLGROUP)
        pop_to(tk, tk->depth - 1); /* "in column group": anything else closes it */
    if (id == CAFE__TAG_TD || id == CAFE__TAG_TH || id == CAFE__TAG_TR)
        close_nearest(tk, cells, 2, SCOPE_TABLE);
    if (id == CAFE__TAG_TR || id == CAFE__TAG_TBODY || id == CAFE__TAG_THEAD ||
        id == CAFE__TAG_TFOOT)
        close_nearest(tk, row, 1, SCOPE_TABLE);
    if (id == CAFE__TAG_TBODY || id == CAFE__TAG_THEAD || id == CAFE__TAG_TFOOT)
        close_nearest(tk, sections, 3, SCOPE_TABLE);
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
        pop_to(tk, tk->depth - 1);
}

static void meta(cafe__html_tok_t *tk) {
    const char *v[CAFE__ATTR_COUNT];
    for (int i = 0; i < CAFE__ATTR_COUNT; i++)
        v[i] = tk->attrs_seen & (1u << i) ? tk->vals[i] : NULL;
    tk->cb.meta(tk->cb.ctx, v[CAFE__ATTR_CHARSET], v[CAFE__ATTR_HTTP_EQUIV], v[CAFE__ATTR_CONTENT]);
}

/* The last table on the stack (foster parenting's target), or -1. */
static long last_table(const cafe__html_tok_t *tk) {
    return find(tk, (const int[]){CAFE__TAG_TABLE}, 1, SCOPE_NONE);
}

/* Would an element inserted now be foster-parented (current node a table part)? */
static int fostering(const cafe__html_tok_t *tk) {
    switch (top_id(tk)) {
    case CAFE__TAG_TABLE:
    case CAFE__TAG_TBODY:
    case CAFE__TAG_TFOOT:
    case CAFE__TAG_THEAD:
    case CAFE__TAG_TR:
        return top_kind(tk) == K_HTML;
    default:
        return 0;
    }
}

/* Would an element inserted now land before the table at index `table`: foster-parented
 * itself, or inside an element that was? */
static int before_table(const cafe__html_tok_t *tk, uint32_t table) {
    if (fostering(tk))
        return 1;
    for (uint32_t i = tk->depth; i-- > table + 1;) {
        if (tk->stack[i].fostered)
            return 1;
    }
    return 0;
}

/* A title start tag. The first one is the document's title, unless it is inside a table and
 * a later one is foster-parented before that very table: that one comes first in tree order
 * (and no later one can come before it). */
static int title_start(cafe__html_tok_t *tk) {
    long table = last_table(tk);
    if (tk->template_depth > 0)
        return CAFE__TOK_RCDATA;
    if (tk->found) {
        if (!tk->title_in_table || table < 0 || !tk->stack[table].holds_title ||
            !before_table(tk, (uint32_t)table))
            return CAFE__TOK_RCDATA;
        tk->stack[table].holds_title = 0;
        tk->title_in_table = 0;
    } else if (table >= 0 && !before_table(tk, (uint32_t)table)) {
        tk->stack[table].holds_title = 1;
        tk->title_in_table = 1;
    }
    tk->found = 1;
    tk->title_in_body = tk->seen_body;
    tk->capturing = 1;
    tk->cb.title_start(tk->cb.ctx);
    return CAFE__TOK_RCDATA;
}

/* The tokenizer state an HTML start tag switches to. */
static int text_state(int id) {
    switch (id) {
    case CAFE__TAG_TITLE:
    case CAFE__TAG_TEXTAREA:
        return CAFE__TOK_RCDATA;
    case CAFE__TAG_STYLE:
    case CAFE__TAG_XMP:
    case CAFE__TAG_IFRAME:
    case CAFE__TAG_NOEMBED:
    case CAFE__TAG_NOFRAMES:
    case CAFE__TAG_NOSCRIPT: /* scripting is on in a browser */
        return CAFE__TOK_RAWTEXT;
    case CAFE__TAG_SCRIPT:
        return CAFE__TOK_SCRIPT;
    case CAFE__TAG_PLAINTEXT:
        return CAFE__TOK_PLAINTEXT;
    default:
        return CAFE__TOK_DATA;
    }
}

/* <frameset>: accepted before the body starts or while frameset-ok holds; from then on
 * only <noframes> is processed. */
static void frameset(cafe__html_tok_t *tk, int body_started) {
    if (tk->template_depth == 0 && (!body_started || tk->frameset_ok)) {
        tk->frameset = 1;
        pop_to(tk, 0);
        if (tk->found && tk->title_in_body) /* the body goes, with the title in it */
            tk->cb.title_removed(tk->cb.ctx);
    }
}

/* Table parts outside a table (or template) are ignored ("in body"). */
static int table_part_outside_table(const cafe__html_tok_t *tk, int id) {
    static const int holders[] = {CAFE__TAG_TABLE, CAFE__TAG_TEMPLATE};
    return table_part(id) && find(tk, holders, 2, SCOPE_NONE) < 0;
}

/* A start tag in HTML content ("in body" and the modes that defer to it). */
static int html_start(cafe__html_tok_t *tk, int id, unsigned flags) {
    if (tk->frameset)
        return id == CAFE__TAG_NOFRAMES ? CAFE__TOK_RAWTEXT : CAFE__TOK_DATA;
    int body_started = tk->seen_body;
    if (!(flags & CAFE__TAGF_HEADISH))
        tk->seen_body = 1; /* even for a tag then ignored: getting there made the body */
    if (table_part_outside_table(tk, id))
        return CAFE__TOK_DATA;
    if (flags & CAFE__TAGF_FSKILL)
        tk->frameset_ok = 0;
    implied_ends(tk, id, flags);
    switch (id) {
    case CAFE__TAG_HTML:
    case CAFE__TAG_HEAD:
    case CAFE__TAG_BODY:
        return CAFE__TOK_DATA; /* the stack's base: never popped, not kept */
    case CAFE__TAG_SVG:
    case CAFE__TAG_MATH:
        if (!tk->self_closing)
            push(tk, id == CAFE__TAG_SVG ? K_SVG : K_MATH, 0);
        return CAFE__TOK_DATA;
    case CAFE__TAG_FRAMESET:
        frameset(tk, body_started);
        return CAFE__TOK_DATA;
    case CAFE__TAG_TITLE:
        title_start(tk);
        break;
    case CAFE__TAG_TEMPLATE:
        tk->template_depth++;
        break;
    case CAFE__TAG_META:
        meta(tk);
        break;
    default:
        break;
    }
    if (!(flags & CAFE__TAGF_VOID))
        push(tk, K_HTML, flags);
    return text_state(id);
}

int cafe__html_tree_start(cafe__html_tok_t *tk, int id, unsigned flags) {
    if (html_start_context(tk, id))
        return html_start(tk, id, flags);
    if ((flags & CAFE__TAGF_BREAKOUT) || (id == CAFE__TAG_FONT && tk->font_attr)) {
        breakout(tk);
        return html_start(tk, id, flags);
    }
    /* A foreign element: in the namespace of the adjusted current node. */
    push(tk, foreign_kind(tk, id, top_kind(tk)), 0);
    if (tk->self_closing)
        pop_to(tk, tk->depth - 1);
    return CAFE__TOK_DATA;
}

/* ---- end tags ------------------------------------------------------------------------- */

/* "Any other end tag": the nearest HTML element of that name, unless a special element
 * comes first. */
static void any_other_end(cafe__html_tok_t *tk) {
    for (uint32_t i = tk->depth; i-- > 0;) {
        const cafe__html_elem_t *e = &tk->stack[i];
        if (e->kind == K_HTML && same_name(tk, e)) {
            pop_to(tk, i);
            return;
        }
        if (special(e))
            return;
    }
}

/* An end tag in HTML content ("in body", with the table modes' end tags). */
static void html_end(cafe__html_tok_t *tk, int id, unsigned flags) {
    static const int p[] = {CAFE__TAG_P}, tmpl[] = {CAFE__TAG_TEMPLATE};
    switch (id) {
    case CAFE__TAG_HEAD:
        return;
    case CAFE__TAG_HTML:
    case CAFE__TAG_BODY: /* before the body, these make it ("anything else") */
        tk->seen_body = 1;
        return;
    case CAFE__TAG_BR: /* acts as <br>: body content */
        tk->seen_body = 1;
        tk->frameset_ok = 0;
        return;
    case CAFE__TAG_FORM: {
        /* Outside templates the form element alone leaves the stack. */
        long i = find(tk, (const int[]){CAFE__TAG_FORM}, 1, SCOPE_DEFAULT);
        if (i >= 0 && tk->template_depth == 0)
            remove_at(tk, (uint32_t)i);
        else if (i >= 0)
            pop_to(tk, (uint32_t)i);
        return;
    }
    case CAFE__TAG_P:
        close_nearest(tk, p, 1, SCOPE_BUTTON);
        return;
    case CAFE__TAG_TEMPLATE:
        close_nearest(tk, tmpl, 1, SCOPE_NONE);
        return;
    case CAFE__TAG_LI:
        close_nearest(tk, NULL, 0, SCOPE_LIST);
        return;
    case CAFE__TAG_TABLE:
    case CAFE__TAG_TBODY:
    case CAFE__TAG_THEAD:
    case CAFE__TAG_TFOOT:
    case CAFE__TAG_TR:
    case CAFE__TAG_TD:
    case CAFE__TAG_TH:
    case CAFE__TAG_CAPTION:
    case CAFE__TAG_COLGROUP:
        close_nearest(tk, NULL, 0, SCOPE_TABLE);
        return;
    default:
        break;
    }
    if (is_heading(id)) {
        close_nearest(tk, headings, 6, SCOPE_DEFAULT);
    } else if (is_formatting(id)) {
        long i = find(tk, NULL, 0, SCOPE_DEFAULT);
        if (i >= 0)
            adopt(tk, (uint32_t)i);
    } else if (flags & CAFE__TAGF_BLOCKEND)
        close_nearest(tk, NULL, 0, SCOPE_DEFAULT);
    else
        any_other_end(tk);
}

/* "Any other end tag" in foreign content: the nearest element of that name (ASCII case
 * folded) before an HTML element; else the HTML rules. */
static void foreign_end(cafe__html_tok_t *tk, int id, unsigned flags) {
    for (uint32_t i = tk->depth; i-- > 0;) {
        if (same_name(tk, &tk->stack[i])) {
            pop_to(tk, i);
            return;
        }
        if (i == 0 || tk->stack[i - 1].kind == K_HTML)
            break;
    }
    html_end(tk, id, flags);
}

void cafe__html_tree_end(cafe__html_tok_t *tk, int id, unsigned flags) {
    if (tk->frameset)
        return;
    if (top_kind(tk) == K_HTML) {
        html_end(tk, id, flags);
        return;
    }
    if (id == CAFE__TAG_P || id == CAFE__TAG_BR) {
        breakout(tk);
        html_end(tk, id, flags);
        return;
    }
    foreign_end(tk, id, flags);
}
