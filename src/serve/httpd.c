/* libmicrohttpd on cafe's loop: no thread of its own (MHD_USE_EPOLL in "external" mode); a
 * uv_poll watches its epoll descriptor, a uv_timer its next timeout, and every MHD_run
 * happens in a libuv callback on the loop's stack, never inside a task. Tasks that finish a
 * suspended request resume it and "kick" the loop: a zero timer that runs MHD once more.
 *
 * Slowloris: libmicrohttpd's own timeout is an idle timeout (any byte restarts it), so a
 * client trickling a header one byte at a time would hold its connection forever. Each
 * connection therefore has a deadline: its request head must arrive within --header-timeout
 * (of connecting, or of the previous answer), the body within --request-timeout more. A
 * sweep cuts late connections with shutdown(2); libmicrohttpd then sees the end of stream
 * and closes them itself, so its bookkeeping stays whole.
 *
 * Clients that go away while their request is suspended: libmicrohttpd does not watch a
 * suspended connection's socket, so a client that closed a results stream waiting for a
 * slow record would hold its connection, descriptor and request until that record came.
 * While a request is suspended a uv_poll of ours watches its socket; the end of the stream
 * (or an error) marks the request gone and resumes it, and router.c and results.c then end
 * it, so that libmicrohttpd closes the connection at once.
 *
 * Requests libmicrohttpd cannot read: see answer_unread, and first_bytes. */
#include "srv.h"
#include "ascii.h"
#include "listen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct srv_conn {
    dlist_link_t link; /* on srv_t.conns */
    struct MHD_Connection *conn;
    int fd;
    uint64_t deadline; /* loop ms; 0 = none (an answer is being sent or awaited) */
    uv_poll_t *watch;  /* made at the first suspension; closed with the connection */
    srv_peer_t *peer;  /* its peer's count of connections (NULL: uncounted) */
    srv_req_t *susp;   /* the request suspended now, which watch is watching for */
    /* Its first request: its target was read (the URI callback), the handler saw it; a
     * request of it ended (then these no longer say anything of the next one). */
    unsigned seen : 1, exchanged : 1;
    unsigned active : 1; /* a request of it is under way: its target was read, not yet ended */
    /* it ended so that nobody is to be answered (answer_unread): a timeout, the client's
     * leaving, the handler's choice (srv_conn_drop) */
    unsigned quiet : 1;
    unsigned fresh : 1;   /* armed in srv_t.fresh_ep: its next request's first bytes are awaited */
    unsigned in_ep : 1;   /* registered in srv_t.fresh_ep (armed or not) */
    unsigned counted : 1; /* taken counts every byte read: no chunked body, no skipped line */
    /* The bytes its requests so far took (heads and bodies) and the empty lines the service
     * dropped before them: equal to the bytes read from its socket when libmicrohttpd holds
     * none of a next request (keep_watching). */
    long long taken;
    int queued; /* the bytes its socket held unsent or unacknowledged at the last sweep */
    /* the body's bytes come toward the next second of its deadline (srv_conn_body_came) */
    uint64_t body_credit;
};

/* libmicrohttpd's memory per connection: it holds the request head (a longer head gets 431)
 * and is cleared for every request, so its size is paid per request. 20 KiB: room for a
 * title request with the longest URL cafe fetches (8 KiB, percent-encoded in the query) and
 * ordinary headers; the library's default is 32 KiB. */
#define SRV_CONN_MEMORY (20u * 1024u)

uint64_t srv_now(const srv_t *s) {
    return cafe_loop_now(s->loop);
}

static void rearm(srv_t *s);

/* A connection that closed may have made room for the ones waiting in the kernel's backlog:
 * when accept(2) failed for want of descriptors (EMFILE), libmicrohttpd took its listening
 * socket out of its epoll set, and puts it back only at the start of the next MHD_run, which
 * then nothing caused (no timeout is due once the connections are gone): after a burst of
 * connections past `ulimit -n` the service accepted no connection again, for ever. So a run
 * that closed one runs once more. */
static void kick(srv_t *s);

static void fresh_check(srv_t *s);
static void after_a_stop(srv_t *s);

static void run_mhd(srv_t *s) {
    if (!s->d)
        return;
    after_a_stop(s); /* before libmicrohttpd's own timeouts are looked at */
    if (s->fresh)
        fresh_check(s); /* before libmicrohttpd reads what came */
    s->closed = 0;
    MHD_run(s->d);
    rearm(s);
    if (s->closed)
        kick(s);
}

static void on_timer(uv_timer_t *t) {
    run_mhd(t->data);
}

static void on_poll(uv_poll_t *p, int status, int events) {
    (void)status;
    (void)events;
    run_mhd(p->data);
}

static void rearm(srv_t *s) {
    MHD_UNSIGNED_LONG_LONG to;
    if (MHD_get_timeout(s->d, &to) == MHD_YES)
        uv_timer_start(&s->timer, on_timer, (uint64_t)to, 0);
    else
        uv_timer_stop(&s->timer);
}

static void kick(srv_t *s) {
    if (s->d && !uv_is_active((uv_handle_t *)&s->kick))
        uv_timer_start(&s->kick, on_timer, 0, 0);
}

/* ---- connections and their deadlines ---- */

/* libmicrohttpd's idle timeout: --header-timeout, in whole seconds. */
static unsigned idle_timeout_s(const srv_t *s) {
    return (unsigned)((s->o.header_timeout_ms + 999) / 1000);
}

/* The sweep's period: often enough for a --header-timeout under a second. */
static uint64_t sweep_period(const srv_t *s) {
    return s->o.header_timeout_ms < 1000 ? s->o.header_timeout_ms / 2 + 1 : 500;
}

/* Starts libmicrohttpd's idle timeout of c anew: a timeout set from 0 starts anew. */
static void idle_anew(srv_t *s, srv_conn_t *c) {
    MHD_set_connection_option(c->conn, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
    MHD_set_connection_option(c->conn, MHD_CONNECTION_OPTION_TIMEOUT, idle_timeout_s(s));
}

/* The timeouts count the time the service could read, not the time its process was stopped
 * (SIGSTOP, a frozen VM or cgroup) or its loop held: a request sent on a kept-alive
 * connection during a stop longer than --header-timeout was in the socket, unread, when the
 * first run after SIGCONT closed the connection (libmicrohttpd's idle timeout, looked at
 * before what came is read, or the sweep's deadline), and its client got no answer. The
 * sweep runs every period: when it is late by more than one, whatever runs first (the sweep,
 * or libmicrohttpd before its run) moves every deadline on by the time lost and starts
 * libmicrohttpd's idle timeout again (a timeout set from 0 starts anew). A suspended
 * connection has none. */
static void after_a_stop(srv_t *s) {
    uint64_t now = srv_now(s), period = sweep_period(s);
    if (now - s->swept_ms <= 2 * period)
        return;
    uint64_t lost = now - s->swept_ms - period;
    s->swept_ms = now - period; /* the sweep that is due runs all the same */
    for (dlist_link_t *k = s->conns.head; k; k = k->next) {
        srv_conn_t *c = DLIST_ITEM(k, srv_conn_t, link);
        if (c->deadline)
            c->deadline += lost;
        if (!c->susp)
            idle_anew(s, c);
    }
}

static srv_conn_t *conn_of(struct MHD_Connection *conn) {
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return i ? i->socket_context : NULL;
}

static void free_handle(uv_handle_t *h) {
    free(h);
}

/* libmicrohttpd 0.9.75 closes a connection without a word when it cannot parse its request
 * line ("GARBAGE": the handler never hears of it), and when a head a few hundred bytes under
 * its 431 limit leaves the connection's memory no room for the answer's head (the handler
 * answered; nothing is sent). RFC 9112 asks for 400, and 431 for a head too large, as nginx
 * answers: on the close notification, before libmicrohttpd closes the descriptor, that answer
 * is written to it. Only for a connection's first request, where the socket itself tells
 * what happened (nothing written to it, bytes received, the client still there) at no cost
 * to any other request; not after a timeout, the client's leaving, the service's stop or the
 * handler's own choice to close. Then, so that the client reads the answer (libmicrohttpd's
 * own 431 too), what it sent and nobody read is drained: a close with unread bytes is a
 * reset, which may drop the answer on the client's side before it is read. */
/* Now as HTTP writes it (RFC 9110, 5.6.7), which a 4xx answer must carry (6.6.1); by hand,
 * not by the locale's strftime. */
static void http_date(char *out, size_t size) {
    static const char days[] = "SunMonTueWedThuFriSat", months[] = "JanFebMarAprMayJunJulAug"
                                                                   "SepOctNovDec";
    time_t now = time(NULL);
    struct tm t;
    if (!gmtime_r(&now, &t)) {
        snprintf(out, size, "Thu, 01 Jan 1970 00:00:00 GMT");
        return;
    }
    snprintf(out, size, "%.3s, %02d %.3s %04d %02d:%02d:%02d GMT", days + 3 * t.tm_wday, t.tm_mday,
             months + 3 * t.tm_mon, t.tm_year + 1900, t.tm_hour, t.tm_min, t.tm_sec);
}

/* Writes the answer status (400 or 431; 0: none) to c's socket as it is, then reads and
 * drops what the client sent and nobody read. */
static void answer_now(srv_conn_t *c, unsigned status) {
    static const char head[] =
        "HTTP/1.1 %u %s\r\nDate: %s\r\nConnection: close\r\nContent-Type: application/json\r\n"
        "X-Content-Type-Options: nosniff\r\nContent-Length: %zu\r\n\r\n%s";
    const char *body = "{\"error\":\"a request line that is no HTTP request line\"}\n";
    const char *reason = "Bad Request";
    if (status == 431) {
        reason = "Request Header Fields Too Large";
        body = "{\"error\":\"the request head is too large\"}\n";
    }
    if (status) {
        char msg[360], date[40];
        http_date(date, sizeof date);
        int n = snprintf(msg, sizeof msg, head, status, reason, date, strlen(body), body);
        (void)send(c->fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    char sink[16384];
    for (int k = 0; k < 64 && recv(c->fd, sink, sizeof sink, MSG_DONTWAIT) > 0; k++)
        ; /* bounded: 1 MiB, as much as a client that already sent it may have in flight */
}

static void answer_unread(srv_t *s, srv_conn_t *c) {
    unsigned status = 0;
    if (!c->exchanged && !c->quiet && c->deadline) {
        uv_update_time(s->uv);
        if (srv_now(s) + 50 < c->deadline) /* not the header timeout, nor the idle one */
            status = c->seen ? 431 : 400;
    }
    answer_now(c, status && srv_sock_unanswered(c->fd) ? status : 0);
}

/* A request line starts with a method, a token (RFC 9110, 5.6.2), after empty lines a
 * server may skip (RFC 9112, 2.2). libmicrohttpd takes a line from its first NUL on for
 * nothing and skips it as empty, so that "\0\1\2\r\n\r\n" was held, unanswered, until
 * --header-timeout; and a TLS handshake sent to the plain port (https:// to an http service)
 * has no line end at all: held too, its client waiting the timeout for nothing. nginx
 * answers both 400 at once, after any number of empty lines, on a connection's first request
 * as on a kept-alive one's next. So the first bytes of each request are looked at before
 * libmicrohttpd reads them: when they are there already, else once they come (fresh_check).
 * The empty lines before them are read and dropped here, however many, so that the first
 * byte of the request itself is judged (64 CR LF and then garbage went through, and waited
 * for the timeout). On a kept-alive connection, bytes that would be dropped or refused are
 * first checked to start a request (at_request_start): a pipelined one libmicrohttpd has
 * read in part would be judged by bytes from its middle. */
static int tchar(unsigned char ch) {
    return (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* Whether what c's socket holds starts a request: every byte read from it is one a request
 * took (or an empty line dropped here). Asked only when its next bytes would be dropped or
 * refused: libmicrohttpd may have read them in part already (a connection's first bytes
 * come between the look at its accept and libmicrohttpd's first read; a client pipelines),
 * or read a chunked body's framing, which nothing counts; then they are the middle of a
 * request, left to libmicrohttpd (and answer_unread), as before. */
static int at_request_start(const srv_conn_t *c) {
    return c->counted && srv_sock_bytes_read(c->fd, NULL) == c->taken;
}

/* Reads and drops the empty lines (CR, LF) at the head of what c's client sent; returns the
 * first byte after them (0..255), -1 when none has come yet, -2 when the socket failed or
 * ended, or what it holds is no request's start (libmicrohttpd's to read). Bounded: past 64
 * KiB of empty lines in one go it returns 0 (a NUL: no request), as what is left would go
 * to libmicrohttpd unlooked at. */
static int first_byte(srv_conn_t *c) {
    unsigned char b[512];
    int start = 0; /* at_request_start said so */
    for (int round = 0; round < 128; round++) {
        ssize_t n = recv(c->fd, b, sizeof b, MSG_PEEK | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return -1;
        if (n <= 0)
            return -2;
        ssize_t i = 0;
        while (i < n && (b[i] == '\r' || b[i] == '\n'))
            i++;
        if (i < n && tchar(b[i]) && !i)
            return b[i]; /* a request's start, or a byte libmicrohttpd judges itself */
        if (!start && !(start = at_request_start(c)))
            return -2;
        if (i && recv(c->fd, b, (size_t)i, MSG_DONTWAIT) != i)
            return -2; /* what was peeked is there: a short read is the socket's failure */
        c->taken += i;
        if (i < n)
            return b[i];
    }
    return 0;
}

/* 1 when c's next request's first bytes are in (judged, and answered when they are no
 * HTTP), 0 when none have come yet. */
static int first_bytes(srv_t *s, srv_conn_t *c) {
    int ch = first_byte(c);
    if (ch == -1)
        return 0;
    if (ch >= 0 && !tchar((unsigned char)ch)) {
        answer_now(c, 400);
        c->quiet = 1;               /* answered: answer_unread says nothing more */
        shutdown(c->fd, SHUT_RDWR); /* libmicrohttpd reads the end and closes it */
        kick(s);
    }
    return 1;
}

/* The connections whose next request's first bytes had not come when it was watched for:
 * those they came to since are judged, before libmicrohttpd reads them. */
static void fresh_check(srv_t *s) {
    struct epoll_event ev[64];
    int n;
    do {
        n = epoll_wait(s->fresh_ep, ev, 64, 0);
        for (int i = 0; i < n; i++) {
            srv_conn_t *c = ev[i].data.ptr; /* open: they close only inside MHD_run */
            if (first_bytes(s, c)) {
                c->fresh = 0; /* EPOLLONESHOT: no longer watched; closing drops it */
                s->fresh--;
            } else {
                ev[i].events = EPOLLIN | EPOLLONESHOT;
                (void)epoll_ctl(s->fresh_ep, EPOLL_CTL_MOD, c->fd, &ev[i]);
            }
        }
    } while (n == 64);
}

/* peek: the bytes may be there already (a connection just accepted). */
static void fresh_watch(srv_t *s, srv_conn_t *c, int peek) {
    if (c->fd < 0 || c->fresh || (peek && first_bytes(s, c)))
        return;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.ptr = c};
    if (epoll_ctl(s->fresh_ep, c->in_ep ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ev) == 0) {
        c->in_ep = 1;
        c->fresh = 1;
        s->fresh++;
    } /* else unwatched: libmicrohttpd and answer_unread, as before */
}

/* A request of c ended and the connection is kept: its next one is watched for, without a
 * look now (the client has only just been answered); whether its bytes start a request is
 * asked only of those that would be refused (at_request_start). A chunked body ends the
 * watch: its framing was never counted. */
static void keep_watching(srv_t *s, srv_conn_t *c) {
    if (c->counted)
        fresh_watch(s, c, 0);
}

void srv_conn_target_seen(struct MHD_Connection *conn) {
    srv_conn_t *c = conn_of(conn);
    if (c)
        c->seen = c->active = 1;
}

/* Closes c for the stop, when nothing of a request is under way on it (libmicrohttpd then
 * reads the end and closes it, telling nobody): nginx's graceful stop closes its idle
 * kept-alive connections at once, so that a client's next request goes to a new
 * connection, its library retrying it there (to the restarted service, or another behind
 * the balancer), not to a stopping one that could only answer 503 for the whole grace. */
static void close_idle(srv_t *s, srv_conn_t *c) {
    if (c->active || c->fd < 0 || c->quiet)
        return;
    int waiting = 1;
    long long read = srv_sock_bytes_read(c->fd, &waiting);
    if (read < 0 || (c->counted && read != c->taken) || waiting > 0)
        return; /* a next request has begun to come: it gets its answer */
    c->quiet = 1;
    shutdown(c->fd, SHUT_RDWR);
    kick(s);
}

void srv_conn_drop(struct MHD_Connection *conn) {
    srv_conn_t *c = conn_of(conn);
    if (c)
        c->quiet = 1;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **ctx,
                          enum MHD_ConnectionNotificationCode code) {
    srv_t *s = cls;
    srv_conn_t *c = *ctx;
    if (code != MHD_CONNECTION_NOTIFY_STARTED)
        s->closed = 1;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        c = calloc(1, sizeof(*c));
        if (!c)
            return; /* no deadline for this one: the idle timeout still applies */
        const union MHD_ConnectionInfo *i =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        c->fd = i ? i->connect_fd : -1;
        c->conn = conn;
        c->deadline = srv_now(s) + s->o.header_timeout_ms;
        c->counted = 1;
        i = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        c->peer = i ? srv_peer_add(s, i->client_addr) : NULL;
        dlist_push(&s->conns, &c->link);
        *ctx = c;
        fresh_watch(s, c, 1);
    } else if (c) {
        if (c->fd >= 0 && !s->closing)
            answer_unread(s, c);
        dlist_unlink(&s->conns, &c->link);
        if (c->peer)
            srv_peer_del(s, c->peer);
        if (c->fresh) { /* out of fresh_ep while its descriptor is still open */
            (void)epoll_ctl(s->fresh_ep, EPOLL_CTL_DEL, c->fd, NULL);
            s->fresh--;
        }
        if (c->watch) /* before libmicrohttpd closes the descriptor: it is still open */
            uv_close((uv_handle_t *)c->watch, free_handle);
        free(c);
        *ctx = NULL;
    }
}

static int says_close(const char *connection) {
    for (const char *p = connection; p && *p; p++)
        if (ascii_ncasecmp(p, "close", 5) == 0)
            return 1;
    return 0;
}

/* What the request on conn takes of its connection's bytes: its head (the request line to
 * the empty line, as libmicrohttpd measures it) and its declared body. A chunked body's
 * framing is not known here, and ends the count for the connection; so does a request after
 * which the connection is closed (HTTP/1.0, Connection: close), whose next bytes nobody
 * answers. */
static void count_request(srv_conn_t *c, struct MHD_Connection *conn, const char *version) {
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    const char *close = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Connection");
    char *end = NULL;
    unsigned long long body = cl ? strtoull(cl, &end, 10) : 0;
    if (!i || MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding") ||
        strcmp(version, MHD_HTTP_VERSION_1_1) != 0 || says_close(close) ||
        (cl && (end == cl || *end)) || body > (1ull << 40))
        c->counted = 0;
    else
        c->taken += (long long)(i->header_size + body);
}

void srv_conn_request_started(srv_t *s, struct MHD_Connection *conn, const char *version) {
    srv_conn_t *c = conn_of(conn);
    if (!c)
        return;
    c->deadline = srv_now(s) + s->o.request_timeout_ms;
    c->body_credit = 0;
    if (c->counted)
        count_request(c, conn, version);
}

/* A body that keeps coming keeps its connection. --request-timeout bounds a body's time
 * from its head on, so that a client trickling a byte now and then cannot hold a
 * connection; but a list sent steadily over a slow uplink (100,000 URLs, 5 MB, at 1 Mbit/s:
 * 40 s) was cut at it in the middle, unanswered. Each BODY_RATE bytes that come move the
 * deadline on by a second (as Apache's mod_reqtimeout MinRate), never past --request-timeout
 * from now, so that a burst banks no idle time: a body coming at BODY_RATE a second or more
 * is never cut, a slower one later than before, a trickle as before. */
enum { BODY_RATE = 8192 };

void srv_conn_body_came(srv_t *s, struct MHD_Connection *conn, size_t n) {
    srv_conn_t *c = conn_of(conn);
    if (!c || !c->deadline)
        return;
    uint64_t most = srv_now(s) + s->o.request_timeout_ms;
    c->body_credit += n;
    c->deadline += c->body_credit / BODY_RATE * 1000;
    c->body_credit %= BODY_RATE;
    if (c->deadline > most)
        c->deadline = most;
}

void srv_conn_closes(struct MHD_Connection *conn) {
    srv_conn_t *c = conn_of(conn);
    if (c)
        c->counted = 0;
}

void srv_conn_request_answered(srv_t *s, struct MHD_Connection *conn) {
    srv_conn_t *c = conn_of(conn);
    (void)s;
    if (c)
        c->deadline = 0;
}

/* ---- suspended requests whose client went ---- */

static void on_watch(uv_poll_t *p, int status, int events) {
    srv_conn_t *c = p->data;
    (void)events;
    char b;
    ssize_t n = -1;
    if (status == 0) {
        n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
    }
    uv_poll_stop(p);
    if (n > 0 || !c->susp)
        return; /* the next request, pipelined: the client is still there */
    c->susp->gone = 1;
    srv_resume(c->susp);
}

static void watch_start(srv_t *s, srv_req_t *r) {
    srv_conn_t *c = conn_of(r->conn);
    if (!c || c->fd < 0)
        return;
    if (!c->watch) {
        c->watch = malloc(sizeof(*c->watch));
        if (!c->watch || uv_poll_init(s->uv, c->watch, c->fd) != 0) {
            free(c->watch); /* unwatched: it is noticed when it is resumed */
            c->watch = NULL;
            return;
        }
        c->watch->data = c;
    }
    c->susp = r;
    if (uv_poll_start(c->watch, UV_READABLE | UV_DISCONNECT, on_watch) != 0)
        c->susp = NULL;
}

static void watch_stop(srv_req_t *r) {
    srv_conn_t *c = conn_of(r->conn);
    if (c && c->susp == r) {
        c->susp = NULL;
        uv_poll_stop(c->watch);
    }
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    srv_t *s = cls;
    srv_req_t *r = srv_target_refused(*con_cls) ? NULL : *con_cls; /* nothing to free */
    srv_conn_t *c = conn_of(conn);
    if (c) {
        c->deadline = srv_now(s) + s->o.header_timeout_ms; /* the next request's head */
        /* libmicrohttpd ends a request whose target it read (the URI callback) even when it
         * then closes its connection unanswered: WITH_ERROR (answer_unread); a timeout, the
         * client's leaving or the service's stop is nobody's to answer */
        c->active = 0;
        if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
            c->exchanged = 1;
            if (s->stopping) /* answered with Connection: close, but for a shared answer */
                close_idle(s, c);
            else
                keep_watching(s, c);
        } else if (toe != MHD_REQUEST_TERMINATED_WITH_ERROR)
            c->quiet = 1;
    }
    if (r && r->suspended)
        watch_stop(r);
    /* A client gone from a suspended lookup is noticed by its watch, which resumes the
     * request: libmicrohttpd then reads the close and ends it here, mostly without calling
     * the handler again (router.c's srv_title_gone): its wait ends here too. */
    if (r && r->route == SRV_R_TITLE)
        srv_title_gone(r);
    if (r && r->route == SRV_R_READYZ)
        srv_ready_detach(r);
    if (r) {
        r->done = 1;
        srv_results_detach(r);
        srv_req_unref(r);
        *con_cls = NULL;
    }
}

/* An SSE stream waiting for a slow record sent nothing at all, and a reverse proxy in front
 * cut it after its read timeout (nginx's proxy_read_timeout: 60 s): every --sse-ping the
 * streams waiting get a comment line, which EventSource skips. */
static void on_ping(uv_timer_t *t) {
    srv_results_ping(t->data);
}

/* An answer being sent to a client that reads it slowly. libmicrohttpd's idle timeout counts
 * from its last write, and a write waits for the socket's buffer to be a third empty (the
 * kernel lets it grow to 4 MiB): a download read steadily at 300 KB/s gave no write for
 * longer than --header-timeout, and was cut in the middle, its client's file ending short.
 * What the client takes counts as activity too: the bytes the kernel holds for it
 * (SIOCOUTQ: unsent and unacknowledged) going down. A client that takes nothing is still
 * cut at the idle timeout, so that one which stopped reading holds no connection. */
static void sending(srv_t *s, srv_conn_t *c) {
    int queued;
    if (ioctl(c->fd, SIOCOUTQ, &queued) != 0)
        return;
    if (queued < c->queued)
        idle_anew(s, c);
    c->queued = queued;
}

static void on_sweep(uv_timer_t *t) {
    srv_t *s = t->data;
    uint64_t now = srv_now(s);
    after_a_stop(s);
    s->swept_ms = now;
    int cut = 0;
    for (dlist_link_t *k = s->conns.head; k; k = k->next) {
        srv_conn_t *c = DLIST_ITEM(k, srv_conn_t, link);
        if (c->deadline && c->deadline <= now && c->fd >= 0) {
            shutdown(c->fd, SHUT_RDWR);
            c->deadline = 0;
            cut = 1;
        } else if (c->active && !c->deadline && !c->susp && c->fd >= 0) {
            sending(s, c);
        }
    }
    if (cut)
        kick(s);
}

/* ---- requests ---- */

void srv_req_ref(srv_req_t *r) {
    r->refs++;
}

void srv_req_unref(srv_req_t *r) {
    if (--r->refs > 0)
        return;
    if (r->resp && !r->resp_shared)
        MHD_destroy_response(r->resp);
    srv_body_free(r);
    free(r->pend);
    free(r);
}

void srv_suspend(srv_req_t *r) {
    if (!r->suspended) {
        r->suspended = 1;
        MHD_suspend_connection(r->conn);
        watch_start(r->srv, r);
    }
}

void srv_resume(srv_req_t *r) {
    if (r->suspended && !r->done) {
        r->suspended = 0;
        watch_stop(r);
        MHD_resume_connection(r->conn);
        kick(r->srv);
    }
}

/* ---- the daemon ---- */

/* libmicrohttpd asks before it makes a connection of an accepted socket: one past the
 * peer's --max-client-connections is closed at once, as one past --max-connections is, so
 * that one address cannot take every connection and shut every other client out. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen) {
    srv_t *s = cls;
    (void)addrlen;
    if (srv_peer_admitted(s, addr))
        return MHD_YES;
    s->m.conns_refused++;
    return MHD_NO;
}

static int init_timer(srv_t *s, uv_timer_t *t) {
    if (uv_timer_init(s->uv, t) != 0)
        return -1;
    t->data = s;
    s->handles++;
    return 0;
}

int srv_httpd_start(srv_t *s) {
    unsigned timeout_s = idle_timeout_s(s);
    s->fresh_ep = epoll_create1(EPOLL_CLOEXEC); /* valid while s->d is there */
    if (s->fresh_ep < 0)
        return -1;
    s->d = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO, 0, on_accept, s, srv_on_request,
        s, MHD_OPTION_LISTEN_SOCKET, s->listen_fd, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)s->o.max_connections, MHD_OPTION_CONNECTION_TIMEOUT, timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SRV_CONN_MEMORY, MHD_OPTION_NOTIFY_CONNECTION,
        on_connection, s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_URI_LOG_CALLBACK,
        srv_on_uri, s, MHD_OPTION_SIGPIPE_HANDLED_BY_APP, 1, MHD_OPTION_END);
    if (!s->d) {
        close(s->fresh_ep);
        return -1;
    }
    s->listen_fd = -1; /* libmicrohttpd's now: it closes it, or hands it back on quiesce */
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_EPOLL_FD);
    if (!i || uv_poll_init(s->uv, &s->poll, i->epoll_fd) != 0)
        return -1;
    s->poll.data = s;
    s->handles++;
    if (uv_poll_start(&s->poll, UV_READABLE, on_poll) != 0 || init_timer(s, &s->timer) ||
        init_timer(s, &s->kick) || init_timer(s, &s->sweep) || init_timer(s, &s->ping))
        return -1;
    if (s->o.sse_ping_ms)
        uv_timer_start(&s->ping, on_ping, s->o.sse_ping_ms, s->o.sse_ping_ms);
    s->swept_ms = srv_now(s);
    uv_timer_start(&s->sweep, on_sweep, sweep_period(s), sweep_period(s));
    rearm(s);
    return 0;
}

void srv_httpd_quiesce(srv_t *s) {
    if (!s->d || s->quiesced)
        return;
    MHD_socket fd = MHD_quiesce_daemon(s->d);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    s->quiesced = 1;
    for (dlist_link_t *k = s->conns.head; k; k = k->next)
        close_idle(s, DLIST_ITEM(k, srv_conn_t, link));
    kick(s);
}

void srv_httpd_stop(srv_t *s) {
    if (!s->d)
        return;
    uv_handle_t *hs[] = {(uv_handle_t *)&s->poll, (uv_handle_t *)&s->timer, (uv_handle_t *)&s->kick,
                         (uv_handle_t *)&s->sweep, (uv_handle_t *)&s->ping};
    for (int i = 0; i < s->handles; i++)
        uv_close(hs[i], NULL);
    s->handles = 0;
    s->closing = 1; /* the connections it closes now are no client's doing: not answered */
    MHD_stop_daemon(s->d);
    s->d = NULL;
    close(s->fresh_ep); /* after the connections it watched */
    if (s->healthz)
        MHD_destroy_response(s->healthz);
    s->healthz = NULL;
}
