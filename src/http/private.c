/* --no-private: refuse to connect to addresses that are not on the public internet, checked
 * after DNS (a name can resolve anywhere: think SSRF). New connections are checked before
 * the socket is opened, so nothing reaches such an address; a connection reused from an
 * earlier request is checked again before the request is sent. */
#include "http/internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* 0.0.0.0/8, 10/8, 100.64/10 (shared), 127/8, 169.254/16, 172.16/12, 192.0.0/24,
 * 192.168/16, 198.18/15 (benchmarks), 224/4 (multicast), 240/4 (reserved), and the
 * documentation ranges 192.0.2/24, 198.51.100/24 and 203.0.113/24: IANA's special-purpose
 * registry says none is globally reachable, and a network that routes one routes it
 * inside. */
static int v4_private(uint32_t a) {
    static const struct {
        uint32_t net, mask;
    } ranges[] = {
        {0x00000000u, 0xFF000000u}, {0x0A000000u, 0xFF000000u}, {0x64400000u, 0xFFC00000u},
        {0x7F000000u, 0xFF000000u}, {0xA9FE0000u, 0xFFFF0000u}, {0xAC100000u, 0xFFF00000u},
        {0xC0000000u, 0xFFFFFF00u}, {0xC0A80000u, 0xFFFF0000u}, {0xC6120000u, 0xFFFE0000u},
        {0xE0000000u, 0xF0000000u}, {0xF0000000u, 0xF0000000u}, {0xC0000200u, 0xFFFFFF00u},
        {0xC6336400u, 0xFFFFFF00u}, {0xCB007100u, 0xFFFFFF00u},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if ((a & ranges[i].mask) == ranges[i].net)
            return 1;
    return 0;
}

static uint32_t v4_at(const unsigned char *b) {
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* ::, ::1, fc00::/7 (unique local), fe80::/10 (link-local), fec0::/10 (site-local:
 * deprecated, still routed inside some networks), ff00::/8 (multicast), 100::/64 (discard),
 * 64:ff9b:1::/48 (local-use NAT64), 2001::/32 (Teredo: a tunnel to an IPv4 address it
 * hides), 2001:db8::/32 and 3fff::/20 (documentation, as the IPv4 ones), and the IPv6 forms of
 * private IPv4 addresses: IPv4-mapped or -compatible, NAT64's 64:ff9b::/96 (a gateway translates it
 * to that IPv4 address) and 6to4's 2002::/16. */
static int v6_private(const unsigned char *b) {
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    static const unsigned char zero[12] = {0};
    static const unsigned char nat64[12] = {0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0};
    static const unsigned char nat64_local[6] = {0, 0x64, 0xFF, 0x9B, 0, 1};
    static const unsigned char discard[8] = {0x01, 0, 0, 0, 0, 0, 0, 0};
    static const unsigned char teredo[4] = {0x20, 0x01, 0, 0};
    static const unsigned char doc[4] = {0x20, 0x01, 0x0D, 0xB8};
    if (memcmp(b, mapped, 12) == 0 || memcmp(b, zero, 12) == 0 || memcmp(b, nat64, 12) == 0)
        return v4_private(v4_at(b + 12));
    if (b[0] == 0x20 && b[1] == 0x02)
        return v4_private(v4_at(b + 2));
    return (b[0] & 0xFE) == 0xFC || (b[0] == 0xFE && (b[1] & 0x80) == 0x80) || b[0] == 0xFF ||
           memcmp(b, nat64_local, 6) == 0 || memcmp(b, discard, 8) == 0 ||
           memcmp(b, teredo, 4) == 0 || memcmp(b, doc, 4) == 0 ||
           (b[0] == 0x3F && b[1] == 0xFF && (b[2] & 0xF0) == 0);
}

int cafe__http_addr_private(const struct sockaddr *sa) {
    if (sa->sa_family == AF_INET)
        return v4_private(ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr));
    if (sa->sa_family == AF_INET6)
        return v6_private(((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr);
    return 1; /* anything else (unix sockets...) is not the public internet either */
}

int cafe__http_ip_private(const char *ip) {
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, ip, &a4) == 1)
        return v4_private(ntohl(a4.s_addr));
    if (inet_pton(AF_INET6, ip, &a6) == 1)
        return v6_private(a6.s6_addr);
    return 1;
}

/* CURLOPT_PREREQFUNCTION: runs for new and reused connections alike, right before the request
 * is sent: the request is counted (xfer.c), the host's turn ends here (pace.c), an earlier
 * try's message goes, a redirect's target is checked (redirect.c), a host's first TLS try
 * on an HTTP/2 connection lets the host's others go (request.c), and a private address is
 * refused. */
static int on_prereq(void *clientp, char *ip, char *local_ip, int port, int local_port) {
    cafe__http_xfer_t *x = clientp;
    x->sent++;
    cafe__http_errbuf_forget(x);
    if (x->pace_held) {
        x->pace_held = 0;
        cafe__http_pace_done(x->c, x->host, 1);
    }
    if (x->sent > 1 && cafe__http_redirect_check(x))
        return CURL_PREREQFUNC_ABORT;
    /* Plain http's first request has no TLS to ask about: the lookup is a getinfo and a walk
     * of curl's connection filters (~150 instructions a URL). A redirect curl followed may
     * have gone to https: asked then. */
    x->h2 = (x->sent > 1 || !x->plain) && cafe__http_tls_h2(x->easy);
    /* The host's other tries go on this connection: no handshake of theirs to spare. */
    if (x->h2 && x->try)
        cafe__http_tls_first_done(x->try);
    /* profile.no_private: the try's option, set on the handle with the others (xfer.c). */
    if (!x->try || !x->profile.no_private || !cafe__http_ip_private(ip))
        return CURL_PREREQFUNC_OK;
    snprintf(x->refused, sizeof x->refused, "%s", ip);
    return CURL_PREREQFUNC_ABORT;
}

CURLcode cafe__http_private_setopts(cafe__http_xfer_t *x) {
    CURLcode rc = curl_easy_setopt(x->easy, CURLOPT_PREREQFUNCTION, on_prereq);
    return rc == CURLE_OK ? curl_easy_setopt(x->easy, CURLOPT_PREREQDATA, x) : rc;
}
