/* hiredis's event hooks on a libuv loop (cafe's): the adapter of hiredis 0.14's
 * adapters/libuv.h, fixed. */
#ifndef CAFE_REDIS_REDIS_UV_H
#define CAFE_REDIS_REDIS_UV_H

#include <hiredis/async.h>
#include <stdint.h>
#include <uv.h>

/* Watches ac's socket on loop; hiredis frees the watcher (closing its handle on the loop)
 * when it frees ac. after_read, when not NULL, is called after each read hiredis made and
 * parsed, if ac is still open (it may free ac). REDIS_OK or REDIS_ERR. */
int redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop,
                    void (*after_read)(redisAsyncContext *ac));
/* The loop time (uv_now) when ac's socket was last readable, or when it was attached: what a
 * watchdog of replies that do not come reads. */
uint64_t redis_uv_last_read(const redisAsyncContext *ac);

#endif
