/* Signal watchers: count deliveries from open to close so that none is lost between waits.
 * The libuv handle is unreferenced while no task waits, so an idle watcher does not keep the
 * loop alive; it lives in its own allocation because closing it is asynchronous. That memory
 * is freed once libuv has closed the handle and no task is inside cafe_signal_wait on it: a
 * waiter that close woke (or that was woken just before the close) still reads it as it
 * leaves. */
#include "runtime/internal.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

typedef struct watcher {
    uv_signal_t h;
    int count;
    int inside;    /* tasks inside cafe_signal_wait */
    int closed;    /* cafe_signal_close was called */
    int uv_closed; /* ... and libuv's close callback has run */
    cafe__waitlist_t waiters;
} watcher_t;

/* The watcher of s, after the thread checks of the call: it belongs to its loop's thread (the
 * loop is the container of the handle's uv_loop_t). NULL when s is closed. */
static watcher_t *watcher_of(cafe_signal_t *s, const char *call) {
    cafe__loop_thread_check(call);
    watcher_t *w = s->private_handle;
    if (w)
        cafe__owner_check_ro(cafe__loop_thread((const cafe_loop_t *)w->h.loop), call);
    return w;
}

static void free_unused(watcher_t *w) {
    if (w->uv_closed && w->inside == 0)
        free(w);
}

static void on_closed(uv_handle_t *h) {
    watcher_t *w = h->data;
    w->uv_closed = 1;
    free_unused(w);
}

/* The deliveries go to the first waiter here: woken to take them later, it found them taken
 * by a task that called cafe_signal_wait meanwhile, and waited again at the end of the line.
 * So deliveries are counted only while nobody waits. */
static void hand_over(watcher_t *s) {
    cafe__wait_t *w = cafe__waitlist_pop(&s->waiters);
    if (w) {
        int n = s->count;
        s->count = 0;
        w->data = (void *)(intptr_t)n;
        cafe__wake(w, n);
    }
}

static void on_signal(uv_signal_t *h, int signum) {
    watcher_t *s = h->data;
    s->count++;
    hand_over(s);
}

/* A waiter handed deliveries and cancelled before it ran takes none: they go on to the next
 * waiter, or are counted for the next wait. The watcher's memory lives while the woken task
 * is inside cafe_signal_wait. */
static int wait_undo(cafe__wait_t *wait) {
    watcher_t *s = wait->source;
    s->count += (int)(intptr_t)wait->data;
    if (!s->closed)
        hand_over(s);
    return 1;
}

/* libuv puts a signal's disposition back to SIG_DFL when the last of its watchers, in any loop,
 * stops: a handler of the program's, or the SIG_IGN that nohup gives SIGHUP, was lost, and the
 * next delivery killed the process. So the disposition a signal had when the first of cafe's
 * watchers of it opened (process-wide: libuv's handlers are) is put back when the last one
 * closes, if libuv left SIG_DFL (a libuv handle of the program's own may still hold it). The
 * lock makes each open's or close's look at the count and libuv's change of the disposition
 * one step for other loops' threads. */
static pthread_mutex_t before_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    unsigned open; /* cafe's watchers of the signal, in every loop */
    struct sigaction disposition;
} before[NSIG];

void cafe__signal_forked(void) {
    pthread_mutex_init(&before_lock, NULL); /* forked while another thread held it */
}

static int start(watcher_t *w, int signum) {
    struct sigaction *was = &before[signum].disposition, now;
    pthread_mutex_lock(&before_lock);
    int first = before[signum].open == 0;
    if (first && sigaction(signum, NULL, was) != 0)
        was->sa_handler = SIG_DFL;
    int rc = uv_signal_start(&w->h, on_signal, signum);
    before[signum].open += rc == 0;
    /* Already libuv's (a handle of the program's on cafe_loop_uv): nothing of the program's
     * to put back; libuv's handler with no handle left would swallow the signal. */
    if (rc == 0 && first && sigaction(signum, NULL, &now) == 0 && now.sa_handler == was->sa_handler)
        was->sa_handler = SIG_DFL;
    pthread_mutex_unlock(&before_lock);
    return rc;
}

static void stop(watcher_t *w) {
    int signum = w->h.signum;
    struct sigaction now;
    pthread_mutex_lock(&before_lock);
    uv_close((uv_handle_t *)&w->h, on_closed); /* the last one's: libuv sets SIG_DFL */
    if (--before[signum].open == 0 && sigaction(signum, NULL, &now) == 0 &&
        !(now.sa_flags & SA_SIGINFO) && now.sa_handler == SIG_DFL)
        (void)sigaction(signum, &before[signum].disposition, NULL);
    pthread_mutex_unlock(&before_lock);
}

int cafe_signal_open(cafe_signal_t *s, int signum) {
    cafe__loop_thread_check("cafe_signal_open");
    cafe_loop_t *loop = cafe__loop_tls();
    if (!s)
        return CAFE_EINVAL;
    s->private_handle = NULL;
    /* A fault's handler that returns runs the faulting instruction again: a watcher (libuv's
     * handler counts and returns) made every crash a hang, and took the stack-overflow
     * report's SIGSEGV handler away. */
    if (signum == SIGSEGV || signum == SIGBUS || signum == SIGFPE || signum == SIGILL ||
        signum <= 0 || signum >= NSIG)
        return CAFE_EINVAL;
    if (!loop)
        return CAFE_ENOTASK;
    watcher_t *w = calloc(1, sizeof(*w));
    if (!w)
        return CAFE_ENOMEM;
    uv_signal_init(&loop->uv, &w->h);
    w->h.data = w;
    int rc = start(w, signum);
    if (rc != 0) {
        w->closed = 1;
        uv_close((uv_handle_t *)&w->h, on_closed);
        return cafe__err_from_uv(rc);
    }
    uv_unref((uv_handle_t *)&w->h);
    s->private_handle = w;
    loop->open_watchers++;
    return 0;
}

int cafe_signal_pending(cafe_signal_t *s) {
    CAFE__EINVAL_IF_NULL(s);
    watcher_t *w = watcher_of(s, "cafe_signal_pending");
    return w ? w->count : CAFE_EINVAL;
}

/* Parks until deliveries are handed over (their count), the watcher's close (CAFE_EPIPE) or an
 * interruption. */
static int wait_once(watcher_t *w) {
    if (!cafe__running())
        return CAFE_ENOTASK;
    cafe__wait_t wait = {.abort = cafe__abort_unlist, .undo = wait_undo, .source = w};
    cafe__waitlist_push(&w->waiters, &wait);
    uv_ref((uv_handle_t *)&w->h);
    int rc = cafe__park(&wait, CAFE__NEVER);
    if (!w->closed && cafe__waitlist_empty(&w->waiters))
        uv_unref((uv_handle_t *)&w->h);
    return rc;
}

int cafe_signal_wait(cafe_signal_t *s) {
    CAFE__EINVAL_IF_NULL(s);
    watcher_t *w = watcher_of(s, "cafe_signal_wait");
    if (!w)
        return CAFE_EINVAL;
    /* An interrupted task takes no delivery, even one counted already: as a queue keeps
     * its items, the watcher keeps them for its next wait. */
    int rc = cafe__interrupt_check(cafe__running());
    if (rc != 0)
        return rc;
    w->inside++;
    if (w->count > 0) { /* then nobody waits: take them */
        rc = w->count;
        w->count = 0;
    } else {
        rc = w->closed ? CAFE_EPIPE : wait_once(w);
    }
    w->inside--;
    free_unused(w);
    return rc;
}

void cafe_signal_close(cafe_signal_t *s) {
    cafe__nonnull(s, "cafe_signal_close");
    watcher_t *w = watcher_of(s, "cafe_signal_close");
    if (!w)
        return;
    cafe__wait_t *wait;
    w->closed = 1;
    while ((wait = cafe__waitlist_pop(&w->waiters)) != NULL)
        cafe__wake(wait, CAFE_EPIPE);
    int signum = w->h.signum;
    stop(w);
    s->private_handle = NULL;
    ((cafe_loop_t *)w->h.loop)->open_watchers--;
    if (signum == SIGPIPE)
        cafe__sigpipe_reignore(w->h.loop->data);
}
