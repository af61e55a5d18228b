#!/bin/sh
# A/B of cafe builds against the lean libcurl client (curl_multi_poll, and with --uv
# curl_multi_socket_action on libuv, as cafe) on plain HTTP keep-alive (issue 11):
# N URLs on SITES fixture sites (URL i on site i mod SITES), SIZE-byte pages, concurrency C.
# Every round runs each contender once, in an order shuffled anew, because the place in a
# fixed rotation moves a binary by more than most changes do (bench/README.md, "Issue 11,
# every goal side by side"). Prints medians of wall time, URLs/s and user + system CPU per
# URL (GNU time) per contender.
# Usage: bench/titles/ab.sh BUILD_DIR CAFE_BIN [CAFE_BIN...]
#   BUILD_DIR gives the fixture and lean_curl (target bench_all); the cafe binaries may come
#   from other builds. Knobs: N [20000], SITES [200], SIZE [30000], C [100], REPS [15],
#   DELAY [0] ms before each response (the latency round: N=2000 C=200 DELAY=100).
# In a fresh network namespace (loopback only) when unshare allows it, like the tests.
set -u
build=$(cd "${1:?usage: bench/titles/ab.sh BUILD_DIR CAFE_BIN...}" && pwd) || exit 2
shift
[ $# -ge 1 ] || { echo "usage: bench/titles/ab.sh BUILD_DIR CAFE_BIN..." >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
if [ "${CAFE_NETNS:-}" != 1 ] && "$here/../../tests/netns.sh" true 2>/dev/null; then
    exec "$here/../../tests/netns.sh" sh "$here/ab.sh" "$build" "$@"
fi
for b in "$build/src/fixture/cafe-fixture" "$build/bench/lean_curl" "$@"; do
    [ -x "$b" ] || { echo "ab: $b not built" >&2; exit 2; }
done
if ! command -v shuf >/dev/null || [ ! -x /usr/bin/time ]; then
    echo "ab: needs shuf (coreutils) and GNU time (Debian package time)" >&2
    exit 2
fi
n=${N:-20000} sites=${SITES:-200} size=${SIZE:-30000} c=${C:-100} reps=${REPS:-15}
delay=${DELAY:-0}
tmp=$(mktemp -d)
trap 'exec 3>&-; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
mkfifo "$tmp/in" "$tmp/out"
"$build/src/fixture/cafe-fixture" --sites "$sites" --size "$size" --delay "$delay" --exit-on-eof \
    <"$tmp/in" >"$tmp/out" 2>/dev/null &
exec 3>"$tmp/in" 4<"$tmp/out"
read -r _ addr ports <&4 || { echo "ab: the fixture did not start" >&2; exit 1; }
awk -v n="$n" -v addr="$addr" -v ports="$ports" 'BEGIN { s = split(ports, p, " ")
    for (i = 0; i < n; i++) printf "http://%s:%s/page/%d\n", addr, p[i % s + 1], int(i / s) }' \
    >"$tmp/urls"
i=0
for b in "$@"; do i=$((i + 1)); echo "cafe$i $b"; done >"$tmp/list"
printf "lean %s\nleanuv %s\n" "$build/bench/lean_curl" "$build/bench/lean_curl" >>"$tmp/list"
cat "$tmp/list" >&2
for _ in $(seq "$reps"); do
    shuf "$tmp/list" | while read -r k b; do
        if [ "$k" = lean ]; then set -- "$b" "$tmp/urls" "$c"
        elif [ "$k" = leanuv ]; then set -- "$b" --uv "$tmp/urls" "$c"
        else set -- "$b" titles -q -c "$c" -o /dev/null "$tmp/urls"; fi
        timeout -k 5 120 /usr/bin/time -f "$k %e %U %S" "$@" >/dev/null 2>>"$tmp/times" ||
            echo "ab: $k failed" >&2
    done
done
awk -v n="$n" '$1 ~ /^(lean|leanuv|cafe[0-9]+)$/ && NF == 4 {
        k = $1; m = ++cnt[k]; w[k, m] = $2; cpu[k, m] = ($3 + $4) / n * 1e6 }
    function med(a, k, m,  i, j, t, v) {
        for (i = 1; i <= m; i++) v[i] = a[k, i]
        for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
        return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2 }
    END { for (k in cnt) printf "%-6s runs %2d  median wall %5.2f s  URLs/s %7.0f  CPU/URL %5.1f us\n",
              k, cnt[k], med(w, k, cnt[k]), n / med(w, k, cnt[k]), med(cpu, k, cnt[k]) }' "$tmp/times" | sort
