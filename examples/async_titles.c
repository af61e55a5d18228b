/* The guide's async example in C: fetch the <title> of several pages concurrently and print
 * them in the order given, then the time it took. Each task's code reads top to bottom;
 * cafe_http_request suspends only its own task, so the waits overlap.
 * Usage: async_titles URL...   (the guide's three URLs when none is given)
 * Build: cc -std=c11 async_titles.c $(pkg-config --cflags --libs cafe) */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <cafe.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int get_title(void *arg, void **value) {
    const char *url = arg;
    cafe_http_result_t res;
    int rc = cafe_http_request(url, NULL, &res); /* await session.get(url) */
    char *title = NULL;
    if (rc != 0) {
        fprintf(stderr, "Error fetching %s: %s\n", url, res.message);
    } else if (res.status >= 400) { /* response.raise_for_status() */
        fprintf(stderr, "Error fetching %s: HTTP %ld\n", url, res.status);
        rc = CAFE_EIO;
    } else {
        cafe_title_extract(res.body, res.body_len, res.charset, &title, NULL);
    }
    cafe_http_result_free(&res);
    *value = title;
    return rc;
}

typedef struct urls {
    int n;
    char **v;
} urls_t;

static int main_async(void *arg, void **value) {
    (void)value;
    urls_t *u = arg;
    cafe_task_t **tasks = calloc((size_t)u->n, sizeof(*tasks));
    cafe_result_t *results = calloc((size_t)u->n, sizeof(*results));
    int rc = tasks && results ? 0 : CAFE_ENOMEM;
    int started = 0;
    while (rc == 0 && started < u->n)
        if ((rc = cafe_task_spawn(&tasks[started], get_title, u->v[started], NULL)) == 0)
            started++;
    if (rc != 0) { /* as asyncio.TaskGroup does: what started is cancelled, and waited for */
        fprintf(stderr, "Could not start the tasks: %s\n", cafe_strerror(rc));
        for (int i = 0; i < started; i++)
            cafe_task_cancel(tasks[i]);
    }
    if (started > 0) /* await asyncio.gather(*tasks): every task is joined, even cancelled */
        cafe_task_gather(tasks, (size_t)started, results);
    for (int i = 0; i < started; i++) {
        if (rc == 0)
            printf("'%s' from %s\n", results[i].value ? (char *)results[i].value : "None", u->v[i]);
        free(results[i].value);
    }
    free(tasks);
    free(results);
    return rc;
}

int main(int argc, char **argv) {
    static char *guide[] = {"https://www.python.org", "https://www.djangoproject.com",
                            "https://fastapi.tiangolo.com"};
    urls_t u = argc > 1 ? (urls_t){argc - 1, argv + 1} : (urls_t){3, guide};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cafe_result_t result;
    int rc = cafe_run(main_async, &u, &result); /* asyncio.run(main_async()) */
    if (rc == 0)
        rc = result.status; /* main_async's own failure */
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("Async version took %.2f seconds\n",
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return rc == 0 ? 0 : 1;
}
