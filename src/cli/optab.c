/* The table-driven option parser, help and man page list (optab.h). A parser of its own
 * rather than getopt_long: getopt keeps global state between calls and accepts
 * abbreviations, and a table row is all that is needed to parse, check and describe. */
#include "optab.h"
#include "cafe.h"
#include "msg.h"
#include "termchar.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int cli_optab_usage_error(const cli_optab_t *tab, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    const char *sp = tab->cmd ? " " : "", *cmd = tab->cmd ? tab->cmd : "";
    fprintf(stderr, "cafe%s%s: ", sp, cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'cafe%s%s --help' for more information.\n", sp, cmd);
    va_end(ap);
    return 2;
}

void cli_list_free(cli_list_t *l) {
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

const cli_opt_t *cli_optab_find(const cli_optab_t *tab, const char *name) {
    for (size_t i = 0; i < tab->n; i++)
        if (tab->opts[i].kind != CLI_OPT_SECTION && strcmp(tab->opts[i].name, name) == 0)
            return &tab->opts[i];
    return NULL;
}

void cli_nearest_init(cli_nearest_t *n, const char *word, size_t len) {
    *n = (cli_nearest_t){word, len, NULL, len / 3 ? len / 3 : 1};
}

/* ASCII lower case, whatever the locale: names are ASCII, and "TITLES" means "titles". */
static char lower(char c) {
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* The optimal string alignment distance (letter case aside) of a[0..al) and b[0..bl), or limit + 1
 * when it is more than limit; names and words longer than 63 bytes are never near. */
static size_t osa_distance(const char *a, size_t al, const char *b, size_t bl, size_t limit) {
    enum { MAX = 64 };
    if (al >= MAX || bl >= MAX || (al > bl ? al - bl : bl - al) > limit)
        return limit + 1;
    unsigned char d[MAX][MAX]; /* 4 KiB: a task's stack may be small */
    for (size_t i = 0; i <= al; i++)
        d[i][0] = (unsigned char)i;
    for (size_t j = 0; j <= bl; j++)
        d[0][j] = (unsigned char)j;
    for (size_t i = 1; i <= al; i++)
        for (size_t j = 1; j <= bl; j++) {
            size_t sub = (size_t)d[i - 1][j - 1] + (lower(a[i - 1]) != lower(b[j - 1]) ? 1u : 0u);
            size_t del = (size_t)d[i - 1][j] + 1, ins = (size_t)d[i][j - 1] + 1;
            size_t v = sub < del ? sub : del;
            v = v < ins ? v : ins;
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
                lower(a[i - 2]) == lower(b[j - 1]) && (size_t)d[i - 2][j - 2] + 1 < v)
                v = (size_t)d[i - 2][j - 2] + 1;
            d[i][j] = (unsigned char)v;
        }
    return d[al][bl];
}

void cli_nearest_offer(cli_nearest_t *n, const char *name) {
    if (n->best && n->dist == 0)
        return;
    size_t limit = n->best ? n->dist - 1 : n->dist; /* only a nearer one replaces the best */
    size_t d = osa_distance(n->word, n->len, name, strlen(name), limit);
    if (d <= limit) {
        n->best = name;
        n->dist = d;
    }
}

static int takes_value(const cli_opt_t *o) {
    return o->kind != CLI_OPT_FLAG && o->kind != CLI_OPT_HELP && o->kind != CLI_OPT_VERSION;
}

/* "-c/--concurrency" or "--rate": how messages name an option. */
static const char *label(const cli_opt_t *o, char *buf, size_t cap) {
    if (o->short_name)
        snprintf(buf, cap, "-%c/--%s", o->short_name, o->name);
    else
        snprintf(buf, cap, "--%s", o->name);
    return buf;
}

const char *cli_optab_quoted(const char *v, char *buf, size_t cap) {
    size_t n = 0, len;
    const unsigned char *p = (const unsigned char *)v;
    for (; *p && n + 8 < cap; p += len) {
        uint32_t cp = 0;
        len = term_utf8_char(p, 4, &cp);
        int wide = cp > 0xFFFF;
        if (len == 0 || cp < 0x20 || cp == 0x7f) /* invalid or a C0 control: the byte */
            n += (size_t)snprintf(buf + n, cap - n, "\\x%02x", *p), len = 1;
        else if ((cp >= 0x80 && (cp <= 0x9f || msg_ascii())) || term_reorders(cp)) {
            if (wide && n + 14 > cap)
                break; /* no room for \UNNNNNNNN and "..." */
            n += (size_t)snprintf(buf + n, cap - n, wide ? "\\U%08x" : "\\u%04x", (unsigned)cp);
        } else if (n + len + 8 < cap)
            memcpy(buf + n, p, len), n += len;
        else
            break; /* no room for the whole character: cut before it */
    }
    buf[n] = '\0';
    if (*p) /* n + 8 >= cap: room for "..." is left */
        snprintf(buf + n, cap - n, "...");
    return buf;
}

/* Digits only (whole) or digits with one '.' (decimal: "0.5", and ".5" or "5." as sleep(1)
 * and curl take them): no sign, exponent, hex, space, "nan" or "inf", so that nothing is
 * silently truncated or misread. */
static int number_parse(const char *s, int decimal, double *out) {
    size_t digits = 0, dots = 0;
    for (const char *p = s; *p; p++) {
        if (*p >= '0' && *p <= '9')
            digits++;
        else if (*p == '.' && decimal && dots++ == 0)
            continue;
        else
            return -1;
    }
    if (digits == 0 || digits > 15) /* 15 digits: exact in a double */
        return -1;
    *out = strtod(s, NULL);
    return 0;
}

static int number_set(const cli_optab_t *tab, const cli_opt_t *o, char *field, const char *v) {
    int decimal = o->kind == CLI_OPT_SECONDS || o->kind == CLI_OPT_REAL;
    double d;
    char name[64];
    char shown[64];
    if (number_parse(v, decimal, &d) != 0 || d < o->min || d > o->max)
        return cli_optab_usage_error(tab, "%s: expected a %s from %.15g to %.15g, got '%s'",
                                     label(o, name, sizeof name),
                                     decimal ? "number" : "whole number", o->min, o->max,
                                     cli_optab_quoted(v, shown, sizeof shown));
    switch (o->kind) {
    case CLI_OPT_SIZE:
        *(size_t *)(void *)field = (size_t)d;
        break;
    case CLI_OPT_INT:
        *(int *)(void *)field = (int)d;
        break;
    case CLI_OPT_MS:
        *(uint64_t *)(void *)field = (uint64_t)d;
        break;
    case CLI_OPT_SECONDS:
        *(uint64_t *)(void *)field = (uint64_t)(d * 1000 + 0.5);
        break;
    default:
        *(double *)(void *)field = d;
    }
    return 0;
}

/* Stores value v of option o into out. 0, or 2 after a usage error. */
static int value_set(const cli_optab_t *tab, const cli_opt_t *o, void *out, const char *v) {
    char *field = (char *)out + o->offset, name[64], shown[96];
    const char *why = o->check ? o->check(v) : NULL;
    if (why && (o->kind == CLI_OPT_SECRET || o->kind == CLI_OPT_SECRET_LIST))
        return cli_optab_usage_error(tab, "%s: %s", label(o, name, sizeof name), why);
    if (why)
        return cli_optab_usage_error(tab, "%s: %s: '%s'", label(o, name, sizeof name), why,
                                     cli_optab_quoted(v, shown, sizeof shown));
    switch (o->kind) {
    case CLI_OPT_FLAG:
        *(int *)(void *)field = o->set;
        return 0;
    case CLI_OPT_STRING:
    case CLI_OPT_SECRET:
        *(const char **)(void *)field = v;
        return 0;
    case CLI_OPT_LIST:
    case CLI_OPT_SECRET_LIST: {
        cli_list_t *l = (cli_list_t *)(void *)field;
        if (o->max && (double)l->n >= o->max)
            return cli_optab_usage_error(tab, "%s: at most %.0f times", label(o, name, sizeof name),
                                         o->max);
        const char **grown = realloc(l->v, (l->n + 2) * sizeof(*grown));
        if (!grown)
            return cli_optab_usage_error(tab, "out of memory");
        l->v = grown;
        l->v[l->n++] = v;
        l->v[l->n] = NULL;
        return 0;
    }
    default:
        return number_set(tab, o, field, v);
    }
}

static void defaults_set(const cli_optab_t *tab, void *out) {
    for (size_t i = 0; i < tab->n; i++) {
        const cli_opt_t *o = &tab->opts[i];
        /* The table's own defaults pass its own checks (the options test makes sure). */
        if (o->def && takes_value(o))
            (void)value_set(tab, o, out, o->def);
    }
}

void cli_version(FILE *f) {
    fprintf(f, "cafe %s (libcurl %s)\n", CAFE_VERSION_STRING,
            curl_version_info(CURLVERSION_NOW)->version);
}

static int action(const cli_optab_t *tab, const cli_opt_t *o) {
    errno = 0;
    if (o->kind == CLI_OPT_HELP)
        cli_optab_help(tab, stdout);
    else
        cli_version(stdout);
    /* Checked here, while errno still says why: a write that failed in the text's last
     * fprintf (where the stream's buffer filled) leaves main's final fflush nothing to write,
     * and the stream keeps no cause ("writing standard output failed" for serve --help). */
    if (fflush(stdout) != 0 || ferror(stdout))
        return msg_stdout_failed(errno);
    return -1;
}

typedef struct cursor {
    const cli_optab_t *tab;
    void *out;
    int argc, i;
    char **argv;
    unsigned char *seen;
    const cli_opt_t *action; /* the first --help or --version given, done after the parse */
} cursor_t;

/* Option o was given; its value is `inline_v` (after '=' or in a short cluster) or the next
 * argument. */
static int option_take(cursor_t *c, const cli_opt_t *o, const char *inline_v) {
    char name[64];
    if (c->seen)
        c->seen[o - c->tab->opts] = 1;
    if (!takes_value(o)) {
        if (inline_v)
            return cli_optab_usage_error(c->tab, "%s takes no value", label(o, name, sizeof name));
        if (o->kind == CLI_OPT_FLAG)
            return value_set(c->tab, o, c->out, NULL);
        if (!c->action)
            c->action = o;
        return 0;
    }
    if (!inline_v) {
        if (c->i + 1 >= c->argc)
            return cli_optab_usage_error(c->tab, "%s needs a value", label(o, name, sizeof name));
        inline_v = c->argv[++c->i];
    }
    return value_set(c->tab, o, c->out, inline_v);
}

/* " (long options are written whole: --max-redirects or --max-bytes)": the options whose
 * names start with the len bytes of arg, for the message refusing it; "" when none do. Names
 * past cap are left out. */
static const char *whole_names(const cli_optab_t *tab, const char *arg, size_t len, char *buf,
                               size_t cap) {
    size_t n = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < tab->n && len; k++) {
        const cli_opt_t *o = &tab->opts[k];
        if (o->kind == CLI_OPT_SECTION || strncmp(o->name, arg, len) != 0)
            continue;
        int w = snprintf(buf + n, cap - n, "%s--%s",
                         n ? " or " : " (long options are written whole: ", o->name);
        if (w < 0 || (size_t)w + 1 >= cap - n) { /* no room for it and the ')' */
            buf[n] = '\0';
            break;
        }
        n += (size_t)w;
    }
    if (n)
        snprintf(buf + n, cap - n, ")");
    return buf;
}

/* Has the command tab may be mistaken for the option --name (len bytes) or -short_name?
 * `cafe title -u URL` is cafe titles' -u: saying so tells the user which command fetches. */
static int mistaken_has(const cli_optab_t *tab, const char *name, size_t len, char short_name) {
    const cli_optab_t *other = tab->mistaken_for;
    for (size_t k = 0; other && k < other->n; k++) {
        const cli_opt_t *o = &other->opts[k];
        if (o->kind != CLI_OPT_SECTION &&
            (short_name ? o->short_name == short_name
                        : strlen(o->name) == len && !memcmp(o->name, name, len)))
            return 1;
    }
    return 0;
}

/* A long option is its whole name, never an abbreviation as getopt_long (and curl 7) take
 * them: a new option would make a script's --conc ambiguous, or another option's. */
static int long_take(cursor_t *c, const char *arg) {
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    for (size_t k = 0; k < c->tab->n; k++) {
        const cli_opt_t *o = &c->tab->opts[k];
        if (o->kind != CLI_OPT_SECTION && strlen(o->name) == len && !memcmp(o->name, arg, len))
            return option_take(c, o, eq ? eq + 1 : NULL);
    }
    if (len == 0) /* "--=x": "unknown option: --" read as the end of the options */
        return cli_optab_usage_error(c->tab, "unknown option: no name between -- and =");
    char opt[96], shown[128], whole[256];
    snprintf(opt, sizeof opt, "--%.*s", (int)len, arg);
    cli_optab_quoted(opt, shown, sizeof shown);
    if (mistaken_has(c->tab, arg, len, 0))
        return cli_optab_usage_error(c->tab, "unknown option: %s (an option of cafe %s)", shown,
                                     c->tab->mistaken_for->cmd);
    if (*whole_names(c->tab, arg, len, whole, sizeof whole))
        return cli_optab_usage_error(c->tab, "unknown option: %s%s", shown, whole);
    cli_nearest_t near;
    cli_nearest_init(&near, arg, len);
    for (size_t k = 0; k < c->tab->n; k++)
        if (c->tab->opts[k].kind != CLI_OPT_SECTION)
            cli_nearest_offer(&near, c->tab->opts[k].name);
    if (near.best)
        return cli_optab_usage_error(c->tab, "unknown option: %s (did you mean --%s?)", shown,
                                     near.best);
    return cli_optab_usage_error(c->tab, "unknown option: %s", shown);
}

/* "-quiet", "-timeout 5": a long option with one dash, as Go's flag package (httpx, nuclei)
 * and find take them. Read as a cluster, -quiet was -q -u iet (a URL nobody gave) and -json
 * "unknown option: -j". Refused naming the option meant; 0 when arg is no long name. */
static int one_dash_take(cursor_t *c, const char *arg) {
    size_t len = strcspn(arg, "=");
    char name[64];
    for (size_t k = 0; k < c->tab->n && len > 1; k++) {
        const cli_opt_t *o = &c->tab->opts[k];
        if (o->kind == CLI_OPT_SECTION || strlen(o->name) != len || memcmp(o->name, arg, len))
            continue;
        snprintf(name, sizeof name, "%s", o->name);
        return cli_optab_usage_error(
            c->tab, "unknown option: -%s (long options take two dashes: --%s)", name, name);
    }
    return 0;
}

/* "-qk" or "-c10" or "-c 10". */
static int short_take(cursor_t *c, const char *arg) {
    if (one_dash_take(c, arg) != 0)
        return 2;
    for (const char *p = arg; *p; p++) {
        const cli_opt_t *o = NULL;
        for (size_t k = 0; k < c->tab->n && !o; k++)
            if (c->tab->opts[k].kind != CLI_OPT_SECTION && c->tab->opts[k].short_name == *p)
                o = &c->tab->opts[k];
        char opt[] = {'-', *p, '\0'}, shown[16];
        if (!o && mistaken_has(c->tab, NULL, 0, *p))
            return cli_optab_usage_error(c->tab, "unknown option: %s (an option of cafe %s)",
                                         cli_optab_quoted(opt, shown, sizeof shown),
                                         c->tab->mistaken_for->cmd);
        /* "-q-": shown as "--", the message read as the end of the options */
        if (!o && *p == '-') {
            char cluster[96], quoted[128];
            snprintf(cluster, sizeof cluster, "-%s", arg);
            return cli_optab_usage_error(c->tab, "unknown option: '-' inside %s",
                                         cli_optab_quoted(cluster, quoted, sizeof quoted));
        }
        if (!o)
            return cli_optab_usage_error(c->tab, "unknown option: %s",
                                         cli_optab_quoted(opt, shown, sizeof shown));
        /* -u=URL, -o=FILE, as Go's flag package (httpx) and argparse take them: getopt reads
         * the value "=URL", and a URL, file, header or User-Agent starting with '=' is never
         * what was meant (-o=out wrote the file "=out", -H=X:1 sent a header "=X"). The
         * value is not shown: -x's and -H's may hold a secret. */
        if (takes_value(o) && p[1] == '=')
            return cli_optab_usage_error(c->tab,
                                         "-%c=: a short option's value follows it without '=' "
                                         "(-%c VALUE, -%cVALUE or --%s=VALUE)",
                                         *p, *p, *p, o->name);
        int rc = option_take(c, o, takes_value(o) && p[1] ? p + 1 : NULL);
        if (rc != 0 || takes_value(o))
            return rc;
    }
    return 0;
}

int cli_optab_parse(const cli_optab_t *tab, void *out, int argc, char **argv, int first,
                    const char **operands, size_t max_operands, size_t *noperands,
                    unsigned char *seen) {
    defaults_set(tab, out);
    if (seen)
        memset(seen, 0, tab->n);
    *noperands = 0;
    cursor_t c = {tab, out, argc, first, argv, seen, NULL};
    int only_operands = 0;
    for (; c.i < argc; c.i++) {
        const char *a = argv[c.i];
        int rc = 0;
        if (!only_operands && strcmp(a, "--") == 0) {
            only_operands = 1;
            continue;
        }
        if (only_operands || a[0] != '-' || a[1] == '\0') {
            char shown[96];
            if (*noperands == max_operands)
                return cli_optab_usage_error(tab, "too many arguments: '%s'",
                                             cli_optab_quoted(a, shown, sizeof shown));
            operands[(*noperands)++] = a;
            continue;
        }
        rc = a[1] == '-' ? long_take(&c, a + 2) : short_take(&c, a + 1);
        if (rc != 0)
            return rc;
    }
    /* --help and --version act once the whole line parsed, as grep's: a mistake anywhere in
     * it is reported (status 2) wherever --help stands, not hidden behind the help. */
    return c.action ? action(tab, c.action) : 0;
}
