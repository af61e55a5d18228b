/* One URL, fetched as `cafe titles` fetches it (cli_fetch), under the loop's HTTP limits
 * that every request and job of the service shares (a request waits for its host's turn and
 * a transfer slot inside cafe_http_request). Records are written by `cafe titles`'s own
 * writers, so the API's JSON is the CLI's --json, byte for byte. */
#include "srv.h"

int srv_fetch(srv_t *s, record_t *rec) {
    s->fetching++;
    /* An extractor from the pool, as `cafe titles` takes one: no allocation per URL. */
    cli_fetch(&s->o.fetch, rec, NULL, NULL, NULL, &s->titles);
    s->fetching--;
    srv_metrics_fetch(s, rec);
    return rec->error;
}
