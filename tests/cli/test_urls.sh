#!/bin/sh
# URL lines as a browser reads them: each row's record against a fixed URL and, where node is
# installed, against its WHATWG URL class (tests/cli/urls_e2e.py).
set -eu
exec python3 "$CAFE_SOURCE_DIR/tests/cli/urls_e2e.py"
