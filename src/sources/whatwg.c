#include "whatwg.h"

#include <arpa/inet.h>
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

int whatwg_ipv4(const char *host, char quad[16]) {
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

int whatwg_ipv6(const char *addr, char out[40]) {
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

/* Writes c to o as the part writes it: percent-encoded (upper-case hex) when in the part's
 * percent-encode set (controls and non-ASCII bytes in all; ' " < > in some, '`' '{' '}' in
 * others, the userinfo's delimiters in the userinfo), as itself otherwise. Returns the end of
 * what was written. */
static char *put(char *o, unsigned char c, unsigned part) {
    static const char hex[] = "0123456789ABCDEF";
    unsigned set = c == ' ' || c == '"' || c == '<' || c == '>' || c < 0x20 || c >= 0x7f
                       ? PATH | QUERY | FRAGMENT | USERINFO
                   : c == '`'              ? PATH | FRAGMENT | USERINFO
                   : c == '{' || c == '}'  ? PATH | USERINFO
                   : c == '\''             ? QUERY
                   : strchr(":;=@[]^|", c) ? USERINFO
                                           : 0;
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

char *whatwg_special(const char *url) {
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
            o = userinfo(o, url + i, at - 1 - i);
            i = at;
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
