"""Helpers of the fault suites (python3, stdlib only), beside tests/util/harness.py's (whose
run_tests runs them): a run of `cafe titles --json` returning its records, a tiny raw socket server for responses neither the fixture nor
nginx can give, a tiny HTTP/2 one for a GOAWAY at a chosen moment, and nginx serving TLS with certificates openssl makes at test time."""
import atexit
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.environ["CAFE_SOURCE_DIR"], "tests", "util"))
from harness import (CAFE, FIXTURE, Fixture, Nginx, Skip, cafe, dies_with_us, free_port,  # noqa: E402,F401
                     free_ports, run_tests)

ASAN = os.environ.get("CAFE_SANITIZE") in ("1", "ON", "TRUE", "true")
TMP = tempfile.mkdtemp(prefix="cafe-faults-")
atexit.register(shutil.rmtree, TMP, True)
def write_list(lines, name=None):
    path = os.path.join(TMP, name or f"list{len(os.listdir(TMP))}.txt")
    with open(path, "w") as f:
        f.write("".join(l + "\n" for l in lines))
    return path


def run_json(lines, *args, timeout=300):
    """`cafe titles -q --json ARGS LIST`: (records, CompletedProcess)."""
    r = cafe("titles", "-q", "--json", *args, write_list(lines), timeout=timeout)
    recs = [json.loads(l) for l in r.stdout.decode().splitlines()]
    return recs, r


def run_json_peak(lines, *args):
    """run_json, and cafe's peak RSS in KiB (None under AddressSanitizer, whose shadow memory
    and quarantine are no measure of cafe's)."""
    with tempfile.TemporaryFile() as errf:
        p = subprocess.Popen([CAFE, "titles", "-q", "--json", *args, write_list(lines)],
                             stdout=subprocess.PIPE, stderr=errf)
        with p.stdout:
            out = p.stdout.read()
        _, status, usage = os.wait4(p.pid, 0)  # not p.wait(): wait4 gives its rusage
        p.returncode = os.waitstatus_to_exitcode(status)
        errf.seek(0)
        r = subprocess.CompletedProcess(p.args, p.returncode, out, errf.read())
    return [json.loads(l) for l in out.decode().splitlines()], r, None if ASAN else usage.ru_maxrss


def save_figures(figures):
    """What a suite measured: printed, and written as JSON to CAFE_RELIABILITY_OUT if set
    (scripts/reliability.sh collects it)."""
    if os.environ.get("CAFE_RELIABILITY_OUT"):
        with open(os.environ["CAFE_RELIABILITY_OUT"], "w") as f:
            json.dump(figures, f)
    print(json.dumps(figures))


def match(rec, want):
    """Every key of want equals rec's (a compiled regex matches a string value); rec has
    exactly the record's eleven keys."""
    keys = {"url", "final_url", "status", "title", "content_type", "charset", "charset_source",
            "bytes", "time_ms", "attempts", "error"}
    assert set(rec) == keys, sorted(rec)
    for k, v in want.items():
        got = rec[k]
        if isinstance(v, re.Pattern):
            assert isinstance(got, str) and v.fullmatch(got), (k, got, v.pattern)
        elif callable(v):
            assert v(got), (k, got)
        else:
            assert got == v, (k, got, v)


class Listener:
    """A loopback listening socket whose connections are each served on a thread of their
    own by self._serve(conn, n), n counting them from 1 (self.accepted)."""

    def __init__(self, backlog):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(backlog)
        self.port = self.sock.getsockname()[1]
        self.threads = []
        self.accepted = 0
        self.accepter = threading.Thread(target=self._accept, daemon=True)
        self.accepter.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            t = threading.Thread(target=self._serve, args=(conn, self.accepted), daemon=True)
            t.start()
            self.threads.append(t)

    def close(self):
        self.sock.close()
        for t in self.threads:
            t.join(timeout=30)


class RawServer(Listener):
    """A threaded loopback server answering each connection with handlers[path](conn); counts
    the bytes each path managed to send (sent[path]) before the client went away."""

    def __init__(self, handlers):
        self.handlers = handlers
        self.sent = {}
        super().__init__(64)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    @staticmethod
    def read_head(conn):
        """A request's head (with what came with it), at most 64 KiB; None if the client
        closed first."""
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 65536:
            data = conn.recv(4096)
            if not data:
                return None
            head += data
        return head

    def _serve(self, conn, n):
        with conn:
            head = self.read_head(conn)
            if head is None:
                return
            path = head.split(b" ")[1].decode()
            handler = self.handlers.get(path)
            sent = 0
            try:
                for chunk in handler():
                    conn.sendall(chunk)
                    sent += len(chunk)
            except OSError:
                pass  # the client closed: that is what some cases want
            self.sent[path] = self.sent.get(path, 0) + sent


def h2_frame(ftype, flags, stream, payload=b""):
    return (len(payload).to_bytes(3, "big") + bytes([ftype, flags]) + stream.to_bytes(4, "big")
            + payload)


class H2Server(Listener):
    """HTTP/2 over TLS (ALPN h2), by hand (no h2 package in Debian's python3 here): each
    stream gets a 200 titled with its connection's and its own number ("T1-1"), but for
    refusals. goaway: the second stream of the first connection gets a GOAWAY whose
    last-stream-id is the first's (NO_ERROR: the server is closing the connection, as nginx
    does after keepalive_requests) while it is the connection's only open stream. refuse:
    the first `refuse` streams get RST_STREAM REFUSED_STREAM. refused lists the streams
    refused either way; accepted counts connections. goaway_after: the GOAWAY comes that
    many seconds after the stream it refuses. reset_after: each response is followed,
    that many seconds later, by RST_STREAM INTERNAL_ERROR (a subclass's _response leaves
    its stream open for it). A subclass may answer requests its own way (_request) and open
    with other settings (_settings)."""

    def __init__(self, cert, key, goaway=False, refuse=0, reset_after=None, goaway_after=0):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.ctx.set_alpn_protocols(["h2"])
        self.goaway, self.refuse, self.reset_after = goaway, refuse, reset_after
        self.goaway_after = goaway_after
        self.refused = []
        super().__init__(16)

    def url(self, path):
        return f"https://127.0.0.1:{self.port}{path}"

    @staticmethod
    def _read(conn, n):
        data = b""
        while len(data) < n:
            more = conn.recv(n - len(data))
            if not more:
                return None
            data += more
        return data

    @staticmethod
    def _response(stream, path):
        body = b"<title>%s</title>" % path
        # HPACK: :status 200 (static index 8), content-type and content-length as literals
        # without indexing, named by their static indexes (31, 28)
        block = b"\x88"
        for index, value in ((31, b"text/html; charset=utf-8"), (28, b"%d" % len(body))):
            block += bytes([0x0F, index - 15, len(value)]) + value
        return h2_frame(1, 0x4, stream, block) + h2_frame(0, 0x1, stream, body)

    @staticmethod
    def _settings():
        """The server's first SETTINGS frame (and any frames to send with it)."""
        return h2_frame(4, 0, 0)  # none changed

    def _request(self, conn, stream, n):
        """A subclass's answer to a request (stream, on connection n), sent on conn; True
        when it answered (the default answers nothing: the rules above apply)."""
        return False

    def _serve(self, raw, n):
        try:
            conn = self.ctx.wrap_socket(raw, server_side=True)
        except OSError:
            return
        with conn:
            try:
                self._frames(conn, n)
            except OSError:
                pass  # the client went: a hostile answer may be cut by its close

    def _frames(self, conn, n):
        if self._read(conn, 24) is None:  # the client's preface
            return
        conn.sendall(self._settings())
        streams = []
        while True:
            head = self._read(conn, 9)
            length = int.from_bytes(head[:3], "big") if head else 0
            payload = self._read(conn, length) if head and length else b""
            if head is None or payload is None:
                return
            ftype, flags, stream = head[3], head[4], int.from_bytes(head[5:], "big") & ~(1 << 31)
            if ftype == 4 and not flags & 1:  # SETTINGS: ACK
                conn.sendall(h2_frame(4, 1, 0))
            elif ftype == 1:  # HEADERS: a request; its path is read from no HPACK here
                streams.append(stream)
                if self._request(conn, stream, n):
                    continue
                if self.goaway and n == 1 and len(streams) == 2:
                    threading.Event().wait(self.goaway_after)
                    conn.sendall(h2_frame(7, 0, 0, streams[0].to_bytes(4, "big") + bytes(4)))
                    self.refused.append(stream)
                elif len(self.refused) < self.refuse:
                    conn.sendall(h2_frame(3, 0, stream, (7).to_bytes(4, "big")))
                    self.refused.append(stream)
                else:
                    conn.sendall(self._response(stream, b"T%d-%d" % (n, stream)))
                    if self.reset_after is not None:
                        threading.Event().wait(self.reset_after)
                        conn.sendall(h2_frame(3, 0, stream, (2).to_bytes(4, "big")))

    def close(self):
        self.sock.close()  # its connections end with the client's process: none is waited for


def openssl(cwd, *cmd):
    subprocess.run(["openssl", *cmd], cwd=cwd, check=True, capture_output=True)


class TlsNginx:
    """nginx with four HTTPS servers on loopback, each with its own certificate, made by
    openssl now: good (signed by the test CA for 127.0.0.1), self-signed (not trusted),
    expired (CA-signed, notAfter yesterday), wrong-host (CA-signed for other.test only),
    nochain (signed by an intermediate of the CA, sent without it: an incomplete chain); and
    noname, which refuses every handshake (ssl_reject_handshake: a server of no default site,
    whose sites a URL with an IP address, sending no name, reaches none of)."""

    KINDS = ("good", "selfsigned", "expired", "wronghost", "nochain")
    PORTS = KINDS + ("noname",)

    def __init__(self, www):
        self.dir = tempfile.mkdtemp(prefix="cafe-tls-")
        d = self.dir
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        openssl(d, "req", "-x509", *ec, "-days", "2", "-keyout", "ca.key", "-out", "ca.pem",
                "-subj", "/CN=cafe faults CA", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign")
        self.ca = os.path.join(d, "ca.pem")
        with open(os.path.join(d, "int.cnf"), "w") as f:
            f.write("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n")
        openssl(d, "req", *ec, "-keyout", "int.key", "-out", "int.csr", "-subj", "/CN=cafe int")
        openssl(d, "x509", "-req", "-in", "int.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "2", "-extfile", "int.cnf", "-out", "int.pem")
        sans = {"good": "IP:127.0.0.1", "expired": "IP:127.0.0.1", "wronghost": "DNS:other.test",
                "selfsigned": "IP:127.0.0.1", "nochain": "IP:127.0.0.1"}
        for kind in self.KINDS:
            signer = "int" if kind == "nochain" else "ca"
            with open(os.path.join(d, f"{kind}.cnf"), "w") as f:
                f.write(f"subjectAltName={sans[kind]}\n")
                if kind == "nochain":  # where browsers fetch the intermediate, as public CAs say
                    f.write("authorityInfoAccess=caIssuers;URI:http://127.0.0.1:9/int.der\n")
            if kind == "selfsigned":
                openssl(d, "req", "-x509", *ec, "-days", "2", "-keyout", f"{kind}.key",
                        "-out", f"{kind}.pem", "-subj", "/CN=127.0.0.1",
                        "-addext", f"subjectAltName={sans[kind]}")
                continue
            openssl(d, "req", *ec, "-keyout", f"{kind}.key", "-out", f"{kind}.csr",
                    "-subj", f"/CN={kind}")
            openssl(d, "x509", "-req", "-in", f"{kind}.csr", "-CA", f"{signer}.pem",
                    "-CAkey", f"{signer}.key",
                    "-CAcreateserial", "-days", "-1" if kind == "expired" else "2",
                    "-extfile", f"{kind}.cnf", "-out", f"{kind}.pem")
        self.ports = dict(zip(self.PORTS, free_ports(len(self.PORTS))))
        servers = f"server {{ listen 127.0.0.1:{self.ports['noname']} ssl; ssl_reject_handshake on; }}\n"
        for kind in self.KINDS:
            servers += (f"server {{ listen 127.0.0.1:{self.ports[kind]} ssl; root {www};"
                        f" ssl_certificate {d}/{kind}.pem; ssl_certificate_key {d}/{kind}.key; }}\n")
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""daemon off; master_process off; worker_processes 1;
user root; pid {d}/nginx.pid; error_log {d}/error.log;
events {{ worker_connections 256; }}
http {{
  access_log off; types {{ text/html html; }} default_type application/octet-stream;
  client_body_temp_path {d}; proxy_temp_path {d}; fastcgi_temp_path {d};
  uwsgi_temp_path {d}; scgi_temp_path {d};
{servers}}}
""")
        self.proc = subprocess.Popen(["nginx", "-c", conf, "-p", d], stderr=subprocess.DEVNULL,
                                     preexec_fn=dies_with_us)
        for kind in self.PORTS:  # readiness: every port accepts (bounded by the deadline)
            self._wait(self.ports[kind])

    def _wait(self, port):
        import time
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "nginx exited"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                threading.Event().wait(0.01)
        raise AssertionError("nginx (TLS) did not start")

    def url(self, kind, path):
        return f"https://127.0.0.1:{self.ports[kind]}{path}"

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)
