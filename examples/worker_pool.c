/* The asyncio crawler's shape in C: a queue of work, a pool of workers, queue.join().
 *
 *     async def worker(name, q):
 *         while True:
 *             page = await q.get()
 *             links = await fetch(page)
 *             for link in links:
 *                 q.put_nowait(link)
 *             q.task_done()
 *
 *     q = asyncio.Queue(); q.put_nowait(root)
 *     workers = [asyncio.create_task(worker(f"w{i}", q)) for i in range(4)]
 *     await q.join()                 # every page put has been marked done
 *     for w in workers: w.cancel()
 *
 * Each "page" takes a few milliseconds to fetch and links to three pages one level deeper,
 * down to depth 2: the workers put what they find back on the queue, so nobody knows the
 * amount of work up front, and a count of finished pages could not tell when it is over.
 * join can: it returns once every page put has had its task_done. */
#include <cafe.h>

#include <stdint.h>
#include <stdio.h>

enum { FANOUT = 3, LAST_PARENT = 3, WORKERS = 4 }; /* pages 0..12: 1 + 3 + 9 */

typedef struct crawl {
    cafe_queue_t queue; /* page numbers, + 1 so that none is NULL */
    int fetched;
} crawl_t;

static int worker(void *arg, void **value) {
    (void)value;
    crawl_t *c = arg;
    for (;;) {
        void *item;
        int rc = cafe_queue_get(&c->queue, &item); /* CAFE_ECANCELED once join is over */
        if (rc != 0)
            return rc;
        intptr_t page = (intptr_t)item - 1;
        rc = cafe_task_sleep(1 + (uint64_t)page % 4); /* "fetching" */
        if (rc != 0)
            return rc;
        c->fetched++;
        if (page <= LAST_PARENT)
            for (intptr_t i = 1; i <= FANOUT; i++) /* unbounded: never waits */
                if ((rc = cafe_queue_put(&c->queue, (void *)(FANOUT * page + i + 1))) != 0)
                    return rc;
        cafe_queue_task_done(&c->queue);
    }
}

static int main_task(void *arg, void **value) {
    (void)arg;
    (void)value;
    crawl_t c = {.fetched = 0};
    int rc = cafe_queue_init(&c.queue, CAFE_QUEUE_UNBOUNDED);
    if (rc != 0)
        return rc;
    cafe_queue_put(&c.queue, (void *)1); /* the root, page 0 */
    cafe_group_t pool;
    cafe_group_init(&pool, 0);
    for (int i = 0; i < WORKERS && rc == 0; i++)
        rc = cafe_group_spawn(&pool, worker, &c, NULL);
    if (rc == 0)
        rc = cafe_queue_join(&c.queue);
    cafe_group_cancel(&pool); /* the workers wait in get: end them */
    int failed = cafe_group_wait(&pool);
    printf("crawled %d pages with %d workers, %zu left unfinished\n", c.fetched, WORKERS,
           cafe_queue_unfinished(&c.queue));
    cafe_queue_destroy(&c.queue);
    return rc != 0 ? rc : failed;
}

int main(void) {
    cafe_result_t result;
    int rc = cafe_run(main_task, NULL, &result);
    if (rc == 0)
        rc = result.status;
    if (rc != 0)
        fprintf(stderr, "worker_pool: %s\n", cafe_strerror(rc));
    return rc == 0 ? 0 : 1;
}
