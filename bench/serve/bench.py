"""`cafe serve` figures: cached title requests per second (wrk, with p99 latency and the
server's CPU per request) next to the bare libmicrohttpd hello world in the same rounds, and
a job's URLs per second next to `cafe titles` on the same list (alternating runs)."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

build = sys.argv[1]
src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
os.environ.setdefault("CAFE_BUILD_DIR", build)
os.environ.setdefault("CAFE_SOURCE_DIR", src)
sys.path.insert(0, os.path.join(src, "tests", "util"))
sys.path.insert(0, os.path.join(src, "tests", "serve"))
from harness import CAFE, Fixture  # noqa: E402
from servelib import Serve  # noqa: E402

secs = int(os.environ.get("SERVE_WRK_SECONDS", "10"))
conns = int(os.environ.get("SERVE_WRK_CONNECTIONS", "64"))
n = int(os.environ.get("SERVE_URLS", "10000"))
sites = int(os.environ.get("SERVE_SITES", "200"))
size = os.environ.get("SERVE_SIZE", "30000")
reps = int(os.environ.get("SERVE_REPS", "3"))

parts = os.environ.get("SERVE_PARTS", "wrk,job").split(",")
# the same limits for both contenders, spelled out (they are also both tools' defaults)
LIMITS = ["-c", os.environ.get("SERVE_C", "100"), "--per-host", os.environ.get("SERVE_PER_HOST", "8")]

fx = Fixture("--sites", str(sites), "--size", size)


TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    """User and system CPU seconds of process pid so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICK, int(fields[12]) / TICK


def wrk(url, pid):
    """(req/s, p50, p99, user us/request, system us/request) of the server pid under wrk."""
    u0, s0 = cpu_s(pid)
    out = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{secs}s", "--latency", url],
                         capture_output=True, text=True, timeout=secs + 60).stdout
    u1, s1 = cpu_s(pid)
    count = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+(\S+)", out).group(1)
    p99 = re.search(r"99%\s+(\S+)", out).group(1)
    return rps, p50, p99, 1e6 * (u1 - u0) / count, 1e6 * (s1 - s0) / count


def start_hello():
    """libmicrohttpd's hello world on a libuv loop, driven as `cafe serve` drives it: the
    library's own floor on this machine at this moment. (process, url) or None."""
    hello_bin = os.path.join(build, "bench", "hello_mhd")
    if not os.path.exists(hello_bin):
        return None
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    hp = subprocess.Popen([hello_bin, str(port)], stdout=subprocess.PIPE)
    hp.stdout.readline()  # "mhd on PORT": listening
    return hp, f"http://127.0.0.1:{port}/"


def median(xs):
    return sorted(xs)[len(xs) // 2]


def wrk_rounds(srv, cached):
    """Rounds of wrk on each contender in turn (the machine's noise hits them alike); each
    contender's median figures by req/s, and the median of the rounds' title/hello ratios."""
    hello = start_hello()
    runs = {"title": [], "healthz": [], "hello": []}
    try:
        for _ in range(reps):
            runs["title"].append(wrk(cached, srv.proc.pid))
            runs["healthz"].append(wrk(srv.origin + "/healthz", srv.proc.pid))
            if hello:
                runs["hello"].append(wrk(hello[1], hello[0].pid))
    finally:
        if hello:
            hello[0].terminate()
            hello[0].wait()
    ratios = [t[0] / h[0] for t, h in zip(runs["title"], runs["hello"])]
    mid = {k: median(v) for k, v in runs.items() if v}
    return mid, (median(ratios) if ratios else None), runs


def job_run(urls):
    """A job on a fresh `cafe serve` (cold connections, as `cafe titles` starts): wall seconds
    from the POST to the last record streamed, and the service's CPU seconds (user + system,
    /proc) over the same span; the fixture is another process and is not counted."""
    s = Serve("--allow-private", "-q", "--max-job-urls", str(len(urls)), *LIMITS)
    try:
        body = ("\n".join(urls) + "\n").encode()
        u0, s0 = cpu_s(s.proc.pid)
        t0 = time.monotonic()
        req = urllib.request.Request(s.origin + "/v1/jobs", data=body,
                                     headers={"Content-Type": "text/plain"})
        st = json.load(urllib.request.urlopen(req))
        # the results stream ends when the last record is in: no polling interval in the figure
        with urllib.request.urlopen(s.origin + f"/v1/jobs/{st['id']}/results") as r:
            count = sum(1 for _ in r)
        dt = time.monotonic() - t0
        u1, s1 = cpu_s(s.proc.pid)
        assert count == len(urls), count
        return dt, (u1 - u0) + (s1 - s0)
    finally:
        s.stop()


def titles_run(path):
    """`cafe titles` on the list: wall seconds from start to exit, and its CPU seconds (user +
    system, from wait4's rusage: the process alone, not the fixture)."""
    t0 = time.monotonic()
    p = subprocess.Popen([CAFE, "titles", "-q", "--json", *LIMITS, path],
                         stdout=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.monotonic() - t0
    p.returncode = 0  # reaped here: keep Popen from waiting again
    assert os.waitstatus_to_exitcode(status) == 0, status
    return dt, ru.ru_utime + ru.ru_stime


def job_rounds(urls, path):
    """Alternating rounds of `cafe titles` and a job on the same list, so that the machine's
    noise hits both alike: per contender the median URLs/s and CPU us per URL, and the median
    of the rounds' job/titles ratios."""
    n = len(urls)
    runs = {"titles": [], "job": []}
    load = []
    for _ in range(reps):
        load.append(os.getloadavg()[0])
        runs["titles"].append(titles_run(path))
        runs["job"].append(job_run(urls))
    load.append(os.getloadavg()[0])
    rate = {k: median([n / dt for dt, _ in v]) for k, v in runs.items()}
    cpu = {k: median([1e6 * c / n for _, c in v]) for k, v in runs.items()}
    rr = median([t[0] / j[0] for t, j in zip(runs["titles"], runs["job"])])
    cr = median([j[1] / t[1] for t, j in zip(runs["titles"], runs["job"])])
    return rate, cpu, rr, cr, runs, load


def print_wrk(w):
    mid, ratio, runs = w
    names = {"title": "cached GET /v1/title", "healthz": "GET /healthz",
             "hello": "libmicrohttpd hello world on libuv (bench/serve/hello_mhd.c)"}
    for k, v in mid.items():
        print(f"| {names[k]}, wrk -t1 -c{conns} {secs} s, median of {reps} | "
              f"{v[0]:,.0f} req/s, p50 {v[1]}, p99 {v[2]}; CPU {v[3]:.1f} us user + "
              f"{v[4]:.1f} us system a request |")
    if ratio:
        pairs = ", ".join(f"{t[0]:,.0f}/{h[0]:,.0f}"
                          for t, h in zip(runs["title"], runs["hello"]))
        print(f"| cached title / hello world, median of the rounds' ratios | "
              f"{ratio:.2f} ({pairs}) |")


def print_jobs(j):
    rate, cpu, rr, cr, runs, load = j
    what = f"{n:,} URLs over {sites} sites, {' '.join(LIMITS)}, median of {reps}"
    print(f"| cafe titles --json, {what} | {rate['titles']:,.0f} URLs/s, "
          f"CPU {cpu['titles']:.1f} us/URL |")
    print(f"| job (POST to last record streamed), {what} | {rate['job']:,.0f} URLs/s, "
          f"CPU {cpu['job']:.1f} us/URL |")
    pairs = ", ".join(f"{t[0] / j[0]:.2f}" for t, j in zip(runs["titles"], runs["job"]))
    print(f"| job / cafe titles, URLs/s (median of the rounds' ratios) | {rr:.2f} ({pairs}) |")
    pairs = ", ".join(f"{j[1] / t[1]:.2f}" for t, j in zip(runs["titles"], runs["job"]))
    print(f"| job / cafe titles, CPU per URL (median of the rounds' ratios) | {cr:.2f} "
          f"({pairs}) |")
    print(f"| 1-minute load average during the rounds | "
          f"{min(load):.1f}-{max(load):.1f} on {os.cpu_count()} CPUs |")


try:
    print("| figure | value |")
    print("|---|---|")
    if "wrk" in parts:
        srv = Serve("--allow-private", "-q")
        try:
            url = fx.url(0, "/page/1")
            cached = srv.origin + "/v1/title?url=" + urllib.request.quote(url, safe="")
            urllib.request.urlopen(cached).read()  # warm the cache
            if shutil.which("wrk"):
                print_wrk(wrk_rounds(srv, cached))
            else:
                print("| cached GET /v1/title | n/a (no wrk) |")
        finally:
            srv.stop()
    if "job" in parts:
        urls = [fx.url(i % sites, f"/page/{i}") for i in range(n)]
        tmp = tempfile.mkdtemp(prefix="cafe-bench-serve-")
        path = os.path.join(tmp, "urls.txt")
        with open(path, "w") as f:
            f.write("\n".join(urls) + "\n")
        try:
            print_jobs(job_rounds(urls, path))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
finally:
    fx.close()
