/* The log of an 8-bit-locale `cafe serve` (see srv_log_escape). */
#include "msg.h"
#include "srv.h"
#include "termchar.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A UTF-8 character begun in one write and ended in the next. Written under the FILE's
 * lock: one writer at a time. */
typedef struct log_esc {
    unsigned char part[4];
    size_t have, need;
} log_esc_t;

static log_esc_t esc;

static int put_all(const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Appends the finished character in e->part to out (room for 10 bytes): \uNNNN
 * (\UNNNNNNNN past U+FFFF), as text_append_ascii writes one; its bytes as they came when
 * they are no valid character (the locale's own, such as strerror's). */
static size_t put_char(const log_esc_t *e, char *out) {
    if (!cafe_utf8_valid((const char *)e->part, e->have)) {
        memcpy(out, e->part, e->have);
        return e->have;
    }
    uint32_t cp = term_code_point(e->part, e->have);
    return (size_t)sprintf(out, cp > 0xFFFF ? "\\U%08x" : "\\u%04x", (unsigned)cp);
}

static ssize_t log_write(void *cookie, const char *buf, size_t size) {
    log_esc_t *e = cookie;
    char out[1024];
    size_t n = 0;
    for (size_t i = 0; i < size; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (e->have && (c & 0xC0) != 0x80) { /* cut short: its bytes as they came */
            memcpy(out + n, e->part, e->have);
            n += e->have;
            e->have = 0;
        }
        if (e->have || term_lead_len(c) > 1) {
            e->part[e->have++] = c;
            e->need = e->have == 1 ? term_lead_len(c) : e->need;
            if (e->have == e->need) {
                n += put_char(e, out + n);
                e->have = 0;
            }
        } else {
            out[n++] = (char)c;
        }
        if (n > sizeof out - 16) { /* room for the next byte's longest output */
            if (put_all(out, n) != 0)
                return -1;
            n = 0;
        }
    }
    return put_all(out, n) == 0 ? (ssize_t)size : -1;
}

void srv_log_escape(void) {
    if (!term_locale_8bit())
        return;
    cookie_io_functions_t io = {.write = log_write};
    FILE *f = fopencookie(&esc, "w", io);
    if (!f || setvbuf(f, NULL, _IONBF, 0) != 0) {
        if (f)
            fclose(f);
        return; /* messages stay ASCII-only (msg_ascii) */
    }
    stderr = f;
    msg_ascii_unset();
}
