#!/bin/sh
# Option validation and help of every subcommand, end to end (tests/cli/options_e2e.py).
set -eu
exec python3 "$CAFE_SOURCE_DIR/tests/cli/options_e2e.py"
