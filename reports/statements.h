/* statements.h -- dealer statements (SPEC §4 "Dealer statements",
 * `--statements`): OUT/statements_A/DEALER.xlsx for every dealer with an
 * unclosed call (as provider) or a non-compensable closeout as of A, each
 * holding the same rows as the main listings, filtered to the dealer. */
#ifndef SVC_STATEMENTS_H
#define SVC_STATEMENTS_H

#include "lib/db.h"
#include <stddef.h>

#include "lib/diag.h"
#include "reports/report.h"

/* Writes every statement from the rule tables on db (the rules, dealer
 * names, code meanings and the comparison with the previous report must
 * have run) into a temporary folder in opts->out_dir, which then replaces
 * OUT/statements_A whole. res->n_statements gets the number of
 * statements, res->statements_dir the folder's path, res->dealers their
 * list (report.h). 0, or -1 with d filled: EX_CANTCREAT for the output,
 * database trouble otherwise; nothing replaces the folder then, and the
 * list is empty. */
int statements_write(struct db *db, const struct report_opts *o,
                     struct report_result *res, struct diag *d);

/* One statement of a list (report_result.dealers), as statements_each()
 * gives it: the rows of its sheets Unclosed calls, Non-compensable and
 * Registration exceptions, its file name, the dealer id (id_len bytes in
 * the list itself, not NUL-terminated). */
struct statement_entry {
    unsigned long rows[3];
    char          file[256];
    const char   *id;
    size_t        id_len;
};

/* Calls fn for each statement of list (NULL: none), in order, until fn
 * returns non-zero; that value, 0, or -1 when the list is malformed. No
 * memory is allocated. */
int statements_each(const char *list,
                    int (*fn)(void *arg, const struct statement_entry *e),
                    void *arg);

/* The number of statements in list, or -1 when it is malformed. */
long statements_count(const char *list);

/* Before the first workbook of a report is renamed into place: an
 * existing OUT/statements_A, of the data the workbooks replace, is
 * renamed aside to "statements.old" in the run's temporary folder
 * (o->tmp_dir; its path into aside), so
 * that no kill or failure from then on leaves it beside workbooks of
 * other data. statements_write() removes it; a report without
 * --statements puts it back only when it is the folder recorded with the
 * same data. 1 when set aside, 0 when there was none (or it stays). */
int statements_set_aside(const struct report_opts *o, char *aside,
                         size_t size);

/* The statements set aside could not be put back: they are moved out of
 * the run's temporary folder, removed at the run's end, to
 * OUT/.statements_A.old-PID (aside then names it) for a person to put
 * back. Left where they are when that fails. */
void statements_aside_rescue(const struct report_opts *o, char *aside,
                             size_t size);

/* Removes the ".statements_*.tmp-PID" and ".old-PID" folders that runs
 * since gone left in out_dir. */
void statements_remove_stale(const char *out_dir);

/* The folder's path for opts (OUT/statements_A). 0, or -1 when too long. */
int statements_folder(const struct report_opts *o, char *folder,
                      size_t size);

/* A digest of the folder's contents (each file's name and SHA-256, in
 * byte order of name) and its number of files: what a re-run compares to
 * know the statements in place are the ones it would write. 0, or -1 when
 * the folder cannot be read, errno saying why (ENOMEM: out of memory). */
int statements_digest(const char *folder, char hex[65], unsigned long *n);

/* The file name of a dealer's statement (SPEC §4): the id with every byte
 * outside A-Z a-z 0-9 - _ written as %HH, then ".xlsx". A name that would
 * pass 95 bytes (100 with ".xlsx") is cut (at a whole %HH) and ends with
 * "~" and 16 hex digits of the id's SHA-256, so that it stays distinct;
 * so does a name that `taken` (non-zero) says is in use already -- an id
 * that differs from an earlier one only in case -- and a
 * name Windows reserves (CON, PRN, AUX, NUL, COM0-9, LPT0-9, any case).
 * Never a path: no '/', never "." or "..". out has room for 256 bytes. */
void statements_file_name(const char *id, size_t len, int taken,
                          char out[256]);

#endif
