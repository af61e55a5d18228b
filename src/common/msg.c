/* The tool's messages (msg.h). */
#include "msg.h"
#include "fdwait.h"
#include "termchar.h"
#include "cafe.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* Set once, by main before any task or thread starts; read-only after that. */
static const char *prog = "cafe";

void msg_prog_set(const char *p) {
    prog = p;
}

const char *msg_prog(void) {
    return prog;
}

/* Per thread: only the thread that set it erases the line it draws. */
static _Thread_local void (*progress_erase)(void *);
static _Thread_local void *progress_arg;

void msg_progress_set(void (*fn)(void *arg), void *arg) {
    progress_erase = fn;
    progress_arg = arg;
}

void msg_progress_clear(void) {
    if (progress_erase)
        progress_erase(progress_arg);
}

/* "Too many open files" said which limit: `cafe serve` under `ulimit -n 6` said only
 * "cannot start: Too many open files", the limit to raise left to guess. */
static const char *emfile_words(void) {
    static _Thread_local char buf[80];
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return strerror(EMFILE);
    snprintf(buf, sizeof buf, "%s (ulimit -n %llu)", strerror(EMFILE),
             (unsigned long long)rl.rlim_cur);
    return buf;
}

const char *msg_strerror(int rc) {
    if (rc == -EMFILE)
        return emfile_words();
    return rc < 0 && rc > -4096 && rc != CAFE_ENOMEM ? strerror(-rc) : cafe_strerror(rc);
}

/* Bytes that need no quotes: coreutils' unquoted set in shell-escape style. */
static int plain(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("%+,-./:=@_", c) != NULL;
}

static int ascii_only;

static void ascii_decide(void) {
    ascii_only = term_locale_8bit();
}

static pthread_once_t ascii_once = PTHREAD_ONCE_INIT;

int msg_ascii(void) {
    pthread_once(&ascii_once, ascii_decide);
    return ascii_only;
}

void msg_ascii_unset(void) {
    pthread_once(&ascii_once, ascii_decide); /* decided: no later call decides again */
    ascii_only = 0;
}

/* The length of the printable UTF-8 character at s (NUL-terminated), 0 when s starts with
 * none: an invalid or overlong sequence, a C1 control, or a bidirectional control or line
 * separator (they reorder or break the terminal's line, as text.c escapes them), or any
 * non-ASCII character in an 8-bit locale (msg_ascii). */
static size_t printable_char(const unsigned char *s) {
    if (msg_ascii())
        return 0;
    uint32_t cp = 0;
    size_t len = *s >= 0x80 ? term_utf8_char(s, 4, &cp) : 0;
    return cp < 0xA0 || term_reorders(cp) ? 0 : len;
}

/* A byte as the shell's $'...' writes it: \n, \t, \r, or three octal digits. */
static size_t escape(unsigned char c, char *out) {
    const char *named = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : NULL;
    if (named) {
        memcpy(out, named, 2);
        return 2;
    }
    return (size_t)sprintf(out, "\\%03o", c);
}

/* Writes name's quoted form into out (room for 7 bytes per byte of name, and 3) and returns
 * its length. */
static size_t quote(const unsigned char *s, char *out) {
    size_t n = 0, len;
    int need = !*s;
    for (const unsigned char *p = s; *p && !need; p += len)
        need = !(len = plain(*p) ? 1 : printable_char(p));
    if (!need) {
        memcpy(out, s, strlen((const char *)s));
        return strlen((const char *)s);
    }
    int in = 0, esc = 0; /* inside '...', inside $'...' */
    if (!*s)
        out[n++] = '\'', in = 1;
    for (const unsigned char *p = s; *p; p += len) {
        len = *p >= 0x20 && *p < 0x7F ? 1 : printable_char(p);
        if (len == 0) { /* to escape: in $'...' */
            if (in)
                out[n++] = '\'', in = 0;
            if (!esc)
                memcpy(out + n, "$'", 2), n += 2, esc = 1;
            n += escape(*p, out + n);
            len = 1;
            continue;
        }
        if (esc)
            out[n++] = '\'', esc = 0;
        if (!in)
            out[n++] = '\'', in = 1;
        if (*p == '\'') /* close, an escaped quote, open again */
            memcpy(out + n, "'\\''", 4), n += 4;
        else
            memcpy(out + n, p, len), n += len;
    }
    if (in || esc)
        out[n++] = '\'';
    return n;
}

/* The room quote() needs for name's quoted form and its NUL. */
static size_t quoted_size(const char *name) {
    return strlen(name) * 7 + 3;
}

#define SLOTS 4

const char *msg_file(const char *path) {
    return strcmp(path, "-") == 0 ? "standard input" : msg_quote(path);
}

const char *msg_quote(const char *name) {
    static char *slot[SLOTS];
    static size_t cap[SLOTS], next;
    size_t i = next++ % SLOTS, want = quoted_size(name);
    if (want > cap[i]) {
        char *grown = realloc(slot[i], want);
        if (!grown)
            return "(a name not shown: out of memory)";
        slot[i] = grown;
        cap[i] = want;
    }
    slot[i][quote((const unsigned char *)name, slot[i])] = '\0';
    return slot[i];
}

char *msg_quote_dup(const char *name) {
    char *q = malloc(quoted_size(name));
    if (q)
        q[quote((const unsigned char *)name, q)] = '\0';
    return q;
}

_Static_assert(MSG_READER_GONE == 128 + SIGPIPE, "SIGPIPE is 13");

int msg_output_status(int err) {
    return err == EPIPE ? MSG_READER_GONE : 2;
}

int msg_stdout_failed(int err) {
    if (err == EPIPE || (err == 0 && fd_reader_gone(1)))
        return MSG_READER_GONE;
    fprintf(stderr, "%s: writing standard output%s%s\n", msg_prog(), err ? ": " : " failed",
            err ? strerror(err) : "");
    return 2;
}
