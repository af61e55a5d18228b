#!/usr/bin/env python3
"""Builds the title benchmark corpus: LIST (file names) -> DIR/shipped.txt and DIR/end.txt.

shipped.txt lists the pages as installed; end.txt lists copies with their first <title>
element moved to the very end of the page (after </html>, where a browser still finds it),
so every parser has to read the whole page."""
import os
import re
import sys

src, out = sys.argv[1], sys.argv[2]
title = re.compile(rb"<title[\s>].*?</title\s*>", re.I | re.S)
shipped, end = [], []
for i, name in enumerate(open(src).read().split()):
    data = open(name, "rb").read()
    m = title.search(data)
    if not m:
        continue
    moved = data[: m.start()] + data[m.end():] + b"\n" + m.group(0) + b"\n"
    path = os.path.join(out, "end-%03d.html" % i)
    open(path, "wb").write(moved)
    shipped.append(name)
    end.append(path)
open(os.path.join(out, "shipped.txt"), "w").write("\n".join(shipped) + "\n")
open(os.path.join(out, "end.txt"), "w").write("\n".join(end) + "\n")
