/* GET /readyz: whether the service can take work now, as Kubernetes' readiness probe asks
 * (/healthz is liveness: the process answers). Not while it stops; and with --db, only while
 * the database answers: a database gone after the start cancelled every job posted, while
 * /healthz said ok and a load balancer kept sending them. The database is checked as at
 * start (sink_db_check: connected, its tables there), by one probe at a time whatever the
 * number of callers, whose answer serves every call of the next second too, so that probes
 * from many balancers do not become as many connections to the database. Why it failed is
 * logged, not answered: /readyz needs no token, and a database's error names its host. */
#include "srv.h"
#include "sink_db.h"

#include <stdio.h>
#include <string.h>

#define READY_FRESH_MS 1000 /* a probe's answer serves the calls of this long after it */
/* A probe's bound, connecting included: a database that takes the query and never answers
 * (a statement waiting for a lock: cafe's sessions have no statement_timeout) held every
 * caller for as long. Above a balancer's usual probe timeout (Kubernetes' is 1 s, HAProxy's
 * check 2 s), so that a slow database answering in time is not called down for it. */
#define READY_PROBE_S 5
#define READY_STR_(x) #x
#define READY_STR(x) READY_STR_(x) /* READY_PROBE_S as text, for the log */

static void answer(srv_req_t *r) {
    static const char ready[] = "{\"status\":\"ready\"}\n";
    static const char down[] = "{\"status\":\"not ready\",\"db\":\"unavailable\"}\n";
    static const char stopping[] = "{\"status\":\"stopping\"}\n";
    srv_t *s = r->srv;
    if (s->stopping) {
        if (srv_reply(r, 503, "application/json", stopping, sizeof stopping - 1, 0) == 0)
            srv_retry_after_stopping(r);
    } else if (s->ready_rc != 0) {
        if (srv_reply(r, 503, "application/json", down, sizeof down - 1, 0) == 0)
            MHD_add_response_header(r->resp, "Retry-After", "5");
    } else {
        srv_reply(r, 200, "application/json", ready, sizeof ready - 1, 0);
    }
    if (r->resp) /* a probe's answer, of this moment: no cache may keep it */
        MHD_add_response_header(r->resp, "Cache-Control", "no-store");
}

/* Each new failure once, and the recovery: a balancer probing every few seconds would
 * repeat one failure in the log without end. Nothing while stopping (the stop cancels the
 * probe). */
static void log_change(const srv_t *s, int rc, const char *why) {
    if (s->stopping)
        return;
    if (rc != 0 && (s->ready_rc == 0 || strcmp(s->ready_why, why) != 0))
        fprintf(stderr, "cafe serve: readyz: --db: %s\n", why);
    else if (rc == 0 && s->ready_rc != 0 && !s->o.quiet) /* no error: -q keeps it quiet */
        fprintf(stderr, "cafe serve: readyz: --db: answers again\n");
}

/* sink_db_check within READY_PROBE_S; past it, why says so. */
static int check_bounded(const srv_t *s, const char **why) {
    cafe_deadline_t d;
    int scoped = cafe_deadline_begin(&d, READY_PROBE_S * 1000) == 0;
    int rc = sink_db_check(s->o.db, why);
    if (scoped && cafe_deadline_end(&d) == CAFE_ETIMEDOUT) {
        *why = "no answer within " READY_STR(READY_PROBE_S) " s";
        rc = CAFE_ETIMEDOUT;
    }
    return rc;
}

static int probe_task(void *arg, void **value) {
    srv_t *s = arg;
    const char *why = "";
    (void)value;
    int rc = check_bounded(s, &why);
    log_change(s, rc, why);
    snprintf(s->ready_why, sizeof s->ready_why, "%s", rc ? why : "");
    s->ready_rc = rc;
    s->ready_ms = srv_now(s);
    s->ready_probing = 0;
    while (s->ready_waiting.head) {
        srv_req_t *r = DLIST_ITEM(s->ready_waiting.head, srv_req_t, wait);
        dlist_unlink(&s->ready_waiting, &r->wait);
        answer(r);
        srv_resume(r);
        srv_req_unref(r);
    }
    return 0;
}

void srv_ready_reply(srv_req_t *r) {
    srv_t *s = r->srv;
    if (!s->o.db || s->stopping ||
        (!s->ready_probing && s->ready_ms && srv_now(s) - s->ready_ms < READY_FRESH_MS)) {
        answer(r);
        return;
    }
    srv_req_ref(r); /* waiting before the probe starts, whenever it ends */
    dlist_push(&s->ready_waiting, &r->wait);
    srv_suspend(r);
    if (s->ready_probing)
        return;
    cafe_task_opts_t to = {.name = "serve readyz"};
    if (cafe_group_spawn(&s->tasks, probe_task, s, &to) != 0) {
        srv_ready_detach(r);
        srv_resume(r);
        srv_reply_error(r, 503, "out of memory");
        return;
    }
    s->ready_probing = 1;
}

void srv_ready_detach(srv_req_t *r) {
    if (dlist_on(&r->srv->ready_waiting, &r->wait)) {
        dlist_unlink(&r->srv->ready_waiting, &r->wait);
        srv_req_unref(r);
    }
}
