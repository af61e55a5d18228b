/* --help and the man page's option list, from an option table (optab.h). */
#include "optab.h"

#include <string.h>

#define HELP_COLUMN 25 /* where the help text of an option starts */
#define HELP_WIDTH 80  /* the columns of a terminal: no line of --help is longer */

static const char *default_of(const cli_opt_t *o) {
    return o->shown ? o->shown : o->def;
}

/* "  -c, --concurrency N" */
static int help_name(const cli_opt_t *o, FILE *f) {
    int n = o->short_name ? fprintf(f, "  -%c, --%s", o->short_name, o->name)
                          : fprintf(f, "      --%s", o->name);
    if (o->arg)
        n += fprintf(f, " %s", o->arg);
    return n;
}

/* text's lines, each after the column (the first after `at` columns already written, or
 * on the next line when they leave fewer than two spaces before it, as GNU's --help does);
 * `def` appended to the last one, or on a line of its own where it would not fit. */
static void help_text(const char *text, const char *def, int at, FILE *f) {
    if (at > HELP_COLUMN - 2) {
        fputc('\n', f);
        at = 0;
    }
    int col = HELP_COLUMN - at, end = 0;
    for (const char *p = text;;) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        fprintf(f, "%*s%.*s", col, "", len, p);
        end = at + col + len;
        if (!nl)
            break;
        fputc('\n', f);
        at = 0;
        col = HELP_COLUMN;
        p = nl + 1;
    }
    if (def && end + (int)strlen(" (default )") + (int)strlen(def) > HELP_WIDTH)
        fprintf(f, "\n%*s(default %s)", HELP_COLUMN, "", def);
    else if (def)
        fprintf(f, " (default %s)", def);
    fputc('\n', f);
}

void cli_optab_help(const cli_optab_t *tab, FILE *f) {
    fprintf(f, "Usage: cafe %s\n%s", tab->synopsis, tab->about);
    for (size_t i = 0; i < tab->n; i++) {
        const cli_opt_t *o = &tab->opts[i];
        if (o->kind == CLI_OPT_SECTION) {
            fprintf(f, "\n%s:\n", o->name);
            continue;
        }
        help_text(o->help, default_of(o), help_name(o, f), f);
    }
    if (tab->after)
        fprintf(f, "\n%s", tab->after);
}

/* Text for roff: '-' and '\' escaped, a line never starting with a control character, and
 * the help's `quoted` words (Markdown, which man shows as it is) in bold. */
static void roff(const char *s, FILE *f) {
    int bol = 1, bold = 0;
    for (; *s; s++) {
        if (bol && (*s == '.' || *s == '\''))
            fputs("\\&", f);
        bol = *s == '\n';
        if (*s == '-')
            fputs("\\-", f);
        else if (*s == '\\')
            fputs("\\e", f);
        else if (*s == '`')
            fputs((bold = !bold) ? "\\fB" : "\\fR", f);
        else
            fputc(*s, f);
    }
    if (bold)
        fputs("\\fR", f);
}

/* The help's short phrase as a sentence: a capital first, a full stop last. */
static void man_sentence(const char *text, FILE *f) {
    size_t len = strlen(text);
    if (len && text[0] >= 'a' && text[0] <= 'z') {
        fputc(text[0] - 'a' + 'A', f);
        text++, len--;
    }
    roff(text, f);
    if (len && text[len - 1] != '.')
        fputc('.', f);
}

static void man_name(const cli_opt_t *o, FILE *f) {
    if (o->short_name)
        fprintf(f, "\\fB\\-%c\\fR, ", o->short_name);
    fputs("\\fB\\-\\-", f);
    roff(o->name, f);
    fputs("\\fR", f);
    if (o->arg) {
        fputs(" \\fI", f);
        roff(o->arg, f);
        fputs("\\fR", f);
    }
    fputc('\n', f);
}

void cli_optab_man(const cli_optab_t *tab, FILE *f) {
    for (size_t i = 0; i < tab->n; i++) {
        const cli_opt_t *o = &tab->opts[i];
        if (o->kind == CLI_OPT_SECTION) {
            fputs(".SS ", f);
            roff(o->name, f);
            fputc('\n', f);
            continue;
        }
        fputs(".TP\n", f);
        man_name(o, f);
        man_sentence(o->man ? o->man : o->help, f);
        if (default_of(o)) {
            fputs(" Default: \\fB", f);
            roff(default_of(o), f);
            fputs("\\fR.", f);
        }
        fputc('\n', f);
    }
}

void cli_optab_man_repeats(FILE *f) {
    /* cli_optab_parse's rules, as getopt_long users meet them; where they differ from it
     * (abbreviations, numbers), why. */
    fputs(".PP\n", f);
    roff("Options are read as getopt_long reads them: `--timeout=5` or `--timeout 5`, `-c5` or\n"
         "`-c 5`, flags together (`-qk`), options before or after the FILEs, and `--` ends\n"
         "them (`-- -x` is a file named `-x`). A long option is written whole: an abbreviation\n"
         "(`--conc`), which getopt_long and curl 7 take, is refused, naming the options it\n"
         "begins, so that an option cafe gains later never changes what a script's command line\n"
         "means; so is a long option with one dash (`-quiet`, as Go programs such as httpx take\n"
         "it), which a cluster would read as `-q -u iet`, and a short option's value after '='\n"
         "(`-u=URL`, `-o=FILE`, as Go programs and argparse take it), which getopt reads as\n"
         "`=URL`. An unknown long option or command close to one of cafe's (`--concurency`,\n"
         "`titels`) is refused naming that one, as git names it: one edit (a letter more, less\n"
         "or changed, two neighbours swapped) per three letters at most, and one of cafe titles'\n"
         "options given to cafe title (`-u`, `--json`), or back, is refused naming that command.\n"
         "A number is written\n"
         "in digits, with a "
         "decimal point where the option takes one\n"
         "(`--timeout 1.5`, `.5`): a sign, an exponent (`1e3`), a suffix (`10k`), hex, `inf`,\n"
         "`nan`, an empty value or one out of the option's range is a usage error naming the\n"
         "option and the range.\n",
         f);
    /* value_set stores each value as it comes: the last one stays, as curl's options do (a
     * wrapper's or an alias's defaults first, the user's own after them) */
    fputs(".PP\n", f);
    roff("An option that takes one value (every one but those marked repeatable), given more\n"
         "than once: the last one is used, as in curl. `-o a.jsonl -o b.jsonl` writes `b.jsonl`\n"
         "alone, and `-c 50 -c 10` fetches 10 URLs at once. Each value given is checked, the\n"
         "ones overridden too: a bad one is a usage error wherever it stands. A flag given twice\n"
         "is as once. A repeatable option (`-u`, `-H`, `--resolve`, `--resolver`) adds each\n"
         "value, in the order given. The same holds for every command's options, `cafe serve`'s\n"
         "too.\n",
         f);
}
