/* Records per second into a database sink alone (no fetching): bench_sinks SPEC N [BATCH].
 * Rows look like real results (URL and title of ~40 bytes each). */
#include "cafe.h"
#include "sink_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct job {
    const char *spec;
    long n;
    size_t batch;
} job_t;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench(void *arg, void **value) {
    (void)value;
    job_t *j = arg;
    sink_db_t *db;
    const char *why;
    sink_db_conf_t conf = {.spec = j->spec, .options = "[\"bench\"]", .batch_rows = j->batch};
    if (sink_db_open(&db, &conf, &why) != 0) {
        fprintf(stderr, "bench_sinks: %s\n", why);
        return CAFE_EIO;
    }
    char url[96], title[96];
    double t0 = now_s();
    int rc = 0;
    for (long i = 0; i < j->n && rc == 0; i++) {
        snprintf(url, sizeof url, "https://www.example-%ld.com/some/path/%ld", i % 997, i);
        snprintf(title, sizeof title, "Example page number %ld \xe2\x80\x94 a site", i);
        sink_row_t row = {.seq = (uint64_t)i,
                          .url = url,
                          .final_url = url,
                          .title = title,
                          .content_type = "text/html",
                          .charset = "UTF-8",
                          .status = 200,
                          .bytes = 14000,
                          .time_ms = 120,
                          .attempts = 1};
        rc = sink_db_write(db, &row);
    }
    if (rc == 0)
        rc = sink_db_commit(db);
    double t = now_s() - t0;
    int crc = sink_db_close(db, "done", &why);
    if (rc || crc) {
        fprintf(stderr, "bench_sinks: %s\n", why);
        return CAFE_EIO;
    }
    printf("%.0f\n", (double)j->n / t);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: bench_sinks SPEC N [BATCH_ROWS]\n");
        return 2;
    }
    job_t j = {argv[1], atol(argv[2]), argc == 4 ? (size_t)atol(argv[3]) : 0};
    cafe_result_t res;
    return cafe_run(bench, &j, &res) == 0 && res.status == 0 ? 0 : 1;
}
