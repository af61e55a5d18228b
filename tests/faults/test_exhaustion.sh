#!/bin/sh
# Descriptor limit and a 100,000-URL run with flat memory (tests/faults/exhaustion_e2e.py).
set -eu
exec python3 "$CAFE_SOURCE_DIR/tests/faults/exhaustion_e2e.py"
