/* Requests that web pages of other sites make a browser send. Without a token the service
 * listens on loopback only, but the browser of whoever runs it can still reach it: any page
 * it visits may POST a job (a text/plain POST needs no CORS preflight) or load
 * /v1/title?url=... as an image, and a page under a name that its DNS turns to 127.0.0.1
 * (DNS rebinding) may even read the answers, as if it were this origin. The API refuses
 * both, as Jupyter and other local services do: a request a browser marks as coming from
 * another origin, and, without a token, a Host that is not a loopback name. Programs (curl,
 * scripts) send neither mark. The page and /healthz stay open: following a link to the page
 * is fine, and its own calls are same-origin. */
#include "srv.h"
#include "ascii.h"
#include "listen.h"

#include <arpa/inet.h>
#include <string.h>

/* Whether host (a Host header: name or address, then an optional ":port") names this machine's
 * loopback: "localhost" (or a name under it, RFC 6761), 127.0.0.0/8 or [::1]. */
static int loopback_host(const char *host) {
    char name[64];
    size_t n;
    if (host[0] == '[') { /* an IPv6 literal */
        const char *close = strchr(host, ']');
        n = close ? (size_t)(close - host - 1) : sizeof name;
        host++;
    } else {
        n = strcspn(host, ":");
    }
    if (n == 0 || n >= sizeof name)
        return 0;
    memcpy(name, host, n);
    name[n] = '\0';
    /* an address: loopback as the listener's own check has it */
    struct sockaddr_in a4 = {.sin_family = AF_INET};
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};
    if (inet_pton(AF_INET, name, &a4.sin_addr) == 1)
        return srv_is_loopback((const struct sockaddr *)&a4);
    if (inet_pton(AF_INET6, name, &a6.sin6_addr) == 1)
        return srv_is_loopback((const struct sockaddr *)&a6);
    static const char local[] = "localhost";
    size_t k = sizeof local - 1;
    if (name[n - 1] == '.') /* the root's dot: "localhost." */
        name[--n] = '\0';
    return n >= k && ascii_casecmp(name + n - k, local) == 0 && (n == k || name[n - k - 1] == '.');
}

/* Whether origin (an Origin header) is "http://" + host, or "https://" + host (a reverse
 * proxy in front speaks TLS, and passes the Host on): the page this service served. */
static int same_origin(const char *origin, const char *host) {
    if (!host)
        return 0;
    size_t skip = ascii_ncasecmp(origin, "http://", 7) == 0    ? 7
                  : ascii_ncasecmp(origin, "https://", 8) == 0 ? 8
                                                               : 0;
    return skip && ascii_casecmp(origin + skip, host) == 0;
}

const char *srv_request_foreign(const srv_t *s, struct MHD_Connection *conn) {
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
    const char *site = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-Fetch-Site");
    const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
    /* "none" is the user's own doing: typed, bookmarked */
    if (site && ascii_casecmp(site, "same-origin") != 0 && ascii_casecmp(site, "none") != 0)
        return "a request from another site's page";
    /* Sec-Fetch-Site (no page can set it) is the browser's word against the origin it
     * connected to; Origin is matched to Host only for a browser that does not send it. A
     * reverse proxy in front names the service otherwise (Host: localhost, as a tokenless
     * service needs), and the page's own POST and DELETE, whose Origin is the proxy's
     * address, were refused. */
    int same = site && ascii_casecmp(site, "same-origin") == 0;
    if (origin && !same && !same_origin(origin, host))
        return "a request from another origin's page";
    if (!s->o.token && host && !loopback_host(host))
        return "Host is not a loopback name (without --token only 127.0.0.1, [::1] and "
               "localhost are served)";
    return NULL;
}
