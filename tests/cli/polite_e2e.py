"""Politeness end to end: `cafe titles` flags mapped onto the HTTP client's limits (rate, host
interval, 429/503 host backoff), against the fixture and a server that notes arrival times.
Run by test_polite.sh inside a fresh network namespace."""
import json
import os
import socket
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.environ["CAFE_SOURCE_DIR"], "tests", "util"))
from harness import Fixture, HeadServer, cafe, run_tests  # noqa: E402

SITES = 4
fx = Fixture("--sites", str(SITES), "--size", "2000")
tmp = tempfile.mkdtemp(prefix="cafe-polite-")
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux's value; Python 3.11 lacks it


def write_list(lines):
    path = os.path.join(tmp, f"list{len(os.listdir(tmp))}.txt")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def recv_stamped(conn):
    """A chunk and the time its last packet reached this host's kernel (SO_TIMESTAMPNS, in
    seconds): what the client's spacing is, whenever this thread gets to read it."""
    data, anc, _, _ = conn.recvmsg(4096, socket.CMSG_SPACE(16))
    stamps = [struct.unpack("qq", d[:16]) for lvl, typ, d in anc
              if lvl == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS]
    return data, (stamps[-1][0] + stamps[-1][1] / 1e9 if stamps else None)


def stamps_on():
    """Returns once the kernel stamps received packets. The first socket with SO_TIMESTAMPNS
    turns stamping on through a deferred static key: a packet that comes before that work ran
    has no stamp (one run in twenty here, the first request of a test under load). A socket
    that keeps the option keeps it on; this probes with connections of its own until one
    packet comes stamped (bounded: 10 s)."""
    with socket.socket() as lst:
        lst.bind(("127.0.0.1", 0))
        lst.listen(1)
        lst.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        for _ in range(1000):
            with socket.create_connection(lst.getsockname()) as c:
                conn, _ = lst.accept()
                with conn:
                    c.sendall(b"x")
                    if recv_stamped(conn)[1] is not None:
                        return
            time.sleep(0.01)  # the kernel's work queue, which nothing signals
    raise AssertionError("the kernel never stamped a packet (SO_TIMESTAMPNS)")


class ArrivalServer(HeadServer):
    """A loopback HTTP server, one connection at a time, that notes when each request arrives
    (the kernel's receive time, so that the server's own scheduling under load does not move
    it): /429... gets 429, /503... gets 503, anything else a small page."""

    def __init__(self):
        self.arrivals = []
        super().__init__(self._answer)
        # accepted sockets inherit the option (set before any client connects): stamps for
        # packets queued before accept too
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        stamps_on()  # while this socket has the option, stamping stays on

    def read_head(self, conn):
        data, self.at = b"", None
        while b"\r\n\r\n" not in data:
            chunk, stamp = recv_stamped(conn)
            if not chunk:
                break
            data, self.at = data + chunk, stamp
        return data

    def _answer(self, head):
        path = head.split(b" ")[1].decode()
        self.arrivals.append((self.at, path))
        code = (b"429 Too Many Requests" if path.startswith("/429")
                else b"503 Service Unavailable" if path.startswith("/503") else b"200 OK")
        body = b"<title>arrival</title>"
        return (b"HTTP/1.1 " + code + b"\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                % len(body) + body)


def gaps(times):
    assert None not in times, "a request came without its SO_TIMESTAMPNS stamp"
    return [b - a for a, b in zip(times, times[1:])]


def test_host_interval_and_rate_space_requests():
    # also on 2 threads: a host is one worker's, with the whole interval and its share of
    # the rate (here at most 2.5/s: never sooner than one loop's 5/s)
    for extra in ([], ["--threads", "2"]):
        srv = ArrivalServer()
        try:
            r = cafe("titles", "-q", "--host-interval", "200", *extra,
                     write_list([srv.url(f"/h{i}") for i in range(4)]))
            assert r.returncode == 0 and r.stdout.count(b"'arrival'") == 4, r.stdout
            times = [t for t, _ in srv.arrivals]
            # never sooner (the margin is the server's own scheduling, measured on its side)
            assert len(times) == 4 and min(gaps(times)) >= 0.17, (extra, gaps(times))
            srv.arrivals.clear()
            r = cafe("titles", "-q", "--rate", "5", *extra,
                     write_list([srv.url(f"/r{i}") for i in range(4)]))
            times = [t for t, _ in srv.arrivals]
            assert len(times) == 4 and min(gaps(times)) >= 0.17, (extra, gaps(times))  # 5/s
        finally:
            srv.close()


def test_host_answering_429_is_slowed_alone():
    srv = ArrivalServer()
    try:
        # 30 pages held 100 ms each go before /429b: with -c 10 it waits 300 ms for a slot,
        # long after /429a's answer, so the backoff is already in force when its turn comes.
        fast = [fx.url(i % SITES, f"/page/{i}?delay=100") for i in range(30)]
        fast += [fx.url(i % SITES, f"/page/{i}") for i in range(30, 60)]
        lines = ([srv.url("/429a")] + fast[:30] + [srv.url("/429b")] + fast[30:]
                 + [srv.url("/429c")])
        r = cafe("titles", "-q", "--json", "--unordered", "--retries", "0", "-c", "10",
                 write_list(lines))
        recs = [json.loads(l) for l in r.stdout.decode().splitlines()]
        assert len(recs) == 63, len(recs)
        assert [x["status"] for x in recs if "/429" in x["url"]] == [429, 429, 429]
        times = [t for t, _ in srv.arrivals]
        # after a 429 the host gets one try per 250 ms at most (the doubling is checked in
        # tests/http/test_http_limits.c, where the order of the answers is certain); the
        # margin is the server's own scheduling
        assert len(times) == 3 and min(gaps(times)) >= 0.2, gaps(times)
        # the other hosts were not slowed: every page fetched at the first try
        assert all(x["attempts"] == 1 and x["status"] == 200 for x in recs
                   if "/429" not in x["url"]), recs
    finally:
        srv.close()


def test_host_failing_for_2_s_recovers():
    # Issue 15's check: a host answering 503 during its first 2 s, 300 URLs, default options:
    # every URL gets its page (it used to take minutes; the host's rate comes back once it
    # answers 200, by additive increase). The bound is 40 s; it takes about 5 here,
    # but a time is no assertion on a loaded machine: the run's timeout catches a stall.
    u = [fx.url(0, f"/flaky-for/stall2s/2000?n={i}") for i in range(300)]
    t0 = time.monotonic()
    r = cafe("titles", "-q", "--json", write_list(u), timeout=120)
    print(f"300 URLs to a host failing for its first 2 s: {time.monotonic() - t0:.1f} s")
    recs = [json.loads(l) for l in r.stdout.decode().splitlines()]
    assert r.returncode == 0 and len(recs) == 300, (r.returncode, len(recs), r.stderr)
    bad = [x for x in recs if x["status"] != 200 or x["error"] is not None]
    assert not bad, (len(bad), bad[:3])
    assert {x["title"] for x in recs} == {"Flaky stall2s for 2000 ms \u2014 cafe fixture"}
    assert [x["url"] for x in recs] == u


def test_host_that_keeps_failing_costs_urls_times_attempts():
    # Every try of a host that always answers 503 reaches it (no more: URLs x attempts), and
    # the retries are spread out: after the first round the host gets one try per gap of at
    # least 250 ms, rather than all retries in the first second.
    srv = ArrivalServer()
    try:
        u = [srv.url(f"/503/{i}") for i in range(6)]
        r = cafe("titles", "-q", "--json", "--retries", "1", write_list(u), timeout=120)
        recs = [json.loads(l) for l in r.stdout.decode().splitlines()]
        assert [(x["status"], x["attempts"]) for x in recs] == [(503, 2)] * 6, recs
        paths = sorted(p for _, p in srv.arrivals)
        assert paths == sorted(u_[len(srv.url("")):] for u_ in u * 2), paths
        times = [t for t, _ in srv.arrivals]
        assert min(gaps(times[6:])) >= 0.2, gaps(times)  # the margin: the server's scheduling
    finally:
        srv.close()


run_tests(globals(), cleanup=[fx.close])
