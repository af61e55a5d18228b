/* Tasks: spawn, run, finish, join, cancel. */
#include "runtime/internal.h"
#include "runtime/asan.h"

#include <stdlib.h>
#include <time.h>

static cafe_task_t *struct_get(cafe_loop_t *loop) {
    cafe_task_t *t = loop->pool_head;
    if (t) {
        loop->pool_head = t->pool_next;
        if (!loop->pool_head)
            loop->pool_tail = NULL;
        return t;
    }
    t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    uv_timer_init(&loop->uv, &t->timer);
    t->all_next = loop->all;
    loop->all = t;
    return t;
}

/* FIFO reuse keeps a dead handle dead for as long as possible, so that misuse of a stale
 * handle is caught by its magic number rather than hitting a new task. */
static void struct_put(cafe_loop_t *loop, cafe_task_t *t) {
    t->magic = CAFE__TASK_DEAD;
    t->pool_next = NULL;
    if (loop->pool_tail)
        loop->pool_tail->pool_next = t;
    else
        loop->pool_head = t;
    loop->pool_tail = t;
}

static void handle_link(cafe_loop_t *loop, cafe_task_t *t) {
    t->handle_prev = NULL;
    t->handle_next = loop->handles;
    if (loop->handles)
        loop->handles->handle_prev = t;
    loop->handles = t;
}

static void handle_unlink(cafe_loop_t *loop, cafe_task_t *t) {
    if (t->handle_prev)
        t->handle_prev->handle_next = t->handle_next;
    else
        loop->handles = t->handle_next;
    if (t->handle_next)
        t->handle_next->handle_prev = t->handle_prev;
}

void cafe__task_release(cafe_task_t *t) {
    handle_unlink(t->loop, t);
    struct_put(t->loop, t);
}

/* Runs on the task's stack, first thing after its first switch-in. Never returns. */
static void task_entry(void *p) {
    cafe_task_t *t = p;
    cafe_loop_t *loop = t->loop;
    cafe__asan_finish(NULL, &loop->asan_main_bottom, &loop->asan_main_size);
    void *value = NULL;
    int status = t->fn(t->arg, &value);
    t->result.status = status;
    t->result.value = value;
    t->state = CAFE__DONE;
    loop->live--;
    if (t->joiner)
        cafe__wake(t->joiner, 0);
    t->joiner = NULL;
    if (t->group)
        cafe__group_child_done(t);
    else if (t->detached && status < 0) {
        if (loop->detached_failed++ == 0) {
            loop->detached_first_error = status;
            loop->detached_first_name = t->name;
        }
    }
    cafe__stack_check(&loop->stacks, t->stack, t->name);
    cafe__asan_start(NULL, loop->asan_main_bottom, loop->asan_main_size);
    cafe__ctx_switch(&t->ctx, &loop->main_ctx);
    abort(); /* a finished task is never resumed */
}

int cafe_task_spawn(cafe_task_t **out, cafe_task_fn fn, void *arg, const cafe_task_opts_t *opts) {
    cafe_loop_t *loop = cafe__loop_tls();
    if (!loop)
        return CAFE_ENOTASK;
    if (!out || !fn)
        return CAFE_EINVAL;
    size_t size = opts && opts->stack_size ? opts->stack_size : loop->stack_size;
    if (size < CAFE_STACK_MIN)
        size = CAFE_STACK_MIN;
    cafe_task_t *t = struct_get(loop);
    if (!t)
        return CAFE_ENOMEM;
    t->stack = cafe__stack_get(&loop->stacks, size);
    if (!t->stack) {
        struct_put(loop, t);
        return CAFE_ENOMEM;
    }
    t->loop = loop;
    t->fn = fn;
    t->arg = arg;
    t->name = opts ? opts->name : NULL;
    t->result = (cafe_result_t){0, NULL};
    t->magic = CAFE__TASK_LIVE;
    t->cancelled = t->detached = t->timer_armed = 0;
    t->wait = NULL;
    t->joiner = NULL;
    t->group = NULL;
    t->deadline = t->wake_at = CAFE__NEVER;
    t->asan_fake = NULL;
    cafe__ctx_make(&t->ctx, t->stack->lo, t->stack->size, task_entry, t);
    handle_link(loop, t);
    loop->live++;
    cafe__ready_push(loop, t);
    *out = t;
    return 0;
}

static int valid_handle(cafe_task_t *t) {
    return t && t->magic == CAFE__TASK_LIVE && !t->detached && !t->group;
}

static int join_abort(cafe__wait_t *w) {
    cafe_task_t *target = w->data;
    target->joiner = NULL;
    return 1;
}

int cafe__task_join(cafe_task_t *t, cafe_result_t *result, int interruptible) {
    if (!valid_handle(t))
        return CAFE_EINVAL;
    cafe_loop_t *loop = cafe__loop_tls();
    cafe_task_t *self = loop ? loop->current : NULL;
    if (t == self)
        return CAFE_EDEADLK;
    if (t->state != CAFE__DONE) {
        if (!self)
            return CAFE_ENOTASK;
        if (t->joiner)
            return CAFE_EBUSY;
        cafe__wait_t w = {.abort = interruptible ? join_abort : NULL, .data = t};
        t->joiner = &w;
        int rc = cafe__park(&w, CAFE__NEVER);
        if (rc != 0)
            return rc;
    }
    if (result)
        *result = t->result;
    cafe__task_release(t);
    return 0;
}

int cafe_task_join(cafe_task_t *t, cafe_result_t *result) {
    return cafe__task_join(t, result, 1);
}

int cafe_task_join_timeout(cafe_task_t *t, uint64_t ms, cafe_result_t *result) {
    cafe_deadline_t d;
    int began = cafe_deadline_begin(&d, ms);
    int rc = cafe__task_join(t, result, 1);
    if (began == 0)
        cafe_deadline_end(&d);
    return rc;
}

int cafe_task_gather(cafe_task_t *const *tasks, size_t n, cafe_result_t *results) {
    cafe_loop_t *loop = cafe__loop_tls();
    int in_task = loop && loop->current;
    for (size_t i = 0; i < n; i++) {
        if (!valid_handle(tasks[i]) || tasks[i] == (in_task ? loop->current : NULL))
            return CAFE_EINVAL;
        if (!in_task && tasks[i]->state != CAFE__DONE)
            return CAFE_ENOTASK;
    }
    int rc = 0;
    size_t i = 0;
    for (; i < n; i++) {
        rc = cafe__task_join(tasks[i], &results[i], 1);
        if (rc != 0)
            break;
    }
    if (rc == 0)
        return 0;
    /* Interrupted: nothing may keep running behind the caller's back, and no result may be
     * lost. Cancel what is left, then wait for all of it. */
    for (size_t j = i; j < n; j++)
        cafe_task_cancel(tasks[j]);
    for (size_t j = i; j < n; j++)
        cafe__task_join(tasks[j], &results[j], 0);
    return rc;
}

int cafe_task_detach(cafe_task_t *t) {
    if (!valid_handle(t))
        return CAFE_EINVAL;
    if (t->state == CAFE__DONE) {
        cafe_loop_t *loop = t->loop;
        if (t->result.status < 0 && loop->detached_failed++ == 0) {
            loop->detached_first_error = t->result.status;
            loop->detached_first_name = t->name;
        }
        cafe__task_release(t);
        return 0;
    }
    t->detached = 1;
    return 0;
}

int cafe_task_cancel(cafe_task_t *t) {
    if (!t || t->magic != CAFE__TASK_LIVE)
        return CAFE_EINVAL;
    if (t->state == CAFE__DONE || t->cancelled)
        return 0;
    t->cancelled = 1;
    if (t->state == CAFE__PARKED)
        cafe__interrupt(t, CAFE_ECANCELED);
    return 0;
}

cafe_task_t *cafe_task_current(void) {
    cafe_loop_t *loop = cafe__loop_tls();
    return loop ? loop->current : NULL;
}

int cafe_task_cancelled(void) {
    cafe_task_t *t = cafe_task_current();
    return t ? t->cancelled : 0;
}

int cafe_task_sleep(uint64_t ms) {
    cafe_task_t *t = cafe_task_current();
    if (!t) {
        struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
                              .tv_nsec = (long)(ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0)
            ;
        return 0;
    }
    cafe__wait_t w = {.abort = cafe__abort_noop};
    return cafe__park(&w, cafe__loop_now(t->loop) + ms);
}

int cafe_task_yield(void) {
    cafe_task_t *t = cafe_task_current();
    if (!t)
        return 0;
    if (t->cancelled)
        return CAFE_ECANCELED;
    if (t->deadline != CAFE__NEVER && cafe__loop_now(t->loop) >= t->deadline)
        return CAFE_ETIMEDOUT;
    cafe__ready_push(t->loop, t);
    cafe__switch_to_loop(t);
    return 0;
}

int cafe_deadline_begin(cafe_deadline_t *d, uint64_t ms) {
    cafe_task_t *t = cafe_task_current();
    if (!t) {
        d->private_at = d->private_outer = CAFE__NEVER;
        return CAFE_ENOTASK;
    }
    uint64_t now = cafe__loop_now(t->loop);
    uint64_t at = ms > CAFE__NEVER - now ? CAFE__NEVER : now + ms;
    d->private_outer = t->deadline;
    d->private_at = at < t->deadline ? at : t->deadline;
    t->deadline = d->private_at;
    return 0;
}

int cafe_deadline_end(cafe_deadline_t *d) {
    cafe_task_t *t = cafe_task_current();
    if (!t || d->private_at == CAFE__NEVER)
        return 0;
    t->deadline = d->private_outer;
    return cafe__loop_now(t->loop) >= d->private_at ? CAFE_ETIMEDOUT : 0;
}

static void free_struct(uv_handle_t *h) {
    free(h->data);
}

void cafe__task_free_all(cafe_loop_t *loop) {
    cafe_task_t *t = loop->all;
    while (t) {
        cafe_task_t *next = t->all_next;
        t->timer.data = t;
        uv_close((uv_handle_t *)&t->timer, free_struct);
        t = next;
    }
    loop->all = loop->handles = loop->pool_head = loop->pool_tail = NULL;
}
