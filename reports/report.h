/* report.h -- the three workbooks of SPEC §4, written from the rule views
 * (schemas/r*.sql) into an output folder: each to a temporary name in that
 * folder, renamed into place only when complete. */
#ifndef SVC_REPORT_H
#define SVC_REPORT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "../etl/diag.h"

#define REPORT_MAX_BUCKETS 12

struct report_opts {
    const char *out_dir;          /* created if missing */
    const char *db_path;          /* named on the Run sheet */
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
};

enum { REPORT_UNCLOSED, REPORT_NONCOMP, REPORT_AUDIT, REPORT_N };

struct report_result {
    char          path[REPORT_N][4096];  /* final workbook paths */
    unsigned long n_unclosed;             /* listed rows */
    unsigned long n_noncomp;
    unsigned long n_rejected;             /* rejected rows + refused files */
    unsigned long n_reg_exceptions;
    unsigned long n_cut_cells;            /* text cells cut at 32,767 */
};

/* Sets up SPEC §3 on this connection as of opts->as_of (and --from, and
 * the aging buckets): r010's TEMP tables filled with bound parameters, then
 * the rules (r020...), all TEMP. The reports and `explain` share it, so
 * both read the very same rules. 0, or -1 with d filled. */
int report_rule_context(sqlite3 *db, const struct report_opts *opts,
                        struct diag *d);

/* Writes the three workbooks for opts->as_of. 0, or -1 with d filled:
 * EX_CANTCREAT when an output cannot be created or written (no partial
 * *.xlsx is left in place), EX_TEMPFAIL/EX_SOFTWARE for database trouble. */
int report_write_all(sqlite3 *db, const struct report_opts *opts,
                     struct report_result *res, struct diag *d);

#endif
