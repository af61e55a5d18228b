#!/bin/sh
# Runs every part's benchmark, bench/<part>/run.sh BUILD_DIR, prints each part's markdown
# table and collects them all in bench/out/RESULTS.md. Builds nothing: `make bench` builds the
# target bench_all in BUILD_DIR first. Benchmarks are never part of the tests' pass/fail.
# Usage: bench/run.sh BUILD_DIR [PART...]   (default: every part that has a run.sh, and the
# scenarios named below; a PART with a slash, e.g. titles/hosts, is bench/titles/hosts.sh)
# Time is bounded: BENCH_TOTAL_TIMEOUT seconds for all parts (default 900), at most
# BENCH_PART_TIMEOUT for one part (default 300). A part that fails or runs out of time is
# reported in RESULTS.md and the others still run; the exit status is then 1.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: bench/run.sh BUILD_DIR [PART...]}" && pwd) || exit 2
shift
total=${BENCH_TOTAL_TIMEOUT:-900}
per_part=${BENCH_PART_TIMEOUT:-300}
out="$here/out"
mkdir -p "$out"
results="$out/RESULTS.md"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

if [ $# -eq 0 ]; then
    for script in "$here"/*/run.sh; do
        [ -f "$script" ] || continue
        part=$(basename "$(dirname "$script")")
        set -- "$@" "$part"
    done
    # Scenarios kept beside a part's run.sh, run as parts of their own: PART/NAME is
    # bench/PART/NAME.sh.
    set -- "$@" titles/tls titles/hosts
fi

{
    echo "# cafe benchmarks"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$here" describe --always --dirty 2>/dev/null || echo '?')" \
        "on $(nproc) cores; build $(basename "$build")."
} >"$tmp/results"

start=$(date +%s)
status=0
for part in "$@"; do
    script="$here/$part/run.sh"
    case $part in */*) script="$here/$part.sh" ;; esac
    left=$((total - ($(date +%s) - start)))
    limit=$((left < per_part ? left : per_part))
    printf '\n## %s\n\n' "$part" | tee -a "$tmp/results"
    if [ ! -f "$script" ]; then
        echo "bench: no $script" >&2
        echo "(no ${script#"$here"/})" >>"$tmp/results"
        status=1
        continue
    fi
    if [ "$limit" -le 0 ]; then
        echo "(not run: the total time budget of ${total} s was used up)" >>"$tmp/results"
        status=1
        continue
    fi
    echo "bench: $part (at most ${limit} s)" >&2
    # timeout signals the part's whole process group, so its children go too.
    timeout -k 10 "$limit" sh "$script" "$build" >"$tmp/part"
    rc=$?
    cat "$tmp/part"
    cat "$tmp/part" >>"$tmp/results"
    if [ "$rc" -ne 0 ]; then
        what="failed with status $rc"
        [ "$rc" -eq 124 ] && what="ran out of time (${limit} s)"
        echo "bench: $part $what" >&2
        printf '\n(bench/%s/run.sh %s: the table above may be incomplete)\n' "$part" "$what" \
            >>"$tmp/results"
        status=1
    fi
done

cp "$tmp/results" "$results"
echo "bench: results in $results" >&2
exit "$status"
