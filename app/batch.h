/* batch.h -- the commands that touch a database: import, report, run.
 * Each takes the run lock, opens the database, does its work, writes the
 * optional JSON summary, and returns the exit code (SPEC §5). */
#ifndef SVC_BATCH_H
#define SVC_BATCH_H

#include <stdbool.h>

#include "reports/report.h"
#include "etl/feed.h"
#include "lib/diag.h"

struct batch_opts {
    const char    *db_path;        /* the database as shown (no password) */
    const char    *db_target;      /* --db as given: a path or a URI */
    const char    *schema;         /* --schema (PostgreSQL), or NULL */
    const char    *inbox;          /* run */
    const char    *summary_path;   /* --summary FILE, or NULL */
    enum feed_kind kind;           /* import */
    char         **files;          /* import: the files, in order */
    int            n_files;
    struct report_opts report;     /* report, run */
};

int batch_import(struct batch_opts *o);
int batch_report(struct batch_opts *o);
int batch_run(struct batch_opts *o);

/* Before a SQLite database's lock file is made beside path: an existing,
 * non-empty file that is not a SQLite database is refused (EX_DATAERR,
 * untouched; EX_NOINPUT when not a regular file). 0 when path is missing,
 * a SQLite file, or empty. option: the option that named path ("--db",
 * copy's "--from" or "--to"), as the message names it. */
int batch_check_db_file(const char *path, const char *option,
                        struct diag *d);

#endif
