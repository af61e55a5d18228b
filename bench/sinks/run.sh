#!/bin/sh
# The database sinks: records/s of each sink alone (bench_sinks), and `cafe titles` URLs/s
# writing JSON to a file, to SQLite and to PostgreSQL, side by side on one fixture.
# PostgreSQL is a durable server of the benchmark's own (fsync on), on a Unix socket.
# Prints a markdown table. Usage: bench/sinks/run.sh BUILD_DIR
# Env: SINK_BENCH_ROWS (200000), SINK_BENCH_URLS (20000), SINK_BENCH_ROUNDS (5). ~2 min.
# Figures: URLs/s (median and best of the rounds, ratio to JSON) and CPU per URL, cafe alone
# and with the PostgreSQL server (its postmaster and every backend): on a loaded machine
# the CPU ratios are the steadier ones.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: bench/sinks/run.sh BUILD_DIR}" && pwd)
CAFE_BUILD_DIR=$build CAFE_SOURCE_DIR=$(cd "$here/../.." && pwd) exec python3 "$here/bench.py"
