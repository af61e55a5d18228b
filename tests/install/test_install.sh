#!/bin/sh
# `make install`'s product, used as a stranger would: install into a temporary prefix, then
# build the README's hello-world against it through pkg-config and find_package(cafe), shared
# and static, and run it.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$CAFE_BUILD_DIR" --prefix "$tmp/prefix" >/dev/null
libdir=$(ls -d "$tmp"/prefix/lib*)
export PKG_CONFIG_PATH="$libdir/pkgconfig"
test -f "$tmp/prefix/include/cafe.h"
ls "$libdir"/libcafe.so* "$libdir/libcafe.a" >/dev/null
extra=""
[ "${CAFE_SANITIZE:-0}" = 1 ] && extra="-fsanitize=address,undefined"
cc=${CC:-cc}
# shellcheck disable=SC2046
$cc -std=c11 -Wall -Wextra -Wpedantic -Werror $extra -o "$tmp/hello" \
    "$CAFE_SOURCE_DIR/examples/background_task.c" $(pkg-config --cflags --libs cafe)
LD_LIBRARY_PATH="$libdir" "$tmp/hello" >"$tmp/out"
grep -q '^The result was: Task result$' "$tmp/out"
# The README's library example, exactly as printed there, against the installed library.
awk '/^## The library in one example/{on=1} on&&/^```c$/{code=1;next} code&&/^```$/{exit} code' \
    "$CAFE_SOURCE_DIR/README.md" >"$tmp/readme.c"
grep -q cafe_task_gather "$tmp/readme.c"
# shellcheck disable=SC2046
$cc -std=c11 -Wall -Wextra -Wpedantic -Werror $extra -o "$tmp/readme" \
    "$tmp/readme.c" $(pkg-config --cflags --libs cafe)
# Every example, as a user builds it from the installed library: strict C11 (no _GNU_SOURCE
# from cafe's own build), its headers and cafe.pc, plus libuv's for the ones that use it.
for ex in "$CAFE_SOURCE_DIR"/examples/*.c; do
    mods=cafe
    grep -q '^#include <uv.h>' "$ex" && mods="cafe libuv"
    # shellcheck disable=SC2046,SC2086
    $cc -std=c11 -Wall -Wextra -Wpedantic -Werror $extra -o "$tmp/example" "$ex" \
        $(pkg-config --cflags --libs $mods) || { echo "$ex does not build as a user builds it"; exit 1; }
done
# libcafe.a itself, with the modules cafe.pc requires privately linked as the system has them
# (not --static: that would ask for libcurl's own static dependencies, whose -dev packages
# are not installed), and its Libs.private.
# shellcheck disable=SC2046
$cc -std=c11 $extra -o "$tmp/hello-static" "$CAFE_SOURCE_DIR/examples/gather.c" \
    $(pkg-config --cflags cafe) "$libdir/libcafe.a" \
    $(pkg-config --libs $(pkg-config --print-requires-private cafe)) -lpthread -ldl
"$tmp/hello-static" | grep -q "^1 of 4 failed$"
# `make install PREFIX=DIR` installs into DIR, also when the build was configured before with
# another prefix (it went to the build's, /usr/local, whatever PREFIX said); DESTDIR stages
# under the prefix (and keeps this test's installs in $tmp whatever happens).
if command -v make >/dev/null 2>&1; then
    make -s -C "$CAFE_SOURCE_DIR" install BUILD="$CAFE_BUILD_DIR" PREFIX=/opt/cafe \
        DESTDIR="$tmp/stage" >/dev/null
    test -f "$tmp/stage/opt/cafe/include/cafe.h" && test -x "$tmp/stage/opt/cafe/bin/cafe" ||
        { echo "make install PREFIX=/opt/cafe did not install there"; exit 1; }
    built=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$CAFE_BUILD_DIR/CMakeCache.txt")
    make -s -C "$CAFE_SOURCE_DIR" install BUILD="$CAFE_BUILD_DIR" DESTDIR="$tmp/stage2" >/dev/null
    test -f "$tmp/stage2$built/include/cafe.h" ||
        { echo "make install DESTDIR=$tmp/stage2 did not stage under $built"; exit 1; }
fi
# One version everywhere a user reads it: the header, cafe.pc, the tool, the library.
want=$(sed -n 's/^#define CAFE_VERSION_STRING "\(.*\)"$/\1/p' "$tmp/prefix/include/cafe.h")
[ -n "$want" ] && [ "$(pkg-config --modversion cafe)" = "$want" ] &&
    "$tmp/prefix/bin/cafe" --version | grep -q "^cafe $want " &&
    ls "$libdir/libcafe.so.$want" >/dev/null ||
    { echo "versions differ: cafe.h $want, cafe.pc $(pkg-config --modversion cafe)"; exit 1; }
# find_package(cafe), as a CMake project takes libuv or curl: one program on cafe::cafe, one
# on cafe::cafe_static, each built strict and run; the version is the header's, and another
# minor's is refused (0.x: a minor may break the API).
mkdir "$tmp/cm"
cat >"$tmp/cm/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.16)
project(consumer C)
set(CMAKE_C_STANDARD 11)
set(CMAKE_C_EXTENSIONS OFF)
find_package(cafe \${WANT} REQUIRED)
if(NOT cafe_VERSION STREQUAL WANT)
  message(FATAL_ERROR "find_package(cafe) found \${cafe_VERSION}, cafe.h says \${WANT}")
endif()
find_package(cafe 0.999 QUIET)
if(cafe_FOUND)
  message(FATAL_ERROR "find_package(cafe 0.999) accepted \${cafe_VERSION}")
endif()
add_compile_options(-Wall -Wextra -Wpedantic -Werror)
add_executable(hello "$CAFE_SOURCE_DIR/examples/background_task.c")
target_link_libraries(hello PRIVATE cafe::cafe)
add_executable(hello-static "$CAFE_SOURCE_DIR/examples/gather.c")
target_link_libraries(hello-static PRIVATE cafe::cafe_static)
EOF
cmake -S "$tmp/cm" -B "$tmp/cm/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" -DWANT="$want" \
    -DCMAKE_C_COMPILER="$(command -v "$cc")" -DCMAKE_C_FLAGS="$extra" >"$tmp/cm.log" 2>&1 &&
    cmake --build "$tmp/cm/build" >>"$tmp/cm.log" 2>&1 ||
    { cat "$tmp/cm.log"; echo "find_package(cafe) does not build a user's program"; exit 1; }
"$tmp/cm/build/hello" | grep -q '^The result was: Task result$'
"$tmp/cm/build/hello-static" | grep -q "^1 of 4 failed$"
# `man cafe` once installed (the README says so): the tool's page, from the prefix
if command -v man >/dev/null 2>&1; then
    MANWIDTH=100 man -M "$tmp/prefix/share/man" 1 cafe 2>/dev/null | grep -q '^ *cafe  *titles  *reads  *URLs' ||
        { echo "man 1 cafe: no page in $tmp/prefix/share/man"; exit 1; }
fi
# the installed tool runs on the installed shared library
"$tmp/prefix/bin/cafe" titles --help >/dev/null
used=$(ldd "$tmp/prefix/bin/cafe" | sed -n 's/^[[:space:]]*libcafe\.so[^ ]* => \([^ ]*\).*/\1/p')
[ "$(dirname "$(readlink -f "$used")")" = "$(readlink -f "$libdir")" ] ||
    { echo "installed cafe uses '$used', not $libdir/libcafe.so"; exit 1; }
# every exported symbol carries the named version node
if objdump -T "$libdir/libcafe.so" | awk '$NF ~ /^cafe_/' | grep -v 'CAFE_0 ' | grep -q .; then
    echo "libcafe.so exports cafe_ symbols outside the CAFE_0 version node"; exit 1
fi
objdump -T "$libdir/libcafe.so" | grep -q ' CAFE_0 *cafe_run$' || { echo "no CAFE_0 node"; exit 1; }
# only the public API is exported by the shared library
if nm -D --defined-only "$libdir/libcafe.so" | awk '{print $3}' | grep -v '^cafe_' | grep -v '^$' |
    grep -v '^CAFE_0$' | grep -q .; then
    echo "libcafe.so exports symbols outside cafe_*"; exit 1
fi
if nm -D --defined-only "$libdir/libcafe.so" | awk '{print $3}' | grep -q '^cafe__'; then
    echo "libcafe.so exports internal cafe__ symbols"; exit 1
fi
# The reference manual, when the build made it (doxygen found: scripts/packages.txt has it):
# a section-3 man page for every function, and the HTML reference.
if command -v doxygen >/dev/null 2>&1; then
    man3="$tmp/prefix/share/man/man3"
    test -f "$man3/cafe_task_spawn.3" && test -f "$man3/cafe.h.3"
    test -f "$tmp/prefix/share/doc/cafe/html/index.html"
    # Only cafe's own names go into man3: Doxygen makes a link page for every struct field
    # (error.3, status.3, url.3...), which would shadow glibc's error(3) and squat on names
    # that are not cafe's, and pages named after the build's path and anonymous enums (@0.3).
    stray=$(ls "$man3" | grep -v -e '^cafe' -e '^CAFE' -e '^[a-z]*\.h\.3$' || true)
    [ -z "$stray" ] || { echo "man3 pages that are not cafe's:" $stray; exit 1; }
    # every public type has a page under the name code uses (cafe_future_t, not only the
    # struct's tag cafe_future)
    for t in $(grep -ohE '\bcafe_[a-z0-9]+(_[a-z0-9]+)*_t\b' "$CAFE_SOURCE_DIR"/include/cafe.h \
        "$CAFE_SOURCE_DIR"/include/cafe/*.h | sort -u); do
        [ -f "$man3/$t.3" ] || { echo "no man page for the type $t"; exit 1; }
    done
    # every page a kept page sources (.so) is there too
    for f in "$man3"/*.3; do
        so=$(sed -n 's/^\.so man3\///p' "$f")
        [ -z "$so" ] || [ -f "$man3/$so" ] || { echo "$f sources missing $so"; exit 1; }
    done
    if command -v man >/dev/null 2>&1; then
        MANWIDTH=100 man -M "$tmp/prefix/share/man" 3 cafe_task_spawn 2>/dev/null >"$tmp/man.txt"
        grep -q 'int cafe_task_spawn (cafe_task_t \*\* out' "$tmp/man.txt"
        grep -q 'asyncio.create_task: starts fn(arg)' "$tmp/man.txt"
        # The headers' tables and examples stay lines of their own, not one run-on paragraph.
        MANWIDTH=100 man -M "$tmp/prefix/share/man" 3 cafe_run 2>/dev/null >"$tmp/man.txt"
        grep -q '^ *asyncio\.run(main()) *cafe_run(main, arg, &result)$' "$tmp/man.txt" ||
            { echo "man 3 cafe_run: the asyncio table is not a table"; exit 1; }
        grep -q '^ *asyncio\.open_connection *cafe_tcp_connect(&s, host, port) (cafe/tcp.h)$' \
            "$tmp/man.txt" || { echo "man 3 cafe_run: the asyncio table's last row"; exit 1; }
        MANWIDTH=100 man -M "$tmp/prefix/share/man" 3 cafe_http_request 2>/dev/null >"$tmp/man.txt"
        grep -q '^ *cafe_http_result_t res;$' "$tmp/man.txt" ||
            { echo "man 3 cafe_http_request: the example is not code"; exit 1; }
        # A comment documents the declaration right after it: one that a typedef or a
        # #define stands between (the type a function takes, a constant it returns) went
        # to that one, and the function's or callback's own entry was empty.
        entry() { # PAGE NAME: the lines of NAME's entry in the page's '... Documentation'
            MANWIDTH=100 man -M "$tmp/prefix/share/man" 3 "$1" 2>/dev/null | awk -v n="$2" '
                /^[A-Z].*Documentation$/ { doc = 1; on = 0; next }
                doc && /^   [^ ]/ { on = index($0, n " ") || index($0, n ")") }
                doc && on'
        }
        entry cafe_thread_run 'cafe_thread_run (cafe_work_fn' | grep -q "libuv's thread pool" ||
            { echo "man 3 cafe_thread_run: the function's entry has no text"; exit 1; }
        entry cafe_http_body_cb '(* cafe_http_body_cb' | grep -q 'called for each chunk' ||
            { echo "man 3 cafe_http_body_cb: the callback's entry has no text"; exit 1; }
    fi
    # Doxygen read every header comment as meant (a stray <word> is taken for HTML and lost).
    if [ -s "$CAFE_BUILD_DIR/doc/warnings.log" ]; then
        echo "doxygen warnings:"; cat "$CAFE_BUILD_DIR/doc/warnings.log"; exit 1
    fi
else
    echo "doxygen not found: reference manual not checked"
fi
echo "1 passed, 0 failed"
