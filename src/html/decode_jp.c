/* The Encoding Standard's EUC-JP, Shift_JIS and ISO-2022-JP decoders
 * (https://encoding.spec.whatwg.org/#euc-jp-decoder, #shift_jis-decoder,
 * #iso-2022-jp-decoder), step by step as the standard writes them. */
#include "html/decode_step.h"
#include "html/indexes.h"

static int in(int byte, int lo, int hi) {
    return byte >= lo && byte <= hi;
}

/* Half-width katakana U+FF61-U+FF9F. */
static int katakana(uint32_t cp[2], uint32_t offset) {
    cp[0] = 0xFF61 + offset;
    return 1;
}

static uint32_t jis0208(uint32_t pointer) {
    return pointer < CAFE__INDEX_JIS0208_LEN ? cafe__html_index_jis0208[pointer] : 0;
}

int cafe__html_step_eucjp(cafe__html_decoder_t *d, int byte, uint32_t cp[2]) {
    if (byte == CAFE__EOQ) {
        d->jis0212 = 0; /* the decoder may go on after the end of a text (text.c does) */
        return cafe__html_lead_eoq(d);
    }
    if (d->first == 0x8E && in(byte, 0xA1, 0xDF)) {
        d->first = 0;
        return katakana(cp, (uint32_t)byte - 0xA1);
    }
    if (d->first == 0x8F && in(byte, 0xA1, 0xFE)) {
        d->jis0212 = 1;
        d->first = (uint8_t)byte;
        return CAFE__STEP_CONTINUE;
    }
    if (!d->first)
        return cafe__html_lead_start(d, byte, cp,
                                     byte == 0x8E || byte == 0x8F || in(byte, 0xA1, 0xFE));
    uint32_t lead = d->first, is0212 = d->jis0212;
    d->first = 0, d->jis0212 = 0;
    cp[0] = 0;
    if (in((int)lead, 0xA1, 0xFE) && in(byte, 0xA1, 0xFE)) {
        uint32_t pointer = (lead - 0xA1) * 94 + (uint32_t)byte - 0xA1;
        cp[0] = is0212 ? cafe__html_index_jis0212[pointer] : jis0208(pointer);
    }
    return cafe__html_lead_end(d, byte, cp);
}

int cafe__html_step_sjis(cafe__html_decoder_t *d, int byte, uint32_t cp[2]) {
    if (byte == CAFE__EOQ)
        return cafe__html_lead_eoq(d);
    if (!d->first && byte == 0x80) {
        cp[0] = 0x80;
        return 1;
    }
    if (!d->first && in(byte, 0xA1, 0xDF))
        return katakana(cp, (uint32_t)byte - 0xA1);
    if (!d->first)
        return cafe__html_lead_start(d, byte, cp, in(byte, 0x81, 0x9F) || in(byte, 0xE0, 0xFC));
    uint32_t lead = d->first;
    d->first = 0;
    cp[0] = 0;
    if (in(byte, 0x40, 0x7E) || in(byte, 0x80, 0xFC)) {
        uint32_t offset = byte < 0x7F ? 0x40 : 0x41;
        uint32_t lead_offset = lead < 0xA0 ? 0x81 : 0xC1;
        uint32_t pointer = (lead - lead_offset) * 188 + (uint32_t)byte - offset;
        cp[0] = pointer >= 8836 && pointer <= 10715 ? 0xE000 - 8836 + pointer : jis0208(pointer);
    }
    return cafe__html_lead_end(d, byte, cp);
}

/* ISO-2022-JP decoder states; ASCII is 0, the initial state. */
enum { ISO_ASCII, ISO_ROMAN, ISO_KATAKANA, ISO_LEAD, ISO_TRAIL, ISO_ESC_START, ISO_ESC };

/* A byte in the ASCII state (Roman's too, but for its two own bytes). */
static int iso_ascii(int byte, uint32_t cp[2]) {
    if (byte > 0x7F || byte == 0x0E || byte == 0x0F)
        return CAFE__STEP_ERROR;
    cp[0] = (uint32_t)byte;
    return 1;
}

/* A character byte in the ASCII, Roman, katakana or lead byte state. */
static int iso_char(cafe__html_decoder_t *d, int byte, uint32_t cp[2]) {
    d->iso_output = 0;
    switch (d->iso_state) {
    case ISO_ROMAN:
        if (byte == 0x5C || byte == 0x7E) {
            cp[0] = byte == 0x5C ? 0xA5 : 0x203E;
            return 1;
        }
        return iso_ascii(byte, cp);
    case ISO_ASCII:
        return iso_ascii(byte, cp);
    case ISO_KATAKANA:
        return in(byte, 0x21, 0x5F) ? katakana(cp, (uint32_t)byte - 0x21) : CAFE__STEP_ERROR;
    default: /* lead byte */
        if (!in(byte, 0x21, 0x7E))
            return CAFE__STEP_ERROR;
        d->first = (uint8_t)byte;
        d->iso_state = ISO_TRAIL;
        return CAFE__STEP_CONTINUE;
    }
}

static int iso_trail(cafe__html_decoder_t *d, int byte, uint32_t cp[2]) {
    if (byte == 0x1B) {
        d->iso_state = ISO_ESC_START;
        return CAFE__STEP_ERROR;
    }
    d->iso_state = ISO_LEAD; /* at the end of the queue, which is read again */
    if (!in(byte, 0x21, 0x7E))
        return CAFE__STEP_ERROR;
    cp[0] = jis0208(((uint32_t)d->first - 0x21) * 94 + (uint32_t)byte - 0x21);
    return cp[0] ? 1 : CAFE__STEP_ERROR;
}

/* The byte after ESC and the one it announced (lead: 0x24 or 0x28). */
static int iso_escape(cafe__html_decoder_t *d, int byte) {
    uint8_t lead = d->first, state = 0xFF;
    d->first = 0;
    if (lead == 0x28 && byte == 0x42)
        state = ISO_ASCII;
    else if (lead == 0x28 && byte == 0x4A)
        state = ISO_ROMAN;
    else if (lead == 0x28 && byte == 0x49)
        state = ISO_KATAKANA;
    else if (lead == 0x24 && (byte == 0x40 || byte == 0x42))
        state = ISO_LEAD;
    if (state != 0xFF) {
        int output = d->iso_output;
        d->iso_state = d->iso_out = state;
        d->iso_output = 1; /* two escapes in a row with nothing between: an error */
        return output ? CAFE__STEP_ERROR : CAFE__STEP_CONTINUE;
    }
    uint8_t back[2] = {lead, (uint8_t)byte};
    cafe__html_restore(d, back, byte == CAFE__EOQ ? 1 : 2);
    d->iso_output = 0;
    d->iso_state = d->iso_out;
    return CAFE__STEP_ERROR;
}

int cafe__html_step_iso2022jp(cafe__html_decoder_t *d, int byte, uint32_t cp[2]) {
    switch (d->iso_state) {
    case ISO_ESC_START:
        if (byte == 0x24 || byte == 0x28) {
            d->first = (uint8_t)byte;
            d->iso_state = ISO_ESC;
            return CAFE__STEP_CONTINUE;
        }
        if (byte != CAFE__EOQ)
            cafe__html_restore(d, (const uint8_t[]){(uint8_t)byte}, 1);
        d->iso_output = 0;
        d->iso_state = d->iso_out;
        return CAFE__STEP_ERROR;
    case ISO_ESC:
        return iso_escape(d, byte);
    case ISO_TRAIL:
        return iso_trail(d, byte, cp);
    default:
        if (byte == CAFE__EOQ)
            return CAFE__STEP_FINISHED;
        if (byte == 0x1B) {
            d->iso_state = ISO_ESC_START;
            return CAFE__STEP_CONTINUE;
        }
        return iso_char(d, byte, cp);
    }
}
