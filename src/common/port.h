/* A port number as the tools take it on their command lines (cafe serve --listen, cafe
 * titles --resolver and --resolve): decimal digits only, at most five. getaddrinfo's numeric
 * service and strtoul would take "+80", " 80" or "99999", the last as its low 16 bits: a port
 * nobody asked for. Header-only, as fdtab.h. */
#ifndef CAFE_COMMON_PORT_H
#define CAFE_COMMON_PORT_H

#include <stddef.h>

/* The value of s[0..n), 0 to 65535, or -1 when it is empty, longer than five digits, holds
 * anything but digits or is past 65535. */
static inline long port_parse(const char *s, size_t n) {
    long v = 0;
    if (n == 0 || n > 5)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v <= 65535 ? v : -1;
}

#endif
