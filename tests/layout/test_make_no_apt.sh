#!/bin/sh
# A packager's `make` and `make install` only build: neither installs packages (only
# `make deps`, `make demo` and `make test` may). Checked on make's dry run of each target.
set -eu
cd "${CAFE_SOURCE_DIR:?}"
command -v make >/dev/null || { echo "no make: skipped"; exit 77; }
status=0
for target in all install; do
    if make -n "$target" BUILD="${CAFE_BUILD_DIR:?}" 2>/dev/null | grep -Eq 'deps\.sh|apt-get|apt '; then
        echo "FAIL: make $target would install packages:"
        make -n "$target" BUILD="$CAFE_BUILD_DIR" | grep -E 'deps\.sh|apt'
        status=1
    fi
done
make -n test BUILD="$CAFE_BUILD_DIR" 2>/dev/null | grep -q -- '-DCAFE_WERROR=ON' ||
    { echo "FAIL: make test does not build with -DCAFE_WERROR=ON"; status=1; }
# make demo installs what the demo needs, the build group: not the test group's browsers,
# PostgreSQL, nginx, Redis and clang, which only the suite uses.
demo=$(make -n demo BUILD="$CAFE_BUILD_DIR" 2>/dev/null | grep 'deps\.sh' || true)
case "$demo" in
*"deps.sh build") ;;
*) echo "FAIL: make demo installs more than the build group: $demo"; status=1 ;;
esac
# ...and that group is all the default configuration needs: every Debian package a
# cafe_require() of a CMake file it reads names (the tests' included, on by default) is in the
# build group, or `make demo` stops at cmake on a machine that has only that group.
build_group=$(awk '$1 == "build" { print $2 }' scripts/packages.txt)
for pkg in $(find CMakeLists.txt cmake src tests examples bench \( -name CMakeLists.txt -o -name '*.cmake' \) |
    xargs sed -n 's/^ *cafe_require([A-Z0-9_]* \([^ )]*\).*/\1/p' | sort -u); do
    echo "$build_group" | grep -qx "$pkg" ||
        { echo "FAIL: the default build needs $pkg, not in scripts/packages.txt's build group"; status=1; }
done
[ $status = 0 ] && echo "1 passed, 0 failed"
exit $status
