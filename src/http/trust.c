/* Which CAs TLS connections trust by default, and how they are read.
 *
 * libcurl 7.88 with OpenSSL parses its whole CA bundle (Debian's: 145 certificates, ~65 ms
 * of CPU with OpenSSL 3) before the first TLS connection of each multi handle: a run of one
 * URL pays it in full (three quarters of its CPU here), and cafe titles --threads once per
 * worker. OpenSSL's hashed-directory lookup reads a CA only when a chain needs it, and keeps it in
 * the store for the next connections. So when libcurl's TLS is OpenSSL and its built-in
 * CApath is such a directory (Debian's /etc/ssl/certs: the bundle's certificates under links
 * named by subject hash, which update-ca-certificates writes with the bundle; dir_covers), the
 * client keeps one store on that directory and hands it to each new connection's SSL_CTX
 * (CURLOPT_SSL_CTX_FUNCTION, tls_ctx.c), with libcurl's own loading turned off (xfer.c). Elsewhere
 * libcurl loads its bundle as before. The store is the client's, so one loop's thread
 * alone uses it. */
#include <curl/curl.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <string.h>
#include <unistd.h>

#include "http/internal.h"

/* libcurl's default TLS backend is OpenSSL ("OpenSSL/3.0.19"; a MultiSSL build puts the
 * backends not in use in parentheses), the library whose SSL_CTX the callback receives. */
static int openssl_backend(void) {
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    return v && v->ssl_version && strncmp(v->ssl_version, "OpenSSL/", 8) == 0;
}

/* A name OpenSSL's directory lookup opens: 8 hex digits of a subject hash, '.', a number. */
static int hash_name(const char *s) {
    size_t i = 0;
    for (; i < 8; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    if (s[i++] != '.' || s[i] < '0' || s[i] > '9')
        return 0;
    while (s[i] >= '0' && s[i] <= '9')
        i++;
    return s[i] == '\0';
}

/* How many hash links the directory holds. */
static size_t hash_links(const char *path) {
    DIR *d = opendir(path);
    if (!d)
        return 0;
    size_t n = 0;
    const struct dirent *de;
    while ((de = readdir(d)) != NULL)
        n += (size_t)hash_name(de->d_name);
    closedir(d);
    return n;
}

/* How many certificates the PEM file holds (its BEGIN lines), or SIZE_MAX if unreadable. Read
 * in blocks and searched with memmem: read line by line with fgets it cost ~700,000
 * instructions and 55 reads at every client's start (issue 11), for a bundle only TLS needs.
 * The block's last bytes are kept for the next, so a line cut in two is found once. */
static size_t pem_certificates(const char *path) {
    static const char begin[] = "\n-----BEGIN CERTIFICATE-----";
    enum { BLOCK = 65536, KEEP = sizeof begin - 2 };
    FILE *f = fopen(path, "r");
    char *buf = f ? malloc(BLOCK) : NULL; /* not on the stack: a task's may be small */
    if (!buf) {
        if (f)
            fclose(f);
        return SIZE_MAX;
    }
    size_t kept = 1, n, count = 0;
    buf[0] = '\n'; /* the file's first line is a line's start too */
    while ((n = fread(buf + kept, 1, BLOCK - kept, f)) > 0) {
        size_t len = kept + n;
        for (const char *p = buf; (p = memmem(p, (size_t)(buf + len - p), begin, sizeof begin - 1));
             p++)
            count++;
        kept = len < KEEP ? len : KEEP;
        memmove(buf, buf + len - kept, kept);
    }
    int bad = ferror(f);
    fclose(f);
    free(buf);
    return bad ? SIZE_MAX : count;
}

/* The directory can stand for the bundle: it has hash links (a directory of loose files,
 * or none, as on Fedora, would verify nothing through the lookup), and at least as many as
 * the bundle has certificates (a CA appended to the bundle by hand, which the links lack,
 * keeps the bundle). */
static int dir_covers(const char *dir, const char *bundle) {
    size_t links = hash_links(dir);
    return links > 0 && (!bundle || pem_certificates(bundle) <= links);
}

static X509_STORE *lazy_store(const char *dir) {
    X509_STORE *s = X509_STORE_new();
    if (!s)
        return NULL;
    if (X509_STORE_load_locations(s, NULL, dir) != 1) {
        X509_STORE_free(s);
        return NULL;
    }
    /* The flags libcurl sets on a store it fills: issuers from the store before those the
     * server sent, and an intermediate in the store is a trust anchor. */
    X509_STORE_set_flags(s, X509_V_FLAG_TRUSTED_FIRST | X509_V_FLAG_PARTIAL_CHAIN);
    return s;
}

void cafe__http_trust_init(cafe__http_client_t *c) {
    CURL *e = curl_easy_init();
    char *bundle = NULL, *dir = NULL;
    c->openssl = openssl_backend();
    if (!e)
        return; /* libcurl's defaults, unchanged */
    if (curl_easy_getinfo(e, CURLINFO_CAINFO, &bundle) != CURLE_OK || !bundle ||
        access(bundle, R_OK) != 0)
        bundle = NULL;
    c->ca_bundle = bundle != NULL;
    if (c->openssl && curl_easy_getinfo(e, CURLINFO_CAPATH, &dir) == CURLE_OK && dir &&
        dir_covers(dir, bundle))
        c->trust = lazy_store(dir);
    curl_easy_cleanup(e);
}

void cafe__http_trust_free(cafe__http_client_t *c) {
    X509_STORE_free(c->trust);
    c->trust = NULL;
}
