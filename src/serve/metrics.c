/* GET /metrics in Prometheus's text format (version 0.0.4). */
#include "srv.h"
#include "fetch.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* Upper bounds of the fetch latency histogram, in milliseconds. */
static const uint64_t lat_bounds[SRV_LAT_BUCKETS] = {5,   10,   25,   50,   100,  250,
                                                     500, 1000, 2500, 5000, 10000};

static const char *const route_names[SRV_ROUTES] = {
    "notfound", "page", "healthz", "readyz", "metrics", "title", "jobs", "job", "results"};

void srv_metrics_fetch(srv_t *s, const record_t *rec) {
    srv_metrics_t *m = &s->m;
    m->fetches++;
    if (record_failed(rec))
        m->fetch_failures++;
    for (int i = 0; i < SRV_LAT_BUCKETS; i++)
        if (rec->time_ms <= lat_bounds[i])
            m->lat_le[i]++;
    m->lat_count++;
    m->lat_sum_ms += rec->time_ms;
}

static void counter(FILE *f, const char *name, const char *help, uint64_t v) {
    fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s %" PRIu64 "\n", name, help, name, name, v);
}

static void gauge(FILE *f, const char *name, const char *help, uint64_t v) {
    fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n%s %" PRIu64 "\n", name, help, name, name, v);
}

static void requests(FILE *f, const srv_metrics_t *m) {
    fputs("# HELP cafe_serve_requests_total HTTP requests by route.\n"
          "# TYPE cafe_serve_requests_total counter\n",
          f);
    for (int i = 0; i < SRV_ROUTES; i++)
        fprintf(f, "cafe_serve_requests_total{route=\"%s\"} %" PRIu64 "\n", route_names[i],
                m->requests[i]);
    fputs("# HELP cafe_serve_responses_total HTTP responses by status class.\n"
          "# TYPE cafe_serve_responses_total counter\n",
          f);
    for (int i = 1; i < 6; i++)
        fprintf(f, "cafe_serve_responses_total{code=\"%dxx\"} %" PRIu64 "\n", i, m->responses[i]);
}

static void latency(FILE *f, const srv_metrics_t *m) {
    fputs("# HELP cafe_serve_fetch_duration_seconds Time of each fetch, all attempts.\n"
          "# TYPE cafe_serve_fetch_duration_seconds histogram\n",
          f);
    for (int i = 0; i < SRV_LAT_BUCKETS; i++)
        fprintf(f, "cafe_serve_fetch_duration_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
                (double)lat_bounds[i] / 1000, m->lat_le[i]);
    fprintf(f,
            "cafe_serve_fetch_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n"
            "cafe_serve_fetch_duration_seconds_sum %.3f\n"
            "cafe_serve_fetch_duration_seconds_count %" PRIu64 "\n",
            m->lat_count, (double)m->lat_sum_ms / 1000, m->lat_count);
}

static void write_all(FILE *f, const srv_t *s) {
    const srv_metrics_t *m = &s->m;
    requests(f, m);
    counter(f, "cafe_serve_fetches_total", "URLs fetched (titles and jobs).", m->fetches);
    counter(f, "cafe_serve_fetch_failures_total", "Fetches that failed or got HTTP >= 400.",
            m->fetch_failures);
    latency(f, m);
    counter(f, "cafe_serve_cache_hits_total", "Titles answered from the cache.", m->cache_hits);
    counter(f, "cafe_serve_cache_misses_total", "Titles that started a fetch.", m->cache_misses);
    counter(f, "cafe_serve_cache_shared_total", "Titles that waited for a fetch in flight.",
            m->cache_joined);
    counter(f, "cafe_serve_cache_evictions_total", "Cache entries evicted for room.",
            m->cache_evicted);
    gauge(f, "cafe_serve_cache_bytes", "Bytes held by the title cache.", s->cache.bytes);
    gauge(f, "cafe_serve_cache_entries", "Entries in the title cache.", s->cache.entries);
    counter(f, "cafe_serve_jobs_created_total", "Jobs accepted.", m->jobs_created);
    counter(f, "cafe_serve_jobs_finished_total", "Jobs that ran to the end.", m->jobs_finished);
    counter(f, "cafe_serve_jobs_cancelled_total", "Jobs cancelled.", m->jobs_cancelled);
    counter(f, "cafe_serve_job_urls_done_total", "Job URLs with a record.", m->job_urls_done);
    gauge(f, "cafe_serve_jobs_running", "Jobs running now.", s->jobs_running);
    gauge(f, "cafe_serve_jobs_queued", "Jobs resumed by a restart, waiting for --max-jobs.",
          s->jobs_queued);
    gauge(f, "cafe_serve_fetches_in_flight", "Fetches running now.", s->fetching);
    gauge(f, "cafe_serve_title_lookups_waiting",
          "Title lookups waiting for a fetch, their clients gone or not (at most "
          "--max-connections).",
          s->title_tasks);
    gauge(f, "cafe_serve_connections", "Client connections open.", s->conns.len);
    counter(f, "cafe_serve_connections_refused_total",
            "Connections closed at accept: their address held --max-client-connections.",
            m->conns_refused);
    gauge(f, "cafe_serve_job_list_bytes", "Memory of the job lists being received.", s->body_bytes);
    gauge(f, "cafe_serve_uptime_seconds", "Seconds since start.",
          (srv_now(s) - s->started_ms) / 1000);
}

void srv_metrics_reply(srv_req_t *r) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        srv_reply_error(r, 503, "out of memory");
        return;
    }
    write_all(f, r->srv);
    if (fclose(f) != 0 || !text) {
        free(text);
        srv_reply_error(r, 503, "out of memory");
        return;
    }
    srv_reply(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len, 1);
    if (r->resp)
        MHD_add_response_header(r->resp, "Cache-Control", "no-store");
    free(text);
}
