/* The DOCTYPE states of the tokenizer, as far as quirks mode needs them: the name, the two
 * identifiers and the force-quirks flag. States that differ only in parse errors are
 * merged: "DOCTYPE" with "before DOCTYPE name", "after DOCTYPE public/system keyword" with
 * "before DOCTYPE public/system identifier", "after DOCTYPE public identifier" with "between
 * DOCTYPE public and system identifiers". The end of input needs no state: nothing after it
 * depends on quirks mode. Chromium and Firefox agree with each rule here (checked on 48
 * DOCTYPEs; tests/html/title_cases.h holds them). */
#include <stddef.h>
#include <string.h>

#include "html/doctype.h"
#include "html/tokstate.h"

enum {
    DT_BEFORE_NAME,
    DT_NAME,
    DT_AFTER_NAME,
    DT_KEYWORD,
    DT_BEFORE_ID,
    DT_ID,
    DT_AFTER_PUBLIC,
    DT_AFTER_SYSTEM,
    DT_BOGUS,
};

enum { PUBLIC, SYSTEM };

#define NAME_OTHER 0xFF

void cafe__html_doctype_start(cafe__html_doctype_t *d) {
    memset(d, 0, offsetof(cafe__html_doctype_t, id));
}

/* c comes through tok_lower: a NUL is 0xFD there (U+FFFD's last byte), part of no string
 * the rules compare with. */
static void name_add(cafe__html_doctype_t *d, unsigned c) {
    d->name = d->name < 4 && c == (unsigned char)"html"[d->name] ? d->name + 1 : NAME_OTHER;
}

static void id_add(cafe__html_doctype_t *d, unsigned c) {
    int i = d->keyword == 'p' ? PUBLIC : SYSTEM;
    if (d->len[i] < CAFE__DOCTYPE_ID_MAX)
        d->id[i][d->len[i]] = (char)c;
    if (d->len[i] < 255)
        d->len[i]++;
}

/* A quote opens the identifier the keyword named (each at most once: its length is 0). */
static void id_open(cafe__html_doctype_t *d, unsigned quote) {
    d->quote = (uint8_t)quote;
    if (d->keyword == 'p')
        d->has_public = 1;
    else
        d->has_system = 1;
    d->state = DT_ID;
}

/* Malformed: quirks, and nothing more counts up to the '>'. */
static void bogus(cafe__html_doctype_t *d, int quirks) {
    d->force_quirks |= (uint8_t)quirks;
    d->state = DT_BOGUS;
}

/* One byte (c already lowercased); returns 1 when it is the '>' that ends the token. */
static int step(cafe__html_doctype_t *d, unsigned c) {
    switch (d->state) {
    case DT_BEFORE_NAME:
        if (tok_ws(c))
            return 0;
        if (c == '>') { /* no name */
            d->force_quirks = 1;
            return 1;
        }
        name_add(d, c);
        d->state = DT_NAME;
        return 0;
    case DT_NAME:
        if (tok_ws(c))
            d->state = DT_AFTER_NAME;
        else if (c != '>')
            name_add(d, c);
        return c == '>';
    case DT_AFTER_NAME:
        if (c == 'p' || c == 's') {
            d->keyword = (uint8_t)c, d->matched = 1, d->state = DT_KEYWORD;
        } else if (!tok_ws(c) && c != '>') {
            bogus(d, 1);
        }
        return c == '>';
    case DT_KEYWORD:
        if (c == (unsigned char)(d->keyword == 'p' ? "public" : "system")[d->matched]) {
            if (++d->matched == 6)
                d->state = DT_BEFORE_ID;
            return 0;
        }
        bogus(d, 1); /* this byte is read again there: a '>' ends the token */
        return c == '>';
    case DT_BEFORE_ID:
    case DT_AFTER_PUBLIC:
        if (c == '"' || c == '\'') {
            d->keyword = d->state == DT_AFTER_PUBLIC ? 's' : d->keyword;
            id_open(d, c);
            return 0;
        }
        if (tok_ws(c))
            return 0;
        /* "PUBLIC"/"SYSTEM" with no identifier is malformed; after a public identifier a
         * '>' is fine, anything else is. */
        bogus(d, !(c == '>' && d->state == DT_AFTER_PUBLIC));
        return c == '>';
    case DT_ID:
        if (c == d->quote) {
            d->state = d->keyword == 'p' ? DT_AFTER_PUBLIC : DT_AFTER_SYSTEM;
        } else if (c == '>') {
            d->force_quirks = 1; /* cut short */
            return 1;
        } else {
            id_add(d, c);
        }
        return 0;
    case DT_AFTER_SYSTEM:
        if (!tok_ws(c) && c != '>')
            bogus(d, 0); /* the one malformed case that leaves the flag alone */
        return c == '>';
    default: /* DT_BOGUS */
        return c == '>';
    }
}

const unsigned char *cafe__html_doctype_feed(cafe__html_doctype_t *d, const unsigned char *p,
                                             const unsigned char *end) {
    for (; p < end; p++) {
        /* identifiers are compared ASCII case-insensitively, the name is lowercased */
        if (step(d, tok_lower(*p)))
            return p + 1;
    }
    return NULL;
}

/* Public identifiers that begin with one of these mean quirks mode (lowercase). */
static const char *const quirks_prefixes[] = {
    "+//silmaril//dtd html pro v0r11 19970101//",
    "-//as//dtd html 3.0 aswedit + extensions//",
    "-//advasoft ltd//dtd html 3.0 aswedit + extensions//",
    "-//ietf//dtd html 2.0 level 1//",
    "-//ietf//dtd html 2.0 level 2//",
    "-//ietf//dtd html 2.0 strict level 1//",
    "-//ietf//dtd html 2.0 strict level 2//",
    "-//ietf//dtd html 2.0 strict//",
    "-//ietf//dtd html 2.0//",
    "-//ietf//dtd html 2.1e//",
    "-//ietf//dtd html 3.0//",
    "-//ietf//dtd html 3.2 final//",
    "-//ietf//dtd html 3.2//",
    "-//ietf//dtd html 3//",
    "-//ietf//dtd html level 0//",
    "-//ietf//dtd html level 1//",
    "-//ietf//dtd html level 2//",
    "-//ietf//dtd html level 3//",
    "-//ietf//dtd html strict level 0//",
    "-//ietf//dtd html strict level 1//",
    "-//ietf//dtd html strict level 2//",
    "-//ietf//dtd html strict level 3//",
    "-//ietf//dtd html strict//",
    "-//ietf//dtd html//",
    "-//metrius//dtd metrius presentational//",
    "-//microsoft//dtd internet explorer 2.0 html strict//",
    "-//microsoft//dtd internet explorer 2.0 html//",
    "-//microsoft//dtd internet explorer 2.0 tables//",
    "-//microsoft//dtd internet explorer 3.0 html strict//",
    "-//microsoft//dtd internet explorer 3.0 html//",
    "-//microsoft//dtd internet explorer 3.0 tables//",
    "-//netscape comm. corp.//dtd html//",
    "-//netscape comm. corp.//dtd strict html//",
    "-//o'reilly and associates//dtd html 2.0//",
    "-//o'reilly and associates//dtd html extended 1.0//",
    "-//o'reilly and associates//dtd html extended relaxed 1.0//",
    "-//sq//dtd html 2.0 hotmetal + extensions//",
    "-//softquad software//dtd hotmetal pro 6.0::19990601::extensions to html 4.0//",
    "-//softquad//dtd hotmetal pro 4.0::19971010::extensions to html 4.0//",
    "-//spyglass//dtd html 2.0 extended//",
    "-//sun microsystems corp.//dtd hotjava html//",
    "-//sun microsystems corp.//dtd hotjava strict html//",
    "-//w3c//dtd html 3 1995-03-24//",
    "-//w3c//dtd html 3.2 draft//",
    "-//w3c//dtd html 3.2 final//",
    "-//w3c//dtd html 3.2//",
    "-//w3c//dtd html 3.2s draft//",
    "-//w3c//dtd html 4.0 frameset//",
    "-//w3c//dtd html 4.0 transitional//",
    "-//w3c//dtd html experimental 19960712//",
    "-//w3c//dtd html experimental 970421//",
    "-//w3c//dtd w3 html//",
    "-//w3o//dtd w3 html 3.0//",
    "-//webtechs//dtd mozilla html 2.0//",
    "-//webtechs//dtd mozilla html//",
};

static int id_starts(const cafe__html_doctype_t *d, int i, const char *s) {
    size_t n = strlen(s);
    return d->len[i] >= n && memcmp(d->id[i], s, n) == 0;
}

static int id_is(const cafe__html_doctype_t *d, int i, const char *s) {
    return d->len[i] == strlen(s) && id_starts(d, i, s);
}

static int public_quirks(const cafe__html_doctype_t *d) {
    if (id_is(d, PUBLIC, "-//w3o//dtd w3 html strict 3.0//en//") ||
        id_is(d, PUBLIC, "-/w3c/dtd html 4.0 transitional/en") || id_is(d, PUBLIC, "html"))
        return 1;
    for (size_t i = 0; i < sizeof quirks_prefixes / sizeof quirks_prefixes[0]; i++) {
        if (id_starts(d, PUBLIC, quirks_prefixes[i]))
            return 1;
    }
    /* These two only without a system identifier (with one: limited quirks) */
    return !d->has_system && (id_starts(d, PUBLIC, "-//w3c//dtd html 4.01 frameset//") ||
                              id_starts(d, PUBLIC, "-//w3c//dtd html 4.01 transitional//"));
}

int cafe__html_doctype_quirks(const cafe__html_doctype_t *d) {
    return d->force_quirks || d->name != 4 || (d->has_public && public_quirks(d)) ||
           (d->has_system &&
            id_is(d, SYSTEM, "http://www.ibm.com/data/dtd/v11/ibmxhtml1-transitional.dtd"));
}
