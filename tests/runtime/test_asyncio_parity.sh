#!/bin/sh
# libcafe's runtime against Python's asyncio: the scenarios of asyncio_scenarios.c run in both
# and their event traces must agree, or differ only as include/cafe.h documents
# (asyncio_parity.py lists those differences). Every duration in the scenarios is a count of
# one time unit that asyncio_parity.py sets for both sides: a unit wide enough that a loaded
# machine cannot reorder their events decides (UNITS there says how).
set -eu
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3 || true)
if [ -z "$py" ] || ! "$py" -c 'import asyncio; asyncio.timeout' 2>/dev/null; then
    echo "skip: no python3 with asyncio.timeout (3.11+)"
    exit 77
fi
exec "$py" "$CAFE_SOURCE_DIR/tests/runtime/asyncio_parity.py" "$CAFE_BUILD_DIR/tests/asyncio_scenarios" "$@"
