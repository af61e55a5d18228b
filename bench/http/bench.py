"""HTTP client benchmark (called by bench/http/run.sh inside a fresh network namespace).

Against cafe-fixture on loopback: cafe's client (bench_http) side by side with
`curl --parallel --parallel-max C`, Python aiohttp at the same concurrency, and wrk as the
ceiling; then the early-stop policies. Prints markdown tables. Every run is bounded (fixed URL
counts, wrk for a fixed time, timeouts on every child).
"""
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
FIXTURE = os.path.join(BUILD, "src/fixture/cafe-fixture")
BENCH = os.path.join(BUILD, "bench/bench_http")
TMP = tempfile.mkdtemp(prefix="cafe-bench-http-")
QUICK = os.environ.get("CAFE_BENCH_QUICK") == "1"  # smaller runs, for a smoke test

AIOHTTP = r"""
import asyncio, sys, aiohttp
async def main(path, c):
    urls = [l.strip() for l in open(path) if l.strip()]
    ok = 0
    conn = aiohttp.TCPConnector(limit=c)
    async with aiohttp.ClientSession(connector=conn) as s:
        it = iter(urls)
        async def worker():
            nonlocal ok
            for u in it:
                async with s.get(u) as r:
                    await r.read()
                    ok += r.status == 200
        await asyncio.gather(*[worker() for _ in range(c)])
    if ok != len(urls):
        sys.exit(f"aiohttp: {len(urls) - ok} failed")
asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


def start_fixture(*args):
    p = subprocess.Popen([FIXTURE, "--exit-on-eof", *args], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE)
    ready, _, _ = select.select([p.stdout], [], [], 30)  # the ready line, never a sleep
    line = p.stdout.readline().decode().split() if ready else []
    if not line or line[0] != "ready":
        sys.exit("bench: cafe-fixture did not start")
    return p, [int(x) for x in line[2:]]


def stop_fixture(p):
    p.terminate()
    p.wait(timeout=30)


def url_file(name, ports, n, path="/page/{page}"):
    """n URLs over the sites in turn: site i % sites, page i // sites."""
    f = os.path.join(TMP, name)
    with open(f, "w") as out:
        for i in range(n):
            site = i % len(ports)
            out.write(f"http://127.0.0.1:{ports[site]}" + path.format(page=i // len(ports)) + "\n")
    return f


def timed(cmd, timeout=300):
    """Runs cmd under /usr/bin/time: (wall seconds, peak RSS KiB, stdout, CPU seconds)."""
    tf = os.path.join(TMP, "time.out")
    t0 = time.monotonic()
    r = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", tf, *cmd],
                       capture_output=True, text=True, timeout=timeout)
    wall = time.monotonic() - t0
    if r.returncode != 0:
        sys.exit(f"bench: {cmd[0]} failed: {r.stderr.strip()[:500]}")
    rss, user, system = open(tf).read().split()[-3:]
    return wall, int(rss), r.stdout, float(user) + float(system)


def cafe(urls, c, mode="stream"):
    wall, rss, out, cpu = timed([BENCH, urls, str(c), mode])
    fields = dict(kv.split("=") for kv in out.split())
    fields["wall"], fields["rss"], fields["cpu"] = wall, rss, cpu
    return fields


def curl_z(urls, c):
    cfg = urls + ".curl"
    with open(cfg, "w") as out:
        for u in open(urls):
            out.write(f'url = "{u.strip()}"\noutput = "/dev/null"\n')
    wall, rss, _, cpu = timed(["curl", "-s", "-f", "-Z", "--parallel-max", str(c), "-K", cfg])
    return wall, rss, cpu


def aiohttp(urls, c):
    script = os.path.join(TMP, "aio.py")
    with open(script, "w") as out:
        out.write(AIOHTTP)
    wall, rss, _, cpu = timed(["/usr/bin/python3", script, urls, str(c)])  # Debian's aiohttp
    return wall, rss, cpu


def wrk(url, c, close=False, secs=3):
    cmd = ["wrk", "-t1", f"-c{c}", f"-d{secs}s", url]
    if close:
        cmd[1:1] = ["-H", "Connection: close"]
    wall, rss, out, _ = timed(cmd)
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), rss


def strace_counts(urls, c):
    """Syscalls per URL of one cafe run (strace -c slows it; counts are what matter)."""
    out = os.path.join(TMP, "strace.out")
    subprocess.run(["strace", "-f", "-c", "-o", out, "-e",
                    "trace=epoll_ctl,epoll_wait,poll,recvfrom,sendto,connect,close",
                    BENCH, urls, str(c)], check=True, capture_output=True, timeout=300)
    counts = {}
    for line in open(out):
        m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$", line)
        if m:
            counts[m.group(2)] = int(m.group(1))
    return counts


REPEAT = 1 if QUICK else 3


def median_runs(runs):
    """Runs each named callable REPEAT times, interleaved (the machine is shared and noisy:
    interleaving spreads the noise over all of them), and returns each one's median run by
    its first value (a rate or a duration, as `key` says)."""
    got = {name: [] for name, _, _ in runs}
    for _ in range(REPEAT):
        for name, fn, _ in runs:
            got[name].append(fn())
    out = {}
    for name, _, key in runs:
        got[name].sort(key=key)
        out[name] = got[name][len(got[name]) // 2]
    return out


def mib(kib):
    return f"{kib / 1024:.1f}"


def table(head, rows):
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for r in rows:
        print("| " + " | ".join(str(x) for x in r) + " |")
    print()


def no_delay():
    n, c, sites = (2000, 100, 200) if QUICK else (10000, 100, 200)
    p, ports = start_fixture("--sites", str(sites), "--size", "30000")
    urls = url_file("nodelay.txt", ports, n)
    cafe(urls, c)  # warm-up: the server's connections and tasks exist from now on
    m = median_runs([("cafe", lambda: cafe(urls, c), lambda r: float(r["rate"])),
                     ("kept", lambda: cafe(urls, c, "all"), lambda r: float(r["rate"])),
                     ("curl", lambda: curl_z(urls, c), lambda r: r[0]),
                     ("aio", lambda: aiohttp(urls, c), lambda r: r[0])])
    k, kept, (cw, cr, cc), (aw, ar, ac) = m["cafe"], m["kept"], m["curl"], m["aio"]
    wk, wkr = wrk(f"http://127.0.0.1:{ports[0]}/page/0", c)
    wc, wcr = wrk(f"http://127.0.0.1:{ports[0]}/page/0", c, close=True)
    sc = strace_counts(urls, c)
    stop_fixture(p)
    crate = n / cw
    print(f"### No delay: {n} URLs over {sites} sites (30 KB pages, {n // sites} per site), "
          f"concurrency {c}\n")
    def us(cpu):
        return f"{cpu * 1e6 / n:.0f}"

    table(["client", "URLs/s", "vs curl -Z", "client CPU us/URL", "curl -Z CPU / this",
           "peak RSS MiB"], [
        ["cafe (bench_http), bodies streamed", k["rate"], f"{float(k['rate']) / crate:.2f}x",
         us(k["cpu"]), f"{cc / k['cpu']:.2f}", mib(k["rss"])],
        ["cafe, bodies kept in res.body", kept["rate"], f"{float(kept['rate']) / crate:.2f}x",
         us(kept["cpu"]), f"{cc / kept['cpu']:.2f}", mib(kept["rss"])],
        [f"curl -Z --parallel-max {c}", f"{crate:.0f}", "1.00x", us(cc), "1.00", mib(cr)],
        [f"python3 aiohttp, limit {c}", f"{n / aw:.0f}", f"{n / aw / crate:.2f}x", us(ac),
         f"{cc / ac:.2f}", mib(ar)],
        [f"wrk -t1 -c{c} keep-alive (one site, ceiling)", f"{wk:.0f}", f"{wk / crate:.2f}x",
         "", "", mib(wkr)],
        [f"wrk -t1 -c{c} Connection: close", f"{wc:.0f}", f"{wc / crate:.2f}x", "", "",
         mib(wcr)],
    ])
    print("cafe's loop integration, per URL (the same run; syscalls from a separate run "
          "under `strace -f -c`):\n")
    table(["curl calls", "socket_action", "socket callbacks", "uv_poll start/stop",
           "epoll_ctl", "epoll_wait", "poll (curl's own)", "recvfrom", "sendto"], [[
        k["curl_calls_per_url"], k["socket_actions_per_url"], k["socket_cbs_per_url"],
        k["poll_changes_per_url"]] + [f"{sc.get(s, 0) / n:.2f}" for s in
                                      ("epoll_ctl", "epoll_wait", "poll", "recvfrom", "sendto")]])
    return float(k["rate"]) / crate, cc / k["cpu"]


def with_delay():
    n, c = (1000, 100) if QUICK else (2000, 200)
    ideal = n * 0.1 / c
    p, ports = start_fixture("--sites", "200", "--size", "30000", "--delay", "100")
    urls = url_file("delay.txt", ports, n)
    cafe(urls, c)  # warm-up
    m = median_runs([("cafe", lambda: cafe(urls, c), lambda r: float(r["secs"])),
                     ("curl", lambda: curl_z(urls, c), lambda r: r[0]),
                     ("aio", lambda: aiohttp(urls, c), lambda r: r[0])])
    k, (cw, cr, cc), (aw, ar, ac) = m["cafe"], m["curl"], m["aio"]
    stop_fixture(p)
    print(f"### 100 ms per response: {n} URLs, concurrency {c} (ideal {ideal:.2f} s)\n")
    per = float(k["rss_per_inflight_kib"])
    def us(cpu):
        return f"{cpu * 1e6 / n:.0f}"

    table(["client", "wall s", "vs ideal", "URLs/s", "client CPU us/URL", "peak RSS MiB",
           "RSS per in-flight KiB"], [
        ["cafe", k["secs"], f"{float(k['secs']) / ideal:.3f}x", k["rate"], us(k["cpu"]),
         mib(k["rss"]), f"{per:.0f}"],
        [f"curl -Z --parallel-max {c}", f"{cw:.2f}", f"{cw / ideal:.3f}x", f"{n / cw:.0f}",
         us(cc), mib(cr), ""],
        [f"python3 aiohttp, limit {c}", f"{aw:.2f}", f"{aw / ideal:.3f}x", f"{n / aw:.0f}",
         us(ac), mib(ar), ""],
    ])
    return float(k["secs"]) / ideal, per


def early_stop():
    rows = []
    cases = [("large pages: 1 MB, title in the first KB", 200 if QUICK else 1000, 50,
              "1000000", 200),
             ("small pages: 30 KB, 50 per site", 2000 if QUICK else 10000, 100, "30000", 200)]
    for name, n, c, size, sites in cases:
        p, ports = start_fixture("--sites", str(sites), "--size", size)
        urls = url_file("stop.txt", ports, n)
        cafe(urls, c)  # warm-up
        res = median_runs([(m, lambda m=m: cafe(urls, c, m), lambda r: float(r["rate"]))
                           for m in ("stream", "close", "auto")])
        stop_fixture(p)
        never, close = float(res["stream"]["rate"]), float(res["close"]["rate"])
        for m, label in (("stream", "never stop (read it all)"),
                         ("close", "always close at once"),
                         ("auto", "cafe's policy (CAFE_HTTP_STOP_AUTO)")):
            r = res[m]
            rows.append([name, label, r["rate"], f"{float(r['rate']) / never:.2f}x",
                         f"{float(r['rate']) / close:.2f}x", f"{r['cpu'] * 1e6 / n:.0f}",
                         r["drained"], r["closed"]])
    print("### Early stop after `</title>`\n")
    table(["pages", "policy", "URLs/s", "vs never stop", "vs always close", "client CPU us/URL",
           "drained", "closed"], rows)
    return rows


def main():
    for tool in ("curl", "wrk", "strace", "/usr/bin/time"):
        if subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True).returncode:
            sys.exit(f"bench: {tool} missing (make bench installs the bench packages)")
    print(f"cafe_http_request against cafe-fixture. Medians of {REPEAT} interleaved runs (wrk: "
          "one). Bodies are streamed and dropped (as curl -o /dev/null) unless said otherwise. "
          "Client CPU is user + system time from /usr/bin/time (10 ms resolution).\n")
    ratio, cpu_ratio = no_delay()
    vs_ideal, per = with_delay()
    early_stop()
    print(f"Targets: cafe >= 1.5x curl -Z: {ratio:.2f}x the rate, at {1 / cpu_ratio:.2f}x "
          f"curl -Z's client CPU per URL; 100 ms delay within 10% of ideal: {vs_ideal:.3f}x; "
          f"RSS per in-flight request < 64 KiB: {per:.0f} KiB.")


try:
    main()
finally:
    shutil.rmtree(TMP, ignore_errors=True)
