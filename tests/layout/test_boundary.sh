#!/bin/sh
# The library's inside stays inside: code outside src/runtime, src/http and src/html (the
# tool, the fixture, the sources, sinks and clients, the examples) includes only the public
# headers (include/), its own room's headers and other client rooms' headers, never a
# private header of the library; and the build gives those files no include path into src/
# itself, so such an include could not even compile by accident.
set -eu
exec python3 - "$CAFE_SOURCE_DIR" "$CAFE_BUILD_DIR" <<'PY'
import json, os, re, sys

src_dir, build_dir = sys.argv[1], sys.argv[2]
lib_rooms = ("runtime", "http", "html")
src = os.path.join(src_dir, "src")
include = os.path.join(src_dir, "include")
private = {}  # header file name -> its library room
for room in lib_rooms:
    for dirpath, _, files in os.walk(os.path.join(src, room)):
        for f in files:
            if f.endswith(".h"):
                private.setdefault(f, room)
rooms = [d for d in sorted(os.listdir(src)) if os.path.isdir(os.path.join(src, d)) and d not in lib_rooms]
client_headers = {f for r in rooms for f in os.listdir(os.path.join(src, r)) if f.endswith(".h")}

def client_files():
    for r in rooms:
        for dirpath, _, files in os.walk(os.path.join(src, r)):
            yield from (os.path.join(dirpath, f) for f in files if f.endswith((".c", ".h")))
    for f in os.listdir(os.path.join(src_dir, "examples")):
        if f.endswith(".c"):
            yield os.path.join(src_dir, "examples", f)

def leaks(path):
    here = os.path.dirname(path)
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        m = re.match(r'\s*#\s*include\s*"([^"]+)"', line)
        if not m:
            continue
        inc = m.group(1)
        if os.path.exists(os.path.join(here, inc)) and ".." not in inc:
            continue  # the room's own header
        if os.path.exists(os.path.join(include, inc)) or os.path.basename(inc) in client_headers and "/" not in inc:
            continue
        if inc.split("/")[0] in lib_rooms or ".." in inc or os.path.basename(inc) in private:
            yield f"{os.path.relpath(path, src_dir)}:{n}: includes a private header: {inc}"
        else:
            yield f"{os.path.relpath(path, src_dir)}:{n}: includes an unknown header: {inc}"

problems = [p for f in client_files() for p in leaks(f)]

# No client file is compiled with src/ itself on its include path.
db = os.path.join(build_dir, "compile_commands.json")
for entry in json.load(open(db)) if os.path.exists(db) else []:
    f = os.path.realpath(entry["file"])
    rel = os.path.relpath(f, src)
    if rel.startswith("..") or rel.split(os.sep)[0] in lib_rooms:
        continue
    cmd = entry.get("command") or " ".join(entry.get("arguments", []))
    if re.search(r"(^|\s)-I\s*" + re.escape(src) + r"/?(\s|$)", cmd):
        problems.append(f"{os.path.relpath(f, src_dir)} is compiled with -I {src}")

for p in problems:
    print(p)
print(f"{0 if problems else 1} passed, {1 if problems else 0} failed")
sys.exit(1 if problems else 0)
PY
