/* One result record per input URL: what `cafe titles` writes, whatever happened. */
#ifndef CAFE_CLI_RECORD_H
#define CAFE_CLI_RECORD_H

#include <stdint.h>

typedef struct cli_record {
    uint64_t seq;       /* input order (0-based, counting URL lines only) */
    char *url;          /* the URL as fetched (normalised), or the raw line when invalid */
    char *final_url;    /* after redirects; NULL when nothing was fetched */
    long status;        /* HTTP status of the final response, 0 when none */
    char *title;        /* UTF-8; NULL when the page has no title element */
    char *content_type; /* media type from Content-Type, NULL when absent */
    char *charset;      /* encoding the title was decoded from, NULL when not decoded */
    uint64_t bytes;     /* body bytes received */
    uint64_t time_ms;   /* total time, all attempts */
    int attempts;
    int error;       /* 0, or a negative cafe error code */
    char *error_msg; /* human-readable error; NULL when error == 0 */
} cli_record_t;

/* Frees the strings a record owns and clears it. */
void cli_record_clear(cli_record_t *r);

/* Sets r->error and a formatted r->error_msg (replacing any previous one). */
void cli_record_fail(cli_record_t *r, int error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Does the record count as a failure (error, or HTTP status >= 400)? */
int cli_record_failed(const cli_record_t *r);

#endif
