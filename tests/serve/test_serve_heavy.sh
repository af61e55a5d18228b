#!/bin/sh
# `cafe serve` with a large job, and a shutdown and restart during one (heavy_e2e.py).
set -eu
exec python3 "$CAFE_SOURCE_DIR/tests/serve/heavy_e2e.py"
