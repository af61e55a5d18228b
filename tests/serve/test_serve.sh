#!/bin/sh
# `cafe serve` end to end: its API against the fixture server on loopback (serve_e2e.py).
set -eu
exec python3 "$CAFE_SOURCE_DIR/tests/serve/serve_e2e.py"
