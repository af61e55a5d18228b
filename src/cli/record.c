#include "record.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_record_clear(cli_record_t *r) {
    free(r->url);
    free(r->final_url);
    free(r->title);
    free(r->content_type);
    free(r->charset);
    free(r->error_msg);
    memset(r, 0, sizeof(*r));
}

void cli_record_fail(cli_record_t *r, int error, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    free(r->error_msg);
    r->error = error;
    r->error_msg = strdup(buf);
}

int cli_record_failed(const cli_record_t *r) {
    return r->error != 0 || r->status >= 400;
}
