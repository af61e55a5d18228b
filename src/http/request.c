/* cafe_http_request: the blocking path, transfer slots, per-host counting and retries. */
#include "http/internal.h"
#include "http/parse.h"

#include <stdlib.h>
#include <string.h>

int cafe__http_status_retryable(const cafe_http_opts_t *o, long status) {
    static const int defaults[] = {408, 429, 500, 502, 503, 504, 0};
    for (const int *s = o->retry_statuses ? o->retry_statuses : defaults; *s; s++)
        if (*s == status)
            return 1;
    return 0;
}

/* Connection errors and timeouts may pass; DNS, TLS and URL errors will not. */
static int error_retryable(int code) {
    return code == CAFE_ECONNREFUSED || code == CAFE_EHTTP_CONNECT || code == CAFE_ETIMEDOUT ||
           code == CAFE_EHTTP_CLOSED;
}

void cafe_http_result_free(cafe_http_result_t *res) {
    if (!res)
        return;
    free(res->url);
    free(res->body);
    res->url = NULL;
    res->body = NULL;
    res->body_len = 0;
}

/* Clears res for a new try; attempts is the caller's. */
static void result_reset(cafe_http_result_t *res) {
    int attempts = res->attempts;
    cafe_http_result_free(res);
    memset(res, 0, sizeof(*res));
    res->attempts = attempts;
}

/* The task stopped waiting (cancel, deadline): the transfer goes on without it until the
 * reaper takes it out of curl, and never touches the try again. */
static int try_abort(cafe__wait_t *w) {
    cafe__http_try_t *t = (cafe__http_try_t *)w;
    cafe__http_io_orphan(t->x);
    return 1;
}

static int try_start(void *t) {
    return cafe__http_xfer_start(t);
}

/* One try: start the transfer on the loop stack and park until it is done. Returns 0 when
 * the try ran (its outcome is in t->code) or the code that cut it short. */
static int try_run(cafe__http_try_t *t) {
    int rc = cafe__loop_call(try_start, t);
    if (rc != 0)
        return rc;
    t->wait.abort = try_abort;
    rc = cafe__park(&t->wait, CAFE__NEVER);
    if (rc != 0)
        return cafe__http_fail(t->res, rc, "%s during the transfer",
                               rc == CAFE_ECANCELED ? "cancelled" : "deadline passed");
    t->res->error = t->code;
    return 0;
}

/* Whether try t is to be repeated, and after how long. */
static int retry_wait(const cafe__http_try_t *t, int next, uint64_t *wait) {
    const cafe_http_opts_t *o = t->opts;
    if (t->delivered)
        return 0;
    if (t->code ? o->no_retry_errors || !error_retryable(t->code)
                : !cafe__http_status_retryable(o, t->res->status))
        return 0;
    uint64_t base = o->backoff_ms ? o->backoff_ms : 200;
    uint64_t cap = o->backoff_max_ms ? o->backoff_max_ms : 30000;
    *wait = cafe__http_backoff_ms(next, base, cap, cafe__http_client_random(t->c));
    if (t->retry_after_s >= 0) {
        uint64_t max = o->retry_after_max_ms ? o->retry_after_max_ms : 60000;
        uint64_t after =
            (uint64_t)t->retry_after_s < max / 1000 ? (uint64_t)t->retry_after_s * 1000 : max;
        *wait = after > *wait ? after : *wait;
    }
    return 1;
}

static int tries_run(cafe__http_client_t *c, cafe__http_try_t *proto) {
    const cafe_http_opts_t *o = proto->opts;
    int max = o->attempts > 0 ? o->attempts : 3;
    for (int n = 1;; n++) {
        cafe_http_result_t *res = proto->res;
        result_reset(res);
        res->attempts = n;
        int rc = cafe_sem_acquire(&c->slots);
        if (rc != 0)
            return cafe__http_fail(res, rc, "%s while waiting for a transfer slot",
                                   cafe_strerror(rc));
        cafe__http_try_t t = *proto;
        t.discard_retryable = n < max;
        t.retry_after_s = -1;
        rc = try_run(&t);
        cafe_sem_release(&c->slots);
        uint64_t wait = 0;
        if (rc != 0 || n >= max || !retry_wait(&t, n + 1, &wait))
            return rc ? rc : t.code;
        rc = cafe_task_sleep(wait);
        if (rc != 0)
            return cafe__http_fail(res, rc, "%s while waiting to retry", cafe_strerror(rc));
    }
}

static int request_in_task(const char *url, const cafe_http_opts_t *opts, cafe_http_result_t *res) {
    cafe__http_client_t *c = cafe__http_client_get(cafe_loop_current());
    if (!c)
        return cafe__http_fail(res, CAFE_ENOMEM, "out of memory for the HTTP client");
    char key[256];
    cafe__http_origin_key(url, key, sizeof(key));
    cafe__http_try_t t = {.c = c, .url = url, .opts = opts, .res = res};
    t.host = cafe__http_host_enter(&c->hosts, key);
    if (!t.host)
        return cafe__http_fail(res, CAFE_ENOMEM, "out of memory for the host table");
    c->in_progress++;
    c->stats.requests++;
    int rc = tries_run(c, &t);
    c->in_progress--;
    cafe__http_host_leave(&c->hosts, t.host);
    return rc;
}

typedef struct blocking {
    const char *url;
    const cafe_http_opts_t *opts;
    cafe_http_result_t *res;
    int rc;
} blocking_t;

static int blocking_main(void *arg, void **value) {
    blocking_t *b = arg;
    b->rc = request_in_task(b->url, b->opts, b->res);
    return 0;
}

int cafe_http_request(const char *url, const cafe_http_opts_t *opts, cafe_http_result_t *res) {
    static const cafe_http_opts_t defaults;
    if (!res)
        return CAFE_EINVAL;
    memset(res, 0, sizeof(*res));
    opts = opts ? opts : &defaults;
    if (cafe_task_current())
        return request_in_task(url, opts, res);
    /* Outside any task: the same code, as the main task of a loop of its own. */
    blocking_t b = {url, opts, res, 0};
    int rc = cafe_run(blocking_main, &b, NULL);
    return rc != 0 ? cafe__http_fail(res, rc, "could not run a loop: %s", cafe_strerror(rc)) : b.rc;
}
