/* verify.h -- read back a finished workbook before it is renamed into place
 * (issue 16: "never trust a write you did not check").
 *
 * libxlsxwriter 1.1.4 writes every XML part through stdio into temporary
 * files and checks none of those writes (nor their fflush) before it zips
 * them: on a full disk workbook_close() can return success for a file whose
 * sheet is cut short or lacks a cell. So every workbook writer calls
 * verify_workbook() on the closed file, before its rename, with what it
 * wrote (sheet.c collects it: sheet_book_expect()), and removes the file
 * and fails with EX_CANTCREAT on any doubt. What is checked:
 *   - the zip: end record, central directory, every local header; every
 *     part inflates completely to the size and CRC-32 the directory gives;
 *   - every XML part (.xml, .rels) is well-formed as far as tags go: each
 *     end tag closes the open element of its name, one root element, which
 *     is closed, and nothing but blanks after it (so a part cut short, or
 *     missing a piece in the middle, fails);
 *   - each worksheet part named in the expectations exists and holds
 *     exactly the number of cells (<c>) written to it, and a listing part
 *     has its rows 1..n (header and data) in order.
 * Memory stays flat: parts are inflated and scanned in 64 KiB pieces. */
#ifndef SVC_VERIFY_H
#define SVC_VERIFY_H

#include <stddef.h>

/* What was written to one worksheet: xl/worksheets/sheet<part>.xml. */
struct verify_sheet {
    unsigned      part;       /* 1-based, in the order sheets were added */
    unsigned long n_cells;    /* cells written (<c> elements expected) */
    unsigned long n_rows;     /* listing: rows 1..n_rows present, in order;
                                 0 for a free-form sheet (not checked) */
};

/* Checks the workbook file at path against sheets[0..n_sheets-1]. 0 when
 * everything holds; -1 with a reason in why (e.g. "part
 * xl/worksheets/sheet2.xml: element <sheetData> is never closed") when the
 * file is not what was written, or cannot be read (errno kept in the
 * reason); -2 with a reason when the check itself ran out of memory (no
 * verdict on the file: an internal error, not a bad disk). */
int verify_workbook(const char *path, const struct verify_sheet *sheets,
                    size_t n_sheets, char *why, size_t why_size);

#endif
