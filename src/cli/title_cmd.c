/* `cafe title [--charset LABEL] [--type MIME] [--no-detect] [--max-bytes N] [FILE...]`: the
 * extractor alone, on local files (stdin when none). One line per file: its title, or an empty
 * line when the page has none. A file is HTML or XML by its extension, as browsers read
 * file:// URLs. */
#include "optabs.h"
#include "ascii.h"
#include "outbuf.h"
#include "text.h"
#include "title_cmd.h"
#include "cafe.h"
#include "fdwait.h"
#include "msg.h"
#include "termchar.h"
#include "token.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct title_opts {
    const char *charset;
    const char *type; /* --type: a MIME type or a whole Content-Type value; NULL: by extension */
    int no_detect;
    size_t max_bytes; /* read of each file at most, as cafe titles reads of each page */
} title_opts_t;

/* --charset: a label the extractor knows (it ignores others, as browsers ignore a server's),
 * or a Content-Type value with one. Typed on a command line, an unknown one is a mistake to
 * say (as iconv -f says it), not a silent fallback to detection. */
static const char *charset_check(const char *v) {
    cafe_title_t *t;
    if (cafe_title_create(&t, v) != 0)
        return "out of memory";
    cafe_title_finish(t); /* no bytes: only the given charset can have decided */
    int known = cafe_title_charset_source(t) == CAFE_CHARSET_HEADER;
    cafe_title_free(t);
    return known ? NULL : "not an encoding label browsers know (utf-8, koi8-r, shift_jis...)";
}

/* --type: one MIME type, type/subtype, as a Content-Type would give it, then its parameters
 * after ';'. One with no '/' ("xml") is a mistake to say, not a type that gives no title; so
 * is a list ("text/html,x", an Accept header's habit) or anything else after the subtype:
 * taken, it matched no type and every file gave an empty line, with exit status 0. So is a
 * type browsers show no title for (image/png, text/plain, a feed): every file would give an
 * empty line for it; said in the words of cafe titles' record for such a response. */
static const char *type_check(const char *v) {
    const char *p = v + strspn(v, " \t"), *sub = p + http_token_len(p);
    size_t n = *sub == '/' && sub > p ? http_token_len(sub + 1) : 0;
    const char *end = n ? sub + 1 + n + strspn(sub + 1 + n, " \t") : NULL;
    if (!end || (*end != '\0' && *end != ';'))
        return "not a MIME type (one TYPE/SUBTYPE, then ;parameters: text/html, "
               "application/xhtml+xml, application/xml, image/svg+xml...)";
    return cafe_title_mode_of(v) == CAFE_TITLE_NONE
               ? "not HTML, nor XML that browsers show a title of (text/html, "
                 "application/xhtml+xml, text/xml, application/xml, image/svg+xml)"
               : NULL;
}

/* The MIME type a browser gives a file:// URL by the file's extension (any case), where both
 * Chromium and Firefox read it as XML: .xhtml, .xht and .xhtm as application/xhtml+xml, .xml
 * as text/xml, .svg as image/svg+xml. Everything else is HTML: .html, .htm, and the unknown
 * extensions Firefox reads as HTML (Chromium as text); cafe title reads HTML files. */
static const char *type_of_path(const char *path) {
    static const char *const ext[][2] = {{"xhtml", "application/xhtml+xml"},
                                         {"xht", "application/xhtml+xml"},
                                         {"xhtm", "application/xhtml+xml"},
                                         {"xml", "text/xml"},
                                         {"svg", "image/svg+xml"}};
    const char *base = strrchr(path, '/'), *dot = strrchr(base ? base + 1 : path, '.');
    for (size_t i = 0; dot && i < sizeof ext / sizeof ext[0]; i++)
        if (ascii_casecmp(dot + 1, ext[i][0]) == 0)
            return ext[i][1];
    return "text/html";
}

static const cli_opt_t rows[] = {
    {CLI_OPT_STRING, "charset", 0, "LABEL", offsetof(title_opts_t, charset), 0, 0, 0, NULL, NULL,
     charset_check, "the encoding a server would declare (Content-Type)", NULL},
    {CLI_OPT_STRING, "type", 0, "MIME", offsetof(title_opts_t, type), 0, 0, 0, NULL, "by extension",
     type_check,
     "the MIME type a server would declare: text/html, or\nXML (application/xhtml+xml, "
     "text/xml, image/svg+xml)",
     "the MIME type a server would declare for every file, or a whole Content-Type value (its "
     "charset is then the transport charset, unless --charset gives one): text/html reads "
     "HTML; application/xhtml+xml, text/xml, application/xml and image/svg+xml read XML, as "
     "browsers read them; any other type is refused (exit status 2): a browser shows no "
     "document's title for it, and cafe titles says 'not HTML' of such a response. Without it a "
     "file's extension decides, as browsers decide for file:// "
     "URLs: .xhtml, .xht, .xhtm, .xml and .svg (any case) are XML, everything else HTML; "
     "standard input is HTML."},
    {CLI_OPT_FLAG, "no-detect", 0, NULL, offsetof(title_opts_t, no_detect), 0, 0, 1, NULL, NULL,
     NULL, "a page that declares no encoding is windows-1252\n(no detection)", NULL},
    {CLI_OPT_SIZE, "max-bytes", 0, "N", offsetof(title_opts_t, max_bytes), 1, 1e12, 0, "2097152",
     NULL, NULL,
     "bytes read of each file at most (reading stops\nearlier once the title is complete)",
     "Bytes read of each file at most, as cafe titles reads at most --max-bytes of each page: "
     "reading stops earlier once the title is complete, and the rest of the file (of standard "
     "input) is not read, so that a file without end (/dev/zero, a FIFO fed for ever) gives "
     "its line too. A file cut before its title ended gives the title read so far (an empty "
     "line before any), and standard error says so in cafe titles' words: 'cafe title: FILE: "
     "cut at --max-bytes N before the end of the title' (before any title); as in cafe "
     "titles, this is no failure (exit status 0)."},
    {CLI_OPT_HELP, "help", 'h', NULL, 0, 0, 0, 0, NULL, NULL, NULL, "print this help", NULL},
    {CLI_OPT_VERSION, "version", 0, NULL, 0, 0, 0, 0, NULL, NULL, NULL, "print the version", NULL},
};

const cli_optab_t cli_title_optab = {
    "title",
    "title [OPTIONS] [FILE...]\n",
    "Print the <title> of each HTML file (standard input when none), one line each,\n"
    "as a browser's document.title gives it, in UTF-8, escaped as cafe titles' lines\n"
    "(\\\\ for a backslash, \\xNN for a control character...); an empty line when the\n"
    "page has none. Files named .xhtml, .xht, .xhtm, .xml or .svg are read as XML, as\n"
    "browsers read them; --type says how to read every file. Reading stops at the\n"
    "title's end, or at --max-bytes.\n",
    NULL,
    rows,
    sizeof rows / sizeof rows[0],
    &cli_titles_optab,
};

/* After a read error err: 1 if f is a pipe or terminal another program made non-blocking
 * (the flag is the open file's, shared) and now has something to read, so reading goes on;
 * cafe titles reads its standard input the same way. */
static int again(FILE *f, int err) {
    if (err != EAGAIN && err != EWOULDBLOCK)
        return 0;
    clearerr(f);
    return fd_wait(fileno(f), POLLIN) == 0;
}

/* Extracts f's title into t, from max bytes at most. Returns 0, or the errno of a read error
 * (EISDIR for a directory, EIO...); *cut is 1 when f had more than max bytes and the title was
 * not final within them (finished as cut: cafe_title_finish_cut). */
static int extract(cafe_title_t *t, FILE *f, size_t max, int *cut) {
    char buf[65536];
    size_t n, left = max;
    int err, complete = 0; /* complete (or out of memory): the rest cannot change it */
    do {
        errno = 0;
        /* Not past the end: on a terminal, a read after Ctrl-D waits for more (a second
         * Ctrl-D), where cat ends at the first. */
        while (!complete && left && !feof(f) &&
               (n = fread(buf, 1, left < sizeof buf ? left : sizeof buf, f)) > 0) {
            complete = cafe_title_feed(t, buf, n) != 0;
            left -= n;
        }
        err = !complete && ferror(f) ? (errno ? errno : EIO) : 0;
    } while (err && again(f, err));
    /* max bytes read: cut only if there is one more (a file of exactly max bytes is whole) */
    int c = !err && !complete && !left && !feof(f) ? getc(f) : EOF;
    *cut = c != EOF;
    if (c != EOF && f == stdin) /* a second '-' reads on from here, as cat's would */
        ungetc(c, f);
    if (*cut)
        cafe_title_finish_cut(t);
    else
        cafe_title_finish(t);
    return err;
}

/* Writes a title's line in one write(2): each file's line is out before the next file is
 * opened (a FIFO, a slow disk), and a failed write is seen at once. Not through stdio: on a
 * standard output another program made non-blocking (the pipe's flag, shared) a full pipe
 * failed fflush with EAGAIN, and the run with "Resource temporarily unavailable"; here it
 * waits for the reader (fd_wait), as cafe titles' output does. Returns 0 or -errno. */
static int put_line(const char *title) {
    static int ascii = -1; /* a terminal of an 8-bit locale: ASCII only, as cafe titles */
    if (ascii < 0)
        ascii = isatty(STDOUT_FILENO) && term_locale_8bit();
    outbuf_t o = {0};
    if (title)
        text_append_ascii(&o, title, ascii);
    outbuf_putc(&o, '\n');
    int rc = o.oom ? -ENOMEM : 0;
    for (size_t at = 0; rc == 0 && at < o.len;) {
        ssize_t n = write(STDOUT_FILENO, o.p + at, o.len - at);
        if (n > 0)
            at += (size_t)n;
        else if (n < 0 && (errno == EINTR || ((errno == EAGAIN || errno == EWOULDBLOCK) &&
                                              fd_wait(STDOUT_FILENO, POLLOUT) == 0)))
            continue;
        else
            rc = n < 0 ? -errno : -EIO;
    }
    outbuf_free(&o);
    return rc;
}

/* Returns 0, 2 when the file could not be read, or -errno when the output failed. */
static int one_file(cafe_title_t *t, const char *path, const title_opts_t *o) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    static int told;
    if (f == stdin && !told && isatty(0) && isatty(2)) { /* else it seems to hang */
        fputs("cafe title: reading HTML from the terminal; Ctrl-D ends\n", stderr);
        told = 1;
    }
    if (f == stdin) /* a second '-' reads on, as cat's does (a terminal: until Ctrl-D again) */
        clearerr(stdin);
    if (!f) {
        int e = errno; /* before msg_quote, which may allocate */
        fprintf(stderr, "cafe title: %s: %s", msg_file(path), strerror(e));
        if (e == ENOENT && strstr(path, "://")) /* `cafe title https://...` */
            fprintf(stderr, " (a URL? cafe title reads files; fetch it with cafe titles -u %s)",
                    msg_quote(path));
        fputc('\n', stderr);
        return 2;
    }
    /* a whole Content-Type value gives the extractor its charset, as a server's does */
    const char *type = o->type ? o->type : f == stdin ? "text/html" : type_of_path(path);
    cafe_title_reset(t, o->charset ? o->charset : o->type);
    cafe_title_set_detection(t, !o->no_detect);
    cafe_title_mode_t mode = cafe_title_mode_of(type);
    if (mode != CAFE_TITLE_HTML && cafe_title_set_mode(t, mode) != 0) {
        fprintf(stderr, "cafe title: %s: out of memory\n", msg_file(path));
        if (f != stdin)
            fclose(f);
        return 2;
    }
    int cut, err = extract(t, f, o->max_bytes, &cut);
    if (f != stdin)
        fclose(f);
    if (err != 0) {
        fprintf(stderr, "cafe title: %s: %s\n", msg_file(path), strerror(err));
        return 2;
    }
    /* as cafe titles' record says it (RECORD_WHY_CUT): no failure, but the line may be short */
    const char *title = cafe_title_text(t, NULL);
    cut = cut && (!title || cafe_title_unclosed(t));
    if (cut)
        fprintf(stderr, "cafe title: %s: cut at --max-bytes %zu before %s\n", msg_file(path),
                o->max_bytes, title ? "the end of the title" : "any title");
    unsigned long line, col;
    /* cut: one reason, as titles' record gives one (an XML page cut "found no element") */
    const char *why = cut ? NULL : cafe_title_xml_error(t, &line, &col);
    if (why && line) /* the page a browser shows is its error page: why, but no failure */
        fprintf(stderr, "cafe title: %s: not well-formed XML (line %lu, column %lu: %s)\n",
                msg_file(path), line, col, why);
    else if (why)
        fprintf(stderr, "cafe title: %s: not well-formed XML (%s)\n", msg_file(path), why);
    if (cafe_title_truncated(t)) /* the line is not the whole title: no failure, but said */
        fprintf(stderr, "cafe title: %s: title cut at %d bytes, the longest kept\n", msg_file(path),
                CAFE_TITLE_MAX);
    return put_line(title);
}

static int title_files(const char **files, size_t n, const title_opts_t *o) {
    cafe_title_t *t;
    if (cafe_title_create(&t, o->charset) != 0) {
        fputs("cafe title: out of memory\n", stderr);
        return 2;
    }
    int status = 0, werr = 0;
    for (size_t i = 0; i < (n ? n : 1) && !werr; i++) { /* none: standard input */
        int rc = one_file(t, n ? files[i] : "-", o);
        if (rc < 0)
            werr = -rc; /* the output failed: the other files would go nowhere */
        else if (rc)
            status = 2; /* unreadable: named; the other files are still done */
    }
    cafe_title_free(t);
    if (werr && werr != EPIPE) /* a closed pipe (`| head`) is a quiet stop */
        fprintf(stderr, "cafe title: writing standard output: %s\n", strerror(werr));
    return werr ? msg_output_status(werr) : status; /* a closed pipe: SIGPIPE, as cat */
}

int cli_title_main(int argc, char **argv) {
    title_opts_t o = {NULL, NULL, 0, 0};
    size_t nfiles;
    const char **files = calloc((size_t)argc, sizeof(*files));
    if (!files) {
        fputs("cafe title: out of memory\n", stderr);
        return 2;
    }
    int rc =
        cli_optab_parse(&cli_title_optab, &o, argc, argv, 1, files, (size_t)argc, &nfiles, NULL);
    if (rc == 0)
        rc = title_files(files, nfiles, &o);
    free(files);
    return rc < 0 ? 0 : rc;
}
