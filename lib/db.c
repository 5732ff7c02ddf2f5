/* db.c -- the part of the database seam that is the same on every back
 * end: the schema migrations, run over lib/db.h. */
#include "lib/db_int.h"

#include "schemas/sql.h"

/* Schema versions, in order: entry i brings version i to i + 1. */
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

int db_refuse_newer(const char *path, int version, struct diag *d)
{
    if (version <= DB_SCHEMA_VERSION)
        return 0;
    return diag_set(d, EX_DATAERR, path, 0,
                    "database schema version %d is newer than this svcrecon "
                    "understands (%d); use a newer svcrecon", version,
                    DB_SCHEMA_VERSION);
}

int db_migrate(struct db *db, struct diag *d)
{
    int version;
    if (db_schema_version(db, &version, d) != 0)
        return -1;
    if (version >= DB_SCHEMA_VERSION)   /* newer ones: db_open refused them */
        return 0;
    if (db_begin_write(db, d, "starting schema upgrade") != 0)
        return -1;
    /* Read again under the write lock: another process may have done it. */
    if (db_schema_version(db, &version, d) != 0)
        goto fail;
    for (int v = version; v < DB_SCHEMA_VERSION; v++) {
        if (db_exec(db, migrations[v], d, "creating the schema") != 0)
            goto fail;
        if (v + 1 == DB_RULE_STATE_VERSION &&
            (db_exec(db, sql_u000_touched, d, "computing the rule state") ||
             db_exec(db, sql_touch_all, d, "computing the rule state") ||
             db_exec(db, sql_upkeep, d, "computing the rule state")))
            goto fail;
        if (db_set_schema_version(db, v + 1, d) != 0)
            goto fail;
    }
    if (db_commit(db, d, "committing schema") != 0)
        goto fail;
    return 0;
fail:
    db_rollback(db);
    return -1;
}

/* Binding by name, the same on every back end: the index, then the bind
 * (a name the statement lacks gives 0, which the binds ignore). */
void db_set_text(struct db_stmt *st, const char *name, const char *s,
                 ptrdiff_t len)
{
    db_bind_text(st, db_param(st, name), s, len);
}

void db_set_int64(struct db_stmt *st, const char *name, int64_t v)
{
    db_bind_int64(st, db_param(st, name), v);
}

void db_set_double(struct db_stmt *st, const char *name, double v)
{
    db_bind_double(st, db_param(st, name), v);
}

void db_set_null(struct db_stmt *st, const char *name)
{
    db_bind_null(st, db_param(st, name));
}
