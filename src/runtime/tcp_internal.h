/* The state behind a cafe_tcp_t, shared by tcp.c (lifecycle, listen, accept, connect) and
 * tcp_io.c (read, write, shutdown). */
#ifndef CAFE_RUNTIME_TCP_INTERNAL_H
#define CAFE_RUNTIME_TCP_INTERNAL_H

#include "runtime/internal.h"

/* Lifetime: freed when all three hold: the owner let go (user_gone), libuv closed the
 * handle (handle_closed) and no task is inside a call on it (users == 0). */
typedef struct cafe__tcp {
    uv_tcp_t h;
    unsigned char *rbuf; /* read-ahead buffer, CAFE_TCP_BUFFER bytes, or NULL */
    size_t rstart, rlen; /* unread bytes: rbuf[rstart .. rstart + rlen) */
    int rerr;            /* sticky read end: CAFE_EOF or an error, 0 while open */
    int werr;            /* sticky write end: CAFE_EPIPE after shutdown or abort */
    int accept_err;      /* a failed accept(2) not yet reported */
    unsigned users;      /* tasks inside a call on this stream */
    uint8_t listening, accept_ready, reading, closing, handle_closed, user_gone;
    cafe__wait_t *reader; /* the task waiting for data, if any */
    cafe__wait_t *writer; /* the task waiting in connect, write or shutdown, if any */
    cafe__waitlist_t acceptors;
    /* Listener: connections accepted for acceptors cancelled before they ran, handed back
     * (oldest first) for the next accept; closed with the listener. A stream on it: the link. */
    struct cafe__tcp *handed_back, *handed_next;
    union {
        uv_write_t write;
        uv_connect_t connect;
        uv_shutdown_t shutdown;
    } req; /* the one request in flight for `writer`; here, not on a task stack, because
              libuv may complete it after the task has gone */
} cafe__tcp_t;

/* A stream belongs to its loop's thread: a call from another one (even one that wakes no
 * task) aborts, naming the call. The loop is the container of the handle's uv_loop_t. */
static inline void cafe__tcp_owner_check(const cafe__tcp_t *t, const char *call) {
    cafe__owner_check_ro(cafe__loop_thread((const cafe_loop_t *)t->h.loop), call);
}
/* The live state behind s with one more user, or NULL (closed or never opened), after the
 * thread checks of the call. */
cafe__tcp_t *cafe__tcp_enter(cafe_tcp_t *s, const char *call);
/* Drops the user taken by enter and returns rc. */
int cafe__tcp_leave(cafe__tcp_t *t, int rc);
/* Closes the socket (once) and wakes every waiting task with code. */
void cafe__tcp_kill(cafe__tcp_t *t, int code);
/* Waits on *slot (reader or writer) with an abort that clears it, or, when abort_kills,
 * kills the stream because libuv cannot withdraw the request in flight. */
int cafe__tcp_park(cafe__tcp_t *t, cafe__wait_t **slot, int abort_kills);

#endif
