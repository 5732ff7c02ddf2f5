/* db.c -- open the database, apply the schema, and translate SQLite errors.
 * Pragmas: WAL so that report readers never block on a writer, NORMAL
 * synchronous (a commit survives a crash of the process; WAL keeps the file
 * consistent on power loss), foreign keys on (off by default in SQLite),
 * 16 KiB pages for a new database and no allocation statistics (faster
 * loads). */
#include "lib/db.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "schemas/sql.h"

/* Schema versions, in order: entry i brings user_version i to i + 1. */
static const char *const migrations[] = {
    sql_001_tables,
    sql_002_report_history,      /* report history (README "Changes") */
    sql_003_report_output,       /* what a report was made from (Re-runs) */
    sql_004_rule_state,          /* the rules' results, kept (issue 15) */
    sql_005_delivery,            /* every file delivered (audit night) */
};
/* Right after the migration to DB_RULE_STATE_VERSION (db.h), the state is
 * computed once for the whole history (an upgrade in place; nothing to
 * compute in a new database). */
_Static_assert(sizeof migrations / sizeof migrations[0] == DB_SCHEMA_VERSION,
               "one migration per schema version");

int db_fail(sqlite3 *db, struct diag *d, const char *what)
{
    int rc = db ? sqlite3_extended_errcode(db) & 0xff : SQLITE_ERROR;
    int code;
    switch (rc) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        code = EX_TEMPFAIL;
        break;
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_PERM:
        code = EX_CANTCREAT;
        break;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
        code = EX_DATAERR;
        break;
    default:
        code = EX_SOFTWARE;
    }
    /* "disk I/O error" alone does not say the disk is full or the file
     * too large: add the system's words when SQLite kept them. */
    int sys = db && code == EX_CANTCREAT ? sqlite3_system_errno(db) : 0;
    return diag_set(d, code, db ? sqlite3_db_filename(db, "main") : NULL, 0,
                    "%s: %s%s%s", what,
                    db ? sqlite3_errmsg(db) : "no database",
                    sys ? ": " : "", sys ? strerror(sys) : "");
}

int db_exec(sqlite3 *db, const char *sql, struct diag *d, const char *what)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(db, d, what);
    return 0;
}

int db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st,
               struct diag *d, const char *what)
{
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
                           NULL) != SQLITE_OK)
        return db_fail(db, d, what);
    return 0;
}

const char *db_text(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? (const char *)t : "";
}

int db_schema_version(sqlite3 *db, int *version, struct diag *d)
{
    sqlite3_stmt *st;
    if (db_prepare(db, "PRAGMA user_version", &st, d, "reading schema "
                   "version") != 0)
        return -1;
    int rc = sqlite3_step(st);
    *version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return db_fail(db, d, "reading schema version");
    return 0;
}

int db_refuse_newer(const char *path, int version, struct diag *d)
{
    if (version <= DB_SCHEMA_VERSION)
        return 0;
    return diag_set(d, EX_DATAERR, path, 0,
                    "database schema version %d is newer than this svcrecon "
                    "understands (%d); use a newer svcrecon", version,
                    DB_SCHEMA_VERSION);
}

int db_exec_bound(sqlite3 *db, const char *sql, const char *name,
                  sqlite3_int64 value, struct diag *d, const char *what)
{
    while (sql && *sql) {
        sqlite3_stmt *st = NULL;
        const char *tail = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &st, &tail) != SQLITE_OK)
            return db_fail(db, d, what);
        sql = tail;
        if (!st)                      /* only blanks or comments were left */
            continue;
        db_bind_int(st, name, value);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
            return db_fail(db, d, what);
    }
    return 0;
}

void db_bind_text(sqlite3_stmt *st, const char *name, const char *s,
                  size_t len)
{
    int i = sqlite3_bind_parameter_index(st, name);
    if (i > 0)
        sqlite3_bind_text(st, i, s, (int)len, SQLITE_TRANSIENT);
}

void db_bind_int(sqlite3_stmt *st, const char *name, sqlite3_int64 v)
{
    int i = sqlite3_bind_parameter_index(st, name);
    if (i > 0)
        sqlite3_bind_int64(st, i, v);
}

static int migrate(sqlite3 *db, struct diag *d)
{
    int version;
    if (db_schema_version(db, &version, d) != 0)
        return -1;
    if (version >= DB_SCHEMA_VERSION)   /* newer ones: db_open refused them */
        return 0;
    if (db_exec(db, "BEGIN IMMEDIATE", d, "starting schema upgrade") != 0)
        return -1;
    /* Read again under the write lock: another process may have done it. */
    if (db_schema_version(db, &version, d) != 0)
        goto fail;
    for (int v = version; v < DB_SCHEMA_VERSION; v++) {
        char pragma[64];
        if (db_exec(db, migrations[v], d, "creating the schema") != 0)
            goto fail;
        if (v + 1 == DB_RULE_STATE_VERSION &&
            (db_exec(db, sql_u000_touched, d, "computing the rule state") ||
             db_exec(db, sql_touch_all, d, "computing the rule state") ||
             db_exec(db, sql_upkeep, d, "computing the rule state")))
            goto fail;
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
        if (db_exec(db, pragma, d, "recording schema version") != 0)
            goto fail;
    }
    if (db_exec(db, "COMMIT", d, "committing schema") != 0)
        goto fail;
    return 0;
fail:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

int db_open(const char *path, sqlite3 **out, struct diag *d)
{
    sqlite3 *db = NULL;
    *out = NULL;
    /* SQLite counts every allocation under a global mutex for
     * sqlite3_memory_used() and the heap limits, which svcrecon does not
     * use; without it a load costs ~7% less CPU (bench/README.md). It can
     * only be turned off before SQLite initializes, at the first open of
     * the process (later calls would just return SQLITE_MISUSE). */
    static bool configured;
    if (!configured) {
        configured = true;
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    }
    int rc = sqlite3_open_v2(path, &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                             SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        /* out of memory is internal (70), not the database file's fault */
        diag_set(d, rc == SQLITE_NOMEM ? EX_SOFTWARE : EX_CANTCREAT, path, 0,
                 "cannot open database: %s",
                 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return -1;
    }
    sqlite3_extended_result_codes(db, 1);
    /* A writer holding the database past this gets EX_TEMPFAIL (75). */
    sqlite3_busy_timeout(db, 2000);
    /* The first statement reads the header: a file that is not a database
     * fails here, before anything is written to it. */
    int version;
    if (db_schema_version(db, &version, d) != 0) {
        diag_set_file(d, path);
        sqlite3_close(db);
        return -1;
    }
    if (db_refuse_newer(path, version, d) != 0) {
        sqlite3_close(db);
        return -1;
    }
    if (sqlite3_db_readonly(db, "main") == 1) {
        diag_set(d, EX_CANTCREAT, path, 0, "database is read-only");
        sqlite3_close(db);
        return -1;
    }
    /* 16 KiB pages, for a new database only (SQLite ignores this once the
     * file has content, and WAL mode fixes it): a file's load then costs
     * ~14% less CPU than with 4 KiB pages (fewer b-tree pages to split and
     * WAL frames to write; bench/README.md). It must precede journal_mode,
     * which writes the first page. Memory is unchanged: cache_size below
     * counts KiB, not pages.
     * 8 MiB of page cache: SQLite's sorter also keeps in-memory runs of up
     * to cache_size, so the peak is about twice it; with 16 MiB a 1M-row
     * load or report peaked at 49-51 MB and grew with the database, with
     * 8 MiB at ~33 MB (200k: ~31 MB; 4M: 44 MB, two sorts at once), for
     * the same CPU time (issue 15; bench/README.md, third pass). */
    if (db_exec(db, "PRAGMA page_size = 16384", d, "setting pragmas") ||
        db_exec(db, "PRAGMA journal_mode = WAL", d, "setting WAL mode") ||
        db_exec(db, "PRAGMA synchronous = NORMAL", d, "setting pragmas") ||
        db_exec(db, "PRAGMA foreign_keys = ON", d, "setting pragmas") ||
        db_exec(db, "PRAGMA cache_size = -8192", d, "setting pragmas") ||
        db_exec(db, "PRAGMA temp_store = FILE", d, "setting pragmas") ||
        migrate(db, d) != 0) {
        diag_set_file(d, path);
        sqlite3_close(db);
        return -1;
    }
    *out = db;
    return 0;
}

void db_close(sqlite3 *db)
{
    if (!db)
        return;
    /* Fold the WAL back so the database is one self-contained file between
     * runs (auditors copy it). Failure here loses nothing. */
    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    sqlite3_close_v2(db);
}
