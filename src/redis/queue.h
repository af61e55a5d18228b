/* The shared URL queue on Redis: what `cafe queue push|results|status` uses, and the worker
 * side of `cafe titles --queue REDIS_URL` as a URL source and record sink pair.
 *
 * Keys (one hash tag per queue, so a Redis Cluster keeps a queue on one node):
 *   cafe:{NAME}:pending  list of URLs not yet taken
 *   cafe:{NAME}:seen     set of every URL ever pushed (pushing twice adds nothing)
 *   cafe:{NAME}:leases   sorted set URL -> lease expiry (ms, Redis server clock)
 *   cafe:{NAME}:owner    hash URL -> worker id holding the lease, or worker id + "!": the
 *                        receipt of its ACK, until the worker has the reply (FORGET), ends
 *                        (RELEASE) or is found silent (the receipt then moves to receipts)
 *   cafe:{NAME}:results  stream of result records (field "record": the --json line; "seq":
 *                        its place among all the queue's records, from 0)
 *   cafe:{NAME}:stats    hash pushed / done / failed / reclaimed / drained (records
 *                        deleted by `results --drain`: the seq of the first one left) /
 *                        epoch (set by the first claim: a queue lost and pushed again has
 *                        another)
 *   cafe:{NAME}:workers  sorted set worker id -> expiry of its last sign of life
 *   cafe:{NAME}:drain    hash: the chunk a `results --drain` into a file is writing and has
 *                        not deleted yet (file dev:ino, its size before the chunk, its path)
 *   cafe:{NAME}:drainer  string, with a time to live: the token of the drain exporting now
 *   cafe:{NAME}:receipts hash URL -> worker id + "!", with a time to live: the receipts of
 *                        workers found silent, for an ACK sent again after a long outage
 *   cafe:{NAME}:pushes   hash pusher id -> "BATCH ADDED", with a time to live: each push's
 *                        receipt of its last batch, for that batch sent again after a reconnect
 * Every change is one Lua script (queue_lua.c), so each step is atomic. */
#ifndef CAFE_REDIS_QUEUE_H
#define CAFE_REDIS_QUEUE_H

#include "redis.h"
#include "sink.h"
#include "source.h"

#include <stddef.h>

enum {
    QK_PENDING,
    QK_SEEN,
    QK_LEASES,
    QK_OWNER,
    QK_RESULTS,
    QK_STATS,
    QK_WORKERS,
    QK_DRAIN,
    QK_DRAINER,
    QK_RECEIPTS,
    QK_PUSHES,
    QK_COUNT
};
enum {
    QS_PUSH,
    QS_CLAIM,
    QS_RENEW,
    QS_ACK,
    QS_RELEASE,
    QS_STATUS,
    QS_DELETE,
    QS_DRAINED,
    QS_DRAINER,
    QS_FORGET,
    QS_READ,
    QS_COUNT
};

/* The Lua scripts, indexed by QS_*: loaded on every connection. */
extern const char *const queue_scripts[QS_COUNT];

/* One queue's key names. */
typedef struct queue_keys {
    char *k[QK_COUNT];
} queue_keys_t;
int queue_keys_init(queue_keys_t *k, const char *name);
void queue_keys_free(queue_keys_t *k);

/* A name for this process among a queue's clients (a worker, a push), unique across machines
 * and restarts: "host:pid:wall ms:64 random bits" (QUEUE_CLIENT_NAME_MAX bytes at most). Host,
 * pid and time alone were not: containers of one image (one hostname, pid 1) started in the
 * same millisecond got the same name, and shared their leases (the release at one's end gave
 * back the URLs the other was still fetching); the rest is for people reading cafe queue
 * status. */
#define QUEUE_CLIENT_NAME_MAX 160
void queue_client_name(char *out, size_t n);

/* What queue_eval says of Redis's OOM error (maxmemory reached, nothing it may evict: under
 * noeviction, or a volatile-* policy the start takes, the queue's keys having no time to
 * live; it said noeviction under both). */
#define QUEUE_OOM_MESSAGE                                                                          \
    "Redis is out of memory: its used memory is over maxmemory, and it refuses what would add "    \
    "to it (maxmemory-policy noeviction, or volatile-* with no key of a time to live to evict)"

/* Runs script `script` on the queue's keys with args argv[0..argc) (lens may be NULL for C
 * strings). Returns as redis_cmd; a Redis error reply is turned into CAFE_EIO with the
 * message in redis_error(r) (queue_reply_error). */
int queue_eval(redis_t *r, const queue_keys_t *k, int script, redisReply **out, int argc,
               const char **argv, const size_t *lens);
/* When *rep is a Redis error reply: frees it (*rep NULL), puts its message in redis_error(r),
 * escaped and said plainly for maxmemory's OOM and for WRONGTYPE (which of the names), and
 * returns CAFE_EIO. Else 0, *rep kept. For the queue's commands that are not scripts. */
int queue_reply_error(redis_t *r, const queue_keys_t *k, redisReply **rep);

/* What a command does to the queue, for queue_check_server, each level the one before and
 * more: reads it, writes to it (deletes too), adds to it. */
enum { QUEUE_READS, QUEUE_WRITES, QUEUE_ADDS };
/* Refuses a server older than 6.2 (the scripts' commands); for QUEUE_WRITES a replica too
 * (its writes refused: redis.c retries that as a failover's), and for QUEUE_ADDS one that
 * would evict the queue's keys when full (maxmemory-policy allkeys-*): pushed URLs and
 * written records would vanish without a word (a drain, which only deletes, may still save
 * what is left). Returns 0 (also when the server does not let us read its version, role or
 * configuration), or CAFE_EINVAL with the reason in err. */
int queue_check_server(redis_t *r, int uses, char *err, size_t errlen);
/* Whether the server evicts any key when full (maxmemory-policy allkeys-*), the queue's too:
 * 1 (its policy, made safe to print, in policy), 0 (not, or not told), or a connection
 * error. */
int queue_evicts(redis_t *r, char *policy, size_t n);

/* ---- the worker side of `cafe titles --queue`: the queue as a source and sink pair ---------- */

/* The source claims leased batches of URLs (each line's ref marks its lease) and a renewer
 * task keeps the leases of the URLs held alive; the sink appends each record to the results
 * stream and acknowledges its URL in one script, settling it then (not written when the
 * lease went to another worker, which writes it instead). The source's finish puts back the
 * URLs held and not finished (Ctrl-C) and closes the connection: call it after the sink's
 * last write. The two share one state, freed when both are closed (in either order). */
typedef struct queue_worker_opts {
    const char *url;    /* redis://...?queue=NAME */
    uint64_t lease_ms;  /* how long a claimed URL stays ours without renewal */
    size_t concurrency; /* URLs in flight: claims are sized from it */
    int follow;         /* wait for more URLs when the queue is empty, instead of ending */
    int quiet;
    const char *prog; /* prefixes messages: "cafe titles" */
} queue_worker_opts_t;

/* Parses the URL and checks that the server answers, takes the credentials and the scripts
 * (on a short loop of its own: call it outside any loop, before the run). Returns 0, or 2
 * after printing why: nothing was changed in Redis then. */
int queue_worker_open(source_t **source, sink_t **sink, const queue_worker_opts_t *o);

#endif
