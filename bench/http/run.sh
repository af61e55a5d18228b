#!/bin/sh
# HTTP client benchmark: cafe vs curl -Z vs aiohttp vs wrk against cafe-fixture, plus the
# early-stop policies. Prints markdown tables. Usage: bench/http/run.sh [BUILD_DIR]
# Runs inside a fresh network namespace (loopback only), like the tests.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
if [ "${CAFE_NETNS:-}" != 1 ]; then
    exec "$here/../../tests/netns.sh" "$here/run.sh" "$build"
fi
exec /usr/bin/python3 "$here/bench.py" "$build"
