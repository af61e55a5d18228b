"""`cafe titles -o results.sqlite` / `--db sqlite:PATH` end to end, with real files, run by
test_sqlite.sh."""
import json
import os
import select
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ["CAFE_SOURCE_DIR"], "tests", "util"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.environ["CAFE_SOURCE_DIR"], "tests", "queue"))
from redis_server import RedisServer  # noqa: E402
from harness import CAFE, Fixture, Skip, cafe, run_tests  # noqa: E402
from mountns import PrivateMount  # noqa: E402
from pageserver import PageServer  # noqa: E402
import dbtest  # noqa: E402

SITES = 10
fx = Fixture("--sites", str(SITES), "--size", "5000")
lists = dbtest.Lists()


def db_path(name):
    return os.path.join(lists.dir, name)


def refused_db(name, create):
    """A database holding the table create makes, given to cafe titles: refused with exit 2.
    Returns its path, cafe's stderr and the file's bytes before cafe ran."""
    out = db_path(name)
    with sqlite3.connect(out) as c:
        c.execute(create)
    with open(out, "rb") as f:
        before = f.read()
    r = cafe("titles", "-q", "-o", out, lists.write([fx.url(0, "/page/1")]))
    assert r.returncode == 2, r.stderr
    return out, r.stderr, before


def query(path, sql):
    with sqlite3.connect(path) as c:
        return c.execute(sql).fetchall()


def count(path):
    try:
        return query(path, "SELECT count(*) FROM titles")[0][0]
    except sqlite3.Error:  # not created yet
        return 0


def test_run_rows_types_runs_and_json_equivalence():
    u = [fx.url(i % SITES, f"/page/{i}") for i in range(600)] + ["not a url://"]
    path = lists.write(u)
    out = db_path("a.sqlite")
    r = cafe("titles", "-o", out, path)
    assert r.returncode == 0, r.stderr
    assert b"601 URLs" in r.stderr, r.stderr
    got = query(out, "SELECT url, final_url, status, title, content_type, charset, "
                     "charset_source, bytes, attempts, error FROM titles ORDER BY seq")
    recs = [json.loads(l) for l in cafe("titles", "-q", "--json", path).stdout.splitlines()]
    keys = ["url", "final_url", "status", "title", "content_type", "charset", "charset_source",
            "bytes", "attempts", "error"]
    assert got == [tuple(x[k] for k in keys) for x in recs]
    assert None in {x["charset_source"] for x in recs}  # the invalid line: nothing decoded
    assert len({x["charset_source"] for x in recs}) > 1, recs[:2]
    assert query(out, "SELECT typeof(status), typeof(bytes) FROM titles LIMIT 1") == [
        ("integer", "integer")]
    assert query(out, "PRAGMA journal_mode") == [("wal",)]
    runs = query(out, "SELECT status, ended_at > started_at, options FROM runs")
    assert len(runs) == 1 and runs[0][:2] == ("done", 1) and "-o" in runs[0][2], runs
    # --db sqlite:PATH names the same kind of file; a second run is a run of its own.
    r = cafe("titles", "-q", "--db", "sqlite:" + out, path)
    assert r.returncode == 0, r.stderr
    assert query(out, "SELECT run_id, count(*) FROM titles GROUP BY 1") == [(1, 601), (2, 601)]


def test_sigkill_rounds_then_resume_one_row_per_url():
    """Three runs killed (SIGKILL) while they write, then one that finishes: one row per
    URL. Each killed run is held by a gate of its own (dbtest.Gate, opened once that run is
    dead) placed past the rows it is killed at: paced by the fixture's delays alone (about
    2 s a run), a run ended before a slow test killed it, and the case passed having killed
    nothing (shown with the test paused 8 s after it saw the rows: every run had ended)."""
    gates = [dbtest.Gate() for _ in range(3)]
    u = [fx.url(i % SITES, f"/page/{i}?delay={5 + i % 30}") for i in range(3000)]
    for k, gate in enumerate(gates):
        u.insert(1000 * (k + 1) + k, gate.url)
    path = lists.write(u)
    out = db_path("killed.sqlite")
    args = [CAFE, "titles", "-q", "-c", "50", "--timeout", "150", "-o", out, path]
    try:
        for k, gate in enumerate(gates):
            p = subprocess.Popen(args + (["--resume"] if k else []), stderr=subprocess.PIPE)
            try:
                dbtest.wait_until(lambda: count(out) >= (k + 1) * 400 or p.poll() is not None)
                assert p.poll() is None, ("the run ended before the kill", k,
                                          p.communicate()[1][-500:])
            finally:
                p.kill()
                p.wait()
                p.stderr.close()
            gate.release()
    finally:
        for gate in gates:
            gate.close()
    r = cafe("titles", "-q", "-c", "50", "--resume", "-o", out, path)
    assert r.returncode == 0, r.stderr
    got = [x[0] for x in query(out, "SELECT url FROM titles")]
    assert len(got) == len(set(got)) == len(u) and set(got) == set(u), (len(got), len(set(got)))
    assert query(out, "SELECT count(*), max(status) FROM runs") == [(1, "done")]


def test_lines_duplicates_bad_lines_and_resume_with_other_options():
    """What the CLI suite checks of files, with a database: a line given twice is one row
    (the key is the URL) and is done for --resume; bad lines (invalid UTF-8 too) are rows
    once; --resume with other options (--unordered, -c, --retries) continues the same run;
    seq is the line's place in the input whatever the order of completion."""
    good = [fx.url(i % SITES, f"/page/{i}?delay={i % 7}") for i in range(300)]
    raw = [u.encode() for u in good[:150]] + [good[3].encode(), b"\xff\xfe bad",
                                              b"ftp://127.0.0.1/x", b"not a url"]
    raw += [u.encode() for u in good[150:]] + [good[200].encode()]
    full = os.path.join(lists.dir, "lines-full.txt")
    half = os.path.join(lists.dir, "lines-half.txt")
    with open(full, "wb") as f:
        f.write(b"".join(l + b"\n" for l in raw))
    with open(half, "wb") as f:  # as if the first run was cut short after 154 lines
        f.write(b"".join(l + b"\n" for l in raw[:154]))
    out = db_path("lines.sqlite")
    assert cafe("titles", "-q", "-o", out, half).returncode == 0
    r = cafe("titles", "--resume", "--unordered", "-c", "7", "--retries", "1", "-o", out, full)
    assert r.returncode == 0 and b"154 already done" in r.stderr, r.stderr
    r = cafe("titles", "--resume", "-o", out, full)
    assert r.returncode == 0 and b"%d already done" % len(raw) in r.stderr, r.stderr
    rows = query(out, "SELECT seq, url, title, error FROM titles ORDER BY seq")
    urls = [l.decode("utf-8", "replace") for l in raw]
    assert len(rows) == len(set(urls)) and {x[1] for x in rows} == set(urls), len(rows)
    # seq: the place of a line of that URL (of either, for the one given twice in a run)
    wrong = [x[:2] for x in rows if urls[x[0]] != x[1]]
    assert not wrong, wrong[:3]
    bad = [x[1] for x in rows if x[3]]
    assert bad == ["\ufffd\ufffd bad", "ftp://127.0.0.1/x", "not a url"], bad
    assert query(out, "SELECT run_id, status FROM runs") == [(1, "done")]
    # Each --resume's command line is kept beside the first one's, in the order they ran:
    # the runs table's options kept only the first, hiding what the rest was fetched with.
    first = json.loads(query(out, "SELECT options FROM runs")[0][0])
    assert "--resume" not in first and first[-1] == half, first
    resumes = query(out, "SELECT run_id, resumed_at >= (SELECT started_at FROM runs), options "
                         "FROM run_resumes ORDER BY rowid")
    assert [x[:2] for x in resumes] == [(1, 1), (1, 1)], resumes
    opts = [json.loads(x[2]) for x in resumes]
    assert "--unordered" in opts[0] and "--retries" in opts[0] and "--unordered" not in opts[1], \
        opts
    assert all("--resume" in o and o[-1] == full for o in opts), opts


def test_run_resumes_has_a_key_and_one_made_without_is_still_written():
    """run_resumes had no primary key (the other tables have one): no row a tool could
    name. It gets resume_id, as runs has run_id; a run_resumes table made before, without
    it, is still written."""
    path = lists.write([fx.url(0, "/page/1"), fx.url(1, "/page/2")])
    out = db_path("resumes.sqlite")
    for k in range(2):
        r = cafe("titles", "-q", *(["--resume"] if k else []), "-o", out, path)
        assert r.returncode == 0, r.stderr
    assert query(out, "SELECT name FROM pragma_table_info('run_resumes') WHERE pk > 0") == \
        [("resume_id",)]
    assert query(out, "SELECT resume_id, run_id FROM run_resumes") == [(1, 1)]
    with sqlite3.connect(out) as c:  # as made before
        c.execute("DROP TABLE run_resumes")
        c.execute("CREATE TABLE run_resumes (run_id INTEGER NOT NULL, resumed_at TEXT NOT NULL, "
                  "options TEXT)")
    r = cafe("titles", "-q", "--resume", "-o", out, path)
    assert r.returncode == 0, r.stderr
    assert query(out, "SELECT run_id FROM run_resumes") == [(1,)]


def test_fail_counts_the_failures_an_earlier_run_recorded():
    dbtest.check_fail_counts_recorded_failures(fx, lists, ["-o", db_path("fail.sqlite")])


def test_resume_continues_a_titles_run_not_an_export():
    out, rs = db_path("between.sqlite"), RedisServer()
    try:
        dbtest.check_resume_continues_a_titles_run(
            fx, lists, rs, ["--db", "sqlite:" + out],
            lambda: query(out, "SELECT run_id, count(*) FROM titles GROUP BY 1 ORDER BY 1"))
    finally:
        rs.close()


def test_hostile_titles_stored_as_json_holds_them():
    out = db_path("hostile.sqlite")

    def run_and_read(table, path):
        r = cafe("titles", "-q", "-o", out, path)
        return r, dict(query(out, "SELECT url, title FROM titles"))
    dbtest.check_hostile_titles(run_and_read)


def test_the_sqlite_scheme_is_case_insensitive():
    """A scheme is case-insensitive (RFC 3986 3.1; sqlite3 takes FILE: URIs): SQLITE:/x.db
    was the relative path "SQLITE:/x.db" (cannot open, exit 2), and cafe serve kept its jobs
    under ./SQLITE: too. Each spelling now writes the file named."""
    u = lists.write([fx.url(0, "/page/1"), fx.url(1, "/page/2")])
    for scheme in ("SQLITE:", "Sqlite:"):
        out = db_path(f"upper-{scheme[:2]}.sqlite")
        r = cafe("titles", "-q", "--db", scheme + out + "?table=t", u)
        assert r.returncode == 0, (scheme, r.stderr)
        assert query(out, "SELECT count(*) FROM t") == [(2,)], scheme
    out = db_path("upper-serve.sqlite")
    srv = subprocess.Popen([CAFE, "serve", "-q", "--listen", "127.0.0.1:0", "--db",
                            "SQLITE:" + out], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = srv.stdout.readline()
        assert line.startswith(b"listening on "), (line, srv.stderr.read())
        assert os.path.isdir(out + ".jobs") and os.path.isfile(out), os.listdir(lists.dir)
    finally:
        srv.terminate()
        srv.communicate(timeout=60)


def test_o_names_a_database_by_its_extension_in_any_case():
    """-o x.db wrote SQLite but -o x.DB (or Results.SQLite) the guide's text lines into a file
    every program takes for a database by its name, as a case-insensitive file system (macOS,
    Windows) takes it for x.db itself; --db's scheme is read in any case too. Each spelling
    now writes the database."""
    u = lists.write([fx.url(0, "/page/1"), fx.url(1, "/page/2")])
    for ext in (".DB", ".SQLite", ".Sqlite3"):
        out = db_path("upper" + ext)
        r = cafe("titles", "-q", "-o", out, u)
        assert r.returncode == 0, (ext, r.stderr)
        with open(out, "rb") as f:
            assert f.read(16) == b"SQLite format 3\0", ext
        assert query(out, "SELECT count(*) FROM titles") == [(2,)], ext


def test_resume_names_the_table_in_any_case_as_sqlite_does():
    # ?table=Shout and ?table=shout are one table to SQLite, but --resume looked for the
    # run by the name as written: it found none and fetched every URL again, in a new run
    out = db_path("case.sqlite")
    u = [fx.url(0, f"/page/{i}") for i in range(3)]
    r = cafe("titles", "-q", "--db", f"sqlite:{out}?table=Shout", lists.write(u[:2]))
    assert r.returncode == 0, r.stderr
    r = cafe("titles", "--resume", "--db", f"sqlite:{out}?table=shout", lists.write(u))
    assert r.returncode == 0, r.stderr
    assert query(out, "SELECT run_id, count(*) FROM shout GROUP BY 1") == [(1, 3)]
    assert query(out, "SELECT count(*) FROM run_resumes") == [(1,)]


def test_names_sqlite_reads_as_no_file_are_files():
    """sqlite::memory: wrote the run into memory and exited 0, every record lost; and
    sqlite:file:x.sqlite was read as a URI (Debian's SQLite takes them), x.sqlite written
    while cafe's checks and its run's lock went to a file file:x.sqlite never made. PATH is
    a file's name: each is now the file it names."""
    d = db_path("names")
    os.mkdir(d)
    u = lists.write([fx.url(0, "/page/1")])
    for name in (":memory:", "file:x.sqlite"):
        r = subprocess.run([CAFE, "titles", "-q", "--db", "sqlite:" + name, u], cwd=d,
                           capture_output=True, timeout=60)
        assert r.returncode == 0, (name, r.stderr)
        assert query(os.path.join(d, name), "SELECT count(*) FROM titles") == [(1,)], name
    assert not os.path.exists(os.path.join(d, "x.sqlite")), os.listdir(d)


def test_a_path_holding_a_question_mark_is_a_file():
    """A file name may hold a '?' ("what?.sqlite"): the path was cut at it and the rest
    refused as a parameter ("sqlite:PATH takes no parameter but ?table=NAME"), so no such
    file could be written, not even by -o, whose spec has no parameter. -o PATH.sqlite is
    all path; after sqlite:, the parameters begin at the last '?' with a '=' after it, and a
    path holding such a '?' is given with ?table=NAME after it. ?mode=ro stays refused."""
    d = db_path("question")
    os.mkdir(d)
    u = [fx.url(0, "/page/1"), fx.url(1, "/page/2")]
    for args, name, table in ((["-o", f"{d}/what?.sqlite"], "what?.sqlite", "titles"),
                              (["--db", f"sqlite:{d}/a?b.db"], "a?b.db", "titles"),
                              (["--db", f"sqlite:{d}/a?b=c.db?table=t"], "a?b=c.db", "t")):
        r = cafe("titles", "-q", *args, lists.write(u[:1]))
        assert r.returncode == 0, (args, r.stderr)
        r = cafe("titles", "--resume", *args, lists.write(u))
        assert r.returncode == 0 and b"1 already done" in r.stderr, (args, r.stderr)
        assert query(os.path.join(d, name), f"SELECT run_id, count(*) FROM {table} "
                     "GROUP BY 1") == [(1, 2)], args
    r = cafe("titles", "-q", "--db", f"sqlite:{d}/x.db?mode=ro", lists.write(u))
    assert r.returncode == 2 and b"takes no parameter but ?table=NAME" in r.stderr, r.stderr
    made = sorted(n for n in os.listdir(d) if not n.endswith(("-wal", "-shm")))
    assert made == ["a?b.db", "a?b=c.db", "what?.sqlite"], made


def test_unwritable_database_fails_before_fetching():
    u = lists.write([fx.url(0, "/page/1")])
    r = cafe("titles", "-o", "/nonexistent/dir/x.sqlite", u)
    assert r.returncode == 2 and b"cannot open" in r.stderr, r.stderr
    assert b"URLs in" not in r.stderr  # no summary: nothing was fetched


def test_a_directory_not_writable_is_named_not_the_file():
    """SQLite writes its journal, WAL and shared-memory files beside the database: a file
    the user may write in a directory they may not said "attempt to write a readonly
    database", and the file's mode was fine. The message names the directory, quoted (it is
    made on a pool thread, with a quoting of its own: msg_quote is the main thread's)."""
    d = db_path("ro\tdir")
    os.mkdir(d)
    os.chmod(d, 0o777)
    as_user = ["runuser", "-u", "nobody", "--"] if os.getuid() == 0 else []
    u = lists.write([fx.url(0, "/page/1")])

    def run(out, *extra):
        return subprocess.run(as_user + [CAFE, "titles", "-q", *extra, "-o", out, u],
                              capture_output=True, timeout=60)
    r = run(os.path.join(d, "made.sqlite"))  # a cafe database, in WAL mode
    assert r.returncode == 0, r.stderr
    empty = os.path.join(d, "empty.sqlite")
    with open(empty, "w"):
        pass
    os.chmod(empty, 0o666)
    os.chmod(d, 0o555)
    try:
        for out, extra in [("made.sqlite", ["--resume"]), ("made.sqlite", []),
                           ("empty.sqlite", [])]:
            r = run(os.path.join(d, out), *extra)
            assert r.returncode == 2, (out, r.stderr)
            said = f"the directory '{lists.dir}/ro'$'\\t''dir' is not writable".encode()
            assert said in r.stderr, (out, r.stderr)
    finally:
        os.chmod(d, 0o755)


def test_a_wal_file_not_writable_is_named():
    """The database's -wal and -shm files are another user's (a `sqlite3` shell run as root
    holds them open, or left them at a crash): SQLite opens them read-only and said "attempt
    to write a readonly database" of a database file, and a directory, the user may write.
    The message names the file."""
    d = db_path("walfiles")
    os.mkdir(d)
    os.chmod(d, 0o777)
    out = os.path.join(d, "shared.sqlite")
    u = lists.write([fx.url(0, "/page/1")])
    assert cafe("titles", "-q", "-o", out, u).returncode == 0  # a cafe database, in WAL mode
    other = sqlite3.connect(out)  # its -wal and -shm are there while it is open
    try:
        assert other.execute("SELECT count(*) FROM titles").fetchall() == [(1,)]
        os.chmod(out, 0o666)
        as_user = ["runuser", "-u", "nobody", "--"] if os.getuid() == 0 else []
        for end in ("-wal", "-shm"):
            os.chmod(out + end, 0o644 if as_user else 0o444)
        r = subprocess.run(as_user + [CAFE, "titles", "-q", "-o", out, u], capture_output=True,
                           timeout=60)
    finally:
        other.close()
    assert r.returncode == 2, r.stderr
    assert f"(the file {out}-wal is not writable".encode() in r.stderr, r.stderr


def test_a_path_that_is_no_regular_file_is_refused_untouched():
    """-o or sqlite: naming a FIFO, a directory or a device: SQLite opened it, said "disk I/O
    error (Illegal seek)" or "unable to open database file (Is a directory)", and beside
    /dev/null (run as root) it made /dev/null-journal. A database is a regular file: anything
    else is refused, named for what it is, and nothing is made beside it."""
    u = lists.write([fx.url(0, "/page/1")])
    fifo, d = db_path("fifo.sqlite"), db_path("dir.sqlite")
    os.mkfifo(fifo)
    os.mkdir(d)
    link = db_path("link.db")
    os.symlink(fifo, link)
    for path, what in [(fifo, b"a FIFO"), (d, b"a directory"), (link, b"a FIFO")]:
        for extra in ([], ["--resume"]):
            r = cafe("titles", "-q", *extra, "--db", "sqlite:" + path, u)
            assert r.returncode == 2, (path, r.stderr)
            assert what + b", not a regular file" in r.stderr, (path, r.stderr)
    made = [p + end for p in (fifo, d, link) for end in ("-journal", "-wal", "-shm")
            if os.path.lexists(p + end)]
    assert made == [] and os.listdir(d) == [], made


def test_not_a_database_named_once_with_or_without_resume():
    """A file that is not SQLite's: one message naming it once (as sqlite3 does), exit 2,
    the file left as it was."""
    out = db_path("junk.db")
    with open(out, "wb") as f:
        f.write(b"junk")
    u = lists.write([fx.url(0, "/page/1")])
    for extra in ([], ["--resume"]):
        r = cafe("titles", *extra, "-o", out, u)
        assert r.returncode == 2 and b"file is not a database" in r.stderr, r.stderr
        assert r.stderr.count(b"junk.db") == 1, r.stderr
    with open(out, "rb") as f:
        assert f.read() == b"junk"


def test_wrong_columns_refused_never_altered():
    out, err, _ = refused_db("wrong.sqlite", "CREATE TABLE titles (url TEXT, title BLOB)")
    assert b"run_id missing" in err and b"title is BLOB, not TEXT" in err, err
    assert query(out, "SELECT count(*) FROM pragma_table_info('titles')") == [(2,)]


def test_a_table_of_none_of_cafes_columns_is_refused_naming_every_one():
    # the message was cut at 255 bytes, in the middle of a word ("... time_ms mis"): the
    # last columns went unnamed (cafe serve --db, which reads the same message from the
    # sink itself, said it whole)
    out, err, _ = refused_db("none.sqlite", "CREATE TABLE titles (a INTEGER, b TEXT)")
    names = ("run_id", "seq", "url", "final_url", "status", "title", "content_type",
             "charset", "charset_source", "bytes", "time_ms", "attempts", "error")
    want = (f"cafe titles: {out}: table titles has other columns than cafe's (never altered): "
            + ", ".join(f"{n} missing" for n in names) + "\n")
    assert err.decode() == want, err


def test_refused_database_keeps_its_journal_mode():
    """An application's own database, refused for its titles table, is left exactly as it
    was: not even switched to WAL (other programs may not cope with WAL: a network file
    system, a reader without write access to the directory)."""
    out, err, before = refused_db("app.db",
                                  "CREATE TABLE titles (id INTEGER PRIMARY KEY, name TEXT)")
    assert b"other columns" in err, err
    assert query(out, "PRAGMA journal_mode") == [("delete",)]
    with open(out, "rb") as f:
        assert f.read() == before


def test_another_programs_database_is_refused_and_cafes_is_marked():
    """-o app.db naming another program's database (a slip of the finger) wrote cafe's
    tables into it, beside the program's own. A database cafe creates now carries cafe's
    application_id in its header; one with another program's id, or with tables and no id
    and none of cafe's tables, is refused and left as it was. A cafe database from before
    the id (cafe's tables, no id) is still written, and gets the id."""
    cafe_id = 0x63616665
    u = lists.write([fx.url(0, "/page/1")])
    out, err, before = refused_db("other.db", "CREATE TABLE users (id INTEGER, name TEXT)")
    assert b"another program's and none of cafe's" in err, err
    with open(out, "rb") as f:
        assert f.read() == before
    marked = db_path("marked.db")
    with sqlite3.connect(marked) as c:
        c.execute("PRAGMA application_id = 42")
    with open(marked, "rb") as f:
        before = f.read()
    r = cafe("titles", "-q", "-o", marked, u)
    assert r.returncode == 2 and b"application_id is 42, not cafe's" in r.stderr, r.stderr
    with open(marked, "rb") as f:
        assert f.read() == before
    new = db_path("new.db")
    assert cafe("titles", "-q", "-o", new, u).returncode == 0
    assert query(new, "PRAGMA application_id") == [(cafe_id,)]
    with sqlite3.connect(new) as c:  # as an older cafe left it
        c.execute("PRAGMA application_id = 0")
        c.execute("CREATE TABLE notes (t TEXT)")  # and a table of the user's beside cafe's
    r = cafe("titles", "-q", "--resume", "-o", new, u)
    assert r.returncode == 0, r.stderr
    assert query(new, "PRAGMA application_id") == [(cafe_id,)]
    assert count(new) == 1


def test_a_table_made_with_types_of_the_same_affinity_is_taken():
    """SQLite reads a declared type by its affinity: BIGINT and INT store integers as INTEGER
    does, VARCHAR(n) text as TEXT does. A table made from the PostgreSQL DDL of the docs
    (bigint, integer, text) was refused ("run_id is bigint, not INTEGER") though it stores
    exactly what cafe's would. Taken now; a BLOB or untyped column, or a runs table whose
    run_id is not the rowid (INT PRIMARY KEY takes NULL), still refused."""
    out = db_path("affinity.sqlite")
    pgtypes = {"INTEGER": "bigint", "TEXT": "varchar(8000)"}
    cols = ", ".join(f"{n} {pgtypes[t] if n != 'status' else 'int'}" for n, t in COLUMNS)
    with sqlite3.connect(out) as c:
        c.execute(f"CREATE TABLE titles ({cols}, PRIMARY KEY (run_id, url))")
    u = lists.write([fx.url(0, "/page/1"), fx.url(1, "/page/2")])
    r = cafe("titles", "-q", "-o", out, u)
    assert r.returncode == 0, r.stderr
    assert query(out, "SELECT typeof(run_id), typeof(status), typeof(title) FROM titles") == \
        [("integer", "integer", "text")] * 2
    out, err, _ = refused_db("intkey.sqlite", "CREATE TABLE runs (run_id INT PRIMARY KEY, "
                                              "table_name TEXT NOT NULL, started_at TEXT NOT "
                                              "NULL, ended_at TEXT, status TEXT NOT NULL, "
                                              "options TEXT)")
    assert b"run_id is INT, not INTEGER" in err, err


def test_own_runs_table_refused_naming_what_differs():
    """A database that has a runs table of its own (a common name): refused as a results
    table of other columns is, naming what differs, and left as it was."""
    out, err, _ = refused_db("ownruns.db", "CREATE TABLE runs (id INTEGER, km REAL)")
    assert b"table runs has other columns" in err and b"table_name missing" in err, err
    assert query(out, "SELECT name FROM sqlite_master") == [("runs",)]


def test_a_runs_table_whose_run_id_is_not_the_rowid_is_refused():
    """run_id INTEGER PRIMARY KEY DESC is no rowid (SQLite's quirk), nor is a run_id without a
    key: each run's id was NULL, its rows written under the rowid, its end never recorded,
    and --resume found no run and fetched everything again, every run exiting 0. Refused,
    the database left as it was; cafe's own runs table, and one declared as the docs say,
    are taken."""
    rest = "table_name TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT, " \
           "status TEXT NOT NULL, options TEXT"
    for name, run_id in (("desc", "run_id INTEGER PRIMARY KEY DESC"), ("nokey", "run_id INTEGER")):
        out, err, before = refused_db(f"runs_{name}.sqlite",
                                      f"CREATE TABLE runs ({run_id}, {rest})")
        assert b"run_id is not its rowid" in err, (name, err)
        with open(out, "rb") as f:
            assert f.read() == before
    out = db_path("runs_asc.sqlite")
    with sqlite3.connect(out) as c:
        c.execute(f"CREATE TABLE runs (run_id INTEGER PRIMARY KEY ASC, {rest})")
    path = lists.write([fx.url(0, "/page/1")])
    for k in range(2):
        r = cafe("titles", "-q", *(["--resume"] if k else []), "-o", out, path)
        assert r.returncode == 0, r.stderr
    assert query(out, "SELECT run_id, status FROM runs") == [(1, "done")]


COLUMNS = [("run_id", "INTEGER"), ("seq", "INTEGER"), ("url", "TEXT"), ("final_url", "TEXT"),
           ("status", "INTEGER"), ("title", "TEXT"), ("content_type", "TEXT"), ("charset", "TEXT"),
           ("charset_source", "TEXT"), ("bytes", "INTEGER"), ("time_ms", "INTEGER"),
           ("attempts", "INTEGER"), ("error", "TEXT")]


def test_table_without_the_key_refused_before_fetching():
    """The right columns but no unique key on (run_id, url): one row per URL could not hold."""
    out = db_path("nokey.sqlite")
    cols = ", ".join(f"{n} {t}" for n, t in COLUMNS)
    with sqlite3.connect(out) as c:
        c.execute(f"CREATE TABLE titles ({cols})")
    r = cafe("titles", "-o", out, lists.write([fx.url(0, "/page/1")]))
    assert r.returncode == 2 and b"unique key on (run_id, url)" in r.stderr, r.stderr
    assert b"URLs in" not in r.stderr  # nothing fetched
    assert query(out, "SELECT count(*) FROM titles") == [(0,)]
    assert query(out, "SELECT count(*) FROM sqlite_master WHERE name = 'runs'") == [(0,)]


def test_not_null_columns_cafe_leaves_empty_refused_before_fetching():
    """A results table made by its user with a column of their own NOT NULL and without a
    default (or one of cafe's that cafe may leave NULL, made NOT NULL): every row cafe writes
    breaks it. That was found at the first commit, after a batch was fetched, and again at
    every --resume ("what committed is kept: --resume continues", but none could finish).
    Refused before fetching, naming the column; one with a default is taken."""
    for name, extra, said in [("mine.sqlite", "mine TEXT NOT NULL", b"mine is NOT NULL"),
                              ("title.sqlite", None, b"title is NOT NULL")]:
        cols = ", ".join(f"{n} {t}" + (" NOT NULL" if n == "title" and not extra else "")
                         for n, t in COLUMNS)
        out, err, before = refused_db(name, f"CREATE TABLE titles ({cols}, "
                                            + (f"{extra}, " if extra else "")
                                            + "PRIMARY KEY (run_id, url))")
        assert said in err, err
        with open(out, "rb") as f:  # no run begun: nothing fetched
            assert f.read() == before
    out = db_path("default.sqlite")
    cols = ", ".join(f"{n} {t}" for n, t in COLUMNS)
    with sqlite3.connect(out) as c:
        c.execute(f"CREATE TABLE titles ({cols}, mine TEXT NOT NULL DEFAULT 'x', "
                  "id INTEGER NOT NULL, PRIMARY KEY (run_id, url))")
    r = cafe("titles", "-q", "-o", out, lists.write([fx.url(0, "/page/1")]))
    assert r.returncode == 2 and b"id is NOT NULL" in r.stderr, r.stderr
    with sqlite3.connect(out) as c:
        c.execute("DROP TABLE titles")
        c.execute(f"CREATE TABLE titles ({cols}, mine TEXT NOT NULL DEFAULT 'x', "
                  "UNIQUE (run_id, url))")
    r = cafe("titles", "-q", "-o", out, lists.write([fx.url(0, "/page/1")]))
    assert r.returncode == 0, r.stderr
    assert query(out, "SELECT mine FROM titles") == [("x",)]


def test_generated_columns_are_seen_not_said_missing():
    """PRAGMA table_info leaves generated columns out: one of cafe's made generated (its
    value derived from another) was said to be missing, "add it: ALTER TABLE titles ADD
    COLUMN charset_source TEXT", which SQLite refuses as a duplicate column. It is named
    for what it is, nothing fetched; a generated column of the user's, NOT NULL, is
    filled by SQLite and taken."""
    cols = ", ".join(f"{n} {t}" + (" GENERATED ALWAYS AS (charset) VIRTUAL"
                                   if n == "charset_source" else "") for n, t in COLUMNS)
    out, err, before = refused_db("generated.sqlite",
                                  f"CREATE TABLE titles ({cols}, PRIMARY KEY (run_id, url))")
    assert b"charset_source is a generated column (cafe writes it" in err, err
    assert b"missing" not in err and b"ALTER" not in err, err
    with open(out, "rb") as f:
        assert f.read() == before
    out = db_path("generated_mine.sqlite")
    cols = ", ".join(f"{n} {t}" for n, t in COLUMNS)
    with sqlite3.connect(out) as c:
        c.execute(f"CREATE TABLE titles ({cols}, host TEXT NOT NULL GENERATED ALWAYS AS "
                  "(substr(url, 1, 16)) STORED, PRIMARY KEY (run_id, url))")
    r = cafe("titles", "-q", "-o", out, lists.write([fx.url(0, "/page/1")]))
    assert r.returncode == 0, r.stderr
    assert query(out, "SELECT count(*) FROM titles WHERE host = substr(url, 1, 16)") == [(1,)]


def test_a_table_of_more_than_64_columns_is_read_whole():
    """Only a table's first 64 columns were read: cafe's columns after 64 of the user's were
    said to be missing ("add it: ALTER TABLE"), which SQLite refuses as duplicates, and a
    column of the user's past the 64th, NOT NULL without a default, was not seen: every
    batch failed once fetched, and every --resume. Every column is read."""
    mine = ", ".join(f"mine{i} TEXT" for i in range(70))
    cols = ", ".join(f"{n} {t}" for n, t in COLUMNS)
    out = db_path("wide.sqlite")
    with sqlite3.connect(out) as c:
        c.execute(f"CREATE TABLE titles ({mine}, {cols}, PRIMARY KEY (run_id, url))")
    u = [fx.url(0, "/page/1"), fx.url(1, "/page/2")]
    r = cafe("titles", "-q", "-o", out, lists.write(u))
    assert r.returncode == 0, r.stderr
    assert sorted(x[0] for x in query(out, "SELECT url FROM titles")) == sorted(u)
    out, err, before = refused_db("wide_not_null.sqlite", f"CREATE TABLE titles ({cols}, "
                                  f"{mine}, last TEXT NOT NULL, PRIMARY KEY (run_id, url))")
    assert b"last is NOT NULL without a default" in err, err
    with open(out, "rb") as f:  # no run begun: nothing fetched
        assert f.read() == before


def test_a_url_column_of_another_collation_is_refused_losing_no_record():
    """The key on (run_id, url) compares with the url column's collation: a table of the
    user's with url COLLATE NOCASE made http://h/page/1 and http://h/PAGE/1 (two pages, two
    records) one row. The second record was dropped by ON CONFLICT, counted as written, and
    the run ended done, exit 0, without it. Refused before fetching, naming the collation;
    url COLLATE BINARY, SQLite's default said, is taken."""
    pages = [fx.url(0, "/page/1"), fx.url(0, "/PAGE/1")]
    for coll, refused in (("NOCASE", True), ("BINARY", False)):
        out = db_path(f"collate_{coll}.sqlite")
        cols = ", ".join(f"{n} {t}" + (f" COLLATE {coll}" if n == "url" else "")
                         for n, t in COLUMNS)
        with sqlite3.connect(out) as c:
            c.execute(f"CREATE TABLE titles ({cols}, PRIMARY KEY (run_id, url))")
        with open(out, "rb") as f:
            before = f.read()
        r = cafe("titles", "-q", "-o", out, lists.write(pages))
        if refused:
            assert r.returncode == 2 and b"url has COLLATE NOCASE" in r.stderr, r.stderr
            with open(out, "rb") as f:  # left as it was: no run begun, nothing fetched
                assert f.read() == before
        else:
            assert r.returncode == 0, r.stderr
            assert sorted(x[0] for x in query(out, "SELECT url FROM titles")) == sorted(pages)
    # a view is not asked (SQLite gives no column of one): refused for being one, as before
    out = db_path("collate_view.sqlite")
    assert cafe("titles", "-q", "-o", out, lists.write(pages[:1])).returncode == 0
    with sqlite3.connect(out) as c:
        c.execute("ALTER TABLE titles RENAME TO titles_2026")
        c.execute("CREATE VIEW titles AS SELECT * FROM titles_2026")
    r = cafe("titles", "-q", "-o", out, lists.write(pages))
    assert r.returncode == 2 and b"because it is a view" in r.stderr, r.stderr


def test_a_key_of_another_collation_than_its_column_is_refused():
    """The key's index may compare url with a collation of its own, the column BINARY:
    PRIMARY KEY (run_id, url COLLATE NOCASE), or a unique index so. http://h/PAGE/1's record
    was skipped by ON CONFLICT as http://h/page/1's, named as "dropped by a trigger", and the
    run failed, every --resume again, none able to store it. Refused before fetching, as the
    column's collation is; a unique index on url alone (not cafe's key) is the user's."""
    pages = [fx.url(0, "/page/1"), fx.url(0, "/PAGE/1")]
    cols = ", ".join(f"{n} {t}" for n, t in COLUMNS)
    for name, key, index in (
            ("pk", "PRIMARY KEY (run_id, url COLLATE NOCASE)", None),
            ("index", "PRIMARY KEY (run_id, url)",
             "CREATE UNIQUE INDEX k ON titles (url COLLATE NOCASE, run_id)")):
        out = db_path(f"key_nocase_{name}.sqlite")
        with sqlite3.connect(out) as c:
            c.execute(f"CREATE TABLE titles ({cols}, {key})")
            if index:
                c.execute(index)
        with open(out, "rb") as f:
            before = f.read()
        r = cafe("titles", "-q", "-o", out, lists.write(pages))
        assert r.returncode == 2, (name, r.stderr)
        assert b"url has COLLATE NOCASE in its key" in r.stderr, (name, r.stderr)
        with open(out, "rb") as f:  # left as it was: no run begun, nothing fetched
            assert f.read() == before
    out = db_path("key_url_alone.sqlite")
    with sqlite3.connect(out) as c:
        c.execute(f"CREATE TABLE titles ({cols}, PRIMARY KEY (run_id, url))")
        c.execute("CREATE UNIQUE INDEX k ON titles (url COLLATE NOCASE)")
    r = cafe("titles", "-q", "-o", out, lists.write(pages[:1]))
    assert r.returncode == 0, r.stderr


def test_a_trigger_refusing_the_runs_end_is_met_at_the_start():
    # A trigger on runs that refuses its UPDATE was met only at the run's end, after every
    # URL had been fetched. The end is tried (and undone) when the run begins: refused
    # before anything is fetched, the trigger named. One that refuses only what the start
    # cannot show (here, once rows are in) is still met at the end: every row kept.
    out = db_path("trig.sqlite")
    assert cafe("titles", "-q", "-o", out, lists.write([fx.url(0, "/page/1")])).returncode == 0
    with sqlite3.connect(out) as c:
        c.execute("CREATE TRIGGER runs_frozen BEFORE UPDATE ON runs BEGIN "
                  "SELECT RAISE(ABORT, 'runs are append-only'); END")
    asked = []
    server = PageServer(lambda path: asked.append(path) or (b"<title>t</title>", "text/html"))
    try:
        urls = [server.url(f"/p{i}") for i in range(20)]
        r = cafe("titles", "-q", "-o", out, lists.write(urls))
        assert r.returncode == 2 and not asked, (r.returncode, asked, r.stderr)
        assert b"runs are append-only" in r.stderr and b"runs_frozen" in r.stderr, r.stderr
        assert b"start" in r.stderr, r.stderr
        assert query(out, "SELECT count(*) FROM runs") == [(1,)]  # no run begun
        with sqlite3.connect(out) as c:
            c.execute("DROP TRIGGER runs_frozen")
            c.execute("CREATE TRIGGER runs_frozen BEFORE UPDATE ON runs WHEN (SELECT count(*) "
                      "FROM titles WHERE run_id = NEW.run_id) > 0 BEGIN "
                      "SELECT RAISE(ABORT, 'runs are append-only'); END")
        r = cafe("titles", "-q", "-o", out, lists.write(urls))
        assert r.returncode == 2 and len(asked) == 20, (r.returncode, len(asked), r.stderr)
        assert b"runs are append-only" in r.stderr and b"runs_frozen" in r.stderr, r.stderr
    finally:
        server.close()
    held = query(out, "SELECT run_id, count(*) FROM titles GROUP BY 1 ORDER BY 1")
    assert held == [(1, 1), (2, 20)], held


def test_a_row_the_table_refuses_loses_no_other_row():
    """A row the table refuses (a trigger or CHECK of the user's own) failed its whole batch:
    the run stopped with none of the batch stored, and every --resume again at that row.
    That row alone is left out, named; the run ends failed (exit 2) with every other row
    stored, and --resume tries only that one again."""
    out = db_path("refuse.sqlite")
    u = [fx.url(i % SITES, f"/page/{i}") for i in range(300)]
    bad = [fx.url(1, "/page/nope"), fx.url(2, "/page/nope")]
    path = lists.write(u[:100] + [bad[0]] + u[100:200] + [bad[1]] + u[200:])
    assert cafe("titles", "-q", "-o", out, lists.write(u[:1])).returncode == 0
    with sqlite3.connect(out) as c:
        # its message drove the terminal as it came (an ESC sequence), where PostgreSQL's is
        # escaped: now SQLite's too, as a title's controls are (\xNN)
        c.execute("CREATE TRIGGER no_nope BEFORE INSERT ON titles WHEN NEW.url LIKE '%nope' "
                  "BEGIN SELECT RAISE(ABORT, 'no nope here\x1b[2J'); END")
    for k in range(2):
        r = cafe("titles", *(["--resume"] if k else []), "-o", out, path)
        assert r.returncode == 2, (k, r.stderr)
        assert r.stderr.count(b"no nope here\\x1b[2J") == 2 and b"\x1b" not in r.stderr, \
            r.stderr
        assert b"2 rows refused" in r.stderr, r.stderr
        got = [x[0] for x in query(out, "SELECT url FROM titles WHERE run_id = 2")]
        assert sorted(got) == sorted(u), (k, len(got))
        assert query(out, "SELECT status FROM runs WHERE run_id = 2") == [("failed",)]
    with sqlite3.connect(out) as c:  # one that undoes the whole batch: the run stops
        c.execute("DROP TRIGGER no_nope")
        c.execute("CREATE TRIGGER undo BEFORE INSERT ON titles WHEN NEW.url LIKE '%nope' "
                  "BEGIN SELECT RAISE(ROLLBACK, 'undone\x1b[2J'); END")
    r = cafe("titles", "-q", "--resume", "-o", out, path)
    assert r.returncode == 2 and b"undone\\x1b[2J" in r.stderr, r.stderr
    assert b"\x1b" not in r.stderr, r.stderr
    with sqlite3.connect(out) as c:
        c.execute("DROP TRIGGER undo")
    r = cafe("titles", "-q", "--resume", "-o", out, path)
    assert r.returncode == 0, r.stderr
    assert count(out) == 1 + 302


def test_rows_a_trigger_drops_are_not_counted_as_written():
    out = db_path("dropper.sqlite")

    def sql(statement):
        with sqlite3.connect(out) as c:
            c.execute(statement)

    def drop(suffixes):
        like = " OR ".join(f"NEW.url LIKE '%{x}'" for x in suffixes)
        sql(f"CREATE TRIGGER dropper BEFORE INSERT ON titles WHEN {like} BEGIN "
            "SELECT RAISE(IGNORE); END")

    def held():
        return [x[0] for x in query(out, "SELECT url FROM titles WHERE run_id = "
                                         "(SELECT max(run_id) FROM runs)")]
    dbtest.check_rows_a_trigger_drops(fx, lists, ["-o", out], drop,
                                      lambda: sql("DROP TRIGGER dropper"), held)


def lock_under_the_run(p, out, gate):
    """Once run p has written 100 rows to out, another connection takes the file's write
    lock and the gate opens: cafe must say, once, that it waits (not be silent, not fail).
    Returns that connection, holding the lock, and the rows written then."""
    dbtest.wait_until(lambda: count(out) >= 100 or p.poll() is not None)
    assert p.poll() is None, p.communicate()[1]
    other = sqlite3.connect(out, timeout=60, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("CREATE TABLE mine (x)")
    held = count(out)
    gate.release()
    ready, _, _ = select.select([p.stderr], [], [], 60)
    assert ready, "no word from cafe within 60 s"
    line = p.stderr.readline()
    assert b"locked by another writer; waiting" in line, line
    return other, held


def test_another_writer_holding_the_database_makes_the_run_wait():
    """Another program writing the same file for longer than SQLite's busy timeout (10 s: a
    CREATE INDEX on the results for queries, a shell's open transaction) made the batch fail
    with "database is locked", and the crawl stopped. As PostgreSQL's sink waits for a locked
    table, the run now waits (fetching held back by the full batches) and completes. The
    rows after the gate (dbtest.Gate) come once the other writer holds the file: the run
    ended before the writer came when the test was slow to see its first rows (a flake),
    and a fixed 12 s hold raced SQLite's 10 s busy timeout; the writer now holds the file
    until cafe says it waits, a busy timeout after its first try."""
    gate = dbtest.Gate()
    u = [fx.url(i % SITES, f"/page/{i}?delay=5") for i in range(1500)]
    u.insert(300, gate.url)
    out = db_path("busy.sqlite")
    p = subprocess.Popen([CAFE, "titles", "-q", "-c", "10", "--timeout", "150", "-o", out,
                          lists.write(u)], stderr=subprocess.PIPE)
    try:
        other, held = lock_under_the_run(p, out, gate)
        assert p.poll() is None, p.communicate()[1]
        other.execute("COMMIT")
        other.close()
        _, err = p.communicate(timeout=300)
    finally:
        gate.close()
        if p.poll() is None:
            p.kill()
    assert p.returncode == 0, err
    got = [x[0] for x in query(out, "SELECT url FROM titles")]
    assert held < len(u) and sorted(got) == sorted(u), (held, len(got))
    assert query(out, "SELECT status FROM runs") == [("done",)]


def test_a_stop_while_another_writer_holds_the_database_is_bounded():
    """SIGTERM while another program holds the file's write lock: the stop waited for that
    writer, as the run does (for hours, if a shell's transaction stayed open), and only a
    second signal ended it. A stop waits one busy timeout at most: then cafe ends, exit 2
    (not 143: not every finished record was written), saying so; the run is left as a
    killed one's, and --resume, once the writer is gone, fetches what was not written."""
    gate = dbtest.Gate()
    u = [fx.url(i % SITES, f"/page/{i}?delay=5") for i in range(600)]
    u.insert(300, gate.url)
    out = db_path("stopbusy.sqlite")
    path = lists.write(u)
    p = subprocess.Popen([CAFE, "titles", "-q", "-c", "10", "--timeout", "150", "-o", out,
                          path], stderr=subprocess.PIPE)
    other = None
    try:
        other, held = lock_under_the_run(p, out, gate)
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=120)  # the writer still holds the file
        assert p.returncode == 2, (p.returncode, err)
        assert b"stopped while the database is locked by another writer" in err, err
        assert b"--resume" in err, err
        assert count(out) == held
    finally:
        gate.close()
        if other:
            other.execute("COMMIT")
            other.close()
        if p.poll() is None:
            p.kill()
    assert query(out, "SELECT status FROM runs") == [("running",)]  # as a killed run's
    r = cafe("titles", "-q", "-c", "10", "--resume", "-o", out, path)
    assert r.returncode == 0, r.stderr
    got = [x[0] for x in query(out, "SELECT url FROM titles")]
    assert sorted(got) == sorted(u), len(got)
    assert query(out, "SELECT status FROM runs") == [("done",)]


def deleted_under_a_run(name, n, suffixes, said):
    """A run of n URLs into the database NAME whose files with these suffixes are deleted
    once it holds 100 rows (a gate, dbtest.Gate, holds the rows after the 300th until then):
    it stops with status 2 and says `said`; --resume then finishes the list, each URL once."""
    gate = dbtest.Gate()
    u = [fx.url(i % SITES, f"/page/{i}?delay=5") for i in range(n)]
    u.insert(300, gate.url)
    out = db_path(name)
    p = subprocess.Popen([CAFE, "titles", "-q", "-c", "10", "--timeout", "150", "-o", out,
                          lists.write(u)], stderr=subprocess.PIPE)
    try:
        dbtest.wait_until(lambda: count(out) >= 100 or p.poll() is not None)
        assert p.poll() is None, p.communicate()[1]
        for suffix in suffixes:
            os.unlink(out + suffix)
        gate.release()
        _, err = p.communicate(timeout=300)
    finally:
        gate.close()
        if p.poll() is None:
            p.kill()
    assert p.returncode == 2 and said in err, (p.returncode, err)
    kept = count(out)
    r = cafe("titles", "-q", "--timeout", "150", "--resume", "-o", out, lists.write(u))
    assert r.returncode == 0, r.stderr
    got = [x[0] for x in query(out, "SELECT url FROM titles")]
    assert sorted(got) == sorted(u), (len(got), len(set(got)))
    return kept


def test_a_database_deleted_under_the_run_stops_it_then_resume_finishes():
    """The database file deleted under a run (a cleanup script, `rm results.sqlite*`): SQLite
    went on committing into the unlinked file, and the run ended with status 0, every row
    after the delete in a file no name led to, gone at the exit. Before each commit the
    sink now asks SQLite whether its file was moved or deleted (SQLITE_FCNTL_HAS_MOVED):
    the batch is not committed, the run stops with status 2, and --resume fetches what the
    file at the path does not hold. The gate (dbtest.Gate) holds the rows after the 300th
    until the files are gone."""
    deleted_under_a_run("deleted.sqlite", 1000, ("", "-wal", "-shm"), b"deleted or renamed")


def test_a_wal_file_deleted_under_the_run_stops_it_losing_nothing():
    """The database's -wal file alone deleted under a run (`rm *.sqlite-wal`, taken for
    litter): SQLite went on committing into the unlinked WAL, the only copy of every batch
    since its last checkpoint, and the run ended with status 0; killed before its end (or
    the machine down), every one of those rows was gone, counted as written. Before each
    commit the sink now looks at the WAL's path too: the batch is not committed, the run
    stops with status 2, what committed is copied into the database (a checkpoint: the close
    does it only as the file's last connection, and this test's own reads keep one open),
    nothing more written into the deleted WAL (its end neither), and --resume fetches the
    rest."""
    kept = deleted_under_a_run("walgone.sqlite", 600, ("-wal",),
                               b"WAL file (its -wal) was deleted")
    assert kept >= 100, kept  # what committed before the delete was copied in


def waits_for(holder, out, u):
    """A second run of u into out while holder (a connection in a transaction) holds the
    file: it waits, says so once, and writes all of u once holder commits. Its first line on
    stderr, the waiting note."""
    p = subprocess.Popen([CAFE, "titles", "-q", "-o", out, lists.write(u)],
                         stderr=subprocess.PIPE)
    try:
        ready, _, _ = select.select([p.stderr], [], [], 60)
        assert ready, "no word from cafe within 60 s"
        line = p.stderr.readline()
        assert p.poll() is None, (line, p.communicate()[1])
        holder.execute("COMMIT")
        holder.close()
        _, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 0, err
    assert query(out, "SELECT count(*) FROM titles WHERE run_id = 2") == [(len(u),)]
    return line


def test_another_writer_holding_the_database_at_start_makes_the_run_wait():
    """The same writer holding the file when cafe starts (a cron job's run beginning during
    a CREATE INDEX): the start failed after SQLite's 10 s busy timeout, "cannot write:
    database is locked", where the same lock a moment later was waited for. It is waited
    for at the start too, said once."""
    out = db_path("busystart.sqlite")
    u = [fx.url(i % SITES, f"/page/{i}") for i in range(20)]
    assert cafe("titles", "-q", "-o", out, lists.write(u[:1])).returncode == 0
    other = sqlite3.connect(out, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("CREATE TABLE mine (x)")
    line = waits_for(other, out, u)
    assert b"locked by another writer; waiting" in line, line
    assert query(out, "SELECT status FROM runs") == [("done",), ("done",)]


def test_a_reader_of_a_rollback_journal_database_is_not_called_a_writer():
    """A database in rollback-journal mode (another tool's setting, or PRAGMA journal_mode=
    DELETE after cafe made it) that a `sqlite3` shell reads in a transaction: its SHARED lock
    keeps cafe from committing, and from switching the file to WAL, until it ends. cafe
    waits, as for a writer, but said "locked by another writer" of a mere reader: the user
    looked for a writer there was none of. It says a connection reading it, and why."""
    out = db_path("reader.sqlite")
    u = [fx.url(i % SITES, f"/page/{i}") for i in range(20)]
    assert cafe("titles", "-q", "-o", out, lists.write(u[:1])).returncode == 0
    with sqlite3.connect(out) as c:
        assert c.execute("PRAGMA journal_mode=DELETE").fetchall() == [("delete",)]
    reader = sqlite3.connect(out, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM titles").fetchall() == [(1,)]
    line = waits_for(reader, out, u)
    assert b"another connection reading it" in line and b"another writer" not in line, line
    assert query(out, "PRAGMA journal_mode") == [("wal",)]


def test_a_run_being_written_is_not_resumed_by_another():
    """Two --resume runs at once into one file (a cron job overlapping its last run) both
    continued the latest run: every URL left fetched twice, and the first to end marked the
    run done while the other wrote. The writer holds its run (a lock on a byte of the file
    far past SQLite's own, gone with the process): the second is refused, fetching nothing.
    The first run waits at a gate (dbtest.Gate) until the others are done: paced by the
    fixture's delays alone, it could end first on a loaded machine."""
    gate = dbtest.Gate()
    u = [fx.url(i % SITES, f"/page/{i}?delay=5") for i in range(1200)]
    u.insert(100, gate.url)
    out = db_path("held.sqlite")
    args = [CAFE, "titles", "-q", "-c", "10", "--timeout", "150", "--resume", "-o", out,
            lists.write(u)]
    p = subprocess.Popen(args, stderr=subprocess.PIPE)
    try:
        dbtest.wait_until(lambda: count(out) >= 50 or p.poll() is not None)
        assert p.poll() is None, "the first run ended before the second began"
        r = subprocess.run(args, capture_output=True, timeout=120)
        assert r.returncode == 2, (r.returncode, r.stderr)
        assert b"being written by another" in r.stderr and b"URLs in" not in r.stderr, r.stderr
        assert query(out, "SELECT status FROM runs") == [("running",)]
        # a run of its own beside it is no conflict
        r = subprocess.run([CAFE, "titles", "-q", "-o", out, lists.write(u[:3])],
                           capture_output=True, timeout=120)
        assert r.returncode == 0, r.stderr
    finally:
        gate.close()
        _, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    got = [x[0] for x in query(out, "SELECT url FROM titles WHERE run_id = 1")]
    assert sorted(got) == sorted(u)
    assert query(out, "SELECT run_id, status FROM runs") == [(1, "done"), (2, "done")]


def test_disk_full_stops_then_resume_finishes():
    """A 400 KB tmpfs (in a mount namespace of its own) fills up mid-run."""
    mnt = db_path("small")
    os.mkdir(mnt)
    out = os.path.join(mnt, "full.sqlite")
    u = [fx.url(i % SITES, f"/page/{i}?delay=2") for i in range(3000)]
    path = lists.write(u)
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        raise Skip("no private mount namespace here")
    script = (f'mount -t tmpfs -o size=400k tmpfs "{mnt}" && "{CAFE}" titles -q -c 20 '
              f'-o "{out}" "{path}"; rc=$?; cp "{out}" "{out}-wal" "{lists.dir}/" 2>/dev/null; '
              f'exit $rc')
    r = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, timeout=300)
    assert r.returncode == 2 and b"full" in r.stderr, (r.returncode, r.stderr)
    kept = os.path.join(lists.dir, "full.sqlite")
    assert 0 < count(kept) < 3000
    r = cafe("titles", "-q", "--resume", "-o", kept, path)
    assert r.returncode == 0, r.stderr
    got = [x[0] for x in query(kept, "SELECT url FROM titles")]
    assert len(got) == len(set(got)) == 3000


def mkfs_ext4(img):
    r = subprocess.run(["mkfs.ext4", "-q", "-F", img, "64M"], capture_output=True)
    if r.returncode != 0:
        raise Skip("no mkfs.ext4 here: " + r.stderr.decode().strip())


def loop_ext4(img, mnt):
    """The ext4 image mounted through a loop device at mnt, in a private mount namespace;
    errors=remount-ro as on a real server. Skip where that cannot be made."""
    os.makedirs(mnt, exist_ok=True)
    try:
        return PrivateMount(f'mount -o loop,errors=remount-ro "{img}" "{mnt}"')
    except OSError as e:
        raise Skip(str(e))


def read_only_bind(path):
    """path bound read-only over itself, in a private mount namespace; Skip where none can
    be made."""
    try:
        return PrivateMount(f'mount --bind "{path}" "{path}" && '
                            f'mount -o remount,ro,bind "{path}"')
    except OSError as e:
        raise Skip(str(e))


def test_a_database_on_a_read_only_file_system_is_said_so():
    """A database (or its directory) on a read-only file system: SQLite falls back to a
    read-only open, and cafe said "unable to open database file (No such file or
    directory)" of a file that is there (its -shm could not be made) or of a new one, and
    "attempt to write a readonly database" of the file alone bound read-only. The stream
    sink says "Read-only file system"; so does this one now, the database left as it was."""
    d = db_path("rofs")
    os.mkdir(d)
    made = os.path.join(d, "made.sqlite")
    u = lists.write([fx.url(0, "/page/1")])
    assert cafe("titles", "-q", "-o", made, u).returncode == 0
    with open(made, "rb") as f:
        before = f.read()
    for bound, out, extra in [(d, made, []), (d, made, ["--resume"]),
                              (d, os.path.join(d, "new.sqlite"), []), (made, made, [])]:
        m = read_only_bind(bound)
        try:
            r = subprocess.run(m.inside() + [CAFE, "titles", "-q", *extra, "-o", out, u],
                               capture_output=True, timeout=60)
        finally:
            m.close()
        assert r.returncode == 2, (bound, out, r.stderr)
        assert b": Read-only file system (SQLite: " in r.stderr, (bound, out, r.stderr)
        assert b"No such file" not in r.stderr, r.stderr
    with open(made, "rb") as f:
        assert f.read() == before
    assert not os.path.exists(os.path.join(d, "new.sqlite"))


def test_file_system_goes_read_only_then_resume_finishes():
    """Mid-run the file system under the database goes read-only (ext4's own reaction to an
    error, triggered through sysfs): cafe stops with a message, every batch it committed is
    still there afterwards (synchronous=FULL), and --resume on the repaired disk finishes.
    The rows after a gate (dbtest.Gate) come once the fault is there: paced by the fixture's
    delays alone, the run could end before the fault on a loaded machine."""
    img, mnt = db_path("ro.img"), db_path("ro")
    out = os.path.join(mnt, "ro.sqlite")

    def inside_count(m):  # SQLite resolves /proc/PID/root: count with its shell, inside
        r = subprocess.run(m.inside() + ["sqlite3", out, "SELECT count(*) FROM titles"],
                           capture_output=True)
        return int(r.stdout) if r.returncode == 0 else 0
    mkfs_ext4(img)
    m = loop_ext4(img, mnt)
    gate = dbtest.Gate()
    u = [fx.url(i % SITES, f"/page/{i}?delay=10") for i in range(3000)]
    u.insert(600, gate.url)
    path = lists.write(u)
    try:
        dev = os.path.basename(m.run("findmnt", "-no", "SOURCE", mnt).strip())
        p = subprocess.Popen(m.inside() + [CAFE, "titles", "-q", "-c", "20", "--timeout", "150",
                                           "-o", out, path], stderr=subprocess.PIPE)
        try:
            dbtest.wait_until(lambda: inside_count(m) >= 300 or p.poll() is not None)
            assert p.poll() is None, ("the run ended before the fault", p.communicate())
            committed = inside_count(m)
            with open(f"/sys/fs/ext4/{dev}/trigger_fs_error", "w") as f:
                f.write("1")
        finally:
            gate.release()
        _, err = p.communicate(timeout=300)
        assert p.returncode == 2, (p.returncode, err)
        assert b"I/O error" in err or b"read-only" in err.lower(), err
        assert b"--resume continues" in err, err
    finally:
        m.close()
    m = loop_ext4(img, mnt)  # mounted again: the journal replayed, read-write
    try:
        assert committed <= inside_count(m) <= 600, (committed, inside_count(m))
        r = subprocess.run(m.inside() + [CAFE, "titles", "-q", "--resume", "-o", out, path],
                           capture_output=True, timeout=300)
        assert r.returncode == 0, r.stderr
        got = m.run("sqlite3", out, "SELECT url FROM titles").splitlines()
        assert len(got) == len(set(got)) == len(u) and set(got) == set(u), len(got)
    finally:
        m.close()
        gate.close()


def test_queue_results_export_and_drain():
    rs = RedisServer()
    try:
        urls = dbtest.queue_with_results(rs, fx, "q", 1500, SITES)
        out = db_path("queue.sqlite")
        r = cafe("queue", "results", rs.url("q"), "--db", "sqlite:" + out)
        assert r.returncode == 0, r.stderr
        assert rs.cmd("XLEN", "cafe:{q}:results") == 1500  # no --drain: kept
        r = cafe("queue", "results", rs.url("q"), "--db", "sqlite:" + out, "--drain")
        assert r.returncode == 0, r.stderr
        assert rs.cmd("XLEN", "cafe:{q}:results") == 0
        got = query(out, "SELECT run_id, url, title FROM titles")
        assert len(got) == 3000 and {x[1] for x in got} == set(urls)  # two exports, two runs
        assert sorted({x[0] for x in got}) == [1, 2]
        assert all(x[2] and x[2].startswith("Site ") for x in got)
        # -o PATH.sqlite (.sqlite3, .db) is the database, as for cafe titles: the export
        # wrote its text lines over it, the rows of a cafe titles -o PATH.sqlite gone (and
        # --drain appended them to it, then deleted them from Redis: in no database)
        urls = dbtest.queue_with_results(rs, fx, "o", 20, SITES)
        out = db_path("by-o.sqlite")
        assert cafe("titles", "-q", "-o", out, lists.write([fx.url(0, "/page/1")])).returncode == 0
        r = cafe("queue", "results", rs.url("o"), "-o", out, "--json")
        assert r.returncode == 2 and b"writes a database" in r.stderr, r.stderr
        r = cafe("queue", "results", rs.url("o"), "-o", out, "--drain")
        assert r.returncode == 0, r.stderr
        assert rs.cmd("XLEN", "cafe:{o}:results") == 0
        assert query(out, "SELECT run_id, count(*) FROM titles GROUP BY 1") == [(1, 1), (2, 20)]
    finally:
        rs.close()



def test_a_drain_waiting_for_a_locked_database_keeps_its_hold():
    """One --drain of a queue at a time: a drain holds the queue for 60 s, renewed at each
    chunk. A chunk that took longer (its commit waiting for a database another writer
    holds, as the sink waits) let the hold lapse, and the next cron drain, into another
    output, took the queue and exported the same records: each of them in both outputs
    once the first went on and deleted them. The hold is now renewed every 20 s while the
    drain runs: the second drain is refused. Another connection holds the database's write
    lock until the first drain's hold would have lapsed (its key's time to live, or 75 s)."""
    rs = RedisServer()
    try:
        urls = dbtest.queue_with_results(rs, fx, "hold", 1500, SITES)
        a, b = db_path("hold-a.sqlite"), db_path("hold-b.sqlite")
        # the tables first (another queue's export): the drain then waits at its commit
        assert cafe("queue", "results", rs.url("none"), "--db", "sqlite:" + a).returncode == 0
        other = sqlite3.connect(a, timeout=60, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        p = subprocess.Popen([CAFE, "queue", "results", rs.url("hold"), "--db", "sqlite:" + a,
                              "--drain"], stderr=subprocess.PIPE)
        try:
            ready, _, _ = select.select([p.stderr], [], [], 60)
            line = p.stderr.readline() if ready else b""
            assert b"locked by another writer; waiting" in line, line
            key, t0 = "cafe:{hold}:drainer", time.monotonic()
            dbtest.wait_until(lambda: rs.cmd("PTTL", key) == -2 or time.monotonic() > t0 + 75,
                              limit=90)
            r = cafe("queue", "results", rs.url("hold"), "--db", "sqlite:" + b, "--drain")
            assert r.returncode == 2 and b"another cafe queue results --drain" in r.stderr, r
        finally:
            other.execute("COMMIT")
            other.close()
            _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        got = [x[0] for x in query(a, "SELECT url FROM titles")]
        if os.path.exists(b):
            got += [x[0] for x in query(b, "SELECT url FROM titles")]
        assert sorted(got) == sorted(urls), (len(got), len(set(got)))
        assert rs.cmd("XLEN", "cafe:{hold}:results") == 0
    finally:
        rs.close()


def test_queue_drain_deletes_nothing_of_a_chunk_with_a_row_refused():
    """A row the table refuses is not stored: --drain must not delete it from Redis, nor the
    rest of its chunk, whose rows are stored; the export says so and exits 2."""
    rs = RedisServer()
    try:
        urls = dbtest.queue_with_results(rs, fx, "qr", 300, SITES)
        out = db_path("queue_refuse.sqlite")
        assert cafe("titles", "-q", "-o", out, lists.write(urls[:1])).returncode == 0
        with sqlite3.connect(out) as c:
            c.execute("CREATE TRIGGER no_7 BEFORE INSERT ON titles WHEN NEW.url = "
                      f"'{urls[7]}' BEGIN SELECT RAISE(ABORT, 'not this one'); END")
        r = cafe("queue", "results", rs.url("qr"), "--db", "sqlite:" + out, "--drain")
        assert r.returncode == 2 and b"not this one" in r.stderr, r.stderr
        assert b"1 row refused" in r.stderr, r.stderr
        assert rs.cmd("XLEN", "cafe:{qr}:results") == 300
        assert query(out, "SELECT count(*) FROM titles WHERE run_id = 2") == [(299,)]
    finally:
        rs.close()


def test_queue_seq_is_the_records_own():
    """An export numbered a record by the drained count it read first plus the record's
    place in the stream: entries deleted meanwhile (a drain running while another export
    reads) shifted the seqs of all after them. The worker's acknowledgement now stores the
    record's seq with it (its place among all the queue's records), and an export gives it
    that. An entry deleted by hand stands for that delete."""
    rs = RedisServer()
    try:
        dbtest.queue_with_results(rs, fx, "sq", 5, SITES)
        entries = rs.cmd("XRANGE", "cafe:{sq}:results", "-", "+")
        assert [dict(zip(f[::2], f[1::2])).get("seq") for _, f in entries] == \
            ["0", "1", "2", "3", "4"], entries
        rs.cmd("XDEL", "cafe:{sq}:results", entries[0][0])
        out = db_path("seq.sqlite")
        r = cafe("queue", "results", rs.url("sq"), "--db", "sqlite:" + out)
        assert r.returncode == 0, r.stderr
        assert [x[0] for x in query(out, "SELECT seq FROM titles ORDER BY seq")] == [1, 2, 3, 4]
    finally:
        rs.close()


def test_drain_killed_between_a_commit_and_its_delete():
    """--drain into a database commits a chunk, then deletes it from Redis. Killed between
    the two, the next drain exported the chunk again into a run of its own: its URLs had two
    rows. The chunk is noted in Redis (the run it went to) until deleted: the next drain into
    the same database continues that run, whose key keeps each URL's row once. strace kills
    the first drain as it sends the second chunk's delete, once committed (its main thread's
    24th write(): its signal pipe, the hand-shake and scripts (13), the start check's ROLE,
    the drain's hold, the note's read, the seq drains left (HGET), then per chunk XRANGE,
    hold with note, delete)."""
    import shutil
    if not shutil.which("strace"):
        raise Skip("no strace here")
    rs = RedisServer()
    try:
        urls = dbtest.queue_with_results(rs, fx, "kd", 2500, SITES)
        out = db_path("killdrain.sqlite")
        # the tables first (another queue's export), so that the count below is the drain's
        cafe("queue", "results", rs.url("none"), "--db", "sqlite:" + out, "--drain")
        r = subprocess.run(["strace", "-f", "-qq", "-o", "/dev/null", "-e",
                            "inject=write:signal=SIGKILL:when=24", CAFE, "queue",
                            "results", rs.url("kd"), "--db", "sqlite:" + out, "--drain"],
                           capture_output=True, timeout=120)
        assert r.returncode != 0, r
        rows = query(out, "SELECT count(*) FROM titles")[0][0]
        left = rs.cmd("XLEN", "cafe:{kd}:results")
        assert rows + left > 2500, (rows, left)  # a chunk committed and not deleted
        r = cafe("queue", "results", rs.url("kd"), "--db", "sqlite:" + out, "--drain")
        assert r.returncode == 0 and b"continuing its run" in r.stderr, r
        assert rs.cmd("XLEN", "cafe:{kd}:results") == 0
        got = query(out, "SELECT url FROM titles")
        assert len(got) == 2500 and {x[0] for x in got} == set(urls), len(got)
        # the continued run's seq goes on: it restarted at 0, and the rows after the chunk
        # exported again took the seqs of the chunk's rows already there
        seqs = [x[0] for x in query(out, "SELECT seq FROM titles ORDER BY seq")]
        assert seqs == list(range(2500)), (len(set(seqs)), seqs[:3], seqs[-3:])
        assert rs.cmd("HGET", "cafe:{kd}:stats", "drained") == "2500"
    finally:
        rs.close()


run_tests(globals(), cleanup=(fx.close, lists.close))
