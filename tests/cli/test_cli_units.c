/* The CLI's pure parts: line trimming, URL normalisation, record writers, resume parsing,
 * the --threads origin table. */
#include "testutil.h"
#include "dbopts.h"
#include "input.h"
#include "format.h"
#include "json_scan.h"
#include "keyset.h"
#include "origins.h"
#include "stream.h"
#include "text.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_trim(void **state) {
    size_t start;
    assert_int_equal(input_line_trim("  http://a/ \r\n", 14, &start), 9);
    assert_int_equal(start, 2);
    assert_int_equal(input_line_trim("   \t", 4, &start), 0);
    assert_int_equal(input_line_trim("# comment", 9, &start), 0);
    assert_int_equal(input_line_trim("  # indented comment", 20, &start), 0);
    assert_int_equal(input_line_trim("", 0, &start), 0);
    /* Unicode spaces, U+200B and U+FEFF, as copied from web pages and word processors; a
     * character that only starts like one (U+00A1, U+2010), or is cut short, stays */
    assert_int_equal(
        input_line_trim("\xc2\xa0\xe3\x80\x80http://a/\xe2\x80\x8b\xc2\xa0", 19, &start), 9);
    assert_int_equal(start, 5);
    assert_int_equal(input_line_trim("\xef\xbb\xbf\xe2\x80\xaf \xc2\x85", 9, &start), 0);
    assert_int_equal(input_line_trim("\xc2\xa1x\xe2\x80\x90", 6, &start), 6);
    assert_int_equal(input_line_trim("x\xe3\x80", 3, &start), 3);
}

static void expect_url(const char *line, const char *scheme, const char *want) {
    char *url;
    const char *why = NULL;
    assert_int_equal(url_normalize(line, strlen(line), scheme, &url, &why), 0);
    assert_string_equal(url, want);
    free(url);
}

static void expect_bad(const char *line, size_t len) {
    char *url;
    const char *why = NULL;
    assert_true(url_normalize(line, len, "https", &url, &why) < 0);
    assert_null(url);
    assert_non_null(why);
}

static void test_normalize(void **state) {
    expect_url("example.com", "https", "https://example.com/");
    expect_url("example.com/a b", "http", "http://example.com/a%20b");
    expect_url("HTTP://Example.COM:80/x", "https", "http://example.com/x");
    expect_url("http://127.0.0.1:8080/p?q=1#frag", "https", "http://127.0.0.1:8080/p?q=1#frag");
    expect_bad("ftp://example.com/", 18);
    expect_bad("file:///etc/passwd", 18);
    expect_bad("gopher://x/", 11);
    expect_bad("http://", 7);
    expect_bad("http://exa mple.com/", 20);
    expect_bad("http://a\0b/", 11);
}

/* The fast path takes a line as it is only where curl's parser gives it back unchanged. */
static char *curl_normal(const char *s) {
    CURLU *u = curl_url();
    char *out = NULL;
    assert_non_null(u);
    if (curl_url_set(u, CURLUPART_URL, s,
                     CURLU_NON_SUPPORT_SCHEME | CURLU_ALLOW_SPACE | CURLU_URLENCODE) == CURLUE_OK)
        curl_url_get(u, CURLUPART_URL, &out, 0);
    curl_url_cleanup(u);
    return out;
}

static void test_canonical_fast_path(void **state) {
    static const char *const fast[] = {
        "http://127.0.0.1:8080/page/1",
        "https://example.com/",
        "http://a-b.example/x?q=1&r=/2",
        "http://example.com/a,b;c=d:e@f!$'()*+~_",
        "https://x.y.z:80/well/",
        "http://x.y.z:443/well/",
        "http://1.2.3.4/",
        /* the dotted quad's own scan (quad_host_end), and names it hands back */
        "http://0.0.0.0/",
        "http://255.255.255.255:1/x",
        "http://10.20.30.40/?q=1",
        "http://1password.com/",
        "http://1.2.3.4-x.example/",
        /* "xn--" labels that are Punycode of a name stay on the fast path */
        "http://xn--bcher-kva.example/",
        "http://a.xn--ls8h.la/",
    };
    static const char *const slow[] = {
        "http://Example.com/",
        "http://example.com",
        "http://example.com/a/../b",
        "http://example.com/./b",
        "http://127.1/",
        "http://e.com/.well/",
        "http://0x7f.0.0.1/",
        "http://1.2.3.04/",
        "http://example.com/%41",
        "http://example.com/#f",
        "http://example.com/a b",
        "http://example.com:0/",
        "http://example.com:99999/",
        "http://example.com:80/",
        "http://example.com/?a'b",
        "https://example.com:443/",
        "http://a..b/",
        "http://a./",
        "HTTP://example.com/",
        "ftp://example.com/",
        "http://ex\x01ample.com/",
        "http://example.com/\xc3\xa9",
        "http://[::1]/",
        "http://user@example.com/",
        "http://1.2.3.4.5/",
        "http://256.1.1.1/",
        "http://1.2.3.4a/",
        "http://01.2.3.4/",
        "http://1.2.3.00/",
        "http://1.2.3/",
        "http://1.2.3.4",
        "http://1.2.3.1000/",
        "http://1.2.3.4./",
        "http://1.2.3.4:/",
        "http://1",
        "http://1.",
        /* the others take the slow path, which refuses them */
        "http://xn--zz/",
        "http://xn--/",
        "http://a.xn--zz.example/",
        "http://xn--abc-.example/",
        "http://xn--a.example/",
    };
    for (size_t i = 0; i < sizeof fast / sizeof fast[0]; i++) {
        assert_true(url_canonical(fast[i], strlen(fast[i])));
        char *n = curl_normal(fast[i]);
        assert_non_null(n);
        assert_string_equal(n, fast[i]);
        curl_free(n);
    }
    for (size_t i = 0; i < sizeof slow / sizeof slow[0]; i++)
        assert_false(url_canonical(slow[i], strlen(slow[i])));
}

static char *render(record_format_t fmt, const record_t *r) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(format_record(f, fmt, r), 0);
    fclose(f);
    return buf; /* the caller frees it */
}

static void test_text_output_is_terminal_safe(void **state) {
    record_t r = {0};
    r.url = "http://a/";
    r.title = "Evil \x1b[2J title \x07 \xc2\x9b end";
    r.status = 200;
    char *out = render(RECORD_FMT_TEXT, &r);
    assert_string_equal(out, "'Evil \\x1b[2J title \\x07 \\x9b end' from http://a/\n");
    free(out);
    r.title = NULL;
    out = render(RECORD_FMT_TEXT, &r);
    assert_string_equal(out, "(no title) from http://a/\n");
    free(out);
    r.error = CAFE_ETIMEDOUT;
    r.error_msg = "timed out after 15 s";
    out = render(RECORD_FMT_TEXT, &r);
    assert_string_equal(out, "Error fetching http://a/: timed out after 15 s\n");
    free(out);
}

/* The plain-byte scan's edges (8 or 16 bytes at a time, the last word read again, 8 to 15
 * bytes as two halves): one byte to escape at every place of every length up to 40, each
 * string in its own heap block so that ASan sees a read past its end. */
static void test_text_scan_edges(void **state) {
    static const struct {
        const char *in, *out;
    } odd[] = {{"\x1f", "\\x1f"}, {"\x7f", "\\x7f"}, {"\\", "\\\\"},
               {"\x80", "\\x80"}, {"\xff", "\\xff"}, {"\xe2\x80\x94", "\xe2\x80\x94"}};
    for (size_t n = 1; n <= 40; n++)
        for (size_t at = 0; at < n; at++)
            for (size_t k = 0; k < sizeof odd / sizeof odd[0]; k++) {
                size_t il = strlen(odd[k].in), ol = strlen(odd[k].out);
                char *in = malloc(n + il), want[128];
                assert_non_null(in);
                memset(in, 'a', n - 1);
                memmove(in + at + il, in + at, n - 1 - at); /* 'a's either side */
                memcpy(in + at, odd[k].in, il);
                in[n - 1 + il] = '\0';
                memset(want, 'a', n - 1);
                memcpy(want + at, odd[k].out, ol);
                memset(want + at + ol, 'a', n - 1 - at);
                want[n - 1 + ol] = '\0';
                outbuf_t o = {0};
                text_append_safe(&o, in);
                outbuf_putc(&o, '\0');
                assert_false(o.oom);
                assert_string_equal(o.p, want);
                outbuf_free(&o);
                free(in);
            }
}

/* text_safe_copy: text_append_safe's text in a buffer, cut at a character's end. */
static void test_text_safe_copy(void **state) {
    (void)state;
    char buf[12];
    assert_string_equal(text_safe_copy(buf, sizeof buf, "a\x1b]0;b\x07"), "a\\x1b]0;b\\x");
    assert_string_equal(text_safe_copy(buf, sizeof buf, "ok"), "ok");
    /* "\xd0\x9f" (П) would be cut after its lead byte: it goes whole */
    assert_string_equal(text_safe_copy(buf, sizeof buf, "0123456789\xd0\x9f"), "0123456789");
    assert_string_equal(text_safe_copy(buf, 1, "abc"), "");
}

static void test_json_and_csv_round_trip(void **state) {
    record_t r = {0};
    r.url = "http://a/\xff"; /* invalid UTF-8 from the input line */
    r.final_url = "http://a/final";
    r.status = 200;
    r.title = "Quote \" comma , newline\nend";
    r.charset = "Shift_JIS";
    r.bytes = 1234;
    r.attempts = 1;
    char *json = render(RECORD_FMT_JSON, &r);
    assert_non_null(strstr(json, "\"title\":\"Quote \\\" comma , newline\\nend\""));
    assert_non_null(strstr(json, "\"url\":\"http://a/\xef\xbf\xbd\""));
    assert_non_null(strstr(json, "\"error\":null"));
    assert_int_equal(json[strlen(json) - 1], '\n');
    char *back = format_parse_url(json, strlen(json) - 1, RECORD_FMT_JSON);
    assert_string_equal(back, "http://a/\xef\xbf\xbd");
    free(back);
    /* a torn JSON line is not a record */
    assert_null(format_parse_url(json, strlen(json) / 2, RECORD_FMT_JSON));
    free(json);

    char *csv = render(RECORD_FMT_CSV, &r);
    assert_non_null(strstr(csv, "\"Quote \"\" comma , newline\nend\""));
    assert_string_equal(csv + strlen(csv) - 2, "\r\n");
    back = format_parse_url(csv, strlen(csv) - 1, RECORD_FMT_CSV);
    assert_string_equal(back, "http://a/\xef\xbf\xbd");
    free(back);
    assert_null(format_parse_url(csv, 20, RECORD_FMT_CSV));
    free(csv);
}

/* --csv-safe: the OWASP formula starts and ' get a ', inside the RFC 4180 quotes when there
 * are any; other fields are untouched; reading the URL back takes the mark off. */
static void test_csv_safe_marks_formulas(void **state) {
    (void)state;
    record_t r = {0};
    r.url = "'quoted line";
    r.title = "=HYPERLINK(\"http://x\",\"y\")";
    r.content_type = "@SUM(1)";
    r.charset = "-2+3";
    r.error_msg = "\tTAB";
    r.final_url = "plain";
    char *csv = render(RECORD_FMT_CSV_SAFE, &r);
    assert_non_null(
        strstr(csv, "''quoted line,plain,,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\","));
    assert_non_null(strstr(csv, ",'@SUM(1),'-2+3,"));
    assert_non_null(strstr(csv, ",'\tTAB\r\n"));
    char *back = format_parse_url(csv, strlen(csv) - 1, RECORD_FMT_CSV_SAFE);
    assert_string_equal(back, "'quoted line");
    free(back);
    assert_true(format_csv_marked(csv, strlen(csv) - 1)); /* --resume --csv refuses it */
    free(csv);
    csv = render(RECORD_FMT_CSV, &r);
    assert_non_null(strstr(csv, "'quoted line,plain,,\"=HYPERLINK("));
    assert_false(format_csv_marked(csv, strlen(csv) - 1));
    free(csv);
    /* a title that starts as the mark does is a page's text, no mark: --resume --csv reads it */
    r.url = "http://x/";
    r.title = "''Twas the night";
    r.content_type = "'=1+1";
    csv = render(RECORD_FMT_CSV, &r);
    assert_false(format_csv_marked(csv, strlen(csv) - 1));
    free(csv);
}

/* --fail --resume: a record read back says it failed exactly when record_failed says so, in
 * every format that is resumed, whatever quoting its error needs. */
static void test_read_back_failed_as_record_failed(void **state) {
    (void)state;
    static const struct {
        long status;
        const char *error;
    } cases[] = {
        {200, NULL},
        {404, NULL},
        {500, RECORD_WHY_NOT_HTML "text/plain)"},
        {0, "connection refused: Failed to connect"},
        {200, RECORD_WHY_NOT_HTML "text/plain; charset=utf-8)"},
        {200, RECORD_WHY_CUT "(4096 bytes), \"quoted\""},
        {200, RECORD_WHY_NOT_WELL_FORMED "line 2, column 17: mismatched tag)"},
        {200, RECORD_WHY_TITLE_CAP "4096 bytes, the longest kept"},
        {200, "=1+2, a body broken off mid-title"},
        {200, "\"not HTML (quoted first)"},
    };
    static const record_format_t fmts[] = {RECORD_FMT_JSON, RECORD_FMT_CSV, RECORD_FMT_CSV_SAFE};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (size_t f = 0; f < sizeof fmts / sizeof fmts[0]; f++) {
            record_t r = {0};
            r.url = "http://a/";
            r.status = cases[i].status;
            r.error = cases[i].error && *cases[i].error && cases[i].status < 400 &&
                              strncmp(cases[i].error, "not ", 4) != 0 &&
                              strncmp(cases[i].error, "body cut", 8) != 0 &&
                              strncmp(cases[i].error, "title cut", 9) != 0
                          ? CAFE_EUNKNOWN
                          : 0;
            r.error_msg = (char *)cases[i].error; /* only read */
            char *line = render(fmts[f], &r);
            int failed = -1;
            char *url = format_parse_url_failed(line, strlen(line) - 1, fmts[f], &failed);
            assert_string_equal(url, "http://a/");
            if (failed != record_failed(&r))
                fail_msg("case %zu format %zu: read back %d, record_failed %d", i, f, failed,
                         record_failed(&r));
            free(url);
            free(line);
        }
}

/* What --resume read from a JSON line before json_scan.c: jansson's tree, the URL a string
 * and an error key present; failed by record_failed's rule. */
static char *json_reference(const char *line, size_t n, int *failed) {
    json_t *o = json_loadb(line, n, JSON_REJECT_DUPLICATES, NULL);
    json_t *u = o ? json_object_get(o, "url") : NULL, *e = o ? json_object_get(o, "error") : NULL;
    char *url = json_is_string(u) && e ? strdup(json_string_value(u)) : NULL;
    *failed = url && format_stored_failed((long)json_integer_value(json_object_get(o, "status")),
                                          json_string_value(e), SIZE_MAX);
    json_decref(o);
    return url;
}

/* The line read back as jansson reads it: the same URL (or none) and the same failure. */
static void assert_read_as_jansson(const char *line, size_t n) {
    int want_failed = 0, failed = 0;
    char *want = json_reference(line, n, &want_failed);
    char *got = format_parse_url_failed(line, n, RECORD_FMT_JSON, &failed);
    if ((want == NULL) != (got == NULL) || (want && strcmp(want, got) != 0) ||
        want_failed != failed)
        fail_msg("%.*s: jansson %s (failed %d), read %s (failed %d)", (int)n, line,
                 want ? want : "(none)", want_failed, got ? got : "(none)", failed);
    free(want);
    free(got);
}

/* A queue drain writes a JSON record that json_scan_record takes as cafe's own as it is, not
 * formatted again: a line holding raw a character cafe's writer escapes (a C1 control such as
 * U+009B, a CSI; U+2028; a bidirectional control) is not as cafe writes it, or a hostile Redis
 * entry reaches the drain's terminal or line reader raw. It goes to jansson and the writer,
 * which escapes it (fuzz target resume). */
static void test_a_raw_character_the_writer_escapes_is_not_cafes_shape(void **state) {
    (void)state;
    static const char *const raw[] = {"\xc2\x9b",     "\xc2\x85",     "\xd8\x9c",
                                      "\xe2\x80\xa8", "\xe2\x80\xae", "\xe2\x81\xa6"};
    for (size_t k = 0; k < sizeof raw / sizeof raw[0]; k++) {
        char line[512];
        int n = snprintf(line, sizeof line,
                         "{\"url\":\"http://a/\",\"final_url\":null,\"status\":200,\"title\":"
                         "\"a%s[31mb\",\"content_type\":null,\"charset\":null,"
                         "\"charset_source\":null,\"bytes\":0,\"time_ms\":0,\"attempts\":1,"
                         "\"error\":null}",
                         raw[k]);
        char *url = NULL;
        assert_int_equal(json_scan_record(line, (size_t)n, &url, NULL), 0);
        free(url);
        assert_read_as_jansson(line, (size_t)n);
        record_t r;
        assert_int_equal(format_parse_json(line, (size_t)n, &r), 0);
        char *out = render(RECORD_FMT_JSON, &r);
        assert_null(strstr(out, raw[k]));
        free(out);
        record_clear(&r);
    }
}

/* --resume reads the lines cafe writes without jansson (json_scan.c), and must read every
 * line as jansson does: each record below as written, and every line made from one by
 * putting a byte that matters to JSON (quote, backslash, control, digit, sign, space,
 * UTF-8 lead and continuation bytes, a surrogate's lead) in place of each byte, or
 * cutting it there. */
static void test_resume_reads_json_as_jansson_does(void **state) {
    (void)state;
    for (size_t c = 0; c < RECORD_NCOLUMNS; c++) {
        char key[64];
        snprintf(key, sizeof key, "\"%s\":", record_columns[c].name);
        assert_string_equal(json_scan_key(c), key);
    }
    static const char *const titles[] = {
        "Plain",
        "Quote \" back \\ slash / tab\t nl\n",
        "caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80",
        "line\xe2\x80\xa8sep \xc2\x85 nel \x7f del",
        "",
    };
    static const char *const errors[] = {NULL, "connection refused: Failed to connect",
                                         RECORD_WHY_NOT_HTML "text/plain)", ""};
    static const char mutations[] = "\"\\0159-+ \x01\x1f\x7f\x80\xbf\xc3\xed\xf0\xf4uUnd}{,:\r";
    int fast = 0;
    for (size_t t = 0; t < sizeof titles / sizeof titles[0]; t++) {
        record_t r = {0};
        r.url = t == 3 ? "http://a/\"q\"" : "http://a/p?q=1";
        r.final_url = t == 4 ? NULL : "http://a/final";
        r.status = t == 4 ? 0 : 200 + (int)t * 100;
        r.title = (char *)titles[t];
        r.charset = "UTF-8";
        r.bytes = 1234567;
        r.attempts = 2;
        r.error_msg = (char *)errors[t % (sizeof errors / sizeof errors[0])];
        r.error = r.error_msg ? CAFE_EUNKNOWN : 0;
        char *line = render(RECORD_FMT_JSON, &r);
        size_t n = strlen(line) - 1; /* without its LF */
        char *url = NULL;
        int failed = -1;
        fast += json_scan_record(line, n, &url, &failed);
        free(url);
        assert_read_as_jansson(line, n);
        line[n] = '\r'; /* a CRLF end */
        assert_read_as_jansson(line, n + 1);
        char *m = malloc(n + 1);
        for (size_t i = 0; i < n; i++) {
            assert_read_as_jansson(line, i);
            for (const char *b = mutations; *b; b++) {
                memcpy(m, line, n);
                m[i] = *b;
                assert_read_as_jansson(m, n);
            }
        }
        free(m);
        free(line);
    }
    /* what jansson reads in the shape cafe writes but this pass leaves to it */
    static const char *const odd[] = {
        "{\"url\":\"http://a/\\u0041\",\"final_url\":null,\"status\":200,\"title\":\"\\ud83d"
        "\\ude00\",\"content_type\":null,\"charset\":null,\"charset_source\":null,\"bytes\":0,"
        "\"time_ms\":0,\"attempts\":0,\"error\":\"not \\u0048TML\"}",
        "{\"url\":\"http://a/\",\"final_url\":null,\"status\":0404,\"title\":\"\\ud83d\","
        "\"content_type\":null,\"charset\":null,\"charset_source\":null,\"bytes\":0,"
        "\"time_ms\":0,\"attempts\":0,\"error\":null}",
        "{\"url\":\"http://a/\",\"final_url\":null,\"status\":1234567890123456789,\"title\":null,"
        "\"content_type\":null,\"charset\":null,\"charset_source\":null,\"bytes\":0,"
        "\"time_ms\":0,\"attempts\":0,\"error\":null}",
        "{ \"url\":\"http://a/\",\"final_url\":null,\"status\":500,\"title\":null,"
        "\"content_type\":null,\"charset\":null,\"charset_source\":null,\"bytes\":0,"
        "\"time_ms\":0,\"attempts\":0,\"error\":null}\t",
        "{\"url\":\"http://a/\",\"final_url\":null,\"status\":-1,\"title\":null,"
        "\"content_type\":null,\"charset\":null,\"charset_source\":null,\"bytes\":1.5,"
        "\"time_ms\":0,\"attempts\":0,\"error\":null,\"url\":\"x\"}",
    };
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
        assert_read_as_jansson(odd[i], strlen(odd[i]));
    /* titles of bytes that are not UTF-8 (a surrogate, overlong forms, past U+10FFFF, cut
     * short) and of escapes that are not JSON's, next to the good ones at their limits */
    static const char *const raw[] = {"\xed\xa0\x80",
                                      "\xed\x9f\xbf",
                                      "\xc0\xaf",
                                      "\xc2\x80",
                                      "\xe0\x80\xaf",
                                      "\xe0\xa0\x80",
                                      "\xf0\x80\x80\x80",
                                      "\xf0\x90\x80\x80",
                                      "\xf4\x90\x80\x80",
                                      "\xf4\x8f\xbf\xbf",
                                      "\xe2\x82",
                                      "\\u0000",
                                      "\\udc00",
                                      "\\ud800\\u0041",
                                      "\\ud800\\udc00",
                                      "\\u00e9",
                                      "\\x41",
                                      "\\u12"};
    for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++) {
        char line[512];
        int n =
            snprintf(line, sizeof line,
                     "{\"url\":\"http://a/\",\"final_url\":null,\"status\":200,\"title\":\"a%sz\","
                     "\"content_type\":null,\"charset\":null,\"charset_source\":null,"
                     "\"bytes\":0,\"time_ms\":0,\"attempts\":0,\"error\":null}",
                     raw[i]);
        assert_read_as_jansson(line, (size_t)n);
    }
    /* every record cafe wrote was read without jansson, but the one whose URL holds a quote
     * (escaped: read by jansson) */
    assert_int_equal(fast, (int)(sizeof titles / sizeof titles[0]) - 1);
}

static void test_urlset(void **state) {
    keyset_t s;
    keyset_init(&s);
    char buf[32];
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(buf, sizeof buf, "http://h/%d", i);
        assert_int_equal(keyset_add(&s, buf, (size_t)n), 0);
    }
    assert_int_equal(s.len, 5000);
    assert_true(keyset_has(&s, "http://h/4999", 13));
    assert_false(keyset_has(&s, "http://h/5000", 13));
    /* a record per line: two records of a key are taken twice, then no more */
    assert_int_equal(keyset_add(&s, "http://h/1", 10), 0);
    assert_true(keyset_take(&s, "http://h/1", 10));
    assert_true(keyset_take(&s, "http://h/1", 10));
    assert_false(keyset_take(&s, "http://h/1", 10));
    /* a database row stands for every line of its URL, even after a record of it */
    assert_int_equal(keyset_add(&s, "http://h/2", 10), 0);
    assert_int_equal(keyset_add_every(&s, "http://h/2", 10), 0);
    assert_int_equal(keyset_add(&s, "http://h/2", 10), 0);
    for (int i = 0; i < 5; i++)
        assert_true(keyset_take(&s, "http://h/2", 10));
    assert_int_equal(s.len, 5000);
    keyset_free(&s);
}

static void test_resume_truncates_torn_record(void **state) {
    char path[] = "/tmp/cafe-resume-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *content = "{\"url\": \"http://a/1\", \"error\": null}\n"
                          "{\"url\": \"http://a/2\", \"error\": \"HTTP 404\"}\n"
                          "{\"url\": \"http://a/3\", \"tit";
    assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    close(fd);
    keyset_t s;
    keyset_init(&s);
    char why[256];
    assert_int_equal(stream_resume_load(path, RECORD_FMT_JSON, &s, NULL, why, sizeof why, NULL), 2);
    assert_true(keyset_has(&s, "http://a/2", 10));
    assert_false(keyset_has(&s, "http://a/3", 10));
    FILE *f = fopen(path, "r");
    fseek(f, 0, SEEK_END);
    assert_int_equal(ftell(f), (long)(strlen(content) - strlen("{\"url\": \"http://a/3\", \"tit")));
    fclose(f);
    unlink(path);
    keyset_free(&s);
}

/* The reader reads blocks of 64 KiB: records ending a byte short of a block's end, on it
 * and a byte past it, one over many blocks, and a long torn one after them are each read
 * once, whole, and the torn one cut off. */
static void test_resume_reads_records_across_blocks(void **state) {
    static const long ends[] = {65535, 2 * 65536, 3 * 65536 + 1, 9 * 65536 + 7, 9 * 65536 + 60};
    const size_t n = sizeof ends / sizeof ends[0];
    char path[] = "/tmp/cafe-resume-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    for (size_t i = 0; i <= n; i++) { /* the last one torn: 200,000 bytes and no end */
        fprintf(f, "{\"url\":\"http://a/%zu\",\"error\":null,\"title\":\"", i);
        long pad = i < n ? ends[i] - ftell(f) - 3 : 200000;
        for (long k = 0; k < pad; k++)
            fputc('t', f);
        if (i < n)
            fputs("\"}\n", f);
        assert_true(i == n || ftell(f) == ends[i]);
    }
    fclose(f);
    keyset_t s;
    keyset_init(&s);
    char why[256], key[32];
    assert_int_equal(stream_resume_load(path, RECORD_FMT_JSON, &s, NULL, why, sizeof why, NULL),
                     (long)n);
    for (size_t i = 0; i <= n; i++) {
        int len = snprintf(key, sizeof key, "http://a/%zu", i);
        assert_int_equal(keyset_take(&s, key, (size_t)len), i < n);
    }
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, ends[n - 1]);
    unlink(path);
    keyset_free(&s);
}

/* Issue 15 item 7: what is not cafe output of the format is refused, never cut. */
static void test_resume_refuses_what_is_not_ours(void **state) {
    static const struct {
        record_format_t fmt;
        const char *content;
    } cases[] = {
        {RECORD_FMT_JSON, "not cafe output\n"},
        {RECORD_FMT_JSON, "not cafe output, unfinished"},
        {RECORD_FMT_JSON, "'Example' from https://example.com/\n"},
        {RECORD_FMT_CSV, "{\"url\":\"http://a/1\",\"error\":null}\n"},
        {RECORD_FMT_CSV, "url,final_url\n"},
        {RECORD_FMT_CSV, "http://a/1,,,,,,,,,,\r\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[] = "/tmp/cafe-resume-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        size_t len = strlen(cases[i].content);
        assert_int_equal(write(fd, cases[i].content, len), (ssize_t)len);
        close(fd);
        keyset_t s;
        keyset_init(&s);
        char why[256];
        assert_int_equal(stream_resume_load(path, cases[i].fmt, &s, NULL, why, sizeof why, NULL),
                         CAFE_EINVAL);
        assert_non_null(strstr(why, "not resuming onto it"));
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_size, (off_t)len);
        unlink(path);
        keyset_free(&s);
    }
    assert_int_equal(format_header_prefix("url,final", 9), 1);
    assert_int_equal(format_header_prefix("url,x", 5), 0);
}

/* --threads: an origin stays on its worker while it has URLs out and for the affinity after;
 * new origins go to the least loaded worker; the key is the client's (scheme, host, port). */
static void test_origins_stick_and_balance(void **state) {
    cli_origins_t t;
    cli_origin_t *a1, *a2, *b, *c, *d, *x;
    assert_int_equal(cli_origins_init(&t, 3, 1000), 0);
    size_t wa = cli_origins_take(&t, "http://a.test/1", 0, &a1);
    size_t wb = cli_origins_take(&t, "http://b.test/1", 0, &b);
    size_t wc = cli_origins_take(&t, "http://c.test/1", 0, &c);
    assert_true(wa != wb && wb != wc && wa != wc); /* one each: the least loaded first */
    /* the same origin however spelled: case, userinfo, path, query */
    assert_int_equal(cli_origins_take(&t, "HTTP://user:pw@A.TEST/2?x", 0, &a2), wa);
    assert_ptr_equal(a1, a2);
    /* another port or scheme is another origin: to a worker with fewer URLs out than a's */
    size_t wd = cli_origins_take(&t, "http://a.test:8080/", 0, &d);
    assert_true(wd != wa);
    cli_origins_back(&t, a1, wa, 10);
    cli_origins_back(&t, a2, wa, 10); /* a is idle from 10 ms */
    cli_origins_back(&t, d, wd, 10);
    /* within the affinity a comes back to its worker, though it is not the least loaded */
    assert_int_equal(cli_origins_take(&t, "http://a.test/3", 900, &x), wa);
    cli_origins_back(&t, x, wa, 900);
    /* idle past it, a is forgotten when a new origin comes, and goes where the load is least */
    cli_origins_back(&t, b, wb, 900);
    cli_origins_back(&t, c, wc, 900);
    size_t n = t.n;
    size_t we = cli_origins_take(&t, "http://e.test/", 2000, &x); /* a, b, c, d expire */
    assert_true(t.n < n && t.n == 1);
    cli_origins_back(&t, x, we, 2000);
    cli_origins_free(&t);
}

/* Thousands of origins: the table grows, and idle ones beyond ORIGINS_IDLE_MAX are forgotten
 * (oldest first) however young. */
static void test_origins_bounded(void **state) {
    cli_origins_t t;
    cli_origin_t *o, *last = NULL;
    char url[64];
    assert_int_equal(cli_origins_init(&t, 2, 3600000), 0);
    for (int i = 0; i < ORIGINS_IDLE_MAX + 5000; i++) {
        snprintf(url, sizeof url, "https://h%d.test/", i);
        size_t w = cli_origins_take(&t, url, 1, &o);
        assert_non_null(o);
        cli_origins_back(&t, o, w, 1);
        last = o;
    }
    assert_true(t.n <= ORIGINS_IDLE_MAX + 1 && t.idle.len == t.n);
    assert_int_equal(t.load[0] + t.load[1], 0);
    assert_int_equal(t.out, 0);
    /* the youngest is still known: its entry, and its worker, are kept */
    size_t w1 = cli_origins_take(&t, url, 2, &o);
    assert_ptr_equal(o, last);
    cli_origins_back(&t, o, w1, 2);
    cli_origins_free(&t);
}

/* What a database's runs table keeps of the command line: no secret in any spelling. The
 * last five leaked: a proxy without a scheme, libpq's ?password=, sslpassword=, and a -H
 * inside a cluster (-kH), its value in the next argument or in the same one. */
static void test_db_options_mask_secrets(void **state) {
    (void)state;
    char *argv[] = {"titles",
                    "--db=postgresql://u:s1@h/db",
                    "-x",
                    "http://p:s2@proxy:8080",
                    "-H",
                    "Authorization: Bearer s3",
                    "--header=Cookie: s4",
                    "-HX-Key: s5",
                    "-x",
                    "user:s6@proxy:3128",
                    "--db",
                    "postgresql://u@h/db?password=s7&table=t",
                    "postgresql://u@h/db?sslpassword=s8",
                    "-kH",
                    "X-Token: s9",
                    "-qkHX-Other: s10",
                    "-c",
                    "10",
                    "http://h:8080/a:b"};
    int argc = (int)(sizeof argv / sizeof argv[0]);
    char *s = cli_db_options(argc, argv);
    assert_non_null(s);
    for (int i = 1; i <= 10; i++) {
        char secret[8];
        snprintf(secret, sizeof secret, "s%d\"", i); /* each secret ends its argument... */
        assert_null(strstr(s, secret));
        snprintf(secret, sizeof secret, "s%d&", i); /* ...or its parameter */
        assert_null(strstr(s, secret));
    }
    assert_string_equal(
        s, "[\"titles\",\"--db=postgresql://u:***@h/db\",\"-x\",\"http://p:***@proxy:8080\","
           "\"-H\",\"Authorization: ***\",\"--header=Cookie: ***\",\"-HX-Key: ***\",\"-x\","
           "\"user:***@proxy:3128\",\"--db\",\"postgresql://u@h/db?password=***&table=t\","
           "\"postgresql://u@h/db?sslpassword=***\",\"-kH\",\"X-Token: ***\","
           "\"-qkHX-Other: ***\",\"-c\",\"10\",\"http://h:8080/a:b\"]");
    free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trim),
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_canonical_fast_path),
        cmocka_unit_test(test_text_output_is_terminal_safe),
        cmocka_unit_test(test_text_scan_edges),
        cmocka_unit_test(test_text_safe_copy),
        cmocka_unit_test(test_json_and_csv_round_trip),
        cmocka_unit_test(test_csv_safe_marks_formulas),
        cmocka_unit_test(test_read_back_failed_as_record_failed),
        cmocka_unit_test(test_resume_reads_json_as_jansson_does),
        cmocka_unit_test(test_a_raw_character_the_writer_escapes_is_not_cafes_shape),
        cmocka_unit_test(test_urlset),
        cmocka_unit_test(test_resume_truncates_torn_record),
        cmocka_unit_test(test_resume_refuses_what_is_not_ours),
        cmocka_unit_test(test_resume_reads_records_across_blocks),
        cmocka_unit_test(test_origins_stick_and_balance),
        cmocka_unit_test(test_origins_bounded),
        cmocka_unit_test(test_db_options_mask_secrets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
