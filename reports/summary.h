/* summary.h -- the parts every Summary sheet shares (SPEC §4 "Each
 * `Summary`: totals ... with a chart"): the sheet itself with its print
 * setup and the as-of / --from / previous report lines at the top, and a
 * column chart whose series point at cells of the sheet. */
#ifndef SVC_SUMMARY_H
#define SVC_SUMMARY_H

#include "lib/db.h"
#include <xlsxwriter.h>

#include "lib/diag.h"
#include "reports/report.h"
#include "reports/sheet.h"

/* Rows a chart covers (288 px at the default 20 px rows), and the gap
 * below it before the next table. */
#define SUMMARY_CHART_ROWS 16

/* A chart's height in points (SUMMARY_CHART_ROWS rows of 15: 288 px),
 * and the title row's, counted as Excel's height for a 14-point Calibri
 * row (written without a height; the reader grows it). */
#define SUMMARY_CHART_POINTS 216.0
#define SUMMARY_TITLE_POINTS 18.75

/* The height a printed page of a Summary holds, in points of the sheet,
 * for a sheet whose widest table spans the columns of widths[0..n-1]
 * (in characters, as set): see summary.c. */
double summary_page_points(const double *widths, int n);

/* A manual page break, in breaks[] (0-terminated, room for one more),
 * before the block that starts at row `block` and holds a chart at row
 * `chart`, when the page that holds `block` would not hold the chart
 * whole: every row from the page's first (the last break at or above
 * `block`, or row 0) down to the chart is 15 points but the title (row
 * 0), then the chart's SUMMARY_CHART_POINTS, against page_pt. */
void summary_keep_chart(lxw_row_t *breaks, lxw_row_t block, lxw_row_t chart,
                        double page_pt);

/* Adds the "Summary" sheet: landscape, one page wide; title in row 1, the
 * as-of date below, the --from date (with from_note beside it) when given,
 * then the line naming the previous report ("Compared with the report as
 * of 2026-03-11", or that there is none). *next is the first free row.
 * NULL when the book failed. */
lxw_worksheet *summary_open(struct sheet_book *b, const struct report_opts *o,
                            const struct report_changes *ch,
                            const char *title, const char *from_note,
                            lxw_row_t *next);

/* A chart at (row, 0) of the Summary sheet, LXW_CHART_COLUMN or
 * LXW_CHART_BAR (categories top to bottom): categories are rows
 * first..last of column cat_col, values the same rows of val_col, counts
 * of which top is the largest (the axis steps by one under ten). */
void summary_chart(struct sheet_book *b, lxw_worksheet *ws, lxw_row_t row,
                   uint8_t type,
                   const char *title, const char *x_title,
                   const char *y_title, lxw_row_t first, lxw_row_t last,
                   lxw_col_t cat_col, lxw_col_t val_col, double top);

/* A stacked column chart at (row, 0): categories are rows first..last of
 * column cat_col, text (read as text; the column may be hidden: hidden
 * cells are plotted), one series per column val_col .. val_col + n - 1, named
 * by the header cells of row hdr_row; top is the tallest stack. split, when
 * not 0, is a row inside first..last that holds no data (the table's
 * header repeated atop its next printed page): the ranges leave it out. */
void summary_stacked_chart(struct sheet_book *b, lxw_worksheet *ws,
                           lxw_row_t row, const char *title,
                           const char *x_title, const char *y_title,
                           lxw_row_t hdr_row, lxw_row_t first,
                           lxw_row_t last, lxw_row_t split,
                           lxw_col_t cat_col, lxw_col_t val_col, int n,
                           double top);

/* The header row of a table: bold, bordered, one cell per name; the
 * first n_text columns hold text (header on the left), the others numbers
 * (header on the right, above them). */
void summary_header(struct sheet_book *b, lxw_worksheet *ws, lxw_row_t row,
                    const char *const *names, int n, int n_text);

/* Writes a "by key" table from rows (key, name, total, [labor hours,] sub
 * key, count), ordered so that the rows of one key are adjacent: one sheet
 * row per key from `row` on: key, its dealer name (for the key '': a
 * blank key cell and blank_name in the name column),
 * total, [hours,] then the count of each of the n_subs sub keys (0 when
 * absent). widths: the key's and the name's columns, as set; a longer
 * key or name wraps (sheet_write_text_fit). 0 or -1. */
int summary_fold(struct db *db, struct sheet_book *b, lxw_worksheet *ws,
                 lxw_row_t row, const unsigned widths[2], const char *sql,
                 const char *what,
                 const char *blank_name, int has_hours,
                 const char *const *subs, int n_subs, struct diag *d);

#endif
