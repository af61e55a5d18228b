#!/bin/sh
# `cafe titles` against every fault the fixture, nginx (TLS) and a raw socket server can give:
# exact result records, and the run goes on (tests/faults/faults_e2e.py).
set -eu
exec python3 "$CAFE_SOURCE_DIR/tests/faults/faults_e2e.py"
