/* The pure header parsers and the backoff formula. Every input is also fed at every prefix
 * length from an exactly-sized heap copy (no NUL after it), so a read past n is caught by
 * ASan and valgrind. */
#include "testutil.h"
#include "http/parse.h"
#include "common/content_type.h"
#include "common/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void content_type(const char *v, const char *type, const char *charset) {
    char t[128], c[48];
    cafe__content_type_parse(v, strlen(v), t, sizeof(t), c, sizeof(c));
    if (strcmp(t, type) != 0 || strcmp(c, charset) != 0)
        fail_msg("\"%s\": got (\"%s\", \"%s\"), want (\"%s\", \"%s\")", v, t, c, type, charset);
    /* the title extractor's call: the charset alone */
    cafe__content_type_parse(v, strlen(v), NULL, 0, c, sizeof(c));
    if (strcmp(c, charset) != 0)
        fail_msg("\"%s\" without a type buffer: got \"%s\", want \"%s\"", v, c, charset);
    /* every prefix, from a buffer that ends exactly there */
    size_t n = strlen(v);
    for (size_t k = 0; k <= n; k++) {
        char *copy = malloc(k ? k : 1);
        memcpy(copy, v, k);
        cafe__content_type_parse(copy, k, t, sizeof(t), c, sizeof(c));
        free(copy);
    }
}

static void test_content_type(void **state) {
    content_type("text/html", "text/html", "");
    content_type("Text/HTML; Charset=UTF-8", "text/html", "utf-8");
    content_type("text/html;charset=\"ISO-8859-1\"", "text/html", "iso-8859-1");
    content_type("  text/html ;  foo=bar ; charset=windows-1252 ", "text/html", "windows-1252");
    content_type("text/html; foo=\"a;charset=x\"; charset=koi8-r", "text/html", "koi8-r");
    content_type("text/html; charset=\"sh\\\"ift\"", "text/html", "sh\"ift");
    content_type("text/html; charset=utf-8; charset=latin1", "text/html", "utf-8");
    content_type("application/xhtml+xml", "application/xhtml+xml", "");
    content_type("", "", "");
    content_type("text", "", "");
    content_type("text/html; charset", "text/html", "");
    content_type("text/html; charset=", "text/html", "");
    /* too long for the buffers: "" rather than a cut value */
    char long_type[300], long_cs[300];
    memset(long_type, 'a', sizeof(long_type));
    memcpy(long_type + 150, "/b", 3);
    content_type(long_type, "", "");
    snprintf(long_cs, sizeof(long_cs), "text/html; charset=%0200d", 7);
    content_type(long_cs, "text/html", "");
}

/* The cases below are what headless Chromium 156 and Firefox ESR 153 both did with a page
 * sent with that Content-Type (its document.characterSet), or the standard's answer where
 * they differ; tests/faults/charset_e2e.py checks cafe's records of such pages. */
static void test_content_type_params(void **state) {
    /* a parameter without '=', or with an empty value, is passed over, not the end */
    content_type("text/html;;charset=windows-1251", "text/html", "windows-1251");
    content_type("text/html; foo; charset=windows-1251", "text/html", "windows-1251");
    content_type("text/html;charset=windows-1251;", "text/html", "windows-1251");
    content_type("text/html; charset=; charset=koi8-r", "text/html", "koi8-r");
    content_type("text/html; =windows-1251; charset=koi8-r", "text/html", "koi8-r");
    content_type("text/html; ch@rset=koi8-r; charset=windows-1251", "text/html", "windows-1251");
    /* "" quoted is a value: the first charset, naming no encoding */
    content_type("text/html; charset=\"\"; charset=koi8-r", "text/html", "");
    /* whitespace: none allowed before '=', kept after it (labels are trimmed later) */
    content_type("text/html; charset = koi8-r", "text/html", "");
    content_type("text/html; charset= koi8-r", "text/html", " koi8-r");
    content_type("text/html;\tcharset=koi8-r\t", "text/html", "koi8-r");
    content_type("text/html; charset=koi8-r x", "text/html", "koi8-r x");
    content_type("text/html; charset=\" koi8-r \"", "text/html", " koi8-r ");
    /* quoted strings: escapes, an unterminated one, junk after one, a ';' inside */
    content_type("text/html; charset=\"win\\dows-1251\"", "text/html", "windows-1251");
    content_type("text/html; charset=\"windows-1251", "text/html", "windows-1251");
    content_type("text/html; charset=\"koi8-r\"x; charset=windows-1251", "text/html", "koi8-r");
    content_type("text/html; charset=\"koi8-r\\\"\"; charset=x", "text/html", "koi8-r\"");
    content_type("text/html; charset=\"koi8-r;x\"; charset=windows-1251", "text/html", "koi8-r;x");
    content_type("text/html; charset=\"koi8-r\\", "text/html", "koi8-r\\");
    content_type("text/html; charset=win\\dows-1251", "text/html", "win\\dows-1251");
    content_type("text/html; charset='koi8-r'", "text/html", "'koi8-r'");
    /* a value with a control character is no parameter: the next charset counts */
    content_type("text/html; charset=\"koi8-r\x01\"; charset=windows-1251", "text/html",
                 "windows-1251");
    content_type("text/html; charset=koi8-r\x7f; charset=windows-1251", "text/html",
                 "windows-1251");
    content_type("text/html; charset=koi8-r\xff", "text/html", "koi8-r\xff");
}

static void test_content_type_essence(void **state) {
    /* the essence ends at whitespace or ';', what follows it up to the ';' ignored */
    content_type("text/html garbage; charset=koi8-r", "text/html", "koi8-r");
    content_type("text/html (c); charset=koi8-r", "text/html", "koi8-r");
    content_type("text/html ;charset=koi8-r", "text/html", "koi8-r");
    content_type("TEXT/HTML; CHARSET=KOI8-R", "text/html", "koi8-r");
    /* a '/' makes it a type, if one no browser renders */
    content_type("text/; charset=koi8-r", "text/", "koi8-r");
    content_type("text/ html", "text/", "");
    content_type("text/h@ml", "text/h@ml", "");
    content_type("\"text/html\"", "\"text/html\"", "");
    /* no '/' before whitespace or ';': no type, so no charset */
    content_type("text /html; charset=koi8-r", "", "");
    content_type("text; charset=koi8-r", "", "");
    content_type("*/*; charset=koi8-r", "", "");
    /* a control byte (a NUL too: the parser reads n bytes) makes it no type */
    content_type("text/ht\x01ml; charset=koi8-r", "", "");
    {
        char t[128], c[48];
        cafe__content_type_parse("http\0/x", 7, t, sizeof t, c, sizeof c);
        assert_string_equal(t, "");
    }
}

static void test_content_type_list(void **state) {
    /* several values, from one header or several joined with ", ": the last valid one */
    content_type("text/html; charset=koi8-r, text/html; charset=windows-1251", "text/html",
                 "windows-1251");
    content_type("text/html; charset=koi8-r, */*", "text/html", "koi8-r");
    content_type("text/html; charset=koi8-r, invalid", "text/html", "koi8-r");
    content_type("text/html; charset=koi8-r, ", "text/html", "koi8-r");
    content_type("text/html; charset=koi8-r,", "text/html", "koi8-r");
    content_type("text/html; charset=koi8-r, texthtml", "text/html", "koi8-r");
    /* the charset carried over to a later value of the same type, not another type's */
    content_type("text/html; charset=koi8-r, text/html", "text/html", "koi8-r");
    content_type("text/html; charset=koi8-r, TEXT/HTML; foo=bar", "text/html", "koi8-r");
    content_type("text/html, text/html; charset=koi8-r", "text/html", "koi8-r");
    content_type("text/plain; charset=koi8-r, text/html", "text/html", "");
    content_type("application/xhtml+xml; charset=koi8-r, text/html", "text/html", "");
    content_type("text/html; charset=koi8-r, text/plain, text/html", "text/html", "");
    /* the last charset given carries (the standard would keep windows-1251) */
    content_type("text/html;charset=windows-1251, text/html;charset=koi8-r, text/html", "text/html",
                 "koi8-r");
    /* an explicit "" is the later value's own: nothing carried */
    content_type("text/html; charset=koi8-r, text/html; charset=\"\"", "text/html", "");
    /* a comma inside a quoted string splits nothing, across joined headers too */
    content_type("text/html; charset=\"windows-1251, text/html\"", "text/html",
                 "windows-1251, text/html");
    content_type("text/html; foo=\"a,b\"; charset=koi8-r", "text/html", "koi8-r");
    content_type("text/html; charset=\"windows-1251, text/html; charset=koi8-r", "text/html",
                 "windows-1251, text/html; charset=koi8-r");
    /* a folded header as curl gives it after an empty first line */
    content_type("\r text/html; charset=koi8-r", "text/html", "koi8-r");
}

static void content_length(const char *v, int want, uint64_t want_value) {
    uint64_t got = 7;
    int rc = cafe__http_content_length_parse(v, strlen(v), &got);
    if (rc != want || (rc == 1 && got != want_value))
        fail_msg("\"%s\": got %d (%llu), want %d (%llu)", v, rc, (unsigned long long)got, want,
                 (unsigned long long)want_value);
    size_t n = strlen(v);
    for (size_t k = 0; k <= n; k++) {
        char *copy = malloc(k ? k : 1);
        memcpy(copy, v, k);
        (void)cafe__http_content_length_parse(copy, k, &got);
        free(copy);
    }
}

static void test_content_length(void **state) {
    content_length("161", 1, 161);
    content_length(" 161 ", 1, 161);
    content_length("161, 161", 1, 161);
    content_length("161,161,", 1, 161);
    content_length("161, 5", -1, 0);
    content_length("0, 00", 1, 0);
    content_length("", 0, 0);
    content_length("161,, 161", 1, 161); /* empty elements are passed over */
    content_length("abc", CAFE__HTTP_LENGTH_NAN, 0);
    content_length("+5, 161", CAFE__HTTP_LENGTH_NAN, 0); /* curl's strtoll reads 5 */
    content_length("0x10", CAFE__HTTP_LENGTH_NAN, 0);    /* and 0 */
    content_length("3 161", CAFE__HTTP_LENGTH_NAN, 0);
    content_length("161, 5, x", CAFE__HTTP_LENGTH_NAN, 0);
    content_length("99999999999999999999999", 1, UINT64_MAX);
}

static void retry_after(const char *v, int64_t now, int64_t want) {
    int64_t got = cafe__http_retry_after_parse(v, strlen(v), now);
    if (got != want)
        fail_msg("\"%s\": got %lld, want %lld", v, (long long)got, (long long)want);
    size_t n = strlen(v);
    for (size_t k = 0; k <= n; k++) {
        char *copy = malloc(k ? k : 1);
        memcpy(copy, v, k);
        (void)cafe__http_retry_after_parse(copy, k, now);
        free(copy);
    }
}

static void test_retry_after(void **state) {
    const int64_t now = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */
    retry_after("120", now, 120);
    retry_after("  0 ", now, 0);
    retry_after("99999999999999999999999", now, 99999999999999999); /* saturates, stays big */
    retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now, 10);          /* IMF-fixdate */
    retry_after("Sunday, 06-Nov-94 08:50:37 GMT", now, 60);         /* RFC 850 */
    retry_after("Sun Nov  6 08:49:40 1994", now, 3);                /* asctime */
    retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now, 0);           /* in the past */
    retry_after("", now, -1);
    retry_after("12abc", now, -1);
    retry_after("-5", now, -1);
    retry_after("soon", now, -1);
    char long_date[100];
    memset(long_date, 'x', sizeof(long_date) - 1);
    long_date[sizeof(long_date) - 1] = '\0';
    retry_after(long_date, now, -1);
}

static void test_backoff(void **state) {
    /* 200 ms, doubling, plus at most 25% jitter, never above the cap */
    for (uint32_t rnd = 0; rnd < 0xFFFFFFF0u; rnd += 0x0FFFFFFFu) {
        uint64_t w2 = cafe__http_backoff_ms(2, 200, 30000, rnd);
        uint64_t w3 = cafe__http_backoff_ms(3, 200, 30000, rnd);
        assert_true(w2 >= 200 && w2 <= 250);
        assert_true(w3 >= 400 && w3 <= 500);
        uint64_t w9 = cafe__http_backoff_ms(9, 200, 30000, rnd);
        assert_true(w9 >= 25600 && w9 <= 30000);
        assert_int_equal(cafe__http_backoff_ms(10, 200, 30000, rnd), 30000);
        assert_int_equal(cafe__http_backoff_ms(200, 200, 30000, rnd), 30000);
        assert_true(cafe__http_backoff_ms(70, 1u << 30, UINT64_MAX, rnd) <= UINT64_MAX);
    }
    assert_int_equal(cafe__http_backoff_ms(2, 200, 30000, 0), 200);
    assert_int_equal(cafe__http_backoff_ms(2, 0, 30000, 12345), 0);
}

static void origin(const char *url, const char *want) {
    char out[64];
    uint64_t hash;
    size_t len = cafe__http_origin_key(url, out, sizeof(out), &hash);
    if (strcmp(out, want) != 0 || len != strlen(want))
        fail_msg("\"%s\": got \"%s\" (%zu), want \"%s\"", url, out, len, want);
    if (hash != hash_bytes(HASH_SEED, want, len))
        fail_msg("\"%s\": the hash is not the key's", url);
}

static void test_origin_key(void **state) {
    origin("http://Example.COM:8080/a/b?c#d", "http://example.com:8080");
    origin("HTTPS://user:pw@host/x", "https://host");
    origin("http://host?q", "http://host");
    origin("http://[::1]:80/", "http://[::1]:80");
    origin("no-scheme", "");
    origin("", "");
    origin("http:/x", "");
    origin("x:/:/", "");
    origin("Mailto:a@b", "");
    origin("http:/x?y=HTTPS://Z/w", "http:/x?y=https://z"); /* the first "://", wherever */
    origin("http://a@b@C#x", "http://c");
    origin("http://", "http://");
    char out[8];
    uint64_t hash;
    assert_int_equal(cafe__http_origin_key("http://a-very-long-host/", out, sizeof(out), &hash), 7);
    assert_string_equal(out, "http://");
    assert_true(hash == hash_bytes(HASH_SEED, "http://", 7));
    assert_int_equal(cafe__http_origin_key("https://x", out, 4, &hash), 3);
    assert_string_equal(out, "htt");
    assert_true(hash == hash_bytes(HASH_SEED, "htt", 3));
    assert_int_equal(cafe__http_origin_key(NULL, out, 4, &hash), 0);
    assert_true(hash == hash_bytes(HASH_SEED, "", 0));
}

static void test_list_has(void **state) {
    assert_true(cafe__http_list_has("close", "close"));
    assert_true(cafe__http_list_has("Close", "close"));
    assert_true(cafe__http_list_has(" keep-alive ,\tCLOSE \r\n", "close"));
    assert_true(cafe__http_list_has(",,close,", "close"));
    assert_false(cafe__http_list_has("keep-alive", "close"));
    assert_false(cafe__http_list_has("closed", "close"));
    assert_false(cafe__http_list_has("clos", "close"));
    assert_false(cafe__http_list_has("x-close, upgrade", "close"));
    assert_false(cafe__http_list_has("", "close"));
    assert_false(cafe__http_list_has(" , ", "close"));
    assert_false(cafe__http_list_has("close x", "close"));
    assert_true(cafe__http_list_has("clo, close \t, x", "close"));
    assert_true(cafe__http_list_has("closex, close", "close"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_type),
        cmocka_unit_test(test_content_type_params),
        cmocka_unit_test(test_content_type_essence),
        cmocka_unit_test(test_content_type_list),
        cmocka_unit_test(test_content_length),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_origin_key),
        cmocka_unit_test(test_list_has),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
