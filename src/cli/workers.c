/* --threads: the workers, their mailboxes, and the main loop's collector (workers.h). */
#include "workers.h"
#include "ahead.h"
#include "fetch.h"
#include "origins.h"
#include "run.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

enum { MSG_JOB, MSG_STARTED, MSG_DONE, MSG_INTERRUPT, MSG_QUIT };

/* A loop's inbox: any thread posts to it; its loop takes all that was posted in one go, in
 * the order it was posted. uv_async_send wakes the loop at most once for many posts. */
typedef struct msg_list {
    cli_msg_t *head, *tail;
} msg_list_t;

typedef struct mailbox {
    uv_mutex_t lock;
    msg_list_t posted;
    uv_async_t async;
} mailbox_t;

typedef struct cli_worker {
    cli_workers_t *ws;
    uv_thread_t thread;
    uv_sem_t ready;
    int rc, running; /* its start's result; whether its thread runs */
    size_t share;    /* its part of -c */
    int used;        /* an origin's URLs went to it */
    mailbox_t inbox;
    cli_msg_t interrupt, quit;
    /* Its loop's own: */
    dlist_t queued, fetching; /* jobs not spawned yet (oldest at the tail); jobs fetching */
    cli_ahead_t ahead;
    cafe_event_t wake; /* a message came */
    cafe_group_t jobs;
    cli_fetch_pool_t titles;
    int stopping, quitting;
} cli_worker_t;

struct cli_workers {
    cli_workers_conf_t conf;
    size_t n;
    cli_worker_t *w;
    mailbox_t inbox;
    int drain, interrupted;
    /* The main loop's own: records back from the workers, not handed on yet. */
    msg_list_t done;
    cafe_event_t arrived;
    cli_origins_t origins; /* also counts the records posted and not handed on */
    int closed;
    size_t used; /* workers URLs went to */
    int held;    /* a worker had more URLs than its share of -c: they waited there */
    /* The workers' URLs whose request started and now waits between two tries (or for a
     * transfer slot to try again): started, and not in flight. Written by the workers. */
    atomic_size_t retrying;
};

static int mailbox_init(mailbox_t *m, cafe_loop_t *loop, uv_async_cb cb, void *data) {
    memset(m, 0, sizeof(*m));
    int rc = uv_mutex_init(&m->lock);
    if (rc != 0)
        return CAFE_ENOMEM;
    if ((rc = uv_async_init(cafe_loop_uv(loop), &m->async, cb)) != 0) {
        uv_mutex_destroy(&m->lock);
        return CAFE_ENOMEM;
    }
    m->async.data = data;
    return 0;
}

/* On its loop, after the last post: the mutex goes once the handle is closed. */
static void mailbox_closed(uv_handle_t *h) {
    mailbox_t *m = (mailbox_t *)(void *)((char *)h - offsetof(mailbox_t, async));
    uv_mutex_destroy(&m->lock);
}

static void msg_append(msg_list_t *l, cli_msg_t *m) {
    m->next = NULL;
    if (l->tail)
        l->tail->next = m;
    else
        l->head = m;
    l->tail = m;
}

static void mailbox_post(mailbox_t *m, cli_msg_t *msg, int kind, cli_slot_t *s) {
    msg->kind = kind;
    msg->slot = s;
    uv_mutex_lock(&m->lock);
    msg_append(&m->posted, msg);
    uv_mutex_unlock(&m->lock);
    (void)uv_async_send(&m->async); /* fails only for a handle being closed: never here */
}

static cli_msg_t *mailbox_take(mailbox_t *m) {
    uv_mutex_lock(&m->lock);
    cli_msg_t *all = m->posted.head;
    m->posted = (msg_list_t){NULL, NULL};
    uv_mutex_unlock(&m->lock);
    return all;
}

/* ---- a worker's loop ------------------------------------------------------------------ */

static void give_back(cli_worker_t *w, cli_slot_t *s, int fetched) {
    s->remote.fetched = fetched;
    mailbox_post(&w->ws->inbox, &s->remote.msg_done, MSG_DONE, s);
}

static void job_started(void *arg) {
    cli_slot_t *s = arg;
    cli_worker_t *w = s->remote.worker;
    s->remote.started = 1;
    mailbox_post(&w->ws->inbox, &s->remote.msg_started, MSG_STARTED, s);
    cli_ahead_check(&w->ahead);
}

/* As titles.c's fetch_retry, in the worker: after its stop, a URL between tries is cancelled. */
static void job_retry(void *arg, int waiting) {
    cli_slot_t *s = arg;
    if (waiting != s->remote.retrying) {
        if (waiting)
            atomic_fetch_add(&s->remote.worker->ws->retrying, 1);
        else
            atomic_fetch_sub(&s->remote.worker->ws->retrying, 1);
    }
    s->remote.retrying = waiting;
    if (waiting && s->remote.worker->stopping)
        cafe_task_cancel(cafe_task_current());
}

static int job_task(void *arg, void **value) {
    cli_slot_t *s = arg;
    cli_worker_t *w = s->remote.worker;
    w->ahead.unrun--;
    int fetched = !w->stopping; /* a task that first runs after Ctrl-C does not fetch */
    if (fetched) {
        s->remote.task = cafe_task_current();
        dlist_push(&w->fetching, &s->remote.link);
        cli_fetch(w->ws->conf.o, &s->rec, job_started, job_retry, s, &w->titles);
        s->remote.waited = s->remote.retrying;
        job_retry(s, 0); /* cancelled or failed while waiting: it waits no more */
        dlist_unlink(&w->fetching, &s->remote.link);
        s->remote.task = NULL;
    }
    give_back(w, s, fetched);
    cli_ahead_check(&w->ahead);
    return 0;
}

/* Ctrl-C in the worker: the queued jobs go back unfetched, the fetching ones are cancelled
 * (with --drain, those whose request has not started or waits to retry). */
static void interrupt(cli_worker_t *w) {
    w->stopping = 1;
    while (w->queued.tail) {
        cli_slot_t *s = DLIST_ITEM(w->queued.tail, cli_slot_t, remote.link);
        dlist_unlink(&w->queued, w->queued.tail);
        give_back(w, s, 0);
    }
    for (dlist_link_t *k = w->fetching.head; k; k = k->next) {
        cli_slot_t *s = DLIST_ITEM(k, cli_slot_t, remote.link);
        if (!w->ws->drain || !s->remote.started || s->remote.retrying)
            (void)cafe_task_cancel(s->remote.task);
    }
}

static void worker_inbox(uv_async_t *a) {
    cli_worker_t *w = a->data;
    cli_msg_t *next;
    for (cli_msg_t *m = mailbox_take(&w->inbox); m; m = next) {
        next = m->next; /* m may be posted again once handled */
        if (m->kind == MSG_JOB && w->stopping)
            give_back(w, m->slot, 0);
        else if (m->kind == MSG_JOB)
            dlist_push(&w->queued, &m->slot->remote.link);
        else if (m->kind == MSG_INTERRUPT)
            interrupt(w);
        else
            w->quitting = 1;
    }
    cafe_event_set(&w->wake);
}

static void spawn_job(cli_worker_t *w) {
    cli_slot_t *s = DLIST_ITEM(w->queued.tail, cli_slot_t, remote.link);
    dlist_unlink(&w->queued, w->queued.tail);
    s->remote.task = NULL;
    s->remote.started = s->remote.retrying = s->remote.waited = 0;
    if (cafe_group_spawn(&w->jobs, job_task, s, NULL) != 0) {
        record_fail(&s->rec, CAFE_ENOMEM, "out of memory");
        give_back(w, s, 1);
        return;
    }
    w->ahead.unrun++;
}

/* The worker's main task: spawns the queued jobs as its look-ahead has room, as the main
 * loop's reader does without workers, until told to quit. */
static void feed(cli_worker_t *w) {
    for (;;) {
        while (w->queued.tail && cli_ahead_room(&w->ahead))
            spawn_job(w);
        if (w->quitting && !w->queued.tail)
            return;
        int rc;
        if (w->queued.tail) {
            rc = cli_ahead_wait(&w->ahead);
        } else {
            cafe_event_clear(&w->wake);
            rc = cafe_event_wait(&w->wake);
        }
        if (rc != 0)
            return;
    }
}

static int worker_main(void *arg, void **value) {
    cli_worker_t *w = arg;
    cli_workers_t *ws = w->ws;
    cafe_event_init(&w->wake);
    cli_ahead_init(&w->ahead, w->share);
    cafe_group_init(&w->jobs, 0);
    int rc = ws->conf.setup(ws->conf.ctx, w->share, ws->n);
    if (rc == 0)
        rc = mailbox_init(&w->inbox, cafe_loop_current(), worker_inbox, w);
    w->rc = rc;
    uv_sem_post(&w->ready);
    if (rc != 0)
        return 0;
    feed(w);
    (void)cafe_group_wait(&w->jobs); /* each job ends in a record sent back */
    cli_fetch_pool_free(&w->titles);
    uv_close((uv_handle_t *)&w->inbox.async, mailbox_closed);
    return 0;
}

static void worker_thread(void *arg) {
    cli_worker_t *w = arg;
    int rc = cafe_run(worker_main, w, NULL);
    if (rc != 0 && w->rc == 1) { /* the loop never ran worker_main */
        w->rc = rc;
        uv_sem_post(&w->ready);
    }
}

/* ---- the main loop's side ----------------------------------------------------------- */

static void main_inbox(uv_async_t *a) {
    cli_workers_t *ws = a->data;
    cli_msg_t *next;
    for (cli_msg_t *m = mailbox_take(&ws->inbox); m; m = next) {
        next = m->next;
        if (m->kind == MSG_STARTED) {
            ws->conf.started(m->slot);
            continue;
        }
        msg_append(&ws->done, m);
        cafe_event_set(&ws->arrived);
    }
}

void cli_workers_post(cli_workers_t *ws, cli_slot_t *s) {
    uint64_t now = cafe_loop_now(cafe_loop_current());
    size_t i = cli_origins_take(&ws->origins, s->rec.url, now, &s->remote.origin);
    cli_worker_t *w = &ws->w[i];
    ws->used += !w->used;
    w->used = 1;
    ws->held |= ws->origins.load[i] > w->share;
    s->remote.worker = w;
    mailbox_post(&w->inbox, &s->remote.msg_job, MSG_JOB, s);
}

int cli_workers_collect(void *arg, void **value) {
    cli_workers_t *ws = arg;
    /* Every record posted comes back and is handed on, Ctrl-C or not. */
    cafe_shield_t shield;
    (void)cafe_shield_begin(&shield);
    while (!ws->closed || ws->origins.out > 0) {
        cli_msg_t *m = ws->done.head;
        if (!m) {
            cafe_event_clear(&ws->arrived);
            (void)cafe_event_wait(&ws->arrived);
            continue;
        }
        ws->done.head = m->next;
        if (!ws->done.head)
            ws->done.tail = NULL;
        cli_slot_t *s = m->slot;
        cli_origins_back(&ws->origins, s->remote.origin, (size_t)(s->remote.worker - ws->w),
                         cafe_loop_now(cafe_loop_current()));
        ws->conf.finished(s, s->remote.fetched);
    }
    (void)cafe_shield_end(&shield);
    return 0;
}

void cli_workers_close(cli_workers_t *ws) {
    ws->closed = 1;
    cafe_event_set(&ws->arrived);
}

size_t cli_workers_underused(const cli_workers_t *ws) {
    return ws->held && ws->used < ws->n ? ws->used : 0;
}

size_t cli_workers_retrying(cli_workers_t *ws) {
    return atomic_load(&ws->retrying);
}

void cli_workers_interrupt(cli_workers_t *ws, int drain) {
    if (ws->interrupted)
        return;
    ws->interrupted = 1;
    ws->drain = drain;
    for (size_t i = 0; i < ws->n; i++)
        mailbox_post(&ws->w[i].inbox, &ws->w[i].interrupt, MSG_INTERRUPT, NULL);
}

static void workers_freed(uv_handle_t *h) {
    cli_workers_t *ws = h->data;
    mailbox_closed(h);
    cli_origins_free(&ws->origins);
    free(ws->w);
    free(ws);
}

void cli_workers_stop(cli_workers_t *ws) {
    for (size_t i = 0; i < ws->n; i++) {
        cli_worker_t *w = &ws->w[i];
        if (!w->running)
            continue;
        if (w->rc == 0)
            mailbox_post(&w->inbox, &w->quit, MSG_QUIT, NULL);
        (void)uv_thread_join(&w->thread);
        uv_sem_destroy(&w->ready);
    }
    uv_close((uv_handle_t *)&ws->inbox.async, workers_freed);
}

int cli_workers_start(cli_workers_t **out, const cli_workers_conf_t *conf) {
    cli_workers_t *ws = calloc(1, sizeof(*ws));
    size_t n = conf->threads < conf->concurrency ? conf->threads : conf->concurrency;
    if (ws) {
        atomic_init(&ws->retrying, 0);
        ws->w = calloc(n, sizeof(*ws->w));
    }
    if (!ws || !ws->w || cli_origins_init(&ws->origins, n, conf->affinity_ms) != 0 ||
        mailbox_init(&ws->inbox, cafe_loop_current(), main_inbox, ws) != 0) {
        if (ws) {
            cli_origins_free(&ws->origins);
            free(ws->w);
        }
        free(ws);
        return CAFE_ENOMEM;
    }
    ws->conf = *conf;
    ws->n = n;
    cafe_event_init(&ws->arrived);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        cli_worker_t *w = &ws->w[i];
        w->ws = ws;
        w->share = conf->concurrency / n + (i < conf->concurrency % n);
        w->rc = 1; /* worker_main sets it; still 1 after cafe_run: it never ran */
        if (uv_sem_init(&w->ready, 0) != 0)
            rc = CAFE_ENOMEM;
        else if (uv_thread_create(&w->thread, worker_thread, w) != 0) {
            uv_sem_destroy(&w->ready);
            rc = CAFE_ENOMEM;
        } else {
            w->running = 1;
            uv_sem_wait(&w->ready); /* a few ms, once, before the first URL */
            rc = w->rc;
        }
    }
    if (rc != 0) {
        cli_workers_stop(ws);
        return rc;
    }
    *out = ws;
    return 0;
}
