/* report.h -- the three workbooks of SPEC §4, written from the rule views
 * (schemas/r*.sql) into an output folder: each to a temporary name in that
 * folder, renamed into place only when complete; then the report is
 * recorded in the database (schemas/002_report_history.sql) so that the
 * next one can say what changed since (README "Changes since the previous
 * report"). */
#ifndef SVC_REPORT_H
#define SVC_REPORT_H

#include "lib/db.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/diag.h"

#include "reports/rules.h"

#define REPORT_MAX_BUCKETS RULES_MAX_BUCKETS
/* The aging buckets without --buckets (SPEC §3): 0-7, 8-14, 15-30, 31-60,
 * 61-90, 91+, as upper bounds of all but the last, open one. */
#define REPORT_DEFAULT_BUCKET_HI {7, 14, 30, 60, 90}

struct report_opts {
    const char *out_dir;          /* created if missing */
    const char *tmp_dir;          /* set by report_write_all(): the run's
                                     own temporary folder in out_dir */
    const char *db_path;          /* named on the Run sheet */
    const char *schema;           /* --schema (PostgreSQL), or NULL */
    const char *db_named;         /* set by report_write_all(): the Database
                                     of Run and About, db_path and, for a
                                     --schema not the default, "(schema S)" */
    const char *version;          /* svcrecon version text */
    char        as_of[11];        /* YYYY-MM-DD */
    int32_t     as_of_day;        /* days since 1970-01-01 */
    bool        has_from;
    char        from[11];
    int32_t     from_day;
    int         n_buckets;        /* aging buckets: upper bounds in days of */
    int         bucket_hi[REPORT_MAX_BUCKETS]; /* all but the last, open one */
    bool        progress_bar;     /* stderr is a terminal */
    bool        quiet;            /* no per-step log lines */
    bool        statements;       /* --statements: dealer statements too */
};

enum { REPORT_UNCLOSED, REPORT_NONCOMP, REPORT_AUDIT, REPORT_N };

/* What changed since the previous report: the recorded report with the
 * latest as-of date before this one (schemas/history_changes.sql). All
 * counts are 0 when there is none. */
struct report_changes {
    bool          has_previous;
    char          previous_as_of[11];     /* YYYY-MM-DD; "" when none */
    unsigned long n_newly_unclosed;       /* unclosed now, not listed then */
    unsigned long n_closed;               /* listed then, not now: */
    unsigned long n_closed_by_closeout;   /*   an accepted closeout */
    unsigned long n_cancelled;            /*   the dispatch is cancelled */
    unsigned long n_closed_other;         /*   anything else */
    unsigned long n_bucket_moved;         /* listed both times, other bucket */
    unsigned long n_new_noncomp;          /* listed non-compensable rows
                                             whose key was not listed then */
};

/* One file of the audit's night (SPEC §4 `Run`; q_night_files.sql). */
struct report_file {
    char       *name, *path, *kind, *sha256, *status, *reason; /* sha256:
                                                   NULL when unreadable */
    long long   rows_read, rows_loaded, rows_rejected, bytes;
};

struct report_result {
    char          path[REPORT_N][4096];  /* final workbook paths */
    unsigned long n_unclosed;             /* listed rows */
    unsigned long n_noncomp;
    unsigned long n_rejected;             /* rejected rows + refused files */
    unsigned long n_reg_exceptions;
    unsigned long n_cut_cells;            /* text cells cut at 32,767 */
    struct report_changes changes;        /* set once the rules ran */
    unsigned long n_statements;           /* --statements: files written */
    char          statements_dir[4096];   /* their folder; "" without */
    /* The statements written, one line each in the order written (byte
     * order of dealer id): "UNCLOSED NONCOMP EXCEPTIONS FILE LEN ID\n",
     * the rows of each sheet, the file's name in the folder, the id's
     * length and bytes. Kept with the report's record, so that an untouched re-run
     * gives the same list (statements_each() reads it). NULL when none;
     * report_result_free() releases it. */
    char         *dealers;
    size_t        dealers_len, dealers_cap;
    struct report_file *night;            /* the audit's files, n_night of */
    size_t        n_night;                /* them (report_result_free) */
    /* The three workbooks are complete under their final names, and the
     * statements folder is as the report leaves it (--statements: written
     * and in place; without: one of other data removed): set before the
     * report is recorded, so that a failure recording it (a full disk at
     * its COMMIT) still tells the run summary what was written (fix57). */
    bool          in_place;
    /* Each workbook (REPORT_UNCLOSED ...) renamed into place, complete,
     * by this report; set also when another failed, so that a report
     * failing after one of its workbooks went into place (a later one's
     * rename, a full disk) tells the summary which are tonight's (fix61).
     * Its row counts above are set only for a workbook in place. */
    bool          book_in_place[REPORT_N];
    /* The listed unclosed calls per aging bucket (index: bucket seq - 1),
     * counted in the report's transaction before its COMMIT; has_buckets
     * false when not counted (the workbooks were up to date: nothing was
     * written, the record read back by the caller). */
    unsigned long by_bucket[REPORT_MAX_BUCKETS];
    bool          has_buckets;
};

/* True when digits (the PID at the end of a temporary's name, ".tmp-PID")
 * name a process that is not the one that made `path` (the temporary):
 * not this one, and gone (kill(2) says ESRCH), or alive but started after
 * `path` was last changed, so a later process that was given the PID of a
 * killed run (after a reboot, a long-lived daemon; QA pass 51). A live
 * process that may be its maker, or one whose start cannot be read, is
 * left alone. Its leftovers may then be removed. */
bool report_orphan_pid(const char *digits, const char *path);
/* Removes the folder dir, the files in it and its subfolders' files (the
 * run's temporary folder holds the statements' folders, one level; no
 * deeper), never through a symbolic link: a link there is removed
 * itself, not what it names. Failures are harmless: the next run
 * retries. */
void report_remove_folder(const char *dir);

/* fsync of the folder dir, so that the names renamed into it last stand
 * after a power loss. Best effort: the files' own bytes were synced
 * before their renames (sheet_book_close), so a failure here can lose a
 * name, never leave an incomplete file under one (SPEC §6). */
void report_sync_folder(const char *dir);

/* Writes the three workbooks for opts->as_of, then records the report in
 * the database (replacing an earlier record of the same as-of date). 0, or
 * -1 with d filled: EX_CANTCREAT when an output cannot be created or
 * written (no partial *.xlsx is left in place), EX_TEMPFAIL/EX_SOFTWARE for
 * database trouble. A report is recorded only when its three workbooks are
 * in place; when recording fails they stay (they are complete) and the
 * next run of the same as-of date records it. */
int report_write_all(struct db *db, const struct report_opts *opts,
                     struct report_result *res, struct diag *d);

/* The listed unclosed calls per aging bucket as of opts->as_of_day
 * (schemas/queries/history/q_summary_buckets.sql) into res->by_bucket, for
 * the run summary; sets res->has_buckets. 0, or -1 with d filled. Run in
 * the report's transaction by report_write_all(), and by the caller when
 * the workbooks were up to date and no report ran. */
int report_count_buckets(struct db *db, const struct report_opts *opts,
                         struct report_result *res, struct diag *d);

/* The file name (no folder) of workbook kind (REPORT_UNCLOSED ...) as of
 * as_of: "audit_2026-03-12.xlsx". */
void report_book_name(int kind, const char *as_of, char *out, size_t size);

/* Releases res->night (and empties it). */
void report_result_free(struct report_result *res);

#endif
