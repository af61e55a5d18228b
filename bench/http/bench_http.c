/* Fetches a list of URLs with cafe's HTTP client from C worker tasks and prints one line of
 * figures: URLs/s, peak RSS, and the loop integration's costs per URL.
 *
 *   bench_http FILE CONCURRENCY [MODE]
 *
 * MODE: "all" (default) keeps every body (res.body); "stream" passes each body to a callback
 * that drops it (as curl -o /dev/null does); "auto", "close" or "drain" stream and stop each
 * body right after its </title> with that stop policy (CAFE_HTTP_STOP_*). */
#include "cafe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct bench {
    char **urls;
    size_t n, next, ok, failed, stopped;
    size_t concurrency;
    int stop_mode; /* -1: keep bodies; -2: stream them whole; else a cafe_http_stop_t */
    int first_error;
    char first_message[320];
    cafe_http_stats_t stats;
} bench_t;

typedef struct scan {
    char tail[8]; /* the last bytes of the previous chunk: a tag may straddle two */
    size_t tail_len;
} scan_t;

static int on_body(void *arg, const cafe_http_result_t *res, const char *data, size_t len) {
    scan_t *s = arg;
    char joint[16];
    size_t k = len < 7 ? len : 7;
    memcpy(joint, s->tail, s->tail_len);
    memcpy(joint + s->tail_len, data, k);
    if (memmem(joint, s->tail_len + k, "</title>", 8) || memmem(data, len, "</title>", 8))
        return CAFE_HTTP_ENOUGH;
    s->tail_len = k;
    memcpy(s->tail, data + len - k, k);
    return 0;
}

static int on_body_all(void *arg, const cafe_http_result_t *res, const char *data, size_t len) {
    return 0;
}

static int worker(void *arg, void **value) {
    bench_t *b = arg;
    while (b->next < b->n) {
        const char *url = b->urls[b->next++];
        scan_t scan = {{0}, 0};
        cafe_http_opts_t o = {.attempts = 1};
        if (b->stop_mode == -2)
            o.on_body = on_body_all;
        if (b->stop_mode >= 0) {
            o.on_body = on_body;
            o.body_arg = &scan;
            o.stop = (cafe_http_stop_t)b->stop_mode;
        }
        cafe_http_result_t r;
        int rc = cafe_http_request(url, &o, &r);
        if (rc == 0 && r.status == 200) {
            b->ok++;
            b->stopped += r.stopped;
        } else if (b->failed++ == 0) {
            b->first_error = rc;
            snprintf(b->first_message, sizeof(b->first_message), "%s (status %ld)", r.message,
                     r.status);
        }
        cafe_http_result_free(&r);
    }
    return 0;
}

static int bench_main(void *arg, void **value) {
    bench_t *b = arg;
    cafe_http_limits_t lim = {.max_transfers = b->concurrency};
    cafe_http_limits_set(NULL, &lim);
    cafe_group_t g;
    cafe_group_init(&g, 0);
    cafe_task_opts_t small = {.stack_size = 32 * 1024};
    for (size_t i = 0; i < b->concurrency; i++)
        if (cafe_group_spawn(&g, worker, b, &small) != 0)
            return CAFE_ENOMEM;
    int rc = cafe_group_wait(&g);
    cafe_http_stats_get(NULL, &b->stats);
    return rc;
}

static long rss_kib(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int read_urls(const char *path, bench_t *b) {
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t cap = 1024;
    char line[4096];
    b->urls = malloc(cap * sizeof(*b->urls));
    while (b->urls && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0])
            continue;
        if (b->n == cap)
            b->urls = realloc(b->urls, (cap *= 2) * sizeof(*b->urls));
        if (b->urls)
            b->urls[b->n++] = strdup(line);
    }
    fclose(f);
    return b->urls ? 0 : -1;
}

int main(int argc, char **argv) {
    bench_t b = {.stop_mode = -1};
    if (argc < 3 || read_urls(argv[1], &b) != 0) {
        fprintf(stderr, "usage: bench_http URL_FILE CONCURRENCY [all|stream|auto|close|drain]\n");
        return 2;
    }
    b.concurrency = (size_t)atol(argv[2]);
    if (argc > 3 && strcmp(argv[3], "all") != 0)
        b.stop_mode = strcmp(argv[3], "stream") == 0  ? -2
                      : strcmp(argv[3], "close") == 0 ? CAFE_HTTP_STOP_CLOSE
                      : strcmp(argv[3], "drain") == 0 ? CAFE_HTTP_STOP_DRAIN
                                                      : CAFE_HTTP_STOP_AUTO;
    long rss0 = rss_kib();
    double t0 = now_s();
    cafe_result_t res;
    int rc = cafe_run(bench_main, &b, &res);
    double secs = now_s() - t0;
    long rss1 = rss_kib();
    double n = (double)b.n;
    printf("urls=%zu ok=%zu failed=%zu stopped=%zu secs=%.3f rate=%.0f rss_kib=%ld "
           "rss_per_inflight_kib=%.1f curl_calls_per_url=%.1f socket_actions_per_url=%.2f "
           "socket_cbs_per_url=%.2f poll_changes_per_url=%.3f drained=%llu closed=%llu\n",
           b.n, b.ok, b.failed, b.stopped, secs, n / secs, rss1,
           (double)(rss1 - rss0) / (double)b.concurrency, (double)b.stats.curl_calls / n,
           (double)b.stats.socket_actions / n, (double)b.stats.socket_cbs / n,
           (double)b.stats.poll_changes / n, (unsigned long long)b.stats.stops_drained,
           (unsigned long long)b.stats.stops_closed);
    if (b.failed)
        fprintf(stderr, "bench_http: %zu failed; first: %s: %s\n", b.failed,
                cafe_err_name(b.first_error), b.first_message);
    for (size_t i = 0; i < b.n; i++)
        free(b.urls[i]);
    free(b.urls);
    return rc == 0 && res.status == 0 && b.failed == 0 ? 0 : 1;
}
