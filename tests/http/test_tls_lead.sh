#!/bin/sh
# A host's first https URL goes alone only until its TLS session is back: a slow first
# page holds none of the host's others (tests/http/tls_lead_e2e.py).
set -eu
exec python3 "$CAFE_SOURCE_DIR/tests/http/tls_lead_e2e.py"
