/* /etc/hosts, read by cafe rather than by c-ares: c-ares 1.18 opens and parses the file at
 * every lookup (five system calls and the whole file per name, however long the file). It is
 * read once into a hash of names, and read again when it changed (its inode, size or mtime,
 * looked at once a second at most: an edit is seen within a second, include/cafe/dns.h).
 * Only where the system asks files first (c-ares' "lookups" from nsswitch.conf, "fb" by
 * default): dns_io.c then leaves c-ares the rest. */
#include "http/dns_internal.h"
#include "common/ascii.h"
#include "common/hash.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define HOSTS_PATH "/etc/hosts"
#define CHECK_MS 1000

typedef struct hosts_name {
    struct hosts_name *next;
    uint64_t hash;
    cafe_dns_addrs_t addrs; /* in the file's order */
    char name[];
} hosts_name_t;

struct cafe__dns_hosts {
    hosts_name_t **b;
    size_t nb;
    struct stat st; /* of the file read; st_ino 0: none read */
    uint64_t checked_ms;
    int checked;
};

static void names_free(cafe__dns_hosts_t *h) {
    for (size_t i = 0; i < h->nb; i++)
        for (hosts_name_t *n = h->b[i], *next; n; n = next) {
            next = n->next;
            free(n);
        }
    free(h->b);
    h->b = NULL;
    h->nb = 0;
}

static hosts_name_t **slot(cafe__dns_hosts_t *h, const char *name, uint64_t hash) {
    hosts_name_t **p = &h->b[hash & (h->nb - 1)];
    while (*p && ((*p)->hash != hash || strcmp((*p)->name, name) != 0))
        p = &(*p)->next;
    return p;
}

/* One name of a line: its entry gets the line's address (16 at most). */
static void name_add(cafe__dns_hosts_t *h, char *name, const cafe_dns_addr_t *a) {
    for (char *c = name; *c; c++)
        *c = (char)ascii_lower((unsigned char)*c);
    uint64_t hash = hash_str(HASH_SEED, name);
    hosts_name_t **p = slot(h, name, hash);
    if (!*p) {
        size_t len = strlen(name);
        if (!(*p = calloc(1, sizeof(**p) + len + 1)))
            return; /* out of memory: the name is left to DNS */
        memcpy((*p)->name, name, len + 1);
        (*p)->hash = hash;
    }
    if ((*p)->addrs.n < CAFE_DNS_MAX_ADDRS)
        (*p)->addrs.addr[(*p)->addrs.n++] = *a;
}

/* "ADDRESS NAME [ALIAS...]", '#' to the end of the line a comment. */
static void line_read(cafe__dns_hosts_t *h, char *line) {
    line[strcspn(line, "#\n")] = '\0';
    char *save = NULL, *ip = strtok_r(line, " \t\r", &save);
    cafe_dns_addr_t a = {0};
    if (!ip)
        return;
    if (inet_pton(AF_INET, ip, a.ip) == 1)
        a.family = AF_INET;
    else if (inet_pton(AF_INET6, ip, a.ip) == 1)
        a.family = AF_INET6;
    else
        return;
    for (char *name; (name = strtok_r(NULL, " \t\r", &save));)
        if (strlen(name) <= CAFE__DNS_NAME_MAX)
            name_add(h, name, &a);
}

/* The table is sized from the file (a line of ~24 bytes or more per name): blocklist hosts
 * files run to 100,000s of lines, and each lookup walks one chain. Lines of any length, as
 * glibc reads them. */
static void load(cafe__dns_hosts_t *h, FILE *f, off_t size) {
    names_free(h);
    size_t nb = 256;
    while (nb < (size_t)size / 24 && nb < ((size_t)1 << 24))
        nb *= 2;
    if (!(h->b = calloc(nb, sizeof(*h->b))))
        return;
    h->nb = nb;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0)
        line_read(h, line);
    free(line);
}

/* Reads the file again when it changed since it was read. */
static void refresh(cafe__dns_t *d, cafe__dns_hosts_t *h) {
    uint64_t now = cafe_loop_now(d->loop);
    if (h->checked && now - h->checked_ms < CHECK_MS)
        return;
    h->checked = 1;
    h->checked_ms = now;
    struct stat st;
    if (stat(HOSTS_PATH, &st) != 0) {
        names_free(h);
        memset(&h->st, 0, sizeof h->st);
        return;
    }
    if (st.st_ino == h->st.st_ino && st.st_dev == h->st.st_dev && st.st_size == h->st.st_size &&
        st.st_mtim.tv_sec == h->st.st_mtim.tv_sec && st.st_mtim.tv_nsec == h->st.st_mtim.tv_nsec)
        return;
    FILE *f = fopen(HOSTS_PATH, "re");
    if (!f) {
        names_free(h);
        memset(&h->st, 0, sizeof h->st);
        return;
    }
    load(h, f, st.st_size);
    fclose(f);
    h->st = st;
}

int cafe__dns_hosts_find(cafe__dns_t *d, const char *name, cafe_dns_addrs_t *out) {
    if (!d->hosts && !(d->hosts = calloc(1, sizeof(*d->hosts))))
        return 0; /* out of memory: DNS answers */
    refresh(d, d->hosts);
    char key[CAFE__DNS_NAME_MAX + 2];
    size_t len = strlen(name);
    if (d->hosts->nb == 0 || len == 0 || len >= sizeof key)
        return 0;
    memcpy(key, name, len + 1);
    if (key[len - 1] == '.') /* "name." is the same name */
        key[len - 1] = '\0';
    hosts_name_t *n = *slot(d->hosts, key, hash_str(HASH_SEED, key));
    if (!n)
        return 0;
    *out = n->addrs;
    return 1;
}

void cafe__dns_hosts_free(cafe__dns_t *d) {
    if (!d->hosts)
        return;
    names_free(d->hosts);
    free(d->hosts);
    d->hosts = NULL;
}
