/* A Redis connection for cafe tasks: hiredis's async API on cafe's own libuv loop, each
 * command a suspending call (a cafe_future_t) that parks only the calling task. Used by
 * `cafe queue` and `cafe titles --queue`. */
#ifndef CAFE_REDIS_REDIS_H
#define CAFE_REDIS_REDIS_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

/* Where to connect, parsed from redis://[USER[:PASS]@]HOST[:PORT][/DB][?queue=NAME], or for a
 * Unix socket unix://[[USER]:PASS@]/PATH[?db=N&queue=NAME] (also redis+unix://; the form of
 * redis-py, go-redis and redis-rb). The password comes from the URL or, when the URL has
 * none, from $REDISCLI_AUTH (as redis-cli). `display` is the URL without the password, for
 * messages: nothing else may be printed of it; `where` is HOST:PORT or the socket's path. */
typedef struct redis_conf {
    char *host, *user, *pass, *queue, *display, *where;
    char *socket; /* the Unix socket's path; NULL for TCP (host and port) */
    int port, db;
} redis_conf_t;

/* Fills c from url (queue_opt, when not NULL, overrides ?queue=). Returns 0, or 2 after
 * printing on stderr why the URL is refused (rediss:// included: Debian's hiredis 0.14 has no
 * TLS). prog prefixes the message. Free with redis_conf_free (also after a failure). */
int redis_conf_parse(redis_conf_t *c, const char *url, const char *queue_opt, const char *prog);
void redis_conf_free(redis_conf_t *c);
/* cafe titles --queue's check of each value given (no --queue NAME there): why url is
 * refused ("bad REDIS_URL: ..."; static, overwritten by the next call), or NULL. Prints
 * nothing, and nothing of the URL, which may hold a password. */
const char *redis_conf_check(const char *url);
/* cafe queue --queue NAME's check: why name is no queue name, or NULL. */
const char *redis_queue_name_check(const char *name);

/* One connection. Owned by whoever opened it; redis_close frees it. Lua scripts given
 * at open are loaded (SCRIPT LOAD) on every (re)connect; redis_sha gives the SHA1 to run one
 * with EVALSHA (queue_eval does). Only tasks of the loop that opened it may use it. */
typedef struct redis redis_t;

/* Connects, authenticates, selects the database and loads the scripts; from a task. No retry:
 * on failure *out is NULL and the message (never the password) is in err. */
int redis_open(redis_t **out, const redis_conf_t *c, const char *const *scripts, size_t nscripts,
               char *err, size_t errlen);
/* Drops the connection at once (pending commands fail with CAFE_ECANCELED) and frees r. */
void redis_close(redis_t *r);

/* After a lost connection, calls reconnect with backoff (100 ms doubling to 5 s) until the
 * outage has lasted ms milliseconds in all, then fail: every later call fails at once (the
 * connection is given up); 0 (the default) means never retry. */
void redis_set_retry(redis_t *r, uint64_t ms, int quiet);

/* Runs one command (argv, lens as redisCommandArgv) and hands back its reply, which the
 * caller frees with freeReplyObject. A Redis error reply is a reply, not a failure. Returns
 * 0, CAFE_ECONNRESET (connection lost, or silent for 10 s while commands wait, after the
 * retries), CAFE_EIO (a reply over the bounds: redis_reply_oversized), CAFE_ECANCELED /
 * CAFE_ETIMEDOUT (the caller's own interruption), CAFE_ENOMEM.
 * A command whose connection dropped is sent again after the reconnect: use it only for
 * commands that are safe to repeat. */
int redis_cmd(redis_t *r, redisReply **out, int argc, const char **argv, const size_t *lens);
/* 1 when the last command failed (CAFE_EIO) because its reply was over cafe's bounds on a
 * reply (a string of 16 MB, 512 MB in all): the link was given up, and the next command makes
 * a new one, also where lost links are not retried. */
int redis_reply_oversized(const redis_t *r);
/* The SHA1 of script number idx (loaded at connect), for EVALSHA. */
const char *redis_sha(const redis_t *r, size_t idx);

/* Shapes of replies, checked before they are read (a server is outside input). 1 when r is
 * an array of at least n elements; when r is an XRANGE answer: an array of entries, each
 * [id, [field, value, ...]] with a string id. */
int redis_reply_array(const redisReply *r, size_t n);
int redis_reply_stream(const redisReply *r);

/* The last error message of r (connection or server), for messages. */
const char *redis_error(const redis_t *r);
void redis_set_error(redis_t *r, const char *msg);

#endif
