/* A URL source: where `cafe titles` (and a `cafe serve` job) gets its URL lines, without
 * knowing from where: a file or standard input (file.c), the Redis queue
 * (src/redis/queue.h). A new place to read from is one new file that fills a source_ops_t.
 *
 * The life of a source, all calls from tasks of one loop except open and close:
 *
 *     open (the source's own constructor, e.g. source_file_open)   no loop needed
 *     start      connect, start background work                    task; optional
 *     next ...   one line at a time, from one task                 task; may suspend
 *     finish     stop background work, give back what is unfinished task; optional
 *     close      free                                              anywhere
 *
 * Each line next hands out becomes exactly one record given to the run's sink, or the run
 * stops (and finish gives back what was handed out and not written). A source that must
 * know which of its lines a record is for (the queue acknowledges that URL) gives each line
 * a mark, *ref, which comes back as the record's source_ref. */
#ifndef CAFE_SOURCES_SOURCE_H
#define CAFE_SOURCES_SOURCE_H

#include <stddef.h>
#include <stdint.h>

typedef struct source source_t;

/* next's answers besides 1 (a line), 0 (the end) and negative codes. */
#define SOURCE_TOO_LONG 2 /* a line over the source's limit: *line holds its first bytes */

typedef struct source_ops {
    /* Optional. 0 or a negative code (the source has printed why). */
    int (*start)(source_t *s);
    /* The next line: 1 and *line (len bytes, trimmed, never blank) valid until the next call,
     * SOURCE_TOO_LONG, 0 at the end, or a negative code (why set when it says more; nothing
     * printed): CAFE_ECANCELED when the reading task was cancelled or the source aborted. *ref: the
     * line's mark (0 if the source needs none). May suspend; one task at a time. */
    int (*next)(source_t *s, const char **line, size_t *len, uint64_t *ref);
    /* Optional. Makes a next in progress, and every later one, give up with CAFE_ECANCELED
     * soon, even where cancelling the task cannot reach (a read on the thread pool): for
     * Ctrl-C. Any thread. */
    void (*abort)(source_t *s);
    /* Optional. How many lines the source holds, when that can be known up front (a regular
     * file), for the progress line's total; -1 when not. May suspend (a task). */
    long (*count)(source_t *s);
    /* Optional. In a task, after the last record went to the sink. */
    void (*finish)(source_t *s);
    /* Frees the source. */
    void (*close)(source_t *s);
} source_ops_t;

/* Every source starts with this. */
struct source {
    const source_ops_t *ops;
    const char *what; /* for messages: "urls.txt", "standard input", "the queue" */
    /* Set by the source when next fails and its code alone would not say enough: the whole
     * cause for the user (a Redis's own words), which the caller prints once; empty
     * otherwise (the caller says the code's meaning). */
    char why[256];
};

/* The calls, with the optional ops filled in. source_abort(NULL) and source_close(NULL) do
 * nothing. */
int source_start(source_t *s);
int source_next(source_t *s, const char **line, size_t *len, uint64_t *ref);
void source_abort(source_t *s);
long source_count(source_t *s);
void source_finish(source_t *s);
void source_close(source_t *s);

/* The file source: one URL per line from path ("-": standard input), streamed (a file of
 * millions of lines is never loaded whole), blank lines and # comments skipped (input.h).
 * 0 or a negative code (the file cannot be opened: nothing printed). */
int source_file_open(source_t **out, const char *path);
/* How many URL lines path holds, read by a second reader on the thread pool (from a task);
 * -1 when it cannot be read twice (standard input, a pipe) or cannot be read. */
long source_file_lines(const char *path);

/* The command line's inputs as one source (chain.c): the URLs given one by one (-u, each a
 * line), then each file of paths in turn ("-": standard input). Every file is opened now: on
 * failure returns its negative code with *failed naming it (nothing printed). The arrays and
 * strings stay the caller's and must outlive the source. */
int source_inputs_open(source_t **out, const char *const *urls, size_t nurls,
                       const char *const *paths, size_t npaths, const char **failed);

#endif
