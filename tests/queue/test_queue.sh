#!/bin/sh
# The Redis queue end to end: real redis-server and fixture on loopback (queue_e2e.py).
set -eu
exec python3 "$CAFE_SOURCE_DIR/tests/queue/queue_e2e.py"
