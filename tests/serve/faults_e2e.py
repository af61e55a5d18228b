"""Fault tests of `cafe serve` (run by test_serve_faults.sh in a fresh network namespace):
slow and hostile clients, huge bodies, malformed requests, many idle connections. Every wait
is bounded; no check depends on speed. A large job and a shutdown: heavy_e2e.py."""
import errno
import fcntl
import json
import os
import re
import resource
import select
import shutil
import socket
import struct
import sys
import tempfile
import termios
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from servelib import (PATIENCE, Gate, Serve, post_job, reply_head, settle,  # noqa: E402
                      small_files, wait_job)
from harness import Skip, run_tests  # noqa: E402
from pageserver import PageServer  # noqa: E402

sys.path.insert(0, os.path.join(os.environ["CAFE_SOURCE_DIR"], "tests", "sinks"))
from mountns import small_tmpfs  # noqa: E402

def connect(srv):
    return socket.create_connection((srv.host, srv.port), timeout=120)


def read_all(s, limit=1 << 20):
    out = b""
    while len(out) < limit:
        try:
            d = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not d:
            break
        out += d
    return out


def closed_within(s, seconds):
    """True once the peer closed s (EOF or reset), waiting at most `seconds`."""
    end = time.monotonic() + seconds
    p = select.poll()  # not select(): descriptors go past FD_SETSIZE here
    p.register(s, select.POLLIN)
    while time.monotonic() < end:
        if p.poll(max(0, int((end - time.monotonic()) * 1000))):
            try:
                if s.recv(4096) == b"":
                    return True
            except (ConnectionResetError, BrokenPipeError):
                return True
    return False


def healthy(srv):
    return srv.request("GET", "/healthz")[0] == 200


def test_slowloris_head_and_body_are_cut():
    srv = Serve("-q", "--header-timeout", "1", "--request-timeout", "1")
    try:
        head = connect(srv)
        head.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        body = connect(srv)
        body.sendall(b"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nhttp")
        # trickle a byte now and then: an idle timeout alone would never fire
        for _ in range(4):
            for s in (head, body):
                try:
                    s.sendall(b"a")
                except OSError:
                    pass
            assert healthy(srv)
            time.sleep(0.3)
        assert closed_within(head, PATIENCE), "slow head not cut"
        assert closed_within(body, PATIENCE), "slow body not cut"
        assert healthy(srv)
    finally:
        srv.stop()


def test_a_list_sent_steadily_over_a_slow_link_is_taken():
    # --request-timeout bounds a body's time from its head on (a trickle cannot stretch it),
    # and a list sent steadily over a slow uplink (100,000 URLs, 5 MB, at 1 Mbit/s: 40 s)
    # was cut in the middle at it, unanswered. Sent here at about 160 KB/s (16 KiB every
    # 0.1 s: 20 times the 8 KiB/s that keeps a body going) for about 5 s, over a
    # --request-timeout of 2; the slow head and body of the test above are still cut.
    srv = Serve("-q", "--header-timeout", "2", "--request-timeout", "2")
    try:
        pad = b"# " + b"x" * 16381 + b"\n"  # a comment line of 16 KiB: nothing to fetch
        body = b"http://no-such-host.invalid/\n" + pad * 50
        s = connect(srv)
        s.sendall(b"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body))
        for at in range(0, len(body), len(pad)):
            try:
                s.sendall(body[at:at + len(pad)])
            except OSError as e:
                raise AssertionError(f"cut after {at} of {len(body)} bytes: {e}")
            time.sleep(0.1)
        reply = reply_head(s)
        s.close()
        assert reply.startswith(b"HTTP/1.1 202 "), reply
    finally:
        srv.stop()


def test_one_gigabyte_body_refused_early():
    srv = Serve("-q", "--max-body", "1000000")
    try:
        s = connect(srv)
        s.sendall(b"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                  b"Content-Length: 1073741824\r\n\r\n" + b"x" * 65536)
        reply = read_all(s)
        assert reply.startswith(b"HTTP/1.1 413"), reply[:100]
        s.close()
        # chunked, so no length is declared: a body a little over the limit is read to its
        # end and answered 413, on a connection that stays usable
        s = connect(srv)
        s.sendall(b"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        for _ in range(20):
            s.sendall(b"10000\r\n" + b"http://ab.test/\n" * 4096 + b"\r\n")
        s.sendall(b"0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        reply = b""
        while reply.count(b"HTTP/1.1") < 2 or not reply.endswith(b"\n"):
            d = s.recv(65536)
            assert d, reply
            reply += d
        assert reply.startswith(b"HTTP/1.1 413"), reply[:100]
        assert b"request body too large" in reply, reply
        assert b"HTTP/1.1 200" in reply, reply
        s.close()
        # one far over it: the connection goes once another --max-body has been dropped
        s = connect(srv)
        s.sendall(b"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n")
        sent = 0
        chunk = b"10000\r\n" + b"y" * 65536 + b"\r\n"
        try:
            while sent < (1 << 30):
                s.sendall(chunk)
                sent += 65536
        except OSError:
            pass
        assert sent < 64 << 20, f"sent {sent} bytes before the server gave up"
        s.close()
        assert healthy(srv)
    finally:
        srv.stop()


def unsent(s):
    """Bytes of s's send queue the peer has not yet taken (TIOCOUTQ)."""
    return struct.unpack("i", fcntl.ioctl(s, termios.TIOCOUTQ, b"\0\0\0\0"))[0]


def test_bodies_of_routes_that_take_none_are_not_kept():
    # The page needs no token: without this, anybody could make the service hold --max-body
    # of memory on each of its --max-connections (16 GiB by default) by sending bodies with
    # GET /. Eight 8 MiB bodies, each held unfinished (its last byte unsent) once the service
    # has read the rest, cost it no memory now.
    n, size = 8, 8 << 20
    srv = Serve("-q", "--token", "t")
    socks = []
    try:
        base = srv.rss_kb()
        for _ in range(n):
            s = connect(srv)
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n" % size)
            socks.append(s)
        chunk = b"x" * (1 << 20)
        for s in socks:
            for k in range(size >> 20, 0, -1):
                s.sendall(chunk if k > 1 else chunk[:-1])
        # the service has read all but the last byte of each: its send queues are empty
        for s in socks:
            left = settle(lambda: unsent(s), lambda v: v == 0)
            assert left == 0, left
        grown = srv.rss_kb() - base
        print(f"# {n} bodies of {size >> 20} MiB on GET /: peak RSS grew by {grown} kB",
              flush=True)
        assert grown < n * size / 1024 / 4, f"{grown} kB held for {n} bodies nobody reads"
        for s in socks:  # each is answered once its body is complete
            s.sendall(b"x")
            reply = reply_head(s)
            assert reply.startswith(b"HTTP/1.1 200"), reply[:100]
        assert healthy(srv)
    finally:
        for s in socks:
            s.close()
        srv.stop()


def test_malformed_requests():
    srv = Serve("-q")
    try:
        cases = [b"GARBAGE\r\n\r\n", b"\x00\x01\x02\xff\r\n\r\n",
                 b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nNo colon here\r\n\r\n",
                 b"GET /healthz HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n",
                 b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX: " + b"a" * 100000 + b"\r\n\r\n",
                 b"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\n",
                 b"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
                 # well framed: their answers keep the connection, which is read to its close
                 b"GET nothing HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                 b"BREW /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"]
        for raw in cases:
            s = connect(srv)
            try:
                s.sendall(raw)
            except OSError:
                pass
            reply = read_all(s)
            s.close()
            if reply:
                code = int(reply.split(b" ", 2)[1])
                assert 400 <= code < 600, (raw[:40], reply[:80])
            assert healthy(srv), raw[:40]
        status, h, _ = srv.request("BREW", "/healthz")
        assert status == 405, status
    finally:
        srv.stop()


def first_answer(s):
    """Reads an answer's head and its Content-Length body from s; what came, whether the
    service keeps the connection after it (False: it closed, or said it would)."""
    out = b""
    while True:
        end = out.find(b"\r\n\r\n")
        if end >= 0:
            head = out[:end + 2].lower()
            m = re.search(rb"\r\ncontent-length: *(\d+)\r\n", head)
            if not m or b"\r\nconnection: close\r\n" in head:
                return out, False
            if len(out) >= end + 4 + int(m.group(1)):
                return out, True
        d = s.recv(65536)
        if not d:
            return out, False
        out += d


def whole_reply(srv, raw, then_close=False):
    """Sends raw on a connection of its own and reads until the service closes it: the
    bytes, and whether the close was a reset (an answer the client may never read).
    then_close: an answer that keeps the connection is followed on it by a request with
    Connection: close, so that the service closes at once, not after its header timeout
    (10 s for each such answer)."""
    s = connect(srv)
    s.settimeout(PATIENCE)
    out, reset = b"", False
    try:
        s.sendall(raw)
        if then_close:
            out, kept = first_answer(s)
            if kept:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except ConnectionResetError:
        reset = True
    finally:
        s.close()
    return out, reset


def test_requests_libmicrohttpd_cannot_read_are_answered():
    # libmicrohttpd 0.9.75 closed a connection whose request line it could not parse, and
    # one whose head filled its memory a little under the 431 limit, without a word; and
    # it closed after its own 431 with the rest of the head unread, a reset that can take
    # the answer with it. RFC 9112 says 400 (and a head too large 431), as nginx answers.
    srv = Serve("-q")
    try:
        for raw in (b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"\x01\x02\xff\r\n\r\n"):
            reply, reset = whole_reply(srv, raw)
            assert reply.startswith(b"HTTP/1.1 400 ") and not reset, (raw, reply, reset)
            assert reply.count(b"HTTP/1.1 ") == 1 and b"Connection: close" in reply, reply
            assert re.search(rb"\r\nDate: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} "
                             rb"\d\d:\d\d:\d\d GMT\r\n", reply), reply
            assert json.loads(reply.split(b"\r\n\r\n", 1)[1])["error"], reply
        # A 200 keeps the connection: the next request on it (Connection: close) must be
        # answered too, and the service then closes at once; read until its header timeout
        # closed it, these 50 heads took 190 s.
        for n in range(19000, 21500, 50):  # the band closed unanswered was about 400 bytes
            raw = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX: " + b"a" * n + b"\r\n\r\n"
            reply, reset = whole_reply(srv, raw, then_close=True)
            status = reply[:12]
            assert status in (b"HTTP/1.1 200", b"HTTP/1.1 431"), (n, reply[:200], reset)
            answers = 2 if status == b"HTTP/1.1 200" else 1
            assert not reset and reply.count(b"HTTP/1.1 ") == answers, (n, reply[:300], reset)
            assert answers == 1 or reply.count(b"HTTP/1.1 200 ") == 2, (n, reply[:300])
        reply, reset = whole_reply(srv, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX: "
                                   + b"a" * 100000 + b"\r\n\r\n")
        assert reply.startswith(b"HTTP/1.1 431 ") and not reset, (reply[:200], reset)
        # and nothing more than one answer where there was one already
        for raw in (b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                    b"GET /healthz HTTP/1.0\r\n\r\n", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
                    b"GET /healthz\r\n\r\n"):
            reply, reset = whole_reply(srv, raw)
            assert reply.count(b"HTTP/1.1 ") == 1 and not reset, (raw, reply)
        assert healthy(srv)
    finally:
        srv.stop()
    # a connection that sent nothing, or half a head, and is closed by the header timeout
    # gets no answer of ours
    srv = Serve("-q", "--header-timeout", "0.5")
    try:
        for raw in (b"", b"GET /healthz HTTP/1.1\r\nHost: 1", b"GARB"):
            reply, reset = whole_reply(srv, raw)
            assert reply == b"", (raw, reply)
    finally:
        srv.stop()


def test_bytes_that_start_no_request_are_answered_at_once():
    # libmicrohttpd skips a line from its first NUL on as empty, and waits for a line end a
    # TLS handshake (https:// to this plain port) never sends: both were held unanswered
    # until --header-timeout, the client waiting for nothing. nginx answers 400 at once.
    # No header timeout here can close them: only an answer may.
    srv = Serve("-q", "--header-timeout", "3600")
    hello = bytes.fromhex("16030100c4010000c00303") + os.urandom(32)  # a ClientHello's start
    try:
        # after any number of empty lines, which a server may skip (nginx skips them all):
        # 64 CR LF filled the bytes looked at, and what came after them waited the timeout
        for raw in (b"\x00\x01\x02\xff\r\n\r\n", b"\x00GET /healthz HTTP/1.1\r\n",
                    b"\r\n\x00\r\n", hello, b" GET /healthz HTTP/1.1\r\n\r\n",
                    b"\r\n" * 64 + hello, b"\n" * 70000 + b"\x00\r\n\r\n"):
            s = connect(srv)
            try:
                # accepted before a byte is sent, so that the bytes come to a connection the
                # service holds (their own path), not with its accept
                n = settle(lambda: srv.metric("cafe_serve_connections"), lambda n: n == 2)
                assert n == 2, n
                s.sendall(raw)
                s.settimeout(PATIENCE)
                reply = read_all(s)
            finally:
                s.close()
            assert reply.startswith(b"HTTP/1.1 400 ") and reply.count(b"HTTP/1.1") == 1, \
                (raw[-100:], reply)
            assert b"Connection: close" in reply, reply
        # and on a kept-alive connection, after a request (with a body, too) was answered:
        # its next request's first bytes were never looked at
        get = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        post = (b"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                b"Content-Length: 5\r\n\r\na\x00\x16b\n")  # a job of one line, no URL
        for first in (get, post):
            for raw in (b"\x00\x01\x02\r\n\r\n", hello, b"\r\n" * 64 + hello):
                s = connect(srv)
                try:
                    s.settimeout(PATIENCE)
                    s.sendall(first)
                    out, kept = first_answer(s)
                    assert out.startswith((b"HTTP/1.1 200 ", b"HTTP/1.1 202 ")) and kept, out
                    s.sendall(raw)
                    reply = read_all(s)
                finally:
                    s.close()
                assert reply.startswith(b"HTTP/1.1 400 ") and reply.count(b"HTTP/1.1") == 1, \
                    (first, raw[-100:], reply)
        # A pipelined request libmicrohttpd has read in part is not judged by its middle:
        # "GET " came with the first request, the rest (a "/" first) after its answer.
        s = connect(srv)
        try:
            s.settimeout(PATIENCE)
            s.sendall(get + b"GET ")
            out, kept = first_answer(s)
            assert out.startswith(b"HTTP/1.1 200 ") and kept, out
            s.sendall(b"/healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            reply = read_all(s)
        finally:
            s.close()
        assert reply.startswith(b"HTTP/1.1 200 "), reply
        assert healthy(srv)
    finally:
        srv.stop()


def test_a_request_whose_end_is_ambiguous_is_refused_and_its_connection_closed():
    # Each request below hides a second one (GET /metrics) where a proxy in front that read
    # its framing otherwise (the other Content-Length; Content-Length over chunked; a body up
    # to the end of the connection) would not see it: the service must answer the first
    # alone, as nginx does (400, or 501 for a transfer coding it does not know), and close
    # the connection, never answer the hidden one. And a second Host is not one to choose.
    srv = Serve("-q")
    hidden = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    head = b"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
    cases = [
        (400, head + b"Content-Length: 0\r\nContent-Length: 46\r\n\r\n" + hidden),
        (400, head + b"Content-Length: 46\r\nContent-Length: 0\r\n\r\n" + hidden),
        (400, head + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + hidden),
        (400, head + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"0\r\n\r\n" + hidden),
        (400, head.replace(b"1.1", b"1.0") + b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
         + hidden),
        (501, head + b"Transfer-Encoding: identity\r\n\r\n" + hidden),
        (501, head + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" + hidden),
        (400, b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n"),
    ]
    try:
        answered_alone(srv, cases)
    finally:
        srv.stop()


HIDDEN = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def answered_alone(srv, cases, headers=None):
    """Sends each (status, request) of cases on a connection of its own: the answer must be
    that status, alone, the connection then closed, and no job made: whatever followed in
    the bytes (HIDDEN) is never served."""
    for want, raw in cases:
        s = connect(srv)
        s.sendall(raw)
        s.settimeout(PATIENCE)
        reply = read_all(s)  # to the end: the service closes the connection
        s.close()
        assert reply.startswith(b"HTTP/1.1 %d " % want), (raw, reply[:200])
        assert reply.count(b"HTTP/1.1 ") == 1 and b"cafe_serve" not in reply, (raw, reply)
    assert srv.metric("cafe_serve_jobs_created_total", headers) == 0


def test_a_header_that_says_how_to_read_the_request_sent_twice_is_refused():
    # two Content-Types made a list read as text (libmicrohttpd's first) that a proxy in
    # front may have taken for JSON (the last), and of two Authorizations the first was
    # checked, where a proxy may have put its own after the client's: each is one value
    # (RFC 9110, 5.3), refused as the framing headers are
    srv = Serve("-q", "--token", "t0k")
    head = b"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer t0k\r\n"
    body = b'["http://127.0.0.1:1/"]'
    try:
        answered_alone(srv, [
            (400, head + b"Content-Type: text/plain\r\nContent-Type: application/json\r\n"
             b"Content-Length: %d\r\n\r\n" % len(body) + body),
            (400, b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer t0k\r\n"
             b"Authorization: Bearer other\r\n\r\n")], {"Authorization": "Bearer t0k"})
        s = connect(srv)
        s.sendall(head + b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                  % len(body) + body)
        assert reply_head(s).startswith(b"HTTP/1.1 202 ")
        s.close()
    finally:
        srv.stop()


def test_an_http_1_1_request_without_host_is_refused():
    # RFC 9112 (3.2) says 400, as nginx answers; the service served it, with the checks
    # that read Host (another origin's page, DNS rebinding) given nothing to check. HTTP/1.0
    # has no Host to require.
    srv = Serve("-q")
    try:
        answered_alone(srv, [(400, b"GET /metrics HTTP/1.1\r\n\r\n"),
                             (400, b"POST /v1/jobs HTTP/1.1\r\nContent-Type: text/plain\r\n"
                                   b"Content-Length: 16\r\n\r\nhttp://x.example")])
        s = connect(srv)
        s.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
        assert read_all(s).startswith(b"HTTP/1.1 200 ")
        s.close()
    finally:
        srv.stop()


def test_a_header_name_with_a_space_is_refused():
    # "Transfer-Encoding : chunked" was no Transfer-Encoding to the service, which read the
    # body by the Content-Length beside it, where a proxy that trims the name reads it
    # chunked; so for a folded line (a name starting with a space). RFC 9112 (5.1) and nginx
    # refuse them (400)
    srv = Serve("-q")
    head = b"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
    cases = [
        (400, head + b"Content-Length: 5\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n"
         + HIDDEN),
        (400, head + b"Transfer-Encoding: chunked\r\nContent-Length : 46\r\n\r\n0\r\n\r\n"
         + HIDDEN),
        (400, head + b"X: y\r\n Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
         b"0\r\n\r\n" + HIDDEN),
    ]
    try:
        answered_alone(srv, cases)
        # a tab before the value is fine (optional whitespace): still chunked
        s = connect(srv)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding:\tchunked"
                  b"\r\n\r\n0\r\n\r\n")
        reply = reply_head(s)
        s.close()
        assert reply.startswith(b"HTTP/1.1 200 "), reply
    finally:
        srv.stop()


def test_blanks_after_a_header_value_are_no_part_of_it():
    # RFC 9110 (5.5): a field value excludes the blanks around it (RFC 9112's OWS), as
    # nginx reads it. libmicrohttpd 0.9.75 kept those after it: "Bearer TOKEN " was a wrong
    # token (401), "Host: 127.0.0.1 " no loopback name and "Sec-Fetch-Site: same-origin "
    # another site (403), "Last-Event-ID: 2 " no event (the stream started again).
    def get(srv, path, extra):
        s = connect(srv)
        s.sendall(b"GET " + path + b" HTTP/1.1\r\n" + extra + b"Connection: close\r\n\r\n")
        s.settimeout(PATIENCE)
        reply = read_all(s)
        s.close()
        return reply

    srv = Serve("-q", "--token", "t0k")
    try:
        for blanks in (b" ", b"\t", b" \t "):
            reply = get(srv, b"/metrics", b"Host: 127.0.0.1\r\nAuthorization: Bearer t0k" +
                        blanks + b"\r\n")
            assert reply.startswith(b"HTTP/1.1 200 "), (blanks, reply[:200])
        reply = get(srv, b"/metrics", b"Host: 127.0.0.1\r\nAuthorization: Bearer t0k x\r\n")
        assert reply.startswith(b"HTTP/1.1 401 "), reply[:200]  # a blank inside still counts
    finally:
        srv.stop()
    srv = Serve("-q")
    try:
        for extra in (b"Host: 127.0.0.1 \r\n", b"Host: localhost\t\r\n",
                      b"Host: 127.0.0.1\r\nSec-Fetch-Site: same-origin \r\n",
                      b"Host: 127.0.0.1\r\nOrigin: http://127.0.0.1 \r\n"):
            reply = get(srv, b"/metrics", extra)
            assert reply.startswith(b"HTTP/1.1 200 "), (extra, reply[:200])
        _, _, st = post_job(srv, ["http://no such host/%d" % i for i in range(5)])
        wait_job(srv, st["id"], ("done",))
        reply = get(srv, b"/v1/jobs/%s/results?format=sse" % st["id"].encode(),
                    b"Host: 127.0.0.1\r\nLast-Event-ID: 2 \r\n")
        assert re.findall(rb"^id: (\d+)", reply, re.M) == [b"3", b"4"], reply
    finally:
        srv.stop()


def test_a_nul_cr_or_lf_in_a_header_value_is_refused():
    # libmicrohttpd 0.9.75 ends a value at a raw NUL and drops the rest of its line: the
    # token "t0k\0junk" was taken for t0k, and GET /metrics answered 200. RFC 9110 (5.5)
    # says to refuse a NUL, CR or LF in a value, as nginx does (400); a CR that ends no line
    # went through in the value, and a raw NUL ended the target too (the service saw
    # /healthz of "/healthz\0x").
    srv = Serve("-q", "--token", "t0k")
    get = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    try:
        answered_alone(srv, [
            (400, get + b"Authorization: Bearer t0k\x00junk\r\n\r\n"),
            (400, get + b"Authorization: Bearer t0k\r\nX-A: a\x00b\r\n\r\n" + HIDDEN),
            (400, get + b"X-A: \x00\x00x\r\nAuthorization: Bearer t0k\r\n\r\n"),
            (400, get + b"X-A: a\rAuthorization: Bearer t0k\r\n\r\n"),
            (400, get + b"Authorization: Bearer t0k\r\nX-A: a\r\n  folded\r\n\r\n"),
            (400, b"GET /metrics\x00x HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             b"Authorization: Bearer t0k\r\n\r\n"),
        ], {"Authorization": "Bearer t0k"})
        # what a value may hold is served: blanks around it, none at all, a tab, UTF-8, a
        # control character other than those three (RFC 9110 lets a recipient keep it),
        # lines ended by LF alone (RFC 9112, 2.2)
        for raw in (get + b"Authorization: Bearer t0k\r\nX-A:\r\nX-B: \t\r\nX-C:  a \t b \r\n"
                    b"X-D: caf\xc3\xa9\r\nX-E: a\x01b\r\nConnection: close\r\n\r\n",
                    # cookies, which libmicrohttpd parses apart from the head it keeps
                    get + b"Cookie: a=b; c=\"d e\"; f\r\nAuthorization: Bearer t0k\r\n"
                    b"Cookie: g=h\r\nConnection: close\r\n\r\n",
                    b"GET /metrics HTTP/1.1\nHost: 127.0.0.1\nAuthorization: Bearer t0k\n"
                    b"X-A: a\nConnection: close\n\n"):
            reply, reset = whole_reply(srv, raw)
            assert reply.startswith(b"HTTP/1.1 200 ") and not reset, (raw, reply[:200])
    finally:
        srv.stop()


def test_a_nul_byte_in_the_target_is_refused():
    # libmicrohttpd decodes %00 into the end of the string: /metrics%00.css was served as
    # /metrics, and the url parameter cut at it fetched another URL than the one asked for
    srv = Serve("-q")
    try:
        for target in ("/metrics%00.css", "/app.js%00", "/healthz%00/x",
                       "/v1/title?url=http://127.0.0.1:1/a%00b"):
            status, _, body = srv.request("GET", target)
            assert status == 400 and b"NUL" in body, (target, status, body[:200])
        # an escaped percent sign is no NUL: the page's script is not found under it
        assert srv.request("GET", "/app.js%2500")[0] == 404
        assert srv.metric("cafe_serve_fetches_total") == 0
    finally:
        srv.stop()


def test_a_space_or_control_character_in_the_target_is_refused():
    # libmicrohttpd takes everything between the first and the last space of the request
    # line for the target: "GET /v1/title?url=http://a/ b HTTP/1.1" fetched http://a/%20b,
    # where nginx in front answers 400 (RFC 9112, 3.2: no whitespace in a target), and a
    # control character went through too
    srv = Serve("-q")
    try:
        h = b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        answered_alone(srv, [(400, b"GET /v1/title?url=http://127.0.0.1:1/a b" + h + HIDDEN),
                             (400, b"GET /healthz /metrics" + h + HIDDEN),
                             (400, b"GET /healthz\x01" + h), (400, b"GET /healthz\x7f" + h),
                             (400, b"GET /healthz\tx" + h)])
        assert srv.metric("cafe_serve_fetches_total") == 0
        for target in ("/v1/title?url=http://127.0.0.1:1/a b", "/healthz\x01"):
            s = connect(srv)
            s.sendall(b"GET " + target.encode() + h)
            assert b"control character" in read_all(s), target
            s.close()
        assert srv.request("GET", "/healthz?x=%20%01")[0] == 200  # escaped: fine
    finally:
        srv.stop()


def test_a_query_of_many_parameters_is_answered():
    # libmicrohttpd keeps each query parameter in the connection's memory (20 KiB) before
    # any callback of the service sees the request: a target of 350 bytes ("/healthz?" and
    # 350 "&") filled it, and the connection was held unanswered until --header-timeout,
    # then closed without a word. Past 64 parameters (the routes take at most four) the
    # query is refused, 414, before libmicrohttpd keeps them.
    srv = Serve("-q")
    try:
        h = b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        for target in (b"/healthz?" + b"&" * 350, b"/healthz?" + b"x=1&" * 1000,
                       b"/v1/title?url=http://127.0.0.1:1/&" + b"ab=cd&" * 300):
            reply, reset = whole_reply(srv, b"GET " + target + h)
            assert reply.startswith(b"HTTP/1.1 414 ") and not reset, (target[:40], reply[:200])
            assert b"parameters" in reply, reply
        # 64 are served, in a head as long as a head may be
        for pad in (0, 15000):
            raw = (b"GET /healthz?" + b"&".join(b"p%d=1" % i for i in range(64)) +
                   b" HTTP/1.1\r\nHost: 127.0.0.1\r\nX: " + b"a" * pad +
                   b"\r\nConnection: close\r\n\r\n")
            reply, reset = whole_reply(srv, raw)
            assert reply.startswith(b"HTTP/1.1 200 ") and not reset, (pad, reply[:200])
        assert srv.metric("cafe_serve_fetches_total") == 0
    finally:
        srv.stop()


def test_a_target_in_absolute_form_is_served_under_its_own_host_only():
    # RFC 9112, 3.2.2: a server must take "GET http://HOST/path" (proxies send it): it was
    # 404 for every path. Its host stands for Host, which the origin and DNS rebinding checks
    # read: a target naming another host than the Host header sent with it is refused.
    srv = Serve("-q")
    here = f"{srv.host}:{srv.port}"
    try:
        for target, host, want in ((f"http://{here}/healthz", here, 200),
                                   (f"HTTP://{here.upper()}", here, 200),
                                   (f"http://{here}/metrics", here, 200),
                                   (f"http://{here}/nothing", here, 404),
                                   ("http://evil.example/metrics", here, 400),
                                   (f"http://{here}/metrics", "evil.example", 400)):
            status, _, body = srv.request("GET", target, headers={"Host": host})
            assert status == want, (target, host, status, body[:200])
    finally:
        srv.stop()


def test_a_list_sent_while_max_jobs_run_is_refused_before_it_is_sent():
    # the 429 came only once the whole list (up to --max-body) was in, even to a client
    # that waits for "100 Continue" before sending it: now it comes at the head
    gate = Gate()
    srv = Serve("-q", "--allow-private", "--max-jobs", "1", "--timeout", "3600")
    try:
        status, _, st = post_job(srv, [gate.url("/held")])
        assert status == 202, st
        s = connect(srv)
        s.sendall(b"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                  b"Content-Length: 1000000\r\nExpect: 100-continue\r\n\r\n")
        reply = reply_head(s)
        s.close()
        assert reply.startswith(b"HTTP/1.1 429 ") and b"Retry-After: 5" in reply, reply
    finally:
        gate.open()  # the held fetches end: no shutdown grace (10 s) to wait out
        srv.stop()
        gate.close()


def test_a_list_in_a_charset_not_taken_is_refused_before_it_is_sent():
    # a charset the service cannot read (a JSON list not UTF-8, a name iconv does not know)
    # was refused only once the whole list was in, after "100 Continue": now at its head
    srv = Serve("-q")
    try:
        for ctype in (b"application/json; charset=utf-16", b"text/plain; charset=x-no-such",
                      b"text/plain; charset"):
            s = connect(srv)
            s.sendall(b"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + ctype +
                      b"\r\nContent-Length: 1000000\r\nExpect: 100-continue\r\n\r\n")
            reply = reply_head(s)
            s.close()
            want = b"HTTP/1.1 400 " if ctype.endswith(b"charset") else b"HTTP/1.1 415 "
            assert reply.startswith(want), (ctype, reply)
        assert srv.metric("cafe_serve_jobs_created_total") == 0
    finally:
        srv.stop()


def test_an_error_naming_bytes_that_are_not_utf8_is_json():
    # a message naming what the client sent (a Content-Encoding, a charset, the client an
    # X-Forwarded-For names) may hold any byte over 0x7f, or be cut in the middle of a
    # character: jansson refused the string, and the 415 or 429 was "500 out of memory" in
    # text/plain. Each bad sequence is one U+FFFD, as in every answer's text.
    gate = Gate()
    srv = Serve("-q", "--allow-private", "--timeout", "3600", "--max-client-jobs", "1",
                "--client-header", "X-Forwarded-For")

    def post(extra, body=b"http://127.0.0.1/\n"):
        s = connect(srv)
        s.sendall(b"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                  extra + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        reply = read_all(s)
        s.close()
        head, _, data = reply.partition(b"\r\n\r\n")
        assert b"Content-Type: application/json" in head, reply
        return int(head.split()[1]), json.loads(data).get("error")

    try:
        cut = b"a" * 79 + "\u00e9".encode()  # the message keeps 80 bytes: half of the é
        for extra, status, words in (
                (b"Content-Encoding: gz\xffip\r\n", 415, "Content-Encoding gz\ufffdip "),
                (b"Content-Encoding: " + cut + b"\r\n", 415, "a" * 79 + "\ufffd is not"),
                (b'Content-Type: text/plain; charset="x\xe9y"\r\n', 415,
                 "unknown charset=x\ufffdy"),
                (b'Content-Type: application/json; charset="caf\xe9"\r\n', 415,
                 "not charset=caf\ufffd")):
            got = post(extra)
            assert got[0] == status and words in got[1], (extra, got)
        client = b"X-Forwarded-For: caf\xe9\r\nContent-Type: text/plain\r\n"
        assert post(client, gate.url("/held").encode() + b"\n")[0] == 202
        status, why = post(client)
        assert status == 429 and why.startswith("caf\ufffd has 1 jobs"), (status, why)
    finally:
        gate.open()
        srv.stop()
        gate.close()


def test_finished_jobs_do_not_hold_their_lists():
    # --jobs-kept finished jobs stay for their results, which come from the spool: each also
    # held its whole list (up to --max-body: 64 jobs of 16 MiB by default, 1 GiB), though
    # nothing reads it once the job is over. Eight finished jobs of 8 MiB lists each: their
    # records' index (16 bytes a URL, 5 MB) stays, not the 64 MiB of lists.
    srv = Serve("-q", "--max-body", str(8 << 20), "--max-job-urls", "100000",
                "--jobs-kept", "8")

    def rss_kb():
        with open(f"/proc/{srv.proc.pid}/status") as f:
            return next(int(x.split()[1]) for x in f if x.startswith("VmRSS:"))
    try:
        base = rss_kb()
        for k in range(8):
            urls = [f"http://no such host/{k}/{i:06d}/{'x' * 170}" for i in range(40000)]
            status, _, st = post_job(srv, urls)
            assert status == 202, st
            assert wait_job(srv, st["id"])["done"] == 40000
        grown = rss_kb() - base
        print(f"# 8 finished jobs of 8 MiB lists: RSS grew by {grown} kB")
        # under the sanitizers memory is theirs (shadow, quarantine): no bound
        sanitized = os.environ.get("CAFE_SANITIZE") in ("1", "ON", "TRUE")
        assert sanitized or grown < 32 * 1024, f"RSS grew by {grown} kB"
    finally:
        srv.stop()


def test_a_download_read_slowly_but_steadily_is_not_cut():
    # libmicrohttpd's idle timeout counts from its last write, and a write waits until the
    # socket's buffer (some 4 MB on loopback) is a third empty: a client reading a download
    # steadily at 300 KB/s gave the service no write for longer than --header-timeout, and
    # its file was cut in the middle (what the kernel held, then the close). What the client
    # takes of the bytes sent counts too now; a client that takes nothing is still cut.
    srv = Serve("-q", "--header-timeout", "2")
    try:
        # 6 MB of records: more than the kernel holds for the client on both sides
        urls = [f"http://no such host/{i:05d}/{'x' * 1000}" for i in range(5000)]
        status, _, st = post_job(srv, urls)
        assert status == 202, st
        wait_job(srv, st["id"])
        # HTTP/1.0: the body is the file as it is, ended by the close; a cut one is shorter
        request = f"GET /v1/jobs/{st['id']}/results HTTP/1.0\r\n\r\n".encode()
        # a receive buffer of 64 KiB: what it has not taken waits in the service's socket
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        s.settimeout(120)
        s.connect((srv.host, srv.port))
        s.sendall(request)
        got = b""
        while True:
            d = s.recv(16384)
            if not d:
                break
            got += d
            select.select([], [], [], 0.05)  # 16 KiB at a time, some 300 KB/s
        s.close()
        lines = got.split(b"\r\n\r\n", 1)[1].split(b"\n")
        assert lines[-1] == b"" and len(lines) == 5001, (len(got), len(lines))
        # each record once, in order (an invalid URL's record names its start)
        assert [json.loads(x)["url"][:25] for x in lines[:-1]] == [u[:25] for u in urls]
        # one that takes nothing more after the start is cut, at the idle timeout
        s = connect(srv)
        s.sendall(request)
        reply_head(s)
        end = time.monotonic() + PATIENCE
        n = srv.metric("cafe_serve_connections")
        while n > 1 and time.monotonic() < end:
            select.select([], [], [], 0.1)
            n = srv.metric("cafe_serve_connections")
        assert n == 1, n
        s.close()
    finally:
        srv.stop()


def raise_nofile(n):
    """Raises this process's descriptor limit (the service raises its own to the hard
    limit); the test is skipped when the hard limit is too low."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < n:
        raise Skip(f"RLIMIT_NOFILE's hard limit is {hard}, under {n}")
    if soft != resource.RLIM_INFINITY and soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, hard))


def test_a_burst_past_the_descriptor_limit_leaves_the_service_accepting():
    # More clients at once than `ulimit -n` leaves room for: accept(2) fails with EMFILE,
    # and libmicrohttpd takes its listening socket out of its epoll set until its next run.
    # Nothing caused that run once the clients had left (no timeout was due): the service
    # never accepted a connection again. Every round of the burst must leave it answering.
    limit = 40

    def few_fds():
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
    srv = Serve("-q", preexec_fn=few_fds)
    try:
        for _ in range(3):
            socks = [connect(srv) for _ in range(limit + 20)]
            # until the service holds every descriptor it may: the next accept failed
            held = settle(lambda: len(os.listdir(f"/proc/{srv.proc.pid}/fd")),
                          lambda n: n >= limit)
            assert held >= limit, held
            for s in socks:
                s.close()
            assert healthy(srv), "no answer after the burst"
    finally:
        srv.stop()


IDLE = 10000


def open_idle(srv):
    """IDLE connections to srv that send nothing."""
    socks = []
    try:
        for _ in range(IDLE):
            socks.append(connect(srv))
    except BaseException:
        for s in socks:
            s.close()
        raise
    return socks


def test_one_address_cannot_hold_every_connection():
    # 127.0.0.2 opened all of --max-connections and held them: the service accepted nobody
    # else (127.0.0.1 here) until their header timeout, and the client could open them again
    # (no header timeout cuts them: only the limit may)
    srv = Serve("-q", "--max-connections", "8", "--header-timeout", "3600")  # 2 each
    socks = []
    try:
        for _ in range(8):
            socks.append(socket.create_connection((srv.host, srv.port), timeout=120,
                                                  source_address=("127.0.0.2", 0)))
        # the six past the default are closed as soon as they are accepted, the two held
        for s in socks[2:]:
            assert closed_within(s, PATIENCE), "a connection past the peer's limit was held"
        assert healthy(srv), "127.0.0.1 not served while 127.0.0.2 holds its share"
        # its own request's connection too, once the earlier ones are closed
        held = settle(lambda: srv.metric("cafe_serve_connections"), lambda n: n == 3)
        assert held == 3, held
        assert srv.metric("cafe_serve_connections_refused_total") == 6
    finally:
        for s in socks:
            s.close()
        srv.stop()
    srv = Serve("-q", "--max-connections", "8", "--max-client-connections", "8")
    socks = []
    try:
        for _ in range(6):  # room left for the metrics' own
            socks.append(socket.create_connection((srv.host, srv.port), timeout=120,
                                                  source_address=("127.0.0.2", 0)))
        held = settle(lambda: srv.metric("cafe_serve_connections"), lambda n: n >= 7)
        assert held >= 7, held
    finally:
        for s in socks:
            s.close()
        srv.stop()


def test_ten_thousand_idle_connections_are_held():
    raise_nofile(IDLE + 500)
    # No header timeout can fire while they are opened, however long that takes: the check
    # is that the service holds 10,000 at once, never how fast it accepts them.
    srv = Serve("-q", "--max-connections", str(IDLE + 100), "--max-client-connections",
                str(IDLE + 100), "--header-timeout", "3600")
    socks = []
    try:
        base = srv.rss_kb()
        base_conns = srv.metric("cafe_serve_connections")  # this request's own connection
        socks = open_idle(srv)
        assert healthy(srv), "not answering with 10,000 connections open"
        # wait (bounded) until the service has accepted them all: it counts them itself
        held = settle(lambda: srv.metric("cafe_serve_connections"), lambda n: n >= IDLE)
        assert held >= IDLE, f"{held} connections held"
        grown = srv.rss_kb() - base
        print(f"# {IDLE} idle connections: peak RSS grew by {grown} kB", flush=True)
        # under the sanitizers memory is theirs (shadow, quarantine): no bound
        sanitized = os.environ.get("CAFE_SANITIZE") in ("1", "ON", "TRUE")
        assert sanitized or grown < 100 * 1024, f"{grown} kB for {IDLE} idle connections"
        # clients that leave are released, all of them
        for s in socks:
            s.close()
        socks = []
        left = settle(lambda: srv.metric("cafe_serve_connections"), lambda n: n <= base_conns)
        assert left <= base_conns, (left, base_conns)
        assert healthy(srv)
    finally:
        for s in socks:
            s.close()
        srv.stop()


def test_ten_thousand_idle_connections_are_cut_by_the_header_timeout():
    raise_nofile(IDLE + 500)
    # a short timeout: some are cut while the others are still being opened, which is fine,
    # as the check is only that every one of them is closed by the service in the end
    srv = Serve("-q", "--max-connections", str(IDLE + 100), "--max-client-connections",
                str(IDLE + 100), "--header-timeout", "1")
    socks = []
    try:
        socks = open_idle(srv)
        for s in socks:
            assert closed_within(s, PATIENCE), "an idle connection was never closed"
        assert healthy(srv)
    finally:
        for s in socks:
            s.close()
        srv.stop()


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def gauges(srv):
    """(connections, descriptors) of the service; the descriptors are counted first, before
    the connection that asks for the gauge exists."""
    fds = open_fds(srv.proc.pid)
    return srv.metric("cafe_serve_connections"), fds


def test_clients_that_leave_suspended_requests_are_released():
    # A job whose pages are not answered before the test ends (a gate, and no fetch timeout)
    # and whose results stream has nothing to send: each stream's connection is suspended,
    # waiting for a record. Clients that open one and go away must not leave it behind until
    # the next record, which may be a long time coming.
    gate = Gate()
    srv = Serve("-q", "--allow-private", "--timeout", "3600")
    try:
        status, _, st = post_job(srv, [gate.url(f"/page/{i}") for i in range(4)])
        assert status == 202, st
        gate.wait_arrived(4)  # the job's fetches have their descriptors: counted in base_fds
        assert healthy(srv), "/healthz"
        base_conns, base_fds = gauges(srv)
        for _ in range(5):
            socks = []
            for _ in range(100):
                s = connect(srv)
                s.sendall(f"GET /v1/jobs/{st['id']}/results HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                          .encode())
                socks.append(s)
            for s in socks:  # the answer's head: the stream is open and waiting
                head = reply_head(s)
                assert head.startswith(b"HTTP/1.1 200"), head[:100]
            for s in socks:
                s.close()
        # every dropped stream is noticed and released while the job still runs (bounded
        # wait: no record comes before the gate opens, and a stream has no header timeout)
        g = settle(lambda: gauges(srv), lambda g: g[0] <= base_conns and g[1] <= base_fds)
        assert g[0] <= base_conns and g[1] <= base_fds, (g, base_conns, base_fds)
        _, _, job = srv.json("GET", f"/v1/jobs/{st['id']}")
        assert job["state"] == "running" and job["done"] == 0, job
        srv.json("DELETE", f"/v1/jobs/{st['id']}")
        # the same for title requests waiting for a slow fetch: the fetch goes on (for the
        # cache), the connections of the clients that left do not
        slow = urllib.parse.quote(gate.url("/page/99"), safe="")
        socks = []
        for _ in range(100):
            s = connect(srv)
            s.sendall(f"GET /v1/title?url={slow} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            socks.append(s)
        shared = settle(lambda: srv.metric("cafe_serve_cache_shared_total"), lambda n: n >= 99)
        assert shared == 99, shared  # all waiting, suspended
        for s in socks:
            s.close()
        # the fetch's own connection to the gate is the one descriptor more (the job's four
        # are gone with the job)
        g = settle(lambda: gauges(srv), lambda g: g[0] <= base_conns and g[1] <= base_fds + 1)
        assert g[0] <= base_conns and g[1] <= base_fds + 1, (g, base_conns, base_fds)
        # and so do their waits: each held a task and room under --max-connections until
        # the fetch ended, so that a client asking for one tarpit page on connection after
        # connection, hanging up each time, filled that room and every other client's miss
        # got 503; the fetch's own lookup is the one left
        w = settle(lambda: srv.metric("cafe_serve_title_lookups_waiting"), lambda n: n <= 1)
        assert w == 1, w
        # the fetch is still held: the waits ended without it (its request may reach the gate
        # after them on a loaded machine: the lookup starts it, the gate counts it on arrival)
        gate.wait_arrived(4 + 1)
        assert gate.arrived == 4 + 1, gate.arrived
    finally:
        gate.open()  # the held fetches end: no shutdown grace (10 s) to wait out
        srv.stop()
        gate.close()


def labelled(srv, line_start):
    """The value of the /metrics line starting with line_start (a name and its labels)."""
    _, _, data = srv.request("GET", "/metrics")
    for line in data.decode().splitlines():
        if line.startswith(line_start + " "):
            return float(line.split()[1])
    raise AssertionError(f"no metric {line_start}")


def test_title_lookups_whose_clients_left_are_bounded():
    # A title lookup's fetch goes on when its client leaves (for the cache), each with a task
    # and its stack: a client that sent lookups of slow pages and hung up at once left a
    # fetch behind every time, 5,000 of them in 2.5 s (+45 MB), without end. At most
    # --max-connections lookups wait at once (that many clients could be waiting); past it
    # a lookup that needs a fetch is 503 with Retry-After, a cached title still answered.
    gate, quick = Gate(), Gate()
    quick.open()
    srv = Serve("-q", "--allow-private", "--timeout", "3600", "--max-connections", "20",
                "--max-client-connections", "20")  # every lookup is 127.0.0.1's
    try:
        cached = urllib.parse.quote(quick.url("/cached"), safe="")
        assert srv.request("GET", f"/v1/title?url={cached}")[0] == 200
        for i in range(100):
            s = connect(srv)
            url = urllib.parse.quote(gate.url(f"/left/{i}"), safe="")
            s.sendall(f"GET /v1/title?url={url} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            s.close()
        seen = settle(lambda: labelled(srv, 'cafe_serve_requests_total{route="title"}'),
                      lambda n: n >= 101)
        assert seen == 101, seen  # every lookup was read and handled
        # the limit, in sight: the 20 lookups' tasks start their fetches on the loop's next
        # turn, which a request read in the same turn as the last lookup may come before
        # (CI under ASan failed a single read once)
        gauges = settle(lambda: (srv.metric("cafe_serve_fetches_in_flight"),
                                 srv.metric("cafe_serve_title_lookups_waiting")),
                        lambda g: g == (20, 20))
        assert gauges == (20, 20), gauges
        probe = urllib.parse.quote(quick.url("/probe"), safe="")
        status, h, err = srv.json("GET", f"/v1/title?url={probe}")
        assert status == 503 and h.get("retry-after") == "1", (status, h, err)
        assert "title lookups" in err["error"], err
        status, h, _ = srv.request("GET", f"/v1/title?url={cached}")
        assert status == 200 and h["x-cache"] == "hit", (status, h)
        gate.open()  # the fetches end: lookups are taken again
        ok = settle(lambda: srv.request("GET", f"/v1/title?url={probe}")[0], lambda s: s == 200)
        assert ok == 200, ok
    finally:
        gate.open()
        srv.stop()
        gate.close()
        quick.close()


def test_the_title_cache_holds_its_size_with_its_prepared_hits():
    # A hit is answered with a response prepared for the entry (the record copied, and ten
    # headers), which the cache did not count: --cache-size 16 MB of 20,000 entries, each
    # hit once, held +48 MB (1.6 KB of answer beside 460 bytes counted an entry). It is
    # counted now, and the least recently used entries go for it.
    pages = PageServer(lambda path: (b"<title>" + b"t" * 40 + b"</title>", "text/html"))
    size = 8 << 20
    srv = Serve("-q", "--allow-private", "--cache-size", str(size))
    try:
        base = srv.rss_kb()
        s = connect(srv)
        f = s.makefile("rb")
        for i in range(10000):  # 4.6 MB of entries as counted before: all of them kept
            url = urllib.parse.quote(pages.url(f"/{i}"), safe="")
            for _ in range(2):  # a miss, then a hit: its answer is prepared
                s.sendall(f"GET /v1/title?url={url} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                          .encode())
                length = 0
                for line in iter(f.readline, b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split()[1])
                assert len(f.read(length)) == length
        s.close()
        assert srv.metric("cafe_serve_cache_hits_total") == 10000
        assert srv.metric("cafe_serve_cache_bytes") <= size
        grown = srv.rss_kb() - base
        print(f"# 10,000 titles cached and hit under --cache-size 8 MiB: peak RSS +{grown} kB")
        sanitized = os.environ.get("CAFE_SANITIZE") in ("1", "ON", "TRUE")
        assert sanitized or grown < 2 * size // 1024, f"RSS grew by {grown} kB"
    finally:
        srv.stop()
        pages.close()


def test_a_write_error_stays_the_jobs_after_a_restart():
    d = tempfile.mkdtemp(prefix="cafe-serve-")
    # records of invalid URLs come at once; the spool can take a few of them only
    srv = Serve("-q", "--data-dir", d, preexec_fn=small_files(4096))
    urls = [f"http://no such host/{i}" for i in range(100)]
    status, _, st = post_job(srv, urls)
    assert status == 202, st
    st = wait_job(srv, st["id"])
    assert st["state"] == "cancelled" and st["error"] == os.strerror(errno.EFBIG), st
    assert 0 < st["done"] < 100, st
    srv.stop()
    srv = Serve("-q", "--data-dir", d)
    try:
        _, _, again = srv.json("GET", f"/v1/jobs/{st['id']}")
        assert again["state"] == "cancelled" and again["error"] == st["error"], again
        assert again["done"] == st["done"], again
    finally:
        srv.stop()
    shutil.rmtree(d)


def on_a_full_disk(test):
    """Runs test(args, prefix, status): args the options of a `cafe serve` whose --data-dir
    is on a 256 KiB tmpfs in a mount namespace of its own (Serve(*args, prefix=prefix)) and
    whose --db is elsewhere, status the final status of a job there of 128 KiB of list whose
    records (400 bytes each) filled the disk a few hundred in: a real full disk, not a file
    size limit, on which no new file can be written either."""
    d, dbdir = tempfile.mkdtemp(prefix="cafe-serve-"), tempfile.mkdtemp(prefix="cafe-serve-")
    try:
        m = small_tmpfs(d, 256, os.getuid())
    except OSError as e:
        shutil.rmtree(d)
        shutil.rmtree(dbdir)
        raise Skip(str(e))
    args = ("-q", "--data-dir", os.path.join(d, "jobs"),
            "--db", f"sqlite:{dbdir}/titles.sqlite")
    urls = [f"http://no such host/{i:05d}/{'x' * 300}" for i in range(400)]
    try:
        srv = Serve(*args, prefix=m.inside())
        try:
            status, _, st = post_job(srv, urls)
            assert status == 202, st
            st = wait_job(srv, st["id"])
        finally:
            srv.stop()
        assert st["state"] == "cancelled" and st["error"] == os.strerror(errno.ENOSPC), st
        assert 0 < st["done"] < 400, st
        test(args, m.inside(), st)
    finally:
        m.close()
        shutil.rmtree(d)
        shutil.rmtree(dbdir)


def test_a_full_disk_keeps_the_jobs_end_and_error_after_a_restart():
    # the job's end mark, written when the spool could take no more, was left empty: after a
    # restart the job was cancelled for no reason given (or, with no room for the file at
    # all, unfinished and resumed). Its room is kept from its start.
    def restart(args, prefix, st):
        srv = Serve(*args, prefix=prefix)
        try:
            _, _, again = srv.json("GET", f"/v1/jobs/{st['id']}")
        finally:
            srv.stop()
        assert again["state"] == "cancelled" and again.get("error") == st["error"], again
        assert again["done"] == st["done"], again
    on_a_full_disk(restart)


def test_a_job_stopped_by_a_full_disk_ends_its_database_run_failed():
    # not "interrupted", the state of a run that a restart continues: this one never will be
    # (the database is elsewhere, on a disk with room: only the job's own files failed)
    def run_failed(args, prefix, st):
        import sqlite3
        db = sqlite3.connect(args[-1][len("sqlite:"):])
        runs = [(s, json.loads(o)["job"])
                for s, o in db.execute("SELECT status, options FROM runs")]
        db.close()
        assert runs == [("failed", st["id"])], runs
    on_a_full_disk(run_failed)


def test_a_large_json_list_costs_its_size_not_a_tree():
    # 16 MiB of JSON elements, refused at the first (a blank string, then not a string):
    # the body was parsed whole into a tree first, 30 times its size, holding the loop for
    # seconds; a URL list of the same size must stay within a few times the body too
    srv = Serve("-q", "--max-job-urls", "1000000")
    try:
        base = srv.rss_kb()
        json_type = {"Content-Type": "application/json"}
        count = (16 << 20) // 3 - 10
        for element, error in (('""', "one URL"), ("[]", "JSON array of strings")):
            body = "[" + ",".join([element] * count) + "]"
            status, _, err = srv.json("POST", "/v1/jobs", body=body, headers=json_type)
            assert status == 400 and error in err["error"], (status, err)
        urls = [f"http://no such host/{i:07}" for i in range(500000)]
        status, _, st = srv.json("POST", "/v1/jobs", body=json.dumps(urls), headers=json_type)
        assert status == 202 and st["total"] == len(urls), st
        grown = srv.rss_kb() - base
        print(f"# a JSON list of 500,000 URLs: peak RSS grew by {grown} kB")
        # under the sanitizers memory is theirs (shadow, quarantine): no bound
        sanitized = os.environ.get("CAFE_SANITIZE") in ("1", "ON", "TRUE")
        assert sanitized or grown < 128 * 1024, f"peak RSS grew by {grown} kB"
        srv.request("DELETE", f"/v1/jobs/{st['id']}")
    finally:
        srv.stop()


def test_job_lists_being_sent_share_max_jobs_bodies():
    # every connection may send a list of up to --max-body, but the service holds at most
    # --max-jobs of them at once: a thousand slow uploads must not make it hold a thousand
    srv = Serve("-q", "--max-jobs", "1", "--max-body", str(1 << 20))
    a = connect(srv)
    try:
        line = b"http://no such host/" + b"x" * 80 + b"\n"
        body = line * ((1 << 20) // len(line))
        a.sendall(b"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body))
        a.sendall(body[:900 << 10])
        held = settle(lambda: srv.metric("cafe_serve_job_list_bytes"), lambda n: n >= 900 << 10)
        assert held >= 900 << 10, held
        # (the first holds what its length needs: a list of a few bytes would fit beside it)
        status, h, err = post_job(srv, ["http://no such host/" + "b" * 200])
        assert status == 429 and h["retry-after"] == "5", (status, err)
        assert "too many job lists" in err["error"], err
        a.sendall(body[900 << 10:])  # the first list, whole, becomes a job
        assert b" 202 " in reply_head(a).split(b"\r\n", 1)[0]
        held = settle(lambda: srv.metric("cafe_serve_job_list_bytes"), lambda n: n == 0)
        assert held == 0, held
    finally:
        a.close()
        srv.stop()



def test_a_list_sent_while_the_list_memory_is_full_is_refused_before_it_is_sent():
    # with the lists being received holding --max-jobs times --max-body, a list sent with
    # "Expect: 100-continue" got "100 Continue", was read in full, then answered 429: now
    # the 429 comes at its head, and so for one whose declared length does not fit what is
    # left, while one that fits is taken
    srv = Serve("-q", "--max-jobs", "1", "--max-body", str(1 << 20))
    line = b"http://no such host/" + b"x" * 80 + b"\n"

    def held_list(size, sent):
        body = line * (size // len(line))
        a = connect(srv)
        a.sendall(b"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body))
        a.sendall(body[:sent])
        held = settle(lambda: srv.metric("cafe_serve_job_list_bytes"), lambda n: n >= sent)
        assert held >= sent, held
        return a, body[sent:]

    def expect(framing):
        s = connect(srv)
        s.sendall(b"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain"
                  b"\r\n%s\r\nExpect: 100-continue\r\n\r\n" % framing)
        reply = reply_head(s)
        return s, reply

    def idle():  # the job made is over: --max-jobs refuses no list after it
        running = settle(lambda: srv.metric("cafe_serve_jobs_running"), lambda n: n == 0)
        assert running == 0, running

    def refused(framing):
        s, reply = expect(framing)
        s.close()
        assert reply.startswith(b"HTTP/1.1 429 ") and b"Retry-After: 5" in reply, reply

    try:
        a, rest = held_list(1 << 20, 600 << 10)  # the whole room, once it is in
        refused(b"Content-Length: 1000")
        refused(b"Transfer-Encoding: chunked")
        a.sendall(rest)  # the first list, whole, becomes a job
        assert b" 202 " in reply_head(a).split(b"\r\n", 1)[0]
        a.close()
        idle()
        a, rest = held_list(512 << 10, 300 << 10)  # half the room
        refused(b"Content-Length: %d" % (600 << 10))
        s, reply = expect(b"Content-Length: %d" % len(line))
        assert reply.startswith(b"HTTP/1.1 100 Continue"), reply
        s.sendall(line)
        assert b" 202 " in reply_head(s).split(b"\r\n", 1)[0]
        s.close()
        idle()
        a.sendall(rest)
        assert b" 202 " in reply_head(a).split(b"\r\n", 1)[0]
        a.close()
    finally:
        srv.stop()

run_tests(globals())
