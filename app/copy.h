/* copy.h -- svcrecon copy --from DB --to DB (issue 17): every row of an
 * svcrecon database into a new or empty one, on either back end, in one
 * transaction on the target (README "Moving a SQLite database to
 * PostgreSQL"). */
#ifndef SVC_COPY_H
#define SVC_COPY_H

#include <stdbool.h>

#define COPY_MAX_TABLES 24        /* more than the schema has (copy.c) */

struct copy_opts {
    const char *from_target;      /* --from as given: a path or a URI */
    const char *from_schema;      /* --from-schema (PostgreSQL), or NULL */
    const char *to_target;        /* --to as given */
    const char *to_schema;        /* --to-schema (PostgreSQL), or NULL */
    const char *summary_path;     /* --summary FILE, or NULL */
    bool        quiet;            /* --quiet: stderr for problems only */
    char        from_shown[1024]; /* the databases as shown: a URI */
    char        to_shown[1024];   /* without its password (db_shown_name) */
};

/* One table copied: its name (static) and its rows. */
struct copy_table_count {
    const char   *table;
    unsigned long rows;
};

/* What a copy did, for the summary: the tables copied so far (all of
 * them when committed). */
struct copy_result {
    const struct copy_opts *o;
    struct copy_table_count tables[COPY_MAX_TABLES];
    int                     n_tables;
    unsigned long           rows;
    bool                    committed;
};

/* The PostgreSQL schema a copy reads or writes (the default when schema
 * is NULL), or NULL when target is a SQLite file. */
const char *copy_schema(const char *target, const char *schema);

/* Runs the copy; returns the exit code (SPEC §5). */
int copy_run(struct copy_opts *o);

#endif
