/* copy.c -- svcrecon copy --from DB --to DB (issue 17): moves an svcrecon
 * database to another one, SQLite or PostgreSQL either side, with every
 * row as it is -- each imported file with its SHA-256, line numbers,
 * rejected rows (raw bytes), warnings and control totals, the deliveries,
 * the report history and the kept rule state -- so that the copy's
 * workbooks and `explain` trace every row to the same file and line
 * (README "Moving a SQLite database to PostgreSQL").
 *
 * Why a copy and not a replay of the imported files: an auditor's site may
 * no longer have the files, and a replay would give new import times and
 * no report history.
 *
 * The source is opened read-only and read in one snapshot; it must be at
 * this svcrecon's schema version. The target is opened for writing (its
 * schema created or upgraded as `import` does), under its run lock, and
 * must hold no svcrecon row: a copy never merges. Every table is copied in
 * one transaction on the target, streamed (step the source; insert into a
 * SQLite target, COPY into a PostgreSQL one: memory stays flat), with its
 * ids; a failure anywhere rolls the whole copy back. Only the re-run stamps are left behind (see
 * copy_tables). The rule state is copied too, not recomputed: the
 * copy then answers exactly what the source answers (README says why). */
#include "app/copy.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "app/batch.h"
#include "app/lock.h"
#include "app/run_summary.h"
#include "lib/clock.h"
#include "lib/db.h"
#include "lib/diag.h"
#include "lib/testhook.h"
#include "lib/utf8.h"
#include "schemas/sql.h"

/* Every table of the schema, in an order that meets each REFERENCES (a
 * file before its rows, a report before its listings), each with a unique
 * order, so that a copy inserts the same rows in the same order every
 * time. A column named rowid is never copied: it only orders file_warning
 * (SQLite's row id; on PostgreSQL an identity column of that name,
 * schemas/tables/pg/pg001_after.sql), which the target numbers anew in
 * the same order; nothing refers to it. PostgreSQL's own schema_version
 * table is the target's. */
static const struct copy_table {
    const char *name;
    const char *order;       /* NULL: not copied, only checked empty */
} copy_tables[] = {
    {"imported_file", "file_id"},
    {"file_warning", "rowid"},
    {"registration", "registration_id"},
    {"dispatch", "dispatch_row_id"},
    {"closeout", "closeout_id"},
    {"rejected_row", "rejected_id"},
    {"delivery", "delivery_id"},
    {"inbox_note", "note_id"},
    {"report_run", "as_of_day"},
    {"report_unclosed", "as_of_day, dispatch_id"},
    {"report_noncompensable_span",
     "dealer_id, dispatch_id, submitted_at, first_day"},
    /* The re-run stamps (README "Re-runs") say which workbooks in an
     * output folder a re-run may leave as they are. Those were written
     * from the source and name it on their Run and About sheets; from the
     * copy, a re-run writes them anew (naming the copy) and stamps them. */
    {"report_output", NULL},
    {"cur_registration", "registration_id"},
    {"cur_dispatch", "dispatch_row_id"},
    {"cur_closeout", "closeout_id"},
    {"cur_closeout_reason", "closeout_id, rank"},
    {"cur_registration_exception", "dispatch_id, rank"},
};
#define N_TABLES ((int)(sizeof copy_tables / sizeof copy_tables[0]))
_Static_assert(DB_SCHEMA_VERSION == 10,  /* 6, 7: a column; 8: inbox_note;
                                          9: report_noncompensable_span;
                                          10: no table (details' form) */
               "a new schema version: add its tables to copy_tables "
               "(app/copy.c); tests/e2e/t0240 checks that none is missed");
_Static_assert(N_TABLES <= COPY_MAX_TABLES, "copy_result holds them all");

#define SQL_MAX 2048        /* a table's SELECT or INSERT (26 columns) */
#define COPY_MAX_COLUMNS 64 /* of a table (26 now) */

struct copy {
    struct copy_opts  *o;
    struct copy_result res;
    struct db         *from, *to;
    struct lock        lock;
};

const char *copy_schema(const char *target, const char *schema)
{
    if (!db_is_server(target))
        return NULL;
    return schema ? schema : "svcrecon";      /* db.h: NULL = "svcrecon" */
}

/* "NAME", or "NAME (schema S)" for a server, for the final line. */
static void shown_with_schema(const char *target, const char *shown,
                              const char *schema, char *out, size_t size)
{
    if (copy_schema(target, schema))
        snprintf(out, size, "%s (schema %s)", shown,
                 copy_schema(target, schema));
    else
        snprintf(out, size, "%s", shown);
}

/* ---- the source ---------------------------------------------------------- */

/* The source must be at this svcrecon's schema version: an older one is
 * upgraded by a command that writes (the upgrade computes the rule state
 * and the deliveries, which a copy would otherwise have to redo). One that
 * holds nothing yet, another program's file or a newer schema db_open
 * refused already (DB_READ_ONLY, db_check_readable). */
static int check_source_version(struct copy *c, struct diag *d)
{
    int version;
    const char *shown = c->o->from_shown;
    if (db_schema_version(c->from, &version, d) != 0)
        return -1;
    if (version == DB_SCHEMA_VERSION)
        return 0;
    return diag_set(d, EX_DATAERR, shown, 0, "database schema version %d; "
                    "copy needs version %d: upgrade it first with this "
                    "svcrecon's import (svcrecon import --db DB --kind KIND "
                    "FILE, e.g. with a file it holds already: skipped), "
                    "then copy", version, DB_SCHEMA_VERSION);
}

static int open_source(struct copy *c, struct diag *d)
{
    /* A feed named by mistake: said as import says it, not as a damaged
     * database to restore (tests/e2e/t9900). */
    if (!db_is_server(c->o->from_target) &&
        batch_check_db_file(c->o->from_target, "--from", d) != 0)
        return -1;
    if (db_open(c->o->from_target, c->o->from_schema, DB_READ_ONLY,
                &c->from, d) != 0)
        return -1;
    return check_source_version(c, d);
}

/* ---- what the target's indexes hold -------------------------------------- */

static int format_sql(char *sql, size_t size, struct diag *d,
                      const char *fmt, ...);

/* The feed fields that go into an index (lib/db.h DB_PG_MAX_KEY_BYTES;
 * etl/load.c rejects a longer one on PostgreSQL at import). The rule state
 * and the report history hold only values of these rows. */
static const struct key_table {
    const char *table;
    const char *cols[3];
} key_tables[] = {
    {"registration", {"dealer_id", "serial_number", "model"}},
    {"dispatch", {"dispatch_id", "serial_number", NULL}},
    {"closeout", {"dealer_id", "dispatch_id", NULL}},
};

/* A SQLite database copied to PostgreSQL (where db_max_key_bytes is not
 * 0) whose rows hold a value PostgreSQL's indexes cannot (SQLite loads
 * it, SPEC §2): refused before the target is opened, so that nothing is
 * written (the COPY's insert failed with 70 deep inside the copy, the
 * target's schema made). EX_DATAERR, naming the table, the column, the
 * longest value's length and its file and line, and what to do. A
 * PostgreSQL source holds no such value (it rejected the row). */
static int check_key_bytes(struct copy *c, struct diag *d)
{
    size_t max = db_max_key_bytes(db_is_server(c->o->to_target)
                                      ? DB_POSTGRES : DB_SQLITE);
    if (max == 0 || db_kind(c->from) != DB_SQLITE)
        return 0;
    const char *what = "checking the lengths of the key fields";
    for (size_t i = 0; i < sizeof key_tables / sizeof key_tables[0]; i++) {
        const struct key_table *k = &key_tables[i];
        char lens[256] = "", where[256] = "", sql[SQL_MAX];
        size_t n_cols = 0;
        for (; n_cols < 3 && k->cols[n_cols]; n_cols++) {
            size_t l = strlen(lens), w = strlen(where);
            snprintf(lens + l, sizeof lens - l, ", LENGTH(CAST(t.%s AS BLOB))",
                     k->cols[n_cols]);
            snprintf(where + w, sizeof where - w, "%sLENGTH(CAST(t.%s AS "
                     "BLOB)) > %zu", n_cols ? " OR " : "", k->cols[n_cols],
                     max);
        }
        /* one pass over the table: its rows with any field too long */
        if (format_sql(sql, sizeof sql, d, "SELECT f.name, t.line%s FROM %s "
                       "AS t JOIN imported_file AS f ON f.file_id = "
                       "t.file_id WHERE %s ORDER BY t.file_id, t.line",
                       lens, k->table, where) != 0)
            return -1;
        struct db_stmt *q;
        if (db_prepare(c->from, sql, &q, d, what) != 0)
            return -1;
        long long n_rows = 0, longest = 0, line = 0;
        int col = 0;
        char file[512] = "";
        int rc;
        while ((rc = db_step(q, d, what)) == DB_ROW) {
            n_rows++;
            for (size_t j = 0; j < n_cols; j++) {
                long long len = db_column_int64(q, 2 + (int)j);
                if (len > longest) {
                    longest = len;
                    col = (int)j;
                    line = db_column_int64(q, 1);
                    const char *name = db_column_text(q, 0);
                    snprintf(file, sizeof file, "%s", name ? name : "");
                }
            }
        }
        db_finalize(q);
        if (rc != DB_DONE)
            return -1;
        if (n_rows == 0)
            continue;
        char len_s[32], max_s[32], n_s[32], shown[UTF8_PATH_SHOWN];
        return diag_set(d, EX_DATAERR, c->o->from_shown, 0, "table '%s' "
                        "column %s holds a value of %s bytes (%s, line %lld; "
                        "%s row%s over), longer than PostgreSQL's indexes "
                        "hold (%s bytes a key field); nothing copied: keep "
                        "this database on SQLite, or correct the export and "
                        "import it into PostgreSQL anew (import rejects such "
                        "a row there; README \"PostgreSQL\")", k->table,
                        k->cols[col], diag_thousands((unsigned long long)longest,
                                                     len_s, sizeof len_s),
                        utf8_show_path(file, shown, sizeof shown), line,
                        diag_thousands((unsigned long long)n_rows, n_s,
                                       sizeof n_s),
                        n_rows == 1 ? "" : "s",
                        diag_thousands(max, max_s, sizeof max_s));
    }
    return 0;
}

/* ---- the target ---------------------------------------------------------- */

/* 73 when any table holds a row: a copy never merges (ids would clash, and
 * two histories in one database would be neither). */
static int check_empty(struct db *db, const char *shown, const char *left,
                       struct diag *d)
{
    char sql[SQL_MAX];
    for (int i = 0; i < N_TABLES; i++) {
        struct db_stmt *q;
        snprintf(sql, sizeof sql, "SELECT 1 FROM %s LIMIT 1",
                 copy_tables[i].name);
        if (db_prepare(db, sql, &q, d, "checking that the target is "
                       "empty") != 0)
            return -1;
        int rc = db_step(q, d, "checking that the target is empty");
        db_finalize(q);
        if (rc == DB_ROW)
            return diag_set(d, EX_CANTCREAT, shown, 0, "holds svcrecon data "
                            "already (table '%s' has rows); copy writes only "
                            "into a new or empty database and never merges: "
                            "name a new file, or an empty schema with "
                            "--to-schema; %s", copy_tables[i].name, left);
        if (rc != DB_DONE)
            return -1;
    }
    return 0;
}

/* A SQLite file that exists is looked at read-only first, so that one
 * holding data is left untouched (opening it for writing would upgrade an
 * older schema). A file without a schema (new, or empty) is fine.
 * A hot journal beside it (a copy interrupted as it made its target: an
 * unlink that failed, kill -9) is rolled back first, as any writer's open
 * would: the read-only look failed on it and sent the operator to "run
 * svcrecon import, report or run once", which gave the empty target a
 * schema, and the same copy was then refused, 73 "holds svcrecon data
 * already" (fix57). Rolled back, the file is as it was committed: one
 * holding data is still refused, one holding none is copied into. */
static int probe_sqlite_target(const struct copy *c, struct diag *d)
{
    struct stat sb;
    struct db *db = NULL;
    int version = 0;
    bool rolled;
    if (db_roll_back_journal(c->o->to_target, &rolled, d) != 0) {
        diag_set_file(d, c->o->to_shown);
        return -1;
    }
    /* A refusal after the rollback does not say "left untouched": the
     * journal's pages were written back into the file (fix61). */
    const char *left = rolled ? "its interrupted transaction (a hot "
                       "journal) was rolled back, otherwise left untouched" :
                       "left untouched";
    if (stat(c->o->to_target, &sb) != 0 || sb.st_size == 0)
        return 0;
    int rc = db_open(c->o->to_target, NULL, DB_READ_ANY, &db, d) != 0 ||
             db_schema_version(db, &version, d) != 0 ? -1 : 0;
    if (rc == 0 && version != 0 && version != DB_SCHEMA_VERSION)
        rc = diag_set(d, EX_CANTCREAT, c->o->to_shown, 0, "holds an svcrecon "
                      "database already (schema version %d); copy writes "
                      "only into a new or empty database and never merges "
                      "or upgrades: name a new file; %s", version, left);
    if (rc == 0 && version == DB_SCHEMA_VERSION)
        rc = check_empty(db, c->o->to_shown, left, d);
    db_close(db);
    return rc;
}

/* The target's run lock, as import takes it (app/batch.c): SQLite's lock
 * file beside it before it is opened, PostgreSQL's advisory lock on the
 * connection. */
static int open_target(struct copy *c, struct diag *d)
{
    const struct copy_opts *o = c->o;
    bool server = db_is_server(o->to_target);
    if ((!server && (batch_check_db_file(o->to_target, "--to", d) != 0 ||
                     lock_acquire(&c->lock, o->to_target, d) != 0 ||
                     probe_sqlite_target(c, d) != 0)) ||
        db_open(o->to_target, o->to_schema, DB_WRITE, &c->to, d) != 0) {
        if (!server && d->exit_code == EX_DATAERR)
            lock_discard(&c->lock);   /* not ours: no DB.lock beside it */
        return -1;
    }
    return db_try_lock(c->to, d);          /* a no-op on SQLite (db.h) */
}

/* ---- one table ------------------------------------------------------------ */

static bool is_identifier(const char *s)
{
    if (!*s || (*s >= '0' && *s <= '9'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

/* The target's columns of table t (but rowid, see copy_tables), as
 * "a, b, c" into cols and ":a, :b, :c" into params. The SQL of a copy is
 * made from names the program and the target's schema give, never from
 * feed data; every value is bound. */
static int table_columns(struct copy *c, const char *t, char *cols,
                         char *params, struct diag *d)
{
    char sql[SQL_MAX];
    struct db_stmt *q;
    size_t nc = 0, np = 0;
    snprintf(sql, sizeof sql, "SELECT * FROM %s", t);
    if (db_prepare(c->to, sql, &q, d, "reading the target's columns") != 0)
        return -1;
    int n = db_column_count(q);
    cols[0] = params[0] = '\0';
    for (int i = 0; i < n; i++) {
        const char *name = db_column_name(q, i);
        if (strcmp(name, "rowid") == 0)
            continue;
        if (!is_identifier(name) || nc + strlen(name) + 3 >= SQL_MAX / 2 ||
            np + strlen(name) + 4 >= SQL_MAX / 2) {
            db_finalize(q);
            return diag_set(d, EX_SOFTWARE, c->o->to_shown, 0, "table '%s': "
                            "unexpected column '%.40s'", t, name);
        }
        nc += (size_t)sprintf(cols + nc, "%s%s", nc ? ", " : "", name);
        np += (size_t)sprintf(params + np, "%s:%s", np ? ", " : "", name);
    }
    db_finalize(q);
    if (n == 0)
        return diag_set(d, EX_SOFTWARE, c->o->to_shown, 0, "table '%s': no "
                        "columns", t);
    return 0;
}

/* The current source cell into the insert's parameter idx, as it is:
 * integers, doubles (exact), text and blobs byte for byte, NULL. */
static void bind_cell(struct db_stmt *ins, int idx, struct db_stmt *sel,
                      int col)
{
    switch (db_column_type(sel, col)) {
    case DB_NULL:
        db_bind_null(ins, idx);
        break;
    case DB_INTEGER:
        db_bind_int64(ins, idx, db_column_int64(sel, col));
        break;
    case DB_FLOAT:
        db_bind_double(ins, idx, db_column_double(sel, col));
        break;
    case DB_TEXT: {              /* alive until the source's next step */
        const char *s = db_column_text(sel, col);
        db_bind_text_static(ins, idx, s, (ptrdiff_t)db_column_bytes(sel, col));
        break;
    }
    case DB_BLOB: {              /* an empty blob is a blob, not NULL */
        const void *p = db_column_blob(sel, col);
        db_bind_blob(ins, idx, p ? p : "", db_column_bytes(sel, col));
        break;
    }
    }
}

/* Steps the source's rows into the target's insert; *rows counts them. */
static int copy_rows(const char *table, struct db_stmt *sel,
                     struct db_stmt *ins, const char *what,
                     unsigned long *rows, struct diag *d)
{
    char point[80];
    snprintf(point, sizeof point, "copy %s", table);
    int n = db_column_count(sel), idx[COPY_MAX_COLUMNS];
    if (n > COPY_MAX_COLUMNS)
        return diag_set(d, EX_SOFTWARE, NULL, 0, "%s: %d columns", what, n);
    for (int i = 0; i < n; i++) {
        char name[80];
        snprintf(name, sizeof name, ":%s", db_column_name(sel, i));
        idx[i] = db_param(ins, name);
    }
    int rc;
    while ((rc = db_step(sel, d, what)) == DB_ROW) {
        for (int i = 0; i < n; i++)
            bind_cell(ins, idx[i], sel, i);
        if (db_step(ins, d, what) != DB_DONE)
            return -1;
        db_reset(ins);
        if ((*rows)++ == 0)
            test_pause(point, 10);      /* t8100: a SQLite target's copy */
    }
    return rc == DB_DONE ? 0 : -1;
}

/* vsnprintf into sql, or 70 when it would be cut (it cannot be: the
 * column lists are under SQL_MAX / 2 each, the table names short). */
__attribute__((format(printf, 4, 5)))
static int format_sql(char *sql, size_t size, struct diag *d,
                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(sql, size, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= size)
        return diag_set(d, EX_SOFTWARE, NULL, 0, "a copy statement is too "
                        "long");
    return 0;
}

/* The table's INSERT on the target, then the source's rows through it
 * (SQLite, and any table bulk_types cannot type). */
static int insert_rows(struct copy *c, const char *table, const char *cols,
                       const char *params, struct db_stmt *sel,
                       const char *what, unsigned long *rows, struct diag *d)
{
    char sql[SQL_MAX + 128];
    struct db_stmt *ins = NULL;
    int rc = format_sql(sql, sizeof sql, d, "INSERT INTO %s (%s) VALUES (%s)",
                        table, cols, params) != 0 ||
                     db_prepare(c->to, sql, &ins, d, what) != 0
                 ? -1
                 : copy_rows(table, sel, ins, what, rows, d);
    db_finalize(ins);
    return rc;
}

/* ---- one table by COPY (a PostgreSQL target) ------------------------------ */

/* A PostgreSQL target takes the rows by COPY (lib/db.h, bulk load): one
 * stream a table instead of a round trip a row (~4,600 rows/s by INSERT).
 * COPY's binary fields must be exactly the column's type, which the
 * target's catalog gives (schemas/queries/copy/pg_copy_columns.sql). */
enum bulk_type { BULK_INT32, BULK_INT64, BULK_DOUBLE, BULK_TEXT, BULK_BLOB,
                 BULK_UNKNOWN };

static enum bulk_type bulk_type_of(const char *pg_type)
{
    static const struct { const char *name; enum bulk_type type; } known[] = {
        {"integer", BULK_INT32}, {"bigint", BULK_INT64},
        {"double precision", BULK_DOUBLE}, {"text", BULK_TEXT},
        {"bytea", BULK_BLOB},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(pg_type, known[i].name) == 0)
            return known[i].type;
    return BULK_UNKNOWN;
}

/* The type of each column of sel (the source's SELECT of the target's
 * columns, in the target's order) on the target. 1 (not an error) when a
 * column's type is not one of bulk_type's: the table then goes by INSERT,
 * which lets the server convert. */
static int bulk_types(struct copy *c, const char *table, struct db_stmt *sel,
                      enum bulk_type *types, const char *what,
                      struct diag *d)
{
    struct db_stmt *q;
    int n = db_column_count(sel), k = 0, rc, unknown = 0;
    if (db_prepare(c->to, sql_pg_copy_columns, &q, d, what) != 0)
        return -1;
    db_set_text(q, ":table_name", table, -1);
    while ((rc = db_step(q, d, what)) == DB_ROW) {
        const char *name = db_column_text(q, 0);
        if (strcmp(name, "rowid") == 0)
            continue;                      /* never copied: copy_tables */
        if (k >= n || strcmp(name, db_column_name(sel, k)) != 0)
            break;
        types[k] = bulk_type_of(db_column_text(q, 1));
        unknown |= types[k++] == BULK_UNKNOWN;
    }
    db_finalize(q);
    if (rc == DB_ERROR)
        return -1;
    if (rc == DB_ROW || k != n)       /* cannot be: the same catalog */
        return diag_set(d, EX_SOFTWARE, c->o->to_shown, 0, "%s: the target's "
                        "columns changed during the copy", what);
    return unknown;
}

/* The current source cell as a field of type t; -1 when its value cannot
 * be one (a text in an integer column, an integer out of range), which
 * INSERT would refuse too. */
static int put_cell(struct db_bulk *b, enum bulk_type t, struct db_stmt *sel,
                    int col, const char *what, struct diag *d)
{
    enum db_type v = db_column_type(sel, col);
    int64_t i = v == DB_INTEGER ? db_column_int64(sel, col) : 0;
    if (v == DB_NULL)
        db_bulk_null(b);
    else if (v == DB_INTEGER && t == BULK_INT64)
        db_bulk_int64(b, i);
    else if (v == DB_INTEGER && t == BULK_INT32 && i >= INT32_MIN &&
             i <= INT32_MAX)
        db_bulk_int32(b, (int32_t)i);
    else if ((v == DB_INTEGER || v == DB_FLOAT) && t == BULK_DOUBLE)
        db_bulk_double(b, db_column_double(sel, col));
    else if (v == DB_TEXT && t == BULK_TEXT)
        db_bulk_text(b, db_column_text(sel, col), db_column_bytes(sel, col));
    else if (v == DB_TEXT && t == BULK_BLOB)
        db_bulk_blob(b, db_column_text(sel, col), db_column_bytes(sel, col));
    else if (v == DB_BLOB && t == BULK_BLOB) {  /* empty: a blob, not NULL */
        const void *p = db_column_blob(sel, col);
        db_bulk_blob(b, p ? p : "", db_column_bytes(sel, col));
    }
    else
        return diag_set(d, EX_SOFTWARE, NULL, 0, "%s: column '%s': a value "
                        "the target's column cannot hold", what,
                        db_column_name(sel, col));
    return 0;
}

/* The table's failure named: the back end's words name the stream, not
 * the table ("sending rows to the server: lost the connection ..."). */
static int in_table(const char *what, struct diag *d)
{
    char file[sizeof d->file], why[sizeof d->reason];
    snprintf(file, sizeof file, "%s", d->file);
    snprintf(why, sizeof why, "%s", d->reason);
    return diag_set(d, d->exit_code, file[0] ? file : NULL, d->line,
                    "%s: %s", what, why);
}

/* Streams the source's rows into the target's COPY; *rows counts them. */
static int bulk_rows(struct copy *c, const char *table, const char *cols,
                     struct db_stmt *sel, const enum bulk_type *types,
                     const char *what, unsigned long *rows, struct diag *d)
{
    struct db_bulk *b;
    char point[80];
    int n = db_column_count(sel), rc;
    snprintf(point, sizeof point, "copy %s", table);
    if (db_bulk_begin(c->to, table, cols, &b, d) != 0)
        return in_table(what, d);
    while ((rc = db_step(sel, d, what)) == DB_ROW) {
        for (int i = 0; i < n; i++)
            if (put_cell(b, types[i], sel, i, what, d) != 0)
                goto fail;
        if (db_bulk_row(b, d) != 0) {
            db_bulk_abandon(b);
            return in_table(what, d);
        }
        if ((*rows)++ == 0)
            test_pause(point, 10);      /* t0240: the COPY is open */
    }
    if (rc != DB_DONE)
        goto fail;
    return db_bulk_end(b, d) == 0 ? 0 : in_table(what, d);
fail:                                   /* d names the table already */
    db_bulk_abandon(b);
    return -1;
}

/* ---- one table, either way ---------------------------------------------- */

static int copy_table(struct copy *c, const struct copy_table *t,
                      struct diag *d)
{
    char what[80], sql[SQL_MAX + 128];
    char cols[SQL_MAX / 2], params[SQL_MAX / 2];
    struct db_stmt *sel = NULL;
    enum bulk_type types[COPY_MAX_COLUMNS];
    struct copy_table_count *n = &c->res.tables[c->res.n_tables];
    struct timespec t0;
    clock_start(&t0);
    snprintf(what, sizeof what, "copying table '%s'", t->name);
    n->table = t->name;
    n->rows = 0;
    int rc = table_columns(c, t->name, cols, params, d) != 0 ||
                     format_sql(sql, sizeof sql, d, "SELECT %s FROM %s ORDER "
                                "BY %s", cols, t->name, t->order) != 0 ||
                     db_prepare(c->from, sql, &sel, d, what) != 0
                 ? -1
                 : 1;
    if (rc == 1 && db_has_bulk(c->to))
        rc = bulk_types(c, t->name, sel, types, what, d);
    if (rc == 0)
        rc = bulk_rows(c, t->name, cols, sel, types, what, &n->rows, d);
    else if (rc == 1)
        rc = insert_rows(c, t->name, cols, params, sel, what, &n->rows, d);
    db_finalize(sel);
    if (rc != 0)
        return -1;
    c->res.n_tables++;
    c->res.rows += n->rows;
    if (!c->o->quiet)
        fprintf(stderr, "svcrecon: copy: %s: %lu row%s (%.2f s)\n",
                t->name, n->rows, n->rows == 1 ? "" : "s",
                clock_seconds_since(&t0));
    return 0;
}

/* ---- the whole copy ---------------------------------------------------- */

/* One snapshot of the source, one transaction on the target. */
static int copy_all(struct copy *c, struct diag *d)
{
    if (db_begin_read(c->from, d, "reading the source") != 0 ||
        db_begin_write(c->to, d, "starting the copy") != 0 ||
        check_empty(c->to, c->o->to_shown, "left untouched",
                    d) != 0)
        goto fail;
    for (int i = 0; i < N_TABLES; i++)
        if (copy_tables[i].order && copy_table(c, &copy_tables[i], d) != 0)
            goto fail;
    /* PostgreSQL's identity columns numbered nothing: the next row of
     * each table must come after the copied ids (schemas/queries/copy/). */
    if (db_kind(c->to) == DB_POSTGRES &&
        db_exec(c->to, sql_pg_copy_sequences, d, "setting the identity "
                "sequences") != 0)
        goto fail;
    if (db_commit(c->to, d, "committing the copy") != 0)
        goto fail;
    c->res.committed = true;
    return 0;
fail:
    db_rollback(c->to);
    return -1;
}

/* The summary (--summary FILE): a run record with no files, the target as
 * its database, and the copy's tables (app/run_summary.c). */
static int write_summary(const struct copy *c, int exit_code,
                         const struct diag *d, const struct timespec *t0,
                         time_t started)
{
    struct batch_opts bo = {.db_path = c->o->to_shown,
                            .db_target = c->o->to_target,
                            .schema = c->o->to_schema,
                            .summary_path = c->o->summary_path};
    struct run_record s;
    if (!c->o->summary_path)
        return 0;
    run_record_start(&s, "copy", &bo);
    s.t0 = *t0;
    s.started_at = started;
    s.copy = &c->res;
    s.exit_code = exit_code;
    if (exit_code != 0) {
        diag_format(d, s.fatal, sizeof s.fatal);
        s.has_fatal = true;
    }
    int rc = run_summary_write(&s);
    run_record_free(&s);
    return rc;
}

/* A lost connection (PostgreSQL: a server stopped or restarted, a network
 * cut) on either side is 75, try later, as app/batch.c's say_lost() makes
 * a run's (it was 70, "internal error"), and the back end's
 * words ("copying table 'dispatch': loading the rows: server closed the
 * connection unexpectedly") say neither what became of the copy nor what
 * to do, as app/batch.c's say_lost() says them for a run: the target's
 * transaction is gone (the server rolled it back, or svcrecon did on a
 * SQLite target), so the same copy is run again once the server is back. */
static void say_lost(const struct copy *c, struct diag *d)
{
    if (!db_connection_lost(c->from) && !db_connection_lost(c->to))
        return;
    char file[sizeof d->file], why[sizeof d->reason];
    snprintf(file, sizeof file, "%s", d->file);
    snprintf(why, sizeof why, "%s", d->reason);
    /* What stays is the target kind's: a PostgreSQL schema the copy made,
     * empty; a SQLite file holds no row of it (the source's loss said "a
     * schema it made stays" of a file, qa86). Either is accepted by the
     * same copy run again. */
    diag_set(d, EX_TEMPFAIL, NULL, 0, "lost the connection to the database "
             "server while copying: the target's transaction was rolled "
             "back, nothing of the copy is kept (%s); run the same copy "
             "again once the server is back (%s%s%s)",
             db_is_server(c->o->to_target) ? "a schema it made stays, empty"
                                           : "the target file holds no row "
                                             "of it",
             file, file[0] ? ": " : "", why);
}

/* A full disk under the target: the database layer's advice is a run's
 * ("free space ..., then run again (what was committed is kept; the run
 * completes the rest)"), but a copy is one transaction, rolled back
 * whole: nothing of it is kept and the same copy starts over (QA pass
 * 39, tests/e2e/t9985). The layer's words are replaced from its "; free
 * space on the database" on. */
static void say_full(const struct copy *c, struct diag *d)
{
    char *at = strstr(d->reason, "; free space on the database");
    if (!at || c->res.committed)
        return;
    /* The source's disk full: a SQLite source in WAL mode is read through
     * its -wal and -shm files, made beside it; "the target's disk" sent
     * the operator to free space where none was missing. */
    if (strcmp(d->file, c->o->from_shown) == 0) {
        snprintf(at, sizeof d->reason - (size_t)(at - d->reason), "; free "
                 "space on the source's disk (reading a database needs room "
                 "beside it), then run the same copy again (nothing was "
                 "copied)");
        return;
    }
    snprintf(at, sizeof d->reason - (size_t)(at - d->reason), "; free space "
             "on the target's disk, then run the same copy again (it was "
             "rolled back whole: nothing of it is kept)");
}

/* The copy committed, then the final WAL checkpoint's sync failed
 * (db_finish(): 73, the WAL kept). The layer's advice is a run's ("then
 * run again (what was committed is kept)"), but the same copy run again
 * is refused, 73, "holds svcrecon data already": the copy is whole in
 * the target's -wal file, which the next command opening it folds. */
static void say_unfolded(struct diag *d)
{
    char *at = strstr(d->reason, ", then run again");
    if (at)
        snprintf(at, sizeof d->reason - (size_t)(at - d->reason), "; the "
                 "copy is committed, its rows in the target's -wal file, "
                 "folded into the target by the next command that opens "
                 "it: do not run the copy again (the target holds the data "
                 "now)");
}

int copy_run(struct copy_opts *o)
{
    struct copy c = {.o = o, .lock = {.fd = -1}};
    struct diag d = {0};
    struct timespec t0;
    time_t started = time(NULL);
    clock_start(&t0);
    c.res.o = o;
    if (o->summary_path) {        /* "running" until its outcome replaces it */
        struct batch_opts bo = {.db_path = o->to_shown,
                                .db_target = o->to_target,
                                .schema = o->to_schema,
                                .summary_path = o->summary_path};
        struct run_record s;
        run_record_start(&s, "copy", &bo);
        run_summary_running(&s);
        run_record_free(&s);
    }
    int rc = open_source(&c, &d) != 0 || check_key_bytes(&c, &d) != 0 ||
             open_target(&c, &d) != 0 ||
             copy_all(&c, &d) != 0 ? -1 : 0;
    if (rc != 0) {
        say_lost(&c, &d);
        say_full(&c, &d);
    }
    if (rc == 0 && db_finish(c.to, &d) != 0) {    /* fix81 */
        say_unfolded(&d);
        rc = -1;
    }
    db_close(c.from);
    db_close(c.to);
    lock_release(&c.lock);
    int code = rc == 0 ? 0 : d.exit_code ? d.exit_code : EX_SOFTWARE;
    if (rc != 0)
        diag_print(&d);
    code = diag_worse(code, write_summary(&c, code, &d, &t0, started));
    if (o->quiet)
        return code;
    char from[1200], to[1200];
    shown_with_schema(o->from_target, o->from_shown, o->from_schema, from,
                      sizeof from);
    shown_with_schema(o->to_target, o->to_shown, o->to_schema, to, sizeof to);
    /* paths as given: shown escaped, one line (tests/e2e/t9900) */
    char from_shown[4 * sizeof from], to_shown[4 * sizeof to];
    const char *f = utf8_show_path(from, from_shown, sizeof from_shown);
    const char *t = utf8_show_path(to, to_shown, sizeof to_shown);
    if (c.res.committed)
        fprintf(stderr, "svcrecon: copy: exit %d; %d tables, %lu row%s from "
                "%s to %s; %.1f s\n", code, c.res.n_tables, c.res.rows,
                c.res.rows == 1 ? "" : "s", f, t,
                clock_seconds_since(&t0));
    else
        fprintf(stderr, "svcrecon: copy: exit %d; nothing copied to %s; "
                "%.1f s\n", code, t, clock_seconds_since(&t0));
    return code;
}
