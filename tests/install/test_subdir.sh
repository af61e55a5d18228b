#!/bin/sh
# cafe inside another CMake project (add_subdirectory, FetchContent): the project links
# cafe::cafe or cafe::cafe_static, the names find_package(cafe) gives, so that it can switch
# between the two without a change; and it builds the library alone: not the tool, the
# tests, the examples or the benchmarks, nor asks for their dependencies (jansson, hiredis,
# SQLite, libpq, libsodium, libmicrohttpd), as curl's and libuv's projects build only their
# library there. The options still turn them on.
set -eu
# the plain build of the plain run: the sanitizer run would repeat it to the byte
[ "${CAFE_SANITIZE:-0}" = 1 ] && { echo "the same build as the plain run's: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/app"
cp "$CAFE_SOURCE_DIR/examples/gather.c" "$tmp/app/gather.c"
cat >"$tmp/app/CMakeLists.txt" <<EOF2
cmake_minimum_required(VERSION 3.25)
project(app C)
add_subdirectory("$CAFE_SOURCE_DIR" cafe)
add_executable(app_shared gather.c)
target_link_libraries(app_shared PRIVATE cafe::cafe)
add_executable(app_static gather.c)
target_link_libraries(app_static PRIVATE cafe::cafe_static)
EOF2
cmake -S "$tmp/app" -B "$tmp/build" >"$tmp/log" 2>&1 &&
    cmake --build "$tmp/build" -j2 >>"$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
status=0
for exe in app_shared app_static; do
    "$tmp/build/$exe" | grep -q "^1 of 4 failed$" || { echo "FAIL: $exe's output"; status=1; }
done
# the library's targets only: no `cafe` tool, no test, no example built
built=$(find "$tmp/build/cafe" -type f -perm -u+x ! -name '*.so*' ! -name '*.sh' | head -5)
[ -z "$built" ] || { echo "FAIL: built besides the library: $built"; status=1; }
grep -q "JANSSON\|HIREDIS\|LIBPQ\|MICROHTTPD" "$tmp/build/CMakeCache.txt" &&
    { echo "FAIL: the tool's dependencies were looked for"; status=1; }
[ $status = 0 ] && echo "4 passed, 0 failed"
exit $status
