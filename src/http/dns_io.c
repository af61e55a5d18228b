/* c-ares on the loop: its socket-state callback starts and stops a uv_poll per socket, one
 * uv_timer follows ares_timeout, and both hand the events back with ares_process_fd. No
 * thread, no blocking call: a lookup is a few datagrams on the loop's own epoll. */
#include "common/fdtab.h"
#include "http/dns_internal.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RCVBUF_BYTES (4 << 20)

struct cafe__dns_sock {
    uv_poll_t poll;
    cafe__dns_t *d;
    int fd;
    int events; /* UV_READABLE | UV_WRITABLE wanted; 0 = stopped */
};

static void handle_closed(uv_handle_t *h) {
    cafe__dns_t *d = h->data;
    if (h->type == UV_POLL)
        free(h);
    if (--d->open_handles == 0 && d->closing)
        cafe__dns_free(d);
}

static void on_poll(uv_poll_t *p, int status, int events) {
    cafe__dns_sock_t *s = (cafe__dns_sock_t *)p;
    cafe__dns_t *d = s->d;
    int fd = s->fd;
    /* On an error, let c-ares find out for itself by reading and writing. */
    ares_socket_t r = status < 0 || (events & UV_READABLE) ? fd : ARES_SOCKET_BAD;
    ares_socket_t w = status < 0 || (events & UV_WRITABLE) ? fd : ARES_SOCKET_BAD;
    ares_process_fd(d->channel, r, w); /* may close s through on_sock_state */
    cafe__dns_io_timer(d);
}

static void on_timer(uv_timer_t *t) {
    cafe__dns_t *d = t->data;
    ares_process_fd(d->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    cafe__dns_io_timer(d);
}

void cafe__dns_io_timer(cafe__dns_t *d) {
    struct timeval tv, *next = ares_timeout(d->channel, NULL, &tv);
    if (!next) {
        uv_timer_stop(&d->timer);
        return;
    }
    uint64_t ms = (uint64_t)next->tv_sec * 1000u + ((uint64_t)next->tv_usec + 999u) / 1000u;
    uv_timer_start(&d->timer, on_timer, ms, 0);
}

static int socks_fit(cafe__dns_t *d, int fd) {
    void *v = d->socks;
    int rc = fdtab_fit(&v, &d->nsocks, sizeof(*d->socks), fd);
    d->socks = v;
    return rc;
}

static void sock_stop(cafe__dns_t *d, int fd) {
    cafe__dns_sock_t *s = (size_t)fd < d->nsocks ? d->socks[fd] : NULL;
    if (!s)
        return;
    d->socks[fd] = NULL;
    uv_poll_stop(&s->poll);
    uv_close((uv_handle_t *)&s->poll, handle_closed);
}

/* c-ares opened, changed or is closing a socket. A socket whose poll cannot be made is
 * left to the timer: the query then times out instead of hanging. */
static void on_sock_state(void *arg, ares_socket_t fd, int readable, int writable) {
    cafe__dns_t *d = arg;
    int events = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);
    if (!events) {
        sock_stop(d, fd);
        return;
    }
    cafe__dns_sock_t *s = (size_t)fd < d->nsocks ? d->socks[fd] : NULL;
    if (!s) {
        if (socks_fit(d, fd) != 0 || !(s = calloc(1, sizeof(*s))))
            return;
        if (uv_poll_init_socket(&d->loop->uv, &s->poll, fd) != 0) {
            free(s);
            return;
        }
        s->poll.data = d;
        s->d = d;
        s->fd = fd;
        d->socks[fd] = s;
        d->open_handles++;
    }
    if (s->events != events && uv_poll_start(&s->poll, events, on_poll) == 0)
        s->events = events;
}

/* ---- c-ares' sockets, through our own calls: the datagrams it reads are read here too ---- */

static ares_socket_t sock_open(int family, int type, int protocol, void *arg) {
    ares_socket_t fd = socket(family, type, protocol);
    if (fd >= 0)
        (void)cafe__dns_fd_open(arg, fd, (type & 0xF) == SOCK_STREAM); /* else: not read */
    return fd;
}

static int sock_close(ares_socket_t fd, void *arg) {
    cafe__dns_fd_close(arg, fd);
    return close(fd);
}

static int sock_connect(ares_socket_t fd, const struct sockaddr *sa, ares_socklen_t len,
                        void *arg) {
    (void)arg;
    return connect(fd, sa, len);
}

/* An answer may be a negative one: its negative TTL goes to the name's entry before c-ares
 * reports it (dns_answer.c checks it answers a query that went out). */
static ares_ssize_t sock_recvfrom(ares_socket_t fd, void *buf, size_t len, int flags,
                                  struct sockaddr *from, ares_socklen_t *from_len, void *arg) {
    ssize_t n = recvfrom(fd, buf, len, flags, from, from_len);
    if (n > 0)
        cafe__dns_received(arg, fd, buf, (size_t)n);
    return n;
}

static ares_ssize_t sock_sendv(ares_socket_t fd, const struct iovec *iov, int n, void *arg) {
    cafe__dns_sent(arg, fd, iov, n);
    return writev(fd, iov, n);
}

static const struct ares_socket_functions sock_functions = {sock_open, sock_close, sock_connect,
                                                            sock_recvfrom, sock_sendv};

/* resolv.conf's "options timeout:N attempts:N" (and RES_OPTIONS), as glibc reads them:
 * c-ares 1.18 knows only BSD's retrans/retry and would wait 5 s x 4 doubling tries (75 s)
 * for a server that drops queries. glibc's defaults and caps: 5 s (30), 2 attempts (5). */
static void options_word(const char *w, int *timeout_s, int *attempts) {
    if (strncmp(w, "timeout:", 8) == 0)
        *timeout_s = atoi(w + 8);
    else if (strncmp(w, "attempts:", 9) == 0)
        *attempts = atoi(w + 9);
}

static void options_line(const char *line, int *timeout_s, int *attempts) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", line);
    for (char *save = NULL, *w = strtok_r(buf, " \t\r\n", &save); w;
         w = strtok_r(NULL, " \t\r\n", &save))
        options_word(w, timeout_s, attempts);
}

static void system_timeouts(int *timeout_s, int *attempts) {
    *timeout_s = 5;
    *attempts = 2;
    FILE *f = fopen("/etc/resolv.conf", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "options", 7) == 0 && (line[7] == ' ' || line[7] == '\t'))
            options_line(line + 7, timeout_s, attempts);
    if (f)
        fclose(f);
    const char *env = getenv("RES_OPTIONS");
    if (env)
        options_line(env, timeout_s, attempts);
    *timeout_s = *timeout_s < 1 ? 1 : *timeout_s > 30 ? 30 : *timeout_s;
    *attempts = *attempts < 1 ? 1 : *attempts > 5 ? 5 : *attempts;
}

/* The retry schedule: c-ares asks each server again after a wait that doubles at every
 * round. Its first wait is FIRST_WAIT_MS, not resolv.conf's timeout, so that one lost
 * datagram costs a second rather than 5; the rounds go on as long as their sum stays within
 * what resolv.conf allows for the doubling waits from its own timeout, T x (2^N - 1) per
 * server. Default (T 5 s, N 2): 1 + 2 + 4 + 8 = 15 s, the same bound as before, in 4 tries. */
#define FIRST_WAIT_MS 1000

static void retry_schedule(int *first_ms, int *tries) {
    int timeout_s, attempts;
    system_timeouts(&timeout_s, &attempts);
    long bound_ms = (long)timeout_s * 1000 * ((1L << attempts) - 1);
    *first_ms = FIRST_WAIT_MS;
    *tries = 1;
    while ((long)*first_ms * ((1L << (*tries + 1)) - 1) <= bound_ms)
        (*tries)++;
}

int cafe__dns_v6_usable(const unsigned char *ip) {
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(9)};
    memcpy(&a.sin6_addr, ip, 16);
    int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0; /* sends nothing */
    if (fd >= 0)
        close(fd);
    return ok;
}

/* Where the system looks in files first (c-ares reads nsswitch.conf and the like: "fb" by
 * default), /etc/hosts is read by cafe (dns_hosts.c) and c-ares is left the rest, its
 * channel made again without the files: it would read the whole file at every lookup.
 * Returns the lookups c-ares is to make, or NULL to leave its own. */
static char *lookups_after_files(ares_channel channel) {
    struct ares_options o;
    int mask = 0;
    if (ares_save_options(channel, &o, &mask) != ARES_SUCCESS)
        return NULL;
    char *rest = (mask & ARES_OPT_LOOKUPS) && o.lookups && o.lookups[0] == 'f' && o.lookups[1] &&
                         !strchr(o.lookups + 1, 'f')
                     ? strdup(o.lookups + 1)
                     : NULL;
    ares_destroy_options(&o);
    return rest;
}

int cafe__dns_io_init(cafe__dns_t *d) {
    struct ares_options o = {0};
    int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_RCVBUF;
    retry_schedule(&o.timeout, &o.tries);
    /* All answers come back on one UDP socket per server: a burst of them while the loop is
     * busy must not overflow its buffer (the kernel's default, 208 KiB, holds ~270 answers;
     * each lost one costs a retry). The kernel caps this at net.core.rmem_max. */
    o.socket_receive_buffer_size = RCVBUF_BYTES;
    o.sock_state_cb = on_sock_state;
    o.sock_state_cb_data = d;
    if (ares_init_options(&d->channel, &o, mask) != ARES_SUCCESS)
        return CAFE_ENOMEM;
    char *rest = lookups_after_files(d->channel);
    if (rest) {
        ares_destroy(d->channel);
        o.lookups = rest;
        int rc = ares_init_options(&d->channel, &o, mask | ARES_OPT_LOOKUPS);
        free(rest);
        if (rc != ARES_SUCCESS)
            return CAFE_ENOMEM;
        d->own_hosts = 1;
    }
    ares_set_socket_functions(d->channel, &sock_functions, d);
    /* Checked by cafe_dns_configure; refused all the same, the channel goes, so that every
     * lookup says so (CAFE_EINVAL) instead of asking the system's servers without a timer. */
    if (d->servers && ares_set_servers_ports_csv(d->channel, d->servers) != ARES_SUCCESS) {
        ares_destroy(d->channel);
        return CAFE_EINVAL;
    }
    d->channel_ok = 1;
    uv_timer_init(&d->loop->uv, &d->timer);
    d->timer.data = d;
    d->timer_ok = 1;
    d->open_handles++;
    return 0;
}

void cafe__dns_io_close(cafe__dns_t *d) {
    d->closing = 1;
    if (d->channel_ok) {
        /* Every query's callback runs now with ARES_EDESTRUCTION; sockets close through
         * on_sock_state. */
        ares_destroy(d->channel);
        d->channel_ok = 0;
    }
    for (size_t fd = 0; fd < d->nsocks; fd++)
        sock_stop(d, (int)fd);
    if (d->open_handles == 0) {
        cafe__dns_free(d);
        return;
    }
    if (d->timer_ok) {
        d->timer_ok = 0;
        uv_close((uv_handle_t *)&d->timer, handle_closed);
    }
}
