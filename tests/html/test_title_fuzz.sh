#!/bin/sh
# Runs the title extractor's libFuzzer targets (fuzz/fuzz_title.c, and fuzz_title_xml.c for
# its XML mode) for a bounded time each in the
# ASan+UBSan build: no crash, no leak, valid UTF-8, streaming invariance (checked inside the
# target). Skipped (exit 77) in the normal build and where clang-14's libFuzzer is missing.
set -eu
if [ "${CAFE_SANITIZE:-0}" != "1" ]; then
    echo "title fuzz: runs in the ASan build only: skipped"
    exit 77
fi
src=${CAFE_SOURCE_DIR:?}
export CAFE_FUZZ_BUILD="${CAFE_BUILD_DIR:?}/fuzz"
rc=0
"$src/fuzz/run.sh" "${CAFE_TITLE_FUZZ_SECONDS:-30}" title title_xml || rc=$?
if [ "$rc" -eq 77 ]; then
    echo "title fuzz: skipped (no clang-14 libFuzzer)"
    exit 77
fi
exit "$rc"
