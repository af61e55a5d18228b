/* The tokenizer states of the HTML standard (13.2.5), one handler per group of states.
 * A handler consumes what it can of [p, end) and returns where it stopped; it "reconsumes"
 * a byte by changing tk->state without advancing. Runs of bytes no state cares about are
 * skipped with memchr. States that differ only in parse errors are merged: the comment
 * less-than-sign states (they lead to the same transitions as plain comment bytes), and
 * every DOCTYPE state (each of them ends at the next '>'). Character references need no
 * state here: they never consume a byte that matters to the tokenizer; the title's own are
 * decoded in text.c. */
#include <string.h>

#include "html/charref.h"
#include "html/tags.h"
#include "html/tokenizer.h"

enum {
    S_DATA = CAFE__TOK_DATA,
    S_RCDATA = CAFE__TOK_RCDATA,
    S_RAWTEXT = CAFE__TOK_RAWTEXT,
    S_SCRIPT = CAFE__TOK_SCRIPT,
    S_PLAINTEXT = CAFE__TOK_PLAINTEXT,
    S_TAG_OPEN,
    S_END_TAG_OPEN,
    S_TAG_NAME,
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
    S_BEFORE_ATTR_NAME,
    S_ATTR_NAME,
    S_AFTER_ATTR_NAME,
    S_BEFORE_ATTR_VALUE,
    S_ATTR_VALUE_DQ,
    S_ATTR_VALUE_SQ,
    S_ATTR_VALUE_UQ,
    S_AFTER_ATTR_VALUE_Q,
    S_SELF_CLOSING,
    S_BOGUS_COMMENT,
    S_MDO,
    S_COMMENT_START,
    S_COMMENT_START_DASH,
    S_COMMENT,
    S_COMMENT_END_DASH,
    S_COMMENT_END,
    S_COMMENT_END_BANG,
    S_DOCTYPE,
    S_CDATA,
    S_CDATA_BRACKET,
    S_CDATA_END,
};

enum { A_COLOR = CAFE__ATTR_COUNT, A_FACE, A_SIZE, A_NONE = 255 };

typedef const unsigned char *cur_t;

static int is_ws(unsigned c) {
    return c == ' ' || c == '\n' || c == '\t' || c == '\f' || c == '\r';
}

static int is_alpha(unsigned c) {
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static unsigned char lower(unsigned c) {
    return (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c == 0 ? 0xFD : c);
}

void cafe__html_tok_init(cafe__html_tok_t *tk, const cafe__html_tok_cb_t *cb) {
    memset(tk, 0, offsetof(cafe__html_tok_t, stack));
    tk->cb = *cb;
    tk->state = S_DATA;
    tk->frameset_ok = 1;
}

int cafe__html_tok_hopeless(const cafe__html_tok_t *tk) {
    return tk->state == S_PLAINTEXT && !tk->capturing;
}

static void title_text(cafe__html_tok_t *tk, cur_t p, size_t n) {
    if (tk->capturing && n > 0)
        tk->cb.title_text(tk->cb.ctx, p, n);
}

/* Text in the data state: any non-whitespace means the body has started. */
static void data_text(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    for (; p < end; p++) {
        if (!is_ws(*p)) {
            tk->seen_body = 1;
            tk->frameset_ok = 0;
            return;
        }
    }
}

/* ---- tags ---------------------------------------------------------------------------- */

static void name_reset(cafe__html_tok_t *tk) {
    tk->name_len = 0;
    tk->w0 = tk->w1 = 0;
}

static void name_add(cafe__html_tok_t *tk, unsigned c) {
    unsigned i = tk->name_len;
    if (i < 8)
        tk->w0 |= (uint64_t)lower(c) << (8 * i);
    else if (i < 16)
        tk->w1 |= (uint64_t)lower(c) << (8 * (i - 8));
    if (i < 255)
        tk->name_len++;
}

static int tag_lookup(uint64_t w0, uint64_t w1, unsigned len, unsigned *flags) {
    size_t lo = 0, hi = cafe__html_tag_count;
    *flags = 0;
    if (len > 16)
        return CAFE__TAG_OTHER;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const cafe__html_tag_t *t = &cafe__html_tags[mid];
        if (t->w0 == w0 && t->w1 == w1) {
            *flags = t->flags;
            return t->id;
        }
        if (w0 < t->w0 || (w0 == t->w0 && w1 < t->w1))
            hi = mid;
        else
            lo = mid + 1;
    }
    return CAFE__TAG_OTHER;
}

static void tag_begin(cafe__html_tok_t *tk, int end_tag) {
    name_reset(tk);
    tk->end_tag = (uint8_t)end_tag;
    tk->self_closing = 0;
    tk->want_attrs = 0;
    tk->attrs_seen = 0;
    tk->font_attr = 0;
    memset(tk->vlen, 0, sizeof tk->vlen);
}

/* The tag name is complete: which tag is it, and do its attributes matter? */
static void tag_named(cafe__html_tok_t *tk) {
    unsigned flags;
    tk->id = (uint8_t)tag_lookup(tk->w0, tk->w1, tk->name_len, &flags);
    tk->tag_flags = (uint8_t)flags;
    tk->want_attrs = !tk->end_tag && (tk->id == CAFE__TAG_FONT || tk->id == CAFE__TAG_META ||
                                      tk->id == CAFE__TAG_ANNOTATION_XML);
}

/* Emits the tag to tree construction; the tokenizer goes where the tree says. */
static void tag_emit(cafe__html_tok_t *tk) {
    if (tk->end_tag) {
        cafe__html_tree_end(tk, tk->id, tk->tag_flags);
        tk->state = S_DATA;
        return;
    }
    for (int i = 0; i < CAFE__ATTR_COUNT; i++) {
        tk->vals[i][tk->vlen[i]] = 0;
        if (memchr(tk->vals[i], '&', tk->vlen[i])) {
            char tmp[CAFE__HTML_ATTR_MAX];
            size_t n = cafe__html_attr_decode(tk->vals[i], tk->vlen[i], tmp, sizeof tmp);
            memcpy(tk->vals[i], tmp, n + 1);
            tk->vlen[i] = (uint8_t)n;
        }
    }
    tk->state = (uint8_t)cafe__html_tree_start(tk, tk->id, tk->tag_flags);
    tk->raw_w0 = tk->w0, tk->raw_w1 = tk->w1;
}

static cur_t st_tag_open(cafe__html_tok_t *tk, cur_t p) {
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
    if (is_alpha(c)) {
        tag_begin(tk, 0);
        tk->state = S_TAG_NAME;
    } else if (c == '?') {
        tk->state = S_BOGUS_COMMENT;
    } else {
        tk->seen_body = 1; /* the '<' is text */
        tk->frameset_ok = 0;
        tk->state = S_DATA;
    }
    return p;
}

static cur_t st_end_tag_open(cafe__html_tok_t *tk, cur_t p) {
    if (is_alpha(*p)) {
        tag_begin(tk, 1);
        tk->state = S_TAG_NAME;
        return p;
    }
    if (*p == '>') {
        tk->state = S_DATA;
        return p + 1;
    }
    tk->state = S_BOGUS_COMMENT;
    return p;
}

/* After a tag name or attribute value: whitespace, '/' or '>' decide what comes next. */
static int tag_delim(cafe__html_tok_t *tk, unsigned c) {
    if (is_ws(c))
        tk->state = S_BEFORE_ATTR_NAME;
    else if (c == '/')
        tk->state = S_SELF_CLOSING;
    else if (c == '>')
        tag_emit(tk);
    else
        return 0;
    return 1;
}

static cur_t st_tag_name(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    for (; p < end; p++) {
        unsigned c = *p;
        if (is_ws(c) || c == '/' || c == '>') {
            tag_named(tk);
            tag_delim(tk, c);
            return p + 1;
        }
        name_add(tk, c);
    }
    return p;
}

/* ---- attributes ---------------------------------------------------------------------- */

static void attr_begin(cafe__html_tok_t *tk) {
    tk->attr_len = 0;
    tk->attr_id = A_NONE;
}

static int attr_is(const cafe__html_tok_t *tk, const char *name) {
    size_t n = strlen(name);
    return tk->attr_len == n && memcmp(tk->attr_name, name, n) == 0;
}

/* The attribute name is complete: is it one we keep (the first of its name only)? */
static void attr_named(cafe__html_tok_t *tk) {
    static const char *const names[] = {"encoding", "charset", "http-equiv", "content",
                                        "color",    "face",    "size"};
    tk->attr_id = A_NONE;
    if (!tk->want_attrs)
        return;
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (attr_is(tk, names[i]) && !(tk->attrs_seen & (1u << i))) {
            tk->attrs_seen |= (uint8_t)(1u << i);
            tk->attr_id = (uint8_t)i;
            if (i >= A_COLOR && tk->id == CAFE__TAG_FONT)
                tk->font_attr = 1;
        }
    }
}

static void attr_value(cafe__html_tok_t *tk, cur_t p, size_t n) {
    if (tk->attr_id >= CAFE__ATTR_COUNT)
        return;
    size_t have = tk->vlen[tk->attr_id], room = CAFE__HTML_ATTR_MAX - 1 - have;
    if (n > room)
        n = room;
    memcpy(tk->vals[tk->attr_id] + have, p, n);
    tk->vlen[tk->attr_id] = (uint8_t)(have + n);
}

static cur_t st_before_attr_name(cafe__html_tok_t *tk, cur_t p) {
    unsigned c = *p;
    if (is_ws(c))
        return p + 1;
    if (c == '/' || c == '>') {
        tk->state = S_AFTER_ATTR_NAME;
        return p;
    }
    attr_begin(tk);
    tk->state = S_ATTR_NAME;
    if (c != '=')
        return p;
    tk->attr_name[tk->attr_len++] = '=';
    return p + 1;
}

static cur_t st_attr_name(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    for (; p < end; p++) {
        unsigned c = *p;
        if (is_ws(c) || c == '/' || c == '>') {
            attr_named(tk);
            tk->state = S_AFTER_ATTR_NAME;
            return p;
        }
        if (c == '=') {
            attr_named(tk);
            tk->state = S_BEFORE_ATTR_VALUE;
            return p + 1;
        }
        if (tk->attr_len < sizeof tk->attr_name)
            tk->attr_name[tk->attr_len] = (char)lower(c);
        if (tk->attr_len < 255)
            tk->attr_len++;
    }
    return p;
}

static cur_t st_after_attr_name(cafe__html_tok_t *tk, cur_t p) {
    unsigned c = *p;
    if (is_ws(c))
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

static cur_t st_before_attr_value(cafe__html_tok_t *tk, cur_t p) {
    unsigned c = *p;
    if (is_ws(c))
        return p + 1;
    if (c == '"' || c == '\'') {
        tk->state = c == '"' ? S_ATTR_VALUE_DQ : S_ATTR_VALUE_SQ;
        return p + 1;
    }
    if (c == '>') {
        tag_emit(tk);
        return p + 1;
    }
    tk->state = S_ATTR_VALUE_UQ;
    return p;
}

static cur_t st_attr_value_quoted(cafe__html_tok_t *tk, cur_t p, cur_t end, int quote) {
    cur_t q = memchr(p, quote, (size_t)(end - p));
    attr_value(tk, p, (size_t)((q ? q : end) - p));
    if (!q)
        return end;
    tk->state = S_AFTER_ATTR_VALUE_Q;
    return q + 1;
}

static cur_t st_attr_value_unquoted(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    cur_t q = p;
    while (q < end && !is_ws(*q) && *q != '>')
        q++;
    attr_value(tk, p, (size_t)(q - p));
    if (q == end)
        return end;
    tag_delim(tk, *q);
    return q + 1;
}

static cur_t st_after_attr_value_quoted(cafe__html_tok_t *tk, cur_t p) {
    if (tag_delim(tk, *p))
        return p + 1;
    tk->state = S_BEFORE_ATTR_NAME;
    return p;
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

/* ---- RCDATA, RAWTEXT, script data: the appropriate end tag ---------------------------- */

static cur_t st_text(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    cur_t lt = memchr(p, '<', (size_t)(end - p));
    title_text(tk, p, (size_t)((lt ? lt : end) - p));
    if (!lt)
        return end;
    tk->ret = tk->state;
    tk->state = S_TEXT_LT;
    return lt + 1;
}

static cur_t st_text_lt(cafe__html_tok_t *tk, cur_t p) {
    if (*p == '/') {
        tk->state = S_TEXT_END_OPEN;
        return p + 1;
    }
    if (*p == '!' && tk->ret == S_SCRIPT) {
        tk->state = S_SCRIPT_ESC_START;
        return p + 1;
    }
    title_text(tk, (cur_t) "<", 1);
    tk->state = tk->ret;
    return p;
}

static cur_t st_text_end_open(cafe__html_tok_t *tk, cur_t p) {
    if (is_alpha(*p)) {
        name_reset(tk);
        tk->tmp_len = 0;
        tk->state = S_TEXT_END_NAME;
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

static cur_t st_text_end_name(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    for (; p < end; p++) {
        unsigned c = *p;
        if (is_alpha(c) && tk->tmp_len < sizeof tk->tmp) {
            name_add(tk, c);
            tk->tmp[tk->tmp_len++] = (unsigned char)c;
            continue;
        }
        if ((is_ws(c) || c == '/' || c == '>') && tk->w0 == tk->raw_w0 && tk->w1 == tk->raw_w1 &&
            tk->name_len <= 16) {
            if (tk->capturing && tk->ret == S_RCDATA) {
                tk->capturing = 0;
                tk->cb.title_end(tk->cb.ctx);
            }
            tag_begin(tk, 1);
            tk->w0 = tk->raw_w0, tk->w1 = tk->raw_w1, tk->name_len = tk->tmp_len;
            tag_named(tk);
            tag_delim(tk, c);
            return p + 1;
        }
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
    tk->state = is_alpha(*p) ? S_SCRIPT_DBL_START : S_SCRIPT_ESC;
    return p;
}

/* "script" followed by a delimiter toggles double escaping; tmp holds the letters. */
static cur_t st_script_dbl_toggle(cafe__html_tok_t *tk, cur_t p) {
    unsigned c = *p;
    int starting = tk->state == S_SCRIPT_DBL_START;
    unsigned stay = starting ? S_SCRIPT_ESC : S_SCRIPT_DBL;
    if (is_ws(c) || c == '/' || c == '>') {
        int is_script = tk->tmp_len == 6 && memcmp(tk->tmp, "script", 6) == 0;
        tk->state = (uint8_t)(is_script ? (starting ? S_SCRIPT_DBL : S_SCRIPT_ESC) : stay);
        return p + 1;
    }
    if (is_alpha(c)) {
        if (tk->tmp_len < 7)
            tk->tmp[tk->tmp_len++] = lower(c);
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
static cur_t st_script(cafe__html_tok_t *tk, cur_t p, cur_t end) {
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

static cur_t skip_to(cafe__html_tok_t *tk, cur_t p, cur_t end, int c, int next) {
    cur_t q = memchr(p, c, (size_t)(end - p));
    if (!q)
        return end;
    tk->state = (uint8_t)next;
    return q + 1;
}

static cur_t st_mdo(cafe__html_tok_t *tk, cur_t p) {
    static const char *const words[] = {"", "--", "doctype", "[CDATA["};
    unsigned c = *p, kind = tk->mdo >> 4, k = tk->mdo & 15;
    if (kind == 0) {
        kind = c == '-' ? 1 : (c | 0x20) == 'd' ? 2 : c == '[' ? 3 : 0;
        k = 0;
    }
    if (kind == 0 || (unsigned char)(kind == 2 ? lower(c) : c) != (unsigned char)words[kind][k]) {
        tk->state = S_BOGUS_COMMENT; /* what was matched holds no '>': same as bogus */
        return p;
    }
    k++;
    tk->mdo = (uint8_t)(kind << 4 | k);
    if (words[kind][k] == 0) {
        if (kind == 1)
            tk->state = S_COMMENT_START;
        else if (kind == 2)
            tk->state = S_DOCTYPE;
        else
            tk->state = cafe__html_tree_foreign(tk) ? S_CDATA : S_BOGUS_COMMENT;
    }
    return p + 1;
}

static cur_t st_comment(cafe__html_tok_t *tk, cur_t p, cur_t end) {
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

static cur_t st_cdata(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    unsigned c = *p;
    if (tk->state == S_CDATA)
        return skip_to(tk, p, end, ']', S_CDATA_BRACKET);
    if (c == ']') {
        tk->state = S_CDATA_END;
        return p + 1;
    }
    if (c == '>' && tk->state == S_CDATA_END) {
        tk->state = S_DATA;
        return p + 1;
    }
    tk->state = S_CDATA;
    return p;
}

/* ---- driver ------------------------------------------------------------------------- */

static cur_t st_data(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    cur_t lt = memchr(p, '<', (size_t)(end - p));
    if (tk->frameset_ok) /* cleared with seen_body set by the first non-whitespace text */
        data_text(tk, p, lt ? lt : end);
    if (!lt)
        return end;
    tk->state = S_TAG_OPEN;
    return lt + 1;
}

static cur_t step(cafe__html_tok_t *tk, cur_t p, cur_t end) {
    switch (tk->state) {
    case S_DATA:
        return st_data(tk, p, end);
    case S_RCDATA:
    case S_RAWTEXT:
    case S_SCRIPT:
        return st_text(tk, p, end);
    case S_PLAINTEXT:
        return end;
    case S_TAG_OPEN:
        return st_tag_open(tk, p);
    case S_END_TAG_OPEN:
        return st_end_tag_open(tk, p);
    case S_TAG_NAME:
        return st_tag_name(tk, p, end);
    case S_TEXT_LT:
        return st_text_lt(tk, p);
    case S_TEXT_END_OPEN:
        return st_text_end_open(tk, p);
    case S_TEXT_END_NAME:
        return st_text_end_name(tk, p, end);
    case S_BEFORE_ATTR_NAME:
        return st_before_attr_name(tk, p);
    case S_ATTR_NAME:
        return st_attr_name(tk, p, end);
    case S_AFTER_ATTR_NAME:
        return st_after_attr_name(tk, p);
    case S_BEFORE_ATTR_VALUE:
        return st_before_attr_value(tk, p);
    case S_ATTR_VALUE_DQ:
        return st_attr_value_quoted(tk, p, end, '"');
    case S_ATTR_VALUE_SQ:
        return st_attr_value_quoted(tk, p, end, '\'');
    case S_ATTR_VALUE_UQ:
        return st_attr_value_unquoted(tk, p, end);
    case S_AFTER_ATTR_VALUE_Q:
        return st_after_attr_value_quoted(tk, p);
    case S_SELF_CLOSING:
        return st_self_closing(tk, p);
    case S_BOGUS_COMMENT:
    case S_DOCTYPE:
        return skip_to(tk, p, end, '>', S_DATA);
    case S_MDO:
        return st_mdo(tk, p);
    case S_CDATA:
    case S_CDATA_BRACKET:
    case S_CDATA_END:
        return st_cdata(tk, p, end);
    default:
        if (tk->state >= S_COMMENT_START)
            return st_comment(tk, p, end);
        return st_script(tk, p, end);
    }
}

void cafe__html_tok_feed(cafe__html_tok_t *tk, const unsigned char *p, size_t n) {
    cur_t end = p + n;
    while (p < end && !tk->stop)
        p = step(tk, p, end);
}

void cafe__html_tok_eof(cafe__html_tok_t *tk) {
    if (!tk->capturing)
        return;
    if (tk->state == S_TEXT_LT)
        title_text(tk, (cur_t) "<", 1);
    else if (tk->state == S_TEXT_END_OPEN)
        title_text(tk, (cur_t) "</", 2);
    else if (tk->state == S_TEXT_END_NAME)
        text_end_fail(tk);
    tk->capturing = 0;
    tk->cb.title_end(tk->cb.ctx);
}
