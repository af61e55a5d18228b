"""`cafe titles --db postgresql://...` against a real PostgreSQL server of the test's own
(pg_server.py; one server start shared by every case), run by test_pg.sh."""
import json
import os
import random
import select
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.environ["CAFE_SOURCE_DIR"], "tests", "util"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.environ["CAFE_SOURCE_DIR"], "tests", "queue"))
sys.path.insert(0, os.path.join(os.environ["CAFE_SOURCE_DIR"], "tests", "serve"))
from redis_server import RedisServer  # noqa: E402
from harness import CAFE, Fixture, Skip, cafe, run_tests  # noqa: E402
from pg_server import PgServer, PgStandby, pg_bin  # noqa: E402
from pageserver import PageServer  # noqa: E402
from cutproxy import CutProxy  # noqa: E402
import dbtest  # noqa: E402
from servelib import Serve, post_job, refused_at_start, settle, wait_job  # noqa: E402

if not pg_bin():
    print("SKIP: postgresql (initdb, pg_ctl) is not installed")
    sys.exit(77)

SITES = 10
fx = Fixture("--sites", str(SITES), "--size", "5000")
pg = PgServer()
lists = dbtest.Lists()


def spec(table):
    return f"postgresql://cafe@/cafe?table={table}"


def rows(table):
    return pg.sql(f"SELECT url, title, status, run_id FROM {table} ORDER BY seq")


def count(table, db="cafe"):
    try:
        return int(pg.sql(f"SELECT count(*) FROM {table}", db=db)[0][0])
    except subprocess.CalledProcessError:  # not created yet, or the server is down
        return 0


def slow_urls(n, delay=5, first=0):
    return [fx.url(i % SITES, f"/page/{first + i}?delay={delay}") for i in range(n)]


def gated(urls, gate, at):
    """urls with the gate's URLs (dbtest.Gate) at place at: with ordered output no row after
    them is written until the gate's release, so a run the test acts on mid-run is still
    going however slow the machine (a run paced by the fixture's delays alone takes the same
    wall time on a loaded machine, where the test watching it is what slows down: the run
    could end first). Runs given a gate get --timeout 150, above its 120 s."""
    return urls[:at] + gate.urls + urls[at:]


def test_normal_run_typed_rows_and_runs_table():
    u = [fx.url(i % SITES, f"/page/{i}") for i in range(500)]
    r = cafe("titles", "-q", "--db", spec("normal"), lists.write(u), env=pg.env())
    assert r.returncode == 0, r.stderr
    got = rows("normal")
    assert [x[0] for x in got] == u
    assert all(x[1] == dbtest.title(i % SITES, i) and x[2] == "200" for i, x in enumerate(got))
    run = pg.sql("SELECT status, ended_at IS NOT NULL, options FROM runs "
                 "WHERE table_name = 'normal'")
    assert len(run) == 1 and run[0][:2] == ["done", "t"], run
    assert "--db" in run[0][2], run
    types = pg.sql("SELECT column_name, data_type FROM information_schema.columns "
                   "WHERE table_name = 'normal' AND column_name IN ('status', 'bytes')")
    assert sorted(types) == [["bytes", "bigint"], ["status", "integer"]], types
    want = {}
    for line in cafe("titles", "-q", "--json", lists.write(u)).stdout.splitlines():
        rec = json.loads(line)
        want[rec["url"]] = rec["charset_source"]
    got = json.loads(pg.sql("SELECT json_object_agg(url, charset_source) FROM normal")[0][0])
    assert got == want and None not in want.values(), list(want.items())[:2]


def test_the_uri_scheme_is_case_insensitive():
    # POSTGRESQL:// was a usage error ("expected sqlite:PATH or postgresql://..."), and libpq
    # itself takes its scheme in lower case only: cafe gives it so
    u = [fx.url(0, "/page/1")]
    for scheme in ("POSTGRESQL", "Postgres"):
        r = cafe("titles", "-q", "--db", f"{scheme}://cafe@/cafe?table=upper_scheme",
                 lists.write(u), env=pg.env())
        assert r.returncode == 0, (scheme, r.stderr)
    assert pg.sql("SELECT count(*) FROM upper_scheme") == [["2"]]


def test_a_table_named_in_capitals_is_the_one_sql_names_so():
    """?table=Folded was quoted as given: a table "Folded" beside folded, the run's rows in
    it, which `SELECT ... FROM Folded` (psql, pg_dump -t) never reads, as SQLite's name in
    any case reads one table. Now the name is folded as PostgreSQL folds it, and a table of
    the capitals an earlier cafe made is refused, naming how to rename it, nothing fetched."""
    u = [fx.url(0, f"/page/{i}") for i in range(6)]
    r = cafe("titles", "-q", "--db", spec("folded"), lists.write(u[:3]), env=pg.env())
    assert r.returncode == 0, r.stderr
    r = cafe("titles", "-q", "--db", spec("Folded"), lists.write(u), env=pg.env())
    assert r.returncode == 0, r.stderr
    assert count("Folded") == 9 and count('"Folded"') == 0, count('"Folded"')
    assert pg.sql("SELECT DISTINCT table_name FROM runs WHERE table_name ILIKE 'folded'") == [
        ["folded"]]
    # an earlier cafe's run into "Capitals", killed after 3 rows: refused, then renamed as
    # the message says, --resume continues that run
    r = cafe("titles", "-q", "--db", spec("cap"), lists.write(u[:3]), env=pg.env())
    assert r.returncode == 0, r.stderr
    pg.sql('ALTER TABLE cap RENAME TO "Capitals"; UPDATE runs SET table_name = \'Capitals\', '
           "status = 'running', ended_at = NULL WHERE table_name = 'cap'")
    r = cafe("titles", "-q", "--resume", "--db", spec("Capitals"), lists.write(u),
             env=pg.env())
    said = b'ALTER TABLE "Capitals" RENAME TO capitals; UPDATE runs SET table_name = \'capitals\''
    assert r.returncode == 2 and said in r.stderr, r.stderr
    assert count('"Capitals"') == 3 and count("capitals") == 0  # nothing made nor fetched
    pg.sql(r.stderr.decode().split("(ALTER")[1].rsplit(")", 1)[0].join(["ALTER", ""]))
    r = cafe("titles", "-q", "--resume", "--db", spec("Capitals"), lists.write(u),
             env=pg.env())
    assert r.returncode == 0, r.stderr
    assert pg.sql("SELECT count(*), count(DISTINCT run_id) FROM capitals") == [["6", "1"]]


def test_url_given_twice_is_one_row_and_done_for_resume():
    """A batch goes in by COPY; a URL given twice breaks the key, and that batch goes again
    as INSERT ... ON CONFLICT DO NOTHING: one row for the URL, every other row there."""
    u = [fx.url(i % SITES, f"/page/{i}") for i in range(300)]
    path = lists.write(u[:100] + [u[5]] + u[100:] + [u[250]])
    r = cafe("titles", "-q", "--db", spec("twice"), path, env=pg.env())
    assert r.returncode == 0, r.stderr
    got = [x[0] for x in rows("twice")]
    assert len(got) == len(set(got)) == 300 and set(got) == set(u), len(got)
    r = cafe("titles", "--resume", "--db", spec("twice"), path, env=pg.env())
    assert r.returncode == 0 and b"302 already done" in r.stderr, r.stderr


def test_a_url_given_twice_into_a_table_routed_by_a_trigger_is_one_row():
    """A results table partitioned the older way: a BEFORE INSERT trigger routes each row into
    a table inheriting it, keyed as cafe's, and returns NULL. The second line of a URL met
    that table's key from inside the trigger, which the ON CONFLICT on the parent does not
    see: its row, there, was named as refused (duplicate key) and the run failed, exit 2. A
    row refused whose URL the run holds is no refused row."""
    pg.sql("CREATE DATABASE routed OWNER cafe", db="postgres")
    uri = "postgresql://cafe@/routed?table=routed"
    assert cafe("titles", "-q", "--db", uri, lists.write([fx.url(0, "/page/0")]),
                env=pg.env()).returncode == 0
    cols = ("run_id, seq, url, final_url, status, title, content_type, charset, "
            "charset_source, bytes, time_ms, attempts, error")
    new = ", ".join("NEW." + c for c in cols.split(", "))
    pg.sql("CREATE TABLE routed_2 () INHERITS (routed); ALTER TABLE routed_2 ADD PRIMARY KEY "
           "(run_id, url_sha256); CREATE FUNCTION route() RETURNS trigger LANGUAGE plpgsql AS "
           f"$$ BEGIN INSERT INTO routed_2 ({cols}) VALUES ({new}); RETURN NULL; END $$; "
           "CREATE TRIGGER route BEFORE INSERT ON routed FOR EACH ROW EXECUTE FUNCTION route()",
           db="routed")
    u = [fx.url(i % SITES, f"/page/{i}") for i in range(30)]
    path = lists.write(u[:20] + [u[3]] + u[20:])
    r = cafe("titles", "-q", "--db", uri, path, env=pg.env())
    assert r.returncode == 0, r.stderr
    got = pg.sql("SELECT url FROM ONLY routed_2 WHERE run_id = 2", db="routed")
    assert sorted(x[0] for x in got) == sorted(u), got
    r = cafe("titles", "--resume", "--db", uri, path, env=pg.env())
    assert r.returncode == 0 and b"31 already done" in r.stderr, r.stderr


def test_signals_then_resume_one_row_per_url():
    """SIGINT, SIGTERM, SIGKILL mid-run, each followed by --resume (every other one with
    other options): one row per URL in one run, each row's seq its line's place. Each round
    waits at a gate of its own (gated) until its signal: paced by delays alone, a round
    could end, or do the rows the next round needs, before a slowed test signalled. A
    round's gate is one URL per slot of its -c (dbtest.Gate's origins): it fetches nothing
    past them, so that the finished records a signal writes out of order, and the
    --unordered round's, stay before the next round's gate."""
    gates = [dbtest.Gate(origins=20), dbtest.Gate(origins=13), dbtest.Gate(origins=20)]
    u = gated(gated(gated(slow_urls(2000, first=10000), gates[2], 1400), gates[1], 900),
              gates[0], 400)  # rounds stop by 400, 920 and 1433 rows: 300 more each
    path = lists.write(u)
    args = ["titles", "-q", "--timeout", "150", "--db", spec("resumed"), path]
    try:
        for k, sig in enumerate([signal.SIGINT, signal.SIGTERM, signal.SIGKILL]):
            other = ["-c", "20"] if k % 2 == 0 else ["-c", "13", "--unordered"]
            base = count("resumed")  # rows of earlier rounds: this round's must come on top
            p = subprocess.Popen([CAFE, *args, *other] + (["--resume"] if k else []),
                                 env=pg.env(), stderr=subprocess.PIPE)
            dbtest.wait_until(lambda: count("resumed") >= base + 300 or p.poll() is not None,
                              state=lambda: f"{count('resumed')} rows, exit {p.poll()}")
            assert p.poll() is None, ("the run ended before the signal", p.communicate())
            p.send_signal(sig)
            gates[k].release()
            _, err = p.communicate(timeout=300)
            assert p.returncode == -sig, (p.returncode, err)  # stopped, then died of it
            status = pg.sql("SELECT status FROM runs WHERE table_name = 'resumed'")
            assert status == [["running" if sig == signal.SIGKILL else "interrupted"]], status
    finally:
        for g in gates:
            g.close()
    r = cafe(*args, "--resume", env=pg.env())
    assert r.returncode == 0, r.stderr
    got = pg.sql("SELECT url, seq, run_id FROM resumed")
    assert len(got) == len({x[0] for x in got}) == len(u) and {x[0] for x in got} == set(u)
    assert all(u[int(x[1])] == x[0] for x in got)  # seq: the line's place, resumed or not
    assert len({x[2] for x in got}) == 1  # one run, continued
    assert pg.sql("SELECT status FROM runs WHERE table_name = 'resumed'") == [["done"]]
    # each --resume's command line is kept, the first run's in runs.options
    opts = pg.sql("SELECT r.options FROM run_resumes r JOIN runs USING (run_id) "
                  "WHERE table_name = 'resumed' ORDER BY resumed_at")
    assert [json.loads(o[0]).count("--unordered") for o in opts] == [1, 0, 0], opts
    first = pg.sql("SELECT options FROM runs WHERE table_name = 'resumed'")[0][0]
    assert "--resume" not in json.loads(first), first


def during_run(table, n, action, extra_env=None, expect=0):
    """Starts a run of n URLs and a gate (gated: rows after the 300th wait for it), does
    action once some rows committed, then opens the gate and waits for the end; returns
    cafe's stderr and the URLs."""
    gate = dbtest.Gate()
    u = gated(slow_urls(n, first=20000 + 10000 * len(table)), gate, 300)
    p = subprocess.Popen([CAFE, "titles", "-q", "-c", "20", "--timeout", "150", "--db",
                          spec(table), lists.write(u)], env=pg.env(**(extra_env or {})),
                         stderr=subprocess.PIPE)
    try:
        dbtest.wait_until(lambda: count(table) >= 200 or p.poll() is not None)
        assert p.poll() is None, ("the run ended before the fault", p.communicate())
        action()
        gate.release()
        _, err = p.communicate(timeout=300)
    finally:
        gate.close()
        if p.poll() is None:
            p.kill()
    assert p.returncode == expect, (p.returncode, err)
    if expect == 0:
        got = [x[0] for x in rows(table)]
        assert len(got) == len(set(got)) == len(u) and set(got) == set(u), (len(got),
                                                                          len(set(got)))
    return err, u


def test_server_killed_and_restarted_mid_run():
    def restart():
        pg.stop("immediate")
        pg.start()
    err, _ = during_run("killed", 2000, restart)
    assert b"reconnecting" in err, err
    # the message names the command, as its others do (tests/cli/messages_e2e.py)
    assert all(l.startswith(b"cafe titles: ") for l in err.splitlines()), err


def test_terminate_backend_mid_run():
    def terminate():
        pids = pg.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE application_name = 'cafe'")
        assert pids == [["t"]], pids
    err, _ = during_run("terminated", 2000, terminate)
    assert b"reconnecting" in err, err


def test_a_table_renamed_mid_run_then_resume_makes_it_again():
    """The results table renamed under a run (a monthly rotation: ALTER TABLE titles RENAME
    TO titles_2026_11): the run stops, naming the table gone, exit 2; what it committed is
    in the renamed table. --resume made the table again, but its key's name,
    <table>_run_url, was the renamed table's index's still: "relation ... already exists",
    exit 2, and every later run into that table name alike. The key is named so when the
    name is free, else PostgreSQL names it; batches find it by its columns, a URL given
    twice one row as before."""
    def rotate():
        pg.sql("ALTER TABLE rotated RENAME TO rotated_2026_11")
    err, u = during_run("rotated", 700, rotate, expect=2)
    assert b'relation "rotated" does not exist' in err and b"--resume" in err, err
    kept = count("rotated_2026_11")
    assert kept >= 200, kept
    r = cafe("titles", "--resume", "--db", spec("rotated"), lists.write(u + [u[3]]),
             env=pg.env())
    assert r.returncode == 0, r.stderr
    got = [x[0] for x in rows("rotated")]
    assert len(got) == len(set(got)) == len(u) and set(got) == set(u), len(got)
    assert count("rotated_2026_11") == kept  # the renamed table is left as it was
    assert pg.sql("SELECT count(*) FROM pg_constraint WHERE conrelid = 'rotated'::regclass "
                  "AND contype = 'p'") == [["1"]]


def lock_table(table):
    """Another session (psql) holding table ACCESS EXCLUSIVE in an open transaction, as an
    ALTER, a VACUUM FULL or a forgotten LOCK TABLE does. Returns its psql (COMMIT on its stdin
    releases the lock) and its server process id."""
    lock = subprocess.Popen([os.path.join(pg_bin(), "psql"), "-X", "-q", "-A", "-t", "-h",
                             pg.dir, "-U", "cafe", "-d", "cafe"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    lock.stdin.write(f"BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE; "
                     "SELECT pg_backend_pid();\n".encode())
    lock.stdin.flush()
    return lock, int(lock.stdout.readline())


def stderr_until(p, want, limit=120):
    """Reads p's stderr until it holds want (at most limit s; p must not end first). Returns
    what it read, which p.communicate() then no longer returns."""
    got, end, fd = b"", time.monotonic() + limit, p.stderr.fileno()
    while want not in got:
        left = end - time.monotonic()
        assert left > 0, ("not said", want, got)
        if select.select([fd], [], [], left)[0]:
            chunk = os.read(fd, 65536)
            assert chunk, ("ended without saying it", want, got, p.wait())
            got += chunk
    return got


def said_blocked(table, pid):
    """What cafe says of a statement waiting for the lock lock_table(table) took (pid)."""
    return (f": waiting for a lock: relation {table}, held by pid {pid} (user cafe, "
            "application psql, idle in transaction, its transaction open for ").encode()


def locked_at_start(table, pgoptions, said, locked=None):
    """A run begun while another session holds its table (or the table locked, runs) locked
    (lock_table), under PGOPTIONS pgoptions: it must say so, said(stderr, pid) checking the
    words, go on waiting, and end well once the lock goes, its rows there. Returns cafe's
    stderr."""
    u = [fx.url(0, "/page/1"), fx.url(1, "/page/2")]
    assert cafe("titles", "-q", "--db", spec(table), lists.write(u[:1]),
                env=pg.env()).returncode == 0
    lock, pid = lock_table(locked or table)
    p = subprocess.Popen([CAFE, "titles", "-q", "--db", spec(table), lists.write(u)],
                         env=pg.env(PGOPTIONS=pgoptions), stderr=subprocess.PIPE)
    try:
        err = stderr_until(p, b"\n")
        said(err, pid)
        assert p.poll() is None, p.communicate()
        lock.stdin.write(b"COMMIT;\n")
        lock.stdin.close()
        lock.wait(timeout=60)
        err += p.communicate(timeout=300)[1]
    finally:
        if lock.poll() is None:
            lock.kill()
        if p.poll() is None:
            p.kill()
    assert p.returncode == 0, err
    assert count(table) == 3
    return err


def test_a_lock_at_start_is_said_naming_its_holder():
    """A results table another session holds locked (an ALTER, a transaction left open after
    LOCK TABLE) when a run begins: cafe waited in silence, nothing fetched and nothing said,
    for as long as the lock was held: a cafe that looked hung. After 2 s it says what it
    waits for and who holds it (its pid, user, application), and goes on once it is
    released."""
    def said(err, pid):
        assert err.startswith(b"cafe titles: postgresql://cafe@/cafe") and \
            said_blocked("startlock", pid) in err and err.endswith(b"released\n"), err
    err = locked_at_start("startlock", "", said)
    assert err.count(b"waiting for a lock") == 1, err


def test_a_lock_at_start_with_a_lock_timeout_is_waited_for():
    """With a role's lock_timeout, the plan of the batch INSERT at the start was cancelled
    ("canceling statement due to lock timeout") and the run failed, exit 2, where the same
    lock mid-run is waited for (test_lock_timeout_on_a_locked_table_waits_as_without_one):
    the start waits for it too, saying so once."""
    def said(err, pid):
        assert b"due to lock timeout" in err and err.endswith(b"waiting for the lock\n"), err
    err = locked_at_start("startlt", "-c lock_timeout=100", said)
    assert err.count(b"lock timeout") == 1, err


def test_a_locked_runs_table_at_start_with_a_lock_timeout_is_waited_for():
    """The same for the runs table: the run's row, inserted at the start, was cancelled by
    the role's lock_timeout and the run failed, exit 2, nothing fetched, where without a
    lock_timeout it is waited for."""
    def said(err, pid):
        assert b"due to lock timeout" in err and b"INSERT INTO runs" in err and \
            err.endswith(b"waiting for the lock\n"), err
    err = locked_at_start("startruns", "-c lock_timeout=100", said, locked="runs")
    assert err.count(b"lock timeout") == 1, err


def test_a_lock_mid_run_is_said_naming_its_holder():
    """The same for a batch whose table another session locks mid-run: it waited without a
    word (only a role's lock_timeout made cafe say it)."""
    held = {}

    def said(p):
        held["err"] = stderr_until(p, b"released\n")
    err = locked_mid_run("midlock", "", said, held)
    assert said_blocked("midlock", held["pid"]) in held["err"], held["err"] + err


def locked_mid_run(table, pgoptions, while_locked, held=None):
    """A run of slow URLs whose table another session locks (ACCESS EXCLUSIVE, as an ALTER, a
    VACUUM FULL or a CREATE INDEX take it) once 200 rows are in, under PGOPTIONS pgoptions;
    while_locked(p) watches the run meanwhile, then the lock goes; held["pid"] (when held is
    given) is the locking session's server process id. Returns cafe's stderr (what
    while_locked did not read),
    checking the run ended well with every row once. The rows after the 300th wait for a
    gate (gated) opened once the lock is held: the run has rows left to write then."""
    gate = dbtest.Gate()
    u = gated(slow_urls(1500, first=150000 + 20000 * len(table)), gate, 300)
    p = subprocess.Popen([CAFE, "titles", "-q", "-c", "20", "--timeout", "150", "--db",
                          spec(table), lists.write(u)], env=pg.env(PGOPTIONS=pgoptions),
                         stderr=subprocess.PIPE)
    lock = None
    try:
        dbtest.wait_until(lambda: count(table) >= 200 or p.poll() is not None)
        assert p.poll() is None, ("the run ended before the lock", p.communicate())
        lock, pid = lock_table(table)
        if held is not None:
            held["pid"] = pid
        gate.release()
        while_locked(p)
        assert p.poll() is None, p.communicate(timeout=60)[1]
        lock.stdin.write(b"COMMIT;\n")
        lock.stdin.close()
        lock.wait(timeout=60)
        _, err = p.communicate(timeout=300)
    finally:
        gate.close()
        if lock and lock.poll() is None:
            lock.kill()
        if p.poll() is None:
            p.kill()
    assert p.returncode == 0, err
    got = [x[0] for x in rows(table)]
    assert len(got) == len(set(got)) == len(u) and set(got) == set(u), len(got)
    return err


def test_lock_timeout_on_a_locked_table_waits_as_without_one():
    """With a lock_timeout, which DBAs set for their roles so that no session queues behind
    DDL, the server cancels the COPY waiting for a locked table ("canceling statement due to
    lock timeout", 55P03) and cafe gave up the run, exit 2. Such a batch is tried again until
    the lock goes."""
    def timeouts():
        with open(pg.log, "rb") as f:
            return f.read().count(b"due to lock timeout")

    before = timeouts()  # the server's log holds the earlier cases' too

    def three_timeouts(p):
        dbtest.wait_until(lambda: timeouts() >= before + 3 or p.poll() is not None,
                          state=lambda: f"{timeouts() - before} lock timeouts, exit {p.poll()}")
    err = locked_mid_run("lt", "-c lock_timeout=100", three_timeouts)
    assert err.count(b"lock timeout") == 1 and b"waiting" in err, err  # said once


def test_statement_timeout_does_not_cut_a_batch_waiting_for_a_lock():
    """A role's statement_timeout (a DBA's guard against long queries) cancelled the batch
    waiting for a locked table ("canceling statement due to statement timeout", 57014, the
    code an administrator's pg_cancel_backend sends too) and the run ended, exit 2; a batch
    slower than the timeout would have failed every --resume alike. cafe's statements have
    no time limit, as pg_dump's: the batch waits for the lock as it does without one."""
    def waits_on_the_lock(p):
        waiting = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cafe' " \
                  "AND wait_event_type = 'Lock'"
        dbtest.wait_until(lambda: pg.sql(waiting) == [["1"]] or p.poll() is not None)
        end = time.monotonic() + 1  # ten of the role's timeouts
        while time.monotonic() < end and p.poll() is None:
            select.select([], [], [], 0.05)
    locked_mid_run("st", "-c statement_timeout=100", waits_on_the_lock)


def test_synchronous_commit_off_on_the_role_does_not_make_batches_written_early():
    """A role or database with synchronous_commit = off (set for speed: a commit is
    acknowledged before its WAL is on the disk, and a server crash loses the last ones):
    cafe counted a batch written once committed, `cafe queue results --drain` deleted its
    records from Redis then, and a crash of the server lost them from both. cafe's session
    raises it to on (only from off: a DBA's remote_apply stays), as SQLite's sink sets
    synchronous=FULL. A trigger of the table notes the setting each batch met."""
    assert cafe("titles", "-q", "--db", spec("async"), lists.write([fx.url(0, "/page/1")]),
                env=pg.env()).returncode == 0  # makes the table
    pg.sql("CREATE TABLE async_seen (v text); CREATE FUNCTION async_note() RETURNS trigger "
           "LANGUAGE plpgsql AS $$BEGIN INSERT INTO async_seen "
           "VALUES (current_setting('synchronous_commit')); RETURN NULL; END$$; "
           "CREATE TRIGGER async_note AFTER INSERT ON async FOR EACH STATEMENT "
           "EXECUTE FUNCTION async_note()")
    u = lists.write([fx.url(i % SITES, f"/page/{190000 + i}") for i in range(20)])
    for setting, want in (("off", "on"), ("remote_apply", "remote_apply")):
        pg.sql("DELETE FROM async_seen")
        r = cafe("titles", "-q", "--db", spec("async"), u,
                 env=pg.env(PGOPTIONS=f"-c synchronous_commit={setting}"))
        assert r.returncode == 0, r.stderr
        assert pg.sql("SELECT DISTINCT v FROM async_seen") == [[want]], setting


def test_a_stop_while_the_table_is_locked_is_bounded():
    """SIGTERM while another session holds the results table locked (a long ALTER, a
    forgotten transaction): the stop's last batch waited for the lock, as a run does, for as
    long as the lock was held; only a second signal ended cafe. A stop waits 10 s at most:
    then cafe ends, exit 2 (not 143: not every finished record was written), saying so. The
    batch it sent may still commit when the lock goes (its session lives until then,
    holding the run); --resume, after, writes what is missing, every row once."""
    gate = dbtest.Gate()
    u = gated(slow_urls(600, first=200000), gate, 300)
    path = lists.write(u)
    p = subprocess.Popen([CAFE, "titles", "-q", "-c", "20", "--timeout", "150", "--db",
                          spec("stoplock"), path], env=pg.env(PGAPPNAME="cafe-stoplock"),
                         stderr=subprocess.PIPE)
    lock = subprocess.Popen([os.path.join(pg_bin(), "psql"), "-X", "-q", "-A", "-t", "-h",
                             pg.dir, "-U", "cafe", "-d", "cafe"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    waiting = "SELECT count(*) FROM pg_stat_activity WHERE application_name = " \
        "'cafe-stoplock' AND wait_event_type = 'Lock'"
    try:
        dbtest.wait_until(lambda: count("stoplock") >= 300 or p.poll() is not None)
        assert p.poll() is None, ("the run ended before the lock", p.communicate())
        lock.stdin.write(b"BEGIN; LOCK TABLE stoplock IN ACCESS EXCLUSIVE MODE; "
                         b"SELECT 'locked';\n")
        lock.stdin.flush()
        assert lock.stdout.readline().strip() == b"locked"
        gate.release()
        dbtest.wait_until(lambda: pg.sql(waiting) == [["1"]] or p.poll() is not None)
        assert p.poll() is None, p.communicate()
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=120)  # the lock is still held
        assert p.returncode == 2, (p.returncode, err)
        assert b"stopped while waiting for the database" in err, err
    finally:
        gate.close()
        if lock.poll() is None:
            lock.stdin.write(b"COMMIT;\n")
            lock.stdin.close()
            lock.wait(timeout=60)
        if p.poll() is None:
            p.kill()
    dbtest.wait_until(lambda: count("(SELECT 1 FROM pg_stat_activity WHERE application_name "
                                    "= 'cafe-stoplock') s") == 0)
    assert pg.sql("SELECT status FROM runs WHERE table_name = 'stoplock'") == [["running"]]
    r = cafe("titles", "-q", "-c", "20", "--resume", "--db", spec("stoplock"), path,
             env=pg.env())
    assert r.returncode == 0, r.stderr
    got = [x[0] for x in rows("stoplock")]
    assert len(got) == len(set(got)) and set(got) == set(u), len(got)
    assert pg.sql("SELECT status FROM runs WHERE table_name = 'stoplock'") == [["done"]]


def test_notices_of_the_login_do_not_reach_the_terminal():
    """A role's client_min_messages = debug (a DBA tracing a problem) has the server send
    notices while the session starts: libpq's default processor wrote them to stderr as they
    came, unescaped, before cafe set its own; notices are the server talking to itself."""
    r = cafe("titles", "-q", "--db", spec("debugmsg"), lists.write([fx.url(0, "/page/1")]),
             env=pg.env(PGOPTIONS="-c client_min_messages=debug5"))
    assert r.returncode == 0 and r.stderr == b"", r.stderr


def test_a_role_without_standard_conforming_strings_writes_its_tables():
    """A role (or database) set for an old application, standard_conforming_strings = off:
    a backslash in a string literal is an escape there, and the new table's key (a
    generated column over replace(url, '\\', '\\\\')) was a syntax error: cafe refused to
    start. cafe's session sets it on, as pg_dump does."""
    u = lists.write([fx.url(i % SITES, f"/page/{210000 + i}") for i in range(4)])
    env = pg.env(PGOPTIONS="-c standard_conforming_strings=off")
    for resume in ([], ["--resume"]):
        r = cafe("titles", "-q", *resume, "--db", spec("oldstrings"), u, env=env)
        assert r.returncode == 0, (resume, r.stderr)
    assert count("oldstrings") == 4


def test_a_role_with_array_nulls_off_stores_nulls_not_the_word():
    """A role (or database) set for an old application, array_nulls = off: an unquoted NULL
    in an array literal is the text "NULL" there. A batch goes by INSERT (one array a
    column) when COPY cannot take it (a URL given twice, a row refused, and always into a
    view, as here): each success's error was stored as the text "NULL", a failure to
    --resume, --fail and every query, and a failure's row (no status) was refused
    ("invalid input syntax for type integer: "NULL""). cafe's session sets it on."""
    ok = [fx.url(i % SITES, f"/page/{212000 + i}") for i in range(4)]
    down = "http://127.0.0.1:1/"
    path = lists.write(ok + [down])
    assert cafe("titles", "-q", "--db", spec("oldnulls_2026"), lists.write(ok[:1]),
                env=pg.env()).returncode == 0
    pg.sql("CREATE VIEW oldnulls AS SELECT * FROM oldnulls_2026")
    env = pg.env(PGOPTIONS="-c array_nulls=off")
    r = cafe("titles", "-q", "--db", spec("oldnulls"), path, env=env)
    assert r.returncode == 0, r.stderr
    got = pg.sql("SELECT url, status IS NULL, error IS NULL, content_type IS NULL FROM oldnulls "
                 "WHERE run_id = (SELECT max(run_id) FROM oldnulls) ORDER BY seq")
    assert got == [[x, "f", "t", "f"] for x in ok] + [[down, "t", "f", "t"]], got
    r = cafe("titles", "--resume", "--db", spec("oldnulls"), path, env=env)
    assert r.returncode == 0 and b"5 already done, 1 of them failed" in r.stderr, r.stderr


def test_connection_lost_on_cafes_side_only_is_taken_up_again():
    """A connection lost on cafe's side while the server's session lives on (a network fault
    the server has not noticed yet: its TCP keepalive waits two hours by default) keeps the
    run's advisory lock with that session. cafe reconnected, could not take its own run
    again and gave up: "being written by another cafe", and so did every --resume until the
    server dropped the session. The session still holding the run is cafe's own earlier one
    (its backend's pid, holding the run's lock): ended, and the run goes on."""
    px = CutProxy(os.path.join(pg.dir, ".s.PGSQL.5432"))
    gate = dbtest.Gate()
    try:
        u = gated(slow_urls(1500, first=170000), gate, 300)
        uri = f"postgresql://cafe@127.0.0.1:{px.port}/cafe?table=cut&sslmode=disable"
        p = subprocess.Popen([CAFE, "titles", "-q", "-c", "20", "--timeout", "150", "--db", uri,
                              lists.write(u)], env=pg.env(), stderr=subprocess.PIPE)
        dbtest.wait_until(lambda: count("cut") >= 200 or p.poll() is not None)
        assert p.poll() is None, ("the run ended before the fault", p.communicate())
        assert px.cut() == 1
        gate.release()
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        assert b"reconnecting" in err, err
        got = [x[0] for x in rows("cut")]
        assert len(got) == len(set(got)) == len(u) and set(got) == set(u), len(got)
        assert pg.sql("SELECT status FROM runs WHERE table_name = 'cut'") == [["done"]]
    finally:
        gate.close()
        px.close()


def taken_while_disconnected(table, go_on):
    """A run (A) whose session the server ends while A waits at a gate, and a --resume (B)
    begun then, which takes the run and waits at a gate of its own (its first URL); then
    go_on(a, gate_a) makes A go on, and A must stop without writing into B's run (exit 2,
    saying so), which B then completes."""
    gate_a, gate_b = dbtest.Gate(), dbtest.Gate()
    u = slow_urls(600, first=180000 + 1000 * len(table))
    a = subprocess.Popen([CAFE, "titles", "-q", "-c", "20", "--timeout", "150", "--db",
                          spec(table), lists.write(gated(u, gate_a, 300))],
                         env=pg.env(PGAPPNAME=f"cafe-{table}"), stderr=subprocess.PIPE)
    b = None
    status = f"SELECT status FROM runs WHERE table_name = '{table}'"
    try:
        dbtest.wait_until(lambda: count(table) >= 300 or a.poll() is not None)
        assert a.poll() is None, ("the run ended before the fault", a.communicate())
        assert pg.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      f"WHERE application_name = 'cafe-{table}'") == [["t"]]
        b = subprocess.Popen([CAFE, "titles", "-q", "-c", "20", "--timeout", "150", "--resume",
                              "--db", spec(table),
                              lists.write(gated(gated(u, gate_a, 300), gate_b, 0))],
                             env=pg.env(), stderr=subprocess.PIPE)
        dbtest.wait_until(lambda: count("run_resumes WHERE run_id IN (SELECT run_id FROM runs "
                                        f"WHERE table_name = '{table}')") == 1 or b.poll()
                          is not None)
        assert b.poll() is None, ("the resume ended before A went on", b.communicate())
        written = count(table)
        go_on(a, gate_a)
        _, err = a.communicate(timeout=300)
        assert a.returncode == 2, (a.returncode, err)
        assert b"was taken by another cafe" in err and b"--resume continues" not in err, err
        assert count(table) == written  # A wrote no row into B's run
        assert pg.sql(status) == [["running"]]
        gate_a.release()
        gate_b.release()
        _, err = b.communicate(timeout=300)
        assert b.returncode == 0, err
    finally:
        gate_a.close()
        gate_b.close()
        for p in (a, b):
            if p and p.poll() is None:
                p.kill()
    got = [x[0] for x in rows(table)]
    want = gated(gated(u, gate_a, 300), gate_b, 0)
    assert len(got) == len(set(got)) and set(got) == set(want), len(got)
    assert pg.sql(status) == [["done"]]


def test_a_database_dropped_mid_run_fails_at_once():
    """DROP DATABASE ... WITH (FORCE) mid-run ends cafe's session (57P01) and every new
    connection is refused, "database does not exist" (SQLSTATE 3D000): cafe reconnected with
    backoff for 2 minutes, as after a server restart, before failing. A login refused for good
    fails at once, saying so, with exit 2; the rows committed before stay (in the database
    dropped: there is nothing to keep them in)."""
    pg.sql("CREATE DATABASE dropped OWNER cafe", db="postgres")
    gate = dbtest.Gate()
    p = subprocess.Popen([CAFE, "titles", "-q", "-c", "20", "--timeout", "150", "--db",
                          "postgresql://cafe@/dropped", lists.write(gated(slow_urls(600), gate,
                                                                           300))],
                         env=pg.env(), stderr=subprocess.PIPE)
    try:
        dbtest.wait_until(lambda: count("titles", db="dropped") >= 200 or p.poll() is not None)
        assert p.poll() is None, ("the run ended before the drop", p.communicate())
        pg.sql("DROP DATABASE dropped WITH (FORCE)", db="postgres")
        gate.release()
        _, err = p.communicate(timeout=300)
    finally:
        gate.close()
        if p.poll() is None:
            p.kill()
    assert p.returncode == 2, (p.returncode, err)
    assert b"refused the login for good" in err and b'database "dropped" does not exist' in err \
        and b"gave up after" not in err and b"3D000" not in err and b"LOCATION" not in err, err


def test_a_run_taken_by_a_resume_while_disconnected_is_not_written_into():
    """While cafe's connection is lost no session holds its run: a --resume begun then takes
    it. cafe reconnected, could not take the run again, and still wrote into it: the run's
    end ("failed") over the resumer's "running". On reconnecting, the run's lock is taken
    again before anything is written; held by another session, cafe stops writing (exit 2,
    saying so) and writes nothing more: what it had not committed is the resumer's to
    fetch."""
    taken_while_disconnected("taken", lambda a, gate_a: gate_a.release())


def test_a_run_taken_by_a_resume_while_disconnected_is_not_ended_by_its_stop():
    """The same when A, with nothing left to write, is stopped (SIGTERM): its end
    ("interrupted") is the first statement of its new connection, refused as a write would
    be; the message said "--resume continues", which the run being B's is not for A."""
    taken_while_disconnected("takenend", lambda a, gate_a: a.send_signal(signal.SIGTERM))


def test_a_server_that_vanishes_silently_is_noticed_in_bounded_time():
    """A server (or the path to it) gone without a reset (a machine powered off, a NAT or
    firewall that dropped the connection's state): a batch sent was never acknowledged, and
    libpq waited for its reply while TCP retransmitted it for about 15 minutes
    (tcp_retries2); the keepalives cafe sets probe only an idle connection. cafe now ends
    a connection whose send queue holds bytes while nothing was acknowledged for 30 s
    (TCP_INFO, looked at every 10 s of a wait), and the run reconnects. Here the proxy's
    address, 127.0.0.2, is made a blackhole route (packets to it
    dropped, no reset) once rows are committed and the gate opens; when cafe says it is
    reconnecting, the route goes and the run ends with every URL once."""
    route = ["ip", "route", "add", "blackhole", "127.0.0.2/32", "table", "local"]
    px = CutProxy(os.path.join(pg.dir, ".s.PGSQL.5432"), host="127.0.0.2")
    gate = dbtest.Gate()
    p = None
    try:
        u = gated(slow_urls(1500, first=180000), gate, 300)
        uri = f"postgresql://cafe@127.0.0.2:{px.port}/cafe?table=vanish&sslmode=disable"
        p = subprocess.Popen([CAFE, "titles", "-q", "-c", "20", "--timeout", "150", "--db", uri,
                              lists.write(u)], env=pg.env(), stderr=subprocess.PIPE)
        dbtest.wait_until(lambda: count("vanish") >= 200 or p.poll() is not None)
        assert p.poll() is None, ("the run ended before the fault", p.communicate())
        r = subprocess.run(route, capture_output=True)
        if r.returncode != 0:
            raise Skip(f"no blackhole route here: {r.stderr.decode().strip()}")
        gate.release()
        err, deadline = b"", time.monotonic() + 90
        while b"reconnecting" not in err and time.monotonic() < deadline:
            ready, _, _ = select.select([p.stderr], [], [], deadline - time.monotonic())
            chunk = os.read(p.stderr.fileno(), 4096) if ready else b""
            if not chunk:
                break
            err += chunk
        subprocess.run(["ip", "route", "del", *route[3:]], check=True)
        assert b"reconnecting" in err, ("not noticed within 90 s", err)
        _, rest = p.communicate(timeout=300)
        assert p.returncode == 0, err + rest
        got = [x[0] for x in rows("vanish")]
        assert len(got) == len(set(got)) == len(u) and set(got) == set(u), len(got)
    finally:
        subprocess.run(["ip", "route", "del", *route[3:]], capture_output=True)
        if p and p.poll() is None:
            p.kill()
            p.communicate()
        gate.close()
        px.close()


def test_a_server_alive_but_not_reading_is_waited_for():
    """A server alive but not reading a batch for a while (a stalled disk, a row lock its
    insert waits for): its kernel acknowledges the window probes of a full window.
    tcp_user_timeout (which Linux applies to a window that stays closed too) ended such a
    connection after 30 s, and the run reconnected and sent the batch again, or gave up
    after 2 minutes of it, where it should wait as for a locked table. cafe now ends a
    connection only when its peer acknowledges nothing for 30 s while data waits for it
    (TCP_INFO). The proxy stops reading cafe's bytes for 45 s while a batch of long URLs
    (far more than the sockets' buffers) is sent; no reconnection, every URL once."""
    px = CutProxy(os.path.join(pg.dir, ".s.PGSQL.5432"))
    px.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)  # the accepted inherit it
    gate = dbtest.Gate()
    p = None
    try:
        pad = "x" * 7000
        u = gated([fx.url(i % SITES, f"/page/{190000 + i}?{pad}") for i in range(3000)],
                  gate, 300)
        uri = f"postgresql://cafe@127.0.0.1:{px.port}/cafe?table=stalled&sslmode=disable"
        p = subprocess.Popen([CAFE, "titles", "-q", "-c", "20", "--timeout", "150", "--db", uri,
                              lists.write(u)], env=pg.env(), stderr=subprocess.PIPE)
        dbtest.wait_until(lambda: count("stalled") >= 200 or p.poll() is not None)
        assert p.poll() is None, ("the run ended before the fault", p.communicate())
        px.pause()
        gate.release()
        err, deadline = b"", time.monotonic() + 45
        while time.monotonic() < deadline:
            ready, _, _ = select.select([p.stderr], [], [], deadline - time.monotonic())
            chunk = os.read(p.stderr.fileno(), 4096) if ready else b""
            if ready and not chunk:
                break
            err += chunk
        px.resume()
        _, rest = p.communicate(timeout=300)
        err += rest
        assert p.returncode == 0 and b"reconnecting" not in err, (p.returncode, err)
        got = [x[0] for x in rows("stalled")]
        assert len(got) == len(set(got)) == len(u) and set(got) == set(u), len(got)
    finally:
        px.resume()
        if p and p.poll() is None:
            p.kill()
            p.communicate()
        gate.close()
        px.close()


def test_read_only_stops_then_resume_finishes():
    def read_only():
        pg.sql("ALTER DATABASE cafe SET default_transaction_read_only = on", db="postgres")
        pg.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
               "WHERE application_name = 'cafe'")
    try:
        err, u = during_run("readonly", 2000, read_only, expect=2)
        assert b"read-only" in err, err
        kept = count("readonly")
        assert 0 < kept <= 300, kept  # none past the gate: it opened once read-only
    finally:
        pg.sql("ALTER DATABASE cafe SET default_transaction_read_only = off", db="postgres")
    r = cafe("titles", "-q", "--resume", "--db", spec("readonly"), lists.write(u), env=pg.env())
    assert r.returncode == 0, r.stderr
    got = [x[0] for x in rows("readonly")]
    assert len(got) == len(set(got)) == len(u)


def test_disk_full_stops_then_resume_finishes():
    """The table lives in a tablespace on a 256 KiB tmpfs that fills mid-run (a server of its
    own, started in the tmpfs's private mount namespace); more room, then --resume."""
    try:
        small = PgServer(small_kb=256)
    except OSError as e:
        raise Skip(str(e))
    try:
        env = small.env()
        u = slow_urls(3000, delay=2, first=40000)
        path = lists.write(u)
        r = cafe("titles", "-q", "--db", spec("filled"), lists.write([u[0]]), env=env)  # run 1
        assert r.returncode == 0, r.stderr
        small.sql(f"CREATE TABLESPACE small LOCATION '{small.small_path}'")  # alone: no BEGIN
        small.sql("ALTER TABLE filled SET TABLESPACE small; "
                  "ALTER INDEX filled_run_url SET TABLESPACE small")
        r = cafe("titles", "-q", "-c", "20", "--db", spec("filled"), path, env=env)
        assert r.returncode == 2, (r.returncode, r.stderr)
        assert b"No space left on device" in r.stderr, r.stderr
        assert b"--resume continues" in r.stderr, r.stderr
        kept = int(small.sql("SELECT count(*) FROM filled WHERE run_id = 2")[0][0])
        assert 0 < kept < 3000, kept
        assert small.sql("SELECT status FROM runs WHERE run_id = 2") == [["failed"]]
        small.resize_small(64 * 1024)  # room again
        r = cafe("titles", "-q", "--resume", "--db", spec("filled"), path, env=env)
        assert r.returncode == 0, r.stderr
        got = [x[0] for x in small.sql("SELECT url FROM filled WHERE run_id = 2")]
        assert len(got) == len(set(got)) == 3000 and set(got) == set(u), (len(got), len(set(got)))
    finally:
        small.close()


def test_bad_credentials_and_password_in_uri():
    u = lists.write([fx.url(0, "/page/1")])
    secret = "postgresql://secret@/cafe?table=cred"
    r = cafe("titles", "-q", "--db", secret, u, env=pg.env(PGPASSWORD="wrong"))
    assert r.returncode == 2 and b"password authentication failed" in r.stderr, r.stderr
    assert b"wrong" not in r.stderr
    r = cafe("titles", "-q", "--db", "postgresql://secret:right@/cafe", u, env=pg.env())
    assert r.returncode == 2 and b"PGPASSWORD" in r.stderr and b"right" not in r.stderr, r.stderr
    # the client key's passphrase too: taken, it was in every message naming the database
    r = cafe("titles", "-q", "--db", "postgresql://cafe@/cafe?sslpassword=s3cret&table=cred", u,
             env=pg.env())
    assert r.returncode == 2 and b"service file" in r.stderr and b"s3cret" not in r.stderr, \
        r.stderr
    # libpq's words on a URI it cannot parse quote the URI, or the token that failed: the
    # password was in the message; so it was when the parameter's name was percent-encoded,
    # which libpq decodes (?pass%77ord= is password=)
    for bad in ("postgresql://secret:s3cret@[::1/cafe?table=cred",
                "postgresql://secret:s3cret%zz@/cafe", "postgresql://secret@/cafe?password=s%zz3",
                "postgresql://secret@[::1/cafe?pass%77ord=s3cret",
                "postgresql://secret@/cafe?%73slpassword=s3cret%zz"):
        r = cafe("titles", "-q", "--db", bad, u, env=pg.env())
        assert r.returncode == 2 and b"***" in r.stderr, r.stderr
        assert b"s3cret" not in r.stderr and b"s%zz3" not in r.stderr, r.stderr
    r = cafe("titles", "-q", "--db", secret, u, env=pg.env(PGPASSWORD="right"))
    assert r.returncode == 0, r.stderr
    pgpass = os.path.join(lists.dir, "pgpass")
    with open(pgpass, "w") as f:
        f.write("*:*:*:secret:right\n")
    os.chmod(pgpass, 0o600)
    r = cafe("titles", "-q", "--db", secret, u, env=pg.env(PGPASSFILE=pgpass))
    assert r.returncode == 0, r.stderr
    assert not any("right" in x[0] for x in pg.sql("SELECT options FROM runs"))


def test_functions_of_a_schema_before_pg_catalog_do_not_stand_for_the_built_ins():
    """A search_path that names pg_catalog after a schema others may write (here set for
    the database, as ALTER ROLE would) let a function or operator there of the same name and
    arguments stand for the built-in one in cafe's SQL, run as cafe's role (CVE-2018-1058):
    each shadow below records its call and does the built-in's work, unseen. cafe's session
    searches pg_catalog first; its tables are still found where the path says."""
    pg.sql("CREATE DATABASE shadow OWNER cafe", db="postgres")
    shadows = [("md5(text)", "text", "pg_catalog.md5($1)"),
               ("left(text, integer)", "text", "pg_catalog.left($1, $2)"),
               ("now()", "timestamptz", "pg_catalog.now()"),
               ("current_setting(text)", "text", "pg_catalog.current_setting($1)"),
               ("to_regclass(text)", "regclass", "pg_catalog.to_regclass($1)"),
               ("pg_try_advisory_lock(bigint)", "boolean", "pg_catalog.pg_try_advisory_lock($1)"),
               ("cat(text, text)", "text", "pg_catalog.textcat($1, $2)")]
    pg.sql("CREATE TABLE public.calls (f text); " + "".join(
        f"CREATE FUNCTION public.{sig} RETURNS {ret} LANGUAGE sql AS $$ INSERT INTO "
        f"public.calls VALUES ('{sig}'); SELECT {body} $$; " for sig, ret, body in shadows)
        + "CREATE OPERATOR public.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = public.cat);"
        "ALTER DATABASE shadow SET search_path = public, pg_catalog", db="shadow")
    assert pg.sql("SELECT md5('a') || 'b'; SELECT count(*) FROM calls", db="shadow") == \
        [["0cc175b9c0f1b6a831c399e269772661b"], ["2"]]  # they do stand for the built-ins
    pg.sql("DELETE FROM calls", db="shadow")
    u = [fx.url(0, "/page/1"), fx.url(1, "/page/2")]
    for k in range(2):
        r = cafe("titles", "-q", *(["--resume"] if k else []), "--db", "postgresql://cafe@/shadow",
                 lists.write(u), env=pg.env())
        assert r.returncode == 0, r.stderr
    assert pg.sql("SELECT f FROM calls", db="shadow") == []
    assert pg.sql("SELECT count(*), max(run_id) FROM public.titles", db="shadow") == [["2", "1"]]
    assert pg.sql("SELECT status FROM public.runs", db="shadow") == [["done"]]


def test_functions_of_other_argument_types_do_not_stand_for_the_built_ins():
    """With pg_catalog searched first, a function or operator of another schema still wins
    where it matches a call's argument types exactly and pg_catalog's needs a cast (CVE
    2018-1058's other half): a role that may create in public (any role before PostgreSQL
    15) had its =(varchar, varchar), =(oid, regclass), ||(text, bigint), ||(name, name)
    and has_column_privilege(regclass, text, text) run by cafe, as cafe's role (here a
    superuser), on information_schema's columns, to_regclass() and the lock keys. Every
    call of cafe's now takes the exact types of pg_catalog's. Shadows of every operator and
    function cafe uses, over the types its SQL meets, count their calls in a sequence (which
    no rollback undoes); none is called, and the run is written."""
    pg.sql("CREATE DATABASE trojans OWNER cafe", db="postgres")
    pg.sql("CREATE ROLE mallory LOGIN; GRANT CREATE ON SCHEMA public TO mallory", db="trojans")
    types = ["text", "varchar", "name", "oid", "regclass", "bigint", "integer", "smallint"]
    ops = [("=", "boolean"), ("<>", "boolean"), ("~~", "boolean"), ("||", "text"),
           ("+", "bigint"), ("*", "bigint"), ("&", "bigint"), (">>", "bigint")]
    funcs = [("md5", 1, "text"), ("left", 2, "text"), ("to_regclass", 1, "regclass"),
             ("quote_ident", 1, "text"), ("has_column_privilege", 3, "boolean"),
             ("pg_try_advisory_lock", 1, "boolean"), ("pg_advisory_xact_lock", 1, "boolean"),
             ("pg_terminate_backend", 1, "boolean"), ("current_setting", 1, "text"),
             ("sha256", 1, "bytea"), ("decode", 2, "bytea")]
    shadow = f"""
        DO $$ DECLARE t text[] := '{{{",".join(types)}}}'; a text; b text; c text; n int := 0;
        body text := 'LANGUAGE plpgsql AS $b$ BEGIN PERFORM pg_catalog.nextval(''public.calls'');
                      RETURN NULL; END $b$';
        BEGIN
        """
    for op, ret in ops:
        shadow += f"""FOREACH a IN ARRAY t LOOP FOREACH b IN ARRAY t LOOP n := n + 1;
            EXECUTE pg_catalog.format('CREATE FUNCTION public.op%s(%s, %s) RETURNS {ret} %s',
                                      n, a, b, body);
            EXECUTE pg_catalog.format('CREATE OPERATOR public.{op} (LEFTARG = %s, RIGHTARG = %s,
                                      FUNCTION = public.op%s)', a, b, n);
            END LOOP; END LOOP;
            """
    for name, arity, ret in funcs:
        args = ", ".join("%s" for _ in range(arity))
        loops = ["a", "b", "c"][:arity]
        shadow += "".join(f"FOREACH {v} IN ARRAY t LOOP " for v in loops)
        shadow += (f"EXECUTE pg_catalog.format('CREATE FUNCTION public.{name}({args}) RETURNS "
                   f"{ret} %s', {', '.join(loops)}, body);" + " END LOOP;" * arity + "\n")
    shadow += "END $$"
    subprocess.run([os.path.join(pg_bin(), "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h",
                    pg.dir, "-U", "mallory", "-d", "trojans", "-c",
                    "CREATE SEQUENCE public.calls; GRANT USAGE ON public.calls TO PUBLIC;" + shadow],
                   check=True)
    shadowed = pg.sql("SELECT ('a'::varchar = 'b'::varchar) IS NULL; SELECT last_value FROM "
                      "public.calls", db="trojans")
    assert shadowed == [["t"], ["1"]], shadowed  # they do stand for the built-ins
    pg.sql("SELECT pg_catalog.setval('public.calls', 1, false)", db="trojans")
    u = [fx.url(0, "/page/1"), fx.url(1, "/page/2"), fx.url(2, "/page/3")]
    for k in range(2):
        r = cafe("titles", "-q", *(["--resume"] if k else []), "--db",
                 "postgresql://cafe@/trojans", lists.write(u[:2 + k]), env=pg.env())
        assert r.returncode == 0, r.stderr
    calls = pg.sql("SELECT is_called, last_value FROM public.calls", db="trojans")
    assert calls == [["f", "1"]], calls
    assert pg.sql("SELECT count(*), max(run_id) FROM titles", db="trojans") == [["3", "1"]]
    assert pg.sql("SELECT status FROM runs", db="trojans") == [["done"]]


def test_a_trigger_refusing_the_runs_end_is_met_at_the_start():
    """A trigger on runs that refuses its UPDATE was met only at the run's end, after every
    URL had been fetched: the run ended exit 2 then. The end is tried (and undone) when the
    run begins: refused before anything is fetched, the trigger named. One that refuses
    only what the start cannot show (here, once rows are in) is still met at the end: every
    row kept, the message naming the trigger."""
    pg.sql("CREATE DATABASE trig OWNER cafe", db="postgres")
    uri = "postgresql://cafe@/trig"
    assert cafe("titles", "-q", "--db", uri, lists.write([fx.url(0, "/page/1")]),
                env=pg.env()).returncode == 0  # makes the tables
    pg.sql("CREATE FUNCTION no_end() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RAISE "
           "EXCEPTION 'runs are append-only'; END$$; CREATE TRIGGER runs_frozen BEFORE UPDATE "
           "ON runs FOR EACH ROW EXECUTE FUNCTION no_end()", db="trig")
    server = CountingServer(1000)
    try:
        urls = [server.url(f"/p{i}") for i in range(20)]
        r = cafe("titles", "-q", "--db", uri, lists.write(urls), env=pg.env())
        assert r.returncode == 2 and server.count == 0, (r.returncode, server.count, r.stderr)
        assert b"runs are append-only" in r.stderr and b"runs_frozen" in r.stderr, r.stderr
        assert b"start" in r.stderr, r.stderr
        n_runs = pg.sql("SELECT count(*) FROM runs", db="trig")
        assert n_runs == [["1"]], n_runs  # no run begun
        pg.sql("CREATE OR REPLACE FUNCTION no_end() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN "
               "IF (SELECT count(*) FROM titles WHERE run_id = NEW.run_id) > 0 THEN RAISE "
               "EXCEPTION 'runs are append-only'; END IF; RETURN NEW; END$$", db="trig")
        r = cafe("titles", "-q", "--db", uri, lists.write(urls), env=pg.env())
        assert r.returncode == 2 and server.count == 20, (r.returncode, server.count, r.stderr)
        assert b"runs are append-only" in r.stderr and b"runs_frozen" in r.stderr, r.stderr
        held = pg.sql("SELECT run_id, count(*) FROM titles GROUP BY 1 ORDER BY 1", db="trig")
        assert held == [["1", "1"], ["3", "20"]], held  # run 2: the one refused, undone
    finally:
        server.close()


def test_a_role_without_create_writes_tables_made_beforehand():
    """The usual production split: the owner makes the tables once, the crawler's role may
    only write rows (no CREATE on the schema: PostgreSQL 15's default for public). cafe ran
    CREATE TABLE IF NOT EXISTS at every start, which asks for CREATE on the schema even when
    the table is there: "permission denied for schema public", for a role holding every
    privilege its rows need. Tables that exist are not created again."""
    pg.sql("CREATE DATABASE grants OWNER cafe", db="postgres")
    path = lists.write([fx.url(0, "/page/1"), fx.url(1, "/page/2")])
    owner, writer = "postgresql://cafe@/grants", "postgresql://writer@/grants"
    assert cafe("titles", "-q", "--db", owner, lists.write([fx.url(0, "/page/3")]),
                env=pg.env()).returncode == 0  # the owner makes the tables
    pg.sql("CREATE ROLE writer LOGIN; GRANT SELECT, INSERT ON titles TO writer; "
           "GRANT SELECT, INSERT, UPDATE ON runs TO writer; GRANT INSERT ON run_resumes TO writer;"
           " GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO writer", db="grants")
    for k in range(2):
        r = cafe("titles", "-q", *(["--resume"] if k else []), "--db", writer, path,
                 env=pg.env())
        assert r.returncode == 0, (k, r.stderr)
    assert pg.sql("SELECT run_id, count(*) FROM titles GROUP BY 1 ORDER BY 1", db="grants") == \
        [["1", "1"], ["2", "2"]]
    assert pg.sql("SELECT status FROM runs ORDER BY 1", db="grants") == [["done"], ["done"]]
    assert pg.sql("SELECT count(*) FROM run_resumes", db="grants") == [["1"]]
    # a table missing is still created by a role that may, and named when it may not
    r = cafe("titles", "-q", "--db", writer + "?table=fresh", path, env=pg.env())
    assert r.returncode == 2 and b"permission denied for schema public" in r.stderr, r.stderr


def test_a_view_or_row_level_security_takes_the_rows_by_insert():
    """A results table COPY cannot write: a view over the table (one renamed away, the view
    keeping its name for the readers), or a table whose policies the role is under
    (row-level security). Each passed the checks at start, then every batch failed once
    fetched ("cannot copy to view", "COPY FROM not supported with row-level security"),
    exit 2, and every --resume alike. Their batches go by INSERT, which both take."""
    pg.sql("CREATE DATABASE nocopy OWNER cafe", db="postgres")
    owner = "postgresql://cafe@/nocopy"
    u = [fx.url(i % SITES, f"/page/{i}") for i in range(40)]
    for table in ("viewed", "guarded"):
        assert cafe("titles", "-q", "--db", f"{owner}?table={table}",
                    lists.write([fx.url(0, "/page/0")]), env=pg.env()).returncode == 0
    pg.sql("ALTER TABLE viewed RENAME TO viewed_2026; CREATE VIEW viewed AS SELECT * FROM "
           "viewed_2026; CREATE ROLE guard LOGIN; GRANT SELECT, INSERT ON guarded TO guard; "
           "GRANT SELECT, INSERT, UPDATE ON runs TO guard; GRANT INSERT ON run_resumes TO "
           "guard; GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO guard; ALTER TABLE guarded "
           "ENABLE ROW LEVEL SECURITY; CREATE POLICY crawl ON guarded TO guard USING (true) "
           "WITH CHECK (true)", db="nocopy")
    for table, uri in (("viewed", owner), ("guarded", "postgresql://guard@/nocopy")):
        path = lists.write(u[:20] + [u[3]] + u[20:30])  # a URL given twice: one row
        r = cafe("titles", "-q", "--db", f"{uri}?table={table}", path, env=pg.env())
        assert r.returncode == 0, (table, r.stderr)
        r = cafe("titles", "--resume", "--db", f"{uri}?table={table}", lists.write(u),
                 env=pg.env())
        assert r.returncode == 0 and b"30 already done" in r.stderr, (table, r.stderr)
        got = pg.sql(f"SELECT url, title FROM {table} WHERE run_id = (SELECT max(run_id) FROM "
                     f"runs WHERE table_name = '{table}')", db="nocopy")
        want = [[x, dbtest.title(i % SITES, i)] for i, x in enumerate(u)]
        assert sorted(got) == sorted(want), (table, got)
    assert pg.sql("SELECT table_name, status FROM runs WHERE run_id > 2 ORDER BY run_id",
                  db="nocopy") == [["viewed", "done"], ["guarded", "done"]]


def test_a_row_a_views_check_option_refuses_loses_no_other_row():
    """A view WITH CHECK OPTION refuses a row outside its WHERE, as a CHECK would, but with
    its own SQLSTATE (44000): the whole batch failed, every other row of it lost to the run,
    exit 2, and every --resume stopped at the same row. That row alone is left out, named,
    as any row the table refuses."""
    pg.sql("CREATE DATABASE checkopt OWNER cafe", db="postgres")
    uri = "postgresql://cafe@/checkopt?table=answered"
    assert cafe("titles", "-q", "--db", uri + "_all", lists.write([fx.url(0, "/page/0")]),
                env=pg.env()).returncode == 0
    pg.sql("CREATE VIEW answered AS SELECT * FROM answered_all WHERE status IS NOT NULL WITH "
           "CHECK OPTION", db="checkopt")
    u = [fx.url(i % SITES, f"/page/{i}") for i in range(30)]
    down = "http://127.0.0.1:1/"
    path = lists.write(u[:10] + [down] + u[10:])
    r = cafe("titles", "-q", "--db", uri, path, env=pg.env())
    assert r.returncode == 2 and b"1 row refused" in r.stderr, r.stderr
    assert b"violates check option" in r.stderr, r.stderr
    got = pg.sql("SELECT url FROM answered WHERE run_id = (SELECT max(run_id) FROM runs)",
                 db="checkopt")
    assert sorted(x[0] for x in got) == sorted(u), got


def test_a_row_a_row_level_security_policy_refuses_loses_no_other_row():
    """A policy's WITH CHECK refuses a row for what it holds, as a view's CHECK OPTION does,
    with the server's 42501 ("new row violates row-level security policy"): the whole batch
    failed, every other row of it lost to the run, exit 2, and every --resume stopped at the
    same row. That row alone is left out, named, as any row the table refuses."""
    pg.sql("CREATE DATABASE policed OWNER cafe", db="postgres")
    assert cafe("titles", "-q", "--db", "postgresql://cafe@/policed?table=answered",
                lists.write([fx.url(0, "/page/0")]), env=pg.env()).returncode == 0
    pg.sql("CREATE ROLE policed LOGIN; GRANT SELECT, INSERT ON answered TO policed; GRANT "
           "SELECT, INSERT, UPDATE ON runs TO policed; GRANT INSERT ON run_resumes TO policed; "
           "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO policed; ALTER TABLE answered "
           "ENABLE ROW LEVEL SECURITY; CREATE POLICY answered ON answered TO policed USING "
           "(true) WITH CHECK (status IS NOT NULL)", db="policed")
    uri = "postgresql://policed@/policed?table=answered"
    u = [fx.url(i % SITES, f"/page/{i}") for i in range(30)]
    down = "http://127.0.0.1:1/"
    path = lists.write(u[:10] + [down] + u[10:])
    r = cafe("titles", "-q", "--db", uri, path, env=pg.env())
    assert r.returncode == 2 and b"1 row refused" in r.stderr, r.stderr
    assert b"row-level security" in r.stderr and down.encode() in r.stderr, r.stderr
    got = pg.sql("SELECT url FROM answered WHERE run_id = (SELECT max(run_id) FROM runs)",
                 db="policed")
    assert sorted(x[0] for x in got) == sorted(u), got
    r = cafe("titles", "-q", "--resume", "--db", uri, path, env=pg.env())
    assert r.returncode == 2 and b"1 row refused" in r.stderr, r.stderr


def test_row_level_security_letting_no_row_in_is_refused_at_start():
    """Row-level security with no policy letting the role INSERT, or SELECT (which ON
    CONFLICT's read of the key asks of each new row): the server refuses every row, and the
    run fetched and named 100 refused rows before it stopped, exit 2. Refused at start,
    nothing fetched, naming what is missing; a policy FOR ALL TO PUBLIC lets the rows in."""
    pg.sql("CREATE DATABASE denied OWNER cafe", db="postgres")
    uri = "postgresql://cafe@/denied?table=denied"
    assert cafe("titles", "-q", "--db", uri, lists.write([fx.url(0, "/page/0")]),
                env=pg.env()).returncode == 0
    pg.sql("CREATE ROLE denied LOGIN; GRANT SELECT, INSERT ON denied TO denied; GRANT "
           "SELECT, INSERT, UPDATE ON runs TO denied; GRANT INSERT ON run_resumes TO denied; "
           "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO denied; ALTER TABLE denied "
           "ENABLE ROW LEVEL SECURITY; CREATE POLICY reads ON denied FOR SELECT TO denied "
           "USING (true)", db="denied")
    uri = "postgresql://denied@/denied?table=denied"
    u = lists.write([fx.url(i % SITES, f"/page/{i}") for i in range(150)])
    for policy, lacks in (("", b"letting the role INSERT rows (FOR INSERT or FOR ALL"),
                          ("DROP POLICY reads ON denied; CREATE POLICY adds ON denied FOR "
                           "INSERT TO denied WITH CHECK (true)",
                           b"letting the role SELECT rows (FOR SELECT or FOR ALL")):
        if policy:
            pg.sql(policy, db="denied")
        r = cafe("titles", "-q", "--db", uri, u, env=pg.env())
        assert r.returncode == 2 and lacks in r.stderr and b"refused by the table" not in \
            r.stderr, r.stderr
        assert pg.sql("SELECT count(*) FROM runs", db="denied") == [["1"]]
    pg.sql("CREATE POLICY all_in ON denied TO PUBLIC USING (true)", db="denied")
    r = cafe("titles", "-q", "--db", uri, u, env=pg.env())
    assert r.returncode == 0, r.stderr
    assert count("denied", db="denied") == 151


def test_tables_a_search_path_would_make_temporary_are_refused():
    """A search_path naming pg_temp first made the missing tables temporary ones: the run
    wrote every record into tables the end of its session dropped, and ended done, exit 0,
    nothing left in the database. Refused at start, nothing fetched; with the tables made in
    public beforehand the same path finds them there and the run writes them."""
    pg.sql("CREATE DATABASE temps OWNER cafe", db="postgres")
    uri = "postgresql://cafe@/temps?table=temps"
    u = lists.write([fx.url(i % SITES, f"/page/{i}") for i in range(5)])
    env = pg.env(PGOPTIONS="-c search_path=pg_temp,public")
    r = cafe("titles", "-q", "--db", uri, u, env=env)
    assert r.returncode == 2 and b"table temps is a temporary one" in r.stderr, r.stderr
    assert pg.sql("SELECT count(*) FROM pg_class WHERE relname IN ('temps', 'runs')",
                  db="temps") == [["0"]]
    assert cafe("titles", "-q", "--db", uri, u, env=pg.env()).returncode == 0
    r = cafe("titles", "-q", "--db", uri, u, env=env)
    assert r.returncode == 0, r.stderr
    assert pg.sql("SELECT count(*), count(DISTINCT run_id) FROM public.temps",
                  db="temps") == [["10", "2"]]


def test_tables_found_by_the_search_path_are_written_not_shadowed():
    """With a search_path of a schema of the role's own first ("$user", public: a common
    set-up), the tables made in public were not seen: CREATE TABLE IF NOT EXISTS looks only
    in the first schema, made new ones there, and cafe wrote into them while every query of
    public.titles found nothing new. The tables the search path finds are written, as any
    unqualified INSERT would; only those it finds nowhere are made, in the first schema."""
    pg.sql("CREATE DATABASE paths OWNER cafe", db="postgres")
    pg.sql("CREATE SCHEMA mine AUTHORIZATION cafe", db="paths")
    uri = "postgresql://cafe@/paths"
    u = [fx.url(0, "/page/1"), fx.url(1, "/page/2")]
    assert cafe("titles", "-q", "--db", uri, lists.write(u[:1]), env=pg.env()).returncode == 0
    env = pg.env(PGOPTIONS="-c search_path=mine,public")
    for k in range(2):
        r = cafe("titles", "-q", *(["--resume"] if k else []), "--db", uri, lists.write(u),
                 env=env)
        assert r.returncode == 0, r.stderr
    assert pg.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'mine'", db="paths") == \
        [["0"]]
    assert pg.sql("SELECT run_id, count(*) FROM public.titles GROUP BY 1 ORDER BY 1",
                  db="paths") == [["1", "1"], ["2", "2"]]
    # a results table found nowhere is made in the first schema, beside public's runs
    r = cafe("titles", "-q", "--db", uri + "?table=fresh", lists.write(u), env=env)
    assert r.returncode == 0, r.stderr
    assert pg.sql("SELECT schemaname, tablename FROM pg_tables WHERE schemaname = 'mine'",
                  db="paths") == [["mine", "fresh"]]
    assert pg.sql("SELECT count(*) FROM public.runs", db="paths") == [["3"]]


def test_server_down_at_start_fetches_nothing():
    r = cafe("titles", "-q", "--db", spec("down"), lists.write([fx.url(0, "/page/1")]),
             env=pg.env(PGHOST="/nonexistent"))
    assert r.returncode == 2 and b"cannot connect" in r.stderr, r.stderr
    # libpq's hint ("\n\tIs the server running...") joins the message's one line
    line = next(x for x in r.stderr.split(b"\n") if b"cannot connect" in x)
    assert b"Is the server running" in line and b"\t" not in r.stderr, r.stderr


def test_server_error_texts_reach_the_terminal_escaped():
    # A server's error text was printed as it came: PostgreSQL echoes the database name a
    # client asked for ("database ... does not exist"), so a name holding ESC ] 0 ; ... BEL
    # (or a hostile server's message) drove the user's terminal. Its control characters are
    # shown as cafe shows a title's, \\xNN, and the one line stays one line.
    u = lists.write([fx.url(0, "/page/1")])
    r = cafe("titles", "-q", "--db", "postgresql://cafe@/no%1B%5D0%3Bowned%07db?table=esc", u,
             env=pg.env())
    assert r.returncode == 2 and b"does not exist" in r.stderr, r.stderr
    assert b"\x1b" not in r.stderr and b"\x07" not in r.stderr, r.stderr
    assert b"no\\x1b]0;owned\\x07db" in r.stderr, r.stderr
    # In an 8-bit locale (ISO-8859-1, KOI8-R...) its other non-ASCII characters went out as
    # UTF-8, whose bytes 0x80 to 0x9F such a terminal reads as C1 controls: \uNNNN there.
    for lang, shown in (("xx_YY.ISO-8859-15", b"no\\u00e9\\u00dbdb"),
                        ("C.UTF-8", "no\u00e9\u00dbdb".encode())):
        r = cafe("titles", "-q", "--db", "postgresql://cafe@/no%C3%A9%C3%9Bdb?table=esc", u,
                 env=pg.env(LANG=lang, LC_ALL="", LC_CTYPE=""))
        assert r.returncode == 2 and b"does not exist" in r.stderr, r.stderr
        assert shown in r.stderr and (max(r.stderr) < 0x80) == (lang != "C.UTF-8"), r.stderr


def test_serve_in_an_8_bit_locale_gives_the_api_the_real_text():
    """`cafe serve` in an 8-bit locale (LANG=...ISO-8859-15): the database's message in a
    job's error went to the API as \\u00e9 escapes, as the log writes it for such a terminal
    (messages were made ASCII for the whole process). The API's JSON is UTF-8 whatever the
    locale: it carries the real text; the log keeps the escapes. The table's trigger fails
    every batch with a message of the server (a final error: the job stops)."""
    assert cafe("titles", "-q", "--db", spec("latin"), lists.write([fx.url(0, "/page/2")]),
                env=pg.env()).returncode == 0  # makes the table
    pg.sql("CREATE FUNCTION latin_fail() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN "
           "RAISE EXCEPTION 'entrep\u00f4t ferm\u00e9' "
           "USING ERRCODE = '55000'; END$$; CREATE TRIGGER latin_fail BEFORE INSERT ON latin "
           "FOR EACH ROW EXECUTE FUNCTION latin_fail()")
    s = Serve("--db", spec("latin"), env=pg.env(LANG="xx_YY.ISO-8859-15", LC_ALL="",
                                                  LC_CTYPE=""))
    try:
        _, _, job = post_job(s, [fx.url(0, "/page/1")])
        st = wait_job(s, job["id"])
        assert "entrep\u00f4t ferm\u00e9" in st["error"], st
        # said for the API's user, who has no --resume: what is kept, and what to do
        assert "--resume" not in st["error"] and st["error"].endswith(
            "(the rows committed stay in the database, and the job's results hold every "
            "record fetched: post the list again as a new job for the rest)"), st
    finally:
        _, _, err = s.stop()
    assert b"entrep\\u00f4t ferm\\u00e9" in err and max(err) < 0x80, err


def test_readyz_probe_of_a_database_that_never_answers_is_bounded():
    """/readyz's probe of a database that takes the query and never answers (here its
    statement waits for a lock another session holds: cafe's sessions have no
    statement_timeout) held every caller of /readyz for as long, a balancer's probes
    piling up unanswered. The probe has a bound of its own (5 s): past it, 503 and the log
    says why; the lock gone, ready again, which -q does not log."""
    assert cafe("titles", "-q", "--db", spec("rdy"), lists.write([fx.url(0, "/page/1")]),
                env=pg.env()).returncode == 0  # makes the table
    s = Serve("-q", "--db", spec("rdy"), env=pg.env())
    lock = subprocess.Popen([os.path.join(pg_bin(), "psql"), "-X", "-q", "-A", "-t", "-h",
                             pg.dir, "-U", "cafe", "-d", "cafe"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    try:
        assert s.json("GET", "/readyz")[0] == 200
        lock.stdin.write(b"BEGIN; LOCK TABLE rdy IN ACCESS EXCLUSIVE MODE; SELECT 'locked';\n")
        lock.stdin.flush()
        assert lock.stdout.readline().strip() == b"locked"
        status, _, st = settle(lambda: s.json("GET", "/readyz", timeout=120),
                               lambda v: v[0] != 200)
        assert status == 503 and st == {"status": "not ready", "db": "unavailable"}, st
        lock.stdin.write(b"COMMIT;\n")
        lock.stdin.close()
        lock.wait(timeout=60)
        status, _, st = settle(lambda: s.json("GET", "/readyz"), lambda v: v[0] == 200)
        assert status == 200, (status, st)
    finally:
        if lock.poll() is None:
            lock.kill()
        _, _, err = s.stop()
    assert b"cafe serve: readyz: --db: no answer within 5 s" in err, err
    assert b"answers again" not in err, err


def test_serve_refuses_at_start_a_database_its_jobs_could_not_write():
    """`cafe serve --db` with the server stopped, a wrong password, a database that does not
    exist or a table of other columns started, /healthz said ok, and every job was then
    cancelled with the database's error; cafe titles refuses each at start (exit 2), and so
    does the service now, in the same words, never showing a password."""
    pg.sql("CREATE TABLE servewrong (url text, status text, mine int)")
    for db, env, why in (
            ("postgresql://secret@/cafe?table=served", pg.env(PGPASSWORD="wrong"),
             b"password authentication failed"),
            ("postgresql://secret:wrong@/cafe?table=served", pg.env(), b"PGPASSWORD"),
            ("postgresql://cafe@/nosuchdb?table=served", pg.env(), b"does not exist"),
            (spec("servewrong"), pg.env(), b"table servewrong has other columns than cafe's "
             b"(never altered): run_id missing")):
        err = refused_at_start("-q", "--db", db, env=env)
        assert err.startswith(b"cafe serve: --db: ") and why in err, (db, err)
        assert b"wrong" not in err.replace(b"servewrong", b""), err
        assert err.count(b"\n") == 1, err
    assert count("runs WHERE table_name = 'served'") == 0
    assert len(pg.sql("SELECT column_name FROM information_schema.columns "
                      "WHERE table_name = 'servewrong'")) == 3  # never altered
    pg.stop()
    try:
        err = refused_at_start("-q", "--db", spec("served"), env=pg.env())
        assert b"cannot connect" in err and b"Is the server running" in err, err
    finally:
        pg.start()
    # a database that works: its tables made at start, no run begun before a job
    s = Serve("-q", "--db", spec("served"), env=pg.env())
    try:
        assert count("served") == 0 and count("runs WHERE table_name = 'served'") == 0
        _, _, st = post_job(s, ["http://127.0.0.1:9/"])
        assert wait_job(s, st["id"])["state"] == "done"
        assert pg.sql("SELECT status FROM runs WHERE table_name = 'served'") == [["done"]]
        # the server stopped after the start: each job fails, saying why in its status and
        # in the service's log (it said nothing there)
        pg.stop()
        try:
            _, _, st = post_job(s, ["http://127.0.0.1:9/"])
            st = wait_job(s, st["id"])
        finally:
            pg.start()
        assert st["state"] == "cancelled" and "cannot connect" in st["error"], st
    finally:
        _, _, log = s.stop()
    assert log.decode() == f"cafe serve: job {st['id']}: {st['error']}\n", log


def test_serve_refuses_at_start_a_database_where_no_run_can_begin():
    """Tables that are all there and right, in a database where no run can begin: read-only
    (a standby server, default_transaction_read_only), or a role without INSERT and UPDATE
    on runs. cafe titles fails at its run's INSERT, at start; the service's check, which
    begins no run, passed, and every job failed there. Asked without writing a row."""
    s = Serve("-q", "--db", spec("servero"), env=pg.env())  # makes the tables
    s.stop()
    pg.sql("CREATE ROLE servereader LOGIN; GRANT SELECT, INSERT ON servero TO servereader; "
           "GRANT SELECT ON runs, run_resumes TO servereader")
    err = refused_at_start("-q", "--db", "postgresql://servereader@/cafe?table=servero",
                           env=pg.env())
    assert err == (b"cafe serve: --db: postgresql://servereader@/cafe: permission denied for "
                   b"table runs: the role lacks INSERT on table_name, INSERT on status, INSERT "
                   b"on options, UPDATE on ended_at, UPDATE on status (a run needs SELECT on "
                   b"run_id, table_name, options; INSERT on table_name, status, options; UPDATE "
                   b"on ended_at, status: granted on the table or on these columns)\n"), err
    pg.sql("ALTER DATABASE cafe SET default_transaction_read_only = on", db="postgres")
    try:
        err = refused_at_start("-q", "--db", spec("servero"), env=pg.env())
        r = cafe("titles", "-q", "--db", spec("servero"), lists.write([fx.url(0, "/page/1")]),
                 env=pg.env())
    finally:
        pg.sql("ALTER DATABASE cafe SET default_transaction_read_only = off", db="postgres")
    assert r.returncode == 2 and b"read-only transaction" in r.stderr, r.stderr
    assert err.startswith(b"cafe serve: --db: postgresql://cafe@/cafe: cannot write in a "
                          b"read-only transaction (transaction_read_only is on"), err
    assert count("runs WHERE table_name = 'servero'") == 0


def test_a_read_only_server_with_the_table_missing_is_said_so_at_start():
    """A read-only session (a standby server, a role's default_transaction_read_only) was
    asked about only once the tables were there: one missing met the CREATE TABLE first,
    and the server's words reached the user, which do not say why ("cannot execute CREATE
    TABLE in a read-only transaction"). It is asked first, saying which, before anything is
    made or fetched: a standby, where cafe should write to the primary, or the setting."""
    path = lists.write([fx.url(0, "/page/1")])
    r = cafe("titles", "-q", "--db", spec("romissing"), path,
             env=pg.env(PGOPTIONS="-c default_transaction_read_only=on"))
    assert r.returncode == 2, r.stderr
    assert r.stderr == (b"cafe titles: postgresql://cafe@/cafe: cannot write in a read-only "
                        b"transaction (transaction_read_only is on: default_transaction_read_"
                        b"only, set for the role, the database or the session)\n"), r.stderr
    try:
        standby = PgStandby(pg)
    except OSError as e:
        raise Skip(str(e))
    try:
        for table in ("romissing", "normal"):  # missing, and there (made by an earlier case)
            r = cafe("titles", "-q", "--db", spec(table), path, env=standby.env())
            assert r.returncode == 2, (table, r.stderr)
            assert r.stderr == (b"cafe titles: postgresql://cafe@/cafe: cannot write in a "
                                b"read-only transaction (the server is a standby, in recovery: "
                                b"cafe writes to the primary)\n"), (table, r.stderr)
    finally:
        standby.close()
    assert count("romissing") == 0 and count("runs WHERE table_name = 'romissing'") == 0


def test_a_role_that_could_not_end_or_resume_its_run_is_refused_at_start():
    """A role that may write rows and begin a run, but not UPDATE runs (the run's end) or
    INSERT into run_resumes (its --resume, and every job `cafe serve` resumes after a
    restart): the run fetched everything, then could not say it ended, and a run killed
    midway could never be resumed (the resume refused at its start, hours later). Each is
    refused at the start of any run, naming the right, nothing fetched."""
    s = Serve("-q", "--db", spec("rights"), env=pg.env())  # makes the tables
    s.stop()
    base = ("GRANT SELECT, INSERT ON rights TO {0}; GRANT USAGE ON ALL SEQUENCES IN SCHEMA "
            "public TO {0}; ")
    pg.sql("CREATE ROLE noend LOGIN; CREATE ROLE noresume LOGIN; " + base.format("noend") +
           base.format("noresume") + "GRANT SELECT, INSERT ON runs TO noend; "
           "GRANT INSERT ON run_resumes TO noend; GRANT SELECT, INSERT, UPDATE ON runs TO "
           "noresume; GRANT SELECT ON run_resumes TO noresume")
    u = lists.write([fx.url(0, "/page/1"), fx.url(1, "/page/2")])
    for role, why in (("noend", b"permission denied for table runs: the role lacks UPDATE on "
                                b"ended_at, UPDATE on status (a run needs SELECT on run_id, "
                                b"table_name, options; INSERT on table_name, status, options; "
                                b"UPDATE on ended_at, status: granted on the table or on these "
                                b"columns)"),
                      ("noresume", b"permission denied for table run_resumes: the role lacks "
                                   b"INSERT on run_id, INSERT on options (a --resume, and a "
                                   b"job cafe serve resumes, needs INSERT on run_id, options: "
                                   b"granted on the table or on these columns)")):
        uri = f"postgresql://{role}@/cafe?table=rights"
        for resume in ([], ["--resume"]):
            r = cafe("titles", "-q", *resume, "--db", uri, u, env=pg.env())
            assert r.returncode == 2 and why in r.stderr, (role, resume, r.stderr)
            assert r.stderr.count(b"\n") == 1, r.stderr
        err = refused_at_start("-q", "--db", uri, env=pg.env())
        assert err == b"cafe serve: --db: postgresql://" + role.encode() + b"@/cafe: " + why + \
            b"\n", err
    assert count("rights") == 0 and count("runs WHERE table_name = 'rights'") == 0


def test_a_role_without_rights_on_the_results_table_is_told_so_not_of_its_columns():
    """information_schema.columns shows a role only the columns it has a right on: a role
    without rights on the results table was told "table rights2 has other columns than
    cafe's (never altered): run_id missing, seq missing, ...", and one with INSERT alone
    "there is no unique or exclusion constraint matching the ON CONFLICT specification" (ON
    CONFLICT needs SELECT on the key): each blamed the table, which a user might then drop.
    The rights lacking are named, nothing fetched; column grants are rights enough."""
    u = lists.write([fx.url(0, "/page/1"), fx.url(1, "/page/2")])
    assert cafe("titles", "-q", "--db", spec("rights2"), u, env=pg.env()).returncode == 0
    pg.sql("CREATE ROLE rights2 LOGIN; GRANT SELECT, INSERT, UPDATE ON runs TO rights2; "
           "GRANT INSERT ON run_resumes TO rights2; GRANT USAGE ON ALL SEQUENCES IN SCHEMA "
           "public TO rights2")
    uri = "postgresql://rights2@/cafe?table=rights2"
    said = b"permission denied for table rights2: the role lacks "
    for grant, lacks in (
            ("", b"SELECT on run_id, url, url_sha256, status, error; INSERT on run_id, seq, "
                 b"url, final_url, status, title, content_type, charset, charset_source, bytes, "
                 b"time_ms, attempts, error ("),
            ("GRANT INSERT ON rights2 TO rights2", b"SELECT on run_id, url, url_sha256, "
                                                   b"status, error ("),
            ("GRANT SELECT (url, status, error) ON rights2 TO rights2",
             b"SELECT on run_id, url_sha256 (")):
        if grant:
            pg.sql(grant)
        r = cafe("titles", "-q", "--db", uri, u, env=pg.env())
        assert r.returncode == 2 and said + lacks in r.stderr, (grant, r.stderr)
        assert b"missing" not in r.stderr and r.stderr.count(b"\n") == 1, r.stderr
    pg.sql("GRANT SELECT (run_id, url_sha256) ON rights2 TO rights2")
    r = cafe("titles", "-q", "--db", uri, u, env=pg.env())
    assert r.returncode == 0, r.stderr
    assert count("rights2") == 4


def test_column_grants_on_runs_are_rights_enough():
    """A role granted UPDATE on runs' columns cafe updates (ended_at, status), not on the
    whole table, as a DBA grants least rights: refused at start, the check asking for UPDATE
    on the table. The rights are asked column by column: that role writes, resumes and ends
    its runs; one granted UPDATE on ended_at alone is refused, naming status."""
    cafe("titles", "-q", "--db", spec("cols"), lists.write([fx.url(0, "/page/1")]),
         env=pg.env())  # makes the tables
    base = ("GRANT SELECT, INSERT ON cols TO {0}; GRANT USAGE ON ALL SEQUENCES IN SCHEMA "
            "public TO {0}; GRANT SELECT, INSERT ON runs TO {0}; "
            "GRANT INSERT ON run_resumes TO {0}; ")
    pg.sql("CREATE ROLE colup LOGIN; CREATE ROLE colhalf LOGIN; " + base.format("colup") +
           base.format("colhalf") + "GRANT UPDATE (ended_at, status) ON runs TO colup; "
           "GRANT UPDATE (ended_at) ON runs TO colhalf")
    u = lists.write([fx.url(0, "/page/3"), fx.url(1, "/page/4")])
    for resume in ([], ["--resume"]):
        r = cafe("titles", "-q", *resume, "--db", "postgresql://colup@/cafe?table=cols", u,
                 env=pg.env())
        assert r.returncode == 0, (resume, r.stderr)
    assert pg.sql("SELECT status, (SELECT count(*) FROM run_resumes r WHERE r.run_id = "
                  "runs.run_id) FROM runs WHERE table_name = 'cols' ORDER BY run_id") == \
        [["done", "0"], ["done", "1"]]
    r = cafe("titles", "-q", "--db", "postgresql://colhalf@/cafe?table=cols", u, env=pg.env())
    assert r.returncode == 2 and b"lacks UPDATE on status (a run needs" in r.stderr, r.stderr
    assert count("runs WHERE table_name = 'cols'") == 2


def test_wrong_columns_refused_never_altered():
    pg.sql("CREATE TABLE wrong (url text, status text, mine int)")
    r = cafe("titles", "-q", "--db", spec("wrong"), lists.write([fx.url(0, "/page/1")]),
             env=pg.env())
    assert r.returncode == 2, r.stderr
    assert b"run_id missing" in r.stderr and b"status is text, not integer" in r.stderr, r.stderr
    assert len(pg.sql("SELECT column_name FROM information_schema.columns "
                      "WHERE table_name = 'wrong'")) == 3


def test_not_null_columns_cafe_leaves_empty_refused_before_fetching():
    """A column of the user's own NOT NULL without a default, or one of cafe's that cafe may
    leave NULL made NOT NULL: every row breaks it. Found at the first batch, after fetching,
    and again at every --resume. Refused at start, naming it; a default, an identity or a
    generated column gives the row its value and is taken."""
    cols = ("run_id bigint NOT NULL, seq bigint NOT NULL, url text NOT NULL, final_url text, "
            "status integer, title text, content_type text, charset text, charset_source text, "
            "bytes bigint NOT NULL, time_ms bigint NOT NULL, attempts integer NOT NULL, "
            "error text, PRIMARY KEY (run_id, url)")
    pg.sql(f"CREATE TABLE nn1 ({cols}, mine text NOT NULL); CREATE TABLE nn2 "
           f"({cols.replace('status integer', 'status integer NOT NULL DEFAULT 0')})")
    one = lists.write([fx.url(0, "/page/1")])
    for table, said in [("nn1", b"mine is NOT NULL"), ("nn2", b"status is NOT NULL")]:
        r = cafe("titles", "-q", "--db", spec(table), one, env=pg.env())
        assert r.returncode == 2 and said in r.stderr, r.stderr
    # no run begun: nothing fetched
    assert pg.sql("SELECT count(*) FROM runs WHERE table_name IN ('nn1', 'nn2')") == [["0"]]
    pg.sql(f"CREATE TABLE nn3 ({cols}, mine text NOT NULL DEFAULT 'x', "
           "id bigint GENERATED ALWAYS AS IDENTITY, "
           "twice bigint NOT NULL GENERATED ALWAYS AS (seq * 2) STORED)")
    r = cafe("titles", "-q", "--db", spec("nn3"), one, env=pg.env())
    assert r.returncode == 0, r.stderr
    assert pg.sql("SELECT mine, id, twice FROM nn3") == [["x", "1", "0"]]


def test_a_url_column_of_a_nondeterministic_collation_is_refused_losing_no_record():
    """SQLite's COLLATE NOCASE twin: a table of the user's whose url has a case-insensitive
    (nondeterministic) ICU collation, on the column or on its domain. An older table's key on
    (run_id, url) took http://h/page/1 and http://h/PAGE/1 (two pages, two records) for one
    URL: the second record was skipped by ON CONFLICT, counted as written, and the run ended
    done, exit 0, without it, every --resume alike. With cafe's key (url_sha256) every batch
    failed once fetched (its replace() takes no such collation). Refused at start, naming
    the collation, nothing fetched; a deterministic collation (COLLATE "C") is taken. So is
    a unique index on (run_id, url) comparing url by such a collation, named."""
    if pg.sql("SELECT count(*) FROM pg_collation WHERE collprovider = 'i'") == [["0"]]:
        raise Skip("the server is built without ICU")
    pg.sql("CREATE DATABASE loose OWNER cafe", db="postgres")
    cols = ("run_id bigint NOT NULL, seq bigint NOT NULL, url {} NOT NULL, final_url text, "
            "status integer, title text, content_type text, charset text, charset_source text, "
            "bytes bigint NOT NULL, time_ms bigint NOT NULL, attempts integer NOT NULL, "
            "error text, ")
    sha = ("url_sha256 bytea NOT NULL GENERATED ALWAYS AS (sha256(decode(replace(url, '\\', "
           "'\\\\'), 'escape'))) STORED, PRIMARY KEY (run_id, url_sha256)")
    exact = 'text COLLATE "C"'
    pg.sql("CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', "
           "deterministic = false); CREATE DOMAIN ciurl AS text COLLATE ci; "
           f"CREATE TABLE oldkey ({cols.format('text COLLATE ci')} PRIMARY KEY (run_id, url)); "
           f"CREATE TABLE newkey ({cols.format('ciurl')} {sha}); "
           f"CREATE TABLE exact ({cols.format(exact)} PRIMARY KEY (run_id, url))",
           db="loose")
    pages = lists.write([fx.url(0, "/page/1"), fx.url(0, "/PAGE/1")])
    for table in ("oldkey", "newkey"):
        r = cafe("titles", "-q", "--db", f"postgresql://cafe@/loose?table={table}", pages,
                 env=pg.env())
        assert r.returncode == 2, (table, r.stderr)
        assert b"url has the nondeterministic collation ci" in r.stderr, (table, r.stderr)
    assert pg.sql("SELECT count(*) FROM runs", db="loose") == [["0"]]  # nothing fetched
    r = cafe("titles", "-q", "--db", "postgresql://cafe@/loose?table=exact", pages,
             env=pg.env())
    assert r.returncode == 0, r.stderr
    assert pg.sql("SELECT count(*) FROM exact", db="loose") == [["2"]]
    # the column exact, a unique index of the user's comparing it by ci: an older key's ON
    # CONFLICT took it as an arbiter too, skipped /PAGE/1, and named it dropped by a trigger
    pg.sql(f"CREATE TABLE keyed ({cols.format('text')} PRIMARY KEY (run_id, url)); "
           'CREATE UNIQUE INDEX "keyed ci" ON keyed (run_id, url COLLATE ci)', db="loose")
    r = cafe("titles", "-q", "--db", "postgresql://cafe@/loose?table=keyed", pages,
             env=pg.env())
    said = b"its unique index keyed ci compares url by the nondeterministic collation ci"
    assert r.returncode == 2 and said in r.stderr, r.stderr
    assert pg.sql("SELECT count(*) FROM keyed", db="loose") == [["0"]]


def test_own_runs_table_refused_naming_what_differs():
    """A database that has a runs table of its own (a common name): refused as a results
    table of other columns is, naming what differs, not with an INSERT's error."""
    pg.sql("CREATE DATABASE own OWNER cafe", db="postgres")
    pg.sql("CREATE TABLE runs (id int, km real)", db="own")
    r = cafe("titles", "-q", "--db", "postgresql://cafe@/own",
             lists.write([fx.url(0, "/page/1")]), env=pg.env())
    assert r.returncode == 2, r.stderr
    assert b"table runs has other columns" in r.stderr, r.stderr
    assert b"table_name missing" in r.stderr, r.stderr
    assert pg.sql("SELECT count(*) FROM runs", db="own") == [["0"]]


def test_a_runs_table_whose_run_id_nothing_fills_is_refused_as_such():
    """A runs table of the user's with run_id bigint and no identity or default: each run's
    id was NULL, and the run was refused as "run 0 of table titles is being written by
    another cafe", a run that does not exist. Refused saying what the table lacks."""
    pg.sql("CREATE DATABASE runs_unfilled OWNER cafe", db="postgres")
    pg.sql("CREATE TABLE runs (run_id bigint, table_name text NOT NULL, started_at "
           "timestamptz NOT NULL DEFAULT now(), ended_at timestamptz, status text NOT NULL, "
           "options text)", db="runs_unfilled")
    r = cafe("titles", "-q", "--db", "postgresql://cafe@/runs_unfilled",
             lists.write([fx.url(0, "/page/1")]), env=pg.env())
    assert r.returncode == 2 and b"run_id is given no value" in r.stderr, r.stderr
    assert b"another cafe" not in r.stderr, r.stderr
    assert pg.sql("SELECT count(*) FROM runs", db="runs_unfilled") == [["0"]]


def test_run_resumes_has_a_key_and_one_made_without_is_still_written():
    """run_resumes had no primary key (the other tables have one): no replica identity for
    logical replication, no row a tool could name. It gets resume_id, an identity key as
    runs has; a run_resumes table made before, without it, is still written."""
    pg.sql("CREATE DATABASE resumes OWNER cafe", db="postgres")
    path = lists.write([fx.url(0, "/page/1"), fx.url(1, "/page/2")])
    uri = "postgresql://cafe@/resumes"
    for k in range(2):
        r = cafe("titles", "-q", *(["--resume"] if k else []), "--db", uri, path, env=pg.env())
        assert r.returncode == 0, r.stderr
    key = pg.sql("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = "
                 "i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = "
                 "'run_resumes'::regclass AND i.indisprimary", db="resumes")
    assert key == [["resume_id"]], key
    assert pg.sql("SELECT resume_id, run_id FROM run_resumes", db="resumes") == [["1", "1"]]
    pg.sql("ALTER TABLE run_resumes DROP COLUMN resume_id", db="resumes")  # as made before
    r = cafe("titles", "-q", "--resume", "--db", uri, path, env=pg.env())
    assert r.returncode == 0, r.stderr
    assert pg.sql("SELECT run_id FROM run_resumes", db="resumes") == [["1"], ["1"]]


def test_fail_counts_the_failures_an_earlier_run_recorded():
    dbtest.check_fail_counts_recorded_failures(fx, lists, ["--db", spec("failrec")], pg.env())


def test_resume_continues_a_titles_run_not_an_export():
    rs = RedisServer()
    try:
        dbtest.check_resume_continues_a_titles_run(
            fx, lists, rs, ["--db", spec("betw")],
            lambda: [(int(a), int(b)) for a, b in pg.sql(
                "SELECT run_id, count(*) FROM betw GROUP BY 1 ORDER BY 1")], pg.env())
    finally:
        rs.close()


def test_titles_stored_as_unicode_whatever_the_client_encoding_says():
    """cafe sends UTF-8. Left to libpq's default, the connection's client_encoding was
    PGCLIENTENCODING's, the URI's or the database's: the server took the UTF-8 bytes for
    LATIN1 or WIN1252 and stored "Site 0 page 1 â\x80\x94 cafe fixture", silently. A database
    that cannot hold every title (LATIN1 has no U+2014) is refused before fetching, not met
    by a batch that fails, and fails again on every --resume."""
    u = [fx.url(i % SITES, f"/page/{i}") for i in range(20)]
    path = lists.write(u)
    want = {x: dbtest.title(i % SITES, i) for i, x in enumerate(u)}
    for k, (env, param) in enumerate([({"PGCLIENTENCODING": "LATIN1"}, ""),
                                      ({"PGCLIENTENCODING": "WIN1252"}, ""),
                                      ({}, "&client_encoding=LATIN1")]):
        table = f"enc{k}"
        r = cafe("titles", "-q", "--db", spec(table) + param, path, env=pg.env(**env))
        assert r.returncode == 0, (env, param, r.stderr)
        got = json.loads(pg.sql(f"SELECT json_object_agg(url, title) FROM {table}")[0][0])
        assert got == want, (env, param, list(got.values())[:2])
    pg.sql("CREATE DATABASE latin ENCODING 'LATIN1' TEMPLATE template0 LC_COLLATE 'C' "
           "LC_CTYPE 'C' OWNER cafe", db="postgres")
    r = cafe("titles", "-q", "--db", "postgresql://cafe@/latin", path, env=pg.env())
    assert r.returncode == 2, r.stderr
    assert b"encoding is LATIN1" in r.stderr and b"UTF8" in r.stderr, r.stderr
    assert pg.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
                  db="latin") == [["0"]]


def test_long_urls_stored_and_done_for_resume():
    """A URL may be 8 KiB (a line's limit). A btree key on (run_id, url) takes at most 2704
    bytes: a longer URL that does not compress (a query string of random hex) failed its
    whole batch, and again at every --resume, so the run could never finish. The key is now
    an exclusion constraint over a hash index: any length, exact comparison. A table made
    with the old primary key still takes rows and resumes as before."""
    rnd = random.Random(5)
    u = [fx.url(i % SITES, f"/page/{i}?q=" + "".join(rnd.choice("0123456789abcdef")
                                                     for _ in range(n)))
         for i, n in enumerate([10, 2600, 3000, 8000, 20, 6000])]
    path = lists.write(u + [u[2]])  # and one given twice: the COPY breaks the key
    r = cafe("titles", "-q", "--db", spec("long"), path, env=pg.env())
    assert r.returncode == 0, r.stderr
    got = [x[0] for x in rows("long")]
    assert sorted(got) == sorted(u), [len(x) for x in got]
    r = cafe("titles", "--resume", "--db", spec("long"), path, env=pg.env())
    assert r.returncode == 0 and b"7 already done" in r.stderr, r.stderr
    assert count("long") == len(u)
    # A primary key, which logical replication (a replica identity: a publication of the
    # table refused every DELETE and UPDATE on it) and many tools need: the exclusion
    # constraint was none, so cafe's key is a primary key on (run_id, the URL's SHA-256).
    assert pg.sql("SELECT count(*) FROM pg_constraint WHERE conrelid = 'long'::regclass "
                  "AND contype = 'p'") == [["1"]]
    pg.sql("INSERT INTO long (run_id, seq, url, bytes, time_ms, attempts) "
           "VALUES (0, 0, 'a\\b', 0, 0, 1), (0, 1, 'a\\\\b', 0, 0, 1)")  # two rows
    assert pg.sql("SELECT count(*) FROM long WHERE url_sha256 <> sha256(convert_to(url, 'UTF8'))"
                  ) == [["0"]]  # the hash of the URL's UTF-8 bytes, backslashes too
    pg.sql("DELETE FROM long WHERE run_id = 0")
    pg.sql("CREATE PUBLICATION long_pub FOR TABLE long")
    try:
        pg.sql(f"DELETE FROM long WHERE url = '{u[0]}'")
    finally:
        pg.sql("DROP PUBLICATION long_pub")
    r = cafe("titles", "-q", "--resume", "--db", spec("long"), path, env=pg.env())
    assert r.returncode == 0 and count("long") == len(u), r.stderr  # that one fetched again
    # a table as the previous version made it (the exclusion constraint) is still taken
    pg.sql("CREATE TABLE excl (LIKE long); ALTER TABLE excl DROP COLUMN IF EXISTS url_sha256; "
           "ALTER TABLE excl ADD CONSTRAINT excl_run_url EXCLUDE USING hash "
           "((run_id::text || ' ' || url) WITH =)")
    for k in range(2):
        r = cafe("titles", "-q", *(["--resume"] if k else []), "--db", spec("excl"), path,
                 env=pg.env())
        assert r.returncode == 0, r.stderr
    assert count("excl") == len(u)
    # a table as cafe made it before: its primary key, and URLs it can hold
    pg.sql("CREATE TABLE oldkey (LIKE long); ALTER TABLE oldkey DROP COLUMN IF EXISTS url_sha256;"
           " ALTER TABLE oldkey ADD PRIMARY KEY (run_id, url)")
    short = lists.write([u[0], u[4], u[0]])
    for k in range(2):
        r = cafe("titles", *(["--resume"] if k else []), "--db", spec("oldkey"), short,
                 env=pg.env())
        assert r.returncode == 0, r.stderr
    assert b"3 already done" in r.stderr and count("oldkey") == 2, r.stderr
    # tables of the longest names (63), alike in their first 55 characters: a key each
    for end in ("_first", "_other"):
        r = cafe("titles", "-q", "--db", spec("t" * 57 + end), short, env=pg.env())
        assert r.returncode == 0, (end, r.stderr)
        assert count("t" * 57 + end) == 2


def test_a_row_the_table_refuses_loses_no_other_row():
    """A row the table refuses (here a URL too long for an index of the user's own on url, as
    the docs' queries join on url: "index row size 8048 exceeds btree version 4 maximum
    2704") failed its whole batch: the run stopped, none of the batch's rows stored, and
    every --resume stopped at the same row, so the run could never finish. That row alone is
    now left out, named on stderr; every other row is stored, the run ends failed with
    exit 2, and --resume tries only that one again."""
    rnd = random.Random(7)
    u = [fx.url(i % SITES, f"/page/{i}") for i in range(300)]
    long = [fx.url(0, "/page/x?q=" + "".join(rnd.choice("0123456789abcdef")
                                             for _ in range(8000))) for _ in range(2)]
    path = lists.write(u[:100] + [long[0]] + u[100:200] + [long[1]] + u[200:])
    assert cafe("titles", "-q", "--db", spec("refuse"), lists.write(u[:1]),
                env=pg.env()).returncode == 0  # run 1 makes the table
    pg.sql("CREATE INDEX refuse_url ON refuse (url)")
    runs = "SELECT run_id FROM runs WHERE table_name = 'refuse' ORDER BY run_id"
    for k in range(2):
        r = cafe("titles", *(["--resume"] if k else []), "--db", spec("refuse"), path,
                 env=pg.env())
        assert r.returncode == 2, (k, r.stderr)
        assert r.stderr.count(b"index row size") == 2, r.stderr
        assert b"2 rows refused" in r.stderr and b"--resume" in r.stderr, r.stderr
        run = pg.sql(runs)[1][0]
        got = [x[0] for x in pg.sql(f"SELECT url FROM refuse WHERE run_id = {run}")]
        assert sorted(got) == sorted(u), (k, len(got))
        assert pg.sql(f"SELECT status FROM runs WHERE run_id = {run}") == [["failed"]]
    pg.sql("DROP INDEX refuse_url")
    r = cafe("titles", "-q", "--resume", "--db", spec("refuse"), path, env=pg.env())
    assert r.returncode == 0, r.stderr
    assert count("refuse") == 1 + 302
    # a table that refuses every row stops the run once it refused 100, naming 10 at most
    pg.sql("ALTER TABLE refuse ADD CONSTRAINT nothing CHECK (seq < 0) NOT VALID")
    r = cafe("titles", "-q", "--db", spec("refuse"), path, env=pg.env())
    assert r.returncode == 2 and b"more than 100 rows refused" in r.stderr, r.stderr
    assert b"nothing" in r.stderr and r.stderr.count(b"\n") <= 11, r.stderr
    run = pg.sql(runs)[2][0]
    assert pg.sql(f"SELECT status, (SELECT count(*) FROM refuse WHERE run_id = {run}) FROM runs "
                  f"WHERE run_id = {run}") == [["failed", "0"]]


def test_rows_a_trigger_drops_are_not_counted_as_written():
    def drop(suffixes):
        like = " OR ".join(f"NEW.url LIKE '%{x}'" for x in suffixes)
        pg.sql("CREATE FUNCTION dropper() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN IF "
               f"{like} THEN RETURN NULL; END IF; RETURN NEW; END$$; CREATE TRIGGER dropper "
               "BEFORE INSERT ON dropper FOR EACH ROW EXECUTE FUNCTION dropper()")

    def held():
        return [x[0] for x in pg.sql("SELECT url FROM dropper WHERE run_id = (SELECT max(run_id) "
                                     "FROM runs WHERE table_name = 'dropper')")]
    dbtest.check_rows_a_trigger_drops(fx, lists, ["--db", spec("dropper")], drop,
                                      lambda: pg.sql("DROP TRIGGER dropper ON dropper"), held,
                                      env=pg.env())


def test_a_run_being_written_is_not_resumed_by_another():
    """Two --resume runs at once (a cron job overlapping its last run) both continued the
    table's latest run: each fetched the URLs left (twice the load on every site, past
    their politeness) and the first to end marked the run done while the other still wrote.
    A run is held by its writer's session (an advisory lock, gone with the connection, so a
    killed run is resumed as before): the second is refused, fetching nothing. The first
    waits at a gate (gated) until the second is done: paced by 60 ms delays alone (9 s), it
    could end first on a loaded machine."""
    gate = dbtest.Gate()
    u = gated(slow_urls(1500, first=60000), gate, 100)
    path = lists.write(u)
    args = [CAFE, "titles", "-q", "-c", "10", "--timeout", "150", "--db", spec("held"),
            "--resume", path]
    p = subprocess.Popen(args, env=pg.env(), stderr=subprocess.PIPE)
    try:
        dbtest.wait_until(lambda: count("held") >= 50 or p.poll() is not None)
        assert p.poll() is None, "the first run ended before the second began"
        # a role's idle_in_transaction_session_timeout ended the second's session while it
        # asked again for the run's lock, in the transaction that begins it (HOLD_MS):
        # "terminating connection due to idle-in-transaction timeout", not what happened
        for env in (pg.env(), pg.env(PGOPTIONS="-c idle_in_transaction_session_timeout=50")):
            r = subprocess.run(args, env=env, capture_output=True, timeout=120)
            assert r.returncode == 2, (r.returncode, r.stderr)
            assert b"being written by another" in r.stderr and b"URLs in" not in r.stderr, \
                r.stderr
        assert pg.sql("SELECT status FROM runs WHERE table_name = 'held'") == [["running"]]
    finally:
        gate.close()
        _, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    got = [x[0] for x in rows("held")]
    assert sorted(got) == sorted(u)
    assert pg.sql("SELECT status FROM runs WHERE table_name = 'held'") == [["done"]]


def test_a_new_run_is_never_seen_unheld_by_a_resume():
    """A new run inserted its runs row and took the run's lock in a second statement: a
    --resume begun between them found the row committed and unheld, took it as the latest
    run (one being written) and fetched every URL again, and the new run was then refused
    its own run. The proxy holds the new run's connection right after the statement that
    commits its row (the transaction that begins the run and tries its end: the tables are
    made beforehand, so that it is the first COMMIT): a --resume then is refused, as for
    any run being written, and the new run ends done."""
    assert cafe("titles", "-q", "--db", spec("gap"), lists.write([fx.url(0, "/page/61999")]),
                env=pg.env()).returncode == 0
    px = CutProxy(os.path.join(pg.dir, ".s.PGSQL.5432"))
    path = lists.write([fx.url(i % SITES, f"/page/{62000 + i}") for i in range(4)])
    uri = f"postgresql://cafe@127.0.0.1:{px.port}/cafe?table=gap&sslmode=disable"
    px.hold_after(b"COMMIT")
    p = subprocess.Popen([CAFE, "titles", "-q", "--db", uri, path], env=pg.env(),
                         stderr=subprocess.PIPE)
    try:
        dbtest.wait_until(lambda: px.holding.is_set() or p.poll() is not None)
        assert p.poll() is None, ("the run ended before it was held", p.communicate())
        assert pg.sql("SELECT status FROM runs WHERE table_name = 'gap' ORDER BY run_id") == \
            [["done"], ["running"]]
        r = cafe("titles", "-q", "--resume", "--db", spec("gap"), path, env=pg.env())
        assert r.returncode == 2 and b"being written by another" in r.stderr, r.stderr
    finally:
        px.resume()
        _, err = p.communicate(timeout=300)
        px.close()
    assert p.returncode == 0 and err == b"", err
    assert pg.sql("SELECT status FROM runs WHERE table_name = 'gap'") == [["done"], ["done"]]
    assert count("gap") == 5 and count(
        "run_resumes WHERE run_id IN (SELECT run_id FROM runs WHERE table_name = 'gap')") == 0


def test_a_role_idle_session_timeout_neither_drops_the_run_nor_its_hold():
    """A role (or database) with idle_session_timeout (PostgreSQL 14 on, set against
    forgotten sessions): cafe's session, idle while pages are fetched, was ended by the
    server between batches. Each batch then met a lost connection ("reconnecting" on
    stderr), and while none was open the run was held by no session: a --resume begun then
    took the run being written. cafe's session sets it to 0, as pg_dump does (and as it
    sets statement_timeout). The run waits at a gate, its session idle; the test waits until
    that session was idle four times the timeout (or is gone). The timeout is 1 s: at 300 ms
    the run once ended before the test acted on a machine at load ~20 (a session can be
    idle that long between its connect and cafe's SET there)."""
    if int(pg.sql("SHOW server_version_num")[0][0]) < 140000:
        raise Skip("idle_session_timeout is PostgreSQL 14's")
    gate = dbtest.Gate()
    u = gated([fx.url(i % SITES, f"/page/{61000 + i}") for i in range(30)], gate, 20)
    args = ["titles", "-q", "--timeout", "150", "--db", spec("idler"), lists.write(u)]
    p = subprocess.Popen([CAFE, *args], stderr=subprocess.PIPE,
                         env=pg.env(PGOPTIONS="-c idle_session_timeout=1000",
                                    PGAPPNAME="cafe-idler"))
    session = "FROM pg_stat_activity WHERE application_name = 'cafe-idler'"
    try:
        dbtest.wait_until(lambda: count("idler") >= 20 or p.poll() is not None)
        assert p.poll() is None, ("the run ended before the test acted", p.stderr.read())
        dbtest.wait_until(lambda: count(f"(SELECT 1 {session}) s") == 0 or count(
            f"(SELECT 1 {session} AND state = 'idle' AND "
            "state_change < now() - interval '4000 ms') s") == 1)
        r = cafe("titles", "-q", "--resume", *args[2:], env=pg.env())
        assert r.returncode == 2 and b"being written by another" in r.stderr, r.stderr
    finally:
        gate.close()
        _, err = p.communicate(timeout=300)
    assert p.returncode == 0 and err == b"", err
    assert sorted(x[0] for x in rows("idler")) == sorted(u)


def test_another_applications_advisory_lock_does_not_hold_a_run():
    """cafe held a run with the advisory lock (7165, run_id): a key any application may take
    (advisory locks are one space per database). Another program holding (7165, 1), or a
    run 1 of a runs table in another schema, refused cafe's --resume of its run 1 as
    "being written by another cafe". The key is now an MD5 of cafe's name for the lock,
    the schema and the run."""
    pg.sql("CREATE DATABASE locks OWNER cafe", db="postgres")
    pg.sql("CREATE SCHEMA other AUTHORIZATION cafe", db="locks")
    path = lists.write([fx.url(0, "/page/1"), fx.url(1, "/page/2")])
    uri = "postgresql://cafe@/locks"
    assert cafe("titles", "-q", "--db", uri, path, env=pg.env()).returncode == 0
    held = subprocess.Popen([os.path.join(pg.bin, "psql"), "-X", "-q", "-A", "-t", "-h", pg.dir,
                             "-U", "cafe", "-d", "locks"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    try:
        held.stdin.write(b"SELECT pg_advisory_lock(7165, 1), 'held';\n")
        held.stdin.flush()
        assert held.stdout.readline().strip() == b"|held"
        r = cafe("titles", "-q", "--resume", "--db", uri, path, env=pg.env())
        assert r.returncode == 0, r.stderr
        # run 1 of another schema's runs table, written at once, is another run (the first
        # waits at a gate, gated, until the other is done)
        gate = dbtest.Gate()
        p = subprocess.Popen([CAFE, "titles", "-q", "-c", "2", "--timeout", "150", "--resume",
                              "--db", uri,
                              lists.write(gated(slow_urls(60, first=90000), gate, 10))],
                             env=pg.env(), stderr=subprocess.PIPE)
        try:
            dbtest.wait_until(lambda: count("titles", db="locks") >= 3 or p.poll() is not None)
            assert p.poll() is None, "the first run ended too soon"
            r = cafe("titles", "-q", "--resume", "--db", uri, path,
                     env=pg.env(PGOPTIONS="-c search_path=other"))
            assert r.returncode == 0, r.stderr
        finally:
            gate.close()
            _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        assert pg.sql("SELECT run_id, count(*) FROM other.titles GROUP BY 1", db="locks") == \
            [["1", "2"]]
    finally:
        held.stdin.close()
        held.wait(timeout=60)


def test_hostile_titles_stored_as_json_holds_them():
    def run_and_read(table, path):
        r = cafe("titles", "-q", "--db", spec(table), path, env=pg.env())
        return r, json.loads(pg.sql(f"SELECT json_object_agg(url, title) FROM {table}")[0][0])
    dbtest.check_hostile_titles(run_and_read)


class CountingServer(PageServer):
    """A loopback HTTP server that counts the pages asked of it (each a tiny titled page);
    those past the first hold_after wait for release() (at most 120 s: give the run a
    --timeout above it), as a dbtest.Gate's."""

    def __init__(self, hold_after):
        self.count = 0
        self.hold_after = hold_after
        self.opened = threading.Event()
        self.lock = threading.Lock()  # a thread per connection: += alone could lose counts
        super().__init__(self._page)

    def _page(self, path):
        with self.lock:
            self.count += 1
            held = self.count > self.hold_after
        if held:
            self.opened.wait(120)
        return b"<title>" + path.encode() + b"</title>", "text/html"

    def release(self):
        self.opened.set()


def test_back_pressure_fetching_waits_for_a_blocked_table():
    """Once another session locks the table mid-run, the next batch's INSERT waits: cafe must
    stop fetching when the batch filling behind it (4000 rows) and its ordered window (1024)
    are full (the bound allows two whole batches), and finish once the lock goes. The pages
    past the 200th wait until the lock is held: else a run faster than the test taking the
    lock (a loaded machine slows the test's psql) could fetch beyond the bound's reach, or
    end, before it."""
    srv = CountingServer(hold_after=200)
    lock = None
    try:
        u = [f"http://127.0.0.1:{srv.port}/{i}" for i in range(12000)]
        p = subprocess.Popen([CAFE, "titles", "-q", "-c", "50", "--timeout", "150", "--db",
                              spec("bp"), lists.write(u)], env=pg.env(), stderr=subprocess.PIPE)
        dbtest.wait_until(lambda: srv.count >= 200 or p.poll() is not None,
                          state=lambda: f"fetched {srv.count} before the lock, exit {p.poll()}")
        lock = subprocess.Popen([os.path.join(pg_bin(), "psql"), "-X", "-q", "-A", "-t", "-h",
                                 pg.dir, "-U", "cafe", "-d", "cafe"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE)
        lock.stdin.write(b"BEGIN; LOCK TABLE bp IN ACCESS EXCLUSIVE MODE; SELECT 'locked';\n")
        lock.stdin.flush()
        assert lock.stdout.readline().strip() == b"locked"
        bound = srv.count + 2 * 4000 + 1024 + 150  # srv.count <= 200 + 50 in flight
        assert bound < 12000 and p.poll() is None, (bound, p.poll())
        srv.release()
        dbtest.wait_until(lambda: srv.count >= bound - 5000 or p.poll() is not None,
                          state=lambda: f"fetched {srv.count} under the lock (bound {bound}), "
                                        f"exit {p.poll()}")
        for _ in range(300):  # watch a while: the count must stay under the bound
            assert srv.count <= bound and p.poll() is None, (srv.count, bound, p.poll())
            select.select([], [], [], 0.01)
        lock.stdin.write(b"COMMIT;\n")
        lock.stdin.close()
        lock.wait()
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        assert srv.count == 12000
        assert int(pg.sql("SELECT count(*) FROM bp")[0][0]) == 12000
    finally:
        srv.release()
        if lock and lock.poll() is None:
            lock.kill()
        srv.close()


def test_queue_results_drain_deletes_only_what_committed():
    rs = RedisServer()
    try:
        dbtest.queue_with_results(rs, fx, "q", 1200, SITES)
        pg.sql("ALTER DATABASE cafe SET default_transaction_read_only = on", db="postgres")
        try:
            r = cafe("queue", "results", rs.url("q"), "--db", spec("exported"), "--drain",
                     env=pg.env())
            assert r.returncode == 2 and b"read-only" in r.stderr, r.stderr
            assert rs.cmd("XLEN", "cafe:{q}:results") == 1200  # nothing committed: all kept
        finally:
            pg.sql("ALTER DATABASE cafe SET default_transaction_read_only = off", db="postgres")
        r = cafe("queue", "results", rs.url("q"), "--db", spec("exported"), "--drain",
                 env=pg.env())
        assert r.returncode == 0, r.stderr
        assert rs.cmd("XLEN", "cafe:{q}:results") == 0
        assert count("exported") == 1200
    finally:
        rs.close()


def test_a_drain_into_an_unlogged_table_is_refused_before_it_deletes():
    """An UNLOGGED results table is emptied by the server's recovery after a crash: a drain
    into one committed its chunks, deleted them from Redis, and a crash later lost every
    record (here: none left anywhere). Refused at its start, nothing deleted; an export
    without --drain, and cafe titles (which fetches again what a crash emptied), still
    write it."""
    rs = RedisServer()
    try:
        dbtest.queue_with_results(rs, fx, "unlogged", 30, SITES)
        assert cafe("titles", "-q", "--db", spec("unlogged"), lists.write([fx.url(0, "/page/0")]),
                    env=pg.env()).returncode == 0
        pg.sql("ALTER TABLE unlogged SET UNLOGGED")
        r = cafe("queue", "results", rs.url("unlogged"), "--db", spec("unlogged"), "--drain",
                 env=pg.env())
        assert r.returncode == 2 and b"table unlogged is UNLOGGED" in r.stderr, r.stderr
        assert rs.cmd("XLEN", "cafe:{unlogged}:results") == 30 and count("unlogged") == 1
        r = cafe("queue", "results", rs.url("unlogged"), "--db", spec("unlogged"), env=pg.env())
        assert r.returncode == 0 and count("unlogged") == 31, r.stderr
        pg.stop("immediate")  # a crash: the recovery empties the table
        pg.start()
        assert count("unlogged") == 0 and rs.cmd("XLEN", "cafe:{unlogged}:results") == 30
    finally:
        rs.close()



def test_a_drain_through_a_view_or_a_partition_into_an_unlogged_table_is_refused():
    """The UNLOGGED refusal asked only the relation named: a view over an UNLOGGED table
    (the table renamed away, the view keeping its name), or a partitioned table (never
    UNLOGGED itself) whose partition is, took the drain, which deleted from Redis records a
    crash then emptied from the table. Refused at its start, nothing deleted, naming the
    UNLOGGED table."""
    pg.sql("CREATE DATABASE unlogged_under OWNER cafe", db="postgres")
    uri = "postgresql://cafe@/unlogged_under?table="
    one = lists.write([fx.url(0, "/page/0")])
    assert cafe("titles", "-q", "--db", uri + "fast", one, env=pg.env()).returncode == 0
    pg.sql("ALTER TABLE fast RENAME TO fast_2026; ALTER TABLE fast_2026 SET UNLOGGED; "
           "CREATE VIEW fast AS SELECT * FROM fast_2026; CREATE TABLE parted (LIKE fast_2026 "
           "INCLUDING GENERATED, PRIMARY KEY (run_id, url_sha256)) PARTITION BY RANGE (run_id); "
           "CREATE UNLOGGED TABLE parted_1 PARTITION OF parted FOR VALUES FROM (1) TO (1000)",
           db="unlogged_under")
    rs = RedisServer()
    try:
        dbtest.queue_with_results(rs, fx, "under", 20, SITES)
        for table, said in (("fast", b"table fast_2026 is UNLOGGED (fast writes into it)"),
                            ("parted", b"table parted_1 is UNLOGGED (parted writes into it)")):
            r = cafe("queue", "results", rs.url("under"), "--db", uri + table, "--drain",
                     env=pg.env())
            assert r.returncode == 2 and said in r.stderr, (table, r.stderr)
            assert rs.cmd("XLEN", "cafe:{under}:results") == 20
        assert count("fast", db="unlogged_under") == 1
        assert count("parted", db="unlogged_under") == 0
    finally:
        rs.close()

run_tests(globals(), cleanup=(fx.close, pg.close, lists.close))
