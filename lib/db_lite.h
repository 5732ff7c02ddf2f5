/* db_lite.h -- the SQLite back end of lib/db.h (lib/db_sqlite.c).
 *
 * Each function is the db_* function of lib/db.h of the same name, for a
 * SQLite database; lib/db.c picks the back end and calls these. Only
 * lib/db*.c include this header. */
#ifndef SVC_DB_LITE_H
#define SVC_DB_LITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/db.h"

struct db_lite;
struct db_lite_stmt;

/* Opens the file (DB_WRITE: created when missing, pragmas set); the schema
 * is not brought up to date here (lib/db.c does, over lib/db.h). */
int db_lite_open(const char *target, const char *schema, enum db_mode mode,
                 struct db_lite **out, struct diag *d);
int db_lite_finish(struct db_lite *db, struct diag *d);
void db_lite_close(struct db_lite *db);
int db_lite_path_too_long(const char *path, int code, struct diag *d);
int db_lite_roll_back_journal(const char *path, bool *rolled,
                              struct diag *d);
const char *db_lite_display_name(const struct db_lite *db);
const char *db_lite_library_versions(void);
int db_lite_reading_memory(struct db_lite *db, struct diag *d);
int db_lite_building_indexes(struct db_lite *db, bool on, struct diag *d);

int db_lite_exec(struct db_lite *db, const char *sql, struct diag *d,
                 const char *what);
int db_lite_exec_bound(struct db_lite *db, const char *sql, const char *name,
                       int64_t value, struct diag *d, const char *what);
int db_lite_exec_bound_text(struct db_lite *db, const char *sql,
                            const char *name, const char *value,
                            struct diag *d, const char *what);
int db_lite_begin_write(struct db_lite *db, struct diag *d, const char *what);
int db_lite_begin_read(struct db_lite *db, struct diag *d, const char *what);
int db_lite_commit(struct db_lite *db, struct diag *d, const char *what);
void db_lite_rollback(struct db_lite *db);
bool db_lite_in_transaction(const struct db_lite *db);

int db_lite_prepare(struct db_lite *db, const char *sql,
                    struct db_lite_stmt **st, struct diag *d,
                    const char *what);
void db_lite_finalize(struct db_lite_stmt *st);
void db_lite_reset(struct db_lite_stmt *st);
void db_lite_clear_bindings(struct db_lite_stmt *st);
int db_lite_param(struct db_lite_stmt *st, const char *name);
int db_lite_bind_null(struct db_lite_stmt *st, int idx);
int db_lite_bind_int64(struct db_lite_stmt *st, int idx, int64_t v);
int db_lite_bind_double(struct db_lite_stmt *st, int idx, double v);
int db_lite_bind_text(struct db_lite_stmt *st, int idx, const char *s,
                      ptrdiff_t len);
int db_lite_bind_text_static(struct db_lite_stmt *st, int idx,
                             const char *s, ptrdiff_t len);
int db_lite_bind_blob(struct db_lite_stmt *st, int idx, const void *p,
                      size_t len);
int db_lite_step(struct db_lite_stmt *st, struct diag *d, const char *what);
int64_t db_lite_changes(struct db_lite_stmt *st);
int db_lite_column_count(struct db_lite_stmt *st);
const char *db_lite_column_name(struct db_lite_stmt *st, int col);
enum db_type db_lite_column_type(struct db_lite_stmt *st, int col);
int64_t db_lite_column_int64(struct db_lite_stmt *st, int col);
double db_lite_column_double(struct db_lite_stmt *st, int col);
const char *db_lite_column_text(struct db_lite_stmt *st, int col);
const void *db_lite_column_blob(struct db_lite_stmt *st, int col);
size_t db_lite_column_bytes(struct db_lite_stmt *st, int col);

int db_lite_schema_version(struct db_lite *db, int *version, struct diag *d);
int db_lite_set_schema_version(struct db_lite *db, int version,
                               struct diag *d);

#endif
