#!/bin/sh
# The reference manual has no empty entry: every public function of include/cafe.h and
# include/cafe/*.h has a header comment that Doxygen attached to it. Doxygen gives the man 3
# pages and the HTML one entry per function, the text of the comment right before its
# declaration (cmake/doxygen-filter.sed); one comment above two declarations documents the
# first only, and a function without one gets a page with its prototype alone. Read from the
# XML of the same Doxygen run (build/doc/xml).
set -eu
command -v doxygen >/dev/null 2>&1 || { echo "doxygen not found: skipped"; exit 77; }
xml="$CAFE_BUILD_DIR/doc/xml"
[ -f "$xml/index.xml" ] || { echo "no $xml/index.xml: build the cafe_doc target"; exit 1; }
python3 - "$xml" "$CAFE_SOURCE_DIR" <<'PY'
import glob, os, re, sys
import xml.etree.ElementTree as ET

xml, src = sys.argv[1], sys.argv[2]
headers = [os.path.join(src, "include", "cafe.h")] + sorted(
    glob.glob(os.path.join(src, "include", "cafe", "*.h")))
# the functions the headers declare (a name followed by its parameter list, at line start
# after the return type): the list Doxygen's is checked against, so that a function it
# missed altogether counts too
declared = set()
for h in headers:
    text = open(h, encoding="utf-8").read()
    declared |= set(re.findall(r"^[a-z][\w \*]*?\b(cafe_\w+)\(", text, re.M))
entries = {}
for f in glob.glob(os.path.join(xml, "*_8h.xml")):
    for m in ET.parse(f).getroot().iter("memberdef"):
        if m.get("kind") != "function":
            continue
        text = "".join(m.find("briefdescription").itertext()) + "".join(
            m.find("detaileddescription").itertext())
        entries[m.findtext("name")] = text.strip()
missing = sorted(declared - entries.keys())
empty = sorted(n for n, t in entries.items() if not t)
for n in missing:
    print(f"{n}: declared in a public header, no entry in the reference manual")
for n in empty:
    print(f"{n}: empty entry in the reference manual (no comment right before it)")
print(f"{len(entries)} functions, {len(empty)} empty, {len(missing)} missing")
sys.exit(1 if missing or empty or len(entries) < 100 else 0)
PY
