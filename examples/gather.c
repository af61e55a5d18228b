/* asyncio.gather in C: tasks that sleep different times and one that fails. The results come
 * back in the order the tasks were given, whatever order they finish in, and the failure is
 * reported in its place, not lost (gather's return_exceptions=True). */
#include <cafe.h>

#include <stdio.h>

typedef struct job {
    const char *name;
    uint64_t ms;
    int fail;
} job_t;

static int worker(void *arg, void **value) {
    job_t *job = arg;
    printf("%s: sleeping %llu ms\n", job->name, (unsigned long long)job->ms);
    int rc = cafe_task_sleep(job->ms);
    if (rc != 0)
        return rc;
    printf("%s: done\n", job->name);
    if (job->fail)
        return CAFE_ETIMEDOUT; /* pretend the work behind it timed out */
    *value = (void *)job->name;
    return 0;
}

static int main_task(void *arg, void **value) {
    (void)arg;
    (void)value;
    static job_t jobs[] = {
        {"slow", 300, 0}, {"fast", 100, 0}, {"failing", 200, 1}, {"medium", 150, 0}};
    enum { N = sizeof jobs / sizeof jobs[0] };
    cafe_task_t *tasks[N];
    cafe_result_t results[N];
    size_t started = 0;
    int rc = 0;
    while (rc == 0 && started < N) {
        cafe_task_opts_t opts = {.name = jobs[started].name};
        if ((rc = cafe_task_spawn(&tasks[started], worker, &jobs[started], &opts)) == 0)
            started++;
    }
    if (rc != 0) { /* a spawn failed: the tasks already started are cancelled and joined */
        for (size_t i = 0; i < started; i++)
            cafe_task_cancel(tasks[i]);
        cafe_task_gather(tasks, started, results);
        return rc;
    }
    rc = cafe_task_gather(tasks, N, results);
    if (rc != 0)
        return rc;
    int failures = 0;
    for (size_t i = 0; i < N; i++) {
        if (results[i].status == 0)
            printf("result %zu: '%s'\n", i, (const char *)results[i].value);
        else {
            printf("result %zu: error: %s\n", i, cafe_strerror(results[i].status));
            failures++;
        }
    }
    printf("%d of %d failed\n", failures, (int)N);
    return 0;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    cafe_result_t result;
    int rc = cafe_run(main_task, NULL, &result);
    return rc == 0 && result.status == 0 ? 0 : 1;
}
