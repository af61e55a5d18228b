/* Options of `cafe serve`, as one table of the tool's option tables (src/cli/optab.h): the
 * parser and --help come from it. Fetching options mean what they mean for `cafe titles`. */
#include "serve.h"
#include "listen.h"
#include "srv.h"

#include "msg.h"
#include "proxyenv.h"
#include "sink_db.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define F(field) offsetof(srv_opts_t, field)
#define SECTION(title)                                                                             \
    { CLI_OPT_SECTION, title, 0, NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL }

/* --db, as cafe titles checks it, and a path after sqlite:. A bad or empty one (an unset
 * variable) was taken: the service started and every job failed ("database: no database
 * path"), and "sqlite:" kept the jobs in ".jobs" in the working directory. */
static const char *db_check(const char *v) {
    if (!sink_db_is_spec(v))
        return "expected sqlite:PATH or postgresql://...";
    const char *path = sink_db_sqlite_path(v);
    return path && !*path ? "no database path (sqlite:PATH)" : NULL;
}

/* --token (and CAFE_SERVE_TOKEN): a secret no client can send is a mistake to say at start.
 * Empty (`--token "$TOKEN"` with TOKEN unset) started a service open to every caller on
 * loopback, and on another address said "set --token" to a user who had; a space or tab at
 * either end (HTTP drops it from the header's value) or a control character (a CR from a
 * CRLF file: no header can carry it) made every API call 401. */
static const char *token_check(const char *v) {
    size_t n = strlen(v);
    if (n == 0)
        return "an empty secret (for none, leave --token out)";
    if (v[0] == ' ' || v[0] == '\t' || v[n - 1] == ' ' || v[n - 1] == '\t')
        return "a space at either end, which HTTP drops from the Authorization header";
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return "a control character, which no Authorization header can carry";
    return NULL;
}

/* --client-header: a header's name (RFC 9110's token): an empty one, or one with a space or
 * a colon, is in no request, and every client would be its peer's address, the proxy's. */
static const char *client_header_check(const char *v) {
    if (!*v)
        return "an empty header name";
    for (const char *p = v; *p; p++)
        if (!strchr("!#$%&'*+-.^_`|~", *p) && !(*p >= '0' && *p <= '9') &&
            !(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z'))
            return "not a header name (letters, digits and !#$%&'*+-.^_`|~, e.g. X-Real-IP)";
    return NULL;
}

static const cli_opt_t rows[] = {
    SECTION("Service"),
    {CLI_OPT_STRING, "listen", 0, "HOST:PORT", F(listen), 0, 0, 0, "127.0.0.1:8080", NULL,
     srv_listen_check,
     "address to bind; port 0 picks a free one (the first\nstdout line says "
     "`listening on http://HOST:PORT`)",
     NULL},
    {CLI_OPT_SECRET, "token", 0, "T", F(token), 0, 0, 0, NULL, "$CAFE_SERVE_TOKEN", token_check,
     "require `Authorization: Bearer T` on every API call;\nrequired to bind a non-loopback "
     "address",
     NULL},
    {CLI_OPT_FLAG, "allow-private", 0, NULL, F(allow_private), 0, 0, 1, NULL, NULL, NULL,
     "fetch private, loopback and link-local addresses too\n(refused by default: SSRF)",
     "Fetch private, loopback and link-local addresses too (refused by default: SSRF). With a\n"
     "proxy in the environment (http_proxy, https_proxy, all_proxy) the check could see only\n"
     "the proxy's address, so the service refuses to start without this option, unless\n"
     "no_proxy='*' sends the requests direct."},
    {CLI_OPT_STRING, "data-dir", 0, "DIR", F(data_dir), 0, 0, 0, NULL, NULL, cli_name_check,
     "keep jobs in DIR: they survive a restart and unfinished\nones resume (default: "
     "PATH.jobs with --db sqlite:PATH,\nelse temporary files, lost at exit); one service\n"
     "at a time",
     NULL},
    {CLI_OPT_SECRET, "db", 0, "SPEC", F(db), 0, 0, 0, NULL, NULL, db_check,
     "also write every job's records to a database:\nsqlite:PATH or postgresql://... (one "
     "run per job);\nwith SQLite, jobs are kept in PATH.jobs unless\n--data-dir; checked "
     "at start, as cafe titles --db",
     "Also write every job's records to a database: sqlite:PATH or postgresql://... (one\n"
     "run per job, as cafe titles --db writes one). With SQLite, jobs are kept in PATH.jobs\n"
     "unless --data-dir. It is checked at start as cafe titles checks it: connected, its\n"
     "tables checked (missing ones made), no run begun; one no job could write (the server\n"
     "down, a wrong login, no such database, a file of another program's, a table of other\n"
     "columns, a read-only database) is refused, exit 2. One that fails later stops each\n"
     "job it fails (cancelled, its error saying why, on stderr too)."},
    {CLI_OPT_FLAG, "quiet", 'q', NULL, F(quiet), 0, 0, 1, NULL, NULL, NULL,
     "no log on stderr (errors are still said)", NULL},
    SECTION("Cache of GET /v1/title"),
    {CLI_OPT_SECONDS, "cache-ttl", 0, "S", F(cache_ttl_ms), 0, 1e7, 0, "300", NULL, NULL,
     "seconds a fetched title is served from memory", NULL},
    {CLI_OPT_SIZE, "cache-size", 0, "BYTES", F(cache_bytes), 0, 1e12, 0, "67108864", NULL, NULL,
     "memory for cached titles", NULL},
    SECTION("Limits"),
    /* At most 4 GiB - 1: a job's list (at most the body's bytes plus one) is indexed with
     * 32-bit offsets (job.h), half the index's memory of 64-bit ones. */
    {CLI_OPT_SIZE, "max-body", 0, "BYTES", F(max_body), 1, 4294967295.0, 0, "16777216", NULL, NULL,
     "request body limit (at most 4294967295)", NULL},
    {CLI_OPT_SIZE, "max-job-urls", 0, "N", F(max_job_urls), 1, 1e9, 0, "100000", NULL, NULL,
     "URLs per job", NULL},
    {CLI_OPT_SIZE, "max-jobs", 0, "N", F(max_jobs), 1, 1e6, 0, "4", NULL, NULL,
     "jobs running at once, resumed ones too: a restart\nqueues the rest (the lists being "
     "received share N\ntimes --max-body of memory)",
     NULL},
    {CLI_OPT_SIZE, "max-client-jobs", 0, "N", F(max_client_jobs), 1, 1e6, 0, NULL,
     "--max-jobs less one", NULL,
     "jobs one client may have running or queued, so that\nno client takes every slot of "
     "--max-jobs",
     "Jobs one client may have running or queued at once, so that a client posting list after\n"
     "list cannot take every slot of --max-jobs and have every other client refused until its\n"
     "jobs are over: its next job is refused (429, Retry-After) while the others are served\n"
     "(with --max-jobs 1 the default is 1). A client is the peer's address (an IPv6 one by its\n"
     "/64), or with --client-header the address a reverse proxy names."},
    {CLI_OPT_SIZE, "max-client-lookups", 0, "N", F(max_client_lookups), 1, 1e6, 0, NULL,
     "half of -c", NULL,
     "title lookups one client may have fetching at once\n(cache misses; hits and waits for "
     "a fetch under way\nare free)",
     "Title lookups one client may have fetching at once (default: half of -c, at least 1):\n"
     "cache misses, each a fetch; hits, and lookups that wait for a fetch already under way,\n"
     "are free. Past it a miss is refused (429, Retry-After: 1), so that one client's\n"
     "lookups of pages that answer slowly or never cannot hold every transfer slot while\n"
     "every other client's lookups wait behind them. A client is as for --max-client-jobs."},
    {CLI_OPT_STRING, "client-header", 0, "NAME", F(client_header), 0, 0, 0, NULL, NULL,
     client_header_check,
     "behind a reverse proxy: the header that names the\nclient (X-Real-IP, X-Forwarded-For: "
     "its last\naddress), for --max-client-jobs,\n--max-client-lookups and --jobs-kept",
     "Behind a reverse proxy, whose address every request comes from: the header it names the\n"
     "client in, for --max-client-jobs, --max-client-lookups and --jobs-kept (nginx:\n"
     "proxy_set_header X-Real-IP $remote_addr, then --client-header X-Real-IP).\n"
     "Of X-Forwarded-For, which the client may start itself, the last address is taken: the\n"
     "one the proxy appended. Give it only when every request comes\n"
     "through that proxy: a client that reaches the service directly could name any client\n"
     "it likes. A request without the header is its peer's. An address with a port, as some\n"
     "proxies write it (192.0.2.1:4711, [2001:db8::1]:443), is its address."},
    {CLI_OPT_SIZE, "jobs-kept", 0, "N", F(jobs_kept), 1, 1e6, 0, "64", NULL, NULL,
     "jobs kept for their results (the oldest finished go,\nthose of the client posting a new one "
     "first)",
     NULL},
    {CLI_OPT_SIZE, "max-connections", 0, "N", F(max_connections), 1, 1e6, 0, "1024", NULL, NULL,
     "client connections at once", NULL},
    {CLI_OPT_SIZE, "max-client-connections", 0, "N", F(max_client_connections), 1, 1e6, 0, NULL,
     "a quarter of --max-connections", NULL,
     "connections one client address may hold at once (an\nIPv6 one by its /64), so that "
     "none takes them all",
     "Connections one peer address may hold open at once (an IPv6 one by its /64; default: a\n"
     "quarter of --max-connections, at least 1, and with --client-header all of them, as\n"
     "every request comes from the proxy). One more is closed as soon as it is accepted,\n"
     "as one past --max-connections is, so that one address opening connection after\n"
     "connection cannot take every one and shut every other client out."},
    {CLI_OPT_SECONDS, "header-timeout", 0, "S", F(header_timeout_ms), 0.001, 1e6, 0, "10", NULL,
     NULL, "a request's head must arrive within S seconds", NULL},
    {CLI_OPT_SECONDS, "request-timeout", 0, "S", F(request_timeout_ms), 0.001, 1e6, 0, "30", NULL,
     NULL, "its body within S seconds more, a second more for\neach 8 KiB of it that comes", NULL},
    {CLI_OPT_SECONDS, "shutdown-grace", 0, "S", F(shutdown_grace_ms), 0, 1e6, 0, "10", NULL, NULL,
     "on SIGINT/SIGTERM/SIGHUP, jobs may run S seconds more", NULL},
    {CLI_OPT_SECONDS, "sse-ping", 0, "S", F(sse_ping_ms), 0, 1e6, 0, "15", NULL, NULL,
     "a results stream (SSE) waiting for a record gets a\ncomment every S seconds, so that "
     "proxies keep it\n(0: none)",
     NULL},
    SECTION("Fetching (as cafe titles)"),
    {CLI_OPT_SIZE, "concurrency", 'c', "N", F(fetch.concurrency), 1, 100000, 0, "100", NULL, NULL,
     "URLs in flight at once, over every request and job", NULL},
    {CLI_OPT_SIZE, "per-host", 0, "N", F(fetch.per_host), 1, 100000, 0, "8", NULL, NULL,
     "connections per host", NULL},
    {CLI_OPT_REAL, "rate", 0, "N", F(fetch.rate), 0.001, 1e6, 0, NULL, "unlimited", NULL,
     "at most N requests per second overall", NULL},
    {CLI_OPT_MS, "host-interval", 0, "MS", F(fetch.host_interval_ms), 0, 1e7, 0, "0", NULL, NULL,
     "least time between two requests to one host", NULL},
    {CLI_OPT_SECONDS, "timeout", 0, "S", F(fetch.timeout_ms), 0.001, 1e6, 0, "15", NULL, NULL,
     "time limit of one attempt, in seconds", CLI_TIMEOUT_HELP},
    {CLI_OPT_SECONDS, "connect-timeout", 0, "S", F(fetch.connect_timeout_ms), 0.001, 1e6, 0, "5",
     NULL, NULL, "time limit of a connection's setup, in seconds", NULL},
    {CLI_OPT_INT, "retries", 0, "N", F(fetch.retries), 0, 100, 0, "2", NULL, NULL,
     "extra attempts after the first", NULL},
    {CLI_OPT_INT, "max-redirects", 0, "N", F(fetch.max_redirects), 0, 1000, 0, "20", NULL, NULL,
     "redirects followed at most (0: none)", NULL},
    {CLI_OPT_SIZE, "max-bytes", 0, "N", F(fetch.max_bytes), 1, 1e12, 0, "2097152", NULL, NULL,
     "body bytes read at most", NULL},
    {CLI_OPT_STRING, "user-agent", 'A', "S", F(fetch.user_agent), 0, 0, 0, NULL,
     "cafe/" CAFE_VERSION_STRING, cli_wire_check, "the User-Agent header ('': none, as curl -A '')",
     NULL},
    {CLI_OPT_STRING, "cacert", 0, "FILE", F(fetch.ca_file), 0, 0, 0, NULL, NULL, cli_cacert_check,
     "trust the CAs in FILE (PEM) instead of the system's.\nDefault: curl's variables "
     "CURL_CA_BUNDLE, SSL_CERT_DIR,\nSSL_CERT_FILE",
     "Trust the CAs in FILE (PEM) instead of the system's. Without it and --capath, the CAs\n"
     "of curl's variables CURL_CA_BUNDLE, else SSL_CERT_DIR and SSL_CERT_FILE, when set (see\n"
     "ENVIRONMENT), as for cafe titles."},
    {CLI_OPT_STRING, "capath", 0, "DIR", F(fetch.ca_path), 0, 0, 0, NULL, NULL, cli_capath_check,
     "trust the CAs in DIR too (hashed; DIR:DIR...), as\ncafe titles --capath", NULL},
    {CLI_OPT_HELP, "help", 'h', NULL, 0, 0, 0, 0, NULL, NULL, NULL, "print this help", NULL},
    {CLI_OPT_VERSION, "version", 0, NULL, 0, 0, 0, 0, NULL, NULL, NULL, "print the version", NULL},
};

const cli_optab_t srv_optab = {
    "serve",
    "serve [OPTIONS]\n",
    "A title service: an HTTP API and a web page, on one cafe loop (docs/serve.md).\n",
    "SIGINT/SIGTERM/SIGHUP: stop accepting, let jobs run --shutdown-grace, keep\n"
    "finished records, exit 0. Exit 2: a usage error, an address that cannot be\n"
    "bound, or a set-up that failed (a message says which).\n",
    rows,
    sizeof rows / sizeof rows[0],
    NULL,
};

/* --db sqlite:PATH without --data-dir: the jobs' files go beside the database, in PATH.jobs,
 * so that the database alone is enough for a restart to resume unfinished jobs. (PostgreSQL
 * lives elsewhere: without --data-dir its jobs stay in temporary files.) 0, or 2 after a
 * usage error. */
static int jobs_beside_db(srv_opts_t *o) {
    const char *path = sink_db_is_spec(o->db) ? sink_db_sqlite_path(o->db) : NULL;
    if (!path)
        return 0;
    size_t n = sink_db_sqlite_path_len(o->db); /* ?table=NAME is the sink's; a '?' may be the
                                                * file's ("a?b.db" and "a?c.db": two dirs) */
    if (n + sizeof ".jobs" > sizeof o->jobs_dir) {
        fprintf(stderr, "cafe serve: --db: the path is too long\n");
        return 2;
    }
    snprintf(o->jobs_dir, sizeof o->jobs_dir, "%.*s.jobs", (int)n, path);
    o->data_dir = o->jobs_dir;
    return 0;
}

/* curl's proxy variables: with private addresses refused (the default) none may be set, as
 * the check would see the proxy's address only (a hole, or every URL refused); with
 * --allow-private a bad one is refused as cafe titles refuses it: it was taken, and every
 * title then failed as a DNS error after its retries. */
static int proxy_env_check(const srv_opts_t *o) {
    const char *via = o->fetch.no_private ? proxy_env_in_use() : NULL;
    if (via) {
        fprintf(stderr,
                "cafe serve: %s is set, and private addresses (refused by default) cannot be "
                "checked through a proxy, which connects for cafe: unset it, set no_proxy='*' "
                "to go direct, or give --allow-private\n",
                via);
        return 2;
    }
    const char *name;
    char *shown;
    const char *why = cli_proxy_env_bad(&name, &shown);
    if (why) {
        fprintf(stderr, "cafe serve: %s: %s: %s (curl's proxy variable)\n", name, why,
                shown ? msg_quote(shown) : "***");
        free(shown);
        return 2;
    }
    return 0;
}

int srv_opts_parse(srv_opts_t *o, int argc, char **argv) {
    memset(o, 0, sizeof(*o));
    size_t nops;
    int rc = cli_optab_parse(&srv_optab, o, argc, argv, 1, NULL, 0, &nops, NULL);
    if (rc != 0)
        return rc;
    /* Each --token given was checked by its row (a SECRET: no message shows it); the
     * variable is checked here. */
    const char *env = getenv("CAFE_SERVE_TOKEN"), *from = "--token";
    if (!o->token && env && *env) { /* empty: unset, as for the proxy variables */
        o->token = env;
        from = "CAFE_SERVE_TOKEN";
    }
    const char *why = o->token ? token_check(o->token) : NULL;
    if (why) {
        fprintf(stderr, "cafe serve: %s: %s\n", from, why);
        return 2;
    }
    if (o->max_client_jobs == 0) /* the default: one slot stays for the other clients */
        o->max_client_jobs = o->max_jobs > 1 ? o->max_jobs - 1 : 1;
    if (o->max_client_lookups == 0) /* the default: half of the transfers stay for others */
        o->max_client_lookups = o->fetch.concurrency > 1 ? o->fetch.concurrency / 2 : 1;
    if (o->max_client_connections == 0) /* the default: three quarters stay for others */
        o->max_client_connections = o->client_header         ? o->max_connections
                                    : o->max_connections > 4 ? o->max_connections / 4
                                                             : 1;
    if (!o->data_dir && o->db && jobs_beside_db(o) != 0)
        return 2;
    cli_ca_env_read("serve", &o->fetch);
    o->fetch.no_private = !o->allow_private;
    if (proxy_env_check(o) != 0)
        return 2;
    o->fetch.scheme = "https";
    o->fetch.fmt = RECORD_FMT_JSON;
    return 0;
}
