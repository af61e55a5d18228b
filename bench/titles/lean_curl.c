/* The speed-of-light contender of `cafe titles` (see bench/README.md, "cafe titles"): a
 * single-threaded libcurl multi client written plainly, with no coroutines and no cafe code.
 * curl_multi_perform + curl_multi_poll, one easy handle per concurrency slot reused for URL
 * after URL (connections, DNS cache and TLS sessions shared by the multi handle), the title
 * scanned in the write callback, output through one fully buffered stdio stream.
 * With --uv, the same client drives libcurl through curl_multi_socket_action on a libuv loop
 * (libcurl's multi-uv example): the interface cafe uses, without cafe's tasks, so that the
 * cost of the interface and the cost of cafe's layers above it are told apart.
 *
 * Usage: lean_curl [--uv] FILE CONCURRENCY [-k | --cacert FILE [--no-capath]]
 * Prints the guide's lines in completion order: `'Title' from URL`, `(no title) from URL`
 * or `Error fetching URL: message`. The whole body is read, as cafe does on small pages,
 * so that the connection is kept for the next URL of the site. -k: no TLS verification;
 * --cacert FILE: verify against the CAs in FILE (CURLOPT_CAINFO, nothing else changed);
 * --no-capath: also unset libcurl's built-in CApath, the one change that lets libcurl 7.88
 * keep the parsed trust store across connections (as cafe does; bench/README.md, HTTPS). */
#include <curl/curl.h>
#include <uv.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HEAD_MAX 8192 /* the title is looked for in the first HEAD_MAX bytes */

typedef struct slot {
    CURL *easy;
    char *url;
    size_t head_len;
    int found; /* title located (or given up): the rest of the body is discarded */
    char title[512];
    char head[HEAD_MAX + 1];
} slot_t;

/* Looks for <title>...</title> in the NUL-terminated head; copies the text on success. */
static int scan_title(slot_t *s) {
    char *open = strcasestr(s->head, "<title");
    if (!open)
        return 0;
    char *gt = strchr(open, '>');
    char *close = gt ? strcasestr(gt, "</title") : NULL;
    if (!close)
        return 0;
    size_t n = (size_t)(close - gt - 1);
    if (n >= sizeof s->title)
        n = sizeof s->title - 1;
    memcpy(s->title, gt + 1, n);
    s->title[n] = '\0';
    return 1;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *arg) {
    slot_t *s = arg;
    size_t len = size * nmemb;
    if (s->found)
        return len;
    size_t take = HEAD_MAX - s->head_len < len ? HEAD_MAX - s->head_len : len;
    memcpy(s->head + s->head_len, data, take);
    s->head_len += take;
    s->head[s->head_len] = '\0';
    if (scan_title(s))
        s->found = 1;
    else if (s->head_len == HEAD_MAX)
        s->found = -1; /* no title in the head: give up on it */
    return len;
}

static void start(CURLM *multi, slot_t *s, char *url) {
    s->url = url;
    s->head_len = 0;
    s->found = 0;
    s->title[0] = '\0';
    curl_easy_setopt(s->easy, CURLOPT_URL, url);
    curl_multi_add_handle(multi, s->easy);
}

static void report(slot_t *s, CURLcode code) {
    long status = 0;
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
    if (code != CURLE_OK)
        printf("Error fetching %s: %s\n", s->url, curl_easy_strerror(code));
    else if (status >= 400)
        printf("Error fetching %s: HTTP %ld\n", s->url, status);
    else if (s->found == 1)
        printf("'%s' from %s\n", s->title, s->url);
    else
        printf("(no title) from %s\n", s->url);
    free(s->url);
    s->url = NULL;
}

/* The next URL of the list (newline stripped), or NULL at its end. */
static char *next_url(FILE *in) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, in)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n > 0)
            return line;
    }
    free(line);
    return NULL;
}

/* cafe's Accept line (CAFE_HTTP_DEFAULT_ACCEPT): the same request bytes as cafe's. Made once,
 * kept to the end. */
static struct curl_slist *accept_lines(void) {
    static struct curl_slist *lines;
    if (!lines)
        lines = curl_slist_append(NULL, "Accept: text/html,*/*;q=0.8");
    return lines;
}

static void easy_setup(slot_t *s, int insecure, const char *ca_file, int no_capath) {
    CURL *e = s->easy;
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, accept_lines());
    curl_easy_setopt(e, CURLOPT_PRIVATE, s);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_USERAGENT, "lean_curl/1"); /* the same request as cafe's */
    curl_easy_setopt(e, CURLOPT_PROXY, "");                /* no per-transfer environment lookups */
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    if (insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, ca_file);
    if (no_capath)
        curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
}

/* The client's state: the multi handle, the list, what is in flight. */
typedef struct client {
    CURLM *multi;
    FILE *in;
    long active; /* transfers in the multi handle */
    uv_loop_t *loop;
    uv_timer_t timer;
} client_t;

/* Reports every finished transfer and gives its slot the next URL. */
static void drain(client_t *c) {
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        slot_t *s;
        CURL *e = m->easy_handle;
        CURLcode code = m->data.result;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&s);
        report(s, code);
        curl_multi_remove_handle(c->multi, e);
        c->active--;
        char *url = next_url(c->in);
        if (url) {
            start(c->multi, s, url);
            c->active++;
        }
    }
}

static void run_perform(client_t *c) {
    int running = 0;
    while (c->active > 0) {
        curl_multi_perform(c->multi, &running);
        drain(c);
        if (running)
            curl_multi_poll(c->multi, NULL, 0, 1000, NULL);
    }
}

/* --uv: a uv_poll_t per socket libcurl watches, one timer for libcurl's timeout. */
typedef struct watch {
    uv_poll_t poll;
    curl_socket_t fd;
    client_t *c;
} watch_t;

static void action(client_t *c, curl_socket_t fd, int flags) {
    int running;
    curl_multi_socket_action(c->multi, fd, flags, &running);
    drain(c);
}

static void on_poll(uv_poll_t *h, int status, int events) {
    watch_t *w = h->data;
    int flags = status < 0 ? CURL_CSELECT_ERR : 0;
    flags |= (events & UV_READABLE ? CURL_CSELECT_IN : 0) |
             (events & UV_WRITABLE ? CURL_CSELECT_OUT : 0);
    action(w->c, w->fd, flags);
}

static void on_timeout(uv_timer_t *t) {
    action(t->data, CURL_SOCKET_TIMEOUT, 0);
}

static void on_closed(uv_handle_t *h) {
    free(h->data);
}

static int on_socket(CURL *e, curl_socket_t fd, int what, void *arg, void *sockp) {
    (void)e;
    client_t *c = arg;
    watch_t *w = sockp;
    if (what == CURL_POLL_REMOVE) {
        if (w) {
            curl_multi_assign(c->multi, fd, NULL);
            uv_close((uv_handle_t *)&w->poll, on_closed);
        }
        return 0;
    }
    if (!w) {
        w = calloc(1, sizeof(*w));
        if (!w || uv_poll_init_socket(c->loop, &w->poll, fd) != 0) {
            free(w);
            return -1;
        }
        w->poll.data = w;
        w->fd = fd;
        w->c = c;
        curl_multi_assign(c->multi, fd, w);
    }
    int events = (what & CURL_POLL_IN ? UV_READABLE : 0) | (what & CURL_POLL_OUT ? UV_WRITABLE : 0);
    return uv_poll_start(&w->poll, events, on_poll) == 0 ? 0 : -1;
}

static int on_timer_set(CURLM *multi, long ms, void *arg) {
    (void)multi;
    client_t *c = arg;
    if (ms < 0)
        uv_timer_stop(&c->timer);
    else
        uv_timer_start(&c->timer, on_timeout, (uint64_t)ms, 0);
    return 0;
}

static int run_uv(client_t *c) {
    c->loop = uv_default_loop();
    if (uv_timer_init(c->loop, &c->timer) != 0)
        return -1;
    c->timer.data = c;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer_set);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    action(c, CURL_SOCKET_TIMEOUT, 0); /* the first transfers' start */
    while (c->active > 0 && uv_run(c->loop, UV_RUN_ONCE))
        ;
    uv_close((uv_handle_t *)&c->timer, NULL);
    return c->active > 0 ? -1 : 0;
}

int main(int argc, char **argv) {
    int uv = argc > 1 && strcmp(argv[1], "--uv") == 0;
    argc -= uv;
    argv += uv;
    if (argc < 3) {
        fprintf(stderr,
                "usage: lean_curl [--uv] FILE CONCURRENCY [-k | --cacert FILE [--no-capath]]\n");
        return 2;
    }
    FILE *in = fopen(argv[1], "r");
    long conc = strtol(argv[2], NULL, 10);
    if (!in || conc < 1) {
        fprintf(stderr, "lean_curl: cannot read %s or bad concurrency\n", argv[1]);
        return 2;
    }
    int insecure = argc > 3 && strcmp(argv[3], "-k") == 0;
    const char *ca_file = argc > 4 && strcmp(argv[3], "--cacert") == 0 ? argv[4] : NULL;
    int no_capath = ca_file && argc > 5 && strcmp(argv[5], "--no-capath") == 0;
    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    client_t c = {.multi = curl_multi_init(), .in = in};
    /* Idle connections for every site of the list, as cafe and Go keep them. */
    curl_multi_setopt(c.multi, CURLMOPT_MAXCONNECTS, 4 * conc);
    curl_multi_setopt(c.multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    slot_t *slots = calloc((size_t)conc, sizeof(*slots));
    if (!c.multi || !slots)
        return 2;
    for (long i = 0; i < conc; i++) {
        slots[i].easy = curl_easy_init();
        easy_setup(&slots[i], insecure, ca_file, no_capath);
        char *url = next_url(in);
        if (url) {
            start(c.multi, &slots[i], url);
            c.active++;
        }
    }
    int rc = 0;
    if (uv)
        rc = run_uv(&c);
    else
        run_perform(&c);
    for (long i = 0; i < conc; i++)
        curl_easy_cleanup(slots[i].easy);
    free(slots);
    curl_multi_cleanup(c.multi);
    if (uv) /* the watches libcurl's cleanup removed, and the timer */
        uv_run(c.loop, UV_RUN_DEFAULT);
    curl_global_cleanup();
    fclose(in);
    return fflush(stdout) == 0 && rc == 0 ? 0 : 1;
}
