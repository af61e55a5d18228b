/* Decoder throughput: one file's bytes through one of the Encoding Standard's decoders
 * (src/html/decode*.c), REPS times, output discarded (counted). For the figure next to
 * other implementations (docs/encoding.md).
 *
 *   bench_decode LABEL FILE REPS      prints "bytes_in bytes_out seconds MB/s" */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "html/encoding.h"

static void count(void *ctx, const char *p, size_t n) {
    (void)p;
    *(size_t *)ctx += n;
}

static unsigned char *load(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0, got;
    do {
        if (n == cap) {
            unsigned char *nb = realloc(buf, cap = cap ? 2 * cap : 65536);
            if (!nb)
                break;
            buf = nb;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);
    *len = n;
    return buf;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: bench_decode LABEL FILE REPS\n");
        return 2;
    }
    const cafe__html_encoding_t *e = cafe__html_encoding_get(argv[1], strlen(argv[1]));
    size_t len = 0;
    unsigned char *data = load(argv[2], &len);
    int reps = atoi(argv[3]);
    if (!e || !data || reps <= 0) {
        fprintf(stderr, "bench_decode: unknown label, unreadable file or bad REPS\n");
        free(data);
        return 2;
    }
    size_t out = 0;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int r = 0; r < reps; r++) {
        cafe__html_decoder_t d;
        cafe__html_decoder_init(&d);
        cafe__html_decoder_set(&d, e);
        cafe__html_decode(&d, data, len, CAFE__DECODE_EOF, count, &out);
        cafe__html_decoder_close(&d);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("%zu %zu %.6f %.1f\n", len * (size_t)reps, out, secs, (double)len * reps / secs / 1e6);
    free(data);
    return 0;
}
