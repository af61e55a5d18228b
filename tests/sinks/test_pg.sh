#!/bin/sh
# `cafe titles --db postgresql://` against a PostgreSQL server the test starts itself
# (skipped, 77, when Debian's postgresql is not installed).
set -eu
exec python3 "$CAFE_SOURCE_DIR/tests/sinks/pg_e2e.py"
