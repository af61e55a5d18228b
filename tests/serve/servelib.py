"""Helpers of the `cafe serve` tests: start the service, talk HTTP to it (stdlib only)."""
import http.client
import json
import os
import select
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.environ["CAFE_SOURCE_DIR"], "tests", "util"))
from harness import CAFE  # noqa: E402,F401


class Serve:
    """`cafe serve --listen 127.0.0.1:0` in a child process; waits for its first line."""

    def __init__(self, *args, env=None):
        self.proc = subprocess.Popen([CAFE, "serve", "--listen", "127.0.0.1:0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        ready, _, _ = select.select([self.proc.stdout], [], [], 30)
        assert ready, "cafe serve printed nothing within 30 s"
        line = self.proc.stdout.readline().decode()
        assert line.startswith("listening on http://"), (line, self.proc.stderr.read())
        self.origin = line.split()[2]
        hostport = self.origin[len("http://"):]
        self.host, port = hostport.rsplit(":", 1)
        self.port = int(port)

    def conn(self, timeout=60):
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=60):
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

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=timeout)
        # a clean stop exits 0; under the sanitizers a leak or error report would not
        assert self.proc.returncode == 0 and b"Sanitizer" not in err, err[-2000:]
        return self.proc.returncode, out, err


def post_job(srv, urls, headers=None):
    h = {"Content-Type": "text/plain"}
    h.update(headers or {})
    return srv.json("POST", "/v1/jobs", body="\n".join(urls) + "\n", headers=h)


def wait_job(srv, job_id, states=("done", "cancelled"), timeout=120):
    """Polls the job's status until it is in one of `states` (bounded)."""
    import time
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        _, _, st = srv.json("GET", f"/v1/jobs/{job_id}")
        if st["state"] in states:
            return st
        select.select([], [], [], 0.05)
    raise AssertionError(f"job {job_id} not {states} within {timeout} s: {st}")
