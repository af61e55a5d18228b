/* The queue's Lua scripts. Each runs atomically in Redis, so a step is all or nothing: a URL
 * taken is leased, a record written is an acknowledged URL. Times come from the server's
 * own clock (TIME; scripts replicate their effects since Redis 5), so workers on many
 * machines need no synchronised clocks. KEYS are in QK_* order.
 *
 * Redis does not undo a script's writes when a later command of it fails (a key of another
 * type under the queue's names, a command the ACL user may not run): a step half done lost
 * URLs (an acknowledgement took the lease before its XADD failed, a claim popped URLs before
 * leasing them, a push marked a URL seen before queueing it). So each script first reads
 * every key it writes after its first write (a type refused there changes nothing), and
 * writes what may be refused before what settles a URL. */
#include "queue.h"
#include "text.h"
#include "cafe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) "

/* The receipts (owner hash values worker.."!") of the workers in the table gone move aside,
 * to the receipts hash (QK_RECEIPTS) kept RECEIPTS_KEEP_MS after the last move: a worker
 * found silent may be alive, its link down past its lease, and send an ACK again whose first
 * sending went through; dropped, its receipt answered 0 and the worker counted "not written" a
 * record it wrote. A worker retries a lost link for 5 minutes (queue_source.c's RETRY_FOR_MS), so
 * twice that is enough; a dead worker's receipts go with the time to live (or an eviction: a
 * miscount then, no loss). */
#define RECEIPTS_KEEP_MS "600000"
#define KEEP_RECEIPTS                                                                              \
    "local kv, kept = redis.call('HGETALL', KEYS[4]), 0 "                                          \
    "for i = 1, #kv, 2 do "                                                                        \
    "  if gone[kv[i + 1]] then "                                                                   \
    "    redis.call('HDEL', KEYS[4], kv[i]) redis.call('HSET', KEYS[10], kv[i], kv[i + 1]) "       \
    "    kept = kept + 1 "                                                                         \
    "  end "                                                                                       \
    "end "                                                                                         \
    "if kept > 0 then redis.call('PEXPIRE', KEYS[10], " RECEIPTS_KEEP_MS ") end "

/* Worker w (ARGV[1]) alive for lease more ms: the workers silent past their lease are
 * forgotten (a killed worker never says goodbye: its entry stayed for ever), and the
 * receipts of their ACKs leave the owner hash with them, kept aside for a while
 * (KEEP_RECEIPTS; QS_ACK: a killed worker never sent their FORGET, up to QUEUE_FORGET_MAX URLs
 * each stayed in the owner hash for ever); not w's own, back from a stall. Whichever script
 * first finds a worker silent forgets both: RENEW dropped the entry alone, and no later
 * CLAIM found its receipts. A scan of the owner hash, only when a worker went silent: it
 * holds the URLs in flight and the receipts of live workers. Its first write only shrinks
 * memory (RENEW's first write may not grow it); a receipt moved takes what it freed. */
#define SIGN_OF_LIFE                                                                               \
    "local silent = redis.call('ZRANGEBYSCORE', KEYS[7], '-inf', now) "                            \
    "redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', now) "                                        \
    "if #silent > 0 then "                                                                         \
    "  local gone = {} "                                                                           \
    "  for _, s in ipairs(silent) do if s ~= w then gone[s .. '!'] = true end end " KEEP_RECEIPTS  \
    "end "                                                                                         \
    "redis.call('ZADD', KEYS[7], now + lease, w) "

/* A URL too long to fetch (over max, ARGV[4]: the longest line cafe titles fetches; pushed by
 * another program, cafe's push leaves such lines out) leased as its first max bytes and the
 * SHA1 of the whole, which the worker records as cafe titles records an over-long line: handed
 * out whole, one of 20 MB (Redis takes up to 512 MB) broke every claim's reply (cafe's bound on
 * a reply's string, 16 MB), the claim's other URLs with it, and after each lease the next
 * claim took it again: no worker ever got past it, nor ended. Unique as the URL is; one
 * leased whole before (leased) gives its lease up to the new name. */
#define SHORT_URL                                                                                  \
    "local function short(u, leased) "                                                             \
    "  if #u <= max + 40 then return u end "                                                       \
    "  if leased then redis.call('ZREM', KEYS[3], u) redis.call('HDEL', KEYS[4], u) end "          \
    "  return string.sub(u, 1, max) .. redis.sha1hex(u) "                                          \
    "end "

const char *const queue_scripts[QS_COUNT] = {
    /* PUSH pusher batch url...: each URL never seen before goes to the end of pending. Returns
     * {added, the queue's epoch (as CLAIM's; set here too, by the push that makes the queue:
     * a push that went on after a Redis restarted without persistence, or the queue deleted,
     * made a new queue without a word, the URLs it had pushed before lost)}. The pusher's
     * receipt (QK_PUSHES: its last batch number and what it added; a push sends one batch at
     * a time) answers that batch sent again after a reconnect, its first sending having gone
     * through: run again, it added nothing, and push said "0 added, N skipped (already
     * pushed)" of URLs it had added itself. Kept RECEIPTS_KEEP_MS, as a worker's, past a
     * pusher killed; a push of no URLs (push's end) drops it. */
    [QS_PUSH] = NOW
    "redis.call('LLEN', KEYS[1]) redis.call('HLEN', KEYS[6]) redis.call('HLEN', KEYS[11]) "
    "local pusher, batch = ARGV[1], ARGV[2] "
    "if #ARGV == 2 then "
    "  redis.call('HDEL', KEYS[11], pusher) "
    "  return {0, redis.call('HGET', KEYS[6], 'epoch')} "
    "end "
    "local last = redis.call('HGET', KEYS[11], pusher) "
    "if last and string.sub(last, 1, #batch + 1) == batch .. ' ' then "
    "  return {tonumber(string.sub(last, #batch + 2)), redis.call('HGET', KEYS[6], 'epoch')} "
    "end "
    "local added = 0 "
    "for i = 3, #ARGV do "
    "  if redis.call('SADD', KEYS[2], ARGV[i]) == 1 then "
    "    redis.call('RPUSH', KEYS[1], ARGV[i]) added = added + 1 "
    "  end "
    "end "
    "if added > 0 then redis.call('HINCRBY', KEYS[6], 'pushed', added) end "
    "if redis.call('EXISTS', KEYS[6]) == 1 then "
    "  redis.call('HSETNX', KEYS[6], 'epoch', t[1] .. '.' .. t[2] .. ' ' .. pusher) "
    "end "
    "redis.call('HSET', KEYS[11], pusher, batch .. ' ' .. added) "
    "redis.call('PEXPIRE', KEYS[11], " RECEIPTS_KEEP_MS ") "
    "return {added, redis.call('HGET', KEYS[6], 'epoch')}",
    /* CLAIM worker n lease_ms max: up to n URLs leased to worker, expired leases first (their
     * worker is gone), each too long to fetch by a name of its own (SHORT_URL); silent workers
     * forgotten (SIGN_OF_LIFE). Returns {urls, pending,
     * leased, ms until the next lease expires or -1, the queue's epoch or nil when it does not
     * exist (its stats: from the first URL pushed on, whatever is done), the urls whose expired
     * lease was worker's own}: the worker may still be fetching those (its renewals held up),
     * or never have got them (a claim whose reply was lost); it knows which (queue_source.c).
     * The epoch, set by the push that made the queue or the first claim that found it (the
     * server's time and the pusher or claiming worker), tells the queue a worker saw from one
     * pushed again after it was lost (a Redis restarted without persistence, a push run again at
     * once): its stats alone did not, and the workers went on without a word, the records of before
     * lost. */
    [QS_CLAIM] = NOW
    "local w, n, lease, max = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), "
    "tonumber(ARGV[4]) "
    "redis.call('ZCARD', KEYS[3]) redis.call('HLEN', KEYS[4]) redis.call('HLEN', KEYS[6]) "
    "redis.call('LLEN', KEYS[1]) redis.call('HLEN', KEYS[10]) " SIGN_OF_LIFE
    "if redis.call('EXISTS', KEYS[6]) == 1 then "
    "  redis.call('HSETNX', KEYS[6], 'epoch', t[1] .. '.' .. t[2] .. ' ' .. w) "
    "end " SHORT_URL "local got = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, n) "
    "local mine = {} "
    "for i, u in ipairs(got) do "
    "  local o = redis.call('HGET', KEYS[4], u) "
    "  got[i] = short(u, true) "
    "  if o == w then mine[#mine + 1] = got[i] end "
    "end "
    "if #got > #mine then redis.call('HINCRBY', KEYS[6], 'reclaimed', #got - #mine) end "
    "if #got < n then "
    "  local fresh = redis.call('LPOP', KEYS[1], n - #got) "
    "  if fresh then for _, u in ipairs(fresh) do got[#got + 1] = short(u, false) end end "
    "end "
    "for _, u in ipairs(got) do "
    "  redis.call('ZADD', KEYS[3], now + lease, u) redis.call('HSET', KEYS[4], u, w) "
    "end "
    "local first = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES') "
    "local wait = -1 "
    "if first[2] then wait = math.max(0, tonumber(first[2]) - now) end "
    "return {got, redis.call('LLEN', KEYS[1]), redis.call('ZCARD', KEYS[3]), wait, "
    "redis.call('HGET', KEYS[6], 'epoch'), mine}",
    /* RENEW worker lease_ms url...: extends the leases worker still holds. Its first write
     * (forgetting silent workers, as CLAIM does) may not grow memory: Redis refuses a
     * script's first write that may (ZADD) when over maxmemory (noeviction), and lets one
     * that wrote go on. Refused, the leases of URLs being fetched ran out and other workers
     * fetched them again; CLAIM, ACK and RELEASE begin so already. */
    [QS_RENEW] = NOW "local w, lease = ARGV[1], tonumber(ARGV[2]) "
                     "redis.call('HLEN', KEYS[4]) redis.call('HLEN', KEYS[10]) " SIGN_OF_LIFE
                     "local kept = 0 "
                     "for i = 3, #ARGV do "
                     "  if redis.call('HGET', KEYS[4], ARGV[i]) == w then "
                     "    redis.call('ZADD', KEYS[3], 'XX', now + lease, ARGV[i]) kept = kept + 1 "
                     "  end "
                     "end "
                     "return kept",
    /* ACK worker url record failed: the record and the acknowledgement together, only by
     * the lease holder: so no URL ever gets two records. The entry's seq is the records
     * acknowledged before it (the stats' done): its place among all the queue's records,
     * which every export gives it (queue_results.c). The record first, the URL settled
     * after; the first write (of nothing, in the drain note) lets Redis over maxmemory
     * (noeviction) take the rest, as it lets a script that wrote go on.
     * The URL's owner becomes a receipt, worker.."!", until the worker has the reply
     * (FORGET): an ACK sent again after a reconnect, the first having gone through, answers
     * 2 (written) by it, where it answered 0 and the worker counted a record "not written"
     * that was; by the receipt kept aside (KEEP_RECEIPTS) when the worker was found silent
     * meanwhile. */
    [QS_ACK] = "local o = redis.call('HGET', KEYS[4], ARGV[2]) "
               "if o == ARGV[1] .. '!' then return 2 end "
               "if not o and redis.call('HGET', KEYS[10], ARGV[2]) == ARGV[1] .. '!' then "
               "  return 2 "
               "end "
               "if o ~= ARGV[1] then return 0 end "
               "redis.call('ZSCORE', KEYS[3], ARGV[2]) "
               "local seq = redis.call('HGET', KEYS[6], 'done') or '0' "
               "redis.call('HDEL', KEYS[8], 'none') "
               "redis.call('XADD', KEYS[5], '*', 'record', ARGV[3], 'seq', seq) "
               "redis.call('HINCRBY', KEYS[6], 'done', 1) "
               "redis.call('HSET', KEYS[4], ARGV[2], ARGV[1] .. '!') "
               "redis.call('ZREM', KEYS[3], ARGV[2]) "
               "if ARGV[4] == '1' then redis.call('HINCRBY', KEYS[6], 'failed', 1) end "
               "return 1",
    /* FORGET worker url...: the receipts of ACKs whose reply worker has: none is sent
     * again. */
    [QS_FORGET] = "redis.call('HLEN', KEYS[4]) local n = 0 "
                  "for i = 2, #ARGV do "
                  "  if redis.call('HGET', KEYS[4], ARGV[i]) == ARGV[1] .. '!' then "
                  "    redis.call('HDEL', KEYS[4], ARGV[i]) n = n + 1 "
                  "  end "
                  "end "
                  "return n",
    /* READ from count entry_max budget: the results stream's entries from `from` on, count at
     * most, as XRANGE gives them, but an entry over entry_max bytes (its fields, and 64 bytes
     * more for each) without its fields, which every export leaves out as no record of
     * cafe's; and the entries after budget bytes are left to the next READ. Returns {entries,
     * 1 when the budget cut them short}. A 20 MB entry another program added broke every
     * export's reply (cafe bounds a string in a reply at 16 MB): results stopped at once,
     * and a drain retried without end, exporting nothing. */
    [QS_READ] = "local e = redis.call('XRANGE', KEYS[5], ARGV[1], '+', 'COUNT', ARGV[2]) "
                "local max, budget, used = tonumber(ARGV[3]), tonumber(ARGV[4]), 0 "
                "for i, x in ipairs(e) do "
                "  local size = 64 "
                "  for _, f in ipairs(x[2]) do size = size + #f + 64 end "
                "  if size > max then x[2] = {} size = 64 end "
                "  used = used + size "
                "  if used > budget and i > 1 then "
                "    for j = #e, i, -1 do e[j] = nil end "
                "    return {e, 1} "
                "  end "
                "end "
                "return {e, 0}",
    /* RELEASE worker: every URL leased to worker goes back to the front of pending, and the
     * worker leaves the workers' set with its receipts: its FORGET came after and a receipt
     * it did not take (the worker killed between the two, a FORGET refused) stayed for ever.
     * One scan of the owner hash finds both (it holds every lease's owner): the leases'
     * sorted set scanned too, with an HGET per lease, made it 104 ms at 100,000 entries (a
     * hundred workers' URLs in flight and receipts), once per worker's end; 46 to 55 ms now. The
     * receipts go first: their HDEL frees memory. Each URL is queued before its lease goes:
     * an LPUSH refused after (the ACL user's) lost it. */
    [QS_RELEASE] = "redis.call('LLEN', KEYS[1]) redis.call('ZCARD', KEYS[3]) "
                   "redis.call('ZCARD', KEYS[7]) local n = 0 "
                   "local w, kv = ARGV[1], redis.call('HGETALL', KEYS[4]) "
                   "for i = 1, #kv, 2 do "
                   "  if kv[i + 1] == w .. '!' then redis.call('HDEL', KEYS[4], kv[i]) end "
                   "end "
                   "for i = 1, #kv, 2 do "
                   "  if kv[i + 1] == w then "
                   "    redis.call('LPUSH', KEYS[1], kv[i]) "
                   "    redis.call('HDEL', KEYS[4], kv[i]) redis.call('ZREM', KEYS[3], kv[i]) "
                   "    n = n + 1 "
                   "  end "
                   "end "
                   "redis.call('ZREM', KEYS[7], w) "
                   "return n",
    /* STATUS: {pending, leased, seen, results, stats..., live workers}. */
    [QS_STATUS] = NOW "return {redis.call('LLEN', KEYS[1]), redis.call('ZCARD', KEYS[3]), "
                      "redis.call('SCARD', KEYS[2]), redis.call('XLEN', KEYS[5]), "
                      "redis.call('HMGET', KEYS[6], 'pushed', 'done', 'failed', 'reclaimed'), "
                      "redis.call('ZRANGEBYSCORE', KEYS[7], now, '+inf')}",
    /* DELETE force: every key of the queue, unless (force "0") records wait in the results
     * stream or URLs are leased, which would be lost. {keys deleted, records, leased}.
     * UNLINK: DEL frees every element before Redis answers anyone, and a queue of millions
     * of URLs held every client of that Redis for seconds; UNLINK leaves it to Redis's
     * background thread. */
    [QS_DELETE] =
        "local results, leased = redis.call('XLEN', KEYS[5]), redis.call('ZCARD', KEYS[3]) "
        "if ARGV[1] ~= '1' and (results > 0 or leased > 0) then "
        "  return {0, results, leased} "
        "end "
        "return {redis.call('UNLINK', unpack(KEYS)), results, leased}",
    /* DRAINED token epoch id...: the entries of a chunk --drain wrote and made durable go, and with
     * them the note of that chunk (KEYS[8]), together: a chunk is noted until deleted. The
     * stats' "drained" counts the entries ever drained: the seq of the results stream's first
     * entry, so that an export's seq goes on from the last drain's (queue_results.c). Only
     * while the drain token still holds the queue (KEYS[9]): one stopped past its hold
     * (Ctrl-Z) while it wrote the chunk, which another drain took and exported too, deleted
     * it and the other's note. Returns 1, or 0 when the hold is not the token's; -1 when the
     * queue's stats are gone too, or have another epoch than the drain's (QS_CLAIM; "": none
     * then): the queue itself went (a Redis restarted without persistence, a flush, a delete
     * --force; and pushed again since) while the chunk was written, the hold with it, and the
     * chunk written is the only copy of its records left: cut off the file as another drain's,
     * it was lost. */
    [QS_DRAINED] = "redis.call('HLEN', KEYS[6]) redis.call('HLEN', KEYS[8]) "
                   "if redis.call('GET', KEYS[9]) ~= ARGV[1] then "
                   "  local e = redis.call('HGET', KEYS[6], 'epoch') "
                   "  if redis.call('EXISTS', KEYS[6]) == 0 or (ARGV[2] ~= '' and e ~= ARGV[2]) "
                   "  then return -1 end "
                   "  return 0 "
                   "end "
                   "if #ARGV > 2 then "
                   "  local n = redis.call('XDEL', KEYS[5], unpack(ARGV, 3)) "
                   "  redis.call('HINCRBY', KEYS[6], 'drained', n) "
                   "end "
                   "redis.call('DEL', KEYS[8]) return 1",
    /* DRAINER take|steal|renew|give token ms old [file size path]: one drain at a time.
     * take: the hold, for ms, if no other drain has it; steal: the same from the drain old
     * (known dead); renew: ms more, if it is still ours, and the note of the chunk about to be
     * written (KEYS[8]) when given; give: ours no more. Returns
     * {1} or {0, the holder's token}. The first write frees nothing and grows nothing, so
     * that Redis over maxmemory (noeviction) lets the rest through: a drain is what frees
     * its memory. */
    [QS_DRAINER] =
        "redis.call('HDEL', KEYS[8], 'none') "
        "local holder = redis.call('GET', KEYS[9]) "
        "if (ARGV[1] == 'take' and not holder) or "
        "   (ARGV[1] == 'steal' and holder == ARGV[4]) then "
        "  redis.call('SET', KEYS[9], ARGV[2], 'PX', ARGV[3]) return {1} "
        "end "
        "if holder ~= ARGV[2] then return {0, holder or ''} end "
        "if ARGV[1] == 'give' then redis.call('DEL', KEYS[9]) "
        "else redis.call('PEXPIRE', KEYS[9], ARGV[3]) end "
        "if ARGV[1] == 'renew' and ARGV[5] then "
        "  redis.call('HSET', KEYS[8], 'file', ARGV[5], 'size', ARGV[6], 'path', ARGV[7]) "
        "end "
        "return {1}",
};

int queue_keys_init(queue_keys_t *k, const char *name) {
    static const char *const suffix[QK_COUNT] = {"pending", "seen",     "leases",  "owner",
                                                 "results", "stats",    "workers", "drain",
                                                 "drainer", "receipts", "pushes"};
    memset(k, 0, sizeof(*k));
    for (int i = 0; i < QK_COUNT; i++) {
        size_t n = strlen(name) + strlen(suffix[i]) + 16;
        if (!(k->k[i] = malloc(n))) {
            queue_keys_free(k);
            return CAFE_ENOMEM;
        }
        snprintf(k->k[i], n, "cafe:{%s}:%s", name, suffix[i]);
    }
    return 0;
}

void queue_keys_free(queue_keys_t *k) {
    for (int i = 0; i < QK_COUNT; i++)
        free(k->k[i]);
    memset(k, 0, sizeof(*k));
}

int queue_eval(redis_t *r, const queue_keys_t *k, int script, redisReply **out, int argc,
               const char **argv, const size_t *lens) {
    enum { HEAD = 3 + QK_COUNT };
    int n = HEAD + argc;
    const char **all = malloc((size_t)n * sizeof(*all));
    size_t *all_lens = malloc((size_t)n * sizeof(*all_lens));
    int rc = CAFE_ENOMEM;
    if (all && all_lens) {
        char nkeys[8];
        snprintf(nkeys, sizeof nkeys, "%d", QK_COUNT);
        all[0] = "EVALSHA";
        all[1] = redis_sha(r, (size_t)script);
        all[2] = nkeys;
        for (int i = 0; i < n; i++) {
            if (i >= 3)
                all[i] = i < HEAD ? k->k[i - 3] : argv[i - HEAD];
            all_lens[i] = i >= HEAD && lens ? lens[i - HEAD] : strlen(all[i]);
        }
        rc = redis_cmd(r, out, n, all, all_lens);
    }
    free(all);
    free(all_lens);
    return rc == 0 ? queue_reply_error(r, k, out) : rc;
}

/* An error reply without what Redis adds when it comes from a script (" script: SHA1, on
 * @user_script:1."), which says nothing to a user; escaped for the terminal. */
static const char *script_error(char *shown, size_t n, const char *e) {
    const char *tail = strstr(e, " script: ");
    char head[256];
    snprintf(head, sizeof head, "%.*s", tail ? (int)(tail - e) : (int)strlen(e), e);
    return text_safe_copy(shown, n, head);
}

/* The length of the queue's key prefix, "cafe:{NAME}:". */
static int prefix_len(const queue_keys_t *k) {
    return (int)(strlen(k->k[QK_PENDING]) - strlen("pending"));
}

/* A command or key the ACL user may not use: NOPERM from a command, and from a script
 * "ERR The user executing the script can't run this command or subcommand" (Redis 6.2 to
 * 7.0) or "ERR ACL failure in script: ..." (7.2 on). */
static int acl_denied(const char *e) {
    return strncmp(e, "NOPERM ", 7) == 0 || strstr(e, "can't run this command") ||
           strstr(e, "ACL failure");
}

int queue_reply_error(redis_t *r, const queue_keys_t *k, redisReply **rep) {
    if ((*rep)->type != REDIS_REPLY_ERROR)
        return 0;
    const char *e = (*rep)->str;
    char shown[256], msg[512];
    if (strncmp(e, "OOM ", 4) == 0) {
        /* "OOM command not allowed when used memory > 'maxmemory'. script: SHA1, on
         * @user_script:1.": what it means, without the script's insides */
        redis_set_error(r, QUEUE_OOM_MESSAGE);
    } else if (strncmp(e, "WRONGTYPE ", 10) == 0) {
        /* Which key Redis does not say: a name of the queue's, cafe:{NAME}:*, holds another
         * program's key. */
        snprintf(msg, sizeof msg,
                 "%s: a key of the queue's names (%.*s*) holds another type: another "
                 "program uses them; give the queue another name",
                 script_error(shown, sizeof shown, e), prefix_len(k), k->k[QK_PENDING]);
        redis_set_error(r, msg);
    } else if (acl_denied(e)) {
        /* Which command or key Redis does not say ("The user executing the script can't run
         * this command or subcommand"): what the user needs, which works (tests/queue). */
        snprintf(msg, sizeof msg,
                 "%s: the Redis ACL user lacks a right the queue needs; give it the queue's "
                 "keys and commands, e.g. ACL SETUSER USER ~%.*s* +@all -@dangerous",
                 script_error(shown, sizeof shown, e), prefix_len(k), k->k[QK_PENDING]);
        redis_set_error(r, msg);
    } else if (strncmp(e, "MOVED ", 6) == 0 || strncmp(e, "ASK ", 4) == 0) {
        /* "MOVED SLOT HOST:PORT": a Cluster node without the queue's slot (the keys share one
         * hash tag, so one node has them all). Following redirections is a cluster client's
         * work, which cafe is not (README: Limits). */
        const char *node = strrchr(e, ' ') + 1;
        snprintf(msg, sizeof msg,
                 "%s: a Redis Cluster keeps the queue's keys on node %s, and cafe follows no "
                 "redirection: give that node in REDIS_URL (or a cluster-aware proxy)",
                 text_safe_copy(shown, sizeof shown, e), text_safe_copy((char[128]){0}, 128, node));
        redis_set_error(r, msg);
    } else {
        redis_set_error(r, script_error(shown, sizeof shown, e));
    }
    freeReplyObject(*rep);
    *rep = NULL;
    return CAFE_EIO;
}

/* HELLO's field key, into out ("" when it does not say). HELLO 2 (Redis 6.0 on; the
 * connection speaks RESP2 already, so it changes nothing) answers field, value, ... and is in
 * no ACL category a user is commonly denied (@fast @connection), where INFO and ROLE are
 * @dangerous: the ACL Redis's documentation suggests, +@all -@dangerous, denies them. 0, or
 * a connection error. */
static int hello_field(redis_t *r, const char *key, char *out, size_t n) {
    const char *argv[] = {"HELLO", "2"};
    redisReply *rep = NULL;
    out[0] = '\0';
    int rc = redis_cmd(r, &rep, 2, argv, NULL);
    if (rc != 0)
        return rc;
    for (size_t i = 0; redis_reply_array(rep, i + 2); i += 2) {
        const redisReply *k = rep->element[i], *v = rep->element[i + 1];
        if (k->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING &&
            strcmp(k->str, key) == 0)
            snprintf(out, n, "%s", v->str);
    }
    freeReplyObject(rep);
    return 0;
}

/* The server's version from INFO server ("redis_version:7.0.11"), or HELLO's where INFO is
 * denied (a Redis 6.0 of such an ACL passed the check, and its first claim failed with a
 * Lua error), as major * 1000 + minor; 0 when neither says (another server's format): not
 * refused. */
static int server_version(redis_t *r, char *shown, size_t shownlen) {
    const char *argv[] = {"INFO", "server"};
    redisReply *rep = NULL;
    char told[32] = "";
    if (redis_cmd(r, &rep, 2, argv, NULL) != 0)
        return 0;
    const char *v = rep->type == REDIS_REPLY_STRING ? strstr(rep->str, "redis_version:") : NULL;
    int rc = 0;
    if (v)
        snprintf(told, sizeof told, "%.*s", (int)strspn(v + 14, "0123456789."), v + 14);
    else if (rep->type == REDIS_REPLY_ERROR)
        rc = hello_field(r, "version", told, sizeof told);
    freeReplyObject(rep);
    int major = 0, minor = 0;
    if (rc != 0 || sscanf(told, "%d.%d", &major, &minor) != 2 || major < 0 || minor < 0 ||
        major >= 1000 || minor >= 1000)
        return 0;
    snprintf(shown, shownlen, "%.*s", (int)strspn(told, "0123456789."), told);
    return major * 1000 + minor;
}

/* A replica (ROLE's "slave") refuses the scripts' writes: named from the start, it is no
 * failover to wait out (redis.c retries READONLY as one). ROLE refused (an ACL), HELLO is
 * asked: a worker or push given a replica by a user denied ROLE waited for a failover that
 * never came, saying "READONLY ...; reconnecting". Neither telling (another server) says
 * nothing: go on. */
static int refuse_replica(redis_t *r, char *err, size_t errlen) {
    const char *argv[] = {"ROLE"};
    redisReply *rep = NULL;
    int rc = redis_cmd(r, &rep, 1, argv, NULL);
    if (rc != 0)
        return rc;
    if (redis_reply_array(rep, 3) && rep->element[0]->type == REDIS_REPLY_STRING &&
        strcmp(rep->element[0]->str, "slave") == 0 && rep->element[1]->type == REDIS_REPLY_STRING &&
        rep->element[2]->type == REDIS_REPLY_INTEGER) {
        snprintf(err, errlen,
                 "this Redis is a replica (of %s port %lld), which refuses the queue's writes: "
                 "give its primary in REDIS_URL",
                 text_safe_copy((char[128]){0}, 128, rep->element[1]->str),
                 rep->element[2]->integer);
        rc = CAFE_EINVAL;
    } else if (rep->type == REDIS_REPLY_ERROR) {
        char role[32];
        if ((rc = hello_field(r, "role", role, sizeof role)) == 0 && strcmp(role, "replica") == 0) {
            snprintf(err, errlen,
                     "this Redis is a replica, which refuses the queue's writes: give its "
                     "primary in REDIS_URL");
            rc = CAFE_EINVAL;
        }
    }
    freeReplyObject(rep);
    return rc;
}

/* The server's maxmemory-policy, in out ("" when it does not say): CONFIG GET's, or INFO
 * memory's "maxmemory_policy:" line when CONFIG is refused. Managed Redis services (Amazon
 * ElastiCache, Azure Cache, Memorystore) disable CONFIG, or an ACL user lacks it, and an
 * allkeys-* policy there went unseen: its evictions took URLs and records without a word. */
static int eviction_policy(redis_t *r, char *out, size_t n) {
    const char *config[] = {"CONFIG", "GET", "maxmemory-policy"}, *info[] = {"INFO", "memory"};
    redisReply *rep = NULL;
    out[0] = 0;
    int rc = redis_cmd(r, &rep, 3, config, NULL);
    if (rc != 0)
        return rc;
    const redisReply *got = redis_reply_array(rep, 2) ? rep->element[1] : NULL;
    if (got && got->type == REDIS_REPLY_STRING) {
        snprintf(out, n, "%s", got->str);
    } else if (rep->type == REDIS_REPLY_ERROR) {
        freeReplyObject(rep);
        rep = NULL;
        if ((rc = redis_cmd(r, &rep, 2, info, NULL)) != 0)
            return rc;
        static const char key[] = "\nmaxmemory_policy:";
        const char *v = rep->type == REDIS_REPLY_STRING ? strstr(rep->str, key) : NULL;
        if (v) {
            v += sizeof key - 1;
            snprintf(out, n, "%.*s", (int)strcspn(v, "\r\n"), v);
        }
    }
    freeReplyObject(rep);
    return 0;
}

int queue_check_server(redis_t *r, int uses, char *err, size_t errlen) {
    /* The scripts need Redis 6.2 (LPOP with a count, XRANGE's exclusive "(" bounds); on an
     * older one the first claim failed with a Lua error after the start had passed. */
    char shown[32];
    int version = server_version(r, shown, sizeof shown);
    if (version > 0 && version < 6002) {
        snprintf(err, errlen, "Redis %s is too old: the queue needs Redis 6.2 or later", shown);
        return CAFE_EINVAL;
    }
    int rc = uses >= QUEUE_WRITES ? refuse_replica(r, err, errlen) : 0;
    if (rc != 0 || uses < QUEUE_ADDS)
        return rc;
    char policy[128];
    if ((rc = queue_evicts(r, policy, sizeof policy)) <= 0)
        return rc;
    snprintf(err, errlen,
             "maxmemory-policy is %s: Redis would evict the queue's keys when full, losing "
             "URLs and records; set it to noeviction (CONFIG SET maxmemory-policy noeviction)",
             policy);
    return CAFE_EINVAL;
}

int queue_evicts(redis_t *r, char *policy, size_t n) {
    /* Not told (CONFIG and INFO denied or renamed away): no. volatile-* policies evict only
     * keys with a time to live: the queue's are the drain's hold (a drain that lost it
     * deletes nothing) and the receipts of silent workers and of pushes (a miscount at
     * worst), none of its URLs or records. */
    char told[128];
    int rc = eviction_policy(r, told, sizeof told);
    if (rc != 0)
        return rc;
    text_safe_copy(policy, n, told);
    return strncmp(told, "allkeys-", 8) == 0;
}
