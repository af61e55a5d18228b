"""`cafe serve` figures: cached title requests per second (wrk, with p99 latency), and a
job's URLs per second next to `cafe titles` on the same list (alternating runs)."""
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

fx = Fixture("--sites", str(sites), "--size", size)
srv = Serve("--allow-private", "-q", "--max-job-urls", str(n))


def wrk(url):
    if not shutil.which("wrk"):
        return None
    out = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{secs}s", "--latency", url],
                         capture_output=True, text=True, timeout=secs + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+(\S+)", out).group(1)
    p99 = re.search(r"99%\s+(\S+)", out).group(1)
    return rps, p50, p99


def job_rate(urls):
    body = ("\n".join(urls) + "\n").encode()
    t0 = time.monotonic()
    req = urllib.request.Request(srv.origin + "/v1/jobs", data=body,
                                 headers={"Content-Type": "text/plain"})
    st = json.load(urllib.request.urlopen(req))
    # the results stream ends when the last record is in: no polling interval in the figure
    with urllib.request.urlopen(srv.origin + f"/v1/jobs/{st['id']}/results") as r:
        count = sum(1 for _ in r)
    dt = time.monotonic() - t0
    assert count == len(urls), count
    return len(urls) / dt


def titles_rate(path, count):
    t0 = time.monotonic()
    r = subprocess.run([CAFE, "titles", "-q", "--json", path], stdout=subprocess.DEVNULL,
                       timeout=600)
    assert r.returncode == 0
    return count / (time.monotonic() - t0)


try:
    url = fx.url(0, "/page/1")
    cached = srv.origin + "/v1/title?url=" + urllib.request.quote(url, safe="")
    urllib.request.urlopen(cached).read()  # warm the cache
    w = wrk(cached)
    health = wrk(srv.origin + "/healthz")
    hello = None
    hello_bin = os.path.join(build, "bench", "hello_mhd")
    if os.path.exists(hello_bin):  # the library's own floor on this machine, same loop model
        import socket
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        hp = subprocess.Popen([hello_bin, str(port)], stdout=subprocess.PIPE)
        hp.stdout.readline()  # "mhd on PORT": listening
        hello = wrk(f"http://127.0.0.1:{port}/")
        hp.terminate()
        hp.wait()
    urls = [fx.url(i % sites, f"/page/{i}") for i in range(n)]
    tmp = tempfile.mkdtemp(prefix="cafe-bench-serve-")
    path = os.path.join(tmp, "urls.txt")
    with open(path, "w") as f:
        f.write("\n".join(urls) + "\n")
    jobs, cli = [], []
    for _ in range(reps):  # alternate, so that the machine's noise hits both alike
        cli.append(titles_rate(path, n))
        jobs.append(job_rate(urls))
    jm, cm = sorted(jobs)[len(jobs) // 2], sorted(cli)[len(cli) // 2]
    print("| figure | value |")
    print("|---|---|")
    if w:
        print(f"| cached GET /v1/title, wrk -t1 -c{conns} {secs} s | {w[0]:,.0f} req/s, "
              f"p50 {w[1]}, p99 {w[2]} |")
        print(f"| GET /healthz, same wrk | {health[0]:,.0f} req/s, "
              f"p50 {health[1]}, p99 {health[2]} |")
        if hello:
            print(f"| libmicrohttpd hello world on libuv (bench/serve/hello_mhd.c), same wrk "
                  f"| {hello[0]:,.0f} req/s, p50 {hello[1]}, p99 {hello[2]} |")
            print(f"| cached title / hello world | {w[0] / hello[0]:.2f} |")
    else:
        print("| cached GET /v1/title | n/a (no wrk) |")
    print(f"| job of {n} URLs over {sites} sites (median of {reps}) | {jm:,.0f} URLs/s |")
    print(f"| cafe titles, same list (median of {reps}) | {cm:,.0f} URLs/s |")
    print(f"| job / cafe titles | {jm / cm:.2f} |")
    shutil.rmtree(tmp, ignore_errors=True)
finally:
    srv.stop()
    fx.close()
