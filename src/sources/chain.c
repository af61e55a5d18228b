/* Several inputs as one source: URLs given on the command line (-u), then each file in
 * turn. Every file is opened up front, so a missing file stops the run before it starts;
 * a regular file is then closed until its turn (see chain_source_t). */
#include "cafe.h"
#include "input.h"
#include "msg.h"
#include "source.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* parts[i] is NULL while a regular file waits for its turn: each is opened when reached and
 * closed when read, as cat does, so that a shell glob of thousands of files does not take a
 * descriptor each; it was opened once up front, so that a missing or unreadable one stops
 * the run before it starts. Standard input, pipes and FIFOs stay open from the start (what
 * they hold would be lost by closing them); a FIFO's open does not wait for its writer
 * (input_open). */
typedef struct chain_source {
    source_t source;
    source_t **parts;
    const char **paths; /* paths[i]: parts[i]'s file; NULL for the -u part */
    char **shown;       /* shown[i]: paths[i] quoted for messages (msg_quote); NULL for "-" */
    size_t n, cur;
    atomic_int aborted;
} chain_source_t;

/* The part cur, opened if it waits. 0 or a negative code. */
static int chain_part(chain_source_t *c) {
    if (c->parts[c->cur])
        return 0;
    c->source.what = c->shown[c->cur]; /* a file that waits is never "-" */
    return atomic_load(&c->aborted) ? CAFE_ECANCELED
                                    : source_file_open(&c->parts[c->cur], c->paths[c->cur]);
}

static int chain_next(source_t *s, const char **line, size_t *len, uint64_t *ref) {
    chain_source_t *c = (chain_source_t *)s;
    for (; c->cur < c->n; c->cur++) {
        int rc = chain_part(c);
        if (rc != 0)
            return rc;
        c->source.what = c->parts[c->cur]->what; /* messages name the part being read */
        if ((rc = source_next(c->parts[c->cur], line, len, ref)) != 0)
            return rc;
        if (c->paths[c->cur]) { /* read to its end: its descriptor goes back now */
            source_close(c->parts[c->cur]);
            c->parts[c->cur] = NULL;
        }
    }
    return 0;
}

static void chain_abort(source_t *s) {
    chain_source_t *c = (chain_source_t *)s;
    atomic_store(&c->aborted, 1); /* and no file is opened after this */
    for (size_t i = 0; i < c->n; i++)
        source_abort(c->parts[i]); /* NULL for a file that waits: nothing to stop */
}

/* One part's lines, when it can know them; a file that waits is counted by its path. */
static long part_count(chain_source_t *c, size_t i) {
    return c->parts[i] ? source_count(c->parts[i]) : source_file_lines(c->paths[i]);
}

/* The total when every part knows its own. Standard input given twice (`- -`) is counted
 * once: a file there is read to its end by the first, and the second finds that end. */
static long chain_count(source_t *s) {
    chain_source_t *c = (chain_source_t *)s;
    long total = 0;
    int stdin_counted = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (c->paths[i] && strcmp(c->paths[i], "-") == 0 && stdin_counted++)
            continue;
        long k = part_count(c, i);
        if (k < 0)
            return -1;
        total += k;
    }
    return total;
}

/* Frees the chain itself, not its parts. */
static void chain_free(chain_source_t *c) {
    for (size_t i = 0; c->shown && i < c->n; i++)
        free(c->shown[i]);
    free(c->shown);
    free(c->parts);
    free(c->paths);
    free(c);
}

static void chain_close(source_t *s) {
    chain_source_t *c = (chain_source_t *)s;
    for (size_t i = 0; i < c->n; i++)
        source_close(c->parts[i]);
    chain_free(c);
}

static const source_ops_t chain_ops = {
    .next = chain_next, .abort = chain_abort, .count = chain_count, .close = chain_close};

/* Opens path as part i (rc 0 or a negative code); a regular file is closed again until its
 * turn. */
static int chain_add_file(chain_source_t *c, const char *path) {
    struct stat st;
    int rc = source_file_open(&c->parts[c->n], path);
    if (rc != 0)
        return rc;
    c->paths[c->n] = path;
    if (strcmp(path, "-") != 0 && !(c->shown[c->n] = strdup(msg_quote(path)))) {
        source_close(c->parts[c->n]);
        c->parts[c->n] = NULL;
        return CAFE_ENOMEM;
    }
    if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
        source_close(c->parts[c->n]);
        c->parts[c->n] = NULL;
    }
    c->n++;
    return 0;
}

int source_inputs_open(source_t **out, const char *const *urls, size_t nurls,
                       const char *const *paths, size_t npaths, const char **failed) {
    *out = NULL;
    *failed = NULL;
    chain_source_t *c = calloc(1, sizeof(*c));
    size_t max = npaths + (nurls > 0);
    if (!c || !(c->parts = calloc(max ? max : 1, sizeof(*c->parts))) ||
        !(c->paths = calloc(max ? max : 1, sizeof(*c->paths))) ||
        !(c->shown = calloc(max ? max : 1, sizeof(*c->shown)))) {
        if (c)
            chain_free(c);
        return CAFE_ENOMEM;
    }
    atomic_init(&c->aborted, 0);
    c->source.ops = &chain_ops;
    int rc = 0;
    if (nurls) {
        args_source_t *a = calloc(1, sizeof(*a));
        if (a)
            *a = (args_source_t){
                .source = {.ops = &args_ops, .what = "the -u URLs"}, .urls = urls, .n = nurls};
        rc = a ? 0 : CAFE_ENOMEM;
        c->parts[c->n++] = a ? &a->source : NULL;
    }
    for (size_t i = 0; rc == 0 && i < npaths; i++)
        if ((rc = chain_add_file(c, paths[i])) != 0)
            *failed = paths[i];
    if (rc != 0) {
        chain_close(&c->source);
        return rc;
    }
    if (c->n == 1 && (c->parts[0] || (rc = chain_part(c)) == 0)) {
        *out = c->parts[0]; /* one input (the usual run): its own source, no call between */
        chain_free(c);
        return 0;
    }
    if (rc != 0) {
        *failed = c->paths[0];
        chain_close(&c->source);
        return rc;
    }
    c->source.what = !c->n ? "no input" : c->parts[0] ? c->parts[0]->what : c->shown[0];
    *out = &c->source;
    return 0;
}
