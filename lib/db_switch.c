/* db_switch.c -- which back end: each db_* function of lib/db.h passes to
 * its db_lite_* (SQLite, lib/db_sqlite.c) or db_pg_* (PostgreSQL,
 * lib/db_pg.c) twin, by the form of the target db_open was given (SPEC §5:
 * a path, or a postgresql:// / postgres:// URI). A statement carries its
 * back end's statement; the hot path pays one pointer test per call. */
#include "lib/db_lite.h"
#include "lib/db_pg.h"

#include "lib/db_int.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What to do when memory runs out, as every out-of-memory line says it
 * (README, exit code 70; qa83: "X: out of memory" alone said nothing). */
#define OOM_TO_DO "; " DIAG_OOM_TO_DO " (what was committed is kept)"

struct db {
    struct db_lite *lite;        /* exactly one of the two is set */
    struct db_pg   *pg;
};

struct db_stmt {
    struct db_lite_stmt *lite;   /* exactly one of the two is set */
    struct db_pg_stmt   *pg;
    /* A value bound since the last db_clear_bindings() could not be
     * copied (out of memory) and is NULL: db_step() fails. Either back
     * end left the parameter NULL and stepped on: "NOT NULL constraint
     * failed" of a NOT NULL column, and NULL stored in a nullable one
     * (fix70). */
    bool                 value_lost;
};

bool db_is_server(const char *target)
{
    return db_pg_is_uri(target);
}

int db_path_too_long(const char *path, int code, struct diag *d)
{
    return db_lite_path_too_long(path, code, d);
}

int db_roll_back_journal(const char *path, bool *rolled, struct diag *d)
{
    return db_lite_roll_back_journal(path, rolled, d);
}

const char *db_target_problem(const char *target)
{
    /* libpq's keyword form: a keyword, blanks, '=' (libpq's list, the
     * ones a connection string starts with in practice). */
    static const char *const keywords[] = {
        "host", "hostaddr", "port", "dbname", "user", "password", "passfile",
        "service", "sslmode", "options", "application_name",
        "connect_timeout", "client_encoding", "target_session_attrs", NULL};
    if (!target || db_pg_is_uri(target))
        return NULL;
    const char *p = target + strspn(target, " \t");
    size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
    const char *eq = p + n + strspn(p + n, " \t");
    for (int i = 0; keywords[i] && *eq == '='; i++)
        if (strlen(keywords[i]) == n && strncmp(p, keywords[i], n) == 0)
            return "a libpq key=value connection string, not a URI: "
                   "svcrecon takes a PostgreSQL database as a URI, "
                   "postgresql://USER@HOST:PORT/DATABASE?sslmode=... "
                   "(README \"PostgreSQL\"), or a SQLite file's path";
    if (strncasecmp(target, "postgres:", 9) == 0 ||
        strncasecmp(target, "postgresql:", 11) == 0)
        return "not a PostgreSQL URI: a URI starts 'postgresql://' or "
               "'postgres://', in lower case and with two slashes, as "
               "libpq reads it (README \"PostgreSQL\")";
    return NULL;
}

void db_shown_name(const char *target, char *out, size_t size)
{
    if (db_target_problem(target)) {        /* it may hold a password */
        snprintf(out, size, "%s", "(not a PostgreSQL URI)");
        return;
    }
    char *masked = db_pg_is_uri(target) ? db_pg_mask_uri(target) : NULL;
    snprintf(out, size, "%s", masked ? masked
                              : db_pg_is_uri(target) ? "postgresql://"
                                                     : target);
    free(masked);
}

/* Another program's SQLite file is refused (65) before the write open,
 * which would switch it to WAL mode -- a lasting change to its header --
 * before db_migrate's own check refused it: `import`, `run`, `report` or
 * `copy --to` on the wrong file left it in WAL mode (lead, 2026-12-06;
 * tests/e2e/t0240, t7400). Only a file in rollback-journal mode is looked
 * at (its header's bytes 18 and 19 are 1; WAL mode makes them 2): a
 * read-only look at a WAL file would make DB-wal and DB-shm that it
 * cannot remove (tests/e2e/t8500), and its journal mode is already what
 * the write open sets. svcrecon's own databases are WAL files, so a night
 * never pays for the look. A file that cannot be read here is left to the
 * write open, which names what is wrong with it. */
static bool rollback_journal_file(const char *target)
{
    unsigned char h[100];
    struct stat sb;
    if (stat(target, &sb) != 0 || !S_ISREG(sb.st_mode))   /* not a FIFO */
        return false;
    int fd = open(target, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, h, sizeof h);
    close(fd);
    return n == (ssize_t)sizeof h &&
           memcmp(h, "SQLite format 3", 16) == 0 && h[18] == 1 && h[19] == 1;
}

static int refuse_foreign_file(const char *target, struct diag *d)
{
    if (!rollback_journal_file(target))
        return 0;
    struct diag quiet = {0};
    struct db *db = NULL;
    int version = 0, rc = 0;
    if (db_open(target, NULL, DB_READ_ANY, &db, &quiet) == 0 &&
        db_schema_version(db, &version, &quiet) == 0 && version == 0 &&
        db_refuse_foreign(db, &quiet) != 0 && quiet.exit_code == EX_DATAERR) {
        *d = quiet;
        rc = -1;
    }
    db_close(db);
    return rc;
}

int db_open(const char *target, const char *schema, enum db_mode mode,
            struct db **out, struct diag *d)
{
    if (mode == DB_WRITE && !db_pg_is_uri(target) &&
        refuse_foreign_file(target, d) != 0) {
        *out = NULL;
        return -1;
    }
    struct db *db = calloc(1, sizeof *db);
    *out = NULL;
    if (!db)
        return diag_set(d, EX_SOFTWARE, NULL, 0,
                        "cannot open database: out of memory" OOM_TO_DO);
    int rc = db_pg_is_uri(target)
                 ? db_pg_open(target, schema, mode, &db->pg, d)
                 : db_lite_open(target, schema, mode, &db->lite, d);
    /* A SQLite file is named as given, as every other message names it,
     * not by SQLite's absolute name (tests/e2e/t9993); a URI keeps its
     * shown form (no password). */
    if (rc == 0 && mode == DB_READ_ONLY &&
        (rc = db_check_readable(db, d)) != 0 && db->lite)
        diag_set_file(d, target);
    if (rc == 0 && mode == DB_WRITE && db_migrate(db, d) != 0) {
        diag_set_file(d, db_display_name(db));
        if (db->pg)
            db_pg_lost_early(db->pg, d, "opening it");
        rc = -1;
    }
    if (rc != 0) {
        db_close(db);
        return -1;
    }
    *out = db;
    return 0;
}

int db_finish(struct db *db, struct diag *d)
{
    return db && db->lite ? db_lite_finish(db->lite, d) : 0;
}

void db_close(struct db *db)
{
    if (!db)
        return;
    db_lite_close(db->lite);
    db_pg_close(db->pg);
    free(db);
}

enum db_kind db_kind(const struct db *db)
{
    return db->pg ? DB_POSTGRES : DB_SQLITE;
}

size_t db_max_key_bytes(enum db_kind kind)
{
    return kind == DB_POSTGRES ? DB_PG_MAX_KEY_BYTES : 0;
}

const char *db_display_name(const struct db *db)
{
    return db->pg ? db_pg_display_name(db->pg)
                  : db_lite_display_name(db->lite);
}

const char *db_reached_name(const struct db *db)
{
    return db->pg ? db_pg_reached_name(db->pg)
                  : db_lite_display_name(db->lite);
}

const char *db_schema_named(const char *target, const char *schema)
{
    if (!target || !db_is_server(target))
        return NULL;
    return db_pg_schema_named(schema);
}

char *db_named_with_schema(const char *name, const char *schema)
{
    bool named = schema && strcmp(schema, DB_DEFAULT_SCHEMA) != 0;
    size_t n = strlen(name) + (named ? strlen(schema) + 16 : 1);
    char *all = malloc(n);
    if (!all)
        return NULL;
    if (named)
        snprintf(all, n, "%s (schema %s)", name, schema);
    else
        memcpy(all, name, n);
    return all;
}

const char *db_library_versions(void)
{
    static char text[96];
    if (!text[0])
        snprintf(text, sizeof text, "%s, %s", db_lite_library_versions(),
                 db_pg_library_version());
    return text;
}

int db_try_lock(struct db *db, struct diag *d)
{
    /* SQLite: the lock file of app/lock.c, taken before db_open. */
    return db->pg ? db_pg_try_lock(db->pg, d) : 0;
}

int db_reading_memory(struct db *db, struct diag *d)
{
    return db->pg ? 0 : db_lite_reading_memory(db->lite, d);
}

int db_building_indexes(struct db *db, bool on, struct diag *d)
{
    return db->pg ? 0 : db_lite_building_indexes(db->lite, on, d);
}

int db_exec(struct db *db, const char *sql, struct diag *d, const char *what)
{
    return db->pg ? db_pg_exec(db->pg, sql, d, what)
                  : db_lite_exec(db->lite, sql, d, what);
}

int db_exec_bound(struct db *db, const char *sql, const char *name,
                  int64_t value, struct diag *d, const char *what)
{
    return db->pg ? db_pg_exec_each(db->pg, sql, name, value, NULL, d, what)
                  : db_lite_exec_bound(db->lite, sql, name, value, d, what);
}

int db_exec_bound_text(struct db *db, const char *sql, const char *name,
                       const char *value, struct diag *d, const char *what)
{
    return db->pg ? db_pg_exec_each(db->pg, sql, name, 0,
                                    value ? value : "", d, what)
                  : db_lite_exec_bound_text(db->lite, sql, name, value, d,
                                            what);
}

int db_begin_write(struct db *db, struct diag *d, const char *what)
{
    return db->pg ? db_pg_begin(db->pg, true, d, what)
                  : db_lite_begin_write(db->lite, d, what);
}

int db_begin_read(struct db *db, struct diag *d, const char *what)
{
    return db->pg ? db_pg_begin(db->pg, false, d, what)
                  : db_lite_begin_read(db->lite, d, what);
}

int db_commit(struct db *db, struct diag *d, const char *what)
{
    return db->pg ? db_pg_commit(db->pg, d, what)
                  : db_lite_commit(db->lite, d, what);
}

void db_rollback(struct db *db)
{
    if (!db)
        return;
    if (db->pg)
        db_pg_rollback(db->pg);
    else
        db_lite_rollback(db->lite);
}

bool db_in_transaction(const struct db *db)
{
    return db && (db->pg ? db_pg_in_transaction(db->pg)
                         : db_lite_in_transaction(db->lite));
}

bool db_connection_lost(const struct db *db)
{
    return db && db->pg && db_pg_connection_lost(db->pg);
}

int db_schema_version(struct db *db, int *version, struct diag *d)
{
    return db->pg ? db_pg_schema_version(db->pg, version, d)
                  : db_lite_schema_version(db->lite, version, d);
}

int db_set_schema_version(struct db *db, int version, struct diag *d)
{
    return db->pg ? db_pg_set_schema_version(db->pg, version, d)
                  : db_lite_set_schema_version(db->lite, version, d);
}

/* ---- statements ------------------------------------------------------------ */

int db_prepare(struct db *db, const char *sql, struct db_stmt **out,
               struct diag *d, const char *what)
{
    struct db_stmt *st = calloc(1, sizeof *st);
    *out = NULL;
    if (!st)
        return diag_set(d, EX_SOFTWARE, db_display_name(db), 0,
                        "%s: out of memory" OOM_TO_DO, what);
    int rc = db->pg ? db_pg_prepare(db->pg, sql, &st->pg, d, what)
                    : db_lite_prepare(db->lite, sql, &st->lite, d, what);
    if (rc != 0) {
        free(st);
        return -1;
    }
    *out = st;
    return 0;
}

void db_finalize(struct db_stmt *st)
{
    if (!st)
        return;
    db_lite_finalize(st->lite);
    db_pg_finalize(st->pg);
    free(st);
}

void db_reset(struct db_stmt *st)
{
    if (st->pg)
        db_pg_reset(st->pg);
    else
        db_lite_reset(st->lite);
}

void db_clear_bindings(struct db_stmt *st)
{
    st->value_lost = false;
    if (st->pg)
        db_pg_clear_bindings(st->pg);
    else
        db_lite_clear_bindings(st->lite);
}

int db_param(struct db_stmt *st, const char *name)
{
    return st->pg ? db_pg_param(st->pg, name) : db_lite_param(st->lite, name);
}

void db_bind_null(struct db_stmt *st, int idx)
{
    int rc = st->pg ? db_pg_bind_null(st->pg, idx)
                    : db_lite_bind_null(st->lite, idx);
    if (rc != 0)
        st->value_lost = true;
}

void db_bind_int64(struct db_stmt *st, int idx, int64_t v)
{
    int rc = st->pg ? db_pg_bind_int64(st->pg, idx, v)
                    : db_lite_bind_int64(st->lite, idx, v);
    if (rc != 0)
        st->value_lost = true;
}

void db_bind_double(struct db_stmt *st, int idx, double v)
{
    int rc = st->pg ? db_pg_bind_double(st->pg, idx, v)
                    : db_lite_bind_double(st->lite, idx, v);
    if (rc != 0)
        st->value_lost = true;
}

void db_bind_text(struct db_stmt *st, int idx, const char *s, ptrdiff_t len)
{
    int rc = st->pg ? db_pg_bind_text(st->pg, idx, s, len)
                    : db_lite_bind_text(st->lite, idx, s, len);
    if (rc != 0)
        st->value_lost = true;
}

/* PostgreSQL copies every value it is given (the text goes out at the
 * step): static text is just text there. */
void db_bind_text_static(struct db_stmt *st, int idx, const char *s,
                         ptrdiff_t len)
{
    int rc = st->pg ? db_pg_bind_text(st->pg, idx, s, len)
                    : db_lite_bind_text_static(st->lite, idx, s, len);
    if (rc != 0)
        st->value_lost = true;
}

void db_bind_blob(struct db_stmt *st, int idx, const void *p, size_t len)
{
    int rc = st->pg ? db_pg_bind_blob(st->pg, idx, p, len)
                    : db_lite_bind_blob(st->lite, idx, p, len);
    if (rc != 0)
        st->value_lost = true;
}

int db_step(struct db_stmt *st, struct diag *d, const char *what)
{
    if (st->value_lost) {
        if (d)
            diag_set(d, EX_SOFTWARE, NULL, 0, "%s: out of memory" OOM_TO_DO,
                     what);
        return DB_ERROR;
    }
    return st->pg ? db_pg_step(st->pg, d, what)
                  : db_lite_step(st->lite, d, what);
}

int64_t db_changes(struct db_stmt *st)
{
    return st->pg ? db_pg_changes(st->pg) : db_lite_changes(st->lite);
}

int db_column_count(struct db_stmt *st)
{
    return st->pg ? db_pg_column_count(st->pg)
                  : db_lite_column_count(st->lite);
}

const char *db_column_name(struct db_stmt *st, int col)
{
    return st->pg ? db_pg_column_name(st->pg, col)
                  : db_lite_column_name(st->lite, col);
}

enum db_type db_column_type(struct db_stmt *st, int col)
{
    return st->pg ? db_pg_column_type(st->pg, col)
                  : db_lite_column_type(st->lite, col);
}

int64_t db_column_int64(struct db_stmt *st, int col)
{
    return st->pg ? db_pg_column_int64(st->pg, col)
                  : db_lite_column_int64(st->lite, col);
}

double db_column_double(struct db_stmt *st, int col)
{
    return st->pg ? db_pg_column_double(st->pg, col)
                  : db_lite_column_double(st->lite, col);
}

const char *db_column_text(struct db_stmt *st, int col)
{
    return st->pg ? db_pg_column_text(st->pg, col)
                  : db_lite_column_text(st->lite, col);
}

const void *db_column_blob(struct db_stmt *st, int col)
{
    return st->pg ? db_pg_column_blob(st->pg, col)
                  : db_lite_column_blob(st->lite, col);
}

size_t db_column_bytes(struct db_stmt *st, int col)
{
    return st->pg ? db_pg_column_bytes(st->pg, col)
                  : db_lite_column_bytes(st->lite, col);
}

/* ---- bulk load (PostgreSQL only: see lib/db.h) ------------------------------ */

struct db_bulk {
    struct db_pg_bulk *pg;
};

bool db_has_bulk(const struct db *db)
{
    return db->pg != NULL;
}

int db_bulk_begin(struct db *db, const char *table, const char *columns,
                  struct db_bulk **out, struct diag *d)
{
    *out = NULL;
    if (!db->pg)
        return diag_set(d, EX_SOFTWARE, db_display_name(db), 0, "bulk "
                        "load into %s: not offered on SQLite", table);
    struct db_bulk *b = calloc(1, sizeof *b);
    if (!b)
        return diag_set(d, EX_SOFTWARE, db_display_name(db), 0,
                        "bulk load into %s: out of memory" OOM_TO_DO, table);
    if (db_pg_bulk_begin(db->pg, table, columns, &b->pg, d) != 0) {
        free(b);
        return -1;
    }
    *out = b;
    return 0;
}

void db_bulk_null(struct db_bulk *b)
{
    db_pg_bulk_null(b->pg);
}

void db_bulk_int32(struct db_bulk *b, int32_t v)
{
    db_pg_bulk_int32(b->pg, v);
}

void db_bulk_int64(struct db_bulk *b, int64_t v)
{
    db_pg_bulk_int64(b->pg, v);
}

void db_bulk_double(struct db_bulk *b, double v)
{
    db_pg_bulk_double(b->pg, v);
}

void db_bulk_text(struct db_bulk *b, const char *s, size_t len)
{
    db_pg_bulk_bytes(b->pg, s, len);    /* text's binary form: its bytes */
}

void db_bulk_blob(struct db_bulk *b, const void *p, size_t len)
{
    db_pg_bulk_bytes(b->pg, p, len);
}

int db_bulk_row(struct db_bulk *b, struct diag *d)
{
    return db_pg_bulk_row(b->pg, d);
}

int db_bulk_end(struct db_bulk *b, struct diag *d)
{
    int rc = db_pg_bulk_end(b->pg, d);
    free(b);
    return rc;
}

void db_bulk_abandon(struct db_bulk *b)
{
    if (!b)
        return;
    db_pg_bulk_abandon(b->pg);
    free(b);
}
