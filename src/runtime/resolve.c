/* Host name resolution for cafe_tcp_connect: libuv's getaddrinfo on its thread pool, the
 * calling task parked meanwhile. This file is the one seam to swap for another resolver
 * (e.g. c-ares): cafe__resolve's contract is all that tcp.c relies on.
 *
 * The request lives on the heap, not on the task's stack: an interrupted task leaves at once
 * and the callback, whenever it comes, frees what the task left behind. */
#include "runtime/internal.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct resolve {
    uv_getaddrinfo_t req;
    cafe__wait_t *waiter; /* NULL once the task has gone */
    int status;
    struct addrinfo *res;
} resolve_t;

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
    resolve_t *r = req->data;
    if (!r->waiter) {
        uv_freeaddrinfo(res);
        free(r);
        return;
    }
    r->status = status;
    r->res = res;
    cafe__wake(r->waiter, 0);
}

static int abort_resolve(cafe__wait_t *w) {
    resolve_t *r = w->data;
    r->waiter = NULL;
    uv_cancel((uv_req_t *)&r->req); /* if the lookup has not started yet */
    return 1;
}

/* Copies up to max TCP addresses of the list into out. */
static int copy_addrs(const struct addrinfo *ai, struct sockaddr_storage *out, int max) {
    int n = 0;
    for (; ai && n < max; ai = ai->ai_next) {
        if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
            ai->ai_addrlen > sizeof(out[0]))
            continue;
        memset(&out[n], 0, sizeof(out[0]));
        memcpy(&out[n], ai->ai_addr, ai->ai_addrlen);
        n++;
    }
    return n;
}

int cafe__resolve(const char *host, int port, struct sockaddr_storage *out, int max) {
    cafe__task_t *t = cafe__running();
    if (!t)
        return CAFE_ENOTASK;
    if (!host || !*host || port < 0 || port > 65535 || max <= 0)
        return CAFE_EINVAL;
    resolve_t *r = calloc(1, sizeof(*r));
    if (!r)
        return CAFE_ENOMEM;
    char service[8];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    cafe__wait_t w = {.abort = abort_resolve, .data = r};
    r->req.data = r;
    r->waiter = &w;
    int rc = uv_getaddrinfo(&t->loop->uv, &r->req, on_resolved, host, service, &hints);
    if (rc != 0) {
        free(r);
        return rc == UV_ENOMEM ? CAFE_ENOMEM : CAFE_ERESOLVE;
    }
    rc = cafe__park(&w, CAFE__NEVER);
    if (rc != 0)
        return rc; /* abort_resolve left r to the callback */
    int n = r->status == 0 ? copy_addrs(r->res, out, max) : 0;
    if (r->status == UV_EAI_MEMORY)
        n = CAFE_ENOMEM;
    else if (n == 0)
        n = CAFE_ERESOLVE;
    uv_freeaddrinfo(r->res);
    free(r);
    return n;
}
