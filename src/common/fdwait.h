/* Waiting on a descriptor another program made non-blocking (the flag belongs to the open
 * file, shared with whoever else holds it: a terminal, a pipe): a read or write then fails
 * with EAGAIN where a blocking one would wait inside the kernel. The tool's output (the
 * stream sink) and cafe title's input wait here instead. Header-only, as fdtab.h. */
#ifndef CAFE_COMMON_FDWAIT_H
#define CAFE_COMMON_FDWAIT_H

#include <errno.h>
#include <poll.h>

/* Blocks until fd is ready for events (POLLIN or POLLOUT). Returns 0, or -1 when poll fails;
 * an error or hang-up on fd counts as ready: the next read or write reports it. */
static inline int fd_wait(int fd, short events) {
    struct pollfd p = {.fd = fd, .events = events};
    int n;
    while ((n = poll(&p, 1, -1)) < 0 && errno == EINTR)
        ;
    return n > 0 ? 0 : -1;
}

/* Is fd a pipe whose reader has gone (`| head -1` exited)? Its write end then polls POLLERR,
 * before any write fails: how a program that writes seldom knows to stop, and how one whose
 * write failed earlier, its errno long lost, knows why. Never blocks. */
static inline int fd_reader_gone(int fd) {
    struct pollfd p = {.fd = fd, .events = 0};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

#endif
