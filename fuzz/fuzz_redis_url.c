/* libFuzzer target for the REDIS_URL parser of `cafe queue` and `cafe titles --queue`
 * (src/redis/redis_conf.c): redis:// through curl's URL API, unix:// and redis+unix:// by
 * hand. Input: byte 0 picks a --queue NAME (or none), the rest is the URL (a heap copy with
 * its NUL, so ASan sees any read past it). Checks, beyond ASan and UBSan: the result is 0 or
 * 2; an accepted URL has a host, a port of 1-65535 (or a socket), a database of 0-1000000, a queue
 * name of the safe alphabet (the option's when given), and a display form starting redis:// or
 * unix:// that shows a password as *** only; redis_conf_check (--queue's check, no NAME)
 * refuses exactly what the parser refuses without a --queue; the refusal frees all. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    FILE *null = fopen("/dev/null", "w");
    if (null)
        stderr = null; /* the refusals' messages; libFuzzer keeps the real descriptor */
    unsetenv("REDISCLI_AUTH");
    return 0;
}

static const char *const queues[] = {NULL, "q", "urls:1", "bad name"};

static void check(const redis_conf_t *c, const char *queue_opt) {
    if (!c->host || !*c->host || (!c->socket && (c->port < 1 || c->port > 65535)) || c->db < 0 ||
        c->db > 1000000 || !c->queue || redis_queue_name_check(c->queue) ||
        (queue_opt && strcmp(queue_opt, c->queue) != 0) || !c->display || !c->where)
        abort();
    if (strncmp(c->display, c->socket ? "unix://" : "redis://", c->socket ? 7 : 8) != 0)
        abort();
    if ((c->pass != NULL) != (strstr(c->display, ":***@") != NULL))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > 4096)
        return 0;
    const char *queue_opt = queues[data[0] & 3];
    char *url = malloc(size);
    if (!url)
        abort();
    memcpy(url, data + 1, size - 1);
    url[size - 1] = '\0';
    redis_conf_t c;
    int rc = redis_conf_parse(&c, url, queue_opt, "fuzz");
    if (rc != 0 && rc != 2)
        abort();
    if (rc == 0)
        check(&c, queue_opt);
    redis_conf_free(&c);
    if (!queue_opt) {
        const char *why = redis_conf_check(url);
        if ((why == NULL) != (rc == 0) || (why && strncmp(why, "bad REDIS_URL: ", 15) != 0))
            abort();
    }
    free(url);
    return 0;
}
