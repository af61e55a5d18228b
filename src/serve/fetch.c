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

/* A title lookup is someone waiting; a job's URL is one of thousands. Transfer slots are
 * taken in FIFO order, so jobs of pages that answer slowly or never (a tarpit: --timeout
 * each, and retries) held all -c of them, and every title lookup of any site waited behind
 * them. Jobs together take at most this many; the rest is the title lookups' own. */
size_t srv_job_fetches(size_t concurrency) {
    size_t keep = concurrency / 10 ? concurrency / 10 : 1;
    return concurrency > 1 ? concurrency - keep : concurrency;
}
