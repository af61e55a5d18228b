#!/bin/sh
# The tool is a client of the library, as curl's tool is of libcurl: `cafe` and
# `cafe-fixture` are linked with the shared libcafe, not with a static copy of it.
set -eu
status=0
for bin in "$CAFE_BUILD_DIR/src/cli/cafe" "$CAFE_BUILD_DIR/src/fixture/cafe-fixture"; do
    if ! ldd "$bin" | grep -q '^[[:space:]]*libcafe\.so'; then
        echo "FAIL: $bin is not linked with libcafe.so:"
        ldd "$bin"
        status=1
    fi
done
[ $status = 0 ] && echo "1 passed, 0 failed"
exit $status
