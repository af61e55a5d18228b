#!/bin/sh
# Input lines end to end: IDN, BOM, -o naming the input, odd and long lines, the summary
# (tests/cli/lines_e2e.py).
set -eu
exec python3 "$CAFE_SOURCE_DIR/tests/cli/lines_e2e.py"
