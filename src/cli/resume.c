#include "resume.h"
#include "cafe.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t hash_url(const char *s, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a, then a final mix */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h ? h : 1; /* 0 marks an empty slot */
}

void cli_urlset_init(cli_urlset_t *s) {
    *s = (cli_urlset_t){0};
}

void cli_urlset_free(cli_urlset_t *s) {
    free(s->slots);
    *s = (cli_urlset_t){0};
}

static void put_hash(uint64_t *slots, size_t cap, uint64_t h) {
    size_t i = (size_t)h & (cap - 1);
    while (slots[i] && slots[i] != h)
        i = (i + 1) & (cap - 1);
    slots[i] = h;
}

int cli_urlset_add(cli_urlset_t *s, const char *url, size_t n) {
    if ((s->len + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        uint64_t *slots = calloc(cap, sizeof(*slots));
        if (!slots)
            return CAFE_ENOMEM;
        for (size_t i = 0; i < s->cap; i++)
            if (s->slots[i])
                put_hash(slots, cap, s->slots[i]);
        free(s->slots);
        s->slots = slots;
        s->cap = cap;
    }
    if (!cli_urlset_has(s, url, n))
        s->len++;
    put_hash(s->slots, s->cap, hash_url(url, n));
    return 0;
}

int cli_urlset_has(const cli_urlset_t *s, const char *url, size_t n) {
    if (!s->cap)
        return 0;
    uint64_t h = hash_url(url, n);
    for (size_t i = (size_t)h & (s->cap - 1); s->slots[i]; i = (i + 1) & (s->cap - 1))
        if (s->slots[i] == h)
            return 1;
    return 0;
}

/* First CSV field, RFC 4180 quoting; NULL if the line is not a complete 10-field row. */
static char *csv_first_field(const char *line, size_t n) {
    size_t fields = 1, i = 0;
    int quoted = 0;
    char *first = NULL;
    size_t flen = 0;
    if (!(first = malloc(n + 1)))
        return NULL;
    for (; i < n; i++) {
        char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < n && line[i + 1] == '"')
                i++;
            else if (c == '"') {
                quoted = 0;
                continue;
            }
        } else if (c == '"') {
            quoted = 1;
            continue;
        } else if (c == ',') {
            fields++;
            continue;
        }
        if (fields == 1)
            first[flen++] = line[i];
    }
    first[flen] = 0;
    if (quoted || fields != 10) {
        free(first);
        return NULL;
    }
    return first;
}

char *cli_resume_parse_line(const char *line, size_t n, cli_format_t fmt) {
    if (fmt == CLI_FMT_CSV) {
        if (n > 0 && line[n - 1] == '\r')
            n--;
        return csv_first_field(line, n);
    }
    json_error_t err;
    json_t *o = json_loadb(line, n, JSON_REJECT_DUPLICATES, &err);
    json_t *u = o ? json_object_get(o, "url") : NULL;
    char *url =
        json_is_string(u) && json_object_get(o, "error") ? strdup(json_string_value(u)) : NULL;
    json_decref(o);
    return url;
}

long cli_resume_load(const char *path, cli_format_t fmt, cli_urlset_t *set, const char **why) {
    FILE *f = fopen(path, "r+");
    if (!f) {
        *why = errno == ENOENT ? NULL : "cannot open the output file to resume";
        return errno == ENOENT ? 0 : -errno;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long records = 0, good_end = 0, pos = 0;
    int header = fmt == CLI_FMT_CSV;
    while ((n = getline(&line, &cap, f)) > 0) {
        pos += n;
        int complete = line[n - 1] == '\n';
        char *url = complete ? cli_resume_parse_line(line, (size_t)n - 1, fmt) : NULL;
        if (header && complete && strncmp(line, "url,", 4) == 0) {
            header = 0;
            good_end = pos;
            free(url);
            continue;
        }
        if (!url) {
            /* Only the last line can be torn (a crash mid-write): cut it off, it is redone.
             * A bad line with lines after it means the file is not ours (another format, or
             * edited): refuse, rather than truncate away what follows. */
            if ((n = getline(&line, &cap, f)) > 0) {
                free(line);
                fclose(f);
                *why = "holds a line that is not a record of this format (wrong --json/--csv?)";
                return CAFE_EINVAL;
            }
            break;
        }
        cli_urlset_add(set, url, strlen(url));
        free(url);
        records++;
        good_end = pos;
    }
    free(line);
    int rc = 0;
    if (pos != good_end || n > 0) {
        fflush(f);
        rc = ftruncate(fileno(f), good_end) == 0 ? 0 : -errno;
    }
    fclose(f);
    if (rc != 0) {
        *why = "cannot truncate the torn last record";
        return rc;
    }
    return records;
}
