"""The cost of --resume per record already written, counted by callgrind (instructions, not
time: the same on any machine, however busy). Resuming a JSON Lines file parsed each record
with jansson, ~53,000 instructions a record: 10 million records took minutes before the
first URL was fetched. Two files, of N and 2N records, give the cost of one record apart from
the run's fixed costs. No URL is fetched (every one is done): no network is used."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

CAFE = os.path.join(os.environ["CAFE_BUILD_DIR"], "src", "cli", "cafe")
N = 2000
# instructions a record at most: a JSON record is ~330 bytes here, its URL hashed and kept
LIMIT = {"--json": 6000, "--csv": 6000}

if not shutil.which("valgrind"):
    print("SKIP: no valgrind")
    sys.exit(77)
if os.environ.get("CAFE_SANITIZE") in ("1", "ON", "TRUE", "true"):
    print("SKIP: valgrind does not run a sanitizer build")
    sys.exit(77)

tmp = tempfile.mkdtemp(prefix="cafe-resume-cost-")


def files(n, fmt):
    """A list of n URLs, and the file a run wrote for them, as cafe writes it."""
    urls = [f"http://127.0.0.1:9/site/{i % 50}/page/{i}?q={i * 7919}" for i in range(n)]
    lst = os.path.join(tmp, f"list-{n}.txt")
    with open(lst, "w") as f:
        f.write("".join(u + "\n" for u in urls))
    out = os.path.join(tmp, f"out-{n}{fmt}")
    with open(out, "w", newline="") as f:
        if fmt == "--csv":
            f.write("url,final_url,status,title,content_type,charset,charset_source,bytes,"
                    "time_ms,attempts,error\r\n")
        for i, u in enumerate(urls):
            # a title with what JSON escapes ("), a failure now and then
            title = f"Page {i} \u2014 \"quoted\" caf\u00e9 title of some length"
            err = "connection refused: Failed to connect" if i % 10 == 0 else None
            if fmt == "--json":
                rec = {"url": u, "final_url": u, "status": 200, "title": title,
                       "content_type": "text/html", "charset": "UTF-8",
                       "charset_source": "header", "bytes": 30000 + i, "time_ms": 273,
                       "attempts": 1, "error": err}
                f.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")
            else:
                t = '"' + title.replace('"', '""') + '"'
                f.write(f"{u},{u},200,{t},text/html,UTF-8,header,{30000 + i},273,1,"
                        f"{err or ''}\r\n")
    return lst, out


def instructions(n, fmt):
    lst, out = files(n, fmt)
    cg = os.path.join(tmp, f"cg-{n}{fmt}")
    r = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={cg}",
                        "--toggle-collect=stream_resume_load", CAFE, "titles", "-q", fmt,
                        "--resume", "-o", out, lst], capture_output=True, timeout=600)
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    with open(out, newline="") as f:  # nothing fetched, nothing added
        assert sum(1 for _ in f) == n + (fmt == "--csv"), fmt
    with open(cg) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise AssertionError("no totals in " + cg)


failed = 0
for fmt, limit in LIMIT.items():
    per = (instructions(2 * N, fmt) - instructions(N, fmt)) / N
    ok = per <= limit
    failed += not ok
    print(f"{'ok' if ok else 'FAIL'} - {fmt}: {per:.0f} instructions a record read back "
          f"(at most {limit})")
shutil.rmtree(tmp)
sys.exit(1 if failed else 0)
