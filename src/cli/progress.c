/* Progress on stderr (only when it is a terminal, at most 10 redraws a second) and the
 * one-line summary at the end. */
#include "fetch.h"
#include "run.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

uint64_t cli_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void draw(cli_run_t *run, long total) {
    uint64_t now = cli_now_ms();
    double secs = (double)(now - run->started_ms) / 1000.0;
    double rate = secs > 0 ? (double)run->written / secs : 0;
    fprintf(stderr, "\r\033[K%llu", (unsigned long long)run->written);
    if (total >= 0)
        fprintf(stderr, "/%ld", total);
    fprintf(stderr, " done (%llu ok, %llu failed), %llu in flight, %.0f URLs/s",
            (unsigned long long)run->ok, (unsigned long long)run->failed,
            (unsigned long long)run->in_flight, rate);
    long left = total - (long)run->written - (long)run->skipped;
    if (total >= 0 && rate > 0 && left > 0)
        fprintf(stderr, ", ETA %.0f s", (double)left / rate);
}

typedef struct count_job {
    const char *path;
    long lines;
} count_job_t;

/* On the thread pool: counts the URL lines of a regular file, for done/total and the ETA. */
static int count_urls(void *arg) {
    count_job_t *j = arg;
    cli_input_t *in;
    j->lines = -1;
    if (cli_input_open(&in, j->path) != 0)
        return 0;
    const char *line;
    size_t len;
    uint64_t lineno;
    long n = 0;
    while (cli_input_next(in, &line, &len, &lineno) > 0)
        n++;
    cli_input_close(in);
    j->lines = n;
    return 0;
}

int cli_progress_task(void *arg, void **value) {
    cli_run_t *run = arg;
    if (run->o->quiet || !isatty(2))
        return 0;
    count_job_t count = {run->o->input, -1};
    struct stat st;
    if (strcmp(run->o->input, "-") != 0 && stat(run->o->input, &st) == 0 && S_ISREG(st.st_mode))
        cafe_thread_run(count_urls, &count); /* a regular file: its total is knowable */
    while (cafe_task_sleep(100) == 0)
        draw(run, count.lines);
    fputs("\r\033[K", stderr);
    return 0;
}

void cli_summary(cli_run_t *run, int interrupted) {
    uint64_t ms = cli_now_ms() - run->started_ms;
    fprintf(stderr, "cafe: %llu URL%s in %.2f s: %llu ok, %llu failed",
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
    if (run->skipped)
        fprintf(stderr, "; %llu already done", (unsigned long long)run->skipped);
    if (interrupted)
        fprintf(stderr, "; interrupted: %llu in flight cancelled (--resume fetches the rest)",
                (unsigned long long)run->dropped);
    fputc('\n', stderr);
}
