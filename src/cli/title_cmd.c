/* `cafe title [--charset LABEL] [FILE...]`: the extractor alone, on local files (stdin when
 * none). One line per file: its title, or an empty line when the page has none. */
#include "text.h"
#include "title_cmd.h"
#include "cafe.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f) {
    fputs("Usage: cafe title [--charset LABEL] [FILE...]\n"
          "Print the <title> of each HTML file (standard input when none), one line each,\n"
          "as a browser's document.title gives it, in UTF-8; an empty line when the page\n"
          "has none. --charset gives the encoding a server would declare (Content-Type).\n",
          f);
}

/* Extracts f's title into t. Returns 0, or -1 on a read error. */
static int extract(cafe_title_t *t, FILE *f) {
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        if (cafe_title_feed(t, buf, n) != 0)
            break; /* complete (or out of memory): the rest cannot change it */
    int bad = ferror(f);
    cafe_title_finish(t);
    return bad ? -1 : 0;
}

static int one_file(cafe_title_t *t, const char *path, const char *charset) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cafe title: %s: %s\n", path, strerror(errno));
        return 2;
    }
    cafe_title_reset(t, charset);
    int rc = extract(t, f);
    if (f != stdin)
        fclose(f);
    if (rc != 0) {
        fprintf(stderr, "cafe title: %s: read error\n", path);
        return 2;
    }
    const char *title = cafe_title_text(t, NULL);
    if (title)
        text_put_safe(stdout, title);
    putchar('\n');
    return 0;
}

int cli_title_main(int argc, char **argv) {
    static const struct option longopts[] = {
        {"charset", required_argument, 0, 'c'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *charset = NULL;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        if (c == 'c') {
            charset = optarg;
        } else if (c == 'h') {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "cafe title: %s: %s\nTry 'cafe title --help' for more information.\n",
                    c == ':' ? "option needs a value" : "unknown option", argv[optind - 1]);
            return 2;
        }
    }
    cafe_title_t *t;
    if (cafe_title_create(&t, charset) != 0) {
        fputs("cafe title: out of memory\n", stderr);
        return 2;
    }
    int status = 0;
    if (optind == argc)
        status = one_file(t, "-", charset);
    for (int i = optind; i < argc; i++)
        if (one_file(t, argv[i], charset) != 0)
            status = 2; /* the other files are still done */
    cafe_title_free(t);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "cafe title: writing standard output: %s\n", strerror(errno));
        return 2;
    }
    return status;
}
