#!/bin/sh
# --resume's cost per record already written, in instructions (tests/faults/resume_cost.py).
set -eu
exec python3 "$CAFE_SOURCE_DIR/tests/faults/resume_cost.py"
