#!/bin/sh
# Signals at random moments, then --resume, repeated: nothing lost, nothing twice
# (tests/faults/interrupt_e2e.py).
set -eu
exec python3 "$CAFE_SOURCE_DIR/tests/faults/interrupt_e2e.py"
