/* Option tables: one per subcommand, one row per option with its field, range, default and
 * help. The parser, `--help` and the man page's option list are all made from the table,
 * so they cannot disagree (tests/cli/test_cli_options.c checks docs/cafe.1 against it). */
#ifndef CAFE_CLI_OPTAB_H
#define CAFE_CLI_OPTAB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* --timeout's --help and man text, the same for the subcommands that fetch (titles, serve). */
#define CLI_TIMEOUT_HELP                                                                           \
    "Time limit of one attempt, in seconds, its redirects, name lookups and a request sent\n"      \
    "again (one a closing connection left unanswered) included (resolv.conf's own bound,\n"        \
    "timeout x attempts, may be longer; the lookup goes on for the other URLs of the name).\n"     \
    "Waiting for a transfer slot or the host's turn is not counted."

/* A repeatable option's values, in the order given: v[n] is NULL (v itself while none was
 * given). v is on the heap: cli_list_free. */
typedef struct cli_list {
    const char **v;
    size_t n;
} cli_list_t;

void cli_list_free(cli_list_t *l);

typedef enum cli_optkind {
    CLI_OPT_SECTION = 0, /* not an option: a heading for the rows that follow */
    CLI_OPT_FLAG,        /* no value: int field = set */
    CLI_OPT_SIZE,        /* whole number in [min, max]: size_t field */
    CLI_OPT_INT,         /* whole number in [min, max]: int field */
    CLI_OPT_MS,          /* whole number of milliseconds in [min, max]: uint64_t field */
    CLI_OPT_SECONDS,     /* decimal seconds in [min, max]: uint64_t field, in milliseconds */
    CLI_OPT_REAL,        /* decimal number in [min, max]: double field */
    CLI_OPT_STRING,      /* const char * field */
    CLI_OPT_SECRET,      /* a STRING that may hold a password: no message shows its value */
    CLI_OPT_LIST,        /* repeatable: cli_list_t field, at most max values (0: any number) */
    CLI_OPT_SECRET_LIST, /* a LIST whose values may hold a password (-H 'Authorization: ...'):
                            no message shows one (its check may name what is not secret) */
    CLI_OPT_HELP,        /* prints the help, the program exits 0 */
    CLI_OPT_VERSION,     /* prints the version, the program exits 0 */
} cli_optkind_t;

/* Checks a string value; NULL when good, else why not (shown after the option's name). */
typedef const char *(*cli_optcheck_fn)(const char *value);

typedef struct cli_opt {
    cli_optkind_t kind;
    const char *name;  /* long name without "--"; a SECTION's heading */
    char short_name;   /* 0 when none */
    const char *arg;   /* the value's name in the help ("N", "FILE"); NULL for flags */
    size_t offset;     /* of the field in the options struct */
    double min, max;   /* numbers: the accepted range */
    int set;           /* FLAG: the value stored */
    const char *def;   /* the default, as a user would write it; NULL = zero/none */
    const char *shown; /* the default as the help shows it when def cannot say (NULL) */
    cli_optcheck_fn check;
    const char *help; /* one line for --help; '\n' continues it on the next line */
    const char *man;  /* the man page's longer text; NULL = help */
} cli_opt_t;

typedef struct cli_optab {
    const char *cmd;      /* "titles": messages say "cafe titles: ..."; NULL: cafe's own */
    const char *synopsis; /* after "Usage: cafe " */
    const char *about;    /* the help's text before the options */
    const char *after;    /* the help's text after the options (exit status...); may be NULL */
    const cli_opt_t *opts;
    size_t n;
    /* The command a user may have meant instead (title for titles, and back), or NULL: an
     * unknown option of this table that it has is refused naming that command. */
    const struct cli_optab *mistaken_for;
} cli_optab_t;

/* Sets every field of `out` to its default, then parses argv[first..] (argv[0] is the
 * subcommand's name). Operands (arguments not starting with '-', "-" itself, and all after
 * "--") are left in argv order in operands[0..*noperands), at most max_operands. Returns 0,
 * 2 after a usage error on stderr that names the option, or -1 when --help or --version
 * (the first of them given) printed and the program should exit 0: only once the whole
 * command line parsed, so that an error anywhere in it wins over them. seen[i] (when not
 * NULL, tab->n entries) is set for each row given on the command line. */
int cli_optab_parse(const cli_optab_t *tab, void *out, int argc, char **argv, int first,
                    const char **operands, size_t max_operands, size_t *noperands,
                    unsigned char *seen);

/* "cafe CMD: what" + the hint to --help, on stderr; returns 2. */
int cli_optab_usage_error(const cli_optab_t *tab, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* v for a usage error's message, where it shows a value or argument given: control bytes and
 * invalid UTF-8 as \xNN (a CR must not rewrite the terminal line, an ESC drive it), C1
 * controls and the characters that reorder a line (termchar.h) as \uNNNN, as the text
 * records show them, and in an 8-bit locale (msg_ascii) every non-ASCII character as \uNNNN
 * (\UNNNNNNNN beyond U+FFFF), as msg_quote escapes names there; cut with "..." when long.
 * Returns buf. */
const char *cli_optab_quoted(const char *v, char *buf, size_t cap);

/* The name a mistyped word most likely meant, for "did you mean" in a usage error, as git
 * and cargo suggest one: offer every name in turn; best is the nearest by the optimal string
 * alignment distance, letter case aside (a swap of two neighbours is one edit, as "titels";
 * "TITLES" is none), NULL when none is within a third of the word's length (at least 1), so
 * that a word unlike every name suggests nothing. The first name offered wins a tie. */
typedef struct cli_nearest {
    const char *word;
    size_t len;
    const char *best;
    size_t dist;
} cli_nearest_t;
void cli_nearest_init(cli_nearest_t *n, const char *word, size_t len);
void cli_nearest_offer(cli_nearest_t *n, const char *name);

/* The row of a long name (NULL when none): for cross-option checks. */
const cli_opt_t *cli_optab_find(const cli_optab_t *tab, const char *name);

/* --version's line, the same for `cafe --version` and `cafe CMD --version`. */
void cli_version(FILE *f);

/* --help's text. */
void cli_optab_help(const cli_optab_t *tab, FILE *f);
/* The man page's option list (roff): a .SS per section, a .TP per option. */
void cli_optab_man(const cli_optab_t *tab, FILE *f);
/* The man page's paragraphs on how options are written (getopt_long's forms, no
 * abbreviations, numbers in digits) and on an option given more than once (the parser's
 * rules, for every table's options alike), in roff. */
void cli_optab_man_repeats(FILE *f);

#endif
