/* rpt_unclosed.c -- unclosed_calls_A.xlsx (SPEC §3 "Unclosed calls", §4).
 *
 * The rules (schemas/r050_unclosed.sql) decide which calls are unclosed and
 * their aging bucket; this file only reads TEMP unclosed_call through the
 * queries schemas/q_unclosed_*.sql and lays the rows out. The --from date
 * never applies here (SPEC §3: "Unclosed calls are always all open calls
 * as of A"); the Summary says so when one is given.
 *
 * The `Changes` sheet (README "Changes since the previous report") comes
 * after the listing and its overflow parts: TEMP unclosed_change of
 * schemas/history_changes.sql, read by q_changes_listing.sql; the Summary
 * names the previous report and counts each kind of change. */
#include "reports/rpt_unclosed.h"

#include <stdio.h>
#include <string.h>

#include "lib/db.h"
#include "lib/parse.h"
#include "schemas/sql.h"
#include "reports/summary.h"

/* SPEC §4, in this order. */
static const struct sheet_col listing_cols[] = {
    {"Dispatch ID",       SHEET_TEXT,     18},
    {"Dispatched",        SHEET_DATETIME,  0},
    {"Days open",         SHEET_INT,       8},
    {"Aging bucket",      SHEET_TEXT,     10},
    {"Provider",          SHEET_TEXT,     14},
    {"Provider name",     SHEET_TEXT,     30},
    {"Model",             SHEET_TEXT,     16},
    {"Serial number",     SHEET_TEXT,     18},
    {"Customer",          SHEET_TEXT,     40},
    {"Closeout attempts", SHEET_INT,       8},
    {"Source file",       SHEET_TEXT,     40},
    {"Source line",       SHEET_LINE,     10},
    {"Source SHA-256",    SHEET_TEXT,     14},  /* q_listing_views.sql */
};
#define N_LISTING_COLS (int)(sizeof listing_cols / sizeof listing_cols[0])

/* README "Changes since the previous report", in this order. */
static const struct sheet_col change_cols[] = {
    {"Change",          SHEET_TEXT,     16},
    {"Dispatch ID",     SHEET_TEXT,     18},
    {"Dispatched",      SHEET_DATETIME,  0},
    {"Provider",        SHEET_TEXT,     14},
    {"Provider name",   SHEET_TEXT,     30},
    {"Previous bucket", SHEET_TEXT,     10},
    {"Bucket",          SHEET_TEXT,     10},
    {"Days open",       SHEET_INT,       8},
    {"Closed by",       SHEET_TEXT,     40},
    {"Source file",     SHEET_TEXT,     40},
    {"Source line",     SHEET_LINE,     10},
    {"Source SHA-256",  SHEET_TEXT,     14},
};
#define N_CHANGE_COLS (int)(sizeof change_cols / sizeof change_cols[0])

struct bucket {
    char          label[32];
    long long     seq;
    unsigned long n_calls;
};

/* The bucket totals, before anything is written: the header lines need
 * the grand total. */
static int read_buckets(struct db *db, struct bucket *bk, int *n_bk,
                        unsigned long *total, struct diag *d)
{
    struct db_stmt *q;
    int rc;
    *n_bk = 0;
    *total = 0;
    if (db_prepare(db, sql_q_unclosed_by_bucket, &q, d,
                   "unclosed calls by bucket") != 0)
        return -1;
    while ((rc = db_step(q, d, "unclosed calls by bucket")) == DB_ROW &&
           *n_bk < REPORT_MAX_BUCKETS) {
        struct bucket *b = &bk[(*n_bk)++];
        b->seq = db_column_int64(q, 0);
        snprintf(b->label, sizeof b->label, "%s", db_column_text(q, 1));
        b->n_calls = (unsigned long)db_column_int64(q, 4);
        *total += b->n_calls;
    }
    if (rc < 0) {
        db_finalize(q);
        return -1;
    }
    db_finalize(q);
    return 0;
}

/* The counts of each change, when there is a previous report; the Closed
 * row is split by how the calls left the list. Returns the next free row. */
static lxw_row_t write_change_counts(struct sheet_book *b, lxw_worksheet *ws,
                                     lxw_row_t row,
                                     const struct report_changes *ch)
{
    static const char *const hdr[] = {"Change", "Calls"};
    lxw_format *indent = sheet_new_format(b);  /* NULL: the book failed */
    if (indent) {
        format_set_indent(indent, 1);
        /* hung from the top as every other cell (reports/sheet.c): at the
         * foot, "by a closeout" sat lower than its count */
        format_set_align(indent, LXW_ALIGN_VERTICAL_TOP);
    }
    const struct {
        const char   *label;
        unsigned long n;
        int           sub;               /* a part of the row above */
    } line[] = {
        {"Newly unclosed",       ch->n_newly_unclosed,     0},
        {"Closed",               ch->n_closed,             0},
        {"by a closeout",        ch->n_closed_by_closeout, 1},
        {"cancelled",            ch->n_cancelled,          1},
        {"no longer listed otherwise", ch->n_closed_other, 1},
        {"Bucket moved",         ch->n_bucket_moved,       0},
    };
    summary_header(b, ws, row, hdr, 2, 1);
    for (size_t k = 0; k < sizeof line / sizeof line[0]; k++) {
        row++;
        sheet_write_cstr(b, ws, row, 0, line[k].label,
                         line[k].sub ? indent : NULL);
        sheet_write_number(b, ws, row, 1, (double)line[k].n, NULL);
    }
    return row + 2;
}

/* Rows of the trend a printed page holds, with the title and header
 * above them: at least 33 rows of 15 points fit a landscape Letter page
 * at 100% (fitted to the width, a Summary prints at 100% or less:
 * summary_page_points()). */
#define TREND_PAGE_ROWS 30

/* The Summary's columns (write_summary()): code, name, two of 16, and 10
 * for each bucket column after them. */
#define SUM_W_A 24
#define SUM_W_B 28
#define SUM_W_CD 16
#define SUM_W_BUCKET 10
/* The trend chart's labels (write_trend()): a hidden column right after
 * the providers' last (code, name, calls, a column a bucket). */
#define TREND_LABEL_COL(n_bk) ((lxw_col_t)(3 + (n_bk)))

/* The height a printed page of the Summary holds, in points of the sheet
 * (summary_page_points(): US Letter, landscape, fitted to the width). The
 * widest table is the providers' (code, name, calls, one column a bucket:
 * A, B, C, then D of 16 and 10 each after it); 537 points with the
 * default buckets (94%), 504 with two (100%). */
static double unclosed_page_points(int n_bk)
{
    double w[3 + REPORT_MAX_BUCKETS] = {SUM_W_A, SUM_W_B, SUM_W_CD};
    for (int k = 0; k < n_bk; k++)
        w[3 + k] = k == 0 ? SUM_W_CD : SUM_W_BUCKET;
    return summary_page_points(w, 3 + n_bk);
}

/* SPEC §4 "Trend": the open calls by aging bucket of each recorded report
 * up to A (at most 60 as-of dates), from q_unclosed_trend.sql: a table
 * (As of, Unclosed calls, one column per bucket) and a stacked column
 * chart; with A alone, the one row and a sentence instead of a chart of
 * one bar. The sheet's one print-title range is the providers' header
 * (write_summary()), so a trend longer than a page repeats its header
 * itself: after TREND_PAGE_ROWS rows, a page break and the header again
 * (the chart's ranges leave that row out); the chart starts a page when
 * it does not fit under the table (a page holds page_pt points). The rows
 * to break above go to breaks[0..1] (0: none). Returns the next free row;
 * *failed on database trouble. */
static lxw_row_t write_trend(struct db *db, struct sheet_book *b,
                             lxw_worksheet *ws, lxw_row_t row,
                             const struct bucket *bk, int n_bk,
                             double page_pt, lxw_row_t *breaks,
                             struct diag *d, int *failed)
{
    const char *hdr[2 + REPORT_MAX_BUCKETS] = {"As of", "Unclosed calls"};
    for (int k = 0; k < n_bk; k++)
        hdr[2 + k] = bk[k].label;
    sheet_write_cstr(b, ws, row++, 0, "Trend: unclosed calls by aging "
                     "bucket, report by report", b->label);
    summary_header(b, ws, row, hdr, 2 + n_bk, 1);
    /* The chart's labels: each as-of date again as ISO text in a hidden
     * column after the providers' last (TREND_LABEL_COL(): hidden, it
     * neither prints nor widens the page), which the chart reads. Its
     * categories were the real dates of column A: libxlsxwriter writes a
     * category axis with <c:auto val="1"/>, so Excel and LibreOffice made
     * it a date axis of their own scale, and LibreOffice labelled reports
     * as of 2025-12-31 and 2026-01-18 "2025-01-01" and "2026-01-01"
     * (fix79). Column A keeps the real dates for the analyst. */
    lxw_col_t lbl = TREND_LABEL_COL(n_bk);
    sheet_write_cstr(b, ws, row, lbl, "As of (chart label)", b->header);
    lxw_row_t first = row + 1;
    struct db_stmt *q;
    int rc;
    if (db_prepare(db, sql_q_unclosed_trend, &q, d, "the trend") != 0) {
        *failed = 1;
        return row;
    }
    /* Day numbers count from 1970-01-01: a report as of 1969-12-31 is day
     * -1, so "no row yet" is a flag, not a day (qa29). */
    long long day = 0, n_later = 0;
    bool have_day = false;
    int n_days = 0;
    lxw_row_t cont = 0;                 /* the header repeated, or 0 */
    breaks[0] = breaks[1] = 0;
    double total = 0, top = 0;
    while ((rc = db_step(q, d, "the trend")) == DB_ROW) {
        n_later = db_column_int64(q, 4);
        if (!have_day || db_column_int64(q, 0) != day) {
            if (have_day)
                sheet_write_number(b, ws, row, 1, total, NULL);
            if (total > top)
                top = total;
            day = db_column_int64(q, 0);
            have_day = true;
            total = 0;
            if (n_days++ == TREND_PAGE_ROWS) {
                cont = ++row;
                breaks[0] = cont;
                summary_header(b, ws, cont, hdr, 2 + n_bk, 1);
                sheet_write_cstr(b, ws, cont, lbl, "As of (chart label)",
                                 b->header);
            }
            sheet_write_date(b, ws, ++row, 0, (int32_t)day);
            int y, m, dd;
            char iso[16];
            parse_civil_from_days((int32_t)day, &y, &m, &dd);
            snprintf(iso, sizeof iso, "%04d-%02d-%02d", y, m, dd);
            sheet_write_cstr(b, ws, row, lbl, iso, NULL);
        }
        for (int k = 0; k < n_bk; k++)
            if (bk[k].seq == db_column_int64(q, 2)) {
                double n = db_column_double(q, 3);
                sheet_write_number(b, ws, row, (lxw_col_t)(2 + k), n, NULL);
                total += n;
            }
    }
    db_finalize(q);
    if (rc != DB_DONE) {
        *failed = 1;
        return row;
    }
    if (have_day)
        sheet_write_number(b, ws, row, 1, total, NULL);
    if (row == first) {
        /* A alone: the first report of the database, or an earlier night
         * reported after later ones (whose trends include it): saying
         * "the first report recorded" then was false (QA pass 28,
         * tests/e2e/t9300). */
        sheet_write_cstr(b, ws, row + 2, 0, n_later == 0 ?
                         "This is the first report recorded in this "
                         "database: the trend starts here. Each later "
                         "report adds a row and the chart." :
                         "No report as of an earlier date is recorded in "
                         "this database: the trend starts here. The reports "
                         "as of later dates are recorded, and each one's "
                         "trend includes this one.", NULL);
        return row + 4;
    }
    /* Rows used on the table's last page (title, header and rows, or
     * the header repeated and rows), a blank row, then the chart, 288
     * pixels (216 points, summary.c: the default height): it starts a
     * page only when they do not fit the page's height (page_pt: up to
     * 18 reports with the default buckets on Letter). Counted as a page
     * of 32 rows and a chart of 16, a trend of 13 to 15 reports put its
     * chart on a page of its own, under a table filling a third of its
     * page (fix69). */
    lxw_row_t used = cont ? row - cont + 1 : row - first + 3;
    if ((double)(used + 1) * 15 + SUMMARY_CHART_POINTS > page_pt)
        breaks[cont ? 1 : 0] = row + 2;
    summary_stacked_chart(b, ws, row + 2, "Unclosed calls by aging bucket, "
                          "report by report", "As of", "Unclosed calls",
                          first - 1, first, row, cont, lbl, 2, n_bk,
                          total > top ? total : top);
    return row + 2 + SUMMARY_CHART_ROWS + 1;
}

/* The table by aging bucket (label, from, to, calls, a total) and its
 * chart, from `row`. The chart never straddles a printed page: when the
 * rows above it on page 1 (title, counts, the Change table, the table)
 * and its 216 points do not fit the page (page_pt), a break goes in
 * breaks[] before the table's header, not before the chart: the table
 * and the chart it draws print together on page 2, page 1 keeping the
 * counts and the Change table (a decision, fix73: a chart alone atop a
 * page, away from its numbers, reads worse). Returns the next free row;
 * *failed on database trouble. */
static lxw_row_t write_bucket_table(struct db *db, struct sheet_book *b,
                                    lxw_worksheet *ws, lxw_row_t row,
                                    unsigned long total, double page_pt,
                                    lxw_row_t *breaks, struct diag *d,
                                    int *failed)
{
    lxw_row_t block = row;
    static const char *const bucket_hdr[] = {
        "Aging bucket", "Days open from", "Days open to", "Unclosed calls"};
    summary_header(b, ws, row, bucket_hdr, 4, 1);
    lxw_row_t first = row + 1;
    struct db_stmt *q;
    if (db_prepare(db, sql_q_unclosed_by_bucket, &q, d,
                   "unclosed calls by bucket") != 0) {
        *failed = 1;
        return row;
    }
    int rc;
    double top = 0;
    while ((rc = db_step(q, d, "unclosed calls by bucket")) == DB_ROW) {
        if (db_column_double(q, 4) > top)
            top = db_column_double(q, 4);
        row++;
        sheet_write_text(b, ws, row, 0, db_column_text(q, 1),
                         db_column_bytes(q, 1), b->text);
        sheet_write_number(b, ws, row, 1, db_column_double(q, 2), NULL);
        if (db_column_type(q, 3) != DB_NULL)
            sheet_write_number(b, ws, row, 2, db_column_double(q, 3),
                               NULL);
        sheet_write_number(b, ws, row, 3, db_column_double(q, 4), NULL);
    }
    db_finalize(q);
    if (rc != DB_DONE) {
        *failed = 1;
        return row;
    }
    lxw_row_t last = row;
    row++;
    sheet_write_cstr(b, ws, row, 0, "Total", b->total);
    sheet_write_blank(b, ws, row, 1, b->total);
    sheet_write_blank(b, ws, row, 2, b->total);
    sheet_write_number(b, ws, row, 3, (double)total, b->total);
    row += 2;

    summary_keep_chart(breaks, block, row, page_pt);
    summary_chart(b, ws, row, LXW_CHART_COLUMN,
                  "Unclosed calls by aging bucket", "Days open",
                  "Unclosed calls", first, last, 0, 3, top);
    return row + SUMMARY_CHART_ROWS + 1;
}

static int write_summary(struct db *db, const struct report_opts *o,
                         const struct report_changes *ch,
                         struct sheet_book *b, unsigned long *by_bucket,
                         struct diag *d)
{
    struct bucket bk[REPORT_MAX_BUCKETS];
    int n_bk;
    unsigned long total;
    lxw_row_t row;

    if (read_buckets(db, bk, &n_bk, &total, d) != 0)
        return -1;
    for (int k = 0; k < n_bk; k++)
        if (bk[k].seq >= 1 && bk[k].seq <= REPORT_MAX_BUCKETS)
            by_bucket[bk[k].seq - 1] = bk[k].n_calls;
    lxw_worksheet *ws = summary_open(b, o, ch, "Unclosed calls",
                                     "not applied: every call open on the "
                                     "as-of date is listed", &row);
    if (!ws)
        return -1;
    /* Columns serve the bucket table (label, from, to, calls), the trend
     * (as-of, one column per bucket, total) and the providers (code, name,
     * calls, one column per bucket). */
    static const unsigned fold_widths[2] = {SUM_W_A, SUM_W_B};
    worksheet_set_column(ws, 0, 0, fold_widths[0], NULL);
    worksheet_set_column(ws, 1, 1, fold_widths[1], NULL);
    worksheet_set_column(ws, 2, 3, SUM_W_CD, NULL);
    /* Bucket columns after D (up to the providers' last, 2 + n_bk),
     * then the trend chart's hidden labels, then one more of 10 as
     * before (Excel refuses overlapping column ranges). */
    if (n_bk >= 2)
        worksheet_set_column(ws, 4, (lxw_col_t)(2 + n_bk), SUM_W_BUCKET,
                             NULL);
    lxw_row_col_options hide = {.hidden = LXW_TRUE};
    worksheet_set_column_opt(ws, TREND_LABEL_COL(n_bk),
                             TREND_LABEL_COL(n_bk), SUM_W_BUCKET, NULL,
                             &hide);
    worksheet_set_column(ws, (lxw_col_t)(4 + n_bk), (lxw_col_t)(4 + n_bk),
                         SUM_W_BUCKET, NULL);
    sheet_write_cstr(b, ws, row, 0, "Unclosed calls", b->label);
    sheet_write_number(b, ws, row, 1, (double)total, NULL);
    row += 2;
    if (ch->has_previous)
        row = write_change_counts(b, ws, row, ch);

    /* Page breaks, ascending, 0-terminated: before the bucket table when
     * page 1 cannot hold its chart, the trend, the trend's header again
     * and its chart, the providers. */
    lxw_row_t breaks[6] = {0, 0, 0, 0, 0, 0}, *more = breaks;
    double page_pt = unclosed_page_points(n_bk);
    int failed = 0;
    row = write_bucket_table(db, b, ws, row, total, page_pt, breaks, d,
                             &failed);
    if (failed)
        return -1;

    /* The trend and the providers each start a printed page: a table
     * header stranded at the foot of a page is no use. */
    while (*more)
        more++;
    *more++ = row;
    row = write_trend(db, b, ws, row, bk, n_bk, page_pt, more, d, &failed);
    if (failed)
        return -1;
    while (*more)
        more++;
    *more = row;
    sheet_check(b, worksheet_set_h_pagebreaks(ws, breaks), "page breaks");

    const char *prov_hdr[3 + REPORT_MAX_BUCKETS] = {
        "Provider", "Provider name", "Unclosed calls"};
    for (int k = 0; k < n_bk; k++)
        prov_hdr[3 + k] = bk[k].label;
    summary_header(b, ws, row, prov_hdr, 3 + n_bk, 2);
    /* Print titles (README "The workbooks, page by page"): a sheet repeats
     * one range of rows, on every printed page after it, whatever table
     * that page shows. The providers (one row a dealer, without bound)
     * start a page and run to the sheet's end: their header repeats. The
     * trend's (at most 60 reports, two pages) would print above the
     * providers too: write_trend() writes it again atop its second page. */
    sheet_repeat_header(b, ws, row);
    const char *labels[REPORT_MAX_BUCKETS];
    for (int k = 0; k < n_bk; k++)
        labels[k] = bk[k].label;
    return summary_fold(db, b, ws, row + 1, fold_widths,
                        sql_q_unclosed_by_provider,
                        "unclosed calls by provider",
                        "no provider on the dispatch", 0, labels,
                        n_bk, d);
}

/* The Changes sheet: empty below its header when there is no previous
 * report (the Summary says so). */
static int write_changes(struct db *db, struct sheet_book *b, struct diag *d)
{
    unsigned long n;
    return sheet_write_listing(db, b, "Changes", change_cols, N_CHANGE_COLS,
                               sql_q_changes_listing, &n, d);
}

int rpt_unclosed_write(struct db *db, const struct report_opts *o,
                       const struct report_changes *ch,
                       struct sheet_book *b, unsigned long *n_listed,
                       unsigned long *by_bucket, struct diag *d)
{
    *n_listed = 0;
    if (write_summary(db, o, ch, b, by_bucket, d) != 0)
        return -1;
    if (sheet_write_listing(db, b, "Unclosed calls", listing_cols,
                            N_LISTING_COLS, sql_q_unclosed_listing, n_listed,
                            d) != 0)
        return -1;
    return write_changes(db, b, d);
}
