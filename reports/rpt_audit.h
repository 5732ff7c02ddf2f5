/* rpt_audit.h -- the workbook audit_A.xlsx (SPEC §4): `Run` (as-of,
 * version, database, control totals of every imported file, warnings, the
 * other workbooks' counts), `Rejected rows`, `Registration exceptions`. */
#ifndef SVC_RPT_AUDIT_H
#define SVC_RPT_AUDIT_H

#include "lib/db.h"

#include "lib/diag.h"
#include "reports/report.h"
#include "reports/sheet.h"

/* What the Run sheet says about the other two workbooks. */
struct rpt_audit_others {
    unsigned long n_unclosed, n_noncomp;          /* listed rows */
    unsigned long n_cut_unclosed, n_cut_noncomp;  /* text cells cut */
};

/* Writes the three sheets into the open book. The Run sheet is filled
 * last (constant_memory needs rows in order per sheet, not sheets in
 * order): `others` is called then, and may wait for the other workbooks;
 * it returns 0, or -1 when they failed (the audit is then abandoned).
 * On success *n_rejected and *n_reg_exceptions are the listings' counts
 * (Rejected rows: the rows and the files refused or unreadable, one line
 * each), n_files[0] and [1] the files of the night refused and
 * unreadable. */
int rpt_audit_write(struct db *db, const struct report_opts *o,
                    struct sheet_book *b,
                    int (*others)(void *ctx, struct rpt_audit_others *out),
                    void *others_ctx, unsigned long *n_rejected,
                    unsigned long *n_reg_exceptions,
                    unsigned long n_files[2], struct diag *d);

#endif
