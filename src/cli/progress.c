/* Progress on stderr (only when it is a terminal, at most 10 redraws a second) and the
 * one-line summary at the end. */
#include "fetch.h"
#include "run.h"
#include "msg.h"
#include "proxyenv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

uint64_t cli_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A terminal that knows no escape sequences: TERM=dumb (Emacs's shell and compilation
 * buffers, CI logs on a pty) or no TERM at all, as git and systemd decide. There ESC [ K
 * showed as "^[[K" around every record; the line is written over with spaces instead. */
static int terminal_dumb(void) {
    const char *term = getenv("TERM");
    return !term || !*term || strcmp(term, "dumb") == 0;
}

uint64_t cli_run_in_flight(const cli_run_t *run) {
    uint64_t waiting = run->workers ? cli_workers_retrying(run->workers) : run->retrying;
    /* a worker may count a wait before the main loop took its request's start */
    return run->in_flight > waiting ? run->in_flight - waiting : 0;
}

/* When the progress line last saw the count of records written change: its ETA counts down
 * from there. */
typedef struct {
    uint64_t written, at_ms;
} eta_anchor_t;

/* Seconds left at the rate so far, counted from the last record written and rounded up: at
 * the list's end (1 URL left at 300 URLs/s) it said "ETA 0 s" with that URL still out, and
 * a slow tail (a host taking its whole timeout) kept "0 s" all along. So never under 1 s
 * while a URL is left, and once that time has passed with URLs still left, the rate says
 * nothing of them: -1, "unknown". */
static long eta_seconds(const cli_run_t *run, eta_anchor_t *a, long left, double rate,
                        uint64_t now) {
    if (run->written != a->written)
        a->written = run->written, a->at_ms = now;
    double rest_ms = (double)a->at_ms + (double)left * 1000.0 / rate - (double)now;
    if (rest_ms <= 0)
        return -1;
    long whole = (long)(rest_ms / 1000.0);
    return (double)whole * 1000.0 < rest_ms ? whole + 1 : whole;
}

static void draw(cli_run_t *run, long total, eta_anchor_t *anchor) {
    uint64_t now = cli_now_ms();
    double secs = (double)(now - run->started_ms) / 1000.0;
    double rate = secs > 0 ? (double)run->written / secs : 0;
    char line[256];
    size_t n = 0;
#define ADD(...)                                                                                   \
    (n += (size_t)snprintf(line + n, n < sizeof line ? sizeof line - n : 0, __VA_ARGS__))
    /* --resume: the URLs the output held are done too, or the line of a run resuming the
     * second half of a list ended at "500/1000 done", half of it seemingly left. */
    ADD("%llu", (unsigned long long)(run->written + run->skipped));
    if (total >= 0)
        ADD("/%ld", total);
    ADD(" done (%llu ok, %llu failed", (unsigned long long)run->ok,
        (unsigned long long)run->failed);
    if (run->skipped)
        ADD(", %llu already done", (unsigned long long)run->skipped);
    ADD("), %llu in flight, %.0f URLs/s", (unsigned long long)cli_run_in_flight(run), rate);
    long left = total - (long)run->written - (long)run->skipped;
    if (total >= 0 && rate > 0 && left > 0) {
        long eta = eta_seconds(run, anchor, left, rate, now);
        if (eta > 0)
            ADD(", ETA %ld s", eta);
        else
            ADD(", ETA unknown");
    }
#undef ADD
    int cols = n < sizeof line ? (int)n : (int)sizeof line - 1; /* ASCII: a byte a column */
    /* A line wider than the terminal wraps, and CR goes back to its last row only: every
     * redraw left a row behind (a run of a million URLs draws 82 columns and more). Cut
     * to the width less one column, where a terminal may wrap on writing the last. */
    struct winsize ws;
    if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1) {
        int fit = ws.ws_col - 1;
        cols = cols > fit ? fit : cols;
        if (run->progress_cols > fit) /* narrowed since: pad and clear no further */
            run->progress_cols = fit;
    }
    line[cols] = '\0';
    if (run->progress_dumb) /* spaces over what a longer line before left */
        fprintf(stderr, "\r%s%*s", line, run->progress_cols > cols ? run->progress_cols - cols : 0,
                "");
    else
        fprintf(stderr, "\r\033[K%s", line);
    if (cols > run->progress_cols)
        run->progress_cols = cols;
}

void cli_progress_erase(cli_run_t *run) {
    if (run->progress_cols == 0)
        return;
    if (run->progress_dumb)
        fprintf(stderr, "\r%*s\r", run->progress_cols, "");
    else
        fputs("\r\033[K", stderr);
    run->progress_cols = 0;
    run->progress_drawn = 0;
}

/* Is standard output the terminal standard error draws on? Then records and the progress
 * line share its lines (the default interactive use), and each record clears the line. */
static int same_terminal(void) {
    struct stat out, err;
    return isatty(1) && fstat(1, &out) == 0 && fstat(2, &err) == 0 && out.st_rdev == err.st_rdev;
}

/* In the terminal's foreground process group, or on no terminal that says otherwise. In
 * the background (`cafe titles list -o out &`) the line was redrawn 10 times a second over
 * what the user typed at the shell; as git's progress, it waits for the foreground (fg). */
static int foreground(void) {
    pid_t fg = tcgetpgrp(2);
    return fg < 0 || fg == getpgrp();
}

/* A worker (--queue) reads no input: its "-" is the default operand only, and on a terminal
 * it was told "reading URLs from the terminal; Ctrl-D ends" and never drew its line. */
static int reads_terminal(const cli_run_t *run) {
    for (size_t i = 0; !run->o->queue && i < run->o->inputs.n; i++)
        if (strcmp(run->o->inputs.v[i], "-") == 0)
            return isatty(0);
    return 0;
}

static void erase_for_message(void *arg) {
    cli_progress_erase(arg);
}

int cli_progress_task(void *arg, void **value) {
    cli_run_t *run = arg;
    if (run->o->quiet || !isatty(2))
        return 0;
    if (reads_terminal(run)) { /* a redrawn line would run over what is being typed */
        fputs("cafe titles: reading URLs from the terminal; Ctrl-D ends\n", stderr);
        return 0;
    }
    int shared = same_terminal();
    run->progress_dumb = terminal_dumb();
    long total = source_count(run->source); /* -1: unknown (a pipe, the queue) */
    /* A database's or Redis's note mid-run ("reconnecting") was written after the line's
     * text, on the same line, and the next redraw's CR went back over it. */
    msg_progress_set(erase_for_message, run);
    eta_anchor_t anchor = {0, run->started_ms};
    while (cafe_task_sleep(100) == 0) {
        if (!foreground())
            continue;
        /* counted once, at the start: a list still being written was read past it */
        if (total >= 0 && run->written + run->skipped > (uint64_t)total)
            total = -1;
        draw(run, total, &anchor);
        run->progress_drawn = shared;
    }
    msg_progress_set(NULL, NULL);
    cli_progress_erase(run);
    return 0;
}

void cli_summary(cli_run_t *run, int interrupted) {
    uint64_t ms = cli_now_ms() - run->started_ms;
    fprintf(stderr, "cafe titles: %llu URL%s in %.2f s: %llu ok, %llu failed",
            (unsigned long long)run->written, run->written == 1 ? "" : "s", (double)ms / 1000.0,
            (unsigned long long)run->ok, (unsigned long long)run->failed);
    int first = 1;
    for (int k = 1; k < CLI_KINDS; k++)
        if (run->kinds[k]) {
            fprintf(stderr, "%s%s %llu", first ? " (" : ", ", cli_kind_name(k),
                    (unsigned long long)run->kinds[k]);
            first = 0;
        }
    if (!first)
        fputc(')', stderr);
    /* A proxy of curl's variables that is down or refuses: each URL said "connection
     * refused: Failed to connect to 127.0.0.1 port N", read as the sites' fault, and nothing
     * said a proxy was in the way (-x the user gave, and knows). The variable is named, never
     * its value (it may hold a password); "sets a proxy", not "went through it": a URL that
     * no_proxy names went direct, and libcurl 7.88 does not say which did. */
    const char *via = run->o->proxy ? NULL : proxy_env_in_use();
    if (via &&
        (run->kinds[CLI_KIND_CONNECT] || run->kinds[CLI_KIND_DNS] || run->kinds[CLI_KIND_TIMEOUT] ||
         run->kinds[CLI_KIND_TLS] || run->kinds[CLI_KIND_OTHER]))
        fprintf(stderr, "; %s sets a proxy (-x '' connects directly)", via);
    /* --threads with fewer hosts than threads: the share of -c the idle threads had went
     * unused, which only the man page said (one host on --threads 4 -c 8 ran 2 at a time) */
    size_t n = run->o->threads < run->o->concurrency ? run->o->threads : run->o->concurrency;
    if (run->threads_used)
        fprintf(stderr,
                "; -c %zu is divided among %zu threads and only %zu had hosts (a host's URLs go "
                "to one thread): --threads %zu would fetch them %zu at a time",
                run->o->concurrency, n, run->threads_used, run->threads_used, run->o->concurrency);
    if (run->skipped)
        fprintf(stderr, "; %llu already done", (unsigned long long)run->skipped);
    if (run->skipped_failed) /* --fail counts them: the summary says why it exits 1 */
        fprintf(stderr, ", %llu of them failed", (unsigned long long)run->skipped_failed);
    if (interrupted && run->o->drain) /* in flight at the stop, less those cancelled since */
        fprintf(
            stderr, "; interrupted: %llu in flight finished",
            (unsigned long long)(run->drained > run->dropped ? run->drained - run->dropped : 0));
    /* Those cancelled: the requests cut short, and apart the URLs only waiting to try again
     * (no request of theirs was out: "in flight" they were not). */
    uint64_t cut = run->dropped - run->dropped_waiting;
    if (interrupted && (!run->o->drain || cut)) /* with --drain: not written */
        fprintf(stderr, "%s%llu in flight cancelled",
                run->o->drain ? ", " : "; interrupted: ", (unsigned long long)cut);
    if (interrupted && run->dropped_waiting)
        fprintf(stderr, ", %llu waiting to retry cancelled",
                (unsigned long long)run->dropped_waiting);
    /* A queue worker has no --resume: what it did not finish goes back to the queue. Nor
     * has a run whose records --resume cannot read back (the guide's lines, standard
     * output): "--resume fetches the rest" sent its user to a --resume that refused it. */
    const cli_opts_t *o = run->o;
    int resumable = o->db || (o->output && o->fmt != RECORD_FMT_TEXT);
    if (interrupted)
        fprintf(stderr, ", %llu queued not started (%s)", (unsigned long long)run->unstarted,
                o->queue    ? "the queue gets back the URLs not done"
                : resumable ? "--resume fetches the rest"
                            : "only a run with -o FILE and --json or CSV, or --db, can be "
                              "continued by --resume");
    fputc('\n', stderr);
}
