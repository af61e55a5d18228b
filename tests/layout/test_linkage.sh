#!/bin/sh
# The tool is a client of the library, as curl's tool is of libcurl: `cafe` and
# `cafe-fixture` are linked with the shared libcafe, not with a static copy of it, and find
# it without looking in the working directory (an empty RUNPATH entry would have the loader
# take any libz.so.1 or libcurl.so.4 lying there).
set -eu
status=0
for bin in "$CAFE_BUILD_DIR/src/cli/cafe" "$CAFE_BUILD_DIR/src/fixture/cafe-fixture"; do
    if ! ldd "$bin" | grep -q '^[[:space:]]*libcafe\.so'; then
        echo "FAIL: $bin is not linked with libcafe.so:"
        ldd "$bin"
        status=1
    fi
    path=$(readelf -d "$bin" | sed -n 's/.*(R\(UN\)\{0,1\}PATH).*\[\(.*\)\]$/\2/p')
    case "$path" in
    :* | *: | *::*)
        echo "FAIL: $bin has an empty RUNPATH entry (the working directory): '$path'"
        status=1
        ;;
    esac
done
# uchardet (C++, so libstdc++ too) is opened when a page first needs it, not at start-up
# (src/html/uchardet_lib.h): neither libcafe nor the tool loads it before.
for obj in "${CAFE_LIBCAFE:?}" "$CAFE_BUILD_DIR/src/cli/cafe"; do
    if ldd "$obj" | grep -E 'libuchardet|libstdc\+\+'; then
        echo "FAIL: $obj loads uchardet or libstdc++ at start-up"
        status=1
    fi
done
[ $status = 0 ] && echo "3 passed, 0 failed"
exit $status
