"""Output errors: a full device, a read-only file system (a read-only tmpfs and a read-only
bind mount of an existing file, in a private mount namespace: chmod 444 does not stop root),
a file system that fills up mid-run, a closed stdout. Each must give a clear message on
stderr and a non-zero exit, never a silent partial result."""
import contextlib
import csv
import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import threading
import time

from faultlib import ASAN, CAFE, TMP, Fixture, RawServer, Skip, run_tests, write_list
from harness import HoldServer, http_reply

fx = Fixture("--sites", "4", "--size", "2000")
LIST = write_list([fx.url(i % 4, f"/page/{i}") for i in range(2000)], "out-list.txt")
SMALL = write_list([fx.url(0, f"/page/{i}") for i in range(5)], "out-small.txt")


def in_mount_ns(script):
    """Runs a shell script in a private mount namespace (mounts vanish with it). Where none can
    be made private (inside a chroot whose / is not a mount point, unshare says "cannot change
    root filesystem propagation"), mounting here would leak into the machine: skip."""
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"],
                           capture_output=True, timeout=60)
    if probe.returncode != 0:
        raise Skip("no private mount namespace here: " + probe.stderr.decode().strip())
    return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-ec",
                           script], capture_output=True, timeout=300,
                          env=dict(os.environ, CAFE=CAFE, T=TMP))


def test_dev_full():
    r = subprocess.run([CAFE, "titles", "--json", "-o", "/dev/full", SMALL], capture_output=True,
                       timeout=120)
    assert r.returncode == 2, r.returncode
    assert b"cafe titles: writing /dev/full: No space left on device" in r.stderr, r.stderr


def test_read_only_file_system():
    r = in_mount_ns(f'mkdir -p "$T/ro" && mount -t tmpfs -o ro none "$T/ro" && '
                    f'exec "$CAFE" titles --json -o "$T/ro/out.jsonl" {SMALL}')
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stderr.startswith(b"cafe titles: cannot open ") and \
        b"Read-only file system" in r.stderr, r.stderr


def test_read_only_existing_file_resume():
    # The file exists and holds records; mounted read-only over itself, --resume cannot
    # truncate or append: it must say so, not run and lose results.
    path = os.path.join(TMP, "ro-existing.jsonl")
    ok = subprocess.run([CAFE, "titles", "-q", "--json", "-o", path, SMALL], timeout=120)
    assert ok.returncode == 0
    r = in_mount_ns(f'mount --bind "{path}" "{path}" && mount -o remount,ro,bind "{path}" && '
                    f'exec "$CAFE" titles --json --resume -o "{path}" {SMALL}')
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert b"cannot open the output file to resume: Read-only file system" in r.stderr, \
        r.stderr  # as -o says it below
    r = in_mount_ns(f'mount --bind "{path}" "{path}" && mount -o remount,ro,bind "{path}" && '
                    f'exec "$CAFE" titles --json -o "{path}" {SMALL}')
    assert r.returncode == 2 and b"Read-only file system" in r.stderr, (r.returncode, r.stderr)
    with open(path) as f:
        assert len([json.loads(l) for l in f]) == 5  # untouched


def test_resume_appends_to_an_append_only_file():
    # An append-only file (chattr +a, as logs are kept) was refused by --resume, "cannot
    # open the output file to resume: Operation not permitted", though a resume only appends
    # to it: its reader opened it for writing, then cleared its flags, without O_APPEND.
    # Only a torn record, which must be cut, cannot be mended: said so, the file kept.
    # (A tmpfs in a private mount namespace: the flag goes with it, whatever happens.)
    two = write_list([fx.url(0, f"/page/{i}") for i in range(2)], "out-two.txt")
    r = in_mount_ns(f'mkdir -p "$T/appendonly" && mount -t tmpfs none "$T/appendonly"\n'
                    f'out="$T/appendonly/out.jsonl"\n'
                    f'"$CAFE" titles -q --json -o "$out" {two}\n'
                    f'chattr +a "$out" || exit 77\n'
                    f'"$CAFE" titles -q --json --resume -o "$out" {SMALL} || exit 3\n'
                    f'wc -l < "$out"\n'
                    f'printf \'{{"url":"torn\' >> "$out"\n'
                    f'"$CAFE" titles -q --json --resume -o "$out" {SMALL} && exit 4\n'
                    f'tail -c 12 "$out"')
    if r.returncode == 77:
        raise Skip("no chattr +a on tmpfs here: " + r.stderr.decode().strip())
    assert r.returncode == 0, (r.returncode, r.stderr)
    lines, tail = r.stdout.decode().split("\n", 1)
    assert lines == "5", r.stdout
    assert tail == '{"url":"torn', r.stdout  # the torn record left as it was
    assert b"cannot cut the torn last record: Operation not permitted" in r.stderr, r.stderr


def test_file_system_fills_up_mid_run():
    r = in_mount_ns(f'mkdir -p "$T/small" && mount -t tmpfs -o size=64k none "$T/small" && '
                    f'"$CAFE" titles --json -o "$T/small/out.jsonl" {LIST} && exit 0; '
                    f'rc=$?; wc -c < "$T/small/out.jsonl" >&2; exit $rc')
    assert r.returncode == 2, (r.returncode, r.stderr[-300:])
    assert b"cafe titles: writing " in r.stderr and b"No space left on device" in r.stderr, \
        r.stderr[-300:]
    written = int(r.stderr.split()[-1])
    assert 32768 < written <= 65536, written  # it stopped at the limit, not before
    # The summary must not claim the run completed every URL.
    assert b"2000 URLs" not in r.stderr.split(b"\n")[-3], r.stderr[-300:]
    # SQLite says "database or disk is full" or "disk I/O error"; cafe names the cause too
    r = in_mount_ns(f'mkdir -p "$T/small" && mount -t tmpfs -o size=256k none "$T/small" && '
                    f'exec "$CAFE" titles -q -o "$T/small/out.sqlite" {LIST}')
    assert r.returncode == 2, (r.returncode, r.stderr[-300:])
    assert b"cafe titles: writing " in r.stderr and b"No space left on device" in r.stderr, \
        r.stderr[-300:]


def fsize_limit(limit):
    """preexec_fn: ulimit -f of limit bytes for the child."""
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_file_size_limit_is_a_write_error_then_resume_finishes():
    """ulimit -f (RLIMIT_FSIZE) reached: the kernel sends SIGXFSZ, which killed cafe with a
    core and no word, its database run left 'running'. It is a full disk by another name:
    the same message and stop (a file too large), and --resume finishes, one record a URL."""
    urls = [fx.url(i % 4, f"/page/{i}") for i in range(2000)]
    for fmt, name in (("--json", "fsize.jsonl"), ("-o", "fsize.sqlite")):
        path = os.path.join(TMP, name)
        args = [CAFE, "titles", "-q", *(["--json", "-o"] if fmt == "--json" else ["-o"]), path,
                LIST]
        r = subprocess.run(args, capture_output=True, timeout=120,
                           preexec_fn=fsize_limit(96 * 1024))
        assert r.returncode == 2, (name, r.returncode, r.stderr[-300:])
        # SQLite says "disk I/O error" or "database or disk is full": cafe says which limit
        assert b"cafe titles: writing " in r.stderr and b"File too large" in r.stderr, \
            (name, r.stderr[-300:])
        if fmt != "--json":
            assert b"ulimit -f" in r.stderr, r.stderr[-300:]
        r = subprocess.run(args + ["--resume"], capture_output=True, timeout=120)
        assert r.returncode == 0, (name, r.stderr[-300:])
        if fmt == "--json":
            with open(path) as f:
                got = [json.loads(l)["url"] for l in f]
        else:
            with sqlite3.connect(path) as c:
                got = [x[0] for x in c.execute("SELECT url FROM titles")]
                runs = c.execute("SELECT status FROM runs").fetchall()
            assert runs == [("done",)], runs
        assert len(got) == len(set(got)) == 2000 and set(got) == set(urls), (name, len(got))


def test_a_second_run_onto_a_file_being_written_is_refused():
    """Two runs onto one -o file at once (a cron job that overlaps its last run, a command
    given twice): the second one emptied the file under the first ("w"), losing its records,
    or with --resume read the same records back and fetched and appended the rest a second
    time. The file is locked for the run: the second one is refused, naming it, and leaves
    it as it is; the first one ends with one record a URL. The first run waits at a held URL
    (a HoldServer's, at place 100) until the second ones are done: paced by 50 ms delays
    alone (5 s), it could end first on a loaded machine."""
    for fmt in ("--json", "--csv"):
        hold = HoldServer(lambda head: http_reply(b"<title>held</title>"))
        urls = [fx.url(i % 4, f"/page/{i}?delay=5") for i in range(800)]
        urls.insert(100, hold.url("/held"))
        lst = write_list(urls, "busy-list" + fmt)
        out = os.path.join(TMP, "busy" + fmt)
        first = subprocess.Popen([CAFE, "titles", "-q", "-c", "8", fmt, "-o", out, lst],
                                 stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while (os.path.getsize(out) if os.path.exists(out) else 0) < 2000:
                assert time.monotonic() < deadline and first.poll() is None, "no records"
                time.sleep(0.02)
            for extra in ([], ["--resume"]):
                r = subprocess.run([CAFE, "titles", "-q", fmt, "-o", out, *extra, lst],
                                   capture_output=True, timeout=120)
                assert r.returncode == 2, (fmt, extra, r.returncode, r.stderr)
                assert b"being written by another run" in r.stderr, (fmt, extra, r.stderr)
            assert first.poll() is None, "the first run ended before the second one began"
        finally:
            hold.release()
            _, err = first.communicate(timeout=300)
            hold.close()
        assert first.returncode == 0, (fmt, err)
        with open(out, newline="") as f:
            got = [json.loads(l)["url"] for l in f] if fmt == "--json" else \
                [x["url"] for x in csv.DictReader(f)]
        assert got == urls, (fmt, len(got), len(set(got)))


# Two URLs of one 64-bit FNV-1a hash (found by a distinguished-point search over 16 hex
# digits after the prefix; hash.h's finaliser is a bijection, so theirs are equal too).
FNV_TWINS = ["http://127.0.0.1:9/32448e2c11789781", "http://127.0.0.1:9/37d8e17774e1f961"]


def test_an_output_another_program_empties_or_appends_to_keeps_whole_lines():
    """-o FILE emptied under a run (logrotate's copytruncate, `: > out.jsonl`) or appended to
    by another program: cafe wrote on at its own offset, so the emptied file began with a hole
    of NUL bytes as long as what it had held (25,914 of them here) that jq and --resume
    ("line 1 is not a record") refused, and another program's lines were written over. The
    output is opened to append, as >> opens it: each write lands at the end."""
    for fmt in ("--json", "--csv"):
        out = os.path.join(TMP, "emptied" + fmt)
        note = b"my note\n"

        def empty_and_append():
            os.truncate(out, 0)
            with open(out, "ab") as f:  # another program's line, at the end as it stands
                f.write(note)
        urls, lst, rc, err = act_during_a_held_run("emptied" + fmt, [fmt, "-o", out], out,
                                                   empty_and_append)
        assert rc == 0, (fmt, rc, err)
        with open(out, "rb") as f:
            data = f.read()
        assert b"\0" not in data, (fmt, data.count(b"\0"), data[:40])
        lines = data.split(b"\n")
        assert note in data and lines[-1] == b"" and len(lines) > 40, (fmt, data[-200:])
        recs = [l for l in lines[:-1] if l + b"\n" != note]
        if fmt == "--json":
            got = [json.loads(l)["url"] for l in recs]  # each one whole
        else:
            rows = list(csv.reader(l.decode() for l in recs))
            assert all(len(r) == 11 for r in rows), (fmt, rows)  # each one whole
            got = [r[0] for r in rows if r[0] != "url"]
        assert len(got) == len(set(got)) and set(got) <= set(urls), (fmt, len(got))

def written_through(path, url):
    """Whether path holds url's record whole (a record is one write, ending its line)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return False
    return url in data and data.endswith(b"\n")


def act_during_a_held_run(name, args, watched, act, stdout=None, trace=None):
    """Runs `cafe titles -q -c 4 ARGS LIST` over 300 fixture pages with a held one at place 100
    (output in order: the records after it wait for it), calls act() once the 100 records
    before it are in `watched` (the run surely still going, and writing nothing until the held
    page answers: acting at 30 records raced the writes of the next ones, and a file emptied
    between the sink's look at it and its write lost the CSV header), then lets the held page
    answer. Returns the URLs, the list's path, and the run's exit status and standard error.
    trace: a path where strace_titles writes the run's calls to its output."""
    hold = HoldServer(lambda head: http_reply(b"<title>held</title>"))
    urls = [fx.url(i % 4, f"/page/{i}?delay=5") for i in range(300)]
    urls.insert(100, hold.url("/held"))
    lst = write_list(urls, name + "-list.txt")
    cmd = ["-q", "-c", "4", *args, lst]
    p = strace_titles(trace, [], *cmd, stdout=stdout) if trace else \
        subprocess.Popen([CAFE, "titles", *cmd], stdout=stdout, stderr=subprocess.PIPE)
    try:
        last = urls[99].encode()
        for _ in range(3000):  # until the records before the held one are in: bounded, 30 s
            if p.poll() is not None or written_through(watched, last):
                break
            time.sleep(0.01)
        assert p.poll() is None, (name, "the run ended before the test acted")
        act()
    finally:
        hold.release()
    rc = p.wait(timeout=120)
    err = p.stderr.read()
    p.stderr.close()
    hold.close()
    return urls, lst, rc, err


def test_standard_output_to_a_file_emptied_under_a_run_keeps_whole_lines():
    """`cafe titles --json list > out.jsonl` emptied under the run (logrotate's copytruncate):
    standard output, opened by the shell without O_APPEND, was written at its own offset, so
    the file began with a hole of NUL bytes as long as what it had held, which jq and --resume
    refused. A regular file written from its end (as > and >> leave it) is switched to
    append mode, as -o's file is opened; 1<> (written over from an offset inside the file)
    is left as it is."""
    out = os.path.join(TMP, "emptied-stdout.jsonl")
    with open(out, "wb") as f:
        urls, lst, rc, err = act_during_a_held_run("emptied-stdout", ["--json"], out,
                                                   lambda: os.truncate(out, 0), stdout=f)
    assert rc == 0, (rc, err)
    with open(out, "rb") as f:
        data = f.read()
    assert b"\0" not in data, (data.count(b"\0"), data[:40])
    r = subprocess.run([CAFE, "titles", "-q", "--json", "--resume", "-o", out, lst],
                       capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    with open(out) as f:
        assert sorted(json.loads(l)["url"] for l in f) == sorted(urls)
    # 1<>: written over from the start, as the user asked
    with open(out, "wb") as f:
        f.write(b"x" * 100000)
    with open(out, "r+b") as f:
        r = subprocess.run([CAFE, "titles", "-q", "--json", SMALL], stdout=f, timeout=120)
    with open(out, "rb") as f:
        data = f.read()
    assert r.returncode == 0 and data.startswith(b'{"url"') and len(data) == 100000, data[:80]


def test_an_output_replaced_or_deleted_under_a_run_is_opened_again():
    """-o FILE renamed away under a run (logrotate without copytruncate, `sed -i`, an editor
    saving by rename) or deleted: cafe wrote on into the old file, the records after it went
    to a file no name led to (lost at the exit, status 0), and FILE, made again by the other
    program or missing, never got them. As Python's WatchedFileHandler, a write that finds
    FILE no longer the file it opened opens FILE again (made if missing, a CSV header first):
    the records are in the old file up to then and in the new one after, each once."""
    for fmt, how in (("--json", "rename"), ("--csv", "rename"), ("--json", "delete")):
        out = os.path.join(TMP, "replaced" + fmt)
        for old in (out, out + ".1"):
            if os.path.exists(old):
                os.unlink(old)

        def replace():
            if how == "rename":
                os.rename(out, out + ".1")
                with open(out, "wb"):  # logrotate's create
                    pass
            else:
                os.unlink(out)
        urls, lst, rc, err = act_during_a_held_run("replaced", [fmt, "-o", out], out, replace)
        assert rc == 0, (fmt, rc, err)

        def urls_in(path):
            if not os.path.exists(path):
                return []
            with open(path, newline="") as f:
                if fmt == "--csv":
                    return [x["url"] for x in csv.DictReader(f)]
                return [json.loads(l)["url"] for l in f]
        before, after = urls_in(out + ".1"), urls_in(out)
        assert len(after) > 100, (fmt, how, len(after))  # the rest of the run: in FILE
        if how == "rename":
            assert sorted(before + after) == sorted(urls), (fmt, len(before), len(after))
        else:  # those deleted are fetched by --resume
            r = subprocess.run([CAFE, "titles", "-q", fmt, "--resume", "-o", out, lst],
                               capture_output=True, timeout=120)
            assert r.returncode == 0, r.stderr
            assert sorted(urls_in(out)) == sorted(urls), (fmt, len(urls_in(out)))


def test_an_output_renamed_away_is_synced_before_it_is_let_go():
    """-o FILE renamed away under a run (logrotate) is opened again, and the old file, the
    only copy of the records written to it, was closed without a sync: the run's end syncs
    the file it then writes, so the run ended with status 0 while the rotated records were in
    the page cache only, where a power cut loses them (and `cafe queue results --drain`
    deleted their chunk from Redis on the sync of the new file). strace shows the old file
    synced after its last write, before its close."""
    if not shutil.which("strace"):
        raise Skip("no strace here")
    out, trace = os.path.join(TMP, "rotated.jsonl"), os.path.join(TMP, "rotated.trace")

    def rotate():
        os.rename(out, out + ".1")
    urls, lst, rc, err = act_during_a_held_run("rotated", ["--json", "-o", out], out, rotate,
                                               trace=trace)
    assert rc == 0, (rc, err)
    calls = [l.split(None, 1)[1] for l in open(trace)]
    opened = [i for i, c in enumerate(calls) if c.startswith("openat(") and f'"{out}"' in c and
              "O_WRONLY" in c]
    assert len(opened) == 2, [calls[i] for i in opened]  # the first file, then the new one
    fd = calls[opened[0]].rsplit("= ", 1)[1].strip()
    closed = next(i for i, c in enumerate(calls) if i > opened[1] and c.startswith(f"close({fd})"))
    wrote = [i for i, c in enumerate(calls) if i < closed and c.startswith(f"write({fd},")]
    synced = [i for i, c in enumerate(calls) if i < closed and c.startswith(f"fsync({fd})")]
    assert wrote and synced and wrote[-1] < synced[-1], (wrote[-3:], synced, closed)
    with open(out + ".1") as f:
        before = [json.loads(l)["url"] for l in f]
    with open(out) as f:
        assert sorted(before + [json.loads(l)["url"] for l in f]) == sorted(urls)


def test_a_csv_output_emptied_under_a_run_gets_its_header_again():
    """A CSV output emptied under a run (logrotate's copytruncate) went on with rows alone: no
    header, so csv.DictReader took a record for the column names and --resume refused the
    file ("line 1 is not the header"). A write that finds the file empty puts the header
    first again (ending as the file's rows end), and --resume then ends the run with one
    record a URL: the rows cut away are fetched again."""
    for ends in (b"\r\n", b"\n"):
        out = os.path.join(TMP, "emptied-header.csv")
        with open(out, "wb") as f:  # a header only, as another tool or an editor saved it
            f.write(cafe_output("--csv").split(b"\r\n")[0] + ends)
        urls, lst, rc, err = act_during_a_held_run("emptied-csv", ["--csv", "--resume", "-o", out],
                                                   out, lambda: os.truncate(out, 0))
        assert rc == 0, (ends, rc, err)
        with open(out, "rb") as f:
            data = f.read()
        header = b"url,final_url,status,title,content_type,charset,charset_source,bytes," \
            b"time_ms,attempts,error" + ends
        assert data.startswith(header) and data.count(header) == 1, (ends, data[:300])
        assert data.count(b"\n") == data.count(ends), ends  # one kind of line end
        r = subprocess.run([CAFE, "titles", "-q", "--csv", "--resume", "-o", out, lst],
                           capture_output=True, timeout=120)
        assert r.returncode == 0, (ends, r.returncode, r.stderr)
        with open(out, newline="") as f:
            got = [x["url"] for x in csv.DictReader(f)]
        assert sorted(got) == sorted(urls), (ends, len(got), len(set(got)))
    # the same run's standard output appended to the file (`cafe titles --csv >> out.csv`, as
    # cron jobs write): emptied under it, its rows came without the header too
    out = os.path.join(TMP, "emptied-stdout.csv")
    with open(out, "wb") as f:
        f.write(b"earlier,rows\r\n")
    with open(out, "ab") as f:
        urls, lst, rc, err = act_during_a_held_run("appended-csv", ["--csv"], out,
                                                   lambda: os.truncate(out, 0), stdout=f)
    assert rc == 0, (rc, err)
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and all(set(urls) >= {x["url"]} for x in rows), rows[:2]


def test_a_failed_close_of_the_output_is_a_write_error():
    """NFS (or a quota, or FUSE) reports a write-back that failed at close(): the output's
    close went unchecked, and the run ended with status 0 and records missing from the file.
    Checked as coreutils checks theirs: the message, status 2, and --resume then fetches
    what is not in the file. (close() fails by LD_PRELOAD here: close_eio.c.)"""
    shim = os.path.join(os.environ["CAFE_BUILD_DIR"], "tests", "libclose_eio.so")
    if ASAN or not os.path.exists(shim):
        raise Skip("no close_eio shim (or a sanitizer build, which must be preloaded first)")
    for fmt in ("--json", "--csv"):
        out = os.path.join(TMP, "close-fails" + fmt)
        r = subprocess.run([CAFE, "titles", "-q", fmt, "-o", out, SMALL], capture_output=True,
                           timeout=120, env=dict(os.environ, LD_PRELOAD=shim))
        assert r.returncode == 2, (fmt, r.returncode, r.stderr)
        assert r.stderr.decode().endswith(": Input/output error\n") and \
            "close-fails" + fmt in r.stderr.decode(), (fmt, r.stderr)
        # standard output redirected to such a file: closed and checked before the exit
        with open(out, "wb") as f:
            r = subprocess.run([CAFE, "titles", "-q", fmt, SMALL], stdout=f, stderr=subprocess.PIPE,
                               timeout=120, env=dict(os.environ, LD_PRELOAD=shim))
        assert (r.returncode, r.stderr) == (2, b"cafe titles: writing standard output: "
                                            b"Input/output error\n"), (fmt, r)
    with open(out, "wb") as f:
        r = subprocess.run([CAFE, "--help"], stdout=f, stderr=subprocess.PIPE, timeout=60,
                           env=dict(os.environ, LD_PRELOAD=shim))
    assert (r.returncode, r.stderr) == (2, b"cafe: writing standard output: "
                                        b"Input/output error\n"), r


def strace_titles(trace, inject, *args, **kw):
    """cafe titles ARGS under strace (its calls to the output in trace, or a failure
    injected); in the sanitizer build without LeakSanitizer, which cannot run under ptrace."""
    asan = [o for o in os.environ.get("ASAN_OPTIONS", "").split(":") if o] + ["detect_leaks=0"]
    return subprocess.Popen(["strace", "-f", "-qq", "-o", trace, "-e",
                             "trace=openat,write,fsync,fdatasync,close", *inject, CAFE,
                             "titles", *args], stderr=subprocess.PIPE,
                            env=dict(os.environ, ASAN_OPTIONS=":".join(asan)), **kw)


def test_the_output_is_on_the_disk_when_the_run_ends():
    """-o FILE was never synced: a run ended with status 0 while its records were in the page
    cache only, where a power cut loses them, and a write-back the kernel fails later (a
    failing disk, a thin volume or an NFS server out of space) is reported by fsync alone:
    nobody heard of it. The file is now synced at the run's end (after its last write,
    before its close, then its directory's entry), at a Ctrl-C's or SIGTERM's orderly stop
    too, and a failed sync is a write error: status 2. strace shows the calls, and makes
    fsync fail as such a disk would."""
    if not shutil.which("strace"):
        raise Skip("no strace here")
    out, trace = os.path.join(TMP, "synced.jsonl"), os.path.join(TMP, "synced.trace")
    p = strace_titles(trace, [], "-q", "--json", "-o", out, SMALL)
    assert p.wait(timeout=120) == 0, p.stderr.read()
    p.stderr.close()
    calls = [l.split(None, 1)[1] for l in open(trace)]

    def fd_of(path, flag, after=0):
        return next(c.rsplit("= ", 1)[1].strip() for c in calls[after:]
                    if c.startswith("openat(") and f'"{path}"' in c and flag in c)

    def at(prefix, after=0):
        return [i for i, c in enumerate(calls) if c.startswith(prefix) and i >= after]
    fd = fd_of(out, "O_WRONLY")
    wrote, synced = at(f"write({fd},"), at(f"fsync({fd})")
    closed = at(f"close({fd})", synced[0] if synced else 0)
    assert wrote and synced and closed and wrote[-1] < synced[0] < closed[0], \
        (wrote, synced, closed)
    dfd = fd_of(TMP, "O_DIRECTORY", closed[0])
    assert at(f"fsync({dfd})", closed[0]), calls[closed[0]:]
    # the sync fails: at the end, and at SIGTERM's stop (a held page keeps the run going)
    hold = HoldServer(lambda head: http_reply(b"<title>held</title>"))
    lst = write_list([fx.url(0, "/page/1"), hold.url("/held")], "synced-list.txt")
    try:
        for signum in (None, signal.SIGTERM):
            os.unlink(out)
            p = strace_titles(os.devnull, ["-e", "inject=fsync:error=EIO"], "-q", "--json", "-o",
                              out, lst if signum else SMALL)
            if signum:
                hold.wait_for(1)
                while not os.path.exists(out) or os.path.getsize(out) == 0:
                    assert p.poll() is None, p.stderr.read()
                    time.sleep(0.01)
                kids = open(f"/proc/{p.pid}/task/{p.pid}/children").read().split()
                os.kill(int(kids[0]), signum)
            rc, err = p.wait(timeout=120), p.stderr.read()
            p.stderr.close()
            assert (rc, err) == (2, f"cafe titles: writing {out}: Input/output error\n".encode()), \
                (signum, rc, err)
    finally:
        hold.release()
        hold.close()


def test_the_directory_synced_is_the_one_the_output_file_is_in():
    """-o latest.jsonl, a symbolic link to runs/today.jsonl that the run's open makes: the
    run's end synced the link's directory, not runs/ where the new file's entry is, so a
    power cut could lose the whole file after a run that ended with status 0. The
    directory synced is the file's own, the link followed (strace shows the calls)."""
    if not shutil.which("strace"):
        raise Skip("no strace here")
    runs, trace = os.path.realpath(os.path.join(TMP, "runs")), os.path.join(TMP, "linked.trace")
    link = os.path.join(TMP, "latest.jsonl")
    os.makedirs(runs, exist_ok=True)
    os.symlink("runs/today.jsonl", link)
    p = strace_titles(trace, [], "-q", "--json", "-o", link, SMALL)
    assert p.wait(timeout=120) == 0, p.stderr.read()
    p.stderr.close()
    calls = [l.split(None, 1)[1] for l in open(trace)]
    opened = [i for i, c in enumerate(calls) if c.startswith(f'openat(AT_FDCWD, "{runs}", ') and
              "O_DIRECTORY" in c]
    assert opened, [c for c in calls if "O_DIRECTORY" in c]
    dfd = calls[opened[-1]].rsplit("= ", 1)[1].strip()
    assert any(c.startswith(f"fsync({dfd})") for c in calls[opened[-1]:]), calls[opened[-1]:]
    with open(os.path.join(runs, "today.jsonl")) as f:
        assert len([json.loads(l) for l in f]) == 5


def test_an_output_that_failed_does_not_wait_for_the_fetches_in_flight():
    """The output failed (`cafe titles list | head`: head is gone; a full disk): no record can
    be written any more, yet the URLs in flight were fetched to their end, so the run (and
    the shell's pipeline) went on for up to their --timeout and retries, fetching records
    it could only drop; a Ctrl-C meanwhile killed it without a word about the output. They
    are cancelled now (--resume fetches them). /a is let go once our end of the pipe is
    closed, its record meets the closed pipe; /b is held until the test ends. On one thread
    and on two."""
    for threads in ([], ["--threads", "2"]):
        output_failed_with_one_in_flight(threads)


def output_failed_with_one_in_flight(threads):
    gates = {"/a": threading.Event(), "/b": threading.Event()}
    asked = threading.Semaphore(0)

    def held(path):
        def gen():
            asked.release()
            gates[path].wait(120)
            body = f"<title>held {path}</title>".encode()
            yield (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
                   b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return gen

    srv = RawServer({path: held(path) for path in gates})
    try:
        p = subprocess.Popen([CAFE, "titles", "-q", *threads, "--timeout", "100", "-u",
                              srv.url("/a"), "-u", srv.url("/b")], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            for _ in gates:  # both requests in flight
                assert asked.acquire(timeout=60), "cafe did not fetch both"
            p.stdout.close()  # the reader is gone
            gates["/a"].set()
            rc = p.wait(timeout=30)  # it waited for /b: 100 s
            assert rc == -signal.SIGPIPE and p.stderr.read() == b"", (threads, rc,
                                                                     p.stderr.read())
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stderr.close()
    finally:
        for gate in gates.values():
            gate.set()
        srv.close()


def test_resume_keys_cannot_be_made_to_collide():
    """--resume knew a URL as done by its 64-bit hash alone, an unkeyed FNV-1a: a list holding
    two URLs of one hash (anyone can compute such a pair; a crawl's list holds strangers'
    URLs) took one for the other: resumed with b's line first, b was skipped for a's record
    and a fetched and written again, b's record never coming. The hash is now SipHash under
    a key drawn for each run."""
    a, b = FNV_TWINS
    out = os.path.join(TMP, "twins.jsonl")
    for k, urls in enumerate([[a], [b, a]]):  # b's line first: it took a's record
        r = subprocess.run([CAFE, "titles", "-q", "--json", "--retries", "0", "-o", out,
                            *(["--resume"] if k else []), write_list(urls)],
                           capture_output=True, timeout=120)
        assert r.returncode == 0, r.stderr
    with open(out) as f:
        got = [json.loads(l)["url"] for l in f]
    assert got == [a, b], got  # not [a, a]: b lost, a written twice


def cafe_output(*fmt):
    """The bytes `cafe titles -q FMT -o FILE` writes for SMALL."""
    path = os.path.join(TMP, "output" + "".join(fmt))
    assert subprocess.run([CAFE, "titles", "-q", *fmt, "-o", path, SMALL],
                          timeout=120).returncode == 0
    with open(path, "rb") as f:
        return f.read()


def refused_untouched(name, content, fmt, why=b""):
    """--resume onto a file holding content: exit 2, a message naming the line (and why),
    not a byte changed."""
    path = os.path.join(TMP, name)
    with open(path, "wb") as f:
        f.write(content)
    r = subprocess.run([CAFE, "titles", "-q", fmt, "--resume", "-o", path, SMALL],
                       capture_output=True, timeout=120)
    assert r.returncode == 2, (name, r.returncode, r.stderr)
    assert b"not resuming onto it (the file is left as it was)" in r.stderr, (name, r.stderr)
    assert why in r.stderr, (name, why, r.stderr)
    with open(path, "rb") as f:
        assert f.read() == content, name


def test_resume_refuses_a_file_of_another_format():
    # Results of a --csv run, resumed by mistake with --json: they must not be truncated
    # away (only a torn last line may be cut).
    refused_untouched("results.csv", cafe_output("--csv"), "--json",
                      b"not a record of this format")
    # The message said only what the first line was not: it says what the file is, and how
    # to resume it when it can be.
    refused_untouched("results-csv.csv", cafe_output("--csv"), "--json",
                      b"line 1 is not a record of this format of cafe --json output (it is "
                      b"CSV, as --csv and --csv-safe write it: resume it with the one that "
                      b"wrote it)")
    for fmt in ("--csv", "--csv-safe"):
        refused_untouched("results-json.jsonl", cafe_output("--json"), fmt,
                          b"(it is JSON Lines, as --json writes them: resume it with --json)")
    for fmt in ("--json", "--csv"):
        refused_untouched("results-text.txt", cafe_output(), fmt,
                          b"(it is the text lines cafe writes without --json or --csv, which "
                          b"--resume cannot read back)")
    refused_untouched("notes-as-json.txt", b"my notes\n", "--json",
                      b"line 1 is not a record of this format of cafe --json output: not")
    # A bad line in the middle of a JSON file: refused too, nothing cut.
    lines = cafe_output("--json").split(b"\n")
    refused_untouched("edited.jsonl", b"\n".join(lines[:2] + [b"# my note"] + lines[2:]),
                      "--json")


def test_resume_refuses_what_is_not_cafe_output_of_its_format():
    # Issue 15 item 7: each of these used to be appended to or wiped as a "torn record".
    jsonl = cafe_output("--json")
    text_line = cafe_output().split(b"\n")[0] + b"\n"
    refused_untouched("json-as-csv.jsonl", jsonl, "--csv")  # CSV rows were appended
    refused_untouched("one-json-as-csv.jsonl", jsonl.split(b"\n")[0] + b"\n", "--csv")
    for fmt in ("--json", "--csv"):
        refused_untouched("notes.txt", b"my notes, not cafe output\n", fmt)
        refused_untouched("notes-no-newline.txt", b"my notes, not cafe output", fmt)
        refused_untouched("text-format.txt", text_line, fmt)
        refused_untouched("binary.bin", bytes(range(256)) * 3 + bytes(232), fmt)  # 1,000 bytes
        refused_untouched("binary-no-newline.bin", bytes(1000), fmt)


def test_resume_that_runs_out_of_memory_reading_the_file_changes_nothing():
    """A line --resume could not hold in memory (here 48 MiB of NUL bytes, as a file that is
    not cafe's may hold, under ulimit -v) ended the reading as if the file ended there: the
    file was taken for cafe's, its records after that line unread (fetched and written
    again), and the run appended to it with status 0. Failing to read the file is an error:
    status 2, the file left as it was."""
    if ASAN:
        raise Skip("ulimit -v and AddressSanitizer's shadow memory do not mix")
    path = os.path.join(TMP, "huge-line.jsonl")
    assert subprocess.run([CAFE, "titles", "-q", "--json", "-o", path, SMALL],
                          timeout=120).returncode == 0
    with open(path, "rb") as f:
        head = f.read()
    size = len(head) + (48 << 20)
    os.truncate(path, size)  # sparse: no disk used
    # cafe runs in about 40 MiB of address space; the line needs 64 MiB more
    r = subprocess.run([CAFE, "titles", "-q", "--json", "--resume", "-o", path, SMALL],
                       capture_output=True, timeout=120,
                       preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS,
                                                             (80 << 20, 80 << 20)))
    try:
        assert r.returncode == 2, (r.returncode, r.stderr)
        assert b"cannot read the output file to resume: out of memory" in r.stderr, r.stderr
        assert os.path.getsize(path) == size
        with open(path, "rb") as f:
            assert f.read(len(head)) == head
    finally:
        os.unlink(path)


def test_resume_refuses_a_line_longer_than_any_record_without_holding_it():
    """--resume onto a big file that is not cafe's and holds no newline (a disk image given
    as -o by mistake) read it whole into memory with getline before refusing it: 300 MiB of
    it took 300 MiB of memory, a few GiB could take the machine's. A line longer than any
    record cafe writes is refused as soon as it is that long."""
    path = os.path.join(TMP, "no-newline.img")
    with open(path, "wb") as f:
        f.write(b'{"url":"x",')
    size = 300 << 20
    os.truncate(path, size)  # sparse: no disk used
    p = subprocess.Popen([CAFE, "titles", "-q", "--json", "--resume", "-o", path, SMALL],
                         stderr=subprocess.PIPE)
    try:
        err = p.stderr.read()
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        assert p.returncode == 2, (p.returncode, err)
        assert b"line 1 is not a record of this format of cafe --json output (a line longer " \
            b"than any record cafe writes): not resuming onto it" in err, err
        if not ASAN:  # its allocator's quarantine and shadow memory are no measure of cafe's
            assert usage.ru_maxrss < 150 << 10, f"{usage.ru_maxrss} KiB"  # 64 MiB at most
        assert os.path.getsize(path) == size
    finally:
        p.stderr.close()
        os.unlink(path)


def test_resume_still_cuts_a_torn_record():
    # What a crash mid-write leaves is still cut, for both formats, and redone once.
    for fmt, name in (("--json", "torn.jsonl"), ("--csv", "torn.csv")):
        path = os.path.join(TMP, name)
        assert subprocess.run([CAFE, "titles", "-q", fmt, "-o", path, SMALL],
                              timeout=120).returncode == 0
        with open(path, "rb") as f:
            whole = f.read()
        with open(path, "wb") as f:
            f.write(whole[:-7])  # the last record cut short
        r = subprocess.run([CAFE, "titles", "-q", fmt, "--resume", "-o", path, SMALL],
                           capture_output=True, timeout=120)
        assert r.returncode == 0, (fmt, r.returncode, r.stderr)
        with open(path, "rb") as f:
            lines = f.read().splitlines()
        assert lines[:-1] == whole.splitlines()[:-1], (fmt, lines)  # kept, as they were
        urls = [json.loads(l)["url"] if fmt == "--json" else l.split(b",")[0].decode()
                for l in lines[1 if fmt == "--csv" else 0:]]
        assert sorted(urls) == sorted(set(urls)) and len(urls) == 5, (fmt, urls)  # once each
    # Only a cut header is left of a CSV file: cut, and written again.
    path = os.path.join(TMP, "torn-header.csv")
    with open(path, "wb") as f:
        f.write(b"url,final_u")
    r = subprocess.run([CAFE, "titles", "-q", "--csv", "--resume", "-o", path, SMALL],
                       capture_output=True, timeout=120)
    assert r.returncode == 0, (r.returncode, r.stderr)
    with open(path, "rb") as f:
        lines = f.read().splitlines()
    assert lines[0].startswith(b"url,final_url,") and len(lines) == 6, lines


def resumed_with_line_ends(fmt, kept, name, ends):
    """A file of the lines kept (2 of SMALL's 5 records, after a CSV's header), each ending
    with ends, resumed by a --resume run of SMALL: checks the run's success, the kept lines
    untouched, and every line of the file ending as they do. Returns the path."""
    path = os.path.join(TMP, name)
    with open(path, "wb") as f:
        f.write(b"".join(l + ends for l in kept))
    r = subprocess.run([CAFE, "titles", "-q", fmt, "--resume", "-o", path, SMALL],
                       capture_output=True, timeout=120)
    assert r.returncode == 0, (name, r.returncode, r.stderr)
    with open(path, "rb") as f:
        got = f.read()
    assert got.startswith(b"".join(l + ends for l in kept)), (name, got)
    n = 6 if fmt == "--csv" else 5
    assert got.count(b"\n") == n and got.count(b"\r\n") == (n if ends == b"\r\n" else 0), \
        (name, got)
    return path


def test_resume_reads_a_csv_with_lf_line_ends():
    """A CSV with LF line ends (written by another tool, or saved by an editor: cafe writes
    CRLF) was refused by --resume as "not the header". Both are read; the records --resume
    adds end as the file's header does, so the file keeps one kind of line end."""
    lines = cafe_output("--csv").split(b"\r\n")[:-1]
    for name, ends in (("lf.csv", b"\n"), ("crlf.csv", b"\r\n")):
        path = resumed_with_line_ends("--csv", lines[:3], name, ends)  # the header, 2 records
        with open(path, newline="") as f:
            urls = [x["url"] for x in csv.DictReader(f)]
        assert sorted(urls) == sorted(set(urls)) and len(urls) == 5, (name, urls)


def test_resume_onto_json_lines_of_crlf_ends_keeps_them():
    """JSON Lines saved with CRLF line ends (a Windows editor, a tool that writes them): cafe
    --resume read them, then appended its records in LF, a file of mixed line ends (CSV
    already kept the file's own). The records --resume adds end as the file's first line
    does: CRLF here, LF for a file of LF ends as cafe writes it."""
    lines = cafe_output("--json").split(b"\n")[:-1]
    for name, ends in (("crlf.jsonl", b"\r\n"), ("lf.jsonl", b"\n")):
        path = resumed_with_line_ends("--json", lines[:2], name, ends)  # two records
        with open(path, "rb") as f:
            got = f.read()
        urls = [json.loads(l)["url"] for l in got.split(ends)[:-1]]
        assert sorted(urls) == sorted(set(urls)) and len(urls) == 5, (name, urls)


def test_fail_counts_the_failures_an_earlier_run_recorded():
    """--fail --resume exited 0 when the failure was recorded by the run it resumed: the
    resume reader kept only URLs, so an interrupted and resumed run ended otherwise than the
    same run uninterrupted. The failures the file holds for the URLs of the list count (a
    404, not a page without HTML, which is no failure; nor a failure of a URL the list no
    longer has)."""
    page = [fx.url(0, f"/page/{i}") for i in range(4)]
    full = write_list([page[0], fx.url(0, "/status/200"), page[1], fx.url(0, "/status/404"),
                       page[2]], "fail-full.txt")
    other = write_list([page[0], fx.url(0, "/status/200"), page[1], page[3]], "fail-other.txt")
    for fmt in ("--json", "--csv", "--csv-safe"):
        path = os.path.join(TMP, "fail" + fmt)
        r = subprocess.run([CAFE, "titles", "-q", "--fail", fmt, "-o", path, full],
                           capture_output=True, timeout=120)
        assert r.returncode == 1, (fmt, r.returncode, r.stderr)  # the whole run's status
        with open(path, "rb") as f:
            whole = f.read()
        head = 1 if fmt != "--json" else 0
        lines = whole.splitlines(keepends=True)
        with open(path, "wb") as f:  # interrupted after the 404's record
            f.write(b"".join(lines[:head + 4]))
        r = subprocess.run([CAFE, "titles", "--fail", fmt, "--resume", "-o", path, full],
                           capture_output=True, timeout=120)
        assert r.returncode == 1, (fmt, r.returncode, r.stderr)
        assert b"4 already done, 1 of them failed" in r.stderr, (fmt, r.stderr)
        with open(path, "wb") as f:
            f.write(whole)
        r = subprocess.run([CAFE, "titles", "-q", "--fail", fmt, "--resume", "-o", path, other],
                           capture_output=True, timeout=120)
        assert r.returncode == 0, (fmt, r.returncode, r.stderr)


def test_resume_reads_a_file_that_begins_with_a_bom():
    """A CSV saved by a spreadsheet (Excel's "CSV UTF-8") or a file saved by a Windows editor
    begins with a UTF-8 byte order mark: --resume refused it, "line 1 is not the header".
    The mark is skipped on the first line, as cafe's list reader skips it, and kept."""
    for fmt, ends in (("--csv", b"\r\n"), ("--json", b"\n")):
        lines = cafe_output(fmt).split(ends)[:-1]
        path = os.path.join(TMP, "bom" + fmt)
        start = b"\xef\xbb\xbf" + b"".join(l + ends for l in lines[:3])
        with open(path, "wb") as f:
            f.write(start)
        r = subprocess.run([CAFE, "titles", "-q", fmt, "--resume", "-o", path, SMALL],
                           capture_output=True, timeout=120)
        assert r.returncode == 0, (fmt, r.returncode, r.stderr)
        with open(path, "rb") as f:
            got = f.read()
        assert got.startswith(start) and got.count(b"\n") == len(lines), (fmt, got)
        with open(path, encoding="utf-8-sig", newline="") as f:
            urls = [x["url"] for x in csv.DictReader(f)] if fmt == "--csv" else \
                [json.loads(l)["url"] for l in f]
        assert sorted(urls) == sorted(set(urls)) and len(urls) == 5, (fmt, urls)


def test_a_pipe_closed_before_the_csv_header_is_a_quiet_stop():
    """A closed pipe is a quiet stop (`| head`): SIGPIPE's, no message. But with --csv the
    header is written at the start, and a reader gone by then (`| true`, a consumer that
    failed to start) made cafe say "writing standard output: Broken pipe", as --json, whose
    first record meets it, does not."""
    for fmt in ("--json", "--csv", "--csv-safe"):
        r, w = os.pipe()
        os.close(r)
        try:
            p = subprocess.run([CAFE, "titles", fmt, SMALL], stdout=w, capture_output=False,
                               stderr=subprocess.PIPE, timeout=120)
        finally:
            os.close(w)
        assert (p.returncode, p.stderr) == (-signal.SIGPIPE, b""), (fmt, p.returncode, p.stderr)


def test_closed_stdout():
    r = subprocess.run(f"'{CAFE}' titles '{SMALL}' >&-", shell=True, capture_output=True,
                       timeout=120)
    assert r.returncode == 2, r.returncode
    assert b"cafe titles: writing standard output: Bad file descriptor" in r.stderr, r.stderr


def closed(fd, cmd):
    """cmd (a shell command line) run with descriptor fd closed; returns the run."""
    return subprocess.run(f"{cmd} {fd}>&-", shell=True, capture_output=fd != 2, timeout=120)


def test_closed_standard_descriptors():
    # With no URL file to open, a closed 0, 1 or 2 was the next descriptor the loop made
    # (its epoll or signal pipe): libuv aborted closing it ("uv__close: Assertion `fd >
    # STDERR_FILENO' failed"), and a message for stderr could have gone into any file.
    url = fx.url(0, "/page/1")
    out = os.path.join(TMP, "closed-std.txt")
    r = closed(1, f"'{CAFE}' titles -u {url}")
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert b"cafe titles: writing standard output: Bad file descriptor" in r.stderr, r.stderr
    r = closed(0, f"'{CAFE}' titles -q -u {url}")
    assert r.returncode == 0 and r.stdout.startswith(b"'Site 0 page 1"), (r.returncode, r)
    r = closed(0, f"'{CAFE}' titles -q -")
    assert r.returncode == 2 and b"reading standard input: Bad file descriptor" in r.stderr, \
        (r.returncode, r.stderr)
    r = closed(2, f"'{CAFE}' titles -u {url} -u {fx.url(0, '/nope')} -o '{out}'")
    assert r.returncode == 0, r.returncode
    with open(out, "rb") as f:  # the records, and no progress line or summary among them
        assert f.read().splitlines()[1] == f"Error fetching {fx.url(0, '/nope')}: HTTP 404" \
            .encode(), out


def test_a_fifo_output_is_opened_once_so_its_reader_never_sees_an_early_end():
    # -o FIFO, its reader waiting (`mkfifo out; consumer < out & cafe titles -o out`): the
    # file lock opened the FIFO read-write and closed it again before the output's own open.
    # That open let the reader in, the close left the FIFO with no writer, and a reader that
    # read in between saw the end of its input: it exited with nothing, and cafe's open then
    # waited for a reader for ever (4 runs in 100 here). What a reader sees is the writer's
    # closes, which inotify counts: one, after the records.
    import ctypes
    import struct
    import threading
    libc = ctypes.CDLL(None, use_errno=True)
    IN_CLOSE_WRITE, IN_OPEN = 0x08, 0x20  # opens watched too: two closes in a row are one event
    fifo = os.path.join(TMP, "out.fifo")
    os.mkfifo(fifo)
    ino = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    if ino < 0 or libc.inotify_add_watch(ino, fifo.encode(), IN_CLOSE_WRITE | IN_OPEN) < 0:
        raise Skip("no inotify here")
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()), daemon=True)
    reader.start()
    try:
        r = subprocess.run([CAFE, "titles", "-q", "--json", "-o", fifo, SMALL],
                           capture_output=True, timeout=30)
    finally:
        # The reader ends on its own once cafe's close is read, but on a loaded machine it
        # may not have yet: an open here then would be a second close the count below sees.
        reader.join(10)
        if reader.is_alive():  # cafe never opened it: let the reader's open return
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            reader.join(10)
    events, at = os.read(ino, 4096), 0
    closes = 0
    while at < len(events):
        _, mask, _, name_len = struct.unpack_from("iIII", events, at)
        closes += bool(mask & IN_CLOSE_WRITE)
        at += 16 + name_len
    os.close(ino)
    assert r.returncode == 0, r.stderr
    assert len(got[0].splitlines()) == 5, got
    assert closes == 1, f"the FIFO was closed for writing {closes} times"


def test_non_blocking_stdout_waits_for_its_reader():
    # A pipe or terminal left non-blocking by another program (the open file is shared) made
    # a write to a full stdout fail with EAGAIN: cafe stopped with "writing standard output:
    # Resource temporarily unavailable" and exit 2 after the first few records. It now waits
    # for its reader, as it does on a blocking stdout.
    import fcntl
    import select
    import termios
    r, w = os.pipe()
    fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
    size = fcntl.fcntl(w, 1031, 4096)  # F_SETPIPE_SZ: full after a few records
    # Records over PIPE_BUF (4 KiB): a write that does not fit takes what does, so the pipe
    # fills to the byte and the wait below ends.
    pad = "a" * 2500
    urls = write_list([fx.url(0, f"/page/{i}?pad={pad}") for i in range(200)], "long.txt")
    p = subprocess.Popen([CAFE, "titles", "-q", "--json", urls], stdout=w,
                         stderr=subprocess.PIPE)
    os.close(w)
    try:
        buffered = bytearray(4)
        for _ in range(30000):  # until the pipe is full (or cafe gave up): bounded, 60 s
            fcntl.ioctl(r, termios.FIONREAD, buffered)
            if int.from_bytes(buffered, "little") >= size or p.poll() is not None:
                break
            select.select([], [], [], 0.002)
        out = b""
        while chunk := os.read(r, 65536):
            out += chunk
        err = p.stderr.read()
        assert p.wait(timeout=120) == 0 and err == b"", (p.returncode, err)
        assert len(out.splitlines()) == 200, len(out.splitlines())
    finally:
        os.close(r)
        if p.poll() is None:
            p.kill()
        p.wait()


def test_programs_writing_one_pipe_keep_their_records_whole():
    """`xargs -P4 cafe titles --json | jq`: each run wrote a loop turn's records in one
    write(), over PIPE_BUF (4 KiB) when many finished together, and a pipe whose reader fell
    behind took such writes in parts, interleaved with the other runs' writes: jq read halves
    of two records as one line (398 lines of 12,000 did not parse). Whole records of at most
    PIPE_BUF go in one write each, which a pipe never interleaves."""
    import fcntl
    r, w = os.pipe()
    fcntl.fcntl(w, 1031, 4096)  # F_SETPIPE_SZ: one page, which the writers wait on
    lists = [write_list([fx.url(i % 4, f"/page/{k}-{i}") for i in range(1500)], f"pipe{k}.txt")
             for k in range(4)]
    procs = [subprocess.Popen([CAFE, "titles", "-q", "--json", "-c", "200", path], stdout=w,
                              stderr=subprocess.PIPE) for path in lists]
    os.close(w)
    out = bytearray()
    try:
        while chunk := os.read(r, 256):  # a reader behind four writers
            out += chunk
    finally:
        os.close(r)
        for p in procs:
            err = p.stderr.read()
            assert p.wait(timeout=120) == 0 and err == b"", (p.returncode, err)
            p.stderr.close()
    lines = bytes(out).split(b"\n")
    assert lines[-1] == b"" and len(lines) == 6001, len(lines)
    torn = []
    for line in lines[:-1]:
        try:
            json.loads(line)
        except ValueError:
            torn.append(line)
    assert not torn, (len(torn), torn[:2])


def test_csv_header_waits_for_a_non_blocking_stdout_too():
    """The records waited for a reader of a non-blocking stdout, but CSV's header went through
    stdio: into a pipe another program had left non-blocking and full (`{ prog; cafe titles
    --csv ...; } | reader`), it failed at once with "writing standard output: Resource
    temporarily unavailable" and status 2, before a URL was fetched. It waits as the records
    do."""
    import fcntl
    r, w = os.pipe()
    fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
    fcntl.fcntl(w, 1031, 4096)  # F_SETPIPE_SZ
    before = 0
    try:
        while True:  # another program's output fills the pipe
            before += os.write(w, b"x" * 512)
    except BlockingIOError:
        pass
    p = subprocess.Popen([CAFE, "titles", "-q", "--csv", SMALL], stdout=w,
                         stderr=subprocess.PIPE)
    os.close(w)
    try:
        # The pipe stays full while cafe starts: it fails at once (status 2), or waits for
        # ever; 2 s is time enough to fail, and a slow start can only make the test pass.
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(timeout=2)
        out = b""
        while chunk := os.read(r, 65536):
            out += chunk
        err = p.stderr.read()
        assert p.wait(timeout=120) == 0 and err == b"", (p.returncode, err)
        lines = out[before:].split(b"\r\n")
        assert lines[0].startswith(b"url,final_url,") and len(lines) == 7, lines
    finally:
        os.close(r)
        if p.poll() is None:
            p.kill()
        p.wait()
        p.stderr.close()

run_tests(globals(), cleanup=(fx.close,))
