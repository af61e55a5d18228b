"""Interruption: SIGINT, SIGTERM and SIGKILL at seeded random moments of a 20,000-URL run with
-o FILE --json, then --resume, round after round (every other one --unordered, every third
--threads 2); a last --resume (on 2 threads for the JSON file) completes it. The file must then hold exactly one complete record per URL: records
lost 0, duplicates 0. The same rounds into -o FILE.sqlite: one row per URL; shorter ones into
--csv and --csv-safe files: one whole row per line. Figures go to
$CAFE_RELIABILITY_OUT when set."""
import contextlib
import csv
import io
import json
import os
import random
import re
import select
import signal
import sqlite3
import subprocess
import threading
import time

from faultlib import CAFE, TMP, Fixture, RawServer, run_tests, save_figures, write_list
from harness import HoldServer, http_reply

SEED = int(os.environ.get("CAFE_FAULTS_SEED", "6"))
ROUNDS = int(os.environ.get("CAFE_FAULTS_ROUNDS", "6"))
N = 20000
SITES = 40
fx = Fixture("--sites", str(SITES), "--size", "2000")
figures = {"seed": SEED, "rounds": []}


def lines_in(path):
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        return f.read().split(b"\n")


def wait_for_records(p, out, goal):
    """Polls out (reading only what was appended) until it holds goal lines or p exits;
    bounded: 5 minutes. Returns about how many ms it waited."""
    seen = pos = 0
    for waited in range(0, 300000, 2):
        if p.poll() is not None:
            return waited
        try:
            with open(out, "rb") as f:
                f.seek(pos)
                data = f.read()
        except OSError:
            data = b""
        pos += len(data)
        seen += data.count(b"\n")
        if seen >= goal:
            return waited
        select.select([], [], [], 0.002)
    return waited


SIGS = [signal.SIGINT, signal.SIGTERM, signal.SIGKILL]
# cafe's end after each signal: SIGINT and SIGTERM stop it cleanly, then it dies of the
# signal (a shell shows 130 and 143), as SIGKILL kills it
INTERRUPTED = (-signal.SIGKILL, -signal.SIGINT, -signal.SIGTERM)


def shell_status(rc):
    """What a shell's $? shows for a Popen returncode (a death by signal N is 128 + N)."""
    return 128 - rc if rc < 0 else rc


def url_list(last=None):
    """The input: (its URLs as records hold them, its path). One line in 500 is bad (recorded
    as an error at once, under its raw text, invalid UTF-8 included): resuming must not record
    those again either. last: a URL after the N."""
    raw = [fx.url(i % SITES, f"/page/{i}?delay={i % 25}").encode() if i % 500 != 250 else
           [b"ftp://127.0.0.1/x%d", b"http://exa mple.com/%d", b"http://bad host/\xff%d",
            b"gopher://127.0.0.1/%d"][i // 500 % 4] % i for i in range(N)]
    raw += [last.encode()] if last else []
    path = os.path.join(TMP, "interrupt.txt")
    with open(path, "wb") as f:
        f.write(b"".join(l + b"\n" for l in raw))
    return [l.decode("utf-8", "replace") for l in raw], path


def moment(rnd, k, done):
    """The moment of round k: once the run has written a seeded random number of records, at
    most an even share of what is left, so that every round lands inside its run (a moment in
    milliseconds would miss the run on a slow or sanitized build)."""
    return done + rnd.randint(1, max(1, (N - done) // (ROUNDS - k + 1)))


def check_titles(byurl, urls):
    for i in range(0, N, 97):
        if i % 500 == 250:
            assert byurl[urls[i]]["error"].startswith("invalid URL"), byurl[urls[i]]
        else:
            assert byurl[urls[i]]["title"] == f"Site {i % SITES} page {i} \u2014 cafe fixture"


def test_interrupt_and_resume():
    """Every round ends by its signal: the last URL is held (a HoldServer's) until the last
    --resume, so that no round's run can end first (the rounds' --timeout outlasts the
    hold). Paced by the fixture's delays alone (the whole list in about 2.4 s), a test slowed
    for a second after its moments signalled runs already ended: two such rounds failed it."""
    rnd = random.Random(SEED)
    hold = HoldServer(lambda head: http_reply(b"<title>last</title>"))
    try:
        interrupt_rounds(rnd, hold)
    finally:
        hold.release()
        hold.close()


def interrupt_rounds(rnd, hold):
    urls, path = url_list(last=hold.url("/last"))
    out = os.path.join(TMP, "interrupt.jsonl")
    interrupted = 0
    for k in range(ROUNDS):
        sig = SIGS[k % 3] if k < 3 else rnd.choice(SIGS)
        before = lines_in(out)
        done = max(0, len(before) - 1)
        goal = min(moment(rnd, k, done), N)  # N at most: the held last one never comes
        args = [CAFE, "titles", "-q", "--json", "-c", "100", "--timeout", "3600", "-o", out] + \
               (["--resume"] if k else []) + (["--unordered"] if k % 2 else []) + \
               (["--threads", "2"] if k % 3 == 2 else []) + [path]
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_ms = wait_for_records(p, out, goal)
        if p.poll() is None:
            p.send_signal(sig)
        _, err = p.communicate(timeout=300)
        after = lines_in(out)
        torn = "kill" if after[-1] != b"" else ""  # a record cut by SIGKILL mid-write
        if p.returncode in INTERRUPTED:
            interrupted += 1
        else:
            assert p.returncode == 0, (p.returncode, err[-300:])
        missing = None
        if sig == signal.SIGKILL and not torn:
            # SIGKILL rarely lands inside a write: make the torn tail it can leave, a record
            # cut short, for a URL not recorded yet. --resume must cut it off and redo it.
            have = {json.loads(l)["url"] for l in after if l}
            missing = next((u for u in urls if u not in have), None)
        if sig == signal.SIGKILL and not torn and missing:
            with open(out, "ab") as f:
                f.write(json.dumps({"url": missing, "final_url": missing})[:-20].encode())
            torn = "test"
        figures["rounds"].append({"signal": signal.Signals(sig).name, "unordered": k % 2 == 1,
                                  "threads": 2 if k % 3 == 2 else 1,
                                  "at_record": goal, "at_ms": wait_ms,
                                  "exit": shell_status(p.returncode), "lines_before": done,
                                  "lines_after": len(after) - 1, "torn_tail": torn})
    assert interrupted == ROUNDS, figures  # the moments must land inside the runs
    hold.release()
    r = subprocess.run([CAFE, "titles", "-q", "--json", "-o", out, "--resume", "--threads", "2",
                        path], capture_output=True, timeout=600)
    assert r.returncode == 0, r.stderr[-300:]
    with open(out, "rb") as f:
        data = f.read()
    assert data.endswith(b"\n"), data[-100:]
    recs = [json.loads(l) for l in data.decode().splitlines()]  # every line complete
    got = [x["url"] for x in recs]
    lost = len(set(urls) - set(got))
    dupes = len(got) - len(set(got))
    figures.update({"torn_tails": sum(bool(r["torn_tail"]) for r in figures["rounds"]),
                    "torn_by_kill": sum(r["torn_tail"] == "kill" for r in figures["rounds"]), "urls": len(urls), "records": len(recs), "lost": lost, "duplicates": dupes,
                    "interrupted_rounds": interrupted})
    assert lost == 0 and dupes == 0 and len(recs) == len(urls), figures
    check_titles({x["url"]: x for x in recs}, urls)


def csv_urls(data, safe):
    """The url column of a CSV file cafe wrote (every row whole: eleven fields)."""
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    assert rows and rows[0][:2] == ["url", "final_url"], rows[:1]
    assert all(len(r) == 11 for r in rows), [r for r in rows if len(r) != 11][:2]
    return [r[0][1:] if safe and r[0][:1] == "'" else r[0] for r in rows[1:]]


def test_interrupt_and_resume_csv():
    """The rounds into -o FILE --csv and --csv-safe (their header, quoting and formula marks;
    bad lines that start as formulas): SIGKILL, SIGTERM, SIGINT, then SIGKILL again at
    seeded moments, a torn row made when SIGKILL left none, then a last --resume: exactly
    one whole row per input line. As in test_interrupt_and_resume, the last URL is held (a
    HoldServer's, one for each format) until the last --resume, so that every round ends
    by its signal: paced by the fixture's delays alone, a test slowed after its moments
    signalled runs already ended (shown with an 8 s pause before each signal: every round
    ended 0, the case failed)."""
    holds = [HoldServer(lambda head: http_reply(b"<title>last</title>")) for _ in range(2)]
    try:
        interrupt_rounds_csv(holds)
    finally:
        for hold in holds:
            hold.release()
            hold.close()


def interrupt_rounds_csv(holds):
    rnd = random.Random(SEED + 2)
    n = 4000
    urls = [fx.url(i % SITES, f"/page/{i}?delay={i % 25}") if i % 400 != 200 else
            ["=1+1 %d", "-x %d", "@y %d", "+z %d"][i // 400 % 4] % i for i in range(n)]
    figures["csv"] = rounds = []
    for fmt, hold in zip(("--csv", "--csv-safe"), holds):
        last = urls + [hold.url("/last")]  # after the n: the moments never wait for it
        path = os.path.join(TMP, "interrupt-csv" + fmt + ".txt")
        with open(path, "w") as f:
            f.write("".join(u + "\n" for u in last))
        out = os.path.join(TMP, "interrupt" + fmt)
        for k, sig in enumerate([signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGKILL]):
            done = max(0, len(lines_in(out)) - 2)
            goal = done + 2 + rnd.randint(1, max(1, (n - done) // (5 - k)))
            goal = min(goal, n + 1)  # the header and the n at most: the held one never comes
            p = subprocess.Popen([CAFE, "titles", "-q", fmt, "-c", "100", "--timeout", "3600",
                                  "-o", out] + (["--resume"] if k else []) +
                                 (["--unordered"] if k % 2 else []) + [path],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            wait_for_records(p, out, goal)
            if p.poll() is None:
                p.send_signal(sig)
            _, err = p.communicate(timeout=300)
            assert p.returncode in INTERRUPTED, (fmt, k, p.returncode, err[-300:])
            with open(out, "rb") as f:
                data = f.read()
            torn = "kill" if not data.endswith(b"\n") else ""
            if sig == signal.SIGKILL and not torn and data:
                have = set(csv_urls(data, fmt == "--csv-safe"))
                missing = next(u for u in last if u not in have and u.startswith("http"))
                with open(out, "ab") as f:  # a row cut short, as SIGKILL mid-write leaves
                    f.write(f"{missing},{missing},200,Site".encode())
                torn = "test"
            rounds.append({"format": fmt, "signal": signal.Signals(sig).name, "at_row": goal,
                           "exit": shell_status(p.returncode), "torn_tail": torn})
        hold.release()
        r = subprocess.run([CAFE, "titles", "-q", fmt, "-o", out, "--resume", path],
                           capture_output=True, timeout=600)
        assert r.returncode == 0, (fmt, r.stderr[-300:])
        with open(out, "rb") as f:
            data = f.read()
        assert data.endswith(b"\r\n"), (fmt, data[-100:])
        got = csv_urls(data, fmt == "--csv-safe")
        assert sorted(got) == sorted(last), (fmt, len(got), len(set(got)), sorted(set(got) ^ set(last))[:6])

def db_rows(path, sql="SELECT count(*) FROM titles"):
    try:
        with sqlite3.connect(path) as c:
            return c.execute(sql).fetchall()
    except sqlite3.Error:  # not created yet
        return [(0,)]


def test_interrupt_and_resume_sqlite():
    """The same rounds into -o FILE.sqlite, every other one --unordered and with another -c,
    every third on 2 threads:
    the table must hold exactly one row per input line, in one run that ended done. The last
    URL is held until the last --resume, as in test_interrupt_and_resume: every round ends
    by its signal (paced by the delays alone, a test slowed 8 s before each signal saw every
    run end done, and the case failed)."""
    hold = HoldServer(lambda head: http_reply(b"<title>last</title>"))
    try:
        interrupt_rounds_sqlite(hold)
    finally:
        hold.release()
        hold.close()


def interrupt_rounds_sqlite(hold):
    rnd = random.Random(SEED + 1)
    urls, path = url_list(last=hold.url("/last"))
    out = os.path.join(TMP, "interrupt.sqlite")
    figures["sqlite"] = rounds = []
    for k in range(ROUNDS):
        sig = SIGS[k % 3] if k < 3 else rnd.choice(SIGS)
        done = db_rows(out)[0][0]
        goal = min(moment(rnd, k, done), N)  # N at most: the held last one never comes
        args = [CAFE, "titles", "-q", "-c", "60" if k % 2 else "100", "--timeout", "3600",
                "-o", out] + \
               (["--resume"] if k else []) + (["--unordered"] if k % 2 else []) + \
               (["--threads", "2"] if k % 3 == 2 else []) + [path]
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(60000):  # bounded: 5 minutes
            if p.poll() is not None or db_rows(out)[0][0] >= goal:
                break
            select.select([], [], [], 0.005)
        if p.poll() is None:
            p.send_signal(sig)
        _, err = p.communicate(timeout=300)
        assert p.returncode in INTERRUPTED, (p.returncode, err[-300:])
        status = db_rows(out, "SELECT status FROM runs")
        rounds.append({"signal": signal.Signals(sig).name, "at_row": goal,
                       "exit": shell_status(p.returncode),
                       "rows_before": done, "rows_after": db_rows(out)[0][0], "run": status})
        # a clean stop says so; SIGKILL leaves the run "running" (nothing could end it)
        want = {0: "done", -signal.SIGKILL: "running"}.get(p.returncode, "interrupted")
        assert status == [(want,)], rounds
    hold.release()
    r = subprocess.run([CAFE, "titles", "-q", "-o", out, "--resume", path], capture_output=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-300:]
    rows = db_rows(out, "SELECT url, title, error, seq FROM titles")
    got = [x[0] for x in rows]
    assert len(got) == len(set(got)) == len(urls) and set(got) == set(urls), (len(got), len(set(got)))
    wrong = [x for x in rows if urls[x[3]] != x[0]]  # seq: the line's place, resumed or not
    assert not wrong, wrong[:3]
    check_titles({x[0]: {"title": x[1], "error": x[2]} for x in rows}, urls)
    assert db_rows(out, "SELECT run_id, status FROM runs") == [(1, "done")]


class Held:
    """RawServer handlers for /p0 ... /pN-1 that count the requests and hold each until
    release() (then a page titled "held /pI")."""

    def __init__(self, n):
        self.count = 0
        self.cond = threading.Condition()
        self.go = threading.Event()
        self.handlers = {f"/p{i}": self.handler(i) for i in range(n)}

    def handler(self, i):
        def gen():
            with self.cond:
                self.count += 1
                self.cond.notify_all()
            self.go.wait()
            body = f"<title>held /p{i}</title>".encode()
            yield (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
                   b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return gen

    def wait_for(self, n):
        with self.cond:
            assert self.cond.wait_for(lambda: self.count >= n, 60), self.count


@contextlib.contextmanager
def held_server(n):
    """A RawServer whose /p0 ... /pN-1 wait for held.go (Held); on the way out, however the
    test ends, they are let go and the server closed."""
    held = Held(n)
    srv = RawServer(held.handlers)
    try:
        yield held, srv
    finally:
        held.go.set()
        srv.close()


def test_an_interrupted_run_resume_cannot_continue_is_not_sent_to_it():
    # the summary of a run writing the guide's lines (to a terminal, a pipe, > file) said
    # "--resume fetches the rest", and the --resume it sent the user to refused the run:
    # "--resume needs -o FILE" (or "needs --json, --csv or --csv-safe output")
    for fmt in ([], ["-o", os.path.join(TMP, "lines.txt")], ["--json"]):
        with held_server(20) as (held, srv):
            p = subprocess.Popen([CAFE, "titles", "-c", "2", *fmt,
                                  write_list([srv.url(f"/p{i}") for i in range(20)])],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            held.wait_for(2)
            p.send_signal(signal.SIGINT)
            _, err = p.communicate(timeout=60)
            assert p.returncode == -signal.SIGINT, (fmt, p.returncode, err)
            assert b"--resume fetches the rest" not in err, (fmt, err)
            assert b"queued not started (only a run with -o FILE and --json or CSV, or --db, " \
                b"can be continued by --resume)\n" in err, (fmt, err)


def test_drain_does_not_retry_after_the_interrupt():
    # --drain lets the requests in flight finish and starts nothing more; but a URL waiting
    # to retry (here a 503 with Retry-After: 20) counted as in flight, so after Ctrl-C cafe
    # slept, retried, slept and retried again: 80 s and four new requests for two URLs. A
    # URL between its tries is waiting for its turn: it is cancelled, gets no record, and
    # --resume fetches it. On one thread and on two.
    for threads in ([], ["--threads", "2"]):
        hits, both = {"n": 0}, threading.Event()
        lock = threading.Lock()

        def busy():
            with lock:
                hits["n"] += 1
                if hits["n"] == 2:
                    both.set()
            yield (b"HTTP/1.1 503 Busy\r\nRetry-After: 20\r\nContent-Length: 0\r\n"
                   b"Connection: close\r\n\r\n")

        srv = RawServer({"/a": busy, "/b": busy})
        try:
            out = os.path.join(TMP, "drain-retry.jsonl")
            p = subprocess.Popen([CAFE, "titles", "--json", "--drain", "-o", out, *threads,
                                  write_list([srv.url("/a"), srv.url("/b")])],
                                 stderr=subprocess.PIPE)
            assert both.wait(60), "the two first tries never came"
            p.send_signal(signal.SIGINT)
            try:
                _, err = p.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.communicate()
                raise AssertionError(f"{threads}: still retrying 15 s after the interrupt")
            with open(out) as f:
                recs = f.read()
            assert p.returncode == -signal.SIGINT, (threads, p.returncode, err)
            assert recs == "" and hits["n"] == 2, (threads, recs, hits)
            # (whether "letting 0 URLs in flight finish" or 2 depends on whether cafe had read
            # the 503s when the signal came, and a worker's wait is not seen from the main loop;
            # either way those tries finish, and the waits after them are cancelled). The
            # summary called those waits "2 in flight cancelled": no request was cut short.
            assert b"interrupted: 0 in flight finished, 2 waiting to retry cancelled, 0 queued" \
                in err, (threads, err)
        finally:
            srv.close()


def test_in_flight_counts_no_url_waiting_to_retry():
    # The progress line's "in flight" and --drain's "letting N URLs in flight finish" counted
    # the URLs only waiting to retry (a 503 with Retry-After: 30), which are not in flight:
    # here one held request and one retry wait showed "2 in flight", and with --threads the
    # message said "letting 2" for the one URL it let finish. -c 1 (on two threads, each
    # worker's share of -c 2, the origin being one worker's): the held request starts once
    # the 503 was read and its URL waits to retry. On one thread and on two. The 503 comes
    # from a server of its own: a Retry-After holds its host back too (at most 60 s), and
    # with the held page on the same origin the held request started only 30 s later (the
    # case took 60 s of the suite's 74, waiting).
    busy = RawServer({"/a": lambda: iter([b"HTTP/1.1 503 Busy\r\nRetry-After: 30\r\n"
                                          b"Content-Length: 0\r\nConnection: close\r\n\r\n"])})
    try:
        for threads in (["-c", "1"], ["-c", "2", "--threads", "2"]):
            in_flight_with_a_retry_waiting(threads, busy)
    finally:
        busy.close()


def in_flight_with_a_retry_waiting(threads, busy):
    import pty
    with held_server(1) as (held, srv):
        out = os.path.join(TMP, "in-flight.jsonl")
        lst = write_list([busy.url("/a"), srv.url("/p0")])
        pid, fd = pty.fork()
        if pid == 0:
            os.environ["TERM"] = "xterm"
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            os.execv(CAFE, [CAFE, "titles", "--json", "--drain", *threads, "-o", out, lst])
        got = b""

        def read_until(done):
            nonlocal got
            while not done():
                r, _, _ = select.select([fd], [], [], 60)
                assert r, (threads, got[-300:])
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    data = b""
                assert data, (threads, got[-300:])
                got += data
        try:
            held.wait_for(1)
            mark = len(got)  # what was drawn before the held request started goes
            while select.select([fd], [], [], 0)[0]:
                got += os.read(fd, 4096)
            mark = len(got)
            # on two threads the held page's worker may start it before the other one has
            # read its 503: "2 in flight" is then true for a moment; it must come down to 1
            # (counting the retry wait, it stayed 2)
            def drawn():
                return re.findall(rb"(\d+) in flight, [^\r]*URLs/s", got[mark:])
            read_until(lambda: len(drawn()) >= 20 or (len(drawn()) >= 2 and
                                                      drawn()[-1] == b"1"))
            assert drawn()[-1] == b"1", (threads, got[mark:])
            os.kill(pid, signal.SIGINT)
            read_until(lambda: re.search(rb"letting \d+ URLs? in flight finish", got))
            # one URL, not "1 URLs"
            assert b"letting 1 URL in flight finish" in got, (threads, got[-400:])
            held.go.set()
            while True:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    break
                if not data:
                    break
                got += data
        finally:
            held.go.set()
            _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == -signal.SIGINT, (threads, got[-400:])
        # the URL waiting to retry was "1 in flight cancelled" in the summary
        assert b"interrupted: 1 in flight finished, 1 waiting to retry cancelled, 0 queued" \
            in got, (threads, got[-400:])


def test_drain_finishes_only_what_is_in_flight():
    # issue 15 item 6: -c 10 and 100 URLs to a server that holds every request until told.
    # Once 10 are in flight, SIGINT: --drain finishes exactly those 10 and starts none of the
    # others; without it the 10 are cancelled too. The summary counts each. Of the 90 others,
    # those queued behind -c are the reader's look-ahead (issue 11: about -c / 4 of them,
    # at least 16); the rest were not read yet. --resume fetches all 90.
    for drain in (True, False):
        with held_server(100) as (held, srv):
            out = os.path.join(TMP, "drain.jsonl")
            if os.path.exists(out):
                os.unlink(out)
            lines = [srv.url(f"/p{i}") for i in range(100)]
            args = [CAFE, "titles", "--json", "-c", "10", "--per-host", "10", "-o", out]
            p = subprocess.Popen(args + (["--drain"] if drain else []) + [write_list(lines)],
                                 stderr=subprocess.PIPE)
            held.wait_for(10)
            p.send_signal(signal.SIGINT)
            if drain:  # the answers go out once cafe said it stopped starting URLs
                line = b"-"
                while line and b"letting" not in line:
                    line = p.stderr.readline()
                assert re.search(rb"letting 10 URLs in flight finish, ([1-9]|[1-8][0-9]|90) queued "
                                 rb"not started", line), line
                held.go.set()
            _, err = p.communicate(timeout=60)
            with open(out) as f:
                recs = [json.loads(l) for l in f]
            assert p.returncode == -signal.SIGINT, (drain, p.returncode, err)
            assert held.count == 10, (drain, held.count)  # no queued URL was started
            if drain:  # the 10 in flight finished and were written, complete
                assert sorted(x["title"] for x in recs) == sorted(
                    f"held /p{i}" for i in range(10)), recs
                assert re.search(rb"interrupted: 10 in flight finished, ([1-9]|[1-8][0-9]|90) "
                                 rb"queued not started", err), err
                # the 90 were not done: --resume fetches them, and only them
                r = subprocess.run(args + ["--resume", write_list(lines)], capture_output=True,
                                   timeout=60)
                with open(out) as f:
                    urls = [json.loads(l)["url"] for l in f]
                assert r.returncode == 0 and sorted(urls) == sorted(lines), (r.stderr, urls)
                assert held.count == 100, held.count
            else:  # cancelled: no record, so that --resume fetches them
                assert recs == [], recs
                assert re.search(rb"interrupted: 10 in flight cancelled, ([1-9]|[1-8][0-9]|90) "
                                 rb"queued not started \(--resume fetches the rest\)", err), err



def test_drain_with_threads():
    # --threads 2 -c 20: one origin is one worker's, with its share of -c (10). 60 URLs to a
    # server that holds every request; once 10 are in flight, SIGINT with --drain: those 10
    # finish and are written, no other request reaches the server, and --resume on 2 threads
    # fetches the other 50 and only those.
    with held_server(60) as (held, srv):
        out = os.path.join(TMP, "drain-threads.jsonl")
        lines = [srv.url(f"/p{i}") for i in range(60)]
        args = [CAFE, "titles", "--json", "--threads", "2", "-c", "20", "--per-host", "20",
                "-o", out, write_list(lines)]
        p = subprocess.Popen(args + ["--drain"], stderr=subprocess.PIPE)
        held.wait_for(10)
        p.send_signal(signal.SIGINT)
        line = b"-"
        while line and b"letting" not in line:
            line = p.stderr.readline()
        assert re.search(rb"letting 10 URLs in flight finish, \d+ queued not started", line), line
        held.go.set()
        _, err = p.communicate(timeout=60)
        assert p.returncode == -signal.SIGINT and held.count == 10, (p.returncode, held.count, err)
        with open(out) as f:
            recs = [json.loads(l) for l in f]
        assert sorted(x["title"] for x in recs) == sorted(f"held /p{i}" for i in range(10)), recs
        r = subprocess.run(args + ["--resume"], capture_output=True, timeout=60)
        with open(out) as f:
            urls = [json.loads(l)["url"] for l in f]
        assert r.returncode == 0 and sorted(urls) == sorted(lines), (r.stderr, urls)
        assert held.count == 60, held.count


def test_drain_queues_at_most_the_look_ahead():
    # issue 11: the reader keeps max(16, -c / 4) fetch tasks ahead of the transfer slots, each
    # parked on its own stack. -c 80 (20 ahead) and 200 URLs to a server that holds every
    # request: once 80 are in flight, SIGINT with --drain reports the tasks spawned and not
    # started, which must be at least one and at most 20 (a look-ahead of -c would be 80).
    with held_server(200) as (held, srv):
        lines = [srv.url(f"/p{i}") for i in range(200)]
        p = subprocess.Popen([CAFE, "titles", "--json", "-c", "80", "--per-host", "80", "--drain",
                              "-o", os.devnull, write_list(lines)], stderr=subprocess.PIPE)
        held.wait_for(80)
        p.send_signal(signal.SIGINT)
        line = b"-"
        while line and b"letting" not in line:
            line = p.stderr.readline()
        m = re.search(rb"letting 80 URLs in flight finish, (\d+) queued not started", line)
        assert m and 1 <= int(m.group(1)) <= 20, line
        held.go.set()
        _, err = p.communicate(timeout=60)
        assert p.returncode == -signal.SIGINT and held.count == 80, (p.returncode, held.count, err)


def caught_and_ignored(pid):
    """The signal numbers pid catches and those it ignores (/proc/PID/status)."""
    masks = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("SigCgt", "SigIgn"):
                masks[key] = {n for n in range(1, 65) if int(value, 16) >> (n - 1) & 1}
    return masks["SigCgt"], masks["SigIgn"]


def test_a_signal_ignored_at_start_stays_ignored():
    # nohup ignores SIGHUP, and a script's shell ignores SIGINT for `cafe titles ... &`: cafe
    # took them back (libuv's watcher replaced SIG_IGN) and a Ctrl-C meant for the script
    # stopped the run in its background (the URL in flight cancelled).
    with held_server(1) as (held, srv):
        p = subprocess.Popen([CAFE, "titles", "-q", "--json", "-u", srv.url("/p0")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
        held.wait_for(1)  # fetching: its signal watchers are in place
        caught, ignored = caught_and_ignored(p.pid)
        assert signal.SIGINT in ignored and signal.SIGINT not in caught, (caught, ignored)
        assert signal.SIGTERM in caught, caught  # what was not ignored is still watched
        p.send_signal(signal.SIGINT)
        held.go.set()
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0 and json.loads(out)["title"] == "held /p0", (p.returncode, err)


def test_hangup_stops_as_sigterm_does():
    # A closed terminal or a dropped ssh session sends SIGHUP: it killed cafe at once, and
    # the records finished but held behind an unfinished one (input order) were never
    # written. It is now a stop like SIGTERM's: what finished is written, then death by SIGHUP.
    out = os.path.join(TMP, "hangup.jsonl")
    with held_server(1) as (held, srv):
        fast = [fx.url(0, f"/page/{i}") for i in range(3)]
        p = subprocess.Popen([CAFE, "titles", "--json", "-o", out, "-c", "4",
                              write_list([srv.url("/p0")] + fast)], stderr=subprocess.PIPE)
        held.wait_for(1)
        assert signal.SIGHUP in caught_and_ignored(p.pid)[0]
        p.send_signal(signal.SIGHUP)
        _, err = p.communicate(timeout=60)
        # the fast ones may still be in flight at the signal: each URL is written or
        # counted as cancelled, never lost; the held one is cancelled
        cancelled = re.search(rb"interrupted: (\d+) in flight cancelled", err)
        assert p.returncode == -signal.SIGHUP and cancelled, (p.returncode, err)
        with open(out) as f:
            written = {json.loads(l)["url"] for l in f}
        assert written <= set(fast) and len(written) + int(cancelled[1]) == 4, (written, err)


def test_hangup_of_the_terminal_written_to_ends_by_the_signal():
    # The terminal closed (an ssh session dropped) under `cafe titles --drain` writing to it:
    # SIGHUP stops the run, and the records then written (those --drain lets finish) meet
    # the hung-up terminal, whose writes fail with EIO. cafe exited 2 as after a failed
    # output, not dead of the hang-up as for any other SIGHUP, so a script could not tell a
    # hang-up (--resume fetches the records not written) from a broken disk. A pty whose
    # master is closed once cafe fetches; the held pages let go after the hang-up.
    import pty
    with held_server(2) as (held, srv):
        err_r, err_w = os.pipe()  # its messages, read here: the terminal's are gone
        pid, fd = pty.fork()
        if pid == 0:
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            os.dup2(err_w, 2)
            os.execv(CAFE, [CAFE, "titles", "--drain", "-u", srv.url("/p0"),
                            "-u", srv.url("/p1")])
        os.close(err_w)
        err = b""
        try:
            held.wait_for(2)  # fetching, its watchers in place
            os.close(fd)  # the terminal goes: the kernel hangs it up and sends SIGHUP
            fd = -1
            while b"in flight finish" not in err:  # cafe took the signal
                assert select.select([err_r], [], [], 30)[0], err
                data = os.read(err_r, 4096)
                assert data, err
                err += data
            held.go.set()  # the pages in flight come, and their records meet the hang-up
            while data:
                data = os.read(err_r, 4096)
                err += data
        finally:
            held.go.set()
            if fd >= 0:
                os.close(fd)
            os.close(err_r)
            _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == -signal.SIGHUP, (status, err)


def test_ctrl_c_stops_a_shell_loop():
    # Ctrl-C sends SIGINT to the whole foreground group: the shell and cafe. bash, waiting
    # for a command, goes on with its script when the command exits, and stops only when the
    # command died of SIGINT. cafe exited 130 after writing its records, so a loop over list
    # files went on to the next file at every Ctrl-C. It now dies of the signal once its
    # records are written, as a tool that cleans up should.
    with held_server(2) as (held, srv):
        script = f'for u in {srv.url("/p0")} {srv.url("/p1")}; do "$0" titles -q -u "$u"; ' \
                 'echo next; done'
        p = subprocess.Popen(["bash", "-c", script, CAFE], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, start_new_session=True)
        held.wait_for(1)  # the first cafe is fetching, its watchers in place
        os.killpg(p.pid, signal.SIGINT)
        held.go.set()  # a second cafe, if the loop went on, is not held up
        out, err = p.communicate(timeout=60)
        assert p.returncode == -signal.SIGINT and b"next" not in out, (p.returncode, out, err)
        assert held.count == 1, held.count  # no second cafe was started


def alive_in_group(pgid, comm):
    """The processes of group pgid named comm that have not exited (zombies are gone)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:]
        state, _, group = fields.split()[:3]
        if name == comm and int(group) == pgid and state != "Z":
            found.append(int(pid))
    return found


def test_ctrl_c_stops_a_shell_loop_of_pipelines():
    # `cafe titles list | cat` in a loop: Ctrl-C killed cat, and cafe's last records (here
    # those --drain lets finish) met the closed pipe: cafe exited 2 as after any closed
    # pipe, and bash, seeing a command of the pipeline that did not die of SIGINT, took the
    # signal as handled and went on with the loop. A closed pipe after the interrupt is part
    # of it: cafe dies of the signal as it does without the pipe. Two URLs a cafe: the second
    # record may meet the failure the first one's write left, which made the stop an error's.
    with held_server(4) as (held, srv):
        u = [srv.url(f"/p{i}") for i in range(4)]
        script = f'for two in "{u[0]} {u[1]}" "{u[2]} {u[3]}"; do set -- $two; ' \
                 '"$0" titles -q --drain -u "$1" -u "$2" | cat; echo next; done'
        p = subprocess.Popen(["bash", "-c", script, CAFE], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, start_new_session=True)
        held.wait_for(2)  # the first cafe is fetching, its watchers in place
        os.killpg(p.pid, signal.SIGINT)
        for _ in range(3000):  # until cat is gone: bounded, 30 s
            if not alive_in_group(p.pid, "cat"):
                break
            time.sleep(0.01)
        held.go.set()  # the pages in flight come, and their records meet the closed pipe
        out, err = p.communicate(timeout=60)
        assert p.returncode == -signal.SIGINT and b"next" not in out, (p.returncode, out, err)
        assert held.count == 2, held.count  # no second cafe was started


def test_interrupt_with_files_still_to_read():
    # Several list files: each waits closed until its turn, and is closed again once read
    # (no descriptor each). A Ctrl-C after the first was read must stop the run as with one
    # file, not touch the part closed (it crashed there: exit -11).
    with held_server(1) as (held, srv):
        first = write_list([srv.url("/p0")], "chain-first.txt")
        later = write_list([fx.url(0, "/page/0")], "chain-later.txt")
        p = subprocess.Popen([CAFE, "titles", "-q", "--json", first, later],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        held.wait_for(1)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
        assert p.returncode == -signal.SIGINT, (p.returncode, out, err)
        assert [json.loads(l)["url"] for l in out.splitlines()] in ([], [fx.url(0, "/page/0")])


def test_a_second_signal_ends_a_run_stuck_writing_to_a_full_pipe():
    # Standard output a pipe nobody reads (a consumer stuck, stopped or slow): cafe blocks in
    # write() on its loop, so the loop never saw a signal, and Ctrl-C twice, or SIGTERM
    # twice, did nothing at all: only SIGKILL ended it. A second signal ends cafe at once,
    # as the man page says, whatever its loop is doing.
    path = write_list([f"bad line {i} " + "x" * 100 for i in range(20000)], "stuck.txt")
    for first, second in ((signal.SIGINT, signal.SIGINT), (signal.SIGTERM, signal.SIGINT)):
        r, w = os.pipe()
        p = subprocess.Popen([CAFE, "titles", "--json", path], stdout=w,
                             stderr=subprocess.DEVNULL)
        # The pipe is full when a write end polls not writable: no page of it is free. Its
        # bytes (FIONREAD) may never reach its size: cafe writes whole records of at most
        # PIPE_BUF, a page each, and waited 60 s for a size never reached.
        probe = os.dup(w)
        os.close(w)
        try:
            for _ in range(30000):  # until the pipe is full (bounded: about 60 s)
                if not select.select([], [probe], [], 0)[1] or p.poll() is not None:
                    break
                select.select([], [], [], 0.002)
            assert p.poll() is None, p.returncode
            p.send_signal(first)
            for _ in range(30000):  # delivered, not pending: a second SIGINT is not merged
                with open(f"/proc/{p.pid}/status") as f:
                    if re.search(r"^ShdPnd:\s*0+$", f.read(), re.M):
                        break
                select.select([], [], [], 0.002)
            p.send_signal(second)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                raise AssertionError(f"{first!r} then {second!r}: cafe still runs")
            assert p.returncode == -second, (first, second, p.returncode)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            os.close(r)
            os.close(probe)


run_tests(globals(), cleanup=(fx.close, lambda: save_figures(figures)))
