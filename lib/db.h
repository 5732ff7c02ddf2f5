/* db.h -- the database seam (issue 17): one small interface, two back ends
 * (lib/db_sqlite.c; lib/db_pg.c). lib/db.c holds what is the same on both:
 * the schema migrations run over this interface.
 *
 * Nothing outside lib/db*.c includes <sqlite3.h> or <libpq-fe.h>
 * (tests/check-layers.py enforces it). SQL text always uses named
 * parameters ":name"; the PostgreSQL back end rewrites them to $n at
 * prepare. Results are streamed row by row on both back ends.
 */
#ifndef SVC_DB_H
#define SVC_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/diag.h"

#define DB_SCHEMA_VERSION 10
/* The schema version that keeps the rules' results (issue 15): an older
 * database has no rule state until a command that writes upgrades it. */
#define DB_RULE_STATE_VERSION 4
/* The schema version whose kept details name a file with its SHA-256
 * prefix (schemas/tables/010_detail_sha.sql): an older database keeps the
 * old form until a command that writes upgrades it. */
#define DB_DETAIL_SHA_VERSION 10

struct db;        /* one connection */
struct db_stmt;   /* one prepared statement of that connection */

enum db_kind { DB_SQLITE, DB_POSTGRES };

/* db_step's results. DB_UNIQUE: the statement broke a UNIQUE/PRIMARY KEY
 * constraint (d is filled as for DB_ERROR, so a caller that does not expect
 * it just fails). */
enum { DB_DONE = 0, DB_ROW = 1, DB_ERROR = -1, DB_UNIQUE = -2 };

/* Column types of the current row. */
enum db_type { DB_NULL, DB_INTEGER, DB_FLOAT, DB_TEXT, DB_BLOB };

enum db_mode {
    DB_WRITE,        /* create when missing, bring the schema up to date */
    DB_READ_ONLY,    /* must exist: missing -> EX_NOINPUT, nothing created;
                      * the schema is not upgraded (explain, copy's source,
                      * report's check of a server); it must be svcrecon's:
                      * holding no table yet -> EX_NOINPUT, another
                      * program's tables -> EX_DATAERR (lib/db.c,
                      * db_check_readable) */
    DB_READ_ANY,     /* as DB_READ_ONLY, whatever the file holds (copy's
                      * look at its target, which may be another file) */
};

/* The PostgreSQL schema without --schema. */
#define DB_DEFAULT_SCHEMA "svcrecon"

/* Opens target: a SQLite path, or a "postgresql://" / "postgres://" URI
 * (schema: the PostgreSQL schema name, NULL = "svcrecon"; ignored on
 * SQLite). Errors keep today's exit codes; a URI is never repeated in a
 * message with its password (db_display_name). */
int db_open(const char *target, const char *schema, enum db_mode mode,
            struct db **out, struct diag *d);
/* A writer's last step before db_close(): SQLite folds its WAL into the
 * file and syncs it; a failed sync there (the night's data not known to
 * be on the disk) is -1 with d set (73, "check the database's disk").
 * PostgreSQL: nothing (its COMMIT is durable). NULL: 0. */
int db_finish(struct db *db, struct diag *d);
void db_close(struct db *db);                    /* NULL is a no-op */
enum db_kind db_kind(const struct db *db);
/* Whether target names a PostgreSQL server (postgresql:// or postgres://)
 * rather than a SQLite file. */
bool db_is_server(const char *target);
/* The longest value of a feed field that goes into an index (a key,
 * serial or model) that back end kind can hold; 0: no limit (SQLite).
 * PostgreSQL's btree holds an index entry of at most 2,704 bytes (a third
 * of an 8 KiB page, less its headers); redesigning every key index for it
 * is out of scope, so on PostgreSQL a row with a longer such field is
 * rejected (etl/load.c; README "PostgreSQL"), and copy refuses a SQLite
 * database holding one (app/copy.c). The widest index over feed text holds
 * three such fields: cur_registration_serial (serial_norm, registered_day,
 * removed_day, dealer_id, wmp_selected, model_norm), so 3 x 800 = 2,400
 * bytes of text + 3 x 4 bytes of varlena headers + 3 integers (at most
 * 3 x 8 bytes) + alignment before each of the 6 columns (at most 6 x 7
 * bytes) + the index tuple's header and null bitmap (16 bytes) = at most
 * 2,494 bytes, under 2,704 (tests/e2e/t1000 loads all three at 800 bytes
 * of random text, which PostgreSQL cannot compress). Every other index
 * over feed text holds at most two such fields, a submitted_at or
 * dispatched_at (19 bytes), short codes and integers: registration_key,
 * dispatch_key, closeout_key, closeout_dispatch, cur_registration_key,
 * cur_dispatch_id, cur_dispatch_serial, cur_closeout_dispatch,
 * cur_registration_exception's key and order, report_unclosed_key,
 * report_noncompensable_span_key, and the TEMP tables of
 * schemas/queries/ and schemas/upkeep/ (dispatch_id with dealer_id or
 * model_norm at most). rejected_row_dispatch keeps '' for an id over
 * FEED_MAX_KEPT_ID (200 bytes), so a rejected row always fits it. */
#define DB_PG_MAX_KEY_BYTES 800
size_t db_max_key_bytes(enum db_kind kind);
/* A SQLite path: -1 (d filled with code, the path's length and what to
 * do) when it is, symbolic links resolved, longer than SQLite opens; else
 * 0. The run lock asks before it makes DB.lock (app/lock.c). */
int db_path_too_long(const char *path, int code, struct diag *d);
/* A SQLite path with a hot journal beside it (DB-journal of a program that
 * stopped mid-transaction): rolled back, as any writer's open does, so
 * that a read-only look sees the last committed state (copy's look at its
 * target, under its run lock). 0 when done or nothing to do; -1 (d
 * filled: SQLite's words and what to do) when it cannot be. *rolled: true
 * when a journal was rolled back, the file's bytes changed (a message
 * must not then say the file was left untouched; fix61). */
int db_roll_back_journal(const char *path, bool *rolled, struct diag *d);
/* Why target, not a URI, still means a PostgreSQL server and would
 * otherwise be taken for a SQLite path (a file made under that name, its
 * password in every workbook): libpq's other form, "host=... dbname=...",
 * or a URI's prefix miswritten ("PostgreSQL://", "postgresql:/db");
 * NULL when it is a URI or a path. Never quotes target. */
const char *db_target_problem(const char *target);
/* The name to show for target before it is opened (for messages, the
 * summary and the workbooks): a path as it is, a URI without its password
 * (the user part's and any password= parameter), cut to fit out. */
void db_shown_name(const char *target, char *out, size_t size);
/* The name to print for the database: the path, or the URI with the
 * password replaced (postgresql://user@host/db). Owned by db. */
const char *db_display_name(const struct db *db);
/* What the connection reached, for the workbooks' Run and About and the
 * summary (README "PostgreSQL", decision): on PostgreSQL a URI naming
 * the user, host (or socket folder), port and database libpq connected
 * to -- whatever of them came from PG* variables, a service file or
 * libpq's defaults -- then the URI's other parameters as given, never a
 * password; the same connection gives the same bytes. SQLite: the same
 * as db_display_name. */
const char *db_reached_name(const struct db *db);
/* The PostgreSQL schema that target and --schema (NULL: not given) name,
 * for the summary: "svcrecon" without --schema; NULL for a SQLite file,
 * and for a name db_open refuses (its usage error names it). */
const char *db_schema_named(const char *target, const char *schema);
/* The database as the workbooks' Database cell (Run, About) and explain
 * name it: name (as shown, never a password), then " (schema S)" when
 * --schema (schema; NULL: not given) names another than the default, so
 * that two schemas of one database are told apart; without --schema, or
 * with the default's name, the name alone (README "PostgreSQL",
 * decision). Allocated (free it); NULL when out of memory. */
char *db_named_with_schema(const char *name, const char *schema);

/* Runs a script of one or more statements without results. */
int db_exec(struct db *db, const char *sql, struct diag *d, const char *what);
/* Runs each statement of sql with the integer parameter name bound where a
 * statement has it. */
int db_exec_bound(struct db *db, const char *sql, const char *name,
                  int64_t value, struct diag *d, const char *what);
/* The same with a text parameter (the report history's :recorded_at). */
int db_exec_bound_text(struct db *db, const char *sql, const char *name,
                       const char *value, struct diag *d, const char *what);

/* Transactions. db_begin_write takes the write lock at once (SQLite BEGIN
 * IMMEDIATE; PostgreSQL BEGIN). db_rollback never fails loudly: it is
 * called on paths that already failed. */
int db_begin_write(struct db *db, struct diag *d, const char *what);
int db_begin_read(struct db *db, struct diag *d,    /* a consistent snapshot */
                  const char *what);
int db_commit(struct db *db, struct diag *d, const char *what);
void db_rollback(struct db *db);
bool db_in_transaction(const struct db *db);
/* Whether the connection to the database server was lost (a server
 * restart, a network cut): the server rolled back the transaction in
 * flight, and the connection runs nothing more. Always false on SQLite,
 * which has no connection to lose. Callers use it to say which file or
 * report was cut short and that a rerun completes it. */
bool db_connection_lost(const struct db *db);

/* Statements. A statement is prepared once and may be stepped, reset and
 * stepped again (the loader's hot path). */
int db_prepare(struct db *db, const char *sql, struct db_stmt **st,
               struct diag *d, const char *what);
void db_finalize(struct db_stmt *st);            /* NULL is a no-op */
void db_reset(struct db_stmt *st);               /* keeps the bindings */
void db_clear_bindings(struct db_stmt *st);      /* all back to NULL */
/* The index of :name in st, 0 when the statement has none. */
int db_param(struct db_stmt *st, const char *name);

/* Bind by index (from db_param; 0 is ignored) ... Text and blobs are
 * copied unless _static, which the caller keeps alive until the next
 * step/reset. len -1 = NUL-terminated. */
void db_bind_null(struct db_stmt *st, int idx);
void db_bind_int64(struct db_stmt *st, int idx, int64_t v);
void db_bind_double(struct db_stmt *st, int idx, double v);
void db_bind_text(struct db_stmt *st, int idx, const char *s, ptrdiff_t len);
void db_bind_text_static(struct db_stmt *st, int idx, const char *s,
                         ptrdiff_t len);
void db_bind_blob(struct db_stmt *st, int idx, const void *p, size_t len);
/* ... or by name (a name the statement lacks is ignored). */
void db_set_text(struct db_stmt *st, const char *name, const char *s,
                 ptrdiff_t len);
void db_set_int64(struct db_stmt *st, const char *name, int64_t v);
void db_set_double(struct db_stmt *st, const char *name, double v);
void db_set_null(struct db_stmt *st, const char *name);

/* DB_ROW, DB_DONE, DB_UNIQUE or DB_ERROR (d filled with what; d may be
 * NULL where a caller only counts rows and ignores a failure). */
int db_step(struct db_stmt *st, struct diag *d, const char *what);
/* Rows changed by the last step of an INSERT/UPDATE/DELETE. */
int64_t db_changes(struct db_stmt *st);

/* The current row. Text is "" for NULL and valid until the next
 * step/reset/finalize; db_column_bytes is its length in bytes. */
int db_column_count(struct db_stmt *st);
const char *db_column_name(struct db_stmt *st, int col);
enum db_type db_column_type(struct db_stmt *st, int col);
int64_t db_column_int64(struct db_stmt *st, int col);
double db_column_double(struct db_stmt *st, int col);
const char *db_column_text(struct db_stmt *st, int col);
const void *db_column_blob(struct db_stmt *st, int col);
size_t db_column_bytes(struct db_stmt *st, int col);

/* Bulk load (issue 17): rows streamed to the server in one go, inside the
 * caller's transaction, where a statement per row costs a round trip each.
 * PostgreSQL only: COPY table (columns) FROM STDIN in binary format
 * (lib/db_pg.c). SQLite's prepared inserts cost no round trip and stay
 * the loader's way there, so db_has_bulk is false and db_bulk_begin fails
 * (EX_SOFTWARE). While a bulk load is open the connection runs nothing
 * else: end or abandon it first. A value's type must be its column's:
 * int32 = integer, int64 = bigint, double = double precision, text = text
 * (valid UTF-8, no NUL), blob = bytea (app/copy.c reads them from the
 * target's catalog). table and columns are the program's own names (or
 * the target's catalog's), never input. */
struct db_bulk;
bool db_has_bulk(const struct db *db);
int db_bulk_begin(struct db *db, const char *table, const char *columns,
                  struct db_bulk **out, struct diag *d);
void db_bulk_null(struct db_bulk *b);
void db_bulk_int32(struct db_bulk *b, int32_t v);
void db_bulk_int64(struct db_bulk *b, int64_t v);
void db_bulk_double(struct db_bulk *b, double v);
void db_bulk_text(struct db_bulk *b, const char *s, size_t len);
void db_bulk_blob(struct db_bulk *b, const void *p, size_t len);
/* Ends the row begun by its first value; sends what is buffered once
 * enough is (a fixed buffer: memory stays flat). -1 with d filled when
 * the stream failed (connection lost, out of memory). */
int db_bulk_row(struct db_bulk *b, struct diag *d);
/* Sends the rest, ends the COPY and checks the server's verdict (a bad
 * value is only reported here); frees b in every case. */
int db_bulk_end(struct db_bulk *b, struct diag *d);
/* Ends the COPY as failed (the caller rolls the transaction back) and
 * frees b. NULL is a no-op. */
void db_bulk_abandon(struct db_bulk *b);

/* The schema version recorded in the database (SQLite: PRAGMA
 * user_version; PostgreSQL: a one-row table in the schema). */
int db_schema_version(struct db *db, int *version, struct diag *d);
/* Records version as the schema version (inside the migration's
 * transaction). */
int db_set_schema_version(struct db *db, int version, struct diag *d);

/* The back ends' library versions for --version, e.g. "sqlite 3.40.1"
 * (static text; the PostgreSQL build may append ", libpq 15.x"). */
const char *db_library_versions(void);

/* Back-end specific needs, each named where it stands:
 * - the run lock: SQLite keeps today's lock file beside the database, taken
 *   by app/lock.c BEFORE db_open (a migration must not race), so on SQLite
 *   this is a no-op returning 0; PostgreSQL takes pg_try_advisory_lock
 *   (lib/db_pg.c). app/batch.c calls it right after db_open. */
int db_try_lock(struct db *db, struct diag *d);  /* 0, or -1 EX_TEMPFAIL */
/* - memory for reading: the report (app/batch.c's run loads first on the
 *   same connection) reads listings and sorts them; SQLite's sorter keeps
 *   in-memory runs up to the page cache's size, so its page cache is made
 *   smaller for it (lib/db_sqlite.c says why and what it costs); the
 *   PostgreSQL server bounds its own memory (work_mem): a no-op there. */
int db_reading_memory(struct db *db, struct diag *d);
/* - memory for building indexes: a first night's file builds some indexes
 *   after its rows (etl/load.c, drop_indexes); SQLite's sorter then holds
 *   up to the page cache's size on top of the cache, so the cache is made
 *   small while building (on) and given back its size after (off); only
 *   the SQLite path builds indexes so: a no-op on PostgreSQL. */
int db_building_indexes(struct db *db, bool on, struct diag *d);

#endif
