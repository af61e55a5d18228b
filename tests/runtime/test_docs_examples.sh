#!/bin/sh
# The docs' code, as a reader copies it: every ```c block of README.md and docs/*.md, and every
# code block of the public headers' comments (a run of lines indented four spaces after a
# blank comment line, with a line ending in ; { or }: the asyncio table has none), built
# strict (-std=c11 -Wall -Wextra -Wpedantic -Werror) against the installed headers and
# library alone, and run where it can be: a header block runs in a task, inside a small
# harness that gives it what its text assumes (tasks, use(), start_op()...), and must do what
# the text says. A new block with no expectation below fails: say what it does.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$CAFE_BUILD_DIR" --prefix "$tmp/prefix" >/dev/null
libdir=$(ls -d "$tmp"/prefix/lib*)
export PKG_CONFIG_PATH="$libdir/pkgconfig"
extra=""
[ "${CAFE_SANITIZE:-0}" = 1 ] && extra="-fsanitize=address,undefined"
# Every compiler there is (users build with either; their -Wpedantic differ); the program
# run is the first one's.
ccs=""
for c in ${CC:-cc} gcc clang; do
    if command -v "$c" >/dev/null 2>&1 && ! echo " $ccs " | grep -q " $c "; then ccs="$ccs $c"; fi
done
pass=0
fail=0
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
build() { # SRC OUT: strict, against the installed cafe only
    out=$2
    for cc in $ccs; do
        # shellcheck disable=SC2046,SC2086
        $cc -std=c11 -Wall -Wextra -Wpedantic -Werror $extra -o "$out" "$1" \
            $(pkg-config --cflags --libs cafe) 2>"$tmp/err" || { echo "($cc)"; cat "$tmp/err"; return 1; }
        out="$tmp/other"
    done
}

# Markdown: each ```c block is a whole program (README's needs the internet to run: built).
for md in "$CAFE_SOURCE_DIR"/README.md "$CAFE_SOURCE_DIR"/docs/*.md; do
    awk -v dir="$tmp" -v base="$(basename "$md")" '
        /^```c$/ { code = 1; k++; f = dir "/md-" base "-" k ".c"; printf "" > f; next }
        code && /^```$/ { code = 0; close(f); next }
        code { print > f }' "$md"
done
for src in "$tmp"/md-*.c; do
    [ -f "$src" ] || continue
    if build "$src" "$tmp/prog"; then pass=$((pass + 1)); else bad "$(basename "$src") does not build"; fi
done

# Header comments: each code block, with the header and line it starts at.
hn=0
for h in "$CAFE_SOURCE_DIR"/include/cafe.h "$CAFE_SOURCE_DIR"/include/cafe/*.h; do
    hn=$((hn + 1))
    awk -v dir="$tmp" -v hn="$hn" -v name="${h#"$CAFE_SOURCE_DIR"/}" '
        function flush() {
            if (n > 0 && code) {
                k++; f = dir "/hdr-" hn "-" k ".c"
                print "// " name ":" start > f
                for (j = 1; j <= n; j++) print lines[j] > f
                close(f)
            }
            n = 0; code = 0
        }
        /^ \*     / && (n > 0 || prev_blank) {
            if (n == 0) start = NR
            line = substr($0, 4); lines[++n] = line
            if (line ~ /[;{}][ ]*(\/\/.*)?$/) code = 1
            prev_blank = 0; next
        }
        { flush(); prev_blank = ($0 ~ /^ \*$/) }
        END { flush() }' "$h"
done

# The harness: what the blocks take as given, and a task that runs one.
cat >"$tmp/pre.h" <<'EOF'
#include <cafe.h>
#include <stdint.h>
#include <stdio.h>
cafe_task_t *tasks[3];
size_t n = 3, i, used;
cafe_result_t r;
int rc, ready;
void *value;
cafe_cond_t c;
void use(size_t index, cafe_result_t result);
void use(size_t index, cafe_result_t result) {
    used += result.status == (int)index; /* each task returns its index */
}
void on_cancel(cafe_future_t *f);
void on_cancel(cafe_future_t *f) {
    (void)f;
}
void start_op(cafe_future_t *f); /* an operation that completes at once, with 7 */
void start_op(cafe_future_t *f) {
    (void)cafe_future_resolve(f, 7, NULL);
}
static int snippet(void);
static const char *name(int code) { /* a code's name, or the count */
    static char buf[16];
    if (code <= 0)
        return cafe_err_name(code);
    snprintf(buf, sizeof buf, "%d", code);
    return buf;
}
static int child(void *arg, void **v) {
    (void)v;
    return (int)(intptr_t)arg;
}
static int run_snippet(void *arg, void **v) {
    (void)arg;
    (void)v;
    return snippet();
}
/* mode "run": the block runs in the main task, with n tasks started; "cancelled": the
 * condition's lock is held by main, the block runs in a task cancelled while it waits for
 * the lock; main must still hold it afterwards. Prints what the block did. */
static int harness(void *arg, void **v) {
    (void)v;
    cafe_cond_init(&c, NULL);
    ready = 1; /* a condition's block returns once it has the lock */
    if (*(const char *)arg == 'r') {
        for (size_t k = 0; k < n; k++)
            if (cafe_task_spawn(&tasks[k], child, (void *)(intptr_t)k, NULL) != 0)
                return 1;
        int got = snippet();
        (void)cafe_task_yield(); /* tasks the block left alone end (their results unread) */
        printf("rc=%s used=%zu held=%d\n", name(got), used,
               cafe_lock_locked(cafe_cond_lock(&c)));
        return 0;
    }
    cafe_task_t *t;
    if (cafe_lock_acquire(cafe_cond_lock(&c)) != 0 ||
        cafe_task_spawn(&t, run_snippet, NULL, NULL) != 0 || cafe_task_yield() != 0 ||
        cafe_task_cancel(t) != 0)
        return 1;
    cafe_result_t res;
    if (cafe_task_join(t, &res) != 0)
        return 1;
    printf("rc=%s held=%d\n", name(res.status), cafe_lock_locked(cafe_cond_lock(&c)));
    return 0;
}
int main(int argc, char **argv) {
    (void)argc;
    cafe_result_t res;
    return cafe_run(harness, argv[1], &res) != 0 || res.status != 0;
}
EOF
expect() { # BLOCK MODE WANT: run the block's program in MODE, its line must be WANT
    got=$(LD_LIBRARY_PATH="$libdir" "$tmp/prog" "$2" 2>&1) || true
    if [ "$got" = "$3" ]; then pass=$((pass + 1)); else bad "$1 ($2): got '$got', want '$3'"; fi
}
for src in "$tmp"/hdr-*.c; do
    [ -f "$src" ] || continue
    where=$(head -1 "$src" | cut -c4-)
    { cat "$tmp/pre.h"; echo "static int snippet(void) {"; tail -n +2 "$src"; echo "    return rc;"; echo "}"; } >"$tmp/prog.c"
    if ! build "$tmp/prog.c" "$tmp/prog"; then
        bad "$where does not build:"; tail -n +2 "$src"; continue
    fi
    body=$(tail -n +2 "$src")
    case "$body" in
    *cafe_http_request*) pass=$((pass + 1)) ;; # the internet: built only
    *cafe_as_completed_create* | *cafe_task_as_completed*)
        # every task joined, in use() with its result, then CAFE_EOF
        expect "$where" run "rc=CAFE_EOF used=3 held=0" ;;
    *cafe_future_wait*) expect "$where" run "rc=7 used=0 held=0" ;; # start_op's result
    *cafe_cond_wait*)
        # ready: it returns with the lock released; cancelled before it had the lock, it
        # leaves the lock to its holder
        expect "$where" run "rc=CAFE_OK used=0 held=0"
        expect "$where" cancelled "rc=CAFE_ECANCELED held=1" ;;
    *) bad "$where: a code block the test has no expectation for:"; echo "$body" ;;
    esac
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
