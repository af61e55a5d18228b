#!/bin/sh
# What records say: non-HTML bodies, terminal-safe text (tests/cli/records_e2e.py).
set -eu
exec python3 "$CAFE_SOURCE_DIR/tests/cli/records_e2e.py"
