/* The listening socket: opened by us (so that port 0 and IPv6 work the same way and the
 * address is known for the first stdout line), then handed to libmicrohttpd. */
#include "listen.h"
#include "port.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Splits "HOST:PORT" or "[V6]:PORT" into host and port (checked: port.h, as getaddrinfo's
 * numeric service would keep the low 16 bits of "99999" or "-1"). */
static int split(const char *spec, char *host, size_t cap, const char **port) {
    const char *colon;
    const char *h = spec;
    size_t hl;
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (!close || close[1] != ':')
            return -1;
        h = spec + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(spec, ':');
        if (!colon)
            return -1;
        hl = (size_t)(colon - spec);
    }
    if (hl == 0 || hl >= cap || port_parse(colon + 1, strlen(colon + 1)) < 0)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = colon + 1;
    return 0;
}

int srv_is_loopback(const struct sockaddr *sa) {
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
    }
    return 0;
}

static int open_one(const struct addrinfo *ai) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 4096) != 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    return fd;
}

#define LISTEN_EXPECTED "expected HOST:PORT or [IPV6]:PORT, with a port from 0 to 65535"

const char *srv_listen_check(const char *spec) {
    char host[256];
    const char *port;
    return split(spec, host, sizeof host, &port) != 0 ? LISTEN_EXPECTED : NULL;
}

int srv_listen_open(const char *spec, srv_listen_t *out) {
    char host[256];
    const char *port;
    out->why = NULL;
    if (split(spec, host, sizeof host, &port) != 0) {
        out->why = LISTEN_EXPECTED;
        return -EINVAL;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0) { /* "Name or service not known", not "Invalid argument" */
        out->why = gai_strerror(gai);
        return gai == EAI_SYSTEM ? -errno : -EINVAL;
    }
    int fd = open_one(res);
    freeaddrinfo(res);
    if (fd < 0)
        return fd;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char ip[INET6_ADDRSTRLEN];
    int p;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
        p = ntohs(in6->sin6_port);
        snprintf(out->origin, sizeof out->origin, "http://[%s]:%d", ip, p);
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
        p = ntohs(in->sin_port);
        snprintf(out->origin, sizeof out->origin, "http://%s:%d", ip, p);
    }
    out->fd = fd;
    out->loopback = srv_is_loopback((struct sockaddr *)&ss);
    return 0;
}
