/* Ctrl-C for the programs built on cafe (cafe titles, cafe serve, cafe-fixture): SIGINT,
 * SIGTERM and SIGHUP (a closed terminal, a dropped ssh session: the same stop, not a death
 * that loses finished records) watched on the running loop, each delivery handed to the
 * program's function. One ignored when the program started (nohup, a script's background
 * job) is left ignored. */
#ifndef CAFE_COMMON_SIGNALS_H
#define CAFE_COMMON_SIGNALS_H

#include "cafe.h"

/* Called in a watcher task for each delivery; count is how many arrived so far, the
 * signals together (a program usually stops at 1 and gives up waiting at 2). It may
 * suspend; deliveries meanwhile are counted, not lost. */
typedef void (*stop_signal_fn)(void *arg, int signum, unsigned count);

#define STOP_SIGNALS 3 /* SIGINT, SIGTERM, SIGHUP */

typedef struct stop_signals {
    stop_signal_fn fn;
    void *arg;
    unsigned count;
    struct stop_watch {
        struct stop_signals *owner;
        int signum;
        cafe_signal_t sig;
        int open;
    } watch[STOP_SIGNALS];
    cafe_group_t tasks;
} stop_signals_t;

/* From a task: installs the watchers before it returns (a signal after that is never
 * lost), then waits for deliveries in tasks of its own. 0, or a negative code (nothing is
 * left running then). Memory: the caller's, until stop_signals_end. */
int stop_signals_start(stop_signals_t *s, stop_signal_fn fn, void *arg);
/* Stops watching (the signals' default actions are back) and waits for the watcher tasks. */
void stop_signals_end(stop_signals_t *s);

/* Ends the process by signum, as the signal's default action would have, once the program
 * has done what the signal asked of it (finished records written). The parent then sees a
 * death by that signal, not an exit: a shell's $? is 128 + signum either way, but a loop
 * (`for f in lists/a lists/b; do cafe titles "$f"; done`) stops on Ctrl-C only when the command
 * died of SIGINT (bash's wait-and-cooperative-exit), and a supervisor tells a stop it asked
 * for from a failure. `orderly`: the program ended its work and freed what it held, so a
 * sanitizer build checks for leaks first, as it would at exit; 0 for a stop at once, with
 * memory still held. Returns 128 + signum where the signal cannot end the process (the
 * first process of a PID namespace ignores it), for the caller to exit with. */
int stop_signals_exit(int signum, int orderly);

/* Stop signals delivered since stop_signals_start (0 while none is watched), counted in the
 * handler itself: code blocked outside the loop, which its watchers cannot reach (a write to
 * a pipe nobody reads), learns there that it was asked to stop. Async-signal-safe. */
unsigned stop_signals_delivered(void);

#endif
