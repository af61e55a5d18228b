#include "input.h"
#include "ascii.h"
#include "cafe.h"
#include "msg.h"
#include "sniff.h"
#include "url.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (64 * 1024)
/* The most of an input's start a CSV table is judged on: its header row and the row after
 * it, each as long as a line may be, with their ends and a byte order mark. */
#define TABLE_START (2 * (INPUT_LINE_MAX + 2) + 3)

struct input {
    int fd, own_fd, eof;
    int regular; /* a regular file: read where called (see refill) */
    atomic_int aborted;
    size_t start, end; /* unread bytes are buf[start..end) */
    size_t lf_none;    /* buf[start..lf_none) holds no LF: where the next search for one starts */
    uint64_t lineno;
    char head[INPUT_LINE_SHOWN]; /* an over-long line's start, kept while the rest is skipped */
    char buf[CHUNK + INPUT_LINE_MAX];
};

/* UTF-16, as Windows PowerShell's '>' writes: read as bytes, every line would be a bad URL
 * full of NULs. Its byte order mark, then a character whose high byte is 0, as every ASCII
 * one's is (ff fe alone may start a UTF-8 line of invalid bytes): INPUT_UTF16. UTF-32's
 * marks (ff fe 00 00, which as UTF-16 would be its mark and a NUL, and 00 00 fe ff;
 * PowerShell's Out-File -Encoding UTF32 writes the first): INPUT_UTF32, for a message that
 * names it (iconv -f UTF-16 made it no better).
 * Or, without a mark (Python's and Java's UTF-16LE writers, .NET's Unicode without its
 * preamble), two ASCII characters each followed by its high byte 0, which no URL line
 * starts with: INPUT_UTF16LE; each preceded by it (Java's UTF-16BE, .NET's BigEndianUnicode
 * without a preamble): INPUT_UTF16BE, refused alike (it was read as URLs full of NULs).
 * 0 for none. p: 4 bytes. */
static int utf16_start(const char *p) {
    const unsigned char *u = (const unsigned char *)p;
    if (memcmp(p, "\xff\xfe\0\0", 4) == 0 || memcmp(p, "\0\0\xfe\xff", 4) == 0)
        return INPUT_UTF32;
    if ((memcmp(p, "\xff\xfe", 2) == 0 && p[3] == 0) ||
        (memcmp(p, "\xfe\xff", 2) == 0 && p[2] == 0))
        return INPUT_UTF16;
    int ascii_le = u[0] && u[0] < 0x80 && !u[1] && u[2] && u[2] < 0x80 && !u[3];
    int ascii_be = !u[0] && u[1] && u[1] < 0x80 && !u[2] && u[3] && u[3] < 0x80;
    return ascii_le ? INPUT_UTF16LE : ascii_be ? INPUT_UTF16BE : 0;
}

/* A spreadsheet or document kept in its own format rather than saved as text: a list of URLs
 * in Excel or LibreOffice (.xlsx, .ods: zip files whose first member names the format; .xls,
 * .doc: OLE2), a PDF, or a program (ELF; `cafe titles ./cafe`). Read as bytes, each gave
 * records of binary garbage, a few of it looked up in the DNS, and exit status 0; a zipped
 * spreadsheet was called zip-compressed, and unzip gives its XML. INPUT_OFFICE, INPUT_PDF,
 * INPUT_PROGRAM, or 0 for none. p: n bytes. */
static int document_start(const char *p, size_t n) {
    static const char *const members[] = {
        "[Content_Types].xml", "_rels/", "docProps/", "xl/", "word/", "ppt/", "mimetype"};
    if (n >= 8 && memcmp(p, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8) == 0)
        return INPUT_OFFICE;
    if (n >= 5 && memcmp(p, "%PDF-", 5) == 0)
        return INPUT_PDF;
    if (n >= 4 && memcmp(p,
                         "\x7f"
                         "ELF",
                         4) == 0)
        return INPUT_PROGRAM;
    if (n < 30 || memcmp(p, "PK\x03\x04", 4) != 0)
        return 0;
    /* a zip's local header: the first member's name at 30, its length at 26 */
    size_t len = (unsigned char)p[26] | (size_t)(unsigned char)p[27] << 8;
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
        size_t m = strlen(members[i]);
        if (len >= m && n >= 30 + m && memcmp(p + 30, members[i], m) == 0)
            return INPUT_OFFICE;
    }
    return 0;
}

/* A web page given where a list goes: `cafe titles page.html`, one letter from `cafe title
 * page.html`, took each line of the page as a URL, and a line of its text alone ("Welcome")
 * as a host, looked up in the DNS and fetched. Or an XML document, most often a sitemap,
 * whose URLs are in its <loc> elements: every line a bad one. Known as browsers know a page
 * without a type (MIME Sniffing's signatures, which no URL line starts with: '<' is no
 * host's), after a byte order mark; or by any other doctype, as a browser's export of its
 * bookmarks starts (<!DOCTYPE NETSCAPE-Bookmark-file-1>: a bad line for each bookmark).
 * INPUT_HTML, INPUT_XML or 0. p: n bytes. */
static int markup_start(const char *p, size_t n) {
    if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
        p += 3, n -= 3;
    size_t ws = sniff_leading_ws(p, n);
    int doctype = n - ws >= 10 && ascii_ncasecmp(p + ws, "<!DOCTYPE ", 10) == 0;
    return sniff_html(p, n) || doctype ? INPUT_HTML : sniff_xml(p, n) ? INPUT_XML : 0;
}

/* Compressed lists, as crawls publish them (Common Crawl's are .gz): read as bytes, a few
 * bad "URLs" of binary and exit status 0. Known by their formats' magic numbers, none of
 * which a URL line starts with (each holds a control byte, but bzip2's, whose "BZh", block
 * size and block mark are 6 bytes). INPUT_GZIP... for one of them, 0 for none. p: n bytes. */
static int compressed_start(const char *p, size_t n) {
    static const struct {
        const char *magic;
        size_t len;
        int code;
    } formats[] = {
        {"\x1f\x8b", 2, INPUT_GZIP},
        {"\xfd"
         "7zXZ",
         5, INPUT_XZ},
        {"\x28\xb5\x2f\xfd", 4, INPUT_ZSTD},
        {"PK\x03\x04", 4, INPUT_ZIP},
    };
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (n >= formats[i].len && memcmp(p, formats[i].magic, formats[i].len) == 0)
            return formats[i].code;
    if (n >= 6 && memcmp(p, "BZh", 3) == 0 && p[3] >= '1' && p[3] <= '9' &&
        memcmp(p + 4, "\x31\x41", 2) == 0)
        return INPUT_BZIP2;
    return 0;
}

/* A SQLite database: cafe's own results (`cafe titles results.db`, or `-o x.db x.db`, whose
 * rows it then wrote into the file it read), read as bytes, gave records of binary garbage
 * and exit status 0. Its header's 16 bytes, which no URL line starts with (a NUL ends them). */
static int sqlite_start(const char *p, size_t n) {
    return n >= 16 && memcmp(p, "SQLite format 3", 16) == 0 ? INPUT_SQLITE : 0;
}

/* The first line of p[0..n): its length without its end; -1 when no end is there. */
static long first_line(const char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] == '\n' || p[i] == '\r')
            return (long)i;
    return -1;
}

/* A line of cafe's text output (format.c's): "'Title' from URL", "(no title) from URL", "(not
 * HTML (image/png)) from URL", or "Error fetching URL: message". No URL line starts with a
 * quote, a parenthesis or "Error fetching " (none of them is a host's), so no list whose
 * first line could be fetched is taken for one. line: len bytes, its end left out. */
static int text_record(const char *line, size_t len) {
    static const char error[] = "Error fetching ";
    if (len >= sizeof error - 1 && memcmp(line, error, sizeof error - 1) == 0)
        return 1;
    return len > 0 && ((line[0] == '\'' && memmem(line, len, "' from ", 7)) ||
                       (line[0] == '(' && memmem(line, len, ") from ", 7)));
}

/* cafe's own results given back as a list (`cafe titles results.csv`): each CSV row was
 * fetched as one URL with its other fields in the path (a request for a page that does not
 * exist, on every site of the list, and records that said "200"), each JSON record and each
 * line of the text output (`cafe titles list > titles.txt; cafe titles titles.txt`, its
 * default format) was a bad line. Known by their start, after a byte order mark a
 * spreadsheet may have added: the CSV header's first names, a JSON record's first key, the
 * first text line's shape. */
static int results_start(const char *p, size_t n) {
    static const char csv[] = "url,final_url,status,title,", json[] = "{\"url\":";
    if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
        p += 3, n -= 3;
    if (n >= sizeof csv - 1 && memcmp(p, csv, sizeof csv - 1) == 0)
        return INPUT_CAFE_CSV;
    if (n >= sizeof json - 1 && memcmp(p, json, sizeof json - 1) == 0)
        return INPUT_CAFE_JSON;
    long len = first_line(p, n);
    return text_record(p, len < 0 ? n : (size_t)len) ? INPUT_CAFE_TEXT : 0;
}

/* The separators of line[0..len) outside quotes (a "" inside a quoted field closes and
 * opens it again). */
static size_t separators(const char *line, size_t len, char sep) {
    size_t n = 0;
    int quoted = 0;
    for (size_t i = 0; i < len; i++)
        if (line[i] == '"')
            quoted = !quoted;
        else
            n += line[i] == sep && !quoted;
    return n;
}

/* Is line[0..len) a CSV header row: two fields or more, split by ',' or by ';' (as
 * spreadsheets of a comma-decimal locale save them), each a name (letters in any script,
 * digits, spaces, '_' and '-'), quoted or not; or one name quoted ("url": R's write.csv,
 * Python's QUOTE_ALL, a spreadsheet quoting all text). No URL line is one: without ':', '/'
 * or '.' the whole line is a host, which holds no ',', ';', space or quote. *sep: its
 * separator, 0 for the one quoted name. */
static int csv_header(const char *line, size_t len, char *sep) {
    int quoted = 0, named = 0;
    *sep = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c == '"')
            quoted = !quoted;
        else if ((c == ',' || c == ';') && !quoted && (!*sep || c == *sep))
            *sep = (char)c;
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
            named = 1;
        else if (!(c >= '0' && c <= '9') && c != ' ' && c != '_' && c != '-' && c < 0x80 &&
                 !(quoted && (c == ',' || c == ';')))
            return 0;
        else
            named |= c >= 0x80;
    }
    int one_quoted = len >= 2 && line[0] == '"' && line[len - 1] == '"';
    return (*sep || one_quoted) && named && !quoted;
}

/* The length of the first line of *p[0..*n) when it is a CSV header row (csv_header), after
 * a UTF-8 byte order mark, which *p and *n then skip; else -1. */
static long header_row(const char **p, size_t *n, char *sep) {
    if (*n >= 3 && memcmp(*p, "\xef\xbb\xbf", 3) == 0)
        *p += 3, *n -= 3;
    long head = first_line(*p, *n);
    return head >= 0 && csv_header(*p, (size_t)head, sep) ? head : -1;
}

/* A spreadsheet's table saved as CSV: a header row ("url,label"), then rows of fields
 * ("https://example.com/a,Home", quoted where a field holds the separator). Each row was
 * fetched as one URL with its other fields in the path (a request for a page that does not
 * exist, or a 200 for the wrong page) and the header as a host. Known by its header row
 * (csv_header) and the row after it, which has as many separators or more (a field may be
 * a URL holding one) or, under one quoted name, starts with a quote: a heading over a list
 * ("My sites, 2024") is no table, nor is a header alone. INPUT_CSV_TABLE or 0; p[0..n):
 * the input's first bytes (what is there of its second line counts). */
static int csv_table(const char *p, size_t n) {
    char sep;
    long head = header_row(&p, &n, &sep);
    if (head < 0)
        return 0;
    size_t at = (size_t)head + 1 + (p[head] == '\r' && (size_t)head + 1 < n && p[head + 1] == '\n');
    long row = at < n ? first_line(p + at, n - at) : -1;
    size_t len = row >= 0 ? (size_t)row : n - at;
    if (at >= n || len == 0)
        return 0;
    int fits =
        sep ? separators(p + at, len, sep) >= separators(p, (size_t)head, sep) : p[at] == '"';
    return fits ? INPUT_CSV_TABLE : 0;
}

/* Is p[0..n), what is there of the input, a CSV header row whose next row has not come whole
 * yet: csv_table can judge it only once that row has (or the input ended). A pipe's first
 * read may hold the header alone (`(echo url,label; query) | cafe titles`): judged then, the
 * table was a list, its header a bad line and each row fetched with its label in the path. */
static int table_pending(const char *p, size_t n) {
    char sep;
    long head = header_row(&p, &n, &sep);
    if (head < 0)
        return 0;
    size_t at = (size_t)head + 1;
    if (p[head] == '\r' && at == n)
        return 1; /* an LF may follow */
    at += p[head] == '\r' && p[at] == '\n';
    return first_line(p + at, n - at) < 0;
}

/* What the input's first n bytes (p) say it is not: one of the INPUT_UTF*, compressed,
 * SQLite or results codes, or 0 (a list, as far as they tell). */
static int not_a_list(const char *p, size_t n) {
    int kind = n >= 4 ? utf16_start(p) : 0;
    if (!kind)
        kind = document_start(p, n);
    if (!kind)
        kind = compressed_start(p, n);
    if (!kind)
        kind = sqlite_start(p, n);
    if (!kind)
        kind = markup_start(p, n);
    return kind ? kind : results_start(p, n);
}

int input_open(input_t **out, const char *path) {
    return input_open_at(out, path, -1);
}

int input_open_at(input_t **out, const char *path, long long at) {
    input_t *in = calloc(1, sizeof(*in));
    if (!in)
        return CAFE_ENOMEM;
    /* Non-blocking, so that a FIFO's open does not wait for its writer: every input is
     * opened up front (chain.c), and a producer filling FIFOs in turn (`cafe titles a b`,
     * a written before b is opened) waited for cafe to read a while cafe waited in the open
     * of b. Until a writer comes, Linux's poll on the FIFO (read_chunk's) waits, as the
     * blocking open did; reads are blocking again once the flag is off. */
    in->fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (in->fd < 0) {
        int e = -errno;
        free(in);
        return e;
    }
    int fl = in->fd != 0 ? fcntl(in->fd, F_GETFL) : 0;
    if (in->fd != 0 && (fl == -1 || fcntl(in->fd, F_SETFL, fl & ~O_NONBLOCK) == -1)) {
        int e = -errno; /* left non-blocking, a read would fail where it should wait */
        close(in->fd);
        free(in);
        return e;
    }
    in->own_fd = in->fd != 0;
    struct stat st;
    int st_ok = fstat(in->fd, &st) == 0;
    if (st_ok && S_ISDIR(st.st_mode)) { /* refused now, as a missing file is, not at the read */
        input_close(in);
        return -EISDIR;
    }
    in->regular = st_ok && S_ISREG(st.st_mode);
    if (at >= 0 && (!in->regular || lseek(in->fd, (off_t)at, SEEK_SET) < 0)) {
        input_close(in);
        return -ESPIPE;
    }
    /* A regular file's encoding is seen now, as a missing file is: before -o's file is
     * emptied and before the lists given before it are fetched (a pipe's at its read). */
    /* Where its reading starts: standard input may be a file another program read the
     * start of (`{ read -r header; cafe titles; } < list`), judged by bytes never read. */
    /* Into the buffer, which holds nothing yet (reading starts at the offset all the same):
     * a CSV table's header row and the row after it whole. 512 bytes cut the row of a long
     * URL (a tracking link's), which then said no table: -o's file was emptied and the lists
     * before it fetched before the first read refused it. */
    off_t from = in->regular ? lseek(in->fd, 0, SEEK_CUR) : -1;
    ssize_t got = from >= 0 ? pread(in->fd, in->buf, TABLE_START, from) : 0;
    int kind = got > 0 ? not_a_list(in->buf, (size_t)got) : 0;
    if (!kind && got > 0)
        kind = csv_table(in->buf, (size_t)got);
    if (kind) {
        input_close(in);
        return kind;
    }
    if (in->regular) /* a long list is read once, front to back: a larger readahead */
        (void)posix_fadvise(in->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    *out = in;
    return 0;
}

void input_close(input_t *in) {
    if (!in)
        return;
    if (in->own_fd)
        close(in->fd);
    free(in);
}

void input_abort(input_t *in) {
    if (in)
        atomic_store(&in->aborted, 1);
}

typedef struct read_job {
    atomic_int *aborted;
    int fd;
    char *dst;
    size_t cap;
    ssize_t got;
    int err;
} read_job_t;

/* On a pool thread. Polls in short slices so that an abort is seen even when a pipe never
 * delivers (a regular file is always readable: no delay there). */
static int read_chunk(void *arg) {
    read_job_t *j = arg;
    struct pollfd p = {.fd = j->fd, .events = POLLIN};
    while (!atomic_load(j->aborted)) {
        int r = poll(&p, 1, 100);
        if (r < 0 && errno != EINTR)
            break;
        if (r <= 0)
            continue;
        do
            j->got = read(j->fd, j->dst, j->cap);
        while (j->got < 0 && errno == EINTR);
        j->err = j->got < 0 ? errno : 0;
        return 0;
    }
    j->got = -1;
    j->err = ECANCELED;
    return 0;
}

/* Moves the unread tail to the front and reads more after it. 0, or -errno. */
static int refill(input_t *in) {
    memmove(in->buf, in->buf + in->start, in->end - in->start);
    in->end -= in->start;
    in->lf_none = in->lf_none > in->start ? in->lf_none - in->start : 0;
    in->start = 0;
    read_job_t j = {&in->aborted, in->fd, in->buf + in->end, sizeof in->buf - in->end, 0, 0};
    /* A regular file is read on the caller's thread, as the stream sink writes: the page
     * cache and readahead serve it, and a pool thread would make the whole process
     * multi-threaded for nothing (glibc then locks in malloc and wraps every system call
     * as a cancellation point: ~1% of the instructions of a `cafe titles` run). A pipe
     * can stall for ever, so it is read on the pool. */
    int rc = in->regular ? read_chunk(&j) : cafe_thread_run(read_chunk, &j);
    /* Read here, the file never let the loop turn until a line came: a line of gigabytes (a
     * disk image's zeros) or a long run of blank or # lines held Ctrl-C, the progress line
     * and the fetches for as long (45 s for an 8 GB image). Each read yields, where a loop
     * runs (not on count_lines' pool thread); a cancelled reader stops here. */
    if (rc == 0 && in->regular && cafe_loop_current())
        rc = cafe_task_yield();
    if (rc != 0)
        return rc;
    if (j.got < 0)
        return -j.err;
    if (j.got == 0)
        in->eof = 1;
    in->end += (size_t)j.got;
    return 0;
}

/* The blanks a line is trimmed of: space, \t \n \v \f \r (isspace's, in the C locale). */
static int blank(char c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* The length of the blank character that s[0..n) starts with, 0 when none: an ASCII blank,
 * or in UTF-8 a Unicode space (White_Space: NEL, no-break space, U+1680, U+2000 to U+200A,
 * the line and paragraph separators, U+202F, U+205F, U+3000) or an invisible U+200B or
 * U+FEFF. Lists copied from web pages, word processors and spreadsheets carry them around
 * URLs: kept, a trailing one was fetched as part of the path (".../a%c2%a0") and a line of
 * them alone became a host name looked up in the DNS. */
static size_t blank_len(const unsigned char *s, size_t n) {
    if (n >= 1 && blank((char)s[0]))
        return 1;
    if (n >= 2 && s[0] == 0xC2 && (s[1] == 0x85 || s[1] == 0xA0))
        return 2;
    if (n < 3)
        return 0;
    unsigned cp = ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
    if ((s[0] & 0xF0) != 0xE0 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
        return 0;
    return cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200B) || cp == 0x2028 || cp == 0x2029 ||
                   cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF
               ? 3
               : 0;
}

/* The length of the blank character that s[0..n) ends with, 0 when none. */
static size_t blank_len_before(const unsigned char *s, size_t n) {
    for (size_t len = 1; len <= 3 && len <= n; len++)
        if (blank_len(s + n - len, len) == len)
            return len;
    return 0;
}

size_t input_line_trim(const char *s, size_t n, size_t *start) {
    const unsigned char *u = (const unsigned char *)s;
    size_t a = 0, b = n, len;
    while (a < b && (len = blank_len(u + a, b - a)) > 0)
        a += len;
    while (b > a && (len = blank_len_before(u + a, b - a)) > 0)
        b -= len;
    *start = a;
    if (a == b || s[a] == '#')
        return 0;
    return b - a;
}

char *input_line_shown(const char *line, size_t len, int cut) {
    if (len > INPUT_LINE_SHOWN) {
        len = INPUT_LINE_SHOWN;
        while (len > 0 && ((unsigned char)line[len] & 0xC0) == 0x80)
            len--; /* not inside a character */
        cut = 1;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return NULL;
    for (size_t i = 0; i < len; i++)
        copy[i] = line[i] ? line[i] : (char)0xFF; /* never valid: becomes U+FFFD below */
    char *shown = cafe_utf8_repair(copy, len, NULL);
    free(copy);
    size_t n = shown && cut ? strlen(shown) : 0;
    char *marked = n ? realloc(shown, n + 4) : shown;
    if (n && marked)
        memcpy(marked + n, "\xe2\x80\xa6", 4); /* "…" and the terminating NUL */
    else if (n)
        free(shown);
    return marked;
}

/* Where the unread line ends: at its first LF, CR LF or CR alone (as CRLF files from
 * Windows and LF ones, a list saved by a classic Mac OS editor or exported with CR line ends
 * is one line per URL, not one bad line holding them all); *term is the end's length. NULL
 * when no end is there yet: none, or a CR as the last byte before more input, where an LF
 * may follow (a CR LF split by a read is one line end, not two). The search for an LF goes
 * on where the last one found none: in a file of CR ends, every line's search covered the
 * whole buffer again. */
static char *line_end(input_t *in, size_t *term) {
    char *p = in->buf + in->start, *end = in->buf + in->end;
    char *from = in->lf_none > in->start ? in->buf + in->lf_none : p;
    char *lf = memchr(from, '\n', (size_t)(end - from));
    if (!lf)
        in->lf_none = in->end;
    char *cr = memchr(p, '\r', (size_t)((lf ? lf : end) - p));
    *term = 1;
    if (!cr)
        return lf;
    if (cr + 1 < end) {
        *term = cr[1] == '\n' ? 2 : 1;
        return cr;
    }
    return in->eof ? cr : NULL;
}

/* Skips the rest of an over-long line. */
static int skip_line(input_t *in) {
    for (;;) {
        size_t term;
        char *end = line_end(in, &term);
        if (end) {
            in->start = (size_t)(end - in->buf) + term;
            return 0;
        }
        /* all of it is the line's, but a CR at the end: kept, to see whether an LF follows */
        in->start = in->end > in->start && in->buf[in->end - 1] == '\r' ? in->end - 1 : in->end;
        if (in->eof)
            return 0;
        int rc = refill(in);
        if (rc != 0)
            return rc;
    }
}

/* Reports an over-long line by its first bytes, enough to name it in the error record;
 * copied first, because skipping the rest of the line refills the buffer over them. */
static void keep_head(input_t *in, const char *p, const char **line, size_t *len,
                      uint64_t *lineno) {
    memcpy(in->head, p, sizeof in->head);
    *line = in->head;
    *len = sizeof in->head;
    *lineno = in->lineno;
}

int input_next(input_t *in, const char **line, size_t *len, uint64_t *lineno) {
    for (;;) {
        char *p = in->buf + in->start;
        size_t avail = in->end - in->start, term;
        char *nl = line_end(in, &term);
        /* A UTF-8 byte order mark, as editors on Windows write it, is no part of the first
         * line, whatever the line's length: kept in an over-long one read in more than one
         * buffer, it made that line's record (and the key --resume finds it by) differ with
         * the reads, so a list piped in twice got two records of it. */
        size_t bom = in->lineno == 0 && avail >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
        /* A line may be INPUT_LINE_MAX bytes: without its end in the buffer, it is over that
         * only once more than that is there (at the end of the input too: a last line without
         * a newline is the same line), or more than that and a CR that may start a CR LF. */
        if (!nl && !in->eof && avail - bom <= INPUT_LINE_MAX + 1) {
            int rc = refill(in);
            if (rc != 0)
                return rc;
            continue;
        }
        if (!nl && avail == 0)
            return 0; /* end of input */
        /* At most a header row and a row: more would be no table's, nor fit a refill. */
        if (in->lineno == 0 && !in->eof && avail <= TABLE_START && table_pending(p, avail)) {
            int rc = refill(in);
            if (rc != 0)
                return rc;
            continue;
        }
        in->lineno++;
        int kind = in->lineno == 1 ? not_a_list(p, avail) : 0;
        if (!kind && in->lineno == 1)
            kind = csv_table(p, avail);
        if (kind)
            return kind;
        if (!nl && avail - bom > INPUT_LINE_MAX) {
            keep_head(in, p + bom, line, len, lineno);
            int rc = skip_line(in);
            return rc != 0 ? rc : INPUT_TOO_LONG;
        }
        size_t n = nl ? (size_t)(nl - p) : avail;
        in->start += nl ? n + term : n;
        p += bom, n -= bom;
        if (n > INPUT_LINE_MAX) { /* whole in the buffer, but still too long to be a URL */
            keep_head(in, p, line, len, lineno);
            return INPUT_TOO_LONG;
        }
        size_t start, kept = input_line_trim(p, n, &start);
        if (kept == 0)
            continue;
        *line = p + start;
        *len = kept;
        *lineno = in->lineno;
        return 1;
    }
}

const char *input_strerror(int rc) {
    /* UTF-16 without a mark: the byte order named, which iconv cannot know (glibc's guesses
     * big-endian, others the machine's) */
    static const struct {
        int code;
        const char *why;
    } kinds[] = {
        {INPUT_UTF16, "UTF-16 text, not UTF-8 (convert it: iconv -f UTF-16 -t UTF-8)"},
        {INPUT_UTF16LE, "UTF-16LE text without a byte order mark, not UTF-8 (convert it: "
                        "iconv -f UTF-16LE -t UTF-8)"},
        {INPUT_UTF16BE, "UTF-16BE text without a byte order mark, not UTF-8 (convert it: "
                        "iconv -f UTF-16BE -t UTF-8)"},
        {INPUT_UTF32, "UTF-32 text, not UTF-8 (convert it: iconv -f UTF-32 -t UTF-8)"},
        {INPUT_GZIP, "gzip-compressed, not a list of URLs (decompress it first: gzip -dc)"},
        {INPUT_BZIP2, "bzip2-compressed, not a list of URLs (decompress it first: bzip2 -dc)"},
        {INPUT_XZ, "xz-compressed, not a list of URLs (decompress it first: xz -dc)"},
        {INPUT_ZSTD, "zstd-compressed, not a list of URLs (decompress it first: zstd -dc)"},
        {INPUT_ZIP, "zip-compressed, not a list of URLs (decompress it first: unzip -p)"},
        {INPUT_SQLITE, "a SQLite database, not a list of URLs (list them first, e.g. sqlite3 "
                       "FILE 'SELECT url FROM titles')"},
        {INPUT_CAFE_CSV, "cafe's CSV output, not a list of URLs: each row would be fetched as "
                         "one URL (give its url column alone)"},
        {INPUT_CAFE_JSON, "cafe's JSON output, not a list of URLs (list them first, e.g. jq -r "
                          ".url FILE)"},
        {INPUT_CAFE_TEXT, "cafe's text output, not a list of URLs: each line would be a bad "
                          "URL (give the list it was made from, or make it with --json and list "
                          "the URLs with jq -r .url FILE)"},
        {INPUT_HTML, "an HTML document, not a list of URLs (its title: cafe title FILE; its "
                     "links' URLs, one per line, are a list)"},
        {INPUT_XML, "an XML document, not a list of URLs (a sitemap? list the URLs of its <loc> "
                    "elements first, one per line)"},
        {INPUT_OFFICE, "a spreadsheet or office document (.xlsx, .ods, .xls...), not a list of "
                       "URLs (save its URL column as text, one URL per line)"},
        {INPUT_PDF, "a PDF document, not a list of URLs (extract its text first, e.g. "
                    "pdftotext FILE -)"},
        {INPUT_PROGRAM, "a program, not a list of URLs"},
        {INPUT_CSV_TABLE, "a CSV table (its first line a header row), not a list of URLs (give "
                          "its URL column alone, one URL per line, unquoted)"},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i].code == rc)
            return kinds[i].why;
    return msg_strerror(rc);
}

int url_canonical(const char *s, size_t n) {
    return cafe__url_canonical(s, n);
}

/* The length of line's "scheme:" prefix (0 when none): letters, digits, '+', '-', '.' after a
 * letter, then ':' not followed by a port ("example.com:8080/" is a host and a port). */
static size_t scheme_prefix(const char *line, size_t len) {
    size_t i = 0;
    if (!len || !((line[0] | 0x20) >= 'a' && (line[0] | 0x20) <= 'z'))
        return 0;
    while (i < len && line[i] != ':') {
        char c = line[i];
        if (!((c | 0x20) >= 'a' && (c | 0x20) <= 'z') && !(c >= '0' && c <= '9') && c != '+' &&
            c != '-' && c != '.')
            return 0;
        i++;
    }
    if (i == len)
        return 0;
    size_t d = i + 1;
    while (d < len && line[d] >= '0' && line[d] <= '9')
        d++;
    int port = d > i + 1 && (d == len || line[d] == '/' || line[d] == '?' || line[d] == '#');
    return port ? 0 : i + 1;
}

/* The text curl is given: the line itself when it has a scheme; else the default scheme
 * before it ("example.com/x", and "//example.com/x" scheme-relative as in HTML). NULL when
 * out of memory. */
static char *with_scheme(const char *line, size_t len, const char *scheme) {
    if (scheme_prefix(line, len))
        return strndup(line, len);
    const char *sep = len >= 2 && line[0] == '/' && line[1] == '/' ? ":" : "://";
    size_t sl = strlen(scheme), pl = strlen(sep);
    char *raw = malloc(sl + pl + len + 1);
    if (raw) {
        memcpy(raw, scheme, sl);
        memcpy(raw + sl, sep, pl);
        memcpy(raw + sl + pl, line, len);
        raw[sl + pl + len] = '\0';
    }
    return raw;
}

/* "/srv/list.txt", "./a", "../a": a file's path, which the bare-host rule would misread
 * ("http:///srv/x" is http://srv/x to curl: a request to a host named srv). */
static int is_path(const char *line, size_t len) {
    return (len >= 1 && line[0] == '/' && (len == 1 || line[1] != '/')) ||
           (len >= 2 && memcmp(line, "./", 2) == 0) || (len >= 3 && memcmp(line, "../", 3) == 0);
}

/* "https//example.com/x", a scheme that lost its ':' (a typo, a list edited by hand): as a
 * bare host it was https://https//example.com/x, a lookup of the host "https" (through the
 * search domains of resolv.conf, where one may answer) and a fetch of the wrong site. No
 * host meant is named http or https with a path that starts with "//". */
static int colon_missing(const char *line, size_t len) {
    return (len >= 6 && ascii_ncasecmp(line, "http//", 6) == 0) ||
           (len >= 7 && ascii_ncasecmp(line, "https//", 7) == 0);
}

int url_normalize(const char *line, size_t len, const char *default_scheme, char **url,
                  const char **why) {
    *url = NULL;
    /* Most lines of a crawl list are already in curl's form: no parse needed (a parse is
     * ~14,000 instructions, 10% of the client's work per URL). */
    if (url_canonical(line, len)) {
        *url = strndup(line, len);
        *why = "out of memory";
        return *url ? 0 : CAFE_ENOMEM;
    }
    if (memchr(line, '\0', len)) {
        *why = "NUL byte in URL";
        return CAFE_EINVAL;
    }
    /* A tab inside a trimmed line is most often a second column ("URL<TAB>label" from a
     * spreadsheet): curl's parse called it "Bad path" or a bad port, which says nothing of
     * why. Other control characters are refused the same way, never sent. */
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f) {
            *why = line[i] == '\t' ? "tab in the line (one URL per line, nothing after it)"
                                   : "control character in URL";
            return CAFE_EINVAL;
        }
    /* A CSV field ("https://example.com/", or a row of them): a URL starts with no quote,
     * and curl's parse of it said "Bad hostname". */
    if (len && (line[0] == '"' || line[0] == '\'')) {
        *why = "quoted (one URL per line, without quotes)";
        return CAFE_EINVAL;
    }
    if (is_path(line, len)) {
        *why = "a file path, not a URL";
        return CAFE_EINVAL;
    }
    if (colon_missing(line, len)) {
        *why = "no ':' after http or https (http://, https://)";
        return CAFE_EINVAL;
    }
    size_t sp = scheme_prefix(line, len);
    if (sp && !((sp == 5 && ascii_ncasecmp(line, "http:", 5) == 0) ||
                (sp == 6 && ascii_ncasecmp(line, "https:", 6) == 0))) {
        *why = "unsupported scheme (only http and https are fetched)";
        return CAFE_EINVAL;
    }
    char *raw = with_scheme(line, len, default_scheme);
    if (!raw) {
        *why = "out of memory";
        return CAFE_ENOMEM;
    }
    int rc = cafe__url_normalize(raw, url, why);
    free(raw);
    return rc;
}
