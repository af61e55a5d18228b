/* TCP streams, part 1: the lifecycle of the state behind a handle, listen, accept, connect,
 * close. Reading and writing are in tcp_io.c. */
#include "runtime/tcp_internal.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

static void maybe_free(cafe__tcp_t *t) {
    if (t->user_gone && t->handle_closed && t->users == 0) {
        free(t->rbuf);
        free(t);
    }
}

static void on_close(uv_handle_t *h) {
    cafe__tcp_t *t = h->data;
    t->handle_closed = 1;
    maybe_free(t);
}

cafe__tcp_t *cafe__tcp_enter(cafe_tcp_t *s, const char *call) {
    cafe__loop_thread_check(call);
    cafe__tcp_t *t = s ? s->private_impl : NULL;
    if (t) {
        cafe__tcp_owner_check(t, call);
        t->users++;
    }
    return t;
}

int cafe__tcp_leave(cafe__tcp_t *t, int rc) {
    t->users--;
    maybe_free(t);
    return rc;
}

/* The owner lets go of t (it closed it, or it never got it): the one place user_gone is set. */
static void let_go(cafe__tcp_t *t) {
    t->user_gone = 1;
    ((cafe_loop_t *)t->h.loop)->open_streams--;
}

static void drop(cafe__tcp_t *c);

void cafe__tcp_kill(cafe__tcp_t *t, int code) {
    if (t->rerr == 0 || t->rerr == CAFE_EOF)
        t->rerr = code;
    t->werr = code;
    if (t->reader)
        cafe__wake(t->reader, code);
    if (t->writer)
        cafe__wake(t->writer, code);
    t->reader = t->writer = NULL;
    cafe__wait_t *w;
    while ((w = cafe__waitlist_pop(&t->acceptors)) != NULL)
        cafe__wake(w, code);
    cafe__tcp_t *c;
    while ((c = t->handed_back) != NULL) {
        t->handed_back = c->handed_next;
        drop(c);
    }
    if (!t->closing) {
        t->closing = 1;
        uv_close((uv_handle_t *)&t->h, on_close);
    }
}

typedef struct slot_wait {
    cafe__wait_t w;
    cafe__tcp_t *t;
    cafe__wait_t **slot;
} slot_wait_t;

static int abort_slot(cafe__wait_t *w) {
    slot_wait_t *sw = (slot_wait_t *)w;
    *sw->slot = NULL;
    return 1;
}

static int abort_kill(cafe__wait_t *w) {
    slot_wait_t *sw = (slot_wait_t *)w;
    *sw->slot = NULL;
    cafe__tcp_kill(sw->t, CAFE_EPIPE);
    return 1;
}

int cafe__tcp_park(cafe__tcp_t *t, cafe__wait_t **slot, int abort_kills) {
    slot_wait_t sw = {.w = {.abort = abort_kills ? abort_kill : abort_slot}, .t = t, .slot = slot};
    *slot = &sw.w;
    return cafe__park(&sw.w, CAFE__NEVER);
}

/* A write to a peer that has gone must fail with CAFE_EPIPE, not kill the process: like
 * Python and Node, listen and connect set SIGPIPE to ignored, unless the program already
 * chose a disposition of its own (accepted streams come from a listener). */
static void ignore_sigpipe(void) {
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
        sa.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &sa, NULL);
        __atomic_store_n(&cafe__sigpipe_ignored, 1, __ATOMIC_RELAXED); /* loops' threads */
    }
}

int cafe__sigpipe_ignored;

void cafe__sigpipe_reignore(const cafe_loop_t *loop) {
    struct sigaction sa;
    if ((__atomic_load_n(&cafe__sigpipe_ignored, __ATOMIC_RELAXED) || loop->open_streams > 0) &&
        sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
        sa.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &sa, NULL);
    }
}

static cafe__tcp_t *tcp_new(cafe_loop_t *loop) {
    cafe__tcp_t *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    uv_tcp_init(&loop->uv, &t->h);
    t->h.data = t;
    loop->open_streams++;
    return t;
}

/* An accepted stream nobody will own, with no call inside it: closes it; on_close frees it. */
static void drop(cafe__tcp_t *c) {
    let_go(c);
    cafe__tcp_kill(c, CAFE_EPIPE);
}

/* For a state nobody will own: closes it and lets it free itself. */
static int discard(cafe__tcp_t *t, int rc) {
    let_go(t);
    cafe__tcp_kill(t, CAFE_EPIPE);
    return cafe__tcp_leave(t, rc);
}

static int parse_addr(const char *ip, int port, struct sockaddr_storage *ss) {
    if (!ip || port < 0 || port > 65535)
        return CAFE_EINVAL;
    int rc = strchr(ip, ':') ? uv_ip6_addr(ip, port, (struct sockaddr_in6 *)ss)
                             : uv_ip4_addr(ip, port, (struct sockaddr_in *)ss);
    return rc == 0 ? 0 : CAFE_EINVAL;
}

static int accept_one(cafe_loop_t *loop, cafe__tcp_t *t, cafe_tcp_t *conn) {
    cafe__tcp_t *c = tcp_new(loop);
    if (!c)
        return CAFE_ENOMEM; /* the connection stays queued for the next accept */
    t->accept_ready = 0;
    c->users = 1;
    int rc = uv_accept((uv_stream_t *)&t->h, (uv_stream_t *)&c->h);
    if (rc != 0)
        return discard(c, cafe__err_from_uv(rc));
    uv_tcp_nodelay(&c->h, 1);
    conn->private_impl = c;
    return cafe__tcp_leave(c, 0);
}

/* What libuv holds for the listener (an accept(2) error, or a connection) into *conn. */
static int take_pending(cafe_loop_t *loop, cafe__tcp_t *t, cafe_tcp_t *conn) {
    int rc = t->accept_err;
    t->accept_err = 0;
    return rc != 0 ? rc : accept_one(loop, t, conn);
}

/* A task waiting in accept, with the stream its connection goes to. */
typedef struct accept_wait {
    cafe__wait_t w;
    cafe_tcp_t *conn;
} accept_wait_t;

static int accept_undo(cafe__wait_t *w);

/* The acceptors handed connections after aw's and not run yet each take the connection of
 * the one before them, so that the first acceptor gets the first connection; returns the last
 * one's connection, the one left to hand on (as queue.c's shift_handed does for items). They
 * are on the run queue behind aw's task, in the order they were woken, which is the order of
 * the hand-overs. Costs a walk of the tasks ready behind it, on this cold path only. */
static cafe__tcp_t *shift_handed(accept_wait_t *aw) {
    cafe__tcp_t *c = aw->conn->private_impl;
    for (cafe__task_t *t = aw->w.task->ready_next; t; t = t->ready_next) {
        cafe__wait_t *o = t->woken;
        if (o && o->undo == accept_undo && o->source == aw->w.source && t->wake_code == 0) {
            cafe_tcp_t *conn = ((accept_wait_t *)o)->conn;
            cafe__tcp_t *next = conn->private_impl;
            conn->private_impl = c;
            c = next;
        }
    }
    return c;
}

/* An acceptor handed a connection and cancelled before it ran (cafe__task_cancel): the
 * connection goes to the next acceptor, or back to the listener for the next accept (as a
 * semaphore's permit goes on); closed if the listener was closed meanwhile. The listener's
 * state is still there: the acceptor is inside its call (a user). Connections keep their
 * order of arrival: the acceptors handed later ones shift (shift_handed), and the one left
 * over is the latest still held by an acceptor, so it goes to the front of those handed back
 * (every one there came after it), whatever the order of the cancellations. */
static int accept_undo(cafe__wait_t *w) {
    accept_wait_t *aw = (accept_wait_t *)w;
    cafe__tcp_t *t = w->source, *c;
    if (t->closing) {
        c = aw->conn->private_impl;
        aw->conn->private_impl = NULL;
        drop(c);
        return 1;
    }
    c = shift_handed(aw);
    aw->conn->private_impl = NULL;
    accept_wait_t *next = (accept_wait_t *)cafe__waitlist_pop(&t->acceptors);
    if (next) {
        next->conn->private_impl = c;
        cafe__wake(&next->w, 0);
        return 1;
    }
    c->handed_next = t->handed_back;
    t->handed_back = c;
    return 1;
}

/* The first waiting acceptor is handed what came, here: waking it to take it later let a
 * task that called accept meanwhile take it first, and the woken one wait again at the end
 * of the line. So a connection or error is left pending only while nobody waits. */
static void on_connection(uv_stream_t *server, int status) {
    cafe__tcp_t *t = server->data;
    if (status < 0)
        t->accept_err = cafe__err_from_uv(status);
    else
        t->accept_ready = 1; /* libuv holds the connection until uv_accept */
    accept_wait_t *aw = (accept_wait_t *)cafe__waitlist_pop(&t->acceptors);
    if (aw) /* the loop's uv_loop_t is its first member */
        cafe__wake(&aw->w, take_pending((cafe_loop_t *)server->loop, t, aw->conn));
}

/* The start of listen and connect: the stream's state made with its caller counted as a
 * user. */
static int tcp_open(cafe_loop_t *loop, cafe__tcp_t **out) {
    ignore_sigpipe();
    cafe__tcp_t *t = tcp_new(loop);
    if (!t)
        return CAFE_ENOMEM;
    t->users = 1;
    *out = t;
    return 0;
}

int cafe_tcp_listen(cafe_tcp_t *l, const char *ip, int port, int backlog) {
    cafe__loop_thread_check("cafe_tcp_listen");
    cafe_loop_t *loop = cafe__loop_tls();
    if (!l)
        return CAFE_EINVAL;
    l->private_impl = NULL;
    if (!loop)
        return CAFE_ENOTASK;
    struct sockaddr_storage ss;
    cafe__tcp_t *t;
    int rc = parse_addr(ip, port, &ss);
    if (rc == 0)
        rc = tcp_open(loop, &t);
    if (rc != 0)
        return rc;
    rc = uv_tcp_bind(&t->h, (const struct sockaddr *)&ss, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&t->h, backlog > 0 ? backlog : 511, on_connection);
    if (rc != 0)
        return discard(t, cafe__err_from_uv(rc));
    t->listening = 1;
    l->private_impl = t;
    return cafe__tcp_leave(t, 0);
}

int cafe_tcp_accept(cafe_tcp_t *l, cafe_tcp_t *conn) {
    cafe__tcp_t *t = cafe__tcp_enter(l, "cafe_tcp_accept");
    if (!t || !conn || conn == l)
        return t ? cafe__tcp_leave(t, CAFE_EINVAL) : CAFE_EINVAL;
    conn->private_impl = NULL;
    if (!t->listening)
        return cafe__tcp_leave(t, CAFE_EINVAL);
    cafe__task_t *self = cafe__running();
    if (!self)
        return cafe__tcp_leave(t, CAFE_ENOTASK);
    if (t->closing)
        return cafe__tcp_leave(t, CAFE_EPIPE);
    /* An interrupted task takes no connection: it stays for the next accept. */
    int rc = cafe__interrupt_check(self);
    if (rc != 0)
        return cafe__tcp_leave(t, rc);
    cafe__tcp_t *c = t->handed_back; /* came before anything libuv holds */
    if (c) {
        t->handed_back = c->handed_next;
        conn->private_impl = c;
        return cafe__tcp_leave(t, 0);
    }
    if (t->accept_ready || t->accept_err)
        return cafe__tcp_leave(t, take_pending(self->loop, t, conn));
    accept_wait_t aw = {.w = {.abort = cafe__abort_unlist, .undo = accept_undo, .source = t},
                        .conn = conn};
    cafe__waitlist_push(&t->acceptors, &aw.w);
    return cafe__tcp_leave(t, cafe__park(&aw.w, CAFE__NEVER));
}

static void on_connect(uv_connect_t *req, int status) {
    cafe__tcp_t *t = req->handle->data;
    if (t->writer)
        cafe__wake(t->writer, cafe__err_from_uv(status));
    t->writer = NULL;
}

static int connect_addr(cafe_loop_t *loop, cafe_tcp_t *s, const struct sockaddr_storage *ss) {
    cafe__tcp_t *t;
    int rc = tcp_open(loop, &t);
    if (rc != 0)
        return rc;
    rc = uv_tcp_connect(&t->req.connect, &t->h, (const struct sockaddr *)ss, on_connect);
    if (rc != 0)
        return discard(t, cafe__err_from_uv(rc));
    rc = cafe__tcp_park(t, &t->writer, 1);
    if (rc != 0)
        return discard(t, rc);
    uv_tcp_nodelay(&t->h, 1);
    s->private_impl = t;
    return cafe__tcp_leave(t, 0);
}

/* Addresses of one name tried in turn (asyncio's open_connection does the same). */
#define CONNECT_MAX_ADDRS 4

int cafe_tcp_connect(cafe_tcp_t *s, const char *host, int port) {
    cafe__loop_thread_check("cafe_tcp_connect");
    if (!s)
        return CAFE_EINVAL;
    s->private_impl = NULL;
    /* The arguments first, even in a cancelled task: asyncio.open_connection(None, 80)
     * raises its own error before the CancelledError of its first await. */
    if (!host || !*host || port < 0 || port > 65535)
        return CAFE_EINVAL;
    cafe__task_t *self = cafe__running();
    if (!self)
        return CAFE_ENOTASK;
    /* Before any lookup or SYN: the peer must not see a connection that is reset at once. */
    int rc = cafe__interrupt_check(self);
    if (rc != 0)
        return rc;
    struct sockaddr_storage addrs[CONNECT_MAX_ADDRS];
    int n = parse_addr(host, port, &addrs[0]) == 0
                ? 1
                : cafe__resolve(host, port, addrs, CONNECT_MAX_ADDRS);
    rc = n;
    for (int i = 0; i < n; i++) {
        rc = connect_addr(self->loop, s, &addrs[i]);
        if (rc == 0 || rc == CAFE_ECANCELED || rc == CAFE_ETIMEDOUT || rc == CAFE_ENOMEM)
            break;
    }
    return rc;
}

int cafe_tcp_port(cafe_tcp_t *s) {
    cafe__loop_thread_check("cafe_tcp_port");
    cafe__tcp_t *t = s ? s->private_impl : NULL;
    if (!t || t->closing)
        return CAFE_EINVAL;
    cafe__tcp_owner_check(t, "cafe_tcp_port");
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    int rc = uv_tcp_getsockname(&t->h, (struct sockaddr *)&ss, &len);
    if (rc != 0)
        return cafe__err_from_uv(rc);
    return ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                    : ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static int close_stream(cafe_tcp_t *s, int reset, const char *call) {
    cafe__tcp_t *t = cafe__tcp_enter(s, call);
    if (!t)
        return CAFE_EINVAL;
    s->private_impl = NULL;
    let_go(t);
    /* uv_tcp_close_reset refuses a stream that was shut down: that one closes normally. */
    if (reset && !t->closing && !t->listening && uv_tcp_close_reset(&t->h, on_close) == 0)
        t->closing = 1;
    cafe__tcp_kill(t, CAFE_EPIPE);
    return cafe__tcp_leave(t, 0);
}

int cafe_tcp_close(cafe_tcp_t *s) {
    return close_stream(s, 0, "cafe_tcp_close");
}

int cafe_tcp_close_reset(cafe_tcp_t *s) {
    return close_stream(s, 1, "cafe_tcp_close_reset");
}
