/* db_int.h -- what lib/db.c (the part of the seam that is the same on every
 * back end) gives the back ends (lib/db_sqlite.c, lib/db_pg.c). Not for
 * callers above lib/. */
#ifndef SVC_DB_INT_H
#define SVC_DB_INT_H

#include "lib/db.h"

/* Brings the open database's schema to DB_SCHEMA_VERSION in one write
 * transaction (schemas/tables/, then the rule state computed anew when it
 * passed DB_RULE_STATE_VERSION or DB_DETAIL_SHA_VERSION). 0, or -1 with d
 * filled. */
int db_migrate(struct db *db, struct diag *d);
/* -1 with d filled (EX_DATAERR) when version is newer than this binary's
 * schema: such a database is refused untouched. 0 otherwise. */
int db_refuse_newer(const char *path, int version, struct diag *d);

/* -1 with d filled (EX_DATAERR) when the database, at schema version 0,
 * holds another program's table or view; 0 when it holds none. */
int db_refuse_foreign(struct db *db, struct diag *d);
/* What db_open checks of a DB_READ_ONLY database (db.h). */
int db_check_readable(struct db *db, struct diag *d);

#endif
