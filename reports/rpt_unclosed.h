/* rpt_unclosed.h -- the workbook unclosed_calls_A.xlsx (SPEC §4): Summary
 * (the previous report and the counts of each change, totals by aging
 * bucket and by provider, chart), the listing `Unclosed calls`, and
 * `Changes` since the previous report (README). */
#ifndef SVC_RPT_UNCLOSED_H
#define SVC_RPT_UNCLOSED_H

#include "lib/db.h"

#include "lib/diag.h"
#include "reports/report.h"
#include "reports/sheet.h"

/* Writes the sheets into the open book from the rule tables on db (the
 * rule context and schemas/history_changes.sql must have run; ch is what
 * q_changes_counts.sql read). *n_listed is the listing's row count;
 * by_bucket (REPORT_MAX_BUCKETS entries, index: bucket seq - 1) gets the
 * calls of each bucket as the Summary sheet gives them. 0, or -1 with d
 * filled (database trouble) or b->err set (workbook trouble). */
int rpt_unclosed_write(struct db *db, const struct report_opts *o,
                       const struct report_changes *ch,
                       struct sheet_book *b, unsigned long *n_listed,
                       unsigned long *by_bucket, struct diag *d);

#endif
