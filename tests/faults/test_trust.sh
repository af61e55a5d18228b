#!/bin/sh
# The default trust store read lazily from the system's hashed CA directory, and the bundle
# where that directory cannot stand for it (tests/faults/trust_e2e.py). Needs a private mount
# namespace (root); skips (77) without one or without Debian's ca-certificates.
set -eu
exec python3 "$CAFE_SOURCE_DIR/tests/faults/trust_e2e.py"
