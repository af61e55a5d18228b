/* Header value parsers (see parse.h). Inputs come from the network: every index is checked
 * against n, nothing is assumed NUL-terminated. */
#include "http/parse.h"
#include "common/hash.h"

#include <curl/curl.h>
#include <string.h>

static int is_ows(char ch) {
    return ch == ' ' || ch == '\t';
}

static char lower(char ch) {
    return (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
}

static size_t skip_ows(const char *v, size_t n, size_t i) {
    while (i < n && is_ows(v[i]))
        i++;
    return i;
}

int cafe__http_content_length_parse(const char *v, size_t n, uint64_t *value) {
    int found = 0, differ = 0;
    for (size_t i = 0; i < n; i++) { /* i: at an element, then at its ',' */
        i = skip_ows(v, n, i);
        size_t start = i;
        uint64_t num = 0;
        for (; i < n && v[i] >= '0' && v[i] <= '9'; i++)
            num = num > (UINT64_MAX - 9) / 10 ? UINT64_MAX : num * 10 + (uint64_t)(v[i] - '0');
        size_t end = i;
        i = skip_ows(v, n, i);
        if (i < n && v[i] != ',')
            return CAFE__HTTP_LENGTH_NAN;
        if (end == start) /* an empty element: a list may have them (RFC 9110 5.6.1) */
            continue;
        differ |= found && num != *value;
        *value = num;
        found = 1;
    }
    return differ ? -1 : found;
}

int64_t cafe__http_retry_after_parse(const char *v, size_t n, int64_t now) {
    size_t i = skip_ows(v, n, 0), end = n;
    while (end > i && is_ows(v[end - 1]))
        end--;
    if (i == end)
        return -1;
    if (v[i] >= '0' && v[i] <= '9') {
        int64_t secs = 0;
        for (; i < end; i++) {
            if (v[i] < '0' || v[i] > '9')
                return -1;
            if (secs < INT64_MAX / 100) /* saturate: any huge value is capped by the caller */
                secs = secs * 10 + (v[i] - '0');
        }
        return secs;
    }
    /* An HTTP-date (IMF-fixdate, RFC 850 or asctime): curl_getdate parses all three; it needs
     * a NUL-terminated copy. The longest valid form is 37 bytes. */
    char buf[64];
    if (end - i >= sizeof(buf))
        return -1;
    memcpy(buf, v + i, end - i);
    buf[end - i] = '\0';
    time_t at = curl_getdate(buf, NULL);
    if (at == (time_t)-1)
        return -1;
    return (int64_t)at > now ? (int64_t)at - now : 0;
}

uint64_t cafe__http_backoff_ms(int next_try, uint64_t base, uint64_t cap, uint32_t rnd) {
    uint64_t wait = base;
    for (int k = 2; k < next_try; k++) {
        if (wait > cap / 2)
            return cap;
        wait *= 2;
    }
    if (wait >= cap)
        return cap;
    wait += (uint64_t)(((double)rnd / 4294967296.0) * (double)(wait / 4));
    return wait < cap ? wait : cap;
}

static int blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int cafe__http_list_has(const char *list, const char *token) {
    size_t tn = strlen(token);
    for (const char *p = list;;) {
        while (*p == ',' || blank(*p))
            p++;
        if (!*p)
            return 0;
        /* The element is token when it starts with it and only blanks follow. */
        size_t i = 0;
        while (i < tn && lower(p[i]) == token[i])
            i++;
        p += i;
        if (i == tn) {
            while (blank(*p))
                p++;
            if (*p == ',' || !*p)
                return 1;
        }
        while (*p && *p != ',')
            p++;
    }
}

/* What origin_key does with a byte of the authority: the byte lower-cased, KEY_END at the
 * authority's end (NUL, '/', '?', '#'), KEY_AT for an '@' (what came before was userinfo).
 * A table: the key is made for every request. */
enum { KEY_END = 0x100, KEY_AT = 0x200 };
#define KEY(b)                                                                                     \
    ((b) >= 'A' && (b) <= 'Z'                             ? (b) + 32                               \
     : (b) == 0 || (b) == '/' || (b) == '?' || (b) == '#' ? KEY_END                                \
     : (b) == '@'                                         ? KEY_AT                                 \
                                                          : (b))
#define KEY4(b) KEY(b), KEY((b) + 1), KEY((b) + 2), KEY((b) + 3)
#define KEY16(b) KEY4(b), KEY4((b) + 4), KEY4((b) + 8), KEY4((b) + 12)
#define KEY64(b) KEY16(b), KEY16((b) + 16), KEY16((b) + 32), KEY16((b) + 48)
static const uint16_t key_byte[256] = {KEY64(0), KEY64(64), KEY64(128), KEY64(192)};

/* The FNV state after "http://" and "https://", for the scheme's usual forms: their bytes
 * need no search for "://" nor lower-casing. */
#define FNV(h, b) (((h) ^ (uint64_t)(b)) * 0x100000001b3ull)
#define FNV_HTTP FNV(FNV(FNV(FNV(HASH_SEED, 'h'), 't'), 't'), 'p')
static const uint64_t fnv_http = FNV(FNV(FNV(FNV_HTTP, ':'), '/'), '/');
static const uint64_t fnv_https = FNV(FNV(FNV(FNV(FNV_HTTP, 's'), ':'), '/'), '/');

/* The scheme's bytes at url, "://" included, lower-cased into out (up to max bytes; *len of
 * them); the bytes after it, or NULL when url has no "://". */
static const char *origin_scheme(const char *p, char *out, size_t max, size_t *len, uint64_t *h) {
    int https = p[0] == 'h' && p[1] == 't' && p[2] == 't' && p[3] == 'p' && p[4] == 's';
    if (max >= 8 && p[0] == 'h' && p[1] == 't' && p[2] == 't' && p[3] == 'p' &&
        p[4 + https] == ':' && p[5 + https] == '/' && p[6 + https] == '/') {
        memcpy(out, https ? "https://" : "http://", 8);
        *len = 7 + (size_t)https;
        *h = https ? fnv_https : fnv_http;
        return p + *len;
    }
    size_t n = 0;
    uint64_t v = HASH_SEED;
    /* The scheme up to the first "://" (anywhere), lower-cased as it is looked for. */
    for (; *p && !(p[0] == ':' && p[1] == '/' && p[2] == '/'); p++)
        if (n < max)
            v = hash_step(v, (unsigned char)(out[n++] = lower(*p)));
    if (!*p)
        return NULL;
    for (int k = 0; k < 3 && n < max; k++)
        v = hash_step(v, (unsigned char)(out[n++] = "://"[k]));
    *len = n;
    *h = v;
    return p + 3;
}

size_t cafe__http_origin_key(const char *url, char *out, size_t cap, uint64_t *hash) {
    size_t len = 0, max = cap - 1;
    uint64_t h = HASH_SEED;
    const char *p = origin_scheme(url ? url : "", out, max, &len, &h);
    if (!p) {
        out[0] = '\0';
        *hash = hash_finish(HASH_SEED);
        return 0;
    }
    /* The authority in one pass: whatever precedes an '@' was userinfo, not the host. While
     * there is room, one test per byte tells both ends (KEY_END, KEY_AT) from the rest. */
    size_t host = len;
    uint64_t h_host = h;
    for (;; p++) {
        unsigned v = key_byte[(unsigned char)*p];
        if (v > 0xff) {
            if (v == KEY_END)
                break;
            len = host; /* KEY_AT */
            h = h_host;
        } else if (len < max) {
            out[len++] = (char)v;
            h = hash_step(h, (unsigned char)v);
        }
    }
    out[len] = '\0';
    *hash = hash_finish(h);
    return len;
}
