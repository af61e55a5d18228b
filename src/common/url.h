/* URLs as browsers read them: the WHATWG URL Standard's rules where libcurl's URL parser reads
 * a URL otherwise, applied to the text curl parses and to what it parsed. Compiled into libcafe
 * and into the sources room alike (list lines, src/sources/input.c), as content_type.c is
 * into the library's parts: no state but one memo (cafe__url_ace_ok), nothing but libcurl's URL
 * API and libidn2. */
#ifndef CAFE_COMMON_URL_H
#define CAFE_COMMON_URL_H

#include <stddef.h>

/* A host (ASCII, percent-decoded) as the WHATWG host parser reads it, when it is an IPv4
 * address: one whose last label, a trailing '.' aside, is a number ("127.0.0.1.", "0x7f.1",
 * "2130706433"). Returns 1 with its dotted quad in quad, 0 for any other host (a domain name),
 * -1 for a host that ends in a number but is no IPv4 address ("1.2.3.4.5", "1.2.3.09"),
 * which a browser refuses rather than look up. */
int cafe__url_ipv4(const char *host, char quad[16]);

/* An IPv6 address (without its brackets) as the WHATWG serializer writes it: lower-case hex
 * without leading zeros, the first longest run of two or more zero pieces as "::", an IPv4
 * part in hex ("::FFFF:127.0.0.1" is "::ffff:7f00:1"). Returns 0, or -1 when it is no IPv6
 * address (a zone ID, "fe80::1%eth0", is none to a browser). */
int cafe__url_ipv6(const char *addr, char out[40]);

/* An http or https URL ("scheme:" first, no NUL) written so that curl's parser splits it as
 * the WHATWG parser does: the slashes after the scheme are any number of '/' or '\', or none
 * ("http:\\h", "http:h"), a backslash before the query is a slash, and "%2e" is a dot in a
 * path's dot segments ("/a/%2e%2e/b" is "/b"). The userinfo, path, query and fragment are
 * percent-encoded as the standard encodes each (a space is "%20" in all, "'" in the query
 * alone, non-ASCII bytes in upper-case hex: "%C3%A9"); escapes already there stay as they are.
 * The userinfo ends at the authority's last '@' ("u@v@h" is "u%40v@h"), and an empty one is
 * dropped ("http://:@h/" is "http://h/").
 * A malloc'd string, NULL when out of memory. */
char *cafe__url_special(const char *url);

/* A redirect's Location ref resolved against base (an absolute http(s) URL) as browsers
 * resolve it: spaces and controls around it and tabs and newlines inside it dropped, a
 * backslash read as a slash, the base's scheme without "//" relative to the base ("http:x"),
 * "//host/x" scheme-relative. 0 with *out a malloc'd absolute URL for cafe__url_normalize; 1
 * when ref has a scheme other than http and https; CAFE_ENOMEM. */
int cafe__url_resolve(const char *base, const char *ref, char **out);

/* An absolute http or https URL normalised as browsers write it: the C0 controls and spaces
 * around it and the tabs and newlines inside it dropped, cafe__url_special, curl's
 * parse, then the host as browsers read it (an ASCII name lower-cased, an IPv4 address as its
 * dotted quad, an IPv6 one in its one form) and no default port; an empty query or fragment is
 * kept, as browsers keep them. A Unicode host must convert to its ASCII form (IDNA) but is kept
 * as written. 0 with *url malloc'd; CAFE_EINVAL (the URL is
 * refused) or CAFE_ENOMEM with *why a static message. */
int cafe__url_normalize(const char *abs, char **url, const char **why);

/* cafe__url_normalize, but a Unicode host written in its ASCII form, the one requested
 * ("http://bücher.example/" is "http://xn--bcher-kva.example/"), as browsers write it: the
 * URL handed to libcurl, which then converts nothing (its conversion reads the host in the
 * locale's charset). */
int cafe__url_normalize_ascii(const char *abs, char **url, const char **why);

/* Whether s[0..n) is an http(s) URL that cafe__url_normalize returns unchanged, without a
 * parse (a parse is ~14,000 instructions): conservative, a lower-case host (or a dotted-quad
 * IPv4 address) whose "xn--" labels cafe__url_ace_ok takes, an optional port not the
 * scheme's default, a path and query of plain bytes without dot segments, percent escapes or
 * fragment. The rest takes cafe__url_normalize's way. 1 or 0. */
int cafe__url_canonical(const char *s, size_t n);

/* Whether an "xn--" label's rest (p, n bytes, any case) is one a browser takes (the URL
 * Standard's domain to ASCII, as Firefox and node apply it), as libidn2 (idn2_lookup_u8)
 * checks it: Punycode that decodes to a label with a non-ASCII code point, which passes UTS
 * #46's validity criteria. "xn--zz" (no Punycode), "xn--abc-" (all ASCII), "xn--a" (U+0080)
 * and "xn--a-ecp" (U+2488, disallowed) are refused; url.c's ace_refused says which of
 * libidn2's checks refuse a label. 1 or 0. */
int cafe__url_ace_ok(const char *p, size_t n);

/* Whether URL url has an empty query ("http://h/p?", "http://h/p?#f") or an empty fragment
 * ("http://h/p#"), which libcurl 7.88 drops when it writes a URL (it requests "/p?" all the
 * same); *query and *fragment say which. */
int cafe__url_empty_parts(const char *url, int *query, int *fragment);

#endif
