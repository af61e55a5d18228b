/* A job list's charset. HTTP says a text body is in the charset its Content-Type names: a
 * list sent as "text/plain; charset=utf-16" (as Windows tools write text) was read as UTF-8,
 * one line of NULs, and not one URL in it fetched. Text is decoded to UTF-8 from the charset
 * it names (iconv's names), or from UTF-16 when its byte order mark shows it (cafe titles
 * refuses such a file by that mark); a charset iconv does not know is 415, bytes that are
 * not of it 400 (UTF-8 too, when named), each naming it. JSON is UTF-8 (RFC 8259, 8.1: no other
 * charset is JSON between systems): another charset is 415. A UTF-8 byte order mark is skipped, as
 * cafe titles skips it. */
#include "srv.h"
#include "ascii.h"
#include "token.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The charset parameter of a Content-Type (RFC 9110, 5.6.6: a token or a quoted string,
 * the name without case) into out: 1, 0 without one, -1 for one that does not fit, one
 * given twice, or a parameter list that is not well formed. Twice ("charset=utf-8;
 * charset=utf-16"), the first was taken and the rest not looked at, where a proxy or the
 * client's own library may go by the last: the list read as one text here, another there. */
static int ct_charset(const char *ct, char *out, size_t size) {
    const char *p = ct ? strchr(ct, ';') : NULL;
    int found = 0;
    while (p && *p == ';') {
        p += 1 + strspn(p + 1, " \t");
        const char *name = p;
        while (http_tchar(*p))
            p++;
        if (*p != '=' || p == name)
            return *p == '\0' && p == name ? found : -1; /* "type;" alone is fine */
        int ours = p - name == 7 && ascii_ncasecmp(name, "charset", 7) == 0;
        if (ours && found++)
            return -1;
        size_t n = 0;
        if (*++p == '"') {
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1])
                    p++;
                if (ours && n + 1 < size)
                    out[n++] = *p;
                else if (ours)
                    return -1;
            }
            if (*p++ != '"')
                return -1;
        } else {
            for (; http_tchar(*p); p++) {
                if (ours && n + 1 < size)
                    out[n++] = *p;
                else if (ours)
                    return -1;
            }
        }
        if (ours && !n)
            return -1;
        if (ours)
            out[n] = '\0';
        p += strspn(p, " \t");
    }
    return p && *p ? -1 : found;
}

static int is_utf8(const char *cs) {
    return ascii_casecmp(cs, "utf-8") == 0 || ascii_casecmp(cs, "utf8") == 0;
}

/* UTF-16's byte order mark, then an ASCII character (its high byte 0): ff fe alone may
 * start a UTF-8 line of invalid bytes. */
static int utf16_bom(const char *b, size_t len) {
    return len >= 4 && ((memcmp(b, "\xff\xfe", 2) == 0 && b[3] == 0) ||
                        (memcmp(b, "\xfe\xff", 2) == 0 && b[2] == 0));
}

/* iconv's converter from cs to UTF-8; (iconv_t)-1 for a name it does not know, and for one
 * with a "/": that would be iconv's own options (//IGNORE, //TRANSLIT) rather than a name. */
static iconv_t from_charset(const char *cs) {
    return strchr(cs, '/') ? (iconv_t)-1 : iconv_open("UTF-8", cs);
}

/* The charset of a list whose Content-Type is ct into cs (*has 1, or 0 without one; a UTF-16
 * byte order mark, when bom_utf16 says the body starts with one, names UTF-16), and whether
 * a list may come in it: 0, or the status with why written (400: parameters not well formed;
 * 415: a JSON list in another charset than UTF-8). */
static unsigned charset_of(const char *ct, int json, int bom_utf16, char *cs, size_t cs_size,
                           int *has, char *why, size_t size) {
    *has = ct_charset(ct, cs, cs_size);
    if (*has < 0)
        return snprintf(why, size, "a Content-Type whose parameters are not well formed"), 400;
    if (!*has && bom_utf16)
        snprintf(cs, cs_size, "UTF-16"), *has = 1; /* its mark says which UTF-16 */
    if (json && *has && !is_utf8(cs))
        return snprintf(why, size, "a JSON list is UTF-8 (RFC 8259), not charset=%s", cs), 415;
    return 0;
}

/* Decodes body from cs into a new buffer of at most max bytes. */
static unsigned decode(const char *cs, const char *body, size_t len, size_t max, char **out,
                       size_t *out_len, char *why, size_t size) {
    iconv_t cd = from_charset(cs);
    if (cd == (iconv_t)-1)
        return snprintf(why, size, "unknown charset=%s", cs), 415;
    size_t cap = len + len / 2 + 16;
    char *buf = NULL, *in = (char *)body;
    size_t in_left = len, used = 0;
    unsigned status = 0;
    for (;;) {
        cap = cap > max ? max : cap;
        char *b = realloc(buf, cap + 1);
        if (!b) {
            snprintf(why, size, "out of memory");
            status = 503;
            break;
        }
        buf = b;
        char *o = buf + used;
        size_t o_left = cap - used;
        size_t rc = iconv(cd, &in, &in_left, &o, &o_left);
        if (rc != (size_t)-1 && iconv(cd, NULL, NULL, &o, &o_left) != (size_t)-1) {
            used = cap - o_left;
            break;
        }
        used = cap - o_left;
        if (errno != E2BIG) {
            snprintf(why, size, "the body is not text in charset=%s", cs);
            status = 400;
            break;
        }
        if (cap == max) {
            snprintf(why, size, "the list, decoded from charset=%s to UTF-8, is over --max-body",
                     cs);
            status = 413;
            break;
        }
        cap *= 2;
    }
    iconv_close(cd);
    if (status) {
        free(buf);
        return status;
    }
    buf[used] = '\0';
    *out = buf;
    *out_len = used;
    return 0;
}

int srv_media_type_json(const char *ct) {
    static const char app[] = "application/";
    if (!ct)
        return 0;
    ct += strspn(ct, " \t");
    if (ascii_ncasecmp(ct, app, sizeof app - 1) != 0)
        return 0;
    const char *sub = ct + sizeof app - 1;
    size_t n = strcspn(sub, " \t;");
    return (n == 4 && ascii_ncasecmp(sub, "json", 4) == 0) ||
           (n > 5 && ascii_ncasecmp(sub + n - 5, "+json", 5) == 0);
}

unsigned srv_body_charset_check(const char *ct, char *why, size_t size) {
    char cs[48];
    int has;
    unsigned status = charset_of(ct, srv_media_type_json(ct), 0, cs, sizeof cs, &has, why, size);
    if (status || !has || is_utf8(cs))
        return status;
    iconv_t cd = from_charset(cs);
    if (cd == (iconv_t)-1)
        return snprintf(why, size, "unknown charset=%s", cs), 415;
    iconv_close(cd);
    return 0;
}

unsigned srv_body_utf8(const char *ct, int json, const char *body, size_t len, size_t max,
                       char **out, size_t *off, size_t *out_len, char *why, size_t size) {
    char cs[48];
    int has;
    *out = NULL;
    *off = 0;
    *out_len = len;
    unsigned status = charset_of(ct, json, utf16_bom(body, len), cs, sizeof cs, &has, why, size);
    if (status)
        return status;
    const char *text = body;
    if (has && !is_utf8(cs)) {
        status = decode(cs, body, len, max, out, out_len, why, size);
        if (status)
            return status;
        text = *out;
    } else if ((has || json) && !cafe_utf8_valid(body, len)) {
        /* Said to be UTF-8 (a JSON list is, RFC 8259) and not: its bytes were taken as they
         * are, a Latin-1 "caf\xe9" fetched as caf%E9 where caf%C3%A9 was meant, and a JSON
         * list "must be a JSON array of strings". A list that names no charset is read as
         * bytes, as cafe titles reads a file. */
        return snprintf(why, size, "the body is not text in charset=%s", has ? cs : "utf-8"), 400;
    }
    if (*out_len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        *off = 3, *out_len -= 3;
    return 0;
}
