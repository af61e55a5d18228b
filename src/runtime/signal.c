/* Signal watchers: count deliveries from open to close so that none is lost between waits.
 * The libuv handle is unreferenced while no task waits, so an idle watcher does not keep the
 * loop alive; it lives in its own allocation because closing it is asynchronous. */
#include "runtime/internal.h"

#include <stdlib.h>

typedef struct watcher {
    uv_signal_t h;
    int count;
    cafe__waitlist_t waiters;
} watcher_t;

static void free_watcher(uv_handle_t *h) {
    free(h->data);
}

static void on_signal(uv_signal_t *h, int signum) {
    watcher_t *s = h->data;
    s->count++;
    cafe__wait_t *w = cafe__waitlist_pop(&s->waiters);
    if (w)
        cafe__wake(w, 0);
}

int cafe_signal_open(cafe_signal_t *s, int signum) {
    cafe_loop_t *loop = cafe__loop_tls();
    s->private_handle = NULL;
    if (!loop)
        return CAFE_ENOTASK;
    watcher_t *w = calloc(1, sizeof(*w));
    if (!w)
        return CAFE_ENOMEM;
    uv_signal_init(&loop->uv, &w->h);
    w->h.data = w;
    int rc = uv_signal_start(&w->h, on_signal, signum);
    if (rc != 0) {
        uv_close((uv_handle_t *)&w->h, free_watcher);
        return cafe__err_from_uv(rc);
    }
    uv_unref((uv_handle_t *)&w->h);
    s->private_handle = w;
    return 0;
}

int cafe_signal_pending(cafe_signal_t *s) {
    watcher_t *w = s->private_handle;
    return w ? w->count : CAFE_EINVAL;
}

int cafe_signal_wait(cafe_signal_t *s) {
    watcher_t *w = s->private_handle;
    if (!w)
        return CAFE_EINVAL;
    while (w->count == 0) {
        cafe__task_t *t = cafe__running();
        if (!t)
            return CAFE_ENOTASK;
        cafe__wait_t wait = {.abort = cafe__abort_unlist};
        cafe__waitlist_push(&w->waiters, &wait);
        uv_ref((uv_handle_t *)&w->h);
        int rc = cafe__park(&wait, CAFE__NEVER);
        if (cafe__waitlist_empty(&w->waiters))
            uv_unref((uv_handle_t *)&w->h);
        if (rc != 0)
            return rc;
    }
    int n = w->count;
    w->count = 0;
    return n;
}

void cafe_signal_close(cafe_signal_t *s) {
    watcher_t *w = s->private_handle;
    if (!w)
        return;
    cafe__wait_t *wait;
    while ((wait = cafe__waitlist_pop(&w->waiters)) != NULL)
        cafe__wake(wait, CAFE_EPIPE);
    uv_close((uv_handle_t *)&w->h, free_watcher);
    s->private_handle = NULL;
}
