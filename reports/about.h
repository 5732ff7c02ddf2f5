/* about.h -- the About sheet that ends every workbook (SPEC §4 "Reading
 * aids"): what the workbook is, the as-of date, the database, the tool
 * version, its sheets, the meaning of every code it uses (from TEMP
 * code_meaning, q_code_meanings.sql, and the configured aging buckets),
 * and how to trace a row with `svcrecon explain`, with a real dispatch of
 * the workbook as the worked example when it has one. */
#ifndef SVC_ABOUT_H
#define SVC_ABOUT_H

#include "lib/db.h"

#include "lib/diag.h"
#include "reports/report.h"
#include "reports/sheet.h"

enum about_book {
    ABOUT_UNCLOSED = REPORT_UNCLOSED,
    ABOUT_NONCOMP = REPORT_NONCOMP,
    ABOUT_AUDIT = REPORT_AUDIT,
    ABOUT_STATEMENT
};

/* A row of the workbook to trace: the first row of its main listing. */
struct about_example {
    char     *dispatch_id;   /* malloc'd; NULL = the workbook lists none */
    char     *file_name;     /* malloc'd */
    long long line;
};

/* Copies a row into ex (freeing what it held). -1 when out of memory. */
int  about_example_set(struct about_example *ex, const char *dispatch_id,
                       const char *file_name, long long line);
void about_example_release(struct about_example *ex);

/* Adds the About sheet to b. file_name is the workbook's own name; dealer
 * is the dealer of a statement (NULL otherwise); ex is the worked example,
 * or NULL to read the first row of the book's main listing from the rule
 * tables (q_about_example.sql). 0, or -1 with d filled (database) or
 * b->err set. */
int about_write(struct db *db, struct sheet_book *b,
                const struct report_opts *o, enum about_book book,
                const char *file_name, const char *dealer,
                const struct about_example *ex, struct diag *d);

#endif
