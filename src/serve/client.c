/* Who sent a request, for --max-client-jobs: its peer's address, or behind a reverse proxy
 * (--client-header) the address the proxy names. An IPv6 address counts by its /64, the
 * block one host is given: a client holding one can take as many addresses as it likes. */
#include "srv.h"
#include "ascii.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* The address a (of family af) as text, an IPv6 one cut to its /64 ("2001:db8::/64"), an
 * IPv4 one inside IPv6 (::ffff:a.b.c.d) as IPv4. */
static void address_text(int af, const void *a, char *out, size_t size) {
    char text[INET6_ADDRSTRLEN];
    if (af == AF_INET6) {
        struct in6_addr v6;
        memcpy(&v6, a, sizeof v6);
        if (IN6_IS_ADDR_V4MAPPED(&v6)) {
            address_text(AF_INET, v6.s6_addr + 12, out, size);
            return;
        }
        memset(v6.s6_addr + 8, 0, 8);
        inet_ntop(AF_INET6, &v6, text, sizeof text);
        snprintf(out, size, "%s/64", text);
        return;
    }
    inet_ntop(AF_INET, a, text, sizeof text);
    snprintf(out, size, "%s", text);
}

typedef struct last_value {
    const char *name, *value;
} last_value_t;

static enum MHD_Result find_last(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value) {
    last_value_t *l = cls;
    (void)kind;
    if (ascii_casecmp(key, l->name) == 0)
        l->value = value;
    return MHD_YES;
}

static int one_word(const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return 0;
    return 1;
}

/* The last element of the header's last line: the one the proxy in front wrote. X-Real-IP
 * is the proxy's alone; X-Forwarded-For is the client's own list (anything it likes) with
 * the address the proxy saw appended. 0 when the header is not there or that element empty. */
static int from_header(const char *value, char *out, size_t size) {
    const char *comma = strrchr(value, ',');
    const char *p = comma ? comma + 1 : value;
    p += strspn(p, " \t");
    size_t n = strlen(p);
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    /* an address with its port, as some proxies write it (Azure's gateway, IIS ARR):
     * "192.0.2.1:4711", "[2001:db8::1]:4711", also "[2001:db8::1]" alone: a port was a new
     * client for each connection the client made */
    const char *colon = memchr(p, ':', n);
    if (p[0] == '[') {
        const char *close = memchr(p, ']', n);
        if (close && (close + 1 == p + n || close[1] == ':')) {
            p++;
            n = (size_t)(close - p);
        }
    } else if (colon && !memchr(colon + 1, ':', (size_t)(p + n - colon - 1))) {
        n = (size_t)(colon - p); /* one colon: IPv4 (or a name) and a port, not IPv6 */
    }
    if (n == 0 || n >= INET6_ADDRSTRLEN + 2)
        return 0;
    char text[INET6_ADDRSTRLEN + 2];
    memcpy(text, p, n);
    text[n] = '\0';
    unsigned char a[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, text, a) == 1)
        address_text(AF_INET, a, out, size);
    else if (inet_pton(AF_INET6, text, a) == 1)
        address_text(AF_INET6, a, out, size);
    else if (one_word(text))
        snprintf(out, size, "%s", text); /* a name, "unknown": one client all the same */
    else
        return 0; /* not one word, as the job's file keeps it: the peer's address */
    return 1;
}

void srv_client_of(const srv_t *s, struct MHD_Connection *conn, char *out, size_t size) {
    if (s->o.client_header) {
        last_value_t l = {s->o.client_header, NULL};
        MHD_get_connection_values(conn, MHD_HEADER_KIND, find_last, &l);
        if (l.value && from_header(l.value, out, size))
            return;
    }
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET)
        address_text(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, size);
    else if (sa && sa->sa_family == AF_INET6)
        address_text(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                     size);
    else
        snprintf(out, size, "?");
}
