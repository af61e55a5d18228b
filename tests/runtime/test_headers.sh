#!/bin/sh
# Every public header is usable alone, in C and (when a C++ compiler is there) in C++, and
# declares its functions with C linkage: a translation unit that includes only that header
# and takes the address of one of its functions compiles without a warning, and in C++ the
# object refers to the function by its plain C name.
set -eu
inc="$CAFE_SOURCE_DIR/include"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Every compiler there is: gcc and clang differ in what -Wpedantic flags (a C++ extension,
# an enum's trailing comma in C++98...), and users build with either.
ccs=""
for c in ${CC:-cc} gcc clang; do
    if command -v "$c" >/dev/null 2>&1 && ! echo " $ccs " | grep -q " $c "; then ccs="$ccs $c"; fi
done
cxxs=""
for c in ${CXX:-} g++ clang++; do
    if command -v "$c" >/dev/null 2>&1 && ! echo " $cxxs " | grep -q " $c "; then cxxs="$cxxs $c"; fi
done
[ -n "$cxxs" ] || echo "no C++ compiler: C only"
pass=0
fail=0
check() { # name command...
    name=$1; shift
    if "$@" 2>"$tmp/err"; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL: $name"; cat "$tmp/err"; fi
}
for h in "$inc"/cafe.h "$inc"/cafe/*.h; do
    rel=${h#"$inc"/}
    # the first function the header declares
    fn=$(grep -oE '^[a-z_ ]+[ *]cafe_[a-z0-9_]+\(' "$h" | head -1 | grep -oE 'cafe_[a-z0-9_]+')
    printf '#include <%s>\n#include <%s>\ntypedef void (*fn_t)(void);\nfn_t cafe_test_fn(void);\nfn_t cafe_test_fn(void) { return (fn_t)&%s; }\n' \
        "$rel" "$rel" "$fn" >"$tmp/t.c"
    for cc in $ccs; do
        check "$rel (C, $cc)" "$cc" -std=c11 -Wall -Wextra -Wpedantic -Werror -I"$inc" -c "$tmp/t.c" -o "$tmp/c.o"
    done
    cp "$tmp/t.c" "$tmp/t.cc"
    for cxx in $cxxs; do
        check "$rel (C++, $cxx)" "$cxx" -std=c++11 -Wall -Wextra -Wpedantic -Werror -I"$inc" -c "$tmp/t.cc" -o "$tmp/cc.o"
        check "$rel: $fn has C linkage ($cxx)" sh -c "nm '$tmp/cc.o' | grep -qE ' U $fn\$'"
    done
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
