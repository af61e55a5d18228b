#!/bin/sh
# `cafe titles -o results.sqlite` end to end: typed rows, runs table, SIGKILL + --resume
# rounds, hostile titles, refused tables, a full disk.
set -eu
exec python3 "$CAFE_SOURCE_DIR/tests/sinks/sqlite_e2e.py"
