/* `cafe queue results [--drain]`: a queue's records exported in the order they were finished,
 * to a stream or a database. A drain deletes what it exported, chunk by chunk, once written
 * and synced; one drain holds a queue at a time, and a drain killed mid-chunk leaves a note
 * the next one repairs from (no record lost, none written twice). */
#include "queue_results.h"

#include "cafe.h"
#include "db.h"
#include "dbopts.h"
#include "json_scan.h"
#include "msg.h"
#include "opts.h"
#include "stream.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXPORT_BATCH 1000
/* No record of cafe's comes near: a URL and a final URL of at most a few hundred KB (libcurl's
 * 100 KB bound on a header line), a title of a few KB. */
#define ENTRY_MAX "1048576"
#define CHUNK_BUDGET "67108864" /* a chunk's entries: far from cafe's bound on a reply */
/* One drain at a time: a drain holds the queue this long past its last chunk; a killed one's
 * hold ends after it. */
#define DRAIN_HOLD_MS 60000

/* The record of one stream entry's fields ("record", its JSON line), NULL when the entry is
 * not one of ours. */
static const redisReply *record_field(const redisReply *fields) {
    const redisReply *v = redis_reply_array(fields, 2) ? fields->element[1] : NULL;
    return v && v->type == REDIS_REPLY_STRING ? v : NULL;
}

/* The seq of a stream entry: the one its worker's acknowledgement stored with it (QS_ACK),
 * or for an entry stored before that, place (the drained before it plus its place in the
 * stream, which is the same while nothing but a drain deletes entries). Stored, it holds
 * however entries are deleted meanwhile (a drain while this export reads). */
static unsigned long long entry_seq(const redisReply *fields, unsigned long long place) {
    for (size_t k = 2; k + 1 < fields->elements; k += 2)
        if (fields->element[k]->type == REDIS_REPLY_STRING &&
            strcmp(fields->element[k]->str, "seq") == 0 &&
            fields->element[k + 1]->type == REDIS_REPLY_STRING)
            return strtoull(fields->element[k + 1]->str, NULL, 10);
    return place;
}

/* Where an export goes: standard output or -o FILE, written by cafe titles' stream sink
 * (src/sinks/stream.c: locked, appended to, its CSV header again when emptied, followed when
 * renamed, its close checked), or a database. */
typedef struct dest {
    sink_t *out;
    sink_db_t *db;
    unsigned long long written; /* records the stream settled as written */
    int chunk_in_file;          /* --drain into a regular file: the chunk began at chunk_at */
    off_t chunk_at;
} dest_t;

static void count_written(void *ctx, const record_receipt_t *receipts, size_t n, int written) {
    (void)receipts;
    if (written)
        ((dest_t *)ctx)->written += n;
}

/* The drain's hold (QS_DRAINER op): 0, 1 when another drain has it (its token in holder),
 * or a negative code. */
static int drainer(qcmd_t *c, const char *op, char *holder, size_t holderlen,
                   const char *const *note) {
    char ms[16];
    snprintf(ms, sizeof ms, "%d", DRAIN_HOLD_MS);
    const char *argv[] = {op,
                          c->token,
                          ms,
                          holder ? holder : "",
                          note ? note[0] : NULL,
                          note ? note[1] : NULL,
                          note ? note[2] : NULL};
    redisReply *rep;
    int rc = queue_eval(c->r, &c->keys, QS_DRAINER, &rep, note ? 7 : 4, argv, NULL);
    if (rc != 0)
        return rc;
    int held = redis_reply_array(rep, 1) && rep->element[0]->type == REDIS_REPLY_INTEGER &&
               rep->element[0]->integer == 1;
    if (!held && holder)
        text_safe_copy(holder, holderlen,
                       redis_reply_array(rep, 2) && rep->element[1]->type == REDIS_REPLY_STRING
                           ? rep->element[1]->str
                           : "?");
    freeReplyObject(rep);
    return held ? 0 : 1;
}

/* The output's identity ("dev:ino") and size, when it is a regular file; 0 when it is not. */
static int file_id(int fd, char *id, size_t idlen, off_t *size) {
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    snprintf(id, idlen, "%llu:%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
    *size = st.st_size;
    return 1;
}

/* --drain into a file notes in Redis, before writing a chunk, where in the file it begins:
 * killed between the chunk's sync and its delete (drain_chunk removes the note with it),
 * the chunk was in the file and still in Redis, and the next drain appended it again. */
static int note_chunk(qcmd_t *c, dest_t *d) {
    char id[64] = "db", size[32];
    off_t at = 0;
    int rc = d->db ? 0 : sink_stream_sync(d->out, 0);
    if (rc != 0)
        return rc;
    /* a database: its run, continued by the next drain into it (repair_drain) */
    int noted = d->db ? 1 : file_id(sink_stream_fd(d->out), id, sizeof id, &at);
    d->chunk_in_file = !d->db && noted;
    d->chunk_at = at;
    snprintf(size, sizeof size, "%lld", d->db ? (long long)sink_db_run_id(d->db) : (long long)at);
    /* standard output appended to a file (>>) is noted too: the next drain >> it repairs */
    const char *note[] = {id, size, d->db ? c->db : c->output ? c->output : "standard output"};
    /* with the hold renewed: a chunk is written held (a script: it runs over maxmemory) */
    int held = drainer(c, "renew", NULL, 0, noted ? note : NULL);
    if (held == 1)
        redis_set_error(c->r, "this drain's hold on the queue ended (held up for over a "
                              "minute: a full pipe, Redis unanswering) and another drain may "
                              "have it: stopping");
    return held == 1 ? CAFE_EIO : held;
}

/* The stream's file cut back to at, on the disk. */
static int cut_back(dest_t *d, off_t at) {
    int fd = sink_stream_fd(d->out);
    return ftruncate(fd, at) != 0 || fsync(fd) != 0 ? -errno : 0;
}

/* Deletes the n entries ids[2..n+1] of one exported chunk (--drain; ids[0] and ids[1] are
 * for the token and the epoch),
 * after they are safely written, and the note of the chunk (note_chunk) with them, in one
 * script; only while this drain holds the queue. A drain stopped past its hold (Ctrl-Z)
 * while it wrote the chunk: another drain may have exported it meanwhile. Into a file the
 * chunk is cut off again (that one has it); elsewhere it is said. The queue gone with the
 * hold (QS_DRAINED's -1): the chunk stays, said. */
static int drain_chunk(qcmd_t *c, dest_t *d, const char **ids, size_t n) {
    redisReply *rep;
    ids[0] = c->token;
    ids[1] = c->epoch;
    int rc = queue_eval(c->r, &c->keys, QS_DRAINED, &rep, (int)n + 2, ids, NULL);
    if (rc != 0)
        return rc;
    long long held = rep->type != REDIS_REPLY_INTEGER ? 1 : rep->integer;
    freeReplyObject(rep);
    if (held > 0)
        return 0;
    if (held < 0) { /* the queue is gone: this chunk is its records' only copy, kept */
        redis_set_error(c->r, "the queue is gone from Redis (restarted without persistence? "
                              "flushed? deleted?): the chunk just written is kept, the records "
                              "not exported yet are lost");
        return CAFE_EIO;
    }
    int cut = d->chunk_in_file && cut_back(d, d->chunk_at) == 0;
    if (cut)
        d->written -= n <= d->written ? n : d->written;
    char msg[256];
    snprintf(msg, sizeof msg,
             "this drain's hold on the queue ended while it wrote a chunk (stopped for over a "
             "minute?) and another drain may have exported it: %s; stopping",
             cut ? "the chunk is cut off the file again"
                 : "its records may be both here and there");
    redis_set_error(c->r, msg);
    return CAFE_EIO;
}

/* The note an earlier drain left (note_chunk): its chunk was never deleted. */
typedef struct drain_note {
    int noted;
    char file[64]; /* "dev:ino" of the file, or "db" */
    long long at;  /* the file's size before the chunk, or the database's run */
    char *path;    /* the file's path or the database's spec (malloc'd) */
} drain_note_t;

static int read_note(qcmd_t *c, drain_note_t *n) {
    const char *argv[] = {"HMGET", c->keys.k[QK_DRAIN], "file", "size", "path"};
    redisReply *rep;
    memset(n, 0, sizeof(*n));
    int rc = redis_cmd(c->r, &rep, 5, argv, NULL);
    if (rc != 0 || (rc = queue_reply_error(c->r, &c->keys, &rep)) != 0)
        return rc;
    n->noted = redis_reply_array(rep, 3) && rep->element[0]->type == REDIS_REPLY_STRING &&
               rep->element[1]->type == REDIS_REPLY_STRING &&
               rep->element[2]->type == REDIS_REPLY_STRING;
    if (n->noted) {
        snprintf(n->file, sizeof n->file, "%s", rep->element[0]->str);
        n->at = atoll(rep->element[1]->str);
        if (!(n->path = strdup(rep->element[2]->str)))
            rc = CAFE_ENOMEM;
    }
    freeReplyObject(rep);
    return rc;
}

/* Is the note's chunk in this drain's database? Then that run is continued (its key skips
 * the chunk's rows already there) instead of a new run taking them a second time. */
static int note_is_this_db(const qcmd_t *c, const drain_note_t *n) {
    return n->noted && c->db && strcmp(n->file, "db") == 0 && strcmp(n->path, c->db) == 0;
}

/* Before a drain: a chunk noted and never deleted (an earlier drain killed after writing
 * it, or while writing it) is cut off the file it went to, when that is this output, so
 * that it is exported once, now; it is still in Redis. Into the same database, open_db
 * continued its run. Into another output: said, since its records may be in both. */
static int repair_drain(qcmd_t *c, dest_t *d, drain_note_t *n) {
    char id[64];
    off_t now;
    int rc = 0;
    if (!n->noted)
        return 0;
    if (note_is_this_db(c, n)) {
        fprintf(stderr,
                "cafe queue: an earlier --drain into this database stopped between a commit "
                "and its delete from Redis: continuing its run %lld, where its rows are kept "
                "once\n",
                n->at);
    } else if (!d->db && file_id(sink_stream_fd(d->out), id, sizeof id, &now) &&
               strcmp(id, n->file) == 0 && now >= n->at) {
        rc = cut_back(d, (off_t)n->at);
        if (rc == 0 && now > n->at)
            fprintf(stderr,
                    "cafe queue: %s: cut the last %lld bytes, a chunk an earlier --drain wrote "
                    "and did not delete from Redis (stopped): exported again now\n",
                    c->output ? msg_quote(c->output) : "standard output", (long long)(now - n->at));
    } else {
        fprintf(stderr,
                "cafe queue: an earlier --drain into %s stopped before deleting its last chunk "
                "from Redis: those records may be both there and here\n",
                msg_quote(n->path));
    }
    if (rc == 0) {
        redisReply *rep;
        const char *del[] = {"DEL", c->keys.k[QK_DRAIN]};
        if ((rc = redis_cmd(c->r, &rep, 2, del, NULL)) == 0)
            freeReplyObject(rep);
    }
    return rc;
}

/* Writes one chunk's records; ids[0..*nids) are the entries written, which a drain
 * deletes. An entry that is no record of cafe's (another program's, a record cut or of
 * another shape) is left out, and counted in *foreign: left in Redis too, since it is
 * written nowhere (a drain deleted it). */
static int put_chunk(qcmd_t *c, dest_t *d, const redisReply *rep, unsigned long long first,
                     const char **ids, size_t *nids, unsigned long long *foreign) {
    int rc = 0;
    *nids = 0;
    for (size_t i = 0; i < rep->elements && rc == 0; i++) {
        const redisReply *fields = rep->element[i]->element[1];
        record_t rec;
        const redisReply *v = record_field(fields);
        char *url = NULL;
        /* JSON Lines out: a record as cafe wrote it goes as it is (neither parsed nor
         * formatted again: a seventh of the instructions); not to a terminal of an 8-bit
         * locale, where the records are ASCII, as cafe titles writes them there */
        if (v && !d->db && c->fmt == RECORD_FMT_JSON && !sink_stream_ascii(d->out) &&
            json_scan_record(v->str, v->len, &url, NULL) == 1) {
            free(url);
            rc = sink_stream_write_line(d->out, v->str, v->len);
            ids[(*nids)++] = rep->element[i]->element[0]->str;
            continue;
        }
        free(url);
        rc = v ? format_parse_json(v->str, v->len, &rec) : -1;
        if (rc != 0) {
            *foreign += rc != CAFE_ENOMEM;
            rc = rc == CAFE_ENOMEM ? rc : 0;
            continue;
        }
        rec.seq = entry_seq(fields, first + i);
        rc = d->db ? sink_db_write_record(d->db, &rec) : sink_write(d->out, &rec);
        record_clear(&rec);
        ids[(*nids)++] = rep->element[i]->element[0]->str;
    }
    /* --drain deletes only what is durable: the database's batch committed, the file's
     * bytes on the disk. Without it the stream's flusher writes the chunk out while the
     * next one is read. */
    if (rc == 0 && c->drain)
        rc = d->db ? sink_db_commit(d->db) : sink_stream_sync(d->out, 1);
    return rc;
}

/* The seq of the results stream's first entry: how many records drains deleted before
 * (the stats' "drained", counted by QS_DRAINED with each delete). A record's seq is its
 * place among every record the queue ever had, the same in each export that writes it: a
 * drain's next run goes on from the last one's, and a chunk exported again after a drain
 * stopped before its delete has the seqs it had (a database's continued run keeps its rows
 * once; a reader of a stream sees the same seq twice). Entries carry it (entry_seq); this
 * numbers those stored before they did. */
static int drained_before(qcmd_t *c, unsigned long long *base) {
    const char *argv[] = {"HMGET", c->keys.k[QK_STATS], "drained", "epoch"};
    redisReply *rep;
    int rc = redis_cmd(c->r, &rep, 4, argv, NULL);
    if (rc != 0 || (rc = queue_reply_error(c->r, &c->keys, &rep)) != 0)
        return rc;
    const redisReply *drained = redis_reply_array(rep, 2) ? rep->element[0] : NULL,
                     *epoch = drained ? rep->element[1] : NULL;
    *base = drained && drained->type == REDIS_REPLY_STRING ? strtoull(drained->str, NULL, 10) : 0;
    /* The queue's epoch, that its delete may tell the queue lost and pushed again from the
     * hold another drain took (QS_DRAINED); none (or too long): its stats alone tell. */
    c->epoch[0] = 0;
    if (epoch && epoch->type == REDIS_REPLY_STRING && epoch->len < sizeof c->epoch)
        memcpy(c->epoch, epoch->str, epoch->len + 1);
    freeReplyObject(rep);
    return 0;
}

/* The results stream's next chunk, from `from` on: *rep the entries (XRANGE's answer), in
 * *read (to free); *more when entries were left to the next chunk besides a full one's. A
 * chunk whose reply was over cafe's bounds (a 20 MB entry another program added) is read again
 * by QS_READ, which leaves such entries' fields out: it stopped every export, and a drain
 * retried it without end, exporting nothing. Only then: a script costs Redis 5 times the
 * XRANGE (2 s against 0.35 s for 100,000 records). */
static int read_chunk(qcmd_t *c, const char *from, redisReply **read, redisReply **rep, int *more) {
    char count[16];
    snprintf(count, sizeof count, "%d", EXPORT_BATCH);
    const char *xrange[] = {"XRANGE", c->keys.k[QK_RESULTS], from, "+", "COUNT", count};
    const char *args[] = {from, count, ENTRY_MAX, CHUNK_BUDGET};
    *more = 0;
    int rc = redis_cmd(c->r, read, 6, xrange, NULL);
    if (rc == 0 && (rc = queue_reply_error(c->r, &c->keys, read)) == 0) {
        *rep = *read;
    } else if (rc == CAFE_EIO && redis_reply_oversized(c->r)) {
        if ((rc = queue_eval(c->r, &c->keys, QS_READ, read, 4, args, NULL)) != 0)
            return rc;
        *rep = redis_reply_array(*read, 2) ? (*read)->element[0] : NULL;
        *more = *rep && (*read)->element[1]->type == REDIS_REPLY_INTEGER &&
                (*read)->element[1]->integer == 1;
    }
    if (rc != 0)
        return rc;
    /* every entry is read below: check them all first (and no more than asked for) */
    if (!redis_reply_stream(*rep) || (*rep)->elements > EXPORT_BATCH) {
        redis_set_error(c->r, "unexpected reply to XRANGE");
        freeReplyObject(*read);
        return CAFE_EIO; /* reported with redis_error */
    }
    return 0;
}

static int export_to(qcmd_t *c, dest_t *d, unsigned long long *count, unsigned long long *foreign) {
    char from[64] = "-";
    unsigned long long base = 0;
    int rc = drained_before(c, &base);
    const char **ids = malloc((EXPORT_BATCH + 2) * sizeof(*ids)); /* [0], [1]: drain_chunk's */
    if (!ids)
        return CAFE_ENOMEM;
    for (size_t nids = 0;; nids = 0) {
        redisReply *read, *rep;
        int more;
        if (rc != 0 || (rc = read_chunk(c, from, &read, &rep, &more)) != 0)
            break;
        size_t n = rep->elements;
        if (n && c->drain)
            rc = note_chunk(c, d);
        if (rc == 0)
            rc = put_chunk(c, d, rep, base + *count, ids + 2, &nids, foreign);
        /* Committed: what "stopped after N records" counts (a stream's are those it settled
         * as written: to /dev/full none reached it). */
        if (rc == 0 && d->db)
            *count += n;
        if (rc == 0 && n && c->drain)
            rc = drain_chunk(c, d, ids, nids);
        if (n)
            snprintf(from, sizeof from, "(%s", rep->element[n - 1]->element[0]->str);
        freeReplyObject(read);
        if (rc != 0 || !(more || n == EXPORT_BATCH))
            break;
    }
    free(ids);
    return rc;
}

/* Opens the database (a new run, with the command line as its options). */
static int open_db(qcmd_t *c, dest_t *d, int64_t resume_run) {
    char *options = cli_db_options(c->argc, c->argv);
    sink_db_conf_t conf = {.spec = c->db,
                           .options = options,
                           .resume = resume_run > 0,
                           .run = resume_run,
                           .durable = c->drain};
    const char *why = "out of memory";
    int rc = options ? sink_db_open(&d->db, &conf, &why) : CAFE_ENOMEM;
    free(options);
    if (rc != 0)
        fprintf(stderr, "cafe queue: %s\n", why);
    return rc;
}

static const char *format_name(record_format_t fmt) {
    return format_is_csv(fmt) ? "CSV" : fmt == RECORD_FMT_JSON ? "JSON Lines" : "the guide's lines";
}

/* What the records in the file at path are, by its first line (after a byte order mark): CSV
 * (its header, or the start of it), JSON Lines (a record's {"url"), else the guide's lines;
 * NULL when it cannot be read or is empty (the open says why). */
static const char *file_format(const char *path) {
    char buf[4096];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
    if (fd >= 0)
        (void)close(fd);
    if (got <= 0)
        return NULL;
    size_t n = (size_t)got, skip = n >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    const char *line = buf + skip, *nl = memchr(line, '\n', n - skip);
    size_t len = nl ? (size_t)(nl - line) + 1 : n - skip;
    return format_header_prefix(line, len)                ? format_name(RECORD_FMT_CSV)
           : len >= 6 && memcmp(line, "{\"url\"", 6) == 0 ? format_name(RECORD_FMT_JSON)
                                                          : format_name(RECORD_FMT_TEXT);
}

/* Standard output or -o FILE, opened and locked by the stream sink as cafe titles' (a file
 * another cafe writes is refused). With --drain it is appended to, never overwritten: the
 * records a drain exported live only there, and a later export (cron) must not destroy
 * them. Nor made unreadable: a drain in one format onto a file of another (a cron job's
 * --csv changed to --json) appended records no reader of either takes (CSV without its
 * header, JSON lines under a header), so it is refused, the records left in Redis. */
static int open_output(qcmd_t *c, dest_t *d) {
    *d = (dest_t){0};
    if (c->db)
        return 0;
    const char *holds = c->output && c->drain ? file_format(c->output) : NULL;
    if (holds && strcmp(holds, format_name(c->fmt)) != 0) {
        fprintf(stderr,
                "cafe queue: -o %s holds %s (its first line says so): --drain appends to "
                "it, and would add %s; give its format, or another file (nothing exported)\n",
                msg_quote(c->output), holds, format_name(c->fmt));
        return -1;
    }
    int rc = sink_stream_open(&d->out, c->output, c->fmt, c->drain);
    if (rc == 0) {
        d->out->listener = (sink_listener_t){.ctx = d, .settled = count_written};
        rc = sink_start(d->out);
    }
    if (rc != 0) {
        fprintf(stderr, "cafe queue: %s\n",
                d->out && d->out->why[0] ? d->out->why : msg_strerror(rc));
        sink_close(d->out); /* a sink that failed to start has nothing to finish */
        d->out = NULL;
    }
    return rc != 0 ? -1 : 0;
}

/* No record, and no stats either: nothing was ever pushed to the queue (a typo in its name,
 * the wrong database), which an empty export did not say (as a worker and status do). */
static void note_no_queue(qcmd_t *c) {
    const char *argv[] = {"EXISTS", c->keys.k[QK_STATS]};
    redisReply *rep;
    if (redis_cmd(c->r, &rep, 2, argv, NULL) != 0)
        return;
    if (rep->type == REDIS_REPLY_INTEGER && rep->integer == 0)
        fprintf(stderr,
                "cafe queue: nothing was ever pushed to queue %s (is its name, or REDIS_URL's "
                "database, right?)\n",
                c->conf.queue);
    freeReplyObject(rep);
}

static int export_results(qcmd_t *c) {
    dest_t d;
    drain_note_t note = {0};
    if (c->drain && read_note(c, &note) != 0) {
        free(note.path);
        fprintf(stderr, "cafe queue: results: %s\n", redis_error(c->r));
        return 2;
    }
    if (open_output(c, &d) != 0 ||
        (c->db && open_db(c, &d, note_is_this_db(c, &note) ? note.at : 0) != 0)) {
        free(note.path);
        return 2;
    }
    unsigned long long n = 0, foreign = 0;
    int rc = c->drain ? repair_drain(c, &d, &note) : 0;
    free(note.path);
    if (rc == 0)
        rc = export_to(c, &d, &n, &foreign);
    if (foreign)
        fprintf(stderr,
                "cafe queue: %llu entr%s of the results stream %s no records of cafe's: %s\n",
                foreign, foreign == 1 ? "y" : "ies", foreign == 1 ? "is" : "are",
                c->drain ? "left in Redis" : "not exported");
    const char *why = "";
    if (d.db) {
        int crc = sink_db_close(d.db, rc ? "failed" : "done", &why);
        rc = rc ? rc : crc;
    }
    if (d.out) { /* what was accepted is written, and a file's close checked */
        int frc = sink_finish(d.out);
        rc = rc ? rc : frc;
        n = d.written;
    }
    if (rc == 0 && n == 0)
        note_no_queue(c);
    if (d.out && d.out->why[0] && !why[0])
        why = d.out->why;
    if (rc != 0 && rc != -EPIPE)
        fprintf(
            stderr, "cafe queue: results stopped after %llu record%s: %s\n", n, n == 1 ? "" : "s",
            why[0]                                                              ? why
            : (rc == CAFE_ECONNRESET || rc == CAFE_EIO) && redis_error(c->r)[0] ? redis_error(c->r)
                                                                                : msg_strerror(rc));
    sink_close(d.out);
    /* A closed pipe (`| head`) is a quiet stop, but not a success: SIGPIPE's, as cafe titles'. */
    return rc == -EPIPE ? MSG_READER_GONE : rc != 0 ? 2 : 0;
}

/* Where a pid names one process: this boot of this kernel (its boot_id, which no other
 * machine has) and this pid namespace (its inode; the first one's is the same on every
 * machine). "" when /proc does not say. */
static void pid_space(char *out, size_t n) {
    char boot[64] = "", ns[64];
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
    if (f && fgets(boot, sizeof boot, f))
        boot[strcspn(boot, "\n")] = 0;
    if (f)
        (void)fclose(f);
    ssize_t len = readlink("/proc/self/ns/pid", ns, sizeof ns - 1);
    out[0] = 0;
    if (boot[0] && len > 0 && (size_t)len < sizeof ns - 1)
        snprintf(out, n, "%s:%.*s", boot, (int)len, ns);
}

/* Two drains of one queue at once (cron jobs into dated files, one slow) both read the same
 * records and both wrote them before deleting: each record of the overlap twice, which the
 * file lock cannot see across two files. A drain takes the queue's drainer first. */
static int take_drain(qcmd_t *c) {
    char host[64] = "", holder[256], rnd[8] = {0}, space[160];
    (void)gethostname(host, sizeof host - 1);
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        memcpy(rnd, &c, sizeof c < sizeof rnd ? sizeof c : sizeof rnd);
    unsigned long long r;
    memcpy(&r, rnd, sizeof r);
    pid_space(space, sizeof space);
    snprintf(c->token, sizeof c->token, "%s pid %ld #%016llx in %s", host, (long)getpid(), r,
             space[0] ? space : "?");
    holder[0] = 0;
    int rc = drainer(c, "take", holder, sizeof holder, NULL);
    /* A drain killed on this machine (its process gone) need not be waited for. By the pid's
     * space, not the host name: containers of one image, or sharing the host's network,
     * have the host's name and pid spaces of their own, where a live drain's pid is no
     * process; taken over, it went on and both drains exported the same records. */
    char other[64], theirs[160];
    long pid;
    if (rc == 1 && space[0] &&
        sscanf(holder, "%63s pid %ld #%*x in %159s", other, &pid, theirs) == 3 &&
        strcmp(other, host) == 0 && strcmp(theirs, space) == 0 && pid > 0 &&
        kill((pid_t)pid, 0) != 0 && errno == ESRCH)
        rc = drainer(c, "steal", holder, sizeof holder, NULL);
    if (rc == 1)
        fprintf(stderr,
                "cafe queue: another cafe queue results --drain is exporting queue %s (%s): "
                "not exporting its records twice; try again once it ends (the hold of one "
                "killed on another machine or in another container ends within %d s)\n",
                c->conf.queue, holder, DRAIN_HOLD_MS / 1000);
    else if (rc != 0)
        fprintf(stderr, "cafe queue: results: %s\n", redis_error(c->r));
    return rc;
}

/* The drain's hold, renewed every third of it while the drain runs: renewed only before
 * each chunk, a chunk that took longer than the hold (its commit waiting for a database
 * another writer holds, as the sinks wait) let it lapse, and the next drain (cron, into
 * another output) exported the same records. One that is lost (another drain has it) stops
 * this one at its next chunk (note_chunk). A stream blocked in write() (a full pipe) holds
 * the loop, and this task with it: to a pipe a drain is at least once (cafe.1). */
static int renew_task(void *arg, void **value) {
    qcmd_t *c = arg;
    (void)value;
    while (cafe_task_sleep(DRAIN_HOLD_MS / 3) == 0)
        (void)drainer(c, "renew", NULL, 0, NULL);
    return 0;
}

int qcmd_results(qcmd_t *c) {
    if (c->drain && take_drain(c) != 0)
        return 2;
    cafe_task_t *renewer = NULL;
    if (c->drain && cafe_task_spawn(&renewer, renew_task, c, NULL) != 0)
        renewer = NULL; /* renewed at each chunk only */
    int code = export_results(c);
    if (renewer) {
        cafe_task_cancel(renewer);
        (void)cafe_task_join(renewer, NULL);
    }
    if (c->drain)
        (void)drainer(c, "give", NULL, 0, NULL); /* else it ends by itself */
    return code;
}
