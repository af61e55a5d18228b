/* Test helper: a real nginx (Debian's nginx-light) on loopback, with a test CA and a server
 * certificate made with openssl at test time. Started by the test in a temporary directory,
 * ready when it accepts connections. Included by the http tests (static functions). */
#ifndef CAFE_TEST_NGINX_SERVER_H
#define CAFE_TEST_NGINX_SERVER_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct nginx_server {
    char dir[64];
    pid_t pid;
    int http_port;      /* plain HTTP/1.1 */
    int h2_port;        /* TLS with HTTP/2 (ALPN) */
    int https_port;     /* TLS, HTTP/1.1 only */
    int closed_port;    /* nothing listens here */
    int h2_goaway_port; /* TLS with HTTP/2, closing each connection after two requests */
    char ca[128];       /* PEM of the CA that signed the server's certificate */
} nginx_server_t;

/* n distinct ports nothing listens on now, all bound at once while they are chosen: a port
 * probed and closed can be handed out again by the next probe, and two of nginx's servers on
 * one port would answer for each other. In the test's own network namespace nobody else
 * binds, so they stay free until nginx takes them. */
static int nginx_free_ports(int *ports, int n) {
    int fds[8], rc = n <= 8 ? 0 : -1;
    int i = 0;
    for (; rc == 0 && i < n; i++) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof(a);
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&a, sizeof(a)) != 0 ||
            getsockname(fds[i], (struct sockaddr *)&a, &len) != 0)
            rc = -1;
        ports[i] = ntohs(a.sin_port);
    }
    while (i-- > 0)
        if (fds[i] >= 0)
            close(fds[i]);
    return rc;
}

static int nginx_can_connect(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static int nginx_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int nginx_sh(const char *fmt, ...) {
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    return system(cmd);
}

/* Writes `size` bytes of HTML: a title first, then filler. */
static int nginx_write_page(const char *dir, const char *name, size_t size) {
    char path[256];
    snprintf(path, sizeof(path), "%s/www/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    size_t n = (size_t)fprintf(f, "<html><head><title>%s</title></head><body>\n", name);
    for (; n < size; n++)
        fputc(n % 64 == 63 ? '\n' : 'a' + (int)(n % 26), f);
    return fclose(f);
}

static const char nginx_conf[] =
    "daemon off;\n"
    "master_process off;\n"
    "user root;\n"
    "worker_rlimit_nofile 16384;\n"
    "pid @D/nginx.pid;\n"
    "error_log @D/error.log warn;\n"
    "events { worker_connections 8192; }\n"
    "http {\n"
    /* Per request: its connection's serial number and whether that connection resumed a TLS
     * session ("r") or made a full handshake ("."), for the tests of reuse (test_http_tls). */
    "  log_format reuse '$connection $ssl_session_reused $request_uri';\n"
    "  access_log @D/access.log reuse;\n"
    "  client_body_temp_path @D/tmp; proxy_temp_path @D/tmp; fastcgi_temp_path @D/tmp;\n"
    "  uwsgi_temp_path @D/tmp; scgi_temp_path @D/tmp;\n"
    "  types { text/html html; application/octet-stream bin; }\n"
    "  default_type text/plain;\n"
    "  keepalive_requests 1000000;\n"
    /* not nginx's 75 s: a pass over 40 hosts under valgrind on a loaded machine took longer,
     * and the kept connections the reuse tests count were closed by the server */
    "  keepalive_timeout 3600s;\n"
    "  ssl_certificate @D/server.pem; ssl_certificate_key @D/server.key;\n"
    /* nginx 1.22 offers TLS 1.2 at most by default; most servers today speak 1.3 */
    "  ssl_protocols TLSv1.2 TLSv1.3;\n"
    "  server {\n"
    "    listen 127.0.0.1:@1;\n"
    "    listen 127.0.0.1:@2 ssl http2;\n"
    "    listen 127.0.0.1:@3 ssl;\n"
    "    server_name _;\n"
    "    root @D/www;\n"
    "    charset utf-8;\n"
    "    location = /echo/header { return 200 \"$http_x_cafe\"; }\n"
    "    location = /echo/ua { return 200 \"$http_user_agent\"; }\n"
    "    location = /echo/encoding { return 200 \"$http_accept_encoding\"; }\n"
    "    location = /echo/accept { return 200 \"$http_accept\"; }\n"
    "    location = /echo/uri { return 200 \"$request_uri\"; }\n"
    "    location = /latin1 { charset off; default_type \"text/html; charset=ISO-8859-1\";\n"
    "                         return 200 \"<title>cafe</title>\"; }\n"
    "    location = /redirect/chain { return 302 /redirect/chain2; }\n"
    "    location = /redirect/other-name { return 302 http://other.test:$server_port/index.html; "
    "}\n"
    "    location = /redirect/chain2 { return 301 /index.html; }\n"
    /* from plain http to the HTTP/2 port's page (test_http_tls) */
    "    location = /redirect/https { return 301 https://localhost:@2/index.html; }\n"
    /* to a Unicode host, in UTF-8 (test_url_read_as_browsers_do) */
    "    location = /redirect/idn { return 302 http://b\xc3\xbc"
    "cher.test:$server_port/echo/uri; }\n"
    "    location = /redirect/loop { return 302 /redirect/loop; }\n"
    /* to a name only a proxy reaches (test_proxy_from_environment) */
    "    location = /redirect/via-proxy { return 302 http://via-proxy.invalid/echo/uri; }\n"
    /* a fragment of the page itself, at the root (libcurl 7.88 would fetch /) */
    "    location = /fragment { return 302 \"#top\"; }\n"
    "    location = /redirect/fragment { return 301 /fragment; }\n"
    /* a 3xx that is no redirect for browsers, with a Location all the same */
    "    location = /redirect/choices { default_type text/html; add_header Location /index.html\n"
    "                                   always; return 300 \"<title>Choices</title>\"; }\n"
    "    location = /redirect/file { return 302 file:///etc/passwd; }\n"
    "    location = /redirect/ftp { return 302 ftp://127.0.0.1/x; }\n"
    "    location = /redirect/data { return 302 \"data:text/html,<title>x</title>\"; }\n"
    /* cookies: set by a redirect, or by a page; /cookie/show echoes the Cookie header */
    "    location = /cookie/set { add_header Set-Cookie \"c=1; Path=/\" always;\n"
    "                             return 302 /cookie/show; }\n"
    "    location = /cookie/page { add_header Set-Cookie \"p=1; Path=/\" always;\n"
    "                              return 200 \"page\"; }\n"
    "    location = /cookie/show { return 200 \"[$http_cookie]\"; }\n"
    "    location = /status/404 { return 404; }\n"
    "    location = /status/503 { return 503; }\n"
    "    location = /status/429 { add_header Retry-After 1 always; return 429; }\n"
    "    location /slow/ { alias @D/www/; limit_rate 1k; }\n"
    "    location /close/ { alias @D/www/; keepalive_timeout 0; }\n"
    "  }\n"
    /* HTTP/2 whose connections end by GOAWAY after two requests, as nginx's end after
     * keepalive_requests (1000 by default) */
    "  server { listen 127.0.0.1:@4 ssl http2; server_name _; root @D/www;\n"
    "           keepalive_requests 2; }\n"
    "}\n";

static int nginx_start(nginx_server_t *s) {
    memset(s, 0, sizeof(*s));
    snprintf(s->dir, sizeof(s->dir), "/tmp/cafe-nginx-XXXXXX");
    if (!mkdtemp(s->dir))
        return -1;
    snprintf(s->ca, sizeof(s->ca), "%s/ca.pem", s->dir);
    int ports[5];
    if (nginx_free_ports(ports, 5) != 0)
        return -1;
    s->http_port = ports[0];
    s->h2_port = ports[1];
    s->https_port = ports[2];
    s->closed_port = ports[3];
    s->h2_goaway_port = ports[4];
    int rc = nginx_sh(
        "cd %s && mkdir -p www tmp && "
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "  -keyout ca.key -out ca.pem -subj '/CN=cafe test CA' "
        "  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign "
        "  >/dev/null 2>&1 && "
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        "  -keyout server.key -out server.csr -subj '/CN=localhost' >/dev/null 2>&1 && "
        "printf 'subjectAltName=DNS:localhost,DNS:cafe.test,DNS:*.cafe.test,IP:127.0.0.1\\n' > "
        "ext.cnf && "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
        "  -extfile ext.cnf -out server.pem >/dev/null 2>&1",
        s->dir);
    if (rc != 0)
        return -1;
    char path[256];
    snprintf(path, sizeof(path), "%s/nginx.conf", s->dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    /* @D is the directory, @1 @2 @3 @4 the ports */
    for (const char *p = nginx_conf; *p; p++) {
        if (*p != '@')
            fputc(*p, f);
        else if (*++p == 'D')
            fputs(s->dir, f);
        else
            fprintf(f, "%d",
                    *p == '1'   ? s->http_port
                    : *p == '2' ? s->h2_port
                    : *p == '3' ? s->https_port
                                : s->h2_goaway_port);
    }
    fclose(f);
    if (nginx_write_page(s->dir, "index.html", 2000) ||
        nginx_write_page(s->dir, "page30k.html", 30000) ||
        nginx_write_page(s->dir, "big.bin", 1 << 20))
        return -1;
    pid_t parent = getpid();
    s->pid = fork();
    if (s->pid == 0) {
        /* nginx goes with the test, however it ends: a test that crashes would otherwise
         * leave it running, holding ctest's output pipe open until ctest's timeout. */
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
            _exit(127);
        execlp("nginx", "nginx", "-p", s->dir, "-c", path, "-e", "stderr", (char *)NULL);
        _exit(127);
    }
    /* Ready when it accepts: bounded, about 10 s at most. */
    for (int i = 0; i < 1000; i++) {
        if (nginx_can_connect(s->http_port) && nginx_can_connect(s->h2_port) &&
            nginx_can_connect(s->https_port) && nginx_can_connect(s->h2_goaway_port))
            return 0;
        if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
            s->pid = 0;
            return -1;
        }
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    return -1;
}

static void nginx_stop(nginx_server_t *s) {
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
    }
    if (s->dir[0])
        nginx_sh("rm -rf %s", s->dir);
}

enum { NGINX_LOG_CONNS = 512 };

/* Returns once nginx has logged every request whose response this process has read. nginx
 * logs a request after its response went out, an HTTP/2 stream's even later in the same turn
 * of its event loop (a posted event after the write of the last frame): a client that has read
 * every response can find the last line missing (19 of 20 streams, when nginx is preempted
 * between the write and the log). nginx is one process, and it accepts a connection made after
 * those responses were read only in a later turn, after it logged them: so one more request,
 * on a connection of its own (a loop of its own, outside any task), and its response read,
 * orders the log. */
static inline void nginx_log_settle(const nginx_server_t *s) {
    char u[128];
    cafe_http_result_t r;
    assert_null(cafe_task_current()); /* in a task, it could take a kept connection */
    snprintf(u, sizeof(u), "http://127.0.0.1:%d/index.html?log-settle", s->http_port);
    assert_int_equal(cafe_http_request(u, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    cafe_http_result_free(&r);
}

/* Of the access log's lines whose URI ends with tag: how many, on how many distinct
 * connections, and how many of those connections resumed a session. Every request whose
 * response was read before the call is counted (nginx_log_settle). */
typedef struct nginx_log_count {
    int requests, conns, resumed;
} nginx_log_count_t;

static inline nginx_log_count_t nginx_log_count(const nginx_server_t *s, const char *tag) {
    nginx_log_count_t n = {0, 0, 0};
    nginx_log_settle(s);
    char path[128], line[512], uri[400], reused[8];
    long conn, seen[NGINX_LOG_CONNS];
    snprintf(path, sizeof(path), "%s/access.log", s->dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        size_t ul;
        if (sscanf(line, "%ld %7s %399s", &conn, reused, uri) != 3 ||
            (ul = strlen(uri)) < strlen(tag) || strcmp(uri + ul - strlen(tag), tag) != 0)
            continue;
        n.requests++;
        int known = 0;
        for (int i = 0; i < n.conns; i++)
            known |= seen[i] == conn;
        if (known)
            continue;
        assert_true(n.conns < NGINX_LOG_CONNS);
        seen[n.conns++] = conn;
        n.resumed += strcmp(reused, "r") == 0;
    }
    fclose(f);
    return n;
}

/* cmocka group setup and teardown for a suite on one nginx: the server in *state. No proxy
 * from the caller's environment may come between the tests and it. */
static int nginx_group_setup(void **state) {
    static nginx_server_t s;
    static const char *const proxies[] = {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy",
                                          "ALL_PROXY"};
    for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
        unsetenv(proxies[i]);
    if (nginx_start(&s) != 0) {
        nginx_stop(&s);
        return -1;
    }
    *state = &s;
    return 0;
}

static int nginx_group_teardown(void **state) {
    nginx_stop(*state);
    return 0;
}

#endif
