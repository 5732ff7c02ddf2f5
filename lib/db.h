/* db.h -- the SQLite database: open with the project's pragmas, create or
 * upgrade the schema (PRAGMA user_version), and map SQLite's errors to exit
 * codes with context. */
#ifndef SVC_DB_H
#define SVC_DB_H

#include <sqlite3.h>
#include <stddef.h>

#include "lib/diag.h"

#define DB_SCHEMA_VERSION 5
/* The schema version that keeps the rules' results (issue 15): an older
 * database has no rule state until a command that writes upgrades it. */
#define DB_RULE_STATE_VERSION 4

/* Opens (creating when missing) the database at path and brings its schema
 * to DB_SCHEMA_VERSION. A file that is not a SQLite database, or one of a
 * newer schema, is refused untouched (EX_DATAERR); one that cannot be
 * created gives EX_CANTCREAT; one held by another writer past the busy
 * timeout gives EX_TEMPFAIL. */
int db_open(const char *path, sqlite3 **out, struct diag *d);
void db_close(sqlite3 *db);   /* NULL is a no-op */

/* Fills d from the connection's last error, with what was being done;
 * returns -1. SQLITE_BUSY/LOCKED -> EX_TEMPFAIL, READONLY/CANTOPEN/FULL/
 * IOERR -> EX_CANTCREAT, NOTADB/CORRUPT -> EX_DATAERR, else EX_SOFTWARE. */
int db_fail(sqlite3 *db, struct diag *d, const char *what);
int db_exec(sqlite3 *db, const char *sql, struct diag *d, const char *what);
int db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st,
               struct diag *d, const char *what);

/* Runs each statement of sql in turn, with the integer parameter `name`
 * (":file_id") bound where a statement has it. 0, or -1 with d filled. */
int db_exec_bound(sqlite3 *db, const char *sql, const char *name,
                  sqlite3_int64 value, struct diag *d, const char *what);

/* PRAGMA user_version of the open database. 0, or -1 with d filled. */
int db_schema_version(sqlite3 *db, int *version, struct diag *d);
/* -1 with d filled (EX_DATAERR) when version is newer than this binary's
 * schema: such a database is refused untouched. 0 otherwise. */
int db_refuse_newer(const char *path, int version, struct diag *d);

/* Bind by parameter name (":as_of"); a name the statement lacks is
 * ignored. Text is copied (SQLITE_TRANSIENT). For the loader's hot path,
 * load.c looks the indexes up once instead. */
void db_bind_text(sqlite3_stmt *st, const char *name, const char *s,
                  size_t len);
void db_bind_int(sqlite3_stmt *st, const char *name, sqlite3_int64 v);

/* Column text, "" for NULL; valid until the next step/reset/finalize. */
const char *db_text(sqlite3_stmt *st, int col);

#endif
