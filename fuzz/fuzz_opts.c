/* libFuzzer target for the option parser of `cafe titles` (cli_opts_parse). The input is
 * split at NUL bytes into argv[1..] (argv[0] is "titles"), at most 64 arguments, each a heap
 * copy so ASan sees any read past it. Checks, beyond ASan and UBSan: the result is 0, 2 or
 * -1; an accepted set of options is within its documented bounds; parsing the same argv
 * twice in one process gives the same result (getopt keeps state between calls). Usage text
 * and errors go to /dev/null (libFuzzer and the sanitizers keep the real stderr). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define MAX_ARGS 64

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    FILE *null = fopen("/dev/null", "w");
    if (null) {
        stdout = null; /* glibc: the streams are assignable; the fds stay open for libFuzzer */
        stderr = null;
    }
    return 0;
}

static void check(const cli_opts_t *o) {
    if (o->concurrency < 1 || o->concurrency > 100000 || o->per_host < 1 || o->per_host > 100000 ||
        o->retries < 0 || o->max_redirects < 0 || o->max_bytes < 1 || o->headers.n > CLI_LIST_MAX ||
        o->resolve.n > CLI_LIST_MAX || (o->inputs.n == 0 && o->urls.n == 0 && !o->queue) ||
        !o->scheme)
        abort();
    /* --resume reads back a JSON or CSV file, or a database (-o URL; its rows have a format
     * of their own) */
    if (o->resume && !o->db && (!o->output || o->fmt == RECORD_FMT_TEXT))
        abort();
    if (o->sync && o->concurrency != 1)
        abort();
}

static int parse(char **copy, int argc, cli_opts_t *o) {
    char *argv[MAX_ARGS + 2];
    memcpy(argv, copy, sizeof(char *) * (size_t)(argc + 1));
    int rc = cli_opts_parse(o, argc, argv);
    if (rc != 0 && rc != 2 && rc != -1)
        abort();
    if (rc == 0)
        check(o);
    cli_opts_free(o);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *args[MAX_ARGS + 2];
    int argc = 0;
    args[argc++] = strdup("titles");
    for (size_t i = 0; i <= size && argc <= MAX_ARGS;) {
        size_t len = 0;
        while (i + len < size && data[i + len] != 0)
            len++;
        char *a = malloc(len + 1);
        if (!a)
            break;
        memcpy(a, data + i, len);
        a[len] = 0;
        args[argc++] = a;
        i += len + 1;
    }
    args[argc] = NULL;
    cli_opts_t a, b;
    int ra = parse(args, argc, &a);
    int rb = parse(args, argc, &b);
    if (ra != rb || (ra == 0 && (a.concurrency != b.concurrency || a.fmt != b.fmt)))
        abort();
    for (int i = 0; i < argc; i++)
        free(args[i]);
    return 0;
}
