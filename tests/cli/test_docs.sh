#!/bin/sh
# The commands README.md and the man page show, run as written (tests/cli/docs_e2e.py).
set -eu
exec python3 "$CAFE_SOURCE_DIR/tests/cli/docs_e2e.py"
