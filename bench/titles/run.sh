#!/bin/sh
# `cafe titles` benchmark: the CLI end to end against the guide's scripts (aiohttp and
# requests, both with BeautifulSoup), an httpx version, a Go net/http version and `curl -Z`,
# over the same URL lists on the same fixture sites, side by side in one run (see
# bench/README.md, "cafe titles"). Prints a markdown table; draws bench/out/sync-vs-async.png.
# Usage: bench/titles/run.sh BUILD_DIR   (needs BUILD_DIR/src/cli/cafe and src/fixture/cafe-fixture)
# Knobs (defaults in brackets):
#   delay-0 round: BENCH_URLS [10000] on BENCH_SITES [200] sites of BENCH_SIZE [30000]-byte
#     pages at BENCH_CONCURRENCY [100]; the Python scripts get the first BENCH_PY_URLS [500]
#     URLs, the sync one BENCH_SYNC_URLS [100];
#   100 ms round: BENCH_DELAY_URLS [2000] at BENCH_DELAY_CONCURRENCY [200], Python
#     BENCH_DELAY_PY_URLS [300], sync BENCH_DELAY_SYNC_URLS [20];
#   memory: cafe alone on BENCH_BIG_URLS [1000000] URLs of BENCH_BIG_SIZE [2000] bytes (30-40
#     s here), run last and given at most BIG_TIMEOUT [150] s and whatever is left of
#     BENCH_BUDGET [270] s, the whole script's time (bench/run.sh allows a part 300 s);
#   chart: CHART_DELAY [50] ms, CHART_SIZES [10 30 100 300 1000], --sync measured up to
#     CHART_SYNC_MAX [100] URLs and extrapolated beyond;
#   BENCH_REPS [3] runs per figure of the fast tools (1 for the Python ones), RUN_TIMEOUT [60]
#   s per run, PYTHON [/usr/bin/python3, Debian's], FIXTURE [BUILD_DIR/src/fixture/cafe-fixture],
#   BENCH_SERVER [fixture]: `go` serves the same pages with bench/titles/server_go.go instead
#     (net/http on every core, exact timers, as in issue 11's own harness).
# A missing tool or module makes its row "n/a"; it never fails the run.
set -u
build=$(cd "${1:?usage: bench/titles/run.sh BUILD_DIR}" && pwd) || exit 2
here=$(cd "$(dirname "$0")" && pwd)
# In a fresh network namespace (loopback only), like the tests: nothing but 127.0.0.1 can be
# reached, and the sockets of other jobs on the machine (ports, TIME_WAIT) do not count.
netns="$here/../../tests/netns.sh"
if [ "${CAFE_NETNS:-}" != 1 ] && "$netns" true 2>/dev/null; then
    exec "$netns" sh "$here/run.sh" "$build"
fi
urls=${BENCH_URLS:-10000}
sites=${BENCH_SITES:-200}
size=${BENCH_SIZE:-30000}
conc=${BENCH_CONCURRENCY:-100}
py_urls=${BENCH_PY_URLS:-500}
sync_urls=${BENCH_SYNC_URLS:-100}
d_urls=${BENCH_DELAY_URLS:-2000}
d_conc=${BENCH_DELAY_CONCURRENCY:-200}
d_py_urls=${BENCH_DELAY_PY_URLS:-300}
d_sync_urls=${BENCH_DELAY_SYNC_URLS:-20}
big_urls=${BENCH_BIG_URLS:-1000000}
big_size=${BENCH_BIG_SIZE:-2000}
chart_delay=${CHART_DELAY:-50}
chart_sizes=${CHART_SIZES:-10 30 100 300 1000}
chart_sync_max=${CHART_SYNC_MAX:-100}
reps=${BENCH_REPS:-3}
run_timeout=${RUN_TIMEOUT:-60}
big_timeout=${BIG_TIMEOUT:-150}
budget=${BENCH_BUDGET:-270}
started=$(date +%s)
python=${PYTHON:-/usr/bin/python3}
out_dir="$here/../out"
mkdir -p "$out_dir"
tmp=$(mktemp -d)
fx_pid=""

fixture_stop() {
    [ -n "$fx_pid" ] || return 0
    kill -TERM "$fx_pid" 2>/dev/null
    wait "$fx_pid" 2>/dev/null
    exec 3>&- 4<&-
    fx_pid=""
}
trap 'fixture_stop; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

fixture=${FIXTURE:-$build/src/fixture/cafe-fixture}
server=${BENCH_SERVER:-fixture}
if [ ! -x "$fixture" ] || [ ! -x /usr/bin/time ]; then
    echo "titles: needs $fixture (build it) and /usr/bin/time (Debian package time)" >&2
    exit 1
fi

# ---- the fixture: one server process of $sites sites per round ---------------------------
# fixture_start DELAY SIZE: starts it and waits for its ready line (never sleeps); sets
# fx_addr and fx_ports (site 0 first). Its stdin is our fd 3: if this script dies, the
# fixture sees EOF and exits (--exit-on-eof).
fixture_start() {
    fixture_stop
    rm -f "$tmp/fx.in" "$tmp/fx.out"
    mkfifo "$tmp/fx.in" "$tmp/fx.out"
    if [ "$server" = go ]; then
        "$tmp/server_go" --sites "$sites" --delay "$1" --size "$2" \
            <"$tmp/fx.in" >"$tmp/fx.out" 2>>"$tmp/errors" &
    else
        "$fixture" --sites "$sites" --delay "$1" --size "$2" --exit-on-eof \
            <"$tmp/fx.in" >"$tmp/fx.out" 2>>"$tmp/errors" &
    fi
    fx_pid=$!
    exec 3>"$tmp/fx.in" 4<"$tmp/fx.out"
    read -r word fx_addr fx_ports <&4
    if [ "${word:-}" != ready ]; then
        echo "titles: cafe-fixture did not start" >&2
        exit 1
    fi
}

# make_urls N FILE: N URLs spread round-robin over the sites (URL i on site i mod sites,
# page i div sites), so that any window of the list spreads over many hosts.
make_urls() {
    awk -v n="$1" -v addr="$fx_addr" -v ports="$fx_ports" 'BEGIN {
        s = split(ports, p, " ")
        for (i = 0; i < n; i++) printf "http://%s:%s/page/%d\n", addr, p[i % s + 1], int(i / s)
    }' >"$2"
}

# count_ok FILE: lines `'Title' from URL` whose title is the one the fixture gives that URL
# (`Site S page N — cafe fixture`), or HTTP 200 lines for curl, which reads no titles. The
# first three other lines go to $tmp/bad.
count_ok() {
    awk -v ports="$fx_ports" -v bad="$tmp/bad" '
        BEGIN { s = split(ports, p, " "); for (i = 1; i <= s; i++) site[p[i]] = i - 1 }
        function right() {
            if ($0 == "200") return 1
            at = index($0, "\047 from http://")
            if (substr($0, 1, 1) != "\047" || at == 0) return 0
            split(substr($0, at + 14), u, "[:/]")
            return substr($0, 2, at - 2) == "Site " site[u[2]] " page " u[4] " — cafe fixture"
        }
        right() { ok++; next }
        nbad++ < 3 { print >bad }
        END { print ok + 0 }' "$1"
}

# ---- the tools; an empty command means "not available" ----------------------------------
cafe_cmd=""
if [ -x "$build/src/cli/cafe" ]; then
    cafe_cmd="$build/src/cli/cafe"
else
    echo "titles: $build/src/cli/cafe not built: cafe row n/a" >&2
fi

# Built offline: GOPATH mode (Debian's x/net in /usr/share/gocode), caches in the temp dir.
# go_build NAME: bench/titles/NAME.go to $tmp/NAME.
go_build() {
    (cd "$here" && GO111MODULE=off GOFLAGS='' GOPROXY=off GOPATH="$tmp/gopath:/usr/share/gocode" \
        GOCACHE="$tmp/gocache" go build -o "$tmp/$1" "$1.go") >&2
}
go_cmd=""
if command -v go >/dev/null 2>&1 && [ -d /usr/share/gocode/src/golang.org/x/net/html ]; then
    if go_build peer_go; then
        go_cmd="$tmp/peer_go"
    else
        echo "titles: go build of peer_go.go failed: Go row n/a" >&2
    fi
else
    echo "titles: go or x/net/html missing (golang-go, golang-golang-x-net-dev): Go row n/a" >&2
fi

case $server in
fixture) server_name=cafe-fixture ;;
go)
    server_name="Go net/http (server_go.go)"
    if ! go_build server_go; then
        echo "titles: BENCH_SERVER=go needs golang-go to build server_go.go" >&2
        exit 1
    fi ;;
*)
    echo "titles: BENCH_SERVER is fixture or go, not $server" >&2
    exit 2 ;;
esac

# has_py MODULE...: the Python peer can run with these modules.
has_py() {
    for mod in "$@"; do
        "$python" -c "import $mod" 2>/dev/null || {
            echo "titles: $python lacks module $mod: its row is n/a" >&2
            return 1
        }
    done
}
py_aiohttp="" py_httpx="" py_sync=""
has_py bs4 aiohttp && py_aiohttp="$python $here/peer_guide.py aiohttp"
has_py bs4 httpx && py_httpx="$python $here/peer_guide.py httpx"
has_py bs4 requests && py_sync="$python $here/peer_guide.py sync"
curl_ok=""
command -v curl >/dev/null 2>&1 && curl_ok=1
# The speed-of-light contender: plain C on libcurl (bench/titles/lean_curl.c, target bench_all).
lean_cmd=""
if [ -x "$build/bench/lean_curl" ]; then
    lean_cmd="$build/bench/lean_curl"
else
    echo "titles: $build/bench/lean_curl not built (make bench builds it): lean row n/a" >&2
fi

# available TOOL: its command is there.
available() {
    case "$1" in
    cafe | cafesync | cafe2) [ -n "$cafe_cmd" ] ;;
    go) [ -n "$go_cmd" ] ;;
    aiohttp | aiohttpstr) [ -n "$py_aiohttp" ] ;;
    httpx) [ -n "$py_httpx" ] ;;
    sync) [ -n "$py_sync" ] ;;
    curl) [ -n "$curl_ok" ] ;;
    lean | leanuv) [ -n "$lean_cmd" ] ;;
    esac
}

# ---- measuring ---------------------------------------------------------------------------
# run_tool ROUND TOOL LIST N C [TIMEOUT]: runs TOOL over the first N URLs of LIST at
# concurrency C, its results to a file, and appends "seconds peak_rss_kib cpu_seconds
# right_titles" to $tmp/ROUND.TOOL. A failed or timed-out run appends nothing and leaves
# its last words in $tmp/errors.
run_tool() {
    round=$1 tool=$2 n=$4 c=$5 limit=${6:-$run_timeout}
    available "$tool" || return 0
    list="$tmp/list.$(basename "$3").$n"
    [ -f "$list" ] || head -n "$n" "$3" >"$list"
    res="$tmp/out"
    : >"$res"
    # shellcheck disable=SC2086 # the *_cmd variables hold a command and its arguments
    case "$tool" in
    cafe) set -- $cafe_cmd titles -q -c "$c" -o "$res" "$list" ;;
    cafesync) set -- $cafe_cmd titles --sync -q -o "$res" "$list" ;;
    cafe2) set -- $cafe_cmd titles -q -c "$c" --threads 2 -o "$res" "$list" ;;
    go) set -- $go_cmd "$list" "$c" ;;
    lean) set -- $lean_cmd "$list" "$c" ;;
    leanuv) set -- $lean_cmd --uv "$list" "$c" ;;
    aiohttp) set -- $py_aiohttp "$list" "$c" ;;
    aiohttpstr) set -- "$python" "$here/peer_guide.py" aiohttp-str "$list" "$c" ;;
    httpx) set -- $py_httpx "$list" "$c" ;;
    sync) set -- $py_sync "$list" 1 ;;
    curl)
        # curl 7.88 has no --out-null: one output line per URL.
        awk '{ printf "url = \"%s\"\noutput = \"/dev/null\"\n", $0 }' "$list" >"$tmp/curl.cfg"
        set -- curl -s -Z --parallel-max "$c" -w "%{http_code}\n" -K "$tmp/curl.cfg"
        ;;
    esac
    t0=$(date +%s%N)
    timeout -k 5 "$limit" /usr/bin/time -f '%M %U %S' -o "$tmp/time" "$@" >>"$res" 2>"$tmp/stderr"
    rc=$?
    t1=$(date +%s%N)
    if [ "$rc" -ne 0 ]; then
        why="exit status $rc"
        [ "$rc" -eq 124 ] && why="timed out after $limit s"
        echo "titles: $round $tool on $n URLs: $why" >&2
        { echo "== $round $tool, $n URLs: $why"; tail -5 "$tmp/stderr"; } >>"$tmp/errors"
        return 0
    fi
    # curl 7.88 draws its parallel progress meter on stderr even with -s: not a message.
    [ "$tool" = curl ] && : >"$tmp/stderr"
    if [ -s "$tmp/stderr" ]; then
        { echo "== $round $tool, $n URLs, stderr:"; tail -5 "$tmp/stderr"; } >>"$tmp/errors"
    fi
    : >"$tmp/bad"
    ok=$(count_ok "$res")
    if [ "$ok" -ne "$n" ]; then
        echo "titles: $round $tool: $ok of $n URLs with the right result" >&2
        { echo "== $round $tool, $n URLs: $ok right, $(wc -l <"$res") lines; wrong ones:"; cat "$tmp/bad"; } \
            >>"$tmp/errors"
    fi
    tail -1 "$tmp/time" | awk -v t="$((t1 - t0))" -v ok="$ok" \
        '{ printf "%.4f %d %.2f %d\n", t / 1e9, $1, $2 + $3, ok }' >>"$tmp/$round.$tool"
}

# measure ROUND LIST "TOOL:N ..." C REPS: every TOOL on its first N URLs, REPS times,
# interleaved so that the machine's drift hits them alike.
measure() {
    i=0
    while [ "$i" -lt "$5" ]; do
        for spec in $3; do
            run_tool "$1" "${spec%%:*}" "$2" "${spec#*:}" "$4"
        done
        i=$((i + 1))
    done
}

# fig ROUND TOOL FIELD: median of a figure (1 seconds, 2 peak RSS KiB, 3 CPU seconds,
# 4 right results) over the runs, or n/a.
fig() {
    f="$tmp/$1.$2"
    if [ -s "$f" ]; then
        awk -v k="$3" '{ print $k }' "$f" | sort -g |
            awk '{ v[NR] = $1 } END { m = int((NR + 1) / 2); print (NR % 2) ? v[m] : (v[m] + v[m + 1]) / 2 }'
    else
        echo n/a
    fi
}

echo "titles: delay 0: $urls URLs on $sites sites, $size-byte pages, concurrency $conc..." >&2
fixture_start 0 "$size"
make_urls "$urls" "$tmp/urls0"
measure d0 "$tmp/urls0" "cafe:$urls cafe2:$urls lean:$urls leanuv:$urls go:$urls curl:$urls" "$conc" "$reps"
measure d0 "$tmp/urls0" "aiohttp:$py_urls aiohttpstr:$py_urls httpx:$py_urls sync:$sync_urls" "$conc" 1

echo "titles: delay 100 ms: $d_urls URLs, concurrency $d_conc..." >&2
fixture_start 100 "$size"
make_urls "$d_urls" "$tmp/urls100"
measure d100 "$tmp/urls100" "cafe:$d_urls cafe2:$d_urls lean:$d_urls leanuv:$d_urls go:$d_urls curl:$d_urls" "$d_conc" "$reps"
measure d100 "$tmp/urls100" "aiohttp:$d_py_urls aiohttpstr:$d_py_urls httpx:$d_py_urls sync:$d_sync_urls" "$d_conc" 1

# The chart's runs: async (cafe titles -c $conc) at every size, sync up to $chart_sync_max.
echo "titles: chart, delay $chart_delay ms: cafe titles --sync vs async..." >&2
fixture_start "$chart_delay" "$size"
chart_max=0
for n in $chart_sizes; do [ "$n" -gt "$chart_max" ] && chart_max=$n; done
make_urls "$chart_max" "$tmp/urlschart"
for n in $chart_sizes; do
    measure "chart$n" "$tmp/urlschart" "cafe:$n" "$conc" "$reps"
    [ "$n" -le "$chart_sync_max" ] && measure "chart$n" "$tmp/urlschart" "cafesync:$n" "$conc" 1
done

# Last, in what is left of the budget (minus ~10 s for generating the list and the table).
left=$((budget - ($(date +%s) - started) - 10))
[ "$left" -lt "$big_timeout" ] && big_timeout=$left
if [ "$big_timeout" -gt 0 ]; then
    echo "titles: cafe on $big_urls URLs of $big_size bytes (at most $big_timeout s)..." >&2
    fixture_start 0 "$big_size"
    make_urls "$big_urls" "$tmp/urlsbig"
    run_tool big cafe "$tmp/urlsbig" "$big_urls" "$conc" "$big_timeout"
    rm -f "$tmp"/*urlsbig*
fi
fixture_stop

# ---- the chart ---------------------------------------------------------------------------
# $tmp/chart.dat: N, async s, sync s measured, sync s extrapolated (from the largest measured
# sync run, seconds per URL times N; that last measured point starts the dashed line too),
# and the extrapolated figure again only where nothing was measured (the labels).
per_url=n/a
for n in $chart_sizes; do
    s=$(fig "chart$n" cafesync 1)
    [ "$s" != n/a ] && per_url=$(awk -v s="$s" -v n="$n" 'BEGIN { print s / n }') && last=$n
done
for n in $chart_sizes; do
    s=$(fig "chart$n" cafesync 1)
    x=n/a
    if [ "$per_url" != n/a ] && { [ "$s" = n/a ] || [ "$n" -eq "$last" ]; }; then
        x=$(awk -v p="$per_url" -v n="$n" 'BEGIN { print p * n }')
    fi
    only=n/a
    [ "$s" = n/a ] && only=$x
    echo "$n $(fig "chart$n" cafe 1) $s $x $only"
done >"$tmp/chart.dat"
chart="$out_dir/sync-vs-async.png"
if [ -z "$cafe_cmd" ]; then
    echo "titles: no cafe: no chart" >&2
elif command -v gnuplot >/dev/null 2>&1; then
    # A series with no point (nothing extrapolated) only draws a warning: not worth a message.
    gnuplot -e "dat='$tmp/chart.dat'; png='$chart'; delay=$chart_delay; conc=$conc" \
        "$here/chart.gp" 2>&1 | grep -v 'no valid points' >>"$tmp/errors"
    [ -s "$chart" ] || echo "titles: gnuplot drew no chart" >&2
else
    echo "titles: gnuplot missing (Debian package gnuplot-nox): no chart" >&2
fi

# ---- the table ---------------------------------------------------------------------------
# cell FIGURE DIGITS: the figure with thousands separators (whatever the locale), or n/a.
cell() {
    case "$1" in
    n/a) echo n/a ;;
    *) awk -v x="$1" -v d="$2" 'BEGIN {
            s = sprintf("%." d "f", x); frac = ""
            if (d > 0) { frac = substr(s, length(s) - d); s = substr(s, 1, length(s) - d - 1) }
            while (match(s, /[0-9][0-9][0-9][0-9]/)) sub(/[0-9][0-9][0-9]($|,)/, ",&", s)
            print s frac
        }' ;;
    esac
}

# calc EXPR A B: awk arithmetic on two figures, n/a if either is n/a (or a divisor is 0).
calc() {
    case "$2 $3" in
    *n/a*) echo n/a ;;
    *) awk -v a="$2" -v b="$3" "BEGIN { if ($1) print $4; else print \"n/a\" }" ;;
    esac
}

# ratio A B: A / B with two decimals, or n/a.
ratio() {
    calc "b > 0" "$1" "$2" "a / b" | awk '{ print ($1 == "n/a") ? $1 : sprintf("%.2f", $1) }'
}

# per_ideal ROUND TOOL N C DELAY_S: the tool's time over the ideal N * DELAY_S / C.
per_ideal() {
    calc "b > 0" "$(fig "$1" "$2" 1)" "$3" "a / (b * $5 / $4)"
}

cafe_rate=$(calc "b > 0" "$urls" "$(fig d0 cafe 1)" "a / b")
cafe_cpu=$(calc "b > 0" "$(fig d0 cafe 3)" "$urls" "a * 1e6 / b")
cafe_ideal=$(per_ideal d100 cafe "$d_urls" "$d_conc" 0.1)

# row TOOL LABEL N0 N100: one table line; N0 and N100 are the URLs it was measured on.
row() {
    rate=$(calc "b > 0" "$3" "$(fig d0 "$1" 1)" "a / b")
    cpu=$(calc "b > 0" "$(fig d0 "$1" 3)" "$3" "a * 1e6 / b")
    rss=$(calc 1 "$(fig d0 "$1" 2)" 0 "a / 1024")
    ideal=$(per_ideal d100 "$1" "$4" "$d_conc" 0.1)
    right="$(cell "$(fig d0 "$1" 4)" 0) / $(cell "$3" 0), $(cell "$(fig d100 "$1" 4)" 0) / $(cell "$4" 0)"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$2" "$(cell "$rate" 0)" \
        "$(ratio "$cafe_rate" "$rate")" "$(cell "$cpu" 0)" "$(ratio "$cafe_cpu" "$cpu")" "$(cell "$rss" 1)" \
        "$(cell "$ideal" 2)" "$(ratio "$ideal" "$cafe_ideal")" "$right"
}

c0=$(cell "$urls" 0)
echo "### cafe titles vs the guide's scripts, httpx, Go net/http and curl -Z"
echo
echo "| tool | URLs/s, delay 0 | cafe speed / tool's | client CPU µs/URL | cafe CPU / tool's" \
    "| peak RSS MiB | time / ideal, 100 ms delay | tool / cafe | right results, delay 0 and 100 ms |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
row cafe "cafe titles -c $conc (-c $d_conc at 100 ms)" "$urls" "$d_urls"
row cafe2 "cafe titles --threads 2: two fetching loops, each on its own thread" "$urls" "$d_urls"
row lean "lean libcurl client: one thread, curl_multi_poll, title scan in the write callback" "$urls" "$d_urls"
row leanuv "the same on libuv: curl_multi_socket_action, the interface cafe drives (--uv)" "$urls" "$d_urls"
row go "Go net/http, $conc goroutines + x/net/html" "$urls" "$d_urls"
row curl "curl -Z --parallel-max $conc (no titles)" "$urls" "$d_urls"
row aiohttp "the guide's async script: aiohttp + BeautifulSoup, Semaphore($conc), on $(cell "$py_urls" 0) / $(cell "$d_py_urls" 0) URLs" "$py_urls" "$d_py_urls"
row aiohttpstr "the same, returning str(soup.title.string)" "$py_urls" "$d_py_urls"
row httpx "httpx async + BeautifulSoup, Semaphore($conc), on $(cell "$py_urls" 0) / $(cell "$d_py_urls" 0) URLs" "$py_urls" "$d_py_urls"
row sync "the guide's sync script: requests + BeautifulSoup, one at a time, on $sync_urls / $d_sync_urls URLs" "$sync_urls" "$d_sync_urls"
echo
# Issue 11.3: under latency, cafe within 1.05x of the ideal and never behind the lean client.
# Line k of each tool's file is its k-th repetition: the pairs ran back to back, in one run.
pairs=n/a
if [ -s "$tmp/d100.cafe" ] && [ -s "$tmp/d100.lean" ]; then
    pairs=$(paste -d ' ' "$tmp/d100.cafe" "$tmp/d100.lean" |
        awk '{ printf "%s%.2f", (NR > 1 ? ", " : ""), $1 / $5 }')
fi
echo "Latency ($(cell "$d_urls" 0) URLs, 100 ms per response, -c $d_conc): cafe" \
    "$(cell "$cafe_ideal" 2) x the ideal (target at most 1.05), lean libcurl" \
    "$(cell "$(per_ideal d100 lean "$d_urls" "$d_conc" 0.1)" 2) x; cafe's time over lean's in" \
    "each repetition: $pairs (target at most 1.00)."
echo
big_t=$(fig big cafe 1)
if [ -z "$cafe_cmd" ]; then
    big_what="n/a (no cafe)"
elif [ "$big_t" = n/a ]; then
    big_what="did not finish within its $big_timeout s: n/a"
else
    big_what="$(cell "$big_t" 1) s ($(cell "$(calc "b > 0" "$big_urls" "$big_t" "a / b")" 0) URLs/s),"
    big_what="$big_what peak RSS $(cell "$(calc 1 "$(fig big cafe 2)" 0 "a / 1024")" 1) MiB,"
    big_what="$big_what $(cell "$(fig big cafe 4)" 0) right titles"
fi
echo "cafe titles on $(cell "$big_urls" 0) URLs ($(cell "$big_size" 0)-byte pages, $sites sites," \
    "delay 0, -c $conc): $big_what."
echo
echo "Chart: bench/out/sync-vs-async.png (cafe titles --sync vs async at $chart_delay ms per" \
    "response; sync measured up to $chart_sync_max URLs, extrapolated beyond)."
echo
echo "| URLs | async s | sync s |"
echo "|---:|---:|---:|"
while read -r n a s x _; do
    if [ "$s" = n/a ] && [ "$x" != n/a ]; then
        s="$(cell "$x" 2) (extrapolated)"
    else
        s=$(cell "$s" 2)
    fi
    echo "| $n | $(cell "$a" 3) | $s |"
done <"$tmp/chart.dat"
echo
where=""
[ "${CAFE_NETNS:-}" = 1 ] && where=", in a private network namespace"
goversion=$(go version 2>/dev/null | awk '{ print $3 }')
pyversion=$("$python" -c 'import platform; print(platform.python_version())' 2>/dev/null)
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo "Same URL list (URL i on site i mod $sites) on $sites $server_name sites, $size-byte pages," \
    "delay 0: $c0 URLs at concurrency $conc; 100 ms: $(cell "$d_urls" 0) URLs at" \
    "concurrency $d_conc, ideal = URLs x 0.1 s / $d_conc. Where fewer URLs are named, the tool" \
    "was run on the first ones of the same list. Medians of $reps runs (one for the Python" \
    "scripts and the big run); wall time includes start-up; peak RSS and CPU from" \
    "/usr/bin/time (delay 0 round); the server runs on the same cores$where." \
    "$(nproc) x $cpu, Linux $(uname -r), go ${goversion:-n/a}, python ${pyversion:-n/a}," \
    "$(curl --version 2>/dev/null | awk 'NR == 1 { print $1, $2 }')."
if [ -s "$tmp/errors" ]; then
    echo "titles: messages from the runs:" >&2
    head -40 "$tmp/errors" >&2
fi
