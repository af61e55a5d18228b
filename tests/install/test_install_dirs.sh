#!/bin/sh
# cafe.pc where a packager gives absolute install directories (GNUInstallDirs takes them:
# -DCMAKE_INSTALL_LIBDIR=/... -DCMAKE_INSTALL_INCLUDEDIR=/..., as Nix's builds pass, the
# headers in one output and the library in another): its libdir and includedir are those
# directories, not the prefix with them appended, and its prefix is the prefix. Only
# configured: the build's cafe.pc is the file installed.
set -eu
command -v pkg-config >/dev/null 2>&1 || { echo "pkg-config not found: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake -S "$CAFE_SOURCE_DIR" -B "$tmp/build" -DCAFE_BUILD_TESTS=OFF \
    -DCMAKE_INSTALL_PREFIX="$tmp/out" -DCMAKE_INSTALL_LIBDIR="$tmp/lib/lib64" \
    -DCMAKE_INSTALL_INCLUDEDIR="$tmp/dev/include" >"$tmp/cmake.log" 2>&1 ||
    { cat "$tmp/cmake.log"; exit 1; }
export PKG_CONFIG_PATH="$tmp/build"
status=0
prefix=$(pkg-config --variable=prefix cafe)
[ "$prefix" = "$tmp/out" ] || { echo "FAIL: cafe.pc prefix is $prefix"; status=1; }
libdir=$(pkg-config --variable=libdir cafe)
[ "$libdir" = "$tmp/lib/lib64" ] || { echo "FAIL: cafe.pc libdir is $libdir"; status=1; }
includedir=$(pkg-config --variable=includedir cafe)
[ "$includedir" = "$tmp/dev/include" ] || { echo "FAIL: cafe.pc includedir is $includedir"; status=1; }
pkg-config --cflags cafe | grep -q -- "-I$tmp/dev/include " ||
    { echo "FAIL: cafe.pc Cflags: $(pkg-config --cflags cafe)"; status=1; }
pkg-config --libs cafe | grep -q -- "-L$tmp/lib/lib64 " ||
    { echo "FAIL: cafe.pc Libs: $(pkg-config --libs cafe)"; status=1; }
[ $status = 0 ] && echo "5 passed, 0 failed"
exit $status
