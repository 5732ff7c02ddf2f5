/* sheet.h -- the one way text, numbers and dates reach a workbook (SPEC §4).
 *
 * A struct sheet_book wraps one libxlsxwriter workbook in constant_memory
 * mode with the formats every sheet shares; a struct sheet is one listing
 * (header in row 1, frozen, autofilter, widths, typed cells) that continues
 * on "NAME (2)", "NAME (3)" ... when it passes Excel's row limit. Free-form
 * sheets (Summary, Run) use sheet_write_text() and the book's formats.
 *
 * Every text cell goes through sheet_write_text(): invalid UTF-8 and bytes
 * XML cannot carry become visible \xNN, CR LF and lone CR become LF, text
 * that looks like an OOXML escape (_x0041_) is kept verbatim, and a value
 * over 32,767 characters is cut with a visible marker and counted in
 * book->n_cut. Text is written with worksheet_write_string() (or, for the
 * escape case, worksheet_write_rich_string()), never with a call that can
 * make a formula. Errors from libxlsxwriter are sticky: the first one is
 * kept in book->err and every later call is a no-op, so callers check once,
 * at sheet_next_row() and sheet_close(). */
#ifndef SVC_SHEET_H
#define SVC_SHEET_H

#include "lib/diag.h"
#include "reports/verify.h"
#include "lib/db.h"
#include <stddef.h>
#include <stdint.h>
#include <xlsxwriter.h>

#define SHEET_MAX_COLS 16
/* Data rows per sheet: Excel's 1,048,576 rows less the header row. */
#define SHEET_MAX_ROWS 1048575UL
/* Excel's limit on the characters of one cell (UTF-16 code units). */
#define SHEET_MAX_CHARS 32767

/* Scratch space of the text sanitizer, allocated once per book at its
 * largest: sanitized text is bounded by SHEET_MAX_CHARS whatever the
 * input's size. */
struct sheet_text {
    char   *buf;                       /* sanitized text, NUL-terminated */
    size_t *split;                     /* rich-string run ends (offsets) */
    size_t  n_split;
    char   *runs;                      /* the runs, each NUL-terminated */
    lxw_rich_string_tuple  *tuple;     /* one per run */
    lxw_rich_string_tuple **tuple_ptr; /* NULL-terminated list of them */
};

struct sheet_book {
    lxw_workbook *wb;
    lxw_format   *title;      /* sheet titles on Summary and Run */
    lxw_format   *label;      /* bold labels of key/value rows */
    lxw_format   *header;     /* listing and table headers */
    lxw_format   *header_num; /* the same, over a column of numbers */
    lxw_format   *plain;      /* text of ours (notes): indented, the
                                 default of sheet_write_text() */
    lxw_format   *text;       /* text cells: "@" (and quote prefix) */
    lxw_format   *text_wrap;  /* the same, wrapped: a value with a line break */
    lxw_format   *date;       /* yyyy-mm-dd */
    lxw_format   *datetime;   /* yyyy-mm-dd hh:mm:ss */
    lxw_format   *count;      /* #,##0 (the default of sheet_write_number) */
    lxw_format   *line;       /* 0: line numbers (SHEET_LINE) */
    lxw_format   *decimal;    /* #,##0.00 */
    lxw_format   *total;      /* bold #,##0 of total rows */
    lxw_format   *total_decimal;
    lxw_format   *wrap;       /* plain text that wraps (About, notes) */
    char          print_header[256];   /* &-escaped page header, see
                                          sheet_book_set_title() */
    lxw_error     err;        /* first libxlsxwriter error, sticky */
    const char   *err_what;   /* what was being done */
    int           err_errno;  /* errno then (temporary files), or 0 */
    unsigned long n_cut;      /* text cells cut at SHEET_MAX_CHARS */
    unsigned long n_rows;     /* listing rows written, for progress */
    void        (*progress)(void *ctx, unsigned long n_rows);
    void         *progress_ctx;
    struct sheet_text txt;
    /* What went into each worksheet (by lxw_worksheet.index), for
     * sheet_book_close()'s read-back: cells written, listing rows. */
    struct verify_sheet *expect;
    size_t        n_expect;
    unsigned long io_failures;  /* lxw_tmp_failures() when the book began */
    int           io_errno;   /* errno of a failed temporary-file call, or 0 */
    int           unclosable;   /* a sheet could not be added: see sheet_add */
};

/* What to do when the output folder's disk failed with an I/O error
 * (EIO): not "free space", nor a folder's permissions (qa82). */
#define SHEET_EIO_TO_DO "check the output folder's disk (an input/output " \
    "error: a failing disk or a lost network share), then run again (the " \
    "files already imported are kept)"

/* Adds the worksheet `name`; NULL (b->err set) when it cannot be made. */
lxw_worksheet *sheet_add(struct sheet_book *b, const char *name);

/* Creates the shared formats of an open workbook (b->wb set by the caller).
 * 0, or -1 with b->err set. */
int  sheet_book_init(struct sheet_book *b);
/* Creates the workbook `path` in constant_memory mode (its temporary files
 * in tmpdir) with fixed document properties -- title, "svcrecon VERSION",
 * created at the as-of date 00:00 UTC, never the clock -- and the shared
 * formats and page header (sheet_book_set_title(title, as_of)). b is
 * cleared first. 0, or -1: out of memory (b->wb NULL) or b->err set. */
int  sheet_book_open(struct sheet_book *b, const char *path,
                     const char *tmpdir, const char *title,
                     const char *as_of, int32_t as_of_day,
                     const char *version);
void sheet_book_release(struct sheet_book *b);   /* frees b->txt only */
/* The page header of every sheet: the workbook's title on the left, "As of
 * A" in the centre, the sheet's name on the right; the footer says "Page N
 * of M". The title is cut to fit and '&' doubled (a dealer id is feed text
 * and must not become a header code). */
void sheet_book_set_title(struct sheet_book *b, const char *title,
                          const char *as_of);
/* Print setup of a sheet (SPEC §4 "Reading aids"): landscape, fitted to
 * the page width, the book's header and footer. */
void sheet_print_setup(struct sheet_book *b, lxw_worksheet *ws);
/* Makes row `row` tall enough for `lines` lines of text (LibreOffice does
 * not grow a row by itself); nothing for one line. Call it after the
 * row's cells and before the next row (constant_memory). */
void sheet_fit_row(struct sheet_book *b, lxw_worksheet *ws, lxw_row_t row,
                   unsigned lines);
/* n written as a count inside a sentence, as the count cells show it
 * (#,##0: "2,958,405"). Returns out. */
const char *sheet_count_text(long long n, char *out, size_t size);
/* The same, then " day" or " days" as n is 1 or not: "open 1 day",
 * "open 1,234 days". Returns out. */
const char *sheet_days_text(long long n, char *out, size_t size);
/* Adds a sheet with the print setup; NULL (b->err set) on failure. */
lxw_worksheet *sheet_add(struct sheet_book *b, const char *name);

/* Closes b->wb (workbook_close() writes the file `file` then) and, when
 * that and every write before succeeded, reads the file back with
 * verify_workbook() (reports/verify.h) against the cells and listing rows
 * that went through this book. Every workbook writer calls this instead
 * of workbook_close(), before renaming the file into place: libxlsxwriter
 * does not check its own writes. 0; -1 with b->err set (a libxlsxwriter
 * failure; b->err_errno its errno, or 0), or -1 with b->err still
 * LXW_NO_ERROR and why filled: the file is not what was written (remove
 * it). Frees the book's scratch space either way; b->wb is NULL after.
 * A cell must be written once: writing one cell twice reads back as one,
 * which fails the count. */
int  sheet_book_close(struct sheet_book *b, const char *file, char *why,
                      size_t why_size);

/* libxlsxwriter's words for err, without its full stop, into buf; when
 * the system's reason e is known and err is one of the zip archive's
 * ("Zip generic error ZIP_ERRNO while creating the xlsx file", library
 * jargon before "No space left on device"), plain words instead: "the
 * workbook's zip archive could not be written" (QA pass 41). */
const char *sheet_lxw_reason(lxw_error err, int e, char *buf, size_t size);

/* What to do when memory ran out writing a workbook (exit 70; README
 * "Exit codes"): said instead of libxlsxwriter's words, whose "Error
 * creating output xlsx file. Usually a permissions error" sent a reader
 * to the folder's permissions for ENOMEM (QA pass 59). */
#define SHEET_OOM_TO_DO "the workbook was not written (the files already " \
    "imported are kept): " DIAG_OOM_TO_DO

/* The width of text s (its widest line) in widths of '0', as Calibri 11
 * draws it (reports/sheet.c char_zeros). */
double sheet_text_zeros(const char *s);

enum sheet_type {
    SHEET_TEXT,       /* text or blob column; NULL and '' are blank */
    SHEET_INT,        /* whole number */
    SHEET_LINE,       /* a line number: whole, no thousands separator (an
                       * address: explain --source FILE:LINE takes it as
                       * shown; "1,013" was refused; QA pass 50) */
    SHEET_DECIMAL,    /* number shown with two decimals */
    SHEET_DATE,       /* 'YYYY-MM-DD' text -> Excel date */
    SHEET_DATETIME    /* 'YYYY-MM-DD HH:MM:SS' text -> Excel date-time */
};

struct sheet_col {
    const char     *header;
    enum sheet_type type;
    unsigned        max_width;   /* widest the column gets from content */
};

struct sheet {
    struct sheet_book      *book;
    const char             *name;    /* borrowed: lives as long as the sheet */
    const struct sheet_col *cols;    /* borrowed */
    int                     n_cols;
    lxw_worksheet          *ws;      /* the current part */
    int                     part;    /* 1, 2, ... */
    lxw_row_t               row;     /* current row of the part; 0 = header */
    unsigned long           n_rows;  /* data rows over all parts */
    unsigned                width[SHEET_MAX_COLS];  /* measured, in chars */
};

/* Adds the sheet `name` with its header row. 0 or -1 (book->err). */
int sheet_open(struct sheet *sh, struct sheet_book *b, const char *name,
               const struct sheet_col *cols, int n_cols);
/* Moves to the next data row, opening "NAME (k)" when the part is full.
 * 0, or -1 when the book has failed. */
int sheet_next_row(struct sheet *sh);
/* Writes the current row from columns 0..n_cols-1 of a stepped statement,
 * each converted by its column's type; SQL NULL is a blank cell. A row
 * holding a line break is made tall enough to show it. */
unsigned sheet_put_row(struct sheet *sh, struct db_stmt *q);
/* Writes text (p, n) into column c of the current row, measured for the
 * width; returns its lines (the row height is the caller's, see
 * sheet_fit_row()). sheet_put_row() returns the lines of its row. */
unsigned sheet_put_text(struct sheet *sh, int c, const void *p, size_t n);
/* Print titles (SPEC §4: tables print with their header row on every
 * page): row, the header of a table below others, printed atop every
 * page after it (Excel and libxlsxwriter keep one such range a sheet),
 * whichever table the page shows -- so the header of the long table that
 * ends the sheet. */
void sheet_repeat_header(struct sheet_book *b, lxw_worksheet *ws,
                         lxw_row_t row);

/* Printed lines of prose s in a wrapping, indented column `width`
 * characters wide, as a reader wraps it: at spaces, each character as
 * wide as the font draws it, in the column's width less the indent and
 * the cell's edge; each line break starts a line, and a line may also end
 * after a slash or a hyphen (a path). */
unsigned sheet_prose_lines(const char *s, unsigned width);
/* A text cell of a free-form table in a column `width` characters wide
 * whose right neighbour holds a value (a name beside its count): written
 * with b->text, and wrapped when it is wider than the column, so that
 * nothing of it is hidden. Returns its lines for sheet_fit_row() (at most
 * six, as a listing's long text). */
unsigned sheet_write_text_fit(struct sheet_book *b, lxw_worksheet *ws,
                              lxw_row_t row, lxw_col_t col, const char *s,
                              size_t len, unsigned width);
/* The same for a value an analyst must read whole where it stands (a
 * statement's dealer id and name): its row may be as tall as Excel allows
 * (409 points, sheet_fit_row()), not six lines. */
unsigned sheet_write_text_whole(struct sheet_book *b, lxw_worksheet *ws,
                                lxw_row_t row, lxw_col_t col, const char *s,
                                size_t len, unsigned width);
/* Sets widths, frozen header and autofilter of the last part. 0 or -1. */
int sheet_close(struct sheet *sh);
/* A listing sheet `name` (and its continuations) written straight from the
 * rows of the statement sql, which is prepared here (its columns match
 * cols); *n gets the data row count. 0, or -1 with d filled (database
 * trouble) or the book failed (sheet_close reports it). */
int sheet_write_listing(struct db *db, struct sheet_book *b, const char *name,
                        const struct sheet_col *cols, int n_cols,
                        const char *sql, unsigned long *n, struct diag *d);

/* Cells of free-form sheets. Text is sanitized as described above; dates
 * are day numbers (days since 1970-01-01). sheet_write_text() returns the
 * lines the value shows (0 for a blank): a value holding a line break is
 * written wrapped (with f = b->text, as b->text_wrap) and its row needs
 * sheet_fit_row(). A number without a format gets b->count. */
unsigned sheet_write_text(struct sheet_book *b, lxw_worksheet *ws, lxw_row_t row,
                      lxw_col_t col, const char *s, size_t len,
                      lxw_format *f);
unsigned sheet_write_cstr(struct sheet_book *b, lxw_worksheet *ws,
                          lxw_row_t row, lxw_col_t col, const char *s,
                          lxw_format *f);
void sheet_write_number(struct sheet_book *b, lxw_worksheet *ws,
                        lxw_row_t row, lxw_col_t col, double v,
                        lxw_format *f);
void sheet_write_date(struct sheet_book *b, lxw_worksheet *ws, lxw_row_t row,
                      lxw_col_t col, int32_t day);
/* A blank cell with a format (a border under a total row). */
void sheet_write_blank(struct sheet_book *b, lxw_worksheet *ws, lxw_row_t row,
                       lxw_col_t col, lxw_format *f);
/* Records a libxlsxwriter result: the first failure sticks. */
void sheet_check(struct sheet_book *b, lxw_error err, const char *what);
/* A new format of the workbook, or NULL with the book's error set (the
 * workbook then fails as a whole: a format is never silently dropped). */
lxw_format *sheet_new_format(struct sheet_book *b);

/* A total of labor hours as written to a workbook: the database's sum
 * rounded to the micro-hour (1e-6 h). A floating-point sum depends on the
 * order the rows are added in, which neither database promises (and
 * PostgreSQL's differs from SQLite's): ten closeouts of 0.1 h summed to
 * 0.9999999999999999, and PostgreSQL gave 6.632999999999999 where SQLite
 * gave 6.633. Hours are decimals of a few places, so the rounded sum is
 * their decimal sum, whatever the order. */
double sheet_hours(double sum);

/* Excel serial number of a day number (days since 1970-01-01) plus seconds
 * into the day: 1970-01-01 is serial 25569 in the 1900 date system. */
double sheet_serial(int32_t day, int seconds);

/* Sanitizes (s, len) into b->txt.buf as described above. Returns the number
 * of rich-string runs the value needs (0: a plain string) and sets *cut
 * when the value was cut. Exposed for tests. */
size_t sheet_clean_text(struct sheet_text *t, const char *s, size_t len,
                        int *cut);

#endif
