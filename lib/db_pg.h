/* db_pg.h -- the PostgreSQL back end of lib/db.h, over libpq (issue 17).
 *
 * Each function is the db_* function of lib/db.h of the same name, for a
 * PostgreSQL connection; lib/db.c picks the back end by the target's form
 * and calls these. Only lib/db*.c include this header (nothing outside
 * lib/db*.c knows libpq). What differs from SQLite, and why, is said at
 * each function in lib/db_pg.c and in README "PostgreSQL". */
#ifndef SVC_DB_PG_H
#define SVC_DB_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/db.h"

struct db_pg;
struct db_pg_stmt;

/* True when target is a PostgreSQL URI ("postgresql://", "postgres://"). */
bool db_pg_is_uri(const char *target);
/* target with the password of its user part and any password= or
 * sslpassword= parameter left out, read as libpq reads the URI, in a new
 * string (NULL: out of memory). */
char *db_pg_mask_uri(const char *target);
/* The schema --schema names (NULL: the default, "svcrecon"), or NULL
 * when db_pg_open refuses the name (db.h db_schema_named). */
const char *db_pg_schema_named(const char *schema);

/* Connects, checks the database (UTF8, collation C) and sets the schema
 * (search_path); for DB_WRITE creates the schema when missing (lib/db.c
 * then brings its tables up to date), for DB_READ_ONLY a schema without
 * svcrecon's tables is EX_NOINPUT. */
int db_pg_open(const char *uri, const char *schema, enum db_mode mode,
               struct db_pg **out, struct diag *d);
void db_pg_close(struct db_pg *db);
const char *db_pg_display_name(const struct db_pg *db);
const char *db_pg_reached_name(const struct db_pg *db);
const char *db_pg_library_version(void);       /* "libpq 15.x" */

int db_pg_exec(struct db_pg *db, const char *sql, struct diag *d,
               const char *what);
/* Each statement of sql with name bound (integer, or text when text is
 * not NULL) where it has it. */
int db_pg_exec_each(struct db_pg *db, const char *sql, const char *name,
                    int64_t value, const char *text, struct diag *d,
                    const char *what);
/* write: BEGIN and the write lock (an advisory transaction lock, 75 when
 * another writer keeps it past 2 s, as SQLite's busy timeout); else a
 * REPEATABLE READ snapshot. */
int db_pg_begin(struct db_pg *db, bool write, struct diag *d,
                const char *what);
int db_pg_commit(struct db_pg *db, struct diag *d, const char *what);
void db_pg_rollback(struct db_pg *db);
bool db_pg_in_transaction(const struct db_pg *db);
/* Whether the connection to the server is gone (PQstatus CONNECTION_BAD:
 * a server restart, a network cut). */
bool db_pg_connection_lost(const struct db_pg *db);
/* A loss of the connection (75) before anything was done -- the database
 * being opened, its schema made or upgraded, the run lock taken -- said
 * so, with what to do: run the command again once the server is back. */
void db_pg_lost_early(struct db_pg *db, struct diag *d, const char *when);

int db_pg_prepare(struct db_pg *db, const char *sql, struct db_pg_stmt **st,
                  struct diag *d, const char *what);
void db_pg_finalize(struct db_pg_stmt *st);
void db_pg_reset(struct db_pg_stmt *st);
void db_pg_clear_bindings(struct db_pg_stmt *st);
int db_pg_param(struct db_pg_stmt *st, const char *name);
int db_pg_bind_null(struct db_pg_stmt *st, int idx);
int db_pg_bind_int64(struct db_pg_stmt *st, int idx, int64_t v);
int db_pg_bind_double(struct db_pg_stmt *st, int idx, double v);
int db_pg_bind_text(struct db_pg_stmt *st, int idx, const char *s,
                    ptrdiff_t len);
int db_pg_bind_blob(struct db_pg_stmt *st, int idx, const void *p,
                    size_t len);
int db_pg_step(struct db_pg_stmt *st, struct diag *d, const char *what);
int64_t db_pg_changes(struct db_pg_stmt *st);
int db_pg_column_count(struct db_pg_stmt *st);
const char *db_pg_column_name(struct db_pg_stmt *st, int col);
enum db_type db_pg_column_type(struct db_pg_stmt *st, int col);
int64_t db_pg_column_int64(struct db_pg_stmt *st, int col);
double db_pg_column_double(struct db_pg_stmt *st, int col);
const char *db_pg_column_text(struct db_pg_stmt *st, int col);
const void *db_pg_column_blob(struct db_pg_stmt *st, int col);
size_t db_pg_column_bytes(struct db_pg_stmt *st, int col);

/* Bulk load by COPY ... FROM STDIN (FORMAT binary): lib/db.h's db_bulk_*. */
struct db_pg_bulk;
int db_pg_bulk_begin(struct db_pg *db, const char *table,
                     const char *columns, struct db_pg_bulk **out,
                     struct diag *d);
void db_pg_bulk_null(struct db_pg_bulk *b);
void db_pg_bulk_int32(struct db_pg_bulk *b, int32_t v);
void db_pg_bulk_int64(struct db_pg_bulk *b, int64_t v);
void db_pg_bulk_double(struct db_pg_bulk *b, double v);
void db_pg_bulk_bytes(struct db_pg_bulk *b, const void *p, size_t len);
int db_pg_bulk_row(struct db_pg_bulk *b, struct diag *d);
int db_pg_bulk_end(struct db_pg_bulk *b, struct diag *d);
void db_pg_bulk_abandon(struct db_pg_bulk *b);

int db_pg_schema_version(struct db_pg *db, int *version, struct diag *d);
int db_pg_set_schema_version(struct db_pg *db, int version, struct diag *d);
/* pg_try_advisory_lock on a key from the database and schema names: 0, or
 * -1 with d filled (EX_TEMPFAIL) naming the holder. */
int db_pg_try_lock(struct db_pg *db, struct diag *d);

/* The SQL text as PostgreSQL takes it: each :name becomes $n (the same n
 * for the same name; names in order of first use go to names[0..]),
 * outside string literals, quoted identifiers and comments, which are
 * kept. Exposed for the unit tests. Returns a new string, or NULL (out of
 * memory); *n_names is set; names[i] are new strings (":name"). */
char *db_pg_rewrite(const char *sql, char ***names, int *n_names);

#endif
