/* Redirects curl follows itself (CURLOPT_FOLLOWLOCATION), checked where libcurl resolves a
 * Location otherwise than browsers do. */
#include "http/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A Location of a fragment alone ("#top") is, by the WHATWG URL standard, the page itself
 * with that fragment: the same resource, which answers the same redirect again; browsers end
 * in a redirect loop (Chromium's ERR_TOO_MANY_REDIRECTS). libcurl 7.88 (urlapi.c, concat_url)
 * takes it for a relative path instead, and "#top" from /a/page fetches /a/: another page,
 * whose title would be recorded as this one's. */
int cafe__http_redirect_check(cafe__http_xfer_t *x) {
    long hops = 0;
    x->c->stats.curl_calls++;
    curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_COUNT, &hops);
    if (hops == 0 || hops == x->hops) /* the first request, or curl trying one again */
        return 0;
    x->hops = hops;
    /* The redirect is the response to the request before this one: curl numbers a transfer's
     * requests from 0, retries and redirects alike, and each went through on_prereq. */
    struct curl_header *h;
    if (curl_easy_header(x->easy, "Location", 0, CURLH_HEADER, (int)x->sent - 2, &h) == CURLHE_OK) {
        const char *v = h->value + strspn(h->value, " \t"); /* as the URL parser strips */
        if (*v == '#') {
            snprintf(x->loop, sizeof x->loop, "%s", v);
            return 1;
        }
    }
    /* The page this request is for: the one that answered, should the next hop be a loop. */
    char *url = NULL;
    curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &url);
    free(x->hop_url);
    x->hop_url = url ? strdup(url) : NULL;
    return 0;
}
