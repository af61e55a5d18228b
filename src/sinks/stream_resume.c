/* The stream sink's --resume: which URLs an earlier run already wrote to the file. */
#include "stream.h"
#include "cafe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

long stream_resume_load(const char *path, record_format_t fmt, keyset_t *set, const char **why) {
    FILE *f = fopen(path, "r+");
    if (!f) {
        *why = errno == ENOENT ? NULL : "cannot open the output file to resume";
        return errno == ENOENT ? 0 : -errno;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long records = 0, good_end = 0, pos = 0;
    int header = format_is_csv(fmt);
    while ((n = getline(&line, &cap, f)) > 0) {
        pos += n;
        int complete = line[n - 1] == '\n';
        char *url = complete ? format_parse_url(line, (size_t)n - 1, fmt) : NULL;
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
        int added = keyset_add(set, url, strlen(url));
        free(url);
        if (added != 0) { /* a URL left out of the set would be fetched and written twice */
            free(line);
            fclose(f);
            *why = "out of memory reading the records already written";
            return added;
        }
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
