/* explain.h -- `svcrecon explain` (issue 8): the story of one call, or of
 * one row of a feed, told from the database with each fact's source file and
 * line: the dispatch's imported versions, the registrations of its serial
 * and its registration exceptions, every closeout naming it with all its
 * reasons, and where it stands as of a date. As text, or as one JSON
 * document, on stdout.
 *
 * The facts come from the rule tables the reports read (schemas/r0*.sql,
 * run here on a read-only connection as TEMP tables) through the
 * statements of schemas/q_explain_*.sql; no rule is decided in C. explain
 * takes no run lock and never writes to the database: a nightly run may be
 * going on (WAL lets readers read). */
#ifndef SVC_EXPLAIN_H
#define SVC_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/diag.h"
#include "reports/rules.h"

#define EXPLAIN_MAX_BUCKETS RULES_MAX_BUCKETS

struct explain_opts {
    const char *db_path;           /* the database as shown (no password) */
    const char *db_target;         /* --db as given: a path or a URI */
    const char *schema;            /* --schema (PostgreSQL), or NULL */
    const char *version;           /* svcrecon's, for the JSON document */
    const char *dispatch_id;       /* DISPATCH_ID, or NULL with --source */
    const char *source;            /* --source FILE:LINE as given, or NULL */
    const char *source_file;       /* its FILE: points into source, */
    size_t      source_file_len;   /*   not NUL-terminated */
    long        source_line;       /* its LINE; 0 = the whole file */
    const char *source_unnamed;    /* set by explain_run: the name FILE
                                    * is explain's printed form of (a
                                    * newline as \x0A), or NULL */
    size_t      source_unnamed_len;
    char        as_of[11];         /* YYYY-MM-DD */
    int32_t     as_of_day;         /* days since 1970-01-01 */
    int         n_buckets;         /* aging buckets, the open last included */
    int         bucket_hi[EXPLAIN_MAX_BUCKETS]; /* upper bounds, in days, of
                                                 * all but the last */
    bool        json;              /* --json */
    bool        as_of_default;     /* no --as-of: as_of is today's date,
                                    * replaced by the latest recorded
                                    * report's as-of when there is one */
    const char *as_of_basis;       /* set by explain_run: "option",
                                    * "latest_report" or "today" */
};

/* Splits arg ("FILE:LINE", at its last colon) into o->source_file/_len and
 * o->source_line and sets o->source = arg. False when FILE is empty or LINE
 * is not 0..999999999 in decimal digits. */
bool explain_parse_source(const char *arg, struct explain_opts *o);

/* Tells the story on stdout. Returns 0, or -1 with d filled; d's exit
 * code is EX_DATAERR (65) when the dispatch, the file or the row is not
 * found, or the database is not an svcrecon database or of a newer schema;
 * EX_NOINPUT (66) when the database cannot be opened; EX_TEMPFAIL (75)
 * when SQLite stays busy; EX_CANTCREAT (73) when stdout cannot be written;
 * EX_SOFTWARE (70) otherwise. */
int explain_run(const struct explain_opts *o, struct diag *d);

#endif
