/* Politeness: an overall request rate, a minimum gap per host, and a per-host backoff that
 * grows when a host answers 429 or 503 (like lychee's) while other hosts go on at full
 * speed. Memory is bounded: hosts live in a fixed table of CLI_POLITE_SLOTS entries; a host
 * whose gap is back to the base and whose time has passed may lose its entry to another. */
#ifndef CAFE_CLI_POLITE_H
#define CAFE_CLI_POLITE_H

#include <stddef.h>
#include <stdint.h>

#define CLI_POLITE_SLOTS 4096
#define CLI_POLITE_MAX_GAP_MS 60000

typedef struct cli_host {
    uint64_t key;     /* hash of the host name; 0 = free */
    uint64_t next_at; /* loop time before which no request may start */
    uint64_t gap_ms;  /* current gap between requests */
    uint32_t slowed;  /* times the host was slowed down: a wait from before is stale */
} cli_host_t;

typedef struct cli_polite {
    double rate;          /* requests per second overall; 0 = unlimited */
    uint64_t base_gap_ms; /* --host-interval */
    double rate_next_ms;  /* loop time of the next free rate slot */
    cli_host_t hosts[CLI_POLITE_SLOTS];
} cli_polite_t;

void cli_polite_init(cli_polite_t *p, double rate, uint64_t host_interval_ms);

/* Reserves the next start time for a request to url's host and sleeps (a task sleep) until
 * then. *ticket notes the host's state for cli_polite_stale. Returns 0 or the sleep's error
 * (CAFE_ECANCELED). */
int cli_polite_wait(cli_polite_t *p, const char *url, uint32_t *ticket);

/* Nonzero when the host was slowed down since the wait that gave ticket (e.g. a 429 came
 * while this request waited for a concurrency permit): the request must wait again. */
int cli_polite_stale(cli_polite_t *p, const char *url, uint32_t ticket);

/* Tells how the host answered: 429/503 double its gap (at least 1 s, at most 60 s); other
 * answers halve it back towards the base. */
void cli_polite_report(cli_polite_t *p, const char *url, long status);

#endif
