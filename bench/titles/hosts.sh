#!/bin/sh
# The "distinct hosts" scenario of bench/titles (issue 18; see bench/README.md): every URL on
# a host name of its own, as in lists of subdomains or registry exports. In a fresh network
# namespace and a private mount namespace, Debian's dnsmasq answers on 127.0.0.1:53 (through a
# bind-mounted /etc/resolv.conf): *.bench.test is 127.0.0.1, *.dead.test does not exist.
# --local makes dnsmasq answer AAAA for *.bench.test with "no data", as a real authoritative
# server does, instead of REFUSED (it would forward the question, and has no upstream).
# cafe titles, the lean libcurl client (curl's threaded resolver) and the Go pool (Go's own
# resolver) fetch the same list from 200 fixture sites, side by side, REPS times each.
# Usage: bench/titles/hosts.sh BUILD_DIR   Knobs: HOSTS_URLS [5000], HOSTS_DEAD_PCT [5],
#   HOSTS_CONCURRENCY [100], BENCH_REPS [3], HOSTS_CAFE_BEFORE [none]: the cafe binary of
#   another build, run as one more contender (before/after tables). Prints a markdown table.
set -u
build=$(cd "${1:?usage: bench/titles/hosts.sh BUILD_DIR}" && pwd) || exit 2
here=$(cd "$(dirname "$0")" && pwd)
if [ "${CAFE_HOSTS_NS:-}" != 1 ]; then
    command -v dnsmasq >/dev/null || { echo "hosts: dnsmasq missing (dnsmasq-base)" >&2; exit 0; }
    CAFE_HOSTS_NS=1 exec "$here/../../tests/netns.sh" unshare --mount sh "$here/hosts.sh" "$build"
fi
n=${HOSTS_URLS:-5000}
dead=${HOSTS_DEAD_PCT:-5}
c=${HOSTS_CONCURRENCY:-100}
reps=${BENCH_REPS:-3}
tmp=$(mktemp -d)
trap 'kill $dns_pid 2>/dev/null; exec 3>&-; rm -rf "$tmp"' EXIT
printf 'nameserver 127.0.0.1\n' >"$tmp/resolv.conf"
mount --make-rprivate / 2>/dev/null
mount --bind "$tmp/resolv.conf" /etc/resolv.conf || exit 1
dnsmasq --keep-in-foreground --no-resolv --no-hosts --listen-address=127.0.0.1 \
    --bind-interfaces --port=53 --address=/bench.test/127.0.0.1 --address=/dead.test/ \
    --local=/bench.test/ \
    --cache-size=0 --pid-file="$tmp/dnsmasq.pid" --log-facility="$tmp/dnsmasq.log" &
dns_pid=$!
mkfifo "$tmp/fx.in" "$tmp/fx.out"
"$build/src/fixture/cafe-fixture" --sites 200 --size 30000 --exit-on-eof \
    <"$tmp/fx.in" >"$tmp/fx.out" 2>/dev/null &
exec 3>"$tmp/fx.in"
read -r _ _ ports <"$tmp/fx.out"
echo "$ports" | tr ' ' '\n' >"$tmp/ports"
awk -v n="$n" -v dead="$dead" 'NR == FNR { p[++s] = $1; next } END {
    for (i = 0; i < n; i++) {
        zone = (i % 100) < dead ? "dead" : "bench"
        printf "http://h%d.%s.test:%s/page/%d\n", i, zone, p[i % s + 1], int(i / s)
    }
}' "$tmp/ports" /dev/null >"$tmp/urls"
# Go's peer, built as bench/titles/run.sh builds it.
go_cmd=""
if command -v go >/dev/null && (cd "$here" && GO111MODULE=off GOFLAGS='' GOPROXY=off \
    GOPATH="$tmp/gopath:/usr/share/gocode" GOCACHE="$tmp/gocache" go build -o "$tmp/peer_go" \
    peer_go.go) >/dev/null 2>&1; then
    go_cmd="$tmp/peer_go"
fi
# UDP datagrams sent in this namespace: a client's queries and dnsmasq's answers, nothing else.
udp_out() { awk '$1 == "Udp:" && $5 ~ /^[0-9]+$/ { print $5 }' /proc/net/snmp; }
# TCP connections opened in this namespace: the client's alone (the fixture only accepts).
tcp_opens() { awk '$1 == "Tcp:" && $6 ~ /^[0-9]+$/ { print $6 }' /proc/net/snmp; }
run() { # TOOL: appends "seconds cpu_seconds ok_lines dns_queries connections" to $tmp/TOOL
    case $1 in
    cafe) set -- "$build/src/cli/cafe" titles -q -c "$c" "$tmp/urls" ;;
    before) set -- "$HOSTS_CAFE_BEFORE" titles -q -c "$c" "$tmp/urls" ;;
    lean) set -- "$build/bench/lean_curl" "$tmp/urls" "$c" ;;
    go) [ -n "$go_cmd" ] || return 0; set -- "$go_cmd" "$tmp/urls" "$c" ;;
    esac
    u0=$(udp_out)
    o0=$(tcp_opens)
    t0=$(date +%s%N)
    /usr/bin/time -f '%U %S' -o "$tmp/time" "$@" >"$tmp/out" 2>/dev/null
    t1=$(date +%s%N)
    ok=$(grep -c "cafe fixture' from" "$tmp/out")
    q=$((($(udp_out) - u0) / 2))
    o=$(($(tcp_opens) - o0))
    awk -v t=$((t1 - t0)) -v ok="$ok" -v q="$q" -v o="$o" \
        '{ printf "%.3f %.2f %d %d %d\n", t / 1e9, $1 + $2, ok, q, o }' "$tmp/time" >>"$tmp/$tool"
}
tools="cafe lean go"
[ -n "${HOSTS_CAFE_BEFORE:-}" ] && tools="cafe before lean go"
i=0
while [ "$i" -lt "$reps" ]; do
    for tool in $tools; do run "$tool"; done
    i=$((i + 1))
done
# Threads made by one cafe run (strace -f -c counts clone/clone3).
threads=n/a
if command -v strace >/dev/null; then
    strace -f -c -o "$tmp/strace" "$build/src/cli/cafe" titles -q -c "$c" "$tmp/urls" >/dev/null
    threads=$(awk '$NF == "clone3" || $NF == "clone" { n += $4 } END { print n + 0 }' "$tmp/strace")
fi
med() { [ -s "$tmp/$1" ] && sort -g -k"$2" "$tmp/$1" | awk -v k="$2" '{ v[NR] = $k } END { print v[int((NR + 1) / 2)] }' || echo n/a; }
cafe_rate=$(awk -v n="$n" -v t="$(med cafe 1)" 'BEGIN { print n / t }')
echo "| tool | URLs/s | cafe / tool | client CPU µs/URL | right titles | DNS queries / name | connections / URL |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for tool in $tools; do
    t=$(med "$tool" 1)
    [ "$t" = n/a ] && { echo "| $tool | n/a | n/a | n/a | n/a | n/a | n/a |"; continue; }
    awk -v tool="$tool" -v n="$n" -v t="$t" -v cpu="$(med "$tool" 2)" -v ok="$(med "$tool" 3)" \
        -v q="$(med "$tool" 4)" -v o="$(med "$tool" 5)" -v cr="$cafe_rate" 'BEGIN {
        printf "| %s | %.0f | %.2f | %.0f | %d / %d | %.2f | %.2f |\n",
        tool, n / t, cr / (n / t), cpu * 1e6 / n, ok, n, q / n, o / n }'
done
echo
echo "$n URLs, each on its own host name ($dead% NXDOMAIN), 200 fixture sites, -c $c;" \
    "medians of $reps runs; threads created by one cafe run (strace -f): $threads." \
    "DNS queries counted as UDP datagrams in the namespace, halved (each query has its answer);" \
    "connections: TCP active opens in the namespace (the clients' alone)."
