/* What cafe reads in DNS messages itself: how long a negative answer may be kept (RFC 2308
 * section 5: the TTL of the SOA record in the authority section, capped by that record's
 * MINIMUM field), which c-ares 1.18's ares_getaddrinfo does not report, and the question of
 * a query or answer, to match an answer to a query that went out (dns_answer.c).
 * Every read is bounds-checked against n: the datagram comes from the network. */
#include "http/dns_wire.h"

#include <string.h>

#define HEADER_LEN 12
#define TYPE_SOA 6
#define CLASS_IN 1
#define RCODE_NXDOMAIN 3
#define MAX_POINTERS 16 /* compression pointers followed in one name: loops end here */

static uint32_t be16(const unsigned char *p) {
    return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads the name at *off (labels, maybe ending in a compression pointer), moving *off past
 * it in place. With out, writes it in lower case, dot-separated, without the final dot.
 * Returns 0, or -1 when it is malformed, runs past n, or does not fit in cap (or, with out, a
 * label holds a NUL or a dot). */
static int name_read(const unsigned char *p, size_t n, size_t *off, char *out, size_t cap) {
    size_t at = *off, len = 0;
    int jumped = 0, jumps = 0;
    for (;;) {
        if (at >= n)
            return -1;
        unsigned c = p[at];
        if (c == 0) {
            if (!jumped)
                *off = at + 1;
            break;
        }
        if ((c & 0xC0) == 0xC0) {
            if (at + 1 >= n || ++jumps > MAX_POINTERS)
                return -1;
            if (!jumped)
                *off = at + 2;
            jumped = 1;
            at = (size_t)(c & 0x3F) << 8 | p[at + 1];
            continue;
        }
        if ((c & 0xC0) != 0 || at + 1 + c > n)
            return -1;
        if (out) {
            if (len + (len > 0) + c >= cap)
                return -1;
            if (len > 0)
                out[len++] = '.';
            for (unsigned i = 0; i < c; i++) {
                unsigned char ch = p[at + 1 + i];
                /* A NUL or a dot inside a label has no dotted text: written, "a.tes\0t" would
                 * read as the name "a.tes" (and "a" "b.c" as "a.b.c"), a name never asked. */
                if (ch == '\0' || ch == '.')
                    return -1;
                out[len++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
            }
        }
        at += 1 + c;
    }
    if (out) {
        if (cap == 0)
            return -1;
        out[len] = '\0';
    }
    return 0;
}

/* Skips one resource record at *off; *type and *ttl are its own, *rdata its data's offset
 * and *rdlen its length. */
static int rr_read(const unsigned char *p, size_t n, size_t *off, uint32_t *type, uint32_t *ttl,
                   size_t *rdata, size_t *rdlen) {
    if (name_read(p, n, off, NULL, 0) != 0 || *off + 10 > n)
        return -1;
    *type = be16(p + *off);
    *ttl = be32(p + *off + 4);
    *rdlen = be16(p + *off + 8);
    *rdata = *off + 10;
    if (*rdata + *rdlen > n)
        return -1;
    *off = *rdata + *rdlen;
    return 0;
}

/* The SOA's MINIMUM: the last 4 of the 20 bytes after its two names. */
static int soa_minimum(const unsigned char *p, size_t n, size_t rdata, size_t rdlen,
                       uint32_t *minimum) {
    size_t off = rdata, end = rdata + rdlen;
    if (name_read(p, end, &off, NULL, 0) != 0 || name_read(p, end, &off, NULL, 0) != 0 ||
        off + 20 > end || end > n)
        return -1;
    *minimum = be32(p + off + 16);
    return 0;
}

int cafe__dns_wire_question(const unsigned char *p, size_t n, unsigned *id, char *qname, size_t cap,
                            unsigned *qtype) {
    size_t off = HEADER_LEN;
    if (n < HEADER_LEN || be16(p + 4) != 1 || name_read(p, n, &off, qname, cap) != 0 || off + 4 > n)
        return 0;
    *id = (unsigned)be16(p);
    *qtype = (unsigned)be16(p + off);
    return 1;
}

int cafe__dns_wire_negative(const unsigned char *p, size_t n, char *qname, size_t cap,
                            uint32_t *ttl) {
    if (n < HEADER_LEN || !(p[2] & 0x80) || be16(p + 4) != 1)
        return 0; /* not an answer to exactly one question */
    unsigned rcode = p[3] & 0x0F;
    uint32_t ancount = be16(p + 6), nscount = be16(p + 8);
    size_t off = HEADER_LEN;
    if (name_read(p, n, &off, qname, cap) != 0 || off + 4 > n)
        return 0;
    uint32_t qtype = be16(p + off);
    off += 4;
    uint32_t type, rr_ttl;
    size_t rdata, rdlen;
    if (rcode != 0 && rcode != RCODE_NXDOMAIN)
        return 0;
    for (uint32_t i = 0; i < ancount; i++) { /* NODATA: no record of the asked type */
        if (rr_read(p, n, &off, &type, &rr_ttl, &rdata, &rdlen) != 0 ||
            (rcode == 0 && type == qtype))
            return 0;
    }
    for (uint32_t i = 0; i < nscount; i++) {
        if (rr_read(p, n, &off, &type, &rr_ttl, &rdata, &rdlen) != 0)
            return 0;
        uint32_t minimum;
        if (type == TYPE_SOA && soa_minimum(p, n, rdata, rdlen, &minimum) == 0) {
            if (rr_ttl & 0x80000000u) /* RFC 2181 8: a TTL with the top bit set means 0 */
                rr_ttl = 0;
            *ttl = rr_ttl < minimum ? rr_ttl : minimum;
            return 1;
        }
    }
    return 0;
}
