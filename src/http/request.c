/* cafe_http_request: the blocking path, the turn (politeness, host permits, transfer slots)
 * and retries. */
#include "http/internal.h"
#include "common/ascii.h"
#include "http/parse.h"
#include "common/url.h"

#include <stdlib.h>
#include <string.h>

int cafe__http_status_retryable(const cafe_http_opts_t *o, long status) {
    static const int defaults[] = CAFE_HTTP_DEFAULT_RETRY_STATUSES;
    for (const int *s = o->retry_statuses ? o->retry_statuses : defaults; *s; s++)
        if (*s == status)
            return 1;
    return 0;
}

/* Connection errors and timeouts may pass; DNS, TLS and URL errors will not. */
static int error_retryable(int code) {
    return code == CAFE_ECONNREFUSED || code == CAFE_EHTTP_CONNECT || code == CAFE_ETIMEDOUT ||
           code == CAFE_EHTTP_CLOSED || code == CAFE_EDNS_TIMEOUT || code == CAFE_EDNS_SERVFAIL;
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

/* Clears res for a new try; attempts and queued_ms count over all tries. */
static void result_reset(cafe_http_result_t *res) {
    int attempts = res->attempts;
    uint64_t queued = res->queued_ms;
    cafe_http_result_free(res);
    memset(res, 0, sizeof(*res));
    res->attempts = attempts;
    res->queued_ms = queued;
}

/* The task stopped waiting (cancel, deadline): the transfer goes on without it until the
 * reaper takes it out of curl, and never touches the try again. The result keeps what came
 * (its status is there from the first body byte), as a timeout's does. */
static int try_abort(cafe__wait_t *w) {
    cafe__http_try_t *t = (cafe__http_try_t *)w;
    cafe__http_body_hand(t->x, t->res);
    t->pace_held = t->x->pace_held; /* the try gives the turn back itself */
    t->x->pace_held = 0;
    cafe__http_io_orphan(t->x);
    return 1;
}

/* opts->on_retry, which must not suspend (cafe_http_retry_cb). */
static void retry_tell(const cafe_http_opts_t *o, int waiting) {
    const char *outer = cafe__no_suspend_begin("an HTTP request's on_retry callback");
    o->on_retry(o->start_arg, waiting);
    cafe__no_suspend_end(outer);
}

static int try_start(void *t) {
    return cafe__http_xfer_start(t);
}

/* One try: start the transfer on the loop stack and park until it is done. Returns 0 when
 * the try ran (its outcome is in t->code) or the code that cut it short. The request's first
 * try in curl tells opts->on_start (*told keeps it to once). */
static int try_run(cafe__http_try_t *t, int *told) {
    int rc = cafe__loop_call(try_start, t);
    if (rc != 0)
        return rc;
    if (!*told && t->opts->on_start) {
        const char *outer = cafe__no_suspend_begin("an HTTP request's on_start callback");
        t->opts->on_start(t->opts->start_arg);
        cafe__no_suspend_end(outer);
    }
    *told = 1;
    t->wait.abort = try_abort;
    rc = cafe__park(&t->wait, CAFE__NEVER);
    if (rc != 0)
        return cafe__http_fail(t->res, rc, "%s during the transfer",
                               rc == CAFE_ECANCELED ? "cancelled" : "deadline passed");
    t->res->error = t->code;
    return 0;
}

static uint64_t retry_after_max(const cafe_http_opts_t *o) {
    return o->retry_after_max_ms ? o->retry_after_max_ms : CAFE_HTTP_DEFAULT_RETRY_AFTER_MAX_MS;
}

uint64_t cafe__http_retry_after_ms(const cafe_http_opts_t *o, int64_t seconds) {
    if (seconds < 0)
        return 0;
    uint64_t max = retry_after_max(o);
    return (uint64_t)seconds < max / 1000 ? (uint64_t)seconds * 1000 : max;
}

/* Retry-After asks for more than the caller waits: a retry sooner would be refused again. */
static int retry_after_too_long(const cafe_http_opts_t *o, int64_t seconds) {
    return seconds >= 0 && (uint64_t)seconds > retry_after_max(o) / 1000;
}

/* How long a Retry-After holds the host's next try back. One too long to wait for holds
 * nothing (the 429/503 slow-down still applies): its URL is not retried, and a server that
 * answers every request so would otherwise cost the cap (60 s) per URL of its host, not one
 * request per host_backoff_max_ms at the slowest as the limits promise. */
static uint64_t host_pause_ms(const cafe_http_opts_t *o, int64_t seconds) {
    return retry_after_too_long(o, seconds) ? 0 : cafe__http_retry_after_ms(o, seconds);
}

/* Whether try t is to be repeated, and after how long; a Retry-After too long to wait for
 * is noted in the result. */
static int retry_wait(cafe__http_try_t *t, int next, uint64_t *wait) {
    const cafe_http_opts_t *o = t->opts;
    if (t->delivered)
        return 0;
    if (t->code ? o->no_retry_errors || !error_retryable(t->code) ||
                      (t->tunnel_refused && !cafe__http_status_retryable(o, t->tunnel_refused))
                : !cafe__http_status_retryable(o, t->res->status))
        return 0;
    uint64_t base = o->backoff_ms ? o->backoff_ms : CAFE_HTTP_DEFAULT_BACKOFF_MS;
    uint64_t cap = o->backoff_max_ms ? o->backoff_max_ms : CAFE_HTTP_DEFAULT_BACKOFF_MAX_MS;
    *wait = cafe__http_backoff_ms(next, base, cap, cafe__http_client_random(t->c));
    if (retry_after_too_long(o, t->retry_after_s)) {
        t->res->retry_after_declined_s = t->retry_after_s;
        return 0;
    }
    uint64_t after = cafe__http_retry_after_ms(o, t->retry_after_s);
    *wait = after > *wait ? after : *wait;
    return 1;
}

static void turn_give(cafe__http_client_t *c, cafe__http_host_t *h) {
    cafe_sem_release(&c->slots);
    if (c->limits.max_host_connections)
        cafe_sem_release(&h->conns);
}

/* A transfer slot, counted in slot_waiting while it is waited for. */
static int slot_take(cafe__http_client_t *c) {
    c->stats.slot_waiting++;
    int rc = cafe_sem_acquire(&c->slots);
    c->stats.slot_waiting--;
    return rc;
}

/* A transfer slot and the host's connection permit. The slot first, so that requests get
 * slots in the order they came: were the permit taken first, each host's next requests would
 * queue for slots only as its earlier ones finished, the hosts that finish fast would gain
 * places, and their requests in flight would outnumber their idle connections (new
 * connections: TLS handshakes). The permit is waited for, holding no slot, only when the
 * host has its fill. */
static int permits_take(cafe__http_client_t *c, cafe__http_host_t *h, size_t per_host) {
    int rc = slot_take(c);
    if (rc != 0 || !per_host || cafe_sem_try_acquire(&h->conns) == 0)
        return rc;
    cafe_sem_release(&c->slots);
    if ((rc = cafe_sem_acquire(&h->conns)) == 0 && (rc = slot_take(c)) != 0)
        cafe_sem_release(&h->conns);
    return rc;
}

/* A host over TLS that no try has reached yet: its first try goes alone (tls_probe) until
 * libcurl holds the session its connection brings back (tls_ctx.c), its response starts or
 * it ends; then the others go. Without the wait, every connection a host's first tries open
 * at once makes a full handshake, its session not back yet (libcurl keeps it when the
 * server's ticket is read, after the handshake): ~1.5 ms of CPU each on both ends, where
 * resuming costs a fraction of that. The wait is one handshake and a ticket, once per host
 * entry, and holds no slot: waiting for the response instead, a first page the server is
 * slow to give (or keeps until a second request comes) held the others until it came or
 * timed out. Over HTTP/2 (ALPN, known when the request is sent: private.c's on_prereq) the
 * others go then: they go on its connection, no handshake to spare. */
static int tls_first_take(cafe__http_try_t *t) {
    cafe__http_host_t *h = t->host;
    if (h->scheme != 2 || cafe_event_is_set(&h->tls_warm))
        return 0;
    if (h->tls_probing)
        return cafe_event_wait(&h->tls_warm);
    h->tls_probing = t->tls_probe = 1;
    return 0;
}

void cafe__http_tls_first_open(cafe__http_try_t *t) {
    t->tls_probe = 0;
    cafe_event_set(&t->host->tls_warm);
}

/* The host's first TLS try's lead (tls_first_take), the host's turn (pace.c), then a
 * transfer slot and the host's connection permit: a host that must wait holds no slot
 * meanwhile. A try whose host was slowed while it waited for the permit or the slot goes
 * back to the host's queue. The time spent counts in queued_ms, on the turn's clock: a try
 * that never waited took no turn, and counts 0 (cafe_loop_now, the clock read now, would
 * count the instructions in between). */
static int turn_take(cafe__http_client_t *c, cafe__http_try_t *t, uint32_t *epoch) {
    cafe__http_host_t *h = t->host;
    int *held = &t->pace_held;
    uint64_t t0 = cafe__loop_now(c->loop);
    size_t per_host = c->limits.max_host_connections;
    int rc = tls_first_take(t);
    while (rc == 0) {
        rc = cafe__http_pace_wait(c, h, epoch, held);
        if (rc == 0)
            rc = permits_take(c, h, per_host);
        if (rc != 0 && *held)
            cafe__http_pace_done(c, h, 0);
        if (rc != 0 || !cafe__http_pace_stale(h, *epoch))
            break;
        turn_give(c, h);
        if (*held)
            cafe__http_pace_done(c, h, 0);
    }
    if (rc != 0)
        cafe__http_tls_first_done(t);
    t->res->queued_ms += cafe__loop_now(c->loop) - t0;
    return rc;
}

/* The try's per-attempt state, cleared for attempt n of max. */
static void try_reset(cafe__http_try_t *t, int n, int max) {
    memset(&t->wait, 0, sizeof(t->wait));
    t->x = NULL;
    t->discard_retryable = n < max;
    t->code = t->delivered = t->unanswered = t->pace_held = t->tls_probe = 0;
    t->retry_after_s = -1;
    t->tunnel_refused = 0;
    t->pin = t->pinned_key = NULL;
    t->unresolved[0] = '\0';
    t->relocate = NULL;
}

/* A redirect whose host is resolved before the request goes on (a replay, or a browser's
 * URL): it stays the result should that host fail to resolve, as curl -L gives it. */
typedef struct hop {
    char *url; /* the redirect's target (malloc'd; NULL: none, or out of memory) */
    long status;
} hop_t;

static void hop_keep(hop_t *hop, const char *url, long status) {
    free(hop->url);
    hop->url = url ? strdup(url) : NULL;
    hop->status = status;
}

/* The try's turn goes to origin key (klen bytes, its hash), where the request goes on itself
 * (a redirect's target): that host's interval, connections and slow-down, not those of the
 * host before it. The request holds its home entry throughout (an origin in progress). */
static int turn_move(cafe__http_client_t *c, cafe__http_try_t *t, const char *key, size_t klen,
                     uint64_t hash) {
    cafe__http_host_t *h = t->host;
    if (klen == h->klen && memcmp(key, h->key, klen) == 0)
        return 0;
    h = klen == t->home->klen && memcmp(key, t->home->key, klen) == 0
            ? t->home
            : cafe__http_host_enter(c, key, klen, hash, c->limits.max_host_connections);
    if (!h)
        return CAFE_ENOMEM;
    if (t->host != t->home)
        cafe__http_host_leave(c, t->host);
    t->host = h;
    return 0;
}

/* The attempts of a request, in the one try struct t (not a copy per attempt: it is on the
 * task's stack, whose lines are cold when the task resumes). */
static int tries_loop(cafe__http_client_t *c, cafe__http_try_t *t, hop_t *hop) {
    const cafe_http_opts_t *o = t->opts;
    int max = o->attempts > 0 ? o->attempts : CAFE_HTTP_DEFAULT_ATTEMPTS;
    int told = 0;    /* on_start was called */
    int waiting = 0; /* on_retry(1) was called, on_retry(0) not yet */
    /* A redirect to a host cafe has not resolved goes on from its target once that host is
     * (pin.c), as does one to a browser's URL other than curl's (relocate), and a name curl
     * dropped runs the try again (unresolved): at most once per hop curl may follow, and
     * once more. */
    long max_hops = cafe__http_max_redirects(o);
    long replays = max_hops;
    /* A request the server left unanswered while closing its connection is sent again once,
     * not counted as an attempt: as browsers and curl do, since it was never processed
     * (t->resent, which try_reset keeps). */
    t->resent = 0;
    /* The origin whose names are pinned: the host entry's (parsed once, when the entry was
     * made), or a redirect's that curl was about to resolve itself. */
    const char *key = t->host->key;
    const cafe__http_name_t *name = &t->host->name;
    char other[sizeof t->unresolved];
    cafe__http_name_t other_name;
    cafe_http_result_t *res = t->res;
    for (int n = 1, first = 1;; n++, first = 0) {
        if (!first) /* cafe_http_request cleared it for the first */
            result_reset(res);
        res->attempts = n;
        try_reset(t, n, max);
        /* A URL never fetched (its scheme, its form) is refused before its name is looked
         * up: the host entry knows an http(s) one without parsing it. */
        int https, rc = t->host->scheme ? 0 : cafe__http_url_check(t, &https);
        if (rc != 0)
            return rc;
        /* An interrupted task goes no further (cafe.h: a cancelled call does nothing): a
         * lookup answered without waiting (cached, /etc/hosts, "invalid") would otherwise
         * put its answer, or a transfer, before the cancellation. */
        if ((rc = cafe__interrupt_check(cafe__running())) != 0)
            return cafe__http_fail(res, rc, "%s before the lookup",
                                   rc == CAFE_ECANCELED ? "cancelled" : "deadline passed");
        /* The name first, holding no slot: a lookup waits on the resolver's own limit. */
        char pin[1024];
        t->pin = pin;
        rc = cafe__http_dns_pin(t, key, name, pin, sizeof pin);
        char *target = (rc != 0 || t->code != 0) && hop->url ? strdup(hop->url) : NULL;
        if (target) { /* as curl -L: the redirect, its target (out of memory: curl's URL) */
            free(res->url);
            res->url = target;
            res->status = hop->status;
        }
        if (rc != 0)
            return cafe__http_fail(res, rc, "%s while resolving the host", cafe_strerror(rc));
        uint64_t began = 0; /* when the transfer started, on the loop's clock */
        if (t->code == 0) {
            uint32_t epoch;
            rc = turn_take(c, t, &epoch);
            if (rc != 0)
                return cafe__http_fail(res, rc, "%s while waiting for a transfer slot",
                                       cafe_strerror(rc));
            if (waiting) { /* the retry goes to curl now */
                waiting = 0;
                retry_tell(o, 0);
            }
            began = uv_now(&c->loop->uv);
            rc = try_run(t, &told);
            cafe__http_tls_first_done(t);
            t->host->one_off = NULL; /* the transfer is not the try's any more */
            if (t->pace_held)        /* it ended before its request went out */
                cafe__http_pace_done(c, t->host, 1);
            turn_give(c, t->host);
            if (rc == 0)
                cafe__http_pace_report(c, t->host, epoch, t->code ? 0 : res->status,
                                       host_pause_ms(o, t->retry_after_s));
        }
        /* A hop the request took itself that got no response: the redirect's status stays
         * with its target, as curl -L (and a hop curl follows) gives it. */
        if (rc == 0 && t->code != 0 && !res->status && hop->url)
            res->status = hop->status;
        /* The attempt goes on (a hop, or the request sent again): its time so far counts. */
        if (rc == 0 && (t->unresolved[0] || t->relocate || (t->unanswered && !t->resent)))
            t->hops_ms += uv_now(&c->loop->uv) - began;
        if (rc == 0 && t->unresolved[0] && replays-- >= 0) {
            hop_keep(hop, res->url, res->status); /* curl's URL there: the redirect's target */
            strcpy(other, t->unresolved);         /* the same attempt, that name resolved */
            cafe__http_name_parse(other, &other_name);
            key = other;
            name = &other_name;
            n--;
            continue;
        }
        if (rc == 0 && t->relocate) { /* the same attempt, from where a browser went */
            free(t->moved);
            t->url = t->moved = t->relocate;
            hop_keep(hop, t->moved, res->status);
            t->moved_hops += t->relocate_hops;
            long bad = cafe__http_url_refused_port(t->moved);
            if (bad >= 0) { /* the redirect's target is the result, as curl's refusals give it */
                free(res->url);
                res->url = strdup(t->moved);
                return cafe__http_port_refusal(res, bad);
            }
            if (t->moved_hops > max_hops || replays-- < 0)
                return cafe__http_fail(res, CAFE_EHTTP_TOO_MANY_REDIRECTS, CAFE__HTTP_TOO_MANY_FMT,
                                       max_hops);
            uint64_t hash;
            size_t klen = cafe__http_origin_key(t->moved, other, sizeof other, &hash);
            if (turn_move(c, t, other, klen, hash) != 0)
                return cafe__http_fail(res, CAFE_ENOMEM, "out of memory for the host table");
            cafe__http_name_parse(other, &other_name);
            key = other;
            name = &other_name;
            n--;
            continue;
        }
        if (rc == 0 && t->unanswered && !t->resent++) {
            n--;
            continue;
        }
        /* Unanswered again, sent again: the server refuses the request on every connection
         * (REFUSED_STREAM each time) or closes each before answering. libcurl 7.88 tried
         * each send on up to 6 connections: 12 requests so far, and every attempt more
         * would make 12 more (36 in all), for an answer that did not come. */
        if (rc == 0 && t->unanswered)
            return t->code;
        uint64_t wait = 0;
        if (rc != 0 || n >= max || !retry_wait(t, n + 1, &wait))
            return rc ? rc : t->code;
        /* A new attempt is the request again, from the URL asked for, as curl --retry starts
         * again: the redirects before the page that failed run again and set their cookies
         * again, where an attempt from the last redirect's target would go without them. */
        curl_slist_free_all(t->jar); /* as a new fetch: no cookies */
        t->jar = NULL;
        free(t->moved);
        t->moved = NULL;
        t->moved_hops = 0;
        t->hops_ms = 0;
        t->url = t->asked;
        hop_keep(hop, NULL, 0);
        (void)turn_move(c, t, t->home->key, t->home->klen, t->home->hash); /* no entry made */
        key = t->host->key;
        name = &t->host->name;
        replays = max_hops;
        if (o->on_retry) {
            waiting = 1;
            retry_tell(o, 1); /* it may cancel the task: the sleep says so */
        }
        rc = cafe_task_sleep(wait);
        if (rc != 0)
            return cafe__http_fail(res, rc, "%s while waiting to retry", cafe_strerror(rc));
    }
}

static int tries_run(cafe__http_client_t *c, cafe__http_try_t *t) {
    hop_t hop = {NULL, 0};
    int rc = tries_loop(c, t, &hop);
    free(hop.url);
    if (t->host != t->home) /* the entry of the origin the request ended at */
        cafe__http_host_leave(c, t->host);
    t->host = t->home;
    return rc;
}

/* The URL given, as browsers read it (common/url.h), as cafe titles reads its lines and the
 * client its redirects: *out is url when written so already (cafe__url_canonical: most URLs,
 * no parse; *canonical set), else *norm, malloc'd. An http(s) URL a browser refuses fails
 * here, before any lookup; the others (empty, no scheme, another scheme) go on as given, for
 * the attempt's check to say what is wrong (cafe__http_url_check). 0, or the failure,
 * recorded in res. */
static int url_read(const char *url, cafe_http_result_t *res, const char **out, char **norm,
                    int *canonical) {
    const char *why;
    *out = url;
    *norm = NULL;
    *canonical = url && *url && cafe__url_canonical(url, strlen(url));
    if (!url || !*url || *canonical)
        return 0;
    int rc = cafe__url_normalize_ascii(url, norm, &why);
    while (*url && (unsigned char)*url <= 0x20) /* the C0 controls and spaces it drops */
        url++;
    if (rc == 0)
        *out = *norm;
    else if (rc != CAFE_EINVAL)
        return cafe__http_fail(res, rc, "%s", why);
    else if (ascii_ncasecmp(url, "http:", 5) == 0 || ascii_ncasecmp(url, "https:", 6) == 0)
        return cafe__http_fail(res, CAFE_EHTTP_URL, "malformed URL: %s", why);
    return 0;
}

static int request_in_task(const char *given, const cafe_http_opts_t *opts,
                           cafe_http_result_t *res) {
    cafe__http_client_t *c = cafe__http_client_get(cafe_loop_current());
    if (!c)
        return cafe__http_fail(res, CAFE_ENOMEM, "out of memory for the HTTP client");
    const char *url;
    char *norm;
    int canonical, rc = url_read(given, res, &url, &norm, &canonical);
    if (rc != 0)
        return rc;
    /* Given, not a redirect's: no bad port list here. Another scheme's URL is refused as
     * such (cafe__http_url_check). A canonical URL's port, if any, is 1 to 65535 already:
     * the look for one (~300 instructions a URL) is spared. */
    if (!canonical &&
        (ascii_ncasecmp(url, "http://", 7) == 0 || ascii_ncasecmp(url, "https://", 8) == 0) &&
        cafe__http_url_port(url) == 0) {
        free(norm);
        return cafe__http_fail(res, CAFE_EHTTP_URL,
                               "unusable URL: port 0 (no server can listen there)");
    }
    char key[CAFE__HTTP_KEY_MAX];
    uint64_t hash;
    size_t klen = cafe__http_origin_key(url, key, sizeof(key), &hash);
    cafe__http_try_t t; /* the rest is set per attempt (try_reset), not cleared here */
    t.c = c;
    t.url = t.asked = url;
    t.opts = opts;
    t.res = res;
    t.host = cafe__http_host_enter(c, key, klen, hash, c->limits.max_host_connections);
    if (!t.host) {
        free(norm);
        return cafe__http_fail(res, CAFE_ENOMEM, "out of memory for the host table");
    }
    t.home = t.host;
    t.moved = NULL;
    t.moved_hops = 0;
    t.hops_ms = 0;
    t.jar = NULL;
    c->in_progress++;
    c->stats.requests++;
    rc = tries_run(c, &t);
    if (t.moved && !opts->no_metrics) /* the redirects before the last transfer's own */
        res->redirects += (int)t.moved_hops;
    free(t.moved);
    curl_slist_free_all(t.jar);
    c->in_progress--;
    cafe__http_host_leave(c, t.host);
    free(norm);
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

/* The options whose values are an enum or a count: one out of range is the caller's bug,
 * refused rather than taken for a default; so is a header value that would end its line.
 * NULL when opts are valid, else what is wrong. */
static const char *opts_invalid(const cafe_http_opts_t *o) {
    if (o->method != CAFE_HTTP_GET && o->method != CAFE_HTTP_HEAD)
        return "method out of range";
    if (o->stop != CAFE_HTTP_STOP_AUTO && o->stop != CAFE_HTTP_STOP_CLOSE &&
        o->stop != CAFE_HTTP_STOP_DRAIN)
        return "stop out of range";
    if (o->attempts < 0)
        return "attempts out of range";
    if (o->max_redirects < CAFE_HTTP_NO_REDIRECTS)
        return "max_redirects out of range";
    /* A line break in a value sent on the wire ends its header line and starts another (the
     * caller's value, often from its own input, would inject headers): curl sends them as
     * they come. */
    if (o->accept && strpbrk(o->accept, "\r\n"))
        return "accept has a line break";
    if (o->user_agent && strpbrk(o->user_agent, "\r\n"))
        return "user_agent has a line break";
    for (const char *const *h = o->headers; h && *h; h++)
        if (strpbrk(*h, "\r\n"))
            return "headers: a line has a line break";
    return NULL;
}

int cafe_http_request(const char *url, const cafe_http_opts_t *opts, cafe_http_result_t *res) {
    static const cafe_http_opts_t defaults;
    /* Outside a task it would run a loop of its own on the pool thread, whose first cafe
     * call then aborted naming an inner call the caller never made. */
    cafe__loop_thread_check("cafe_http_request");
    if (!res)
        return CAFE_EINVAL;
    memset(res, 0, sizeof(*res));
    if (!url) /* a NULL is no malformed URL: the caller's mistake, not the input's */
        return cafe__http_fail(res, CAFE_EINVAL, "no URL (NULL)");
    opts = opts ? opts : &defaults;
    const char *bad = opts_invalid(opts);
    if (bad)
        return cafe__http_fail(res, CAFE_EINVAL, "invalid option: %s", bad);
    if (cafe_task_current())
        return request_in_task(url, opts, res);
    if (cafe_loop_current()) /* a libuv callback: a loop of its own would block this one */
        return cafe__http_fail(res, CAFE_EBUSY,
                               "called outside a task on a running loop's thread: call it "
                               "from a task, or from a thread without a loop");
    /* Outside any task: the same code, as the main task of a loop of its own. */
    blocking_t b = {url, opts, res, 0};
    int rc = cafe_run(blocking_main, &b, NULL);
    return rc != 0 ? cafe__http_fail(res, rc, "could not run a loop: %s", cafe_strerror(rc)) : b.rc;
}
