/* cafe TCP streams (asyncio's streams): listen, accept, connect, read, write, shutdown and
 * close as calls of the current task. Included by cafe.h; may also be included alone.
 * Bad arguments (cafe.h): every call returns CAFE_EINVAL, nothing done, for a NULL handle, a
 * NULL host or ip, or NULL bytes with a length.
 *
 * Ownership: a cafe_tcp_t is a one-pointer handle owned by the caller (on its stack, in its
 * structs, anywhere). listen / accept / connect fill it without reading it (it may be
 * uninitialised memory, so cafe cannot tell a handle that still holds an open stream: filling
 * that one loses the stream, which stays open out of reach until cafe_loop_free aborts
 * counting it; close a handle before filling it again); cafe_tcp_close (or
 * cafe_tcp_close_reset) ends it and sets it to the closed state, after which every call on
 * it returns CAFE_EINVAL. The state behind the handle lives on the heap and is freed by
 * cafe once libuv has closed the socket and no task is inside a call on it, so closing
 * never frees memory another task is using. Copies of a handle share that state: after
 * close only the handle that was closed knows it; using a copy then is the caller's bug.
 * Streams belong to the loop they were made on; every stream must be closed before
 * cafe_loop_free, like any libuv handle (cafe_loop_free aborts with a message otherwise).
 *
 * Waiting: accept, connect, read*, write*, and shutdown suspend only the calling task; they
 * return CAFE_ECANCELED when the task is cancelled and CAFE_ETIMEDOUT when its deadline
 * (cafe_deadline_begin) passes, and CAFE_ENOTASK outside a task. An interrupted task's call
 * does nothing: a write sends no byte, accept leaves a waiting connection for the next
 * accept, connect opens none. The exception, as cafe.h says of results already there: the
 * read calls of a cancelled task (or one past its deadline) still return what the stream has
 * already received (cafe_tcp_read the buffered bytes; read_exactly and read_until when the
 * buffer completes them; CAFE_EOF or the stream's error once it is drained), and return
 * CAFE_ECANCELED / CAFE_ETIMEDOUT only when they would have to wait. One task at a time may
 * read a stream and one may write it (a second one gets CAFE_EBUSY); any number may wait in
 * accept, served in FIFO order (the first to wait gets the next connection, even against a
 * task that calls accept meanwhile). Closing a stream wakes the tasks waiting on it with
 * CAFE_EPIPE.
 *
 * Interrupted writes: libuv cannot take back bytes it was asked to send, so a write or
 * shutdown interrupted by cancellation or a deadline aborts the connection: the peer sees
 * it closed, and later calls on the stream return CAFE_EPIPE (the handle must still be
 * closed). An interrupted cafe_tcp_read, accept or connect loses nothing (a connection
 * handed to an acceptor cancelled before it ran goes to the next acceptor, or back to the
 * listener for the next accept, and connections keep their order of arrival whatever the order
 * of the cancellations; one held there is closed with the listener); an interrupted
 * read_exactly or read_until has taken from the stream what it had copied into buf.
 *
 * Buffers: each connected stream reads ahead into a buffer of CAFE_TCP_BUFFER bytes
 * (allocated by the first read) and stops reading from the socket while it is full, so
 * memory per stream is bounded whatever the peer sends. TCP_NODELAY is on for every
 * connected stream (as asyncio does): cafe_tcp_writev sends a response in one go.
 *
 * SIGPIPE: like Python and Node, the first stream sets SIGPIPE to ignored (unless the
 * program set a disposition of its own), so writing to a vanished peer returns CAFE_EPIPE.
 * A SIGPIPE watcher (cafe_signal_open) counts it while open; closing the last one leaves it
 * ignored again, not at its default, when streams had ignored it or the loop has streams.
 *
 * Addresses: listen takes a numeric IPv4 ("127.0.0.1") or IPv6 ("::1") literal; connect
 * takes a literal or a host name. Port 0 in listen picks a free port (cafe_tcp_port reports
 * it). Errors are libuv's, i.e. -errno
 * (CAFE_ECONNREFUSED, CAFE_ECONNRESET, CAFE_EADDRINUSE, ...). */
#ifndef CAFE_TCP_H
#define CAFE_TCP_H

#include "cafe.h" /* the error codes and the loop */

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CAFE_TCP_BUFFER (16u * 1024u)

typedef struct cafe_tcp {
    void *private_impl;
} cafe_tcp_t;

/* One piece of data for cafe_tcp_writev. */
typedef struct cafe_buf {
    const void *base;
    size_t len;
} cafe_buf_t;

/* Binds ip:port and listens (backlog <= 0 means 511). Needs a running loop (CAFE_ENOTASK
 * otherwise), not a task. CAFE_EINVAL for a bad address or port, CAFE_EADDRINUSE, ... On
 * failure *l is left closed. */
int cafe_tcp_listen(cafe_tcp_t *l, const char *ip, int port, int backlog);

/* Waits for the next connection on listener l and makes *conn a connected stream (owned by
 * the caller from then on). CAFE_EINVAL if l is not a listener; errors of accept(2) (e.g.
 * CAFE_EMFILE) are returned once each. */
int cafe_tcp_accept(cafe_tcp_t *l, cafe_tcp_t *conn);

/* asyncio.open_connection: connects to host:port and makes *s a connected stream. host is an
 * IP literal or a host name; a name is resolved by the loop's resolver (include/cafe/dns.h:
 * /etc/hosts, then DNS, on the loop, cached, shared with the HTTP client) and its addresses
 * (up to 4) are tried in turn until one accepts. On failure (CAFE_ERESOLVE for no such host
 * or no address, CAFE_EDNS_TIMEOUT, CAFE_EDNS_SERVFAIL, CAFE_ECONNREFUSED, CAFE_ETIMEDOUT,
 * ... the last address's error) *s is left closed and nothing needs freeing. CAFE_EINVAL, before
 * anything else (a cancelled task's call too), for a NULL s or host, an empty host or a port
 * outside 0..65535. */
int cafe_tcp_connect(cafe_tcp_t *s, const char *host, int port);

/* The local port of a listener or stream (> 0), or a negative code. Never waits. */
int cafe_tcp_port(cafe_tcp_t *s);

/* Reads between 1 and len bytes (len > 0) into buf: returns the count, CAFE_EOF once the
 * peer has shut down its side and everything before was read, or an error
 * (CAFE_ECONNRESET...). Data the peer sent before an error is returned first. */
int cafe_tcp_read(cafe_tcp_t *s, void *buf, size_t len);

/* Reads exactly len bytes: 0, or CAFE_EOF when the stream ended first (buf then holds an
 * unspecified part of what arrived), or an error. A len of 0 returns 0 at once (buf may be
 * NULL then), as asyncio's readexactly(0): a length-prefixed protocol's empty frame. */
int cafe_tcp_read_exactly(cafe_tcp_t *s, void *buf, size_t len);

/* fgets for streams: reads into buf until it ends with the delim bytes (dlen > 0) or holds
 * cap bytes, whichever comes first, and returns how many bytes it stored; what follows
 * stays in the stream for the next read. A result that does not end with delim means the
 * line was longer than cap (n == cap) or the stream ended (next call: CAFE_EOF). Never
 * stores more than cap bytes: cap is the bound on a line, from 1 to INT_MAX (the count is
 * an int: CAFE_EINVAL outside them, as for a NULL buf or delim or a dlen of 0). */
int cafe_tcp_read_until(cafe_tcp_t *s, void *buf, size_t cap, const void *delim, size_t dlen);

/* Sends all of buf; returns 0 once the kernel has taken every byte, or an error
 * (CAFE_EPIPE, CAFE_ECONNRESET...; CAFE_EINVAL, nothing sent, for a NULL buf with len > 0).
 * buf must stay unchanged until the call returns. */
int cafe_tcp_write(cafe_tcp_t *s, const void *buf, size_t len);

/* Sends n buffers (n <= 16, each of any size) in order, as one write: same rules as
 * cafe_tcp_write (one NULL base with a length: CAFE_EINVAL, none of them sent). */
int cafe_tcp_writev(cafe_tcp_t *s, const cafe_buf_t *bufs, size_t n);

/* Half-close: waits until everything written has been sent, then sends FIN. The stream
 * can still be read (the peer's data, then CAFE_EOF); later writes return CAFE_EPIPE. */
int cafe_tcp_shutdown(cafe_tcp_t *s);

/* Ends the stream or listener: the socket is closed (data already written is still sent
 * by the kernel), tasks waiting on it get CAFE_EPIPE, and *s becomes closed. Never waits.
 * Returns 0, or CAFE_EINVAL if *s was already closed. */
int cafe_tcp_close(cafe_tcp_t *s);

/* Like cafe_tcp_close, but aborts the connection with a TCP RST (SO_LINGER 0): the peer's
 * reads and writes fail with CAFE_ECONNRESET. After cafe_tcp_shutdown it closes normally. */
int cafe_tcp_close_reset(cafe_tcp_t *s);

#ifdef __cplusplus
}
#endif
#endif /* CAFE_TCP_H */
