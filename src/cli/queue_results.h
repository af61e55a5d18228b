/* `cafe queue`'s command state, shared by queue_cmd.c (parsing, push, status, delete) and
 * queue_results.c (results and --drain's export). */
#ifndef CAFE_CLI_QUEUE_RESULTS_H
#define CAFE_CLI_QUEUE_RESULTS_H

#include "format.h"
#include "queue.h"
#include "source.h"

/* --drain retries a lost connection as workers do: a chunk written and synced whose delete
 * failed would be exported again by the next drain, a second copy in the file. */
#define DRAIN_RETRY_MS 300000

typedef struct qcmd {
    const char *sub, *url, *name, *output, *scheme, *db;
    const char **files; /* push: its FILE operands (argv's), nfiles of them; none: "-" */
    size_t nfiles;
    record_format_t fmt;
    int drain;
    int force;
    char token[256]; /* --drain: this drain's hold on the queue (drainer) */
    char epoch[256]; /* --drain: the queue's epoch at its start (QS_CLAIM), "" if none */
    int argc;        /* the command line, for the database's runs table */
    char **argv;
    redis_conf_t conf;
    queue_keys_t keys;
    redis_t *r;
    source_t *in;    /* push: the lists, opened before Redis is touched */
    int stop_signum; /* push: the signal that stopped it, to die of once done */
} qcmd_t;

/* `cafe queue results`: the queue's records to standard output, -o FILE or --db, in the
 * order they were finished; with --drain each chunk is deleted from Redis once it is written
 * and synced. Runs in the command's task; the exit status. */
int qcmd_results(qcmd_t *c);

#endif
