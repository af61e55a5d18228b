/* Politeness of the limits (include/cafe/http.h): the loop's rate, the host interval and
 * the host backoff on 429/503 (additive increase, multiplicative decrease).
 *
 * Nothing is booked ahead for a host: its waiting tries queue on its gate (a one-permit
 * semaphore, FIFO) and the head sleeps until the time the host's current state allows,
 * then checks again. So a host that recovers speeds its whole queue up at once, and a
 * burst of 503s costs one slow-down, not one per queued try (the schedule cannot drift).
 *
 * The gaps are kept between requests sent, not between turns granted: the head keeps the
 * host's gate (and, under a rate, the loop's rate gate) until its request goes out
 * (cafe__http_pace_done from curl's pre-request callback) or its try ends without one. A
 * turn granted at the right time could otherwise be sent a connect and a few loop turns
 * later than the next one, and the host would see the two closer than the gap. */
#include "http/internal.h"

#define PACE_FIRST_GAP_MS 250    /* the gap after a host's first 429/503 */
#define PACE_RECOVERED_GAP_MS 10 /* 100 tries/s: the host is no longer slowed */
#define PACE_FORGET_MS 60000     /* a slowed host idle this long starts afresh */

/* The clock itself, not the loop's cached time: that one is read once per loop turn and may
 * lag by a busy turn, and a gap measured from it would come out that much short. */
static uint64_t now_ms(const cafe__http_client_t *c) {
    (void)c;
    return uv_hrtime() / 1000000u;
}

static uint64_t max_u64(uint64_t a, uint64_t b) {
    return a > b ? a : b;
}

/* a + b, or UINT64_MAX past it: a time that far off is "never" (a host_interval_ms or a
 * retry_after_max_ms of UINT64_MAX, for good as every ms count of cafe's), not a wrap into
 * the past that lets the next try go at once. */
static uint64_t add_sat(uint64_t a, uint64_t b) {
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t gap_of(const cafe__http_client_t *c, const cafe__http_host_t *h) {
    return max_u64(h->pace.gap_ms, c->limits.host_interval_ms);
}

/* The earliest time (now_ms) the host's next try may start. */
static uint64_t ready_at(const cafe__http_client_t *c, const cafe__http_host_t *h) {
    const cafe__http_pace_t *p = &h->pace;
    uint64_t gap = gap_of(c, h);
    return max_u64(p->pause_until, p->last_start ? add_sat(p->last_start, gap) : 0);
}

/* Takes the loop's rate gate and sleeps until the rate allows the next request; the gate is
 * given back by cafe__http_pace_done, which sets the next time from the request sent. */
static int rate_wait(cafe__http_client_t *c) {
    int rc = cafe_sem_acquire(&c->rate_gate);
    uint64_t now_us = uv_hrtime() / 1000u;
    /* A timer may fire early by the loop's lag (see now_ms): sleep again for what is left. */
    while (rc == 0 && c->rate_next_us > now_us) {
        rc = cafe_task_sleep((c->rate_next_us - now_us + 999) / 1000);
        now_us = uv_hrtime() / 1000u;
    }
    if (rc != 0)
        cafe_sem_release(&c->rate_gate);
    return rc;
}

/* The head of the host's queue: sleeps until the host's state lets a try start. The state
 * may change while it sleeps (a 503 pushes the time out, a 200 pulls it in), hence the loop;
 * each sleep is at most one gap or one Retry-After. */
static int head_wait(cafe__http_client_t *c, cafe__http_host_t *h) {
    for (;;) {
        uint64_t now = now_ms(c), at = ready_at(c, h);
        if (at <= now)
            break;
        int rc = cafe_task_sleep(at - now);
        if (rc != 0)
            return rc;
    }
    return c->limits.rate > 0 ? rate_wait(c) : 0;
}

int cafe__http_pace_wait(cafe__http_client_t *c, cafe__http_host_t *h, uint32_t *epoch, int *held) {
    cafe__http_pace_t *p = &h->pace;
    *held = 0;
    /* The common case costs nothing: no limit applies and nobody is queued. Without a gap
     * the start time is read by nothing (a slow-down sets its own): no clock either. */
    if (c->limits.rate <= 0 && gap_of(c, h) == 0 && p->waiting == 0 &&
        (p->pause_until == 0 || p->pause_until <= now_ms(c))) {
        *epoch = p->epoch;
        return 0;
    }
    p->waiting++;
    int rc = cafe_sem_acquire(&p->gate);
    if (rc == 0 && (rc = head_wait(c, h)) != 0)
        cafe_sem_release(&p->gate);
    p->waiting--;
    *held = rc == 0;
    *epoch = p->epoch;
    return rc;
}

/* The gap between two tries at `rate` per second, in microseconds. A rate so small that
 * the gap is past 2^62 us (under ~2e-13 per second, or subnormal: an infinite gap) waits
 * that long, ~146,000 years, for good: converting a larger double to uint64_t is undefined
 * behaviour. */
static uint64_t rate_gap_us(double rate) {
    double gap = 1e6 / rate;
    return gap < 0x1p62 ? (uint64_t)gap : (uint64_t)1 << 62;
}

void cafe__http_pace_done(cafe__http_client_t *c, cafe__http_host_t *h, int sent) {
    if (sent) {
        h->pace.last_start = now_ms(c);
        if (c->limits.rate > 0)
            c->rate_next_us = uv_hrtime() / 1000u + rate_gap_us(c->limits.rate);
    }
    if (c->limits.rate > 0)
        cafe_sem_release(&c->rate_gate);
    cafe_sem_release(&h->pace.gate);
}

int cafe__http_pace_stale(const cafe__http_host_t *h, uint32_t epoch) {
    return h->pace.epoch != epoch;
}

/* Multiplicative decrease: the first slow-down sets the first gap, each next one doubles it,
 * up to the cap (or the host interval when that is longer). */
static void slow_down(const cafe__http_client_t *c, cafe__http_pace_t *p) {
    p->last_start = now_ms(c); /* the next try waits a whole gap from this answer */
    uint64_t cap = c->limits.host_backoff_max_ms ? c->limits.host_backoff_max_ms
                                                 : CAFE_HTTP_DEFAULT_HOST_BACKOFF_MAX_MS;
    uint64_t gap = p->gap_ms ? p->gap_ms * 2 : PACE_FIRST_GAP_MS;
    p->gap_ms = gap < cap ? gap : cap;
    p->epoch++;
}

/* Additive increase: one more try per second, in gap terms 1000 / (1000 / gap + 1). */
static void speed_up(cafe__http_pace_t *p) {
    p->gap_ms = p->gap_ms * 1000 / (1000 + p->gap_ms);
    if (p->gap_ms <= PACE_RECOVERED_GAP_MS)
        p->gap_ms = 0;
}

void cafe__http_pace_report(cafe__http_client_t *c, cafe__http_host_t *h, uint32_t epoch,
                            long status, uint64_t pause_ms) {
    cafe__http_pace_t *p = &h->pace;
    if (c->limits.no_host_backoff || status == 0)
        return;
    if (status != 429 && status != 503) {
        if (p->gap_ms)
            speed_up(p);
        return;
    }
    if (epoch == p->epoch)
        slow_down(c, p);
    if (pause_ms)
        p->pause_until = max_u64(p->pause_until, add_sat(now_ms(c), pause_ms));
}

int cafe__http_pace_idle(const cafe__http_client_t *c, const cafe__http_host_t *h) {
    const cafe__http_pace_t *p = &h->pace;
    /* No gap and no pause: nothing to hold back, and no clock to read (the host table asks
     * at every request's end). */
    if (p->waiting == 0 && gap_of(c, h) == 0 && p->pause_until == 0)
        return 1;
    uint64_t now = now_ms(c);
    return p->waiting == 0 && add_sat(ready_at(c, h), p->gap_ms ? PACE_FORGET_MS : 0) <= now;
}
