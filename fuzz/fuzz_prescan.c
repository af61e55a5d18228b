/* libFuzzer target for the title extractor's encoding prescan (src/html/prescan.c): the
 * <meta> prescan of a page's first bytes, the XML declaration of its head and a content
 * attribute's charset=. Input: byte 0 picks the prescan's limit, byte 1 where the bytes are
 * cut; the rest is the page's head (exactly its bytes, on the heap, so ASan sees any read
 * past it). Checks, beyond ASan and UBSan: what the extractor decides on the bytes it has is
 * what all the bytes give: a prescan of the first bytes that is not cut gives the result of
 * the prescan of them all (cafe__html_prescan_to with the same limit), an XML declaration
 * not cut by the first bytes the same encoding as all of them; a content value's charset is
 * the same from cafe__html_meta_content_start on, where a charset= is found. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "html/prescan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void prescan(const unsigned char *p, size_t n, size_t limit, size_t k) {
    int cut_all, cut_k;
    const cafe__html_encoding_t *all = cafe__html_prescan_to(p, n, limit, &cut_all);
    const cafe__html_encoding_t *first = cafe__html_prescan_to(p, k, limit < k ? limit : k, &cut_k);
    if ((cut_all && all) || (cut_k && first))
        abort();
    if (!cut_k && first != all && k >= limit)
        abort();
    if (!cut_k && first && first != all)
        abort();
    if (limit >= n && cafe__html_prescan(p, n) != all)
        abort();
}

static void xml_declaration(const unsigned char *p, size_t n, size_t k) {
    const cafe__html_encoding_t *all = cafe__html_xml_declaration(p, n);
    if (k >= 6 && !cafe__html_xml_declaration_cut(p, k) && cafe__html_xml_declaration(p, k) != all)
        abort();
}

static void content(const unsigned char *p, size_t n) {
    const char *s = (const char *)p;
    const cafe__html_encoding_t *e = cafe__html_meta_content_charset(s, n);
    size_t start = cafe__html_meta_content_start(s, n);
    if (start > n)
        abort();
    if (start + 8 < n && cafe__html_meta_content_charset(s + start, n - start) != e)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2)
        return 0;
    size_t n = size - 2;
    unsigned char *p = malloc(n ? n : 1);
    if (!p)
        abort();
    memcpy(p, data + 2, n);
    size_t limit = data[0] == 255 ? n : (size_t)data[0] * 8, k = n ? data[1] % (n + 1) : 0;
    prescan(p, n, limit, k);
    xml_declaration(p, n, k);
    content(p, n);
    free(p);
    return 0;
}
