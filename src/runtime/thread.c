/* CPU work on libuv's thread pool; the calling task waits, the loop goes on. */
#include "runtime/internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

typedef struct work {
    uv_work_t req;
    cafe_work_fn fn;
    void *arg;
    int rc;
    cafe__wait_t wait;
} work_t;

/* Set once this pool thread is armed for overflow reports: libuv reuses its threads, and
 * a job after the first pays one thread-local load. */
static _Thread_local int pool_armed __attribute__((tls_model("initial-exec")));

static void work_cb(uv_work_t *req) {
    work_t *w = req->data;
    if (__builtin_expect(!pool_armed, 0)) {
        cafe__overflow_arm_pool();
        pool_armed = 1;
    }
    cafe__tls_in_pool = 1;
    w->rc = w->fn(w->arg);
    cafe__tls_in_pool = 0;
}

/* A job libuv dropped was withdrawn by work_abort: the task's cancellation or its deadline,
 * whichever interrupted it, is what the call returns. */
static void after_cb(uv_work_t *req, int status) {
    work_t *w = req->data;
    int code = 0;
    if (status == UV_ECANCELED) {
        cafe__task_t *t = w->wait.task;
        code = cafe__interruption(t, cafe__loop_now(t->loop));
        if (code == 0)
            code = CAFE_ECANCELED;
    }
    cafe__wake(&w->wait, code);
}

/* The job's memory is on the waiting task's stack: the task may not leave before after_cb.
 * So abort never withdraws the wait; it only asks libuv to drop a job not yet started. */
static int work_abort(cafe__wait_t *wait) {
    work_t *w = wait->data;
    uv_cancel((uv_req_t *)&w->req);
    return 0;
}

/* libuv starts its thread pool at the process's first job, and aborts without a word when it
 * cannot create the threads (RLIMIT_AS, RLIMIT_NPROC, a cgroup's pids.max): under `ulimit -v
 * 1048576` with UV_THREADPOOL_SIZE=1024, the first cafe_thread_run died so (libuv 1.44). So
 * until a job has been queued in this process, the same threads are made here first, as
 * libuv makes them (its count: UV_THREADPOOL_SIZE read as libuv reads it; its 8 MiB stacks),
 * all alive at once, then joined: their stacks stay in the C library's cache for libuv's.
 * One that cannot be made is CAFE_ENOMEM, returned as any other failure. Memory taken
 * between this check and libuv's start can still win; nothing else would (as fds_for_loop
 * in loop.c for libuv's signal pipe). */
#define POOL_MAX 1024u        /* libuv's MAX_THREADPOOL_SIZE */
#define POOL_STACK (8u << 20) /* libuv's pool threads' stack size */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int pool_started;

static unsigned pool_size(void) {
    const char *v = getenv("UV_THREADPOOL_SIZE");
    unsigned n = v ? (unsigned)atoi(v) : 4;
    return n == 0 ? 1 : n > POOL_MAX ? POOL_MAX : n;
}

static void pool_probe_thread(void *arg) {
    (void)arg;
}

/* Makes the pool's threads, all alive at once (an ended thread keeps its stack until
 * joined), and joins them: 0, or CAFE_ENOMEM when one could not be made. */
static int pool_probe(void) {
    unsigned n = pool_size(), made = 0;
    uv_thread_t *tids = malloc(n * sizeof(*tids));
    if (!tids)
        return CAFE_ENOMEM;
    uv_thread_options_t opts = {.flags = UV_THREAD_HAS_STACK_SIZE, .stack_size = POOL_STACK};
    while (made < n && uv_thread_create_ex(&tids[made], &opts, pool_probe_thread, NULL) == 0)
        made++;
    for (unsigned i = 0; i < made; i++)
        (void)uv_thread_join(&tids[i]);
    free(tids);
    return made == n ? 0 : CAFE_ENOMEM;
}

/* In a child forked after the pool started, libuv starts it again at the first job (its
 * atfork handler resets its once): so is the check (loop.c's atfork handler calls this).
 * The lock too: forked while another thread checked, the child would find it held for good. */
void cafe__pool_forked(void) {
    atomic_store_explicit(&pool_started, 0, memory_order_relaxed);
    pthread_mutex_init(&pool_lock, NULL);
}

/* 0 once libuv's pool can start (or has): see above. Loop threads take turns. */
static int pool_can_start(void) {
    if (atomic_load_explicit(&pool_started, memory_order_acquire))
        return 0;
    pthread_mutex_lock(&pool_lock);
    int rc = atomic_load_explicit(&pool_started, memory_order_relaxed) ? 0 : pool_probe();
    if (rc == 0)
        atomic_store_explicit(&pool_started, 1, memory_order_release);
    pthread_mutex_unlock(&pool_lock);
    return rc;
}

int cafe_thread_run(cafe_work_fn fn, void *arg) {
    cafe__loop_thread_check("cafe_thread_run");
    if (!fn) /* on a pool thread, a call through NULL would die naming nothing */
        return CAFE_EINVAL;
    cafe__task_t *t = cafe__running();
    if (!t)
        return fn(arg);
    int rc = cafe__interrupt_check(t);
    if (rc != 0)
        return rc;
    if ((rc = pool_can_start()) != 0)
        return rc;
    work_t w = {.fn = fn, .arg = arg, .wait = {.abort = work_abort}};
    w.req.data = &w;
    w.wait.data = &w;
    rc = uv_queue_work(&t->loop->uv, &w.req, work_cb, after_cb);
    if (rc != 0)
        return cafe__err_from_uv(rc);
    rc = cafe__park(&w.wait, CAFE__NEVER);
    return rc != 0 ? rc : w.rc;
}
