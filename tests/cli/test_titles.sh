#!/bin/sh
# `cafe titles` end to end against the fixture server and nginx on loopback.
set -eu
exec python3 "$CAFE_SOURCE_DIR/tests/cli/titles_e2e.py"
