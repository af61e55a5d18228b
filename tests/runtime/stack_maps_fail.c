/* LD_PRELOAD for test_examples.sh: the task stacks' mappings (cafe maps them MAP_STACK |
 * MAP_NORESERVE, 64 stacks a mapping; nothing else in the process asks for both) succeed
 * CAFE_TEST_STACK_MAPS times, then fail with ENOMEM, as under a tight RLIMIT_AS or
 * vm.max_map_count: cafe_task_spawn returns CAFE_ENOMEM at a known spawn. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/types.h>

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
    static void *(*real)(void *, size_t, int, int, int, off_t);
    static long left = -1;
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "mmap");
    if ((flags & (MAP_STACK | MAP_NORESERVE)) == (MAP_STACK | MAP_NORESERVE)) {
        if (left < 0) {
            const char *n = getenv("CAFE_TEST_STACK_MAPS");
            left = n ? atol(n) : 1;
        }
        if (left == 0) {
            errno = ENOMEM;
            return MAP_FAILED;
        }
        left--;
    }
    return real(addr, len, prot, flags, fd, off);
}
