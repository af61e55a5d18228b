/* `cafe queue push | results | status | delete`: load a URL list into a queue, export its
 * records, show where it stands, delete it. Each runs one task on a cafe loop with one Redis
 * connection, and does not retry: an error ends it with exit status 2; but results --drain
 * does (see DRAIN_RETRY_MS), and push (PUSH_RETRY_MS). */
#include "cafe.h"
#include "dbopts.h"
#include "input.h"
#include "msg.h"
#include "opts.h"
#include "queue_cmd.h"
#include "queue_results.h"
#include "signals.h"
#include "sink_db.h"
#include "termchar.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PUSH_BATCH 1000
#define PUSH_WAIT_MS 100 /* a batch's wait for more lines at most */
/* push retries a lost connection as workers do: a push fed by a pipe (tail -f) that ended
 * at the first drop (a Redis restarted, its idle timeout closing a link quiet for its
 * `timeout` seconds) lost the lines it had read, and the pipe's writer with it. Sending a
 * batch again is harmless: its URLs already pushed are skipped, and one that ran already
 * is answered by the push's receipt (QS_PUSH). */
#define PUSH_RETRY_MS 300000

#define F(field) offsetof(qcmd_t, field)

static const cli_opt_t rows[] = {
    {CLI_OPT_STRING, "queue", 0, "NAME", F(name), 0, 0, 0, NULL, NULL, redis_queue_name_check,
     "the queue's name (instead of ?queue=NAME)", NULL},
    {CLI_OPT_STRING, "scheme", 0, "S", F(scheme), 0, 0, 0, "https", NULL, cli_scheme_check,
     "push: scheme for bare hosts, https or http", NULL},
    {CLI_OPT_STRING, "output", 'o', "FILE", F(output), 0, 0, 0, NULL, NULL, cli_name_check,
     "results: write to FILE instead of standard output\n('-': standard output); with --drain "
     "appended to, never\noverwritten (the records then live only there);\n"
     "FILE.sqlite|.sqlite3|.db (any case) is --db sqlite:FILE",
     NULL},
    {CLI_OPT_FLAG, "json", 0, NULL, F(fmt), 0, 0, RECORD_FMT_JSON, NULL, NULL, NULL,
     "results: JSON Lines (default: the guide's lines)", NULL},
    {CLI_OPT_FLAG, "csv", 0, NULL, F(fmt), 0, 0, RECORD_FMT_CSV, NULL, NULL, NULL, "results: CSV",
     NULL},
    {CLI_OPT_FLAG, "csv-safe", 0, NULL, F(fmt), 0, 0, RECORD_FMT_CSV_SAFE, NULL, NULL, NULL,
     "results: CSV for spreadsheets, as cafe titles\n--csv-safe (a ' before fields starting "
     "with\n=, +, -, @, tab, CR or ')",
     NULL},
    {CLI_OPT_SECRET, "db", 0, "SPEC", F(db), 0, 0, 0, NULL, NULL, cli_db_spec_check,
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
    "queue push REDIS_URL [FILE|-]...  load URLs (one per line; FILEs\n"
    "                          in turn), skipping those ever pushed before\n"
    "       cafe queue results REDIS_URL [-o FILE] [--drain]\n"
    "                          [--json|--csv|--csv-safe|--db SPEC]\n"
    "       cafe queue status REDIS_URL\n"
    "       cafe queue delete REDIS_URL [--force]\n",
    "Workers: cafe titles --queue REDIS_URL [OPTIONS]   (see cafe titles --help)\n"
    "\n"
    "REDIS_URL  redis://[USER[:PASSWORD]@]HOST[:PORT][/DB][?queue=NAME]\n"
    "           or a Unix socket: unix://[[USER]:PASSWORD@]/PATH[?db=N&queue=NAME]\n"
    "           (or redis+unix://). The password may come from $REDISCLI_AUTH\n"
    "           instead. No TLS (rediss://): Debian 12's hiredis has none.\n",
    "Exit: 0 done, 2 usage, connection or Redis error, or the output could not be\n"
    "written (disk full); a closed pipe (| head) ends results by SIGPIPE (141).\n",
    rows,
    sizeof rows / sizeof rows[0],
    NULL,
};

static int usage_error(const char *what) {
    return cli_optab_usage_error(&cli_queue_optab, "%s", what);
}

/* ---- push --------------------------------------------------------------------------------- */

/* A batch of URLs read, not pushed yet: urls[2..n+1]; [0] is the pusher's name and [1] the
 * batch's number, for the script. */
typedef struct batch {
    const char *urls[2 + PUSH_BATCH];
    size_t lens[2 + PUSH_BATCH], n;
    uint64_t first_at; /* loop time of its first line */
} batch_t;

typedef struct pusher {
    qcmd_t *c;
    batch_t *cur; /* being filled by the reader; NULL until its next line */
    unsigned long long added;
    unsigned long long sent; /* batches sent: the number of the last, for its receipt */
    cafe_lock_t one;         /* one batch in flight: the receipt is of the last one */
    int rc;                  /* the first push that failed: the ones after it are not sent */
    int signum;              /* Ctrl-C's: the reading stops */
    char name[QUEUE_CLIENT_NAME_MAX]; /* in the queue's epoch when this push makes it */
    char *epoch;                      /* the queue's epoch, from the first push (QS_PUSH) */
} pusher_t;

static void free_batch(batch_t *b) {
    for (size_t i = 2; i < 2 + b->n; i++)
        free((char *)b->urls[i]);
    free(b);
}

/* The push's reply: the URLs added, and the queue's epoch, which is the one of the first
 * push, or the queue went meanwhile (a Redis restarted without persistence, a delete): the
 * URLs pushed before are lost, and the push goes no further. */
static int push_reply(pusher_t *p, const redisReply *rep) {
    const redisReply *e = redis_reply_array(rep, 2) ? rep->element[1] : NULL;
    if (!e || rep->element[0]->type != REDIS_REPLY_INTEGER) {
        redis_set_error(p->c->r, "unexpected reply to the push script");
        return CAFE_EIO;
    }
    p->added += (unsigned long long)rep->element[0]->integer;
    if (e->type != REDIS_REPLY_STRING) /* no stats: nothing added to a queue that is none */
        return 0;
    if (!p->epoch)
        return (p->epoch = strdup(e->str)) ? 0 : CAFE_ENOMEM;
    if (strcmp(p->epoch, e->str) == 0)
        return 0;
    redis_set_error(p->c->r, "the queue is gone from Redis (restarted without persistence? "
                             "flushed? deleted?) and was made again: the URLs pushed before "
                             "went with it; push the list again");
    return CAFE_EIO;
}

/* Runs QS_PUSH for the n URLs of argv[2..n+2) (lens: their lengths; [0] and [1] are filled
 * here), one push at a time: two in flight (the reader's and the timer's) were both sent
 * again after a reconnect, and the receipt, of the last, could not answer the first. n 0
 * drops the pusher's receipt, at its end. */
static int push_urls(pusher_t *p, const char **argv, size_t *lens, size_t n) {
    int rc = cafe_lock_acquire(&p->one);
    if (rc != 0)
        return rc;
    rc = p->rc; /* the push it waited for failed: none goes after it */
    redisReply *rep = NULL;
    if (rc == 0) {
        char num[24];
        snprintf(num, sizeof num, "%llu", ++p->sent);
        argv[0] = p->name;
        lens[0] = strlen(p->name);
        argv[1] = num;
        lens[1] = strlen(num);
        rc = queue_eval(p->c->r, &p->c->keys, QS_PUSH, &rep, (int)n + 2, argv, lens);
    }
    if (rc == 0)
        rc = push_reply(p, rep);
    freeReplyObject(rep);
    (void)cafe_lock_release(&p->one); /* ours */
    return rc;
}

/* Sends the batch being filled (the reader starts another meanwhile) and frees it. */
static void push_batch(pusher_t *p) {
    batch_t *b = p->cur;
    p->cur = NULL;
    if (!b)
        return;
    int rc = p->rc ? p->rc : push_urls(p, b->urls, b->lens, b->n);
    free_batch(b);
    if (rc != 0 && !p->rc) {
        p->rc = rc;
        source_abort(p->c->in); /* a reader waiting on a quiet pipe learns it now */
    }
}

/* From a slow pipe (tail -f, a crawler's output) a batch waited to be full or the input's
 * end: the workers (--follow) got nothing while the pipe stayed open, and Ctrl-C on the
 * pipeline lost the lines read. A batch now goes at most PUSH_WAIT_MS after its first line.
 * Its push is shielded: the task is cancelled at the end, and an interrupted push's URLs
 * might or might not have gone. */
static int push_timer(void *arg, void **value) {
    pusher_t *p = arg;
    cafe_loop_t *loop = cafe_loop_current();
    while (cafe_task_sleep(PUSH_WAIT_MS / 2) == 0) {
        if (!p->cur || cafe_loop_now(loop) - p->cur->first_at < PUSH_WAIT_MS)
            continue;
        cafe_shield_t shield;
        (void)cafe_shield_begin(&shield); /* in a task */
        push_batch(p);
        (void)cafe_shield_end(&shield); /* the sleep after says a cancellation */
    }
    return 0;
}

/* Ctrl-C (SIGINT, SIGTERM, SIGHUP) killed push without a word: how many URLs it added, and
 * that the list must be pushed again for the rest, went unsaid, and the lines read since the
 * last push were dropped. The first now stops the reading: what was read is pushed and
 * counted, and push dies of the signal after (cli_queue_main). A second ends it at once. */
static void on_push_signal(void *arg, int signum, unsigned count) {
    pusher_t *p = arg;
    if (count > 1)
        _exit(stop_signals_exit(signum, 0));
    p->signum = signum;
    /* A push waiting out an outage (PUSH_RETRY_MS) tries no more: its next step fails,
     * and push says what it pushed, as at Ctrl-C without one. */
    redis_set_retry(p->c->r, 0, 0);
    source_abort(p->c->in);
}

/* Adds one line to the batch being filled (a new one if none); 0 or CAFE_ENOMEM. */
static int add_line(pusher_t *p, const char *line, size_t len) {
    if (!p->cur && !(p->cur = calloc(1, sizeof(*p->cur))))
        return CAFE_ENOMEM;
    batch_t *b = p->cur;
    if (b->n == 0)
        b->first_at = cafe_loop_now(cafe_loop_current());
    const char *why;
    /* A bad line is queued as it is, a NUL byte in it too (a worker turns it into the
     * error record cafe titles gives; cut at the NUL, it was another URL, fetched). */
    char *url;
    if (url_normalize(line, len, p->c->scheme, &url, &why) == 0) {
        b->lens[b->n + 2] = strlen(url);
    } else if ((url = malloc(len + 1)) != NULL) {
        memcpy(url, line, len);
        url[len] = 0;
        b->lens[b->n + 2] = len;
    }
    b->urls[b->n + 2] = url;
    if (url && ++b->n == PUSH_BATCH)
        push_batch(p);
    return 0;
}

static int push(qcmd_t *c) {
    pusher_t p = {.c = c};
    cafe_lock_init(&p.one);
    queue_client_name(p.name, sizeof p.name);
    cafe_task_t *timer = NULL;
    stop_signals_t sigs;
    int watching = stop_signals_start(&sigs, on_push_signal, &p) == 0; /* else: killed */
    int rc = cafe_task_spawn(&timer, push_timer, &p, NULL);
    unsigned long long lines = 0, too_long = 0;
    const char *line;
    size_t len;
    uint64_t ref;
    while (rc == 0 && !p.rc && (rc = source_next(c->in, &line, &len, &ref)) > 0) {
        int got = rc;
        rc = 0;
        if (got == SOURCE_TOO_LONG) {
            too_long++;
            continue;
        }
        lines++;
        rc = add_line(&p, line, len);
    }
    int cut = rc < 0 && p.signum; /* the reading aborted (-ECANCELED): said below */
    if (cut)
        rc = 0;
    if (rc == 0)
        push_batch(&p); /* the last lines */
    if (timer) {
        cafe_task_cancel(timer);
        (void)cafe_task_join(timer, NULL); /* it only pushes: p.rc says how */
    }
    if (!p.rc && p.sent && !p.signum) {
        /* The receipt is needed no more (else it goes in 10 minutes): at once, or not at
         * all; all was pushed, whatever it answers. */
        const char *argv[2];
        size_t lens[2];
        redis_set_retry(c->r, 0, 0);
        (void)push_urls(&p, argv, lens, 0);
    }
    if (watching)
        stop_signals_end(&sigs);
    if (p.cur) /* not pushed: an error stopped the reading */
        free_batch(p.cur);
    free(p.epoch);
    rc = p.rc ? p.rc : rc;
    if (rc != 0) {
        int redis = rc == CAFE_EIO || rc == CAFE_ECONNRESET;
        const char *msg = redis ? redis_error(c->r) : input_strerror(rc);
        fprintf(stderr, "cafe queue: push stopped after %llu new URLs: ", p.added);
        if (!redis) /* which list, of several */
            fprintf(stderr, "reading %s: ", c->in->what);
        fprintf(stderr, "%s%s\n", msg,
                strcmp(msg, QUEUE_OOM_MESSAGE) == 0
                    ? "; make room (raise maxmemory, or export the results with cafe queue "
                      "results --drain) and push again: the URLs pushed are skipped"
                    : "");
        return 2;
    }
    printf("%llu added, %llu skipped (already pushed)", p.added, lines - p.added);
    if (too_long)
        printf(", %llu %s too long (over %d bytes) left out", too_long,
               too_long == 1 ? "line" : "lines", INPUT_LINE_MAX);
    printf("\n");
    if (cut)
        fprintf(stderr, "cafe queue: push interrupted: the lines not read yet are not pushed; "
                        "push the list again to add them (the URLs pushed are skipped)\n");
    c->stop_signum = p.signum;
    return p.signum ? 128 + p.signum : 0;
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
    if (st[0]->type == REDIS_REPLY_NIL) /* no stats: all zeros, as for a queue all done */
        fprintf(stderr,
                "cafe queue: nothing was ever pushed to queue %s (is its name, or REDIS_URL's "
                "database, right?)\n",
                c->conf.queue);
    /* a terminal of an 8-bit locale: ASCII only, as cafe titles writes there */
    int ascii = isatty(STDOUT_FILENO) && term_locale_8bit();
    fputs("queue        ", stdout);
    (void)text_put_ascii(stdout, c->conf.display, ascii); /* ferror: main says it */
    fputs("\n", stdout);
    printf("queued       %lld\n", num_of(e[0]));
    printf("in progress  %lld\n", num_of(e[1]));
    printf("done         %lld (%lld ok, %lld failed)\n", num_of(st[1]),
           num_of(st[1]) - num_of(st[2]), num_of(st[2]));
    printf("results      %lld in the stream\n", num_of(e[3]));
    printf("pushed       %lld (%lld distinct URLs seen)\n", num_of(st[0]), num_of(e[2]));
    printf("reclaimed    %lld (leases that expired and went to another worker)\n", num_of(st[3]));
    printf("workers      %zu seen recently", e[5]->elements);
    for (size_t i = 0; i < e[5]->elements; i++)
        if (e[5]->element[i]->type == REDIS_REPLY_STRING) { /* a worker's name: its --worker's */
            fputs(i ? " " : ": ", stdout);
            (void)text_put_ascii(stdout, e[5]->element[i]->str, ascii);
        }
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
    /* Only push adds to a server that may evict: the others read (or drain) what is left. */
    if (rc == 0)
        rc = queue_check_server(c->r,
                                strcmp(c->sub, "push") == 0 ? QUEUE_ADDS
                                : c->drain                  ? QUEUE_WRITES
                                                            : QUEUE_READS,
                                err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "cafe queue: redis %s: %s\n", c->conf.display,
                rc == CAFE_EINVAL || !c->r ? err : redis_error(c->r));
        redis_close(c->r);
        return 2;
    }
    if (c->drain)
        redis_set_retry(c->r, DRAIN_RETRY_MS, 0);
    else if (strcmp(c->sub, "push") == 0)
        redis_set_retry(c->r, PUSH_RETRY_MS, 0);
    int code = strcmp(c->sub, "push") == 0      ? push(c)
               : strcmp(c->sub, "results") == 0 ? qcmd_results(c)
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
    size_t n;
    unsigned char seen[sizeof rows / sizeof rows[0]];
    /* REDIS_URL, then push's FILEs: as many as a shell glob gives, as cafe titles takes */
    const char **args = calloc((size_t)argc, sizeof(*args));
    if (!args) {
        fputs("cafe queue: out of memory\n", stderr);
        return 2;
    }
    /* argv[0] "queue", argv[1] the subcommand */
    int rc = cli_optab_parse(&cli_queue_optab, c, argc, argv, 2, args, (size_t)argc, &n, seen);
    c->files = args; /* after the parse, which sets every field to its default; main frees */
    if (rc != 0)
        return rc;
    /* Both set the one format field: the last one won, without a word. */
    if (seen[cli_optab_find(&cli_queue_optab, "json") - rows] +
            seen[cli_optab_find(&cli_queue_optab, "csv") - rows] +
            seen[cli_optab_find(&cli_queue_optab, "csv-safe") - rows] >
        1)
        return usage_error("--json, --csv and --csv-safe cannot be combined");
    /* --help marks these "push:" and "results:"; elsewhere they were ignored without a word
     * (status --json printed the text table). */
    static const struct {
        const char *opt, *label, *sub;
    } scoped[] = {{"scheme", "--scheme", "push"},        {"output", "-o/--output", "results"},
                  {"json", "--json", "results"},         {"csv", "--csv", "results"},
                  {"csv-safe", "--csv-safe", "results"}, {"db", "--db", "results"},
                  {"drain", "--drain", "results"},       {"force", "--force", "delete"}};
    for (size_t i = 0; i < sizeof scoped / sizeof scoped[0]; i++)
        if (seen[cli_optab_find(&cli_queue_optab, scoped[i].opt) - rows] &&
            strcmp(c->sub, scoped[i].sub) != 0)
            return cli_optab_usage_error(&cli_queue_optab, "%s is for cafe queue %s",
                                         scoped[i].label, scoped[i].sub);
    if (n == 0)
        return usage_error("no REDIS_URL given");
    char shown[96];
    if (n >= 2 && strcmp(c->sub, "push") != 0)
        return cli_optab_usage_error(&cli_queue_optab, "too many arguments: '%s'",
                                     cli_optab_quoted(args[1], shown, sizeof shown));
    c->url = args[0];
    c->nfiles = n - 1;
    if (c->output && strcmp(c->output, "-") == 0) /* standard output, as cafe titles -o - */
        c->output = NULL;
    /* -o results.sqlite is the database, as cafe titles takes it: the records went into
     * it as the guide's text lines, over the rows of a cafe titles -o results.sqlite. */
    if (c->output && sink_db_is_spec(c->output)) {
        if (c->db)
            return usage_error("-o names a database and --db another");
        if (c->fmt != RECORD_FMT_TEXT)
            return cli_optab_usage_error(&cli_queue_optab,
                                         "-o %s writes a database: its columns replace --json, "
                                         "--csv and --csv-safe",
                                         msg_quote(c->output));
        c->db = c->output;
        c->output = NULL;
    }
    if (c->db && (c->output || c->fmt != RECORD_FMT_TEXT || strcmp(c->sub, "results") != 0))
        return usage_error("--db is for results, instead of -o, --json, --csv and --csv-safe");
    return 0;
}

/* `cafe queue push "$Q"` with no FILE on a terminal waits for URLs typed in, and without a
 * word it seemed to hang; cafe titles and cafe title say so too. */
static void tell_terminal_read(const char *const *files, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(files[i], "-") == 0) {
            if (isatty(0) && isatty(2))
                fputs("cafe queue: reading URLs from the terminal; Ctrl-D ends\n", stderr);
            return;
        }
}

/* Push's lists are opened before any connection, as curl checks its local files first: a
 * typo in a name is a usage error, not a Redis round trip (nor a half-done push). Read in
 * turn, as cafe titles reads its FILEs; none: standard input. */
static int open_list(qcmd_t *c) {
    static const char *const dash[] = {"-"};
    if (strcmp(c->sub, "push") != 0)
        return 0;
    const char *const *files = c->nfiles ? c->files + 1 : dash, *failed;
    size_t n = c->nfiles ? c->nfiles : 1;
    int rc = source_inputs_open(&c->in, NULL, 0, files, n, &failed);
    if (rc != 0)
        fprintf(stderr, "cafe queue: cannot read %s: %s\n", failed ? msg_file(failed) : "the input",
                input_strerror(rc));
    else
        tell_terminal_read(files, n);
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
    if (rc != 0) {
        free(c.files);
        return rc < 0 ? 0 : rc;
    }
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
    source_close(c.in);
    free(c.files);
    queue_keys_free(&c.keys);
    redis_conf_free(&c.conf);
    /* Stopped by a signal with what it read pushed: die of it, as cafe titles does. */
    if (c.stop_signum && rc == 128 + c.stop_signum && fflush(stdout) == 0)
        rc = stop_signals_exit(c.stop_signum, 1);
    return rc;
}
