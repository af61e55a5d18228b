/* Runtime internals shared by the files of src/runtime and by the other parts of cafe
 * (http, fixture, cli) that build their own suspending calls. Not installed. */
#ifndef CAFE_RUNTIME_INTERNAL_H
#define CAFE_RUNTIME_INTERNAL_H

#include "cafe.h"
#include "arch/ctx.h"
#include "runtime/stack.h"

#include <stdatomic.h>
#include <stdint.h>
#include <uv.h>

#define CAFE__NEVER UINT64_MAX

/* ---- waiting ------------------------------------------------------------------------------
 * A suspending call parks its task on a cafe__wait_t that lives on the task's own stack,
 * after registering it wherever its wake-up will come from (a wait list, a libuv request).
 * Whoever completes the wait calls cafe__wake(w, code); the task resumes and cafe__park
 * returns code.
 *
 * Interruptions: a wait with an abort function can be interrupted by cancellation or by the
 * task's deadline. abort runs (on whatever stack interrupts it) and must either withdraw the
 * wait from its source and return 1 (the task is then woken with CAFE_ECANCELED or
 * CAFE_ETIMEDOUT), or return 0 when the source cannot let go and will still call cafe__wake
 * itself (e.g. a thread-pool job already running). abort == NULL makes the wait
 * uninterruptible.
 *
 * Cancellation after the wake: a task woken with 0 that has not run yet is still inside its
 * call. Cancelled then, it returns CAFE_ECANCELED, as asyncio's task does, when its wait has
 * an undo function: undo gives back what the wake handed over (a permit to the next waiter,
 * a queue item to the queue's front; nothing for a sleep or an event) and returns 1; a wait
 * without one returns what it got: a result already there (a finished join, a resolved
 * future, a put whose item went in). undo reaches the object
 * through source, which its destroy takes back (cafe__woken_forget): the object's memory may
 * go after that, while the woken task has not run yet. */
typedef struct cafe__wait cafe__wait_t;
struct cafe__wait {
    int (*abort)(cafe__wait_t *w);
    int (*undo)(cafe__wait_t *w);
    void *source;              /* for undo: the semaphore or queue that woke the task */
    cafe__wait_t *next, *prev; /* links for a cafe__waitlist_t */
    cafe__waitlist_t *list;    /* the list w is on, or NULL */
    struct cafe__task *task;
    void *data; /* for the source: e.g. the item a queue hands over */
    /* Waits in a task's joiner slot: the claimed tasks that finished since the wait last
     * looked, latest first, linked through their ready_next (a finished task is on no run
     * queue). Lets a wait on many tasks find the ones that ended without a scan of all. */
    struct cafe__task *done;
    /* CAFE__WAIT_FRESH until parked; a wake that comes first (e.g. a completion inside a
     * cafe__loop_call made just before parking) is kept as CAFE__WAIT_EARLY and the park
     * then returns at once. Waits start zeroed and may be reused after each park. */
    int state, early_code;
};
enum { CAFE__WAIT_FRESH = 0, CAFE__WAIT_PARKED, CAFE__WAIT_EARLY };

/* Parks the current task on w until cafe__wake(w) or, when wake_at != CAFE__NEVER, until the
 * loop clock reaches wake_at (then returns 0: that is a sleep). Interruptible waits return
 * CAFE_ECANCELED / CAFE_ETIMEDOUT at once, after calling w->abort, if the task is already
 * cancelled or past its deadline. CAFE_ENOTASK outside a task (w untouched). */
int cafe__park(cafe__wait_t *w, uint64_t wake_at);
/* Completes w with code. If w is not parked yet, the completion is kept for the coming
 * cafe__park; if its task already left it, this is a no-op. Any stack. */
void cafe__wake(cafe__wait_t *w, int code);
/* Interrupts t's current wait with code (CAFE_ECANCELED / CAFE_ETIMEDOUT) if the wait
 * allows it. */
void cafe__interrupt(struct cafe__task *t, int code);
/* An abort for waits that need no clean-up (sleeps), and an undo for waits that were handed
 * nothing (sleeps, events). */
int cafe__abort_noop(cafe__wait_t *w);
/* An abort for waits on a wait list: takes w off its list. */
int cafe__abort_unlist(cafe__wait_t *w);

/* source is being destroyed: the tasks it woke that have not run yet keep what they got,
 * cancelled or not (their undo would reach into its memory); their waits' undo and source
 * become NULL, so a call that reads its source after the park can tell. */
void cafe__woken_forget(const void *source);

void cafe__waitlist_push(cafe__waitlist_t *l, cafe__wait_t *w);
void cafe__waitlist_remove(cafe__waitlist_t *l, cafe__wait_t *w);
cafe__wait_t *cafe__waitlist_pop(cafe__waitlist_t *l);
static inline int cafe__waitlist_empty(const cafe__waitlist_t *l) {
    return l->private_first == NULL;
}
/* The running task when p lies in its stack, else NULL (the loop's stack, the heap, static
 * memory, another task's stack). */
struct cafe__task *cafe__frame_task(const void *p);
/* An empty wait list for an object at obj, counted in its task's frame_waiters while tasks
 * wait on it when obj lies in the running task's stack. */
static inline cafe__waitlist_t cafe__waitlist_for(const void *obj) {
    return (cafe__waitlist_t){NULL, NULL, cafe__frame_task(obj)};
}

/* Runs fn(arg) on the loop's own stack and returns its result. From a task this costs two
 * switches; on the loop stack it is a plain call. Use it for deep library code (curl's
 * socket_action, OpenSSL) that must not run on a small task stack. */
int cafe__loop_call(int (*fn)(void *arg), void *arg);

/* ---- tasks and the loop ------------------------------------------------------------------ */

/* CAFE__ABANDONED: parked in a wait nothing could end when its run returned CAFE_EDEADLK
 * (loop.c): never resumed, waited for or named again; its stack stays until cafe_loop_free. */
enum cafe__task_state { CAFE__READY = 1, CAFE__RUNNING, CAFE__PARKED, CAFE__DONE, CAFE__ABANDONED };
enum { CAFE__IN_UV = 1, CAFE__IN_UV_STOPPED }; /* cafe_loop_t.in_uv */

/* A task's struct. The public cafe_task_t * is not a pointer to it but a handle that encodes
 * the struct's slot in the loop's table and its generation (handle.c): a struct is reused
 * for later tasks, and the generation makes every handle of an earlier task stale. */
typedef struct cafe__task cafe__task_t;
struct cafe__task {
    cafe__ctx_t ctx;
    cafe_loop_t *loop;
    cafe__stack_t *stack;
    cafe_task_fn fn;
    void *arg;
    const char *name;
    cafe_result_t result;
    uint32_t gen;   /* bumped when the struct goes back to the pool: old handles go stale */
    uint32_t index; /* slot in loop->slots, fixed for the struct's life */
    uint8_t state, cancelled, detached, timer_armed;
    uint8_t shielded; /* inside cafe_shield_begin/end: cancellation held back */
    uint8_t daemon;   /* CAFE_TASK_DAEMON: cancelled silently when main returns */
    uint8_t marked;   /* listed in the handle list being checked (gather.c) */
    /* A switch away from the task has something to check: its stack has no guard page (the
     * canary), or no_suspend is set. One byte read per switch for both (loop.c). */
    uint8_t switch_checks;
    uint32_t open_groups; /* groups this task initialised that still have live children */
    uint32_t open_sets;   /* cafe_as_completed_t sets this task created and has not freed */
    /* Waits parked on the wait lists of objects this task initialised in its own stack (a
     * local semaphore, event, lock, condition, queue or future): must be 0 when it returns,
     * or they would wait in, and later unlink themselves from, a dead frame. */
    uint32_t frame_waiters;
    /* Set while a callback that must not suspend runs in this task (cafe__no_suspend): what
     * it is, for the abort of a suspending call made there. NULL otherwise. */
    const char *no_suspend;
    cafe__wait_t *wait;  /* the wait this task is parked on, or NULL */
    cafe__wait_t *woken; /* the wait that woke it, until it runs again (cafe__task_cancel) */
    int wake_code;
    uint64_t deadline; /* absolute loop time, CAFE__NEVER when none */
    /* The deadline in force when a call of the task last timed out (was told
     * CAFE_ETIMEDOUT), for cafe_deadline_end: a scope reports a timeout only if its own
     * deadline interrupted something, as asyncio.timeout does. Each deadline scope saves it
     * at begin and resets it, so a value left by the struct's earlier task is never read. */
    uint64_t timed_out;
    void *scope; /* innermost deadline or shield begun and not ended (scope.c), or NULL */
    union {
        uint64_t wake_at;  /* end of the current sleep, CAFE__NEVER when none */
        uint64_t finished; /* once DONE: the loop's count of finished tasks then (order) */
    };
    cafe__wait_t *joiner; /* the wait claiming it: join, gather, wait_any */
    cafe_group_t *group;  /* owning group, or NULL */
    unsigned group_init;  /* its group's private_init at the spawn */
    union {
        /* Group child, or claimed by the fail-fast gather: where its result is copied. */
        cafe_result_t *result_out;
        size_t claim_index; /* claimed by a cafe_as_completed_t: its place in the list */
    };
    cafe__task_t *ready_next;                /* run queue */
    cafe__task_t *handle_prev, *handle_next; /* loop's list of live handles */
    cafe__task_t *sib_prev, *sib_next;       /* group's children */
    cafe__task_t *pool_next;                 /* free pool (FIFO) */
    cafe__task_t *all_next;                  /* every struct the loop allocated */
    void *asan_fake;
    uv_timer_t timer; /* sleeps and deadlines; initialised once per struct */
};

#define CAFE__MAX_CLOSERS 8

struct cafe_loop {
    uv_loop_t uv;
    cafe__ctx_t main_ctx; /* the loop's own stack while a task runs */
    cafe__task_t *current;
    /* The task whose stack a future's cancel callback runs on while current is NULL (it runs
     * outside any task: future.c), so that an overflow there is named too (overflow.c). */
    cafe__task_t *lent_stack;
    cafe__task_t *main_task; /* of the current cafe_loop_run */
    cafe__task_t *ready_head, *ready_tail;
    cafe__task_t *handles; /* live handles: spawned, not yet joined or released */
    cafe__task_t *pool_head, *pool_tail;
    cafe__task_t *all;
    cafe__task_t **slots; /* every struct by its index: handles are decoded through it */
    size_t nslots, slots_cap;
    size_t live;       /* tasks not finished */
    uint64_t finished; /* tasks finished so far: gives their finishing order */
    size_t stack_size;
    int quiet;
    /* Inside uv_run: a task made ready must stop libuv from blocking (CAFE__IN_UV), or did
     * so already in this uv_run (CAFE__IN_UV_STOPPED); 0 outside. */
    int in_uv;
    int clock_stale; /* uv's cached time was not refreshed this turn: see cafe__loop_now */
    /* The thread of the last cafe_loop_run, as the address of its cafe__tls_loop (unique per
     * thread, and cheaper to get than pthread_self), with CAFE__LOOP_RUNNING set while the
     * run lasts: streams, signal watchers and the calls given a loop check it
     * (cafe__loop_thread, cafe__loop_foreign). One word, claimed by a compare-and-swap (two
     * threads starting a run at once: one wins). A flag apart from the token left, while a
     * run started on another thread, the last thread's token there with the flag set for an
     * instant, and a call from the last thread then passed the check. */
    _Atomic(uintptr_t) thread;
    int (*call_fn)(void *);
    void *call_arg;
    int call_rc;
    size_t detached_failed;
    int detached_first_error;
    const char *detached_first_name;
    /* Failed group children whose round no cafe_group_wait has collected yet (group.c):
     * reported when the run ends, as detached failures are. */
    size_t group_lost;
    int group_lost_first_error; /* 0 once its group's wait collected it: not named then */
    const char *group_lost_first_name;
    const cafe_group_t *group_lost_first_group;
    cafe__stacks_t stacks;
    const void *asan_main_bottom;
    size_t asan_main_size;
    struct {
        void (*fn)(void *);
        void *arg;
    } closers[CAFE__MAX_CLOSERS];
    int nclosers;
    /* Streams and signal watchers their owners have not closed: cafe_loop_free refuses to
     * pull the loop from under them (their handles would dangle into freed memory). */
    size_t open_streams, open_watchers;
    /* cafe_loop_uv handed the libuv loop out: the program may have added handles of its own,
     * unreferenced ones among them (see loop.c, unref_may_act). */
    int uv_lent;
    int poke_init;         /* poke initialised */
    uv_timer_t poke;       /* started to turn libuv when only unreferenced handles are in it */
    unsigned forks;        /* the process's fork count when the loop was made (loop.c) */
    int fork_armed;        /* fork_timer started (in this process or the one it forked from) */
    uv_timer_t fork_timer; /* in a child forked while the loop ran: stops it (loop.c) */
};

/* Registers fn(arg) to run when the loop is freed, before its handles are closed (in
 * reverse order of registration). For per-loop subsystems such as the HTTP client. */
int cafe__loop_at_close(cafe_loop_t *loop, void (*fn)(void *), void *arg);

/* Thread-local: the loop running on this thread. The one piece of global state, like
 * asyncio's running loop; it only points at the loop object. */
extern _Thread_local cafe_loop_t *cafe__tls_loop __attribute__((tls_model("initial-exec")));
/* Thread-local: counts the runs of loops on this thread, the current one's included; tells a
 * group whether the failures it counted belong to the run that now waits for it. */
extern _Thread_local unsigned cafe__tls_runs;
static inline cafe_loop_t *cafe__loop_tls(void) {
    return cafe__tls_loop;
}

/* Thread-local: set while a cafe_thread_run function runs on this pool thread. A loop's
 * state has no lock: a call from there would race with the loop's thread, silently. Each
 * public call that touches a loop's state (its tasks, run queue, timers, streams) starts with
 * cafe__loop_thread_check, which aborts naming the call: one thread-local load and a branch
 * never taken. The calls on the objects tasks wait on check their owner instead (below). */
extern _Thread_local int cafe__tls_in_pool __attribute__((tls_model("initial-exec")));
_Noreturn void cafe__off_loop(const char *call);
static inline void cafe__loop_thread_check(const char *call) {
    if (__builtin_expect(cafe__tls_in_pool, 0))
        cafe__off_loop(call);
}

/* For calls given a loop (NULL: the running one) rather than an object: aborts, naming the
 * call, from a cafe_thread_run function, or when the loop runs on another thread. */
void cafe__loop_arg_check(const cafe_loop_t *loop, const char *call);

/* The calling thread, as the address of its cafe__tls_loop: unique among live threads, and
 * one or two instructions to get (loop->thread holds the same token). */
static inline const void *cafe__thread_self(void) {
    return &cafe__tls_loop;
}

/* loop->thread's bit 0 while a run lasts; the rest is the token of the run's thread. */
#define CAFE__LOOP_RUNNING ((uintptr_t)1)
static inline uintptr_t cafe__loop_word(const cafe_loop_t *loop) {
    return atomic_load_explicit(&((cafe_loop_t *)(uintptr_t)loop)->thread, memory_order_relaxed);
}
/* The thread of the loop's run under way, or of its last (NULL: it never ran). */
static inline const void *cafe__loop_thread(const cafe_loop_t *loop) {
    return (const void *)(cafe__loop_word(loop) & ~CAFE__LOOP_RUNNING);
}
static inline int cafe__loop_running(const cafe_loop_t *loop) {
    return (cafe__loop_word(loop) & CAFE__LOOP_RUNNING) != 0;
}
/* The word of a run under way on the calling thread. */
static inline uintptr_t cafe__loop_ours(void) {
    return (uintptr_t)cafe__thread_self() | CAFE__LOOP_RUNNING;
}
/* Nonzero while a run of the loop lasts on a thread other than the caller's. */
static inline int cafe__loop_foreign(const cafe_loop_t *loop) {
    uintptr_t w = cafe__loop_word(loop);
    return (w & CAFE__LOOP_RUNNING) && w != cafe__loop_ours();
}

/* A NULL where a call needs an object (a semaphore, a queue, a group, a future, a scope...):
 * the calls that have error codes to return return CAFE_EINVAL, nothing done
 * (CAFE__EINVAL_IF_NULL); the others (void, a count, a 0/1 answer, a pointer) abort naming
 * the call (cafe__nonnull), as a SIGSEGV at the first read would name nothing. One compare
 * and a branch never taken. */
_Noreturn void cafe__null_abort(const char *call);
static inline void cafe__nonnull(const void *p, const char *call) {
    if (__builtin_expect(p == NULL, 0))
        cafe__null_abort(call);
}
#define CAFE__EINVAL_IF_NULL(p)                                                                    \
    do {                                                                                           \
        if (__builtin_expect((p) == NULL, 0))                                                      \
            return CAFE_EINVAL;                                                                    \
    } while (0)

/* The thread a semaphore, event, queue, future or group belongs to (its private_thread):
 * that of the loop running when it was initialised, or NULL when it was initialised
 * outside any loop, until the first call on it from a loop's thread adopts it. A call from
 * another thread races with the loop's thread (silently, when it wakes no task):
 * cafe__owner_check aborts it, naming the call. The hot path is a
 * load and a compare with the thread's token; cafe_thread_run functions are caught there too
 * (a pool thread is never the owner), so object calls need no cafe__loop_thread_check. */
static inline const void *cafe__owner_init(void) {
    return cafe__tls_loop ? cafe__thread_self() : NULL;
}
/* private_thread is a plain pointer in cafe.h (which compiles as C++ too), but two loop
 * threads may adopt one object at the same instant: here it is only read and written as a C11
 * atomic, so that a compare-and-swap lets exactly one of them win (cafe__owner_mismatch). The
 * loads are relaxed: a thread finds its own token there only if it stored it itself. */
typedef _Atomic(const void *) cafe__owner_atomic_t;
_Static_assert(sizeof(cafe__owner_atomic_t) == sizeof(const void *) &&
                   _Alignof(cafe__owner_atomic_t) == _Alignof(const void *),
               "an object's owner is read as an atomic pointer in place");
static inline const void *cafe__owner_load(const void *const *owner) {
    return atomic_load_explicit((cafe__owner_atomic_t *)(uintptr_t)owner, memory_order_relaxed);
}
/* The owner of a destroyed semaphore, event or queue: no thread's token, so every later
 * call takes the slow path, which names it (the hot path pays nothing for this check). */
extern const char cafe__destroyed;
static inline void cafe__owner_destroy(const void **owner) {
    atomic_store_explicit((cafe__owner_atomic_t *)owner, &cafe__destroyed, memory_order_relaxed);
}
/* The slow path: adopts (when adopt is not NULL) or aborts. */
void cafe__owner_mismatch(const void *owner, const void **adopt, const char *call);
static inline void cafe__owner_check(const void **owner, const char *call) {
    const void *o = cafe__owner_load(owner);
    if (__builtin_expect(o != cafe__thread_self(), 0))
        cafe__owner_mismatch(o, owner, call);
}
/* For calls that only read the object: they check, and leave adoption to the others. */
static inline void cafe__owner_check_ro(const void *owner, const char *call) {
    if (__builtin_expect(owner != cafe__thread_self(), 0))
        cafe__owner_mismatch(owner, NULL, call);
}

/* The loop's clock in ms, like uv_now but refreshed first when the loop skipped libuv on
 * turns where nothing in it was alive. Use it instead of uv_now before arming a timer. */
uint64_t cafe__loop_now(cafe_loop_t *loop);
/* The clock read now: for the start of a sleep or a deadline, which must count from the
 * call, not from the start of a turn that the tasks before may have spent computing
 * (asyncio's loop.time() is the clock's). A coarse clock read (libuv's UV_CLOCK_FAST). */
uint64_t cafe__loop_now_fresh(cafe_loop_t *loop);

/* In a fork child: libuv's thread pool is to be checked again before its next start
 * (thread.c). */
void cafe__pool_forked(void);

/* The running task, or NULL on the loop's stack or outside any loop. */
static inline cafe__task_t *cafe__running(void) {
    cafe_loop_t *loop = cafe__loop_tls();
    return loop ? loop->current : NULL;
}

/* Scheduler hooks (loop.c). */
void cafe__ready_push(cafe_loop_t *loop, cafe__task_t *t);
/* Every suspension of a task goes through it (a park, a yield, a cafe__loop_call). */
void cafe__switch_to_loop(cafe__task_t *t);

/* A user's callback that runs in a task and must not suspend (an HTTP request's on_start,
 * say: the request's own wait is not parked yet, and the task must not run off elsewhere
 * meanwhile): call it between cafe__no_suspend_begin(what) and cafe__no_suspend_end, and a
 * suspending call it makes aborts the process naming `what`, instead of suspending. Outside
 * a task (the loop's stack) it does nothing: suspending calls fail with CAFE_ENOTASK there.
 * Returns what to give the end: the mark of a callback this one runs inside, if any. */
static inline void cafe__no_suspend_set(cafe__task_t *t, const char *what) {
    t->no_suspend = what;
    t->switch_checks = (uint8_t)(!t->stack->guarded || what != NULL);
}
static inline const char *cafe__no_suspend_begin(const char *what) {
    cafe__task_t *t = cafe__running();
    if (!t)
        return NULL;
    const char *outer = t->no_suspend;
    cafe__no_suspend_set(t, what);
    return outer;
}
static inline void cafe__no_suspend_end(const char *outer) {
    cafe__task_t *t = cafe__running();
    if (t)
        cafe__no_suspend_set(t, outer);
}
/* Puts the running task t at the back of the run queue and lets the others run once. */
static inline void cafe__yield_once(cafe__task_t *t) {
    cafe__ready_push(t->loop, t);
    cafe__switch_to_loop(t);
}
/* cafe_loop_run's end of main (loop.c): cancels and names the tasks still running. */
void cafe__loop_reap(cafe_loop_t *loop);

/* Handles: handle.h (inline hot paths) and handle.c. */
void cafe__task_free_all(cafe_loop_t *loop);

/* Interruptions. The code a suspending call of t must return at once, CAFE_ECANCELED or
 * CAFE_ETIMEDOUT, or 0; `now` matters only when t has a deadline. A shield holds back the
 * cancellation (and, by clearing t->deadline, the deadlines begun outside it). */
static inline int cafe__interruption(cafe__task_t *t, uint64_t now) {
    if (t->cancelled && !t->shielded)
        return CAFE_ECANCELED;
    if (now < t->deadline)
        return 0;
    t->timed_out = t->deadline; /* the caller returns it: see cafe_deadline_end */
    return CAFE_ETIMEDOUT;
}
/* A call told CAFE_ETIMEDOUT that returns a result instead (a join whose task finished
 * before the caller ran again): the timeout was not returned, so cafe_deadline_end must not
 * report it. Told by the deadline's timer, the record was empty before the call (had the
 * deadline passed before, the wait would have ended at once instead); ended at once, a
 * record left by an earlier call of the scope is lost too, which errs on the side of a
 * result that code checking the scope would otherwise drop. Cold paths only: saving the
 * record across every join's park would cost spawn + join 8 instructions. */
static inline void cafe__untold(cafe__task_t *t) {
    t->timed_out = CAFE__NEVER;
}

/* For the calls that may return without parking: the interruption pending for the running
 * task t (may be NULL), its cancellation or its passed deadline, after yielding once so
 * that a task looping on a call that keeps failing still lets every other task run. 0 when
 * there is none. Called first, so that an interrupted task takes nothing. Inline for the
 * common case, a task neither cancelled nor under a deadline: a queue's put and get, a
 * semaphore's acquire pay two loads instead of a call. */
int cafe__interrupt_check_slow(cafe__task_t *t);
static inline int cafe__interrupt_check(cafe__task_t *t) {
    if (__builtin_expect(!t || (!t->cancelled && t->deadline == CAFE__NEVER), 1))
        return 0;
    return cafe__interrupt_check_slow(t);
}

/* Stack overflow reports (overflow.c): installs the process's SIGSEGV handler (once) and
 * gives the calling thread an alternate signal stack if it has none; returns that stack
 * (NULL when the thread had one already, or none could be made) for disarm. */
void *cafe__overflow_arm(void);
void cafe__overflow_disarm(void *altstack);
/* The same for a pool thread, at its first cafe_thread_run job (thread.c): an alternate
 * signal stack for the thread's life, and its stack's bounds, so that an overflow in a
 * cafe_thread_run function is named too. */
void cafe__overflow_arm_pool(void);

/* SIGPIPE (tcp.c): streams set it to ignored (cafe__sigpipe_ignored: they did, the program
 * having left it at its default), so that a write to a vanished peer is CAFE_EPIPE. Closing
 * the last SIGPIPE watcher puts back the disposition seen when the first one opened, the
 * default if streams came after it: reignore sets it to ignored again when streams wanted it
 * so, or loop has streams open. */
extern int cafe__sigpipe_ignored;
/* In a child after fork (loop.c's atfork handler): signal.c's lock, which another thread may
 * have held at the fork. */
void cafe__signal_forked(void);
void cafe__sigpipe_reignore(const cafe_loop_t *loop);

/* Host name resolution (resolve.c), through the loop's resolver (include/cafe/dns.h): up to
 * max addresses of host (a name or an IP literal) with `port` set, in the resolver's order.
 * Suspends the running task. Returns the count (> 0), CAFE_ERESOLVE (no such host, or no
 * address), CAFE_EDNS_TIMEOUT, CAFE_EDNS_SERVFAIL, CAFE_ENOMEM, CAFE_EINVAL, CAFE_ENOTASK,
 * or CAFE_ECANCELED / CAFE_ETIMEDOUT. */
struct sockaddr_storage;
int cafe__resolve(const char *host, int port, struct sockaddr_storage *out, int max);

/* Task internals (task.c). */
/* cafe_task_spawn returning the struct. */
int cafe__task_spawn(cafe__task_t **out, cafe_task_fn fn, void *arg, const cafe_task_opts_t *opts);
int cafe__task_join(cafe__task_t *t, cafe_result_t *result, int interruptible);
/* Nonzero when t (or, given g, one of g's children) waits for self, directly or down a
 * chain of joins, gathers, wait_any and group waits (a group's children are waited for by
 * every task in its cafe_group_wait): self waiting for t (or g) would close a cycle that
 * nothing ends (an interrupted gather or group wait goes on waiting, uninterruptibly). Walks
 * up from self through the tasks that wait for it; every wait of these kinds is checked so,
 * so no cycle can have formed before, and the walk ends. Cold: see cafe__waits_for. */
int cafe__waited_by(const cafe__task_t *self, const cafe__task_t *t, const cafe_group_t *g);
/* cafe__waited_by for a join, gather or wait_any of t; inline for the common case of a self
 * that nobody waits for (spawn + join). */
static inline int cafe__waits_for(const cafe__task_t *t, const cafe__task_t *self) {
    if (((uintptr_t)self->joiner | (uintptr_t)self->group) == 0) /* one branch for both */
        return 0;
    return cafe__waited_by(self, t, NULL);
}
/* A finished task failed: a negative status, except the CAFE_ECANCELED of a task that was
 * cancelled (by its owner, its group, or cafe_loop_run when main returned), which did what
 * it was asked. Groups count and the end of a run reports by this rule. */
static inline int cafe__task_failed(const cafe__task_t *t) {
    return t->result.status < 0 && !(t->cancelled && t->result.status == CAFE_ECANCELED);
}
/* A handle the caller may join: live, not detached, not a group's, not main's (which
 * cafe_loop_run joins). */
static inline int cafe__task_joinable(const cafe__task_t *t) {
    return t && !t->detached && !t->group && t != t->loop->main_task;
}
void cafe__task_release(cafe__task_t *t);
/* cafe_task_cancel on a struct: sets the sticky flag and interrupts an unshielded wait. */
void cafe__task_cancel(cafe__task_t *t);
/* Group bookkeeping (group.c): a child that just finished, on the child's stack; a task
 * that returned while groups it initialised still have children (aborts with a message). */
void cafe__group_child_done(cafe__task_t *t);
void cafe__group_check_owner(cafe__task_t *t);
/* t returns with tasks parked on wait lists in its stack (frame_waiters): aborts naming one. */
_Noreturn void cafe__frame_waiters_left(const cafe__task_t *t);
/* A task that returned with a deadline or shield begun and not ended (scope.c): aborts. */
_Noreturn void cafe__scope_left_open(const cafe__task_t *t);
/* A task that returned with a cafe_as_completed_t it created not freed (gather.c): aborts. */
_Noreturn void cafe__as_completed_left_open(const cafe__task_t *t);
int cafe__err_from_uv(int uv_err);

#endif
