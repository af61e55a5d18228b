/* The Encoding Standard's shared UTF-16 decoder
 * (https://encoding.spec.whatwg.org/#shared-utf-16-decoder), for UTF-16LE and UTF-16BE: a lone
 * surrogate is an error, and the code unit after a lead surrogate that is not a trail surrogate is
 * read again. */
#include "html/decode_step.h"

int cafe__html_step_utf16(cafe__html_decoder_t *d, int byte, uint32_t cp[2]) {
    if (byte == CAFE__EOQ) {
        if (!d->has_lead && !d->surrogate)
            return CAFE__STEP_FINISHED;
        d->has_lead = 0, d->surrogate = 0;
        return CAFE__STEP_ERROR;
    }
    if (!d->has_lead) {
        d->first = (uint8_t)byte, d->has_lead = 1;
        return CAFE__STEP_CONTINUE;
    }
    int be = d->enc->dec == CAFE__DEC_UTF16BE;
    uint32_t unit = be ? (uint32_t)d->first << 8 | (uint32_t)byte : (uint32_t)byte << 8 | d->first;
    d->has_lead = 0;
    if (d->surrogate) {
        uint32_t lead = d->surrogate;
        d->surrogate = 0;
        if (unit >= 0xDC00 && unit <= 0xDFFF) {
            cp[0] = 0x10000 + ((lead - 0xD800) << 10) + (unit - 0xDC00);
            return 1;
        }
        uint8_t hi = (uint8_t)(unit >> 8), lo = (uint8_t)unit;
        uint8_t back[2] = {be ? hi : lo, be ? lo : hi};
        cafe__html_restore(d, back, 2);
        return CAFE__STEP_ERROR;
    }
    if (unit >= 0xD800 && unit <= 0xDBFF) {
        d->surrogate = (uint16_t)unit;
        return CAFE__STEP_CONTINUE;
    }
    if (unit >= 0xDC00 && unit <= 0xDFFF)
        return CAFE__STEP_ERROR;
    cp[0] = unit;
    return 1;
}
