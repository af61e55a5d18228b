#!/bin/sh
# Runs the runtime examples and checks what they print: event order and counts, never
# wall-clock speed.
set -eu
ex="$CAFE_BUILD_DIR/examples"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail() { echo "FAIL: $*"; cat "$out"; exit 1; }

# background_task: the guide's lines, in the guide's order.
"$ex/background_task" >"$out"
sed -e 's/ at [0-9:]*$/ at T/' "$out" >"$out.norm"
expected='Started at T
Main function is doing other work...
Task started...
Still doing other work...
Task finished!
The result was: Task result
Finished at T'
[ "$(cat "$out.norm")" = "$expected" ] || fail "background_task order"
rm -f "$out.norm"

# gather: results in input order, the failure reported in its place.
"$ex/gather" >"$out"
grep -q "^result 0: 'slow'$" "$out" || fail "gather result 0"
grep -q "^result 1: 'fast'$" "$out" || fail "gather result 1"
grep -q "^result 2: error: timed out$" "$out" || fail "gather failure kept"
grep -q "^result 3: 'medium'$" "$out" || fail "gather result 3"
grep -q "^1 of 4 failed$" "$out" || fail "gather summary"
# completion order differs from input order: fast finished before slow
[ "$(grep -n '^fast: done' "$out" | cut -d: -f1)" -lt "$(grep -n '^slow: done' "$out" | cut -d: -f1)" ] ||
    fail "gather completion order"

# cpu_offload: no tick while the loop is blocked, ticks while the pool works.
"$ex/cpu_offload" 30 >"$out"
blocked=$(sed -n 's/^on the loop: done.*ticks during the work: \([0-9]*\)$/\1/p' "$out")
offloaded=$(sed -n 's/^in the thread pool: done.*ticks during the work: \([0-9]*\)$/\1/p' "$out")
[ "$blocked" = 0 ] || fail "ticks while blocked: $blocked"
[ "${offloaded:-0}" -gt 0 ] || fail "no tick while offloaded"
# cpu_offload when libuv's thread pool cannot start (1,024 threads of 8 MiB under a 1 GiB
# address space): cafe_thread_run says out of memory; libuv alone aborted without a word.
# An ASan build reserves terabytes of shadow memory, which no such limit admits: skipped there.
if [ "${CAFE_SANITIZE:-0}" != 1 ]; then
    st=0
    (ulimit -v 1048576 && UV_THREADPOOL_SIZE=1024 exec "$ex/cpu_offload" 1) >"$out" 2>&1 || st=$?
    [ "$st" = 1 ] || fail "cpu_offload with no room for the pool: exit $st"
    grep -q "^in the thread pool: out of memory$" "$out" || fail "cpu_offload: the pool's failure not reported"
fi
# fs_future: libuv's uv_fs_stat as a suspending call; sizes in argument order, errors in place.
dir=$(mktemp -d)
trap 'rm -f "$out"; rm -rf "$dir"' EXIT
printf '12345' >"$dir/five"
: >"$dir/empty"
"$ex/fs_future" "$dir/five" "$dir/missing" "$dir/empty" >"$out"
expected="$dir/five: 5 bytes
$dir/missing: error: no such file or directory
$dir/empty: 0 bytes"
[ "$(cat "$out")" = "$expected" ] || fail "fs_future output"
# worker_pool: queue.join() returns once every page put (the workers put more) is done.
"$ex/worker_pool" >"$out"
[ "$(cat "$out")" = "crawled 13 pages with 4 workers, 0 left unfinished" ] || fail "worker_pool"
# async_titles when a spawn fails (the stacks' second mapping refused: the 64th task's spawn
# of 100): it says so, cancels and joins the tasks it started (no "main returned while ...
# still running" from cafe_run) and fails. The URLs are never fetched: the tasks are
# cancelled before they first run, and the scheme is refused before any connection. An
# ASan build must preload its runtime first: skipped there.
shim="$CAFE_BUILD_DIR/tests/libstack_maps_fail.so"
if [ -f "$shim" ] && [ "${CAFE_SANITIZE:-0}" != 1 ]; then
    set --
    i=0
    while [ $i -lt 100 ]; do set -- "$@" "gopher://127.0.0.1/$i"; i=$((i + 1)); done
    st=0
    LD_PRELOAD="$shim" CAFE_TEST_STACK_MAPS=1 timeout 60 "$ex/async_titles" "$@" >"$out" 2>"$out.err" || st=$?
    cat "$out.err" >>"$out"
    [ "$st" = 1 ] || fail "async_titles with a failed spawn: exit $st"
    grep -q "out of memory" "$out.err" || fail "async_titles: the failed spawn not reported"
    ! grep -q "still running" "$out.err" || fail "async_titles left its tasks running"
    ! grep -q "^'" "$out" || fail "async_titles printed titles of cancelled tasks"
    rm -f "$out.err"
fi
echo "1 passed, 0 failed"
