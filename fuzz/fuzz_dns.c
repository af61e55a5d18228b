/* libFuzzer target for what cafe reads in DNS messages itself (src/http/dns_wire.c): the
 * question of a query or answer, and the negative TTL of an answer (its SOA record). Input:
 * byte 0 picks the name buffer's size (0-255), the rest is one datagram (exactly its bytes,
 * on the heap, so ASan sees any read past it). Checks, beyond ASan and UBSan: a name given
 * back is NUL-terminated within its buffer, in lower case, without a final dot, and the
 * guard byte after the buffer is untouched; an answer read as negative has a question, the
 * same name, and a TTL under 2^31 (RFC 2181 8); a name that fits a buffer fits a larger one
 * alike. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/dns_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *q, size_t cap) {
    size_t len = strnlen(q, cap);
    if (len >= cap || (len > 0 && q[len - 1] == '.'))
        abort();
    for (size_t i = 0; i < len; i++)
        if (q[i] >= 'A' && q[i] <= 'Z')
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    size_t cap = data[0], n = size - 1;
    unsigned char *p = malloc(n ? n : 1);
    char *q = malloc(cap + 1), big[1024], big2[1024];
    if (!p || !q)
        abort();
    memcpy(p, data + 1, n);
    q[cap] = 0x55;
    unsigned id, qtype;
    int has_q = cafe__dns_wire_question(p, n, &id, q, cap, &qtype);
    if (q[cap] != 0x55 || (has_q && (id > 0xFFFF || qtype > 0xFFFF)))
        abort();
    if (has_q) {
        check_name(q, cap);
        if (!cafe__dns_wire_question(p, n, &id, big, sizeof big, &qtype) || strcmp(q, big) != 0)
            abort();
    }
    uint32_t ttl = 0;
    int neg = cafe__dns_wire_negative(p, n, q, cap, &ttl);
    if (q[cap] != 0x55)
        abort();
    if (neg) {
        check_name(q, cap);
        if (ttl & 0x80000000u || !has_q || strcmp(q, big) != 0)
            abort();
        uint32_t ttl2 = 0;
        if (!cafe__dns_wire_negative(p, n, big2, sizeof big2, &ttl2) || ttl2 != ttl ||
            strcmp(big2, q) != 0)
            abort();
    }
    free(q);
    free(p);
    return 0;
}
