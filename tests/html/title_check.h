/* Shared by the title tests: runs one page through the extractor fed whole, one byte at a
 * time (each byte in its own heap block, so ASan sees any read past a chunk) and split at
 * random places, and checks that every way gives the expected title and encoding (the one
 * the page gave whole where the case names none). */
#ifndef CAFE_TEST_TITLE_CHECK_H
#define CAFE_TEST_TITLE_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

typedef struct title_result {
    int found;
    char text[CAFE_TITLE_MAX + 1];
    size_t len;
    const char *encoding;
} title_result_t;

static inline void title_get(cafe_title_t *t, title_result_t *r) {
    size_t n = 0;
    const char *s = cafe_title_text(t, &n);
    r->found = s != NULL;
    r->len = s ? n : 0;
    if (s)
        memcpy(r->text, s, n + 1);
    else
        r->text[0] = 0;
    r->encoding = cafe_title_encoding(t);
}

/* Feeds `html` in chunks whose sizes come from `next` (0 = all at once). */
static inline void title_run(const char *html, size_t len, const char *charset, unsigned seed,
                             int bytewise, title_result_t *r) {
    cafe_title_t *t;
    assert_int_equal(cafe_title_create(&t, charset), 0);
    size_t pos = 0;
    while (pos < len) {
        size_t n = len - pos;
        if (bytewise)
            n = 1;
        else if (seed) {
            seed = seed * 1103515245u + 12345u;
            n = 1 + (seed >> 8) % (seed & 0x100 ? 7 : 200);
            if (n > len - pos)
                n = len - pos;
        }
        char *chunk = malloc(n);
        assert_non_null(chunk);
        memcpy(chunk, html + pos, n);
        int rc = cafe_title_feed(t, chunk, n);
        free(chunk);
        assert_true(rc == 0 || rc == 1);
        pos += n;
        if (rc == 1) {
            assert_int_equal(cafe_title_done(t), 1);
            break;
        }
    }
    cafe_title_finish(t);
    assert_int_equal(cafe_title_done(t), 1);
    title_get(t, r);
    cafe_title_free(t);
}

static inline void title_expect_result(const char *name, const title_result_t *r, const char *want,
                                       size_t want_len, const char *want_enc, const char *how) {
    int ok =
        want ? r->found && r->len == want_len && memcmp(r->text, want, want_len) == 0 : !r->found;
    if (ok && want_enc)
        ok = strcmp(r->encoding, want_enc) == 0;
    if (!ok) {
        fprintf(stderr, "case %s (%s): got %s[%s] in %s, want %s[%s] in %s\n", name, how,
                r->found ? "" : "no title ", r->text, r->encoding, want ? "" : "no title ",
                want ? want : "", want_enc ? want_enc : "(any)");
        fail();
    }
}

/* Checks one page every way; want == NULL means "no title". */
static inline void title_check(const char *name, const char *html, size_t len, const char *charset,
                               const char *want, size_t want_len, const char *want_enc) {
    title_result_t r;
    title_run(html, len, charset, 0, 0, &r);
    title_expect_result(name, &r, want, want_len, want_enc, "whole");
    /* a case that names no encoding still gets the same one however it is split */
    if (!want_enc)
        want_enc = r.encoding;
    title_run(html, len, charset, 0, 1, &r);
    title_expect_result(name, &r, want, want_len, want_enc, "bytewise");
    for (unsigned seed = 1; seed <= 8; seed++) {
        title_run(html, len, charset, seed * 7919u, 0, &r);
        title_expect_result(name, &r, want, want_len, want_enc, "random splits");
    }
}

#endif
