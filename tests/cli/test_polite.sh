#!/bin/sh
# Politeness (rate, host interval, 429/503 host backoff) end to end (tests/cli/polite_e2e.py).
set -eu
exec python3 "$CAFE_SOURCE_DIR/tests/cli/polite_e2e.py"
