/* TCP streams, part 2: reading through the bounded read-ahead buffer, writing, half-close.
 *
 * Reading: once a task first reads, libuv reads into rbuf whenever data arrives, until rbuf
 * is full (then reading stops until a reader makes room). Keeping the read interest armed
 * spares two epoll_ctl calls per read on kept-alive connections, and an EOF or a reset is
 * seen even while nobody reads. */
#include "runtime/tcp_internal.h"

#include <limits.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#define RBUF_CAP CAFE_TCP_BUFFER
#define MAX_BUFS 16

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    cafe__tcp_t *t = h->data;
    if (t->rstart > 0 && RBUF_CAP - t->rstart - t->rlen < RBUF_CAP / 4) {
        memmove(t->rbuf, t->rbuf + t->rstart, t->rlen);
        t->rstart = 0;
    }
    buf->base = (char *)t->rbuf + t->rstart + t->rlen;
    buf->len = RBUF_CAP - t->rstart - t->rlen;
}

/* libuv reports EOF without reading when a short read and a hang-up arrive together, which
 * is also how a RST right after data looks: the socket's pending error tells them apart, so
 * that a reset connection never passes for a complete stream. */
static int end_of_stream(uv_stream_t *stream) {
    uv_os_fd_t fd;
    int err = 0;
    socklen_t len = sizeof(err);
    if (uv_fileno((uv_handle_t *)stream, &fd) == 0 &&
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0)
        return -err;
    return CAFE_EOF;
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
    cafe__tcp_t *t = stream->data;
    if (nread == 0)
        return;
    if (nread > 0)
        t->rlen += (size_t)nread;
    else
        t->rerr = nread == UV_EOF ? end_of_stream(stream) : cafe__err_from_uv((int)nread);
    if (nread < 0 || t->rlen == RBUF_CAP) {
        uv_read_stop(stream);
        t->reading = 0;
    }
    if (t->reader)
        cafe__wake(t->reader, 0);
    t->reader = NULL;
}

static int start_reading(cafe__tcp_t *t) {
    if (!t->rbuf && !(t->rbuf = malloc(RBUF_CAP)))
        return CAFE_ENOMEM;
    if (t->reading || t->rerr || t->rlen == RBUF_CAP)
        return 0;
    int rc = uv_read_start((uv_stream_t *)&t->h, on_alloc, on_read);
    if (rc != 0)
        return cafe__err_from_uv(rc);
    t->reading = 1;
    return 0;
}

static void consume(cafe__tcp_t *t, size_t n) {
    t->rstart += n;
    t->rlen -= n;
    if (t->rlen == 0)
        t->rstart = 0;
    start_reading(t); /* rbuf exists: can only fail if libuv does, seen by the next read */
}

/* Waits until rbuf holds data: 0, or the stream's end / error once rbuf is drained. */
static int wait_data(cafe__tcp_t *t) {
    while (t->rlen == 0) {
        if (t->rerr)
            return t->rerr;
        int rc = start_reading(t);
        if (rc == 0)
            rc = cafe__tcp_park(t, &t->reader, 0);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Common entry checks of the reading calls; 0 lets the caller go on. */
static int read_check(cafe__tcp_t *t, const void *buf, size_t len) {
    if (!buf || len == 0 || t->listening)
        return CAFE_EINVAL;
    if (!cafe_task_current())
        return CAFE_ENOTASK;
    return t->reader ? CAFE_EBUSY : 0;
}

static int read_some(cafe__tcp_t *t, void *buf, size_t len) {
    int rc = wait_data(t);
    if (rc != 0)
        return rc;
    size_t n = t->rlen < len ? t->rlen : len;
    memcpy(buf, t->rbuf + t->rstart, n);
    consume(t, n);
    return (int)n;
}

int cafe_tcp_read(cafe_tcp_t *s, void *buf, size_t len) {
    cafe__tcp_t *t = cafe__tcp_enter(s, "cafe_tcp_read");
    if (!t)
        return CAFE_EINVAL;
    int rc = read_check(t, buf, len);
    if (rc == 0)
        rc = read_some(t, buf, len > INT_MAX ? INT_MAX : len);
    return cafe__tcp_leave(t, rc);
}

int cafe_tcp_read_exactly(cafe_tcp_t *s, void *buf, size_t len) {
    cafe__tcp_t *t = cafe__tcp_enter(s, "cafe_tcp_read_exactly");
    if (!t)
        return CAFE_EINVAL;
    /* Exactly 0 bytes are there at once (asyncio's readexactly(0)): a length-prefixed
     * protocol's empty frame, which must not read as a broken stream. */
    if (len == 0)
        return cafe__tcp_leave(t, t->listening ? CAFE_EINVAL : 0);
    int rc = read_check(t, buf, len);
    for (size_t got = 0; rc == 0 && got < len;) {
        size_t want = len - got > INT_MAX ? INT_MAX : len - got;
        int n = read_some(t, (char *)buf + got, want);
        if (n < 0)
            rc = n;
        else
            got += (size_t)n;
    }
    return cafe__tcp_leave(t, rc);
}

/* Copies what rbuf holds into buf[n..cap), up to and including the first delim; returns
 * the new fill, and sets *found. The delimiter may straddle earlier copies, so the search
 * starts dlen - 1 bytes back. */
static size_t copy_until(cafe__tcp_t *t, char *buf, size_t n, size_t cap, const void *delim,
                         size_t dlen, int *found) {
    size_t take = t->rlen < cap - n ? t->rlen : cap - n;
    memcpy(buf + n, t->rbuf + t->rstart, take);
    size_t from = n >= dlen - 1 ? n - (dlen - 1) : 0;
    const char *p = memmem(buf + from, n + take - from, delim, dlen);
    if (p) {
        take = (size_t)(p - buf) + dlen - n;
        *found = 1;
    }
    consume(t, take);
    return n + take;
}

int cafe_tcp_read_until(cafe_tcp_t *s, void *buf, size_t cap, const void *delim, size_t dlen) {
    cafe__tcp_t *t = cafe__tcp_enter(s, "cafe_tcp_read_until");
    if (!t)
        return CAFE_EINVAL;
    int rc = read_check(t, buf, cap);
    if (rc == 0 && (!delim || dlen == 0 || cap > INT_MAX))
        rc = CAFE_EINVAL;
    size_t n = 0;
    int found = 0;
    while (rc == 0 && !found && n < cap) {
        rc = wait_data(t);
        if (rc == 0)
            n = copy_until(t, buf, n, cap, delim, dlen, &found);
    }
    if (n > 0 && (rc == 0 || rc == CAFE_EOF))
        rc = (int)n;
    return cafe__tcp_leave(t, rc);
}

/* Completion of the write or shutdown request `writer` waits for. */
static void on_written(cafe__tcp_t *t, int status) {
    if (t->writer)
        cafe__wake(t->writer, cafe__err_from_uv(status));
    t->writer = NULL;
}

static void on_write(uv_write_t *req, int status) {
    on_written(req->handle->data, status);
}

static void on_shutdown(uv_shutdown_t *req, int status) {
    on_written(req->handle->data, status);
}

/* Then the interruption, as for a queue's put: a cancelled task's bytes are not sent, even
 * when the kernel would take them at once. */
static int write_check(cafe__tcp_t *t) {
    if (t->listening)
        return CAFE_EINVAL;
    cafe__task_t *self = cafe__running();
    if (!self)
        return CAFE_ENOTASK;
    if (t->writer)
        return CAFE_EBUSY;
    return t->werr ? t->werr : cafe__interrupt_check(self);
}

/* Drops the first `done` bytes from bufs[*first..n). */
static void skip_written(uv_buf_t *bufs, size_t *first, size_t n, size_t done) {
    while (*first < n && done >= bufs[*first].len) {
        done -= bufs[*first].len;
        (*first)++;
    }
    if (*first < n) {
        bufs[*first].base += done;
        bufs[*first].len -= done;
    }
}

static int write_bufs(cafe__tcp_t *t, uv_buf_t *ub, size_t n) {
    /* The fast path: the kernel usually takes everything at once; no request, no wait. */
    int rc = uv_try_write((uv_stream_t *)&t->h, ub, (unsigned)n);
    if (rc < 0 && rc != UV_EAGAIN)
        return cafe__err_from_uv(rc);
    size_t first = 0;
    skip_written(ub, &first, n, rc > 0 ? (size_t)rc : 0);
    if (first == n)
        return 0;
    rc = uv_write(&t->req.write, (uv_stream_t *)&t->h, ub + first, (unsigned)(n - first), on_write);
    if (rc != 0)
        return cafe__err_from_uv(rc);
    return cafe__tcp_park(t, &t->writer, 1);
}

int cafe_tcp_writev(cafe_tcp_t *s, const cafe_buf_t *bufs, size_t n) {
    cafe__tcp_t *t = cafe__tcp_enter(s, "cafe_tcp_writev");
    if (!t)
        return CAFE_EINVAL;
    if (n > MAX_BUFS || (n > 0 && !bufs))
        return cafe__tcp_leave(t, CAFE_EINVAL);
    int rc = write_check(t);
    uv_buf_t ub[MAX_BUFS];
    size_t m = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (bufs[i].len > 0 && !bufs[i].base)
            rc = CAFE_EINVAL;     /* nothing sent: checked before the first byte goes */
        else if (bufs[i].len > 0) /* len is a size_t here (not uv_buf_init's unsigned): any
                                   * size goes, libuv writing what the kernel takes in turn */
            ub[m++] = (uv_buf_t){.base = (char *)bufs[i].base, .len = bufs[i].len};
    }
    if (rc == 0 && m > 0)
        rc = write_bufs(t, ub, m);
    return cafe__tcp_leave(t, rc);
}

int cafe_tcp_write(cafe_tcp_t *s, const void *buf, size_t len) {
    cafe__loop_thread_check("cafe_tcp_write");
    cafe_buf_t b = {buf, len};
    return cafe_tcp_writev(s, &b, 1);
}

int cafe_tcp_shutdown(cafe_tcp_t *s) {
    cafe__tcp_t *t = cafe__tcp_enter(s, "cafe_tcp_shutdown");
    if (!t)
        return CAFE_EINVAL;
    int rc = write_check(t);
    if (rc == 0)
        rc = cafe__err_from_uv(uv_shutdown(&t->req.shutdown, (uv_stream_t *)&t->h, on_shutdown));
    if (rc == 0) {
        t->werr = CAFE_EPIPE;
        rc = cafe__tcp_park(t, &t->writer, 1);
    }
    return cafe__tcp_leave(t, rc);
}
