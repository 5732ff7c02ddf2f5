/* rpt_unclosed.h -- the workbook unclosed_calls_A.xlsx (SPEC §4): Summary
 * (totals by aging bucket and by provider, chart) and the listing
 * `Unclosed calls`. */
#ifndef SVC_RPT_UNCLOSED_H
#define SVC_RPT_UNCLOSED_H

#include <sqlite3.h>

#include "../etl/diag.h"
#include "report.h"
#include "sheet.h"

/* Writes both sheets into the open book from the rule tables on db (the
 * rule context must exist). *n_listed is the listing's row count. 0, or -1
 * with d filled (database trouble) or b->err set (workbook trouble). */
int rpt_unclosed_write(sqlite3 *db, const struct report_opts *o,
                       struct sheet_book *b, unsigned long *n_listed,
                       struct diag *d);

#endif
