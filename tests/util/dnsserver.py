"""A tiny authoritative DNS server for the tests (UDP and TCP on one loopback port), whose
behaviour is chosen by the name asked (the zone is "test."):

  *.ok.test      A 127.0.0.1, TTL 60           *.v6.test     AAAA ::1 only (A: no data)
  *.nx.test      NXDOMAIN (SOA minimum 30)     *.drop.test   never answered
  *.slow.test    A 127.0.0.1 after 300 ms      *.tc.test     truncated over UDP, whole over TCP
  *.fail.test    SERVFAIL                      a.chain.test  CNAME b.chain.test CNAME x.ok.test
  a.loop.test    CNAME b.loop.test, which is a CNAME of a.loop.test
  *.once.test    A 127.0.0.1, but the first UDP question of each (name, type) is dropped
  *.long.test    A 127.0.0.1 at any depth (names up to DNS's 253 bytes)

Every question is counted by (name, type) in `queries`; `stop()` makes it go away."""
import errno
import socket
import struct
import threading
import time

A, AAAA, CNAME, SOA = 1, 28, 5, 6


def _name(data, off):
    labels = []
    while data[off]:
        n = data[off]
        labels.append(data[off + 1:off + 1 + n].decode())
        off += n + 1
    return ".".join(labels).lower(), off + 1


def _wire(name):
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".") if p) + b"\0"


def _rr(name, rtype, ttl, rdata):
    return _wire(name) + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata


def _soa():
    rdata = _wire("ns.test") + _wire("admin.test") + struct.pack(">IIIII", 1, 60, 60, 60, 30)
    return _rr("test", SOA, 30, rdata)


def answer(name, qtype):
    """(rcode, answer records, authority records) for a question; None: no reply."""
    if name.count(".") > 2 and not name.endswith((".drop.test", ".long.test")):
        return 3, [], [_soa()]  # a search domain appended to another test name: not there
    if name.endswith(".drop.test"):
        return None
    if name.endswith(".nx.test"):
        return 3, [], [_soa()]
    if name.endswith(".fail.test"):
        return 2, [], []
    if name == "a.loop.test" or name == "b.loop.test":
        other = "b.loop.test" if name == "a.loop.test" else "a.loop.test"
        return 0, [_rr(name, CNAME, 60, _wire(other)), _rr(other, CNAME, 60, _wire(name))], []
    recs = []
    if name == "a.chain.test":
        recs = [_rr("a.chain.test", CNAME, 60, _wire("b.chain.test")),
                _rr("b.chain.test", CNAME, 60, _wire("x.ok.test"))]
        name = "x.ok.test"
    if name.endswith(".v6.test"):
        if qtype == AAAA:
            recs.append(_rr(name, AAAA, 60, socket.inet_pton(socket.AF_INET6, "::1")))
        return 0, recs, ([] if recs else [_soa()])
    if name.endswith((".ok.test", ".slow.test", ".tc.test", ".once.test", ".long.test")):
        if qtype == A:
            recs.append(_rr(name, A, 60, socket.inet_aton("127.0.0.1")))
        return 0, recs, ([] if recs else [_soa()])
    return 3, [], [_soa()]


def reply(query, tcp):
    qid, _flags, qd = struct.unpack(">HHH", query[:6])
    name, off = _name(query, 12)
    qtype = struct.unpack(">H", query[off:off + 2])[0]
    question = query[12:off + 4]
    a = answer(name, qtype)
    if a is None:
        return name, qtype, None
    rcode, ans, auth = a
    flags = 0x8400 | rcode  # response, authoritative
    if name.endswith(".tc.test") and not tcp:
        flags |= 0x0200
        ans, auth = [], []
    head = struct.pack(">HHHHHH", qid, flags, qd, len(ans), len(auth), 0)
    return name, qtype, head + question + b"".join(ans) + b"".join(auth)


class DnsServer:
    def __init__(self, port=0):
        self.udp, self.tcp = self._bind_both(port)
        self.port = self.udp.getsockname()[1]
        self.tcp.listen(16)
        self.queries = {}
        self.lock = threading.Lock()
        self.running = True
        for fn in (self._serve_udp, self._serve_tcp):
            threading.Thread(target=fn, daemon=True).start()

    @staticmethod
    def _bind_both(port):
        """A UDP and a TCP socket on one loopback port. The kernel picks a UDP port free for
        UDP; a client connection of an earlier test may hold the same number for TCP
        (EADDRINUSE, seen once in CI): then another pick, a bounded number of times."""
        for _ in range(100 if port == 0 else 1):
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind(("127.0.0.1", port))
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                tcp.bind(("127.0.0.1", udp.getsockname()[1]))
                return udp, tcp
            except OSError as e:
                udp.close()
                tcp.close()
                if e.errno != errno.EADDRINUSE or port != 0:
                    raise
        raise OSError(errno.EADDRINUSE, "no loopback port free for both UDP and TCP")

    def count(self, name, qtype):
        with self.lock:
            self.queries[(name, qtype)] = self.queries.get((name, qtype), 0) + 1

    def _serve_udp(self):
        while self.running:
            try:
                data, peer = self.udp.recvfrom(4096)
            except OSError:
                return
            name, qtype, out = reply(data, False)
            self.count(name, qtype)
            if out is None or (name.endswith(".once.test") and
                               self.queries[(name, qtype)] == 1):
                continue
            if name.endswith(".slow.test"):
                threading.Timer(0.3, self._send_late, (out, peer)).start()
            else:
                self.udp.sendto(out, peer)

    def _send_late(self, out, peer):
        if self.running:
            self.udp.sendto(out, peer)

    def _serve_tcp(self):
        while self.running:
            try:
                conn, _ = self.tcp.accept()
            except OSError:
                return
            threading.Thread(target=self._tcp_conn, args=(conn,), daemon=True).start()

    def _tcp_conn(self, conn):
        with conn:
            while True:
                head = conn.recv(2)
                if len(head) < 2:
                    return
                n = struct.unpack(">H", head)[0]
                data = b""
                while len(data) < n:
                    more = conn.recv(n - len(data))
                    if not more:
                        return
                    data += more
                name, qtype, out = reply(data, True)
                self.count(name, qtype)
                if out is not None:
                    conn.sendall(struct.pack(">H", len(out)) + out)

    def stop(self):
        """The resolver goes away: both sockets close (queries then get refused)."""
        self.running = False
        self.udp.close()
        self.tcp.close()
        time.sleep(0)
