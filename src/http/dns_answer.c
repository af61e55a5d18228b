/* The negative TTL of the answers c-ares reads (dns_wire.c), taken only from an answer to a
 * query that went out: cafe reads each answer before c-ares has checked it, so a datagram
 * with a forged ID, or an answer to another question, must not say how long a name is to be
 * kept as "no such host". Queries are noted as c-ares sends them (ID, type, name) in a table
 * indexed by ID; TCP streams (a truncated answer asked again) are cut into messages by
 * their 2-byte length prefixes, as c-ares reads them. */
#include "http/dns_internal.h"
#include "http/dns_wire.h"
#include "common/fdtab.h"
#include "common/hash.h"

#include <stdlib.h>
#include <string.h>

struct cafe__dns_fd {
    int tcp;
    unsigned char len[2]; /* a TCP message's length prefix, len_have bytes of it so far */
    size_t len_have;
    unsigned char *msg; /* the message being read, need bytes, have so far; NULL: skipped */
    size_t need, have;
};

static cafe__dns_fd_t *fd_get(cafe__dns_t *d, int fd) {
    return fd >= 0 && (size_t)fd < d->nfds ? d->fds[fd] : NULL;
}

int cafe__dns_fd_open(cafe__dns_t *d, int fd, int tcp) {
    void *v = d->fds;
    if (fdtab_fit(&v, &d->nfds, sizeof(*d->fds), fd) != 0)
        return -1;
    d->fds = v;
    cafe__dns_fd_close(d, fd);
    if (!(d->fds[fd] = calloc(1, sizeof(cafe__dns_fd_t))))
        return -1;
    d->fds[fd]->tcp = tcp;
    return 0;
}

void cafe__dns_fd_close(cafe__dns_t *d, int fd) {
    cafe__dns_fd_t *f = fd_get(d, fd);
    if (!f)
        return;
    free(f->msg);
    free(f);
    d->fds[fd] = NULL;
}

static cafe__dns_sent_t *sent_slot(cafe__dns_t *d, unsigned id) {
    return &d->sent[id & (CAFE__DNS_SENT - 1)];
}

/* One query going out: noted by its ID. */
static void sent_note(cafe__dns_t *d, const unsigned char *p, size_t n) {
    char qname[CAFE__DNS_NAME_MAX + 1];
    unsigned id, qtype;
    if (!cafe__dns_wire_question(p, n, &id, qname, sizeof qname, &qtype))
        return;
    cafe__dns_sent_t *s = sent_slot(d, id);
    s->id = (uint16_t)id;
    s->qtype = (uint16_t)qtype;
    s->qhash = hash_str(HASH_SEED, qname);
    s->used = 1;
}

void cafe__dns_sent(cafe__dns_t *d, int fd, const struct iovec *iov, int n) {
    const cafe__dns_fd_t *f = fd_get(d, fd);
    /* UDP: one message; TCP: each buffer c-ares hands over is a query with its length
     * (one that starts inside a query, after a partial write, is simply not noted). */
    for (int i = 0; f && i < n; i++) {
        const unsigned char *p = iov[i].iov_base;
        size_t len = iov[i].iov_len;
        if (f->tcp && len >= 2 && (((size_t)p[0] << 8) | p[1]) == len - 2)
            sent_note(d, p + 2, len - 2);
        else if (!f->tcp)
            sent_note(d, p, len);
    }
}

/* A whole answer: its negative TTL counts if it answers a query that went out. */
static void answer_read(cafe__dns_t *d, const unsigned char *p, size_t n) {
    char qname[CAFE__DNS_NAME_MAX + 1];
    unsigned id, qtype;
    uint32_t ttl;
    if (!cafe__dns_wire_negative(p, n, qname, sizeof qname, &ttl) ||
        !cafe__dns_wire_question(p, n, &id, qname, sizeof qname, &qtype))
        return;
    const cafe__dns_sent_t *s = sent_slot(d, id);
    if (s->used && s->id == id && s->qtype == qtype && s->qhash == hash_str(HASH_SEED, qname))
        cafe__dns_negative_seen(d, qname, ttl);
}

/* TCP: the bytes c-ares read, fed to the message being put together. */
static void tcp_feed(cafe__dns_t *d, cafe__dns_fd_t *f, const unsigned char *p, size_t n) {
    while (n > 0) {
        if (f->len_have < 2) {
            f->len[f->len_have++] = *p++;
            n--;
            if (f->len_have == 2) {
                f->need = (size_t)f->len[0] << 8 | f->len[1];
                f->have = 0;
                free(f->msg);
                f->msg = malloc(f->need ? f->need : 1); /* NULL: this one is skipped */
            }
            continue;
        }
        size_t k = f->need - f->have < n ? f->need - f->have : n;
        if (f->msg)
            memcpy(f->msg + f->have, p, k);
        f->have += k;
        p += k;
        n -= k;
        if (f->have == f->need) {
            if (f->msg)
                answer_read(d, f->msg, f->need);
            f->len_have = 0;
        }
    }
}

void cafe__dns_received(cafe__dns_t *d, int fd, const unsigned char *p, size_t n) {
    cafe__dns_fd_t *f = fd_get(d, fd);
    if (f && f->tcp)
        tcp_feed(d, f, p, n);
    else if (f)
        answer_read(d, p, n);
}
