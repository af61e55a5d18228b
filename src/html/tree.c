/* The part of tree construction (HTML standard 13.2.6) the title depends on:
 * - which tokenizer state a start tag switches to (RCDATA, RAWTEXT, script, PLAINTEXT), which
 *   happens only for tags processed as HTML, never in foreign content;
 * - foreign content: which elements are open under <svg>/<math>, with the integration points
 *   (svg foreignObject/desc/title, math mi/mo/mn/ms/mtext, annotation-xml with an HTML
 *   encoding) where start tags are HTML again, the "breakout" start tags (and </p>, </br>)
 *   that pop back to HTML, and end tags that close foreign elements;
 * - <template> contents are not in the document: a title there is not the document's;
 * - after an accepted <frameset>, start tags other than <noframes> are ignored. A frameset is
 *   accepted before the body starts, or later while frameset-ok holds. The flag is cleared by
 *   the "in body" start tags of the standard's list (FSKILL; <input> unless type=hidden), by
 *   </br>, and by text that is not whitespace or NUL, in data (a character reference counts
 *   by its character) and in CDATA sections (tokenizer.c). A NUL in data does not start the
 *   body either: browsers drop it before tree construction, unlike the standard. A flag a
 *   head <template> cleared is set again when the body starts (as in both browsers, unlike
 *   the standard: cafe__html_tok_fs_clear). The body starts at the first tag not of the head
 *   (HEADISH), and at a <noscript> after </head>: "after head" takes it for body content.
 * For the end tags that leave foreign content, the stack of open elements is kept for HTML
 * elements too, with the implied end tags that matter most (<p> closed by blocks, <li>,
 * <dd>/<dt>, headings, table cells and rows, <option>) and the "in body" end tag rules
 * (scope searches, "any other end tag" stopping at special elements). The insertion modes
 * themselves are not needed: all of them let a <title> through to "in head" processing (the
 * "in select" mode that ignored it is gone from the current standard) except the frameset
 * ones. "First in tree order" differs from first in the source in two ways, both followed: a
 * title inside the body is removed with it by a <frameset> accepted later (while frameset-ok
 * holds), and a title foster-parented before the table that holds the first one comes first.
 * Quirks mode (doctype.h) matters in one rule: a <table> start tag closes an open <p> only
 * outside it.
 * Known simplifications, each found by the gumbo differential test on generated pages, never
 * on real ones: the adoption agency is reduced to its effect on the stack (see
 * cafe__html_stack_adopt()); the list of active formatting elements is bounded, and compares
 * attributes by a fingerprint of names and of a value's first 127 bytes (afe.c); of
 * the template insertion modes only "in column group" is kept (template_ignores()). */
#include <string.h>

#include "html/hot.h"
#include "html/stack.h"

int cafe__html_tree_foreign(const cafe__html_tok_t *tk) {
    return stack_top_kind(tk) != K_HTML;
}

/* ---- start tags ----------------------------------------------------------------------- */

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
CAFE__HOT static int html_start_context(const cafe__html_tok_t *tk, int id) {
    switch (stack_top_kind(tk)) {
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
    while (tk->depth > 0 && stack_top_kind(tk) != K_HTML && !stack_is_ip(stack_top_kind(tk)))
        cafe__html_stack_pop_to(tk, tk->depth - 1);
}

/* A kept value, or NULL when the attribute was absent. */
CAFE__HOT static const char *value(const cafe__html_tok_t *tk, int i) {
    return tk->attrs_seen & (1u << i) ? tk->vals[i] : NULL;
}

CAFE__HOT static void meta(cafe__html_tok_t *tk) {
    tk->cb.meta(tk->cb.ctx, value(tk, CAFE__ATTR_CHARSET), value(tk, CAFE__ATTR_HTTP_EQUIV),
                value(tk, CAFE__ATTR_CONTENT));
}

/* A title start tag. The first one is the document's title, unless it is inside a table and
 * a later one is foster-parented before that very table: that one comes first in tree order
 * (and no later one can come before it). */
CAFE__HOT static int title_start(cafe__html_tok_t *tk) {
    /* open_table counts the HTML tables on the stack exactly: none, no search */
    long table = tk->open_table ? cafe__html_stack_last_table(tk) : -1;
    if (tk->template_depth > 0)
        return CAFE__TOK_RCDATA;
    if (tk->found) {
        if (!tk->title_in_table || table < 0 || !tk->stack[table].holds_title ||
            !cafe__html_stack_before_table(tk, (uint32_t)table))
            return CAFE__TOK_RCDATA;
        tk->stack[table].holds_title = 0;
        tk->title_in_table = 0;
    } else if (table >= 0 && !cafe__html_stack_before_table(tk, (uint32_t)table)) {
        tk->stack[table].holds_title = 1;
        tk->title_in_table = 1;
    }
    tk->found = 1;
    tk->title_in_body = tk->seen_body;
    tk->capturing = 1;
    tk->cb.title_start(tk->cb.ctx);
    return CAFE__TOK_RCDATA;
}

/* <frameset>: accepted before the body starts or while frameset-ok holds; from then on
 * only <noframes> is processed. */
static void frameset(cafe__html_tok_t *tk, int body_started) {
    if (tk->template_depth == 0 && (!body_started || tk->frameset_ok)) {
        tk->frameset = 1;
        cafe__html_stack_pop_to(tk, 0);
        if (tk->found && tk->title_in_body) /* the body goes, with the title in it */
            tk->cb.title_removed(tk->cb.ctx);
    }
}

/* Table parts outside a table (or template) are ignored ("in body"). */
CAFE__HOT static int table_part_outside_table(const cafe__html_tok_t *tk, int id) {
    return cafe__html_stack_table_part(id) && tk->open_table == 0 && tk->template_depth == 0;
}

/* <input type=hidden> is the one input that leaves frameset-ok alone. */
CAFE__HOT static int hidden_input(const cafe__html_tok_t *tk, int id) {
    return id == CAFE__TAG_INPUT && tk->vlen[CAFE__ATTR_TYPE] &&
           ascii_ieq(tk->vals[CAFE__ATTR_TYPE], "hidden");
}

/* "In body", <input> and <select> end a <select> open in scope (since the standard let
 * select hold any content, this is what is left of the old "in select" mode); whether one
 * was. Browsers agree (tests/browser/structure.py). */
CAFE__COLD static int select_ended(cafe__html_tok_t *tk) {
    long i = cafe__html_stack_find(tk, (const int[]){CAFE__TAG_SELECT}, 1, SCOPE_DEFAULT);
    if (i >= 0)
        cafe__html_stack_pop_to(tk, (uint32_t)i);
    return i >= 0;
}

/* "In template", these start tags are processed as in head and leave the template's
 * insertion mode to the next one. */
static int template_head_tag(int id) {
    switch (id) {
    case CAFE__TAG_BASE:
    case CAFE__TAG_BASEFONT:
    case CAFE__TAG_BGSOUND:
    case CAFE__TAG_LINK:
    case CAFE__TAG_META:
    case CAFE__TAG_NOFRAMES:
    case CAFE__TAG_SCRIPT:
    case CAFE__TAG_STYLE:
    case CAFE__TAG_TEMPLATE:
    case CAFE__TAG_TITLE:
        return 1;
    default:
        return 0;
    }
}

/* A template's bit in tmpl_decided and tmpl_columns, by its nesting level (0: the outermost).
 * The levels past 63 share the last bit (a 64th template shares its mode with those in it):
 * no nested template changes the mode of one of the 63 outermost. */
static uint64_t template_level(uint32_t nesting) {
    return 1ull << (nesting < 63 ? nesting : 63);
}

/* The one template insertion mode that ignores markup: contents that begin with <col> are
 * "in column group" with the template as current node, where every start tag but <col> and
 * <template> is dropped, switching no tokenizer state (an <iframe> or <xmp> there does not
 * make the rest of the page text). The other modes insert the tags as "in body" does.
 * Whether this start tag is dropped. */
CAFE__COLD static int template_ignores(cafe__html_tok_t *tk, int id) {
    if (stack_top_id(tk) != CAFE__TAG_TEMPLATE)
        return 0;
    uint64_t level = template_level(tk->template_depth - 1);
    if (!(tk->tmpl_decided & level) && !template_head_tag(id)) {
        tk->tmpl_decided |= level;
        if (id == CAFE__TAG_COL)
            tk->tmpl_columns |= level;
    }
    return (tk->tmpl_columns & level) && id != CAFE__TAG_COL && id != CAFE__TAG_TEMPLATE;
}

/* Does this start tag, processed "in body", reconstruct the active formatting elements? All
 * but the blocks (xmp aside), the head's, and those SP_KEEP_AFE marks. */
static int afe_rebuilds(int id, unsigned flags, unsigned props) {
    if (props & SP_KEEP_AFE)
        return 0;
    return !(flags & (CAFE__TAGF_CLOSEP | CAFE__TAGF_HEADISH)) || id == CAFE__TAG_XMP;
}

/* A start tag in HTML content ("in body" and the modes that defer to it). */
CAFE__HOT static int html_start(cafe__html_tok_t *tk, int id, unsigned flags) {
    if (tk->frameset | tk->template_depth) { /* one test for both, on every start tag */
        if (tk->frameset)
            return id == CAFE__TAG_NOFRAMES ? CAFE__TOK_RAWTEXT : CAFE__TOK_DATA;
        if (template_ignores(tk, id))
            return CAFE__TOK_DATA;
    }
    int body_started = tk->seen_body;
    /* even for a tag then ignored: getting there made it */
    if (!(flags & CAFE__TAGF_HEADISH) || (tk->after_head && id == CAFE__TAG_NOSCRIPT))
        cafe__html_tok_body(tk);
    if (table_part_outside_table(tk, id))
        return CAFE__TOK_DATA;
    if ((flags & CAFE__TAGF_FSKILL) && !hidden_input(tk, id))
        cafe__html_tok_fs_clear(tk);
    cafe__html_stack_implied_ends(tk, id, flags);
    unsigned props = cafe__html_start_props[(uint8_t)id];
    if (tk->afe_stale && afe_rebuilds(id, flags, props))
        cafe__html_afe_reconstruct(tk);
    /* Only tags marked SP_OWN in cafe__html_start_props (stack.c) reach their case: a case
     * added here needs that mark there, or it is never taken. */
    switch (props & SP_OWN ? id : CAFE__TAG_OTHER) {
    case CAFE__TAG_HTML:
    case CAFE__TAG_HEAD:
    case CAFE__TAG_BODY:
        return CAFE__TOK_DATA; /* the stack's base: never popped, not kept */
    case CAFE__TAG_SVG:
    case CAFE__TAG_MATH:
        if (!tk->self_closing)
            cafe__html_stack_push(tk, id == CAFE__TAG_SVG ? K_SVG : K_MATH, 0);
        return CAFE__TOK_DATA;
    case CAFE__TAG_FRAMESET:
        frameset(tk, body_started);
        return CAFE__TOK_DATA;
    case CAFE__TAG_TITLE:
        title_start(tk);
        break;
    case CAFE__TAG_TEMPLATE: {
        tk->head_over = 1;
        uint64_t level = template_level(tk->template_depth++);
        tk->tmpl_decided &= ~level, tk->tmpl_columns &= ~level; /* a new one: undecided */
        break;
    }
    case CAFE__TAG_META:
        if (!tk->no_meta)
            meta(tk);
        break;
    case CAFE__TAG_SELECT:
        if (select_ended(tk))
            return CAFE__TOK_DATA; /* a <select> inside one only ends it */
        break;
    case CAFE__TAG_INPUT:
        select_ended(tk);
        break;
    case CAFE__TAG_FORM:
        /* "in table": inserted and popped at once (or ignored), never left open */
        if (cafe__html_stack_table_mode(tk) >= 0)
            return CAFE__TOK_DATA;
        break;
    default:
        break;
    }
    if (!(flags & CAFE__TAGF_VOID)) {
        cafe__html_stack_push(tk, K_HTML, flags);
        if (props & SP_AFE)
            cafe__html_afe_add(tk);
    }
    return (int)(props & SP_STATE);
}

CAFE__HOT int cafe__html_tree_start(cafe__html_tok_t *tk, int id, unsigned flags) {
    if (html_start_context(tk, id))
        return html_start(tk, id, flags);
    if ((flags & CAFE__TAGF_BREAKOUT) || (id == CAFE__TAG_FONT && tk->font_attr)) {
        breakout(tk);
        return html_start(tk, id, flags);
    }
    /* A foreign element: in the namespace of the adjusted current node. */
    cafe__html_stack_push(tk, foreign_kind(tk, id, stack_top_kind(tk)), 0);
    if (tk->self_closing)
        cafe__html_stack_pop_to(tk, tk->depth - 1);
    return CAFE__TOK_DATA;
}

/* ---- end tags ------------------------------------------------------------------------- */

/* A </template>: it closes the nearest open one, and all it holds; with none on the stack
 * while a full stack dropped some (stack.c), the nearest of those. */
CAFE__APART static void template_end(cafe__html_tok_t *tk) {
    static const int tmpl[] = {CAFE__TAG_TEMPLATE};
    if (tk->lost_templates && cafe__html_stack_find(tk, tmpl, 1, SCOPE_NONE) < 0) {
        cafe__html_stack_pop_to(tk, 0);
        tk->lost_templates--, tk->template_depth--;
        return;
    }
    cafe__html_stack_close_nearest(tk, tmpl, 1, SCOPE_NONE);
}

/* An end tag in HTML content ("in body", with the table modes' end tags). */
CAFE__HOT static void html_end(cafe__html_tok_t *tk, int id, unsigned flags) {
    static const int p[] = {CAFE__TAG_P}, headings[] = {CAFE__TAG_H1, CAFE__TAG_H2, CAFE__TAG_H3,
                                                        CAFE__TAG_H4, CAFE__TAG_H5, CAFE__TAG_H6};
    switch (id) {
    case CAFE__TAG_HEAD:
        tk->head_over = 1;
        tk->after_head |= tk->template_depth == 0; /* in a template it is ignored */
        return;
    case CAFE__TAG_HTML:
    case CAFE__TAG_BODY: /* before the body, these make it ("anything else") */
        cafe__html_tok_body(tk);
        return;
    case CAFE__TAG_BR: /* acts as <br>: body content */
        cafe__html_tok_body(tk);
        cafe__html_tok_fs_clear(tk);
        if (tk->afe_stale)
            cafe__html_afe_reconstruct(tk);
        return;
    case CAFE__TAG_APPLET:
    case CAFE__TAG_MARQUEE:
    case CAFE__TAG_OBJECT: {
        long i = cafe__html_stack_find(tk, NULL, 0, SCOPE_DEFAULT);
        if (i >= 0) {
            cafe__html_stack_pop_to(tk, (uint32_t)i);
            cafe__html_afe_clear(tk); /* their end tag's rule, not their leaving (afe.c) */
        }
        return;
    }
    case CAFE__TAG_FORM: {
        /* Outside templates the form element alone leaves the stack. */
        long i = cafe__html_stack_find(tk, (const int[]){CAFE__TAG_FORM}, 1, SCOPE_DEFAULT);
        if (i >= 0 && tk->template_depth == 0)
            cafe__html_stack_remove_at(tk, (uint32_t)i);
        else if (i >= 0)
            cafe__html_stack_pop_to(tk, (uint32_t)i);
        return;
    }
    case CAFE__TAG_P:
        cafe__html_stack_close_nearest(tk, p, 1, SCOPE_BUTTON);
        return;
    case CAFE__TAG_TEMPLATE:
        template_end(tk); /* a tail call: html_end saves no register for it */
        return;
    case CAFE__TAG_LI:
        cafe__html_stack_close_nearest(tk, NULL, 0, SCOPE_LIST);
        return;
    default:
        break;
    }
    /* A table or a table part (stack.c's one list), but col: it is void, its end tag closes
     * nothing. */
    if (id == CAFE__TAG_TABLE || (cafe__html_stack_table_part(id) && id != CAFE__TAG_COL)) {
        cafe__html_stack_close_nearest(tk, NULL, 0, SCOPE_TABLE);
    } else if (stack_is_heading(id)) {
        cafe__html_stack_close_nearest(tk, headings, 6, SCOPE_DEFAULT);
    } else if (cafe__html_stack_is_formatting(id)) {
        cafe__html_afe_end(tk, 1);
    } else if (flags & CAFE__TAGF_BLOCKEND)
        cafe__html_stack_close_nearest(tk, NULL, 0, SCOPE_DEFAULT);
    else
        cafe__html_stack_any_other_end(tk);
}

/* "Any other end tag" in foreign content: the nearest element of that name (ASCII case
 * folded) before an HTML element; else the HTML rules. */
static void foreign_end(cafe__html_tok_t *tk, int id, unsigned flags) {
    for (uint32_t i = tk->depth; i-- > 0;) {
        if (stack_same_name(tk, &tk->stack[i])) {
            cafe__html_stack_pop_to(tk, i);
            return;
        }
        if (i == 0 || tk->stack[i - 1].kind == K_HTML)
            break;
    }
    html_end(tk, id, flags);
}

CAFE__HOT void cafe__html_tree_end(cafe__html_tok_t *tk, int id, unsigned flags) {
    if (tk->frameset)
        return;
    if (stack_top_kind(tk) == K_HTML) {
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
