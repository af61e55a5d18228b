"""Name resolution on cafe's loop, end to end (run by test_dns.sh: in a fresh network namespace,
/etc/resolv.conf and /etc/hosts bind-mounted, a DNS server of the test's own on 127.0.0.1:53).
Faults of issue 18: names that never resolve, dropped queries, a slow resolver, truncated
answers, AAAA-only names, CNAME chains and loops, a resolver going away, /etc/hosts winning;
and the cache: one query per name and type while the TTL holds, no thread per lookup."""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.environ["CAFE_SOURCE_DIR"], "tests", "util"))
from dnsserver import A, AAAA, DnsServer  # noqa: E402
from harness import CAFE, Fixture, HoldServer, Skip, cafe, run_tests  # noqa: E402

TITLE = "Site 0 page 1 \u2014 cafe fixture"
dns = DnsServer(53)
fx = Fixture("--sites", "1", "--size", "2000")
fx6 = Fixture("--sites", "1", "--size", "2000", "--bind", "::1")
port, port6 = fx.ports[0], fx6.ports[0]
tmp = tempfile.mkdtemp(prefix="cafe-dns-")


def run(hosts, *args, p=None, env=None):
    path = os.path.join(tmp, f"list{len(os.listdir(tmp))}.txt")
    with open(path, "w") as f:
        f.write("".join(f"http://{h}:{p or port}/page/1\n" for h in hosts))
    t0 = time.monotonic()
    r = cafe("titles", "-q", "--json", *args, path, env=env)
    took = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    return [json.loads(l) for l in r.stdout.decode().splitlines()], took


def test_names_resolve_and_are_asked_once():
    hosts = [f"h{i % 5}.ok.test" for i in range(50)]  # 5 names, 10 URLs each
    recs, _ = run(hosts, "-c", "20")
    assert [x["title"] for x in recs] == [TITLE] * 50, recs[:2]
    for i in range(5):
        assert dns.queries.get((f"h{i}.ok.test", A)) == 1, dns.queries
        assert dns.queries.get((f"h{i}.ok.test", AAAA)) == 1, dns.queries


def test_no_such_host_is_final_and_never_retried():
    recs, _ = run(["gone.nx.test", "gone.nx.test"], "--retries", "3")
    for x in recs:
        assert x["error"] == "dns: no such host (gone.nx.test)" and x["attempts"] == 1, x
    assert dns.queries[("gone.nx.test", A)] == 1, dns.queries  # negative answer cached


def test_a_name_with_an_empty_label_is_no_such_host():
    # "a..b", as a URL line may hold it (browsers read it as a host): c-ares refuses the name
    # itself and asks no server, and the record said "dns: server failure", a fault of the
    # resolver's, retried with every attempt
    names = ["a..ok.test", ".b.ok.test", "c.ok.test.."]
    recs, _ = run(names, "--retries", "2")
    assert [(x["error"], x["attempts"]) for x in recs] == \
        [(f"dns: no such host ({n})", 1) for n in names], recs
    assert not [q for q in dns.queries if q[0] in names], dns.queries


def test_dropped_queries_time_out_within_the_bound():
    """resolv.conf: timeout 1 s, 2 attempts, a bound of 1 + 2 = 3 s: cafe's schedule (a first
    wait of 1 s, doubled) fits 2 tries in it, so each question is asked twice and then the
    lookup ends as a timeout. The bound is checked by the tries it allows, not by the run's
    wall time: 'took < 10' failed when the machine held cafe back 8 s (shown by stopping it
    with SIGSTOP for 8 s), while the tries are the same however slow the machine."""
    recs, _ = run(["x.drop.test"], "--retries", "0")
    assert recs[0]["error"] == "dns: timeout (x.drop.test)", recs
    assert recs[0]["attempts"] == 1, recs
    asked = {k: v for k, v in dns.queries.items() if k[0] == "x.drop.test"}
    assert asked == {("x.drop.test", A): 2, ("x.drop.test", AAAA): 2}, asked


def test_the_attempts_timeout_bounds_its_lookup():
    """--timeout is the time limit of one attempt, its lookup included: resolv.conf's bound
    here is 5 s x 3 tries, and a lookup of a name whose queries are dropped took it all
    (31 s with --timeout 3). With --timeout 2 the lookup ends at 2 s: cafe asks at once and
    again after 1 s (its schedule doubles from 1 s), and its third question, due at 3 s,
    never goes out. Counted by the questions asked, not by wall time."""
    env = dict(os.environ, RES_OPTIONS="timeout:5 attempts:3")
    recs, _ = run(["t.drop.test"], "--retries", "0", "--timeout", "2", env=env)
    assert recs[0]["error"] == "dns: timeout (t.drop.test)" and recs[0]["attempts"] == 1, recs
    asked = {k: v for k, v in dns.queries.items() if k[0] == "t.drop.test"}
    assert asked == {("t.drop.test", A): 2, ("t.drop.test", AAAA): 2}, asked


def test_a_lost_query_is_asked_again_soon():
    # One try of 5 s by resolv.conf's reckoning; cafe asks again after 1 s within that bound,
    # so a single dropped datagram is not a failed lookup.
    env = dict(os.environ, RES_OPTIONS="timeout:5 attempts:1")
    recs, _ = run(["l.once.test"], "--retries", "0", env=env)
    assert recs[0]["title"] == TITLE, recs
    assert dns.queries[("l.once.test", A)] == 2, dns.queries


def test_timeout_is_retried():
    recs, _ = run(["y.drop.test"], "--retries", "1")
    assert recs[0]["error"].startswith("dns: timeout") and recs[0]["attempts"] == 2, recs


def test_server_failure_is_distinct_and_retried():
    recs, _ = run(["z.fail.test"], "--retries", "1")
    assert recs[0]["error"] == "dns: server failure (z.fail.test)", recs
    assert recs[0]["attempts"] == 2, recs


def test_slow_resolver():
    recs, _ = run([f"s{i}.slow.test" for i in range(20)], "-c", "20")
    assert [x["title"] for x in recs] == [TITLE] * 20, recs[:2]


def test_truncated_answer_goes_over_tcp():
    recs, _ = run(["t.tc.test"])
    assert recs[0]["title"] == TITLE, recs


def test_aaaa_only_name():
    recs, _ = run(["only.v6.test"], p=port6)
    assert recs[0]["title"] == TITLE, recs


def test_cname_chain_and_loop():
    recs, _ = run(["a.chain.test"])
    assert recs[0]["title"] == TITLE, recs
    recs, _ = run(["a.loop.test"], "--retries", "0")
    assert recs[0]["error"] is not None and recs[0]["error"].startswith("dns: "), recs


def test_hosts_file_wins_and_search_domains_apply():
    # /etc/hosts names pinned.nx.test, which DNS says does not exist
    recs, _ = run(["pinned.nx.test", "bare"])  # "bare" + search ok.test = bare.ok.test
    assert [x["title"] for x in recs] == [TITLE, TITLE], recs
    assert ("pinned.nx.test", A) not in dns.queries, dns.queries


def test_no_private_refuses_a_name_that_resolves_to_loopback():
    # Nothing in the URL's text says loopback: the answer does, and it is refused after it.
    recs, _ = run(["inside.ok.test"], "--no-private", "--retries", "0")
    assert recs[0]["error"] == ("refused to connect to 127.0.0.1: a private, loopback or "
                                "link-local address"), recs
    assert recs[0]["title"] is None and recs[0]["status"] is None, recs
    assert dns.queries[("inside.ok.test", A)] == 1, dns.queries


def test_localhost_names_are_loopback_and_never_asked():
    # RFC 6761 (6.3), as libcurl 7.88 and browsers answer them: "localhost" and the names
    # under it are the loopback addresses, and no server is asked (it was, and said no such
    # host: a server could have answered any address).
    recs, _ = run(["a.localhost", "B.C.LOCALHOST.", "localhost"])
    assert [x["title"] for x in recs] == [TITLE] * 3, recs
    asked = [q for q in dns.queries if "localhost" in q[0]]
    assert asked == [], asked
    # loopback is what --no-private refuses
    recs, _ = run(["inside.localhost"], "--no-private", "--retries", "0")
    assert recs[0]["error"].startswith("refused to connect to "), recs


def test_localhost_is_both_loopback_addresses_whatever_etc_hosts_says():
    # libcurl 7.88 and Chromium answer "localhost" with 127.0.0.1 and ::1 and read no
    # /etc/hosts for it. cafe took /etc/hosts' word: where the file names 127.0.0.1 alone (a
    # container's often does), a server listening on ::1 alone was "connection refused",
    # tried 3 times, where curl and a browser show its page.
    with open("/etc/hosts") as f:
        saved = f.read()
    try:
        with open("/etc/hosts", "w") as f:
            f.write("127.0.0.1 localhost\n")
        recs, _ = run(["localhost"], p=port6)
    finally:
        with open("/etc/hosts", "w") as f:
            f.write(saved)
    assert recs[0]["title"] == TITLE and recs[0]["attempts"] == 1, recs


def test_a_proxy_name_is_resolved_by_cafe_and_the_target_sent_to_it():
    # Only cafe's resolver asks --resolver's server (curl's would ask resolv.conf's). The
    # fixture plays the proxy: it answers a request for an absolute URL with 400. A name in
    # capitals is the same name: it went to curl's own resolver, taken for no name.
    other = DnsServer()
    for proxy in ("px.ok.test", "PX.Ok.TEST"):
        recs, _ = run(["far.nx.test"], "-x", f"http://{proxy}:{port}", "--retries", "0",
                      "--resolver", f"127.0.0.1:{other.port}", p=80)
        assert recs[0]["status"] == 400, (proxy, recs)
    other.stop()
    assert other.queries[("px.ok.test", A)] == 2, other.queries  # once a run
    assert ("px.ok.test", A) not in dns.queries, dns.queries
    assert ("far.nx.test", A) not in other.queries and ("far.nx.test", A) not in dns.queries


class Socks5:
    """A SOCKS5 proxy without authentication on loopback: each CONNECT is relayed to the
    fixture's port; the address types asked for (1: IPv4, 3: a name) are kept in `atyps`."""

    def __init__(self):
        import socket
        import threading
        self.atyps = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        import threading
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._conn, args=(conn,), daemon=True).start()

    def _conn(self, c):
        import socket
        import struct
        import threading
        with c:
            c.recv(2 + c.recv(2, socket.MSG_PEEK)[1])  # greeting and its methods
            c.sendall(b"\x05\x00")
            head = c.recv(4)
            self.atyps.append(head[3])
            if head[3] == 1:
                c.recv(4)
            elif head[3] == 3:
                c.recv(c.recv(1)[0])
            dport = struct.unpack(">H", c.recv(2))[0]
            up = socket.create_connection(("127.0.0.1", dport))
            c.sendall(b"\x05\x00\x00\x01" + bytes(4) + b"\x00\x00")

            def pump(a, b):
                try:
                    while (data := a.recv(65536)):
                        b.sendall(data)
                except OSError:
                    pass
                for s in (a, b):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
            t = threading.Thread(target=pump, args=(up, c), daemon=True)
            t.start()
            pump(c, up)
            t.join()
            up.close()

    def close(self):
        self.sock.close()


def test_socks_targets_no_proxy_and_resolve_pins_are_resolved_by_cafe():
    # Only cafe's resolver asks --resolver's server: curl's own (a thread per lookup) would
    # ask resolv.conf's. socks5:// sends the target's address, which cafe looked up; socks5h://
    # its name, looked up by nobody here.
    other = DnsServer()
    socks = Socks5()
    try:
        for scheme, target, atyp in (("socks5", "s5.ok.test", 1), ("socks5h", "s5h.ok.test", 3)):
            recs, _ = run([target], "-x", f"{scheme}://spx.ok.test:{socks.port}", "--retries", "0",
                          "--resolver", f"127.0.0.1:{other.port}")
            assert recs[0]["title"] == TITLE, recs
            assert socks.atyps[-1] == atyp, socks.atyps
            assert other.queries.get((target, A)) == (1 if atyp == 1 else None), other.queries
            assert (target, A) not in dns.queries, dns.queries
        assert other.queries[("spx.ok.test", A)] == 2, other.queries  # once per run
        # no_proxy: the exempted name goes direct, looked up by cafe; the proxy is not
        env = dict(os.environ, http_proxy=f"http://npx.ok.test:{port}", no_proxy="x.test, .ok.test")
        recs, _ = run(["np.ok.test"], "--retries", "0", "--resolver", f"127.0.0.1:{other.port}",
                      env=env)
        assert recs[0]["title"] == TITLE, recs
        assert other.queries.get(("np.ok.test", A)) == 1, other.queries
        assert ("npx.ok.test", A) not in other.queries and ("np.ok.test", A) not in dns.queries
        # --resolve: its name is not looked up; the others of the run are, by cafe
        recs, _ = run(["rp.nx.test", "ro.ok.test"], "--resolve", f"rp.nx.test:{port}:127.0.0.1",
                      "--resolver", f"127.0.0.1:{other.port}")
        assert [x["title"] for x in recs] == [TITLE, TITLE], recs
        assert ("rp.nx.test", A) not in other.queries and ("rp.nx.test", A) not in dns.queries
        assert other.queries.get(("ro.ok.test", A)) == 1 and ("ro.ok.test", A) not in dns.queries
    finally:
        socks.close()
        other.stop()


def test_a_redirect_to_another_host_is_resolved_by_cafe():
    # Only cafe's resolver asks --resolver's server: curl's would ask resolv.conf's.
    other = DnsServer()
    path = os.path.join(tmp, "redirect.txt")
    to = f"http%3A%2F%2Fr2.ok.test%3A{port}%2Fpage%2F1"
    with open(path, "w") as f:
        f.write(f"http://r1.ok.test:{port}/redirect-to?url={to}\n")
    r = cafe("titles", "-q", "--json", "--resolver", f"127.0.0.1:{other.port}", path)
    other.stop()
    rec = json.loads(r.stdout.decode().splitlines()[0])
    assert rec["title"] == TITLE and rec["attempts"] == 1, rec
    assert rec["final_url"] == f"http://r2.ok.test:{port}/page/1", rec
    assert other.queries[("r1.ok.test", A)] == 1 and other.queries[("r2.ok.test", A)] == 1
    assert ("r2.ok.test", A) not in dns.queries, dns.queries
    # a redirect to a name that does not exist says so, like the first hop would; the record
    # is the redirect's, as curl -L gives it: its status and where it led (it was the first
    # URL's, with no status, as if that host had failed to resolve). The same when cafe goes
    # where a browser goes ("http:///gone..." is http://gone.../ to a browser, not to curl).
    for to in ("http%3A%2F%2Fgone.nx.test%2F", "http%3A%2F%2F%2Fgone.nx.test%2F"):
        with open(path, "w") as f:
            f.write(f"http://r3.ok.test:{port}/redirect-to?url={to}\n")
        rec = json.loads(cafe("titles", "-q", "--json", path).stdout.decode().splitlines()[0])
        assert rec["error"] == "dns: no such host (gone.nx.test)", rec
        assert rec["final_url"] == "http://gone.nx.test/" and rec["status"] == 302, rec


def test_resolver_option_and_no_thread_per_lookup():
    other = DnsServer()
    hosts = [f"n{i}.ok.test" for i in range(100)]
    path = os.path.join(tmp, "strace.txt")
    lst = os.path.join(tmp, "many.txt")
    with open(lst, "w") as f:
        f.write("".join(f"http://{h}:{port}/page/1\n" for h in hosts))
    r = subprocess.run(["strace", "-f", "-c", "-o", path, CAFE, "titles", "-q", "--json",
                        "--resolver", f"127.0.0.1:{other.port}", lst], capture_output=True)
    other.stop()
    if r.returncode == 127 or not os.path.exists(path):
        r = cafe("titles", "-q", "--json", "--resolver", f"127.0.0.1:{other.port}", lst)
    recs = [json.loads(l) for l in r.stdout.decode().splitlines()]
    assert len(recs) == 100, r.stderr
    assert all(other.queries.get((h, A)) == 1 for h in hosts), other.queries
    assert not any((h, A) in dns.queries for h in hosts), "asked resolv.conf's server"
    if os.path.exists(path):
        with open(path) as f:
            calls = {l.split()[-1]: int(l.split()[3]) for l in f if l.strip()[:1].isdigit()}
        threads = calls.get("clone3", 0) + calls.get("clone", 0)
        assert threads < 10, f"{threads} threads for 100 lookups"


def tcp_opens():
    """TCP connections opened in this namespace so far: the client's alone (servers accept)."""
    with open("/proc/net/snmp") as f:
        rows = [l.split() for l in f if l.startswith("Tcp:")]
    return int(rows[1][rows[0].index("ActiveOpens")])


def test_connections_kept_only_for_hosts_with_more_to_come():
    # cafe titles closes a connection whose host has no other URL in its window
    # (limits.close_one_off); a host with more URLs to come keeps it, --sync included.
    for args, hosts, want in ((["--sync"], ["k0.ok.test"] * 10, 1),
                              (["-c", "8", "--per-host", "1"], [f"k{i % 4}.ok.test" for i in range(40)], 4),
                              (["-c", "8"], [f"o{i}.ok.test" for i in range(30)], 30)):
        before = tcp_opens()
        recs, _ = run(hosts, *args)
        assert [x["title"] for x in recs] == [TITLE] * len(hosts), recs[:2]
        assert tcp_opens() - before == want, (args, tcp_opens() - before)


def test_a_hosts_file_change_is_seen_within_a_second():
    # An /etc/hosts answer is kept one second (include/cafe/dns.h): edited mid-run, the next
    # lookup past that second reads the new address. The held page redirects to the name
    # only once released, so that lookup comes after the edit (to another port: a
    # connection kept to the old address would be reused, as keep-alive does).
    if os.environ.get("CAFE_DNS_MOUNTED") != "1":
        raise Skip("/etc/hosts is not this test's own here")
    with open("/etc/hosts") as f:
        saved = f.read()
    other = Fixture("--sites", "1", "--size", "2000")  # a port with no connection kept
    to = f"http://edit.nx.test:{other.ports[0]}/page/1"
    hold = HoldServer(lambda head: (b"HTTP/1.1 302 Found\r\nLocation: " + to.encode() +
                                    b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
    path = os.path.join(tmp, "edit.txt")
    with open(path, "w") as f:
        f.write(f"http://edit.nx.test:{port}/page/1\nhttp://127.0.0.1:{hold.port}/held\n")
    with open("/etc/hosts", "a") as f:
        f.write("127.0.0.1 edit.nx.test\n")
    try:
        p = subprocess.Popen([CAFE, "titles", "-q", "--json", "--sync", "--retries", "0", path],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        hold.wait_for(1)  # --sync: the first URL is done, its name looked up
        with open("/etc/hosts", "w") as f:  # in place: the bind mount shows the same file
            f.write(saved + "127.0.0.2 edit.nx.test\n")  # nothing listens there
        time.sleep(1.2)  # the first answer's second is over
        hold.release()
        out, err = p.communicate(timeout=60)
    finally:
        with open("/etc/hosts", "w") as f:
            f.write(saved)
        hold.close()
        other.close()
    recs = [json.loads(l) for l in out.decode().splitlines()]
    assert recs[0]["title"] == TITLE, recs
    assert recs[1]["title"] is None, recs
    assert recs[1]["error"] is not None and "refused" in recs[1]["error"], recs


def test_a_long_hosts_file_and_a_long_line_are_read_whole():
    # Blocklist hosts files run to 100,000s of lines, and a line may list many aliases: the
    # name at the end of a 10 KB line, after 20,000 other lines, still wins over DNS (which
    # says it does not exist) and is never asked.
    if os.environ.get("CAFE_DNS_MOUNTED") != "1":
        raise Skip("/etc/hosts is not this test's own here")
    with open("/etc/hosts") as f:
        saved = f.read()
    aliases = " ".join(f"alias{i}.pad.test" for i in range(700))
    try:
        with open("/etc/hosts", "w") as f:  # in place: the bind mount shows the same file
            f.write(saved + "".join(f"127.0.0.2 blocked{i}.pad.test\n" for i in range(20000)))
            f.write(f"127.0.0.1 {aliases} longline.nx.test\n")
        assert len(aliases) > 8192
        recs, _ = run(["longline.nx.test", "blocked7.pad.test"], "--retries", "0")
    finally:
        with open("/etc/hosts", "w") as f:
            f.write(saved)
    assert recs[0]["title"] == TITLE, recs
    assert recs[1]["title"] is None and "refused" in (recs[1]["error"] or ""), recs  # 127.0.0.2: nothing there
    assert ("longline.nx.test", A) not in dns.queries, dns.queries
    assert ("blocked7.pad.test", A) not in dns.queries, dns.queries


def test_resolver_going_away():
    recs, _ = run(["before.ok.test"])
    assert recs[0]["title"] == TITLE, recs
    dns.stop()
    recs, _ = run(["after.ok.test"], "--retries", "0")
    assert recs[0]["error"] is not None and recs[0]["error"].startswith("dns: "), recs


run_tests(globals(), cleanup=(fx.close, fx6.close))
