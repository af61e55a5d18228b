/* The Encoding Standard's decoders as "handlers": called once per byte (or at the end of the
 * queue), each returns what the standard's handler returns. The driver in decode.c feeds
 * them, bytes restored to the stream first, and turns their results into UTF-8. */
#ifndef CAFE_HTML_DECODE_STEP_H
#define CAFE_HTML_DECODE_STEP_H

#include "html/encoding.h"

/* A handler's result: "continue", 1 or 2 code points (in cp[]), "error" (the driver writes
 * U+FFFD), or "finished" (only ever at the end of the queue). */
enum { CAFE__STEP_CONTINUE = 0, CAFE__STEP_ERROR = 3, CAFE__STEP_FINISHED = 4 };

/* The end-of-queue "byte". Restoring it to the stream needs nothing: at the end of the queue
 * the driver calls the handler again until it says "finished". */
#define CAFE__EOQ (-1)

typedef int (*cafe__html_step_fn)(cafe__html_decoder_t *d, int byte, uint32_t cp[2]);

int cafe__html_step_gb18030(cafe__html_decoder_t *d, int byte, uint32_t cp[2]);
int cafe__html_step_big5(cafe__html_decoder_t *d, int byte, uint32_t cp[2]);
int cafe__html_step_euckr(cafe__html_decoder_t *d, int byte, uint32_t cp[2]);
int cafe__html_step_eucjp(cafe__html_decoder_t *d, int byte, uint32_t cp[2]);
int cafe__html_step_sjis(cafe__html_decoder_t *d, int byte, uint32_t cp[2]);
int cafe__html_step_iso2022jp(cafe__html_decoder_t *d, int byte, uint32_t cp[2]);
int cafe__html_step_utf16(cafe__html_decoder_t *d, int byte, uint32_t cp[2]);

/* "Restore" bytes to the stream: they are read again, in this order, before any byte that
 * has not been read yet. */
void cafe__html_restore(cafe__html_decoder_t *d, const uint8_t *bytes, size_t n);

/* The end shared by the decoders with a lead byte: cp[0] is the code point the lead and
 * `byte` make, or 0 if they make none; then an ASCII byte is restored (read again on its
 * own) and the result is an error. */
int cafe__html_lead_end(cafe__html_decoder_t *d, int byte, uint32_t cp[2]);

/* The start shared by the decoders with a lead byte, none pending: an ASCII byte is itself,
 * a lead byte (`is_lead`: the decoder's own ranges) is held, any other is an error. */
int cafe__html_lead_start(cafe__html_decoder_t *d, int byte, uint32_t cp[2], int is_lead);

/* The start shared by the decoders with one lead byte: at the end of the queue, an error if
 * a lead byte is pending (which is dropped), else "finished". */
static inline int cafe__html_lead_eoq(cafe__html_decoder_t *d) {
    if (d->first == 0)
        return CAFE__STEP_FINISHED;
    d->first = 0;
    return CAFE__STEP_ERROR;
}

#endif
