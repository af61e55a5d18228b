/* The evaluation of docs/serve.md: hello world on libmicrohttpd, its epoll descriptor driven
 * by a uv_poll on a libuv loop (MHD_USE_EPOLL without an internal thread), one thread, as
 * `cafe serve` runs it. Usage: hello_mhd PORT (binds 127.0.0.1). The first call of the
 * handler only says "go on": answering before the request is complete would make
 * libmicrohttpd close the connection (no keep-alive). */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

static struct MHD_Daemon *d;
static uv_poll_t poll_h;
static uv_timer_t timer_h;

static enum MHD_Result hello(void *cls, struct MHD_Connection *c, const char *url,
                             const char *method, const char *version, const char *upload,
                             size_t *upload_size, void **con_cls) {
    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)upload;
    (void)upload_size;
    (void)con_cls;
    static int first;
    if (*con_cls == NULL) {
        *con_cls = &first;
        return MHD_YES;
    }
    static const char body[] = "hello world\n";
    struct MHD_Response *r =
        MHD_create_response_from_buffer(sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", "text/plain");
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static void rearm(void);
static void on_timer(uv_timer_t *t) {
    (void)t;
    MHD_run(d);
    rearm();
}
static void on_poll(uv_poll_t *p, int status, int events) {
    (void)p;
    (void)status;
    (void)events;
    MHD_run(d);
    rearm();
}
static void rearm(void) {
    MHD_UNSIGNED_LONG_LONG to;
    if (MHD_get_timeout(d, &to) == MHD_YES)
        uv_timer_start(&timer_h, on_timer, to, 0);
    else
        uv_timer_stop(&timer_h);
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 8082;
    struct sockaddr_in sa;
    uv_ip4_addr("127.0.0.1", port, &sa);
    d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_TURBO, (uint16_t)port, NULL, NULL, hello, NULL,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT,
                         10000, MHD_OPTION_CONNECTION_TIMEOUT, 30, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "start failed\n");
        return 1;
    }
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
    uv_loop_t *loop = uv_default_loop();
    uv_poll_init(loop, &poll_h, i->epoll_fd);
    uv_poll_start(&poll_h, UV_READABLE, on_poll);
    uv_timer_init(loop, &timer_h);
    rearm();
    printf("mhd on %d\n", port);
    fflush(stdout);
    return uv_run(loop, UV_RUN_DEFAULT);
}
