"""End-to-end tests of the Redis queue: `cafe queue push|results|status` and `cafe titles
--queue` workers, against a real redis-server and the fixture server, all on loopback (run by
test_queue.sh inside a fresh network namespace). Waits are for conditions, bounded."""
import contextlib
import csv
import json
import os
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.environ["CAFE_SOURCE_DIR"], "tests", "util"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (CAFE, Fixture, HoldServer, Skip, cafe, free_port, http_reply,  # noqa: E402
                     run_tests)
from redis_server import RedisServer  # noqa: E402

SITES = 50


fx = Fixture("--sites", str(SITES), "--size", "4000")
rs = RedisServer()
tmp = tempfile.mkdtemp(prefix="cafe-queue-")


def title(site, page):
    return f"Site {site} page {page} \u2014 cafe fixture"


def url_list(name, n, delay=0, first=0):
    urls = [fx.url((first + i) % SITES, f"/page/{first + i}" + (f"?delay={delay}" if delay else ""))
            for i in range(n)]
    path = os.path.join(tmp, f"{name}.txt")
    with open(path, "w") as f:
        f.write("\n".join(urls) + "\n")
    return urls, path


def held_list(name, n, hold, at, k=1, delay=0, first=0):
    """url_list's n fixture URLs with k URLs of hold (holder()) at place at: their replies
    wait for hold.release(), and hold.wait_for(k) says when they are in flight. A worker
    holding one cannot end, nor the queue be done (the other workers wait for its lease),
    before the test did what it does mid-run, however slow the machine: a run paced by the
    fixture's delays alone takes the same wall time on a loaded machine, where the test
    watching it is what slows down, and could end first. Returns (urls, path)."""
    urls, path = url_list(name, n, delay, first)
    urls[at:at] = [hold.url(f"/{name}/held/{i}") for i in range(k)]
    with open(path, "w") as f:
        f.write("\n".join(urls) + "\n")
    return urls, path


def holder():
    """A HoldServer answering a small page once released (harness.py)."""
    return HoldServer(lambda head: http_reply(b"<title>held</title>"))


def stopped(p):
    """Whether p is stopped (SIGSTOP delivered: state T in /proc/PID/stat)."""
    with open(f"/proc/{p.pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] == "T"


def wait_until(pred, what, seconds=120):
    for _ in range(seconds * 100):
        if pred():
            return
        select.select([], [], [], 0.01)  # poll a condition, bounded; never a readiness sleep
    raise AssertionError(f"gave up waiting for {what}")


def worker(url, *args):
    return subprocess.Popen([CAFE, "titles", "--queue", url, *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def finish(p, timeout=120):
    try:
        _, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()  # never leave a worker behind
        p.communicate()
        raise
    return p.returncode, err.decode()


def records(server, queue):
    """Every record of the queue's results stream, read directly (not through cafe)."""
    entries = server.cmd("XRANGE", f"cafe:{{{queue}}}:results", "-", "+")
    return [(eid, json.loads(fields[1])) for eid, fields in entries]


def exactly_once(server, queue, urls):
    got = [r["url"] for _, r in records(server, queue)]
    dup = len(got) - len(set(got))
    assert dup == 0, f"{dup} URLs have two records"
    assert set(got) == set(urls), f"{len(set(urls) - set(got))} URLs have no record"


def summary_count(err):
    line = [l for l in err.splitlines() if l.startswith("cafe titles: ") and
            (" URLs in " in l or " URL in " in l)]
    assert line, err
    return int(line[-1].split()[2])


def test_push_twice_adds_nothing():
    urls, path = url_list("twice", 500)
    with open(path, "a") as f:
        f.write("# comment\n\n" + urls[0] + "\n")  # a duplicate inside the list too
    r = cafe("queue", "push", rs.url("twice"), path)
    assert r.returncode == 0 and r.stdout == b"500 added, 1 skipped (already pushed)\n", r
    r = cafe("queue", "push", "--queue", "twice", f"redis://127.0.0.1:{rs.port}", path)
    assert r.returncode == 0 and r.stdout == b"0 added, 501 skipped (already pushed)\n", r
    assert rs.cmd("LLEN", "cafe:{twice}:pending") == 500
    st = cafe("queue", "status", rs.url("twice")).stdout.decode()
    assert "queued       500\n" in st and "pushed       500" in st, st


def test_push_takes_several_files_as_cafe_titles_does():
    """`cafe queue push "$Q" lists/*.txt` was "too many arguments": push took one FILE where
    cafe titles takes any number, as cat does. Each is read in turn, '-' standard input; a
    file that cannot be read is refused before anything is pushed, as a single one is."""
    a_urls, a = url_list("multi-a", 3)
    b_urls, b = url_list("multi-b", 2, first=3)
    more = fx.url(5, "/page/5")
    r = cafe("queue", "push", rs.url("multi"), a, b, "-", input=f"{a_urls[0]}\n{more}\n".encode())
    assert r.returncode == 0 and r.stdout == b"6 added, 1 skipped (already pushed)\n", r
    assert sorted(rs.cmd("LRANGE", "cafe:{multi}:pending", 0, -1)) == sorted(a_urls + b_urls +
                                                                           [more])
    missing = os.path.join(tmp, "multi-missing.txt")
    r = cafe("queue", "push", rs.url("multi2"), a, missing)
    assert r.returncode == 2 and r.stdout == b"", r
    assert r.stderr == f"cafe queue: cannot read {missing}: No such file or directory\n" \
        .encode(), r.stderr
    assert rs.cmd("LLEN", "cafe:{multi2}:pending") == 0


def test_push_from_a_slow_pipe_pushes_the_lines_as_they_come():
    """`producer | cafe queue push` kept the URLs in a batch of 1000 until it was full or
    the input ended: from a slow producer (tail -f, a crawler's output) none reached the
    workers (--follow) while the pipe stayed open, and a Ctrl-C on the pipeline lost them
    all without a word. A batch now goes to Redis at most 100 ms after its first line."""
    p = subprocess.Popen([CAFE, "queue", "push", rs.url("slowpipe"), "-"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for n in (1, 2):
            p.stdin.write(fx.url(n, f"/page/{95000 + n}\n").encode())
            p.stdin.flush()
            wait_until(lambda: rs.cmd("LLEN", "cafe:{slowpipe}:pending") == n,
                       f"line {n} pushed while the pipe is open", seconds=10)
        again = (fx.url(1, "/page/95001") + "\n").encode()  # pushed before: skipped
        out, err = p.communicate(input=again, timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0 and out == b"2 added, 1 skipped (already pushed)\n", (out, err)


def test_a_push_from_a_pipe_outlives_a_dropped_connection():
    """`tail -f urls.log | cafe queue push` on a Redis that closes links idle for its
    `timeout` seconds (or restarts): the push ended at its next batch with status 2, the
    lines it had read lost, and the pipe's writer killed by SIGPIPE at its next line, while
    the workers retried. A push now retries a lost connection as a worker does (sending a
    batch again skips its URLs already pushed). Redis closes the push's link when it is
    idle for 1 s here (CLIENT LIST shows it gone), then the next line comes."""
    srv = RedisServer("--timeout", "1")
    p = subprocess.Popen([CAFE, "queue", "push", srv.url("idle"), "-"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        p.stdin.write(fx.url(1, "/page/100200\n").encode())
        p.stdin.flush()
        wait_until(lambda: srv.cmd("LLEN", "cafe:{idle}:pending") == 1, "line 1 pushed")
        # our own CLIENT LIST's link is the only one left
        wait_until(lambda: srv.cmd("CLIENT", "LIST").count("\n") == 1, "the idle link closed")
        out, err = p.communicate(input=fx.url(2, "/page/100201\n").encode(), timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        srv.close()
    assert p.returncode == 0 and out == b"2 added, 0 skipped (already pushed)\n", (out, err)


def test_a_push_whose_queue_was_lost_meanwhile_says_so():
    """A push retries a lost connection (above); one that came back to a Redis restarted
    without persistence (or the queue deleted) went on into a queue of its own making, said
    "2 added" and ended with status 0, the URLs it had pushed before lost without a word.
    The push that makes a queue now gives it its epoch, as a worker's claim does: a push
    finding another says the queue is gone, status 2."""
    srv = RedisServer()
    p = subprocess.Popen([CAFE, "queue", "push", srv.url("pushlost"), "-"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        p.stdin.write(fx.url(1, "/page/100600\n").encode())
        p.stdin.flush()
        wait_until(lambda: srv.cmd("LLEN", "cafe:{pushlost}:pending") == 1, "line 1 pushed")
        srv.kill()
        srv.start()
        out, err = p.communicate(input=fx.url(2, "/page/100601\n").encode(), timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        srv.close()
    assert p.returncode == 2 and b"the queue is gone from Redis" in err, (out, err)
    assert b"push stopped after 2 new URLs" in err, err  # the second in the new queue


def test_ctrl_c_on_a_push_waiting_out_an_outage_ends_it():
    """A push retries a lost Redis for 5 minutes (above); Ctrl-C then ends its wait: it says
    what it pushed, status 2, as when the link failed outright."""
    srv = RedisServer()
    p = subprocess.Popen([CAFE, "queue", "push", srv.url("outage"), "-"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        p.stdin.write(fx.url(1, "/page/100300\n").encode())
        p.stdin.flush()
        wait_until(lambda: srv.cmd("LLEN", "cafe:{outage}:pending") == 1, "line 1 pushed")
        srv.kill()
        p.stdin.write(fx.url(2, "/page/100301\n").encode())
        p.stdin.flush()
        said = []

        def retrying():
            if select.select([p.stderr], [], [], 0)[0]:
                said.append(os.read(p.stderr.fileno(), 4096))
            return b"reconnecting" in b"".join(said)
        wait_until(retrying, "the retries")
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
        err = b"".join(said) + err
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        srv.close()
    assert p.returncode == 2 and b"push stopped after 1 new URLs" in err, (out, err)


def test_push_interrupted_says_what_it_pushed():
    """Ctrl-C (SIGINT, SIGTERM, SIGHUP) on a push killed it without a word: how many URLs
    were added, and that the list must be pushed again for the rest, went unsaid, and the
    lines read since the last push were dropped. It now pushes what it read, prints its
    counts, says so, and dies of the signal as Unix tools do (a shell loop stops too)."""
    r, w = os.pipe()  # ours: open until the end (communicate would close a PIPE: EOF)
    p = subprocess.Popen([CAFE, "queue", "push", rs.url("pushintr"), "-"],
                         stdin=r, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.close(r)
    try:
        os.write(w, fx.url(3, "/page/95100\n").encode())
        wait_until(lambda: rs.cmd("LLEN", "cafe:{pushintr}:pending") == 1, "the line pushed",
                   seconds=30)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
    finally:
        os.close(w)
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == -signal.SIGINT, (p.returncode, out, err)
    assert out == b"1 added, 0 skipped (already pushed)\n", (out, err)
    assert b"interrupted" in err and b"push the list again" in err, err


def test_push_counts_the_lines_too_long_it_left_out():
    # push said "1 lines too long": one line is "1 line"
    path = os.path.join(tmp, "too-long.txt")
    for n, words in ((1, b"1 line too long"), (2, b"2 lines too long")):
        with open(path, "w") as f:
            f.write("http://127.0.0.1:9/ok\n" + ("http://127.0.0.1:9/" + "a" * 9000 + "\n") * n)
        r = cafe("queue", "push", rs.url(f"toolong{n}"), path)
        assert r.returncode == 0 and r.stdout == b"1 added, 0 skipped (already pushed), " + \
            words + b" (over 8192 bytes) left out\n", r


def test_a_url_too_long_to_fetch_pushed_by_another_program_is_recorded_so():
    """Another program (a producer in another language, redis-cli) may queue a "URL" of any
    size up to Redis's 512 MB. One of 20 MB broke every claim's reply (cafe's bound on a
    string in a reply is 16 MB), and the URLs claimed with it; after each lease the next
    claim took it again: the worker never got past it, nor ended. One of 1 MB was fetched.
    A URL over 8192 bytes is now leased under its start and a hash, and recorded as cafe
    titles records such a line ("line too long"); one leased whole by another worker (an
    older cafe's) gives its lease up to that name when it expires."""
    q = "huge"
    cafe("queue", "push", rs.url(q), "-", input=b"http://127.0.0.1:9/ok\n")
    big = "http://127.0.0.1:9/" + "b" * (20 << 20)
    mid = "http://127.0.0.1:9/" + "m" * (1 << 20)
    held = "http://127.0.0.1:9/" + "h" * (17 << 20)
    rs.cmd("RPUSH", f"cafe:{{{q}}}:pending", big, mid)
    rs.cmd("ZADD", f"cafe:{{{q}}}:leases", 1, held)  # expired long ago
    rs.cmd("HSET", f"cafe:{{{q}}}:owner", held, "a-worker-killed")
    rc, err = finish(worker(rs.url(q), "-c", "4"), timeout=60)
    assert rc == 0 and summary_count(err) == 4, err
    got = {r["url"][:22]: r for _, r in records(rs, q)}
    assert sorted(got) == ["http://127.0.0.1:9/bbb", "http://127.0.0.1:9/hhh",
                           "http://127.0.0.1:9/mmm", "http://127.0.0.1:9/ok"], sorted(got)
    for u, r in got.items():
        if not u.endswith("ok"):
            assert r["error"] == "invalid URL: line too long" and len(r["url"]) < 2000, r
    assert rs.cmd("ZCARD", f"cafe:{{{q}}}:leases") == 0
    assert rs.cmd("LLEN", f"cafe:{{{q}}}:pending") == 0


def test_three_workers_20000_urls():
    urls, path = url_list("big", 20000, delay=20)
    r = cafe("queue", "push", rs.url("big"), "-", input=open(path, "rb").read())
    assert r.stdout.startswith(b"20000 added"), r
    # one of them fetches on 2 threads: the queue's leases and records are the main loop's
    ws = [worker(rs.url("big"), "-c", "50", *(["--threads", "2"] if i == 0 else []))
          for i in range(3)]
    outs = [finish(p) for p in ws]
    assert all(rc == 0 for rc, _ in outs), outs
    counts = [summary_count(err) for _, err in outs]
    assert sum(counts) == 20000, counts
    assert min(counts) >= 1000, f"work not spread: {counts}"  # each did at least 5%
    exactly_once(rs, "big", urls)
    recs = records(rs, "big")
    assert all(r["title"] == title(int(r["url"].split("/page/")[1].split("?")[0]) % SITES,
                                   int(r["url"].split("/page/")[1].split("?")[0]))
               for _, r in recs[:500])
    st = cafe("queue", "status", rs.url("big")).stdout.decode()
    assert "queued       0\n" in st and "in progress  0\n" in st, st
    assert "done         20000 (20000 ok, 0 failed)" in st, st


def test_one_slow_url_does_not_hold_up_the_others():
    """A worker hands each URL a slot of a ring (ref % slots, four per URL held); a URL still
    in flight when the ring came round to its slot again held up the worker, every other slot
    free, until it was done: with one URL in 23 taking 3 s, 1000 URLs took 24 s where cafe
    titles took 9 s on the same list. The next free slot is taken now: here the slow URL's
    record comes last, after the 199 fast ones, not among the first 60."""
    urls, path = url_list("hol", 200, delay=10, first=93000)
    slow = fx.url(93000 % SITES, "/page/93000?delay=5000")
    urls[0] = slow
    with open(path, "w") as f:
        f.write("\n".join(urls) + "\n")
    cafe("queue", "push", rs.url("hol"), path)
    rc, err = finish(worker(rs.url("hol"), "-c", "10"))
    assert rc == 0 and summary_count(err) == 200, err
    order = [r["url"] for _, r in records(rs, "hol")]
    assert order.index(slow) >= 150, f"the slow URL's record came {order.index(slow) + 1}th"
    exactly_once(rs, "hol", urls)


def test_a_worker_does_not_take_back_a_url_it_is_fetching():
    """A lease of a URL a worker is still fetching can run out (its renewals held up by a
    Redis outage longer than the lease): the worker's next claim took the URL back from
    itself as from a dead worker and fetched it a second time alongside the first, its
    second record refused ("1 records not written"). A claim now hands a worker's own
    expired leases back only when it does not hold them (a claim whose reply was lost);
    those it is fetching just get their lease again."""
    slow = fx.url(1, "/page/98001?delay=5000")
    fast = fx.url(2, "/page/98002?delay=1500")
    cafe("queue", "push", rs.url("selfclaim"), "-", input=(slow + "\n" + fast + "\n").encode())
    w = worker(rs.url("selfclaim"), "-c", "2")
    wait_until(lambda: rs.cmd("HLEN", "cafe:{selfclaim}:owner") == 2, "both URLs taken")
    rs.cmd("ZADD", "cafe:{selfclaim}:leases", "XX", 1, slow)  # its lease ran out
    rc, err = finish(w)
    assert rc == 0 and "not written" not in err and summary_count(err) == 2, err
    assert rs.cmd("HGET", "cafe:{selfclaim}:stats", "reclaimed") is None
    exactly_once(rs, "selfclaim", [slow, fast])


def test_two_workers_of_one_image_started_at_once_have_two_names():
    """A worker's name was host:pid:ms: two containers of one image (same hostname, each
    worker pid 1) started in the same millisecond had one name, and Redis saw one worker
    holding both's leases (the release at one's end gave back URLs the other was fetching).
    Here each worker runs in its own UTS and PID namespaces (hostname cafe-box, pid 1) with
    the wall clock standing still (frozen_clock.c), so host, pid and ms are the same: the
    names differ now by their random part."""
    if os.environ.get("CAFE_SANITIZE") in ("1", "ON", "TRUE", "true"):
        raise Skip("the frozen clock's LD_PRELOAD and AddressSanitizer's runtime do not mix")
    shim = os.path.join(os.environ["CAFE_BUILD_DIR"], "tests", "libfrozen_clock.so")
    box = ["unshare", "--uts", "--pid", "--fork", "--kill-child", "--mount-proc"]
    if not os.path.exists(shim) or not shutil.which("unshare") or \
            subprocess.run([*box, "true"], capture_output=True).returncode != 0:
        raise Skip("no frozen_clock.so, or no UTS and PID namespaces here (unshare)")
    urls, path = url_list("twins", 40, delay=300, first=99000)
    assert cafe("queue", "push", rs.url("twins"), path).returncode == 0
    env = dict(os.environ, LD_PRELOAD=shim, ASAN_OPTIONS="verify_asan_link_order=0")
    cmd = [*box, "sh", "-c", 'hostname cafe-box && exec "$@"', "sh",
           CAFE, "titles", "--queue", rs.url("twins"), "-c", "2"]
    ws = [subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
          for _ in range(2)]
    try:
        # each worker holds at most 3 URLs (-c 2 and a batch of 1): 4 leased, both hold some
        wait_until(lambda: rs.cmd("ZCARD", "cafe:{twins}:leases") >= 4, "both workers' claims",
                   seconds=60)
        owners = {o.rstrip("!") for o in rs.cmd("HVALS", "cafe:{twins}:owner")}  # or receipts
        names = rs.cmd("ZRANGE", "cafe:{twins}:workers", 0, -1)
    finally:
        outs = [finish(p) for p in ws]
    assert all(n.startswith("cafe-box:1:1700000000000:") for n in owners), owners
    assert len(owners) == 2 and len(names) == 2, (owners, names)
    assert all(rc == 0 for rc, _ in outs), outs
    exactly_once(rs, "twins", urls)


def test_sigkill_worker_then_lease_expiry():
    """The victim is killed holding leases for certain: it fetches alone until the 8 held
    URLs (held_list; its 8 connections to their host) are its own, in flight; the other
    starts then. Paced by 30 ms delays alone, the queue could be done before a slowed test
    killed the victim (it then held nothing: "assert held > 0" failed). The victim dies
    holding receipts too (URLs acknowledged, whose FORGET it never sent; stopped first, so
    that the count is the one it dies with): they stayed in the owner hash for ever, up to
    a thousand URLs for each worker killed (a fleet of spot machines), until the claim that
    forgets a silent worker forgot its receipts with it."""
    hold = holder()
    try:
        urls, path = held_list("kill", 3000, hold, 600, k=8, delay=5, first=30000)
        cafe("queue", "push", rs.url("kill"), path)
        victim = worker(rs.url("kill"), "-c", "30", "--lease", "2")
        mine = f":{victim.pid}:"
        hold.wait_for(8, timeout=120)
        wait_until(lambda: rs.cmd("XLEN", "cafe:{kill}:results") >= 300, "progress")
        other = worker(rs.url("kill"), "-c", "30", "--lease", "2")
        receipts = 0
        for _ in range(200):  # bounded: it acknowledges a record every few ms
            victim.send_signal(signal.SIGSTOP)
            wait_until(lambda: stopped(victim), "the victim stopped", 30)
            receipts = sum(mine in w and w.endswith("!")
                           for w in rs.cmd("HVALS", "cafe:{kill}:owner"))
            if receipts:
                break
            n = rs.cmd("XLEN", "cafe:{kill}:results")
            victim.send_signal(signal.SIGCONT)
            wait_until(lambda: rs.cmd("XLEN", "cafe:{kill}:results") > n, "more records", 30)
        assert receipts > 0, "the victim never held a receipt"
        victim.kill()
        victim.wait()
        # (an owner ending with "!" is an ACK's receipt, not a lease)
        held = sum(mine in w and not w.endswith("!")
                   for w in rs.cmd("HVALS", "cafe:{kill}:owner"))
        assert held >= 8, held  # the victim died holding leases: they must come back
        hold.release()
        rc, err = finish(other)
    finally:
        hold.release()
        hold.close()
    assert rc == 0, err
    exactly_once(rs, "kill", urls)
    reclaimed = int(rs.cmd("HGET", "cafe:{kill}:stats", "reclaimed"))
    assert reclaimed >= held, (reclaimed, held)
    # the killed worker never said goodbye: the claim that took its last lease back (as old
    # as its last sign of life) forgot it too; its entry used to stay in the set for ever
    left = rs.cmd("ZRANGE", "cafe:{kill}:workers", 0, -1)
    assert left == [], left
    owners = rs.cmd("HVALS", "cafe:{kill}:owner")
    assert not [w for w in owners if mine in w], (receipts, len(owners))


def test_a_silent_worker_found_by_a_renewal_loses_its_receipts():
    """A worker found silent by another's lease renewal (RENEW), not by a claim: the renewal
    dropped it from the workers' set alone, and no claim ever found its receipts again (CI
    of stop 45: 600 left in the owner hash after test_sigkill_worker_then_lease_expiry).
    Here the live worker holds its only URLs in flight, so it claims nothing and only
    renews while the ghost, silent already, is put in; a live worker's receipts stay."""
    hold = holder()
    try:
        urls, path = held_list("renew", 0, hold, 0, k=2)
        cafe("queue", "push", rs.url("renew"), path)
        live = worker(rs.url("renew"), "-c", "4", "--lease", "2")
        hold.wait_for(2, timeout=120)
        sec, usec = rs.cmd("TIME")
        now = int(sec) * 1000 + int(usec) // 1000
        rs.cmd("ZADD", "cafe:{renew}:workers", now - 1, "ghost:1:x", now + 600000, "alive:2:y")
        ghosts = [f"https://ghost.invalid/{i}" for i in range(50)]
        alive = [f"https://alive.invalid/{i}" for i in range(5)]
        for u in ghosts:
            rs.cmd("HSET", "cafe:{renew}:owner", u, "ghost:1:x!")
        for u in alive:
            rs.cmd("HSET", "cafe:{renew}:owner", u, "alive:2:y!")
        wait_until(lambda: rs.cmd("ZSCORE", "cafe:{renew}:workers", "ghost:1:x") is None,
                   "the ghost forgotten", 60)
        owners = rs.cmd("HGETALL", "cafe:{renew}:owner")
        left = dict(zip(owners[::2], owners[1::2]))
        assert not [u for u in ghosts if u in left], len(left)
        assert all(left.get(u) == "alive:2:y!" for u in alive), left
        hold.release()
        rc, err = finish(live)
    finally:
        hold.release()
        hold.close()
    assert rc == 0, err
    exactly_once(rs, "renew", urls)


def test_a_worker_that_ends_takes_its_receipts_with_it():
    """A worker's end (RELEASE) took it out of the workers' set, and its FORGET came after:
    a receipt that FORGET did not take (the worker killed between the two, a FORGET refused
    or lost, an acknowledged URL it could not keep in memory) stayed in the owner hash for
    ever, since no script would find that worker silent again. Its end now takes every
    receipt of its own. Here the receipts FORGET does not know are put in while it runs."""
    hold = holder()
    try:
        urls, path = held_list("bye", 20, hold, 10)
        cafe("queue", "push", rs.url("bye"), path)
        w = worker(rs.url("bye"), "-c", "4")
        hold.wait_for(1, timeout=120)
        names = rs.cmd("ZRANGE", "cafe:{bye}:workers", 0, -1)
        assert len(names) == 1, names
        lost = [f"https://lost.invalid/{i}" for i in range(20)]
        for u in lost:
            rs.cmd("HSET", "cafe:{bye}:owner", u, names[0] + "!")
        hold.release()
        rc, err = finish(w)
    finally:
        hold.release()
        hold.close()
    assert rc == 0, err
    exactly_once(rs, "bye", urls)
    assert rs.cmd("ZRANGE", "cafe:{bye}:workers", 0, -1) == []
    assert rs.cmd("HGETALL", "cafe:{bye}:owner") == [], "receipts left behind"


def test_workers_killed_at_random_points_and_restarted_record_each_url_once():
    """Workers SIGKILLed at random points of a run (between a fetch and its ACK, in a
    claim, mid-script) and restarted, as a fleet of spot machines is: every URL has
    exactly one record at the end, and nothing is left pending or leased. The kills are at
    seeded points, gated on the results' count."""
    import random
    rng = random.Random(20261206)
    urls, path = url_list("randkill", 2000, delay=20, first=40000)
    cafe("queue", "push", rs.url("randkill"), path)
    args = ["-c", "20", "--lease", "1"]
    ws = [worker(rs.url("randkill"), *args) for _ in range(3)]
    try:
        for at in sorted(rng.sample(range(100, 1700), 6)):
            wait_until(lambda: rs.cmd("XLEN", "cafe:{randkill}:results") >= at, f"{at} records")
            victim = ws.pop(rng.randrange(len(ws)))
            if victim.poll() is None:
                victim.kill()
            victim.communicate()
            ws.append(worker(rs.url("randkill"), *args))
        for w in ws:
            rc, err = finish(w)
            assert rc == 0, err
    finally:
        for w in ws:
            if w.poll() is None:
                w.kill()
                w.communicate()
    exactly_once(rs, "randkill", urls)
    assert rs.cmd("LLEN", "cafe:{randkill}:pending") == 0
    assert rs.cmd("ZCARD", "cafe:{randkill}:leases") == 0
    assert int(rs.cmd("HGET", "cafe:{randkill}:stats", "done")) == len(urls)


def test_stalled_worker_loses_its_leases_and_its_records_are_refused():
    """A worker frozen (SIGSTOP: a long GC pause, a network partition) past its lease: another
    takes its URLs over and records them; when the first wakes up and finishes the same
    fetches, the queue refuses its records. Exactly one record per URL all the same. The
    URLs are held (held_list) until the first is stopped: paced by 500 ms delays alone, it
    could be done before a slowed test stopped it (the other then had nothing to take)."""
    hold, a = holder(), None
    try:
        urls, path = held_list("stall", 0, hold, 0, k=200)
        cafe("queue", "push", rs.url("stall"), path)
        a = worker(rs.url("stall"), "-c", "200", "--per-host", "200", "--lease", "1")
        mine = f":{a.pid}:"
        hold.wait_for(200, timeout=120)  # a fetches them all
        assert rs.cmd("LLEN", "cafe:{stall}:pending") == 0
        assert all(mine in w for w in rs.cmd("HVALS", "cafe:{stall}:owner"))
        a.send_signal(signal.SIGSTOP)
        wait_until(lambda: stopped(a), "a stopped")
        hold.release()  # a's replies wait in its sockets until it wakes up
        rc, err = finish(worker(rs.url("stall"), "--lease", "1"))
        assert rc == 0 and summary_count(err) == 200, err
    finally:
        hold.release()
        hold.close()
        if a:
            a.send_signal(signal.SIGCONT)
    rc, err = finish(a)
    assert rc == 0 and "200 records not written" in err, err
    assert summary_count(err) == 0, err
    exactly_once(rs, "stall", urls)


class AckCutProxy:
    """A loopback proxy to Redis that lets a worker's first ACK (its record's JSON) reach
    Redis and run, then cuts the link before the reply comes back (cut is set). Reconnects
    go through at once, or, with hold_reconnect, once reopen is set. Another command than
    the ACK: the first chunk holding marker, once ran() says Redis ran it."""

    def __init__(self, queue, hold_reconnect=False, marker=b'"title"', ran=None):
        self.acked, self.cut, self.reopen = (threading.Event(), threading.Event(),
                                             threading.Event())
        if not hold_reconnect:
            self.reopen.set()
        self.queue = queue
        self.marker = marker
        self.ran = ran or (lambda: rs.cmd("XLEN", f"cafe:{{{queue}}}:results") >= 1)
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(8)
        self.url = f"redis://127.0.0.1:{self.lsock.getsockname()[1]}/0?queue={queue}"
        threading.Thread(target=self.serve, daemon=True).start()

    @staticmethod
    def close_both(*socks):
        for s in socks:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def up(self, c, u):  # the worker's commands; the first ACK cuts the link
        with contextlib.suppress(OSError):
            while (data := c.recv(65536)):
                first = not self.acked.is_set() and self.marker in data
                if first:
                    self.acked.set()  # from now on no reply of this link goes back
                u.sendall(data)
                if first:
                    wait_until(self.ran, "the command cut", seconds=30)
                    self.cut.set()
                    break
        self.close_both(c, u)

    def down(self, u, c, held):
        with contextlib.suppress(OSError):
            while (data := u.recv(65536)) and not (held and self.acked.is_set()):
                c.sendall(data)

    def serve(self):
        with contextlib.suppress(OSError):
            while True:
                c, _ = self.lsock.accept()
                if self.cut.is_set():
                    self.reopen.wait()
                u = socket.create_connection(("127.0.0.1", rs.port))
                held = not self.cut.is_set()
                threading.Thread(target=self.down, args=(u, c, held), daemon=True).start()
                threading.Thread(target=self.up, args=(c, u), daemon=True).start()

    def close(self):
        self.reopen.set()
        self.lsock.close()


def test_an_ack_sent_again_after_a_reconnect_is_no_loss():
    """The link dropped after an ACK reached Redis and ran, before its reply came back: the
    worker reconnected and sent it again, Redis refused it (the URL was no longer leased:
    the first one had written its record) and the worker said "1 records not written" and
    counted one URL less, though every record was there. A proxy here cuts the link so,
    once; the ACK's receipt now says the record was written by that worker, and the
    receipts are forgotten by the end."""
    urls, path = url_list("ackcut", 3, first=99500)
    assert cafe("queue", "push", rs.url("ackcut"), path).returncode == 0
    proxy = AckCutProxy("ackcut")
    try:
        rc, err = finish(worker(proxy.url, "-c", "1"), timeout=60)
    finally:
        proxy.close()
    assert proxy.cut.is_set() and "reconnecting" in err, err
    assert rc == 0 and "not written" not in err and summary_count(err) == 3, (rc, err)
    exactly_once(rs, "ackcut", urls)
    assert rs.cmd("HLEN", "cafe:{ackcut}:owner") == 0, "receipts left"


def test_a_push_batch_sent_again_after_a_reconnect_counts_its_urls_added():
    """The link dropped after a push's batch reached Redis and ran, before its reply came
    back: push reconnected and sent it again, Redis skipped every URL (pushed, by the first
    sending) and push said "0 added, 3 skipped (already pushed)" of the URLs it had added
    itself. A proxy cuts the link so, once; the push's receipt of its batch now answers the
    batch sent again, and goes at the push's end."""
    urls = [fx.url(i, f"/page/{99700 + i}") for i in range(3)]
    proxy = AckCutProxy("pushcut", marker=b"EVALSHA",
                        ran=lambda: rs.cmd("LLEN", "cafe:{pushcut}:pending") == 3)
    try:
        r = cafe("queue", "push", proxy.url, "-", input="".join(u + "\n" for u in urls).encode())
    finally:
        proxy.close()
    assert proxy.cut.is_set() and b"reconnecting" in r.stderr, r
    assert r.returncode == 0 and r.stdout == b"3 added, 0 skipped (already pushed)\n", r
    assert rs.cmd("LRANGE", "cafe:{pushcut}:pending", 0, -1) == urls
    assert rs.cmd("EXISTS", "cafe:{pushcut}:pushes") == 0, "the receipt left"


def test_an_ack_sent_again_after_its_worker_was_forgotten_is_no_loss():
    """As above, but the link stays down past the worker's lease: another worker's claim
    forgets it as silent, and its receipts went with it (a killed worker's would stay for
    ever). The ACK sent again then found no receipt and the worker said "1 records not
    written", though its record was there. A forgotten worker's receipts are kept aside,
    for longer than a worker retries a lost link, and the ACK sent again finds its own."""
    urls, path = url_list("ackgone", 1, first=99600)
    assert cafe("queue", "push", rs.url("ackgone"), path).returncode == 0
    proxy = AckCutProxy("ackgone", hold_reconnect=True)  # away until it was forgotten
    try:
        a = worker(proxy.url, "-c", "1", "--lease", "1")
        wait_until(proxy.cut.is_set, "the cut", 60)
        owner = rs.cmd("HGET", "cafe:{ackgone}:owner", urls[0])
        assert owner.endswith("!"), owner  # the ACK's receipt

        def silent():
            sec, usec = rs.cmd("TIME")
            score = rs.cmd("ZSCORE", "cafe:{ackgone}:workers", owner[:-1])
            return score is not None and float(score) < int(sec) * 1000 + int(usec) // 1000
        wait_until(silent, "the worker silent past its lease", 30)
        rc, err = finish(worker(rs.url("ackgone")))  # its claim forgets the silent one
        assert rc == 0 and summary_count(err) == 0, err
        assert rs.cmd("HGET", "cafe:{ackgone}:owner", urls[0]) is None
        assert rs.cmd("PTTL", "cafe:{ackgone}:receipts") > 0  # a dead worker's go in time
        proxy.reopen.set()
        rc, err = finish(a, timeout=60)
    finally:
        proxy.close()
    assert "reconnecting" in err, err
    assert rc == 0 and "not written" not in err and summary_count(err) == 1, (rc, err)
    exactly_once(rs, "ackgone", urls)


def test_redis_killed_and_restarted_with_aof():
    """The workers cannot end before Redis is killed: a held URL (held_list) at place 1200,
    released once Redis is back; paced by 10 ms delays alone (0.4 s), they could be done
    before a slowed test killed it."""
    srv = RedisServer("--appendonly", "yes", "--appendfsync", "always")
    hold = holder()
    try:
        urls, path = held_list("aof", 4000, hold, 1200, delay=10, first=40000)
        cafe("queue", "push", srv.url("aof"), path)
        ws = [worker(srv.url("aof"), "-c", "50", "--lease", "3") for _ in range(2)]
        wait_until(lambda: srv.cmd("XLEN", "cafe:{aof}:results") >= 800, "progress")
        before = records(srv, "aof")  # acknowledged: each one's reply was after its fsync
        assert all(p.poll() is None for p in ws)  # killed mid-run, under the workers' feet
        srv.kill()
        srv.start()
        hold.release()
        outs = [finish(p) for p in ws]
        assert all(rc == 0 for rc, _ in outs), outs
        assert len(before) < len(urls)
        after = dict(records(srv, "aof"))
        lost = [eid for eid, rec in before if after.get(eid) != rec]
        assert not lost, f"{len(lost)} acknowledged records lost"
        exactly_once(srv, "aof", urls)
    finally:
        hold.release()
        hold.close()
        srv.close()


def test_a_queue_lost_by_a_restart_without_persistence_is_an_error():
    """Redis restarted without persistence under a worker: the queue and every record in it
    are gone. The worker's acknowledgements were refused, it blamed "another worker", found
    nothing left to do and ended with status 0 as if the queue were done. It now says the
    queue is gone and ends with status 2. The worker cannot end before the restart: a held
    URL (held_list) at place 600, released once Redis is back; paced by 20 ms delays alone
    (0.8 s), it could be done before a slowed test restarted Redis (status 0)."""
    srv = RedisServer()
    hold = holder()
    try:
        urls, path = held_list("gone", 2000, hold, 600, delay=20, first=87000)
        cafe("queue", "push", srv.url("gone"), path)
        w = worker(srv.url("gone"), "-c", "50")
        wait_until(lambda: srv.cmd("XLEN", "cafe:{gone}:results") >= 300, "progress")
        srv.kill()
        srv.start()
        hold.release()
        rc, err = finish(w)
        assert rc == 2 and "the queue is gone from Redis" in err, (rc, err)
        assert "another worker" not in err, err
        said_once(err, "the queue is gone from Redis")
    finally:
        hold.release()
        hold.close()
        srv.close()


def test_a_queue_lost_and_pushed_again_is_no_queue_of_the_worker():
    """Redis restarted without persistence, and the queue pushed again (a pusher run again by
    a loop or a supervisor) before a worker's next claim: the worker found the queue's keys
    there, went on with the new URLs, and said of the records it had written, lost, nothing
    (exit 0; "another worker had taken their URLs over" of its URL in flight). A claim now
    sees the queue's epoch, set by the first claim that found it: another epoch is another
    queue, and the worker says the queue is gone and ends with status 2, the new queue's URLs
    given back. The worker is stopped (SIGSTOP) across the restart and the push, as one
    waiting out the outage would be, its URL in flight held (held_list)."""
    srv = RedisServer()
    hold = holder()
    try:
        urls, path = held_list("again", 40, hold, 0, first=100000)
        cafe("queue", "push", srv.url("again"), path)
        w = worker(srv.url("again"), "-c", "4", "--follow")
        wait_until(lambda: srv.cmd("XLEN", "cafe:{again}:results") == 40, "the records")
        hold.wait_for(1)
        w.send_signal(signal.SIGSTOP)
        wait_until(lambda: stopped(w), "the worker stopped")
        srv.kill()
        srv.start()
        more, path2 = url_list("again2", 30, first=100100)
        cafe("queue", "push", srv.url("again"), path2)
        w.send_signal(signal.SIGCONT)
        hold.release()
        rc, err = finish(w)
        assert rc == 2 and "the queue is gone from Redis" in err, (rc, err)
        assert "another worker" not in err, err
        assert srv.cmd("LLEN", "cafe:{again}:pending") + srv.cmd("XLEN", "cafe:{again}:results") \
            == len(more) and srv.cmd("ZCARD", "cafe:{again}:leases") == 0
    finally:
        hold.release()
        hold.close()
        srv.close()


def said_once(err, cause):
    """The error is one line, with its cause: the worker said the cause, then the run said
    "reading the queue: Input/output error" (or "writing the queue's results: ...") again
    with only the code."""
    lines = [line for line in err.splitlines() if "Input/output error" in line or cause in line]
    assert len(lines) == 1 and cause in lines[0], err


def test_a_queue_never_pushed_to_is_said_so():
    """A worker, status or results on a queue nothing was ever pushed to (a typo in its
    name, the wrong database): the worker ended at once with "0 URLs ... 0 ok" and status 0,
    status printed zeros, results wrote nothing, as for a queue whose work is all done (or
    exported). Each now says that the queue does not exist; a queue that exists and is done
    (its records drained) gets no such note."""
    for args in (["titles", "--queue", rs.url("nosuch")], ["queue", "status", rs.url("nosuch")],
                 ["queue", "results", rs.url("nosuch")]):
        r = cafe(*args, timeout=60)
        assert r.returncode == 0 and b"nothing was ever pushed to queue nosuch" in r.stderr, r
    cafe("queue", "push", rs.url("pushedonce"), "-", input=b"ftp://127.0.0.1/x\n")
    rc, err = finish(worker(rs.url("pushedonce")))
    assert rc == 0 and summary_count(err) == 1, err
    for args in (["titles", "--queue", rs.url("pushedonce")],
                 ["queue", "status", rs.url("pushedonce")],
                 ["queue", "results", "--drain", "-o", os.path.join(tmp, "once.txt"),
                  rs.url("pushedonce")], ["queue", "results", rs.url("pushedonce")]):
        r = cafe(*args, timeout=60)
        assert r.returncode == 0 and b"nothing was ever pushed" not in r.stderr, r
    assert rs.cmd("KEYS", "cafe:{nosuch}:*") == [], "a look at a queue made it"


def test_follow_waits_then_ctrl_c_releases():
    urls, path = url_list("follow", 50)
    more, path2 = url_list("follow2", 50, first=50)
    cafe("queue", "push", rs.url("follow"), path)
    w = worker(rs.url("follow"), "--follow", "--lease", "5")
    wait_until(lambda: rs.cmd("XLEN", "cafe:{follow}:results") == 50, "first batch")
    cafe("queue", "push", rs.url("follow"), path2)
    wait_until(lambda: rs.cmd("XLEN", "cafe:{follow}:results") == 100, "second batch")
    assert w.poll() is None  # still waiting for more
    st = cafe("queue", "status", rs.url("follow")).stdout.decode()
    assert "workers      1 seen recently" in st, st
    w.send_signal(signal.SIGINT)
    rc, err = finish(w)
    assert rc == -signal.SIGINT, (rc, err)
    assert rs.cmd("ZCARD", "cafe:{follow}:workers") == 0  # said goodbye
    exactly_once(rs, "follow", urls + more)


def test_ctrl_c_puts_unfinished_urls_back():
    """The worker cannot end before its Ctrl-C: a held URL (held_list) at place 400,
    released once it ended; paced by 100 ms delays alone (2 s), it could be done before a
    slowed test interrupted it (status 0)."""
    hold = holder()
    try:
        urls, path = held_list("intr", 2000, hold, 400, delay=100, first=80000)
        cafe("queue", "push", rs.url("intr"), path)
        w = worker(rs.url("intr"), "-c", "100")
        wait_until(lambda: rs.cmd("XLEN", "cafe:{intr}:results") >= 200 and
                   rs.cmd("ZCARD", "cafe:{intr}:leases") >= 50, "progress")
        w.send_signal(signal.SIGINT)
        rc, err = finish(w)
    finally:
        hold.release()
        hold.close()
    assert rc == -signal.SIGINT and "interrupted" in err, (rc, err)
    # a worker has no --resume (refused with --queue): the summary sent users to it
    assert "--resume" not in err and "the queue gets back the URLs not done" in err, err
    leased = rs.cmd("ZCARD", "cafe:{intr}:leases")
    assert leased == 0, f"{leased} URLs still leased to a gone worker"
    done, queued = rs.cmd("XLEN", "cafe:{intr}:results"), rs.cmd("LLEN", "cafe:{intr}:pending")
    assert done < len(urls) and queued == len(urls) - done, (done, queued)
    rc, err = finish(worker(rs.url("intr")))
    assert rc == 0, err
    exactly_once(rs, "intr", urls)


def test_ctrl_c_with_redis_not_answering_ends_the_worker():
    """Ctrl-C while Redis does not answer (SIGSTOPped here; down and being retried is the
    same): the worker waited for its last acknowledgements and the release of its URLs
    without end (up to the 5 minutes of retries when Redis is down). Each Redis call after
    the stop is now bounded, and once one found no answer the worker ends, as Sidekiq's
    shutdown timeout does; its URLs come back when their leases end, each done once. The
    worker cannot end before the Ctrl-C: a held URL (held_list) at place 60, released once
    it ended; paced by 200 ms delays alone (3 s), it could be done before a slowed test
    stopped Redis (status 0)."""
    hold = holder()
    urls, path = held_list("stopped", 300, hold, 60, delay=200, first=85000)
    srv = RedisServer()
    try:
        cafe("queue", "push", srv.url("stopped"), path)
        w = worker(srv.url("stopped"), "-c", "20", "--lease", "2")
        wait_until(lambda: srv.cmd("XLEN", "cafe:{stopped}:results") >= 20, "progress")
        srv.proc.send_signal(signal.SIGSTOP)
        try:
            wait_until(lambda: stopped(srv.proc), "Redis stopped")
            w.send_signal(signal.SIGINT)
            rc, err = finish(w, timeout=60)
            assert rc == -signal.SIGINT and "no answer within 5 s of the stop" in err, (rc, err)
        finally:
            hold.release()
            srv.proc.send_signal(signal.SIGCONT)
        rc, err = finish(worker(srv.url("stopped"), "--lease", "2"))
        assert rc == 0, err
        exactly_once(srv, "stopped", urls)
    finally:
        hold.release()
        hold.close()
        srv.close()


def stderr_until(p, text, seconds):
    """p's standard error read until text shows in it (bounded); what was read. When it
    does not, p is killed (never left behind) and the test fails."""
    buf, end = b"", time.monotonic() + seconds
    while text.encode() not in buf:
        ready, _, _ = select.select([p.stderr], [], [], max(0.0, end - time.monotonic()))
        chunk = os.read(p.stderr.fileno(), 65536) if ready else b""
        if not chunk:
            p.kill()
            p.wait()
            raise AssertionError(f"no {text!r} within {seconds} s: {buf.decode()!r}")
        buf += chunk
    return buf.decode()


def test_a_primary_turned_replica_by_a_failover_is_waited_out():
    """A failover turns the Redis a worker talks to into a replica (Sentinel, a managed
    service whose endpoint then names the new primary): every write of the worker's scripts
    was refused (READONLY), and the worker ended with status 2, its URLs left to lease
    expiry. READONLY is now an outage like a lost link: the worker says so, reconnects (to
    the new primary behind the name) and carries on, each URL recorded once. Here the same
    server is a replica (of a primary that is not there: its data kept) until the worker
    said it, and a primary again. A replica named at the start is refused at once, by a
    drain too (which retries READONLY as a worker does)."""
    hold = holder()
    urls, path = held_list("failover", 100, hold, 30, delay=20, first=87000)
    srv = RedisServer()
    try:
        cafe("queue", "push", srv.url("failover"), path)
        w = worker(srv.url("failover"), "-c", "10")
        hold.wait_for(1, timeout=120)
        srv.cmd("REPLICAOF", "127.0.0.1", str(free_port()))
        hold.release()
        try:
            said = stderr_until(w, "READONLY", 60)
        finally:
            srv.cmd("REPLICAOF", "NO", "ONE")
        rc, err = finish(w)
        assert rc == 0 and "reconnecting" in said + err and "back after" in err, \
            (rc, said + err)
        exactly_once(srv, "failover", urls)
        srv.cmd("REPLICAOF", "127.0.0.1", str(free_port()))
        drained = os.path.join(tmp, "failover.jsonl")
        for args in (["queue", "push", srv.url("failover"), path],
                     ["titles", "--queue", srv.url("failover")],
                     ["queue", "results", srv.url("failover"), "--drain", "-o", drained]):
            r = cafe(*args, timeout=60)
            assert r.returncode == 2 and b"is a replica" in r.stderr, (args, r)
    finally:
        hold.release()
        hold.close()
        srv.close()


def test_a_replica_is_refused_to_a_user_denied_role():
    """ROLE is @dangerous: the ACL Redis's documentation suggests for applications, +@all
    -@dangerous, denied it, and a replica given to a push, a worker or a drain was not seen:
    each waited for a failover ("READONLY ...; reconnecting"). HELLO, which no such ACL
    denies, says the role: refused at once, as for a user allowed ROLE."""
    srv = RedisServer()
    try:
        srv.cmd("ACL", "SETUSER", "app", "on", ">pw", "~*", "+@all", "-@dangerous")
        srv.cmd("REPLICAOF", "127.0.0.1", str(free_port()))
        url = srv.url("denied", auth="app:pw@")
        path = os.path.join(tmp, "denied.txt")
        with open(path, "w") as f:
            f.write("http://127.0.0.1:1/\n")
        for args in (["queue", "push", url, path], ["titles", "--queue", url],
                     ["queue", "results", url, "--drain", "-o", path + ".jsonl"]):
            r = cafe(*args, timeout=60)
            assert r.returncode == 2 and b"is a replica" in r.stderr, (args, r)
    finally:
        srv.close()


def test_a_redis_that_stops_answering_is_said_not_waited_for():
    """Redis stopped answering mid-run (frozen: SIGSTOP here; a network cut that drops the
    packets, a host gone without a reset, are the same): a worker waited for its replies
    without end and without a word, and so did cafe queue status and results. A link with
    commands waiting and no byte of reply for 10 s is now given up as a lost one: a worker
    says so and reconnects, and carries on once Redis answers (each URL recorded once); the
    commands end with status 2 saying why. A held URL (held_list) at place 60, released
    once Redis is stopped, keeps a fetch to acknowledge then: paced by 200 ms delays alone
    (3 s), the worker could be done before a slowed test stopped Redis (nothing said)."""
    hold = holder()
    urls, path = held_list("frozen", 300, hold, 60, delay=200, first=86000)
    srv = RedisServer()
    try:
        cafe("queue", "push", srv.url("frozen"), path)
        w = worker(srv.url("frozen"), "-c", "20")
        wait_until(lambda: srv.cmd("XLEN", "cafe:{frozen}:results") >= 20, "progress")
        srv.proc.send_signal(signal.SIGSTOP)
        wait_until(lambda: stopped(srv.proc), "Redis stopped")
        hold.release()
        try:
            said = stderr_until(w, "no reply for 10 s; reconnecting", 40)
        finally:
            srv.proc.send_signal(signal.SIGCONT)
        rc, err = finish(w)
        assert rc == 0 and "back after" in err, (rc, said + err)
        exactly_once(srv, "frozen", urls)
    finally:
        hold.release()
        hold.close()
        srv.close()

    def talk(conn):  # the hand-shake, then silence
        for args in resp_commands(conn):
            if args[0].upper() not in (b"EVALSHA", b"XRANGE", b"HGET", b"HMGET"):
                conn.sendall(fake_answer(args))

    with fake_redis(talk, "mute") as url:
        ps = [subprocess.Popen([CAFE, "queue", sub, url], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE) for sub in ("status", "results")]
        for p in ps:
            rc, err = finish(p, timeout=60)
            assert rc == 2 and "no reply for 10 s" in err, (p.args, rc, err)


def test_a_command_still_going_out_is_not_a_silent_link():
    """The watchdog gave a link up when no byte of reply had come for 10 s, also while a
    command was still going out, slowly (a slow uplink, a server reading slowly): a push of
    long URLs was cut after 10 s of sending. What is left to send (hiredis's buffer, the
    socket's queue) going down is progress now. Here a server reads 8 KB every 50 ms, so a
    batch of 1.3 MB takes some 8 s to go, and its reply comes 3 s after."""
    lines = [f"http://127.0.0.1:9/{i}/" + "x" * 5300 for i in range(250)]

    class Slow:
        def __init__(self, conn):
            self.conn = conn

        def recv(self, n):
            select.select([], [], [], 0.05)  # a pace, not a wait for readiness
            return self.conn.recv(min(n, 8192))

    def talk(conn):
        for args in resp_commands(Slow(conn)):
            if args[0].upper() == b"EVALSHA":
                select.select([], [], [], 3)  # the reply comes 3 s after the command
                # its URLs (after the pusher's name and the batch's number), and the epoch
                conn.sendall(b"*2\r\n:%d\r\n" % (len(args) - 5 - int(args[2])) + bulk(b"e"))
            else:
                conn.sendall(fake_answer(args))

    with fake_redis(talk, "slowlink", rcvbuf=4096) as url:
        r = cafe("queue", "push", url, "-", input=("\n".join(lines) + "\n").encode(),
                 timeout=120)
    assert r.returncode == 0 and r.stdout == b"250 added, 0 skipped (already pushed)\n", r


def test_results_formats_and_drain():
    urls, path = url_list("fmt", 30, first=60000)
    with open(path, "a") as f:
        f.write("ftp://127.0.0.1/x\n")
    cafe("queue", "push", rs.url("fmt"), path)
    rc, err = finish(worker(rs.url("fmt")))
    assert rc == 0, err
    js = cafe("queue", "results", rs.url("fmt"), "--json").stdout.decode().splitlines()
    recs = [json.loads(l) for l in js]
    assert len(recs) == 31
    bad = [r for r in recs if r["url"].startswith("ftp:")]
    assert len(bad) == 1 and "scheme" in bad[0]["error"], bad
    good = {r["url"]: r for r in recs if r["status"] == 200}
    assert set(good) == set(urls) and good[urls[3]]["title"] == title(3, 60003)
    out = os.path.join(tmp, "fmt.csv")
    assert cafe("queue", "results", rs.url("fmt"), "--csv", "-o", out).returncode == 0
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 31 and {r["url"] for r in rows} == {r["url"] for r in recs}
    # -o - is standard output, as for cafe titles (it wrote a file named '-')
    dash = cafe("queue", "results", rs.url("fmt"), "--json", "-o", "-", cwd=tmp)
    assert dash.returncode == 0 and len(dash.stdout.splitlines()) == 31, dash.stderr
    assert not os.path.exists(os.path.join(tmp, "-"))
    text = cafe("queue", "results", rs.url("fmt")).stdout.decode().splitlines()
    assert f"'{title(3, 60003)}' from {urls[3]}" in text, text[:3]
    assert any(l.startswith("Error fetching ftp://127.0.0.1/x: ") for l in text), text
    r = cafe("queue", "results", rs.url("fmt"), "--json", "--drain")
    assert len(r.stdout.decode().splitlines()) == 31
    assert rs.cmd("XLEN", "cafe:{fmt}:results") == 0


def test_results_csv_safe_marks_formulas_as_titles_does():
    """cafe titles has --csv-safe; cafe queue results had only --csv, so a queue's records
    went to a spreadsheet with their formulas live (a line queued as it is, an error
    record's url, a title). --csv-safe puts the same ' before them."""
    urls, path = url_list("safe", 2, first=61000)
    with open(path, "a") as f:
        f.write("=1+2\n-2+3\n")
    cafe("queue", "push", rs.url("safe"), path)
    rc, err = finish(worker(rs.url("safe")))
    assert rc == 0, err
    got = {}
    for opt in ("--csv", "--csv-safe"):
        r = cafe("queue", "results", rs.url("safe"), opt)
        assert r.returncode == 0, r.stderr
        got[opt] = sorted(x["url"] for x in csv.DictReader(r.stdout.decode().splitlines()))
    assert got["--csv"] == sorted(urls + ["=1+2", "-2+3"]), got
    assert got["--csv-safe"] == sorted(urls + ["'=1+2", "'-2+3"]), got
    out = os.path.join(tmp, "safe.csv")
    r = cafe("queue", "results", rs.url("safe"), "--csv-safe", "--drain", "-o", out)
    assert r.returncode == 0, r.stderr
    with open(out, newline="") as f:
        assert sorted(x["url"] for x in csv.DictReader(f)) == got["--csv-safe"]


def test_results_text_lines_are_cafe_titles_lines():
    """A record that is no failure but says why it has no title (or a cut one: a body cut
    at --max-bytes) came out of `cafe queue results` as "Error fetching URL: body cut ...",
    where cafe titles writes "(body cut ...) from URL": read back from its JSON line, every
    record with an error message under HTTP 400 was taken for a failure. The worker counts
    them ok; the export's lines now say what cafe titles says."""
    urls, path = url_list("cut", 2, first=62000)
    cafe("queue", "push", rs.url("cut"), path)
    rc, err = finish(worker(rs.url("cut"), "--max-bytes", "20"))
    assert rc == 0, err
    want = cafe("titles", "--max-bytes", "20", path).stdout.decode().splitlines()
    assert want == [f"(body cut at --max-bytes 20 before any title) from {u}" for u in urls], want
    r = cafe("queue", "results", rs.url("cut"))
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.decode().splitlines()) == sorted(want), r.stdout


def test_results_into_a_closed_pipe_stop_quietly():
    # `| head -1` printed "cafe: writing standard output failed" in the guide's format and
    # exited 2 or 0 by format; now quiet, and by SIGPIPE (141) as cafe titles. 3000 records: far more than a pipe holds.
    bad = [f"ftp://127.0.0.1/x{i}" for i in range(3000)]
    path = os.path.join(tmp, "pipe.txt")
    with open(path, "w") as f:
        f.write("\n".join(bad) + "\n")
    cafe("queue", "push", rs.url("pipe"), path)
    rc, err = finish(worker(rs.url("pipe")))
    assert rc == 0, err
    for fmt in ([], ["--json"], ["--csv"]):
        cmd = " ".join(shlex.quote(a) for a in [CAFE, "queue", "results", rs.url("pipe")] + fmt)
        p = subprocess.run(["bash", "-c", cmd + ' | head -1 >/dev/null; exit "${PIPESTATUS[0]}"'],
                           capture_output=True, timeout=120)
        assert (p.returncode, p.stderr) == (141, b""), (fmt, p.returncode, p.stderr)


def test_status_and_results_that_cannot_be_written_say_so():
    # `cafe queue status > /dev/full` exited 2 without a word, and results said "stopped
    # after 1 records: no space left on device": each now says what every command says. No
    # record reached /dev/full: "after 1 record" counted the chunk read from Redis, not what
    # was written, and told a user that one record was exported.
    cafe("queue", "push", rs.url("full"), url_list("full", 1)[1])
    with open("/dev/full", "wb") as full:
        r = subprocess.run([CAFE, "queue", "status", rs.url("full")], stdout=full,
                           stderr=subprocess.PIPE, timeout=60)
        assert (r.returncode, r.stderr) == (
            2, b"cafe queue: writing standard output: No space left on device\n"), r
        rc, err = finish(worker(rs.url("full")))
        assert rc == 0, err
        r = subprocess.run([CAFE, "queue", "results", rs.url("full"), "--json"], stdout=full,
                           stderr=subprocess.PIPE, timeout=60)
        assert (r.returncode, r.stderr) == (
            2, b"cafe queue: results stopped after 0 records: No space left on device\n"), r


def test_drain_deletes_no_entry_it_did_not_export():
    """An entry of the results stream that is no record of cafe's (another program's XADD,
    a record some other tool wrote, cut or of another shape) was left out of a CSV export,
    or copied as it was into JSON Lines (a line no reader of the file takes), and --drain
    deleted it all the same: gone from Redis and written nowhere. It is kept in Redis now,
    the export saying how many it left there; the records around it go as ever."""
    urls, path = url_list("foreign", 30, first=64000)
    cafe("queue", "push", rs.url("foreign"), path)
    rc, err = finish(worker(rs.url("foreign")))
    assert rc == 0, err
    key = "cafe:{foreign}:results"
    for fields in (["record", "not json"], ["note", "another program's"],
                   ["record", '{"url": 5, "status": "x"}']):
        rs.cmd("XADD", key, "*", *fields)
    for k in range(2):  # one more record after them
        more, p2 = url_list(f"foreign{k}", 1, first=64100 + k)
        cafe("queue", "push", rs.url("foreign"), p2)
        rc, err = finish(worker(rs.url("foreign")))
        assert rc == 0, err
        urls += more
    for fmt, out in (("--json", "foreign.jsonl"), ("--csv", "foreign.csv")):
        out = os.path.join(tmp, out)
        r = cafe("queue", "results", rs.url("foreign"), fmt, "--drain", "-o", out)
        assert r.returncode == 0, r.stderr
        assert b"3 entries of the results stream are no records of cafe's: left in Redis" \
            in r.stderr, r.stderr
        with open(out, newline="") as f:
            got = [json.loads(line)["url"] for line in f] if fmt == "--json" else \
                [row["url"] for row in csv.DictReader(f)]
        # the JSON drain took every record; the CSV drain after it finds the three alone
        assert sorted(got) == (sorted(urls) if fmt == "--json" else []), got
        assert rs.cmd("XLEN", key) == 3, fmt


def test_an_entry_too_large_for_cafe_stops_no_export():
    """Another program's entry of 20 MB in the results stream broke every export's reply
    (cafe bounds a string in a reply at 16 MB): results stopped at its first chunk, exporting
    nothing, and --drain retried without end. Such an entry is left out now, and left in
    Redis, as any entry that is no record of cafe's; so are 70 of 1 MB after it, more than a
    chunk takes at once (64 MB), read over two chunks; and the records around them go."""
    q = "hugeentry"
    key = f"cafe:{{{q}}}:results"
    urls = []
    for k in range(2):
        more, path = url_list(f"{q}{k}", 2, first=64200 + 10 * k)
        cafe("queue", "push", rs.url(q), path)
        rc, err = finish(worker(rs.url(q)))
        assert rc == 0, err
        urls += more
        if k == 0:
            rs.cmd("XADD", key, "*", "record", "x" * (20 << 20))
            for _ in range(70):
                rs.cmd("XADD", key, "*", "note", "y" * 1000000)
    left = b"71 entries of the results stream are no records of cafe's: "
    r = cafe("queue", "results", rs.url(q), "--json", timeout=60)
    assert r.returncode == 0 and left + b"not exported" in r.stderr, r.stderr
    assert sorted(json.loads(line)["url"] for line in r.stdout.splitlines()) == sorted(urls)
    out = os.path.join(tmp, f"{q}.jsonl")
    r = cafe("queue", "results", rs.url(q), "--json", "--drain", "-o", out, timeout=60)
    assert r.returncode == 0 and left + b"left in Redis" in r.stderr, r.stderr
    with open(out) as f:
        assert sorted(json.loads(line)["url"] for line in f) == sorted(urls)
    assert rs.cmd("XLEN", key) == 71
    rs.cmd("DEL", key)  # its 90 MB


def test_drain_to_a_file_appends_never_overwrites():
    """--drain deletes what it exported: the file is then the records' only copy, so a second
    export (cron) adds to it instead of overwriting the first; CSV keeps one header."""
    first, path = url_list("app1", 10, first=61000)
    more, path2 = url_list("app2", 5, first=61100)
    out = os.path.join(tmp, "drained.csv")
    for p in (path, path2):
        cafe("queue", "push", rs.url("app"), p)
        rc, err = finish(worker(rs.url("app")))
        assert rc == 0, err
        r = cafe("queue", "results", rs.url("app"), "--csv", "--drain", "-o", out)
        assert r.returncode == 0, r.stderr
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert sorted(r["url"] for r in rows) == sorted(first + more), len(rows)
    assert rs.cmd("XLEN", "cafe:{app}:results") == 0


def commands(data, name):
    """How many commands name (b"XRANGE") a client's bytes hold: not the word alone, which
    the scripts' text sent by SCRIPT LOAD holds too."""
    return data.count(b"$%d\r\n%s\r\n" % (len(name), name))


def redis_proxy(watch):
    """A proxy on loopback to the test's Redis. Each chunk a client sends goes through
    watch(data) first, which may hold it (wait) or cut the link there (return False: both
    sides shut down). Returns the listening socket: its port to connect to, closed when done."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(8)

    def pump(src, dst, watched):
        with contextlib.suppress(OSError):
            while (data := src.recv(65536)) and (not watched or watch(data) is not False):
                dst.sendall(data)
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def serve():
        with contextlib.suppress(OSError):
            while True:
                client, _ = lsock.accept()
                upstream = socket.create_connection(("127.0.0.1", rs.port))
                threading.Thread(target=pump, args=(client, upstream, True), daemon=True).start()
                threading.Thread(target=pump, args=(upstream, client, False), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return lsock


EXPORTED = {}


def exported_queue():
    """The queue "emptied": 1,200 records (two chunks of an export), fetched once for the
    tests that act on an export's output between its chunks. Returns its URLs."""
    if not EXPORTED:
        urls, path = url_list("emptied", 1200, first=62000)
        cafe("queue", "push", rs.url("emptied"), path)
        rc, err = finish(worker(rs.url("emptied"), "-c", "50"))
        assert rc == 0, err
        EXPORTED["urls"] = urls
    return EXPORTED["urls"]


def first_chunk_size(fmt):
    """The bytes an export in fmt writes for its first chunk (1,000 records; a CSV's header
    too): what the output holds when the export waits for its second chunk."""
    whole = cafe("queue", "results", rs.url("emptied"), *fmt).stdout
    lines = whole.splitlines(keepends=True)
    return sum(len(line) for line in lines[:1000 + ("--csv" in fmt)])


def act_during_a_held_export(fmt, args, watched, act, stdout=subprocess.DEVNULL):
    """Runs `cafe queue results` of the queue "emptied" in fmt with args, through a proxy on
    loopback that holds its second XRANGE until watched holds the first chunk (its size:
    first_chunk_size), then runs act() and lets the export go on. Returns (rc, stderr)."""
    size = first_chunk_size(fmt)
    held, go = threading.Event(), threading.Event()
    ranges = [0]

    def watch(data):
        ranges[0] += commands(data, b"XRANGE")
        if ranges[0] >= 2 and not held.is_set():
            held.set()
            go.wait(60)
    lsock = redis_proxy(watch)
    try:
        via = f"redis://127.0.0.1:{lsock.getsockname()[1]}/0?queue=emptied"
        p = subprocess.Popen([CAFE, "queue", "results", via, *fmt, *args], stdout=stdout,
                             stderr=subprocess.PIPE)
        try:
            wait_until(lambda: held.is_set() or p.poll() is not None, "the second XRANGE", 60)
            assert held.is_set(), ("the export ended before its second chunk", p.stderr.read())
            wait_until(lambda: os.path.getsize(watched) >= size, "the first chunk written", 60)
            assert os.path.getsize(watched) == size, (os.path.getsize(watched), size)
            act()
        finally:
            go.set()
        return finish(p)
    finally:
        lsock.close()


def test_an_export_another_program_empties_keeps_whole_lines():
    """results -o FILE (without --drain) wrote at its own offset: the file emptied under the
    export (logrotate's copytruncate, `: > out`) then began with a hole of NUL bytes as long as
    what it had held, and a line another program appended was written over; cafe titles -o had
    the same fault. The same with standard output redirected to a file (`> out`), which
    cafe titles switches to append mode and the export did not: it is written by cafe
    titles' own stream sink now. A proxy on loopback holds the second XRANGE (the first chunk
    is in the file) while the test empties the file and appends a line to it."""
    urls = exported_queue()
    note = b"my note\n"
    for via in ("-o", "stdout"):
        out = os.path.join(tmp, f"emptied-{via}.jsonl")

        def empty():
            os.truncate(out, 0)
            with open(out, "ab") as f:  # another program's line, at the end as it stands
                f.write(note)
        with open(out, "wb") as f:
            args = ["-o", out] if via == "-o" else []
            rc, err = act_during_a_held_export(["--json"], args, out, empty,
                                               stdout=f if via == "stdout" else None)
        assert rc == 0, (via, err)
        with open(out, "rb") as f:
            data = f.read()
        assert b"\0" not in data, (via, data.count(b"\0"), data[:40])
        lines = data.split(b"\n")
        assert lines[0] + b"\n" == note and lines[-1] == b"", (via, data[-200:])
        got = [json.loads(line)["url"] for line in lines[1:-1]]  # each one whole
        assert len(got) == 200 and len(set(got)) == 200 and set(got) <= set(urls), (via, len(got))


def test_an_export_gets_its_csv_header_again_and_follows_a_renamed_file():
    """What cafe titles -o got, `cafe queue results` lacked (it had its own copy of the
    output's code): a CSV output emptied under the export (copytruncate) went on with rows
    alone, the first taken for the column names; -o FILE renamed away (logrotate without
    copytruncate) got the rest of the records in the old file, and FILE, made again, none.
    Now written by the stream sink cafe titles uses: the header again when the file is
    found empty, and FILE opened again when it names another file."""
    urls = exported_queue()
    out = os.path.join(tmp, "exported.csv")
    rc, err = act_during_a_held_export(["--csv"], ["-o", out], out, lambda: os.truncate(out, 0))
    assert rc == 0, err
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 200 and {r["url"] for r in rows} <= set(urls), (len(rows), rows[:1])
    old = out + ".1"
    rc, err = act_during_a_held_export(["--csv"], ["-o", out], out, lambda: os.rename(out, old))
    assert rc == 0, err
    got = []
    for f, n in ((old, 1000), (out, 200)):
        with open(f, newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert len(rows) == n, (f, len(rows))
        got += [r["url"] for r in rows]
    assert sorted(got) == sorted(urls), len(set(got))


def test_an_export_whose_output_fails_at_close_says_so():
    """NFS (or a quota, or FUSE) reports a write-back that failed at close(): the export
    said nothing and exited 0 with records missing. -o FILE's close and standard output's
    are checked: a message and status 2. (close() fails by LD_PRELOAD: close_eio.c.)"""
    shim = os.path.join(os.environ["CAFE_BUILD_DIR"], "tests", "libclose_eio.so")
    if os.environ.get("CAFE_SANITIZE") in ("1", "ON", "TRUE", "true") or not os.path.exists(shim):
        raise Skip("no close_eio shim (or a sanitizer build, which must be preloaded first)")
    exported_queue()
    env = dict(os.environ, LD_PRELOAD=shim)
    out = os.path.join(tmp, "close-fails.jsonl")
    r = subprocess.run([CAFE, "queue", "results", rs.url("emptied"), "--json", "-o", out],
                       capture_output=True, timeout=120, env=env)
    assert (r.returncode, r.stderr) == (2, b"cafe queue: results stopped after 1200 records: "
                                        b"Input/output error\n"), r
    with open(out, "wb") as f:
        r = subprocess.run([CAFE, "queue", "results", rs.url("emptied"), "--json"], stdout=f,
                           stderr=subprocess.PIPE, timeout=120, env=env)
    assert (r.returncode, r.stderr) == (2, b"cafe queue: writing standard output: "
                                        b"Input/output error\n"), r


def test_drain_killed_after_its_file_was_renamed_is_repaired():
    """--drain -o FILE follows FILE renamed away (logrotate) and notes in Redis, before each
    chunk, which file and where the chunk begins. The note was taken before the rename was
    seen: it named the old file while the chunk went to the new one, and a drain killed
    before the chunk's delete left the next one nothing to cut (\"may be in both\"): the
    chunk twice in FILE. The note now follows FILE first. A proxy holds the second XRANGE
    while the test renames FILE, then the second chunk's delete while the test kills the
    drain."""
    urls, path = url_list("renamedrain", 1200, first=67000)
    cafe("queue", "push", rs.url("renamedrain"), path)
    rc, err = finish(worker(rs.url("renamedrain"), "-c", "50"))
    assert rc == 0, err
    out = os.path.join(tmp, "renamedrain.jsonl")
    at_range, at_delete = threading.Event(), threading.Event()
    go, killed = threading.Event(), threading.Event()
    seen = {"XRANGE": 0, "EVALSHA": 0}

    def watch(data):
        for k in seen:
            seen[k] += commands(data, k.encode())
        if seen["XRANGE"] == 2 and not at_range.is_set():
            at_range.set()
            go.wait(60)
        if seen["EVALSHA"] >= 5 and not at_delete.is_set():  # take, (note, delete) x 2
            at_delete.set()
            killed.wait(60)  # never reaches Redis
            return False
    lsock = redis_proxy(watch)
    try:
        via = f"redis://127.0.0.1:{lsock.getsockname()[1]}/0?queue=renamedrain"
        p = subprocess.Popen([CAFE, "queue", "results", via, "--json", "--drain", "-o", out],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_until(lambda: at_range.is_set() or p.poll() is not None, "the second XRANGE")
            assert at_range.is_set(), p.communicate()
            os.rename(out, out + ".1")
            go.set()
            wait_until(lambda: at_delete.is_set() or p.poll() is not None, "the second delete")
            assert at_delete.is_set(), p.communicate()
        finally:
            go.set()
            if p.poll() is None:
                p.kill()
            p.communicate()
            killed.set()
    finally:
        lsock.close()
    assert rs.cmd("XLEN", "cafe:{renamedrain}:results") == 200
    r = cafe("queue", "results", rs.url("renamedrain"), "--json", "--drain", "-o", out)
    assert r.returncode == 0 and b"cut the last" in r.stderr, r
    got = [json.loads(line)["url"] for f in (out + ".1", out) for line in open(f)]
    assert sorted(got) == sorted(urls), (len(got), len(set(got)))


def test_drain_onto_a_file_of_another_format_is_refused():
    """--drain appends to -o FILE. A cron job's --csv changed to --json (or the other way)
    appended JSON lines under the CSV header, or CSV rows without one: a file no reader of
    either format takes whole, and it held the records' only copy. Refused by the file's
    first line, exit 2, the file as it was and the records still in Redis."""
    out = os.path.join(tmp, "mixed.csv")
    for k, fmt in enumerate(("--csv", "--json", "--csv-safe")):
        urls, path = url_list(f"mixed{k}", 3, first=63000 + 10 * k)
        cafe("queue", "push", rs.url("mixed"), path)
        rc, err = finish(worker(rs.url("mixed")))
        assert rc == 0, err
        before = open(out, "rb").read() if k else b""
        r = cafe("queue", "results", rs.url("mixed"), fmt, "--drain", "-o", out)
        if fmt == "--json":
            assert r.returncode == 2, r
            assert b"holds CSV (its first line says so)" in r.stderr, r.stderr
            assert b"would add JSON Lines" in r.stderr, r.stderr
            assert open(out, "rb").read() == before
            assert rs.cmd("XLEN", "cafe:{mixed}:results") == 3
        else:
            assert r.returncode == 0, r.stderr
    with open(out, newline="") as f:
        assert len(list(csv.DictReader(f))) == 9
    assert rs.cmd("XLEN", "cafe:{mixed}:results") == 0


def test_an_export_to_a_file_another_cafe_writes_is_refused():
    """Two exports into one -o FILE at once (cron overlapping itself) interleaved their
    writes: 20,000 records came out as 36,000 lines, some torn, and with --drain those
    lines were the records' only copy. While another cafe holds FILE's lock (as cafe titles
    and cafe queue results take it), an export is refused, Redis and FILE untouched."""
    import fcntl
    _, path = url_list("lk", 5, first=62000)
    cafe("queue", "push", rs.url("lk"), path)
    rc, err = finish(worker(rs.url("lk")))
    assert rc == 0, err
    out = os.path.join(tmp, "locked.jsonl")
    earlier = b'{"url":"http://127.0.0.1/earlier"}\n'  # a drain appends to JSON Lines only
    with open(out, "wb") as f:
        f.write(earlier)
    with open(out, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        for drain in ([], ["--drain"]):
            r = cafe("queue", "results", rs.url("lk"), "--json", *drain, "-o", out)
            assert (r.returncode, r.stderr.decode()) == (2, f"cafe queue: {out} is being "
                    "written by another run: not writing it twice at once\n"), (drain, r)
            with open(out, "rb") as f:
                assert f.read() == earlier, drain
        assert rs.cmd("XLEN", "cafe:{lk}:results") == 5
    r = cafe("queue", "results", rs.url("lk"), "--json", "--drain", "-o", out)
    assert r.returncode == 0, r.stderr
    with open(out, "rb") as f:
        assert f.read().count(b"\n") == 6


def test_drain_survives_a_drop_before_its_delete():
    """--drain writes a chunk, syncs it, then deletes it from Redis. A connection dropped at
    the delete ended the export with status 2, the chunk in the file and still in Redis: the
    next drain appended it again, a second copy of each record. The delete is now retried
    after a reconnect, as a worker retries. A proxy on loopback cuts the connection at the
    first delete it sees (the third script it runs), once."""
    urls, path = url_list("dropdel", 30, first=66000)
    cafe("queue", "push", rs.url("dropdel"), path)
    rc, err = finish(worker(rs.url("dropdel")))
    assert rc == 0, err
    cut = threading.Event()
    scripts = [0]  # one chunk: the drain's hold, its renewal with the chunk's note, the delete

    def watch(data):
        scripts[0] += commands(data, b"EVALSHA")
        if scripts[0] == 3 and not cut.is_set():
            cut.set()
            return False
    lsock = redis_proxy(watch)
    out = os.path.join(tmp, "dropdel.jsonl")
    try:
        via = f"redis://127.0.0.1:{lsock.getsockname()[1]}/0?queue=dropdel"
        first = cafe("queue", "results", via, "--json", "--drain", "-o", out, timeout=120)
        assert cut.is_set(), first
    finally:
        lsock.close()
    r = cafe("queue", "results", rs.url("dropdel"), "--json", "--drain", "-o", out)
    assert r.returncode == 0, r
    got = [json.loads(l)["url"] for l in open(out)]
    assert sorted(got) == sorted(urls), f"{len(got)} records for {len(urls)} URLs"
    assert first.returncode == 0 and b"reconnecting" in first.stderr, first
    assert rs.cmd("XLEN", "cafe:{dropdel}:results") == 0


def fetched_queue_for_strace(name, first, srv=rs):
    """A queue of 2,500 URLs pushed and fetched on srv, for a test that stops a drain with
    strace (skipped without it): (the URLs, their list's path)."""
    if not shutil.which("strace"):
        raise Skip("no strace here")
    urls, path = url_list(name, 2500, first=first)
    cafe("queue", "push", srv.url(name), path)
    rc, err = finish(worker(srv.url(name), "-c", "100"))
    assert rc == 0, err
    return urls, path


def env_under_strace():
    """The environment of a cafe run under strace: in the sanitizer build LeakSanitizer
    cannot run under ptrace, and says so fatally."""
    asan = [o for o in os.environ.get("ASAN_OPTIONS", "").split(":") if o] + ["detect_leaks=0"]
    return dict(os.environ, ASAN_OPTIONS=":".join(asan))


def test_drain_killed_between_its_sync_and_its_delete():
    """--drain writes a chunk, syncs it, then deletes it from Redis. Killed (SIGKILL, a
    reboot) after the sync and before the delete, it left the chunk both in the file and in
    Redis: the next drain appended all of it again, 1,000 records twice. strace kills it at
    its second fsync, after the second chunk's write (and, a second time, at that write: a
    chunk's records leave in one write()). The next drain into the file repairs it: the
    chunk whose delete never happened (where it begins, noted in Redis first) is cut from
    the file, then exported once."""
    urls, path = fetched_queue_for_strace("killdrain", 70000)
    out = os.path.join(tmp, "killdrain.jsonl")
    for inject in ("fsync:when=2", "write:when=2"):  # the second chunk's sync; its write
        with open(out, "ab") as f:
            f.write(b"")
        r = subprocess.run(["strace", "-f", "-qq", "-o", "/dev/null", "-P", out, "-e",
                            f"inject={inject.split(':')[0]}:signal=SIGKILL:"
                            f"{inject.split(':')[1]}", CAFE, "queue", "results",
                            rs.url("killdrain"), "--json", "--drain", "-o", out],
                           capture_output=True, timeout=120, env=env_under_strace())
        assert r.returncode != 0, (inject, r)
        left = rs.cmd("XLEN", "cafe:{killdrain}:results")
        assert 0 < left < 2500, (inject, left)
        r = cafe("queue", "results", rs.url("killdrain"), "--json", "--drain", "-o", out)
        assert r.returncode == 0, (inject, r)
        got = [json.loads(l)["url"] for l in open(out)]
        assert sorted(got) == sorted(urls), (inject, len(got), len(set(got)))
        assert rs.cmd("XLEN", "cafe:{killdrain}:results") == 0
        if inject.startswith("fsync"):  # again, for the write case
            os.unlink(out)
            cafe("queue", "delete", rs.url("killdrain"))
            cafe("queue", "push", rs.url("killdrain"), path)
            rc, err = finish(worker(rs.url("killdrain"), "-c", "100"))
            assert rc == 0, err


def test_drain_into_a_new_file_syncs_its_directory_before_a_delete():
    """--drain deletes a chunk from Redis once its file is synced; a file the drain made
    had its directory (the entry naming it) synced only at the run's end, so a power cut
    between could leave the chunks deleted and the file unnamed: lost. The directory is
    synced with the first chunk's file: strace shows it before the second chunk's sync."""
    fetched_queue_for_strace("dirsync", 79000)
    new_dir = os.path.realpath(os.path.join(tmp, "dirsync"))
    os.makedirs(new_dir)
    out, trace = os.path.join(new_dir, "out.jsonl"), os.path.join(tmp, "dirsync.trace")
    r = subprocess.run(["strace", "-f", "-qq", "-o", trace, "-e", "trace=openat,fsync", CAFE,
                        "queue", "results", rs.url("dirsync"), "--json", "--drain", "-o", out],
                       capture_output=True, timeout=120, env=env_under_strace())
    assert r.returncode == 0, r.stderr
    calls = [l.split(None, 1)[1] for l in open(trace)]

    def opened(path, flag):  # (where, fd) of path's first open with flag
        return next((i, c.rsplit("= ", 1)[1].strip()) for i, c in enumerate(calls)
                    if c.startswith(f'openat(AT_FDCWD, "{path}", ') and flag in c)
    (_, fd), (at, dfd) = opened(out, "O_WRONLY"), opened(new_dir, "O_DIRECTORY")
    file_syncs = [i for i, c in enumerate(calls) if c.startswith(f"fsync({fd})")]
    dir_syncs = [i for i, c in enumerate(calls) if i > at and c.startswith(f"fsync({dfd})")]
    assert len(file_syncs) >= 2 and dir_syncs and dir_syncs[0] < file_syncs[1], \
        (file_syncs, dir_syncs)
    assert len(open(out).readlines()) == 2500


def test_drain_appended_to_standard_output_is_noted_and_repaired():
    """`cafe queue results --drain >> out.jsonl` (a cron job's way) crashed (SIGSEGV) before
    its first chunk: a regular file is noted in Redis with its path, and standard output
    has none. It is noted as standard output now; killed between a chunk's sync and its
    delete (strace, at the second fsync), the next drain >> the same file cuts the chunk
    and exports it once."""
    urls, _ = fetched_queue_for_strace("stdoutdrain", 76000)
    out = os.path.join(tmp, "stdoutdrain.jsonl")
    with open(out, "ab") as f:
        r = subprocess.run(["strace", "-f", "-qq", "-o", "/dev/null", "-e",
                            "inject=fsync:signal=SIGKILL:when=2", CAFE, "queue", "results",
                            rs.url("stdoutdrain"), "--json", "--drain"], stdout=f,
                           stderr=subprocess.PIPE, timeout=120, env=env_under_strace())
    assert r.returncode == -signal.SIGKILL, (r.returncode, r.stderr)
    left = rs.cmd("XLEN", "cafe:{stdoutdrain}:results")
    assert left == 1500, left  # the first chunk deleted; the second written, not deleted
    with open(out, "ab") as f:
        r = subprocess.run([CAFE, "queue", "results", rs.url("stdoutdrain"), "--json",
                            "--drain"], stdout=f, stderr=subprocess.PIPE, timeout=120)
    assert r.returncode == 0, r.stderr
    assert b"standard output: cut the last " in r.stderr, r.stderr
    got = [json.loads(line)["url"] for line in open(out)]
    assert sorted(got) == sorted(urls), (len(got), len(set(got)))
    assert rs.cmd("XLEN", "cafe:{stdoutdrain}:results") == 0


@contextlib.contextmanager
def drain_stopped_at_its_first_sync(name, first_url, srv=rs):
    """A queue of fetched records on srv and a --drain of it into a file stopped by strace
    (SIGSTOP) at its first fsync, after its first chunk's write; yields (urls, its file,
    another file, the drain's process) and lets it go (SIGCONT) at the end, waiting for it
    (its stderr left to read)."""
    urls, _ = fetched_queue_for_strace(name, first_url, srv)
    a, b = os.path.join(tmp, f"{name}-a.jsonl"), os.path.join(tmp, f"{name}-b.jsonl")
    log = os.path.join(tmp, f"{name}.strace")
    first = subprocess.Popen(["strace", "-f", "-o", log, "-P", a, "-e", "trace=fsync", "-e",
                              "inject=fsync:signal=SIGSTOP:when=1", CAFE, "queue",
                              "results", srv.url(name), "--json", "--drain", "-o", a],
                             stderr=subprocess.PIPE, env=env_under_strace())
    held = []

    def stopped_at_sync():
        with open(log) as f:
            held[:] = [int(x.split()[0]) for x in f if "--- stopped by SIGSTOP ---" in x]
        return held or first.poll() is not None
    try:
        wait_until(lambda: os.path.exists(log) and stopped_at_sync(), "the first fsync")
        assert held and os.path.getsize(a) > 0, ("not stopped at its sync", first.poll())
        yield urls, a, b, first
    finally:
        for pid in held:  # each thread strace saw stop; the first SIGCONT goes on with all
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:  # that thread, or the drain, has ended since
                pass
        first.wait(timeout=120)


def test_two_drains_at_once_export_nothing_twice():
    """Two `results --drain` of one queue at once into two outputs (cron jobs writing dated
    files, one slow): the file lock cannot see it, both read the same records from Redis,
    both wrote them, then both deleted them: every record of the overlap twice. A drain
    now holds the queue's drain (a key with a token, its time renewed at each chunk and
    given back at the end; a killed drain's ends after 60 s): a second one is refused,
    exit 2, writing nothing. strace stops the first (SIGSTOP) at its first fsync, after its
    first chunk's write, and says so in its log ("stopped by SIGSTOP"); it is let go once
    the second one is done. (strace held it there for 3 s: a test slowed as long before
    the second drain saw the first one done; shown with an 8 s pause there: the second
    drain exported, exit 0.)"""
    with drain_stopped_at_its_first_sync("twodrains", 80000) as (urls, a, b, first):
        r = cafe("queue", "results", rs.url("twodrains"), "--json", "--drain", "-o", b)
        assert r.returncode == 2 and b"another cafe queue results --drain" in r.stderr, r
        assert first.poll() is None, "the first drain ended before the second began"
    err = first.stderr.read()
    assert first.returncode == 0, err
    got = [json.loads(l)["url"] for f in (a, b) if os.path.exists(f) for l in open(f)]
    assert sorted(got) == sorted(urls), (len(got), len(set(got)))
    r = cafe("queue", "results", rs.url("twodrains"), "--json", "--drain", "-o", b)
    assert r.returncode == 0, r  # given back at the end


def test_a_drain_of_another_pid_namespace_on_a_host_of_the_same_name_is_not_taken_over():
    """A drain takes over at once the hold of one killed on its machine: one whose token
    names its host and a pid that is no process. By the host's name alone, a drain in a
    container of its own pid namespace (host networking, or one image's fixed hostname)
    took over the hold of a live drain in another: its pid is no process here, and both
    exported the same records. A hold is taken over now only from a drain of the same pid
    space (the kernel's boot_id and the pid namespace). The hold is written here as such a
    drain's, with the host's name and the pid of a process that has ended."""
    _, path = url_list("pidns", 3, first=100500)
    cafe("queue", "push", rs.url("pidns"), path)
    rc, err = finish(worker(rs.url("pidns")))
    assert rc == 0, err
    gone = subprocess.Popen(["true"])
    gone.wait()
    other = f"{socket.gethostname()} pid {gone.pid} #0123456789abcdef in " \
        "00000000-0000-0000-0000-000000000000:pid:[4026531836]"
    rs.cmd("SET", "cafe:{pidns}:drainer", other, "PX", "60000")
    out = os.path.join(tmp, "pidns.jsonl")
    r = cafe("queue", "results", rs.url("pidns"), "--json", "--drain", "-o", out)
    assert r.returncode == 2 and b"another cafe queue results --drain" in r.stderr, r
    assert rs.cmd("XLEN", "cafe:{pidns}:results") == 3
    assert rs.cmd("GET", "cafe:{pidns}:drainer") == other


def test_a_drain_whose_hold_lapsed_mid_chunk_deletes_nothing_and_cuts_its_chunk():
    """A drain stopped (Ctrl-Z, a paused VM) past its hold's minute while it wrote a chunk:
    another drain (cron) took the queue and exported that chunk too; the first, resumed,
    finished writing it, deleted it from Redis without a look at the hold (and the other's
    note of its chunk with it): the chunk in both outputs. Its delete now needs the hold:
    refused, the drain cuts the chunk off its file (where it began, noted) and stops, exit
    2. strace stops it at its first fsync, after its first chunk's write; the test ends its
    hold, as a minute would."""
    with drain_stopped_at_its_first_sync("lapsed", 72500) as (urls, a, b, first):
        rs.cmd("DEL", "cafe:{lapsed}:drainer")  # its hold's minute past
        r = cafe("queue", "results", rs.url("lapsed"), "--json", "--drain", "-o", b)
        assert r.returncode == 0, r
    err = first.stderr.read()
    assert first.returncode == 2 and b"cut off the file" in err, (first.returncode, err)
    got = [json.loads(l)["url"] for f in (a, b) for l in open(f)]
    assert sorted(got) == sorted(urls), (len(got), len(set(got)))


def test_a_drain_whose_queue_was_lost_mid_chunk_keeps_its_chunk():
    """Redis restarted without persistence (or flushed) while a drain wrote a chunk: the
    queue, the drain's hold and the chunk's records in Redis are gone. The drain took its
    hold's loss for another drain's export of the chunk and cut the chunk off its file: the
    only copy of 1,000 records left, destroyed. It now keeps the chunk, says the queue is
    gone, and ends with status 2; also when the queue was pushed again meanwhile (its stats
    there again, with another epoch). strace stops it at its first fsync, after its first
    chunk's write; Redis is restarted there, the queue pushed again."""
    srv = RedisServer()
    try:
        with drain_stopped_at_its_first_sync("lost", 100000, srv) as (urls, a, _, first):
            srv.kill()
            srv.start()
            cafe("queue", "push", srv.url("lost"), "-", input=fx.url(0, "/page/1").encode())
        err = first.stderr.read().decode()
        assert first.returncode == 2 and "the queue is gone from Redis" in err, err
        assert "cut off the file" not in err, err
        got = [json.loads(l)["url"] for l in open(a)]
        assert len(got) == 1000 and set(got) <= set(urls), (len(got), len(set(got)))
    finally:
        srv.close()


def test_drain_to_a_file_syncs_before_deleting():
    """--drain deletes a chunk from Redis only once it is on the disk (fsync), as with a
    database only once committed: a power cut after the delete must not lose it. strace
    shows the order of the system calls."""
    if not shutil.which("strace"):
        raise Skip("no strace here")
    _, path = url_list("sync", 10, first=62000)
    cafe("queue", "push", rs.url("sync"), path)
    rc, err = finish(worker(rs.url("sync")))
    assert rc == 0, err
    out, trace = os.path.join(tmp, "synced.jsonl"), os.path.join(tmp, "sync.trace")
    r = subprocess.run(["strace", "-f", "-qq", "-s", "32", "-o", trace, "-e",
                        "trace=openat,write,fsync,fdatasync", CAFE, "queue", "results",
                        rs.url("sync"), "--json", "--drain", "-o", out], capture_output=True,
                       env=env_under_strace())
    assert r.returncode == 0, r.stderr
    calls = [l.split(None, 1)[1] for l in open(trace)]
    fd = next(c.rsplit("= ", 1)[1].strip() for c in calls  # not the lock's O_RDWR
              if c.startswith("openat(") and out in c and "O_WRONLY" in c)
    wrote = [i for i, c in enumerate(calls) if c.startswith(f"write({fd},")]
    # the delete script: the first after the chunk's write (the one before takes the drain)
    first_del = next(i for i, c in enumerate(calls) if "EVALSHA" in c and i > wrote[0])
    wrote = [i for i, c in enumerate(calls) if c.startswith(f"write({fd},")]
    synced = [i for i, c in enumerate(calls) if c.startswith((f"fsync({fd})", f"fdatasync({fd})"))]
    assert wrote and synced and wrote[-1] < synced[0] < first_del, (wrote, synced, first_del)
    assert len(open(out).readlines()) == 10


def test_a_line_with_a_nul_byte_gets_its_error_record():
    """A bad line is queued as it is and comes back as the error record cafe titles gives.
    One with a NUL byte was cut at the NUL by push: another URL was queued and fetched, or,
    being a URL of the list, skipped as already pushed, and the line had no record."""
    good = fx.url(0, "/page/63000")
    bad = good + "\0junk"
    data = (bad + "\n" + good + "\n").encode()
    r = cafe("queue", "push", rs.url("nul"), "-", input=data)
    assert r.returncode == 0 and r.stdout == b"2 added, 0 skipped (already pushed)\n", r
    rc, err = finish(worker(rs.url("nul")))
    assert rc == 0 and "not written" not in err, err
    recs = {r["url"]: r for _, r in records(rs, "nul")}
    shown = good + "\ufffdjunk"  # as cafe titles shows it
    assert set(recs) == {good, shown}, recs
    assert recs[shown]["error"] == "invalid URL: NUL byte in URL", recs[shown]
    assert recs[good]["title"] == title(0, 63000)


def test_push_skips_a_bom_and_keeps_idn_hosts_as_written():
    # issue 15 items 2 and 3 through the queue: a BOM before a comment or a URL is skipped,
    # an IDN host is pushed, fetched (libcurl's IDNA) and recorded as the user wrote it
    port = fx.ports[0]
    idn, plain = f"http://b\u00fccher.example:{port}/page/70001", fx.url(0, "/page/70002")
    for name, data in (("bomc", b"\xef\xbb\xbf# a comment\n" + idn.encode() + b"\n"),
                       ("bomu", b"\xef\xbb\xbf" + plain.encode() + b"\n")):
        path = os.path.join(tmp, f"{name}.txt")
        with open(path, "wb") as f:
            f.write(data)
        r = cafe("queue", "push", rs.url("bom"), path)
        assert r.returncode == 0 and r.stdout.startswith(b"1 added, 0 skipped"), r
    rc, err = finish(worker(rs.url("bom"), "--resolve", f"xn--bcher-kva.example:{port}:127.0.0.1"))
    assert rc == 0, err
    recs = {r["url"]: r["title"] for _, r in records(rs, "bom")}
    assert recs == {idn: title(0, 70001), plain: title(0, 70002)}, recs


def test_errors_exit_2_and_nothing_half_done():
    _, path = url_list("err", 10)
    down = f"redis://127.0.0.1:{free_port()}/0?queue=err"
    for args in (["queue", "push", down, path], ["queue", "status", down],
                 ["titles", "--queue", down]):
        r = cafe(*args)
        assert r.returncode == 2 and b"Connection refused" in r.stderr, (args, r)
    for bad, why in (("redis//127.0.0.1/?queue=x", b"not a URL"),
                     ("http://127.0.0.1:6379/?queue=x", b"scheme"),
                     (f"rediss://127.0.0.1:{rs.port}/?queue=x", b"no TLS"),
                     (f"redis://127.0.0.1:{rs.port}/zero?queue=x", b"database number"),
                     (f"redis://127.0.0.1:{rs.port}/0", b"no queue name"),
                     (f"redis://127.0.0.1:{rs.port}/0?queue=a%20b", b"queue names")):
        for args in (["queue", "push", bad, path], ["titles", "--queue", bad]):
            r = cafe(*args)
            assert r.returncode == 2 and why in r.stderr and b"bad REDIS_URL" in r.stderr, \
                (args, r.stderr)


def connections(server):
    """Connections redis-server has accepted so far (this look counts itself too)."""
    info = server.cmd("INFO", "stats")
    return int(info.split("total_connections_received:")[1].split()[0])


def test_push_checks_its_file_before_connecting():
    """A list that cannot be read is refused before Redis is touched (as curl checks its
    local files first): the message names the file, not the connection."""
    before = connections(rs)
    for path, why in ((os.path.join(tmp, "missing.txt"), b"no such file"),
                      (tmp, b"directory")):
        r = cafe("queue", "push", rs.url("nofile"), path)
        assert r.returncode == 2 and b"cannot read " + path.encode() in r.stderr, r.stderr
        assert why in r.stderr.lower(), r.stderr
    assert connections(rs) == before + 1, "cafe queue push connected before reading its file"


def test_a_server_that_never_answers_is_an_error_not_a_hang():
    """A port that accepts and never speaks (a stopped Redis, another service): the
    hand-shake is bounded as the TCP connect is, so each command fails with exit 2 instead of
    waiting forever (the three run at once: one bounded wait for all)."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0?queue=silent"
    _, path = url_list("silent", 3)
    try:
        ps = [subprocess.Popen([CAFE, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
              for args in (["queue", "push", url, path], ["queue", "status", url],
                           ["titles", "--queue", url])]
        for p in ps:
            rc, err = finish(p, timeout=60)
            assert rc == 2 and "no reply" in err, (p.args, rc, err)
    finally:
        silent.close()


def test_a_name_with_two_addresses_tries_the_second():
    """A host name is tried at each of its addresses, as redis-cli does: "localhost" is ::1
    first on most systems, and with Redis bound to 127.0.0.1 alone cafe stopped at ::1's
    refusal ("Connection refused") where redis-cli connected. A hosts file in a mount
    namespace of our own gives a name ::1 first, then 127.0.0.1 (both loopback)."""
    hosts = os.path.join(tmp, "hosts")
    with open(hosts, "w") as f:
        f.write("::1 dual.test\n127.0.0.1 dual.test\n")
    wrap = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
            'mount --bind "$0" /etc/hosts && exec "$@"', hosts]
    if subprocess.run(wrap + ["true"], capture_output=True).returncode != 0:
        raise Skip("no mount namespace here for a hosts file of our own")
    url = f"redis://dual.test:{rs.port}/0?queue=dual"
    r = subprocess.run(wrap + [CAFE, "queue", "push", url, "-"], capture_output=True,
                       input=fx.url(0, "/page/64000").encode() + b"\n", timeout=60)
    assert r.returncode == 0 and r.stdout.startswith(b"1 added"), r
    assert rs.cmd("LLEN", "cafe:{dual}:pending") == 1


@contextlib.contextmanager
def fake_redis(talk, queue, rcvbuf=None):
    """A server on 127.0.0.1 that is not Redis but answers in its protocol: talk(conn) holds
    each connection (each on a thread of its own) until the client closes it. Yields the
    queue's URL. rcvbuf: its connections' receive buffer (SO_RCVBUF), to keep what they have
    not read on the client's side."""
    srv = socket.socket()
    if rcvbuf:
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            ready, _, _ = select.select([srv], [], [], 0.1)
            if ready:
                conn, _ = srv.accept()
                threading.Thread(target=hold, args=(conn,), daemon=True).start()

    def hold(conn):
        with conn:
            talk(conn)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield f"redis://127.0.0.1:{srv.getsockname()[1]}/0?queue={queue}"
    finally:
        stop.set()
        t.join()
        srv.close()


def test_a_server_that_is_not_redis_is_named_so():
    """A server that answers in RESP but is not Redis (every command: +OK or :1) was
    refused with "invalid argument", which said nothing of what was wrong; the message
    now says that its answer to SCRIPT LOAD was no SHA1. Exit 2 as before."""
    for reply in (b"+OK\r\n", b":1\r\n"):
        def talk(conn):
            while conn.recv(65536):  # one answer per read: enough for a hand-shake
                conn.sendall(reply)

        with fake_redis(talk, "notredis") as url:
            for args in (["queue", "status", url], ["titles", "--queue", url]):
                r = cafe(*args, timeout=60)
                assert r.returncode == 2 and b"is this a Redis server?" in r.stderr, (args, r)


def resp_commands(conn):
    """Yields each command (a list of bytes) a client sends in RESP, until it closes."""
    buf = b""

    def need(n):
        nonlocal buf
        while len(buf) < n:
            data = conn.recv(65536)
            if not data:
                raise EOFError
            buf += data

    def line():
        nonlocal buf
        while b"\r\n" not in buf:
            need(len(buf) + 1)
        head, buf = buf.split(b"\r\n", 1)
        return head

    try:
        while True:
            count = int(line()[1:])
            args = []
            for _ in range(count):
                size = int(line()[1:])
                need(size + 2)
                args.append(buf[:size])
                buf = buf[size + 2:]
            yield args
    except (EOFError, OSError):
        return


def bulk(b):
    return b"$%d\r\n%s\r\n" % (len(b), b)


def fake_answer(args, version=b"7.0.11", denied=()):
    """What a Redis answers to the commands of cafe's hand-shake and start check (an error
    to any other); those named in denied (upper case) are refused as an ACL refuses them."""
    import hashlib
    name = args[0].upper()
    if name in denied:
        return b"-NOPERM this user has no permissions to run the '" + name.lower() + \
            b"' command\r\n"
    if name == b"SCRIPT":
        return bulk(hashlib.sha1(args[2]).hexdigest().encode())
    if name == b"INFO":
        return bulk(b"# Server\r\nredis_version:" + version + b"\r\nredis_mode:standalone\r\n")
    if name == b"HELLO":
        fields = (b"server", b"redis", b"version", version, b"mode", b"standalone", b"role",
                  b"master")
        return b"*%d\r\n" % len(fields) + b"".join(bulk(f) for f in fields)
    if name == b"CONFIG":
        return b"*2\r\n" + bulk(b"maxmemory-policy") + bulk(b"noeviction")
    if name in (b"PING", b"SELECT", b"CLIENT"):
        return b"+OK\r\n" if name != b"PING" else b"+PONG\r\n"
    return b"-ERR this test server knows no " + name + b"\r\n"


def test_a_redis_older_than_6_2_is_refused_naming_its_version():
    """The queue's scripts need Redis 6.2 (LPOP with a count, exclusive XRANGE bounds): on
    an older server the first claim failed with a Lua error after the start check had
    passed. A server that answers as Redis 6.0.16 does is refused at once, by every command,
    naming its version; one answering as 7.0.11 gets past that check. So where INFO is
    denied (an ACL's -@dangerous), which passed a 6.0 by: HELLO says the version."""
    _, path = url_list("oldredis", 3, first=90000)
    for version, refused, denied in ((b"6.0.16", True, ()), (b"7.0.11", False, ()),
                                     (b"6.0.16", True, (b"INFO", b"CONFIG", b"ROLE"))):
        def talk(conn):
            for args in resp_commands(conn):
                conn.sendall(fake_answer(args, version, denied))

        with fake_redis(talk, "old") as url:
            for args in (["queue", "status", url], ["queue", "push", url, path],
                         ["titles", "--queue", url]):
                r = cafe(*args, timeout=60)
                said = b"Redis %s is too old: the queue needs Redis 6.2 or later" % version
                assert r.returncode == 2, (args, r)
                assert (said in r.stderr) == refused, (args, version, r.stderr)


def test_a_reply_too_large_for_cafe_is_refused_not_read_on():
    """A server that answers with a string of 100 MB, or an array of a billion elements (a
    hostile or broken one: no reply to cafe's commands has either), was read on without
    bound: hiredis buffers a bulk string until it is whole and builds an array of any size,
    and cafe grew with what the server sent (3.7 GB for 200 MB of small elements) until the
    reply ended or the memory did. A string over 16 MB, or a reply over 512 MB in all, now
    ends the connection at once, with a message and status 2."""
    for head, item, limit in ((b"$100000000\r\n", b"a" * 65536, 64 << 20),
                              (b"*1000000000\r\n", b":1\r\n" * 16384, 16 << 20)):
        sent = [0]

        def talk(conn):
            for args in resp_commands(conn):
                if args[0].upper() != b"EVALSHA":
                    conn.sendall(fake_answer(args))
                    continue
                try:
                    conn.sendall(head)
                    while sent[0] < limit:
                        conn.sendall(item)
                        sent[0] += len(item)
                except OSError:
                    return  # cafe closed the connection

        with fake_redis(talk, "huge") as url:
            r = cafe("queue", "status", url, timeout=120)
        assert r.returncode == 2 and b"is this a Redis server?" in r.stderr, (head, r)
        assert sent[0] < limit, f"cafe read all {sent[0]} bytes of {head!r}"


def test_a_reply_to_no_command_is_refused_not_a_crash():
    """A server that sends one reply too many (two answers to one command): hiredis found a
    reply with no command waiting for it and aborted the process on an assertion (SIGABRT,
    "Assertion ... REDIS_SUBSCRIBED ... failed"). The link is now given up, status 2, with a
    message."""
    for extra in (b"PING", b"INFO"):
        def talk(conn):
            for args in resp_commands(conn):
                reply = b":1\r\n" if args[0].upper() == b"EVALSHA" else fake_answer(args)
                conn.sendall(reply * (2 if args[0].upper() == extra else 1))

        with fake_redis(talk, "twice") as url:
            r = cafe("queue", "status", url, timeout=60)
        assert r.returncode == 2 and b"a reply to no command" in r.stderr, (extra, r)


def test_a_redis_cluster_node_without_the_queue_says_which_node_has_it():
    """A node of a Redis Cluster that does not hold the queue's slot answers MOVED (ASK while
    the slot migrates): cafe follows no redirection (README: Limits) and said only "MOVED 3999
    127.0.0.1:7001". It now says that a Redis Cluster keeps the queue on that node, and to
    give that node (or a cluster-aware proxy) in REDIS_URL."""
    _, path = url_list("cluster", 3, first=91000)
    for error in (b"MOVED 3999 127.0.0.1:7001", b"ASK 3999 127.0.0.1:7001"):
        def talk(conn):
            for args in resp_commands(conn):
                conn.sendall(b"-" + error + b"\r\n" if args[0].upper() in (b"EVALSHA", b"XRANGE",
                             b"HGET", b"HMGET") else fake_answer(args))

        with fake_redis(talk, "cluster") as url:
            for args in (["queue", "push", url, path], ["queue", "status", url],
                         ["queue", "results", url], ["titles", "--queue", url]):
                r = cafe(*args, timeout=60)
                said = b"a Redis Cluster keeps the queue's keys on node 127.0.0.1:7001"
                assert r.returncode == 2 and said in r.stderr, (error, args, r)


def test_server_texts_reach_the_terminal_escaped():
    """The texts a Redis server sends, its errors and the worker names of `cafe queue
    status`, were printed as they came: a hostile or broken server (or a worker named so)
    drove the user's terminal with ESC sequences. Their control characters are shown as cafe
    shows a title's (\\xNN)."""
    hostile = b"\x1b]0;owned\x07\x1b[2J\xc2\x9b"  # the last: CSI, as UTF-8

    def answer(args, mode):
        name = args[0].upper()
        if name != b"EVALSHA":
            return fake_answer(args)
        if mode == "names":
            return (b"*6\r\n:0\r\n:0\r\n:0\r\n:0\r\n*4\r\n:0\r\n:0\r\n:0\r\n:0\r\n*1\r\n" +
                    bulk(b"w" + hostile + b"1"))
        return b"-ERR bad " + hostile + b" things\r\n"

    for mode, shown in (("names", b"w\\x1b]0;owned\\x07\\x1b[2J\\x9b1"),
                        ("error", b"bad \\x1b]0;owned\\x07\\x1b[2J\\x9b things")):
        def talk(conn):
            for args in resp_commands(conn):
                conn.sendall(answer(args, mode))

        with fake_redis(talk, "hostile") as url:
            r = cafe("queue", "status", url, timeout=60)
            out = r.stdout + r.stderr
            assert r.returncode == (0 if mode == "names" else 2), (mode, r)
            assert b"\x1b" not in out and b"\x07" not in out and b"\x9b" not in out, (mode, r)
            assert shown in out, (mode, out)


def pty_out(args, env=None, tty_stdin=False, watch=None, typed=None):
    """What cafe wrote to a terminal (its standard output and error; with tty_stdin, its
    standard input that terminal too and its output /dev/null), with the locale variables of
    env alone when given, and its exit status. watch, when given, is called with all written
    so far after each read. typed, when given, is typed at that terminal, which is then all
    three of cafe's standard streams."""
    import pty
    pid, fd = pty.fork()
    if pid == 0:
        if env is not None:
            for k in ("LC_ALL", "LC_CTYPE", "LANG", "LOCPATH"):
                os.environ.pop(k, None)
            os.environ.update(env)
        if typed is None and tty_stdin:
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        elif typed is None:
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.execv(CAFE, [CAFE, *args])
    if typed is not None:
        os.write(fd, typed)
    out = b""
    while select.select([fd], [], [], 60)[0]:
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: the terminal's other side closed
            break
        if not data:
            break
        out += data
        if watch:
            watch(out)
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    return out, os.waitstatus_to_exitcode(status)


def test_a_worker_started_from_a_terminal_draws_its_progress():
    """A worker run from a shell (its standard input and error the terminal) said "reading
    URLs from the terminal; Ctrl-D ends", which it does not (it reads the queue), and drew
    no progress line. It draws its line now; it cannot end before one is drawn: a held URL
    (held_list), released once the line shows."""
    hold = holder()

    def watch(out):
        if b" in flight" in out:
            hold.release()

    try:
        _, path = held_list("tty", 5, hold, 0, first=100400)
        cafe("queue", "push", rs.url("tty"), path)
        out, rc = pty_out(["titles", "--queue", rs.url("tty")], tty_stdin=True, watch=watch)
    finally:
        hold.release()
        hold.close()
    assert rc == 0, out
    assert b"from the terminal" not in out, out
    assert b" in flight" in out and b"6 URLs in " in out, out


def test_a_push_reading_the_terminal_says_how_to_end():
    """`cafe queue push REDIS_URL` with no FILE, typed at a shell, waited for URLs without a
    word and seemed to hang; cafe titles and cafe title say "reading ... from the terminal;
    Ctrl-D ends", and so does push now. The typed URL and Ctrl-D are pushed as ever."""
    out, rc = pty_out(["queue", "push", rs.url("ttypush")],
                      typed=b"http://127.0.0.1:9/typed\n\x04")
    assert rc == 0, out
    assert b"cafe queue: reading URLs from the terminal; Ctrl-D ends" in out, out
    assert b"1 added, 0 skipped" in out, out


def test_a_terminal_in_an_8_bit_locale_gets_ascii_only():
    """cafe titles writes ASCII only on a terminal of an 8-bit locale (ISO-8859-1, KOI8-R...),
    where UTF-8 is mojibake and its bytes 0x80 to 0x9F are C1 controls (\u00db is C3 9B, 0x9B
    the 8-bit CSI); cafe queue results --json (its records passed on as the worker wrote them)
    and cafe queue status (the worker names) wrote UTF-8 there. Now \\uNNNN, as titles; in
    a UTF-8 locale UTF-8 as before."""
    eight, utf8 = {"LANG": "xx_YY.ISO-8859-15"}, {"LANG": "C.UTF-8"}
    urls, path = url_list("latin", 3, first=63000)
    cafe("queue", "push", rs.url("latin"), path)
    rc, err = finish(worker(rs.url("latin")))
    assert rc == 0, err
    dash = "\u2014".encode()  # the fixture's titles hold an em dash
    for fmt in ([], ["--json"], ["--csv"]):
        shown = pty_out(["queue", "results", rs.url("latin"), *fmt], eight)[0]
        assert shown.count(b"\\u2014") == 3 and max(shown) < 0x80, (fmt, shown)
        shown = pty_out(["queue", "results", rs.url("latin"), *fmt], utf8)[0]
        assert shown.count(dash) == 3, (fmt, shown)
    name = "w\u00db[2J\u65e5".encode()

    def talk(conn):
        for args in resp_commands(conn):
            conn.sendall(fake_answer(args) if args[0].upper() != b"EVALSHA" else
                         b"*6\r\n:0\r\n:0\r\n:0\r\n:0\r\n*4\r\n:0\r\n:0\r\n:0\r\n:0\r\n*1\r\n" +
                         bulk(name))

    with fake_redis(talk, "latin") as url:
        shown = pty_out(["queue", "status", url], eight)[0]
        assert b"seen recently: w\\u00db[2J\\u65e5" in shown and max(shown) < 0x80, shown
        shown = pty_out(["queue", "status", url], utf8)[0]
        assert b"seen recently: " + name in shown, shown
    # A server's error text (escaped for its controls only) went to stderr as UTF-8 there;
    # now \uNNNN too, as a file name in a message is escaped in such a locale.

    def refuse(conn):
        for args in resp_commands(conn):
            conn.sendall(fake_answer(args) if args[0].upper() != b"EVALSHA" else
                         b"-ERR bad " + name + b" things\r\n")

    with fake_redis(refuse, "latin") as url:
        shown = pty_out(["queue", "status", url], eight)[0]
        assert b"bad w\\u00db[2J\\u65e5 things" in shown and max(shown) < 0x80, shown
        shown = pty_out(["queue", "status", url], utf8)[0]
        assert b"bad " + name + b" things" in shown, shown


def test_auth_password_and_acl_user():
    pw = "s3cret-Pa55"
    srv = RedisServer(password=pw)
    try:
        _, path = url_list("auth", 20, first=70000)
        wrong = srv.url("auth", "user:wrong-Pa55@")
        for args in (["queue", "push", wrong, path], ["titles", "--queue", wrong]):
            r = cafe(*args)
            assert r.returncode == 2 and b"authentication failed" in r.stderr, r
            assert b"wrong-Pa55" not in r.stderr + r.stdout, r.stderr
        r = cafe("queue", "push", srv.url("auth"), path)
        assert r.returncode == 2 and b"NOAUTH" in r.stderr and b"REDISCLI_AUTH" in r.stderr, r
        assert srv.cmd("DBSIZE") == 0  # nothing half-done
        r = cafe("queue", "push", srv.url("auth", f":{pw}@"), path)
        assert r.returncode == 0 and r.stdout.startswith(b"20 added"), r
        env = dict(os.environ, REDISCLI_AUTH=pw)
        rc, err = finish(subprocess.Popen([CAFE, "titles", "--queue", srv.url("auth")], env=env,
                                          stderr=subprocess.PIPE, stdout=subprocess.DEVNULL))
        assert rc == 0 and pw not in err, err
        srv.cmd("ACL", "SETUSER", "crawler", "on", ">crawler-Pa55", "~cafe:*", "+@all")
        r = cafe("queue", "status", srv.url("auth", "crawler:crawler-Pa55@"))
        assert r.returncode == 0 and b"done         20 " in r.stdout, r
        assert b"crawler-Pa55" not in r.stdout + r.stderr and b"crawler:***@" in r.stdout
        # A user named without a password (an ACL user with nopass) was not authenticated
        # at all: cafe went on as the default user, here refused with NOAUTH, elsewhere with
        # the default user's rights, while its messages showed the user named. It now
        # authenticates as that user (AUTH USER "", as redis-py does); one whose password
        # is needed fails clearly.
        srv.cmd("ACL", "SETUSER", "reader", "on", "nopass", "~cafe:*", "+@all")
        r = cafe("queue", "status", srv.url("auth", "reader@"))
        assert r.returncode == 0 and b"done         20 " in r.stdout, r
        assert b"redis://reader@127.0.0.1" in r.stdout, r.stdout
        r = cafe("queue", "status", srv.url("auth", "crawler@"))
        assert r.returncode == 2 and b"authentication failed" in r.stderr, r
    finally:
        srv.close()


def test_an_acl_user_without_a_right_is_told_what_the_queue_needs():
    """A user the ACL denied a command inside a script got Redis's words alone, with the
    script's SHA1 and line ("ERR The user executing the script can't run this command or
    subcommand script: 3514f5e..., on @user_script:1."): neither the command nor what to
    grant. The message now gives rights that work, which the end of the test uses."""
    rs.cmd("ACL", "SETUSER", "notime", "on", "nopass", "~*", "+@all", "-time")
    rs.cmd("ACL", "SETUSER", "elsewhere", "on", "nopass", "~other:*", "+@all")
    advice = b"ACL SETUSER USER ~cafe:{acl}:* +@all -@dangerous"
    for user in ("notime", "elsewhere"):
        r = cafe("queue", "status", rs.url("acl", f"{user}@"))
        assert r.returncode == 2 and advice in r.stderr, r
        assert b"@user_script" not in r.stderr, r.stderr
    rs.cmd("ACL", "SETUSER", "advised", "on", "nopass", "~cafe:{acl}:*", "+@all", "-@dangerous")
    urls, path = url_list("acl", 5, first=71000)
    assert cafe("queue", "push", rs.url("acl", "advised@"), path).returncode == 0
    rc, err = finish(worker(rs.url("acl", "advised@")))
    assert rc == 0 and summary_count(err) == 5, err
    exactly_once(rs, "acl", urls)


def test_a_redis_that_evicts_keys_is_refused():
    """A Redis full under maxmemory-policy allkeys-* evicts the queue's own keys: a push of
    20,000 URLs said "20000 added" and left 4,000 queued and 1,000 seen. Push and workers now
    refuse such a server (exit 2, nothing changed), as Sidekiq and BullMQ warn of it;
    volatile-* policies evict only keys with a time to live, which the queue never sets, and
    a drain is not refused (it frees memory). A user not allowed CONFIG GET (an ACL user, a
    managed service that disables CONFIG) was not refused: INFO memory tells the policy too;
    one allowed neither is not refused."""
    urls, path = url_list("evict", 20)
    srv = RedisServer("--maxmemory", "3mb", "--maxmemory-policy", "allkeys-lru")
    try:
        for args in (["queue", "push", srv.url("evict"), path], ["titles", "--queue", srv.url("evict")]):
            r = cafe(*args)
            assert r.returncode == 2 and b"maxmemory-policy is allkeys-lru" in r.stderr, (args, r)
        assert srv.cmd("DBSIZE") == 0
        # a drain only deletes: it may still save what is left
        r = cafe("queue", "results", srv.url("evict"), "--drain", "-o",
                 os.path.join(tmp, "evict.txt"))
        assert r.returncode == 0 and b"maxmemory-policy" not in r.stderr, r
        srv.cmd("ACL", "SETUSER", "noconf", "on", ">noconf-Pa55", "~cafe:*", "+@all", "-config")
        r = cafe("queue", "push", srv.url("evict", "noconf:noconf-Pa55@"), path)
        assert r.returncode == 2 and b"maxmemory-policy is allkeys-lru" in r.stderr, r
        assert srv.cmd("DBSIZE") == 0
        srv.cmd("ACL", "SETUSER", "noconf", "-info")
        r = cafe("queue", "push", srv.url("evict", "noconf:noconf-Pa55@"), path)
        assert r.returncode == 0 and r.stdout.startswith(b"20 added"), r
        srv.cmd("CONFIG", "SET", "maxmemory-policy", "volatile-lru")
        rc, err = finish(worker(srv.url("evict")))
        assert rc == 0, err
        exactly_once(srv, "evict", urls)
    finally:
        srv.close()


def test_a_queue_evicted_under_the_workers_names_the_policy():
    """A Redis switched to an allkeys-* policy while the workers ran (the start refuses one)
    evicts the queue's keys once full: the worker said "the queue is gone from Redis
    (restarted without persistence? flushed?)", neither of which happened. It names the
    policy now, exit 2 as before."""
    hold = holder()
    _, path = held_list("evicted", 60, hold, 20, first=88000)
    srv = RedisServer()
    try:
        cafe("queue", "push", srv.url("evicted"), path)
        w = worker(srv.url("evicted"), "-c", "4")
        hold.wait_for(1, timeout=120)
        srv.cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
        srv.cmd("CONFIG", "SET", "maxmemory", "1")  # full: every key evicted
        assert srv.cmd("DBSIZE") == 0
        hold.release()
        rc, err = finish(w)
        assert rc == 2 and "maxmemory-policy is now allkeys-lru" in err, (rc, err)
        assert "restarted without persistence" not in err, err
    finally:
        hold.release()
        hold.close()
        srv.close()


def test_a_redis_out_of_memory_under_a_volatile_policy_is_not_said_noeviction():
    """A volatile-* policy, which the start takes (the queue's keys have no time to live,
    so none is evicted), runs out of memory as noeviction does: the push was told "its
    maxmemory-policy (noeviction) refuses", of a server set otherwise."""
    _, path = url_list("oomv", 20000)
    srv = RedisServer("--maxmemory", "3mb", "--maxmemory-policy", "volatile-lru")
    try:
        r = cafe("queue", "push", srv.url("oomv"), path)
        assert r.returncode == 2 and b"Redis is out of memory" in r.stderr, r
        assert b"(noeviction) refuses" not in r.stderr and b"or volatile-*" in r.stderr, r
    finally:
        srv.close()


def test_a_redis_out_of_memory_loses_and_doubles_nothing():
    """maxmemory reached with noeviction: Redis answers "OOM command not allowed" to a
    command that may grow memory, unless a script already wrote. A push stops with a message
    saying what to do (the rest pushed again later, nothing twice); the workers' claims and
    acknowledgements go on (a record is never refused: it would be fetched again), and so
    must their renewals: RENEW's first write grew memory, so each one failed with OOM
    ("cafe titles: redis: OOM command not allowed ..."), the leases of URLs being fetched
    ran out, and other workers fetched them again (reclaimed)."""
    urls, path = url_list("oom", 20000)
    srv = RedisServer("--maxmemory", "3mb", "--maxmemory-policy", "noeviction")
    try:
        r = cafe("queue", "push", srv.url("oom"), path)
        assert r.returncode == 2, r
        assert b"Redis is out of memory" in r.stderr and b"push again" in r.stderr, r.stderr
        pushed = int(srv.cmd("SCARD", "cafe:{oom}:seen"))
        assert 0 < pushed < 20000, pushed
        srv.cmd("CONFIG", "SET", "maxmemory", "0")
        r = cafe("queue", "push", srv.url("oom"), path)
        assert r.returncode == 0 and r.stdout.startswith(b"%d added" % (20000 - pushed)), r
        srv.cmd("FLUSHALL")  # the workers' part: slow URLs, so that leases need renewing
        slow, slow_path = url_list("oom-slow", 30, delay=2000, first=50000)
        assert cafe("queue", "push", srv.url("oom"), slow_path).returncode == 0
        srv.cmd("CONFIG", "SET", "maxmemory", "1")  # full from here on
        ws = [worker(srv.url("oom"), "-c", "5", "--lease", "1") for _ in range(2)]
        outs = [finish(w) for w in ws]
        assert all(rc == 0 for rc, _ in outs), outs
        assert not any("OOM" in err for _, err in outs), outs
        exactly_once(srv, "oom", slow)
        assert srv.cmd("HGET", "cafe:{oom}:stats", "reclaimed") is None, \
            srv.cmd("HGETALL", "cafe:{oom}:stats")
        # a drain, which frees Redis's memory, runs too (its hold and notes grow nothing first)
        out = os.path.join(tmp, "oom.jsonl")
        r = cafe("queue", "results", srv.url("oom"), "--json", "--drain", "-o", out)
        assert r.returncode == 0 and len(open(out).readlines()) == 30, r
        assert srv.cmd("XLEN", "cafe:{oom}:results") == 0
    finally:
        srv.close()


def test_unix_socket():
    """redis-server listening on a Unix socket (unixsocket; often the only listener on a
    machine that runs workers beside Redis) could not be used: REDIS_URL took redis://
    alone. unix:///PATH and redis+unix:///PATH (with ?db=N) are taken, as redis-py, go-redis
    and redis-rb take them; the password from the URL or $REDISCLI_AUTH."""
    sock = os.path.join(tmp, "redis.sock")
    srv = RedisServer("--unixsocket", sock, "--unixsocketperm", "700", password="s0ck-Pa55")
    try:
        urls, path = url_list("sock", 40)
        for scheme in ("unix", "redis+unix"):
            q = f"sock-{scheme.replace('+', '-')}"
            url = f"{scheme}://:s0ck-Pa55@{sock}?db=2&queue={q}"
            r = cafe("queue", "push", url, path)
            assert r.returncode == 0 and r.stdout.startswith(b"40 added"), r
            rc, err = finish(worker(url))
            assert rc == 0, err
            r = cafe("queue", "status", url)
            assert r.returncode == 0 and b"done         40 " in r.stdout, r
            assert b"s0ck-Pa55" not in r.stdout + r.stderr, r
            assert f"unix://:***@{sock}?db=2&queue={q}".encode() in r.stdout, r.stdout
        r = subprocess.run([CAFE, "queue", "results", f"unix://{sock}?db=2&queue=sock-unix",
                            "--json"], capture_output=True, timeout=120,
                           env=dict(os.environ, REDISCLI_AUTH="s0ck-Pa55"))
        assert r.returncode == 0 and len(r.stdout.splitlines()) == 40, r
        r = cafe("queue", "status", f"unix://{sock}.missing?queue=x")
        assert r.returncode == 2 and b"cannot connect to " + sock.encode() + b".missing" in \
            r.stderr, r
    finally:
        srv.close()


def test_keys_of_another_type_under_the_queue_names_are_named():
    """Keys under a queue's names made by another program, of another type (a string where
    the results stream or the stats go): `cafe queue results` said "unexpected reply to
    XRANGE", hiding Redis's WRONGTYPE, or with the stats exported with wrong seqs without a
    word; the scripts' WRONGTYPE named no key. Each command now gives Redis's error and says
    that a key of the queue's names (cafe:{NAME}:*) holds another type."""
    drained = os.path.join(tmp, "wrongtype.txt")
    for queue, key, subs in (("wtres", "results", ("results", "drain", "status")),
                             ("wtstats", "stats", ("results", "drain", "push", "status")),
                             ("wtpend", "pending", ("push", "status", "titles"))):
        rs.cmd("SET", f"cafe:{{{queue}}}:{key}", "not cafe's")
        url = rs.url(queue)
        runs = {"results": ["queue", "results", url],
                "drain": ["queue", "results", "--drain", "-o", drained, url],
                "push": ["queue", "push", url, "-"], "status": ["queue", "status", url],
                "titles": ["titles", "--queue", url]}
        for args in (runs[sub] for sub in subs):
            r = cafe(*args, input=b"http://127.0.0.1:9/\n", timeout=60)
            said = f"a key of the queue's names (cafe:{{{queue}}}:*) holds".encode()
            assert r.returncode == 2 and b"WRONGTYPE" in r.stderr and said in r.stderr, \
                (queue, args, r)
        assert rs.cmd("GET", f"cafe:{{{queue}}}:{key}") == "not cafe's"


def test_a_worker_whose_records_are_refused_ends():
    """A worker whose acknowledgements Redis refused (the results key of another type here;
    an ACL user without XADD the same) said so for each record, then waited for ever: its
    reader waited for the URLs held to be settled, which a failed sink never does. It now
    ends, status 2, giving its URLs back."""
    urls, path = url_list("refused", 20, first=97000)
    assert cafe("queue", "push", rs.url("refused"), path).returncode == 0
    rs.cmd("SET", "cafe:{refused}:results", "not cafe's")
    rc, err = finish(worker(rs.url("refused"), "-c", "4"), timeout=60)
    assert rc == 2 and "WRONGTYPE" in err, (rc, err)
    said_once(err, "WRONGTYPE")
    assert rs.cmd("ZCARD", "cafe:{refused}:leases") == 0, "URLs left leased"


def accounted(server, queue, n):
    """Each of the queue's n URLs is waiting, leased or recorded, once (none lost)."""
    k = f"cafe:{{{queue}}}:"
    pending = server.cmd("LRANGE", k + "pending", 0, -1)
    leased = server.cmd("ZRANGE", k + "leases", 0, -1)
    recorded = [rec["url"] for _, rec in records(server, queue)]
    everywhere = pending + leased + recorded
    assert len(everywhere) == len(set(everywhere)) == n, \
        (len(pending), len(leased), len(recorded), n)
    done = server.cmd("HGET", k + "stats", "done")
    assert int(done or 0) == len(recorded), (done, len(recorded))


def test_a_script_that_fails_midway_loses_no_url():
    """Redis does not undo a script's writes when it fails midway (a key of another type
    under the queue's names, a command the ACL user may not run). The acknowledgement took
    the URL's lease and counted it done before its XADD failed, the claim popped URLs before
    leasing them, the push marked a URL seen before queueing it: each URL lost for good (not
    waiting, not leased, no record, and skipped by the next push). The scripts now read every
    key they write first (a type refused there changes nothing), the acknowledgement
    writes the record before it settles the URL, and the release queues a URL before it
    takes its lease."""
    urls, path = url_list("midway", 40, first=96000)
    srv = RedisServer()
    try:
        # the record's XADD refused to the worker's ACL user
        assert cafe("queue", "push", srv.url("midway"), path).returncode == 0
        srv.cmd("ACL", "SETUSER", "noxadd", "on", "nopass", "~*", "+@all", "-xadd")
        rc, err = finish(worker(srv.url("midway", "noxadd@"), "-c", "4"))
        assert rc == 2 and "can't run this command" in err, (rc, err)
        accounted(srv, "midway", 40)
        # the owner hash of another type: the claim fails without popping
        srv.cmd("SET", "cafe:{midway}:owner", "not cafe's")
        rc, err = finish(worker(srv.url("midway"), "-c", "4"))
        assert rc == 2 and "WRONGTYPE" in err, (rc, err)
        srv.cmd("DEL", "cafe:{midway}:owner")
        accounted(srv, "midway", 40)
        rc, err = finish(worker(srv.url("midway"), "--lease", "1"))
        assert rc == 0, err
        exactly_once(srv, "midway", urls)
        # the pending list of another type: the push marks nothing seen
        srv.cmd("SET", "cafe:{midway2}:pending", "not cafe's")
        assert cafe("queue", "push", srv.url("midway2"), path).returncode == 2
        assert srv.cmd("SCARD", "cafe:{midway2}:seen") == 0
        srv.cmd("DEL", "cafe:{midway2}:pending")
        r = cafe("queue", "push", srv.url("midway2"), path)
        assert r.returncode == 0 and r.stdout.startswith(b"40 added"), r
        # the release's LPUSH refused: a URL given back (Ctrl-C) left the leases before
        # and was lost; it stays leased now, and comes back when its lease ends
        hold = holder()
        try:
            _, path3 = held_list("midway3", 10, hold, 5, first=96100)
            assert cafe("queue", "push", srv.url("midway3"), path3).returncode == 0
            srv.cmd("ACL", "SETUSER", "nolpush", "on", "nopass", "~*", "+@all", "-lpush")
            w = worker(srv.url("midway3", "nolpush@"), "-c", "4")
            hold.wait_for(1, timeout=120)
            w.send_signal(signal.SIGINT)
            rc, err = finish(w)
        finally:
            hold.release()
            hold.close()
        assert "can't run this command" in err, (rc, err)
        accounted(srv, "midway3", 11)
    finally:
        srv.close()


def test_delete_a_queue():
    """There was no way to delete a queue but redis-cli DEL on seven key names. `cafe queue
    delete` removes every key of the queue, and only its own; it refuses (exit 2, nothing
    deleted) while records wait to be exported or URLs are being fetched, unless --force."""
    urls, path = url_list("del", 30)
    assert cafe("queue", "push", rs.url("del"), path).returncode == 0
    assert cafe("queue", "push", rs.url("del-other"), path).returncode == 0
    rc, err = finish(worker(rs.url("del")))
    assert rc == 0, err
    before = set(rs.cmd("KEYS", "cafe:{del}:*"))
    assert len(before) >= 3, before
    r = cafe("queue", "delete", rs.url("del"))
    assert r.returncode == 2 and b"30 records not exported" in r.stderr, r
    assert b"cafe queue results" in r.stderr and b"--force" in r.stderr, r
    assert set(rs.cmd("KEYS", "cafe:{del}:*")) == before
    out = os.path.join(tmp, "del.jsonl")
    assert cafe("queue", "results", rs.url("del"), "--json", "--drain", "-o", out).returncode == 0
    r = cafe("queue", "delete", rs.url("del"))
    assert r.returncode == 0 and r.stdout.startswith(b"deleted queue del"), r
    assert rs.cmd("KEYS", "cafe:{del}:*") == []
    assert len(rs.cmd("KEYS", "cafe:{del-other}:*")) == 3  # pending, seen, stats: untouched
    r = cafe("queue", "delete", rs.url("del"))
    assert r.returncode == 0 and b"nothing to delete" in r.stdout, r
    # --force: records not exported and URLs held go too
    assert cafe("queue", "push", rs.url("del"), path).returncode == 0
    rs.cmd("XADD", "cafe:{del}:results", "*", "record", "{}")
    assert cafe("queue", "delete", rs.url("del")).returncode == 2
    r = cafe("queue", "delete", "--force", rs.url("del"))
    assert r.returncode == 0 and rs.cmd("KEYS", "cafe:{del}:*") == [], r
    r = cafe("queue", "--help")
    assert b"cafe queue delete REDIS_URL" in r.stdout, r.stdout


def lazyfreed(server):
    info = server.cmd("INFO", "memory")
    return int(info.split("lazyfreed_objects:")[1].split()[0])


def test_delete_frees_a_big_queue_in_the_background():
    """cafe queue delete DELeted the queue's keys: Redis frees a key's every element before
    it answers anyone, and a queue of millions of URLs (its seen set, its pending list) held
    every client of that Redis (the other queues' workers too) for seconds. Its keys are
    UNLINKed now: gone at once, freed by Redis's background thread."""
    urls = [f"http://127.0.0.1:9/big/{i}" for i in range(2000)]
    assert cafe("queue", "push", rs.url("delbig"), "-",
                input=("\n".join(urls) + "\n").encode()).returncode == 0
    before = lazyfreed(rs)
    r = cafe("queue", "delete", rs.url("delbig"))
    assert r.returncode == 0 and rs.cmd("KEYS", "cafe:{delbig}:*") == [], r
    # the seen set at least (a short list, a few nodes, is freed inline either way), counted
    # once Redis's background thread has freed it
    wait_until(lambda: lazyfreed(rs) > before, "the seen set freed in the background", 30)


def test_usage():
    assert cafe("queue").returncode == 2
    r = cafe("queue", "--help")
    assert r.returncode == 0 and b"cafe queue push REDIS_URL" in r.stdout
    assert cafe("queue", "frob", rs.url("x")).returncode == 2
    assert b"--queue REDIS_URL" in cafe("titles", "--help").stdout
    for args in (["titles", "--queue", rs.url("x"), "list.txt"],
                 ["titles", "--queue", rs.url("x"), "--csv"], ["titles", "--follow"],
                 ["titles", "--queue", rs.url("x"), "--lease", "0"]):
        r = cafe(*args)
        assert r.returncode == 2 and b"--help" in r.stderr, (args, r.stderr)


run_tests(globals(), cleanup=[rs.close, fx.close])
