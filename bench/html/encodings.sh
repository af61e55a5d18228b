#!/bin/sh
# Decoding cost side by side: title extraction throughput of this tree's libcafe against
# BASE's (a git revision, default the last one before the Encoding Standard decoders), on
# UTF-8 and windows-1252 pages (title at the end: the whole page is tokenized) and on
# pages whose 32 KB title is in a multi-byte encoding (the decoder reads every byte).
# Both libraries are built here alike (RelWithDebInfo, static) and run alternately, best of
# TRIES each (the machine is shared). Prints a markdown table with the new/old ratio.
#
#   bench/html/encodings.sh [BASE] [TRIES]      Takes a few minutes.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
base=${1:-e37b807^}
tries=${2:-5}
py=/usr/bin/python3
[ -x "$py" ] || py=python3
tmp=$(mktemp -d)
[ -n "${CAFE_BENCH_KEEP:-}" ] || trap 'rm -rf "$tmp"' EXIT INT TERM

# build NAME SRC: libcafe.a of SRC and bench_title.c (this tree's) linked to it
build() {
    cmake -S "$2" -B "$tmp/$1" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAFE_BUILD_TESTS=OFF >/dev/null
    cmake --build "$tmp/$1" -j2 --target cafe_static >/dev/null
    # shellcheck disable=SC2046
    cc -O2 -I"$2/include" "$here/bench_title.c" -o "$tmp/bench-$1" "$tmp/$1/src/libcafe.a" \
        $(pkg-config --libs libuv libcurl) $(pkg-config --libs uchardet 2>/dev/null || true) \
        -ldl -lpthread
}
mkdir "$tmp/old-src"
git -C "$root" archive "$base" | tar -x -C "$tmp/old-src"
build old "$tmp/old-src"
build new "$root"

find /usr/share/doc -name '*.html' -size +10k -size -500k | LC_ALL=C sort |
    awk 'NR % 3 == 0' | head -300 >"$tmp/list.txt"
mkdir "$tmp/corpus"
"$py" "$here/make_encoding_corpus.py" "$tmp/list.txt" "$tmp/corpus"

# best MB/s of TRIES runs of: bench-WHICH LIST REPS cafe CHARSET
best() {
    i=0 m=0
    while [ $i -lt "$tries" ]; do
        i=$((i + 1))
        r=$("$tmp/bench-$1" "$2" "$3" cafe "$4" | awk '{ printf "%.1f", $1 / $3 / 1e6 }')
        m=$(echo "$m $r" | awk '{ print ($2 > $1) ? $2 : $1 }')
    done
    echo "$m"
}

echo "| pages | charset | before MB/s | after MB/s | after/before |"
echo "|---|---|---|---|---|"
row() { # NAME LIST REPS CHARSET
    old=$(best old "$2" "$3" "$4")
    new=$(best new "$2" "$3" "$4")
    echo "$1 $4 $old $new" | awk '{ printf "| %s | %s | %s | %s | %.3f |\n", $1, $2, $3, $4, $4 / $3 }'
}
row utf-8 "$tmp/corpus/utf8.txt" 3 utf-8
row windows-1252 "$tmp/corpus/1252.txt" 3 windows-1252
for label in shift_jis euc-jp iso-2022-jp gbk gb18030 big5 euc-kr utf-16le; do
    row "32KB-title" "$tmp/corpus/mb-$label.txt" 5 "$label"
done
