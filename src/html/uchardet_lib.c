/* uchardet's entry points, loaded on demand (see uchardet_lib.h). */
#include "html/uchardet_lib.h"

#include <dlfcn.h>
#include <string.h>
#include <uchardet/uchardet.h>

/* The entry points' types are uchardet.h's (_Generic does not evaluate its operand, so
 * nothing here refers to the library at link time). */
_Static_assert(_Generic(&uchardet_new, uchardet_t (*)(void) : 1, default : 0), "uchardet_new");
_Static_assert(_Generic(&uchardet_delete, void (*)(uchardet_t) : 1, default : 0), "delete");
_Static_assert(_Generic(&uchardet_handle_data, int (*)(uchardet_t, const char *, size_t) : 1,
                        default : 0),
               "handle_data");
_Static_assert(_Generic(&uchardet_data_end, void (*)(uchardet_t) : 1, default : 0), "data_end");
_Static_assert(_Generic(&uchardet_reset, void (*)(uchardet_t) : 1, default : 0), "reset");
_Static_assert(_Generic(&uchardet_get_charset, const char *(*)(uchardet_t) : 1, default : 0),
               "get_charset");

#ifndef CAFE_UCHARDET_SONAME
#error "CAFE_UCHARDET_SONAME (the library dlopen loads) comes from src/deps.cmake"
#endif

/* dlsym's object pointer into a function pointer, the way POSIX blesses (ISO C has no cast
 * between the two). */
static int entry(void *handle, const char *name, void *fn_ptr) {
    void *sym = dlsym(handle, name);
    memcpy(fn_ptr, &sym, sizeof sym);
    return sym ? 0 : -1;
}

int cafe__uchardet_open(cafe__uchardet_lib_t *lib) {
    return cafe__uchardet_open_named(lib, CAFE_UCHARDET_SONAME);
}

int cafe__uchardet_open_named(cafe__uchardet_lib_t *lib, const char *soname) {
    if (lib->handle)
        return 0;
    if (lib->failed)
        return -1;
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (h && entry(h, "uchardet_new", &lib->create) == 0 &&
        entry(h, "uchardet_delete", &lib->destroy) == 0 &&
        entry(h, "uchardet_handle_data", &lib->handle_data) == 0 &&
        entry(h, "uchardet_data_end", &lib->data_end) == 0 &&
        entry(h, "uchardet_reset", &lib->reset) == 0 &&
        entry(h, "uchardet_get_charset", &lib->get_charset) == 0) {
        lib->handle = h;
        return 0;
    }
    if (h)
        dlclose(h);
    *lib = (cafe__uchardet_lib_t){.failed = 1};
    return -1;
}

void cafe__uchardet_close(cafe__uchardet_lib_t *lib) {
    if (lib->handle)
        dlclose(lib->handle);
    *lib = (cafe__uchardet_lib_t){0};
}
