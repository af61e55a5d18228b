/* One URL, fetched as `cafe titles` fetches it (cli_fetch), under the loop's HTTP limits
 * that every request and job of the service shares (a request waits for its host's turn and
 * a transfer slot inside cafe_http_request). Records are written by `cafe titles`'s own
 * writers, so the API's JSON is the CLI's --json, byte for byte. */
#include "srv.h"

#include <stdlib.h>
#include <string.h>

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

/* Transfer slots go to requests whose host's turn has come, but a share permit was taken
 * before the host's queue: a job of one site's URLs (the usual list) held the whole share
 * with workers queued for that one host, --per-host of them fetching, and every other job
 * fetched nothing until it was over (a tarpit site: for ever). So a job's fetch first waits
 * for one of its host's --per-host tickets, holding no permit, then for a permit: the
 * permits are held by fetches whose host can take them. A host is known by its URL's
 * scheme and authority (the URL is in normal form), and forgotten when no fetch needs it. */
typedef struct srv_host {
    struct srv_host *next;
    size_t users; /* fetches holding or waiting for one of its tickets */
    cafe_sem_t tickets;
    char name[];
} srv_host_t;

static srv_host_t **host_slot(srv_t *s, const char *name, size_t n) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a: a bucket, not a secret */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)name[i]) * 1099511628211ull;
    srv_host_t **p = &s->job_hosts[h % (sizeof s->job_hosts / sizeof s->job_hosts[0])];
    while (*p && !(strlen((*p)->name) == n && memcmp((*p)->name, name, n) == 0))
        p = &(*p)->next;
    return p;
}

static srv_host_t *host_get(srv_t *s, const char *url) {
    if (!url)
        return NULL;
    const char *at = strstr(url, "://");
    at = at ? at + 3 : url;
    size_t n = (size_t)(at - url) + strcspn(at, "/?#");
    srv_host_t **p = host_slot(s, url, n);
    if (!*p) {
        srv_host_t *h = malloc(sizeof(*h) + n + 1);
        if (!h)
            return NULL;
        h->next = NULL;
        h->users = 0;
        cafe_sem_init(&h->tickets, s->o.fetch.per_host);
        memcpy(h->name, url, n);
        h->name[n] = '\0';
        *p = h;
    }
    (*p)->users++;
    return *p;
}

static void host_put(srv_t *s, srv_host_t *h) {
    if (--h->users > 0)
        return;
    srv_host_t **p = host_slot(s, h->name, strlen(h->name));
    *p = h->next;
    (void)cafe_sem_destroy(&h->tickets); /* no fetch waits on it: users was 0 */
    free(h);
}

int srv_job_fetch(srv_t *s, record_t *rec) {
    srv_host_t *h = host_get(s, rec->url);
    int rc = h ? cafe_sem_acquire(&h->tickets) : 0; /* out of memory: no ticket, as before */
    if (rc == 0 && (rc = cafe_sem_acquire(&s->job_fetches)) != 0 && h)
        cafe_sem_release(&h->tickets);
    if (rc == 0) {
        srv_fetch(s, rec);
        cafe_sem_release(&s->job_fetches);
        if (h)
            cafe_sem_release(&h->tickets);
    }
    if (h)
        host_put(s, h);
    return rc ? CAFE_ECANCELED : 0;
}
