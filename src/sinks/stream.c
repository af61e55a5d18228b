/* The stream sink.
 *
 * Records finished in one loop turn leave together, in one write() (to a pipe, in writes of
 * whole records that fit PIPE_BUF, whole_records): each is formatted into
 * `pending`, a buffer kept from one turn to the next, and the first one of a turn wakes the flusher
 * task. That task becomes ready behind every task already made ready, and the loop never waits for
 * I/O while a task is ready, so a record is on its way to the kernel before the loop can block:
 * never held across a wait. A write() is whole records, so a SIGKILL leaves the file with whole
 * records or a torn last one, which --resume repairs (stream_resume.c). Records are settled
 * once their write() succeeded. */
#include "stream.h"
#include "cafe.h"
#include "fdwait.h"
#include "msg.h"
#include "signals.h"
#include "termchar.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct stream {
    sink_t sink; /* first: the sink_t * is the stream_t * */
    const char *path;
    char *shown; /* the path quoted for messages (msg_quote): the sink's what */
    record_format_t fmt;
    int append;
    int tty;   /* f is a terminal: CSV's fields escaped (format_record_append_tty) */
    int ascii; /* ... of an 8-bit locale: ASCII only */
    /* Resumed onto a file whose lines end otherwise than this format's records (a CSV of LF
     * ends, JSON Lines of CRLF ends, as another tool or an editor saved it): the records
     * added end as the file's lines do, so that it keeps one kind of line end. */
    int swap_ends;
    int lock_fd;  /* the output file, locked for the run (-1: none, or not a regular file) */
    int may_wait; /* fd is no regular file (a pipe, FIFO, terminal): a write waits for its
                     reader (writable) */
    /* A CSV output that is a regular file written in append mode: its header is written
     * again when a write finds it emptied (header_again). header_queued: pending begins with
     * the header. */
    int csv_file, header_queued;
    /* path was a regular file when opened: the file opened (follow_path) */
    int follow;
    int dir_synced; /* path's directory synced since the file was opened (sink_stream_sync) */
    dev_t dev;
    ino_t ino;
    int fd; /* the output: path's (-1: not open), or standard output's */
    /* Formatted and not yet written: the bytes, and the receipts of their records. */
    outbuf_t pending;
    sink_pending_t pending_receipts;
    cafe_event_t flush_due; /* wakes the flusher task */
    cafe_task_t *flusher;   /* NULL if it could not be spawned: then each record goes alone */
    int flush_armed;        /* flush_due set and not yet acted on */
    int error;              /* the first failure (-errno), sticky */
} stream_t;

/* The line just appended to o ends as the file's lines do (swap_ends): a CSV's CRLF made
 * LF, a JSON or text line's LF made CRLF. 0, or CAFE_ENOMEM when o could not hold it. */
static int end_as_the_file(const stream_t *st, outbuf_t *o) {
    if (st->swap_ends && !o->oom && o->len >= 2 && format_is_csv(st->fmt)) {
        o->p[--o->len - 1] = '\n';
    } else if (st->swap_ends && !o->oom && o->len >= 1) {
        o->p[o->len - 1] = '\r';
        outbuf_putc(o, '\n');
    }
    return o->oom ? CAFE_ENOMEM : 0;
}

/* Appends the CSV header to o, its line ended as the file's rows are. */
static void header_append(stream_t *st, outbuf_t *o) {
    format_header_append(o, st->fmt);
    (void)end_as_the_file(st, o); /* o->oom says a failure */
}

/* A CSV file (-o's, or standard output appended to) another program emptied under the run
 * (logrotate's copytruncate, `: > out.csv`; the file is written in append mode, so the rows go to
 * its new start) went on with rows alone: readers took the first for the column names, and --resume
 * refused the file. The header goes first again when a write finds the file empty: one fstat a loop
 * turn's write. (A file emptied between the fstat and the write still loses it: no lock keeps
 * others out.) 0 or CAFE_ENOMEM. */
static int header_again(stream_t *st) {
    struct stat sb;
    if (!st->csv_file || st->header_queued || st->pending.len == 0 || fstat(st->fd, &sb) != 0 ||
        sb.st_size != 0)
        return 0;
    outbuf_t o = {0};
    header_append(st, &o);
    outbuf_put(&o, st->pending.p, st->pending.len);
    if (o.oom) {
        outbuf_free(&o);
        return CAFE_ENOMEM;
    }
    outbuf_free(&st->pending);
    st->pending = o;
    return 0;
}

static int open_output(const char *path, int append);

/* Whether a write to this file can wait for a reader (a pipe, FIFO, socket or terminal),
 * which stream_t.may_wait says: a regular file or a block device takes it at once. */
static int waits_for_reader(const struct stat *sb) {
    return !S_ISREG(sb->st_mode) && !S_ISBLK(sb->st_mode);
}

/* Closes the output file that path no longer names (renamed away), synced first: the run's
 * end syncs only the file it then writes (stream_finish), and `cafe queue results --drain`
 * deletes a chunk once its file is synced (sink_stream_sync), so the records already in
 * the old one, its only copy, were left in the page cache, where a power cut loses them
 * after a run that ended with status 0. A file deleted (no link left) is read by nobody:
 * not synced. 0 or a negative errno. */
static int leave_file(int fd) {
    struct stat sb;
    int rc =
        fstat(fd, &sb) == 0 && sb.st_nlink > 0 && fsync(fd) != 0 && errno != EINVAL ? -errno : 0;
    if (close(fd) != 0 && errno != EINTR && rc == 0)
        rc = -errno;
    return rc;
}

/* path renamed away under the run (logrotate without copytruncate, `sed -i`, an editor that
 * saves by rename) or deleted: the records went on into the old file, those after it to a
 * file no name led to when deleted (lost at the exit, with status 0), and path, made again or
 * missing, never got them. As Python's WatchedFileHandler, before a write: when path no
 * longer names the file opened, it is opened again, to append (made if missing; a CSV header
 * first, by header_again, when it is empty) and locked as the first was. One stat a loop
 * turn's write. The old file is synced before it is let go (leave_file). 0, or a negative
 * errno when it cannot be opened or the old one's sync or close failed. */
static int follow_path(stream_t *st, int always) {
    struct stat sb;
    if (!st->follow || (st->pending.len == 0 && !always))
        return 0;
    if (stat(st->path, &sb) == 0 ? sb.st_dev == st->dev && sb.st_ino == st->ino : errno != ENOENT)
        return 0; /* the same file, or nothing known: written on */
    int fd = open_output(st->path, 1);
    if (fd < 0 || fstat(fd, &sb) != 0) {
        int e = -errno;
        if (fd >= 0)
            (void)close(fd);
        return e;
    }
    int rc = leave_file(st->fd);
    st->fd = fd;
    st->dev = sb.st_dev;
    st->ino = sb.st_ino;
    st->follow = S_ISREG(sb.st_mode);
    st->dir_synced = 0;
    st->may_wait = waits_for_reader(&sb);
    if (st->lock_fd >= 0) /* the lock moves to the new file, as far as no other run holds it */
        (void)close(st->lock_fd);
    st->lock_fd = -1;
    (void)flock(fd, LOCK_EX | LOCK_NB);
    return rc;
}

/* How long after a stop signal an output that takes nothing is waited for. */
#define STOP_WAIT_MS 10000

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* How many bytes of left to write next to st->fd, or -EINTR: a pipe whose reader stopped
 * reading (`cafe titles list | stalled`, a terminal paused by Ctrl-S) held the blocking
 * write, and the loop with it, for ever, so that the loop never saw a SIGTERM (timeout(1)'s,
 * systemd's stop): one did nothing. The write waits in poll instead, which a signal's
 * handler ends (write() is restarted after it), and gives up once a stop signal came and the
 * output took nothing for STOP_WAIT_MS (a slow reader keeps its records). After that signal
 * each write is one that fits (PIPE_BUF: a pipe that polls writable takes that much without
 * waiting): a write blocked midway ends at a signal's delivery alone, and this one came. */
static ssize_t writable(const stream_t *st, size_t left) {
    if (!st->may_wait)
        return (ssize_t)left;
    uint64_t since = 0;
    for (;;) {
        struct pollfd p = {.fd = st->fd, .events = POLLOUT};
        int n = poll(&p, 1, 100);
        unsigned stops = stop_signals_delivered();
        if (n > 0 || (n < 0 && errno != EINTR)) /* a failure: the write says what it is */
            return (ssize_t)(stops && left > PIPE_BUF ? PIPE_BUF : left);
        if (stops && !since)
            since = now_ms();
        else if (stops && now_ms() - since >= STOP_WAIT_MS)
            return -EINTR;
    }
}

/* The next write's share of the n bytes at p, to an output that may wait (a pipe, FIFO,
 * socket or terminal): whole records of at most PIPE_BUF bytes, which a pipe takes in one
 * piece, or all of them when they fit. Programs writing one pipe at once (`xargs -P4 cafe
 * titles --json | jq`) had their writes of a loop turn's records, over PIPE_BUF, interleaved
 * by the kernel mid-line whenever the reader fell behind: jq read halves of two records as
 * one line. A record longer than PIPE_BUF goes alone: no write keeps it whole. */
static size_t whole_records(const char *p, size_t n) {
    if (n <= PIPE_BUF)
        return n;
    const char *end = memrchr(p, '\n', PIPE_BUF);
    if (!end)
        end = memchr(p + PIPE_BUF, '\n', n - PIPE_BUF);
    return end ? (size_t)(end + 1 - p) : n;
}

/* One write() of everything pending (more only if the kernel takes it in parts, or it goes
 * to a pipe in whole_records' pieces); the records are settled as written when it
 * succeeded, as not written when it failed. Never suspends (it may block, as a write to a
 * full blocking pipe does). */
static int flush_now(stream_t *st) {
    st->flush_armed = 0;
    if (st->error)
        return st->error;
    st->error = follow_path(st, 0);
    if (!st->error)
        st->error = header_again(st);
    st->header_queued = 0;
    if (st->error) {
        st->pending.len = 0;
        sink_pending_settle(&st->sink, &st->pending_receipts, SIZE_MAX, 0);
        return st->error;
    }
    const char *p = st->pending.p;
    size_t left = st->pending.len;
    if (left > 0 && st->sink.listener.before_write)
        st->sink.listener.before_write(st->sink.listener.ctx);
    while (left > 0) {
        ssize_t n = writable(st, st->may_wait ? whole_records(p, left) : left);
        if (n < 0) {
            st->error = (int)n;
            break;
        }
        n = write(st->fd, p, (size_t)n);
        /* EAGAIN: a descriptor another program made non-blocking (fdwait.h); writable waits
         * for one that may wait */
        if (n < 0 && (errno == EINTR || ((errno == EAGAIN || errno == EWOULDBLOCK) &&
                                         (st->may_wait || fd_wait(st->fd, POLLOUT) == 0))))
            continue;
        if (n <= 0) {
            st->error = n < 0 ? -errno : -EIO;
            break;
        }
        p += n;
        left -= (size_t)n;
    }
    st->pending.len = 0; /* its memory stays for the next turn's records */
    sink_pending_settle(&st->sink, &st->pending_receipts, SIZE_MAX, !st->error);
    return st->error;
}

static int flusher_task(void *arg, void **value) {
    stream_t *st = arg;
    for (;;) {
        int rc = cafe_event_wait(&st->flush_due);
        cafe_event_clear(&st->flush_due);
        /* a failure is sticky: the next write or finish returns it; the run hears of it now,
         * not when a next record comes, which may be held by a slow fetch for minutes */
        int was = st->error, failed = flush_now(st);
        if (failed && !was && st->sink.listener.failed)
            st->sink.listener.failed(st->sink.listener.ctx, failed);
        if (rc != 0)
            return 0;
    }
}

/* Locks the output file for the run, before anything reads, cuts or empties it: a second run
 * onto it at once (a cron job overlapping its last run) emptied it under the first one, or
 * with --resume read the same records back and wrote the rest again. A file that cannot be
 * opened here is left to the open that reports it; other than a regular file (a FIFO,
 * /dev/stdout) it is not locked. 0, or CAFE_EBUSY with why set. */
static int lock_output(stream_t *st) {
    struct stat sb;
    if (!st->path || st->lock_fd >= 0)
        return 0;
    /* Not even opened when it is no regular file: opened read-write and closed again, a
     * FIFO let its waiting reader in and then left it without a writer, and a reader that
     * read in between saw its end (it exited with nothing; the output's own open then
     * waited for a reader for ever). */
    if (stat(st->path, &sb) == 0 && !S_ISREG(sb.st_mode))
        return 0;
    /* O_APPEND: an append-only file (chattr +a) opens so alone, and is locked too */
    int fd = open(st->path, O_RDWR | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0666);
    if (fd < 0)
        return 0;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        (void)close(fd);
        return 0;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
        (void)close(fd);
        return sink_fail(&st->sink, CAFE_EBUSY,
                         "%s is being written by another run: not writing it twice at once",
                         st->sink.what);
    }
    st->lock_fd = fd; /* held until close; a file system without locks is used as before */
    return 0;
}

static long stream_load_done(sink_t *s, keyset_t *done) {
    stream_t *st = (stream_t *)s;
    int locked = lock_output(st);
    if (locked != 0)
        return locked;
    char why[256];
    int crlf_ends = -1;
    long kept = st->path ? stream_resume_load(st->path, st->fmt, done, s->failed_keys, why,
                                              sizeof why, &crlf_ends)
                         : 0;
    if (kept < 0)
        return sink_fail(s, (int)kept, "%s: %s", s->what, why);
    st->swap_ends = crlf_ends >= 0 && crlf_ends != format_is_csv(st->fmt); /* CSV: CRLF */
    return kept;
}

/* path opened to append, emptied first unless append: as >> (after : >) opens it, never "w".
 * At its own offset, each write went where the file's end had been: emptied under the run
 * (logrotate's copytruncate, `: > out`), the file began with a hole of NUL bytes that jq and
 * --resume refused, and another program's appended lines were written over. A descriptor,
 * not stdio's FILE: its close is the run's to check (stream_finish). -1 and errno on
 * failure. */
static int open_output(const char *path, int append) {
    return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (append ? 0 : O_TRUNC), 0666);
}

/* Standard output that is a regular file written from its end (as the shell's > and >>
 * leave it) is switched to append mode, as -o's file is opened (open_output): opened by > it
 * was written at its own offset, and emptied under the run (copytruncate) it began with a
 * hole of NUL bytes that jq and --resume refused. Written from an offset inside the file
 * (1<>, overwriting in place) it is left as the user asked. The flag is on the shell's open
 * file, shared with the commands after cafe: they write at the end, where they would be. */
static void stdout_append(int fd) {
    struct stat sb;
    int fl = fcntl(fd, F_GETFL);
    if (fl == -1 || (fl & O_APPEND) || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
        lseek(fd, 0, SEEK_CUR) != sb.st_size)
        return;
    (void)fcntl(fd, F_SETFL, fl | O_APPEND); /* failing, it is written as before */
}

static int stream_start(sink_t *s) {
    stream_t *st = (stream_t *)s;
    int locked = lock_output(st);
    if (locked != 0)
        return locked;
    st->fd = st->path ? open_output(st->path, st->append) : STDOUT_FILENO;
    if (!st->path)
        stdout_append(st->fd);
    if (st->fd < 0) {
        int e = errno;
        return sink_fail(s, -e, "cannot open %s: %s", s->what, strerror(e));
    }
    struct stat sb;
    st->tty = isatty(st->fd);
    st->may_wait = fstat(st->fd, &sb) == 0 && waits_for_reader(&sb);
    st->ascii = st->tty && term_locale_8bit();
    if (st->path && fstat(st->fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
        st->follow = 1;
        st->dev = sb.st_dev;
        st->ino = sb.st_ino;
    }
    /* standard output too when it is appended to (`>> out.csv`, as cron jobs write, and `>`
     * made so by stdout_append); not 1<>, written over in place */
    int fl = st->path ? O_APPEND : fcntl(st->fd, F_GETFL);
    st->csv_file = format_is_csv(st->fmt) && fl != -1 && (fl & O_APPEND) &&
                   fstat(st->fd, &sb) == 0 && S_ISREG(sb.st_mode);
    /* A file resumed already has its header (if it has anything). Only that one: standard
     * output's offset is past 0 in a file written before (`{ echo x; cafe ...; } > f`),
     * whose records then came without their header. It goes out as records do (flush_now):
     * through stdio, a non-blocking stdout that was full failed it with EAGAIN. */
    if (!st->append || lseek(st->fd, 0, SEEK_END) <= 0) {
        format_header_append(&st->pending, st->fmt);
        st->header_queued = format_is_csv(st->fmt);
    }
    int rc = st->pending.oom ? CAFE_ENOMEM : flush_now(st);
    if (rc != 0) /* before the flusher: a sink that failed to start leaves no task */
        return sink_fail(s, rc, "writing %s: %s", s->what, msg_strerror(rc));
    cafe_event_init(&st->flush_due);
    if (cafe_task_spawn(&st->flusher, flusher_task, st, NULL) != 0)
        st->flusher = NULL; /* each record is then written as it comes */
    return 0;
}

/* A record's line was appended to pending (its receipt's room reserved): it leaves at the
 * flusher's turn. */
static int queued(stream_t *st, const record_t *rec) {
    int rc = end_as_the_file(st, &st->pending);
    if (rc != 0)
        return st->error = rc;
    sink_pending_add(&st->pending_receipts, rec);
    if (!st->flusher)
        return flush_now(st);
    if (!st->flush_armed) {
        st->flush_armed = 1;
        cafe_event_set(&st->flush_due);
    }
    return 0;
}

static int stream_write(sink_t *s, const record_t *rec) {
    stream_t *st = (stream_t *)s;
    if (st->error)
        return st->error;
    int rc = sink_pending_reserve(&st->pending_receipts);
    if (rc == 0)
        rc = st->tty ? format_record_append_tty(&st->pending, st->fmt, rec, st->ascii)
                     : format_record_append(&st->pending, st->fmt, rec);
    return rc != 0 ? (st->error = rc) : queued(st, rec);
}

int sink_stream_write_line(sink_t *s, const char *line, size_t n) {
    stream_t *st = (stream_t *)s;
    if (st->error)
        return st->error;
    int rc = sink_pending_reserve(&st->pending_receipts);
    if (rc != 0)
        return st->error = rc;
    outbuf_put(&st->pending, line, n);
    outbuf_putc(&st->pending, '\n');
    if (st->pending.oom)
        return st->error = CAFE_ENOMEM;
    record_t none = {0};
    return queued(st, &none);
}

/* fsync of path's directory, for the file's entry in it (fsync(2): the file's own does not
 * promise it). The directory the file is in, path's symbolic links followed: -o latest.json
 * linked to runs/today.json, which the open made, had the link's directory synced and not
 * the one the new entry is in, where a power cut lost the whole file after a run that ended
 * with status 0. A directory cafe may not open (mode 0300) is left as its file system keeps
 * it. 0 or a negative errno. */
static int sync_dir(const char *path) {
    char *real = realpath(path, NULL); /* NULL (gone since, out of memory): path as given */
    const char *file = real ? real : path, *slash = strrchr(file, '/');
    char *dir = slash ? strndup(file, slash == file ? 1 : (size_t)(slash - file)) : strdup(".");
    free(real);
    if (!dir)
        return CAFE_ENOMEM;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0)
        return 0;
    int rc = fsync(fd) != 0 && errno != EINVAL ? -errno : 0;
    (void)close(fd);
    return rc;
}

/* The run's end puts -o's file on the disk, as a database's commit does, once, not per
 * write (a SIGKILL loses nothing the kernel has; a power cut mid-run loses a tail that
 * --resume fetches again): the run said "written" and exited 0, and a caller moves on (the
 * list deleted, the next job started), while the records were in the page cache only. And
 * a write-back the kernel fails later (a failing disk, a thin volume or an NFS server out of
 * space) is reported by fsync alone. Then the file's close is checked, as coreutils'
 * close_stdout checks theirs: NFS, FUSE or a quota may report a failed write there.
 * (EINTR: Linux closed it anyway.) Standard output is the shell's file, as for every
 * filter: flushed and closed, not synced. */
static int stream_finish(sink_t *s) {
    stream_t *st = (stream_t *)s;
    if (st->flusher) {
        cafe_task_cancel(st->flusher);
        (void)cafe_task_join(st->flusher, NULL); /* it only flushes: its failure is sticky */
        st->flusher = NULL;
    }
    int rc = flush_now(st);
    if (!st->path || st->fd < 0)
        return rc;
    int fd = st->fd;
    st->fd = -1;
    if (rc == 0 && st->follow && fsync(fd) != 0 && errno != EINVAL)
        rc = st->error = -errno;
    if (close(fd) != 0 && errno != EINTR && rc == 0)
        rc = st->error = -errno;
    if (rc == 0 && st->follow)
        rc = st->error = sync_dir(st->path);
    return rc;
}

int sink_stream_sync(sink_t *s, int durable) {
    stream_t *st = (stream_t *)s;
    if (!st->error)
        st->error = follow_path(st, 1);
    int rc = flush_now(st);
    /* a pipe or a terminal (EINVAL) has nothing to make durable: its reader owns the records */
    if (rc == 0 && durable && st->fd >= 0 && fsync(st->fd) != 0 && errno != EINVAL)
        rc = st->error = -errno;
    /* and the file's entry, once a file: a file the drain made was on the disk with no name
     * leading to it until the run's end synced its directory, while the chunks synced
     * meanwhile were deleted from their source (standard output's directory is unknown: the
     * shell's file) */
    if (rc == 0 && durable && st->follow && !st->dir_synced) {
        rc = st->error = sync_dir(st->path);
        st->dir_synced = rc == 0;
    }
    return rc;
}

int sink_stream_fd(const sink_t *s) {
    return ((const stream_t *)s)->fd;
}

int sink_stream_ascii(const sink_t *s) {
    return ((const stream_t *)s)->ascii;
}

static void stream_salvage(sink_t *s) {
    (void)flush_now((stream_t *)s); /* about to _exit: nothing more can be done on failure */
}

static void stream_close(sink_t *s) {
    stream_t *st = (stream_t *)s;
    if (st->path && st->fd >= 0)
        (void)close(st->fd); /* not finished: the run failed already */
    if (st->lock_fd >= 0)
        (void)close(st->lock_fd); /* after the output's own close: its last bytes are in */
    outbuf_free(&st->pending);
    sink_pending_free(&st->pending_receipts);
    free(st->shown);
    free(st);
}

static const sink_ops_t stream_ops = {
    .load_done = stream_load_done,
    .start = stream_start,
    .write = stream_write,
    .finish = stream_finish,
    .salvage = stream_salvage,
    .close = stream_close,
};

int sink_stream_open(sink_t **out, const char *path, record_format_t fmt, int append) {
    stream_t *st = calloc(1, sizeof(*st));
    if (st && path && !(st->shown = strdup(msg_quote(path)))) {
        free(st);
        st = NULL;
    }
    *out = st ? &st->sink : NULL;
    if (!st)
        return CAFE_ENOMEM;
    st->sink.ops = &stream_ops;
    st->sink.what = path ? st->shown : "standard output";
    st->path = path;
    st->fmt = fmt;
    st->append = append;
    st->lock_fd = -1;
    st->fd = -1;
    return 0;
}
