/* libcurl's multi_socket API on libuv: one uv_poll_t per socket, one uv_timer_t for curl's
 * timeout.
 *
 * Cost matters here (one URL on a kept-alive connection is ~40 us of client CPU in all): every
 * uv_poll_start is an epoll_ctl DEL plus an ADD, and curl 7.88 drops a socket's interest at
 * the end of each transfer and asks for it again when the connection is reused. So:
 *  - the poll is only restarted when the wanted event mask really changes;
 *  - a connection socket curl drops keeps its read interest ("parked"): reuse then costs no
 *    syscall. If a parked socket becomes readable (the server closed it), it is unwatched
 *    then; curl checks a connection before reusing it anyway.
 * Parking is only safe for sockets whose close we see: connection sockets, opened and closed
 * through the callbacks below. Other sockets (the threaded resolver's socketpair) are unwatched
 * as soon as curl drops them, and re-armed at every callback since curl may close them before
 * it says so and the number may come back.
 * Poll handles are unreferenced: idle connections never keep the loop alive; curl's timer,
 * armed while any transfer runs, does.
 * A connection socket's handle outlives its close as a spare for the next connection socket
 * that gets the same number (the lowest free one: on a crawl of distinct hosts, nearly
 * always): uv_poll_init costs two epoll_ctl and an ioctl to check and set up a socket we
 * made ourselves, and the handle an allocation and a close callback. */
#include "common/fdtab.h"
#include "http/internal.h"

#include <arpa/inet.h>
#include <stdio.h>

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct cafe__http_sock {
    uv_poll_t poll;
    cafe__http_client_t *c;
    curl_socket_t fd;
    int mask;  /* events the poll is started with; 0 = stopped */
    int want;  /* events curl asked for; 0 = dropped */
    int owned; /* a connection socket: we see it closed */
    int spare; /* its socket closed, the handle stopped: kept for the number's next socket */
    int h1;    /* parked after an HTTP/1 response: bytes coming now are no answer to anyone */
};

static void on_poll(uv_poll_t *p, int status, int events);

static void drain_messages(cafe__http_client_t *c) {
    for (;;) {
        int left;
        c->stats.curl_calls++;
        CURLMsg *m = curl_multi_info_read(c->multi, &left);
        if (!m)
            return;
        if (m->msg != CURLMSG_DONE)
            continue;
        /* m dies with the handle's removal: take what is needed first. */
        CURLcode code = m->data.result;
        cafe__http_xfer_t *x = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        cafe__http_xfer_done(x, code);
    }
}

/* Another call soon when curl ran out of memory: nothing else may come to call it again.
 * Its state is as it was for most of its allocations, not all: in libcurl 7.88 a failed
 * allocation of a socket's transfer table leaves a table of size 0 that the next call
 * divides by (SIGFPE; docs/reliability.md, "Seen, not fixed"). */
#define ACTION_RETRY_MS 10

static void on_timer(uv_timer_t *t);

static void action(cafe__http_client_t *c, curl_socket_t fd, int flags) {
    int running;
    c->stats.socket_actions++;
    c->stats.curl_calls++;
    CURLMcode mc = curl_multi_socket_action(c->multi, fd, flags, &running);
    /* The other failures: CURLM_BAD_SOCKET (curl let go of fd already: nothing to drive) and
     * misuse (a bad handle, a call from inside curl's callbacks) that cannot happen here. */
    if (mc == CURLM_OUT_OF_MEMORY)
        (void)uv_timer_start(&c->timer, on_timer, ACTION_RETRY_MS, 0); /* cannot fail: open */
    drain_messages(c);
}

static cafe__http_sock_t *sock_get(cafe__http_client_t *c, curl_socket_t fd) {
    cafe__http_sock_t *k = fd >= 0 && (size_t)fd < c->nsocks ? c->socks[fd] : NULL;
    return k && !k->spare ? k : NULL;
}

static void sock_freed(uv_handle_t *h) {
    free(h->data);
}

static void sock_close(cafe__http_client_t *c, cafe__http_sock_t *k) {
    c->socks[k->fd] = NULL;
    c->stats.poll_changes += k->mask != 0;
    uv_close((uv_handle_t *)&k->poll, sock_freed);
}

static cafe__http_sock_t *sock_new(cafe__http_client_t *c, curl_socket_t fd, int owned) {
    void *v = c->socks;
    if (fdtab_fit(&v, &c->nsocks, sizeof(*c->socks), fd) != 0)
        return NULL;
    c->socks = v;
    cafe__http_sock_t *k = c->socks[fd];
    if (k && k->spare && owned) { /* stopped at its close: mask and want are 0 */
        k->spare = 0;
        return k;
    }
    if (k) /* a spare, or a number curl closed behind our back, now reused */
        sock_close(c, k);
    k = calloc(1, sizeof(*k));
    if (!k || uv_poll_init_socket(&c->loop->uv, &k->poll, fd) != 0) {
        free(k);
        return NULL;
    }
    c->stats.poll_handles++;
    uv_unref((uv_handle_t *)&k->poll);
    k->poll.data = k;
    k->c = c;
    k->fd = fd;
    k->owned = owned;
    c->socks[fd] = k;
    return k;
}

static void poll_set(cafe__http_sock_t *k, int mask, int force) {
    if (k->mask == mask && !force)
        return;
    k->c->stats.poll_changes++;
    /* Neither fails for an open handle with valid events (libuv only asserts); k's handle
     * is closed only after curl let go of the socket, and then no one polls it any more. */
    if (mask)
        (void)uv_poll_start(&k->poll, mask, on_poll);
    else
        (void)uv_poll_stop(&k->poll);
    k->mask = mask;
}

/* An idle HTTP/1 connection that has bytes to read has been sent what no request asked for:
 * a body longer than its Content-Length, a 204 or 304 with a body, a response sent twice.
 * libcurl 7.88 would reuse it (its check before reuse only looks for the peer's close), and
 * the next request, for another URL, would read those bytes as its response: another page's
 * title under its URL. Browsers do not reuse such a connection, nor does libcurl 8. It is
 * shut down here: curl then fails to send on it and sends the request again on a new
 * connection, as for a kept connection the server had closed. Its socket stays curl's to
 * close. An HTTP/2 connection is not looked at: its server may send at any time (PING,
 * GOAWAY), and curl reads that before reuse. */
static void poison_check(cafe__http_sock_t *k) {
    char b;
    if (k->h1 && recv(k->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
        (void)shutdown(k->fd, SHUT_RDWR);
}

static void on_poll(uv_poll_t *p, int status, int events) {
    cafe__http_sock_t *k = p->data;
    if (!k->want) { /* a parked connection became readable: the server is done with it */
        poll_set(k, 0, 0);
        poison_check(k);
        return;
    }
    cafe__http_client_t *c = k->c;
    curl_socket_t fd = k->fd;
    if (status < 0) {
        /* POLLERR: libuv has stopped the poll. Let curl try the socket as it wanted it: the
         * failing recv/send gives it the real error (e.g. "Connection reset by peer"). */
        k->mask = 0;
        events = k->want;
    }
    action(c, fd,
           (events & UV_READABLE ? CURL_CSELECT_IN : 0) |
               (events & UV_WRITABLE ? CURL_CSELECT_OUT : 0));
    /* Still wanted after an error and not re-armed by curl's callback meanwhile (k is alive
     * until its close callback; the table says whether it is still this socket's). */
    if (status < 0 && fd < (curl_socket_t)c->nsocks && c->socks[fd] == k && k->want)
        poll_set(k, k->want, 0);
}

/* The transfer that let go of a connection socket had an HTTP/1 response last. */
static int parked_h1(CURL *easy) {
    cafe__http_xfer_t *x = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
    if (x && x->lines.version)
        return x->lines.version < 20;
    long v = 0;
    curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &v);
    return v == CURL_HTTP_VERSION_1_0 || v == CURL_HTTP_VERSION_1_1;
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
    cafe__http_client_t *c = userp;
    cafe__http_sock_t *k = sock_get(c, fd);
    c->stats.socket_cbs++;
    if (what == CURL_POLL_REMOVE) {
        if (!k)
            return 0;
        k->want = 0;
        if (!k->owned) {
            sock_close(c, k);
            return 0;
        }
        k->h1 = parked_h1(easy);
        if (k->mask & UV_WRITABLE) /* a parked socket listens for reads only */
            poll_set(k, 0, 0);
        return 0;
    }
    if (!k && !(k = sock_new(c, fd, 0)))
        return -1;
    k->want = (what & CURL_POLL_IN ? UV_READABLE : 0) | (what & CURL_POLL_OUT ? UV_WRITABLE : 0);
    poll_set(k, k->want, !k->owned);
    return 0;
}

static curl_socket_t on_open(void *clientp, curlsocktype purpose, struct curl_sockaddr *a) {
    cafe__http_xfer_t *x = clientp;
    cafe__http_client_t *c = x->c;
    if (x->try && x->profile.no_private && cafe__http_addr_private(&a->addr)) {
        /* Refused before any packet leaves: the address is named in the result. */
        char ip[INET6_ADDRSTRLEN] = "?";
        const void *in = a->family == AF_INET6
                             ? (const void *)&((struct sockaddr_in6 *)(void *)&a->addr)->sin6_addr
                             : (const void *)&((struct sockaddr_in *)(void *)&a->addr)->sin_addr;
        inet_ntop(a->family, in, ip, sizeof ip);
        snprintf(x->refused, sizeof x->refused, "%s", ip);
        return CURL_SOCKET_BAD;
    }
    /* A connection after a request of the transfer went out: maybe a redirect's, checked
     * here before any packet leaves (a reused connection is checked in on_prereq). */
    if (x->try && x->sent && cafe__http_redirect_resolving(x))
        return CURL_SOCKET_BAD;
    cafe__http_errbuf_forget(x);
    curl_socket_t fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
    if (fd < 0)
        return CURL_SOCKET_BAD;
    if (!sock_new(c, fd, 1)) {
        close(fd);
        return CURL_SOCKET_BAD;
    }
    c->sockets_open++;
    return fd;
}

static int on_close(void *clientp, curl_socket_t fd) {
    cafe__http_client_t *c = clientp;
    cafe__http_sock_t *k = sock_get(c, fd);
    c->sockets_open -= c->sockets_open > 0; /* every socket curl closes came from on_open */
    if (k && k->owned && !c->closing) {
        /* Stopped before the number can be reused, and kept as a spare for it. At the
         * client's close no socket comes after it: the handle is closed at once, which stops
         * its poll with one epoll_ctl, where a stop now and a close later made two (issue 11:
         * 400 at the exit of a run on 200 connections). */
        poll_set(k, 0, 0);
        k->want = 0;
        k->h1 = 0;
        k->spare = 1;
    } else if (k) {
        sock_close(c, k); /* stops the poll before the number can be reused */
    }
    return close(fd);
}

static void on_timer(uv_timer_t *t) {
    action(t->data, CURL_SOCKET_TIMEOUT, 0);
}

static int on_timer_set(CURLM *multi, long ms, void *userp) {
    cafe__http_client_t *c = userp;
    if (ms < 0)
        uv_timer_stop(&c->timer);
    /* curl asks again for the deadline the timer has already (transfers starting and ending
     * in one loop turn): a restart would take it out of libuv's heap and put it back. */
    else if (!uv_is_active((uv_handle_t *)&c->timer) ||
             uv_timer_get_due_in(&c->timer) != (uint64_t)ms)
        uv_timer_start(&c->timer, on_timer, (uint64_t)ms, 0);
    return 0;
}

static void on_reap(uv_timer_t *t) {
    cafe__http_client_t *c = t->data;
    cafe__http_xfer_t *x;
    while ((x = c->orphans) != NULL) {
        c->orphans = x->next;
        if (x->in_multi) {
            c->stats.curl_calls++;
            curl_multi_remove_handle(c->multi, x->easy);
            x->in_multi = 0;
            c->in_curl--;
        }
        cafe__http_xfer_put(x);
    }
}

void cafe__http_io_orphan(cafe__http_xfer_t *x) {
    cafe__http_client_t *c = x->c;
    cafe__http_drain_forget(x);
    cafe__http_idle_forget(x);
    x->try = NULL;
    x->next = c->orphans;
    c->orphans = x;
    uv_timer_start(&c->reaper, on_reap, 0, 0);
}

void cafe__http_io_init(cafe__http_client_t *c) {
    uv_timer_init(&c->loop->uv, &c->timer);
    uv_timer_init(&c->loop->uv, &c->reaper);
    uv_timer_init(&c->loop->uv, &c->drain_timer);
    uv_timer_init(&c->loop->uv, &c->idle_timer);
    c->timer.data = c->reaper.data = c->drain_timer.data = c->idle_timer.data = c;
    c->open_timers = 4;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer_set);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
}

CURLcode cafe__http_io_setopts(cafe__http_xfer_t *x) {
    CURLcode rc = curl_easy_setopt(x->easy, CURLOPT_OPENSOCKETFUNCTION, on_open);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(x->easy, CURLOPT_OPENSOCKETDATA, x);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(x->easy, CURLOPT_CLOSESOCKETFUNCTION, on_close);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(x->easy, CURLOPT_CLOSESOCKETDATA, x->c);
    return rc;
}

static void timer_closed(uv_handle_t *h) {
    cafe__http_client_t *c = h->data;
    if (--c->open_timers == 0)
        free(c);
}

void cafe__http_io_close(cafe__http_client_t *c) {
    for (size_t fd = 0; fd < c->nsocks; fd++)
        if (c->socks[fd])
            sock_close(c, c->socks[fd]);
    free(c->socks);
    c->socks = NULL;
    c->nsocks = 0;
    uv_close((uv_handle_t *)&c->timer, timer_closed);
    uv_close((uv_handle_t *)&c->reaper, timer_closed);
    uv_close((uv_handle_t *)&c->drain_timer, timer_closed);
    uv_close((uv_handle_t *)&c->idle_timer, timer_closed);
}
