/* Progress on stderr (only when it is a terminal, at most 10 redraws a second) and the
 * one-line summary at the end. */
#include "cli/run.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

uint64_t cli_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void draw(cli_run_t *run) {
    uint64_t now = cli_now_ms();
    double secs = (double)(now - run->started_ms) / 1000.0;
    double rate = secs > 0 ? (double)run->written / secs : 0;
    fprintf(stderr, "\r\033[K%llu done (%llu ok, %llu failed), %llu in flight, %.0f URLs/s",
            (unsigned long long)run->written, (unsigned long long)run->ok,
            (unsigned long long)run->failed, (unsigned long long)run->in_flight, rate);
}

int cli_progress_task(void *arg, void **value) {
    cli_run_t *run = arg;
    if (run->o->quiet || !isatty(2))
        return 0;
    while (cafe_task_sleep(100) == 0)
        draw(run);
    fputs("\r\033[K", stderr);
    return 0;
}

void cli_summary(cli_run_t *run, int interrupted) {
    static const char *const names[CLI_KINDS] = {"ok",  "http", "timeout",  "connect", "dns",
                                                 "tls", "url",  "redirect", "other"};
    uint64_t ms = cli_now_ms() - run->started_ms;
    fprintf(stderr, "cafe: %llu URLs in %.2f s: %llu ok, %llu failed",
            (unsigned long long)run->written, (double)ms / 1000.0, (unsigned long long)run->ok,
            (unsigned long long)run->failed);
    int first = 1;
    for (int k = 1; k < CLI_KINDS; k++)
        if (run->kinds[k]) {
            fprintf(stderr, "%s%s %llu", first ? " (" : ", ", names[k],
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
