/* `cafe queue push | results | status | delete`: load a URL list into a queue, export its
 * records, show where it stands, delete it. Each runs one task on a cafe loop with one Redis
 * connection, and does not retry: an error ends it with exit status 2 (pushing again is harmless:
 * URLs already seen are skipped); but results --drain does (see DRAIN_RETRY_MS). */
#include "cafe.h"
#include "db.h"
#include "dbopts.h"
#include "input.h"
#include "msg.h"
#include "format.h"
#include "opts.h"
#include "queue.h"
#include "queue_cmd.h"

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

#define PUSH_BATCH 1000
#define EXPORT_BATCH 1000
/* --drain retries a lost connection as workers do: a chunk written and synced whose delete
 * failed would be exported again by the next drain, a second copy in the file. */
#define DRAIN_RETRY_MS 300000
/* One drain at a time: a drain holds the queue this long past its last chunk; a killed one's
 * hold ends after it. */
#define DRAIN_HOLD_MS 60000

typedef struct qcmd {
    const char *sub, *url, *name, *file, *output, *scheme, *db;
    record_format_t fmt;
    int drain;
    int force;
    char token[160]; /* --drain: this drain's hold on the queue (drainer) */
    int argc;        /* the command line, for the database's runs table */
    char **argv;
    redis_conf_t conf;
    queue_keys_t keys;
    redis_t *r;
    input_t *in; /* push: the list, opened before Redis is touched */
} qcmd_t;

#define F(field) offsetof(qcmd_t, field)

static const cli_opt_t rows[] = {
    {CLI_OPT_STRING, "queue", 0, "NAME", F(name), 0, 0, 0, NULL, NULL, NULL,
     "the queue's name (instead of ?queue=NAME)", NULL},
    {CLI_OPT_STRING, "scheme", 0, "S", F(scheme), 0, 0, 0, "https", NULL, cli_scheme_check,
     "push: scheme for bare hosts, https or http", NULL},
    {CLI_OPT_STRING, "output", 'o', "FILE", F(output), 0, 0, 0, NULL, NULL, NULL,
     "results: write to FILE instead of standard output\n('-': standard output); with --drain "
     "appended to, never\noverwritten (the records then live only there)",
     NULL},
    {CLI_OPT_FLAG, "json", 0, NULL, F(fmt), 0, 0, RECORD_FMT_JSON, NULL, NULL, NULL,
     "results: JSON Lines (default: the guide's lines)", NULL},
    {CLI_OPT_FLAG, "csv", 0, NULL, F(fmt), 0, 0, RECORD_FMT_CSV, NULL, NULL, NULL, "results: CSV",
     NULL},
    {CLI_OPT_STRING, "db", 0, "SPEC", F(db), 0, 0, 0, NULL, NULL, cli_db_spec_check,
     "results: into a database (sqlite:PATH,\npostgresql://...; see cafe titles --db), one "
     "run\nper export",
     NULL},
    {CLI_OPT_FLAG, "drain", 0, NULL, F(drain), 0, 0, 1, NULL, NULL, NULL,
     "results: delete each record from Redis once\nwritten (a file: on the disk, fsync; with "
     "--db:\nonce its batch committed)",
     NULL},
    {CLI_OPT_FLAG, "force", 0, NULL, F(force), 0, 0, 1, NULL, NULL, NULL,
     "delete: also when records wait to be exported\nor URLs are being fetched (they are lost)",
     NULL},
    {CLI_OPT_HELP, "help", 'h', NULL, 0, 0, 0, 0, NULL, NULL, NULL, "print this help", NULL},
    {CLI_OPT_VERSION, "version", 0, NULL, 0, 0, 0, 0, NULL, NULL, NULL, "print the version", NULL},
};

const cli_optab_t cli_queue_optab = {
    "queue",
    "queue push REDIS_URL [FILE|-]  load URLs (one per line), skipping\n"
    "                                          those ever pushed before\n"
    "       cafe queue results REDIS_URL [-o FILE] [--json|--csv|--db SPEC] [--drain]\n"
    "       cafe queue status REDIS_URL\n"
    "       cafe queue delete REDIS_URL [--force]\n",
    "Workers: cafe titles --queue REDIS_URL [OPTIONS]   (see cafe titles --help)\n"
    "\n"
    "REDIS_URL  redis://[USER[:PASSWORD]@]HOST[:PORT][/DB][?queue=NAME]\n"
    "           or a Unix socket: unix://[[USER]:PASSWORD@]/PATH[?db=N&queue=NAME]\n"
    "           (or redis+unix://). The password may come from $REDISCLI_AUTH\n"
    "           instead. No TLS (rediss://): Debian 12's hiredis has none.\n",
    "Exit: 0 done, 2 usage, connection or Redis error, or the output could not be\n"
    "written (disk full, closed pipe).\n",
    rows,
    sizeof rows / sizeof rows[0],
};

static int usage_error(const char *what) {
    return cli_optab_usage_error(&cli_queue_optab, "%s", what);
}

/* ---- push --------------------------------------------------------------------------------- */

static int push_batch(qcmd_t *c, char **urls, const size_t *lens, size_t n,
                      unsigned long long *added) {
    redisReply *rep;
    int rc = queue_eval(c->r, &c->keys, QS_PUSH, &rep, (int)n, (const char **)urls, lens);
    if (rc == 0 && rep->type != REDIS_REPLY_INTEGER) {
        redis_set_error(c->r, "unexpected reply to the push script");
        rc = CAFE_EIO;
    } else if (rc == 0) {
        *added += (unsigned long long)rep->integer;
    }
    freeReplyObject(rep);
    for (size_t i = 0; i < n; i++)
        free(urls[i]);
    return rc;
}

static int push(qcmd_t *c) {
    input_t *in = c->in;
    int rc = 0;
    char *urls[PUSH_BATCH];
    size_t lens[PUSH_BATCH], n = 0;
    unsigned long long lines = 0, added = 0, too_long = 0;
    const char *line, *why;
    size_t len;
    uint64_t lineno;
    while (rc == 0 && (rc = input_next(in, &line, &len, &lineno)) > 0) {
        int got = rc;
        rc = 0;
        if (got == INPUT_TOO_LONG) {
            too_long++;
            continue;
        }
        lines++;
        /* A bad line is queued as it is, a NUL byte in it too (a worker turns it into the
         * error record cafe titles gives; cut at the NUL, it was another URL, fetched). */
        if (url_normalize(line, len, c->scheme, &urls[n], &why) == 0) {
            lens[n] = strlen(urls[n]);
        } else if ((urls[n] = malloc(len + 1)) != NULL) {
            memcpy(urls[n], line, len);
            urls[n][len] = 0;
            lens[n] = len;
        }
        if (urls[n] && ++n == PUSH_BATCH) {
            rc = push_batch(c, urls, lens, n, &added);
            n = 0;
        }
    }
    if (rc == 0 && n)
        rc = push_batch(c, urls, lens, n, &added);
    if (rc != 0) {
        const char *msg =
            rc == CAFE_EIO || rc == CAFE_ECONNRESET ? redis_error(c->r) : input_strerror(rc);
        fprintf(stderr, "cafe queue: push stopped after %llu new URLs: %s%s\n", added, msg,
                strcmp(msg, QUEUE_OOM_MESSAGE) == 0
                    ? "; make room (raise maxmemory, or export the results with cafe queue "
                      "results --drain) and push again: the URLs pushed are skipped"
                    : "");
        return 2;
    }
    printf("%llu added, %llu skipped (already pushed)", added, lines - added);
    if (too_long)
        printf(", %llu lines too long (over %d bytes) left out", too_long, INPUT_LINE_MAX);
    printf("\n");
    return 0;
}

/* ---- results ------------------------------------------------------------------------------ */

/* The record of one stream entry's fields ("record", its JSON line), NULL when the entry is
 * not one of ours. */
static const redisReply *record_field(const redisReply *fields) {
    const redisReply *v = redis_reply_array(fields, 2) ? fields->element[1] : NULL;
    return v && v->type == REDIS_REPLY_STRING ? v : NULL;
}

static int write_entry(qcmd_t *c, FILE *f, const redisReply *fields) {
    const redisReply *v = record_field(fields);
    if (!v)
        return 0;
    if (c->fmt == RECORD_FMT_JSON) {
        fwrite(v->str, 1, v->len, f);
        fputc('\n', f);
        return ferror(f) ? -errno : 0;
    }
    record_t rec;
    int rc = format_parse_json(v->str, v->len, &rec);
    if (rc != 0)
        return rc == CAFE_ENOMEM ? rc : 0; /* not a record of ours: left out */
    rc = format_record(f, c->fmt, &rec);
    record_clear(&rec);
    return rc;
}

/* Deletes the entries of one exported chunk (--drain), after they are safely written, and
 * the note of the chunk (note_chunk) with them, in one script. */
static int drain_chunk(qcmd_t *c, const redisReply *entries) {
    size_t n = entries->elements;
    const char **argv = malloc((n + 1) * sizeof(*argv));
    if (!argv)
        return CAFE_ENOMEM;
    for (size_t i = 0; i < n; i++)
        argv[i] = entries->element[i]->element[0]->str;
    redisReply *rep;
    int rc = queue_eval(c->r, &c->keys, QS_DRAINED, &rep, (int)n, argv, NULL);
    free(argv);
    if (rc == 0)
        freeReplyObject(rep);
    return rc;
}

/* Where an export goes: a stream (FILE) or a database. put writes one chunk's entries;
 * settle makes them durable before --drain deletes them. */
typedef struct dest {
    FILE *f;
    sink_db_t *db;
    int appended; /* f already held records: no header */
} dest_t;

/* fsync: a power cut after --drain's delete must not take the records with it. A pipe or
 * terminal (EINVAL) has nothing to make durable: its reader owns the records then. */
static int sync_file(FILE *f) {
    return fsync(fileno(f)) == 0 || errno == EINVAL ? 0 : -errno;
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
        snprintf(holder, holderlen, "%s",
                 redis_reply_array(rep, 2) && rep->element[1]->type == REDIS_REPLY_STRING
                     ? rep->element[1]->str
                     : "?");
    freeReplyObject(rep);
    return held ? 0 : 1;
}

/* The output's identity ("dev:ino") and size, when it is a regular file; 0 when it is not. */
static int file_id(FILE *f, char *id, size_t idlen, off_t *size) {
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
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
    if (!d->db && d->f && fflush(d->f) != 0)
        return -errno;
    /* a database: its run, continued by the next drain into it (repair_drain) */
    int noted = d->db ? 1 : file_id(d->f, id, sizeof id, &at);
    snprintf(size, sizeof size, "%lld", d->db ? (long long)sink_db_run_id(d->db) : (long long)at);
    const char *note[] = {id, size, d->db ? c->db : c->output};
    /* with the hold renewed: a chunk is written held (a script: it runs over maxmemory) */
    int held = drainer(c, "renew", NULL, 0, noted ? note : NULL);
    if (held == 1)
        redis_set_error(c->r, "this drain's hold on the queue ended (a chunk took over a "
                              "minute) and another drain may have it: stopping");
    return held == 1 ? CAFE_EIO : held;
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
    if (rc != 0)
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
    } else if (!d->db && file_id(d->f, id, sizeof id, &now) && strcmp(id, n->file) == 0 &&
               now >= n->at) {
        if (ftruncate(fileno(d->f), (off_t)n->at) != 0 || fsync(fileno(d->f)) != 0)
            rc = -errno;
        else if (now > n->at)
            fprintf(stderr,
                    "cafe queue: %s: cut the last %lld bytes, a chunk an earlier --drain wrote "
                    "and did not delete from Redis (stopped): exported again now\n",
                    msg_quote(c->output), (long long)(now - n->at));
        d->appended = n->at > 0;
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

static int put_chunk(qcmd_t *c, dest_t *d, const redisReply *rep, unsigned long long first) {
    int rc = 0;
    for (size_t i = 0; i < rep->elements && rc == 0; i++) {
        const redisReply *fields = rep->element[i]->element[1];
        if (!d->db) {
            rc = write_entry(c, d->f, fields);
            continue;
        }
        record_t rec;
        const redisReply *v = record_field(fields);
        if (!v)
            continue;
        rc = format_parse_json(v->str, v->len, &rec);
        if (rc != 0) {
            rc = rc == CAFE_ENOMEM ? rc : 0; /* not a record of ours: left out */
            continue;
        }
        rec.seq = first + i;
        rc = sink_db_write_record(d->db, &rec);
        record_clear(&rec);
    }
    if (rc == 0 && !d->db && fflush(d->f) != 0)
        rc = -errno;
    /* --drain deletes only what is durable: the database's batch committed, the file's
     * bytes on the disk. */
    if (rc == 0 && c->drain)
        rc = d->db ? sink_db_commit(d->db) : sync_file(d->f);
    return rc;
}

static int export_to(qcmd_t *c, dest_t *d, unsigned long long *count) {
    char from[64] = "-", count_s[16];
    snprintf(count_s, sizeof count_s, "%d", EXPORT_BATCH);
    int rc = d->db || d->appended ? 0 : format_header(d->f, c->fmt);
    for (;;) {
        const char *argv[] = {"XRANGE", c->keys.k[QK_RESULTS], from, "+", "COUNT", count_s};
        redisReply *rep;
        if (rc != 0 || (rc = redis_cmd(c->r, &rep, 6, argv, NULL)) != 0)
            return rc;
        if (!redis_reply_stream(rep)) { /* every entry is read below: check them all first */
            redis_set_error(c->r, "unexpected reply to XRANGE");
            freeReplyObject(rep);
            return CAFE_EIO; /* reported with redis_error */
        }
        size_t n = rep->elements;
        if (n && c->drain)
            rc = note_chunk(c, d);
        if (rc == 0)
            rc = put_chunk(c, d, rep, *count);
        if (rc == 0 && n && c->drain)
            rc = drain_chunk(c, rep);
        if (n)
            snprintf(from, sizeof from, "(%s", rep->element[n - 1]->element[0]->str);
        *count += n;
        freeReplyObject(rep);
        if (rc != 0 || n < EXPORT_BATCH)
            return rc;
    }
}

/* Opens the database (a new run, with the command line as its options). */
static int open_db(qcmd_t *c, dest_t *d, int64_t resume_run) {
    char *options = cli_db_options(c->argc, c->argv);
    sink_db_conf_t conf = {
        .spec = c->db, .options = options, .resume = resume_run > 0, .run = resume_run};
    const char *why = "out of memory";
    int rc = options ? sink_db_open(&d->db, &conf, &why) : CAFE_ENOMEM;
    free(options);
    if (rc != 0)
        fprintf(stderr, "cafe queue: %s\n", why);
    return rc;
}

/* path opened for writing (appending: O_APPEND) under an advisory lock, as cafe titles'
 * stream sink holds its -o FILE (src/sinks/stream.c): two exports into one file at once (cron
 * overlapping itself), or an export and a run, interleaved their writes, records came out torn and
 * twice, and with --drain those lines were the records' only copy. A regular file is
 * emptied ("w") only once locked. NULL with errno set, or with *busy set when another cafe
 * holds the lock. The lock goes with the descriptor, at fclose. */
static FILE *open_locked(const char *path, int append, int *busy) {
    struct stat st;
    *busy = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : 0), 0666);
    if (fd < 0)
        return NULL;
    int regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    if (regular && flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK)
        *busy = 1;
    FILE *f = *busy || (regular && !append && ftruncate(fd, 0) != 0)
                  ? NULL
                  : fdopen(fd, append ? "a" : "w");
    if (!f) {
        int e = errno;
        (void)close(fd);
        errno = e;
    }
    return f;
}

/* -o FILE. With --drain it is appended to, never overwritten: the records a drain exported
 * live only there, and a later export (cron) must not destroy them. */
static int open_output(qcmd_t *c, dest_t *d) {
    int busy = 0;
    *d = (dest_t){c->output ? open_locked(c->output, c->drain, &busy) : stdout, NULL, 0};
    if (busy) {
        fprintf(stderr,
                "cafe queue: -o %s is being written by another cafe: refusing to write "
                "it too\n",
                msg_quote(c->output));
        return -1;
    }
    if (d->f && d->f != stdout && c->drain) {
        long end = fseek(d->f, 0, SEEK_END) == 0 ? ftell(d->f) : -1;
        if (end < 0) {
            int e = errno;
            (void)fclose(d->f); /* nothing written */
            d->f = NULL;
            errno = e;
        }
        d->appended = end > 0;
    }
    if (!d->f) {
        int e = errno; /* before msg_quote, which may allocate */
        fprintf(stderr, "cafe queue: cannot open %s: %s\n", msg_quote(c->output), strerror(e));
    }
    return d->f ? 0 : -1;
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
    unsigned long long n = 0;
    int rc = c->drain ? repair_drain(c, &d, &note) : 0;
    free(note.path);
    if (rc == 0)
        rc = export_to(c, &d, &n);
    const char *why = "";
    if (d.db) {
        int crc = sink_db_close(d.db, rc ? "failed" : "done", &why);
        rc = rc ? rc : crc;
    }
    if (d.f != stdout && fclose(d.f) != 0 && rc == 0)
        rc = -errno;
    if (rc != 0 && rc != -EPIPE)
        fprintf(
            stderr, "cafe queue: results stopped after %llu record%s: %s\n", n, n == 1 ? "" : "s",
            why[0]                                                              ? why
            : (rc == CAFE_ECONNRESET || rc == CAFE_EIO) && redis_error(c->r)[0] ? redis_error(c->r)
                                                                                : msg_strerror(rc));
    /* A closed pipe (`| head`) is a quiet stop, but not a success: with 0, main's check of
     * standard output found the error flag and said "writing standard output failed". */
    return rc != 0 ? 2 : 0;
}

/* Two drains of one queue at once (cron jobs into dated files, one slow) both read the same
 * records and both wrote them before deleting: each record of the overlap twice, which the
 * file lock cannot see across two files. A drain takes the queue's drainer first. */
static int take_drain(qcmd_t *c) {
    char host[64] = "", holder[160], rnd[8] = {0};
    (void)gethostname(host, sizeof host - 1);
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        memcpy(rnd, &c, sizeof c < sizeof rnd ? sizeof c : sizeof rnd);
    unsigned long long r;
    memcpy(&r, rnd, sizeof r);
    snprintf(c->token, sizeof c->token, "%s pid %ld #%016llx", host, (long)getpid(), r);
    holder[0] = 0;
    int rc = drainer(c, "take", holder, sizeof holder, NULL);
    /* A drain killed on this machine (its process gone) need not be waited for. */
    char other[64];
    long pid;
    if (rc == 1 && sscanf(holder, "%63s pid %ld #", other, &pid) == 2 && strcmp(other, host) == 0 &&
        pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH)
        rc = drainer(c, "steal", holder, sizeof holder, NULL);
    if (rc == 1)
        fprintf(stderr,
                "cafe queue: another cafe queue results --drain is exporting queue %s (%s): "
                "not exporting its records twice; try again once it ends (the hold of one "
                "killed on another machine ends within %d s)\n",
                c->conf.queue, holder, DRAIN_HOLD_MS / 1000);
    else if (rc != 0)
        fprintf(stderr, "cafe queue: results: %s\n", redis_error(c->r));
    return rc;
}

static int results(qcmd_t *c) {
    if (c->drain && take_drain(c) != 0)
        return 2;
    int code = export_results(c);
    if (c->drain)
        (void)drainer(c, "give", NULL, 0, NULL); /* else it ends by itself */
    return code;
}

/* ---- status ------------------------------------------------------------------------------- */

static long long num_of(const redisReply *r) {
    return r->type == REDIS_REPLY_INTEGER  ? r->integer
           : r->type == REDIS_REPLY_STRING ? atoll(r->str)
                                           : 0;
}

static int status(qcmd_t *c) {
    redisReply *rep;
    int rc = queue_eval(c->r, &c->keys, QS_STATUS, &rep, 0, NULL, NULL);
    if (rc != 0) {
        fprintf(stderr, "cafe queue: status: %s\n", redis_error(c->r));
        return 2;
    }
    if (!redis_reply_array(rep, 6) || !redis_reply_array(rep->element[4], 4) ||
        !redis_reply_array(rep->element[5], 0)) {
        fprintf(stderr, "cafe queue: status: unexpected reply to the status script\n");
        freeReplyObject(rep);
        return 2;
    }
    redisReply **e = rep->element, **st = e[4]->element;
    printf("queue        %s\n", c->conf.display);
    printf("queued       %lld\n", num_of(e[0]));
    printf("in progress  %lld\n", num_of(e[1]));
    printf("done         %lld (%lld ok, %lld failed)\n", num_of(st[1]),
           num_of(st[1]) - num_of(st[2]), num_of(st[2]));
    printf("results      %lld in the stream\n", num_of(e[3]));
    printf("pushed       %lld (%lld distinct URLs seen)\n", num_of(st[0]), num_of(e[2]));
    printf("reclaimed    %lld (leases that expired and went to another worker)\n", num_of(st[3]));
    printf("workers      %zu seen recently", e[5]->elements);
    for (size_t i = 0; i < e[5]->elements; i++)
        if (e[5]->element[i]->type == REDIS_REPLY_STRING)
            printf("%s%s", i ? " " : ": ", e[5]->element[i]->str);
    printf("\n");
    freeReplyObject(rep);
    return 0; /* main checks that standard output took it, and says why not */
}

/* ---- delete ------------------------------------------------------------------------------- */

/* Every key of the queue, in one script; refused while it holds records not exported or URLs
 * being fetched (their only copies), unless --force. */
static int delete_queue(qcmd_t *c) {
    redisReply *rep;
    const char *argv[] = {c->force ? "1" : "0"};
    int rc = queue_eval(c->r, &c->keys, QS_DELETE, &rep, 1, argv, NULL);
    if (rc != 0) {
        fprintf(stderr, "cafe queue: delete: %s\n", redis_error(c->r));
        return 2;
    }
    if (!redis_reply_array(rep, 3)) {
        fprintf(stderr, "cafe queue: delete: unexpected reply to the delete script\n");
        freeReplyObject(rep);
        return 2;
    }
    long long keys = num_of(rep->element[0]), results = num_of(rep->element[1]),
              leased = num_of(rep->element[2]);
    freeReplyObject(rep);
    if (keys == 0 && (results || leased)) {
        fprintf(stderr,
                "cafe queue: delete: queue %s holds %lld record%s not exported and %lld URL%s "
                "being fetched: export them first (cafe queue results --drain), or give --force "
                "to delete them too; nothing deleted\n",
                c->conf.queue, results, results == 1 ? "" : "s", leased, leased == 1 ? "" : "s");
        return 2;
    }
    if (keys == 0)
        printf("queue %s: nothing to delete\n", c->conf.queue);
    else
        printf("deleted queue %s (%lld keys%s)\n", c->conf.queue, keys,
               results || leased ? ", with records not exported or URLs being fetched" : "");
    return 0;
}

/* ---- main --------------------------------------------------------------------------------- */

static int cmd_task(void *arg, void **value) {
    qcmd_t *c = arg;
    char err[512];
    int rc = redis_open(&c->r, &c->conf, queue_scripts, QS_COUNT, err, sizeof err);
    /* Only push writes to a server that may evict: the others read what is left. */
    if (rc == 0)
        rc = queue_check_server(c->r, strcmp(c->sub, "push") == 0, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "cafe queue: redis %s: %s\n", c->conf.display,
                rc == CAFE_EINVAL || !c->r ? err : redis_error(c->r));
        redis_close(c->r);
        return 2;
    }
    if (c->drain)
        redis_set_retry(c->r, DRAIN_RETRY_MS, 0);
    int code = strcmp(c->sub, "push") == 0      ? push(c)
               : strcmp(c->sub, "results") == 0 ? results(c)
               : strcmp(c->sub, "delete") == 0  ? delete_queue(c)
                                                : status(c);
    redis_close(c->r);
    *value = (void *)(intptr_t)code;
    return 0;
}

static int parse(qcmd_t *c, int argc, char **argv) {
    memset(c, 0, sizeof(*c));
    c->sub = argv[1];
    c->argc = argc;
    c->argv = argv;
    const char *args[2];
    size_t n;
    unsigned char seen[sizeof rows / sizeof rows[0]];
    /* argv[0] "queue", argv[1] the subcommand */
    int rc = cli_optab_parse(&cli_queue_optab, c, argc, argv, 2, args, 2, &n, seen);
    if (rc != 0)
        return rc;
    /* Both set the one format field: the last one won, without a word. */
    if (seen[cli_optab_find(&cli_queue_optab, "json") - rows] &&
        seen[cli_optab_find(&cli_queue_optab, "csv") - rows])
        return usage_error("--json and --csv cannot be combined");
    /* --help marks these "push:" and "results:"; elsewhere they were ignored without a word
     * (status --json printed the text table). */
    static const struct {
        const char *opt, *label, *sub;
    } scoped[] = {{"scheme", "--scheme", "push"}, {"output", "-o/--output", "results"},
                  {"json", "--json", "results"},  {"csv", "--csv", "results"},
                  {"db", "--db", "results"},      {"drain", "--drain", "results"}};
    for (size_t i = 0; i < sizeof scoped / sizeof scoped[0]; i++)
        if (seen[cli_optab_find(&cli_queue_optab, scoped[i].opt) - rows] &&
            strcmp(c->sub, scoped[i].sub) != 0)
            return cli_optab_usage_error(&cli_queue_optab, "%s is for cafe queue %s",
                                         scoped[i].label, scoped[i].sub);
    if (n == 0)
        return usage_error("no REDIS_URL given");
    if (n == 2 && strcmp(c->sub, "push") != 0)
        return usage_error("too many arguments");
    c->url = args[0];
    c->file = n == 2 ? args[1] : "-";
    if (c->output && strcmp(c->output, "-") == 0) /* standard output, as cafe titles -o - */
        c->output = NULL;
    if (c->force && strcmp(c->sub, "delete") != 0)
        return usage_error("--force is for delete");
    if (c->db && (c->output || c->fmt != RECORD_FMT_TEXT || strcmp(c->sub, "results") != 0))
        return usage_error("--db is for results, instead of -o, --json and --csv");
    return 0;
}

/* Push's list is opened before any connection, as curl checks its local files first: a
 * typo in its name is a usage error, not a Redis round trip (nor a half-done push). */
static int open_list(qcmd_t *c) {
    if (strcmp(c->sub, "push") != 0)
        return 0;
    int rc = input_open(&c->in, c->file);
    if (rc != 0)
        fprintf(stderr, "cafe queue: cannot read %s: %s\n",
                strcmp(c->file, "-") == 0 ? "standard input" : msg_quote(c->file),
                input_strerror(rc));
    return rc ? 2 : 0;
}

int cli_queue_main(int argc, char **argv) {
    if (argc < 2) {
        cli_optab_help(&cli_queue_optab, stderr);
        return 2;
    }
    qcmd_t c;
    if (argv[1][0] == '-' && argv[1][1]) { /* --help, --version: parsed as after a subcommand */
        const char *args[2];
        size_t n;
        int rc = cli_optab_parse(&cli_queue_optab, &c, argc, argv, 1, args, 2, &n, NULL);
        return rc < 0 ? 0 : rc ? rc : usage_error("push, results, status or delete comes first");
    }
    if (strcmp(argv[1], "push") && strcmp(argv[1], "results") && strcmp(argv[1], "status") &&
        strcmp(argv[1], "delete"))
        return cli_optab_usage_error(
            &cli_queue_optab, "unknown subcommand '%s' (push, results, status, delete)", argv[1]);
    int rc = parse(&c, argc, argv);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    cafe_result_t res = {0, NULL};
    rc = redis_conf_parse(&c.conf, c.url, c.name, "cafe queue");
    if (rc == 0 && queue_keys_init(&c.keys, c.conf.queue) != 0)
        rc = 2;
    if (rc == 0)
        rc = open_list(&c);
    if (rc == 0 && (rc = cafe_run(cmd_task, &c, &res)) != 0) {
        if (rc != CAFE_EDEADLK) /* no loop: cmd_task never ran to say why */
            fprintf(stderr, "cafe queue: cannot start: %s\n", msg_strerror(rc));
        rc = 2;
    } else if (rc == 0)
        rc = res.status ? 2 : (int)(intptr_t)res.value;
    input_close(c.in);
    queue_keys_free(&c.keys);
    redis_conf_free(&c.conf);
    return rc;
}
