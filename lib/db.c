/* db.c -- the part of the database seam that is the same on every back
 * end: the schema migrations, run over lib/db.h. */
#include "lib/db_int.h"

#include "schemas/sql.h"

#include <stdio.h>

/* Schema versions, in order: entry i brings version i to i + 1. The SQL
 * is the same on both back ends; what PostgreSQL needs besides (types and
 * identity columns SQLite has no syntax for, schemas/tables/pg/) runs just
 * before and after it there, in the same transaction. */
static const struct {
    const char *sql;
    const char *pg_before, *pg_after;   /* PostgreSQL only; NULL = none */
} migrations[] = {
    {sql_001_tables, sql_pg001_before, sql_pg001_after},
    {sql_002_report_history, NULL, NULL},   /* README "Changes" */
    {sql_003_report_output, NULL, NULL},    /* what a report was made from */
    {sql_004_rule_state, NULL, NULL},       /* the rules' results (issue 15) */
    {sql_005_delivery, NULL, sql_pg005_after},  /* every file delivered */
    {sql_006_rejected_dispatch, NULL, NULL},  /* explain finds rejections */
    {sql_007_delivery_night, NULL, NULL},  /* a late file of an old night */
    {sql_008_inbox_note, NULL, sql_pg008_after},  /* strays, empty inbox */
    {sql_009_report_noncompensable_span, NULL, NULL},  /* spans, not copies */
    {sql_010_detail_sha, NULL, NULL},   /* details name the SHA-256 prefix */
};
/* After the migration to DB_RULE_STATE_VERSION (db.h), or to
 * DB_DETAIL_SHA_VERSION (the kept details change form), the state is
 * computed once for the whole history, after the last migration, in the
 * upgrade's transaction (an upgrade in place; nothing to compute in a new
 * database, which passes version 4 with no rows). */
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

/* The first table or view of the database (its schema on PostgreSQL) in
 * name order, into name; "" when it holds none. */
static int first_table(struct db *db, char *name, size_t size,
                       struct diag *d)
{
    const char *sql = db_kind(db) == DB_POSTGRES
        ? "SELECT c.relname FROM pg_class AS c JOIN pg_namespace AS n "
          "ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
          "AND c.relkind IN ('r', 'v', 'm', 'p', 'f') ORDER BY 1 LIMIT 1"
        : "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
          "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY 1 LIMIT 1";
    struct db_stmt *q;
    name[0] = '\0';
    if (db_prepare(db, sql, &q, d, "looking for other tables") != 0)
        return -1;
    int rc = db_step(q, d, "looking for other tables");
    if (rc == DB_ROW)
        snprintf(name, size, "%s", db_column_text(q, 0));
    db_finalize(q);
    return rc < 0 ? -1 : 0;
}

/* A database at version 0 that already holds a table or view is another
 * program's (a SQLite file of another application, a PostgreSQL schema
 * such as public holding its tables): svcrecon's first migration would
 * fail on a name both use ("relation "dispatch" already exists", 70) or
 * mix its tables with the other's. 65, naming one of them (README "Exit
 * codes": not an svcrecon database). */
int db_refuse_foreign(struct db *db, struct diag *d)
{
    char name[128];
    if (first_table(db, name, sizeof name, d) != 0)
        return -1;
    if (!name[0])
        return 0;
    return diag_set(d, EX_DATAERR, db_display_name(db), 0,
                    "not an svcrecon database: it holds another program's "
                    "tables (e.g. '%s') and no svcrecon schema; name a new "
                    "database file, or on PostgreSQL a new or empty schema "
                    "(--schema)", name);
}

/* A DB_READ_ONLY database, which a reader never creates nor upgrades: a
 * newer schema is 65 (db_refuse_newer); at version 0, 66 when it holds no
 * table at all -- nothing committed in it yet: an empty file or schema,
 * or the first import or run making it now, its schema not committed; as
 * a missing database; a SQLite file or a PostgreSQL schema holding
 * another program's tables is 65 "not an svcrecon database", as import
 * says of it (QA pass 43: PostgreSQL said 66 "import first", and import
 * then refused it, 65). */
int db_check_readable(struct db *db, struct diag *d)
{
    const char *shown = db_display_name(db);
    char name[128];
    int version;
    if (db_schema_version(db, &version, d) != 0)
        return -1;
    if (version != 0)
        return db_refuse_newer(shown, version, d);
    if (first_table(db, name, sizeof name, d) != 0)
        return -1;
    if (!name[0] && db_kind(db) == DB_POSTGRES)
        return diag_set(d, EX_NOINPUT, shown, 0, "cannot open database: its "
                        "schema holds no svcrecon tables (nothing was "
                        "imported into it); import or run makes them: "
                        "correct --db or --schema, or import first");
    if (!name[0])
        return diag_set(d, EX_NOINPUT, shown, 0, "cannot open database: it "
                        "holds no svcrecon tables (nothing was imported "
                        "into it); import or run makes them: correct --db, "
                        "or import first");
    /* Tables, read after the version: a first import may have committed
     * its schema in between (its version with it). */
    if (db_schema_version(db, &version, d) != 0)
        return -1;
    if (version != 0)
        return db_refuse_newer(shown, version, d);
    return diag_set(d, EX_DATAERR, shown, 0, "not an svcrecon database: it "
                    "holds another program's tables (e.g. '%s') and no "
                    "svcrecon schema; name the database that svcrecon "
                    "import or run wrote", name);
}

int db_migrate(struct db *db, struct diag *d)
{
    int version;
    if (db_schema_version(db, &version, d) != 0)
        return -1;
    if (version > DB_SCHEMA_VERSION)    /* SQLite's db_open refused it already */
        return db_refuse_newer(db_display_name(db), version, d);
    if (version == DB_SCHEMA_VERSION)
        return 0;
    if (db_begin_write(db, d, "starting schema upgrade") != 0)
        return -1;
    /* Read again under the write lock: another process may have done it. */
    if (db_schema_version(db, &version, d) != 0 ||
        (version == 0 && db_refuse_foreign(db, d) != 0))
        goto fail;
    bool restate = false;   /* the rule state to compute anew */
    /* An upgrade's failure says so: a role that may not alter tables it
     * does not own was told "creating the schema" of an existing one. */
    const char *what = version == 0 ? "creating the schema"
                                    : "upgrading the schema";
    for (int v = version; v < DB_SCHEMA_VERSION; v++) {
        bool pg = db_kind(db) == DB_POSTGRES;
        if ((pg && migrations[v].pg_before &&
             db_exec(db, migrations[v].pg_before, d, what)) ||
            db_exec(db, migrations[v].sql, d, what) ||
            (pg && migrations[v].pg_after &&
             db_exec(db, migrations[v].pg_after, d, what)))
            goto fail;
        if (v + 1 == DB_RULE_STATE_VERSION || v + 1 == DB_DETAIL_SHA_VERSION)
            restate = true;
        if (db_set_schema_version(db, v + 1, d) != 0)
            goto fail;
    }
    if (restate &&
        (db_exec(db, sql_u000_touched, d, "computing the rule state") ||
         db_exec(db, sql_touch_all, d, "computing the rule state") ||
         db_exec(db, sql_upkeep, d, "computing the rule state")))
        goto fail;
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
