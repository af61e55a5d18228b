/* Title extraction throughput: cafe's streaming extractor, or gumbo's full parse (loaded
 * with dlopen, as the tests do) for comparison.
 *
 *   bench_title LIST REPS [cafe|gumbo] [CHARSET]
 *
 * LIST holds one file name per line; all files are loaded first, then REPS passes over
 * them are timed. cafe is used as the HTTP path uses it: one extractor reset per page, the
 * page fed in 16 KiB chunks until the title is complete, with CHARSET (if given) as the
 * transport charset. Prints
 * "bytes pages seconds titles bytes_fed": bytes_fed < bytes when titles completed early. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cafe.h"

typedef struct page {
    char *data;
    size_t len;
} page_t;

typedef struct corpus {
    page_t *pages;
    size_t n, bytes;
} corpus_t;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int load_file(const char *path, page_t *p) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    p->data = n > 0 ? malloc((size_t)n) : NULL;
    int ok = p->data && fread(p->data, 1, (size_t)n, f) == (size_t)n;
    fclose(f);
    p->len = ok ? (size_t)n : 0;
    return ok ? 0 : -1;
}

static int load(const char *list, corpus_t *c) {
    FILE *f = fopen(list, "r");
    char line[4096];
    size_t cap = 0;
    if (!f)
        return -1;
    memset(c, 0, sizeof *c);
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (c->n == cap) {
            cap = cap ? cap * 2 : 256;
            page_t *np = realloc(c->pages, cap * sizeof *np);
            if (!np)
                break;
            c->pages = np;
        }
        if (load_file(line, &c->pages[c->n]) == 0)
            c->bytes += c->pages[c->n++].len;
    }
    fclose(f);
    return 0;
}

/* One page through cafe; returns the bytes it needed. */
static size_t run_cafe(cafe_title_t *t, const page_t *p, const char *charset, size_t *titles) {
    size_t pos = 0;
    cafe_title_reset(t, charset);
    while (pos < p->len) {
        size_t n = p->len - pos < 16384 ? p->len - pos : 16384;
        int rc = cafe_title_feed(t, p->data + pos, n);
        pos += n;
        if (rc != 0)
            break;
    }
    *titles += cafe_title_finish(t) > 0;
    return pos;
}

typedef struct gumbo_api {
    void *(*parse)(const void *options, const char *html, size_t len);
    void (*destroy)(const void *options, void *output);
    const void *options;
} gumbo_api_t;

static int gumbo_open(gumbo_api_t *g) {
    void *lib = dlopen("libgumbo.so.1", RTLD_NOW);
    if (!lib)
        return -1;
    *(void **)&g->parse = dlsym(lib, "gumbo_parse_with_options");
    *(void **)&g->destroy = dlsym(lib, "gumbo_destroy_output");
    g->options = dlsym(lib, "kGumboDefaultOptions");
    return g->parse && g->destroy && g->options ? 0 : -1;
}

int main(int argc, char **argv) {
    corpus_t c;
    if (argc < 3 || load(argv[1], &c) != 0) {
        fprintf(stderr, "usage: bench_title LIST REPS [cafe|gumbo] [CHARSET]\n");
        return 2;
    }
    int reps = atoi(argv[2]);
    int gumbo = argc > 3 && strcmp(argv[3], "gumbo") == 0;
    const char *charset = argc > 4 ? argv[4] : NULL;
    gumbo_api_t g;
    if (gumbo && gumbo_open(&g) != 0) {
        fprintf(stderr, "bench_title: libgumbo.so.1 not found\n");
        return 2;
    }
    cafe_title_t *t;
    if (cafe_title_create(&t, NULL) != 0)
        return 1;
    size_t titles = 0, fed = 0;
    double start = now();
    for (int r = 0; r < reps; r++) {
        for (size_t i = 0; i < c.n; i++) {
            if (gumbo) {
                g.destroy(g.options, g.parse(g.options, c.pages[i].data, c.pages[i].len));
                fed += c.pages[i].len;
            } else {
                fed += run_cafe(t, &c.pages[i], charset, &titles);
            }
        }
    }
    double secs = now() - start;
    printf("%zu %zu %.6f %zu %zu\n", c.bytes * (size_t)reps, c.n * (size_t)reps, secs, titles, fed);
    cafe_title_free(t);
    for (size_t i = 0; i < c.n; i++)
        free(c.pages[i].data);
    free(c.pages);
    return 0;
}
