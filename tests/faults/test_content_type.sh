#!/bin/sh
# The charset of responses with folded, repeated and malformed Content-Type headers, as
# Chromium and Firefox read them (tests/faults/content_type_e2e.py).
set -eu
exec python3 "$CAFE_SOURCE_DIR/tests/faults/content_type_e2e.py"
