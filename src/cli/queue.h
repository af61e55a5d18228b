/* The shared URL queue on Redis: `cafe queue push|results|status` and the worker side of
 * `cafe titles --queue REDIS_URL`.
 *
 * Keys (one hash tag per queue, so a Redis Cluster keeps a queue on one node):
 *   cafe:{NAME}:pending  list of URLs not yet taken
 *   cafe:{NAME}:seen     set of every URL ever pushed (pushing twice adds nothing)
 *   cafe:{NAME}:leases   sorted set URL -> lease expiry (ms, Redis server clock)
 *   cafe:{NAME}:owner    hash URL -> worker id holding the lease
 *   cafe:{NAME}:results  stream of result records (field "record": the --json line)
 *   cafe:{NAME}:stats    hash pushed / done / failed / reclaimed
 *   cafe:{NAME}:workers  sorted set worker id -> expiry of its last sign of life
 * Every change is one Lua script (queue_lua.c), so each step is atomic. */
#ifndef CAFE_CLI_QUEUE_H
#define CAFE_CLI_QUEUE_H

#include "record.h"
#include "redis.h"

#include <stddef.h>

enum { QK_PENDING, QK_SEEN, QK_LEASES, QK_OWNER, QK_RESULTS, QK_STATS, QK_WORKERS, QK_COUNT };
enum { QS_PUSH, QS_CLAIM, QS_RENEW, QS_ACK, QS_RELEASE, QS_STATUS, QS_COUNT };

/* The Lua scripts, indexed by QS_*: loaded on every connection. */
extern const char *const cli_queue_scripts[QS_COUNT];

/* One queue's key names. */
typedef struct cli_qkeys {
    char *k[QK_COUNT];
} cli_qkeys_t;
int cli_qkeys_init(cli_qkeys_t *k, const char *name);
void cli_qkeys_free(cli_qkeys_t *k);

/* Runs script `script` on the queue's keys with args argv[0..argc) (lens may be NULL for C
 * strings). Returns as cli_redis_eval; a Redis error reply is turned into CAFE_EIO with the
 * message in cli_redis_error(r). */
int cli_queue_eval(cli_redis_t *r, const cli_qkeys_t *k, int script, redisReply **out, int argc,
                   const char **argv, const size_t *lens);

/* `cafe queue SUBCOMMAND ...` (argv[0] is "queue"): the process exit code. */
int cli_queue_main(int argc, char **argv);

/* ---- the worker side of `cafe titles --queue` (queue_worker.c) ---------------------------- */

struct cli_run;
struct cli_opts;
typedef struct cli_queue cli_queue_t;

/* Parses o->queue and checks that the server answers, takes the credentials and the
 * scripts (on a short loop of its own, before the run). Returns 0, or 2 after printing why:
 * nothing was changed in Redis then. Owned by the caller: cli_queue_close. */
int cli_queue_open(cli_queue_t **out, const struct cli_opts *o);
void cli_queue_close(cli_queue_t *q);

/* The next URL to fetch, for the run's reader task (as cli_input_next: 1 and a line valid
 * until the next call, 0 when the queue is done, or a negative code). Claims batches with a
 * lease and renews the leases of the URLs in flight. */
int cli_queue_next(cli_queue_t *q, struct cli_run *run, const char **line, size_t *len);

/* The record of a URL the queue handed out: appends it to the results stream and
 * acknowledges the URL in one script. Returns 0 when written, 1 when not (the lease was lost
 * to another worker, which writes the record instead), or a negative -errno after printing
 * why (Redis gone for longer than the retries). */
int cli_queue_record(cli_queue_t *q, const cli_record_t *rec);

/* End of the run, from a task, after every fetch finished: stops renewing, puts back the URLs
 * handed out but not finished (Ctrl-C), and says goodbye. */
void cli_queue_finish(cli_queue_t *q);

#endif
