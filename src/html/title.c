/* The extractor: decides the encoding, drives the tokenizer, and says when the title is
 * final.
 *
 * Encoding (HTML standard 13.2.3.1): BOM, else the transport charset, else the <meta>
 * prescan, else windows-1252. Like a browser, the extractor holds back the first 1024
 * bytes (or less at the end of input) until the prescan has run on them, so a title that
 * comes before its page's <meta charset> is decoded with that charset; with a transport
 * charset it waits for 3 bytes only (a BOM still wins), and a prescan that finds its meta
 * early ends the wait early.
 *
 * When nothing declared the encoding (the fallback, "tentative" in the standard), a
 * <meta> met later by the tokenizer before the body starts still switches it, as browsers
 * do; the title's raw bytes are kept (at most CAFE__RAW_MAX) to decode them again then.
 * The title is therefore final once its end tag is seen and either the encoding was
 * declared, the title's bytes are all ASCII (every ASCII-compatible encoding reads them
 * alike), or the body has started. A title inside the body also waits until no <frameset>
 * can take the body away (frameset-ok cleared; see tree.c). A late meta naming an encoding that is
 * not ASCII-compatible (ISO-2022-JP, replacement, which would change the tokens already read) is
 * ignored. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cafe.h"
#include "html/prescan.h"
#include "html/text.h"
#include "html/tokenizer.h"

#define PRESCAN_BYTES 1024
#define CAFE__RAW_MAX 16384

struct cafe_title {
    const cafe__html_encoding_t *transport; /* given by the caller, or NULL */
    const cafe__html_encoding_t *enc;       /* decided encoding, or NULL while waiting */
    int certain;                            /* the encoding can no longer change */
    int done;                               /* the result is final */
    int has_title;                          /* a title element was found */
    int title_closed;                       /* its text is complete */
    int raw_ascii;                          /* its raw bytes so far are all ASCII */
    int eof;                                /* the end of input was reached */
    size_t nhead;                           /* bytes held back for the prescan */
    unsigned char *raw; /* raw bytes of the title while the encoding is uncertain */
    size_t nraw;
    cafe__html_decoder_t wide; /* UTF-16 / ISO-2022-JP to UTF-8 before the tokenizer */
    cafe__html_tok_t tok;
    cafe__html_text_t text;
    unsigned char head[PRESCAN_BYTES];
};

/* ---- tokenizer callbacks ------------------------------------------------------------ */

/* The title can no longer change: stop tokenizing. */
static void settle(cafe_title_t *t) {
    t->done = 1;
    t->tok.stop = 1;
}

static const cafe__html_encoding_t *text_encoding(const cafe_title_t *t) {
    return t->enc->kind == CAFE__ENC_WIDE ? &cafe__html_enc_utf8 : t->enc;
}

static void on_title_start(void *ctx) {
    cafe_title_t *t = ctx;
    t->has_title = 1;
    t->title_closed = 0;
    t->raw_ascii = 1;
    t->nraw = 0;
    cafe__html_text_reset(&t->text, text_encoding(t));
}

static void keep_raw(cafe_title_t *t, const unsigned char *p, size_t n) {
    if (!t->raw)
        t->raw = malloc(CAFE__RAW_MAX); /* failure: a late meta cannot re-decode, that's all */
    if (!t->raw)
        return;
    if (n > CAFE__RAW_MAX - t->nraw)
        n = CAFE__RAW_MAX - t->nraw;
    memcpy(t->raw + t->nraw, p, n);
    t->nraw += n;
}

static void on_title_text(void *ctx, const unsigned char *p, size_t n) {
    cafe_title_t *t = ctx;
    cafe__html_text_feed(&t->text, p, n);
    if (t->certain)
        return;
    for (size_t i = 0; i < n && t->raw_ascii; i++)
        t->raw_ascii = p[i] < 0x80;
    keep_raw(t, p, n);
}

/* Settles once the closed title can change no more: its encoding is known (or does not
 * matter: all ASCII), no <frameset> can take it away with the body, and no later title can
 * be foster-parented before the table it is in. */
static void settle_if_final(cafe_title_t *t) {
    const cafe__html_tok_t *tk = &t->tok;
    int removable = tk->title_in_body && tk->frameset_ok && !tk->frameset;
    if (t->title_closed && !t->done && (t->certain || t->raw_ascii) && !removable &&
        !tk->title_in_table)
        settle(t);
}

static void on_title_end(void *ctx) {
    cafe_title_t *t = ctx;
    cafe__html_text_end(&t->text, t->eof);
    t->title_closed = 1;
    settle_if_final(t);
}

static void on_title_removed(void *ctx) {
    cafe_title_t *t = ctx;
    t->has_title = 0; /* and after a <frameset> no title can come */
    settle(t);
}

/* "Change the encoding" for a meta found while the encoding is the fallback. */
static void on_meta(void *ctx, const char *charset, const char *http_equiv, const char *content) {
    cafe_title_t *t = ctx;
    if (t->certain || t->tok.seen_body)
        return;
    const cafe__html_encoding_t *e = NULL;
    if (charset)
        e = cafe__html_encoding_get(charset, strlen(charset));
    if (!e && http_equiv && content && strlen(http_equiv) == 12 &&
        strncasecmp(http_equiv, "content-type", 12) == 0)
        e = cafe__html_meta_content_charset(content, strlen(content));
    if (!e)
        return;
    e = cafe__html_encoding_for_meta(e);
    if (e->kind == CAFE__ENC_WIDE || e->kind == CAFE__ENC_REPLACEMENT)
        return;
    t->certain = 1;
    if (e == t->enc)
        return;
    t->enc = e;
    if (!t->has_title)
        return;
    cafe__html_text_reset(&t->text, e);
    cafe__html_text_feed(&t->text, t->raw ? t->raw : (const unsigned char *)"", t->nraw);
    if (t->title_closed) { /* by an end tag: a late meta comes before the end of input */
        cafe__html_text_end(&t->text, 0);
        settle_if_final(t);
    }
}

/* ---- the byte stream ---------------------------------------------------------------- */

static void tokenize(cafe_title_t *t, const unsigned char *p, size_t n) {
    cafe__html_tok_feed(&t->tok, p, n);
    if (t->done)
        return;
    if (!t->certain && t->tok.seen_body)
        t->certain = 1; /* no meta can change it now */
    settle_if_final(t);
    if (cafe__html_tok_hopeless(&t->tok) && (t->certain || !t->has_title))
        settle(t);
}

static void tokenize_utf8(void *ctx, const char *p, size_t n) {
    cafe_title_t *t = ctx;
    if (!t->done)
        tokenize(t, (const unsigned char *)p, n);
}

static void stream(cafe_title_t *t, const unsigned char *p, size_t n, int final) {
    if (t->enc->kind == CAFE__ENC_WIDE)
        cafe__html_decode(&t->wide, p, n, final, tokenize_utf8, t);
    else if (t->enc->kind != CAFE__ENC_REPLACEMENT)
        tokenize(t, p, n);
    else
        settle(t); /* the whole page is one U+FFFD: no title */
}

/* The encoding is decided from the held-back bytes; then they are tokenized. */
static void decide(cafe_title_t *t, const cafe__html_encoding_t *prescanned) {
    const unsigned char *h = t->head;
    size_t skip = 0;
    t->certain = 1;
    if (t->nhead >= 3 && h[0] == 0xEF && h[1] == 0xBB && h[2] == 0xBF) {
        t->enc = &cafe__html_enc_utf8, skip = 3;
    } else if (t->nhead >= 2 && h[0] == 0xFE && h[1] == 0xFF) {
        t->enc = &cafe__html_enc_utf16be, skip = 2;
    } else if (t->nhead >= 2 && h[0] == 0xFF && h[1] == 0xFE) {
        t->enc = &cafe__html_enc_utf16le, skip = 2;
    } else if (t->transport) {
        t->enc = t->transport;
    } else if (prescanned) {
        t->enc = prescanned;
    } else {
        t->enc = &cafe__html_enc_windows1252;
        t->certain = 0;
    }
    cafe__html_decoder_set(&t->wide, t->enc);
    cafe__html_text_reset(&t->text, text_encoding(t));
    stream(t, h + skip, t->nhead - skip, 0);
}

/* Holds back bytes until the encoding can be decided; returns how many of p it took. */
static size_t hold(cafe_title_t *t, const unsigned char *p, size_t n, int final) {
    size_t take = PRESCAN_BYTES - t->nhead;
    if (take > n)
        take = n;
    memcpy(t->head + t->nhead, p, take);
    t->nhead += take;
    int bom = t->nhead >= 2 && ((t->head[0] == 0xFE && t->head[1] == 0xFF) ||
                                (t->head[0] == 0xFF && t->head[1] == 0xFE));
    if (bom || (t->transport && t->nhead >= 3))
        decide(t, NULL);
    else if (t->nhead == PRESCAN_BYTES || final)
        decide(t, cafe__html_prescan(t->head, t->nhead));
    else if (t->nhead >= 3 && memchr(p, '>', take)) {
        /* A <meta> can only be complete with its '>': prescan again only then. */
        const cafe__html_encoding_t *e = cafe__html_prescan(t->head, t->nhead);
        if (e)
            decide(t, e);
    }
    return take;
}

/* ---- API ---------------------------------------------------------------------------- */

int cafe_title_create(cafe_title_t **out, const char *charset) {
    if (!out)
        return CAFE_EINVAL;
    cafe_title_t *t = malloc(sizeof *t);
    if (!t)
        return CAFE_ENOMEM;
    t->raw = NULL;
    cafe__html_decoder_init(&t->wide);
    cafe__html_text_init(&t->text);
    cafe_title_reset(t, charset);
    *out = t;
    return 0;
}

void cafe_title_reset(cafe_title_t *t, const char *charset) {
    static const cafe__html_tok_cb_t cb = {NULL,         on_title_start,   on_title_text,
                                           on_title_end, on_title_removed, on_meta};
    cafe__html_tok_cb_t mine = cb;
    mine.ctx = t;
    t->transport = cafe__html_encoding_transport(charset);
    t->enc = NULL;
    t->certain = t->done = t->has_title = t->title_closed = t->eof = 0;
    t->raw_ascii = 1;
    t->nhead = t->nraw = 0;
    cafe__html_tok_init(&t->tok, &mine);
    cafe__html_text_reset(&t->text, &cafe__html_enc_utf8);
}

int cafe_title_feed(cafe_title_t *t, const void *data, size_t len) {
    const unsigned char *p = data;
    if (t->done || len == 0)
        return t->done;
    if (!t->enc) {
        size_t took = hold(t, p, len, 0);
        p += took, len -= took;
        if (!t->enc)
            return 0;
    }
    if (len > 0 && !t->done)
        stream(t, p, len, 0);
    return t->done;
}

int cafe_title_finish(cafe_title_t *t) {
    if (!t->done) {
        if (!t->enc)
            hold(t, (const unsigned char *)"", 0, 1);
        if (!t->done)
            stream(t, (const unsigned char *)"", 0, 1);
        if (!t->done) {
            t->eof = 1;
            cafe__html_tok_eof(&t->tok);
            settle(t);
        }
    }
    return t->has_title;
}

int cafe_title_done(const cafe_title_t *t) {
    return t->done;
}

const char *cafe_title_text(const cafe_title_t *t, size_t *len) {
    if (!t->done || !t->has_title)
        return NULL;
    if (len)
        *len = t->text.len;
    return t->text.buf;
}

int cafe_title_truncated(const cafe_title_t *t) {
    return t->done && t->has_title && t->text.truncated;
}

const char *cafe_title_encoding(const cafe_title_t *t) {
    if (t->enc)
        return t->enc->name;
    return t->transport ? t->transport->name : cafe__html_enc_windows1252.name;
}

void cafe_title_free(cafe_title_t *t) {
    if (!t)
        return;
    cafe__html_decoder_close(&t->wide);
    cafe__html_text_close(&t->text);
    free(t->raw);
    free(t);
}

int cafe_title_extract(const void *html, size_t len, const char *charset, char **title,
                       const char **encoding) {
    cafe_title_t *t;
    int rc = cafe_title_create(&t, charset);
    if (rc < 0)
        return rc;
    cafe_title_feed(t, html, len);
    int found = cafe_title_finish(t);
    *title = NULL;
    if (found) {
        size_t n;
        const char *s = cafe_title_text(t, &n);
        *title = malloc(n + 1);
        if (!*title) {
            cafe_title_free(t);
            return CAFE_ENOMEM;
        }
        memcpy(*title, s, n + 1);
    }
    if (encoding)
        *encoding = cafe_title_encoding(t);
    cafe_title_free(t);
    return found;
}
