#!/bin/sh
# Encoding detectors on unlabeled pages: generates the corpus (tests/html/gen_detect_corpus.py)
# and prints the comparison table of bench/detect/README.md. Usage: bench/detect/run.sh
# [BUILD_DIR]. Takes a few seconds.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build}" && pwd)
eval_bin="$build/bench/eval_detect"
# Built here, not only checked for: an old binary would print an old detector's figures.
cmake --build "$build" --target eval_detect >/dev/null ||
    { echo "detect bench: cannot build $eval_bin (make bench; needs libicu-dev)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
python3 "$here/../../tests/html/gen_detect_corpus.py" "$tmp"
"$eval_bin" "$tmp"
