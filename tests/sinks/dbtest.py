"""Helpers shared by the database sink tests (sqlite_e2e.py, pg_e2e.py)."""
import json
import os
import select
import shutil
import tempfile
import threading
import time

from harness import Nginx, cafe
from pageserver import PageServer


def title(site, page):
    return f"Site {site} page {page} \u2014 cafe fixture"


class Lists:
    """URL list files in a temporary directory."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="cafe-db-")
        os.chmod(self.dir, 0o755)
        self.n = 0

    def write(self, lines):
        self.n += 1
        path = os.path.join(self.dir, f"list{self.n}.txt")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def wait_until(cond, limit=120, state=None):
    """Polls cond (an observation of the run under test) every 20 ms, at most limit s; on
    failure the message says what state() saw then (where the run stood)."""
    end = time.monotonic() + limit
    while not cond():
        assert time.monotonic() < end, f"condition not reached: {state() if state else ''}"
        select.select([], [], [], 0.02)


class Gate:
    """A page whose reply waits until release() (at most limit s): a run given its url
    cannot end before the test has done what it does mid-run, however slow the machine. A
    run paced by the fixture's delays alone ends in the same wall time on a loaded machine,
    where the test watching it is slowed: it could end first (the test then failed, a
    flake). Its response is the run's to wait for: give the run a --timeout above limit.
    With origins=N, N servers of one gate, self.urls one page on each: N URLs in a row hold
    N transfer slots (a slot is per request, a host's connection permit per origin), so a
    run given -c N fetches nothing past them, ordered or not (--unordered writes what
    finished past a single gate)."""

    def __init__(self, limit=120, origins=1):
        self.opened = threading.Event()

        def page(path):
            self.opened.wait(limit)
            return b"<title>gate</title>", "text/html"
        self.servers = [PageServer(page) for _ in range(origins)]
        self.urls = [s.url("/gate") for s in self.servers]
        self.url = self.urls[0]

    def release(self):
        self.opened.set()

    def close(self):
        self.release()
        for s in self.servers:
            s.close()


HOSTILE = {
    "nul.html": b"<meta charset=utf-8><title>a\x00b</title>",
    "bad.html": b"<meta charset=utf-8><title>caf\xe9 \xff\xfe \xed\xa0\x80 ok</title>",
    "long.html": b"<meta charset=utf-8><title>" + "\u00e9x".encode() * 150000 + b"</title>",
    "none.html": b"<p>no title",
    "quote.html": b"<meta charset=utf-8><title>it's \"quoted\" {a,b} \\\\ NULL; DROP TABLE x; --</title>",
}


def check_hostile_titles(run_and_read):
    """run_and_read(table, list_path) -> (CompletedProcess, {url: title or None}) for the
    database under test; its titles must equal what the JSON record holds."""
    root = tempfile.mkdtemp(prefix="cafe-www-")
    os.chmod(root, 0o755)
    for name, body in HOSTILE.items():
        with open(os.path.join(root, name), "wb") as f:
            f.write(body)
    ng = Nginx(root)
    lists = Lists()
    try:
        path = lists.write([ng.url("/" + n) for n in HOSTILE])
        want = {}
        for line in cafe("titles", "-q", "--json", path).stdout.decode().splitlines():
            rec = json.loads(line)
            want[rec["url"]] = rec["title"]
        r, got = run_and_read("hostile", path)
        assert r.returncode == 0, r.stderr
        assert len(want) == len(HOSTILE) and got == want, [
            (u, want[u][:40] if want[u] else None, (got.get(u) or "")[:40])
            for u in want if got.get(u) != want[u]]
        assert len(want[ng.url("/long.html")]) > 2000  # as long as the extractor keeps
    finally:
        ng.close()
        lists.close()
        shutil.rmtree(root, ignore_errors=True)


def check_fail_counts_recorded_failures(fx, lists, target, env=None):
    """--fail --resume onto a database (target: cafe's arguments naming it) exits 1 when the
    run it resumes recorded a failure of a URL the list has, as the whole run does: it exited
    0, counting only its own. A first run cut short after a 404's row (given the list's first
    four lines), then resumed with the whole list; then resumed with a list without the 404
    (its text/plain page is a 'not HTML' row, no failure): 0."""
    page = [fx.url(0, f"/page/{i}") for i in range(4)]
    full = [page[0], fx.url(0, "/status/200"), page[1], fx.url(0, "/status/404"), page[2]]
    r = cafe("titles", "-q", "--fail", *target, lists.write(full[:4]), env=env)
    assert r.returncode == 1, r.stderr
    r = cafe("titles", "--fail", "--resume", *target, lists.write(full), env=env)
    assert r.returncode == 1, r.stderr
    assert b"4 already done, 1 of them failed" in r.stderr, r.stderr
    other = lists.write([page[0], fx.url(0, "/status/200"), page[1], page[3]])
    r = cafe("titles", "-q", "--fail", "--resume", *target, other, env=env)
    assert r.returncode == 0, r.stderr


def queue_with_results(rs, fx, name, n, sites):
    """A Redis queue `name` whose results stream holds the records of n fixture URLs (pushed,
    then fetched by one worker). Returns the URLs."""
    urls = [fx.url(i % sites, f"/page/{i}") for i in range(n)]
    lists = Lists()
    try:
        r = cafe("queue", "push", rs.url(name), lists.write(urls))
        assert r.returncode == 0, r.stderr
        r = cafe("titles", "-q", "--queue", rs.url(name))
        assert r.returncode == 0, r.stderr
    finally:
        lists.close()
    assert rs.cmd("XLEN", f"cafe:{{{name}}}:results") == n
    return urls


def check_resume_continues_a_titles_run(fx, lists, rs, target, rows_by_run, env=None):
    """--resume continues the latest run of cafe titles in the table: it continued the
    latest run of any writer, a `cafe queue results` export (or a `cafe serve` job) that
    wrote into the table after the crawl stopped, fetching the whole list again into the
    export's run and leaving the crawl's run unfinished. target: cafe's arguments naming the
    database; rows_by_run() -> [(run_id, rows)]."""
    u = [fx.url(i % 4, f"/page/{62000 + i}") for i in range(6)]
    assert cafe("titles", "-q", *target, lists.write(u[:3]), env=env).returncode == 0
    queue_with_results(rs, fx, "between", 2, 4)
    r = cafe("queue", "results", rs.url("between"), *target, env=env)
    assert r.returncode == 0, r.stderr
    r = cafe("titles", "--resume", *target, lists.write(u), env=env)
    assert r.returncode == 0 and b"3 already done" in r.stderr, r.stderr
    assert [n for _, n in rows_by_run()] == [6, 2], rows_by_run()  # crawl, export


def check_rows_a_trigger_drops(fx, lists, target, drop, undrop, held, env=None):
    """A trigger of the user's that drops rows without an error (PostgreSQL: BEFORE INSERT
    returning NULL; SQLite: RAISE(IGNORE)): the statement succeeds, and cafe counted those
    rows written, the run ending done with exit 0 and nothing said. Each is now named as not
    stored and the run fails (exit 2), as for a row the table refuses; a URL given twice (one
    row, as ever) is not taken for one. Once the trigger is gone, --resume fetches them.
    target: cafe's arguments naming the database; drop(suffixes) makes the trigger dropping
    the URLs ending so, undrop() removes it; held() -> the URLs the table's latest run holds."""
    u = [fx.url(i % 4, f"/page/{71000 + i}") for i in range(40)]
    gone = [u[7], u[31]]
    assert cafe("titles", "-q", *target, lists.write(u[:1]), env=env).returncode == 0
    drop(["/page/71007", "/page/71031"])
    for path in (lists.write(u), lists.write(u + [u[5]])):  # PostgreSQL: by COPY; by INSERT
        r = cafe("titles", "-q", *target, path, env=env)
        assert r.returncode == 2, r.stderr
        assert r.stderr.count(b"dropped by a trigger of the table") == 2, r.stderr
        assert all(g.encode() in r.stderr for g in gone) and b"2 rows refused" in r.stderr, \
            r.stderr
        assert sorted(held()) == sorted(set(u) - set(gone))
    undrop()
    r = cafe("titles", "-q", "--resume", *target, path, env=env)
    assert r.returncode == 0, r.stderr
    assert sorted(held()) == sorted(u)
