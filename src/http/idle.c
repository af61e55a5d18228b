/* Body pauses (cafe_http_opts_t.idle_ms). A transfer whose on_body wants more is watched
 * from then until it ends or stops early (most pages stop at their first chunk, never
 * watched: no timer call for them); each chunk stamps it with the loop's time,
 * and a tick of the client's idle timer, running while any transfer is watched, tells
 * on_body of a pause (data NULL). The tick scans the list, which holds at most the transfers
 * in flight: a timer per transfer would be set again at every chunk. */
#include "http/internal.h"

/* How often the watched transfers are looked at: a pause is told within this of idle_ms. */
#define TICK_MS 100

static void on_idle_tick(uv_timer_t *timer);

void cafe__http_idle_stamp(cafe__http_xfer_t *x) {
    cafe__http_client_t *c = x->c;
    x->idle_at = uv_now(&c->loop->uv);
    if (dlist_on(&c->idle, &x->idle_link))
        return;
    if (!c->idle.len)
        uv_timer_start(&c->idle_timer, on_idle_tick, TICK_MS, TICK_MS);
    dlist_push(&c->idle, &x->idle_link);
}

void cafe__http_idle_forget(cafe__http_xfer_t *x) {
    cafe__http_watch_leave(&x->c->idle, &x->idle_link, &x->c->idle_timer);
}

/* x's body paused: on_body is told. "Enough" ends the try with what came, as a drain that
 * overran its time does (body.c): curl, losing the transfer mid-body, closes its
 * connection (an HTTP/2 stream is reset). */
static void paused(cafe__http_xfer_t *x, uint64_t now) {
    cafe__http_try_t *t = x->try;
    const cafe_http_opts_t *o = t->opts;
    x->idle_at = now; /* told again after another idle_ms */
    int said = o->on_body(o->body_arg, t->res, NULL, 0);
    if (said == 0)
        return;
    cafe__http_idle_forget(x);
    if (said < 0) /* the caller's own failure (cafe_http_body_cb), the request's error */
        x->failed = said;
    else
        t->res->stopped = 1;
    x->c->stats.stops_closed++;
    cafe__http_xfer_done(x, CURLE_OK);
}

static void on_idle_tick(uv_timer_t *timer) {
    cafe__http_client_t *c = timer->data;
    uint64_t now = uv_now(&c->loop->uv);
    for (dlist_link_t *k = c->idle.head, *next; k; k = next) {
        next = k->next; /* x may leave the list */
        cafe__http_xfer_t *x = DLIST_ITEM(k, cafe__http_xfer_t, idle_link);
        if (x->try && now - x->idle_at >= x->try->opts->idle_ms)
            paused(x, now);
    }
}
