/* Wrapping a callback-style API as a suspending call with cafe_future_t (asyncio's Future):
 * libuv's uv_fs_stat, which runs on libuv's thread pool and calls back on the loop. Each file
 * named on the command line is stat'ed by its own task, all at once; the sizes are printed in
 * the order given, a missing file as its error. The same shape wraps any callback library:
 * hiredis, libpq, c-ares, a message queue client.
 *
 *     usage: fs_future FILE...
 *     build: cc -std=c11 fs_future.c $(pkg-config --cflags --libs cafe libuv) */
#define _POSIX_C_SOURCE 200809L /* uv.h uses POSIX types (pthread_rwlock_t...) */

#include <cafe.h>

#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

/* One request in flight. It lives on the heap, not on the task's stack: if the task is
 * cancelled while libuv still works on the request, the callback comes later and must find
 * live memory. It then frees the request itself (an orphan). */
typedef struct stat_call {
    uv_fs_t req;
    cafe_future_t done;
    int orphan;
} stat_call_t;

static void stat_call_free(stat_call_t *c) {
    uv_fs_req_cleanup(&c->req);
    free(c);
}

/* libuv's callback, on the loop: hand the result to the waiting task. */
static void on_stat(uv_fs_t *req) {
    stat_call_t *c = req->data;
    if (c->orphan) {
        stat_call_free(c);
        return;
    }
    /* libuv's codes are -errno, as cafe's: the result is passed on as it is. */
    (void)cafe_future_resolve(&c->done, (int)req->result, NULL); /* the only resolver */
}

/* The waiter left (cancelled or out of time) before the callback: the request is orphaned,
 * and cancelled if the thread pool has not started it yet (the callback still comes). */
static void on_abandon(cafe_future_t *f) {
    stat_call_t *c = f->data;
    c->orphan = 1;
    (void)uv_cancel((uv_req_t *)&c->req); /* UV_EBUSY once running: it then just finishes */
}

/* The suspending call: the file's size. Parks only the calling task. */
static int file_size(const char *path, uint64_t *size) {
    stat_call_t *c = calloc(1, sizeof(*c));
    if (!c)
        return CAFE_ENOMEM;
    c->req.data = c;
    c->done.data = c;
    cafe_future_init(&c->done, on_abandon);
    int rc = uv_fs_stat(cafe_loop_uv(cafe_loop_current()), &c->req, path, on_stat);
    if (rc != 0) { /* a call that fails to start never calls back */
        stat_call_free(c);
        return rc;
    }
    rc = cafe_future_wait(&c->done, NULL);
    /* Interrupted: on_abandon ran, and the request is the callback's now. Told by the flag,
     * not by the code: the operation itself may fail with -ETIMEDOUT (a stat on a hard NFS
     * mount), which is CAFE_ETIMEDOUT, and its request is then still ours to free. */
    if (c->orphan)
        return rc;
    if (rc == 0)
        *size = c->req.statbuf.st_size;
    stat_call_free(c);
    return rc;
}

static int stat_task(void *arg, void **value) {
    uint64_t *size = malloc(sizeof(*size));
    if (!size)
        return CAFE_ENOMEM;
    int rc = file_size(arg, size);
    if (rc != 0) {
        free(size);
        return rc;
    }
    *value = size;
    return 0;
}

static int main_task(void *arg, void **value) {
    (void)value;
    char **paths = arg;
    size_t n = 0;
    while (paths[n])
        n++;
    cafe_task_t **tasks = calloc(n, sizeof(*tasks));
    cafe_result_t *results = calloc(n, sizeof(*results));
    int rc = tasks && results ? 0 : CAFE_ENOMEM;
    size_t spawned = 0;
    while (rc == 0 && spawned < n)
        if ((rc = cafe_task_spawn(&tasks[spawned], stat_task, paths[spawned], NULL)) == 0)
            spawned++;
    /* Join what was spawned even when a later spawn failed. */
    int gathered = spawned ? cafe_task_gather(tasks, spawned, results) : 0;
    for (size_t i = 0; gathered == 0 && i < spawned; i++) {
        if (results[i].status == 0)
            printf("%s: %llu bytes\n", paths[i], (unsigned long long)*(uint64_t *)results[i].value);
        else
            printf("%s: error: %s\n", paths[i], cafe_strerror(results[i].status));
        free(results[i].value);
    }
    free(tasks);
    free(results);
    return rc ? rc : gathered;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: fs_future FILE...\n");
        return 2;
    }
    cafe_result_t result;
    int rc = cafe_run(main_task, argv + 1, &result);
    return rc == 0 && result.status == 0 ? 0 : 1;
}
