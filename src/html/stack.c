/* The stack of open elements (HTML standard 13.2.4.3) as tree.c keeps it: pushes and pops
 * with their bookkeeping, scope searches, the end tags start tags imply, the adoption
 * agency's effect, and foster parenting. */
#include <string.h>

#include "html/hot.h"
#include "html/stack.h"

static int fostering(const cafe__html_tok_t *tk);

/* Is e a table part that foster-parents what would be inserted in it? */
static int foster_target(const cafe__html_elem_t *e) {
    if (e->kind != K_HTML)
        return 0;
    switch (e->id) {
    case CAFE__TAG_TABLE:
    case CAFE__TAG_TBODY:
    case CAFE__TAG_TFOOT:
    case CAFE__TAG_THEAD:
    case CAFE__TAG_TR:
        return 1;
    default:
        return 0;
    }
}

/* stack.h's start tag properties. The states: RCDATA for title and textarea; RAWTEXT for
 * style, xmp, iframe, noembed, noframes and noscript (scripting is on in a browser); script
 * data; PLAINTEXT; the data state (0) for the others. SP_IMPLIES: a, nobr, li, dd, dt,
 * option, optgroup, button and the headings (cafe__html_stack_implied_ends_run's rules by
 * tag). SP_AFE: the formatting elements, and those that put a marker in their list (applet,
 * marquee, object, td, th, caption, template). SP_KEEP_AFE: the "in body" start tags that are
 * neither blocks nor the head's and still reconstruct no formatting elements (textarea,
 * iframe, noembed, param, source, track, frame, body, the table parts). */
const uint8_t cafe__html_start_props[256] = {
    [CAFE__TAG_TITLE] = CAFE__TOK_RCDATA | SP_OWN,
    [CAFE__TAG_TEXTAREA] = CAFE__TOK_RCDATA | SP_KEEP_AFE,
    [CAFE__TAG_STYLE] = CAFE__TOK_RAWTEXT,
    [CAFE__TAG_XMP] = CAFE__TOK_RAWTEXT,
    [CAFE__TAG_IFRAME] = CAFE__TOK_RAWTEXT | SP_KEEP_AFE,
    [CAFE__TAG_NOEMBED] = CAFE__TOK_RAWTEXT | SP_KEEP_AFE,
    [CAFE__TAG_NOFRAMES] = CAFE__TOK_RAWTEXT,
    [CAFE__TAG_NOSCRIPT] = CAFE__TOK_RAWTEXT,
    [CAFE__TAG_SCRIPT] = CAFE__TOK_SCRIPT,
    [CAFE__TAG_PLAINTEXT] = CAFE__TOK_PLAINTEXT,
    [CAFE__TAG_CAPTION] = SP_TABLE_PART | SP_KEEP_AFE | SP_AFE,
    [CAFE__TAG_COL] = SP_TABLE_PART | SP_KEEP_AFE,
    [CAFE__TAG_COLGROUP] = SP_TABLE_PART | SP_KEEP_AFE,
    [CAFE__TAG_TBODY] = SP_TABLE_PART | SP_KEEP_AFE,
    [CAFE__TAG_THEAD] = SP_TABLE_PART | SP_KEEP_AFE,
    [CAFE__TAG_TFOOT] = SP_TABLE_PART | SP_KEEP_AFE,
    [CAFE__TAG_TR] = SP_TABLE_PART | SP_KEEP_AFE,
    [CAFE__TAG_TD] = SP_TABLE_PART | SP_KEEP_AFE | SP_AFE,
    [CAFE__TAG_TH] = SP_TABLE_PART | SP_KEEP_AFE | SP_AFE,
    [CAFE__TAG_A] = SP_IMPLIES | SP_AFE,
    [CAFE__TAG_NOBR] = SP_IMPLIES | SP_AFE,
    [CAFE__TAG_B] = SP_AFE,
    [CAFE__TAG_BIG] = SP_AFE,
    [CAFE__TAG_CODE] = SP_AFE,
    [CAFE__TAG_EM] = SP_AFE,
    [CAFE__TAG_FONT] = SP_AFE,
    [CAFE__TAG_I] = SP_AFE,
    [CAFE__TAG_S] = SP_AFE,
    [CAFE__TAG_SMALL] = SP_AFE,
    [CAFE__TAG_STRIKE] = SP_AFE,
    [CAFE__TAG_STRONG] = SP_AFE,
    [CAFE__TAG_TT] = SP_AFE,
    [CAFE__TAG_U] = SP_AFE,
    [CAFE__TAG_APPLET] = SP_AFE,
    [CAFE__TAG_MARQUEE] = SP_AFE,
    [CAFE__TAG_OBJECT] = SP_AFE,
    [CAFE__TAG_PARAM] = SP_KEEP_AFE,
    [CAFE__TAG_SOURCE] = SP_KEEP_AFE,
    [CAFE__TAG_TRACK] = SP_KEEP_AFE,
    [CAFE__TAG_FRAME] = SP_KEEP_AFE,
    [CAFE__TAG_LI] = SP_IMPLIES,
    [CAFE__TAG_DD] = SP_IMPLIES,
    [CAFE__TAG_DT] = SP_IMPLIES,
    [CAFE__TAG_OPTION] = SP_IMPLIES,
    [CAFE__TAG_OPTGROUP] = SP_IMPLIES,
    [CAFE__TAG_BUTTON] = SP_IMPLIES,
    [CAFE__TAG_H1] = SP_IMPLIES,
    [CAFE__TAG_H2] = SP_IMPLIES,
    [CAFE__TAG_H3] = SP_IMPLIES,
    [CAFE__TAG_H4] = SP_IMPLIES,
    [CAFE__TAG_H5] = SP_IMPLIES,
    [CAFE__TAG_H6] = SP_IMPLIES,
    [CAFE__TAG_HTML] = SP_OWN,
    [CAFE__TAG_HEAD] = SP_OWN,
    [CAFE__TAG_BODY] = SP_OWN | SP_KEEP_AFE,
    [CAFE__TAG_SVG] = SP_OWN,
    [CAFE__TAG_MATH] = SP_OWN,
    [CAFE__TAG_FRAMESET] = SP_OWN,
    [CAFE__TAG_TEMPLATE] = SP_OWN | SP_AFE,
    [CAFE__TAG_META] = SP_OWN,
    [CAFE__TAG_SELECT] = SP_OWN,
    [CAFE__TAG_INPUT] = SP_OWN,
    [CAFE__TAG_FORM] = SP_OWN,
};

/* Start tags the table modes insert in the table itself; others there are foster-parented.
 * (A <form> there is inserted and popped at once: tree.c never pushes it.) */
CAFE__HOT static int in_table_element(int id) {
    return cafe__html_stack_table_part(id) || id == CAFE__TAG_TABLE || id == CAFE__TAG_STYLE ||
           id == CAFE__TAG_SCRIPT || id == CAFE__TAG_TEMPLATE;
}

/* Keeps the open_* counters as element e enters (+1) or leaves (-1) the stack. */
CAFE__HOT static void count(cafe__html_tok_t *tk, const cafe__html_elem_t *e, int d) {
    if (e->kind != K_HTML)
        return;
    if (e->id == CAFE__TAG_P)
        tk->open_p += (uint32_t)d;
    else if (e->id == CAFE__TAG_A)
        tk->open_a += (uint32_t)d;
    else if (e->id == CAFE__TAG_TABLE)
        tk->open_table += (uint32_t)d;
}

/* A full stack forgets a quarter of its elements: from the middle, as the outermost (the <svg>
 * or <math> root, a <table>, a <template>: an end tag after any number of children closes
 * them in a browser, which keeps every open element) and the innermost (the current node and
 * its scope) matter most to the title. A <template> is never forgotten, or its contents would
 * never end, nor an element where the namespace or integration point changes (an <svg> or
 * <math> in HTML, a foreignObject or <mi> in it, HTML in that), or its end tag would leave
 * foreign content open; a middle of those only, the oldest quarter goes (its templates
 * counted in lost_templates: tree.c closes them at their end tags). The caller recounts. */
CAFE__COLD static void drop_middle(cafe__html_tok_t *tk) {
    enum { KEEP = CAFE__HTML_STACK_MAX / 4, DROP = CAFE__HTML_STACK_MAX / 4 };
    uint32_t kept = KEEP, dropped = 0;
    for (uint32_t i = KEEP; i < tk->depth; i++) {
        const cafe__html_elem_t *e = &tk->stack[i];
        int boundary = e->kind != tk->stack[i - 1].kind; /* the one below as it was */
        if (dropped < DROP && !boundary && !(e->kind == K_HTML && e->id == CAFE__TAG_TEMPLATE))
            dropped++;
        else
            tk->stack[kept++] = *e;
    }
    if (dropped == 0) { /* templates and boundaries all the way: the oldest go */
        for (uint32_t i = 0; i < DROP; i++) /* still open: a </template> closes each */
            if (tk->stack[i].kind == K_HTML && tk->stack[i].id == CAFE__TAG_TEMPLATE &&
                tk->lost_templates < UINT16_MAX)
                tk->lost_templates++;
        memmove(tk->stack, tk->stack + DROP, (tk->depth - DROP) * sizeof tk->stack[0]);
        kept = tk->depth - DROP;
    }
    tk->depth = kept;
}

CAFE__HOT void cafe__html_stack_push(cafe__html_tok_t *tk, int kind, unsigned flags) {
    int fostered = tk->open_table && fostering(tk) && !in_table_element(tk->id);
    if (tk->depth == CAFE__HTML_STACK_MAX) {
        drop_middle(tk);
        tk->open_p = tk->open_a = tk->open_table = 0;
        tk->nafe = tk->afe_stale = 0; /* entries whose elements went would be opened again */
        tk->title_in_table = 0;       /* if its table was dropped, nothing can come before it */
        for (uint32_t i = 0; i < tk->depth; i++) {
            count(tk, &tk->stack[i], 1);
            tk->title_in_table |= tk->stack[i].holds_title;
        }
    }
    cafe__html_elem_t *e = &tk->stack[tk->depth++];
    e->w0 = tk->w0, e->w1 = tk->w1, e->len = tk->name_len, e->id = tk->id;
    e->kind = (uint8_t)kind, e->flags = (uint8_t)flags, e->holds_title = 0;
    e->fostered = (uint8_t)fostered;
    e->serial = ++tk->serial ? tk->serial : ++tk->serial; /* 0 is a marker's (afe.c) */
    count(tk, e, 1);
}

void cafe__html_stack_push_as(cafe__html_tok_t *tk, uint64_t w0, uint64_t w1, uint8_t len, int id,
                              unsigned flags) {
    uint64_t tw0 = tk->w0, tw1 = tk->w1;
    uint8_t tlen = tk->name_len, tag = tk->id;
    tk->w0 = w0, tk->w1 = w1, tk->name_len = len, tk->id = (uint8_t)id;
    cafe__html_stack_push(tk, K_HTML, flags);
    tk->w0 = tw0, tk->w1 = tw1, tk->name_len = tlen, tk->id = tag;
}

/* Bookkeeping for an element leaving the stack. */
static void forget(cafe__html_tok_t *tk, const cafe__html_elem_t *e) {
    if (e->kind != K_HTML)
        return;
    if (e->holds_title)
        tk->title_in_table = 0;
    if (e->id == CAFE__TAG_TEMPLATE && tk->template_depth > 0)
        tk->template_depth--;
    if (tk->nafe > 0 && (cafe__html_start_props[e->id] & SP_AFE))
        cafe__html_afe_left(tk, e);
    count(tk, e, -1);
}

/* Pops the element at index i and everything above it. */
void cafe__html_stack_pop_to(cafe__html_tok_t *tk, uint32_t i) {
    while (tk->depth > i)
        forget(tk, &tk->stack[--tk->depth]);
}

static int ends_scope(const cafe__html_elem_t *e, int scope) {
    if (scope == SCOPE_NONE)
        return 0;
    if (e->kind != K_HTML)
        return scope != SCOPE_TABLE && stack_foreign_special(e->kind);
    if (scope == SCOPE_TABLE)
        return e->id == CAFE__TAG_HTML || e->id == CAFE__TAG_TABLE || e->id == CAFE__TAG_TEMPLATE;
    return (e->flags & CAFE__TAGF_SCOPE) || (scope == SCOPE_BUTTON && e->id == CAFE__TAG_BUTTON) ||
           (scope == SCOPE_LIST && (e->id == CAFE__TAG_OL || e->id == CAFE__TAG_UL));
}

/* The nearest HTML element with one of ids[0..n) (or, with n == 0, the token's name) in
 * the scope; its index, or -1. */
long cafe__html_stack_find(const cafe__html_tok_t *tk, const int *ids, int n, int scope) {
    for (uint32_t i = tk->depth; i-- > 0;) {
        const cafe__html_elem_t *e = &tk->stack[i];
        if (e->kind == K_HTML) {
            for (int k = 0; k < n; k++) {
                if (e->id == ids[k])
                    return i;
            }
            if (n == 0 && stack_same_name(tk, e))
                return i;
        }
        if (ends_scope(e, scope))
            return -1;
    }
    return -1;
}

void cafe__html_stack_close_nearest(cafe__html_tok_t *tk, const int *ids, int n, int scope) {
    long i = cafe__html_stack_find(tk, ids, n, scope);
    if (i >= 0)
        cafe__html_stack_pop_to(tk, (uint32_t)i);
}

void cafe__html_stack_any_other_end(cafe__html_tok_t *tk) {
    for (uint32_t i = tk->depth; i-- > 0;) {
        const cafe__html_elem_t *e = &tk->stack[i];
        if (e->kind == K_HTML && stack_same_name(tk, e)) {
            cafe__html_stack_pop_to(tk, i);
            return;
        }
        if (stack_special(e))
            return;
    }
}

/* Takes the element at index i out of the stack, leaving those above it open. */
void cafe__html_stack_remove_at(cafe__html_tok_t *tk, uint32_t i) {
    forget(tk, &tk->stack[i]);
    memmove(tk->stack + i, tk->stack + i + 1, (tk->depth - i - 1) * sizeof tk->stack[0]);
    tk->depth--;
}

/* Whether the adoption agency keeps the element at index k (above the formatting element,
 * at most at the last special element it reaches): a special element, or a formatting one
 * at most three elements below the next special one (the inner loop's count; the deeper
 * ones leave the list of active formatting elements too). */
static int adopt_keeps(cafe__html_tok_t *tk, uint32_t k, uint32_t last) {
    const cafe__html_elem_t *e = &tk->stack[k];
    if (stack_special(e))
        return 1;
    if (e->kind != K_HTML || !cafe__html_stack_is_formatting(e->id))
        return 0;
    for (uint32_t j = k + 1; j <= last && j <= k + 3; j++) {
        if (stack_special(&tk->stack[j]))
            return 1;
    }
    cafe__html_afe_drop(tk, e);
    return 0;
}

/* Eight rounds of the adoption agency, the eighth special element at index last: the
 * elements it passes that are neither special nor formatting go, the formatting element
 * moves just above the eighth, and everything above that stays. Returns 1 (still open). */
CAFE__COLD static int adopt_eight(cafe__html_tok_t *tk, uint32_t i, uint32_t last) {
    cafe__html_elem_t fe = tk->stack[i];
    uint32_t keep = i;
    for (uint32_t k = i + 1; k <= last; k++) { /* reads ahead of k, writes at or below it */
        if (adopt_keeps(tk, k, last))
            tk->stack[keep++] = tk->stack[k];
        else
            forget(tk, &tk->stack[k]);
    }
    tk->stack[keep++] = fe;
    for (uint32_t k = last + 1; k < tk->depth; k++)
        tk->stack[keep++] = tk->stack[k];
    tk->depth = keep;
    if (i > 0 && foster_target(&tk->stack[i - 1]))
        tk->stack[i].fostered = 1;
    return 1;
}

/* The adoption agency's effect on the stack, for the formatting element at index i. Without
 * a special element above it, everything from it up is popped. With some, each round of the
 * algorithm moves (a clone of) the formatting element just above the next special element,
 * dropping the other elements it passes (formatting ones at most three below the next
 * special element are cloned and stay: adopt_keeps), until no
 * special element is left above it and it is popped with what is above: so what remains is
 * the stack below i plus the special and formatting elements up to the last special one.
 * The algorithm stops after eight rounds, though: with eight special elements or more, the
 * formatting element stays open just above the eighth, under the rest. */
int cafe__html_stack_adopt(cafe__html_tok_t *tk, uint32_t i) {
    enum { ROUNDS = 8 }; /* the outer loop's limit */
    uint32_t last = i, rounds = 0;
    for (uint32_t k = i + 1; k < tk->depth && rounds < ROUNDS; k++) {
        if (stack_special(&tk->stack[k]))
            last = k, rounds++;
    }
    if (rounds == ROUNDS)
        return adopt_eight(tk, i, last);
    uint32_t keep = i;
    for (uint32_t k = i + 1; k <= last; k++) {
        if (adopt_keeps(tk, k, last))
            tk->stack[keep++] = tk->stack[k];
        else
            forget(tk, &tk->stack[k]);
    }
    for (uint32_t k = last + 1; k < tk->depth; k++)
        forget(tk, &tk->stack[k]);
    if (last == i) /* no special element: the formatting element goes too */
        forget(tk, &tk->stack[i]);
    tk->depth = keep;
    /* The lowest element kept is inserted in the common ancestor, the element below i; when
     * that is a table part, the table modes' foster parenting puts it before the table. */
    if (keep > i && i > 0 && foster_target(&tk->stack[i - 1]))
        tk->stack[i].fostered = 1;
    return 0;
}

/* <li>, <dd>, <dt>: close the previous item unless a special element (other than address,
 * div, p) comes first. */
static void close_item(cafe__html_tok_t *tk, int a, int b) {
    for (uint32_t i = tk->depth; i-- > 0;) {
        const cafe__html_elem_t *e = &tk->stack[i];
        if (e->kind == K_HTML && (e->id == a || e->id == b)) {
            cafe__html_stack_pop_to(tk, i);
            return;
        }
        if (stack_special(e) && e->id != CAFE__TAG_ADDRESS && e->id != CAFE__TAG_DIV &&
            e->id != CAFE__TAG_P)
            return;
    }
}

/* Pushes an element the table modes insert unasked, <tbody> or <tr>. */
static void push_implied(cafe__html_tok_t *tk, int id) {
    int tbody = id == CAFE__TAG_TBODY;
    cafe__html_stack_push_as(tk, tbody ? 0x79646F6274u : 0x7274u, 0, tbody ? 5 : 2, id,
                             CAFE__TAGF_SPECIAL | CAFE__TAGF_BLOCKEND);
}

/* "In table" puts a row outside a row group in an implied <tbody>, and "in table body" a
 * cell outside a row in an implied <tr>, each after clearing the stack back to its context;
 * a later </tbody> or </tr> then finds them (and closes what was opened inside). */
CAFE__APART static void implied_starts(cafe__html_tok_t *tk, int id) {
    static const int table[] = {CAFE__TAG_TABLE}, row[] = {CAFE__TAG_TR},
                     sections[] = {CAFE__TAG_TBODY, CAFE__TAG_THEAD, CAFE__TAG_TFOOT};
    long t = cafe__html_stack_find(tk, table, 1, SCOPE_TABLE);
    if (t < 0)
        return; /* in a template, or no table: no context to complete */
    long sec = cafe__html_stack_find(tk, sections, 3, SCOPE_TABLE);
    if (sec < 0) {
        cafe__html_stack_pop_to(tk, (uint32_t)t + 1);
        push_implied(tk, CAFE__TAG_TBODY);
        sec = (long)tk->depth - 1;
    }
    if (id != CAFE__TAG_TR && cafe__html_stack_find(tk, row, 1, SCOPE_TABLE) < 0) {
        cafe__html_stack_pop_to(tk, (uint32_t)sec + 1);
        push_implied(tk, CAFE__TAG_TR);
    }
}

/* The index of the table, row group or row whose insertion mode ("in table", "in table
 * body", "in row") is the current one, or -1. Elements open above it, with no cell, caption
 * or template between, were foster-parented before the table: the mode stays. */
long cafe__html_stack_table_mode(const cafe__html_tok_t *tk) {
    if (tk->open_table == 0)
        return -1;
    for (uint32_t i = tk->depth; i-- > 0;) {
        const cafe__html_elem_t *e = &tk->stack[i];
        if (foster_target(e))
            return (long)i;
        if (e->kind != K_HTML)
            continue;
        switch (e->id) {
        case CAFE__TAG_TD:
        case CAFE__TAG_TH:
        case CAFE__TAG_CAPTION:
        case CAFE__TAG_COLGROUP:
        case CAFE__TAG_TEMPLATE:
            return -1; /* another mode's: it closes what it must itself */
        default:
            break;
        }
    }
    return -1;
}

/* "Clear the stack back to a table context" (or a row group's, or a row's): a table part or
 * a table start tag in a table mode ends the elements foster-parented before the table. */
static void clear_to_table_context(cafe__html_tok_t *tk) {
    long i = cafe__html_stack_table_mode(tk);
    if (i >= 0)
        cafe__html_stack_pop_to(tk, (uint32_t)i + 1);
}

/* The table modes' implied ends: foster-parented elements, a caption, a column group, the
 * last table, cells, rows and row groups that a new table part closes; then the row group
 * and row a row or cell implies. */
static void table_ends(cafe__html_tok_t *tk, int id) {
    static const int caption[] = {CAFE__TAG_CAPTION}, table[] = {CAFE__TAG_TABLE},
                     cells[] = {CAFE__TAG_TD, CAFE__TAG_TH}, row[] = {CAFE__TAG_TR},
                     sections[] = {CAFE__TAG_TBODY, CAFE__TAG_THEAD, CAFE__TAG_TFOOT};
    int part = cafe__html_stack_table_part(id);
    if (part || id == CAFE__TAG_TABLE)
        clear_to_table_context(tk);
    if (part) /* "in caption" */
        cafe__html_stack_close_nearest(tk, caption, 1, SCOPE_TABLE);
    if (id == CAFE__TAG_TABLE && fostering(tk)) /* "in table": a table ends the last one */
        cafe__html_stack_close_nearest(tk, table, 1, SCOPE_TABLE);
    if (id != CAFE__TAG_COL && stack_top_id(tk) == CAFE__TAG_COLGROUP) /* "in column group" */
        cafe__html_stack_pop_to(tk, tk->depth - 1);
    if (!part)
        return;
    /* Each mode closes its element and passes the tag on: "in cell", every table part ends
     * the cell; "in row", all but a cell end the row; "in table body", all but a cell or a
     * row end the row group. */
    int cell = id == CAFE__TAG_TD || id == CAFE__TAG_TH;
    cafe__html_stack_close_nearest(tk, cells, 2, SCOPE_TABLE);
    if (!cell)
        cafe__html_stack_close_nearest(tk, row, 1, SCOPE_TABLE);
    if (!cell && id != CAFE__TAG_TR)
        cafe__html_stack_close_nearest(tk, sections, 3, SCOPE_TABLE);
    /* the usual case, a cell in a row or a row in a row group, needs no search */
    int top = stack_top_id(tk);
    int in_group = top == CAFE__TAG_TBODY || top == CAFE__TAG_THEAD || top == CAFE__TAG_TFOOT;
    if ((id == CAFE__TAG_TR && !in_group) || (cell && top != CAFE__TAG_TR))
        implied_starts(tk, id);
}

/* Each rule below needs a test of stack_may_imply (stack.h) to hold: a tag for which none
 * holds is never brought here. */
void cafe__html_stack_implied_ends_run(cafe__html_tok_t *tk, int id, unsigned flags) {
    static const int p[] = {CAFE__TAG_P};
    if ((id == CAFE__TAG_A && (tk->open_a > 0 || tk->nafe > 0)) || id == CAFE__TAG_NOBR)
        cafe__html_afe_end(tk, id == CAFE__TAG_NOBR); /* an open <a> (<nobr>) goes first */
    if (id == CAFE__TAG_BUTTON) { /* a button in scope ends, with what is open in it */
        long i = cafe__html_stack_find(tk, (const int[]){id}, 1, SCOPE_DEFAULT);
        if (i >= 0)
            cafe__html_stack_pop_to(tk, (uint32_t)i);
    }
    if (id == CAFE__TAG_LI)
        close_item(tk, CAFE__TAG_LI, CAFE__TAG_LI);
    else if (id == CAFE__TAG_DD || id == CAFE__TAG_DT)
        close_item(tk, CAFE__TAG_DD, CAFE__TAG_DT);
    /* in quirks mode a <table> leaves the <p> open: the table goes inside it */
    if ((flags & CAFE__TAGF_CLOSEP) && tk->open_p > 0 && !(id == CAFE__TAG_TABLE && tk->quirks))
        cafe__html_stack_close_nearest(tk, p, 1, SCOPE_BUTTON);
    if (stack_is_heading(id) && stack_is_heading(stack_top_id(tk)))
        cafe__html_stack_pop_to(tk, tk->depth - 1);
    if ((id == CAFE__TAG_OPTION || id == CAFE__TAG_OPTGROUP) &&
        stack_top_id(tk) == CAFE__TAG_OPTION)
        cafe__html_stack_pop_to(tk, tk->depth - 1);
    if (tk->open_table > 0 || tk->template_depth > 0)
        table_ends(tk, id);
}

/* The last table on the stack (foster parenting's target), or -1. */
long cafe__html_stack_last_table(const cafe__html_tok_t *tk) {
    return cafe__html_stack_find(tk, (const int[]){CAFE__TAG_TABLE}, 1, SCOPE_NONE);
}

/* Would an element inserted now be foster-parented (current node a table part)? */
static int fostering(const cafe__html_tok_t *tk) {
    return tk->open_table > 0 && foster_target(&tk->stack[tk->depth - 1]);
}

/* Would an element inserted now land before the table at index `table`: foster-parented
 * itself, or inside an element that was? */
int cafe__html_stack_before_table(const cafe__html_tok_t *tk, uint32_t table) {
    if (fostering(tk))
        return 1;
    for (uint32_t i = tk->depth; i-- > table + 1;) {
        if (tk->stack[i].fostered)
            return 1;
    }
    return 0;
}
