"""Test harness helpers for end-to-end tests (python3, stdlib only): start the fixture server
and nginx on loopback, wait for readiness (never sleep for it), run the cafe binary."""
import ctypes
import os
import select
import signal
import shutil
import socket
import subprocess
import tempfile
import time

BUILD = os.environ["CAFE_BUILD_DIR"]
CAFE = os.path.join(BUILD, "src", "cli", "cafe")
FIXTURE = os.path.join(BUILD, "src", "fixture", "cafe-fixture")
PR_SET_PDEATHSIG = 1
_prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up here, not in a forked child


def dies_with_us():
    """preexec_fn for servers the test starts: SIGTERM when the test's process ends, however
    it ends, so that a crashed test leaves no server holding ctest's output pipe."""
    if _prctl(PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")


class Fixture:
    """cafe-fixture in a child process; ports[i] is site i's port."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([FIXTURE, "--exit-on-eof", *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)
        ready, _, _ = select.select([self.proc.stdout], [], [], 30)
        assert ready, "cafe-fixture printed no ready line within 30 s"
        line = self.proc.stdout.readline().decode().split()
        assert line and line[0] == "ready", line
        self.host = line[1]
        self.ports = [int(p) for p in line[2:]]

    def url(self, site, path):
        return f"http://{self.host}:{self.ports[site]}{path}"

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def free_ports(n):
    """n distinct loopback ports nothing listens on now: all are bound at once while they are
    chosen, since a port probed and closed can be handed out again by the next probe (two
    servers of one test on one port would answer for each other)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def free_port():
    return free_ports(1)[0]


class Nginx:
    """nginx serving `root` on a free loopback port, with a generated config; or, given
    server (a function of the port giving a server block), that block instead."""

    def __init__(self, root=None, server=None):
        self.dir = tempfile.mkdtemp(prefix="cafe-nginx-")
        self.root = root
        for attempt in range(20):  # a port taken between our probe and nginx's bind: retry
            self.port = free_port()
            block = server(self.port) if server else (
                f"server {{ listen 127.0.0.1:{self.port}; root {root}; charset_types text/html; }}")
            conf = os.path.join(self.dir, "nginx.conf")
            with open(conf, "w") as f:
                f.write(f"""daemon off; master_process off; worker_processes 1;
user root; pid {self.dir}/nginx.pid; error_log {self.dir}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off; types {{ text/html html; }} default_type application/octet-stream;
  client_body_temp_path {self.dir}; proxy_temp_path {self.dir}; fastcgi_temp_path {self.dir};
  uwsgi_temp_path {self.dir}; scgi_temp_path {self.dir};
  {block}
}}
""")
            self.proc = subprocess.Popen(["nginx", "-c", conf, "-p", self.dir],
                                         stderr=subprocess.DEVNULL, preexec_fn=dies_with_us)
            if self._wait_ready():
                return
            self.proc.kill()
            self.proc.wait()
        raise AssertionError("nginx did not start")

    def _wait_ready(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            except OSError:
                select.select([], [], [], 0.01)  # poll the port, bounded by the deadline
        return False

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


class HeadServer:
    """A loopback HTTP server for one request per connection: reads each request's head and
    sends what reply(head) returns (bytes; None sends nothing), then closes. One connection
    at a time, in one thread: what reply touches needs no lock. Port 0: any free one."""

    def __init__(self, reply, port=0):
        import threading
        self.reply = reply
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(256)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def read_head(self, conn):
        """The request's head (with what came with it), b"" if the client sent nothing."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        return data

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.handle(conn)

    def handle(self, conn):
        """One connection, on the accepting thread: read the head, answer, close."""
        with conn:
            data = self.read_head(conn)
            out = self.reply(data) if data else None
            if out:
                conn.sendall(out)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self):
        self.sock.close()


class HoldServer(HeadServer):
    """A HeadServer that serves every connection at once, each in a thread of its own, and
    holds every reply until release(): a test sees requests in flight (wait_for(n): n heads
    have arrived) and chooses when they end."""

    def __init__(self, reply):
        import threading
        self.cond = threading.Condition()
        self.heads = []
        self.released = False
        super().__init__(reply)

    def handle(self, conn):
        import threading
        threading.Thread(target=self._hold, args=(conn,), daemon=True).start()

    def _hold(self, conn):
        with conn:
            head = self.read_head(conn)
            with self.cond:
                self.heads.append(head)
                self.cond.notify_all()
                self.cond.wait_for(lambda: self.released)
            try:
                conn.sendall(self.reply(head))
            except OSError:
                pass  # the client gave up on it (cancelled): nothing to tell it

    def wait_for(self, n, timeout=60):
        """Blocks until n request heads have arrived (bounded: an AssertionError after
        timeout seconds, so that a run that never asks cannot hang the suite)."""
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.heads) >= n, timeout), len(self.heads)

    def release(self):
        with self.cond:
            self.released = True
            self.cond.notify_all()


def http_reply(body, ctype=b"text/html"):
    """A complete HTTP/1.1 200 reply that closes the connection; ctype None sends none."""
    head = b"HTTP/1.1 200 OK\r\n" + (b"Content-Type: " + ctype + b"\r\n" if ctype else b"")
    return head + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body


def cafe(*args, input=None, timeout=300, **kw):
    """Runs the cafe binary; returns CompletedProcess with bytes stdout/stderr."""
    return subprocess.run([CAFE, *args], input=input, capture_output=True, timeout=timeout, **kw)


class Skip(Exception):
    """Raised by a test that cannot run on this machine (it says why); counted apart."""


def run_tests(namespace, cleanup=()):
    """Runs every test_* function of namespace in order, reporting each and going on after a
    failure (one must not hide the others); then the cleanups; exits 1 if any failed.
    CAFE_TEST_ONLY (a regular expression) runs only the tests whose names it matches: to
    repeat one test of a suite, e.g. while chasing a flake."""
    import re
    import sys
    import traceback

    def where(e):
        # the frames from the test down, as file:line and the line itself: a rare failure
        # (one CI run in a hundred) is read from the log alone, as no rerun may show it
        tb = traceback.extract_tb(e.__traceback__)[1:]
        return " > ".join(f"{os.path.basename(f.filename)}:{f.lineno} {f.line}" for f in tb)

    only = re.compile(os.environ.get("CAFE_TEST_ONLY", ""))
    passed = failed = skipped = 0
    for name, fn in list(namespace.items()):
        if not (name.startswith("test_") and callable(fn) and only.search(name)):
            continue
        try:
            fn()
            passed += 1
            print(f"ok - {name}", flush=True)
        except Skip as e:
            skipped += 1
            print(f"SKIP - {name}: {e}", flush=True)
        except Exception as e:
            failed += 1
            print(f"FAIL - {name}: {e!r}\n  at {where(e)}", flush=True)
    for close in cleanup:
        close()
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    sys.exit(1 if failed else 0)
