#!/bin/sh
# The Redis queue: URLs/s of 1, 2 and 4 local `cafe titles --queue` workers sharing one local
# redis-server, against one plain `cafe titles` process on the same list, at a fixture delay
# of 100 ms per page; and Redis work per URL (INFO commandstats before and after each run).
# Prints a markdown table. Loopback only.
# Usage: bench/queue/run.sh BUILD_DIR
# Env: QUEUE_BENCH_URLS (6000) URLs per run, QUEUE_BENCH_C (100) concurrency per process.
# Bounded: each run is ideally URLS / C * 0.1 s (6 s for one process), every wait is capped;
# about 30 s in all by default.
set -eu
build=$(cd "${1:?usage: bench/queue/run.sh BUILD_DIR}" && pwd)
urls=${QUEUE_BENCH_URLS:-6000}
conc=${QUEUE_BENCH_C:-100}
cafe="$build/src/cli/cafe"
fixture="$build/src/fixture/cafe-fixture"
for tool in redis-server redis-cli python3; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "bench/queue: $tool is missing (scripts/deps.sh test)" >&2
        exit 1
    }
done
[ -x "$cafe" ] && [ -x "$fixture" ] || { echo "bench/queue: build $build first" >&2; exit 1; }

tmp=$(mktemp -d)
fixture_pid=""
redis_pid=""
cleanup() {
    [ -n "$fixture_pid" ] && kill "$fixture_pid" 2>/dev/null
    [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# ---- the fixture: 50 sites, 100 ms per page; ready when it prints its ready line ----
mkfifo "$tmp/stdin"
"$fixture" --sites 50 --delay 100 --size 30000 --exit-on-eof <"$tmp/stdin" >"$tmp/ready" &
fixture_pid=$!
exec 9>"$tmp/stdin"
i=0
until grep -q '^ready ' "$tmp/ready"; do
    i=$((i + 1))
    [ "$i" -le 300 ] || { echo "bench/queue: no fixture ready line" >&2; exit 1; }
    sleep 0.05
done

# ---- redis-server: no persistence (a cache-like queue; AOF costs an fsync per write) ----
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --dir "$tmp" --save '' --appendonly no \
    >"$tmp/redis.log" 2>&1 &
redis_pid=$!
i=0
until redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; do
    i=$((i + 1))
    [ "$i" -le 300 ] || { echo "bench/queue: redis-server did not start" >&2; exit 1; }
    sleep 0.05
done

python3 - "$tmp/ready" "$urls" >"$tmp/urls.txt" <<'PY'
import sys
ports = open(sys.argv[1]).read().split()[2:]
for i in range(int(sys.argv[2])):
    print(f"http://127.0.0.1:{ports[i % len(ports)]}/page/{i}")
PY

now() { date +%s.%N; }
# Runs a command and appends its CPU seconds (user + system) to $tmp/cpu.
cpu_of() {
    /usr/bin/time -f "%U %S" -a -o "$tmp/cpu" "$@"
}
cpu_take() { # the CPU seconds recorded since the last call
    [ -f "$tmp/cpu" ] || { echo 0; return; }
    awk '/^[0-9.]+ [0-9.]+$/ { s += $1 + $2 } END { printf "%.2f", s }' "$tmp/cpu"
    rm -f "$tmp/cpu"
}
redis_cpu() {
    redis-cli -p "$port" info cpu | tr -d '\r' | awk -F: '/^used_cpu_(user|sys):/ { s += $2 } END { print s }'
}
# Sum of calls over every command, and over EVALSHA alone (one client round trip each).
calls() {
    redis-cli -p "$port" info commandstats | tr -d '\r' | awk -F'[:=,]' '
        /^cmdstat_/ { all += $3; if ($1 == "cmdstat_evalsha") ev += $3 }
        END { printf "%d %d\n", all, ev }'
}

row() { # name processes seconds calls_before(all evalsha) calls_after(all evalsha) redis_cpu
    python3 - "$@" "$(cpu_take)" "$urls" "$conc" "$single" <<'PY'
import sys
name, procs, secs, b_all, b_ev, a_all, a_ev, rcpu, cpu, n, c, single = sys.argv[1:]
secs, n, c, procs = float(secs), int(n), int(c), int(procs)
ratio = f"{float(single) / secs:.2f}x"
ideal = n / (c * procs) * 0.1  # every page takes 100 ms; c pages at once per process
ops = "-" if a_all == "-" else \
    f"{(int(a_ev) - int(b_ev)) / n:.3f} / {(int(a_all) - int(b_all)) / n:.2f}"
cpu_ms = f"{float(cpu) * 1000 / n:.2f}" + ("" if rcpu == "-" else f" + {float(rcpu) * 1000 / n:.2f}")
print(f"| {name} | {n} | {secs:.2f} | {n / secs:.0f} | {ratio} | {secs / ideal:.2f}x | {ops} "
      f"| {cpu_ms} |")
PY
}

echo "| run (-c $conc per process, 100 ms per page) | URLs | time (s) | URLs/s | speed vs single | time vs ideal | Redis round trips / commands per URL | CPU ms per URL: cafe + redis |"
echo "|---|---|---|---|---|---|---|---|"
t0=$(now)
cpu_of timeout 120 "$cafe" titles -q -c "$conc" --json -o "$tmp/single.jsonl" "$tmp/urls.txt"
t1=$(now)
single=$(python3 -c "print($t1 - $t0)")
row "single process" 1 "$single" - - - - -
# Control: one process with the concurrency of 2 and 4 workers, no queue. If it is no faster
# than the workers, what bounds them is this machine (fixture, 2 cores), not the queue.
for n in 2 4; do
    t0=$(now)
    cpu_of timeout 120 "$cafe" titles -q -c "$((conc * n))" --json -o "$tmp/single$n.jsonl" "$tmp/urls.txt"
    t1=$(now)
    row "single process, -c $((conc * n))" "$n" "$(python3 -c "print($t1 - $t0)")" - - - - -
done
for n in 1 2 4; do
    q="redis://127.0.0.1:$port/0?queue=bench$n"
    "$cafe" queue push "$q" "$tmp/urls.txt" >/dev/null
    set -- $(calls)
    b_all=$1 b_ev=$2
    r0=$(redis_cpu)
    t0=$(now)
    pids=""
    for w in $(seq "$n"); do
        cpu_of timeout 120 "$cafe" titles -q -c "$conc" --queue "$q" &
        pids="$pids $!"
    done
    for p in $pids; do wait "$p"; done
    t1=$(now)
    r1=$(redis_cpu)
    set -- $(calls)
    got=$(redis-cli -p "$port" xlen "cafe:{bench$n}:results")
    [ "$got" = "$urls" ] || echo "bench/queue: $n workers wrote $got records, not $urls" >&2
    row "$n worker$([ "$n" = 1 ] || echo s)" "$n" "$(python3 -c "print($t1 - $t0)")" "$b_all" "$b_ev" "$1" "$2" "$(python3 -c "print($r1 - $r0)")"
done
