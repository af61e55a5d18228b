/* Error codes: one table (CAFE_ERRNO_MAP in cafe.h) gives both names and messages. */
#include "runtime/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cafe_strerror(int err) {
    switch (err) {
    case 0:
        return "success";
#define CAFE__ERR_MSG(name, value, msg)                                                            \
    case CAFE_##name:                                                                              \
        return msg;
        CAFE_ERRNO_MAP(CAFE__ERR_MSG)
#undef CAFE__ERR_MSG
    default:
        break;
    }
    /* Any other -errno (from libuv or the system): libuv's messages for the codes it names are
     * static and thread-safe; for another, uv_strerror mallocs a new string at each call, which
     * would leak, so those get the C library's static description. */
    switch (err) {
#define CAFE__UV_KNOWN(name, msg) case UV_##name:
        UV_ERRNO_MAP(CAFE__UV_KNOWN)
#undef CAFE__UV_KNOWN
        return uv_strerror(err);
    default:
        break;
    }
    const char *desc = err < 0 && err > -4096 ? strerrordesc_np(-err) : NULL;
    return desc ? desc : "unknown error";
}

const char *cafe_version(void) {
    return CAFE_VERSION_STRING;
}

const char *cafe_err_name(int err) {
    switch (err) {
    case CAFE_OK:
        return "CAFE_OK";
#define CAFE__ERR_NAME(name, value, msg)                                                           \
    case CAFE_##name:                                                                              \
        return "CAFE_" #name;
        CAFE_ERRNO_MAP(CAFE__ERR_NAME)
#undef CAFE__ERR_NAME
    default:
        return "CAFE_EUNKNOWN";
    }
}

int cafe__err_from_uv(int uv_err) {
    /* On Unix libuv's codes are -errno, which is what cafe uses too. */
    return uv_err == UV_EOF ? CAFE_EOF : uv_err;
}

void cafe__null_abort(const char *call) {
    fprintf(stderr, "cafe: %s given NULL where it needs an object\n", call);
    abort();
}
