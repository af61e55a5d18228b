#!/bin/sh
# A URL's redirect chain as a browser follows it: cookies along the chain, kept to it
# (tests/http/redirects_e2e.py).
set -eu
exec python3 "$CAFE_SOURCE_DIR/tests/http/redirects_e2e.py"
