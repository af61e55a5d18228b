/* `cafe serve`: set up, serve until SIGINT/SIGTERM, then stop in order: stop accepting, let
 * jobs run for --shutdown-grace, cancel what is left (finished records stay), answer the
 * requests still waiting, close. */
#include "serve.h"
#include "srv.h"
#include "listen.h"
#include "msg.h"
#include "signals.h"
#include "sink_db.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* The first SIGINT/SIGTERM starts the orderly stop; a second one ends the process at once,
 * by the signal's default action. */
static void on_signal(void *arg, int signum, unsigned count) {
    if (count > 1)
        _exit(stop_signals_exit(signum, 0));
    cafe_event_set(arg);
}

/* Idle connections would hold the descriptors; many clients need many: raise the soft
 * limit to the hard one. */
static void raise_nofile(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            perror("cafe serve: setrlimit");
    }
}

/* Holds DIR for this process: a second service on the same directory would resume the same
 * jobs, write the same spools at the same offsets, and forget (unlink) the other's jobs
 * under --jobs-kept. A lock file, locked with flock(2) for as long as the process lives (the
 * kernel drops it however the process ends, so a crash leaves nothing to clean up). Returns
 * its descriptor, -1 without DIR, or -2 after saying why DIR cannot be had. */
static int lock_data_dir(const char *dir) {
    if (!dir)
        return -1;
    char path[4200];
    snprintf(path, sizeof path, "%s/cafe-serve.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
        return fd;
    if (errno == EWOULDBLOCK)
        fprintf(stderr, "cafe serve: %s is in use by another cafe serve (it holds %s)\n", dir,
                path);
    else
        fprintf(stderr, "cafe serve: cannot lock %s: %s\n", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    return -2;
}

/* --db, checked at start as cafe titles checks it: connected, its tables checked (missing
 * ones made), no run begun (each job begins its own). A database down, a wrong login or
 * another program's file started the service, /healthz said ok, and every job was then
 * cancelled with the database's error. Says why it failed (never a password). */
static int check_db(void *arg, void **value) {
    const char *why;
    (void)value;
    int rc = sink_db_check(arg, &why);
    if (rc != 0)
        fprintf(stderr, "cafe serve: --db: %s\n", why);
    return rc;
}

static int set_limits(srv_t *s) {
    const cli_opts_t *f = &s->o.fetch;
    cafe_http_limits_t lim = {.max_transfers = f->concurrency,
                              .max_host_connections = f->per_host,
                              .rate = f->rate,
                              .host_interval_ms = f->host_interval_ms};
    int rc = cafe_http_limits_set(NULL, &lim);
    if (rc != 0)
        return rc;
    cafe_group_init(&s->tasks, 0);
    cafe_group_init(&s->run_ends, 0);
    cafe_sem_init(&s->job_fetches, srv_job_fetches(f->concurrency));
    return (rc = srv_cache_init(&s->cache)) != 0 ? rc : srv_peers_init(s);
}

/* Waits until the answers in progress have been sent: until the end of --shutdown-grace, or
 * a second when the jobs took all of it. A results download under way at the stop (a
 * finished job's file, read steadily) got that second alone, and was cut in the middle
 * while the grace had all its time left. A client that takes nothing is cut all the same,
 * at the idle timeout (httpd.c), and one that sends half a head at --header-timeout. */
static void drain_connections(srv_t *s) {
    uint64_t until = s->stop_until_ms, least = srv_now(s) + 1000;
    until = until > least ? until : least;
    while (s->conns.len > 0 && srv_now(s) < until) {
        const union MHD_DaemonInfo *info =
            MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if (!info || info->num_connections == 0)
            break;
        if (cafe_task_sleep(10) != 0)
            break;
    }
}

static void shut_down(srv_t *s) {
    s->stop_until_ms = srv_now(s) + s->o.shutdown_grace_ms; /* before any 503 says it */
    s->stopping = 1;
    srv_httpd_quiesce(s);
    if (!s->o.quiet)
        fprintf(stderr, "cafe serve: stopping (jobs and title lookups get %.1f s to finish)\n",
                (double)s->o.shutdown_grace_ms / 1000);
    uint64_t until = s->stop_until_ms;
    /* Title lookups in flight too: they were cancelled (503) at once, though their fetch
     * would have ended a moment later, and a rolling restart failed every one under way. */
    while ((srv_jobs_running(s) > 0 || s->title_tasks > 0) && srv_now(s) < until)
        if (cafe_task_sleep(50) != 0)
            break;
    srv_jobs_cancel_all(s);
    /* Jobs end their database runs themselves (a cancelled task could not wait for the
     * last commit): give them a moment before the rest is cancelled. */
    for (int i = 0; i < 500 && srv_jobs_running(s) > 0; i++)
        if (cafe_task_sleep(10) != 0)
            break;
    cafe_group_cancel(&s->tasks);
    cafe_group_wait(&s->tasks);
    drain_connections(s);
    srv_httpd_stop(s);
    /* No DELETE comes now; those answered until here may have started runs' ends, bounded
     * as the jobs' own. */
    for (int i = 0; i < 500 && s->runs_ending > 0; i++)
        if (cafe_task_sleep(10) != 0)
            break;
    cafe_group_cancel(&s->run_ends);
    cafe_group_wait(&s->run_ends);
}

static int serve_task(void *arg, void **value) {
    srv_t *s = arg;
    (void)value;
    s->loop = cafe_loop_current();
    s->uv = cafe_loop_uv(s->loop);
    s->started_ms = srv_now(s);
    int rc = set_limits(s);
    if (rc == 0 && (rc = srv_persist_load(s)) != 0)
        fprintf(stderr, "cafe serve: cannot read --data-dir %s: %s\n", s->o.data_dir,
                cafe_strerror(rc));
    if (rc != 0 || srv_httpd_start(s) != 0) {
        fprintf(stderr, "cafe serve: cannot start the HTTP server\n");
        srv_httpd_stop(s);
        srv_peers_free(s);
        return rc ? rc : CAFE_EIO;
    }
    cafe_event_t stop;
    cafe_event_init(&stop);
    stop_signals_t sigs; /* before "listening": a signal from then on is never lost */
    if ((rc = stop_signals_start(&sigs, on_signal, &stop)) != 0) {
        fprintf(stderr, "cafe serve: cannot watch for signals: %s\n", cafe_strerror(rc));
        cafe_event_set(&stop);
    }
    printf("listening on %s\n", s->origin);
    fflush(stdout);
    (void)cafe_event_wait(&stop); /* only a signal ends it: this task is never cancelled */
    shut_down(s);
    (void)cafe_sem_destroy(&s->job_fetches); /* every job's task has ended */
    stop_signals_end(&sigs);
    cafe_event_destroy(&stop);
    srv_jobs_free(s);
    srv_cache_free(&s->cache);
    srv_peers_free(s);               /* every connection is closed */
    cli_fetch_pool_free(&s->titles); /* no fetch is left: every task has ended */
    return 0;
}

int serve_main(int argc, char **argv) {
    srv_t *s = calloc(1, sizeof(*s));
    if (!s) {
        fputs("cafe serve: out of memory\n", stderr);
        return 2;
    }
    srv_log_escape();
    int rc = srv_opts_parse(&s->o, argc, argv);
    if (rc != 0) {
        free(s);
        return rc < 0 ? 0 : rc;
    }
    srv_listen_t l;
    int err = srv_listen_open(s->o.listen, &l);
    if (err != 0) { /* the two an operator meets first say what to do */
        const char *fix = err == -EADDRINUSE ? " (another program listens there: give --listen "
                                               "another HOST:PORT, port 0 for a free one)"
                          : err == -EADDRNOTAVAIL ? " (no interface of this machine has that "
                                                    "address)"
                                                  : "";
        fprintf(stderr, "cafe serve: cannot listen on %s: %s%s\n", s->o.listen,
                l.why ? l.why : strerror(-err), fix);
        free(s);
        return 2;
    }
    if (!l.loopback && !s->o.token) {
        fprintf(stderr,
                "cafe serve: %s is not a loopback address: set --token (or "
                "CAFE_SERVE_TOKEN) so that only callers with it may use the API\n",
                s->o.listen);
        close(l.fd);
        free(s);
        return 2;
    }
    /* before PATH.jobs is made beside a database that is refused */
    cafe_result_t res;
    if (s->o.db && ((rc = cafe_run(check_db, (void *)s->o.db, &res)) != 0 || res.status != 0)) {
        if (rc != 0)
            fprintf(stderr, "cafe serve: cannot start: %s\n", msg_strerror(rc));
        close(l.fd);
        free(s);
        return 2;
    }
    if (s->o.data_dir && mkdir(s->o.data_dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "cafe serve: cannot create %s: %s\n", s->o.data_dir, strerror(errno));
        close(l.fd);
        free(s);
        return 2;
    }
    int lock = lock_data_dir(s->o.data_dir);
    if (lock == -2) {
        close(l.fd);
        free(s);
        return 2;
    }
    /* A stop of the process (SIGSTOP, a frozen VM) past --timeout made every fetch in flight
     * a time-out; counted, as cafe titles counts it, such a request is sent again. */
    if (cli_fetch_count_stops() != 0) {
        fprintf(stderr, "cafe serve: cannot watch SIGCONT: %s\n", strerror(errno));
        close(l.fd);
        if (lock >= 0)
            close(lock);
        free(s);
        return 2;
    }
    raise_nofile();
    s->listen_fd = l.fd;
    memcpy(s->origin, l.origin, sizeof s->origin);
    rc = cafe_run(serve_task, s, &res);
    if (rc != 0 && rc != CAFE_EDEADLK) /* no loop: serve_task never ran to say why */
        fprintf(stderr, "cafe serve: cannot start: %s\n", msg_strerror(rc));
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    if (lock >= 0)
        close(lock);
    free(s);
    return rc == 0 && res.status == 0 ? 0 : 2; /* a set-up that failed, as the man page says */
}
