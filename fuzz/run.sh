#!/bin/sh
# Builds and runs every libFuzzer target under fuzz/ for SECONDS each (default 60).
#
#   fuzz/run.sh [SECONDS] [NAME...]      e.g. fuzz/run.sh 60, fuzz/run.sh 20 title
#
# A target is fuzz/fuzz_<name>.c defining LLVMFuzzerTestOneInput; it links libcafe and the
# tool's rooms (the CLI, serve, sources, sinks, redis: for their parsers) built with clang-14,
# coverage instrumentation and ASan+UBSan. The targets: content_type, decode, dns, jobs, opts,
# prescan, record, redirect, redis_url, resume, retry_after, title, title_xml, urlline (what
# each reads and checks: the head of its file; docs/reliability.md says which CI runs). Its seed corpus is
# fuzz/corpus/<name>/ (read only: new inputs go to a scratch directory), its dictionary
# fuzz/<name>.dict if present. Crashes are written to $CAFE_FUZZ_BUILD/artifacts/. Exits 0 when
# every target ran clean, 1 on a finding, 77 when clang-14 or libFuzzer is missing.
# Set CAFE_FUZZ_BUILD to choose the build directory (default: build-fuzz in the tree).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
secs=${1:-60}
[ $# -gt 0 ] && shift
build=${CAFE_FUZZ_BUILD:-$root/build-fuzz}
cc=${CAFE_FUZZ_CC:-clang-14}

if ! command -v "$cc" >/dev/null; then
    echo "fuzz: $cc not found" >&2
    exit 77
fi
mkdir -p "$build"
probe="$build/probe.c"
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return d && n; }' >"$probe"
if ! "$cc" -fsanitize=fuzzer "$probe" -o "$build/probe" 2>/dev/null; then
    echo "fuzz: $cc cannot link libFuzzer (libclang-rt-14-dev missing?)" >&2
    exit 77
fi

CC=$cc CFLAGS="-fsanitize=fuzzer-no-link" cmake -S "$root" -B "$build/lib" -DCAFE_SANITIZE=ON \
    -DCMAKE_BUILD_TYPE=Debug -DCAFE_BUILD_TESTS=OFF >/dev/null
cmake --build "$build/lib" -j2 --target cafe_static cafe_cli cafe_serve >/dev/null
# The tool's rooms, users of libcafe first (serve uses the CLI's); each room's headers by
# their own names, and the common ones (src/common) too, as serve includes them.
rooms="serve cli redis sources sinks fixture"
libs="" incs=""
for r in $rooms; do
    libs="$libs $build/lib/src/$r/libcafe_$r.a"
    incs="$incs -I$root/src/$r"
done
libs="$libs $build/lib/src/libcafe_msg.a $build/lib/src/libcafe.a" # messages: src/common/msg.c
incs="$incs -I$root/src/common"
libs="$libs $(pkg-config --libs libuv libcurl uchardet libcares expat libidn2 jansson hiredis zlib sqlite3 libpq libmicrohttpd libsodium openssl) -lpthread"

status=0
for src in "$here"/fuzz_*.c; do
    name=$(basename "$src" .c)
    name=${name#fuzz_}
    if [ $# -gt 0 ] && ! echo " $* " | grep -q " $name "; then
        continue
    fi
    bin="$build/fuzz_$name"
    # shellcheck disable=SC2086
    # a declaration gone from a header must fail the build, not crash the target (an
    # implicit int where a pointer was returned)
    "$cc" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
        -Werror=implicit-function-declaration -Werror=int-conversion -I"$root/include" -I"$root/src" $incs "$src" -o "$bin" $libs
    scratch="$build/corpus-$name"
    mkdir -p "$scratch" "$build/artifacts"
    dict=""
    [ -f "$here/$name.dict" ] && dict="-dict=$here/$name.dict"
    seeds=""
    [ -d "$here/corpus/$name" ] && seeds="$here/corpus/$name"
    echo "fuzz: $name for ${secs}s"
    # shellcheck disable=SC2086
    if "$bin" -max_total_time="$secs" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$build/artifacts/$name-" $dict \
        "$scratch" $seeds >"$build/$name.log" 2>&1; then
        runs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$build/$name.log")
        echo "fuzz: $name clean, $runs executions"
    else
        echo "fuzz: $name FAILED, see $build/$name.log and $build/artifacts/" >&2
        tail -30 "$build/$name.log" >&2
        status=1
    fi
done
exit $status
