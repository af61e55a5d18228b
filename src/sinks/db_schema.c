/* The results table's columns (one list for both databases) and the check that refuses a
 * table whose columns differ, naming what differs. */
#include "cafe.h"
#include "ascii.h"
#include "db_driver.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

const sink_column_t sink_columns[SINK_NCOLUMNS] = {
    {"run_id", "INTEGER", "bigint", 1},
    {"seq", "INTEGER", "bigint", 1},
    {"url", "TEXT", "text", 1},
    {"final_url", "TEXT", "text", 0},
    {"status", "INTEGER", "integer", 0},
    {"title", "TEXT", "text", 0},
    {"content_type", "TEXT", "text", 0},
    {"charset", "TEXT", "text", 0},
    {"charset_source", "TEXT", "text", 0},
    {"bytes", "INTEGER", "bigint", 1},
    {"time_ms", "INTEGER", "bigint", 1},
    {"attempts", "INTEGER", "integer", 1},
    {"error", "TEXT", "text", 0},
};
const size_t sink_ncolumns = sizeof sink_columns / sizeof sink_columns[0];

const sink_column_t sink_run_columns[SINK_NRUN_COLUMNS] = {
    {"run_id", "INTEGER", "bigint", 1},
    {"table_name", "TEXT", "text", 1},
    {"started_at", "TEXT", "timestamp with time zone", 1},
    {"ended_at", "TEXT", "timestamp with time zone", 0},
    {"status", "TEXT", "text", 1},
    {"options", "TEXT", "text", 0},
};

const sink_column_t sink_resume_columns[SINK_NRESUME_COLUMNS] = {
    {"run_id", "INTEGER", "bigint", 1},
    {"resumed_at", "TEXT", "timestamp with time zone", 1},
    {"options", "TEXT", "text", 0},
};

/* Appends one difference to the list in why, comma-separated: column name is missing (got
 * NULL), has type got instead of want, or (want NULL) is what got says. */
static void add_why(char *why, const char *name, const char *got, const char *want) {
    size_t used = strlen(why);
    if (used && used + 2 < SINK_WHY_MAX) {
        memcpy(why + used, ", ", 3);
        used += 2;
    }
    if (used < SINK_WHY_MAX)
        snprintf(why + used, SINK_WHY_MAX - used,
                 !got    ? "%s missing"
                 : !want ? "%s is %s"
                         : "%s is %s, not %s",
                 name, got && *got ? got : "untyped", want);
}

/* Where the table's column i would refuse a row cafe writes: NOT NULL where cafe may leave
 * it NULL (ours: cafe names it in its INSERT, so a default would not apply), or a column of
 * the user's NOT NULL that nothing fills. The first batch failed after it was fetched, and
 * every --resume again. */
static void check_null(char *why, const sink_column_t *want, size_t nwant, const char *name,
                       unsigned flags) {
    size_t c = 0;
    while (c < nwant && strcmp(name, want[c].name) != 0)
        c++;
    /* one of cafe's generated: cafe names it in its INSERT, which the table refuses */
    if (c < nwant && (flags & SINK_COLUMN_GENERATED))
        add_why(why, name, "a generated column (cafe writes it: make it a plain column)", NULL);
    if (!(flags & SINK_COLUMN_NOT_NULL))
        return;
    if (c < nwant && !want[c].not_null)
        add_why(why, name, "NOT NULL (cafe leaves it NULL where a record has no value)", NULL);
    else if (c == nwant && !(flags & SINK_COLUMN_FILLED))
        add_why(why, name, "NOT NULL without a default (cafe's rows give it no value)", NULL);
}

/* Does SQLite's declared type got give the affinity of want ("INTEGER" or "TEXT")? SQLite
 * reads a declared type by its affinity (INT, BIGINT, integer: INTEGER; VARCHAR(n), text,
 * CLOB: TEXT, a type holding INT coming first), so a table made from the PostgreSQL DDL of
 * the docs stores the same values. exact: the runs table's run_id, whose INTEGER PRIMARY KEY
 * is the rowid (an INT PRIMARY KEY is not, and takes NULL). */
static int sqlite_type_ok(const char *got, const char *want, int exact) {
    if (ascii_casecmp(got, want) == 0)
        return 1;
    if (exact)
        return 0;
    int integer = strcasestr(got, "INT") != NULL;
    if (strcmp(want, "INTEGER") == 0)
        return integer;
    return !integer &&
           (strcasestr(got, "CHAR") || strcasestr(got, "CLOB") || strcasestr(got, "TEXT"));
}

int sink_columns_check(const char *table, const sink_column_t *want, size_t nwant,
                       const char *const *names, const char *const *types, const unsigned *flags,
                       size_t n, int pg, char *why) {
    why[0] = '\0';
    for (size_t c = 0; c < nwant; c++) {
        const char *type = pg ? want[c].pg_type : want[c].sqlite_type;
        size_t i = 0;
        while (i < n && strcmp(names[i], want[c].name) != 0)
            i++;
        const char *got = i < n && types[i] ? types[i] : "";
        if (i == n)
            add_why(why, want[c].name, NULL, type);
        else if (pg ? ascii_casecmp(got, type) != 0
                    : !sqlite_type_ok(got, type, want == sink_run_columns && c == 0))
            add_why(why, want[c].name, got, type);
    }
    for (size_t i = 0; i < n; i++)
        check_null(why, want, nwant, names[i], flags[i]);
    if (!why[0])
        return 0;
    /* A table made before a column cafe may leave NULL existed (charset_source) lacks only
     * that one: say how to add it, as docs/databases.md does, rather than leave the user
     * to find it. */
    for (size_t c = 0; c < nwant; c++) {
        size_t nl = strlen(want[c].name);
        if (!want[c].not_null && strncmp(why, want[c].name, nl) == 0 &&
            strcmp(why + nl, " missing") == 0) {
            size_t used = strlen(why);
            snprintf(why + used, SINK_WHY_MAX - used, " (add it: ALTER TABLE %s ADD COLUMN %s %s)",
                     table, want[c].name, pg ? want[c].pg_type : want[c].sqlite_type);
            break;
        }
    }
    char prefix[128];
    snprintf(prefix, sizeof prefix, "table %s has other columns than cafe's (never altered)",
             table);
    sink_why_prefix(why, prefix);
    return CAFE_EINVAL;
}

void sink_why_prefix(char *why, const char *prefix) {
    char msg[SINK_WHY_MAX];
    memcpy(msg, why, SINK_WHY_MAX);
    size_t n = strlen(prefix) < SINK_WHY_MAX - 3 ? strlen(prefix) : SINK_WHY_MAX - 3;
    memcpy(why, prefix, n);
    memcpy(why + n, ": ", 2);
    size_t m = strnlen(msg, SINK_WHY_MAX - 1);
    if (m > SINK_WHY_MAX - 1 - n - 2)
        m = SINK_WHY_MAX - 1 - n - 2;
    memcpy(why + n + 2, msg, m);
    why[n + 2 + m] = '\0';
}

int sink_column_is_number(size_t i) {
    return sink_columns[i].sqlite_type[0] == 'I';
}

int sink_row_number(const sink_row_t *r, int64_t run, size_t i, int64_t *v) {
    switch (i) {
    case 0:
        *v = run;
        return 1;
    case 1:
        *v = (int64_t)r->seq;
        return 1;
    case 4:
        *v = r->status;
        return r->status != 0;
    case 9:
        *v = (int64_t)r->bytes;
        return 1;
    case 10:
        *v = (int64_t)r->time_ms;
        return 1;
    case 11:
        *v = r->attempts;
        return 1;
    default:
        return 0;
    }
}

const char *sink_row_text(const sink_row_t *r, size_t i) {
    switch (i) {
    case 2:
        return r->url;
    case 3:
        return r->final_url;
    case 5:
        return r->title;
    case 6:
        return r->content_type;
    case 7:
        return r->charset;
    case 8:
        return r->charset_source;
    case 12:
        return r->error;
    default:
        return NULL;
    }
}

const char *sink_row_field(const sink_row_t *r, int64_t run, size_t i, char *buf) {
    int64_t v;
    if (!sink_column_is_number(i))
        return sink_row_text(r, i);
    if (!sink_row_number(r, run, i, &v))
        return NULL;
    snprintf(buf, 32, "%" PRId64, v);
    return buf;
}

/* A growable string for the SQL builders; on failure the text is freed and NULL kept. */
typedef struct sql {
    char *s;
    size_t len, cap;
} sql_t;

static void put(sql_t *q, const char *text) {
    size_t n = strlen(text);
    if (q->s && q->len + n + 1 > q->cap) {
        size_t cap = (q->len + n + 1) * 2;
        char *s = realloc(q->s, cap);
        if (!s)
            free(q->s);
        q->s = s;
        q->cap = cap;
    }
    if (q->s) {
        memcpy(q->s + q->len, text, n + 1);
        q->len += n;
    }
}

static sql_t sql_new(void) {
    sql_t q = {malloc(256), 0, 256};
    if (q.s)
        q.s[0] = '\0';
    return q;
}

char *sink_create_sql(const char *table, int pg, const char *key) {
    sql_t q = sql_new();
    put(&q, "CREATE TABLE IF NOT EXISTS ");
    put(&q, table);
    put(&q, " (");
    for (size_t c = 0; c < sink_ncolumns; c++) {
        put(&q, sink_columns[c].name);
        put(&q, " ");
        put(&q, pg ? sink_columns[c].pg_type : sink_columns[c].sqlite_type);
        put(&q, sink_columns[c].not_null ? " NOT NULL, " : ", ");
    }
    put(&q, key);
    put(&q, ")");
    return q.s;
}

char *sink_insert_sql(const char *table, int pg, const char *arbiter) {
    sql_t q = sql_new();
    put(&q, "INSERT INTO ");
    put(&q, table);
    put(&q, " (");
    for (size_t c = 0; c < sink_ncolumns; c++) {
        put(&q, sink_columns[c].name);
        put(&q, c + 1 < sink_ncolumns ? ", " : pg ? ") SELECT * FROM unnest(" : ") VALUES (");
    }
    char param[48];
    for (size_t c = 0; c < sink_ncolumns; c++) {
        if (pg)
            snprintf(param, sizeof param, "$%zu::%s[]", c + 1, sink_columns[c].pg_type);
        put(&q, pg ? param : "?");
        put(&q, c + 1 < sink_ncolumns ? ", " : ")");
    }
    put(&q, " ON CONFLICT ");
    put(&q, arbiter);
    put(&q, " DO NOTHING");
    return q.s;
}
