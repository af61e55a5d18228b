#!/bin/sh
# Marginal callgrind instructions per URL of `cafe titles` and the lean libcurl client
# (issue 11): each binary runs under callgrind at two list sizes against one cafe-fixture
# (200 sites, 30 KB pages, -c 100); prints (Ir(N2) - Ir(N1)) / (N2 - N1) and, for cafe, how
# many curl_multi_socket_action calls a URL took from poll events and from curl's timer.
# Usage: bench/titles/callgrind.sh BUILD_DIR N1 N2 ROUNDS NAME=BIN...  (BIN "lean:PATH" for
#   lean_curl); run it inside `sh tests/netns.sh`.
# PIN=same|split|none [same]: where the fixture and the client run. How many socket_action
# calls a URL takes from poll events is decided by whether a response is already there
# when curl checks the socket right after sending the request (then the whole URL ends in
# the timer's call), a race between the fixture and the client that valgrind's slowdown and
# the scheduler decide (bench/README.md, "The poll events' socket_action calls"). "same"
# (both on CPU 0) and "split" (CPU 0 and 1) each hold it steady; "none" leaves it to the
# scheduler, and to the load of the machine.
set -u
fx=$1/src/fixture/cafe-fixture; n1=$2; n2=$3; rounds=$4; shift 4
case ${PIN:-same} in
    same) pin_fx="taskset -c 0" pin_cl="taskset -c 0" ;;
    split) pin_fx="taskset -c 0" pin_cl="taskset -c 1" ;;
    none) pin_fx="" pin_cl="" ;;
    *) echo "callgrind.sh: PIN is same, split or none" >&2; exit 2 ;;
esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cafe-cg.XXXXXX")
mkfifo "$tmp/in" "$tmp/out"
$pin_fx "$fx" --sites 200 --size 30000 --exit-on-eof <"$tmp/in" >"$tmp/out" 2>/dev/null &
exec 3>"$tmp/in" 4<"$tmp/out"
read -r _ addr ports <&4 || { echo "no fixture"; exit 1; }
for n in $n1 $n2; do
    awk -v n="$n" -v addr="$addr" -v ports="$ports" 'BEGIN { s = split(ports, p, " ")
        for (i = 0; i < n; i++) printf "http://%s:%s/page/%d\n", addr, p[i % s + 1], int(i / s) }' >"$tmp/urls$n"
done
# Calls of action() (io.c) by on_poll and by on_timer in a callgrind output file.
actions() {
    awk '/^fn=/ { f = $0; sub(/^fn=\([0-9]+\) ?/, "", f); id = $0; sub(/^fn=/, "", id)
                   sub(/\).*/, ")", id); if (f != "") name[id] = f; cur = name[id] }
         /^cfn=/ { g = $0; sub(/^cfn=\([0-9]+\) ?/, "", g); id = $0; sub(/^cfn=/, "", id)
                   sub(/\).*/, ")", id); if (g != "") name[id] = g; callee = name[id] }
         /^calls=/ { if (callee == "action") { split($0, a, "[= ]"); n[cur] += a[2] } }
         END { printf "%d %d", n["on_poll"], n["on_timer"] }' "$1"
}
specs="$*"
for r in $(seq "$rounds"); do
    for spec in $specs; do
        name=${spec%%=*} bin=${spec#*=}
        for n in $n1 $n2; do
            case $bin in
                lean:*) set -- "${bin#lean:}" "$tmp/urls$n" 100 ;;
                *) set -- "$bin" titles -q -c 100 -o /dev/null "$tmp/urls$n" ;;
            esac
            out=$tmp/cg.$name.$n.$r
            timeout 300 $pin_cl valgrind --tool=callgrind --callgrind-out-file="$out" "$@" \
                >/dev/null 2>"$tmp/vg.$name.$n.$r"
            eval "ir_$n=$(grep -o 'Collected : [0-9]*' "$tmp/vg.$name.$n.$r" | awk '{print $3}')"
            eval "act_$n=\"$(actions "$out")\""
        done
        eval "a=\$ir_$n1 b=\$ir_$n2 pa=\$act_$n1 pb=\$act_$n2"
        line="$name round $r: $n1=$a $n2=$b marginal=$(((b - a) / (n2 - n1)))"
        case $bin in
            lean:*) ;;
            *) line="$line$(echo "$pa $pb" | awk -v d=$((n2 - n1)) '{
                   printf " socket_action/URL: poll %.2f timer %.3f", ($3 - $1) / d, ($4 - $2) / d }')" ;;
        esac
        echo "$line"
    done
done
echo "outputs in $tmp"
