#!/bin/sh
# Undeclared pages of real translated text (the gettext catalogues on this machine,
# tests/html/gen_mo_corpus.py: 3 pages per language, encoding and shape from each locale's
# first 25 catalogues), as files (`cafe title`) and over loopback (`cafe titles` under the
# language's country domain and under .com, --resolve): the right titles per encoding and
# way must reach the floors in detect_corpus.min, measured when they were set
# (bench/detect/mo_corpus.py prints the table). Skips (77) without python3 or the catalogues.
set -eu
command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
rc=0
python3 "$CAFE_SOURCE_DIR/tests/html/gen_mo_corpus.py" "$out" 3 --max-files 25 || rc=$?
[ "$rc" -eq 0 ] || exit "$rc"
python3 "$CAFE_SOURCE_DIR/bench/detect/mo_corpus.py" "$out" "$CAFE_BUILD_DIR/src/cli/cafe" \
    --min "$CAFE_SOURCE_DIR/tests/cli/detect_corpus.min" || rc=$?
exit "$rc"
