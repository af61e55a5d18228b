#!/bin/sh
# `cafe titles -o results.sqlite` end to end: typed rows, runs table, SIGKILL + --resume
# rounds, duplicate and bad lines, hostile titles, refused tables, a full disk, a file system
# that goes read-only mid-run (the last two in private mount namespaces).
set -eu
exec python3 "$CAFE_SOURCE_DIR/tests/sinks/sqlite_e2e.py"
