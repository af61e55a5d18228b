/* Cancellation during each suspending call, with and without a shield, and the guarantee
 * that a cancelled task that keeps calling cannot starve the loop. Each call is made to
 * wait for something that never comes (an empty queue, an unset event, a silent socket, a
 * peer that never reads...), except connect and shutdown, which on loopback wait for one
 * poll of the loop (connect by name: also a lookup on the thread pool): they are cancelled
 * in the turn they park in, and complete in a shield. */
#include "testutil.h"

#include <signal.h>
#include <string.h>

typedef struct fx {
    cafe_sem_t sem;
    cafe_event_t ev;
    cafe_queue_t empty, rendezvous;
    cafe_future_t fut;
    cafe_task_t *sleeper;
    cafe_signal_t sig;
    cafe_tcp_t lis, client, server;
    cafe_tcp_t quiet; /* its connections are never accepted, so never read */
    cafe_tcp_t spare; /* a fresh stream to `quiet` for the next write or shutdown */
} fx_t;

typedef int (*op_fn)(fx_t *fx);

static int sleep_forever(void *arg, void **value) {
    return cafe_task_sleep(600000);
}

static int op_sleep(fx_t *fx) {
    return cafe_task_sleep(600000);
}
static int op_sem(fx_t *fx) {
    return cafe_sem_acquire(&fx->sem);
}
static int op_event(fx_t *fx) {
    return cafe_event_wait(&fx->ev);
}
static int op_get(fx_t *fx) {
    void *item;
    return cafe_queue_get(&fx->empty, &item);
}
static int op_put(fx_t *fx) {
    return cafe_queue_put(&fx->rendezvous, fx);
}
static int op_future(fx_t *fx) {
    return cafe_future_wait(&fx->fut, NULL);
}
static int op_join(fx_t *fx) {
    return cafe_task_join(fx->sleeper, NULL);
}
static int op_wait_any(fx_t *fx) {
    size_t i;
    return cafe_task_wait_any(&fx->sleeper, 1, &i);
}
static int op_gather(fx_t *fx) {
    /* interrupted gather cancels and joins what it was given: give it a task of its own */
    cafe_task_t *t;
    cafe_result_t r;
    int rc = cafe_task_spawn(&t, sleep_forever, NULL, NULL);
    return rc != 0 ? rc : cafe_task_gather(&t, 1, &r);
}
static int op_group(fx_t *fx) {
    cafe_group_t g;
    cafe_group_init(&g, 0);
    int rc = cafe_group_spawn(&g, sleep_forever, NULL, NULL);
    return rc != 0 ? rc : cafe_group_wait(&g);
}
static int op_signal(fx_t *fx) {
    return cafe_signal_wait(&fx->sig);
}
static int op_accept(fx_t *fx) {
    cafe_tcp_t c;
    int rc = cafe_tcp_accept(&fx->lis, &c);
    if (rc == 0)
        cafe_tcp_close(&c);
    return rc;
}
static int op_read(fx_t *fx) {
    char b[8];
    return cafe_tcp_read(&fx->server, b, sizeof b);
}

static int connect_quiet(fx_t *fx, const char *host) {
    cafe_tcp_t c;
    int rc = cafe_tcp_connect(&c, host, cafe_tcp_port(&fx->quiet));
    if (rc == 0)
        cafe_tcp_close(&c);
    return rc;
}
static int op_connect(fx_t *fx) {
    return connect_quiet(fx, "127.0.0.1");
}
static int op_connect_name(fx_t *fx) {
    return connect_quiet(fx, "localhost"); /* resolved by the loop's resolver, then connected */
}

/* An interrupted write or shutdown aborts its stream, so each call takes a stream of its
 * own: the spare one main made for it, or a new one (whose connect, in a cancelled task,
 * returns CAFE_ECANCELED at once). */
static int take_stream(fx_t *fx, cafe_tcp_t *s) {
    *s = fx->spare;
    fx->spare = (cafe_tcp_t){NULL};
    return s->private_impl ? 0 : cafe_tcp_connect(s, "127.0.0.1", cafe_tcp_port(&fx->quiet));
}

/* More than the loopback socket buffers of a peer that never reads can hold. */
#define BIG_WRITE (16u << 20)
static char big[BIG_WRITE];

static int op_write(fx_t *fx) {
    cafe_tcp_t s;
    int rc = take_stream(fx, &s);
    if (rc != 0)
        return rc;
    rc = cafe_tcp_write(&s, big, sizeof big);
    cafe_tcp_close(&s);
    return rc;
}
static int op_shutdown(fx_t *fx) {
    cafe_tcp_t s;
    int rc = take_stream(fx, &s);
    if (rc != 0)
        return rc;
    rc = cafe_tcp_shutdown(&s);
    cafe_tcp_close(&s);
    return rc;
}

/* shielded: what the call returns in a shield: CAFE_ETIMEDOUT from the shield's own 20 ms
 * deadline for a wait that never ends, 0 for one that completes (no deadline then). */
static const struct op {
    const char *name;
    op_fn fn;
    int stream; /* takes fx->spare */
    int shielded;
} ops[] = {
    {"sleep", op_sleep, 0, CAFE_ETIMEDOUT},        {"sem_acquire", op_sem, 0, CAFE_ETIMEDOUT},
    {"event_wait", op_event, 0, CAFE_ETIMEDOUT},   {"queue_get", op_get, 0, CAFE_ETIMEDOUT},
    {"queue_put", op_put, 0, CAFE_ETIMEDOUT},      {"future_wait", op_future, 0, CAFE_ETIMEDOUT},
    {"join", op_join, 0, CAFE_ETIMEDOUT},          {"wait_any", op_wait_any, 0, CAFE_ETIMEDOUT},
    {"gather", op_gather, 0, CAFE_ETIMEDOUT},      {"group_wait", op_group, 0, CAFE_ETIMEDOUT},
    {"signal_wait", op_signal, 0, CAFE_ETIMEDOUT}, {"tcp_accept", op_accept, 0, CAFE_ETIMEDOUT},
    {"tcp_read", op_read, 0, CAFE_ETIMEDOUT},      {"tcp_connect", op_connect, 0, 0},
    {"tcp_connect_name", op_connect_name, 0, 0},   {"tcp_write", op_write, 1, CAFE_ETIMEDOUT},
    {"tcp_shutdown", op_shutdown, 1, 0},
};
#define NOPS (sizeof ops / sizeof ops[0])

typedef struct run {
    fx_t *fx;
    const struct op *op;
    int rc[3];
} run_t;

static int connect_task(void *arg, void **value) {
    fx_t *fx = arg;
    return cafe_tcp_connect(&fx->client, "127.0.0.1", cafe_tcp_port(&fx->lis));
}

static void fx_open(fx_t *fx) {
    cafe_sem_init(&fx->sem, 0);
    cafe_event_init(&fx->ev);
    assert_int_equal(cafe_queue_init(&fx->empty, 4), 0);
    assert_int_equal(cafe_queue_init(&fx->rendezvous, 0), 0);
    cafe_future_init(&fx->fut, NULL);
    assert_int_equal(cafe_task_spawn(&fx->sleeper, sleep_forever, NULL, NULL), 0);
    assert_int_equal(cafe_signal_open(&fx->sig, SIGUSR2), 0);
    assert_int_equal(cafe_tcp_listen(&fx->lis, "127.0.0.1", 0, 0), 0);
    cafe_task_t *c;
    assert_int_equal(cafe_task_spawn(&c, connect_task, fx, NULL), 0);
    assert_int_equal(cafe_tcp_accept(&fx->lis, &fx->server), 0);
    cafe_result_t r;
    assert_int_equal(cafe_task_join(c, &r), 0);
    assert_int_equal(r.status, 0);
    assert_int_equal(cafe_tcp_listen(&fx->quiet, "127.0.0.1", 0, 0), 0);
    fx->spare = (cafe_tcp_t){NULL};
}

static void fx_close(fx_t *fx) {
    cafe_result_t r;
    assert_int_equal(cafe_task_cancel(fx->sleeper), 0);
    assert_int_equal(cafe_task_join(fx->sleeper, &r), 0);
    assert_int_equal(r.status, CAFE_ECANCELED);
    cafe_tcp_close(&fx->client);
    cafe_tcp_close(&fx->server);
    cafe_tcp_close(&fx->lis);
    cafe_tcp_close(&fx->quiet);
    cafe_signal_close(&fx->sig);
    assert_int_equal(cafe_queue_destroy(&fx->empty), 0);
    assert_int_equal(cafe_queue_destroy(&fx->rendezvous), 0);
}

/* Runs body(run) for every op as a task, with main's part `poke` in between. */
typedef void (*poke_fn)(cafe_task_t *t);

/* The task runs before main in the next turn and parks in its call; the cancel comes in
 * that same turn, before libuv polls (which would complete a shutdown). */
static void poke_cancel(cafe_task_t *t) {
    cafe_task_yield();
    assert_int_equal(cafe_task_cancel(t), 0);
}

static int each_op(fx_t *fx, cafe_task_fn body, poke_fn poke, run_t *runs) {
    for (size_t i = 0; i < NOPS; i++) {
        runs[i] = (run_t){.fx = fx, .op = &ops[i], .rc = {111, 111, 111}};
        if (ops[i].stream)
            assert_int_equal(cafe_tcp_connect(&fx->spare, "127.0.0.1", cafe_tcp_port(&fx->quiet)),
                             0);
        cafe_task_t *t;
        cafe_task_opts_t o = {.name = ops[i].name};
        assert_int_equal(cafe_task_spawn(&t, body, &runs[i], &o), 0);
        poke(t);
        cafe_result_t r;
        assert_int_equal(cafe_task_join(t, &r), 0);
    }
    return 0;
}

/* ---- without a shield: the call in progress returns CAFE_ECANCELED ---- */
static int plain_body(void *arg, void **value) {
    run_t *run = arg;
    run->rc[0] = run->op->fn(run->fx);
    run->rc[1] = run->op->fn(run->fx); /* sticky: the next call too */
    return 0;
}

static int plain_main(void *arg, void **value) {
    fx_t fx;
    run_t runs[NOPS];
    fx_open(&fx);
    each_op(&fx, plain_body, poke_cancel, runs);
    fx_close(&fx);
    for (size_t i = 0; i < NOPS; i++) {
        if (runs[i].rc[0] != CAFE_ECANCELED || runs[i].rc[1] != CAFE_ECANCELED)
            fail_msg("%s: %s then %s", runs[i].op->name, cafe_err_name(runs[i].rc[0]),
                     cafe_err_name(runs[i].rc[1]));
    }
    return 0;
}

static void test_cancel_interrupts_each_call(void **state) {
    assert_int_equal(test_run(plain_main, NULL), 0);
}

/* ---- in a shield: cancellation is held back, the shield's own deadline applies ---- */
static int shield_body(void *arg, void **value) {
    run_t *run = arg;
    cafe_shield_t s;
    cafe_deadline_t d;
    int timed = run->op->shielded == CAFE_ETIMEDOUT;
    assert_int_equal(cafe_shield_begin(&s), 0);
    if (timed)
        assert_int_equal(cafe_deadline_begin(&d, 20), 0);
    run->rc[0] = run->op->fn(run->fx);
    if (timed)
        cafe_deadline_end(&d);
    run->rc[1] = cafe_shield_end(&s);
    run->rc[2] = run->op->fn(run->fx);
    return 0;
}

static int shield_main(void *arg, void **value) {
    fx_t fx;
    run_t runs[NOPS];
    fx_open(&fx);
    /* an outer deadline that has passed is held back by the shield as well */
    cafe_deadline_t d;
    assert_int_equal(cafe_deadline_begin(&d, 0), 0);
    cafe_shield_t s;
    assert_int_equal(cafe_shield_begin(&s), 0);
    each_op(&fx, shield_body, poke_cancel, runs);
    assert_int_equal(cafe_shield_end(&s), 0);
    cafe_deadline_end(&d);
    fx_close(&fx);
    for (size_t i = 0; i < NOPS; i++) {
        if (runs[i].rc[0] != runs[i].op->shielded || runs[i].rc[1] != CAFE_ECANCELED ||
            runs[i].rc[2] != CAFE_ECANCELED)
            fail_msg("%s: %s, %s, %s", runs[i].op->name, cafe_err_name(runs[i].rc[0]),
                     cafe_err_name(runs[i].rc[1]), cafe_err_name(runs[i].rc[2]));
    }
    return 0;
}

static void test_shield_holds_cancellation_back(void **state) {
    assert_int_equal(test_run(shield_main, NULL), 0);
}

/* ---- a shielded future wait completes with its value despite the cancellation ---- */
static int shielded_waiter(void *arg, void **value) {
    cafe_shield_t s;
    cafe_shield_begin(&s);
    int rc = cafe_future_wait(arg, value);
    int end = cafe_shield_end(&s);
    return rc != 0 ? rc : end;
}

static int future_shield_main(void *arg, void **value) {
    cafe_future_t f;
    cafe_future_init(&f, NULL);
    cafe_task_t *t;
    assert_int_equal(cafe_task_spawn(&t, shielded_waiter, &f, NULL), 0);
    cafe_task_yield();
    assert_int_equal(cafe_task_cancel(t), 0);
    cafe_task_yield();
    assert_int_equal(cafe_future_resolve(&f, 0, (void *)"goodbye sent"), 0);
    cafe_result_t r;
    assert_int_equal(cafe_task_join(t, &r), 0);
    assert_int_equal(r.status, CAFE_ECANCELED); /* from shield_end: the cancel is not lost */
    assert_string_equal(r.value, "goodbye sent");
    return 0;
}

static void test_future_honours_shield(void **state) {
    assert_int_equal(test_run(future_shield_main, NULL), 0);
}

/* ---- a shielded write (a goodbye) completes once the peer reads, cancelled meanwhile ---- */
typedef struct goodbye {
    cafe_tcp_t *s;
    int rc, done;
} goodbye_t;

static int goodbye_writer(void *arg, void **value) {
    goodbye_t *g = arg;
    cafe_shield_t s;
    assert_int_equal(cafe_shield_begin(&s), 0);
    g->rc = cafe_tcp_write(g->s, big, sizeof big);
    g->done = 1;
    return cafe_shield_end(&s);
}

static int write_shield_main(void *arg, void **value) {
    cafe_tcp_t l, c, srv;
    assert_int_equal(cafe_tcp_listen(&l, "127.0.0.1", 0, 0), 0);
    assert_int_equal(cafe_tcp_connect(&c, "127.0.0.1", cafe_tcp_port(&l)), 0);
    assert_int_equal(cafe_tcp_accept(&l, &srv), 0);
    goodbye_t g = {.s = &c};
    cafe_task_t *t;
    assert_int_equal(cafe_task_spawn(&t, goodbye_writer, &g, NULL), 0);
    cafe_task_yield(); /* it parks in the write: nobody reads */
    assert_int_equal(cafe_task_cancel(t), 0);
    cafe_task_yield();
    assert_false(g.done); /* held back: the write goes on */
    static char buf[64 * 1024];
    size_t got = 0;
    while (got < sizeof big) {
        int n = cafe_tcp_read(&srv, buf, sizeof buf);
        assert_true(n > 0);
        got += (size_t)n;
    }
    cafe_result_t r;
    assert_int_equal(cafe_task_join(t, &r), 0);
    assert_int_equal(g.rc, 0);                       /* every byte sent */
    assert_int_equal(r.status, CAFE_ECANCELED);      /* then the cancel, at shield end */
    assert_int_equal(cafe_tcp_write(&c, "x", 1), 0); /* the stream was not aborted */
    cafe_tcp_close(&c);
    cafe_tcp_close(&srv);
    cafe_tcp_close(&l);
    return 0;
}

static void test_write_honours_shield(void **state) {
    assert_int_equal(test_run(write_shield_main, NULL), 0);
}

/* ---- a deadline that has passed interrupts the calls that need not wait too, as the
 * cancellation does: they take nothing ---- */
static int count_run(void *arg) {
    (*(int *)arg)++;
    return 0;
}

static int expired_main(void *arg, void **value) {
    cafe_sem_t sem;
    cafe_event_t ev;
    cafe_queue_t q;
    void *item = NULL;
    int ran = 0;
    cafe_sem_init(&sem, 1);
    cafe_event_init(&ev);
    cafe_event_set(&ev);
    assert_int_equal(cafe_queue_init(&q, 2), 0);
    assert_int_equal(cafe_queue_try_put(&q, &q), 0);
    cafe_deadline_t d;
    assert_int_equal(cafe_deadline_begin(&d, 0), 0); /* passed from the start */
    assert_int_equal(cafe_sem_acquire(&sem), CAFE_ETIMEDOUT);
    assert_int_equal(cafe_event_wait(&ev), CAFE_ETIMEDOUT);
    assert_int_equal(cafe_queue_get(&q, &item), CAFE_ETIMEDOUT);
    assert_int_equal(cafe_queue_put(&q, &ev), CAFE_ETIMEDOUT);
    assert_int_equal(cafe_thread_run(count_run, &ran), CAFE_ETIMEDOUT);
    assert_int_equal(cafe_deadline_end(&d), CAFE_ETIMEDOUT);
    assert_int_equal(cafe_sem_available(&sem), 1);
    assert_null(item);
    assert_int_equal(cafe_queue_len(&q), 1);
    assert_int_equal(ran, 0);
    /* the scope ended: they work again */
    assert_int_equal(cafe_sem_acquire(&sem), 0);
    assert_int_equal(cafe_event_wait(&ev), 0);
    assert_int_equal(cafe_queue_get(&q, &item), 0);
    assert_ptr_equal(item, &q);
    assert_int_equal(cafe_thread_run(count_run, &ran), 0);
    assert_int_equal(ran, 1);
    return cafe_queue_destroy(&q);
}

static void test_passed_deadline_interrupts_every_call(void **state) {
    assert_int_equal(test_run(expired_main, NULL), 0);
}

/* ---- a deadline that passed while the task computed, with no suspending call since: the
 * loop's cached clock stood still meanwhile (it is read at the start of a turn, and by
 * begin), and read there, the calls that need not wait took their permit, and a wait parked
 * as if time were left, to return what a task run later in the turn gave it: the deadline
 * was seen at the earliest when the loop next polled, at any later call if it never did ---- */
static void compute_past(uint64_t ms) {
    uint64_t until = test_now_ms() + ms;
    while (test_now_ms() < until)
        ;
}

static int resolve_it(void *arg, void **value) {
    return cafe_future_resolve(arg, 0, arg);
}

static int computed_past_main(void *arg, void **value) {
    cafe_sem_t sem;
    cafe_event_t ev;
    cafe_future_t fut;
    cafe_task_t *resolver;
    cafe_sem_init(&sem, 1);
    cafe_event_init(&ev);
    cafe_event_set(&ev);
    cafe_future_init(&fut, NULL);
    cafe_deadline_t d;
    assert_int_equal(cafe_deadline_begin(&d, 5), 0);
    compute_past(20);
    assert_int_equal(cafe_sem_acquire(&sem), CAFE_ETIMEDOUT);
    assert_int_equal(cafe_event_wait(&ev), CAFE_ETIMEDOUT);
    assert_int_equal(cafe_deadline_end(&d), CAFE_ETIMEDOUT);
    assert_int_equal(cafe_sem_available(&sem), 1);
    /* a wait: the resolver runs in the turn the caller would park in */
    assert_int_equal(cafe_task_spawn(&resolver, resolve_it, &fut, NULL), 0);
    assert_int_equal(cafe_deadline_begin(&d, 5), 0);
    compute_past(20);
    assert_int_equal(cafe_future_wait(&fut, NULL), CAFE_ETIMEDOUT);
    assert_int_equal(cafe_deadline_end(&d), CAFE_ETIMEDOUT);
    cafe_result_t r;
    assert_int_equal(cafe_task_join(resolver, &r), 0);
    assert_int_equal(r.status, 0);
    return 0;
}

static void test_deadline_passed_while_computing_interrupts(void **state) {
    assert_int_equal(test_run(computed_past_main, NULL), 0);
}

/* ---- a cancelled task still collects results that are already there ---- */
static int finished(void *arg, void **value) {
    *value = arg;
    return 0;
}

static int collector(void *arg, void **value) {
    cafe_task_t *t[2];
    cafe_result_t r[2];
    cafe_future_t f;
    cafe_group_t g;
    cafe_future_init(&f, NULL);
    cafe_group_init(&g, 0);
    assert_int_equal(cafe_task_spawn(&t[0], finished, (void *)1, NULL), 0);
    assert_int_equal(cafe_task_spawn(&t[1], finished, (void *)2, NULL), 0);
    assert_int_equal(cafe_group_spawn(&g, finished, NULL, NULL), 0);
    assert_int_equal(cafe_future_resolve(&f, 7, &f), 0);
    assert_int_equal(cafe_task_yield(), 0); /* the children finish */
    cafe_task_cancel(cafe_task_current());
    assert_int_equal(cafe_task_sleep(1), CAFE_ECANCELED);
    size_t i;
    assert_int_equal(cafe_task_wait_any(t, 2, &i), 0);
    assert_int_equal(cafe_task_gather(t, 2, r), 0);
    assert_ptr_equal(r[1].value, (void *)2);
    void *v;
    assert_int_equal(cafe_future_wait(&f, &v), 7);
    assert_ptr_equal(v, &f);
    return cafe_group_wait(&g);
}

static int collector_main(void *arg, void **value) {
    cafe_task_t *t;
    cafe_result_t r;
    assert_int_equal(cafe_task_spawn(&t, collector, NULL, NULL), 0);
    assert_int_equal(cafe_task_join(t, &r), 0);
    return r.status;
}

static void test_cancelled_task_collects_finished_results(void **state) {
    assert_int_equal(test_run(collector_main, NULL), 0);
}

/* ---- a cancelled task that ignores it and calls again at once cannot starve others ---- */
static int two_ms(void *arg) {
    return 0;
}
static int op_thread(fx_t *fx) {
    return cafe_thread_run(two_ms, NULL);
}
static int op_yield(fx_t *fx) {
    return cafe_task_yield();
}

#define STUBBORN_CALLS 40

typedef struct starve {
    run_t run;
    int stop;
    unsigned ticks;
} starve_t;

static int stubborn(void *arg, void **value) {
    starve_t *s = arg;
    cafe_task_cancel(cafe_task_current());
    for (int i = 0; i < STUBBORN_CALLS; i++)
        if (s->run.op->fn(s->run.fx) != CAFE_ECANCELED)
            return CAFE_EIO;
    return 0;
}

static int ticker(void *arg, void **value) {
    starve_t *s = arg;
    while (!s->stop) {
        s->ticks++;
        cafe_task_yield();
    }
    return 0;
}

static int starve_one(fx_t *fx, const struct op *op) {
    starve_t s = {.run = {.fx = fx, .op = op}};
    cafe_task_t *tick, *bad;
    cafe_result_t r;
    assert_int_equal(cafe_task_spawn(&tick, ticker, &s, NULL), 0);
    assert_int_equal(cafe_task_spawn(&bad, stubborn, &s, NULL), 0);
    assert_int_equal(cafe_task_join(bad, &r), 0);
    s.stop = 1;
    assert_int_equal(cafe_task_join(tick, NULL), 0);
    if (r.status != 0 || s.ticks < STUBBORN_CALLS - 1)
        fail_msg("%s: status %s, the ticker ran %u times", op->name, cafe_err_name(r.status),
                 s.ticks);
    return 0;
}

static int starve_main(void *arg, void **value) {
    static const struct op more[] = {{"yield", op_yield, 0, 0}, {"thread_run", op_thread, 0, 0}};
    fx_t fx;
    fx_open(&fx);
    for (size_t i = 0; i < NOPS; i++)
        starve_one(&fx, &ops[i]);
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++)
        starve_one(&fx, &more[i]);
    fx_close(&fx);
    return 0;
}

static void test_cancelled_loop_cannot_starve(void **state) {
    assert_int_equal(test_run(starve_main, NULL), 0);
}

/* ---- deliveries handed to a signal waiter cancelled before it ran go on to the next one,
 * as a semaphore's permit does: a cancelled call takes no delivery ---- */
typedef struct sigpair {
    cafe_signal_t sig;
    int rc[2];
} sigpair_t;

static int sig_waiter(void *arg, void **value) {
    sigpair_t *p = arg;
    return cafe_signal_wait(&p->sig);
}

static int sig_handover_main(void *arg, void **value) {
    sigpair_t *p = arg;
    assert_int_equal(cafe_signal_open(&p->sig, SIGUSR1), 0);
    cafe_task_t *t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(cafe_task_spawn(&t[i], sig_waiter, p, NULL), 0);
    assert_int_equal(cafe_task_yield(), 0); /* both wait, t[0] first */
    raise(SIGUSR1);
    assert_int_equal(cafe_task_yield(), 0); /* libuv polls: t[0] is handed the delivery */
    assert_int_equal(cafe_task_cancel(t[0]), 0);
    cafe_result_t r[2];
    cafe_deadline_t d; /* were the delivery lost, t[1] would wait for good */
    assert_int_equal(cafe_deadline_begin(&d, 5000), 0);
    int rc = cafe_task_gather(t, 2, r);
    cafe_deadline_end(&d);
    assert_int_equal(rc, 0);
    p->rc[0] = r[0].status;
    p->rc[1] = r[1].status;
    assert_int_equal(cafe_signal_pending(&p->sig), 0);
    cafe_signal_close(&p->sig);
    return 0;
}

static void test_signal_handover_cancelled(void **state) {
    sigpair_t p = {0};
    assert_int_equal(test_run(sig_handover_main, &p), 0);
    assert_int_equal(p.rc[0], CAFE_ECANCELED);
    assert_int_equal(p.rc[1], 1);
}

/* ---- a task already cancelled: what it did wrong, then the cancellation ------------------
 * asyncio runs a coroutine up to its first await, so a call's argument checks (and anything
 * else it can tell without waiting) raise before the CancelledError the await would: a
 * malformed URL is aiohttp's InvalidURL even in a cancelled task. Every suspending call does
 * the same: a bad argument is refused with its own error, and a call with good arguments
 * returns CAFE_ECANCELED without doing anything (no lookup, no connection, no pool work). */
typedef struct pre {
    cafe_queue_t empty;
    cafe_sem_t none;
    cafe_lock_t held;
    cafe_event_t ev;
    cafe_future_t fut;
    cafe_cond_t cond;
    cafe_group_t group;
    cafe_task_t *sleeper, *dead;
    cafe_http_result_t res;
    int ran; /* pool work that must not run */
} pre_t;

static int pool_work(void *arg) {
    ((pre_t *)arg)->ran = 1;
    return 0;
}

static int http(pre_t *p, const char *url, const cafe_http_opts_t *opts) {
    int rc = cafe_http_request(url, opts, &p->res);
    cafe_http_result_free(&p->res);
    return rc;
}

static int cancelled_calls(void *arg, void **value) {
    pre_t *p = arg;
    void *item;
    cafe_tcp_t s;
    cafe_result_t r;
    static const char *const bad_header[] = {"X: a\r\nY: b", NULL};
    cafe_http_opts_t bad_opts = {.headers = bad_header};
    assert_int_equal(cafe_task_cancel(cafe_task_current()), 0);
    /* bad arguments: their own errors */
    assert_int_equal(cafe_queue_get(&p->empty, NULL), CAFE_EINVAL);
    assert_int_equal(cafe_queue_put(NULL, p), CAFE_EINVAL);
    assert_int_equal(cafe_queue_join(NULL), CAFE_EINVAL);
    assert_int_equal(cafe_sem_acquire(NULL), CAFE_EINVAL);
    assert_int_equal(cafe_lock_acquire(NULL), CAFE_EINVAL);
    assert_int_equal(cafe_event_wait(NULL), CAFE_EINVAL);
    assert_int_equal(cafe_future_wait(NULL, NULL), CAFE_EINVAL);
    assert_int_equal(cafe_cond_wait(&p->cond), CAFE_ENOTLOCKED);
    assert_int_equal(cafe_group_wait(NULL), CAFE_EINVAL);
    assert_int_equal(cafe_task_join(p->dead, &r), CAFE_EINVAL);
    assert_int_equal(cafe_task_join(cafe_task_current(), &r), CAFE_EDEADLK);
    assert_int_equal(cafe_task_gather(&p->sleeper, 1, NULL), CAFE_EINVAL);
    assert_int_equal(cafe_task_wait_any(&p->dead, 1, &(size_t){0}), CAFE_EINVAL);
    assert_int_equal(cafe_thread_run(NULL, NULL), CAFE_EINVAL);
    assert_int_equal(cafe_tcp_connect(&s, NULL, 80), CAFE_EINVAL);
    assert_int_equal(http(p, NULL, NULL), CAFE_EINVAL);
    assert_int_equal(http(p, "http://127.0.0.1:9/", &bad_opts), CAFE_EINVAL);
    assert_int_equal(http(p, "http://[::1/", NULL), CAFE_EHTTP_URL);
    assert_int_equal(http(p, "ftp://127.0.0.1:9/", NULL), CAFE_EHTTP_SCHEME);
    /* good arguments: cancelled, nothing done */
    assert_int_equal(cafe_task_sleep(600000), CAFE_ECANCELED);
    assert_int_equal(cafe_task_yield(), CAFE_ECANCELED);
    assert_int_equal(cafe_queue_get(&p->empty, &item), CAFE_ECANCELED);
    assert_int_equal(cafe_queue_put(&p->empty, p), CAFE_ECANCELED);
    assert_int_equal(cafe_queue_len(&p->empty), 0);
    assert_int_equal(cafe_sem_acquire(&p->none), CAFE_ECANCELED);
    assert_int_equal(cafe_lock_acquire(&p->held), CAFE_ECANCELED);
    assert_int_equal(cafe_event_wait(&p->ev), CAFE_ECANCELED);
    assert_int_equal(cafe_future_wait(&p->fut, NULL), CAFE_ECANCELED);
    assert_int_equal(cafe_task_join(p->sleeper, &r), CAFE_ECANCELED);
    assert_int_equal(cafe_task_wait_any(&p->sleeper, 1, &(size_t){0}), CAFE_ECANCELED);
    assert_int_equal(cafe_thread_run(pool_work, p), CAFE_ECANCELED);
    assert_int_equal(p->ran, 0);
    assert_int_equal(cafe_tcp_connect(&s, "127.0.0.1", 9), CAFE_ECANCELED);
    assert_int_equal(http(p, "http://127.0.0.1:9/", NULL), CAFE_ECANCELED);
    assert_int_equal(http(p, "http://no-such-host.invalid/", NULL), CAFE_ECANCELED);
    return CAFE_ECANCELED;
}

static int cancelled_calls_main(void *arg, void **value) {
    pre_t *p = arg;
    cafe_task_t *t;
    cafe_result_t r;
    assert_int_equal(cafe_queue_init(&p->empty, 1), 0);
    cafe_sem_init(&p->none, 0);
    cafe_lock_init(&p->held);
    assert_int_equal(cafe_lock_acquire(&p->held), 0);
    cafe_event_init(&p->ev);
    cafe_future_init(&p->fut, NULL);
    cafe_cond_init(&p->cond, NULL);
    assert_int_equal(cafe_task_spawn(&p->sleeper, sleep_forever, NULL, NULL), 0);
    assert_int_equal(cafe_task_spawn(&p->dead, sleep_forever, NULL, NULL), 0);
    assert_int_equal(cafe_task_cancel(p->dead), 0);
    assert_int_equal(cafe_task_join(p->dead, &r), 0);
    assert_int_equal(cafe_task_spawn(&t, cancelled_calls, p, NULL), 0);
    assert_int_equal(cafe_task_join(t, &r), 0);
    assert_int_equal(r.status, CAFE_ECANCELED);
    assert_int_equal(cafe_task_cancel(p->sleeper), 0);
    assert_int_equal(cafe_task_join(p->sleeper, &r), 0);
    assert_int_equal(cafe_future_resolve(&p->fut, 0, NULL), 0);
    assert_int_equal(cafe_queue_destroy(&p->empty), 0);
    return 0;
}

static void test_cancelled_task_argument_errors_first(void **state) {
    pre_t p = {0};
    assert_int_equal(test_run(cancelled_calls_main, &p), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cancel_interrupts_each_call),
        cmocka_unit_test(test_shield_holds_cancellation_back),
        cmocka_unit_test(test_future_honours_shield),
        cmocka_unit_test(test_write_honours_shield),
        cmocka_unit_test(test_passed_deadline_interrupts_every_call),
        cmocka_unit_test(test_deadline_passed_while_computing_interrupts),
        cmocka_unit_test(test_cancelled_task_collects_finished_results),
        cmocka_unit_test(test_cancelled_loop_cannot_starve),
        cmocka_unit_test(test_signal_handover_cancelled),
        cmocka_unit_test(test_cancelled_task_argument_errors_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
