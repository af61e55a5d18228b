#!/bin/sh
# `make demo`: runs `cafe demo` when the CLI is built, else the runtime's examples.
set -eu
build=${1:-build}
if [ -x "$build/src/cli/cafe" ]; then
    exec "$build/src/cli/cafe" demo
fi
for ex in background_task gather cpu_offload; do
    echo "== examples/$ex.c"
    "$build/examples/$ex"
    echo
done
