/* Test helper: the cafe-fixture binary as a child process (its own file descriptors, its own
 * CPU time under valgrind). Ready when it prints its ports; stopped with SIGTERM, and it also
 * exits when this process dies (stdin EOF). Included by the http tests (static functions). */
#ifndef CAFE_TEST_FIXTURE_PROC_H
#define CAFE_TEST_FIXTURE_PROC_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define FIXTURE_MAX_SITES 256

typedef struct fixture_proc {
    pid_t pid;
    int stdin_fd;
    int sites;
    int ports[FIXTURE_MAX_SITES];
} fixture_proc_t;

/* Starts cafe-fixture with `args` (a NULL-terminated list after the program name). */
static int fixture_start(fixture_proc_t *f, const char *const *args) {
    char bin[512];
    const char *dir = getenv("CAFE_BUILD_DIR");
    snprintf(bin, sizeof(bin), "%s/src/fixture/cafe-fixture", dir ? dir : ".");
    const char *argv[32] = {bin, "--exit-on-eof"};
    int argc = 2;
    for (; args && *args && argc < 31; args++)
        argv[argc++] = *args;
    argv[argc] = NULL;
    int in[2], out[2];
    memset(f, 0, sizeof(*f));
    if (pipe(in) != 0 || pipe(out) != 0)
        return -1;
    f->pid = fork();
    if (f->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    f->stdin_fd = in[1];
    FILE *rd = fdopen(out[0], "r");
    char line[8192];
    /* The ready line, read blocking: the fixture prints it once listening (or dies). */
    int ok = rd && fgets(line, sizeof(line), rd) && strncmp(line, "ready ", 6) == 0;
    if (rd)
        fclose(rd);
    if (!ok)
        return -1;
    char *save = NULL, *tok = strtok_r(line + 6, " \n", &save); /* the address */
    while ((tok = strtok_r(NULL, " \n", &save)) != NULL && f->sites < FIXTURE_MAX_SITES)
        f->ports[f->sites++] = atoi(tok);
    return f->sites > 0 ? 0 : -1;
}

static int fixture_stop(fixture_proc_t *f) {
    int status = -1;
    if (f->pid > 0) {
        kill(f->pid, SIGTERM);
        waitpid(f->pid, &status, 0);
        close(f->stdin_fd);
        f->pid = 0;
    }
    return status;
}

/* cmocka group setup/teardown: one fixture process (2 sites, 30 KB pages) for the group,
 * in *state. */
static inline int fixture_group_setup(void **state) {
    static fixture_proc_t f;
    const char *args[] = {"--sites", "2", "--size", "30000", NULL};
    if (fixture_start(&f, args) != 0)
        return -1;
    *state = &f;
    return 0;
}

static inline int fixture_group_teardown(void **state) {
    return fixture_stop(*state) == 0 ? 0 : -1;
}

static const char *fixture_url(char *buf, size_t cap, const fixture_proc_t *f, int site,
                               const char *path) {
    snprintf(buf, cap, "http://127.0.0.1:%d%s", f->ports[site], path);
    return buf;
}

#endif
