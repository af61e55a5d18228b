#!/bin/sh
# The URL Standard's own test data (the web-platform-tests' urltestdata.json, as Debian ships it
# in librust-url-dev) through cafe's list-line and redirect rules (tests/sources/url_spec.py).
set -eu
exec python3 "$CAFE_SOURCE_DIR/tests/sources/url_spec.py"
