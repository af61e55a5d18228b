/* Options of `cafe serve`. Fetching options mean what they mean for `cafe titles`. */
#include "srv.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fputs("Usage: cafe serve [OPTIONS]\n"
          "A title service: an HTTP API and a web page, on one cafe loop.\n"
          "\n"
          "  --listen HOST:PORT     address to bind (default 127.0.0.1:8080; port 0 picks one;\n"
          "                         the first line on stdout says `listening on http://...`)\n"
          "  --token T              require `Authorization: Bearer T` on every API call\n"
          "                         (also $CAFE_SERVE_TOKEN); required off loopback\n"
          "  --allow-private        fetch private, loopback and link-local addresses too\n"
          "                         (default: refused, as --no-private)\n"
          "  --cache-ttl S          seconds a fetched title is served from memory (default 300)\n"
          "  --cache-size BYTES     memory for cached titles (default 67108864)\n"
          "  --max-body BYTES       request body limit (default 16777216)\n"
          "  --max-job-urls N       URLs per job (default 100000)\n"
          "  --max-jobs N           jobs running at once (default 4)\n"
          "  --jobs-kept N          finished jobs kept for their results (default 64)\n"
          "  --max-connections N    client connections at once (default 1024)\n"
          "  --header-timeout S     a request's head must arrive within S s (default 10)\n"
          "  --request-timeout S    its body within S s more (default 30)\n"
          "  --shutdown-grace S     on SIGINT/SIGTERM, jobs may run S s more (default 10)\n"
          "  --data-dir DIR         keep jobs in DIR: they survive a restart, and unfinished\n"
          "                         ones resume (default: temporary files, lost at exit)\n"
          "  --db SPEC              also write every job's records to a database:\n"
          "                         sqlite:PATH or postgresql://... (one run per job)\n"
          "  -q, --quiet            no log on stderr\n"
          "\n"
          "Fetching (as cafe titles): -c N (default 100), --per-host N (8), --rate N,\n"
          "  --host-interval MS, --timeout S (15), --connect-timeout S (5), --retries N (2),\n"
          "  --max-redirects N (10), --max-bytes N (2097152), -A UA\n",
          f);
}

enum {
    O_LISTEN = 256,
    O_TOKEN,
    O_ALLOW_PRIVATE,
    O_CACHE_TTL,
    O_CACHE_SIZE,
    O_MAX_BODY,
    O_MAX_JOB_URLS,
    O_MAX_JOBS,
    O_JOBS_KEPT,
    O_MAX_CONN,
    O_HEADER_TIMEOUT,
    O_REQUEST_TIMEOUT,
    O_GRACE,
    O_DATA_DIR,
    O_DB,
    O_PER_HOST,
    O_RATE,
    O_HOST_INTERVAL,
    O_TIMEOUT,
    O_CONNECT_TIMEOUT,
    O_RETRIES,
    O_MAX_REDIRECTS,
    O_MAX_BYTES,
};

static const struct option longopts[] = {
    {"listen", required_argument, NULL, O_LISTEN},
    {"token", required_argument, NULL, O_TOKEN},
    {"allow-private", no_argument, NULL, O_ALLOW_PRIVATE},
    {"cache-ttl", required_argument, NULL, O_CACHE_TTL},
    {"cache-size", required_argument, NULL, O_CACHE_SIZE},
    {"max-body", required_argument, NULL, O_MAX_BODY},
    {"max-job-urls", required_argument, NULL, O_MAX_JOB_URLS},
    {"max-jobs", required_argument, NULL, O_MAX_JOBS},
    {"jobs-kept", required_argument, NULL, O_JOBS_KEPT},
    {"max-connections", required_argument, NULL, O_MAX_CONN},
    {"header-timeout", required_argument, NULL, O_HEADER_TIMEOUT},
    {"request-timeout", required_argument, NULL, O_REQUEST_TIMEOUT},
    {"shutdown-grace", required_argument, NULL, O_GRACE},
    {"data-dir", required_argument, NULL, O_DATA_DIR},
    {"db", required_argument, NULL, O_DB},
    {"concurrency", required_argument, NULL, 'c'},
    {"per-host", required_argument, NULL, O_PER_HOST},
    {"rate", required_argument, NULL, O_RATE},
    {"host-interval", required_argument, NULL, O_HOST_INTERVAL},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"connect-timeout", required_argument, NULL, O_CONNECT_TIMEOUT},
    {"retries", required_argument, NULL, O_RETRIES},
    {"max-redirects", required_argument, NULL, O_MAX_REDIRECTS},
    {"max-bytes", required_argument, NULL, O_MAX_BYTES},
    {"user-agent", required_argument, NULL, 'A'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void defaults(srv_opts_t *o) {
    memset(o, 0, sizeof(*o));
    o->listen = "127.0.0.1:8080";
    o->token = getenv("CAFE_SERVE_TOKEN");
    if (o->token && !*o->token)
        o->token = NULL;
    o->cache_ttl_ms = 300000;
    o->cache_bytes = 64u << 20;
    o->max_body = 16u << 20;
    o->max_job_urls = 100000;
    o->max_jobs = 4;
    o->jobs_kept = 64;
    o->max_connections = 1024;
    o->header_timeout_ms = 10000;
    o->request_timeout_ms = 30000;
    o->shutdown_grace_ms = 10000;
    cli_opts_t *f = &o->fetch;
    f->concurrency = 100;
    f->per_host = 8;
    f->timeout_ms = 15000;
    f->connect_timeout_ms = 5000;
    f->retries = 2;
    f->max_redirects = 10;
    f->max_bytes = 2u << 20;
    f->scheme = "https";
}

/* A number in [min, max]; NaN fails too. */
static int num(const char *s, double min, double max, double *out) {
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= min && v <= max))
        return -1;
    *out = v;
    return 0;
}

/* Seconds options, stored as milliseconds. */
static uint64_t *seconds_field(srv_opts_t *o, int c) {
    switch (c) {
    case O_CACHE_TTL:
        return &o->cache_ttl_ms;
    case O_HEADER_TIMEOUT:
        return &o->header_timeout_ms;
    case O_REQUEST_TIMEOUT:
        return &o->request_timeout_ms;
    case O_GRACE:
        return &o->shutdown_grace_ms;
    case O_TIMEOUT:
        return &o->fetch.timeout_ms;
    case O_CONNECT_TIMEOUT:
        return &o->fetch.connect_timeout_ms;
    default:
        return NULL;
    }
}

static size_t *count_field(srv_opts_t *o, int c) {
    switch (c) {
    case O_CACHE_SIZE:
        return &o->cache_bytes;
    case O_MAX_BODY:
        return &o->max_body;
    case O_MAX_JOB_URLS:
        return &o->max_job_urls;
    case O_MAX_JOBS:
        return &o->max_jobs;
    case O_JOBS_KEPT:
        return &o->jobs_kept;
    case O_MAX_CONN:
        return &o->max_connections;
    case 'c':
        return &o->fetch.concurrency;
    case O_PER_HOST:
        return &o->fetch.per_host;
    case O_MAX_BYTES:
        return &o->fetch.max_bytes;
    default:
        return NULL;
    }
}

static int take_number(srv_opts_t *o, int c, const char *arg) {
    double v;
    uint64_t *ms = seconds_field(o, c);
    size_t *n = count_field(o, c);
    if (ms) {
        if (num(arg, c == O_CACHE_TTL ? 0 : 0.001, 1e7, &v))
            return -1;
        *ms = (uint64_t)(v * 1000);
    } else if (n) {
        if (num(arg, c == O_CACHE_SIZE ? 0 : 1, 1e12, &v))
            return -1;
        *n = (size_t)v;
    } else if (c == O_RATE || c == O_HOST_INTERVAL) {
        if (num(arg, 0, 1e7, &v))
            return -1;
        if (c == O_RATE)
            o->fetch.rate = v;
        else
            o->fetch.host_interval_ms = (uint64_t)v;
    } else {
        if (num(arg, 0, 100, &v))
            return -1;
        if (c == O_RETRIES)
            o->fetch.retries = (int)v;
        else
            o->fetch.max_redirects = (int)v;
    }
    return 0;
}

static int take(srv_opts_t *o, int c, const char *arg) {
    switch (c) {
    case O_LISTEN:
        o->listen = arg;
        return 0;
    case O_TOKEN:
        o->token = *arg ? arg : NULL;
        return 0;
    case O_ALLOW_PRIVATE:
        o->allow_private = 1;
        return 0;
    case O_DATA_DIR:
        o->data_dir = arg;
        return 0;
    case O_DB:
        o->db = arg;
        return 0;
    case 'A':
        o->fetch.user_agent = arg;
        return 0;
    case 'q':
        o->quiet = 1;
        return 0;
    default:
        return take_number(o, c, arg);
    }
}

int srv_opts_parse(srv_opts_t *o, int argc, char **argv) {
    defaults(o);
    opterr = 0;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+c:A:qh", longopts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return -1;
        }
        if (c == '?' || c == ':' || take(o, c, optarg) != 0) {
            fprintf(stderr, "cafe serve: bad or missing value for option '%s'\n", argv[optind - 1]);
            fputs("Try 'cafe serve --help' for more information.\n", stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "cafe serve: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    o->fetch.no_private = !o->allow_private;
    o->fetch.fmt = RECORD_FMT_JSON;
    return 0;
}
