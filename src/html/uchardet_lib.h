/* uchardet, opened with dlopen when a page first needs it rather than linked: uchardet is
 * C++, and linking it loads libstdc++ into every process that uses libcafe, 2.4M
 * instructions of start-up (bench/README.md, "Issue 11 again"), for the few pages that
 * declare no encoding and hold non-ASCII text. Each detector opens its own reference (the
 * library is loaded once per process; dlopen counts), so nothing here is global.
 * If the library cannot be loaded, detection answers nothing, as when it is off. */
#ifndef CAFE_HTML_UCHARDET_LIB_H
#define CAFE_HTML_UCHARDET_LIB_H

#include <stddef.h>

struct uchardet; /* uchardet_t is a pointer to it (uchardet/uchardet.h) */

typedef struct cafe__uchardet_lib {
    void *handle; /* dlopen's, or NULL: not opened yet, or it failed */
    int failed;   /* it failed: not tried again by this detector */
    struct uchardet *(*create)(void);
    void (*destroy)(struct uchardet *);
    int (*handle_data)(struct uchardet *, const char *, size_t);
    void (*data_end)(struct uchardet *);
    void (*reset)(struct uchardet *);
    const char *(*get_charset)(struct uchardet *);
} cafe__uchardet_lib_t;

/* 0 with every entry point set (opening the library at the first call), or -1 when it
 * cannot be loaded or lacks one (then -1 at once on later calls). */
int cafe__uchardet_open(cafe__uchardet_lib_t *lib);
/* The same with the library named (cafe__uchardet_open: the soname found at build time). */
int cafe__uchardet_open_named(cafe__uchardet_lib_t *lib, const char *soname);
/* Drops this reference; lib is as before its first open. */
void cafe__uchardet_close(cafe__uchardet_lib_t *lib);

#endif
