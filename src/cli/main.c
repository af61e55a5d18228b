/* The `cafe` command: a thin layer over libcafe, as curl's tool is over libcurl. */
#include "cafe.h"
#include "demo.h"
#include "msg.h"
#include "optab.h"
#include "queue_cmd.h"
#include "title_cmd.h"
#include "serve.h"
#include "signals.h"
#include "titles.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const cli_opt_t rows[] = {
    {.kind = CLI_OPT_SECTION, .name = "Options"},
    {CLI_OPT_HELP, "help", 'h', NULL, 0, 0, 0, 0, NULL, NULL, NULL, "print this help", NULL},
    {CLI_OPT_VERSION, "version", 0, NULL, 0, 0, 0, 0, NULL, NULL, NULL, "print the version", NULL},
};

/* cafe's own options, before any command: parsed as a command's are. */
static const cli_optab_t top_optab = {
    NULL,
    "COMMAND [OPTIONS]\n",
    "Commands:\n"
    "  titles [-u URL]... [FILE|-]...\n"
    "                    fetch the <title> of every URL given with -u, then in each\n"
    "                    FILE (standard input when neither is given)\n"
    "  title [FILE...]   print the <title> of local HTML files\n"
    "  demo              the guide's experiment, sync vs async, on local sites\n"
    "  queue push|results|status|delete REDIS_URL\n"
    "                    a URL queue on Redis shared by many `cafe titles --queue`\n"
    "                    workers\n"
    "  serve             a title service: HTTP API and web page\n",
    "Each command's options: cafe COMMAND --help (or cafe help COMMAND)\n",
    rows,
    sizeof rows / sizeof rows[0],
    NULL,
};

/* glibc gives the heap's free top back to the kernel once it passes 128 KiB, and maps
 * allocations of 128 KiB and more on their own. A run's allocations come and go by the
 * thousand a second (libcurl's 16 KiB receive buffer per transfer among them), so the heap
 * shrank and grew all the time: every regrowth faults its pages in again, and a profile of
 * `cafe titles` showed 1.6 minor page faults per URL, most of them in recv() filling a
 * buffer just handed out (the lean libcurl client: 0.2). Keeping up to 16 MiB of free heap
 * and growing it 1 MiB at a time makes the steady state fault-free; the memory stays
 * bounded (1,000,000 URLs still well under 100 MB). */
static void tune_allocator(void) {
#ifdef __GLIBC__
    (void)mallopt(M_TRIM_THRESHOLD, 16 << 20);
    (void)mallopt(M_TOP_PAD, 1 << 20);
    (void)mallopt(M_MMAP_THRESHOLD, 1 << 20); /* the fixed value replaces the dynamic one */
#endif
}

/* Started with 0, 1 or 2 closed (`cafe titles ... >&-`), the next descriptor opened takes
 * its number: the loop's epoll or signal pipe, a socket, the -o file. Then libuv aborts when
 * it closes a descriptor below 3, and a message for stderr lands in whatever took 2. Each
 * closed one is filled with /dev/null opened the other way round (stdin write-only, stdout
 * and stderr read-only), so that using it still fails with EBADF as on a closed descriptor
 * and the usual "Bad file descriptor" error is reported. Returns 0, or -1 if one cannot be
 * filled (no /dev/null): better to refuse than to run so. */
static int fill_closed_std_fds(void) {
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        int got = open("/dev/null", (fd == 0 ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
        if (got != fd) { /* the lowest free number: fd, as the lower ones are open */
            if (got >= 0)
                (void)close(got);
            return -1;
        }
    }
    return 0;
}

typedef struct command {
    const char *name, *prog;
    int (*main)(int argc, char **argv);
} command_t;

static const command_t commands[] = {
    {"titles", "cafe titles", cli_titles_main}, {"title", "cafe title", cli_title_main},
    {"demo", "cafe demo", cli_demo_main},       {"queue", "cafe queue", cli_queue_main},
    {"serve", "cafe serve", serve_main},
};

static const command_t *command_named(const char *name) {
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(name, commands[i].name) == 0)
            return &commands[i];
    return NULL;
}

/* An argv word of cafe's own (argv's are not const). */
static char help_word[] = "--help";

/* `cafe --help CMD ...`, `cafe -h CMD ...` and `cafe help CMD ...` (as git takes `git --help
 * log` and `git help log`): run as `cafe CMD ... --help`, so what follows CMD (a queue
 * subcommand, a mistake) is read as CMD reads it. argv is reordered in place (as getopt
 * permutes it): the help word moves to the end, argv[argc] stays NULL. Returns -1 when argv
 * is none of those. */
static int help_of_command(int argc, char **argv) {
    const command_t *c = argc >= 3 ? command_named(argv[2]) : NULL;
    if (!c || (strcmp(argv[1], "--help") != 0 && strcmp(argv[1], "-h") != 0 &&
               strcmp(argv[1], "help") != 0))
        return -1;
    memmove(argv + 1, argv + 2, sizeof *argv * (size_t)(argc - 2));
    argv[argc - 1] = help_word;
    msg_prog_set(c->prog);
    return c->main(argc - 1, argv + 1);
}

static int run_command(int argc, char **argv) {
    if (argc < 2) {
        cli_optab_help(&top_optab, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    const command_t *c = command_named(cmd);
    if (c) {
        msg_prog_set(c->prog);
        return c->main(argc - 1, argv + 1);
    }
    int helped = help_of_command(argc, argv);
    if (helped >= 0)
        return helped;
    if (argc == 2 && strcmp(cmd, "help") == 0) /* `cafe help`, as `git help`: the help */
        argv[1] = help_word, cmd = help_word;
    else if (strcmp(cmd, "help") == 0 && argv[2][0] != '-') /* `cafe help foo`: foo unknown */
        cmd = argv[2];
    if (cmd[0] == '-' && cmd[1]) { /* --help, --version: no operand after them */
        size_t none;
        int rc = cli_optab_parse(&top_optab, NULL, argc, argv, 1, NULL, 0, &none, NULL);
        return rc < 0 ? 0 : rc ? rc : cli_optab_usage_error(&top_optab, "no command given");
    }
    char shown[96];
    cli_optab_quoted(cmd, shown, sizeof shown);
    /* `cafe version` (as git and cargo take it): cafe's options are offered too, after the
     * commands, and named as options. */
    cli_nearest_t near;
    cli_nearest_init(&near, cmd, strlen(cmd));
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        cli_nearest_offer(&near, commands[i].name);
    const char *command = near.best;
    for (size_t i = 0; i < top_optab.n; i++)
        if (top_optab.opts[i].kind != CLI_OPT_SECTION)
            cli_nearest_offer(&near, top_optab.opts[i].name);
    if (near.best && near.best == command)
        return cli_optab_usage_error(&top_optab, "unknown command '%s' (did you mean '%s'?)", shown,
                                     near.best);
    if (near.best)
        return cli_optab_usage_error(&top_optab, "unknown command '%s' (did you mean --%s?)", shown,
                                     near.best);
    return cli_optab_usage_error(&top_optab, "unknown command '%s'", shown);
}

/* What a command printed on stdout must have reached it, as coreutils' close_stdout checks:
 * `cafe --help > /dev/full` is a failure, not status 0. A command that failed has said why
 * (cafe titles, cafe title and cafe demo check their own output); a closed pipe is a quiet
 * stop (MSG_READER_GONE). Closed here and checked, as close_stdout does: NFS, FUSE and quotas
 * report a write that failed in write-back at close (`cafe titles --json list > /nfs/out.jsonl`
 * ended with status 0 and records missing); the exit's own close would drop that error. */
static int stdout_written(int rc) {
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout) &&
        (close(STDOUT_FILENO) == 0 || errno == EINTR || errno == EBADF))
        return rc;
    return rc ? rc : msg_stdout_failed(errno); /* errno 0: the write failed earlier, unchecked */
}

/* URL lists and titles are UTF-8 whatever the user's locale: libcurl's IDN conversion
 * (libidn2) reads host names in the LC_CTYPE encoding, so make that UTF-8. Without C.UTF-8
 * (a glibc before 2.35 that no distribution patch gave it), the user's locale, unless it
 * folds the ASCII letters otherwise than ASCII: Turkish and Azeri make I a dotless i. cafe's
 * own comparisons fold ASCII only (common/ascii.h); the C locale keeps any library linked in
 * that folds through the C library's tables from reading "APPLICATION/XHTML+XML" otherwise. */
static void ctype_set(void) {
    if (setlocale(LC_CTYPE, "C.UTF-8"))
        return;
    if (!setlocale(LC_CTYPE, ""))
        return;
    if (toupper('i') != 'I' || tolower('I') != 'i') /* locale on purpose: the probe */
        setlocale(LC_CTYPE, "C");
}

int main(int argc, char **argv) {
    if (fill_closed_std_fds() != 0)
        return 2; /* stderr itself may be the closed one: nowhere to say why */
    tune_allocator();
    /* A closed pipe is a write error we report (or, for `| head`, a quiet stop, ending by
     * SIGPIPE once done: MSG_READER_GONE), not a signal that kills the run before finished
     * records are accounted for (an -o file synced, a database's run ended). */
    signal(SIGPIPE, SIG_IGN);
    /* ulimit -f reached is a full disk by another name: write() fails with EFBIG, reported
     * and stopped on as ENOSPC is, rather than SIGXFSZ killing the run without a word and
     * leaving its database run 'running'. */
    signal(SIGXFSZ, SIG_IGN);
    ctype_set();
    int rc = stdout_written(run_command(argc, argv));
    /* The output's reader is gone (`cafe titles list | head -1`): every command has stopped
     * and freed what it held; end as a program that left SIGPIPE alone, quietly. */
    return rc == MSG_READER_GONE ? stop_signals_exit(SIGPIPE, 1) : rc;
}
