/* cafe — Python asyncio's model in C: a libuv event loop running stackful tasks.
 *
 * This header is the whole public API. Everything exported starts with cafe_ / CAFE_.
 * Fields of structs declared here whose names start with `private_` belong to cafe:
 * the structs are public only so that callers can place them on their stacks.
 *
 * The model, in asyncio's words:
 *
 *     asyncio.run(main())        cafe_run(main, arg, &result)
 *     async def f(): ...         int f(void *arg, void **value) run as a task
 *     await <suspending call>    just call it: it returns when its wait is over,
 *                                and other tasks run meanwhile
 *     asyncio.create_task(f())   cafe_task_spawn(&t, f, arg, NULL)
 *     await task                 cafe_task_join(t, &result)
 *     asyncio.gather(...)        cafe_task_gather(tasks, n, results)
 *                                (first error cancels the rest: cafe_task_gather_failfast)
 *     asyncio.wait(FIRST_COMPLETED)  cafe_task_wait_any(tasks, n, &index)
 *     asyncio.as_completed(...)  cafe_as_completed_create / _next / _free
 *     asyncio.sleep(s)           cafe_task_sleep(ms)
 *     task.cancel()              cafe_task_cancel(t)
 *     asyncio.timeout(s)         cafe_deadline_begin / cafe_deadline_end
 *     asyncio.shield(...)        cafe_shield_begin / cafe_shield_end (a scope, as in Trio)
 *     asyncio.wait_for(t, s)     cafe_task_join_timeout(t, ms, &result)
 *     Semaphore / Queue / Event  cafe_sem_t / cafe_queue_t / cafe_event_t
 *     Lock / Condition           cafe_lock_t / cafe_cond_t
 *     queue.join / task_done     cafe_queue_join / cafe_queue_task_done
 *     TaskGroup                  cafe_group_t
 *     asyncio.to_thread(f)       cafe_thread_run(f, arg)
 *     asyncio.Future             cafe_future_t: cafe_future_wait / cafe_future_resolve
 *     asyncio.open_connection    cafe_tcp_connect(&s, host, port) (cafe/tcp.h)
 *
 * Where cafe differs: cancellation is sticky (every later suspending call of a cancelled
 * task returns CAFE_ECANCELED, outside shields) and carries nothing: no message (asyncio's
 * cancel(msg)), no count, no uncancel() to take it back; when the main task returns, cafe_run
 * cancels the tasks left running, waits for them and names them on stderr; misuse (a dead
 * handle, a group left with running children, a stack overflow) fails loudly.
 *
 * Threads: one loop per thread. All calls on a loop's objects (its tasks, and the
 * semaphores, events, queues, futures, groups, signals and streams its tasks use) come from
 * that loop's thread: none of them is thread-safe. A call made from a cafe_thread_run
 * function (on a pool thread) aborts the process with a message naming it. So does a call
 * from any other thread on an object of the loop, whether it would wake a task or not: a
 * semaphore, event, queue, future or group belongs to the thread of the loop running when it
 * was initialised (one initialised outside any loop: to the first loop thread that calls on
 * it; to hand one to another loop's thread, initialise it again there), a TCP stream or a
 * signal watcher to the thread of the loop it was made on. cafe_strerror, cafe_err_name and
 * cafe_version may be called from any thread. To hand work back from another thread, return
 * it from the cafe_thread_run function, or use a libuv uv_async_t on cafe_loop_uv: its
 * callback runs on the loop's thread and may call cafe_future_resolve.
 * Signal handlers: no call but those three is async-signal-safe. A handler of the program's
 * own interrupts the loop's thread anywhere, in the middle of a run queue or a wait list: a
 * cancel or an event set from there (Ctrl-C cancelling main, say) passes every check above
 * and corrupts them, now and then. Watch the signal with cafe_signal_open instead, or call
 * uv_async_send (async-signal-safe) from the handler on a uv_async_t of the loop.
 *
 * Suspending calls outside any task: cafe_thread_run runs the function inline, on the calling
 * thread (in a libuv callback of a running loop too: the loop waits for it meanwhile); outside
 * any loop, cafe_task_sleep blocks the thread; the others return CAFE_ENOTASK when they would
 * have to wait (cafe_task_sleep too in a libuv callback of the running loop, whose thread it
 * would block).
 *
 * Bad arguments (a NULL where a call needs an object, an out-pointer or bytes, a value out of
 * range), here and in the headers under cafe/: a call that returns error codes returns CAFE_EINVAL
 * and does nothing; a call that has none to return (void, a count, a 0/1 answer, a pointer, a title
 * feed that never fails) writes a line naming itself on stderr and aborts the process, as a
 * SIGSEGV would name nothing. A NULL given to a free (cafe_loop_free, cafe_title_free) is a
 * no-op, as free(NULL) is; a NULL that a comment gives a meaning ("opts may be NULL", "NULL =
 * the running loop") has that meaning. Misuse that no argument check can see (a dead or
 * destroyed object, a call from the wrong thread, scopes ended out of order) aborts with a
 * message, as each call's comment says.
 */
#ifndef CAFE_H
#define CAFE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CAFE_VERSION_MAJOR 0
#define CAFE_VERSION_MINOR 1
#define CAFE_VERSION_PATCH 0
#define CAFE_VERSION_STRING "0.1.0"

/* ------------------------------------------------------------------------------------------ */
/* Errors: every call returns 0 (or a count) on success and a negative CAFE_E* code on failure.
 * Codes with an errno twin have the same value as -errno, so libuv's codes map one to one. */

#define CAFE_ERRNO_MAP(XX)                                                                         \
    XX(ENOMEM, -ENOMEM, "out of memory")                                                           \
    XX(EINVAL, -EINVAL, "invalid argument")                                                        \
    XX(ECANCELED, -ECANCELED, "operation canceled")                                                \
    XX(ETIMEDOUT, -ETIMEDOUT, "timed out")                                                         \
    XX(EAGAIN, -EAGAIN, "resource temporarily unavailable")                                        \
    XX(EBUSY, -EBUSY, "resource busy")                                                             \
    XX(EDEADLK, -EDEADLK, "waiting would deadlock")                                                \
    XX(EPIPE, -EPIPE, "closed: no more items can be put")                                          \
    XX(ECONNREFUSED, -ECONNREFUSED, "connection refused")                                          \
    XX(ECONNRESET, -ECONNRESET, "connection reset by peer")                                        \
    XX(EADDRINUSE, -EADDRINUSE, "address already in use")                                          \
    XX(EMFILE, -EMFILE, "too many open files")                                                     \
    XX(ENOENT, -ENOENT, "no such file or directory")                                               \
    XX(EIO, -EIO, "i/o error")                                                                     \
    XX(ENOSYS, -ENOSYS, "not supported on this system")                                            \
    XX(ENOTASK, -30001, "not inside a task: the call would have to wait")                          \
    XX(EOF, -30002, "end of stream")                                                               \
    XX(ETASKFAIL, -30003, "task failed")                                                           \
    XX(EUNKNOWN, -30004, "unknown error")                                                          \
    XX(ERESOLVE, -30005, "could not resolve host name")                                            \
    XX(ENOTLOCKED, -30006, "lock is not acquired")                                                 \
    XX(ETASK_DONE, -30007, "task_done called more times than items were put")                      \
    XX(EHTTP_URL, -30100, "malformed URL")                                                         \
    XX(EHTTP_SCHEME, -30101, "unsupported URL scheme: only http and https")                        \
    XX(EHTTP_DNS, -30102, "could not resolve host")                                                \
    XX(EHTTP_CONNECT, -30103, "could not connect")                                                 \
    XX(EHTTP_TLS, -30104, "TLS handshake or certificate verification failed")                      \
    XX(EHTTP_REDIRECT_PROTOCOL, -30105, "redirect refused: not http or https, or a bad port")      \
    XX(EHTTP_TOO_MANY_REDIRECTS, -30106, "too many redirects")                                     \
    XX(EHTTP_CLOSED, -30107, "connection closed or reset before the response was complete")        \
    XX(EHTTP_PROTOCOL, -30108, "malformed HTTP response")                                          \
    XX(EHTTP_CURL, -30109, "libcurl error")                                                        \
    XX(EHTTP_PRIVATE, -30110, "refused: not a public internet address")                            \
    XX(EDNS_TIMEOUT, -30111, "dns: timeout")                                                       \
    XX(EDNS_SERVFAIL, -30112, "dns: server failure")                                               \
    XX(EHTTP_NO_LOCATION, -30113, "redirect without a Location")

enum cafe_error {
    CAFE_OK = 0, /* success: what cafe_err_name(0) says */
#define CAFE__ERR_ENUM(name, value, msg) CAFE_##name = (value),
    CAFE_ERRNO_MAP(CAFE__ERR_ENUM)
#undef CAFE__ERR_ENUM
};

/* Message for a cafe error code (or any -errno). Never NULL; static storage. */
const char *cafe_strerror(int err);
/* Symbolic name ("CAFE_ETIMEDOUT"; "CAFE_OK" for 0), or "CAFE_EUNKNOWN" for codes cafe does
 * not know. */
const char *cafe_err_name(int err);

/* The version of the library linked at run time, "MAJOR.MINOR.PATCH" (CAFE_VERSION_STRING is
 * the one of the header compiled against). Static storage. */
const char *cafe_version(void);

/* ------------------------------------------------------------------------------------------ */
/* The loop. One per thread; owns every task, stack, timer and handle it runs. */

typedef struct cafe_loop cafe_loop_t;
typedef struct cafe_task cafe_task_t;

/* A task's body. Return 0 or a negative CAFE_E* status; optionally store a value in *value
 * (it starts as NULL). Both reach whoever joins the task. */
typedef int (*cafe_task_fn)(void *arg, void **value);

/* What a finished task left: its status and value. */
typedef struct cafe_result {
    int status;
    void *value;
} cafe_result_t;

typedef struct cafe_loop_opts {
    size_t stack_size; /* tasks' default stack size; 0 = CAFE_STACK_DEFAULT, <= CAFE_STACK_MAX */
    int quiet;         /* nonzero: do not report unjoined failed tasks on stderr */
} cafe_loop_opts_t;

/* Creates a loop (with its libuv loop). opts may be NULL. Free it with cafe_loop_free.
 * CAFE_EINVAL (nothing created) for a NULL out or a stack_size above CAFE_STACK_MAX, CAFE_ENOMEM,
 * or the error of libuv's loop init (e.g. CAFE_EMFILE). */
int cafe_loop_create(cafe_loop_t **out, const cafe_loop_opts_t *opts);

/* Runs fn(arg) as the main task and returns when it and every task started on this loop
 * have finished. result (may be NULL) receives the main task's status and value. Returns 0,
 * or a negative code when the main task could not be started (CAFE_EINVAL for a NULL loop
 * or fn; CAFE_EBUSY when this loop, or any loop, already runs on the calling thread: one
 * loop per thread, so no run inside a task or a libuv callback of another loop, as asyncio.run
 * refuses to run from a running event loop), or CAFE_EDEADLK (see below).
 * When the main task returns, the tasks still running are cancelled and waited for, as
 * asyncio.run does; they are counted on stderr ("cafe: main returned while ...", the first
 * eight by name) unless they were spawned with CAFE_TASK_DAEMON. A task spawned after that
 * starts cancelled. A task that ignores its cancellation keeps the run going.
 * Tasks still blocked when nothing can wake them any more (no timer, no I/O, no ready task)
 * are a deadlock: they are cancelled (even inside a shield), so they unwind, and it is
 * reported on stderr, naming them (the first eight). If what is left then are clean-up waits
 * (gather's or cafe_group_wait's after an interruption, a condition wait taking its lock back)
 * waiting on each other, nothing can end them: the run returns CAFE_EDEADLK, abandoning those tasks
 * (named on stderr) without result (result still receives main's when main had returned).
 * Abandoned is for good: their handles are dead, their waits leave the wait lists they were
 * on (a lock one waited for goes to the next waiter), and later runs of the loop neither
 * resume them nor wait for them; their stacks are freed by cafe_loop_free.
 * Failed tasks nobody joined are reported on stderr when the run ends, and the handles of
 * the run's finished tasks die with it (see Tasks). */
int cafe_loop_run(cafe_loop_t *loop, cafe_task_fn fn, void *arg, cafe_result_t *result);

/* Frees the loop: closes every handle still open and unmaps all stacks. NULL is a no-op.
 * Called while the loop runs (from one of its tasks, another thread or a cafe_thread_run
 * function), it aborts the process with a message saying from where.
 * Lifecycle: a loop is its creator's, from cafe_loop_create to cafe_loop_free, and may be run
 * any number of times in between, one run at a time. Close its streams and signal watchers
 * before freeing it (they belong to it): one left open aborts the process with a message
 * (unless a deadlock abandoned tasks, which could not close theirs); the handles of its tasks
 * die with their run.
 * fork(): a loop belongs to the process that made it (its epoll instance and sockets are
 * shared with a child): in a child, cafe_loop_run and cafe_loop_free of a loop made before
 * the fork abort with a message, and so does the next turn of the loop a task forked from. A
 * child execs or _exits, or makes a loop of its own, outside any run; it leaves the parent's
 * loop alone, unfreed (freeing it would shut down connections the parent still uses). */
void cafe_loop_free(cafe_loop_t *loop);

/* asyncio.run: cafe_loop_create + cafe_loop_run + cafe_loop_free (CAFE_EBUSY, nothing run,
 * on a thread where a loop runs). */
int cafe_run(cafe_task_fn fn, void *arg, cafe_result_t *result);

/* The loop running on this thread, or NULL outside cafe_loop_run. Its creator's (see
 * cafe_loop_free): the caller never frees it. */
cafe_loop_t *cafe_loop_current(void);

/* The libuv loop under a cafe loop, for code that wants to add its own libuv handles.
 * Returned as void * so that this header does not need uv.h; cast to uv_loop_t *. Part of
 * the cafe loop (NULL for a NULL loop): valid until cafe_loop_free, which closes the handles
 * still open on it (close yours first: their memory is yours, and their close callbacks would
 * not run). Your handles run at every turn of the loop, unreferenced ones too (uv_unref: as in
 * libuv, they keep no run going, but a task's yield lets them run, as it lets I/O). libuv's
 * loop is not thread-safe: a call from a cafe_thread_run function, or from another thread while
 * the loop runs, aborts the process with a message (reach the loop from other threads through
 * uv_async_send on a uv_async_t initialised on its thread). */
void *cafe_loop_uv(cafe_loop_t *loop);

/* Milliseconds on the loop's monotonic clock, read now (asyncio's loop.time(); libuv's
 * cached time, which stands still through a turn, is refreshed): what cafe_task_sleep and
 * cafe_deadline_begin count from, so a sleep of `at - cafe_loop_now(loop)` ends at `at`,
 * while `at` is ahead: counts are unsigned, so once `at` has passed that difference wraps
 * round to a wait of some 584 million years; write `at > now ? at - now : 0`.
 * A NULL loop aborts the process with a message, and so does a call from a cafe_thread_run
 * function or, while the loop runs, from a thread other than its own (it refreshes the loop's
 * clock). */
uint64_t cafe_loop_now(cafe_loop_t *loop);

/* ------------------------------------------------------------------------------------------ */
/* Tasks.
 *
 * Lifecycle: a task handle is owned by its spawner until cafe_task_join (or gather)
 * returned 0 for it, or cafe_task_detach was called; after that the handle is dead, except
 * that cafe_task_cancel still takes a detached task's handle until the task finishes (a
 * way to stop background work without waiting for it). The main task's handle (what
 * cafe_task_current() returns in it) is cafe_loop_run's, which joins it: join, detach,
 * gather and wait_any refuse it with CAFE_EINVAL; cafe_task_cancel takes it.
 * A handle stays valid after its task finished, until it is joined or detached, or the
 * loop run it was spawned in ends: no task vanishes under its owner while the run goes on.
 * When cafe_loop_run returns, the handles of its finished tasks nobody joined are dead: the
 * results of the failed ones are reported on stderr as never joined (the first eight a line
 * each, the rest counted; a task that was cancelled and ended with CAFE_ECANCELED did not
 * fail: it did what it was asked, as cafe_group_failed counts it), and a later run of the same loop
 * refuses those handles with CAFE_EINVAL like any dead handle.
 *
 * Handles are not pointers to memory: each carries a generation, so a dead (stale) handle
 * never reaches the task that came after it. Every call given a dead handle, or one of
 * another loop (an earlier cafe_run's included) or of an earlier run of the same loop,
 * returns CAFE_EINVAL and does nothing.
 *
 * Cancellation is sticky: once cancelled, every suspending call of the task returns
 * CAFE_ECANCELED (it still lets the other tasks run once, so a task that ignores it costs
 * CPU but cannot freeze the loop), until the task returns, and takes nothing: no permit,
 * queue item, signal delivery or pool thread, even when it would not have to wait (asyncio
 * delivers a cancellation only where a call suspends: there an acquire of a free permit, a
 * get from a non-empty queue or a wait on a set event still succeed, and the next call that
 * suspends raises). What a call can tell from its arguments alone comes first, as what a
 * coroutine checks before its first await raises first in asyncio: a cancelled task's call
 * with a bad argument returns that error (CAFE_EINVAL, CAFE_EDEADLK for a join of itself, a
 * malformed URL or unsupported scheme in cafe_http_request...), and with good ones
 * CAFE_ECANCELED before it does anything (no lookup, connection, permit or pool work, even
 * where a lookup's answer is known already). Inside a shield (cafe_shield_begin) it is held
 * back. The one
 * exception, so that a cancelled task can still collect what finished:
 * a result that is already there is returned as usual (joining, gathering or wait_any on
 * finished tasks, a resolved future, cafe_group_wait with no child running, the bytes a TCP
 * stream has already received). A passed deadline (cafe_deadline_begin) acts the same way.
 *
 * No preemption, as in asyncio: a task runs until it makes a suspending call or returns. One
 * that computes for long without one holds the whole loop meanwhile: no other task, timer,
 * I/O or libuv callback runs, and its own deadline is seen only at its next suspending call.
 * cafe has no watchdog (asyncio's debug mode logs slow callbacks). To notice such a task, run
 * a CAFE_TASK_DAEMON task that sleeps a fixed time in a loop and reports when cafe_loop_now
 * says it woke much later than it asked; to avoid one, call cafe_task_yield in long loops, or
 * move the work to cafe_thread_run.
 *
 * Stacks: each task runs on its own stack of `stack_size` bytes of address space
 * (CAFE_STACK_DEFAULT = 128 KiB, at least CAFE_STACK_MIN). Only touched pages cost memory:
 * a sleeping task costs about one page of stack plus ~300 bytes of bookkeeping. Stacks are
 * carved from mappings that hold many of them and reused through a free list; when the loop
 * goes idle, the pages of idle stacks beyond what the last second or two of use may take
 * again and a small hot cache (64 stacks of a size, 8 MiB of them at most) are given back to
 * the kernel (madvise DONTNEED).
 * Overflow protection, in order of preference: a guard page installed with
 * MADV_GUARD_INSTALL (Linux 6.13+: costs no extra mapping), else an mprotect'ed guard page
 * while the process stays well under vm.max_map_count (each such guard splits the mapping in
 * two: the guards of all the process's loops together take half of it at most), else none: a
 * stack without a guard page has a canary at its far end, checked
 * whenever the task is switched out, and a smashed canary aborts the process with a message
 * (a guarded stack has none: an overflow faults at once there). A task that runs into its
 * guard page is stopped by a SIGSEGV handler (on an alternate signal stack) that names the
 * task and its stack size, then aborts (a future's cancel callback overflowing the stack of
 * the task that cancelled its waiter is named as such, with that task).
 * A frame larger than the guard page (a big array or alloca) could jump over it and land in
 * a neighbouring stack: libcafe is built with -fstack-clash-protection, which touches each
 * page of a large frame in order, and code that runs in tasks should be built with it too
 * (`pkg-config --cflags cafe` includes it).
 * Callbacks of libuv, libcurl and OpenSSL run on the loop's own stack, never on a task's. */

#define CAFE_STACK_DEFAULT (128u * 1024u)
#define CAFE_STACK_MIN (16u * 1024u)
#define CAFE_STACK_MAX (64u * 1024u * 1024u)

/* cafe_task_opts_t.flags */
enum {
    /* A deliberately long-lived task (a ticker, a server loop): when the main task returns it
     * is cancelled and waited for like the others, but not reported. */
    CAFE_TASK_DAEMON = 1
};

typedef struct cafe_task_opts {
    size_t stack_size; /* 0 = the loop's default; CAFE_EINVAL above CAFE_STACK_MAX */
    /* For error reports; may be NULL. Not copied: valid until the task is joined (gather,
     * as_completed...), or else until the loop run ends, which names the failed tasks nobody
     * joined (detached ones too); a string literal is the safe choice. */
    const char *name;
    unsigned flags; /* CAFE_TASK_DAEMON, or 0 */
} cafe_task_opts_t;

/* asyncio.create_task: starts fn(arg) as a new task on the current loop and returns its
 * handle in *out at once. The new task first runs when the caller next waits (or, called
 * outside any task on a running loop, on the loop's next turn). opts may be NULL.
 * Errors: CAFE_ENOTASK with no running loop, CAFE_ENOMEM, CAFE_EINVAL (no fn, a stack_size
 * above CAFE_STACK_MAX, unknown flags). */
int cafe_task_spawn(cafe_task_t **out, cafe_task_fn fn, void *arg, const cafe_task_opts_t *opts);

/* await task: waits for t to finish and stores its status and value in *result (may be
 * NULL); the handle is then dead. Returns 0 when joined. Otherwise the handle stays valid:
 * CAFE_ECANCELED / CAFE_ETIMEDOUT when the caller was cancelled or its deadline passed while
 * waiting (unless t finished before the caller ran again, e.g. in the same millisecond as
 * the deadline: its result is there then, and is returned, as asyncio.wait_for does),
 * CAFE_EDEADLK for joining yourself or a task that waits for you (directly, or
 * down a chain of joins, gathers, wait_any and group waits, a group's children being waited
 * for by the tasks in its cafe_group_wait: nothing could end that wait), CAFE_EBUSY
 * when another task already waits on t (or gathers it, finished or not), CAFE_EINVAL for a
 * dead, detached or group-owned handle, CAFE_ENOTASK outside a task when t has not finished
 * yet.
 * Unlike `await task` in asyncio, which cancels the task awaited when the awaiting one is
 * cancelled (or its timeout fires), an interrupted join leaves t running: as if awaited
 * through asyncio.shield. For asyncio's behaviour, cancel t and join it again (gather and
 * cafe_group_wait do cancel what they wait for when interrupted). */
int cafe_task_join(cafe_task_t *t, cafe_result_t *result);

/* Join with a timeout of `ms` milliseconds; on CAFE_ETIMEDOUT, and on CAFE_ECANCELED when the
 * caller is cancelled while it waits, the task keeps running and the handle stays valid
 * (cancel and join it for asyncio.wait_for's behaviour, which cancels it in both cases). */
int cafe_task_join_timeout(cafe_task_t *t, uint64_t ms, cafe_result_t *result);

/* asyncio.gather(..., return_exceptions=True): joins n tasks; results[i] holds task i's
 * status and value, in the order given, whatever the order they finish in. Returns 0, or
 * CAFE_ECANCELED / CAFE_ETIMEDOUT when the caller was cancelled or timed out while waiting:
 * then every unfinished task is cancelled and still waited for, so results[] is complete and
 * nothing keeps running. Either way every handle is dead afterwards.
 * From the call on, the handles are gather's: while it waits for one, another task's join,
 * join_timeout, detach, wait_any or gather of any of them (finished or not) returns
 * CAFE_EBUSY, so none can be taken from under it.
 * Every handle is checked before any is touched: CAFE_EINVAL (a dead, detached or group
 * handle, the caller's own, one listed twice), CAFE_EDEADLK (one waits for the caller, as
 * for join), CAFE_EBUSY (another task waits on one) or CAFE_ENOTASK (outside a task, one
 * not finished) leave every handle and results[] as they were. */
int cafe_task_gather(cafe_task_t *const *tasks, size_t n, cafe_result_t *results);

/* Fail-fast gather (asyncio.gather without return_exceptions, but leaving nothing running):
 * like cafe_task_gather, except that the first task to fail (negative status) makes the
 * others be cancelled; they are still waited for, so results[] is complete. Returns 0 when
 * every task succeeded, else the status of the first task to fail (in finishing order), or
 * the caller's own CAFE_ECANCELED / CAFE_ETIMEDOUT. Every handle is dead afterwards; the
 * checks and errors before anything is touched are gather's. */
int cafe_task_gather_failfast(cafe_task_t *const *tasks, size_t n, cafe_result_t *results);

/* asyncio.wait(..., return_when=FIRST_COMPLETED): waits until one of the tasks has finished
 * and stores its position in *index (the one that finished first, when several have). Joins
 * nothing: every handle stays valid. NULL entries are skipped. Returns 0, CAFE_ECANCELED /
 * CAFE_ETIMEDOUT (caller interrupted, and none finished before it ran again: as for join),
 * CAFE_EINVAL (no task, or a bad handle as for gather), CAFE_EDEADLK and CAFE_EBUSY (as for
 * gather), CAFE_ENOTASK (outside a task, none finished). */
int cafe_task_wait_any(cafe_task_t *const *tasks, size_t n, size_t *index);

/* asyncio.as_completed: joins the tasks of tasks[] in the order they finished, one per call:
 * stores its position in *index and its status and value in *result (may be NULL), and sets
 * tasks[*index] to NULL. Returns 0, CAFE_EOF once every entry is NULL (at once for n 0, tasks
 * NULL or not), or wait_any's errors (then nothing was joined; the remaining handles are still
 * the caller's, in tasks[]). Loop on it:
 *
 *     while ((rc = cafe_task_as_completed(tasks, n, &i, &r)) == 0) use(i, r);
 *
 * Cost: each call reads all n entries (as cafe_task_wait_any does), so that loop takes n^2
 * steps: nothing for hundreds of tasks, seconds of CPU for 20000. Kept for short lists and
 * old code; cafe_as_completed_t below is linear, as asyncio's is, and is the one to use.
 */
int cafe_task_as_completed(cafe_task_t **tasks, size_t n, size_t *index, cafe_result_t *result);

/* asyncio.as_completed, linear in the number of tasks: a completion set claims the tasks
 * once, each task's end puts it on the set, and each next takes the earliest finished one
 * without reading the others. Lifecycle: cafe_as_completed_create, next until CAFE_EOF (or
 * stop early), cafe_as_completed_free; all from the task that created it, which must free it
 * before it returns (the tasks still hold the set's claim until then): a task that returns
 * with a set it created not freed aborts the process with a message naming the task.
 *
 *     cafe_as_completed_t *ac;
 *     if ((rc = cafe_as_completed_create(&ac, tasks, n)) == 0) {
 *         while ((rc = cafe_as_completed_next(ac, &i, &r)) == 0) use(i, r);
 *         cafe_as_completed_free(ac);
 *     }
 *
 * From create on, the handles are the set's, as for gather: another task's join, detach,
 * wait_any or gather of any of them returns CAFE_EBUSY, and one that would wait for the
 * creator returns CAFE_EDEADLK (the creator waits for it in next). Those next has not
 * returned are the caller's again after free (live, to join or detach). */
typedef struct cafe_as_completed cafe_as_completed_t;

/* Copies tasks[0..n) (tasks may go after the call) and claims them. Every handle is checked
 * first, with gather's errors (CAFE_EINVAL, CAFE_EDEADLK, CAFE_EBUSY, CAFE_ENOTASK), and
 * CAFE_ENOMEM: then nothing is claimed and *out is untouched. n 0 makes an empty set. */
int cafe_as_completed_create(cafe_as_completed_t **out, cafe_task_t *const *tasks, size_t n);
/* Joins the next task to finish (the earliest finished one, when several have): stores its
 * position in the list given to create in *index and its status and value in *result (may be
 * NULL); its handle is dead then. Returns 0, CAFE_EOF once all n were returned, CAFE_ECANCELED /
 * CAFE_ETIMEDOUT when the caller was interrupted while waiting and none finished before it
 * ran again (nothing joined: call again), CAFE_EINVAL for a NULL ac or index or a call from
 * another task than the creator. A task that finished is returned even to a cancelled
 * caller, as every result already there is. */
int cafe_as_completed_next(cafe_as_completed_t *ac, size_t *index, cafe_result_t *result);
/* Gives back the claim on the tasks next has not returned and frees ac; NULL is a no-op. A
 * free by another task than the creator (one waiting in next on ac, say) aborts the process
 * with a message. */
void cafe_as_completed_free(cafe_as_completed_t *ac);

/* Gives up the handle: the task runs on and is freed when it finishes; its failure, if any,
 * is reported on stderr when the loop run ends. CAFE_EINVAL for a dead handle, CAFE_EBUSY
 * while another task waits on t (join, wait_any, as_completed, gather, gather_failfast): the
 * waiter ends the handle. */
int cafe_task_detach(cafe_task_t *t);

/* Requests cancellation: t's current suspending call (if any) returns CAFE_ECANCELED now and
 * so does every later one, until t exits (outside shields: see cafe_shield_begin). A task
 * cancelling itself just gets the later ones. Cancelling a finished task does nothing.
 * A task cancelled before it first ran still runs, unlike asyncio's, whose coroutine is never
 * started: its function is called, and its first suspending call returns CAFE_ECANCELED (so
 * it can still free what its argument owns; what it does before that call is done).
 * A call whose wait was already over when t was cancelled, t not having run since, returns
 * CAFE_ECANCELED too when what it was handed can be handed on, as in asyncio: a semaphore's
 * permit goes to the next waiter, a queue item to the next getter or back to the queue's
 * front, signal deliveries to the next waiter or back to the watcher's count, a TCP
 * connection to the next acceptor or back to the listener (cafe/tcp.h); nothing is
 * lost (unless the semaphore or queue was destroyed meanwhile: then the call keeps what it
 * got and returns 0); and so do a sleep that ended and an event wait that was woken, which
 * were handed nothing, and a call its deadline interrupted in that turn (CAFE_ECANCELED, not
 * CAFE_ETIMEDOUT, and its scope's end reports no timeout: asyncio.timeout lets a second
 * cancellation through). A result already there is returned as usual (a joined task's, a
 * resolved future's, a put whose item went in), and the later calls see the cancellation.
 * Calls waiting on a thread-pool function (cafe_thread_run) see it when the function
 * returns. CAFE_EINVAL for a dead handle (a detached task's is dead once it finished). */
int cafe_task_cancel(cafe_task_t *t);

/* The running task, or NULL on the loop's own stack / outside any loop. From a
 * cafe_thread_run function it aborts the process with a message (that thread runs no task). */
cafe_task_t *cafe_task_current(void);

/* Nonzero when the current task has been cancelled (also inside a shield). From a
 * cafe_thread_run function it aborts the process with a message: it could only ever say 0
 * there. Pool work that should stop early reads a flag of its own: an atomic that the code
 * cancelling its task sets too (the task itself waits in cafe_thread_run meanwhile). */
int cafe_task_cancelled(void);

/* asyncio.sleep: suspends the current task for ms milliseconds from the call (not from the
 * start of the loop's turn, which the tasks before may have spent computing); other tasks
 * run. Outside any loop it blocks the thread; on the thread of a running loop outside a task
 * (a libuv callback, an HTTP body callback), which it would freeze, it returns CAFE_ENOTASK.
 * Returns 0, CAFE_ECANCELED or CAFE_ETIMEDOUT (deadline). As in asyncio, a sleep of 0 is
 * cafe_task_yield. ms is unsigned: a negative count converted to it (asyncio's sleep(-1) returns at
 * once) is a sleep of ~584 million years, as is any huge count (UINT64_MAX: for good); the same
 * goes for the ms of cafe_deadline_begin and cafe_task_join_timeout, whose 0 has passed at once. */
int cafe_task_sleep(uint64_t ms);

/* asyncio.sleep(0): lets every other ready task run, and pending I/O be processed, once.
 * Returns 0, CAFE_ECANCELED or CAFE_ETIMEDOUT. Outside a task: 0 at once. */
int cafe_task_yield(void);

/* ------------------------------------------------------------------------------------------ */
/* Deadlines (asyncio.timeout): every suspending call between begin and end returns
 * CAFE_ETIMEDOUT once `ms` milliseconds have passed since begin (or an enclosing deadline
 * passed first). Scopes nest and must be ended in reverse order, once, by the task that
 * began them (with the shields: see below); an end out of that order, or outside any task,
 * aborts the process with a message.
 * Lifecycle: the struct is the caller's, on its stack, and needs no initialisation; from
 * begin to end it belongs to the task that began it and must not move. Begin it again only
 * after its end: a begin of a scope still active in this task aborts (one active in another
 * task, or more than 64 scopes out in this one, aborts at an end or return that finds the
 * scopes out of order), and so does a task that returns with a scope still active (a
 * function that returns with one, at the task's next begin if that comes first). Begin and
 * end cost O(1) however deep scopes nest. */

typedef struct cafe_deadline {
    void *private_outer_scope; /* first, in a shield too */
    uint64_t private_at;
    uint64_t private_outer, private_outer_timed_out;
    cafe_task_t *private_task; /* the task that began it */
} cafe_deadline_t;

/* CAFE_ENOTASK outside a task (the scope is then inert and end returns 0); CAFE_EINVAL,
 * nothing begun, for a NULL d (and end returns CAFE_EINVAL for one). */
int cafe_deadline_begin(cafe_deadline_t *d, uint64_t ms);
/* Returns CAFE_ETIMEDOUT if this scope's own deadline interrupted a suspending call in it
 * (one returned CAFE_ETIMEDOUT because of it; not because of an enclosing scope's that came
 * first: that one's end says so), else 0, as asyncio.timeout raises TimeoutError only when
 * its cancellation came: time that ran out while no call noticed (the task computing, or
 * woken with what it waited for before its deadline fired and running after it) is 0. */
int cafe_deadline_end(cafe_deadline_t *d);

/* Shields (asyncio.shield, Trio's shielded cancel scope): between begin and end, neither the
 * task's cancellation nor the deadlines begun before the shield interrupt its suspending
 * calls, so a cancelled task can still clean up asynchronously: say goodbye over TCP,
 * commit, flush. Deadlines begun inside the shield do apply (bound the clean-up with one).
 * The cancellation is not lost: cafe_task_cancelled() still says so, and the first
 * suspending call after the shield returns CAFE_ECANCELED. Unlike asyncio.shield(aw), which
 * protects aw alone (a cancellation that comes while the task awaits it raises there at once,
 * aw running on unwatched), the task itself waits on: a second cancellation during a shielded
 * clean-up is held back too, and the clean-up's result is the task's to see. Shields nest,
 * with each other and with deadlines; end them in reverse order, in the task that began them
 * (an end out of order, in another task or outside any task, aborts the process with a
 * message). The struct's lifecycle is a deadline's: the caller's, on its stack, no
 * initialisation, begun again only after its end. */
typedef struct cafe_shield {
    void *private_outer_scope; /* first, in a deadline too */
    uint64_t private_outer_deadline;
    int private_outer_shielded;
    cafe_task_t *private_task; /* the task that began it, until it ends */
} cafe_shield_t;

/* CAFE_ENOTASK outside a task (the shield is then inert and end returns 0); CAFE_EINVAL,
 * nothing begun, for a NULL s (and end returns CAFE_EINVAL for one). */
int cafe_shield_begin(cafe_shield_t *s);
/* Returns CAFE_ECANCELED when the task's cancellation applies again after this shield (it
 * was cancelled, and no outer shield holds it back), else 0. */
int cafe_shield_end(cafe_shield_t *s);

/* ------------------------------------------------------------------------------------------ */
/* Synchronisation between tasks of one loop. Each object is plain memory owned by the caller:
 * init it, use it from tasks, and destroy it when no task waits on it any more. An init starts
 * afresh and cannot tell a struct in use from uninitialised memory: init only one that no task
 * waits on (fresh, or destroyed). Its waiters would be forgotten, and the first of them to
 * leave the wait list (cancelled, timed out, or the run ending) aborts the process with a
 * message, before it could unlink the tasks that waited since. Let a semaphore's or queue's memory
 * go only after its destroy: until then a task it woke, cancelled before it ran, hands back into it
 * what it was handed (see cafe_task_cancel). Waiters are served in FIFO order. Every waiting call
 * may return CAFE_ECANCELED or CAFE_ETIMEDOUT (and then did not take anything), or CAFE_ENOTASK
 * outside a task when it would have to wait. A waiter handed its permit or item before its
 * deadline fired keeps it and returns 0 even when the deadline passes before it runs (its
 * next wait times out), as asyncio runs a woken task before a timeout's callback queued
 * after the wake-up; a deadline that fired first leaves it to the next waiter.
 * An object in a task's stack (a local variable) must see its waiters leave before that
 * task returns: they would wait in a dead frame, and unlink themselves from it when
 * cancelled. A task that returns while tasks wait on a semaphore, event, lock, condition,
 * queue or future it initialised in its own stack aborts the process with a message naming
 * it and one waiter (an object initialised by another task than the one whose stack holds
 * it, or copied into a stack after its init, is not checked). Waiters woken and not run yet
 * are gone from it already, but one cancelled before it runs hands its permit or item back
 * into the object (see cafe_task_cancel): destroy a local semaphore or queue before
 * returning, which takes that back. */

struct cafe__wait;
struct cafe__task;
typedef struct cafe__waitlist {
    struct cafe__wait *private_first, *private_last;
    struct cafe__task *private_frame; /* the task in whose stack the list lies, or NULL */
} cafe__waitlist_t;

/* Completions: asyncio's Future for C. The bridge between a task and a callback-style
 * library (hiredis, libpq, an HTTP server library, a libuv request): the task inits a future,
 * hands it to the callback, and waits; the callback resolves it on the loop thread.
 *
 *     cafe_future_t f;
 *     cafe_future_init(&f, on_cancel);   // f.data is yours: put the op's context there
 *     start_op(&f);                      // its callback calls cafe_future_resolve(&f, rc, value)
 *     int rc = cafe_future_wait(&f, &value);
 *
 * Lifecycle: plain memory owned by the caller (stack or heap); no destroy call. It must stay
 * valid until it is resolved, or until its cancel callback has run (see below).
 *
 * Several tasks may wait on one future (single-flight: one fetch, many waiters); all wake
 * with the same result. A waiter interrupted by cancellation or its deadline leaves with
 * CAFE_ECANCELED / CAFE_ETIMEDOUT, and the others wait on (in asyncio, a task cancelled
 * while it awaits a future cancels the future, for every waiter). When the last waiter
 * leaves that way and the future has a cancel callback, the future becomes cancelled and
 * cancel_cb(f) runs at once (on whatever stack interrupted the wait), outside any task, as a
 * libuv callback does: its suspending calls return CAFE_ENOTASK (cafe_task_sleep too), and
 * cafe_task_current() is NULL there. It must make sure nobody resolves f any more (detach the
 * library's callback from f, or cancel the operation). A future without a cancel callback must
 * outlive every resolver (heap, or a struct of a longer-lived task). */
typedef struct cafe_future cafe_future_t;
/* Called when a wait on f is interrupted (see above), outside any task: must stop every
 * resolver of f. */
typedef void (*cafe_future_cancel_cb)(cafe_future_t *f);
struct cafe_future {
    void *data; /* the caller's; cafe never touches it */
    cafe_future_cancel_cb private_cancel;
    int private_state, private_result;
    void *private_value;
    cafe__waitlist_t private_waiters;
    const void *private_thread; /* the thread it belongs to: see "Threads" at the top */
};

/* Makes f pending. cancel_cb may be NULL (see above). A NULL f, as for every call below that
 * returns no error code (cafe_future_done), aborts with a message; resolve and wait return
 * CAFE_EINVAL for one. The same holds for the semaphore, event, lock, condition, queue and
 * group calls: CAFE_EINVAL from those that return codes, an abort from the others (init,
 * set, clear, close, cancel, the counts and 0/1 answers). */
void cafe_future_init(cafe_future_t *f, cafe_future_cancel_cb cancel_cb);
/* Completes f with result (0 or a count, or a negative CAFE_E* code) and value, and wakes
 * every waiter. Call it on the loop's thread, from a callback or a task. The first call wins:
 * CAFE_EINVAL when f is already resolved or cancelled (f is left as it was). */
int cafe_future_resolve(cafe_future_t *f, int result, void *value);
/* Waits until f is resolved and returns its result; value (may be NULL) receives its value.
 * Returns at once when f is already resolved. CAFE_ECANCELED / CAFE_ETIMEDOUT when this wait
 * was interrupted (f may still be pending for other waiters) or f was cancelled;
 * CAFE_ENOTASK outside a task while f is pending. */
int cafe_future_wait(cafe_future_t *f, void **value);
/* 1 once f is resolved or cancelled, 0 while pending. */
int cafe_future_done(const cafe_future_t *f);

/* asyncio.Semaphore (and BoundedSemaphore: cafe_sem_init_bounded). Lifecycle: plain memory
 * owned by the caller (stack, heap, a struct): cafe_sem_init, then calls from its loop's
 * thread (see "Threads"), then cafe_sem_destroy once no task waits on it (it frees nothing;
 * it marks s dead). */
typedef struct cafe_sem {
    size_t private_count;
    size_t private_bound;  /* most permits it may hold: SIZE_MAX, or the bounded init's */
    size_t private_handed; /* waiters handed a permit that have not run yet */
    cafe__waitlist_t private_waiters;
    const void *private_thread;
} cafe_sem_t;

/* Makes s a semaphore with `permits` free permits (0: the first acquire waits for a
 * release). Allocates nothing, cannot fail; s is the caller's memory, bound to the calling
 * thread's loop (see "Threads"). */
void cafe_sem_init(cafe_sem_t *s, size_t permits);
/* asyncio.BoundedSemaphore: like cafe_sem_init, but a release that would make the free
 * permits more than `permits` is refused (see cafe_sem_release). */
void cafe_sem_init_bounded(cafe_sem_t *s, size_t permits);
/* Takes a permit, waiting in FIFO order while none is free (no barging: a release hands it
 * to the first waiter). 0 once the permit is the caller's (give it back with
 * cafe_sem_release); CAFE_ECANCELED / CAFE_ETIMEDOUT when the task is cancelled or past its
 * deadline, before or while it waits (nothing taken); CAFE_ENOTASK outside a task when it
 * would have to wait. */
int cafe_sem_acquire(cafe_sem_t *s);
/* 0 when a permit was taken, CAFE_EAGAIN when none is free. Never waits. */
int cafe_sem_try_acquire(cafe_sem_t *s);
/* Returns a permit; a waiting task gets it directly (no barging). 0, or CAFE_EINVAL (nothing
 * changed) when no task waits and the free permits are already at the bound: a bounded
 * semaphore's permits (asyncio's ValueError "released too many times"; as there, a permit
 * handed to a waiter that has not run yet is not free), or SIZE_MAX for a plain one, whose
 * count would wrap round to 0. A semaphore bounded at 0 refuses every release, waiters or
 * not, as asyncio's BoundedSemaphore(0) does: its waiters wait until interrupted. */
int cafe_sem_release(cafe_sem_t *s);
/* The free permits (asyncio's _value): 0 while tasks wait, and 0 for a permit handed to a
 * waiter that has not run yet. Never waits. */
size_t cafe_sem_available(const cafe_sem_t *s);
/* CAFE_EBUSY while tasks wait on it. After it, every call on s but cafe_sem_init aborts the
 * process with a message naming the call (a second destroy included). */
int cafe_sem_destroy(cafe_sem_t *s);

/* asyncio.Event. Lifecycle: a semaphore's: plain memory owned by the caller,
 * cafe_event_init, calls from its loop's thread, cafe_event_destroy once no task waits. */
typedef struct cafe_event {
    int private_set;
    cafe__waitlist_t private_waiters;
    const void *private_thread;
} cafe_event_t;

/* Makes e an event that is not set. Allocates nothing, cannot fail; e is the caller's
 * memory, bound to the calling thread's loop (see "Threads"). */
void cafe_event_init(cafe_event_t *e);
/* Wakes every waiter; the event stays set until cleared. */
void cafe_event_set(cafe_event_t *e);
/* Unsets e: later waits wait again. Waiters already woken by a set still return 0. */
void cafe_event_clear(cafe_event_t *e);
/* 1 while e is set, else 0. Never waits. */
int cafe_event_is_set(const cafe_event_t *e);
/* Returns 0 at once when e is set, else waits until cafe_event_set. CAFE_ECANCELED /
 * CAFE_ETIMEDOUT when the task is cancelled or past its deadline (checked first, even when e
 * is set); CAFE_ENOTASK outside a task when e is not set. */
int cafe_event_wait(cafe_event_t *e);
/* CAFE_EBUSY while tasks wait on it. After it, every call on e but cafe_event_init aborts
 * the process with a message naming the call (a second destroy included). */
int cafe_event_destroy(cafe_event_t *e);

/* asyncio.Lock: a semaphore of one permit, with asyncio's checks. A cafe_sem_t initialised to
 * 1 already acts as asyncio's Lock (FIFO, no barging, a permit handed to a waiter cancelled
 * before it ran goes to the next one, deadlines as for any wait); cafe_lock_t adds what
 * differs: release of a lock that is not held is refused (CAFE_ENOTLOCKED, asyncio's
 * RuntimeError) instead of making a second permit, and cafe_lock_locked. Like asyncio's, the
 * lock has no owner: any task may release it. A release with tasks waiting hands the lock to
 * the first of them; until that one runs, nobody holds it, as in asyncio: locked() is 0, a
 * release (or a condition's wait or notify on it) is CAFE_ENOTLOCKED, and no other task can
 * take it (try_acquire: CAFE_EAGAIN; acquire waits its turn).
 * Lifecycle: a semaphore's: plain memory owned by the caller, cafe_lock_init, calls from its
 * loop's thread, cafe_lock_destroy once no task waits. */
typedef struct cafe_lock {
    cafe_sem_t private_sem;
    int private_handing; /* handed to a waiter that has not run yet: held by nobody */
} cafe_lock_t;

/* Makes l a lock that nobody holds. Allocates nothing, cannot fail; l is the caller's
 * memory, bound to the calling thread's loop (see "Threads"). */
void cafe_lock_init(cafe_lock_t *l);
/* 0 once the lock is the caller's; CAFE_ECANCELED / CAFE_ETIMEDOUT / CAFE_ENOTASK as any
 * wait. */
int cafe_lock_acquire(cafe_lock_t *l);
/* 0 when taken, CAFE_EAGAIN when held (or tasks wait for it). Never waits. */
int cafe_lock_try_acquire(cafe_lock_t *l);
/* 0, or CAFE_ENOTLOCKED (nothing changed) when the lock is not held. */
int cafe_lock_release(cafe_lock_t *l);
/* 1 while held (not while handed to a waiter that has not run yet), else 0. */
int cafe_lock_locked(const cafe_lock_t *l);
/* CAFE_EBUSY while tasks wait on it. After it, every call on l but cafe_lock_init aborts the
 * process with a message naming the call. */
int cafe_lock_destroy(cafe_lock_t *l);

/* asyncio.Condition: tasks wait, the lock released, until another task notifies them; each
 * returns holding the lock again. Built on a cafe_lock_t: the caller's (several conditions
 * may share one) or, given NULL, one of its own; cafe_cond_lock returns it, to acquire and
 * release around the wait (asyncio's `async with cond`):
 *
 *     if ((rc = cafe_lock_acquire(cafe_cond_lock(&c))) != 0)
 *         return rc;                 // interrupted: the lock is not ours, leave it alone
 *     while (!ready)
 *         if ((rc = cafe_cond_wait(&c)) != 0)
 *             break;                 // interrupted: the lock is held again all the same
 *     // ... read or change what ready tells, under the lock ...
 *     cafe_lock_release(cafe_cond_lock(&c));
 *
 * Lifecycle: plain memory owned by the caller, cafe_cond_init, calls from its loop's thread,
 * cafe_cond_destroy once no task is inside its wait (nor waits for its own lock); a caller's
 * lock must outlive the condition. Waiters are notified in FIFO order. */
typedef struct cafe_cond {
    cafe_lock_t *private_lock; /* the caller's, or NULL: private_own */
    cafe_lock_t private_own;
    cafe__waitlist_t private_waiters;
    size_t private_inside; /* tasks inside cafe_cond_wait */
    const void *private_thread;
} cafe_cond_t;

/* Makes c a condition on lock, the caller's (it must outlive c, and may serve several
 * conditions), or on a lock of c's own when lock is NULL. Allocates nothing, cannot fail; c
 * is the caller's memory, bound to the calling thread's loop (see "Threads"). */
void cafe_cond_init(cafe_cond_t *c, cafe_lock_t *lock);
/* The lock c uses (the one given to init, or its own). */
cafe_lock_t *cafe_cond_lock(cafe_cond_t *c);
/* Releases the lock, waits to be notified, and acquires the lock again, as asyncio's
 * Condition.wait: the lock is held again on every return but CAFE_ENOTLOCKED (the caller did
 * not hold it) and CAFE_ENOTASK (outside a task). Returns 0 when notified; CAFE_ECANCELED /
 * CAFE_ETIMEDOUT when the task was interrupted while waiting, or while it acquired the lock
 * again (which it does even then, not interruptibly, as asyncio does); a task already
 * interrupted returns at once, the lock never released. A waiter notified and cancelled
 * before it ran, or while it took the lock back, passes the notification on to the next
 * waiter (as asyncio does since 3.13, CPython gh-112202; 3.11's loses it). */
int cafe_cond_wait(cafe_cond_t *c);
/* asyncio's wait_for(predicate): returns 0 once pred(arg) is nonzero (checked first, and
 * after each wake-up, with the lock held), or cafe_cond_wait's error; CAFE_EINVAL (nothing
 * done) for a NULL pred. */
int cafe_cond_wait_for(cafe_cond_t *c, int (*pred)(void *arg), void *arg);
/* Wakes up to n waiters, in FIFO order (notify_all: every one); each returns from its wait
 * once it got the lock back, so release it after notifying. Returns how many were woken, or
 * CAFE_ENOTLOCKED when the lock is not held. Never waits. */
int cafe_cond_notify(cafe_cond_t *c, size_t n);
/* cafe_cond_notify for every waiter: how many were woken, or CAFE_ENOTLOCKED when the lock
 * is not held. Never waits. */
int cafe_cond_notify_all(cafe_cond_t *c);
/* CAFE_EBUSY while tasks are inside cafe_cond_wait on it (notified ones too, until they
 * have the lock back) or wait for its own lock. After it, every call on c but cafe_cond_init
 * aborts the process with a message naming the call. */
int cafe_cond_destroy(cafe_cond_t *c);

/* A ring of pointers, a queue's: cafe's. */
typedef struct cafe__ring {
    void **private_items;
    size_t private_slots, private_head, private_len;
} cafe__ring_t;

/* asyncio.Queue of pointers (a channel). capacity 0 makes a rendezvous channel: put waits
 * until a getter takes the item (unlike asyncio.Queue(0), which is unbounded). asyncio's
 * unbounded queue is capacity CAFE_QUEUE_UNBOUNDED: put never waits, and the ring grows
 * (doubling) as needed, so a producer faster than its consumers takes memory without bound
 * (put fails with CAFE_ENOMEM when none is left); a capacity bounds it (but for the items
 * handed to getters that have not run yet: a pointer each). close() ends the
 * stream: put then fails with CAFE_EPIPE, get drains what is left and then returns CAFE_EOF.
 * A waiting put or get is completed by the call that lets it through, as in Go's channels: a
 * put hands its item straight to the first waiting getter, and a get from a full queue moves
 * the first waiting putter's item in at once, so no task can take either first, and FIFO
 * order holds for items and waiters alike. asyncio instead only wakes the waiter, which moves
 * the item when it runs: there, a get from a full queue with putters waiting leaves a free
 * slot (qsize() one less) until they run, and the consumer sees the putters' items later; and
 * a putter cancelled after that wake-up, before it ran, raises CancelledError with its item
 * never put, where cafe's put, done already, returns 0. */
typedef struct cafe_queue {
    cafe__ring_t private_ring;   /* the items in the queue */
    cafe__ring_t private_handed; /* items handed to getters that have not run yet, in order */
    size_t private_cap, private_unfinished;
    int private_closed;
    cafe__waitlist_t private_getters, private_putters, private_joiners;
    const void *private_thread;
} cafe_queue_t;

#define CAFE_QUEUE_UNBOUNDED SIZE_MAX /* cafe_queue_init's capacity for asyncio.Queue() */

/* Allocates the ring, small whatever the capacity: it grows as items come, so a bound costs
 * nothing until it is used, as asyncio's Queue(maxsize). CAFE_ENOMEM. Lifecycle: the struct is the
 * caller's (stack, heap, a struct), the ring cafe's: pair with cafe_queue_destroy, which frees it
 * once no task waits. The items are the caller's throughout. Calls come from its loop's thread (see
 * "Threads"). */
int cafe_queue_init(cafe_queue_t *q, size_t capacity);
/* Puts item (the caller's pointer, NULL allowed; the queue never frees it) at the tail,
 * waiting while the queue is full (capacity 0: until a getter takes it). 0 once it is in the
 * queue or in a getter's hands; CAFE_EPIPE when q is closed (before or while it waits);
 * CAFE_ENOMEM when the ring cannot grow; CAFE_ECANCELED / CAFE_ETIMEDOUT when the
 * task is cancelled or past its deadline (checked first: nothing put); CAFE_ENOTASK outside
 * a task when it would have to wait. Not put means still the caller's. */
int cafe_queue_put(cafe_queue_t *q, void *item);
/* Takes the next item into *item. A NULL item is CAFE_EINVAL (as for try_get): nothing
 * taken, no wait. */
int cafe_queue_get(cafe_queue_t *q, void **item);
/* Never wait: CAFE_EAGAIN when full / empty (and CAFE_EPIPE / CAFE_EOF when closed). Unlike
 * put and get, which a cancelled task's call refuses with CAFE_ECANCELED (CAFE_ETIMEDOUT past
 * its deadline) even when they need not wait, they ignore both: a cancelled task's clean-up
 * can drain a queue. */
int cafe_queue_try_put(cafe_queue_t *q, void *item);
/* Takes the head item into *item without waiting: 0, CAFE_EAGAIN when empty, CAFE_EOF when
 * closed and drained, CAFE_EINVAL for a NULL item (nothing taken). See cafe_queue_try_put. */
int cafe_queue_try_get(cafe_queue_t *q, void **item);
/* Ends the stream: waiting putters return CAFE_EPIPE (their items still theirs), waiting
 * getters CAFE_EOF; later puts fail with CAFE_EPIPE, and gets drain what is left, then
 * return CAFE_EOF. Frees nothing (cafe_queue_destroy does); a second close changes nothing. */
void cafe_queue_close(cafe_queue_t *q);
/* Queue.join() / task_done(), the worker-pool pattern: every put that completes counts one
 * unfinished item; a consumer calls cafe_queue_task_done once per item it got, when it has
 * finished with it; cafe_queue_join waits until the count is back at 0 (returns at once when
 * it is). join is an event's wait: a joiner woken by the count reaching 0 returns 0 even if a
 * put came before it ran. task_done with no unfinished item returns CAFE_ETASK_DONE (asyncio's
 * ValueError) and changes nothing; otherwise 0. An item given back by a cancelled getter stays
 * unfinished, as an item asyncio's get never took. cafe_queue_close leaves the count alone:
 * items put before it still need their task_done. */
int cafe_queue_join(cafe_queue_t *q);
/* Marks one item got from q as finished (see cafe_queue_join): 0, waking the joiners when
 * none is left unfinished, or CAFE_ETASK_DONE (nothing changed) when none was. Never waits. */
int cafe_queue_task_done(cafe_queue_t *q);
/* Items put and not yet marked done (asyncio's unfinished_tasks). Never waits. */
size_t cafe_queue_unfinished(const cafe_queue_t *q);
/* Items in the queue: at most its capacity, or more after getters cancelled before they ran
 * handed their items back (see cafe_task_cancel: one each), until gets take them. */
size_t cafe_queue_len(const cafe_queue_t *q);
/* Frees the ring; items still inside are the caller's to free first. CAFE_EBUSY while
 * tasks wait on it (in put, get or join). After it, every call on q but cafe_queue_init aborts the
 * process with a message naming the call (a second destroy included). */
int cafe_queue_destroy(cafe_queue_t *q);

/* ------------------------------------------------------------------------------------------ */
/* Task groups (asyncio.TaskGroup, trio's nursery): children are owned by the group; the task
 * that waits on the group cannot leave cafe_group_wait while any child runs. With
 * CAFE_GROUP_CANCEL_ON_ERROR the first child to fail cancels its siblings (as
 * cafe_group_cancel does: those spawned later in the round too): that is asyncio.TaskGroup,
 * but for one thing: asyncio's also cancels the body of its `async with` (the task that will
 * wait, in what it does before waiting), and takes that cancellation back when the body
 * leaves; cafe leaves the waiting task alone (its cancellation could not be taken back: it
 * is sticky), and cafe_group_wait returns the child's error once it is called. Without the
 * flag (flags 0) a failing child leaves its siblings running to their end, which
 * asyncio.TaskGroup never does.
 *
 * A group that lives in a task's stack (a local variable) must be waited for before that
 * task returns: a task that returns while such a group still has running children aborts
 * the process with a message naming the task and the group (the children would otherwise
 * write into its dead frame). A group elsewhere (heap, a struct) may be waited for by any
 * task.
 * After cafe_group_wait returned, the group may be used again for a new round.
 * A child's failure is for cafe_group_wait to collect: failures of a round that no wait
 * collected before the run ended (a group nobody waited for, or initialised again) are
 * counted on stderr then, the first named ("cafe: 2 task(s) of task groups failed and no
 * cafe_group_wait collected their errors; ..."), as asyncio logs "Task exception was never
 * retrieved" (unless the loop is quiet: cafe_loop_opts_t).
 * Lifecycle: plain memory owned by the caller, with no destroy call: cafe_group_init, spawns
 * and cafe_group_wait from its loop's thread (see "Threads"); the memory may go once
 * cafe_group_wait has returned (no child is left running then). */

enum { CAFE_GROUP_CANCEL_ON_ERROR = 1 };

typedef struct cafe_group {
    unsigned private_flags;
    unsigned private_init; /* which cafe_group_init made it: its children remember it */
    int private_first_error, private_waited, private_cancelled;
    size_t private_live, private_failed;
    cafe_task_t *private_owner;
    cafe__waitlist_t private_waiters;
    struct cafe__task *private_children;
    const void *private_thread;
    unsigned private_run; /* the run whose report counts this round's failures */
} cafe_group_t;

/* Makes g an empty group (flags: 0 or CAFE_GROUP_CANCEL_ON_ERROR; others abort the process
 * with a message, there being no code to return). Only when no child of it
 * runs (fresh memory, or once cafe_group_wait returned): initialised again under running
 * children, the first of them to finish aborts the process with a message (they would count
 * down the new round, whose wait would return while its own children ran). */
void cafe_group_init(cafe_group_t *g, unsigned flags);
/* Starts a child. Like cafe_task_spawn, but the group owns the handle. */
int cafe_group_spawn(cafe_group_t *g, cafe_task_fn fn, void *arg, const cafe_task_opts_t *opts);
/* Like cafe_group_spawn, and the child's status and value are stored in *result when it
 * finishes: how a group's caller collects its children's results. *result must stay valid
 * until cafe_group_wait returns (e.g. an array next to the group). */
int cafe_group_spawn_result(cafe_group_t *g, cafe_task_fn fn, void *arg,
                            const cafe_task_opts_t *opts, cafe_result_t *result);
/* Cancels every running child, and every child spawned later in this round (it starts
 * cancelled: its first suspending call returns CAFE_ECANCELED), so that a child that spawns
 * after the cancellation cannot hold the waiter. The same holds after a CAFE_GROUP_CANCEL_ON_ERROR
 * group's first failure (asyncio's TaskGroup refuses a create_task then, with RuntimeError
 * "shutting down"; cafe's spawn succeeds, so that the new child's function can still free
 * what its argument owns). A round that cafe_group_wait ended is over: cancelling it does
 * not touch the next. */
void cafe_group_cancel(cafe_group_t *g);
/* Waits until every child has finished. If the waiting task is cancelled or times out, the
 * children are cancelled and still waited for. Returns the first child's error (0 if none
 * failed), or CAFE_ECANCELED / CAFE_ETIMEDOUT for the waiter's own interruption, which wins
 * over the children's errors (asyncio.TaskGroup raises their errors then, and drops the
 * cancellation; here cafe_group_failed still counts them), or CAFE_EDEADLK (at once) when
 * called by one of g's children, which would wait for itself, or while one of them waits for
 * the caller (as for cafe_task_join: directly, or down a chain of waits).
 * The next spawn starts a new round: errors of this one are forgotten then. */
int cafe_group_wait(cafe_group_t *g);
/* Number of children of this round that failed: ended with a negative status, except the
 * CAFE_ECANCELED of a child that had been cancelled (by the group, or by anyone). */
size_t cafe_group_failed(const cafe_group_t *g);

/* ------------------------------------------------------------------------------------------ */
/* The function cafe_thread_run runs on a pool thread: its return value is the call's. */
typedef int (*cafe_work_fn)(void *arg);
/* CPU work (asyncio.to_thread / run_in_executor): runs fn(arg) on libuv's thread pool
 * (UV_THREADPOOL_SIZE threads, default 4). Only the calling task waits; the loop keeps
 * running others. fn must not call cafe: a call that belongs to a loop (spawn, sleep, a
 * semaphore's, an event's, a queue's..., or a run of a loop of its own: cafe_run,
 * cafe_loop_run, a blocking cafe_http_request) aborts the process naming it. Returns fn's
 * return value. Cancellation or the task's deadline: a call not yet started is withdrawn
 * (CAFE_ECANCELED / CAFE_ETIMEDOUT); one already running is waited for (fn's memory may be on the
 * caller's stack) and its value returned; the task's later calls see the interruption. Outside a
 * task, fn runs inline on the calling thread. A NULL fn is CAFE_EINVAL. CAFE_ENOMEM when libuv's
 * pool cannot start (its threads cannot be made: memory, or a limit on threads): checked before
 * the process's first job, as libuv itself would abort without a message. A stack overflow in
 * fn (libuv's pool threads have 8 MiB stacks) aborts the process with a message saying so.
 * libuv's own allocations: its allocator is process-wide (uv_replace_allocator), the program's
 * to set, never cafe's; the few that libuv cannot report (growing a loop's table of watched
 * descriptors) abort the process. */
int cafe_thread_run(cafe_work_fn fn, void *arg);

/* ------------------------------------------------------------------------------------------ */
/* Signals, observed through the loop. A watcher counts deliveries of one signal from open to
 * close, so none is lost between waits; while a watcher is open the signal's default action
 * (e.g. SIGINT terminating the process) is replaced. Closing the last watcher of a signal (of
 * every loop) puts back the disposition it had when the first one opened: a handler of the
 * program's, or SIG_IGN (nohup's SIGHUP), where libuv (and asyncio's remove_signal_handler)
 * leave SIG_DFL, which the next delivery would die of. Owned by the caller: open, wait, close,
 * all on the loop's thread; the watcher belongs to the loop it was opened on, and must be
 * closed before cafe_loop_free. */

typedef struct cafe_signal {
    void *private_handle;
} cafe_signal_t;

/* Starts counting deliveries of signum. Needs a running loop (CAFE_ENOTASK otherwise);
 * CAFE_EINVAL for a NULL s, a bad signal number, or a fault's (SIGSEGV, SIGBUS, SIGFPE,
 * SIGILL: a handler that returns runs the faulting instruction again, so a crash would hang
 * instead, and SIGSEGV reports stack overflows). s is filled without being read (as a TCP
 * handle: an open watcher filled again is lost, still open, until cafe_loop_free aborts). */
int cafe_signal_open(cafe_signal_t *s, int signum);
/* Waits until the signal has been delivered at least once since the last wait; returns how
 * many deliveries were counted (> 0), or a negative code. Several tasks may wait: the first
 * to wait gets the next deliveries (FIFO, even against a task that calls it meanwhile). A cancelled
 * task (or one past its deadline) gets CAFE_ECANCELED (CAFE_ETIMEDOUT) even when deliveries are
 * counted already: they are left for the next wait. */
int cafe_signal_wait(cafe_signal_t *s);
/* Deliveries counted and not yet consumed by a wait; never waits. The loop counts them at
 * each of its turns, so a task that polls this between chunks of work sees one after its next
 * cafe_task_yield. */
int cafe_signal_pending(cafe_signal_t *s);
/* Ends the watcher: tasks waiting on it return CAFE_EPIPE; a later wait or pending on s
 * returns CAFE_EINVAL (as for a NULL s; a NULL s given to close aborts with a message). Never
 * waits. */
void cafe_signal_close(cafe_signal_t *s);

#ifdef __cplusplus
}
#endif

/* The parts with headers of their own; each can also be included alone. */
#include "cafe/tcp.h"
#include "cafe/title.h"
#include "cafe/http.h"
#include "cafe/dns.h"

#endif /* CAFE_H */
