#!/bin/sh
# Runtime benchmark: cafe tasks against Go goroutines and Python asyncio tasks, doing the
# same work side by side in one run (see bench/README.md, "Runtime"). Prints a markdown table.
# Usage: bench/runtime/run.sh BUILD_DIR   (bench_runtime must be built: target bench_all)
# Knobs: BENCH_REPS (timed runs per figure, default 5), BENCH_RSS_REPS (default 3),
# BENCH_SECONDS (wall time of one timed run, default 0.2), PYTHON (default /usr/bin/python3,
# Debian's), RUN_TIMEOUT (seconds before one run is killed, default 30).
# A missing Go or Python makes its column "n/a"; it never fails the run.
set -u
build=${1:?usage: bench/runtime/run.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
reps=${BENCH_REPS:-5}
rss_reps=${BENCH_RSS_REPS:-3}
run_timeout=${RUN_TIMEOUT:-30}
python=${PYTHON:-/usr/bin/python3}
export BENCH_SECONDS="${BENCH_SECONDS:-0.2}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# ---- the three programs; an empty command means "not available" -------------------------
cafe_cmd=""
if [ -x "$build/bench/bench_runtime" ]; then
    cafe_cmd="$build/bench/bench_runtime"
else
    echo "runtime: $build/bench/bench_runtime not built (target bench_all)" >&2
fi

# Built offline: GOPATH mode, no module proxy, caches in the temp dir.
go_cmd=""
if command -v go >/dev/null 2>&1; then
    if (cd "$here" && GO111MODULE=off GOFLAGS='' GOPROXY=off GOPATH="$tmp/gopath" \
        GOCACHE="$tmp/gocache" go build -o "$tmp/peer_go" peer_go.go) >&2; then
        go_cmd="env GOMAXPROCS=1 $tmp/peer_go"
    else
        echo "runtime: go build of peer_go.go failed" >&2
    fi
else
    echo "runtime: go not found (Debian package golang-go): Go column n/a" >&2
fi

py_cmd=""
if [ -x "$python" ] && "$python" -c 'import asyncio' >/dev/null 2>&1; then
    py_cmd="$python $here/peer_asyncio.py"
else
    echo "runtime: $python not found (Debian package python3): asyncio column n/a" >&2
fi

# ---- measuring ---------------------------------------------------------------------------
# One run of implementation $1 (cafe|go|py) in mode $2 (and argument $3): appends its figure to
# $tmp/<impl>.<mode><arg>. A failed or timed-out run adds nothing.
run_once() {
    case "$1" in
    cafe) cmd=$cafe_cmd ;;
    go) cmd=$go_cmd ;;
    *) cmd=$py_cmd ;;
    esac
    [ -n "$cmd" ] || return 0
    # shellcheck disable=SC2086 # cmd holds a command and its arguments
    out=$(timeout -k 5 "$run_timeout" $cmd "$2" ${3:-} 2>>"$tmp/errors") || {
        echo "runtime: $1 $2 ${3:-} failed or timed out" >&2
        return 0
    }
    case "$out" in
    *[0-9]*) echo "$out" >>"$tmp/$1.$2${3:-}" ;;
    esac
}

# Runs mode $1 (argument $2) $3 times for each implementation in $4 (default all three),
# interleaved so that drift of the machine's speed hits them alike.
measure() {
    i=0
    while [ "$i" -lt "$3" ]; do
        for impl in ${4:-cafe go py}; do
            run_once "$impl" "$1" "${2:-}"
        done
        i=$((i + 1))
    done
}

# Median of the figures of implementation $1, mode $2 (argument $3), or "n/a".
median() {
    f="$tmp/$1.$2${3:-}"
    if [ -s "$f" ]; then
        sort -g "$f" | awk '{ v[NR] = $1 } END { m = int((NR + 1) / 2); print (NR % 2) ? v[m] : (v[m] + v[m + 1]) / 2 }'
    else
        echo n/a
    fi
}

# Exact instructions per operation of cafe mode $1 ($2 operations per round): callgrind counts
# two runs of different lengths; setup and warm-up cancel out in the difference. Or n/a.
instructions() {
    if [ -z "$cafe_cmd" ] || ! command -v valgrind >/dev/null 2>&1; then
        echo n/a
        return
    fi
    for rounds in 1024 5120; do
        BENCH_ITERS=$rounds timeout -k 5 "$run_timeout" valgrind --tool=callgrind \
            --callgrind-out-file=/dev/null "$cafe_cmd" "$1" 2>&1 >/dev/null |
            awk '/Collected :/ { print $NF }'
    done | awk -v ops="$2" '{ ir[NR] = $1 } END {
        if (NR == 2 && ir[2] > ir[1]) printf "%.0f\n", (ir[2] - ir[1]) / (4096 * ops); else print "n/a" }'
}

echo "runtime: measuring (about a minute and a half)..." >&2
measure ctx "" "$reps" cafe # Go and asyncio have no bare switch to measure
for mode in yield yieldt chan spawn gather; do
    measure "$mode" "" "$reps"
done
for n in 10000 100000; do
    measure rss "$n" "$rss_reps"
done
for n in 10000 40000; do # scaling: cafe alone, CPU per task at two sizes
    measure destroy "$n" "$rss_reps" cafe
    measure failfast "$n" "$rss_reps" cafe
done

# ---- the table ---------------------------------------------------------------------------
# row LABEL CAFE GO PY DIGITS: one table line with the two ratios (others / cafe).
row() {
    awk -v label="$1" -v c="$2" -v g="$3" -v p="$4" -v d="$5" 'function fmt(x) {
            if (x == "n/a" || x == "-") return x
            return sprintf("%\047." d "f", x)
        }
        function ratio(x) {
            if (x == "n/a" || x == "-" || c == "n/a" || c + 0 == 0) return "n/a"
            return sprintf("%.2f", x / c)
        }
        BEGIN { printf "| %s | %s | %s | %s | %s | %s |\n", label, fmt(c), fmt(g), fmt(p), ratio(g), ratio(p) }'
}

half() {
    case "$1" in n/a) echo n/a ;; *) awk -v x="$1" 'BEGIN { print x / 2 }' ;; esac
}

m() { median "$@"; }

echo "### Runtime: cafe vs Go goroutines (GOMAXPROCS=1) vs Python asyncio"
echo
echo "| metric | cafe | Go | asyncio | Go/cafe | asyncio/cafe |"
echo "|---|---:|---:|---:|---:|---:|"
row "bare register switch, no scheduler (ns/switch)" "$(m cafe ctx)" - - 1
row "yield ping-pong, 2 tasks (ns/yield)" "$(m cafe yield)" "$(m go yield)" "$(m py yield)" 1
row "= cafe ns per context switch, yield / 2 (target < 20)" "$(half "$(m cafe yield)")" - - 1
row "yield ping-pong, a 3rd task asleep (ns/yield)" "$(m cafe yieldt)" "$(m go yieldt)" "$(m py yieldt)" 1
row "channel ping-pong, unbuffered (ns/hop)" "$(m cafe chan)" "$(m go chan)" "$(m py chan)" 1
row "spawn + join one task (ns/task, target < 250)" "$(m cafe spawn)" "$(m go spawn)" "$(m py spawn)" 0
row "spawn 1000 + gather (ns/task)" "$(m cafe gather)" "$(m go gather)" "$(m py gather)" 0
row "RSS per sleeping task, 10,000 tasks (KiB)" "$(m cafe rss 10000)" "$(m go rss 10000)" "$(m py rss 10000)" 2
row "RSS per sleeping task, 100,000 tasks (KiB, target < 5)" "$(m cafe rss 100000)" "$(m go rss 100000)" "$(m py rss 100000)" 2
echo
echo "cafe instructions per operation (callgrind, exact: the difference of two run lengths):" \
    "bare switch $(instructions ctx 2), yield $(instructions yield 2)," \
    "channel hop $(instructions chan 2), spawn + join $(instructions spawn 1)."
echo
# scaling MODE: "A ns at 10,000 tasks, B at 40,000 (B/A x)": flat is linear, 4x is n^2.
scaling() {
    awk -v a="$(m cafe "$1" 10000)" -v b="$(m cafe "$1" 40000)" 'BEGIN {
        if (a == "n/a" || b == "n/a" || a + 0 == 0) { print "n/a"; exit }
        printf "%\047.0f ns at 10,000 tasks, %\047.0f at 40,000 (%.2fx)", a, b, b / a }'
}
echo "Scaling, cafe CPU per task (a per-task cost that grows 4x from 10,000 to 40,000 tasks is" \
    "n^2): $(scaling destroy) for tasks woken in one turn that each destroy a lock, a" \
    "semaphore and a queue of their own; $(scaling failfast) for a fail-fast gather of tasks" \
    "ending over 50 turns; $(scaling completed) for the same tasks taken as they finish" \
    "through a cafe_as_completed_t; $(scaling qcancel) for getters of a queue handed an" \
    "item each in one turn and all cancelled before they ran; $(scaling nested) for" \
    "deadlines nested that deep."
echo
goversion=$(go version 2>/dev/null | awk '{ print $3 }')
pyversion=$("$python" -c 'import platform; print(platform.python_version())' 2>/dev/null)
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo "Medians of $reps runs of ${BENCH_SECONDS} s each ($rss_reps fresh processes per RSS size)," \
    "$(nproc) x $cpu, Linux $(uname -r), go ${goversion:-n/a}, python ${pyversion:-n/a}." \
    "Lower is better everywhere, so a ratio above 1 means cafe is cheaper."
if [ -s "$tmp/errors" ]; then
    echo "runtime: messages from failed runs:" >&2
    sort -u "$tmp/errors" | head -20 >&2
fi
