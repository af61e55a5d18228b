/* CPU work on libuv's thread pool; the calling task waits, the loop goes on. */
#include "runtime/internal.h"

typedef struct work {
    uv_work_t req;
    cafe_work_fn fn;
    void *arg;
    int rc;
    cafe__wait_t wait;
} work_t;

static void work_cb(uv_work_t *req) {
    work_t *w = req->data;
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
    work_t w = {.fn = fn, .arg = arg, .wait = {.abort = work_abort}};
    w.req.data = &w;
    w.wait.data = &w;
    rc = uv_queue_work(&t->loop->uv, &w.req, work_cb, after_cb);
    if (rc != 0)
        return cafe__err_from_uv(rc);
    rc = cafe__park(&w.wait, CAFE__NEVER);
    return rc != 0 ? rc : w.rc;
}
