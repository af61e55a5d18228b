/* One URL, fetched as `cafe titles` fetches it (cli_fetch), under the limits every request
 * and job of the service shares: the host's politeness turn first (so a host slowed down by
 * 429s holds no permit while it waits), then one of the -c permits. Records are written by
 * `cafe titles`'s own writers, so the API's JSON is the CLI's --json, byte for byte. */
#include "serve/internal.h"
#include "cli/fetch.h"
#include "cli/output.h"

#include <stdio.h>
#include <stdlib.h>

static int take_turn(srv_t *s, const char *url) {
    uint32_t ticket;
    for (;;) {
        int rc = cli_polite_wait(&s->polite, url, &ticket);
        if (rc == 0)
            rc = cafe_sem_acquire(&s->permits);
        if (rc != 0)
            return rc;
        if (!cli_polite_stale(&s->polite, url, ticket))
            return 0;
        cafe_sem_release(&s->permits);
    }
}

int srv_fetch(srv_t *s, cli_record_t *rec) {
    int rc = take_turn(s, rec->url);
    if (rc != 0) {
        cli_record_fail(rec, rc, "%s", cafe_strerror(rc));
        return rc;
    }
    s->fetching++;
    uint64_t t0 = srv_now(s);
    if (cli_fetch(&s->o.fetch, rec) == 0)
        cli_polite_report(&s->polite, rec->url, rec->status);
    rec->time_ms = srv_now(s) - t0;
    s->fetching--;
    cafe_sem_release(&s->permits);
    srv_metrics_fetch(s, rec);
    return rec->error;
}

int srv_record_format(const cli_record_t *rec, int fmt, char **out, size_t *len) {
    *out = NULL;
    *len = 0;
    FILE *f = open_memstream(out, len);
    if (!f)
        return CAFE_ENOMEM;
    int rc = cli_output_record(f, (cli_format_t)fmt, rec);
    if (fclose(f) != 0 && rc == 0)
        rc = CAFE_ENOMEM;
    if (rc != 0) {
        free(*out);
        *out = NULL;
        *len = 0;
        return CAFE_ENOMEM;
    }
    return 0;
}
