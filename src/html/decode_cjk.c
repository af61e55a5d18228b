/* The Encoding Standard's gb18030 (also GBK's), Big5 and EUC-KR decoders
 * (https://encoding.spec.whatwg.org/#gb18030-decoder, #big5-decoder, #euc-kr-decoder),
 * step by step as the standard writes them. */
#include "html/decode_step.h"
#include "html/indexes.h"

/* The standard's "index gb18030 ranges code point". */
static uint32_t gb18030_ranges(uint32_t pointer) {
    if ((pointer > 39419 && pointer < 189000) || pointer > 1237575)
        return 0;
    if (pointer == 7457)
        return 0xE7C7;
    /* the last range whose pointer is <= pointer (the first range starts at 0) */
    size_t lo = 0, hi = CAFE__INDEX_GB18030_RANGES_LEN;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (cafe__html_index_gb18030_ranges[mid][0] <= pointer)
            lo = mid;
        else
            hi = mid;
    }
    return cafe__html_index_gb18030_ranges[lo][1] + pointer -
           cafe__html_index_gb18030_ranges[lo][0];
}

static int in(int byte, int lo, int hi) {
    return byte >= lo && byte <= hi;
}

/* gb18030 with first, second and third set: byte (not the end of the queue) is the fourth of
 * a four-byte sequence. */
static int gb18030_fourth(cafe__html_decoder_t *d, int byte, uint32_t cp[2]) {
    uint32_t first = d->first, second = d->second, third = d->third;
    d->first = d->second = d->third = 0;
    if (!in(byte, 0x30, 0x39)) {
        uint8_t back[3] = {(uint8_t)second, (uint8_t)third, (uint8_t)byte};
        cafe__html_restore(d, back, 3);
        return CAFE__STEP_ERROR;
    }
    uint32_t pointer = (first - 0x81) * (10 * 126 * 10) + (second - 0x30) * (10 * 126) +
                       (third - 0x81) * 10 + (uint32_t)byte - 0x30;
    cp[0] = gb18030_ranges(pointer);
    return cp[0] ? 1 : CAFE__STEP_ERROR;
}

/* gb18030 with first set: byte is the second of a two- or four-byte sequence. */
static int gb18030_second(cafe__html_decoder_t *d, int byte, uint32_t cp[2]) {
    if (in(byte, 0x30, 0x39)) {
        d->second = (uint8_t)byte;
        return CAFE__STEP_CONTINUE;
    }
    uint32_t lead = d->first, offset = byte < 0x7F ? 0x40 : 0x41;
    d->first = 0;
    int trail = in(byte, 0x40, 0x7E) || in(byte, 0x80, 0xFE);
    cp[0] = trail ? cafe__html_index_gb18030[(lead - 0x81) * 190 + (uint32_t)byte - offset] : 0;
    return cafe__html_lead_end(d, byte, cp);
}

int cafe__html_step_gb18030(cafe__html_decoder_t *d, int byte, uint32_t cp[2]) {
    if (byte == CAFE__EOQ) {
        if (d->first == 0 && d->second == 0 && d->third == 0)
            return CAFE__STEP_FINISHED;
        d->first = d->second = d->third = 0;
        return CAFE__STEP_ERROR;
    }
    if (d->third)
        return gb18030_fourth(d, byte, cp);
    if (d->second) {
        if (in(byte, 0x81, 0xFE)) {
            d->third = (uint8_t)byte;
            return CAFE__STEP_CONTINUE;
        }
        uint8_t back[2] = {d->second, (uint8_t)byte};
        d->first = d->second = 0;
        cafe__html_restore(d, back, 2);
        return CAFE__STEP_ERROR;
    }
    if (d->first)
        return gb18030_second(d, byte, cp);
    if (byte < 0x80 || byte == 0x80) {
        cp[0] = byte == 0x80 ? 0x20AC : (uint32_t)byte;
        return 1;
    }
    if (byte == 0xFF)
        return CAFE__STEP_ERROR;
    d->first = (uint8_t)byte;
    return CAFE__STEP_CONTINUE;
}

/* Big5 pointers whose code point is two code points. */
static int big5_pair(uint32_t pointer, uint32_t cp[2]) {
    switch (pointer) {
    case 1133:
    case 1135:
        cp[0] = 0x00CA;
        break;
    case 1164:
    case 1166:
        cp[0] = 0x00EA;
        break;
    default:
        return 0;
    }
    cp[1] = pointer == 1133 || pointer == 1164 ? 0x0304 : 0x030C;
    return 2;
}

int cafe__html_step_big5(cafe__html_decoder_t *d, int byte, uint32_t cp[2]) {
    if (byte == CAFE__EOQ)
        return cafe__html_lead_eoq(d);
    if (!d->first)
        return cafe__html_lead_start(d, byte, cp, in(byte, 0x81, 0xFE));
    uint32_t lead = d->first;
    d->first = 0;
    cp[0] = 0;
    if (in(byte, 0x40, 0x7E) || in(byte, 0xA1, 0xFE)) {
        uint32_t offset = byte < 0x7F ? 0x40 : 0x62;
        uint32_t pointer = (lead - 0x81) * 157 + (uint32_t)byte - offset;
        if (big5_pair(pointer, cp))
            return 2;
        if (pointer < CAFE__INDEX_BIG5_LEN && cafe__html_index_big5[pointer]) {
            int plane2 = (cafe__html_index_big5_plane2[pointer / 8] >> (pointer % 8)) & 1;
            cp[0] = cafe__html_index_big5[pointer] + (plane2 ? 0x20000u : 0);
        }
    }
    return cafe__html_lead_end(d, byte, cp);
}

int cafe__html_step_euckr(cafe__html_decoder_t *d, int byte, uint32_t cp[2]) {
    if (byte == CAFE__EOQ)
        return cafe__html_lead_eoq(d);
    if (!d->first)
        return cafe__html_lead_start(d, byte, cp, in(byte, 0x81, 0xFE));
    uint32_t lead = d->first;
    d->first = 0;
    cp[0] = in(byte, 0x41, 0xFE)
                ? cafe__html_index_euc_kr[(lead - 0x81) * 190 + (uint32_t)byte - 0x41]
                : 0;
    return cafe__html_lead_end(d, byte, cp);
}
