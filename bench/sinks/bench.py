"""bench/sinks/run.sh's body: sink throughput alone and `cafe titles` with each sink."""
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

src = os.environ["CAFE_SOURCE_DIR"]
build = os.environ["CAFE_BUILD_DIR"]
sys.path.insert(0, os.path.join(src, "tests", "util"))
sys.path.insert(0, os.path.join(src, "tests", "sinks"))
from harness import CAFE, Fixture  # noqa: E402
from pg_server import PgServer, pg_bin  # noqa: E402

ROWS = int(os.environ.get("SINK_BENCH_ROWS", "200000"))
URLS = int(os.environ.get("SINK_BENCH_URLS", "20000"))
ROUNDS = int(os.environ.get("SINK_BENCH_ROUNDS", "5"))
tmp = tempfile.mkdtemp(prefix="cafe-sinkbench-")
os.chmod(tmp, 0o755)
pg = PgServer(durable=True) if pg_bin() else None
env = pg.env() if pg else dict(os.environ)
TICK = os.sysconf("SC_CLK_TCK")


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def server_cpu():
    """CPU seconds of the PostgreSQL server so far: the postmaster, its live children and
    the ones it reaped (a backend exits with its connection)."""
    if not pg:
        return 0.0
    with open(os.path.join(pg.data, "postmaster.pid")) as f:
        master = f.readline().strip()
    total = 0
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if pid == master:  # utime stime cutime cstime
            total += sum(int(x) for x in fields[11:15])
        elif fields[1] == master:
            total += int(fields[11]) + int(fields[12])
    return total / TICK


def sink_alone(spec):
    """records/s and CPU seconds of bench_sinks."""
    cpu = children_cpu()
    out = subprocess.run([os.path.join(build, "bench", "bench_sinks"), spec, str(ROWS)],
                         env=env, capture_output=True, check=True).stdout
    return float(out), children_cpu() - cpu


def titles(args, listfile):
    """URLs/s, cafe's CPU seconds and the database server's."""
    cpu, srv, t0 = children_cpu(), server_cpu(), time.monotonic()
    subprocess.run([CAFE, "titles", "-q", "-c", "100", *args, listfile], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.monotonic() - t0
    return URLS / wall, children_cpu() - cpu, server_cpu() - srv


rows = ["| measure | JSON file | SQLite | PostgreSQL |", "|---|---|---|---|"]
alone = {}
for name, spec in [("SQLite", "sqlite:" + os.path.join(tmp, "alone.sqlite")),
                   ("PostgreSQL", "postgresql://cafe@/cafe?table=alone")]:
    if name == "PostgreSQL" and not pg:
        continue
    alone[name] = sink_alone(spec)
rows.append("| sink alone, records/s (wall) | - | %.0f | %s |" % (
    alone["SQLite"][0], "%.0f" % alone["PostgreSQL"][0] if pg else "n/a"))
rows.append("| sink alone, records per CPU-second of cafe | - | %.0f | %s |" % (
    ROWS / alone["SQLite"][1], "%.0f" % (ROWS / alone["PostgreSQL"][1]) if pg else "n/a"))

fx = Fixture("--sites", "50", "--size", "5000")
listfile = os.path.join(tmp, "urls.txt")
with open(listfile, "w") as f:
    f.write("".join(fx.url(i % 50, f"/page/{i}") + "\n" for i in range(URLS)))
kinds = ["json", "sqlite"] + (["pg"] if pg else [])
runs = {k: [] for k in kinds}
for r in range(ROUNDS):  # interleaved, each round in another order: load hits all alike
    for k in kinds[r % len(kinds):] + kinds[:r % len(kinds)]:
        args = {"json": ["--json", "-o", os.path.join(tmp, f"r{r}.jsonl")],
                "sqlite": ["-o", os.path.join(tmp, f"r{r}.sqlite")],
                "pg": ["--db", f"postgresql://cafe@/cafe?table=r{r}"]}[k]
        runs[k].append(titles(args, listfile))
fx.close()


def med(k, i):
    return statistics.median(x[i] for x in runs[k])


def cell(k, i, scale=1.0, fmt="%.0f"):
    v = med(k, i) * scale
    return fmt % v + ("" if k == "json" else " (%.2fx)" % (v / (med("json", i) * scale)))


rows.append("| `cafe titles`, URLs/s (median of %d) | %s |" % (
    ROUNDS, " | ".join(cell(k, 0) for k in kinds) + (" | n/a" if not pg else "")))
rows.append("| `cafe titles`, best of %d, URLs/s | %s |" % (
    ROUNDS, " | ".join("%.0f (%.2fx)" % (max(x[0] for x in runs[k]),
                                         max(x[0] for x in runs[k]) /
                                         max(x[0] for x in runs["json"]))
                       for k in kinds) + (" | n/a" if not pg else "")))
rows.append("| `cafe titles`, CPU ms per 1000 URLs: cafe | %s |" % (
    " | ".join(cell(k, 1, 1e6 / URLS) for k in kinds) + (" | n/a" if not pg else "")))
if pg:
    both = statistics.median(x[1] + x[2] for x in runs["pg"]) * 1e6 / URLS
    rows.append("| `cafe titles`, CPU ms per 1000 URLs: cafe + database server | %s | %s | "
                "%.0f (%.2fx) |" % (cell("json", 1, 1e6 / URLS), cell("sqlite", 1, 1e6 / URLS),
                                    both, both / (med("json", 1) * 1e6 / URLS)))
    pg.close()
subprocess.run(["rm", "-rf", tmp])
print(f"{ROWS} rows per sink alone; {URLS} URLs from 50 local sites at -c 100; "
      f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
print("\n".join(rows))
