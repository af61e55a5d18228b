#include "opts.h"
#include "cafe.h"
#include "sink_db.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_usage_titles(FILE *f) {
    fputs(
        "Usage: cafe titles [OPTIONS] [FILE|-]\n"
        "Fetch the <title> of every URL in FILE (one per line; default stdin).\n"
        "\n"
        "Output:\n"
        "  (default)              'Title' from URL / Error fetching URL: message, in input order\n"
        "      --json             JSON Lines: url, final_url, status, title, content_type,\n"
        "                         charset, bytes, time_ms, attempts, error\n"
        "      --csv              RFC 4180 CSV with a header row (same columns)\n"
        "  -o, --output FILE      write results to FILE (flushed after every record)\n"
        "      --unordered        write results as they complete, not in input order\n"
        "      --resume           with -o: skip URLs FILE already holds, append the rest;\n"
        "                         with a database: continue its latest run\n"
        "      --db SPEC          write to a database instead: sqlite:PATH or\n"
        "                         postgresql://[USER@]HOST[:PORT]/DB[?table=NAME] (password\n"
        "                         from PGPASSWORD or ~/.pgpass); -o PATH.sqlite|.sqlite3|.db\n"
        "                         is sqlite:PATH\n"
        "  -q, --quiet            no progress line and no summary on stderr\n"
        "      --fail             exit 1 when any URL failed\n"
        "\n"
        "Fetching:\n"
        "  -c, --concurrency N    URLs in flight at once (default 100)\n"
        "      --per-host N       connections per host (default 8)\n"
        "      --rate N           at most N requests per second overall (default unlimited)\n"
        "      --host-interval MS minimum gap between requests to one host (default 0)\n"
        "      --sync             one URL at a time, each waiting for the one before\n"
        "      --drain            on Ctrl-C, let URLs in flight finish\n"
        "      --timeout S        per attempt (default 15)\n"
        "      --connect-timeout S  (default 5)\n"
        "      --retries N        extra attempts after the first (default 2: 3 in all)\n"
        "      --max-redirects N  (default 10)\n"
        "      --max-bytes N      body bytes read at most (default 2097152; the download\n"
        "                         stops earlier once the title is complete)\n"
        "  -H, --header LINE      extra request header, e.g. 'Accept-Language: en'\n"
        "  -A, --user-agent S     (default cafe/" CAFE_VERSION_STRING ")\n"
        "  -k, --insecure         do not verify TLS certificates\n"
        "      --cacert FILE      trust the CAs in FILE\n"
        "      --resolve H:P:ADDR pin HOST:PORT to ADDR, as curl's --resolve\n"
        "      --scheme S         scheme for bare hosts: https (default) or http\n"
        "      --no-private       refuse to connect to private, loopback and link-local\n"
        "                         addresses (checked after DNS and on every redirect)\n"
        "\n"
        "Shared queue (many workers, many machines; see cafe queue --help):\n"
        "      --queue REDIS_URL  take URLs from the queue redis://[USER:PASS@]HOST[:PORT]\n"
        "                         [/DB]?queue=NAME and append each record (JSON) to its\n"
        "                         results; exits when the queue is empty\n"
        "      --lease S          a URL taken is another worker's after S seconds without\n"
        "                         renewal (default 60; live workers renew)\n"
        "      --follow           with --queue: wait for more URLs instead of exiting\n"
        "\n"
        "Exit: 0 done (failed URLs are results), 1 with --fail if any failed, 2 usage or\n"
        "input error, 130 interrupted (Ctrl-C: finished records are written; --resume\n"
        "continues).\n",
        f);
}

static int num(const char *s, double min, double max, double *out) {
    char *end;
    double v = strtod(s, &end);
    /* Written so that NaN ("nan" parses) fails too: converting it to an integer is UB. */
    if (end == s || *end || !(v >= min && v <= max))
        return -1;
    *out = v;
    return 0;
}

enum {
    OPT_JSON = 256,
    OPT_CSV,
    OPT_UNORDERED,
    OPT_RESUME,
    OPT_FAIL,
    OPT_PER_HOST,
    OPT_RATE,
    OPT_HOST_INTERVAL,
    OPT_SYNC,
    OPT_DRAIN,
    OPT_TIMEOUT,
    OPT_CONNECT_TIMEOUT,
    OPT_RETRIES,
    OPT_MAX_REDIRECTS,
    OPT_MAX_BYTES,
    OPT_CACERT,
    OPT_RESOLVE,
    OPT_SCHEME,
    OPT_HELP,
    OPT_VERSION,
    OPT_NO_PRIVATE,
    OPT_QUEUE,
    OPT_LEASE,
    OPT_FOLLOW,
    OPT_DB
};

static const struct option longopts[] = {
    {"json", no_argument, 0, OPT_JSON},
    {"csv", no_argument, 0, OPT_CSV},
    {"output", required_argument, 0, 'o'},
    {"unordered", no_argument, 0, OPT_UNORDERED},
    {"resume", no_argument, 0, OPT_RESUME},
    {"quiet", no_argument, 0, 'q'},
    {"fail", no_argument, 0, OPT_FAIL},
    {"concurrency", required_argument, 0, 'c'},
    {"per-host", required_argument, 0, OPT_PER_HOST},
    {"rate", required_argument, 0, OPT_RATE},
    {"host-interval", required_argument, 0, OPT_HOST_INTERVAL},
    {"sync", no_argument, 0, OPT_SYNC},
    {"drain", no_argument, 0, OPT_DRAIN},
    {"timeout", required_argument, 0, OPT_TIMEOUT},
    {"connect-timeout", required_argument, 0, OPT_CONNECT_TIMEOUT},
    {"retries", required_argument, 0, OPT_RETRIES},
    {"max-redirects", required_argument, 0, OPT_MAX_REDIRECTS},
    {"max-bytes", required_argument, 0, OPT_MAX_BYTES},
    {"header", required_argument, 0, 'H'},
    {"user-agent", required_argument, 0, 'A'},
    {"insecure", no_argument, 0, 'k'},
    {"cacert", required_argument, 0, OPT_CACERT},
    {"resolve", required_argument, 0, OPT_RESOLVE},
    {"scheme", required_argument, 0, OPT_SCHEME},
    {"no-private", no_argument, 0, OPT_NO_PRIVATE},
    {"queue", required_argument, 0, OPT_QUEUE},
    {"lease", required_argument, 0, OPT_LEASE},
    {"follow", no_argument, 0, OPT_FOLLOW},
    {"db", required_argument, 0, OPT_DB},
    {"help", no_argument, 0, OPT_HELP},
    {"version", no_argument, 0, OPT_VERSION},
    {0, 0, 0, 0},
};

static int usage_error(const char *what, const char *arg) {
    fprintf(stderr, "cafe titles: %s%s%s\nTry 'cafe titles --help' for more information.\n", what,
            arg ? ": " : "", arg ? arg : "");
    return 2;
}

static void defaults(cli_opts_t *o) {
    memset(o, 0, sizeof(*o));
    o->input = "-";
    o->fmt = RECORD_FMT_TEXT;
    o->concurrency = 100;
    o->per_host = 8;
    o->timeout_ms = 15000;
    o->connect_timeout_ms = 5000;
    o->attempts = 3;
    o->max_redirects = 10;
    o->max_bytes = 2u << 20;
    o->scheme = "https";
    o->lease_ms = 60000;
}

/* One option with a numeric or list argument; 0 or a usage error (2). */
static int set_value(cli_opts_t *o, int c, const char *arg) {
    double v;
    switch (c) {
    case 'c':
    case OPT_PER_HOST:
        if (num(arg, 1, 100000, &v))
            return usage_error("expected a number from 1 to 100000", arg);
        *(c == 'c' ? &o->concurrency : &o->per_host) = (size_t)v;
        return 0;
    case OPT_LEASE:
        if (num(arg, 1, 86400, &v))
            return usage_error("--lease wants seconds from 1 to 86400", arg);
        o->lease_ms = (uint64_t)(v * 1000);
        return 0;
    case OPT_RATE:
    case OPT_TIMEOUT:
    case OPT_CONNECT_TIMEOUT:
        if (num(arg, c == OPT_RATE ? 0 : 0.001, 1e6, &v))
            return usage_error("expected a positive number", arg);
        if (c == OPT_RATE)
            o->rate = v;
        else
            *(c == OPT_TIMEOUT ? &o->timeout_ms : &o->connect_timeout_ms) = (uint64_t)(v * 1000);
        return 0;
    case OPT_HOST_INTERVAL:
    case OPT_RETRIES:
    case OPT_MAX_REDIRECTS:
    case OPT_MAX_BYTES:
        if (num(arg, 0, c == OPT_MAX_BYTES ? 1e12 : 1e7, &v))
            return usage_error("expected a whole number", arg);
        if (c == OPT_HOST_INTERVAL)
            o->host_interval_ms = (uint64_t)v;
        else if (c == OPT_RETRIES)
            o->attempts = 1 + (int)v;
        else if (c == OPT_MAX_REDIRECTS)
            o->max_redirects = (int)v;
        else
            o->max_bytes = v < 1 ? 1 : (size_t)v;
        return 0;
    case 'H':
    case OPT_RESOLVE: {
        size_t *n = c == 'H' ? &o->nheaders : &o->nresolve;
        const char **list = c == 'H' ? o->headers : o->resolve;
        if (*n == CLI_MAX_LIST)
            return usage_error("too many -H/--resolve options", NULL);
        if (c == OPT_RESOLVE && !strchr(arg, ':'))
            return usage_error("--resolve wants HOST:PORT:ADDRESS", arg);
        list[(*n)++] = arg;
        return 0;
    }
    default:
        return usage_error("unknown option", NULL);
    }
}

/* --queue: records are JSON in Redis, in completion order; input and output are the queue. */
static int queue_opts(cli_opts_t *o, int input_given) {
    if (!o->queue)
        return usage_error("--follow needs --queue", NULL);
    if (input_given || o->output || o->resume || o->fmt == RECORD_FMT_CSV)
        return usage_error("--queue takes the URLs from Redis and writes the records there "
                           "(no FILE, -o, --resume or --csv; see cafe queue results)",
                           NULL);
    o->fmt = RECORD_FMT_JSON;
    o->unordered = 1;
    return 0;
}

int cli_opts_parse(cli_opts_t *o, int argc, char **argv) {
    defaults(o);
    o->argc = argc;
    o->argv = argv;
    opterr = 0;
    /* 0, not 1: glibc then also forgets the rest of a cluster ("-q-k") an earlier parse
     * stopped in, which would otherwise be read from that earlier argv. */
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":o:qc:H:A:k", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_JSON:
            o->fmt = RECORD_FMT_JSON;
            break;
        case OPT_CSV:
            o->fmt = RECORD_FMT_CSV;
            break;
        case 'o':
            o->output = optarg;
            break;
        case OPT_UNORDERED:
            o->unordered = 1;
            break;
        case OPT_RESUME:
            o->resume = 1;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case OPT_FAIL:
            o->fail = 1;
            break;
        case OPT_SYNC:
            o->sync = 1;
            break;
        case OPT_DRAIN:
            o->drain = 1;
            break;
        case 'A':
            o->user_agent = optarg;
            break;
        case 'k':
            o->insecure = 1;
            break;
        case OPT_NO_PRIVATE:
            o->no_private = 1;
            break;
        case OPT_CACERT:
            o->ca_file = optarg;
            break;
        case OPT_SCHEME:
            if (strcmp(optarg, "http") && strcmp(optarg, "https"))
                return usage_error("--scheme must be http or https", optarg);
            o->scheme = optarg;
            break;
        case OPT_QUEUE:
            o->queue = optarg;
            break;
        case OPT_FOLLOW:
            o->follow = 1;
            break;
        case OPT_DB:
            if (!sink_db_is_spec(optarg))
                return usage_error("--db wants sqlite:PATH or postgresql://...", optarg);
            o->db = optarg;
            break;
        case OPT_HELP:
            cli_usage_titles(stdout);
            return -1;
        case OPT_VERSION:
            printf("cafe %s\n", CAFE_VERSION_STRING);
            return -1;
        case ':':
            return usage_error("option needs a value", argv[optind - 1]);
        case '?':
            return usage_error("unknown option", argv[optind - 1]);
        default: {
            int rc = set_value(o, c, optarg);
            if (rc)
                return rc;
        }
        }
    }
    int input_given = optind < argc;
    if (optind < argc)
        o->input = argv[optind++];
    if (optind < argc)
        return usage_error("more than one input file", argv[optind]);
    if (o->output && sink_db_is_spec(o->output)) { /* -o results.sqlite */
        if (o->db)
            return usage_error("-o names a database and --db another", o->output);
        o->db = o->output;
        o->output = NULL;
    }
    if (o->db && (o->output || o->fmt != RECORD_FMT_TEXT || o->queue))
        return usage_error("--db replaces -o FILE, --json, --csv and --queue", NULL);
    if (o->resume && !o->output && !o->db)
        return usage_error("--resume needs -o FILE", NULL);
    if (o->resume && !o->db && o->fmt == RECORD_FMT_TEXT)
        return usage_error("--resume needs --json or --csv output", NULL);
    if (o->sync)
        o->concurrency = 1;
    return o->queue || o->follow ? queue_opts(o, input_given) : 0;
}
