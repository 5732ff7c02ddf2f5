/* rpt_noncomp.c -- non_compensable_A.xlsx (SPEC §3 "Closeout checks", §4).
 *
 * The rules (schemas/r030, r040) give every closeout its reasons; this file
 * reads the TEMP view noncompensable through schemas/q_noncomp_*.sql, which
 * apply the --from filter (submitted on or after D, SPEC §3), and lays the
 * rows out. Totals count each closeout once, under its primary reason, so
 * that they add up to the listing. The New column (README "Changes since
 * the previous report") comes after the SPEC's columns: 'yes' for a row
 * whose closeout key the previous report did not list, 'no' for one it
 * did, blank when there is no previous report. */
#include "reports/rpt_noncomp.h"

#include <stdio.h>
#include <string.h>

#include "lib/db.h"
#include "schemas/sql.h"
#include "reports/summary.h"

/* SPEC §4, in this order. */
static const struct sheet_col listing_cols[] = {
    {"Dealer",        SHEET_TEXT,     12},
    {"Dealer name",   SHEET_TEXT,     30},
    {"Dispatch ID",   SHEET_TEXT,     18},
    {"Serial number", SHEET_TEXT,     18},
    {"Submitted",     SHEET_DATETIME,  0},
    {"Completed",     SHEET_DATE,      0},
    {"Labor hours",   SHEET_DECIMAL,   8},
    {"Reason",        SHEET_TEXT,     26},
    {"All reasons",   SHEET_TEXT,     64},
    {"Detail",        SHEET_TEXT,     60},
    {"Source file",   SHEET_TEXT,     40},
    {"Source line",   SHEET_LINE,     10},
    {"New",           SHEET_TEXT,      6},
    {"Source SHA-256", SHEET_TEXT,    14},  /* q_listing_views.sql: why */
};
#define N_LISTING_COLS (int)(sizeof listing_cols / sizeof listing_cols[0])

#define MAX_REASONS 16

struct reason {
    char   code[40];
    char   meaning[96];
    double n_closeouts;
    double labor_hours;
};

static int read_reasons(struct db *db, struct reason *r, int *n_r,
                        struct diag *d)
{
    struct db_stmt *q;
    int rc;
    *n_r = 0;
    if (db_prepare(db, sql_q_noncomp_by_reason, &q, d,
                   "non-compensable by reason") != 0)
        return -1;
    while ((rc = db_step(q, d, "non-compensable by reason")) == DB_ROW &&
           *n_r < MAX_REASONS) {
        struct reason *x = &r[(*n_r)++];
        snprintf(x->code, sizeof x->code, "%s", db_column_text(q, 1));
        snprintf(x->meaning, sizeof x->meaning, "%s", db_column_text(q, 2));
        x->n_closeouts = db_column_double(q, 3);
        x->labor_hours = sheet_hours(db_column_double(q, 4));
    }
    db_finalize(q);
    if (rc < 0)
        return -1;
    return 0;
}

static int write_summary(struct db *db, const struct report_opts *o,
                         const struct report_changes *ch,
                         struct sheet_book *b, struct diag *d)
{
    struct reason r[MAX_REASONS];
    int n_r;
    double total = 0, hours = 0;
    lxw_row_t row;

    if (read_reasons(db, r, &n_r, d) != 0)
        return -1;
    for (int k = 0; k < n_r; k++) {
        total += r[k].n_closeouts;
        hours += r[k].labor_hours;
    }
    hours = sheet_hours(hours);
    lxw_worksheet *ws = summary_open(b, o, ch, "Non-compensable service",
                                     "closeouts submitted on or after this "
                                     "date", &row);
    if (!ws)
        return -1;
    /* Columns serve two tables: the reasons (code, closeouts, hours,
     * meaning) and the dealers (code, name, closeouts, hours, one column
     * per reason code, each wide enough for its code: a header broken
     * mid-word, "DISPATCH_CAN / CELLED", reads as two words). */
    static const unsigned fold_widths[2] = {28, 28};
    worksheet_set_column(ws, 0, 0, fold_widths[0], NULL);
    worksheet_set_column(ws, 1, 1, fold_widths[1], NULL);
    worksheet_set_column(ws, 2, 3, 13, NULL);
    for (int k = 0; k < n_r; k++)
        worksheet_set_column(ws, (lxw_col_t)(4 + k), (lxw_col_t)(4 + k),
                             (double)strlen(r[k].code) + 3, NULL);
    sheet_write_cstr(b, ws, row, 0, "Closeouts listed", b->label);
    sheet_write_number(b, ws, row, 1, total, NULL);
    row++;
    sheet_write_cstr(b, ws, row, 0, "Labor hours", b->label);
    sheet_write_number(b, ws, row, 1, hours, b->decimal);
    row++;
    if (ch->has_previous) {
        sheet_write_cstr(b, ws, row, 0, "New since the previous report",
                         b->label);
        sheet_write_number(b, ws, row, 1, (double)ch->n_new_noncomp, NULL);
        row++;
    }
    row++;

    /* The reasons' table and its chart print together: when page 1
     * cannot hold the lines above, the table and its chart's 216 points
     * (reasons, a total, a blank row; Letter, fitted to the dealers'
     * table's width: summary_page_points()), a page break goes before the
     * table (not before the chart: a chart alone atop a page, away from
     * its numbers, reads worse; fix73). With the seven reasons of the
     * SPEC they always fit (about 490 points of at least 504). */
    lxw_row_t breaks[2] = {0, 0};
    double widths[4 + MAX_REASONS] = {fold_widths[0], fold_widths[1], 13, 13};
    for (int k = 0; k < n_r; k++)
        widths[4 + k] = (double)strlen(r[k].code) + 3;
    summary_keep_chart(breaks, row, row + (lxw_row_t)n_r + 3,
                       summary_page_points(widths, 4 + n_r));
    if (breaks[0])
        sheet_check(b, worksheet_set_h_pagebreaks(ws, breaks),
                    "page breaks");

    static const char *const reason_hdr[] = {
        "Primary reason", "Closeouts", "Labor hours", "Meaning"};
    summary_header(b, ws, row, reason_hdr, 3, 1);
    sheet_write_cstr(b, ws, row, 3, reason_hdr[3], b->header);
    /* The meanings run on over the reason columns to the right: the
     * header's band goes as far as the longest (QA pass 41: it covered
     * column D alone). */
    double widest = 0, covered = 13;
    for (int k = 0; k < n_r; k++)
        if (sheet_text_zeros(r[k].meaning) > widest)
            widest = sheet_text_zeros(r[k].meaning);
    for (int k = 0; k < n_r && covered < widest + 1; k++) {
        sheet_write_blank(b, ws, row, (lxw_col_t)(4 + k), b->header);
        covered += (double)strlen(r[k].code) + 3;
    }
    lxw_row_t first = row + 1;
    double top = 0;
    for (int k = 0; k < n_r; k++) {
        if (r[k].n_closeouts > top)
            top = r[k].n_closeouts;
        row++;
        sheet_write_cstr(b, ws, row, 0, r[k].code, b->text);
        sheet_write_number(b, ws, row, 1, r[k].n_closeouts, NULL);
        sheet_write_number(b, ws, row, 2, r[k].labor_hours, b->decimal);
        sheet_write_cstr(b, ws, row, 3, r[k].meaning, NULL);
    }
    lxw_row_t last = row;
    row++;
    sheet_write_cstr(b, ws, row, 0, "Total", b->total);
    sheet_write_number(b, ws, row, 1, total, b->total);
    sheet_write_number(b, ws, row, 2, hours, b->total_decimal);
    row += 2;

    summary_chart(b, ws, row, LXW_CHART_BAR,
                  "Non-compensable closeouts by primary reason",
                  "Primary reason", "Closeouts", first, last, 0, 1, top);
    row += SUMMARY_CHART_ROWS + 1;

    const char *dealer_hdr[4 + MAX_REASONS] = {"Dealer", "Dealer name",
                                               "Closeouts", "Labor hours"};
    const char *codes[MAX_REASONS];
    for (int k = 0; k < n_r; k++)
        dealer_hdr[4 + k] = codes[k] = r[k].code;
    summary_header(b, ws, row, dealer_hdr, 4 + n_r, 2);
    /* Print titles: one range of rows a sheet, repeated on every page
     * after it. The dealers' table (one row a dealer) is the last and the
     * long one: its header (README "The workbooks, page by page"). */
    sheet_repeat_header(b, ws, row);
    return summary_fold(db, b, ws, row + 1, fold_widths,
                        sql_q_noncomp_by_dealer,
                        "non-compensable by dealer",
                        "no dealer on the closeout", 1, codes,
                        n_r, d);
}

int rpt_noncomp_write(struct db *db, const struct report_opts *o,
                      const struct report_changes *ch,
                      struct sheet_book *b, unsigned long *n_listed,
                      struct diag *d)
{
    *n_listed = 0;
    if (write_summary(db, o, ch, b, d) != 0)
        return -1;
    return sheet_write_listing(db, b, "Non-compensable", listing_cols,
                               N_LISTING_COLS, sql_q_noncomp_listing,
                               n_listed, d);
}
