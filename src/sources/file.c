/* The file source: input.c's streamed line reader behind the source interface. */
#include "cafe.h"
#include "input.h"
#include "msg.h"
#include "source.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct file_source {
    source_t source; /* first: the source_t * is the file_source_t * */
    const char *path;
    long long origin; /* standard input's file: the offset its reading starts at; else -1 */
    char *shown;      /* the path quoted for messages (msg_quote): the source's what */
    input_t *in;
} file_source_t;

static int file_next(source_t *s, const char **line, size_t *len, uint64_t *ref) {
    uint64_t lineno;
    int rc = input_next(((file_source_t *)s)->in, line, len, &lineno);
    return rc == INPUT_TOO_LONG ? SOURCE_TOO_LONG : rc;
}

static void file_abort(source_t *s) {
    input_abort(((file_source_t *)s)->in);
}

typedef struct count_job {
    const char *path;
    long long at; /* where to start (-1: the start) */
    long lines;
} count_job_t;

/* On the thread pool: a second reader over the same file, counting its URL lines. */
static int count_lines(void *arg) {
    count_job_t *j = arg;
    input_t *in;
    if (input_open_at(&in, j->path, j->at) != 0)
        return 0;
    const char *line;
    size_t len;
    uint64_t lineno;
    long n = 0;
    while (input_next(in, &line, &len, &lineno) > 0)
        n++;
    input_close(in);
    j->lines = n;
    return 0;
}

static long lines_from(const char *path, long long at) {
    count_job_t job = {path, at, -1};
    return cafe_thread_run(count_lines, &job) == 0 ? job.lines : -1;
}

/* Only a regular file can be read twice; a pipe's lines are read once, by the run. */
long source_file_lines(const char *path) {
    struct stat st;
    if (strcmp(path, "-") == 0 || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return -1;
    return lines_from(path, -1);
}

/* Standard input that is a regular file (`cafe titles < list`) is counted too, as the
 * progress line's total: from where its reading started (`(head -1; cafe titles) < list`),
 * by a reader of its own (/dev/stdin opens the file anew; a dup would share the offset). */
static long file_count(source_t *s) {
    file_source_t *f = (file_source_t *)s;
    if (strcmp(f->path, "-") != 0)
        return source_file_lines(f->path);
    return f->origin >= 0 ? lines_from("/dev/stdin", f->origin) : -1;
}

/* Standard input's offset when it is a regular file, before the first read; else -1. */
static long long stdin_origin(void) {
    struct stat st;
    return fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode)
               ? (long long)lseek(STDIN_FILENO, 0, SEEK_CUR)
               : -1;
}

static void file_close(source_t *s) {
    input_close(((file_source_t *)s)->in);
    free(((file_source_t *)s)->shown);
    free(s);
}

static const source_ops_t file_ops = {
    .next = file_next,
    .abort = file_abort,
    .count = file_count,
    .close = file_close,
};

int source_file_open(source_t **out, const char *path) {
    *out = NULL;
    file_source_t *f = calloc(1, sizeof(*f));
    if (!f)
        return CAFE_ENOMEM;
    int stdin_ = strcmp(path, "-") == 0;
    if (!stdin_ && !(f->shown = strdup(msg_quote(path)))) {
        free(f);
        return CAFE_ENOMEM;
    }
    int rc = input_open(&f->in, path);
    if (rc != 0) {
        free(f->shown);
        free(f);
        return rc;
    }
    f->source.ops = &file_ops;
    f->source.what = stdin_ ? "standard input" : f->shown;
    f->path = path;
    f->origin = stdin_ ? stdin_origin() : -1;
    *out = &f->source;
    return 0;
}
