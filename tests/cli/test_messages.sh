#!/bin/sh
# Every message on standard error names its command (tests/cli/messages_e2e.py).
set -eu
exec python3 "$CAFE_SOURCE_DIR/tests/cli/messages_e2e.py"
