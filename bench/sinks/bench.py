"""bench/sinks/run.sh's body: sink throughput alone and `cafe titles` with each sink."""
import os
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
ROUNDS = int(os.environ.get("SINK_BENCH_ROUNDS", "3"))
tmp = tempfile.mkdtemp(prefix="cafe-sinkbench-")
os.chmod(tmp, 0o755)
pg = PgServer(durable=True) if pg_bin() else None
env = pg.env() if pg else dict(os.environ)


def sink_alone(spec):
    """records/s and CPU seconds of bench_sinks."""
    t = os.times()
    out = subprocess.run([os.path.join(build, "bench", "bench_sinks"), spec, str(ROWS)],
                         env=env, capture_output=True, check=True).stdout
    t2 = os.times()
    cpu = (t2.children_user - t.children_user) + (t2.children_system - t.children_system)
    return float(out), cpu


def titles(args, listfile):
    t0 = time.monotonic()
    subprocess.run([CAFE, "titles", "-q", "-c", "100", *args, listfile], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return URLS / (time.monotonic() - t0)


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
runs = {"json": [], "sqlite": [], "pg": []}
for r in range(ROUNDS):  # interleaved, so that the machine's load hits all alike
    runs["json"].append(titles(["--json", "-o", os.path.join(tmp, f"r{r}.jsonl")], listfile))
    runs["sqlite"].append(titles(["-o", os.path.join(tmp, f"r{r}.sqlite")], listfile))
    if pg:
        runs["pg"].append(titles(["--db", f"postgresql://cafe@/cafe?table=r{r}"], listfile))
fx.close()
med = {k: statistics.median(v) for k, v in runs.items() if v}
rows.append("| `cafe titles`, URLs/s (median of %d) | %.0f | %.0f (%.2fx) | %s |" % (
    ROUNDS, med["json"], med["sqlite"], med["sqlite"] / med["json"],
    "%.0f (%.2fx)" % (med["pg"], med["pg"] / med["json"]) if pg else "n/a"))
if pg:
    pg.close()
subprocess.run(["rm", "-rf", tmp])
print(f"{ROWS} rows per sink alone; {URLS} URLs from 50 local sites at -c 100; "
      f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
print("\n".join(rows))
