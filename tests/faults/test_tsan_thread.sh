#!/bin/sh
# The thread-pool tests (tests/runtime/test_thread.c) and `cafe titles --threads`
# (tsan_titles.py) under ThreadSanitizer: a clang-14 build with CAFE_TSAN=ON of that test and
# the tool in its own directory ($CAFE_BUILD_DIR/tsan), run with halt_on_error so that any
# data race fails it. Runs in the normal build only (the ASan build
# cannot mix sanitizers); skipped (exit 77) in the ASan build and without clang-14.
set -eu
if [ "${CAFE_SANITIZE:-0}" = "1" ]; then
    echo "tsan: runs in the normal build only: skipped"
    exit 77
fi
if ! command -v clang-14 >/dev/null; then
    echo "tsan: skipped (no clang-14)"
    exit 77
fi
dir="${CAFE_BUILD_DIR:?}/tsan"
CC=clang-14 cmake -S "${CAFE_SOURCE_DIR:?}" -B "$dir" -DCAFE_TSAN=ON -DCMAKE_BUILD_TYPE=Debug \
    >/dev/null
cmake --build "$dir" -j2 --target test_thread cafe_tool >/dev/null
export TSAN_OPTIONS="halt_on_error=1:exitcode=66${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
"$dir/tests/test_thread"
python3 "$(dirname "$0")/tsan_titles.py" "$dir/src/cli/cafe"
