/* What cafe reads in a DNS answer itself (dns_wire.c): the negative TTL. */
#ifndef CAFE_HTTP_DNS_WIRE_H
#define CAFE_HTTP_DNS_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* When the n bytes at p are a negative answer (NXDOMAIN, or NOERROR with no record of the
 * asked type) whose authority section has an SOA record: returns 1, with the question's
 * name in qname (lower case, no final dot; cap bytes with its NUL) and in *ttl how long the
 * answer may be kept, RFC 2308's min(SOA TTL, SOA MINIMUM). Otherwise (anything else,
 * malformed, a name longer than cap, or one with a NUL or a dot inside a label) 0. */
int cafe__dns_wire_negative(const unsigned char *p, size_t n, char *qname, size_t cap,
                            uint32_t *ttl);

/* The ID, first question's name (as cafe__dns_wire_negative writes it) and type of the DNS
 * message (query or answer) of n bytes at p: 1, or 0 when it has not exactly one question
 * or is malformed. */
int cafe__dns_wire_question(const unsigned char *p, size_t n, unsigned *id, char *qname, size_t cap,
                            unsigned *qtype);

#endif
