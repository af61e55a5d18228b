/* Adapted from hiredis 0.14's adapters/libuv.h, which carries this notice:
 *
 * Copyright (c) 2009-2011, Salvatore Sanfilippo <antirez at gmail dot com>
 * Copyright (c) 2010-2011, Pieter Noordhuis <pcnoordhuis at gmail dot com>
 *
 * All rights reserved.
 *
 * Redistribution and use in source and binary forms, with or without modification, are
 * permitted provided that the following conditions are met:
 *
 *   * Redistributions of source code must retain the above copyright notice, this list of
 *     conditions and the following disclaimer.
 *   * Redistributions in binary form must reproduce the above copyright notice, this list of
 *     conditions and the following disclaimer in the documentation and/or other materials
 *     provided with the distribution.
 *   * Neither the name of Redis nor the names of its contributors may be used to endorse or
 *     promote products derived from this software without specific prior written
 *     permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY EXPRESS
 * OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE
 * COPYRIGHT OWNER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL,
 * EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF
 * SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION)
 * HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR
 * TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF THIS
 * SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 */

/* The changes: the fix hiredis made later (1.1): when libuv
 * reports a poll error (POLLERR: connection refused, reset) it stops the handle and its
 * adapter ignored that, so the connection hung forever. Here an error lets hiredis read and
 * write, which makes it see the socket error and fail the connection properly. And the time
 * of the last read, for redis.c's watchdog, and a hook after each read, for its bound on
 * the size of a reply. */
#include "redis_uv.h"

#include <stdlib.h>

typedef struct watch {
    redisAsyncContext *ac;
    uv_poll_t poll;
    int events;
    uint64_t last_read; /* uv_now when the socket was last readable */
    void (*after_read)(redisAsyncContext *ac);
} watch_t;

static void on_poll(uv_poll_t *h, int status, int events) {
    watch_t *p = h->data;
    int ev = status ? p->events : events;
    if (ev & UV_READABLE)
        p->last_read = uv_now(h->loop);
    if (p->ac && (ev & UV_READABLE))
        redisAsyncHandleRead(p->ac);
    if (p->ac && (ev & UV_READABLE) && p->after_read)
        p->after_read(p->ac); /* may free it: p->ac is NULL then (cleanup_events) */
    if (p->ac && (ev & UV_WRITABLE))
        redisAsyncHandleWrite(p->ac);
}

static void set_events(watch_t *p, int add, int del) {
    p->events = (p->events | add) & ~del;
    /* Neither fails on Unix for an open handle with valid events (libuv only asserts), and
     * hiredis's hooks have no way to report a failure. */
    if (p->events)
        (void)uv_poll_start(&p->poll, p->events, on_poll);
    else
        (void)uv_poll_stop(&p->poll);
}

static void add_read(void *p) {
    set_events(p, UV_READABLE, 0);
}
static void del_read(void *p) {
    set_events(p, 0, UV_READABLE);
}
static void add_write(void *p) {
    set_events(p, UV_WRITABLE, 0);
}
static void del_write(void *p) {
    set_events(p, 0, UV_WRITABLE);
}

static void on_poll_closed(uv_handle_t *h) {
    free(h->data);
}

static void cleanup_events(void *arg) {
    watch_t *p = arg;
    p->ac = NULL; /* hiredis is freeing the context */
    uv_close((uv_handle_t *)&p->poll, on_poll_closed);
}

int redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop,
                    void (*after_read)(redisAsyncContext *ac)) {
    watch_t *p = calloc(1, sizeof(*p));
    if (!p)
        return REDIS_ERR;
    if (uv_poll_init(loop, &p->poll, ac->c.fd) != 0) {
        free(p);
        return REDIS_ERR;
    }
    p->ac = ac;
    p->poll.data = p;
    p->last_read = uv_now(loop);
    p->after_read = after_read;
    ac->ev.data = p;
    ac->ev.addRead = add_read;
    ac->ev.delRead = del_read;
    ac->ev.addWrite = add_write;
    ac->ev.delWrite = del_write;
    ac->ev.cleanup = cleanup_events;
    return REDIS_OK;
}

uint64_t redis_uv_last_read(const redisAsyncContext *ac) {
    return ((const watch_t *)ac->ev.data)->last_read;
}
