#!/bin/sh
# Runs the libFuzzer targets of the parsers of outside input (fuzz/fuzz_{urlline,resume,opts,
# retry_after,content_type,dns,prescan,redirect,jobs,record,redis_url}.c) for
# CAFE_PARSER_FUZZ_SECONDS each (default 40: eleven targets, 7 min 20 s in all) in the
# ASan+UBSan build, one after another in their own build directory: no crash, no leak, no UB,
# and each target's own checks; each replays its committed corpus (fuzz/corpus/<name>/, the
# regress-* inputs of faults found) first. Skipped (exit 77) in the normal build and where
# clang-14's libFuzzer is missing, as tests/html/test_title_fuzz.sh.
set -eu
if [ "${CAFE_SANITIZE:-0}" != "1" ]; then
    echo "parser fuzz: runs in the ASan build only: skipped"
    exit 77
fi
export CAFE_FUZZ_BUILD="${CAFE_BUILD_DIR:?}/fuzz-parsers"
rc=0
"${CAFE_SOURCE_DIR:?}/fuzz/run.sh" "${CAFE_PARSER_FUZZ_SECONDS:-40}" \
    urlline resume opts retry_after content_type dns prescan redirect jobs record redis_url ||
    rc=$?
if [ "$rc" -eq 77 ]; then
    echo "parser fuzz: skipped (no clang-14 libFuzzer)"
    exit 77
fi
exit "$rc"
