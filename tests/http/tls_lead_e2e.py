"""A host's first https URL goes alone until its TLS session is back with cafe, so that the
host's other URLs resume that session rather than each make a full handshake; a first page
the server is slow to give must not hold them longer than that. Against a Python https
server on loopback (TLS 1.3 and TLS 1.2), through `cafe titles --json`. Run by
test_tls_lead.sh in a fresh network namespace."""
import http.server
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.environ["CAFE_SOURCE_DIR"], "tests", "util"))
from dnsserver import DnsServer  # noqa: E402
from harness import Skip, cafe, run_tests  # noqa: E402

TMP = tempfile.mkdtemp(prefix="cafe-tls-lead-")
dns = DnsServer()
# How long /slow waits for another request at most: only a run that fails waits it out.
HOLD_S = 20


class Handler(http.server.BaseHTTPRequestHandler):
    """/slow is held until a request for another page of the host comes (at most HOLD_S),
    its title saying whether one came; any other path answers at once. Each request notes
    its path and whether its connection resumed a TLS session."""
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        srv = self.server
        with srv.lock:
            srv.seen.append((self.path, self.connection.session_reused))
        if self.path == "/slow":
            title = "came" if srv.other.wait(HOLD_S) else "alone"
        else:
            srv.other.set()
            title = "fast"
        body = f"<title>{title}</title>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve(version):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=s.ok.test", "-addext", "subjectAltName=DNS:s.ok.test",
                    "-keyout", "key.pem", "-out", "cert.pem"],
                   cwd=TMP, check=True, capture_output=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ctx.maximum_version = version
    ctx.load_cert_chain(os.path.join(TMP, "cert.pem"), os.path.join(TMP, "key.pem"))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    httpd.lock = threading.Lock()
    httpd.seen = []
    httpd.other = threading.Event()
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def slow_first(version):
    """/slow, then three pages of the same host, four at once: the three must reach the
    server while /slow is held, each on a connection that resumed /slow's session."""
    if not shutil.which("openssl"):
        raise Skip("openssl is missing: no https server")
    httpd = serve(version)
    try:
        base = f"https://s.ok.test:{httpd.server_address[1]}"
        lines = [base + p for p in ("/slow", "/a", "/b", "/c")]
        path = os.path.join(TMP, "list.txt")
        with open(path, "w") as f:
            f.write("".join(line + "\n" for line in lines))
        r = cafe("titles", "-q", "--json", "-k", "-c", "4", "--timeout", str(HOLD_S * 2),
                 "--resolver", f"127.0.0.1:{dns.port}", path, timeout=120)
        assert r.returncode == 0, r.stderr[-500:]
        titles = [json.loads(x)["title"] for x in r.stdout.decode().splitlines()]
        assert titles == ["came", "fast", "fast", "fast"], (titles, httpd.seen)
        assert httpd.seen[0] == ("/slow", False), httpd.seen
        assert sorted(httpd.seen[1:]) == [("/a", True), ("/b", True), ("/c", True)], httpd.seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_slow_first_page_holds_its_hosts_others_only_until_its_tls13_ticket():
    # A TLS 1.3 server sends its tickets right after the handshake: the others go then.
    # They waited for /slow's response before, HOLD_S here, a --timeout against a tarpit.
    slow_first(ssl.TLSVersion.TLSv1_3)


def test_a_slow_first_page_holds_its_hosts_others_only_until_its_tls12_handshake():
    slow_first(ssl.TLSVersion.TLSv1_2)


run_tests(globals(), cleanup=(dns.stop, lambda: shutil.rmtree(TMP, ignore_errors=True)))
