/* lxw_tmp.h -- libxlsxwriter's temporary files, with their writes checked.
 *
 * libxlsxwriter 1.1.4 writes each worksheet (in constant_memory mode, while
 * it is filled) and each XML part (at workbook_close()) into a temporary
 * file from its lxw_tmpfile(), through stdio, and checks none of those
 * writes: on a full disk workbook_close() succeeds with a part cut short
 * or a piece missing. lxw_tmp.c defines lxw_tmpfile() itself, which the
 * library calls through its PLT, so the program's definition is the one
 * used: each temporary file is an fopencookie() stream over a file in the
 * tmpdir the workbook was given, whose write callback sees every failed
 * write() of a buffer flush, and whose seek and close callbacks see the
 * stream's error flag (a failed fwrite/fputs/fputc/fprintf sets it; the
 * library's rewind() would clear it right after). Every failure is
 * counted; sheet_book_close() fails a workbook during whose life one
 * happened (with two workbooks in flight, on two threads, a failure fails
 * both: on any doubt, no workbook).
 *
 * verify.c still reads every finished file back: it covers what does not
 * pass through here (the zip file itself, written by minizip, which checks
 * its writes) and a library whose internal calls would bypass the PLT
 * (lxw_tmp_files() stays 0 then, which tests/unit/test_verify.c checks). */
#ifndef SVC_LXW_TMP_H
#define SVC_LXW_TMP_H

#include <stdio.h>

/* Failed writes into libxlsxwriter's temporary files since the program
 * started; *first_errno (when not NULL) gets the errno of the first one. */
unsigned long lxw_tmp_failures(int *first_errno);
/* Temporary files made through lxw_tmp.c so far. */
unsigned long lxw_tmp_files(void);

/* Closes the temporary files still open once no workbook is being
 * written: those libxlsxwriter left open when a workbook failed (see
 * open_list in lxw_tmp.c). They are unlinked already, but their space on
 * the disk comes back only when they are closed: on a full disk, the
 * summary written next to the workbooks needs it (tests/e2e/t7100). */
void lxw_tmp_close_orphans(void);

/* libxlsxwriter's own (xlsxwriter/utility.h), replaced. */
FILE *lxw_tmpfile(char *tmpdir);

#endif
