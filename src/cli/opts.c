/* `cafe titles`'s option table, the checks of values sent on the wire, and the checks that
 * involve several options. */
#include "opts.h"
#include "ascii.h"
#include "cafe.h"
#include "dbopts.h"
#include "input.h"
#include "msg.h"
#include "port.h"
#include "proxyenv.h"
#include "redis.h"
#include "sink_db.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

_Static_assert(sizeof(record_format_t) == sizeof(int), "--json/--csv store the format as an int");

/* ---- checks of single values -------------------------------------------------------------- */

/* A value sent on the wire: a CR or LF would end the header line and start another. */
static const char *wire_check(const char *v) {
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 && *p != '\t')
            return "control characters (CR, LF...) are not allowed";
    return NULL;
}

const char *cli_wire_check(const char *value) {
    return wire_check(value);
}

/* "Name: value", "Name:" (curl: remove the header) or "Name;" (curl: send it empty). Why
 * not names the header when it has a name, never its value (a row of secrets: a token). */
static const char *header_check(const char *v) {
    static char named[160]; /* the parse is one thread's, once */
    size_t name = strcspn(v, ":; \t");
    const char *why = wire_check(v);
    if (!why && (name == 0 || (v[name] != ':' && !(v[name] == ';' && v[name + 1] == '\0'))))
        why = "expected 'Name: value' (or 'Name:' to remove a header)";
    if (!why || name == 0 || name > 64 || (v[name] != ':' && v[name] != ';'))
        return why;
    for (size_t i = 0; i < name; i++)
        if ((unsigned char)v[i] <= ' ' || (unsigned char)v[i] >= 0x7f) /* no token: unshown */
            return why;
    snprintf(named, sizeof named, "%s (header %.*s)", why, (int)name, v);
    return named;
}

static int address_ok(const char *a, size_t len) {
    char buf[64];
    unsigned char bin[16];
    if (len >= 2 && a[0] == '[' && a[len - 1] == ']')
        a++, len -= 2;
    if (len == 0 || len >= sizeof buf)
        return 0;
    memcpy(buf, a, len);
    buf[len] = '\0';
    return inet_pton(AF_INET, buf, bin) == 1 || inet_pton(AF_INET6, buf, bin) == 1;
}

/* --resolver: IP, IP:PORT, or [IPv6]:PORT. */
static const char *resolver_check(const char *v) {
    static const char *const form = "expected IP, IP:PORT or [IPv6]:PORT";
    const char *end = v[0] == '[' ? strchr(v, ']') : NULL;
    const char *port = end ? (end[1] == ':' ? end + 2
                              : end[1]      ? v
                                            : NULL)
                       : strchr(v, ':') == strrchr(v, ':') && strchr(v, ':') ? strchr(v, ':') + 1
                                                                             : NULL;
    size_t len = end ? (size_t)(end - v) + 1 : port ? (size_t)(port - v) - 1 : strlen(v);
    if (port == v || !address_ok(v, len))
        return form;
    return port && port_parse(port, strlen(port)) < 1 ? form : NULL;
}

/* A --resolve entry is matched against the name requests look up, an international one in
 * its ASCII form: "bücher.example" never matched, and its URLs went to the real DNS name
 * instead of the address pinned. Why, naming the form to write; NULL for an ASCII host. */
static const char *resolve_host_check(const char *host, size_t len) {
    static char why[320];
    size_t ascii = 0;
    while (ascii < len && (unsigned char)host[ascii] < 0x80)
        ascii++;
    if (ascii == len)
        return NULL;
    char url[300], *ace = NULL;
    CURLU *u = curl_url();
    snprintf(why, sizeof why, "an international host name must be written in ASCII (IDNA)");
    int fits = len < sizeof url - 9; /* "http://" and "/" */
    if (fits)
        snprintf(url, sizeof url, "http://%.*s/", (int)len, host);
    if (u && fits && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &ace, CURLU_PUNYCODE) == CURLUE_OK)
        snprintf(why, sizeof why, "write the host in its ASCII form, as requests look it up: %s",
                 ace);
    curl_free(ace);
    curl_url_cleanup(u);
    return why;
}

/* curl's HOST:PORT:ADDRESS[,ADDRESS...], numeric addresses, a port from 1 to 65535. */
static const char *resolve_check(const char *v) {
    static const char *const form = "expected HOST:PORT:ADDRESS[,ADDRESS...]";
    const char *c1 = strchr(v, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    size_t digits = c1 && c2 ? (size_t)(c2 - c1 - 1) : 0;
    if (!c1 || c1 == v || !c2 || digits == 0 || digits > 5 || wire_check(v) ||
        strspn(c1 + 1, "0123456789") < digits)
        return form;
    if (port_parse(c1 + 1, digits) < 1)
        return "the port must be from 1 to 65535";
    const char *why = resolve_host_check(v, (size_t)(c1 - v));
    if (why)
        return why;
    for (const char *a = c2 + 1;;) {
        size_t len = strcspn(a, ",");
        if (!address_ok(a, len))
            return "each ADDRESS must be a numeric IPv4 or IPv6 address";
        if (!a[len])
            return NULL;
        a += len + 1;
    }
}

/* -u: a file's blank and # lines are skipped, but a -u that says nothing is a mistake, most
 * often an empty variable (-u "$URL"): taken, it was skipped too and the run did nothing,
 * with exit status 0 (curl "" refuses it). Blanks around the URL are trimmed as a line's. */
static const char *url_arg_check(const char *v) {
    size_t start, kept = input_line_trim(v, strlen(v), &start);
    if (!kept)
        return "empty, blank or a # comment";
    /* A line break inside: a list in one -u (-u "$(cat list)"), which made one bad record,
     * and a CSV record over two lines that --resume then refused as no record. */
    if (memchr(v + start, '\n', kept) || memchr(v + start, '\r', kept))
        return "a line break: one URL per -u (a list goes in a FILE or on standard input)";
    return NULL;
}

/* -o and --data-dir: an empty name, most often an unset variable (-o "$OUT"), was taken and
 * failed at its open, "cannot open '': No such file or directory" (serve: "cannot create :"),
 * naming neither the option nor the mistake. */
const char *cli_name_check(const char *v) {
    return *v ? NULL : "empty (an unset variable?)";
}

/* Checked now rather than failing every URL later. */
static const char *file_check(const char *v) {
    struct stat st;
    if (stat(v, &st) != 0)
        return "no such file";
    if (S_ISDIR(st.st_mode))
        return "is a directory";
    FILE *f = fopen(v, "r");
    if (!f)
        return "cannot be read";
    fclose(f);
    return NULL;
}

/* Does f hold a PEM certificate (BEGIN CERTIFICATE, TRUSTED CERTIFICATE or X509
 * CERTIFICATE, as OpenSSL reads a CA file)? Read in chunks, each search overlapping the
 * last one by a marker's length less one. */
static int has_pem_certificate(FILE *f) {
    static const char *const marks[] = {"-----BEGIN CERTIFICATE-----",
                                        "-----BEGIN TRUSTED CERTIFICATE-----",
                                        "-----BEGIN X509 CERTIFICATE-----"};
    enum { KEEP = 40 }; /* longer than any marker */
    char buf[65536 + 1];
    size_t kept = 0, n;
    while ((n = fread(buf + kept, 1, sizeof buf - 1 - kept, f)) > 0) {
        size_t len = kept + n;
        buf[len] = '\0';
        for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
            for (const char *p = buf; (p = memchr(p, '-', (size_t)(buf + len - p))) != NULL; p++)
                if (strncmp(p, marks[i], strlen(marks[i])) == 0)
                    return 1;
        kept = len < KEEP ? len : KEEP;
        memmove(buf, buf + len - kept, kept);
    }
    return 0;
}

/* --cacert: a readable file holding a certificate. A key file given by mistake, a DER file
 * or an empty one was taken, then every HTTPS URL failed ("cannot load the CA
 * certificates") and the run exited 0. */
const char *cli_cacert_check(const char *v) {
    const char *why = file_check(v);
    if (why)
        return why;
    FILE *f = fopen(v, "rb");
    if (!f)
        return "cannot be read";
    int pem = has_pem_certificate(f);
    fclose(f);
    return pem ? NULL : "no PEM certificate (BEGIN CERTIFICATE) in it";
}

/* The first of the directories v names (separated by ':', as OpenSSL reads them) that is
 * not there, copied into bad (cap bytes): why; NULL when each one is there. */
static const char *dirs_check(const char *v, char *bad, size_t cap) {
    struct stat st;
    for (const char *p = v;; p++) {
        size_t len = strcspn(p, ":");
        snprintf(bad, cap, "%.*s", (int)(len < cap ? len : cap - 1), p);
        if (len >= cap)
            return "a directory name too long";
        if (len && stat(bad, &st) != 0)
            return "no such directory";
        if (len && !S_ISDIR(st.st_mode))
            return "not a directory";
        p += len;
        if (!*p)
            return NULL;
    }
}

/* --capath: each directory there (OpenSSL skips one that is not, and the CAs meant to be
 * trusted would be missing from every run). None at all ('' or ':', an unset variable in
 * --capath "$DIR") was taken: every HTTPS URL then failed ("cannot load the CA
 * certificates: error setting certificate path"), with exit status 0, as curl's tool fails
 * it (77); refused at start, as --cacert '' is. */
const char *cli_capath_check(const char *v) {
    char bad[4096];
    if (v[strspn(v, ":")] == '\0')
        return "no directory";
    return dirs_check(v, bad, sizeof bad);
}

/* -x: [SCHEME://][USER:PASSWORD@]HOST[:PORT] in a scheme libcurl proxies with (http when
 * none), or '' for none. A bad one was taken, then every URL failed ("Unsupported proxy
 * syntax") and the run exited 0; curl -x refuses it at once. */
static const char *proxy_check(const char *v) {
    static const char *const schemes[] = {"http",    "https",  "socks4",
                                          "socks4a", "socks5", "socks5h"};
    const char *why = wire_check(v);
    if (why || !*v)
        return why;
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    why = "expected [SCHEME://][USER:PASSWORD@]HOST[:PORT]";
    if (u &&
        curl_url_set(u, CURLUPART_URL, v, CURLU_DEFAULT_SCHEME | CURLU_NON_SUPPORT_SCHEME) ==
            CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host[0]) {
        why = "the scheme must be http, https, socks4, socks4a, socks5 or socks5h";
        for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
            if (strcmp(scheme, schemes[i]) == 0)
                why = NULL;
        /* curl takes port 0, where no proxy listens: every URL then failed to connect. */
        if (!why && curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK && atoi(port) == 0)
            why = "the port must be from 1 to 65535";
    }
    curl_free(port);
    curl_free(host);
    curl_free(scheme);
    curl_url_cleanup(u);
    return why;
}

const char *cli_db_spec_check(const char *v) {
    return sink_db_is_spec(v) ? NULL : "expected sqlite:PATH or postgresql://...";
}

/* Any case, as a scheme is (RFC 3986 3.1) and a list line's is: the bare host's URL,
 * "HTTP://host", is normalised to lower case as that line is. */
const char *cli_scheme_check(const char *v) {
    return ascii_casecmp(v, "http") && ascii_casecmp(v, "https") ? "must be http or https" : NULL;
}

/* ---- the table ---------------------------------------------------------------------------- */

#define F(field) offsetof(cli_opts_t, field)
#define SECTION(title)                                                                             \
    { .kind = CLI_OPT_SECTION, .name = title }

static const cli_opt_t rows[] = {
    SECTION("Output"),
    {CLI_OPT_FLAG, "json", 0, NULL, F(fmt), 0, 0, RECORD_FMT_JSON, NULL, NULL, NULL,
     "JSON Lines: url, final_url, status, title,\ncontent_type, charset, charset_source, bytes, "
     "time_ms,\nattempts, error",
     "JSON Lines, one object per URL: url, final_url, status, title (null when the page\n"
     "has none), content_type, charset, charset_source (bom, header, meta, xml,\n"
     "detected or default: see ENCODINGS), bytes, time_ms, attempts, error (null on success). "
     "bytes\n"
     "is the body received, after decompression (httpx's content_length; curl's\n"
     "size_download counts it before): the whole body, or what came until the download\n"
     "stopped at the title or at --max-bytes, plus any rest read only to keep the\n"
     "connection (a short one, the server not closing it). Strings are valid UTF-8, with\n"
     "U+2028, U+2029 and U+0085 escaped (\\u2028...) so that no line reader splits a record,\n"
     "and the other C1 controls and the bidirectional ones (as the text format escapes\n"
     "them) so that records read on a terminal cannot drive it or reorder its lines."},
    {CLI_OPT_FLAG, "csv", 0, NULL, F(fmt), 0, 0, RECORD_FMT_CSV, NULL, NULL, NULL,
     "RFC 4180 CSV with a header row (same columns)",
     "RFC 4180 CSV with a header row (same columns). Fields hold the bytes as they are, but\n"
     "on a terminal, where they are escaped as the text format escapes titles, so that a\n"
     "page cannot drive the terminal (as ls quotes names on a terminal only). JSON's null\n"
     "is an empty field and an empty string (an empty <title>) is \"\", as PostgreSQL's\n"
     "COPY ... CSV writes and reads them (Python's csv module reads both as '')."},
    {CLI_OPT_FLAG, "csv-safe", 0, NULL, F(fmt), 0, 0, RECORD_FMT_CSV_SAFE, NULL, NULL, NULL,
     "CSV for spreadsheets: a ' before fields starting\nwith =, +, -, @, tab, CR or '",
     "CSV as --csv, for opening in a spreadsheet: a field starting with =, +, -, @, tab or\n"
     "CR (a formula to a spreadsheet: CSV injection) or with ' gets a ' in front, which\n"
     "spreadsheets show as text and hide. --resume takes the mark off the URLs again.\n"
     "--resume refuses a file the other CSV option wrote (a field with a formula start and no\n"
     "mark, or a URL with the mark under --csv), leaving it as it was, rather than append\n"
     "records escaped otherwise (a URL line that itself starts with '' looks marked; one\n"
     "that starts with ' and another formula start is told by its error, \"quoted\"; a\n"
     "title that starts so is the page's text, which --csv keeps)."},
    {CLI_OPT_STRING, "output", 'o', "FILE", F(output), 0, 0, 0, NULL, NULL, cli_name_check,
     "write results to FILE (flushed after every record);\n'-': standard output",
     "Write results to FILE, flushed after every record ('-': standard output). FILE is\n"
     "emptied first (with --resume, added to) and written in append mode, as >> opens it;\n"
     "so is standard output when it is a regular file written from its end (> and >>):\n"
     "emptied under the run by another program (logrotate's copytruncate), the file goes on\n"
     "at its new start, and a CSV file found empty at a write gets its header again.\n"
     "Renamed away (logrotate's create, `sed -i`) or deleted under the run, FILE is opened\n"
     "again at the next write (made if missing): the records are in the old file up to then\n"
     "(synced to the disk as it is let go) and in FILE after. A\n"
     "write or the file's close that fails (NFS and quotas report a failed write-back at\n"
     "close) is exit status 2, and --resume fetches what the file does not hold."},
    {CLI_OPT_FLAG, "unordered", 0, NULL, F(unordered), 0, 0, 1, NULL, NULL, NULL,
     "write results as they complete, not in input order",
     "Write results as they complete instead of in input order. In input order, at most\n"
     "max(1024, 16 x -c) finished records wait behind the oldest unfinished URL; reading\n"
     "the input pauses while that window is full, so memory stays flat whatever the input\n"
     "size. URLs their host holds back (--per-host, --host-interval, a 429's Retry-After)\n"
     "wait in that window as tasks of about 9 KB each, so that other hosts go on: a list\n"
     "of one host at --per-host 2 peaks near 30 MB at -c 100 and 160 MB at -c 1000."},
    {CLI_OPT_FLAG, "resume", 0, NULL, F(resume), 0, 0, 1, NULL, NULL, NULL,
     "with -o FILE (not -) and --json or CSV: skip\nURLs FILE already holds, append the "
     "rest; with a\ndatabase: continue its latest run",
     "With -o FILE and --json, --csv or --csv-safe: read the URLs already recorded in FILE\n"
     "(so not standard output, -o -, which cannot be read back), drop a last\n"
     "record torn by a crash (the file is truncated to the last complete record), skip the\n"
     "recorded URLs and append the rest. Interrupting and resuming any number of times\n"
     "ends with exactly one complete record per URL. FILE must be a regular file (not a FIFO\n"
     "or a pipe) of cafe output of the same format: every complete line a record (CSV: after\n"
     "its header), an unfinished last line the start of one; its lines may end in CR LF or\n"
     "LF alone, whichever cafe writes (CR LF for CSV, LF for JSON), and the records added\n"
     "end as its first line does; a UTF-8 byte order mark at its start is skipped. Anything\n"
     "else (another format, another file, binary) is refused with exit status 2, naming the\n"
     "line (and the format it is, when it is cafe's), and FILE is left as it was. With a\n"
     "database: continue its latest run of cafe titles (not a cafe queue results export's\n"
     "nor a cafe serve job's). An -o file is locked (flock) while a run writes it,\n"
     "and so is a database's run: a second run onto either at once is refused with exit\n"
     "status 2 and changes nothing."},
    {CLI_OPT_SECRET, "db", 0, "SPEC", F(db), 0, 0, 0, NULL, NULL, cli_db_spec_check,
     "write to a database instead: sqlite:PATH or\npostgresql://[USER@]HOST[:PORT]/DB"
     "[?table=NAME]\n(password from PGPASSWORD or ~/.pgpass);\n-o PATH.sqlite|.sqlite3|.db (any "
     "case) is\nsqlite:PATH",
     "Write to a database instead: sqlite:PATH "
     "or\npostgresql://[USER@]HOST[:PORT]/DB[?table=NAME]\n"
     "(password from PGPASSWORD or ~/.pgpass);\n-o PATH.sqlite|.sqlite3|.db (any case) is "
     "sqlite:PATH. A "
     "PostgreSQL server gone without a reset is\nnoticed within about a minute (TCP keepalives "
     "30/10/3 s, the URI's own\n?keepalives_idle=... win; and while bytes wait in the socket, "
     "nothing acknowledged\nfor 30 s), and the run reconnects for up to 2 minutes; a server "
     "alive but slow to read\n(its kernel acknowledges) is waited for."},
    {CLI_OPT_FLAG, "quiet", 'q', NULL, F(quiet), 0, 0, 1, NULL, NULL, NULL,
     "no progress line and no summary on stderr",
     "No progress line and no summary on standard error. Without it, a progress line\n"
     "(done/total when the input is a regular file, --resume's URLs already done counted in,\n"
     "ok and failed counts, rate, ETA: the\n"
     "URLs left at the rate so far, 1 s at least while any is left, \"unknown\" once a slow\n"
     "tail outlasts it) is\n"
     "redrawn at most 10 times a second when standard error is a terminal and cafe runs in\n"
     "its foreground (not after &), cut to the terminal's width, and written over with\n"
     "spaces rather than cleared by an escape sequence where TERM is dumb or unset; a\n"
     "one-line summary is printed at the end. The notes on limits at the start (-c lowered\n"
     "to fit ulimit -n, --per-host capped by --threads) go too; errors and warnings stay."},
    {CLI_OPT_FLAG, "fail", 0, NULL, F(fail), 0, 0, 1, NULL, NULL, NULL,
     "exit 1 when any URL failed", NULL},
    SECTION("Input (FILE... in turn; '-' or none: standard input)"),
    {CLI_OPT_LIST, "url", 'u', "URL", F(urls), 0, 0, 0, NULL, NULL, url_arg_check,
     "a URL to fetch, before any FILE (then stdin is\nnot read unless '-' is given); "
     "repeatable",
     NULL},
    SECTION("Fetching"),
    {CLI_OPT_SIZE, "concurrency", 'c', "N", F(concurrency), 1, 100000, 0, "100", NULL, NULL,
     "URLs in flight at once", NULL},
    {CLI_OPT_SIZE, "per-host", 0, "N", F(per_host), 1, 100000, 0, "8", NULL, NULL,
     "connections per host",
     "Connections per host. Over HTTPS a host's first request goes alone until its TLS\n"
     "session is back; the others then resume that session, so a host\n"
     "costs one full handshake, not one per connection. With --threads, a host gets at\n"
     "most its thread's share of -c: a --per-host above it is capped, as a note at the\n"
     "start says."},
    {CLI_OPT_REAL, "rate", 0, "N", F(rate), 0.001, 1e6, 0, NULL, "unlimited", NULL,
     "at most N requests per second overall", NULL},
    {CLI_OPT_MS, "host-interval", 0, "MS", F(host_interval_ms), 0, 1e7, 0, "0", NULL, NULL,
     "least time between two requests to one host", NULL},
    {CLI_OPT_SIZE, "threads", 0, "N", F(threads), 1, 256, 0, "1", NULL, NULL,
     "fetch on N threads (for CPU-bound runs: new TLS\nconnections to many hosts)",
     "Fetch on N threads, each with its own event loop and HTTP client, for runs that one\n"
     "core's CPU limits: a new TLS connection costs about a millisecond of CPU, so a crawl\n"
     "of many hosts over HTTPS is CPU-bound on one thread. A host (scheme, name and port)\n"
     "is fetched by one thread while it has URLs there and for a minute after (or its\n"
     "--host-interval), so its connections, --per-host, --host-interval and any 429/503\n"
     "slow-down stay in one client; a new host goes to the thread with the fewest URLs.\n"
     "-c, --rate and --dns-concurrency are divided among the threads (so one host gets at\n"
     "most its thread's share of -c: a note at the start says so when that caps the\n"
     "--per-host given, the summary when URLs waited for it while other threads never had a\n"
     "host), and N is at most -c. Output order, --resume and Ctrl-C work as with one\n"
     "thread; a redirect is followed by the thread that fetched it.\n"
     "One thread costs the least CPU per URL when connections are reused."},
    {CLI_OPT_FLAG, "sync", 0, NULL, F(sync), 0, 0, 1, NULL, NULL, NULL,
     "one URL at a time, each waiting for the one before",
     "One URL at a time, each waiting for the one before: the guide's slow way, through\n"
     "the same code, for comparison. A -c or --threads other than 1 with it is refused."},
    {CLI_OPT_FLAG, "drain", 0, NULL, F(drain), 0, 0, 1, NULL, NULL, NULL,
     "on Ctrl-C, let URLs in flight finish",
     "On the first interrupt, let the URLs in flight (their requests sent or connecting)\n"
     "finish instead of cancelling them; URLs still waiting for their turn, or to try again\n"
     "(--retries), are not started again: they get no record, and --resume fetches them."},
    {CLI_OPT_SECONDS, "timeout", 0, "S", F(timeout_ms), 0.001, 1e6, 0, "15", NULL, NULL,
     "time limit of one attempt, in seconds", CLI_TIMEOUT_HELP},
    {CLI_OPT_SECONDS, "connect-timeout", 0, "S", F(connect_timeout_ms), 0.001, 1e6, 0, "5", NULL,
     NULL, "time limit of a connection's setup, in seconds", NULL},
    {CLI_OPT_INT, "retries", 0, "N", F(retries), 0, 100, 0, "2", NULL, NULL,
     "extra attempts after the first",
     "Extra attempts after the first. Connection errors, timeouts and statuses 408, 429,\n"
     "500, 502, 503 and 504 are retried after an exponential backoff (200 ms, doubling,\n"
     "capped at 30 s, with jitter), or after the server's Retry-After (seconds or HTTP\n"
     "date) when it is longer. An attempt starts again from the URL of the list, as curl\n"
     "--retry does: its redirects are followed again and set their cookies again. A\n"
     "Retry-After over 60 s is not waited for: the answer is the record, its error saying\n"
     "so (the server would refuse an earlier retry, and a run should not stall on one\n"
     "URL). A proxy that refuses the tunnel is retried only for those statuses: not for its\n"
     "403 or 407, nor for a SOCKS proxy's rules. A host answering 429 or 503 is slowed down\n"
     "alone, as TCP slows down: to one request per 250 ms, each further 429/503 doubling\n"
     "that gap up to 1 s, and every other answer adding one request per second back until\n"
     "it runs unslowed. Its waiting URLs wait at the host, holding no -c slot; a\n"
     "Retry-After also holds the host back (at most 60 s), unless it is over 60 s and so\n"
     "not waited for: a server answering every request so costs one request a URL, not a\n"
     "minute. So a host that keeps failing\n"
     "costs at most its URLs times the attempts, one request a second at the slowest. A\n"
     "request the server never processed (an HTTP/2 server closing its connection answered\n"
     "another request instead, or refused its stream) is sent again once on a new\n"
     "connection, even with --retries 0, and is no attempt; unanswered again, it is the\n"
     "record and not retried (libcurl tries such a request on up to 6 connections itself:\n"
     "at most 12 requests for a URL a server refuses every time)."},
    {CLI_OPT_INT, "max-redirects", 0, "N", F(max_redirects), 0, 1000, 0, "20", NULL, NULL,
     "redirects followed at most (0: none)",
     "Redirects followed at most. 0: none, as curl without -L: a redirect is then the record\n"
     "itself, its 3xx status and the title of its page. A redirect goes where a browser goes:\n"
     "its Location is resolved against the page and normalised as list lines are (Location: \\x\n"
     "is /x, Location: http:x a path beside the page's). A redirect to a fragment of the page\n"
     "itself (Location: #top) is a redirect loop, as in browsers: an error at once, unless\n"
     "it sets a cookie (the page is then asked again with it, as browsers ask it). As in\n"
     "browsers, only 301, 302, 303, 307 and 308 redirect: another 3xx (300, 304, 305...) is\n"
     "the page itself, whatever its Location says. With N of 1 or more, one more redirect than\n"
     "N in the whole chain is the error 'too many redirects: Maximum (N) redirects followed',\n"
     "its final_url the page that sent it."},
    {CLI_OPT_SIZE, "max-bytes", 0, "N", F(max_bytes), 1, 1e12, 0, "2097152", NULL, NULL,
     "body bytes read at most (the download\nstops earlier once the title is complete)", NULL},
    {CLI_OPT_FLAG, "no-detect", 0, NULL, F(no_detect), 0, 0, 1, NULL, NULL, NULL,
     "no encoding detection: a page that declares no\nencoding is windows-1252 (strict WHATWG)",
     "Do not detect the encoding of pages that declare none (no byte order mark, no charset\n"
     "in Content-Type, no <meta>): their titles are decoded as windows-1252, the WHATWG\n"
     "fallback, as browsers do for undeclared pages they do not analyse. By default such a\n"
     "page whose title holds non-ASCII bytes is detected: valid UTF-8 is UTF-8, else\n"
     "uchardet decides, with the URL's top-level domain as a hint when the title is short;\n"
     "to give it evidence, up to 64 KiB more of the page may be read after the title.\n"
     "charset_source says which way the encoding was found."},
    {CLI_OPT_SECRET_LIST, "header", 'H', "LINE", F(headers), 0, CLI_LIST_MAX, 0, NULL, NULL,
     header_check,
     "extra request header, e.g. 'Accept-Language: en';\n'Name:' removes one; repeatable",
     "Extra request header, e.g. 'Accept-Language: en'; 'Name:' removes one; repeatable.\n"
     "cafe asks for pages as a browser does, HTML first: Accept: text/html,*/*;q=0.8 (a\n"
     "server that negotiates answers curl's Accept: */* with JSON or another format, a\n"
     "browser with the page it shows). An Accept line of yours is sent instead\n"
     "('Accept: */*' for curl's; 'Accept:' sends none). Authorization and Cookie lines go\n"
     "along redirects to the URL's own origin (scheme, host and port) alone, as with curl -L.\n"
     "A message on a bad one names the header, never its value (a token, a cookie)."},
    {CLI_OPT_STRING, "user-agent", 'A', "S", F(user_agent), 0, 0, 0, NULL,
     "cafe/" CAFE_VERSION_STRING, wire_check, "the User-Agent header ('': none, as curl -A '')",
     NULL},
    {CLI_OPT_FLAG, "insecure", 'k', NULL, F(insecure), 0, 0, 1, NULL, NULL, NULL,
     "do not verify TLS certificates", NULL},
    {CLI_OPT_STRING, "cacert", 0, "FILE", F(ca_file), 0, 0, 0, NULL, NULL, cli_cacert_check,
     "trust the CAs in FILE (PEM) instead of the system's.\nDefault: curl's variables "
     "CURL_CA_BUNDLE, SSL_CERT_DIR,\nSSL_CERT_FILE",
     "Trust the CAs in FILE (PEM) instead of the system's. Without it and --capath (and\n"
     "without -k), the CAs of curl's variables CURL_CA_BUNDLE, else SSL_CERT_DIR and\n"
     "SSL_CERT_FILE, when set (see ENVIRONMENT)."},
    {CLI_OPT_STRING, "capath", 0, "DIR", F(ca_path), 0, 0, 0, NULL, NULL, cli_capath_check,
     "trust the CAs in DIR too (hashed as c_rehash makes\nit; DIR:DIR... for several), as "
     "curl's --capath",
     "Trust the CAs in the directory DIR too, hashed as OpenSSL's c_rehash makes it (DIR:DIR...\n"
     "for several), as curl's --capath: beside the --cacert FILE, or beside the system's\n"
     "bundle. curl's variables are not read then."},
    {CLI_OPT_LIST, "resolve", 0, "H:P:ADDR", F(resolve), 0, CLI_LIST_MAX, 0, NULL, NULL,
     resolve_check,
     "connect to ADDR for host H, port P, as curl's\n--resolve (H * for every host); "
     "repeatable",
     NULL},
    {CLI_OPT_SECRET, "proxy", 'x', "URL", F(proxy), 0, 0, 0, NULL, NULL, proxy_check,
     "use this proxy (http://, https://, socks5h://...);\n'' for none. Default: curl's "
     "variables http_proxy,\nhttps_proxy, all_proxy, no_proxy",
     "Use this proxy for the requests (http://HOST:PORT, https://, socks5h://...); an empty\n"
     "string for none. Without it, the environment is used as curl uses it: http_proxy\n"
     "(lower case only), https_proxy or HTTPS_PROXY, all_proxy or ALL_PROXY. Either way,\n"
     "no_proxy or NO_PROXY names the hosts reached directly, as for curl -x (names and the\n"
     "names under them, IP addresses and CIDR ranges, * for all). A message on a bad one\n"
     "never shows its password: -x's value is not shown, a variable's is with the password\n"
     "as ***. A record's error names the proxy when the way through it failed (down, silent,\n"
     "closing, refusing the tunnel, or in its tunnel's TLS handshake); a CONNECT answer that\n"
     "is no HTTP or too large, or a SOCKS reply breaking SOCKS, is not retried."},
    {CLI_OPT_LIST, "resolver", 0, "IP[:PORT]", F(resolvers), 0, CLI_LIST_MAX, 0, NULL, NULL,
     resolver_check, "DNS server to ask instead of /etc/resolv.conf's\nnameservers; repeatable",
     "DNS server to ask instead of the nameservers of /etc/resolv.conf (its search, ndots and\n"
     "options still apply; /etc/hosts still wins); IPv6 as [ADDR]:PORT; repeatable. Names\n"
     "are resolved on cafe's loop (c-ares), no thread per lookup; answers are cached for\n"
     "their TTL, \"no such host\" as long as the zone's SOA record says (at most an hour).\n"
     "A record's error says \"dns: no such host\" (never retried), \"dns: timeout\" or\n"
     "\"dns: server failure\" (retried)."},
    {CLI_OPT_SIZE, "dns-concurrency", 0, "N", F(dns_concurrency), 1, 100000, 0, "64", NULL, NULL,
     "names resolved at once at most",
     "Names resolved at once at most (each an A and an AAAA query). More than the resolver's\n"
     "receive buffer holds (a local dnsmasq or systemd-resolved: ~270 queries) get dropped\n"
     "while it is busy, and each dropped query costs a retry a second later."},
    {CLI_OPT_STRING, "scheme", 0, "S", F(scheme), 0, 0, 0, "https", NULL, cli_scheme_check,
     "scheme for bare hosts: https or http", NULL},
    {CLI_OPT_FLAG, "no-private", 0, NULL, F(no_private), 0, 0, 1, NULL, NULL, NULL,
     "refuse to connect to private, loopback and link-local\naddresses (checked after DNS "
     "and on every redirect)",
     "After DNS, refuse to connect to private, loopback, link-local, unique-local,\n"
     "multicast and reserved addresses (IPv4 and IPv6), on the first request and on every\n"
     "redirect: for services that fetch URLs others give them (SSRF). The address is\n"
     "checked before the socket is opened, so no packet reaches it. Through a proxy (-x or\n"
     "the environment's) cafe sees only the proxy's address: refused at start."},
    SECTION("Shared queue (many workers, many machines; see cafe queue --help)"),
    {CLI_OPT_SECRET, "queue", 0, "REDIS_URL", F(queue), 0, 0, 0, NULL, NULL, redis_conf_check,
     "take URLs from the queue\nredis://[USER:PASS@]HOST[:PORT][/DB]?queue=NAME\n(or "
     "unix:///PATH?queue=NAME) and append each record\n(JSON) to its results; exits when the "
     "queue is empty",
     NULL},
    {CLI_OPT_SECONDS, "lease", 0, "S", F(lease_ms), 1, 86400, 0, "60", NULL, NULL,
     "with --queue: a URL taken is another worker's after\nS seconds without renewal (live "
     "workers renew)",
     NULL},
    {CLI_OPT_FLAG, "follow", 0, NULL, F(follow), 0, 0, 1, NULL, NULL, NULL,
     "with --queue: wait for more URLs instead of exiting", NULL},
    SECTION("Other"),
    {CLI_OPT_HELP, "help", 'h', NULL, 0, 0, 0, 0, NULL, NULL, NULL, "print this help", NULL},
    {CLI_OPT_VERSION, "version", 0, NULL, 0, 0, 0, 0, NULL, NULL, NULL, "print the version", NULL},
};

const cli_optab_t cli_titles_optab = {
    "titles",
    "titles [OPTIONS] [-u URL]... [FILE|-]...\n",
    "Fetch the <title> of every URL given with -u, then in each FILE (one per line;\n"
    "standard input when neither is given).\n"
    "Output (default), in input order: 'Title' from URL / Error fetching URL: message\n",
    "Exit: 0 done (failed URLs are results), 1 with --fail if any failed, 2 usage or\n"
    "input error, a set-up that failed (a database, Redis) or output that could\n"
    "not be written (disk full, closed output); a closed pipe (| head) ends cafe\n"
    "by SIGPIPE (141). Ctrl-C: finished records are written, then cafe ends by the\n"
    "signal (status 130; SIGTERM 143, SIGHUP 129); --resume continues.\n",
    rows,
    sizeof rows / sizeof rows[0],
    &cli_title_optab,
};

/* ---- checks across options ------------------------------------------------------------ */

static int given(const unsigned char *seen, const char *name) {
    const cli_opt_t *o = cli_optab_find(&cli_titles_optab, name);
    return o && seen[o - cli_titles_optab.opts];
}

static int error(const char *what) {
    return cli_optab_usage_error(&cli_titles_optab, "%s", what);
}

/* --queue: records are JSON in Redis, in completion order; input and output are the queue. */
static int queue_check(cli_opts_t *o, const unsigned char *seen, int input_given) {
    if (!o->queue) {
        if (given(seen, "follow") || given(seen, "lease"))
            return error(given(seen, "follow") ? "--follow needs --queue"
                                               : "--lease needs --queue");
        return 0;
    }
    if (input_given || o->output || o->resume || format_is_csv(o->fmt))
        return error("--queue takes the URLs from Redis and writes the records there "
                     "(no FILE, -u, -o, --resume, --csv or --csv-safe; see cafe queue results)");
    o->fmt = RECORD_FMT_JSON;
    o->unordered = 1;
    return 0;
}

/* What sends the requests through a proxy: -x, or one of the variables libcurl reads
 * (common/proxyenv.h); NULL when the requests go direct. */
static const char *proxy_in_use(const cli_opts_t *o) {
    if (o->proxy)
        return *o->proxy ? "-x" : NULL;
    return proxy_env_in_use();
}

/* curl's proxy variables, as libcurl 7.88 reads them: http_proxy (lower case only),
 * https_proxy else HTTPS_PROXY, all_proxy else ALL_PROXY. A bad one was taken, then every URL
 * failed ("cannot resolve the proxy's name: Unsupported proxy syntax", counted as DNS
 * failures) and the run exited 0: refused at start as -x is. */
const char *cli_proxy_env_bad(const char **name, char **shown) {
    static const char *const vars[][2] = {
        {"http_proxy", NULL}, {"https_proxy", "HTTPS_PROXY"}, {"all_proxy", "ALL_PROXY"}};
    if (!proxy_env_in_use()) /* none, or no_proxy='*' */
        return NULL;
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *n = vars[i][0], *v = getenv(n);
        if ((!v || !*v) && vars[i][1])
            v = getenv(n = vars[i][1]);
        const char *why = v && *v ? proxy_check(v) : NULL;
        if (why) {
            *name = n;
            *shown = cli_url_masked(v);
            return why;
        }
    }
    return NULL;
}

/* The variables when -x is not given, named with the way to set them aside. */
static int proxy_env_check(const cli_opts_t *o) {
    const char *name;
    char *shown;
    const char *why = o->proxy ? NULL : cli_proxy_env_bad(&name, &shown);
    if (!why)
        return 0;
    int rc = cli_optab_usage_error(&cli_titles_optab,
                                   "%s: %s: %s (curl's proxy variable; -x '' sets it aside)", name,
                                   why, shown ? msg_quote(shown) : "***");
    free(shown);
    return rc;
}

/* --no-private checks the address cafe connects to: through a proxy that is the proxy's,
 * never the URL's, which the proxy resolves and connects to. A private proxy then refused
 * every URL as if the URL's address were the proxy's; a public one let 10.0.0.1 and
 * 127.0.0.1 through for the proxy to fetch. Refused at start, as a check that cannot hold. */
static int no_private_check(const cli_opts_t *o) {
    const char *via = o->no_private ? proxy_in_use(o) : NULL;
    if (!via)
        return 0;
    return cli_optab_usage_error(&cli_titles_optab,
                                 "--no-private cannot check the addresses a proxy connects to "
                                 "(%s%s): give -x '' to connect directly, or let the proxy "
                                 "refuse them",
                                 via, via[0] == '-' ? "" : " is set");
}

/* Is path libcurl's own CA bundle (info CURLINFO_CAINFO) or CA directory (CURLINFO_CAPATH),
 * the same file through any link? Many systems set SSL_CERT_FILE, CURL_CA_BUNDLE and
 * SSL_CERT_DIR to them for every program: taken as given, the whole bundle was parsed up
 * front instead of the system's CAs read lazily (src/http/trust.c). */
static int system_ca(CURLINFO info, const char *path) {
    CURL *h = curl_easy_init();
    char *builtin = NULL;
    struct stat a, b;
    int same = h && curl_easy_getinfo(h, info, &builtin) == CURLE_OK && builtin &&
               stat(builtin, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
               a.st_ino == b.st_ino;
    curl_easy_cleanup(h);
    return same;
}

/* "cafe titles: warning: SSL_CERT_FILE: no such file: /x (curl's CA file variable): ...",
 * the file named as every file name in a message is (msg_quote). */
static void ca_warning(const char *cmd, const char *name, const char *why, const char *v,
                       const char *what, const char *then) {
    fprintf(stderr, "cafe %s: warning: %s: %s: %s (curl's CA %s variable): %s\n", cmd, name, why,
            msg_quote(v), what, then);
}

/* Without --cacert, --capath and -k, the CAs of curl's variables, as curl's tool reads them:
 * CURL_CA_BUNDLE alone, else SSL_CERT_DIR's directories and SSL_CERT_FILE's file together
 * (OpenSSL's, which Go, Python and lychee read too). Set for a TLS-inspecting proxy or an
 * internal CA, they were ignored: curl trusted the sites and cafe failed every HTTPS URL as
 * "not trusted", with exit status 0. A file that is no CA file is still taken, with a warning
 * naming the variable: as with curl, each HTTPS URL then fails ("cannot load the CA
 * certificates") and plain http ones are fetched. Refused at start, a variable left from a
 * set-up long gone stopped runs that make no TLS connection. */
void cli_ca_env_read(const char *cmd, cli_opts_t *o) {
    const char *file = getenv("CURL_CA_BUNDLE"), *name = "CURL_CA_BUNDLE", *dir = NULL, *why;
    if (o->ca_file || o->ca_path || o->insecure) /* as curl: either option, none of them */
        return;
    if (!file || !*file) {
        dir = getenv("SSL_CERT_DIR");
        file = getenv("SSL_CERT_FILE");
        name = "SSL_CERT_FILE";
    }
    if (file && *file) {
        if ((why = cli_cacert_check(file)) != NULL)
            ca_warning(cmd, name, why, file, "file",
                       "HTTPS URLs will fail; unset it or give --cacert");
        o->ca_file = system_ca(CURLINFO_CAINFO, file) ? NULL : file;
    }
    char bad[4096];
    if (dir && *dir && (why = dirs_check(dir, bad, sizeof bad)) != NULL) /* OpenSSL skips it */
        ca_warning(cmd, "SSL_CERT_DIR", why, bad, "directory", "no CA is read from it");
    if (dir && *dir) {
        /* libcurl's own directory adds nothing to the system's store, but to a file given */
        o->ca_path = !o->ca_file && system_ca(CURLINFO_CAPATH, dir) ? NULL : dir;
    }
}

static int parse(cli_opts_t *o, int argc, char **argv) {
    unsigned char seen[sizeof rows / sizeof rows[0]];
    size_t ninputs;
    /* FILE operands, as many as a shell glob gives (argv[0] is none: room for "-") */
    const char **inputs = calloc((size_t)argc + 1, sizeof(*inputs));
    if (!inputs) {
        fputs("cafe titles: out of memory\n", stderr);
        return 2;
    }
    int rc =
        cli_optab_parse(&cli_titles_optab, o, argc, argv, 1, inputs, (size_t)argc, &ninputs, seen);
    o->inputs.v = inputs; /* after the parse, which sets every field to its default */
    if (rc != 0)
        return rc;
    o->inputs.n = ninputs;
    if (ninputs == 0 && o->urls.n == 0) /* neither: standard input, as cat reads */
        o->inputs.v[o->inputs.n++] = "-";
    o->argc = argc;
    o->argv = argv;
    if (given(seen, "json") + given(seen, "csv") + given(seen, "csv-safe") > 1)
        return error("--json, --csv and --csv-safe cannot be combined");
    o->per_host_given = given(seen, "per-host");
    /* As curl -o - and wget -O -. Made NULL (standard output) only once the checks below
     * saw it as any -o: dropped first, -o - with --db or --queue was taken without a word,
     * the records went to the database or Redis and standard output stayed empty. */
    int to_stdout = o->output && strcmp(o->output, "-") == 0;
    if (to_stdout && o->resume && !o->queue)
        return error("--resume cannot read standard output (-o -) back for the records it "
                     "holds: give -o FILE");
    int db_by_o = o->output && sink_db_is_spec(o->output); /* -o results.sqlite */
    if (db_by_o) {
        if (o->db)
            return error("-o names a database and --db another");
        o->db = o->output;
        o->output = NULL;
    }
    /* Named as the user gave it: "-o x.db --json" never mentioned --db. */
    if (db_by_o && (o->fmt != RECORD_FMT_TEXT || o->queue))
        return cli_optab_usage_error(&cli_titles_optab,
                                     "-o %s writes a database: its columns replace --json, "
                                     "--csv and --csv-safe, and --queue writes to the queue",
                                     msg_quote(o->db));
    if (o->db && (o->output || o->fmt != RECORD_FMT_TEXT || o->queue))
        return error("--db replaces -o FILE, --json, --csv, --csv-safe and --queue");
    /* With --queue, queue_check names what it replaces, --resume among them: "needs -o"
     * sent the user to an option --queue refuses too. */
    if (o->resume && !o->queue && !o->output && !o->db)
        return error("--resume needs -o FILE");
    if (o->resume && !o->queue && !o->db && o->fmt == RECORD_FMT_TEXT)
        return error("--resume needs --json, --csv or --csv-safe output");
    /* Taken, the -c or --threads was dropped without a word (`--sync -c 50` ran one URL at
     * a time), where --json with --csv is refused. */
    if (o->sync && ((given(seen, "concurrency") && o->concurrency != 1) ||
                    (given(seen, "threads") && o->threads != 1)))
        return error("--sync fetches one URL at a time: -c and --threads (other than 1) cannot "
                     "be combined with it");
    if (o->sync)
        o->concurrency = 1;
    if (o->threads > o->concurrency) /* each thread has a URL in flight at least */
        o->threads = o->concurrency;
    if (proxy_env_check(o) != 0 || no_private_check(o) != 0)
        return 2;
    cli_ca_env_read("titles", o);
    if ((rc = queue_check(o, seen, ninputs > 0 || o->urls.n > 0)) != 0)
        return rc;
    if (to_stdout)
        o->output = NULL;
    return 0;
}

int cli_opts_parse(cli_opts_t *o, int argc, char **argv) {
    memset(o, 0, sizeof(*o));
    int rc = parse(o, argc, argv);
    if (rc != 0)
        cli_opts_free(o);
    return rc;
}

void cli_opts_free(cli_opts_t *o) {
    cli_list_free(&o->urls);
    cli_list_free(&o->headers);
    cli_list_free(&o->resolve);
    cli_list_free(&o->resolvers);
    free(o->inputs.v);
    o->inputs.v = NULL;
    o->inputs.n = 0;
}
