#!/bin/sh
# `cafe serve` against hostile and heavy clients (faults_e2e.py).
set -eu
exec python3 "$CAFE_SOURCE_DIR/tests/serve/faults_e2e.py"
