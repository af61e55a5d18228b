#include "signals.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define LEAK_CHECK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LEAK_CHECK 1
#endif
#endif
#ifdef LEAK_CHECK
#include <sanitizer/lsan_interface.h>
#endif

/* A second signal ends the program even when its loop cannot run: blocked in a write() to a
 * pipe nobody reads, the loop never saw either signal (libuv's handler only queues them for
 * it, and the write restarts), so Ctrl-C twice or SIGTERM twice did nothing. Each stop
 * signal goes through this handler first, then to libuv's; from the second one on, an
 * alarm gives the program a second to act on it (cafe titles and cafe serve end at once
 * themselves), after which it dies of that signal, as with no handler at all. Handlers are
 * the process's: one set of stop signals is watched at a time. */
static struct sigaction chained[STOP_SIGNALS]; /* libuv's handlers, called after ours */
static const int signums[STOP_SIGNALS] = {SIGINT, SIGTERM, SIGHUP};
static atomic_uint delivered;
static volatile sig_atomic_t last_signum;

static void on_alarm(int sig) {
    (void)sig;
    _exit(stop_signals_exit(last_signum, 0)); /* async-signal-safe with orderly 0 */
}

static void on_stop_signal(int signum, siginfo_t *info, void *context) {
    int saved = errno;
    last_signum = signum;
    if (atomic_fetch_add(&delivered, 1) == 1) {
        struct sigaction sa = {.sa_handler = on_alarm};
        if (sigemptyset(&sa.sa_mask) == 0 && sigaction(SIGALRM, &sa, NULL) == 0)
            alarm(1);
    }
    for (int i = 0; i < STOP_SIGNALS; i++) {
        const struct sigaction *c = &chained[i];
        if (signums[i] != signum)
            continue;
        if (c->sa_flags & SA_SIGINFO)
            c->sa_sigaction(signum, info, context);
        else if (c->sa_handler != SIG_DFL && c->sa_handler != SIG_IGN)
            c->sa_handler(signum);
    }
    errno = saved;
}

/* Puts on_stop_signal in front of the handler cafe_signal_open installed for watch i. */
static void chain(int i) {
    struct sigaction sa;
    if (sigaction(signums[i], NULL, &chained[i]) != 0)
        return;
    sa = chained[i];
    sa.sa_sigaction = on_stop_signal;
    sa.sa_flags |= SA_SIGINFO;
    (void)sigaction(signums[i], &sa, NULL);
}

static int watch_task(void *arg, void **value) {
    struct stop_watch *w = arg;
    int n;
    while ((n = cafe_signal_wait(&w->sig)) > 0)
        for (int i = 0; i < n; i++)
            w->owner->fn(w->owner->arg, w->signum, ++w->owner->count);
    return n == CAFE_ECANCELED ? 0 : n;
}

/* A signal ignored when the program started stays ignored: nohup ignores SIGHUP, and a
 * shell without job control ignores SIGINT for a command it puts in the background
 * (`cafe titles urls &` in a script), so that a Ctrl-C meant for the script leaves it
 * running. A watcher would put a handler in place of SIG_IGN and take that back. */
static int ignored(int signum) {
    struct sigaction sa;
    return sigaction(signum, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN;
}

int stop_signals_start(stop_signals_t *s, stop_signal_fn fn, void *arg) {
    *s = (stop_signals_t){.fn = fn, .arg = arg};
    cafe_group_init(&s->tasks, 0);
    atomic_store(&delivered, 0);
    int rc = 0;
    for (int i = 0; i < STOP_SIGNALS && rc == 0; i++) {
        s->watch[i] = (struct stop_watch){.owner = s, .signum = signums[i]};
        if (!ignored(signums[i]) && (rc = cafe_signal_open(&s->watch[i].sig, signums[i])) == 0) {
            s->watch[i].open = 1;
            chain(i);
        }
    }
    for (int i = 0; i < STOP_SIGNALS && rc == 0; i++)
        if (s->watch[i].open)
            rc = cafe_group_spawn(&s->tasks, watch_task, &s->watch[i], NULL);
    if (rc != 0)
        stop_signals_end(s);
    return rc;
}

void stop_signals_end(stop_signals_t *s) {
    cafe_group_cancel(&s->tasks);
    (void)cafe_group_wait(&s->tasks); /* the watchers end when cancelled: nothing to report */
    for (int i = 0; i < STOP_SIGNALS; i++) {
        if (s->watch[i].open)
            cafe_signal_close(&s->watch[i].sig);
        s->watch[i].open = 0;
    }
}

int stop_signals_exit(int signum, int orderly) {
#ifdef LEAK_CHECK
    if (orderly) /* death by a signal skips the exit-time check: run it now */
        __lsan_do_leak_check();
#else
    (void)orderly;
#endif
    struct sigaction sa = {.sa_handler = SIG_DFL};
    sigset_t set;
    if (sigemptyset(&sa.sa_mask) == 0 && sigaction(signum, &sa, NULL) == 0 &&
        sigemptyset(&set) == 0 && sigaddset(&set, signum) == 0 &&
        pthread_sigmask(SIG_UNBLOCK, &set, NULL) == 0)
        (void)raise(signum);
    return 128 + signum;
}

unsigned stop_signals_delivered(void) {
    return atomic_load(&delivered);
}
