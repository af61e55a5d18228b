"""Helpers of the `cafe serve` tests: start the service, talk HTTP to it (stdlib only)."""
import http.client
import json
import os
import array
import fcntl
import select
import signal
import socket
import subprocess
import sys
import termios
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.environ["CAFE_SOURCE_DIR"], "tests", "util"))
from harness import CAFE  # noqa: E402,F401

# The bound on every wait that ends as soon as its condition holds (readiness, an answer, a
# job's state): generous, as a loaded machine or the sanitizers may stall the service for
# tens of seconds, and no check may depend on speed. CTest's timeout is the real cap.
PATIENCE = 300


class Serve:
    """`cafe serve --listen 127.0.0.1:0` in a child process; waits for its first line.
    prefix: a command that runs it (nsenter into a mount namespace)."""

    def __init__(self, *args, env=None, preexec_fn=None, prefix=()):
        self.proc = subprocess.Popen([*prefix, CAFE, "serve", "--listen", "127.0.0.1:0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                     preexec_fn=preexec_fn)
        ready, _, _ = select.select([self.proc.stdout], [], [], PATIENCE)
        assert ready, f"cafe serve printed nothing within {PATIENCE} s"
        line = self.proc.stdout.readline().decode()
        assert line.startswith("listening on http://"), (line, self.proc.stderr.read())
        self.origin = line.split()[2]
        hostport = self.origin[len("http://"):]
        self.host, port = hostport.rsplit(":", 1)
        self.port = int(port)

    def conn(self, timeout=PATIENCE):
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=PATIENCE):
        """Returns (status, headers dict (lower-case names), body bytes)."""
        c = self.conn(timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()

    def json(self, method, path, **kw):
        status, hdrs, data = self.request(method, path, **kw)
        return status, hdrs, json.loads(data) if data else None

    def metric(self, name, headers=None):
        _, _, data = self.request("GET", "/metrics", headers=headers)
        for line in data.decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        raise AssertionError(f"no metric {name}")

    def rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        raise AssertionError("no VmHWM")

    def exited(self):
        """Waits for the process, which a stop under way ends by itself: it exits 0."""
        self.proc.wait(PATIENCE)
        assert self.proc.returncode == 0, (self.proc.returncode, self.proc.stderr.read())

    def kill(self):
        """Ends the process if a failed test left it running."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()

    def stop(self, sig=signal.SIGTERM, timeout=PATIENCE):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=timeout)
        # a clean stop exits 0; under the sanitizers a leak or error report would not
        assert self.proc.returncode == 0 and b"Sanitizer" not in err, err[-2000:]
        return self.proc.returncode, out, err


class Gate:
    """A loopback site whose pages are answered only once open() has been called: URLs that
    must still be unfinished when the test stops the service. (A fixture page's delay would
    be a guess at the machine's speed: a stalled machine outran it.)"""

    def __init__(self):
        self.opened = threading.Event()
        gate = self
        self.arrived = 0  # requests received so far
        self.cond = threading.Condition()

        class Page(BaseHTTPRequestHandler):
            def do_GET(self):
                with gate.cond:
                    gate.arrived += 1
                    gate.cond.notify_all()
                gate.opened.wait()
                body = f"<html><head><title>gate {self.path}</title></head></html>".encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # a fetch the stopped service abandoned
                    pass

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # abandoned fetches: expected

        self.srv = Server(("127.0.0.1", 0), Page)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_arrived(self, n):
        """Waits (bounded) until n requests have arrived."""
        with self.cond:
            assert self.cond.wait_for(lambda: self.arrived >= n, PATIENCE), self.arrived

    def open(self):
        self.opened.set()

    def close(self):
        self.opened.set()
        self.srv.shutdown()
        self.srv.server_close()


def ProxyNginx(port):
    """nginx on loopback as a reverse proxy in front of the service at port, configured as an
    operator would (HTTP/1.1 upstream, Host localhost for a tokenless service, X-Real-IP),
    its other settings nginx's defaults (proxy_buffering on). Skips (77) without nginx."""
    import shutil
    from harness import Nginx, Skip
    if not shutil.which("nginx"):
        raise Skip("nginx is not installed")
    return Nginx(server=lambda own: f"""server {{
    listen 127.0.0.1:{own};
    location / {{
      proxy_pass http://127.0.0.1:{port};
      proxy_http_version 1.1;
      proxy_set_header Host localhost;
      proxy_set_header X-Real-IP $remote_addr;
    }}
  }}""")


def small_files(limit):
    """A preexec_fn for Serve: files may not grow past limit bytes; a write past it fails
    with EFBIG (SIGXFSZ ignored), as a full disk fails with ENOSPC."""
    import resource

    def pre():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return pre


def refused_at_start(*args, env=None):
    """`cafe serve --listen 127.0.0.1:0 ARGS` must refuse to start: exit 2 with nothing on
    stdout. A service that starts anyway (its `listening on` line) is stopped and the check
    fails at once, not at a timeout. Returns its stderr."""
    p = subprocess.Popen([CAFE, "serve", "--listen", "127.0.0.1:0", *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    ready, _, _ = select.select([p.stdout], [], [], PATIENCE)
    line = p.stdout.readline() if ready else b"(nothing within PATIENCE)"
    if line:
        p.terminate()
    _, err = p.communicate(timeout=PATIENCE)
    assert (line, p.returncode) == (b"", 2), (args, line, p.returncode, err)
    return err


def sent(c, data):
    """Sends data on socket c and returns once the service's kernel has it (acknowledged:
    nothing left in c's send queue). sendall returns when the bytes are queued here; on a
    loaded machine they may reach the service's socket after a signal sent next, and a
    stopping service then takes the connection for an idle one and closes it."""
    c.sendall(data)
    queued = array.array("i", [0])
    end = time.monotonic() + PATIENCE
    while time.monotonic() < end:
        fcntl.ioctl(c.fileno(), termios.TIOCOUTQ, queued)  # SIOCOUTQ: unsent or unacked
        if queued[0] == 0:
            return
        time.sleep(0.001)
    raise AssertionError(f"{queued[0]} bytes never acknowledged")


def reply_head(s):
    """Reads up to the end of an answer's head (what came with it too); asserts it came."""
    head = b""
    while b"\r\n\r\n" not in head:
        d = s.recv(65536)
        assert d, head
        head += d
    return head


def kept_alive(srv):
    """A connection to srv with a request answered on it (/healthz): accepted, not left in
    the listening socket's backlog (which a stop resets), idle and kept alive."""
    c = socket.create_connection((srv.host, srv.port), timeout=PATIENCE)
    c.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    reply = b""
    while not reply.endswith(b'{"status":"ok"}\n'):
        d = c.recv(65536)
        assert d, reply
        reply += d
    return c


def half_sent(srv, request_line):
    """A kept-alive connection with a request's head then sent but for its last line end:
    under way."""
    c = kept_alive(srv)
    sent(c, b"%s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % request_line.encode())
    return c


def read_to_close(c):
    """All c receives until the other side closes; c is closed then."""
    got = b""
    while True:
        d = c.recv(65536)
        if not d:
            break
        got += d
    c.close()
    return got


def ended(c):
    """Ends c's half-sent head; the answer's head and body, read to the close (a stopping
    service answers with Connection: close)."""
    c.sendall(b"\r\n")
    head, body = read_to_close(c).split(b"\r\n\r\n", 1)
    return head, body


def post_job(srv, urls, headers=None):
    h = {"Content-Type": "text/plain"}
    h.update(headers or {})
    return srv.json("POST", "/v1/jobs", body="\n".join(urls) + "\n", headers=h)


def post_from(s, source, urls, headers=None):
    """POST a job from the loopback address source (a client of its own)."""
    c = http.client.HTTPConnection(s.host, s.port, timeout=PATIENCE,
                                   source_address=(source, 0))
    try:
        c.request("POST", "/v1/jobs", body="\n".join(urls) + "\n",
                  headers={"Content-Type": "text/plain", **(headers or {})})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, json.loads(r.read())
    finally:
        c.close()


def settle(probe, done):
    """Calls probe() until done(its value) holds, or PATIENCE has passed; returns the last
    value, for the caller to assert on. (A fresh probe may see more than it should: the
    service may not yet have closed the connection of the one before.)"""
    end = time.monotonic() + PATIENCE
    while True:
        v = probe()
        if done(v) or time.monotonic() >= end:
            return v
        select.select([], [], [], 0.05)


def wait_status(srv, job_id, ok, what, timeout=PATIENCE):
    """Polls the job's status until ok(status) (bounded); returns that status."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        _, _, st = srv.json("GET", f"/v1/jobs/{job_id}")
        if ok(st):
            return st
        select.select([], [], [], 0.05)
    raise AssertionError(f"job {job_id} not {what} within {timeout} s: {st}")


def wait_job(srv, job_id, states=("done", "cancelled"), timeout=PATIENCE):
    """Polls the job's status until it is in one of `states` (bounded)."""
    return wait_status(srv, job_id, lambda st: st["state"] in states, states, timeout)
