#!/bin/sh
# `cafe serve`'s web page in headless Chromium over the DevTools protocol (page_e2e.py).
# Debian's python3 (python3-websocket is a Debian package); exit 77 skips.
set -eu
py=/usr/bin/python3
[ -x "$py" ] || py=python3
exec "$py" "$CAFE_SOURCE_DIR/tests/serve/page_e2e.py"
