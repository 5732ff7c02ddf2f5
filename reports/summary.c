/* summary.c -- the Summary sheets' shared layout: print setup, the as-of
 * lines, table headers and the chart (SPEC §4).
 *
 * In constant_memory mode libxlsxwriter writes a chart without cached
 * values (it cannot read cells back), so every series points at real
 * cells of the sheet and Excel and LibreOffice compute the bars from them
 * when they open the file. Totals are values computed by SQL, never
 * formulas: no cell of any workbook holds a formula. */
#include "reports/summary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/db.h"

lxw_worksheet *summary_open(struct sheet_book *b, const struct report_opts *o,
                            const struct report_changes *ch,
                            const char *title, const char *from_note,
                            lxw_row_t *next)
{
    /* Landscape, one page wide (a chart split over printed pages is no
     * use), page header and footer. */
    lxw_worksheet *ws = sheet_add(b, "Summary");
    if (!ws)
        return NULL;
    sheet_write_cstr(b, ws, 0, 0, title, b->title);
    sheet_write_cstr(b, ws, 1, 0, "As of", b->label);
    sheet_write_date(b, ws, 1, 1, o->as_of_day);
    lxw_row_t row = 2;
    if (o->has_from) {
        sheet_write_cstr(b, ws, row, 0, "From", b->label);
        sheet_write_date(b, ws, row, 1, o->from_day);
        if (from_note)
            sheet_write_cstr(b, ws, row, 2, from_note, NULL);
        row++;
    }
    /* The previous report (README "Changes since the previous report"): a
     * sentence, so that it reads the same whether there is one or not. */
    char line[96];
    if (ch->has_previous)
        snprintf(line, sizeof line, "Compared with the report as of %s",
                 ch->previous_as_of);
    else
        snprintf(line, sizeof line, "No earlier report in this database: "
                 "nothing to compare with");
    sheet_write_cstr(b, ws, row++, 0, line, NULL);
    *next = row;
    return ws;
}

/* Every sheet prints on US Letter (sheet_print_setup()), landscape, with
 * libxlsxwriter's default margins (0.7 in left and right, 0.75 in top
 * and bottom, the header and footer inside them): 9.6 by 7 inches, 921.6
 * pixels by 504 points at 100%. Fitted to the page width, a sheet shrinks
 * to the width of its cells (Excel: the cells written; LibreOffice: every
 * column whose width is set, narrower still, so that its pages hold more
 * than counted here) and never grows: a column of w characters is w * 7
 * + 5 pixels, 96 to the inch. A shrunk page holds more of the sheet's
 * points: the unclosed Summary with the default buckets (its providers'
 * table: 24, 28, 16, 16 and five of 10: 983 pixels) prints at 94% and a
 * page holds 537 points (README "Page breaks"; fix69, fix73). */
double summary_page_points(const double *widths, int n)
{
    double px = 0, room = (11.0 - 2 * 0.7) * 96, scale = 1;
    for (int k = 0; k < n; k++)
        px += widths[k] * 7 + 5;
    if (px > room)
        scale = room / px;
    return (8.5 - 2 * 0.75) * 72 / scale;
}

void summary_keep_chart(lxw_row_t *breaks, lxw_row_t block, lxw_row_t chart,
                        double page_pt)
{
    lxw_row_t top = 0;
    int n = 0;
    for (; breaks[n]; n++)
        if (breaks[n] <= block && breaks[n] > top)
            top = breaks[n];
    double used = SUMMARY_CHART_POINTS;
    for (lxw_row_t r = top; r < chart; r++)
        used += r == 0 ? SUMMARY_TITLE_POINTS : 15;
    if (used > page_pt && block > top) {
        breaks[n] = block;
        breaks[n + 1] = 0;
    }
}

void summary_header(struct sheet_book *b, lxw_worksheet *ws, lxw_row_t row,
                    const char *const *names, int n, int n_text)
{
    for (int c = 0; c < n; c++)
        sheet_write_cstr(b, ws, row, (lxw_col_t)c, names[c],
                         c < n_text ? b->header : b->header_num);
}

/* A value axis of counts: written #,##0 as the cells are, and in steps of
 * one call when the largest value (top) is under ten -- left to itself
 * the reader drew 0.1, 0.2 ... 0.9 calls on an empty night's axis, and
 * 0.5, 1.5 on a night of two (tests/e2e/t7800). */
static void count_axis(lxw_chart_axis *axis, double top)
{
    chart_axis_set_num_format(axis, "#,##0");
    if (top < 10) {
        chart_axis_set_major_unit(axis, 1);
        if (top < 1)
            chart_axis_set_max(axis, 1);
    }
}

void summary_chart(struct sheet_book *b, lxw_worksheet *ws, lxw_row_t row,
                   uint8_t type, const char *title, const char *x_title,
                   const char *y_title, lxw_row_t first, lxw_row_t last,
                   lxw_col_t cat_col, lxw_col_t val_col, double top)
{
    if (b->err != LXW_NO_ERROR)
        return;
    lxw_chart *chart = workbook_add_chart(b->wb, type);
    if (!chart) {
        sheet_check(b, LXW_ERROR_MEMORY_MALLOC_FAILED, "adding a chart");
        return;
    }
    lxw_chart_series *s = chart_add_series(chart, NULL, NULL);
    if (!s) {
        sheet_check(b, LXW_ERROR_MEMORY_MALLOC_FAILED, "adding a chart");
        return;
    }
    chart_series_set_categories(s, "Summary", first, cat_col, last, cat_col);
    chart_series_set_values(s, "Summary", first, val_col, last, val_col);
    chart_series_set_name(s, y_title);
    chart_series_set_labels(s);
    chart_title_set_name(chart, title);
    if (type == LXW_CHART_BAR) {
        /* Bar charts swap the axes: y is the category axis, drawn bottom
         * up unless reversed. */
        chart_axis_set_name(chart->y_axis, x_title);
        chart_axis_set_reverse(chart->y_axis);
        /* Reversed, the category axis took the value axis (its numbers)
         * to the top, away from its title at the bottom; crossing at the
         * last category puts them together at the bottom. The bars a
         * third of the gap's default (150% of a bar): a bar of 7
         * reasons was a hairline (QA pass 41). */
        chart_axis_set_crossing_max(chart->y_axis);
        chart_set_series_gap(chart, 50);
        chart_axis_set_name(chart->x_axis, y_title);
        chart_axis_set_min(chart->x_axis, 0);
        count_axis(chart->x_axis, top);
    } else {
        chart_axis_set_name(chart->x_axis, x_title);
        chart_axis_set_name(chart->y_axis, y_title);
        chart_axis_set_min(chart->y_axis, 0);
        count_axis(chart->y_axis, top);
    }
    chart_legend_set_position(chart, LXW_CHART_LEGEND_NONE);
    lxw_chart_options opt = {.x_scale = 1.5, .y_scale = 1.0};
    sheet_check(b, worksheet_insert_chart_opt(ws, row, 0, chart, &opt),
                "inserting a chart");
}

void summary_stacked_chart(struct sheet_book *b, lxw_worksheet *ws,
                           lxw_row_t row, const char *title,
                           const char *x_title, const char *y_title,
                           lxw_row_t hdr_row, lxw_row_t first,
                           lxw_row_t last, lxw_row_t split,
                           lxw_col_t cat_col, lxw_col_t val_col, int n,
                           double top)
{
    if (b->err != LXW_NO_ERROR)
        return;
    lxw_chart *chart = workbook_add_chart(b->wb, LXW_CHART_COLUMN_STACKED);
    if (!chart) {
        sheet_check(b, LXW_ERROR_MEMORY_MALLOC_FAILED, "adding a chart");
        return;
    }
    for (int k = 0; k < n; k++) {
        lxw_col_t c = (lxw_col_t)(val_col + k);
        /* Around a split row, each range is the union of the rows above
         * and below it, "(Summary!$A$5:$A$34,Summary!$A$36:$A$50)", as
         * Excel writes a chart of two blocks (LibreOffice draws it, one
         * bar a row, the header left out). */
        char cat[96] = "", val[96] = "";
        if (split > first && split < last) {
            char r1[32], r2[32];
            lxw_rowcol_to_range_abs(r1, first, cat_col, split - 1, cat_col);
            lxw_rowcol_to_range_abs(r2, split + 1, cat_col, last, cat_col);
            snprintf(cat, sizeof cat, "=(Summary!%s,Summary!%s)", r1, r2);
            lxw_rowcol_to_range_abs(r1, first, c, split - 1, c);
            lxw_rowcol_to_range_abs(r2, split + 1, c, last, c);
            snprintf(val, sizeof val, "=(Summary!%s,Summary!%s)", r1, r2);
        }
        lxw_chart_series *s = chart_add_series(chart, *cat ? cat : NULL,
                                               *val ? val : NULL);
        if (!s) {
            sheet_check(b, LXW_ERROR_MEMORY_MALLOC_FAILED, "adding a chart");
            return;
        }
        if (!*cat) {
            chart_series_set_categories(s, "Summary", first, cat_col, last,
                                        cat_col);
            chart_series_set_values(s, "Summary", first, c, last, c);
        }
        /* The categories are text (the as-of dates as ISO text): a
         * <c:strRef>, so that Excel reads them as text too. In
         * constant_memory mode libxlsxwriter cannot read the cells to
         * learn it, and wrote a <c:numRef> (the field is public in
         * lxw_series_range; no cache is written either way). */
        s->categories->has_string_cache = LXW_TRUE;
        chart_series_set_name_range(s, "Summary", hdr_row, c);
    }
    /* The labels' column is hidden: plot it all the same. */
    chart_show_hidden_data(chart);
    chart_title_set_name(chart, title);
    chart_axis_set_name(chart->x_axis, x_title);
    chart_axis_set_name(chart->y_axis, y_title);
    chart_axis_set_min(chart->y_axis, 0);
    count_axis(chart->y_axis, top);
    chart_legend_set_position(chart, LXW_CHART_LEGEND_RIGHT);
    lxw_chart_options opt = {.x_scale = 1.5, .y_scale = 1.0};
    sheet_check(b, worksheet_insert_chart_opt(ws, row, 0, chart, &opt),
                "inserting a chart");
}

#define FOLD_MAX_SUBS 32

static void fold_flush(struct sheet_book *b, lxw_worksheet *ws,
                       lxw_row_t row, const unsigned *widths,
                       const char *key, size_t key_len,
                       const char *name, const char *blank_name,
                       double total, int has_hours, double hours,
                       const double *n, int n_subs)
{
    lxw_col_t c = 0;
    unsigned lines = 1, k;
    /* A blank key (no provider on the dispatch) is no dealer code: its
     * key cell stays blank, as the listing's own cell is (the listing's
     * filter shows it as "(Blanks)"), and the name column says what the
     * row is. A label in the key cell, such as "(none)", could be read as
     * a dealer whose id is that text (README "decisions"). */
    if (key_len == 0) {
        c++;
        name = blank_name;
    } else if ((k = sheet_write_text_whole(b, ws, row, c++, key, key_len,
                                           widths[0])) > lines)
        lines = k;
    /* Whole, in as many lines as it takes (up to Excel's 409 points), as
     * a statement's Summary writes them: held to six lines, a name of 200
     * characters lost its end (qa85). */
    if ((k = sheet_write_text_whole(b, ws, row, c++, name, strlen(name),
                                    widths[1])) > lines)
        lines = k;
    sheet_fit_row(b, ws, row, lines);
    sheet_write_number(b, ws, row, c++, total, NULL);
    if (has_hours)
        sheet_write_number(b, ws, row, c++, hours, b->decimal);
    for (int k = 0; k < n_subs; k++)
        sheet_write_number(b, ws, row, c++, n[k], NULL);
}

int summary_fold(struct db *db, struct sheet_book *b, lxw_worksheet *ws,
                 lxw_row_t row, const unsigned widths[2], const char *sql,
                 const char *what,
                 const char *blank_name, int has_hours,
                 const char *const *subs, int n_subs, struct diag *d)
{
    struct db_stmt *q;
    double n[FOLD_MAX_SUBS], total = 0, hours = 0;
    char *key = NULL;                      /* the key being folded */
    char *name = NULL;                     /* and its dealer name */
    size_t key_len = 0, key_cap = 0;
    int open = 0, rc;
    int sub_col = has_hours ? 4 : 3;

    if (n_subs > FOLD_MAX_SUBS)
        n_subs = FOLD_MAX_SUBS;
    if (db_prepare(db, sql, &q, d, what) != 0)
        return -1;
    for (;;) {
        rc = db_step(q, d, what);
        const void *p = NULL;
        size_t len = 0;
        if (rc == DB_ROW) {
            p = db_column_blob(q, 0);
            len = db_column_bytes(q, 0);
        }
        if (open && (rc != DB_ROW || len != key_len ||
                     (len && memcmp(p, key, len) != 0))) {
            fold_flush(b, ws, row++, widths, key, key_len, name ? name : "",
                       blank_name, total, has_hours, hours, n, n_subs);
            open = 0;
        }
        if (rc != DB_ROW)
            break;
        if (!open) {
            if (len + 1 > key_cap) {
                char *grown = realloc(key, len + 1);
                if (!grown) {
                    sheet_check(b, LXW_ERROR_MEMORY_MALLOC_FAILED, what);
                    break;
                }
                key = grown;
                key_cap = len + 1;
            }
            if (len)
                memcpy(key, p, len);
            key_len = len;
            free(name);
            name = strdup(db_column_text(q, 1));
            total = db_column_double(q, 2);
            hours = has_hours ? sheet_hours(db_column_double(q, 3)) : 0;
            for (int k = 0; k < n_subs; k++)
                n[k] = 0;
            open = 1;
        }
        const char *sub = db_column_text(q, sub_col);
        for (int k = 0; sub && k < n_subs; k++)
            if (strcmp(sub, subs[k]) == 0)
                n[k] = db_column_double(q, sub_col + 1);
    }
    free(key);
    free(name);
    db_finalize(q);
    if (rc < 0)
        return -1;
    return b->err == LXW_NO_ERROR ? 0 : -1;
}
