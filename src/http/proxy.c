/* Which proxy a request goes through, by libcurl 7.88's rules: for the DNS pins (pin.c) and
 * for a failure on the way to the site to name the proxy as its cause (curl_error.c);
 * libcurl 7.88 tells neither (CURLINFO_USED_PROXY came in 8.7). */
#include "http/internal.h"
#include "common/ascii.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* An IPv4 no_proxy entry (tlen bytes at tok): an address, or "address/bits" a range of it;
 * 0 bits (or none, or not a number) is the address alone and more than 32 none, as libcurl
 * 7.88's Curl_cidr4_match. */
static int ipv4_match(const struct in_addr *a, const char *tok, size_t tlen) {
    char check[128];
    if (tlen >= sizeof check)
        return 0;
    memcpy(check, tok, tlen);
    check[tlen] = '\0';
    char *slash = strchr(check, '/');
    unsigned bits = 0;
    if (slash) {
        bits = (unsigned)atoi(slash + 1);
        *slash = '\0';
    }
    struct in_addr b;
    if (bits > 32 || inet_pton(AF_INET, check, &b) != 1)
        return 0;
    uint32_t mask = bits == 0 || bits == 32 ? 0xffffffffu : ~(0xffffffffu >> bits);
    return ((ntohl(a->s_addr) ^ ntohl(b.s_addr)) & mask) == 0;
}

/* A name's no_proxy entry: itself and the names under it, in any case, a leading and a
 * trailing dot of the entry ignored (host: hlen bytes, its trailing dot dropped). */
static int name_match(const char *host, size_t hlen, const char *tok, size_t tlen) {
    tlen -= tlen && tok[tlen - 1] == '.';
    if (tlen && tok[0] == '.') {
        tok++;
        tlen--;
    }
    if (!tlen || tlen > hlen)
        return 0;
    if (tlen == hlen)
        return ascii_ncasecmp(tok, host, hlen) == 0;
    return host[hlen - tlen - 1] == '.' && ascii_ncasecmp(tok, host + hlen - tlen, tlen) == 0;
}

int cafe__http_no_proxy(const char *host, const char *list) {
    if (strcmp(list, "*") == 0)
        return 1;
    /* libcurl 7.88 reads an IPv4 address by ranges, anything else (an IPv6 address,
     * unbracketed, included) as a name; entries are separated by commas or blanks */
    struct in_addr a;
    int v4 = inet_pton(AF_INET, host, &a) == 1;
    size_t hlen = strlen(host);
    hlen -= !v4 && hlen && host[hlen - 1] == '.';
    for (const char *p = list; *p;) {
        p += strspn(p, " \t");
        size_t tlen = strcspn(p, " \t,");
        if (tlen && (v4 ? ipv4_match(&a, p, tlen) : name_match(host, hlen, p, tlen)))
            return 1;
        p += tlen;
        p += strspn(p, ",");
    }
    return 0;
}

const char *cafe__http_proxy_of(const cafe__http_xfer_t *x) {
    const cafe__http_client_t *c = x->c;
    const char *proxy = x->try ? x->try->opts->proxy : NULL;
    char *url = NULL;
    curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &url);
    if (!url)
        return NULL;
    if (!proxy)
        proxy = ascii_ncasecmp(url, "https://", 8) == 0 ? c->proxy_https : c->proxy_http;
    if (!proxy || !proxy[0] || !c->no_proxy || !c->no_proxy[0])
        return proxy && proxy[0] ? proxy : NULL;
    CURLU *u = curl_url();
    char *host = NULL;
    int exempt = 0;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        size_t n = strlen(host);
        if (host[0] == '[' && n > 1 && host[n - 1] == ']') { /* curl matches it unbracketed */
            host[n - 1] = '\0';
            exempt = cafe__http_no_proxy(host + 1, c->no_proxy);
        } else {
            exempt = cafe__http_no_proxy(host, c->no_proxy);
        }
    }
    curl_free(host);
    curl_url_cleanup(u);
    return exempt ? NULL : proxy;
}
