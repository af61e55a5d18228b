"""The commands the documentation shows, run as written: README.md's `cafe titles` and queue
sessions (their output compared line by line, only the ports, timings and counts the text
cannot know replaced), and the man page's EXAMPLES (each ends 0 with one record per URL).
The serve lines are tests/serve's. Run by test_docs.sh in a fresh network namespace: the
fixture's sites and redis-server are on loopback, and the man page's Redis address is
replaced by a local one."""
import os
import re
import subprocess
import sys
import tempfile

SOURCE = os.environ["CAFE_SOURCE_DIR"]
sys.path.insert(0, os.path.join(SOURCE, "tests", "util"))
sys.path.insert(0, os.path.join(SOURCE, "tests", "queue"))
from harness import CAFE, Fixture, Skip, run_tests  # noqa: E402

tmp = tempfile.mkdtemp(prefix="cafe-docs-")
ENV = dict(os.environ, PATH=os.path.dirname(CAFE) + os.pathsep + os.environ["PATH"])


def console_block(heading):
    """The first ```console block after the README heading: [(command, [output lines])]."""
    with open(os.path.join(SOURCE, "README.md"), encoding="utf-8") as f:
        text = f.read()
    block = text[text.index(heading):].split("```console\n", 1)[1].split("```", 1)[0]
    session = []
    for line in block.splitlines():
        if line.startswith("$ "):
            session.append((line[2:], []))
        else:
            session[-1][1].append(line)
    return session


def sh(command):
    """Runs a documented command line in tmp with cafe on PATH: (status, stdout + stderr)."""
    command = re.sub(r"\s+#.*$", "", command)
    r = subprocess.run(["sh", "-c", command], cwd=tmp, env=ENV, capture_output=True,
                       timeout=300)
    return r.returncode, (r.stdout + r.stderr).decode()


def same(got, want, subs, what):
    """got's lines are want's, once subs (pairs of regular expression and replacement)
    make want's ports ours and both texts' timings alike."""
    def norm(lines):
        out = []
        for line in lines:
            for pat, rep in subs:
                line = re.sub(pat, rep, line)
            out.append(line)
        return out
    g, w = norm(got.splitlines()), norm(want)
    assert g == w, (what, g, w)


TIMES = [(r"in \d+\.\d\d s", "in T s"), (r'"time_ms":\d+', '"time_ms":T')]


def test_readme_titles_session_runs_as_shown():
    session = console_block("## `cafe titles`")
    start, ready = session[0]
    assert "cafe-fixture" in start and ready[0].startswith("ready 127.0.0.1 "), session[0]
    args = start.split("cafe-fixture", 1)[1].split("&", 1)[0].split()
    fx = Fixture(*args)
    try:
        shown = ready[0].split()[2:]
        subs = [(r"127\.0\.0\.1:%s\b" % p, "127.0.0.1:%d" % q) for p, q in zip(shown, fx.ports)]
        cat, listed = session[1]
        assert cat == "cat urls.txt", cat
        with open(os.path.join(tmp, "urls.txt"), "w") as f:
            for line in listed:
                for pat, rep in subs:
                    line = re.sub(pat, rep, line)
                f.write(line + "\n")
        for command, want in session[1:]:
            assert command.startswith(("cafe ", "cat ")), command
            status, got = sh(command)
            assert status == 0, (command, status, got)
            if "| head" in command:  # cafe may be done before head exits: then it sums up
                got = re.sub(r"(?m)^cafe titles: \d+ URLs in .*\n\Z", "", got)
            same(got, want, subs + TIMES, command)
    finally:
        fx.close()


def test_readme_queue_session_runs_as_shown():
    """The queue session with a list of its own: push's counts are the README's with its
    20000 made ours; the worker runs to its end in the foreground (not &), so status is
    compared by its lines' shape (every number one, the workers' names left out)."""
    from redis_server import RedisServer
    if subprocess.run(["sh", "-c", "command -v redis-server"], capture_output=True).returncode:
        raise Skip("no redis-server")
    session = console_block("## Running on many machines")
    assert session[0][0].startswith("Q='redis://127.0.0.1:6379/0?queue=crawl'"), session[0]
    fx, rs = Fixture("--sites", "2"), RedisServer()
    try:
        n = 30
        with open(os.path.join(tmp, "urls.txt"), "w") as f:
            f.write("".join(fx.url(i % 2, f"/page/{i}") + "\n" for i in range(n)))
        ENV["Q"] = rs.url("crawl")
        subs = [(r"\b20000\b", str(n)), (re.escape("redis://127.0.0.1:6379/0"),
                                          ENV["Q"].split("?")[0])]
        for command, want in session[1:]:
            status, got = sh(command.replace(" &", ""))
            assert status == 0, (command, status, got)
            if "queue status" in command:
                subs = [(r"\d+", "N"), (r"(seen recently).*", r"\1"),
                        (r"redis://\S+", "URL")]
            elif "queue results" in command:
                assert len(records_in("titles.jsonl", "json")) == n, got
            if "--queue" not in command:  # the worker's summary is its own
                same(got, want, subs, command)
    finally:
        ENV.pop("Q", None)
        fx.close()
        rs.close()


def test_databases_sqlite_queries_run_on_what_cafe_writes():
    """docs/databases.md's queries (all but PostgreSQL's DISTINCT ON), run on a SQLite
    database two runs of cafe titles wrote: each runs, and the failures come by kind. That
    query grouped by the whole error, whose libcurl part names the port and the milliseconds:
    two URLs refused were two kinds."""
    import sqlite3
    fx = Fixture("--sites", "1")
    try:
        with open(os.path.join(tmp, "db.txt"), "w") as f:
            f.write(f"{fx.url(0, '/page/1')}\n{fx.url(0, '/missing')}\n"
                    "http://127.0.0.1:1/\nhttp://127.0.0.1:9/\n")
        for _ in range(2):
            status, got = sh("cafe titles -q --retries 0 -o db.sqlite db.txt")
            assert status == 0, got
    finally:
        fx.close()
    with open(os.path.join(SOURCE, "docs", "databases.md"), encoding="utf-8") as f:
        blocks = re.findall(r"```sql\n(.*?)```", f.read(), re.S)
    db = sqlite3.connect(os.path.join(tmp, "db.sqlite"))
    ran = 0
    for block in blocks:
        if "CREATE TABLE" in block or "DISTINCT ON" in block:
            continue
        block = block.replace("= 41", "= 1").replace("= 42", "= 2")
        for stmt in block.split(";"):
            if "SELECT" not in stmt:
                continue
            rows = db.execute(stmt).fetchall()
            ran += 1
            if "AS why" in stmt:
                assert sorted(rows) == [("HTTP 404", 1), ("connection refused", 2)], rows
    assert ran >= 6, ran


def man_examples():
    """The EXAMPLES of docs/cafe.1, as a shell reads them (roff's \\- is -)."""
    with open(os.path.join(SOURCE, "docs", "cafe.1"), encoding="utf-8") as f:
        text = f.read()
    block = text.split(".SH EXAMPLES\n.nf\n", 1)[1].split("\n.fi\n", 1)[0]
    return [line.replace("\\-", "-") for line in block.splitlines()]


def records_in(path, fmt):
    with open(os.path.join(tmp, path), "rb") as f:
        lines = f.read().splitlines()
    return lines[1:] if fmt == "csv" else lines


def test_man_examples_run_as_written():
    from redis_server import RedisServer
    fx = Fixture("--sites", "2")
    urls = [fx.url(i % 2, f"/page/{i}") for i in range(20)]
    with open(os.path.join(tmp, "urls.txt"), "w") as f:
        f.write("\n".join(urls) + "\n")
    with open(os.path.join(tmp, "list"), "w") as f:
        f.write("# the list\n" + "\n".join(urls) + "\n")
    rs = RedisServer() if subprocess.run(["sh", "-c", "command -v redis-server"],
                                         capture_output=True).returncode == 0 else None
    ran = []
    try:
        for line in man_examples():
            if line.startswith("cafe serve"):
                continue  # tests/serve
            redis = re.search(r"redis://[^']*", line)
            if redis:
                if not rs:
                    continue
                line = line.replace(redis.group(0), rs.url(redis.group(0).split("queue=")[1]))
            status, got = sh(line)
            assert status == 0, (line, status, got)
            ran.append(line)
            if "-o results.jsonl" in line:
                assert len(records_in("results.jsonl", "json")) == len(urls), (line, got)
            elif "titles.csv" in line:
                assert len(records_in("titles.csv", "csv")) == len(urls), (line, got)
            elif line.startswith("cafe titles urls.txt"):
                assert got.count("' from http://") == len(urls), (line, got)
    finally:
        fx.close()
        if rs:
            rs.close()
    assert len(ran) >= 4, ran
    if not rs:
        raise Skip("no redis-server: the queue examples were not run")


run_tests(globals())
