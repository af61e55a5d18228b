/* LD_PRELOAD for output_e2e.py: close() of a file whose name holds "close-fails" closes it and
 * then reports EIO, as NFS reports a write-back that failed (or a quota reached) at close. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int close(int fd) {
    static int (*real)(int);
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    int fail = n > 0 && (path[n] = '\0', strstr(path, "close-fails") != NULL);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "close");
    int rc = real(fd);
    if (rc == 0 && fail) {
        errno = EIO;
        return -1;
    }
    return rc;
}
