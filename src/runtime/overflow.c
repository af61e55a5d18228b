/* Stack overflow reports. A task that runs into the guard page below its stack gets SIGSEGV;
 * with the fault on the overflowing stack itself, no handler could run there, so each
 * thread running a loop gets an alternate signal stack. The handler names the task and its
 * stack size (or, for a future's cancel callback run on a task's stack, says so) and aborts; a
 * fault anywhere else goes to whatever handler was there before us (or the default action), as if
 * we were not there.
 *
 * The handler is installed once per process, at the first cafe_loop_run; a program that
 * installs its own SIGSEGV handler afterwards replaces it (a stack overflow then still
 * faults on the guard page, but goes to that handler, without cafe's report; unguarded stacks
 * are caught by their canary). Everything in the handler is async-signal-safe.
 *
 * A cafe_thread_run function runs on one of libuv's pool threads, on that thread's own stack
 * (libuv's 8 MiB, a guard page under it): each pool thread gets an alternate signal stack
 * at its first job, and the handler names an overflow there too. libuv keeps its pool
 * threads until the process exits, so that stack is never freed (64 KiB of address space a
 * thread; its pages are touched only when a signal is handled). */
#include "runtime/internal.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define ALT_STACK_SIZE (64u * 1024u)

static struct sigaction previous;

/* A pool thread's stack (cafe__overflow_arm_pool): its lowest address and size, and the
 * guard's size under it. Initial-exec: read from the handler, where nothing may allocate. */
static _Thread_local const char *pool_lo __attribute__((tls_model("initial-exec")));
static _Thread_local size_t pool_size __attribute__((tls_model("initial-exec")));
static _Thread_local size_t pool_guard __attribute__((tls_model("initial-exec")));
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

static void put(const char *s) {
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t k = write(2, s, n);
        if (k <= 0)
            return;
        s += k;
        n -= (size_t)k;
    }
}

static void put_size(size_t v) {
    char buf[24];
    char *p = buf + sizeof buf - 1;
    *p = 0;
    do
        *--p = (char)('0' + v % 10);
    while ((v /= 10) > 0);
    put(p);
}

/* The task whose stack runs, when addr lies in the guard page under that stack: the running
 * task's, or the one a future's cancel callback runs on (*lent set then). */
static const cafe__task_t *overflowed(const void *addr, int *lent) {
    cafe_loop_t *loop = cafe__loop_tls();
    const cafe__task_t *t = NULL;
    if (loop) {
        *lent = !loop->current;
        t = *lent ? loop->lent_stack : loop->current;
    }
    if (!t || !t->stack || !t->stack->guarded)
        return NULL;
    const char *a = addr, *lo = t->stack->lo;
    return a < lo && a >= lo - loop->stacks.page ? t : NULL;
}

/* Nonzero when addr lies in the guard under this pool thread's stack while a
 * cafe_thread_run function runs on it (not one of libuv's own jobs, a getaddrinfo say). */
static int pool_overflowed(const void *addr) {
    const char *a = addr;
    return cafe__tls_in_pool && pool_lo && a < pool_lo && a >= pool_lo - pool_guard;
}

static _Noreturn void report_end(size_t size, const char *advice) {
    put(" (stack of ");
    put_size(size);
    put(" bytes): ");
    put(advice);
    signal(SIGABRT, SIG_DFL);
    abort();
}

static void on_segv(int sig, siginfo_t *info, void *uctx) {
    int lent = 0;
    const cafe__task_t *t = overflowed(info->si_addr, &lent);
    if (t) {
        put(lent ? "cafe: stack overflow in a future's cancel callback, run on the stack of task "
                 : "cafe: stack overflow in task ");
        put(t->name ? t->name : "(unnamed)");
        report_end(t->stack->size, "raise its stack_size (cafe_task_opts_t) or the loop's "
                                   "default\n");
    }
    if (pool_overflowed(info->si_addr)) {
        put("cafe: stack overflow in a cafe_thread_run function, on a thread-pool thread");
        report_end(pool_size, "libuv's pool threads have stacks of that fixed size: recurse "
                              "less deeply there, or keep large data on the heap\n");
    }
    if (previous.sa_flags & SA_SIGINFO) {
        previous.sa_sigaction(sig, info, uctx);
        return;
    }
    if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
        previous.sa_handler(sig);
        return;
    }
    /* Returning re-runs the faulting instruction, which now gets the default action. */
    signal(SIGSEGV, SIG_DFL);
}

static void install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, &previous) != 0)
        previous.sa_handler = SIG_DFL;
}

void *cafe__overflow_arm(void) {
    pthread_once(&install_once, install);
    stack_t cur;
    if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE))
        return NULL; /* the thread has one already (the program's, or an outer loop's) */
    void *mem =
        mmap(NULL, ALT_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return NULL;
    stack_t ss = {.ss_sp = mem, .ss_size = ALT_STACK_SIZE, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0) {
        munmap(mem, ALT_STACK_SIZE);
        return NULL;
    }
    return mem;
}

void cafe__overflow_disarm(void *mem) {
    if (!mem)
        return;
    stack_t ss = {.ss_flags = SS_DISABLE};
    sigaltstack(&ss, NULL);
    munmap(mem, ALT_STACK_SIZE);
}

void cafe__overflow_arm_pool(void) {
    (void)cafe__overflow_arm(); /* kept for the thread's life: see the top of this file */
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0)
        return; /* no bounds known: an overflow goes to the previous handler, unnamed */
    void *lo;
    size_t size, guard;
    if (pthread_attr_getstack(&attr, &lo, &size) == 0 &&
        pthread_attr_getguardsize(&attr, &guard) == 0) {
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        pool_size = size;
        pool_guard = guard > page ? guard : page;
        pool_lo = lo;
    }
    pthread_attr_destroy(&attr);
}
