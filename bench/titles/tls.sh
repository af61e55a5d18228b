#!/bin/sh
# The HTTPS scenario of bench/titles (issue 11, goal 4; see bench/README.md, "HTTPS"): nginx
# with a certificate for *.tls.test made at run time by openssl under a private CA, many host
# names mapped to 127.0.0.1 by an /etc/hosts bind-mounted in a private mount and network
# namespace (every tool resolves them as it would in a crawl), 30 KB pages with the title near
# the top. cafe titles, the lean libcurl client (as written, and with the one option that lets
# libcurl keep its parsed trust store: --no-capath), the Go pool and curl -Z fetch the same
# list side by side, REPS times each (the tools' order shuffled for every round and for the
# start-up runs; shuf), in three rounds:
#   h1     TLS, HTTP/1.1 only (ALPN offers no h2), keep-alive;
#   h2     TLS with HTTP/2: many URLs per host can share one connection;
#   close  TLS, HTTP/1.1, the server closes every connection after one response: every URL
#          is a new connection, so TLS session resumption is what saves the full handshake.
# Every tool verifies the server: its CA is given as a bundle of the system's CAs plus the
# private one (--cacert, or SSL_CERT_FILE for Go), so that loading the trust store costs
# what it costs in a real crawl. nginx logs $connection and $ssl_session_reused for every
# request: the table counts connections and full / resumed handshakes per URL.
# Each repetition also runs every tool on the first URL alone: its CPU is the tool's start-up
# (libraries, the trust store: ~50 ms for OpenSSL 3 and 145 CAs) and one connection, which
# the table subtracts to give the CPU of each further URL. The close round fetches few URLs,
# so there start-up weighs on CPU per URL (Go's is 20-30 ms lighter than the C clients').
# Usage: bench/titles/tls.sh BUILD_DIR   Prints a markdown table. One repetition takes ~1 minute
# on 2 quiet cores (5-6 at a load average of 15), most of it the clients that parse the
# 145-CA bundle for every new connection.
# Knobs: TLS_URLS [5000] (h1, h2), TLS_CLOSE_URLS [150], TLS_HOSTS [50],
#   TLS_CONCURRENCY [100], TLS_SIZE [30000], TLS_REPS [2], RUN_TIMEOUT [120] s per run,
#   TLS_BUDGET [200] s: no repetition starts after that (bench/run.sh allows a part 300 s),
#   TLS_SYSTEM_CAS [1] (0: the bundle is the private CA alone), TLS_CAFE_BEFORE [none]: the
#   cafe binary of another build, run as one more contender (before/after tables),
#   TLS_THREADS [2]: cafe titles --threads N as one more contender, cafe-tN (1: none),
#   TLS_ROUNDS [h1 h2 close]: the rounds run, TLS_TOOLS [all]: the contenders run (a list of
#   the names below; the start-up runs are of these too; the ratio columns need cafe).
# cafe-sys is cafe titles with no --cacert: the system's store, in this namespace a copy of
# /etc/ssl/certs with the private CA added, which cafe reads lazily (its start-up row);
# cafe-sys-tN the same with --threads N.
set -u
build=$(cd "${1:?usage: bench/titles/tls.sh BUILD_DIR}" && pwd) || exit 2
here=$(cd "$(dirname "$0")" && pwd)
if [ "${CAFE_TLS_NS:-}" != 1 ]; then
    for tool in nginx openssl; do
        command -v "$tool" >/dev/null || PATH=$PATH:/usr/sbin command -v "$tool" >/dev/null || {
            echo "tls: $tool missing (nginx-light, openssl): not run" >&2
            exit 0
        }
    done
    CAFE_TLS_NS=1 PATH=$PATH:/usr/sbin exec "$here/../../tests/netns.sh" unshare --mount \
        sh "$here/tls.sh" "$build"
fi
n=${TLS_URLS:-5000}
n_close=${TLS_CLOSE_URLS:-150}
hosts=${TLS_HOSTS:-50}
c=${TLS_CONCURRENCY:-100}
size=${TLS_SIZE:-30000}
reps=${TLS_REPS:-2}
threads=${TLS_THREADS:-2}
run_timeout=${RUN_TIMEOUT:-120}
system_cas=${TLS_SYSTEM_CAS:-1}
budget=${TLS_BUDGET:-200}
started=$(date +%s)
tmp=$(mktemp -d)
trap '[ -s "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
# Fixed ports: nothing else lives in this network namespace.
port_h1=8441 port_h2=8442 port_close=8443

# ---- names, certificates, pages, nginx ---------------------------------------------------
{
    echo "127.0.0.1 localhost mark.tls.test"
    awk -v h="$hosts" 'BEGIN { for (i = 0; i < h; i++) print "127.0.0.1 h" i ".tls.test" }'
} >"$tmp/hosts"
mount --make-rprivate / 2>/dev/null
mount --bind "$tmp/hosts" /etc/hosts || exit 1
(
    cd "$tmp" &&
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
            -keyout ca.key -out ca.pem -subj '/CN=cafe bench CA' \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign &&
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout server.key -out server.csr -subj '/CN=tls.test' &&
        printf 'subjectAltName=DNS:*.tls.test\n' >ext.cnf &&
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
            -extfile ext.cnf -out server.pem
) >"$tmp/openssl.log" 2>&1 || {
    echo "tls: openssl failed:" >&2
    tail -5 "$tmp/openssl.log" >&2
    exit 1
}
bundle="$tmp/ca.pem"
if [ "$system_cas" = 1 ] && [ -r /etc/ssl/certs/ca-certificates.crt ]; then
    cat /etc/ssl/certs/ca-certificates.crt "$tmp/ca.pem" >"$tmp/bundle.pem"
    bundle="$tmp/bundle.pem"
fi
ncas=$(grep -c 'BEGIN CERTIFICATE' "$bundle")
# The system's store as a crawl finds it, with the bench CA in it as update-ca-certificates
# would put it (a hash link, and appended to the bundle), for cafe-sys: cafe titles with no
# --cacert, which reads the hashed directory lazily (src/http/trust.c).
sys_store=""
if [ -d /etc/ssl/certs ] && [ -r /etc/ssl/certs/ca-certificates.crt ]; then
    cp -a /etc/ssl/certs "$tmp/certs" &&
        cp "$tmp/ca.pem" "$tmp/certs/cafe-bench-ca.pem" &&
        ln -s cafe-bench-ca.pem "$tmp/certs/$(openssl x509 -hash -noout -in "$tmp/ca.pem").0" &&
        cat "$tmp/ca.pem" >>"$tmp/certs/ca-certificates.crt" &&
        mount --bind "$tmp/certs" /etc/ssl/certs && sys_store=1
fi
pages=$(((n > n_close ? n : n_close) / hosts + 1))
mkdir -p "$tmp/www/p" "$tmp/ngx"
awk -v pages="$pages" -v size="$size" -v dir="$tmp/www/p" 'BEGIN {
    fill = ""
    for (i = 0; i < 63; i++) fill = fill sprintf("%c", 97 + i % 26)
    for (p = 0; p < pages; p++) {
        f = dir "/" p ".html"
        head = "<html><head><meta charset=\"utf-8\"><title>TLS page " p "</title></head><body>\n"
        printf "%s", head >f
        for (left = size - length(head); left > 64; left -= 64) print fill >f
        for (; left > 0; left--) printf "z" >f
        close(f)
    }
}'
cat >"$tmp/nginx.conf" <<EOF
worker_processes 1;
user root;
pid $tmp/nginx.pid;
error_log $tmp/error.log warn;
worker_rlimit_nofile 16384;
events { worker_connections 8192; }
http {
    log_format hs '\$connection \$ssl_session_reused \$server_port \$request_uri';
    access_log $tmp/access.log hs;
    client_body_temp_path $tmp/ngx; proxy_temp_path $tmp/ngx; fastcgi_temp_path $tmp/ngx;
    uwsgi_temp_path $tmp/ngx; scgi_temp_path $tmp/ngx;
    types { text/html html; }
    keepalive_requests 1000000;
    ssl_certificate $tmp/server.pem;
    ssl_certificate_key $tmp/server.key;
    ssl_protocols TLSv1.2 TLSv1.3; # 1.22 offers 1.2 at most by default
    ssl_session_cache shared:SSL:10m;
    root $tmp/www;
    server {
        listen 127.0.0.1:$port_h1 ssl;
        listen 127.0.0.1:$port_h2 ssl http2;
        server_name _;
    }
    server {
        listen 127.0.0.1:$port_close ssl;
        server_name _;
        keepalive_timeout 0;
    }
}
EOF
# nginx returns once its master has bound the ports and gone to the background: from then
# on connections are queued, so that is its readiness signal.
if ! nginx -p "$tmp" -c "$tmp/nginx.conf" -e "$tmp/error.log"; then
    echo "tls: nginx did not start:" >&2
    tail -5 "$tmp/error.log" >&2
    exit 1
fi

# ---- the tools ---------------------------------------------------------------------------
go_cmd=""
if command -v go >/dev/null && [ -d /usr/share/gocode/src/golang.org/x/net/html ] &&
    (cd "$here" && GO111MODULE=off GOFLAGS='' GOPROXY=off GOPATH="$tmp/gopath:/usr/share/gocode" \
        GOCACHE="$tmp/gocache" go build -o "$tmp/peer_go" peer_go.go) >&2; then
    go_cmd="$tmp/peer_go"
else
    echo "tls: Go peer not built (golang-go, golang-golang-x-net-dev): its rows are n/a" >&2
fi
lean_cmd="$build/bench/lean_curl"
[ -x "$lean_cmd" ] || { echo "tls: $lean_cmd not built (make bench): lean rows n/a" >&2; lean_cmd=""; }
cafe_cmd="$build/src/cli/cafe"
[ -x "$cafe_cmd" ] || { echo "tls: $cafe_cmd not built: cafe rows n/a" >&2; cafe_cmd=""; }
curl_cmd=$(command -v curl)

# make_urls N PORT FILE: URL i on host i mod $hosts, page i div $hosts.
make_urls() {
    awk -v n="$1" -v port="$2" -v h="$hosts" 'BEGIN {
        for (i = 0; i < n; i++) printf "https://h%d.tls.test:%d/p/%d.html\n", i % h, port, int(i / h)
    }' >"$3"
}

# log_mark: the access log's length in lines once every request made so far is in it. A
# marker request is sent twice on one connection; nginx reads the second only after it has
# finished (and logged) the first, and all earlier requests were finished before it.
log_mark() {
    curl -s --cacert "$tmp/ca.pem" -o /dev/null -o /dev/null \
        "https://mark.tls.test:$port_h1/mark" "https://mark.tls.test:$port_h1/mark" 2>/dev/null
    wc -l <"$tmp/access.log" 2>/dev/null || echo 0
}

# cpu_s CMD...: runs CMD (output to $tmp/out, errors to $tmp/stderr) and prints its user +
# system CPU seconds from wait4's rusage, to the microsecond (/usr/bin/time rounds to 10 ms:
# too coarse for a one-URL run); exits as CMD did.
cpu_s() {
    python3 -c 'import resource, subprocess, sys
def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime
before = cpu()  # what Python itself waited for before (site hooks): not the command
with open(sys.argv[1], "w") as out, open(sys.argv[2], "w") as err:
    rc = subprocess.call(sys.argv[3:], stdout=out, stderr=err)
print("%.6f" % (cpu() - before))
sys.exit(rc)' "$tmp/out" "$tmp/stderr" "$@"
}

# run ROUND TOOL LIST N: one run of TOOL on the N URLs of LIST; N = 1 is the start-up run.
run() {
    round=$1 tool=$2 list=$3 count=$4
    tool_cmd "$tool" "$list" || return 0
    [ "$count" -eq 1 ] && { startup_run; return 0; }
    main_run
}

# tool_cmd TOOL LIST: sets $cmd to TOOL's command on LIST; false when the tool is missing.
tool_cmd() {
    tool=$1 list=$2
    case $tool in
    cafe) [ -n "$cafe_cmd" ] || return 1
        cmd="$cafe_cmd titles -q -c $c --cacert $bundle $list" ;;
    cafe-t*) [ -n "$cafe_cmd" ] || return 1
        cmd="$cafe_cmd titles -q -c $c --threads $threads --cacert $bundle $list" ;;
    cafe-sys) [ -n "$cafe_cmd" ] && [ -n "$sys_store" ] || return 1
        cmd="$cafe_cmd titles -q -c $c $list" ;;
    cafe-sys-t*) [ -n "$cafe_cmd" ] && [ -n "$sys_store" ] || return 1
        cmd="$cafe_cmd titles -q -c $c --threads $threads $list" ;;
    before) cmd="$TLS_CAFE_BEFORE titles -q -c $c --cacert $bundle $list" ;;
    lean) [ -n "$lean_cmd" ] || return 1
        cmd="$lean_cmd $list $c --cacert $bundle" ;;
    lean+) [ -n "$lean_cmd" ] || return 1
        cmd="$lean_cmd $list $c --cacert $bundle --no-capath" ;;
    go) [ -n "$go_cmd" ] || return 1
        cmd="env SSL_CERT_FILE=$bundle $go_cmd $list $c" ;;
    curl) [ -n "$curl_cmd" ] || return 1
        # curl 7.88 has no --out-null: one output line per URL.
        awk '{ printf "url = \"%s\"\noutput = \"/dev/null\"\n", $0 }' "$list" >"$tmp/curl.cfg"
        cmd="$curl_cmd -s -Z --parallel-max $c --cacert $bundle -w %{http_code}\n -K $tmp/curl.cfg" ;;
    esac
}

# startup_run: $cmd on one URL; appends its CPU seconds to $tmp/ROUND.TOOL.
startup_run() {
    # shellcheck disable=SC2086 # $cmd is a command and its arguments, none with spaces
    cpu=$(cpu_s timeout -k 5 "$run_timeout" $cmd) && echo "$cpu" >>"$tmp/$round.$tool" ||
        { echo "== $round $tool, one URL: failed"; tail -3 "$tmp/stderr"; } >>"$tmp/errors"
}

# main_run: one run of $cmd; appends "seconds cpu_s right conns full resumed requests" to
# $tmp/ROUND.TOOL, or leaves its last words in $tmp/errors.
main_run() {
    # shellcheck disable=SC2086 # as above
    set -- $cmd
    before=$(log_mark)
    t0=$(date +%s%N)
    timeout -k 5 "$run_timeout" /usr/bin/time -f '%U %S' -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/stderr"
    rc=$?
    t1=$(date +%s%N)
    after=$(log_mark)
    if [ "$rc" -ne 0 ]; then
        { echo "== $round $tool: exit status $rc"; tail -3 "$tmp/stderr"; } >>"$tmp/errors"
        return 0
    fi
    # Right results: the title of the URL's page, or 200 for curl (which reads no titles).
    right=$(awk -v bad="$tmp/bad" '$0 == "200" { ok++; next }
        /^\047TLS page [0-9]+\047 from https:\/\/h[0-9]+\.tls\.test:[0-9]+\/p\/[0-9]+\.html$/ {
            split($0, a, "\047"); split(a[2], t, " "); n = split($0, u, "/")
            if (u[n] == t[3] ".html") { ok++; next }
        }
        nbad++ < 3 { print >bad }
        END { print ok + 0 }' "$tmp/out")
    [ "$right" -eq "$count" ] || { echo "== $round $tool: $right of $count right"; cat "$tmp/bad"; } \
        >>"$tmp/errors"
    # Connections this run opened, each counted once, by how its handshake went.
    hs=$(awk -v from="$before" -v to="$after" 'NR > from && NR <= to && $4 ~ /^\/p\// {
            req++
            if (!($1 in seen)) { seen[$1] = 1; conns++; if ($2 == "r") res++; else full++ }
        } END { printf "%d %d %d %d", conns, full, res, req }' "$tmp/access.log")
    awk -v t=$((t1 - t0)) -v right="$right" -v hs="$hs" '{ printf "%.4f %.3f %d %s\n", t / 1e9, $1 + $2, right, hs }' \
        "$tmp/time" >>"$tmp/$round.$tool"
}

# med FILE FIELD: the median of a field over the runs, or n/a.
med() {
    [ -s "$1" ] || { echo n/a; return; }
    awk -v k="$2" '{ print $k }' "$1" | sort -g |
        awk '{ v[NR] = $1 } END { m = int((NR + 1) / 2); print (NR % 2) ? v[m] : (v[m] + v[m + 1]) / 2 }'
}

tools="cafe cafe-sys lean lean+ go curl"
[ "$threads" -gt 1 ] && tools="$tools cafe-t$threads cafe-sys-t$threads"
[ -n "${TLS_CAFE_BEFORE:-}" ] && tools="$tools before"
tools=${TLS_TOOLS:-$tools}
rounds=${TLS_ROUNDS:-h1 h2 close}
# shuffled: $tools in an order drawn anew at each call. The place in a fixed rotation moves a
# tool by more than most changes do (bench/README.md, "Issue 11, every goal side by side").
# shellcheck disable=SC2086 # $tools is a list of words
shuffled() { printf '%s\n' $tools | shuf; }
# round_count ROUND: how many URLs the round fetches.
round_count() { if [ "$1" = close ]; then echo "$n_close"; else echo "$n"; fi; }
make_urls "$n" "$port_h1" "$tmp/urls.h1"
make_urls "$n" "$port_h2" "$tmp/urls.h2"
make_urls "$n_close" "$port_close" "$tmp/urls.close"
head -n 1 "$tmp/urls.h1" >"$tmp/urls.one"
# Repetitions outermost, so that when the time budget runs out every round has been measured
# as often as the others, or once more.
i=0
while [ "$i" -lt "$reps" ]; do
    if [ "$i" -gt 0 ] && [ $(($(date +%s) - started)) -gt "$budget" ]; then
        echo "tls: the budget of $budget s is spent after $i repetitions" >&2
        reps=$i
        break
    fi
    for round in $rounds; do
        echo "tls: repetition $((i + 1)), round $round: $(round_count "$round") URLs on $hosts hosts, -c $c..." >&2
        for tool in $(shuffled); do run "$round" "$tool" "$tmp/urls.$round" "$(round_count "$round")"; done
    done
    for tool in $(shuffled); do run one "$tool" "$tmp/urls.one" 1; done
    i=$((i + 1))
done
[ -s "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null

# ---- the table ---------------------------------------------------------------------------
echo "| round | tool | URLs/s | cafe speed / tool's | client CPU µs/URL | cafe CPU / tool's" \
    "| start-up CPU ms (1 URL) | CPU µs per further URL | cafe's / tool's" \
    "| connections / URL | full handshakes / URL | resumed / URL | right results |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for round in $rounds; do
    count=$(round_count "$round")
    cafe_t=$(med "$tmp/$round.cafe" 1)
    cafe_cpu=$(med "$tmp/$round.cafe" 2)
    for tool in $tools; do
        f="$tmp/$round.$tool"
        if [ ! -s "$f" ]; then
            echo "| $round | $tool | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a |"
            continue
        fi
        awk -v round="$round" -v tool="$tool" -v n="$count" -v t="$(med "$f" 1)" -v cpu="$(med "$f" 2)" \
            -v ct="$cafe_t" -v ccpu="$cafe_cpu" -v right="$(med "$f" 3)" -v conns="$(med "$f" 4)" \
            -v full="$(med "$f" 5)" -v res="$(med "$f" 6)" -v one="$(med "$tmp/one.$tool" 1)" \
            -v cone="$(med "$tmp/one.cafe" 1)" 'BEGIN {
                sp = ct == "n/a" ? "n/a" : sprintf("%.2f", t / ct)
                cr = ccpu == "n/a" || cpu == 0 ? "n/a" : sprintf("%.2f", ccpu / cpu)
                # CPU of each URL after the first: the run less the one-URL run.
                more = one == "n/a" ? "n/a" : (cpu - one) * 1e6 / (n - 1)
                cmore = cone == "n/a" || ccpu == "n/a" ? "n/a" : (ccpu - cone) * 1e6 / (n - 1)
                mr = more == "n/a" || cmore == "n/a" || more <= 0 || cmore <= 0 ? "n/a" : sprintf("%.2f", cmore / more)
                printf "| %s | %s | %.0f | %s | %.0f | %s | %s | %s | %s | %.3f | %.3f | %.3f | %d / %d |\n",
                    round, tool, n / t, sp, cpu * 1e6 / n, cr,
                    one == "n/a" ? one : sprintf("%.0f", one * 1e3), more == "n/a" ? more : sprintf("%.0f", more),
                    mr, conns / n, full / n, res / n, right, n
            }'
    done
done
echo
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo "$hosts host names (/etc/hosts in the namespace), $n URLs (close round: $n_close) at" \
    "concurrency $c, $size-byte pages, URL i on host i mod $hosts; medians of $reps interleaved" \
    "runs; CPU user+system from /usr/bin/time (start-up: wait4's rusage of a run on the first" \
    "URL alone); trust store: $ncas CAs. nginx $(nginx -v 2>&1 |
        sed 's/.*nginx\///'), one worker, on the same cores. $(nproc) x $cpu," \
    "$(curl --version | awk 'NR == 1 { print $2, $5 }'), $(go version 2>/dev/null | awk '{ print $3 }')."
if [ -s "$tmp/errors" ]; then
    echo "tls: messages from the runs:" >&2
    head -40 "$tmp/errors" >&2
fi
