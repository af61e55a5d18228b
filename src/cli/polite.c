#include "polite.h"
#include "cafe.h"

#include <string.h>

void cli_polite_init(cli_polite_t *p, double rate, uint64_t host_interval_ms) {
    memset(p, 0, sizeof(*p));
    p->rate = rate;
    p->base_gap_ms = host_interval_ms;
}

/* Hash of the authority part of url ("scheme://HOST[:port]/..."), 0 never returned. */
static uint64_t host_key(const char *url) {
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    uint64_t k = 0xcbf29ce484222325ull;
    for (; *h && *h != '/' && *h != '?' && *h != '#'; h++)
        k = (k ^ (unsigned char)*h) * 0x100000001b3ull;
    return k ? k : 1;
}

static int idle(const cli_polite_t *p, const cli_host_t *e, uint64_t now) {
    return e->key == 0 || (e->next_at <= now && e->gap_ms <= p->base_gap_ms);
}

/* The host's entry: its own, or a free/idle one it takes over; when the probe window is
 * all busy with other hosts, it shares the first one (it is then only slowed, never lost). */
static cli_host_t *entry(cli_polite_t *p, uint64_t key, uint64_t now) {
    size_t i0 = (size_t)key % CLI_POLITE_SLOTS;
    cli_host_t *take = NULL;
    for (size_t k = 0; k < 8; k++) {
        cli_host_t *e = &p->hosts[(i0 + k) % CLI_POLITE_SLOTS];
        if (e->key == key)
            return e;
        if (!take && idle(p, e, now))
            take = e;
    }
    if (!take)
        return &p->hosts[i0];
    take->key = key;
    take->next_at = 0;
    take->gap_ms = p->base_gap_ms;
    take->slowed = 0;
    return take;
}

int cli_polite_wait(cli_polite_t *p, const char *url, uint32_t *ticket) {
    uint64_t now = cafe_loop_now(cafe_loop_current());
    uint64_t start = now;
    if (p->rate > 0) {
        if (p->rate_next_ms < (double)now)
            p->rate_next_ms = (double)now;
        start = (uint64_t)p->rate_next_ms;
        p->rate_next_ms += 1000.0 / p->rate;
    }
    cli_host_t *e = entry(p, host_key(url), now);
    if (e->next_at > start)
        start = e->next_at;
    e->next_at = start + e->gap_ms;
    *ticket = e->slowed;
    return start > now ? cafe_task_sleep(start - now) : 0;
}

int cli_polite_stale(cli_polite_t *p, const char *url, uint32_t ticket) {
    uint64_t now = cafe_loop_now(cafe_loop_current());
    return entry(p, host_key(url), now)->slowed != ticket;
}

void cli_polite_report(cli_polite_t *p, const char *url, long status) {
    uint64_t now = cafe_loop_now(cafe_loop_current());
    cli_host_t *e = entry(p, host_key(url), now);
    if (status == 429 || status == 503) {
        uint64_t gap = e->gap_ms * 2 < 1000 ? 1000 : e->gap_ms * 2;
        e->gap_ms = gap > CLI_POLITE_MAX_GAP_MS ? CLI_POLITE_MAX_GAP_MS : gap;
        e->slowed++;
        if (e->next_at < now + e->gap_ms)
            e->next_at = now + e->gap_ms;
    } else if (e->gap_ms > p->base_gap_ms) {
        e->gap_ms = e->gap_ms / 2 > p->base_gap_ms ? e->gap_ms / 2 : p->base_gap_ms;
    }
}
