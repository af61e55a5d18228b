#!/bin/sh
# libcafe.so's soname changes whenever the ABI may: before 1.0 every minor release may change
# it (public structs still change size; find_package(cafe) accepts the same major.minor
# only), so the soname carries the minor, as libuv's did before 1.0 (libuv.so.0.10,
# libuv.so.0.11): a program linked with 0.1 then refuses to start on 0.2 instead of running
# with the wrong struct layouts. From 1.0 on, the major alone. Read against cafe.h's version.
set -eu
command -v readelf >/dev/null 2>&1 || { echo "readelf not found: skipped"; exit 77; }
h="$CAFE_SOURCE_DIR/include/cafe.h"
major=$(sed -n 's/^#define CAFE_VERSION_MAJOR \([0-9]*\)$/\1/p' "$h")
minor=$(sed -n 's/^#define CAFE_VERSION_MINOR \([0-9]*\)$/\1/p' "$h")
patch=$(sed -n 's/^#define CAFE_VERSION_PATCH \([0-9]*\)$/\1/p' "$h")
if [ -z "$major" ] || [ -z "$minor" ] || [ -z "$patch" ]; then
    echo "FAIL: no version in $h"
    exit 1
fi
status=0
grep -q "^#define CAFE_VERSION_STRING \"$major\.$minor\.$patch\"$" "$h" ||
    { echo "FAIL: CAFE_VERSION_STRING is not $major.$minor.$patch"; status=1; }
want="libcafe.so.$major"
[ "$major" = 0 ] && want="libcafe.so.0.$minor"
got=$(readelf -d "${CAFE_LIBCAFE:?}" | sed -n 's/.*(SONAME).*\[\(.*\)\]$/\1/p')
[ "$got" = "$want" ] || { echo "FAIL: soname $got, want $want (cafe.h: $major.$minor.$patch)"; status=1; }
[ $status = 0 ] && echo "2 passed, 0 failed"
exit $status
