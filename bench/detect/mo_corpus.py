#!/usr/bin/env python3
"""cafe's titles of undeclared pages made from real translated text (the corpus of
tests/html/gen_mo_corpus.py), as files (`cafe title`) and over loopback (`cafe titles`,
under the language's country domain and under .com, names mapped with --resolve), against
Firefox (chardetng) and Chromium on a sample, reading document.title and
document.characterSet.

Usage (in a network namespace with only loopback, Debian's python3 for the browsers):
  sh tests/netns.sh /usr/bin/python3 bench/detect/mo_corpus.py CORPUS CAFE \\
      [--browsers N] [--dump F] [--no-http] [--min F]
--browsers N: the first N pages of each encoding and shape, in both browsers, under the
country domain and .com; --dump F: every page's answers as JSON; --min F: a file of lines
"encoding shape mode minimum-percent": exit 1 when a cell falls below (the CTest check).
Prints right titles per encoding and shape, and the pages a browser reads right where cafe
does not."""
import json
import os
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "util"))
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "browser"))


def load(corpus):
    rows = []
    with open(os.path.join(corpus, "index.tsv"), encoding="utf-8") as f:
        for line in f:
            name, enc, shape, lang, tld, title = line.rstrip("\n").split("\t")
            rows.append({"name": name, "enc": enc, "shape": shape, "lang": lang, "tld": tld,
                         "want": title})
    return rows


def cafe_files(cafe, corpus, rows):
    out = []
    for i in range(0, len(rows), 400):
        names = [os.path.join(corpus, r["name"]) for r in rows[i:i + 400]]
        res = subprocess.run([cafe, "title"] + names, capture_output=True, timeout=300,
                             check=True)
        lines = res.stdout.decode("utf-8", "replace").split("\n")
        assert len(lines) == len(names) + 1, "cafe title: %d lines" % len(lines)
        out += lines[:-1]
    return out


def host(r, kind):
    return "www.example." + (r["tld"] if kind == "cc" else "com")


def cafe_http(cafe, rows, port, kind):
    hosts = sorted({host(r, kind) for r in rows})
    args = [cafe, "titles", "--json", "-q", "--scheme", "http", "-c", "16"]
    for h in hosts:
        args += ["--resolve", "%s:%d:127.0.0.1" % (h, port)]
    urls = "".join("http://%s:%d/%s\n" % (host(r, kind), port, r["name"]) for r in rows)
    res = subprocess.run(args, input=urls.encode(), capture_output=True, timeout=600,
                         check=True)
    recs = [json.loads(line) for line in res.stdout.decode().splitlines()]
    assert len(recs) == len(rows), "cafe titles: %d records" % len(recs)
    return [(r.get("title") or "", r.get("charset") or "") for r in recs]


EXPR = "[document.title, document.characterSet]"
NOT_LOADED = (None, "did not load")  # counted wrong


def main():
    args = sys.argv[1:]
    corpus, cafe = args[0], args[1]
    nbrowse = int(args[args.index("--browsers") + 1]) if "--browsers" in args else 0
    dump = args[args.index("--dump") + 1] if "--dump" in args else None
    minimum = args[args.index("--min") + 1] if "--min" in args else None
    rows = load(corpus)
    for r, t in zip(rows, cafe_files(cafe, corpus, rows)):
        r["file"] = t
    server = None
    if "--no-http" not in args:
        from pageserver import PageServer

        def page(path):
            name = os.path.basename(path)
            p = os.path.join(corpus, name)
            if not name.endswith(".html") or not os.path.exists(p):
                return None
            with open(p, "rb") as f:
                return f.read(), "text/html"
        server = PageServer(page)
        for kind in ("cc", "com"):
            for r, (t, cs) in zip(rows, cafe_http(cafe, rows, server.port, kind)):
                r["http-" + kind], r["cs-" + kind] = t, cs
    modes = ["file"] + (["http-cc", "http-com"] if server else [])
    if nbrowse:
        import browsers as b
        seen = {}
        sample = []
        for r in rows:
            key = (r["enc"], r["shape"])
            seen[key] = seen.get(key, 0) + 1
            if seen[key] <= nbrowse:
                sample.append(r)
        chromium, firefox = b.find("chromium", "chromium-browser"), b.find("firefox-esr",
                                                                            "firefox")
        for who, binary, fn in (("chromium", chromium, b.chromium_top_level),
                                ("firefox", firefox, b.firefox_top_level)):
            if not binary:
                continue
            for kind in ("cc", "com"):
                urls = ["http://%s:%d/%s" % (host(r, kind), server.port, r["name"])
                        for r in sample]
                with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
                    got = fn(binary, urls, tmp, EXPR, NOT_LOADED)
                for r, (t, cs) in zip(sample, got):
                    r["%s-%s" % (who, kind)], r["%scs-%s" % (who, kind)] = t, cs
                modes.append("%s-%s" % (who, kind))
    if server:
        server.close()
    cells = {}
    for r in rows:
        for key in ((r["enc"], r["shape"]), (r["enc"], "all"), ("all", r["shape"]),
                    ("all", "all")):
            c = cells.setdefault(key, {})
            for m in modes:
                if m in r:
                    n, ok = c.get(m, (0, 0))
                    c[m] = (n + 1, ok + (r[m] == r["want"]))
    print("| encoding | shape | " + " | ".join(modes) + " |")
    print("|---|---|" + "---:|" * len(modes))
    for key in sorted(cells, key=lambda k: (k[0] == "all", k[0], k[1] == "all", k[1])):
        c = cells[key]
        print("| %s | %s | " % key + " | ".join(
            "%d/%d" % (c[m][1], c[m][0]) if m in c else "-" for m in modes) + " |")
    for r in rows:
        for m in modes:
            if m.startswith(("chromium", "firefox")) and r.get(m) == r["want"]:
                mine = "http-" + m.split("-")[1]
                if r[mine] != r["want"]:
                    print("%s right, cafe %s wrong: %s %r cafe %r (%s)" % (
                        m, mine, r["name"], r["want"], r[mine],
                        r.get("cs-" + m.split("-")[1], "")))
    if dump:
        with open(dump, "w") as f:
            json.dump(rows, f, ensure_ascii=False, indent=0)
    failed = 0
    if minimum:
        with open(minimum) as f:
            for line in f:
                if not line.strip() or line.startswith("#"):
                    continue
                enc, shape, mode, pct = line.split("#")[0].split()
                n, ok = cells.get((enc, shape), {}).get(mode, (0, 0))
                if n == 0 or ok * 100 < float(pct) * n:
                    print("FAIL: %s %s %s: %d/%d right, under %s%%" % (enc, shape, mode, ok, n,
                                                                        pct))
                    failed = 1
    return failed


if __name__ == "__main__":
    sys.exit(main())
