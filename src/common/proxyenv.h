/* Which of libcurl's proxy variables sends requests through a proxy: the check of cafe titles
 * --no-private and of cafe serve (private addresses refused by default), which see only the
 * address they connect to, and through a proxy that is the proxy's, never the URL's.
 * Header-only: no state, shared by the tool's parts as url.c is. */
#ifndef CAFE_COMMON_PROXYENV_H
#define CAFE_COMMON_PROXYENV_H

#include <stdlib.h>
#include <string.h>

/* The variable libcurl 7.88 would take a proxy from (lower-case http_proxy only, https_proxy,
 * all_proxy, either case but http's), or NULL when no_proxy is "*" or none is set. */
static inline const char *proxy_env_in_use(void) {
    static const char *const vars[] = {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy",
                                       "ALL_PROXY"};
    const char *none = getenv("no_proxy");
    if (!none || !*none)
        none = getenv("NO_PROXY");
    if (none && strcmp(none, "*") == 0)
        return NULL;
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return vars[i];
    }
    return NULL;
}

#endif
