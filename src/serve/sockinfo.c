/* What a connection's socket has done, from the kernel's own counts (TCP_INFO, Linux 4.19
 * or later). Alone in its file: <linux/tcp.h>, which has those counts, cannot be included
 * beside <netinet/tcp.h>, which libmicrohttpd's and libuv's headers bring. */
#include "listen.h"

#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

/* The kernel's counts for fd, and the bytes in one of its queues (req: SIOCINQ, SIOCOUTQ). */
static int tcp_counts(int fd, struct tcp_info *ti, unsigned long req, int *queued) {
    socklen_t len = sizeof *ti;
    size_t need = offsetof(struct tcp_info, tcpi_bytes_received) + sizeof ti->tcpi_bytes_received;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len) != 0 || len < need)
        return -1;
    return ioctl(fd, req, queued) == 0 ? 0 : -1;
}

int srv_sock_unanswered(int fd) {
    struct tcp_info ti;
    int outq = 0;
    if (tcp_counts(fd, &ti, SIOCOUTQ, &outq) != 0)
        return 0;
    /* 1: TCP_ESTABLISHED, the client has not closed its side */
    return ti.tcpi_state == 1 && ti.tcpi_bytes_acked + (unsigned)outq == 0 &&
           ti.tcpi_bytes_received > 0;
}

long long srv_sock_bytes_read(int fd, int *waiting) {
    struct tcp_info ti;
    int inq = 0;
    if (tcp_counts(fd, &ti, SIOCINQ, &inq) != 0)
        return -1;
    if (waiting)
        *waiting = inq;
    return (long long)ti.tcpi_bytes_received - inq;
}
