/* Several inputs as one source: URLs given on the command line (-u), then each file in
 * turn. Every part is opened up front, so a missing file stops the run before it starts. */
#include "cafe.h"
#include "input.h"
#include "source.h"

#include <stdlib.h>
#include <string.h>

/* The -u URLs: each a line as a file's would be (trimmed; blank and # lines skipped). */
typedef struct args_source {
    source_t source;
    const char *const *urls;
    size_t n, next;
} args_source_t;

static int args_next(source_t *s, const char **line, size_t *len, uint64_t *ref) {
    args_source_t *a = (args_source_t *)s;
    while (a->next < a->n) {
        const char *u = a->urls[a->next++];
        size_t start, kept = input_line_trim(u, strlen(u), &start);
        if (kept == 0)
            continue;
        *line = u + start;
        *len = kept;
        *ref = 0;
        return kept > INPUT_LINE_MAX ? SOURCE_TOO_LONG : 1; /* as a file's over-long line */
    }
    return 0;
}

static long args_count(source_t *s) {
    return (long)((args_source_t *)s)->n;
}

static void args_close(source_t *s) {
    free(s);
}

static const source_ops_t args_ops = {.next = args_next, .count = args_count, .close = args_close};

typedef struct chain_source {
    source_t source;
    source_t **parts;
    size_t n, cur;
} chain_source_t;

static int chain_next(source_t *s, const char **line, size_t *len, uint64_t *ref) {
    chain_source_t *c = (chain_source_t *)s;
    for (; c->cur < c->n; c->cur++) {
        c->source.what = c->parts[c->cur]->what; /* messages name the part being read */
        int rc = source_next(c->parts[c->cur], line, len, ref);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static void chain_abort(source_t *s) {
    chain_source_t *c = (chain_source_t *)s;
    for (size_t i = 0; i < c->n; i++)
        source_abort(c->parts[i]);
}

/* The total when every part knows its own. */
static long chain_count(source_t *s) {
    chain_source_t *c = (chain_source_t *)s;
    long total = 0;
    for (size_t i = 0; i < c->n; i++) {
        long k = source_count(c->parts[i]);
        if (k < 0)
            return -1;
        total += k;
    }
    return total;
}

static void chain_close(source_t *s) {
    chain_source_t *c = (chain_source_t *)s;
    for (size_t i = 0; i < c->n; i++)
        source_close(c->parts[i]);
    free(c->parts);
    free(c);
}

static const source_ops_t chain_ops = {
    .next = chain_next, .abort = chain_abort, .count = chain_count, .close = chain_close};

int source_inputs_open(source_t **out, const char *const *urls, size_t nurls,
                       const char *const *paths, size_t npaths, const char **failed) {
    *out = NULL;
    *failed = NULL;
    chain_source_t *c = calloc(1, sizeof(*c));
    size_t max = npaths + (nurls > 0);
    if (!c || !(c->parts = calloc(max ? max : 1, sizeof(*c->parts)))) {
        free(c);
        return CAFE_ENOMEM;
    }
    c->source.ops = &chain_ops;
    int rc = 0;
    if (nurls) {
        args_source_t *a = calloc(1, sizeof(*a));
        if (a)
            *a = (args_source_t){{&args_ops, "the -u URLs"}, urls, nurls, 0};
        rc = a ? 0 : CAFE_ENOMEM;
        c->parts[c->n++] = a ? &a->source : NULL;
    }
    for (size_t i = 0; rc == 0 && i < npaths; i++) {
        rc = source_file_open(&c->parts[c->n], paths[i]);
        if (rc == 0)
            c->n++;
        else
            *failed = paths[i];
    }
    if (rc != 0) {
        chain_close(&c->source);
        return rc;
    }
    if (c->n == 1) { /* one input (the usual run): its own source, with no call between */
        *out = c->parts[0];
        free(c->parts);
        free(c);
        return 0;
    }
    c->source.what = c->n ? c->parts[0]->what : "no input";
    *out = &c->source;
    return 0;
}
