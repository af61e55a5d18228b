#!/bin/sh
# Output errors: full device, read-only file system, disk full mid-run, closed stdout
# (tests/faults/output_e2e.py).
set -eu
exec python3 "$CAFE_SOURCE_DIR/tests/faults/output_e2e.py"
