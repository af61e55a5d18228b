#!/bin/sh
# `cafe serve` benchmark (bench/README.md, "cafe serve"): cached GET /v1/title under wrk, and
# a job's throughput against `cafe titles` on the same URLs, side by side in one run.
# Usage: bench/serve/run.sh BUILD_DIR
# Knobs: SERVE_WRK_SECONDS [10], SERVE_WRK_CONNECTIONS [64], SERVE_URLS [10000] over
# SERVE_SITES [200] fixture sites of SERVE_SIZE [30000]-byte pages, SERVE_REPS [3] rounds,
# SERVE_C [100] and SERVE_PER_HOST [8] for both contenders, SERVE_PARTS [wrk,job].
set -u
build=$(cd "${1:?usage: bench/serve/run.sh BUILD_DIR}" && pwd) || exit 2
here=$(cd "$(dirname "$0")" && pwd)
netns="$here/../../tests/netns.sh"
if [ "${CAFE_NETNS:-}" != 1 ] && "$netns" true 2>/dev/null; then
    exec "$netns" sh "$here/run.sh" "$build"
fi
exec python3 "$here/bench.py" "$build"
