#!/usr/bin/env python3
"""Title extraction in Python, the guide's way and its faster cousins.

Usage: bench_py.py MODE LIST REPS, MODE one of bs4-html.parser, bs4-lxml, lxml.html.
Prints "bytes pages seconds titles" like bench_title."""
import sys
import time
import warnings

warnings.filterwarnings("ignore")
mode, listfile, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
pages = []
for name in open(listfile).read().split("\n"):
    if name:
        with open(name, "rb") as f:
            pages.append(f.read())

if mode.startswith("bs4"):
    from bs4 import BeautifulSoup
    feature = mode.split("-", 1)[1]

    def title(page):
        t = BeautifulSoup(page, feature).title
        return t.string if t else None
else:
    import lxml.html

    def title(page):
        return lxml.html.document_fromstring(page).findtext(".//title")

found = 0
start = time.perf_counter()
for _ in range(reps):
    for p in pages:
        found += title(p) is not None
secs = time.perf_counter() - start
print(sum(map(len, pages)) * reps, len(pages) * reps, "%.6f" % secs, found)
