/* rpt_noncomp.h -- the workbook non_compensable_A.xlsx (SPEC §4): Summary
 * (the previous report and the count of new rows, totals by reason and by
 * dealer with labor hours, chart) and the listing `Non-compensable`, whose
 * last column `New` marks the rows the previous report did not list. */
#ifndef SVC_RPT_NONCOMP_H
#define SVC_RPT_NONCOMP_H

#include "lib/db.h"

#include "lib/diag.h"
#include "reports/report.h"
#include "reports/sheet.h"

/* As rpt_unclosed_write(), for the non-compensable closeouts submitted on
 * or after --from (all up to the as-of date without it). */
int rpt_noncomp_write(struct db *db, const struct report_opts *o,
                      const struct report_changes *ch,
                      struct sheet_book *b, unsigned long *n_listed,
                      struct diag *d);

#endif
