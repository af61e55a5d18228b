/* The SQLite driver. Every SQLite call runs on the thread pool (cafe_thread_run), one at a
 * time (the sink's open, then its single flusher task, then close), so a slow or full disk
 * stalls only the flusher, never the loop. WAL journal: readers (a `sqlite3` shell querying
 * the results) never block the writer. synchronous=FULL: a committed batch survives a power
 * cut too, since a commit may let `cafe queue results --drain` delete its source. */
#include "cafe.h"
#include "ascii.h"
#include "db_driver.h"
#include "msg.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

typedef struct lite {
    sqlite3 *db;
    sqlite3_stmt *ins;
    sqlite3_stmt *has; /* does the run hold a URL's row (do_insert's dropped)? */
    char *path;        /* for messages */
    char table[64];    /* the results table's name, as given */
    char qtable[68];   /* and quoted for SQL */
    int64_t run;
    int hold_fd;   /* the file again, for the run's lock (hold_run); -1: none */
    int stopping;  /* sink_db_stop: another writer's lock is waited for no more */
    int gave_up;   /* run_waiting gave up for it: the run's end is not recorded either */
    int readers;   /* the last LOCKED was readers' (locked_by), not a writer's */
    dev_t wal_dev; /* the WAL file the run began with (wal_note); wal_ino 0: none */
    ino_t wal_ino;
    int wal_gone; /* moved found it gone: what it holds is copied out (wal_save) */
} lite_t;

/* One call on the pool: the operation's inputs and its result. */
typedef struct job {
    lite_t *l;
    const char *options, *status;
    int resume;
    int check_only; /* do_open: the tables only, no run */
    int64_t resume_run;
    const sink_row_t *rows;
    size_t n;
    char **refused; /* do_insert: each row's reason when the table refused it */
    sink_db_each_cb each;
    void *arg;
    char *why;
} job_t;

/* A job's return when another writer held the file for all of the busy timeout and nothing
 * was done: run_waiting runs it again. Not a CAFE_E* code (CAFE_EBUSY is hold_run's: a run
 * written by another cafe, final). */
enum { LOCKED = 1 };

/* The bytes of the database file SQLite's unix VFS locks (os_unix.c): a writer's RESERVED
 * and PENDING bytes, and the range every reader locks in rollback-journal mode. */
#define LOCK_PENDING_BYTE 0x40000000
#define LOCK_SHARED_FIRST (LOCK_PENDING_BYTE + 2)
#define LOCK_SHARED_SIZE 510

/* The largest file SQLite writes for the database at path: itself, its WAL or journal. */
static off_t largest_file(const char *path) {
    static const char *const ends[] = {"", "-wal", "-journal"};
    char name[PATH_MAX];
    off_t most = 0;
    struct stat st;
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++)
        if ((size_t)snprintf(name, sizeof name, "%s%s", path, ends[i]) < sizeof name &&
            stat(name, &st) == 0 && st.st_size > most)
            most = st.st_size;
    return most;
}

/* The directory of path, into dir. */
static void dir_of(const char *path, char *dir, size_t cap) {
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, cap, ".");
    else
        snprintf(dir, cap, "%.*s", slash == path ? 1 : (int)(slash - path), path);
}

/* SQLite keeps its journal, WAL and shared-memory files beside the database: in a directory
 * the user may not write, a file they may write is "a readonly database", and its mode
 * looks fine. Nonzero, with dir named, when that is the cause. */
static int dir_not_writable(const char *path, char *dir, size_t cap) {
    dir_of(path, dir, cap);
    return (access(path, W_OK) == 0 || errno == ENOENT) && access(dir, W_OK) != 0 &&
           errno == EACCES;
}

/* Is a file SQLite writes for the database at path there but not writable by this user: the
 * database, or its WAL, shared-memory or journal file (another user's, left by a crash or
 * open in their `sqlite3` shell)? SQLite then opens it read-only and says "attempt to write
 * a readonly database" of a database whose own mode, and directory's, are fine. Nonzero,
 * with the file named, when one is. */
static int file_not_writable(const char *path, char *name, size_t cap) {
    static const char *const ends[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++)
        if ((size_t)snprintf(name, cap, "%s%s", path, ends[i]) < cap && access(name, W_OK) != 0 &&
            errno == EACCES)
            return 1;
    return 0;
}

/* Is the database at path, or the directory SQLite makes its WAL and shared-memory files in,
 * on a read-only file system (a ro mount, a snapshot)? SQLite then falls back to opening
 * read-only and says "unable to open database file (No such file or directory)" of a file
 * that is there (its -shm is what it could not make), or of a new one; the file alone
 * bound read-only is "attempt to write a readonly database". */
static int read_only_fs(const char *path) {
    char dir[PATH_MAX];
    struct statvfs fs;
    dir_of(path, dir, sizeof dir);
    return (statvfs(path, &fs) == 0 && (fs.f_flag & ST_RDONLY)) ||
           (statvfs(dir, &fs) == 0 && (fs.f_flag & ST_RDONLY));
}

/* Why a write SQLite calls "disk I/O error" or "database or disk is full" failed, when the
 * system's errno is lost (SQLite keeps none of a failed WAL write, and a write cut short at
 * the limit is SQLITE_FULL with no errno at all): EFBIG when a file is within SQLite's
 * largest page (64 KiB) of the file size limit (ulimit -f), ENOSPC when its file system has
 * less than that left, else 0. why gets the words the stream sink would say. */
static int write_failure(const char *path, char *why, size_t cap) {
    enum { PAGE_MAX = 65536 };
    struct rlimit rl;
    struct statvfs fs;
    off_t size = largest_file(path);
    if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (unsigned long long)size + PAGE_MAX > (unsigned long long)rl.rlim_cur) {
        snprintf(why, cap, "%s: the file size limit (ulimit -f) is %llu bytes", strerror(EFBIG),
                 (unsigned long long)rl.rlim_cur);
        return EFBIG;
    }
    char dir[PATH_MAX];
    dir_of(path, dir, sizeof dir);
    unsigned long long left = ULLONG_MAX;
    if (statvfs(dir, &fs) == 0) /* root may write into the blocks kept for it */
        left = (unsigned long long)(geteuid() == 0 ? fs.f_bfree : fs.f_bavail) * fs.f_frsize;
    if (left < PAGE_MAX) {
        snprintf(why, cap, "%s", strerror(ENOSPC));
        return ENOSPC;
    }
    return 0;
}

/* SQLite's message, for one of cafe's: a trigger's RAISE text or a constraint's name is the
 * database's own and may hold an escape sequence, so it is escaped as a server's text is.
 * Returns buf (SINK_WHY_MAX bytes). */
static const char *errmsg_shown(sqlite3 *db, char *buf) {
    return text_safe_copy(buf, SINK_WHY_MAX, sqlite3_errmsg(db));
}

/* fail's words for a directory SQLite cannot write beside the database (kind "directory"),
 * or a file of the database's it cannot write ("file"). On a pool thread: msg_quote's slots
 * are the main thread's (a message it quotes meanwhile would share them), so the name is
 * quoted into memory of this call's own. */
static void not_writable(job_t *j, const char *what, const char *kind, const char *name,
                         char *said) {
    char *quoted = msg_quote_dup(name);
    snprintf(j->why, SINK_WHY_MAX,
             "%s: %s (the %s %s is not writable: SQLite keeps its journal, WAL and "
             "shared-memory files beside the database, and writes each)",
             what, errmsg_shown(j->l->db, said), kind,
             quoted ? quoted : "(not shown: out of memory)");
    free(quoted);
}

/* "what: SQLite's message (the system's, when a system call failed)". Messages of writes
 * come under "writing PATH:" from the CLI; open adds the path itself (lite_open). A write
 * that failed for want of room says so first, as the stream sink does: "what: File too
 * large: the file size limit (ulimit -f) is N bytes (SQLite: disk I/O error)". */
static int fail(job_t *j, const char *what) {
    sqlite3 *db = j->l->db;
    int sys = db ? sqlite3_system_errno(db) : 0;
    int code = db ? sqlite3_extended_errcode(db) : SQLITE_NOMEM;
    char room[160], dir[PATH_MAX], said[SINK_WHY_MAX];
    if ((code == SQLITE_FULL || (code & 0xff) == SQLITE_IOERR) &&
        write_failure(j->l->path, room, sizeof room) != 0)
        snprintf(j->why, SINK_WHY_MAX, "%s: %s (SQLite: %s)", what, room, errmsg_shown(db, said));
    else if (((code & 0xff) == SQLITE_READONLY || (code & 0xff) == SQLITE_CANTOPEN) &&
             read_only_fs(j->l->path))
        snprintf(j->why, SINK_WHY_MAX, "%s: %s (SQLite: %s)", what, strerror(EROFS),
                 errmsg_shown(db, said));
    else if (((code & 0xff) == SQLITE_READONLY || (code & 0xff) == SQLITE_CANTOPEN) &&
             dir_not_writable(j->l->path, dir, sizeof dir))
        not_writable(j, what, "directory", dir, said);
    else if ((code & 0xff) == SQLITE_READONLY && file_not_writable(j->l->path, dir, sizeof dir))
        not_writable(j, what, "file", dir, said);
    else
        snprintf(j->why, SINK_WHY_MAX, sys ? "%s: %s (%s)" : "%s: %s", what,
                 db ? errmsg_shown(db, said) : "out of memory", sys ? strerror(sys) : "");
    return code == SQLITE_NOMEM ? CAFE_ENOMEM : CAFE_EIO;
}

static int exec(job_t *j, const char *sql, const char *what) {
    return sqlite3_exec(j->l->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : fail(j, what);
}

/* Runs a statement with text parameters; *id receives column 0 of its first row (if any). */
static int run_stmt(job_t *j, const char *sql, const char *const *params, int n, int64_t *id,
                    const char *what) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(j->l->db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(j, what);
    for (int i = 0; i < n; i++)
        sqlite3_bind_text(st, i + 1, params[i], -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (id && sqlite3_column_type(st, 0) != SQLITE_NULL)
            *id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail(j, what);
}

/* The columns check_table read (PRAGMA table_xinfo): as many as the table has (SQLite
 * allows 2000), grown as read. */
typedef struct columns {
    char **names, **types;
    unsigned *flags;
    size_t n, cap;
} columns_t;

/* Room for one more column in c; CAFE_ENOMEM. */
static int columns_grow(columns_t *c) {
    if (c->n < c->cap)
        return 0;
    size_t cap = c->cap ? 2 * c->cap : 32;
    char **names = realloc(c->names, cap * sizeof(*names));
    if (names)
        c->names = names;
    char **types = names ? realloc(c->types, cap * sizeof(*types)) : NULL;
    if (types)
        c->types = types;
    unsigned *flags = types ? realloc(c->flags, cap * sizeof(*flags)) : NULL;
    if (!flags)
        return CAFE_ENOMEM;
    c->flags = flags;
    c->cap = cap;
    return 0;
}

static void columns_free(columns_t *c) {
    for (size_t i = 0; i < c->n; i++) {
        free(c->names[i]);
        free(c->types[i]);
    }
    free(c->names);
    free(c->types);
    free(c->flags);
}

/* Refuses table (qtable: quoted) unless it has the columns want[0..n) (extra ones are the
 * user's). Its generated columns too (table_xinfo; table_info leaves them out): one of
 * cafe's made generated was said to be missing, with "add it: ALTER TABLE ... ADD COLUMN",
 * which SQLite refuses as a duplicate; one of the user's NOT NULL is filled. Every column:
 * only the first 64 were read, and a table of more (cafe's columns after 64 of the user's)
 * was refused as missing them, "add it", or one of the user's past 64, NOT NULL without a
 * default, was not seen, and failed every batch once fetched. */
static int check_table(job_t *j, const char *table, const char *qtable, const sink_column_t *want,
                       size_t nwant) {
    char sql[128], why[SINK_WHY_MAX] = "";
    snprintf(sql, sizeof sql, "PRAGMA table_xinfo(%s)", qtable);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(j->l->db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(j, "reading the table's columns");
    columns_t c = {0};
    size_t keys = 0, rowid = 0;
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW && (rc = columns_grow(&c)) == 0) {
        const char *name = (const char *)sqlite3_column_text(st, 1); /* NULL: out of memory */
        const char *type = (const char *)sqlite3_column_text(st, 2); /* NULL: untyped */
        size_t n = c.n++;
        c.names[n] = name ? strdup(name) : NULL;
        c.types[n] = strdup(type ? type : "");
        rc = c.names[n] && c.types[n] ? 0 : CAFE_ENOMEM;
        int generated = sqlite3_column_int(st, 6) >= 2; /* hidden: 2 virtual, 3 stored */
        c.flags[n] =
            (sqlite3_column_int(st, 3) ? SINK_COLUMN_NOT_NULL : 0) |
            (sqlite3_column_type(st, 4) != SQLITE_NULL || generated ? SINK_COLUMN_FILLED : 0) |
            (generated ? SINK_COLUMN_GENERATED : 0);
        if (sqlite3_column_int(st, 5) > 0 && keys++ == 0)
            rowid = n;
    }
    sqlite3_finalize(st);
    /* an INTEGER PRIMARY KEY alone is the rowid, filled when not given */
    if (rc == 0 && keys == 1 && ascii_casecmp(c.types[rowid], "INTEGER") == 0)
        c.flags[rowid] |= SINK_COLUMN_FILLED;
    if (rc == 0)
        rc = sink_columns_check(table, want, nwant, (const char *const *)c.names,
                                (const char *const *)c.types, c.flags, c.n, 0, why);
    columns_free(&c);
    if (rc != 0)
        memcpy(j->why, why, SINK_WHY_MAX);
    return rc;
}

/* The collation of url in a unique index on (run_id, url) of the results table other than
 * BINARY, into coll (64 bytes), or "": the key's own, which its index may say apart from the
 * column's (PRIMARY KEY (run_id, url COLLATE NOCASE)). 0, or an error of SQLite's. */
static int key_collation(job_t *j, char *coll) {
    static const char sql[] =
        "SELECT x.coll FROM pragma_index_list(?1) l JOIN pragma_index_xinfo(l.name) x WHERE "
        "l.\"unique\" AND x.key AND x.name = 'url' AND x.coll <> 'BINARY' COLLATE NOCASE AND "
        "(SELECT count(*) FROM pragma_index_xinfo(l.name) y WHERE y.key) = 2 AND EXISTS "
        "(SELECT 1 FROM pragma_index_xinfo(l.name) z WHERE z.key AND z.name = 'run_id')";
    sqlite3_stmt *st;
    coll[0] = '\0';
    if (sqlite3_prepare_v2(j->l->db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(j, "reading the table's key");
    sqlite3_bind_text(st, 1, j->l->table, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    const char *got = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    if (got)
        snprintf(coll, 64, "%s", got);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(j, "reading the table's key");
}

/* The results table's url must compare exactly (BINARY, SQLite's default): the key on (run_id,
 * url) takes the column's collation, and one of the user's (COLLATE NOCASE) made
 * http://h/Page and http://h/page one row: the second page's record was dropped by ON
 * CONFLICT, found "there" by dropped()'s own url = ?, and counted as written, the run ending
 * done without it. So does the key's index of another collation than its column's
 * (key_collation): the record was named as dropped by a trigger, the run failed, and every
 * --resume again. Refused, naming the collation; 0, or CAFE_EINVAL with why. */
static int check_exact(job_t *j) {
    const char *coll = NULL;
    char key[64] = "";
    int rc;
    /* none asked of a view (SQLite answers no column): prepare_insert refuses it, saying why */
    if (sqlite3_table_column_metadata(j->l->db, "main", j->l->table, "url", NULL, &coll, NULL, NULL,
                                      NULL) != SQLITE_OK)
        return 0;
    if (coll && ascii_casecmp(coll, "BINARY") != 0)
        snprintf(key, sizeof key, "%s", coll);
    else if ((rc = key_collation(j, key)) != 0)
        return rc;
    if (!key[0])
        return 0;
    snprintf(j->why, SINK_WHY_MAX,
             "table %s: url has COLLATE %s%s: cafe's key needs URLs compared exactly (BINARY), "
             "or pages whose URLs differ in case only are one row, a record lost (never altered)",
             j->l->table, key, coll && ascii_casecmp(coll, key) == 0 ? "" : " in its key");
    return CAFE_EINVAL;
}

/* The runs table's run_id must be its rowid (INTEGER PRIMARY KEY alone), which SQLite fills
 * when cafe's INSERT leaves it out. An INTEGER PRIMARY KEY DESC is not (SQLite's quirk: an
 * index of its own, the column NULL when not given), nor is a run_id without a key: each
 * run's id was NULL, its rows written under the rowid, its end never recorded (no row has
 * that run_id), and --resume found no run to continue and fetched everything again, every
 * run exiting 0. A table WITHOUT ROWID failed each start ("NOT NULL constraint failed").
 * Refused, saying why; 0, or CAFE_EINVAL with why. */
static int check_rowid(job_t *j) {
    int64_t rowid = 0;
    int rc = run_stmt(j,
                      "SELECT (SELECT count(*) FROM pragma_table_info('runs') WHERE pk > 0) = 1 "
                      "AND EXISTS (SELECT 1 FROM pragma_table_info('runs') WHERE name = 'run_id' "
                      "AND pk = 1) AND NOT EXISTS (SELECT 1 FROM pragma_index_list('runs') WHERE "
                      "origin = 'pk')",
                      NULL, 0, &rowid, "reading the runs table's key");
    if (rc != 0 || rowid)
        return rc;
    snprintf(j->why, SINK_WHY_MAX,
             "table runs: run_id is not its rowid, which gives each run its id: declare it "
             "run_id INTEGER PRIMARY KEY (not DESC, alone, in a table with a rowid) (never "
             "altered)");
    return CAFE_EINVAL;
}

static const char runs_sql[] = "CREATE TABLE IF NOT EXISTS runs (run_id INTEGER PRIMARY KEY, "
                               "table_name TEXT NOT NULL, started_at TEXT NOT NULL, "
                               "ended_at TEXT, status TEXT NOT NULL, options TEXT)";
/* resume_id: a key, as runs has (a table without one has no replica identity, and tools
 * cannot name a row); not among the columns checked, so that a run_resumes table made
 * before it, without one, is still written (the INSERT leaves it to the table). */
static const char resumes_sql[] =
    "CREATE TABLE IF NOT EXISTS run_resumes (resume_id INTEGER PRIMARY KEY, run_id INTEGER NOT "
    "NULL, resumed_at TEXT NOT NULL, options TEXT)";
#define NOW "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

/* Takes the run for this process: an open file description lock (F_OFD_SETLK) on one byte
 * of the file at 2^62 + its id, far past the bytes SQLite locks, released when the process
 * ends however it ends (a descriptor of its own: closing SQLite's cannot drop it, as it
 * would a POSIX lock). Two --resume at once (a cron job overlapping its last run) both
 * continued the latest run, fetching every URL left twice, the first to end marking it done
 * while the other wrote: the second is refused. CAFE_EBUSY when another process holds it;
 * a file that cannot be locked (no OFD locks) is written unheld, as before. */
static int hold_run(job_t *j) {
    lite_t *l = j->l;
    if (l->hold_fd < 0)
        l->hold_fd = open(l->path, O_RDWR | O_CLOEXEC);
    struct flock fl = {.l_type = F_WRLCK,
                       .l_whence = SEEK_SET,
                       .l_start = ((off_t)1 << 62) + (off_t)l->run,
                       .l_len = 1};
    if (l->hold_fd < 0 || fcntl(l->hold_fd, F_OFD_SETLK, &fl) == 0 ||
        (errno != EAGAIN && errno != EACCES))
        return 0;
    snprintf(j->why, SINK_WHY_MAX,
             "run %lld of table %s is being written by another cafe: not writing it twice at "
             "once",
             (long long)l->run, l->table);
    return CAFE_EBUSY;
}

static int begin_run_new(job_t *j, const char *const *p) {
    int rc = run_stmt(j,
                      "INSERT INTO runs (table_name, started_at, status, options) "
                      "VALUES (?, " NOW ", 'running', ?)",
                      p, 2, NULL, "starting the run");
    j->l->run = sqlite3_last_insert_rowid(j->l->db);
    return rc ? rc : hold_run(j); /* a --resume begun meanwhile must not take it */
}

/* The run to continue into j->l->run: the one asked for if the table has it, else the
 * table's latest of cafe titles; 0 when there is none. The name in any case, as SQLite
 * names tables: ?table=Titles then --resume ?table=titles wrote the same table, yet found no
 * run of it, and fetched every URL again in a new run. */
static int find_run(job_t *j) {
    char want[24];
    snprintf(want, sizeof want, "%lld", (long long)j->resume_run);
    const char *p[] = {j->l->table, want};
    return run_stmt(j,
                    j->resume_run
                        ? "SELECT run_id FROM runs WHERE table_name = ? COLLATE NOCASE AND "
                          "run_id = ?"
                        : "SELECT max(run_id) FROM runs WHERE table_name = ? COLLATE NOCASE "
                          "AND " SINK_TITLES_RUNS,
                    p, j->resume_run ? 2 : 1, &j->l->run, "finding the run to resume");
}

/* fail(j, what) for the run's end; when the table refused the statement (a trigger's
 * RAISE, a CHECK), its message then names the triggers on runs. */
static int end_failed(job_t *j, const char *what) {
    int refused = sqlite3_errcode(j->l->db) == SQLITE_CONSTRAINT;
    int rc = fail(j, what); /* the statement's own error, before another statement's */
    sqlite3_stmt *st = NULL;
    if (refused &&
        sqlite3_prepare_v2(j->l->db,
                           "SELECT group_concat(name, ', ') FROM sqlite_master WHERE "
                           "type = 'trigger' AND tbl_name = 'runs'",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
        size_t n = strlen(j->why);
        snprintf(j->why + n, SINK_WHY_MAX - n, " (runs refused it; its triggers: %.120s)",
                 (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return rc;
}

/* The run's end, as one that goes well ends it (do_end), tried in the transaction that
 * begins the run and undone: a trigger (or a CHECK) on runs that refuses it was met only
 * once every URL had been fetched. One that refuses only what the start cannot show (rows,
 * another status) is still met at the end, where the rows committed stay. */
/* The statement that ends the run with status: sqlite3_step's result (SQLITE_DONE: ended),
 * or SQLITE_ERROR when it could not be prepared. */
static int end_step(job_t *j, const char *status) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(j->l->db,
                           "UPDATE runs SET ended_at = " NOW ", status = ? WHERE run_id = ?", -1,
                           &st, NULL) != SQLITE_OK)
        return SQLITE_ERROR;
    sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, j->l->run);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc;
}

static int try_end(job_t *j) {
    int rc = exec(j, "SAVEPOINT cafe_end", "trying the run's end at its start");
    if (rc != 0)
        return rc;
    if (end_step(j, "done") != SQLITE_DONE)
        rc = end_failed(j, "ending the run, as tried at its start");
    if (sqlite3_exec(j->l->db, "ROLLBACK TO cafe_end; RELEASE cafe_end", NULL, NULL, NULL) !=
            SQLITE_OK &&
        rc == 0)
        rc = fail(j, "undoing the run's end tried at its start");
    return rc;
}

/* A new run, or with --resume the one find_run finds (a first --resume starts one). */
static int begin_run(job_t *j) {
    const char *p[] = {j->l->table, j->options ? j->options : ""};
    j->l->run = 0;
    if (j->resume) {
        int rc = find_run(j);
        if (rc != 0 || !j->l->run)
            return rc ? rc : begin_run_new(j, p);
        if ((rc = hold_run(j)) != 0)
            return rc;
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long)j->l->run);
        const char *q[] = {id, p[1]};
        rc = run_stmt(j, "UPDATE runs SET ended_at = NULL, status = 'running' WHERE run_id = ?", q,
                      1, NULL, "resuming the run");
        return rc ? rc
                  : run_stmt(j,
                             "INSERT INTO run_resumes (run_id, resumed_at, options) "
                             "VALUES (?, " NOW ", ?)",
                             q, 2, NULL, "resuming the run");
    }
    return begin_run_new(j, p);
}

/* Before the connection closes: sqlite3_close refuses (SQLITE_BUSY) while a statement is
 * left, and the connection, its cache and all, then stays allocated for ever. */
static void finalize_statements(lite_t *l) {
    sqlite3_finalize(l->ins);
    sqlite3_finalize(l->has);
    l->ins = l->has = NULL;
}

static int prepare_insert(job_t *j) {
    char *sql = sink_insert_sql(j->l->qtable, 0, "(run_id, url)");
    if (!sql)
        return CAFE_ENOMEM;
    int rc = sqlite3_prepare_v3(j->l->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &j->l->ins, NULL);
    free(sql);
    if (rc != SQLITE_OK)
        return fail(j, "the table needs a unique key on (run_id, url)");
    char has[128];
    snprintf(has, sizeof has, "SELECT 1 FROM %s WHERE run_id = ? AND url = ?", j->l->qtable);
    rc = sqlite3_prepare_v3(j->l->db, has, -1, SQLITE_PREPARE_PERSISTENT, &j->l->has, NULL);
    return rc == SQLITE_OK ? 0 : fail(j, "preparing");
}

/* The database header's application_id of a database cafe made ("cafe" in ASCII), as
 * `file` and other tools read it: set when cafe creates the tables. */
#define CAFE_SQLITE_APP_ID 0x63616665
#define CAFE_SQLITE_APP_ID_SQL "PRAGMA application_id = 1667327589"

/* Is the database cafe's to write? Its application_id says so, cafe's or another program's.
 * Without one (0): a database with no tables is new, one with the results table or a runs
 * table is cafe's from before the id (or meets the column checks that refuse it); any other
 * holds another program's tables, where cafe's do not belong (-o app.db meant for another
 * file). *mark: the id is to be set. 0, or CAFE_EINVAL with why. */
static int check_owner(job_t *j, int *mark) {
    int64_t id = 0, tables = 0, known = 0;
    const char *p[] = {j->l->table};
    int rc = run_stmt(j, "PRAGMA application_id", NULL, 0, &id, "reading the database's id");
    if (rc == 0 && id == 0)
        rc = run_stmt(j,
                      "SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view') AND "
                      "name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
                      NULL, 0, &tables, "reading the database's tables");
    if (rc == 0 && id == 0 && tables > 0)
        rc = run_stmt(j,
                      "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                      "(name = 'runs' OR name = ?)",
                      p, 1, &known, "reading the database's tables");
    if (rc != 0)
        return rc;
    *mark = id == 0;
    if (id == CAFE_SQLITE_APP_ID || (id == 0 && (tables == 0 || known > 0)))
        return 0;
    if (id != 0)
        snprintf(j->why, SINK_WHY_MAX,
                 "is another program's database (its application_id is %lld, not cafe's "
                 "%d): not writing cafe's tables into it",
                 (long long)id, CAFE_SQLITE_APP_ID);
    else
        snprintf(j->why, SINK_WHY_MAX,
                 "holds %lld table%s of another program's and none of cafe's (no runs table, "
                 "no table %s): not writing cafe's tables into it (give a new file, or "
                 "?table= naming the results table of a cafe database)",
                 (long long)tables, tables == 1 ? "" : "s", j->l->table);
    return CAFE_EINVAL;
}

/* Creates the missing tables and checks the existing ones, in one transaction: a database
 * refused (another program's, a table of other columns, no key) is left as it was. */
static int make_tables(job_t *j) {
    char *create = sink_create_sql(j->l->qtable, 0, "PRIMARY KEY (run_id, url)");
    int mark = 0;
    if (!create)
        return CAFE_ENOMEM;
    int rc = exec(j, "BEGIN IMMEDIATE", "cannot write");
    if (rc == 0)
        rc = check_owner(j, &mark);
    if (rc == 0)
        rc = exec(j, create, "creating the table");
    if (rc == 0)
        rc = exec(j, runs_sql, "creating the runs table");
    if (rc == 0)
        rc = exec(j, resumes_sql, "creating the run_resumes table");
    if (rc == 0)
        rc = check_table(j, j->l->table, j->l->qtable, sink_columns, sink_ncolumns);
    if (rc == 0)
        rc = check_exact(j);
    if (rc == 0) /* a runs table of the user's own is refused too, not met by an INSERT */
        rc = check_table(j, "runs", "runs", sink_run_columns, SINK_NRUN_COLUMNS);
    if (rc == 0)
        rc = check_rowid(j);
    if (rc == 0)
        rc =
            check_table(j, "run_resumes", "run_resumes", sink_resume_columns, SINK_NRESUME_COLUMNS);
    if (rc == 0) /* a table without the key is refused now, not after fetching */
        rc = prepare_insert(j);
    if (rc == 0 && mark) /* new, or cafe's from before the id */
        rc = exec(j, CAFE_SQLITE_APP_ID_SQL, "marking the database as cafe's");
    if (rc == 0)
        rc = exec(j, "COMMIT", "cannot write");
    else if (!sqlite3_get_autocommit(j->l->db)) /* refused: left as it was */
        (void)sqlite3_exec(j->l->db, "ROLLBACK", NULL, NULL, NULL);
    free(create);
    return rc;
}

/* The database's WAL file at path, as stat gives it into st: 0, or -1 when it is not there. */
static int wal_stat(const char *path, struct stat *st) {
    char wal[PATH_MAX];
    return (size_t)snprintf(wal, sizeof wal, "%s-wal", path) < sizeof wal ? stat(wal, st) : -1;
}

/* Notes the WAL file the run writes (once it began: its transaction made it), for
 * wal_moved. None there (a file system where SQLite could not switch to WAL): none noted. */
static void wal_note(lite_t *l) {
    struct stat st;
    if (wal_stat(l->path, &st) == 0) {
        l->wal_dev = st.st_dev;
        l->wal_ino = st.st_ino;
    }
}

/* Is the WAL file the run began with gone from its path, or another there? SQLite keeps it
 * while a connection is open (a checkpoint rewinds it, never deletes it). */
static int wal_moved(const lite_t *l) {
    struct stat st;
    return l->wal_ino &&
           (wal_stat(l->path, &st) != 0 || st.st_ino != l->wal_ino || st.st_dev != l->wal_dev);
}

/* Is a lock of another process on bytes [start, start + len) of the file fd? F_GETLK, which
 * sees other processes' locks only: this process's own SQLite does not count. */
static int lock_there(int fd, off_t start, off_t len) {
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
}

/* LOCKED, noting who holds the database (l->readers) for run_waiting's words: a reader (a
 * `sqlite3` shell in a read transaction) of a database in rollback-journal mode keeps a
 * writer from committing, and from switching the file to WAL, as long as it reads; it was
 * said to be "another writer". Readers: the file is in rollback-journal mode (its header's
 * format bytes are not WAL's 2), another process locks its readers' range and none its
 * writer's bytes. In WAL mode readers never hold a writer up. Looked at through hold_fd, or
 * a descriptor of its own only while SQLite has the file closed (do_open's retry): closing
 * one would drop this process's SQLite locks on it. */
static int locked_by(lite_t *l) {
    unsigned char format[2] = {0, 0};
    int fd = l->hold_fd >= 0 ? l->hold_fd : l->db ? -1 : open(l->path, O_RDONLY | O_CLOEXEC);
    l->readers = fd >= 0 && pread(fd, format, 2, 18) == 2 && format[0] != 2 &&
                 !lock_there(fd, LOCK_PENDING_BYTE, 2) &&
                 lock_there(fd, LOCK_SHARED_FIRST, LOCK_SHARED_SIZE);
    if (fd >= 0 && fd != l->hold_fd)
        (void)close(fd);
    return LOCKED;
}

static int do_open(void *arg) {
    job_t *j = arg;
    lite_t *l = j->l;
    /* NOMUTEX: one connection, used by one pool thread at a time (the calls are serialised,
     * see the top), so SQLite's own locking of it would only cost. */
    if (sqlite3_open_v2(l->path, &l->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK)
        return fail(j, "cannot open");
    sqlite3_busy_timeout(l->db, 10000); /* another process holding the write lock briefly */
    int rc = exec(j, "PRAGMA synchronous=FULL; PRAGMA cache_size=-65536", "opening");
    if (rc == 0)
        rc = make_tables(j);
    /* WAL (it stays with the file) once the file is known to be ours to write, and before
     * the run begins: a switch that fails leaves no run behind. */
    if (rc == 0)
        rc = exec(j, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=8192", "setting WAL mode");
    if (rc == 0 && !j->check_only) {
        rc = exec(j, "BEGIN IMMEDIATE", "cannot write");
        if (rc == 0)
            rc = begin_run(j);
        if (rc == 0)
            rc = try_end(j);
        if (rc == 0)
            rc = exec(j, "COMMIT", "cannot write");
        if (rc == 0)
            wal_note(l);
    }
    /* Another writer kept the lock for all of the busy timeout: closed, to begin again. */
    if (rc != 0 && sqlite3_errcode(l->db) == SQLITE_BUSY) {
        if (!sqlite3_get_autocommit(l->db))
            (void)sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
        finalize_statements(l);
        sqlite3_close(l->db);
        l->db = NULL;
        return locked_by(l);
    }
    return rc;
}

/* Numbers bound as integers (stored typed, no conversion), text as it is: the row outlives
 * the step, so SQLite need not copy it. */
static void bind_field(sqlite3_stmt *st, const sink_row_t *r, int64_t run, size_t c) {
    int i = (int)c + 1;
    int64_t v;
    const char *t;
    if (sink_column_is_number(c) && sink_row_number(r, run, c, &v))
        sqlite3_bind_int64(st, i, v);
    else if (!sink_column_is_number(c) && (t = sink_row_text(r, c)))
        sqlite3_bind_text(st, i, t, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* The database's file deleted or renamed under the run (a cleanup's rm, a rotation): SQLite
 * commits on into the file it has open, whose rows no name leads to (deleted: gone at the
 * exit, with status 0). So with its WAL file alone deleted (`rm *-wal`, taken for litter):
 * every commit went on into the unlinked WAL, the only copy of each batch until a
 * checkpoint; a crash or a kill lost them all, counted as written (a drain had deleted them
 * from Redis). Asked before each commit, so that none goes there: CAFE_EIO with why set, the
 * batch not committed (--resume fetches it for the file at the path). */
static int moved(job_t *j) {
    int has_moved = 0;
    if (sqlite3_file_control(j->l->db, "main", SQLITE_FCNTL_HAS_MOVED, &has_moved) != SQLITE_OK)
        has_moved = 0;
    if (has_moved)
        snprintf(j->why, SINK_WHY_MAX,
                 "committing: the database was deleted or renamed under the run (its path leads "
                 "to no file, or another): stopping; --resume writes the rest to the file at the "
                 "path");
    else if ((j->l->wal_gone = wal_moved(j->l)) != 0)
        snprintf(j->why, SINK_WHY_MAX,
                 "committing: the database's WAL file (its -wal) was deleted or replaced under "
                 "the run, the only copy of what was committed since SQLite last copied it into "
                 "the database: stopping, not committing into it; --resume writes the rest");
    else
        return 0;
    return CAFE_EIO;
}

/* After moved found the WAL gone, its transaction rolled back: what was committed into it is
 * copied into the database from SQLite's open descriptor (a checkpoint), where it outlives
 * the run. Closing did so only as the file's last connection: with another open (a reader's
 * shell, a dashboard), the rows stayed in the unlinked WAL and went with cafe's exit, the
 * file left unreadable ("disk I/O error"). A failure is added to why. */
static void wal_save(job_t *j) {
    if (sqlite3_wal_checkpoint_v2(j->l->db, "main", SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) ==
        SQLITE_OK)
        return;
    char said[SINK_WHY_MAX];
    size_t n = strlen(j->why);
    snprintf(j->why + n, SINK_WHY_MAX - n,
             " (copying what it holds into the database failed: %s: the rows committed since "
             "the last checkpoint may be lost)",
             errmsg_shown(j->l->db, said));
}

/* Row r inserted nothing (SQLITE_DONE, no change): its URL already there in the run (given
 * twice: the key keeps one row), or dropped by a trigger of the table (RAISE(IGNORE)), which
 * counted as written, the run ending done without it. Dropped: refused[r] says so. 0, or a
 * negative code (fail's). */
static int dropped(job_t *j, size_t r) {
    lite_t *l = j->l;
    sqlite3_reset(l->has);
    sqlite3_bind_int64(l->has, 1, l->run);
    sqlite3_bind_text(l->has, 2, j->rows[r].url, -1, SQLITE_STATIC);
    int step = sqlite3_step(l->has);
    sqlite3_reset(l->has);
    if (step == SQLITE_ROW)
        return 0;
    if (step != SQLITE_DONE)
        return fail(j, "writing");
    j->refused[r] = strdup("dropped by a trigger of the table (RAISE(IGNORE))");
    return j->refused[r] ? 0 : CAFE_ENOMEM;
}

static int do_insert(void *arg) {
    job_t *j = arg;
    lite_t *l = j->l;
    /* Another writer kept the lock for all of the busy timeout: nothing begun, try again. */
    int begun = sqlite3_exec(l->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (begun == SQLITE_BUSY)
        return locked_by(l);
    int rc = begun == SQLITE_OK ? 0 : fail(j, "writing");
    for (size_t r = 0; rc == 0 && r < j->n; r++) {
        sqlite3_reset(l->ins);
        for (size_t c = 0; c < sink_ncolumns; c++)
            bind_field(l->ins, &j->rows[r], l->run, c);
        if (sqlite3_step(l->ins) == SQLITE_DONE) {
            rc = sqlite3_changes(l->db) == 0 ? dropped(j, r) : 0;
            continue;
        }
        /* A row the table refuses (a CHECK or a trigger of the user's) undoes itself alone
         * (ABORT); the transaction goes on without it, unless it was rolled back whole. */
        int code = sqlite3_errcode(l->db);
        if ((code == SQLITE_CONSTRAINT || code == SQLITE_TOOBIG || code == SQLITE_MISMATCH) &&
            !sqlite3_get_autocommit(l->db)) {
            char said[SINK_WHY_MAX];
            rc = (j->refused[r] = strdup(errmsg_shown(l->db, said))) ? 0 : CAFE_ENOMEM;
            continue;
        }
        rc = fail(j, "writing");
    }
    sqlite3_reset(l->ins);
    if (rc == 0)
        rc = moved(j);
    if (rc == 0)
        rc = exec(j, "COMMIT", "committing");
    if (rc != 0 && !sqlite3_get_autocommit(l->db))
        (void)sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
    if (l->wal_gone)
        wal_save(j);
    return rc;
}

static int do_load(void *arg) {
    job_t *j = arg;
    sqlite3_stmt *st;
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT url, status, error FROM %s WHERE run_id = ?", j->l->qtable);
    if (sqlite3_prepare_v2(j->l->db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(j, "reading the run's URLs");
    sqlite3_bind_int64(st, 1, j->l->run);
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW)
        rc = j->each(j->arg, (const char *)sqlite3_column_text(st, 0),
                     (size_t)sqlite3_column_bytes(st, 0), (long)sqlite3_column_int64(st, 1),
                     (const char *)sqlite3_column_text(st, 2));
    sqlite3_finalize(st);
    return rc != 0 ? rc : step == SQLITE_DONE ? 0 : fail(j, "reading the run's URLs");
}

static int do_end(void *arg) {
    job_t *j = arg;
    int rc = end_step(j, j->status);
    return rc == SQLITE_DONE   ? 0
           : rc == SQLITE_BUSY ? locked_by(j->l)
                               : end_failed(j, "ending the run");
}

static int do_close(void *arg) {
    lite_t *l = arg;
    finalize_statements(l);
    sqlite3_close(l->db);
    if (l->hold_fd >= 0)
        (void)close(l->hold_fd); /* after SQLite's own: the run is done with */
    free(l->path);
    free(l);
    return 0;
}

/* Who holds the database, as run_waiting and gave_up say it (locked_by). */
static const char *holder(const lite_t *l) {
    return l->readers ? "locked by another connection reading it (a database in rollback-journal "
                        "mode, whose readers hold a writer up until they end)"
                      : "locked by another writer";
}

/* A stop (sink_db_stop) found the database still locked by another writer after a busy
 * timeout: the stop waits no longer (a shell's open transaction may hold the file for
 * hours, and only a second signal ended cafe, with no word of what was lost). CAFE_ETIMEDOUT;
 * the run's end is not recorded either (lite_end): it is left running, as a killed run's. */
static int gave_up(lite_t *l, char *why) {
    l->gave_up = 1;
    snprintf(why, SINK_WHY_MAX,
             "stopped while the database is %s: not waiting for it; the records not committed "
             "are not written",
             holder(l));
    return CAFE_ETIMEDOUT;
}

/* A database another program keeps writing (a CREATE INDEX on the results, a shell's open
 * transaction) is waited for, as PostgreSQL's sink waits for a locked table: the batches
 * fill and fetching waits, rather than the run failing after one busy timeout. */
static int run_waiting(int (*job)(void *), job_t *j) {
    int rc, said = 0;
    while ((rc = cafe_thread_run(job, j)) == LOCKED) {
        if (j->l->stopping)
            return gave_up(j->l, j->why);
        if (!said++) {
            msg_progress_clear();
            fprintf(stderr, "%s: %s: the database is %s; waiting\n", msg_prog(),
                    msg_quote(j->l->path), holder(j->l));
        }
    }
    return rc;
}

/* A database is a regular file. SQLite opens what it is given: a FIFO or a device failed
 * with "disk I/O error (Illegal seek)", a directory with "unable to open database file", and
 * beside /dev/null it made /dev/null-journal (as root, in /dev). Anything else that is
 * there (links followed) is refused, said for what it is, before SQLite opens it. */
static int regular_or_none(const char *path, char *why) {
    struct stat st;
    if (stat(path, &st) != 0 || S_ISREG(st.st_mode))
        return 0; /* not there: SQLite makes it, or says why it cannot */
    const char *what = S_ISDIR(st.st_mode)    ? "a directory"
                       : S_ISFIFO(st.st_mode) ? "a FIFO"
                       : S_ISCHR(st.st_mode)  ? "a character device"
                       : S_ISBLK(st.st_mode)  ? "a block device"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                                              : "not a file";
    snprintf(why, SINK_WHY_MAX, "%s: is %s, not a regular file: an SQLite database is one",
             msg_quote(path), what);
    return CAFE_EINVAL;
}

/* PATH as the name of a file, malloc'd. SQLite reads some names as no file: ":memory:" is a
 * database in memory (the run wrote its records there and exited 0: all lost), and, in
 * Debian's build (SQLITE_USE_URI), "file:x.db" a URI, x.db written while cafe's own checks,
 * its lock of the run among them, went to a file "file:x.db" that was never made. "./" in
 * front makes each the file it names. */
static char *file_name(const char *path) {
    if (strcmp(path, ":memory:") != 0 && strncmp(path, "file:", 5) != 0)
        return strdup(path);
    size_t n = strlen(path) + 3;
    char *name = malloc(n);
    if (name)
        snprintf(name, n, "./%s", path);
    return name;
}

static int lite_open(void **impl, const sink_target_t *t, const sink_db_conf_t *conf, int64_t *run,
                     char *why) {
    lite_t *l = calloc(1, sizeof(*l));
    if (!l)
        return CAFE_ENOMEM;
    l->hold_fd = -1;
    snprintf(l->table, sizeof l->table, "%s", t->table);
    snprintf(l->qtable, sizeof l->qtable, "\"%s\"", t->table);
    *impl = l;
    if (!(l->path = file_name(t->where)))
        return CAFE_ENOMEM;
    int refused = regular_or_none(l->path, why);
    if (refused)
        return refused;
    job_t j = {.l = l,
               .options = conf->options,
               .resume = conf->resume,
               .resume_run = conf->run,
               .check_only = conf->check_only,
               .why = why};
    int rc = run_waiting(do_open, &j); /* a writer holding the file is waited for */
    if (rc != 0 && why[0])
        sink_why_prefix(why, msg_quote(l->path));
    *run = l->run;
    return rc;
}

static int lite_load(void *impl, sink_db_each_cb each, void *arg, char *why) {
    job_t j = {.l = impl, .each = each, .arg = arg, .why = why};
    return cafe_thread_run(do_load, &j);
}

static int lite_insert(void *impl, const sink_row_t *rows, size_t n, char **refused, char *why) {
    job_t j = {.l = impl, .rows = rows, .n = n, .refused = refused, .why = why};
    int rc = run_waiting(do_insert, &j);
    for (size_t i = 0; rc != 0 && i < n; i++) { /* rolled back: none refused, none stored */
        free(refused[i]);
        refused[i] = NULL;
    }
    return rc;
}

static int lite_end(void *impl, const char *status, char *why) {
    job_t j = {.l = impl, .status = status, .why = why};
    if (j.l->gave_up) /* the lock is another writer's still: a try would wait for it again */
        return CAFE_ETIMEDOUT;
    if (j.l->wal_gone) /* its commit would go into the deleted WAL, read by no one after */
        return CAFE_EIO;
    /* after a failure, as PostgreSQL's: recorded if it can be at once, not waited for */
    if (strcmp(status, "failed") != 0)
        return run_waiting(do_end, &j);
    int rc = cafe_thread_run(do_end, &j);
    return rc == LOCKED ? CAFE_EBUSY : rc;
}

static void lite_stop(void *impl) {
    ((lite_t *)impl)->stopping = 1;
}

static void lite_close(void *impl) {
    cafe_thread_run(do_close, impl);
}

/* 16000 rows a batch: each commit writes every page it changed to the WAL, and the key's
 * index takes URLs in no order, so a batch changes about one index page per row until it
 * outgrows the index; larger batches write each page for more rows (a 500,000-row table:
 * half the system time, 1.5x the rows/s of 4000-row batches). Group commit keeps batches
 * small while the disk keeps up; they grow to this only when it does not. */
const sink_driver_t sink_sqlite_driver = {.open = lite_open,
                                          .load_done = lite_load,
                                          .insert = lite_insert,
                                          .end_run = lite_end,
                                          .close = lite_close,
                                          .batch_rows = 16000,
                                          .stop = lite_stop};
