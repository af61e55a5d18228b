/* hiredis's async API on cafe's loop. A libuv poll handle watches the socket on the loop's
 * uv_loop_t; each command is a cafe_future_t the calling task waits on, resolved by its reply
 * callback. hiredis pipelines the commands of all tasks on the one connection. */
#include "redis.h"
#include "redis_uv.h"
#include "cafe.h"
#include "msg.h"
#include "text.h"

#include <arpa/inet.h>
#include <hiredis/async.h>
#include <hiredis/sds.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define CONNECT_TIMEOUT_MS 5000
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000
#define ERR_MAX 512
/* A link with commands waiting and no byte of reply for this long is given up as lost (and
 * retried as a lost one is): a Redis frozen (stopped, a host swapping), a network cut that
 * drops the packets, a host gone without a reset. Without it a worker and the commands
 * waited without end and without a word. No command of cafe's runs long in Redis; one busy
 * with another client's long script answers BUSY at once. Checked once a second. */
#define REPLY_TIMEOUT_MS 10000
#define WATCH_EVERY_MS 1000
/* The most a reply may hold: no reply to cafe's commands comes near (its longest strings are
 * records and URLs, its largest replies a claim's URLs and 1000 records), and hiredis set
 * no bound: it buffers a bulk string until it is whole and builds arrays of any length, so
 * a hostile or broken server took as much memory as it sent (18 times that for an array of
 * small elements). A string's bytes; a whole reply's (512 MB: Redis's own default bound on
 * one string, proto-max-bulk-len). */
#define ITEM_MAX ((size_t)16 << 20)
#define REPLY_MAX ((size_t)512 << 20)

/* What the reply being read takes, counted as hiredis builds it (the reader's privdata). */
typedef struct budget {
    redisReplyObjectFunctions *hiredis; /* the reader's own functions, which build the reply */
    const redisAsyncContext *ac;        /* whose commands wait for replies */
    size_t used;
    int over;        /* refused: past REPLY_MAX */
    int unsolicited; /* refused: a reply with no command waiting for it */
} budget_t;

struct redis {
    const redis_conf_t *conf;
    uv_loop_t *uv;
    redisAsyncContext *ac;     /* NULL when down; hiredis frees it, we only forget it */
    int up;                    /* connected and set up (AUTH, SELECT, scripts) */
    cafe_future_t *connecting; /* resolved by on_connect */
    cafe_sem_t lock;           /* one reconnect at a time */
    const char *const *scripts;
    size_t nscripts;
    char (*sha)[41];
    uint64_t retry_ms, last_try_ms;
    uint64_t down_since; /* when the current outage began (loop ms + 1), 0 while up */
    int quiet, outage;
    uv_timer_t *watchdog;   /* runs while commands wait; heap: its close is asynchronous */
    uint64_t waiting_since; /* when commands began waiting on a link that had none waiting,
                             * or last sent some of theirs */
    size_t unsent;          /* at the watchdog's last look: what was left to send */
    budget_t budget;        /* the current link's */
    int oversize;           /* the last link was given up for a reply over the bounds */
    char err[ERR_MAX];
};

static void set_err(redis_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(redis_t *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
}

/* A server's text (an error reply; hiredis's errstr, which may quote the server's bytes) for
 * r->err: escaped as titles are, so that no control character reaches the terminal. */
#define SHOWN(s) text_safe_copy((char[ERR_MAX]){0}, ERR_MAX, (s))

const char *redis_error(const redis_t *r) {
    return r->err;
}

void redis_set_error(redis_t *r, const char *msg) {
    set_err(r, "%s", msg);
}

/* ---- replies: hiredis frees a reply when its callback returns, so the waiter gets a copy */

static redisReply *reply_dup(const redisReply *s) {
    redisReply *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->type = s->type;
    d->integer = s->integer;
    if (s->str && (d->str = malloc(s->len + 1)) != NULL) {
        memcpy(d->str, s->str, s->len + 1);
        d->len = s->len;
    }
    if (s->type == REDIS_REPLY_ARRAY && s->elements)
        if ((d->element = calloc(s->elements, sizeof(*d->element))) != NULL)
            d->elements = s->elements;
    int short_of_memory = (s->str && !d->str) || d->elements != s->elements;
    for (size_t i = 0; i < d->elements && !short_of_memory; i++)
        short_of_memory = !(d->element[i] = reply_dup(s->element[i]));
    if (short_of_memory) {
        freeReplyObject(d);
        return NULL;
    }
    return d;
}

/* One command in flight. The op lives on the heap because hiredis calls back even after its
 * waiter gave up (cancelled): the op is then an orphan, freed by the callback. */
typedef struct op {
    cafe_future_t done; /* data: the op itself */
    redisReply *reply;
    int orphan;
} op_t;

static void on_reply(redisAsyncContext *ac, void *reply, void *priv) {
    redis_t *r = ac->data;
    if (r && r->ac == ac)
        r->budget.used = 0; /* the next reply starts */
    op_t *op = priv;
    if (op->orphan) {
        free(op);
        return;
    }
    op->reply = reply ? reply_dup(reply) : NULL;
    int rc = !reply ? CAFE_ECONNRESET : op->reply ? 0 : CAFE_ENOMEM;
    (void)cafe_future_resolve(&op->done, rc, NULL); /* pending: only this callback resolves */
}

/* The waiter left (cancelled, timed out): the reply, when it comes, frees the op. */
static void orphan_op(cafe_future_t *f) {
    ((op_t *)f->data)->orphan = 1;
}

static void drop(redis_t *r);

/* What the link has yet to send: hiredis's buffer, and the socket's queue (not sent, or not
 * acknowledged by the peer). */
static size_t unsent(const redisAsyncContext *ac) {
    int queued = 0;
    if (ioctl(ac->c.fd, SIOCOUTQ, &queued) != 0 || queued < 0)
        queued = 0;
    return sdslen(ac->c.obuf) + (size_t)queued;
}

/* The watchdog: gives the link up when commands wait and nothing came for REPLY_TIMEOUT_MS,
 * nor went: a command still going out slowly (a slow uplink, a server reading slowly) is
 * progress. Their waiters fail with CAFE_ECONNRESET and the message says why. */
static void on_watch(uv_timer_t *t) {
    redis_t *r = t->data;
    if (!r->ac || !r->ac->replies.head) {
        uv_timer_stop(t);
        return;
    }
    size_t left = unsent(r->ac);
    if (left < r->unsent)
        r->waiting_since = uv_now(t->loop);
    r->unsent = left;
    uint64_t last = redis_uv_last_read(r->ac);
    if (last < r->waiting_since)
        last = r->waiting_since;
    if (uv_now(t->loop) - last < REPLY_TIMEOUT_MS)
        return;
    set_err(r, "connection to %s given up: no reply for %d s", r->conf->where,
            REPLY_TIMEOUT_MS / 1000);
    uv_timer_stop(t);
    drop(r);
}

/* One command on the current link, no retry. */
static int send_once(redis_t *r, redisReply **out, int argc, const char **argv,
                     const size_t *lens) {
    *out = NULL;
    if (!r->ac)
        return CAFE_ECONNRESET;
    op_t *op = calloc(1, sizeof(*op));
    if (!op)
        return CAFE_ENOMEM;
    op->done.data = op;
    cafe_future_init(&op->done, orphan_op);
    int idle = !r->ac->replies.head;
    if (redisAsyncCommandArgv(r->ac, on_reply, op, argc, argv, lens) != REDIS_OK) {
        free(op);
        return CAFE_ECONNRESET;
    }
    if (idle)
        r->waiting_since = cafe_loop_now(cafe_loop_current());
    if (!uv_is_active((uv_handle_t *)r->watchdog)) /* an inited timer's start cannot fail */
        (void)uv_timer_start(r->watchdog, on_watch, WATCH_EVERY_MS, WATCH_EVERY_MS);
    int rc = cafe_future_wait(&op->done, NULL);
    if (rc == CAFE_ECANCELED || rc == CAFE_ETIMEDOUT)
        return rc; /* only an interrupted wait gives these: orphan_op ran, the op is not ours */
    *out = op->reply;
    free(op);
    return rc;
}

/* ---- the link ----------------------------------------------------------------------------- */

/* hiredis's reply functions, each charging what it builds to the reply's budget first: NULL
 * (which hiredis takes for "out of memory" and fails the link) past REPLY_MAX. And for a
 * reply no command waits for (a server answering twice): hiredis 0.14 then aborted the
 * process on an assertion (it takes such a reply for a subscriber's message). */
static int charge(const redisReadTask *t, size_t n) {
    budget_t *b = t->privdata;
    /* (an error alone, hiredis says itself: "max number of clients reached") */
    if (!t->parent && !b->ac->replies.head && t->type != REDIS_REPLY_ERROR)
        return !(b->unsolicited = 1);
    if (b->over || n > REPLY_MAX - b->used)
        return !(b->over = 1);
    b->used += n;
    return 1;
}

static void *count_string(const redisReadTask *t, char *s, size_t n) {
    budget_t *b = t->privdata;
    return charge(t, sizeof(redisReply) + n + 1) ? b->hiredis->createString(t, s, n) : NULL;
}

static void *count_array(const redisReadTask *t, int n) {
    budget_t *b = t->privdata;
    size_t size = sizeof(redisReply) + (n > 0 ? (size_t)n : 0) * sizeof(redisReply *);
    return charge(t, size) ? b->hiredis->createArray(t, n) : NULL;
}

static void *count_integer(const redisReadTask *t, long long v) {
    budget_t *b = t->privdata;
    return charge(t, sizeof(redisReply)) ? b->hiredis->createInteger(t, v) : NULL;
}

static void *count_nil(const redisReadTask *t) {
    budget_t *b = t->privdata;
    return charge(t, sizeof(redisReply)) ? b->hiredis->createNil(t) : NULL;
}

static redisReplyObjectFunctions counted = {count_string, count_array, count_integer, count_nil,
                                            freeReplyObject};

/* After each read: the item hiredis is still reading (a string not whole yet) is all that is
 * buffered unparsed; past ITEM_MAX the link is given up. */
static void after_read(redisAsyncContext *ac) {
    redis_t *r = ac->data;
    const redisReader *rd = ac->c.reader;
    if (!r || r->ac != ac || rd->len - rd->pos <= ITEM_MAX)
        return;
    set_err(r,
            "connection to %s given up: a string over %zu MB in a reply (no reply to cafe "
            "has one): is this a Redis server?",
            r->conf->where, ITEM_MAX >> 20);
    r->oversize = 1;
    drop(r);
}

static void on_connect(const redisAsyncContext *ac, int status) {
    redis_t *r = ac->data;
    if (!r || r->ac != ac)
        return;
    if (status != REDIS_OK) {
        set_err(r, "cannot connect to %s: %s", r->conf->where, SHOWN(ac->errstr));
        r->ac = NULL; /* hiredis frees it after this callback */
    }
    if (r->connecting)
        (void)cafe_future_resolve(r->connecting, status == REDIS_OK ? 0 : CAFE_ECONNREFUSED, NULL);
    r->connecting = NULL; /* hiredis reports a connection once: nothing resolves it again */
}

static void on_disconnect(const redisAsyncContext *ac, int status) {
    redis_t *r = ac->data;
    if (!r || r->ac != ac)
        return;
    if (status != REDIS_OK && r->budget.unsolicited)
        set_err(r,
                "connection to %s given up: it sent a reply to no command: is this a Redis "
                "server?",
                r->conf->where);
    else if (status != REDIS_OK && (r->oversize = r->budget.over) != 0)
        set_err(r,
                "connection to %s given up: a reply over %zu MB (no reply to cafe is so "
                "large): is this a Redis server?",
                r->conf->where, REPLY_MAX >> 20);
    else if (status != REDIS_OK)
        set_err(r, "connection to %s lost: %s", r->conf->where,
                ac->errstr[0] ? SHOWN(ac->errstr) : "closed by the server");
    r->ac = NULL;
    r->up = 0;
}

/* Forgets the link and frees it now: its pending commands fail with CAFE_ECONNRESET. */
static void drop(redis_t *r) {
    redisAsyncContext *ac = r->ac;
    r->ac = NULL;
    r->up = 0;
    if (ac) {
        ac->data = NULL;
        redisAsyncFree(ac);
    }
}

/* The connecting task gave up (timed out, cancelled): forget the half-open link. */
static void abort_connect(cafe_future_t *f) {
    redis_t *r = f->data;
    r->connecting = NULL;
    drop(r);
}

/* A name's addresses are tried in the resolver's order, as redis-cli does: "localhost" is
 * ::1 first on most systems, and a Redis bound to 127.0.0.1 alone refused us there. */
#define MAX_ADDRS 8

typedef struct resolve_job {
    const char *host;
    char ip[MAX_ADDRS][INET6_ADDRSTRLEN];
    size_t n;
    int gai;
} resolve_job_t;

/* On the thread pool: getaddrinfo blocks, and hiredis would call it on the loop. */
static int resolve(void *arg) {
    resolve_job_t *j = arg;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
    if ((j->gai = getaddrinfo(j->host, NULL, &hints, &res)) != 0)
        return 0;
    for (const struct addrinfo *a = res; a && j->n < MAX_ADDRS; a = a->ai_next)
        if ((j->gai = getnameinfo(a->ai_addr, a->ai_addrlen, j->ip[j->n], sizeof j->ip[0], NULL, 0,
                                  NI_NUMERICHOST)) == 0)
            j->n++;
    if (j->n)
        j->gai = 0;
    freeaddrinfo(res);
    return 0;
}

/* One address (ip, or NULL for the Unix socket): 0 once connected, else the reason (its
 * message in r->err). */
static int connect_to(redis_t *r, const char *ip) {
    redisAsyncContext *ac =
        ip ? redisAsyncConnect(ip, r->conf->port) : redisAsyncConnectUnix(r->conf->socket);
    if (!ac)
        return CAFE_ENOMEM;
    if (ac->err || redis_uv_attach(ac, r->uv, after_read) != REDIS_OK) {
        set_err(r, "cannot connect to %s: %s", r->conf->where,
                ac->err ? SHOWN(ac->errstr) : "out of memory");
        redisAsyncFree(ac);
        return CAFE_ECONNREFUSED;
    }
    ac->data = r;
    r->budget = (budget_t){.hiredis = ac->c.reader->fn, .ac = ac};
    ac->c.reader->fn = &counted;
    ac->c.reader->privdata = &r->budget;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    r->ac = ac;
    cafe_future_t connected = {.data = r};
    cafe_future_init(&connected, abort_connect);
    r->connecting = &connected;
    int rc = cafe_future_wait(&connected, NULL); /* bounded by link_up's deadline */
    r->connecting = NULL;
    return rc;
}

static int tcp_connect(redis_t *r) {
    if (r->conf->socket)
        return connect_to(r, NULL);
    resolve_job_t job = {.host = r->conf->host};
    int rc = cafe_thread_run(resolve, &job);
    if (rc == 0 && job.gai)
        set_err(r, "cannot resolve %s: %s", r->conf->host, gai_strerror(job.gai));
    if (rc != 0 || job.gai)
        return rc ? rc : CAFE_ECONNREFUSED;
    rc = CAFE_ECONNREFUSED;
    /* The next address after a refusal; not after the deadline or a cancel (the caller's). */
    for (size_t i = 0; i < job.n && rc == CAFE_ECONNREFUSED; i++)
        rc = connect_to(r, job.ip[i]);
    return rc;
}

/* A command of the hand-shake; an error reply fails it with the server's message. */
static int setup_cmd(redis_t *r, redisReply **out, const char *what, int argc, const char **argv) {
    int rc = send_once(r, out, argc, argv, NULL);
    if (rc != 0) {
        if (rc == CAFE_ECONNRESET && !r->err[0])
            set_err(r, "connection lost during %s", what);
        return rc;
    }
    if ((*out)->type == REDIS_REPLY_ERROR) {
        int noauth = strncmp((*out)->str, "NOAUTH", 6) == 0;
        set_err(r, "%s: %s%s", what, SHOWN((*out)->str),
                noauth ? " (give the password in REDIS_URL or $REDISCLI_AUTH)" : "");
        freeReplyObject(*out);
        *out = NULL;
        return CAFE_EINVAL;
    }
    return 0;
}

/* AUTH, SELECT (or a PING, so that a missing password shows now) and SCRIPT LOAD: on every
 * connect, because a restarted Redis has lost its script cache. */
static int handshake(redis_t *r) {
    const redis_conf_t *c = r->conf;
    redisReply *rep = NULL;
    int rc = 0;
    if (c->pass || c->user) {
        /* A user named without a password (an ACL user with nopass) authenticates with an
         * empty one, as redis-py does: without AUTH the link was the default user's, while
         * the messages showed the user named. */
        const char *auth[] = {"AUTH", c->user ? c->user : c->pass, c->pass ? c->pass : ""};
        rc = setup_cmd(r, &rep,
                       c->pass ? "authentication failed"
                               : "authentication failed "
                                 "(no password given: in REDIS_URL or $REDISCLI_AUTH)",
                       c->user ? 3 : 2, auth);
        freeReplyObject(rep);
        rep = NULL;
    }
    char db[16];
    snprintf(db, sizeof db, "%d", c->db);
    const char *select[] = {"SELECT", db};
    const char *ping[] = {"PING"};
    if (rc == 0)
        rc = setup_cmd(r, &rep, c->db ? "SELECT" : "PING", c->db ? 2 : 1, c->db ? select : ping);
    freeReplyObject(rep);
    for (size_t i = 0; rc == 0 && i < r->nscripts; i++) {
        const char *load[] = {"SCRIPT", "LOAD", r->scripts[i]};
        rep = NULL;
        rc = setup_cmd(r, &rep, "SCRIPT LOAD", 3, load);
        if (rc == 0 && (rep->type != REDIS_REPLY_STRING || rep->len != 40)) {
            /* A server that speaks RESP but is no Redis (a proxy, another store, a test
             * double): "invalid argument" alone did not say what was wrong. */
            set_err(r, "SCRIPT LOAD answered with no script SHA1: is this a Redis server?");
            rc = CAFE_EINVAL;
        }
        if (rc == 0)
            memcpy(r->sha[i], rep->str, 41);
        freeReplyObject(rep);
    }
    return rc;
}

/* Connects and shakes hands within CONNECT_TIMEOUT_MS: a port that accepts and never
 * answers (a stopped Redis, another service) is an outage like a refused one, not a wait
 * without end. */
static int link_up(redis_t *r) {
    r->err[0] = 0;
    cafe_deadline_t d;
    (void)cafe_deadline_begin(&d, CONNECT_TIMEOUT_MS); /* always in a task (redis.h) */
    int rc = tcp_connect(r);
    if (rc == 0)
        rc = handshake(r);
    if (cafe_deadline_end(&d) && rc != 0) {
        set_err(r, "cannot connect to %s: no reply within %d s", r->conf->where,
                CONNECT_TIMEOUT_MS / 1000);
        rc = CAFE_ECONNREFUSED;
    }
    if (rc != 0) {
        drop(r);
    } else {
        r->up = 1;
        r->oversize = 0;
    }
    return rc;
}

int redis_open(redis_t **out, const redis_conf_t *c, const char *const *scripts, size_t nscripts,
               char *err, size_t errlen) {
    *out = NULL;
    cafe_loop_t *loop = cafe_loop_current();
    redis_t *r = calloc(1, sizeof(*r));
    if (!r || !loop || !(r->sha = calloc(nscripts + 1, sizeof(*r->sha))) ||
        !(r->watchdog = malloc(sizeof(*r->watchdog)))) {
        if (r)
            free(r->sha);
        free(r);
        snprintf(err, errlen, "%s", loop ? "out of memory" : "no running loop");
        return loop ? CAFE_ENOMEM : CAFE_ENOTASK;
    }
    r->conf = c;
    r->uv = cafe_loop_uv(loop);
    (void)uv_timer_init(r->uv, r->watchdog); /* cannot fail */
    r->watchdog->data = r;
    r->scripts = scripts;
    r->nscripts = nscripts;
    cafe_sem_init(&r->lock, 1);
    int rc = link_up(r);
    if (rc != 0) {
        snprintf(err, errlen, "%s", r->err[0] ? r->err : cafe_strerror(rc));
        redis_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

static void free_handle(uv_handle_t *h) {
    free(h);
}

void redis_close(redis_t *r) {
    if (!r)
        return;
    drop(r);
    uv_close((uv_handle_t *)r->watchdog, free_handle); /* stops it */
    free(r->sha);
    free(r);
}

void redis_set_retry(redis_t *r, uint64_t ms, int quiet) {
    r->retry_ms = ms;
    r->quiet = quiet;
}

/* ---- retries ------------------------------------------------------------------------------ */

/* Reconnects if the link is down; one task at a time, at most one try per backoff step. */
static int ensure_up(redis_t *r, uint64_t now) {
    if (r->up)
        return 0;
    if (!r->retry_ms && !r->oversize) /* a reply too large is no outage: see redis_cmd */
        return CAFE_ECONNRESET;
    int rc = cafe_sem_acquire(&r->lock);
    if (rc != 0)
        return rc;
    if (!r->up && (r->oversize || now - r->last_try_ms >= BACKOFF_FIRST_MS)) {
        r->last_try_ms = now;
        rc = link_up(r);
        if (rc == CAFE_EINVAL) /* AUTH or scripts refused: still an outage, retried */
            rc = CAFE_ECONNRESET;
    }
    cafe_sem_release(&r->lock);
    return r->up ? 0 : rc ? rc : CAFE_ECONNRESET;
}

/* Server errors that go away by themselves: a restarting server loading its AOF, a script
 * cache emptied by a restart (reconnecting loads the scripts again), a primary turned replica
 * by a failover (READONLY, its first write refused: nothing done; reconnecting finds the new
 * primary behind the name or address of the old one). A replica named from the start is
 * refused then (queue_check_server). */
static int transient(redis_t *r, redisReply *rep) {
    if (rep->type != REDIS_REPLY_ERROR)
        return 0;
    int relink = strncmp(rep->str, "NOSCRIPT", 8) == 0 || strncmp(rep->str, "READONLY", 8) == 0;
    if (!relink && strncmp(rep->str, "LOADING", 7) != 0 && strncmp(rep->str, "BUSY", 4) != 0)
        return 0;
    set_err(r, "%s", SHOWN(rep->str));
    if (relink)
        drop(r);
    return 1;
}

static void announce(redis_t *r, int lost, uint64_t since) {
    if (r->quiet || r->outage == lost)
        return;
    r->outage = lost;
    msg_progress_clear();
    if (lost)
        fprintf(stderr, "%s: redis %s: %s; reconnecting\n", msg_prog(), r->conf->where,
                r->err[0] ? r->err : "connection lost");
    else
        fprintf(stderr, "%s: redis %s: back after %.1f s\n", msg_prog(), r->conf->where,
                (double)(cafe_loop_now(cafe_loop_current()) - since) / 1000.0);
}

/* The retry time is the outage's, not each command's: a command begun late in an outage
 * (the last records, the release at the end) got 5 minutes more of its own, one after the
 * other, and a worker whose Redis was gone never ended. Once the outage has lasted it, every
 * command fails at once. */
static int outage_over(redis_t *r, uint64_t now) {
    if (!r->down_since)
        r->down_since = now + 1;
    return now + 1 - r->down_since >= r->retry_ms;
}

int redis_cmd(redis_t *r, redisReply **out, int argc, const char **argv, const size_t *lens) {
    cafe_loop_t *loop = cafe_loop_current();
    uint64_t start = cafe_loop_now(loop), delay = BACKOFF_FIRST_MS;
    for (;;) {
        if (!r->up && r->down_since && outage_over(r, cafe_loop_now(loop)))
            return CAFE_ECONNRESET;
        int rc = ensure_up(r, cafe_loop_now(loop));
        if (rc == 0)
            rc = send_once(r, out, argc, argv, lens);
        /* A reply over the bounds comes again when sent again: it was retried without end (a
         * stream entry of 20 MB another program added, and a drain). It fails the command;
         * the next one links again (redis_reply_oversized). */
        if (rc == CAFE_ECONNRESET && r->oversize)
            return CAFE_EIO;
        if (rc == 0 && transient(r, *out)) {
            freeReplyObject(*out);
            *out = NULL;
            rc = CAFE_ECONNRESET;
        }
        if (rc == 0) {
            r->down_since = 0;
            announce(r, 0, start);
            return 0;
        }
        if (rc != CAFE_ECONNRESET && rc != CAFE_ECONNREFUSED)
            return rc;
        if (outage_over(r, cafe_loop_now(loop)))
            return CAFE_ECONNRESET;
        announce(r, 1, start);
        if ((rc = cafe_task_sleep(delay)) != 0)
            return rc;
        delay = delay * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : delay * 2;
    }
}

int redis_reply_oversized(const redis_t *r) {
    return r->oversize;
}

const char *redis_sha(const redis_t *r, size_t idx) {
    return r->sha[idx];
}

int redis_reply_array(const redisReply *r, size_t n) {
    return r && r->type == REDIS_REPLY_ARRAY && r->elements >= n;
}

int redis_reply_stream(const redisReply *r) {
    if (!redis_reply_array(r, 0))
        return 0;
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i];
        if (!redis_reply_array(e, 2) || e->element[0]->type != REDIS_REPLY_STRING ||
            e->element[1]->type != REDIS_REPLY_ARRAY)
            return 0;
    }
    return 1;
}
