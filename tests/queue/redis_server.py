"""A real redis-server for the queue tests: started on a free loopback port with its own
temporary directory, ready when it logs 'Ready to accept connections' and answers PING (never
slept for), plus a minimal RESP client (stdlib only) to look inside."""
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.environ["CAFE_SOURCE_DIR"], "tests", "util"))
from harness import free_port  # noqa: E402


class RedisServer:
    def __init__(self, *conf, password=None):
        self.dir = tempfile.mkdtemp(prefix="cafe-redis-")
        self.conf = list(conf)
        self.password = password
        if password:
            self.conf += ["--requirepass", password]
        self.port = None
        self.proc = None
        self.start()

    def start(self):
        """Starts (or restarts, on the same port and directory: the AOF is read back)."""
        for _ in range(20):  # a port taken between the probe and redis's bind: try another
            port = self.port or free_port()
            self.proc = subprocess.Popen(
                ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", self.dir,
                 "--save", "", "--protected-mode", "no", *self.conf],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if self._wait_ready():
                self.port = port
                assert self.cmd("PING") == "PONG"
                return
            self.proc.kill()
            self.proc.wait()
            if self.port:
                raise AssertionError("redis-server did not restart on its port")
        raise AssertionError("redis-server did not start")

    def _wait_ready(self):
        buf = b""
        while b"Ready to accept connections" not in buf:
            ready, _, _ = select.select([self.proc.stdout], [], [], 30)
            if not ready:
                return False
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                return False  # exited (e.g. port in use)
            buf += chunk
        return True

    def url(self, queue, auth=""):
        return f"redis://{auth}127.0.0.1:{self.port}/0?queue={queue}"

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def close(self):
        if self.proc.poll() is None:
            self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    # ---- a minimal RESP client -------------------------------------------------------------
    def cmd(self, *args):
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as s:
            f = s.makefile("rb")
            if self.password:
                s.sendall(_encode("AUTH", self.password))
                _read(f)
            s.sendall(_encode(*args))
            return _read(f)


def _encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def _read(f):
    line = f.readline()
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RuntimeError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)[:-2]
        return data.decode()
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_read(f) for _ in range(n)]
    raise RuntimeError(f"bad RESP line {line!r}")
