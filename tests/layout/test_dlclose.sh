#!/bin/sh
# libcafe.so loaded with dlopen and closed again, as a plugin host loads and unloads a module
# built on it: a loop run arms cafe's SIGSEGV handler (src/runtime/overflow.c), which stays
# the process's handler and chains to the one before it. Once the library is unmapped, a
# fault must still reach the host's own handler (a crash reporter, a runtime that uses
# SIGSEGV), not jump into unmapped code and die without it. (The fault here is a raise():
# the same delivery, without undefined behaviour.)
set -eu
# the build's compiler: an ASan build's libcafe.so needs the same compiler's ASan runtime
cc=${CC:-$(sed -n 's/^CMAKE_C_COMPILER:FILEPATH=//p' "$CAFE_BUILD_DIR/CMakeCache.txt")}
command -v "$cc" >/dev/null 2>&1 || { echo "no C compiler ($cc): skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/host.c" <<'C'
#define _POSIX_C_SOURCE 200809L
#include <cafe.h>

#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static void reporter(int sig) {
    (void)sig;
    static const char msg[] = "host's handler\n";
    (void)!write(1, msg, sizeof msg - 1);
    _exit(3);
}

static int task(void *arg, void **value) {
    (void)arg;
    (void)value;
    return 0;
}

int main(int argc, char **argv) {
    (void)argc;
    struct sigaction sa = {.sa_handler = reporter};
    if (sigemptyset(&sa.sa_mask) != 0 || sigaction(SIGSEGV, &sa, NULL) != 0)
        return 1;
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "%s\n", dlerror());
        return 1;
    }
    int (*run)(cafe_task_fn, void *, cafe_result_t *);
    *(void **)&run = dlsym(lib, "cafe_run");
    if (!run || run(task, NULL, NULL) != 0 || dlclose(lib) != 0)
        return 1;
    raise(SIGSEGV);
    return 2;
}
C
extra=""
[ "${CAFE_SANITIZE:-0}" = 1 ] && extra="-fsanitize=address,undefined"
# shellcheck disable=SC2086
$cc -std=c11 -Wall -Wextra -Werror $extra -I"$CAFE_SOURCE_DIR/include" -o "$tmp/host" "$tmp/host.c" \
    -ldl
status=0
"$tmp/host" "${CAFE_LIBCAFE:?}" >"$tmp/out" 2>&1 || status=$?
if [ $status != 3 ] || ! grep -q "^host's handler$" "$tmp/out"; then
    echo "FAIL: SIGSEGV after dlclose of libcafe.so did not reach the host's handler (exit $status):"
    cat "$tmp/out"
    exit 1
fi
echo "1 passed, 0 failed"
