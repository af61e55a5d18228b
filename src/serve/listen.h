/* The listening socket of `cafe serve`. */
#ifndef CAFE_SERVE_LISTEN_H
#define CAFE_SERVE_LISTEN_H

#include <sys/socket.h>

typedef struct srv_listen {
    int fd;          /* non-blocking, listening */
    int loopback;    /* bound to 127.0.0.0/8 or ::1 */
    char origin[96]; /* "http://HOST:PORT" with the port the kernel chose */
    const char *why; /* after a failure that no errno names (the spec, the name): static */
} srv_listen_t;

/* Binds and listens on "HOST:PORT" ("[::1]:0" for IPv6). Returns 0 or a negative errno;
 * out->why says more when it is set. */
int srv_listen_open(const char *spec, srv_listen_t *out);

/* --listen's check when it is parsed (each value given, an overridden one too): why spec is
 * no HOST:PORT, or NULL. Names are looked up only by srv_listen_open. */
const char *srv_listen_check(const char *spec);

/* 1 for 127.0.0.0/8 and ::1. */
int srv_is_loopback(const struct sockaddr *sa);

/* sockinfo.c: 1 when the connection on fd has had bytes from its client, sent it none yet,
 * and the client has not closed its side: a request nobody answered. */
int srv_sock_unanswered(int fd);

/* sockinfo.c: the bytes of the connection on fd that have been read from its socket (by
 * libmicrohttpd or the service): received less those still waiting (*waiting, when not
 * NULL). -1 when unknown. */
long long srv_sock_bytes_read(int fd, int *waiting);

#endif
