#include "url.h"
#include "ascii.h"
#include "cafe.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <idn2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The WHATWG IPv4 number parser over s[0..n): decimal, octal after a leading "0", hex after
 * "0x"; "0x" alone is 0. 0 with *v set (held at 2^32 when over: too large for any part), or
 * -1 when not a number. */
static int ipv4_number(const char *s, size_t n, uint64_t *v) {
    unsigned radix = 10;
    if (n == 0)
        return -1;
    if (n >= 2 && s[0] == '0' && (s[1] | 0x20) == 'x')
        radix = 16, s += 2, n -= 2;
    else if (n >= 2 && s[0] == '0')
        radix = 8, s++, n--;
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i], d = c - '0';
        if (radix == 16 && d > 9)
            d = (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : radix;
        if (d >= radix)
            return -1;
        *v = *v * radix + d;
        if (*v > UINT32_MAX)
            *v = (uint64_t)UINT32_MAX + 1;
    }
    return 0;
}

int cafe__url_ipv4(const char *host, char quad[16]) {
    size_t n = strlen(host);
    if (n > 1 && host[n - 1] == '.')
        n--; /* a trailing empty label is dropped */
    /* "Ends in a number": the last label is digits, or a number as the parser reads it. */
    size_t start = n;
    while (start > 0 && host[start - 1] != '.')
        start--;
    uint64_t v;
    if (start == n || (strspn(host + start, "0123456789") < n - start &&
                       ipv4_number(host + start, n - start, &v) != 0))
        return 0;
    uint64_t addr = 0;
    unsigned part = 0;
    for (size_t i = 0;; i++, part++) {
        const char *dot = memchr(host + i, '.', n - i);
        size_t end = dot ? (size_t)(dot - host) : n;
        if (part > 3 || ipv4_number(host + i, end - i, &v) != 0 || (dot && v > 255))
            return -1;
        if (!dot)
            break;
        addr |= v << (8 * (3 - part));
        i = end;
    }
    if (v >= (uint64_t)1 << (8 * (4 - part))) /* the last part fills the bytes left */
        return -1;
    addr += v;
    snprintf(quad, 16, "%u.%u.%u.%u", (unsigned)(addr >> 24), (unsigned)(addr >> 16 & 255),
             (unsigned)(addr >> 8 & 255), (unsigned)(addr & 255));
    return 1;
}

int cafe__url_ipv6(const char *addr, char out[40]) {
    unsigned char b[16];
    if (inet_pton(AF_INET6, addr, b) != 1)
        return -1;
    unsigned piece[8];
    size_t run = 8, len = 1; /* the longest run of zero pieces, if over 1 */
    for (size_t i = 0, n = 0; i < 8; i++) {
        piece[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
        n = piece[i] ? 0 : n + 1;
        if (n > len)
            run = i + 1 - n, len = n;
    }
    char *o = out;
    for (size_t i = 0; i < 8; i++) {
        if (i == run) {
            o += sprintf(o, i == 0 ? "::" : ":");
            i += len - 1;
            continue;
        }
        o += sprintf(o, "%x%s", piece[i], i < 7 ? ":" : "");
    }
    return 0;
}

static int slash(char c) {
    return c == '/' || c == '\\';
}

/* How many dots the path segment s[0..n) is, "%2e" being a dot too ("%2e%2e" is ".."): 1 or
 * 2 for a dot segment, else 0. */
static size_t dot_segment(const char *s, size_t n) {
    size_t i = 0, dots = 0;
    for (; i < n && dots < 3; dots++)
        if (s[i] == '.')
            i++;
        else if (n - i >= 3 && s[i] == '%' && s[i + 1] == '2' && (s[i + 2] | 0x20) == 'e')
            i += 3;
        else
            return 0;
    return i == n && dots <= 2 ? dots : 0;
}

/* The parts of a URL whose percent-encode sets put() knows. */
enum { PATH = 1, QUERY = 2, FRAGMENT = 4, USERINFO = 8 };

/* The percent-encode sets of the parts, by byte from ' ' to '~' (one lookup a byte of every
 * URL parsed): ' ' '"' '<' '>' in all, '`' '{' '}' in some, "'" in the query, the userinfo's
 * delimiters in the userinfo, '^' in the path too (Chromium and Firefox encode it there, node
 * 20's URL does not; not '|', which Chromium alone encodes there). Controls and bytes from DEL
 * on are in all. */
#define ALL (PATH | QUERY | FRAGMENT | USERINFO)
static const unsigned char encode_set[128] = {
    [' '] = ALL,
    ['"'] = ALL,
    ['<'] = ALL,
    ['>'] = ALL,
    ['`'] = PATH | FRAGMENT | USERINFO,
    ['{'] = PATH | USERINFO,
    ['}'] = PATH | USERINFO,
    ['\''] = QUERY,
    [':'] = USERINFO,
    [';'] = USERINFO,
    ['='] = USERINFO,
    ['@'] = USERINFO,
    ['['] = USERINFO,
    [']'] = USERINFO,
    ['^'] = PATH | USERINFO,
    ['|'] = USERINFO,
};

/* Writes c to o as the part writes it: percent-encoded (upper-case hex) when in the part's
 * percent-encode set, as itself otherwise. Returns the end of what was written. */
static char *put(char *o, unsigned char c, unsigned part) {
    static const char hex[] = "0123456789ABCDEF";
    unsigned set = c < 0x20 || c >= 0x7f ? ALL : encode_set[c];
    if (!(set & part)) {
        *o++ = (char)c;
        return o;
    }
    *o++ = '%';
    *o++ = hex[c >> 4];
    *o++ = hex[c & 15];
    return o;
}

/* Writes the userinfo s[0..n) (before the authority's last '@') as the standard does: the
 * user name and password split at the first ':', each percent-encoded, the password and the
 * "@" left out when empty. Returns the end of what was written. */
static char *userinfo(char *o, const char *s, size_t n) {
    char *start = o, *pass = NULL;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ':' && !pass)
            *(pass = o++) = ':';
        else
            o = put(o, (unsigned char)s[i], USERINFO);
    if (pass && o == pass + 1)
        o = pass;
    if (o != start)
        *o++ = '@';
    return o;
}

char *cafe__url_special(const char *url) {
    size_t n = strlen(url), i = strcspn(url, ":");
    char *out = malloc(3 * n + 3), *o = out; /* each byte at most "%XX", and "//" */
    if (!out)
        return NULL;
    if (i < n) { /* "scheme:", then "//" for the slashes there were */
        memcpy(o, url, ++i);
        o += i;
        *o++ = '/';
        *o++ = '/';
        while (i < n && slash(url[i]))
            i++;
    }
    size_t end = i;
    while (end < n && !slash(url[end]) && url[end] != '?' && url[end] != '#')
        end++; /* the authority's */
    for (size_t at = end; at > i; at--)
        if (url[at - 1] == '@') {
            if (at < end) { /* no host after the '@': left as written, for curl to refuse */
                o = userinfo(o, url + i, at - 1 - i);
                i = at;
            }
            break;
        }
    while (i < end)
        *o++ = url[i++];                                   /* the host and port */
    for (; i < n && url[i] != '?' && url[i] != '#'; i++) { /* the path */
        if (!slash(url[i])) {
            o = put(o, (unsigned char)url[i], PATH);
            continue;
        }
        *o++ = '/';
        size_t seg = i + 1 + strcspn(url + i + 1, "/\\?#"); /* the next segment's end */
        size_t dots = dot_segment(url + i + 1, seg - i - 1);
        if (dots) { /* written as dots, which curl's parser removes */
            memcpy(o, "..", dots);
            o += dots;
            i = seg - 1;
        }
    }
    for (unsigned part = QUERY; i < n; i++) { /* the query, then the fragment */
        if (url[i] == '#')
            part = FRAGMENT;
        o = put(o, (unsigned char)url[i], part);
    }
    *o = '\0';
    return out;
}

static int scheme_ok(const char *scheme) {
    return strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0;
}

/* curl decodes a percent-encoded host without checking it again: "%7f" gives the URL
 * "http://\x7f/", "ho%25st" the name "ho%st". A host that is empty or, once decoded, holds
 * one of the standard's forbidden domain code points (controls, space, DEL and
 * "#%/:<>?@[\\]^|"; an IPv6 address keeps its brackets and colons) is refused here, on its
 * input line, as browsers refuse it, rather than looked up in DNS under such a name. */
static int domain_chars_ok(const char *host, const char *forbidden) {
    for (const char *p = host; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f || strchr(forbidden, *p))
            return 0;
    return 1;
}

#define FORBIDDEN "#%/:<>?@[\\]^|"
static int host_ok(CURLU *u) {
    char *host = NULL;
    int ok = curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host && host[0] &&
             domain_chars_ok(host, host[0] == '[' ? "" : FORBIDDEN);
    curl_free(host);
    return ok;
}

/* An IPv6 host ("[...]") as browsers write it (cafe__url_ipv6): curl kept "[::FFFF:127.0.0.1]"
 * as written, and took a zone ID ("%25eth0"), which a browser refuses. NULL, or why the line
 * is refused. */
static const char *ipv6_fix(CURLU *u, const char *host) {
    char *zone = NULL, addr[40], v6[42] = "[";
    int zoned = curl_url_get(u, CURLUPART_ZONEID, &zone, 0) == CURLUE_OK;
    curl_free(zone);
    size_t n = strlen(host);
    if (zoned || n < 2 || n - 2 >= sizeof addr)
        return "bad IPv6 address";
    memcpy(addr, host + 1, n - 2);
    addr[n - 2] = '\0';
    if (cafe__url_ipv6(addr, v6 + 1) != 0)
        return "bad IPv6 address";
    strcat(v6, "]");
    CURLUcode uc = curl_url_set(u, CURLUPART_HOST, v6, 0);
    return uc == CURLUE_OK ? NULL : curl_url_strerror(uc);
}

/* The host as browsers read it (the functions above), where curl's parser reads it otherwise: an
 * ASCII name is lower-cased (curl kept "Example.COM", one site under two URLs); a host that ends in
 * a number is an IPv4 address, written as its dotted quad (curl took "127.0.0.1.", a trailing
 * dot, for a name to look up) or refused (curl looked up "1.2.3.4.5" or "1.2.3.09"); an IPv6
 * address is written as browsers write it (ipv6_fix). A Unicode name stays as written
 * (idn_fix). NULL, or why the line is refused. */
static const char *host_fix(CURLU *u) {
    char *host = NULL, quad[16];
    CURLUcode uc = curl_url_get(u, CURLUPART_HOST, &host, 0);
    if (uc == CURLUE_OK && host[0] == '[') {
        const char *why = ipv6_fix(u, host);
        curl_free(host);
        return why;
    }
    int r = 0, changed = 0;
    if (uc == CURLUE_OK) {
        size_t n = 0;
        while (host[n] && !((unsigned char)host[n] & 0x80))
            n++;
        int ascii = host[n] == '\0'; /* else a Unicode name: all of it as written */
        for (size_t i = 0; ascii && i < n; i++)
            if (host[i] >= 'A' && host[i] <= 'Z')
                host[i] |= 0x20, changed = 1;
        r = ascii ? cafe__url_ipv4(host, quad) : 0;
    }
    if (r > 0 || changed)
        uc = curl_url_set(u, CURLUPART_HOST, r > 0 ? quad : host, 0);
    curl_free(host);
    return uc != CURLUE_OK ? curl_url_strerror(uc)
           : r < 0         ? "bad IPv4 address (the host ends in a number)"
                           : NULL;
}

/* The checks of host_ok and host_fix, on the ASCII form of a Unicode host: its mapping can
 * make a forbidden code point ("％４１.com" is "%41.com", U+3000 a space) or a number
 * ("０Ｘｃ０．０２５０．０１" is "0xc0.0250.01"). An IPv4 address is written as its dotted quad;
 * another name as its ASCII form when ascii is set. NULL, or why the line is refused. */
static const char *ace_fix(CURLU *u, const char *ace, int ascii) {
    char quad[16];
    if (!domain_chars_ok(ace, FORBIDDEN))
        return "bad international host name (a forbidden character once mapped)";
    int r = cafe__url_ipv4(ace, quad);
    if (r < 0)
        return "bad IPv4 address (the host ends in a number)";
    if ((r > 0 || ascii) && curl_url_set(u, CURLUPART_HOST, r > 0 ? quad : ace, 0) != CURLUE_OK)
        return "out of memory";
    return NULL;
}

/* Whether libidn2's code rc, for an "xn--" label looked up as UTS #46 reads it
 * (idn2_lookup_u8, non-transitional: the label decoded, then UTS #46's validity criteria,
 * then IDNA2008's rules), means a browser refuses the label. libidn2 stops at the first
 * check that fails, so these are the codes of checks the URL Standard makes too: Punycode
 * that does not decode (or decodes to ASCII alone, or past 63 code points: no DNS label),
 * not NFC, a leading combining mark, a code point neither valid nor a deviation (C1 controls,
 * mapped and disallowed ones), ZWNJ/ZWJ out of context (CheckJoiners). Not refused: what
 * the standard does not check (hyphens: CheckHyphens is off; IDNA2008's disallowed code
 * points, such as emoji, and CONTEXTO; a code point unassigned in libidn2's Unicode version,
 * maybe assigned in a browser's), nor IDNA2008's Bidi rule, which libidn2 applies to every
 * label where the standard applies it to domains with a right-to-left label only. */
static int ace_refused(int rc) {
    switch (rc) {
    case IDN2_PUNYCODE_BAD_INPUT:
    case IDN2_PUNYCODE_BIG_OUTPUT:
    case IDN2_PUNYCODE_OVERFLOW:
    case IDN2_ENCODING_ERROR:
    case IDN2_TOO_BIG_LABEL:
    case IDN2_NOT_NFC:
    case IDN2_LEADING_COMBINING:
    case IDN2_INVALID_NONTRANSITIONAL:
    case IDN2_DOT_IN_LABEL:
    case IDN2_CONTEXTJ:
    case IDN2_CONTEXTJ_NO_RULE:
        return 1;
    default:
        return 0;
    }
}

/* The last label cafe__url_ace_ok took (its rest, as given), per thread: libidn2's check costs
 * ~38,000 instructions, a list's URLs come host after host, and the HTTP client checks again
 * each URL a list line gave (cafe__url_canonical). The one state of these rules. */
static _Thread_local struct {
    size_t n;
    char p[63];
} ace_last;

int cafe__url_ace_ok(const char *p, size_t n) {
    if (n == ace_last.n && n && memcmp(p, ace_last.p, n) == 0)
        return 1;
    char label[4 + 253 + 1] = "xn--"; /* a longer one is in no host name DNS takes */
    if (n > sizeof label - 5)
        return 0;
    for (size_t i = 0; i < n; i++)
        label[4 + i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] | 0x20 : p[i]);
    label[4 + n] = '\0';
    if (ace_refused(idn2_lookup_u8((const uint8_t *)label, NULL, IDN2_NONTRANSITIONAL)))
        return 0;
    if (n <= sizeof ace_last.p) {
        memcpy(ace_last.p, p, n);
        ace_last.n = n;
    }
    return 1;
}

/* Why host (ASCII, lower-case) is refused for an "xn--" label: NULL when it has none, or
 * each is the ASCII form of a label a browser takes (cafe__url_ace_ok). */
static const char *ace_labels(const char *host) {
    for (const char *l = host; *l;) {
        size_t n = strcspn(l, ".");
        if (n >= 4 && ascii_ncasecmp(l, "xn--", 4) == 0 && !cafe__url_ace_ok(l + 4, n - 4))
            return "bad international host name (an xn-- label that is not valid IDNA)";
        l += n + (l[n] == '.');
    }
    return NULL;
}

/* The ASCII form of a Unicode host (UTF-8) as libcurl 7.88 makes it with libidn2 (UTS #46
 * non-transitional processing, browsers' way; where that fails, transitional processing),
 * but read as UTF-8 whatever the locale: libcurl reads it in LC_CTYPE's charset, and in the
 * "C" locale of a program that never called setlocale it read none. Where the two ways
 * differ it is refused: transitional processing maps UTS #46's deviations (U+00DF "ß" to
 * "ss", U+03C2 "ς" to "σ") and drops U+200C ZWNJ and U+200D ZWJ, so "ß♥" (non-transitional
 * processing fails in libidn2 for any label IDNA2008 disallows) went to xn--ss-u0x, not
 * xn--zca623q, "a<ZWNJ>b" to "ab", a host browsers refuse. NULL with *ace malloc'd (NULL
 * when refused), or why. */
static const char *ace_of(const char *host, char **ace) {
    static const char *const deviations[] = {"\xc3\x9f", "\xcf\x82", "\xe2\x80\x8c",
                                             "\xe2\x80\x8d"};
    uint8_t **out = (uint8_t **)ace;
    *ace = NULL;
    int rc = idn2_lookup_u8((const uint8_t *)host, out, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    if (rc == IDN2_OK)
        return NULL;
    if (rc == IDN2_MALLOC)
        return "out of memory";
    for (size_t i = 0; i < sizeof deviations / sizeof deviations[0]; i++)
        if (strstr(host, deviations[i]))
            return "bad international host name (sharp s, final sigma, ZWNJ or ZWJ in a name "
                   "libidn2 converts otherwise than browsers)";
    rc = idn2_lookup_u8((const uint8_t *)host, out, IDN2_TRANSITIONAL);
    return rc == IDN2_OK       ? NULL
           : rc == IDN2_MALLOC ? "out of memory"
                               : "bad international host name (IDNA)";
}

/* A host with non-ASCII letters must convert to its ASCII form (ace_of); the URL keeps the
 * form written, unless that form is an IPv4 address (written as its dotted quad, as browsers
 * do) or ascii is set (the form requested, which libcurl need not convert). NULL, or why the
 * line is refused. */
static const char *idn_fix(CURLU *u, int ascii) {
    char *host = NULL, *ace = NULL;
    const char *why = NULL;
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        return "bad host name";
    for (const char *p = host; *p; p++)
        if ((unsigned char)*p >= 0x80) {
            why = ace_of(host, &ace);
            why = why ? why : ace_fix(u, ace, ascii);
            break;
        }
    if (!why && host[0] != '[')
        why = ace_labels(ace ? ace : host);
    idn2_free(ace);
    curl_free(host);
    return why;
}

/* Whether url (up to its fragment, frag its length) has an empty query: its first '?' (which
 * starts the query in an http(s) URL: the authority ends there) is its last byte. And
 * whether its fragment is empty: a '#' that ends it. */
static int query_empty(const char *url, size_t frag) {
    const char *q = memchr(url, '?', frag);
    return q && q + 1 == url + frag;
}

int cafe__url_empty_parts(const char *url, int *query, int *fragment) {
    size_t f = strcspn(url, "#");
    *query = query_empty(url, f);
    *fragment = url[f] == '#' && url[f + 1] == '\0';
    return *query || *fragment;
}

/* norm as curl wrote it, with the empty query and fragment of raw that curl 7.88 drops
 * ("http://h/p?#" is "http://h/p" to curl_url_get; CURLU_GET_EMPTY came with 8.8.0): a
 * browser's URL keeps both, and requests "/p?". NULL when out of memory. */
static char *empty_parts_kept(const char *raw, const char *norm) {
    int query, fragment;
    if (!cafe__url_empty_parts(raw, &query, &fragment))
        return strdup(norm);
    size_t n = strlen(norm), f = strcspn(norm, "#");
    query &= !memchr(norm, '?', f); /* curl kept it after all */
    fragment &= norm[f] == '\0';    /* curl wrote no fragment */
    char *out = malloc(n + 3);
    if (out)
        snprintf(out, n + 3, "%.*s%s%s%s", (int)f, norm, query ? "?" : "", norm + f,
                 fragment ? "#" : "");
    return out;
}

/* s as the URL parser reads it first: without the C0 controls and spaces around it, nor the
 * tabs and newlines inside it ("http://h/p\n", as fgets leaves a line, is http://h/p). A
 * malloc'd string, NULL when out of memory. */
static char *stripped(const char *s) {
    size_t a = 0, n = strlen(s), k = 0;
    while (a < n && (unsigned char)s[a] <= 0x20)
        a++;
    while (n > a && (unsigned char)s[n - 1] <= 0x20)
        n--;
    char *r = malloc(n - a + 1);
    if (!r)
        return NULL;
    for (size_t i = a; i < n; i++)
        if (s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            r[k++] = s[i];
    r[k] = '\0';
    return r;
}

/* cafe__url_normalize, a Unicode host in its ASCII form when ascii is set. */
static int normalize(const char *abs, int ascii, char **url, const char **why) {
    *url = NULL;
    char *clean = stripped(abs), *raw = clean ? cafe__url_special(clean) : NULL;
    free(clean);
    CURLU *u = curl_url();
    if (!raw || !u) {
        free(raw);
        curl_url_cleanup(u);
        *why = "out of memory";
        return CAFE_ENOMEM;
    }
    char *scheme = NULL, *norm = NULL;
    /* cafe__url_special percent-encoded the spaces and non-ASCII bytes of the path, query and
     * fragment; a space in the host is let through, to be refused by name (host_ok). */
    CURLUcode uc =
        curl_url_set(u, CURLUPART_URL, raw, CURLU_NON_SUPPORT_SCHEME | CURLU_ALLOW_SPACE);
    if (uc == CURLUE_OK)
        uc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    int rc = 0;
    if (uc != CURLUE_OK) {
        *why = curl_url_strerror(uc);
        rc = CAFE_EINVAL;
    } else if (!scheme_ok(scheme)) {
        *why = "unsupported scheme (only http and https are fetched)";
        rc = CAFE_EINVAL;
    } else if (!host_ok(u)) {
        *why = "bad host name";
        rc = CAFE_EINVAL;
    } else if ((*why = host_fix(u)) != NULL) {
        rc = CAFE_EINVAL;
    } else if ((*why = idn_fix(u, ascii)) != NULL) {
        rc = CAFE_EINVAL;
    } else if (curl_url_get(u, CURLUPART_URL, &norm, CURLU_NO_DEFAULT_PORT) != CURLUE_OK ||
               !(*url = empty_parts_kept(raw, norm))) {
        *why = "out of memory";
        rc = CAFE_ENOMEM;
    }
    curl_free(norm);
    curl_free(scheme);
    curl_url_cleanup(u);
    free(raw);
    return rc;
}

int cafe__url_normalize(const char *abs, char **url, const char **why) {
    return normalize(abs, 0, url, why);
}

int cafe__url_normalize_ascii(const char *abs, char **url, const char **why) {
    return normalize(abs, 1, url, why);
}

/* What each byte may be in a URL that cafe__url_normalize keeps as it is, one table lookup a byte
 * (every byte of every URL of a list and of every URL the library is given goes through
 * here). URL_HOST: a host name's
 * (lower-case letters, digits, '-' and '.'). URL_PLAIN: a path's or query's that curl's parser
 * and cafe__url_special leave alone (ALPHA, DIGIT and "-._~!$&'()*+,;=:@/?"; not '%', which may
 * begin a dot segment, nor '#', a fragment). URL_RUN: URL_PLAIN but '/' and '?', which the path's
 * scan looks at. Bytes from 128 on are none of them. */
enum { URL_HOST = 1, URL_PLAIN = 2, URL_RUN = 4 };
static const unsigned char url_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* controls */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* controls */
    0, 6, 0, 0, 6, 0, 6, 6, 6, 6, 6, 6, 6, 7, 7, 2, /*  !"#$%&'()*+,-./ */
    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 0, 6, 0, 2, /* 0123456789:;<=>? */
    6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, /* @ABCDEFGHIJKLMNO */
    6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 0, 0, 0, 0, 6, /* PQRSTUVWXYZ[\]^_ */
    0, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, /* `abcdefghijklmno */
    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 0, 0, 0, 6, 0, /* pqrstuvwxyz{|}~ DEL */
};

static unsigned url_byte(const char *s, size_t i) {
    return url_class[(unsigned char)s[i]];
}

/* The end of a host at s[i..n) that is a whole dotted quad, else 0: four parts of 1 to 3
 * digits, each up to 255 and without a leading zero, and after them a byte that is none of a
 * host's. That is the one IPv4 form curl keeps as it is (it rewrites "127.1" or "0x7f.1" into
 * it). Where this finds one, host_end's label scan would end at the same byte. */
static size_t quad_host_end(const char *s, size_t n, size_t i) {
    for (int part = 0;; part++) {
        unsigned d = i < n ? (unsigned)(s[i] - '0') : 10, v = d;
        if (d > 9)
            return 0;
        i++;
        for (int k = 0; v != 0 && k < 2 && i < n && (d = (unsigned)(s[i] - '0')) < 10; k++, i++)
            v = v * 10 + d; /* a part starting with 0 is "0" alone: a digit after it fails */
        if (v > 255)
            return 0;
        if (part == 3)
            return i < n && (url_byte(s, i) & URL_HOST) ? 0 : i;
        if (i >= n || s[i] != '.')
            return 0;
        i++;
    }
}

/* A label (n bytes at p) that is no "xn--" one, or one a browser takes (cafe__url_ace_ok):
 * else the line takes the slow way, which says why it is refused. */
static int ace_ok(const char *p, size_t n) {
    return n < 4 || memcmp(p, "xn--", 4) != 0 || cafe__url_ace_ok(p + 4, n - 4);
}

/* The end of s's host from i on (0 when it is not one curl keeps as it is): a dotted quad, or
 * labels of URL_HOST bytes, none empty, not starting with '-', the last not starting with a
 * digit (a numeric IPv4 form other than a dotted quad, which curl rewrites). */
static size_t host_end(const char *s, size_t n, size_t i) {
    size_t quad = quad_host_end(s, n, i);
    if (quad)
        return quad;
    size_t host = i, last = i; /* where the host and its last label start */
    for (; i < n && (url_byte(s, i) & URL_HOST); i++)
        if (s[i] == '.') {
            if (i == last || !ace_ok(s + last, i - last)) /* "..", a leading '.' */
                return 0;
            last = i + 1;
        }
    if (i == last || s[host] == '-' || !ace_ok(s + last, i - last)) /* empty, or ends in '.' */
        return 0;
    if (s[last] >= '0' && s[last] <= '9') /* not a dotted quad: quad_host_end said so */
        return 0;
    return i;
}

int cafe__url_canonical(const char *s, size_t n) {
    size_t i = n >= 7 && memcmp(s, "http://", 7) == 0    ? 7
               : n >= 8 && memcmp(s, "https://", 8) == 0 ? 8
                                                         : 0;
    if (i == 0 || (i = host_end(s, n, i)) == 0)
        return 0;
    if (i < n && s[i] == ':') { /* a port: 1 to 65535, without leading zeros, not the default */
        size_t port = ++i, end = n - i > 5 ? i + 5 : n;
        unsigned v = 0;
        while (i < end && (unsigned)(s[i] - '0') < 10)
            v = v * 10 + (unsigned)(s[i++] - '0');
        if (i == port || s[port] == '0' || v > 65535 || v == (s[4] == ':' ? 80u : 443u))
            return 0;
    }
    if (i >= n || s[i] != '/')
        return 0;        /* curl adds the "/" */
    for (; i < n; i++) { /* the path */
        unsigned c = url_byte(s, i);
        if (c & URL_RUN)
            continue;
        if (!(c & URL_PLAIN))
            return 0;
        if (s[i] == '?')
            break; /* the query: no dot segments there */
        if (i + 1 < n && s[i + 1] == '.')
            return 0; /* "/.": maybe a dot segment, which curl removes */
    }
    for (; i < n; i++) /* the query, where browsers percent-encode "'" too */
        if (!(url_byte(s, i) & URL_PLAIN) || s[i] == '\'')
            return 0;
    return 1;
}

/* The length of s's "scheme:" (its scheme, without the ':'), 0 when it has none. */
static size_t scheme_len(const char *s) {
    size_t i = 0;
    if (!((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z'))
        return 0;
    while (((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
           s[i] == '+' || s[i] == '-' || s[i] == '.')
        i++;
    return s[i] == ':' ? i : 0;
}

/* prefix[0..n), mid and tail, malloc'd; NULL when out of memory. */
static char *joined(const char *prefix, size_t n, const char *mid, const char *tail) {
    size_t m = strlen(mid), t = strlen(tail);
    char *out = malloc(n + m + t + 1);
    if (out) {
        memcpy(out, prefix, n);
        memcpy(out + n, mid, m);
        memcpy(out + n + m, tail, t + 1);
    }
    return out;
}

int cafe__url_resolve(const char *base, const char *ref, char **out) {
    *out = NULL;
    char *r = stripped(ref);
    if (!r)
        return CAFE_ENOMEM;
    size_t bs = strcspn(base, ":"), rs = scheme_len(r);
    const char *tail = r;
    if (rs) {
        if (!((rs == 4 && ascii_ncasecmp(r, "http", 4) == 0) ||
              (rs == 5 && ascii_ncasecmp(r, "https", 5) == 0))) {
            free(r);
            return 1; /* another scheme: not a URL this resolves */
        }
        /* The base's own scheme without two slashes is relative to the base ("http:x"). */
        if (rs != bs || ascii_ncasecmp(r, base, bs) != 0 ||
            (slash(r[rs + 1]) && slash(r[rs + 2]))) {
            *out = r;
            return 0;
        }
        tail = r + rs + 1;
    }
    /* The base's parts: "scheme:" [0, bs + 1), the authority to its path at p, the query at q,
     * the fragment at f. */
    size_t p = bs + 3 + strcspn(base + bs + 3, "/?#"), q = p + strcspn(base + p, "?#");
    size_t f = q + strcspn(base + q, "#"), keep = p;
    const char *mid = "";
    if (slash(tail[0]) && slash(tail[1]))
        keep = bs + 1; /* scheme-relative */
    else if (slash(tail[0]))
        keep = p; /* path-absolute */
    else if (tail[0] == '?')
        keep = q;
    else if (tail[0] == '#' || tail[0] == '\0')
        keep = f;
    else if (p == q) /* a relative path where the base has none */
        mid = "/";
    else /* a relative path: after the base path's last '/' */
        for (size_t i = p; i < q; i++)
            keep = base[i] == '/' ? i + 1 : keep;
    *out = joined(base, keep, mid, tail);
    free(r);
    return *out ? 0 : CAFE_ENOMEM;
}
